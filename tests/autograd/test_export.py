"""to_text, to_latex and to_sympy: the graph as formulas, and derivatives read from the table."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, assume, given, settings

from autograd import Value, grad, to_latex, to_sympy, to_text
from tests.autograd.test_explain import hand, seed_network
from tests.strategies import Program, apply_value, programs, well_conditioned

sympy = pytest.importorskip("sympy")


def test_import_autograd_does_not_import_sympy() -> None:
    code = "import sys, autograd; print('sympy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"


def test_to_text_writes_the_seed_network_as_its_equations() -> None:
    net = seed_network()
    lines = to_text(net.E).splitlines()
    assert lines[:2] == ["net_h1 = w1·0.05 + w2·0.1 + b1", "out_h1 = σ(net_h1)"]
    assert lines[-1] == "E = 0.5·(0.01 − out_o1)² + 0.5·(0.99 − out_o2)²"
    assert len(lines) == 9
    assert to_text(net.E, "python").splitlines()[-1] == (
        "E = 0.5 * (0.01 - out_o1) ** 2 + 0.5 * (0.99 - out_o2) ** 2")
    with pytest.raises(ValueError, match="style"):
        to_text(net.E, "latex")


def test_long_unlabelled_formulas_get_names() -> None:
    x = Value(0.5, label="x")
    a = x
    for _ in range(12):
        a = a * a + a  # doubles the inline formula at every step
    a.label = "y"
    lines = to_text(a).splitlines()
    assert lines[-1].startswith("y = ")
    assert all(len(line) < 120 for line in lines)
    assert any(line.startswith("n") for line in lines)


def test_to_latex() -> None:
    net = seed_network()
    tex = to_latex(net.E)
    assert tex.startswith("\\begin{aligned}\n\\mathrm{net}_{h1} &= w_{1} \\cdot 0.05")
    assert r"\mathrm{out}_{h1} &= \sigma\left(\mathrm{net}_{h1}\right)" in tex
    with_derivative = to_latex(net.E, wrt="w5")
    assert r"\frac{\partial E}{\partial w_{5}} &= " in with_derivative


@pytest.mark.slow
def test_to_sympy_seed_network_matches_the_hand_formula() -> None:
    net, h = seed_network(), hand()
    form = to_sympy(net.E, ["w5", net.w["w1"]])
    assert set(form.derivatives) == {"w5", "w1"}
    assert abs(form.evaluate(form.expr) - h.E) < 1e-12
    assert abs(form.evaluate(form.derivatives["w5"]) - h.de_dw5) < 1e-12
    assert abs(form.evaluate(form.derivatives["w1"]) - h.de_dw1) < 1e-12
    # The hand derivation, symbolically: ∂E/∂w5 = (out_o1 − t1)·out_o1·(1 − out_o1)·out_h1.
    s = form.symbols
    out_h1 = 1 / (1 + sympy.exp(-(s["w1"] * sympy.Rational(1, 20) + s["w2"] / 10 + s["b1"])))
    out_h2 = 1 / (1 + sympy.exp(-(s["w3"] / 20 + s["w4"] / 10 + s["b1"])))
    out_o1 = 1 / (1 + sympy.exp(-(s["w5"] * out_h1 + s["w6"] * out_h2 + s["b2"])))
    hand_w5 = (out_o1 - sympy.Rational(1, 100)) * out_o1 * (1 - out_o1) * out_h1
    assert sympy.simplify(hand_w5 - form.derivatives["w5"]) == 0
    wrong = 2 * hand_w5  # the missing ½
    assert sympy.simplify(wrong - form.derivatives["w5"]) != 0


def test_to_sympy_single_neuron_simplifies_to_zero() -> None:
    w, x, b, t = (Value(v, label=n) for v, n in ((0.3, "w"), (1.2, "x"), (-0.1, "b"), (1.0, "t")))
    E = 0.5 * (t - (w * x + b).tanh()) ** 2
    form = to_sympy(E, w)
    sw, sx, sb, st = (form.symbols[n] for n in "wxbt")
    out = sympy.tanh(sw * sx + sb)
    assert sympy.simplify(-(st - out) * (1 - out**2) * sx - form.derivatives["w"]) == 0
    assert form.expr == sympy.Rational(1, 2) * (st - out) ** 2


def test_to_sympy_errors_and_names() -> None:
    a, b = Value(1.0, label="w"), Value(2.0, label="w")
    with pytest.raises(ValueError, match="two different leaves are labelled 'w'"):
        to_sympy(a * b)
    x = Value(2.0)
    y = x.exp() * Value(3.0, label="c")
    form = to_sympy(y)
    assert set(form.symbols) == {"n1", "c"}  # an unlabelled leaf: n1, the first unlabelled node
    with pytest.raises(ValueError, match=r"no leaf labelled 'd'.*leaf labels: c"):
        to_sympy(y, "d")
    with pytest.raises(ValueError, match="not a leaf"):
        to_sympy(y, y.parents[0])
    with pytest.raises(ValueError, match="not in the graph"):
        to_sympy(y, Value(1.0, label="z"))


def test_a_clear_message_without_sympy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sympy", None)
    x = Value(1.0, label="x")
    with pytest.raises(ImportError, match=r"pip install 'kuibu\[sympy\]'"):
        to_sympy(x.exp())
    with pytest.raises(ImportError, match="to_latex"):
        to_latex(x.exp(), wrt=x)
    assert to_latex(x.exp())  # the equations need no sympy


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(max_steps=7))
def test_sympy_derivatives_evaluate_to_the_engines_gradients(program: Program) -> None:
    leaves = program.values()
    nodes = program.run(leaves, apply_value)
    assume(well_conditioned(program, nodes, margin=0.1))
    out = nodes[-1]
    form = to_sympy(out)
    engine = grad(out, leaves, allow_unused=True)
    assert math.isclose(form.evaluate(form.expr), out.data, rel_tol=1e-9, abs_tol=1e-9)
    for leaf, g in zip(leaves, engine, strict=True):
        d = form.derivatives.get(leaf.label)
        if d is None:  # the output does not depend on this leaf
            assert g == 0.0
            continue
        assert math.isclose(form.evaluate(d), g, rel_tol=1e-8, abs_tol=1e-9)


def test_non_finite_constants_are_written_in_every_style() -> None:
    x = Value(1.0, label="x")
    for constant, shown, ascii_shown, tex in (
        (math.inf, "∞", "inf", r"\infty"), (-math.inf, "(−∞)", "-inf", r"\left(-\infty\right)"),
        (math.nan, "NaN", "nan", r"\mathrm{NaN}"),
    ):
        y = x * constant
        y.label = "y"
        assert to_text(y) == f"y = x·{shown}"
        assert to_text(y, "python") == f"y = x * {ascii_shown}"
        assert f"x \\cdot {tex}" in to_latex(y)


def test_every_name_in_the_equations_is_defined_and_they_read_back() -> None:
    from autograd.formula import FLOAT_ALGEBRA, evaluate

    x = Value(0.3, label="x")
    c = Value(-2.5)  # an unlabelled leaf: its equation is its number
    y = (x * c).exp() - x ** -1
    lines = to_text(y).splitlines()
    assert lines == ["n1 = −2.5", "n5 = exp(x·n1) − x⁻¹"]
    known = {"x": x.data}
    for line in to_text(y, "python").splitlines():
        name, _, formula = line.partition(" = ")
        known[name] = evaluate(formula, known, FLOAT_ALGEBRA)
    assert known["n5"] == y.data
    assert r"n_{1} &= -2.5" in to_latex(y)


def test_to_sympy_keeps_nan_a_nan() -> None:
    x = Value(1.0, label="x")
    assert to_sympy(x * math.nan).expr == sympy.nan
    assert to_sympy(x * -math.inf).expr == -sympy.oo * to_sympy(x).symbols["x"]


def test_registered_rules_and_user_operations_export() -> None:
    from tests.autograd.test_formula import registered_swish
    from tests.user_ops import micrograd_sigmoid

    with registered_swish():
        algebra = __import__("autograd.export", fromlist=["x"]).sympy_algebra(sympy)
        assert "swish" in algebra  # sympy_algebra does not fail while a rule is registered
        x = Value(2.0, label="x")
        f = x.swish() + 1.0
        f.label = "f"
        assert to_text(f) == "f = x·σ(x) + 1"
        form = to_sympy(f)
        f.backward()
        assert form.evaluate(form.derivatives["x"]) == pytest.approx(x.grad)
    w, x = Value(2.0, label="w"), Value(0.5, label="x")
    h = micrograd_sigmoid(w * x)
    h.label = "h"
    y = h * 3.0
    y.label = "y"
    assert to_text(y) == "h = sigmoid(w·x)\ny = h·3"
    assert r"\operatorname{sigmoid}\left(w \cdot x\right)" in to_latex(y)
    form = to_sympy(y)
    assert isinstance(form.expr.args[0] if form.expr.is_Mul else form.expr, sympy.Basic)
    assert str(form.expr) == "3*sigmoid(w*x)"  # an undefined sympy Function
    y.backward()
    assert form.evaluate(form.derivatives["x"]) == pytest.approx(x.grad)


def test_rule_text_writes_a_node_one_step_deep_for_drawings() -> None:
    from autograd.export import rule_text
    from tests.user_ops import micrograd_sigmoid

    w = Value(2.0, label="w")
    assert rule_text(w.sigmoid(), ["n1"]) == "σ(n1)"
    assert rule_text(micrograd_sigmoid(w), ["w"]) == "sigmoid(w)"  # the user's op, opaque
    assert rule_text(micrograd_sigmoid(w), ["w"], "latex") == \
        r"\operatorname{sigmoid}\left(w\right)"
    with pytest.raises(ValueError, match="2 inputs, not 1"):
        rule_text(w * 3.0, ["w"])
