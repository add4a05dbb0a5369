"""The rule table, checked entry by entry: a new operation is tested by adding it to the table."""

from __future__ import annotations

import math
import random

import pytest

import autograd
from autograd import RULES, Rule, Value, apply, floats, grad
from autograd.check import numerical_gradient
from autograd.formula import FLOAT_ALGEBRA, VALUE_ALGEBRA, evaluate, parse, render
from autograd.value import VALUE_MATH
from tests.oracles import torch_apply, torch_or_skip

RULE_LIST = list(RULES.values())
POINTS_PER_RULE = 25


#: How many inputs the tests give a rule that takes any number (w0, x0, w1, x1, b for linear).
VARIADIC_INPUTS = 5


def input_count(rule: Rule) -> int:
    return rule.arity or VARIADIC_INPUTS


def sample_points(rule: Rule, seed: int, n: int = POINTS_PER_RULE) -> list[tuple[float, ...]]:
    """n points of the rule's domain, from an explicit generator."""
    rng = random.Random(seed)
    domains = rule.domain * VARIADIC_INPUTS if rule.arity == 0 else rule.domain
    points = []
    for _ in range(n):
        point = []
        for intervals in domains:
            lo, hi = rng.choice(intervals)
            point.append(rng.uniform(lo, hi))
        points.append(tuple(point))
    return points


def central_difference(f, point: tuple[float, ...], i: int, eps: float = 1e-6) -> float:
    up = list(point)
    down = list(point)
    up[i] += eps
    down[i] -= eps
    return (f(*up) - f(*down)) / (2 * eps)


@pytest.mark.parametrize("rule", RULE_LIST, ids=lambda r: r.name)
def test_each_partial_matches_central_differences_of_the_forward(rule: Rule) -> None:
    for point in sample_points(rule, seed=1):
        out = rule.forward(*point)
        for i in range(input_count(rule)):
            numeric = central_difference(rule.forward, point, i)
            table = rule.partial(i, floats, *point, out)
            assert table == pytest.approx(numeric, rel=1e-5, abs=1e-6), (rule.name, point, i)


@pytest.mark.parametrize("rule", RULE_LIST, ids=lambda r: r.name)
def test_the_engine_gradient_matches_the_library_checker(rule: Rule) -> None:
    for point in sample_points(rule, seed=2, n=10):
        inputs = [Value(x, label=f"in{i}") for i, x in enumerate(point)]
        out = apply(rule, *inputs)
        assert out.data == rule.forward(*point)
        assert out.op == rule.name
        out.backward()
        numeric = numerical_gradient(lambda *vs: apply(rule, *vs), inputs)
        for x, n in zip(inputs, numeric, strict=True):
            assert x.grad == pytest.approx(n, rel=1e-5, abs=1e-6), (rule.name, point)


@pytest.mark.parametrize("rule", [r for r in RULE_LIST if r.arity == 2], ids=lambda r: r.name)
def test_a_constant_input_in_either_place_gets_no_node_and_the_same_gradient(rule: Rule) -> None:
    (x, y) = sample_points(rule, seed=3, n=1)[0]
    for which in (0, 1):
        v = Value(x if which == 0 else y)
        args = (v, y) if which == 0 else (x, v)
        out = apply(rule, *args)
        assert out.parents == (v,)
        assert out.params == ((y,) if which == 0 else (x,))
        assert out.data == rule.forward(x, y)
        out.backward()
        expected = rule.partial(which, floats, x, y, out.data)
        assert v.grad == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("rule", RULE_LIST, ids=lambda r: r.name)
def test_formula_texts_agree_with_the_functions(rule: Rule) -> None:
    names, text, partial_texts = rule.formulas(input_count(rule))
    for point in sample_points(rule, seed=4, n=10):
        variables = dict(zip(names, point, strict=True))
        out = rule.forward(*point)
        assert evaluate(text, variables, FLOAT_ALGEBRA) == pytest.approx(out, rel=1e-12)
        for i, partial in enumerate(partial_texts):
            from_text = evaluate(partial, {**variables, "out": out}, FLOAT_ALGEBRA)
            assert from_text == pytest.approx(rule.partial(i, floats, *point, out), rel=1e-12), (
                rule.name, partial
            )


@pytest.mark.parametrize("rule", RULE_LIST, ids=lambda r: r.name)
def test_formula_texts_use_only_inputs_output_and_known_functions(rule: Rule) -> None:
    names, text, partial_texts = rule.formulas(input_count(rule))
    assert len(names) == input_count(rule) == len(partial_texts)
    assert parse(text).names <= set(names)
    for partial in partial_texts:
        assert parse(partial).names <= {*names, "out"}
        assert render(partial, "latex")  # every text can be written for a document


@pytest.mark.parametrize("rule", RULE_LIST, ids=lambda r: r.name)
def test_partials_built_as_values_agree_with_the_float_partials(rule: Rule) -> None:
    """create_graph reads the same table entries; at a point both give the same number."""
    for point in sample_points(rule, seed=5, n=5):
        inputs = [Value(x) for x in point]
        out = apply(rule, *inputs)
        for i in range(input_count(rule)):
            as_value = rule.partial(i, VALUE_MATH, *inputs, out)
            number = as_value.data if isinstance(as_value, Value) else as_value
            assert number == pytest.approx(rule.partial(i, floats, *point, out.data), rel=1e-12)


@pytest.mark.parametrize("rule", RULE_LIST, ids=lambda r: r.name)
def test_second_derivatives_of_each_rule_match_differences_of_the_first(rule: Rule) -> None:
    for point in sample_points(rule, seed=6, n=5):
        inputs = [Value(x) for x in point]
        first = grad(apply(rule, *inputs), inputs, create_graph=True)
        for i, g in enumerate(first):
            second = grad(g, inputs, allow_unused=True)
            for j in range(input_count(rule)):

                def partial_i(*p: float, i: int = i) -> float:
                    return float(rule.partial(i, floats, *p, rule.forward(*p)))

                numeric = central_difference(partial_i, point, j, eps=1e-5)
                assert second[j] == pytest.approx(numeric, rel=1e-4, abs=1e-5), (rule.name, i, j)


@pytest.mark.parametrize("rule", RULE_LIST, ids=lambda r: r.name)
def test_each_rule_against_pytorch(rule: Rule) -> None:
    torch = torch_or_skip()
    for point in sample_points(rule, seed=7, n=10):
        inputs = [Value(x) for x in point]
        out = apply(rule, *inputs)
        out.backward()
        tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in point]
        if rule.name == "leaky_relu":  # PyTorch's slope is a number, not a tensor
            t_out = torch_apply(rule.name, tensors[0], point[1])
            t_out.backward()
            tensors = tensors[:1]
        else:
            t_out = torch_apply(rule.name, *tensors)
            t_out.backward()
        assert out.data == pytest.approx(t_out.item(), rel=1e-12, abs=1e-300)
        for v, t in zip(inputs, tensors, strict=False):
            assert v.grad == pytest.approx(t.grad.item(), rel=1e-10, abs=1e-300), rule.name


def test_the_operations_a_hand_derivation_writes_are_rules_not_compositions() -> None:
    a, b = Value(3.0), Value(2.0)
    for expr, op in [
        (a - b, "sub"), (a / b, "div"), (-a, "neg"), (a.exp(), "exp"), (a.log(), "log"),
        (a.tanh(), "tanh"), (a.sigmoid(), "sigmoid"), (a**2, "pow"), (a.relu(), "relu"),
        (abs(a), "abs"), (a.sqrt(), "sqrt"), (a.softplus(), "softplus"), (a.sin(), "sin"),
        (a.cos(), "cos"), (a.leaky_relu(0.1), "leaky_relu"), (2**a, "pow"), (a**b, "pow"),
        (a.tan(), "tan"), (a.max(b), "max"),
    ]:
        assert expr.op == op
        assert all(p.is_leaf for p in expr.parents), f"{op} made intermediate nodes"


def test_every_value_method_is_a_table_entry_and_back() -> None:
    methods = {"exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "softplus", "relu",
               "leaky_relu", "max"}
    assert methods <= set(RULES)
    for name in methods:
        assert callable(getattr(Value, name))
    assert {"add", "sub", "mul", "div", "pow", "neg", "abs"} <= set(RULES)


@pytest.mark.parametrize("rule", RULE_LIST, ids=lambda r: r.name)
def test_each_rules_name_is_a_value_method_that_makes_its_node(rule: Rule) -> None:
    point = sample_points(rule, seed=8, n=1)[0]
    inputs = [Value(x) for x in point]
    out = getattr(inputs[0], rule.name)(*inputs[1:])
    assert out.op == rule.name and out.rule is rule
    assert out.data == rule.forward(*point)


def test_max_follows_torch_maximum_at_ties_and_nan() -> None:
    for x, y, dx, dy in [(2.0, 1.0, 1.0, 0.0), (1.0, 2.0, 0.0, 1.0), (1.5, 1.5, 0.5, 0.5),
                         (math.nan, 1.0, 1.0, 1.0), (1.0, math.nan, 1.0, 1.0)]:
        a, b = Value(x), Value(y)
        out = a.max(b)
        out.backward()
        assert (a.grad, b.grad) == (dx, dy), (x, y)
        assert math.isnan(out.data) if math.isnan(x + y) else out.data == max(x, y)
    assert "torch.maximum" in RULES["max"].note


def test_tan_derivative_is_one_plus_tan_squared_where_it_is_finite() -> None:
    x = Value(math.pi / 4)
    y = x.tan()
    y.backward()
    assert y.data == pytest.approx(1.0, rel=1e-15) and x.grad == pytest.approx(2.0, rel=1e-15)
    assert math.isnan(Value(math.inf).tan().data)


@pytest.mark.parametrize(("name", "at", "elsewhere"), [
    ("relu", (0.0,), (0.5,)), ("abs", (0.0,), (-0.5,)), ("leaky_relu", (0.0, 0.1), (1.0, 0.1)),
    ("max", (1.5, 1.5), (1.5, 1.0)),
])
def test_rules_with_a_kink_say_where_it_is(name: str, at: tuple[float, ...],
                                           elsewhere: tuple[float, ...]) -> None:
    kink = RULES[name].kink
    assert kink is not None and kink(*at) and not kink(*elsewhere)
    smooth = [r.name for r in RULE_LIST if r.kink is None]
    assert {"exp", "tanh", "sigmoid", "tan", "mul"} <= set(smooth)


def test_abs_is_a_method_as_the_table_says() -> None:
    assert Value(-0.5).abs().data == 0.5
    assert Value(2.0).mul(3.0).data == 6.0 and Value(2.0).pow(3).data == 8.0


# -- extending the table -----------------------------------------------------------------------


def _table_checks(rule: Rule) -> None:
    """The table-driven checks above, run on one rule."""
    for check in (
        test_each_partial_matches_central_differences_of_the_forward,
        test_the_engine_gradient_matches_the_library_checker,
        test_formula_texts_agree_with_the_functions,
        test_formula_texts_use_only_inputs_output_and_known_functions,
        test_partials_built_as_values_agree_with_the_float_partials,
        test_second_derivatives_of_each_rule_match_differences_of_the_first,
        test_each_rules_name_is_a_value_method_that_makes_its_node,
    ):
        check(rule)


def _swish_dx(M, x, out):  # ∂(x·σ(x))/∂x = σ(x) + x·σ(x)·(1 - σ(x))
    s = M.sigmoid(x)
    return s + x * s * (1.0 - s)


SWISH = Rule(
    "swish", 1, lambda x: x * floats.sigmoid(x), (_swish_dx,), "swish", "x * sigmoid(x)",
    ("sigmoid(x) + x * sigmoid(x) * (1 - sigmoid(x))",), (((-3.0, 3.0),),),
    note="x·σ(x), also called SiLU.",
)
HYPOT = Rule(
    "hypot", 2, lambda x, y: floats.sqrt(x * x + y * y),
    (lambda M, x, y, out: x / out, lambda M, x, y, out: y / out), "hypot",
    "sqrt(x ** 2 + y ** 2)", ("x / out", "y / out"), (((0.5, 3.0),), ((0.5, 3.0),)),
)


@pytest.mark.parametrize("rule", [SWISH, HYPOT], ids=lambda r: r.name)
def test_a_registered_rule_is_a_value_method_checked_like_the_table(rule: Rule) -> None:
    from autograd.extend import _unregister

    assert autograd.register(rule) is rule
    try:
        assert RULES[rule.name] is rule
        _table_checks(rule)
        xs = [Value(0.7, label="a"), Value(1.3, label="b")][: rule.arity]
        report = autograd.gradcheck(lambda *v: getattr(v[0], rule.name)(*v[1:]) * v[0], xs)
        assert bool(report), str(report)
        out = getattr(xs[0], rule.name)(*xs[1:])
        assert out.symbol == rule.symbol and out._op == rule.name
        assert autograd.explain(out * 2.0, xs[0]).paths
    finally:
        _unregister(rule.name)
    assert rule.name not in RULES and not hasattr(Value, rule.name)


def test_register_refuses_what_it_cannot_use() -> None:
    with pytest.raises(ValueError, match="taken"):
        autograd.register(RULES["exp"])
    with pytest.raises(ValueError, match="taken"):
        autograd.register(Rule("grad", 1, abs, (1.0,), "g", "x", ("1",), (((-1.0, 1.0),),)))
    with pytest.raises(ValueError, match="unknown function 'cube'"):
        autograd.register(Rule("cube", 1, lambda x: x**3, (lambda M, x, o: 3 * x * x,), "³",
                               "cube(x)", ("3 * x ** 2",), (((-1.0, 1.0),),)))
    with pytest.raises(ValueError, match="uses z"):
        autograd.register(Rule("cube", 1, lambda x: x**3, (lambda M, x, o: 3 * x * x,), "³",
                               "x ** 3", ("3 * z ** 2",), (((-1.0, 1.0),),)))
    with pytest.raises(TypeError, match="Rule"):
        autograd.register("cube")  # type: ignore[arg-type]
    assert "cube" not in RULES


def test_value_algebra_builds_the_same_graph_as_operators() -> None:
    w, x = Value(0.5, label="w"), Value(1.5, label="x")
    parsed = evaluate("sigmoid(w * x - 2) ** 2", {"w": w, "x": x}, VALUE_ALGEBRA)
    direct = ((w * x - 2).sigmoid()) ** 2
    assert parsed.data == direct.data
    assert [n.op for n in (parsed, parsed.parents[0], parsed.parents[0].parents[0])] == [
        "pow", "sigmoid", "sub"]
    assert math.isclose(grad(parsed, w), grad(direct, w), rel_tol=1e-15)


# -- linear: a neuron's net input as one node --------------------------------------------------


def test_linear_equals_the_same_sum_written_with_operators() -> None:
    from autograd import linear

    w = [Value(0.3, label="w0"), Value(-1.2, label="w1"), Value(0.7, label="w2")]
    x = [Value(1.5, label="x0"), 2.0, Value(-0.5, label="x2")]
    b = Value(0.25, label="b")
    fused = linear(w, x, b)
    by_hand = w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + b
    assert fused.data == by_hand.data  # the same left-to-right sum, to the last bit
    assert fused.op == "linear" and all(p.is_leaf for p in fused.parents)
    assert fused.params == (2.0,)  # the plain input is a constant of the node
    leaves = [*w, x[0], x[2], b]
    assert grad(fused, leaves) == grad(by_hand, leaves)
    for row, expected in zip(autograd.hessian(fused * fused, leaves),
                             autograd.hessian(by_hand * by_hand, leaves), strict=True):
        assert row == pytest.approx(expected, rel=1e-12)


def test_linear_shares_inputs_and_checks_its_shape() -> None:
    from autograd import linear

    a = Value(2.0)
    out = linear([a, a], [a, 3.0], a)  # a·a + a·3 + a: d/da = 2a + 3 + 1
    out.backward()
    assert a.grad == 8.0
    with pytest.raises(ValueError, match="2 weights but 1 inputs"):
        linear([a, a], [1.0])
    with pytest.raises(TypeError, match="str"):
        linear([a], ["x"])
    assert linear([], [], a).data == 2.0


def test_linear_under_no_grad_and_anomaly_modes() -> None:
    from autograd import detect_anomaly, linear, no_grad

    w = Value(1e308)
    with no_grad():
        assert linear([w], [1.0], 0.0).is_leaf
    with detect_anomaly(), pytest.raises(autograd.AnomalyError, match="linear"):
        linear([w], [10.0], 0.0)
