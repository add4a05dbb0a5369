"""A learner's own derivation on the command line: named steps, typed or from a file, checked
against the engine with the library's diagnosis, in the reader's language."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kuibu.cli import main

ROOT = Path(__file__).resolve().parents[2]

#: The article's network (neuron 1 the input, 2 and 3 hidden, 4 and 5 the outputs).
STEPS = ("net2 = W12*out1 + b2; out2 = sigmoid(net2); net3 = W13*out1 + b3; "
         "out3 = sigmoid(net3); net4 = W24*out2 + W34*out3 + b4; out4 = sigmoid(net4); "
         "net5 = W25*out2 + W35*out3 + b5; out5 = sigmoid(net5); "
         "E = ½·(t4 − out4)² + ½·(t5 − out5)²")
FILE = """# The article's network: neuron 1 the input, 2 and 3 hidden, 4 and 5 the outputs
net2 = W12*out1 + b2;  out2 = sigmoid(net2)
net3 = W13*out1 + b3;  out3 = sigmoid(net3)
net4 = W24*out2 + W34*out3 + b4;  out4 = sigmoid(net4)
net5 = W25*out2 + W35*out3 + b5;  out5 = sigmoid(net5)
E = ½·(t4 − out4)² + ½·(t5 − out5)²   # the squared error
"""
AT = ["--at", "out1=0.5", "W12=0.15", "W13=0.25", "W24=0.40", "W25=0.50", "W34=0.45",
      "W35=0.55", "b2=0.35", "b3=0.35", "b4=0.60", "b5=0.60", "t4=0.01", "t5=0.99"]
#: ∂E/∂W12 by hand, with the path through neuron 5 left out, and right.
ONE_PATH = "W12=(out4 - t4)*out4*(1 - out4)*W24*out2*(1 - out2)*out1"
BOTH_PATHS = ("W12=((out4 - t4)*out4*(1 - out4)*W24 + (out5 - t5)*out5*(1 - out5)*W25)"
              "*out2*(1 - out2)*out1")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def derivation(tmp_path: Path) -> Path:
    path = tmp_path / "derivation.txt"
    path.write_text(FILE, encoding="utf-8")
    return path


def test_named_steps_print_each_step_and_call_the_output_by_its_name() -> None:
    code, out, err = run("grad", STEPS, *AT)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("at out1 = 0.5, W12 = 0.15") or lines[0].startswith("at W12")
    assert "out2 = sigmoid(net2) = 0.604679084714" in lines
    assert "E = ½·(t4 − out4)² + ½·(t5 − out5)² = 0.299603946368" in lines
    assert "∂E/∂W24 = 0.0834616112746" in lines and "∂E/∂W12 = 0.00437262804869" in lines
    assert not any(line.startswith(("f =", "∂f/")) for line in lines)


def test_explain_writes_the_articles_three_named_factors(derivation: Path) -> None:
    code, out, err = run("explain", "-f", str(derivation), *AT, "--wrt", "W24")
    assert code == 0, err
    assert out.splitlines()[0] == "∂E/∂W24 = ∂E/∂out4 · ∂out4/∂net4 · ∂net4/∂W24"
    assert "  ∂out4/∂net4 = out4·(1 − out4) = 0.185553" in out
    assert "n1" not in out  # no inner node without a name


def test_a_file_and_the_typed_steps_give_the_same_numbers(derivation: Path) -> None:
    _, typed, _ = run("grad", STEPS, *AT, "--json")
    code, read, err = run("grad", "-f", str(derivation), *AT, "--json")
    assert code == 0, err
    typed_doc, file_doc = json.loads(typed), json.loads(read)
    assert typed_doc["gradient"] == file_doc["gradient"] and file_doc["output"] == "E"
    assert file_doc["steps"]["out4"] == pytest.approx(0.753863779049, rel=1e-11)
    assert file_doc["expression"] == FILE


def test_a_dropped_path_is_named_by_the_command_as_by_the_library() -> None:
    code, out, _ = run("check", STEPS, *AT, "--partial", ONE_PATH)
    assert code == 1
    assert ("Your value equals the sum over path(s) 1 of the 2 paths from E to W12; missing: "
            "E → out5 → net5 → out2 → net2 → W12") in out
    assert run("check", STEPS, *AT, "--partial", BOTH_PATHS)[0] == 0


def test_a_dropped_path_in_a_single_typed_expression_is_named_too() -> None:
    s2 = "sigmoid(W12*out1 + b2)"
    o4 = f"sigmoid(W24*{s2} + W34*sigmoid(W13*out1 + b3) + b4)"
    o5 = f"sigmoid(W25*{s2} + W35*sigmoid(W13*out1 + b3) + b5)"
    expression = f"0.5*(t4 - {o4})**2 + 0.5*(t5 - {o5})**2"
    one_path = f"W12=({o4} - t4)*{o4}*(1 - {o4})*W24*{s2}*(1 - {s2})*out1"
    code, out, _ = run("check", expression, *AT, "--partial", one_path)
    assert code == 1
    assert "Your value equals the sum over path(s) 1 of the 2 paths from f to W12" in out
    assert "No single wrong factor" not in out


@pytest.mark.parametrize(("partial", "words"), [
    ("W24=(out4 - t4)*net4*(1 - net4)*out2",
     "∂out4/∂net4 computed as net4·(1 − net4)"),
    ("W24=(out4 - t4)*sigmoid(out4)*(1 - sigmoid(out4))*out2",
     "was evaluated at its output out4 instead of its input net4"),
    ("W24=(t4 - out4)*out4*(1 - out4)*out2", "−1 × the engine's value"),
    ("W24=(out4 - t4)*out4*(1 - out4)*W24", "the two inputs of mul were exchanged"),
])
def test_the_classic_mistakes_are_named(partial: str, words: str) -> None:
    code, out, _ = run("check", STEPS, *AT, "--partial", partial)
    assert code == 1 and words in out


def test_a_hint_is_a_command_to_paste_never_a_python_call(derivation: Path) -> None:
    code, out, _ = run("check", "-f", str(derivation), *AT, "--partial", "W24=0.07")
    assert code == 1
    assert "explain(" not in out
    command = out.splitlines()[-1].strip()
    assert command.startswith(f"kuibu explain -f {derivation} --at ") and command.endswith(
        "--wrt W24")
    pasted = command.split()[2:]  # what the shell would pass after "kuibu explain"
    code, explained, err = run("explain", *pasted)
    assert code == 0, err
    assert explained.startswith("∂E/∂W24 = ∂E/∂out4 · ∂out4/∂net4 · ∂net4/∂W24")


def test_a_check_may_name_steps_and_check_a_steps_own_partial() -> None:
    code, out, _ = run("check", STEPS, *AT, "--partial", "out4=out4 - t4",
                       "--partial", "net4=(out4 - t4)*out4*(1 - out4)")
    assert code == 0 and out.count("agrees at 4 random points near it too") == 2
    code, out, _ = run("grad", STEPS, *AT, "--explain", "net2")
    assert code == 0 and "∂E/∂net2 = the sum over 2 paths" in out


@pytest.mark.parametrize(("argv", "words"), [
    (["grad", "a = x*y; a = x + y", "x=1", "y=2"],
     "a is defined twice, by step 1 and by step 2"),
    (["grad", "b = a*x; a = x*x", "x=1"], "a is used in step 1 before step 2 defines it"),
    (["grad", "a = a*x", "x=1"], "a is used in its own definition"),
    (["grad", "a = x*y; E = a*a", "x=1", "y=2", "a=3"],
     "a is defined by step 1 (a = x*y) and given in --at a=3"),
    (["grad", "a = x*y; b = x+y; E = a*a", "x=1", "y=2"],
     "b (step 2) is never used: E is not computed from it"),
    (["grad", "e = x*y; E = e*e", "x=1", "y=2"], "e is the constant"),
    (["grad", "x*y; E = 2*x", "x=1", "y=2"], "every step but the last needs a name"),
    (["grad", "a = x*y; E = foo(a)", "x=1", "y=2"], "E: unknown function 'foo'"),
    (["grad", "t = 0.5; E = t*x", "x=1", "--explain", "t"],
     "t is a step of numbers alone"),
])
def test_clashes_and_mistakes_in_steps_are_one_line_naming_both_places(
        argv: list[str], words: str) -> None:
    code, out, err = run(*argv)
    assert code == 2 and out == ""
    assert words in err and len(err.strip().splitlines()) == 1, err


def test_a_mistake_in_a_file_says_its_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "d.txt"
    path.write_text("a = x*y\n\nb = (a +\n  y)\nc = b ** * 2\n", encoding="utf-8")
    code, _, err = run("grad", "-f", str(path), "x=1", "y=2")
    assert code == 2 and "line 5, column" in err and "c: " in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(("argv", "words"), [
    (["grad", "-f", "no-such-file.txt", "x=1"], "-f no-such-file.txt: no such file"),
    (["grad", "x*y", "-f", "{empty}"], "an expression and -f FILE are both given"),
    (["grad", "-f", "{empty}", "x=1"], "the file holds no expression"),
    (["grad", "--at", "x=1"], "no expression; write one"),
])
def test_file_mistakes(tmp_path: Path, argv: list[str], words: str) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("# only a comment\n", encoding="utf-8")
    code, _, err = run(*[a.replace("{empty}", str(empty)) for a in argv])
    assert code == 2 and words in err, err


def test_a_variable_may_be_called_f_or_e_or_out_and_the_output_keeps_its_name() -> None:
    # The micrograd lecture's first example: ∂L/∂f is d = a·b + c = 4.
    code, out, _ = run("grad", "(a*b + c)*f", "a=2", "b=-3", "c=10", "f=-2", "--explain", "f",
                       "--check", "a=b*f")
    assert code == 0
    assert "∂g/∂f = 4" in out.splitlines() and "g = -8" in out.splitlines()
    assert "∂f/∂f" not in out
    code, out, _ = run("grad", "e1 = a*b; d = e1 + c; L = d*f", "a=2", "b=-3", "c=10", "f=-2",
                       "--check", "f=d", "--check", "a=b*f")
    assert code == 0 and "∂L/∂f = 4" in out and "∂L/∂a = 6" in out
    code, out, _ = run("grad", "E = out*out", "out=3", "--check", "out=2*out")
    assert code == 0 and "∂E/∂out = 6" in out


def test_json_carries_the_steps_and_the_outputs_name() -> None:
    code, out, _ = run("grad", "net = w*x + b; out = tanh(net)", "w=0.5", "x=2", "b=0",
                       "--json")
    doc = json.loads(out)
    assert code == 0 and doc["output"] == "out"
    assert list(doc["steps"]) == ["net", "out"] and doc["steps"]["net"] == 1.0


@pytest.mark.needs_graphviz
def test_the_steps_name_every_view(tmp_path: Path) -> None:
    code, out, _ = run("grad", "net = w*x + b; out = tanh(net)", "w=0.5", "x=2", "b=0",
                       "--code")
    assert code == 0 and "net = " in out and "out = tanh(net)" in out
    dot = tmp_path / "graph.dot"
    code, _, err = run("draw", "net = w*x + b; out = tanh(net)", "w=0.5", "x=2", "b=0",
                       "-o", str(dot), "--highlight", "net")
    assert code == 0, err
    assert "net" in dot.read_text(encoding="utf-8")


def test_a_derivation_read_from_standard_input_in_a_fresh_interpreter() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kuibu", "explain", "-f", "-", *AT, "--wrt", "W24"],
        input=FILE, capture_output=True, text=True, encoding="utf-8", cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "LC_ALL": "C.UTF-8"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("∂E/∂W24 = ∂E/∂out4 · ∂out4/∂net4 · ∂net4/∂W24")


def test_the_step_by_step_page_names_the_steps(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    code, _, err = run("grad", "net = w*x + b; out = tanh(net)", "w=0.5", "x=2", "b=0",
                       "--html", str(page))
    assert code == 0, err
    html = page.read_text(encoding="utf-8")
    assert 'data-name="net"' in html and 'data-name="out"' in html


@pytest.mark.needs_graphviz
def test_the_drawing_and_the_page_speak_the_language_asked_for(tmp_path: Path) -> None:
    page, dot = tmp_path / "page.html", tmp_path / "graph.dot"
    code, _, err = run("grad", "net = w*x + b; out = tanh(net)", "w=0.5", "x=2", "b=0",
                       "--html", str(page), "--draw", str(dot), "--lang", "zh")
    assert code == 0, err
    assert '<html lang="zh' in page.read_text(encoding="utf-8")
    source = dot.read_text(encoding="utf-8")
    assert re.search("[\u4e00-\u9fff]", source), "the drawing's caption is not in Chinese"


