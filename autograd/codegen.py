"""The small program: a recorded graph written out as straight-line Python.

`codegen(root, wrt=..., inputs=...)` writes one function whose body is the forward pass, one line
per node in the graph's own names (``net_h1 = w1 * i1 + w2 * i2 + b1``), then the backward pass,
one line per edge of the chain rule (``dE_dnet_h1 = dE_dout_h1 * (out_h1 * (1.0 - out_h1))``),
and returns the value and the gradients. The program imports only `math` and carries the few
helpers it calls (a stable sigmoid, IEEE division, ...), so it runs where kuibu is not installed.

The generator is one more reader of the rule table, not a second table: each rule's forward
function and each of its partials (written once for a namespace ``M``, see `autograd.ops`) are
called with objects that write source text instead of computing numbers. A partial that branches
on a value (relu's step, pow at 0, leaky_relu) is traced down every branch and written as a
conditional evaluated when the program runs, never baked from the recorded numbers. The helpers
are the functions of `autograd.floats` themselves, copied into the program, and the backward lines
follow the engine's own sweep, edge by edge, so the program's results equal the engine's bit for
bit (a zero gradient may come out as -0.0 where the engine, which adds into +0.0, has 0.0).

With ``backend="numpy"`` the same lines run on arrays: the `inputs` take one entry per sample,
and the value and each gradient come back per sample; ``backend="torch"`` runs them on float64
tensors, on CPU or a GPU (`autograd.torch_backend`).

>>> from autograd import Value, linear
>>> w, x, b = Value(0.5, label="w"), Value(1.5, label="x"), Value(-0.2, label="b")
>>> net = linear([w], [x], b)
>>> net.label = "net"
>>> out = net.sigmoid()
>>> out.label = "out"
>>> prog = codegen(out, wrt=[w, b], inputs=[x])
>>> print(prog.body())
net = w * x + b
out = sigmoid(net)
dE_dnet = out * (1.0 - out)
dE_dw = dE_dnet * x
dE_db = dE_dnet
>>> value, (dw, db) = prog(0.5, -0.2, 1.5)
>>> out.backward()
>>> (value, dw, db) == (out.data, w.grad, b.grad)
True

Replaying a program is only right while the graph keeps its shape: Python control flow that
depends on values (``if x.data > 0: ...``) records one branch, and the program replays that
branch for every input. `structure` gives a graph's shape as a hashable signature, so a caller
can rebuild the graph now and then and compare.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import keyword
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd import floats, torch_backend
from autograd.export import Naming
from autograd.graph import sweep_order
from autograd.ops import Rule
from autograd.phrases import PHRASES, phrases
from autograd.value import Value

__all__ = ["Program", "ProgramTooLargeError", "codegen", "source", "structure"]

BACKENDS = ("python", "numpy", "torch")

# Precedence of the expressions the generator writes, lowest first (Python's own order).
_COND, _CMP, _ADD, _MUL, _UNARY, _POW, _ATOM = range(7)


#: Longest program `Program` compiles to run (its text has no limit); see `ProgramTooLargeError`.
MAX_COMPILED_LINES = 1_000_000


class ProgramTooLargeError(ValueError):
    """A program too long for Python's compiler in reasonable time and memory."""


class _UndecidedError(Exception):
    """A partial asked for a branch the tracer has not chosen yet."""

    def __init__(self, condition: Expr) -> None:
        super().__init__(condition.text)
        self.condition = condition


class _Tracer:
    """The branch choices of one run of a rule's function (see `_trace`)."""

    def __init__(self, choices: Sequence[bool]) -> None:
        self.choices = list(choices)
        self.asked = 0

    def decide(self, condition: Expr) -> bool:
        if self.asked < len(self.choices):
            choice = self.choices[self.asked]
            self.asked += 1
            return choice
        raise _UndecidedError(condition)


_TRACERS: list[_Tracer] = []


def _literal(x: float) -> Expr:
    """A float as source text that reads back as the same float (inf and nan included)."""
    if math.isnan(x):
        return Expr("math.nan", _ATOM)
    if math.isinf(x):
        return Expr("math.inf", _ATOM) if x > 0 else Expr("-math.inf", _UNARY)
    text = repr(float(x))
    return Expr(text, _UNARY if text.startswith("-") else _ATOM)


#: The helpers of `autograd.floats` that may return a special partial (a `StrongZero` or a
#: `Reciprocal`), which multiplies unlike its plain float.
_SPECIAL_HELPERS = frozenset({"reciprocal", "step"})


def _expr(x: Any) -> Expr:
    if isinstance(x, Expr):
        return x
    if isinstance(x, floats.StrongZero):  # a masked zero stays one: g·0 is 0 even for inf g
        return Expr("STRONG_ZERO", _ATOM, special=True)
    if isinstance(x, floats.Reciprocal):  # 1/x overflowed: g times it is g/x, not g·inf
        return Expr(f"reciprocal({_literal(x.x).text})", _ATOM, special=True)
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return _literal(float(x))
    raise TypeError(f"codegen: cannot write {type(x).__name__} {x!r} as code")


def _wrap(e: Expr, at_least: int) -> str:
    return e.text if e.prec >= at_least else f"({e.text})"


def _fwrap(e: Expr, at_least: int) -> str:
    """`_wrap` for the fast text."""
    return e.fast if e.fprec >= at_least else f"({e.fast})"


#: Deepest expression the generator writes in one line; Python's compiler recurses once per
#: level (a neuron of 3,000 inputs is a sum 3,000 deep), and strings built by nesting would
#: cost the square of their length. Deeper parts go into temporaries (see `_Spill`).
MAX_DEPTH = 50


class _Spill:
    """Where a subexpression deeper than `MAX_DEPTH` goes: a line ``_t<k> = ...`` of its own,
    written before the line that uses it (the program computes the same numbers in the same
    order; the names start with _, which no node's name does)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.fast_lines: list[str] = []
        self.count = 0

    def store(self, e: Expr) -> Expr:
        self.count += 1
        name = f"_t{self.count}"
        self.lines.append(f"{name} = {e.text}")
        self.fast_lines.append(f"{name} = {e.fast}")
        return Expr(name, _ATOM, e.special)

    def flush(self, into: list[str], fast_into: list[str]) -> None:
        into += self.lines
        fast_into += self.fast_lines
        self.lines = []
        self.fast_lines = []


_SPILLS: list[_Spill] = []


def _shallow(e: Expr) -> Expr:
    return _SPILLS[-1].store(e) if e.depth >= MAX_DEPTH and _SPILLS else e


def _binary(op: str, prec: int, left: Any, right: Any) -> Expr:
    a, b = _shallow(_expr(left)), _shallow(_expr(right))
    depth = max(a.depth, b.depth) + 1
    if op == "**":  # right-associative; the base must be an atom (-2.0 ** y is -(2.0 ** y))
        return Expr(f"{_wrap(a, _ATOM)} ** {_wrap(b, _UNARY)}", _POW, depth=depth,
                    fast=f"{_fwrap(a, _ATOM)} ** {_fwrap(b, _UNARY)}")
    if prec == _CMP:  # comparisons chain in Python: keep each side whole
        return Expr(f"{_wrap(a, _ADD)} {op} {_wrap(b, _ADD)}", _CMP, depth=depth,
                    fast=f"{_fwrap(a, _ADD)} {op} {_fwrap(b, _ADD)}")
    neg = None
    if op == "*" and left.__class__ is float and left == 1.0 and not b.special:
        # 1.0·x is x, bit for bit (a neuron's sum with weights of 1); a special partial keeps
        # its product, which turns it into a plain float.
        fast, fprec, neg = b.fast, b.fprec, b.neg
    elif op in "+-" and b.neg is not None and not a.special:
        fast, fprec = _sum_fast(_fwrap(a, prec), op, b), prec
    else:
        fast, fprec = f"{_fwrap(a, prec)} {op} {_fwrap(b, prec + 1)}", prec
        if op in "*/" and not (a.special or b.special) and (a.neg is None) != (b.neg is None):
            # x·(-p) is -(x·p) and (-p)/x is -(p/x), bit for bit (rounding is symmetric in
            # sign): kept as that negation, so that a sum it goes into subtracts x·p.
            left_text = _fwrap(a, prec) if a.neg is None else _pwrap(a.neg, prec)
            right_text = _fwrap(b, prec + 1) if b.neg is None else _pwrap(b.neg, prec + 1)
            neg = (f"{left_text} {op} {right_text}", prec)
    return Expr(f"{_wrap(a, prec)} {op} {_wrap(b, prec + 1)}", prec, depth=depth, fast=fast,
                fprec=fprec, neg=neg)


def _sum_fast(left: str, op: str, term: Expr) -> str:
    """``left + term`` or ``left - term`` (`op`) in fast text. A term that is a negation -p is
    folded in: a + (-p) is written a - p and a - (-p) a + p, bit for bit (IEEE defines a - p
    as a + (-p)), one operation fewer."""
    if term.neg is not None:
        return f"{left} {'-' if op == '+' else '+'} {_pwrap(term.neg, _ADD + 1)}"
    return f"{left} {op} {_fwrap(term, _ADD + 1)}"


def _pwrap(text_prec: tuple[str, int], at_least: int) -> str:
    """`_fwrap` for a (fast text, precedence) pair (`Expr.neg`)."""
    text, prec = text_prec
    return text if prec >= at_least else f"({text})"


class Expr:
    """Python source text for a number: what the code-writing namespace computes with.

    Arithmetic on Exprs (and floats) writes the arithmetic; a comparison writes a condition, and
    using a condition in an ``if`` asks the active tracer which branch to follow.
    """

    __slots__ = ("depth", "fast", "fprec", "mask", "neg", "prec", "special", "text")
    __hash__ = object.__hash__

    def __init__(
        self, text: str, prec: int = _ATOM, special: bool = False, depth: int = 0,
        fast: str | None = None, fprec: int | None = None, mask: str | None = None,
        neg: tuple[str, int] | None = None,
    ) -> None:
        self.text = text
        self.prec = prec
        self.special = special  #: may be a special partial of `autograd.floats` (see `_times`)
        self.depth = depth  #: how deeply the text nests operations (see `MAX_DEPTH`)
        #: the same number written with plain operators and `math` (see `_FAST`), and its
        #: precedence; the same text where there is no faster one
        self.fast = text if fast is None else fast
        self.fprec = prec if fprec is None else fprec
        #: for relu's slope step(x): x's fast text (g·step(x) is then written as a choice)
        self.mask = mask
        #: when the fast text is a negation -p: p's fast text and precedence, so that
        #: ``a + (-p)`` is written ``a - p`` (the same float, one operation fewer)
        self.neg = neg

    def __repr__(self) -> str:
        return f"Expr({self.text!r})"

    def __add__(self, o: Any) -> Expr:
        return _binary("+", _ADD, self, o)

    def __radd__(self, o: Any) -> Expr:
        return _binary("+", _ADD, o, self)

    def __sub__(self, o: Any) -> Expr:
        return _binary("-", _ADD, self, o)

    def __rsub__(self, o: Any) -> Expr:
        return _binary("-", _ADD, o, self)

    def __mul__(self, o: Any) -> Expr:
        return _binary("*", _MUL, self, o)

    def __rmul__(self, o: Any) -> Expr:
        return _binary("*", _MUL, o, self)

    def __truediv__(self, o: Any) -> Expr:
        return _binary("/", _MUL, self, o)

    def __rtruediv__(self, o: Any) -> Expr:
        return _binary("/", _MUL, o, self)

    def __pow__(self, o: Any) -> Expr:
        return _binary("**", _POW, self, o)

    def __rpow__(self, o: Any) -> Expr:
        return _binary("**", _POW, o, self)

    def __neg__(self) -> Expr:
        inner = _shallow(self)
        return Expr(f"-{_wrap(inner, _UNARY)}", _UNARY, depth=inner.depth + 1,
                    fast=f"-{_fwrap(inner, _UNARY)}",
                    neg=None if inner.special else (inner.fast, inner.fprec))

    def __pos__(self) -> Expr:
        return self

    def __abs__(self) -> Expr:
        inner = _shallow(self)
        return Expr(f"abs({inner.text})", _ATOM, depth=inner.depth + 1,
                    fast=f"abs({inner.fast})")

    def __gt__(self, o: Any) -> Expr:
        return _binary(">", _CMP, self, o)

    def __ge__(self, o: Any) -> Expr:
        return _binary(">=", _CMP, self, o)

    def __lt__(self, o: Any) -> Expr:
        return _binary("<", _CMP, self, o)

    def __le__(self, o: Any) -> Expr:
        return _binary("<=", _CMP, self, o)

    def __eq__(self, o: Any) -> Expr:  # type: ignore[override]
        return _binary("==", _CMP, self, o)

    def __ne__(self, o: Any) -> Expr:  # type: ignore[override]
        return _binary("!=", _CMP, self, o)

    def __bool__(self) -> bool:
        if not _TRACERS:
            raise TypeError(f"codegen: the condition {self.text} has no value while writing code")
        return _TRACERS[-1].decide(self)


def _conditional(condition: Expr, yes: Any, no: Any, backend: str) -> Any:
    """`yes` where the condition holds, else `no`: a conditional expression or numpy's where."""
    if isinstance(yes, float) and isinstance(no, float) and (
        yes == no and math.copysign(1.0, yes) == math.copysign(1.0, no)
    ):
        return yes
    a, b = _expr(yes), _expr(no)
    if a.text == b.text:
        return a
    special = a.special or b.special
    a, b, condition = _shallow(a), _shallow(b), _shallow(condition)
    depth = max(a.depth, b.depth, condition.depth) + 1
    if backend != "python":  # an array backend: both sides, chosen per sample
        return Expr(f"where({condition.text}, {a.text}, {b.text})", _ATOM, special, depth)
    return Expr(f"{_wrap(a, _CMP)} if {condition.text} else {_wrap(b, _COND)}", _COND, special,
                depth, fast=f"{_fwrap(a, _CMP)} if {condition.fast} else {_fwrap(b, _COND)}")


def _trace(fn: Callable[[], Any], backend: str) -> Any:
    """fn()'s result with every branch it takes on an Expr condition written as a conditional.

    fn is run once per path through its ifs: each time it asks about a new condition, both
    answers are explored, and the results are joined as ``yes if condition else no``.
    """

    def explore(choices: list[bool]) -> Any:
        tracer = _Tracer(choices)
        _TRACERS.append(tracer)
        try:
            return fn()
        except _UndecidedError as undecided:
            condition = undecided.condition
        finally:
            _TRACERS.pop()
        return _conditional(
            condition, explore([*choices, True]), explore([*choices, False]), backend
        )

    return explore([])


class _CodeMath:
    """The namespace M that writes code: M.exp(x) is the text ``exp(x)``, and so on.

    Every function of `autograd.floats` is available under its own name; using one records that
    the program needs it as a helper. On numbers alone it computes the number, as the engine
    would have when it recorded the graph.
    """

    def __init__(self) -> None:
        self.used: set[str] = set()
        self.fast_reciprocal = False  #: the fast text has written 1.0 / x for a reciprocal

    @staticmethod
    def val(x: Any) -> Any:
        return x

    def __getattr__(self, name: str) -> Callable[..., Any]:
        float_fn = getattr(floats, name, None)
        if name.startswith("_") or not callable(float_fn):
            raise AttributeError(f"codegen: the rule table asked for M.{name}, which "
                                 "autograd.floats does not define")

        def call(*args: Any) -> Any:
            if not any(isinstance(a, Expr) for a in args):
                return float_fn(*args)
            self.used.add(name)
            inner = [_shallow(_expr(a)) for a in args]
            e = Expr(f"{name}({', '.join(a.text for a in inner)})", _ATOM,
                     name in _SPECIAL_HELPERS, max(a.depth for a in inner) + 1)
            fast = _FAST.get(name)
            if fast is not None:
                found = fast(*inner)
                if found is not None:
                    e.fast, e.fprec = found[0], found[1]
                    if name == "step":
                        e.mask = _fwrap(inner[0], _ADD)
                    elif name == "reciprocal":
                        self.fast_reciprocal = True
            return e

        return call


def _fast_softplus(x: Expr) -> tuple[str, int] | None:
    if x.fprec < _ATOM:  # x is written three times: only a name or a number
        return None
    # -|x| as a choice rather than a call of abs: the same float (exp(±0.0) is 1.0 either way)
    v = x.fast
    return f"({v} if {v} > 0.0 else 0.0) + _log1p(_exp({v} if {v} < 0.0 else -{v}))", _ADD


#: The helpers of `autograd.floats` written with Python's operators and `math`'s functions,
#: for the program's fast function: (text, precedence) given the arguments. Each gives the
#: helper's own float wherever it does not raise; where the helper would turn an exception
#: into inf or nan, the fast function raises and the program runs its IEEE function instead
#: (see `_fast_function`). reciprocal's one silent difference (1/x overflowing to inf, where
#: the helper keeps g·(1/x) as g/x) can only show as an inf or nan result, which sends the
#: call to the IEEE function too. sin, cos and tan keep their helpers (nan at ±inf).
_FAST: dict[str, Callable[..., tuple[str, int] | None]] = {
    "div": lambda x, y: (f"{_fwrap(x, _MUL)} / {_fwrap(y, _MUL + 1)}", _MUL),
    "reciprocal": lambda x: (f"1.0 / {_fwrap(x, _MUL + 1)}", _MUL),
    "exp": lambda x: (f"_exp({x.fast})", _ATOM),
    "log": lambda x: (f"_log({x.fast})", _ATOM),
    "sqrt": lambda x: (f"_sqrt({x.fast})", _ATOM),
    "pow": lambda x, y: (f"_pow({x.fast}, {y.fast})", _ATOM),
    "tanh": lambda x: (f"_tanh({x.fast})", _ATOM),
    "sigmoid": lambda x: (f"1.0 / (1.0 + _exp(-{_fwrap(x, _UNARY)}))", _MUL),
    "softplus": _fast_softplus,
    # STRONG_ZERO if x <= 0.0 else 1.0, as the helper; g·step(x) is written as a choice
    # (see `_times`).
    "step": lambda x: (f"(STRONG_ZERO if {_fwrap(x, _ADD)} <= 0.0 else 1.0)", _ATOM),
}

#: What the fast function's names stand for (bound once, when the program is compiled).
_FAST_NAMES = "_exp = math.exp\n_log = math.log\n_log1p = math.log1p\n_sqrt = math.sqrt\n" \
    "_pow = math.pow\n_tanh = math.tanh\n_isfinite = math.isfinite"


# -- helpers copied into the program -----------------------------------------------------------


class _Plain(ast.NodeTransformer):
    """Drops docstrings and annotations: the copied helpers need neither, and an annotation
    naming a class being defined (``-> Reciprocal``) would fail in the program."""

    def _undocumented(self, node: Any) -> Any:
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            node.body = body[1:] or [ast.Pass()]  # the docstring stays in autograd.floats
        return self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        node.returns = None
        for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
            arg.annotation = None
        return self._undocumented(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> Any:
        # Class-level annotations (``x: float``) go: a bare name would be unbound at run time.
        node = self._undocumented(node)
        node.body = [st for st in node.body if not isinstance(st, ast.AnnAssign)] or [ast.Pass()]
        return node


def _floats_definitions() -> dict[str, ast.stmt]:
    tree = _Plain().visit(ast.parse(inspect.getsource(floats)))
    found: dict[str, ast.stmt] = {}
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
            found[stmt.name] = stmt
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(
            stmt.targets[0], ast.Name
        ):
            found[stmt.targets[0].id] = stmt
    return found


_DEFINITIONS: dict[str, ast.stmt] | None = None


def _helper_source(names: Iterable[str]) -> list[str]:
    """The source of the named floats helpers and everything they use, dependencies first."""
    global _DEFINITIONS
    if _DEFINITIONS is None:
        _DEFINITIONS = _floats_definitions()
    definitions = _DEFINITIONS
    ordered: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen or name not in definitions:
            return
        seen.add(name)
        for node in ast.walk(definitions[name]):
            if isinstance(node, ast.Name) and node.id != name:
                visit(node.id)
        ordered.append(name)

    for name in sorted(names):
        visit(name)
    # Definitions in the order autograd.floats has them, so constants come before functions.
    position = {name: i for i, name in enumerate(definitions)}
    return [ast.unparse(definitions[n]) for n in sorted(ordered, key=position.__getitem__)]


#: The NumPy versions of the floats helpers (the numpy backend's M): the same IEEE results,
#: elementwise; numpy already gives inf and nan where Python raises.
_NUMPY_HELPERS = {
    "div": "def div(x, y):\n    return np.true_divide(x, y)",
    "reciprocal": "def reciprocal(x):\n    return np.true_divide(1.0, x)",
    "pow": "def pow(x, y):\n    return np.power(x, y)",
    "exp": "def exp(x):\n    return np.exp(x)",
    "log": "def log(x):\n    return np.log(x)",
    "sqrt": "def sqrt(x):\n    return np.sqrt(x)",
    "sin": "def sin(x):\n    return np.sin(x)",
    "cos": "def cos(x):\n    return np.cos(x)",
    "tan": "def tan(x):\n    return np.tan(x)",
    "tanh": "def tanh(x):\n    return np.tanh(x)",
    "sigmoid": (
        "def sigmoid(x):\n"
        "    e = np.exp(-np.abs(x))\n"
        "    return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))"
    ),
    "softplus": (
        "def softplus(x):\n    return np.where(x > 0.0, x, 0.0) + np.log1p(np.exp(-np.abs(x)))"
    ),
    "step": "def step(x):\n    return np.heaviside(x, 0.0)",
    "sign": "def sign(x):\n    return np.sign(x)",
    "where": "where = np.where",
    # The batch program multiplies as IEEE 754 does: a masked zero partial (relu's flat side,
    # x ** 0) is a plain 0 here, so an inf or nan gradient from above gives nan where the engine
    # and the float program give 0 (docs/codegen.md). Finite gradients agree to rounding.
    "STRONG_ZERO": "STRONG_ZERO = 0.0",
    "varies": "def varies(x):\n    return False",
    "finite": "def finite(x):\n    return np.isfinite(x)",
}

# -- names ---------------------------------------------------------------------------------------

_RESERVED = (
    set(keyword.kwlist) | set(keyword.softkwlist) | set(dir(builtins))
    | {"math", "np", "numpy", "where", "per_sample", "total", "dot_total", "samples", "grads",
       "value"}
    | {name for name in vars(floats) if not name.startswith("__")}  # the helpers' names
    | torch_backend.NAMES
)
_MAX_NAME = 40


def identifier(text: str) -> str:
    """`text` made into a Python identifier: letters, digits and _ kept, anything else _.

    Only characters that are identifiers as they stand (NFKC-stable) are kept, so two different
    labels never become one name through Python's normalisation of identifiers.
    """
    chars = []
    for ch in text[:_MAX_NAME]:
        ok = (ch == "_" or ch.isalnum()) and unicodedata.normalize("NFKC", ch) == ch and (
            ("a" + ch).isidentifier()
        )
        chars.append(ch if ok else "_")
    name = "".join(chars).strip("_") or "n"
    if name[0].isdigit():
        name = "n_" + name
    return name


class _Names:
    """Unique identifiers for a graph's nodes, from the one namer (`autograd.Naming`)."""

    def __init__(self, order: list[Value], outside: list[Value], avoid: Iterable[str]) -> None:
        naming = Naming(order)
        self.taken = set(_RESERVED) | set(avoid)
        self.of: dict[int, str] = {}
        # Leaves given as parameters that the graph does not reach have no index of their own.
        in_graph = {id(n) for n in order}
        for node in [*order, *outside]:
            base = identifier(naming.name(node) if id(node) in in_graph else node.label)
            # Gradients are dE_d<name> and their sums sum_<name>: no node's name may look so.
            if base.startswith(("dE_d", "sum_")):
                base = "v_" + base
            name, k = base, 1
            while name in self.taken:
                k += 1
                name = f"{base}_{k}"
            self.taken.add(name)
            self.of[id(node)] = name

    def __getitem__(self, node: Value) -> str:
        return self.of[id(node)]


# -- the graph's shape ---------------------------------------------------------------------------


def graph_order(root: Value) -> list[Value]:
    """`autograd.topological_order`'s order (the namer's indices depend on it), reading each
    node's inputs once: a neuron's node has a hundred inputs, and re-reading them at every
    return to the node would cost their square."""
    order: list[Value] = []
    seen = {id(root)}
    stack: list[tuple[Value, tuple[Value, ...], int]] = [(root, root.parents, 0)]
    while stack:
        node, parents, i = stack.pop()
        while i < len(parents):
            parent = parents[i]
            i += 1
            if id(parent) not in seen:
                seen.add(id(parent))
                if parent.rule is None:  # a leaf comes out as soon as it is reached
                    order.append(parent)
                    continue
                stack.append((node, parents, i))
                stack.append((parent, parent.parents, 0))
                break
        else:
            order.append(node)
    return order


def structure(root: Value, leaves: Sequence[Value] = ()) -> tuple[Any, ...]:
    """The graph's shape as a hashable signature: each node's operation, its inputs (earlier
    nodes by position, constants by value), the value of each leaf not in `leaves` (a program
    writes those in as constants), and where each of `leaves` sits.

    Two graphs with equal signatures run the same program; a graph recorded again after the
    numbers change may differ when Python control flow looked at values.
    """
    order = graph_order(root)
    index = dict(zip(map(id, order), range(len(order)), strict=True))
    position = index.get
    given = set(map(id, leaves))
    shape: list[Any] = []
    for node in order:
        rule = node.rule
        if rule is None:  # a constant leaf is written in at its value: the value is the shape
            shape.append(None if id(node) in given else node.data)
            continue
        # Inputs by position (None for a constant), then the constants' values: maps, not a
        # loop, since this runs on every recorded graph and a neuron has a hundred inputs.
        shape.append((rule.name, tuple(map(position, map(id, node.inputs))), node.params))
    where = tuple(index.get(id(leaf), -1) for leaf in leaves)
    return (tuple(shape), where)


# -- the program ---------------------------------------------------------------------------------


@dataclass
class Program:
    """A graph's forward and backward pass as a Python function.

    `source` is the program's text; calling the Program runs it: ``prog(*wrt_values,
    *input_values)`` returns ``(value, grads)``, grads in `wrt` order.
    """

    source: str  #: the whole module: import, helpers, and the function
    name: str  #: the function's name in `source`
    wrt: tuple[str, ...]  #: the parameters the gradients are taken for, by identifier
    inputs: tuple[str, ...]  #: the other parameters, by identifier
    backend: str = "python"
    #: the function again in fast text (`_fast_function`): what calling the program runs
    fast: str = field(default="", repr=False, compare=False)
    #: the summed function in fast text: what `summed` runs
    fast_summed: str = field(default="", repr=False, compare=False)
    _compiled: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)
    _fast: dict[str, Callable[..., Any]] = field(default_factory=dict, init=False, repr=False,
                                                 compare=False)

    @property
    def function(self) -> Callable[..., tuple[Any, tuple[Any, ...]]]:
        """The program's function, compiled when first asked for (`source` alone never is).

        For the python backend this is the same function written with Python's operators and
        `math` (`fast`): the same floats, bit for bit, faster; the few calls where Python
        would raise (or a result is inf or nan) are answered by the function in `source`,
        compiled then.
        """
        if not self.fast:
            return self._namespace()[self.name]  # type: ignore[no-any-return]
        return self._compile_fast(self.name, self.fast)

    def _compile_fast(self, name: str, fast: str) -> Callable[..., Any]:
        """The function `name` of the fast text, compiled alone (a program's two functions
        are as long as each other: compiling only the one called halves the wait)."""
        found = self._fast.get(name)
        if found is not None:
            return found
        start = self.source.find(f"\ndef {self.name}(")
        helpers = self.source[:start]  # the import and the helpers, which the fast text uses
        text = "\n".join([helpers, _FAST_NAMES, "", fast])
        self._check_size(text)
        namespace: dict[str, Any] = {"__builtins__": builtins, "__name__": "kuibu_program"}

        def ieee(*values: Any) -> Any:
            return self._namespace()[name](*values)

        namespace["_ieee"] = ieee
        exec(compile(text, f"<kuibu program {self.name}>", "exec"), namespace)
        self._fast[name] = namespace[name]
        return namespace[name]  # type: ignore[no-any-return]

    def _check_size(self, text: str) -> None:
        lines = text.count("\n")
        if lines > MAX_COMPILED_LINES:
            raise ProgramTooLargeError(
                f"codegen: the program {self.name} has {lines:,} lines, more than "
                f"{MAX_COMPILED_LINES:,}; Python's compiler would take minutes and "
                "gigabytes for it. Its text (Program.source, autograd.source) is fine at "
                "any size; replay a smaller graph, or use backward()"
            )

    @property
    def summed(self) -> Callable[..., tuple[Any, tuple[Any, ...]]]:
        """The same lines summed over many samples: ``summed(*wrt_values, samples)`` with
        samples a list of input tuples (python), or ``summed(*wrt_values, *input_arrays)``
        (numpy)."""
        if not self.fast_summed:
            return self._namespace()[f"{self.name}_summed"]  # type: ignore[no-any-return]
        return self._compile_fast(f"{self.name}_summed", self.fast_summed)

    def _namespace(self) -> dict[str, Any]:
        if self._compiled is None:
            self._check_size(self.source)
            namespace: dict[str, Any] = {"__builtins__": builtins, "__name__": "kuibu_program"}
            exec(compile(self.source, f"<kuibu program {self.name}>", "exec"), namespace)
            self._compiled = namespace
        return self._compiled

    def __call__(self, *values: Any) -> tuple[Any, tuple[Any, ...]]:
        expected = len(self.wrt) + len(self.inputs)
        if len(values) != expected:
            raise TypeError(
                f"program {self.name} takes {expected} numbers ({', '.join(self.wrt + self.inputs)}"
                f"), got {len(values)}"
            )
        return self.function(*values)

    def body(self) -> str:
        """The function's lines between its signature and its return, unindented."""
        lines = self.source.split(f"def {self.name}(", 1)[1].split("\n\n\n")[0].splitlines()[1:]
        body = [line[4:] for line in lines if line.startswith("    ")]
        return "\n".join(line for line in body if not line.startswith(("return", "#", "with ")))


def _check_leaves(nodes: Iterable[Any], what: str, order_ids: set[int]) -> list[Value]:
    result = []
    for position, node in enumerate(nodes):
        if not isinstance(node, Value):
            raise TypeError(
                f"codegen: {what}[{position}] must be a Value, not {type(node).__name__}"
            )
        if not node.is_leaf:
            raise ValueError(
                f"codegen: {what}[{position}] ({node!r}) is made by {node.op}, not a leaf; "
                "the program's parameters are leaves"
            )
        result.append(node)
    return result


def _edges(node: Value) -> list[tuple[int, Value]]:
    """(input position, input) for each Value input of `node`, in the order the sweep walks."""
    return [(i, x) for i, x in enumerate(node.inputs) if isinstance(x, Value)]


def _sweep_order(root: Value) -> list[tuple[Value, int, Value]]:
    """Every edge (node, input position, input) in the order the engine's sweep takes them
    (`autograd.sweep_order`), so each gradient is summed in the engine's order."""
    return [(node, i, x) for node in sweep_order(root) for i, x in _edges(node)]


def _times(g: Expr | None, d: Any) -> Expr:
    """g·d as code, dropping exact factors of 1 (g is None for the root's seed, 1).

    The seed is written out (``1.0 * d``) when d may be one of the special partials of
    `autograd.floats` (a masked zero, an overflowed reciprocal): the engine multiplies them by
    the seed, which gives a plain float, and a gradient must never hold one (a masked zero kept
    in it would hide an inf or nan further down, where the engine has nan).
    """
    if g is None:
        if not isinstance(d, Expr):  # a number: the seed times it, as the engine computes it
            return _expr(1.0 * d)
        if not d.special:
            return d
        product = _binary("*", _MUL, 1.0, d)
        if d.mask is not None:
            product.fast, product.fprec = f"(0.0 if {d.mask} <= 0.0 else 1.0)", _ATOM
        return product
    if isinstance(d, float) and not isinstance(d, bool) and not isinstance(
        d, (floats.StrongZero, floats.Reciprocal)
    ):
        if d == 1.0:
            return g
        if d == -1.0:
            return -g
    product = _binary("*", _MUL, g, d)
    # In the fast text: a masked zero times any float is 0.0, and g·step(x) is g or 0.0.
    if isinstance(d, floats.StrongZero):
        product.fast, product.fprec = "0.0", _ATOM
    elif isinstance(d, Expr) and d.mask is not None:
        product.fast, product.fprec = f"(0.0 if {d.mask} <= 0.0 else {g.fast})", _ATOM
    return product


@dataclass
class _Runtime:
    """codegen's `maxima` and `picks` (by id): leaves whose numbers the program finds."""

    maxima_given: Mapping[Value, Sequence[Value]]
    picks_given: Mapping[Value, tuple[Value, Sequence[Value]]]

    def __post_init__(self) -> None:
        self.maxima = {id(k): list(v) for k, v in self.maxima_given.items()}
        self.picks = {id(k): (i, list(v)) for k, (i, v) in self.picks_given.items()}
        for leaf in (*self.maxima_given, *self.picks_given):
            if not isinstance(leaf, Value) or not leaf.is_leaf:
                raise ValueError(f"codegen: a number found at run time is a leaf, not {leaf!r}")

    def sources(self) -> dict[int, list[Value]]:
        """Each runtime leaf's nodes (a pick's index too), by the leaf's id."""
        found: dict[int, list[Value]] = dict(self.maxima)
        for leaf_id, (index, nodes) in self.picks.items():
            found[leaf_id] = [*nodes, index]
        return found

    def value(self, leaf: Value, names: _Names) -> str:
        if id(leaf) in self.maxima:
            found = [names[n] for n in self.maxima[id(leaf)]]
            return found[0] if len(found) == 1 else f"max({', '.join(found)})"
        index, nodes = self.picks[id(leaf)]
        return f"({', '.join(names[n] for n in nodes)},)[{names[index]}]"


def _emission_order(order: list[Value], extra: dict[int, list[Value]]) -> list[Value]:
    """`order` with each runtime leaf moved after the nodes it is found from (and those after
    what they need): a forward pass computes any node after its inputs, in any such order."""
    if not extra:
        return order
    position = {id(n): i for i, n in enumerate(order)}
    result: list[Value] = []
    done: set[int] = set()

    def needs(n: Value) -> Iterator[Value]:
        return iter([m for m in extra.get(id(n)) or n.parents if id(m) in position])

    # A depth-first walk, each node's needs listed once (a linear node of a 64-wide layer has
    # 129 inputs: listing them again at each return made writing a microgpt step's program
    # quadratic in the layer's width).
    for node in order:
        if id(node) in done:
            continue
        stack: list[tuple[Value, Iterator[Value]]] = [(node, needs(node))]
        while stack:
            n, rest = stack[-1]
            for m in rest:
                if id(m) not in done:
                    stack.append((m, needs(m)))
                    break
            else:
                stack.pop()
                done.add(id(n))
                result.append(n)
    return result


def _route(leaf: Value, term: Expr, runtime: _Runtime, names: _Names,
           grads: dict[int, Expr | None], lines: list[str], fast: list[str]) -> None:
    """The gradient reaching a pick goes into the picked node: each candidate k gets it when
    the index is k (``0.0 + term`` when it is the candidate's first term, as the engine's sum
    starts from 0.0; 0.0 for the others, which the engine's 0.0 start gives too)."""
    index, nodes = runtime.picks[id(leaf)]
    held = f"dE_d{names[leaf]}"
    lines.append(f"{held} = {term.text}")
    fast.append(f"{held} = {term.fast}")
    k_name = names[index]
    for k, node in enumerate(nodes):
        target = f"dE_d{names[node]}"
        known = grads.get(id(node))
        if known is None:
            line = f"{target} = 0.0 + {held} if {k_name} == {k} else 0.0"
            fast_line = line
        else:
            assert isinstance(known, Expr)
            line = f"{target} = {target} + {held} if {k_name} == {k} else {target}"
            fast_line = (f"{target} = {known.fast} + {held} if {k_name} == {k} else "
                         f"{known.fast}")
        lines.append(line)
        fast.append(fast_line)
        grads[id(node)] = Expr(target)


def _shared(d: Any, seen: dict[str, str], fast: list[str]) -> Any:
    """The partial `d`, computed once in the fast text when it recurs: a softmax's outputs all
    divide by one sum, so 1 / sum is each one's partial. Its second use writes it into a
    temporary ``_c<k>`` (the first computed it in place), later ones read that; it is the same
    expression of the same forward values, so the same float."""
    if not isinstance(d, Expr) or d.mask is not None or d.fprec == _ATOM:
        return d
    key = d.fast
    name = seen.get(key)
    if name is None:
        seen[key] = ""  # met once
        return d
    if not name:
        name = seen[key] = f"_c{len(fast)}"
        fast.append(f"{name} = {key}")
    return Expr(d.text, d.prec, d.special, d.depth, fast=name, fprec=_ATOM)


def _forward_expr(rule: Rule, args: list[Any], math_ns: _CodeMath, backend: str) -> Any:
    fn = rule.forward
    if getattr(fn, "__module__", None) == floats.__name__:
        return getattr(math_ns, fn.__name__)(*args)
    return _trace(lambda: fn(*args), backend)


def _partials(
    rule: Rule, args: list[Any], out: Expr, math_ns: _CodeMath, backend: str
) -> list[Any]:
    if rule.arity == 0:
        return list(_trace(lambda: rule.partials[0](math_ns, args, out), backend))  # type: ignore[operator]
    return [
        _trace(lambda i=i: rule.partial(i, math_ns, *args, out), backend)  # type: ignore[misc]
        for i in range(rule.arity)
    ]


def codegen(
    root: Value,
    wrt: Sequence[Value] | None = None,
    inputs: Sequence[Value] = (),
    *,
    backend: str = "python",
    name: str = "forward_backward",
    lang: str = "en",
    device: Any = None,
    maxima: Mapping[Value, Sequence[Value]] | None = None,
    picks: Mapping[Value, tuple[Value, Sequence[Value]]] | None = None,
) -> Program:
    """Write the graph behind `root` as a program of its forward and backward pass.

    The program's parameters are the `wrt` leaves (the gradient is taken for them; by default
    every leaf not in `inputs`) and then the `inputs` leaves. Any other leaf is a constant, written
    in at its current value. ``backend="numpy"`` writes code over arrays (NumPy must be
    installed to run it): `inputs` take one entry per sample, the `wrt` leaves stay numbers.
    ``backend="torch"`` does the same on float64 tensors on `device` ("cpu" by default, or
    "cuda"; PyTorch must be installed to write it, see `autograd.torch_backend`).
    The program's comments are in `lang` ("en" or "zh", `autograd.phrases`); names, code and
    numbers are the same in every language.

    Two kinds of leaf stand for numbers the program finds as it runs (python backend), so that
    one program serves graphs that differ only in them:

    - `maxima`: ``{leaf: nodes}``, the leaf is ``max(nodes)`` (Python's `max` of their values),
      as a softmax's shift ``max(z.data for z in logits)`` is, a number to the engine;
    - `picks`: ``{leaf: (index, nodes)}``, the leaf is ``nodes[index]`` for the `inputs` leaf
      `index` (an int when the program is called), and the gradient that reaches the leaf goes
      into the picked node, as if the graph had used that node itself (``probs[target]``).
      The picked node's gradient is summed as the engine sums it only where that edge is its
      first (a softmax's numerator, used by the pick before the sum).
    """
    if not isinstance(root, Value):
        raise TypeError(f"codegen: root must be a Value, not {type(root).__name__}")
    if lang not in PHRASES:
        raise ValueError(f"codegen: lang must be one of {', '.join(PHRASES)}, not {lang!r}")
    if backend not in BACKENDS:
        raise ValueError(f"codegen: backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if backend == "torch":
        device = torch_backend.device_name(device)
    elif device is not None:
        raise ValueError(f"codegen: device is for backend='torch', not backend={backend!r}")
    order = graph_order(root)
    ids = {id(n) for n in order}
    given_inputs = _check_leaves(inputs, "inputs", ids)
    input_ids = {id(n) for n in given_inputs}
    if wrt is None:
        wanted = [n for n in order if n.is_leaf and id(n) not in input_ids]
    else:
        wanted = _check_leaves(wrt, "wrt", ids)
    seen: set[int] = set()
    for what, group in (("wrt", wanted), ("inputs", given_inputs)):
        for position, leaf in enumerate(group):
            if id(leaf) in seen:
                raise ValueError(
                    f"codegen: {what}[{position}] ({leaf!r}) is given twice; each leaf is one "
                    "parameter of the program"
                )
            seen.add(id(leaf))
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"codegen: name must be a Python identifier, not {name!r}")
    runtime = _Runtime(maxima or {}, picks or {})
    if (runtime.maxima or runtime.picks) and backend != "python":
        raise ValueError("codegen: maxima and picks are written for the python backend only")

    # Leaves outside the graph still get a parameter (and a zero gradient).
    outside = [n for n in (*wanted, *given_inputs) if id(n) not in ids]
    names = _Names(order, outside, avoid=[name])
    math_ns = _CodeMath()
    lines: list[str] = []
    spill = _Spill()
    _SPILLS.append(spill)
    try:
        return _write(root, order, wanted, given_inputs, names, math_ns, lines, spill, name,
                      backend, phrases(lang), device, runtime)
    finally:
        _SPILLS.pop()


def _write(
    root: Value, order: list[Value], wanted: list[Value], given_inputs: list[Value],
    names: _Names, math_ns: _CodeMath, lines: list[str], spill: _Spill, name: str,
    backend: str, words: dict[str, str], device: str | None = None,
    runtime: _Runtime | None = None,
) -> Program:
    """The program's text, once its parameters and names are settled (see `codegen`); `words`
    are the comments' (`autograd.phrases`), `device` the torch backend's."""
    runtime = runtime or _Runtime({}, {})
    code: dict[int, Any] = {}
    fast: list[str] = []  # the same lines in fast text (see `_FAST`), for the python backend
    lines.append(f"# {words['forward']}")
    for leaf in (*wanted, *given_inputs):
        code[id(leaf)] = Expr(names[leaf])
    found = runtime.sources()
    for node in _emission_order(order, found):
        rule = node.rule
        if rule is None:
            if id(node) in found:  # a number the program finds as it runs
                lines.append(f"{names[node]} = {runtime.value(node, names)}")
                fast.append(lines[-1])
                code[id(node)] = Expr(names[node])
            elif id(node) not in code:  # a constant leaf, at its current value
                lines.append(f"{names[node]} = {_literal(node.data).text}")
                fast.append(lines[-1])
                code[id(node)] = Expr(names[node])
            continue
        args = [code[id(x)] if isinstance(x, Value) else float(x) for x in node.inputs]
        value = _expr(_forward_expr(rule, args, math_ns, backend))
        spill.flush(lines, fast)
        lines.append(f"{names[node]} = {value.text}")
        fast.append(f"{names[node]} = {value.fast}")
        code[id(node)] = Expr(names[node])

    # Only gradients that lead to a wrt leaf are written.
    wanted_ids = {id(n) for n in wanted}
    needed: set[int] = set(wanted_ids)
    for node in _emission_order(order, found):
        if any(id(x) in needed for _, x in _edges(node)):
            needed.add(id(node))
        if id(node) in runtime.picks and any(id(c) in needed for c in runtime.picks[id(node)][1]):
            needed.add(id(node))
    grads: dict[int, Expr | None] = {id(root): None}
    partials_of: dict[int, list[Any]] = {}
    if len(needed) > len(wanted_ids) or id(root) in wanted_ids:  # some gradient is written
        lines.append(f"# {words['backward'].format(root=names[root])}")
    if id(root) in wanted_ids:
        lines.append(f"dE_d{names[root]} = 1.0")
        fast.append(lines[-1])
        grads[id(root)] = Expr(f"dE_d{names[root]}")
    # For each wrt leaf whose gradient is one term: that line's position and the term.
    first_line: dict[int, tuple[int, str]] = {}
    first_fast: dict[int, tuple[int, str]] = {}  # ... and its line in the fast text
    products: dict[int, tuple[str, str]] = {}  # ... and when the term is g·d, g and d
    shared: dict[str, str] = {}  # partials met before, by fast text (see `_shared`)
    for node, i, x in _sweep_order(root):
        if id(x) not in needed:
            continue
        if id(node) not in partials_of:
            rule = node.rule
            assert rule is not None
            args = [code[id(a)] if isinstance(a, Value) else float(a) for a in node.inputs]
            partials_of[id(node)] = _partials(rule, args, code[id(node)], math_ns, backend)
        term = _times(grads[id(node)], _shared(partials_of[id(node)][i], shared, fast))
        spill.flush(lines, fast)
        if id(x) in runtime.picks:
            _route(x, term, runtime, names, grads, lines, fast)
            continue
        target = f"dE_d{names[x]}"
        if id(x) in grads:
            lines.append(f"{target} = {target} + {_wrap(term, _ADD + 1)}")
            known = grads[id(x)]
            so_far = target if known is None else known.fast
            fast.append(f"{target} = {_sum_fast(so_far, '+', term)}")
            grads[id(x)] = Expr(target)
            first_line.pop(id(x), None)
            first_fast.pop(id(x), None)
        else:
            if id(x) in wanted_ids:
                first_line[id(x)] = (len(lines), term.text)
                factor = partials_of[id(node)][i]
                g = grads[id(node)]
                if g is not None and isinstance(factor, Expr):
                    products[id(x)] = (g.text, factor.text)
            lines.append(f"{target} = {term.text}")
            if term.fast.isidentifier():
                # A gradient that is another's (a sum's input): the fast text reads that name
                # until a second term arrives, rather than copying it (the sweep never adds to a
                # gradient it has read, so the name keeps its value).
                grads[id(x)] = Expr(target, fast=term.fast)
            else:
                if id(x) in wanted_ids:
                    first_fast[id(x)] = (len(fast), term.fast)
                fast.append(f"{target} = {term.fast}")
                grads[id(x)] = Expr(target)

    results = []
    fast_results = []
    for leaf in wanted:
        g = grads.get(id(leaf))
        results.append("0.0" if g is None else g.text)
        fast_results.append("0.0" if g is None else g.fast)
    value_text = code[id(root)].text
    params = [names[n] for n in (*wanted, *given_inputs)]
    sums = [f"sum_{names[n]}" for n in wanted]
    summed = f"{name}_summed"
    inner = [f"    {line}" for line in lines]
    fast_function = fast_summed = ""
    if backend != "python":  # numpy or torch: the same lines over arrays
        used = math_ns.used | _where_used(lines) | _strong_zero_used(lines)
        table = _NUMPY_HELPERS if backend == "numpy" else torch_backend.HELPERS
        helpers = [table[h] for h in sorted(used)]
        size = names[given_inputs[0]] if given_inputs else "1.0"
        returned = f"return per_sample({value_text}, {size}), " + _tuple(
            [f"per_sample({r}, {size})" for r in results])
        # Summed over the samples, a one-term gradient g·d is one dot product of g and d.
        summed_lines = list(lines)
        totals = []
        for leaf, r in zip(wanted, results, strict=True):
            if id(leaf) in first_line and id(leaf) in products:
                at, _ = first_line[id(leaf)]
                g_text, d_text = products[id(leaf)]
                summed_lines[at] = f"sum_{names[leaf]} = dot_total({g_text}, {d_text}, {size})"
                totals.append(f"sum_{names[leaf]}")
            else:
                totals.append(f"total({r}, {size})")
        returned_sums = f"return total({value_text}, {size}), " + _tuple(totals)
        helpers += torch_backend.BATCH_HELPERS if backend == "torch" else [
            # A result that does not vary with the samples is a number: spread it over them.
            "def per_sample(v, like):\n    return v if isinstance(v, np.ndarray) and v.ndim "
            "else np.full(np.shape(like), float(v))",
            "def total(v, like):\n    return float(v.sum()) if isinstance(v, np.ndarray) and "
            "v.ndim else float(v) * np.size(like)",
            "def dot_total(a, b, like):\n    if isinstance(a, np.ndarray) and a.ndim and "
            "isinstance(b, np.ndarray) and b.ndim:\n        return float(np.dot(a, b))\n"
            "    return total(a * b, like)",
        ]
        header = ["import math", "", "import numpy as np", ""]
        opening = ["    with np.errstate(all='ignore'):"]
        if backend == "torch":
            header = torch_backend.header(str(device))
            opening = [f"    {line}" for line in torch_backend.opening(params)]
        function = [f"def {name}({', '.join(params)}):", *opening,
                    *(f"    {line}" for line in inner), f"        {returned}"]
        batch = [
            f"def {summed}({', '.join(params)}):",
            f'    """{words["summed"]}"""',
            *opening, *(f"        {line}" for line in summed_lines),
            f"        {returned_sums}",
        ]
    else:
        helpers = _helper_source(math_ns.used | _strong_zero_used(lines))
        header = ["import math", ""]
        function = [f"def {name}({', '.join(params)}):", *inner,
                    f"    return {value_text}, {_tuple(results)}"]
        check = math_ns.fast_reciprocal
        fast_function = _fast_function(
            f"{name}({', '.join(params)})", *_reuse_names(
                [line for line in fast if not line.startswith("#")],
                f"{value_text}, {_tuple(fast_results)}", len(params)), check)
        targets = ", ".join(names[n] for n in given_inputs) or "_sample"
        if len(given_inputs) == 1:
            targets += ","
        summed_lines, direct = _direct_sums(lines, first_line, wanted, names)
        batch = [
            f"def {summed}({', '.join([*names_of(wanted, names), 'samples'])}):",
            f'    """{words["summed_python"]}"""',
            "    sum_value = 0.0",
            *(f"    {s} = 0.0" for s in sums),
            f"    for {targets} in samples:",
            *(f"        {line}" for line in summed_lines),
            f"        sum_value += {value_text}",
            *(f"        {s} += {r}" for s, r in zip(sums, results, strict=True)
              if s not in direct),
            f"    return sum_value, {_tuple(sums)}",
        ]
        fast_lines, fast_direct = _direct_sums(fast, first_fast, wanted, names)
        fast_summed = _fast_function(
            f"{summed}({', '.join([*names_of(wanted, names), 'samples'])})", [
                "sum_value = 0.0", *(f"{s} = 0.0" for s in sums), f"for {targets} in samples:",
                *(f"    {line}" for line in fast_lines if not line.startswith("#")),
                f"    sum_value += {value_text}",
                *(f"    {s} += {r}" for s, r in zip(sums, fast_results, strict=True)
                  if s not in fast_direct),
            ], f"sum_value, {_tuple(sums)}", check, summed=True)
    constants = [h for h in helpers if not h.startswith("def ")]
    functions = [h for h in helpers if h.startswith("def ")]
    about = words["header"].format(name=name, root=names[root], wrt=_listed(
        [names[n] for n in wanted]))
    if spill.count:
        about += "\n# " + words["temporary"]
    text = "\n".join([
        f"# {about}",
        *header,
        *([*constants, "", ""] if constants else []),
        *(f"{h}\n\n" for h in functions),
        *function,
        "",
        "",
        *batch,
        "",
    ])
    return Program(
        text, name, tuple(names[n] for n in wanted), tuple(names[n] for n in given_inputs),
        backend, fast_function, fast_summed,
    )


def _direct_sums(lines: list[str], first: dict[int, tuple[int, str]], wanted: list[Value],
                 names: _Names) -> tuple[list[str], set[str]]:
    """The lines for the summed function: a gradient of one term (`first`: its line and term,
    by the leaf's id) goes straight into its sum, the same one addition. Returns the lines and
    the sums so written."""
    summed = list(lines)
    direct: set[str] = set()
    for leaf in wanted:
        if id(leaf) in first:
            at, term = first[id(leaf)]
            summed[at] = f"sum_{names[leaf]} += {term}"
            direct.add(f"sum_{names[leaf]}")
    return summed, direct


def _fast_function(signature: str, lines: list[str], returned: str, check_finite: bool,
                   summed: bool = False) -> str:
    """A function of the program in fast text (plain operators, `math` bound to names), falling
    back to the IEEE function (`_ieee`, the same function in `source`) for the rare call where
    the fast text cannot be trusted: when Python raises (x/0, exp overflow, log 0, ...), and
    when `check_finite` and a result is inf or nan (a reciprocal that overflowed; see `_FAST`).
    Everywhere else the two compute the same floats in the same order, so the fast function's
    results are the IEEE one's bit for bit."""
    args = signature[signature.index("(") + 1 : -1]
    head = [f"def {signature}:"]
    if summed:  # an iterator of samples would be used up by the time the IEEE function runs
        head.append("    samples = samples if samples.__class__ in (list, tuple) else "
                    "list(samples)")
    body = [f"        {line}" for line in lines]
    if check_finite:
        # A sum is finite only if every term is (inf - inf is nan); a finite sum that
        # overflows only costs the IEEE function's call.
        tail = [f"        _result = {returned}",
                "    except (ArithmeticError, ValueError):",
                f"        return _ieee({args})",
                "    if _isfinite(_result[0] + sum(_result[1])):",
                "        return _result",
                f"    return _ieee({args})"]
    else:
        tail = [f"        return {returned}",
                "    except (ArithmeticError, ValueError):",
                f"        return _ieee({args})"]
    return "\n".join([*head, "    try:", *body, *tail, ""])


_NAME = re.compile(r"(?<![\w.])[A-Za-z_]\w*")


#: Python numbers a function's variables in one byte up to 255; a variable numbered higher costs
#: an extra instruction (EXTENDED_ARG) at every read and write, and its reads never pair into
#: one instruction. The parameters take the first numbers (see `_reuse_names`).
_ONE_BYTE = 256


def _reuse_names(lines: list[str], returned: str, params: int = 0) -> tuple[list[str], str]:
    """Straight-line code whose variables share names once dead: each line's target takes
    the name of a variable that nothing reads any more, so the function keeps a few thousand
    floats alive rather than one per line (100,000 for a large graph), and they stay in the
    processor's caches. The same operations in the same order: the same floats.

    A value read again within the next few lines (most of the reads: a gradient passed on, a
    partial used at once) takes one of a small set of names `_s<k>`, named first in the
    function (a first line ``_s1 = _s2 = ... = 0.0``) so that Python numbers them right after
    the `params` parameters, in one byte; the rest take `_v<k>`. On a 10,000-operation graph
    this took a third of the instructions out (the EXTENDED_ARG before each far variable)."""
    targets = [line.split(" = ", 1) for line in lines]
    assigned = {t for t, _ in targets}
    uses = [[n for n in _NAME.findall(expr) if n in assigned] for _, expr in targets]
    last: dict[str, int] = {}
    for i, found in enumerate(uses):
        for n in found:
            last[n] = i
    end = len(lines)
    for n in _NAME.findall(returned):
        if n in assigned:
            last[n] = end
    near = max(0, _ONE_BYTE - params - 8)  # how many names fit in one byte (a few to spare)
    slot: dict[str, str] = {}
    free: list[str] = []
    free_near: list[str] = []
    count = count_near = 0
    out = []
    for i, ((target, expr), found) in enumerate(zip(targets, uses, strict=True)):
        if found:
            expr = _NAME.sub(lambda m: slot.get(m.group(0), m.group(0)), expr)
        for n in found:
            if last[n] == i and n != target and n in slot:
                dead = slot.pop(n)
                (free_near if dead.startswith("_s") else free).append(dead)
        found_name = slot.get(target)
        if found_name is not None:
            name = found_name
        else:
            dies = last.get(target, -1)
            if dies <= i:
                name = "_"  # never read: computed (as the IEEE function does) and dropped
            else:
                if dies - i <= near and (free_near or count_near < near):
                    if free_near:
                        name = free_near.pop()
                    else:
                        count_near += 1
                        name = f"_s{count_near}"
                elif free:
                    name = free.pop()
                else:
                    count += 1
                    name = f"_v{count}"
                slot[target] = name
        out.append(f"{name} = {expr}")
    if count_near:
        out.insert(0, " = ".join([*(f"_s{k}" for k in range(1, count_near + 1)), "0.0"]))
    returned = _NAME.sub(lambda m: slot.get(m.group(0), m.group(0)), returned)
    return out, returned


def names_of(nodes: Iterable[Value], names: _Names) -> list[str]:
    return [names[n] for n in nodes]


def _tuple(items: list[str]) -> str:
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


def _strong_zero_used(lines: list[str]) -> set[str]:
    """The special partials written in as constants (a masked zero, an overflowed reciprocal of
    a constant), whose helpers the program needs although no rule called them on a variable."""
    found = {"STRONG_ZERO"} if any("STRONG_ZERO" in line for line in lines) else set()
    if any("reciprocal(" in line for line in lines):
        found.add("reciprocal")
    return found


def _where_used(lines: list[str]) -> set[str]:
    return {"where"} if any("where(" in line for line in lines) else set()


def source(
    root: Value, wrt: Sequence[Value] | None = None, inputs: Sequence[Value] = (),
    lang: str = "en",
) -> str:
    """The program's source for the graph behind `root` (what ``kuibu ... --code`` prints), its
    comments in `lang` ("en" or "zh")."""
    return codegen(root, wrt, inputs, lang=lang).source


def _listed(items: list[str]) -> str:
    """Names for a comment: all of a few, the first and last of many."""
    if len(items) <= 6:
        return ", ".join(items) or "-"
    return f"{', '.join(items[:3])}, …, {items[-1]} ({len(items):,})"
