"""Recording modes: `no_grad`, `enable_grad` and `detect_anomaly`.

The mode lives in a context variable, so it is per thread and per asyncio task: a `no_grad` block
in one thread never stops another thread from recording its graph.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import TypeVar

__all__ = [
    "AnomalyError",
    "detect_anomaly",
    "enable_grad",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "no_grad",
]

NO_GRAD = 1
ANOMALY = 2

#: Bit flags of the modes in force; 0, the common case, costs operations one lookup.
MODE: ContextVar[int] = ContextVar("kuibu_autograd_mode", default=0)

F = TypeVar("F", bound=Callable[..., object])


class AnomalyError(FloatingPointError):
    """Raised under `detect_anomaly` where a value or a gradient first stops being finite."""


def no_grad() -> _GuardContext:
    """Record no graph inside the block: results are plain leaves (use it for updates, inference).

    Usable as ``with no_grad():`` or as a decorator ``@no_grad()``.
    """
    return _GuardContext(NO_GRAD, True)


def enable_grad() -> _GuardContext:
    """Record the graph again inside a `no_grad` block."""
    return _GuardContext(NO_GRAD, False)


def detect_anomaly() -> _GuardContext:
    """Raise `AnomalyError` at the first operation whose value or gradient is inf or nan.

    The message names the operation, its inputs' values and labels; slower, for debugging.
    """
    return _GuardContext(ANOMALY, True)


def is_grad_enabled() -> bool:
    """Whether operations record the graph here and now."""
    return not MODE.get() & NO_GRAD


def is_anomaly_enabled() -> bool:
    """Whether `detect_anomaly` is in force here and now."""
    return bool(MODE.get() & ANOMALY)


class _GuardContext:
    """A re-entrant context manager and decorator that sets one mode flag."""

    __slots__ = ("_flag", "_on", "_tokens")

    def __init__(self, flag: int, on: bool) -> None:
        self._flag = flag
        self._on = on
        self._tokens: list[object] = []

    def __enter__(self) -> None:
        current = MODE.get()
        new = current | self._flag if self._on else current & ~self._flag
        self._tokens.append(MODE.set(new))

    def __exit__(self, *exc: object) -> None:
        MODE.reset(self._tokens.pop())  # type: ignore[arg-type]

    def __call__(self, func: F) -> F:
        flag, on = self._flag, self._on

        @functools.wraps(func)
        def wrapper(*args: object, **kwargs: object) -> object:
            with _GuardContext(flag, on):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]
