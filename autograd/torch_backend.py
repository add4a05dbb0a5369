"""The torch backend of `autograd.codegen`: a graph's program replayed over PyTorch tensors.

``codegen(root, wrt, inputs, backend="torch", device="cpu")`` writes the same lines as the numpy
backend (one per node forward, one per edge backward, conditionals as ``where``) and runs them
on float64 tensors: each input takes one entry per sample, and the value and each gradient come
back per sample, on `device` ("cpu", or "cuda" where ``torch.cuda.is_available()``).

This module holds only text and checks: the helpers the program calls, written for torch, and
the lines that open its function. It imports nothing outside the standard library; PyTorch is
imported when a program is written for it (`device_name`) and by the program itself.

How close to the numpy backend (float64, CPU; `tests/autograd/test_codegen_torch.py`, and
docs/performance.md for the figures):

- **Bit for bit**, nan where nan, ±0 and ±inf included: + − × ÷, negation, abs, comparisons and
  everything built from them (relu, leaky_relu, max, linear and their partials; the masked
  zero), and ``x ** 2``, ``x ** 1``, ``x ** 0`` and the value of ``x ** -1`` for a number
  exponent (both libraries compute x·x and 1/x there).
- **Within 2 units in the last place** for a value, 3 for a partial, with nan, inf and the sign
  of a zero where NumPy has them: exp, log, sqrt, sin, cos, tan, tanh, pow with any other
  exponent, and sigmoid and softplus (made of exp and log1p). PyTorch computes these with its
  own vectorised library (MKL and SLEEF on CPU), NumPy with another; neither is correctly
  rounded everywhere, so they differ in the last bit for some inputs. Even sqrt, which IEEE 754
  rounds correctly, comes from MKL's vectorised square root in PyTorch 2.13 on CPU. A partial
  that subtracts from 1 (sigmoid's, tanh's) keeps the difference of one unit of 1. And torch's
  log1p flushes a subnormal argument to 0, so softplus(x) for x below about -708 is 0 in torch
  and a subnormal number (below 1e-307) in NumPy.
- **Sums over samples** (the summed form) add the same numbers in a different order (torch's
  reduction, NumPy's pairwise sum), so they agree to rounding, not bit for bit.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = [
    "BATCH_HELPERS", "EXACT", "HELPERS", "HINT", "NAMES", "ROUNDED", "device_name", "header",
    "opening",
]

HINT = "backend='torch' needs PyTorch: pip install torch"

#: The helpers whose results equal the numpy backend's bit for bit (see the module's docstring).
EXACT = frozenset(
    {"div", "reciprocal", "step", "sign", "where", "STRONG_ZERO", "varies", "finite"}
)
#: The helpers within a unit or two in the last place of NumPy's (pow is exact for the number
#: exponents 2, 1, 0 and -1).
ROUNDED = frozenset(
    {"exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "softplus", "pow"}
)

#: Names the program defines besides the helpers of `autograd.floats`; no node may take them.
NAMES = frozenset({"torch", "F64", "DEVICE", "tensor", "tensors"})

#: The torch versions of the floats helpers (the torch backend's M), each the same function as
#: the numpy backend's of that name. A helper may meet a plain number (a part of the graph made
#: of constants only, computed as Python floats), so each argument goes through `tensor`.
HELPERS = {
    "div": "def div(x, y):\n    return tensor(x) / y",
    "reciprocal": "def reciprocal(x):\n    return 1.0 / tensor(x)",
    # torch writes x ** 2 as x·x and x ** -1 as 1/x, as NumPy does, and x ** 0.5 as a square
    # root, as NumPy does (-0.0 at -0.0, nan at -inf); its x ** -0.5 is 1/sqrt(x), which has
    # -inf at -0.0 where NumPy has inf, so other exponents go to pow as a tensor.
    "pow": (
        "def pow(x, y):\n"
        "    if isinstance(y, float) and y in (2.0, 1.0, 0.5, 0.0, -1.0):\n"
        "        return torch.pow(tensor(x), y)\n"
        "    return torch.pow(tensor(x), tensor(y))"
    ),
    "exp": "def exp(x):\n    return torch.exp(tensor(x))",
    "log": "def log(x):\n    return torch.log(tensor(x))",
    "sqrt": "def sqrt(x):\n    return torch.sqrt(tensor(x))",
    "sin": "def sin(x):\n    return torch.sin(tensor(x))",
    "cos": "def cos(x):\n    return torch.cos(tensor(x))",
    "tan": "def tan(x):\n    return torch.tan(tensor(x))",
    "tanh": "def tanh(x):\n    return torch.tanh(tensor(x))",
    "sigmoid": (
        "def sigmoid(x):\n"
        "    x = tensor(x)\n"
        "    e = torch.exp(-torch.abs(x))\n"
        "    return torch.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))"
    ),
    "softplus": (
        "def softplus(x):\n"
        "    x = tensor(x)\n"
        "    return torch.where(x > 0.0, x, 0.0) + torch.log1p(torch.exp(-torch.abs(x)))"
    ),
    # NumPy's heaviside and sign give nan at nan; torch's give 0 there.
    "step": (
        "def step(x):\n"
        "    x = tensor(x)\n"
        "    return torch.where(torch.isnan(x), x, (x > 0.0).to(F64))"
    ),
    "sign": (
        "def sign(x):\n"
        "    x = tensor(x)\n"
        "    return torch.where(torch.isnan(x), x, torch.sign(x))"
    ),
    # torch.where of two plain numbers would be float32: one of them becomes a float64 tensor.
    "where": (
        "def where(c, a, b):\n"
        "    if not isinstance(c, torch.Tensor):\n"
        "        c = torch.as_tensor(c, device=DEVICE)\n"
        "    if not isinstance(a, torch.Tensor) and not isinstance(b, torch.Tensor):\n"
        "        a = tensor(a)\n"
        "    return torch.where(c, a, b)"
    ),
    # As in the numpy backend, a masked zero partial is a plain 0 (docs/codegen.md).
    "STRONG_ZERO": "STRONG_ZERO = 0.0",
    "varies": "def varies(x):\n    return False",
    "finite": "def finite(x):\n    return torch.isfinite(tensor(x))",
}

#: The program's own helpers, after the floats helpers: a float64 tensor on the program's
#: device, and the per-sample results and their sums (as the numpy backend's).
BATCH_HELPERS = [
    "def tensor(x):\n"
    "    if isinstance(x, torch.Tensor) and x.dtype == F64 and x.device == DEVICE:\n"
    "        return x\n"
    "    return torch.as_tensor(x, dtype=F64, device=DEVICE)",
    # The parameters' numbers become tensors in one call (one call per number costs more than
    # a small program's arithmetic); arrays, lists and tensors one by one.
    "def tensors(*values):\n"
    "    found = [tensor(v) if not isinstance(v, (int, float)) else None for v in values]\n"
    "    at = [i for i, v in enumerate(found) if v is None]\n"
    "    if at:\n"
    "        numbers = torch.tensor([float(values[i]) for i in at], dtype=F64, device=DEVICE)\n"
    "        for i, number in zip(at, numbers.unbind()):\n"
    "            found[i] = number\n"
    "    return found",
    # A result that does not vary with the samples is a number: spread it over them.
    "def per_sample(v, like):\n"
    "    if isinstance(v, torch.Tensor) and v.ndim:\n"
    "        return v\n"
    "    return torch.full(tuple(tensor(like).shape), float(v), dtype=F64, device=DEVICE)",
    "def total(v, like):\n"
    "    if isinstance(v, torch.Tensor) and v.ndim:\n"
    "        return float(v.sum())\n"
    "    return float(v) * tensor(like).numel()",
    # A product and a sum rather than torch.dot, whose BLAS call may start threads of its own:
    # on a busy machine, waiting for them took a hundred times the arithmetic.
    "def dot_total(a, b, like):\n"
    "    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.ndim == b.ndim == 1:"
    "\n"
    "        return float(torch.sum(a * b))\n"
    "    return total(a * b, like)",
]


def _torch() -> ModuleType:
    try:
        return importlib.import_module("torch")
    except ImportError:
        raise ImportError(f"codegen: {HINT}") from None


def device_name(device: Any) -> str:
    """The device a torch program runs on, checked now: "cpu" when `device` is None, else
    `device` (a name such as "cuda" or "cuda:1", or a torch.device) as torch spells it, "cuda"
    alone naming the current CUDA device (the program's tensors then need no moving).

    Raises ImportError when PyTorch is missing, ValueError for a device torch does not know or
    cannot use here (CUDA without a GPU, a GPU that is not there).
    """
    torch = _torch()
    if device is None:
        return "cpu"
    if not isinstance(device, (str, torch.device)):
        raise TypeError(
            f"codegen: device must be a name such as 'cpu' or 'cuda', or a torch.device, "
            f"not {type(device).__name__}"
        )
    try:
        parsed = torch.device(device)
    except RuntimeError as error:
        raise ValueError(f"codegen: device {device!r} is not a torch device ({error})") from None
    if parsed.type not in ("cpu", "cuda"):
        raise ValueError(f"codegen: device {device!r}: the torch backend runs on cpu or cuda")
    if parsed.type == "cpu":
        return "cpu"
    if not torch.cuda.is_available():
        raise ValueError(
            f"codegen: device {device!r} needs CUDA, which this torch cannot use "
            "(torch.cuda.is_available() is False); use device='cpu'"
        )
    index = torch.cuda.current_device() if parsed.index is None else parsed.index
    if index >= torch.cuda.device_count():
        raise ValueError(
            f"codegen: device {device!r}: this machine has {torch.cuda.device_count()} CUDA "
            "device(s), numbered from 0"
        )
    return f"cuda:{index}"


def header(device: str) -> list[str]:
    """The program's first lines: its imports, the number type and the device."""
    return ["import math", "", "import torch", "", "F64 = torch.float64",
            f"DEVICE = torch.device({device!r})", ""]


def opening(params: list[str]) -> list[str]:
    """The lines that open each function: no autograd recording in torch (the program computes
    the gradients itself), and each parameter as a float64 tensor on the device."""
    if not params:
        return ["with torch.no_grad():"]
    names = ", ".join(params)
    targets = f"{names}," if len(params) == 1 else names
    return ["with torch.no_grad():", f"    {targets} = tensors({names})"]
