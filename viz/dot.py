"""`draw_dot`: a computation graph as a `graphviz.Digraph`: a box per Value, an oval per operation.

The DOT text is written line by line here (not through `Digraph.node` calls) so that building it
stays linear and quick for graphs of 100,000 nodes; `graphviz` only holds and renders it. Every
label is an HTML-like label escaped with `html.escape`, so quotes, braces, ``|``, ``<``, ``>`` and
backslashes in a user's label are drawn as written. Node ids come from the topological order
(``v0``, ``v1``, ...; ``v3_op`` is the operation that made ``v3``), so the same graph always gives
the same DOT text.
"""

from __future__ import annotations

from typing import Literal

import graphviz  # type: ignore[import-untyped]

from autograd import Naming, Value, topological_order
from viz.captions import caption_words
from viz.collapse import draw_collapsed
from viz.full import Style, caption_text, full_body, on_paths
from viz.labels import looks_like_nn, nn_layout, roles
from viz.parts import (
    FONT,
    Fonts,
    caption_label,
    check_layout,
    choose_rankdir,
    digraph,
    format_number,
)

# format_number lives in viz.parts; it stays importable from here as before.
__all__ = ["MAX_NODES", "GraphTooLargeError", "draw_dot", "format_number"]

#: Above this many Values, `draw_dot` collapses the graph (or refuses). Measured with Graphviz
#: 2.43 on one core: dot lays out ~1,000 Values (an MLP(2, [16, 16, 1]) on one sample) in about
#: 0.5 s, 2,500 in about 2 s and 5,000 in about 4 s; time grows faster than linearly beyond.
MAX_NODES = 2000


class GraphTooLargeError(ValueError):
    """The graph has more nodes than `max_nodes` and no collapsed view could be drawn."""


def draw_dot(
    root: Value,
    *,
    rankdir: str | None = None,
    show_grad: bool = True,
    highlight: Value | None = None,
    show_partials: bool = False,
    group: bool | None = None,
    digits: int = 4,
    max_nodes: int | None = MAX_NODES,
    too_large: Literal["collapse", "error"] = "collapse",
    dpi: int | None = None,
    lang: str = "en",
) -> graphviz.Digraph:
    """The graph behind `root` as a `graphviz.Digraph` (Jupyter shows it inline).

    Each Value is a box (name, data, grad); each operation an oval with its symbol from the rule
    table, with edges input → operation → output in operand order; a number used as an operand
    (the 2 of ``x * 2``) is a small grey node. A box's name is the one `autograd.Naming` gives,
    as explanations do: the label in bold, else kuibu's name (``n3``) in italics.

    - `rankdir`: "LR" (left to right), "TB" (top to bottom), "RL" or "BT". None chooses between
      LR and TB: the one whose picture, fitted to a 1,920-pixel-wide screen, shows its text
      larger (a long chain such as the worked 2-2-2 network goes top to bottom, a wide network
      left to right).

    - `highlight`: a Value behind root (say, one weight). Every path from root to it is drawn in
      red, each of its edges labelled with the local derivative (formula and value), and the
      caption gives ∂root/∂highlight: the sum over the paths of the products of those factors.
    - `show_partials`: label every edge with its local derivative.
    - `group`: style parameters, inputs and the loss and draw each neuron (and layer) in a box,
      reading nn's labels (``layer1.neuron2.w0``). None: when the labels look like nn's.
    - `max_nodes`: above this many Values, draw one box per neuron with counts instead (when nn
      labels allow) or raise `GraphTooLargeError` (always, with ``too_large="error"``).
      None draws any size; Graphviz may then take minutes.
    - `dpi`: pixels per inch of a PNG (Graphviz's default, 96, when None); also scales SVG.
    - `lang`: the language of every caption, legend and note the drawing writes, "en" or "zh"
      (names, formulas and numbers are the same in both).
    - Labels longer than `viz.parts.LABEL_LIMIT` (300) characters are shortened with an
      ellipsis; the whole label is the node's tooltip (shown on hover in SVG).

    >>> from autograd import Value
    >>> a = Value(2.0, label="a")
    >>> y = a * a + 1
    >>> y.backward()
    >>> print(draw_dot(y, show_grad=False).source)  # doctest: +ELLIPSIS
    digraph {
    ...
        v0 [label=<...<B>a</B>...data 2...> class="value"]
        v1_op [label=<×> ...]
        v1 [label=<...data 4...> class="value"]
        v2_op [label=<+> ...]
        v2_c1 [label=<1> ...]
        v2 [label=<...data 5...> class="value"]
        v0 -> v1_op
        v0 -> v1_op
        v1_op -> v1
        v1 -> v2_op
        v2_c1 -> v2_op
        v2_op -> v2
    }
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot: root must be a Value, not {type(root).__name__}: {root!r}")
    check_layout("draw_dot", rankdir, dpi)
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        raise ValueError(f"draw_dot: digits must be an int from 1 to 17, not {digits!r}")
    if too_large not in ("collapse", "error"):
        raise ValueError(f"draw_dot: too_large must be 'collapse' or 'error', not {too_large!r}")
    if max_nodes is not None and (isinstance(max_nodes, bool) or not isinstance(max_nodes, int)
                                  or max_nodes < 1):
        raise ValueError(f"draw_dot: max_nodes must be a positive int or None, not {max_nodes!r}")
    words = caption_words(lang)  # a ValueError naming the languages, before any work
    if highlight is not None and not isinstance(highlight, Value):
        raise TypeError(
            f"draw_dot: highlight must be a Value, not {type(highlight).__name__}: {highlight!r}"
        )

    order = topological_order(root)
    index = {id(node): i for i, node in enumerate(order)}
    target = -1
    if highlight is not None:
        target = index.get(id(highlight), -1)
        if target < 0:
            raise ValueError(
                f"draw_dot: highlight={highlight!r} is not in the graph behind root {root!r}"
            )
    grouped = looks_like_nn(order) if group is None else bool(group)
    layout = nn_layout(order) if grouped else None

    if max_nodes is not None and len(order) > max_nodes:
        how = words["how"].format(
            nodes=len(order), time=words["minutes" if len(order) > 20_000 else "a_while"])
        if too_large == "collapse" and layout is not None and any(layout.groups):
            note = words["collapsed"].format(nodes=f"{len(order):,}", limit=f"{max_nodes:,}",
                                             how=how)
            return draw_collapsed(root, order, layout, rankdir=rankdir, dpi=dpi, note=note,
                                  lang=lang)
        reason = "" if too_large == "error" else (
            "; no collapsed view either, since no labels name neurons or layers "
            "(nn's layer1.neuron2.w0)"
        )
        raise GraphTooLargeError(
            f"draw_dot: the graph behind {root!r} has {len(order):,} nodes, more than "
            f"max_nodes={max_nodes:,}{reason}; {how}."
        )

    naming = Naming(order)
    on_path = on_paths(order, index, target) if target >= 0 else None
    fonts = Fonts()
    style = Style(show_grad, show_partials, digits, rankdir or "LR", fonts)
    shown_roles = layout.roles if layout is not None else roles(order)
    body = full_body(order, index, naming, layout, shown_roles, on_path, target, style)
    chosen = rankdir or choose_rankdir(body.sizes.ranks, body.sizes.widths, body.sizes.heights)
    if chosen != style.flow and body.ported:  # the inputs' cells face the chosen direction
        style = Style(show_grad, show_partials, digits, chosen, fonts)
        body = full_body(order, index, naming, layout, shown_roles, on_path, target, style)
    graph_attr = {"rankdir": chosen}
    lines = []
    marked = None
    if highlight is not None and on_path is not None:
        lines.append(caption_text(root, highlight, order, index, naming, digits, lang))
        marked = (naming.name(root), naming.name(highlight))
    legend = sorted(body.roles) if shown_roles is not None else []
    label = caption_label(lines, legend, marked, lang)
    if label:
        graph_attr.update({"label": label, "labelloc": "t", "fontname": FONT})
    return digraph(body.lines, graph_attr, dpi=dpi, fonts=fonts)
