"""The article's own network: neurons 1 to 5, weights W12 … W35, worked as the article works it.

kuibu grew from 严峻's article *跬步神经网络：基本模型解析*, which derives backpropagation by hand
for a small network of logistic neurons: input neuron 1, hidden neurons 2 and 3, outputs 4 and 5,
the weight from neuron i to neuron j written W_ij, E = ½ Σ (target − out)², and w = w − lr·Δw.
It finds ∂E/∂W24 and ∂E/∂W25 first (one path each), then the "more troublesome" ∂E/∂W12 (two
paths, through neurons 4 and 5, summed). Its figures were lost and only its text survives, so the
network here is a reconstruction: the demo's first lines (the "reconstructed" entry of
`nn.worked_text`) say what was chosen and why. Every node carries the article's name as its label
(out1, W12, b2, net2, out2, …, t4, E), so explanations, drawings, the step-by-step page and the
generated program all speak the article's symbols.

This is not Matt Mazur's 2-2-2 network of `nn.examples` (two inputs, published numbers): that one
is "Mazur's", this one "the article's". Run it with ``kuibu demo --network article``.

>>> net = article_network()
>>> net.E.label, round(net.E.data, 9)
('E', 0.183918282)
>>> net.E.backward()
>>> hand = hand_gradients(net.values())
>>> round(net["W12"].grad, 12), round(hand["W12"], 12)   # two paths, summed
(-0.012541004516, -0.012541004516)
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TextIO

from autograd import Value, explain, formula, linear
from nn.optim import SGD
from nn.train import descend
from nn.worked_text import text

__all__ = [
    "AGREEMENT",
    "BIASES",
    "DELTAS",
    "FORMULAS",
    "LEARNING_RATE",
    "OUT1",
    "PARAMETERS",
    "TARGETS",
    "WEIGHTS",
    "ArticleExample",
    "ArticleNetwork",
    "article_network",
    "hand_gradients",
    "run_article_example",
]

SOURCE = "严峻, 跬步神经网络：基本模型解析 (Tencent Cloud+ community)"

#: The chosen numbers (the article's were in its lost figures).
OUT1 = 0.5
TARGETS = {"t4": 0.9, "t5": 0.1}
WEIGHTS = {"W12": 0.3, "W13": -0.2, "W24": 0.7, "W25": -0.4, "W34": 0.5, "W35": 0.6}
BIASES = {"b2": 0.1, "b3": 0.2, "b4": -0.3, "b5": 0.4}
LEARNING_RATE = 0.5
PARAMETERS = (*WEIGHTS, *BIASES)
#: The neurons that feed each neuron j (through W_ij), in the article's numbering.
FEEDS = {2: (1,), 3: (1,), 4: (2, 3), 5: (2, 3)}
#: The nodes of the forward pass, in the order they are computed.
NODES = ("net2", "out2", "net3", "out3", "net4", "out4", "net5", "out5", "E")

#: δ_j = ∂E/∂net_j in the article's symbols, each from those before it.
DELTAS = {
    "δ4": "−(t4 − out4)·out4·(1 − out4)",
    "δ5": "−(t5 − out5)·out5·(1 − out5)",
    "δ2": "(δ4·W24 + δ5·W25)·out2·(1 − out2)",
    "δ3": "(δ4·W34 + δ5·W35)·out3·(1 − out3)",
}

#: ∂E/∂p by hand: W24, W25 and W12 written out as the article derives them; the rest by the
#: general rule the article ends with, ∂E/∂W_ij = δ_j·out_i and ∂E/∂b_j = δ_j.
FORMULAS = {
    "W24": "−(t4 − out4)·out4·(1 − out4)·out2",
    "W25": "−(t5 − out5)·out5·(1 − out5)·out2",
    "W12": "(−(t4 − out4)·out4·(1 − out4)·W24 − (t5 − out5)·out5·(1 − out5)·W25)"
           "·out2·(1 − out2)·out1",
    "W13": "δ3·out1",
    "W34": "δ4·out3",
    "W35": "δ5·out3",
    "b2": "δ2",
    "b3": "δ3",
    "b4": "δ4",
    "b5": "δ5",
}
#: The article's own order: one path each, then the troublesome one.
DERIVED = ("W24", "W25", "W12")
#: How close the engine and the hand formulas must come.
AGREEMENT = 1e-12


@dataclass
class ArticleNetwork:
    """The article's network as labelled Values: the input, the targets, the parameters and
    every node of the forward pass, each under its article name."""

    out1: Value  #: the input neuron's output, the network's input
    targets: dict[str, Value]  #: t4, t5
    parameters: dict[str, Value]  #: W12 W13 W24 W25 W34 W35 b2 b3 b4 b5, in that order
    nodes: dict[str, Value]  #: net2 out2 net3 out3 net4 out4 net5 out5 E

    @property
    def E(self) -> Value:  # noqa: N802 (the article's name)
        """E = ½ Σ (target − out)², the root of the graph."""
        return self.nodes["E"]

    def __getitem__(self, name: str) -> Value:
        """Any Value by its article name: ``net["W12"]``, ``net["out4"]``, ``net["t5"]``."""
        for group in (self.nodes, self.parameters, self.targets):
            if name in group:
                return group[name]
        if name == "out1":
            return self.out1
        raise KeyError(f"the article's network has no {name!r}; its names are "
                       f"{', '.join(self.names())}")

    def names(self) -> list[str]:
        """Every name, inputs first: out1, the targets, the parameters, then the nodes."""
        return ["out1", *self.targets, *self.parameters, *self.nodes]

    def values(self) -> dict[str, float]:
        """Every Value's number by name: what the hand formulas read."""
        return {name: self[name].data for name in self.names()}

    def forward(self) -> Value:
        """Compute the nodes again from the parameters' current numbers (after an update, say)
        and return the new E; the leaves stay the same Values."""
        self.nodes = _forward(self.out1, self.targets, self.parameters)
        return self.E


def article_network(
    out1: float = OUT1,
    targets: Mapping[str, float] | None = None,
    weights: Mapping[str, float] | None = None,
    biases: Mapping[str, float] | None = None,
) -> ArticleNetwork:
    """The article's network at the chosen numbers (or at the ones given), forward pass done.

    `targets`, `weights` and `biases` may give some of t4, t5; W12 … W35; b2 … b5 and keep the
    chosen numbers for the rest.
    """
    given = {"targets": (targets, TARGETS), "weights": (weights, WEIGHTS),
             "biases": (biases, BIASES)}
    numbers: dict[str, float] = {}
    for what, (values, defaults) in given.items():
        unknown = sorted(set(values or {}) - set(defaults))
        if unknown:
            raise ValueError(f"article_network: {what} has no {', '.join(unknown)}; "
                             f"its names are {', '.join(defaults)}")
        numbers.update({**defaults, **(values or {})})
    leaf_out1 = _leaf(out1, "out1")
    leaf_targets = {name: _leaf(numbers[name], name) for name in TARGETS}
    parameters = {name: _leaf(numbers[name], name) for name in PARAMETERS}
    return ArticleNetwork(leaf_out1, leaf_targets, parameters,
                          _forward(leaf_out1, leaf_targets, parameters))


def _leaf(x: float, name: str) -> Value:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise ValueError(f"article_network: {name} must be a finite number, not {x!r}")
    return Value(float(x), label=name)


def _forward(out1: Value, targets: dict[str, Value], p: dict[str, Value]) -> dict[str, Value]:
    """net_j = Σ_i W_ij·out_i + b_j (one node), out_j = σ(net_j), then E."""
    out = {1: out1}
    nodes: dict[str, Value] = {}
    for j, feeds in FEEDS.items():
        net = linear([p[f"W{i}{j}"] for i in feeds], [out[i] for i in feeds], p[f"b{j}"])
        net.label = f"net{j}"
        out[j] = net.sigmoid()
        out[j].label = f"out{j}"
        nodes[f"net{j}"], nodes[f"out{j}"] = net, out[j]
    t4, t5 = targets["t4"], targets["t5"]
    loss = 0.5 * ((t4 - out[4]) ** 2 + (t5 - out[5]) ** 2)
    loss.label = "E"
    nodes["E"] = loss
    return nodes


def hand_gradients(values: Mapping[str, float]) -> dict[str, float]:
    """∂E/∂p for every parameter by the hand formulas (`DELTAS`, `FORMULAS`), read as written.

    `values` holds the numbers of out1, t4, t5, the parameters and the nodes (as
    `ArticleNetwork.values` gives them). The formulas are evaluated on plain floats, apart from
    the engine: only the numbers of the forward pass are shared.
    """
    known = dict(values)
    for name, written in DELTAS.items():
        known[name] = formula.evaluate(written, known, formula.FLOAT_ALGEBRA)
    return {name: float(formula.evaluate(FORMULAS[name], known, formula.FLOAT_ALGEBRA))
            for name in PARAMETERS}


@dataclass
class ArticleExample:
    """Every figure `run_article_example` printed, as numbers (for tests and `kuibu demo`)."""

    forward: dict[str, float]  #: out1, t4, t5, the parameters and every node, before the update
    gradients: dict[str, tuple[float, float]]  #: parameter -> (engine's ∂E/∂p, hand formula)
    max_difference: float  #: the largest |engine − hand|
    updated: dict[str, float]  #: every parameter after one step w ← w − lr·Δw
    E_after_step: float  #: E after that step
    steps: int  #: updates made in all
    E_final: float  #: E after `steps` updates


def run_article_example(
    out: TextIO | None = None,
    steps: int = 1,
    explain_weights: Sequence[str] = ("W24", "W12"),
    progress: bool | None = False,
    lang: str = "en",
) -> ArticleExample:
    """Print the article's derivation with the engine beside it to `out` (stdout by default).

    What was reconstructed and why; the forward pass; ∂E/∂W24 and ∂E/∂W25 (one path each) and
    ∂E/∂W12 (two paths, summed), each beside its hand formula; the chain rule for each parameter
    in `explain_weights`; the other parameters by the δ rule; one update w ← w − lr·Δw (b
    likewise); and, when `steps` > 1, E after that many updates. `lang` is 'en' or 'zh'.
    """
    words = text(lang, network="article")
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"run_article_example: steps must be an int >= 1, not {steps!r}")
    for name in explain_weights:
        if name not in PARAMETERS:
            raise ValueError(f"run_article_example: no parameter {name!r}; choose from "
                             f"{', '.join(PARAMETERS)}")
    stream = sys.stdout if out is None else out

    def say(line: str = "") -> None:
        print(line, file=stream)

    net = article_network()
    before = net.values()
    say(words["title"])
    say(words["source"].format(source=SOURCE))
    say(words["reconstructed"])
    say(words["setup"].format(
        out1=f"{OUT1:g}", t4=f"{TARGETS['t4']:g}", t5=f"{TARGETS['t5']:g}",
        lr=f"{LEARNING_RATE:g}",
        weights=", ".join(f"{k} = {v:g}" for k, v in WEIGHTS.items()),
        biases=", ".join(f"{k} = {v:g}" for k, v in BIASES.items())))
    say()
    say(words["forward"])
    for name in NODES:
        say(f"  {name:5} {before[name]:17.12f}")

    net.E.backward()
    hand = hand_gradients(before)
    gradients = {name: (net.parameters[name].grad, hand[name]) for name in PARAMETERS}
    max_difference = max(abs(e - h) for e, h in gradients.values())
    for name in DERIVED:
        e, h = gradients[name]
        paths = [" → ".join(path.nodes) for path in explain(net.E, net.parameters[name]).paths]
        say()
        if len(paths) == 1:
            say(words["one_path"].format(name=name, path=paths[0]))
        else:
            say(words["two_paths"].format(name=name, count=len(paths),
                                          paths="\n".join(f"  {p}" for p in paths)))
        say(words["hand_line"].format(name=name, formula=FORMULAS[name], value=f"{h:.12f}"))
        say(words["engine_line"].format(name=name, value=f"{e:.12f}",
                                        difference=f"{abs(e - h):.1e}"))
    for name in explain_weights:
        say()
        say(words["chain_rule"].format(name=name))
        say(explain(net.E, net.parameters[name]).text(lang=lang))
    say()
    say(words["others"])
    for name, written in DELTAS.items():
        say(f"    {name} = {written}")
    say(words["others_header"])
    for name in PARAMETERS:
        if name in DERIVED:
            continue
        e, h = gradients[name]
        say(f"  {name:3}  {e:16.12f}  {h:16.12f}  {FORMULAS[name]:8}  {abs(e - h):.1e}")
    verdict = words["yes"] if max_difference <= AGREEMENT else words["no"]
    say(words["agree"].format(count=len(PARAMETERS), limit=f"{AGREEMENT:g}", verdict=verdict,
                              largest=f"{max_difference:.1e}"))

    optimizer = SGD(list(net.parameters.values()), lr=LEARNING_RATE)
    optimizer.step()
    updated = {name: v.data for name, v in net.parameters.items()}
    e_after_step = net.forward().data
    say()
    say(words["step"].format(lr=f"{LEARNING_RATE:g}"))
    for name in PARAMETERS:
        say(f"  {name:3}  {before[name]:>4g} → {updated[name]:.9f}")
    say(words["E_after_step"].format(after=f"{e_after_step:.9f}", before=f"{before['E']:.9f}"))
    e_final = e_after_step
    if steps > 1:
        descend(net.forward, optimizer, steps - 1, progress)
        e_final = net.forward().data
        say()
        say(words["after"].format(steps=steps, E=f"{e_final:.10g}",
                                  o4=f"{net['out4'].data:.9f}", t4=f"{TARGETS['t4']:g}",
                                  o5=f"{net['out5'].data:.9f}", t5=f"{TARGETS['t5']:g}"))
    return ArticleExample(before, gradients, max_difference, updated, e_after_step, steps,
                          e_final)
