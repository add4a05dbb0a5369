"""Checking derivatives: numerically (gradcheck) and against a person's own formulas.

`numerical_gradient`, `gradcheck` and `gradgradcheck` compare the engine with central finite
differences; `check_partials` compares hand-derived partials with the engine and, where one is
wrong, says which change to the engine's chain rule reproduces it (a factor left out or
evaluated at the wrong node, a dropped path, a factor of 2).
"""

from __future__ import annotations

import difflib
import inspect
import itertools
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from autograd import floats
from autograd.explain import (
    _aligned,
    _is_number,
    _number,
    edges,
    explain,
    fsum,
    resolve_node,
    unlabelled_note,
)
from autograd.export import Naming, input_names, partial_text, user_call_name
from autograd.formula import FLOAT_ALGEBRA, Formula, FormulaError, evaluate, parse, text_algebra
from autograd.functional import grad
from autograd.graph import chain_rule, topological_order
from autograd.modes import enable_grad, no_grad
from autograd.value import Value

__all__ = [
    "GradcheckError",
    "GradcheckReport",
    "GradcheckRow",
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

    def to_dict(self) -> dict[str, Any]:
        """The row's fields by name (floats may be inf or nan)."""
        return {"name": self.name, "expected": self.expected, "engine": self.engine,
                "abs_error": self.abs_error, "ok": self.ok, "error": self.error,
                "hints": list(self.hints), "at": dict(self.at), "points": self.points,
                "failed_points": self.failed_points, "expected_here": self.expected_here,
                "engine_here": self.engine_here, "ok_here": self.ok_here}


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
        head = (f"check_partials of {self.output}: {verdict} (ok when |yours − engine| <= "
                f"{self.atol:g} + {self.rtol:g}·|engine|)")
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


def check_partials(
    output: Value,
    expected: Mapping[Any, Any],
    atol: float = 1e-8,
    rtol: float = 1e-6,
    points: int = 5,
    seed: int = 0,
    allow_unused: bool = False,
) -> PartialsReport:
    """Compare hand-derived partials ∂output/∂node with the engine's, and say where one is wrong.

    `expected` maps nodes (Values, or their labels) to the user's values: a number; a formula
    as a str (or a parsed `autograd.formula.Formula`) over the graph's labels
    ("out_o1 * (1 - out_o1)"); or a callable, called with the current value of each labelled
    node it names as a keyword argument (``lambda out_o1, out_h1: ...``; a callable with no
    parameters is called with none, and ``**values`` receives every label). The report says
    which agree, by how much the others miss, and what a wrong value is consistent with: one
    local factor of the chain rule left out or evaluated at the wrong node (tanh′ at the
    pre-activation), a dropped path, a factor of 2 or a flipped sign. Values copied from paper
    with 4 digits need ``rtol=1e-4``.

    A formula that names values is also compared at `points` more points near the given one
    (each labelled leaf moved at random by up to half its size, at least ±0.5, drawn from
    ``random.Random(seed)``; points where the engine's numbers are not finite are skipped), so
    a formula that agrees at one point by coincidence is caught. The same non-finite number on
    both sides (both nan, or both inf) counts as agreement. A Value the output was not computed
    from is an error, unless `allow_unused` (as in `grad`): then its engine's partial is 0.

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
    order = topological_order(output)
    naming = Naming(order)
    by_label: dict[str, list[Value]] = {}
    for n in order:
        if n.label:
            by_label.setdefault(n.label, []).append(n)
    unique = {k: v[0] for k, v in by_label.items() if len(v) == 1}
    values = {k: v.data for k, v in unique.items()}
    labels = sorted(by_label)
    unlabelled = len(naming.unlabelled_leaves())
    inside = {id(n) for n in order}
    nodes = [key if allow_unused and isinstance(key, Value) and id(key) not in inside
             else resolve_node(output, key, order, "check_partials") for key in expected]
    engine = [float(g) for g in grad(output, nodes, allow_unused=True)]
    adjoint = _adjoints(order)
    moved = [n for n in order if n.is_leaf and n.label]
    given = {n.label: n.data for n in moved}
    users = [n for n in order if n.rule is not None and n.rule.user]
    # A micrograd-style operation's value cannot be recomputed elsewhere: the given point only.
    others = _nearby_points(order, moved, points, seed) if not users else []
    rows: list[PartialRow] = []
    for node, want, e in zip(nodes, expected.values(), engine, strict=True):
        user, error = _user_value(want, values, labels, unlabelled)
        if user is None:
            rows.append(PartialRow(naming.name(node) if id(node) in inside else
                                   node.label or "the node", None, e, math.inf, False, error,
                                   at=given, engine_here=e))
            continue
        ok = close(user, e, atol, rtol)
        extra = others if _moves(want) else []
        worst: tuple[float, dict[str, float], float, float] | None = None
        failed = 0 if ok else 1
        for point, data, adj in extra:
            at_values = {k: data[id(v)] for k, v in unique.items()}
            theirs, _ = _user_value(want, at_values, labels, unlabelled)
            theirs = math.nan if theirs is None else theirs
            mine = adj.get(id(node), 0.0)
            if close(theirs, mine, atol, rtol):
                continue
            failed += 1
            size = _error(theirs, mine) / (atol + rtol * abs(mine)) if math.isfinite(mine) \
                else math.inf
            if worst is None or size > worst[0]:
                worst = (size, point, theirs, mine)
        count = 1 + len(extra)
        name = naming.name(node) if id(node) in inside else node.label or "the node"
        if not ok:  # wrong at the user's own point: the numbers and the diagnosis there
            hints = (f"differs from 0: {naming.name(output)} was not computed from {name} at "
                     "this point, so its derivative is 0",) if id(node) not in inside else \
                tuple(_diagnose(output, node, user, e, order, naming, adjoint, atol, rtol))
            rows.append(PartialRow(name, user, e, _error(user, e), False, None, hints, given,
                                   count, failed, user, e, ok))
        elif worst is not None:
            _, point, theirs, mine = worst
            rows.append(PartialRow(name, theirs, mine, _error(theirs, mine), False, None, (),
                                   point, count, failed, user, e, ok))
        else:
            rows.append(PartialRow(name, user, e, _error(user, e), True, None, (), given,
                                   count, 0, user, e, ok))
    notes = tuple(unlabelled_note(naming.name(n), n.data, "label it") for n in nodes
                  if not n.label and id(n) in inside)
    if users and points and any(_moves(want) for want in expected.values()):
        ops = ", ".join(sorted({user_call_name(n) for n in users}))
        notes += (f"formulas were compared at the given point only: the graph has a "
                  f"user-defined operation ({ops}) whose value kuibu cannot recompute at other "
                  "points",)
    return PartialsReport(naming.name(output), rows, atol, rtol, notes)


def _moves(want: Any) -> bool:
    """Whether a user's value can be recomputed at another point: a formula that names values."""
    if isinstance(want, (str, Formula)):
        return True
    if isinstance(want, Value) or not callable(want):
        return False
    try:
        parameters = inspect.signature(want).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.kind is not p.VAR_POSITIONAL for p in parameters)


def _nearby_points(
    order: list[Value], moved: list[Value], count: int, seed: int
) -> list[tuple[dict[str, float], dict[int, float], dict[int, float]]]:
    """`count` points near the graph's own, each as (the moved leaves' values by label, every
    node's value by id, ∂root/∂node by id), computed by replaying the recorded graph with the
    rule table's forward functions and partials; points with a non-finite number are skipped."""
    rng = random.Random(seed)
    found: list[tuple[dict[str, float], dict[int, float], dict[int, float]]] = []
    for _ in range(count):
        start = {id(n): n.data + rng.uniform(-0.5, 0.5) * max(1.0, abs(n.data)) for n in moved}
        data, adjoint = _replay(order, start)
        if all(math.isfinite(v) for v in (*data.values(), *adjoint.values())):
            found.append(({n.label: start[id(n)] for n in moved}, data, adjoint))
    return found


def _replay(
    order: list[Value], leaves: Mapping[int, float]
) -> tuple[dict[int, float], dict[int, float]]:
    """Every node's value and ∂root/∂node with some leaves set to other values (the graph itself
    is left as it is)."""
    data: dict[int, float] = {}
    inputs: dict[int, list[float]] = {}
    for n in order:
        rule = n.rule
        if rule is None:
            data[id(n)] = leaves.get(id(n), n.data)
            continue
        numbers = [data[id(x)] if isinstance(x, Value) else float(x) for x in n.inputs]
        inputs[id(n)] = numbers
        data[id(n)] = float(rule.forward(*numbers))

    def step(n: Value, i: int, recorded: float, g: float) -> float:
        rule = n.rule
        assert rule is not None
        d = rule.partial(i, floats, *inputs[id(n)], data[id(n)])
        return g * (d if isinstance(d, float) else float(d))  # a masked zero stays one

    return data, chain_rule(order[-1], 1.0, step=step).grads


def _adjoints(order: list[Value]) -> dict[int, float]:
    """∂root/∂n for every node n, root last in `order` (the engine's sweep, kept by id)."""
    return chain_rule(order[-1]).grads


def _tangents(order: list[Value], node: Value) -> dict[int, float]:
    """∂n/∂node for every node n computed from `node` (a forward sweep)."""
    tan: dict[int, float] = {id(node): 1.0}
    for n in order:
        t = fsum(d * tan[id(p)] for _, p, d in edges(n) if id(p) in tan)
        if id(n) not in tan and any(id(p) in tan for p in n.parents):
            tan[id(n)] = t
    return tan


def _ref(naming: Naming, n: Value) -> str:
    """A node as it reads inside ∂…/∂…: its label, or its formula in parentheses."""
    text = naming.text(n)
    return text if n.label or text == naming.name(n) else f"({text})"


def _diagnose(
    output: Value, node: Value, user: float, engine: float, order: list[Value], naming: Naming,
    adjoint: Mapping[int, float], atol: float, rtol: float,
) -> list[str]:
    """What a wrong value equals: the chain rule with one thing changed, when one change fits."""
    hints: list[str] = []
    if not math.isfinite(engine):
        return [f"differs from the engine's {_number(engine)}: the engine's chain rule meets an "
                "overflow, 0/0 or ∞ − ∞ at this point; compare at another point"]
    if not math.isfinite(user):
        return [f"is {_number(user)}: a division by zero or an overflow in the formula gives this"]

    def fits(candidate: float) -> bool:
        return close(user, candidate, atol, rtol) and not close(candidate, engine, atol, rtol)

    texts = naming.texts("unicode")
    algebra = text_algebra("unicode")
    tangent = _tangents(order, node)
    for n in order:
        rule = n.rule
        if rule is None:
            continue
        for i, p, d in edges(n):
            through = adjoint.get(id(n), 0.0) * tangent.get(id(p), 0.0)
            if through == 0.0 or not math.isfinite(through):
                continue
            # The gradient is linear in each edge's partial d: engine = rest + through·d.
            top, bottom = _ref(naming, n), _ref(naming, p)
            word = f"∂{top}/∂{bottom}"
            text_vars: dict[str, Any] = {"out": texts[id(n)]}
            num_vars: dict[str, Any] = {"out": n.data}
            names = input_names(n)
            partial = partial_text(n, i)
            for j, x in enumerate(n.inputs):
                v = names[j]
                text_vars[v] = texts[id(x)] if isinstance(x, Value) else algebra["const"](x)
                num_vars[v] = x.data if isinstance(x, Value) else x
            formula = evaluate(partial, text_vars, algebra)[0]
            shown = "" if _is_number(formula) else f" = {formula}"
            if d != 1.0 and fits(engine + through * (1.0 - d)):
                hints.append(f"equals the chain rule with the factor {word}{shown} = "
                             f"{_number(d)} left out")
            for swap, why in _swaps(rule.arity, partial, top, bottom, rule.name):
                alt_num = float(evaluate(partial,
                                         {k: num_vars[swap.get(k, k)] for k in num_vars},
                                         FLOAT_ALGEBRA))
                if alt_num != d and fits(engine + through * (alt_num - d)):
                    alt = evaluate(partial,
                                   {k: text_vars[swap.get(k, k)] for k in text_vars}, algebra)[0]
                    hints.append(f"equals the chain rule with {word} computed as {alt} = "
                                 f"{_number(alt_num)} instead of {formula} = {_number(d)}: {why}")
    hints += _dropped_paths(output, node, user, fits)
    if engine != 0.0 and math.isfinite(user):
        for ratio, why in ((2.0, "a squared error differentiated without its ½ gives this"),
                           (0.5, "a missing factor 2 (the power rule, d(u²)/du = 2u) or an "
                            "extra ½ gives this"),
                           (-1.0, "a dropped minus sign (d(t − o)/do = −1) gives this")):
            if fits(ratio * engine):
                hints.append(f"is {_number(ratio)} × the engine's value: {why}")
    if not hints:
        hints.append(f"no single wrong factor or dropped path explains it; compare your factors "
                     f"with explain({naming.name(output)}, {naming.name(node)})")
    return hints


def _swaps(
    arity: int, text: str, top: str, bottom: str, op: str
) -> list[tuple[dict[str, str], str]]:
    """Wrong arguments a person may put into a partial's formula, and what each means."""
    names = parse(text).names
    if arity == 1:
        result = []
        if "out" in names:
            result.append(({"out": "x"}, f"the derivative of {op} is written in terms of its "
                           f"output {top}, but its input {bottom} was put in"))
        if "x" in names:
            result.append(({"x": "out"}, f"the derivative of {op} is written in terms of its "
                           f"input {bottom}, but its output {top} was put in"))
        return result
    if names & {"x", "y"}:
        return [({"x": "y", "y": "x"}, f"the two inputs of {op} were exchanged")]
    return []


def _dropped_paths(
    output: Value, node: Value, user: float, fits: Callable[[float], bool], limit: int = 12
) -> list[str]:
    """A hint when the user's value is the sum over a proper subset of the paths."""
    e = explain(output, node, max_paths=limit)
    paths = e.paths
    if not e.listed or len(paths) < 2:
        return []
    for size in range(1, len(paths)):
        for subset in itertools.combinations(range(len(paths)), size):
            if fits(fsum(paths[k].product for k in subset)):
                missing = [" → ".join(paths[k].nodes) for k in range(len(paths))
                           if k not in subset]
                kept = ", ".join(str(k + 1) for k in subset)
                return [f"equals the sum over path(s) {kept} of the {len(paths)} paths from "
                        f"{e.output} to {e.leaf}; missing: " + "; ".join(missing)]
    return []
