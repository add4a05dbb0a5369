"""kuibu microgpt: one training step, its page, its drawing and a weight's largest paths."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from kuibu.cli import main


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_the_step_its_page_and_a_summary(tmp_path: Path) -> None:
    page = tmp_path / "step.html"
    code, out, err = run("microgpt", "--doc", "ada", "--n-embd", "8", "--n-head", "2",
                         "--html", str(page), "--explain", "layer0.attn_wq[0][0]",
                         "--largest", "2", "--lang", "en")
    assert code == 0 and not err
    assert out.startswith("microgpt step on 'ada': loss ")
    assert "a summary by the 2 largest of its" in out and f"wrote {page}" in out
    assert 'class="block ' in page.read_text(encoding="utf-8")


@pytest.mark.needs_graphviz
@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_the_drawing(tmp_path: Path) -> None:
    target = tmp_path / "step.svg"
    code, _, err = run("microgpt", "--doc", "ada", "--n-embd", "8", "--n-head", "2",
                       "--draw", str(target), "--lang", "en")
    assert code == 0 and not err and target.exists()
    assert "attention head 1" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize(("argv", "says"), [
    (("--doc", "Ada!"), "'A' at position 0"),
    (("--explain", "nope"), "no node labelled 'nope'"),
    (("--n-head", "3"), "n_embd must be a multiple of n_head"),
    (("--largest", "0"), "--largest must be at least 1"),
])
def test_bad_input_is_one_line_and_exit_2(argv: tuple[str, ...], says: str) -> None:
    code, _, err = run("microgpt", *argv, "--lang", "en")
    assert code == 2 and says in err and err.count("\n") == 1
