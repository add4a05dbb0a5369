"""The door to PyTorch: an MLP as an equivalent `torch.nn.Sequential`, and back.

For when a model outgrows kuibu: `MLP.to_torch()` gives a float64 ``Sequential`` of ``Linear``
layers and activations with the same weights, so it computes the same outputs and gradients;
`MLP.from_torch(module)` reads such a ``Sequential`` back. This module holds the conversion, on
plain weights, so that it needs nothing of nn's; PyTorch is optional and imported only here, when
called (``pip install torch``).

>>> from nn import MLP
>>> model = MLP(2, [3, 1], rng=0)
>>> net = model.to_torch()   # doctest: +SKIP
>>> MLP.from_torch(net).get_weights() == model.get_weights()   # doctest: +SKIP
True
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["read_sequential", "sequential"]

INSTALL_HINT = "pip install torch"
#: kuibu's activation names and the torch.nn module classes they become.
TORCH_ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}


def _torch() -> Any:
    try:
        return importlib.import_module("torch")
    except ImportError:
        raise ImportError(f"to_torch and from_torch need PyTorch: {INSTALL_HINT}") from None


def sequential(weights: list[list[list[float]]], activations: list[str]) -> Any:
    """A ``torch.nn.Sequential`` (float64) of the layers `weights` (as `MLP.get_weights` gives
    them) and their `activations`: what `MLP.to_torch` returns.

    Each layer becomes ``Linear(nin, nout)`` (weight[j][k] is neuron j's w_k, bias[j] its b),
    followed by its activation's module unless it is linear.
    """
    torch = _torch()
    modules = []
    for rows, activation in zip(weights, activations, strict=True):
        linear = torch.nn.Linear(len(rows[0]) - 1, len(rows), dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([row[:-1] for row in rows], dtype=torch.float64))
            linear.bias.copy_(torch.tensor([row[-1] for row in rows], dtype=torch.float64))
        modules.append(linear)
        if activation != "linear":
            if activation not in TORCH_ACTIVATIONS:
                raise ValueError(f"to_torch: PyTorch has no module for the activation "
                                 f"{activation!r}; convertible: linear, "
                                 f"{', '.join(TORCH_ACTIVATIONS)}")
            modules.append(getattr(torch.nn, TORCH_ACTIVATIONS[activation])())
    return torch.nn.Sequential(*modules)


def read_sequential(module: Any) -> tuple[list[list[list[float]]], list[str]]:
    """The weights and activations of a ``Sequential`` of ``Linear`` layers, each followed by at
    most one of ReLU, Tanh or Sigmoid (anything else is refused, naming its position): what
    `MLP.from_torch` builds its MLP from."""
    torch = _torch()
    layers = list(module) if isinstance(module, torch.nn.Sequential) else [module]
    by_class = {name: kuibu for kuibu, name in TORCH_ACTIVATIONS.items()}
    weights: list[list[list[float]]] = []
    activations: list[str] = []
    for position, part in enumerate(layers):
        kind = type(part).__name__
        if isinstance(part, torch.nn.Linear):
            w = part.weight.detach().to(torch.float64).tolist()
            b = (part.bias.detach().to(torch.float64).tolist() if part.bias is not None
                 else [0.0] * len(w))
            weights.append([[*row, bias] for row, bias in zip(w, b, strict=True)])
            activations.append("linear")
        elif kind in by_class and activations and activations[-1] == "linear":
            activations[-1] = by_class[kind]
        elif isinstance(part, torch.nn.Identity):
            continue
        else:
            raise ValueError(
                f"from_torch: module {position} is {kind}; an MLP is Linear layers, each "
                f"followed by at most one of {', '.join(by_class)}"
            )
    if not weights:
        raise ValueError("from_torch: the module has no Linear layer")
    return weights, activations
