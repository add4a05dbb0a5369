"""One training step of micrograd's demo, in kuibu and in micrograd 0.1.0, timed side by side.

The step: MLP(2, [16, 16, 1]) (337 parameters) on 100 two-moons points with labels ±1; forward
pass, hinge (max-margin) loss averaged over the points, plus 1e-4·Σp² (L2), zero the gradients,
backward pass, and an SGD update. Both libraries start from the same weights and see the same
points (and the first losses are checked to agree). Each figure is the median of `repeats` steps,
the two libraries taking turns; the table is measured twice, with Python's cyclic garbage
collector on (its normal state) and off. micrograd missing gives nan in its column.

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

from nn import MLP, datasets, hinge, l2

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


def run(repeats: int = 5) -> list[dict[str, Any]]:
    """Rows {"benchmark", "gc", "kuibu_s", "micrograd_s", "ratio"}: median seconds per step."""
    points, labels = _data()
    model = MLP(2, list(SIZES), rng=0)
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
    for collector in (True, False):
        steps = [lambda: kuibu_step(model, points, labels)]
        if micro is not None:
            steps.append(lambda: micrograd_step(micro, points, labels))
        medians = _median_times(steps, repeats, collector)
        kuibu, micro_time = medians[0], (medians[1] if micro is not None else float("nan"))
        rows.append({
            "benchmark": "train step MLP(2,[16,16,1]) x 100 moons",
            "gc": "on" if collector else "off",
            "kuibu_s": kuibu,
            "micrograd_s": micro_time,
            "ratio": micro_time / kuibu,
        })
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="kuibu vs micrograd: one demo training step")
    parser.add_argument("--repeats", type=int, default=7, help="steps timed per figure (7)")
    args = parser.parse_args(argv)
    rows = run(args.repeats)
    print(f"micrograd's demo training step, median of {args.repeats} steps "
          f"(Python {sys.version.split()[0]})")
    for row in rows:
        print()
        print(f"garbage collector {row['gc']}")
        print(f"  {'library':10} {'seconds/step':>13}")
        print(f"  {'kuibu':10} {row['kuibu_s']:13.4f}")
        print(f"  {'micrograd':10} {row['micrograd_s']:13.4f}")
        print(f"  micrograd/kuibu = {row['ratio']:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
