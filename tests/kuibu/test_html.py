"""`--html` writes the step-by-step explorer page, after the numbers, and never hides them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from kuibu.cli import main

pytestmark = pytest.mark.needs_dot


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_grad_html_writes_a_page_holding_the_engines_numbers(tmp_path: Path) -> None:
    target = tmp_path / "g.html"
    code, out, err = _run("grad", "w*x + b", "--at", "w=0.5,x=1.5,b=-0.2", "--html", str(target))
    assert code == 0, err
    assert out.index("∂f/∂w = 1.5") < out.index(str(target))  # numbers first, then the page
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and 'data-name' in page
    assert "1.5" in page and "http://" not in page and "https://" not in page


def test_demo_html_writes_the_worked_example_page(tmp_path: Path) -> None:
    target = tmp_path / "demo.html"
    code, out, err = _run("demo", "--steps", "2", "--no-progress", "--out",
                          str(tmp_path / "demo.dot"), "--html", str(target))
    assert code == 0, err
    page = target.read_text(encoding="utf-8")
    assert "out_o1" in page and "w5" in page
    assert "step-by-step page" in out


def test_an_unwritable_page_is_exit_2_after_the_numbers(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "folder"
    missing.parent.parent.mkdir()
    missing.parent.write_text("a file, not a folder")
    code, out, err = _run("grad", "w*x", "--at", "w=1,x=2", "--html", str(missing / "p.html"))
    assert code == 2
    assert "∂f/∂w = 2" in out
    assert err.count("\n") == 1 and "cannot write" in err and "Traceback" not in err


def test_grad_html_with_json_records_the_page(tmp_path: Path) -> None:
    import json

    target = tmp_path / "j.html"
    code, out, err = _run("grad", "w*x", "--at", "w=1,x=2", "--json", "--html", str(target))
    assert code == 0, err
    document = json.loads(out)
    assert document["page"] == {"path": str(target)}
    assert document["gradient"] == {"w": 2.0, "x": 1.0}


def test_without_the_graphviz_package_a_drawing_is_exit_2_after_the_numbers_a_page_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "graphviz" else real(name, *a))
    code, out, err = _run("grad", "w*x", "--at", "w=1,x=2", "--draw", str(tmp_path / "g.svg"))
    assert code == 2, err
    assert "∂f/∂w = 2" in out
    assert "graphviz Python package" in err and "bug" not in err and err.count("\n") == 1
    # A page needs no graphviz package (Graphviz's dot lays it out, or the page's own layout).
    code, out, err = _run("grad", "w*x", "--at", "w=1,x=2", "--html", str(tmp_path / "g.html"))
    assert code == 0, err
    assert "∂f/∂w = 2" in out and (tmp_path / "g.html").is_file()
