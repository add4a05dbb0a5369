"""What explanations cost: time and peak memory of `explain` on long chains, and of the
`kuibu` command explaining expressions as long as its command line allows.

    python benchmarks/explain_costs.py                  # 12,000-step chains, 50,000 characters
    python benchmarks/explain_costs.py --steps 3000 --chars 10000 --repeats 1

The chains (one operation a step, x their only leaf):

- ``tanh``: y ← tanh(y), unlabelled: one factor of thousands of steps;
- ``shared``: y ← tanh(y)·x or y + x in turn: x is used at every other step, so there are
  thousands of paths and the explanation takes its per-node form;
- ``labelled``: y ← tanh(y), each node labelled: one path of thousands of factors;
- ``steps``: the ``tanh`` chain with ``explain(..., steps=True)``.

Each is explained (text, Markdown and LaTeX written) `repeats` times; the table gives the
median seconds, and the peak memory the explanation allocated (tracemalloc, one more run: it
slows the run it measures, so it is not timed). The commands run in a fresh interpreter each,
as a user runs them: the table gives wall seconds and the process's peak resident memory
(VmHWM where Linux gives it).

`chains(steps, repeats)` and `commands(chars, repeats)` return the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograd import Value, explain  # noqa: E402


def chain(kind: str, steps: int) -> tuple[Value, Value]:
    """The chain `kind` (see the module's docstring) of `steps` operations, and its leaf."""
    x = Value(0.5, label="x")
    y = x
    for i in range(steps):
        if kind == "shared":
            y = y.tanh() * x if i % 2 else y + x
        else:
            y = y.tanh()
            if kind == "labelled":
                y.label = f"h{i}"
    y.label = "y"
    return y, x


def _explained(kind: str, y: Value, x: Value) -> tuple[float, float, int]:
    """Seconds to explain, seconds to write the three texts too, and their characters."""
    start = time.perf_counter()
    e = explain(y, x, steps=kind == "steps")
    explained = time.perf_counter() - start
    size = len(e.text()) + len(e.markdown()) + len(e.latex())
    return explained, time.perf_counter() - start, size


def chains(steps: int, repeats: int) -> dict[str, tuple[float, float, float, int]]:
    """Per chain: median seconds to explain, and with the texts written; peak MB allocated;
    characters written."""
    figures = {}
    for kind in ("tanh", "shared", "labelled", "steps"):
        y, x = chain("tanh" if kind == "steps" else kind, steps)
        runs = [_explained(kind, y, x) for _ in range(repeats)]
        tracemalloc.start()
        try:
            _explained(kind, y, x)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        figures[kind] = (statistics.median(r[0] for r in runs),
                         statistics.median(r[1] for r in runs), peak / 1e6, runs[-1][2])
    return figures


def expressions(chars: int) -> dict[str, str]:
    """Expressions of at most `chars` characters in x (the command line's documented maximum is
    50,000)."""

    def repeat(term: str, sep: str) -> str:
        count = (chars + len(sep)) // (len(term) + len(sep))
        return sep.join([term] * count)

    return {
        "x*x*…*x": repeat("x", "*"),
        "sin(x)*…": repeat("sin(x)", "*"),
        "x*x+…+x*x": repeat("x*x", "+"),
    }


COMMANDS: dict[str, Callable[[str], list[str]]] = {
    "grad --explain": lambda e: ["grad", e, "x=0.5", "--explain", "x"],
    "explain": lambda e: ["explain", e, "--at", "x=0.5", "--wrt", "x"],
}


def _child(args: list[str]) -> None:
    """Run the kuibu command in this process and print its peak memory on stderr at exit."""
    import atexit
    import resource

    def report() -> None:
        sys.stderr.write("\n" + json.dumps({"peak_mb": _peak_kb() / 1e3}) + "\n")

    def _peak_kb() -> float:
        # Linux keeps ru_maxrss across exec, so a child of a big process would report its
        # parent's size; the peak of this process's own memory is VmHWM.
        try:
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return float(line.split()[1])
        except OSError:
            pass
        return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)

    atexit.register(report)
    from kuibu.cli import main

    sys.exit(main(args))


def commands(chars: int, repeats: int) -> dict[tuple[str, str], tuple[float, float, int, int]]:
    """Per (expression, command): median wall seconds, peak MB, exit code, characters out."""
    figures = {}
    for name, text in expressions(chars).items():
        for command, make in COMMANDS.items():
            seconds, peaks = [], []
            code, size = 0, 0
            for _ in range(repeats):
                start = time.perf_counter()
                done = subprocess.run(
                    [sys.executable, __file__, "--child", "--", *make(text)],
                    capture_output=True, text=True, cwd=ROOT,
                )
                seconds.append(time.perf_counter() - start)
                last = done.stderr.strip().splitlines()[-1]
                peaks.append(json.loads(last)["peak_mb"])
                code, size = done.returncode, len(done.stdout)
            figures[(name, command)] = (statistics.median(seconds), max(peaks), code, size)
    return figures


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        _child(argv[2:] if argv[1:2] == ["--"] else argv[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=12_000, help="operations in each chain")
    parser.add_argument("--chars", type=int, default=50_000, help="characters per expression")
    parser.add_argument("--repeats", type=int, default=3, help="runs per case (the median)")
    args = parser.parse_args(argv)
    print(f"explain() on chains of {args.steps:,} steps, median of {args.repeats} runs")
    print("| chain | explain s | with text, Markdown, LaTeX s | peak MB | characters written |")
    print("|---|---:|---:|---:|---:|")
    for kind, (seconds, written, peak, size) in chains(args.steps, args.repeats).items():
        print(f"| {kind} | {seconds:.2f} | {written:.2f} | {peak:.0f} | {size:,} |")
    print()
    print(f"the kuibu command on {args.chars:,}-character expressions, a fresh process each, "
          f"median of {args.repeats} runs")
    print("| expression | command | seconds | peak MB | exit | characters out |")
    print("|---|---|---:|---:|---:|---:|")
    for (name, command), (seconds, peak, code, size) in commands(
        args.chars, args.repeats
    ).items():
        print(f"| {name} | {command} | {seconds:.2f} | {peak:.0f} | {code} | {size:,} |")


if __name__ == "__main__":
    main()
