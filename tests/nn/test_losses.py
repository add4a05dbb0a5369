"""Losses: values against their formulas, gradients against finite differences, and errors."""

from __future__ import annotations

import math

import pytest

from autograd import Value
from autograd.check import numerical_gradient
from nn import binary_cross_entropy, hinge, l2, mse, squared_error


def _values(*xs: float) -> list[Value]:
    return [Value(x, label=f"o{i}") for i, x in enumerate(xs)]


def _check_gradient(loss_of: object, outputs: list[Value]) -> None:
    loss = loss_of(*outputs)  # type: ignore[operator]
    loss.backward()
    numeric = numerical_gradient(loss_of, outputs)  # type: ignore[arg-type]
    for o, n in zip(outputs, numeric, strict=True):
        assert o.grad == pytest.approx(n, rel=1e-6, abs=1e-8), o.label


def test_squared_error_is_half_the_sum_of_squares() -> None:
    outs, targets = _values(0.75, 0.77), [0.01, 0.99]
    loss = squared_error(outs, targets)
    assert loss.label == "loss"
    assert loss.data == pytest.approx(0.5 * ((0.01 - 0.75) ** 2 + (0.99 - 0.77) ** 2), abs=1e-15)
    _check_gradient(lambda a, b: squared_error([a, b], targets), outs)
    assert outs[0].grad == pytest.approx(0.75 - 0.01)  # ∂E/∂out = out − target


def test_mse_is_the_mean_over_a_batch_of_several_outputs() -> None:
    outs = _values(1.0, 2.0, 3.0, 4.0)
    targets = [[0.5, 2.5], [3.0, 2.0]]
    loss = mse([outs[:2], outs[2:]], targets)
    assert loss.data == pytest.approx((0.25 + 0.25 + 0.0 + 4.0) / 4)
    _check_gradient(lambda a, b, c, d: mse([[a, b], [c, d]], targets), outs)


def test_single_output_pairs_with_a_one_number_list() -> None:
    outs = _values(0.2, 0.4)
    assert mse(outs, [[1.0], [0.0]]).data == pytest.approx(mse(outs, [1.0, 0.0]).data)


@pytest.mark.parametrize("y", [0.0, 1.0, 0.3])
def test_binary_cross_entropy_from_probabilities_and_logits_agree(y: float) -> None:
    z = [-2.0, 0.5, 3.0]
    p = [1.0 / (1.0 + math.exp(-v)) for v in z]
    expected = sum(-(y * math.log(q) + (1 - y) * math.log(1 - q)) for q in p) / 3
    logits, probs = _values(*z), _values(*p)
    assert binary_cross_entropy(logits, [y] * 3, from_logits=True).data == pytest.approx(
        expected, rel=1e-12)
    assert binary_cross_entropy(probs, [y] * 3).data == pytest.approx(expected, rel=1e-12)
    _check_gradient(lambda a, b, c: binary_cross_entropy([a, b, c], [y] * 3, from_logits=True),
                    logits)
    _check_gradient(lambda a, b, c: binary_cross_entropy([a, b, c], [y] * 3), probs)


def test_binary_cross_entropy_is_stable_at_the_extremes() -> None:
    z = Value(1000.0)
    loss = binary_cross_entropy(z, 0.0, from_logits=True)  # log(1 + e^1000) = 1000
    assert loss.data == pytest.approx(1000.0)
    loss.backward()
    assert z.grad == pytest.approx(1.0)
    assert binary_cross_entropy(Value(-1000.0), 0.0, from_logits=True).data == 0.0
    p = Value(0.0)
    floored = binary_cross_entropy(p, 1.0)  # log 0 floored at -100, as in PyTorch
    assert floored.data == 100.0 and math.isfinite(floored.data)
    assert binary_cross_entropy(Value(1.0), 1.0).data == 0.0


def test_binary_cross_entropy_refuses_non_probabilities() -> None:
    with pytest.raises(ValueError, match="not a probability in \\[0, 1\\]; pass from_logits"):
        binary_cross_entropy(Value(1.5), 1.0)
    with pytest.raises(ValueError, match=r"target number 1 is 2\.0"):
        binary_cross_entropy(_values(0.5, 0.5), [1.0, 2.0])


def test_hinge_is_micrograds_max_margin_loss() -> None:
    scores = _values(0.3, -2.0, 1.5, -0.2)
    labels = [1, -1, -1, 1]
    expected = sum(max(0.0, 1 - y * s.data) for s, y in zip(scores, labels, strict=True)) / 4
    assert hinge(scores, labels).data == pytest.approx(expected)
    _check_gradient(lambda *s: hinge(list(s), labels), scores)
    with pytest.raises(ValueError, match=r"label number 1 is 0\.0; hinge labels must be -1 or 1"):
        hinge(_values(0.1, 0.2), [1, 0])


def test_l2_penalty() -> None:
    params = _values(0.5, -2.0)
    penalty = l2(params, 0.1)
    assert penalty.label == "l2"
    assert penalty.data == pytest.approx(0.1 * (0.25 + 4.0))
    _check_gradient(lambda a, b: l2([a, b], 0.1), params)
    with pytest.raises(TypeError, match="parameters\\[1\\] must be a Value"):
        l2([params[0], 1.0], 0.1)  # type: ignore[list-item]


def test_shape_and_type_errors_name_the_position() -> None:
    outs = _values(0.1, 0.2)
    with pytest.raises(ValueError, match="outputs has 2 entries but targets has 3"):
        mse(outs, [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="targets\\[1\\] must be a number, not str"):
        mse(outs, [1.0, "2"])
    with pytest.raises(TypeError, match=r"outputs\[0\] must be a Value.*a loss needs the Values"):
        squared_error([0.5], [1.0])
    with pytest.raises(TypeError, match="targets\\[0\\] is a Value"):
        mse([outs[0]], [outs[1]])
    with pytest.raises(ValueError, match="empty batch"):
        mse([], [])


def test_inputs_are_not_mutated() -> None:
    outs, targets = _values(0.5, 0.25), [[1.0], [0.0]]
    mse(outs, targets)
    assert targets == [[1.0], [0.0]] and [o.data for o in outs] == [0.5, 0.25]
