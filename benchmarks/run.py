"""Every benchmark in one run: kuibu beside micrograd, the demo training step, the tape
workload of "Fastest Autograd in the West", and a microgpt step. About a minute by default.

    python benchmarks/run.py                    # every section, at the sizes below
    python benchmarks/run.py --only engine --ops 100000 --repeats 5
    python benchmarks/run.py --only tape,microgpt

Sections (each prints its table; progress goes to stderr):

- **engine** — the same graphs built and differentiated by kuibu and micrograd 0.1.0: median
  times over the repeats (build, backward, both), nanoseconds per operation, the ratio
  micrograd/kuibu (how many times faster kuibu is), and bytes per operation (tracemalloc, the
  graph kept alive after backward); once with Python's cyclic garbage collector on, as users run
  it, once with it off. The two engines take turns within each repeat. micrograd's topological
  sort is recursive and fails past about 990 nodes deep; its runs here have the recursion limit
  raised (and restored afterwards), which kuibu never needs.
- **train** — micrograd's demo training step, five ways (`benchmarks/train_step.py`).
- **tape** — 5,000 scalar operations differentiated by two Python tapes, kuibu's engine and its
  compiled program, beside the article's published figures for 10,000 (`benchmarks/tape.py`).
- **microgpt** — one microgpt training step, four ways over a floor (`benchmarks/microgpt.py`).

What a section needs and cannot find (micrograd, NumPy, PyTorch) is named in its table;
``pip install -e '.[bench]'`` installs micrograd and NumPy.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograd import Value as KuibuValue

BENCH_HINT = "pip install -e '.[bench]'"


def micrograd_value() -> Any:
    """micrograd's Value; ImportError (saying how to install it) when it is missing."""
    try:
        from micrograd.engine import Value
    except ImportError:
        raise ImportError(f"micrograd is not installed ({BENCH_HINT}: micrograd==0.1.0)") from None
    return Value


# -- workloads: each makes its leaves (untimed), then returns a build function -----------------


def chain(V: Any, ops: int) -> Callable[[], Any]:
    """y ← y·w + b, ops operations deep: the deepest graph, every node on one path."""
    x, w, b = V(0.5), V(0.999), V(0.001)

    def build() -> Any:
        y = x
        for _ in range(ops // 2):
            y = y * w + b
        return y

    return build


def tree(V: Any, ops: int) -> Callable[[], Any]:
    """The pairwise (tree) sum of ops/2 products of two leaves: wide and shallow."""
    n = ops // 2
    xs = [V(i * 1e-5) for i in range(n)]
    ys = [V(1.0 - i * 1e-6) for i in range(n)]

    def build() -> Any:
        level = [a * b for a, b in zip(xs, ys, strict=True)]
        while len(level) > 1:
            pairs = [level[i] + level[i + 1] for i in range(0, len(level) - 1, 2)]
            level = pairs + ([level[-1]] if len(level) % 2 else [])
        return level[0]

    return build


def dot(V: Any, ops: int) -> Callable[[], Any]:
    """Σ wᵢ·xᵢ with Value weights and plain-float inputs, as a neuron computes it (left fold)."""
    n = ops // 2
    ws = [V(1.0 - i * 1e-6) for i in range(n)]
    xs = [i * 1e-5 for i in range(n)]

    def build() -> Any:
        total = ws[0] * xs[0]
        for w, x in zip(ws[1:], xs[1:], strict=True):
            total = total + w * x
        return total

    return build


WORKLOADS = {"chain": chain, "tree": tree, "dot (float inputs)": dot}


@dataclass
class Timing:
    build: list[float]
    backward: list[float]

    def median(self) -> tuple[float, float, float]:
        b, g = statistics.median(self.build), statistics.median(self.backward)
        both = [x + y for x, y in zip(self.build, self.backward, strict=True)]
        return b, g, statistics.median(both)


def once(make: Callable[[], Callable[[], Any]]) -> tuple[float, float]:
    build = make()
    t0 = time.perf_counter()
    root = build()
    t1 = time.perf_counter()
    root.backward()
    t2 = time.perf_counter()
    del root
    return t1 - t0, t2 - t1


def bytes_per_op(make: Callable[[], Callable[[], Any]], ops: int) -> float:
    build = make()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        root = build()
        root.backward()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del root
    return (after - before) / ops


def measure(ops: int, repeats: int, collector: bool) -> list[dict[str, Any]]:
    """One row per workload: median times and bytes per operation of both engines."""
    micro = micrograd_value()
    deep = max(sys.getrecursionlimit(), 4 * ops + 1000)
    rows = []
    for name, workload in WORKLOADS.items():
        timings = {"kuibu": Timing([], []), "micrograd": Timing([], [])}
        for _ in range(repeats):
            for engine, value in (("kuibu", KuibuValue), ("micrograd", micro)):
                limit = sys.getrecursionlimit()
                if engine == "micrograd":
                    sys.setrecursionlimit(deep)
                gc.collect()
                if collector:
                    gc.enable()
                else:
                    gc.disable()
                try:
                    b, g = once(lambda v=value, w=workload: w(v, ops))
                finally:
                    gc.enable()
                    sys.setrecursionlimit(limit)
                timings[engine].build.append(b)
                timings[engine].backward.append(g)
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(deep)
        try:
            memory = {
                engine: bytes_per_op(lambda v=value, w=workload: w(v, ops), ops)
                for engine, value in (("kuibu", KuibuValue), ("micrograd", micro))
            }
        finally:
            sys.setrecursionlimit(limit)
        k, m = timings["kuibu"].median(), timings["micrograd"].median()
        rows.append({
            "workload": name, "kuibu": k, "micrograd": m,
            "ratio": tuple(mi / ki for mi, ki in zip(m, k, strict=True)),
            "bytes": (memory["kuibu"], memory["micrograd"]),
        })
    return rows


def table(rows: list[dict[str, Any]], ops: int, title: str) -> str:
    ns = 1e9 / ops
    lines = [
        f"### {title}",
        "",
        "| workload | step | kuibu ns/op | micrograd ns/op | micrograd/kuibu |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for r in rows:
        for i, step in enumerate(("build", "backward", "both")):
            lines.append(
                f"| {r['workload']} | {step} | {r['kuibu'][i] * ns:,.0f} | "
                f"{r['micrograd'][i] * ns:,.0f} | {r['ratio'][i]:.1f}x |"
            )
    lines += [
        "",
        "| workload | kuibu bytes/op | micrograd bytes/op | kuibu / micrograd |",
        "| --- | ---: | ---: | ---: |",
    ]
    for r in rows:
        k, m = r["bytes"]
        lines.append(f"| {r['workload']} | {k:,.0f} | {m:,.0f} | {k / m:.2f} |")
    return "\n".join(lines)


SECTIONS = ("engine", "train", "tape", "microgpt")


def engine_section(ops: int, repeats: int, say: Callable[[str], None]) -> str:
    try:
        micrograd_value()
    except ImportError as e:
        return f"## kuibu beside micrograd\n\n{e}; this section needs it."
    parts = [f"## kuibu beside micrograd\n\nPython {sys.version.split()[0]}; {ops:,} operations "
             f"per workload; median of {repeats} repeats; micrograd's recursion limit raised "
             "for its runs."]
    for collector in (True, False):
        title = "garbage collector on" if collector else "garbage collector off"
        say(f"engine: {title} ...")
        parts.append(table(measure(ops, repeats, collector), ops, title))
    return "\n\n".join(parts)


def train_section(repeats: int, say: Callable[[str], None]) -> str:
    from benchmarks import train_step

    say("train: micrograd's demo step, five ways ...")
    rows = train_step.run(repeats)
    missing = {
        "numpy_s": f"NumPy not installed ({BENCH_HINT})",
        "micrograd_s": f"micrograd not installed ({BENCH_HINT})",
    }
    names = [("kuibu_s", "kuibu engine"), ("compiled_s", "kuibu compiled"),
             ("numpy_s", "kuibu numpy batch"), ("floor_s", "hand-written floor"),
             ("micrograd_s", "micrograd 0.1.0")]
    lines = [f"## micrograd's demo training step\n\nMLP(2, [16, 16, 1]) on 100 two-moons "
             f"points, median of {repeats} steps"]
    for row in rows:
        lines += ["", f"garbage collector {row['gc']}", "",
                  "| step | seconds/step | micrograd/this | this/floor |",
                  "| --- | ---: | ---: | ---: |"]
        for key, name in names:
            seconds = row[key]
            if seconds != seconds:  # nan: the contender is not installed
                lines.append(f"| {name} | {missing.get(key, 'not available')} | | |")
                continue
            micro = row["micrograd_s"]
            ratio = f"{micro / seconds:.1f}x" if micro == micro else "—"
            lines.append(f"| {name} | {seconds:.5f} | {ratio} | "
                         f"{seconds / row['floor_s']:.2f}x |")
    return "\n".join(lines)


def tape_section(ops: int, iterations: int, say: Callable[[str], None], cpu_time: bool) -> str:
    from benchmarks import tape

    medians, notes = tape.measure(ops, iterations, lambda text: say(f"tape: {text}"), cpu_time)
    return ("## Fastest Autograd in the West (the tape workload)\n\n"
            + tape.table(medians, notes, ops, iterations, cpu_time))


def microgpt_section(repeats: int, say: Callable[[str], None], cpu_time: bool) -> str:
    from benchmarks import microgpt

    result = microgpt.run(repeats, (True,), say, cpu_time)
    return "## microgpt\n\n" + microgpt.table(result)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"sections to run, comma-separated ({','.join(SECTIONS)})")
    parser.add_argument("--ops", type=int, default=20_000,
                        help="engine: operations per workload (20,000)")
    parser.add_argument("--repeats", type=int, default=3, help="engine: repeats (3)")
    parser.add_argument("--train-repeats", type=int, default=5, help="train: steps (5)")
    parser.add_argument("--tape-ops", type=int, default=5_000, help="tape: operations (5,000)")
    parser.add_argument("--tape-iterations", type=int, default=5, help="tape: passes (5)")
    parser.add_argument("--microgpt-repeats", type=int, default=3, help="microgpt: steps (3)")
    parser.add_argument("--cpu-time", action="store_true",
                        help="tape, microgpt: time by CPU time (steadier on a busy machine)")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown or not chosen:
        parser.error(f"--only takes sections among {', '.join(SECTIONS)}, not {args.only!r}")
    if args.ops < 4 or min(args.repeats, args.train_repeats, args.tape_iterations,
                           args.microgpt_repeats) < 1:
        parser.error("--ops must be at least 4 and every repeat count at least 1")
    if args.tape_ops < 40:
        parser.error("--tape-ops must be at least 40")
    start = time.perf_counter()

    def say(text: str) -> None:
        print(f"[{time.perf_counter() - start:5.1f} s] {text}", file=sys.stderr, flush=True)

    runs: dict[str, Callable[[], str]] = {
        "engine": lambda: engine_section(args.ops, args.repeats, say),
        "train": lambda: train_section(args.train_repeats, say),
        "tape": lambda: tape_section(args.tape_ops, args.tape_iterations, say, args.cpu_time),
        "microgpt": lambda: microgpt_section(args.microgpt_repeats, say, args.cpu_time),
    }
    for i, name in enumerate(chosen, start=1):
        say(f"section {i} of {len(chosen)}: {name}")
        print(runs[name]())
        print()
    say("done")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
