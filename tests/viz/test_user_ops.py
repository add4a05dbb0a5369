"""A micrograd-style user operation is drawn and stepped through as its own call, in the graph's
names, not as the table's rule of the same name."""

from __future__ import annotations

from autograd import Value
from tests.user_ops import micrograd_sigmoid
from viz import draw_dot
from viz.explore import explore


def test_the_drawing_and_the_page_write_the_user_operation_as_a_call() -> None:
    w = Value(0.5, label="w")
    y = micrograd_sigmoid(w * 2.0)
    y.label = "y"
    y.backward()
    source = draw_dot(y).source
    assert "y = sigmoid(n1)" in source and "σ(n1)" not in source
    page = explore(y).html
    assert "y = sigmoid(n1)" in page
