"""One microgpt training step, taken four ways side by side, over a floor.

    python benchmarks/microgpt.py              # median of 5 steps each, garbage collector on
    python benchmarks/microgpt.py --repeats 9 --gc-off
    python benchmarks/microgpt.py --cpu-time      # CPU time: steadier on a busy machine

The step: microgpt's model (n_embd 16, 4 heads, 1 layer, block 16, 4,192 parameters) on one
document ("olivia": 7 positions), forward to the mean loss, backward, and microgpt's Adam update.
Taken by:

- **microgpt's Value** — microgpt's program on a Value with its semantics, written by us
  (`benchmarks/microgpt_reference.py`): what microgpt.py itself does;
- **kuibu, as written** — the same program with kuibu's `autograd.Value` in its place (one node
  per ``+`` and ``*``, as microgpt writes them);
- **kuibu nn.GPT** — the same model from `nn` (one `linear` node per matrix-vector output), with
  `nn.Adam(decay_steps=...)`;
- **kuibu compiled** — nn.GPT's step replayed as a program by `autograd.codegen`, one per
  document length (`nn.microgpt.CompiledLoss`: any document of 6 characters runs the program
  "olivia" wrote; the time to write it is reported apart). Its losses and gradients are the
  engine's bit for bit: after the timing, its weights are checked to equal nn.GPT's;
- **the floor** — microgpt's forward on `Plain`, a number that records nothing (one slotted
  object per operation, no graph): what the program's own Python costs, under any engine that
  makes an object per operation. Its row has a forward only.

All start from the same weights (microgpt's, seed 42) and their first losses are checked to
agree before anything is timed. Each then takes `warmup` untimed steps (Python 3.11 specialises
a function's instructions only after its first 8 calls; the compiled program, straight-line
code, runs each instruction once per call, so its first calls run about twice as slow). Each
figure is the median of `repeats` steps, the contenders taking turns, with Python's cyclic
garbage collector on (as users run), and off with --gc-off.
`run(repeats)` returns the rows for `benchmarks/run.py`.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograd import Value, topological_order
from benchmarks.microgpt_reference import MicroValue, Plain, Run
from nn import Adam
from nn.microgpt import CompiledLoss, build, load_names

DOC = "olivia"
WARMUP = 8  #: untimed steps of each contender first
STEPS = 1000  # microgpt's schedule: the learning rate falls over 1,000 steps


Clock = Callable[[], float]


def _reference_step(run: Run, clock: Clock) -> tuple[float, float]:
    """(forward seconds, backward + update seconds) of one step of microgpt's program."""
    start = clock()
    loss = run.loss(DOC)
    middle = clock()
    loss.backward()
    run.update()
    return middle - start, clock() - middle


class NNStep:
    """nn.GPT's step, by the engine or by a compiled program of its graph."""

    def __init__(self, compiled: bool) -> None:
        self.model, _, _ = build(load_names(), 42)
        self.params = self.model.parameters()
        self.opt = Adam(self.params, lr=0.01, betas=(0.85, 0.99), eps=1e-8, decay_steps=STEPS)
        self.replay: CompiledLoss | None = None
        self.codegen_seconds = 0.0
        self.nodes = len(topological_order(self.model.loss(DOC)))
        if compiled:
            self.replay = CompiledLoss(self.model)
            start = time.perf_counter()
            self.replay.program(len(self.model.encode(DOC)) - 1)
            self.codegen_seconds = time.perf_counter() - start

    def __call__(self, clock: Clock) -> tuple[float, float]:
        start = clock()
        if self.replay is not None:
            _, grads = self.replay.loss_and_grads(DOC)
            middle = clock()
            for p, g in zip(self.params, grads, strict=True):
                p.grad = g
        else:
            loss = self.model.loss(DOC)
            middle = clock()
            self.opt.zero_grad()
            loss.backward()
        self.opt.step()
        return middle - start, clock() - middle

    def first_loss(self) -> float:
        if self.replay is not None:
            return self.replay.loss_and_grads(DOC)[0]
        return self.model.loss(DOC).data


NAMES = {
    "microgpt": "microgpt's Value (ours)",
    "as_written": "kuibu, as written",
    "nn": "kuibu nn.GPT",
    "compiled": "kuibu compiled",
    "floor": "the floor: a number that records nothing (forward only)",
}


def contenders() -> tuple[dict[str, Callable[[Clock], tuple[float, float]]], dict[str, Any]]:
    docs = load_names()
    reference, ours, floor = Run(MicroValue, docs), Run(Value, docs), Run(Plain, docs)
    engine, compiled = NNStep(compiled=False), NNStep(compiled=True)
    firsts = {
        "microgpt": reference.loss(DOC).data, "as_written": ours.loss(DOC).data,
        "nn": engine.first_loss(), "compiled": compiled.first_loss(),
        "floor": floor.loss(DOC).data,
    }
    for name, loss in firsts.items():
        if abs(loss - firsts["microgpt"]) > 1e-12 * abs(firsts["microgpt"]):
            raise AssertionError(f"{NAMES[name]}'s first loss {loss!r} is not microgpt's "
                                 f"{firsts['microgpt']!r}")
    info = {
        "nodes": {"microgpt": len(_micro_nodes(reference.loss(DOC))),
                  "as_written": len(topological_order(ours.loss(DOC))),
                  "nn": engine.nodes, "compiled": compiled.nodes, "floor": 0},
        "codegen_seconds": compiled.codegen_seconds,
        "models": (engine.model, compiled.model),
        "parameters": len(engine.params),
    }
    steps = {
        "microgpt": lambda clock: _reference_step(reference, clock),
        "as_written": lambda clock: _reference_step(ours, clock),
        "nn": engine,
        "compiled": compiled,
        "floor": lambda clock: _forward_only(floor, clock),
    }
    return steps, info


def _forward_only(run: Run, clock: Clock) -> tuple[float, float]:
    start = clock()
    run.loss(DOC)
    return clock() - start, 0.0


def _micro_nodes(root: MicroValue) -> set[int]:
    seen: set[int] = set()
    stack = [root]
    while stack:
        v = stack.pop()
        if id(v) not in seen:
            seen.add(id(v))
            stack.extend(v._children)
    return seen


def run(repeats: int = 5, collectors: tuple[bool, ...] = (True,),
        progress: Callable[[str], None] | None = None, cpu_time: bool = False,
        warmup: int = WARMUP) -> dict[str, Any]:
    """{"rows": [{"gc", name: (forward, backward, step) medians in seconds, ...}], "info"}.

    With `cpu_time` the steps are timed by the process's CPU time, not the wall clock: on a
    machine shared with other work the figures then move less (waiting for a core is not
    counted; the collector's work is)."""
    clock = time.process_time if cpu_time else time.perf_counter
    say = progress or (lambda text: None)
    say("microgpt: building the contenders (writing the compiled program) ...")
    steps, info = contenders()
    say(f"microgpt: {warmup} untimed steps of each contender ...")
    for step in steps.values():
        for _ in range(warmup):
            step(clock)
    rows = []
    for collector in collectors:
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in steps}
        for i in range(repeats):
            say(f"microgpt: step {i + 1} / {repeats} (garbage collector "
                f"{'on' if collector else 'off'})")
            for name, step in steps.items():
                gc.collect()
                if not collector:
                    gc.disable()
                try:
                    times[name].append(step(clock))
                finally:
                    gc.enable()
        row: dict[str, Any] = {"gc": "on" if collector else "off"}
        for name, pairs in times.items():
            row[name] = (statistics.median(f for f, _ in pairs),
                         statistics.median(b for _, b in pairs),
                         statistics.median(f + b for f, b in pairs))
        rows.append(row)
    engine, compiled = info.pop("models")
    if engine.get_weights() != compiled.get_weights():
        raise AssertionError("kuibu compiled's weights are not nn.GPT's after the same steps")
    return {"rows": rows, "info": info, "repeats": repeats, "cpu_time": cpu_time,
            "warmup": warmup}


def table(result: dict[str, Any]) -> str:
    info = result["info"]
    lines = [
        f"microgpt's training step on {DOC!r} ({info['parameters']:,} parameters), median of "
        f"{result['repeats']} steps after {result.get('warmup', 0)} untimed (Python "
        f"{sys.version.split()[0]}"
        f"{'; CPU time' if result.get('cpu_time') else ''})",
    ]
    for row in result["rows"]:
        base = row["microgpt"][2]
        lines += [
            "",
            f"garbage collector {row['gc']}",
            "",
            "| step | nodes | forward ms | backward + Adam ms | step ms | microgpt / this |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for key, name in NAMES.items():
            f, b, s = row[key]
            if key == "floor":
                lines.append(f"| {name} | 0 | {f * 1000:,.1f} | | | |")
                continue
            lines.append(f"| {name} | {info['nodes'][key]:,} | {f * 1000:,.1f} | "
                         f"{b * 1000:,.1f} | {s * 1000:,.1f} | {base / s:.1f}x |")
    lines += ["", f"writing the compiled program (once per document length): "
                  f"{info['codegen_seconds']:.1f} s; its weights equal nn.GPT's, bit for bit, "
                  "after the same steps"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="steps timed per figure (5)")
    parser.add_argument("--gc-off", action="store_true", help="also with the collector off")
    parser.add_argument("--warmup", type=int, default=WARMUP,
                        help=f"untimed steps of each contender first ({WARMUP})")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time by the process's CPU time (steadier on a busy machine)")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.warmup < 0:
        parser.error("--repeats must be at least 1 and --warmup at least 0")
    collectors = (True, False) if args.gc_off else (True,)
    result = run(args.repeats, collectors, lambda text: print(text, file=sys.stderr, flush=True),
                 args.cpu_time, args.warmup)
    print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
