"""`render`: a drawing saved as SVG, PNG or PDF by Graphviz's `dot` program, or as DOT source.

`dot` is run here directly (rather than through `graphviz.Digraph.render`) so that nobody waits
blind: the layout's cost is estimated first (`viz.cost`), a drawing that would be slow is drawn
spread (values used far away drawn again beside each use) or refused at once, `dot` runs under
a time limit and reports its progress, a PNG is held to a pixel budget, and when `dot` is
missing the error says how to install it and where the DOT source was written instead.

The file is replaced only when the drawing is complete (written beside it, then renamed), only
if it is a regular file (or a link to one), and the DOT source written after a failure never
replaces a file kuibu did not write.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from autograd import Value
from viz.cost import QUICK, LayoutCost, duration, estimate, spread
from viz.dot import draw_dot
from viz.parts import check_layout, graphviz_package
from viz.slide import SIZES, size_attrs

if TYPE_CHECKING:  # drawing needs the package, importing viz does not (see parts.graphviz)
    import graphviz  # type: ignore[import-untyped]

__all__ = [
    "COLLAPSE",
    "FORMATS",
    "PIXEL_BUDGET",
    "TIMEOUT",
    "DotNotFoundError",
    "DotTimeoutError",
    "ImageTooLargeError",
    "Layout",
    "LayoutTooSlowError",
    "RenderError",
    "plan",
    "render",
]

#: Output formats `render` accepts; "dot" and "gv" write the DOT source and need no Graphviz.
FORMATS = ("svg", "png", "pdf", "dot", "gv")
_SOURCE_FORMATS = ("dot", "gv")
#: Seconds `dot` may run by default.
TIMEOUT = 60.0
#: The most pixels a PNG may have: 50 megapixels (8,660 × 5,770, say), which take Graphviz about
#: 230 MB to draw; --dpi 2400 on a large graph took it 3.8 GB.
PIXEL_BUDGET = 50_000_000
#: What `render` may do to a drawing that would be slow to lay out (see `plan`).
COLLAPSE = ("auto", "always", "never")
Collapse = Literal["auto", "always", "never"]
#: The first line of DOT source written beside a drawing that failed, so that a later failure
#: may replace it, and nothing else.
_MARK = "// DOT source written by kuibu for "

INSTALL_HINT = """Install Graphviz (the Python package `graphviz` only drives its `dot` program):
  Debian/Ubuntu:  sudo apt install graphviz
  macOS:          brew install graphviz
  conda:          conda install -c conda-forge graphviz
  Windows:        winget install graphviz   (then add Graphviz's bin folder to PATH)"""


class RenderError(RuntimeError):
    """Graphviz's `dot` failed, ran out of time or was not run; `source_path` holds the DOT
    source when it was written (None when not)."""

    def __init__(self, message: str, source_path: Path | None = None) -> None:
        super().__init__(message)
        self.source_path = source_path


class DotNotFoundError(RenderError):
    """Graphviz's `dot` program is not installed (or not on PATH)."""


class LayoutTooSlowError(RenderError):
    """The layout is estimated to take longer than the time allowed; `dot` was not started.

    `cost` is the drawing's as it would be drawn, `recorded` as recorded (they differ when it
    would be drawn spread), `timeout` the seconds allowed and `collapse` the policy used;
    `spread` the cost of the drawing spread, when it was refused as recorded and spreading it
    would have been quicker (else None).
    """

    def __init__(self, message: str, cost: LayoutCost, recorded: LayoutCost, timeout: float,
                 collapse: str, spread: LayoutCost | None = None) -> None:
        super().__init__(message)
        self.cost = cost
        self.recorded = recorded
        self.timeout = timeout
        self.collapse = collapse
        self.spread = spread


class DotTimeoutError(RenderError):
    """Graphviz's `dot` ran longer than `timeout` seconds and was stopped."""

    def __init__(self, message: str, source_path: Path | None, timeout: float) -> None:
        super().__init__(message, source_path)
        self.timeout = timeout


class ImageTooLargeError(RenderError):
    """A PNG would have more pixels than `PIXEL_BUDGET`: `width` × `height` at `dpi`; at most
    `largest_dpi` fits."""

    def __init__(self, message: str, width: int, height: int, dpi: float,
                 largest_dpi: int) -> None:
        super().__init__(message)
        self.width = width
        self.height = height
        self.dpi = dpi
        self.largest_dpi = largest_dpi


@dataclass(frozen=True)
class Layout:
    """What `render` lays out: the cost of the drawing as recorded and as drawn, and how many
    values it draws again beside a distant use (0: drawn as recorded)."""

    recorded: LayoutCost
    drawn: LayoutCost
    copies: int


def plan(source: str, collapse: str = "auto") -> tuple[str, Layout]:
    """The DOT source `render` lays out, and its cost.

    `collapse`: "auto" draws spread (`viz.cost.spread`) a drawing whose layout is estimated to
    take more than `viz.cost.QUICK` seconds; "always" spreads every edge spanning more than a
    few ranks; "never" draws the graph as recorded.
    """
    if collapse not in COLLAPSE:
        raise ValueError(f"render: collapse must be one of {', '.join(COLLAPSE)}, not "
                         f"{collapse!r}")
    recorded = estimate(source)
    if collapse == "never" or (collapse == "auto" and recorded.seconds <= QUICK):
        return source, Layout(recorded, recorded, 0)
    drawn, cost, copies = spread(source, 0.0 if collapse == "always" else QUICK)
    return drawn, Layout(recorded, cost, copies)


def render(
    graph: Value | graphviz.Digraph,
    path: str | os.PathLike[str],
    format: str | None = None,  # noqa: A002 - the issue's and graphviz's name
    *,
    timeout: float | None = TIMEOUT,
    rankdir: str | None = None,
    dpi: int | None = None,
    size: str | None = None,
    collapse: Collapse = "auto",
    progress: Callable[[float, Layout], None] | None = None,
) -> Path:
    """Draw `graph` (a root Value, or a Digraph from `draw_dot`) into the file `path`; return it.

    The format comes from `format` or else from the file's suffix (svg when there is none, and
    then the suffix is added). ``format="dot"`` writes the DOT source, which needs no Graphviz.
    Any other format runs Graphviz's `dot`:

    - the layout's cost is estimated first; with `collapse` "auto" a layout that would take
      more than `viz.cost.QUICK` (2) seconds is drawn spread (see `plan`), and one estimated to
      take more than that and than `timeout` seconds is refused at once with
      `LayoutTooSlowError` (`timeout` None: no limit);
    - `dot` is stopped after `timeout` seconds; `progress`, when given, is called with 0.0 and
      the `Layout` before `dot` starts and then with the seconds elapsed, every half second
      after the first, while it runs;
    - a PNG of more than `PIXEL_BUDGET` pixels is refused (`ImageTooLargeError`, naming the
      largest dpi that fits) before it is drawn.

    When `dot` is missing, fails or runs out of time, the DOT source is written beside `path`
    (``NAME.dot``, or ``NAME-1.dot`` ... when a file of that name exists that kuibu did not
    write) and the error says where. `path` is replaced only by a complete drawing, and only
    when it is a regular file or a link to one.

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
    elif not isinstance(graph, graphviz_package().Digraph):
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
    if timeout is not None and (isinstance(timeout, bool) or not timeout > 0):
        raise ValueError(f"render: timeout must be a positive number of seconds or None, not "
                         f"{timeout!r}")
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
    source: str = graph.source
    if kind in _SOURCE_FORMATS:
        _write(target, source.encode("utf-8"))
        return target
    laid, layout = plan(source, collapse)
    _refuse_unless_regular(target)  # before any work, as it is checked again at the end
    dot = shutil.which("dot")
    if dot is None:
        written = _write_source_beside(target, source)
        raise DotNotFoundError(
            f"render: Graphviz's `dot` program was not found on PATH, so {target} could not be "
            f"drawn. The DOT source was written to {written} instead (render it later with "
            f"`dot -T{kind} {written} -o {target}`).\n{INSTALL_HINT}",
            written,
        )
    if timeout is not None and layout.drawn.seconds > max(timeout, QUICK):
        spread_too = " even drawn spread" if layout.copies else ""
        quicker = plan(source, "auto")[1] if collapse == "never" else None
        if quicker is not None and quicker.copies:
            hint = (f"collapse='auto' draws values used far away again beside each use (about "
                    f"{duration(quicker.drawn.seconds)}), or pass ")
        else:
            quicker = None
            hint = "draw fewer nodes (draw_dot's max_nodes), or pass "
        raise LayoutTooSlowError(
            f"render: Graphviz's dot would take about {duration(layout.drawn.seconds)}"
            f"{spread_too} to lay out {target} ({layout.drawn.describe()}), more than "
            f"timeout={timeout:g} s; {hint}a larger timeout (None for none)",
            layout.drawn, layout.recorded, timeout, collapse,
            quicker.drawn if quicker is not None else None,
        )
    clock = _Clock(timeout, progress, layout)
    clock.tick(0.0)
    try:
        if kind == "png":
            _check_pixels(dot, laid, target, clock)
        image = _run(dot, [f"-T{kind}"], laid, target, clock)
    except subprocess.TimeoutExpired:
        assert timeout is not None
        written = _write_source_beside(target, source)
        raise DotTimeoutError(
            f"render: Graphviz's dot did not finish {target} within {timeout:g} s and was "
            f"stopped; the DOT source is in {written}. Draw fewer nodes (draw_dot's "
            "max_nodes), or pass a larger timeout (None for none).",
            written, timeout,
        ) from None
    _write(target, image)
    return target


class _Clock:
    """The time a render has left, and who to tell how long it has taken."""

    def __init__(self, timeout: float | None, progress: Callable[[float, Layout], None] | None,
                 layout: Layout) -> None:
        self.start = time.monotonic()
        self.timeout = timeout
        self.progress = progress
        self.layout = layout

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def left(self) -> float | None:
        return None if self.timeout is None else self.timeout - self.elapsed()

    def tick(self, seconds: float) -> None:
        if self.progress is not None:
            self.progress(seconds, self.layout)


def _run(dot: str, options: list[str], source: str, target: Path, clock: _Clock) -> bytes:
    """`dot`'s output for `source`; TimeoutExpired when the clock runs out first."""
    process = subprocess.Popen([dot, *options], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    data: bytes | None = source.encode("utf-8")
    try:
        while True:
            left = clock.left()
            step = 1.0 if clock.elapsed() < 1.0 else 0.5
            wait = step if left is None else max(0.0, min(step, left))
            try:
                out, err = process.communicate(data, timeout=wait)
                break
            except subprocess.TimeoutExpired:
                data = None  # sent already: communicate() carries on where it was
                left = clock.left()
                if left is not None and left <= 0:
                    raise
                clock.tick(clock.elapsed())
    except BaseException:  # out of time, Ctrl-C: dot is stopped, not left running
        process.kill()
        for pipe in (process.stdin, process.stdout, process.stderr):
            with contextlib.suppress(OSError, AttributeError):
                pipe.close()  # type: ignore[union-attr]
        process.wait()
        raise
    if process.returncode != 0:
        message = err.decode("utf-8", "replace").strip()
        written = _write_source_beside(target, source)
        raise RenderError(
            f"render: Graphviz's dot failed on {target} (exit status {process.returncode}): "
            f"{message}; the DOT source is in {written}",
            written,
        )
    return out


def _dpi(source: str) -> float:
    """The dots per inch the source's graph attributes ask for (the last one wins), else 96."""
    found = 96.0
    for line in source.splitlines():
        if re.match(r"^\s*graph\s*\[", line):
            for value in re.findall(r'\bdpi\s*=\s*"?([0-9.]+)', line):
                with contextlib.suppress(ValueError):
                    found = float(value)
    return found


def _check_pixels(dot: str, source: str, target: Path, clock: _Clock) -> None:
    """Refuse a PNG of more than PIXEL_BUDGET pixels, measured from a layout (``-Tplain``)."""
    plain = _run(dot, ["-Tplain"], source, target, clock).decode("utf-8", "replace")
    first = plain.split("\n", 1)[0].split()
    if len(first) < 4 or first[0] != "graph":
        return
    scale, width, height = (float(v) for v in first[1:4])
    dpi = _dpi(source)
    inches = (scale * width, scale * height)
    pixels = (math.ceil(inches[0] * dpi), math.ceil(inches[1] * dpi))
    if pixels[0] * pixels[1] <= PIXEL_BUDGET:
        return
    largest = max(1, int(math.sqrt(PIXEL_BUDGET / max(inches[0] * inches[1], 1e-9))))
    raise ImageTooLargeError(
        f"render: {target} would be {pixels[0]:,} × {pixels[1]:,} pixels at {dpi:g} dpi "
        f"({pixels[0] * pixels[1] / 1e6:,.0f} megapixels), more than a PNG's budget of "
        f"{PIXEL_BUDGET / 1e6:,.0f} megapixels; dpi={largest} or less fits (an SVG or PDF has "
        "no pixels to count)",
        pixels[0], pixels[1], dpi, largest,
    )


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a regular file"


def _refuse_unless_regular(target: Path) -> None:
    """Refuse to replace anything at `target` but a regular file (a link is followed)."""
    try:
        mode = os.stat(target).st_mode
    except OSError:
        return  # nothing there (or nothing readable): writing will say what is wrong
    if not stat.S_ISREG(mode):
        raise RenderError(f"render: {target} is {_kind(mode)}; a drawing replaces only a "
                          "regular file, so it is left as it is")


def _write(target: Path, data: bytes) -> None:
    """Put `data` at `target` whole: written beside it, then renamed over it (following a link
    to the file it names), so a reader or an interrupted run never sees half a drawing."""
    _refuse_unless_regular(target)
    real = Path(os.path.realpath(target))
    real.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(os.stat(real).st_mode)
    except OSError:
        mode = None
    fd, temporary = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name[:40]}.",
                                     suffix=".kuibu.tmp")
    try:
        with open(fd, "wb") as f:
            f.write(data)
        if mode is not None:
            os.chmod(temporary, mode)
        else:  # as open() would have made it: 0o666 less the umask, not mkstemp's 0o600
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _write_source_beside(target: Path, source: str) -> Path:
    """Write the DOT source next to `target` without replacing anything kuibu did not write:
    NAME.dot, else NAME-1.dot, NAME-2.dot ...; returns where it went."""
    mark = f"{_MARK}{target.name}\n"
    for k in range(1000):
        candidate = target.with_name(f"{target.stem}{f'-{k}' if k else ''}.dot")
        if candidate == target:
            continue
        try:
            with open(candidate, encoding="utf-8", errors="replace") as f:
                ours = f.readline() == mark
        except FileNotFoundError:
            ours = True
        except OSError:  # a folder, unreadable...: not ours
            ours = False
        if ours:
            try:
                _write(candidate, (mark + source).encode("utf-8"))
            except RenderError:
                continue
            return candidate
    raise RenderError(f"render: no free name for the DOT source beside {target}")
