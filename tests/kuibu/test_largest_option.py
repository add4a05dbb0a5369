"""kuibu explain --largest K: the summary by the largest paths from the command line."""

from __future__ import annotations

import io
import json

from kuibu.cli import main

EXPRESSION = "a = x*y; b = tanh(a) + a*a; c = b*b + a"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_largest_summarises() -> None:
    code, out, err = run("explain", EXPRESSION, "--at", "x=0.5", "y=1.5", "--wrt", "x",
                         "--largest", "2")
    assert code == 0 and not err
    assert "a summary by the 2 largest of its 7 paths" in out
    assert "the other 5 paths add up to" in out and "∂c/∂x = 9.03292" in out


def test_largest_in_json_and_chinese() -> None:
    code, out, _ = run("explain", EXPRESSION, "--at", "x=0.5", "y=1.5", "--wrt", "x",
                       "--largest", "3", "--json", "--lang", "zh")
    assert code == 0
    document = json.loads(out)
    assert document["explanation"]["largest"] == 3
    assert len(document["explanation"]["paths"]) == 3
    assert "最大的 3 条中的第 1 条" in document["text"]


def test_a_bad_count_is_one_line_and_exit_2() -> None:
    code, out, err = run("explain", "tanh(x)", "--at", "x=0.5", "--wrt", "x", "--largest", "-1")
    assert code == 2 and not out
    assert "--largest" in err and err.count("\n") == 1
