"""The activations a neuron can apply to its net input, by name.

A module stores the name, not the function, so it pickles, deep-copies and saves as plain data;
the function is looked up here when the neuron is called.

>>> from autograd import Value
>>> [round(ACTIVATIONS[name](Value(-2.0)).data, 4) for name in ("relu", "leaky_relu", "tanh")]
[0.0, -0.02, -0.964]
"""

from __future__ import annotations

from collections.abc import Callable

from autograd import Value

__all__ = ["ACTIVATIONS", "apply"]

#: Each name's function of the net input; "linear" is the identity (no node at all).
#: leaky_relu uses PyTorch's default slope, 0.01.
ACTIVATIONS: dict[str, Callable[[Value], Value] | None] = {
    "relu": Value.relu,
    "leaky_relu": Value.leaky_relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "linear": None,
}


def apply(name: str, net: Value) -> Value:
    """The activation called `name` applied to `net` (`net` itself for "linear")."""
    function = ACTIVATIONS[name]
    return net if function is None else function(net)
