"""The benchmark scripts still run (tiny sizes; nothing here is timed or asserted about speed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_the_engine_benchmark_prints_both_tables() -> None:
    pytest.importorskip("micrograd")
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--only", "engine", "--ops", "400",
         "--repeats", "1"],
        capture_output=True, text=True, check=True,
    )
    assert "garbage collector on" in result.stdout and "garbage collector off" in result.stdout
    for workload in ("chain", "tree", "dot"):
        assert result.stdout.count(f"| {workload}") == 8  # 3 timing rows + 1 memory row, 2 tables


def test_the_graph_walks_benchmark_prints_each_walk_against_backward() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "graph_walks.py"), "--ops", "200",
         "--repeats", "1"],
        capture_output=True, text=True, check=True,
    )
    for walk in ("backward", "topological_order", "Value.zero_grad", "graph.zero_grad"):
        assert f"| {walk} |" in result.stdout
