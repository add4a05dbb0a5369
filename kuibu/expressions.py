"""The user's expression on the command line: read safely, bound to numbers, turned into Values.

Reading goes through `autograd.formula`, the one language kuibu reads and writes (never eval),
with the library's own bounds on length and nesting: everything kuibu prints reads back here,
the functions of the rule table (registered rules included), ``step``, ``sign`` and conditionals
such as ``1 if x > 0 else 0.01``. The constants ``pi``, ``e``, ``inf`` and ``nan`` are numbers,
not variables: ``--at e=2`` is refused with a message naming the constant.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from autograd import Value
from autograd.formula import (
    CONSTANTS,
    VALUE_ALGEBRA,
    Formula,
    FormulaError,
    evaluate,
    parse,
)


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
    """The user's expression, checked; an InputError on one line otherwise.

    The formula language with the library's defaults: what explanations print (step, sign,
    ``a if x > 0 else b``, σ, ·, superscripts) reads back, and the rule table is read as it is
    now, so a rule added with `autograd.register` in the same process may be called.
    """
    try:
        return parse(text)
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
        if name in CONSTANTS:
            raise InputError(
                f"{what} {name}: {name} is the constant {CONSTANTS[name]!r} in formulas, not a "
                f"variable; name your variable differently (like {name}1 or {name}_)")
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
    result = evaluate_formula(formula, leaves, VALUE_ALGEBRA)
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
