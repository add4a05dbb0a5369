"""The user's expression on the command line: read safely, bound to numbers, turned into Values.

Reading goes through `autograd.formula` (Python's `ast` against a whitelist: numbers, names,
``+ - * / **`` and the functions of the rule table; never eval), with tighter bounds on size and
nesting than the library's own.
"""

from __future__ import annotations

import ast
import inspect
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from autograd import Value
from autograd.formula import FLOAT_ALGEBRA, VALUE_ALGEBRA, Formula, FormulaError, evaluate, parse

#: What a command-line expression may call: the rule table's functions, not step/sign helpers.
CALLABLE = frozenset({"exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "softplus", "relu",
                      "leaky_relu", "abs"})
MAX_LENGTH = 20_000  # characters: room for long flat sums; MAX_DEPTH bounds the nesting
MAX_DEPTH = 50

#: The library's slope for ``leaky_relu(x)`` (``Value.leaky_relu``'s default), so a typed
#: ``leaky_relu(x)`` means what ``x.leaky_relu()`` means.
LEAKY_SLOPE: float = inspect.signature(Value.leaky_relu).parameters["slope"].default


def _with_default_slope(algebra: Mapping[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """`algebra` whose leaky_relu takes its slope as an optional second argument."""
    two = algebra["leaky_relu"]

    def leaky_relu(x: Any, slope: Any = LEAKY_SLOPE) -> Any:
        return two(x, slope)

    return {**algebra, "leaky_relu": leaky_relu}


VALUES = _with_default_slope(VALUE_ALGEBRA)
FLOATS = _with_default_slope(FLOAT_ALGEBRA)


class InputError(ValueError):
    """A mistake in what the user typed: one line, saying what and where."""


def one_line(error: FormulaError) -> str:
    """A FormulaError on a single line, with a marker at the place."""
    if error.offset is None or not error.text:
        return error.message
    at = max(0, min(error.offset, len(error.text)))
    start = max(0, at - 30)
    end = min(len(error.text), at + 30)
    shown = error.text[start:at] + "▶" + error.text[at:end]
    lead = "..." if start else ""
    tail = "..." if end < len(error.text) else ""
    return f"{error.message} at position {at + 1}: {lead}{shown}{tail}"


def read_expression(text: str) -> Formula:
    """The user's expression, checked; an InputError on one line otherwise."""
    try:
        with warnings.catch_warnings():  # Python's "invalid decimal literal" on "1if": the
            warnings.simplefilter("ignore", SyntaxWarning)  # error below says it in one line
            return parse(text, functions=CALLABLE, max_length=MAX_LENGTH, max_depth=MAX_DEPTH,
                         conditionals=False)
    except FormulaError as e:
        raise InputError(one_line(e)) from None


def read_assignments(items: Sequence[str], what: str = "--at") -> dict[str, float]:
    """``["w=0.5", "x=1.5,b=2"]`` as a dict of floats; an InputError names the bad item.

    An item may hold several assignments separated by commas.
    """
    values: dict[str, float] = {}
    for item in (part for group in items for part in group.split(",") if part.strip()):
        name, sep, number = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise InputError(f"{what} takes name=number, like w=0.5; got {item!r}")
        try:
            value = float(number)
        except ValueError:
            raise InputError(f"{what} {name}: {number.strip()!r} is not a number") from None
        if not math.isfinite(value):
            raise InputError(f"{what} {name}: {number.strip()!r} is not a finite number")
        if name in values:
            raise InputError(f"{what}: {name} is given twice")
        values[name] = value
    return values


@dataclass
class Evaluated:
    """An expression computed at a point: its output, the leaves by name, in order of use."""

    formula: Formula
    output: Value
    leaves: dict[str, Value]


def evaluate_at(formula: Formula, at: dict[str, float]) -> Evaluated:
    """Build the graph of `formula` with a labelled leaf per variable; backward is the caller's."""
    missing = sorted(formula.names - set(at))
    if missing:
        hint = " ".join(f"{name}=..." for name in missing)
        raise InputError(f"no value for {', '.join(missing)}: add --at {hint}")
    unused = sorted(set(at) - formula.names)
    if unused:
        raise InputError(f"{', '.join(unused)} not in the expression {formula.text!r}")
    first_use: dict[str, int] = {}
    for node in ast.walk(formula.tree):
        if isinstance(node, ast.Name):
            first_use[node.id] = min(first_use.get(node.id, node.col_offset), node.col_offset)
    order = sorted(formula.names, key=lambda n: (first_use[n], n))
    leaves = {name: Value(at[name], label=name) for name in order}
    result = evaluate_formula(formula, leaves, VALUES)
    if not isinstance(result, Value):  # an expression with no variables at all
        result = Value(float(result))
    if not any(result is leaf for leaf in leaves.values()):  # "x" alone keeps its own name
        result.label = "f"
    return Evaluated(formula, result, leaves)


def evaluate_formula(
    formula: Formula, variables: Mapping[str, Any], algebra: Mapping[str, Callable[..., Any]]
) -> Any:
    """`autograd.formula.evaluate` with a mistake (a wrong number of arguments) as an InputError."""
    try:
        return evaluate(formula, variables, algebra)
    except FormulaError as e:
        raise InputError(one_line(e)) from None


def evaluate_floats(formula: Formula, at: Mapping[str, float]) -> float:
    """The formula's number at the point `at` (IEEE 754: inf and nan rather than errors)."""
    return float(evaluate_formula(formula, at, FLOATS))
