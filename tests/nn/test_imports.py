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


def _nn_imports(path: Path) -> set[str]:
    """The nn modules a file imports (``nn.saving`` for ``from nn import saving`` too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "nn":
            if node.module == "nn":
                found.update(f"nn.{alias.name}" for alias in node.names)
            else:
                found.add(str(node.module))
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "nn")
    return found


def test_no_two_nn_modules_import_each_other() -> None:
    graph = {f"nn.{p.stem}": _nn_imports(p) for p in NN.glob("*.py") if p.stem != "__init__"}
    for module, imported in graph.items():
        for other in imported:
            assert module not in graph.get(other, set()), (module, other)
    assert "nn.modules" not in graph["nn.saving"]  # the file format knows no module classes


def test_short_has_one_home_in_nn() -> None:
    homes = [p.name for p in sorted(NN.glob("*.py")) if "def _short(" in p.read_text()
             or "def short(" in p.read_text()]
    assert homes == ["_text.py"]
