"""The documentation cannot rot: its examples run (pytest's doctest collects every page) and this
module holds the rest — every Python example is a doctest, the operations page matches the rule
table, and the site builds with ``mkdocs build --strict``."""

from __future__ import annotations

import html
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


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documentation site, built once with ``mkdocs build --strict``."""
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    mkdocs = shutil.which("mkdocs")
    command = [mkdocs] if mkdocs else [sys.executable, "-m", "mkdocs"]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # the theme's notice about its own future
    out = tmp_path_factory.mktemp("docs") / "site"
    result = subprocess.run(
        [*command, "build", "--strict", "--site-dir", str(out)],
        capture_output=True, text=True, cwd=ROOT, env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


@pytest.mark.slow
def test_mkdocs_build_strict(site: Path) -> None:
    assert (site / "index.html").exists()
    pages = sorted(site.rglob("*.html"))
    assert not [p for p in pages if "BLANKLINE" in p.read_text(encoding="utf-8")]
    assert not broken_links(site, pages)
    from docs.hooks import link_images  # every figure opens full size: none left unlinked

    assert not [p for p in pages if link_images(t := p.read_text(encoding="utf-8")) != t]
    chinese = [p for p in pages if p.relative_to(site).parts[0] == "zh"]
    assert chinese
    assert not {str(p.relative_to(site)): s for p in chinese if (s := cjk_spaces(p))}


_LINK = re.compile(r'<(?:a|img|iframe|script|link)\b[^>]*?\b(?:href|src)="([^"#?]+)[^"]*"')


def broken_links(site: Path, pages: list[Path]) -> list[str]:
    """Links and embedded files of the built site that lead nowhere (a 404 for the reader)."""
    broken = []
    for page in pages:
        for target in _LINK.findall(page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:|//", target):
                continue  # another site, mail, data
            where = (site / target.lstrip("/")) if target.startswith("/") else page.parent / target
            if not (where.is_file() or (where / "index.html").is_file()):
                broken.append(f"{page.relative_to(site)} -> {target}")
    return broken


def cjk_spaces(page: Path) -> list[str]:
    """Places in a page's prose where a space (or a line break, which shows as one) stands between
    two Chinese characters."""
    from docs.hooks import CJK

    text = page.read_text(encoding="utf-8").split("<article", 1)[-1].split("</article>", 1)[0]
    text = re.sub(r"<(pre|script|style)\b.*?</\1>", "", text, flags=re.S)
    text = re.sub(r"<code\b.*?</code>", "code", text, flags=re.S)  # inline code is no CJK
    text = re.sub(r"</?(p|li|h\d|td|th|div|ul|ol|table|tr|blockquote)\b[^>]*>", "\n\n", text)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return re.findall(f"{CJK}(?: |[ \t]*\n[ \t]*){CJK}", text)


# Packages outside the `test` extra: the suite must collect, and skip what needs them, without.
OPTIONAL = [
    "griffe", "mkdocs", "mkdocstrings", "material", "torch", "micrograd", "sympy", "matplotlib",
    "tqdm", "numpy", "sklearn", "playwright", "nbclient", "nbformat", "ipykernel", "ruff", "mypy",
]

BLOCKER = """
import sys
BLOCKED = set(sys.argv.pop(1).split(","))
class Blocker:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (hidden by the test)", name=name)
        return None
sys.meta_path.insert(0, Blocker)
import pytest
sys.exit(pytest.main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_the_suite_collects_with_only_the_test_extra() -> None:
    result = subprocess.run(
        [sys.executable, "-c", BLOCKER, ",".join(OPTIONAL), "--collect-only", "-q"],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert " error" not in result.stdout.splitlines()[-1], result.stdout[-3000:]


def test_the_readme_test_command_is_the_one_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", quick_start, flags=re.S)
    assert any(c.endswith("pip install -e '.[test]' && python -m pytest") for c in commands)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "readme_command test" in ci  # .ci/run reads the command from the README itself


#: The embedded explorer's boxes' text in CSS pixels, at least, per screen (as on its own page).
EMBED_SCREENS = {(1366, 768): 11.0, (1920, 1080): 11.0, (390, 844): 9.0}


@pytest.mark.slow
@pytest.mark.needs_browser
@pytest.mark.parametrize("page", ["explorer", "zh/explorer"])
def test_the_embedded_explorer_reads_on_every_screen(site: Path, page: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright")
    chromium = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "")
                     if p and Path(p).exists()), None)
    if chromium is None or shutil.which("dot") is None:
        pytest.skip("needs Chromium and Graphviz's dot (the page embeds a laid-out graph)")
    measure = """() => {
        const m = document.getElementById("graph").getScreenCTM();
        const sizes = [...document.querySelectorAll(".box:not(.off) text")]
            .map((t) => parseFloat(getComputedStyle(t).fontSize));
        return [Math.min(...sizes) * Math.hypot(m.a, m.b), document.documentElement.lang];
    }"""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium)
        for (width, height), least in EMBED_SCREENS.items():
            tab = browser.new_page(viewport={"width": width, "height": height})
            tab.goto((site / page / "index.html").as_uri())
            frame = tab.frame_locator("iframe").first
            frame.locator("#graph").wait_for()
            inner = next(f for f in tab.frames if f.url.endswith("worked-example.html"))
            px, lang = inner.evaluate(measure)
            assert px >= least, (page, width, height, px)
            assert lang == ("zh" if page.startswith("zh") else "en")
            tab.close()
        browser.close()
