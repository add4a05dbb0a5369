"""The structural view of a transformer step: its blocks read from a small GPT's graph."""

from __future__ import annotations

from collections import Counter

import pytest

from autograd import Value, topological_order
from nn.transformer import GPT
from viz import GraphTooLargeError, draw_dot
from viz.structure import find_structure
from viz.structured import block_title


def step() -> tuple[GPT, Value]:
    """n_embd 4, 2 heads, 1 layer; "ab" is BOS a b BOS: 3 positions."""
    model = GPT("ab", n_embd=4, n_head=2, n_layer=1, block_size=8, rng=0)
    loss = model.loss("ab")
    loss.backward()
    return model, loss


def test_the_blocks_of_a_small_gpt() -> None:
    _, loss = step()
    order = topological_order(loss)
    s = find_structure(order)
    assert s is not None and s.n_layer == 1 and s.head_dim == 2
    assert s.tokens == {0: 2, 1: 0, 2: 1}  # BOS, a, b: the wte rows read at each position
    names = [b.name for b in s.blocks]
    assert names[:9] == ["wte", "wpe", "layer0.attn_wq", "layer0.attn_wk", "layer0.attn_wv",
                         "layer0.attn_wo", "layer0.mlp_fc1", "layer0.mlp_fc2", "lm_head"]
    per_position = ["embed", "embed_norm", "layer0 norm1", "layer0 head0", "layer0 head1",
                    "layer0 attn_out", "layer0 norm2", "layer0 mlp", "lm_head", "loss"]
    for p in range(3):
        assert names[9 + 10 * p: 19 + 10 * p] == [f"p{p} {n}" for n in per_position]
    assert names[39:] == ["loss"]  # the mean over positions, the root with it
    assert s.blocks[s.block_of[-1]].kind == "loss"


def test_each_node_is_where_its_weights_say() -> None:
    _, loss = step()
    order = topological_order(loss)
    s = find_structure(order)
    assert s is not None
    for i, node in enumerate(order):
        block = s.blocks[s.block_of[i]]
        read = [p.label for p in node.parents if p.label and "[" in p.label]
        if node.op == "linear" and read and read[0].startswith("layer0.attn_wq"):
            row = int(read[0].split("[")[1].rstrip("]"))
            assert block.part == "head" and block.head == row // 2
        if node.op == "linear" and read and read[0].startswith("layer0.mlp_fc1"):
            assert block.part == "mlp"
        if node.op == "log":  # one −log p per position, in that position's loss block
            assert block.part == "loss" and block.position is not None
    logs = Counter(s.blocks[s.block_of[i]].position for i, n in enumerate(order)
                   if n.op == "log")
    assert logs == {0: 1, 1: 1, 2: 1}
    # Position 2's heads read the keys and values of positions 0 and 1 (a causal model).
    links = s.links()
    heads = {(b.position, b.head): k for k, b in enumerate(s.blocks) if b.part == "head"}
    assert (heads[(0, 0)], heads[(2, 0)]) in links and (heads[(1, 1)], heads[(2, 1)]) in links
    assert (heads[(2, 0)], heads[(0, 0)]) not in links  # never backwards


def test_every_node_has_one_block_and_the_summaries_add_up() -> None:
    _, loss = step()
    order = topological_order(loss)
    s = find_structure(order)
    assert s is not None and len(s.block_of) == len(order)
    members = s.members()
    assert sum(len(m) for m in members) == len(order)
    assert all(members)  # no empty block
    assert "other" not in {b.kind for b in s.blocks}
    wq = next(k for k, b in enumerate(s.blocks) if b.name == "layer0.attn_wq")
    summary = s.summary(wq, members[wq])
    assert summary.nodes == 16 and summary.operations == 0
    grads = [n.grad for n in order if n.label.startswith("layer0.attn_wq")]
    assert summary.grad_norm == pytest.approx(sum(g * g for g in grads) ** 0.5)


def test_no_structure_without_gpt_weights() -> None:
    x = Value(1.0, label="x")
    y = (x * 2).tanh()
    assert find_structure(topological_order(y)) is None
    with pytest.raises(ValueError, match="collapse='structure' found no transformer"):
        draw_dot(y, collapse="structure")


def test_draw_dot_collapses_by_structure() -> None:
    _, loss = step()
    source = draw_dot(loss, collapse="structure").source
    assert source.count('class="block"') == 40
    assert "layer0 attention head 1" in source and "loss (mean over positions)" in source
    assert "position 1 (token 0)" in source and "k, v ×" in source
    # Every dashed arrow carries as many edges: the count is said once, in the caption.
    assert source.count("style=dashed") > 1 and "xlabel" not in source
    assert "Dashed arrows: the keys and values" in source
    assert "注意力头 1" in draw_dot(loss, collapse="structure", lang="zh").source
    assert block_title(find_structure(topological_order(loss)).blocks[0]) == "wte"  # type: ignore[union-attr]


def test_a_large_step_falls_back_to_the_structural_view() -> None:
    _, loss = step()
    source = draw_dot(loss, max_nodes=50).source
    assert 'class="block"' in source and "Collapsed view" in source
    with pytest.raises(GraphTooLargeError):
        draw_dot(loss, max_nodes=50, too_large="error")
