"""microgpt's compiled training: one program per document length, the engine's floats bit for
bit, on documents of the same and of different lengths, while the weights move."""

from __future__ import annotations

import math
import struct

import pytest

from autograd import Value, codegen
from nn.microgpt import CompiledLoss, build, load_names, train
from nn.transformer import GPT


def bits(values: list[float]) -> list[bytes]:
    return [struct.pack("<d", v) for v in values]


def engine(model: GPT, doc: str) -> tuple[float, list[float]]:
    params = model.parameters()
    for p in params:
        p.grad = 0.0
    loss = model.loss(doc)
    loss.backward()
    return loss.data, [p.grad for p in params]


def test_a_cached_program_gives_the_engines_loss_and_gradients_bit_for_bit() -> None:
    model, _, _ = build(load_names(), 42)
    compiled = CompiledLoss(model)
    # olivia, sophia, oliver: 7 positions; ada 4; emma 5; "aaron" repeats a token.
    docs = ["olivia", "sophia", "ada", "emma", "oliver", "aaron", "ada"]
    for doc in docs:
        value, grads = engine(model, doc)
        got_value, got_grads = compiled.loss_and_grads(doc)
        assert bits([got_value, *got_grads]) == bits([value, *grads]), doc
        for p, g in zip(model.parameters(), grads, strict=True):  # move, so the shifts change
            p.data -= 0.05 * g
    assert sorted(compiled.programs) == [4, 5, 6, 7]  # one program per length, reused


def test_a_tiny_model_agrees_at_every_length_up_to_the_block() -> None:
    model = GPT("abc", n_embd=4, n_head=2, n_layer=2, block_size=5, rng=3)
    compiled = CompiledLoss(model)
    for doc in ["", "a", "ba", "cab", "abca", "cabcab"]:  # the last is cut at the block size
        value, grads = engine(model, doc)
        got_value, got_grads = compiled.loss_and_grads(doc)
        assert bits([got_value, *got_grads]) == bits([value, *grads]), doc


def test_training_compiled_gives_the_engines_losses() -> None:
    docs = ["ada", "bob", "eve", "ann", "abe"]
    runs = []
    for compiled in (False, True):
        model, shuffled, _ = build(docs, 7, n_embd=4, n_head=2, block_size=6)
        losses = train(model, shuffled, 6, progress=False, compiled=compiled)
        runs.append((losses, model.get_weights()))
    assert runs[0] == runs[1]


def test_maxima_and_picks_are_checked() -> None:
    x, y = Value(1.0, label="x"), Value(2.0, label="y")
    top = Value(0.0, label="top")
    root = (x - top).exp() + (y - top).exp()
    with pytest.raises(ValueError, match="python backend"):
        codegen(root, wrt=[x, y], maxima={top: [x, y]}, backend="numpy")
    with pytest.raises(ValueError, match="is a leaf"):
        codegen(root, wrt=[x, y], maxima={root: [x, y]})
    prog = codegen(root, wrt=[x, y], maxima={top: [x, y]})
    assert "top = max(x, y)" in prog.source
    value, _ = prog(5.0, 1.0)  # the shift follows the inputs: exp(0) + exp(-4)
    assert value == math.exp(5.0 - 5.0) + math.exp(1.0 - 5.0)


def test_placing_the_found_leaves_reads_each_nodes_inputs_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A wide weighted sum (one linear node of 257 inputs) whose result a found leaf depends on:
    # the walk that moves the leaf after what it needs once listed a node's inputs again at
    # each return to it, 129 times here, which made a microgpt program's writing quadratic in
    # its layers' width.
    from autograd import linear

    xs = [Value(0.01 * k, label=f"x{k}") for k in range(128)]
    ws = [Value(0.5, label=f"w{k}") for k in range(128)]
    total = linear(ws, xs, Value(0.0, label="b"))
    top = Value(0.0, label="top")
    root = (total - top).exp() + (xs[0] - top).exp()
    reads: list[int] = []
    parents = Value.parents.fget  # type: ignore[attr-defined]

    def counted(self: Value) -> tuple[Value, ...]:
        reads.append(id(self))
        return parents(self)  # type: ignore[no-any-return]

    with monkeypatch.context() as m:
        m.setattr(Value, "parents", property(counted))
        prog = codegen(root, wrt=xs, maxima={top: [total, xs[0]]})
    assert reads.count(id(total)) <= 8, reads.count(id(total))  # 5 now; it was 519
    values = [0.02 * k for k in range(128)]
    value, _ = prog(*values)
    s = math.fsum(0.5 * v for v in values)
    assert value == pytest.approx(math.exp(s - max(s, 0.0)) + math.exp(0.0 - max(s, 0.0)))
