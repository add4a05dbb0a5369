"""Recording modes: `no_grad`, `enable_grad` and `detect_anomaly`.

The mode lives in a context variable, so it is per thread and per asyncio task: a `no_grad` block
in one thread never stops another thread from recording its graph. The mode a block replaces is
saved in the same context (not on the block's object), so one object can be entered again inside
itself, reused, and shared by threads and tasks at once, each getting its own mode back on exit.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Generator
from contextvars import ContextVar
from typing import Any, TypeVar, overload

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

# The modes that the open blocks replaced, innermost first, as nested pairs (mode, rest): each
# context (thread, task) has its own, so an exit restores what its own enter saw.
_SAVED: ContextVar[tuple[int, Any] | None] = ContextVar("kuibu_autograd_saved", default=None)

F = TypeVar("F", bound=Callable[..., object])


class AnomalyError(FloatingPointError):
    """Raised under `detect_anomaly` where a value or a gradient first stops being finite."""


@overload
def no_grad() -> _GuardContext: ...
@overload
def no_grad(func: F) -> F: ...
def no_grad(func: F | None = None) -> _GuardContext | F:
    """Record no graph inside the block: results are plain leaves (use it for updates, inference).

    Usable as ``with no_grad():`` or as a decorator, ``@no_grad()`` or ``@no_grad``, on a
    function, a generator function (the mode holds while its body runs, not between its yields)
    or an ``async def`` function.

    >>> from autograd import Value, no_grad
    >>> with no_grad():
    ...     (Value(2.0) * 3).is_leaf
    True
    """
    guard = _GuardContext(NO_GRAD, True)
    return guard if func is None else guard(func)


@overload
def enable_grad() -> _GuardContext: ...
@overload
def enable_grad(func: F) -> F: ...
def enable_grad(func: F | None = None) -> _GuardContext | F:
    """Record the graph again inside a `no_grad` block (a block or a decorator, as `no_grad`)."""
    guard = _GuardContext(NO_GRAD, False)
    return guard if func is None else guard(func)


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
    """A context manager and decorator that sets one mode flag; reusable and re-entrant.

    It keeps no state of its own beyond the flag: what each ``with`` replaced is saved in the
    caller's context, so any number of threads and tasks may use one object at once.
    """

    __slots__ = ("_flag", "_on")

    def __init__(self, flag: int, on: bool) -> None:
        self._flag = flag
        self._on = on

    def __enter__(self) -> None:
        current = MODE.get()
        _SAVED.set((current, _SAVED.get()))
        MODE.set(current | self._flag if self._on else current & ~self._flag)

    def __exit__(self, *exc: object) -> None:
        saved = _SAVED.get()
        if saved is None:
            raise RuntimeError(
                f"{self!r}: __exit__ without a matching __enter__ in this thread or task"
            )
        MODE.set(saved[0])
        _SAVED.set(saved[1])

    def __repr__(self) -> str:
        names = {(NO_GRAD, True): "no_grad", (NO_GRAD, False): "enable_grad"}
        return f"{names.get((self._flag, self._on), 'detect_anomaly')}()"

    def __call__(self, func: F) -> F:
        """`func` with this mode in force while its body runs (see `no_grad`)."""
        if not callable(func):
            raise TypeError(f"{self!r} decorates a function, not {type(func).__name__}: {func!r}")
        if inspect.isgeneratorfunction(func):
            return self._wrap_generator(func)  # type: ignore[return-value]
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self:  # the task's own context: awaits inside keep the mode
                    return await func(*args, **kwargs)

            return run_async  # type: ignore[return-value]

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)

        return run  # type: ignore[return-value]

    def _wrap_generator(self, func: Callable[..., Generator[Any, Any, Any]]) -> Callable[..., Any]:
        """A generator function whose body runs in this mode, each time it is resumed.

        The wrapper drives the original generator one step at a time, each step inside the
        block, and passes on what the consumer sends, throws or closes; between steps (while
        the consumer holds a yielded item) the consumer's own mode is in force.
        """

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
            with self:
                inner = func(*args, **kwargs)
            try:
                with self:
                    item = next(inner)
                while True:
                    try:
                        sent = yield item
                    except GeneratorExit:
                        with self:
                            inner.close()
                        raise
                    except BaseException as exc:  # thrown in by the consumer: pass it on
                        with self:
                            item = inner.throw(exc)
                    else:
                        with self:
                            item = inner.send(sent)
            except StopIteration as stop:
                return stop.value

        return run
