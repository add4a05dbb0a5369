"""draw_dot's DOT text: every node and edge, operand order, determinism, escaping, highlighting."""

from __future__ import annotations

import html
import re
import time

import pytest
from hypothesis import given

from autograd import Naming, Value, grad, topological_order
from tests.strategies import Program, apply_value, programs
from tests.viz.dotsource import num, parse
from tests.viz.graphs import chain
from viz import draw_dot


def neuron() -> tuple[Value, dict[str, Value]]:
    """tanh(w·x + b) with a constant, a reuse (x·x) and a subtraction, after backward."""
    w, x, b = Value(0.5, label="w"), Value(-1.5, label="x"), Value(0.25, label="b")
    out = (w * x + b + x * x * 0.1).tanh()
    loss = (out - 0.3) ** 2
    loss.label = "E"
    loss.backward()
    return loss, {"w": w, "x": x, "b": b, "out": out, "E": loss}


def test_every_value_shows_its_label_data_and_grad() -> None:
    root, _ = neuron()
    order = topological_order(root)
    dot = parse(draw_dot(root).source)
    assert sorted(dot.ids("value")) == sorted(f"v{i}" for i in range(len(order)))
    for i, node in enumerate(order):
        attrs = dot.nodes[f"v{i}"]
        assert f"data {num(node.data)}<" in attrs
        assert f"grad {num(node.grad)}<" in attrs
        if node.label:
            assert f"<B>{node.label}</B>" in attrs


def test_digits_and_show_grad() -> None:
    root, nodes = neuron()
    source = draw_dot(root, digits=8, show_grad=False).source
    assert f"data {num(nodes['out'].data, 8)}<" in source
    assert "grad " not in source


def test_one_op_node_per_operation_and_one_node_per_constant() -> None:
    root, _ = neuron()
    order = topological_order(root)
    dot = parse(draw_dot(root).source)
    operations = [n for n in order if not n.is_leaf]
    constants = [x for n in operations for x in n.inputs if not isinstance(x, Value)]
    assert len(dot.ids("op")) == len(operations)
    assert len(dot.ids("constant")) == len(constants) == 3  # 0.1, 0.3 and the exponent 2
    for i, node in enumerate(order):
        if node.rule is not None:
            symbol = html.escape(node.rule.symbol)  # the oval's label, or its table's cell
            attrs = dot.nodes[f"v{i}_op"]
            assert f"label=<{symbol}>" in attrs or f'">{symbol}</TD>' in attrs, attrs


def expected_edges(root: Value) -> list[tuple[str, str]]:
    """input -> op -> output for every operation, in operand order, computed from the graph."""
    order = topological_order(root)
    index = {id(n): i for i, n in enumerate(order)}
    edges = []
    for i, node in enumerate(order):
        for position, x in enumerate(node.inputs):
            tail = f"v{index[id(x)]}" if isinstance(x, Value) else f"v{i}_c{position}"
            edges.append((tail, f"v{i}_op"))
        if not node.is_leaf:
            edges.append((f"v{i}_op", f"v{i}"))
    return edges


def test_edges_follow_operand_order_and_a_times_a_has_two() -> None:
    a = Value(3.0, label="a")
    y = a * a
    dot = parse(draw_dot(y).source)
    assert [(t, h) for t, h, _ in dot.edges] == [("v0", "v1_op"), ("v0", "v1_op"), ("v1_op", "v1")]
    root, _ = neuron()
    assert [(t, h) for t, h, _ in parse(draw_dot(root).source).edges] == expected_edges(root)


def test_where_order_matters_each_input_has_a_numbered_cell_and_no_edge_a_name() -> None:
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    source = draw_dot(a - b, rankdir="LR").source
    dot = parse(source)
    # The inputs' edges end in the cells ① and ② of the operation, entering from the left.
    assert dot.ports == ["i0", "i1", ""]
    assert '<TD PORT="i0"><FONT POINT-SIZE="10">①</FONT></TD>' in dot.nodes["v2_op"]
    assert '<TD PORT="i1"><FONT POINT-SIZE="10">②</FONT></TD>' in dot.nodes["v2_op"]
    assert "v0 -> v2_op:i0:w" in source and "v1 -> v2_op:i1:w" in source
    assert "v1 -> v2_op:i1:n" in draw_dot(a - b, rankdir="TB").source  # from above
    # Nothing is written beside an edge that could be read as a variable (x, y: input, target).
    for graph in (a - b, a / b, a ** b, 2.0 ** a, (a - b).leaky_relu(0.1)):
        text = draw_dot(graph).source
        assert "xlabel" not in text and "label=<x>" not in text and "label=<y>" not in text
    dot = parse(draw_dot(a + b).source)  # + needs no cells
    assert dot.ports == ["", "", ""] and "PORT" not in draw_dot(a + b).source
    dot = parse(draw_dot(2.0 ** a).source)  # a constant base is the first input
    assert dot.edges[0][:2] == ("v1_c0", "v1_op") and dot.ports[0] == "i0"
    x, y = Value(1.0, label="x"), Value(2.0, label="y")
    assert parse(draw_dot(x - y).source).ports == ["i0", "i1", ""]


def test_position_marks_cannot_be_variable_names() -> None:
    from autograd import formula
    from viz.parts import position_mark

    for k in range(25):
        mark = position_mark(k)
        with pytest.raises(formula.FormulaError):
            formula.parse(mark)  # not a name, not a number: nothing a formula could mean


def build_twice(program: Program) -> tuple[str, str]:
    first = program.run(program.values(), apply_value)[-1]
    second = program.run(program.values(), apply_value)[-1]
    return draw_dot(first).source, draw_dot(second).source


@pytest.mark.slow
@given(programs())
def test_random_graphs_draw_every_node_and_edge_deterministically(program: Program) -> None:
    root = program.run(program.values(), apply_value)[-1]
    order = topological_order(root)
    source = draw_dot(root, show_partials=True).source
    dot = parse(source)
    assert len(dot.ids("value")) == len(order)
    assert len(dot.ids("op")) == sum(1 for n in order if not n.is_leaf)
    assert [(t, h) for t, h, _ in dot.edges] == expected_edges(root)
    first, second = build_twice(program)
    assert first == second  # same graph built again: the same text
    # show_partials labels every edge from a Value with its recorded local derivative.
    index = {id(n): i for i, n in enumerate(order)}
    for i, node in enumerate(order):
        labels = [a for t, h, a in dot.edges if h == f"v{i}_op" and not t.endswith(("_c0", "_c1"))]
        assert len(labels) == len(node.parents)
        for attrs, parent, partial in zip(labels, node.parents, node.partials, strict=True):
            assert attrs.endswith(f"{num(partial)}>"), (attrs, partial)
            assert index[id(parent)] < i


def test_labels_are_escaped() -> None:
    nasty = 'say "hi" {a|b} <c> \\d & \'e\'\nnext'
    x = Value(1.0, label=nasty)
    source = draw_dot(x * 2).source
    label = re.search(r"<B>(.*?)</B>", source)
    assert label is not None
    # Graphviz reads a backslash in a label as the start of \N, \G ...: it is written doubled
    assert html.unescape(label.group(1).replace("<BR/>", "\n")).replace("\\\\", "\\") == nasty
    assert not re.search(r"[<>\"]", label.group(1).replace("<BR/>", ""))
    bell = Value(1.0, label="a\x07b")
    assert "a\\\\x07b" in draw_dot(bell).source  # a control character is shown, not sent raw


def on_paths_by_enumeration(root: Value, target: Value) -> set[int]:
    """ids of the nodes on some path root -> ... -> target, by listing every path (small graphs)."""
    found: set[int] = set()

    def walk(node: Value, path: list[Value]) -> None:
        path = [*path, node]
        if node is target:
            found.update(id(n) for n in path)
            return
        for parent in node.parents:
            walk(parent, path)

    walk(root, [])
    return found


@pytest.mark.parametrize("name", ["w", "x", "b", "out"])
def test_highlight_marks_exactly_the_paths_and_writes_the_factors(name: str) -> None:
    root, nodes = neuron()
    target = nodes[name]
    order = topological_order(root)
    index = {id(n): i for i, n in enumerate(order)}
    dot = parse(draw_dot(root, highlight=target).source)
    marked = {v for v, attrs in dot.nodes.items() if "highlight" in attrs}
    on_path = on_paths_by_enumeration(root, target)
    expected = {f"v{index[i]}" for i in on_path}
    expected |= {f"v{index[i]}_op" for i in on_path if i != id(target)}
    assert marked == expected
    marked_edges = [(t, h, a) for t, h, a in dot.edges if "highlight" in a]
    assert sorted((t, h) for t, h, _ in marked_edges) == sorted(
        (t, h) for t, h in expected_edges(root) if t in expected and h in expected
    )
    for tail, head, attrs in marked_edges:
        if tail.endswith("_op"):
            continue
        node = order[int(head[1:-3])]
        parent = order[int(tail[1:])]
        factors = [d for p, d in zip(node.parents, node.partials, strict=True) if p is parent]
        assert any(attrs.count(f"= {num(d)}>") for d in factors), attrs


def test_highlight_caption_gives_the_gradient_and_the_number_of_paths() -> None:
    root, nodes = neuron()
    source = draw_dot(root, highlight=nodes["x"]).source
    derivative = grad(root, nodes["x"])
    # x reaches the sum through w·x and through x·x (twice): 3 paths.
    assert f"∂E/∂x = {num(derivative)}: the sum over the 3 marked paths" in source


def test_highlight_must_be_in_the_graph() -> None:
    root, _ = neuron()
    stranger = Value(1.0, label="stranger")
    with pytest.raises(ValueError, match=r"stranger.*not in the graph"):
        draw_dot(root, highlight=stranger)
    with pytest.raises(TypeError, match="highlight must be a Value, not float"):
        draw_dot(root, highlight=1.0)  # type: ignore[arg-type]


def test_bad_arguments_name_what_was_wrong() -> None:
    root, _ = neuron()
    with pytest.raises(TypeError, match=r"root must be a Value, not float: 1\.5"):
        draw_dot(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rankdir must be one of LR, RL, TB, BT or None, not 'XY'"):
        draw_dot(root, rankdir="XY")
    with pytest.raises(ValueError, match="max_nodes must be a positive int or None, not 0"):
        draw_dot(root, max_nodes=0)
    assert 'rankdir=TB' in draw_dot(root, rankdir="TB").source


def test_a_leaf_alone_is_one_box() -> None:
    dot = parse(draw_dot(Value(2.0)).source)
    assert list(dot.nodes) == ["v0"] and dot.edges == []


@pytest.mark.slow
def test_building_the_dot_text_of_100k_nodes_is_quick() -> None:
    root = chain(100_000)
    size = len(topological_order(root))
    assert size == 100_001
    start = time.perf_counter()
    source = draw_dot(root, max_nodes=None).source
    seconds = time.perf_counter() - start
    # Measured 2 to 20 s on a shared machine, most of it in Naming, which writes every
    # unlabelled node's formula; quadratic work would take hours.
    assert seconds < 90, seconds
    assert source.count("_op [") == size - 1


@pytest.mark.slow
def test_building_time_grows_linearly() -> None:
    def build(n: int) -> float:
        root = chain(n)
        start = time.perf_counter()
        draw_dot(root, max_nodes=None)
        return time.perf_counter() - start

    small = min(build(10_000) for _ in range(3))
    large = min(build(40_000) for _ in range(3))
    assert large < 4 * small * 3, (small, large)  # 4 times the nodes; quadratic would be 16


def test_a_neurons_sum_has_a_cell_per_weight_input_pair_and_one_for_the_bias() -> None:
    from autograd import linear

    w = [Value(0.5, label="w0"), Value(-1.0, label="w1")]
    x1 = Value(3.0, label="h")
    net = linear(w, [2.0, x1], Value(0.1, label="b"))
    net.backward()
    dot = parse(draw_dot(net, highlight=w[1], rankdir="LR").source)
    into = [(t, port, a) for (t, h, a), port in zip(dot.edges, dot.ports, strict=True)
            if h.endswith("_op")]
    assert [t for t, _, _ in into] == ["v0", "v4_c1", "v1", "v2", "v3"]  # w0, 2.0, w1, h, b
    assert [port for _, port, _ in into] == ["i0", "i0", "i1", "i1", "i2"]  # ×, ×, +
    cells = re.findall(r'<TD PORT="i\d">(.*?)</TD>', dot.nodes["v4_op"])
    assert [html.unescape(re.sub("<.*?>", "", c)) for c in cells] == ["×", "×", "+"]
    net_name = Naming(topological_order(net)).name(net)
    # the factor, in the graph's names, the numerator the namer's name of the unlabelled sum
    assert into[2][2].startswith(f"label=<∂{net_name}/∂w1 = h = 3>")
    assert all("xlabel" not in a for _, _, a in into)


def test_edge_factors_speak_the_graphs_names() -> None:
    w, x = Value(0.5, label="w"), Value(1.5, label="x")
    y = (w * x).tanh()
    y.label = "y"
    y.backward()
    source = draw_dot(y, highlight=w).source
    product = Naming(topological_order(y)).name(y.parents[0])
    assert f"∂{product}/∂w = x = 1.5" in source  # the unlabelled product by the namer's name
    assert f"∂y/∂{product} = 1 − y² = 0.5966" in source
    assert f"<I>{product}</I>" in source  # and its box shows that name
    assert "∂/∂" not in source  # every factor has its numerator
