"""The rule table, checked entry by entry: a new operation is tested by adding it to the table."""

from __future__ import annotations

import math
import random

import pytest

from autograd import RULES, Rule, Value, apply, floats, grad
from autograd.check import numerical_gradient
from autograd.formula import FLOAT_ALGEBRA, VALUE_ALGEBRA, evaluate, parse, render
from autograd.value import VALUE_MATH
from tests.oracles import torch_apply, torch_or_skip

RULE_LIST = list(RULES.values())
POINTS_PER_RULE = 25


def sample_points(rule: Rule, seed: int, n: int = POINTS_PER_RULE) -> list[tuple[float, ...]]:
    """n points of the rule's domain, from an explicit generator."""
    rng = random.Random(seed)
    points = []
    for _ in range(n):
        point = []
        for intervals in rule.domain:
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
        for i in range(rule.arity):
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
    names = "xy"
    for point in sample_points(rule, seed=4, n=10):
        variables = dict(zip(names, point, strict=False))
        out = rule.forward(*point)
        assert evaluate(rule.text, variables, FLOAT_ALGEBRA) == pytest.approx(out, rel=1e-12)
        for i, text in enumerate(rule.partial_texts):
            from_text = evaluate(text, {**variables, "out": out}, FLOAT_ALGEBRA)
            assert from_text == pytest.approx(rule.partial(i, floats, *point, out), rel=1e-12), (
                rule.name, text
            )


@pytest.mark.parametrize("rule", RULE_LIST, ids=lambda r: r.name)
def test_formula_texts_use_only_inputs_output_and_known_functions(rule: Rule) -> None:
    assert parse(rule.text).names <= {"x", "y"}
    for text in rule.partial_texts:
        assert parse(text).names <= {"x", "y", "out"}
        assert render(text, "latex")  # every text can be written for a document


@pytest.mark.parametrize("rule", RULE_LIST, ids=lambda r: r.name)
def test_partials_built_as_values_agree_with_the_float_partials(rule: Rule) -> None:
    """create_graph reads the same table entries; at a point both give the same number."""
    for point in sample_points(rule, seed=5, n=5):
        inputs = [Value(x) for x in point]
        out = apply(rule, *inputs)
        for i in range(rule.arity):
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
            for j in range(rule.arity):

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
    ]:
        assert expr.op == op
        assert all(p.is_leaf for p in expr.parents), f"{op} made intermediate nodes"


def test_every_value_method_is_a_table_entry_and_back() -> None:
    methods = {"exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "softplus", "relu",
               "leaky_relu"}
    assert methods <= set(RULES)
    for name in methods:
        assert callable(getattr(Value, name))
    assert {"add", "sub", "mul", "div", "pow", "neg", "abs"} <= set(RULES)


def test_value_algebra_builds_the_same_graph_as_operators() -> None:
    w, x = Value(0.5, label="w"), Value(1.5, label="x")
    parsed = evaluate("sigmoid(w * x - 2) ** 2", {"w": w, "x": x}, VALUE_ALGEBRA)
    direct = ((w * x - 2).sigmoid()) ** 2
    assert parsed.data == direct.data
    assert [n.op for n in (parsed, parsed.parents[0], parsed.parents[0].parents[0])] == [
        "pow", "sigmoid", "sub"]
    assert math.isclose(grad(parsed, w), grad(direct, w), rel_tol=1e-15)
