"""The table of primitive operations: the only file with calculus in it.

Each `Rule` is one operation: its forward function on floats, one local partial derivative per
input (∂out/∂input, given the inputs and the output), the symbol a drawing shows, and the formula
text of the value and of each partial. Everything else reads this table: the `Value` methods, the
backward sweep, higher-order gradients, drawings, explanations and exports.

Partials are written once for two kinds of number. Each takes a namespace ``M`` first: with
``M = autograd.floats`` (plus ``val``) it computes a float for the backward sweep; with the Value
namespace it builds a Value, so the derivative can itself be differentiated (``create_graph``).
Formula texts are Python expressions over ``x`` and ``y`` (the inputs) and ``out`` (the result),
using the names of this table and ``step(x)`` (1 if x > 0 else 0) and ``sign(x)``.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from autograd import floats

__all__ = ["RULES", "Arg", "Interval", "Partial", "Rule"]



@dataclass(frozen=True)
class Arg:
    """A partial derivative that is one of the inputs itself: ∂(x·y)/∂x = y is ``Arg(1)``."""

    index: int


#: A partial derivative: a constant, an input (`Arg`), or a function (M, *inputs, out) -> number.
Partial = float | Arg | Callable[..., Any]
#: Where tests sample an input: a union of open intervals.
Interval = tuple[float, float]

WIDE: tuple[Interval, ...] = ((-3.0, 3.0),)
POSITIVE: tuple[Interval, ...] = ((0.1, 4.0),)
AWAY_FROM_ZERO: tuple[Interval, ...] = ((-3.0, -0.1), (0.1, 3.0))


#: For a rule with any number of inputs: given n, the inputs' names, the value's formula and each
#: input's partial as formulas over those names (and out).
Expansion = tuple[tuple[str, ...], str, tuple[str, ...]]


@dataclass(frozen=True, eq=False)
class Rule:
    """One primitive operation and everything the engine knows about it.

    Most rules take one input (x) or two (x, y). A rule with ``arity == 0`` takes any number of
    inputs: its one `partials` entry is a function (M, inputs, out) -> every input's partial, and
    `expand` writes its formulas for a given number of inputs.
    """

    name: str  #: the Value method and the function name in formulas
    arity: int  #: 1 or 2 inputs; 0 for any number
    forward: Callable[..., float]  #: the value on floats, IEEE 754 (inf/nan, never an exception)
    partials: tuple[Partial, ...]  #: ∂out/∂input for each input, in input order
    symbol: str  #: shown on the operation's node in a drawing
    text: str  #: the value as a formula over x, y (for any number of inputs: a description)
    partial_texts: tuple[str, ...]  #: each partial as a formula over x, y, out
    domain: tuple[tuple[Interval, ...], ...]  #: per input, where tests sample it
    note: str = ""  #: conventions at points where the derivative is not defined
    expand: Callable[[int], Expansion] | None = None  #: arity 0: the formulas for n inputs
    #: the node's ``_op`` text as micrograd writes it ('+', '*', 'ReLU'); '' means the name.
    #: pow adds a constant exponent, as micrograd's f'**{exponent}' does ('**2').
    micrograd: str = ""
    user: bool = False  #: made by the user (`Value(data, children, op)`), not by this table
    #: given the inputs (floats), whether they sit on a kink: a point where the derivative is
    #: not defined and the partials give the convention in `note` (relu and abs at 0, max at a
    #: tie). Checks of hand-derived partials compare there with both one-sided derivatives.
    kink: Callable[..., bool] | None = None

    def __post_init__(self) -> None:
        count = self.arity or 1
        if not (len(self.partials) == len(self.partial_texts) == len(self.domain) == count):
            raise ValueError(f"rule {self.name!r}: partials, texts and domains must match arity")
        if (self.arity == 0) != (self.expand is not None):
            raise ValueError(f"rule {self.name!r}: a rule of any arity needs expand, no other")

    def partial(self, i: int, M: Any, *inputs_and_out: Any) -> Any:
        """∂out/∂input_i in the namespace M (floats or Values), given the inputs and the output."""
        if self.arity == 0:
            every = self.partials[0](M, inputs_and_out[:-1], inputs_and_out[-1])  # type: ignore[operator]
            return every[i]
        p = self.partials[i]
        if isinstance(p, float):
            return p
        if isinstance(p, Arg):
            return inputs_and_out[p.index]
        return p(M, *inputs_and_out)

    def formulas(self, n: int) -> Expansion:
        """For a node with n inputs: the inputs' names, the value's and each partial's formula."""
        if self.expand is not None:
            return self.expand(n)
        return ("x", "y")[: self.arity], self.text, self.partial_texts

    def __repr__(self) -> str:
        return f"Rule({self.name!r}: {self.text})"


def _leaky_relu(x: float, slope: float) -> float:
    return x if x > 0.0 else slope * x


def _linear(*inputs: float) -> float:
    # Left to right, exactly as w0*x0 + w1*x1 + ... + b written with + and * adds them.
    if len(inputs) == 1:
        return inputs[0]
    products = map(operator.mul, inputs[0:-1:2], inputs[1:-1:2])
    total: float = functools.reduce(operator.add, products)
    return total + inputs[-1]


def _linear_partials(M: Any, inputs: Sequence[Any], out: Any) -> list[Any]:
    # ∂(w·x)/∂w = x and ∂(w·x)/∂x = w for each pair; ∂/∂b = 1.
    n = len(inputs)
    partials: list[Any] = [1.0] * n
    partials[0 : n - 1 : 2] = inputs[1 : n - 1 : 2]
    partials[1 : n - 1 : 2] = inputs[0 : n - 1 : 2]
    return partials


@functools.lru_cache(maxsize=256)
def _linear_formulas(n: int) -> Expansion:
    if n < 1 or n % 2 == 0:
        raise ValueError(f"linear takes pairs w, x and a bias b: an odd number of inputs, not {n}")
    pairs = (n - 1) // 2
    names: list[str] = []
    partials: list[str] = []
    for k in range(pairs):
        names += [f"w{k}", f"x{k}"]
        partials += [f"x{k}", f"w{k}"]
    text = " + ".join([*(f"w{k} * x{k}" for k in range(pairs)), "b"])
    return (*names, "b"), text, (*partials, "1")


def _max(x: float, y: float) -> float:
    # torch.maximum: the larger input, and nan when either is nan (Python's max() would depend
    # on the order of the arguments). Written with comparisons only, so code generation can
    # follow its branches.
    if x > y:
        return x
    if y > x:
        return y
    return x if x >= y else x + y  # a tie gives x; unordered means a nan, and so is the sum


def _max_dx(M: Any, x: Any, y: Any, out: Any) -> float:
    # torch.maximum's gradient: all of it to the larger input, half to each at a tie, and all of
    # it to both when one is nan (neither comparison holds). The smaller input's zero is a
    # masked one, as PyTorch's masked_fill writes it: an inf or nan gradient stops there.
    if M.val(x) < M.val(y):
        return floats.STRONG_ZERO
    return 0.5 if M.val(x) <= M.val(y) else 1.0


def _max_dy(M: Any, x: Any, y: Any, out: Any) -> float:
    if M.val(x) > M.val(y):
        return floats.STRONG_ZERO
    return 0.5 if M.val(x) >= M.val(y) else 1.0


def _at_zero(x: float, *rest: float) -> bool:
    return x == 0.0


def _pow_dx(M: Any, x: Any, y: Any, out: Any) -> Any:
    # ∂(x^y)/∂x = y·x^(y-1). x^0 is 1 for every x, so at y = 0 the slope is 0 for every x (0, nan
    # and subnormals included, where the formula gives 0·inf or 0·nan); PyTorch masks it, so an
    # inf or nan gradient from above stops here too. Built as Values (create_graph) with y itself
    # a Value, y·x^(y-1) is kept wherever it is finite, so ∂²/∂y∂x = x^(y-1) is not lost (PyTorch's
    # second derivative there is 0; docs/pytorch.md).
    if M.val(y) == 0.0:
        if M.varies(y):
            slope = y * M.pow(x, y - 1.0)
            if M.finite(slope):
                return slope
        return floats.STRONG_ZERO
    return y * M.pow(x, y - 1.0)


def _pow_dy(M: Any, x: Any, y: Any, out: Any) -> Any:
    # ∂(x^y)/∂y = x^y·log x; at x = 0 with y >= 0 the limit is 0 (PyTorch's convention), where
    # the formula would give 0·(-inf) = nan. PyTorch's zero there is an ordinary one (an inf
    # gradient from above gives nan), and so is this.
    if M.val(x) == 0.0 and M.val(y) >= 0.0:
        return 0.0
    return out * M.log(x)


_TABLE = [
    # Arithmetic.
    Rule(
        "add", 2, operator.add, (1.0, 1.0), "+", "x + y", ("1", "1"), (WIDE, WIDE),
        micrograd="+",
    ),
    Rule(
        "sub", 2, operator.sub, (1.0, -1.0), "−", "x - y", ("1", "-1"), (WIDE, WIDE),
        micrograd="-",
    ),
    Rule(
        "mul", 2, operator.mul, (Arg(1), Arg(0)),
        "×", "x * y", ("y", "x"), (WIDE, WIDE), micrograd="*",
    ),
    Rule(
        "div", 2, floats.div,
        (lambda M, x, y, out: M.reciprocal(y), lambda M, x, y, out: -M.div(out, y)),
        "÷", "x / y", ("1 / y", "-out / y"), (WIDE, AWAY_FROM_ZERO),
        note="x/0 is ±inf and 0/0 is nan, as in IEEE 754.", micrograd="/",
    ),
    Rule(
        "pow", 2, floats.pow,
        (_pow_dx, _pow_dy),
        "^", "x ** y", ("y * x ** (y - 1)", "out * log(x)"), (POSITIVE, WIDE),
        note="A negative base to a non-integer power is nan. ∂/∂x is 0 for every x when y = 0 "
        "(0, nan and subnormals included), a zero that stops an inf or nan gradient, as "
        "PyTorch's does; ∂/∂y is 0 at x = 0 when y >= 0 (the limit; PyTorch's convention).",
        micrograd="**",
    ),
    Rule("neg", 1, operator.neg, (-1.0,), "−", "-x", ("-1",), (WIDE,), micrograd="-"),
    Rule(
        "abs", 1, abs, (lambda M, x, out: M.sign(x),), "|·|", "abs(x)", ("sign(x)",),
        (AWAY_FROM_ZERO,), note="abs'(0) = 0 and abs'(nan) = 0, as in PyTorch.", kink=_at_zero,
    ),
    Rule(
        "max", 2, _max, (_max_dx, _max_dy), "max", "max(x, y)",
        ("0 if x < y else 0.5 if x <= y else 1", "0 if x > y else 0.5 if x >= y else 1"),
        (WIDE, WIDE), kink=lambda x, y: x == y,
        note="The larger input; nan when either is nan. At a tie each input gets half of the "
        "gradient, as torch.maximum gives it; with a nan, both get all of it. max(0, x) and "
        "max(x, 0) in a formula are relu(x).",
    ),
    # Elementary functions.
    Rule("exp", 1, floats.exp, (lambda M, x, out: out,), "exp", "exp(x)", ("out",), (WIDE,)),
    Rule(
        "log", 1, floats.log, (lambda M, x, out: M.reciprocal(x),), "log", "log(x)", ("1 / x",),
        (POSITIVE,), note="Natural logarithm; log 0 = -inf and log of a negative number is nan.",
    ),
    Rule(
        "sqrt", 1, floats.sqrt, (lambda M, x, out: M.div(0.5, out),), "√", "sqrt(x)",
        ("0.5 / out",), (POSITIVE,),
    ),
    Rule(
        "sin", 1, floats.sin, (lambda M, x, out: M.cos(x),), "sin", "sin(x)", ("cos(x)",),
        (WIDE,),
    ),
    Rule(
        "cos", 1, floats.cos, (lambda M, x, out: -M.sin(x),), "cos", "cos(x)", ("-sin(x)",),
        (WIDE,),
    ),
    Rule(
        "tan", 1, floats.tan, (lambda M, x, out: 1.0 + out * out,), "tan", "tan(x)",
        ("1 + out ** 2",), (((-1.3, 1.3),),),
        note="tan′ = 1 + tan² (= 1/cos²). Near odd multiples of π/2 the value is very large "
        "(π/2 itself is not a float, so tan never reaches ∞); tan(±∞) is nan.",
    ),
    # Activations.
    Rule(
        "tanh", 1, floats.tanh, (lambda M, x, out: 1.0 - out * out,), "tanh", "tanh(x)",
        ("1 - out ** 2",), (WIDE,),
    ),
    Rule(
        "sigmoid", 1, floats.sigmoid, (lambda M, x, out: out * (1.0 - out),), "σ",
        "sigmoid(x)", ("out * (1 - out)",), (WIDE,),
        note="The logistic function 1/(1 + e^-x); stable at ±1000.",
    ),
    Rule(
        "softplus", 1, floats.softplus, (lambda M, x, out: M.sigmoid(x),), "softplus",
        "softplus(x)", ("sigmoid(x)",), (WIDE,), note="log(1 + e^x); stable at ±1000.",
    ),
    Rule(
        "relu", 1, lambda x: 0.0 if x <= 0.0 else x, (lambda M, x, out: M.step(x),), "ReLU",
        "relu(x)", ("step(x)",), (AWAY_FROM_ZERO,), micrograd="ReLU", kink=_at_zero,
        note="relu'(0) = 0, as in PyTorch; where relu(x) <= 0 the zero stops an inf or nan "
        "gradient from above, and at x = nan the gradient passes (PyTorch's threshold_backward).",
    ),
    Rule(
        "leaky_relu", 2, _leaky_relu,
        (
            lambda M, x, y, out: 1.0 if M.val(x) > 0.0 else y,
            lambda M, x, y, out: 0.0 if M.val(x) > 0.0 else x,
        ),
        "LeakyReLU", "leaky_relu(x, y)", ("1 if x > 0 else y", "0 if x > 0 else x"),
        (AWAY_FROM_ZERO, ((0.001, 0.5),)),
        note="y is the slope for x <= 0; the derivative at 0 is the slope, as in PyTorch.",
        kink=lambda x, y: x == 0.0 and y != 1.0,
    ),
    # A neuron's net input as one node: inputs w0, x0, w1, x1, ..., b.
    Rule(
        "linear", 0, _linear, (_linear_partials,), "Σ", "w0·x0 + w1·x1 + … + b",
        ("x_k for w_k, w_k for x_k, 1 for b",), (WIDE,), expand=_linear_formulas,
        note="Σ wₖ·xₖ + b as one node, summed left to right; what nn's neurons compute.",
    ),
]

#: Every primitive operation by name, in the order of the table.
RULES: dict[str, Rule] = {rule.name: rule for rule in _TABLE}
