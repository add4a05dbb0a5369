"""`explore_step`: a training step's graph as a web page, collapsed by its structure.

A step of a GPT records 10⁴–10⁵ nodes; `explore` lays every node out and refuses graphs that
large. This page opens on the blocks of `viz.structure` instead: one box per block (a position's
embedding, norms, attention heads, attention output, MLP, lm_head and loss; each weight matrix),
each with its number of nodes, the range of its values and the norm of its gradients, and an
arrow between blocks labelled with the edges it stands for. Clicking a block expands it into its
parts (its nodes grouped by operation and by the weights they read, each with its count, values
and gradient norm) and shows them beside the graph with a few of its nodes; the parts are made
when the block is opened, so the page holds each block's short list, never a layout of every
node. The timeline steps through the blocks: forward in the order the step computes them, then
backward in the order the engine's sweep completes their gradients.

The layout is a grid written here (positions as rows, parts as columns), not Graphviz's, so the
page is made in a fraction of a second and paints at once. Every number is the engine's, written
by Python; the page's script only shows and hides them. It needs nothing from the network.
"""

from __future__ import annotations

import html
import math
import re
from importlib import resources
from typing import Any

from autograd import Value, sweep_order, topological_order
from viz.explore import Explorer, _clean, _script_json
from viz.parts import format_number
from viz.structure import Block, Structure, find_structure
from viz.structured import block_lines, block_title

__all__ = ["explore_step"]

#: Parts a block lists when opened; the rest are counted as one more line.
MAX_PARTS = 24
#: Nodes of a block shown by name when it is opened.
SAMPLE = 12
#: A box's size and the gaps between boxes, in pixels (its text is 12 px; see step.css).
BOX_W, BOX_H, GAP_X, GAP_Y = 190, 64, 34, 8
#: Room right of an attention column for the keys and values one position reads from earlier
#: ones: a dashed lane per head, so those lines run beside the boxes, never across their text.
LANE = 7

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "kuibu: one training step of {root}, by its structure",
        "subtitle": "{nodes} nodes in {blocks} blocks. Click a block to open its parts; step "
                    "forward and backward through the blocks.",
        "timeline": "timeline", "prev": "back", "next": "next", "collapse_all": "close all",
        "part": "part", "count": "nodes", "values": "values", "grad": "grad norm",
        "help": "Each box is a block of the step's graph: its nodes, the range of their values "
                "and the norm of their gradients. Arrows carry the number of edges they stand "
                "for; dashed ones are the keys and values a position reads from earlier ones. "
                "The weights' arrows are left out: a weight's box, clicked, marks the blocks "
                "that read it.",
        "forward": "forward {k} of {count}: {title}",
        "forward_text": "{nodes} nodes computed; values {low} … {high}",
        "backward": "backward {k} of {count}: {title}",
        "backward_text": "its gradients are complete: grad norm {norm}",
        "more": "… {count} more parts",
        "row": "row {r}",
        "position": "position {p}",
        "token": "position {p} (token {t})",
        "weights": "weights",
    },
    "zh": {
        "title": "kuibu：{root} 的一个训练步，按结构展示",
        "subtitle": "{nodes} 个节点，分成 {blocks} 块。点击一块展开它的组成部分；"
                    "按前向和反向逐块查看。",
        "timeline": "时间线", "prev": "上一步", "next": "下一步", "collapse_all": "全部收起",
        "part": "部分", "count": "节点", "values": "数值", "grad": "梯度范数",
        "help": "每个方框是这一步计算图中的一块：它的节点数、数值范围和梯度的范数。"
                "箭头上的数字是它代表的边数；虚线是一个位置从之前各位置读取的 k 和 v。"
                "从权重出发的箭头略去不画：点击权重的方框，会标出读取它的各块。",
        "forward": "前向 {k}/{count}：{title}",
        "forward_text": "算出 {nodes} 个节点；数值 {low} … {high}",
        "backward": "反向 {k}/{count}：{title}",
        "backward_text": "它的梯度已全部算完：梯度范数 {norm}",
        "more": "… 另有 {count} 个部分",
        "row": "第 {r} 行",
        "position": "位置 {p}",
        "token": "位置 {p}（词元 {t}）",
        "weights": "权重",
    },
}


def _asset(name: str) -> str:
    return resources.files("viz").joinpath("stepper").joinpath(name).read_text(encoding="utf-8")


def _names(order: list[Value]) -> list[str]:
    """Each node's name as `autograd.Naming` gives it (its label, or n<k> counting the
    unlabelled nodes), without writing any formula: the page names nodes, it shows no formula."""
    labels = {n.label for n in order if n.label}
    names, k = [], 0
    for n in order:
        if n.label:
            names.append(n.label)
            continue
        k += 1
        while f"n{k}" in labels:
            k += 1
        names.append(f"n{k}")
    return names


def _range(values: list[float]) -> str:
    finite = [x for x in values if math.isfinite(x)]
    if not finite:
        return "—"
    return f"{format_number(min(finite), 3)} … {format_number(max(finite), 3)}"


def _norm(values: list[float]) -> str:
    return format_number(math.sqrt(math.fsum(g * g for g in values)), 3)


def _part_key(node: Value, block: Block, w: dict[str, str]) -> str:
    """The part of its block a node is in: a weight's row, or its operation and the weights it
    reads."""
    if block.kind == "weights":
        row = node.label.rsplit("][", 1)[0].rsplit("[", 1)[-1]
        return w["row"].format(r=row)
    if node.is_leaf:
        return "leaf"
    read = next((p.label for p in node.parents if p.is_leaf and p.label and "[" in p.label),
                None)
    if read is not None:
        return f"{node.op} · {read.split('[', 1)[0].split('.')[-1]}"
    return node.op


def _parts(members: list[int], order: list[Value], block: Block, names: list[str],
           w: dict[str, str]) -> tuple[list[dict[str, Any]], list[str]]:
    groups: dict[str, list[int]] = {}
    for i in members:
        groups.setdefault(_part_key(order[i], block, w), []).append(i)
    parts: list[dict[str, Any]] = [{"name": key, "count": len(ids),
              "values": _range([order[i].data for i in ids]),
              "grad": _norm([order[i].grad for i in ids])} for key, ids in groups.items()]
    if len(parts) > MAX_PARTS:
        rest = parts[MAX_PARTS - 1:]
        parts = [*parts[:MAX_PARTS - 1], {
            "name": w["more"].format(count=len(rest)), "count": sum(p["count"] for p in rest),
            "values": "", "grad": ""}]
    sample = [f"{names[i]}  {order[i].op or 'leaf'}  data {format_number(order[i].data)}  "
              f"grad {format_number(order[i].grad)}" for i in members[:SAMPLE]]
    return parts, sample


def _x(column: int, heads: int) -> float:
    """A column's left edge: columns of equal width, with the heads' lanes (`LANE` each) after
    every attention column (the third of a layer's five, counting from column 2)."""
    lanes = len(range(3, column, 5))  # attention columns left of this one
    return 10 + column * (BOX_W + GAP_X) + lanes * (heads + 1) * LANE


def _column(block: Block, n_layer: int) -> int:
    """A block's column: the embedding first, five per layer, then the lm_head and the loss."""
    if block.part == "embed":
        return 0
    if block.part == "embed_norm":
        return 1
    if block.layer is not None:
        return 2 + 5 * block.layer + ("norm1", "head", "attn_out", "norm2", "mlp").index(block.part)
    return 2 + 5 * n_layer + {"norm_f": 0, "lm_head": 1, "loss": 2}.get(block.part, 3)


Corners = list[tuple[float, float]]


def _layout(s: Structure) -> tuple[Corners, float, float, list[tuple[str, float]]]:
    """Each block's top-left corner, the picture's size, and the rows' titles with their y."""
    heads = max((b.head or 0) + 1 for b in s.blocks)
    row_h = heads * (BOX_H + GAP_Y) + 24.0
    positions = sorted({b.position for b in s.blocks if b.kind == "part"}, key=lambda p: p or 0)
    row_of = {p: k for k, p in enumerate(positions)}
    last_col = 2 + 5 * s.n_layer + 3
    corners: list[tuple[float, float]] = []
    weights_x = 10.0
    below = 30.0 + len(positions) * row_h
    for b in s.blocks:
        if b.kind == "part":
            top = 30 + row_of[b.position] * row_h + 18
            if b.part == "head":
                y = top + (b.head or 0) * (BOX_H + GAP_Y)
            else:
                y = top + (heads - 1) * (BOX_H + GAP_Y) / 2
            corners.append((_x(_column(b, s.n_layer), heads), y))
        elif b.kind == "loss":
            corners.append((_x(last_col, heads), 30 + len(positions) * row_h / 2))
        else:  # the weights (and anything unplaced) in a row below
            corners.append((weights_x, below + 24))
            weights_x += BOX_W + GAP_X / 2
    width = max(weights_x, _x(last_col + 1, heads))
    height = below + 24 + BOX_H + 20
    titles = [(str(p), 30 + row_of[p] * row_h + 12) for p in positions]
    return corners, width, height, titles


def _svg(s: Structure, corners: list[tuple[float, float]], width: float, height: float,
         titles: list[tuple[str, float]], lines: list[list[str]], words: dict[str, str],
         lang: str) -> str:
    out = [f'<svg id="graph" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
           f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" role="img">']
    for p, y in titles:
        t = s.tokens.get(int(p))
        text = (words["token"].format(p=p, t=t) if t is not None
                else words["position"].format(p=p))
        out.append(f'<text class="row-title" x="10" y="{y:.0f}">{html.escape(text)}</text>')
    below = max((y for (_, y), b in zip(corners, s.blocks, strict=True) if b.kind == "weights"),
                default=None)
    if below is not None:
        out.append(f'<text class="row-title" x="10" y="{below - 8:.0f}">'
                   f'{html.escape(words["weights"])}</text>')
    for (a, b), count in sorted(s.links().items()):
        ba, bb = s.blocks[a], s.blocks[b]
        if ba.kind == "weights":
            continue
        (xa, ya), (xb, yb) = corners[a], corners[b]
        kv = ba.kind == bb.kind == "part" and ba.position != bb.position
        if kv:  # out of the earlier head's right side, down its head's lane, into the later one
            lane = xa + BOX_W + LANE * ((ba.head or 0) + 1)
            x1, y1, x2, y2 = xa + BOX_W, ya + BOX_H - 10, xb + BOX_W, yb + 10
            path = f"M{x1:.0f},{y1:.0f} H{lane:.0f} V{y2:.0f} H{x2:.0f}"
        else:
            x1, y1, x2, y2 = xa + BOX_W, ya + BOX_H / 2, xb, yb + BOX_H / 2
        mid = (x1 + x2) / 2
        if not kv:
            path = f"M{x1:.0f},{y1:.0f} C{mid:.0f},{y1:.0f} {mid:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
        out.append(f'<path class="link{" kv" if kv else ""}" d="{path}" '
                   f'data-from="{a}" data-to="{b}" data-count="{count}"/>')
        if not kv:
            # A link that skips columns (a residual) passes behind the boxes between: its count
            # goes just past its start, under the line, where no box covers it.
            lx, ly = (x1 + GAP_X / 2, y1 + 13) if xb - xa > 2 * BOX_W else (mid, (y1 + y2) / 2 - 3)
            out.append(f'<text class="count" x="{lx:.0f}" y="{ly:.0f}" '
                       f'text-anchor="middle">×{count:,}</text>')
    for k, (block, (x, y)) in enumerate(zip(s.blocks, corners, strict=True)):
        cls = f"block {block.kind} {block.part}".strip()
        title = block_title(block, lang)
        out.append(f'<g class="{cls}" id="block{k}" data-name="{html.escape(block.name)}">'
                   f'<rect class="box" x="{x:.0f}" y="{y:.0f}" width="{BOX_W}" height="{BOX_H}" '
                   f'rx="5"/>'
                   f'<text class="title" x="{x + 6:.0f}" y="{y + 15:.0f}">'
                   f'{html.escape(title)}</text>')
        for j, line in enumerate(lines[k]):
            css = ' class="grad"' if j == 2 else ""
            out.append(f'<text{css} x="{x + 6:.0f}" y="{y + 30 + 13 * j:.0f}">'
                       f'{html.escape(line)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def explore_step(root: Value, *, title: str | None = None, subtitle: str | None = None,
                 lang: str = "en") -> Explorer:
    """The step page for the graph behind `root` (a GPT's loss; gradients from a
    ``backward()`` already taken are shown, zeros otherwise). A ValueError when the graph has
    no weights named as nn.GPT names them (see `viz.structure`)."""
    if not isinstance(root, Value):
        raise TypeError(f"explore_step: root must be a Value, not {type(root).__name__}: "
                        f"{root!r}")
    if lang not in WORDS:
        raise ValueError(f"explore_step: lang must be one of {', '.join(WORDS)}, not {lang!r}")
    for name, text in (("title", title), ("subtitle", subtitle)):
        if text is not None and not isinstance(text, str):
            raise TypeError(f"explore_step: {name} must be a str or None, not "
                            f"{type(text).__name__}: {text!r}")
    order = topological_order(root)
    s = find_structure(order)
    if s is None:
        raise ValueError(
            "explore_step: no transformer in this graph: the page reads nn.GPT's weight labels "
            "(wte[i][j], wpe[p][j], layer0.attn_wq[i][j], …); explore() shows other graphs")
    w = WORDS[lang]
    names = _names(order)
    members = s.members()
    summaries = [s.summary(b, m) for b, m in enumerate(members)]
    lines = [block_lines(x, lang) for x in summaries]
    links = s.links()
    readers: dict[int, list[int]] = {}
    for (a, b) in links:
        if s.blocks[a].kind == "weights":
            readers.setdefault(a, []).append(b)

    # Forward: blocks in the order the step computes their first node; backward: in the order
    # the sweep completes their last gradient.
    first = [min((i for i in m if not order[i].is_leaf), default=-1) for m in members]
    computed = sorted((b for b in range(len(s.blocks)) if first[b] >= 0), key=lambda b: first[b])
    swept = {id(n): k for k, n in enumerate(sweep_order(root))}
    done = [max(swept[id(order[i])] for i in m) for m in members]
    graded = sorted(range(len(s.blocks)), key=lambda b: done[b])
    steps: list[dict[str, Any]] = []
    forward_at = [-1] * len(s.blocks)
    backward_at = [0] * len(s.blocks)
    for k, b in enumerate(computed, 1):
        forward_at[b] = len(steps)
        sm = summaries[b]
        steps.append({"block": b, "phase": "forward",
                      "title": w["forward"].format(k=k, count=len(computed),
                                                   title=block_title(s.blocks[b], lang)),
                      "text": w["forward_text"].format(nodes=f"{sm.nodes:,}",
                                                       low=format_number(sm.low, 3),
                                                       high=format_number(sm.high, 3))})
    for k, b in enumerate(graded, 1):
        backward_at[b] = len(steps)
        steps.append({"block": b, "phase": "backward",
                      "title": w["backward"].format(k=k, count=len(graded),
                                                    title=block_title(s.blocks[b], lang)),
                      "text": w["backward_text"].format(
                          norm=format_number(summaries[b].grad_norm, 3))})
    blocks = []
    corners, width, height, titles = _layout(s)
    for b, block in enumerate(s.blocks):
        parts, sample = _parts(members[b], order, block, names, w)
        x, y = corners[b]
        blocks.append({"name": block.name, "title": block_title(block, lang), "lines": lines[b],
                       "x": round(x), "y": round(y), "w": BOX_W, "h": BOX_H, "parts": parts,
                       "sample": sample, "readers": readers.get(b, []),
                       "forward": forward_at[b], "backward": backward_at[b]})
    root_name = names[-1]
    title = _clean(title if title is not None else w["title"].format(root=root_name))
    sub = subtitle if subtitle is not None else w["subtitle"].format(
        nodes=f"{len(order):,}", blocks=len(s.blocks))
    data = {"lang": lang, "words": w, "blocks": blocks, "steps": steps}
    parts_html = {
        "lang": lang, "title": html.escape(title), "subtitle": html.escape(_clean(sub)),
        "style": _asset("step.css"),
        "graph": _svg(s, corners, width, height, titles, lines, w, lang),
        "data": _script_json(data), "script": _asset("step.js"), "last": str(len(steps) - 1),
        **{f"w_{k}": html.escape(v) for k, v in w.items()},
    }
    page = re.sub(r"\{\{(\w+)\}\}", lambda m: parts_html[m.group(1)], _asset("page.html"))
    return Explorer(_clean(page), title, len(steps), len(order))
