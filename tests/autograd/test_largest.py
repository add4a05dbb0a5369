"""The k largest paths (`autograd.largest`) against brute force, and explain's summary by them."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from autograd import Value, explain, grad, topological_order
from autograd.graph import edges
from autograd.largest import largest_paths
from tests.strategies import Program, apply_value, programs, well_conditioned


def every_path(root: Value, wrt: Value) -> list[float]:
    """Each path's product of partials, by listing every path (small graphs only)."""
    products: list[float] = []
    stack: list[tuple[Value, float]] = [(root, 1.0)]
    while stack:
        node, product = stack.pop()
        if node is wrt:
            products.append(product)
            continue
        for _, p, d in edges(node):
            stack.append((p, product * d))
    return products


def graph(program: Program) -> tuple[list[Value], Value]:
    leaves = program.values()
    return leaves, program.run(leaves, apply_value)[-1]


@settings(max_examples=60, deadline=None)
@given(programs(max_steps=10), st.integers(1, 6))
def test_the_k_largest_are_the_k_largest_of_every_path(program: Program, k: int) -> None:
    leaves, out = graph(program)
    assume(isinstance(out, Value) and well_conditioned(program, program.run(leaves, apply_value)))
    for leaf in leaves:
        brute = every_path(out, leaf)
        found = largest_paths(out, leaf, k)
        assert found.count == len(brute)
        want = sorted((abs(p) for p in brute), reverse=True)[:k]
        got = [abs(p.product) for p in found.paths]
        assert got == pytest.approx(want, rel=1e-9, abs=1e-300)
        for p in found.paths:  # each path is a real one: it starts at out, ends at the leaf
            assert p.nodes[0] is out and p.nodes[-1] is leaf
            assert p.product == math.prod(s[3] for s in p.steps)


@settings(max_examples=60, deadline=None)
@given(programs(max_steps=10))
def test_all_the_paths_sum_to_the_gradient(program: Program) -> None:
    leaves, out = graph(program)
    assume(isinstance(out, Value) and well_conditioned(program, program.run(leaves, apply_value)))
    for leaf in leaves:
        found = largest_paths(out, leaf, 10_000)
        if found.count == 0:
            continue
        assert len(found.paths) == found.count
        total = math.fsum(p.product for p in found.paths)
        assert total == pytest.approx(float(grad(out, leaf)), rel=1e-9, abs=1e-12)


def test_a_repeated_input_is_two_paths() -> None:
    a = Value(3.0, label="a")
    y = a * a
    found = largest_paths(y, a, 5)
    assert found.count == 2 and [p.product for p in found.paths] == [3.0, 3.0]
    assert [p.steps[0][1] for p in found.paths] == [0, 1]  # one path per edge, in input order


def test_paths_are_counted_not_listed_on_a_doubling_graph() -> None:
    x = Value(1.0, label="x")
    y = x
    for i in range(200):  # 2**200 paths
        y = y * 1.0 + y * (1.0 + 1.0 / (i + 2))
    found = largest_paths(y, x, 3)
    assert found.count == 2**200 and len(found.paths) == 3
    assert all(len(p.steps) == 400 for p in found.paths)
    # the largest path takes the larger factor at every layer
    assert found.paths[0].product == pytest.approx(math.prod(1 + 1 / (i + 2) for i in range(200)))


def test_no_path_and_bad_k() -> None:
    x, z = Value(1.0, label="x"), Value(2.0, label="z")
    y = x.tanh()
    assert largest_paths(y, z, 3).count == 0
    with pytest.raises(ValueError, match="k must be an int >= 1"):
        largest_paths(y, x, 0)


def wide(n: int) -> tuple[Value, Value]:
    """A graph of many unlabelled nodes, labelled only at x and the output (as a training
    step is), with more paths than max_paths between them."""
    x = Value(0.5, label="x")
    hs = [x * (0.1 * (i + 1)) for i in range(n)]
    ys = [h.tanh() + hs[(i + 1) % n] for i, h in enumerate(hs)]
    out = ys[0]
    for y in ys[1:]:
        out = out + y * 0.5
    out.label = "out"
    return out, x


def test_explain_summarises_by_the_largest_paths() -> None:
    out, x = wide(20)
    e = explain(out, x, largest=3)
    assert e.summary and not e.listed and len(e.paths) == 3
    assert e.path_count == len(every_path(out, x))
    brute = sorted(every_path(out, x), key=abs, reverse=True)[:3]
    assert [p.product for p in e.paths] == pytest.approx(brute)
    assert e.gradient == pytest.approx(float(grad(out, x)))
    text = e.text()
    assert "a summary by the 3 largest of its 40 paths (counted, not listed)" in text
    assert "the other 37 paths add up to" in text and "this is a summary" in text
    assert "% of the gradient" in text
    zh = e.text(lang="zh")
    assert "概要" in zh and "其余 37 条路径" in zh
    assert "| factor | value |" in e.markdown() and r"\text{the 3 largest of 40 paths}" in e.latex()
    d = e.to_dict()
    assert d["largest"] == 3 and len(d["paths"]) == 3 and not d["listed"]


def test_every_path_shown_sums_to_the_gradient() -> None:
    out, x = wide(6)
    e = explain(out, x, largest=1000)
    assert len(e.paths) == e.path_count
    assert e.total == pytest.approx(e.gradient, rel=1e-12)
    lines = e.text().splitlines()
    assert not any(line.startswith("the other") for line in lines)
    assert "this is a summary" not in e.text()


def test_explain_summarises_by_itself_on_a_big_unlabelled_graph() -> None:
    out, x = wide(1200)  # more than SUMMARY_NODES nodes, one folded factor of many sub-paths
    assert len(topological_order(out)) > 2000
    e = explain(out, x)
    assert e.summary and len(e.paths) == 5
    assert not explain(out, x, largest=0).summary  # the old form, when asked for


def test_a_small_graph_keeps_its_form() -> None:
    out, x = wide(6)
    assert not explain(out, x).summary


@pytest.mark.parametrize("bad", [-1, 1.5, True, "3"])
def test_largest_must_be_a_count(bad: object) -> None:
    out, x = wide(3)
    with pytest.raises(ValueError, match="largest must be an int >= 0"):
        explain(out, x, largest=bad)  # type: ignore[arg-type]
