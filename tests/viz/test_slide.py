"""The slide preset: text of at least 14 px on a 1920 × 1080 slide, else the neuron view or a
note."""

from __future__ import annotations

import importlib
import io
import random
import re
import shutil
import warnings
from pathlib import Path

import pytest

from autograd import Value
from kuibu.cli import main
from tests.viz.graphs import chain
from viz import SlideFitWarning, draw_dot, render
from viz.slide import MIN_TEXT_PX, SLIDE_FONTS, layout_size, text_px

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")


def worked_network() -> tuple[Value, dict[str, Value]]:
    from nn.examples import build, forward

    params = build()
    nodes = forward(params)
    nodes["E"].backward()
    return nodes["E"], {**params, **nodes}


def small_mlp() -> tuple[Value, Value]:
    from nn import MLP, mse

    random.seed(0)
    model = MLP(3, [4, 4, 1])
    loss = mse(model([1.0, -0.5, 2.0]), 1.0)
    loss.backward()
    return loss, model.layers[1].neurons[2].w[0]


def neuron() -> tuple[Value, Value]:
    w, x, b = Value(0.5, label="w"), Value(1.5, label="x"), Value(-0.2, label="b")
    f = (w * x + b).sigmoid()
    f.label = "f"
    f.backward()
    return f, w


def svg_text_px(svg: str) -> float:
    """The smallest text's height in pixels of an SVG drawn at 96 dpi (1 unit = 1 pixel)."""
    scale = re.search(r"scale\(([\d.]+) ", svg)
    assert scale is not None
    return min(float(s) for s in re.findall(r'font-size="([\d.]+)"', svg)) * float(scale.group(1))


def test_the_preset_asks_for_a_1920_by_1080_picture_with_larger_text() -> None:
    f, _ = neuron()
    source = draw_dot(f, size="16:9").source
    assert 'size="20,11.25!"' in source and "dpi=96" in source
    assert f'fontsize={SLIDE_FONTS.node:g}' in source
    assert 'size="15,11.25!"' in draw_dot(f, size="4:3").source
    assert "dpi=150" in draw_dot(f, size="16:9", dpi=150).source  # a sharper slide, same shape
    with pytest.raises(ValueError, match=r"size must be one of '16:9', '4:3' or None, not '3:2'"):
        draw_dot(f, size="3:2")


def test_text_px() -> None:
    assert text_px((1440.0, 810.0), SLIDE_FONTS, (1920, 1080)) == pytest.approx(16.0)
    assert text_px((720.0, 810.0), SLIDE_FONTS, (1920, 1080)) == pytest.approx(16.0)
    assert text_px((720.0, 405.0), SLIDE_FONTS, (1920, 1080)) == pytest.approx(32.0)


@pytest.mark.needs_dot
@needs_dot
def test_a_small_expression_stays_as_it_is_and_reads(tmp_path: Path) -> None:
    f, w = neuron()
    graph = draw_dot(f, highlight=w, size="16:9")
    assert 'class="neuron' not in graph.source and "∂n1/∂w = x = 1.5" in graph.source
    svg = render(graph, tmp_path / "f.svg").read_text(encoding="utf-8")
    assert svg_text_px(svg) >= MIN_TEXT_PX


@pytest.mark.needs_dot
@needs_dot
@pytest.mark.parametrize("network", ["worked", "mlp"])
def test_a_network_too_large_for_a_slide_becomes_its_neuron_view(
    network: str, tmp_path: Path
) -> None:
    root, weight = worked_network()[0], None
    if network == "mlp":
        root, weight = small_mlp()
    full = draw_dot(root, highlight=weight)
    size = layout_size(full.source)
    assert size is not None and text_px(size, SLIDE_FONTS, (1920, 1080)) < MIN_TEXT_PX
    graph = draw_dot(root, highlight=weight, size="16:9")
    assert 'class="neuron' in graph.source
    assert "does not fit a 16:9 slide with text of at least 14 px" in graph.source
    svg = render(graph, tmp_path / "n.svg").read_text(encoding="utf-8")
    assert svg_text_px(svg) >= MIN_TEXT_PX
    png = render(graph, tmp_path / "n.png")
    width, height = _png_size(png.read_bytes())
    assert (width == 1920 and height <= 1080) or (height == 1080 and width <= 1920)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@pytest.mark.needs_dot
@needs_dot
def test_what_cannot_fit_says_so() -> None:
    root = chain(120)
    # the text's size to a tenth, so it never reads as the least size it falls short of
    with pytest.warns(SlideFitWarning, match=r"does not fit a 16:9 slide .* text is \d+\.\d px"):
        graph = draw_dot(root, size="16:9")
    assert "does not fit a 16:9 slide" in graph.source and 'size="20,11.25!"' in graph.source
    with pytest.warns(SlideFitWarning):
        assert "这幅图放不进 16:9 幻灯片" in draw_dot(root, size="16:9", lang="zh").source


def test_without_dot_the_drawing_is_kept_as_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    module = importlib.import_module("viz.slide")
    monkeypatch.setattr(module.shutil, "which", lambda name: None)
    root, _ = worked_network()
    graph = draw_dot(root, size="16:9")
    assert 'class="neuron' not in graph.source and 'size="20,11.25!"' in graph.source


@pytest.mark.needs_dot
@needs_dot
def test_the_command_line_passes_size_and_notes_what_does_not_fit(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    path = tmp_path / "g.dot"
    code = main(["draw", "sigmoid(w*x + b)", "--at", "w=0.5", "x=1.5", "b=-0.2", "-o",
                 str(path), "--size", "16:9"], out, err)
    assert code == 0 and 'size="20,11.25!"' in path.read_text(encoding="utf-8")
    assert err.getvalue() == ""
    long = "+".join(f"tanh(x*{k})" for k in range(1, 40))
    code = main(["draw", long, "--at", "x=0.5", "-o", str(path), "--size", "16:9"], out, err)
    assert code == 0
    assert re.fullmatch(r"kuibu draw: note: draw_dot\(size='16:9'\): This drawing does not fit "
                        r"a 16:9 slide .*\n", err.getvalue())
    demo = tmp_path / "demo.dot"
    code = main(["demo", "--steps", "1", "--no-progress", "--out", str(demo), "--size", "16:9",
                 "--lang", "zh"], io.StringIO(), io.StringIO())
    assert code == 0 and "每个神经元画成一个方框" in demo.read_text(encoding="utf-8")


def test_render_takes_the_preset_too(tmp_path: Path) -> None:
    f, _ = neuron()
    assert 'size="20,11.25!"' in render(f, tmp_path / "a.dot", size="16:9").read_text()
    drawn = render(draw_dot(f), tmp_path / "b.dot", size="4:3").read_text()
    assert 'size="15,11.25!"' in drawn and "dpi=96" in drawn
    with pytest.raises(ValueError, match="render: size must be one of"):
        render(draw_dot(f), tmp_path / "c.dot", size="2:1")


def test_a_network_too_large_to_draw_in_full_goes_on_a_slide_as_its_neurons() -> None:
    from tests.viz.graphs import batch_loss, mlp

    rng = random.Random(3)
    loss = batch_loss(mlp([2, 3, 1], rng), 4, rng)
    loss.backward()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SlideFitWarning)
        source = draw_dot(loss, size="16:9", max_nodes=20).source
    assert 'class="neuron' in source and "4 samples" in source
    assert 'class="box"' in draw_dot(loss, max_nodes=20).source  # on a screen: collapsed
