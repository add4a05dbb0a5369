"""autograd.audit: operations written micrograd's way, right ones passed and each usual mistake,
seeded into an operation of its own, named (in English and Chinese)."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import pytest

from autograd import Value, audit
from autograd.audit import MISTAKES, Audit, operations_in
from autograd.value import USER_BACKWARD

# -- operations, right and wrong, written as a student writes them -------------------------------


def tanh(self: Value) -> Value:
    t = math.tanh(self.data)
    out = Value(t, (self,), "tanh")

    def _backward() -> None:
        self.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def exp(self: Value) -> Value:
    out = Value(math.exp(self.data), (self,), "exp")

    def _backward() -> None:
        self.grad += out.data * out.grad

    out._backward = _backward
    return out


def sigmoid(self: Value) -> Value:
    s = 1 / (1 + math.exp(-self.data))
    out = Value(s, (self,), "sigmoid")

    def _backward() -> None:
        self.grad += s * (1 - s) * out.grad

    out._backward = _backward
    return out


def mul(self: Value, other: Value) -> Value:
    out = Value(self.data * other.data, (self, other), "*")

    def _backward() -> None:
        self.grad += other.data * out.grad
        other.grad += self.data * out.grad

    out._backward = _backward
    return out


def pow_(self: Value, other: float) -> Value:
    assert isinstance(other, (int, float)), "only int/float powers"
    out = Value(self.data**other, (self,), f"**{other}")

    def _backward() -> None:
        self.grad += other * self.data ** (other - 1) * out.grad

    out._backward = _backward
    return out


def log(self: Value) -> Value:
    out = Value(math.log(self.data), (self,), "log")

    def _backward() -> None:
        self.grad += out.grad / self.data

    out._backward = _backward
    return out


def mul_assigns(self: Value, other: Value) -> Value:
    out = Value(self.data * other.data, (self, other), "*")

    def _backward() -> None:
        self.grad = other.data * out.grad  # = for +=
        other.grad = self.data * out.grad

    out._backward = _backward
    return out


def mul_without_out_grad(self: Value, other: Value) -> Value:
    out = Value(self.data * other.data, (self, other), "*")

    def _backward() -> None:
        self.grad += other.data  # * out.grad left out
        other.grad += self.data

    out._backward = _backward
    return out


def tanh_reads_the_input(self: Value) -> Value:
    t = math.tanh(self.data)
    out = Value(t, (self,), "tanh")

    def _backward() -> None:
        self.grad += (1 - self.data**2) * out.grad  # self.data for out.data

    out._backward = _backward
    return out


def exp_reads_the_captured_input(self: Value) -> Value:
    x = self.data
    out = Value(math.exp(x), (self,), "exp")

    def _backward() -> None:
        self.grad += x * out.grad  # the input, captured, for the output

    out._backward = _backward
    return out


def sigmoid_at_the_output(self: Value) -> Value:
    s = 1 / (1 + math.exp(-self.data))
    out = Value(s, (self,), "sigmoid")

    def _backward() -> None:
        so = 1 / (1 + math.exp(-out.data))  # σ(out) for σ(x)
        self.grad += so * (1 - so) * out.grad

    out._backward = _backward
    return out


def sub_drops_a_sign(self: Value, other: Value) -> Value:
    out = Value(self.data - other.data, (self, other), "-")

    def _backward() -> None:
        self.grad += out.grad
        other.grad += out.grad  # −out.grad

    out._backward = _backward
    return out


def mul_through_a_set(self: Value, other: Value) -> Value:
    out = Value(self.data * other.data, (self, other), "*")

    def _backward() -> None:
        # The children as kept (distinct, as in micrograd's set), zipped with both partials.
        for child, d in zip(out._prev, (other.data, self.data)):  # noqa: B905
            child.grad += d * out.grad

    out._backward = _backward
    return out


def mul_forgets_a_child(self: Value, other: Value) -> Value:
    out = Value(self.data * other.data, (self,), "*")  # other left out

    def _backward() -> None:
        self.grad += other.data * out.grad
        other.grad += self.data * out.grad

    out._backward = _backward
    return out


def double_without_backward(self: Value) -> Value:
    return Value(2 * self.data, (self,), "double")


def tanh_forgets_the_square(self: Value) -> Value:
    t = math.tanh(self.data)
    out = Value(t, (self,), "tanh")

    def _backward() -> None:
        self.grad += (1 - t) * out.grad  # neither sign nor input: just wrong

    out._backward = _backward
    return out


def square_with_a_special_case(self: Value, other: Value) -> Value:
    out = Value(self.data * other.data, (self, other), "*")

    def _backward() -> None:
        if self is other:  # a*a: 3a, neither partial nor their sum
            self.grad += 3 * self.data * out.grad
        else:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

    out._backward = _backward
    return out


def raises_in_backward(self: Value) -> Value:
    out = Value(2 * self.data, (self,), "double")

    def _backward() -> None:
        raise ZeroDivisionError("a bug in the user's code")

    out._backward = _backward
    return out


def leaves_a_string(self: Value) -> Value:
    out = Value(2 * self.data, (self,), "double")

    def _backward() -> None:
        self.grad = "2"  # type: ignore[assignment]

    out._backward = _backward
    return out


RIGHT = [tanh, exp, sigmoid, mul, pow_, log]
WRONG: list[tuple[Callable[..., Any], str]] = [
    (mul_assigns, "overwrites"),
    (mul_without_out_grad, "ignores_out_grad"),
    (tanh_reads_the_input, "input_for_output"),
    (exp_reads_the_captured_input, "input_for_output"),
    (sigmoid_at_the_output, "output_for_input"),
    (sub_drops_a_sign, "sign"),
    (mul_through_a_set, "set_children"),
    (mul_forgets_a_child, "missing_child"),
    (double_without_backward, "no_gradient"),
    (tanh_forgets_the_square, "wrong_partial"),
    (square_with_a_special_case, "shared_input"),
    (raises_in_backward, "raised"),
    (leaves_a_string, "not_a_number"),
]


@pytest.mark.parametrize("op", RIGHT, ids=lambda f: f.__name__)
def test_right_operations_pass(op: Callable[..., Any]) -> None:
    report = audit(op)
    assert report.ok, report.text()
    assert len(report.points) == 5 and not report.own_rules
    assert report.verdict().endswith("ok at 5 points")


@pytest.mark.parametrize(("op", "mistake"), WRONG, ids=lambda x: getattr(x, "__name__", x))
def test_each_mistake_is_named(op: Callable[..., Any], mistake: str) -> None:
    report = audit(op)
    assert not report.ok and not report.error
    assert [f.mistake for f in report.findings] == [mistake], report.text()
    assert "1 mistake" in report.verdict()
    for lang in ("en", "zh"):  # every message fills all its blanks, in both languages
        text = report.text(lang)
        assert "{" not in text and "}" not in text, text


def test_every_mistake_has_a_seeded_operation() -> None:
    assert {m for _, m in WRONG} == set(MISTAKES)


def test_the_messages_say_what_to_write_with_the_numbers() -> None:
    (f,) = audit(mul_assigns).findings
    assert f.child == "self" and f.also == ("other",)
    assert f.yours == pytest.approx(f.at["other"])  # the gradient before was lost
    assert f.expected == pytest.approx(f.extra["preset"] + f.at["other"])
    assert "`=` where `+=` belongs" in f.text() and "self.grad += …" in f.text()
    assert "(the same for other)" in f.text() and "（other 也一样）" in f.text("zh")
    (f,) = audit(mul_without_out_grad).findings
    assert "a missing `* out.grad`" in f.text() and "漏了 `* out.grad`" in f.text("zh")
    (f,) = audit(tanh_reads_the_input).findings
    x = f.at["self"]
    assert f.yours == pytest.approx(1 - x**2) and f.expected == pytest.approx(1 - math.tanh(x)**2)
    assert "self.data for out.data" in f.text()
    (f,) = audit(sigmoid_at_the_output).findings
    s = 1 / (1 + math.exp(-f.at["self"]))
    assert f.extra["out"] == pytest.approx(s)
    assert "σ(out) for σ(x)" in f.text() and "σ(out)" in f.text("zh")


def test_a_missing_out_grad_hides_from_a_check_at_out_grad_1() -> None:
    """The reason the audit runs the function itself: kuibu's own recording (out.grad = 1,
    fresh gradients) gets the right partials from this wrong function."""
    a, b = Value(1.5), Value(-2.0)
    out = mul_without_out_grad(a, b)
    (out * 3.0).backward()  # kuibu is right despite the missing factor...
    assert (a.grad, b.grad) == (-6.0, 4.5)
    assert [f.mistake for f in audit(mul_without_out_grad).findings] == ["ignores_out_grad"]


def test_numbers_are_passed_where_a_value_is_refused() -> None:
    report = audit(pow_)
    assert report.inputs == ("self",) and report.constants == ("other",)
    assert "1 input and 1 number" in report.verdict()


def test_operations_made_of_kuibus_own_rules_are_said_to_be() -> None:
    report = audit(lambda x: (x * 2).tanh())
    assert report.ok and report.own_rules
    assert "kuibu's own operations" in report.text()
    assert audit(Value.sigmoid).ok


def test_the_audit_is_seeded_and_leaves_kuibu_as_it_was() -> None:
    a, b = audit(tanh, seed=3), audit(tanh, seed=3)
    assert a.points == b.points and a.points != audit(tanh, seed=4).points
    assert USER_BACKWARD.get() is None
    x = Value(0.5)
    y = tanh(x)  # outside an audit, a user operation is recorded as always
    y.backward()
    assert x.grad == pytest.approx(1 - math.tanh(0.5) ** 2)
    assert all(abs(v) >= 0.2 for p in a.points for v in p.values())


def test_domains_are_found_and_failures_reported() -> None:
    assert audit(log).ok  # log needs x > 0: the points are positive
    report = audit(lambda x: x.no_such_method())
    assert report.error.startswith("it does not run at any point tried (AttributeError")
    assert "could not audit" in report.verdict() and not report.ok
    report = audit(lambda x: 3)
    assert report.error == "it returned int, not a Value"
    assert audit(lambda *xs: xs[0]).error.startswith("it takes *xs")
    assert "无法检查" in audit(lambda x: 3, lang="zh").text()


def test_bad_arguments_raise_naming_them() -> None:
    with pytest.raises(TypeError, match="fn must be a function, not int"):
        audit(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="points must be an int from 1 to 100, not 0"):
        audit(tanh, points=0)
    with pytest.raises(ValueError, match="lang must be one of en, zh, not 'fr'"):
        audit(tanh, lang="fr")


# -- a student's own engine, and micrograd's ---------------------------------------------------


class Student:
    """A micrograd copy with two mistakes: children in a set, walked by a generic _backward,
    and tanh reading its input."""

    def __init__(self, data: float, _children: tuple[Student, ...] = (), _op: str = "") -> None:
        self.data = data
        self.grad = 0.0
        self._backward: Callable[[], None] = lambda: None
        self._prev = set(_children)
        self._op = _op

    def __add__(self, other: Student) -> Student:
        out = Student(self.data + other.data, (self, other), "+")

        def _backward() -> None:
            for child in out._prev:  # each child once: a+a loses one
                child.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Student) -> Student:
        out = Student(self.data * other.data, (self, other), "*")

        def _backward() -> None:
            self.grad = other.data * out.grad  # = for +=
            other.grad = self.data * out.grad

        out._backward = _backward
        return out

    def backward(self) -> None:
        """micrograd's sweep: a topological order, then each node's _backward, root first."""
        order: list[Student] = []
        seen: set[int] = set()

        def visit(v: Student) -> None:
            if id(v) not in seen:
                seen.add(id(v))
                for child in v._prev:
                    visit(child)
                order.append(v)

        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            v._backward()

    def tanh(self) -> Student:
        x = self.data
        t = math.tanh(x)
        out = Student(t, (self,), "tanh")

        def _backward() -> None:
            self.grad += (1 - x**2) * out.grad

        out._backward = _backward
        return out

    def exp(self) -> Student:
        out = Student(math.exp(self.data), (self,), "exp")

        def _backward() -> None:
            self.grad += out.data * out.grad

        out._backward = _backward
        return out


def test_a_students_own_engine_is_audited_with_its_own_leaves() -> None:
    assert [f.mistake for f in audit(Student.__add__).findings] == ["set_children"]
    assert [f.mistake for f in audit(Student.tanh).findings] == ["input_for_output"]
    assert audit(Student.exp).ok


def test_an_overwrite_loses_a_gradient_in_micrograds_sweep_but_not_in_kuibus() -> None:
    """What the overwrites message claims: x used in two products keeps only the last gradient
    when the user's functions run in micrograd's sweep; kuibu, adding recorded partials, is right
    (which is why the audit runs the function itself)."""
    x, b, c = Student(1.5), Student(2.0), Student(-3.0)
    (x * b + x * c).backward()
    assert x.grad in (b.data, c.data)  # one of the two, not their sum −1
    kx, kb, kc = Value(1.5), Value(2.0), Value(-3.0)
    (mul_assigns(kx, kb) + mul_assigns(kx, kc)).backward()
    assert kx.grad == kb.data + kc.data
    assert [f.mistake for f in audit(Student.__mul__).findings] == ["overwrites"]


def test_micrograds_own_operations_pass() -> None:
    engine = pytest.importorskip("micrograd.engine")
    for name in ("__add__", "__mul__", "__pow__", "relu", "__neg__", "__sub__", "__truediv__"):
        report = audit(getattr(engine.Value, name))
        assert report.ok, report.text()


def test_a_report_is_data_too() -> None:
    report = audit(mul_assigns)
    assert isinstance(report, Audit)
    document = report.to_dict()
    assert document["ok"] is False and document["name"] == "mul_assigns"
    assert document["inputs"] == ["self", "other"] and document["op"] == "*"
    (finding,) = document["findings"]
    assert finding["mistake"] == "overwrites" and finding["also"] == ["other"]
    assert finding["message"] == report.findings[0].text()


# -- finding the operations in a file -----------------------------------------------------------


def test_operations_in_a_file_are_the_ones_that_set_backward() -> None:
    source = '''
import inspect
import math
class Value:
    def __init__(self, data, _children=(), _op=""):
        self._backward = lambda: None
    def __mul__(self, other):
        out = Value(self.data * other.data, (self, other), "*")
        def _backward():
            self.grad += other.data * out.grad
        out._backward = _backward
        return out
    def __rmul__(self, other):
        return self * other
def tanh(self):
    out = Value(math.tanh(self.data), (self,), "tanh")
    out._backward = lambda: None
    return out
def helper(x):
    return x
'''
    assert operations_in(source) == ["Value.__mul__", "tanh"]
    with pytest.raises(SyntaxError):
        operations_in("def (:")


# -- every rule of the table, written micrograd's way -----------------------------------------


def _from_rule(name: str, mistake: str = "") -> Callable[..., Any]:
    """The table's rule `name` as a user operation: forward and partials from the table, its
    _backward right, or with `mistake` ("sign", "out_grad") made."""
    from autograd import RULES
    from autograd import floats as fl

    rule = RULES[name]

    def op(*inputs: Value) -> Value:
        xs = [x.data for x in inputs]
        y = rule.forward(*xs)
        out = Value(y, tuple(inputs), name)

        def _backward() -> None:
            for i, x in enumerate(inputs):
                d = float(rule.partial(i, fl, *xs, y))
                if mistake == "sign":
                    d = -d
                x.grad += d if mistake == "out_grad" else d * out.grad

        out._backward = _backward
        return out

    op.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(f"x{i}", inspect.Parameter.POSITIONAL_ONLY)
         for i in range(rule.arity)])
    op.__name__ = op.__qualname__ = name
    return op


TABLE = ["add", "sub", "mul", "div", "pow", "neg", "abs", "exp", "log", "sqrt", "sin", "cos",
         "tanh", "sigmoid", "softplus", "relu", "leaky_relu"]


@pytest.mark.parametrize("name", TABLE)
def test_every_rule_written_micrograds_way_passes_and_its_mistakes_are_named(name: str) -> None:
    """No false alarm on any operation of the table (domains found by the audit itself), and a
    dropped sign and a missing * out.grad named on each (a*a on the binary ones)."""
    right = audit(_from_rule(name))
    assert right.ok, right.text()
    flipped = {f.mistake for f in audit(_from_rule(name, "sign")).findings}
    assert "sign" in flipped, name
    unscaled = [f.mistake for f in audit(_from_rule(name, "out_grad")).findings]
    assert unscaled == ["ignores_out_grad"], name
