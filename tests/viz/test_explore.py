"""The explorer page as text: one self-contained file, the engine's numbers and names in it.

The browser tests (test_explore_browser.py) check what the page does; these check what it holds,
and that it runs inside a notebook.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from autograd import Naming, Value, backward_steps, topological_order
from nn import MLP
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
    assert kinds == ["forward"] * operations + ["backward"] * len(order) + ["final"]
    backward = [data["nodes"][s["node"]]["name"] for s in data["steps"][operations:-1]]
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
        assert f'type="button" aria-label="{label}">' in page.html


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
    ({"rankdir": "up"}, ValueError, "rankdir must be one of LR, RL, TB, BT or None, not 'up'"),
    ({"view": "layers"}, ValueError, "view must be one of values, neurons, not 'layers'"),
    ({"lang": "fr"}, ValueError, "lang must be one of en, zh, not 'fr'"),
    ({"lr": math.nan}, ValueError, "lr must be a finite number or None, not nan"),
    ({"lr": "0.5"}, ValueError, "lr must be a finite number or None, not '0.5'"),
    ({"title": 3}, TypeError, "title must be a str or None, not int: 3"),
    ({"subtitle": b"f"}, TypeError, "subtitle must be a str or None, not bytes: b'f'"),
    ({"max_paths": -1}, ValueError, "max_paths must be an int >= 0, not -1"),
    ({"explain_nodes": 1.5}, ValueError, "explain_nodes must be an int >= 0, not 1.5"),
    ({"timeout": 0}, ValueError, "timeout must be a positive number of seconds, not 0"),
    ({"timeout": math.inf}, ValueError, "timeout must be a positive number of seconds, not inf"),
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
    module = importlib.import_module("viz.explorer.layout")
    monkeypatch.setattr(module.shutil, "which", lambda name: None)
    nodes = forward(build())
    for rankdir in ("LR", "TB", "RL", "BT"):
        page = explore(nodes["E"], rankdir=rankdir)
        assert "simple layered layout" in page_data(page)["note"]
        assert page.html.count('class="value box') == 40
        layout = page_data(page)["layouts"][f"values:{rankdir}"]
        xs = [x for x, _ in layout["pos"].values()]
        ys = [y for _, y in layout["pos"].values()]
        leaf, root = layout["pos"]["v1"], layout["pos"]["v39"]  # w1, then E
        # the ranks run along the direction asked for: from the leaf towards the root
        along = {"LR": root[0] > leaf[0], "RL": root[0] < leaf[0],
                 "TB": root[1] > leaf[1], "BT": root[1] < leaf[1]}[rankdir]
        assert along and min(xs) >= 0 and min(ys) >= 0


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
    assert "40 nodes, 67 steps" in repr(page)


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


def _make_explorer() -> Any:
    """docs/make_explorer.py, loaded as a module: the arguments the docs' page is made with."""
    script = ROOT / "docs" / "make_explorer.py"
    spec = importlib.util.spec_from_file_location("make_explorer", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_docs_embed_the_worked_examples_current_page(lang: str) -> None:
    """docs/explorer/worked-example.html (and .zh.html) holds what explore writes today
    (rebuild it with ``python docs/make_explorer.py``); the layout may differ between Graphviz
    versions."""
    make = _make_explorer()
    committed = make.PAGES[lang].read_text(encoding="utf-8")
    fresh = make.explorer(lang).html

    def without_layout(text: str) -> tuple[str, dict]:  # type: ignore[type-arg]
        found = re.search(r'(<script id="kuibu-data" type="application/json">)(.*?)(</script>)',
                          text, flags=re.S)
        assert found is not None
        data = json.loads(found.group(2))
        del data["layouts"]
        rest = text[:found.start(2)] + text[found.end(2):]
        return re.sub(r'<svg id="graph".*?</svg>', "<svg/>", rest, flags=re.S), data

    assert without_layout(committed) == without_layout(fresh)


class _Shown(HTMLParser):
    """The text a page shows and the labels it reads aloud, outside its scripts and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.skip += tag in ("script", "style")
        self.parts += [v for k, v in attrs if k in ("aria-label", "title", "alt") and v]

    def handle_endtag(self, tag: str) -> None:
        self.skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self.skip and data.strip():
            self.parts.append(data.strip())


def _shown_text(html: str) -> list[str]:
    parser = _Shown()
    parser.feed(html)
    return parser.parts


# -- what the page says, and in which language -----------------------------------------------------


def test_every_number_on_screen_has_one_precision_and_the_formulas_minus_sign(
    worked: tuple[Explorer, Value]
) -> None:
    page, E = worked
    data = page_data(page)
    order = topological_order(E)
    sweep = {row.node: row.grad for row in backward_steps(E).rows}
    for n, node in zip(data["nodes"], order, strict=True):
        assert n["valueText"] == f"{node.data:.6g}".replace("-", "−")
        assert n["gradText"] == f"{sweep[n['name']]:.6g}".replace("-", "−")
        assert float(n["valueExact"].replace("−", "-")) == node.data  # the exact value, on demand
        assert float(n["gradExact"].replace("−", "-")) == sweep[n["name"]]
    shown = [s["text"] for s in data["steps"]] + [t for n in data["nodes"] for _, t, _ in n["sums"]]
    shown += [n["explanation"] for n in data["nodes"]]
    for text in shown:
        assert not re.search(r"(?<![\w.])-\d", text), text  # ASCII hyphen-minus before a number
    assert "−0.0190491" in json.dumps(data, ensure_ascii=False)


def test_the_last_step_tables_the_gradients_and_one_step_of_descent() -> None:
    params = build()
    E = forward(params)["E"]
    data = page_data(explore(E, lr=0.5))
    final = data["steps"][-1]
    assert final["kind"] == "final" and "w ← w − lr·∂E/∂w with lr = 0.5" in final["text"]
    E.backward()
    rows = {row[0]: row for row in final["rows"]}
    assert sorted(rows) == sorted(params)
    for name, p in params.items():
        _, value, grad, value_exact, grad_exact, new, new_exact = rows[name]
        for text, exact, number in ((value, value_exact, p.data), (grad, grad_exact, p.grad),
                                    (new, new_exact, p.data - 0.5 * p.grad)):
            assert float(exact.replace("−", "-")) == number  # Python's number, to the last bit
            assert text == f"{number:.6g}".replace("-", "−")  # shown in the page's precision
    assert round(float(rows["w5"][6]), 8) == 0.35891648  # Mazur's published w5 after one step
    without = page_data(explore(E))["steps"][-1]
    assert len(without["rows"][0]) == 5 and "pass lr to explore" in without["text"]


def test_a_networks_table_lists_its_parameters_not_its_inputs() -> None:
    out = MLP(3, [4, 4, 1], rng=0)([Value(0.5, label="x0"), Value(-1.0, label="x1"),
                                    Value(2.0, label="x2")])
    final = page_data(explore(out))["steps"][-1]
    names = [row[0] for row in final["rows"]]
    assert len(names) == 4 * 4 + 4 * 5 + 5 and "x0" not in names
    assert names[:3] == ["layer0.neuron0.b", "layer0.neuron0.w0", "layer0.neuron0.w1"]


def test_the_header_shows_the_title_and_what_the_graph_is() -> None:
    x = Value(2.0, label="x")
    y = (x * x).sin()
    page = explore(y, title="a <b>title</b>", subtitle="f = sin(x*x) & more")
    assert "<h1>a &lt;b&gt;title&lt;/b&gt;</h1>" in page.html
    assert '<p id="subtitle">f = sin(x*x) &amp; more</p>' in page.html
    assert "<title>a &lt;b&gt;title&lt;/b&gt;</title>" in page.html


@needs_dot
def test_the_page_and_the_drawing_choose_the_same_direction() -> None:
    from viz import draw_dot

    E = forward(build())["E"]
    data = page_data(explore(E))
    drawn = draw_dot(E).graph_attr["rankdir"]
    assert data["views"]["values"] == {"wide": f"values:{drawn}", "tall": f"values:{drawn}"}
    assert drawn == "TB"  # a long chain: top to bottom on a monitor and on a phone
    asked = page_data(explore(E, rankdir="LR"))
    assert asked["views"]["values"] == {"wide": "values:LR", "tall": "values:LR"}
    assert list(asked["layouts"]) == ["values:LR"]
    layout = asked["layouts"]["values:LR"]
    assert layout["pos"]["v35"][0] > layout["pos"]["v1"][0]  # E right of w1
    assert layout["w"] > layout["h"]


@needs_dot
def test_a_page_holds_a_layout_for_a_monitor_and_one_for_a_phone() -> None:
    # Three short chains side by side: across a monitor, but down a phone held upright.
    chains = []
    for k in range(3):
        x = Value(0.1 * k, label=f"x{k}")
        for _ in range(4):
            x = x.tanh()
        chains.append(x)
    data = page_data(explore(chains[0] + chains[1] + chains[2]))
    assert data["views"]["values"] == {"wide": "values:LR", "tall": "values:TB"}
    lr, tb = data["layouts"]["values:LR"], data["layouts"]["values:TB"]
    assert lr["w"] > lr["h"] and tb["h"] > tb["w"]
    assert set(lr["pos"]) == set(tb["pos"])  # the same shapes, placed twice


def mlp_loss() -> Value:
    model = MLP(3, [4, 4, 1], rng=0)
    out = model([Value(0.5, label="x0"), Value(-1.0, label="x1"), Value(2.0, label="x2")])
    loss = (out - 1.0) ** 2
    loss.label = "loss"
    return loss


def test_a_networks_page_has_a_box_per_neuron() -> None:
    loss = mlp_loss()
    page = explore(loss, view="neurons")
    data = page_data(page)
    assert data["view"] == "neurons"
    assert [u["name"] for u in data["units"]] == (
        [f"layer0.neuron{k}" for k in range(4)] + [f"layer1.neuron{k}" for k in range(4)]
        + ["layer2.neuron0"])
    order = topological_order(loss)
    naming = Naming(order)
    for u, unit in enumerate(data["units"]):
        names = [naming.name(order[i]) for i in unit["members"]]
        assert all(n.startswith(unit["name"] + ".") for n in names)
        assert naming.name(order[unit["rep"]]) == unit["name"] + ".out"
        assert data["boxOf"]["neurons"][unit["rep"]] == f"u{u}"
        assert f'id="u{u}" data-unit="{u}"' in page.html
    # what stays outside every neuron: the inputs and the loss's own operations
    outside = [naming.name(order[i]) for i, box in enumerate(data["boxOf"]["neurons"])
               if box.startswith("v")]
    assert {"x0", "x1", "x2", "loss"} <= set(outside) and len(outside) == 3 + 2
    assert 'id="view" type="button" aria-pressed="true"' in page.html
    both = page_data(explore(loss))
    assert both["view"] == "values" and set(both["views"]) == {"values", "neurons"}


def test_only_a_network_has_a_neuron_view() -> None:
    E = forward(build())["E"]
    with pytest.raises(ValueError, match=r"view='neurons' needs a network's labels"):
        explore(E, view="neurons")
    page = explore(E)
    assert 'aria-pressed="false" title="One box per neuron' in page.html
    assert re.search(r'<button id="view"[^>]* hidden>', page.html)


def test_the_page_speaks_chinese() -> None:
    params = build()
    E = forward(params)["E"]
    page = explore(E, lang="zh", lr=0.5)
    html = page.html
    data = page_data(page)
    assert html.startswith('<!DOCTYPE html>\n<html lang="zh">')
    for label in ("下一步", "上一步", "重置", "播放", "放大", "缩小", "全图", "图例"):
        assert label in html
    assert data["words"]["next"] == "下一步"
    # No sentence of the English table is left in what the page shows or reads aloud.
    from viz.explorer.words import page_words

    shown = " ".join(_shown_text(html))
    for key, text in page_words("en").items():
        if text != page_words("zh")[key] and "{" not in text:
            assert text not in shown, key
    texts = [s["text"] for s in data["steps"]]
    assert texts[26].startswith("∂E/∂E = 1：反向传播从输出开始")
    assert any("是 2 项之和" in t for t in texts)
    assert "所有梯度都已完整" in texts[-1]
    w1 = next(n for n in data["nodes"] if n["name"] == "w1")
    assert "对 2 条路径求和" in w1["explanation"]
    assert w1["sums"][0][1].endswith("（1/1）")


# -- what the page embeds ------------------------------------------------------------------------


def test_lone_surrogates_in_labels_are_replaced_so_save_always_works(tmp_path: Path) -> None:
    x = Value(1.0, label="x\ud800")
    y = x * 2
    y.label = "y\udfff"
    page = explore(y, title="t\ud83d", subtitle="s\udc00")
    path = page.save(tmp_path / "page")
    text = path.read_bytes().decode("utf-8")  # strict: the file is valid UTF-8
    assert "x\ufffd" in text and "y\ufffd" in text and "t\ufffd" in text and "s\ufffd" in text
    assert page.title == "t\ufffd"
    assert not re.search("[\ud800-\udfff]", page.html)


def test_what_the_page_embeds_cannot_end_its_script_or_start_a_comment() -> None:
    x = Value(1.0, label="</script><!--\u2028\u2029</SCRIPT ")
    y = x * 2
    y.label = "<!-- -->"
    page = explore(y, subtitle="</script>")
    found = re.search(r'<script id="kuibu-data" type="application/json">(.*?)</script>',
                      page.html, flags=re.S)
    assert found is not None
    raw = found.group(1)
    assert "<" not in raw and "\u2028" not in raw and "\u2029" not in raw
    assert json.loads(raw)["nodes"][0]["name"] == x.label
    assert page.html.count("<script") == 2 and page.html.count("</script>") == 2
    assert "<!--" not in page.html


def test_the_cli_page_shows_the_expression_and_honours_rankdir(tmp_path: Path) -> None:
    from kuibu.cli import main

    path = tmp_path / "page.html"
    code = main(["grad", "sin(x)*y", "--at", "x=1", "y=2", "--html", str(path),
                 "--rankdir", "LR"])
    assert code == 0
    html = path.read_text(encoding="utf-8")
    assert '<p id="subtitle">f = sin(x)*y   at x = 1, y = 2</p>' in html
    data = page_data(Explorer(html, "", 0, 0))
    assert set(data["layouts"]) == {"values:LR"} or "simple" in data["note"]


@needs_dot
def test_dot_is_given_the_timeout_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    # The command's --timeout reaches the page's layout: dot is stopped after that long, and
    # the page says it used its own layout instead.
    module = importlib.import_module("viz.explorer.layout")
    given: list[float] = []
    real = module.subprocess.run

    def run(*args: Any, **kwargs: Any) -> Any:
        given.append(kwargs["timeout"])
        raise subprocess.TimeoutExpired("dot", kwargs["timeout"])

    monkeypatch.setattr(module.subprocess, "run", run)
    page = explore(forward(build())["E"], rankdir="LR", timeout=7.5)
    assert given == [7.5]
    assert "within 7.5 s" in page_data(page)["note"]
    monkeypatch.setattr(module.subprocess, "run", real)


def test_a_batch_neuron_box_says_it_shows_the_last_sample() -> None:
    model = MLP(2, [2, 1], rng=0)
    rows = [(0.5, -1.0), (1.0, 2.0), (-0.3, 0.7)]
    outs = [model([Value(a, label=f"x{k}_0"), Value(b, label=f"x{k}_1")])
            for k, (a, b) in enumerate(rows)]
    loss = sum(((o - 1.0) ** 2 for o in outs), Value(0.0, label="zero"))
    assert isinstance(loss, Value)
    data = page_data(explore(loss, view="neurons"))
    assert {u["name"]: u["samples"] for u in data["units"]} == {
        "layer0.neuron0": 3, "layer0.neuron1": 3, "layer1.neuron0": 3}
    assert "(the last of {n} samples)" in data["words"]["last_sample"]
    one = page_data(explore(model([Value(0.5), Value(-1.0)]), view="neurons"))
    assert {u["samples"] for u in one["units"]} == {1}
