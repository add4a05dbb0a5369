"""Writing numbers and local derivatives: the one writer behind every view of a graph.

A drawing's edge, a factor of `explain`, a row of `backward_steps` and the explorer's panel all
write an edge's local derivative ∂node/∂input the same way, through `PartialWriter`: the rule
table's partial text (`autograd.ops`) with the graph's names put in for x, y and out, numbers
folded and powers simplified, so ∂(x²)/∂x reads ``2·x`` and ∂(t − out)²/∂(t − out) reads
``2·(t − out)``, never ``2·x^(2 − 1)``. Simplifying only folds numbers (2 − 1 is 1, x¹ is x,
0.5·2 is 1), so the written formula, read back by `autograd.formula`, gives the recorded partial.

>>> from autograd import Naming, Value, topological_order
>>> out = Value(0.75, label="out_o1")
>>> E = (0.01 - out) ** 2
>>> writer = PartialWriter(Naming(topological_order(E)))
>>> writer.formula(E, 0)               # ∂E/∂(0.01 − out_o1): the pow rule's y·x^(y − 1)
'2·(0.01 − out_o1)'
>>> writer.line(E, 0, digits=4)        # as a drawing labels the edge
'∂n2/∂n1 = 2·(0.01 − out_o1) = −1.48'
>>> number(-0.25), number(2 / 3, digits=4), number(float("inf"), "python")
('−0.25', '0.6667', 'inf')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from autograd.export import Naming, input_names, node_formula, partial_text
from autograd.formula import (
    FLOAT_ALGEBRA,
    evaluate,
    functions,
    name_text,
    number_text,
    opaque_call,
    parse,
    text_algebra,
)
from autograd.value import Value

__all__ = ["Edge", "PartialWriter", "Term", "is_number", "number", "recorded_partial"]

#: A written formula and its precedence (as `autograd.formula.text_algebra` makes them).
Text = tuple[str, int]
#: One edge of a graph: a node and the position of one of its inputs (a Value).
Edge = tuple[Value, int]
#: Significant digits a folded coefficient keeps: enough for every number a user types, few
#: enough that 0.1·3 is written 0.3, not 0.30000000000000004.
COEFFICIENT_DIGITS = 12


def number(v: float, style: str = "unicode", digits: int | None = None) -> str:
    """A number as every view writes it: in a formula (``digits=None``) the shortest text that
    reads back to exactly `v`; beside a formula, `digits` significant digits. `style` is
    "unicode" (the minus sign −, ∞, NaN), "python" or "plain" (-, inf, nan) or "latex"."""
    return number_text(v, style, digits)


def is_number(text: str) -> bool:
    """True when a written formula is a number alone (``1``, ``−0.5``, ``∞``): a line then
    gives the number once, not ``∂a/∂b = 1 = 1``.

    >>> is_number("−0.5"), is_number("(−2)"), is_number("2·x"), is_number("1e−07")
    (True, True, False, True)
    """
    plain = text.strip("()").replace("−", "-").replace("∞", "inf").replace(r"\infty", "inf")
    try:
        float(plain.replace(r"\mathrm{NaN}", "nan"))
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Term:
    """A product: a number times written factors (each factor an opaque formula)."""

    coef: float
    factors: tuple[Text, ...] = ()


#: Operations on numbers alone that are folded into one number (2 − 1 is 1); a function of a
#: number stays written (log(2), not 0.69314718056).
_FOLDED = frozenset({"add", "sub", "div", "pow", "gt", "lt", "ge", "le"})


def _rounded(v: float) -> float:
    return float(f"{v:.{COEFFICIENT_DIGITS}g}")


class _TermAlgebra:
    """An algebra over `Term`: numbers fold and products gather; the rest is written as text."""

    def __init__(self, style: str) -> None:
        self.base = text_algebra(style)

    def text(self, m: Term) -> Text:
        b = self.base
        if not m.factors:
            written: Text = b["const"](_rounded(m.coef))
            return written
        body = m.factors[0]
        for f in m.factors[1:]:
            body = b["mul"](body, f)
        c = abs(m.coef)
        if c != 1.0:
            body = b["mul"](b["const"](_rounded(c)), body)
        return b["neg"](body) if m.coef < 0 else body

    def opaque(self, t: Text) -> Term:
        return Term(1.0, (t,))

    def algebra(self) -> dict[str, Callable[..., Any]]:
        b = self.base

        def const(v: float) -> Term:
            return Term(v)

        def mul(x: Term, y: Term) -> Term:
            coef = x.coef * y.coef
            return Term(coef, x.factors + y.factors if coef else ())

        def neg(x: Term) -> Term:
            return Term(-x.coef, x.factors)

        def numeric(name: str) -> Callable[..., Term]:
            def fn(*args: Term) -> Term:
                if all(not a.factors for a in args) and name in _FOLDED:
                    return Term(FLOAT_ALGEBRA[name](*[a.coef for a in args]))
                first, second = args[0], args[-1]
                if name == "add" and not first.factors and first.coef == 0.0:
                    return second
                if name in ("add", "sub") and not second.factors and second.coef == 0.0:
                    return first
                if name == "sub" and not first.factors and first.coef == 0.0:
                    return neg(second)
                if name == "div" and not second.factors and second.coef != 0.0:
                    return Term(first.coef / second.coef, first.factors)
                if name == "div" and not first.factors:
                    # 0.5 / out, not 0.5·(1 / out); the sign stays outside: −out / y.
                    inner = b["div"](b["const"](_rounded(abs(first.coef))), self.text(second))
                    return Term(-1.0 if first.coef < 0 else 1.0, (inner,))
                if name == "div" and first.coef != 1.0:
                    inner = b["div"](self.text(Term(1.0, first.factors)), self.text(second))
                    return Term(first.coef, (inner,))
                if name == "pow" and not second.factors:
                    if second.coef == 1.0:  # x¹ is x: the power rule's 2·x^(2 − 1) is 2·x
                        return first
                    if second.coef == 0.0:
                        return Term(1.0)
                return self.opaque(b[name](*[self.text(a) for a in args]))
            return fn

        algebra: dict[str, Callable[..., Any]] = {"const": const, "mul": mul, "neg": neg}
        for name in ("add", "sub", "div", "pow", *functions(), "gt", "lt", "ge", "le"):
            algebra[name] = numeric(name)

        def if_(cond: Term, x: Term, y: Term) -> Term:
            if not cond.factors:
                return x if cond.coef else y
            return self.opaque(b["if"](self.text(cond), self.text(x), self.text(y)))

        algebra["if"] = if_
        return algebra


class PartialWriter:
    """Writes the local derivatives of a graph's edges in one style, in the graph's names.

    `naming` is the graph's `Naming` (its labels, inline formulas and n-names); `style` is
    "unicode", "python" or "latex". `rename` (optional) gives the name to write for a labelled
    node in place of its label (a drawing writes ``w0`` inside the box of ``layer1.neuron2``);
    the choice of which unlabelled nodes are written inline stays the naming's, so every view
    names the same nodes.
    """

    def __init__(
        self, naming: Naming, style: str = "unicode",
        rename: Callable[[Value], str] | None = None,
    ) -> None:
        self.naming = naming
        self.style = style
        self.terms = _TermAlgebra(style)
        self.algebra = self.terms.algebra()
        self.rename = rename
        #: texts this writer wrote itself (only with `rename`); else the naming's are read
        self._own: dict[int, Text] = {}
        self._texts: Mapping[int, Text] = self._own if rename is not None else naming.texts(style)
        self._base = text_algebra(style)
        self._names: dict[int, str] = {}
        # Each rule's input names -> their positions (a neuron's Σ has dozens of inputs, and a
        # partial uses one or two of them: only those are written).
        self._positions: dict[tuple[str, ...], dict[str, int]] = {}

    # -- names -------------------------------------------------------------------------------

    def name(self, node: Value) -> str:
        """The node's name in this writer: its (renamed) label, or its n-name."""
        if node.label and self.rename is not None:
            known = self._names.get(id(node))
            if known is None:
                known = self._names[id(node)] = self.rename(node)
            return known
        return self.naming.name(node)

    def text(self, node: Value) -> Text:
        """The node as a formula's atom: its name, or its inline formula (as the naming says)."""
        known = self._texts.get(id(node))
        if known is not None:
            return known
        # Only with `rename`: written on demand, inputs first, from the naming's choices.
        pending = [node]
        while pending:
            n = pending[-1]
            if id(n) in self._texts:
                pending.pop()
                continue
            inline = not n.label and n.rule is not None and id(n) not in self.naming.named
            missing = [x for x in n.inputs if isinstance(x, Value) and id(x) not in self._texts]
            if inline and missing:
                pending.extend(missing)
                continue
            pending.pop()
            if inline:
                self._own[id(n)] = node_formula(
                    n, self._own, self._base, lambda f: opaque_call(f, self.style))
            else:
                self._own[id(n)] = name_text(self.name(n), self.style)
        return self._texts[id(node)]

    # -- derivatives -------------------------------------------------------------------------

    def term(self, node: Value, i: int) -> Term:
        """∂node/∂input_i as a `Term`: the rule's partial text over the inputs' formulas."""
        if node.rule is None:
            raise ValueError(f"PartialWriter: {node!r} is a leaf; it has no inputs")
        names = input_names(node)
        positions = self._positions.get(names)
        if positions is None:
            positions = self._positions[names] = {name: k for k, name in enumerate(names)}
        written = parse(partial_text(node, i))
        variables: dict[str, Term] = {}
        for name in written.names:
            if name == "out":
                variables[name] = self.terms.opaque(self.text(node))
                continue
            x = node.inputs[positions[name]]
            variables[name] = self.terms.opaque(self.text(x)) if isinstance(x, Value) else Term(x)
        result: Term = evaluate(written, variables, self.algebra)
        return result

    def written(self, term: Term) -> str:
        """A term as text."""
        return str(self.terms.text(term)[0])

    def formula(self, node: Value, i: int) -> str:
        """∂node/∂input_i written out: ``2·(0.01 − out_o1)``, ``out·(1 − out)``, ``1``."""
        return self.written(self.term(node, i))

    def sum_of_products(self, subpaths: Sequence[Sequence[Edge]]) -> str:
        """Σ over sub-paths of the product of their edges' partials, like terms gathered (the
        factor between two named nodes of a path, through unnamed ones)."""
        terms: dict[tuple[Text, ...], float] = {}
        for sub in subpaths:
            m = Term(1.0)
            for node, i in sub:
                p = self.term(node, i)
                m = Term(m.coef * p.coef, m.factors + p.factors)
            key = m.factors if m.coef else ()
            terms[key] = terms.get(key, 0.0) + m.coef
        parts = [(c, f) for f, c in terms.items() if c != 0.0]
        if not parts:
            return "0"
        out = self.written(Term(parts[0][0], parts[0][1]))
        minus = "−" if self.style == "unicode" else "-"
        for c, f in parts[1:]:
            t = self.written(Term(abs(c), f))
            out += f" {minus} {t}" if c < 0 else f" + {t}"
        return out

    def line(self, node: Value, i: int, value: float | None = None, digits: int = 6) -> str:
        """``∂top/∂bottom = formula = number``: the edge from input i into `node` as a line,
        with the recorded partial (or `value`) to `digits` significant digits; the formula is
        left out when it is a number already."""
        x = node.inputs[i]
        if not isinstance(x, Value):
            raise ValueError(f"PartialWriter.line: input {i} of {node!r} is a constant, {x!r}")
        if value is None:
            value = recorded_partial(node, i)
        formula = self.formula(node, i)
        shown = "" if is_number(formula) else f" = {formula}"
        return f"∂{self.name(node)}/∂{self.name(x)}{shown} = {number(value, self.style, digits)}"


def recorded_partial(node: Value, i: int) -> float:
    """The partial the engine recorded for input i of `node` (a Value input)."""
    k = sum(1 for x in node.inputs[:i] if isinstance(x, Value))
    return node.partials[k]

