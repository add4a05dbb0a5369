"""Explanations cost what the graph costs: a 12,000-step chain in under a second and 200 MB, the
longest command line (50,000 characters) explained in under 5 seconds and 500 MB. The figures
come from benchmarks/explain_costs.py; memory is measured exactly (tracemalloc), times are the
best of a few runs by the process's CPU time (waiting for a core is not counted), so a busy
machine does not fail them."""

from __future__ import annotations

import importlib.util
import sys
import time
import tracemalloc
from pathlib import Path
from types import ModuleType

import pytest

from autograd import explain

ROOT = Path(__file__).resolve().parents[2]


def benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "explain_costs", ROOT / "benchmarks" / "explain_costs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["explain_costs"] = module
    spec.loader.exec_module(module)
    return module


def cost(kind: str, steps: int) -> tuple[float, float]:
    """Best CPU seconds of 3 runs of explain(), and the peak MB it allocates."""
    y, x = benchmark().chain("tanh" if kind == "steps" else kind, steps)
    best = min(_timed(kind, y, x) for _ in range(3))
    tracemalloc.start()
    try:
        explain(y, x, steps=kind == "steps").text()
        peak = tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
    return best, peak


def _timed(kind: str, y: object, x: object) -> float:
    start = time.process_time()
    explain(y, x, steps=kind == "steps")  # type: ignore[arg-type]
    return time.process_time() - start


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["tanh", "shared", "labelled", "steps"])
def test_a_12000_step_chain_is_explained_in_a_second_and_200_mb(kind: str) -> None:
    seconds, peak = cost(kind, 12_000)
    assert peak < 100, f"{kind}: {peak:.0f} MB"  # half the promise: memory is measured exactly
    assert seconds < 1.0, f"{kind}: {seconds:.2f} s"


@pytest.mark.slow
def test_the_cost_grows_with_the_chain_not_its_square() -> None:
    small_s, small_mb = cost("shared", 3_000)
    big_s, big_mb = cost("shared", 12_000)
    assert big_mb < 6 * small_mb  # 4 for a linear cost, 16 for a square one
    assert big_s < 8 * small_s + 0.05


@pytest.mark.slow
def test_the_longest_command_line_is_explained_in_5_s_and_500_mb() -> None:
    figures = benchmark().commands(50_000, 1)
    for (expression, command), (seconds, peak, code, size) in figures.items():
        assert code == 0 and size > 0, (expression, command)
        assert peak < 500, (expression, command, peak)
        assert seconds < 5.0, (expression, command, seconds)


def test_the_benchmark_prints_both_tables() -> None:
    import subprocess

    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "explain_costs.py"), "--steps", "60",
         "--chars", "300", "--repeats", "1"],
        capture_output=True, text=True, check=True,
    )
    for row in ("| tanh |", "| shared |", "| labelled |", "| steps |", "| x*x*…*x | explain |"):
        assert row in result.stdout
