"""docs/reliability.md names the test that holds each promise: every name it gives is a test.

A reference is ``tests/<file>.py::<test>``, or ``::<test>`` for another test of the file named
last before it.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_test_the_reliability_page_names_exists() -> None:
    text = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    named = 0
    current: Path | None = None
    for found in re.finditer(r"(tests/[\w/]+\.py)?::(\w+)", text):
        if found.group(1):
            current = ROOT / found.group(1)
        assert current is not None, f"::{found.group(2)} follows no file"
        source = current.read_text(encoding="utf-8")
        assert re.search(rf"^def {found.group(2)}\(", source, flags=re.M), \
            f"{current.relative_to(ROOT)} has no test {found.group(2)}"
        named += 1
    assert named >= 30
