"""kuibu's scalar automatic differentiation engine.

A `Value` wraps a float and records the operation that made it; ``backward()`` applies the chain
rule through the recorded graph in reverse topological order.

>>> from autograd import Value
>>> w, x, b = Value(0.5, label="w"), Value(1.5, label="x"), Value(-0.2, label="b")
>>> out = (w * x + b).sigmoid()
>>> E = 0.5 * (1.0 - out) ** 2
>>> E.backward()
>>> hand = -(1.0 - out.data) * out.data * (1.0 - out.data) * x.data  # ∂E/∂w by the chain rule
>>> abs(w.grad - hand) < 1e-12
True
"""

from autograd import formula, writing
from autograd.audit import audit
from autograd.check import (
    GradcheckError,
    check_partials,
    gradcheck,
    gradgradcheck,
    numerical_gradient,
)
from autograd.codegen import Program, codegen, source, structure
from autograd.explain import backward_steps, explain
from autograd.export import Naming, rule_text, to_latex, to_sympy, to_text
from autograd.extend import register
from autograd.floats import STRONG_ZERO
from autograd.functional import grad, hessian
from autograd.graph import backward, chain_rule, sweep_order, topological_order
from autograd.modes import (
    AnomalyError,
    detect_anomaly,
    enable_grad,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
)
from autograd.ops import RULES, Arg, Rule
from autograd.value import Value, apply, linear

__all__ = [
    "RULES",
    "STRONG_ZERO",
    "AnomalyError",
    "Arg",
    "GradcheckError",
    "Naming",
    "Program",
    "Rule",
    "Value",
    "apply",
    "audit",
    "backward",
    "backward_steps",
    "chain_rule",
    "check_partials",
    "codegen",
    "detect_anomaly",
    "enable_grad",
    "explain",
    "formula",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "hessian",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "linear",
    "no_grad",
    "numerical_gradient",
    "register",
    "rule_text",
    "source",
    "structure",
    "sweep_order",
    "to_latex",
    "to_sympy",
    "to_text",
    "topological_order",
    "writing",
]
