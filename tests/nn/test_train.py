"""fit: learning XOR, early stopping, batches, L2, and when the progress bar appears."""

from __future__ import annotations

import copy
import io
import math
import sys
from typing import Any

import pytest

from autograd import Value
from nn import (
    ACTIVATIONS,
    LOSSES,
    MLP,
    Adam,
    TrainingDivergedError,
    bce_with_logits,
    binary_cross_entropy,
    datasets,
    fit,
    mse,
)
from nn.train import GROWTH_LIMIT


def _xor_model() -> MLP:
    return MLP(2, [8, 1], activation="tanh", rng=3)


def test_xor_is_learnt_with_a_fixed_seed() -> None:
    X, y = datasets.xor()
    model = _xor_model()
    history = fit(model, X, y, loss="mse", lr=0.2, epochs=2000, progress=False)
    assert len(history) == 2000
    assert history[-1] < 0.01 < history[0]
    predictions = [model(x).data for x in X]  # type: ignore[union-attr]
    assert [round(p) for p in predictions] == [0, 1, 1, 0]
    assert fit(_xor_model(), X, y, loss="mse", lr=0.2, epochs=2000, progress=False) == history


def test_stops_early_at_the_target_loss() -> None:
    X, y = datasets.xor()
    history = fit(_xor_model(), X, y, loss="mse", lr=0.2, epochs=5000, target_loss=0.05,
                  progress=False)
    assert history[-1] <= 0.05 and all(h > 0.05 for h in history[:-1])
    assert len(history) < 5000


def test_the_history_is_each_epochs_loss_before_its_update() -> None:
    X, y = datasets.xor()
    model, twin = _xor_model(), _xor_model()
    history = fit(model, X, y, loss="mse", lr=0.2, epochs=3, progress=False)
    assert history[0] == pytest.approx(mse([twin(x) for x in X], y).data)


@pytest.mark.slow
def test_minibatches_hinge_and_l2_with_adam() -> None:
    X, y = datasets.moons(60, noise=0.1, seed=0, labels=(-1, 1))
    model = MLP(2, [16, 16, 1], rng=0)
    opt = Adam(model.parameters(), lr=0.02)
    history = fit(model, X, y, loss="hinge", optimizer=opt, epochs=40, batch_size=20,
                  alpha=1e-4, rng=1, progress=False)
    assert history[-1] < history[0]
    correct = sum((model(x).data > 0) == (t > 0) for x, t in zip(X, y, strict=True))  # type: ignore[union-attr]
    assert correct >= 54


def test_a_loss_function_may_be_given() -> None:
    calls: list[int] = []

    def loss(outputs: Any, targets: Any) -> Value:
        calls.append(len(outputs))
        return mse(outputs, targets)

    X, y = datasets.xor()
    fit(_xor_model(), X, y, loss=loss, epochs=2, batch_size=3, progress=False)
    assert calls == [3, 1, 3, 1]


def test_progress_bar_shows_the_loss() -> None:
    pytest.importorskip("tqdm")
    X, y = datasets.xor()
    stream = io.StringIO()
    fit(_xor_model(), X, y, loss="mse", epochs=5, progress=True, progress_file=stream)
    assert "5/5" in stream.getvalue() and "loss=" in stream.getvalue()


def test_no_bar_off_a_terminal_or_when_disabled() -> None:
    X, y = datasets.xor()
    for progress in (None, False):
        stream = io.StringIO()  # not a terminal
        fit(_xor_model(), X, y, loss="mse", epochs=3, progress=progress, progress_file=stream)
        assert stream.getvalue() == ""


def test_missing_tqdm_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # makes `import tqdm` fail
    X, y = datasets.xor()
    with pytest.raises(ImportError, match="pip install 'kuibu\\[progress\\]'"):
        fit(_xor_model(), X, y, epochs=1, progress=True, progress_file=io.StringIO())

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    fit(_xor_model(), X, y, epochs=1, progress=None, progress_file=stream)  # quietly no bar
    assert stream.getvalue() == ""


def test_stops_when_the_loss_becomes_infinite() -> None:
    X, _ = datasets.xor()
    with pytest.raises(TrainingDivergedError, match=r"became inf at epoch 1 with learning rate "
                       r"lr=0\.1") as caught:
        fit(_xor_model(), X, [1e200] * 4, loss="mse", lr=0.1, epochs=50, progress=False)
    assert caught.value.history == [] and caught.value.epoch == 1 and caught.value.lr == 0.1


def test_the_issue_run_with_a_summed_loss_stops_naming_the_learning_rate() -> None:
    X, y = datasets.moons(100)
    model = MLP(2, [8, 1], activation="tanh", rng=1)
    with pytest.raises(TrainingDivergedError) as caught:
        fit(model, X, y, loss="squared_error", progress=False)
    error = caught.value
    assert "lr=0.1" in str(error) and "lr=0.01" in str(error) and "'mse'" in str(error)
    assert error.lr == 0.1 and len(error.history) == error.epoch < 10
    assert error.history[-1] > GROWTH_LIMIT * error.history[0]
    assert all(math.isfinite(p.data) for p in model.parameters())


def test_growth_is_measured_against_the_first_epoch() -> None:
    X, y = datasets.xor()
    calls = iter([1.0, 50.0, 999.0, 1001.0])

    def loss(outputs: Any, targets: Any) -> Value:
        return mse(outputs, targets) * 0.0 + next(calls)

    with pytest.raises(TrainingDivergedError, match="grew to 1001 from 1 in the first epoch at "
                       "epoch 4") as caught:
        fit(_xor_model(), X, y, loss=loss, epochs=10, progress=False)
    assert caught.value.history == [1.0, 50.0, 999.0, 1001.0]
    calls = iter([1e-6, 0.5])  # from near zero, growth counts from GROWTH_FLOOR, not from 1e-6
    assert fit(_xor_model(), X, y, loss=loss, epochs=2, progress=False) == [1e-6, 0.5]
    adam = Adam(_xor_model().parameters(), lr=0.5)
    calls = iter([1.0, math.nan])
    with pytest.raises(TrainingDivergedError, match=r"became nan at epoch 2 with learning rate "
                       r"lr=0\.5") as caught:
        fit(_xor_model(), X, y, loss=loss, optimizer=adam, epochs=10, progress=False)
    assert caught.value.history == [1.0]


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_the_defaults_train_moons_with_every_activation(activation: str) -> None:
    X, y = datasets.moons(100)
    model = MLP(2, [8, 1], activation=activation, rng=1)
    history = fit(model, X, y, progress=False)
    assert len(history) == 100 and history[-1] < history[0] / 2
    correct = sum((model(x).data > 0.5) == (t > 0.5) for x, t in zip(X, y, strict=True))  # type: ignore[union-attr]
    assert correct >= 80


def test_the_default_loss_is_the_mean_squared_error() -> None:
    X, y = datasets.xor()
    model, twin = _xor_model(), _xor_model()
    history = fit(model, X, y, epochs=1, progress=False)
    assert history[0] == mse([twin(x) for x in X], y).data


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_every_loss_by_name(name: str) -> None:
    X, y = datasets.moons(20, labels=(-1, 1) if name == "hinge" else (0, 1))
    model = MLP(2, [4, 1], activation="tanh", rng=2)
    if name == "binary_cross_entropy":
        model = MLP(2, [4, 1], activation=["tanh", "sigmoid"], rng=2)
    if name == "softmax_cross_entropy":  # two scores per sample, a class index as the target
        model = MLP(2, [4, 2], activation="tanh", rng=2)
        y = [int(t) for t in y]
    twin = copy.deepcopy(model)
    history = fit(model, X, y, loss=name, lr=0.02, epochs=3, progress=False)
    assert history[0] == pytest.approx(LOSSES[name]([twin(x) for x in X], y).data, rel=1e-12)
    assert history[-1] < history[0]


def test_bce_with_logits_is_binary_cross_entropy_from_logits() -> None:
    X, y = datasets.moons(10)
    outs = [MLP(2, [3, 1], rng=0)(x) for x in X]
    assert bce_with_logits(outs, y).data == binary_cross_entropy(outs, y, from_logits=True).data


def test_bad_arguments() -> None:
    X, y = datasets.xor()
    model = _xor_model()
    with pytest.raises(ValueError, match="4 inputs but 3 targets"):
        fit(model, X, y[:3])
    with pytest.raises(ValueError, match="unknown loss 'l1'; choose one of 'mse', "
                       "'squared_error', 'binary_cross_entropy', 'bce_with_logits', 'hinge'"):
        fit(model, X, y, loss="l1")
    with pytest.raises(TypeError, match="loss function returned float, not a Value"):
        fit(model, X, y, loss=lambda outputs, targets: 1.0)
    with pytest.raises(ValueError, match="epochs must be a positive int"):
        fit(model, X, y, epochs=0)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        fit(model, X, y, batch_size=0)
    with pytest.raises(TypeError, match="model must be an nn Module"):
        fit(object(), X, y)  # type: ignore[arg-type]
