"""`kuibu demo --network article|mazur`: which network, said first; the article's network end to
end in its own names (report, program, drawing, page); options that belong to one network only."""

from __future__ import annotations

import io
import shutil
from html import unescape
from pathlib import Path

import pytest

from kuibu.cli import main
from nn.article import PARAMETERS, article_network


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.needs_graphviz
def test_the_first_line_says_which_network(tmp_path: Path) -> None:
    dot = str(tmp_path / "g.dot")
    mazur = run("demo", "--steps", "1", "--no-progress", "--out", dot)
    named = run("demo", "--network", "mazur", "--steps", "1", "--no-progress", "--out", dot)
    article = run("demo", "--network", "article", "--no-progress", "--out", dot)
    assert mazur[0] == named[0] == article[0] == 0
    assert mazur[1] == named[1]  # Mazur's is the default
    assert mazur[1].splitlines()[0].startswith("Mazur's 2-2-2 logistic network")
    assert article[1].splitlines()[0].startswith("The article's network: input neuron 1")
    assert "Mazur" not in article[1].splitlines()[0]


@pytest.mark.needs_graphviz
def test_the_articles_demo_prints_its_derivation(tmp_path: Path) -> None:
    code, out, err = run("demo", "--network", "article", "--no-progress",
                         "--out", str(tmp_path / "g.dot"))
    assert code == 0 and err == ""
    net = article_network()
    net.E.backward()
    for name in ("W24", "W25", "W12"):
        assert f"engine  ∂E/∂{name} = {net[name].grad:.12f}" in out
    assert "−(t4 − out4)·out4·(1 − out4)·out2" in out
    assert "the troublesome one: 2 paths" in out
    assert "path 2 of 2: E → out5 → net5 → out2 → net2 → W12" in out  # the chain rule
    assert "all 10 agree to 1e-12: yes" in out
    # The reconstruction said, not hidden: what was lost and what was chosen.
    assert "figures" in out and "were lost" in out and "one input neuron" in out
    assert "lr = 0.5" in out
    # One update, as the article makes; more only when asked.
    assert "One update, w ← w − lr·Δw" in out and "After" not in out
    assert f"W12   0.3 → {0.3 - 0.5 * net['W12'].grad:.9f}" in out
    steps = run("demo", "--network", "article", "--steps", "30", "--no-progress",
                "--out", str(tmp_path / "g.dot"))[1]
    assert "After 30 updates: E = " in steps


@pytest.mark.needs_graphviz
def test_the_articles_demo_in_chinese(tmp_path: Path) -> None:
    code, out, _ = run("demo", "--network", "article", "--lang", "zh", "--no-progress",
                       "--out", str(tmp_path / "g.dot"))
    assert code == 0
    assert out.startswith("文章中的网络")
    assert "路径 2（共 2 条）：E → out5 → net5 → out2 → net2 → W12" in out
    assert "计算图已画到" in out and "W12 的两条路径" in out


@pytest.mark.needs_graphviz
def test_the_articles_drawing_marks_both_paths_to_W12(tmp_path: Path) -> None:
    target = tmp_path / "article.dot"
    code, out, _ = run("demo", "--network", "article", "--no-progress", "--out", str(target))
    assert code == 0 and str(target) in out
    source = target.read_text(encoding="utf-8")
    for name in ("out1", "W12", "W24", "W25", "net2", "out4", "out5", "t4", "t5", "E"):
        assert f"<B>{name}</B>" in source, name
    assert "both paths from E to W12" in out


@pytest.mark.needs_graphviz
@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_the_articles_drawing_renders(tmp_path: Path) -> None:
    target = tmp_path / "article.svg"
    code, _, _ = run("demo", "--network", "article", "--no-progress", "--out", str(target))
    assert code == 0 and "<svg" in target.read_text(encoding="utf-8")


@pytest.mark.needs_graphviz
def test_the_articles_program_runs_in_its_names(tmp_path: Path) -> None:
    code, out, _ = run("demo", "--network", "article", "--code", "--no-progress",
                       "--out", str(tmp_path / "g.dot"))
    assert code == 0
    program = out.split("(it needs only math):", 1)[1].split("\nThe computation graph")[0]
    assert f"def forward_backward({', '.join(PARAMETERS)}):" in program
    assert "net4 = W24 * out2 + W34 * out3 + b4" in program
    namespace: dict[str, object] = {}
    exec(program, namespace)
    net = article_network()
    net.E.backward()
    value, grads = namespace["forward_backward"](  # type: ignore[operator]
        *(net[name].data for name in PARAMETERS))
    assert value == net.E.data
    assert list(grads) == pytest.approx([net[name].grad for name in PARAMETERS], abs=1e-15)


@pytest.mark.needs_graphviz
def test_the_articles_page_uses_its_names(tmp_path: Path) -> None:
    page = tmp_path / "article.html"
    code, out, _ = run("demo", "--network", "article", "--no-progress",
                       "--out", str(tmp_path / "g.dot"), "--html", str(page))
    assert code == 0 and str(page) in out
    html = unescape(page.read_text(encoding="utf-8"))
    assert "The article's network, step by step" in html
    assert "The article's network (reconstructed)" in html  # the subtitle says which network
    assert "W12" in html and "out4" in html and "net5" in html


def test_options_of_one_network_and_bad_names_are_exit_2(tmp_path: Path) -> None:
    dot = str(tmp_path / "g.dot")
    code, out, err = run("demo", "--network", "article", "--fixed-biases", "--out", dot)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "--fixed-biases" in err and "Mazur" in err
    code, _, err = run("demo", "--network", "lecun", "--out", dot)
    assert code == 2 and "mazur" in err and "article" in err and err.count("\n") == 1
    code, _, err = run("demo", "--network", "article", "--steps", "0", "--out", dot)
    assert code == 2 and "--steps must be at least 1, not 0" in err


def test_help_names_both_networks() -> None:
    help_text = run("demo", "--help")[1]
    assert "Mazur's 2-2-2" in help_text and "--network" in help_text
    assert "article" in help_text
