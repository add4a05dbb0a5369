"""The chain rule written out: path by path (`explain`) and step by step (`backward_steps`).

∂output/∂leaf is the sum, over every path from the output down to the leaf, of the product of
the local partials along the path. `explain` lists those paths as a textbook does, grouping the
steps between labelled nodes so a factor reads ∂out_o1/∂net_o1 in the user's own names: a factor
between two labelled nodes is the sum over the sub-paths between them (through unlabelled nodes)
of the products of their partials. Every factor's formula comes from the rule table's partial
texts. Paths are counted before they are listed (they can double at every layer), and past a
limit the explanation switches to the per-node form, δ(n) = ∂output/∂n.

>>> from autograd import Value
>>> w, x = Value(0.5, label="w"), Value(1.5, label="x")
>>> net = w * x
>>> net.label = "net"
>>> out = net.tanh()
>>> out.label = "out"
>>> e = explain(out, w)
>>> print(e)
∂out/∂w = ∂out/∂net · ∂net/∂w
<BLANKLINE>
path 1 of 1: out → net → w
  ∂out/∂net = 1 − out² = 0.596586
  ∂net/∂w = x = 1.5
  product = 0.596586 × 1.5 = 0.894879
<BLANKLINE>
∂out/∂w = 0.894879 (the engine's gradient: 0.894879)
>>> [round(f.value, 6) for f in e.paths[0].factors]
[0.596586, 1.5]
"""

from __future__ import annotations

import difflib
import functools
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd.export import (
    Naming,
    latex_name,
    user_notes,
)
from autograd.formula import (
    number_text,
)
from autograd.functional import grad, renamed
from autograd.graph import chain_rule, edges, topological_order
from autograd.largest import largest_paths
from autograd.phrases import phrases
from autograd.value import Value
from autograd.words import LANGUAGES, words
from autograd.writing import PartialWriter as _Writer  # every partial's text, written once

__all__ = [
    "BackwardStep",
    "BackwardSteps",
    "Delta",
    "Explanation",
    "Factor",
    "Path",
    "backward_steps",
    "edges",
    "explain",
    "markdown_text",
]

Text = tuple[str, int]
#: One edge of the graph: a node and the index of one of its Value inputs.
Edge = tuple[Value, int]
#: Sub-paths kept per factor to write its formula; past this the factor shows its number only.
MAX_SUBPATHS = 4
#: Steps (edges) of a factor whose formula is written; past this it shows its number only (a
#: product of hundreds of partials on one line helps no reader, and costs a line per edge).
MAX_FACTOR_STEPS = 64


def _number(v: float, style: str = "unicode") -> str:
    """A number of a worked solution: 6 significant digits, the style's minus, ∞ and NaN."""
    return number_text(v, style, digits=6)


def _factor_number(v: float, style: str = "unicode") -> str:
    """A number as a factor of a product: negative ones in parentheses."""
    return f"({_number(v, style)})" if v < 0 else _number(v, style)


def _sum_text(values: list[float], style: str = "unicode") -> str:
    minus = "−" if style == "unicode" else "-"
    text = _number(values[0], style)
    for v in values[1:]:
        text += f" {minus} {_number(-v, style)}" if v < 0 else f" + {_number(v, style)}"
    return text


def fsum(values: Iterable[float]) -> float:
    """An exact sum of floats, or IEEE 754's sum when the terms are inf and -inf (nan) or the
    exact sum overflows (±inf), where math.fsum raises."""
    terms = list(values)
    try:
        return math.fsum(terms)
    except (ValueError, OverflowError):
        return sum(terms, 0.0)


def _is_number(text: str) -> bool:
    """True when a formula's text is a number alone (∞, −1.5, NaN), not worth a "= ..." of its
    own beside the number."""
    plain = text.replace("−", "-").replace("∞", "inf").replace(r"\infty", "inf")
    try:
        float(plain.replace(r"\mathrm{NaN}", "nan"))
    except ValueError:
        return False
    return True


# -- explain -----------------------------------------------------------------------------------


@dataclass
class Factor:
    """∂top/∂bottom between two consecutive named nodes of a path, with its number."""

    top: str  #: the upper node's name (its label, or n<k>)
    bottom: str
    value: float  #: the factor's number: Σ over sub-paths of the product of partials
    #: from the rule table in the user's names; None past MAX_SUBPATHS sub-paths or
    #: MAX_FACTOR_STEPS steps
    formula: str | None
    steps: int  #: edges folded into the factor (1 when top uses bottom directly)
    subpaths: int  #: how many sub-paths from top to bottom (through unlabelled nodes)
    #: writes the formula in another style ("latex", "python") when it is first asked for
    write: Callable[[str], str | None] | None = field(default=None, repr=False, compare=False)

    @functools.cached_property
    def latex_formula(self) -> str | None:
        """The formula in LaTeX."""
        return self.write("latex") if self.write is not None else None

    @functools.cached_property
    def python_formula(self) -> str | None:
        """The formula in Python's syntax (ASCII)."""
        return self.write("python") if self.write is not None else None

    def symbol(self) -> str:
        """The factor as written in a chain: ∂top/∂bottom."""
        return f"∂{self.top}/∂{self.bottom}"

    def styled(self, style: str) -> str | None:
        """The formula in `style`: "unicode", "python" or "latex"."""
        if style == "unicode":
            return self.formula
        if style == "python":
            return self.python_formula
        if style == "latex":
            return self.latex_formula
        raise ValueError(f"style must be 'unicode', 'python' or 'latex', not {style!r}")

    def line(self, style: str = "unicode") -> str:
        """∂top/∂bottom = formula = value, the formula left out when it is a number itself."""
        formula = self.styled(style)
        shown = f" = {formula}" if formula is not None and not _is_number(formula) else ""
        return f"{self.symbol()}{shown} = {_number(self.value, style)}"

    def to_dict(self, style: str = "unicode") -> dict[str, Any]:
        """name (∂top/∂bottom), top, bottom, formula (in `style`), latex, value, steps,
        subpaths."""
        return {"name": self.symbol(), "top": self.top, "bottom": self.bottom,
                "formula": self.styled(style), "latex": self.latex_formula,
                "value": self.value, "steps": self.steps, "subpaths": self.subpaths}


@dataclass
class Path:
    """One path from the output to the leaf: its factors and their product."""

    nodes: list[str]
    factors: list[Factor]
    product: float

    def to_dict(self, style: str = "unicode") -> dict[str, Any]:
        """nodes (names, output first), factors (see `Factor.to_dict`), product."""
        return {"nodes": list(self.nodes), "factors": [f.to_dict(style) for f in self.factors],
                "product": self.product}


@dataclass
class Delta:
    """δ(node) = ∂output/∂node in the per-node form, and the terms it is gathered from."""

    node: str
    value: float
    terms: list[tuple[str, Factor]]  #: (the user's name, the factor ∂user/∂node)

    def to_dict(self, style: str = "unicode") -> dict[str, Any]:
        """node, value, and terms: each user's name and the factor ∂user/∂node."""
        return {"node": self.node, "value": self.value,
                "terms": [{"user": u, "factor": f.to_dict(style)} for u, f in self.terms]}


# Characters that make Markdown (CommonMark, GitHub's tables, math extensions) or raw HTML,
# each written so that it is shown: < and & as HTML entities, the rest after a backslash.
_MARKDOWN = {"\\": "\\\\", "`": "\\`", "*": "\\*", "[": "\\[", "]": "\\]", "|": "\\|",
             "$": "\\$", "~": "\\~", "<": "&lt;", "&": "&amp;"}


def markdown_text(text: str) -> str:
    r"""`text` (a name, a formula, a note) safe inside a line of Markdown: shown as it is, never
    read as markup or HTML. An _ inside a word (out_h1) stays, as Markdown leaves it; one at a
    word's edge is escaped. A line break is a space; a character that cannot be written (a
    lone surrogate) is U+FFFD.

    >>> markdown_text("<script>x</script> | out_h1 | _w_")
    '&lt;script>x&lt;/script> \\| out_h1 \\| \\_w\\_'
    """
    out: list[str] = []
    last = len(text) - 1
    for k, ch in enumerate(text):
        if ch in _MARKDOWN:
            out.append(_MARKDOWN[ch])
        elif ch == "_":
            inside = 0 < k < last and text[k - 1].isalnum() and text[k + 1].isalnum()
            out.append("_" if inside else "\\_")
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(" " if ch.isspace() else "\ufffd")
    return "".join(out)


def _check_style(style: str) -> None:
    if style not in ("unicode", "python"):
        raise ValueError(f"style must be 'unicode' or 'python', not {style!r}")


@dataclass
class Explanation:
    """The chain rule for ∂output/∂leaf, written out; print it, or read the numbers."""

    output: str
    leaf: str
    gradient: float  #: the engine's gradient
    total: float  #: the sum of the path products (or δ of the leaf in the per-node form)
    path_count: int  #: how many paths there are (an int of any size)
    max_paths: int
    paths: list[Path] = field(default_factory=list)  #: empty when there are too many
    deltas: list[Delta] = field(default_factory=list)  #: filled when there are too many paths
    #: name, text, LaTeX of each n-name used (the LaTeX is written when first read)
    legend: list[Sequence[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: the legend's definitions in Python's syntax, by name
    python_legend: Mapping[str, str] = field(default_factory=dict)
    #: `notes` in each other language, by its code (see `autograd.words`)
    translated_notes: dict[str, list[str]] = field(default_factory=dict)
    factor_count: int = 0  #: the factors of all the paths together (an int of any size)
    #: most factors a listing holds (past it, the per-node form); 0: no limit
    max_factors: int = 0
    #: the summary by the largest paths: how many it shows (0: not a summary); `path_count`
    #: then counts every path edge by edge, and `paths` holds the largest, largest first
    largest: int = 0

    @property
    def summary(self) -> bool:
        """True when the explanation is a summary by its largest paths (`explain`'s
        ``largest``), not the whole sum."""
        return self.largest > 0

    @property
    def listed(self) -> bool:
        """True when the paths are listed, False in the per-node (δ) form."""
        if self.largest:
            return False
        return self.path_count <= self.max_paths and not self._too_long()

    def _too_long(self) -> bool:
        """Few enough paths, but too many factors on them to list (the listing would grow
        with the product of the paths and their length, not with the graph)."""
        return bool(self.max_factors) and self.factor_count > self.max_factors

    def _head(self) -> str:
        return f"∂{self.output}/∂{self.leaf}"

    def _single(self) -> bool:
        """One path of at most one factor: the path alone says it all."""
        return self.path_count == 1 and len(self.paths) == 1 and len(self.paths[0].factors) <= 1

    def _summary(self, lang: str = "en") -> str | None:
        w = words(lang)
        head = self._head()
        if self.path_count == 0:
            return w["no_path"].format(head=head, output=self.output, leaf=self.leaf)
        if self._single():
            return None
        if self.path_count == 1 and self.paths:
            return f"{head} = " + " · ".join(f.symbol() for f in self.paths[0].factors)
        if self.listed:
            return w["sum_over"].format(head=head, count=self.path_count)
        if self.path_count <= self.max_paths:
            return phrases(lang)["long_listing"].format(
                head=head, count=self.path_count, factors=self.factor_count,
                output=self.output, leaf=self.leaf, limit=self.max_factors)
        return w["too_many"].format(head=head, count=self.path_count, output=self.output,
                                    leaf=self.leaf, limit=self.max_paths)

    def _engine(self, style: str, lang: str = "en") -> str:
        return words(lang)["engine"].format(value=_number(self.gradient, style))

    def text(self, style: str = "unicode", lang: str = "en") -> str:
        """Plain text, as a textbook writes the chain rule; `style` "python" writes formulas
        in Python's syntax and numbers with ASCII signs (inf, nan). `lang` ("en" or "zh")
        chooses the words around them (`autograd.words`); names, formulas and numbers are the
        same in every language."""
        _check_style(style)
        if self.largest:
            return "\n".join([*self._largest_lines(style, lang), *self._tail(style, lang)])
        w = words(lang)
        summary = self._summary(lang)
        lines = [summary] if summary else []
        if self.listed:
            for k, path in enumerate(self.paths, 1):
                if lines:
                    lines.append("")
                heading = w["path"].format(k=k, count=self.path_count)
                lines.append(heading + " → ".join(path.nodes))
                lines += ["  " + f.line(style) for f in path.factors]
                if len(path.factors) > 1:
                    numbers = " × ".join(_factor_number(f.value, style) for f in path.factors)
                    lines.append(f"  {w['product']} = {numbers} = "
                                 f"{_number(path.product, style)}")
            lines.append("")
            if len(self.paths) > 1:
                terms = _sum_text([p.product for p in self.paths], style)
                lines.append(f"{self._head()} = {terms}")
            lines.append(f"{self._head()} = {_number(self.total, style)}"
                         f"{self._engine(style, lang)}")
        else:
            lines.append("")
            deltas = {d.node: d.value for d in self.deltas}
            for d in self.deltas:
                lines.append(self._delta_line(d, style, deltas))
            lines += ["", f"{self._head()} = δ({self.leaf}) = {_number(self.total, style)}"
                      f"{self._engine(style, lang)}"]
        lines += self._tail(style, lang)
        return "\n".join(lines)

    def share(self, value: float) -> float | None:
        """`value` as a fraction of the engine's gradient (None when the gradient is 0 or not
        finite)."""
        if not self.gradient or not math.isfinite(self.gradient):
            return None
        return value / self.gradient

    def _share_text(self, value: float, lang: str) -> str:
        share = self.share(value)
        if share is None:
            return ""
        percent = f"{share:.1%}".replace("-", "−")  # the minus of the numbers beside it
        return phrases(lang)["largest_share"].format(share=percent)

    def _largest_lines(self, style: str, lang: str, markdown: bool = False) -> list[str]:
        """The summary by the largest paths: the head, each path with its factors, and what
        the paths left out add up to."""
        p = phrases(lang)
        shown = len(self.paths)
        covered = fsum(x.product for x in self.paths)
        rest = self.path_count - shown
        lines = [p["largest_head"].format(head=self._head(), k=shown,
                                          count=_count_text(self.path_count)), ""]
        for k, path in enumerate(self.paths, 1):
            heading = p["largest_path"].format(k=k, shown=shown)
            if markdown:
                lines += [f"**{markdown_text(heading.rstrip(': ：'))}** "
                          + " → ".join(map(markdown_text, path.nodes)), ""]
                lines += [f"| {words(lang)['factor']} | {words(lang)['value']} |", "|---|---:|"]
                lines += [f"| {markdown_text(f.symbol())} | {_number(f.value)} |"
                          for f in path.factors]
                lines += [f"| **{words(lang)['product']}** | **{_number(path.product)}**"
                          f"{self._share_text(path.product, lang)} |", ""]
                continue
            lines.append(heading + " → ".join(path.nodes))
            lines += ["  " + f.line(style) for f in path.factors]
            lines += [f"  {words(lang)['product']} = {_number(path.product, style)}"
                      f"{self._share_text(path.product, lang)}", ""]
        lines.append(p["largest_sum"].format(k=shown, value=_number(covered, style),
                                             share=self._share_text(covered, lang)))
        if rest > 0:
            lines.append(p["largest_rest"].format(
                count=_count_text(rest), value=_number(self.gradient - covered, style),
                share=self._share_text(self.gradient - covered, lang)))
        bold = "**" if markdown else ""
        lines.append(f"{bold}{self._head()} = {_number(self.gradient, style)}{bold}")
        return lines

    def _delta_line(self, d: Delta, style: str, deltas: Mapping[str, float]) -> str:
        if not d.terms:
            return f"δ({d.node}) = 1"
        sym = " + ".join(f"δ({u})·{f.symbol()}" for u, f in d.terms)
        num = " + ".join(
            f"{_factor_number(deltas[u], style)}×{_factor_number(f.value, style)}"
            for u, f in d.terms
        )
        return f"δ({d.node}) = {sym} = {num} = {_number(d.value, style)}"

    def _definitions(self, style: str) -> list[tuple[str, str]]:
        if style == "python":
            return [(e[0], self.python_legend.get(e[0], e[1])) for e in self.legend]
        return [(e[0], e[1]) for e in self.legend]

    def _notes(self, lang: str) -> list[str]:
        return self.notes if lang == "en" else self.translated_notes.get(lang, self.notes)

    def _tail(self, style: str, lang: str = "en") -> list[str]:
        lines: list[str] = []
        if self.legend:
            defined = "; ".join(f"{n} = {t}" for n, t in self._definitions(style))
            lines += ["", f"{words(lang)['where']} " + defined]
        notes = self._notes(lang)
        lines += ["", *notes] if notes else []
        return lines

    def markdown(self, lang: str = "en") -> str:
        """Markdown: a table of factors per path (or of δs); `lang` as in `text`. Every name
        and formula is escaped (`markdown_text`): no label can make markup or raw HTML."""
        w = words(lang)
        md = markdown_text
        if self.largest:
            lines = self._largest_lines("unicode", lang, markdown=True)
            lines[0] = md(lines[0])
            lines[-1] = "**" + md(lines[-1][2:-2]) + "**"
            lines += [md(line) for line in self._tail("unicode", lang)]
            return "\n".join(lines)
        summary = self._summary(lang)
        lines = [md(summary), ""] if summary else []
        if self.listed:
            for k, path in enumerate(self.paths, 1):
                heading = w["path_heading"].format(k=k, count=self.path_count)
                lines += [f"**{md(heading)}** " + " → ".join(map(md, path.nodes)), ""]
                lines += [f"| {w['factor']} | {w['formula']} | {w['value']} |", "|---|---|---:|"]
                for f in path.factors:
                    shown = "" if f.formula is None or _is_number(f.formula) else f.formula
                    lines.append(f"| {md(f.symbol())} | {md(shown)} | {_number(f.value)} |")
                if len(path.factors) > 1:
                    lines.append(f"| **{w['product']}** | | **{_number(path.product)}** |")
                lines.append("")
            lines.append(f"**{md(self._head())} = {_number(self.total)}**"
                         f"{md(self._engine('unicode', lang))}")
        else:
            lines += [f"| {w['node']} | {w['delta_sum']} | {w['value']} |", "|---|---|---:|"]
            for d in self.deltas:
                sym = " + ".join(f"δ({u})·{f.symbol()}" for u, f in d.terms) or w["the_output"]
                lines.append(f"| {md(d.node)} | {md(sym)} | {_number(d.value)} |")
            lines += ["", f"**{md(self._head())} = δ({md(self.leaf)}) = {_number(self.total)}**"
                      f"{md(self._engine('unicode', lang))}"]
        lines += [md(line) for line in self._tail("unicode", lang)]
        return "\n".join(lines)

    def latex(self, lang: str = "en") -> str:
        """LaTeX: an ``aligned`` block with each path's factors and numbers, and a line
        defining each n-name it uses; `lang` as in `text`."""
        w = words(lang)

        def name(n: str) -> str:
            return latex_name(n)

        def frac(top: str, bottom: str) -> str:
            return rf"\frac{{\partial {name(top)}}}{{\partial {name(bottom)}}}"

        def num(v: float) -> str:
            return _number(v, "latex")

        def formula(f: Factor) -> str:
            shown = f.latex_formula is not None and not _is_number(f.latex_formula)
            return f" = {f.latex_formula}" if shown else ""

        head = frac(self.output, self.leaf)
        lines: list[str] = []
        if self.largest:
            head_text = phrases(lang)["largest_latex"].format(
                k=len(self.paths), count=_count_text(self.path_count))
            lines.append(rf"&\text{{{head_text}}}")
            for path in self.paths:
                chain = r" \cdot ".join(frac(f.top, f.bottom) for f in path.factors) or "1"
                lines.append(rf"&\quad {chain} = {num(path.product)}")
            lines.append(rf"{head} &= {num(self.gradient)}")
        elif self.listed and self._single():
            f = self.paths[0].factors[0] if self.paths[0].factors else None
            lines.append(rf"{head} &= {formula(f)[3:] + ' = ' if f and formula(f) else ''}"
                         rf"{num(self.total)}")
        elif self.listed:
            sums: list[str] = []
            for path in self.paths:
                chain = r" \cdot ".join(frac(f.top, f.bottom) for f in path.factors) or "1"
                sums.append(chain)
                if len(path.factors) > 1:
                    numbers = r" \times ".join(
                        f"\\left({num(f.value)}\\right)" if f.value < 0 else num(f.value)
                        for f in path.factors)
                    lines.append(rf"&\quad {chain} = {numbers} = {num(path.product)}")
                else:
                    lines.append(rf"&\quad {chain} = {num(path.product)}")
                for f in path.factors:
                    if formula(f):
                        lines.append(rf"&\qquad {frac(f.top, f.bottom)}{formula(f)}")
            first = rf"{head} &= {' + '.join(sums) or '0'}"
            last = rf"{head} &= {num(self.total)}"
            lines = [first, *lines, last]
        else:
            form = (w["per_node_form"].format(count=self.path_count)
                    if self.path_count > self.max_paths else phrases(lang)[
                        "per_node_factors"].format(count=self.path_count,
                                                   factors=self.factor_count))
            lines.append(rf"&\text{{{form}}}")
            for d in self.deltas:
                terms = " + ".join(
                    rf"\delta_{{{name(u)}}} {frac(f.top, f.bottom)}" for u, f in d.terms)
                summed = f"{terms} = " if terms else ""  # the output's own δ is just 1
                lines.append(rf"\delta_{{{name(d.node)}}} &= {summed}{num(d.value)}")
            lines.append(rf"{head} &= \delta_{{{name(self.leaf)}}} = {num(self.total)}")
        for entry in self.legend:
            n, tex = entry[0], entry[2]
            lines.append(rf"&\text{{{w['where']} }} {name(n)} = {tex}")
        return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"

    def to_dict(self, style: str = "unicode") -> dict[str, Any]:
        """The explanation as JSON-ready structure: paths (their nodes, factors with name,
        formula and value, and product) or the per-node δs, the sum, the engine's gradient, the
        definitions of n-names, and notes. Formulas are in `style` ("unicode" or "python");
        numbers are floats (inf and nan included: a strict JSON writer must spell them)."""
        _check_style(style)
        return {
            "output": self.output,
            "wrt": self.leaf,
            "path_count": self.path_count,
            "listed": self.listed,
            "largest": self.largest,
            "paths": [p.to_dict(style) for p in self.paths],
            "deltas": [d.to_dict(style) for d in self.deltas],
            "sum": self.total,
            "gradient": self.gradient,
            "definitions": dict(self._definitions(style)),
            "notes": list(self.notes),
        }

    def __str__(self) -> str:
        return self.text()


#: Labels an error about a missing label lists before it counts the rest.
LISTED_LABELS = 20


def resolve_node(output: Value, node: Any, order: list[Value], what: str) -> Value:
    """`node` (a Value or a label) as a node of output's graph, or an error in the user's names."""
    inside = {id(n) for n in order}
    out_name = output.label or "the output"
    if isinstance(node, str):
        matches = [n for n in order if n.label == node]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise ValueError(
                f"{what}: {len(matches)} different nodes of the graph of {out_name} are "
                f"labelled {node!r}; pass the Value itself, or give each its own label"
            )
        labels = sorted({n.label for n in order if n.label})
        close = difflib.get_close_matches(node, labels, n=3)
        hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
        # A training step has thousands of labels: the message names a few and counts the rest.
        shown = ", ".join(labels[:LISTED_LABELS]) or "none"
        if len(labels) > LISTED_LABELS:
            shown += f", … and {len(labels) - LISTED_LABELS:,} more"
        raise ValueError(
            f"{what}: no node labelled {node!r} in the graph of {out_name} "
            f"(its labels: {shown}){hint}"
        )
    if not isinstance(node, Value):
        raise TypeError(f"{what}: expected a Value or a label, not {type(node).__name__}: {node!r}")
    if id(node) not in inside:
        name = f"{node.label!r} ({node!r})" if node.label else repr(node)
        raise ValueError(
            f"{what}: {name} is not in the graph of {out_name}: {out_name} was not computed "
            "from it, so its derivative is 0 (was it made after the output, or is it a copy?)"
        )
    return node


@dataclass
class _Link:
    """The grouped factor from one key node down to another, before it is written."""

    bottom: Value
    value: float
    subpaths: list[list[Edge]] | None
    count: int
    steps: int


#: Work a grouped explanation may spend on the unlabelled parts of a graph, in node visits per
#: node of the graph: a big unlabelled part shared by many labelled nodes is walked once for
#: each of them. Past it, every operation is a factor of its own (which costs one visit each).
REGION_VISITS = 8
#: Most factors a listing of paths holds, per node of the graph (with a floor): the listing of
#: a few paths through a long graph would grow with their product; past it, the per-node form.
LISTED_FACTORS = 4
MIN_LISTED_FACTORS = 2_000

#: A sub-path kept backwards as a linked list, ((node, input), the rest), so that extending one
#: costs the same at any depth; None is the empty path.
_Tail = tuple[Edge, Any] | None


class _TooCostlyError(Exception):
    """Grouping the factors between labelled nodes would walk more than the graph's size."""


def _unlink(tail: _Tail) -> list[Edge]:
    path: list[Edge] = []
    while tail is not None:
        edge, tail = tail
        path.append(edge)
    path.reverse()
    return path


def _links(
    top: Value, on: set[int], key: Callable[[Value], bool], index: Mapping[int, int],
    budget: list[int],
) -> list[_Link]:
    """The grouped factors from key node `top` to the key nodes reached through unkeyed ones;
    `budget` holds the node visits left (see `REGION_VISITS`)."""
    region: list[Value] = []
    seen: set[int] = set()
    stack = [top]
    while stack:
        n = stack.pop()
        for _, p, _ in edges(n):
            if id(p) in on and id(p) not in seen and not key(p):
                seen.add(id(p))
                region.append(p)
                stack.append(p)
    budget[0] -= len(region) + 1
    if budget[0] < 0:
        raise _TooCostlyError
    region.sort(key=lambda n: index[id(n)], reverse=True)  # users before their inputs
    value: dict[int, float] = {id(top): 1.0}
    count: dict[int, int] = {id(top): 1}
    tails: dict[int, list[_Tail] | None] = {id(top): [None]}
    depth: dict[int, int] = {id(top): 0}
    found: dict[int, Value] = {}
    for n in [top, *region]:
        if id(n) not in value:
            continue
        mine, above, paths, steps = tails[id(n)], value[id(n)], count[id(n)], depth[id(n)] + 1
        for i, p, d in edges(n):
            pid = id(p)
            if pid not in on:
                continue
            value[pid] = value.get(pid, 0.0) + above * d
            total = count[pid] = count.get(pid, 0) + paths
            if steps > depth.get(pid, 0):
                depth[pid] = steps
            theirs = tails.get(pid, [])
            if mine is None or theirs is None or total > MAX_SUBPATHS:
                tails[pid] = None
            else:
                tails[pid] = [*theirs, *[((n, i), t) for t in mine]]
            if key(p):
                found.setdefault(pid, p)
    bottoms = sorted(found.values(), key=lambda n: index[id(n)])  # the graph's input order
    links = []
    for b in bottoms:
        kept = tails[id(b)]
        subpaths = None if kept is None else [_unlink(t) for t in kept]
        links.append(_Link(b, value[id(b)], subpaths, count[id(b)], depth[id(b)]))
    return links


@renamed(output="root", leaf="wrt")
def explain(
    root: Value, wrt: Value | str, steps: bool = False, max_paths: int = 100,
    largest: int | None = None,
) -> Explanation:
    """∂root/∂wrt written out by the chain rule, path by path, in the user's labels.

    `wrt` is any node of the graph (usually a leaf), or its label. Factors run between
    labelled nodes; ``steps=True`` shows every operation as a factor of its own. With more than
    `max_paths` paths, or more factors on them than the graph has nodes (times
    `LISTED_FACTORS`), the explanation gives the per-node δ form instead of the list. Its cost
    grows with the graph's size, whatever the graph (see `REGION_VISITS`).

    ``largest=k`` gives a summary instead: the k paths (every operation a step) with the
    largest |product of partials|, the share of the gradient they carry, and how many paths
    there are in all, counted, not listed (`autograd.largest`). It is chosen by itself, with
    k = `LARGEST`, when the whole sum would say little: in a graph of more than
    `SUMMARY_NODES` nodes where one factor between labelled nodes gathers more than `max_paths`
    sub-paths (a training step's graph, labelled only at its weights and loss, folds into a
    single factor). ``largest=0`` never summarises.
    """
    if not isinstance(root, Value):
        raise TypeError(f"explain: the output must be a Value, not {type(root).__name__}")
    if largest is not None and (isinstance(largest, bool) or not isinstance(largest, int)
                                or largest < 0):
        raise ValueError(f"explain: largest must be an int >= 0 (the paths to show), not "
                         f"{largest!r}")
    order = topological_order(root)
    target = resolve_node(root, wrt, order, "explain")
    naming = Naming(order)
    index = naming.index
    # The nodes on some path from the root to the target: those computed from the target.
    on = {id(target)}
    for n in order[index[id(target)] + 1:]:
        if any(id(p) in on for p in n.parents):
            on.add(id(n))
    gradient = float(grad(root, target)) if root is not target else 1.0
    if largest:
        return _summarised(root, target, order, on, naming, largest, max_paths, gradient)
    grouped = not steps
    keys, links = _keys_and_links(root, target, order, on, index, grouped)
    if grouped and links is None:  # too costly to group: every operation a factor
        grouped = False
        keys, links = _keys_and_links(root, target, order, on, index, grouped)
    assert links is not None
    # Paths, and the factors on them, counted by dynamic programming, never by listing them.
    paths_below: dict[int, int] = {id(target): 1}
    factors_below: dict[int, int] = {id(target): 0}
    for a in keys:
        if a is not target:
            paths_below[id(a)] = sum(paths_below[id(k.bottom)] for k in links[id(a)])
            factors_below[id(a)] = sum(
                factors_below[id(k.bottom)] + paths_below[id(k.bottom)] for k in links[id(a)])
    path_count = paths_below[id(root)]
    writers = {"unicode": _Writer(naming, "unicode")}  # the others when first asked for
    made: dict[tuple[int, int], Factor] = {}  # each link's factor is written once

    def factor(a: Value, link: _Link, written: bool = True) -> Factor:
        found = made.get((id(a), id(link.bottom)))
        if found is not None:
            return found
        # The per-node form shows each factor's number (its formulas would cost a line per
        # edge of the graph, for no line of the text).
        subpaths = link.subpaths if written and link.steps <= MAX_FACTOR_STEPS else None

        def write(style: str) -> str | None:
            if subpaths is None:
                return None
            if style not in writers:
                writers[style] = _Writer(naming, style)
            return writers[style].sum_of_products(subpaths)

        made[(id(a), id(link.bottom))] = f = Factor(
            naming.name(a), naming.name(link.bottom), link.value, write("unicode"),
            link.steps, link.count, write)
        return f

    result = Explanation(naming.name(root), naming.name(target), gradient, 0.0, path_count,
                         max_paths, factor_count=factors_below[id(root)],
                         max_factors=max(LISTED_FACTORS * len(order), MIN_LISTED_FACTORS))
    if largest is None and len(order) > SUMMARY_NODES and any(
        k.count > max_paths for a in keys if a is not target for k in links[id(a)]
    ):
        return _summarised(root, target, order, on, naming, LARGEST, max_paths, gradient)
    if result.listed:
        _list_paths(result, root, target, links, paths_below, factor, naming)
    else:
        _per_node(result, root, target, keys, links, lambda a, k: factor(a, k, False),
                  naming)
    used = _names_used(result)
    # Every n-name the explanation uses gets a definition (an unlabelled leaf: its number).
    defined = [n for n in order if not n.label and naming.name(n) in used]
    result.legend = [_Definition(naming, n) for n in defined]
    result.python_legend = _PythonLegend(naming, defined)
    on_paths = [n for n in order if id(n) in on and n is not target]
    result.notes, result.translated_notes = [], {}
    short = result.listed and any(f.formula is None for f in made.values())
    for lang in LANGUAGES:
        notes = _unlabelled_notes(naming, used, lang=lang) + user_notes(on_paths, lang)
        if not grouped and not steps:
            notes.append(phrases(lang)["every_step"])
        if short:
            notes.append(phrases(lang)["formula_left_out"].format(limit=MAX_SUBPATHS,
                                                                   steps=MAX_FACTOR_STEPS))
        if lang == "en":
            result.notes = notes
        else:
            result.translated_notes[lang] = notes
    return result


#: The paths a summary shows when `explain` chooses one by itself.
LARGEST = 5
#: Nodes a graph needs before `explain` may choose the summary by itself: below it, a factor
#: folded over many sub-paths is still a small graph's honest answer.
SUMMARY_NODES = 2_000


def _count_text(n: int) -> str:
    """A count of paths: 1,234,567 in full, or 2.80×10^25 past fifteen digits."""
    if n < 10**15:
        return f"{n:,}"
    digits = len(str(n)) - 1
    return f"{n / 10**digits:.2f}×10^{digits}"


def _summarised(root: Value, target: Value, order: list[Value], on: set[int], naming: Naming,
                k: int, max_paths: int, gradient: float) -> Explanation:
    """The explanation as a summary by the k largest paths, every operation a step."""
    found = largest_paths(root, target, k, order, on)
    result = Explanation(naming.name(root), naming.name(target), gradient, 0.0, found.count,
                         max_paths, largest=k)
    writer = _Writer(naming, "unicode")
    for p in found.paths:
        factors = [Factor(naming.name(n), naming.name(x), d,
                          writer.sum_of_products([[(n, i)]]), 1, 1)
                   for n, i, x, d in p.steps]
        result.paths.append(Path([naming.name(n) for n in p.nodes] or [naming.name(root)],
                                 factors, p.product))
    result.total = fsum(p.product for p in result.paths)
    every = len(result.paths) == found.count  # every path shown: the whole sum after all
    for lang in LANGUAGES:
        notes = [] if every else [phrases(lang)["largest_note"].format(k=k, more=2 * k)]
        if lang == "en":
            result.notes = notes
        else:
            result.translated_notes[lang] = notes
    return result


class _Definition(Sequence[str]):
    """(name, text, LaTeX) of one n-name: the LaTeX written when first read."""

    def __init__(self, naming: Naming, node: Value) -> None:
        self.naming, self.node = naming, node
        self.items: list[str | None] = [naming.name(node), naming.definition(node), None]

    def __getitem__(self, i: int) -> str:  # type: ignore[override]
        if self.items[i] is None:
            self.items[i] = self.naming.definition(self.node, "latex")
        return self.items[i]  # type: ignore[return-value]

    def __len__(self) -> int:
        return 3

    def __repr__(self) -> str:
        return repr(tuple(self))


class _PythonLegend(Mapping[str, str]):
    """The legend's definitions in Python's syntax, by name, each written when first read."""

    def __init__(self, naming: Naming, nodes: list[Value]) -> None:
        self.naming = naming
        self.nodes = {naming.name(n): n for n in nodes}
        self.done: dict[str, str] = {}

    def __getitem__(self, name: str) -> str:
        if name not in self.done:
            self.done[name] = self.naming.definition(self.nodes[name], "python")
        return self.done[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)


def _keys_and_links(
    output: Value, target: Value, order: list[Value], on: set[int], index: Mapping[int, int],
    grouped: bool,
) -> tuple[list[Value], dict[int, list[_Link]] | None]:
    """The key nodes (inputs first) and each one's grouped factors; None for the factors when
    grouping would cost more than `REGION_VISITS` visits per node of the graph."""

    keys = [n for n in order if id(n) in on
            and (not grouped or n.label or n is output or n is target)]
    if not grouped:  # every operation a factor: each link is one node's edges into one input
        return keys, {id(a): _direct_links(a, on, index) for a in keys if a is not target}
    key_ids = {id(n) for n in keys}

    def key(n: Value) -> bool:
        return id(n) in key_ids

    budget = [REGION_VISITS * len(order)]
    try:
        links = {id(a): _links(a, on, key, index, budget) for a in keys if a is not target}
    except _TooCostlyError:
        return keys, None
    return keys, links


def _direct_links(top: Value, on: set[int], index: Mapping[int, int]) -> list[_Link]:
    """`_links` when every node is a key: one link per input on a path (``a*a``: one link of
    two sub-paths), without walking any region."""
    by_input: dict[int, _Link] = {}
    for i, p, d in edges(top):
        if id(p) not in on:
            continue
        link = by_input.get(id(p))
        if link is None:
            by_input[id(p)] = _Link(p, 0.0 + d, [[(top, i)]], 1, 1)
        else:  # the same input again: its partials add, as the sweep adds them
            link.value += d
            link.count += 1
            assert link.subpaths is not None
            link.subpaths.append([(top, i)])
    links = list(by_input.values())
    if len(links) > 1:
        links.sort(key=lambda k: index[id(k.bottom)])
    return links


def _list_paths(
    result: Explanation, output: Value, target: Value, links: Mapping[int, list[_Link]],
    paths_below: Mapping[int, int], factor: Callable[[Value, _Link], Factor], naming: Naming,
) -> None:
    """Every path, depth-first over the grouped factors; a path so far is kept backwards as a
    linked list, so going one factor deeper costs the same at any depth."""
    stack: list[tuple[Value, Any]] = [(output, None)]
    while stack:
        node, chain = stack.pop()
        if node is target:
            factors: list[Factor] = []
            while chain is not None:
                f, chain = chain
                factors.append(f)
            factors.reverse()
            names = [naming.name(output), *(f.bottom for f in factors)]
            result.paths.append(Path(names, factors, math.prod(f.value for f in factors)))
            continue
        for link in reversed(links[id(node)]):
            if paths_below[id(link.bottom)]:
                stack.append((link.bottom, (factor(node, link), chain)))
    result.total = fsum(p.product for p in result.paths)


def _per_node(
    result: Explanation, output: Value, target: Value, keys: list[Value],
    links: Mapping[int, list[_Link]], factor: Callable[[Value, _Link], Factor], naming: Naming,
) -> None:
    """The per-node form: δ(n) is the engine's own gradient of n, summed in its order; the
    terms written beside it are the same sum grouped between labelled nodes."""
    sweep = chain_rule(output)
    delta = sweep.grads
    index = naming.index
    terms: dict[int, list[tuple[int, str, Factor]]] = {id(output): []}

    def in_order(node: Value) -> list[tuple[str, Factor]]:
        """The node's terms, its users in the graph's input order."""
        return [(u, f) for _, u, f in sorted(terms.get(id(node), []), key=lambda t: t[0])]

    is_key = {id(a) for a in keys}
    for a in sweep.order:  # users before their inputs: each δ is complete when written
        if id(a) not in is_key or a is target:
            continue
        result.deltas.append(Delta(naming.name(a), delta[id(a)], in_order(a)))
        for link in links[id(a)]:
            b = id(link.bottom)
            terms.setdefault(b, []).append((index[id(a)], naming.name(a), factor(a, link)))
    result.deltas.append(
        Delta(naming.name(target), delta.get(id(target), 0.0), in_order(target))
    )
    result.total = delta.get(id(target), 0.0)


def _names_used(e: Explanation) -> set[str]:
    used = {e.output, e.leaf}
    factors: dict[int, Factor] = {}  # each factor once: paths share them
    for p in e.paths:
        used.update(p.nodes)
        factors.update((id(f), f) for f in p.factors)
    for d in e.deltas:
        used.add(d.node)
        for u, f in d.terms:
            used.add(u)
            factors[id(f)] = f
    for f in factors.values():
        used.update(_words(f.formula or ""))
    return used


_WORD = re.compile(r"\w+")


def _words(text: str) -> list[str]:
    """The names in a formula's text: runs of letters, digits and _."""
    return _WORD.findall(text)


def _unlabelled_notes(naming: Naming, used: set[str], verb: str = "give_it_one",
                      lang: str = "en") -> list[str]:
    leaves = [n for n in naming.unlabelled_leaves() if naming.name(n) in used]
    return [unlabelled_note(naming.name(n), n.data, verb, lang) for n in leaves]


_VERBS = {"give it one": "give_it_one", "label it": "label_it"}


def unlabelled_note(name: str, value: float, verb: str, lang: str = "en") -> str:
    """The note that an unlabelled leaf is shown by its n-name, with the code that labels it;
    `verb` is "give it one" or "label it" (or their keys in `autograd.words`)."""
    w = words(lang)
    key = _VERBS.get(verb, verb)
    return w["unlabelled"].format(name=name, value=_number(value), verb=w.get(key, verb),
                                  python=_number(value, "python"))


# -- backward_steps ----------------------------------------------------------------------------


@dataclass
class BackwardStep:
    """One node of the reverse sweep: its gradient, and what it adds to each input."""

    node: str
    definition: str  #: the node's formula ('' for a leaf)
    grad: float  #: ∂output/∂node, complete when the node is reached
    #: per Value input: (input's name, local partial formula, its number, the amount added,
    #: the input's gradient so far after the addition)
    sends: list[tuple[str, str, float, float, float]]
    python_definition: str = ""  #: the formula in Python's syntax
    python_formulas: list[str] = field(default_factory=list)  #: each send's, in Python's syntax
    #: the node's position in `autograd.topological_order` (its index in every view)
    index: int = -1


#: The backward table's columns, as keys of `autograd.words`.
_STEP_HEADER = ("step", "node", "formula", "grad", "local", "adds", "amount", "so_far")


@dataclass
class BackwardSteps:
    """The reverse sweep as a worked table; print it, or read ``rows``."""

    output: str
    rows: list[BackwardStep]
    notes: list[str]
    #: `notes` in each other language, by its code (see `autograd.words`)
    translated_notes: dict[str, list[str]] = field(default_factory=dict)

    def _header(self, lang: str) -> list[str]:
        w = words(lang)
        cells = [w[key] for key in _STEP_HEADER]
        cells[3] = f"∂{self.output}/∂{w['node']}"
        return cells

    def _notes(self, lang: str) -> list[str]:
        notes = self.notes if lang == "en" else self.translated_notes.get(lang, self.notes)
        return ["", *notes] if notes else []

    def _table(self, style: str, lang: str = "en") -> list[list[str]]:
        table: list[list[str]] = []
        for k, row in enumerate(self.rows, 1):
            definition = row.definition if style == "unicode" else row.python_definition
            head = [str(k), row.node, definition, _number(row.grad, style)]
            if not row.sends:
                table.append([*head, words(lang)["leaf"], "", "", ""])
            for j, (name, formula, d, added, total) in enumerate(row.sends):
                if style == "python":
                    formula = row.python_formulas[j]
                cells = head if j == 0 else ["", "", "", ""]
                shown = "" if _is_number(formula) else f" = {formula}"
                table.append([*cells, f"∂{row.node}/∂{name}{shown} = {_number(d, style)}",
                              f"{name} += {_factor_number(row.grad, style)} × "
                              f"{_factor_number(d, style)}", _number(added, style),
                              _number(total, style)])
        return table

    def text(self, style: str = "unicode", lang: str = "en") -> str:
        """An aligned plain-text table; `style` "python" writes formulas in Python's syntax and
        numbers with ASCII signs; `lang` ("en" or "zh") chooses the headings' words."""
        _check_style(style)
        lines = _aligned([self._header(lang), *self._table(style, lang)])
        return "\n".join([*lines, *self._notes(lang)])

    def markdown(self, lang: str = "en") -> str:
        """A Markdown table; `lang` as in `text`."""
        lines = ["| " + " | ".join(self._header(lang)) + " |",
                 "|" + "|".join(["---:", "---", "---", "---:", "---", "---", "---:", "---:"]) + "|"]
        lines += ["| " + " | ".join(map(markdown_text, r)) + " |"
                  for r in self._table("unicode", lang)]
        return "\n".join([*lines, *map(markdown_text, self._notes(lang))])

    def to_dict(self, style: str = "unicode") -> dict[str, Any]:
        """The sweep as JSON-ready structure: per step the node, its formula, its gradient, and
        per input the local derivative (formula and value), the amount added and the input's
        gradient so far."""
        _check_style(style)
        steps = []
        for row in self.rows:
            formulas = row.python_formulas if style == "python" else [s[1] for s in row.sends]
            steps.append({
                "node": row.node,
                "formula": row.definition if style == "unicode" else row.python_definition,
                "grad": row.grad,
                "sends": [
                    {"input": name, "partial": f"∂{row.node}/∂{name}", "formula": formula,
                     "value": d, "adds": added, "grad_so_far": total}
                    for (name, _, d, added, total), formula in zip(row.sends, formulas,
                                                                   strict=True)
                ],
            })
        return {"output": self.output, "steps": steps, "notes": list(self.notes)}

    def __str__(self) -> str:
        return self.text()


def _width(text: str) -> int:
    """Columns the text takes in a terminal: a wide (CJK) character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _aligned(table: list[list[str]]) -> list[str]:
    """Aligned plain-text columns, with a rule under the first row (the header); wide (CJK)
    characters count as two columns, as terminals show them."""
    widths = [max(_width(r[c]) for r in table) for c in range(len(table[0]))]
    lines = ["  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(r, widths, strict=True))
             .rstrip() for r in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def backward_steps(root: Value) -> BackwardSteps:
    """The backward pass as a worked solution: every step of the reverse sweep, in order.

    Nodes come in the order `backward()` completes them (`autograd.sweep_order`): each node's
    gradient is complete when it is reached; each step multiplies the node's gradient by the
    local derivative of each input, read from the rule table, and adds the result to that
    input's gradient. The numbers are the engine's own, summed in its order, to the last bit.
    """
    if not isinstance(root, Value):
        raise TypeError(
            f"backward_steps: the output must be a Value, not {type(root).__name__}"
        )
    order = topological_order(root)
    naming = Naming(order)
    writer = _Writer(naming, "unicode")
    python = _Writer(naming, "python")
    sent: dict[int, list[tuple[int, Value, float, float, float]]] = {}

    def on_edge(node: Value, i: int, x: Value, g: Any, d: Any, step: Any, total: Any) -> None:
        sent.setdefault(id(node), []).append((i, x, d, step, total))

    sweep = chain_rule(root, 1.0, on_edge=on_edge)
    rows: list[BackwardStep] = []
    for node in sweep.order:
        sends: list[tuple[str, str, float, float, float]] = []
        python_formulas: list[str] = []
        for i, p, d, added, total in sent.get(id(node), []):
            sends.append((naming.name(p), writer.sum_of_products([[(node, i)]]), d, added, total))
            python_formulas.append(python.sum_of_products([[(node, i)]]))
        # A labelled leaf is an input; an unlabelled one is defined by its number.
        defined = node.rule is not None or not node.label
        definition = naming.definition(node) if defined else ""
        python_definition = naming.definition(node, "python") if defined else ""
        rows.append(BackwardStep(naming.name(node), definition, sweep.grads[id(node)], sends,
                                 python_definition, python_formulas, naming.index[id(node)]))
    used = {naming.name(n) for n in order}
    notes = _unlabelled_notes(naming, used) + user_notes(order)
    translated = {lang: _unlabelled_notes(naming, used, lang=lang) + user_notes(order, lang)
                  for lang in LANGUAGES if lang != "en"}
    return BackwardSteps(naming.name(root), rows, notes, translated)
