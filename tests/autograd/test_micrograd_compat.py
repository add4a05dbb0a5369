"""micrograd's code and the micrograd lecture, run on kuibu with only the imports changed.

Each test writes one pattern of micrograd's material in our own words: stepping ``_backward()``
by hand through the lecture's neuron, a hand-written topological sort over ``_prev``, operations
defined micrograd's way (``Value(data, children, op)`` and ``out._backward = fn``), the ``_op``
texts and the repr. Numbers come from micrograd's README and ``test/test_engine.py`` (which
checks them against PyTorch) and from the lecture notebooks (nn-zero-to-hero,
``lectures/micrograd``); with micrograd 0.1.0 or torch installed, the same expressions are also
run there.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import assume, given

from autograd import Value, explain, grad, gradcheck, topological_order
from tests.strategies import Program, apply_value, programs
from tests.user_ops import micrograd_sigmoid

B = 6.8813735870195432  # the lecture's bias: tanh(n) = 1/√2 exactly enough to read


def lecture_neuron() -> dict[str, Value]:
    """The lecture's neuron, o = tanh(x1·w1 + x2·w2 + b), built with its labels."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(B, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    s = x1w1 + x2w2
    s.label = "x1*w1 + x2*w2"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b, "x1w1": x1w1, "x2w2": x2w2,
            "s": s, "n": n, "o": o}


def grads(nodes: dict[str, Value]) -> dict[str, float]:
    return {k: v.grad for k, v in nodes.items()}


def build_topo(root: Any) -> list[Any]:
    """A user's topological sort, micrograd's way: recursive, a visited set, over ``_prev``."""
    topo: list[Any] = []
    visited: set[Any] = set()

    def visit(v: Any) -> None:
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                visit(child)
            topo.append(v)

    visit(root)
    return topo


def backward_by_hand(root: Any) -> None:
    root.grad = 1.0
    for node in reversed(build_topo(root)):
        node._backward()


# -- _backward() ------------------------------------------------------------------------------


def test_stepping_backward_by_hand_through_the_lecture_neuron() -> None:
    nodes = lecture_neuron()
    o, n, s, b = nodes["o"], nodes["n"], nodes["s"], nodes["b"]
    assert o.data == pytest.approx(0.7071067811865476, rel=1e-15)
    o.grad = 1.0
    o._backward()
    assert n.grad == pytest.approx(0.5, rel=1e-15)  # 1 - o² (the lecture: 0.4999999999999999)
    n._backward()
    assert s.grad == b.grad == n.grad  # a + passes the gradient on unchanged
    b._backward()  # a leaf: nothing to do
    s._backward()
    nodes["x2w2"]._backward()
    nodes["x1w1"]._backward()
    expected = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0}  # the lecture's gradients
    for name, value in expected.items():
        assert nodes[name].grad == pytest.approx(value, rel=1e-14, abs=0.0), name
    by_hand = grads(nodes)
    fresh = lecture_neuron()
    fresh["o"].backward()
    assert grads(fresh) == by_hand  # exactly, to the last bit


def test_a_hand_written_topological_sort_looping_backward_equals_backward() -> None:
    cases: list[Callable[[], Value]] = []

    def neuron() -> Value:
        return lecture_neuron()["o"]

    def tanh_from_exp() -> Value:  # the lecture's second half: tanh written with exp
        x1, x2, w1, w2 = Value(2.0), Value(0.0), Value(-3.0), Value(1.0)
        n = x1 * w1 + x2 * w2 + Value(B)
        e = (2 * n).exp()
        return (e - 1) / (e + 1)

    def a_plus_a() -> Value:  # the lecture's bug: b = a + a must give a.grad 2
        a = Value(3.0)
        return a + a

    def shared() -> Value:  # d = a*b, e = a+b, f = d*e
        a, b = Value(-2.0), Value(3.0)
        return (a * b) * (a + b)

    cases = [neuron, tanh_from_exp, a_plus_a, shared]
    for make in cases:
        by_hand = make()
        backward_by_hand(by_hand)
        engine = make()
        engine.backward()
        hand_grads = [v.grad for v in topological_order(by_hand)]
        engine_grads = [v.grad for v in topological_order(engine)]
        assert hand_grads == engine_grads, make.__name__
    a = Value(3.0)
    b = a + a
    backward_by_hand(b)
    assert a.grad == 2.0
    a, c = Value(-2.0), Value(3.0)
    f = (a * c) * (a + c)
    backward_by_hand(f)
    assert (a.grad, c.grad) == (-3.0, -8.0)  # the lecture's numbers


@given(programs(ops=["add", "sub", "mul", "div", "tanh", "exp", "relu", "neg", "pow"]))
def test_on_random_graphs_a_hand_written_sort_agrees_with_backward(program: Program) -> None:
    by_hand_leaves = program.values()
    by_hand = program.run(by_hand_leaves, apply_value)[-1]
    engine_leaves = program.values()
    engine = program.run(engine_leaves, apply_value)[-1]
    assume(isinstance(engine, Value))
    engine.backward()
    backward_by_hand(by_hand)
    for h, e in zip(by_hand_leaves, engine_leaves, strict=True):
        # equal up to the order in which a node's incoming gradients are added
        assert h.grad == pytest.approx(e.grad, rel=1e-12, abs=1e-300, nan_ok=True), str(program)


def test_tanh_from_exp_gives_the_neuron_gradients() -> None:
    x1, x2, w1, w2 = Value(2.0), Value(0.0), Value(-3.0), Value(1.0)
    n = x1 * w1 + x2 * w2 + Value(B)
    e = (2 * n).exp()
    o = (e - 1) / (e + 1)
    o.backward()
    assert o.data == pytest.approx(0.7071067811865476, rel=1e-14)
    assert [x1.grad, w1.grad, x2.grad, w2.grad] == pytest.approx([-1.5, 1.0, 0.5, 0.0], rel=1e-12)


def test_backward_of_a_leaf_does_nothing_and_backward_is_a_method_not_a_closure() -> None:
    a = Value(2.0)
    a.grad = 5.0
    a._backward()
    assert a.grad == 5.0
    c = a * 3.0
    assert c._backward.__self__ is c  # a bound method: no closure stored per node
    assert not hasattr(c, "__dict__")


def test_backward_step_adds_only_into_inputs_and_respects_masks() -> None:
    x = Value(-1.0)
    r = x.relu()
    r.grad = math.inf
    r._backward()  # a dead ReLU stops even an infinite gradient, as backward() does
    assert x.grad == 0.0
    y = Value(2.0)
    z = y * y
    z.grad = 1.0
    z._backward()
    assert y.grad == 4.0 and z.grad == 1.0  # both edges of y * y


# -- micrograd's test_engine and README numbers ------------------------------------------------


def sanity_check(V: Any) -> tuple[Any, Any]:
    x = V(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    return x, y


def more_ops(V: Any) -> tuple[Any, Any, Any]:
    a, b = V(-4.0), V(2.0)
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()
    return a, b, g


def test_micrograd_sanity_check_numbers() -> None:
    x, y = sanity_check(Value)
    assert y.data == -20.0 and x.grad == 46.0  # what PyTorch gives (micrograd's test)


def test_micrograd_more_ops_numbers() -> None:
    a, b, g = more_ops(Value)
    # micrograd's README: g 24.7041, a.grad 138.8338, b.grad 645.5773
    assert round(g.data, 4) == 24.7041
    assert round(a.grad, 4) == 138.8338
    assert round(b.grad, 4) == 645.5773


def test_micrograd_test_engine_against_pytorch() -> None:
    torch = pytest.importorskip("torch")

    def T(v: float) -> Any:
        return torch.tensor([v], dtype=torch.float64, requires_grad=True)

    x, y = sanity_check(Value)
    tx, ty = sanity_check(T)
    assert y.data == ty.item() and x.grad == tx.grad.item()
    a, b, g = more_ops(Value)
    ta, tb, tg = more_ops(T)
    assert g.data == pytest.approx(tg.item(), abs=1e-6)
    assert a.grad == pytest.approx(ta.grad.item(), abs=1e-6)
    assert b.grad == pytest.approx(tb.grad.item(), abs=1e-6)
    for fn, tfn in ((Value.tanh, torch.tanh), (Value.exp, torch.exp)):
        for v in (-1.0, 0.123, 2.0):
            xv, xt = Value(v), T(v)
            yv, yt = fn(xv), tfn(xt)
            yv.backward()
            yt.backward()
            assert yv.data == pytest.approx(yt.item(), abs=1e-6)
            assert xv.grad == pytest.approx(xt.grad.item(), abs=1e-6)


def test_the_same_expressions_in_micrograd_give_the_same_numbers() -> None:
    micrograd = pytest.importorskip("micrograd.engine")
    for run in (sanity_check, more_ops):
        ours = run(Value)
        theirs = run(micrograd.Value)
        for o, t in zip(ours, theirs, strict=True):
            # micrograd writes a/b as a·b⁻¹ and a-b as a+(-b): equal up to rounding
            assert o.data == pytest.approx(t.data, rel=1e-12)
            assert o.grad == pytest.approx(t.grad, rel=1e-12) or o is ours[-1]


# -- operations defined micrograd's way --------------------------------------------------------


def user_tanh(self: Value) -> Value:
    """The lecture's tanh, written as a user of the engine would."""
    x = self.data
    t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
    out = Value(t, (self,), "tanh")

    def _backward() -> None:
        self.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def user_exp(self: Value) -> Value:
    out = Value(math.exp(self.data), (self,), "exp")

    def _backward() -> None:
        self.grad += out.data * out.grad

    out._backward = _backward
    return out


user_sigmoid = micrograd_sigmoid


def user_mul(self: Value, other: Value) -> Value:
    out = Value(self.data * other.data, (self, other), "*")

    def _backward() -> None:
        self.grad += other.data * out.grad
        other.grad += self.data * out.grad

    out._backward = _backward
    return out


def test_the_lecture_neuron_with_user_defined_tanh_and_exp() -> None:
    x1, x2, w1, w2 = Value(2.0), Value(0.0), Value(-3.0), Value(1.0)
    n = x1 * w1 + x2 * w2 + Value(B)
    o = user_tanh(n)
    assert o._op == "tanh" and o.op == "tanh" and o.rule.user
    o.backward()
    assert o.data == 0.7071067811865476  # the lecture's number, from its own formula
    assert [x1.grad, w1.grad, x2.grad, w2.grad] == pytest.approx([-1.5, 1.0, 0.5, 0.0], rel=1e-14)
    # by hand, node by node, the same
    for v in topological_order(o):  # backward() left gradients in every node
        v.grad = 0.0
    backward_by_hand(o)
    assert [x1.grad, w1.grad, x2.grad, w2.grad] == pytest.approx([-1.5, 1.0, 0.5, 0.0], rel=1e-14)
    y = Value(0.7)
    e = user_exp(y * 2)
    e.backward()
    assert e.data == math.exp(1.4) and y.grad == pytest.approx(2 * math.exp(1.4), rel=1e-15)


def test_a_user_op_works_with_backward_grad_and_the_library_checker() -> None:
    a = Value(0.5, label="a")
    y = user_sigmoid(a * 2) * 3
    s = 1 / (1 + math.exp(-1.0))
    y.backward()
    assert a.grad == pytest.approx(3 * 2 * s * (1 - s), rel=1e-15)
    assert grad(y, a) == a.grad
    assert bool(gradcheck(lambda v: user_sigmoid(v * 2) * 3, [Value(0.5)]))
    two = Value(1.5)
    w = user_mul(two, Value(-2.0))
    assert grad(w, two) == -2.0


def test_a_user_op_is_drawn_and_explained_as_a_user_operation() -> None:
    a = Value(0.5, label="a")
    h = user_sigmoid(a * 2)
    h.label = "h"
    y = h * 3
    y.label = "y"
    y.backward()
    text = str(explain(y, a))
    assert "h" in text and f"{a.grad:.6g}" in text
    assert h.symbol == "sigmoid" and "user operation" in h.rule.note
    viz = pytest.importorskip("viz")
    source = viz.draw_dot(y).source
    assert "label=<sigmoid>" in source


def test_a_user_op_of_any_name_and_three_children_is_explained() -> None:
    a, b, c = Value(1.0, label="a"), Value(2.0, label="b"), Value(3.0, label="c")
    out = Value(a.data * b.data + c.data, (a, b, c), "fma")

    def _backward() -> None:
        a.grad += b.data * out.grad
        b.grad += a.data * out.grad
        c.grad += out.grad

    out._backward = _backward
    out.label = "out"
    assert out.partials == (2.0, 1.0, 1.0)
    assert grad(out * out, [a, b, c]) == [20.0, 10.0, 10.0]
    assert "∂out/∂a" in str(explain(out, a))


def test_a_child_listed_twice_gets_its_summed_partial_once() -> None:
    a = Value(3.0)
    sq = Value(a.data * a.data, (a, a), "*")

    def _backward() -> None:
        a.grad += a.data * sq.grad
        a.grad += a.data * sq.grad

    sq._backward = _backward
    assert sq._prev == (a,)  # as micrograd's set keeps it once
    sq.backward()
    assert a.grad == 6.0


def test_without_backward_a_user_node_passes_no_gradient_as_micrograd() -> None:
    a = Value(2.0)
    out = Value(5.0, (a,), "mystery")
    (out * 2).backward()
    assert a.grad == 0.0
    assert grad(out, a) == 0.0


def test_probing_backward_leaves_every_grad_as_it_was() -> None:
    a, b = Value(2.0), Value(3.0)
    a.grad, b.grad = 7.0, -1.0
    out = user_mul(a, b)
    assert (a.grad, b.grad, out.grad) == (7.0, -1.0, 0.0)
    assert out.partials == (3.0, 2.0)


def test_micrograd_constructor_forms_and_errors() -> None:
    leaf = Value(1.0, _op="+")
    assert leaf._op == "+" and leaf.is_leaf
    node = Value(4.0, (leaf,), "sq", "named")
    assert node.label == "named" and node._prev == (leaf,)
    with pytest.raises(TypeError, match="label='w'"):
        Value(2.0, "w")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="child 0 must be a Value"):
        Value(2.0, (2.0,), "x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="rule table"):
        (leaf * 2)._backward = lambda: None
    with pytest.raises(TypeError, match="function"):
        node._backward = 3  # type: ignore[assignment]
    leaf._backward = lambda: None  # a leaf: accepted, as micrograd's, and does nothing


def test_a_user_node_under_no_grad_is_a_leaf() -> None:
    from autograd import no_grad

    with no_grad():
        out = user_sigmoid(Value(0.2))
    assert out.is_leaf and out._prev == ()


def test_a_user_node_is_freed_by_reference_counting() -> None:
    import gc
    import weakref

    gc.disable()
    try:
        a = Value(0.3)
        out = user_sigmoid(a)
        ref = weakref.ref(out)
        del out
        assert ref() is None
    finally:
        gc.enable()


# -- _op, symbol and repr ----------------------------------------------------------------------


def test_op_is_micrograds_text_and_symbol_is_the_drawings() -> None:
    a, b = Value(2.0), Value(3.0)
    cases = [
        (a + b, "+", "+"), (a * b, "*", "×"), (a**2, "**2", "^"), (a**-1, "**-1", "^"),
        (a**0.5, "**0.5", "^"), (a.relu(), "ReLU", "ReLU"), (a.tanh(), "tanh", "tanh"),
        (a.exp(), "exp", "exp"), (a - b, "-", "−"), (a / b, "/", "÷"), (-a, "-", "−"),
        (a**b, "**", "^"), (a.sigmoid(), "sigmoid", "σ"), (a.log(), "log", "log"),
    ]
    for node, op, symbol in cases:
        assert node._op == op
        assert node.symbol == symbol == node.rule.symbol


def test_op_texts_match_micrograds_own() -> None:
    micrograd = pytest.importorskip("micrograd.engine")
    M = micrograd.Value
    for make in (lambda V: V(2.0) + V(3.0), lambda V: V(2.0) * V(3.0), lambda V: V(2.0) ** 2,
                 lambda V: V(2.0) ** -1, lambda V: V(2.0).relu()):
        assert make(Value)._op == make(M)._op


def test_the_lectures_trace_over_prev_and_op_names_each_op_node() -> None:
    """The lecture's draw_dot names an op node str(id(n)) + n._op and links children to it."""
    o = lecture_neuron()["o"]
    nodes: set[Any] = set()
    edges: set[tuple[Any, Any]] = set()
    stack = [o]
    while stack:
        v = stack.pop()
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                stack.append(child)
    assert len(nodes) == 10 and len(edges) == 9
    op_nodes = {str(id(n)) + n._op for n in nodes if n._op}
    assert len(op_nodes) == 5
    assert sorted(n._op for n in nodes if n._op) == ["*", "*", "+", "+", "tanh"]
    assert all(str(id(b)) + b._op in op_nodes for _, b in edges)


def test_repr_is_micrograds_with_the_label() -> None:
    n = Value(0.8813735870195432)
    assert repr(n) == "Value(data=0.8813735870195432, grad=0.0)"
    assert repr(Value(-8.0, label="L")) == "Value(data=-8.0, grad=0.0, label='L')"
