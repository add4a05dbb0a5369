"""Training by replaying a generated program: one sample's graph written once, run over the data.

Building a fresh graph of Values for every sample at every step is what an engine's training
time goes into. When the model and the loss are fixed, one sample's graph has the same shape
every time; only the numbers change. `Replay` records that graph once, writes it out with
`autograd.codegen` as straight-line Python (or NumPy, over a whole batch at once), and replays
the program for every sample, summing the gradients. The loss and gradients are the engine's up to
the order of the additions that sum them over a batch.

The rule for replay: the graph's shape may depend on the sample (a loss that picks a term by the
target, as the hinge and cross-entropy losses do), but not on the parameters' values through
Python control flow (``if out.data > 0: ...``), which records one branch and would replay it for
every later step. Each sample's graph is recorded again on its first `check` replays and compared
with the program it runs; a different shape stops training with an error, never a wrong number.

>>> from nn import MLP, datasets, fit
>>> X, y = datasets.moons(20, noise=0.1, seed=0, labels=(-1, 1))
>>> model = MLP(2, [8, 1], rng=0)
>>> history = fit(model, X, y, loss="hinge", lr=0.1, epochs=3, progress=False, compiled=True)
>>> len(history), history[-1] < history[0]
(3, True)
"""

from __future__ import annotations

import importlib
import operator
from collections.abc import Callable, Sequence
from typing import Any

from autograd import Program, Value, codegen, structure
from nn.losses import l2
from nn.modules import Module
from nn.optim import Optimizer

__all__ = ["Replay", "ReplayError"]

LossFunction = Callable[[Any, Any], Value]
BACKENDS = ("python", "numpy", "auto")
NUMPY_HINT = "pip install numpy"


class ReplayError(RuntimeError):
    """A sample's graph changed shape between steps, so its program cannot be replayed."""


def _numpy() -> Any:
    try:
        return importlib.import_module("numpy")
    except ImportError:
        raise ImportError(f"batch replay needs NumPy: {NUMPY_HINT}") from None


def _has_numpy() -> bool:
    try:
        importlib.import_module("numpy")
    except ImportError:
        return False
    return True


class Replay:
    """A model and a per-sample loss, compiled: `loss_and_grads(batch)` without building graphs.

    `inputs` and `targets` are the whole dataset; a batch is a list of sample indices. The loss of
    a batch is the loss function over it (its mean or sum of per-sample terms, found by asking the
    loss function), plus ``alpha``·Σp² when alpha > 0.
    """

    def __init__(
        self,
        model: Module,
        loss_fn: LossFunction,
        inputs: Sequence[Sequence[float]],
        targets: Sequence[Any],
        *,
        alpha: float = 0.0,
        backend: str = "python",
        check: int = 1,
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"Replay: backend must be one of {', '.join(BACKENDS)}, not "
                             f"{backend!r}")
        if backend == "auto":
            backend = "numpy" if _has_numpy() else "python"
        elif backend == "numpy":
            _numpy()
        self.backend = backend
        self.model = model
        self.loss_fn = loss_fn
        self.inputs = [tuple(float(a) for a in x) for x in inputs]
        self._np: Any = _numpy() if backend == "numpy" else None
        self.targets = list(targets)
        self.params = model.parameters()
        self.alpha = float(alpha)
        self.check = check
        self.programs: dict[Any, Program] = {}  # by graph signature
        self.of_sample: list[Program | None] = [None] * len(self.inputs)
        self.uses = [0] * len(self.inputs)
        self.mean = self._reduction()
        self.penalty: Program | None = None
        if self.alpha > 0.0:
            self.penalty = codegen(l2(self.params, self.alpha), wrt=self.params)

    # -- recording -------------------------------------------------------------------------------

    def _graph(self, i: int) -> tuple[Value, list[Value]]:
        xs = [Value(a, label=f"x{k}") for k, a in enumerate(self.inputs[i])]
        out = self.model(xs)
        loss = self.loss_fn([out], [self.targets[i]])
        if not isinstance(loss, Value):
            raise TypeError(f"the loss function returned {type(loss).__name__}, not a Value")
        return loss, xs

    def _reduction(self) -> bool:
        """True if the loss of a batch is the mean of its samples' losses, False for the sum."""
        if len(self.inputs) < 2:
            return True
        outs = [self.model([*x]) for x in self.inputs[:2]]
        pair = self.loss_fn(outs, self.targets[:2]).data
        a = self.loss_fn([outs[0]], [self.targets[0]]).data
        b = self.loss_fn([outs[1]], [self.targets[1]]).data

        def close(u: float, v: float) -> bool:
            return abs(u - v) <= 1e-9 * max(1.0, abs(u), abs(v))

        if close(pair, (a + b) / 2.0):
            return True
        if close(pair, a + b):
            return False
        raise ReplayError(
            f"the loss of two samples ({pair}) is neither the mean ({(a + b) / 2}) nor the sum "
            f"({a + b}) of their own losses; compiled training needs a loss made of per-sample "
            "terms"
        )

    def _program(self, i: int) -> Program:
        """Sample i's program: recorded on its first uses (and checked), then replayed."""
        known = self.of_sample[i]
        if known is not None and self.uses[i] > self.check:
            return known
        self.uses[i] += 1
        loss, xs = self._graph(i)
        signature = structure(loss, [*self.params, *xs])
        program = self.programs.get(signature)
        if known is not None and program is not known:
            raise ReplayError(
                f"sample {i}'s graph changed shape since it was recorded: Python control flow "
                "in the model or the loss depends on the parameters' values, so the recorded "
                "program cannot be replayed; train without compiled=True"
            )
        if program is None:
            program = codegen(loss, wrt=self.params, inputs=xs, backend=self.backend)
            self.programs[signature] = program
        self.of_sample[i] = program
        return program

    # -- replaying ------------------------------------------------------------------------------

    def loss_and_grads(self, batch: Sequence[int]) -> tuple[float, list[float]]:
        """The batch's loss and its gradient for each parameter (in `model.parameters()` order)."""
        values = [p.data for p in self.params]
        if self.backend == "numpy":
            total, sums = self._numpy_sums(batch, values)
        else:
            total, sums = self._python_sums(batch, values)
        if self.mean:
            scale = 1.0 / len(batch)
            total *= scale
            sums = [g * scale for g in sums]
        if self.penalty is not None:
            penalty, extra = self.penalty.function(*values)
            total += penalty
            sums = list(map(operator.add, sums, extra))
        return total, sums

    def _groups(self, batch: Sequence[int]) -> list[tuple[Program, list[int]]]:
        """The batch's samples by the program each runs (one per shape of graph)."""
        groups: dict[int, tuple[Program, list[int]]] = {}
        for i in batch:
            program = self._program(i)
            groups.setdefault(id(program), (program, []))[1].append(i)
        return list(groups.values())

    def _python_sums(self, batch: Sequence[int], values: list[float]) -> tuple[float, list[float]]:
        total = 0.0
        sums = [0.0] * len(values)
        inputs = self.inputs
        for program, members in self._groups(batch):
            value, grads = program.summed(*values, [inputs[i] for i in members])
            total += value
            sums = list(map(operator.add, sums, grads))
        return total, sums

    def _numpy_sums(self, batch: Sequence[int], values: list[float]) -> tuple[float, list[float]]:
        np = self._np
        total = 0.0
        sums = [0.0] * len(values)
        for program, members in self._groups(batch):
            columns = np.asarray([self.inputs[i] for i in members], dtype=float).T
            value, grads = program.summed(*values, *columns)
            total += value
            sums = list(map(operator.add, sums, grads))
        return total, sums

    def step(self, batch: Sequence[int], optimizer: Optimizer) -> float:
        """Set each parameter's grad to the batch's gradient, take one optimizer step; the loss."""
        loss, grads = self.loss_and_grads(batch)
        for p, g in zip(self.params, grads, strict=True):
            p.grad = g
        optimizer.step()
        return loss

