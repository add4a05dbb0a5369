"""Operations written micrograd's way (the value by hand, `_backward` set), shared by the tests."""

from __future__ import annotations

import math

from autograd import Value


def micrograd_sigmoid(x: Value) -> Value:
    """A sigmoid written micrograd's way: the value computed by hand, its _backward set."""
    s = 1.0 / (1.0 + math.exp(-x.data))
    out = Value(s, (x,), "sigmoid")

    def _backward() -> None:
        x.grad += s * (1.0 - s) * out.grad

    out._backward = _backward
    return out
