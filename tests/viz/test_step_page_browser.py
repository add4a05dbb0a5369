"""The step page in headless Chromium: it paints at once, a click opens a block into its parts,
the timeline steps through the blocks. Skipped without Playwright or Chromium."""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import pytest

from nn.microgpt import build, load_names
from viz.step_page import explore_step

# `browser` is the suite's (tests/conftest.py); `needs_browser` skips where it cannot start.
pytestmark = [pytest.mark.needs_browser]


def first_paint(browser: Any, path: Path) -> tuple[float, Any, list[str]]:
    """Milliseconds from navigation to the first contentful paint, the page, its errors."""
    page = browser.new_page(viewport={"width": 1600, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(path.as_uri())
    # Polled from here: the page's policy forbids the eval that wait_for_function would need.
    ms = None
    for _ in range(200):
        ms = page.evaluate("(performance.getEntriesByName('first-contentful-paint')[0] || {})"
                           ".startTime")
        if ms is not None:
            break
        page.wait_for_timeout(25)
    assert ms is not None, "no first contentful paint in 5 s"
    return float(ms), page, errors


def test_a_microgpt_step_paints_in_under_two_seconds(browser: Any, tmp_path: Path) -> None:
    model, _, _ = build(load_names(), 42)
    loss = model.loss("olivia")  # microgpt's model, one document: 7 positions
    loss.backward()
    totals = []
    for k in range(3):
        start = time.perf_counter()
        path = explore_step(loss).save(tmp_path / f"step{k}.html")
        built = time.perf_counter() - start
        ms, page, errors = first_paint(browser, path)
        page.close()
        assert not errors
        totals.append(built + ms / 1000)
    assert statistics.median(totals) < 2.0, totals


def test_a_click_opens_a_block_and_the_timeline_steps(browser: Any, tmp_path: Path) -> None:
    model, _, _ = build(load_names(), 42, n_embd=8, n_head=2)
    loss = model.loss("ada")
    loss.backward()
    _, page, errors = first_paint(browser, explore_step(loss).save(tmp_path / "ada.html"))
    head = page.locator('[data-name="p1 layer0 head1"]')
    head.locator("rect").click()
    assert page.locator(".parts rect").count() >= 5  # its parts, made on the click
    assert page.inner_text("#info-title") == "layer0 attention head 1"
    assert "linear · attn_wq" in page.inner_text("#info-parts")
    head.locator("rect").click()  # a second click closes it
    assert page.locator(".parts").count() == 0
    # Step 1 is the first embedding; later blocks are faded until the forward pass reaches them.
    assert "embedding" in page.inner_text("#step-title")
    assert page.locator(".block.later").count() > 0
    last = int(page.get_attribute("#slider", "max") or 0)
    page.fill("#slider", str(last))
    page.dispatch_event("#slider", "input")
    assert page.locator(".block.later").count() == 0
    assert page.locator(".block.graded").count() == page.locator(".block").count()
    page.keyboard.press("ArrowLeft")
    assert page.locator(".block.graded").count() == page.locator(".block").count() - 1
    assert not errors
    page.close()


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080), (390, 844)])
def test_text_reads_at_12_px_and_no_line_crosses_a_boxs_text(browser: Any, tmp_path: Path,
                                                              size: tuple[int, int]) -> None:
    model, _, _ = build(load_names(), 42)
    loss = model.loss("olivia")
    loss.backward()
    path = explore_step(loss).save(tmp_path / "olivia.html")
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.goto(path.as_uri())
    # Text as a person sees it: the font's size times the drawing's scale on the screen.
    px = page.evaluate("""() => Array.from(document.querySelectorAll('.block text')).map(t =>
        parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)""")
    assert min(px) >= 12.0, min(px)
    # The keys-and-values lines run in lanes beside the heads: no segment of a dashed path
    # passes over a box (the vertical ones stay right of every box they pass).
    crossings = page.evaluate("""() => {
        const boxes = Array.from(document.querySelectorAll('.block rect.box')).map(r =>
            r.getBBox());
        let bad = 0;
        for (const p of document.querySelectorAll('.link.kv')) {
            const [, x1, y1, lane, y2] = p.getAttribute('d').match(
                /M(-?[\\d.]+),(-?[\\d.]+) H(-?[\\d.]+) V(-?[\\d.]+)/).map(Number);
            for (const b of boxes) {
                const inX = lane > b.x + 1 && lane < b.x + b.width - 1;
                const inY = Math.max(y1, y2) > b.y && Math.min(y1, y2) < b.y + b.height;
                if (inX && inY) bad += 1;
            }
        }
        return bad;
    }""")
    assert crossings == 0
    page.close()
