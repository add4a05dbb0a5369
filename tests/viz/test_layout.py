"""Pictures that fit a screen: the chosen direction, rankdir and dpi, the collapsed view's order,
long labels, and the layering of viz's own modules (views above their parts)."""

from __future__ import annotations

import ast
import html
import random
import re
import shutil
from pathlib import Path

import pytest

from autograd import Value, topological_order
from tests.viz.dotsource import parse, svg_texts
from tests.viz.graphs import batch_loss, chain, mlp, worked
from viz import draw_dot, render

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
VIZ = Path(__file__).resolve().parents[2] / "viz"


def rankdir(source: str) -> str:
    found: list[str] = re.findall(r"rankdir=(\w+)", source)
    return found[-1]


def test_a_long_chain_goes_top_to_bottom_and_a_wide_network_left_to_right() -> None:
    E, nodes = worked()
    assert rankdir(draw_dot(E, highlight=nodes["w5"]).source) == "TB"
    assert rankdir(draw_dot(chain(40)).source) == "TB"
    model = mlp([2, 16, 16, 1], random.Random(1))
    assert rankdir(draw_dot(model([0.5, -1.0])).source) == "LR"
    a = Value(1.0, label="a")
    assert rankdir(draw_dot(a * 2).source) == "LR"  # small: fits either way, micrograd's way
    assert rankdir(draw_dot(E, rankdir="LR").source) == "LR"  # asked for: as asked


def test_dpi_and_rankdir_pass_through_and_are_checked(tmp_path: Path) -> None:
    E, _ = worked()
    assert "dpi=150" in draw_dot(E, dpi=150).source
    assert "dpi" not in draw_dot(E).source
    with pytest.raises(ValueError, match="dpi must be an int from 1 to 2400 or None, not 0"):
        draw_dot(E, dpi=0)
    out = render(draw_dot(E), tmp_path / "g.dot", rankdir="BT", dpi=120).read_text()
    assert rankdir(out) == "BT" and "dpi=120" in out
    out = render(E, tmp_path / "h.dot", rankdir="LR").read_text()
    assert rankdir(out) == "LR"
    with pytest.raises(ValueError, match="rankdir must be one of"):
        render(E, tmp_path / "i.dot", rankdir="up")


def svg_size(svg: str) -> tuple[float, float]:
    match = re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    assert match
    return float(match.group(1)), float(match.group(2))


@pytest.mark.needs_dot
@needs_dot
def test_the_worked_network_is_legible_fitted_to_a_1920_pixel_screen(tmp_path: Path) -> None:
    E, nodes = worked()
    svg = render(draw_dot(E, highlight=nodes["w5"]), tmp_path / "w.svg").read_text()
    width, height = svg_size(svg)
    smallest = min(float(s) for s in re.findall(r'font-size="([\d.]+)"', svg))
    # Left to right it was 4,639 × 331 pt: 10-point text 4.1 px high on a 1,920-px screen.
    assert smallest * min(1.0, 1920 / width) >= 9, (width, height)
    assert 0.5 < width / height < 2, (width, height)


def test_the_collapsed_view_lists_layers_and_neurons_in_order() -> None:
    rng = random.Random(2)
    model = mlp([2, 12, 3, 1], rng)
    loss = batch_loss(model, 3, rng)
    dot = parse(draw_dot(loss, max_nodes=50).source)
    titles = [m.group(1) for a in dot.nodes.values() if (m := re.search(r"<B>(.*?)</B>", a))]
    neurons = [t for t in titles if t.startswith("layer")]
    expected = [f"layer{i}.neuron{j}" for i, n in enumerate((12, 3, 1)) for j in range(n)]
    assert neurons == expected  # neuron2 before neuron10, layer0 before layer1
    source = draw_dot(loss, max_nodes=50).source
    # A layer's boxes share a rank, so they stand in one column.
    assert source.count("{rank=same;") == 2  # layer0 (12 boxes) and layer1 (3); layer2 has one
    assert "ltail=cluster_layer0 lhead=cluster_layer1" in source


@pytest.mark.needs_dot
@needs_dot
def test_a_collapsed_batch_is_no_longer_a_tower(tmp_path: Path) -> None:
    rng = random.Random(0)
    model = mlp([2, 16, 16, 1], rng)
    loss = batch_loss(model, 8, rng)
    svg = render(loss, tmp_path / "c.svg").read_text()
    width, height = svg_size(svg)
    assert width <= 2133 and height / width < 2, (width, height)  # was 1,434 × 8,688 pt


NASTY = 'say "hi" <b>&amp; 学习 \\ {a|b}\nnext line'


@pytest.mark.parametrize("length", [50, 400, 20_000])
def test_long_and_nasty_labels_are_shortened_with_the_whole_text_in_the_tooltip(
    length: int,
) -> None:
    label = (NASTY * (length // len(NASTY) + 1))[:length]
    x = Value(1.5, label=label)
    y = x * 2
    y.backward()
    source = draw_dot(y, show_partials=True).source
    shown = re.search(r"<B>(.*?)</B>", source)
    assert shown is not None
    # A backslash is written doubled (Graphviz reads \N, \G ... in a label), four times in a
    # tooltip (the DOT lexer halves them first).
    text = html.unescape(shown.group(1).replace("<BR/>", "\n")).replace("\\\\", "\\")
    if length <= 300:
        assert text == label and "tooltip" not in parse(source).nodes["v0"]
    else:
        assert len(text) == 300 and text.endswith("…") and label.startswith(text[:-1])
        tip = re.search(r"v0 \[.*? tooltip=(.*?) class=", source)
        assert tip is not None
        pieces = re.findall(r'"((?:[^"\\]|\\.)*)"', tip.group(1))
        assert all(len(p.encode()) < 16_384 for p in pieces)
        unquoted = {"\\" * 4: "\\", '\\"': '"', "\\n": "\n"}
        joined = re.sub(r'\\{4}|\\"|\\n', lambda m: unquoted[m.group(0)], "".join(pieces))
        assert joined.replace("&amp;", "&") == label
    assert max(len(line.encode()) for line in source.splitlines()) < 16_384 or length > 300


@pytest.mark.needs_dot
@needs_dot
def test_dot_draws_a_20000_character_label(tmp_path: Path) -> None:
    label = (NASTY * 2000)[:20_000]
    x = Value(1.5, label=label)
    y = x * 2
    y.label = "学习"
    y.backward()
    svg = render(draw_dot(y, show_partials=True), tmp_path / "long.svg").read_text()
    texts = svg_texts(svg)
    assert any(t.endswith("…") for t in texts)
    assert "学习" in texts
    assert 'xlink:title="say &quot;hi&quot; &lt;b&gt;&amp;amp; 学习' in svg  # the tooltip


def viz_imports() -> dict[str, set[str]]:
    """Each viz module -> the viz modules it imports."""
    found = {}
    for path in sorted(VIZ.glob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("viz."):
                names.add(node.module.removeprefix("viz."))
            elif isinstance(node, ast.Import):
                names.update(a.name.removeprefix("viz.") for a in node.names
                             if a.name.startswith("viz."))
        found[path.stem] = names
    return found


#: viz's layers: a module imports only modules of lower layers (the package's __init__ aside).
LAYERS = {
    "labels": 0, "captions": 0, "parts": 1, "full": 2, "collapse": 2, "neurons": 2, "slide": 2,
    "dot": 3, "render": 4, "explore": 5, "plot": 0, "cost": 0,
    "structure": 0, "structured": 2,  # a transformer step's blocks, and their drawing
    "step_page": 6,  # a transformer step's page, which reuses the explorer's Explorer
    # the explorer page's pieces, which only viz.explore imports
    "explorer.words": 0, "explorer.timeline": 2, "explorer.layout": 3, "explorer.svg": 4,
}


def test_views_sit_above_their_parts_and_nothing_imports_back() -> None:
    imports = viz_imports()
    for module, names in imports.items():
        if module == "__init__":
            continue
        assert module in LAYERS, f"viz/{module}.py: give it a layer in this test"
        for name in names:
            assert name in LAYERS, f"viz/{module}.py imports viz.{name}, which has no layer"
            assert LAYERS[name] < LAYERS[module], f"viz/{module}.py imports viz.{name}"
    # The views share parts, not each other.
    assert "dot" not in imports["collapse"] and "collapse" not in imports["full"]
    assert imports["collapse"] >= {"parts"} and imports["full"] >= {"parts"}


def test_every_node_of_a_big_unlabelled_graph_still_has_one_name() -> None:
    root = chain(60)
    dot = parse(draw_dot(root).source)
    names = [re.search(r"<TD><[BI]>(.*?)</[BI]></TD>", a) for v, a in dot.nodes.items()
             if re.fullmatch(r"v\d+", v)]
    shown = [m.group(1) for m in names if m]
    assert len(shown) == len(set(shown)) == len(topological_order(root))


@pytest.mark.needs_dot
@needs_dot
def test_a_20000_digit_neuron_number_draws_in_both_views(tmp_path: Path) -> None:
    w = Value(0.5, label="layer" + "1" * 20_000 + ".neuron0.w0")
    y = w * 2
    y.label = "loss"
    y.backward()
    assert render(draw_dot(y, highlight=w), tmp_path / "full.svg").exists()
    assert render(draw_dot(y, max_nodes=1), tmp_path / "collapsed.svg").exists()
