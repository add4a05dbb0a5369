"""Loss functions over a batch, and L2 regularisation; each result node is labelled ``loss``.

`outputs` are what a model returned: one Value, a list of Values (a batch of single outputs, or
one sample's outputs), or a list of lists (a batch of several outputs each). `targets` are plain
numbers in the same shape (a single output may also be paired with a one-number list). The loss is
built from the operations a hand derivation uses, so a drawing of it reads like the formula.

>>> from autograd import Value
>>> out = Value(0.75, label="out")
>>> E = squared_error(out, 0.01)   # E = ½ (target − out)²
>>> E.label, round(E.data, 6)
('loss', 0.2738)
>>> E.backward(); round(out.grad, 6)   # ∂E/∂out = out − target
0.74
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Sequence
from functools import reduce
from typing import Any

from autograd import Value
from nn._text import short

__all__ = [
    "LOSSES", "bce_with_logits", "binary_cross_entropy", "hinge", "l2", "mse",
    "softmax_cross_entropy", "squared_error",
]

#: PyTorch's floor for log p in binary cross-entropy from probabilities: a certain wrong answer
#: costs 100 (and gives no gradient) instead of infinity.
LOG_FLOOR = -100.0


def _is_list(x: object) -> bool:
    return isinstance(x, Sequence) and not isinstance(x, (str, bytes))


def _pairs(outputs: Any, targets: Any, name: str) -> list[tuple[Value, float]]:
    """(output Value, target number) pairs, walking both structures together."""
    pairs: list[tuple[Value, float]] = []
    # Each entry: the output, the target and where they sit, for error messages.
    stack: list[tuple[Any, Any, str]] = [(outputs, targets, "")]
    while stack:
        out, target, at = stack.pop()
        if isinstance(out, Value):
            if _is_list(target) and len(target) == 1:
                target = target[0]
            if isinstance(target, Value):
                raise TypeError(
                    f"{name}: targets{at} is a Value ({target!r}); targets must be plain numbers "
                    "(use .data for a fixed target)"
                )
            if isinstance(target, bool) or not isinstance(target, (int, float)):
                raise TypeError(
                    f"{name}: targets{at} must be a number, not {type(target).__name__}: "
                    f"{short(target)}"
                )
            pairs.append((out, float(target)))
        elif _is_list(out):
            if not _is_list(target):
                raise TypeError(
                    f"{name}: outputs{at} is a list of {len(out)} but targets{at} is "
                    f"{type(target).__name__}: {short(target)}"
                )
            if len(out) != len(target):
                raise ValueError(
                    f"{name}: outputs{at} has {len(out)} entries but targets{at} has "
                    f"{len(target)}"
                )
            for i in range(len(out) - 1, -1, -1):
                stack.append((out[i], target[i], f"{at}[{i}]"))
        else:
            hint = " (a loss needs the Values a model returned, to differentiate)" if isinstance(
                out, (int, float)) else ""
            raise TypeError(
                f"{name}: outputs{at} must be a Value or a list of Values, not "
                f"{type(out).__name__}: {short(out)}{hint}"
            )
    if not pairs:
        raise ValueError(f"{name}: no outputs given (empty batch)")
    return pairs


def _total(terms: Iterable[Value]) -> Value:
    # Summing from the first term, not from 0, keeps a stray "0 +" node out of every drawing.
    result: Value = reduce(operator.add, terms)
    return result


def _mean(terms: list[Value]) -> Value:
    total = _total(terms)
    return total / len(terms) if len(terms) > 1 else total


def _labelled(loss: Value) -> Value:
    loss.label = "loss"
    return loss


def squared_error(outputs: Any, targets: Any) -> Value:
    """E = ½ Σ (target − out)², the worked example's loss, summed over every output and sample."""
    pairs = _pairs(outputs, targets, "squared_error")
    return _labelled(_total((t - o) ** 2 for o, t in pairs) * 0.5)


def mse(outputs: Any, targets: Any) -> Value:
    """The mean of (target − out)² over every output of every sample."""
    pairs = _pairs(outputs, targets, "mse")
    return _labelled(_mean([(t - o) ** 2 for o, t in pairs]))


def _clamped_log(p: Value) -> Value | float:
    log_p = p.log()
    # log 0 = -inf would make the loss infinite; below the floor the loss is flat, as in PyTorch.
    return LOG_FLOOR if log_p.data < LOG_FLOOR else log_p


def binary_cross_entropy(outputs: Any, targets: Any, from_logits: bool = False) -> Value:
    """The mean of −[y log p + (1 − y) log(1 − p)] over the batch, for targets y in [0, 1].

    With ``from_logits=True`` the outputs are raw scores z with p = σ(z), and each term is
    computed as softplus(z) − y·z, which never overflows nor takes log 0. From probabilities
    (outputs in [0, 1]) each log is floored at -100, as PyTorch does, so p = 0 or 1 costs at
    most 100 rather than infinity; a term whose target is exactly 0 or 1 has only one log.
    """
    name = "binary_cross_entropy"
    pairs = _pairs(outputs, targets, name)
    terms: list[Value] = []
    for i, (o, y) in enumerate(pairs):
        if not 0.0 <= y <= 1.0:
            raise ValueError(f"{name}: target number {i} is {y}; targets must lie in [0, 1]")
        if from_logits:
            if y == 0.0:
                terms.append(o.softplus())
            else:
                terms.append(o.softplus() - (o if y == 1.0 else o * y))
            continue
        if not 0.0 <= o.data <= 1.0:
            raise ValueError(
                f"{name}: output number {i} ({o!r}) is not a probability in [0, 1]; pass "
                "from_logits=True for raw scores"
            )
        term: Value | float = 0.0
        if y > 0.0:
            term = -y * _clamped_log(o) if y != 1.0 else -_clamped_log(o)
        if y < 1.0:
            rest = _clamped_log(1.0 - o)
            term = term - (1.0 - y) * rest if y != 0.0 else -rest
        if not isinstance(term, Value):  # both logs floored: a constant 100, no gradient
            term = o * 0.0 + term
        terms.append(term)
    return _labelled(_mean(terms))


def bce_with_logits(outputs: Any, targets: Any) -> Value:
    """Binary cross-entropy from raw scores z (p = σ(z)): the mean of softplus(z) − y·z.

    The same as ``binary_cross_entropy(outputs, targets, from_logits=True)``, under the name
    PyTorch gives it; the usual loss for a classifier whose last layer is linear.
    """
    return binary_cross_entropy(outputs, targets, from_logits=True)


def hinge(scores: Any, labels: Any) -> Value:
    """The max-margin loss of micrograd's demo: the mean of relu(1 − y·score), labels y = ±1."""
    name = "hinge"
    pairs = _pairs(scores, labels, name)
    terms: list[Value] = []
    for i, (s, y) in enumerate(pairs):
        if y == 1.0:
            margin = 1.0 - s
        elif y == -1.0:
            margin = 1.0 + s
        else:
            raise ValueError(
                f"{name}: label number {i} is {y}; hinge labels must be -1 or 1 "
                "(the datasets give them with labels=(-1, 1))"
            )
        terms.append(margin.relu())
    return _labelled(_mean(terms))


def l2(parameters: Iterable[Value], alpha: float) -> Value:
    """alpha · Σ p², the L2 penalty added to a loss to keep weights small; labelled ``l2``."""
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not math.isfinite(alpha):
        raise TypeError(f"l2: alpha must be a finite number, not {short(alpha)}")
    params = list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(f"l2: parameters[{i}] must be a Value, not {type(p).__name__}")
    if not params:
        raise ValueError("l2: no parameters given")
    penalty = _total(p * p for p in params) * float(alpha)
    penalty.label = "l2"
    return penalty


def _logsumexp2(a: Value, b: Value) -> Value:
    # log(e^a + e^b) = max(a, b) + log(1 + e^-|a-b|), with max(a, b) = (a + b)/2 + |a - b|/2:
    # no exponent ever exceeds 0 (softplus is stable), no branch on the values (so the graph
    # has the same shape for every input and a compiled program can replay it), and at a tie
    # each input gets half the gradient, as the softmax says.
    gap = abs(a - b)
    return (a + b) * 0.5 + gap * 0.5 + (-gap).softplus()


def softmax_cross_entropy(logits: Any, targets: Any) -> Value:
    """The mean over samples of −log softmax(z)[t] = logsumexp(z) − z_t, for class indices t.

    `logits` are one sample's raw scores (a list of Values, one per class) with `targets` one
    class index, or a batch (a list of such lists) with one index per sample. The log-sum-exp is
    built stably from pairs (see `_logsumexp2`), so scores of ±1000 give finite losses, and the
    graph never depends on the scores' values, only on the targets.

    >>> from autograd import Value
    >>> z = [Value(2.0), Value(1.0), Value(0.1)]
    >>> round(softmax_cross_entropy(z, 0).data, 6)   # −log(e² / (e² + e + e^0.1))
    0.41703
    """
    name = "softmax_cross_entropy"
    single = isinstance(logits, Sequence) and bool(logits) and isinstance(logits[0], Value)
    batch = [logits] if single else logits
    labels = [targets] if single else targets
    if not _is_list(batch) or not batch:
        raise TypeError(f"{name}: logits must be a list of Values (one per class) or a list of "
                        f"such lists, not {short(logits)}")
    if not _is_list(labels) or len(labels) != len(batch):
        raise ValueError(f"{name}: {len(batch)} samples of logits but targets is "
                         f"{short(targets)}; give one class index per sample")
    terms: list[Value] = []
    for i, (z, t) in enumerate(zip(batch, labels, strict=True)):
        if _is_list(t) and len(t) == 1:
            t = t[0]
        if not _is_list(z) or len(z) < 2 or not all(isinstance(v, Value) for v in z):
            raise TypeError(f"{name}: logits[{i}] must be a list of at least 2 Values (one "
                            f"per class), not {short(z)}")
        number = float(t) if isinstance(t, (int, float)) and not isinstance(t, bool) else None
        if number is None or not number.is_integer() or not 0 <= number < len(z):
            raise ValueError(f"{name}: targets[{i}] is {short(t)}; it must be a class index "
                             f"0 .. {len(z) - 1}")
        total = reduce(_logsumexp2, z)
        terms.append(total - z[int(number)])
    return _labelled(_mean(terms))


#: The losses known by name (`fit(loss="...")`): each maps (outputs, targets) to a Value.
#: All but squared_error are means over the samples, so the step size does not grow with the data.
LOSSES: dict[str, Callable[[Any, Any], Value]] = {
    "mse": mse,
    "squared_error": squared_error,
    "binary_cross_entropy": binary_cross_entropy,
    "bce_with_logits": bce_with_logits,
    "hinge": hinge,
    "softmax_cross_entropy": softmax_cross_entropy,
}
