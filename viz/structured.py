"""The structural drawing of a transformer step: one box per block of `viz.structure`.

Each position is a row (its embedding on the left, its loss on the right), each block of it
one box saying how many nodes it holds, the range of their values and the norm of their
gradients. Arrows inside a column join the blocks that feed each other, labelled with the
number of edges they stand for; the keys and values a position reads from the positions before
it are one dashed arrow per pair of positions. The weight matrices stand in a row of their own
below, each box with its gradient's norm; their arrows (one into every block of every
position) are left out, and each block names the matrices it reads instead.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from autograd import Value
from viz.parts import FONT, cluster_id, digraph, escape, format_number
from viz.structure import Block, BlockSummary, Structure

if TYPE_CHECKING:  # drawing needs the package, importing viz does not (see parts.graphviz)
    import graphviz  # type: ignore[import-untyped]

__all__ = ["WORDS", "block_title", "draw_structure"]

#: The words of the structural view, one table per language (names and numbers are not
#: translated).
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "One training step, collapsed by its structure: {nodes} nodes in {blocks} "
                 "blocks, one row per position, the weights below. The arrows from the "
                 "weights are left out: each block names the matrices it reads.",
        "nodes": "{count} nodes",
        "values": "values {low} … {high}",
        "grad": "grad norm {norm}",
        "reads": "reads {names}",
        "weights": "weights",
        "position": "position {p}",
        "token": "position {p} (token {t})",
        "kv": "k, v ×{count}",
        "kv_all": "Dashed arrows: the keys and values a position reads from an earlier one "
                  "(k, v ×{count} each).",
        "embed": "embedding", "embed_norm": "rmsnorm", "norm1": "rmsnorm 1",
        "head": "attention head {head}", "attn_out": "attention out + residual",
        "norm2": "rmsnorm 2", "mlp": "MLP + residual", "norm_f": "final rmsnorm",
        "lm_head": "lm_head", "loss": "−log p(next)", "mean": "loss (mean over positions)",
        "other": "other nodes",
    },
    "zh": {
        "title": "一个训练步，按结构折叠：{nodes} 个节点，分成 {blocks} 块，每个位置一行，"
                 "权重在下方。从权重出发的箭头略去不画，每块写出它读取的矩阵。",
        "nodes": "{count} 个节点",
        "values": "数值 {low} … {high}",
        "grad": "梯度范数 {norm}",
        "reads": "读取 {names}",
        "weights": "权重",
        "position": "位置 {p}",
        "token": "位置 {p}（词元 {t}）",
        "kv": "k、v ×{count}",
        "kv_all": "虚线箭头：一个位置从之前某个位置读取的 k 和 v（每条 k、v ×{count}）。",
        "embed": "嵌入", "embed_norm": "rmsnorm", "norm1": "rmsnorm 1",
        "head": "注意力头 {head}", "attn_out": "注意力输出 + 残差",
        "norm2": "rmsnorm 2", "mlp": "MLP + 残差", "norm_f": "最后的 rmsnorm",
        "lm_head": "lm_head", "loss": "−log p(下一个)", "mean": "损失（各位置的平均）",
        "other": "其他节点",
    },
}

_FILL = {"weights": "#fff2cc", "part": "#ffffff", "loss": "#f8d7da", "other": "#eeeeee"}
_PART_FILL = {"head": "#e3f0fb", "attn_out": "#e3f0fb", "mlp": "#e6f4ea", "lm_head": "#f3e8fd",
              "loss": "#fdecea"}


def _words(lang: str) -> dict[str, str]:
    table = WORDS.get(lang) if isinstance(lang, str) else None
    if table is None:
        raise ValueError(f"lang must be one of {', '.join(map(repr, WORDS))}, not {lang!r}")
    return table


def block_title(block: Block, lang: str = "en") -> str:
    """A block's title in `lang`: ``attention head 2``, ``layer0.attn_wq``, ``loss (mean …)``."""
    w = _words(lang)
    if block.kind == "weights":
        return block.matrix
    if block.kind == "loss":
        return w["mean"]
    if block.kind == "other":
        return w["other"]
    title = w[block.part].format(head=block.head)
    return f"layer{block.layer} {title}" if block.layer is not None else title


def block_lines(s: BlockSummary, lang: str = "en") -> list[str]:
    """A block's numbers as its box shows them."""
    w = _words(lang)
    return [w["nodes"].format(count=f"{s.nodes:,}"),
            w["values"].format(low=format_number(s.low, 3), high=format_number(s.high, 3)),
            w["grad"].format(norm=format_number(s.grad_norm, 3))]


def reads(structure: Structure, members: list[list[int]], links: dict[tuple[int, int], int],
          ) -> dict[int, list[str]]:
    """Per block, the weight matrices it reads."""
    found: dict[int, list[str]] = {}
    for (a, b) in links:
        if structure.blocks[a].kind == "weights":
            found.setdefault(b, []).append(structure.blocks[a].matrix)
    return {b: sorted(set(names), key=names.index) for b, names in found.items()}


def draw_structure(
    root: Value, structure: Structure, *, note: str = "", rankdir: str | None = None,
    dpi: int | None = None, lang: str = "en",
) -> graphviz.Digraph:
    """The drawing: positions as rows of blocks, the mean loss where they meet, the weights in
    a row below. `note` is added under the title."""
    w = _words(lang)
    members = structure.members()
    links = structure.links()
    read = reads(structure, members, links)
    clusters: dict[str, list[str]] = {}
    for b, block in enumerate(structure.blocks):
        summary = structure.summary(b, members[b])
        lines = block_lines(summary, lang)
        if b in read and block.kind == "part":  # the layer is in the title already
            names = [name.split(".")[-1] for name in read[b]]
            lines.append(w["reads"].format(names=", ".join(names)))
        fill = _PART_FILL.get(block.part, _FILL[block.kind]) if block.kind == "part" else (
            _FILL[block.kind])
        label = (f"<B>{escape(block_title(block, lang))}</B><BR/>"
                 + "<BR/>".join(escape(line) for line in lines))
        clusters.setdefault(block.group, []).append(
            f'b{b} [label=<{label}> shape=box style="rounded,filled" fillcolor="{fill}" '
            f'class="block" id="block{b}"]')
    body: list[str] = []
    for group, lines in clusters.items():
        if group in ("loss", "other"):
            body += lines
            continue
        if group == "weights":
            title = w["weights"]
        else:
            p = int(group[1:])
            t = structure.tokens.get(p)
            title = (w["token"].format(p=p, t=t) if t is not None
                     else w["position"].format(p=p))
        body.append(f"subgraph {cluster_id((group,))} {{")
        body.append(f'\tlabel=<{escape(title)}> style="rounded,dashed" color="#888888" '
                    f'fontname="{FONT}" fontsize=11')
        body += ["\t" + line for line in lines]
        body.append("}")
    arrows, kv_note = _arrows(structure, links, w)
    body += arrows
    weights = [b for b, block in enumerate(structure.blocks) if block.kind == "weights"]
    body += [f"b{a} -> b{b} [style=invis]" for a, b in itertools.pairwise(weights)]
    title = w["title"].format(nodes=f"{len(structure.order):,}",
                              blocks=len(structure.blocks))
    caption = "<BR/>".join(escape(text) for text in (title, kv_note, note) if text)
    return digraph(body, {"rankdir": rankdir or "LR", "compound": "true", "label": f"<{caption}>",
                          "labelloc": "t", "fontname": FONT, "nodesep": "0.15",
                          "newrank": "false"}, dpi=dpi)


def _arrows(structure: Structure, links: dict[tuple[int, int], int],
            w: dict[str, str]) -> tuple[list[str], str]:
    """Arrows inside a position, one dashed arrow per pair of positions for keys and values,
    and the positions' losses into the mean; none from the weights. When every dashed arrow
    stands for as many edges, the count is said once, in the caption (the second item), not
    beside each arrow: dozens of labels on one bundle of lines overlap."""
    blocks = structure.blocks
    out: list[str] = []
    across: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    for (a, b), count in sorted(links.items()):
        ba, bb = blocks[a], blocks[b]
        if ba.kind == "weights":
            continue
        if ba.kind == "part" and bb.kind == "part" and ba.position != bb.position:
            across.setdefault((ba.position, bb.position), []).append((a, b, count))  # type: ignore[arg-type]
            continue
        label = f" [label=<×{count:,}>]" if count > 1 else ""
        out.append(f"b{a} -> b{b}{label}")
    totals = {sum(c for _, _, c in pairs) for pairs in across.values()}
    once = len(totals) == 1
    for _, pairs in sorted(across.items()):
        a, b, _ = pairs[0]
        total = sum(c for _, _, c in pairs)
        label = "" if once else f'xlabel=<{escape(w["kv"].format(count=f"{total:,}"))}> '
        out.append(f'b{a} -> b{b} [{label}style=dashed color="#777777" constraint=false]')
    return out, w["kv_all"].format(count=f"{totals.pop():,}") if once else ""
