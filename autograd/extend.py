"""Extending the table: `register` adds an operation, which then is a Value method and a
function of the formula language, and every view treats it as the table's own rules.

It lives above the Value and the formula language (it checks a rule's formula texts with the
parser), so that neither of them needs to know how the table grows.
"""

from __future__ import annotations

from autograd.formula import FormulaError, parse
from autograd.ops import RULES, Rule
from autograd.value import _BUILTIN, RULE_METHODS, Value, _binary, _short, _unary

__all__ = ["register"]


def register(rule: Rule) -> Rule:
    """Add an operation to the table: `rule` becomes ``RULES[rule.name]`` and a Value method.

    The way to extend kuibu: give the forward function, one partial per input (a number,
    `Arg`, or a function of the namespace M, the inputs and out, as the table's own entries
    are written), the symbol, and the formula texts in the formula language (the table's
    functions, ``+ - * / **``, step, sign). The backward sweep, `grad`, drawings and
    explanations then treat it as they treat the table's own rules.

    >>> from autograd import Rule, Value, register
    >>> cube = register(Rule("cube", 1, lambda x: x ** 3, (lambda M, x, out: 3.0 * x * x,),
    ...                      "³", "x ** 3", ("3 * x ** 2",), (((-2.0, 2.0),),)))
    >>> y = Value(2.0).cube()
    >>> y.backward()
    >>> y.data, y.parents[0].grad
    (8.0, 12.0)
    >>> _unregister("cube")
    """
    if not isinstance(rule, Rule):
        raise TypeError(f"register takes a Rule, not {type(rule).__name__}: {_short(rule)}")
    if not rule.name.isidentifier() or rule.name.startswith("_"):
        raise ValueError(f"register: the rule's name {rule.name!r} must be a public identifier")
    if rule.name in RULES or hasattr(Value, rule.name):
        raise ValueError(
            f"register: {rule.name!r} is taken (a rule of the table or a Value attribute); "
            "choose another name"
        )
    if rule.arity not in (1, 2):
        raise ValueError(f"register: rule {rule.name!r} must take 1 or 2 inputs, not {rule.arity}")
    names, text, partial_texts = rule.formulas(rule.arity)
    for what, formula, allowed in [
        ("text", text, set(names)),
        *((f"partial_texts[{i}]", t, {*names, "out"}) for i, t in enumerate(partial_texts)),
    ]:
        try:
            used = parse(formula).names
        except FormulaError as e:
            raise ValueError(f"register: rule {rule.name!r}: its {what} {formula!r}: {e}") from None
        if not used <= allowed:
            raise ValueError(
                f"register: rule {rule.name!r}: its {what} {formula!r} uses "
                f"{', '.join(sorted(used - allowed))}; it may use only {', '.join(sorted(allowed))}"
            )
    method = _unary(rule) if rule.arity == 1 else _binary(rule)
    RULES[rule.name] = rule
    RULE_METHODS[rule.name] = method
    setattr(Value, rule.name, method)
    return rule


def _unregister(name: str) -> None:
    """Take a registered rule out again (for tests that register one)."""
    rule = RULES[name]
    if rule.name in _BUILTIN:
        raise ValueError(f"{name!r} is one of the table's own rules")
    del RULES[name]
    del RULE_METHODS[name]
    delattr(Value, name)
