"""Softmax cross-entropy: PyTorch's cross_entropy, finite differences, and stability."""

from __future__ import annotations

import math
import random

import pytest

from autograd import Value, gradcheck
from nn.losses import softmax_cross_entropy
from tests.oracles import torch_or_skip


def _batch(seed: int, samples: int = 4, classes: int = 5, scale: float = 3.0) -> tuple[
    list[list[float]], list[int]
]:
    rng = random.Random(seed)
    logits = [[rng.uniform(-scale, scale) for _ in range(classes)] for _ in range(samples)]
    return logits, [rng.randrange(classes) for _ in range(samples)]


def _reference(logits: list[list[float]], targets: list[int]) -> float:
    total = 0.0
    for z, t in zip(logits, targets, strict=True):
        m = max(z)
        total += m + math.log(sum(math.exp(v - m) for v in z)) - z[t]
    return total / len(logits)


@pytest.mark.parametrize("seed", range(5))
def test_value_and_gradient_against_pytorch(seed: int) -> None:
    torch = torch_or_skip()
    logits, targets = _batch(seed)
    zs = [[Value(v) for v in row] for row in logits]
    loss = softmax_cross_entropy(zs, targets)
    loss.backward()
    t = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(t, torch.tensor(targets))
    expected.backward()
    assert loss.data == pytest.approx(expected.item(), rel=1e-12)
    for row, grads in zip(zs, t.grad.tolist(), strict=True):
        for v, g in zip(row, grads, strict=True):
            assert v.grad == pytest.approx(g, rel=1e-9, abs=1e-14)


@pytest.mark.parametrize("seed", range(5))
def test_value_and_finite_differences(seed: int) -> None:
    logits, targets = _batch(seed, samples=2, classes=4)
    flat = [Value(v, label=f"z{i}") for i, v in enumerate(v for row in logits for v in row)]
    loss = softmax_cross_entropy([flat[:4], flat[4:]], targets)
    assert loss.data == pytest.approx(_reference(logits, targets), rel=1e-12)
    report = gradcheck(lambda *z: softmax_cross_entropy([list(z[:4]), list(z[4:])], targets), flat)
    assert report, str(report)


def test_stable_far_from_zero_and_at_ties() -> None:
    z = [Value(1000.0), Value(-1000.0), Value(999.0)]
    loss = softmax_cross_entropy(z, 2)
    loss.backward()
    assert loss.data == pytest.approx(1.0 + math.log1p(math.exp(-1.0)), rel=1e-12)
    assert z[0].grad == pytest.approx(1.0 / (1.0 + math.exp(-1.0)), rel=1e-12)
    tie = [Value(0.5), Value(0.5)]
    softmax_cross_entropy(tie, 0).backward()
    assert (tie[0].grad, tie[1].grad) == (pytest.approx(-0.5), pytest.approx(0.5))


def test_one_sample_or_a_batch() -> None:
    z = [Value(0.2), Value(-0.4), Value(1.0)]
    assert softmax_cross_entropy(z, 1).data == softmax_cross_entropy([z], [1]).data
    assert softmax_cross_entropy([z], [[1]]).label == "loss"


@pytest.mark.parametrize(
    ("logits", "targets", "error", "match"),
    [
        ([[Value(1.0), Value(2.0)]], [2], ValueError, r"targets\[0\] is 2"),
        ([[Value(1.0), Value(2.0)]], [0.5], ValueError, "class index"),
        ([[Value(1.0), Value(2.0)]], [True], ValueError, "class index"),
        ([[Value(1.0), Value(2.0)]], [0, 1], ValueError, "one class index per sample"),
        ([[1.0, 2.0]], [0], TypeError, r"logits\[0\] must be a list of at least 2 Values"),
        ("ab", [0], TypeError, "logits must be"),
    ],
)
def test_bad_input_is_named(logits: object, targets: object, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        softmax_cross_entropy(logits, targets)
