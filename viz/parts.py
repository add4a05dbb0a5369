"""The pieces every drawing is made of: escaped text, numbers, value boxes, clusters, the digraph.

Both views, the full graph (`viz.full`) and the collapsed one (`viz.collapse`), are written from
these parts; nothing here knows about either view, so the views sit above their primitives.
Graphviz's DOT lexer refuses any one string longer than 16,384 bytes, so every user-given text
goes through `escape` (HTML-like labels, shortened past `LABEL_LIMIT` characters) or `quote`
(plain attributes such as tooltips, split into pieces DOT joins with ``+``).
"""

from __future__ import annotations

import hashlib
import html
import importlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from autograd import writing
from viz.captions import caption_words
from viz.labels import ROLES, Role

if TYPE_CHECKING:  # drawing needs the package, importing viz does not (see parts.graphviz)
    import graphviz  # type: ignore[import-untyped]

__all__ = [
    "BORDER",
    "FILL",
    "LABEL_LIMIT",
    "MARK",
    "RANKDIRS",
    "SHAPES",
    "Fonts",
    "caption_label",
    "check_layout",
    "choose_rankdir",
    "cluster_id",
    "constant_line",
    "digraph",
    "escape",
    "format_number",
    "frame",
    "natural_key",
    "nest",
    "op_line",
    "position_mark",
    "quote",
    "shorten",
    "text_width",
    "value_line",
]

#: Graph directions Graphviz accepts: left to right, right to left, top to bottom, bottom to top.
RANKDIRS = ("LR", "RL", "TB", "BT")
#: The font stack of every drawing: Latin faces first, then faces that cover Chinese, Japanese and
#: Korean, so a label such as 输出 is drawn as glyphs wherever one of them is installed (Debian:
#: fonts-noto-cjk); Graphviz hands the list to Pango for PNG and PDF, and writes it into SVG.
FONT = ("Helvetica,Arial,Noto Sans CJK SC,Noto Sans SC,Source Han Sans SC,PingFang SC,"
        "Microsoft YaHei,sans-serif")
#: Labels longer than this many characters are drawn shortened, the whole text in a tooltip.
LABEL_LIMIT = 300

#: Each role's fill: light tints of the Okabe–Ito palette, which readers with any common colour
#: vision deficiency tell apart; each role also has its own border (`BORDER`), so a print in
#: grey still shows it.
FILL: dict[Role, str] = {
    "parameter": "#d3e9f8",  # sky blue: what training changes
    "input": "#c8eee0",  # bluish green: what the data gives
    "target": "#faf2b4",  # yellow: what the output should be
    "loss": "#fbdcb8",  # orange: what training lowers
    "value": "white",
}
#: Each role's second cue, the border of its box: (width, Graphviz table style).
BORDER: dict[Role, tuple[int, str]] = {
    "parameter": (1, "rounded"),
    "input": (1, "dashed"),
    "target": (1, "dotted"),
    "loss": (3, ""),
    "value": (1, ""),
}
MARK = "#d55e00"  # a highlighted path: Okabe–Ito's vermillion, drawn thick as well
SHAPES = {
    "op": 'shape=ellipse style=filled fillcolor="#eeeeee" margin="0.03,0.01" width=0 height=0',
    "constant": 'shape=plaintext fontcolor="#555555" width=0 height=0',
}
_OP_FILL = "#eeeeee"
#: Positions of an operation's inputs, where their order matters: circled digits, which no
#: variable's name can be.
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
# Characters per piece of a quoted DOT string: 1,000 characters stay under the lexer's 16,384
# bytes even at four UTF-8 bytes each with every one escaped.
_PIECE = 1000


def check_layout(who: str, rankdir: str | None, dpi: int | None) -> None:
    """Raise a ValueError naming `who` and the value when `rankdir` or `dpi` is not one a
    drawing accepts (None for either: the drawing's own choice)."""
    if rankdir is not None and rankdir not in RANKDIRS:
        raise ValueError(
            f"{who}: rankdir must be one of {', '.join(RANKDIRS)} or None, not {rankdir!r}"
        )
    if dpi is not None and (isinstance(dpi, bool) or not isinstance(dpi, int)
                            or not 1 <= dpi <= 2400):
        raise ValueError(f"{who}: dpi must be an int from 1 to 2400 or None, not {dpi!r}")


def format_number(x: float, digits: int = 4, *, plain: bool = False) -> str:
    """A number as a drawing shows it: `digits` significant digits, the minus sign U+2212 that
    formulas use (``plain=True``: ASCII), and ∞, −∞, NaN for the non-finite.

    >>> format_number(0.3268416), format_number(-2.0), format_number(12345.678), format_number(1e-7)
    ('0.3268', '−2', '1.235e+04', '1e−07')
    >>> format_number(-2.0, plain=True), format_number(float("-inf")), format_number(float("nan"))
    ('-2', '−∞', 'NaN')
    """
    return writing.number(x, "python" if plain else "unicode", digits)


def shorten(text: str, limit: int = LABEL_LIMIT) -> str:
    """`text` cut to `limit` characters with an ellipsis (the whole of it when short enough).

    >>> shorten("abcdef", 4)
    'abc…'
    """
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _printable(text: str) -> str:
    """Control characters written as Python escapes (an XML parser would reject them)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == "\n" else repr(c)[1:-1] for c in text)


def escape(text: str, limit: int | None = LABEL_LIMIT) -> str:
    r"""Text for an HTML-like Graphviz label: shortened past `limit` characters (None: never),
    entities for ``& < > " '`` and ``]``, control characters as Python escapes, line breaks as
    ``<BR/>``, and each backslash doubled, since Graphviz reads ``\G``, ``\N``, ``\L`` ... in a
    label as the graph's or node's name, even after entities (measured on Graphviz 2.43, whose
    HTML lexer also fails on a plain ``]`` before a tag).

    >>> escape('a<b> & "c" {|} [x]')
    'a&lt;b&gt; &amp; &quot;c&quot; {|} [x&#93;'
    >>> escape("\\G") == "\\\\G"  # drawn as the two characters \G
    True
    """
    if limit is not None:
        text = shorten(text, limit)
    escaped = html.escape(_printable(text), quote=True).replace("]", "&#93;")
    return escaped.replace("\\", "\\\\").replace("\n", "<BR/>")


def quote(text: str) -> str:
    r"""`text` as a DOT quoted string for a tooltip: quotes escaped, line breaks as ``\n``,
    ``&`` as ``&amp;`` (Graphviz leaves an entity it finds in a tooltip as it is, so a label's
    own ``&amp;`` would show as ``&``), each backslash as four (the DOT lexer halves them, then
    Graphviz reads ``\G``, ``\N``, ``\L`` ... as names), and split into pieces joined with
    ``+`` so that no piece reaches the DOT lexer's limit, however long the text.

    >>> print(quote('say "hi"\nnow & then'))
    "say \"hi\"\nnow &amp; then"
    >>> print(quote("\\G"))
    "\\\\G"
    >>> quote("x" * 2500).count('" + "')
    2
    """
    text = _printable(text)
    pieces = [text[i:i + _PIECE] for i in range(0, len(text), _PIECE)] or [""]
    return " + ".join(
        '"' + p.replace("\\", "\\\\\\\\").replace('"', '\\"').replace("\n", "\\n")
        .replace("&", "&amp;") + '"'
        for p in pieces
    )


def natural_key(text: str) -> tuple[tuple[int, int, str], ...]:
    """A sort key that puts ``layer2`` before ``layer10`` and ``w2`` before ``w10``.

    >>> sorted(["neuron10", "neuron2", "b", "w1"], key=natural_key)
    ['b', 'neuron2', 'neuron10', 'w1']
    """
    # Numbers compare by length, then digits: no int() of a label's 20,000-digit number.
    return tuple(
        (0, len(part.lstrip("0")), part.lstrip("0")) if part.isdigit() else (1, 0, part)
        for part in re.split(r"(\d+)", text) if part
    )


def text_width(text: str, fontsize: float = 12.0) -> float:
    """A rough width in points of `text` in Helvetica: enough to compare two layouts."""
    return 0.6 * fontsize * len(text)


def frame(role: Role, marked: bool, extra: int = 0) -> str:
    """A box's one border: the role's width and style, in the highlight's colour when marked."""
    width, style = BORDER[role]
    width = max(width, 2) + extra if marked else width
    attrs = f'BORDER="{width}"'
    if style:
        attrs += f' STYLE="{style}"'
    if marked:
        attrs += f' COLOR="{MARK}"'
    return attrs


def value_line(
    node_id: str,
    name: str,
    data: float,
    grad: float,
    role: Role,
    *,
    marked: bool = False,
    show_grad: bool = True,
    digits: int = 4,
    given: bool = True,
    tooltip: str = "",
) -> str:
    """A Value's box: its name, data and grad in one row, inside one border (the role's; thick
    and in the highlight's colour when marked), thin rules between the cells.

    `given`: the name is the user's label (bold); else it is kuibu's name for an unlabelled
    node (``n3``, in italics). A name longer than `LABEL_LIMIT` is shortened and the whole of it
    goes into the tooltip.
    """
    cells = []
    if name:
        shown = escape(name)
        cells.append(f"<TD><B>{shown}</B></TD>" if given else f"<TD><I>{shown}</I></TD>")
    cells.append(f"<TD>data {format_number(data, digits)}</TD>")
    if show_grad:
        cells.append(f"<TD>grad {format_number(grad, digits)}</TD>")
    table = (
        f'<TABLE {frame(role, marked)} CELLBORDER="0" COLUMNS="*" CELLSPACING="0" '
        f'CELLPADDING="3" BGCOLOR="{FILL[role]}"><TR>{"".join(cells)}</TR></TABLE>'
    )
    classes = "value" if role == "value" else f"value {role}"
    if marked:
        classes += " highlight"
    if not tooltip and len(name) > LABEL_LIMIT:
        tooltip = name
    tip = f" tooltip={quote(tooltip)}" if tooltip else ""
    return f'{node_id} [label=<{table}>{tip} class="{classes}"]'


def constant_line(node_id: str, text: str, role: Role, size: float = 10.0) -> str:
    """A number used as an operand: small grey text; as a model's input, a small box of the
    input's colour and border."""
    if role == "value":
        return (f'{node_id} [label=<{escape(text)}> {SHAPES["constant"]} fontsize={size:g} '
                'class="constant"]')
    table = (
        f'<TABLE {frame(role, False)} CELLBORDER="0" CELLSPACING="0" CELLPADDING="2" '
        f'BGCOLOR="{FILL[role]}"><TR><TD>{escape(text)}</TD></TR></TABLE>'
    )
    return f'{node_id} [label=<{table}> fontsize={size:g} class="constant {role}"]'


def position_mark(k: int) -> str:
    """The mark of an operation's k-th input (0-based) where order matters: ①, ②, … ⑳, #21.

    >>> position_mark(0), position_mark(1), position_mark(20)
    ('①', '②', '#21')
    """
    return _CIRCLED[k] if k < len(_CIRCLED) else f"#{k + 1}"


def op_line(
    node_id: str,
    symbol: str,
    slots: Sequence[str],
    flow: str,
    *,
    marked: bool = False,
    tooltip: str = "",
    size: float = 10.0,
) -> str:
    """An operation's node: an oval with its symbol; with `slots`, a small table whose cells
    (ports ``i0``, ``i1``, …, on the side the inputs arrive from in direction `flow`) receive
    the inputs' edges, each cell showing its slot's text (①, ② where the order of the inputs
    matters; ×, +, for the products and the bias of a neuron's Σ)."""
    classes = "op highlight" if marked else "op"
    tip = f" tooltip={quote(tooltip)}" if tooltip else ""
    if not slots:
        color = f' color="{MARK}" penwidth=2' if marked else ""
        return (f'{node_id} [label=<{escape(symbol)}> {SHAPES["op"]}{color}{tip} '
                f'class="{classes}"]')
    n = len(slots)
    font = f'<FONT POINT-SIZE="{size:g}">'
    ports = [f'<TD PORT="i{k}">{font}{escape(t)}</FONT></TD>' for k, t in enumerate(slots)]
    if flow in ("LR", "RL"):
        head = f'<TD ROWSPAN="{n}">{escape(symbol)}</TD>'
        first = [ports[0], head] if flow == "LR" else [head, ports[0]]
        rows = ["".join(first), *ports[1:]]
    else:
        across = f'<TD COLSPAN="{n}">{escape(symbol)}</TD>'
        rows = ["".join(ports), across] if flow == "TB" else [across, "".join(ports)]
    border = f'BORDER="2" COLOR="{MARK}"' if marked else 'BORDER="1"'
    table = (
        f'<TABLE {border} STYLE="rounded" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" '
        f'BGCOLOR="{_OP_FILL}">' + "".join(f"<TR>{r}</TR>" for r in rows) + "</TABLE>"
    )
    return f'{node_id} [label=<{table}>{tip} class="{classes}"]'


def caption_label(
    lines: Sequence[str], legend: Sequence[Role], marked: tuple[str, str] | None, lang: str,
) -> str:
    """The drawing's caption as an HTML-like label: its lines of text, then a legend with one
    sample box per role the drawing shows (fill and border) and, under a highlight, the
    marked path's colour."""
    words = caption_words(lang)
    rows = [f'<TR><TD ALIGN="LEFT">{escape(line)}</TD></TR>' for line in lines if line]
    samples = []
    for role in ROLES:
        if role in legend and role != "value":
            samples.append(
                f'<TD CELLPADDING="4"><TABLE {frame(role, False)} CELLBORDER="0" CELLSPACING="0" '
                f'CELLPADDING="2" BGCOLOR="{FILL[role]}"><TR><TD>{escape(words[role])}</TD>'
                "</TR></TABLE></TD>"
            )
    if marked is not None:
        text = words["marked"].format(top=marked[0], bottom=marked[1])
        samples.append(f'<TD CELLPADDING="4"><FONT COLOR="{MARK}"><B>━━</B></FONT> '
                       f"{escape(text)}</TD>")
    if samples:
        # Graphviz shares a cell's spare width out among the columns of the table inside it,
        # which would stretch the samples under a long caption: a last cell spanning many
        # columns takes nearly all of it.
        rows.append(
            '<TR><TD ALIGN="LEFT"><TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0"><TR>'
            + "".join(samples) + '<TD COLSPAN="60"></TD></TR></TABLE></TD></TR>'
        )
    if not rows:
        return ""
    return '<<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="0">' + "".join(rows) + "</TABLE>>"


@dataclass(frozen=True)
class Fonts:
    """Point sizes of a drawing's text: names and numbers in boxes, and the smaller text of edge
    labels, constants and cluster titles. The slide preset makes them larger."""

    node: float = 12.0
    small: float = 10.0

    @property
    def smallest(self) -> float:
        return min(self.node, self.small)


def graphviz_package() -> Any:
    """The graphviz Python package, imported when something is drawn: `viz` itself imports
    without it (a page from `explore` needs none), and a drawing without it says what to install
    instead of failing at ``import viz``."""
    try:
        return importlib.import_module("graphviz")
    except ImportError:
        raise ImportError(
            "drawing needs the graphviz Python package, a dependency of kuibu that is not "
            "installed here: pip install graphviz (or reinstall kuibu)", name="graphviz"
        ) from None


def digraph(
    body: list[str], graph_attr: dict[str, str], *, dpi: int | None = None,
    fonts: Fonts = Fonts(),
) -> graphviz.Digraph:
    """The DOT text around `body` (one statement per line), with kuibu's fonts and spacing."""
    # newrank ranks all nodes together rather than cluster by cluster: with neuron clusters it
    # makes dot about ten times faster (measured 5.4 s -> 0.4 s on a 1,000-node MLP), and it
    # lets a rank=same group hold nodes of several clusters (one layer's parameters). ranksep
    # 0.25 (Graphviz: 0.5 inch) keeps a wide network's text legible on a 1,920-pixel screen.
    attrs = {"newrank": "true", "ranksep": "0.25", "fontsize": f"{fonts.node:g}", **graph_attr}
    if dpi is not None:
        attrs["dpi"] = str(dpi)
    return graphviz_package().Digraph(
        format="svg",
        graph_attr=attrs,
        node_attr={"shape": "plain", "fontname": FONT, "fontsize": f"{fonts.node:g}"},
        edge_attr={"fontname": FONT, "fontsize": f"{fonts.small:g}"},
        body=[f"\t{line}\n" for line in body],
    )


def cluster_id(path: tuple[str, ...]) -> str:
    """The DOT name of the cluster drawn for a group path: ``cluster_layer1_neuron2``.

    >>> cluster_id(("layer1", "neuron2"))
    'cluster_layer1_neuron2'
    """
    name = "cluster_" + "_".join(re.sub(r"\W", "_", part) for part in path)
    if len(name) > 200:  # a label of thousands of digits: a short id that is still unique
        name = "cluster_" + hashlib.sha256("\0".join(path).encode()).hexdigest()[:16]
    return name


def nest(
    cluster_lines: dict[tuple[str, ...], list[str]],
    title: Callable[[tuple[str, ...]], str] = lambda path: path[-1],
    fontsize: float = 11.0,
) -> list[str]:
    """Node statements grouped into nested ``subgraph cluster_k`` blocks by group path, the
    clusters in natural order (``layer0.neuron2`` before ``layer0.neuron10``)."""
    children: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for path in cluster_lines:
        for depth in range(1, len(path) + 1):
            prefix, parent = path[:depth], path[: depth - 1]
            siblings = children.setdefault(parent, [])
            if prefix not in siblings:
                siblings.append(prefix)
    for siblings in children.values():
        siblings.sort(key=lambda path: natural_key(path[-1]))
    out: list[str] = []

    def emit(path: tuple[str, ...], indent: str) -> None:
        for line in cluster_lines.get(path, ()):
            out.append(indent + line)
        for child in children.get(path, ()):
            out.append(f"{indent}subgraph {cluster_id(child)} {{")
            out.append(
                f'{indent}\tlabel=<{escape(title(child))}> style="rounded,dashed" '
                f'color="#888888" fontname="{FONT}" fontsize={fontsize:g}'
            )
            emit(child, indent + "\t")
            out.append(indent + "}")

    emit((), "")
    return out


def choose_rankdir(
    ranks: Sequence[int], widths: Sequence[float], heights: Sequence[float],
    screen: tuple[float, float] = (1920.0, 1080.0),
) -> str:
    """"LR" or "TB": the direction whose picture, fitted to the screen's width, shows its text
    largest (a tall picture scrolls; a wide one shrinks); when both fit, the one that also fits
    the screen's height, else left to right.

    Each drawn node gives its rank (how far along the flow it sits) and its size in points; a
    left-to-right picture is as wide as the sum over ranks of the widest node in each, a
    top-to-bottom one as wide as its busiest rank. Rough, but it only has to rank two layouts.

    >>> choose_rankdir([0, 1, 2], [100, 30, 100], [20, 20, 20])  # a short chain: left to right
    'LR'
    >>> choose_rankdir(list(range(40)), [100] * 40, [20] * 40)   # a long chain: top to bottom
    'TB'
    """
    ranksep, nodesep = 0.25 * 72, 0.25 * 72
    widest: dict[int, float] = {}
    tallest: dict[int, float] = {}
    across: dict[int, float] = {}
    down: dict[int, float] = {}
    for r, w, h in zip(ranks, widths, heights, strict=True):
        widest[r] = max(widest.get(r, 0.0), w)
        tallest[r] = max(tallest.get(r, 0.0), h)
        across[r] = across.get(r, 0.0) + w + nodesep
        down[r] = down.get(r, 0.0) + h + nodesep
    if not widest:
        return "LR"
    gaps = ranksep * (len(widest) - 1)
    lr = (sum(widest.values()) + gaps, max(down.values()))
    tb = (max(across.values()), sum(tallest.values()) + gaps)

    def fit(size: tuple[float, float]) -> tuple[float, float]:
        width, height = size
        return min(1.0, screen[0] / width), min(1.0, screen[0] / width, screen[1] / height)

    return "TB" if fit(tb) > fit(lr) else "LR"
