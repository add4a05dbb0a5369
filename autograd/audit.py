"""Audit an operation written micrograd's way: its ``_backward`` against finite differences, and
which of the usual mistakes it makes.

micrograd's operations build ``out = Value(data, (self, other), 'op')`` and set ``out._backward``
to a function that *adds* ``out.grad ×`` ∂out/∂child into each child's ``.grad``. That function
runs inside a sweep over a larger graph, so a mistake can hide when the operation is tried alone
(at out.grad = 1, with every gradient at 0) and show only later. The audit therefore runs the
user's function itself, the way micrograd's sweep does, at several seeded points and under the
conditions that expose each mistake:

- ∂out/∂input at out.grad = 1 against finite differences of the operation's own forward pass,
  and, when they differ, which wrong formula the number fits: a dropped sign; the input's data
  where the output's belongs (``self.data`` for ``out.data`` in tanh or exp); the derivative
  taken at the output instead of the input (σ(out) for σ(x));
- with out.grad ≠ 1: a missing ``* out.grad``;
- with a gradient already in the input: ``=`` where ``+=`` belongs (the gradient of a node used
  twice is overwritten);
- with one Value as two inputs (``a*a``): a partial lost because the children were kept in a set;
- an input left out of the node's children, and a function that passes no gradient at all.

The operation may be written for kuibu's `Value` (which runs micrograd-style operations) or for
any class shaped like micrograd's (``data``, ``grad``, ``_prev``, ``_backward``), a student's own
engine included; the leaves are made with that class.

>>> import math
>>> from autograd import Value
>>> def tanh(self):
...     t = math.tanh(self.data)
...     out = Value(t, (self,), "tanh")
...     def _backward():
...         self.grad += (1 - self.data ** 2) * out.grad   # self.data where out.data belongs
...     out._backward = _backward
...     return out
>>> report = audit(tanh)
>>> report.ok, [f.mistake for f in report.findings]
(False, ['input_for_output'])
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import math
import numbers
import random
import textwrap
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd.value import USER_BACKWARD, Value

__all__ = ["MISTAKES", "Audit", "Finding", "audit", "operations_in"]

#: Every mistake the audit names, in the order it reports them.
MISTAKES = (
    "raised", "not_a_number", "missing_child", "no_gradient", "sign", "input_for_output",
    "output_for_input", "wrong_partial", "ignores_out_grad", "overwrites", "set_children",
    "shared_input",
)
#: How close the user's partial must come to finite differences (a five-point stencil, whose
#: error is far below these at the points sampled).
ATOL, RTOL = 1e-6, 1e-6
#: out.grad for the scaling check, and the gradients already in the inputs for the += check.
OUT_GRAD = 2.5
PRESET = (0.375, -1.25, 0.625, 1.5)
#: Where points are drawn: |x| in [LOW, HIGH], away from the kinks at 0 of relu and abs.
LOW, HIGH = 0.2, 2.0
ATTEMPTS = 60

_WORDS = {
    "en": {
        "inputs": "{n} input{s}", "numbers": " and {n} number{s}",
        "also": " (the same for {names})", "comma": ", ",
        "ok": "ok at {points} points",
        "mistakes": "{count} mistake{s}",
        "cannot": "could not audit: {error}",
        "own_rules": "  (made only of kuibu's own operations: nothing here was written by hand)",
        "raised": "its _backward raised {error} (at {at})",
        "not_a_number": "its _backward left {child}.grad = {yours}, which is not a number "
                        "(at {at})",
        "missing_child": "{child} is not among out's children (_prev): a sweep never reaches "
                         "it, so no gradient goes past it when it is not a leaf; list it in "
                         "Value(data, (…), op)",
        "no_gradient": "no gradient reaches {child}: its .grad stays 0 where finite differences "
                       "give ∂out/∂{child} = {expected} (at {at}); is out._backward set, and "
                       "does it add to {child}.grad?",
        "sign": "a dropped sign: ∂out/∂{child} comes out as {yours} where finite differences "
                "give {expected} (at {at}): the same size, the opposite sign",
        "input_for_output": "the input where the output belongs (self.data for out.data): "
                            "∂out/∂{child} comes out as {yours} where finite differences give "
                            "{expected} (at {at}), and your formula gives exactly that when it "
                            "reads out = {out} in place of {child}; a derivative written in the "
                            "output (tanh: 1 − out², exp: out, σ: out·(1 − out)) "
                            "must read out.data, not the input",
        "output_for_input": "the derivative taken at the output instead of the input (σ(out) "
                            "for σ(x)): ∂out/∂{child} comes out as {yours} where finite "
                            "differences give {expected} (at {at}); yours is the true derivative "
                            "at {child} = out = {out}; evaluate f′ at the input, or write it in "
                            "the output (σ′ = out·(1 − out))",
        "wrong_partial": "a wrong partial: ∂out/∂{child} comes out as {yours} where finite "
                         "differences give {expected} (at {at})",
        "ignores_out_grad": "a missing `* out.grad`: with out.grad = {scale} it adds {yours} to "
                            "{child}.grad, not {scale} × {partial} = {expected} (at {at}); at "
                            "out.grad = 1 the mistake hides, inside any larger graph it shows",
        "overwrites": "`=` where `+=` belongs: with {child}.grad = {preset} before, its "
                      "_backward leaves {yours}, not {preset} + {partial} = {expected} (at "
                      "{at}); a node used twice (a*a, or in two operations) keeps only the last "
                      "gradient; write {child}.grad += …",
        "set_children": "the children kept in a set: with the same Value as {child} and "
                        "{other} (as in a*a) only one of its two partials arrives, {yours} where "
                        "finite differences give {expected} (at {at}); a set (or a dict keyed by "
                        "child) holds the Value once: keep the children in a tuple and add each "
                        "partial",
        "shared_input": "with the same Value as {child} and {other} (as in a*a) its gradient "
                        "is {yours} where finite differences give {expected} (at {at})",
    },
    "zh": {
        "inputs": "{n} 个输入", "numbers": "和 {n} 个数", "also": "（{names} 也一样）",
        "comma": "，",
        "ok": "在 {points} 个点上都正确",
        "mistakes": "发现 {count} 个错误",
        "cannot": "无法检查：{error}",
        "own_rules": "  （全部由 kuibu 自带的运算组成：这里没有手写的部分）",
        "raised": "它的 _backward 抛出了 {error}（在 {at}）",
        "not_a_number": "它的 _backward 把 {child}.grad 设成了 {yours}，这不是数（在 {at}）",
        "missing_child": "{child} 不在 out 的子节点（_prev）里：反向遍历到不了它，它不是叶子时"
                         "梯度就停在这里；请把它写进 Value(data, (…), op)",
        "no_gradient": "没有梯度传到 {child}：它的 .grad 一直是 0，而有限差分给出 "
                       "∂out/∂{child} = {expected}（在 {at}）；out._backward 设置了吗？"
                       "它有没有加到 {child}.grad 上？",
        "sign": "丢了负号：∂out/∂{child} 算出来是 {yours}，有限差分给出 {expected}（在 {at}）："
                "大小相同，符号相反",
        "input_for_output": "把输入当成了输出（用了 self.data 而不是 out.data）："
                            "∂out/∂{child} 算出来是 {yours}，有限差分给出 {expected}（在 {at}），"
                            "而你的公式在读 out = {out} 代替 {child} 时正好得到它；用输出写的导数"
                            "（tanh：1 − out²，exp：out，σ：out·(1 − out)）必须读 out.data，"
                            "不能读输入",
        "output_for_input": "导数在输出处求值，而不是在输入处（把 σ(x) 写成了 σ(out)）："
                            "∂out/∂{child} 算出来是 {yours}，有限差分给出 {expected}（在 {at}）；"
                            "你的值是 {child} = out = {out} 处的真导数；请在输入处求 f′，"
                            "或者用输出来写（σ′ = out·(1 − out)）",
        "wrong_partial": "偏导数不对：∂out/∂{child} 算出来是 {yours}，有限差分给出 {expected}"
                         "（在 {at}）",
        "ignores_out_grad": "漏了 `* out.grad`：out.grad = {scale} 时它给 {child}.grad 加上 "
                            "{yours}，而应是 {scale} × {partial} = {expected}（在 {at}）；"
                            "out.grad = 1 时看不出来，放进更大的图里就错了",
        "overwrites": "该用 `+=` 的地方用了 `=`：之前 {child}.grad = {preset}，它的 _backward "
                      "之后是 {yours}，而应是 {preset} + {partial} = {expected}（在 {at}）；"
                      "一个节点被用两次（a*a，或用在两个运算里）时只剩最后一个梯度；"
                      "请写 {child}.grad += …",
        "set_children": "子节点放进了集合：{child} 和 {other} 是同一个 Value 时（如 a*a），"
                        "两个偏导数只到了一个，{yours}，而有限差分给出 {expected}（在 {at}）；"
                        "集合（或以子节点为键的字典）只存一次：请用元组保存子节点，"
                        "并把每个偏导数都加上",
        "shared_input": "{child} 和 {other} 是同一个 Value 时（如 a*a），梯度是 {yours}，"
                        "而有限差分给出 {expected}（在 {at}）",
    },
}
LANGUAGES = tuple(_WORDS)


@dataclass(frozen=True)
class Finding:
    """One mistake, with the numbers that show it at one point."""

    mistake: str  #: one of MISTAKES
    child: str  #: the input it concerns, by the operation's parameter name ('' for none)
    at: dict[str, float]  #: the inputs' numbers where it shows
    yours: Any = None  #: what the user's _backward gave
    expected: float | None = None  #: what it should have given
    extra: dict[str, Any] = field(default_factory=dict)  #: other numbers the message names
    also: tuple[str, ...] = ()  #: other inputs with the same mistake

    def text(self, lang: str = "en") -> str:
        """The mistake in one sentence, in `lang` ('en' or 'zh')."""
        words = _words(lang)
        at = words["comma"].join(f"{k} = {_num(v)}" for k, v in self.at.items())
        fields = {"child": self.child, "at": at, "yours": _num(self.yours),
                  "expected": _num(self.expected),
                  **{k: _num(v) if isinstance(v, float) else v for k, v in self.extra.items()}}
        also = words["also"].format(names=words["comma"].join(self.also)) if self.also else ""
        return words[self.mistake].format(**fields) + also

    def to_dict(self) -> dict[str, Any]:
        return {"mistake": self.mistake, "input": self.child, "also": list(self.also),
                "at": dict(self.at),
                "yours": self.yours if isinstance(self.yours, (int, float)) else repr(self.yours),
                "expected": self.expected, **self.extra, "message": self.text()}


@dataclass
class Audit:
    """The verdict on one operation: what was checked, and the mistakes found."""

    name: str  #: the function's qualified name, as in the file ('Value.tanh')
    op: str = ""  #: the op text its node carries ('tanh', '*')
    inputs: tuple[str, ...] = ()  #: the parameter names of the Values it takes
    constants: tuple[str, ...] = ()  #: the parameters passed plain numbers (pow's exponent)
    points: list[dict[str, float]] = field(default_factory=list)  #: where it was checked
    findings: list[Finding] = field(default_factory=list)
    error: str = ""  #: why it could not be audited ('' when it was)
    own_rules: bool = False  #: built only from kuibu's own rules (nothing hand-written)
    lang: str = "en"

    @property
    def ok(self) -> bool:
        """Audited, and no mistake found."""
        return not self.error and not self.findings

    def verdict(self, lang: str | None = None) -> str:
        """One line: the operation and what became of it."""
        words = _words(lang or self.lang)
        n, c = len(self.inputs), len(self.constants)
        if self.error and not n:
            return f"{self.name}: " + words["cannot"].format(error=self.error)
        what = f"{self.name} ("
        if self.op:
            what += f"{self.op!r}, "
        what += words["inputs"].format(n=n, s="" if n == 1 else "s")
        if c:
            what += words["numbers"].format(n=c, s="" if c == 1 else "s")
        what += ")"
        if self.error:
            return f"{what}: " + words["cannot"].format(error=self.error)
        if self.findings:
            count = len(self.findings)
            return f"{what}: " + words["mistakes"].format(count=count,
                                                          s="" if count == 1 else "s")
        return f"{what}: " + words["ok"].format(points=len(self.points))

    def text(self, lang: str | None = None) -> str:
        """The verdict, then each mistake in its own paragraph (English is wrapped at 100
        columns; Chinese, which has no spaces to break at, is not)."""
        lang = lang or self.lang
        lines = [self.verdict(lang)]
        for f in self.findings:
            lines.append(_wrap(f.text(lang)) if lang == "en" else f"  - {f.text(lang)}")
        if self.own_rules and self.ok:
            lines.append(_words(lang)["own_rules"])
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "op": self.op, "inputs": list(self.inputs),
                "constants": list(self.constants), "ok": self.ok, "error": self.error or None,
                "points": self.points, "findings": [f.to_dict() for f in self.findings],
                "verdict": self.verdict()}


def _words(lang: str) -> dict[str, str]:
    try:
        return _WORDS[lang]
    except (KeyError, TypeError):
        raise ValueError(
            f"audit: lang must be one of {', '.join(LANGUAGES)}, not {lang!r}"
        ) from None


def _wrap(text: str) -> str:
    """A mistake's sentence as an indented paragraph of at most 100 columns, never broken
    inside a formula ("1 − out²", "0.375 + 0.96 = 1.335")."""
    glue = "\x00"  # not whitespace to textwrap, so a glued formula stays on one line
    for op in (" − ", " + ", " × ", " = "):
        text = text.replace(op, op.replace(" ", glue))
    paragraph = textwrap.fill(text, width=100, initial_indent="  - ", subsequent_indent="    ",
                              break_long_words=False, break_on_hyphens=False)
    return paragraph.replace(glue, " ")


def _num(x: Any) -> str:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return repr(x)
    return f"{x:.6g}"


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= ATOL + RTOL * abs(b)


# -- running the user's operation ---------------------------------------------------------------


class _NotHereError(Exception):
    """The operation cannot be evaluated at this point (outside its domain, say)."""


class _UnsweptError(Exception):
    """The nodes the operation made cannot be swept: no _prev, or a grad that cannot be set."""


class _Op:
    """The user's operation with its leaf class and which positions take Values."""

    def __init__(self, fn: Callable[..., Any], cls: Any, names: Sequence[str],
                 constant: frozenset[int]) -> None:
        self.fn = fn
        self.cls = cls
        self.names = list(names)
        self.constant = constant
        self.values = [i for i in range(len(names)) if i not in constant]

    def call(self, x: Sequence[float], same: tuple[int, int] | None = None
             ) -> tuple[Any, list[Any], dict[int, Callable[[], None]]]:
        """Run the operation at `x`: its result, the leaves (by Value position) and the user
        functions kuibu's Value handed over instead of probing them."""
        leaves: list[Any] = []
        args: list[Any] = []
        for i, xi in enumerate(x):
            if i in self.constant:
                args.append(float(xi))
                continue
            if same is not None and i == same[1]:
                leaf = leaves[self.values.index(same[0])]
            else:
                leaf = self.cls(float(xi))
            leaves.append(leaf)
            args.append(leaf)
        captured: dict[int, tuple[Any, Callable[[], None]]] = {}
        token = USER_BACKWARD.set(lambda node, f: captured.__setitem__(id(node), (node, f)))
        try:
            out = self.fn(*args)
        finally:
            USER_BACKWARD.reset(token)
        return out, leaves, {k: f for k, (_, f) in captured.items()}

    def value(self, x: Sequence[float]) -> float:
        """The operation's number at `x`, or _NotHereError."""
        try:
            out, _, _ = self.call(x)
            data = out.data
        except Exception as e:  # the user's code: any failure means "not here"
            raise _NotHereError(str(e)) from None
        if isinstance(data, bool) or not isinstance(data, numbers.Real):
            raise _NotHereError(f"its value is {data!r}, not a real number")
        y = float(data)
        if not math.isfinite(y):
            raise _NotHereError(f"its value is {y}")
        return y

    def slope(self, x: Sequence[float], positions: Sequence[int]) -> float:
        """∂out/∂t where every input in `positions` is t (one position: a partial), by a
        five-point stencil, whose error is O(h⁴)."""
        h = 1e-3 * max(1.0, *(abs(x[i]) for i in positions))

        def at(step: float) -> float:
            moved = list(x)
            for i in positions:
                moved[i] = x[i] + step
            return self.value(moved)

        return (at(-2 * h) - 8 * at(-h) + 8 * at(h) - at(2 * h)) / (12 * h)


@dataclass
class _Swept:
    grads: list[Any]  #: each Value position's .grad after the sweep
    out: float
    error: str = ""
    reached: list[bool] = field(default_factory=list)  #: each leaf among the graph's nodes


def _sweep(op: _Op, x: Sequence[float], out_grad: float = 1.0,
           preset: Sequence[float] | None = None, same: tuple[int, int] | None = None,
           tamper: tuple[str, int] | None = None) -> _Swept:
    """Build the operation at `x` and run the backward sweep micrograd runs: every node's grad
    at 0 (the leaves' at `preset`), out.grad = `out_grad`, then each node's _backward from the
    output back. `tamper` ("input", i) makes input i's data the output's before the sweep,
    ("output", i) the output's data input i's: what a formula reading the wrong one gives."""
    try:
        out, leaves, captured = op.call(x, same)
    except Exception as e:  # the user's code: any failure means "not here"
        raise _NotHereError(str(e)) from None
    try:
        order = _topological(out)
        for node in order:
            node.grad = 0.0
        for k, leaf in enumerate(leaves):
            leaf.grad = preset[k] if preset is not None else 0.0
        value = float(out.data)
    except _UnsweptError:
        raise
    except Exception as e:  # the user's nodes: whatever they refuse
        raise _UnsweptError(f"{type(e).__name__}: {e}") from None
    ids = {id(n) for n in order}
    if tamper is not None:
        kind, i = tamper
        try:
            if kind == "input":
                leaves[op.values.index(i)].data = value
            else:
                out.data = float(x[i])
        except Exception as e:  # a class whose data cannot be set: this test cannot be made
            raise _NotHereError(str(e)) from None
    out.grad = out_grad
    leaf_ids = {id(leaf) for leaf in leaves}
    error = ""
    for node in reversed(order):
        if id(node) in leaf_ids:
            continue
        step = captured.get(id(node)) or getattr(node, "_backward", None)
        if not callable(step):
            continue
        try:
            step()
        except Exception as e:  # the user's function: report what it raised
            error = f"{type(e).__name__}: {e}"
            break
    return _Swept([leaf.grad for leaf in leaves], value, error,
                  [id(leaf) in ids for leaf in leaves])


def _topological(out: Any) -> list[Any]:
    """The nodes behind `out` through ``_prev``, each after its children (iteratively)."""
    if not hasattr(out, "_prev"):
        raise _UnsweptError("its result has no _prev (the children of a micrograd-style node)")
    order: list[Any] = []
    seen: set[int] = set()
    stack: list[tuple[Any, bool]] = [(out, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((c, False) for c in getattr(node, "_prev", ()) if id(c) not in seen)
    return order


# -- the audit ----------------------------------------------------------------------------------


def audit(
    fn: Callable[..., Any],
    *,
    value: type | None = None,
    points: int = 5,
    seed: int = 0,
    lang: str = "en",
) -> Audit:
    """Check `fn`, an operation written micrograd's way, and name its mistakes.

    `fn` takes its inputs (Values, and plain numbers where it refuses a Value, as micrograd's
    ``__pow__`` does for its exponent) and returns the node it made. Its leaves are made with
    `value`: by default the class `fn` is a method of, else the ``Value`` its module uses, else
    kuibu's. It is run at `points` points drawn with `seed` (|x| between 0.2 and 2, positive
    where it needs), each check in a graph of its own. The result says what was found in
    `lang` ('en' or 'zh'); the audit itself raises only for a bad argument.
    """
    if not callable(fn):
        raise TypeError(f"audit: fn must be a function, not {type(fn).__name__}: {fn!r}")
    if isinstance(points, bool) or not isinstance(points, int) or not 1 <= points <= 100:
        raise ValueError(f"audit: points must be an int from 1 to 100, not {points!r}")
    _words(lang)
    cls = value if value is not None else _value_class(fn)
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)
    report = Audit(name=str(name), lang=lang)
    try:
        names = _parameters(fn)
    except ValueError as e:
        report.error = str(e)
        return report
    report.inputs = tuple(names)  # until the operation shows which take plain numbers
    rng = random.Random(seed)
    op, first = _choose_kinds(fn, cls, names, rng, report)
    if op is None:
        return report
    report.inputs = tuple(names[i] for i in op.values)
    report.constants = tuple(names[i] for i in sorted(op.constant))
    xs = [first, *_points(op, rng, points - 1)]
    report.points = [dict(zip(names, x, strict=True)) for x in xs]
    try:
        out, _, captured = op.call(first)
        report.op = str(getattr(out, "_op", "") or "")
        report.own_rules = isinstance(out, Value) and not captured and not _user_made(out)
    except Exception:  # it ran at this point a moment ago
        pass
    try:
        report.findings = _check(op, xs)
    except _UnsweptError as e:
        report.error = f"its nodes cannot be swept as micrograd sweeps them: {e}"
    return report


def _user_made(out: Value) -> bool:
    """Whether any node behind a kuibu Value was made micrograd's way by the user."""
    return any(n.rule is not None and n.rule.user for n in _topological(out))


def _value_class(fn: Callable[..., Any]) -> Any:
    """The class the leaves are made of: fn's own class, else its module's Value, else kuibu's."""
    home = getattr(fn, "__globals__", {})
    qualname = getattr(fn, "__qualname__", "")
    owner = getattr(fn, "__self__", None)
    if owner is not None and not inspect.ismodule(owner):
        return owner if isinstance(owner, type) else type(owner)
    if "." in qualname and "<locals>" not in qualname:
        cls = home.get(qualname.split(".")[0])
        if isinstance(cls, type):
            return cls
    cls = home.get("Value")
    return cls if isinstance(cls, type) else Value


def _parameters(fn: Callable[..., Any]) -> list[str]:
    """The names of the inputs `fn` takes: its positional parameters without defaults."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        raise ValueError("its parameters cannot be read (write it as a Python function)") from None
    names = []
    for p in signature.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            raise ValueError(f"it takes *{p.name}: audit an operation with named inputs")
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty:
            names.append(p.name)
        elif p.default is p.empty and p.kind is p.KEYWORD_ONLY:
            raise ValueError(f"it needs the keyword argument {p.name}")
    if not names:
        raise ValueError("it takes no input")
    return names


def _draw(rng: random.Random, n: int, positive: bool) -> list[float]:
    xs = []
    for _ in range(n):
        x = round(rng.uniform(LOW, HIGH), 2)
        xs.append(x if positive or rng.random() < 0.5 else -x)
    return xs


def _valid(op: _Op, x: Sequence[float]) -> bool:
    """The operation and every partial's finite differences can be evaluated at `x`."""
    try:
        op.value(x)
        for i in op.values:
            op.slope(x, [i])
    except _NotHereError:
        return False
    return True


def _choose_kinds(fn: Callable[..., Any], cls: Any, names: list[str], rng: random.Random,
                  report: Audit) -> tuple[_Op | None, list[float]]:
    """Which inputs take Values (all, if the operation accepts that), and a first point."""
    n = len(names)
    options: list[frozenset[int]] = [frozenset()]
    options += [frozenset({i}) for i in range(1, n)]
    if n > 2:
        options.append(frozenset(range(1, n)))
    try:
        cls(0.5)
    except Exception as e:  # whatever the class raises, it cannot make leaves
        report.error = f"cannot make a leaf: {getattr(cls, '__name__', cls)}(0.5) raised " \
                       f"{type(e).__name__}: {e}"
        return None, []
    last = ""
    for constant in options:
        op = _Op(fn, cls, names, constant)
        for attempt in range(ATTEMPTS):
            x = _draw(rng, n, positive=attempt % 2 == 1)
            try:
                out, _, _ = op.call(x)
            except Exception as e:  # the user's code
                last = f"{type(e).__name__}: {e}"
                continue
            if not hasattr(out, "data") or not hasattr(out, "grad"):
                report.error = f"it returned {type(out).__name__}, not a Value"
                return None, []
            if _valid(op, x):
                return op, x
            last = last or "its value or its finite differences are not finite numbers"
    report.error = f"it does not run at any point tried ({last})" if last else \
        "it does not run at any point tried"
    return None, []


def _points(op: _Op, rng: random.Random, count: int) -> list[list[float]]:
    found: list[list[float]] = []
    for attempt in range(ATTEMPTS * max(count, 1)):
        if len(found) == count:
            break
        x = _draw(rng, len(op.names), positive=attempt % 2 == 1)
        if _valid(op, x):
            found.append(x)
    return found


def _check(op: _Op, xs: list[list[float]]) -> list[Finding]:
    """Every check at every point; the first showing of each mistake per input is kept."""
    found: dict[tuple[str, str], Finding] = {}
    wrong: dict[int, list[tuple[list[float], float, float]]] = {i: [] for i in op.values}

    def note(f: Finding) -> None:
        found.setdefault((f.mistake, f.child), f)

    for x in xs:
        at = dict(zip(op.names, x, strict=True))
        try:
            plain = _sweep(op, x)
            expected = [op.slope(x, [i]) for i in op.values]
            scaled = _sweep(op, x, out_grad=OUT_GRAD)
            preset = [PRESET[j % len(PRESET)] for j in range(len(op.values))]
            kept = _sweep(op, x, preset=preset)
        except _NotHereError:  # it ran here a moment ago; code that changes its mind is skipped
            continue
        if plain.error:
            note(Finding("raised", "", at, extra={"error": plain.error}))
            continue
        bad = [k for k, g in enumerate(plain.grads)
               if isinstance(g, bool) or not isinstance(g, numbers.Real)
               or not math.isfinite(float(g))]
        for k in bad:
            note(Finding("not_a_number", op.names[op.values[k]], at, yours=plain.grads[k]))
        if bad:
            continue
        for k, reached in enumerate(plain.reached):
            if not reached:
                note(Finding("missing_child", op.names[op.values[k]], at))
        partial = [float(g) for g in plain.grads]
        for k, i in enumerate(op.values):
            child = op.names[i]
            if not _close(partial[k], expected[k]):
                wrong[i].append((x, partial[k], expected[k]))
            if not scaled.error and not _close(float(scaled.grads[k]), OUT_GRAD * partial[k]):
                note(Finding("ignores_out_grad", child, at, float(scaled.grads[k]),
                             OUT_GRAD * partial[k], {"scale": OUT_GRAD, "partial": partial[k]}))
            if not kept.error and not _close(float(kept.grads[k]), preset[k] + partial[k]):
                note(Finding("overwrites", child, at, float(kept.grads[k]),
                             preset[k] + partial[k], {"preset": preset[k], "partial": partial[k]}))
        for f in _shared(op, x):
            note(f)
    for i, cases in wrong.items():
        if cases:
            note(_diagnose(op, i, cases))
    return _merge(op, list(found.values()))


#: The shared-input check assumes right partials; any of these explains its failure already.
_EXPLAINS_SHARED = frozenset(MISTAKES) - {"ignores_out_grad", "set_children", "shared_input"}


def _merge(op: _Op, findings: list[Finding]) -> list[Finding]:
    """One finding per mistake (the first input's numbers, the others named), in MISTAKES'
    order; a failing a*a check is left out when another mistake already explains it."""
    if any(f.mistake in _EXPLAINS_SHARED for f in findings):
        findings = [f for f in findings if f.mistake not in ("set_children", "shared_input")]
    findings.sort(key=lambda f: (MISTAKES.index(f.mistake),
                                 op.names.index(f.child) if f.child in op.names else -1))
    merged: dict[str, Finding] = {}
    for f in findings:
        first = merged.get(f.mistake)
        if first is None:
            merged[f.mistake] = f
        elif f.child and f.child != first.child and f.child not in first.also:
            merged[f.mistake] = dataclasses.replace(first, also=(*first.also, f.child))
    return list(merged.values())


def _shared(op: _Op, x: list[float]) -> Iterator[Finding]:
    """The same Value as two inputs (a*a): both partials must arrive."""
    for a, i in enumerate(op.values):
        for j in op.values[a + 1:]:
            y = list(x)
            y[j] = y[i]
            try:
                expected = op.slope(y, [i, j])
                alone = (op.slope(y, [i]), op.slope(y, [j]))
                swept = _sweep(op, y, same=(i, j))
            except _NotHereError:
                continue
            g = swept.grads[a]
            if swept.error or isinstance(g, bool) or not isinstance(g, numbers.Real):
                continue
            yours = float(g)
            if _close(yours, expected):
                continue
            at = dict(zip(op.names, y, strict=True))
            kind = "set_children" if any(_close(yours, d) for d in alone) else "shared_input"
            yield Finding(kind, op.names[i], at, yours, expected, {"other": op.names[j]})


def _diagnose(op: _Op, i: int, cases: list[tuple[list[float], float, float]]) -> Finding:
    """Which wrong formula the user's partials for input i fit, at every point they are wrong."""
    child = op.names[i]
    x, yours, expected = cases[0]
    at = dict(zip(op.names, x, strict=True))
    if all(abs(y) <= ATOL for _, y, e in cases) and any(abs(e) > ATOL for _, _, e in cases):
        return Finding("no_gradient", child, at, yours, expected)
    if all(_close(y, -e) for _, y, e in cases) and any(abs(e) > ATOL for _, _, e in cases):
        return Finding("sign", child, at, yours, expected)
    k = op.values.index(i)
    for mistake, fits in (("input_for_output", _input_for_output),
                          ("output_for_input", _output_for_input)):
        if all(fits(op, i, k, xc, yc, ec) for xc, yc, ec in cases):
            return Finding(mistake, child, at, yours, expected, {"out": op.value(x)})
    return Finding("wrong_partial", child, at, yours, expected)


def _input_for_output(op: _Op, i: int, k: int, x: list[float], yours: float,
                      expected: float) -> bool:
    """The formula gives the true partial when it reads the output in place of input i: live
    (the data changed under it before the sweep), or captured (the operation run again at the
    output's number)."""
    with contextlib.suppress(_NotHereError):
        swept = _sweep(op, x, tamper=("input", i))
        if not swept.error and _close(float(swept.grads[k]), expected):
            return True
    with contextlib.suppress(_NotHereError):
        y = list(x)
        y[i] = op.value(x)
        swept = _sweep(op, y)
        if not swept.error and _close(float(swept.grads[k]), expected):
            return True
    return False


def _output_for_input(op: _Op, i: int, k: int, x: list[float], yours: float,
                      expected: float) -> bool:
    """The user's partial is the true one at input i = the output, f′(out) for f′(x): read off
    the operation run there, or seen when the output's data is made the input's (a formula
    that evaluates f′ at out.data is then right)."""
    with contextlib.suppress(_NotHereError):
        y = list(x)
        y[i] = op.value(x)
        if _close(yours, op.slope(y, [i])):
            return True
    with contextlib.suppress(_NotHereError):
        swept = _sweep(op, x, tamper=("output", i))
        if not swept.error and _close(float(swept.grads[k]), expected):
            return True
    return False


# -- finding operations in a file ---------------------------------------------------------------


def operations_in(source: str) -> list[str]:
    """The functions and methods of `source` (Python text) that set ``out._backward`` on a
    node they made (not on their own first parameter, as ``__init__`` sets a default): the
    operations written micrograd's way, as ``name`` or ``Class.name``, in file order.

    >>> operations_in('''
    ... class Value:
    ...     def __mul__(self, other):
    ...         out = Value(self.data * other.data, (self, other), '*')
    ...         def _backward():
    ...             self.grad += other.data * out.grad
    ...             other.grad += self.data * out.grad
    ...         out._backward = _backward
    ...         return out
    ...     def __init__(self, data, _children=(), _op=''):
    ...         self._backward = lambda: None
    ...     def __rmul__(self, other):
    ...         return self * other
    ... ''')
    ['Value.__mul__']
    """
    import ast

    tree = ast.parse(source)
    found: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _sets_backward(node):
            found.append(node.name)
        elif isinstance(node, ast.ClassDef):
            found += [f"{node.name}.{item.name}" for item in node.body
                      if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                      and _sets_backward(item)]
    return found


def _sets_backward(function: Any) -> bool:
    import ast

    arguments = function.args.posonlyargs + function.args.args
    own = arguments[0].arg if arguments else None
    for node in ast.walk(function):
        targets: list[Any] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        for t in targets:
            if isinstance(t, ast.Attribute) and t.attr == "_backward" and not (
                    isinstance(t.value, ast.Name) and t.value.id == own):
                return True
    return False
