"""Hypothesis strategies shared by the tests: random expression graphs with shared subexpressions.

A `Program` is a list of steps over a few leaves; each step applies one rule of the table to
earlier nodes (so later steps reuse earlier results: diamonds, `a*a`, long and wide graphs) or
to a constant. The same program can be run on kuibu Values, on plain floats and on PyTorch
tensors, so one random graph is checked against finite differences and against PyTorch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from autograd import Value
from autograd.value import RULE_METHODS

#: Operations the random graphs use, with their arity.
UNARY = ["neg", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "softplus", "abs", "relu"]
BINARY = ["add", "sub", "mul", "div", "pow", "leaky_relu"]


@dataclass(frozen=True)
class Step:
    op: str
    a: int  # index of an earlier node
    b: int | float | None  # index of an earlier node, a constant (float), or None for unary ops

    def __str__(self) -> str:
        b = f"n{self.b}" if isinstance(self.b, int) else self.b
        return f"{self.op}(n{self.a}{'' if self.b is None else f', {b}'})"


@dataclass(frozen=True)
class Program:
    leaves: tuple[float, ...]
    steps: tuple[Step, ...]

    def run(self, leaves: Sequence[Any], apply: Callable[[str, Any, Any], Any]) -> list[Any]:
        """All nodes: the leaves, then one per step; the last is the output."""
        nodes = list(leaves)
        for s in self.steps:
            b = nodes[s.b] if isinstance(s.b, int) and not isinstance(s.b, bool) else s.b
            nodes.append(apply(s.op, nodes[s.a], b))
        return nodes

    def values(self) -> list[Value]:
        """Fresh labelled leaves x0, x1, ... holding this program's numbers."""
        return [Value(v, label=f"x{i}") for i, v in enumerate(self.leaves)]

    def __str__(self) -> str:
        return f"leaves={list(self.leaves)} " + "; ".join(
            f"n{len(self.leaves) + i} = {s}" for i, s in enumerate(self.steps)
        )


def apply_value(op: str, a: Any, b: Any) -> Any:
    """One step on kuibu Values (the rule's Value method)."""
    method = RULE_METHODS[op]
    return method(a) if b is None else method(a, b)


def well_conditioned(program: Program, nodes: Sequence[Value], margin: float = 0.05) -> bool:
    """True when every step is far from a kink, a pole or the edge of its domain, and every value
    is moderate, so finite differences are accurate there."""
    for s, node in zip(program.steps, nodes[len(program.leaves):], strict=True):
        x = nodes[s.a].data
        y = nodes[s.b].data if isinstance(s.b, int) else s.b
        if not math.isfinite(node.data) or abs(node.data) > 1e4:
            return False
        if s.op in ("log", "sqrt") and x < margin * 4:
            return False
        if s.op in ("abs", "relu", "leaky_relu") and abs(x) < margin:
            return False
        if s.op == "div" and abs(y) < 0.25:
            return False
        if s.op == "pow" and (x < 0.25 or abs(y) > 3.0):
            return False
        if s.op == "exp" and x > 6.0:
            return False
    return True


@st.composite
def programs(
    draw: st.DrawFn,
    min_leaves: int = 1,
    max_leaves: int = 4,
    max_steps: int = 12,
    ops: Sequence[str] | None = None,
) -> Program:
    """A random program: shared subexpressions come from picking earlier nodes more than once."""
    number = st.floats(-2.0, 2.0, allow_nan=False).map(lambda v: round(v, 3))
    away_from_zero = st.floats(0.3, 2.0).map(lambda v: round(v, 3)) | st.floats(-2.0, -0.3).map(
        lambda v: round(v, 3)
    )
    choices = list(ops) if ops is not None else UNARY + BINARY
    leaves = tuple(draw(st.lists(number, min_size=min_leaves, max_size=max_leaves)))
    n_steps = draw(st.integers(1, max_steps))
    steps: list[Step] = []
    for i in range(n_steps):
        size = len(leaves) + i
        # Favour recent nodes, so graphs grow deep as well as wide.
        pick = st.integers(0, size - 1) | st.integers(max(0, size - 3), size - 1)
        op = draw(st.sampled_from(choices))
        a = draw(pick)
        b: int | float | None = None
        if op == "leaky_relu":
            b = draw(st.sampled_from([0.01, 0.1, 0.2]))
        elif op == "pow":
            b = draw(st.sampled_from([2.0, 3.0, 0.5, -1.0]) | pick)
        elif op in BINARY:
            b = draw(pick | away_from_zero)
        steps.append(Step(op, a, b))
    return Program(leaves, tuple(steps))


#: Numbers that stress IEEE 754 corners: zeros of both signs, a subnormal, huge values, inf, nan.
EXTREMES = (0.0, -0.0, 5e-324, 1e-310, 1e300, -1e300, math.inf, -math.inf, math.nan)


def random_program(
    rng: Any, leaves: int = 4, steps: int = 12, extremes: float = 0.15,
    ops: Sequence[str] | None = None,
) -> Program:
    """A random program drawn from a seeded `random.Random`: the same shape of graphs as
    `programs()` (shared subexpressions, recent nodes favoured), cheap enough for thousands,
    with a share `extremes` of the leaves and constants taken from `EXTREMES` (inf and nan
    reach the gradients: masked zeros, 0·inf, overflowing reciprocals)."""
    choices = list(ops) if ops is not None else UNARY + BINARY

    def number() -> float:
        if rng.random() < extremes:
            return float(rng.choice(EXTREMES))
        return round(rng.uniform(-2.0, 2.0), 3)

    def pick(size: int) -> int:
        return rng.randrange(size) if rng.random() < 0.5 else rng.randrange(max(0, size - 3), size)

    values = tuple(number() for _ in range(rng.randint(1, leaves)))
    drawn: list[Step] = []
    for i in range(rng.randint(1, steps)):
        size = len(values) + i
        op = rng.choice(choices)
        b: int | float | None = None
        if op == "leaky_relu":
            b = rng.choice([0.01, 0.1, 0.2])
        elif op == "pow":
            b = pick(size) if rng.random() < 0.4 else rng.choice([2.0, 3.0, 0.5, -1.0, 0.0])
        elif op in BINARY:
            b = pick(size) if rng.random() < 0.7 else number()
        drawn.append(Step(op, pick(size), b))
    return Program(values, tuple(drawn))
