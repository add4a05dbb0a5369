"""Formulas: one small language, read and written alike.

The rule table writes its values and partials in it ("x * y", "1 - out ** 2"), explanations and
exports render those texts in the user's own names, and the command line reads the user's
expressions with it. Whatever kuibu prints as a formula reads back to the same value:

- numbers (``0.5``, ``1e-3``, ``1e−3``, ``½``), names (``w``, ``out_h1``,
  ``layer0.neuron1.w0``), and the constants ``pi`` (or ``π``), ``e``, ``inf`` (or ``∞``) and
  ``nan`` (or ``NaN``);
- ``+``, ``-`` or ``−`` (U+2212), ``*`` or ``·`` or ``×``, ``/`` or ``÷``, powers as ``**``,
  ``^`` or superscripts (``x²``, ``x⁻¹``), and ``√x``;
- calls of the rule table's functions (``σ(x)`` is ``sigmoid(x)``, ``ln`` is ``log``, ``ReLU``
  is ``relu``, and so are ``max(0, x)`` and ``max(x, 0)``; ``|x|`` is ``abs(x)``;
  ``leaky_relu(x)`` takes the library's slope 0.01), and, for partials with a kink,
  ``a if x > 0 else b``.

A derivation is a sequence of named steps, ``net = w·x + b; out = σ(net)``, separated by ``;`` or
new lines, with ``#`` comments (`parse_steps`); evaluated with Values (`evaluate_steps`), each
step's node carries the step's name, so every view of the graph uses it.

Text is read by a small tokenizer and a precedence parser written for this language (nothing is
ever passed to `eval`); it builds an `ast` tree whose positions are columns of the text as typed.
Work is bounded by the text's length, the number of nodes and the depth of nesting (parentheses,
calls, signs, powers), never by the length of a flat sum. Evaluation is generic and iterative: an
*algebra* maps each operation name to a function, so the same formula gives a float, a `Value`,
a pretty text, LaTeX, or (in `autograd.export`) a sympy expression.

>>> f = parse("sigmoid(w * x + b)")
>>> sorted(f.names)
['b', 'w', 'x']
>>> round(evaluate(f, {"w": 0.5, "x": 1.5, "b": -0.2}, FLOAT_ALGEBRA), 6)
0.634136
>>> render("1 - out ** 2", "unicode", {"out": "out_h1"})
'1 − out_h1²'
>>> render("σ(w·x)² − x⁻¹", "python")
'sigmoid(w * x) ** 2 - x ** (-1)'
>>> render("x / y", "latex")
'\\\\frac{x}{y}'
"""

from __future__ import annotations

import ast
import functools
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from autograd import floats
from autograd.ops import RULES
from autograd.value import VALUE_MATH, Value, apply

__all__ = [
    "CONSTANTS",
    "FLOAT_ALGEBRA",
    "FUNCTIONS",
    "VALUE_ALGEBRA",
    "Formula",
    "FormulaError",
    "RuleAlgebra",
    "Step",
    "Steps",
    "evaluate",
    "evaluate_steps",
    "functions",
    "number_text",
    "parse",
    "parse_steps",
    "render",
    "text_algebra",
]

_OPERATORS_OF_TABLE = ("add", "sub", "mul", "div", "pow", "neg")
_HELPERS = frozenset({"step", "sign"})
_ARITY_EXTRA: dict[str, tuple[int, int]] = {"leaky_relu": (1, 2), "step": (1, 1), "sign": (1, 1)}


class _Table:
    """What formulas may call, read from `autograd.RULES` when the table changes.

    `autograd.register` adds rules after this module is imported, so the function names and
    their arities are recomputed whenever the table's size or its last entry differ from the
    ones they were computed for (a check of a few pointers per call).
    """

    def __init__(self) -> None:
        self.key: tuple[Any, ...] = ()
        self.functions: frozenset[str] = frozenset()
        self.arity: dict[str, tuple[int, int]] = {}

    def current(self) -> _Table:
        last = next(reversed(RULES), "")
        key = (len(RULES), last, RULES.get(last))
        if key != self.key:
            self.functions = frozenset(
                {name for name in RULES if name not in _OPERATORS_OF_TABLE} | _HELPERS)
            self.arity = {
                **{name: (rule.arity, rule.arity) for name, rule in RULES.items() if rule.arity},
                **_ARITY_EXTRA,
            }
            self.key = key
        return self


_TABLE = _Table()


def functions() -> frozenset[str]:
    """Functions a formula may call now: every one-input and two-input rule of `RULES` that has
    a name of its own (rules added by `autograd.register` included), plus step(x) (1 if x > 0
    else 0) and sign(x), which partials of kinks use."""
    return _TABLE.current().functions


#: The functions of the table's own rules (see `functions()` for the current ones).
FUNCTIONS: frozenset[str] = functions()

#: Names that stand for numbers (a graph whose labels use one of them should rename it).
CONSTANTS: dict[str, float] = {
    "pi": math.pi, "π": math.pi, "e": math.e,
    "inf": math.inf, "∞": math.inf, "nan": math.nan, "NaN": math.nan,
}

#: The library's slope of leaky_relu when a formula gives none (Value.leaky_relu's default).
LEAKY_SLOPE = 0.01

_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
_COMPARE = {ast.Gt: "gt", ast.Lt: "lt", ast.GtE: "ge", ast.LtE: "le"}


class FormulaError(ValueError):
    """A formula that cannot be read or evaluated; says what and where (0-based `offset`)."""

    def __init__(self, message: str, text: str = "", offset: int | None = None) -> None:
        self.message = message
        self.text = text
        self.offset = offset
        super().__init__(self._format())

    def _format(self) -> str:
        if self.offset is None or not self.text or "\n" in self.text:
            return self.message
        at = min(max(self.offset, 0), len(self.text))
        start = max(0, at - 40)  # a window around the place, for long formulas
        shown = self.text[start:start + 80]
        lead = "..." if start else ""
        caret = " " * (len(lead) + at - start) + "^"
        return f"{self.message} (at position {at + 1})\n  {lead}{shown}\n  {caret}"


@dataclass(frozen=True)
class Formula:
    """A parsed and checked formula; the tree's col_offsets are columns of `text`."""

    text: str
    tree: ast.expr
    names: frozenset[str]  #: the variables it uses
    calls: frozenset[str]  #: the functions it calls
    #: the variables in the order they first appear in the text
    order: tuple[str, ...] = field(default=(), compare=False)


# -- reading: characters to tokens ------------------------------------------------------------

_SUPERSCRIPTS = {"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6",
                 "⁷": "7", "⁸": "8", "⁹": "9", "⁻": "-", "⁺": "+"}
#: Spellings of the operators, each to its one meaning.
_SYMBOLS = {
    "**": "**", "^": "**", "+": "+", "-": "-", "−": "-", "*": "*", "·": "*", "⋅": "*",
    "×": "*", "/": "/", "÷": "/", "(": "(", ")": ")", ",": ",", "|": "|", "√": "√",
    ">=": ">=", "<=": "<=", "≥": ">=", "≤": "<=", ">": ">", "<": "<",
}
#: Other ways people write the table's functions, each read as the table's name.
_FUNCTION_SPELLINGS = {"σ": "sigmoid", "ln": "log", "ReLU": "relu"}
#: Vulgar fractions, read as the numbers they are (½·(t − out)²).
_FRACTIONS = {"½": 0.5, "⅓": 1 / 3, "⅔": 2 / 3, "¼": 0.25, "¾": 0.75, "⅕": 0.2, "⅖": 0.4,
              "⅗": 0.6, "⅘": 0.8, "⅙": 1 / 6, "⅚": 5 / 6, "⅛": 0.125, "⅜": 0.375, "⅝": 0.625,
              "⅞": 0.875}


@dataclass
class _Token:
    kind: str  # "num", "name", "sup", "op", "end"
    text: str  # the token as typed
    at: int  # its column
    value: Any = None  # num: the float; sup: the int; op: the operator's meaning; name: the id


def _is_name_start(ch: str) -> bool:
    return (ch.isalpha() or ch == "_") and ch not in _SUPERSCRIPTS


def _is_name_part(ch: str) -> bool:
    return (ch.isalnum() or ch == "_") and ch not in _SUPERSCRIPTS and ch not in _FRACTIONS


def _number_end(text: str, i: int) -> int:
    """Where the number starting at i ends: digits, one point, an exponent (e−3 too)."""
    n = len(text)
    j = i
    while j < n and text[j].isdigit() and text[j].isascii():
        j += 1
    if j < n and text[j] == ".":
        j += 1
        while j < n and text[j].isdigit() and text[j].isascii():
            j += 1
    if j < n and text[j] in "eE":
        k = j + 1
        if k < n and text[k] in "+-−":
            k += 1
        if k < n and text[k].isdigit() and text[k].isascii():
            while k < n and text[k].isdigit() and text[k].isascii():
                k += 1
            j = k
    return j


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif (ch.isdigit() and ch.isascii()) or (ch == "." and i + 1 < n and text[i + 1].isdigit()):
            j = _number_end(text, i)
            literal = text[i:j]
            if literal == ".":
                raise FormulaError("a lone '.' is not a number", text, i)
            if len(literal.replace(".", "").split("e")[0].split("E")[0]) > 400:
                raise FormulaError("the number has too many digits", text, i)
            tokens.append(_Token("num", literal, i, float(literal.replace("−", "-"))))
            i = j
        elif _is_name_start(ch):
            j = i + 1
            while j < n and (_is_name_part(text[j]) or (
                    text[j] == "." and j + 1 < n and _is_name_start(text[j + 1]))):
                j += 1
            tokens.append(_Token("name", text[i:j], i, text[i:j]))
            i = j
        elif ch in _SUPERSCRIPTS:
            j = i
            while j < n and text[j] in _SUPERSCRIPTS:
                j += 1
            digits = "".join(_SUPERSCRIPTS[c] for c in text[i:j])
            body = digits.lstrip("+-")
            if not body.isdigit() or len(digits) - len(body) > 1:
                raise FormulaError(f"{text[i:j]!r} is not a whole-number power, like ² or ⁻¹",
                                   text, i)
            if len(body.lstrip("0")) > 308:  # beyond a float, whose largest is about 1.8e308
                raise FormulaError(f"the power has {len(body):,} digits; a power written in "
                                   "superscripts has at most 308", text, i)
            power = int(body.lstrip("0") or "0")  # no int() of thousands of zeros
            tokens.append(_Token("sup", text[i:j], i, -power if digits[0] == "-" else power))
            i = j
        elif ch == "∞":
            tokens.append(_Token("name", ch, i, ch))
            i += 1
        elif ch in _FRACTIONS:
            tokens.append(_Token("num", ch, i, _FRACTIONS[ch]))
            i += 1
        else:
            two = text[i:i + 2]
            sym = two if two in _SYMBOLS else ch
            if sym not in _SYMBOLS:
                raise FormulaError(_unknown_character(text, i), text, i)
            tokens.append(_Token("op", sym, i, _SYMBOLS[sym]))
            i += len(sym)
    tokens.append(_Token("end", "", n))
    return tokens


def _unknown_character(text: str, i: int) -> str:
    ch = text[i]
    meaning = {
        "=": "'=' is not part of a formula (write only the expression)",
        "%": "'%' (remainder) is not an operation of formulas",
        "[": "indexing and lists are not part of formulas",
        "]": "indexing and lists are not part of formulas",
        "'": "text in quotes is not part of formulas",
        '"': "text in quotes is not part of formulas",
        ".": "'.' here is not part of a number or a name",
    }
    if ch in meaning:
        return meaning[ch]
    if text[i:i + 2] == "//":
        return "'//' (floor division) is not an operation of formulas"
    shown = repr(ch) if ch.isprintable() else f"the character U+{ord(ch):04X}"
    return f"{shown} is not part of the formula language"


# -- reading: tokens to a tree ----------------------------------------------------------------

_OPERATORS = {"+": (1, ast.Add), "-": (1, ast.Sub), "*": (2, ast.Mult), "/": (2, ast.Div)}
_COMPARISON_OPS = {">": ast.Gt, "<": ast.Lt, ">=": ast.GtE, "<=": ast.LtE}


def _place(node: ast.expr, at: int, end: int) -> ast.expr:
    node.lineno = node.end_lineno = 1
    node.col_offset, node.end_col_offset = at, end
    return node


def _describe(t: _Token) -> str:
    if t.kind == "end":
        return "the end"
    return repr(t.text)


class _Parser:
    """Precedence climbing over the tokens; recursion only where the text nests."""

    def __init__(self, text: str, functions: frozenset[str], max_depth: int, max_nodes: int,
                 conditionals: bool, constants: Mapping[str, float]) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.pos = 0
        self.functions = functions
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self.conditionals = conditionals
        self.constants = constants
        self.depth = 0
        self.nodes = 0
        self.names: dict[str, None] = {}  # in the order of first use
        self.calls: set[str] = set()

    def fail(self, message: str, at: int) -> FormulaError:
        return FormulaError(message, self.text, at)

    @property
    def tok(self) -> _Token:
        return self.tokens[self.pos]

    def is_op(self, *ops: str) -> bool:
        t = self.tok
        return t.kind == "op" and t.value in ops

    def count(self, node: ast.expr) -> ast.expr:
        self.nodes += 1
        if self.nodes > self.max_nodes:
            raise self.fail(f"the formula has more than {self.max_nodes} parts", node.col_offset)
        return node

    def enter(self, at: int) -> None:
        self.depth += 1
        if self.depth > self.max_depth:
            raise self.fail(
                f"the formula is nested too deeply (more than {self.max_depth} levels of "
                "parentheses, calls, signs or powers)", at)

    def allowed(self, function: str, t: _Token) -> None:
        """A notation that stands for a function (|x|, √x) is allowed where the function is."""
        if function not in self.functions:
            raise self.fail(f"{t.text} stands for {function}(), which is not allowed here", t.at)

    def formula(self) -> ast.expr:
        tree = self.conditional()
        t = self.tok
        if t.kind != "end":
            raise self.fail(self.unexpected(t), t.at)
        return tree

    def unexpected(self, t: _Token) -> str:
        before = self.tokens[self.pos - 1] if self.pos else None
        if t.kind == "op" and t.value == ")":
            return "')' has no matching '('"
        if t.kind == "op" and t.value == ",":
            return "a ',' outside the arguments of a function call"
        if t.kind == "op" and t.value == "|":
            return "'|' has no matching '|' (write |x| for abs(x))"
        if t.kind == "name" and t.value in ("if", "else"):
            return f"{t.text!r} here: a conditional is written 'a if x > 0 else b'"
        if t.kind == "op" and t.value in _COMPARISON_OPS:
            return (f"a comparison ({t.text}) is allowed only as the condition of "
                    "'a if x > 0 else b'")
        if before is not None and before.kind == "num" and t.kind in ("name", "op"):
            return (f"a number followed by {_describe(t)}: write a product with * or ·, like "
                    f"{before.text}*{t.text}")
        if before is not None:
            return f"an operator is missing between {_describe(before)} and {_describe(t)}"
        return f"{_describe(t)} cannot start a formula"

    def conditional(self) -> ast.expr:
        body = self.binary(1)
        if not (self.tok.kind == "name" and self.tok.value == "if"):
            return body
        t = self.tok
        if not self.conditionals:
            raise self.fail("a conditional (a if c else b) is not allowed here", t.at)
        self.pos += 1
        self.enter(t.at)
        left = self.binary(1)
        c = self.tok
        if not (c.kind == "op" and c.value in _COMPARISON_OPS):
            raise self.fail("the condition of 'a if ... else b' must be a comparison, like x > 0",
                            c.at)
        self.pos += 1
        right = self.binary(1)
        test = self.count(_place(ast.Compare(left, [_COMPARISON_OPS[c.value]()], [right]),
                                 left.col_offset, right.end_col_offset or c.at))
        e = self.tok
        if not (e.kind == "name" and e.value == "else"):
            raise self.fail(f"'a if {c.text} ...' needs 'else' and a value, found "
                            f"{_describe(e)}", e.at)
        self.pos += 1
        orelse = self.conditional()
        self.depth -= 1
        return self.count(_place(ast.IfExp(test, body, orelse), body.col_offset,
                                 orelse.end_col_offset or e.at))

    def binary(self, level: int) -> ast.expr:
        """Left-associative + − (level 1) and * / (level 2), in a loop: flat sums never recurse
        more than the number of levels."""
        left = self.unary() if level == 2 else self.binary(2)
        while self.tok.kind == "op" and self.tok.value in _OPERATORS:
            prec, op = _OPERATORS[self.tok.value]
            if prec != level:
                break
            t = self.tok
            self.pos += 1
            self.operand_expected(t)
            right = self.unary() if level == 2 else self.binary(2)
            node = ast.BinOp(left, op(), right)
            left = self.count(_place(node, left.col_offset, right.end_col_offset or t.at))
        return left

    def operand_expected(self, after: _Token) -> None:
        t = self.tok
        if t.kind == "end":
            raise self.fail(f"the formula ends after {after.text!r}: a term is missing", t.at)
        if (t.kind == "op" and t.value in (")", ",", "*", "/", "**")) or t.kind == "sup":
            raise self.fail(f"{_describe(t)} cannot follow {after.text!r}: a term is missing",
                            t.at)

    def unary(self) -> ast.expr:
        t = self.tok
        if t.kind == "op" and t.value in ("-", "+", "√"):
            self.pos += 1
            self.operand_expected(t)
            self.enter(t.at)
            operand = self.unary()
            self.depth -= 1
            end = operand.end_col_offset or t.at
            if t.value == "√":
                self.allowed("sqrt", t)
                self.calls.add("sqrt")
                call = ast.Call(_place(ast.Name("sqrt", ast.Load()), t.at, t.at + 1), [operand],
                                [])
                return self.count(_place(call, t.at, end))
            op = ast.USub() if t.value == "-" else ast.UAdd()
            return self.count(_place(ast.UnaryOp(op, operand), t.at, end))
        return self.power()

    def power(self) -> ast.expr:
        base = self.atom()
        if self.tok.kind == "sup":
            s = self.tok
            self.pos += 1
            exponent = _place(ast.Constant(s.value), s.at, s.at + len(s.text))
            base = self.count(_place(ast.BinOp(base, ast.Pow(), self.count(exponent)),
                                     base.col_offset, s.at + len(s.text)))
        if self.is_op("**"):
            t = self.tok
            self.pos += 1
            self.operand_expected(t)
            self.enter(t.at)
            exponent = self.unary()  # right-associative, and 2**-1 is allowed, as in Python
            self.depth -= 1
            base = self.count(_place(ast.BinOp(base, ast.Pow(), exponent), base.col_offset,
                                     exponent.end_col_offset or t.at))
        return base

    def atom(self) -> ast.expr:
        t = self.tok
        if t.kind == "num":
            self.pos += 1
            return self.count(_place(ast.Constant(t.value), t.at, t.at + len(t.text)))
        if t.kind == "name":
            return self.name()
        if t.kind == "op" and t.value in ("(", "|"):
            close = ")" if t.value == "(" else "|"
            self.pos += 1
            self.enter(t.at)
            if self.is_op(close) and close == ")":
                raise self.fail("empty parentheses: a value is missing inside", self.tok.at)
            self.operand_expected(t)
            inner = self.conditional()
            self.depth -= 1
            if not self.is_op(close):
                if self.tok.kind == "end":
                    what = "'(' is never closed" if close == ")" else "'|' is never closed"
                    raise self.fail(what, t.at)
                raise self.fail(self.unexpected(self.tok), self.tok.at)
            end = self.tok.at + 1
            self.pos += 1
            if close == "|":
                self.allowed("abs", t)
                self.calls.add("abs")
                call = ast.Call(_place(ast.Name("abs", ast.Load()), t.at, t.at + 1), [inner], [])
                return self.count(_place(call, t.at, end))
            return _place(inner, inner.col_offset, inner.end_col_offset or end)
        if t.kind == "end":
            raise self.fail("the formula ends where a value is expected", t.at)
        if t.kind == "sup":
            raise self.fail(f"the power {t.text} needs something before it, like x{t.text}", t.at)
        raise self.fail(f"{_describe(t)} cannot start a term: a value is missing before it", t.at)

    def name(self) -> ast.expr:
        t = self.tok
        self.pos += 1
        name = _FUNCTION_SPELLINGS.get(t.value, t.value)
        is_call = self.is_op("(")
        if name in ("if", "else"):
            raise self.fail(f"{t.text!r} here: a conditional is written 'a if x > 0 else b'",
                            t.at)
        if not is_call:
            if name in self.functions or t.value in _FUNCTION_SPELLINGS:
                raise self.fail(f"{t.text} is a function: call it, {t.text}(...)", t.at)
            if name in self.constants:
                return self.count(_place(ast.Constant(self.constants[name]), t.at,
                                         t.at + len(t.text)))
            self.names.setdefault(name)
            return self.count(_place(ast.Name(name, ast.Load()), t.at, t.at + len(t.text)))
        if name not in self.functions:
            known = ", ".join(sorted(self.functions))
            if name in self.constants or (t.kind == "name" and not name.isidentifier()):
                raise self.fail(f"{t.text} is not a function (known: {known})", t.at)
            raise self.fail(f"unknown function {t.text!r}; known: {known}", t.at)
        open_ = self.tok
        self.pos += 1
        self.enter(open_.at)
        args: list[ast.expr] = []
        if not self.is_op(")"):
            while True:
                if self.tok.kind == "end":
                    raise self.fail(f"'(' of {t.text}( is never closed", open_.at)
                self.operand_expected(open_ if not args else self.tokens[self.pos - 1])
                args.append(self.conditional())
                if self.is_op(","):
                    self.pos += 1
                    continue
                break
        if not self.is_op(")"):
            if self.tok.kind == "end":
                raise self.fail(f"'(' of {t.text}( is never closed", open_.at)
            raise self.fail(self.unexpected(self.tok), self.tok.at)
        close = self.tok
        self.pos += 1
        self.depth -= 1
        self.check_arity(t, name, args, close.at)
        if name == "max" and "relu" in self.functions:
            name, args = _relu_spelling(args)
        self.calls.add(name)
        func = _place(ast.Name(name, ast.Load()), t.at, t.at + len(t.text))
        return self.count(_place(ast.Call(func, args, []), t.at, close.at + 1))

    def check_arity(self, t: _Token, name: str, args: list[ast.expr], close: int) -> None:
        n = len(args)
        if name == "linear":
            if n % 2 == 0:
                raise self.fail(f"linear takes pairs w, x and a bias b (an odd number of "
                                f"arguments), not {n}", t.at)
            return
        low, high = _TABLE.current().arity.get(name, (1, 1))
        if name == "leaky_relu" and n == 1:
            args.append(_place(ast.Constant(LEAKY_SLOPE), close, close))  # the library default
            return
        if not low <= n <= high:
            want = f"{low} argument" + ("s" if low != 1 else "")
            if name == "leaky_relu":
                want = "1 or 2 arguments (x, and the slope, 0.01 when left out)"
            raise self.fail(f"{t.text}() takes {want}, not {n}", t.at)


def _is_zero(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value == 0.0


def _relu_spelling(args: list[ast.expr]) -> tuple[str, list[ast.expr]]:
    """max(0, x) and max(x, 0) are relu(x), with relu's convention relu'(0) = 0 (not the tie's
    ½ of max); any other max stays max."""
    if len(args) == 2 and _is_zero(args[0]) != _is_zero(args[1]):
        return "relu", [args[1] if _is_zero(args[0]) else args[0]]
    return "max", args


def parse(
    text: str,
    functions: frozenset[str] | set[str] | None = None,
    max_length: int = 50_000,
    max_depth: int = 100,
    conditionals: bool = True,
    max_nodes: int = 50_000,
    constants: Mapping[str, float] | None = None,
) -> Formula:
    """Read `text` as a formula; a FormulaError says what is not allowed and where.

    `conditionals` allows ``a if x > 0 else b`` (partials of kinks need it; user input need not).
    `max_depth` bounds nesting (parentheses, calls, signs, powers), not the terms of a sum.
    `constants` are the names read as numbers (default `CONSTANTS`). `functions` are the names
    it may call (default: `functions()`, the rule table as it is now).

    >>> sorted(parse("x0*w0 + " * 499 + "b").names)[:3]
    ['b', 'w0', 'x0']
    >>> parse("w*x+")
    Traceback (most recent call last):
      ...
    autograd.formula.FormulaError: the formula ends after '+': a term is missing (at position 5)
      w*x+
          ^
    """
    if not isinstance(text, str):
        raise FormulaError(f"a formula must be a str, not {type(text).__name__}")
    table = _TABLE.current()
    functions = table.functions if functions is None else frozenset(functions)
    if constants is None and len(text) <= 200:
        return _parse_cached(text, functions, max_length, max_depth, conditionals,
                             max_nodes, table.key)
    return _parse(text, functions, max_length, max_depth, conditionals, max_nodes,
                  CONSTANTS if constants is None else constants)


@functools.lru_cache(maxsize=1024)
def _parse_cached(text: str, functions: frozenset[str], max_length: int, max_depth: int,
                  conditionals: bool, max_nodes: int, table: tuple[Any, ...]) -> Formula:
    # The rule table's few texts are read once per node of every explanation; cache them (short
    # texts only, so the cache's memory stays small). `table` keys the cache on the rule table's
    # state, since arities come from it.
    return _parse(text, functions, max_length, max_depth, conditionals, max_nodes, CONSTANTS)


def _parse(text: str, functions: frozenset[str], max_length: int, max_depth: int,
           conditionals: bool, max_nodes: int, constants: Mapping[str, float]) -> Formula:
    if len(text) > max_length:
        raise FormulaError(f"the formula is {len(text)} characters long; at most {max_length}")
    if not text.strip():
        raise FormulaError("the formula is empty", text, 0)
    parser = _Parser(text, functions, max_depth, max_nodes, conditionals, constants)
    try:
        tree = parser.formula()
    except RecursionError:  # only when called already deep in the stack
        raise FormulaError("the formula is nested too deeply for the interpreter") from None
    return Formula(text, tree, frozenset(parser.names), frozenset(parser.calls),
                   tuple(parser.names))

# -- derivations: a sequence of named steps ---------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of a derivation, ``name = formula``; `name` is None for a last step written as a
    bare formula. `at` is the column of the step's first character in the derivation's text
    and `formula_at` that of its formula (the formula's own columns count from there)."""

    name: str | None
    formula: Formula
    at: int
    formula_at: int


@dataclass(frozen=True)
class Steps:
    """A derivation read by `parse_steps`: its steps in order, the last one the output."""

    text: str
    steps: tuple[Step, ...]
    names: frozenset[str]  #: the inputs: names the steps use that no step defines
    calls: frozenset[str]  #: the functions the steps call

    @property
    def output(self) -> str | None:
        """The last step's name; None when it is a bare formula."""
        return self.steps[-1].name

    @property
    def defined(self) -> dict[str, Step]:
        """The named steps, by name."""
        return {s.name: s for s in self.steps if s.name is not None}

    def where(self, step: Step) -> str:
        """How a message names a step: "line 3" in a text of several lines, else "step 2"."""
        if "\n" in self.text.strip():
            return f"line {self.text.count(chr(10), 0, step.at) + 1}"
        return f"step {self.steps.index(step) + 1}"

    def unused(self) -> list[Step]:
        """Named steps before the last that no later step uses: the output is not computed
        from them."""
        used: set[str] = set()
        for s in self.steps:
            used |= s.formula.names
        return [s for s in self.steps[:-1] if s.name not in used]

    def inputs(self) -> list[str]:
        """The inputs in the order they are first used in the text."""
        found: dict[str, None] = {}
        for s in self.steps:
            for name in s.formula.order:
                if name in self.names:
                    found.setdefault(name)
        return list(found)


def _statements(text: str) -> list[tuple[int, str]]:
    """Each statement with its column: split at ';' and at new lines outside parentheses (so a
    long formula may go on over lines inside them); '#' comments are blanked out in place."""
    chars = list(text)
    found: list[tuple[int, str]] = []
    start = depth = 0
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "#":
            end = text.find("\n", i)
            end = n if end < 0 else end
            chars[i:end] = " " * (end - i)
            i = end
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch == ";" or (ch == "\n" and depth == 0):
            found.append((start, "".join(chars[start:i])))
            start = i + 1
        i += 1
    found.append((start, "".join(chars[start:])))
    return [(at, t) for at, t in found if t.strip()]


def _head(statement: str) -> tuple[str, int] | None:
    """The name of a ``name = formula`` statement and the column after its '=', or None."""
    i, n = 0, len(statement)
    while i < n and statement[i].isspace():
        i += 1
    if i >= n or not _is_name_start(statement[i]):
        return None
    j = i + 1
    while j < n and (_is_name_part(statement[j]) or (
            statement[j] == "." and j + 1 < n and _is_name_start(statement[j + 1]))):
        j += 1
    k = j
    while k < n and statement[k].isspace() and statement[k] != "\n":
        k += 1
    if k < n and statement[k] == "=" and statement[k + 1:k + 2] != "=":
        return statement[i:j], k + 1
    return None


def parse_steps(
    text: str,
    functions: frozenset[str] | set[str] | None = None,
    max_length: int = 50_000,
    max_depth: int = 100,
    conditionals: bool = True,
    constants: Mapping[str, float] | None = None,
) -> Steps:
    """Read a derivation: steps ``name = formula`` separated by ';' or new lines (a new line
    inside parentheses goes on with the formula), '#' starting a comment. A step may use the
    names of the steps before it; the last step is the output, and may be a bare formula. A
    single formula is a derivation of one unnamed step.

    A FormulaError says what is wrong and where: a name defined twice, used before its step, or
    taken by a constant or a function. Names no step defines are the inputs (`Steps.names`).

    >>> steps = parse_steps("net = w·x + b; out = σ(net)  # one neuron")
    >>> [s.name for s in steps.steps], sorted(steps.names), steps.output
    (['net', 'out'], ['b', 'w', 'x'], 'out')
    >>> parse_steps("out = σ(net); net = w·x")
    Traceback (most recent call last):
      ...
    autograd.formula.FormulaError: net is used in step 1 before step 2 defines it (at position 9)
      out = σ(net); net = w·x
              ^
    """
    if not isinstance(text, str):
        raise FormulaError(f"a derivation must be a str, not {type(text).__name__}")
    if len(text) > max_length:
        raise FormulaError(f"the text is {len(text)} characters long; at most {max_length}")
    statements = _statements(text)
    if not statements:
        raise FormulaError("the formula is empty", text, 0)
    table = constants if constants is not None else CONSTANTS
    callable_names = _TABLE.current().functions if functions is None else frozenset(functions)
    steps: list[Step] = []
    for k, (at, statement) in enumerate(statements):
        head = _head(statement)
        last = k == len(statements) - 1
        if head is None and not last:
            raise FormulaError("every step but the last needs a name: write name = formula",
                               text, at + len(statement) - len(statement.lstrip()))
        name, body_at = head if head is not None else (None, 0)
        if name is not None:
            _check_step_name(name, text, at + len(statement) - len(statement.lstrip()), table,
                             callable_names)
        body = statement[body_at:]
        try:
            formula = parse(body, functions, max_length, max_depth, conditionals,
                            constants=constants)
        except FormulaError as e:
            offset = None if e.offset is None else at + body_at + e.offset
            message = e.message if len(statements) == 1 else f"{name or 'the last step'}: " \
                f"{e.message}"
            raise FormulaError(message, text, offset) from None
        lead = len(statement) - len(statement.lstrip())
        steps.append(Step(name, formula, at + lead, at + body_at))
    result = Steps(text, tuple(steps), frozenset(), frozenset())
    defined: dict[str, Step] = {}
    for step in steps:
        if step.name is None:
            continue
        if step.name in defined:
            first = defined[step.name]
            raise FormulaError(f"{step.name} is defined twice, by {result.where(first)} and by "
                               f"{result.where(step)}; give the new value a name of its own",
                               text, step.at)
        defined[step.name] = step
    position = {id(step): k for k, step in enumerate(steps)}
    for k, step in enumerate(steps):
        early = [n for n in step.formula.order if n in defined and position[id(defined[n])] >= k]
        if early:  # the first such name, at its first place in the step
            name = early[0]
            later = defined[name]
            at = min(node.col_offset for node in ast.walk(step.formula.tree)
                     if isinstance(node, ast.Name) and node.id == name)
            what = ("in its own definition" if later is step else
                    f"in {result.where(step)} before {result.where(later)} defines it")
            raise FormulaError(f"{name} is used {what}", text, step.formula_at + at)
    used = frozenset().union(*(s.formula.names for s in steps))
    calls = frozenset().union(*(s.formula.calls for s in steps))
    return Steps(text, tuple(steps), frozenset(used - set(defined)), calls)


def _check_step_name(name: str, text: str, at: int, constants: Mapping[str, float],
                     callable_names: frozenset[str]) -> None:
    if name in constants:
        raise FormulaError(f"{name} is the constant {constants[name]!r} in formulas; name the "
                           f"step differently (like {name}1 or {name}_)", text, at)
    if name in callable_names or name in _FUNCTION_SPELLINGS or name in ("if", "else"):
        raise FormulaError(f"{name} is a function of formulas; name the step differently "
                           f"(like {name}1 or {name}_)", text, at)


def evaluate_steps(
    steps: Steps | str,
    variables: Mapping[str, Any],
    algebra: Mapping[str, Callable[..., Any]],
) -> list[Any]:
    """Each step's value in order (the last is the output), the inputs bound to `variables`.

    With `VALUE_ALGEBRA` the node a step makes is labelled with the step's name, so
    explanations, drawings and exports use the derivation's own names; a step that only
    repeats a name (``y = x``) makes no node, and the Values given are never relabelled. An
    input may not also be a step's name.

    >>> from autograd import Value
    >>> w, x = Value(0.5, label="w"), Value(2.0, label="x")
    >>> net, out = evaluate_steps("net = w·x; out = tanh(net)", {"w": w, "x": x}, VALUE_ALGEBRA)
    >>> out.label, out.parents[0].label, round(out.data, 6)
    ('out', 'net', 0.761594)
    """
    s = parse_steps(steps) if isinstance(steps, str) else steps
    defined = s.defined
    for name in variables:
        if name in defined:
            raise FormulaError(f"{name} is given a value and also defined by "
                               f"{s.where(defined[name])}; one name, one value", s.text,
                               defined[name].at)
    missing = sorted(s.names - set(variables))
    if missing:
        known = ", ".join(sorted(variables)) or "none"
        raise FormulaError(f"no value for {', '.join(missing)} (values given: {known})", s.text)
    known_values: dict[str, Any] = dict(variables)
    seen = {id(v) for v in variables.values() if isinstance(v, Value)}
    results: list[Any] = []
    for step in s.steps:
        try:
            result = evaluate(step.formula, known_values, algebra)
        except FormulaError as e:
            offset = None if e.offset is None else step.formula_at + e.offset
            raise FormulaError(e.message, s.text, offset) from None
        if isinstance(result, Value) and id(result) not in seen and step.name is not None:
            result.label = step.name
        if isinstance(result, Value):
            seen.add(id(result))
        if step.name is not None:
            known_values[step.name] = result
        results.append(result)
    return results


def _children(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return list(node.args)
    if isinstance(node, ast.Compare):
        return [node.left, node.comparators[0]]
    if isinstance(node, ast.IfExp):
        return [node.test, node.body, node.orelse]
    return []


def evaluate(
    formula: Formula | str,
    variables: Mapping[str, Any],
    algebra: Mapping[str, Callable[..., Any]],
) -> Any:
    """The formula's value with `variables` bound, computed with `algebra`'s operations.

    The algebra maps "const" (a float to a number), "add", "sub", "mul", "div", "pow", "neg",
    the functions called, and for conditionals "gt", "lt", "ge", "le" and "if" (cond, a, b).
    Evaluation walks the tree with a stack of its own, so a sum of any length is fine.
    """
    f = parse(formula) if isinstance(formula, str) else formula
    missing = sorted(f.names - set(variables))
    if missing:
        known = ", ".join(sorted(variables)) or "none"
        raise FormulaError(f"no value for {', '.join(missing)} (values given: {known})", f.text)
    const = algebra["const"]
    results: list[Any] = []
    stack: list[tuple[ast.expr, bool]] = [(f.tree, False)]
    while stack:
        node, ready = stack.pop()
        if isinstance(node, ast.Constant):
            results.append(const(float(node.value)))  # type: ignore[arg-type]
            continue
        if isinstance(node, ast.Name):
            results.append(variables[node.id])
            continue
        children = _children(node)
        if not ready:
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(children))
            continue
        k = len(children)
        args = results[len(results) - k:]
        del results[len(results) - k:]
        if isinstance(node, ast.BinOp):
            results.append(algebra[_BINARY[type(node.op)]](*args))
        elif isinstance(node, ast.UnaryOp):
            results.append(algebra["neg"](args[0]) if isinstance(node.op, ast.USub) else args[0])
        elif isinstance(node, ast.Call):
            name = node.func.id  # type: ignore[attr-defined]
            try:
                results.append(algebra[name](*args))
            except TypeError as e:
                raise FormulaError(f"{name}(): {e}", f.text, node.col_offset) from None
        elif isinstance(node, ast.Compare):
            results.append(algebra[_COMPARE[type(node.ops[0])]](*args))
        elif isinstance(node, ast.IfExp):
            results.append(algebra["if"](*args))
        else:  # parse() builds no other node
            raise FormulaError(f"cannot evaluate {type(node).__name__}", f.text)
    return results[0]


def _value_of(x: Any) -> float:
    return x.data if isinstance(x, Value) else float(x)


_COMPARISONS: dict[str, Callable[..., Any]] = {
    "gt": lambda a, b: _value_of(a) > _value_of(b),
    "lt": lambda a, b: _value_of(a) < _value_of(b),
    "ge": lambda a, b: _value_of(a) >= _value_of(b),
    "le": lambda a, b: _value_of(a) <= _value_of(b),
    "if": lambda cond, a, b: a if cond else b,
}

class RuleAlgebra(Mapping[str, Callable[..., Any]]):
    """An algebra whose functions are the rule table's, read from `RULES` at each lookup, so a
    rule added by `autograd.register` is there too; `fixed` holds the rest ("const", "step",
    the comparisons). `of_rule` makes a rule's function (memoized per rule object)."""

    def __init__(self, fixed: Mapping[str, Callable[..., Any]],
                 of_rule: Callable[[Any], Callable[..., Any]]) -> None:
        self.fixed = dict(fixed)
        self.of_rule = of_rule
        self._made: dict[str, tuple[Any, Callable[..., Any]]] = {}

    def __getitem__(self, name: str) -> Callable[..., Any]:
        fn = self.fixed.get(name)
        if fn is not None:
            return fn
        rule = RULES[name]  # a KeyError, as a dict's, for a name that is neither
        made = self._made.get(name)
        if made is None or made[0] is not rule:
            made = (rule, self.of_rule(rule))
            self._made[name] = made
        return made[1]

    def __iter__(self) -> Iterator[str]:
        return iter([*self.fixed, *(name for name in RULES if name not in self.fixed)])

    def __len__(self) -> int:
        return len(self.fixed) + sum(1 for name in RULES if name not in self.fixed)

    def __contains__(self, name: object) -> bool:
        return name in self.fixed or name in RULES


#: Formulas on floats, with the rule table's IEEE 754 forward functions.
FLOAT_ALGEBRA: Mapping[str, Callable[..., Any]] = RuleAlgebra(
    {"const": float, "step": floats.step, "sign": floats.sign, **_COMPARISONS},
    lambda rule: rule.forward,
)

#: Formulas on Values: the result is a node of a graph (plain numbers stay constants).
VALUE_ALGEBRA: Mapping[str, Callable[..., Any]] = RuleAlgebra(
    {"const": float, "step": VALUE_MATH.step, "sign": VALUE_MATH.sign, **_COMPARISONS},
    lambda rule: functools.partial(apply, rule),
)


# -- rendering: text is one more algebra, whose numbers are (text, precedence) pairs -----------

_ATOM, _POW, _UNARY, _MUL, _ADD, _CMP, _IF = 7, 6, 5, 4, 3, 2, 1
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_LATEX_FUNCTIONS = {
    "exp": r"\exp", "log": r"\log", "sin": r"\sin", "cos": r"\cos", "tanh": r"\tanh",
    "sigmoid": r"\sigma",
}
_UNICODE_FUNCTIONS = {"sigmoid": "σ"}
Text = tuple[str, int]


def number_text(v: float, style: str = "unicode", digits: int | None = None) -> str:
    r"""A number as kuibu writes it in `style`: "unicode" (−0.5, ∞, −∞, NaN), "python" or
    "plain" (-0.5, inf, -inf, nan: what `parse` reads back), or "latex" (-0.5, \infty).

    With `digits`, `digits` significant digits (for tables); without, the shortest text that
    reads back to exactly `v` (for formulas).

    >>> [number_text(v) for v in (2.0, -0.25, math.inf, -math.inf, math.nan)]
    ['2', '−0.25', '∞', '−∞', 'NaN']
    >>> [number_text(v, "python") for v in (1e20, -math.inf, math.nan)]
    ['1e+20', '-inf', 'nan']
    >>> number_text(-1 / 3, "latex", digits=6), number_text(-1e-7, digits=6)
    ('-0.333333', '−1e−07')
    """
    if math.isnan(v):
        text = {"unicode": "NaN", "latex": r"\mathrm{NaN}"}.get(style, "nan")
    elif math.isinf(v):
        text = {"unicode": "∞", "latex": r"\infty"}.get(style, "inf")
        text = "-" + text if v < 0 else text
    elif digits is not None:
        text = f"{v:.{digits}g}"
    elif v == int(v) and abs(v) < 1e15:
        text = str(int(v))
    else:
        text = repr(float(v))
    return text.replace("-", "−") if style == "unicode" else text


def _latex_name(name: str) -> str:
    """w5 -> w_{5}, out_h1 -> \\mathrm{out}_{h1}, layer0.neuron1.w0 -> \\mathtt{...}."""
    greek = {"alpha", "beta", "gamma", "delta", "epsilon", "eta", "theta", "lambda", "mu",
             "sigma", "tau", "phi", "omega"}
    if name in greek:
        return "\\" + name
    if "." in name or not name.replace("_", "").isalnum():
        return r"\mathtt{" + name.replace("_", r"\_") + "}"
    base, _, sub = name.partition("_")
    if not sub:
        head = base.rstrip("0123456789")
        base, sub = head, base[len(head):]
    base_tex = base if len(base) == 1 else r"\mathrm{" + base + "}"
    return base_tex + (f"_{{{sub}}}" if sub else "")


def text_algebra(style: str = "unicode") -> dict[str, Callable[..., Any]]:
    """An algebra that writes formulas: style "python", "unicode" (1 − out²) or "latex".

    Its numbers are (text, precedence) pairs; bind variables with `name_text`.
    """
    if style not in ("python", "unicode", "latex"):
        raise ValueError(f"style must be 'python', 'unicode' or 'latex', not {style!r}")
    latex = style == "latex"
    minus = "−" if style == "unicode" else "-"

    def wrap(t: Text, level: int) -> str:
        text, prec = t
        if prec >= level:
            return text
        return r"\left(" + text + r"\right)" if latex else "(" + text + ")"

    def negative_number(b: Text) -> str | None:
        # A negative number after + or − is written with the sign folded in for a reader
        # (x − 0.25, not x + −0.25; x + 0.25, not x − −0.25): IEEE gives a − (−c) = a + c
        # exactly. Python's text keeps the operation as recorded, for what reads it back.
        text = b[0]
        if style == "python" or not text.startswith(minus):
            return None
        rest = text[len(minus):]
        if not rest[:1].isdigit():
            return None
        try:
            float(rest.replace("−", "-"))
        except ValueError:
            return None  # a product or a call that starts with a minus, not one number
        return rest

    def signed(b: Text, level: int) -> str:
        # After + or −, a term that starts with its own minus goes in parentheses for a
        # reader: x − (−x·2), not x − −x·2.
        if style != "python" and b[0].startswith(minus):
            return wrap((b[0], min(b[1], level - 1)), level)
        return wrap(b, level)

    def add(a: Text, b: Text) -> Text:
        magnitude = negative_number(b)
        if magnitude is not None:
            return f"{wrap(a, _ADD)} {minus} {magnitude}", _ADD
        return f"{wrap(a, _ADD)} + {signed(b, _ADD)}", _ADD

    def sub(a: Text, b: Text) -> Text:
        magnitude = negative_number(b)
        if magnitude is not None:
            return f"{wrap(a, _ADD)} + {magnitude}", _ADD
        return f"{wrap(a, _ADD)} {minus} {signed(b, _MUL)}", _ADD

    def mul(a: Text, b: Text) -> Text:
        sign = {"python": " * ", "unicode": "·", "latex": r" \cdot "}[style]
        return f"{wrap(a, _MUL)}{sign}{signed(b, _UNARY)}", _MUL

    def div(a: Text, b: Text) -> Text:
        if latex:
            return rf"\frac{{{a[0]}}}{{{b[0]}}}", _ATOM
        return f"{wrap(a, _MUL)} / {signed(b, _UNARY)}", _MUL

    def pow_(a: Text, b: Text) -> Text:
        if latex:
            return f"{wrap(a, _ATOM)}^{{{b[0]}}}", _POW
        if style == "unicode" and b[0].lstrip("−").isdigit() and len(b[0]) < 6:
            return wrap(a, _ATOM) + b[0].replace("−", "-").translate(_SUPERSCRIPT), _POW
        op = " ** " if style == "python" else "^"
        return f"{wrap(a, _ATOM)}{op}{wrap(b, _POW if style == 'python' else _ATOM)}", _POW

    def neg(a: Text) -> Text:
        return f"{minus}{wrap(a, _UNARY)}", _UNARY

    def call(name: str) -> Callable[..., Text]:
        def fn(*args: Text) -> Text:
            inner = ", ".join(a[0] for a in args)
            if latex:
                if name == "abs":
                    return r"\left|" + inner + r"\right|", _ATOM
                if name == "sqrt":
                    return r"\sqrt{" + inner + "}", _ATOM
                default = r"\operatorname{" + name.replace("_", r"\_") + "}"
                head = _LATEX_FUNCTIONS.get(name, default)
                return head + r"\left(" + inner + r"\right)", _ATOM
            if style == "unicode" and name == "abs":
                return "|" + inner + "|", _ATOM
            shown = _UNICODE_FUNCTIONS.get(name, name) if style == "unicode" else name
            return shown + "(" + inner + ")", _ATOM
        return fn

    def compare(op: str) -> Callable[[Text, Text], Text]:
        sym = {"gt": ">", "lt": "<", "ge": ">=", "le": "<="}[op]
        if style != "python":
            sym = {">=": "≥", "<=": "≤"}.get(sym, sym) if not latex else {
                ">=": r"\geq", "<=": r"\leq"}.get(sym, sym)
        return lambda a, b: (f"{wrap(a, _ADD)} {sym} {wrap(b, _ADD)}", _CMP)

    def if_(cond: Text, a: Text, b: Text) -> Text:
        if latex:
            return (r"\begin{cases} " + a[0] + r" & " + cond[0] + r" \\ " + b[0]
                    + r" & \text{otherwise} \end{cases}", _ATOM)
        return f"{wrap(a, _CMP)} if {cond[0]} else {wrap(b, _IF)}", _IF

    def const(v: float) -> Text:
        return number_text(v, style), _UNARY if v < 0 else _ATOM

    algebra: dict[str, Callable[..., Any]] = {
        "const": const, "add": add, "sub": sub, "mul": mul, "div": div, "pow": pow_, "neg": neg,
        "if": if_, **{op: compare(op) for op in ("gt", "lt", "ge", "le")},
    }
    for name in functions():
        algebra[name] = call(name)
    return algebra


def opaque_call(name: str, style: str = "unicode") -> Callable[..., Text]:
    """A call written as it is named, in any style (no σ for "sigmoid"), for operations whose
    value kuibu cannot compute from its inputs (a user's micrograd-style operation)."""
    if style not in ("python", "unicode", "latex"):
        raise ValueError(f"style must be 'python', 'unicode' or 'latex', not {style!r}")

    def fn(*args: Text) -> Text:
        inner = ", ".join(a[0] for a in args)
        if style == "latex":
            head = r"\operatorname{" + name.replace("_", r"\_") + "}"
            return head + r"\left(" + inner + r"\right)", _ATOM
        return name + "(" + inner + ")", _ATOM

    return fn


def name_text(name: str, style: str = "unicode") -> Text:
    """A variable's name as an atom of `text_algebra(style)`."""
    return (_latex_name(name) if style == "latex" else name), _ATOM


def render(
    formula: Formula | str, style: str = "unicode", names: Mapping[str, str] | None = None
) -> str:
    """The formula written in `style`, each variable replaced by its entry in `names`, if any."""
    f = parse(formula) if isinstance(formula, str) else formula
    names = names or {}
    variables = {n: name_text(names.get(n, n), style) for n in f.names}
    text, _ = evaluate(f, variables, text_algebra(style))
    return str(text)
