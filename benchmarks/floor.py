"""The floor for pure Python: micrograd's demo training step written out by hand in plain floats.

No graph, no objects per operation: lists of floats, one arithmetic operation per line, the chain
rule worked out by hand for MLP(2, [16, 16, 1]) with ReLU hidden layers, the hinge loss averaged
over the points, 1e-4·Σp² (L2) and an SGD update. What a person would write to train this network
as fast as plain Python can, and so the speed an engine's training step is measured against.

The network is kept as one (weights, biases, relu) triple per layer, weights as one row per neuron.
"""

from __future__ import annotations

Layer = tuple[list[list[float]], list[float], bool]


def layers_from_rows(weights: list[list[list[float]]]) -> list[Layer]:
    """kuibu's nested weights (one row [w0, ..., b] per neuron) as the floor's layers."""
    last = len(weights) - 1
    return [
        ([row[:-1] for row in rows], [row[-1] for row in rows], i < last)
        for i, rows in enumerate(weights)
    ]


def floor_step(
    layers: list[Layer], points: list[list[float]], labels: list[float], alpha: float, lr: float
) -> float:
    """One training step over all points; updates `layers` in place and returns the loss."""
    grad_w = [[[0.0] * len(row) for row in w] for w, _, _ in layers]
    grad_b = [[0.0] * len(b) for _, b, _ in layers]
    scale = 1.0 / len(points)
    data_loss = 0.0
    for point, label in zip(points, labels, strict=True):
        # Forward: keep every layer's inputs and net inputs for the backward pass.
        activations = [point]
        nets = []
        a = point
        for w, b, relu in layers:
            net = []
            out = []
            for row, bias in zip(w, b, strict=True):
                s = row[0] * a[0]
                for k in range(1, len(a)):
                    s += row[k] * a[k]
                s += bias
                net.append(s)
                out.append(s if (not relu or s > 0.0) else 0.0)
            nets.append(net)
            activations.append(out)
            a = out
        score = a[0]
        margin = 1.0 - score if label == 1.0 else 1.0 + score
        if margin > 0.0:
            data_loss += margin
            dscore = -scale if label == 1.0 else scale
        else:
            dscore = 0.0
        # Backward: delta is ∂loss/∂net for each neuron of the layer.
        delta = [dscore]
        for index in range(len(layers) - 1, -1, -1):
            w, _, relu = layers[index]
            a = activations[index]
            gw = grad_w[index]
            gb = grad_b[index]
            below = [0.0] * len(a)
            for j, d in enumerate(delta):
                if d == 0.0:
                    continue
                row = w[j]
                grow = gw[j]
                for k in range(len(a)):
                    grow[k] += d * a[k]
                    below[k] += d * row[k]
                gb[j] += d
            if index:
                net = nets[index - 1]
                delta = [g if net[k] > 0.0 else 0.0 for k, g in enumerate(below)]
    penalty = 0.0
    for w, b, _ in layers:
        for row in w:
            for p in row:
                penalty += p * p
        for p in b:
            penalty += p * p
    twice = 2.0 * alpha
    for (w, b, _), gw, gb in zip(layers, grad_w, grad_b, strict=True):
        for row, grow in zip(w, gw, strict=True):
            for k in range(len(row)):
                row[k] -= lr * (grow[k] + twice * row[k])
        for j in range(len(b)):
            b[j] -= lr * (gb[j] + twice * b[j])
    return data_loss * scale + alpha * penalty
