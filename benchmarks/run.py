"""kuibu beside micrograd 0.1.0: the same graphs built and differentiated in one run.

    python benchmarks/run.py            # 100,000 operations per workload, 5 repeats
    python benchmarks/run.py --ops 20000 --repeats 3

Prints, for each workload, median times over the repeats (build, backward, both), nanoseconds per
operation, the ratio micrograd/kuibu (how many times faster kuibu is), and bytes per operation
(tracemalloc, the graph kept alive after backward). A first table runs with Python's cyclic
garbage collector on, as users run it; a second with it off. The two engines take turns within
each repeat, so both see the same machine noise.

micrograd's topological sort is recursive and fails past about 990 nodes deep; its runs here have
the recursion limit raised (and restored afterwards), which kuibu never needs.
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


def micrograd_value() -> Any:
    try:
        from micrograd.engine import Value
    except ImportError:
        sys.exit("micrograd is not installed: pip install -e '.[bench]' (micrograd==0.1.0)")
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ops", type=int, default=100_000, help="operations per workload")
    parser.add_argument("--repeats", type=int, default=5, help="repeats; medians are reported")
    args = parser.parse_args(argv)
    if args.ops < 4 or args.repeats < 1:
        parser.error("--ops must be at least 4 and --repeats at least 1")
    print(f"Python {sys.version.split()[0]}; {args.ops:,} operations per workload; "
          f"median of {args.repeats} repeats; micrograd's recursion limit raised for its runs.")
    for collector in (True, False):
        rows = measure(args.ops, args.repeats, collector)
        title = "garbage collector on" if collector else "garbage collector off"
        print()
        print(table(rows, args.ops, title))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
