"""The node-building fast paths a microgpt step leans on make exactly the nodes the general paths
make: `linear` in its common cases, and int constants (``sum``'s start 0, ``x * 2``)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from autograd import Value, detect_anomaly, linear, no_grad
from autograd.value import _LINEAR, _variadic

SLOTS = ("data", "grad", "_n", "_rule", "_a", "_b", "_da", "_db")


def _same(a: Value, b: Value) -> None:
    for slot in SLOTS:
        x, y = getattr(a, slot), getattr(b, slot)
        assert x == y and type(x) is type(y), slot


def _general(weights: list[Any], inputs: list[Any], bias: Any) -> Value:
    k = len(weights)
    flat: list[Any] = [bias] * (2 * k + 1)
    flat[0:2 * k:2] = weights
    flat[1:2 * k:2] = inputs
    return _variadic(_LINEAR, flat)


@pytest.mark.parametrize("seed", range(5))
def test_linear_makes_the_general_paths_node_in_every_common_case(seed: int) -> None:
    rng = random.Random(seed)
    k = rng.randint(1, 7)
    ws = [Value(rng.uniform(-2, 2)) for _ in range(k)]
    xs = [Value(rng.uniform(-2, 2)) for _ in range(k)]
    wf = [rng.uniform(-2, 2) for _ in range(k)]
    xf = [rng.uniform(-2, 2) for _ in range(k)]
    for weights, inputs in ((ws, xs), (ws, xf), (wf, xs), (ws, ws)):
        for bias in (Value(0.5), 0.25, 0.0):
            _same(linear(weights, inputs, bias), _general(weights, inputs, bias))


def test_linear_with_mixed_or_unusual_inputs_takes_the_general_path() -> None:
    a, b = Value(1.5), Value(-2.0)
    for weights, inputs, bias in (([a, 2.0], [b, a], 0.0), ([a, b], [1, 2], 0.0),
                                  ([a], [b], 1), ([2.0], [3.0], a)):
        _same(linear(weights, inputs, bias), _general(weights, inputs, bias))
    with no_grad():
        assert linear([a], [b]).is_leaf
    with detect_anomaly(), pytest.raises(Exception, match="linear"):
        linear([Value(float("inf"))], [Value(0.0)])


def test_linear_gradients_are_the_general_paths() -> None:
    ws = [Value(0.3), Value(-1.1)]
    xs = [Value(2.0), Value(0.5)]
    bias = Value(0.1)
    (linear(ws, xs, bias) * linear([1.0, 1.0], ws) * linear(xs, xs)).backward()
    fast = [v.grad for v in (*ws, *xs, bias)]
    for v in (*ws, *xs, bias):
        v.grad = 0.0
    (_general(ws, xs, bias) * _general([1.0, 1.0], ws, 0.0) * _general(xs, xs, 0.0)).backward()
    assert fast == [v.grad for v in (*ws, *xs, bias)]


@pytest.mark.parametrize(
    ("with_int", "with_float"),
    [
        (lambda v: 0 + v, lambda v: 0.0 + v),
        (lambda v: v * 2, lambda v: v * 2.0),
        (lambda v: 2 - v, lambda v: 2.0 - v),
        (lambda v: v / 16, lambda v: v / 16.0),
        (lambda v: v**2, lambda v: v**2.0),
    ],
)
def test_an_int_constant_makes_the_nodes_a_float_constant_makes(with_int: Any,
                                                                 with_float: Any) -> None:
    v = Value(0.75)
    _same(with_int(v), with_float(v))


def test_sum_of_values_starts_from_a_float_constant_zero() -> None:
    v = Value(0.75)
    total = sum([v, v])
    start = total._a
    assert (start._a, start._a.__class__, start._b, start.op) == (0.0, float, v, "add")
    assert total._b is v and total.data == 1.5


def test_an_int_too_large_for_a_float_still_gets_its_error() -> None:
    with pytest.raises(OverflowError, match="too large for a float"):
        Value(1.0) * 10**400
