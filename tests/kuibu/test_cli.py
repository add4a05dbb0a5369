"""The kuibu command: what a user types, what they see, and how it exits."""

from __future__ import annotations

import io
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from kuibu.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


POINT = ["--at", "w=0.5", "x=1.5", "b=-0.2"]


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def test_grad_prints_the_value_and_every_partial() -> None:
    code, out, err = run("grad", "sigmoid(w*x + b)", *POINT)
    assert code == 0 and err == ""
    s = sigmoid(0.5 * 1.5 - 0.2)
    lines = dict(line.split(" = ", 1) for line in out.splitlines() if line.startswith(("f =", "∂")))
    assert float(lines["∂f/∂w"]) == pytest.approx(s * (1 - s) * 1.5, rel=1e-11)
    assert float(lines["∂f/∂x"]) == pytest.approx(s * (1 - s) * 0.5, rel=1e-11)
    assert float(lines["∂f/∂b"]) == pytest.approx(s * (1 - s), rel=1e-11)
    assert f"f = {s:.12g}" in out


def test_grad_json_is_machine_readable() -> None:
    code, out, _ = run("grad", "w**x", "--at", "w=2", "x=3", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["value"] == 8.0
    assert doc["gradient"]["w"] == 12.0
    assert doc["gradient"]["x"] == pytest.approx(8 * math.log(2))
    assert doc["at"] == {"w": 2.0, "x": 3.0}


def test_a_right_hand_derived_partial_passes() -> None:
    code, out, _ = run("grad", "sigmoid(w*x + b)", *POINT,
                       "--check", "w=x*sigmoid(w*x+b)*(1-sigmoid(w*x+b))")
    assert code == 0
    assert "agrees" in out


def test_a_wrong_hand_derived_partial_exits_1_and_says_why() -> None:
    code, out, _ = run("grad", "sigmoid(w*x + b)", *POINT,
                       "--check", "w=sigmoid(w*x+b)*(1-sigmoid(w*x+b))")
    assert code == 1
    assert "DISAGREES" in out
    assert "left out" in out or "factor" in out  # the diagnosis names the missing factor x


def test_check_json_carries_the_verdict() -> None:
    code, out, _ = run("grad", "x*x", "--at", "x=3", "--check", "x=x", "--json")
    assert code == 1
    check = json.loads(out)["checks"][0]
    assert check["ok"] is False and check["engine"] == 6.0 and check["yours"] == 3.0


def test_explain_writes_the_chain_rule() -> None:
    code, out, _ = run("grad", "sigmoid(w*x + b)", *POINT, "--explain", "w")
    assert code == 0
    s = sigmoid(0.5 * 1.5 - 0.2)
    assert "∂f/∂w = ∂f/∂" in out and "product" in out
    assert f"{s * (1 - s) * 1.5:.6g}"[:6] in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["grad", "sigmoid(w*x + foo(b))", *POINT], "unknown function 'foo'"),
        (["grad", "sigmoid(w*x + b)", "--at", "w=0.5", "x=1.5"], "no value for b"),
        (["grad", "sigmoid(w*x +", *POINT], "position"),
        (["grad", "w*x", "--at", "w=a", "x=1"], "'a' is not a number"),
        (["grad", "w*x", "--at", "w", "x=1"], "name=number"),
        (["grad", "w*x", "--at", "w=1", "x=1", "z=2"], "z not in the expression"),
        (["grad", "w*x", "--at", "w=1", "x=1", "--check", "z=1"], "z is not a variable"),
        (["grad", "w*x", "--at", "w=1", "x=1", "--check", "w=q"], "q has no value"),
        (["grad", "w*x", "--at", "w=inf", "x=1"], "finite"),
    ],
)
def test_mistakes_get_one_line_and_exit_2(argv: list[str], message: str) -> None:
    code, _, err = run(*argv)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "attack",
    [
        "__import__('os').system('echo pwned')",
        "().__class__.__bases__[0].__subclasses__()",
        "x.__class__",
        "(lambda: 1)()",
        "[x for x in (1, 2)]",
        "open('/etc/passwd')",
        "eval('1')",
        "exec('import os')",
        "x; import os",
        "x\nimport os",
        "f'{x}'",
        "x if x else x",
        "{'a': x}",
        "x[0]",
        "x // 2",
        "'a' * 10",
        "(" * 300 + "x" + ")" * 300,
        "-" * 200 + "x",
        "x+" * 600 + "x",
    ],
)
def test_injection_and_oversized_expressions_are_refused(attack: str) -> None:
    code, out, err = run("grad", attack, "--at", "x=1")
    assert code == 2, (attack, out, err)
    assert "Traceback" not in err and "pwned" not in out


def test_huge_exponents_give_inf_quickly_not_a_hang() -> None:
    code, out, _ = run("grad", "9**9**9**9 * x", "--at", "x=1", "--json")
    assert code == 0
    assert json.loads(out)["value"] == "inf"  # strict JSON has no Infinity: written as text
    code, out, _ = run("grad", "exp(exp(exp(x)))", "--at", "x=10", "--json")
    assert json.loads(out)["value"] == "inf"
    code, out, _ = run("grad", "log(x)", "--at", "x=-1", "--json")
    doc = json.loads(out, parse_constant=lambda c: pytest.fail(f"non-standard JSON {c}"))
    assert doc["value"] == "nan" and doc["gradient"]["x"] == -1.0


def test_bad_usage_is_argparses_exit_2() -> None:
    code, _, _ = run("nonsense")
    assert code == 2


def test_python_dash_m_kuibu_runs_in_a_fresh_interpreter() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kuibu", "grad", "x*y", "--at", "x=2", "y=3"],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "∂f/∂x = 3" in result.stdout and "∂f/∂y = 2" in result.stdout


def test_bad_expression_from_a_fresh_interpreter_has_no_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kuibu", "grad", "x.y", "--at", "x=2"],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")


@pytest.mark.needs_dot
@needs_dot
def test_demo_runs_the_worked_network_end_to_end(tmp_path: Path) -> None:
    svg = tmp_path / "graph.svg"
    code, out, err = run("demo", "--steps", "20", "--out", str(svg), "--no-progress")
    assert code == 0, err
    # The published numbers, each partial beside its hand formula, the chain rule, the update.
    assert "0.298371108760" in out  # E at the published starting point
    assert "all agree to 1e-12: yes" in out
    assert "∂E/∂w5 = ∂E/∂out_o1 · ∂out_o1/∂net_o1 · ∂net_o1/∂w5" in out
    assert "∂E/∂w1 = the sum over 2 paths" in out
    assert "w5   0.40 → 0.358916480" in out
    assert "After 20 steps" in out
    assert str(svg) in out
    root = ElementTree.parse(svg).getroot()
    titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert any("w5" in (t or "") for t in titles) or "w5" in svg.read_text()


def test_demo_refuses_a_bad_file_type(tmp_path: Path) -> None:
    code, _, err = run("demo", "--steps", "1", "--out", str(tmp_path / "g.txt"), "--no-progress")
    assert code == 2 and "use .svg" in err


@pytest.mark.needs_dot
@needs_dot
def test_grad_draws_the_graph(tmp_path: Path) -> None:
    target = tmp_path / "tanh.svg"
    code, out, _ = run("grad", "tanh(w*x)", "--at", "w=0.5", "x=2", "--draw", str(target))
    assert code == 0
    assert target.exists() and "<svg" in target.read_text()
    assert str(target) in out


def test_grad_writes_dot_source_without_graphviz(tmp_path: Path) -> None:
    target = tmp_path / "g.dot"
    code, _, _ = run("grad", "w*x", "--at", "w=0.5", "x=2", "--draw", str(target))
    assert code == 0
    assert "digraph" in target.read_text()


def test_demo_without_graphviz_still_runs_and_says_how_to_draw(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot anywhere
    code, out, _ = run("demo", "--steps", "2", "--out", str(tmp_path / "g.svg"), "--no-progress")
    assert code == 0
    assert "apt install graphviz" in out and "brew install graphviz" in out
    assert (tmp_path / "g.dot").exists()


def test_explain_subcommand_in_each_format() -> None:
    for fmt, marker in (("text", "path 1 of 1"), ("markdown", "| factor |"), ("latex", "\\frac")):
        code, out, _ = run("explain", "0.5*(1 - tanh(w*x))**2", "--at", "w=0.5", "x=1.5",
                           "--wrt", "w", "--format", fmt)
        assert code == 0 and marker in out, fmt


def test_check_subcommand_verdicts() -> None:
    code, out, _ = run("check", "w*x**2", "--at", "w=3", "x=2", "--partial", "x=2*w*x")
    assert code == 0 and "agrees" in out
    code, out, _ = run("check", "w*x**2", "--at", "w=3", "x=2", "--partial", "x=2*w*x",
                       "--partial", "w=x")
    assert code == 1 and "DISAGREES" in out and "factor 2" in out


def test_draw_subcommand_writes_dot_source_and_names_unknown_variables(tmp_path: Path) -> None:
    code, _, _ = run("draw", "w*x", "--at", "w=1", "x=2", "-o", str(tmp_path / "g.dot"),
                       "--highlight", "w")
    assert code == 0 and (tmp_path / "g.dot").read_text().startswith("digraph")
    code, _, err = run("draw", "w*x", "--at", "w=1", "x=2", "-o", str(tmp_path / "g.dot"),
                       "--highlight", "z")
    assert code == 2 and "z is not a variable" in err


def test_explain_shows_every_step_of_a_typed_expression() -> None:
    code, out, _ = run("explain", "sigmoid(w*x + b)", "--at", "w=0.5", "x=1.5", "b=-0.2",
                       "--wrt", "w")
    assert code == 0
    assert "∂f/∂w = ∂f/∂n4 · ∂n4/∂n2 · ∂n2/∂w" in out
    assert "∂n2/∂w = x = 1.5" in out and "where n2 = w·x" in out
