"""SGD and Adam, step by step against their update formulas (and PyTorch when installed)."""

from __future__ import annotations

import math

import pytest

from autograd import Value
from nn import SGD, Adam

GRADIENTS = [[0.5, -1.0], [0.25, 2.0], [-0.75, 0.1], [1.0, -0.3]]


def _params() -> list[Value]:
    return [Value(1.0, label="a"), Value(-2.0, label="b")]


def _run(optimizer_of: object, params: list[Value]) -> list[list[float]]:
    opt = optimizer_of(params)  # type: ignore[operator]
    seen = []
    for grads in GRADIENTS:
        opt.zero_grad()
        assert all(p.grad == 0.0 for p in params)
        for p, g in zip(params, grads, strict=True):
            p.grad = g
        opt.step()
        seen.append([p.data for p in params])
    return seen


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_follows_its_formula(momentum: float) -> None:
    params = _params()
    seen = _run(lambda ps: SGD(ps, lr=0.1, momentum=momentum), params)
    x, v = [1.0, -2.0], [0.0, 0.0]
    for step, grads in enumerate(GRADIENTS):
        for i, g in enumerate(grads):
            v[i] = momentum * v[i] + g  # PyTorch's velocity; v = g at the first step
            x[i] -= 0.1 * v[i]
        assert seen[step] == pytest.approx(x, abs=1e-15)


def test_adam_follows_its_formula() -> None:
    params = _params()
    b1, b2, lr, eps = 0.8, 0.99, 0.01, 1e-6
    seen = _run(lambda ps: Adam(ps, lr=lr, betas=(b1, b2), eps=eps), params)
    x, m, v = [1.0, -2.0], [0.0, 0.0], [0.0, 0.0]
    for t, grads in enumerate(GRADIENTS, start=1):
        for i, g in enumerate(grads):
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g**2
            x[i] -= lr * (m[i] / (1 - b1**t)) / (math.sqrt(v[i] / (1 - b2**t)) + eps)
        assert seen[t - 1] == pytest.approx(x, abs=1e-14)


def test_adam_first_step_moves_each_parameter_by_about_lr() -> None:
    params = _params()
    seen = _run(lambda ps: Adam(ps, lr=0.01), params)
    assert seen[0] == pytest.approx([1.0 - 0.01, -2.0 + 0.01], abs=1e-9)


@pytest.mark.parametrize("which", ["sgd", "momentum", "adam"])
def test_against_pytorch(which: str) -> None:
    torch = pytest.importorskip("torch")
    params = _params()
    tensors = [torch.tensor(p.data, dtype=torch.float64, requires_grad=True) for p in params]
    make = {
        "sgd": (lambda ps: SGD(ps, lr=0.1), lambda ts: torch.optim.SGD(ts, lr=0.1)),
        "momentum": (lambda ps: SGD(ps, lr=0.1, momentum=0.5),
                     lambda ts: torch.optim.SGD(ts, lr=0.1, momentum=0.5)),
        "adam": (lambda ps: Adam(ps, lr=0.05, betas=(0.9, 0.99), eps=1e-8),
                 lambda ts: torch.optim.Adam(ts, lr=0.05, betas=(0.9, 0.99), eps=1e-8)),
    }[which]
    seen = _run(make[0], params)
    opt = make[1](tensors)
    for step, grads in enumerate(GRADIENTS):
        for t, g in zip(tensors, grads, strict=True):
            t.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        assert seen[step] == pytest.approx([t.item() for t in tensors], rel=1e-12, abs=1e-14)


def test_step_records_no_graph_and_keeps_the_values() -> None:
    w = Value(3.0, label="w")
    loss = w * w
    loss.backward()
    opt = SGD([w], lr=0.25)
    opt.step()
    assert w.data == pytest.approx(3.0 - 0.25 * 6.0)
    assert w.is_leaf and opt.params[0] is w


def test_bad_arguments_are_named() -> None:
    w = Value(1.0, label="w")
    with pytest.raises(ValueError, match=r"lr must lie in \(0\.0, inf\), not -0\.1"):
        SGD([w], lr=-0.1)
    with pytest.raises(ValueError, match=r"momentum must lie in \[0\.0, 1\.0\), not 1"):
        SGD([w], lr=0.1, momentum=1)
    with pytest.raises(TypeError, match="params\\[1\\] must be a Value, not float"):
        SGD([w, 1.0], lr=0.1)  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"params\[1\] \(w\) is the same Value as params\[0\]"):
        Adam([w, w])
    with pytest.raises(ValueError, match="params is empty"):
        Adam([])
    with pytest.raises(TypeError, match="not one Value"):
        SGD(w, lr=0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="betas\\[1\\] must lie in"):
        Adam([w], betas=(0.9, 1.0))
    with pytest.raises(TypeError, match="lr must be a number, not str"):
        SGD([w], lr="0.1")  # type: ignore[arg-type]


def test_the_parameter_list_given_is_not_changed() -> None:
    params = _params()
    given = list(params)
    opt = SGD(params, lr=0.1)
    opt.params.append(Value(0.0))
    assert params == given


def test_adam_with_decay_is_microgpts_update_to_the_last_bit() -> None:
    params = _params()
    lr, b1, b2, eps, steps = 0.01, 0.85, 0.99, 1e-8, 3
    seen = _run(lambda ps: Adam(ps, lr=lr, betas=(b1, b2), eps=eps, decay_steps=steps), params)
    x, m, v = [1.0, -2.0], [0.0, 0.0], [0.0, 0.0]
    for step, grads in enumerate(GRADIENTS):  # microgpt's loop: step counts from 0
        lr_t = lr * (1 - step / steps)
        for i, g in enumerate(grads):
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g**2
            m_hat = m[i] / (1 - b1 ** (step + 1))
            v_hat = v[i] / (1 - b2 ** (step + 1))
            # past the last step microgpt's rate would turn negative; Adam's stays at 0
            x[i] -= max(lr_t, 0.0) * m_hat / (v_hat**0.5 + eps)
        assert seen[step] == x
    assert seen[3] == seen[2]  # the fourth step of three moves nothing


def test_adam_with_decay_against_pytorch_linear_lr() -> None:
    torch = pytest.importorskip("torch")
    params = _params()
    tensors = [torch.tensor(p.data, dtype=torch.float64, requires_grad=True) for p in params]
    seen = _run(lambda ps: Adam(ps, lr=0.05, betas=(0.85, 0.99), decay_steps=4), params)
    opt = torch.optim.Adam(tensors, lr=0.05, betas=(0.85, 0.99), eps=1e-8)
    schedule = torch.optim.lr_scheduler.LinearLR(opt, 1.0, 0.0, total_iters=4)
    for step, grads in enumerate(GRADIENTS):
        for t, g in zip(tensors, grads, strict=True):
            t.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        schedule.step()
        assert seen[step] == pytest.approx([t.item() for t in tensors], rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "10"])
def test_adam_refuses_a_decay_that_is_not_a_count_of_steps(bad: object) -> None:
    with pytest.raises(ValueError, match="decay_steps must be a whole number of steps"):
        Adam(_params(), decay_steps=bad)  # type: ignore[arg-type]
