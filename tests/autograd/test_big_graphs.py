"""Deep and wide graphs in the views that read the whole graph: the formula export, sympy, the
per-node texts. Each works as backward does, or refuses at a stated limit with a clear message."""

from __future__ import annotations

import sys

import pytest

from autograd import (
    Naming,
    Value,
    backward_steps,
    linear,
    to_latex,
    to_sympy,
    to_text,
    topological_order,
)
from autograd.export import MAX_SYMPY_DEPTH, depth


def nested(levels: int) -> tuple[Value, Value]:
    x = Value(0.5, label="x")
    y = x
    for _ in range(levels):
        y = y.tanh()
    return x, y


def test_depth_counts_operations_on_the_longest_path() -> None:
    x, y = nested(7)
    z = y * x + 1.0
    assert depth(topological_order(z)) == 9
    assert depth([x]) == 0


def test_to_sympy_refuses_past_its_stated_depth() -> None:
    pytest.importorskip("sympy")
    _, y = nested(MAX_SYMPY_DEPTH + 1)
    y.label = "deep"
    with pytest.raises(ValueError, match=rf"graph of deep is {MAX_SYMPY_DEPTH + 1} operations "
                       rf"deep, more than {MAX_SYMPY_DEPTH}: sympy"):
        to_sympy(y)
    with pytest.raises(ValueError, match="more than"):
        to_latex(y, wrt="x")


def test_to_sympy_reports_a_recursion_error_in_sympy_clearly() -> None:
    pytest.importorskip("sympy")
    _, y = nested(40)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(120)  # as if sympy recursed further than the stack allows
    try:
        with pytest.raises(ValueError, match="sympy ran out of recursion"):
            to_sympy(y)
    finally:
        sys.setrecursionlimit(limit)


@pytest.mark.slow
def test_to_sympy_at_its_stated_depth() -> None:
    pytest.importorskip("sympy")
    x, y = nested(MAX_SYMPY_DEPTH)
    form = to_sympy(y)
    assert form.evaluate(form.expr) == pytest.approx(y.data, rel=1e-12)
    y.backward()
    assert form.evaluate(form.derivatives["x"]) == pytest.approx(x.grad, rel=1e-9)


def neuron(width: int) -> tuple[list[Value], Value]:
    ws = [Value(0.1 + k * 1e-6, label=f"w{k}") for k in range(width)]
    net = linear(ws, [0.5] * width, 0.25)
    net.label = "net"
    out = net.tanh()
    out.label = "out"
    return ws, out


def test_to_sympy_of_a_wide_neuron() -> None:
    pytest.importorskip("sympy")
    ws, out = neuron(60)
    form = to_sympy(out, wrt=[ws[0], ws[59]])
    out.backward()
    assert form.evaluate(form.derivatives["w59"]) == pytest.approx(ws[59].grad, rel=1e-9)


@pytest.mark.parametrize("width", [25, 4_000])
def test_a_wide_neuron_is_named_and_written_in_full(width: int) -> None:
    ws, out = neuron(width)
    text = to_text(out)
    net_line = text.splitlines()[0]
    assert net_line.startswith("net = w0·0.5 + w1·0.5 + ")
    assert net_line.endswith(f"w{width - 1}·0.5 + 0.25")
    assert net_line.count("+") == width
    unnamed = linear(ws, [0.5] * width, 0.25)  # unlabelled: too wide to write inline
    naming = Naming(topological_order(unnamed * 2.0))
    assert naming.text(unnamed) == naming.name(unnamed)
    rows = backward_steps(out).rows
    assert rows[1].definition.count("+") == width
