"""The shape of the house: which package may import which (STYLE.md), checked on the source."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["autograd", "nn", "viz", "kuibu"]


def imports_of(package: str) -> dict[str, set[str]]:
    """Each module of the package -> the top-level names it imports (plus 'autograd.x' forms)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def top(name: str) -> str:
    return name.split(".")[0]


def test_autograd_imports_only_the_standard_library_and_itself() -> None:
    stdlib = set(sys.stdlib_module_names)
    for module, names in imports_of("autograd").items():
        for name in names:
            assert top(name) in stdlib | {"autograd", "sympy"}, f"{module} imports {name}"


def test_nn_and_viz_use_only_autograds_public_names() -> None:
    for package in ("nn", "viz"):
        other = "viz" if package == "nn" else "nn"
        for module, names in imports_of(package).items():
            for name in names:
                assert name == "autograd" or not name.startswith("autograd."), (
                    f"{module} imports {name}: use `from autograd import ...`"
                )
                assert top(name) not in (other, "kuibu"), f"{module} imports {name}"


def test_nothing_imports_the_application_layer() -> None:
    for package in ("autograd", "nn", "viz"):
        for module, names in imports_of(package).items():
            assert "kuibu" not in {top(n) for n in names}, module


def test_import_autograd_loads_no_drawing_network_or_optional_package() -> None:
    code = (
        "import sys, autograd; "
        "print(sorted(m for m in ('graphviz', 'nn', 'viz', 'sympy', 'numpy', 'torch') "
        "if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("package", ["autograd", "nn", "viz"])
def test_every_package_ships_py_typed_and_declares_all(package: str) -> None:
    assert (ROOT / package / "py.typed").exists()
    tree = ast.parse((ROOT / package / "__init__.py").read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{package}/__init__.py needs a docstring"
    assert any(
        (isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in n.targets))
        or (isinstance(n, ast.AnnAssign) and getattr(n.target, "id", "") == "__all__")
        for n in tree.body
    )


def test_every_module_starts_with_a_docstring() -> None:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            assert ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))), path
