"""One training step of micrograd's demo, every way kuibu can take it, timed side by side.

The step: MLP(2, [16, 16, 1]) (337 parameters) on 100 two-moons points with labels ±1; forward
pass, hinge (max-margin) loss averaged over the points, plus 1e-4·Σp² (L2), zero the gradients,
backward pass, and an SGD update. It is taken by kuibu's engine (a graph of Values per step), by
the compiled program replayed over the points (`nn.compiled`, plain Python floats), by the same
program over NumPy arrays (batch replay, when NumPy is installed), by micrograd 0.1.0, and by the
hand-written floor (`benchmarks/floor.py`: plain floats, no graph). All start from the same
weights and see the same points (and the first losses are checked to agree). Each figure is the
median of `repeats` steps, the contenders taking turns; the table is measured twice, with
Python's cyclic garbage collector on (its normal state) and off. A contender that is not
installed gives nan in its column. The time to write the one-sample program is measured too.

    python benchmarks/train_step.py [--repeats N]

`run(repeats)` returns the rows for a combined benchmark runner.
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

from benchmarks.floor import floor_step, layers_from_rows
from nn import MLP, datasets, hinge, l2
from nn.compiled import Replay

ALPHA = 1e-4
LEARNING_RATE = 0.5
SIZES = [16, 16, 1]


def _data() -> tuple[list[list[float]], list[float]]:
    return datasets.moons(100, noise=0.1, seed=1, labels=(-1.0, 1.0))


def kuibu_step(model: MLP, X: list[list[float]], y: list[float]) -> float:
    """One step in kuibu: inputs go in as plain floats (constants of the first products)."""
    params = model.parameters()
    scores = [model(x) for x in X]
    loss = hinge(scores, y) + l2(params, ALPHA)
    model.zero_grad()
    loss.backward()
    for p in params:
        p.data -= LEARNING_RATE * p.grad
    return loss.data


def _micrograd_model(weights: list[list[list[float]]]) -> Any:
    from micrograd import nn as micro_nn

    model = micro_nn.MLP(2, list(SIZES))
    for layer, rows in zip(model.layers, weights, strict=True):
        for neuron, row in zip(layer.neurons, rows, strict=True):
            for w, value in zip(neuron.w, row[:-1], strict=True):
                w.data = value
            neuron.b.data = row[-1]
    return model


def micrograd_step(model: Any, X: list[list[float]], y: list[float]) -> float:
    """The same step written the way micrograd's demo notebook does it (Values as inputs)."""
    from micrograd.engine import Value as MicroValue

    params = model.parameters()
    scores = [model([MicroValue(a) for a in x]) for x in X]
    margins = [(1 + -label * score).relu() for label, score in zip(y, scores, strict=True)]
    data_loss = sum(margins) * (1.0 / len(margins))
    loss = data_loss + ALPHA * sum(p * p for p in params)
    model.zero_grad()
    loss.backward()
    for p in params:
        p.data -= LEARNING_RATE * p.grad
    return float(loss.data)


def _median_times(
    steps: list[Callable[[], float]], repeats: int, collector: bool
) -> list[float]:
    """The median seconds of each step; the steps take turns within each repeat, so a busy
    machine slows them alike."""
    times: list[list[float]] = [[] for _ in steps]
    for _ in range(repeats):
        for step, seen in zip(steps, times, strict=True):
            gc.collect()  # start each step from the same heap; not timed
            if not collector:
                gc.disable()
            try:
                start = time.perf_counter()
                step()
                seen.append(time.perf_counter() - start)
            finally:
                gc.enable()
    return [statistics.median(t) for t in times]


def replay_step(replay: Replay, batch: list[int]) -> float:
    """One step by replaying the compiled program (the optimizer is plain SGD, written inline)."""
    loss, grads = replay.loss_and_grads(batch)
    for p, g in zip(replay.params, grads, strict=True):
        p.grad = g
        p.data -= LEARNING_RATE * g
    return loss


def _replay(weights: Any, points: list[list[float]], labels: list[float], backend: str) -> Any:
    model = MLP.from_weights(weights, activation=["relu", "relu", "linear"])
    try:
        replay = Replay(model, hinge, points, labels, alpha=ALPHA, backend=backend)
    except ImportError:
        return None
    batch = list(range(len(points)))
    replay.loss_and_grads(batch)  # records each point's graph (and checks it on the second use)
    replay.loss_and_grads(batch)
    return replay


def codegen_seconds(repeats: int = 5) -> float:
    """The median seconds to write the program of one sample's graph (MLP(2, [16, 16, 1]))."""
    from autograd import Value
    from autograd.codegen import codegen

    model = MLP(2, list(SIZES), rng=0)
    xs = [Value(0.5, label="x0"), Value(-0.25, label="x1")]
    loss = hinge([model(xs)], [1.0])
    params = model.parameters()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        codegen(loss, wrt=params, inputs=xs)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(repeats: int = 5) -> list[dict[str, Any]]:
    """Rows {"benchmark", "gc", "kuibu_s", "micrograd_s", "ratio", "compiled_s", "numpy_s",
    "floor_s"}: median seconds per step (ratio is micrograd / kuibu's engine)."""
    points, labels = _data()
    model = MLP(2, list(SIZES), rng=0)
    weights = model.get_weights()
    floor = layers_from_rows(weights)
    compiled = _replay(weights, points, labels, "python")
    batched = _replay(weights, points, labels, "numpy")
    batch = list(range(len(points)))
    first_floor = floor_step(layers_from_rows(weights), points, labels, ALPHA, LEARNING_RATE)
    first_replay = replay_step(_replay(weights, points, labels, "python"), batch)
    first_engine = kuibu_step(
        MLP.from_weights(weights, activation=["relu", "relu", "linear"]), points, labels)
    for name, first in (("floor", first_floor), ("compiled", first_replay)):
        if abs(first - first_engine) > 1e-9 * max(1.0, abs(first_engine)):
            raise AssertionError(f"the {name} step differs: {first}, the engine {first_engine}")
    try:
        micro = _micrograd_model(model.get_weights())
    except ImportError:
        micro = None
    # Both start from the same weights, so their first losses must agree: a check that the two
    # steps compute the same thing before their speeds are compared.
    if micro is not None:
        twin = MLP.from_weights(model.get_weights(), activation=["relu", "relu", "linear"])
        first_kuibu = kuibu_step(twin, points, labels)
        first_micro = micrograd_step(_micrograd_model(model.get_weights()), points, labels)
        if abs(first_kuibu - first_micro) > 1e-9 * max(1.0, abs(first_micro)):
            raise AssertionError(
                f"the two steps differ: kuibu {first_kuibu}, micrograd {first_micro}")
    rows = []
    nan = float("nan")
    for collector in (True, False):
        steps: dict[str, Callable[[], float]] = {
            "kuibu_s": lambda: kuibu_step(model, points, labels),
            "floor_s": lambda: floor_step(floor, points, labels, ALPHA, LEARNING_RATE),
        }
        if compiled is not None:
            steps["compiled_s"] = lambda: replay_step(compiled, batch)
        if batched is not None:
            steps["numpy_s"] = lambda: replay_step(batched, batch)
        if micro is not None:
            steps["micrograd_s"] = lambda: micrograd_step(micro, points, labels)
        medians = dict(zip(steps, _median_times(list(steps.values()), repeats, collector),
                           strict=True))
        row: dict[str, Any] = {
            "benchmark": "train step MLP(2,[16,16,1]) x 100 moons",
            "gc": "on" if collector else "off",
        }
        for key in ("kuibu_s", "compiled_s", "numpy_s", "floor_s", "micrograd_s"):
            row[key] = medians.get(key, nan)
        row["ratio"] = row["micrograd_s"] / row["kuibu_s"]
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="kuibu vs micrograd: one demo training step")
    parser.add_argument("--repeats", type=int, default=7, help="steps timed per figure (7)")
    args = parser.parse_args(argv)
    rows = run(args.repeats)
    print(f"micrograd's demo training step, median of {args.repeats} steps "
          f"(Python {sys.version.split()[0]})")
    names = [("kuibu_s", "kuibu engine"), ("compiled_s", "kuibu compiled"),
             ("numpy_s", "kuibu numpy batch"), ("floor_s", "hand-written floor"),
             ("micrograd_s", "micrograd 0.1.0")]
    for row in rows:
        print()
        print(f"garbage collector {row['gc']}")
        print(f"  {'step':20} {'seconds/step':>13} {'micrograd/this':>15} {'this/floor':>11}")
        for key, name in names:
            seconds = row[key]
            print(f"  {name:20} {seconds:13.5f} {row['micrograd_s'] / seconds:14.1f}x "
                  f"{seconds / row['floor_s']:10.2f}x")
    print()
    print(f"writing the one-sample program: {codegen_seconds() * 1000:.1f} ms (median of 5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
