"""One program over batches of samples, every way kuibu can run it, timed side by side.

The program: the squared error (score − target)² of micrograd's demo network, MLP(2, [16, 16, 1])
with relu hidden layers (337 parameters), for one two-moons point; its gradient is taken for
every parameter, the point's two coordinates and its target are the inputs. A batch of N points
is run, for the loss and the gradients summed over the batch:

- **engine**: a graph of Values per point, ``backward()`` adding into the parameters' ``.grad``;
- **python**: the program written by `autograd.codegen`, its summed form looping over the points
  in plain Python floats (what ``fit(..., compiled=True)`` replays);
- **numpy**: the same lines over NumPy arrays, one entry per point (``backend="numpy"``);
- **torch**: the same lines over float64 tensors on the CPU (``backend="torch"``), with one
  thread and with each other count given to ``--threads``, and on CUDA when
  ``torch.cuda.is_available()``. NumPy's elementwise operations use one thread; torch's may use
  more, which on a busy machine can cost more than they save.

Every contender's loss and gradients are checked against the engine's first. Each figure is the
median of `repeats` timings (each the mean of enough runs to last about 50 ms), the contenders
taking turns within each repeat, so a busy machine slows them alike. A contender that is not
installed is left out. The time to write each program (once per shape of graph) is measured too.

    python benchmarks/backends.py [--sizes 1,100,10000] [--repeats 7] [--threads 1,2]

Not part of ``benchmarks/run.py``: the engine alone takes seconds per batch of 10,000.
"""

from __future__ import annotations

import argparse
import importlib
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograd import Program, Value, codegen
from nn import MLP, datasets

SIZES = [16, 16, 1]
BATCHES = [1, 100, 10_000]

Result = tuple[float, list[float]]
#: A contender: what to do before it is timed (torch's thread count), and the timed run.
Contender = tuple[Callable[[], None], Callable[[], Result]]


def _optional(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def workload(n: int) -> tuple[MLP, list[tuple[float, float, float]]]:
    """The model (fixed weights) and n two-moons points with their targets ±1."""
    model = MLP(2, list(SIZES), rng=0)
    points, labels = datasets.moons(max(n, 2), noise=0.1, seed=1, labels=(-1.0, 1.0))
    samples = [(p[0], p[1], t) for p, t in zip(points, labels, strict=True)]
    return model, samples[:n]


def sample_loss(model: MLP, x0: Any, x1: Any, target: Any) -> Value:
    score = model([x0, x1])
    assert isinstance(score, Value)
    return (score - target) ** 2.0


def engine_run(model: MLP, samples: list[tuple[float, float, float]]) -> Result:
    """A graph per point; backward() adds each point's gradient into the parameters' .grad."""
    params = model.parameters()
    model.zero_grad()
    total = 0.0
    for x0, x1, target in samples:
        loss = sample_loss(model, x0, x1, target)
        loss.backward()
        total += loss.data
    return total, [p.grad for p in params]


def write_program(model: MLP, backend: str, device: str | None = None) -> Program:
    """The program of one point's graph: parameters as `wrt`, the point and target as inputs."""
    inputs = [Value(0.0, label="x0"), Value(0.0, label="x1"), Value(0.0, label="target")]
    loss = sample_loss(model, *inputs)
    return codegen(loss, wrt=model.parameters(), inputs=inputs, backend=backend, device=device)


def _nothing() -> None:
    pass


def contenders(
    model: MLP, samples: list[tuple[float, float, float]], torch_runs: list[tuple[str, int]]
) -> dict[str, Contender]:
    """Each way to run the batch, as a function of nothing; the data is laid out beforehand
    (columns of floats, arrays, tensors on the device), as a training loop would keep it.
    `torch_runs` are (device, threads) pairs."""
    weights = [p.data for p in model.parameters()]
    runs: dict[str, Callable[[], Result]] = {"engine": lambda: engine_run(model, samples)}
    python = write_program(model, "python")

    def python_run() -> Result:
        total, grads = python.summed(*weights, samples)
        return total, list(grads)

    runs["python"] = python_run
    columns = [list(c) for c in zip(*samples, strict=True)]
    np = _optional("numpy")
    if np is not None:
        numpy_prog = write_program(model, "numpy")
        arrays = [np.asarray(c, dtype=np.float64) for c in columns]

        def numpy_run() -> Result:
            total, grads = numpy_prog.summed(*weights, *arrays)
            return total, list(grads)

        runs["numpy"] = numpy_run
    found: dict[str, Contender] = {name: (_nothing, run) for name, run in runs.items()}
    torch = _optional("torch")
    for device, threads in torch_runs if torch is not None else []:
        torch_prog = write_program(model, "torch", device)
        tensors = [torch.tensor(c, dtype=torch.float64, device=device) for c in columns]

        def torch_run(prog: Program = torch_prog, data: list[Any] = tensors) -> Result:
            total, grads = prog.summed(*weights, *data)
            return total, list(grads)

        def setup(threads: int = threads) -> None:
            torch.set_num_threads(threads)

        found[f"torch {device}" + (f" ×{threads}" if device == "cpu" else "")] = (setup, torch_run)
    return found


def check_agreement(runs: dict[str, Contender]) -> float:
    """The largest relative difference from the engine's loss and gradients (it must be small:
    the contenders add the same numbers, in other orders)."""
    expected_total, expected = runs["engine"][1]()
    worst = 0.0
    for name, (setup, run) in runs.items():
        setup()
        total, grads = run()
        for want, got in zip([expected_total, *expected], [total, *grads], strict=True):
            scale = max(abs(want), 1e-12)
            difference = abs(got - want) / scale
            if not difference <= 1e-6:
                raise AssertionError(f"{name} disagrees with the engine: {got} != {want}")
            worst = max(worst, difference)
    return worst


def median_times(runs: dict[str, Contender], repeats: int) -> dict[str, float]:
    """The median seconds of one run of each contender. Each timing averages enough runs to
    last about 50 ms (one run of a large batch is timed alone), and the contenders take turns
    within each repeat."""
    loops: dict[str, int] = {}
    for name, (setup, run) in runs.items():
        setup()
        start = time.perf_counter()
        run()
        loops[name] = max(1, int(0.05 / max(time.perf_counter() - start, 1e-6)))
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, (setup, run) in runs.items():
            setup()
            start = time.perf_counter()
            for _ in range(loops[name]):
                run()
            times[name].append((time.perf_counter() - start) / loops[name])
    return {name: statistics.median(t) for name, t in times.items()}


def writing_times(model: MLP, torch_devices: list[str], repeats: int) -> dict[str, float]:
    """Median seconds to write (and compile) each backend's program for one point."""
    backends = ["python"] + (["numpy"] if _optional("numpy") else [])
    backends += [f"torch {d}" for d in torch_devices] if _optional("torch") else []
    found: dict[str, float] = {}
    for name in backends:
        backend, _, device = name.partition(" ")
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            write_program(model, backend, device or None).function  # noqa: B018 - compiles it
            times.append(time.perf_counter() - start)
        found[name] = statistics.median(times)
    return found


def _milliseconds(seconds: float) -> str:
    return f"{seconds * 1e3:,.3g}" if seconds < 1 else f"{seconds * 1e3:,.0f}"


def run(sizes: list[int], repeats: int, threads: list[int]) -> list[dict[str, Any]]:
    """One row per batch size: the median seconds of each contender (torch on the CPU with each
    number of `threads`)."""
    torch = _optional("torch")
    torch_runs = [("cpu", k) for k in threads]
    if torch is not None and torch.cuda.is_available():
        torch_runs.append(("cuda", torch.get_num_threads()))
    rows = []
    for n in sizes:
        model, samples = workload(n)
        runs = contenders(model, samples, torch_runs)
        worst = check_agreement(runs)
        rows.append({"samples": n, "agreement": worst, **median_times(runs, repeats)})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="one program over batches: engine, python, "
                                                 "numpy and torch")
    parser.add_argument("--sizes", default=",".join(map(str, BATCHES)),
                        help="batch sizes, comma-separated (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=7, help="runs per median (default 7)")
    parser.add_argument("--threads", default="1,2",
                        help="torch's CPU threads, one column each (default: %(default)s)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    threads = [int(k) for k in args.threads.split(",")]
    torch = _optional("torch")
    np = _optional("numpy")
    print(f"One program over a batch: MLP(2, {SIZES}) squared error, loss and gradients summed; "
          f"median of {args.repeats} (Python {sys.version.split()[0]}"
          + (f", NumPy {np.__version__}" if np else "")
          + (f", torch {torch.__version__}, ×k: k threads" if torch else "")
          + ")\n")
    rows = run(sizes, args.repeats, threads)
    names = [k for k in rows[0] if k not in ("samples", "agreement")]
    print("milliseconds per batch")
    print("| samples | " + " | ".join(names) + " |")
    print("| ---: | " + " | ".join("---:" for _ in names) + " |")
    for row in rows:
        print(f"| {row['samples']:,} | " + " | ".join(_milliseconds(row[n]) for n in names) + " |")
    print("\nmicroseconds per sample")
    print("| samples | " + " | ".join(names) + " |")
    print("| ---: | " + " | ".join("---:" for _ in names) + " |")
    for row in rows:
        cells = [f"{row[n] / row['samples'] * 1e6:,.3g}" for n in names]
        print(f"| {row['samples']:,} | " + " | ".join(cells) + " |")
    for name in names:
        if "numpy" in names and name.startswith("torch"):
            print(f"\n{name} time / numpy time: " + ", ".join(
                f"{row['samples']:,}: {row[name] / row['numpy']:.2f}" for row in rows))
    worst = max(row["agreement"] for row in rows)
    print(f"\nlargest relative difference from the engine's loss and gradients: {worst:.1e}")
    print("\nwriting one point's program (median of 5, compiled)")
    for name, seconds in writing_times(workload(1)[0], ["cpu"] if torch else [], 5).items():
        print(f"  {name:10s} {seconds * 1e3:7.1f} ms")
    return 0 if all(math.isfinite(row[n]) for row in rows for n in names) else 1


if __name__ == "__main__":
    raise SystemExit(main())
