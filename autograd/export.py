"""The recorded graph as a formula: equations in text or LaTeX, and sympy expressions.

Everything here reads the rule table: a node's formula is its rule's ``text`` with the inputs'
formulas put in for x and y, and (in `to_sympy`) each derivative is built by the chain rule from
the rule's ``partial_texts``, so a symbolic check tests the same partials the engine uses.

Unlabelled nodes are written inline inside the formula of the labelled node that uses them; when
an inline formula would grow past a few dozen characters (shared subexpressions can double it at
every step) the node is written by its name and gets an equation. `Naming` gives every unlabelled
node of a graph its name once, ``n1``, ``n2``, … counting them in topological order, so a node has
one name in every view of the graph (equations, explanations, the backward table, drawings); an
unlabelled leaf's equation is its number, so every name a text uses is defined in it.

>>> from autograd import Value
>>> w, x, b = Value(0.5, label="w"), Value(1.5, label="x"), Value(-0.2, label="b")
>>> net = w * x + b
>>> net.label = "net"
>>> out = net.tanh()
>>> out.label = "out"
>>> print(to_text(out))
net = w·x + b
out = tanh(net)
>>> print(to_latex(out))
\\begin{aligned}
\\mathrm{net} &= w \\cdot x + b \\\\
\\mathrm{out} &= \\tanh\\left(\\mathrm{net}\\right)
\\end{aligned}
"""

from __future__ import annotations

import functools
import importlib
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from autograd.formula import (
    Formula,
    evaluate,
    functions,
    name_text,
    number_text,
    opaque_call,
    parse,
    text_algebra,
)
from autograd.functional import renamed
from autograd.graph import chain_rule, topological_order
from autograd.ops import RULES
from autograd.value import Value
from autograd.words import words

__all__ = ["Naming", "SympyForm", "latex_name", "rule_text", "to_latex", "to_sympy", "to_text"]

#: Longest inline formula (in the unicode style) before an unlabelled node gets a name of its own.
INLINE_LIMIT = 40

Text = tuple[str, int]


# LaTeX's special characters in text mode, each written so that it is shown, never obeyed.
_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
    "^": r"\textasciicircum{}", "_": r"\_", "%": r"\%", "~": r"\textasciitilde{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
}


def latex_name(name: str) -> str:
    r"""A name (a label) as LaTeX that shows it and can run nothing: ``w5`` → ``w_{5}``,
    ``out_h1`` → ``\mathrm{out}_{h1}`` when it is letters, digits, ``_`` and ``.`` alone; any
    other as ``\text{…}`` with LaTeX's special characters escaped (a newline is a space, a
    character that cannot be written, a lone surrogate, is U+FFFD).

    >>> latex_name("out_h1"), latex_name(r"\input{/etc/passwd}")
    ('\\mathrm{out}_{h1}', '\\text{\\textbackslash{}input\\{/etc/passwd\\}}')
    """
    if name and all(ch.isalnum() or ch in "_." for ch in name):
        return name_text(name, "latex")[0]
    return r"\text{" + "".join(_latex_char(ch) for ch in name) + "}"


def _latex_char(ch: str) -> str:
    if ch in _LATEX_SPECIALS:
        return _LATEX_SPECIALS[ch]
    if ch.isprintable():
        return ch
    return " " if ch.isspace() else "\ufffd"


def name_atom(name: str, style: str) -> Text:
    """A name as an atom of `text_algebra(style)`: LaTeX's is `latex_name`, safe for any label."""
    if style == "latex":
        return latex_name(name), name_text(name, "latex")[1]
    return name_text(name, style)


def input_names(node: Value) -> tuple[str, ...]:
    """The names the rule's formulas give the node's inputs: x, y (or w0, x0, ..., b)."""
    assert node.rule is not None
    return node.rule.formulas(len(node.inputs))[0]


def value_text(node: Value) -> str:
    """The rule's formula for the node's value, over `input_names`."""
    assert node.rule is not None
    return node.rule.formulas(len(node.inputs))[1]


def partial_text(node: Value, i: int) -> str:
    """The rule's formula for ∂node/∂input_i, over `input_names` and out."""
    assert node.rule is not None
    return node.rule.formulas(len(node.inputs))[2][i]


def user_call_name(node: Value) -> str:
    """The name a user operation's node (micrograd style, ``Value(s, (x,), 'sigmoid')``) is
    written with: its op text when that is a name, else ``user_op``."""
    assert node.rule is not None
    op = node.rule.micrograd or node.rule.name
    return op if op.isidentifier() else "user_op"


def user_note(node: Value, lang: str = "en") -> str:
    """The note that says a node's operation is the user's own, its partials recorded numbers."""
    assert node.rule is not None
    table = words(lang)
    op = node.rule.micrograd or node.rule.name
    shown = user_call_name(node)
    called = "" if shown == op else table["op_text"].format(op=repr(op))
    return table["user_op"].format(name=shown, called=called)


def user_notes(nodes: list[Value], lang: str = "en") -> list[str]:
    """One `user_note` per user operation among `nodes`, each operation once."""
    notes: list[str] = []
    for n in nodes:
        if n.rule is not None and n.rule.user:
            note = user_note(n, lang)
            if note not in notes:
                notes.append(note)
    return notes


def node_formula(
    node: Value, known: Mapping[int, Any], algebra: Mapping[str, Callable[..., Any]],
    call: Callable[[str], Callable[..., Any]],
) -> Any:
    """The node's value in `algebra`, its inputs as `known` holds them: the rule's formula, or
    for a user operation (whose value kuibu cannot recompute) the opaque call ``call(name)``."""
    assert node.rule is not None
    if node.rule.user:
        return call(user_call_name(node))(*input_values(node, known, algebra).values())
    formula = rule_formula(value_text(node))
    if node.rule.arity == 0:  # a neuron's sum: as long as its inputs are many
        summing = _LazySums(algebra)
        return summing.done(evaluate(formula, input_values(node, known, algebra), summing))
    return evaluate(formula, input_values(node, known, algebra), algebra)


@functools.lru_cache(maxsize=256)
def rule_formula(text: str) -> Formula:
    """A rule's formula text, parsed once: every view reads the same few texts once per node.
    The table's own texts are not limited as a person's input is (a neuron of 4,000 inputs has
    a formula of 60,000 characters); a text parsed once stays valid as the table grows."""
    return parse(text, max_length=len(text), max_nodes=len(text) + 1)


_ALGEBRAS: dict[tuple[str, frozenset[str]], dict[str, Callable[..., Any]]] = {}


def style_algebra(style: str) -> dict[str, Callable[..., Any]]:
    """`text_algebra(style)`, made once per style and state of the rule table (making one
    costs as much as writing a few hundred formulas with it)."""
    key = (style, functions())
    found = _ALGEBRAS.get(key)
    if found is None:
        found = _ALGEBRAS[key] = text_algebra(style)
    return found


def fold_text(op: Callable[[Text, Text], Text], items: list[Text]) -> Text:
    """``op(op(op(a, b), c), ...)`` for a text algebra's + or ·, joined once: built one step at
    a time, each step would copy the whole text so far (the square of its length). Each item is
    written as `op` writes it on its side, read from `op` itself with a placeholder."""
    if len(items) == 1:
        return items[0]
    hole: Text = ("\x00", 1 << 30)  # an atom: never wrapped
    joined, prec = op(hole, hole)
    sep = joined[1:-1]
    first = op(items[0], hole)[0][: -len(sep) - 1]
    rest = [op(hole, t)[0][len(sep) + 1:] for t in items[1:]]
    return (sep.join([first, *rest]), prec)


class _Terms:
    """A sum being gathered (see `_LazySums`)."""

    __slots__ = ("terms",)

    def __init__(self, terms: list[Any]) -> None:
        self.terms = terms


class _LazySums(Mapping[str, Callable[..., Any]]):
    """`algebra` with sums gathered before they are added: the formula of a neuron adds its
    thousands of terms one at a time, and written as text each addition would copy the whole
    sum so far (the square of its length). A text algebra's sum is joined once, in the same
    words; any other algebra adds the terms left to right, as the formula does."""

    def __init__(self, algebra: Mapping[str, Callable[..., Any]]) -> None:
        self.algebra = algebra
        self.add = algebra["add"]

    def __getitem__(self, name: str) -> Callable[..., Any]:
        if name == "add":
            return self._add
        fn = self.algebra[name]
        return lambda *args: fn(*map(self.done, args))

    def __iter__(self) -> Iterator[str]:
        return iter(self.algebra)

    def __len__(self) -> int:
        return len(self.algebra)

    def _add(self, a: Any, b: Any) -> Any:
        if isinstance(a, _Terms):
            a.terms.append(self.done(b))  # evaluate uses each result once: a is ours to grow
            return a
        return _Terms([a, self.done(b)])

    def done(self, x: Any) -> Any:
        if not isinstance(x, _Terms):
            return x
        terms = x.terms
        if all(isinstance(t, tuple) and isinstance(t[0], str) for t in terms):
            return fold_text(self.add, terms)
        if "_sum" in self.algebra:  # an algebra that adds many terms at once (sympy's Add)
            return self.algebra["_sum"](terms)
        return functools.reduce(self.add, terms)


def rule_text(node: Value, inputs: Sequence[str], style: str = "unicode") -> str:
    """The node's rule one step deep, over `inputs` (the text of each input, in order: a name
    or a number), as drawings write a node's equation: ``w5·out_h1``. A user operation is its
    opaque call (``sigmoid(n1)``), a registered rule its formula text.

    >>> from autograd import Value
    >>> w = Value(0.5, label="w")
    >>> rule_text((w * 2.0).tanh(), ["n1"]), rule_text(w * 2.0, ["w", "2"], "python")
    ('tanh(n1)', 'w * 2')
    """
    if node.rule is None:
        raise ValueError(f"rule_text: {node!r} is a leaf; it has no rule")
    names = input_names(node)
    if len(inputs) != len(names):
        raise ValueError(f"rule_text: the node has {len(names)} inputs, not {len(inputs)}")
    atoms = [name_text(t, "unicode") if style == "latex" and _is_number(t) else name_atom(
        t, style) for t in inputs]
    if node.rule.user:
        return str(opaque_call(user_call_name(node), style)(*atoms)[0])
    variables = dict(zip(names, atoms, strict=True))
    return str(evaluate(value_text(node), variables, style_algebra(style))[0])


def _is_number(text: str) -> bool:
    try:
        float(text.replace("−", "-").strip("()"))
    except ValueError:
        return False
    return True


def input_values(
    node: Value, known: Mapping[int, Any], algebra: Mapping[str, Callable[..., Any]]
) -> dict[str, Any]:
    """The rule's input names bound for `algebra`: a Value input to what `known` holds for it
    (by id), a constant input to the algebra's number."""
    names = input_names(node)
    return {
        names[i]: known[id(x)] if isinstance(x, Value) else algebra["const"](x)
        for i, x in enumerate(node.inputs)
    }


class Naming:
    """How a graph's nodes are written: labels, inline formulas, or names ``n1``, ``n2``, ….

    Built once per graph from its topological order (`autograd.topological_order`): each
    unlabelled node, leaf or not, is named ``n<k>`` for k = 1, 2, … in that order (skipping a
    name some label already uses), so the names have no gaps and every view of the graph agrees
    on them. Whether a node is written inline or by its name is chosen in the unicode style and
    kept in every style, so the text and the LaTeX of one report name the same nodes.

    >>> from autograd import Value, topological_order
    >>> x = Value(2.0, label="x")
    >>> y = (x * 3.0 + 1.0).tanh()
    >>> naming = Naming(topological_order(y))
    >>> [naming.name(n) for n in naming.order]
    ['x', 'n1', 'n2', 'n3']
    >>> naming.text(y), naming.text(y, "python")
    ('tanh(x·3 + 1)', 'tanh(x * 3 + 1)')
    """

    def __init__(self, order: list[Value], inline_limit: int = INLINE_LIMIT) -> None:
        self.order = order
        self.index = {id(n): i for i, n in enumerate(order)}
        labelled = [n.label for n in order]  # read once: a property call per node per use adds up
        labels = set(filter(None, labelled))
        self._names: dict[int, str] = {}
        k = 0
        self._every: dict[int, str] = {}  # every node's name, label or n<k>
        for n, label in zip(order, labelled, strict=True):
            if not label:
                k += 1
                while f"n{k}" in labels:
                    k += 1
                self._names[id(n)] = label = f"n{k}"
            self._every[id(n)] = label
        # Unlabelled nodes (leaves included) that are written by a name rather than inline.
        self.named: set[int] = set()
        self._texts: dict[str, Mapping[int, Text]] = {}
        self._written: dict[int, str] = {}  # named nodes' unicode definitions, found on the way
        unicode = style_algebra("unicode")
        inline: dict[int, Text] = {}
        for node, label in zip(order, labelled, strict=True):
            if label:
                inline[id(node)] = name_text(label, "unicode")
                continue
            rule = node.rule
            # Each input takes a character and a sign between: past inline_limit / 2 inputs
            # the formula cannot fit, and is not written just to find that out.
            if rule is not None and 2 * len(node.inputs) - 1 <= inline_limit:
                t = node_formula(node, inline, unicode, _opaque("unicode"))
                self._written[id(node)] = t[0]  # its definition: written once, kept
                if len(t[0]) <= inline_limit:
                    inline[id(node)] = t
                    continue
            self.named.add(id(node))
            inline[id(node)] = name_text(self._names[id(node)], "unicode")
        self._texts["unicode"] = inline

    def name(self, node: Value) -> str:
        """The node as every view names it: its label, or its ``n<k>`` name."""
        return self._every.get(id(node)) or node.label

    def unlabelled_leaves(self) -> list[Value]:
        """Leaves without a label, in topological order."""
        return [n for n in self.order if n.is_leaf and not n.label]

    def texts(self, style: str) -> Mapping[int, Text]:
        """Each node's formula in `style`, by id: a label, an inline formula or a name.

        Other styles than unicode are written when a node's text is first asked for (a view
        usually needs a few of them); an inline formula's inputs are a few nodes deep at most.
        """
        if style not in self._texts:
            self._texts[style] = _StyleTexts(self, style)
        return self._texts[style]

    def text(self, node: Value, style: str = "unicode") -> str:
        """The node's formula in `style` (its label when it has one)."""
        return self.texts(style)[id(node)][0]

    def definition(self, node: Value, style: str = "unicode") -> str:
        """The right-hand side of the node's equation: its rule over its inputs' formulas (a
        leaf's: its number, written so that it reads back exactly)."""
        rule = node.rule
        if rule is None:
            return number_text(node.data, style)
        if style == "unicode" and id(node) in self._written:
            return self._written[id(node)]
        t = node_formula(node, self.texts(style), style_algebra(style), _opaque(style))
        return str(t[0])

    def defined(self) -> list[Value]:
        """Nodes that get an equation, inputs first: unlabelled leaves (their numbers) and
        labelled or named operation nodes."""
        return [
            n for n in self.order
            if (n.rule is None and not n.label)
            or (n.rule is not None and (n.label or id(n) in self.named))
        ]


class _StyleTexts(Mapping[int, Text]):
    """A naming's texts in one style, each written when first asked for (see `Naming.texts`)."""

    def __init__(self, naming: Naming, style: str) -> None:
        self.naming = naming
        self.style = style
        self.algebra = style_algebra(style)
        self.opaque = _opaque(style)
        self.done: dict[int, Text] = {}

    def __getitem__(self, key: int) -> Text:
        found = self.done.get(key)
        if found is not None:
            return found
        naming = self.naming
        node = naming.order[naming.index[key]]  # a KeyError for a node outside the graph
        if node.label:
            text = name_atom(node.label, self.style)
        elif key in naming.named or node.rule is None:
            text = name_atom(naming._names[key], self.style)
        else:  # inline: its inputs are names or short inline formulas themselves
            text = node_formula(node, self, self.algebra, self.opaque)
        self.done[key] = text
        return text

    def __iter__(self) -> Iterator[int]:
        return iter(self.naming.index)

    def __len__(self) -> int:
        return len(self.naming.index)


def _opaque(style: str) -> Callable[[str], Callable[..., Any]]:
    return lambda name: opaque_call(name, style)


def _equations(output: Value, style: str) -> list[tuple[str, str]]:
    if not isinstance(output, Value):
        raise TypeError(f"the output must be a Value, not {type(output).__name__}: {output!r}")
    naming = Naming(topological_order(output))
    nodes = naming.defined()
    if not nodes or nodes[-1] is not output:
        nodes.append(output)  # an unlabelled output still gets its line
    return [(name_atom(naming.name(n), style)[0], naming.definition(n, style)) for n in nodes]


@renamed(output="root")
def to_text(root: Value, style: str = "unicode") -> str:
    """The graph behind `root` as equations, one per labelled node, inputs first.

    `style` is "unicode" (w·x + b) or "python" (w * x + b).
    """
    if style not in ("unicode", "python"):
        raise ValueError(f"style must be 'unicode' or 'python' (see to_latex), not {style!r}")
    return "\n".join(f"{left} = {right}" for left, right in _equations(root, style))


@renamed(output="root")
def to_latex(root: Value, wrt: Any = None) -> str:
    """The graph behind `root` as LaTeX equations (an ``aligned`` block), inputs first.

    With `wrt` (a leaf, a label, or a list of them) the derivatives of the root follow, built
    by `to_sympy` (this part needs sympy: ``pip install 'kuibu[sympy]'``).
    """
    lines = [f"{left} &= {right}" for left, right in _equations(root, "latex")]
    if wrt is not None:
        sympy = _import_sympy("to_latex(..., wrt=...)")
        form = to_sympy(root, wrt)
        top = latex_name(root.label or "f")
        names = {sym: latex_name(label) for label, sym in form.symbols.items()}
        for label, d in form.derivatives.items():
            bottom = latex_name(label)
            written = sympy.latex(d, symbol_names=names)  # labels escaped as everywhere else
            lines.append(rf"\frac{{\partial {top}}}{{\partial {bottom}}} &= {written}")
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


# -- sympy -------------------------------------------------------------------------------------


def _import_sympy(what: str) -> Any:
    try:
        sympy = importlib.import_module("sympy")
    except ImportError:
        raise ImportError(
            f"{what} needs sympy, which is not installed; install it with "
            "pip install 'kuibu[sympy]'"
        ) from None
    return sympy


def sympy_algebra(sympy: Any, rational: bool = True) -> dict[str, Callable[..., Any]]:
    """An algebra (see `autograd.formula.evaluate`) whose numbers are sympy expressions.

    With `rational`, constants become exact rationals (0.5 → 1/2, 0.01 → 1/100, from their
    shortest decimal form), so ``simplify(hand - engine)`` can reach 0 exactly.
    """

    def const(v: float) -> Any:
        if rational and math.isfinite(v):
            return sympy.Rational(repr(float(v)))
        if math.isnan(v):
            return sympy.nan
        return sympy.Float(v) if math.isfinite(v) else (sympy.oo if v > 0 else -sympy.oo)

    def sigmoid(x: Any) -> Any:
        return 1 / (1 + sympy.exp(-x))

    algebra: dict[str, Callable[..., Any]] = {
        "const": const,
        "add": lambda x, y: x + y,
        "sub": lambda x, y: x - y,
        "mul": lambda x, y: x * y,
        "div": lambda x, y: x / y,
        "pow": lambda x, y: x**y,
        "neg": lambda x: -x,
        "abs": sympy.Abs,
        "exp": sympy.exp,
        "log": sympy.log,
        "sqrt": sympy.sqrt,
        "sin": sympy.sin,
        "cos": sympy.cos,
        "tan": sympy.tan,
        "max": sympy.Max,
        "tanh": sympy.tanh,
        "sigmoid": sigmoid,
        "softplus": lambda x: sympy.log(1 + sympy.exp(x)),
        "relu": lambda x: sympy.Piecewise((x, x > 0), (0, True)),
        "leaky_relu": lambda x, y: sympy.Piecewise((x, x > 0), (y * x, True)),
        "linear": lambda *a: sum((a[k] * a[k + 1] for k in range(0, len(a) - 1, 2)), a[-1]),
        "_sum": lambda terms: sympy.Add(*terms),  # a neuron's many terms at once
        # step(0) = 0 and sign(0) = 0, the table's conventions at the kinks.
        "step": lambda x: sympy.Heaviside(x, 0),
        "sign": sympy.sign,
        "gt": lambda a, b: a > b,
        "lt": lambda a, b: a < b,
        "ge": lambda a, b: a >= b,
        "le": lambda a, b: a <= b,
        "if": lambda cond, a, b: sympy.Piecewise((a, cond), (b, True)),
    }
    for name in set(RULES) - set(algebra):  # a registered rule: built from its formula text
        algebra[name] = _from_text(RULES[name], algebra)
    return algebra


def _from_text(rule: Any, algebra: Mapping[str, Callable[..., Any]]) -> Callable[..., Any]:
    """A registered rule's sympy function: its value's formula text over x (and y)."""
    names, text, _ = rule.formulas(rule.arity)
    formula = parse(text)

    def fn(*args: Any) -> Any:
        return evaluate(formula, dict(zip(names, args, strict=True)), algebra)

    return fn


@dataclass(frozen=True)
class SympyForm:
    """`to_sympy`'s result: the output and its derivatives as sympy expressions of the leaves."""

    expr: Any  #: the output as a sympy expression
    derivatives: dict[str, Any]  #: ∂output/∂leaf by the leaf's label, from the table's partials
    symbols: dict[str, Any]  #: each leaf's sympy Symbol by label
    values: dict[Any, float]  #: each Symbol's current number, for ``expr.subs(form.values)``

    def evaluate(self, expr: Any) -> float:
        """An expression of these symbols at the leaves' current values, as a float."""
        return float(expr.subs(self.values).evalf())


def _wanted_leaves(output: Value, naming: Naming, wrt: Any) -> list[Value]:
    leaves = [n for n in naming.order if n.is_leaf]
    if wrt is None:
        return leaves
    items = [wrt] if isinstance(wrt, (Value, str)) else list(wrt)
    chosen: list[Value] = []
    by_label = {n.label: n for n in leaves if n.label}
    for item in items:
        if isinstance(item, str):
            if item not in by_label:
                known = ", ".join(sorted(by_label)) or "none"
                raise ValueError(
                    f"to_sympy: no leaf labelled {item!r} in the graph of "
                    f"{naming.name(output)} (leaf labels: {known})"
                )
            chosen.append(by_label[item])
        elif isinstance(item, Value):
            if id(item) not in naming.index:
                raise ValueError(
                    f"to_sympy: {item!r} is not in the graph of {naming.name(output)}; "
                    "the output does not depend on it"
                )
            if not item.is_leaf:
                raise ValueError(
                    f"to_sympy: {naming.name(item)} is made by {item.op}, not a leaf; the "
                    "expressions are written in the leaves, so derivatives are taken with "
                    "respect to leaves"
                )
            chosen.append(item)
        else:
            raise TypeError(f"to_sympy: wrt must hold Values or labels, not {item!r}")
    return chosen


@renamed(output="root")
def to_sympy(root: Value, wrt: Any = None, rational: bool = True) -> SympyForm:
    """The root and ∂root/∂leaf as sympy expressions, leaves as symbols named by labels.

    Each derivative is accumulated backward through the recorded graph from the rule table's
    partial texts (not by sympy's own differentiation), so comparing it with a hand-derived
    formula checks the hand formula against the engine: ``sympy.simplify(hand - d) == 0``.
    `wrt` is a leaf, a label or a list of them (default: every leaf). Unlabelled leaves are
    named ``n<index>``; two leaves with one label are an error (they would be one symbol).
    Needs sympy (``pip install 'kuibu[sympy]'``).
    """
    sympy = _import_sympy("to_sympy")
    if not isinstance(root, Value):
        raise TypeError(f"to_sympy: the output must be a Value, not {type(root).__name__}")
    order = topological_order(root)
    deepest = depth(order)
    if deepest > MAX_SYMPY_DEPTH:
        raise ValueError(
            f"to_sympy: the graph of {root.label or 'the output'} is {deepest:,} operations "
            f"deep, more than {MAX_SYMPY_DEPTH}: sympy handles each level of an expression by "
            "recursion and fails (RecursionError) past about 150 nested functions, and its "
            "work grows steeply before that; check a smaller piece of the graph symbolically, "
            "or check this one by numbers (gradcheck, check_partials)"
        )
    try:
        return _to_sympy(sympy, root, order, wrt, rational)
    except RecursionError:
        raise ValueError(
            f"to_sympy: sympy ran out of recursion on the graph of "
            f"{root.label or 'the output'} ({deepest} operations deep); check a smaller "
            "piece of it symbolically, or check it by numbers (gradcheck, check_partials)"
        ) from None


#: Deepest graph `to_sympy` takes, in operations from a leaf to the output (see its error).
MAX_SYMPY_DEPTH = 100


def depth(order: Sequence[Value]) -> int:
    """The most operations on one path from a leaf to the last node of `order` (a
    topological order)."""
    level: dict[int, int] = {}
    deepest = 0
    for n in order:
        d = 1 + max((level[id(p)] for p in n.parents), default=-1) if n.rule else 0
        level[id(n)] = d
        deepest = d
    return deepest


def _to_sympy(
    sympy: Any, output: Value, order: list[Value], wrt: Any, rational: bool
) -> SympyForm:
    naming = Naming(order)
    algebra = sympy_algebra(sympy, rational)
    exprs: dict[int, Any] = {}
    symbols: dict[str, Any] = {}
    values: dict[Any, float] = {}
    owner: dict[str, Value] = {}
    for node in order:
        rule = node.rule
        if rule is None:
            name = naming.name(node)
            if name in owner and owner[name] is not node:
                raise ValueError(
                    f"to_sympy: two different leaves are labelled {name!r} (values "
                    f"{owner[name].data:g} and {node.data:g}); give each leaf its own label"
                )
            owner[name] = node
            sym = sympy.Symbol(name, real=True)
            symbols[name] = sym
            values[sym] = node.data
            exprs[id(node)] = sym
            continue
        exprs[id(node)] = node_formula(node, exprs, algebra, sympy.Function)
    wanted = _wanted_leaves(output, naming, wrt)
    # The engine's reverse sweep, replayed with symbolic partials from the table's formulas.

    bound: dict[int, dict[str, Any]] = {}  # the node being swept: its inputs' expressions

    def symbolic(node: Value, i: int, recorded: float, g: Any) -> Any:
        variables = bound.get(id(node))
        if variables is None:  # the node's first edge: bind its inputs once, not per edge
            bound.clear()
            variables = bound[id(node)] = input_values(node, exprs, algebra)
            variables["out"] = exprs[id(node)]
        return g * evaluate(partial_text(node, i), variables, algebra)

    adjoint = chain_rule(output, sympy.Integer(1), step=symbolic).grads
    derivatives = {naming.name(n): adjoint.get(id(n), sympy.Integer(0)) for n in wanted}
    return SympyForm(exprs[id(output)], derivatives, symbols, values)
