"""The explorer page as text: one self-contained file, the engine's numbers and names in it.

The browser tests (test_explore_browser.py) check what the page does; these check what it holds,
and that it runs inside a notebook.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograd import Naming, Value, backward_steps, topological_order
from nn.examples import build, forward
from viz import GraphTooLargeError
from viz.explore import Explorer, explore

ROOT = Path(__file__).resolve().parents[2]
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")


def page_data(page: Explorer) -> dict:  # type: ignore[type-arg]
    found = re.search(r'<script id="kuibu-data" type="application/json">(.*?)</script>',
                      page.html, flags=re.S)
    assert found is not None
    return json.loads(found.group(1))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def worked() -> tuple[Explorer, Value]:
    nodes = forward(build())
    return explore(nodes["E"]), nodes["E"]


def test_the_page_needs_nothing_from_outside(worked: tuple[Explorer, Value]) -> None:
    page, _ = worked
    html = page.html
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    assert not re.search(r"<(link|img|iframe)\b", html)
    assert not re.search(r'<script[^>]*\bsrc=', html)
    assert "@import" not in html and "url(http" not in html
    assert "default-src 'none'" in html  # and the browser is told to fetch nothing
    assert len(html.encode()) < 500_000


def test_every_name_number_and_step_is_the_engines(worked: tuple[Explorer, Value]) -> None:
    page, E = worked
    order = topological_order(E)
    naming = Naming(order)
    data = page_data(page)
    assert [n["name"] for n in data["nodes"]] == [naming.name(n) for n in order]
    assert [n["value"] for n in data["nodes"]] == [repr(n.data) for n in order]
    sweep = backward_steps(E)
    by_name = {row.node: row.grad for row in sweep.rows}
    assert [n["grad"] for n in data["nodes"]] == [repr(by_name[naming.name(n)]) for n in order]
    kinds = [s["kind"] for s in data["steps"]]
    operations = sum(1 for n in order if not n.is_leaf)
    assert kinds == ["forward"] * operations + ["backward"] * len(order)
    backward = [data["nodes"][s["node"]]["name"] for s in data["steps"][operations:]]
    assert backward == [row.node for row in sweep.rows]  # the engine's sweep order
    E.backward()
    for n, node in zip(data["nodes"], order, strict=True):
        if node.is_leaf:
            assert n["grad"] == repr(node.grad)


def test_every_value_node_carries_the_contract_attributes_empty(
    worked: tuple[Explorer, Value]
) -> None:
    page, E = worked
    elements = re.findall(r'<g class="value[^"]*" id="v(\d+)" data-index="\d+" '
                          r'data-name="([^"]*)" data-value="" data-grad=""', page.html)
    assert len(elements) == len(topological_order(E))
    assert ("0", "w5") in elements or any(name == "w1" for _, name in elements)
    for label in ("Next step", "Previous step", "Reset", "Play"):
        assert f">{label}</button>" in page.html


def test_the_chain_rule_lines_use_explains_notation(worked: tuple[Explorer, Value]) -> None:
    page, _ = worked
    texts = [s["text"] for s in page_data(page)["steps"]]
    assert texts[26].startswith("∂E/∂E = 1")
    head = "∂E/∂out_h1 is the sum of 2 terms, one per use of out_h1:"
    gathered = next(t for t in texts if t.startswith(head))
    assert "∂E/∂out_h1 = -0.0190491 + 0.0553994 = 0.0363503" in gathered.replace("−", "-")
    assert "∂out_h1/∂net_h1 = out_h1·(1 − out_h1) = 0.241301" in gathered
    assert "net_h1 = " in texts[3] or any(t.startswith("net_h1 = ") for t in texts[:26])


def test_non_finite_numbers_are_written_as_python_writes_them() -> None:
    x = Value(0.0, label="x")
    y = x.log()
    y.label = "y"
    data = page_data(explore(y))
    assert data["nodes"][1]["value"] == "-inf"
    assert data["nodes"][0]["grad"] == "inf"
    z = Value(math.inf, label="z") * 0.0
    assert page_data(explore(z))["nodes"][-1]["value"] == "nan"


def test_a_label_cannot_break_out_of_the_page() -> None:
    x = Value(1.0, label='</script><script>alert(1)</script>{{data}}"&')
    y = x * 2
    y.label = "<b>y</b>"
    page = explore(y)
    assert page.html.count("<script") == 2
    assert "<b>y</b>" not in page.html
    assert page_data(page)["nodes"][0]["name"] == x.label


def test_too_large_a_graph_is_refused_as_the_drawings_refuse_it() -> None:
    x = Value(1.0, label="x")
    y = x
    for _ in range(30):
        y = y * 1.01
    with pytest.raises(GraphTooLargeError, match=r"31 nodes, more than max_nodes=10; pass "
                       r"max_nodes=31 \(or None\)"):
        explore(y, max_nodes=10)
    assert explore(y, max_nodes=None).nodes == 31


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"rankdir": "up"}, ValueError, "rankdir must be one of LR, RL, TB, BT, not 'up'"),
    ({"max_paths": -1}, ValueError, "max_paths must be an int >= 0, not -1"),
    ({"explain_nodes": 1.5}, ValueError, "explain_nodes must be an int >= 0, not 1.5"),
])
def test_bad_arguments_are_named(kwargs: dict, error: type, match: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(error, match=re.escape(match)):
        explore(Value(1.0) * 2, **kwargs)


def test_the_root_must_be_a_value() -> None:
    with pytest.raises(TypeError, match=r"root must be a Value, not float: 1\.5"):
        explore(1.5)  # type: ignore[arg-type]


def test_without_dot_the_page_uses_a_layered_layout_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The module by its full name: viz may export the function under the same name.
    module = importlib.import_module("viz.explore")
    monkeypatch.setattr(module.shutil, "which", lambda name: None)
    nodes = forward(build())
    page = explore(nodes["E"])
    assert "simple layered layout" in page_data(page)["note"]
    assert page.html.count('class="value') == 40


@needs_dot
def test_the_layout_comes_from_dot() -> None:
    page = explore(forward(build())["E"])
    assert page_data(page)["note"] == ""
    assert re.search(r'<path class="edge in" d="M[\d.]+,[\d.]+C', page.html)


def test_save_writes_the_page_and_repr_html_isolates_it(tmp_path: Path,
                                                         worked: tuple[Explorer, Value]) -> None:
    page, _ = worked
    path = page.save(tmp_path / "sub" / "graph")
    assert path.name == "graph.html"
    assert path.read_text(encoding="utf-8") == page.html
    inline = page._repr_html_()
    assert inline.startswith('<iframe srcdoc="&lt;!DOCTYPE html&gt;')
    assert "<script" not in inline  # everything is inside the escaped srcdoc
    assert "40 nodes, 66 steps" in repr(page)


def test_a_notebook_that_displays_an_explorer_gets_its_html(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat", reason="needs nbformat")
    nbclient = pytest.importorskip("nbclient", reason="needs nbclient")
    pytest.importorskip("ipykernel", reason="needs ipykernel")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(
        "from nn.examples import build, forward\n"
        "from viz.explore import explore\n"
        "explore(forward(build())['E'])"
    )]
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = notebook.cells[0].outputs
    html = outputs[0]["data"]["text/html"]
    assert html.startswith("<iframe srcdoc=")
    assert "data-name=&quot;w1&quot;" in html


@pytest.mark.slow
def test_the_wheel_ships_the_pages_template_script_and_styles(tmp_path: Path) -> None:
    """Build the wheel, install it on its own and make a page from it."""
    pytest.importorskip("hatchling", reason="needs hatchling to build the wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path / "dist"), str(ROOT)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    wheel = next((tmp_path / "dist").glob("kuibu-*.whl"))
    site = tmp_path / "site"  # the wheel alone, put ahead of the source tree on the path
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                           "--target", str(site), str(wheel)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    code = ("import importlib, autograd; m = importlib.import_module('viz.explore'); "
            "print(m.__file__); print(len(m.explore(autograd.Value(2.0, label='x') * 3).html))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(site)})
    assert done.returncode == 0, done.stderr
    where, size = done.stdout.split()
    assert where.startswith(str(site)) and int(size) > 5000


def test_the_docs_embed_the_worked_examples_current_page() -> None:
    """docs/explorer/worked-example.html holds what explore writes today (rebuild it with
    ``python docs/make_explorer.py``); the layout may differ between Graphviz versions."""
    committed = ROOT / "docs" / "explorer" / "worked-example.html"
    html = committed.read_text(encoding="utf-8")
    fresh = explore(forward(build())["E"], title="The worked example, step by step").html

    def without_layout(text: str) -> str:
        return re.sub(r'<svg id="graph".*?</svg>', "<svg/>", text, flags=re.S)

    assert without_layout(html) == without_layout(fresh)
