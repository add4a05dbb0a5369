"""`kuibu audit FILE.py`: the user's file runs in-process, one verdict per operation, exit 0 all
good / 1 a mistake found / 2 bad input, with one line on stderr."""

from __future__ import annotations

import io
import json
import re
import sys
import textwrap
from pathlib import Path

import pytest

from kuibu.cli import main

ROOT = Path(__file__).resolve().parent.parent.parent

STUDENT = '''
import math

print("the student's engine is loading")


class Value:
    def __init__(self, data, _children=(), _op=""):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op

    def __add__(self, other):
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad = other.data * out.grad
            other.grad = self.data * out.grad

        out._backward = _backward
        return out

    def tanh(self):
        x = self.data
        t = math.tanh(x)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - x**2) * out.grad

        out._backward = _backward
        return out


if __name__ == "__main__":
    raise SystemExit("the main block must not run")
'''

KUIBU_OPS = '''
import math
from autograd import Value


def sigmoid(x):
    s = 1 / (1 + math.exp(-x.data))
    out = Value(s, (x,), "sigmoid")

    def _backward():
        x.grad += s * (1 - s) * out.grad

    out._backward = _backward
    return out


def exp(x):
    out = Value(math.exp(x.data), (x,), "exp")

    def _backward():
        x.grad += out.data * out.grad

    out._backward = _backward
    return out
'''


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(path)


def test_a_students_engine_gets_one_verdict_per_operation(tmp_path: Path) -> None:
    path = write(tmp_path, "engine.py", STUDENT)
    code, out, err = run("audit", path)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(f"3 operations written micrograd's way in {path}")
    assert "(the file ran in this process)" in lines[0]
    assert lines[1] == "Value.__add__ ('+', 2 inputs): ok at 5 points"
    assert lines[2] == "Value.__mul__ ('*', 2 inputs): 1 mistake"
    assert lines[3].startswith("  - `=` where `+=` belongs")
    tanh = lines.index("Value.tanh ('tanh', 1 input): 1 mistake")
    assert "self.data for out.data" in lines[tanh + 1]
    assert all(len(line) <= 100 for line in lines[1:])  # each mistake wrapped for a terminal
    assert lines[-1] == "1 ok, 2 with mistakes, 0 not audited"
    # The user's own print went to stderr; the main block did not run.
    assert err == "the student's engine is loading\n"


def test_right_operations_on_kuibus_value_exit_0(tmp_path: Path) -> None:
    path = write(tmp_path, "ops.py", KUIBU_OPS)
    code, out, err = run("audit", path, "--points", "3")
    assert code == 0 and err == ""
    assert "sigmoid ('sigmoid', 1 input): ok at 3 points" in out
    assert "exp ('exp', 1 input): ok at 3 points" in out
    assert out.splitlines()[-1] == "2 ok, 0 with mistakes, 0 not audited"


def test_name_chooses_operations_and_unknown_names_are_exit_2(tmp_path: Path) -> None:
    path = write(tmp_path, "engine.py", STUDENT)
    code, out, _ = run("audit", path, "--name", "Value.__add__")
    assert code == 0 and "Value.__add__" in out and "tanh" not in out
    code, out, err = run("audit", path, "--name", "Value.relu")
    assert code == 2 and out == ""
    assert err.splitlines()[-1] == (f"kuibu audit: error: {path} has no Value.relu; it defines "
                                    "Value.__add__, Value.__mul__, Value.tanh")
    code, _, err = run("audit", path, "--name", "math")
    assert code == 2 and "math in" in err and "not a function" in err


def test_chinese_verdicts(tmp_path: Path) -> None:
    path = write(tmp_path, "engine.py", STUDENT)
    code, out, _ = run("audit", path, "--lang", "zh")
    assert code == 1
    assert "Value.__mul__ ('*', 2 个输入): 发现 1 个错误" in out
    assert "该用 `+=` 的地方用了 `=`" in out
    assert out.splitlines()[-1] == "1 个正确，2 个有错误，0 个无法检查"


def test_json(tmp_path: Path) -> None:
    path = write(tmp_path, "engine.py", STUDENT)
    code, out, _ = run("audit", path, "--json", "--points", "2", "--seed", "7")
    document = json.loads(out)
    assert code == 1 and document["ok"] is False and document["seed"] == 7
    verdicts = {op["name"]: op for op in document["operations"]}
    assert verdicts["Value.__add__"]["ok"] is True
    assert len(verdicts["Value.__add__"]["points"]) == 2
    assert [f["mistake"] for f in verdicts["Value.tanh"]["findings"]] == ["input_for_output"]


def test_the_files_folder_comes_first_on_the_path_and_is_removed_after(tmp_path: Path) -> None:
    write(tmp_path, "helpers.py", "SCALE = 2.0\n")
    path = write(tmp_path, "ops.py", '''
        from autograd import Value
        from helpers import SCALE

        def scale(x):
            out = Value(SCALE * x.data, (x,), "scale")
            def _backward():
                x.grad += SCALE * out.grad
            out._backward = _backward
            return out
    ''')
    before = list(sys.path)
    code, out, _ = run("audit", path)
    assert code == 0, out
    assert sys.path == before
    sys.modules.pop("helpers", None)


@pytest.mark.parametrize(("text", "message"), [
    ("def f(:\n", "line 1: invalid syntax"),
    ("x = 1 / 0\n", "raised ZeroDivisionError: division by zero at line 1 while it ran"),
    ("import sys\n\nsys.exit(3)\n", "raised SystemExit: 3 at line 3 while it ran"),
    ("def helper(x):\n    return x\n", "defines no operation written micrograd's way"),
])
def test_a_file_that_cannot_be_audited_is_exit_2_on_one_line(
        tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "bad.py", text)
    code, out, err = run("audit", path)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err, err


def test_missing_files_folders_and_bad_options_are_exit_2(tmp_path: Path) -> None:
    for argv, message in [
        (("audit", str(tmp_path / "none.py")), "none.py: no such file"),
        (("audit", str(tmp_path)), "is not a file"),
        (("audit", write(tmp_path, "ops.py", KUIBU_OPS), "--points", "0"),
         "--points must be from 1 to 100, not 0"),
        (("audit",), "the following arguments are required: FILE.py"),
    ]:
        code, _, err = run(*argv)
        assert code == 2 and message in err and err.count("\n") == 1, (argv, err)
    binary = tmp_path / "blob.py"
    binary.write_bytes(b"\xff\xfe\x00")
    code, _, err = run("audit", str(binary))
    assert code == 2 and "not UTF-8" in err


def test_an_operation_that_never_runs(tmp_path: Path) -> None:
    path = write(tmp_path, "ops.py", KUIBU_OPS + '''

def broken(x):
    out = Value(x.no_such_attribute, (x,), "broken")
    out._backward = lambda: None
    return out
''')
    code, out, err = run("audit", path, "--name", "sigmoid", "--name", "broken")
    assert code == 2
    assert "broken ('" not in out and "broken (1 input): could not audit" in out
    assert err == "kuibu audit: error: could not audit broken (see above)\n"
    # With a mistake found as well, the mistake decides: exit 1.
    student = write(tmp_path, "engine.py", STUDENT + KUIBU_OPS.replace("from autograd import "
                                                                       "Value\n", "") + '''

def broken(x):
    out = Value(x.no_such_attribute, (x,), "broken")
    out._backward = lambda: None
    return out
''')
    code, out, _ = run("audit", student)
    assert code == 1 and "could not audit" in out


def test_micrograds_own_engine_passes(tmp_path: Path) -> None:
    pytest.importorskip("micrograd")
    path = write(tmp_path, "mg.py", '''
        from micrograd.engine import Value

        def double(x):
            out = Value(2 * x.data, (x,), "double")
            def _backward():
                x.grad += 2 * out.grad
            out._backward = _backward
            return out
    ''')
    code, out, _ = run("audit", path, "--name", "double", "--name", "Value.__mul__",
                       "--name", "Value.__pow__")
    assert code == 0, out
    assert "Value.__pow__ ('**" in out and "1 input and 1 number" in out


def test_the_help_says_the_file_runs_in_process() -> None:
    code, out, _ = run("audit", "--help")
    assert code == 0 and "runs in this process" in out and "Exit 0" in out
    assert "audit" in run("--help")[1]


@pytest.mark.parametrize("page", ["audit.md", "audit.zh.md"])
def test_the_docs_example_runs_as_shown(page: str, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    blocks = re.findall(r"```text\n(.*?)```", text, flags=re.S)
    (listing,) = [b for b in blocks if b.startswith("import math")]
    (shown,) = [b for b in blocks if b.startswith("$ kuibu audit")]
    command, expected = shown.split("\n", 1)
    (tmp_path / "engine.py").write_text(listing, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = run(*command.split()[2:])  # after "$ kuibu"
    assert (code, err) == (1, "")
    assert out == expected
