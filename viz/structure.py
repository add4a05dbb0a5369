"""A transformer step's graph grouped by its structure: per position, the embedding, each layer's
norms, attention heads, attention output and MLP, the lm_head and the loss; and the weights.

A training step of a GPT (nn.GPT, microgpt) records 10⁴–10⁵ nodes, far too many to draw or read
one by one. Its structure is in the weights' labels (``wte[i][j]``, ``wpe[p][j]``,
``layer0.attn_wq[i][j]``, ``layer0.mlp_fc1[i][j]``, ``lm_head[i][j]``) and in the shape of the
graph; one pass in topological order reads it, with no label on the inner nodes:

- a node that reads a weight belongs to that weight's part: ``wte``/``wpe`` the embedding,
  ``attn_wq``/``wk``/``wv`` row r attention head r // head_dim (the head size is the length of
  the query in an attention score, a dot product of query and key nodes), ``attn_wo`` the
  attention output, ``mlp_fc1``/``fc2`` the MLP, ``lm_head`` the lm_head;
- a sum of squares ``Σ xᵢ·xᵢ`` (rmsnorm's mean square) starts the norm that follows the part
  of x: the embedding's norm, then each layer's norm before attention (norm 1) and before the
  MLP (norm 2);
- every other node joins the latest part among its inputs (a softmax joins its head, a
  residual sum the part that made it), and what follows the lm_head is the loss;
- its position is the latest position among its inputs (a causal model: position p reads
  positions ≤ p), starting from ``wpe[p]``; the loss's mean over positions stands apart.

`find_structure` returns None for a graph without such weights, so callers fall back to
another view.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from autograd import Value

__all__ = ["Block", "Structure", "find_structure"]

_WEIGHT = re.compile(
    r"^(?P<matrix>wte|wpe|lm_head|layer(?P<layer>\d+)\.(?P<kind>attn_w[qkvo]|mlp_fc[12]))"
    r"\[(?P<row>\d+)\]\[(?P<col>\d+)\]$"
)

#: Parts of a position, in the order a step computes them, with their rank inside a layer.
_LAYER_PARTS = ("norm1", "head", "attn_out", "norm2", "mlp")
_EMBED, _EMBED_NORM, _LM_HEAD, _LOSS = "embed", "embed_norm", "lm_head", "loss"
_TOP = 1 << 30  # the layer rank of what follows every layer
#: A weight leaf as read from its label: (matrix, layer, kind, row, column).
Weight = tuple[str, int | None, str, int, int]
#: A node's part: (layer rank, part rank, part, head).
Stage = tuple[int, int, str, int | None]


@dataclass(frozen=True, order=True)
class Block:
    """One box of the structural view.

    `kind` is "weights" (one weight matrix, `matrix` its name), "part" (a part of one position:
    `part` one of embed, embed_norm, norm1, head, attn_out, norm2, mlp, norm_f, lm_head, loss,
    with `layer` and `head` where they apply), "loss" (the mean over positions: the root and
    the nodes that gather the positions' losses), or "other" (anything the reading could not
    place: leaves that are not weights, nodes of no part).
    """

    rank: tuple[int, int, int, int]  #: reading order: (kind, position, layer rank, part rank)
    kind: str
    position: int | None = None
    layer: int | None = None
    part: str = ""
    head: int | None = None
    matrix: str = ""

    @property
    def name(self) -> str:
        """A short name: ``wte``, ``p3 layer0 head2``, ``p3 embed``, ``loss``."""
        if self.kind == "weights":
            return self.matrix
        if self.kind in ("loss", "other"):
            return self.kind
        where = f"p{self.position} " if self.position is not None else ""
        if self.part in (_EMBED, _EMBED_NORM, _LM_HEAD, _LOSS, "norm_f"):
            return where + self.part
        head = f"{self.head}" if self.head is not None else ""
        return f"{where}layer{self.layer} {self.part}{head}"

    @property
    def group(self) -> str:
        """The block's column: ``p3`` for a position's parts, ``weights``, ``loss``."""
        if self.kind == "part":
            return f"p{self.position}"
        return "weights" if self.kind == "weights" else self.kind


@dataclass
class Structure:
    """The blocks of a step's graph and which block each node is in."""

    order: list[Value]  #: the graph, topological order
    blocks: list[Block]  #: in reading order
    block_of: list[int]  #: per node (by its index in `order`), its block's index
    n_layer: int
    head_dim: int | None
    #: the token id read at each position (the wte row), by position
    tokens: dict[int, int] = field(default_factory=dict)

    def members(self) -> list[list[int]]:
        """Each block's nodes, by index in `order`."""
        out: list[list[int]] = [[] for _ in self.blocks]
        for i, b in enumerate(self.block_of):
            out[b].append(i)
        return out

    def links(self) -> dict[tuple[int, int], int]:
        """(block of an input, block of its user) -> how many edges go between them."""
        index = {id(n): i for i, n in enumerate(self.order)}
        found: dict[tuple[int, int], int] = {}
        for i, node in enumerate(self.order):
            b = self.block_of[i]
            for p in node.parents:
                a = self.block_of[index[id(p)]]
                if a != b:
                    found[(a, b)] = found.get((a, b), 0) + 1
        return found

    def summary(self, b: int, members: Sequence[int]) -> BlockSummary:
        """Block b's numbers: its nodes, operations, the range and mean of its values, and the
        norm of its gradients √Σ grad²."""
        nodes = [self.order[i] for i in members]
        data = [n.data for n in nodes]
        finite = [x for x in data if math.isfinite(x)]
        grads = [n.grad for n in nodes]
        return BlockSummary(
            nodes=len(nodes),
            operations=sum(1 for n in nodes if not n.is_leaf),
            low=min(finite) if finite else math.nan,
            high=max(finite) if finite else math.nan,
            mean=math.fsum(finite) / len(finite) if finite else math.nan,
            grad_norm=math.sqrt(math.fsum(g * g for g in grads)),
        )


@dataclass
class BlockSummary:
    """A block's numbers, as its box shows them."""

    nodes: int
    operations: int
    low: float
    high: float
    mean: float
    grad_norm: float


def _weight_of(node: Value) -> Weight | None:
    """(matrix, layer, kind, row, column) of a weight leaf named like nn.GPT's, else None."""
    if not node.is_leaf or not node.label:
        return None
    m = _WEIGHT.match(node.label)
    if m is None:
        return None
    layer = m.group("layer")
    kind = m.group("kind") or m.group("matrix")
    return (m.group("matrix"), int(layer) if layer is not None else None, kind,
            int(m.group("row")), int(m.group("col")))


def _is_square_sum(node: Value) -> bool:
    """Σ xᵢ·xᵢ as one `linear` node: each input twice in a row (rmsnorm's mean square)."""
    if node.op != "linear":
        return False
    ps = node.parents
    return len(ps) >= 2 and len(ps) % 2 == 0 and all(
        ps[k] is ps[k + 1] for k in range(0, len(ps), 2))


def find_structure(order: list[Value]) -> Structure | None:
    """The structure of a transformer step's graph (`order` its topological order, the root
    last), or None when no weight is labelled as nn.GPT labels them."""
    weights = [_weight_of(n) for n in order]
    if not any(w is not None and w[2] in ("wte", "wpe") for w in weights):
        return None
    index = {id(n): i for i, n in enumerate(order)}
    n_layer = 1 + max((w[1] for w in weights if w is not None and w[1] is not None), default=-1)
    head_dim = _head_dim(order, weights, index)

    # Per node: the part it is in as (layer rank, part rank, part, head), and its position.
    stage: list[Stage | None] = [None] * len(order)
    position: list[int | None] = [None] * len(order)
    tokens: dict[int, int] = {}
    for i, node in enumerate(order):
        w = weights[i]
        if node.is_leaf:
            if w is not None and w[2] == "wpe":
                position[i] = w[3]
            continue
        inputs = [index[id(p)] for p in node.parents]
        positions = [q for q in (position[j] for j in inputs) if q is not None]
        read = [r for r in (weights[j] for j in inputs) if r is not None]
        mine = _stage_read(read, head_dim) if read else None
        if mine is None and _is_square_sum(node):
            mine = _norm_after(stage[inputs[0]], n_layer)
        if mine is None:
            ranked = [r for r in (stage[j] for j in inputs) if r is not None]
            if ranked:
                best = max(ranked, key=lambda r: (r[0], r[1]))
                mine = (_TOP, 1, _LOSS, None) if best[2] == _LM_HEAD else best
        stage[i] = mine
        gathered = any(position[j] is None and (st := stage[j]) is not None and st[2] == _LOSS
                       for j in inputs)
        here = max(positions) if positions else None
        if mine is not None and mine[2] == _LOSS and (len(set(positions)) > 1 or gathered):
            here = None  # the mean over positions
        position[i] = here
        if mine is not None and mine[2] == _EMBED and here is not None:
            for wr in read:
                if wr[2] == "wte":
                    tokens[here] = wr[3]

    keys: list[Block] = []
    for i in range(len(order)):
        keys.append(_block(weights[i], stage[i], position[i], i == len(order) - 1))
    blocks = sorted(set(keys))
    number = {b: k for k, b in enumerate(blocks)}
    return Structure(order, blocks, [number[b] for b in keys], n_layer, head_dim, tokens)


def _head_dim(order: list[Value], weights: list[Weight | None],
              index: dict[int, int]) -> int | None:
    """The length of a head's query: the q inputs of the first attention score, a dot
    product of nodes that read attn_wq and attn_wk."""
    reads: dict[int, str] = {}
    for i, node in enumerate(order):
        if node.is_leaf:
            continue
        kinds = {weights[index[id(p)]][2] for p in node.parents  # type: ignore[index]
                 if weights[index[id(p)]] is not None}
        if len(kinds) == 1:
            kind = next(iter(kinds))
            if kind in ("attn_wq", "attn_wk"):
                reads[i] = kind
        if node.op == "linear":
            ins = [reads.get(index[id(p)]) for p in node.parents]
            if ins and all(ins) and "attn_wq" in ins and "attn_wk" in ins:
                return ins.count("attn_wq")
    return None


def _stage_read(read: list[Weight], head_dim: int | None,
                ) -> Stage | None:
    """The part of a node that reads these weights."""
    _, layer, kind, row, _ = read[0]
    if kind in ("wte", "wpe"):
        return (-1, 0, _EMBED, None)
    if kind == "lm_head":
        return (_TOP, 0, _LM_HEAD, None)
    assert layer is not None
    if kind in ("attn_wq", "attn_wk", "attn_wv"):
        return (layer, 1, "head", row // head_dim if head_dim else None)
    if kind == "attn_wo":
        return (layer, 2, "attn_out", None)
    return (layer, 4, "mlp", None)


def _norm_after(before: Stage | None, n_layer: int,
                ) -> Stage | None:
    """The norm that follows a part: the embedding's, norm 1 of the next layer, or norm 2."""
    if before is None:
        return None
    layer, _, part, _ = before
    if part == _EMBED:
        return (-1, 1, _EMBED_NORM, None)
    if part == _EMBED_NORM:
        return (0, 0, "norm1", None)
    if part == "attn_out":
        return (layer, 3, "norm2", None)
    if part == "mlp":
        return (layer + 1, 0, "norm1", None) if layer + 1 < n_layer else (_TOP, -1, "norm_f",
                                                                          None)
    return None


def _block(weight: Weight | None,
           stage: Stage | None, position: int | None,
           is_root: bool) -> Block:
    if weight is not None:
        matrix, layer, kind, _, _ = weight
        order = {"wte": 0, "wpe": 1, "lm_head": 1 << 20}.get(kind, 0)
        if layer is not None:
            order = 10 + 10 * layer + ("attn_wq", "attn_wk", "attn_wv", "attn_wo", "mlp_fc1",
                                       "mlp_fc2").index(kind)
        return Block((0, order, 0, 0), "weights", matrix=matrix)
    if stage is None:
        return Block((3, 0, 0, 0), "other")
    layer_rank, part_rank, part, head = stage
    if part == _LOSS and (position is None or is_root):
        return Block((2, 0, 0, 0), "loss")
    layer = layer_rank if 0 <= layer_rank < _TOP else None
    return Block((1, position if position is not None else -1, layer_rank,
                  part_rank * 1000 + (head or 0)), "part", position, layer, part, head)
