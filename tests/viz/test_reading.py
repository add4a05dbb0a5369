"""Drawings that read: one formula per derivative, roles with a legend, one border for a marked
box, captions in the reader's language, and a network drawn as layers of neurons."""

from __future__ import annotations

import itertools
import random
import re

import pytest

from autograd import Naming, Value, explain, topological_order, writing
from tests.viz.dotsource import parse
from tests.viz.graphs import mlp, worked
from viz import draw_dot
from viz.parts import BORDER, FILL, MARK


def worked_network() -> tuple[Value, dict[str, Value]]:
    from nn.examples import build, forward

    params = build()
    nodes = forward(params)
    nodes["E"].backward()
    return nodes["E"], {**params, **nodes}


def test_an_edge_says_what_explain_says() -> None:
    E, nodes = worked_network()
    source = draw_dot(E, highlight=nodes["w5"]).source
    assert "^(2 − 1)" not in source and "2 − 1" not in source
    assert "= 2·(target_o1 − out_o1) = −1.483>" in source
    # Every factor on the marked path, as the one writer writes it for explain's steps too.
    order = topological_order(E)
    writer = writing.PartialWriter(Naming(order))
    steps = explain(E, nodes["w5"], steps=True)
    for factor in steps.paths[0].factors:
        assert f"{factor.symbol()}" in source
    for node in order:
        for i, x in enumerate(node.inputs):
            if isinstance(x, Value) and f"∂{writer.name(node)}/∂{writer.name(x)} =" in source:
                assert writer.line(node, i, digits=4) in source


def roles_of(source: str, order: list[Value]) -> dict[str, str]:
    dot = parse(source)
    found = {}
    for v, attrs in dot.nodes.items():
        if re.fullmatch(r"v\d+", v):
            classes = re.search(r'class="([^"]*)"', attrs)
            assert classes is not None
            found[order[int(v[1:])].label] = classes.group(1)
    return found


def test_the_worked_example_shows_roles_named_inputs_and_targets_and_a_legend() -> None:
    E, _ = worked_network()
    order = topological_order(E)
    source = draw_dot(E).source
    classes = roles_of(source, order)
    assert classes["w1"] == classes["b2"] == "value parameter"
    assert classes["i1"] == classes["i2"] == "value input"
    assert classes["target_o1"] == classes["target_o2"] == "value target"
    assert classes["E"] == "value loss" and classes["out_o1"] == "value"
    for name in ("i1", "i2", "target_o1", "target_o2"):
        assert f"<B>{name}</B>" in source
    # Each role: its own fill and its own border (width, style), so grey print shows it too.
    assert len({FILL[r] for r in FILL}) == len(FILL)
    assert len({BORDER[r] for r in BORDER}) == len(BORDER)
    for role in ("parameter", "input", "target", "loss"):
        width, style = BORDER[role]
        box = next(a for v, a in parse(source).nodes.items() if f'class="value {role}"' in a)
        assert f'BORDER="{width}"' in box and f'BGCOLOR="{FILL[role]}"' in box
        assert (f'STYLE="{style}"' in box) if style else "STYLE=" not in box
    legend = re.search(r"label=<<TABLE.*?>>", source)
    assert legend is not None
    for word in ("parameter", "input", "target", "loss"):
        assert f"<TD>{word}</TD>" in legend.group(0)


def test_a_plain_expression_has_no_roles_and_no_legend() -> None:
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    y = a * b + 1.0
    source = draw_dot(y).source
    assert 'class="value parameter"' not in source and "labelloc" not in source


def test_a_marked_box_has_one_border() -> None:
    E, nodes = worked_network()
    dot = parse(draw_dot(E, highlight=nodes["w5"]).source)
    marked = [a for v, a in dot.nodes.items() if re.fullmatch(r"v\d+", v) and "highlight" in a]
    assert marked
    for attrs in marked:
        assert attrs.count(f'COLOR="{MARK}"') == 1  # the table's border, not one per cell
        assert 'CELLBORDER="0"' in attrs and "CELLBORDER=\"2\"" not in attrs


def test_captions_and_legend_in_chinese() -> None:
    E, nodes = worked_network()
    source = draw_dot(E, highlight=nodes["w5"], lang="zh").source
    assert "∂E/∂w5 = 0.08217：标出的路径上各局部导数之积" in source
    for word in ("参数", "输入", "目标值", "损失", "从 E 到 w5 的路径"):
        assert word in source
    # Names, formulas and numbers are the same in every language.
    assert "2·(target_o1 − out_o1)" in source and "data 0.4" in source
    with pytest.raises(ValueError, match="lang must be one of 'en', 'zh', not 'fr'"):
        draw_dot(E, lang="fr")


def network() -> tuple[Value, list[list[tuple[list[Value], Value]]]]:
    from autograd import linear

    rng = random.Random(5)
    layers: list[list[tuple[list[Value], Value]]] = []
    values: list[Value | float] = [0.5, -1.0, 2.0]
    for i, width in enumerate((4, 4, 1)):
        layer = []
        outs: list[Value | float] = []
        for j in range(width):
            ws = [Value(rng.uniform(-1, 1), label=f"layer{i}.neuron{j}.w{k}")
                  for k in range(len(values))]
            b = Value(0.1, label=f"layer{i}.neuron{j}.b")
            net = linear(ws, values, b)
            net.label = f"layer{i}.neuron{j}.net"
            out = net.tanh()
            out.label = f"layer{i}.neuron{j}.out"
            layer.append((ws, b))
            outs.append(out)
        layers.append(layer)
        values = outs
    loss = (values[0] - 1.0) ** 2
    loss.label = "loss"
    loss.backward()
    return loss, layers


def test_a_network_is_drawn_as_layers_with_parameters_in_order() -> None:
    loss, layers = network()
    order = topological_order(loss)
    index = {id(n): i for i, n in enumerate(order)}
    source = draw_dot(loss).source
    ranks = re.findall(r"\{rank=same; (.*?)\}", source)
    assert len(ranks) == 3
    for layer, rank in zip(layers, ranks, strict=True):
        expected = [f"v{index[id(p)]}" for ws, b in layer for p in (*ws, b)]
        assert rank.split("; ") == expected  # neuron by neuron, w0, w1, …, b
        for a, b_ in itertools.pairwise(expected):
            assert f"{a} -> {b_} [style=invis]" in source
    dot = parse(source)
    # An edge entering a layer passes a junction inside the neuron, one per input it feeds.
    junctions = dot.ids("junction")
    assert len(junctions) == 4 * 4 + 4 * 1
    for j in junctions:
        assert dot.cluster_of[j][0] in ("layer1", "layer2")
    # Edges into a neuron's Σ: one cell per weight-input pair and one for the bias.
    sigma = next(v for v, a in dot.nodes.items() if v.endswith("_op") and "Σ" in a)
    assert re.findall(r'PORT="(i\d+)"', dot.nodes[sigma]) == ["i0", "i1", "i2", "i3"]


def test_a_networks_edge_labels_use_short_names_and_tooltips_the_full_ones() -> None:
    loss, layers = network()
    weight = layers[1][2][0][0]  # layer1.neuron2.w0
    source = draw_dot(loss, highlight=weight).source
    assert "label=<∂net/∂w0 = layer0.neuron0.out = " in source
    assert 'tooltip="∂layer1.neuron2.net/∂layer1.neuron2.w0 = layer0.neuron0.out = ' in source
    assert "label=<∂layer1.neuron2.net/" not in source
    # A box inside a neuron shows the short name; its tooltip the whole label.
    assert 'tooltip="layer1.neuron2.w0"' in source


def test_hand_built_networks_still_group_and_order() -> None:
    model = mlp([2, 3, 1], random.Random(2))
    out = model([0.5, -1.0])
    out.backward()
    source = draw_dot(out).source
    assert source.count("{rank=same;") == 2  # layer0 and layer1 (one neuron: four params)
    E, _ = worked()
    assert "{rank=same;" not in draw_dot(E).source  # no nn labels: no layers
