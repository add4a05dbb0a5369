"""`--code` prints the generated program; it runs without kuibu and gives the engine's numbers."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import pytest

from kuibu.cli import main


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def _program(text: str) -> str:
    return text[text.index("import math"):]


def test_grad_code_prints_a_program_with_the_engines_numbers() -> None:
    code, out, err = _run("grad", "sigmoid(w*x + b)", "--at", "w=0.5,x=1.5,b=-0.2", "--code")
    assert code == 0, err
    namespace: dict[str, object] = {"__builtins__": __builtins__}
    exec(_program(out), namespace)
    value, grads = namespace["forward_backward"](0.5, 1.5, -0.2)  # type: ignore[operator]
    s = 1 / (1 + math.exp(-(0.5 * 1.5 - 0.2)))
    assert value == s
    assert math.isclose(grads[0], s * (1 - s) * 1.5, rel_tol=1e-15)


def test_grad_code_in_json() -> None:
    code, out, _ = _run("grad", "w*x", "--at", "w=2,x=3", "--json", "--code")
    assert code == 0
    assert "def forward_backward(w, x):" in json.loads(out)["code"]


@pytest.mark.needs_graphviz
def test_demo_code_is_the_worked_example_in_its_own_names(tmp_path: Path) -> None:
    code, out, err = _run("demo", "--code", "--steps", "1", "--no-progress", "--out",
                          str(tmp_path / "g.dot"))
    assert code == 0, err
    assert "The program of the worked example" in out
    program = _program(out.split("The program of the worked example", 1)[1])
    for line in ("out_h1 = sigmoid(net_h1)", "def forward_backward(w1, w2, w3, w4, w5, w6, w7, w8"):
        assert line in program
    namespace: dict[str, object] = {"__builtins__": __builtins__}
    exec(program.split("\n\nThe computation graph")[0], namespace)
    value, grads = namespace["forward_backward"](  # type: ignore[operator]
        0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55, 0.35, 0.60)
    assert round(value, 9) == 0.298371109
    assert round(grads[4], 9) == 0.082167041  # ∂E/∂w5, the published figure
