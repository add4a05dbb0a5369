"""How nn shows a user's value inside an error message: its repr, shortened to one line."""

from __future__ import annotations

__all__ = ["short"]

#: Longest repr an error message quotes in full; longer ones are cut with "...".
LIMIT = 60


def short(obj: object) -> str:
    """repr(obj), cut to `LIMIT` characters so a huge list cannot flood a message.

    >>> short([0] * 100)
    '[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,...'
    """
    text = repr(obj)
    return text if len(text) <= LIMIT else text[: LIMIT - 3] + "..."
