"""The datasets: deterministic from a seed, the right shapes and labels, the right geometry."""

from __future__ import annotations

import math
import random

import pytest

from nn import datasets


@pytest.mark.parametrize("make", [datasets.moons, datasets.circles])
def test_same_seed_same_points(make: object) -> None:
    random.seed(5)
    state = random.getstate()
    a = make(50, noise=0.1, seed=3)  # type: ignore[operator]
    assert a == make(50, noise=0.1, seed=3)  # type: ignore[operator]
    assert a != make(50, noise=0.1, seed=4)  # type: ignore[operator]
    assert random.getstate() == state
    X, y = a
    assert len(X) == len(y) == 50 and all(len(p) == 2 for p in X)
    assert y.count(0.0) == y.count(1.0) == 25
    assert set(y[:10]) == {0.0, 1.0}  # shuffled: a slice holds both classes


def test_labels_can_be_signed() -> None:
    _, y = datasets.moons(11, seed=0, labels=(-1, 1))
    assert sorted(set(y)) == [-1.0, 1.0] and y.count(-1.0) == 5
    assert datasets.xor(labels=(-1, 1))[1] == [-1.0, 1.0, 1.0, -1.0]


def test_moons_without_noise_lie_on_their_arcs() -> None:
    X, y = datasets.moons(40, noise=0.0, seed=0)
    for (a, b), label in zip(X, y, strict=True):
        if label == 0.0:
            assert math.hypot(a, b) == pytest.approx(1.0) and b >= -1e-12
        else:
            assert math.hypot(a - 1.0, b - 0.5) == pytest.approx(1.0) and b <= 0.5 + 1e-12


def test_circles_without_noise_have_their_radii() -> None:
    X, y = datasets.circles(30, noise=0.0, factor=0.3, seed=0)
    for (a, b), label in zip(X, y, strict=True):
        assert math.hypot(a, b) == pytest.approx(1.0 if label == 0.0 else 0.3)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="n must be an int >= 2"):
        datasets.moons(1)
    with pytest.raises(ValueError, match="noise must be a finite number >= 0"):
        datasets.circles(10, noise=-1.0)
    with pytest.raises(ValueError, match="factor \\(the inner radius\\) must lie in \\(0, 1\\)"):
        datasets.circles(10, factor=1.5)
    with pytest.raises(TypeError, match=r"seed must be an int or a random\.Random"):
        datasets.moons(10, seed="a")  # type: ignore[arg-type]
