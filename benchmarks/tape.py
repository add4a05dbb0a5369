"""A public speed anchor: the workload of "Fastest Autograd in the West" (A. Rogozhnikov, 2023).

    python benchmarks/tape.py                  # 10,000 operations x 10 passes (seconds)
    python benchmarks/tape.py --full           # 10,000 x 10,000, the article's size (hours)
    python benchmarks/tape.py --ops 2000 --iterations 50
    python benchmarks/tape.py --cpu-time       # CPU time: steadier on a busy machine

The workload, as the article defines it: 100 leaves holding 0, 1, ..., 99, then operations that
cycle through four kinds, each reading the nodes made last — softplus(nodes[-10]); the sum of
nodes[-30:-10:5] (four nodes); the product nodes[-20]·nodes[-10]; the softmax of nodes[-4:]
(four outputs, one operation). The root is the last node; a pass computes its value and its
gradient with respect to every leaf. The article takes 10,000 operations through 10,000 passes
and reports, on an M1 MacBook (`PUBLISHED`): PyTorch 1130 s (estimated from 100 passes), JAX
with jit 470 s (estimated; almost all of it compiling), a naive Python tape 312 s, a Python tape
over flat lists of indices 94 s, the same under numba 41 s, Rust 1.4 s, C 0.99 s.

Here, side by side in one run on this machine (our own code for the two Python tapes):

- **naive tape** — an object per variable and a list of (operation, inputs, outputs) records,
  built afresh and swept backwards at every pass, as the article's first Python version;
- **index tape** — values and gradients in two flat lists, operations recorded once as lists of
  indices, then every pass replays the forward and the backward loop over them;
- **kuibu engine** — the graph built from Values at every pass, then ``backward()``;
- **kuibu compiled** — the graph recorded once and written as a program by `autograd.codegen`
  (the time to write it is reported apart), then every pass calls the program;
- **PyTorch** (when installed) — the article's own formulation, one 0-d tensor per node; it
  relates this machine to the article's (the published PyTorch figure is measured the same way).
  It runs in a process of its own, after the others: importing torch makes hundreds of
  thousands of objects that Python's garbage collector would otherwise walk while the others run.

Every contender's root value and gradients are checked against the index tape's before any
timing. The contenders take turns, each running `block` passes in a row (the article runs
10,000 in a row; a program of 100,000 lines runs from the processor's caches only when it ran
just before, so `--block 1`, one pass each in turn, shows its cost when it has to be fetched
again). Before any timing each contender runs `warmup` passes untimed, as a long run's first
passes are: Python 3.11 specialises a function's instructions only after its first 8 calls,
and straight-line code (the compiled program) runs each instruction once per call, so those
first calls run it unspecialised, about twice as slow. Times are medians of the passes, scaled
to 10,000 passes.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import math
import operator
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograd import Value, codegen, linear

LEAVES = 100
BLOCK = 5  #: passes each contender runs in a row before the next one's turn
WARMUP = 10  #: untimed passes of each contender first (see the module's docstring)

#: The article's timings for 10,000 operations x 10,000 passes, in seconds (M1 MacBook).
PUBLISHED: dict[str, float] = {
    "PyTorch (estimated)": 1130.0,
    "JAX, jit (estimated)": 470.0,
    "naive Python tape": 312.0,
    "index Python tape": 94.0,
    "index tape + numba": 41.0,
    "Rust": 1.4,
    "C": 0.99,
}


def _softplus(x: float) -> float:
    # log(1 + e^x) without overflow: e^x is never taken of a large x.
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _sigmoid(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _softmax(xs: Sequence[float]) -> list[float]:
    top = max(xs)
    exps = [math.exp(x - top) for x in xs]
    total = sum(exps)
    return [e / total for e in exps]


def build(leaves: Sequence[Any], ops: int, softplus: Callable[[Any], Any],
          total: Callable[[Sequence[Any]], Any], prod: Callable[[Any, Any], Any],
          softmax: Callable[[Sequence[Any]], list[Any]]) -> list[Any]:
    """The article's graph over any kind of node, given its four operations."""
    nodes = list(leaves)
    for op in range(ops):
        kind = op % 4
        if kind == 0:
            nodes.append(softplus(nodes[-10]))
        elif kind == 1:
            nodes.append(total(nodes[-30:-10:5]))
        elif kind == 2:
            nodes.append(prod(nodes[-20], nodes[-10]))
        else:
            nodes.extend(softmax(nodes[-4:]))
    return nodes


# -- the naive tape: objects, rebuilt every pass -----------------------------------------------


class NaiveVar:
    """A variable of the naive tape: its value and its gradient."""

    __slots__ = ("grad", "val")

    def __init__(self, val: float) -> None:
        self.val = val
        self.grad = 0.0


class NaiveTape:
    """Records each operation as (kind, inputs, outputs); `backward` walks them in reverse."""

    def __init__(self) -> None:
        self.ops: list[tuple[str, Sequence[NaiveVar], Sequence[NaiveVar]]] = []

    def softplus(self, x: NaiveVar) -> NaiveVar:
        out = NaiveVar(_softplus(x.val))
        self.ops.append(("softplus", (x,), (out,)))
        return out

    def sum(self, xs: Sequence[NaiveVar]) -> NaiveVar:
        out = NaiveVar(sum(x.val for x in xs))
        self.ops.append(("sum", xs, (out,)))
        return out

    def prod(self, a: NaiveVar, b: NaiveVar) -> NaiveVar:
        out = NaiveVar(a.val * b.val)
        self.ops.append(("prod", (a, b), (out,)))
        return out

    def softmax(self, xs: Sequence[NaiveVar]) -> list[NaiveVar]:
        outs = [NaiveVar(p) for p in _softmax([x.val for x in xs])]
        self.ops.append(("softmax", xs, outs))
        return outs

    def backward(self, root: NaiveVar) -> None:
        root.grad = 1.0
        for kind, ins, outs in reversed(self.ops):
            if kind == "softplus":
                ins[0].grad += outs[0].grad * _sigmoid(ins[0].val)
            elif kind == "sum":
                g = outs[0].grad
                for x in ins:
                    x.grad += g
            elif kind == "prod":
                g = outs[0].grad
                a, b = ins
                a.grad += g * b.val
                b.grad += g * a.val
            else:  # softmax: ∂L/∂xᵢ = pᵢ·(gᵢ − Σⱼ pⱼgⱼ)
                mean = sum(y.val * y.grad for y in outs)
                for x, y in zip(ins, outs, strict=True):
                    x.grad += y.val * (y.grad - mean)


def naive_pass(ops: int) -> tuple[float, list[float]]:
    tape = NaiveTape()
    leaves = [NaiveVar(float(i)) for i in range(LEAVES)]
    nodes = build(leaves, ops, tape.softplus, tape.sum, tape.prod, tape.softmax)
    tape.backward(nodes[-1])
    return nodes[-1].val, [x.grad for x in leaves]


# -- the index tape: flat lists, recorded once, replayed every pass ----------------------------

SOFTPLUS, SUM, PROD, SOFTMAX = range(4)


class IndexTape:
    """Values in one flat list; each operation is (kind, input indices, output indices)."""

    def __init__(self) -> None:
        self.vals: list[float] = []
        self.ops: list[tuple[int, list[int], list[int]]] = []

    def var(self, value: float) -> int:
        self.vals.append(value)
        return len(self.vals) - 1

    def record(self, leaves: Sequence[float], ops: int) -> int:
        """Record the graph over the leaves (indices 0 .. len-1); returns the root's index."""
        v = self.vals

        def softplus(x: int) -> int:
            out = self.var(_softplus(v[x]))
            self.ops.append((SOFTPLUS, [x], [out]))
            return out

        def total(xs: Sequence[int]) -> int:
            out = self.var(sum(v[x] for x in xs))
            self.ops.append((SUM, list(xs), [out]))
            return out

        def prod(a: int, b: int) -> int:
            out = self.var(v[a] * v[b])
            self.ops.append((PROD, [a, b], [out]))
            return out

        def softmax(xs: Sequence[int]) -> list[int]:
            outs = [self.var(p) for p in _softmax([v[x] for x in xs])]
            self.ops.append((SOFTMAX, list(xs), outs))
            return outs

        nodes = build([self.var(x) for x in leaves], ops, softplus, total, prod, softmax)
        return int(nodes[-1])

    def forward_backward(self, leaves: Sequence[float], root: int) -> tuple[float, list[float]]:
        v = self.vals
        v[:len(leaves)] = leaves
        for kind, ins, outs in self.ops:
            if kind == SOFTPLUS:
                v[outs[0]] = _softplus(v[ins[0]])
            elif kind == SUM:
                v[outs[0]] = sum(v[i] for i in ins)
            elif kind == PROD:
                v[outs[0]] = v[ins[0]] * v[ins[1]]
            else:
                for o, p in zip(outs, _softmax([v[i] for i in ins]), strict=True):
                    v[o] = p
        g = [0.0] * len(v)
        g[root] = 1.0
        for kind, ins, outs in reversed(self.ops):
            if kind == SOFTPLUS:
                g[ins[0]] += g[outs[0]] * _sigmoid(v[ins[0]])
            elif kind == SUM:
                go = g[outs[0]]
                for i in ins:
                    g[i] += go
            elif kind == PROD:
                go = g[outs[0]]
                a, b = ins
                g[a] += go * v[b]
                g[b] += go * v[a]
            else:
                mean = sum(v[o] * g[o] for o in outs)
                for i, o in zip(ins, outs, strict=True):
                    g[i] += v[o] * (g[o] - mean)
        return v[root], g[:len(leaves)]


# -- kuibu -------------------------------------------------------------------------------------


def _kuibu_sum(xs: Sequence[Value]) -> Value:
    return linear([1.0] * len(xs), xs)  # the n-ary sum as one node


def _kuibu_softmax(xs: Sequence[Value]) -> list[Value]:
    top = max(x.data for x in xs)  # a number: softmax does not change when all move alike
    exps = [(x - top).exp() for x in xs]
    total = _kuibu_sum(exps)
    return [e / total for e in exps]


def kuibu_graph(ops: int) -> tuple[Value, list[Value]]:
    leaves = [Value(float(i), label=f"x{i}") for i in range(LEAVES)]
    nodes = build(leaves, ops, Value.softplus, _kuibu_sum, operator.mul, _kuibu_softmax)
    return nodes[-1], leaves


def kuibu_pass(ops: int) -> tuple[float, list[float]]:
    root, leaves = kuibu_graph(ops)
    root.backward()
    return root.data, [x.grad for x in leaves]


# -- PyTorch (optional) ------------------------------------------------------------------------


def torch_pass(torch: Any, ops: int) -> tuple[float, list[float]]:
    functional = torch.nn.functional
    leaves = torch.arange(LEAVES, dtype=torch.float64, requires_grad=True)
    nodes = build(list(leaves), ops, functional.softplus, lambda xs: sum(xs), operator.mul,
                  lambda xs: list(torch.softmax(torch.stack(list(xs)), dim=0)))
    nodes[-1].backward()
    return float(nodes[-1].detach()), leaves.grad.tolist()


# -- the run -----------------------------------------------------------------------------------


def contenders(ops: int, progress: Callable[[str], None] | None = None,
               ) -> tuple[dict[str, Callable[[], tuple[float, list[float]]]], dict[str, Any]]:
    """Each contender's pass, ready to time (recording and compiling done here, timed apart),
    and notes: the compile time, and why a contender is missing."""
    say = progress or (lambda text: None)
    notes: dict[str, Any] = {}
    leaves = [float(i) for i in range(LEAVES)]
    tape = IndexTape()
    start = time.perf_counter()
    root = tape.record(leaves, ops)
    notes["index tape: recording"] = time.perf_counter() - start
    say("writing the compiled program ...")
    graph_root, graph_leaves = kuibu_graph(ops)
    start = time.perf_counter()
    program = codegen(graph_root, wrt=graph_leaves)
    notes["kuibu compiled: writing the program"] = time.perf_counter() - start
    start = time.perf_counter()
    program.function  # noqa: B018 - compiled here, so that no pass pays for it
    notes["kuibu compiled: compiling it (Python's compile)"] = time.perf_counter() - start
    del graph_root, graph_leaves
    passes: dict[str, Callable[[], tuple[float, list[float]]]] = {
        "naive tape": lambda: naive_pass(ops),
        "index tape": lambda: tape.forward_backward(leaves, root),
        "kuibu engine": lambda: kuibu_pass(ops),
        "kuibu compiled": lambda: _program_pass(program, leaves),
    }
    return passes, notes


def torch_worker(ops: int, iterations: int, cpu_time: bool = False) -> dict[str, Any]:
    """PyTorch's first pass (value, gradients) and the seconds of `iterations` more passes."""
    import torch

    clock = time.process_time if cpu_time else time.perf_counter
    value, grads = torch_pass(torch, ops)
    times = []
    for _ in range(WARMUP):
        torch_pass(torch, ops)
    for _ in range(iterations):
        gc.collect()
        start = clock()
        torch_pass(torch, ops)
        times.append(clock() - start)
    return {"value": value, "grads": grads, "times": times}


def torch_in_its_own_process(ops: int, iterations: int,
                             cpu_time: bool = False) -> dict[str, Any] | str:
    """`torch_worker` run by another Python process; a str saying why when it cannot run."""
    if importlib.util.find_spec("torch") is None:
        return "not installed (pip install torch)"
    result = subprocess.run(
        [sys.executable, __file__, "--torch-worker", "--ops", str(ops), "--iterations",
         str(iterations), *(["--cpu-time"] if cpu_time else [])], capture_output=True, text=True,
    )
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines() or ["no message"]
        return f"failed: {lines[-1]}"
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def _program_pass(program: Any, leaves: Sequence[float]) -> tuple[float, list[float]]:
    value, grads = program(*leaves)
    return value, list(grads)


def check(passes: dict[str, Callable[[], tuple[float, list[float]]]]) -> None:
    """Every contender's value and gradients agree with the index tape's (to 1e-9)."""
    want = passes["index tape"]()
    for name, run in passes.items():
        _agrees(name, run(), want)


def _agrees(name: str, got: tuple[float, list[float]], want: tuple[float, list[float]]) -> None:
    (value, grads), (want_value, want_grads) = got, want
    scale = max(1.0, max(abs(g) for g in want_grads))
    if abs(value - want_value) > 1e-9 * max(1.0, abs(want_value)) or any(
        abs(a - b) > 1e-9 * scale for a, b in zip(grads, want_grads, strict=True)
    ):
        raise AssertionError(f"{name} computes another value or gradient than the index tape")


def measure(ops: int, iterations: int, progress: Callable[[str], None] | None = None,
            cpu_time: bool = False, block: int = BLOCK, warmup: int = WARMUP,
            ) -> tuple[dict[str, float], dict[str, Any]]:
    """Median seconds per pass of each contender, the contenders taking turns `block` passes
    at a time (GC on); by the process's CPU time with `cpu_time`, else by the wall clock."""
    say = progress or (lambda text: None)
    clock = time.process_time if cpu_time else time.perf_counter
    passes, notes = contenders(ops, say)
    say("checking that every contender computes the same ...")
    check(passes)
    say(f"{warmup} untimed passes of each contender ...")
    for run in passes.values():
        for _ in range(warmup):
            run()
    times: dict[str, list[float]] = {name: [] for name in passes}
    done = 0
    while done < iterations:
        count = min(block, iterations - done)
        say(f"passes {done + 1}-{done + count} / {iterations}")
        for name, run in passes.items():
            gc.collect()
            for _ in range(count):
                start = clock()
                run()
                times[name].append(clock() - start)
        done += count
    medians = {name: statistics.median(t) for name, t in times.items()}
    say("PyTorch, in a process of its own ...")
    torch = torch_in_its_own_process(ops, iterations, cpu_time)
    if isinstance(torch, str):
        notes["PyTorch"] = torch
    else:
        _agrees("PyTorch", (torch["value"], torch["grads"]), passes["index tape"]())
        medians["PyTorch (own process)"] = statistics.median(torch["times"])
    return medians, notes


def table(medians: dict[str, float], notes: dict[str, Any], ops: int, iterations: int,
          cpu_time: bool = False, block: int = BLOCK, warmup: int = WARMUP) -> str:
    base = medians["index tape"]
    lines = [
        f"{ops:,} operations, median of {iterations} passes each ({min(block, iterations)} in a "
        f"row per turn, after {warmup} untimed), scaled to 10,000 passes (Python "
        f"{sys.version.split()[0]}, garbage collector on{', CPU time' if cpu_time else ''})",
        "",
        "| contender | ms per pass | 10,000 passes | / index tape |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, seconds in medians.items():
        lines.append(f"| {name} | {seconds * 1000:,.2f} | {seconds * 10_000:,.0f} s | "
                     f"{seconds / base:.2f} |")
    for name, note in notes.items():
        if isinstance(note, str):
            lines.append(f"| {name} | {note} | | |")
    lines += [""]
    lines += [f"{name}: {seconds:.2f} s, once" for name, seconds in notes.items()
              if isinstance(seconds, float)]
    lines += ["", "Published (the article, M1 MacBook, 10,000 operations x 10,000 passes):",
              "", "| contender | 10,000 passes | / index tape |", "| --- | ---: | ---: |"]
    index = PUBLISHED["index Python tape"]
    for name, seconds in PUBLISHED.items():
        lines.append(f"| {name} | {seconds:,.2f} s | {seconds / index:.2f} |")
    if ops != 10_000:
        lines.append("")
        lines.append(f"(the published figures are for 10,000 operations; these for {ops:,})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ops", type=int, default=10_000, help="operations (10,000)")
    parser.add_argument("--iterations", type=int, default=10, help="timed passes (10)")
    parser.add_argument("--full", action="store_true",
                        help="the article's size: 10,000 operations x 10,000 passes (hours)")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time by the process's CPU time (steadier on a busy machine)")
    parser.add_argument("--block", type=int, default=BLOCK,
                        help=f"passes each contender runs in a row per turn ({BLOCK})")
    parser.add_argument("--warmup", type=int, default=WARMUP,
                        help=f"untimed passes of each contender first ({WARMUP})")
    parser.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.torch_worker:  # the PyTorch passes, for the process that measures the others
        print(json.dumps(torch_worker(args.ops, args.iterations, args.cpu_time)))
        return 0
    if args.full:
        args.ops, args.iterations = 10_000, 10_000
    if args.ops < 40 or args.iterations < 1 or args.block < 1 or args.warmup < 0:
        parser.error("--ops must be at least 40, --iterations and --block at least 1, "
                     "--warmup at least 0")
    medians, notes = measure(args.ops, args.iterations,
                             lambda text: print(text, file=sys.stderr, flush=True), args.cpu_time,
                             args.block, args.warmup)
    print(table(medians, notes, args.ops, args.iterations, args.cpu_time, args.block,
                args.warmup))
    return 0


if __name__ == "__main__":
    sys.exit(main())
