"""The kuibu command under random input: it ends with 0, 1 or 2, on one line, never a traceback.

Seeded, so a failure names an input that reproduces it. Exit 3 (a bug in kuibu) fails the test.
The budget, which docs/reliability.md states too:

- 3,000 random command lines in this process, each under 1 s and all under 60 s;
- 600 more written to ASCII, Latin-1 and cp1252 streams: every line in the stream's encoding,
  kuibu's symbols spelled in ASCII, JSON still JSON;
- 8 command lines of 49,000 to 50,010 characters (the formula language's 50,000 limit, with
  --check, --explain and --json), each under 10 s;
- 6 real processes interrupted (SIGINT) at a seeded moment up to a second after they have
  started training, checking, or waiting for Graphviz, and 2 whose reader stops reading: each
  ends within 10 s of the signal with 130 (0 for the reader), nothing on stderr but progress,
  no traceback (marked slow: they run in the whole suite).
"""

from __future__ import annotations

import importlib.util
import io
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograd import Value, explain
from autograd.formula import functions
from kuibu.cli import main
from kuibu.output import INTERRUPTED
from tests.ctrl_c import ctrl_c_reaches_it, finish

ROOT = Path(__file__).resolve().parents[2]
SEED = 20261201
CASES = 3000
NAMES = ["x", "y", "w", "b", "z", "x1", "é", "_"]
NUMBERS = ["0", "1", "2.5", "-3", "0.0", "1e309", "1e-320", "5e-324", "9" * 400, "1" * 309,
           "1e308", ".5", "1_000", "0x1f", "1j", "inf", "nan"]
OPERATORS = ["+", "-", "*", "/", "**", "(", ")", ",", "·", "×", "−", "²", "³", "⁻¹", "^",
             "σ", "pi", "e", "=", ".", "[", "]", "//", "%", "@", " if ", " else ", ">", ":"]
STRANGE = ["", " ", "\n", "\t", "\x00", "\u200b", "中", "😀", "\\", "'", '"', "#", ";",
           "lambda", "__import__", "x.y", "{", "}", "\r\n", "\ufeff"]
#: What a typed expression may call: every function of the rule table (step and sign included).
CALLABLE = sorted(functions() - {"linear"})
FUNCTIONS = [*CALLABLE, "linear", "foo", "print", "open", "max"]


def soup(rng: random.Random) -> str:
    """A random string of the formula language's tokens, and some that are not."""
    kind = rng.random()
    if kind < 0.15:  # a function called with 0 to 3 arguments
        f = rng.choice(FUNCTIONS)
        return f"{f}({', '.join(rng.choice(NAMES[:5]) for _ in range(rng.randrange(4)))})"
    if kind < 0.2:
        return rng.choice(NUMBERS) + rng.choice(["*x", "", "+x", "**x"])
    pool = [*NAMES, *NUMBERS, *OPERATORS, *FUNCTIONS, *STRANGE]
    weights = [4] * len(NAMES) + [1] * len(NUMBERS) + [3] * len(OPERATORS) + \
        [1] * len(FUNCTIONS) + [1] * len(STRANGE)
    return "".join(rng.choices(pool, weights, k=rng.randrange(0, 16)))


def _explains_non_finite() -> bool:
    """Whether explanations survive inf and nan inside a graph (a known library gap until they
    do: then the fuzz asks --explain only of formulas that stay finite, and of any formula as
    soon as they can)."""
    x = Value(1.0, label="x")
    try:
        explain(x * math.inf, x, steps=True).text()
        explain((x * math.nan).tanh(), x, steps=True).text()
        explain(x * math.inf - x * math.inf, x, steps=True).text()  # paths of inf and −inf
    except (OverflowError, ValueError):
        return False
    return True


EXPLAINS_NON_FINITE = _explains_non_finite()
#: Functions and operators that keep x, y in [-3, 3] finite through a few levels.
BOUNDED = ("tanh", "sigmoid", "sin", "cos", "relu", "abs", "leaky_relu", "softplus")


def formula(rng: random.Random, depth: int = 3, bounded: bool = False) -> str:
    """A random formula that reads: x, y, numbers, operators and calls with the right arity."""
    if depth == 0 or rng.random() < 0.3:
        return rng.choice(["x", "y", "x", "y", "2", "0.5", "-1", "3"]
                          + ["1e309"] * (not bounded))
    if rng.random() < 0.4:
        f = rng.choice(BOUNDED if bounded else CALLABLE)
        args = [formula(rng, depth - 1, bounded)]
        if f == "leaky_relu" and rng.random() < 0.5:
            args.append("0.2")
        return f"{f}({', '.join(args)})"
    op = rng.choice(["+", "-", "*"] + ["/", "**"] * (not bounded))
    return f"({formula(rng, depth - 1, bounded)}){op}({formula(rng, depth - 1, bounded)})"


def well_formed(rng: random.Random) -> list[str]:
    """A command line that reads: mostly exit 0, or 1 when the random check disagrees."""
    explaining = rng.random() < 0.3
    f = formula(rng, bounded=explaining and not EXPLAINS_NON_FINITE)
    point = [f"x={rng.uniform(-3, 3):.3g}", f"y={rng.uniform(-3, 3):.3g}"]
    used = [name for name in ("x", "y") if name in f]
    words = ["grad", f, "--at", *(a for a in point if a[0] in used)]
    if used and rng.random() < 0.5:
        words += ["--check", f"{rng.choice(used)}={formula(rng, 2)}", "--points", "3"]
    if used and explaining:
        words += ["--explain", rng.choice(used)]
    if rng.random() < 0.3:
        words.append("--json")
    return words


def assignment(rng: random.Random) -> str:
    name = rng.choice([*NAMES, "", "1a", "x y"])
    value = rng.choice([*NUMBERS, "a", "", "1,y=2", "-0.2", "1e-3"])
    return rng.choice([f"{name}={value}", f"{name}={value},{rng.choice(NAMES)}=1", name])


def argv(rng: random.Random, tmp: Path) -> list[str]:
    """A command line: a command (or not), an expression, options in odd places."""
    if rng.random() < 0.4:
        return well_formed(rng)
    command = rng.choices(["grad", "check", "explain", "draw", "demo", "", "gard", "--version",
                           "-h", "--json"], [30, 12, 10, 8, 1, 2, 1, 1, 1, 1])[0]
    words = [command] if command else []
    if command == "demo":  # slow when it trains long: a few steps, output the DOT source
        return [*words, "--steps", str(rng.choice([1, 2, 0, -1])), "--no-progress", "--out",
                str(tmp / rng.choice(["d.dot", "d.txt", "x/../d.dot", "nofile"])),
                *rng.choice([[], ["--fixed-biases"], ["--rankdir", "TB"], ["--dpi", "0"]])]
    options: list[list[str]] = []
    for _ in range(rng.randrange(0, 5)):
        choice = rng.randrange(16)
        if choice < 5:
            options.append(["--at", *(assignment(rng) for _ in range(rng.randrange(0, 4)))])
        elif choice == 5:
            options.append([assignment(rng)])
        elif choice == 6:
            options.append(["--check", f"{rng.choice(NAMES)}={soup(rng)}"])
        elif choice == 7:
            options.append(["--partial", f"{rng.choice(NAMES)}={soup(rng)}"])
        elif choice == 8:
            options.append(["--explain", rng.choice(NAMES)])
        elif choice == 9:
            options.append(["--wrt", rng.choice(NAMES)])
        elif choice == 10:
            options.append(["--points", rng.choice(["1", "3", "0", "-2", "x", "100000"])])
        elif choice == 11:
            options.append(["--json"])
        elif choice == 12:
            options.append([rng.choice(["--draw", "-o", "--output"]),
                            str(tmp / rng.choice(["g.dot", "g.txt", "g", "a/b.dot"]))])
        elif choice == 13:
            options.append([rng.choice(["--rankdir", "--dpi", "--format", "--highlight"]),
                            rng.choice(["TB", "LR", "xx", "150", "0", "latex", "x", ""])])
        elif choice == 14:
            options.append([rng.choice(["--", "-", "--nonsense", "-x", "--at=x=1", "--json=1"])])
        else:
            options.append([soup(rng)])
    expression = [soup(rng)] if rng.random() < 0.95 else []
    place = rng.randrange(len(options) + 1)
    for part in [*options[:place], expression, *options[place:]]:
        words += part
    return words


@pytest.mark.filterwarnings("error::SyntaxWarning")  # a warning would be a second line
def test_random_command_lines_end_in_0_1_or_2_on_one_line(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    codes = {0: 0, 1: 0, 2: 0}
    slowest = 0.0
    start = time.perf_counter()
    for case in range(CASES):
        words = argv(rng, tmp_path)
        out, err = io.StringIO(), io.StringIO()
        began = time.perf_counter()
        code = main(words, out=out, err=err)
        took = time.perf_counter() - began
        slowest = max(slowest, took)
        shown = f"case {case}: kuibu {words!r} -> {code}\n{out.getvalue()}{err.getvalue()}"
        assert code in codes, shown
        assert "Traceback" not in out.getvalue() + err.getvalue(), shown
        if code == 2:
            assert err.getvalue().count("\n") == 1 and err.getvalue().strip(), shown
        elif words and words[0] != "demo":
            assert err.getvalue() == "", shown
        assert took < 1.0, shown
        codes[code] += 1
    # The inputs reach every outcome, so the test exercises more than the parser's refusals.
    assert all(codes.values()), codes
    assert time.perf_counter() - start < 60, f"{CASES} cases took too long"
    print(f"{CASES} command lines: exit codes {codes}, slowest {slowest * 1000:.0f} ms")


@pytest.mark.parametrize(
    "words",
    [
        ["grad", "exp()"],
        ["grad", "leaky_relu(x, x, x)", "--at", "x=1"],
        ["grad", "tanh(x)", "--at", "x=1", "--check", "x=tanh(x,x)"],
        ["grad", "x\n*", "--at", "x=1"],
        ["grad", "9" * 400 + "*x", "--at", "x=1"],
        ["grad", "x", "--at", "x=1e309"],
        ["grad", ""],
        ["grad", "1if x else 2", "--at", "x=1"],
        ["--json"],
    ],
)
def test_hard_input_through_a_real_process_ends_cleanly(words: list[str]) -> None:
    done = subprocess.run([sys.executable, "-m", "kuibu", *words], capture_output=True,
                          text=True, cwd=ROOT, timeout=60)
    assert "Traceback" not in done.stderr + done.stdout
    assert done.returncode in (0, 2), done.stderr  # a huge literal may be read as inf
    if done.returncode == 2:
        assert done.stderr.count("\n") == 1
    else:
        assert done.stderr == "" and "f = " in done.stdout


# -- encodings ------------------------------------------------------------------------------

ENCODED_CASES = 600
ENCODINGS = ("ascii", "latin-1", "cp1252")
#: Symbols kuibu writes that none of those encodings holds: never sent to them, nor escaped.
SYMBOLS = "∂−σ≈→…√Σδ"


@pytest.mark.filterwarnings("error::SyntaxWarning")
def test_random_command_lines_in_narrow_encodings(tmp_path: Path) -> None:
    rng = random.Random(SEED + 1)
    for case in range(ENCODED_CASES):
        words = argv(rng, tmp_path)
        encoding = ENCODINGS[case % len(ENCODINGS)]
        raw_out, raw_err = io.BytesIO(), io.BytesIO()
        out = io.TextIOWrapper(raw_out, encoding=encoding, write_through=True)
        err = io.TextIOWrapper(raw_err, encoding=encoding, write_through=True)
        code = main(words, out=out, err=err)
        text = raw_out.getvalue().decode(encoding) + raw_err.getvalue().decode(encoding)
        shown = f"case {case} ({encoding}): kuibu {words!r} -> {code}\n{text}"
        assert code in (0, 1, 2), shown
        assert "Traceback" not in text, shown
        assert not any(c in text for c in SYMBOLS), shown
        if "--json" not in words:  # JSON holds them as \\u escapes: the same JSON
            assert not any(f"\\u{ord(c):04x}" in text for c in SYMBOLS), shown  # spelled out
        if code in (0, 1) and "--json" in words and words[0] in ("grad", "check", "explain"):
            json.loads(raw_out.getvalue().decode(encoding))


# -- the 50,000-character limit -------------------------------------------------------------

LONG_CASES = 8
#: Seconds one of them may take: --explain of 50,000 characters takes 2 to 3 s alone, and the
#: tests share the machine.
LONG_SECONDS = 10.0


def long_formula(rng: random.Random, length: int) -> str:
    """A formula of random bounded terms joined with +: at most `length` characters when that
    is within the limit (as close to it as whole terms allow), else just over `length`."""
    parts: list[str] = []
    total = -1
    while True:
        part = formula(rng, 3, bounded=True)
        if length <= 50_000 and total + 1 + len(part) > length:
            return "+".join(parts)
        parts.append(part)
        total += 1 + len(part)
        if total > length:
            return "+".join(parts)


def test_command_lines_at_the_50000_character_limit() -> None:
    rng = random.Random(SEED + 2)
    outcomes = set()
    for case in range(LONG_CASES):
        length = rng.choice([49_000, 49_990, 50_000, 50_001, 50_010])
        text = long_formula(rng, length)
        extra = rng.choice([[], ["--json"], ["--explain", "x"],
                            ["--check", "x=1", "--points", "2"], ["--code"]])
        words = ["grad", text, "--at", "x=0.5", "y=-1", *extra]
        out, err = io.StringIO(), io.StringIO()
        began = time.perf_counter()
        code = main(words, out=out, err=err)
        took = time.perf_counter() - began
        shown = f"case {case}: {len(text)} characters, {extra} -> {code}: {err.getvalue()[:300]}"
        assert code in (0, 1, 2) and took < LONG_SECONDS, (shown, took)
        if len(text) > 50_000:
            assert code == 2 and "at most 50000" in err.getvalue(), shown
        outcomes.add(code)
    assert 2 in outcomes and outcomes & {0, 1}


# -- signals --------------------------------------------------------------------------------

SIGNAL_CASES = 6


def _long_runs(rng: random.Random, tmp: Path) -> list[tuple[list[str], str]]:
    """Commands that run for seconds at least, each with how to tell it has started: a first
    line on stdout or stderr, or (for a command silent until it ends) a second's wait."""
    slow = tmp / "slow_ops.py"
    slow.write_text("import time\ntime.sleep(60)\n", encoding="utf-8")
    runs = [
        (["demo", "--steps", "100000000", "--no-progress", "--out", str(tmp / "d.dot")],
         "stdout"),
        # The user's own file, slow to run (audit runs it in-process first).
        (["audit", str(slow)], "wait"),
    ]
    if shutil.which("dot") and importlib.util.find_spec("graphviz") is not None:
        runs.append((["draw", "+".join(["x"] * 70), "--at", "x=1", "-o", str(tmp / "g.svg"),
                      "--collapse", "never", "--timeout", "600"], "stderr"))
    return runs


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="signals as POSIX sends them")
def test_interrupted_at_random_moments_the_command_ends_quietly(tmp_path: Path) -> None:
    rng = random.Random(SEED + 3)
    runs = _long_runs(rng, tmp_path)
    for case in range(SIGNAL_CASES):
        words, started = runs[case % len(runs)]
        process = subprocess.Popen([sys.executable, "-m", "kuibu", *words], cwd=ROOT,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   preexec_fn=ctrl_c_reaches_it)
        assert process.stdout is not None and process.stderr is not None
        first = b""
        if started == "wait":
            time.sleep(1.0)
        else:  # a Python that has printed has started, and handles SIGINT itself
            first = (process.stdout if started == "stdout" else process.stderr).readline()
        delay = rng.uniform(0.0, 1.0)
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        sent = time.perf_counter()
        _, err = finish(process)
        err = (first if started == "stderr" else b"") + err
        shown = f"case {case}: {words[0]} interrupted {delay:.2f} s in -> {process.returncode}: "
        assert time.perf_counter() - sent < 10, shown
        assert process.returncode == INTERRUPTED, shown + err.decode(errors="replace")
        assert b"Traceback" not in err, shown + err.decode(errors="replace")
        errors = [line for line in err.splitlines() if b"Graphviz's dot is drawing" not in line]
        assert errors == [], shown + err.decode(errors="replace")
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="pipes as POSIX closes them")
def test_a_reader_that_stops_reading_ends_the_command_quietly(tmp_path: Path) -> None:
    for words in (["demo", "--steps", "1000", "--no-progress", "--out", str(tmp_path / "d.dot")],
                  ["grad", long_formula(random.Random(SEED + 4), 40_000), "--at", "x=0.5",
                   "y=-1", "--code"]):
        process = subprocess.Popen([sys.executable, "-m", "kuibu", *words], cwd=ROOT,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert process.stdout is not None and process.stderr is not None
        process.stdout.readline()  # `| head -1`
        process.stdout.close()
        err = process.stderr.read()
        assert process.wait(timeout=60) == 0, err
        assert err == b"", err
