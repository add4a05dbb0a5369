"""A micrograd-style user operation is drawn and stepped through as its own call, in the graph's
names, not as the table's rule of the same name."""

from __future__ import annotations

import math

from autograd import Value
from viz import draw_dot
from viz.explore import explore


def _user_sigmoid(x: Value) -> Value:
    s = 1.0 / (1.0 + math.exp(-x.data))
    out = Value(s, (x,), "sigmoid")

    def _backward() -> None:
        x.grad += s * (1.0 - s) * out.grad

    out._backward = _backward
    return out


def test_the_drawing_and_the_page_write_the_user_operation_as_a_call() -> None:
    w = Value(0.5, label="w")
    y = _user_sigmoid(w * 2.0)
    y.label = "y"
    y.backward()
    source = draw_dot(y).source
    assert "y = sigmoid(n1)" in source and "σ(n1)" not in source
    page = explore(y).html
    assert "y = sigmoid(n1)" in page
