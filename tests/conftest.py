"""Shared test settings.

Hypothesis runs derandomized, so a failure in CI reproduces locally. Tests that need a tool outside
the `test` extra say so with a marker (or `pytest.importorskip`) and are skipped, with the reason,
where the tool is missing, so ``pip install -e '.[test]' && python -m pytest`` passes anywhere.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "kuibu",
    derandomize=True,
    deadline=None,
    max_examples=int(os.environ.get("KUIBU_EXAMPLES", "150")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.load_profile("kuibu")

# The command speaks the locale's language (zh_* gives Chinese); the tests and the docs' examples
# show English, so they run in an English locale whatever the machine's is.
for _key in ("LC_ALL", "LC_MESSAGES", "LANG"):
    if os.environ.get(_key, "").lower().startswith("zh"):
        os.environ[_key] = "C.UTF-8"


#: Why a test that draws is skipped where the graphviz Python package is missing. It is one of
#: kuibu's own dependencies, so this happens only where kuibu was not installed (the tests run
#: from a checkout): `viz` imports without it, and the top-level conftest.py skips a test that
#: stops only because a drawing needs it.
GRAPHVIZ_MISSING = "needs the graphviz Python package (pip install graphviz, a kuibu dependency)"


def _missing_modules(*names: str) -> list[str]:
    missing = []
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    return missing


def chromium() -> str | None:
    """A Chromium that playwright can start: on PATH, or downloaded by ``playwright install``."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    cache = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH", Path.home() / ".cache/ms-playwright"))
    bundled = sorted(cache.glob("chromium*/chrome-linux*/chrome")) if cache.is_dir() else []
    return str(bundled[-1]) if bundled else None


def _why_skip(marker: str) -> str | None:
    """Why the tests with `marker` cannot run here, or None when they can."""
    if marker == "needs_graphviz":
        return GRAPHVIZ_MISSING if importlib.util.find_spec("graphviz") is None else None
    if marker == "needs_dot":  # drawing: Graphviz's program and the Python package
        if importlib.util.find_spec("graphviz") is None:
            return GRAPHVIZ_MISSING
        found = shutil.which("dot")
        return None if found else "needs Graphviz's dot program (apt install graphviz)"
    if marker == "needs_browser":
        missing = _missing_modules("playwright")
        if missing:
            return "needs playwright (pip install -e '.[browser]')"
        return None if chromium() else "needs a Chromium (apt install chromium)"
    if marker == "needs_notebook":
        missing = _missing_modules("nbclient", "nbformat", "ipykernel")
        return f"needs {', '.join(missing)} (pip install -e '.[notebook]')" if missing else None
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip, with the reason, each test whose `needs_*` marker names a missing tool."""
    reasons: dict[str, str | None] = {}
    for item in items:
        for marker in item.iter_markers():
            if marker.name.startswith("needs_"):
                if marker.name not in reasons:
                    reasons[marker.name] = _why_skip(marker.name)
                reason = reasons[marker.name]
                if reason is not None:
                    item.add_marker(pytest.mark.skip(reason=reason))



@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium for a module of page tests (mark them `needs_browser`, which skips
    them, with the reason, where playwright or a Chromium is missing)."""
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="needs playwright (pip install -e '.[browser]')")
    executable = chromium()
    if executable is None:
        pytest.skip("needs a Chromium (apt install chromium)")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable)
        yield launched
        launched.close()
