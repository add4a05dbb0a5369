"""The tape benchmark and the microgpt benchmark time contenders that compute the same thing
(their timings are not tested)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import tape

ROOT = Path(__file__).resolve().parents[2]


def test_every_tape_contender_computes_the_same_value_and_gradients() -> None:
    passes, notes = tape.contenders(200)
    tape.check(passes)  # raises if any differs from the index tape
    assert {"naive tape", "index tape", "kuibu engine", "kuibu compiled"} <= set(passes)
    assert notes["kuibu compiled: writing the program"] > 0


def test_the_index_tapes_gradient_is_the_finite_difference() -> None:
    recorder = tape.IndexTape()
    leaves = [float(i) for i in range(tape.LEAVES)]
    root = recorder.record(leaves, 200)
    _, grads = recorder.forward_backward(leaves, root)
    for i in (70, 85, 99):
        h = 1e-6
        up = recorder.forward_backward([x + h * (k == i) for k, x in enumerate(leaves)], root)[0]
        down = recorder.forward_backward([x - h * (k == i) for k, x in enumerate(leaves)], root)[0]
        assert grads[i] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-9)
    assert any(g != 0.0 for g in grads)


def test_the_workload_is_the_articles() -> None:
    seen: list[tuple[str, int]] = []
    tape.build(list(range(100)), 8, lambda x: seen.append(("softplus", x)) or -1,
               lambda xs: seen.append(("sum", len(xs))) or -1,
               lambda a, b: seen.append(("prod", a * 1000 + b)) or -1,
               lambda xs: seen.append(("softmax", len(xs))) or [-1] * len(xs))
    assert seen[:4] == [("softplus", 90), ("sum", 4), ("prod", 82 * 1000 + 92), ("softmax", 4)]
    assert [kind for kind, _ in seen] == ["softplus", "sum", "prod", "softmax"] * 2


@pytest.mark.slow
def test_the_microgpt_benchmarks_contenders_agree_and_it_prints_its_table() -> None:
    from benchmarks import microgpt

    result = microgpt.run(repeats=1, cpu_time=True)
    text = microgpt.table(result)
    for name in microgpt.NAMES.values():
        assert f"| {name} |" in text
    assert result["info"]["nodes"]["nn"] < result["info"]["nodes"]["as_written"]


@pytest.mark.slow
def test_run_py_prints_every_section_it_is_asked_for() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--only", "train,tape,microgpt",
         "--train-repeats", "1", "--tape-ops", "200", "--tape-iterations", "1",
         "--microgpt-repeats", "1"],
        capture_output=True, text=True, check=True,
    )
    for heading in ("## micrograd's demo training step", "## Fastest Autograd in the West",
                    "## microgpt"):
        assert heading in result.stdout
    assert "nan" not in result.stdout
    assert "section 3 of 3: microgpt" in result.stderr and "done" in result.stderr
