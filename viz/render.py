"""`render`: a drawing saved as SVG, PNG or PDF by Graphviz's `dot` program, or as DOT source.

`dot` is run here directly (rather than through `graphviz.Digraph.render`) so that it runs under a
time limit and so that, when it is missing, the error says how to install it and where the DOT
source was written instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import graphviz  # type: ignore[import-untyped]

from autograd import Value
from viz.dot import draw_dot
from viz.parts import check_layout
from viz.slide import SIZES, size_attrs

__all__ = ["FORMATS", "DotNotFoundError", "RenderError", "render"]

#: Output formats `render` accepts; "dot" and "gv" write the DOT source and need no Graphviz.
FORMATS = ("svg", "png", "pdf", "dot", "gv")
_SOURCE_FORMATS = ("dot", "gv")

INSTALL_HINT = """Install Graphviz (the Python package `graphviz` only drives its `dot` program):
  Debian/Ubuntu:  sudo apt install graphviz
  macOS:          brew install graphviz
  conda:          conda install -c conda-forge graphviz
  Windows:        winget install graphviz   (then add Graphviz's bin folder to PATH)"""


class RenderError(RuntimeError):
    """Graphviz's `dot` failed or ran out of time; `source_path` holds the DOT source."""

    def __init__(self, message: str, source_path: Path) -> None:
        super().__init__(message)
        self.source_path = source_path


class DotNotFoundError(RenderError):
    """Graphviz's `dot` program is not installed (or not on PATH)."""


def render(
    graph: Value | graphviz.Digraph,
    path: str | os.PathLike[str],
    format: str | None = None,  # noqa: A002 - the issue's and graphviz's name
    *,
    timeout: float | None = 60.0,
    rankdir: str | None = None,
    dpi: int | None = None,
    size: str | None = None,
) -> Path:
    """Draw `graph` (a root Value, or a Digraph from `draw_dot`) into the file `path`; return it.

    The format comes from `format` or else from the file's suffix (svg when there is none, and
    then the suffix is added). ``format="dot"`` writes the DOT source, which needs no Graphviz.
    Any other format runs Graphviz's `dot`, at most `timeout` seconds (None: no limit). When
    `dot` is missing or fails, the DOT source is written beside `path` (suffix ``.dot``) and the
    error says where.

    `rankdir` ("LR", "TB", "RL", "BT"; None: `draw_dot`'s choice) and `dpi` (pixels per inch of
    a PNG; None: Graphviz's 96) are `draw_dot`'s, and also apply to a Digraph given here.
    `size` ("16:9", "4:3") is `draw_dot`'s slide preset; a Digraph given here is only scaled to
    the slide (draw it with ``draw_dot(..., size=...)`` to have its text checked).

    >>> from autograd import Value
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = render(Value(1.0, label="x") * 2, pathlib.Path(tmp) / "x", format="dot")
    ...     print(out.name, "v0_op" in out.read_text() or "v1_op" in out.read_text())
    x.dot True
    """
    if isinstance(graph, Value):
        graph = draw_dot(graph, rankdir=rankdir, dpi=dpi, size=size)
    elif not isinstance(graph, graphviz.Digraph):
        raise TypeError(
            f"render: graph must be a Value or a graphviz.Digraph (from draw_dot), not "
            f"{type(graph).__name__}: {graph!r}"
        )
    elif rankdir is not None or dpi is not None or size is not None:
        check_layout("render", rankdir, dpi)
        if size is not None and size not in SIZES:
            raise ValueError(f"render: size must be one of {', '.join(map(repr, SIZES))} or "
                             f"None, not {size!r}")
        graph = graph.copy()
        # A later graph attribute statement overrides the one draw_dot wrote.
        graph.attr(**({"rankdir": rankdir} if rankdir else {}),
                   **({"dpi": str(dpi)} if dpi is not None else {}),
                   **(size_attrs(SIZES[size], dpi) if size is not None else {}))
    target = Path(path)
    suffix = target.suffix[1:].lower()
    kind = format if format is not None else (suffix or "svg")
    if kind not in FORMATS:
        raise ValueError(f"render: format must be one of {', '.join(FORMATS)}, not {kind!r}")
    if not suffix:
        target = target.with_name(f"{target.name}.{kind}")
    elif suffix != kind and suffix in FORMATS:
        raise ValueError(
            f"render: the file {target} ends in .{suffix} but format is {kind!r}; "
            "make them agree"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    source: str = graph.source
    if kind in _SOURCE_FORMATS:
        target.write_text(source, encoding="utf-8")
        return target

    source_path = target.with_suffix(".dot")
    dot = shutil.which("dot")
    if dot is None:
        source_path.write_text(source, encoding="utf-8")
        raise DotNotFoundError(
            f"render: Graphviz's `dot` program was not found on PATH, so {target} could not be "
            f"drawn. The DOT source was written to {source_path} instead (render it later with "
            f"`dot -T{kind} {source_path} -o {target}`).\n{INSTALL_HINT}",
            source_path,
        )
    try:
        done = subprocess.run(
            [dot, f"-T{kind}", "-o", str(target)],
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        source_path.write_text(source, encoding="utf-8")
        raise RenderError(
            f"render: Graphviz's dot did not finish {target} within {timeout} s and was "
            f"stopped; the DOT source is in {source_path}. Draw fewer nodes (draw_dot's "
            "max_nodes), or pass a larger timeout (None for none).",
            source_path,
        ) from None
    if done.returncode != 0:
        source_path.write_text(source, encoding="utf-8")
        message = done.stderr.decode("utf-8", "replace").strip()
        raise RenderError(
            f"render: Graphviz's dot failed on {target} (exit status {done.returncode}): "
            f"{message}; the DOT source is in {source_path}",
            source_path,
        )
    return target
