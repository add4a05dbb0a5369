"""Drawings speak the explanations' language: the namer's names, numerators, the minus sign −."""

from __future__ import annotations

import re

from autograd import Naming, Value, explain, topological_order
from tests.viz.dotsource import parse
from tests.viz.graphs import worked
from viz import draw_dot


def unlabelled() -> Value:
    x, y = Value(2.0), Value(-3.0)
    z = ((x * y + x).tanh() * (y - 1.5)).exp()
    z.backward()
    return z


def test_every_box_shows_the_namers_name() -> None:
    for root in (unlabelled(), worked()[0]):
        order = topological_order(root)
        naming = Naming(order)
        dot = parse(draw_dot(root).source)
        for i, node in enumerate(order):
            name = naming.name(node)
            tag = "B" if node.label else "I"  # the user's label bold, kuibu's name in italics
            assert f"<TD><{tag}>{name}</{tag}></TD>" in dot.nodes[f"v{i}"], (i, name)


def test_every_factor_has_its_numerator_in_the_namers_names() -> None:
    root = unlabelled()
    order = topological_order(root)
    naming = Naming(order)
    index = {id(n): i for i, n in enumerate(order)}
    dot = parse(draw_dot(root, show_partials=True).source)
    for tail, head, attrs in dot.edges:
        if not head.endswith("_op") or "_c" in tail:
            continue
        node, parent = order[int(head[1:-3])], order[index[id(order[int(tail[1:])])]]
        prefix = f"label=<∂{naming.name(node)}/∂{naming.name(parent)} = "
        assert attrs.startswith(prefix), (attrs, prefix)
    assert "∂/∂" not in draw_dot(root, show_partials=True).source


def test_the_worked_networks_edges_have_numerators() -> None:
    E, nodes = worked()
    source = draw_dot(E, highlight=nodes["w5"]).source
    assert "∂/∂" not in source
    n = Naming(topological_order(E))
    # The edge the old drawing wrote as ∂/∂out_o1 = -1: the unlabelled difference 0.01 − out_o1.
    difference = nodes["out_o1"]
    users = [m for m in topological_order(E) if difference in m.parents]
    assert f"∂{n.name(users[0])}/∂out_o1 = −1" in source


def test_names_in_an_explanation_are_names_in_the_drawing() -> None:
    root = unlabelled()
    order = topological_order(root)
    text = explain(root, order[0])
    source = draw_dot(root).source
    # Every kuibu name the explanation uses (n1, n2, ...) is a box's name in the drawing.
    used = set(re.findall(r"\bn\d+\b", str(text)))
    assert used, text
    for name in used:
        assert f"<I>{name}</I>" in source, name


def test_numbers_use_the_minus_sign_of_formulas() -> None:
    source = draw_dot(unlabelled(), show_partials=True).source
    numbers = re.findall(r"(?:data|grad|=) ([−\-]?[\d.e+−\-]+)", source)
    assert any(x.startswith("−") for x in numbers)
    assert not [x for x in numbers if "-" in x], numbers
