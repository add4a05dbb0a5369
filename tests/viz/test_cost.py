"""Drawings never make anyone wait blind: the layout's cost is estimated before dot runs, a slow
one is drawn spread or refused at once, dot reports progress and stops in time, a PNG keeps to
its pixel budget, and nothing but a complete drawing replaces a file (and only a regular one)."""

from __future__ import annotations

import importlib
import itertools
import os
import random
import re
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest

from autograd import Value
from tests.viz.dotsource import parse, svg_groups
from tests.viz.graphs import batch_loss, mlp
from viz import draw_dot, explore
from viz.cost import QUICK, estimate, spread
from viz.render import (
    DotTimeoutError,
    ImageTooLargeError,
    Layout,
    LayoutTooSlowError,
    RenderError,
    plan,
    render,
)

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")


def total(n: int) -> Value:
    """x + x + … + x, n terms: one leaf used all along a chain of 2n ranks."""
    x = Value(1.0, label="x")
    y = x
    for _ in range(n - 1):
        y = y + x
    y.backward()
    return y


def sines(n: int) -> Value:
    """sin(x*1) + … + sin(x*n)."""
    x = Value(1.0, label="x")
    y = (x * 1).sin()
    for k in range(2, n + 1):
        y = y + (x * k).sin()
    y.backward()
    return y


def neuron() -> Value:
    w, x = Value(0.5, label="w"), Value(-1.5, label="x")
    out = (w * x + x * x * 0.1).tanh()
    out.backward()
    return out


# -- the estimate ---------------------------------------------------------------------------


def test_a_leaf_used_along_a_chain_costs_the_square_of_its_length() -> None:
    costs = {n: estimate(draw_dot(total(n)).source) for n in (10, 20, 40)}
    for n, cost in costs.items():
        assert cost.nodes == 2 * n - 1 and cost.edges == 3 * (n - 1)
        # the k-th + sits on rank 2k − 1, and x on rank 0 feeds it: 2k − 2 virtual nodes
        assert cost.virtual == sum(2 * k - 2 for k in range(1, n)) == (n - 1) * (n - 2)
    assert costs[10].seconds < costs[20].seconds < costs[40].seconds


def test_a_leaf_is_ranked_just_before_its_only_use() -> None:
    x = Value(1.0, label="x")
    y = x
    for _ in range(50):
        y = y.tanh()
    late = Value(2.0, label="late")
    cost = estimate(draw_dot(y * late).source)  # late is used once, at the end: no long edge
    assert cost.virtual == 0


def test_labelled_edges_double_every_span() -> None:
    root = total(20)
    x = next(n for n in root.parents if n.label == "x")
    plain = estimate(draw_dot(root).source)
    marked = estimate(draw_dot(root, highlight=x).source)
    assert marked.labels > 0 and marked.virtual > 2 * plain.virtual


def test_the_slow_shapes_are_recognised_and_the_usual_ones_are_not() -> None:
    assert estimate(draw_dot(total(100)).source).seconds > 60
    assert estimate(draw_dot(sines(100)).source).seconds > 60
    assert estimate(draw_dot(neuron()).source).seconds < 0.1
    rng = random.Random(1)
    loss = batch_loss(mlp([2, 16, 16, 1], rng), 1, rng)
    assert estimate(draw_dot(loss).source).seconds < QUICK


# -- spreading ------------------------------------------------------------------------------


def _edges_by_label(source: str) -> list[tuple[str, str]]:
    """The edges with each end named by its node's label text, so a copy reads as its value."""
    dot = parse(source)

    def text(node: str) -> str:
        attrs = dot.nodes.get(node, "")
        found = re.search(r"label=<(.*)>", attrs)
        inner = found.group(1) if found else node
        # a copy's label is the value's own table inside a dashed frame
        inner = re.sub(r'^<TABLE BORDER="1" STYLE="dashed"[^>]*><TR><TD>(.*)</TD></TR></TABLE>$',
                       r"\1", inner)
        return inner

    return sorted((text(t), text(h)) for t, h, _ in dot.edges)


@pytest.mark.parametrize("build", [lambda: total(100), lambda: sines(100)])
def test_a_slow_drawing_spread_is_quick_and_shows_every_edge(build: object) -> None:
    root = build()  # type: ignore[operator]
    source = draw_dot(root).source
    quick, cost, copies = spread(source)
    assert copies > 0 and cost.seconds <= QUICK
    assert _edges_by_label(quick) == _edges_by_label(source)  # same edges between same values
    assert quick.count('STYLE="dashed"') == copies
    assert "drawn again beside a distant use" in quick


def test_a_quick_drawing_is_not_spread() -> None:
    source = draw_dot(neuron()).source
    assert spread(source)[0] == source
    drawn, layout = plan(source)
    assert drawn == source and layout.copies == 0
    assert plan(draw_dot(total(100)).source, "never")[1].copies == 0


@needs_dot
@pytest.mark.parametrize(("build", "terms"), [(total, 100), (sines, 100)])
def test_the_issues_slow_drawings_are_drawn_within_seconds(
    tmp_path: Path, build: object, terms: int
) -> None:
    root = build(terms)  # type: ignore[operator]
    seen: list[Layout] = []
    start = time.perf_counter()
    path = render(root, tmp_path / "g.svg", progress=lambda s, layout: seen.append(layout))
    took = time.perf_counter() - start
    assert took < 5, f"{took:.1f} s"
    assert seen and seen[0].copies > 0 and seen[0].recorded.seconds > 60
    svg = path.read_text(encoding="utf-8")
    assert len(svg_groups(svg, "node")) == seen[0].drawn.nodes


@needs_dot
def test_a_slow_drawing_as_recorded_is_refused_at_once(tmp_path: Path) -> None:
    start = time.perf_counter()
    with pytest.raises(LayoutTooSlowError, match="would take about") as caught:
        render(total(100), tmp_path / "g.svg", collapse="never", timeout=60)
    assert time.perf_counter() - start < 5
    assert caught.value.cost.seconds > 60 and caught.value.source_path is None
    assert caught.value.spread is not None and caught.value.spread.seconds <= QUICK
    assert "collapse='auto' draws values used far away again" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


# -- dot under watch ------------------------------------------------------------------------


def _fake_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> None:
    """A `dot` on PATH that runs `script` (a POSIX shell) instead of Graphviz."""
    if os.name != "posix":
        pytest.skip("a shell script standing in for dot")
    folder = tmp_path / "bin"
    folder.mkdir()
    fake = folder / "dot"
    fake.write_text(f"#!/bin/sh\ncat > /dev/null\n{script}\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")


def test_progress_is_reported_while_dot_runs(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_dot(tmp_path, monkeypatch, "sleep 2; echo '<svg/>'")
    ticks: list[float] = []
    path = render(neuron(), tmp_path / "g.svg", progress=lambda s, _: ticks.append(s))
    assert path.read_text() == "<svg/>\n"
    assert ticks[0] == 0.0 and max(ticks) >= 1.0
    assert all(b > a for a, b in itertools.pairwise(ticks))


def test_a_dot_past_its_time_is_stopped_and_the_old_drawing_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "g.svg"
    target.write_text("the old drawing")
    _fake_dot(tmp_path, monkeypatch, "sleep 30; echo '<svg/>'")
    start = time.perf_counter()
    with pytest.raises(DotTimeoutError, match="did not finish") as caught:
        render(neuron(), target, timeout=1.0)
    assert time.perf_counter() - start < 10
    assert caught.value.timeout == 1.0 and caught.value.source_path == tmp_path / "g.dot"
    assert target.read_text() == "the old drawing"


def test_a_failing_dot_leaves_the_old_drawing(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "g.svg"
    target.write_text("the old drawing")
    _fake_dot(tmp_path, monkeypatch, "echo '<svg half' ; echo 'Error: broken' >&2; exit 1")
    with pytest.raises(RenderError, match=r"exit status 1.*Error: broken"):
        render(neuron(), target)
    assert target.read_text() == "the old drawing"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "g.dot", "g.svg"]


# -- files that are not ours ----------------------------------------------------------------


def test_the_dot_source_never_replaces_a_file_kuibu_did_not_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_dot(tmp_path, monkeypatch, "exit 1")
    mine = tmp_path / "g.dot"
    mine.write_text("digraph { my own }")
    for _ in range(2):  # the second failure reuses the file the first one wrote
        with pytest.raises(RenderError, match=r"the DOT source is in .*g-1\.dot"):
            render(neuron(), tmp_path / "g.svg")
    assert mine.read_text() == "digraph { my own }"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "g-1.dot", "g.dot"]
    assert (tmp_path / "g-1.dot").read_text().startswith("// DOT source written by kuibu for g.svg")


def test_a_drawing_never_replaces_a_fifo_and_follows_a_link(tmp_path: Path) -> None:
    if os.name != "posix":
        pytest.skip("FIFOs and symbolic links as POSIX has them")
    fifo = tmp_path / "pipe.dot"
    os.mkfifo(fifo)
    with pytest.raises(RenderError, match="is a FIFO"):
        render(neuron(), fifo)  # would block on open, or replace the FIFO, before
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    real = tmp_path / "drawings" / "real.dot"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "link.dot"
    link.symlink_to(real)
    render(neuron(), link)
    assert link.is_symlink() and real.read_text().startswith("digraph")


def test_a_new_drawing_gets_the_usual_permissions(tmp_path: Path) -> None:
    if os.name != "posix":
        pytest.skip("POSIX permissions")
    path = render(neuron(), tmp_path / "g.dot")
    umask = os.umask(0o022)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


# -- the pixel budget -----------------------------------------------------------------------


@needs_dot
def test_a_png_over_the_pixel_budget_is_refused_naming_a_dpi_that_fits(tmp_path: Path) -> None:
    root = total(30)
    with pytest.raises(ImageTooLargeError, match="megapixels") as caught:
        render(root, tmp_path / "g.png", dpi=2400)
    e = caught.value
    assert e.width * e.height > 50_000_000 and e.dpi == 2400
    assert list(tmp_path.iterdir()) == []
    assert (e.width / 2400 * e.largest_dpi) * (e.height / 2400 * e.largest_dpi) <= 50_000_000
    small = render(root, tmp_path / "g.png", dpi=min(e.largest_dpi, 72))
    assert small.read_bytes().startswith(b"\x89PNG")


# -- the explorer page ----------------------------------------------------------------------


def test_a_page_of_a_slow_layout_uses_the_simple_one_at_once() -> None:
    start = time.perf_counter()
    page = explore(total(100))
    assert time.perf_counter() - start < 20  # its explanations take the time, not a layout
    assert "would take about" in page.html and "simple layered layout" in page.html


def test_a_page_whose_layout_times_out_falls_back_to_the_simple_one(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = importlib.import_module("viz.explorer.layout")

    def slow(*_: object) -> tuple[float, float]:
        raise subprocess.TimeoutExpired("dot", layout.LAYOUT_TIMEOUT)

    monkeypatch.setattr(layout, "_dot_layout", slow)
    monkeypatch.setattr(layout.shutil, "which", lambda name: "/usr/bin/dot")
    page = explore(neuron())
    assert "did not lay this graph out within" in page.html
