"""What the ``kuibu`` command writes, and how it ends: exit codes, encodings, progress.

Exit codes: 0 success; 1 a hand-derived partial disagrees with the engine; 2 a mistake in the
command or its surroundings (bad input, a file that cannot be written, a full disk, an output
that cannot show the language asked for), said in one line on stderr; 3 a defect in kuibu;
130 interrupted (Ctrl-C), quietly.

A `Console` wraps stdout or stderr. When the stream's encoding cannot hold the symbols kuibu
writes (∂, −, σ, ·, ², …: an ASCII or Latin-1 terminal, a Windows redirect), every line is
written in one consistent ASCII spelling (∂f/∂x → df/dx, − → -, σ → sigmoid, x² → x^2) and any
other character that does not fit as a backslash escape; JSON is written with ``\\uXXXX``
escapes instead, so it stays the same JSON. A stream that fails (a full disk, a closed file)
raises `OutputError`, which the command reports as exit 2.
"""

from __future__ import annotations

import codecs
import io
import json
import math
import re
from typing import Any, TextIO

__all__ = [
    "BUG",
    "DISAGREES",
    "INTERRUPTED",
    "OK",
    "USAGE",
    "Console",
    "OutputError",
    "Progress",
    "ascii_text",
    "can_show",
    "json_text",
]

#: Exit codes: success; a disagreeing check; bad input or usage; a bug in kuibu; Ctrl-C.
OK, DISAGREES, USAGE, BUG, INTERRUPTED = 0, 1, 2, 3, 130

_SUPERSCRIPT = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+", strict=True))
_SUBSCRIPT = dict(zip("₀₁₂₃₄₅₆₇₈₉", "0123456789", strict=True))
#: The one ASCII spelling of each symbol kuibu writes (superscripts and subscripts apart).
ASCII: dict[str, str] = {
    "∂": "d", "−": "-", "σ": "sigmoid", "·": "*", "×": "*", "÷": "/", "√": "sqrt",
    "Σ": "sum", "∑": "sum", "Π": "prod", "δ": "delta", "Δ": "Delta", "η": "eta",
    "α": "alpha", "β": "beta", "λ": "lambda", "θ": "theta", "μ": "mu", "π": "pi", "ε": "eps",
    "∞": "inf", "≈": "~", "≤": "<=", "≥": ">=", "≠": "!=", "→": "->", "←": "<-", "⇒": "=>",
    "…": "...", "∈": "in", "–": "-", "—": "--", "‘": "'", "’": "'", "“": '"', "”": '"',
    "•": "*", "✓": "ok", "✗": "x", "\u00a0": " ", "\u2009": " ", "\u202f": " ",
}
#: Symbols whose absence from an encoding switches a stream to the ASCII spelling.
_PROBE = "∂−σ·×²⁻¹√Σδ≈→…∞"
_RUN = re.compile(f"[{''.join(_SUPERSCRIPT)}]+|[{''.join(_SUBSCRIPT)}]+|"
                  f"[{re.escape(''.join(ASCII))}]")


def ascii_text(text: str) -> str:
    """`text` with kuibu's symbols spelled in ASCII (other characters are left alone).

    >>> ascii_text("∂f/∂x = σ(x)·(1 − σ(x)) at x² + y⁻¹")
    'df/dx = sigmoid(x)*(1 - sigmoid(x)) at x^2 + y^-1'
    """

    def spell(found: re.Match[str]) -> str:
        run = found.group(0)
        if run[0] in _SUPERSCRIPT:
            return "^" + "".join(_SUPERSCRIPT[c] for c in run)
        if run[0] in _SUBSCRIPT:
            return "_" + "".join(_SUBSCRIPT[c] for c in run)
        return ASCII[run]

    return _RUN.sub(spell, text)


def can_show(stream: Any, text: str) -> bool:
    """Whether `stream`'s encoding can hold `text` (a stream without one, such as StringIO,
    holds anything)."""
    encoding = getattr(stream, "encoding", None)
    if not encoding:
        return True
    try:
        codecs.lookup(encoding)
        text.encode(encoding)
    except (LookupError, UnicodeEncodeError):
        return False
    return True


def _json_escape(text: str, encoding: str) -> str:
    """Every character `encoding` cannot hold written as a JSON ``\\uXXXX`` escape (all of
    kuibu's non-ASCII output in JSON is inside strings, where that is the same text)."""

    def escape(found: re.Match[str]) -> str:
        c = found.group(0)
        try:
            c.encode(encoding)
            return c
        except UnicodeEncodeError:
            return json.dumps(c)[1:-1]

    return re.sub(r"[^\x00-\x7f]", escape, text)


class OutputError(OSError):
    """Writing to stdout or stderr failed (a full disk, a closed or unwritable file)."""

    def __init__(self, stream: str, error: OSError) -> None:
        super().__init__(error.errno, error.strerror or str(error))
        self.stream = stream

    def __str__(self) -> str:
        return f"cannot write to {self.stream}: {self.strerror}"


class Console(io.TextIOBase):
    """A text stream that always manages to write: in its encoding when that holds kuibu's
    symbols, else in their ASCII spelling (`json`: as JSON escapes); a failing write raises
    `OutputError`, a reader that has gone away BrokenPipeError."""

    def __init__(self, stream: TextIO, name: str, *, json: bool = False) -> None:
        super().__init__()
        self.stream = stream
        self.name = name
        self.json = json
        self.plain = not can_show(stream, _PROBE)

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "ascii" if self.plain else (getattr(self.stream, "encoding", None) or "utf-8")

    def isatty(self) -> bool:
        try:
            return bool(self.stream.isatty())
        except (AttributeError, ValueError, OSError):
            return False

    def fileno(self) -> int:
        return self.stream.fileno()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        shown = text
        encoding = getattr(self.stream, "encoding", None)
        if self.plain and encoding:
            shown = _json_escape(text, encoding) if self.json else ascii_text(text)
        try:
            try:
                self.stream.write(shown)
            except UnicodeEncodeError:  # a character outside the table, or a lone surrogate
                assert encoding is not None
                self.stream.write(shown.encode(encoding, "backslashreplace").decode(encoding))
        except BrokenPipeError:
            raise
        except OSError as e:
            raise OutputError(self.name, e) from None
        return len(text)

    def flush(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError:
            raise
        except OSError as e:
            raise OutputError(self.name, e) from None
        except ValueError:  # closed already
            pass


def json_text(document: Any) -> str:
    """Strict JSON text of `document`: a non-finite number is written "inf", "-inf" or "nan"
    (JSON has none), and a string that is not valid Unicode (a lone surrogate, as a file name
    of non-UTF-8 bytes arrives in ``sys.argv``) has U+FFFD in its place, so every reader takes
    it as UTF-8.

    >>> json_text({"x": float("inf"), "path": "g\\udcff.svg"})
    '{\\n  "x": "inf",\\n  "path": "g\\ufffd.svg"\\n}'
    """

    def strict(x: Any) -> Any:
        if isinstance(x, float) and not math.isfinite(x):
            return str(x)
        if isinstance(x, str):
            return _SURROGATE.sub("\ufffd", x) if _has_surrogate(x) else x
        if isinstance(x, dict):
            return {strict(k): strict(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [strict(v) for v in x]
        return x

    return json.dumps(strict(document), indent=2, allow_nan=False, ensure_ascii=False)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class Progress:
    """A drawing's progress on stderr once Graphviz's dot has run for a second: one line
    rewritten in place on a terminal, else a line at the first second and every ten after.

    Called by `viz.render` with the seconds elapsed and the layout; `layout` keeps the last
    one seen, so the command can say afterwards how the drawing was laid out."""

    def __init__(self, err: TextIO, prefix: str, target: str, timeout: float | None) -> None:
        self.err = err
        self.prefix = prefix
        self.target = target
        self.timeout = timeout
        self.layout: Any = None
        self.shown = False
        self.next_line = 1.0

    def __call__(self, seconds: float, layout: Any) -> None:
        self.layout = layout
        if seconds < 1.0:
            return
        expected = layout.drawn.seconds
        about = f", about {_duration(expected)} expected" if expected > seconds else ""
        limit = f"stopped at {self.timeout:g} s; " if self.timeout is not None else ""
        line = (f"{self.prefix}: Graphviz's dot is drawing {self.target}: {seconds:.0f} s so "
                f"far{about} ({limit}Ctrl-C stops it now)")
        if self.err.isatty():
            self.err.write(f"\r{line}\x1b[K")
            self.err.flush()
            self.shown = True
        elif seconds >= self.next_line:
            self.err.write(line + "\n")
            self.err.flush()
            self.next_line = seconds + 10.0

    def done(self) -> None:
        """Clear the line rewritten in place, if there is one."""
        if self.shown:
            self.err.write("\r\x1b[K")
            self.err.flush()
            self.shown = False


def _duration(seconds: float) -> str:
    from viz.cost import duration

    return duration(seconds)
