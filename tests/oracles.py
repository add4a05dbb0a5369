"""PyTorch as a test oracle: the same operation on float64 0-d tensors (skipped without torch)."""

from __future__ import annotations

from typing import Any

import pytest


def torch_or_skip() -> Any:
    return pytest.importorskip("torch")


def torch_apply(op: str, a: Any, b: Any = None, *more: Any) -> Any:
    """One rule of kuibu's table, computed by PyTorch."""
    import torch
    from torch.nn import functional

    unary = {
        "neg": torch.neg, "abs": torch.abs, "exp": torch.exp, "log": torch.log,
        "sqrt": torch.sqrt, "sin": torch.sin, "cos": torch.cos, "tan": torch.tan,
        "tanh": torch.tanh, "sigmoid": torch.sigmoid, "softplus": functional.softplus,
        "relu": torch.relu,
    }
    if op in unary:
        return unary[op](a)
    if op == "linear":  # inputs w0, x0, w1, x1, ..., b
        inputs = [a, b, *more]
        total = inputs[-1] * 0.0
        for k in range(0, len(inputs) - 1, 2):
            total = total + inputs[k] * inputs[k + 1]
        return total + inputs[-1]
    if op == "leaky_relu":
        return functional.leaky_relu(a, float(b))
    if not isinstance(b, torch.Tensor):
        b = torch.tensor(float(b), dtype=torch.float64)
    return {
        "add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div, "pow": torch.pow,
        "max": torch.maximum,
    }[op](a, b)
