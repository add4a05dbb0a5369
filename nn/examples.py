"""Mazur's 2-2-2 logistic network, the worked example: backpropagation by hand beside the engine.

This is Mazur's network, the example with published numbers; the article kuibu grew from has a
network of its own, neurons 1 to 5 (`nn.article`). Two inputs, two logistic hidden neurons h1, h2
sharing the bias b1, two logistic outputs o1, o2 sharing b2, and E = ½ Σ (target − out)². The
numbers are those of Matt Mazur's "A Step by Step Backpropagation Example" (2015), so a reader can
check every published figure against that post; docs/worked-example.md walks through them. Run it
with ``python -m nn.examples``.

>>> import io
>>> result = run_worked_example(out=io.StringIO(), train_steps=100)
>>> round(result.forward["E"], 9), result.max_difference < 1e-12
(0.298371109, True)
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TextIO

from autograd import Value, explain
from nn.optim import SGD
from nn.train import descend
from nn.worked_text import text

__all__ = [
    "BIASES",
    "INPUTS",
    "LEARNING_RATE",
    "PUBLISHED",
    "TARGETS",
    "WEIGHTS",
    "WorkedExample",
    "build",
    "hand_gradients",
    "main",
    "published_schedule",
    "run_worked_example",
]

SOURCE = (
    'Matt Mazur, "A Step by Step Backpropagation Example" (2015), '
    "https://mattmazur.com/2015/03/17/a-step-by-step-backpropagation-example/"
)
INPUTS = (0.05, 0.10)
TARGETS = (0.01, 0.99)
LEARNING_RATE = 0.5
WEIGHTS = {"w1": 0.15, "w2": 0.20, "w3": 0.25, "w4": 0.30,
           "w5": 0.40, "w6": 0.45, "w7": 0.50, "w8": 0.55}
BIASES = {"b1": 0.35, "b2": 0.60}

#: Figures as the post prints them (rounded there to 9 or so digits).
PUBLISHED: dict[str, float] = {
    "net_h1": 0.3775,
    "out_h1": 0.593269992,
    "out_h2": 0.596884378,
    "net_o1": 1.105905967,
    "out_o1": 0.75136507,
    "out_o2": 0.772928465,
    "E": 0.298371109,
    "dE/dw5": 0.082167041,
    "dE/dw1": 0.000438568,
    "w1+": 0.149780716, "w2+": 0.19956143, "w3+": 0.24975114, "w4+": 0.29950229,
    "w5+": 0.35891648, "w6+": 0.408666186, "w7+": 0.511301270, "w8+": 0.561370121,
    # The two below follow only from the post's schedule (see published_schedule).
    "E after 1 step": 0.291027924,
    "E after 10000 steps": 0.0000351085,
    "out_o1 after 10000 steps": 0.015912196,
    "out_o2 after 10000 steps": 0.984065734,
}

#: The hand-derived formula of each parameter's ∂E/∂p, as printed.
FORMULAS = {
    "w1": "δ_h1·i1", "w2": "δ_h1·i2", "w3": "δ_h2·i1", "w4": "δ_h2·i2",
    "w5": "δ_o1·out_h1", "w6": "δ_o1·out_h2", "w7": "δ_o2·out_h1", "w8": "δ_o2·out_h2",
    "b1": "δ_h1 + δ_h2", "b2": "δ_o1 + δ_o2",
}

ORDER = ("w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "b1", "b2")
NODES = ("net_h1", "out_h1", "net_h2", "out_h2", "net_o1", "out_o1", "net_o2", "out_o2", "E")
AGREEMENT = 1e-12


@dataclass
class WorkedExample:
    """Every figure `run_worked_example` printed for Mazur's network, as numbers (for tests
    and `kuibu demo`)."""

    forward: dict[str, float]  #: net_h1 ... out_o2 and E at the published starting point
    gradients: dict[str, tuple[float, float]]  #: parameter -> (engine's ∂E/∂p, hand formula)
    max_difference: float  #: the largest |engine − hand| over all parameters
    updated: dict[str, float]  #: every parameter after one step of p ← p − lr·∂E/∂p
    E_after_step: float  #: E after that one step
    train_steps: int  #: steps taken in all (the first one included)
    E_final: float  #: E after `train_steps` steps
    outputs_final: tuple[float, float]  #: out_o1, out_o2 after `train_steps` steps
    update_biases: bool  #: whether b1, b2 were trained too (the post keeps them fixed)
    schedule: str = "exact"  #: "exact" gradient descent, or the post's "published" schedule


def build(
    weights: dict[str, float] | None = None, biases: dict[str, float] | None = None
) -> dict[str, Value]:
    """The parameters as labelled leaves: w1..w8, b1, b2 (the post's numbers by default)."""
    values = {**WEIGHTS, **BIASES, **(weights or {}), **(biases or {})}
    return {name: Value(values[name], label=name) for name in ORDER}


def forward(p: dict[str, Value]) -> dict[str, Value]:
    """The network's nodes, labelled as the post names them: net_h1, out_h1, ..., E; the
    inputs i1, i2 and the targets target_o1, target_o2 are labelled leaves too, so drawings and
    explanations name them."""
    i1, i2 = (Value(v, label=name) for v, name in zip(INPUTS, ("i1", "i2"), strict=True))
    t1, t2 = (Value(v, label=name) for v, name in zip(TARGETS, ("target_o1", "target_o2"),
                                                      strict=True))
    nodes: dict[str, Value] = {}
    nodes["net_h1"] = p["w1"] * i1 + p["w2"] * i2 + p["b1"]
    nodes["out_h1"] = nodes["net_h1"].sigmoid()
    nodes["net_h2"] = p["w3"] * i1 + p["w4"] * i2 + p["b1"]
    nodes["out_h2"] = nodes["net_h2"].sigmoid()
    nodes["net_o1"] = p["w5"] * nodes["out_h1"] + p["w6"] * nodes["out_h2"] + p["b2"]
    nodes["out_o1"] = nodes["net_o1"].sigmoid()
    nodes["net_o2"] = p["w7"] * nodes["out_h1"] + p["w8"] * nodes["out_h2"] + p["b2"]
    nodes["out_o2"] = nodes["net_o2"].sigmoid()
    # E = ½ Σ (target − out)², as nn.squared_error builds it (which takes numbers as targets).
    nodes["E"] = ((t1 - nodes["out_o1"]) ** 2 + (t2 - nodes["out_o2"]) ** 2) * 0.5
    for name, node in nodes.items():
        node.label = name
    return nodes


def hand_gradients(w: dict[str, float], out: dict[str, float]) -> dict[str, float]:
    """∂E/∂p by the formulas derived by hand, from the weights and the forward pass's numbers.

    δ_o = (out_o − target)·out_o·(1 − out_o) for an output, and for a hidden neuron
    δ_h = (Σ_o δ_o·w_ho)·out_h·(1 − out_h); then ∂E/∂w = δ·(the input the weight multiplies).
    """
    (i1, i2), (t1, t2) = INPUTS, TARGETS
    h1, h2, o1, o2 = out["out_h1"], out["out_h2"], out["out_o1"], out["out_o2"]
    d_o1 = (o1 - t1) * o1 * (1.0 - o1)
    d_o2 = (o2 - t2) * o2 * (1.0 - o2)
    d_h1 = (d_o1 * w["w5"] + d_o2 * w["w7"]) * h1 * (1.0 - h1)
    d_h2 = (d_o1 * w["w6"] + d_o2 * w["w8"]) * h2 * (1.0 - h2)
    return {
        "w1": d_h1 * i1, "w2": d_h1 * i2, "w3": d_h2 * i1, "w4": d_h2 * i2,
        "w5": d_o1 * h1, "w6": d_o1 * h2, "w7": d_o2 * h1, "w8": d_o2 * h2,
        "b1": d_h1 + d_h2, "b2": d_o1 + d_o2,
    }


def published_schedule(steps: int) -> tuple[float, float, float]:
    """E, out_o1, out_o2 after `steps` steps done the way the post's own figures were made.

    Biases stay fixed, and each step updates w5..w8 first and then computes the hidden
    gradients with those new output weights (exact gradient descent uses the old ones). This
    is the schedule that reproduces the post's 0.291027924 after one step and 0.0000351085
    after 10,000; it is here to show that, not as a method to copy.
    """
    w = dict(WEIGHTS)
    b = dict(BIASES)
    for _ in range(steps):
        nodes = _float_forward(w, b)
        g = hand_gradients(w, nodes)
        for name in ("w5", "w6", "w7", "w8"):
            w[name] -= LEARNING_RATE * g[name]
        g_late = hand_gradients(w, nodes)
        for name in ("w1", "w2", "w3", "w4"):
            w[name] -= LEARNING_RATE * g_late[name]
    final = _float_forward(w, b)
    return final["E"], final["out_o1"], final["out_o2"]


def _float_forward(w: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    p = build(w, b)
    return {name: node.data for name, node in forward(p).items()}


def run_worked_example(
    out: TextIO | None = None,
    train_steps: int = 10000,
    update_biases: bool = True,
    explain_weights: Sequence[str] = (),
    progress: bool | None = False,
    schedule: Literal["exact", "published"] = "exact",
    lang: str = "en",
) -> WorkedExample:
    """Print the worked example to `out` (stdout by default) and return its figures.

    Forward pass; each ∂E/∂p from the engine beside the hand formula (they must agree to 1e-12);
    the chain rule written out for each parameter in `explain_weights`; one step of gradient
    descent p ← p − 0.5·∂E/∂p with the new weights; then `train_steps` steps in all (with a
    progress bar when `progress`, as `nn.fit` shows it) and the final E. With
    ``update_biases=False`` b1 and b2 stay fixed, as in the post. ``schedule="published"``
    trains as the post's own figures were made (see `published_schedule`; biases fixed), so E
    after one step is its 0.291027924; the default is exact gradient descent on every parameter.
    `lang` chooses the words ('en' or 'zh', from `nn.worked_text`); numbers and formulas are the
    same in every language.
    """
    words = text(lang)
    if schedule not in ("exact", "published"):
        raise ValueError(
            f"run_worked_example: schedule must be 'exact' or 'published', not {schedule!r}"
        )
    if schedule == "published":
        update_biases = False
    if not isinstance(train_steps, int) or isinstance(train_steps, bool) or train_steps < 1:
        raise ValueError(
            f"run_worked_example: train_steps must be an int >= 1, not {train_steps!r}"
        )
    stream = sys.stdout if out is None else out

    def say(line: str = "") -> None:
        print(line, file=stream)

    params = build()
    nodes = forward(params)
    values = {name: node.data for name, node in nodes.items()}
    say(words["title"])
    say(words["source"].format(source=SOURCE))
    say(words["setup"].format(i1=INPUTS[0], i2=INPUTS[1], t1=TARGETS[0], t2=TARGETS[1],
                          lr=LEARNING_RATE))
    say()
    say(words["forward"])
    for name in NODES:
        shown = f"{PUBLISHED[name]:.9f}" if name in PUBLISHED else ""
        say(f"  {name:8}  {values[name]:20.12f}   {shown}")

    nodes["E"].backward()
    weights = {name: v.data for name, v in params.items()}
    hand = hand_gradients(weights, values)
    gradients = {name: (params[name].grad, hand[name]) for name in ORDER}
    max_difference = max(abs(e - h) for e, h in gradients.values())
    say()
    say(words["gradients"])
    say(words["gradients_header"])
    for name in ORDER:
        e, h = gradients[name]
        say(f"  {name:3}  {e:16.12f}  {h:16.12f}  {FORMULAS[name]:13}  {abs(e - h):.1e}")
    verdict = words["yes"] if max_difference <= AGREEMENT else words["no"]
    say(words["agree"].format(limit=f"{AGREEMENT:g}", verdict=verdict,
                          largest=f"{max_difference:.1e}"))
    for name in explain_weights:
        if name not in params:
            raise ValueError(f"run_worked_example: no parameter {name!r}; choose from {ORDER}")
        say()
        say(words["chain_rule"].format(name=name))
        say(explain(nodes["E"], params[name]).text(lang=lang))

    trained = list(params.values()) if update_biases else [params[f"w{k}"] for k in range(1, 9)]
    optimizer = SGD(trained, lr=LEARNING_RATE)
    optimizer.step()
    updated = {name: v.data for name, v in params.items()}
    e_after_step = forward(params)["E"].data
    say()
    which = words["all_parameters"] if update_biases else words["weights_only"]
    say(words["step"].format(lr=LEARNING_RATE, which=which))
    for name in ORDER:
        published = PUBLISHED.get(name + "+")
        note = words["published_note"].format(value=published) if published is not None else ""
        say(f"  {name:3}  {weights[name]:.2f} → {updated[name]:.9f}{note}")
    say(words["E_after_step"].format(after=f"{e_after_step:.9f}", before=f"{values['E']:.9f}"))
    posted = PUBLISHED["E after 1 step"]
    if schedule == "published":
        e_after_step = published_schedule(1)[0]
        say(words["schedule"].format(E=f"{e_after_step:.9f}", posted=f"{posted:.9f}"))
        final_e, *final_outputs = published_schedule(train_steps)
        say()
        say(words["after_schedule"].format(
            steps=train_steps, E=f"{final_e:.10g}", o1=f"{final_outputs[0]:.9f}", t1=TARGETS[0],
            o2=f"{final_outputs[1]:.9f}", t2=TARGETS[1]))
        return WorkedExample(values, gradients, max_difference, updated, e_after_step,
                             train_steps, final_e, (final_outputs[0], final_outputs[1]),
                             False, schedule)
    why = words["biases_train"] if update_biases else ""
    say(words["differs"].format(posted=f"{posted:.9f}", why=why))

    descend(lambda: forward(params)["E"], optimizer, train_steps - 1, progress)
    final = forward(params)
    e_final = final["E"].data
    outputs = (final["out_o1"].data, final["out_o2"].data)
    say()
    say(words["after"].format(steps=train_steps, E=f"{e_final:.10g}", o1=f"{outputs[0]:.9f}",
                          t1=TARGETS[0], o2=f"{outputs[1]:.9f}", t2=TARGETS[1]))
    return WorkedExample(
        forward=values,
        gradients=gradients,
        max_difference=max_difference,
        updated=updated,
        E_after_step=e_after_step,
        train_steps=train_steps,
        E_final=e_final,
        outputs_final=outputs,
        update_biases=update_biases,
        schedule=schedule,
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m nn.examples [--steps N] [--fixed-biases]``; exit status 1 on disagreement."""
    parser = argparse.ArgumentParser(
        prog="python -m nn.examples",
        description="Mazur's 2-2-2 logistic network, the worked example: the engine's gradients "
        "beside the hand formulas.",
    )
    parser.add_argument("--steps", type=int, default=10000, help="training steps (10000)")
    parser.add_argument("--lang", choices=["en", "zh"], default="en",
                        help="the language of headings and sentences (en, zh)")
    parser.add_argument("--fixed-biases", action="store_true",
                        help="train as the post did: b1, b2 fixed and its order of updates")
    args = parser.parse_args(argv)
    schedule: Literal["exact", "published"] = "published" if args.fixed_biases else "exact"
    result = run_worked_example(train_steps=args.steps, schedule=schedule, lang=args.lang)
    return 0 if result.max_difference <= AGREEMENT and math.isfinite(result.E_final) else 1


if __name__ == "__main__":
    sys.exit(main())
