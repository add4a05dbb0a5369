"""The engine's contract: accumulation, shared nodes, depth, modes, errors, memory."""

from __future__ import annotations

import gc
import operator
import sys
import threading
import weakref

import pytest

import autograd
from autograd import AnomalyError, Value, detect_anomaly, enable_grad, grad, no_grad


def test_gradients_accumulate_across_calls_as_in_pytorch() -> None:
    x = Value(5.0, label="x")
    y = (x * 2) * 3
    y.backward()
    y.backward()
    assert x.grad == 12.0  # micrograd's stale intermediate gradients would give 18
    assert y.grad == 2.0
    assert y.parents[0].grad == 6.0


def test_each_backward_starts_fresh_even_after_grads_were_edited() -> None:
    x = Value(1.5)
    h = x.tanh()
    y = h * h
    h.grad = 1000.0  # nothing left in an intermediate .grad may flow into x
    y.backward()
    expected = 2 * h.data * (1 - h.data**2)
    assert x.grad == pytest.approx(expected, rel=1e-15)


def test_a_node_reached_by_several_paths_gets_the_sum() -> None:
    a = Value(3.0)
    b = a * 2.0
    c = a + 1.0
    d = b * c  # d = 2a(a + 1), dd/da = 4a + 2
    d.backward()
    assert a.grad == 14.0


def test_a_times_a_keeps_both_edges() -> None:
    a = Value(3.0)
    b = a * a
    assert b.parents == (a, a)
    b.backward()
    assert a.grad == 6.0


def test_grad_of_a_leaf_that_is_also_used_elsewhere_leaves_its_mark_intact() -> None:
    a, b = Value(2.0), Value(3.0)
    f = a * b + a
    assert grad(f, a) == 4.0
    assert a._n == -1 and b._n == -1  # still leaves for the next sweep
    f.backward()
    assert (a.grad, b.grad) == (4.0, 2.0)


def test_backward_of_a_leaf_and_seeds() -> None:
    a = Value(2.0)
    a.backward()
    assert a.grad == 1.0
    b = a * 3.0
    b.backward(0.5)
    assert a.grad == 2.5


@pytest.mark.slow
def test_a_million_operations_deep_under_the_default_recursion_limit() -> None:
    limit = sys.getrecursionlimit()
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y * 1.0000001
    y.backward()
    assert sys.getrecursionlimit() == limit
    assert x.grad == pytest.approx(1.0000001**1_000_000, rel=1e-9)
    assert len(autograd.topological_order(y)) == 1_000_001


def test_topological_order_puts_inputs_first_and_is_deterministic() -> None:
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = a * b
    d = c + a
    e = d * c
    order = autograd.topological_order(e)
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for p in node.parents:
            assert position[id(p)] < position[id(node)]
    again = autograd.topological_order(e)
    assert [n.label or n.op for n in order] == [n.label or n.op for n in again]
    assert order[-1] is e and len(order) == 5


def test_sweep_bookkeeping_is_clean_after_each_sweep() -> None:
    a = Value(1.0)
    b = a * a + a
    b.backward()
    # Inner nodes' counters are back to 0; leaves keep their mark and were never counted.
    assert all(n._n == (-1 if n.is_leaf else 0) for n in autograd.topological_order(b))
    # A second, overlapping graph sweeps correctly after the first.
    c = b * a
    c.backward()
    assert a.grad == pytest.approx(3.0 + (3 * 1.0**2 + 2 * 1.0))


# -- grad() and higher derivatives -------------------------------------------------------------


def test_grad_returns_derivatives_and_leaves_dot_grad_alone() -> None:
    x, y = Value(2.0), Value(3.0)
    f = x * x * y
    gx, gy = grad(f, [x, y])
    assert (gx, gy) == (12.0, 4.0)
    assert grad(f, x) == 12.0
    assert x.grad == 0.0 and y.grad == 0.0 and f.grad == 0.0


def test_grad_of_an_input_not_in_the_graph_names_it() -> None:
    x, z = Value(2.0), Value(1.0, label="z")
    f = x * 3
    with pytest.raises(ValueError, match=r"'z'.*not in the graph"):
        grad(f, [x, z])
    assert grad(f, [x, z], allow_unused=True) == [3.0, 0.0]


def test_second_and_third_derivatives() -> None:
    x = Value(0.7)
    f = x.sin() * x  # f' = cos x·x + sin x, f'' = -sin x·x + 2 cos x, f''' = -cos x·x - 3 sin x
    d1 = grad(f, x, create_graph=True)
    d2 = grad(d1, x, create_graph=True)
    d3 = grad(d2, x)
    import math

    assert d1.data == pytest.approx(math.cos(0.7) * 0.7 + math.sin(0.7), rel=1e-14)
    assert d2.data == pytest.approx(-math.sin(0.7) * 0.7 + 2 * math.cos(0.7), rel=1e-14)
    assert d3 == pytest.approx(-math.cos(0.7) * 0.7 - 3 * math.sin(0.7), rel=1e-13)


def test_hessian_is_a_list_of_lists_of_floats() -> None:
    x, y = Value(1.5), Value(-0.5)
    f = x**3 * y + y.exp() * x  # f_xx = 6xy, f_xy = 3x² + e^y, f_yy = x e^y
    import math

    h = autograd.hessian(f, [x, y])
    assert h[0][0] == pytest.approx(6 * 1.5 * -0.5)
    assert h[0][1] == pytest.approx(3 * 1.5**2 + math.exp(-0.5))
    assert h[1][0] == pytest.approx(h[0][1])
    assert h[1][1] == pytest.approx(1.5 * math.exp(-0.5))
    assert all(type(v) is float for row in h for v in row)


def test_hessian_of_a_linear_function_is_zero() -> None:
    x, y = Value(1.0), Value(2.0)
    assert autograd.hessian(3 * x + y, [x, y]) == [[0.0, 0.0], [0.0, 0.0]]


# -- modes -------------------------------------------------------------------------------------


def test_no_grad_records_nothing_and_restores() -> None:
    w = Value(2.0)
    with no_grad():
        assert not autograd.is_grad_enabled()
        y = w * 3 + 1
        with enable_grad():
            z = w * 3
    assert y.is_leaf and y.data == 7.0
    assert z.parents == (w,)
    assert autograd.is_grad_enabled()


def test_no_grad_as_a_decorator() -> None:
    @no_grad()
    def step(p: Value) -> Value:
        return p * 2

    assert step(Value(1.0)).is_leaf
    assert not (Value(1.0) * 2).is_leaf


def test_no_grad_in_one_thread_does_not_stop_another_from_recording() -> None:
    inside = threading.Event()
    release = threading.Event()
    results: dict[str, bool] = {}

    def quiet() -> None:
        with no_grad():
            inside.set()
            release.wait(5)
            results["quiet"] = (Value(1.0) * 2).is_leaf

    t = threading.Thread(target=quiet)
    t.start()
    assert inside.wait(5)
    results["main"] = (Value(1.0) * 2).is_leaf  # while the other thread is inside no_grad
    release.set()
    t.join(5)
    assert results == {"quiet": True, "main": False}


def test_detect_anomaly_names_the_operation_input_and_label() -> None:
    x = Value(-1.0, label="weight")
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"log.*nan.*weight"):
        x.log()
    assert x.log().data != x.log().data  # outside the block: nan, quietly, as in IEEE 754


def test_detect_anomaly_in_the_backward_pass() -> None:
    x = Value(0.0, label="x")
    y = x.sqrt()  # finite value 0, infinite slope
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"sqrt.*'x'.*inf"):
        y.backward()
    y.backward()  # without the mode: inf, as IEEE 754 says
    assert x.grad == float("inf")


# -- IEEE 754 ----------------------------------------------------------------------------------

INF = float("inf")


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: Value(1.0) / 0, INF),
        (lambda: Value(-1.0) / 0, -INF),
        (lambda: Value(1.0) / Value(-0.0), -INF),
        (lambda: Value(0.0) / 0, "nan"),
        (lambda: Value(0.0).log(), -INF),
        (lambda: Value(-1.0).log(), "nan"),
        (lambda: Value(-1.0).sqrt(), "nan"),
        (lambda: Value(-8.0) ** (1 / 3), "nan"),
        (lambda: Value(-8.0) ** 3, -512.0),
        (lambda: Value(1000.0).exp(), INF),
        (lambda: Value(10.0) ** 400, INF),
        (lambda: Value(-10.0) ** 401, -INF),
        (lambda: Value(0.0) ** -1, INF),
        (lambda: 2 ** Value(5000.0), INF),
        (lambda: Value(1e308) * 10, INF),
        (lambda: Value(INF).sin(), "nan"),
        (lambda: Value(float("nan")).relu(), "nan"),
    ],
)
def test_ieee_results_instead_of_python_exceptions(make, expected) -> None:
    out = make()
    assert isinstance(out.data, float)
    if expected == "nan":
        assert out.data != out.data
    else:
        assert out.data == expected
    out.backward()  # and the backward pass does not raise either


def test_gradients_at_poles_are_infinite_not_exceptions() -> None:
    x = Value(0.0)
    x.log().backward()
    assert x.grad == INF
    y = Value(0.0)
    (1 / y).backward()
    assert y.grad == -INF


@pytest.mark.parametrize("big", [1000.0, -1000.0])
def test_stable_at_plus_minus_1000(big: float) -> None:
    x = Value(big)
    s = x.sigmoid()
    s.backward()
    assert s.data == (1.0 if big > 0 else 0.0)
    assert x.grad == 0.0
    x = Value(big)
    sp = x.softplus()
    sp.backward()
    assert sp.data == (1000.0 if big > 0 else 0.0)
    assert x.grad == (1.0 if big > 0 else 0.0)
    x = Value(big)
    t = x.tanh()
    t.backward()
    assert t.data == (1.0 if big > 0 else -1.0)
    assert x.grad == 0.0


def test_softplus_keeps_small_values() -> None:
    assert Value(-40.0).softplus().data == pytest.approx(4.248354255291589e-18, rel=1e-12)


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["1.0", None, 1 + 2j, [1.0], (1.0,), {"a": 1}])
def test_bad_data_is_a_type_error_naming_type_and_value(bad) -> None:
    with pytest.raises(TypeError, match=type(bad).__name__) as info:
        Value(bad)
    assert repr(bad)[:10] in str(info.value)


def test_numpy_arrays_are_refused_and_numpy_scalars_accepted() -> None:
    np = pytest.importorskip("numpy")
    with pytest.raises(TypeError, match="ndarray"):
        Value(np.array([1.0, 2.0]))
    assert Value(np.float32(0.5)).data == 0.5
    assert Value(np.int64(3)).data == 3.0


def test_data_is_stored_as_float() -> None:
    assert type(Value(True).data) is float and Value(True).data == 1.0
    assert type(Value(3).data) is float
    with pytest.raises(OverflowError, match="too large"):
        Value(10**400)


def test_a_value_of_a_value_says_what_to_do() -> None:
    with pytest.raises(TypeError, match="detach"):
        Value(Value(1.0))


@pytest.mark.parametrize(
    ("op", "name"),
    [(operator.add, "add"), (operator.sub, "sub"), (operator.mul, "mul"),
     (operator.truediv, "div"), (operator.pow, "pow")],
)
def test_bad_operands_name_the_operation_the_value_and_the_type(op, name: str) -> None:
    v = Value(2.0, label="w")
    for left, right in ((v, "a"), ("a", v)):
        with pytest.raises(TypeError, match=rf"{name} .*'a'.*label='w'|{name} .*label='w'.*'a'"):
            op(left, right)


def test_bad_operand_message_for_none() -> None:
    with pytest.raises(TypeError, match=r"mul \(×\).*label='w'.*NoneType"):
        Value(2.0, label="w") * None


def test_label_must_be_text() -> None:
    with pytest.raises(TypeError, match="label must be a str"):
        Value(1.0, label=3)  # type: ignore[arg-type]
    v = Value(1.0)
    v.label = "net_o1"
    assert v.label == "net_o1"


# -- the node ----------------------------------------------------------------------------------


def test_repr_shows_floats_as_python_does_like_micrograd() -> None:
    out = Value(0.7310585786300049, label="out_h1")
    out.grad = 0.19661193324148185
    assert repr(out) == "Value(data=0.7310585786300049, grad=0.19661193324148185, label='out_h1')"
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0.0)"
    assert repr(Value(0.8813735870195432)) == "Value(data=0.8813735870195432, grad=0.0)"


def test_values_are_hashable_and_compare_by_identity() -> None:
    a, b = Value(1.0), Value(1.0)
    assert len({a, b, a}) == 2
    assert a in {a: 1}


def test_micrograd_names_are_there() -> None:
    a, b = Value(2.0), Value(3.0)
    c = a * b
    assert set(c._prev) == {a, b}
    assert c._op == "*"  # micrograd's text; the drawing's symbol is kept apart
    assert c.symbol == "×" == c.rule.symbol
    assert a._op == "" and a.symbol == ""


def test_a_graph_is_freed_by_reference_counting() -> None:
    gc.disable()
    try:
        x = Value(1.0)
        h = (x * 2).tanh()
        y = h * h + 1.0
        y.backward()
        refs = [weakref.ref(n) for n in autograd.topological_order(y) if n is not x]
        del y, h
        assert all(r() is None for r in refs)
        assert x.grad != 0.0
    finally:
        gc.enable()


def test_nodes_have_no_instance_dict() -> None:
    v = Value(1.0) * 2
    assert not hasattr(v, "__dict__")
    with pytest.raises(AttributeError):
        v.extra = 1  # type: ignore[attr-defined]


def test_detach_and_zero_grad() -> None:
    x = Value(2.0, label="x")
    y = x * x
    y.backward()
    d = y.detach()
    assert d.is_leaf and d.data == 4.0
    y.zero_grad()
    assert x.grad == 0.0 and y.grad == 0.0


def test_root_and_wrt_are_the_parameters_old_keywords_still_work() -> None:
    x = Value(2.0, label="x")
    y = x * x
    assert grad(root=y, wrt=[x]) == [4.0]
    with pytest.warns(DeprecationWarning, match=r"grad\(inputs=...\) is now grad\(wrt=...\)"):
        assert grad(y, inputs=[x]) == [4.0]
    with pytest.warns(DeprecationWarning, match="hessian"):
        assert autograd.hessian(output=y, inputs=[x]) == [[2.0]]
    with pytest.warns(DeprecationWarning, match="explain"):
        assert autograd.explain(output=y, leaf=x).gradient == 4.0
    with pytest.raises(TypeError, match="give wrt= only, not also inputs="):
        grad(y, wrt=[x], inputs=[x])
