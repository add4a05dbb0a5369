"""Small two-class datasets made in code, reproducible from a seed (no scikit-learn needed).

Each function returns ``(inputs, targets)``: a list of [x, y] points and a list of class labels,
``labels[0]`` for the first class and ``labels[1]`` for the second (0 and 1 by default; pass
``labels=(-1, 1)`` for the hinge loss). Points come shuffled, so any slice holds both classes.

>>> X, y = moons(100, noise=0.1, seed=1)
>>> len(X), sorted(set(y)), X == moons(100, noise=0.1, seed=1)[0]
(100, [0.0, 1.0], True)
"""

from __future__ import annotations

import math
import random

__all__ = ["circles", "moons", "xor"]

Points = list[list[float]]


def _rng(seed: int | random.Random, where: str) -> random.Random:
    if isinstance(seed, random.Random):
        return seed
    if isinstance(seed, int) and not isinstance(seed, bool):
        return random.Random(seed)
    raise TypeError(f"{where}: seed must be an int or a random.Random, not {type(seed).__name__}")


def _check(n: object, noise: object, labels: tuple[float, float], where: str) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n < 2:
        raise ValueError(f"{where}: n must be an int >= 2 (one point per class), not {n!r}")
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not (
        0.0 <= noise < math.inf
    ):
        raise ValueError(f"{where}: noise must be a finite number >= 0, not {noise!r}")
    if not isinstance(labels, (tuple, list)) or len(labels) != 2:
        raise TypeError(
            f"{where}: labels must be a pair (first class, second class), not {labels!r}"
        )


def _shuffled(
    points: Points, targets: list[float], rng: random.Random
) -> tuple[Points, list[float]]:
    order = list(range(len(points)))
    rng.shuffle(order)
    return [points[i] for i in order], [targets[i] for i in order]


def xor(labels: tuple[float, float] = (0.0, 1.0)) -> tuple[Points, list[float]]:
    """The four corners of the unit square, labelled by x XOR y (the classic non-linear problem).

    >>> xor()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0.0, 1.0, 1.0, 0.0])
    """
    _check(4, 0.0, labels, "xor")
    off, on = float(labels[0]), float(labels[1])
    return [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [off, on, on, off]


def moons(
    n: int = 100,
    noise: float = 0.1,
    seed: int | random.Random = 0,
    labels: tuple[float, float] = (0.0, 1.0),
) -> tuple[Points, list[float]]:
    """Two interleaving half circles: the upper one (first class) and the lower, shifted one.

    The upper moon is (cos t, sin t) and the lower (1 − cos t, 0.5 − sin t) for t evenly spaced
    in [0, π], each point moved by Gaussian noise of standard deviation `noise`.
    """
    _check(n, noise, labels, "moons")
    rng = _rng(seed, "moons")
    upper = n // 2
    lower = n - upper
    points: Points = []
    targets: list[float] = []
    for count, label, flip in ((upper, labels[0], False), (lower, labels[1], True)):
        for k in range(count):
            t = math.pi * k / (count - 1) if count > 1 else 0.0
            x, y = (1.0 - math.cos(t), 0.5 - math.sin(t)) if flip else (math.cos(t), math.sin(t))
            points.append([x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)])
            targets.append(float(label))
    return _shuffled(points, targets, rng)


def circles(
    n: int = 100,
    noise: float = 0.05,
    factor: float = 0.5,
    seed: int | random.Random = 0,
    labels: tuple[float, float] = (0.0, 1.0),
) -> tuple[Points, list[float]]:
    """A circle of radius 1 (first class) around a circle of radius `factor` (second class)."""
    _check(n, noise, labels, "circles")
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0.0 < factor < 1.0:
        raise ValueError(f"circles: factor (the inner radius) must lie in (0, 1), not {factor!r}")
    rng = _rng(seed, "circles")
    outer = n // 2
    inner = n - outer
    points: Points = []
    targets: list[float] = []
    for count, radius, label in ((outer, 1.0, labels[0]), (inner, float(factor), labels[1])):
        for k in range(count):
            t = 2.0 * math.pi * k / count
            points.append([
                radius * math.cos(t) + rng.gauss(0.0, noise),
                radius * math.sin(t) + rng.gauss(0.0, noise),
            ])
            targets.append(float(label))
    return _shuffled(points, targets, rng)
