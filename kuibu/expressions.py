"""The user's expression on the command line: read safely, bound to numbers, turned into Values.

Reading goes through `autograd.formula`, the one language kuibu reads and writes (never eval),
with the library's own bounds on length and nesting: everything kuibu prints reads back here,
the functions of the rule table (registered rules included), ``step``, ``sign`` and conditionals
such as ``1 if x > 0 else 0.01``. An expression may be a derivation of named steps,
``net = w*x + b; out = sigmoid(net)`` (';' or new lines between them, '#' comments), typed or
read from a file: each step's node carries its name, the last step is the output and is called
by its own name (an unnamed expression's output is f, or g when a variable is called f). The
constants ``pi``, ``e``, ``inf`` and ``nan`` are numbers, not variables: ``--at e=2`` is refused
with a message naming the constant. A value in ``--at`` may be any formula without names
(``1/2``, ``−1``, ``pi/4``).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograd import Value
from autograd.formula import (
    CONSTANTS,
    FLOAT_ALGEBRA,
    VALUE_ALGEBRA,
    Formula,
    FormulaError,
    Steps,
    evaluate,
    evaluate_steps,
    parse,
    parse_steps,
)

#: Names an unnamed expression's output may take, the first one no variable or step has.
OUTPUT_NAMES = ("f", "g", "h", "F", "out", "result")
#: The longest derivation file read (in bytes; the formula language takes 50,000 characters).
MAX_FILE_BYTES = 200_000
#: How much of a long expression an error message repeats.
SHOWN = 60


class InputError(ValueError):
    """A mistake in what the user typed: one line, saying what and where."""


def one_line(error: FormulaError) -> str:
    """A FormulaError on a single line, with a marker at the place (and its line and column
    in a text of several lines)."""
    if error.offset is None or not error.text:
        return error.message
    text = error.text
    at = max(0, min(error.offset, len(text)))
    where = f"position {at + 1}"
    if "\n" in text.strip():
        line_start = text.rfind("\n", 0, at) + 1
        line_end = text.find("\n", at)
        line_end = len(text) if line_end < 0 else line_end
        where = f"line {text.count(chr(10), 0, at) + 1}, column {at - line_start + 1}"
        text, at = text[line_start:line_end], at - line_start
    start = max(0, at - 30)
    end = min(len(text), at + 30)
    shown = text[start:at] + "▶" + text[at:end]
    lead = "..." if start else ""
    tail = "..." if end < len(text) else ""
    return f"{error.message} at {where}: {lead}{shown}{tail}"


def shorten(text: str, limit: int = SHOWN) -> str:
    """A text on one line, cut to `limit` characters for a message."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def read_expression(text: str) -> Steps:
    """The user's expression, checked: a derivation of one or more steps (a single formula is
    one unnamed step); an InputError on one line otherwise.

    The formula language with the library's defaults: what explanations print (step, sign,
    ``a if x > 0 else b``, σ, ·, superscripts) reads back, and the rule table is read as it is
    now, so a rule added with `autograd.register` in the same process may be called.
    """
    try:
        return parse_steps(text)
    except FormulaError as e:
        raise InputError(one_line(e)) from None


def read_formula(text: str, what: str) -> Formula:
    """One formula (a hand-derived partial): no steps, no '='."""
    try:
        return parse(text)
    except FormulaError as e:
        raise InputError(f"{what}: {one_line(e)}") from None


def read_file(path: str) -> str:
    """The text of a derivation file ('-' is standard input), or an InputError saying why not."""
    what = f"-f {path}"
    try:
        if path == "-":
            data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        else:
            with open(Path(path), "rb") as f:
                data = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"{what}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{what}: is a folder, not a file") from None
    except OSError as e:
        raise InputError(f"{what}: cannot read it ({e.strerror or type(e).__name__})") from None
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"{what}: the file is longer than {MAX_FILE_BYTES:,} bytes; a "
                         "derivation may have at most 50,000 characters")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{what}: not UTF-8 text (byte {e.start + 1})") from None
    if not text.strip() or not any(line.split("#")[0].strip() for line in text.splitlines()):
        raise InputError(f"{what}: the file holds no expression")
    return text


def _split(group: str) -> list[str]:
    """A group of assignments split at the commas outside parentheses (max(1, 2) keeps its)."""
    parts: list[str] = []
    depth = start = 0
    for i, ch in enumerate(group):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0:
            parts.append(group[start:i])
            start = i + 1
    parts.append(group[start:])
    return parts


def read_assignments(items: Sequence[str], what: str = "--at") -> dict[str, float]:
    """``["w=0.5", "x=1.5,b=−1/2"]`` as a dict of floats; an InputError names the bad item.

    An item may hold several assignments separated by commas; a value may be any formula
    without names: ``−1``, ``1/2``, ``pi/4``, ``exp(-1)``.
    """
    values: dict[str, float] = {}
    for item in (part for group in items for part in _split(group) if part.strip()):
        name, sep, number = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise InputError(f"{what} takes name=number, like w=0.5; got {item!r}")
        if name in CONSTANTS:
            raise InputError(
                f"{what} {name}: {name} is the constant {CONSTANTS[name]!r} in formulas, not a "
                f"variable; name your variable differently (like {name}1 or {name}_)")
        value = _number(number, f"{what} {name}")
        if name in values:
            raise InputError(f"{what}: {name} is given twice")
        values[name] = value
    return values


def _number(text: str, what: str) -> float:
    """A value typed in --at: a number or a formula of numbers alone, finite."""
    shown = text.strip()
    try:
        value = float(shown)
    except ValueError:
        value = _constant_formula(shown, what)
    if not math.isfinite(value):
        raise InputError(f"{what}: {shown!r} is not a finite number")
    return value


def _constant_formula(text: str, what: str) -> float:
    try:
        formula = parse(text, conditionals=False, max_length=200)
    except FormulaError:
        raise InputError(f"{what}: {text!r} is not a number") from None
    if formula.names:
        raise InputError(f"{what}: {text!r} is not a number (a value may be a formula of "
                         f"numbers, like 1/2, but {', '.join(sorted(formula.names))} has no "
                         "value there)")
    return float(evaluate(formula, {}, FLOAT_ALGEBRA))


@dataclass
class Evaluated:
    """An expression computed at a point: its output, the leaves by name in order of use, and
    every named step's value (a Value, or a number for a step of numbers alone)."""

    formula: Steps
    output: Value
    leaves: dict[str, Value]
    steps: dict[str, Value | float]

    def node(self, name: str) -> Value | None:
        """The Value called `name`: a leaf or a step's node (None for neither)."""
        found = self.leaves.get(name)
        if found is None:
            step = self.steps.get(name)
            found = step if isinstance(step, Value) else None
        return found


def evaluate_at(formula: Steps, at: dict[str, float]) -> Evaluated:
    """Build the graph of `formula` with a labelled leaf per variable; backward is the caller's.

    Every input needs a value and every value an input; a name is either a step or a value in
    --at, never both; every step feeds the output.
    """
    defined = formula.defined
    for name in at:
        if name in defined:
            step = defined[name]
            raise InputError(
                f"{name} is defined by {formula.where(step)} ({name} = "
                f"{shorten(step.formula.text, 30)}) and given in --at {name}="
                f"{at[name]:.12g}; one name, one value: leave one of them out")
    missing = sorted(formula.names - set(at))
    if missing:
        hint = " ".join(f"{name}=..." for name in missing)
        raise InputError(f"no value for {', '.join(missing)}: add --at {hint}")
    unused = sorted(set(at) - formula.names)
    if unused:
        raise InputError(f"{', '.join(unused)} not in the expression "
                         f"{shorten(formula.text)!r}")
    for step in formula.unused():
        out = formula.output or "the output"
        raise InputError(f"{step.name} ({formula.where(step)}) is never used: {out} is not "
                         f"computed from it; use it in a later step or leave it out")
    leaves = {name: Value(at[name], label=name) for name in formula.inputs()}
    results = evaluate_formula(formula, leaves, VALUE_ALGEBRA)
    steps = {step.name: value for step, value in zip(formula.steps, results, strict=True)
             if step.name is not None}
    result = results[-1]
    if not isinstance(result, Value):  # an expression with no variables at all
        result = Value(float(result), label=formula.output or "")
    if formula.output is not None and result.label != formula.output:
        raise InputError(f"{formula.output} ({formula.where(formula.steps[-1])}) only repeats "
                         f"{result.label}: let the last step compute something")
    if not result.label:
        taken = set(leaves) | set(defined)
        result.label = next((n for n in OUTPUT_NAMES if n not in taken), "f_")
    return Evaluated(formula, result, leaves, steps)


def evaluate_formula(
    formula: Steps, variables: Mapping[str, Any], algebra: Mapping[str, Callable[..., Any]]
) -> list[Any]:
    """`autograd.formula.evaluate_steps` with a mistake (a wrong number of arguments) as an
    InputError."""
    try:
        return evaluate_steps(formula, variables, algebra)
    except FormulaError as e:
        raise InputError(one_line(e)) from None
