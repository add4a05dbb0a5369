"""Saving and loading a module's weights as JSON (never pickle), with its architecture recorded.

A file holds ``{"format": "kuibu.nn", "version": 1, "architecture": {...}, "weights": [...]}``,
the weights nested as `Module.get_weights` gives them. Loading checks everything (valid JSON, the
format, the architecture, the shape, every number) before assigning anything, so a malformed,
truncated or mismatched file is refused with a `ModelFileError` saying what does not match and the
model is left exactly as it was. JSON has no NaN or infinity, so neither is saved nor loaded.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

from nn.modules import ACTIVATIONS, MLP, Layer, Module, Neuron

__all__ = ["FORMAT", "VERSION", "ModelFileError", "load", "load_into", "save"]

FORMAT = "kuibu.nn"
VERSION = 1
_KEYS = ("format", "version", "architecture", "weights")

PathLike = str | os.PathLike[str]


class ModelFileError(ValueError):
    """A weights file that cannot be loaded: not JSON, not kuibu's format, or not this model's."""


def save(module: Module, path: PathLike) -> None:
    """Write `module`'s architecture and weights to `path` as JSON.

    Refuses (ValueError, nothing written) when a parameter is nan or infinite, naming it.
    The file is written beside the target and then renamed, so a crash never leaves half a file.
    """
    if not isinstance(module, Module):
        raise TypeError(f"save: expected an nn Module, not {type(module).__name__}")
    for p in module.parameters():
        if not math.isfinite(p.data):
            raise ValueError(
                f"save: parameter {p.label or '(unlabelled)'} is {p.data}; JSON cannot hold nan "
                "or infinity (the training probably diverged)"
            )
    document = {
        "format": FORMAT,
        "version": VERSION,
        "architecture": module.architecture(),
        "weights": module.get_weights(),
    }
    target = os.fspath(path)
    temporary = target + ".tmp"
    with open(temporary, "w", encoding="utf-8") as f:
        json.dump(document, f, indent=1, allow_nan=False)
        f.write("\n")
    os.replace(temporary, target)


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows (nor one a model can use)")


def _read(path: PathLike) -> dict[str, Any]:
    """The file's top-level object, checked for kuibu's format and version."""
    where = os.fspath(path)
    with open(where, encoding="utf-8") as f:
        text = f.read()
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as e:
        hint = " (the file looks truncated)" if e.pos >= len(text.rstrip()) else ""
        raise ModelFileError(f"{where}: not valid JSON{hint}: {e}") from None
    except ValueError as e:
        raise ModelFileError(f"{where}: {e}") from None
    if not isinstance(document, dict):
        raise ModelFileError(
            f"{where}: expected a JSON object with keys {list(_KEYS)}, got a "
            f"{type(document).__name__}"
        )
    missing = [k for k in _KEYS if k not in document]
    extra = sorted(k for k in document if k not in _KEYS)
    if missing or extra:
        parts = ([f"missing {missing}"] if missing else []) + (
            [f"unexpected {extra}"] if extra else [])
        raise ModelFileError(f"{where}: not a kuibu weights file: keys {', '.join(parts)}")
    if document["format"] != FORMAT:
        raise ModelFileError(
            f"{where}: format is {document['format']!r}, expected {FORMAT!r}"
        )
    version = document["version"]
    if version != VERSION or isinstance(version, bool):
        raise ModelFileError(
            f"{where}: format version {version!r} is not supported (this kuibu reads {VERSION})"
        )
    if not isinstance(document["architecture"], dict):
        raise ModelFileError(f"{where}: architecture must be a JSON object")
    return document


def load_into(module: Module, path: PathLike) -> None:
    """Read the weights at `path` into `module`, refusing a file that does not match it.

    Nothing is assigned unless everything matches, so after an error the module is unchanged.
    """
    if not isinstance(module, Module):
        raise TypeError(f"load: expected an nn Module, not {type(module).__name__}")
    _apply(module, _read(path), os.fspath(path))


def _apply(module: Module, document: dict[str, Any], where: str) -> None:
    """Check the file's architecture and weights against `module`, then assign the weights."""
    recorded, expected = document["architecture"], module.architecture()
    if recorded != expected:
        keys = sorted(set(recorded) | set(expected))
        differences = [
            f"{k}: file has {recorded.get(k, '(nothing)')!r}, model has "
            f"{expected.get(k, '(nothing)')!r}"
            for k in keys if recorded.get(k) != expected.get(k)
        ]
        raise ModelFileError(
            f"{where}: the architecture does not match this model ({'; '.join(differences)})"
        )
    try:
        flat = module._validated_weights(document["weights"], "weights")
    except (TypeError, ValueError) as e:
        raise ModelFileError(f"{where}: {e}") from None
    for p, value in zip(module.parameters(), flat, strict=True):
        p.data = value


def _int(arch: dict[str, Any], key: str, where: str) -> int:
    n = arch.get(key)
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ModelFileError(f"{where}: architecture {key} must be a positive int, not {n!r}")
    return n


def _activation(name: object, where: str) -> str:
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ModelFileError(
            f"{where}: unknown activation {name!r} (known: {', '.join(ACTIVATIONS)})"
        )
    return name


def load(path: PathLike) -> Module:
    """A new module built from the architecture recorded at `path`, with its weights.

    >>> import os, tempfile
    >>> from nn import MLP
    >>> model = MLP(2, [3, 1], rng=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.json")
    >>> model.save(path)
    >>> load(path).get_weights() == model.get_weights()
    True
    """
    where = os.fspath(path)
    document = _read(path)
    arch = document["architecture"]
    kind = arch.get("type")
    module: Module
    if kind == "Neuron":
        module = Neuron(_int(arch, "nin", where), activation=_activation(arch.get("activation"),
                        where), rng=0)
    elif kind == "Layer":
        module = Layer(_int(arch, "nin", where), _int(arch, "nout", where),
                       activation=_activation(arch.get("activation"), where), rng=0)
    elif kind == "MLP":
        nouts, activations = arch.get("nouts"), arch.get("activations")
        if not isinstance(nouts, list) or not nouts or any(
            not isinstance(n, int) or isinstance(n, bool) or n < 1 for n in nouts
        ):
            raise ModelFileError(f"{where}: architecture nouts must be a list of positive ints, "
                                 f"not {nouts!r}")
        if not isinstance(activations, list) or len(activations) != len(nouts):
            raise ModelFileError(f"{where}: architecture activations must list one name per "
                                 f"layer ({len(nouts)}), not {activations!r}")
        module = MLP(_int(arch, "nin", where), nouts,
                     activation=[_activation(a, where) for a in activations], rng=0)
    else:
        raise ModelFileError(f"{where}: unknown module type {kind!r} (known: Neuron, Layer, MLP)")
    _apply(module, document, where)
    return module
