"""gradcheck, gradgradcheck, check_partials: right formulas pass, classic mistakes are named."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from autograd import (
    GradcheckError,
    Value,
    check_partials,
    grad,
    gradcheck,
    gradgradcheck,
    numerical_gradient,
)
from tests.autograd.test_explain import INPUTS, TARGETS, hand, seed_network
from tests.strategies import Program, apply_value, programs, well_conditioned

I1, I2 = INPUTS
T1, T2 = TARGETS


# -- gradcheck ---------------------------------------------------------------------------------


def _seed_loss(*leaves: Value) -> Value:
    """The seed network's loss as a function of its ten leaves (w1..w8, b1, b2)."""
    w1, w2, w3, w4, w5, w6, w7, w8, b1, b2 = leaves
    h1 = (w1 * I1 + w2 * I2 + b1).sigmoid()
    h2 = (w3 * I1 + w4 * I2 + b1).sigmoid()
    o1 = (w5 * h1 + w6 * h2 + b2).sigmoid()
    o2 = (w7 * h1 + w8 * h2 + b2).sigmoid()
    return 0.5 * (T1 - o1) ** 2 + 0.5 * (T2 - o2) ** 2


def test_gradcheck_passes_on_the_seed_network() -> None:
    leaves = seed_network().leaves()
    report = gradcheck(_seed_loss, leaves)
    assert report and report.ok and not report.failed
    assert [r.label for r in report.rows] == [x.label for x in leaves]
    w5 = report.rows[4]
    assert abs(w5.engine - hand().de_dw5) < 1e-12
    assert w5.abs_error == abs(w5.engine - w5.numeric) < 1e-8
    text = str(report)
    assert text.startswith("gradcheck: all ok")
    assert "input" in text.splitlines()[1] and "rel error" in text.splitlines()[1]


def test_gradcheck_flags_a_function_that_hides_part_of_its_graph() -> None:
    # x · x.data: the engine sees a constant where x is, so its gradient is half the true one.
    x, y = Value(1.5, label="x"), Value(-0.5, label="y")
    report = gradcheck(lambda x, y: x * x.data + y, [x, y])
    assert not report and [r.label for r in report.failed] == ["x"]
    row = report.rows[0]
    assert row.engine == 1.5 and abs(row.numeric - 3.0) < 1e-6
    assert abs(row.rel_error - row.abs_error / abs(row.numeric)) < 1e-15
    assert "1 of 2 FAILED" in str(report) and "FAIL" in str(report).splitlines()[-2]
    with pytest.raises(GradcheckError, match=r"(?s)gradcheck: 1 of 2 FAILED.*x .*FAIL"):
        gradcheck(lambda x, y: x * x.data + y, [x, y], raise_on_fail=True)


def test_gradcheck_at_a_kink_and_on_constants_and_unlabelled_inputs() -> None:
    x = Value(0.0)
    report = gradcheck(lambda x: x.relu(), [x])
    assert not report  # relu′(0) = 0 by convention; central differences give 0.5
    assert report.rows[0].label == "inputs[0]"
    assert gradcheck(lambda x: 2.0, [x])  # a number: gradient 0 on both sides
    assert gradcheck(lambda x, y: x.exp(), [Value(0.3), Value(2.0)])  # y unused: 0 and 0


def test_gradcheck_leaves_the_inputs_exactly_as_they_were() -> None:
    rng = random.Random(5)
    xs = [Value(rng.uniform(-2, 2), label=f"x{i}") for i in range(3)]
    for x in xs:
        x.grad = rng.random()
    before = [(x.data, x.grad) for x in xs]
    gradcheck(lambda a, b, c: (a * b).tanh() + c.sin() * a, xs)
    gradgradcheck(lambda a, b, c: (a * b).tanh() + c.sin() * a, xs)
    assert [(x.data, x.grad) for x in xs] == before


def test_gradcheck_rejects_non_values() -> None:
    with pytest.raises(TypeError, match=r"gradcheck: inputs\[1\] must be a Value, not float"):
        gradcheck(lambda a, b: a, [Value(1.0), 2.0])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="eps must be positive"):
        numerical_gradient(lambda a: a, [Value(1.0)], eps=0.0)


def test_gradgradcheck_second_derivatives() -> None:
    x, y = Value(0.3, label="x"), Value(-0.7, label="y")
    report = gradgradcheck(lambda x, y: (x * y).sin() + x**3, [x, y])
    assert report
    assert [r.label for r in report.rows] == ["∂²/∂x∂x", "∂²/∂x∂y", "∂²/∂y∂x", "∂²/∂y∂y"]
    # ∂²/∂x² = −y² sin(xy) + 6x, ∂²/∂x∂y = cos(xy) − xy sin(xy), from the formula by hand.
    s, c = math.sin(0.3 * -0.7), math.cos(0.3 * -0.7)
    expected = [-0.49 * s + 1.8, c - (-0.21) * s, c - (-0.21) * s, -0.09 * s]
    for row, want in zip(report.rows, expected, strict=True):
        assert abs(row.engine - want) < 1e-12


def test_gradgradcheck_flags_a_gradient_that_is_not_the_derivative_of_the_first() -> None:
    # f = x² · x.data: the engine's ∂f/∂x = 2x·c (c = x.data, a constant to it), its second
    # derivative 2c; but as x moves, c moves too, so the first derivative changes by 4x.
    x = Value(1.25, label="x")
    report = gradgradcheck(lambda x: x * x * x.data, [x])
    assert not report
    assert report.rows[0].engine == 2.5 and abs(report.rows[0].numeric - 5.0) < 1e-5
    with pytest.raises(GradcheckError, match="gradgradcheck"):
        gradgradcheck(lambda x: x * x * x.data, [x], raise_on_fail=True)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(max_steps=8))
def test_gradcheck_on_random_graphs(program: Program) -> None:
    leaves = program.values()
    nodes = program.run(leaves, apply_value)
    assume(well_conditioned(program, nodes, margin=0.1))

    def f(*xs: Value) -> Value:
        out: Value = program.run(xs, apply_value)[-1]
        return out

    assert gradcheck(f, leaves, atol=1e-6, rtol=1e-5, raise_on_fail=True)


# -- check_partials: right formulas pass -------------------------------------------------------


def _delta_o1(out_o1: float) -> float:
    return (out_o1 - T1) * out_o1 * (1 - out_o1)


def _delta_o2(out_o2: float) -> float:
    return (out_o2 - T2) * out_o2 * (1 - out_o2)


def test_right_hand_derivations_agree() -> None:
    net, h = seed_network(), hand()
    report = check_partials(net.E, {
        "w5": lambda out_o1, out_h1: _delta_o1(out_o1) * out_h1,
        net.w["w8"]: lambda out_o2, out_h2: _delta_o2(out_o2) * out_h2,
        "w1": lambda out_o1, out_o2, out_h1, w5, w7: (
            (_delta_o1(out_o1) * w5 + _delta_o2(out_o2) * w7) * out_h1 * (1 - out_h1) * I1
        ),
        "b2": "(out_o1 - 0.01) * out_o1 * (1 - out_o1) + (out_o2 - 0.99) * out_o2 * (1 - out_o2)",
        "out_o1": lambda **v: v["out_o1"] - T1,  # a node that is not a leaf: ∂E/∂out_o1
        "w6": round(h.de_dout_o1 * h.dout_o1_dnet_o1 * h.out_h2, 5),  # copied from paper
        "w2": lambda: _delta_o1(net.nodes["out_o1"].data) * 0.0 + hand().de_dw1 * 2,
    }, rtol=1e-4)
    assert report, str(report)
    assert [r.name for r in report.rows] == ["w5", "w8", "w1", "b2", "out_o1", "w6", "w2"]
    assert all(not r.hints for r in report.rows)
    assert str(report).startswith("check_partials of E: all agree")
    assert abs(report.row("w5").engine - h.de_dw5) < 1e-15
    with pytest.raises(KeyError, match="no row for 'w9'"):
        report.row("w9")


def test_the_default_tolerance_is_tight() -> None:
    net, h = seed_network(), hand()
    assert not check_partials(net.E, {"w5": round(h.de_dw5, 5)})
    assert check_partials(net.E, {"w5": round(h.de_dw5, 5)}, rtol=1e-4)


# -- check_partials: the classic mistakes are named --------------------------------------------


def test_a_missing_half_of_the_squared_error() -> None:
    net = seed_network()
    # d/dout (t − out)² = −2(t − out): the ½ of E forgotten.
    report = check_partials(net.E, {
        "w5": lambda out_o1, out_h1: 2 * _delta_o1(out_o1) * out_h1,
    })
    assert not report
    (row,) = report.rows
    assert any("2 × the engine's value" in h and "without its ½" in h for h in row.hints)
    assert any("∂(0.5·(0.01 − out_o1)²)/∂((0.01 − out_o1)²) = 0.5 left out" in h
               for h in row.hints)
    assert not any("path" in h for h in row.hints)


def test_tanh_derivative_applied_to_the_pre_activation() -> None:
    net, h = seed_network("tanh"), hand("tanh")
    assert abs(grad(net.E, net.w["w1"]) - h.de_dw1) < 1e-15

    def wrong(out_o1: float, out_o2: float, net_h1: float) -> float:
        back = _delta_o1(out_o1) * 0.40 + _delta_o2(out_o2) * 0.50
        return back * (1 - net_h1**2) * I1  # tanh′ is 1 − out², not 1 − net²

    def right(out_o1: float, out_o2: float, out_h1: float) -> float:
        back = _delta_o1(out_o1) * 0.40 + _delta_o2(out_o2) * 0.50
        return back * (1 - out_h1**2) * I2  # ∂net_h1/∂w2 = i2

    # Both formulas hold w5 = 0.40 and w7 = 0.50 as numbers: right at the given point only.
    report = check_partials(net.E, {"w1": wrong, "w2": right}, points=0)
    assert [r.ok for r in report.rows] == [False, True]
    elsewhere = check_partials(net.E, {"w2": right})
    assert not elsewhere and elsewhere.rows[0].failed_points == 5
    assert not elsewhere.rows[0].hints and "differ at 5 of the 6 points" in str(elsewhere)
    (hint,) = report.rows[0].hints
    assert hint.startswith("equals the chain rule with ∂out_h1/∂net_h1 computed as 1 − net_h1²")
    assert "instead of 1 − out_h1²" in hint
    assert "written in terms of its output out_h1, but its input net_h1 was put in" in hint
    assert "1 − net_h1²" in str(report)


def test_sigmoid_derivative_applied_to_the_pre_activation() -> None:
    net = seed_network()
    report = check_partials(net.E, {
        "w5": lambda out_o1, net_o1, out_h1: (out_o1 - T1) * net_o1 * (1 - net_o1) * out_h1,
    })
    assert any("∂out_o1/∂net_o1 computed as net_o1·(1 − net_o1)" in h
               for h in report.rows[0].hints)


def test_a_dropped_path_in_a_hidden_weight() -> None:
    net = seed_network()
    # Only the path through out_o1: the hidden unit also feeds out_o2.
    report = check_partials(net.E, {
        "w1": lambda out_o1, out_h1, w5: _delta_o1(out_o1) * w5 * out_h1 * (1 - out_h1) * I1,
        "w3": lambda out_o2, out_h2, w8: _delta_o2(out_o2) * w8 * out_h2 * (1 - out_h2) * I1,
    })
    assert not report.rows[0].ok and not report.rows[1].ok
    (hint,) = report.rows[0].hints
    assert hint == ("equals the sum over path(s) 1 of the 2 paths from E to w1; missing: "
                    "E → out_o2 → net_o2 → out_h1 → net_h1 → w1")
    assert report.rows[1].hints == ("equals the sum over path(s) 2 of the 2 paths from E to w3; "
                                    "missing: E → out_o1 → net_o1 → out_h2 → net_h2 → w3",)


def test_a_flipped_sign_and_a_wrong_input() -> None:
    net = seed_network()
    report = check_partials(net.E, {
        "w5": lambda out_o1, out_h1: (T1 - out_o1) * out_o1 * (1 - out_o1) * out_h1,
        "w6": lambda out_o1: _delta_o1(out_o1) * 0.45,  # ∂net_o1/∂w6 is out_h2, not w6
    })
    assert any("∂(0.01 − out_o1)/∂out_o1 = −1 left out" in h for h in report.rows[0].hints)
    assert any("−1 × the engine's value" in h or "-1 × the engine's value" in h
               for h in report.rows[0].hints)
    assert any("the two inputs of mul were exchanged" in h for h in report.rows[1].hints)


def test_an_unexplained_mistake_says_so() -> None:
    net = seed_network()
    report = check_partials(net.E, {"w5": 0.123})
    assert report.rows[0].hints == (
        "no single wrong factor or dropped path explains it; compare your factors with "
        "explain(E, w5)",)
    assert report.rows[0].unexplained
    assert not check_partials(net.E, {"w5": 2 * report.rows[0].engine}).rows[0].unexplained


# -- the article's network, as the command line builds it ------------------------------------

ARTICLE = """net2 = W12*out1 + b2; out2 = σ(net2); net3 = W13*out1 + b3; out3 = σ(net3)
net4 = W24*out2 + W34*out3 + b4; out4 = σ(net4); net5 = W25*out2 + W35*out3 + b5
out5 = σ(net5); E = ½·(t4 − out4)² + ½·(t5 − out5)²"""
POINT = {"out1": 0.5, "W12": 0.15, "W13": 0.25, "W24": 0.40, "W25": 0.50, "W34": 0.45,
         "W35": 0.55, "b2": 0.35, "b3": 0.35, "b4": 0.60, "b5": 0.60, "t4": 0.01, "t5": 0.99}


def article() -> tuple[Value, dict[str, Value]]:
    from autograd.formula import VALUE_ALGEBRA, evaluate_steps

    leaves = {k: Value(v, label=k) for k, v in POINT.items()}
    E = evaluate_steps(ARTICLE, leaves, VALUE_ALGEBRA)[-1]
    E.backward()
    return E, leaves


@pytest.mark.parametrize(("typed", "ok", "digits"), [
    ("0.0834616", True, 6), ("0.08346", True, 4), ("0.0835", True, 3), ("8.34616e-2", True, 6),
    ("0.0834", False, 3), ("0.0834617", False, 6), ("0.0834616112746", True, 12),
    ("−0.0834616", False, 6),
])
def test_a_typed_number_agrees_to_the_digits_it_has(typed: str, ok: bool, digits: int) -> None:
    E, leaves = article()
    assert round(leaves["W24"].grad, 12) == 0.083461611275  # what the digits are cut from
    row = check_partials(E, {"W24": typed}).rows[0]
    assert (row.ok, row.digits, row.points) == (ok, digits, 1)


def test_tolerances_given_override_the_typed_digits_and_apply_to_formulas() -> None:
    E, _ = article()
    assert not check_partials(E, {"W24": "0.0834616"}, rtol=1e-9).ok
    assert check_partials(E, {"W24": "0.0834616"}, rtol=1e-6).rows[0].digits is None
    assert check_partials(E, {"W24": 0.0834616}).rows[0].digits is None  # a float has none
    assert not check_partials(E, {"W24": 0.0834616}, rtol=1e-9).ok
    right = "(out4 - t4)*out4*(1 - out4)*out2"
    assert check_partials(E, {"W24": right}, atol=0.0, rtol=1e-12).ok
    with pytest.raises(ValueError, match="rtol must be a finite number >= 0"):
        check_partials(E, {"W24": right}, rtol=-1.0)


def test_whole_numbers_and_constant_formulas_are_exact_and_checked_here_only() -> None:
    x, y = Value(1.0, label="x"), Value(2.0, label="y")
    f = x * y
    f.label = "f"
    for number in ("2", "4/2", "2.0", "1 + 1"):
        row = check_partials(f, {"x": number}).rows[0]
        assert row.ok and row.points == 1, number
    assert not check_partials(f, {"x": "3"}).ok
    wrong = check_partials(f, {"x": "2.4"}).rows[0]  # 2 significant digits: 2.4 is not 2.0
    assert not wrong.ok and (wrong.digits, wrong.rounded) == (2, "2.0")
    assert check_partials(f, {"x": "2.0000000001"}).rows[0].digits == 11


def test_sigmoid_derivative_evaluated_at_the_output_is_named() -> None:
    E, _ = article()
    report = check_partials(E, {"W24": "(out4 - t4)*σ(out4)*(1 - σ(out4))*out2"})
    hint = next(h for h in report.rows[0].hints if "σ(out4)" in h)
    assert hint.startswith("equals the chain rule with ∂out4/∂net4 computed as "
                           "σ(out4)·(1 − σ(out4)) = ")
    assert "evaluated at its output out4 instead of its input net4" in hint
    net_put_in = check_partials(E, {"W24": "(out4 - t4)*net4*(1 - net4)*out2"})
    assert any("computed as net4·(1 − net4)" in h for h in net_put_in.rows[0].hints)


def test_the_path_through_neuron_5_left_out_of_w12() -> None:
    E, _ = article()
    one_path = "(out4 - t4)*out4*(1 - out4)*W24*out2*(1 - out2)*out1"
    (hint,) = check_partials(E, {"W12": one_path}).rows[0].hints
    assert hint == ("equals the sum over path(s) 1 of the 2 paths from E to W12; missing: "
                    "E → out5 → net5 → out2 → net2 → W12")


def test_a_dropped_path_is_found_in_a_graph_without_labels_too() -> None:
    x = Value(0.7, label="x")
    f = (x * 3.0).sin() + (x * x).exp()  # two branches, no names between them
    f.label = "f"
    (hint,) = check_partials(f, {"x": "3*cos(3*x)"}).rows[0].hints
    assert "the sum over path(s) 1 of the 2 paths from f to x; missing: f → n4 → n3 → x" in hint
    assert hint.endswith("(where n3 = x·x; n4 = exp(x·x))")  # the inner nodes, defined


def test_hints_in_chinese() -> None:
    E, _ = article()
    report = check_partials(E, {"W24": "(out4 - t4)*net4*(1 - net4)*out2", "W25": 0.5},
                            lang="zh")
    hints = report.rows[0].hints
    assert any(h.startswith("等于把 ∂out4/∂net4 算成 net4·(1 − net4)") for h in hints)
    assert report.rows[1].hints[0].startswith("没有哪一个错误因子") and report.rows[1].unexplained
    with pytest.raises(ValueError, match="lang must be one of en, zh"):
        check_partials(E, {"W25": 0.5}, lang="fr")


@pytest.mark.parametrize(("formula", "at", "yours", "left", "right", "engine", "matches"), [
    ("relu(x)", 0.0, "1", 0.0, 1.0, 0.0, "right"),
    ("relu(x)", 0.0, "0", 0.0, 1.0, 0.0, "left"),
    ("abs(x)", 0.0, "-1", -1.0, 1.0, 0.0, "left"),
    ("max(x, 2)", 2.0, "1", 0.0, 1.0, 0.5, "right"),
    ("3*relu(x) + x", 0.0, "4", 1.0, 4.0, 1.0, "right"),
])
def test_at_a_kink_both_one_sided_derivatives_count(formula: str, at: float, yours: str,
                                                    left: float, right: float, engine: float,
                                                    matches: str) -> None:
    from autograd.formula import VALUE_ALGEBRA, evaluate

    x = Value(at, label="x")
    f = evaluate(formula, {"x": x}, VALUE_ALGEBRA)
    f.label = "f"
    row = check_partials(f, {"x": yours}).rows[0]
    assert row.ok and row.kink is not None
    assert (row.kink.left, row.kink.right, row.kink.engine) == pytest.approx((left, right, engine))
    assert row.kink.matches == matches
    assert "is at its kink, where ∂f/∂x is not defined" in row.kink.note
    wrong = check_partials(f, {"x": "7"}).rows[0]
    assert not wrong.ok and wrong.kink is not None and wrong.kink.matches == ""


def test_no_kink_note_where_the_output_is_smooth() -> None:
    x = Value(0.0, label="x")
    f = x.relu() * x.relu() + x.sin()  # relu(x)² has the same slope on both sides
    f.label = "f"
    row = check_partials(f, {"x": "2*max(0, x) + cos(x)"}).rows[0]
    assert row.ok and row.kink is None


def test_memory_does_not_grow_with_the_points_compared() -> None:
    import tracemalloc

    x = Value(0.3, label="x")
    f = x
    for k in range(150):
        f = (f * 0.999 + x * 0.001).tanh() if k % 2 else f + x * 0.0001
    f.label = "f"
    peaks = []
    for points in (2, 30):
        tracemalloc.start()
        report = check_partials(f, {"x": "1"}, points=points)
        check_partials(f, {"x": "cos(x)"}, points=points)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert report.rows[0].points == 1
    assert peaks[1] < 1.5 * peaks[0], peaks


# -- check_partials: errors in the user's words ------------------------------------------------


def test_errors_for_beginners() -> None:
    net = seed_network()
    with pytest.raises(ValueError, match=r"'w9' .* is not in the graph of E"):
        check_partials(net.E, {Value(0.1, label="w9"): 0.0})
    with pytest.raises(ValueError, match=r"no node labelled 'w_5'.*did you mean 'w5'"):
        check_partials(net.E, {"w_5": 0.0})
    with pytest.raises(TypeError, match="expected must be a dict"):
        check_partials(net.E, [("w5", 0.0)])  # type: ignore[arg-type]
    report = check_partials(net.E, {
        "w5": lambda outh1: outh1,
        "w6": lambda out_h1: out_h1 / 0,
        "w7": "out_o2 * (1 - ",
        "w8": lambda: "a string",
        "b1": lambda out_h1, /: out_h1,
    })
    rows = {r.name: r for r in report.rows}
    assert not report and all(r.expected is None for r in report.rows)
    assert "asks for 'outh1', which is not a label in the graph" in (rows["w5"].error or "")
    assert "did you mean 'out_h1'" in (rows["w5"].error or "")
    assert rows["w6"].error == ("the formula raised ZeroDivisionError: float division by zero "
                                f"(called with out_h1 = {hand().out_h1:.6g})")
    assert "ends after '-': a term is missing" in (rows["w7"].error or "")
    assert "must be a number" in (rows["w8"].error or "")
    assert "positional-only" in (rows["b1"].error or "")
    assert "∂E/∂w6: the formula raised ZeroDivisionError" in str(report)


def test_unlabelled_leaves_and_repeated_labels() -> None:
    x, w = Value(2.0), Value(0.5, label="w")
    y = (w * x).tanh()
    y.label = "y"
    report = check_partials(y, {x: lambda y, w: (1 - y**2) * w, "w": lambda x: x})
    assert report.rows[0].ok and report.rows[0].name.startswith("n")
    assert any("without a label" in note for note in report.notes)
    assert "1 leaves have no label" in (report.rows[1].error or "")
    a, b = Value(1.0, label="a"), Value(2.0, label="a")
    s = a * b
    report = check_partials(s, {b: lambda a: a})
    assert "several nodes of the graph are labelled 'a'" in (report.rows[0].error or "")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(max_steps=8), st.sampled_from([2.0, -1.0, 1.5]))
def test_engine_values_pass_and_scaled_ones_fail(program: Program, scale: float) -> None:
    leaves = program.values()
    out = program.run(leaves, apply_value)[-1]
    engine = grad(out, leaves, allow_unused=True)
    used = [(x, g) for x, g in zip(leaves, engine, strict=True)
            if math.isfinite(g) and any(x is n for n in _nodes(out))]
    assume(used)
    assert check_partials(out, dict(used))
    wrong = check_partials(out, {x: g * scale for x, g in used})
    for row, (_, g) in zip(wrong.rows, used, strict=True):
        assert row.ok == (abs(g * scale - g) <= 1e-8 + 1e-6 * abs(g))  # only a gradient ~0
        if not row.ok and scale == 2.0:
            assert any("2 × the engine's value" in h for h in row.hints)


def _nodes(out: Value) -> list[Value]:
    from autograd import topological_order

    return topological_order(out)


# -- several points, non-finite numbers, structure ---------------------------------------------


def test_a_formula_right_at_one_point_only_is_caught_elsewhere() -> None:
    x = Value(0.0, label="x")
    s = x.sin()
    s.label = "s"
    report = check_partials(s, {"x": "cos(x) + x"})
    (row,) = report.rows
    assert not report and row.points == 6 and row.failed_points == 5
    assert row.at != {"x": 0.0} and abs(row.expected - row.engine - row.at["x"]) < 1e-12
    # ... while at the given point it agrees, and the row says so with its numbers there.
    assert row.ok_here and row.expected_here == row.engine_here == 1.0
    assert check_partials(s, {"x": "cos(x) + x"}, points=0)  # the old, one-point verdict
    assert check_partials(s, {"x": "cos(x)"}, points=20)
    assert check_partials(s, {"x": lambda x: math.cos(x)})
    again = check_partials(s, {"x": "cos(x) + x"}, seed=0)
    assert again.rows[0].at == row.at  # seeded
    with pytest.raises(ValueError, match="points"):
        check_partials(s, {"x": "cos(x)"}, points=-1)


def test_the_same_non_finite_value_agrees() -> None:
    x = Value(1.0, label="x")
    y = x * math.inf
    y.label = "y"
    assert check_partials(y, {"x": math.inf}) and check_partials(y, {"x": "∞"})
    assert not check_partials(y, {"x": -math.inf}) and not check_partials(y, {"x": "nan"})
    z = x * math.nan
    z.label = "z"
    assert check_partials(z, {"x": math.nan})
    assert "NaN" in str(check_partials(z, {"x": 1.0}))


def test_inf_minus_inf_in_a_diagnosis_does_not_crash() -> None:
    x = Value(5e-324, label="x")
    y = x / x
    y.label = "y"
    report = check_partials(y, {"x": 0.5})
    assert not report
    assert "overflow, 0/0 or ∞ − ∞" in report.rows[0].hints[0]
    str(report)


def test_the_report_as_structure() -> None:
    import json

    net = seed_network()
    report = check_partials(net.E, {"w5": lambda out_o1, out_h1: out_o1 * out_h1, "w6": 0.1})
    d = report.to_dict()
    json.dumps(d)
    assert d["ok"] is False and [r["name"] for r in d["rows"]] == ["w5", "w6"]
    assert d["rows"][0]["points"] == 6 and d["rows"][1]["points"] == 1
    assert set(d["rows"][0]) == {"name", "expected", "engine", "abs_error", "ok", "error",
                                 "hints", "at", "points", "failed_points", "expected_here",
                                 "engine_here", "ok_here", "digits", "kink", "unexplained",
                                 "rounded"}


def test_allow_unused_compares_a_node_the_output_does_not_use_with_zero() -> None:
    x, z = Value(0.5, label="x"), Value(2.0, label="z")
    y = x.tanh()
    y.label = "y"
    with pytest.raises(ValueError, match="not in the graph"):
        check_partials(y, {z: 0.0})
    assert check_partials(y, {z: 0.0}, allow_unused=True)
    wrong = check_partials(y, {z: "x"}, allow_unused=True)
    assert not wrong and "was not computed from z" in wrong.rows[0].hints[0]


def test_a_graph_with_a_micrograd_style_operation_is_checked_at_its_own_point() -> None:
    from tests.user_ops import micrograd_sigmoid

    w, x = Value(2.0, label="w"), Value(0.5, label="x")
    h = micrograd_sigmoid(w * x)
    h.label = "h"
    y = h * 3.0
    y.label = "y"
    report = check_partials(y, {"x": "3*h*(1-h)*w"})
    assert report and report.rows[0].points == 1
    assert "user-defined operation (sigmoid)" in report.notes[0]
    assert not check_partials(y, {"x": "3*h*w"})
