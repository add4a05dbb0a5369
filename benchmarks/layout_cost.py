"""Graphviz's dot on drawings of several shapes: its CPU time beside `viz.cost`'s estimate.

The constants of `viz/cost.py` come from runs of this script. Each graph is drawn by `draw_dot`
and laid out by `dot -Tsvg` as recorded (stopped at `--timeout`: "inf") and, when `viz.cost`
would spread it, spread. The figures are dot's CPU seconds (steadier than wall time on a busy
machine), medians of `--repeats` runs.

    python benchmarks/layout_cost.py [--timeout S] [--repeats N] [--only NAME]

Shapes: a sum x+x+…+x of n terms, sin(x*1)+…+sin(x*n), a chain tanh(tanh(…x)), a polynomial
x+x**2+…+x**n, random graphs with shared subexpressions, nn's MLP(2, [k, k, 1]) on one sample
with its squared error (plain, with the paths to one weight highlighted, and on a batch), the
same network with each neuron's sum written as a chain of + (as a hand-typed one is), and a
highlighted sum (labelled edges).
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograd import Value
from nn import MLP
from viz import draw_dot
from viz.cost import estimate, spread


def sum_of_x(n: int) -> tuple[Value, Value | None]:
    x = Value(1.0, label="x")
    y = x
    for _ in range(n - 1):
        y = y + x
    return y, None


def sin_sum(n: int) -> tuple[Value, Value | None]:
    x = Value(1.0, label="x")
    y = (x * 1).sin()
    for k in range(2, n + 1):
        y = y + (x * k).sin()
    return y, None


def chain(n: int) -> tuple[Value, Value | None]:
    x = Value(0.5, label="x")
    y = x
    for _ in range(n):
        y = y.tanh()
    return y, None


def polynomial(n: int) -> tuple[Value, Value | None]:
    x = Value(0.9, label="x")
    y = x
    for k in range(2, n + 1):
        y = y + x**k
    return y, None


def random_graph(n: int) -> tuple[Value, Value | None]:
    rng = random.Random(n)
    nodes = [Value(rng.uniform(0.5, 1.5), label=f"a{i}") for i in range(4)]
    for _ in range(n):
        a, b = rng.choice(nodes), rng.choice(nodes[-8:])
        nodes.append(rng.choice([a * b, a + b, (a - b).tanh(), a.sigmoid() * b]))
    return nodes[-1], None


def chained_mlp(k: int) -> tuple[Value, Value | None]:
    """MLP(2, [k, k, 1]) on one sample, each neuron's sum a chain w0*x0 + w1*x1 + … + b."""
    rng = random.Random(k)
    values: list[Value] = [Value(0.5, label="x0"), Value(-1.5, label="x1")]
    for size in (k, k, 1):
        outs = []
        for _ in range(size):
            net = Value(rng.uniform(-1, 1)) * values[0]
            for v in values[1:]:
                net = net + Value(rng.uniform(-1, 1)) * v
            outs.append((net + Value(0.0)).tanh())
        values = outs
    return (values[0] - 1.0) ** 2, None


def mlp(k: int, highlight: bool = False, samples: int = 1) -> tuple[Value, Value | None]:
    random.seed(k)
    model = MLP(2, [k, k, 1])
    loss = Value(0.0)
    for s in range(samples):
        out = model([0.5 + s, -1.5])
        assert isinstance(out, Value)
        loss = loss + (out - 1.0) ** 2
    first = model.parameters()[0]
    return loss, first if highlight else None


SHAPES: dict[str, tuple[Callable[[int], tuple[Value, Value | None]], list[int]]] = {
    "sum": (sum_of_x, [30, 40, 50, 60, 70, 100]),
    "sin_sum": (sin_sum, [30, 40, 50, 60, 100]),
    "chain": (chain, [500, 2000]),
    "polynomial": (polynomial, [30, 40, 50, 60, 70]),
    "random": (random_graph, [100, 200, 300, 600]),
    "mlp": (mlp, [4, 8, 16]),
    "mlp_highlight": (lambda k: mlp(k, True), [4, 8, 16]),
    "mlp_batch": (lambda b: mlp(8, samples=b), [2, 4, 8]),
    "chained_mlp": (chained_mlp, [8, 16, 24]),
}


def sources(only: str | None) -> Iterator[tuple[str, str]]:
    for name, (build, sizes) in SHAPES.items():
        if only and name != only:
            continue
        for n in sizes:
            root, mark = build(n)
            root.backward()
            yield f"{name}({n})", draw_dot(root, highlight=mark, max_nodes=None).source
    if not only or only == "sum_highlight":  # a highlighted path: labelled edges
        for n in (20, 30, 40):
            x = Value(1.0, label="x")
            y = x
            for _ in range(n - 1):
                y = y + x
            y.backward()
            yield f"sum_highlight({n})", draw_dot(y, highlight=x).source


def run_dot(dot: str, source: str, timeout: float) -> float:
    """dot's CPU seconds on `source` (inf when stopped at `timeout` seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        subprocess.run([dot, "-Tsvg", "-o", "/dev/null"], input=source.encode(), timeout=timeout,
                       check=True, capture_output=True)
    except subprocess.TimeoutExpired:
        return float("inf")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--only", help="one shape: " + ", ".join(SHAPES))
    args = parser.parse_args(argv)
    dot = shutil.which("dot")
    if dot is None:
        sys.exit("Graphviz's dot is not installed")
    print(f"{'graph':<20}{'nodes':>7}{'edges':>7}{'virtual':>9}{'longest':>9}{'estimate':>10}"
          f"{'dot':>8}{'copies':>8}{'spread est':>12}{'spread dot':>12}")
    for name, source in sources(args.only):
        cost = estimate(source)
        measured = statistics.median(run_dot(dot, source, args.timeout)
                                     for _ in range(args.repeats))
        quick, after, copies = spread(source)
        spread_dot = statistics.median(run_dot(dot, quick, args.timeout)
                                       for _ in range(args.repeats)) if copies else measured
        print(f"{name:<20}{cost.nodes:>7}{cost.edges:>7}{cost.virtual:>9}{cost.longest:>9}"
              f"{cost.seconds:>10.2f}{measured:>8.2f}{copies:>8}{after.seconds:>12.2f}"
              f"{spread_dot:>12.2f}", flush=True)


if __name__ == "__main__":
    main()
