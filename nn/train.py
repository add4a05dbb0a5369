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
from nn.losses import LOSSES, l2
from nn.modules import Module
from nn.optim import SGD, Optimizer

__all__ = [
    "GROWTH_FLOOR", "GROWTH_LIMIT", "LOSSES", "TrainingDivergedError", "descend", "fit",
    "progress_bar",
]

LossFunction = Callable[[Any, Any], Value]

#: fit stops when an epoch's loss exceeds this many times the first epoch's loss (or than
#: GROWTH_LIMIT · GROWTH_FLOOR when the first was smaller than GROWTH_FLOOR).
GROWTH_LIMIT = 1000.0
GROWTH_FLOOR = 1e-3


class TrainingDivergedError(RuntimeError):
    """The loss became nan or infinite, or grew by orders of magnitude: training cannot recover.

    `history` holds the loss of each epoch completed so far, `epoch` the (1-based) epoch where
    it was noticed, `loss` the loss that stopped it and `lr` the learning rate in use.
    """

    def __init__(self, message: str, history: list[float], epoch: int, loss: float,
                 lr: float | None) -> None:
        super().__init__(message)
        self.history = history
        self.epoch = epoch
        self.loss = loss
        self.lr = lr


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


def descend(loss: Callable[[], Value], optimizer: Optimizer, steps: int,
            progress: bool | None = None) -> None:
    """`steps` steps of gradient descent on the scalar `loss()` builds: zero the gradients,
    build the loss, backward, step; with a progress bar showing the loss (see `progress_bar`)."""
    bar = progress_bar(steps, progress, None, unit="step") if steps > 0 else None
    try:
        for _ in range(steps):
            optimizer.zero_grad()
            value = loss()
            value.backward()
            optimizer.step()
            if bar is not None:
                bar.set_postfix(E=f"{value.data:.4g}", refresh=False)
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()

def fit(
    model: Module,
    inputs: Sequence[Sequence[float]],
    targets: Sequence[Any],
    *,
    loss: str | LossFunction = "mse",
    optimizer: Optimizer | None = None,
    lr: float = 0.1,
    epochs: int = 100,
    batch_size: int | None = None,
    alpha: float = 0.0,
    target_loss: float | None = None,
    rng: random.Random | int | None = None,
    progress: bool | None = None,
    progress_file: IO[str] | None = None,
    compiled: bool = False,
    backend: str = "auto",
    replay_checks: int = 1,
) -> list[float]:
    """Train `model` on (inputs, targets) and return the loss of each epoch.

    `loss` is a name in `LOSSES` or a function (outputs, targets) -> Value. The default, "mse",
    is the mean of (target − output)² over the samples: a mean, not a sum, so one learning rate
    suits any number of samples. Each batch (the whole dataset unless `batch_size`) runs forward,
    computes the loss plus ``alpha``·Σp² when `alpha` > 0, clears the gradients, runs backward
    and takes one `optimizer` step (SGD with `lr` if none is given). An epoch's loss is the mean
    of its batches' losses, each measured before its update. Batches are shuffled each epoch
    only when `rng` (a random.Random or a seed) is given. The progress bar (tqdm) shows the
    current loss; see `progress_bar` for when it appears.

    With `compiled`, one sample's graph is written once as a program (`autograd.codegen`) and
    replayed for every sample and step instead of building Values (see `nn.compiled` for what can
    be replayed); `backend` is "python", "numpy" (a batch at a time) or "auto" (NumPy when it is
    installed; "python" is faster where a batch splits into many programs, one per target class,
    as in `nn.digits`), and each sample's
    graph is recorded again and compared on its first `replay_checks` replays. The history equals
    the uncompiled one up to the order of additions (1e-12 relative, tested).

    Training stops early once an epoch's loss is at most `target_loss`. It stops with
    `TrainingDivergedError` (naming the learning rate, with the history so far on the error) when a
    batch's loss is nan or infinite, or an epoch's loss exceeds `GROWTH_LIMIT` times the first.
    """
    if not isinstance(model, Module):
        raise TypeError(f"fit: model must be an nn Module, not {type(model).__name__}")
    loss_fn = _loss_function(loss)
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
    replay = None
    if compiled:
        from nn.compiled import Replay

        replay = Replay(model, loss_fn, inputs, targets, alpha=alpha, backend=backend,
                        check=replay_checks)

    def loss_and_gradients(batch: list[int]) -> float:
        """The batch's loss, with its gradient left in every parameter's ``grad``."""
        if replay is not None:
            value, grads = replay.loss_and_grads(batch)
            for p, g in zip(params, grads, strict=True):
                p.grad = g
            return value
        outputs = [model(inputs[i]) for i in batch]
        batch_loss = loss_fn(outputs, [targets[i] for i in batch])
        if not isinstance(batch_loss, Value):
            raise TypeError(f"fit: the loss function returned {type(batch_loss).__name__}, "
                            "not a Value")
        if alpha > 0.0:
            batch_loss.label = "data_loss"
            batch_loss = batch_loss + l2(params, alpha)
            batch_loss.label = "loss"
        optimizer.zero_grad()
        batch_loss.backward()
        return batch_loss.data

    bar = progress_bar(epochs, progress, progress_file)
    history: list[float] = []
    order = list(range(n))
    try:
        for epoch in range(1, epochs + 1):
            if shuffler is not None:
                shuffler.shuffle(order)
            total = 0.0
            for start in range(0, n, size):
                batch = order[start:start + size]
                batch_loss = loss_and_gradients(batch)
                if not math.isfinite(batch_loss):  # stop before the step spoils the weights
                    raise _diverged(history, epoch, batch_loss, optimizer)
                optimizer.step()
                total += batch_loss * len(batch)
            epoch_loss = total / n
            history.append(epoch_loss)
            if bar is not None:
                bar.set_postfix(loss=f"{epoch_loss:.4g}", refresh=False)
                bar.update(1)
            if not epoch_loss <= GROWTH_LIMIT * max(history[0], GROWTH_FLOOR):
                raise _diverged(history, epoch, epoch_loss, optimizer)
            if target_loss is not None and epoch_loss <= target_loss:
                break
    finally:
        if bar is not None:
            bar.close()
    return history


def _loss_function(loss: str | LossFunction) -> LossFunction:
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(f"fit: unknown loss {loss!r}; choose one of "
                             f"{', '.join(repr(name) for name in LOSSES)} or pass a function")
        return LOSSES[loss]
    if callable(loss):
        return loss
    raise TypeError(f"fit: loss must be a name or a function, not {type(loss).__name__}")


def _diverged(history: list[float], epoch: int, loss: float,
              optimizer: Optimizer) -> TrainingDivergedError:
    lr = getattr(optimizer, "lr", None)
    where = f"with learning rate lr={lr:g}" if isinstance(lr, float) else "with this optimizer"
    what = (f"became {loss}" if not math.isfinite(loss)
            else f"grew to {loss:.4g} from {history[0]:.4g} in the first epoch")
    smaller = f"lr={lr / 10:g}" if isinstance(lr, float) else "a smaller learning rate"
    return TrainingDivergedError(
        f"fit: the loss {what} at epoch {epoch} {where}; training diverged. Try a smaller "
        f"learning rate ({smaller}), a loss that is a mean over the samples (such as 'mse', "
        "not 'squared_error'), or Adam; the losses so far are on this error's .history",
        list(history), epoch, loss, lr if isinstance(lr, float) else None)
