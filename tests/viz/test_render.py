"""render: real SVG/PNG/PDF from Graphviz's dot, the DOT source without it, and clear failures."""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

import pytest

from autograd import Value, topological_order
from tests.viz.dotsource import num, parse, svg_groups, svg_texts
from tests.viz.graphs import batch_loss, mlp
from viz import DotNotFoundError, RenderError, draw_dot, render

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")


def neuron() -> tuple[Value, Value]:
    w, x = Value(0.5, label="w"), Value(-1.5, label="x")
    out = (w * x + x * x * 0.1).tanh()
    out.label = "out"
    out.backward()
    return out, w


@pytest.mark.needs_dot
@needs_dot
def test_svg_has_one_node_per_value_operation_and_constant(tmp_path: Path) -> None:
    root, _ = neuron()
    order = topological_order(root)
    path = render(root, tmp_path / "graph.svg")
    assert path == tmp_path / "graph.svg"
    svg = path.read_text(encoding="utf-8")
    nodes = svg_groups(svg, "node")  # parses the SVG as XML
    operations = [n for n in order if not n.is_leaf]
    constants = [x for n in operations for x in n.inputs if not isinstance(x, Value)]
    assert len(nodes) == len(order) + len(operations) + len(constants)
    assert len(svg_groups(svg, "edge")) == sum(len(n.inputs) + 1 for n in operations)
    texts = svg_texts(svg)
    assert f"data {num(root.data)}" in texts and f"grad {num(w_grad(root))}" in texts


def w_grad(root: Value) -> float:
    return topological_order(root)[0].grad


@pytest.mark.needs_dot
@needs_dot
def test_highlighted_svg_marks_exactly_the_nodes_on_the_paths(tmp_path: Path) -> None:
    root, w = neuron()
    graph = draw_dot(root, highlight=w)
    expected = {v for v, attrs in parse(graph.source).nodes.items() if "highlight" in attrs}
    svg = render(graph, tmp_path / "h.svg").read_text(encoding="utf-8")
    marked = {title for title, classes in svg_groups(svg, "node") if "highlight" in classes}
    # w -> × -> (w·x) -> + -> (sum) -> tanh -> out: 4 boxes and 3 operations, x·x is off the path.
    assert marked == expected and len(marked) == 7


@pytest.mark.needs_dot
@needs_dot
def test_escaped_labels_are_drawn_as_written(tmp_path: Path) -> None:
    nasty = 'say "hi" {a|b} <c> \\d & \'e\''
    root = Value(1.0, label=nasty) * 2
    svg = render(root, tmp_path / "n.svg").read_text(encoding="utf-8")
    assert nasty in svg_texts(svg)


@pytest.mark.needs_dot
@needs_dot
@pytest.mark.parametrize(("fmt", "magic"), [("png", b"\x89PNG"), ("pdf", b"%PDF")])
def test_png_and_pdf(tmp_path: Path, fmt: str, magic: bytes) -> None:
    root, _ = neuron()
    path = render(root, tmp_path / "g", format=fmt)
    assert path.name == f"g.{fmt}"
    assert path.read_bytes().startswith(magic)


@pytest.mark.needs_dot
@needs_dot
def test_a_collapsed_batch_renders_within_seconds(tmp_path: Path) -> None:
    rng = random.Random(5)
    model = mlp([2, 16, 16, 1], rng)
    loss = batch_loss(model, 8, rng)  # about 8,000 nodes
    start = time.perf_counter()
    svg = render(loss, tmp_path / "batch.svg").read_text(encoding="utf-8")
    assert time.perf_counter() - start < 20
    assert len(svg_groups(svg, "node")) == 16 + 16 + 1 + 1 + 1  # neurons, other, loss


def test_dot_source_needs_no_graphviz(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    root, _ = neuron()
    path = render(root, tmp_path / "g.dot")
    assert path.read_text(encoding="utf-8") == draw_dot(root).source
    assert render(root, tmp_path / "h", format="gv").suffix == ".gv"


def test_missing_dot_says_how_to_install_and_where_the_source_went(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert shutil.which("dot") is None
    root, _ = neuron()
    with pytest.raises(DotNotFoundError) as caught:
        render(root, tmp_path / "out" / "graph.png")
    message = str(caught.value)
    source = tmp_path / "out" / "graph.dot"
    assert caught.value.source_path == source
    assert source.read_text(encoding="utf-8") == (
        f"// DOT source written by kuibu for graph.png\n{draw_dot(root).source}")
    assert "`dot` program was not found" in message and str(source) in message
    for command in ("apt install graphviz", "brew install graphviz",
                    "conda install -c conda-forge graphviz", "winget install graphviz"):
        assert command in message
    assert not (tmp_path / "out" / "graph.png").exists()


@pytest.mark.needs_dot
@needs_dot
def test_a_dot_that_runs_too_long_is_stopped(tmp_path: Path) -> None:
    root, _ = neuron()
    with pytest.raises(RenderError, match="did not finish") as caught:
        render(root, tmp_path / "slow.svg", timeout=1e-6)
    assert caught.value.source_path.exists()


def test_bad_formats_and_graphs(tmp_path: Path) -> None:
    root, _ = neuron()
    with pytest.raises(ValueError, match="format must be one of svg, png, pdf, dot, gv, not 'txt'"):
        render(root, tmp_path / "g.txt")
    with pytest.raises(ValueError, match=r"ends in \.png but format is 'svg'"):
        render(root, tmp_path / "g.png", format="svg")
    with pytest.raises(TypeError, match=r"a graphviz\.Digraph \(from draw_dot\), not str"):
        render("x", tmp_path / "g.svg")  # type: ignore[arg-type]
