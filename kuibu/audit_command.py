"""``kuibu audit FILE.py``: check the operations a user wrote micrograd's way, one verdict each.

The file is the user's own code and runs in this process (with `runpy`, its folder first on
``sys.path`` as ``python FILE.py`` would have it, under a name other than ``"__main__"`` so an
``if __name__ == "__main__":`` block stays out); what it prints goes to stderr, so that the
verdicts (or the JSON) are all stdout holds. The operations are the functions and methods that
set ``out._backward`` (`autograd.audit.operations_in`), or those named with ``--name``; each goes
through `autograd.audit`.
"""

from __future__ import annotations

import argparse
import contextlib
import runpy
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from kuibu.expressions import InputError
from kuibu.phrases import language_option

HELP = ("check operations written micrograd's way (a node with children, out._backward set) "
        "against finite differences, and name their mistakes")
DESCRIPTION = HELP + (
    ". FILE.py is your own code: it runs in this process, as python FILE.py would run it but "
    "without its if __name__ == '__main__' block; what it prints goes to stderr. Exit 0 when "
    "every operation is right, 1 when a mistake is found, 2 when the file cannot be run, names "
    "no operation, or an operation cannot be run at all.")

_WORDS = {
    "en": {
        "heading": "{count} operation{s} written micrograd's way in {file}, each checked at "
                   "{points} point{ps} (the file ran in this process):",
        "summary": "{ok} ok, {wrong} with mistakes, {failed} not audited",
    },
    "zh": {
        "heading": "{file} 中按 micrograd 方式写的 {count} 个运算，每个在 {points} 个点上检查"
                   "（文件的代码已在本进程中运行）：",
        "summary": "{ok} 个正确，{wrong} 个有错误，{failed} 个无法检查",
    },
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``kuibu audit``."""
    p.add_argument("file", metavar="FILE.py",
                   help="the Python file that defines the operations (it is run: see above)")
    p.add_argument("--name", action="append", metavar="NAME",
                   help="audit this function or Class.method only (repeatable); by default "
                   "every function and method that sets out._backward")
    p.add_argument("--points", dest="audit_points", type=int, default=5, metavar="N",
                   help="check each operation at N seeded points (default 5)")
    p.add_argument("--seed", dest="audit_seed", type=int, default=0, metavar="N",
                   help="the seed of the points (default 0)")
    language_option(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace, out: TextIO, err: TextIO,
        write_json: Callable[[Any], str]) -> tuple[int, str]:
    """Audit the file's operations: the exit code, and the one line for stderr ('' if none).
    `write_json` writes the --json document (the command line's strict JSON)."""
    from autograd.audit import audit, operations_in

    if not 1 <= args.audit_points <= 100:
        raise InputError(f"--points must be from 1 to 100, not {args.audit_points}")
    path = Path(args.file)
    source = _read(path)
    try:
        found = operations_in(source)
    except SyntaxError as e:
        raise InputError(f"{path}, line {e.lineno}: {e.msg} (it must be Python)") from None
    with contextlib.redirect_stdout(err):  # the user's prints must not mix with the verdicts
        namespace = _load(path)
        names = list(args.name) if args.name else found
        if not names:
            raise InputError(f"{path} defines no operation written micrograd's way (a function "
                             "or method that sets out._backward); name one with --name")
        operations = [(name, _resolve(namespace, name, path, found)) for name in names]
        reports = [audit(fn, points=args.audit_points, seed=args.audit_seed, lang=args.lang)
                   for _, fn in operations]
    for (name, _), report in zip(operations, reports, strict=True):
        report.name = name  # as the file spells it: Value.tanh, not a qualname of the runner
    wrong = sum(1 for r in reports if r.findings)
    failed = sum(1 for r in reports if r.error)
    if args.json:
        print(write_json({"file": str(path), "points": args.audit_points, "seed": args.audit_seed,
                     "ok": wrong == failed == 0,
                     "operations": [r.to_dict() for r in reports]}), file=out)
    else:
        words = _WORDS[args.lang]
        count = len(reports)
        print(words["heading"].format(count=count, s="" if count == 1 else "s", file=path,
                                      points=args.audit_points,
                                      ps="" if args.audit_points == 1 else "s"), file=out)
        for report in reports:
            print(report.text(), file=out)
        print(words["summary"].format(ok=count - wrong - failed, wrong=wrong, failed=failed),
              file=out)
    if wrong:
        return 1, ""
    if failed:
        which = ", ".join(r.name for r in reports if r.error)
        return 2, f"could not audit {which} (see above)"
    return 0, ""


def _read(path: Path) -> str:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path} is not a file; give the .py file that defines the operations")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{path} is not UTF-8 text (byte {e.start}); is it a Python file?"
                         ) from None
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror or e}") from None


@contextlib.contextmanager
def _folder_first(path: Path) -> Iterator[None]:
    """The file's folder first on sys.path while it runs, as ``python FILE.py`` has it."""
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(folder)


def _load(path: Path) -> dict[str, Any]:
    """Run the user's file; an error in it is the user's, said in one line with its place."""
    try:
        with _folder_first(path):
            return runpy.run_path(str(path), run_name="__kuibu_audit__")
    except (Exception, SystemExit) as e:  # the user's code: whatever it raises
        where = ""
        resolved = str(path.resolve())
        for frame in reversed(traceback.extract_tb(e.__traceback__)):
            if Path(frame.filename).resolve().as_posix() == Path(resolved).as_posix():
                where = f" at line {frame.lineno}"
                break
        what = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        raise InputError(f"{path} raised {what}{where} while it ran") from None


def _resolve(namespace: dict[str, Any], name: str, path: Path,
             found: list[str]) -> Callable[..., Any]:
    """``name`` or ``Class.name`` in the file's namespace: the plain function to audit."""
    head, _, rest = name.partition(".")
    target: Any = namespace.get(head)
    if target is not None and rest:
        for part in rest.split("."):
            owner = target
            target = getattr(owner, "__dict__", {}).get(part, getattr(owner, part, None))
            if isinstance(target, (staticmethod, classmethod)):
                target = target.__func__
            if target is None:
                break
    if target is None:
        known = f"; it defines {', '.join(found)}" if found else ""
        raise InputError(f"{path} has no {name}{known}")
    if not callable(target):
        raise InputError(f"{name} in {path} is a {type(target).__name__}, not a function")
    return target  # type: ignore[no-any-return]

