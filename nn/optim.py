"""Optimizers: they move each parameter against its gradient, p ← p − lr·(direction).

`step()` changes only the parameters' ``data`` (plain floats, under no_grad), so no graph is
recorded and the Values stay the same objects; `zero_grad()` clears the gradients before the next
backward pass (``backward()`` adds into ``grad``, as in PyTorch).

>>> from autograd import Value
>>> w = Value(2.0, label="w")
>>> opt = SGD([w], lr=0.1)
>>> loss = w * w            # d(loss)/dw = 2w = 4
>>> loss.backward(); opt.step()
>>> round(w.data, 12)       # 2 − 0.1·4
1.6
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from autograd import Value, no_grad
from nn._text import short

__all__ = ["SGD", "Adam", "Optimizer"]


def _hyper(value: object, name: str, where: str, low: float, high: float,
           low_open: bool, high_open: bool) -> float:
    """A hyperparameter as a float inside its interval, or an error naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{where}: {name} must be a number, not {type(value).__name__}: "
                        f"{short(value)}")
    x = float(value)
    too_low = x <= low if low_open else x < low
    too_high = x >= high if high_open else x > high
    if x != x or too_low or too_high:
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"{where}: {name} must lie in {interval}, not {value}")
    return x


class Optimizer:
    """The parameters to update (a list of distinct Values) and how to clear their gradients."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        where = type(self).__name__
        if isinstance(params, Value):
            raise TypeError(f"{where}: params must be a list of Values, not one Value")
        self.params: list[Value] = list(params)
        if not self.params:
            raise ValueError(f"{where}: params is empty; pass model.parameters()")
        seen: dict[int, int] = {}
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(
                    f"{where}: params[{i}] must be a Value, not {type(p).__name__}: {short(p)}"
                )
            if id(p) in seen:
                name = f" ({p.label})" if p.label else ""
                raise ValueError(
                    f"{where}: params[{i}]{name} is the same Value as params[{seen[id(p)]}]; "
                    "it would be updated twice per step"
                )
            seen[id(p)] = i
        self.lr = _hyper(lr, "lr", where, 0.0, math.inf, True, True)

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to 0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter once from its current ``grad``."""
        raise NotImplementedError


class SGD(Optimizer):
    """Gradient descent, p ← p − lr·v, with v = momentum·v + grad (v = grad without momentum).

    This is PyTorch's form of momentum: the velocity starts at the first gradient.
    """

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0) -> None:
        super().__init__(params, lr)
        self.momentum = _hyper(momentum, "momentum", "SGD", 0.0, 1.0, False, True)
        self.velocity = [0.0] * len(self.params)

    @no_grad()
    def step(self) -> None:
        lr, momentum = self.lr, self.momentum
        if momentum == 0.0:
            for p in self.params:
                p.data -= lr * p.grad
            return
        velocity = self.velocity
        for i, p in enumerate(self.params):
            v = momentum * velocity[i] + p.grad
            velocity[i] = v
            p.data -= lr * v


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015): steps scaled by running averages of the gradient and its square.

    m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²,  p ← p − lr·m̂ / (√v̂ + eps), where
    m̂ = m / (1 − β₁ᵗ) and v̂ = v / (1 − β₂ᵗ) undo the averages' bias towards 0 at step t.

    With `decay_steps` = N the learning rate falls linearly, as microgpt's does: step t (counted
    from 1) uses lr·(1 − (t − 1)/N), so the first step takes the full lr, step N takes lr/N, and
    any step after N takes none. Without it the learning rate stays lr. The arithmetic is
    microgpt's, term for term, so its training runs here to the last bit.

    >>> from autograd import Value
    >>> w = Value(1.0, label="w")
    >>> opt = Adam([w], lr=0.01, betas=(0.85, 0.99), decay_steps=1000)
    >>> (w * w).backward(); opt.step()
    >>> round(w.data, 9), opt.lr_now        # the first step moves w by about lr
    (0.99, 0.01)
    >>> opt.zero_grad(); (w * w).backward(); opt.step()
    >>> opt.lr_now                          # the second by about lr·(1 − 1/1000)
    0.00999
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        decay_steps: int | None = None,
    ) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"Adam: betas must be a pair (beta1, beta2), not {short(betas)}")
        self.betas = (
            _hyper(betas[0], "betas[0]", "Adam", 0.0, 1.0, False, True),
            _hyper(betas[1], "betas[1]", "Adam", 0.0, 1.0, False, True),
        )
        self.eps = _hyper(eps, "eps", "Adam", 0.0, math.inf, True, True)
        if decay_steps is not None and (
            isinstance(decay_steps, bool) or not isinstance(decay_steps, int) or decay_steps < 1
        ):
            raise ValueError(
                f"Adam: decay_steps must be a whole number of steps >= 1 (or None for a constant "
                f"learning rate), not {short(decay_steps)}"
            )
        self.decay_steps = decay_steps
        self.t = 0
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    @property
    def lr_now(self) -> float:
        """The learning rate the last step used (lr itself before the first step)."""
        if self.decay_steps is None or self.t == 0:
            return self.lr
        return self.lr * max(0.0, 1.0 - (self.t - 1) / self.decay_steps)

    @no_grad()
    def step(self) -> None:
        beta1, beta2 = self.betas
        self.t += 1
        correction1 = 1.0 - beta1**self.t
        correction2 = 1.0 - beta2**self.t
        lr, eps, m, v = self.lr_now, self.eps, self.m, self.v
        for i, p in enumerate(self.params):
            g = p.grad
            m[i] = beta1 * m[i] + (1.0 - beta1) * g
            v[i] = beta2 * v[i] + (1.0 - beta2) * (g * g)
            p.data -= lr * (m[i] / correction1) / (math.sqrt(v[i] / correction2) + eps)
