"""nn uses only autograd's public names, never viz or graphviz, and loads no optional extras."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import autograd

NN = Path(__file__).resolve().parents[2] / "nn"


def test_nn_imports_only_public_autograd_names() -> None:
    for path in sorted(NN.glob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    top = alias.name.split(".")[0]
                    assert top not in {"autograd", "viz", "graphviz", "tqdm"}, (path, alias.name)
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                top = module.split(".")[0]
                assert top not in {"viz", "graphviz", "tqdm", "micrograd", "torch"}, (path, module)
                if top == "autograd":
                    assert module == "autograd", (path, module)
                    for alias in node.names:
                        assert alias.name in autograd.__all__, (path, alias.name)


def test_importing_nn_loads_no_viz_graphviz_or_tqdm() -> None:
    code = (
        "import sys, nn; "
        "print(sorted(m for m in ('viz', 'graphviz', 'tqdm', 'micrograd', 'torch') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=NN.parent, check=True)
    assert out.stdout.strip() == "[]"
