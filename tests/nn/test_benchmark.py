"""The benchmark's two training steps compute the same thing (timing itself is not tested)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from nn import MLP

PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "train_step.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("train_step_benchmark", PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_kuibu_and_micrograd_steps_agree() -> None:
    pytest.importorskip("micrograd")
    bench = _load()
    X, y = bench._data()
    X, y = X[:20], y[:20]
    model = MLP(2, [16, 16, 1], rng=0)
    micro = bench._micrograd_model(model.get_weights())
    for _ in range(2):
        ours = bench.kuibu_step(model, X, y)
        theirs = bench.micrograd_step(micro, X, y)
        assert ours == pytest.approx(theirs, rel=1e-12)
    for p, q in zip(model.parameters(), micro.parameters(), strict=True):
        assert p.data == pytest.approx(q.data, abs=1e-12)


@pytest.mark.slow
def test_run_returns_rows() -> None:
    pytest.importorskip("micrograd")
    rows = _load().run(repeats=1)
    assert [r["gc"] for r in rows] == ["on", "off"]
    assert all(r["kuibu_s"] > 0 and r["ratio"] > 0 for r in rows)
