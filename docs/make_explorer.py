"""Write the explorer page of the worked example into the docs: ``python docs/make_explorer.py``.

The page goes to docs/explorer/worked-example.html, which docs/explorer.md embeds, so the site
itself lets a reader step through the worked example; its Chinese page to
docs/explorer/worked-example.zh.html, which the Chinese site serves in its place.
``--screenshots`` also takes the pictures in docs/images/ (explorer.png at 1366 × 768,
explorer-phone.png at 390 × 844, and explorer-zh.png, explorer-phone-zh.png of the Chinese page)
with headless Chromium; it needs Playwright and a Chromium (``--chromium PATH``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DOCS = Path(__file__).resolve().parent
#: The page in each language; the Chinese one is the English one's translation (suffix .zh).
PAGES = {"en": DOCS / "explorer" / "worked-example.html",
         "zh": DOCS / "explorer" / "worked-example.zh.html"}
#: The step the screenshots show: the backward pass at out_h2, which gathers two terms.
SHOT_STEP = 46


def explorer(lang: str = "en") -> Any:
    """The worked example's explorer page (an `Explorer`), in `lang`: the page `kuibu demo
    --html` writes."""
    from nn.examples import LEARNING_RATE, build, forward
    from nn.worked_text import text
    from viz.explore import explore

    words = text(lang)
    return explore(forward(build())["E"], title=words["page_title"],
                   subtitle=words["page_subtitle"], lr=LEARNING_RATE, lang=lang)


def pages() -> list[Path]:
    """The worked example's explorer pages, saved into the docs."""
    return [explorer(lang).save(path) for lang, path in PAGES.items()]


def screenshots(chromium: str, langs: tuple[str, ...] = ("en", "zh")) -> list[Path]:
    """The page on a projector-sized screen and on a phone, half-way through the backward
    pass, with w1 clicked (its two paths highlighted), in each language of `langs`."""
    from playwright.sync_api import sync_playwright

    shots = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium)
        for lang, (name, size, phone) in (
            (lang, shot) for lang in langs
            for shot in (("explorer", (1366, 768), False), ("explorer-phone", (390, 844), True))
        ):
            context = browser.new_context(viewport={"width": size[0], "height": size[1]},
                                          has_touch=phone, is_mobile=phone,
                                          reduced_motion="reduce")
            tab = context.new_page()
            tab.goto(PAGES[lang].as_uri())
            tab.locator('[data-name="w1"]').click()  # in view when the page opens
            tab.locator("#slider").fill(str(SHOT_STEP))
            tab.evaluate("() => document.activeElement.blur()")
            path = DOCS / "images" / (f"{name}.png" if lang == "en" else f"{name}-{lang}.png")
            tab.screenshot(path=str(path))
            shots.append(path)
            context.close()
        browser.close()
    return shots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screenshots", action="store_true", help="also take the screenshots")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="Chromium's executable")
    parser.add_argument("--lang", choices=sorted(PAGES), action="append",
                        help="take the screenshots of this language's page only (repeatable)")
    args = parser.parse_args()
    for path in pages():
        print(path)
    if args.screenshots:
        for path in screenshots(args.chromium, tuple(args.lang or PAGES)):
            print(path)


if __name__ == "__main__":
    main()
