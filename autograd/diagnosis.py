"""What a wrong hand-derived partial equals: the engine's chain rule with one thing changed.

`check_partials` asks here when a person's ∂output/∂node disagrees with the engine's. The
gradient is linear in each edge's local partial d (gradient = rest + through·d, `through` being
∂output/∂top · ∂bottom/∂node), so every single change costs one multiplication to try: a factor
left out (d → 1), a partial's formula fed the wrong node (tanh′ written 1 − net² instead of
1 − out², σ′ evaluated at the output), the inputs of a product exchanged, a subset of the paths,
or the whole value scaled by 2, ½ or −1. Numbers are tried first; a sentence is written only
for a change that fits, so a graph of any size costs time linear in its edges.

Each sentence completes "Your value ..." in the language asked for (`autograd.words`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from typing import Any

from autograd import floats
from autograd.explain import _is_number, _number, edges, explain, fsum
from autograd.export import Naming, input_names, partial_text
from autograd.formula import evaluate, parse, text_algebra
from autograd.value import Value
from autograd.words import words

__all__ = ["adjoints", "diagnose", "path_count", "tangents"]

#: Most paths whose subsets are tried (2^12 sums at most).
MAX_PATHS = 12


Edges = list[list[tuple[int, Value, float]]]


def adjoints(order: list[Value], links: Edges | None = None) -> dict[int, float]:
    """∂root/∂n for every node n, root last in `order` (the reverse sweep, kept by id);
    `links` are the nodes' `edges`, when they have been read already."""
    links = links if links is not None else [edges(n) for n in order]
    adj: dict[int, float] = {id(order[-1]): 1.0}
    for k in range(len(order) - 1, -1, -1):
        g = adj.get(id(order[k]), 0.0)
        for _, p, d in links[k]:
            adj[id(p)] = adj.get(id(p), 0.0) + g * d
    return adj


def tangents(order: list[Value], node: Value, links: Edges | None = None) -> dict[int, float]:
    """∂n/∂node for every node n computed from `node` (a forward sweep)."""
    links = links if links is not None else [edges(n) for n in order]
    tan: dict[int, float] = {id(node): 1.0}
    for n, edges_in in zip(order, links, strict=True):
        if id(n) in tan:
            continue
        found = [(p, d) for _, p, d in edges_in if id(p) in tan]
        if found:
            tan[id(n)] = fsum(d * tan[id(p)] for p, d in found)
    return tan


def path_count(order: list[Value], node: Value, cap: int) -> int:
    """How many paths lead from `node` up to the root (the last of `order`), counted up to
    `cap` + 1 (so that a graph with astronomically many paths costs nothing more)."""
    count: dict[int, int] = {id(node): 1}
    for n in order:
        if id(n) in count:
            continue
        total = sum(count.get(id(p), 0) for p in n.parents)
        if total:
            count[id(n)] = min(total, cap + 1)
    return count.get(id(order[-1]), 0)


def diagnose(
    output: Value, node: Value, user: float, engine: float, order: list[Value],
    naming: Callable[[], Naming], agree: Callable[[float], bool],
    near_engine: Callable[[float], bool], lang: str = "en",
) -> tuple[list[str], bool]:
    """What the user's wrong ∂output/∂node is consistent with, and whether nothing was found
    (then the one sentence says where to compare factors, `explain(output, node)`).

    `agree(c)` says whether the user's value matches the candidate c (to the digits typed, or
    within the tolerances); `near_engine(c)` whether c is the engine's value all the same (a
    change that alters nothing explains nothing). `naming` gives the graph's names when a
    sentence is written.
    """
    w = words(lang)
    if not math.isfinite(engine):
        return [w["engine_not_finite"].format(value=_number(engine))], False
    if not math.isfinite(user):
        return [w["yours_not_finite"].format(value=_number(user))], False

    def fits(candidate: float) -> bool:
        return agree(candidate) and not near_engine(candidate)

    hints = _changed_factors(order, node, engine, fits, naming, w)
    hints += _dropped_paths(output, node, order, fits, w)
    if engine != 0.0:
        for ratio, why in ((2.0, "ratio_half"), (0.5, "ratio_two"), (-1.0, "ratio_sign")):
            if fits(ratio * engine):
                hints.append(w["ratio"].format(ratio=_number(ratio), why=w[why]))
    if hints:
        return hints, False
    how = f"explain({output.label or naming().name(output)}, {node.label or naming().name(node)})"
    return [w["unexplained"].format(how=how)], True


def _changed_factors(
    order: list[Value], node: Value, engine: float, fits: Callable[[float], bool],
    naming: Callable[[], Naming], w: Mapping[str, str],
) -> list[str]:
    """One local partial changed: left out, or its formula fed other numbers."""
    hints: list[str] = []
    links = [edges(n) for n in order]
    adjoint = adjoints(order, links)
    tangent = tangents(order, node, links)
    variants: dict[tuple[int, int], list[str]] = {}  # by rule and input: the mistakes to try
    for n, edges_in in zip(order, links, strict=True):
        rule = n.rule
        if rule is None or id(n) not in tangent:
            continue
        for i, p, d in edges_in:
            through = adjoint.get(id(n), 0.0) * tangent.get(id(p), 0.0)
            if through == 0.0 or not math.isfinite(through):
                continue
            # The gradient is linear in the edge's partial d: engine = rest + through·d.
            if d != 1.0 and fits(engine + through * (1.0 - d)):
                factor, formula = _factor(naming(), n, p, i)
                shown = "" if _is_number(formula) else f" = {formula}"
                hints.append(w["left_out"].format(factor=factor, formula=shown,
                                                  value=_number(d)))
            if rule.user or rule.arity == 0:  # numbers from _backward; linear's are inputs
                continue
            key = (id(rule), i)
            if key not in variants:
                variants[key] = _variants(rule.arity, parse(partial_text(n, i)).names)
            for why in variants[key]:
                alt = _variant_value(n, i, why)
                if alt != d and fits(engine + through * (alt - d)):
                    hints.append(_computed_as(naming(), n, p, i, why, alt, d, w))
    return hints


def _variants(arity: int, used: frozenset[str]) -> list[str]:
    """The ways a person may fill a partial's formula with the wrong numbers (keys of
    `autograd.words`): the input for the output and back, the formula written for the input
    evaluated at the output (σ(out)·(1 − σ(out))), the two inputs exchanged."""
    if arity == 1:
        return [*(["output_put_in", "at_output"] if "out" in used else []),
                *(["input_put_in"] if "x" in used else [])]
    return ["exchanged"] if used & {"x", "y"} else []


def _variant_value(n: Value, i: int, why: str) -> float:
    """The partial with the wrong numbers put in, computed by the rule itself (its formula
    text gives the same number; the table's tests hold them together)."""
    rule = n.rule
    assert rule is not None
    numbers = [x.data if isinstance(x, Value) else float(x) for x in n.inputs]
    out = n.data
    if why == "output_put_in":
        args = [numbers[0], numbers[0]]
    elif why == "input_put_in":
        args = [out, out]
    elif why == "at_output":  # σ′ = σ(x)·(1 − σ(x)) with the output put in for x
        args = [out, float(rule.forward(out))]
    else:
        args = [numbers[1], numbers[0], out]
    return float(rule.partial(i, floats, *args))


def _ref(naming: Naming, n: Value) -> str:
    """A node as it reads inside ∂…/∂…: its label, or its formula in parentheses."""
    text = naming.text(n)
    return text if n.label or text == naming.name(n) else f"({text})"


def _texts(naming: Naming, n: Value) -> dict[str, Any]:
    """The node's rule's variables as texts of the graph's own names."""
    texts = naming.texts("unicode")
    algebra = text_algebra("unicode")
    values: dict[str, Any] = {"out": texts[id(n)]}
    for name, x in zip(input_names(n), n.inputs, strict=True):
        values[name] = texts[id(x)] if isinstance(x, Value) else algebra["const"](x)
    return values


def _factor(naming: Naming, n: Value, p: Value, i: int) -> tuple[str, str]:
    """∂top/∂bottom for the edge, and the partial's formula in the graph's names."""
    word = f"∂{_ref(naming, n)}/∂{_ref(naming, p)}"
    formula = evaluate(partial_text(n, i), _texts(naming, n), text_algebra("unicode"))[0]
    return word, str(formula)


def _computed_as(
    naming: Naming, n: Value, p: Value, i: int, why: str, alt: float, d: float,
    w: Mapping[str, str],
) -> str:
    assert n.rule is not None
    partial = partial_text(n, i)
    algebra = text_algebra("unicode")
    texts = _texts(naming, n)
    names = input_names(n)
    if why == "output_put_in":
        wrong = {**texts, "out": texts[names[0]]}
    elif why == "input_put_in":
        wrong = {**texts, names[0]: texts["out"]}
    elif why == "at_output":
        wrong = {names[0]: texts["out"], "out": algebra[n.rule.name](texts["out"])}
    else:
        wrong = {**texts, "x": texts["y"], "y": texts["x"]}
    word, formula = _factor(naming, n, p, i)
    top, bottom = _ref(naming, n), _ref(naming, p)
    reason = w[why].format(op=n.rule.name, top=top, bottom=bottom)
    return w["computed_as"].format(factor=word, alt=evaluate(partial, wrong, algebra)[0],
                                   alt_value=_number(alt), formula=formula, value=_number(d),
                                   why=reason)


def _dropped_paths(
    output: Value, node: Value, order: list[Value], fits: Callable[[float], bool],
    w: Mapping[str, str],
) -> list[str]:
    """A sentence when the user's value is the sum over a proper subset of the paths (tried
    when there are 2 to `MAX_PATHS` of them), the paths in the graph's names: between labelled
    nodes when they separate the paths, else step by step with the inner nodes defined."""
    if not 2 <= path_count(order, node, MAX_PATHS) <= MAX_PATHS:
        return []
    e = explain(output, node, max_paths=MAX_PATHS)
    if len(e.paths) < 2:  # paths that meet again before a labelled node: every step
        e = explain(output, node, steps=True, max_paths=MAX_PATHS)
    paths = e.paths
    if not e.listed or len(paths) < 2:
        return []
    for size in range(1, len(paths)):
        for subset in itertools.combinations(range(len(paths)), size):
            if fits(fsum(paths[k].product for k in subset)):
                missing = [paths[k].nodes for k in range(len(paths)) if k not in subset]
                shown = "; ".join(" → ".join(nodes) for nodes in missing)
                inner = {name for nodes in missing for name in nodes}
                defined = [f"{name} = {text}" for name, text, _ in e.legend if name in inner]
                if defined:
                    shown += w["path_where"].format(definitions="; ".join(defined))
                kept = ", ".join(str(k + 1) for k in subset)
                return [w["dropped_paths"].format(kept=kept, count=len(paths), output=e.output,
                                                  leaf=e.leaf, missing=shown)]
    return []
