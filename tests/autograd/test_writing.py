"""The one writer of local derivatives: simplified, in the graph's names, and never a wrong number.

Every edge of random graphs (each rule of the table among their operations, shared inputs,
constants, labelled and unlabelled nodes) is written in each style, read back by the formula
language and evaluated at the graph's numbers: it must give the partial the engine recorded.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import RULES, Naming, Rule, Value, apply, explain, formula, topological_order
from autograd.ops import Interval
from autograd.writing import PartialWriter, Term, is_number, number, recorded_partial

TABLE = [name for name, rule in RULES.items() if not rule.user]


def _inside(v: float, domain: tuple[Interval, ...]) -> bool:
    return any(lo < v < hi for lo, hi in domain)


@st.composite
def graphs(draw: st.DrawFn, rule_name: str) -> Value:
    """A random graph in which `rule_name` is used at least once; every operation's inputs lie
    in its rule's domain (so no convention at a kink or pole is met), some nodes labelled."""

    def point(domain: tuple[Interval, ...]) -> float:
        lo, hi = draw(st.sampled_from(domain))
        return round(draw(st.floats(lo + 0.05, hi - 0.05)), 3)

    nodes: list[Value] = [Value(point(((-2.0, 2.0),)), label=f"a{k}")
                          for k in range(draw(st.integers(1, 3)))]
    others = draw(st.lists(st.sampled_from(TABLE), max_size=5))
    where = draw(st.integers(0, len(others)))
    for k, name in enumerate([*others[:where], rule_name, *others[where:]]):
        rule = RULES[name]
        count = rule.arity or draw(st.sampled_from([1, 3, 5]))
        inputs: list[Value | float] = []
        for position in range(count):
            domain = rule.domain[position] if rule.arity else rule.domain[0]
            fitting = [v for v in nodes if _inside(v.data, domain)]
            how = draw(st.sampled_from(["node", "constant", "leaf"]))
            if how == "node" and fitting:
                inputs.append(draw(st.sampled_from(fitting)))
            elif how == "constant" and position > 0:
                # Round numbers too: 2 and 1 are where the power rule's folding happens.
                nice = [c for c in (2.0, 3.0, 1.0, 0.5, -1.0, 0.0) if _inside(c, domain)]
                inputs.append(draw(st.sampled_from(nice)) if nice and draw(st.booleans())
                              else point(domain))
            else:
                leaf = Value(point(domain), label=f"c{k}_{position}")
                nodes.append(leaf)
                inputs.append(leaf)
        made = apply(rule, *inputs)
        assert isinstance(made, Value)
        if draw(st.booleans()):
            made.label = f"h{k}"
        nodes.append(made)
    return nodes[-1]


def _read_back(text: str, values: dict[str, float]) -> float:
    result: float = formula.evaluate(formula.parse(text), values, formula.FLOAT_ALGEBRA)
    return result


def _same(written: float, recorded: float) -> bool:
    if math.isnan(recorded):
        return math.isnan(written)
    return math.isclose(written, recorded, rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize("rule_name", TABLE)
@settings(max_examples=40)
@given(data=st.data())
def test_every_written_derivative_reads_back_to_the_recorded_partial(
    rule_name: str, data: st.DataObject
) -> None:
    root = data.draw(graphs(rule_name))
    order = topological_order(root)
    naming = Naming(order)
    values = {naming.name(n): n.data for n in order}
    shorter = PartialWriter(naming, rename=lambda n: n.label.upper())
    upper = {(n.label.upper() if n.label else naming.name(n)): n.data for n in order}
    for style in ("unicode", "python"):
        writer = PartialWriter(naming, style)
        for node in order:
            for i, x in enumerate(node.inputs):
                if not isinstance(x, Value):
                    continue
                recorded = recorded_partial(node, i)
                text = writer.formula(node, i)
                assert _same(_read_back(text, values), recorded), (text, recorded, str(node))
                renamed = shorter.formula(node, i)
                assert _same(_read_back(renamed, upper), recorded), (renamed, recorded)


def test_the_power_rule_is_written_simplified() -> None:
    x = Value(1.5, label="x")
    for exponent, expected in [(2.0, "2·x"), (3.0, "3·x²"), (1.0, "1"), (0.5, "0.5·x^(−0.5)"),
                               (-1.0, "−x⁻²")]:
        y = x ** exponent
        writer = PartialWriter(Naming(topological_order(y)))
        assert writer.formula(y, 0) == expected, exponent
    t, out = Value(0.01, label="target_o1"), Value(0.75, label="out_o1")
    E = (t - out) ** 2
    assert PartialWriter(Naming(topological_order(E))).formula(E, 0) == "2·(target_o1 − out_o1)"


@pytest.mark.parametrize(("build", "expected"), [
    (lambda a, b: a - b, ["1", "−1"]),
    (lambda a, b: a / b, ["1 / b", "−(a / b / b)"]),
    (lambda a, b: a * b, ["b", "a"]),
    (lambda a, b: a.sigmoid() * 1.0 + b, ["1", "1"]),
    (lambda a, b: a.sqrt(), ["0.5 / sqrt(a)"]),
    (lambda a, b: a.tanh(), ["1 − tanh(a)²"]),
    (lambda a, b: 2.0 ** a, ["2^a·log(2)"]),  # a function of a number stays written
])
def test_rules_written_in_the_graphs_names(build, expected) -> None:  # type: ignore[no-untyped-def]
    a, b = Value(2.0, label="a"), Value(0.5, label="b")
    y = build(a, b)
    writer = PartialWriter(Naming(topological_order(y)))
    written = [writer.formula(y, i) for i, x in enumerate(y.inputs) if isinstance(x, Value)]
    assert written == expected


def test_a_line_leaves_out_a_formula_that_is_a_number() -> None:
    a = Value(2.0, label="a")
    y = a * 3.0
    y.label = "y"
    writer = PartialWriter(Naming(topological_order(y)))
    assert writer.line(y, 0) == "∂y/∂a = 3"
    z = a * a
    z.label = "z"
    assert PartialWriter(Naming(topological_order(z))).line(z, 1, digits=3) == "∂z/∂a = a = 2"
    with pytest.raises(ValueError, match="constant"):
        writer.line(y, 1)
    with pytest.raises(ValueError, match="leaf"):
        writer.term(a, 0)


def test_explain_and_the_writer_say_the_same() -> None:
    out = Value(0.75, label="out_o1")
    E = (0.01 - out) ** 2 * 0.5
    E.label = "E"
    E.backward()
    # explain folds 0.5 · 2·(0.01 − out_o1) · (−1) into one factor; each edge is written alike.
    factor = explain(E, out).paths[0].factors[0]
    assert factor.formula == "−(0.01 − out_o1)"
    order = topological_order(E)
    writer = PartialWriter(Naming(order))
    square = E.parents[0]
    assert writer.formula(square, 0) == "2·(0.01 − out_o1)"


def test_numbers_and_terms() -> None:
    assert number(-0.5) == "−0.5" and number(0.1 + 0.2) == "0.30000000000000004"
    assert number(2 / 3, digits=3) == "0.667" and number(-math.inf, "python") == "-inf"
    assert is_number("1e−07") and is_number("(−2)") and not is_number("2·x")
    assert Term(2.0).factors == ()


def test_the_table_has_no_rule_this_test_cannot_build() -> None:
    for name in TABLE:
        rule: Rule = RULES[name]
        assert rule.arity in (0, 1, 2), name
