"""Checking derivatives numerically: central finite differences of the user's function."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from autograd.modes import no_grad
from autograd.value import Value

__all__ = ["numerical_gradient"]


def _evaluate(f: Callable[..., Any], inputs: Sequence[Value]) -> float:
    out = f(*inputs)
    if isinstance(out, Value):
        return out.data
    if isinstance(out, (int, float)):
        return float(out)
    raise TypeError(f"the function must return a Value or a number, not {type(out).__name__}")


def numerical_gradient(
    f: Callable[..., Any], inputs: Sequence[Value], eps: float = 1e-6
) -> list[float]:
    """∂f/∂x for each input x by central differences, (f(x + eps) - f(x - eps)) / (2 eps).

    `f` is called as ``f(*inputs)`` and returns a Value (or a number); each input's data is moved
    by ±eps in turn and always put back, so the inputs are left exactly as they were.
    """
    if eps <= 0.0:
        raise ValueError(f"numerical_gradient: eps must be positive, not {eps}")
    result: list[float] = []
    with no_grad():
        for x in inputs:
            if not isinstance(x, Value):
                kind = type(x).__name__
                raise TypeError(f"numerical_gradient: inputs must be Values, not {kind}")
            x0 = x.data
            try:
                x.data = x0 + eps
                up = _evaluate(f, inputs)
                x.data = x0 - eps
                down = _evaluate(f, inputs)
            finally:
                x.data = x0
            result.append((up - down) / (2.0 * eps))
    return result
