"""Derivatives as functions: `grad` (first derivatives, or a graph of them with `create_graph`)
and `hessian`.

They live above both the graph walks (`autograd.graph`) and the Value (`autograd.value`): the
sweep needs no Value, and a Value's `backward` needs no `grad`, so neither imports the other.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from autograd.floats import Reciprocal, StrongZero
from autograd.graph import chain_rule, check_step, gather
from autograd.modes import ANOMALY, MODE, enable_grad, is_grad_enabled
from autograd.value import VALUE_MATH, Value

__all__ = ["grad", "hessian"]

F = TypeVar("F", bound=Callable[..., Any])


def renamed(**old_to_new: str) -> Callable[[F], F]:
    """Accept a parameter's old keyword name with a DeprecationWarning (``grad(f, inputs=x)``
    is ``grad(f, wrt=x)``): the engine says `root` and `wrt` everywhere now."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def call(*args: Any, **kwargs: Any) -> Any:
            for old, new in old_to_new.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{func.__name__}: give {new}= only, not also {old}=")
                    warnings.warn(
                        f"{func.__name__}({old}=...) is now {func.__name__}({new}=...)",
                        DeprecationWarning, stacklevel=2,
                    )
                    kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return call  # type: ignore[return-value]

    return decorate


def _value_step(node: Value, i: int, recorded: float, g: Any) -> Any:
    """g · ∂node/∂input_i with the partial built as a Value from the rule table, so that it can
    be differentiated again; its number is the engine's step to the last bit.

    Two partials of the engine multiply unlike their numbers (`autograd.floats`): a masked zero
    (x ** y at y = 0 with y a Value, whose Value partial keeps y·x^(y-1) for the second
    derivative) is used as the mask where the gradient arriving is inf or nan; an overflowed
    reciprocal 1/v (v subnormal) divides, g / v, as the engine does.
    """
    rule = node.rule
    assert rule is not None
    d = rule.partial(i, VALUE_MATH, *node.inputs, node)
    if recorded.__class__ is StrongZero and not math.isfinite(_number(g)):
        return g * recorded
    if recorded.__class__ is Reciprocal:
        if isinstance(d, Reciprocal):  # v is a constant
            return g / d.x
        if isinstance(d, Value) and d.op == "div":
            return g / d.inputs[1]  # d was built as 1 / v
    return g * d


def _number(x: Any) -> float:
    return x.data if isinstance(x, Value) else float(x)


@renamed(output="root", inputs="wrt")
def grad(
    root: Value,
    wrt: Value | Sequence[Value],
    create_graph: bool = False,
    allow_unused: bool = False,
) -> Any:
    """∂root/∂x for each x of `wrt`, leaving every ``.grad`` untouched.

    `wrt` is a Value (the result is one number) or a sequence of Values (a list). With
    `create_graph` the results are Values whose own graph can be differentiated again, for second
    and higher derivatives. A node of `wrt` that `root` does not depend on is an error, unless
    `allow_unused`, when its derivative is 0.
    """
    single = isinstance(wrt, Value)
    wanted: list[Value] = [wrt] if isinstance(wrt, Value) else list(wrt)
    for position, x in enumerate(wanted):
        if not isinstance(x, Value):
            raise TypeError(
                f"grad: wrt[{position}] must be a Value, not {type(x).__name__}: {x!r}"
            )
    if not isinstance(root, Value):
        raise TypeError(
            f"grad: the output (root) must be a Value, not {type(root).__name__}: {root!r}"
        )

    results: list[Any]
    if create_graph:
        # The derivatives are built as a graph even inside no_grad, as PyTorch's functional API
        # does: a derivative recorded as a leaf would differentiate to a silent 0.
        check = check_step if MODE.get() & ANOMALY else None
        with enable_grad():
            sweep = chain_rule(root, 1.0, step=_value_step, on_edge=check)
        results = [sweep.grad(x) for x in wanted]
    elif MODE.get() & ANOMALY:
        sweep = chain_rule(root, 1.0, on_edge=check_step)
        results = [sweep.grad(x) for x in wanted]
    else:
        results = list(gather(root, wanted))
    for position, (x, r) in enumerate(zip(wanted, results, strict=True)):
        if r is None:
            if not allow_unused:
                name = f" {x.label!r}" if x.label else ""
                leaf = (
                    " (the output is a leaf, with no graph behind it: values computed inside "
                    "no_grad are leaves)" if root.is_leaf else ""
                )
                raise ValueError(
                    f"grad: wrt[{position}]{name} ({x!r}) is not in the graph of the output "
                    f"{root!r}{leaf}; pass allow_unused=True to get 0 for it"
                )
            results[position] = 0.0
    if create_graph:
        results = [r if isinstance(r, Value) else Value(r) for r in results]
    return results[0] if single else results


@renamed(output="root", inputs="wrt")
def hessian(root: Value, wrt: Iterable[Value]) -> list[list[float]]:
    """The matrix of second derivatives ∂²root/∂xᵢ∂xⱼ, as a list of lists of floats.

    Works inside `no_grad` too (the first derivatives are recorded for its own use); a root
    computed inside `no_grad` has no graph, and is refused rather than given a matrix of zeros.

    >>> from autograd import Value, hessian, no_grad
    >>> x, y = Value(2.0), Value(1.0)
    >>> f = x * x * y
    >>> with no_grad():
    ...     hessian(f, [x, y])  # [[2y, 2x], [2x, 0]]
    [[2.0, 4.0], [4.0, 0.0]]
    """
    xs = list(wrt)
    leaf = isinstance(root, Value) and root.is_leaf and not any(x is root for x in xs)
    if leaf and not is_grad_enabled():
        raise ValueError(
            f"hessian: the output {root!r} is a leaf, with no graph behind it: values computed "
            "inside no_grad record none; compute the output outside no_grad (or under "
            "enable_grad())"
        )
    first = grad(root, xs, create_graph=True, allow_unused=True)
    # A first derivative that is a leaf (a constant, or an input itself) differentiates too.
    return [[float(v) for v in grad(g, xs, allow_unused=True)] for g in first]
