"""IEEE 754 arithmetic on Python floats.

Python raises where IEEE 754 (and so PyTorch and NumPy) returns inf or nan: ``1.0 / 0.0`` raises
ZeroDivisionError, ``math.exp(1000)`` OverflowError, ``math.log(-1)`` "math domain error", and
``(-8.0) ** (1/3)`` is a complex number. Training must not stop on those, so every float the engine
computes goes through these functions instead.

One more difference is PyTorch's: where a derivative is zero by a rule's definition (a dead ReLU,
``x ** 0``), PyTorch writes a zero into the gradient (``where(mask, 0, grad)``) rather than
multiplying, so an inf or nan arriving from above stops there, where IEEE 754's ``inf * 0`` would
make it nan. `STRONG_ZERO` is that zero as a local partial: the backward step ``grad * partial``
gives 0.0 whatever ``grad`` is, and ordinary partials (plain floats) cost nothing extra.
"""

from __future__ import annotations

import math

__all__ = [
    "STRONG_ZERO",
    "Reciprocal",
    "StrongZero",
    "cos",
    "div",
    "exp",
    "finite",
    "log",
    "pow",
    "reciprocal",
    "sigmoid",
    "sign",
    "sin",
    "softplus",
    "sqrt",
    "step",
    "tan",
    "tanh",
    "val",
    "varies",
]

INF = math.inf
NAN = math.nan


class StrongZero(float):
    """0.0 whose product with any number is 0.0, even with inf or nan: a masked partial.

    >>> float("inf") * STRONG_ZERO, STRONG_ZERO * float("nan"), STRONG_ZERO == 0.0
    (0.0, 0.0, True)

    Only multiplication is special; ``1 + STRONG_ZERO`` is the plain float 1.0. Python tries a
    subclass's reflected operator first, so ``grad * partial`` in the backward sweep calls
    `__rmul__` here without any test on ordinary edges.
    """

    __slots__ = ()

    def __mul__(self, other: object) -> float:
        if isinstance(other, (float, int)):
            return 0.0
        return NotImplemented

    __rmul__ = __mul__

    def __reduce__(self) -> tuple[object, tuple[()]]:
        return (_strong_zero, ())


def _strong_zero() -> StrongZero:
    return STRONG_ZERO


#: The masked zero partial (see `StrongZero`).
STRONG_ZERO = StrongZero()


class Reciprocal(float):
    """1/x where that overflows (x subnormal): ±inf, but ``grad * it`` is ``grad / x``.

    PyTorch divides the gradient by x (``grad / x`` for log and for x/y); a partial stored as
    1/x = inf would turn a small gradient into inf where PyTorch's quotient is finite.
    """

    __slots__ = ("x",)
    x: float

    def __new__(cls, x: float) -> Reciprocal:
        self = super().__new__(cls, math.copysign(INF, x))
        self.x = x
        return self

    def __mul__(self, other: object) -> float:
        if isinstance(other, (float, int)):
            return div(float(other), self.x)
        return NotImplemented

    __rmul__ = __mul__

    def __reduce__(self) -> tuple[object, tuple[float]]:
        return (Reciprocal, (self.x,))


def reciprocal(x: float) -> float:
    """1 / x as a partial: ±inf at 0, and a `Reciprocal` where only the division overflows."""
    try:
        r = 1.0 / x
    except ZeroDivisionError:
        return math.copysign(INF, x)
    if r in (INF, -INF) and x == x and x not in (INF, -INF):
        return Reciprocal(x)
    return r


def div(x: float, y: float) -> float:
    """x / y, with x/0 = ±inf and 0/0 = nan as IEEE 754 defines them."""
    try:
        return x / y
    except ZeroDivisionError:
        if x == 0.0 or x != x:
            return NAN
        # The sign of an infinite quotient is the product of the signs, -0.0 included.
        return math.copysign(INF, x) * math.copysign(1.0, y)


def _odd_integer(y: float) -> bool:
    return y.is_integer() and y % 2.0 == 1.0


def pow(x: float, y: float) -> float:  # noqa: A001 - the name the formulas use
    """x ** y: ±inf on overflow and for 0 to a negative power, nan for a negative base to a
    non-integer power (never a complex number)."""
    try:
        return math.pow(x, y)
    except OverflowError:
        return -INF if x < 0.0 and _odd_integer(y) else INF
    except ValueError:
        if x == 0.0:
            return math.copysign(INF, x) if _odd_integer(y) else INF
        return NAN


def exp(x: float) -> float:
    """e ** x, inf on overflow."""
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def log(x: float) -> float:
    """Natural logarithm: -inf at 0, nan below 0."""
    if x > 0.0 or x != x:
        return math.log(x)
    return -INF if x == 0.0 else NAN


def sqrt(x: float) -> float:
    """Square root: nan below 0."""
    return math.sqrt(x) if x >= 0.0 or x != x else NAN


def sin(x: float) -> float:
    """Sine: nan at ±inf."""
    return math.sin(x) if math.isfinite(x) else NAN


def cos(x: float) -> float:
    """Cosine: nan at ±inf."""
    return math.cos(x) if math.isfinite(x) else NAN


def tan(x: float) -> float:
    """Tangent: nan at ±inf."""
    return math.tan(x) if math.isfinite(x) else NAN


def tanh(x: float) -> float:
    """Hyperbolic tangent (math.tanh is already stable at ±inf)."""
    return math.tanh(x)


def sigmoid(x: float) -> float:
    """The logistic function 1 / (1 + e^-x), as PyTorch computes it: below about -709.8, e^-x is
    inf and the result 0 (where e^x / (1 + e^x) would give a subnormal number PyTorch does not)."""
    return 1.0 / (1.0 + exp(-x))


def softplus(x: float) -> float:
    """log(1 + e^x) = max(x, 0) + log1p(e^-|x|), which neither overflows nor loses small values."""
    return (x if x > 0.0 else 0.0) + math.log1p(exp(-abs(x)))


def step(x: float) -> float:
    """The slope of relu, as PyTorch has it: a masked 0 (`STRONG_ZERO`) where relu(x) <= 0,
    so relu'(0) = 0 and a dead unit stops even an inf or nan gradient; 1 elsewhere, nan
    included (relu(nan) is nan, which is not <= 0, so PyTorch passes the gradient on)."""
    return STRONG_ZERO if x <= 0.0 else 1.0


def sign(x: float) -> float:
    """-1, 0 or 1: the slope of abs, with abs'(0) = 0 and abs'(nan) = 0 as PyTorch's ``sgn``
    gives (an ordinary zero: an inf gradient times it is nan there, as in PyTorch)."""
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)


def val(x: float) -> float:
    """The number itself (the Value namespace answers a Value's data here)."""
    return x


def varies(x: float) -> bool:
    """False: a float is a number, not a node that can be differentiated (the Value namespace
    answers True for a Value)."""
    return False


def finite(x: float) -> bool:
    """Neither inf nor nan."""
    return math.isfinite(x)
