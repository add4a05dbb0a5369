"""The kuibu command: what a user types, what they see, and how it exits."""

from __future__ import annotations

import io
import json
import math
import os
import re
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
        "x+" * 25_000 + "x",  # 50,001 characters: past the formula language's 50,000
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


@pytest.mark.needs_graphviz
def test_grad_writes_dot_source_without_graphviz(tmp_path: Path) -> None:
    target = tmp_path / "g.dot"
    code, _, _ = run("grad", "w*x", "--at", "w=0.5", "x=2", "--draw", str(target))
    assert code == 0
    assert "digraph" in target.read_text()


@pytest.mark.needs_graphviz
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


@pytest.mark.needs_graphviz
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
    # The inner nodes' names are the namer's (n-names); each is defined below the paths.
    chain = re.search(r"∂f/∂w = ∂f/∂(n\d+) · ∂\1/∂(n\d+) · ∂\2/∂w", out)
    assert chain, out
    outer, inner = chain.groups()
    assert f"∂{inner}/∂w = x = 1.5" in out and f"{inner} = w·x" in out
    assert f"{outer} = w·x + b" in out


# -- exit codes: 0, 1 a disagreeing check, 2 bad input on one line, 3 a bug --------------------


def one_line_error(err: str) -> bool:
    return err.count("\n") == 1 and bool(err.strip()) and "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["grad", "exp()"], "exp"),
        (["grad", "sigmoid(x, x)", "--at", "x=1"], "sigmoid"),
        (["grad", "tanh(x)", "--at", "x=1", "--check", "x=tanh(x,x)"], "tanh"),
        (["check", "tanh(x)", "--at", "x=1", "--partial", "x=exp()"], "exp"),
        (["grad", "x", "--at", "x=1", "--points", "0"], "--points"),
        (["grad", "x", "--at", "x=1", "--rankdir", "XY"], "--rankdir"),
        (["grad", "x", "--at", "x=1", "--draw", "g.txt"], "use .svg"),
        (["draw", "x", "--at", "x=1", "-o", "g.dot", "--dpi", "0"], "--dpi"),
        (["grad", "x", "--at", "x=1", "--nonsense"], "--nonsense"),
        (["gard", "x"], "unknown command 'gard'"),
        (["--version", "x"], "--version"),
    ],
)
def test_wrong_arity_and_bad_usage_are_one_line_and_exit_2(argv: list[str], message: str) -> None:
    code, out, err = run(*argv)
    assert code == 2, (out, err)
    assert one_line_error(err) and message in err, err


def test_an_unexpected_exception_is_a_bug_on_one_line_with_exit_3(monkeypatch) -> None:
    from kuibu import cli

    def broken(self: object, args: object) -> int:
        raise ZeroDivisionError("an example")

    monkeypatch.setattr(cli.Command, "grad", broken)
    code, _, err = run("grad", "x", "--at", "x=1")
    assert code == 3  # never 1, which a grader reads as "your formula is wrong"
    assert one_line_error(err)
    assert "bug in kuibu" in err and "ZeroDivisionError: an example" in err


def test_help_lists_the_exit_codes() -> None:
    code, out, _ = run("--help")
    assert code == 0
    codes = out[out.index("exit codes:"):]
    for line in ("0  success", "1  a --check", "2  bad input", "3  a bug in kuibu"):
        assert line in codes


def test_kuibu_alone_prints_its_help_and_exits_0() -> None:
    code, out, err = run()
    assert code == 0 and err == ""
    assert out.startswith("usage: kuibu") and "grad" in out and "exit codes:" in out


def test_version_is_the_packages() -> None:
    from importlib import metadata

    code, out, _ = run("--version")
    assert code == 0
    try:
        expected = metadata.version("kuibu")
    except metadata.PackageNotFoundError:  # a checkout kuibu was not installed from: its own
        expected = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(
            encoding="utf-8"), flags=re.M).group(1)  # type: ignore[union-attr]
    assert out.strip() == f"kuibu {expected}"
    result = subprocess.run([sys.executable, "-m", "kuibu", "--version"], capture_output=True,
                            text=True, cwd=ROOT)
    assert result.returncode == 0 and result.stdout.startswith("kuibu ")


# -- the point: --at repeated, comma lists, bare NAME=NUMBER; expressions starting with "-" ------


def gradient_of(*argv: str) -> dict[str, float]:
    code, out, err = run(*argv, "--json")
    assert code == 0, err
    return dict(json.loads(out)["gradient"])


def test_at_is_repeatable_and_takes_comma_lists() -> None:
    expected = {"w": 2.0, "x": 1.0}
    assert gradient_of("grad", "w*x", "--at", "w=1", "--at", "x=2") == expected
    assert gradient_of("grad", "w*x", "--at", "w=1,x=2") == expected
    assert gradient_of("grad", "w*x", "--at", "w=1", "x=2") == expected
    code, _, err = run("grad", "w*x", "--at", "w=1", "--at", "w=2", "x=1")
    assert code == 2 and "w is given twice" in err


def test_a_bare_assignment_after_the_expression_is_the_point() -> None:
    code, out, _ = run("grad", "sigmoid(w*x+b)", "w=0.5", "x=1.5", "b=-0.2")
    assert code == 0
    s = sigmoid(0.5 * 1.5 - 0.2)
    assert f"∂f/∂b = {s * (1 - s):.12g}" in out
    assert gradient_of("grad", "w*x", "w=1", "--at", "x=2") == {"w": 2.0, "x": 1.0}
    code, _, err = run("grad", "w*x", "w=1", "x")
    assert code == 2 and one_line_error(err) and "name=number" in err


def test_an_expression_may_start_with_a_minus_sign() -> None:
    assert gradient_of("grad", "-x*y", "--at", "x=1,y=2") == {"x": -2.0, "y": -1.0}
    assert gradient_of("grad", "-x", "--at", "x=3") == {"x": -1.0}
    code, out, _ = run("grad", "-x*y", "--at", "x=1,y=2")
    assert code == 0 and "f = -x*y" in out  # shown as typed
    code, _, _ = run("grad", "-x", "--at", "x=-2")  # a negative number stays a value
    assert code == 0


def test_leaky_relu_takes_the_librarys_default_slope() -> None:
    from autograd import Value

    slope = Value(0.0).leaky_relu.__defaults__[0]  # type: ignore[attr-defined]
    code, out, _ = run("grad", "leaky_relu(x)", "--at", "x=-2", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["value"] == -2 * slope and doc["gradient"]["x"] == slope
    assert gradient_of("grad", "leaky_relu(x, 0.2)", "--at", "x=-2") == {"x": 0.2}
    code, out, _ = run("grad", "leaky_relu(x)", "--at", "x=-1",
                       "--check", f"x={slope}")
    assert code == 0 and "agrees" in out


# -- --check at several points -----------------------------------------------------------------


def test_check_compares_at_random_points_near_the_given_one() -> None:
    # sin'(0) = 1 = cos(0) + 0: right at the given point, wrong anywhere near it.
    code, out, _ = run("grad", "sin(x)", "--at", "x=0", "--check", "x=cos(x)+x")
    assert code == 1
    assert "agrees with the engine's 1" in out and "4 of 5 disagree" in out
    code, out, _ = run("grad", "sin(x)", "--at", "x=0", "--check", "x=cos(x)+x", "--points", "1")
    assert code == 0
    code, out, _ = run("grad", "sin(x)", "--at", "x=0", "--check", "x=cos(x)", "--json",
                       "--points", "8")
    check = json.loads(out)["checks"][0]
    assert code == 0 and check["ok"] is True and check["points"] == 8


def test_check_reports_the_worst_disagreement_the_same_on_every_run() -> None:
    argv = ("grad", "x*x", "--at", "x=3", "--check", "x=x", "--json")
    first = json.loads(run(*argv)[1])["checks"][0]
    assert first == json.loads(run(*argv)[1])["checks"][0]  # seeded
    worst = first["worst"]
    assert worst["difference"] == worst["yours"] - worst["engine"] == -worst["at"]["x"]
    assert abs(worst["difference"]) >= 3  # no point disagrees by more than the worst
    assert first["disagreements"] == first["points"] == 5


@pytest.mark.parametrize(
    ("expression", "at", "partial"),
    [
        ("log(x)", "x=0", "x=1/x"),  # inf beside inf
        ("sqrt(x)", "x=-1", "x=0.5/sqrt(x)"),  # nan beside nan
        ("x*1e309", "x=1", "x=1e309"),
    ],
)
def test_agreement_on_the_same_non_finite_value_is_agreement(
    expression: str, at: str, partial: str
) -> None:
    code, out, _ = run("check", expression, "--at", at, "--partial", partial)
    assert code == 0 and "DISAGREES" not in out, out


def test_a_finite_value_against_an_infinite_one_disagrees() -> None:
    code, out, _ = run("check", "log(x)", "--at", "x=0", "--partial", "x=1")
    assert code == 1 and "DISAGREES" in out


# -- --json explanations as structure ------------------------------------------------------------


def test_json_explanations_are_structure() -> None:
    code, out, _ = run("grad", "sigmoid(w*x + b)", *POINT, "--explain", "w", "--json")
    assert code == 0
    explained = json.loads(out)["explain"]["w"]
    s = sigmoid(0.5 * 1.5 - 0.2)
    assert explained["sum"] == pytest.approx(s * (1 - s) * 1.5, rel=1e-12)
    (path,) = explained["paths"]
    product = 1.0
    for factor in path["factors"]:
        assert {"name", "formula", "value"} <= set(factor)
        assert factor["name"].startswith("∂")
        product *= factor["value"]
    assert path["product"] == pytest.approx(product, rel=1e-12)
    code, out, _ = run("explain", "w*x + w", "--at", "w=2", "x=3", "--wrt", "w", "--json")
    explained = json.loads(out)["explanation"]
    assert code == 0 and len(explained["paths"]) == 2 and explained["sum"] == 4.0


# -- results before drawings ---------------------------------------------------------------------


def unwritable(tmp_path: Path) -> Path:
    """A path no one can write: its folder is a regular file."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    return blocker / "graph.svg"


def test_an_unwritable_drawing_keeps_the_numbers_and_exits_2(tmp_path: Path) -> None:
    target = unwritable(tmp_path)
    code, out, err = run("grad", "x*y", "--at", "x=1", "y=2", "--draw", str(target))
    assert code == 2 and one_line_error(err) and str(target) in err
    assert "∂f/∂x = 2" in out and "∂f/∂y = 1" in out
    code, out, err = run("grad", "x*y", "--at", "x=1", "y=2", "--draw", str(target), "--json")
    assert code == 2 and one_line_error(err)
    doc = json.loads(out)
    assert doc["gradient"] == {"x": 2.0, "y": 1.0} and doc["drawing"]["path"] is None
    code, out, err = run("draw", "x*y", "--at", "x=1", "y=2", "-o", str(target))
    assert code == 2 and one_line_error(err)


@pytest.mark.needs_graphviz
def test_demo_into_an_unwritable_path_prints_the_demo_then_one_line(tmp_path: Path) -> None:
    code, out, err = run("demo", "--steps", "2", "--no-progress", "--out",
                         str(unwritable(tmp_path)))
    assert code == 2 and one_line_error(err) and "cannot write" in err
    assert "all agree to 1e-12: yes" in out and "After 2 steps" in out


@pytest.mark.needs_graphviz
def test_grad_draw_without_dot_prints_every_number_and_how_to_render(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot anywhere
    target = tmp_path / "g.svg"
    code, out, err = run("grad", "tanh(w*x)", "--at", "w=0.5", "x=2", "--draw", str(target),
                         "--check", "w=x*(1-tanh(w*x)**2)", "--explain", "w")
    assert code == 0 and err == ""
    assert "∂f/∂w = 0.839948683228" in out and "agrees" in out and "product" in out
    assert f"dot -Tsvg {tmp_path / 'g.dot'} -o {target}" in out
    assert out.index("∂f/∂w =") < out.index("dot -Tsvg")
    code, out, _ = run("grad", "tanh(w*x)", "--at", "w=0.5", "x=2", "--draw", str(target),
                       "--json")
    doc = json.loads(out)
    assert code == 0 and doc["gradient"]["w"] == pytest.approx(0.839948683228)
    assert doc["drawing"]["dot_source"] == str(tmp_path / "g.dot")
    assert "dot -Tsvg" in doc["drawing"]["error"]


@pytest.mark.needs_graphviz
def test_rankdir_and_dpi_reach_the_drawing(tmp_path: Path) -> None:
    target = tmp_path / "g.dot"
    code, _, _ = run("grad", "tanh(w*x)", "--at", "w=0.5", "x=2", "--draw", str(target),
                     "--rankdir", "TB", "--dpi", "150")
    source = target.read_text()
    assert code == 0 and "rankdir=TB" in source and "dpi=150" in source
    code, _, _ = run("draw", "w*x", "--at", "w=1", "x=2", "-o", str(target), "--rankdir", "LR")
    assert code == 0 and "rankdir=LR" in target.read_text()
    code, _, _ = run("demo", "--steps", "1", "--no-progress", "--out", str(target),
                     "--rankdir", "TB", "--dpi", "96")
    source = target.read_text()
    assert code == 0 and "rankdir=TB" in source and "dpi=96" in source


@pytest.mark.needs_dot
@needs_dot
def test_dpi_sets_the_size_of_a_png(tmp_path: Path) -> None:
    sizes = []
    for dpi in ("72", "144"):
        target = tmp_path / f"g{dpi}.png"
        code, _, _ = run("draw", "w*x", "--at", "w=1", "x=2", "-o", str(target), "--dpi", dpi)
        assert code == 0
        header = target.read_bytes()[16:24]
        sizes.append(int.from_bytes(header[:4], "big"))
    assert sizes[1] >= 1.9 * sizes[0]


# -- the demo: the post's schedule, and words a newcomer knows --------------------------------


@pytest.mark.needs_graphviz
def test_demo_fixed_biases_follows_the_posts_schedule(tmp_path: Path) -> None:
    code, out, _ = run("demo", "--fixed-biases", "--steps", "3", "--no-progress",
                       "--out", str(tmp_path / "g.dot"))
    assert code == 0
    assert "gives E = 0.291027924 (published 0.291027924)" in out
    from nn.examples import published_schedule

    assert f"E = {published_schedule(3)[0]:.10g}" in out


@pytest.mark.needs_graphviz
def test_the_default_demo_says_in_one_line_why_its_numbers_differ(tmp_path: Path) -> None:
    code, out, _ = run("demo", "--steps", "2", "--no-progress", "--out", str(tmp_path / "g.dot"))
    assert code == 0
    (note,) = [line for line in out.splitlines() if "0.291027924" in line]
    assert "biases" in note and "--fixed-biases" in note
    assert "E = 0.285750887" in out


def test_user_facing_text_names_the_worked_network(tmp_path: Path) -> None:
    help_text = run("--help")[1] + run("demo", "--help")[1]
    assert "2-2-2 logistic network of the worked example" in help_text
    demo = run("demo", "--steps", "1", "--no-progress", "--out", str(tmp_path / "g.dot"))[1]
    assert demo.startswith("Mazur's 2-2-2 logistic network, the worked example")
    for text in (help_text, demo):
        assert "seed" not in text.lower()
    for path in ("kuibu/cli.py", "nn/examples.py", "docs/cli.md", "docs/worked-example.md"):
        assert "seed's" not in (ROOT / path).read_text(encoding="utf-8"), path


def test_json_explanations_define_their_names_and_fall_back_to_the_per_node_form() -> None:
    code, out, _ = run("explain", "w*x + w", "--at", "w=2", "x=3", "--wrt", "w", "--json")
    explained = json.loads(out)["explanation"]
    assert code == 0 and explained["wrt"] == "w" and explained["gradient"] == 4.0
    names = {f["bottom"] for p in explained["paths"] for f in p["factors"]} - {"w", "x"}
    assert names and names <= set(explained["definitions"])  # every n-name used is defined
    wide = "*".join(["(" + "+".join(["w"] * 10) + ")"] * 15)  # more paths than are listed
    code, out, _ = run("explain", wide, "--at", "w=1", "--wrt", "w", "--json")
    explained = json.loads(out)["explanation"]
    assert code == 0 and explained["listed"] is False and explained["paths"] == []
    assert explained["deltas"] and explained["sum"] == pytest.approx(explained["gradient"])


def test_a_reader_that_stops_early_ends_the_command_quietly() -> None:
    """`kuibu ... | head -1`: no traceback and no "bug in kuibu" when the pipe closes."""
    wide = "*".join(["(" + "+".join(["w"] * 10) + ")"] * 9)  # 90 paths: ~140 kB explained
    process = subprocess.Popen(
        [sys.executable, "-m", "kuibu", "grad", wide, "--at", "w=1",
         "--explain", "w", "--explain", "w", "--explain", "w"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(2) == b"f "
    process.stdout.close()  # more than a pipe holds is still to come
    error = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0
    assert error == ""


def test_check_is_the_librarys_check_partials_with_points_counted_in_all() -> None:
    from autograd import check_partials
    from kuibu import cli
    from kuibu.expressions import evaluate_at, read_expression

    code, out, _ = run("grad", "sin(x)*w", "--at", "x=0.3", "w=2", "--check", "x=cos(x)",
                       "--points", "4", "--json")
    doc = json.loads(out)["checks"][0]
    graph = evaluate_at(read_expression("sin(x)*w"), {"x": 0.3, "w": 2.0})
    graph.output.backward()
    (row,) = check_partials(graph.output, {graph.leaves["x"]: "cos(x)"}, atol=cli.ATOL,
                            rtol=cli.RTOL, points=3, seed=cli.CHECK_SEED).rows
    assert code == 1 and not doc["ok"] and doc["ok_here"] is False
    assert doc["points"] == row.points == 4  # --points counts the given point too
    assert doc["disagreements"] == row.failed_points == 4
    assert (doc["yours"], doc["engine"]) == (row.expected_here, row.engine_here)
    assert doc["diagnosis"] == list(row.hints) and doc["diagnosis"]
    # A formula right here but wrong elsewhere: the worst point is the library's.
    code, out, _ = run("grad", "x*x", "--at", "x=3", "--check", "x=x+3", "--json")
    doc = json.loads(out)["checks"][0]
    graph = evaluate_at(read_expression("x*x"), {"x": 3.0})
    graph.output.backward()
    (row,) = check_partials(graph.output, {graph.leaves["x"]: "x+3"}, atol=cli.ATOL,
                            rtol=cli.RTOL, points=cli.POINTS - 1, seed=cli.CHECK_SEED).rows
    assert doc["ok_here"] and not doc["ok"]
    assert doc["worst"]["at"] == row.at and doc["worst"]["yours"] == row.expected
    # One implementation: the command's own sampler and comparison are gone.
    assert not any(hasattr(cli, name) for name in ("_points_near", "_agree", "_diagnosis"))


def test_check_of_a_variable_cut_off_from_the_output_compares_with_zero() -> None:
    code, out, err = run("grad", "step(x)*y", "--at", "x=0.5", "y=2", "--check", "x=0")
    assert code == 0, err
    code, out, err = run("grad", "step(x)*y", "--at", "x=0.5", "y=2", "--check", "x=1")
    assert code == 1 and "was not computed from x" in out


def test_a_check_formula_may_name_f_the_expressions_value() -> None:
    code, out, _ = run("grad", "tanh(x)", "--at", "x=0.5", "--check", "x=1-f**2")
    assert code == 0 and "agrees at 4 random points near it too" in out


# -- numbers checked as typed ------------------------------------------------------------------

ARTICLE = ("net2 = W12*out1 + b2; out2 = σ(net2); net3 = W13*out1 + b3; out3 = σ(net3); "
           "net4 = W24*out2 + W34*out3 + b4; out4 = σ(net4); net5 = W25*out2 + W35*out3 + b5; "
           "out5 = σ(net5); E = ½·(t4 − out4)² + ½·(t5 − out5)²")
ARTICLE_AT = ["--at", "out1=0.5", "W12=0.15", "W13=0.25", "W24=0.40", "W25=0.50", "W34=0.45",
              "W35=0.55", "b2=0.35", "b3=0.35", "b4=0.60", "b5=0.60", "t4=0.01", "t5=0.99"]


def test_a_plain_number_is_compared_at_the_given_point_only() -> None:
    code, out, _ = run("check", "x*y", "x=1", "y=2", "--partial", "x=2")
    assert code == 0
    assert "= 2, which agrees with the engine's 2" in out and "random point" not in out


def test_a_number_copied_with_the_digits_kuibu_prints_agrees_to_those_digits() -> None:
    code, out, _ = run("grad", ARTICLE, *ARTICLE_AT)
    printed = next(line for line in out.splitlines() if line.startswith("∂E/∂W24 = "))
    code, out, _ = run("explain", ARTICLE, *ARTICLE_AT, "--wrt", "W24")
    six = out.splitlines()[-1].split(" = ")[1].split(" ")[0]  # explain's 6 digits: 0.0834616
    assert six == "0.0834616" and printed == "∂E/∂W24 = 0.0834616112746"
    code, out, _ = run("check", ARTICLE, *ARTICLE_AT, "--partial", f"W24={six}")
    assert code == 0
    assert ("= 0.0834616, which agrees with the engine's 0.0834616112746 to the 6 digits you "
            "gave") in out
    code, out, _ = run("check", ARTICLE, *ARTICLE_AT, "--partial", "W24=0.0834")
    assert code == 1
    assert "DISAGREES with the engine's 0.0834616112746 (rounded to the 3 digits you gave it " \
           "is 0.0835)" in out


def test_rtol_and_atol_override_for_numbers_and_formulas() -> None:
    base = ["check", ARTICLE, *ARTICLE_AT]
    assert run(*base, "--partial", "W24=0.0834616", "--rtol", "1e-9")[0] == 1
    assert run(*base, "--partial", "W24=0.08346", "--rtol", "1e-4")[0] == 0
    assert run(*base, "--partial", "W24=0.0834", "--atol", "1e-4")[0] == 0
    near = "W24=(out4 - t4)*out4*(1 - out4)*out2*1.00001"
    assert run(*base, "--partial", near)[0] == 1
    assert run(*base, "--partial", near, "--rtol", "1e-4")[0] == 0
    code, _, err = run(*base, "--partial", near, "--rtol", "-1")
    assert code == 2 and "--rtol" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(("value", "number"), [
    ("−1", -1.0), ("1/2", 0.5), ("-1/4", -0.25), ("pi/4", math.pi / 4), ("exp(-1)", math.exp(-1)),
    ("2e−3", 0.002),
])
def test_at_reads_the_unicode_minus_and_formulas_of_numbers(value: str, number: float) -> None:
    code, out, _ = run("grad", "x*y", "--at", f"x={value}", "y=1", "--json")
    assert code == 0 and json.loads(out)["at"]["x"] == pytest.approx(number, rel=1e-15)


def test_at_refuses_a_value_with_names_saying_why() -> None:
    code, _, err = run("grad", "x*y", "--at", "x=y/2", "y=1")
    assert code == 2 and "'y/2' is not a number" in err and "y has no value there" in err
    code, _, err = run("grad", "x*y", "--at", "x=1/0", "y=1")
    assert code == 2 and "not a finite number" in err


# -- kinks and spellings -----------------------------------------------------------------------


@pytest.mark.parametrize(("expression", "at", "partial", "side"), [
    ("relu(x)", "x=0", "x=1", "from the right"),
    ("ReLU(x)", "x=0", "x=0", "from the left"),
    ("abs(x)", "x=0", "x=-1", "from the left"),
    ("max(0, x)", "x=0", "x=1", "from the right"),
    ("max(x, 0)", "x=0", "x=step(x)", "from the left"),
    ("max(x, y)", "x=1,y=1", "x=1", "from the right"),
])
def test_at_a_kink_the_check_says_so_and_takes_either_side(expression: str, at: str,
                                                            partial: str, side: str) -> None:
    code, out, _ = run("check", expression, "--at", at, "--partial", partial)
    assert code == 0, out
    assert "is at its kink, where ∂f/∂x is not defined" in out
    assert f"yours is the derivative {side}" in out or "from either side" in out


def test_common_spellings_read_as_the_tables_rules() -> None:
    code, out, _ = run("grad", "ln(x) + tan(x) + ReLU(x) + max(x, y)", "x=0.5", "y=2",
                       "--check", "x=1/x + 1 + tan(x)**2 + 1", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["checks"][0]["ok"]
    assert doc["value"] == pytest.approx(math.log(0.5) + math.tan(0.5) + 0.5 + 2.0, rel=1e-15)
    assert doc["gradient"]["y"] == 1.0


def test_the_tan_rule_is_explained_by_its_formula() -> None:
    code, out, _ = run("explain", "tan(w*x)", "w=0.5", "x=2", "--wrt", "w")
    assert code == 0 and f"∂f/∂n1 = 1 + f² = {1 + math.tan(1.0) ** 2:.6g}" in out


# -- every command speaks the reader's language ------------------------------------------------


@pytest.mark.parametrize("argv", [
    ["grad", "sigmoid(w*x)", "w=0.5", "x=2", "--check", "w=x", "--explain", "w"],
    ["explain", "sigmoid(w*x)", "w=0.5", "x=2", "--wrt", "w"],
    ["check", "sigmoid(w*x)", "w=0.5", "x=2", "--partial", "w=0.3"],
    ["explain", "x*y", "x=1", "y=2", "--wrt", "x", "--format", "markdown"],
])
def test_lang_zh_on_every_command(argv: list[str]) -> None:
    code, english, _ = run(*argv, "--lang", "en")
    code_zh, chinese, err = run(*argv, "--lang", "zh")
    assert code == code_zh and err == ""
    assert chinese != english
    assert not any(word in chinese for word in ("agrees", "DISAGREES", "path 1", "Your value",
                                                "the engine"))
    assert any(word in chinese for word in ("一致", "路径", "你的值", "引擎"))


def test_lang_is_an_option_of_explain_not_a_point() -> None:
    code, out, err = run("explain", "x*y", "x=1", "y=2", "--wrt", "x", "--lang", "zh")
    assert code == 0 and "路径 1（共 1 条）" in out and err == ""
    code, _, err = run("explain", "x*y", "x=1", "y=2", "--wrt", "x", "--lang", "fr")
    assert code == 2 and "invalid choice: 'fr'" in err


@pytest.mark.needs_graphviz
def test_draw_and_demo_take_lang_too(tmp_path: Path) -> None:
    code, out, err = run("draw", "x*y", "x=1", "y=2", "-o", str(tmp_path / "g.dot"),
                         "--lang", "zh")
    assert code == 0 and "计算图已画在" in out, err
    from kuibu.cli import build_parser

    assert build_parser()["demo"].parse_args(["--lang", "zh"]).lang == "zh"


@pytest.mark.parametrize(("environ", "lang"), [
    ({"LANG": "zh_CN.UTF-8"}, "zh"), ({"LC_ALL": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
    ({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"LC_MESSAGES": "zh_CN", "LANG": "C"}, "zh"), ({}, "en"), ({"LANG": "C.UTF-8"}, "en"),
])
def test_the_default_language_is_the_locales(monkeypatch, environ: dict[str, str],
                                              lang: str) -> None:
    for key in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(key, raising=False)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    code, out, _ = run("check", "x*y", "x=1", "y=2", "--partial", "x=2")
    assert code == 0 and (("一致" in out) == (lang == "zh"))


def test_a_chinese_locale_speaks_chinese_in_a_fresh_interpreter() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LC_ALL": "", "LANG": "zh_CN.UTF-8",
           "PYTHONIOENCODING": "utf-8"}
    result = subprocess.run(
        [sys.executable, "-m", "kuibu", "check", "x*y", "x=1", "y=2", "--partial", "x=3"],
        capture_output=True, text=True, encoding="utf-8", cwd=ROOT, env=env,
    )
    assert result.returncode == 1, result.stderr
    assert "不一致" in result.stdout and "kuibu explain 'x*y' --at x=1 y=2 --wrt x" in \
        result.stdout and "--lang" not in result.stdout


# -- costs bounded -----------------------------------------------------------------------------


def test_points_are_bounded_by_the_size_of_the_graph() -> None:
    long = "*".join(["x"] * 5000)
    code, _, err = run("check", long, "x=1", "--partial", "x=5000", "--points", "1000")
    assert code == 2 and "at most 51 points fit" in err and "--points 51" in err
    code, _, _ = run("check", "x*y", "x=1", "y=2", "--partial", "x=y", "--points", "1000")
    assert code == 0
    code, _, err = run("check", "x*y", "x=1", "y=2", "--partial", "x=y", "--points", "1001")
    assert code == 2 and "from 1 to 1000" in err


#: The command run in a fresh interpreter, then its CPU time (not wall time: the machine
#: running the tests may be busy) and its peak memory in kB (VmHWM starts afresh at exec, where
#: ru_maxrss would count the test runner's memory, which the child was forked from).
MEASURED = """
import re, resource, sys
from kuibu.cli import main
code = main(sys.argv[1:])
usage = resource.getrusage(resource.RUSAGE_SELF)
peak = re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read())
print(code, usage.ru_utime + usage.ru_stime, peak.group(1), file=sys.stderr)
"""
LONG_LINES = [("x*", "x=1"), ("x+", "x=1"), ("x*x-", "x=1"), ("sin(x)*", "x=cos(x)"),
              ("sigmoid(x)*x+", "x=0.5")]


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize(("pattern", "partial"), LONG_LINES)
def test_a_50000_character_check_is_linear_in_time_and_memory(pattern: str,
                                                              partial: str) -> None:
    expression = (pattern * (49_990 // len(pattern)))[:-1]
    result = subprocess.run(
        [sys.executable, "-c", MEASURED, "check", expression, "x=0.5", "--partial", partial],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    code, seconds, kilobytes = result.stderr.split()[-3:]
    assert code in ("0", "1"), result.stderr
    assert int(kilobytes) < 500_000, kilobytes  # was 2.6 GB
    assert float(seconds) < 5, seconds  # was 15-50 s
