"""The command reads what it writes: every formula `kuibu grad --explain` and `kuibu explain`
print, pasted back into `kuibu grad` at the same point, gives the same number."""

from __future__ import annotations

import io
import json
import math
import random
from typing import Any

import pytest

from autograd import RULES, Naming, topological_order
from autograd.formula import parse
from kuibu.cli import main
from kuibu.expressions import evaluate_at, read_expression


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def same(a: float, b: float) -> bool:
    """Equal up to the 12 significant digits numbers folded into a formula are written with."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-11)


def grad_value(text: str, at: dict[str, float]) -> float:
    """The number `kuibu grad` gives for `text` at the point (the names it uses, exactly)."""
    used = sorted(parse(text).names)
    point = [f"{n}={at[n]!r}" for n in used]
    code, out, err = run("grad", text, *(["--at", *point] if point else []), "--json")
    assert code == 0, (text, point, err)
    value = json.loads(out)["value"]
    return float(value)


def node_values(expression: str, at: dict[str, float]) -> dict[str, float]:
    """Every node's number by the name kuibu gives it (labels, n1, n2, …), from the engine."""
    evaluated = evaluate_at(read_expression(expression), at)
    naming = Naming(topological_order(evaluated.output))
    return {naming.name(n): n.data for n in naming.order}


def printed_formulas(expression: str, at: dict[str, float]) -> list[tuple[str, float, str]]:
    """(what, the number kuibu printed beside it, formula) for every factor and definition that
    `kuibu grad --explain` and `kuibu explain` print, in text and in JSON, for every variable."""
    names = sorted(parse(expression).names)
    point = ["--at", *(f"{n}={at[n]!r}" for n in names)]
    values = node_values(expression, at)
    found: list[tuple[str, float, str]] = []
    code, out, err = run("grad", expression, *point, *(w for n in names for w in ("--explain", n)),
                         "--json")
    assert code == 0, err
    explanations = list(json.loads(out)["explain"].values())
    for n in names:
        code, out, err = run("explain", expression, *point, "--wrt", n, "--json")
        assert code == 0, err
        explanations.append(json.loads(out)["explanation"])
        code, text, _ = run("explain", expression, *point, "--wrt", n)
        assert code == 0
        for path in explanations[-1]["paths"]:
            for f in path["factors"]:  # the text prints the formulas the JSON holds
                assert f["formula"] is None or f"{f['name']} = " in text
                if f["formula"] is not None and parse(f["formula"]).names:
                    assert f"{f['name']} = {f['formula']} = " in text
        for name, definition in explanations[-1]["definitions"].items():
            assert f"{name} = {definition}" in text
    for e in explanations:
        factors = [f for p in e["paths"] for f in p["factors"]]
        factors += [t["factor"] for d in e["deltas"] for t in d["terms"]]
        for f in factors:
            if f["formula"] is not None:
                found.append((f["name"], float(f["value"]), f["formula"]))
        for name, definition in e["definitions"].items():
            found.append((name, values[name], definition))
    return found


def check_round_trip(expression: str, at: dict[str, float]) -> int:
    values = node_values(expression, at)
    checked = 0
    for what, number, formula in printed_formulas(expression, at):
        if not math.isfinite(number) or not all(math.isfinite(v) for v in values.values()):
            continue
        pasted = grad_value(formula, values)
        assert same(pasted, number), (expression, what, formula, pasted, number)
        checked += 1
    return checked


#: Every rule of the table as a typed expression around an inner sum u = w·x + b.
U = "(w*x + b)"
TYPED = {"add": f"{U} + y", "sub": f"{U} - y", "mul": f"{U}*y", "div": f"{U}/y",
         "pow": f"{U}**y", "neg": f"-{U}", "leaky_relu": f"leaky_relu({U}, y)",
         "linear": f"linear(w, x, y, {U}, b)"}


def rule_expression(name: str) -> str:
    rule = RULES[name]
    core = TYPED.get(name) or (f"{name}({U})" if rule.arity == 1 else f"{name}({U}, y)")
    return f"({core})*c + y"


def rule_point(name: str, rng: random.Random) -> dict[str, float]:
    rule = RULES[name]

    def sample(i: int) -> float:
        low, high = rng.choice(rule.domain[min(i, len(rule.domain) - 1)])
        return round(rng.uniform(low, high), 3)

    w, x = 0.5, 1.3
    return {"w": w, "x": x, "b": sample(0) - w * x, "y": sample(1), "c": 0.8}


@pytest.mark.parametrize("name", [name for name, rule in RULES.items() if not rule.user])
def test_every_rules_printed_formulas_read_back_to_their_numbers(name: str) -> None:
    rng = random.Random(name)
    expression = rule_expression(name)
    assert check_round_trip(expression, rule_point(name, rng)) >= 5


BOUNDED = ("tanh", "sigmoid", "sin", "cos", "relu", "abs", "leaky_relu", "softplus", "exp")


def random_expression(rng: random.Random, depth: int = 3) -> str:
    """A random typed formula over w, x, y (shared by many terms), bounded functions."""
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(["w", "x", "y", "x", "0.5", "2"])
    if rng.random() < 0.35:
        f = rng.choice(BOUNDED)
        inner = random_expression(rng, depth - 1)
        return f"{f}({inner})" if f != "exp" else f"exp(tanh({inner}))"
    op = rng.choice(["+", "-", "*", "*", "/"])
    right = random_expression(rng, depth - 1)
    if op == "/":
        right = f"(2 + sigmoid({right}))"
    return f"({random_expression(rng, depth - 1)}){op}({right})"


@pytest.mark.parametrize("seed", range(12))
def test_random_graphs_printed_formulas_read_back_to_their_numbers(seed: int) -> None:
    rng = random.Random(seed)
    expression = random_expression(rng)
    while not {"w", "x", "y"} <= parse(expression).names:
        expression = f"({expression})*w + sin(x*y)"
    at = {n: round(rng.uniform(-2, 2), 3) for n in ("w", "x", "y")}
    assert check_round_trip(expression, at) > 0


def test_a_flat_sum_of_fifty_products_through_grad() -> None:
    terms = " + ".join(f"x{i}*w{i}" for i in range(50))
    point: list[str] = []
    for i in range(50):
        point += [f"x{i}={i / 10}", f"w{i}={1 + i / 100}"]
    code, out, err = run("grad", terms, "--at", *point, "--json")
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out)
    assert doc["value"] == pytest.approx(sum(i / 10 * (1 + i / 100) for i in range(50)))
    assert doc["gradient"]["w49"] == 4.9 and doc["gradient"]["x0"] == 1.0


def test_what_explanations_print_reads_as_an_expression() -> None:
    # step, sign and conditionals are printed by explanations of kinks; σ, ·, ² and − too.
    for text, at, value in [
        ("1 if x > 0 else 0.01", "x=2", 1.0), ("0.01·step(−x) + sign(x)", "x=-2", -0.99),
        ("σ(x)·(1 − σ(x))", "x=0", 0.25), ("x² − x⁻¹", "x=2", 3.5), ("pi*e*x", "x=1",
                                                                     math.pi * math.e),
    ]:
        code, out, err = run("grad", text, "--at", at, "--json")
        assert code == 0, err
        assert json.loads(out)["value"] == pytest.approx(value)


@pytest.mark.parametrize("constant", ["e", "pi", "π", "inf", "nan"])
def test_at_refuses_a_constants_name_and_says_which(constant: str) -> None:
    code, _, err = run("grad", "x*2", "--at", f"{constant}=2", "x=1")
    assert code == 2
    assert f"{constant} is the constant" in err and "not a variable" in err


def test_a_rule_registered_in_the_process_can_be_typed() -> None:
    from tests.autograd.test_formula import registered_swish

    with registered_swish() as rule:
        code, out, err = run("grad", "swish(w*x)", "--at", "w=0.5", "x=2", "--json",
                             "--explain", "x")
        assert code == 0, err
        doc = json.loads(out)
        assert doc["value"] == pytest.approx(rule.forward(1.0))
        assert check_round_trip("swish(w*x)*c", {"w": 0.5, "x": 2.0, "c": 0.8}) >= 3
    code, _, err = run("grad", "swish(x)", "--at", "x=1")
    assert code == 2 and "unknown function 'swish'" in err
