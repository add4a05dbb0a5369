"""Small graphs for the viz tests, built from Values by hand (the tests never import nn).

`mlp` labels its nodes the way nn does (``layer0.neuron1.w0``, ``...net``, ``...out``, ``loss``),
so the nn-aware drawing can be tested without nn.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from autograd import Value


@dataclass
class MLP:
    """Parameters per layer, per neuron: ([w0, w1, ...], b)."""

    layers: list[list[tuple[list[Value], Value]]] = field(default_factory=list)

    def __call__(self, x: Sequence[float | Value]) -> Value:
        """The network's output for one sample, each neuron's net and out labelled as nn does."""
        values: Sequence[float | Value] = x
        for i, layer in enumerate(self.layers):
            outs = []
            for j, (ws, b) in enumerate(layer):
                net = ws[0] * values[0]
                for w, v in zip(ws[1:], values[1:], strict=True):
                    net = net + w * v
                net = net + b
                net.label = f"layer{i}.neuron{j}.net"
                out = net.tanh()
                out.label = f"layer{i}.neuron{j}.out"
                outs.append(out)
            values = outs
        assert isinstance(values[0], Value)
        return values[0]

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for ws, b in layer for p in (*ws, b)]


def mlp(sizes: Sequence[int], rng: random.Random) -> MLP:
    """A tanh network with nn's labels: sizes [2, 3, 1] is 2 inputs, 3 hidden neurons, 1 output."""
    model = MLP()
    for i, (nin, nout) in enumerate(itertools.pairwise(sizes)):
        model.layers.append([
            (
                [Value(rng.uniform(-1, 1), label=f"layer{i}.neuron{j}.w{k}") for k in range(nin)],
                Value(rng.uniform(-0.1, 0.1), label=f"layer{i}.neuron{j}.b"),
            )
            for j in range(nout)
        ])
    return model


def batch_loss(model: MLP, samples: int, rng: random.Random) -> Value:
    """A squared-error loss over `samples` random points with targets ±1, labelled ``loss``."""
    total: Value | None = None
    for _ in range(samples):
        x = [rng.uniform(-2, 2), rng.uniform(-2, 2)]
        target = 1.0 if x[0] * x[1] > 0 else -1.0
        term = (model(x) - target) ** 2
        total = term if total is None else total + term
    assert total is not None
    total.label = "loss"
    return total


def chain(n: int) -> Value:
    """A chain of about n Values: x, then (x·0.9).tanh() repeatedly."""
    y = Value(0.5, label="x")
    for _ in range(n // 2):
        y = (y * 0.9).tanh()
    return y


def worked() -> tuple[Value, dict[str, Value]]:
    """The worked 2-2-2 logistic network (two inputs, hidden h1 and h2, outputs o1 and o2,
    E = ½ Σ (target − out)²) labelled as the worked example labels it, after backward."""
    p = {name: Value(v, label=name) for name, v in (
        ("w1", 0.15), ("w2", 0.20), ("w3", 0.25), ("w4", 0.30), ("w5", 0.40), ("w6", 0.45),
        ("w7", 0.50), ("w8", 0.55), ("b1", 0.35), ("b2", 0.60))}
    i1, i2 = 0.05, 0.10
    n: dict[str, Value] = {}
    n["net_h1"] = p["w1"] * i1 + p["w2"] * i2 + p["b1"]
    n["out_h1"] = n["net_h1"].sigmoid()
    n["net_h2"] = p["w3"] * i1 + p["w4"] * i2 + p["b1"]
    n["out_h2"] = n["net_h2"].sigmoid()
    n["net_o1"] = p["w5"] * n["out_h1"] + p["w6"] * n["out_h2"] + p["b2"]
    n["out_o1"] = n["net_o1"].sigmoid()
    n["net_o2"] = p["w7"] * n["out_h1"] + p["w8"] * n["out_h2"] + p["b2"]
    n["out_o2"] = n["net_o2"].sigmoid()
    n["E"] = 0.5 * ((0.01 - n["out_o1"]) ** 2 + (0.99 - n["out_o2"]) ** 2)
    for name, node in n.items():
        node.label = name
    n["E"].backward()
    return n["E"], {**p, **n}
