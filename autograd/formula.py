"""Formulas: a safe reader and evaluator for arithmetic expressions.

One small language serves the whole project: the rule table writes its values and partials in it
("x * y", "1 - out ** 2"), explanations and exports render those texts in the user's own names,
and the command line reads the user's expressions with it. It is Python's expression syntax cut
down to numbers, names, ``+ - * / **``, calls of known functions, and (for partials with a kink)
``a if x > 0 else b``. Text is parsed with `ast` and checked against that whitelist; nothing is
ever passed to `eval`, and size and nesting are bounded.

Evaluation is generic: an *algebra* maps each operation name to a function, so the same formula
gives a float, a `Value`, a pretty text, LaTeX, or (in `autograd.export`) a sympy expression.

>>> f = parse("sigmoid(w * x + b)")
>>> sorted(f.names)
['b', 'w', 'x']
>>> round(evaluate(f, {"w": 0.5, "x": 1.5, "b": -0.2}, FLOAT_ALGEBRA), 6)
0.634136
>>> render("1 - out ** 2", "unicode", {"out": "out_h1"})
'1 − out_h1²'
>>> render("x / y", "latex")
'\\\\frac{x}{y}'
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from autograd import floats
from autograd.ops import RULES
from autograd.value import VALUE_MATH, Value, apply

__all__ = [
    "FLOAT_ALGEBRA",
    "FUNCTIONS",
    "VALUE_ALGEBRA",
    "Formula",
    "FormulaError",
    "evaluate",
    "parse",
    "render",
    "text_algebra",
]

#: Functions a formula may call: every one-input and two-input rule that has a name of its own,
#: plus step(x) (1 if x > 0 else 0) and sign(x), which partials of kinks use.
FUNCTIONS: frozenset[str] = frozenset(
    {name for name in RULES if name not in ("add", "sub", "mul", "div", "pow", "neg")}
    | {"step", "sign"}
)

_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
_COMPARE = {ast.Gt: "gt", ast.Lt: "lt", ast.GtE: "ge", ast.LtE: "le"}
_WHAT = {
    ast.Attribute: "attribute access", ast.Subscript: "indexing", ast.Lambda: "lambda",
    ast.JoinedStr: "an f-string",
    ast.List: "a list", ast.Tuple: "a tuple", ast.Dict: "a dict", ast.Set: "a set",
    ast.ListComp: "a comprehension", ast.GeneratorExp: "a generator", ast.BoolOp: "and/or",
    ast.NamedExpr: "an assignment", ast.Starred: "unpacking", ast.Await: "await",
    ast.Yield: "yield", ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@",
    ast.IfExp: "a conditional (a if c else b)", ast.Compare: "a comparison",
}


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
    """A parsed and checked formula."""

    text: str
    tree: ast.expr
    names: frozenset[str]  #: the variables it uses
    calls: frozenset[str]  #: the functions it calls


def parse(
    text: str,
    functions: frozenset[str] | set[str] = FUNCTIONS,
    max_length: int = 2000,
    max_depth: int = 60,
    conditionals: bool = True,
) -> Formula:
    """Read `text` as a formula; a FormulaError says what is not allowed and where.

    `conditionals` allows ``a if x > 0 else b`` (partials of kinks need it; user input need not).
    """
    if not isinstance(text, str):
        raise FormulaError(f"a formula must be a str, not {type(text).__name__}")
    if len(text) > max_length:
        raise FormulaError(f"the formula is {len(text)} characters long; at most {max_length}")
    if not text.strip():
        raise FormulaError("the formula is empty", text, 0)
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as e:
        offset = (e.offset or 1) - 1 + (len(text) - len(text.lstrip()))
        raise FormulaError(f"cannot read the formula: {e.msg}", text, offset) from None
    except (RecursionError, MemoryError, ValueError):
        raise FormulaError(f"the formula is nested too deeply (at most {max_depth})") from None
    shift = len(text) - len(text.lstrip())
    names: set[str] = set()
    calls: set[str] = set()
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    while stack:  # iterative, so no input can exhaust the interpreter's stack
        node, depth = stack.pop()
        where = getattr(node, "col_offset", 0) + shift
        if depth > max_depth:
            message = f"the formula is nested too deeply (at most {max_depth})"
            raise FormulaError(message, text, where)
        children: list[ast.AST] = []
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise FormulaError(f"{node.value!r} is not a number", text, where)
            if isinstance(node.value, int) and len(str(node.value)) > 308:
                raise FormulaError("the number is too large for a float", text, where)
        elif isinstance(node, ast.Name):
            if node.id in functions:
                raise FormulaError(f"{node.id} is a function: call it, {node.id}(...)", text, where)
            names.add(node.id)
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            children = [node.left, node.right]
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            children = [node.operand]
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                raise FormulaError("only a function's name can be called", text, where)
            if node.func.id not in functions:
                known = ", ".join(sorted(functions))
                message = f"unknown function {node.func.id!r}; known: {known}"
                raise FormulaError(message, text, where)
            if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
                raise FormulaError(f"{node.func.id}() takes plain arguments only", text, where)
            calls.add(node.func.id)
            children = list(node.args)
        elif (
            conditionals
            and isinstance(node, ast.Compare)
            and len(node.ops) == 1
            and type(node.ops[0]) in _COMPARE
        ):
            children = [node.left, node.comparators[0]]
        elif conditionals and isinstance(node, ast.IfExp):
            if not isinstance(node.test, ast.Compare):
                message = "the condition of 'a if ... else b' must be a comparison, like x > 0"
                raise FormulaError(message, text, node.test.col_offset + shift)
            children = [node.test, node.body, node.orelse]
        else:
            kind = getattr(node, "op", node)
            what = _WHAT.get(type(kind), type(kind).__name__)
            raise FormulaError(f"{what} is not allowed in a formula", text, where)
        stack.extend((child, depth + 1) for child in children)
    return Formula(text, tree, frozenset(names), frozenset(calls))


def evaluate(
    formula: Formula | str,
    variables: Mapping[str, Any],
    algebra: Mapping[str, Callable[..., Any]],
) -> Any:
    """The formula's value with `variables` bound, computed with `algebra`'s operations.

    The algebra maps "const" (a float to a number), "add", "sub", "mul", "div", "pow", "neg",
    the functions called, and for conditionals "gt", "lt", "ge", "le" and "if" (cond, a, b).
    """
    f = parse(formula) if isinstance(formula, str) else formula
    missing = sorted(f.names - set(variables))
    if missing:
        known = ", ".join(sorted(variables)) or "none"
        raise FormulaError(f"no value for {', '.join(missing)} (values given: {known})", f.text)

    def ev(node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            return algebra["const"](float(node.value))  # type: ignore[arg-type]
        if isinstance(node, ast.Name):
            return variables[node.id]
        if isinstance(node, ast.BinOp):
            return algebra[_BINARY[type(node.op)]](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp):
            operand = ev(node.operand)
            return algebra["neg"](operand) if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.Call):
            name = node.func.id  # type: ignore[attr-defined]
            try:
                return algebra[name](*[ev(a) for a in node.args])
            except TypeError as e:
                raise FormulaError(f"{name}(): {e}", f.text, node.col_offset) from None
        if isinstance(node, ast.Compare):
            return algebra[_COMPARE[type(node.ops[0])]](ev(node.left), ev(node.comparators[0]))
        if isinstance(node, ast.IfExp):
            return algebra["if"](ev(node.test), ev(node.body), ev(node.orelse))
        raise FormulaError(f"cannot evaluate {type(node).__name__}", f.text)  # parse() forbids it

    return ev(f.tree)


def _value_of(x: Any) -> float:
    return x.data if isinstance(x, Value) else float(x)


_COMPARISONS: dict[str, Callable[..., Any]] = {
    "gt": lambda a, b: _value_of(a) > _value_of(b),
    "lt": lambda a, b: _value_of(a) < _value_of(b),
    "ge": lambda a, b: _value_of(a) >= _value_of(b),
    "le": lambda a, b: _value_of(a) <= _value_of(b),
    "if": lambda cond, a, b: a if cond else b,
}

#: Formulas on floats, with the rule table's IEEE 754 forward functions.
FLOAT_ALGEBRA: dict[str, Callable[..., Any]] = {
    "const": float,
    **{name: rule.forward for name, rule in RULES.items()},
    "step": floats.step,
    "sign": floats.sign,
    **_COMPARISONS,
}

#: Formulas on Values: the result is a node of a graph (plain numbers stay constants).
VALUE_ALGEBRA: dict[str, Callable[..., Any]] = {
    "const": float,
    **{name: functools.partial(apply, rule) for name, rule in RULES.items()},
    "step": VALUE_MATH.step,
    "sign": VALUE_MATH.sign,
    **_COMPARISONS,
}


# -- rendering: text is one more algebra, whose numbers are (text, precedence) pairs -----------

_ATOM, _POW, _UNARY, _MUL, _ADD, _CMP, _IF = 7, 6, 5, 4, 3, 2, 1
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_LATEX_FUNCTIONS = {
    "exp": r"\exp", "log": r"\log", "sin": r"\sin", "cos": r"\cos", "tanh": r"\tanh",
    "sigmoid": r"\sigma",
}
_UNICODE_FUNCTIONS = {"sigmoid": "σ"}
Text = tuple[str, int]


def _number_text(v: float) -> str:
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


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

    def add(a: Text, b: Text) -> Text:
        return f"{wrap(a, _ADD)} + {wrap(b, _ADD)}", _ADD

    def sub(a: Text, b: Text) -> Text:
        return f"{wrap(a, _ADD)} {minus} {wrap(b, _MUL)}", _ADD

    def mul(a: Text, b: Text) -> Text:
        sign = {"python": " * ", "unicode": "·", "latex": r" \cdot "}[style]
        return f"{wrap(a, _MUL)}{sign}{wrap(b, _UNARY)}", _MUL

    def div(a: Text, b: Text) -> Text:
        if latex:
            return rf"\frac{{{a[0]}}}{{{b[0]}}}", _ATOM
        return f"{wrap(a, _MUL)} / {wrap(b, _UNARY)}", _MUL

    def pow_(a: Text, b: Text) -> Text:
        if latex:
            return f"{wrap(a, _ATOM)}^{{{b[0]}}}", _POW
        if style == "unicode" and b[1] == _ATOM and b[0].lstrip("-").isdigit():
            return wrap(a, _ATOM) + b[0].translate(_SUPERSCRIPT), _POW
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
            return _UNICODE_FUNCTIONS.get(name, name) + "(" + inner + ")", _ATOM
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
        text = _number_text(v)
        return text, _ATOM if v >= 0 else _UNARY

    algebra: dict[str, Callable[..., Any]] = {
        "const": const, "add": add, "sub": sub, "mul": mul, "div": div, "pow": pow_, "neg": neg,
        "if": if_, **{op: compare(op) for op in ("gt", "lt", "ge", "le")},
    }
    for name in FUNCTIONS:
        algebra[name] = call(name)
    return algebra


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
