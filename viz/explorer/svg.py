"""The explorer's drawing: every shape of the scene as SVG, placed as one placement says.

Each shape is a group moved into place by its ``transform`` (its own coordinates are around
its centre), so the page's script can move it to another placement (another direction, or the
neuron view) by changing that one attribute. Shapes a view does not show carry the class
``off``; every edge names its view and its two ends, so the script finds what a step lights.
"""

from __future__ import annotations

import html

from viz.explorer.layout import LINE, PAD, Placement, Scene
from viz.explorer.timeline import NodeInfo

__all__ = ["svg"]


def svg(sc: Scene, nodes: list[NodeInfo], roles: list[str], view: str, placement: Placement,
        w: dict[str, str]) -> str:
    """The whole scene as SVG, shapes of `view` placed by `placement`, the rest hidden."""
    esc = html.escape
    shown = set(sc.shown[view])
    out = [f'<svg id="graph" viewBox="-10 -10 {placement.width + 20:.1f} '
           f'{placement.height + 20:.1f}" role="img" aria-label="{esc(w["graph"])}">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
           'markerHeight="8" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
           '<path d="M0,0L10,5L0,10z"/></marker></defs>',
           '<g id="viewport">', '<g class="halos"></g>', '<g class="edges">']
    for name, edges in sc.views.items():
        paths = placement.paths if name == view else [""] * len(edges)
        off = "" if name == view else " off"
        for e, d in zip(edges, paths, strict=True):
            attrs = f' data-view="{name}" data-tail="{e.tail}" data-head="{e.head}"'
            if e.kind == "in" and e.k >= 0:
                factor = nodes[e.node].factors[e.k] if nodes[e.node].factors else ""
                attrs += f' data-from="{nodes[e.node].inputs[e.k]}" data-to="{e.node}"'
                attrs += f' data-factor="{esc(factor)}"'
            elif e.kind == "out":
                attrs += f' data-to="{e.node}"'
            out.append(f'<path class="edge {e.kind}{off}" d="{d or "M0,0"}"{attrs} '
                       'marker-end="url(#arrow)"/>')
    out.append('</g><g class="factors"></g><g class="nodes">')
    for s in sc.shapes:
        at = placement.pos.get(s.id) if s.id in shown else None
        move = f' transform="translate({at[0]:.1f} {at[1]:.1f})"' if at else ""
        off = "" if at else " off"
        x0, y0 = -s.width / 2, -s.height / 2
        if s.kind == "op":
            out.append(f'<g class="op{off}" id="{s.id}" data-of="{s.id[1:-3]}"{move}>'
                       f'<circle r="{s.width / 2:.1f}"/><text y="4">{esc(s.text)}</text></g>')
        elif s.kind == "const":
            out.append(f'<text class="const{off}" id="{s.id}" y="4"{move}>{esc(s.text)}</text>')
        elif s.kind == "unit":
            u = int(s.id[1:])
            unit = sc.units[u]
            count = w["parameters"].format(n=unit.parameters)
            out.append(
                f'<g class="unit box{off}" id="{s.id}" data-unit="{u}" data-rep="{unit.rep}" '
                f'data-unit-name="{esc(unit.name)}" tabindex="-1"{move}><title></title>'
                f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{s.width:.1f}" height="{s.height:.1f}" '
                f'rx="6"/>' + _lines(x0, y0, [unit.name, "", "", count]) + "</g>")
        else:
            i = int(s.id[1:])
            n = nodes[i]
            classes = f"value box {esc(roles[i])}" + (" leaf" if n.leaf else "") + off
            out.append(
                f'<g class="{classes}" id="{s.id}" data-index="{i}" data-name="{esc(n.name)}" '
                f'data-value="" data-grad="" tabindex="-1"{move}><title></title>'
                f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{s.width:.1f}" height="{s.height:.1f}" '
                f'rx="4"/>' + _lines(x0, y0, [n.name, "", ""]) + "</g>")
    out.append("</g></g></svg>")
    return "\n".join(out)


def _lines(x0: float, y0: float, texts: list[str]) -> str:
    """A box's lines of text: its name, then data and grad (filled in by the page's script as
    the steps reach them) and, for a neuron, how many parameters it holds."""
    left = x0 + PAD
    classes = ["name", "data", "grad", "count"]
    return "".join(
        f'<text class="{c}" x="{left:.1f}" y="{y0 + (k + 1) * LINE:.1f}">{html.escape(t)}</text>'
        for k, (c, t) in enumerate(zip(classes, texts, strict=False)))
