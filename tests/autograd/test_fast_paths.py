"""`add` and `mul` build their nodes by hand (autograd.value._common): every kind of operand
gives the node the factory-made method gives, and what the fast path does not take (another
type, no_grad, detect_anomaly, a huge int) still goes where it went."""

from __future__ import annotations

import math
import struct
from typing import Any

import pytest

from autograd import AnomalyError, Value, detect_anomaly, no_grad
from autograd.floats import STRONG_ZERO, StrongZero
from autograd.ops import RULES
from autograd.value import _binary, _reflected


def fields(n: Value) -> tuple[Any, ...]:
    def one(x: Any) -> Any:
        if isinstance(x, float):
            return (type(x).__name__, struct.pack("<d", x) if x == x else "nan")
        if isinstance(x, Value):
            return id(x)
        return x

    return tuple(one(x) for x in (n.data, n.grad, n._rule, n._a, n._b, n._da, n._db, n._n))


OPERANDS: list[Any] = [2.5, -0.0, 0.0, math.inf, math.nan, 3, 0, -7, True, 2**60, STRONG_ZERO]


@pytest.mark.parametrize("name", ["add", "mul"])
@pytest.mark.parametrize("other", [*OPERANDS, "value"])
def test_the_hand_written_methods_make_the_factorys_nodes(name: str, other: Any) -> None:
    rule = RULES[name]
    general, reflected = _binary(rule), _reflected(rule)
    x = Value(1.5, label="x")
    y = Value(-4.0, label="y") if other == "value" else other
    fast = getattr(Value, f"__{name}__")(x, y)
    assert fields(fast) == fields(general(x, y))
    if other != "value":
        fast_r = getattr(Value, f"__r{name}__")(x, y)
        assert fields(fast_r) == fields(reflected(x, y))


def test_sum_from_zero_keeps_the_constant_first_and_the_gradients() -> None:
    xs = [Value(float(k), label=f"x{k}") for k in range(1, 4)]
    total = sum(x * x for x in xs)
    total.backward()
    assert [x.grad for x in xs] == [2.0, 4.0, 6.0]
    first = total
    while isinstance(first._a, Value):
        first = first._a
    assert first._a == 0.0 and first._a.__class__ is float  # 0 + x1*x1: the int as a float


def test_what_the_fast_path_does_not_take_goes_to_the_general_method() -> None:
    x = Value(2.0, label="x")
    with no_grad():
        assert (x + x).is_leaf and (x * 3.0).is_leaf and (1 + x).is_leaf
    with detect_anomaly(), pytest.raises(AnomalyError, match="add"):
        x + math.inf
    with pytest.raises(OverflowError, match="too large for a float"):
        10**400 + x
    with pytest.raises(TypeError, match="not a number"):
        x * "3"
    # A masked zero stays one: create_graph multiplies by it.
    assert (x * STRONG_ZERO)._da.__class__ is StrongZero


class Child(Value):
    __slots__ = ()


def test_a_subclass_operand_is_still_an_operand() -> None:
    x, c = Value(2.0, label="x"), Child(3.0, label="c")
    out = x * c + c
    out.backward()
    assert out.data == 9.0 and (x.grad, c.grad) == (3.0, 3.0)
