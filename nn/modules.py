"""Neurons, layers and multi-layer perceptrons: micrograd's modules, with labels and activations.

`Neuron`, `Layer` and `MLP` keep micrograd's attribute names (`MLP.layers`, `Layer.neurons`,
`Neuron.w`, `Neuron.b`) and its parameter order (per neuron, the weights then the bias), so code
written for micrograd runs unchanged, and with no `rng` the initial weights come from Python's
global `random` in micrograd's order, so ``random.seed(1337)`` gives micrograd's network. On top of
that every parameter is labelled with where it sits (``layer1.neuron2.w0``), each call labels the
neurons' ``net`` and ``out`` nodes, the activation is chosen per layer (and stored by name, so
modules pickle), `rng` may give a network its own generator, and weights can be given, read back,
saved and loaded as plain nested lists (the file format is `nn.saving`'s).

>>> from nn import MLP
>>> model = MLP(2, [16, 16, 1], rng=0)
>>> len(model.parameters())
337
>>> model.layers[1].neurons[2].w[0].label, model.layers[1].neurons[2].b.label
('layer1.neuron2.w0', 'layer1.neuron2.b')
"""

from __future__ import annotations

import math
import numbers
import os
import random
from collections.abc import Sequence
from typing import Any, ClassVar

from autograd import Value, linear
from nn import saving
from nn._text import short
from nn.activations import ACTIVATIONS
from nn.saving import ModelFileError, PathLike

__all__ = ["ACTIVATIONS", "MLP", "Layer", "Module", "Neuron", "Weights", "load"]

#: Weights as plain numbers: a neuron's row [w0, ..., b], a layer's rows, an MLP's layers.
Weights = Any



def _generator(rng: random.Random | int | None, where: str) -> random.Random | None:
    """The generator to draw initial weights from; None means Python's global `random`.

    With no `rng` the weights come from the global generator, in micrograd's order (layer by
    layer, neuron by neuron, each neuron's weights in turn), so ``random.seed(1337)`` followed
    by micrograd's code builds micrograd's network. A seed gives a generator of its own, so a
    seeded model is the same whatever else draws from `random`.
    """
    if rng is None or isinstance(rng, random.Random):
        return rng
    if isinstance(rng, int) and not isinstance(rng, bool):
        return random.Random(rng)
    raise TypeError(
        f"{where}: rng must be a random.Random, an int seed or None, not "
        f"{type(rng).__name__}: {short(rng)}"
    )


def _check_size(n: object, name: str, where: str) -> int:
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"{where}: {name} must be an int, not {type(n).__name__}: {short(n)}")
    if n < 1:
        raise ValueError(f"{where}: {name} must be at least 1, not {n}")
    return n


def _resolve_activation(activation: str | None, nonlin: bool, where: str) -> str:
    """The activation's name from micrograd's `nonlin` flag and kuibu's `activation`."""
    if activation is None:
        return "relu" if nonlin else "linear"
    if not isinstance(activation, str):
        raise TypeError(
            f"{where}: activation must be a str, not {type(activation).__name__}: "
            f"{short(activation)}"
        )
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"{where}: unknown activation {activation!r}; choose one of "
            f"{', '.join(repr(a) for a in ACTIVATIONS)}"
        )
    if not nonlin and activation != "linear":
        raise ValueError(
            f"{where}: nonlin=False means a linear neuron, but activation={activation!r} was "
            "also given; pass one or the other"
        )
    return activation


def _prefixed(label: str, name: str) -> str:
    return f"{label}.{name}" if label else name


def _check_inputs(x: object, nin: int, where: str) -> Sequence[Any]:
    """The inputs as a sequence of nin numbers or Values, or a TypeError/ValueError saying why."""
    if isinstance(x, (str, bytes)) or not hasattr(x, "__len__") or not hasattr(x, "__getitem__"):
        raise TypeError(
            f"{where}: inputs must be a list of {nin} numbers or Values, not "
            f"{type(x).__name__}: {short(x)}"
        )
    xs: Sequence[Any] = x  # type: ignore[assignment]
    if len(xs) != nin:
        raise ValueError(f"{where}: expected {nin} inputs, got {len(xs)}: {short(x)}")
    for position, xi in enumerate(xs):
        cls = xi.__class__
        if cls is float or cls is Value or cls is int:
            continue  # the common cases, checked without isinstance
        if isinstance(xi, (Value, numbers.Real)):
            continue
        raise TypeError(
            f"{where}: inputs[{position}] must be a number or a Value, not "
            f"{type(xi).__name__}: {short(xi)}"
        )
    return xs


def _number(x: object, where: str) -> float:
    """x as a finite float, or an error naming where it sits."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError(f"{where}: expected a number, got {type(x).__name__}: {short(x)}")
    value = float(x)
    if not math.isfinite(value):
        raise ValueError(f"{where}: expected a finite number, got {value}")
    return value


def _rows(weights: object, where: str) -> list[Any]:
    if isinstance(weights, (str, bytes, dict)) or not isinstance(weights, Sequence):
        raise TypeError(
            f"{where}: expected a list, got {type(weights).__name__}: {short(weights)}"
        )
    return list(weights)


class Module:
    """Anything with parameters: a neuron, a layer, a network.

    Subclasses define `parameters` (in a fixed order), `get_weights` (the same numbers as nested
    lists), `_validated_weights` (checks a nested list and flattens it in parameter order) and
    `architecture` (what must match for weights to be loaded).
    """

    kind: ClassVar[str] = "Module"

    def __call__(self, x: Sequence[float | Value]) -> Value | list[Value]:
        """The module's output for the inputs x."""
        raise NotImplementedError

    def parameters(self) -> list[Value]:
        """Every parameter Value, in micrograd's order."""
        return []

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to 0 (before the next backward pass)."""
        for p in self.parameters():
            p.grad = 0.0

    def architecture(self) -> dict[str, Any]:
        """What a weights file must record to be loaded into this module (JSON-ready)."""
        return {"type": self.kind}

    def get_weights(self) -> Weights:
        """The parameters' values as plain nested lists of floats (see `set_weights`)."""
        return []

    def _validated_weights(self, weights: object, where: str) -> list[float]:
        """`weights` checked against this module's shape, flattened in `parameters` order."""
        raise NotImplementedError

    def set_weights(self, weights: Weights) -> None:
        """Assign the values in `weights` (shaped as `get_weights` returns) to the parameters.

        Everything is checked before anything is assigned, so on an error the module is left
        exactly as it was. The parameter Values are kept (only their ``data`` changes), so an
        optimizer holding them keeps working.
        """
        flat = self._validated_weights(weights, "weights")
        for p, value in zip(self.parameters(), flat, strict=True):
            p.data = value

    def save(self, path: PathLike) -> None:
        """Write the architecture and all weights to `path` as JSON, atomically (`nn.saving`).

        Refuses (ValueError, nothing written) when a parameter is nan or infinite, naming it.
        """
        for p in self.parameters():
            if not math.isfinite(p.data):
                raise ValueError(
                    f"save: parameter {p.label or '(unlabelled)'} is {p.data}; a model file holds "
                    "only finite numbers (the training probably diverged)"
                )
        saving.write(saving.document(self.architecture(), self.get_weights()), path)

    def load(self, path: PathLike) -> None:
        """Read weights saved by `save` into this module; refuse a file that does not match.

        The whole file is checked before anything is assigned, so after a `ModelFileError` the
        module is exactly as it was.
        """
        content = saving.read(path)
        recorded, expected = content["architecture"], self.architecture()
        if recorded != expected:
            keys = sorted(set(recorded) | set(expected))
            differences = [
                f"{k}: file has {recorded.get(k, '(nothing)')!r}, model has "
                f"{expected.get(k, '(nothing)')!r}"
                for k in keys if recorded.get(k) != expected.get(k)
            ]
            raise ModelFileError(os.fspath(path), "architecture",
                                 f"does not match this model ({'; '.join(differences)})")
        flat = self._validated_weights(content["weights"], "weights")
        for p, value in zip(self.parameters(), flat, strict=True):
            p.data = value


class Neuron(Module):
    """One neuron: out = activation(w0·x0 + w1·x1 + ... + b).

    Weights start uniform in [-1, 1] and the bias at 0 (micrograd's choice), drawn from `rng`
    (a random.Random or a seed), or from the global `random` when `rng` is None.
    Calling it labels the net input node ``<label>.net`` and the output ``<label>.out`` (for a
    linear neuron they are one node, labelled ``out``).

    >>> n = Neuron.from_weights([0.15, 0.20, 0.35], activation="sigmoid")
    >>> out = n([0.05, 0.10])
    >>> round(out.data, 9), out.label, n.w[1].label
    (0.593269992, 'out', 'w1')
    """

    kind: ClassVar[str] = "Neuron"

    def __init__(
        self,
        nin: int,
        nonlin: bool = True,
        *,
        activation: str | None = None,
        rng: random.Random | int | None = None,
        label: str = "",
    ) -> None:
        where = f"Neuron({nin})"
        _check_size(nin, "nin", where)
        if not isinstance(label, str):
            raise TypeError(f"{where}: label must be a str, not {type(label).__name__}")
        self.activation = _resolve_activation(activation, nonlin, where)
        self.nonlin = self.activation != "linear"
        self.label = label
        generator = _generator(rng, where)
        draw = random.uniform if generator is None else generator.uniform
        self.w = [Value(draw(-1.0, 1.0), label=_prefixed(label, f"w{k}")) for k in range(nin)]
        self.b = Value(0.0, label=_prefixed(label, "b"))
        self._net_label = _prefixed(label, "net")
        self._out_label = _prefixed(label, "out")

    @classmethod
    def from_weights(
        cls, weights: Sequence[float], *, activation: str = "relu", label: str = ""
    ) -> Neuron:
        """A neuron with the weights and bias given as one row ``[w0, w1, ..., b]``."""
        row = _rows(weights, "Neuron.from_weights: weights")
        if len(row) < 2:
            raise ValueError(
                "Neuron.from_weights: a row needs at least one weight and the bias, "
                f"[w0, ..., b]; got {short(weights)}"
            )
        neuron = cls(len(row) - 1, activation=activation, rng=0, label=label)
        neuron.set_weights(row)
        return neuron

    def __call__(self, x: Sequence[float | Value]) -> Value:
        """The neuron's output for the inputs x (numbers or Values)."""
        return self._forward(_check_inputs(x, len(self.w), repr(self)))

    def _forward(self, x: Sequence[Any]) -> Value:
        # The net input w0·x0 + w1·x1 + ... + b as one `linear` node, as a textbook draws a
        # neuron (and the same left-to-right sum as writing it out with + and *); a number in x
        # is a constant of that node, so an input costs no node of its own.
        net: Value = linear(self.w, x, self.b)
        # Looked up by name on each call (not stored), so a neuron pickles and deep-copies.
        act = ACTIVATIONS[self.activation]
        if act is None:
            net.label = self._out_label
            return net
        net.label = self._net_label
        out = act(net)
        out.label = self._out_label
        return out

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def architecture(self) -> dict[str, Any]:
        return {"type": self.kind, "nin": len(self.w), "activation": self.activation}

    def get_weights(self) -> list[float]:
        """``[w0, w1, ..., b]`` as floats."""
        return [p.data for p in self.parameters()]

    def _validated_weights(self, weights: object, where: str) -> list[float]:
        row = _rows(weights, where)
        nin = len(self.w)
        if len(row) != nin + 1:
            raise ValueError(
                f"{where}: expected {nin + 1} numbers ({nin} weights then the bias), "
                f"got {len(row)}"
            )
        return [_number(x, f"{where}[{k}]") for k, x in enumerate(row)]

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)}, activation={self.activation!r})"


class Layer(Module):
    """`nout` neurons that each see the same `nin` inputs; one output gives a Value, else a list.

    >>> layer = Layer(3, 2, activation="tanh", rng=1)
    >>> labels = [p.label for p in layer.parameters()]
    >>> labels[:5]
    ['neuron0.w0', 'neuron0.w1', 'neuron0.w2', 'neuron0.b', 'neuron1.w0']
    >>> len(layer([1.0, 2.0, 3.0]))
    2
    """

    kind: ClassVar[str] = "Layer"

    def __init__(
        self,
        nin: int,
        nout: int,
        *,
        nonlin: bool = True,
        activation: str | None = None,
        rng: random.Random | int | None = None,
        label: str = "",
    ) -> None:
        where = f"Layer({nin}, {nout})"
        _check_size(nin, "nin", where)
        _check_size(nout, "nout", where)
        self.activation = _resolve_activation(activation, nonlin, where)
        if not isinstance(label, str):
            raise TypeError(f"{where}: label must be a str, not {type(label).__name__}")
        self.label = label
        generator = _generator(rng, where)
        self.neurons = [
            Neuron(nin, activation=self.activation, rng=generator,
                   label=_prefixed(label, f"neuron{j}"))
            for j in range(nout)
        ]

    @classmethod
    def from_weights(
        cls, weights: Sequence[Sequence[float]], *, activation: str = "relu", label: str = ""
    ) -> Layer:
        """A layer from one row ``[w0, ..., b]`` per neuron."""
        rows = _rows(weights, "Layer.from_weights: weights")
        if not rows:
            raise ValueError("Layer.from_weights: weights has no rows; a layer needs a neuron")
        first = _rows(rows[0], "Layer.from_weights: weights[0]")
        layer = cls(max(len(first) - 1, 1), len(rows), activation=activation, rng=0, label=label)
        layer.set_weights(rows)
        return layer

    def __call__(self, x: Sequence[float | Value]) -> Value | list[Value]:
        """The outputs for the inputs x: a Value if the layer has one neuron, else a list."""
        out = self._forward(_check_inputs(x, len(self.neurons[0].w), repr(self)))
        return out[0] if len(out) == 1 else out

    def _forward(self, x: Sequence[Any]) -> list[Value]:
        return [n._forward(x) for n in self.neurons]

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def architecture(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "nin": len(self.neurons[0].w),
            "nout": len(self.neurons),
            "activation": self.activation,
        }

    def get_weights(self) -> list[list[float]]:
        """One row ``[w0, ..., b]`` per neuron."""
        return [n.get_weights() for n in self.neurons]

    def _validated_weights(self, weights: object, where: str) -> list[float]:
        rows = _rows(weights, where)
        if len(rows) != len(self.neurons):
            raise ValueError(
                f"{where}: expected {len(self.neurons)} rows (one per neuron), got {len(rows)}"
            )
        return [
            x for j, (n, row) in enumerate(zip(self.neurons, rows, strict=True))
            for x in n._validated_weights(row, f"{where}[{j}]")
        ]

    def __repr__(self) -> str:
        nin = len(self.neurons[0].w)
        return f"Layer({nin}, {len(self.neurons)}, activation={self.activation!r})"


class MLP(Module):
    """A multi-layer perceptron: layers of sizes `nouts` after `nin` inputs.

    `activation` is a name for every hidden layer (the last layer is linear, as in micrograd),
    or a list with one name per layer, the last included (``["sigmoid", "sigmoid"]`` for the
    worked example's logistic network). The network's output is a Value for one output, else a list.
    Unlike micrograd, a hidden layer of one neuron works: layers pass lists to each other.

    >>> model = MLP(2, [16, 1, 1], rng=0)
    >>> model([0.5, -1.0]).label
    'layer2.neuron0.out'
    """

    kind: ClassVar[str] = "MLP"

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        *,
        activation: str | Sequence[str] = "relu",
        rng: random.Random | int | None = None,
    ) -> None:
        where = f"MLP({short(nin)}, {short(nouts)})"
        _check_size(nin, "nin", where)
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or not nouts:
            raise TypeError(
                f"{where}: nouts must be a non-empty list of layer sizes, not "
                f"{type(nouts).__name__}: {short(nouts)}"
            )
        sizes = [nin] + [_check_size(n, f"nouts[{i}]", where) for i, n in enumerate(nouts)]
        if isinstance(activation, str):
            activations = [activation] * (len(nouts) - 1) + ["linear"]
        elif isinstance(activation, Sequence):
            activations = list(activation)
            if len(activations) != len(nouts):
                raise ValueError(
                    f"{where}: activation lists one name per layer: expected {len(nouts)}, "
                    f"got {len(activations)}: {short(activation)}"
                )
        else:
            raise TypeError(
                f"{where}: activation must be a str or a list of str, not "
                f"{type(activation).__name__}: {short(activation)}"
            )
        generator = _generator(rng, where)
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation=activations[i], rng=generator,
                  label=f"layer{i}")
            for i in range(len(nouts))
        ]

    @classmethod
    def from_weights(
        cls, weights: Sequence[Sequence[Sequence[float]]], *,
        activation: str | Sequence[str] = "relu",
    ) -> MLP:
        """An MLP from one list of rows ``[w0, ..., b]`` per layer; sizes come from the shapes.

        >>> worked_net = MLP.from_weights(
        ...     [[[0.15, 0.20, 0.35], [0.25, 0.30, 0.35]],
        ...      [[0.40, 0.45, 0.60], [0.50, 0.55, 0.60]]],
        ...     activation=["sigmoid", "sigmoid"])
        >>> outputs = worked_net([0.05, 0.10])
        >>> [round(o.data, 8) for o in outputs]
        [0.75136507, 0.77292847]
        """
        layers = _rows(weights, "MLP.from_weights: weights")
        if not layers:
            raise ValueError("MLP.from_weights: weights has no layers")
        nouts: list[int] = []
        nin = 1
        for i, rows in enumerate(layers):
            rows_i = _rows(rows, f"MLP.from_weights: weights[{i}]")
            if not rows_i:
                raise ValueError(f"MLP.from_weights: weights[{i}] has no rows (neurons)")
            if i == 0:
                first = _rows(rows_i[0], "MLP.from_weights: weights[0][0]")
                nin = max(len(first) - 1, 1)
            nouts.append(len(rows_i))
        model = cls(nin, nouts, activation=activation, rng=0)
        model.set_weights(layers)
        return model

    def __call__(self, x: Sequence[float | Value]) -> Value | list[Value]:
        """The network's output for inputs x: a Value for one output, else a list of Values."""
        values = _check_inputs(x, len(self.layers[0].neurons[0].w), repr(self))
        for layer in self.layers:
            values = layer._forward(values)
        return values[0] if len(values) == 1 else list(values)

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def architecture(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "nin": len(self.layers[0].neurons[0].w),
            "nouts": [len(layer.neurons) for layer in self.layers],
            "activations": [layer.activation for layer in self.layers],
        }

    def get_weights(self) -> list[list[list[float]]]:
        """One list of rows ``[w0, ..., b]`` per layer."""
        return [layer.get_weights() for layer in self.layers]

    def _validated_weights(self, weights: object, where: str) -> list[float]:
        layers = _rows(weights, where)
        if len(layers) != len(self.layers):
            raise ValueError(f"{where}: expected {len(self.layers)} layers, got {len(layers)}")
        return [
            x for i, (layer, rows) in enumerate(zip(self.layers, layers, strict=True))
            for x in layer._validated_weights(rows, f"{where}[{i}]")
        ]

    def to_torch(self) -> Any:
        """An equal `torch.nn.Sequential` (same weights and activations); needs PyTorch."""
        from nn.torch_bridge import sequential

        return sequential(self.get_weights(), [layer.activation for layer in self.layers])

    @classmethod
    def from_torch(cls, module: Any) -> MLP:
        """The MLP equal to a torch `Sequential` of Linear layers and activations (see
        `nn.torch_bridge`); needs PyTorch."""
        from nn.torch_bridge import read_sequential

        weights, activations = read_sequential(module)
        return cls.from_weights(weights, activation=activations)

    def __repr__(self) -> str:
        arch = self.architecture()
        return f"MLP({arch['nin']}, {arch['nouts']}, activation={arch['activations']})"


def load(path: PathLike) -> Module:
    """A new module built from the architecture recorded at `path`, with its weights.

    `nn.saving.read` has checked the weights' shape against the architecture, so building the
    module costs no more than the file's size.

    >>> import os, tempfile
    >>> model = MLP(2, [3, 1], rng=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.json")
    >>> model.save(path)
    >>> load(path).get_weights() == model.get_weights()
    True
    """
    content = saving.read(path)
    arch, weights = content["architecture"], content["weights"]
    if arch["type"] in saving.MATRIX_KINDS:  # a kind defined elsewhere (nn.transformer's GPT)
        return saving.MATRIX_KINDS[arch["type"]].build(arch, weights)  # type: ignore[no-any-return]
    if arch["type"] == "Neuron":
        return Neuron.from_weights(weights, activation=arch["activation"])
    if arch["type"] == "Layer":
        return Layer.from_weights(weights, activation=arch["activation"])
    return MLP.from_weights(weights, activation=arch["activations"])
