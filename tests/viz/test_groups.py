"""nn-aware drawing from labels alone: roles, clusters per neuron and layer, the size guard."""

from __future__ import annotations

import random
import re
import time

import pytest

from autograd import Value, topological_order
from tests.viz.dotsource import num, parse
from tests.viz.graphs import batch_loss, chain, mlp
from viz import MAX_NODES, GraphTooLargeError, draw_dot
from viz.labels import group_of, looks_like_nn, nn_layout, role_of


def small_network() -> tuple[Value, list[Value]]:
    rng = random.Random(7)
    model = mlp([2, 3, 1], rng)
    x = [Value(0.5, label="x0"), Value(-1.0, label="x1")]
    out = model(x)
    loss = (out - 1.0) ** 2
    loss.label = "loss"
    loss.backward()
    return loss, x


def test_group_of_and_role_of_read_nn_labels() -> None:
    assert group_of("layer1.neuron2.w0") == ("layer1", "neuron2")
    assert group_of("neuron2.b") == ("neuron2",)
    assert group_of("w0") == group_of("loss") == group_of("my.layer1.w0") == ()
    leaf = Value(1.0, label="layer0.neuron1.w3")
    assert role_of(leaf) == "parameter"
    assert role_of(Value(1.0, label="layer0.neuron1.b")) == "parameter"
    assert role_of(Value(1.0, label="x0")) == "input"
    assert role_of(Value(1.0)) == "input"
    made = leaf * 2
    made.label = "loss"
    assert role_of(made) == "loss"
    made.label = "layer0.neuron1.w3"  # a computed node is never a parameter
    assert role_of(made) == "value"


def test_nn_labels_are_recognised_and_plain_ones_are_not() -> None:
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    plain = a * b
    plain.label = "L"
    assert not looks_like_nn(topological_order(plain))
    assert "subgraph" not in draw_dot(plain).source
    assert "#cfe2f3" not in draw_dot(plain).source  # b is not styled as a bias
    assert "subgraph" in draw_dot(small_network()[0]).source
    assert "subgraph" not in draw_dot(small_network()[0], group=False).source


def test_each_neuron_is_a_cluster_inside_its_layer() -> None:
    loss, _ = small_network()
    order = topological_order(loss)
    dot = parse(draw_dot(loss).source)
    for i, node in enumerate(order):
        where = dot.cluster_of[f"v{i}"]
        if node.label.startswith("layer"):
            layer, neuron = node.label.split(".")[:2]
            assert where == (layer, neuron), node.label
        elif node.is_leaf or node is loss:
            assert where == (), node.label
        if node.rule is not None:
            assert dot.cluster_of[f"v{i}_op"] == where
    # The unlabelled products and sums of a neuron's net belong to it.
    for i, node in enumerate(order):
        if node.label.endswith(".net"):
            inner = [p for p in node.parents if not p.label]
            assert inner
            for p in inner:
                assert dot.cluster_of[f"v{order.index(p)}"] == dot.cluster_of[f"v{i}"]


def test_parameters_inputs_and_loss_look_different() -> None:
    loss, _ = small_network()
    order = topological_order(loss)
    dot = parse(draw_dot(loss).source)
    classes = {
        order[int(v[1:])].label: re.search(r'class="([^"]*)"', attrs).group(1)  # type: ignore[union-attr]
        for v, attrs in dot.nodes.items() if re.fullmatch(r"v\d+", v)
    }
    assert classes["layer0.neuron1.w0"] == "value parameter"
    assert classes["layer1.neuron0.b"] == "value parameter"
    assert classes["x0"] == classes["x1"] == "value input"
    assert classes["loss"] == "value loss"
    assert classes["layer1.neuron0.out"] == "value"
    fills = {cls: set(re.findall(r'BGCOLOR="([^"]+)"', " ".join(
        a for v, a in dot.nodes.items() if f'class="{cls}"' in a))) for cls in
        ("value parameter", "value input", "value loss", "value")}
    assert all(len(f) == 1 for f in fills.values())
    assert len(set.union(*fills.values())) == 4  # four different colours


def test_a_node_used_by_two_neurons_stays_outside_both() -> None:
    shared_leaf = Value(1.0)
    shared = shared_leaf * 2  # unlabelled, used by neuron0 and neuron1
    n0 = shared + Value(0.1, label="neuron0.b")
    n0.label = "neuron0.net"
    n1 = shared + Value(0.2, label="neuron1.b")
    n1.label = "neuron1.net"
    root = n0 + n1
    order = topological_order(root)
    layout = nn_layout(order)
    assert layout.groups[order.index(shared)] == ()
    assert layout.groups[order.index(n0)] == ("neuron0",)


def test_inside_a_cluster_a_box_shows_the_short_name() -> None:
    loss, _ = small_network()
    source = draw_dot(loss).source
    assert "<B>w0</B>" in source and "<B>layer0.neuron0.w0</B>" not in source
    flat = draw_dot(loss, group=False).source
    assert "<B>layer0.neuron0.w0</B>" in flat


def test_above_the_limit_a_plain_graph_is_refused_quickly_with_the_numbers() -> None:
    root = chain(2 * MAX_NODES)
    size = len(topological_order(root))
    start = time.perf_counter()
    with pytest.raises(GraphTooLargeError) as caught:
        draw_dot(root)
    assert time.perf_counter() - start < 5
    message = str(caught.value)
    assert f"{size:,} nodes" in message and f"max_nodes={MAX_NODES:,}" in message
    assert f"max_nodes={size}" in message  # how to raise the limit
    with pytest.raises(GraphTooLargeError, match="more than max_nodes=10"):
        draw_dot(chain(20), max_nodes=10)
    assert draw_dot(chain(20), max_nodes=None)


def test_above_the_limit_a_network_is_collapsed_to_one_box_per_neuron() -> None:
    rng = random.Random(3)
    model = mlp([2, 8, 8, 1], rng)
    loss = batch_loss(model, 40, rng)
    loss.backward()
    order = topological_order(loss)
    assert len(order) > MAX_NODES
    start = time.perf_counter()
    graph = draw_dot(loss)
    assert time.perf_counter() - start < 5
    dot = parse(graph.source)
    boxes = {v: a for v, a in dot.nodes.items() if 'class="box"' in a}
    neurons = {f"layer{i}.neuron{j}" for i, layer in enumerate(model.layers)
               for j in range(len(layer))}
    titles = {re.search(r"<B>(.*?)</B>", a).group(1): a for a in boxes.values()}  # type: ignore[union-attr]
    assert set(titles) == neurons | {"other operations"}
    # The counts add up to the whole graph (the root, the loss, is drawn as itself).
    counts = [int(re.search(r"<BR/>([\d,]+) node", a).group(1).replace(",", ""))  # type: ignore[union-attr]
              for a in boxes.values()]
    assert sum(counts) + 1 == len(order)
    # A neuron's box lists its parameters with their data and grad.
    (ws, b) = model.layers[0][3]
    box = titles["layer0.neuron3"]
    for p in (*ws, b):
        name = p.label.rsplit(".", 1)[1]
        assert f"{name} = {num(p.data)}  grad {num(p.grad)}" in box
    assert box.index("w0 =") < box.index("w1 =") < box.index("b =")
    layers = {c for v, c in dot.cluster_of.items() if v in boxes and c}
    assert layers == {("layer0",), ("layer1",), ("layer2",)}
    assert f"{len(order):,} nodes" in graph.source
    with pytest.raises(GraphTooLargeError, match="more than max_nodes"):
        draw_dot(loss, too_large="error")


def test_collapsed_edges_count_the_edges_they_stand_for() -> None:
    rng = random.Random(4)
    model = mlp([2, 2, 1], rng)
    loss = batch_loss(model, 5, rng)
    order = topological_order(loss)
    graph = draw_dot(loss, max_nodes=10)
    dot = parse(graph.source)
    titles = {v: re.search(r"<B>(.*?)</B>", a).group(1)  # type: ignore[union-attr]
              for v, a in dot.nodes.items() if 'class="box"' in a}
    # Each of layer0's two neurons feeds layer1.neuron0 once per sample: one arrow for all.
    source = next(v for v, t in titles.items() if t == "layer0.neuron1")
    sink = next(v for v, t in titles.items() if t == "layer1.neuron0")
    (edge,) = [a for t, h, a in dot.edges if (t, h) == (source, sink)]
    assert edge == "label=<all 2 → all 1, ×5 each> ltail=cluster_layer0 lhead=cluster_layer1"
    assert len(order) > 10
