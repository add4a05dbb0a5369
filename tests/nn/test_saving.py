"""Saving and loading weights as JSON: round trips, and every way a file is refused."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

import nn
from nn import MLP, Layer, ModelFileError, Neuron


@pytest.mark.parametrize("make", [
    lambda: Neuron(3, activation="sigmoid", rng=1),
    lambda: Layer(3, 2, activation="tanh", rng=1),
    lambda: MLP(2, [4, 4, 1], rng=1),
    lambda: MLP(2, [2, 2], activation=["sigmoid", "sigmoid"], rng=1),
])
def test_round_trip(tmp_path: Path, make: Any) -> None:
    model, other = make(), make()
    for p in other.parameters():
        p.data += 1.0
    path = tmp_path / "model.json"
    model.save(path)
    other.load(path)
    assert other.get_weights() == model.get_weights()
    fresh = nn.load(str(path))
    assert type(fresh) is type(model)
    assert fresh.architecture() == model.architecture()
    assert fresh.get_weights() == model.get_weights()
    assert not list(tmp_path.glob("*.tmp"))


def test_file_records_architecture_and_is_plain_json(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    MLP(2, [3, 1], activation="tanh", rng=0).save(path)
    document = json.loads(path.read_text())
    assert document["format"] == "kuibu.nn" and document["version"] == 1
    assert document["architecture"] == {
        "type": "MLP", "nin": 2, "nouts": [3, 1], "activations": ["tanh", "linear"]}


def _saved(tmp_path: Path) -> tuple[MLP, Path, dict[str, Any]]:
    model = MLP(2, [3, 1], rng=0)
    path = tmp_path / "m.json"
    model.save(path)
    return model, path, json.loads(path.read_text())


def _edited(document: dict[str, Any], change: Any) -> dict[str, Any]:
    copy = json.loads(json.dumps(document))
    change(copy)
    return copy


CASES = [
    ("truncated", None, "not valid JSON \\(the file looks truncated\\)"),
    ("not an object", lambda d: [1, 2], "expected a JSON object"),
    ("missing weights", lambda d: d.pop("weights"), "missing \\['weights'\\]"),
    ("extra key", lambda d: d.update(extra=1), "unexpected \\['extra'\\]"),
    ("wrong format", lambda d: d.update(format="pickle"), "format is 'pickle'"),
    ("wrong version", lambda d: d.update(version=2), "version 2 is not supported"),
    ("other sizes", lambda d: d["architecture"].update(nouts=[4, 1]),
     "architecture does not match.*nouts: file has \\[4, 1\\], model has \\[3, 1\\]"),
    ("other activation", lambda d: d["architecture"].update(activations=["tanh", "linear"]),
     "activations: file has \\['tanh', 'linear'\\], model has \\['relu', 'linear'\\]"),
    ("other type", lambda d: d["architecture"].update(type="Layer"), "type: file has 'Layer'"),
    ("a neuron short", lambda d: d["weights"][0].pop(), "weights\\[0\\]: expected 3 rows"),
    ("a weight short", lambda d: d["weights"][1][0].pop(),
     "weights\\[1\\]\\[0\\]: expected 4 numbers"),
    ("a string", lambda d: d["weights"][0][2].__setitem__(1, "0.5"),
     "weights\\[0\\]\\[2\\]\\[1\\]: expected a number, got str"),
    ("a null", lambda d: d["weights"][0][2].__setitem__(0, None), "got NoneType"),
    ("a bool", lambda d: d["weights"][1][0].__setitem__(3, True), "got bool"),
    ("weights not a list", lambda d: d.update(weights={"a": 1}), "expected a list, got dict"),
]


@pytest.mark.parametrize(("name", "change", "message"), CASES, ids=[c[0] for c in CASES])
def test_refused_and_model_unchanged(tmp_path: Path, name: str, change: Any,
                                     message: str) -> None:
    _, path, document = _saved(tmp_path)
    text = path.read_text()
    if change is None:
        path.write_text(text[: len(text) // 2])
    else:
        replacement = change(document) if name == "not an object" else _edited(document, change)
        path.write_text(json.dumps(replacement))
    target = MLP(2, [3, 1], rng=9)
    before = target.get_weights()
    with pytest.raises(ModelFileError, match=message):
        target.load(path)
    assert target.get_weights() == before


def test_nan_in_file_is_refused(tmp_path: Path) -> None:
    _, path, _ = _saved(tmp_path)
    path.write_text(path.read_text().replace("0.0", "NaN", 1))
    target = MLP(2, [3, 1], rng=9)
    before = target.get_weights()
    with pytest.raises(ModelFileError, match="NaN is not a number JSON allows"):
        target.load(path)
    assert target.get_weights() == before


def test_nn_load_refuses_a_bad_architecture(tmp_path: Path) -> None:
    _, path, document = _saved(tmp_path)
    for change, message in [
        (lambda d: d["architecture"].update(type="CNN"), "unknown module type 'CNN'"),
        (lambda d: d["architecture"].update(nin=0), "nin must be a positive int"),
        (lambda d: d["architecture"].update(nouts="3"), "nouts must be a list"),
        (lambda d: d["architecture"].update(activations=["relu"]), "one name per layer"),
        (lambda d: d["architecture"].update(activations=["gelu", "linear"]),
         "unknown activation 'gelu'"),
    ]:
        path.write_text(json.dumps(_edited(document, change)))
        with pytest.raises(ModelFileError, match=message):
            nn.load(path)


def test_saving_a_diverged_model_is_refused(tmp_path: Path) -> None:
    model = MLP(2, [2, 1], rng=0)
    model.layers[0].neurons[1].w[0].data = math.inf
    path = tmp_path / "m.json"
    with pytest.raises(ValueError, match=r"layer0\.neuron1\.w0 is inf"):
        model.save(path)
    assert not path.exists()


def test_missing_file_is_the_usual_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        MLP(2, [1], rng=0).load(tmp_path / "nothing.json")
