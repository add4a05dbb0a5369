"""Build-time touches for the documentation site (mkdocs hooks; see mkdocs.yml).

- Chinese sentences broken across source lines: a browser shows the line break as a space, which
  Chinese text does not have. Line breaks between two CJK characters are removed from the page's
  prose (never inside code).
- A figure opens full size: every image not already inside a link becomes a link to its file.
- Doctest's ``<BLANKLINE>`` marker is how a doctested example writes an empty output line; the
  reader sees the empty line instead.
"""

from __future__ import annotations

import re
from typing import Any

#: CJK ideographs, kana and the full-width punctuation Chinese prose uses.
CJK = (
    "[\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\uff00-\uffef]"
)
#: A line break between two CJK characters, with tags (a link's) on either side of it.
_BREAK = re.compile(f"({CJK}(?:</?[a-z][^>]*>)*)[ \t]*\n[ \t]*((?:</?[a-z][^>]*>)*{CJK})")
#: Elements whose text is shown as written.
_VERBATIM = re.compile(r"<(pre|code|script|style|textarea)\b.*?</\1>", re.S)
_BLANKLINE_MD = re.compile(r"^([ \t]*)<BLANKLINE>[ \t]*$", re.M)
#: The marker in rendered HTML: plain, or as the highlighter splits it into spans.
_BLANKLINE_HTML = re.compile(
    r"(?:&lt;|<span[^>]*>&lt;</span>)(?:<span[^>]*>)?BLANKLINE(?:</span>)?"
    r"(?:&gt;|<span[^>]*>&gt;</span>)"
)


_IMAGE = re.compile(r'<img\b[^>]*?\bsrc="([^"]+)"[^>]*>')
_LINKED = re.compile(r"<a\b[^>]*>.*?</a>", re.S)


def link_images(html: str) -> str:
    """`html` with each image outside a link wrapped in a link to the image itself."""
    out: list[str] = []
    at = 0
    for m in _LINKED.finditer(html):
        out.append(_IMAGE.sub(_linked_image, html[at : m.start()]))
        out.append(m.group(0))
        at = m.end()
    out.append(_IMAGE.sub(_linked_image, html[at:]))
    return "".join(out)


def _linked_image(m: re.Match[str]) -> str:
    return f'<a class="full-size" href="{m.group(1)}" title="Open full size">{m.group(0)}</a>'


def join_cjk_lines(html: str) -> str:
    """`html` with the line breaks between two CJK characters removed outside verbatim elements."""
    out: list[str] = []
    at = 0
    for m in _VERBATIM.finditer(html):
        out.append(_BREAK.sub(r"\1\2", html[at : m.start()]))
        out.append(m.group(0))
        at = m.end()
    out.append(_BREAK.sub(r"\1\2", html[at:]))
    return "".join(out)


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    return _BLANKLINE_MD.sub(r"\1", markdown)


def on_page_content(html: str, **kwargs: Any) -> str:
    return link_images(join_cjk_lines(_BLANKLINE_HTML.sub("", html)))
