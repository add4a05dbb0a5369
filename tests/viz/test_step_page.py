"""The step page of a transformer step (`viz.step_page`): what it holds, without a browser."""

from __future__ import annotations

import json
import re

import pytest

from autograd import Naming, Value, topological_order
from nn.transformer import GPT
from viz.step_page import _names, explore_step


def step() -> Value:
    model = GPT("ab", n_embd=4, n_head=2, n_layer=1, block_size=8, rng=0)
    loss = model.loss("ab")
    loss.backward()
    return loss


def data(page_html: str) -> dict:
    found = re.search(r'<script id="kuibu-data" type="application/json">(.*?)</script>',
                      page_html, re.S)
    assert found is not None
    return json.loads(found.group(1))


def test_the_page_holds_blocks_not_nodes() -> None:
    loss = step()
    page = explore_step(loss)
    d = data(page.html)
    assert len(d["blocks"]) == 40 and page.nodes == len(topological_order(loss))
    assert page.html.count('class="block ') == 40
    assert "http://" not in page.html.replace("http://www.w3.org/2000/svg", "")
    # Each block holds a short list of parts with counts that add up to its nodes.
    for b in d["blocks"]:
        nodes = int(b["lines"][0].split()[0].replace(",", ""))
        assert sum(p["count"] for p in b["parts"]) == nodes
        assert len(b["sample"]) <= 12
    head = next(b for b in d["blocks"] if b["title"] == "layer0 attention head 1")
    assert {p["name"] for p in head["parts"]} >= {"linear · attn_wq", "linear · attn_wk",
                                                   "linear · attn_wv", "exp"}
    # A weight's box knows the blocks that read it.
    wq = next(b for b in d["blocks"] if b["title"] == "layer0.attn_wq")
    assert {d["blocks"][k]["title"] for k in wq["readers"]} == {
        "layer0 attention head 0", "layer0 attention head 1"}


def test_the_timeline_goes_forward_then_backward() -> None:
    d = data(explore_step(step()).html)
    steps = d["steps"]
    phases = [s["phase"] for s in steps]
    forward = phases.count("forward")
    assert phases == ["forward"] * forward + ["backward"] * (len(steps) - forward)
    assert forward == 31 and len(steps) - forward == 40  # weights are not computed, only graded
    titles = [s["title"] for s in steps]
    assert titles[0].startswith("forward 1 of 31: embedding")
    assert titles[forward].startswith("backward 1 of 40: loss (mean over positions)")
    for k, b in enumerate(d["blocks"]):
        assert steps[b["backward"]]["block"] == k
        if b["forward"] >= 0:
            assert steps[b["forward"]]["block"] == k


def test_names_are_namings() -> None:
    loss = step()
    order = topological_order(loss)
    naming = Naming(order)
    assert _names(order) == [naming.name(n) for n in order]


def test_chinese_and_bad_input() -> None:
    loss = step()
    assert "注意力头 1" in explore_step(loss, lang="zh").html
    with pytest.raises(ValueError, match="lang must be one of"):
        explore_step(loss, lang="fr")
    with pytest.raises(ValueError, match="no transformer in this graph"):
        explore_step(Value(1.0, label="x").tanh())
    with pytest.raises(TypeError, match="root must be a Value"):
        explore_step(3.0)  # type: ignore[arg-type]
