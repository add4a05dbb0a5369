"""Checking derivatives: numerically (gradcheck) and against a person's own formulas.

`numerical_gradient`, `gradcheck` and `gradgradcheck` compare the engine with central finite
differences; `check_partials` compares hand-derived partials with the engine (a number as
precisely as it was typed, a formula at several points, both sides of a kink) and, where one is
wrong, says which change to the engine's chain rule reproduces it (`autograd.diagnosis`: a
factor left out or evaluated at the wrong node, a dropped path, a factor of 2).
"""

from __future__ import annotations

import ast
import difflib
import inspect
import math
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, Protocol, TypeVar

from autograd import floats
from autograd.diagnosis import diagnose
from autograd.explain import _aligned, _number, resolve_node, unlabelled_note
from autograd.export import Naming, rule_text, user_call_name
from autograd.formula import FLOAT_ALGEBRA, Formula, FormulaError, evaluate, number_text, parse
from autograd.functional import grad
from autograd.graph import sweep_order, topological_order
from autograd.modes import enable_grad, no_grad
from autograd.ops import Rule
from autograd.value import Value
from autograd.words import WORDS, words

__all__ = [
    "ATOL",
    "RTOL",
    "GradcheckError",
    "GradcheckReport",
    "GradcheckRow",
    "Kink",
    "PartialRow",
    "PartialsReport",
    "check_partials",
    "gradcheck",
    "gradgradcheck",
    "numerical_gradient",
]


def _evaluate(f: Callable[..., Any], inputs: Sequence[Value]) -> float:
    out = f(*inputs)
    if isinstance(out, Value):
        return out.data
    if isinstance(out, (int, float)):
        return float(out)
    raise TypeError(f"the function must return a Value or a number, not {type(out).__name__}")


def numerical_gradient(
    f: Callable[..., Any], inputs: Sequence[Value], eps: float = 1e-6
) -> list[float]:
    """∂f/∂x for each input x by central differences, (f(x + eps) - f(x - eps)) / (2 eps).

    `f` is called as ``f(*inputs)`` and returns a Value (or a number); each input's data is moved
    by ±eps in turn and always put back, so the inputs are left exactly as they were.
    """
    if eps <= 0.0:
        raise ValueError(f"numerical_gradient: eps must be positive, not {eps}")
    result: list[float] = []
    with no_grad():
        for x in inputs:
            if not isinstance(x, Value):
                kind = type(x).__name__
                raise TypeError(f"numerical_gradient: inputs must be Values, not {kind}")
            x0 = x.data
            try:
                x.data = x0 + eps
                up = _evaluate(f, inputs)
                x.data = x0 - eps
                down = _evaluate(f, inputs)
            finally:
                x.data = x0
            result.append((up - down) / (2.0 * eps))
    return result


# -- gradcheck ---------------------------------------------------------------------------------


def close(a: float, b: float, atol: float, rtol: float) -> bool:
    """|a − b| <= atol + rtol·|b| (b is the reference) for finite numbers; two non-finite
    numbers agree when they are the same (both nan, or both inf of one sign)."""
    if not (math.isfinite(a) and math.isfinite(b)):
        return (math.isnan(a) and math.isnan(b)) or a == b
    return abs(a - b) <= atol + rtol * abs(b)


def _error(a: float, b: float) -> float:
    """|a − b|, 0 for the same non-finite number, inf for different ones."""
    if not (math.isfinite(a) and math.isfinite(b)):
        return 0.0 if close(a, b, 0.0, 0.0) else math.inf
    return abs(a - b)


def _relative(abs_error: float, reference: float) -> float:
    if reference != 0.0:
        return abs_error / abs(reference)
    return 0.0 if abs_error == 0.0 else math.inf


class _Row(Protocol):
    @property
    def ok(self) -> bool: ...


R = TypeVar("R", bound=_Row)


class _Verdicts(Generic[R]):
    """What the reports share: rows with a verdict each; a report is truthy when all are ok."""

    rows: list[R]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    @property
    def failed(self) -> list[R]:
        return [r for r in self.rows if not r.ok]

    def __bool__(self) -> bool:
        return self.ok


@dataclass(frozen=True)
class GradcheckRow:
    """One derivative: the engine's value against central differences."""

    label: str
    engine: float
    numeric: float
    abs_error: float
    rel_error: float
    ok: bool


class GradcheckError(AssertionError):
    """Raised by gradcheck(..., raise_on_fail=True); the message holds the report's table."""


@dataclass(frozen=True)
class GradcheckReport(_Verdicts[GradcheckRow]):
    """The result of `gradcheck` or `gradgradcheck`: truthy when every row is ok."""

    title: str
    rows: list[GradcheckRow]
    eps: float
    atol: float
    rtol: float

    def __str__(self) -> str:
        n_bad = len(self.failed)
        verdict = "all ok" if not n_bad else f"{n_bad} of {len(self.rows)} FAILED"
        head = (f"{self.title}: {verdict} (eps={self.eps:g}, ok when |engine − numeric| <= "
                f"{self.atol:g} + {self.rtol:g}·|numeric|)")
        rows = [
            [r.label, _number(r.engine), _number(r.numeric), f"{r.abs_error:.2g}",
             f"{r.rel_error:.2g}", "ok" if r.ok else "FAIL"]
            for r in self.rows
        ]
        header = ["input", "engine", "numeric", "abs error", "rel error", "ok"]
        return "\n".join([head, *_aligned([header, *rows])])


def _labels(inputs: Sequence[Value]) -> list[str]:
    return [x.label or f"inputs[{i}]" for i, x in enumerate(inputs)]


def _check_inputs(where: str, inputs: Sequence[Value]) -> list[Value]:
    xs = list(inputs)
    for i, x in enumerate(xs):
        if not isinstance(x, Value):
            raise TypeError(f"{where}: inputs[{i}] must be a Value, not {type(x).__name__}: {x!r}")
    return xs


def _first_derivatives(f: Callable[..., Any], xs: Sequence[Value]) -> list[float]:
    """The engine's ∂f/∂x for each input (0 for inputs f does not use)."""
    with enable_grad():
        out = f(*xs)
        if not isinstance(out, Value):
            _evaluate(lambda *_: out, xs)  # a number is fine: its gradient is 0
            return [0.0] * len(xs)
        return [float(g) for g in grad(out, list(xs), allow_unused=True)]


def _report(
    title: str, labels: list[str], engine: list[float], numeric: list[float], eps: float,
    atol: float, rtol: float, raise_on_fail: bool,
) -> GradcheckReport:
    rows = []
    for label, e, n in zip(labels, engine, numeric, strict=True):
        err = _error(e, n)
        rows.append(GradcheckRow(label, e, n, err, _relative(err, n), close(e, n, atol, rtol)))
    report = GradcheckReport(title, rows, eps, atol, rtol)
    if raise_on_fail and not report:
        raise GradcheckError(str(report))
    return report


def gradcheck(
    f: Callable[..., Any],
    inputs: Sequence[Value],
    eps: float = 1e-6,
    atol: float = 1e-8,
    rtol: float = 1e-6,
    raise_on_fail: bool = False,
) -> GradcheckReport:
    """The engine's gradient of ``f(*inputs)`` against central finite differences.

    Returns a report (per input: label, engine, numeric, absolute and relative error, ok) that
    prints as a table and is falsy when any input fails; with `raise_on_fail` a failure raises
    `GradcheckError` with the table. The inputs' data and grad are left as they were.

    >>> from autograd import Value
    >>> w, x = Value(0.5, label="w"), Value(1.5, label="x")
    >>> report = gradcheck(lambda w, x: (w * x).tanh(), [w, x])
    >>> bool(report), [r.label for r in report.rows]
    (True, ['w', 'x'])
    """
    xs = _check_inputs("gradcheck", inputs)
    engine = _first_derivatives(f, xs)
    numeric = numerical_gradient(f, xs, eps)
    return _report("gradcheck", _labels(xs), engine, numeric, eps, atol, rtol, raise_on_fail)


def gradgradcheck(
    f: Callable[..., Any],
    inputs: Sequence[Value],
    eps: float = 1e-6,
    atol: float = 1e-6,
    rtol: float = 1e-5,
    raise_on_fail: bool = False,
) -> GradcheckReport:
    """The engine's second derivatives ∂²f/∂xᵢ∂xⱼ against finite differences of its gradient.

    The engine differentiates its own gradient (``grad(..., create_graph=True)``, then `grad`
    again); the numeric side moves each input by ±eps and differences the engine's first
    derivatives, as PyTorch's gradgradcheck does. One row per pair (i, j). Tolerances are
    looser than gradcheck's by default: a difference of gradients loses more digits.

    >>> from autograd import Value
    >>> x, y = Value(0.3, label="x"), Value(-0.7, label="y")
    >>> report = gradgradcheck(lambda x, y: (x * y).sin(), [x, y])
    >>> bool(report), report.rows[1].label
    (True, '∂²/∂x∂y')
    """
    xs = _check_inputs("gradgradcheck", inputs)
    names = _labels(xs)
    engine: list[float] = []
    with enable_grad():
        out = f(*xs)
        firsts = (grad(out, xs, create_graph=True, allow_unused=True)
                  if isinstance(out, Value) else [Value(0.0) for _ in xs])
        for g in firsts:
            engine += [float(v) for v in grad(g, xs, allow_unused=True)]
    numeric: list[float] = []
    for i in range(len(xs)):
        # Column j of row i: how the engine's ∂f/∂xᵢ moves when xⱼ moves.
        numeric += numerical_gradient(lambda *v, i=i: _first_derivatives(f, v)[i], xs, eps)
    labels = [f"∂²/∂{a}∂{b}" for a in names for b in names]
    return _report("gradgradcheck", labels, engine, numeric, eps, atol, rtol, raise_on_fail)


# -- check_partials ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Kink:
    """A partial compared where some operation on the way sits on its kink (relu or abs at 0,
    a tie of max): the derivative is not defined there, and the engine gives the convention.
    `left` and `right` are ∂output/∂node with the node moved a little down and up."""

    ops: tuple[str, ...]  #: the operations at their kinks, each once, in the graph's order
    left: float
    right: float
    engine: float
    #: what the user's value matches: "left", "right", "both" (the sides agree), or ""
    matches: str = ""
    note: str = ""  #: the sentence saying all this, in the language asked for

    def to_dict(self) -> dict[str, Any]:
        return {"ops": list(self.ops), "left": self.left, "right": self.right,
                "engine": self.engine, "matches": self.matches, "note": self.note}


@dataclass(frozen=True)
class PartialRow:
    """One hand-derived ∂output/∂node against the engine's value."""

    name: str  #: the node's label (or n<index>)
    expected: float | None  #: the user's value; None when the formula could not be evaluated
    engine: float
    abs_error: float
    ok: bool
    error: str | None = None  #: why the user's formula gave no number
    hints: tuple[str, ...] = ()  #: what a wrong value is consistent with
    #: the labelled leaves' values where expected and engine were compared for this row: the
    #: given point, or the random point of the worst disagreement when only such a point fails
    at: dict[str, float] = field(default_factory=dict)
    points: int = 1  #: at how many points the formula was compared (1 for a plain number)
    failed_points: int = 0  #: at how many of them it disagreed
    #: at the given point, whatever the verdict: the user's value and the engine's, and whether
    #: they agree there (``expected``/``engine`` are the worst point's when only another fails)
    expected_here: float | None = None
    engine_here: float = math.nan
    ok_here: bool = False
    #: a number typed with k significant digits (a str like "0.0834616") agrees when the
    #: engine's value rounds to it: k here, None when the tolerances decided
    digits: int | None = None
    kink: Kink | None = None  #: the given point is at a kink on the way from the node
    #: no single change explains the wrong value: the one hint says where to compare factors
    unexplained: bool = False
    #: the engine's value at the given point rounded to the digits typed ("0.0835"), or ""
    rounded: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The row's fields by name (floats may be inf or nan)."""
        return {"name": self.name, "expected": self.expected, "engine": self.engine,
                "abs_error": self.abs_error, "ok": self.ok, "error": self.error,
                "hints": list(self.hints), "at": dict(self.at), "points": self.points,
                "failed_points": self.failed_points, "expected_here": self.expected_here,
                "engine_here": self.engine_here, "ok_here": self.ok_here,
                "digits": self.digits, "kink": self.kink.to_dict() if self.kink else None,
                "unexplained": self.unexplained, "rounded": self.rounded}


@dataclass(frozen=True)
class PartialsReport(_Verdicts[PartialRow]):
    """The result of `check_partials`: truthy when every hand-derived value agrees."""

    output: str
    rows: list[PartialRow]
    atol: float
    rtol: float
    notes: tuple[str, ...] = ()

    def row(self, name: str) -> PartialRow:
        """The row of the node named `name`."""
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(f"no row for {name!r}; rows: {', '.join(r.name for r in self.rows)}")

    def __str__(self) -> str:
        n_bad = len(self.failed)
        verdict = "all agree" if not n_bad else f"{n_bad} of {len(self.rows)} disagree"
        typed = (", or for a number typed with its digits when the engine's value rounds to it"
                 if any(r.digits for r in self.rows) else "")
        head = (f"check_partials of {self.output}: {verdict} (ok when |yours − engine| <= "
                f"{self.atol:g} + {self.rtol:g}·|engine|{typed})")
        table = [
            [f"∂{self.output}/∂{r.name}", "—" if r.expected is None else _number(r.expected),
             _number(r.engine), "—" if r.expected is None else f"{r.abs_error:.2g}",
             "ok" if r.ok else "WRONG"]
            for r in self.rows
        ]
        lines = [head, *_aligned([["partial", "yours", "engine", "abs error", "ok"], *table])]
        for r in self.rows:
            if r.error:
                lines += ["", f"∂{self.output}/∂{r.name}: {r.error}"]
            if r.hints:
                off = (r.expected or 0.0) - r.engine
                by = f" by {_number(off)}" if math.isfinite(off) else ""
                lines += ["", f"∂{self.output}/∂{r.name} is wrong{by}; your value:"]
                lines += [f"  - {h}" for h in r.hints]
            if r.failed_points and r.at and not r.hints and not r.error:
                where = ", ".join(f"{k} = {_number(v)}" for k, v in r.at.items())
                lines += ["", f"∂{self.output}/∂{r.name}: yours and the engine's differ at "
                          f"{r.failed_points} of the {r.points} points compared; the worst: "
                          f"{where}"]
        if self.notes:
            lines += ["", *self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready structure (floats may be inf or nan)."""
        return {"output": self.output, "ok": self.ok, "atol": self.atol, "rtol": self.rtol,
                "rows": [r.to_dict() for r in self.rows], "notes": list(self.notes)}


def _call_formula(
    fn: Callable[..., Any], values: dict[str, float], labels: list[str], unlabelled: int,
) -> Any:
    """Call a user's formula with the labelled values it names (see `check_partials`)."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return fn()
    kwargs: dict[str, float] = {}
    for p in sig.parameters.values():
        if p.kind is p.VAR_KEYWORD:
            kwargs.update(values)
        elif p.kind is p.VAR_POSITIONAL:
            continue
        elif p.name in values:
            if p.kind is p.POSITIONAL_ONLY:
                raise _FormulaCallError(f"the formula's parameter {p.name!r} is positional-only; "
                                      "formulas are called with keyword arguments by label")
            kwargs[p.name] = values[p.name]
        elif p.name in labels:
            raise _FormulaCallError(
                f"the formula asks for {p.name!r}, but several nodes of the graph are labelled "
                f"{p.name!r}; give each its own label"
            )
        elif p.default is p.empty:
            close_names = difflib.get_close_matches(p.name, labels, n=2)
            hint = f"; did you mean {' or '.join(map(repr, close_names))}?" if close_names else ""
            more = (f" ({unlabelled} leaves have no label: label them, Value(..., "
                    "label='...'), to use them in a formula)" if unlabelled else "")
            known = ", ".join(labels) or "none"
            raise _FormulaCallError(
                f"the formula asks for {p.name!r}, which is not a label in the graph (labels: "
                f"{known}){hint}{more}"
            )
    try:
        return fn(**kwargs)
    except Exception as e:  # the user's code: report any failure, in their labels
        shown = ", ".join(f"{k} = {_number(v)}" for k, v in kwargs.items())
        at = f" (called with {shown})" if shown else " (called with no arguments)"
        raise _FormulaCallError(f"the formula raised {type(e).__name__}: {e}{at}") from e


class _FormulaCallError(Exception):
    """A formula that cannot be called with the graph's labels."""


def _user_value(
    want: Any, values: dict[str, float], labels: list[str], unlabelled: int,
) -> tuple[float | None, str | None]:
    """The user's number for one partial, or None and what went wrong, in their words."""
    try:
        if isinstance(want, Value):
            return want.data, None
        if isinstance(want, (str, Formula)):
            result: Any = evaluate(want, values, FLOAT_ALGEBRA)
        elif callable(want):
            result = _call_formula(want, values, labels, unlabelled)
        else:
            result = want
    except _FormulaCallError as e:
        return None, str(e)
    except FormulaError as e:
        return None, f"the formula cannot be evaluated: {e}"
    if isinstance(result, Value):
        result = result.data
    if isinstance(result, bool) or not isinstance(result, (int, float)):
        return None, (f"the expected value must be a number, a formula (a str or a callable) "
                      f"or a Value, not {type(result).__name__}: {result!r}")
    return float(result), None


#: The tolerances when none are given: yours agrees when |yours − engine| <= ATOL + RTOL·|engine|.
ATOL, RTOL = 1e-8, 1e-6


def check_partials(
    output: Value,
    expected: Mapping[Any, Any],
    atol: float | None = None,
    rtol: float | None = None,
    points: int = 5,
    seed: int = 0,
    allow_unused: bool = False,
    lang: str = "en",
) -> PartialsReport:
    """Compare hand-derived partials ∂output/∂node with the engine's, and say where one is wrong.

    `expected` maps nodes (Values, or their labels) to the user's values: a number; a formula
    as a str (or a parsed `autograd.formula.Formula`) over the graph's labels
    ("out_o1 * (1 - out_o1)"); or a callable, called with the current value of each labelled
    node it names as a keyword argument (``lambda out_o1, out_h1: ...``; a callable with no
    parameters is called with none, and ``**values`` receives every label). The report says
    which agree, by how much the others miss, and what a wrong value is consistent with: one
    local factor of the chain rule left out or evaluated at the wrong node (tanh′ at the
    pre-activation, σ′ at the output), a dropped path, a factor of 2 or a flipped sign, in the
    words of `lang` ("en" or "zh").

    A number is checked as typed: given as a str with a decimal point ("0.0834616", copied with
    the digits kuibu prints or from paper), it agrees when the engine's value rounds to it
    (`PartialRow.digits` says to how many significant digits). Otherwise, and whenever `atol`
    or `rtol` is given, yours agrees when |yours − engine| <= atol + rtol·|engine| (defaults
    `ATOL` and `RTOL`).

    A number (or a formula without names, or a callable without parameters) is compared at the
    given point only. A formula that names values is also compared at `points` more points near
    the given one (each labelled leaf moved at random by up to half its size, at least ±0.5,
    drawn from ``random.Random(seed)``; points where the engine's numbers are not finite are
    skipped), one point at a time, so a formula that agrees at one point by coincidence is
    caught. The same non-finite number on both sides (both nan, or both inf) counts as
    agreement. Where an operation on the way sits on its kink (relu or abs at 0, a tie of max),
    the derivative is not defined: the row's `kink` gives both one-sided derivatives, and a
    value that matches either agrees. A Value the output was not computed from is an error,
    unless `allow_unused` (as in `grad`): then its engine's partial is 0.

    >>> from autograd import Value
    >>> x = Value(0.5, label="x")
    >>> y = x.tanh()
    >>> y.label = "y"
    >>> report = check_partials(y, {"x": lambda y: 1 - y**2})
    >>> bool(report)
    True
    >>> wrong = check_partials(y, {"x": lambda x: 1 - x**2})
    >>> print(wrong.rows[0].hints[0].split(": ")[0])
    equals the chain rule with ∂y/∂x computed as 1 − x² = 0.75 instead of 1 − y² = 0.786448
    >>> typed = check_partials(y, {"x": "0.786448"}).rows[0]  # 6 digits, as printed above
    >>> typed.ok, typed.digits
    (True, 6)
    >>> x0 = Value(0.0, label="x")
    >>> s = x0.sin()
    >>> s.label = "s"
    >>> lucky = check_partials(s, {"x": "cos(x) + x"})  # right at x = 0 only
    >>> bool(lucky), lucky.rows[0].failed_points, lucky.rows[0].points
    (False, 5, 6)
    """
    if not isinstance(output, Value):
        raise TypeError(
            f"check_partials: the output must be a Value, not {type(output).__name__}"
        )
    if not isinstance(expected, Mapping):
        raise TypeError("check_partials: expected must be a dict mapping nodes (or labels) to "
                        f"values or formulas, not {type(expected).__name__}")
    if isinstance(points, bool) or not isinstance(points, int) or points < 0:
        raise ValueError(f"check_partials: points must be a whole number >= 0, not {points!r}")
    table = words(lang)
    as_typed = atol is None and rtol is None
    atol_ = _tolerance("atol", ATOL if atol is None else atol)
    rtol_ = _tolerance("rtol", RTOL if rtol is None else rtol)
    order = topological_order(output)
    naming = _LazyNaming(order)
    by_label: dict[str, list[Value]] = {}
    for n in order:
        if n.label:
            by_label.setdefault(n.label, []).append(n)
    unique = {k: v[0] for k, v in by_label.items() if len(v) == 1}
    values = {k: v.data for k, v in unique.items()}
    labels = sorted(by_label)
    unlabelled = sum(1 for n in order if n.is_leaf and not n.label)
    inside = {id(n) for n in order}
    nodes = [key if allow_unused and isinstance(key, Value) and id(key) not in inside
             else resolve_node(output, key, order, "check_partials") for key in expected]
    engine = [float(g) for g in grad(output, nodes, allow_unused=True)]
    moved = [n for n in order if n.is_leaf and n.label]
    given = {n.label: n.data for n in moved}
    users = [n for n in order if n.rule is not None and n.rule.user]
    checks: list[_Check] = []
    for node, want, e in zip(nodes, expected.values(), engine, strict=True):
        name = naming.name(node) if id(node) in inside else node.label or "the node"
        user, error = _user_value(want, values, labels, unlabelled)
        typed = _typed_number(want) if as_typed else None
        check = _Check(node, want, name, e, user, error, _agreement(typed, atol_, rtol_), typed)
        if user is not None:
            check.ok_here = check.agree(user, e)
            if id(node) in inside and not users:
                check.kink = _kink(output, node, order, check, naming, table)
                if check.kink is not None and check.kink.matches:
                    check.ok_here = True
        checks.append(check)
    # The other points one at a time: the memory a check needs does not grow with them.
    moving = [c for c in checks if c.user is not None and _moves(c.want)]
    compared = 0
    if moving and not users and points:
        replay = _Replay(order)
        places = {k: replay.index[id(v)] for k, v in unique.items()}
        for point, data, adjoint in _nearby_points(replay, moved, points, seed):
            compared += 1
            at_values = {k: data[j] for k, j in places.items()}
            for c in moving:
                place = replay.index.get(id(c.node))  # a node outside the graph: 0
                c.compare(point, at_values, 0.0 if place is None else adjoint[place], labels,
                          unlabelled)
    rows = [_row(c, output, order, naming, given, compared if c in moving else 0, table)
            for c in checks]
    notes = tuple(unlabelled_note(naming.name(n), n.data, "label it", lang) for n in nodes
                  if not n.label and id(n) in inside)
    notes += tuple(c.kink.note for c in checks if c.kink is not None)
    if users and points and any(_moves(want) for want in expected.values()):
        ops = ", ".join(sorted({user_call_name(n) for n in users}))
        notes += (f"formulas were compared at the given point only: the graph has a "
                  f"user-defined operation ({ops}) whose value kuibu cannot recompute at other "
                  "points",)
    return PartialsReport(naming.name(output), rows, atol_, rtol_, notes)


def _tolerance(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
            math.isfinite(value) and value >= 0):
        raise ValueError(f"check_partials: {name} must be a finite number >= 0, not {value!r}")
    return float(value)


class _LazyNaming:
    """The graph's `Naming`, made on first use: it writes every node's formula (linear in the
    graph, but not free), and a check that agrees needs only labels."""

    def __init__(self, order: list[Value]) -> None:
        self.order = order
        self.naming: Naming | None = None

    def __call__(self) -> Naming:
        if self.naming is None:
            self.naming = Naming(self.order)
        return self.naming

    def name(self, n: Value) -> str:
        return n.label or self().name(n)


def _typed_number(want: Any) -> Decimal | None:
    """The number a str (or Formula) holds when it is one decimal literal, as typed: '0.0834616',
    '−2.5e−3'. None for a whole number (exact as it stands), a zero, a constant or a formula."""
    if isinstance(want, str):
        try:
            f = parse(want)
        except FormulaError:
            return None
    elif isinstance(want, Formula):
        f = want
    else:
        return None
    node, negative = f.tree, False
    if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
        negative = isinstance(node.op, ast.USub)
        node = node.operand
    if not isinstance(node, ast.Constant) or node.end_col_offset is None:
        return None
    literal = f.text[node.col_offset:node.end_col_offset].replace("−", "-")
    if not any(c in literal for c in ".eE"):
        return None
    try:
        number = Decimal(literal)
    except InvalidOperation:  # a constant's name, like e
        return None
    if not number.is_finite() or number.is_zero():
        return None
    return -number if negative else number


def _rounds_to(engine: float, typed: Decimal) -> bool:
    """Whether `engine` rounded to the digits of `typed` is `typed` (half a unit of its last
    digit either way; a tie counts, as either rounding is fair)."""
    if not math.isfinite(engine):
        return False
    exponent = typed.as_tuple().exponent
    assert isinstance(exponent, int)
    return abs(Decimal(engine) - typed) <= Decimal(5).scaleb(exponent - 1)


def _agreement(typed: Decimal | None, atol: float, rtol: float) -> Callable[[float, float], bool]:
    """How yours and a reference value agree: within the tolerances; for a number typed with
    its digits, when the reference rounds to it (or, typed with more digits than a float
    holds, when the two floats differ by rounding alone)."""
    if typed is None:
        return lambda yours, ref: close(yours, ref, atol, rtol)
    return lambda yours, ref: _rounds_to(ref, typed) or close(yours, ref, 0.0, 1e-13)


@dataclass(eq=False)
class _Check:
    """One hand-derived partial while it is being compared."""

    node: Value
    want: Any
    name: str
    engine: float
    user: float | None
    error: str | None
    agree: Callable[[float, float], bool]
    typed: Decimal | None
    ok_here: bool = False
    kink: Kink | None = None
    failed: int = 0  #: at how many of the other points it disagrees
    worst: tuple[float, dict[str, float], float, float] | None = None  #: size, point, yours, ...

    def compare(self, point: dict[str, float], at_values: dict[str, float], mine: float,
                labels: list[str], unlabelled: int) -> None:
        """Yours against the engine's `mine` at another point."""
        theirs, _ = _user_value(self.want, at_values, labels, unlabelled)
        theirs = math.nan if theirs is None else theirs
        if self.agree(theirs, mine):
            return
        self.failed += 1
        size = _error(theirs, mine) / (ATOL + RTOL * abs(mine)) if math.isfinite(mine) \
            else math.inf
        if self.worst is None or size > self.worst[0]:
            self.worst = (size, point, theirs, mine)


def _row(c: _Check, output: Value, order: list[Value], naming: _LazyNaming,
         given: dict[str, float], compared: int, table: Mapping[str, str]) -> PartialRow:
    """The verdict on one partial: at the given point first, then the worst other point."""
    e = c.engine
    digits = len(c.typed.as_tuple().digits) if c.typed is not None else None
    rounded = _rounded(e, c.typed)
    if c.user is None:
        return PartialRow(c.name, None, e, math.inf, False, c.error, at=given, engine_here=e)
    user = c.user
    count = 1 + compared
    if not c.ok_here:  # wrong at the user's own point: the numbers and the diagnosis there
        unexplained = False
        if all(n is not c.node for n in order):
            hints = [table["not_computed"].format(output=naming.name(output), name=c.name)]
        else:
            hints, unexplained = diagnose(
                output, c.node, user, e, order, naming, lambda v: c.agree(user, v),
                lambda v: close(v, e, ATOL, RTOL), lang=_lang_of(table))
        return PartialRow(c.name, user, e, _error(user, e), False, None, tuple(hints), given,
                          count, 1 + c.failed, user, e, False, digits, c.kink, unexplained,
                          rounded)
    if c.worst is not None:
        _, point, theirs, mine = c.worst
        return PartialRow(c.name, theirs, mine, _error(theirs, mine), False, None, (), point,
                          count, c.failed, user, e, True, digits, c.kink, False, rounded)
    return PartialRow(c.name, user, e, _error(user, e), True, None, (), given, count, 0, user,
                      e, True, digits, c.kink, False, rounded)


def _rounded(engine: float, typed: Decimal | None) -> str:
    """The engine's value written to the digits of the number typed: 0.0835 for 0.0834."""
    if typed is None or not math.isfinite(engine):
        return ""
    exponent = typed.as_tuple().exponent
    assert isinstance(exponent, int)
    if engine != 0.0 and typed != 0:
        # As many significant digits as were typed (the message says "the k digits you gave"),
        # also when the engine's value is of another size than the typed one.
        digits = len(typed.as_tuple().digits)
        exponent = Decimal(engine).adjusted() - digits + 1
    rounded = Decimal(engine).quantize(Decimal(1).scaleb(exponent))
    return f"{rounded:f}" if -12 < exponent <= 0 else str(rounded)


def _lang_of(table: Mapping[str, str]) -> str:
    return next(code for code, words_ in WORDS.items() if words_ is table)


def _kink(output: Value, node: Value, order: list[Value], check: _Check,
          naming: _LazyNaming, table: Mapping[str, str]) -> Kink | None:
    """Both one-sided derivatives where an operation computed from `node` sits on its kink;
    None when none does, or when both sides and the engine agree (no kink in the output)."""
    at_kinks = {id(n) for n in order
                if n.rule is not None and n.rule.kink is not None and n.rule.kink(*_inputs(n))}
    if not at_kinks:  # most graphs: no need to find what is computed from the node
        return None
    below = {id(node)}
    kinked: list[Value] = []
    for n in order:
        if any(id(p) in below for p in n.parents):
            below.add(id(n))
            if id(n) in at_kinks:
                kinked.append(n)
    if not kinked:
        return None
    left, right = _one_sided(order, node, -1.0), _one_sided(order, node, 1.0)
    e, user = check.engine, check.user
    assert user is not None

    def near(a: float, b: float) -> bool:
        return close(a, b, 1e-10, 1e-7)

    if near(left, right) and near(e, left):
        return None
    on_left = check.agree(user, left) or near(user, left)
    on_right = check.agree(user, right) or near(user, right)
    matches = ("both" if on_left and on_right else "left" if on_left else
               "right" if on_right else "")
    names = naming()
    texts = names.texts("unicode")
    ops = tuple(dict.fromkeys(
        rule_text(n, [texts[id(x)][0] if isinstance(x, Value) else number_text(x)
                      for x in n.inputs]) for n in kinked))
    note = table["kink"].format(ops=", ".join(ops), output=names.name(output), name=check.name,
                                left=_number(left), right=_number(right), engine=_number(e))
    return Kink(ops, left, right, e, matches, note)


def _inputs(n: Value) -> list[float]:
    return [x.data if isinstance(x, Value) else float(x) for x in n.inputs]


def _one_sided(order: list[Value], node: Value, side: float) -> float:
    """∂root/∂node from one side of the node's value: the engine's chain rule just beside it,
    at h and 2h, extrapolated to 0 (2·d(h) − d(2h)), which is exact for piecewise-linear
    graphs and off by O(h²) elsewhere."""
    x = node.data
    h = side * 2.0 ** -20 * max(1.0, abs(x))
    replay = _Replay(order)
    place = replay.index[id(node)]
    near = [replay.run({id(node): x + k * h})[1][place] for k in (1.0, 2.0)]
    return 2.0 * near[0] - near[1]


def _moves(want: Any) -> bool:
    """Whether a user's value can be recomputed at another point: a formula that names values."""
    if isinstance(want, Formula):
        return bool(want.names)
    if isinstance(want, str):
        try:
            return bool(parse(want).names)
        except FormulaError:
            return False
    if isinstance(want, Value) or not callable(want):
        return False
    try:
        parameters = inspect.signature(want).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.kind is not p.VAR_POSITIONAL for p in parameters)


def _nearby_points(
    replay: _Replay, moved: list[Value], count: int, seed: int
) -> Iterator[tuple[dict[str, float], list[float], list[float]]]:
    """Up to `count` points near the graph's own, one at a time, each as (the moved leaves'
    values by label, every node's value and ∂root/∂node, by the node's place in the order),
    computed by replaying the recorded graph with the rule table's forward functions and
    partials; points with a non-finite number are skipped."""
    rng = random.Random(seed)
    for _ in range(count):
        start = {id(n): n.data + rng.uniform(-0.5, 0.5) * max(1.0, abs(n.data)) for n in moved}
        data, adjoint = replay.run(start)
        if all(map(math.isfinite, data)) and all(map(math.isfinite, adjoint)):
            yield {n.label: start[id(n)] for n in moved}, data, adjoint


class _Replay:
    """The recorded graph computed again with some nodes set to other values (the graph
    itself is left as it is): every node's value and ∂root/∂node, by place in `order`.

    The plan (each node's rule and where its inputs are) is read once, so each replay is a
    pass over two lists of floats, a few microseconds a node."""

    def __init__(self, order: list[Value]) -> None:
        self.order = order
        self.index = {id(n): k for k, n in enumerate(order)}
        index = self.index
        #: per node: its rule (None for a leaf), its inputs (a place, or -1 and a constant)
        self.plan: list[tuple[Rule | None, list[tuple[int, float]]]] = [
            (n.rule, [(index[id(x)], 0.0) if isinstance(x, Value) else (-1, float(x))
                      for x in n.inputs] if n.rule is not None else [])
            for n in order
        ]
        self.leaf_data = [n.data for n in order]
        #: the places in the order the engine's backward sweep takes the nodes (root first), so
        #: every gradient is summed in the engine's order, to the last bit
        self.sweep = [index[id(n)] for n in sweep_order(order[-1])]

    def run(self, given: Mapping[int, float]) -> tuple[list[float], list[float]]:
        """Values and ∂root/∂node with the nodes in `given` (by id) set to its values; a node
        given a value is computed from nothing, so the sweep stops there."""
        size = len(self.order)
        data = list(self.leaf_data)
        cut = [False] * size
        for node_id, value in given.items():
            k = self.index[node_id]
            data[k] = value
            cut[k] = True
        numbers: list[list[float] | None] = [None] * size
        for k, (rule, inputs) in enumerate(self.plan):
            if rule is None or cut[k]:
                continue
            args = [data[j] if j >= 0 else c for j, c in inputs]
            numbers[k] = args
            data[k] = float(rule.forward(*args))
        adjoint = [0.0] * size
        adjoint[size - 1] = 1.0
        for k in self.sweep:
            recorded = numbers[k]
            if recorded is None:
                continue
            rule, inputs = self.plan[k]
            assert rule is not None
            g = adjoint[k]
            out = data[k]
            for i, (j, _) in enumerate(inputs):
                if j >= 0:
                    d = rule.partial(i, floats, *recorded, out)
                    adjoint[j] += g * (d if isinstance(d, float) else float(d))
        return data, adjoint
