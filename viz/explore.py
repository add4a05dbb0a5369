"""`explore`: a computation graph as one self-contained web page to step through.

The page shows the graph (laid out by Graphviz's `dot` when the page is made) and one timeline:
the forward pass, where each operation's value appears, then the backward pass in the engine's
own sweep order (`backward_steps`), where each node's gradient is completed and sent on to its
inputs by the chain rule, and last the table of gradients with one step of gradient descent.
Clicking a node shows its formula, value, gradient, local partials and `explain(root, node)`:
every path from the root down to it, highlighted in the graph.

Every number on the page is the engine's, written here by Python: the page's script only shows
and hides them, it computes none. Every name is the one `Naming` gives. The page needs nothing
from the network (its script and styles are inside it), so it opens offline from a file. It
opens zoomed so that its text reads (12 px on a monitor, 10 px on a phone), follows each step,
and speaks English or Chinese (`lang`).

>>> from autograd import Value
>>> w, x = Value(0.5, label="w"), Value(1.5, label="x")
>>> y = (w * x).tanh()
>>> y.label = "y"
>>> page = explore(y)
>>> page.steps  # 2 forward (w·x, then y), 4 backward (y, w·x, x, w), then the gradients
7
>>> 'data-name="w"' in page.html and "<script" in page.html and "http://" not in page.html
True
"""

from __future__ import annotations

import html
import json
import math
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any

from autograd import Naming, Value, topological_order
from viz.cost import duration
from viz.dot import MAX_NODES, GraphTooLargeError
from viz.explorer.layout import LAYOUT_TIMEOUT, Placement, Scene, place, rankdir_for, scene
from viz.explorer.svg import svg
from viz.explorer.timeline import timeline
from viz.explorer.words import LANGUAGES, page_words
from viz.labels import looks_like_nn, nn_layout
from viz.labels import roles as node_roles
from viz.parts import FILL, RANKDIRS

__all__ = ["Explorer", "explore"]

#: Paths `explain` lists for a clicked node before it switches to the per-node (δ) form.
MAX_PATHS = 16
#: Nodes whose explanation the page holds (leaves first); each costs a pass over the graph.
EXPLAIN_NODES = 120
#: Above this many Values the page holds one layout per view (the monitor's choice), since each
#: more costs another run of `dot` (seconds for a few hundred Values).
SECOND_LAYOUT_NODES = 600
#: The views the page can show.
VIEWS = ("values", "neurons")


# -- the page --------------------------------------------------------------------------------------


def _asset(name: str) -> str:
    return resources.files("viz").joinpath("explorer").joinpath(name).read_text(encoding="utf-8")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean(text: str) -> str:
    """`text` with every lone surrogate (which no UTF-8 file can hold) replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def _script_json(data: Any) -> str:
    """JSON safe inside a <script> element: with no ``<`` at all, nothing in it can end the
    element early (``</script>``) or change how the HTML parser reads it (``<!--``); U+2028 and
    U+2029, line ends to older JavaScript, are escaped too."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace("\u2028", "\\u2028")
            .replace("\u2029", "\\u2029"))


class Explorer:
    """A computation graph's explorer page: ``.save(path)`` writes it, notebooks show it inline.

    `html` is the whole page. In a notebook, `_repr_html_` shows it inside an ``<iframe
    srcdoc=...>`` so that its script and styles stay apart from the notebook's own.
    """

    def __init__(self, html_text: str, title: str, steps: int, nodes: int) -> None:
        self.html = html_text
        self.title = title
        self.steps = steps
        self.nodes = nodes

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to `path` (``.html`` added when it has no suffix); return the path."""
        target = Path(path)
        if not target.suffix:
            target = target.with_suffix(".html")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.html, encoding="utf-8")
        return target

    def _repr_html_(self) -> str:
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" '
            f'title="{html.escape(self.title)}"'
            ' style="width: 100%; height: 720px; border: 1px solid #ccc; border-radius: 4px"'
            ' sandbox="allow-scripts"></iframe>'
        )

    def __repr__(self) -> str:
        return f"<Explorer {self.title!r}: {self.nodes} nodes, {self.steps} steps>"


def _check(root: Any, rankdir: Any, view: Any, lang: Any, lr: Any, max_paths: Any,
           explain_nodes: Any, title: Any, subtitle: Any) -> None:
    """One clear error for the first argument explore cannot take."""
    if not isinstance(root, Value):
        raise TypeError(f"explore: root must be a Value, not {type(root).__name__}: {root!r}")
    if rankdir is not None and rankdir not in RANKDIRS:
        raise ValueError(f"explore: rankdir must be one of {', '.join(RANKDIRS)} or None, "
                         f"not {rankdir!r}")
    if view not in VIEWS:
        raise ValueError(f"explore: view must be one of {', '.join(VIEWS)}, not {view!r}")
    if lang not in LANGUAGES:
        raise ValueError(f"explore: lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    if lr is not None and (isinstance(lr, bool) or not isinstance(lr, int | float)
                           or not math.isfinite(lr)):
        raise ValueError(f"explore: lr must be a finite number or None, not {lr!r}")
    for name, number in (("max_paths", max_paths), ("explain_nodes", explain_nodes)):
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise ValueError(f"explore: {name} must be an int >= 0, not {number!r}")
    for name, text in (("title", title), ("subtitle", subtitle)):
        if text is not None and not isinstance(text, str):
            raise TypeError(f"explore: {name} must be a str or None, not "
                            f"{type(text).__name__}: {text!r}")


NotByDot = tuple[str, float] | None  # why `dot` did not lay a view out (see `place`)


def _placements(sc: Scene, rankdir: str | None, small: bool, timeout: float
                ) -> tuple[dict[str, dict[str, str]], dict[str, Placement], NotByDot]:
    """Each view's direction on a wide and on a tall screen (`rankdir`, or the drawings' rule
    for each screen) and the placement of each (view, direction) needed; why `dot` did not
    make one of them, if it did not (see `place`)."""
    chosen: dict[str, dict[str, str]] = {}
    placed: dict[str, Placement] = {}
    why: NotByDot = None
    for name, edges in sc.views.items():
        ids = sc.shown[name]
        if rankdir is not None:
            wide = tall = rankdir
        else:
            wide = rankdir_for(sc.shapes, ids, edges, "wide")
            tall = rankdir_for(sc.shapes, ids, edges, "tall") if small else wide
        chosen[name] = {"wide": f"{name}:{wide}", "tall": f"{name}:{tall}"}
        for direction in dict.fromkeys((wide, tall)):
            placement, not_dot = place(sc.shapes, ids, edges, direction, timeout)
            placed[f"{name}:{direction}"] = placement
            why = why or not_dot
    return chosen, placed, why


def _placement_json(p: Placement) -> dict[str, Any]:
    return {"rankdir": p.rankdir, "w": round(p.width, 1), "h": round(p.height, 1),
            "pos": {k: [round(x, 1), round(y, 1)] for k, (x, y) in p.pos.items()},
            "paths": p.paths}


def _role_fills() -> str:
    """Each role's fill, the drawings' own (`viz.parts.FILL`), so page and drawing agree; the
    borders stay free for the states of a step."""
    return "".join(f".value.{role} rect {{ fill: {fill}; }}\n"
                   for role, fill in FILL.items() if role != "value")


def explore(
    root: Value,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    rankdir: str | None = None,
    view: str = "values",
    lang: str = "en",
    lr: float | None = None,
    max_nodes: int | None = MAX_NODES,
    max_paths: int = MAX_PATHS,
    explain_nodes: int = EXPLAIN_NODES,
    timeout: float = LAYOUT_TIMEOUT,
) -> Explorer:
    """The graph behind `root` as an `Explorer` page: step through forward and backward passes.

    - `title` heads the page (``kuibu explorer: <root's name>`` by default); `subtitle`, the
      line under it, says what the graph is (the expression, or which network).
    - `rankdir`: "LR" (inputs on the left), "TB", "RL" or "BT", as in `draw_dot`. None: the
      drawings' rule (`viz.parts.choose_rankdir`), weighed for a monitor and for a phone held
      upright; the page holds both layouts and shows the one for its window's shape.
    - `view`: "values" (a box per Value) or "neurons" (a box per neuron of an nn network, from
      its labels: weights, bias, weighted sum and activation together). A page of a network
      can switch between the two.
    - `lang`: "en" or "zh": every sentence of the page, the explanations' included.
    - `lr`: the learning rate of the closing step, which lists every leaf's gradient (for a
      network, every parameter's) and, with `lr`, its value after one step of gradient
      descent, w − lr·∂root/∂w.

    The gradients come from `backward_steps` (no node's ``.grad`` is changed). `max_paths`
    bounds the paths each node's explanation lists (past it, the per-node δ form);
    `explain_nodes` bounds how many nodes get an explanation at all (leaves first, then from
    the root down), since each takes a pass over the graph. Graphs of more than `max_nodes`
    Values are refused with `GraphTooLargeError`, as the drawings refuse them; without
    Graphviz's `dot`, or when it runs past `timeout` seconds on a view, the page uses a simple
    layered layout and says so.
    """
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not (
            math.isfinite(timeout) and timeout > 0):
        raise ValueError(f"explore: timeout must be a positive number of seconds, not "
                         f"{timeout!r}")
    _check(root, rankdir, view, lang, lr, max_paths, explain_nodes, title, subtitle)
    order = topological_order(root)
    if max_nodes is not None and len(order) > max_nodes:
        raise GraphTooLargeError(
            f"explore: the graph behind {root!r} has {len(order):,} nodes, more than "
            f"max_nodes={max_nodes:,}; pass max_nodes={len(order)} (or None) to lay out every "
            f"node; Graphviz may take {'minutes' if len(order) > 20_000 else 'a while'} and the "
            "page will step slowly"
        )
    w = page_words(lang)
    naming = Naming(order)
    layout = nn_layout(order) if looks_like_nn(order) else None
    # The drawings' roles (parameter, input, target, loss), so the page colours as they do.
    roles: list[str] = list(node_roles(order) or ["value"] * len(order))
    leaves = [i for i, n in enumerate(order) if n.rule is None]
    parameters = [i for i in leaves if roles[i] == "parameter"] or leaves
    line = timeline(root, order, naming, parameters, lr=lr, max_paths=max_paths,
                    explain_nodes=explain_nodes, w=w, lang=lang)
    sc = scene(order, line.nodes, layout.groups if layout else None, w)
    if view == "neurons" and not sc.units:
        raise ValueError("explore: view='neurons' needs a network's labels to find its neurons "
                         "(nn's layer1.neuron2.w0); this graph has none")
    chosen, placed, not_dot = _placements(sc, rankdir, len(order) <= SECOND_LAYOUT_NODES,
                                          float(timeout))
    name = line.nodes[-1].name
    title = _clean(title if title is not None else w["title"].format(name=name))
    data = {
        "lang": lang,
        "root": name,
        "note": w[not_dot[0]].format(time=duration(not_dot[1])) if not_dot else "",
        "words": w,
        "nodes": [n.as_json() for n in line.nodes],
        "steps": line.steps,
        "view": view,
        "views": chosen,
        "layouts": {k: _placement_json(p) for k, p in placed.items()},
        "units": [{"name": u.name, "members": u.members, "rep": u.rep, "samples": u.samples}
                  for u in sc.units],
        "boxOf": sc.box_of,
    }
    first = placed[chosen[view]["wide"]]
    parts = {
        "lang": lang,
        "title": html.escape(title),
        "subtitle": html.escape(subtitle or ""),
        "style": _asset("explorer.css") + _role_fills(),
        "graph": svg(sc, line.nodes, roles, view, first, w),
        "data": _script_json(data),
        "script": _asset("explorer.js"),
        "neurons": "" if sc.units else " hidden",
        "pressed": "true" if view == "neurons" else "false",
        **{f"w_{k}": html.escape(v) for k, v in w.items()},
    }
    # One pass, so that nothing a label holds is read as a placeholder.
    page = re.sub(r"\{\{(\w+)\}\}", lambda m: parts[m.group(1)], _asset("page.html"))
    return Explorer(_clean(page), title, len(line.steps), len(order))
