"""`draw_dot`: a computation graph as a `graphviz.Digraph`: a box per Value, an oval per operation.

The DOT text is written line by line here (not through `Digraph.node` calls) so that building it
stays linear and quick for graphs of 100,000 nodes; `graphviz` only holds and renders it. Every
label is an HTML-like label escaped with `html.escape`, so quotes, braces, ``|``, ``<``, ``>`` and
backslashes in a user's label are drawn as written. Node ids come from the topological order
(``v0``, ``v1``, ...; ``v3_op`` is the operation that made ``v3``), so the same graph always gives
the same DOT text.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from autograd import Naming, Value, topological_order
from viz.captions import caption_words
from viz.collapse import draw_collapsed
from viz.full import Style, caption_text, full_body, on_paths
from viz.labels import looks_like_nn, nn_layout, roles
from viz.neurons import draw_neurons, find_neurons
from viz.parts import (
    FONT,
    Fonts,
    caption_label,
    check_layout,
    choose_rankdir,
    digraph,
    format_number,
)
from viz.slide import (
    MIN_TEXT_PX,
    SIZES,
    SLIDE_FONTS,
    SlideFitWarning,
    layout_size,
    size_attrs,
    text_px,
)
from viz.structure import find_structure
from viz.structured import draw_structure

if TYPE_CHECKING:  # drawing needs the package, importing viz does not (see parts.graphviz)
    import graphviz  # type: ignore[import-untyped]

# format_number lives in viz.parts; it stays importable from here as before.
__all__ = ["MAX_NODES", "GraphTooLargeError", "SlideFitWarning", "draw_dot", "format_number"]

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
    view: Literal["full", "neurons"] = "full",
    size: str | None = None,
    collapse: Literal["structure"] | None = None,
) -> graphviz.Digraph:
    """The graph behind `root` as a `graphviz.Digraph` (Jupyter shows it inline).

    Each Value is a box (name, data, grad); each operation an oval with its symbol from the rule
    table, with edges input → operation → output in operand order; where the order of the inputs
    matters (−, ÷, ^, a neuron's Σ) each input's edge ends in a cell of its own (①, ②; × and +
    for Σ). A number used as an operand (the 2 of ``x * 2``) is a small grey node. A box's name
    is the one `autograd.Naming` gives, as explanations do: the label in bold, else kuibu's name
    (``n3``) in italics. In a model (nn's labels, or a leaf named like a weight) each box shows
    its role (parameter, input, target, loss) by fill and border, with a legend.

    - `rankdir`: "LR" (left to right), "TB" (top to bottom), "RL" or "BT". None chooses between
      LR and TB: the one whose picture, fitted to a 1,920-pixel-wide screen, shows its text
      larger (a long chain such as the worked 2-2-2 network goes top to bottom, a wide network
      left to right).

    - `highlight`: a Value behind root (say, one weight). Every path from root to it is marked
      (thick, in vermillion), each of its edges labelled with the local derivative (formula and
      value, as `autograd.writing` writes it for `explain` too), and the caption gives
      ∂root/∂highlight: the sum over the paths of the products of those factors.
    - `show_partials`: label every edge with its local derivative.
    - `group`: draw each neuron (and layer) in a box, reading nn's labels
      (``layer1.neuron2.w0``), the layers as columns. None: when the labels look like nn's.
    - `max_nodes`: above this many Values, draw one box per neuron with counts instead (when nn
      labels allow) or raise `GraphTooLargeError` (always, with ``too_large="error"``).
      None draws any size; Graphviz may then take minutes.
    - `dpi`: pixels per inch of a PNG (Graphviz's default, 96, when None); also scales SVG.
    - `lang`: the language of every caption, legend and note the drawing writes, "en" or "zh"
      (names, formulas and numbers are the same in both).
    - `view`: "full" (every Value and operation) or "neurons": one box per neuron (its weights,
      bias, net input and output with data and grad), one arrow per weight from its input into
      the weight's row, the loss as one box with its formula. Neurons are read from labels
      (nn's ``layer1.neuron2.net``, or ``net_h1``/``out_h1`` as in the worked example).
    - `size`: "16:9" (or "4:3") for a slide: larger text, scaled to fill 1,920 × 1,080 pixels
      (at `dpi` 96). When Graphviz's layout shows the smallest text would be under 14 px there,
      the other direction is tried, then (for a network) the neuron view; when nothing fits,
      the drawing says so in its caption and a `viz.SlideFitWarning` is issued.
    - `collapse`: "structure" draws a transformer step (nn.GPT's weights, ``wte[i][j]``,
      ``layer0.attn_wq[i][j]``, …) one box per block of each position: embedding, norms,
      attention heads, MLP, lm_head, loss (`viz.structure`), at any size. A graph over
      `max_nodes` with such weights falls back to this view by itself.
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
    if view not in ("full", "neurons"):
        raise ValueError(f"draw_dot: view must be 'full' or 'neurons', not {view!r}")
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

    if collapse not in (None, "structure"):
        raise ValueError(f"draw_dot: collapse must be 'structure' or None, not {collapse!r}")
    screen = _screen(size)
    order = topological_order(root)
    if collapse == "structure":
        structure = find_structure(order)
        if structure is None:
            raise ValueError(
                f"draw_dot: collapse='structure' found no transformer in the graph behind "
                f"{root!r}: it reads nn.GPT's weight labels (wte[i][j], wpe[p][j], "
                "layer0.attn_wq[i][j], …)")
        return draw_structure(root, structure, rankdir=rankdir, dpi=dpi, lang=lang)
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

    if view == "full" and max_nodes is not None and len(order) > max_nodes and (
            screen is not None and too_large == "collapse" and find_neurons(order)):
        view = "neurons"  # a slide of a large network: its neurons, one box each
    if view == "full" and max_nodes is not None and len(order) > max_nodes:
        how = words["how"].format(
            nodes=len(order), time=words["minutes" if len(order) > 20_000 else "a_while"])
        structure = find_structure(order) if too_large == "collapse" else None
        if structure is not None:
            note = words["collapsed"].format(nodes=f"{len(order):,}", limit=f"{max_nodes:,}",
                                             how=how)
            return draw_structure(root, structure, note=note, rankdir=rankdir, dpi=dpi,
                                  lang=lang)
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
    caption = ""
    if highlight is not None:
        caption = caption_text(root, highlight, order, index, naming, digits, lang)
    fonts = SLIDE_FONTS if screen is not None else Fonts()
    shown_roles = layout.roles if layout is not None else roles(order)
    neurons = find_neurons(order) if view == "neurons" or screen is not None else []
    if view == "neurons" and not neurons:
        raise ValueError(
            f"draw_dot: view='neurons' found no neuron in the graph behind {root!r}: it reads "
            "them from labels such as nn's layer1.neuron2.net and .out, or net_h1 and out_h1, "
            "on a weighted sum w·x + … + b"
        )

    def full(direction: str | None, note: str = "") -> graphviz.Digraph:
        style = Style(show_grad, show_partials, digits, direction or "LR", fonts)
        body = full_body(order, index, naming, layout, shown_roles, on_path, target, style)
        chosen = direction or choose_rankdir(body.sizes.ranks, body.sizes.widths,
                                             body.sizes.heights)
        if chosen != style.flow and body.ported:  # the inputs' cells face the chosen way
            style = Style(show_grad, show_partials, digits, chosen, fonts)
            body = full_body(order, index, naming, layout, shown_roles, on_path, target, style)
        marked = (naming.name(root), naming.name(highlight)) if highlight is not None else None
        legend = sorted(body.roles) if shown_roles is not None else []
        graph_attr = {"rankdir": chosen}
        label = caption_label([caption, note], legend, marked, lang)
        if label:
            graph_attr.update({"label": label, "labelloc": "t", "fontname": FONT})
        return digraph(body.lines, graph_attr, dpi=dpi, fonts=fonts)

    def by_neuron(note: str = "") -> graphviz.Digraph:
        return draw_neurons(root, order, neurons, highlight=highlight, on_path=on_path,
                            caption=caption, note=note, digits=digits, lang=lang, dpi=dpi,
                            fonts=fonts, rankdir=rankdir)

    if screen is None:
        return by_neuron() if view == "neurons" else full(rankdir)
    return _fit_slide(view, rankdir, full, by_neuron if neurons else None, screen, fonts, size,
                      words, dpi)


def _screen(size: str | None) -> tuple[int, int] | None:
    if size is None:
        return None
    if size not in SIZES:
        raise ValueError(
            f"draw_dot: size must be one of {', '.join(map(repr, SIZES))} or None, not {size!r}"
        )
    return SIZES[size]


def _fit_slide(
    view: str,
    rankdir: str | None,
    full: Callable[..., graphviz.Digraph],
    by_neuron: Callable[..., graphviz.Digraph] | None,
    screen: tuple[int, int],
    fonts: Fonts,
    size: str | None,
    words: dict[str, str],
    dpi: int | None,
) -> graphviz.Digraph:
    """The drawing for a slide: as asked if its text stays at least MIN_TEXT_PX high there;
    else the other direction, else (for a network) the neuron view; else as asked, saying so in
    its caption and in a `SlideFitWarning`."""

    def finish(graph: graphviz.Digraph) -> graphviz.Digraph:
        graph.graph_attr.update(size_attrs(screen, dpi))
        return graph

    def measured(graph: graphviz.Digraph) -> float | None:
        found = layout_size(graph.source)
        return None if found is None else text_px(found, fonts, screen)

    first = by_neuron() if view == "neurons" and by_neuron is not None else full(rankdir)
    shown = measured(first)
    if shown is None or shown >= MIN_TEXT_PX:  # fits, or dot cannot say: as asked
        return finish(first)
    if view == "full" and rankdir is None:
        chosen = first.graph_attr.get("rankdir", "LR")
        other = full("TB" if chosen in ("LR", "RL") else "LR")
        turned = measured(other)
        if turned is not None and turned >= MIN_TEXT_PX:
            return finish(other)
    if view == "full" and by_neuron is not None:
        note = words["slide_neurons"].format(px=f"{MIN_TEXT_PX:g}", shown=shown)
        neurons = by_neuron(note)
        fitted = measured(neurons)
        if fitted is None or fitted >= MIN_TEXT_PX:
            return finish(neurons)
        shown, first = fitted, neurons
    message = words["slide_small"].format(px=f"{MIN_TEXT_PX:g}", shown=shown)
    warnings.warn(f"draw_dot(size={size!r}): {message}", SlideFitWarning, stacklevel=3)
    # A network is best shown by its neurons even where they do not fit either.
    return finish(by_neuron(message) if by_neuron is not None else full(rankdir, message))
