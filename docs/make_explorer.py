"""Write the explorer page of the worked example into the docs: ``python docs/make_explorer.py``.

The page goes to docs/explorer/worked-example.html, which docs/explorer.md embeds, so the site
itself lets a reader step through the worked example. ``--screenshots`` also takes the pictures
in docs/images/ with headless Chromium (it needs Playwright and a Chromium: ``--chromium PATH``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DOCS = Path(__file__).resolve().parent
PAGE = DOCS / "explorer" / "worked-example.html"
TITLE = "The worked example, step by step"


def page() -> Path:
    """The worked example's explorer page, saved into the docs."""
    from nn.examples import build, forward
    from viz.explore import explore

    return explore(forward(build())["E"], title=TITLE).save(PAGE)


def screenshots(chromium: str) -> list[Path]:
    """The page at a desktop and at a phone size, mid-way through the backward pass."""
    from playwright.sync_api import sync_playwright

    shots = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium)
        for name, size, zoom in (("explorer.png", (1280, 720), 2), ("explorer-phone.png",
                                                                      (390, 844), 4)):
            tab = browser.new_page(viewport={"width": size[0], "height": size[1]})
            tab.goto(PAGE.as_uri())
            tab.locator('[data-name="w1"]').click()
            for _ in range(zoom):
                tab.get_by_role("button", name="Zoom in").click()
            tab.locator("#slider").fill("45")  # the backward pass at out_h2, zoomed to it
            path = DOCS / "images" / name
            tab.screenshot(path=str(path))
            shots.append(path)
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
