"""The neuron view: one box per neuron, one arrow per weight into its row, the loss as a box."""

from __future__ import annotations

import random
import re

import pytest

from autograd import Value, topological_order
from tests.viz.dotsource import parse
from viz import draw_dot
from viz.neurons import find_neurons
from viz.parts import MARK


def worked_network() -> tuple[Value, dict[str, Value]]:
    from nn.examples import build, forward

    params = build()
    nodes = forward(params)
    nodes["E"].backward()
    return nodes["E"], {**params, **nodes}


def boxes(source: str) -> dict[str, str]:
    """Each neuron box's id -> its title (its first bold text)."""
    dot = parse(source)
    found = {}
    for v, attrs in dot.nodes.items():
        if 'class="neuron' in attrs:
            title = re.search(r"<B>(.*?)</B>", attrs)
            assert title is not None
            found[v] = title.group(1)
    return found


def ids_by_title(source: str) -> dict[str, str]:
    return {title: v for v, title in boxes(source).items()}


def arrows(source: str) -> list[str]:
    return re.findall(r"^\s*(\S+ -> \S+)", source, flags=re.M)


def test_the_worked_example_as_four_neurons() -> None:
    E, nodes = worked_network()
    neurons = find_neurons(topological_order(E))
    assert [n.name for n in neurons] == ["h1", "h2", "o1", "o2"]
    assert [[w.label for w, _ in n.inputs] for n in neurons] == [
        ["w1", "w2"], ["w3", "w4"], ["w5", "w6"], ["w7", "w8"]]
    assert [n.bias.label for n in neurons if n.bias] == ["b1", "b1", "b2", "b2"]
    assert neurons[0].out is nodes["out_h1"] and neurons[0].net is nodes["net_h1"]

    source = draw_dot(E, view="neurons").source
    ids = ids_by_title(source)
    assert set(ids) == {"h1", "h2", "o1", "o2"}
    sources = {re.search(r"<B>(.*?)</B>", a).group(1): v  # type: ignore[union-attr]
               for v, a in parse(source).nodes.items() if v.startswith("s")}
    assert set(sources) == {"i1", "i2", "target_o1", "target_o2"}
    expected = {
        f"{sources['i1']} -> {ids['h1']}:w0:w", f"{sources['i2']} -> {ids['h1']}:w1:w",
        f"{sources['i1']} -> {ids['h2']}:w0:w", f"{sources['i2']} -> {ids['h2']}:w1:w",
        f"{ids['h1']}:out:e -> {ids['o1']}:w0:w", f"{ids['h2']}:out:e -> {ids['o1']}:w1:w",
        f"{ids['h1']}:out:e -> {ids['o2']}:w0:w", f"{ids['h2']}:out:e -> {ids['o2']}:w1:w",
        f"{ids['o1']}:out:e -> root", f"{ids['o2']}:out:e -> root",
        f"{sources['target_o1']} -> root", f"{sources['target_o2']} -> root",
    }
    assert {a for a in arrows(source) if "style=invis" not in a} >= expected
    weight_arrows = [a for a in arrows(source) if ":w" in a.split(" -> ")[1]]
    assert len(weight_arrows) == 8  # one per weight
    # Each box: weights with data and grad, the bias, net and out.
    h1 = parse(source).nodes[ids["h1"]]
    for name in ("w1", "w2", "b1", "net_h1", "out_h1"):
        assert f"<B>{name}</B>" in h1
    assert "grad 0.0004386" in h1 and "data 0.5933" in h1 and "σ" in h1
    assert "E = ((target_o1 − out_o1)² + (target_o2 − out_o2)²)·0.5" in source


def test_a_highlight_marks_the_weights_row_and_the_path() -> None:
    E, nodes = worked_network()
    source = draw_dot(E, view="neurons", highlight=nodes["w5"]).source
    ids = ids_by_title(source)
    dot = parse(source)
    assert f'BORDER="2" COLOR="{MARK}"' in dot.nodes[ids["o1"]]  # the neuron on the path
    assert f'BORDER="2" COLOR="{MARK}"' not in dot.nodes[ids["o2"]]
    assert re.search(rf'PORT="w0" BORDER="2" COLOR="{MARK}"[^>]*><FONT[^>]*><B>w5<', source)
    marked = [a for a in source.splitlines() if "class=\"highlight\"" in a and "->" in a]
    assert len(marked) == 2  # out_h1 into w5's row, out_o1 into E
    assert "∂E/∂w5 = 0.08217" in source


def test_an_nn_network_by_layers() -> None:
    from nn import MLP, mse

    random.seed(0)
    model = MLP(3, [4, 4, 1])
    loss = mse(model([1.0, -0.5, 2.0]), 1.0)
    loss.backward()
    source = draw_dot(loss, view="neurons").source
    dot = parse(source)
    titles = [dot.cluster_of[v] for v in boxes(source)]
    assert sorted(titles) == [("layer0",)] * 4 + [("layer1",)] * 4 + [("layer2",)]
    weight_arrows = [a for a in arrows(source) if re.search(r":w\d+:w$", a)]
    assert len(weight_arrows) == 3 * 4 + 4 * 4 + 4
    inputs = [re.search(r"<B>(x\d)</B>", a) for v, a in dot.nodes.items() if v.startswith("s")]
    assert sorted(m.group(1) for m in inputs if m) == ["x0", "x1", "x2"]
    assert "loss = (1 − layer2.neuron0.out)²" in source
    assert source.count("{rank=same;") == 3  # the inputs, layer0 and layer1 (layer2: one)


def test_a_batch_has_one_box_per_neuron() -> None:
    from nn import MLP, mse

    random.seed(1)
    model = MLP(2, [3, 1])
    points = [[0.5, -1.0], [1.0, 2.0], [-0.5, 0.25]]
    loss = mse([model(p) for p in points], [1.0, -1.0, 1.0])
    loss.backward()
    source = draw_dot(loss, view="neurons").source
    assert len(boxes(source)) == 4
    assert source.count("3 samples") == 4 * 2 - 1  # net and out per box; the last is linear
    assert "3 values" in source  # each input, one number per sample


def test_no_neurons_no_view() -> None:
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    assert find_neurons(topological_order(a * b)) == []
    with pytest.raises(ValueError, match="view='neurons' found no neuron"):
        draw_dot(a * b, view="neurons")
    with pytest.raises(ValueError, match="view must be 'full' or 'neurons', not 'layers'"):
        draw_dot(a * b, view="layers")  # type: ignore[arg-type]


def test_chinese_note() -> None:
    E, _ = worked_network()
    assert "每个神经元一个方框" in draw_dot(E, view="neurons", lang="zh").source


def test_the_articles_network_reads_as_its_neurons_and_roles() -> None:
    from nn import article_network
    from viz.labels import roles

    net = article_network()
    order = topological_order(net.E)
    assert [n.name for n in find_neurons(order)] == ["2", "3", "4", "5"]
    by_label = dict(zip((n.label for n in order), roles(order) or [], strict=True))
    assert by_label["W12"] == by_label["b2"] == "parameter"
    assert by_label["t4"] == "target" and by_label["out1"] == "input"
    assert by_label["E"] == "loss"
