"""A griffe extension for the API pages: docstring examples (``>>>`` lines and their output)
are shown as code blocks, not read as Markdown, where ``[a][b]`` would be a link."""

from __future__ import annotations

from typing import Any

try:
    from griffe import Extension
except ModuleNotFoundError:  # the docs extra is not installed: fence_doctests still works
    Extension = object  # type: ignore[assignment,misc]


def fence_doctests(text: str) -> str:
    """Wrap each run of doctest lines (a ``>>>`` line up to the next blank line) in a fence."""
    out: list[str] = []
    inside = False
    for line in text.splitlines():
        if not inside and line.lstrip().startswith(">>>"):
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}```pycon")
            inside = True
        elif inside and not line.strip():
            out.append(f"{indent}```")
            inside = False
        out.append(line)
    if inside:
        out.append(f"{indent}```")
    return "\n".join(out)


class FenceDoctests(Extension):
    """Apply `fence_doctests` to every docstring griffe loads."""

    def on_object(self, *, obj: Any, **kwargs: Any) -> None:
        if obj.docstring is not None and "```pycon" not in obj.docstring.value:
            obj.docstring.value = fence_doctests(obj.docstring.value)

    def on_package(self, *, pkg: Any, **kwargs: Any) -> None:
        self.on_object(obj=pkg)  # a package's own docstring is not among its objects
