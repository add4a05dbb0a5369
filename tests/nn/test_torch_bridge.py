"""to_torch / from_torch: the same outputs and gradients on both sides (skipped without torch)."""

from __future__ import annotations

import pytest

from nn import MLP

torch = pytest.importorskip("torch")

POINTS = [[0.5, -1.0, 0.25], [-0.3, 0.8, 2.0], [1.5, 0.1, -0.7]]


@pytest.mark.parametrize("activation", [["relu", "relu", "linear"], ["tanh", "sigmoid", "tanh"]])
def test_outputs_and_gradients_agree(activation: list[str]) -> None:
    model = MLP(3, [5, 4, 2], activation=activation, rng=7)
    net = model.to_torch()
    for x in POINTS:
        model.zero_grad()
        outs = model(x)
        assert isinstance(outs, list)
        loss = outs[0] * outs[0] + outs[1] * 3.0
        loss.backward()
        t_out = net(torch.tensor(x, dtype=torch.float64))
        net.zero_grad()
        (t_out[0] * t_out[0] + t_out[1] * 3.0).backward()
        assert [o.data for o in outs] == pytest.approx(t_out.tolist(), rel=1e-12, abs=1e-14)
        t_grads = []
        for linear in (m for m in net if isinstance(m, torch.nn.Linear)):
            for row, b in zip(linear.weight.grad.tolist(), linear.bias.grad.tolist(), strict=True):
                t_grads += [*row, b]
        grads = [p.grad for p in model.parameters()]
        assert grads == pytest.approx(t_grads, rel=1e-10, abs=1e-13)


def test_round_trip_keeps_weights_and_activations() -> None:
    model = MLP(2, [3, 3, 1], activation=["tanh", "relu", "sigmoid"], rng=1)
    back = MLP.from_torch(model.to_torch())
    assert back.get_weights() == model.get_weights()
    assert [layer.activation for layer in back.layers] == ["tanh", "relu", "sigmoid"]


def test_from_a_module_built_in_torch() -> None:
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    model = MLP.from_torch(net)
    x = [0.3, -0.9]
    expected = net(torch.tensor(x)).item()
    assert model(x).data == pytest.approx(expected, rel=1e-6)  # net is float32


def test_what_is_not_an_mlp_is_refused() -> None:
    with pytest.raises(ValueError, match=r"module 1 is Dropout"):
        MLP.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout()))
    with pytest.raises(ValueError, match="module 0 is ReLU"):
        MLP.from_torch(torch.nn.Sequential(torch.nn.ReLU()))
    with pytest.raises(ValueError, match="no Linear"):
        MLP.from_torch(torch.nn.Sequential(torch.nn.Identity()))
    with pytest.raises(ValueError, match="no module for the activation 'leaky_relu'"):
        layers = [[[1.0, 0.0]], [[1.0, 0.0]]]
        MLP.from_weights(layers, activation=["leaky_relu", "linear"]).to_torch()
