"""microgpt's node API on kuibu's Value: ``Value(data, children, local_grads)``, ``_children`` and
``_local_grads``, and operations added microgpt's way, which kuibu records, draws and explains
as operations of their own."""

from __future__ import annotations

import math
from typing import Any

import pytest

from autograd import (
    AnomalyError,
    Value,
    detect_anomaly,
    explain,
    gradcheck,
    linear,
    no_grad,
    topological_order,
)
from tests.user_ops import micrograd_sigmoid

# -- extensions written as microgpt's copies write them ------------------------------------------


def tanh(self: Value) -> Value:
    t = math.tanh(self.data)
    return Value(t, (self,), (1 - t**2,))


def sigmoid(self: Value) -> Value:
    s = 1 / (1 + math.exp(-self.data))
    return Value(s, (self,), (s * (1 - s),))


def gelu(self: Value) -> Value:  # the tanh approximation, as GPT-2 uses it
    x = self.data
    c = math.sqrt(2 / math.pi)
    u = c * (x + 0.044715 * x**3)
    t = math.tanh(u)
    d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)
    return Value(0.5 * x * (1 + t), (self,), (d,))


def fma(a: Value, b: Value, c: Value) -> Value:
    return Value(a.data * b.data + c.data, (a, b, c), (b.data, a.data, 1))


def microgpt_backward(root: Any) -> None:
    """microgpt's backward pass, walking ``_children`` and ``_local_grads`` (iteratively)."""
    topo: list[Any] = []
    visited: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        v, done = stack.pop()
        if done:
            topo.append(v)
            continue
        if id(v) in visited:
            continue
        visited.add(id(v))
        stack.append((v, True))
        stack.extend((c, False) for c in reversed(v._children))
    root.grad = 1
    for v in reversed(topo):
        for child, local_grad in zip(v._children, v._local_grads, strict=True):
            child.grad += local_grad * v.grad


# -- the constructor ---------------------------------------------------------------------------


def test_local_grads_make_a_node_whose_partials_they_are() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = Value(a.data * b.data, (a, b), (b.data, a.data))
    assert not out.is_leaf and out.parents == (a, b) and out.partials == (-3.0, 2.0)
    (out * 2).backward()
    assert (a.grad, b.grad) == (-6.0, 4.0)


@pytest.mark.parametrize("grads", [(1, 1), [1, 1], (True, 1.0)])
def test_local_grads_may_be_ints_bools_and_a_list(grads: Any) -> None:
    a, b = Value(2.0), Value(5.0)
    out = Value(7, (a, b), grads)
    assert out.data == 7.0 and out._local_grads == (1.0, 1.0)
    assert all(d.__class__ is float for d in out._local_grads)


def test_microgpts_keyword_names_are_accepted() -> None:
    a = Value(3.0)
    out = Value(9.0, children=(a,), local_grads=(6.0,))
    assert out._children == (a,) and out._local_grads == (6.0,)


def test_a_child_listed_twice_gets_both_partials_as_in_microgpt() -> None:
    a = Value(3.0)
    square = Value(a.data * a.data, (a, a), (a.data, a.data))  # microgpt's a * a
    assert square._children == (a, a)
    square.backward()
    assert a.grad == 6.0


def test_a_node_of_three_children() -> None:
    a, b, c = Value(2.0, label="a"), Value(3.0, label="b"), Value(4.0, label="c")
    out = fma(a, b, c)
    assert out._children == (a, b, c) and out._local_grads == (3.0, 2.0, 1.0)
    (out * out).backward()
    assert (a.grad, b.grad, c.grad) == (60.0, 40.0, 20.0)


def test_no_local_grads_is_micrograds_node_that_passes_nothing_until_backward_is_set() -> None:
    a = Value(2.0)
    out = Value(5.0, (a,), ())
    (out * 2).backward()
    assert a.grad == 0.0


def test_under_no_grad_a_microgpt_node_is_a_leaf() -> None:
    with no_grad():
        out = tanh(Value(0.2))
    assert out.is_leaf and out._children == () and out._local_grads == ()


def test_detect_anomaly_names_the_operation_that_made_a_nan() -> None:
    def broken(self: Value) -> Value:
        return Value(float("nan"), (self,), (1.0,))

    with detect_anomaly(), pytest.raises(AnomalyError, match="user operation broken gave nan"):
        broken(Value(1.0))


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda a: Value(1.0, (a,), (1.0, 2.0)), ValueError,
         r"1 children but 2 local gradients"),
        (lambda a: Value(1.0, (), (1.0,)), ValueError, r"0 children but 1 local gradients"),
        (lambda a: Value(1.0, (a,), 3), TypeError,
         r"op text \(a str\) or microgpt's local gradients .* not int: 3"),
        (lambda a: Value(1.0, (a,), {"d": 1}), TypeError, r"not dict"),
        (lambda a: Value(1.0, (a,), ("1",)), TypeError, r"local gradient 0 must be an int, float"),
        (lambda a: Value(1.0, (a,), (a,)), TypeError,
         r"local gradient 0 is a Value .*write its \.data"),
        (lambda a: Value(1.0, (2.0,), (1.0,)), TypeError, r"child 0 must be a Value, not float"),
        (lambda a: Value(1.0, "ab", (1.0, 1.0)), TypeError, r"not the str 'ab'"),
        (lambda a: Value(1.0, (a,), children=(a,)), TypeError, r"given twice"),
        (lambda a: Value(1.0, (a,), "op", local_grads=(1.0,)), TypeError, r"not both"),
    ],
)
def test_bad_arguments_get_one_clear_error(make: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        make(Value(2.0, label="a"))


def test_the_inputs_given_are_not_changed() -> None:
    a = Value(2.0)
    children, grads = [a], [0.5]
    out = Value(1.0, children, grads)
    assert children == [a] and grads == [0.5] and out._children == (a,)


# -- _children and _local_grads on kuibu's own nodes -----------------------------------------


def test_children_and_local_grads_of_kuibus_nodes_read_as_microgpts() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    assert (a._children, a._local_grads) == ((), ())
    assert ((a * b)._children, (a * b)._local_grads) == ((a, b), (-3.0, 2.0))
    assert ((a * 4)._children, (a * 4)._local_grads) == ((a,), (4.0,))
    assert ((4 - a)._children, (4 - a)._local_grads) == ((a,), (-1.0,))
    assert (a.exp()._children, a.exp()._local_grads) == ((a,), (math.exp(2.0),))
    n = linear([a, b], [1.5, a], 0.25)
    assert n._children == (a, b, a) and n._local_grads == (1.5, 2.0, -3.0)
    s = micrograd_sigmoid(a)
    assert s._children == (a,) and s._local_grads == pytest.approx((s.data * (1 - s.data),))
    for node in (a * b, a * 4, 4 - a, n, s, tanh(a)):
        assert isinstance(node._children, tuple) and isinstance(node._local_grads, tuple)
        assert len(node._children) == len(node._local_grads)


def test_microgpts_own_backward_over_kuibus_nodes_gives_kuibus_gradients() -> None:
    xs = [Value(v, label=f"x{i}") for i, v in enumerate([0.3, -1.2, 2.0])]
    w = Value(0.7, label="w")
    h = [tanh(x * w + 1) for x in xs]
    logits = [linear(h, [0.5, -0.25, 1.0]) + w, sigmoid(h[0] - h[2]) * 3, gelu(h[1]) / 2]
    top = max(v.data for v in logits)
    exps = [(v - top).exp() for v in logits]
    loss = -(exps[0] / sum(exps)).log()
    loss.backward()
    engine = [p.grad for p in (*xs, w)]
    loss.zero_grad()  # every node: microgpt's pass adds into the inner nodes' grads too
    microgpt_backward(loss)
    assert [p.grad for p in (*xs, w)] == pytest.approx(engine, rel=1e-12)


# -- an operation written microgpt's way is an operation of its own -----------------------------


@pytest.mark.parametrize("op", [tanh, sigmoid, gelu])
def test_an_extensions_gradient_matches_finite_differences(op: Any) -> None:
    assert gradcheck(lambda v: op(v * 2 - 0.5) * 3, [Value(0.4)])


def test_the_node_is_named_for_the_function_that_made_it() -> None:
    a = Value(0.5, label="a")
    assert tanh(a).op == "tanh" and tanh(a)._op == "tanh" and tanh(a).rule.user
    assert gelu(a).symbol == "gelu"
    unnamed = (lambda v: Value(2 * v.data, (v,), (2,)))(a)
    assert unnamed.op == "user" and unnamed._op == ""
    assert "microgpt style" in tanh(a).rule.note


def test_a_name_that_is_a_rule_of_the_table_is_not_taken_for_that_rule() -> None:
    def relu(self: Value) -> Value:  # a user's squared ReLU, under the table's name
        y = max(0.0, self.data)
        return Value(y * y, (self,), (2 * y,))

    out = relu(Value(3.0))
    assert out.op == "relu" and out.rule.user and out.rule.text == "9.0"


def test_an_extension_is_drawn_and_explained_as_its_own_call() -> None:
    a = Value(0.3, label="a")
    y = tanh(a) * 2
    y.label = "y"
    y.backward()
    text = str(explain(y, a))
    assert "tanh" in text and f"{a.grad:.6g}" in text
    viz = pytest.importorskip("viz")
    source = viz.draw_dot(y).source
    assert "label=<tanh>" in source and 'tooltip="n1 = tanh(a)"' in source


def test_a_walk_over_children_finds_the_engines_graph() -> None:
    """The per-step graph, as microgpt's visualisers collect it: every node reached through
    ``_children``, the same nodes kuibu's own walk finds."""
    a, b = Value(1.5, label="a"), Value(-0.5, label="b")
    loss = tanh(a * b + a) * sigmoid(b) + fma(a, b, a)
    seen: dict[int, Value] = {}
    stack = [loss]
    while stack:
        v = stack.pop()
        if id(v) not in seen:
            seen[id(v)] = v
            stack.extend(v._children)
    assert set(seen) == {id(n) for n in topological_order(loss)}
