"""microgpt's program runs on kuibu's Value as written: the same losses step for step, the same
samples, the same parameters, as on a Value with microgpt's own semantics."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from autograd import Value, topological_order
from benchmarks.microgpt_reference import Config, MicroValue, Run
from nn.microgpt import load_names

SMALL = Config(n_embd=8, n_head=2, n_layer=1, block_size=8, num_steps=20)


def _runs(config: Config) -> tuple[Run, Run]:
    docs = load_names()
    return Run(MicroValue, docs, config), Run(Value, docs, config)


def _agree(ours: float, theirs: float) -> bool:
    return abs(ours - theirs) <= 1e-12 * max(1.0, abs(theirs))


def _train_side_by_side(config: Config, steps: int) -> tuple[Run, Run]:
    reference, kuibu = _runs(config)
    for step in range(steps):
        theirs, ours = reference.step(), kuibu.step()
        assert _agree(ours, theirs), f"step {step + 1}: kuibu {ours!r}, microgpt {theirs!r}"
    for p, q in zip(kuibu.params, reference.params, strict=True):
        assert _agree(p.data, q.data)
    return reference, kuibu


def test_twenty_steps_of_a_small_microgpt_agree_to_1e_12_and_sample_the_same_names() -> None:
    reference, kuibu = _train_side_by_side(SMALL, 20)
    assert [kuibu.sample() for _ in range(10)] == [reference.sample() for _ in range(10)]


@pytest.mark.slow
def test_twenty_steps_of_microgpt_at_its_own_size_agree() -> None:
    reference, kuibu = _train_side_by_side(Config(), 20)
    assert [kuibu.sample() for _ in range(20)] == [reference.sample() for _ in range(20)]


def gelu(v: Any) -> Any:
    """GELU (tanh form) added the way microgpt's copies extend its Value: the number and its
    local gradient, given to the constructor of whichever Value class v is."""
    x = v.data
    c = math.sqrt(2 / math.pi)
    t = math.tanh(c * (x + 0.044715 * x**3))
    d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)
    return type(v)(0.5 * x * (1 + t), (v,), (d,))


def test_a_copy_that_extends_the_value_with_its_own_gelu_agrees_too() -> None:
    reference, kuibu = _runs(SMALL)
    reference.activation = kuibu.activation = gelu
    for step in range(5):
        theirs, ours = reference.step(), kuibu.step()
        assert _agree(ours, theirs), f"step {step + 1}: kuibu {ours!r}, microgpt {theirs!r}"
    graph = kuibu.loss(kuibu.docs[0])
    gelus = [n for n in topological_order(graph) if n.op == "gelu"]
    assert gelus and all(n.rule.user for n in gelus)


def test_the_first_gradients_agree_parameter_by_parameter() -> None:
    reference, kuibu = _runs(SMALL)
    doc = reference.docs[0]
    theirs, ours = reference.loss(doc), kuibu.loss(doc)
    theirs.backward()
    ours.backward()
    assert _agree(ours.data, theirs.data)
    for p, q in zip(kuibu.params, reference.params, strict=True):
        assert abs(p.grad - q.grad) <= 1e-13 + 1e-12 * abs(q.grad)


def test_a_step_graph_changes_shape_with_the_documents_length() -> None:
    _, kuibu = _runs(SMALL)
    sizes = {len(doc): len(topological_order(kuibu.loss(doc))) for doc in ("al", "anna", "zoe")}
    assert sizes[2] < sizes[3] < sizes[4]


def test_the_key_value_cache_carries_gradients_back_to_earlier_positions() -> None:
    """A key weight reaches the last position's logit through every cached key: its gradient is
    the finite difference of the whole recomputation, cache and all."""
    _, kuibu = _runs(SMALL)
    tokens = kuibu.tokens("emma")
    w = kuibu.state["layer0.attn_wk"][1][2]

    def last_logit() -> Any:
        keys: list[list[Any]] = [[]]
        values: list[list[Any]] = [[]]
        for pos in range(4):
            logits = kuibu.gpt(tokens[pos], pos, keys, values)
        return logits[3]

    last_logit().backward()
    assert w.grad != 0.0
    h, start = 1e-6, w.data
    w.data = start + h
    up = last_logit().data
    w.data = start - h
    down = last_logit().data
    w.data = start
    assert w.grad == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-10)


def test_the_reference_value_is_microgpts_on_a_small_graph() -> None:
    """MicroValue itself: gradients by hand for f = -log(e^a / (e^a + e^b)) · c."""
    a, b, c = MicroValue(0.5), MicroValue(-1.0), MicroValue(2.0)
    ea, eb = a.exp(), b.exp()
    f = -(ea / (ea + eb)).log() * c
    f.backward()
    p = ea.data / (ea.data + eb.data)
    assert a.grad == pytest.approx(-(1 - p) * 2.0, rel=1e-14)
    assert b.grad == pytest.approx((1 - p) * 2.0, rel=1e-14)
    assert c.grad == pytest.approx(f.data / 2.0, rel=1e-14)


def test_the_reference_run_draws_from_its_own_generator() -> None:
    state = random.getstate()
    first = Run(MicroValue, ["ab", "ba"], SMALL)
    second = Run(MicroValue, ["ab", "ba"], SMALL)
    assert random.getstate() == state
    assert [p.data for p in first.params] == [p.data for p in second.params]
