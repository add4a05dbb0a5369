"""The program's fast function (plain operators, `math` bound to names) against its IEEE
function (the helpers of `autograd.floats`): the same floats bit for bit, wherever either runs.

The fast text falls back to the IEEE function where Python raises (x/0, exp overflow, log of 0)
and where a result is inf or nan; these tests drive every rule through those corners.
"""

from __future__ import annotations

import dis
import math
import random
import re
import struct
from typing import Any

import pytest

from autograd import RULES, Value, apply, codegen
from tests.strategies import apply_value, random_program

#: Inputs at the edges: zeros of both signs, a subnormal (1/x overflows), huge, inf, nan.
EDGES = [0.0, -0.0, 5e-324, -5e-324, 1e-310, 1.0, -1.0, 0.5, 709.8, -709.8, 1e308, -1e308,
         math.inf, -math.inf, math.nan, 2.0, -3.0]


def bits(x: float) -> Any:
    """A float's bits, every nan alike (Python does not keep a nan's payload everywhere)."""
    return "nan" if x != x else struct.pack("<d", x)


def ieee(program: Any) -> Any:
    return program._namespace()[program.name]


def both(program: Any, values: list[float]) -> tuple[Any, Any]:
    fast_value, fast_grads = program.function(*values)
    slow_value, slow_grads = ieee(program)(*values)
    return ([bits(fast_value), *map(bits, fast_grads)],
            [bits(slow_value), *map(bits, slow_grads)])


def test_the_fast_text_is_what_runs_and_source_is_unchanged() -> None:
    x, y = Value(3.0, label="x"), Value(4.0, label="y")
    out = (x / y).exp() + (x * y).log() + x.sigmoid() + y.softplus()
    prog = codegen(out, wrt=[x, y])
    assert "div(" in prog.source and "exp(" in prog.source  # the IEEE helpers, as documented
    assert "div(" not in prog.fast and " / " in prog.fast and "_exp(" in prog.fast
    assert prog.function is not ieee(prog)
    assert prog(3.0, 4.0) == ieee(prog)(3.0, 4.0)


@pytest.mark.parametrize("name", [n for n in RULES if RULES[n].arity])
def test_every_rule_agrees_with_the_ieee_function_at_the_edges(name: str) -> None:
    rule = RULES[name]
    leaves = [Value(0.5, label=f"x{i}") for i in range(rule.arity)]
    node = apply(name, *leaves)
    # A second use of the node, so its gradient is a sum, and relu's masked zero is met too.
    root = node * node.relu() + node
    prog = codegen(root, wrt=leaves)
    rng = random.Random(7)
    rows = [[a] * rule.arity for a in EDGES]
    rows += [[rng.choice(EDGES) for _ in range(rule.arity)] for _ in range(200)]
    for row in rows:
        fast, slow = both(prog, row)
        assert fast == slow, (name, row)


def test_a_subnormal_divisor_falls_back_to_the_ieee_gradient() -> None:
    # d(x/y)/dx = 1/y overflows for a subnormal y: the engine keeps g·(1/y) as g/y; the fast
    # text's 1.0 / y is inf, which the finite check catches.
    x, y = Value(1.0, label="x"), Value(5e-324, label="y")
    prog = codegen((x / y) * 0.0, wrt=[x, y])
    fast, slow = both(prog, [1.0, 5e-324])
    assert fast == slow
    out = (x / y) * 0.0
    out.backward()
    _, grads = prog(1.0, 5e-324)
    assert bits(grads[0]) == bits(x.grad)


@pytest.mark.parametrize("seed", range(3))
def test_random_graphs_agree_with_the_ieee_function(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(60):
        program = random_program(rng, leaves=4, steps=12)
        leaves = program.values()
        root = program.run(leaves, apply_value)[-1]
        if not isinstance(root, Value):
            continue
        prog = codegen(root, wrt=leaves)
        for _ in range(5):
            row = [rng.choice(EDGES) if rng.random() < 0.3 else rng.uniform(-4, 4)
                   for _ in leaves]
            fast, slow = both(prog, row)
            assert fast == slow, (program, row)


def test_the_summed_function_agrees_with_the_ieee_one_and_takes_an_iterator() -> None:
    w, b, x = Value(0.5, label="w"), Value(0.1, label="b"), Value(2.0, label="x")
    root = (w * x + b).relu() * (w / x) + (x * b).exp().log()
    prog = codegen(root, wrt=[w, b], inputs=[x])
    ieee_summed = prog._namespace()[f"{prog.name}_summed"]
    rng = random.Random(3)
    for _ in range(50):
        samples = [(rng.choice(EDGES) if rng.random() < 0.3 else rng.uniform(-3, 3),)
                   for _ in range(4)]
        params = [rng.choice(EDGES), rng.uniform(-2, 2)]
        fast_value, fast_sums = prog.summed(*params, iter(samples))
        slow_value, slow_sums = ieee_summed(*params, samples)
        assert [bits(fast_value), *map(bits, fast_sums)] == [
            bits(slow_value), *map(bits, slow_sums)], (params, samples)


def test_a_negated_term_is_subtracted_and_softplus_needs_no_abs() -> None:
    # A softmax's sum gets -(e/s)/s from each output: the fast text subtracts g·(e/s/s)
    # instead of adding g·-(...), and a - (-b) is a + b; the floats stay the IEEE ones.
    xs = [Value(v, label=f"x{i}") for i, v in enumerate([0.3, -1.2, 2.0])]
    exps = [x.exp() for x in xs]
    total = exps[0] + exps[1] + exps[2]
    probs = [e / total for e in exps]
    root = probs[0] * probs[1] - (-probs[2]) + (xs[0] - xs[1]).softplus()
    prog = codegen(root, wrt=xs)
    assert "+ -(" not in prog.fast and " - (-" not in prog.fast
    assert re.search(r"= (\w+) - \w+ \* \(\w+ / \w+\)\n", prog.fast)  # g - g'·(e/s/s)
    assert "abs(" not in prog.fast
    rng = random.Random(11)
    rows = [[a, b, c] for a in EDGES[:8] for b in EDGES[8:12] for c in (0.0, -0.0, 1.0)]
    rows += [[rng.uniform(-5, 5) for _ in xs] for _ in range(100)]
    for row in rows:
        fast, slow = both(prog, row)
        assert fast == slow, row
    root.backward()
    _, grads = prog(0.3, -1.2, 2.0)
    assert list(map(bits, grads)) == [bits(x.grad) for x in xs]


def test_variables_read_soon_after_are_numbered_in_one_byte() -> None:
    # Python numbers a function's first 256 variables in one byte; each one past that costs an
    # EXTENDED_ARG at every read and write. Values read again within a few lines take the
    # names numbered first, right after the parameters.
    xs = [Value(0.1 * i, label=f"x{i}") for i in range(4)]
    nodes = list(xs)
    for _ in range(700):
        a, b = nodes[-4], nodes[-1]
        nodes.append((a * b).tanh() + nodes[-3].exp() / (1.0 + b * b))
    prog = codegen(nodes[-1], wrt=xs)
    code = prog.function.__code__
    assert code.co_varnames[4:7] == ("_s1", "_s2", "_s3")
    ops = [i.opname for i in dis.get_instructions(code)]
    assert ops.count("EXTENDED_ARG") < 0.25 * len(ops)  # 36% when names were taken in turn
    rng = random.Random(5)
    for _ in range(20):
        row = [rng.uniform(-2, 2) for _ in xs]
        fast, slow = both(prog, row)
        assert fast == slow, row
