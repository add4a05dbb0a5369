"""Training by replay: the same losses as the engine's fit, and a refusal when shapes change."""

from __future__ import annotations

from typing import Any

import pytest

from autograd import Value
from nn import MLP, Adam, datasets, fit, mse
from nn.compiled import Replay, ReplayError
from nn.losses import softmax_cross_entropy


def fit_compiled(*args: Any, check: int = 1, **kwargs: Any) -> list[float]:
    """nn.fit with compiled=True: the path under test, beside the engine's."""
    return fit(*args, compiled=True, replay_checks=check, **kwargs)


def _relative(a: list[float], b: list[float]) -> float:
    assert len(a) == len(b)
    return max(abs(x - y) / max(abs(x), 1e-300) for x, y in zip(a, b, strict=True))


def test_the_demo_trains_as_the_engine_does_for_100_steps() -> None:
    X, y = datasets.moons(30, noise=0.1, seed=1, labels=(-1.0, 1.0))
    kwargs: dict[str, Any] = {"loss": "hinge", "alpha": 1e-4, "lr": 0.5, "epochs": 100,
                              "progress": False}
    engine, compiled = MLP(2, [8, 8, 1], rng=0), MLP(2, [8, 8, 1], rng=0)
    expected = fit(engine, X, y, **kwargs)
    got = fit_compiled(compiled, X, y, **kwargs)
    assert _relative(expected, got) < 1e-12
    for p, q in zip(engine.parameters(), compiled.parameters(), strict=True):
        assert p.data == pytest.approx(q.data, rel=1e-9, abs=1e-12)


def test_minibatches_adam_and_a_sum_loss() -> None:
    X, y = datasets.xor()
    runs = []
    for train in (fit, fit_compiled):
        model = MLP(2, [4, 1], activation="tanh", rng=3)
        opt = Adam(model.parameters(), lr=0.05)
        runs.append(train(model, X, y, loss="squared_error", optimizer=opt, epochs=40,
                          batch_size=3, rng=5, progress=False))
    assert _relative(runs[0], runs[1]) < 1e-12


def test_cross_entropy_with_one_program_per_class() -> None:
    X, y = datasets.moons(24, noise=0.2, seed=2)
    labels = [int(t) for t in y]
    runs = []
    for train in (fit, fit_compiled):
        model = MLP(2, [6, 2], rng=1)
        runs.append(train(model, X, labels, loss=softmax_cross_entropy, lr=0.3, epochs=30,
                          progress=False))
    assert _relative(runs[0], runs[1]) < 1e-12


def test_numpy_batch_replay_equals_the_float_program() -> None:
    pytest.importorskip("numpy")
    X, y = datasets.moons(40, noise=0.1, seed=3, labels=(-1.0, 1.0))
    model = MLP(2, [8, 8, 1], rng=0)
    scalar = Replay(model, _hinge(), X, y, alpha=1e-3)
    batched = Replay(model, _hinge(), X, y, alpha=1e-3, backend="numpy")
    batch = list(range(40))
    for _ in range(3):
        loss, grads = scalar.loss_and_grads(batch)
        loss_np, grads_np = batched.loss_and_grads(batch)
        assert loss_np == pytest.approx(loss, rel=1e-12)
        assert grads_np == pytest.approx(grads, rel=1e-12, abs=1e-15)


def _hinge() -> Any:
    from nn import hinge

    return hinge


def test_control_flow_on_values_is_detected() -> None:
    X, y = datasets.moons(10, noise=0.1, seed=1)

    def fickle(outputs: Any, targets: Any) -> Value:
        # Branches on the output's value: a graph that a recorded program cannot stand for.
        terms = [(o - t) ** 2 if o.data > 0.0 else abs(o - t)
                 for o, t in zip(outputs, targets, strict=True)]
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total * (1.0 / len(terms))

    model = MLP(2, [4, 1], rng=0)
    with pytest.raises(ReplayError, match="changed shape"):
        fit_compiled(model, X, y, loss=fickle, lr=5.0, epochs=20, check=20, progress=False)


def test_a_loss_that_is_no_sum_of_samples_is_refused() -> None:
    def product(outputs: Any, targets: Any) -> Value:
        total = outputs[0] * 1.0
        for o in outputs[1:]:
            total = total * o
        return total

    with pytest.raises(ReplayError, match="neither the mean"):
        Replay(MLP(2, [2, 1], rng=0), product, [[0.1, 0.2], [0.3, 0.4]], [0.0, 1.0])


def test_bad_backend_and_loss_names() -> None:
    model = MLP(2, [2, 1], rng=0)
    with pytest.raises(ValueError, match="backend"):
        Replay(model, mse, [[0.0, 1.0]], [1.0], backend="gpu")
    with pytest.raises(ValueError, match="unknown loss"):
        fit_compiled(model, [[0.0, 1.0]], [1.0], loss="nope")
