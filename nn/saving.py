"""The model file: JSON holding a module's architecture and weights, read and written safely.

A file holds ``{"format": "kuibu.nn", "version": 1, "architecture": {...}, "weights": [...]}``,
the weights nested as `Module.get_weights` gives them (one row ``[w0, ..., b]`` per neuron, one
list of rows per layer), or, for a kind registered in `MATRIX_KINDS` (`nn.transformer`'s GPT),
as named matrices. This module knows the format and nothing of the module classes: it
checks a whole file against the format before anyone builds a model from it, and it writes a
file so that no reader or crash ever sees half of one. `nn.modules` builds on it.

Reading checks, in this order, and refuses with a `ModelFileError` naming the file and the
field: that the path is a regular file (a FIFO or a directory is refused without blocking), that
the bytes are UTF-8, that they parse as JSON, that the keys, types and sizes of the architecture
are right, and that the weights have exactly the shape the architecture declares, every one a
finite number. Nothing is allocated from the declared sizes, so the work done is bounded by the
file's length. Writing replaces only a regular file (following a symbolic link to one): it goes
to a unique temporary file in the target's folder, flushed and fsynced, then renamed over the
target; a temporary file left by a killed save is removed by the next save to that path.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import math
import os
import re
import secrets
import stat
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from nn._text import short
from nn.activations import ACTIVATIONS

try:
    import fcntl
except ImportError:  # Windows: leftovers are recognised by their age instead
    fcntl = None  # type: ignore[assignment]

__all__ = ["FORMAT", "MATRIX_KINDS", "VERSION", "MatrixKind", "ModelFileError", "PathLike",
           "document", "read", "write"]

FORMAT = "kuibu.nn"
VERSION = 1
_KEYS = ("format", "version", "architecture", "weights")

#: The architecture's fields for each kind of module (beside "type"), in the order written.
FIELDS: dict[str, tuple[str, ...]] = {
    "Neuron": ("nin", "activation"),
    "Layer": ("nin", "nout", "activation"),
    "MLP": ("nin", "nouts", "activations"),
}



@dataclass(frozen=True)
class MatrixKind:
    """A kind of module whose weights are named matrices: in the file, a JSON object mapping each
    name to its rows (a GPT's ``{"wte": [[...], ...], ...}``). The module that defines the kind
    adds it to `MATRIX_KINDS`; reading then checks its files as it checks the others."""

    #: the architecture's fields beside "type", in the order written
    fields: tuple[str, ...]
    #: (architecture, path) -> each matrix's name and (rows, columns), in order, one at a time
    #: (so a file that declares a million layers costs only the matrices it holds); it checks
    #: the fields' values and raises ModelFileError naming the field that is wrong
    shapes: Callable[[dict[str, Any], str], Iterable[tuple[str, tuple[int, int]]]]
    #: (architecture, weights) -> the module, from a file `read` has checked
    build: Callable[[dict[str, Any], dict[str, list[list[float]]]], Any]


#: The kinds whose weights are named matrices, by the architecture's "type".
MATRIX_KINDS: dict[str, MatrixKind] = {}

#: An integer literal longer than this is read as a float: a weight or size that long is
#: corrupt anyway, and converting long digit strings to int costs time quadratic in their length.
_MAX_INT_DIGITS = 20

PathLike = str | os.PathLike[str]


class ModelFileError(ValueError):
    """A model file that cannot be loaded (unreadable, not kuibu's format, or not this model's),
    or a path that `write` will not replace (a FIFO, a device, a folder).

    `path` is the file, `field` where in it the problem sits (``"weights[0][2][1]"``,
    ``"architecture.nouts"``, ``"line 3 column 5"``) or None when it concerns the whole file.
    """

    def __init__(self, path: str, field: str | None, problem: str) -> None:
        self.path = path
        self.field = field
        self.problem = problem
        super().__init__(f"{path}: {field}: {problem}" if field else f"{path}: {problem}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.field, self.problem))


def document(architecture: dict[str, Any], weights: Any) -> dict[str, Any]:
    """The JSON object a model file holds."""
    return {"format": FORMAT, "version": VERSION, "architecture": architecture,
            "weights": weights}


# -- writing ---------------------------------------------------------------------------------


def _umask() -> int:
    """The process's umask, read without changing it where the system allows (else 0o022)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def write(content: dict[str, Any], path: PathLike) -> None:
    """Write `content` as JSON to `path` atomically: readers see the old file or the new one.

    Only a regular file is ever replaced: when `path` is a FIFO, a socket, a device or a
    folder, `ModelFileError` says so and nothing is touched. A symbolic link is followed, as
    `open` follows it: the file it leads to is replaced and the link stays (a link to anything
    but a regular file is refused the same way).

    The text goes to a temporary file of its own in the target's folder (so concurrent saves
    never share one), is flushed and fsynced, and is renamed over the target; on any failure
    the temporary file is removed and the target is left as it was. A temporary file left by a
    save that was killed (``.NAME.kuibu-XXXXXXXX.tmp``) is removed by the next save to the same
    path. A new file gets the usual permissions (0o666 less the umask), a replaced one keeps
    its own.
    """
    where = os.fspath(path)
    target = os.path.realpath(where)
    _refuse_unless_regular(where, target)
    text = json.dumps(content, indent=1, allow_nan=False) + "\n"
    folder, name = os.path.split(target)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = 0o666 & ~_umask()
    head = _head(folder, name)
    _remove_leftovers(folder, head)
    fd, temporary = _temporary(folder, head)
    try:
        with open(fd, "w", encoding="utf-8", closefd=False) as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, mode)
        _refuse_unless_regular(where, target)  # nothing else may have taken the name since
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    finally:
        os.close(fd)  # only now: its lock marks the temporary file as in use until here
    _sync_folder(folder)


def _refuse_unless_regular(where: str, target: str) -> None:
    """Refuse to replace anything at `target` (reached from `where`) but a regular file."""
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return
    except OSError as e:
        raise ModelFileError(where, None, f"cannot be written: {e.strerror or e}") from None
    if not stat.S_ISREG(mode):
        link = "a link to " if where != target and os.path.islink(where) else ""
        raise ModelFileError(where, None, f"is {link}{_kind_of_file(mode)}; save writes only a "
                                          "regular file, and leaves anything else as it is")


#: What a temporary file's name adds to the target's: ".", ".kuibu-", 8 characters, ".tmp".
_OVERHEAD = 20
_RANDOM = "abcdefghijklmnopqrstuvwxyz0123456789"


def _head(folder: str, name: str) -> str:
    """The part of the target's name a temporary file's name starts with: all of it, or, when
    the longer name would not fit the file system's limit (NAME_MAX, 255 bytes on most), as
    much of it as keeps the temporary name no longer than the target's."""
    try:
        limit = os.pathconf(folder or ".", "PC_NAME_MAX")
    except (AttributeError, OSError, ValueError):
        limit = 255
    encoded = os.fsencode(name)
    if len(encoded) + _OVERHEAD <= limit:
        return name
    return os.fsdecode(encoded[:max(1, len(encoded) - _OVERHEAD)])


def _leftover(head: str) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(head)}\.kuibu-[{_RANDOM}]{{8}}\.tmp")


def _temporary(folder: str, head: str) -> tuple[int, str]:
    """A new temporary file for a save, open and locked before anything is written to it:
    (its descriptor, its path). A process's locks go when it dies, even by ``kill -9``, so a
    temporary file with text in it and no lock is a killed save's leftover."""
    for _ in range(100):
        token = "".join(secrets.choice(_RANDOM) for _ in range(8))  # not `random`: its
        # global state is the user's (random.seed reproduces their training)
        temporary = os.path.join(folder, f".{head}.kuibu-{token}.tmp")
        try:
            fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_EXCL
                         | getattr(os, "O_BINARY", 0), 0o600)
        except FileExistsError:
            continue
        try:
            _lock(fd)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        return fd, temporary
    raise FileExistsError(f"no free name for a temporary file in {folder or '.'}")


def _lock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)


#: An empty temporary file may belong to a save between creating and locking it; it is taken
#: for a leftover only this long after. Without file locks (Windows), any temporary file is.
_STALE_SECONDS = 10.0
_STALE_SECONDS_UNLOCKED = 600.0


def _remove_leftovers(folder: str, head: str) -> None:
    """Remove the temporary files of earlier saves to this target that were killed: those
    named as a save names them, whose lock nobody holds, and which hold text (or are old)."""
    pattern = _leftover(head)
    try:
        names = [n for n in os.listdir(folder or ".") if pattern.fullmatch(n)]
    except OSError:
        return
    for found in names:
        path = os.path.join(folder, found)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
                         | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            continue
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                continue
            age = time.time() - info.st_mtime
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    continue  # a save in progress holds it
                if info.st_size == 0 and age < _STALE_SECONDS:
                    continue  # perhaps a save that has not locked it yet
            elif age < _STALE_SECONDS_UNLOCKED:
                continue
            with contextlib.suppress(OSError):
                os.unlink(path)
        finally:
            os.close(fd)


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable where the system allows fsync on a directory."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- reading ---------------------------------------------------------------------------------


def _kind_of_file(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a regular file"


def _read_bytes(where: str) -> bytes:
    """The bytes of the regular file at `where`; anything else is refused without blocking."""
    try:
        mode = os.stat(where).st_mode
    except FileNotFoundError:
        raise
    except OSError as e:
        raise ModelFileError(where, None, f"cannot be read: {e.strerror or e}") from None
    if not stat.S_ISREG(mode):
        raise ModelFileError(where, None, f"is {_kind_of_file(mode)}; a model file is a "
                                          "regular file")
    # O_NONBLOCK: should a FIFO replace the file after the stat, opening it cannot block; the
    # fstat below then refuses it. A regular file ignores the flag.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(where, flags)
    except FileNotFoundError:
        raise
    except OSError as e:
        raise ModelFileError(where, None, f"cannot be read: {e.strerror or e}") from None
    with open(fd, "rb") as f:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise ModelFileError(where, None, f"is {_kind_of_file(mode)}; a model file is a "
                                              "regular file")
        try:
            return f.read()
        except OSError as e:
            raise ModelFileError(where, None, f"cannot be read: {e.strerror or e}") from None


def _text(data: bytes, where: str) -> str:
    """The file's bytes as text: UTF-8 (with or without a byte-order mark), as JSON requires."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data[:4]:
        raise ModelFileError(where, None, "is UTF-16 or UTF-32 text; a model file is UTF-8 "
                                          "(save it again with kuibu, or re-encode it)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ModelFileError(where, f"byte {e.start}",
                             f"0x{data[e.start]:02x} is not UTF-8 text; a model file is UTF-8 "
                             "JSON") from None


def _parse_int(digits: str) -> int | float:
    return int(digits) if len(digits) <= _MAX_INT_DIGITS else float(digits)


def _parse(text: str, where: str) -> Any:
    try:
        # NaN and Infinity become floats here, so the field check below can say where they sit.
        return json.loads(text, parse_int=_parse_int, parse_constant=float)
    except json.JSONDecodeError as e:
        hint = " (the file looks truncated)" if e.pos >= len(text.rstrip()) else ""
        raise ModelFileError(where, f"line {e.lineno} column {e.colno}",
                             f"not valid JSON{hint}: {e.msg}") from None
    except RecursionError:
        raise ModelFileError(where, None, "JSON nested too deeply to be a model file (a model "
                                          "file nests four levels)") from None
    except ValueError as e:  # e.g. a number the JSON reader refuses
        raise ModelFileError(where, None, f"not valid JSON: {e}") from None


def _describe(x: object) -> str:
    return f"{type(x).__name__} {short(x)}"


def _size(value: object, where: str, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ModelFileError(where, field, f"must be a positive int, not {_describe(value)}")
    return value


def _activation(value: object, where: str, field: str) -> str:
    if not isinstance(value, str) or value not in ACTIVATIONS:
        raise ModelFileError(where, field, f"unknown activation {short(value)} (known: "
                                           f"{', '.join(ACTIVATIONS)})")
    return value


def _list(value: object, length: int, where: str, field: str, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise ModelFileError(where, field, f"must be a list of {length} {what}, not "
                                           f"{_describe(value)}")
    if len(value) != length:
        raise ModelFileError(where, field, f"expected {length} {what}, got {len(value)}")
    return value


def _architecture(arch: object, where: str) -> tuple[int, list[int], list[str], str]:
    """(nin, layer sizes, activations, kind) from a checked architecture object."""
    if not isinstance(arch, dict):
        raise ModelFileError(where, "architecture", f"must be a JSON object, not "
                                                    f"{_describe(arch)}")
    kind = arch.get("type")
    if not isinstance(kind, str) or kind not in FIELDS:
        raise ModelFileError(where, "architecture.type", f"unknown module type {short(kind)} "
                                                         f"(known: "
                                                         f"{', '.join([*FIELDS, *MATRIX_KINDS])})")
    _keys(arch, kind, FIELDS[kind], where)
    nin = _size(arch["nin"], where, "architecture.nin")
    if kind == "Neuron":
        return nin, [1], [_activation(arch["activation"], where, "architecture.activation")], kind
    if kind == "Layer":
        nout = _size(arch["nout"], where, "architecture.nout")
        return nin, [nout], [_activation(arch["activation"], where,
                                         "architecture.activation")], kind
    nouts = arch["nouts"]
    if not isinstance(nouts, list) or not nouts:
        raise ModelFileError(where, "architecture.nouts", "must be a non-empty list of layer "
                                                          f"sizes, not {_describe(nouts)}")
    sizes = [_size(n, where, f"architecture.nouts[{i}]") for i, n in enumerate(nouts)]
    names = _list(arch["activations"], len(sizes), where, "architecture.activations",
                  "names (one per layer)")
    return nin, sizes, [_activation(a, where, f"architecture.activations[{i}]")
                        for i, a in enumerate(names)], kind


def _keys(arch: dict[Any, Any], kind: str, fields: tuple[str, ...], where: str) -> None:
    expected = ("type", *fields)
    missing = [k for k in expected if k not in arch]
    extra = sorted(str(k) for k in arch if k not in expected)
    if missing or extra:
        parts = ([f"missing {missing}"] if missing else []) + (
            [f"unexpected {extra}"] if extra else [])
        raise ModelFileError(where, "architecture", f"keys for a {kind}: {', '.join(parts)}")


def _named_matrices(weights: object, shapes: Iterable[tuple[str, tuple[int, int]]],
                    where: str) -> dict[str, list[list[float]]]:
    """A matrix kind's weights as floats, checked name by name against their shapes; the work
    stops at the first matrix the file lacks, so it is bounded by the file's length."""
    if not isinstance(weights, dict):
        raise ModelFileError(where, "weights", f"must be a JSON object of named matrices, not "
                                               f"{_describe(weights)}")
    checked: dict[str, list[list[float]]] = {}
    for name, (rows, columns) in shapes:
        field = f"weights.{name}"
        if name not in weights:
            raise ModelFileError(where, "weights", f"the matrix {name!r} is missing")
        matrix = _list(weights[name], rows, where, field, f"rows of {columns} numbers")
        checked[name] = [_numbers(r, columns, where, f"{field}[{i}]", "numbers")
                         for i, r in enumerate(matrix)]
    extra = sorted(str(k) for k in weights if k not in checked)
    if extra:
        raise ModelFileError(where, "weights", f"unexpected matrices {extra}")
    return checked


def _numbers(row: object, n: int, where: str, field: str, what: str) -> list[float]:
    numbers = _list(row, n, where, field, what)
    out: list[float] = []
    for k, x in enumerate(numbers):
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            raise ModelFileError(where, f"{field}[{k}]", f"expected a number, got "
                                                         f"{_describe(x)}")
        value = float(x)
        if not math.isfinite(value):
            raise ModelFileError(where, f"{field}[{k}]", f"is {value}; a model file holds "
                                                         "only finite numbers")
        out.append(value)
    return out


def _row(row: object, nin: int, where: str, field: str) -> list[float]:
    return _numbers(row, nin + 1, where, field, f"numbers ({nin} weights then the bias)")


def _weights(weights: object, nin: int, sizes: list[int], kind: str,
             where: str) -> list[Any]:
    """The weights as floats, checked against the architecture's shape before any is copied."""
    if kind == "Neuron":
        return _row(weights, nin, where, "weights")
    layers = [weights] if kind == "Layer" else _list(weights, len(sizes), where, "weights",
                                                     "layers")
    checked: list[list[list[float]]] = []
    fan_in = nin
    for i, (rows, size) in enumerate(zip(layers, sizes, strict=True)):
        field = "weights" if kind == "Layer" else f"weights[{i}]"
        rows = _list(rows, size, where, field, "rows (one per neuron)")
        checked.append([_row(r, fan_in, where, f"{field}[{j}]") for j, r in enumerate(rows)])
        fan_in = size
    return checked[0] if kind == "Layer" else checked


def read(path: PathLike) -> dict[str, Any]:
    """The model file at `path`, checked whole against the format; weights come back as floats.

    A missing file raises FileNotFoundError, as `open` does; everything else that makes the
    file unusable raises `ModelFileError`.
    """
    where = os.fspath(path)
    content = _parse(_text(_read_bytes(where), where), where)
    if not isinstance(content, dict):
        raise ModelFileError(where, None, f"expected a JSON object with keys {list(_KEYS)}, "
                                          f"got {_describe(content)}")
    missing = [k for k in _KEYS if k not in content]
    extra = sorted(str(k) for k in content if k not in _KEYS)
    if missing or extra:
        parts = ([f"missing {missing}"] if missing else []) + (
            [f"unexpected {extra}"] if extra else [])
        raise ModelFileError(where, None, f"not a kuibu model file: keys {', '.join(parts)}")
    if content["format"] != FORMAT:
        raise ModelFileError(where, "format", f"is {short(content['format'])}, expected "
                                              f"{FORMAT!r}")
    version = content["version"]
    if version != VERSION or isinstance(version, bool) or not isinstance(version, int):
        raise ModelFileError(where, "version", f"{short(version)} is not supported (this kuibu "
                                               f"reads version {VERSION})")
    arch = content["architecture"]
    kind = arch.get("type") if isinstance(arch, dict) else None
    if isinstance(kind, str) and kind in MATRIX_KINDS:
        matrices = MATRIX_KINDS[kind]
        _keys(arch, kind, matrices.fields, where)
        content["weights"] = _named_matrices(content["weights"], matrices.shapes(arch, where),
                                             where)
        return content
    nin, sizes, _, kind = _architecture(arch, where)
    content["weights"] = _weights(content["weights"], nin, sizes, kind, where)
    return content
