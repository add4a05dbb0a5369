"""Write the explorer page of the worked example into the docs: ``python docs/make_explorer.py``.

The page goes to docs/explorer/worked-example.html, which docs/explorer.md embeds, so the site
itself lets a reader step through the worked example. ``--screenshots`` also takes the pictures
in docs/images/ (explorer.png at 1366 × 768, explorer-phone.png at 390 × 844) with headless
Chromium; it needs Playwright and a Chromium (``--chromium PATH``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DOCS = Path(__file__).resolve().parent
PAGE = DOCS / "explorer" / "worked-example.html"
TITLE = "The worked example, step by step"
SUBTITLE = ("Mazur's 2-2-2 logistic network (nn.examples): E = ½Σ(target − out)², "
            "inputs 0.05 and 0.10, targets 0.01 and 0.99, lr = 0.5")
#: The step the screenshots show: the backward pass at out_h2, which gathers two terms.
SHOT_STEP = 46


def explorer() -> Any:
    """The worked example's explorer page (an `Explorer`)."""
    from nn.examples import LEARNING_RATE, build, forward
    from viz.explore import explore

    return explore(forward(build())["E"], title=TITLE, subtitle=SUBTITLE, lr=LEARNING_RATE)


def page() -> Path:
    """The worked example's explorer page, saved into the docs."""
    return explorer().save(PAGE)  # type: ignore[no-any-return]


def screenshots(chromium: str) -> list[Path]:
    """The page on a projector-sized screen and on a phone, half-way through the backward
    pass, with w1 clicked (its two paths highlighted)."""
    from playwright.sync_api import sync_playwright

    shots = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium)
        for name, size, phone in (("explorer.png", (1366, 768), False),
                                  ("explorer-phone.png", (390, 844), True)):
            context = browser.new_context(viewport={"width": size[0], "height": size[1]},
                                          has_touch=phone, is_mobile=phone,
                                          reduced_motion="reduce")
            tab = context.new_page()
            tab.goto(PAGE.as_uri())
            tab.locator('[data-name="w1"]').click()  # in view when the page opens
            tab.locator("#slider").fill(str(SHOT_STEP))
            tab.evaluate("() => document.activeElement.blur()")
            path = DOCS / "images" / name
            tab.screenshot(path=str(path))
            shots.append(path)
            context.close()
        browser.close()
    return shots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screenshots", action="store_true", help="also take the screenshots")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="Chromium's executable")
    args = parser.parse_args()
    print(page())
    if args.screenshots:
        for path in screenshots(args.chromium):
            print(path)


if __name__ == "__main__":
    main()
