"""nn's GPT and the `python -m nn.microgpt` example: microgpt's model on kuibu's nn, its pieces
against their formulas (and PyTorch when installed), its model file, and the command."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

import pytest

import nn
from autograd import Value, gradcheck
from benchmarks.microgpt_reference import Config, MicroValue, Run
from nn import GPT, MLP, ModelFileError
from nn.microgpt import build, load_names, main, train
from nn.transformer import CausalSelfAttention, Embedding, KVCache, Linear, rmsnorm, softmax

SIZES: dict[str, Any] = {"n_embd": 8, "n_head": 2, "n_layer": 1, "block_size": 8}


def _small(seed: int = 0) -> GPT:
    return GPT("abc", **SIZES, rng=seed)


# -- the model is microgpt's -------------------------------------------------------------------


def test_build_and_train_give_microgpts_weights_losses_and_samples() -> None:
    docs = load_names()
    reference = Run(MicroValue, docs, Config(**SIZES, num_steps=5))
    model, shuffled, rng = build(docs, 42, **SIZES)
    assert shuffled == reference.docs and model.chars == "".join(reference.uchars)
    assert [p.data for p in model.parameters()] == [p.data for p in reference.params]
    losses = train(model, shuffled, 5, progress=False)
    theirs = [reference.step() for _ in range(5)]
    assert losses == pytest.approx(theirs, rel=1e-12)
    for p, q in zip(model.parameters(), reference.params, strict=True):
        assert p.data == pytest.approx(q.data, rel=1e-12, abs=1e-15)
    reference.cfg.temperature = 0.5
    assert [model.generate(0.5, rng) for _ in range(8)] == [reference.sample() for _ in range(8)]


def test_the_matrices_have_microgpts_names_order_and_labels() -> None:
    model = GPT("ab", n_embd=4, n_head=2, n_layer=2, block_size=3, rng=1)
    assert list(model.matrices()) == [
        "wte", "wpe", "lm_head",
        *(f"layer{i}.{m}" for i in range(2) for m in (
            "attn_wq", "attn_wk", "attn_wv", "attn_wo", "mlp_fc1", "mlp_fc2")),
    ]
    assert model.matrices()["layer1.mlp_fc2"][3][15].label == "layer1.mlp_fc2[3][15]"
    assert model.wte(2)[1].label == "wte[2][1]"
    params = model.parameters()
    assert len({id(p) for p in params}) == len(params) == 3 * (3 * 4) + 2 * (4 * 16 + 2 * 64)


def test_no_rng_draws_from_the_global_random_as_microgpt_does() -> None:
    random.seed(7)
    first = GPT("ab", **SIZES)
    random.seed(7)
    second = GPT("ab", **SIZES)
    assert first.get_weights() == second.get_weights()
    rng = random.Random(7)
    assert first.wte.weight[0][0].data == rng.gauss(0, 0.08)


def test_a_training_step_lowers_the_loss_on_its_document() -> None:
    model = _small()
    before = model.loss("abcab").data
    train(model, ["abcab"], 5, progress=False)
    assert model.loss("abcab").data < before


def test_the_loss_is_the_mean_of_minus_log_p_over_the_positions() -> None:
    model = _small()
    tokens = model.encode("cab")
    cache = KVCache(1)
    total = 0.0
    for pos in range(len(tokens) - 1):
        z = [v.data for v in model(tokens[pos], pos, cache)]
        top = max(z)
        total -= z[tokens[pos + 1]] - top - math.log(sum(math.exp(x - top) for x in z))
    assert model.loss("cab").data == pytest.approx(total / 4, rel=1e-13)


def test_a_document_longer_than_the_block_is_cut_there() -> None:
    model = GPT("ab", n_embd=4, n_head=1, block_size=3, rng=0)
    long, cut = model.loss("abababab"), model.loss("abab")
    assert long.data == cut.data  # the first 3 positions of either


def test_generate_records_no_graph_and_stops_at_the_block() -> None:
    model = GPT("ab", n_embd=4, n_head=1, block_size=3, rng=0)
    names = [model.generate(1.0, rng=i) for i in range(30)]
    assert all(len(n) <= 3 and set(n) <= {"a", "b"} for n in names)
    assert all(p.grad == 0.0 for p in model.parameters())


# -- the pieces --------------------------------------------------------------------------------


def test_rmsnorm_and_softmax_follow_their_formulas() -> None:
    xs = [0.5, -1.25, 2.0, 0.1]
    scale = (sum(x * x for x in xs) / 4 + 1e-5) ** -0.5
    assert [v.data for v in rmsnorm([Value(x) for x in xs])] == pytest.approx(
        [x * scale for x in xs], rel=1e-14)
    exps = [math.exp(x - 2.0) for x in xs]
    assert [p.data for p in softmax([Value(x) for x in xs])] == pytest.approx(
        [e / sum(exps) for e in exps], rel=1e-14)
    big = softmax([Value(1000.0), Value(999.0)])
    assert all(math.isfinite(p.data) for p in big)


@pytest.mark.parametrize("piece", ["rmsnorm", "softmax", "attention"])
def test_the_pieces_gradients_match_finite_differences(piece: str) -> None:
    weights = [0.3, -0.7, 1.1, 0.2]
    attn = CausalSelfAttention(4, 2, rng=3)

    def f(*xs: Value) -> Value:
        x = list(xs)
        if piece == "rmsnorm":
            out = rmsnorm(x)
        elif piece == "softmax":
            out = softmax(x)
        else:
            keys: list[list[Value]] = []
            values: list[list[Value]] = []
            attn([v * 0.5 for v in x], keys, values)
            out = attn(x, keys, values)
        return sum((w * o for w, o in zip(weights, out, strict=True)), Value(0.0))

    assert gradcheck(f, [Value(v) for v in (0.4, -0.9, 1.3, 0.05)])


def test_attention_against_pytorch() -> None:
    torch = pytest.importorskip("torch")
    attn = CausalSelfAttention(4, 2, rng=5)
    rows = [[0.1, -0.4, 0.8, 0.3], [-0.6, 0.2, 0.5, -0.1], [0.9, 0.7, -0.3, 0.4]]
    keys: list[list[Value]] = []
    values: list[list[Value]] = []
    outs = [attn([Value(v) for v in row], keys, values) for row in rows]
    loss = sum((o * (i + 1) * (j - 1.5) for i, out in enumerate(outs) for j, o in enumerate(out)),
               Value(0.0))
    loss.backward()

    def t(m: Linear) -> Any:
        return torch.tensor([[w.data for w in row] for row in m.weight], dtype=torch.float64,
                            requires_grad=True)

    wq, wk, wv, wo = (t(m) for m in (attn.wq, attn.wk, attn.wv, attn.wo))
    x = torch.tensor(rows, dtype=torch.float64)
    q, k, v = (x @ w.T for w in (wq, wk, wv))
    heads = []
    for s in (0, 2):
        scores = q[:, s:s + 2] @ k[:, s:s + 2].T / math.sqrt(2)
        mask = torch.triu(torch.ones(3, 3, dtype=torch.bool), diagonal=1)
        heads.append(torch.softmax(scores.masked_fill(mask, float("-inf")), dim=1) @ v[:, s:s + 2])
    y = torch.cat(heads, dim=1) @ wo.T
    assert [o.data for out in outs for o in out] == pytest.approx(
        [v for row in y.tolist() for v in row], rel=1e-12)
    factors = torch.tensor([[(i + 1) * (j - 1.5) for j in range(4)] for i in range(3)],
                           dtype=torch.float64)
    (y * factors).sum().backward()
    for m, w in zip((attn.wq, attn.wk, attn.wv, attn.wo), (wq, wk, wv, wo), strict=True):
        assert [p.grad for row in m.weight for p in row] == pytest.approx(
            [g for row in w.grad.tolist() for g in row], rel=1e-10, abs=1e-14)


def test_linear_and_embedding() -> None:
    lin = Linear(3, 2, rng=0)
    y = lin([1.0, Value(2.0), -0.5])
    assert [v.data for v in y] == pytest.approx(
        [row[0].data + 2 * row[1].data - 0.5 * row[2].data for row in lin.weight])
    assert y[0].op == "linear" and len(lin.parameters()) == 6
    emb = Embedding(5, 3, rng=0)
    assert emb(4) is emb.weight[4]


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: GPT("", **SIZES), TypeError, "chars must be a non-empty str"),
        (lambda: GPT("aba", **SIZES), ValueError, "'a' repeat"),
        (lambda: GPT("ab", n_embd=6, n_head=4), ValueError, "multiple of n_head"),
        (lambda: GPT("ab", n_layer=0), ValueError, "n_layer must be at least 1"),
        (lambda: GPT("ab", std=-1.0), ValueError, "std must be a finite number >= 0"),
        (lambda: _small().encode("abz"), ValueError, "'z' at position 2 of 'abz'"),
        (lambda: _small()(0, 8, KVCache(1)), ValueError, "position 8 is past the block size 8"),
        (lambda: _small()(4, 0, KVCache(1)), ValueError, "token id 4 is out of range 0 .. 3"),
        (lambda: _small().generate(0.0), ValueError, "temperature must be a number > 0"),
        (lambda: Linear(3, 2)([1.0, 2.0]), ValueError, "expected 3 inputs, got 2"),
        (lambda: Embedding(3, 2)(3), ValueError, "index 3 is out of range 0 .. 2"),
        (lambda: train(_small(), ["ab"], 0), ValueError, "steps must be an int >= 1"),
    ],
)
def test_bad_input_gets_one_clear_error(make: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        make()


# -- the model file ----------------------------------------------------------------------------


def test_a_gpt_saves_and_loads_as_a_model_file(tmp_path: Path) -> None:
    model = _small()
    train(model, ["abc", "cab"], 3, progress=False)
    path = tmp_path / "gpt.json"
    model.save(path)
    content = json.loads(path.read_text(encoding="utf-8"))
    assert content["architecture"] == {"type": "GPT", "chars": "abc", **SIZES}
    assert list(content["weights"]) == list(model.matrices())
    loaded = nn.load(path)
    assert isinstance(loaded, GPT) and loaded.get_weights() == model.get_weights()
    assert [loaded.generate(rng=s) for s in range(5)] == [model.generate(rng=s) for s in range(5)]
    other = _small(seed=9)
    other.load(path)
    assert other.get_weights() == model.get_weights()


def _corrupt(tmp_path: Path, change: Any) -> Path:
    content = json.loads(json.dumps({"format": "kuibu.nn", "version": 1,
                                     "architecture": _small().architecture(),
                                     "weights": _small().get_weights()}))
    change(content)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (lambda c: c["weights"].pop("lm_head"), "weights", "'lm_head' is missing"),
        (lambda c: c["weights"].update(extra=[]), "weights", "unexpected matrices"),
        (lambda c: c["weights"]["wpe"].pop(), "weights.wpe", "expected 8 rows"),
        (lambda c: c["weights"]["wte"][1].__setitem__(2, "x"), "weights.wte[1][2]",
         "expected a number"),
        (lambda c: c["architecture"].update(chars="aa"), "architecture.chars", "distinct"),
        (lambda c: c["architecture"].update(n_head=3), "architecture.n_head", "does not divide"),
        (lambda c: c["architecture"].pop("n_layer"), "architecture", r"missing \['n_layer'\]"),
        (lambda c: c["architecture"].update(n_layer=10**9), "weights",
         "'layer1.attn_wq' is missing"),
        (lambda c: c.update(weights=[1, 2]), "weights", "JSON object of named matrices"),
    ],
)
def test_a_bad_gpt_file_is_refused_naming_the_field(tmp_path: Path, change: Any, field: str,
                                                    message: str) -> None:
    path = _corrupt(tmp_path, change)
    with pytest.raises(ModelFileError, match=message) as caught:
        nn.load(path)
    assert caught.value.field == field


def test_loading_a_file_of_another_architecture_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "gpt.json"
    _small().save(path)
    with pytest.raises(ModelFileError, match="does not match this model"):
        GPT("abcd", **SIZES, rng=0).load(path)
    with pytest.raises(ModelFileError, match="does not match"):
        MLP(2, [3, 1], rng=0).load(path)


# -- the command -------------------------------------------------------------------------------


def test_the_command_trains_saves_loads_and_samples(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "names.json"
    assert main(["--steps", "3", "--samples", "4", "--save", str(path), "--n-embd", "8",
                 "--block-size", "8"]) == 0
    out, err = capsys.readouterr()
    assert "num docs: 540, vocab size: 27" in out and "saved to" in out
    assert out.count("sample ") == 4 and "step    3 / 3 | loss" in err
    assert main(["--load", str(path), "--samples", "2", "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert out.count("sample ") == 2 and "loaded" in out and err == ""


def test_the_command_says_what_is_wrong_in_one_line(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--load", str(tmp_path / "missing.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing.json" in err
    mlp = tmp_path / "mlp.json"
    MLP(2, [3, 1], rng=0).save(mlp)
    assert main(["--load", str(mlp)]) == 2
    assert "not a GPT" in capsys.readouterr().err
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    assert main(["--names", str(empty), "--steps", "1"]) == 2
    assert "no documents" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["--steps", "0"])
    assert exit_.value.code == 2


def test_a_gpt_pickles_and_deep_copies() -> None:
    import copy
    import pickle

    model = _small()
    for twin in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        assert twin.get_weights() == model.get_weights()
        assert twin.loss("cab").data == model.loss("cab").data
