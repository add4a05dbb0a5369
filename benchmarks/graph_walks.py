"""Three walks over a whole graph on one long chain: backward, topological order, zero_grad.

All three visit every node once, so none should cost much more than another; the figures are
medians over `repeats` runs, and the ratios are to `backward()`. The chain alternates ``y * c``
and ``y + x`` (a constant and a leaf), one node per operation.

    python benchmarks/graph_walks.py [--ops N] [--repeats N]

`run(ops, repeats)` returns the medians in seconds, by walk.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograd import Value, graph, topological_order


def chain(ops: int) -> Value:
    """A chain of `ops` operations: every node is used once, by the next one."""
    x = Value(0.5, label="x")
    y = Value(1.0, label="y")
    for i in range(ops):
        y = y * 0.9999999 if i % 2 else y + x
    return y


def run(ops: int, repeats: int) -> dict[str, float]:
    """Median seconds of each walk over one chain of `ops` operations.

    The walks take turns within each repeat, so a change in the machine's load touches them all.
    """
    root = chain(ops)
    walks: dict[str, Callable[[], object]] = {
        "backward": root.backward,
        "topological_order": lambda: topological_order(root),
        "Value.zero_grad": root.zero_grad,
        "graph.zero_grad": lambda: graph.zero_grad(root),
    }
    gc.collect()
    times: dict[str, list[float]] = {name: [] for name in walks}
    for _ in range(repeats):
        for name, walk in walks.items():
            start = time.perf_counter()
            walk()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(seconds) for name, seconds in times.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=1_000_000, help="operations in the chain")
    parser.add_argument("--repeats", type=int, default=5, help="runs per walk (the median)")
    args = parser.parse_args(argv)
    medians = run(args.ops, args.repeats)
    print(f"chain of {args.ops:,} operations, median of {args.repeats} runs")
    print("| walk | seconds | × backward |")
    print("|---|---:|---:|")
    for name, seconds in medians.items():
        print(f"| {name} | {seconds:.3f} | {seconds / medians['backward']:.2f} |")


if __name__ == "__main__":
    main()
