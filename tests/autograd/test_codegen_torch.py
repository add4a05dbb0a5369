"""The torch backend of codegen: the numpy backend's program over float64 tensors, compared with
the numpy backend bit for bit (nan where nan, the sign of a zero included) for the operations both
libraries compute exactly, and within a couple of units in the last place for the transcendental
ones (exp, log, sqrt, sin, cos, tan, tanh, pow, sigmoid, softplus: `autograd.torch_backend`)."""

from __future__ import annotations

import importlib
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from autograd import RULES, Value, codegen, linear, torch_backend
from autograd.codegen import _NUMPY_HELPERS
from autograd.value import RULE_METHODS
from tests.strategies import BINARY, EXTREMES, UNARY, apply_value, random_program


def _optional(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


np = _optional("numpy")
torch = _optional("torch")
#: Every test but the one about a missing PyTorch compares torch's numbers with NumPy's.
needs_both = pytest.mark.skipif(
    np is None or torch is None, reason="needs PyTorch and NumPy (pip install torch numpy)"
)

#: The random graphs' operations that both libraries compute exactly (IEEE 754 rounds each).
EXACT_OPS = ["neg", "abs", "relu", "add", "sub", "mul", "div", "leaky_relu"]
#: How far a transcendental rule's value may be from NumPy's, in units in the last place; its
#: partials (a product of two such numbers) a little further, or within a few units of 1.0 where
#: they subtract from 1.
ULPS = 2
PARTIAL_ULPS = 3
ONE_ULPS = 2 * 2.0**-52
#: How far a whole graph built with them may be (rounding differences grow along a graph).
GRAPH_REL = 1e-9


def same_bits(a: Any, b: Any) -> Any:
    """Elementwise: the same float64, or both nan (the sign of a zero counts)."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    return (a.view(np.int64) == b.view(np.int64)) | (np.isnan(a) & np.isnan(b))


def same_class(a: Any, b: Any) -> Any:
    """Elementwise: both nan, or the same infinity, or both finite (zeros of the same sign)."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    zeros = (a == 0.0) & (b == 0.0)
    finite = np.isfinite(a) & np.isfinite(b) & (~zeros | (np.signbit(a) == np.signbit(b)))
    return (np.isnan(a) & np.isnan(b)) | (np.isinf(a) & (a == b)) | finite


def ulps_apart(a: Any, b: Any) -> Any:
    """Elementwise distance in representable doubles between finite a and b."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    ia, ib = a.view(np.int64).copy(), b.view(np.int64).copy()
    # Order the bit patterns as the numbers are ordered (negatives count down from -0).
    ia[ia < 0] = np.int64(-(2**63)) - ia[ia < 0]
    ib[ib < 0] = np.int64(-(2**63)) - ib[ib < 0]
    return np.abs(ia - ib)


def as_numpy(x: Any) -> Any:
    if isinstance(x, torch.Tensor):
        assert x.dtype == torch.float64
        return x.cpu().numpy()
    return np.asarray(x, dtype=np.float64)


def both(root: Value, wrt: list[Value], inputs: list[Value], *columns: Any) -> tuple[Any, Any]:
    """The numpy and the torch program of `root` run on the same columns, as numpy arrays:
    (value, gradients) each."""
    results = []
    for backend in ("numpy", "torch"):
        prog = codegen(root, wrt=wrt, inputs=inputs, backend=backend)
        value, grads = prog(*columns)
        results.append((as_numpy(value), [as_numpy(g) for g in grads]))
    return results[0], results[1]


#: Points where every rule is sampled: IEEE corners, then numbers drawn around 0.
POINTS = [*EXTREMES, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 3.0, 700.0, -700.0, 1e-200]


def grid(arity: int, extra: int = 400, seed: int = 0) -> list[Any]:
    """One array per input: every pair of POINTS (for two inputs), then random numbers."""
    rng = random.Random(seed)
    if arity == 1:
        first = list(POINTS)
        columns = [first]
    else:
        columns = [[a for a in POINTS for _ in POINTS], [b for _ in POINTS for b in POINTS]]
        columns += [[rng.choice(POINTS) for _ in columns[0]] for _ in range(arity - 2)]
    for column in columns:
        column += [round(rng.uniform(-4.0, 4.0), 6) for _ in range(extra)]
    return [np.asarray(c) for c in columns]


def rule_graph(name: str) -> tuple[Value, list[Value]]:
    """One node of the named rule over fresh leaves (linear: two weights, two inputs, a bias)."""
    if name == "linear":
        leaves = [Value(0.0, label=n) for n in ("w0", "w1", "x0", "x1", "b")]
        return linear(leaves[:2], leaves[2:4], leaves[4]), leaves
    arity = RULES[name].arity
    leaves = [Value(1.0, label=n) for n in "xy"[:arity]]
    return RULE_METHODS[name](*leaves), leaves


def uses_rounded(root: Value, leaves: list[Value]) -> set[str]:
    prog = codegen(root, wrt=leaves, backend="torch")
    return {h for h in torch_backend.ROUNDED if f"def {h}(" in prog.source}


def test_every_numpy_helper_has_a_torch_twin_sorted_exact_or_rounded() -> None:
    assert set(torch_backend.HELPERS) == set(_NUMPY_HELPERS)
    assert set(torch_backend.HELPERS) == torch_backend.EXACT | torch_backend.ROUNDED
    assert not torch_backend.EXACT & torch_backend.ROUNDED


def assert_like_numpy(what: str, n: Any, t: Any, rounded: bool, columns: list[Any]) -> None:
    """torch's results `t` are numpy's `n` bit for bit, or (`rounded`) with nan, inf and the
    sign of a zero where numpy has them and within `ULPS` (`PARTIAL_ULPS` for a partial)."""
    n, t = np.broadcast_arrays(n, t)
    if not rounded:
        bad = ~same_bits(n, t)
        assert not bad.any(), f"{what}: numpy {n[bad][:5]} torch {t[bad][:5]}"
        return
    assert same_class(n, t).all(), f"{what}: nan, inf or a signed zero in one library only"
    # softplus(x) below about -708 is log1p of a subnormal, which torch flushes to 0.
    flushed = (np.abs(n) < 1e-307) & (t == 0.0)
    finite = np.isfinite(n) & ~flushed
    far = ulps_apart(n[finite], t[finite])
    # A partial that subtracts from 1 (sigmoid's out·(1 − out), tanh's 1 − out²) keeps the
    # absolute difference of out, not its relative one.
    far[np.abs(n[finite] - t[finite]) <= ONE_ULPS] = 0
    limit = ULPS if what.endswith("value") else PARTIAL_ULPS
    assert far.max(initial=0) <= limit, (
        f"{what}: {far.max()} ulps apart at {np.asarray(columns)[:, finite][:, far.argmax()]}"
    )


@needs_both
@pytest.mark.parametrize("name", sorted(RULES))
def test_each_rule_equals_the_numpy_backend(name: str) -> None:
    root, leaves = rule_graph(name)
    columns = grid(len(leaves), seed=len(name))
    (nv, ng), (tv, tg) = both(root, leaves, [], *columns)
    rounded = bool(uses_rounded(root, leaves))
    assert_like_numpy(f"{name} value", nv, tv, rounded, columns)
    for leaf, n, t in zip(leaves, ng, tg, strict=True):
        assert_like_numpy(f"{name} d/d{leaf.label}", n, t, rounded, columns)


@needs_both
def test_the_rounded_rules_are_the_transcendental_ones() -> None:
    rounded = {name for name in RULES if uses_rounded(*rule_graph(name))}
    assert rounded == {"exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "softplus",
                       "pow"}


@needs_both
@pytest.mark.parametrize("exponent", [2.0, 1.0, 0.0, -1.0, 0.5, -0.5, 3.0, -2.0, 1.5])
def test_powers_by_a_number(exponent: float) -> None:
    """x ** 2 is x·x and x ** -1 is 1/x in both libraries; the others are rounded, with C's pow
    at the corners (x ** -0.5 is inf at -0.0, not torch's 1/sqrt(-0.0) = -inf). The slope of
    x ** -1 is -1·x ** -2, a pow both round their own way."""
    x = Value(1.0, label="x")
    root = x ** exponent
    columns = grid(1, extra=2000)
    (nv, (ng,)), (tv, (tg,)) = both(root, [x], [], *columns)
    exact = exponent in (2.0, 1.0, 0.0, -1.0)
    assert_like_numpy(f"x ** {exponent} value", nv, tv, not exact, columns)
    assert_like_numpy(f"x ** {exponent} slope", ng, tg, not exact or exponent == -1.0, columns)


@needs_both
def test_random_graphs_of_exact_operations_equal_numpy_bit_for_bit() -> None:
    rng = random.Random(20)
    for _ in range(150):
        program = random_program(rng, ops=EXACT_OPS, extremes=0.15)
        leaves = program.values()
        root = program.run(leaves, apply_value)[-1]
        if not isinstance(root, Value) or root.is_leaf:
            continue
        wrt, inputs = leaves[:1], leaves[1:]
        samples = [list(program.leaves[1:])] + [
            [rng.choice(EXTREMES) if rng.random() < 0.2 else rng.uniform(-3, 3) for _ in inputs]
            for _ in range(64)
        ]
        columns = [np.asarray(c) for c in zip(*samples, strict=True)]
        for w in (program.leaves[0], rng.choice(EXTREMES), rng.uniform(-3, 3)):
            (nv, ng), (tv, tg) = both(root, wrt, inputs, w, *columns)
            assert same_bits(nv, tv).all(), f"{program}: value at w={w}"
            assert same_bits(ng[0], tg[0]).all(), f"{program}: gradient at w={w}"


@needs_both
def test_random_graphs_of_every_operation_agree_closely() -> None:
    rng = random.Random(6)
    checked = 0
    for _ in range(150):
        program = random_program(rng, ops=UNARY + BINARY, extremes=0.1)
        leaves = program.values()
        root = program.run(leaves, apply_value)[-1]
        if not isinstance(root, Value) or root.is_leaf:
            continue
        wrt, inputs = leaves[:1], leaves[1:]
        columns = [np.asarray([program.leaves[1 + k]] + [rng.uniform(-3, 3) for _ in range(64)])
                   for k in range(len(inputs))]
        (nv, ng), (tv, tg) = both(root, wrt, inputs, program.leaves[0], *columns)
        for n, t in ((nv, tv), (ng[0], tg[0])):
            n, t = np.broadcast_arrays(n, t)
            assert same_class(n, t).all(), f"{program}: nan or inf in one library only"
            finite = np.isfinite(n)
            assert np.allclose(t[finite], n[finite], rtol=GRAPH_REL, atol=1e-300), str(program)
            checked += int(finite.sum())
    assert checked > 1000


@needs_both
def test_the_summed_form_adds_the_same_numbers() -> None:
    w, b, x = Value(0.5, label="w"), Value(0.1, label="b"), Value(2.0, label="x")
    out = (linear([w], [x], b).tanh() - x) ** 2.0
    xs = np.linspace(-3.0, 3.0, 1001)
    numpy_prog = codegen(out, wrt=[w, b], inputs=[x], backend="numpy")
    torch_prog = codegen(out, wrt=[w, b], inputs=[x], backend="torch")
    n_total, n_sums = numpy_prog.summed(0.5, 0.1, xs)
    t_total, t_sums = torch_prog.summed(0.5, 0.1, xs)
    assert isinstance(t_total, float) and all(isinstance(s, float) for s in t_sums)
    assert t_total == pytest.approx(n_total, rel=1e-12)
    assert list(t_sums) == pytest.approx(list(n_sums), rel=1e-12)
    _, grads = torch_prog(0.5, 0.1, xs)
    assert t_sums[0] == pytest.approx(float(grads[0].sum()), rel=1e-12)


@needs_both
def test_results_are_float64_tensors_one_per_sample_constants_spread() -> None:
    w, b, x = Value(0.5, label="w"), Value(0.1, label="b"), Value(2.0, label="x")
    out = linear([w], [x], b).relu()
    prog = codegen(out, wrt=[w, b], inputs=[x], backend="torch")
    assert "import torch" in prog.source and "DEVICE = torch.device('cpu')" in prog.source
    value, (dw, db) = prog(0.5, 0.1, [2.0, -1.0, 0.0])  # a list, converted
    assert value.dtype == dw.dtype == torch.float64 and value.device.type == "cpu"
    assert value.tolist() == [1.1, 0.0, 0.1]
    assert dw.tolist() == [2.0, -0.0, 0.0] and db.tolist() == [1.0, 0.0, 1.0]
    const = codegen(w * 3.0 + x, wrt=[w], inputs=[x], backend="torch")
    _, (g,) = const(1.0, torch.zeros(4, dtype=torch.float32))  # float32 in, float64 out
    assert g.dtype == torch.float64 and g.tolist() == [3.0] * 4


@needs_both
def test_a_graph_of_constants_only_and_inputs_that_need_gradients() -> None:
    c, w, x = Value(-2.0, label="c"), Value(0.5, label="w"), Value(1.0, label="x")
    # relu, exp and the division meet plain numbers (c is a constant), not tensors.
    root = (c.relu() + c.exp() / c) * w * x + (c * c).sqrt().log()
    columns = [1.0, 2.0]
    numpy_value, (numpy_dw,) = codegen(root, wrt=[w], inputs=[x], backend="numpy")(
        0.5, np.asarray(columns))
    prog = codegen(root, wrt=[w], inputs=[x], backend="torch")
    given = torch.tensor(columns, dtype=torch.float64, requires_grad=True)
    value, (dw,) = prog(0.5, given)
    assert not value.requires_grad  # the program computes gradients itself, torch records none
    assert np.allclose(value.numpy(), numpy_value, rtol=1e-15)
    assert np.allclose(dw.numpy(), numpy_dw, rtol=1e-15)
    root.backward()
    assert dw[0].item() == pytest.approx(w.grad, rel=1e-15)


@needs_both
def test_node_names_never_shadow_the_programs_own() -> None:
    x = Value(1.5, label="x")
    named = [x.exp(), x.sin(), x.tanh()]
    for node, label in zip(named, ["torch", "tensor", "DEVICE"], strict=True):
        node.label = label
    root = named[0] * named[1] + named[2]
    prog = codegen(root, wrt=[x], backend="torch")
    value, (dx,) = prog([1.5])
    root.backward()
    assert value.item() == pytest.approx(root.data, rel=1e-15)
    assert dx.item() == pytest.approx(x.grad, rel=1e-14)


@needs_both
def test_a_device_is_only_for_torch_and_must_be_one_torch_can_use() -> None:
    x = Value(1.0, label="x")
    with pytest.raises(ValueError, match="device is for backend='torch'"):
        codegen(x * x, wrt=[x], backend="numpy", device="cpu")
    with pytest.raises(ValueError, match="'gpu' is not a torch device"):
        codegen(x * x, wrt=[x], backend="torch", device="gpu")
    with pytest.raises(TypeError, match="device must be a name"):
        codegen(x * x, wrt=[x], backend="torch", device=3)
    with pytest.raises(ValueError, match="cpu or cuda"):
        codegen(x * x, wrt=[x], backend="torch", device="meta")
    prog = codegen(x * x, wrt=[x], backend="torch", device=torch.device("cpu"))
    assert "DEVICE = torch.device('cpu')" in prog.source
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match=r"torch.cuda.is_available\(\) is False"):
            codegen(x * x, wrt=[x], backend="torch", device="cuda")


@needs_both
def test_cuda_names_the_gpu_it_runs_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """Written (not run) as if one GPU were there: "cuda" is the current device, by number."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    x = Value(1.0, label="x")
    prog = codegen(x * x, wrt=[x], backend="torch", device="cuda")
    assert "DEVICE = torch.device('cuda:0')" in prog.source
    assert torch_backend.device_name(torch.device("cuda", 0)) == "cuda:0"
    with pytest.raises(ValueError, match=r"1 CUDA device\(s\), numbered from 0"):
        codegen(x * x, wrt=[x], backend="torch", device="cuda:1")


@needs_both
@pytest.mark.skipif(torch is None or not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_program_runs_on_cuda_and_agrees_with_numpy() -> None:
    w, x = Value(0.3, label="w"), Value(1.0, label="x")
    root = ((w * x).tanh() - x).relu() + (x / w) ** 2.0
    xs = np.linspace(-2.0, 2.0, 101)
    numpy_value, (numpy_dw,) = codegen(root, wrt=[w], inputs=[x], backend="numpy")(0.3, xs)
    value, (dw,) = codegen(root, wrt=[w], inputs=[x], backend="torch", device="cuda")(0.3, xs)
    assert value.device.type == "cuda"
    assert np.allclose(value.cpu().numpy(), numpy_value, rtol=GRAPH_REL)
    assert np.allclose(dw.cpu().numpy(), numpy_dw, rtol=GRAPH_REL)


def test_without_torch_the_backend_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    x = Value(1.0, label="x")
    with pytest.raises(ImportError, match=r"backend='torch' needs PyTorch: pip install torch"):
        codegen(x * x, wrt=[x], backend="torch")
    assert codegen(x * x, wrt=[x])(2.0) == (4.0, (4.0,))  # the other backends do not need it


def test_writing_the_text_imports_no_torch() -> None:
    """`autograd.torch_backend` is text and checks; only `device_name` imports torch."""

    code = ("import sys, autograd.torch_backend, autograd.codegen; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.slow
def test_the_backends_benchmark_checks_every_contender_and_prints_its_tables() -> None:
    """benchmarks/backends.py still runs (tiny sizes; nothing here is timed)."""
    script = Path(__file__).resolve().parents[2] / "benchmarks" / "backends.py"
    result = subprocess.run(
        [sys.executable, str(script), "--sizes", "1,3", "--repeats", "1", "--threads", "1"],
        capture_output=True, text=True, check=True,
    )
    header = "| samples | engine | python |"
    assert result.stdout.count(header) == 2  # milliseconds per batch, microseconds per sample
    assert "largest relative difference from the engine's loss and gradients" in result.stdout
    if np is not None and torch is not None:
        assert "| numpy | torch cpu ×1 |" in result.stdout
