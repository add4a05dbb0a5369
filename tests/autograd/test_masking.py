"""Gradients masked as PyTorch masks them: where a rule's slope is zero by definition (a dead
ReLU, ``x ** 0``), an inf or nan gradient from above stops, as PyTorch's ``where(mask, 0, grad)``
stops it; and the values and gradients of random graphs with inf, nan, zeros and subnormal
numbers in them match PyTorch float64's, rule by rule and graph by graph.

PyTorch's behaviour at each special point was found by running it (torch 2.13); the expected
numbers below hold without torch installed, and the differential tests compare with torch itself
when it is.
"""

from __future__ import annotations

import math
import pickle

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from autograd import RULES, STRONG_ZERO, Value, floats, grad
from autograd.value import RULE_METHODS
from tests.oracles import torch_apply, torch_or_skip
from tests.strategies import BINARY, UNARY, Program, Step

INF, NAN = math.inf, math.nan
TINY = 5e-324  # the smallest subnormal: 1 / TINY overflows


def same(a: float, b: float, rel: float = 1e-9) -> bool:
    """Equal as PyTorch comparisons go: both nan, the same infinity, or close (zeros of either
    sign are equal)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return a == pytest.approx(b, rel=rel, abs=1e-300)


# -- the cases the issue names, with PyTorch's numbers ----------------------------------------


def test_a_dead_relu_stops_an_infinite_gradient_from_log_zero() -> None:
    x = Value(-1.0)
    x.relu().log().backward()  # log'(0) = inf arrives at a ReLU whose slope is 0
    assert x.grad == 0.0  # PyTorch: 0.0 (it was nan: inf * 0)


@pytest.mark.parametrize("x", [2.0, -1.0, 0.0, INF, -INF, NAN, TINY, -TINY, 1e-310])
@pytest.mark.parametrize("upstream", [1.0, INF, -INF, NAN])
def test_x_to_the_zero_has_slope_zero_whatever_x_and_whatever_comes_from_above(
    x: float, upstream: float
) -> None:
    for make in (lambda v: v**0, lambda v: v**0.0, lambda v: v ** Value(0.0)):
        v = Value(x)
        out = make(v)
        assert out.data == 1.0
        out.backward(upstream)
        assert v.grad == 0.0, (x, upstream)


@pytest.mark.parametrize(
    ("x", "expected"), [(NAN, 0.0), (0.0, 0.0), (-0.0, 0.0), (-2.0, -1.0), (3.0, 1.0)]
)
def test_abs_slope_is_pytorch_sgn(x: float, expected: float) -> None:
    v = Value(x)
    abs(v).backward()
    assert v.grad == expected
    assert Value(x).abs().data == abs(x) or math.isnan(x)


def test_abs_slope_at_zero_is_an_ordinary_zero_as_in_pytorch() -> None:
    v = Value(0.0)
    abs(v).backward(INF)  # PyTorch's inf * sgn(0) is nan: abs does not mask
    assert math.isnan(v.grad)


@pytest.mark.parametrize(
    ("x", "upstream", "expected"),
    [(NAN, 1.0, 1.0), (NAN, 5.0, 5.0), (-1.0, NAN, 0.0), (0.0, INF, 0.0), (-INF, INF, 0.0),
     (-TINY, INF, 0.0), (2.0, INF, INF), (TINY, 1.0, 1.0)],
)
def test_relu_slope_is_pytorch_threshold_backward(x: float, upstream: float, expected) -> None:
    v = Value(x)
    v.relu().backward(upstream)
    assert same(v.grad, expected)


def test_where_pytorch_does_not_mask_neither_does_kuibu() -> None:
    v = Value(0.0)
    (v * 0.0).backward(INF)
    assert math.isnan(v.grad)  # PyTorch: inf * 0 = nan for mul
    w = Value(0.0)
    (w**2).backward(INF)  # slope 2·0 = 0, not masked
    assert math.isnan(w.grad)
    y = Value(2.0)
    (Value(0.0) ** y).backward(INF)  # ∂(0^y)/∂y = 0 for y >= 0: PyTorch's zero is ordinary
    assert math.isnan(y.grad)


def test_masking_also_holds_in_grad_and_under_detect_anomaly_and_for_higher_orders() -> None:
    from autograd import detect_anomaly

    x = Value(-1.0)
    y = x.relu().log()
    assert grad(y, x) == 0.0
    with detect_anomaly():
        z = Value(-1.0)
        z.relu().backward(INF)
        assert z.grad == 0.0
    x = Value(-1.0)
    first = grad(x.relu() * 3.0, x, create_graph=True)  # the masked slope times 3
    assert first.data == 0.0
    assert grad(first, x, allow_unused=True) == 0.0


def test_the_strong_zero_is_zero_except_when_multiplied() -> None:
    z = STRONG_ZERO
    assert z == 0.0 and repr(z) == "0.0" and type(float(z)) is float
    assert INF * z == 0.0 and z * NAN == 0.0 and 3 * z == 0.0
    assert type(z + 1.0) is float and z + 1.0 == 1.0
    assert math.isnan(z + NAN)
    assert pickle.loads(pickle.dumps(z)) is z
    assert floats.step(-1.0) is z and floats.step(0.0) is z
    v = Value(INF)
    masked = v * z  # a node whose value and partial are both masked
    assert masked.data == 0.0 and masked.partials == (0.0,)
    masked.backward(INF)
    assert v.grad == 0.0


# -- rule by rule at special points, against PyTorch ------------------------------------------

SPECIAL = [0.0, -0.0, -1.0, 2.0, 0.5, INF, -INF, NAN, TINY, -TINY, 1e-310, 25.0, -800.0]
UPSTREAM = [1.0, -3.0, INF, -INF, NAN, 0.0]


@pytest.mark.parametrize("rule", [r for r in RULES.values() if r.arity == 1], ids=str)
def test_each_one_input_rule_at_special_points_matches_pytorch(rule) -> None:
    torch = torch_or_skip()
    for x in SPECIAL:
        for g in UPSTREAM:
            v = Value(x)
            out = RULE_METHODS[rule.name](v)
            out.backward(g)
            t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
            t_out = torch_apply(rule.name, t)
            t_out.backward(torch.tensor(g, dtype=torch.float64))
            assert same(out.data, t_out.item()), (rule.name, x)
            assert same(v.grad, t.grad.item()), (rule.name, x, g, v.grad, t.grad.item())


@pytest.mark.parametrize("rule", [r for r in RULES.values() if r.arity == 2], ids=str)
def test_each_two_input_rule_at_special_points_matches_pytorch(rule) -> None:
    torch = torch_or_skip()
    ys = [0.0, -1.0, 2.0, 0.5, INF, NAN, 3.0] if rule.name != "leaky_relu" else [0.01, 0.2]
    for x in SPECIAL:
        for y in ys:
            for g in (1.0, INF, NAN):
                a = Value(x)
                b = Value(y) if rule.name != "leaky_relu" else y
                out = RULE_METHODS[rule.name](a, b)
                out.backward(g)
                ta = torch.tensor(x, dtype=torch.float64, requires_grad=True)
                tb = torch.tensor(y, dtype=torch.float64, requires_grad=True)
                t_out = torch_apply(rule.name, ta, tb if rule.name != "leaky_relu" else y)
                t_out.backward(torch.tensor(g, dtype=torch.float64))
                where = (rule.name, x, y, g)
                assert same(out.data, t_out.item()), where
                assert same(a.grad, ta.grad.item()), (*where, a.grad, ta.grad.item())
                if isinstance(b, Value):
                    assert same(b.grad, tb.grad.item()), (*where, b.grad, tb.grad.item())


# -- random graphs with inf and nan allowed ---------------------------------------------------


@st.composite
def wild_programs(draw: st.DrawFn) -> Program:
    """Random programs whose leaves and constants include 0, ±inf, nan and subnormals, and
    whose steps include dead ReLUs, ``x ** 0`` and log of 0."""
    special = st.sampled_from([0.0, -0.0, INF, -INF, NAN, TINY, -TINY, -1.0, 1.0])
    ordinary = st.floats(-3.0, 3.0, allow_nan=False).map(lambda v: round(v, 3))
    leaves = tuple(draw(st.lists(special | ordinary, min_size=1, max_size=4)))
    steps: list[Step] = []
    for i in range(draw(st.integers(1, 10))):
        size = len(leaves) + i
        pick = st.integers(0, size - 1) | st.integers(max(0, size - 3), size - 1)
        op = draw(st.sampled_from(UNARY + BINARY))
        b: int | float | None = None
        if op == "leaky_relu":
            b = draw(st.sampled_from([0.01, 0.1]))
        elif op == "pow":
            b = draw(st.sampled_from([0.0, 2.0, 3.0, 0.5, -1.0]) | pick)
        elif op in BINARY:
            b = draw(pick | special | ordinary)
        steps.append(Step(op, draw(pick), b))
    return Program(leaves, tuple(steps))


def _run_torch(program: Program, torch):
    tensors = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in program.leaves]
    return tensors, program.run(tensors, torch_apply)


def _value_step(op: str, a, b):
    method = RULE_METHODS[op]
    return method(a) if b is None else method(a, b)


@given(wild_programs(), st.sampled_from([1.0, INF, NAN, -2.0]))
def test_random_graphs_with_inf_and_nan_match_pytorch_in_every_value_and_gradient(
    program: Program, upstream: float
) -> None:
    torch = torch_or_skip()
    leaves = program.values()
    nodes = program.run(leaves, _value_step)
    out = nodes[-1]
    tensors, t_nodes = _run_torch(program, torch)
    assume(isinstance(out, Value) and t_nodes[-1].requires_grad)
    out.backward(upstream)
    t_nodes[-1].backward(torch.tensor(upstream, dtype=torch.float64))
    for node, t in zip(nodes, t_nodes, strict=True):
        assert same(node.data, t.item()), str(program)
    for leaf, t in zip(leaves, tensors, strict=True):
        expected = 0.0 if t.grad is None else t.grad.item()
        assert same(leaf.grad, expected), (str(program), leaf.label, leaf.grad, expected)


@given(wild_programs())
def test_random_graphs_grad_agrees_with_backward_on_masked_graphs(program: Program) -> None:
    leaves = program.values()
    out = program.run(leaves, _value_step)[-1]
    assume(isinstance(out, Value))
    out.backward()
    by_grad = grad(out, leaves, allow_unused=True)
    for leaf, g in zip(leaves, by_grad, strict=True):
        # a leaf used twice gets its grad once in each; allow_unused leaves are 0 in both
        assert same(leaf.grad, g, rel=1e-12), str(program)


# -- where kuibu differs on purpose -----------------------------------------------------------


def test_second_derivative_of_pow_at_exponent_zero_differs_from_pytorch_on_purpose() -> None:
    """PyTorch's ∂(x^y)/∂x at y = 0 is a constant zero, so differentiating it again loses the
    term x^(y-1)·∂y: for exp(x) ** x at 0 PyTorch gives 1; the truth, (e^(x²))'' at 0, is 2,
    which kuibu gives (docs/pytorch.md)."""
    x = Value(0.0)
    first = grad(x.exp() ** x, x, create_graph=True)
    assert first.data == 0.0
    assert grad(first, x) == 2.0
    torch = pytest.importorskip("torch")
    t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(t.exp() ** t, t, create_graph=True)
    (gg,) = torch.autograd.grad(g, t)
    assert gg.item() == 1.0  # if this changes, PyTorch has fixed it: update docs/pytorch.md
