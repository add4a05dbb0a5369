"""explain and backward_steps: the chain rule written out, checked against the hand derivation."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, assume, given, settings

from autograd import Value, backward_steps, explain, grad
from autograd.explain import Explanation
from tests.strategies import Program, apply_value, programs, well_conditioned

# The seed article's network: 2 inputs, 2 logistic hidden units, 2 logistic outputs, squared error.
INPUTS = (0.05, 0.10)
TARGETS = (0.01, 0.99)
WEIGHTS = (0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55)
BIASES = (0.35, 0.60)


def _named(v: Value, label: str) -> Value:
    v.label = label
    return v


@dataclass
class Network:
    """The seed network built from Values, every node the hand derivation names labelled."""

    w: dict[str, Value]  # w1..w8, b1, b2
    nodes: dict[str, Value]  # net_h1, out_h1, ..., E
    E: Value

    def leaves(self) -> list[Value]:
        return list(self.w.values())


def seed_network(activation: str = "sigmoid", half: float = 0.5) -> Network:
    w = {f"w{k}": Value(v, label=f"w{k}") for k, v in enumerate(WEIGHTS, 1)}
    w["b1"], w["b2"] = Value(BIASES[0], label="b1"), Value(BIASES[1], label="b2")
    i1, i2 = INPUTS
    n: dict[str, Value] = {}

    def act(v: Value) -> Value:
        return v.sigmoid() if activation == "sigmoid" else v.tanh()

    n["net_h1"] = _named(w["w1"] * i1 + w["w2"] * i2 + w["b1"], "net_h1")
    n["out_h1"] = _named(act(n["net_h1"]), "out_h1")
    n["net_h2"] = _named(w["w3"] * i1 + w["w4"] * i2 + w["b1"], "net_h2")
    n["out_h2"] = _named(act(n["net_h2"]), "out_h2")
    n["net_o1"] = _named(w["w5"] * n["out_h1"] + w["w6"] * n["out_h2"] + w["b2"], "net_o1")
    n["out_o1"] = _named(n["net_o1"].sigmoid(), "out_o1")
    n["net_o2"] = _named(w["w7"] * n["out_h1"] + w["w8"] * n["out_h2"] + w["b2"], "net_o2")
    n["out_o2"] = _named(n["net_o2"].sigmoid(), "out_o2")
    t1, t2 = TARGETS
    E = _named(half * (t1 - n["out_o1"]) ** 2 + half * (t2 - n["out_o2"]) ** 2, "E")
    n["E"] = E
    return Network(w, n, E)


@dataclass
class Hand:
    """The hand derivation on plain floats (the seed's formulas, independent of the engine)."""

    out_h1: float
    out_h2: float
    out_o1: float
    out_o2: float
    E: float
    de_dout_o1: float  # −(t1 − out_o1)
    dout_o1_dnet_o1: float  # out_o1 (1 − out_o1)
    de_dout_o2: float
    dout_o2_dnet_o2: float
    dout_h1_dnet_h1: float  # σ′ or tanh′, at out_h1

    @property
    def de_dw5(self) -> float:
        return self.de_dout_o1 * self.dout_o1_dnet_o1 * self.out_h1

    def de_dw1_paths(self) -> tuple[float, float]:
        via_o1 = self.de_dout_o1 * self.dout_o1_dnet_o1 * WEIGHTS[4]
        via_o2 = self.de_dout_o2 * self.dout_o2_dnet_o2 * WEIGHTS[6]
        return (via_o1 * self.dout_h1_dnet_h1 * INPUTS[0],
                via_o2 * self.dout_h1_dnet_h1 * INPUTS[0])

    @property
    def de_dw1(self) -> float:
        return sum(self.de_dw1_paths())


def hand(activation: str = "sigmoid") -> Hand:
    def sig(z: float) -> float:
        return 1.0 / (1.0 + math.exp(-z))

    act: Callable[[float], float] = sig if activation == "sigmoid" else math.tanh
    w1, w2, w3, w4, w5, w6, w7, w8 = WEIGHTS
    b1, b2 = BIASES
    i1, i2 = INPUTS
    t1, t2 = TARGETS
    h1, h2 = act(w1 * i1 + w2 * i2 + b1), act(w3 * i1 + w4 * i2 + b1)
    o1, o2 = sig(w5 * h1 + w6 * h2 + b2), sig(w7 * h1 + w8 * h2 + b2)
    dh1 = h1 * (1 - h1) if activation == "sigmoid" else 1 - h1**2
    return Hand(h1, h2, o1, o2, 0.5 * (t1 - o1) ** 2 + 0.5 * (t2 - o2) ** 2,
                -(t1 - o1), o1 * (1 - o1), -(t2 - o2), o2 * (1 - o2), dh1)


def close(a: float, b: float, tol: float = 1e-12) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


# -- the seed network --------------------------------------------------------------------------


def test_the_hand_derivation_matches_the_published_numbers() -> None:
    # The article's (and Mazur's) numbers: E = 0.298371109, ∂E/∂w5 = 0.082167041,
    # ∂E/∂w1 = 0.000438568; a check on the test's own formulas.
    h = hand()
    assert abs(h.E - 0.298371109) < 1e-9
    assert abs(h.de_dw5 - 0.082167041) < 1e-9
    assert abs(h.de_dw1 - 0.000438568) < 1e-9


def test_explain_w5_reads_as_the_hand_derivation() -> None:
    net, h = seed_network(), hand()
    e = explain(net.E, net.w["w5"])
    assert e.path_count == 1 and e.listed
    (path,) = e.paths
    assert path.nodes == ["E", "out_o1", "net_o1", "w5"]
    assert [(f.top, f.bottom) for f in path.factors] == [
        ("E", "out_o1"), ("out_o1", "net_o1"), ("net_o1", "w5")]
    values = [f.value for f in path.factors]
    expected = [h.de_dout_o1, h.dout_o1_dnet_o1, h.out_h1]
    assert all(close(a, b) for a, b in zip(values, expected, strict=True))
    assert close(path.product, h.de_dw5) and close(e.total, h.de_dw5)
    assert close(e.gradient, h.de_dw5)
    assert [f.formula for f in path.factors] == ["−(0.01 − out_o1)", "out_o1·(1 − out_o1)",
                                                 "out_h1"]
    text = e.text()
    assert text.splitlines()[0] == "∂E/∂w5 = ∂E/∂out_o1 · ∂out_o1/∂net_o1 · ∂net_o1/∂w5"
    assert "∂out_o1/∂net_o1 = out_o1·(1 − out_o1) = 0.186816" in text
    assert f"= {h.de_dw5:.6g}" in text and str(e) == text


def test_explain_w1_sums_two_paths() -> None:
    net, h = seed_network(), hand()
    e = explain(net.E, "w1")
    assert e.path_count == 2
    assert [p.nodes for p in e.paths] == [
        ["E", "out_o1", "net_o1", "out_h1", "net_h1", "w1"],
        ["E", "out_o2", "net_o2", "out_h1", "net_h1", "w1"],
    ]
    for path, want in zip(e.paths, h.de_dw1_paths(), strict=True):
        assert close(path.product, want)
    assert path.factors[2].formula == "w7" and path.factors[-1].formula == "0.05"
    assert close(e.total, h.de_dw1) and close(e.gradient, h.de_dw1)
    assert "∂E/∂w1 = the sum over 2 paths" in e.text()


def test_every_step_shows_the_unlabelled_nodes_with_a_legend() -> None:
    net, h = seed_network(), hand()
    e = explain(net.E, net.w["w5"], steps=True)
    (path,) = e.paths
    # E = n25 + …, n25 = 0.5·n24, n24 = n23², n23 = 0.01 − out_o1, out_o1 = σ(net_o1),
    # net_o1 = n19 + b2, n19 = n9 + …, n9 = w5·out_h1: eight operations, eight factors.
    assert len(path.factors) == 8
    assert all(f.steps == 1 for f in path.factors)
    assert close(path.product, h.de_dw5)
    names = {name for name, _, _ in e.legend}
    assert {n for n in path.nodes if re.fullmatch(r"n\d+", n)} <= names
    assert "where " in e.text() and "(0.01 − out_o1)²" in e.text()


def test_markdown_and_latex() -> None:
    net = seed_network()
    e = explain(net.E, net.w["w5"])
    md = e.markdown()
    assert "| ∂out_o1/∂net_o1 | out_o1·(1 − out_o1) | 0.186816 |" in md
    tex = e.latex()
    assert tex.startswith("\\begin{aligned}") and tex.endswith("\\end{aligned}")
    assert (r"\frac{\partial E}{\partial w_{5}} &= \frac{\partial E}{\partial \mathrm{out}_{o1}}"
            in tex)
    assert r"\mathrm{out}_{o1} \cdot \left(1 - \mathrm{out}_{o1}\right)" in tex


def test_backward_steps_match_the_hand_deltas() -> None:
    net, h = seed_network(), hand()
    steps = backward_steps(net.E)
    rows = {r.node: r for r in steps.rows}
    assert steps.rows[0].node == "E" and steps.rows[0].grad == 1.0
    assert close(rows["out_o1"].grad, h.de_dout_o1)
    delta_o1 = h.de_dout_o1 * h.dout_o1_dnet_o1
    assert close(rows["net_o1"].grad, delta_o1)
    delta_o2 = h.de_dout_o2 * h.dout_o2_dnet_o2
    assert close(rows["out_h1"].grad, delta_o1 * WEIGHTS[4] + delta_o2 * WEIGHTS[6])
    assert close(rows["w5"].grad, h.de_dw5) and close(rows["w1"].grad, h.de_dw1)
    # Every node appears once, and each node's gradient is complete when it is reached:
    # nothing is added to a node after its own row.
    assert len(steps.rows) == len({r.node for r in steps.rows})
    seen: set[str] = set()
    for r in steps.rows:
        seen.add(r.node)
        for name, _, d, added, _ in r.sends:
            assert name not in seen
            assert added == r.grad * d
    (send,) = rows["out_o1"].sends
    assert send[0] == "net_o1" and send[1] == "out_o1·(1 − out_o1)"
    # The leaves' final gradients are the engine's.
    net.E.backward()
    for label, leaf in net.w.items():
        assert close(rows[label].grad, leaf.grad)
    text, md = steps.text(), steps.markdown()
    assert "net_o1 += " in text and str(steps) == text
    assert md.splitlines()[0].startswith("| step | node |")
    assert len(md.splitlines()) == 2 + sum(max(1, len(r.sends)) for r in steps.rows)


# -- many paths --------------------------------------------------------------------------------


def _doubling(n: int) -> tuple[Value, Value]:
    """a_{k+1} = a_k + a_k: one chain of nodes, 2^n chains of edges."""
    x = Value(0.75, label="x")
    a = x
    for _ in range(n):
        a = a + a
    return a, x


def _halves(n: int, labelled: bool) -> tuple[Value, Value]:
    """a_{k+1} = u_k + v_k with u_k = 0.5·a_k and v_k = a_k·0.5: 2^n paths from a_n to x."""
    x = Value(0.75, label="x")
    a = x
    for k in range(1, n + 1):
        u, v = 0.5 * a, a * 0.5
        a = u + v
        if labelled:
            u.label, v.label, a.label = f"u{k}", f"v{k}", f"a{k}"
    return a, x


def test_too_many_paths_switch_to_the_delta_form_without_hanging() -> None:
    out, x = _halves(300, labelled=True)
    start = time.perf_counter()
    e = explain(out, x)
    assert time.perf_counter() - start < 5.0
    assert e.path_count == 2**300 and not e.listed and not e.paths
    assert e.total == grad(out, x) == 1.0  # each layer: 0.5 + 0.5
    assert e.deltas[0].node == "a300" and e.deltas[0].value == 1.0
    assert e.deltas[-1].node == "x"
    assert {d.node: d.value for d in e.deltas}["u300"] == 1.0
    text = e.text()
    assert "too many to list" in text and str(2**300) in text
    assert "δ(a299) = δ(u300)·∂u300/∂a299 + δ(v300)·∂v300/∂a299 = 1×0.5 + 1×0.5 = 1" in text
    assert "per-node form" in e.latex() and "| a299 |" in e.markdown()


def test_unlabelled_steps_fold_into_one_factor() -> None:
    out, x = _doubling(60)
    out.label = "y"
    e = explain(out, x)
    assert e.path_count == 1
    (factor,) = e.paths[0].factors
    assert factor.subpaths == 2**60 and factor.value == 2.0**60 and factor.formula is None
    out, x = _halves(40, labelled=False)
    out.label = "y"
    assert explain(out, x).path_count == 1
    assert explain(out, x, steps=True).path_count == 2**40


def test_a_squared_node_has_two_edges() -> None:
    a = Value(3.0, label="a")
    s = a * a
    s.label = "s"
    e = explain(s, a)
    assert e.path_count == 1 and e.paths[0].factors[0].formula == "2·a"
    assert e.total == 6.0
    assert explain(s, a, steps=True).path_count == 1  # one factor summing both edges


# -- errors and notes in the user's words ------------------------------------------------------


def test_errors_name_the_users_labels() -> None:
    net = seed_network()
    with pytest.raises(ValueError, match=r"'w9' .* is not in the graph of E"):
        explain(net.E, Value(1.0, label="w9"))
    with pytest.raises(ValueError, match=r"no node labelled 'w_5'.*did you mean 'w5'"):
        explain(net.E, "w_5")
    with pytest.raises(TypeError, match="must be a Value"):
        explain(1.0, net.w["w5"])  # type: ignore[arg-type]
    a, b = Value(1.0, label="w"), Value(2.0, label="w")
    with pytest.raises(ValueError, match=r"2 different nodes .* labelled 'w'"):
        explain(a * b, "w")


def test_an_unlabelled_leaf_gets_a_name_and_a_note() -> None:
    x, w = Value(2.0), Value(0.5, label="w")
    y = (w * x).tanh()
    y.label = "y"
    e = explain(y, x)
    assert e.leaf.startswith("n")
    assert any("without a label" in note and "Value(2, label='...')" in note
               for note in e.notes)
    assert "without a label" in backward_steps(y).text()


def test_the_output_itself_and_a_node_behind_the_leaf() -> None:
    x = Value(2.0, label="x")
    e = explain(x, x)
    assert e.total == e.gradient == 1.0 and e.path_count == 1
    y = x.exp()
    y.label = "y"
    z = y * x
    z.label = "z"
    e = explain(z, "y")  # a node that is not a leaf: ∂z/∂y holding x fixed
    assert e.path_count == 1 and e.total == 2.0


# -- random graphs: the path products sum to the gradient ---------------------------------------


def _brute_force_paths(root: Value, leaf: Value) -> int:
    """Paths (chains of distinct nodes) from root to leaf, by plain enumeration (small graphs)."""
    count = 0
    stack = [root]
    while stack:
        n = stack.pop()
        if n is leaf:
            count += 1
            continue
        stack.extend({id(p): p for p in n.parents}.values())  # a*a: one path through a
    return count


def _check(e: Explanation, engine: float) -> None:
    if e.listed:
        scale = math.fsum(abs(p.product) for p in e.paths)
        assert abs(e.total - engine) <= 1e-9 * max(1.0, scale, abs(engine))
    else:
        assert abs(e.total - engine) <= 1e-9 * max(1.0, abs(engine))


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(max_steps=10))
def test_path_products_sum_to_the_gradient(program: Program) -> None:
    leaves = program.values()
    nodes = program.run(leaves, apply_value)
    assume(well_conditioned(program, nodes))
    out = nodes[-1]
    for k, node in enumerate(nodes[len(leaves):-1]):
        if k % 2:
            node.label = f"m{k}"  # some labelled nodes to group at
    for leaf in leaves:
        engine = grad(out, leaf, allow_unused=True)
        if _brute_force_paths(out, leaf) == 0:
            with pytest.raises(ValueError, match="not in the graph"):
                explain(out, leaf)
            continue
        everything = explain(out, leaf, steps=True, max_paths=500)
        _check(everything, engine)
        if everything.listed:
            assert everything.path_count == _brute_force_paths(out, leaf)
            assert len(everything.paths) == everything.path_count
            for p in everything.paths:
                assert p.product == pytest.approx(math.prod(f.value for f in p.factors))
        grouped = explain(out, leaf)
        _check(grouped, engine)
        assert grouped.path_count <= everything.path_count
        _check(explain(out, leaf, max_paths=0), engine)  # the δ form


# -- one name per node, every name defined, no tautologies, structure --------------------------


def _typed() -> tuple[Value, Value]:
    w, x, b = Value(0.5, label="w"), Value(1.5, label="x"), Value(-0.2, label="b")
    f = (w * x + b).sigmoid()
    f.label = "f"
    return f, w


def test_unlabelled_nodes_are_named_without_gaps_and_alike_in_every_view() -> None:
    from autograd import Naming, to_text, topological_order

    f, w = _typed()
    e = explain(f, w, steps=True)
    assert e.paths[0].nodes == ["f", "n2", "n1", "w"]
    assert [name for name, _, _ in e.legend] == ["n1", "n2"]
    naming = Naming(topological_order(f))
    assert [naming.name(n) for n in naming.order if not n.label] == ["n1", "n2"]
    assert [row.node for row in backward_steps(f).rows if row.node.startswith("n")] == [
        "n2", "n1"]
    assert "n1" not in to_text(f)  # short formulas stay inline
    # A label that looks like an n-name is never given to another node.
    y = Value(1.0, label="n1") * 2.0
    assert Naming(topological_order(y)).name(y) == "n2"


def test_every_name_is_defined_in_every_output_style() -> None:
    f, w = _typed()
    c = Value(3.0)  # an unlabelled leaf
    g = f * c
    g.label = "g"
    e = explain(g, w, steps=True)
    outputs = {"text": e.text(), "python": e.text("python"), "markdown": e.markdown(),
               "latex": e.latex()}
    for style, text in outputs.items():
        used = set(re.findall(r"\bn_?\{?(\d+)", text))
        assert used, style
        for k in used:
            defined = (f"n{k} = " in text) or (rf"n_{{{k}}} = " in text)
            assert defined, (style, k, text)
    assert r"&\text{where } n_{3} = 3" in e.latex()


def test_a_single_path_has_no_tautological_lines() -> None:
    x = Value(2.0, label="x")
    y = x * x
    y.label = "y"
    text = explain(y, x).text()
    assert "∂y/∂x = ∂y/∂x" not in text and "= 4 = 4" not in text
    assert text.splitlines()[:2] == ["path 1 of 1: y → x", "  ∂y/∂x = 2·x = 4"]
    assert explain(y, x).latex() == ("\\begin{aligned}\n\\frac{\\partial y}{\\partial x} &= "
                                     "2 \\cdot x = 4\n\\end{aligned}")
    f, _ = _typed()
    steps = backward_steps(f).text()
    assert "∂n2/∂n1 = 1 " in steps and "= 1 = 1" not in steps
    many = explain(*_halves(8, labelled=True), max_paths=10)
    assert "&= 1 = 1" not in many.latex() and r"\delta_{a_{8}} &= 1 \\" in many.latex()


def test_numbers_use_the_minus_of_their_style() -> None:
    x = Value(-2.0, label="x")
    y = x * 3.0
    y.label = "y"
    e = explain(x * y, x)
    assert "−" in e.text() and "-6" not in e.text()
    assert "-" in e.text("python") and "−" not in e.text("python")
    steps = backward_steps(y)
    assert "x += 1 × 3" in steps.text()
    assert "exp(x)·(−1)" in backward_steps(x.exp() * -1.0).text()


def test_a_signed_term_after_an_operator_reads_as_a_person_writes_it() -> None:
    from autograd import to_latex, to_text
    x = Value(0.3, label="x")
    y = (x - (-0.25)).exp() + (x + (-1.5e-7)) - (-x * 2.0) + x / -2.0
    y.label = "y"
    assert to_text(y) == "y = exp(x + 0.25) + x − 1.5e−07 − (−x·2) + x / (−2)"
    assert r"x - 1.5e-07 - \left(-x \cdot 2\right)" in to_latex(y)
    # Python's text keeps the operations as recorded: it is read back.
    assert to_text(y, style="python") == "y = exp(x - -0.25) + x + -1.5e-07 - -x * 2 + x / -2"


def test_non_finite_numbers_are_written_not_raised() -> None:
    x = Value(1.0, label="x")
    for constant, shown, ascii_shown in ((math.inf, "∞", "inf"), (-math.inf, "−∞", "-inf"),
                                         (math.nan, "NaN", "nan")):
        y = x * constant
        y.label = "y"
        e = explain(y, x)
        assert f"∂y/∂x = {shown}" in e.text() and ascii_shown in e.text("python")
        assert ("\\infty" in e.latex()) or ("NaN" in e.latex())
        assert shown in e.markdown()
        assert shown in backward_steps(y).text() and ascii_shown in backward_steps(y).text(
            "python")


def test_explanations_as_structure() -> None:
    import json

    f, w = _typed()
    e = explain(f, w, steps=True)
    d = e.to_dict()
    json.dumps(d)
    assert d["wrt"] == "w" and d["path_count"] == 1 and d["gradient"] == e.gradient
    (path,) = d["paths"]
    assert path["nodes"] == ["f", "n2", "n1", "w"]
    assert path["factors"][0] == {
        "name": "∂f/∂n2", "top": "f", "bottom": "n2", "formula": "f·(1 − f)",
        "latex": r"f \cdot \left(1 - f\right)", "value": path["factors"][0]["value"],
        "steps": 1, "subpaths": 1}
    assert d["sum"] == path["product"] and d["definitions"] == {"n1": "w·x", "n2": "w·x + b"}
    assert e.to_dict("python")["paths"][0]["factors"][0]["formula"] == "f * (1 - f)"
    many = explain(*_halves(12, labelled=True), max_paths=100).to_dict()
    assert not many["listed"] and many["deltas"] and not many["paths"]
    json.dumps(many)
    steps = backward_steps(f).to_dict()
    json.dumps(steps)
    assert steps["steps"][0]["sends"][0] == {
        "input": "n2", "partial": "∂f/∂n2", "formula": "f·(1 − f)",
        "value": steps["steps"][0]["sends"][0]["value"], "adds": steps["steps"][0]["sends"][0][
            "adds"], "grad_so_far": steps["steps"][0]["sends"][0]["grad_so_far"]}
    assert backward_steps(f).rows[0].node == "f"  # the fields the explorer page reads


def test_a_registered_rule_is_explained_from_its_partial_text() -> None:
    from tests.autograd.test_formula import registered_swish

    with registered_swish():
        x = Value(2.0, label="x")
        f = x.swish() + 1.0
        f.label = "f"
        e = explain(f, x)
        assert e.paths[0].factors[0].formula == "σ(x)·(1 + x·(1 − σ(x)))"
        assert e.total == pytest.approx(e.gradient)


def test_a_micrograd_style_user_operation_is_an_opaque_call_with_its_recorded_partials() -> None:
    from tests.user_ops import micrograd_sigmoid

    w, x = Value(2.0, label="w"), Value(0.5, label="x")
    h = micrograd_sigmoid(w * x)
    h.label = "h"
    y = h * 3.0
    y.label = "y"
    e = explain(y, x)
    s = 1.0 / (1.0 + math.exp(-1.0))
    assert [f.symbol() for f in e.paths[0].factors] == ["∂y/∂h", "∂h/∂x"]
    # ∂h/∂x = (the number _backward gave) · w
    assert e.paths[0].factors[1].formula == f"{float(f'{s * (1 - s):.12g}')!r}·w"
    assert e.total == pytest.approx(3.0 * s * (1 - s) * 2.0)
    note = ("sigmoid is a user-defined operation: its local derivatives are the numbers its "
            "_backward gave")
    assert note in e.notes and note in e.text()
    steps = backward_steps(y)
    assert steps.rows[1].definition == "sigmoid(w·x)"  # written as called, not as σ
    assert note in steps.notes
    # An op text that is no name ('+' here) is written user_op(...), the note says which.
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = Value(3.0, (a, b), "+")
    c.label = "c"
    text = explain(c * 2.0, a).text()
    assert "user_op is a user-defined operation (its op text is '+')" in text


def _ascii_words(text: str) -> set[str]:
    """English-looking words of a text: letters only, longer than one (names have digits,
    underscores or one letter)."""
    return {w for w in re.findall(r"[A-Za-z_][A-Za-z0-9_.']*", text)
            if len(w) > 1 and not re.search(r"[\d_]", w)}


NUMBER = re.compile(r"(?<![\w.])[−-]?\d+(?:\.\d+)?(?:e[−+-]?\d+)?")


def test_explanations_speak_chinese_with_the_same_numbers_and_formulas() -> None:
    from autograd.words import WORDS
    from tests.user_ops import micrograd_sigmoid

    net = seed_network()
    w, x = Value(0.5, label="w"), Value(1.5, label="x")
    y = micrograd_sigmoid(w * x) * Value(2.0) + w  # a user op and an unlabelled leaf
    y.label = "y"
    cases = [explain(net.E, net.w["w1"]), explain(net.E, net.w["w1"], max_paths=1), explain(y, w)]
    for e in cases:
        for en, zh in [(e.text(), e.text(lang="zh")), (e.markdown(), e.markdown(lang="zh")),
                       (e.text("python"), e.text("python", lang="zh"))]:
            assert NUMBER.findall(en) == NUMBER.findall(zh)
            for f in [f for p in e.paths for f in p.factors] + [
                    f for d in e.deltas for _, f in d.terms]:
                for formula in (f.formula, f.python_formula):
                    assert formula is None or (formula in en) == (formula in zh)
            assert all(line in zh for line in en.splitlines()
                       if line.startswith("  ∂") or line.startswith("δ("))
            assert _ascii_words(zh) <= {"Value", "label", "sigmoid", "tanh", "_backward"}, zh
    steps = backward_steps(y)
    en, zh = steps.text(), steps.text(lang="zh")
    assert NUMBER.findall(en) == NUMBER.findall(zh)
    assert "∂y/∂节点" in zh and "（叶节点）" in zh and "局部导数" in zh
    assert _ascii_words(zh) <= {"Value", "label", "sigmoid", "_backward"}, zh
    assert "用户自定义的运算" in zh and "没有标签的叶节点" in zh
    assert _ascii_words(steps.markdown(lang="zh")) <= {"Value", "label", "sigmoid"}
    # Every language has every word, with the same blanks.
    for table in WORDS.values():
        assert table.keys() == WORDS["en"].keys()
    with pytest.raises(ValueError, match=r"en, zh.*'fr'"):
        cases[0].text(lang="fr")


def test_chinese_table_columns_line_up_in_a_terminal() -> None:
    from autograd.explain import _width

    w = Value(0.5, label="w")
    y = (w * 2.0).tanh()
    y.label = "y"
    lines = backward_steps(y).text(lang="zh").splitlines()
    rule = lines[1]
    starts = [i for i, ch in enumerate(rule) if ch == "-" and (i == 0 or rule[i - 1] == " ")]
    header = lines[0]
    # The second column's heading starts where the rule's second dash run does, in columns.
    assert _width(header[:header.index("节点")]) == starts[1]


def test_latex_speaks_chinese_too() -> None:
    net = seed_network()
    for e in (explain(net.E, net.w["w1"], max_paths=1), explain(net.E, net.w["w1"])):
        en, zh = e.latex(), e.latex(lang="zh")
        assert NUMBER.findall(en) == NUMBER.findall(zh)
    x = Value(2.0, label="x")
    y = (x * Value(-1.5) + 1.0).tanh() * x
    y.label = "y"
    zh = explain(y, x, steps=True, max_paths=1).latex(lang="zh")
    assert r"\text{其中 }" in zh and "逐节点的形式" in zh and "where" not in zh
