"""A training loop: epochs of forward pass, loss, backward pass and optimizer step.

>>> from nn import MLP, datasets
>>> X, y = datasets.xor()
>>> model = MLP(2, [8, 1], activation="tanh", rng=3)
>>> history = fit(model, X, y, loss="mse", lr=0.2, epochs=500, target_loss=0.01, progress=False)
>>> history[-1] <= 0.01 < history[0]
True
"""

from __future__ import annotations

import importlib
import math
import random
import sys
from collections.abc import Callable, Sequence
from typing import IO, Any

from autograd import Value
from nn.losses import binary_cross_entropy, hinge, l2, mse, squared_error
from nn.modules import Module
from nn.optim import SGD, Optimizer

__all__ = ["LOSSES", "fit", "progress_bar"]

LossFunction = Callable[[Any, Any], Value]

#: The losses `fit` knows by name.
LOSSES: dict[str, LossFunction] = {
    "squared_error": squared_error,
    "mse": mse,
    "binary_cross_entropy": binary_cross_entropy,
    "hinge": hinge,
}

INSTALL_HINT = "pip install 'kuibu[progress]'"


def progress_bar(
    total: int, progress: bool | None, file: IO[str] | None, unit: str = "epoch"
) -> Any:
    """A tqdm bar over `total` steps, or None when there should be none.

    progress=None shows a bar only on a terminal and only if tqdm is installed; True asks for one
    (tqdm must then be installed); False never shows one.
    """
    if progress is False:
        return None
    stream = file if file is not None else sys.stderr
    if progress is None:
        isatty = getattr(stream, "isatty", None)
        if not (callable(isatty) and isatty()):
            return None
    try:
        # Imported by name so that type checking needs no tqdm stubs; optional at run time.
        tqdm = importlib.import_module("tqdm").tqdm
    except ImportError:
        if progress is None:
            return None
        raise ImportError(
            f"fit(progress=True) needs tqdm for its progress bar: {INSTALL_HINT} "
            "(or pass progress=False)"
        ) from None
    return tqdm(total=total, file=stream, unit=unit, leave=True)


def fit(
    model: Module,
    inputs: Sequence[Sequence[float]],
    targets: Sequence[Any],
    *,
    loss: str | LossFunction = "squared_error",
    optimizer: Optimizer | None = None,
    lr: float = 0.1,
    epochs: int = 100,
    batch_size: int | None = None,
    alpha: float = 0.0,
    target_loss: float | None = None,
    rng: random.Random | int | None = None,
    progress: bool | None = None,
    progress_file: IO[str] | None = None,
) -> list[float]:
    """Train `model` on (inputs, targets) and return the loss of each epoch.

    Each batch (the whole dataset unless `batch_size`) runs forward, computes `loss` (a name in
    `LOSSES` or a function (outputs, targets) -> Value) plus ``alpha``·Σp² when `alpha` > 0,
    clears the gradients, runs backward and takes one `optimizer` step (SGD with `lr` if none is
    given). An epoch's loss is the mean of its batches' losses, each measured before its update.
    Training stops early once an epoch's loss is at most `target_loss`, or is nan or infinite
    (diverged: more steps cannot help; the history shows where it happened). Batches are
    shuffled each epoch only when `rng` (a random.Random or a seed) is given. The progress bar
    (tqdm) shows the current loss; see `progress_bar` for when it appears.
    """
    if not isinstance(model, Module):
        raise TypeError(f"fit: model must be an nn Module, not {type(model).__name__}")
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(f"fit: unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
        loss_fn = LOSSES[loss]
    elif callable(loss):
        loss_fn = loss
    else:
        raise TypeError(f"fit: loss must be a name or a function, not {type(loss).__name__}")
    if len(inputs) != len(targets):
        raise ValueError(
            f"fit: {len(inputs)} inputs but {len(targets)} targets; they must pair up one to one"
        )
    if not inputs:
        raise ValueError("fit: the dataset is empty")
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"fit: epochs must be a positive int, not {epochs!r}")
    n = len(inputs)
    size = n if batch_size is None else batch_size
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise ValueError(f"fit: batch_size must be a positive int or None, not {batch_size!r}")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not alpha >= 0.0:
        raise ValueError(f"fit: alpha (the L2 weight) must be a number >= 0, not {alpha!r}")
    if target_loss is not None and (
        isinstance(target_loss, bool) or not isinstance(target_loss, (int, float))
    ):
        raise TypeError(f"fit: target_loss must be a number or None, not {target_loss!r}")
    if optimizer is None:
        optimizer = SGD(model.parameters(), lr=lr)
    params = model.parameters()
    shuffler = None if rng is None else (
        rng if isinstance(rng, random.Random) else random.Random(rng))

    bar = progress_bar(epochs, progress, progress_file)
    history: list[float] = []
    order = list(range(n))
    try:
        for _ in range(epochs):
            if shuffler is not None:
                shuffler.shuffle(order)
            total = 0.0
            for start in range(0, n, size):
                batch = order[start:start + size]
                outputs = [model(inputs[i]) for i in batch]
                batch_loss = loss_fn(outputs, [targets[i] for i in batch])
                if alpha > 0.0:
                    batch_loss.label = "data_loss"
                    batch_loss = batch_loss + l2(params, alpha)
                    batch_loss.label = "loss"
                optimizer.zero_grad()
                batch_loss.backward()
                optimizer.step()
                total += batch_loss.data * len(batch)
            epoch_loss = total / n
            history.append(epoch_loss)
            if bar is not None:
                bar.set_postfix(loss=f"{epoch_loss:.4g}", refresh=False)
                bar.update(1)
            if not math.isfinite(epoch_loss):
                break  # nothing good can come of more steps; the history shows where it went
            if target_loss is not None and epoch_loss <= target_loss:
                break
    finally:
        if bar is not None:
            bar.close()
    return history
