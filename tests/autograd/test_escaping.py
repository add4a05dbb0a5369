"""Every text escapes what it embeds: a label is shown in LaTeX and Markdown, never obeyed."""

from __future__ import annotations

import re

import pytest

from autograd import Value, backward_steps, explain, to_latex
from autograd.explain import markdown_text
from autograd.export import latex_name

HOSTILE = [
    r"\input{/etc/passwd}",
    r"\write18{rm -rf ~}",
    "<script>alert(1)</script>",
    "a|b",
    "`code`",
    "$x$",
    "two\nlines",
    "lone\ud800surrogate",
    "{open",
    "close}",
    "50%",
    "#1",
    "a&b",
    "x^2",
    "~",
    "_w_",
    "*bold*",
    "[link](http://x)",
]


def graph(label: str) -> tuple[Value, Value]:
    """A leaf and an inner node with the label, and a root that uses both twice."""
    w = Value(0.5, label=label)
    h = (w * 2.0).tanh()
    h.label = label + "!"
    y = h * w + h
    y.label = "y"
    return y, w


def unescaped(text: str, ch: str) -> int:
    """How many times `ch` occurs in `text` without a backslash before it."""
    return len(re.findall(r"(?<!\\)" + re.escape(ch), text))


def commands(text: str) -> set[str]:
    """The LaTeX commands `text` calls."""
    return set(re.findall(r"\\([A-Za-z@]+)", text.replace("\\\\", "")))


#: What the writers themselves call; a label may add none.
KNOWN = {"begin", "end", "aligned", "frac", "partial", "cdot", "left", "right", "tanh", "text",
         "mathrm", "mathtt", "quad", "qquad", "times", "delta", "textbackslash", "textless",
         "textgreater", "textbar", "textasciicircum", "textasciitilde", "operatorname", "infty",
         "sigma", "sqrt", "exp", "log", "sin", "cos"}


@pytest.mark.parametrize("label", HOSTILE)
def test_latex_shows_a_label_and_runs_nothing(label: str) -> None:
    y, w = graph(label)
    for tex in (to_latex(y), explain(y, w).latex(), explain(y, w, steps=True).latex(),
                explain(y, w, max_paths=0).latex()):
        assert commands(tex) <= KNOWN, commands(tex) - KNOWN
        assert unescaped(tex, "{") == unescaped(tex, "}")  # every group a writer opened
        assert "\n" not in latex_name(label)
        tex.encode("utf-8")  # a lone surrogate is written as U+FFFD, not carried


@pytest.mark.parametrize("label", HOSTILE)
def test_to_latex_with_sympy_derivatives_escapes_the_symbols(label: str) -> None:
    pytest.importorskip("sympy")
    y, w = graph(label)
    tex = to_latex(y, wrt=[w])
    assert commands(tex) <= KNOWN | {"operatorname", "cosh", "tanh", "mathrm"}, commands(tex)
    assert unescaped(tex, "{") == unescaped(tex, "}")


def test_safe_names_keep_their_pretty_forms() -> None:
    assert latex_name("w5") == "w_{5}"
    assert latex_name("out_h1") == r"\mathrm{out}_{h1}"
    assert latex_name("layer0.w1") == r"\mathtt{layer0.w1}"
    assert latex_name(r"\input{x}") == r"\text{\textbackslash{}input\{x\}}"


@pytest.mark.parametrize("label", HOSTILE)
def test_markdown_shows_a_label_and_makes_no_markup(label: str) -> None:
    y, w = graph(label)
    plain_y, plain_w = graph("plain")
    for md, plain in ((explain(y, w).markdown(), explain(plain_y, plain_w).markdown()),
                      (explain(y, w, max_paths=0).markdown(),
                       explain(plain_y, plain_w, max_paths=0).markdown()),
                      (backward_steps(y).markdown(), backward_steps(plain_y).markdown())):
        assert "<script" not in md and "<" not in md.replace("&lt;", "")
        assert unescaped(md, "`") == 0 and unescaped(md, "$") == 0
        assert unescaped(md, "[") == 0
        # The same lines, and the same cells in each: no label breaks a row or a table.
        assert len(md.splitlines()) == len(plain.splitlines())
        for row, plain_row in zip(md.splitlines(), plain.splitlines(), strict=True):
            assert unescaped(row, "|") == unescaped(plain_row, "|"), row
        md.encode("utf-8")


def test_markdown_text_keeps_names_readable() -> None:
    assert markdown_text("out_h1·(1 − out_h1)") == "out_h1·(1 − out_h1)"
    assert markdown_text("_x_") == r"\_x\_"
    assert markdown_text("a\nb") == "a b"
    assert markdown_text("x > 0 & y < 1") == "x > 0 &amp; y &lt; 1"
