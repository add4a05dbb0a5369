"""The documentation cannot rot: its examples run (pytest's doctest collects every page) and this
module holds the rest — every Python example is a doctest, the operations page matches the rule
table, and the site builds with ``mkdocs build --strict``."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_python_example_is_a_doctest_that_pytest_runs(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    for block in blocks:
        assert block.lstrip().startswith(">>>"), f"{page.name}: an example that never runs: {block}"


def test_the_operations_page_is_written_from_the_rule_table() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "make_operations.py"), "--check"],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr


def test_every_nav_page_exists_and_every_page_is_in_the_nav() -> None:
    nav = re.findall(r":\s+(\S+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(), flags=re.M)
    names = {p.name for p in (ROOT / "docs").glob("*.md")}
    # A translation (index.zh.md) is the page of its original (index.md), in another language.
    translations = {n for n in names if re.search(r"\.[a-z]{2}\.md$", n)}
    assert set(nav) == names - translations
    for name in translations:
        assert re.sub(r"\.[a-z]{2}\.md$", ".md", name) in names, f"{name} translates no page"


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    mkdocs = shutil.which("mkdocs")
    command = [mkdocs] if mkdocs else [sys.executable, "-m", "mkdocs"]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # the theme's notice about its own future
    result = subprocess.run(
        [*command, "build", "--strict", "--site-dir", str(tmp_path / "site")],
        capture_output=True, text=True, cwd=ROOT, env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "index.html").exists()
