"""How the kuibu command ends and what it writes: exit codes that mean what they say, output in
any encoding, a full disk, an unwritable file, Ctrl-C, unknown options, strict JSON."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kuibu import cli
from kuibu.cli import main
from kuibu.output import INTERRUPTED, Console, OutputError, ascii_text, json_text
from tests.ctrl_c import ctrl_c_reaches_it, finish

ROOT = Path(__file__).resolve().parents[2]
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")


def run(*argv: str, encoding: str | None = None) -> tuple[int, str, str]:
    """The command in this process; `encoding`: stdout and stderr are byte streams in it."""
    if encoding is None:
        out, err = io.StringIO(), io.StringIO()
        code = main(list(argv), out=out, err=err)
        return code, out.getvalue(), err.getvalue()
    raw_out, raw_err = io.BytesIO(), io.BytesIO()
    out = io.TextIOWrapper(raw_out, encoding=encoding, write_through=True)
    err = io.TextIOWrapper(raw_err, encoding=encoding, errors="strict", write_through=True)
    code = main(list(argv), out=out, err=err)
    return code, raw_out.getvalue().decode(encoding), raw_err.getvalue().decode(encoding)


def process(*argv: str | bytes, env: dict[str, str] | None = None, **kwargs: object
            ) -> subprocess.CompletedProcess[bytes]:
    """The command in a fresh interpreter (its stdout and stderr as bytes)."""
    return subprocess.run([sys.executable, "-m", "kuibu", *argv], capture_output=True,
                          cwd=ROOT, timeout=120, env={**os.environ, **(env or {})},
                          check=False, **kwargs)  # type: ignore[call-overload, no-any-return]


EXPLAINED = ["grad", "sigmoid(w*x + b)**2", "--at", "w=0.5", "x=1.5", "b=-0.2", "--explain", "w",
             "--check", "w=2*x*sigmoid(w*x+b)**2*(1-sigmoid(w*x+b))"]


# -- encodings ------------------------------------------------------------------------------


def test_the_ascii_spelling_is_one_consistent_table() -> None:
    assert ascii_text("∂f/∂w = 2·σ(n)·(1 − σ(n))·x ≈ 0.25 → ok") == \
        "df/dw = 2*sigmoid(n)*(1 - sigmoid(n))*x ~ 0.25 -> ok"
    assert ascii_text("x² + y⁻¹ + z₁₂ + w³⁴") == "x^2 + y^-1 + z_12 + w^34"
    assert ascii_text("plain text, 中文 stays") == "plain text, 中文 stays"


@pytest.mark.parametrize("encoding", ["ascii", "latin-1", "cp1252", "cp437"])
def test_an_output_that_cannot_hold_the_symbols_gets_all_of_them_in_ascii(encoding: str) -> None:
    code, out, err = run(*EXPLAINED, encoding=encoding)
    assert code == 0 and err == ""
    utf8 = run(*EXPLAINED)[1]
    assert out == ascii_text(utf8)  # every line, from the first: no switch half way
    assert "df/dw = " in out and "sigmoid" in out and "\\u" not in out
    assert all(ord(c) < 128 for c in out)


def test_an_output_that_holds_the_symbols_is_left_alone() -> None:
    assert run(*EXPLAINED, encoding="utf-8")[1] == run(*EXPLAINED)[1]


def test_json_in_a_narrow_encoding_is_the_same_json() -> None:
    words = ["grad", "x²·y", "--at", "x=1", "y=2", "--json", "--explain", "x"]
    code, out, _ = run(*words, encoding="ascii")
    assert code == 0
    assert all(ord(c) < 128 for c in out)
    assert json.loads(out) == json.loads(run(*words)[1])


def test_other_characters_that_do_not_fit_are_escaped_not_fatal() -> None:
    code, out, _ = run("grad", "é*x", "--at", "é=2", "x=3", encoding="ascii")
    assert code == 0 and "\\xe9" in out and "df/dx = 2" in out


def test_chinese_asked_for_on_an_output_that_cannot_show_it_says_how_to_fix_it() -> None:
    out = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    err = io.StringIO()
    code = main(["demo", "--lang", "zh", "--steps", "1", "--no-progress", "--out", "x.dot"],
                out=out, err=err)
    assert code == 2
    assert "PYTHONIOENCODING=utf-8" in err.getvalue() and err.getvalue().count("\n") == 1


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_a_real_process_with_a_narrow_encoding(encoding: str) -> None:
    done = process(*EXPLAINED, env={"PYTHONIOENCODING": encoding})
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode("ascii")  # all of it ASCII
    assert "df/dw = " in text and done.stderr == b""


# -- exit codes -----------------------------------------------------------------------------


def test_a_full_disk_is_exit_2_naming_stdout() -> None:
    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full")
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "kuibu", *EXPLAINED], stdout=full,
                              stderr=subprocess.PIPE, cwd=ROOT, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr.decode() == "kuibu grad: error: cannot write to stdout: No space left on " \
                                   "device\n"


def test_a_failing_stream_in_process_is_an_output_error() -> None:
    class Full(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError(28, "No space left on device")

    err = io.StringIO()
    assert main(list(EXPLAINED), out=Full(), err=err) == 2
    assert err.getvalue() == "kuibu grad: error: cannot write to stdout: No space left on device\n"
    with pytest.raises(OutputError, match="cannot write to stdout"):
        Console(Full(), "stdout").write("x")


def _read_only_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    for candidate in (folder, Path("/sys")):  # as root, only a file system refuses
        try:
            (candidate / "probe").write_text("")
        except OSError:
            return candidate
        (candidate / "probe").unlink()
    pytest.skip("no folder here refuses to be written (root, without /sys)")


@pytest.mark.needs_graphviz
@needs_dot
@pytest.mark.parametrize("suffix", ["svg", "dot"])
def test_a_drawing_into_a_read_only_folder_is_exit_2_with_the_path(
    tmp_path: Path, suffix: str
) -> None:
    target = _read_only_folder(tmp_path) / f"g.{suffix}"
    code, out, err = run("grad", "x*y", "--at", "x=1", "y=2", "--draw", str(target))
    assert code == 2 and "∂f/∂x = 2" in out  # the numbers stand
    assert err.startswith(f"kuibu grad: error: cannot write {target}: ") and err.count("\n") == 1


def test_a_page_into_a_read_only_folder_is_exit_2_with_the_path(tmp_path: Path) -> None:
    target = _read_only_folder(tmp_path) / "p.html"
    code, _, err = run("grad", "x*y", "--at", "x=1", "y=2", "--html", str(target))
    assert code == 2 and f"cannot write {target}: " in err and err.count("\n") == 1


def test_a_superscript_power_too_large_for_a_float_is_a_clear_exit_2() -> None:
    for digits in (309, 400, 5000):
        code, _, err = run("grad", "x" + "⁹" * digits, "--at", "x=1")
        assert code == 2, err
        assert f"the power has {digits:,} digits" in err and err.count("\n") == 1
    code, out, _ = run("grad", "x" + "⁰" * 5000 + "²", "--at", "x=3")  # zeros do not count
    assert code == 0 and "∂f/∂x = 6" in out


def test_a_bug_is_exit_3_on_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object) -> None:
        raise ZeroDivisionError("deliberately")

    monkeypatch.setattr(cli.Command, "_evaluate", broken)
    code, _, err = run("grad", "x", "--at", "x=1")
    assert code == 3
    assert err == "kuibu grad: a bug in kuibu: ZeroDivisionError: deliberately (please " \
                  "report it)\n"


# -- unknown options ------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["--foo", "--language", "--language=zh", "--out-file=g.svg"])
def test_an_unknown_option_gets_argparses_message_and_the_usage(word: str) -> None:
    code, _, err = run("grad", "x*y", "--at", "x=1", "y=2", word)
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"kuibu grad: error: unrecognized arguments: {word}")
    assert "usage: kuibu grad [-h] [-f FILE] [--at NAME=NUMBER" in err
    assert "--at takes" not in err


def test_a_misspelt_option_gets_a_suggestion() -> None:
    code, _, err = run("grad", "x", "--at", "x=1", "--jsno")
    assert code == 2 and "(did you mean --json?)" in err


def test_an_expression_may_still_start_with_a_minus_sign() -> None:
    for expression in ("-x*y", "-sin(x*y)", "-2*x*y", "-y+x"):
        code, _, err = run("grad", expression, "--at", "x=1", "y=2")
        assert code == 0, err


# -- JSON -----------------------------------------------------------------------------------


def test_json_never_holds_a_lone_surrogate() -> None:
    text = json_text({"path": "g\udcff.svg", "key\udce9": ["\ud800"]})
    text.encode("utf-8")  # strict: raises on a lone surrogate
    assert json.loads(text) == {"path": "g\ufffd.svg", "key\ufffd": ["\ufffd"]}


@pytest.mark.needs_graphviz
def test_json_from_non_utf8_arguments_is_strict_utf8(tmp_path: Path) -> None:
    """A file name of bytes that are not UTF-8 reaches Python as lone surrogates
    (surrogateescape); the JSON holds U+FFFD for them, never the raw bytes."""
    if os.name != "posix":
        pytest.skip("bytes in argv")
    target = os.fsencode(tmp_path) + b"/g\xff.dot"
    done = process(b"grad", b"x*y", b"--at", b"x=1", b"y=2", b"--json", b"--draw", target)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout.decode("utf-8"))  # strict UTF-8
    assert document["drawing"]["path"].endswith("/g\ufffd.dot")
    assert Path(os.fsdecode(target)).exists()  # the file itself has the name asked for


# -- Ctrl-C ---------------------------------------------------------------------------------


def _interrupt(argv: list[str], ready: bytes, stream: str) -> subprocess.CompletedProcess[bytes]:
    """Run the command, wait until `ready` shows on `stream`, then send it SIGINT."""
    command = subprocess.Popen([sys.executable, "-m", "kuibu", *argv], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, cwd=ROOT, preexec_fn=ctrl_c_reaches_it)
    watched = command.stdout if stream == "stdout" else command.stderr
    assert watched is not None
    seen = b""
    deadline = time.monotonic() + 60
    while ready not in seen and time.monotonic() < deadline:
        seen += watched.readline()
    assert ready in seen, seen
    command.send_signal(signal.SIGINT)
    out, err = finish(command)
    return subprocess.CompletedProcess(command.args, command.returncode,
                                       seen + out if stream == "stdout" else out,
                                       seen + err if stream == "stderr" else err)


@pytest.mark.skipif(os.name != "posix", reason="SIGINT as POSIX sends it")
def test_ctrl_c_while_training_exits_130_quietly(tmp_path: Path) -> None:
    done = _interrupt(["demo", "--steps", "100000000", "--no-progress", "--out",
                       str(tmp_path / "d.dot")], b"Forward pass", "stdout")
    assert done.returncode == INTERRUPTED
    assert done.stderr == b""


@pytest.mark.needs_graphviz
@needs_dot
@pytest.mark.skipif(os.name != "posix", reason="SIGINT as POSIX sends it")
def test_ctrl_c_while_dot_lays_out_stops_dot_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "slow.svg"
    expression = "+".join(["x"] * 70)  # a layout of about a minute, drawn as recorded
    done = _interrupt(["draw", expression, "--at", "x=1", "-o", str(target), "--collapse",
                       "never", "--timeout", "600"], b"Graphviz's dot is drawing", "stderr")
    assert done.returncode == INTERRUPTED
    assert b"Traceback" not in done.stderr and done.stderr.count(b"\n") == 1  # the progress
    assert list(tmp_path.iterdir()) == []  # no drawing, no temporary file
