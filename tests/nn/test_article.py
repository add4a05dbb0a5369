"""The article's own network: its gradients against finite differences, PyTorch and the article's
hand formulas; its names; and the report the demo prints."""

from __future__ import annotations

import io
import math

import pytest

from autograd import explain
from autograd.check import numerical_gradient
from nn import article_network
from nn.article import (
    DELTAS,
    FORMULAS,
    LEARNING_RATE,
    PARAMETERS,
    hand_gradients,
    run_article_example,
)


def _by_the_article(v: dict[str, float]) -> dict[str, float]:
    """The article's derivation typed out again in Python, apart from the formula texts."""
    d4 = -(v["t4"] - v["out4"]) * v["out4"] * (1 - v["out4"])
    d5 = -(v["t5"] - v["out5"]) * v["out5"] * (1 - v["out5"])
    d2 = (d4 * v["W24"] + d5 * v["W25"]) * v["out2"] * (1 - v["out2"])
    d3 = (d4 * v["W34"] + d5 * v["W35"]) * v["out3"] * (1 - v["out3"])
    return {"W12": d2 * v["out1"], "W13": d3 * v["out1"], "W24": d4 * v["out2"],
            "W25": d5 * v["out2"], "W34": d4 * v["out3"], "W35": d5 * v["out3"],
            "b2": d2, "b3": d3, "b4": d4, "b5": d5}


def test_the_forward_pass_is_the_articles_neuron() -> None:
    net = article_network()
    v = net.values()

    def sigma(x: float) -> float:
        return 1 / (1 + math.exp(-x))

    assert v["net2"] == v["W12"] * v["out1"] + v["b2"]
    assert v["out4"] == pytest.approx(sigma(v["W24"] * v["out2"] + v["W34"] * v["out3"] + v["b4"]),
                                      abs=1e-15)
    assert v["E"] == pytest.approx(0.5 * (v["t4"] - v["out4"]) ** 2
                                   + 0.5 * (v["t5"] - v["out5"]) ** 2, abs=1e-15)


def test_gradients_agree_with_finite_differences() -> None:
    net = article_network()
    net.E.backward()
    order = [net.parameters[name] for name in PARAMETERS] + [net.out1, *net.targets.values()]
    numeric = numerical_gradient(lambda *_: net.forward(), order)
    for p, n in zip(order, numeric, strict=True):
        assert p.grad == pytest.approx(n, abs=1e-9), p.label


def test_gradients_agree_with_the_hand_formulas_at_several_points() -> None:
    """At the chosen numbers and at other ones: the formula texts, the article's derivation
    typed in Python and the engine all give the same ∂E/∂p."""
    points = [{}, {"W24": -1.3, "W25": 2.0, "b4": 0.7},
              {"W12": 2.5, "W13": 1.5, "W34": -0.8, "W35": -2.2, "b2": -1.0, "b5": -0.6}]
    for weights in points:
        net = article_network(weights={k: v for k, v in weights.items() if k.startswith("W")},
                              biases={k: v for k, v in weights.items() if k.startswith("b")},
                              out1=0.9 if weights else 0.5, targets={"t4": 0.2} if weights else {})
        net.E.backward()
        values = net.values()
        hand, typed = hand_gradients(values), _by_the_article(values)
        assert hand.keys() == typed.keys() == set(PARAMETERS)
        for name in PARAMETERS:
            assert net.parameters[name].grad == pytest.approx(hand[name], abs=1e-15), name
            assert hand[name] == pytest.approx(typed[name], abs=1e-15), name


def test_a_hand_formula_can_disagree() -> None:
    """The formulas read the forward pass's numbers, not the engine's gradients: a wrong weight
    changes the hand side only."""
    net = article_network()
    net.E.backward()
    values = net.values()
    values["W24"] += 0.1
    assert hand_gradients(values)["W12"] != pytest.approx(net.parameters["W12"].grad, abs=1e-6)
    assert hand_gradients(values)["W24"] == pytest.approx(net.parameters["W24"].grad, abs=1e-15)


def test_gradients_agree_with_pytorch() -> None:
    torch = pytest.importorskip("torch")
    net = article_network()
    net.E.backward()
    v = net.values()
    t = {name: torch.tensor(v[name], dtype=torch.float64, requires_grad=True)
         for name in PARAMETERS}
    out1 = torch.tensor(v["out1"], dtype=torch.float64)
    out2 = torch.sigmoid(t["W12"] * out1 + t["b2"])
    out3 = torch.sigmoid(t["W13"] * out1 + t["b3"])
    out4 = torch.sigmoid(t["W24"] * out2 + t["W34"] * out3 + t["b4"])
    out5 = torch.sigmoid(t["W25"] * out2 + t["W35"] * out3 + t["b5"])
    loss = 0.5 * (v["t4"] - out4) ** 2 + 0.5 * (v["t5"] - out5) ** 2
    loss.backward()
    assert loss.item() == pytest.approx(v["E"], abs=1e-15)
    for name in PARAMETERS:
        assert net.parameters[name].grad == pytest.approx(t[name].grad.item(), abs=1e-15), name


def test_one_path_for_W24_and_W25_two_summed_for_W12() -> None:
    net = article_network()
    net.E.backward()
    paths = {name: [list(p.nodes) for p in explain(net.E, net[name]).paths]
             for name in ("W24", "W25", "W12")}
    assert paths["W24"] == [["E", "out4", "net4", "W24"]]
    assert paths["W25"] == [["E", "out5", "net5", "W25"]]
    assert paths["W12"] == [["E", "out4", "net4", "out2", "net2", "W12"],
                            ["E", "out5", "net5", "out2", "net2", "W12"]]
    products = [p.product for p in explain(net.E, net["W12"]).paths]
    assert sum(products) == pytest.approx(net["W12"].grad, abs=1e-15)


def test_every_value_carries_the_articles_name() -> None:
    net = article_network()
    assert net.out1.label == "out1"
    assert [t.label for t in net.targets.values()] == ["t4", "t5"]
    assert [p.label for p in net.parameters.values()] == list(PARAMETERS)
    assert all(node.label == name for name, node in net.nodes.items())
    assert net["out2"].parents == (net["net2"],)
    assert set(net["net4"].parents) == {net["W24"], net["out2"], net["W34"], net["out3"],
                                        net["b4"]}
    with pytest.raises(KeyError, match=r"no 'W14'.*out1, t4"):
        net["W14"]


def test_numbers_can_be_given_and_bad_ones_are_named() -> None:
    net = article_network(out1=1.0, weights={"W12": 0.0})
    assert net["W12"].data == 0.0 and net["W13"].data == -0.2 and net.out1.data == 1.0
    with pytest.raises(ValueError, match="weights has no W14; its names are W12"):
        article_network(weights={"W14": 1.0})
    with pytest.raises(ValueError, match="b2 must be a finite number, not nan"):
        article_network(biases={"b2": math.nan})
    with pytest.raises(ValueError, match="out1 must be a finite number, not '1'"):
        article_network(out1="1")  # type: ignore[arg-type]


def test_every_hand_formula_uses_the_articles_symbols_only() -> None:
    from autograd.formula import parse

    symbols = {"out1", "t4", "t5", *PARAMETERS, *(f"{k}{j}" for k in ("out", "net")
                                                  for j in range(2, 6)), *DELTAS}
    for text in (*DELTAS.values(), *FORMULAS.values()):
        assert parse(text).names <= symbols, text


def test_the_report_shows_the_articles_steps_in_its_order() -> None:
    out = io.StringIO()
    result = run_article_example(out=out)
    text = out.getvalue()
    assert text.startswith("The article's network: input neuron 1")
    assert "figures" in text and "lost" in text and "one input neuron" in text
    # W24 and W25 one path each, then W12 with two: in the article's order.
    order = [text.index(f"∂E/∂{name}: one path") for name in ("W24", "W25")]
    order.append(text.index("∂E/∂W12, the troublesome one: 2 paths"))
    assert order == sorted(order)
    for name in ("W24", "W25", "W12"):
        engine, hand = result.gradients[name]
        assert f"∂E/∂{name} = {FORMULAS[name]}\n                  = {hand:.12f}" in text
        assert f"engine  ∂E/∂{name} = {engine:.12f}" in text
    assert "all 10 agree to 1e-12: yes" in text and result.max_difference <= 1e-12
    assert "path 2 of 2: E → out5 → net5 → out2 → net2 → W12" in text


def test_one_update_is_w_minus_lr_delta_w() -> None:
    result = run_article_example(out=io.StringIO())
    for name in PARAMETERS:
        before, (engine, _) = result.forward[name], result.gradients[name]
        assert result.updated[name] == before - LEARNING_RATE * engine
    assert result.E_after_step < result.forward["E"]
    assert result.steps == 1 and result.E_final == result.E_after_step


def test_more_updates_bring_e_down_and_bad_arguments_are_refused() -> None:
    out = io.StringIO()
    result = run_article_example(out=out, steps=50)
    assert result.E_final < result.E_after_step
    assert f"After 50 updates: E = {result.E_final:.10g}" in out.getvalue()
    with pytest.raises(ValueError, match="steps must be an int >= 1, not 0"):
        run_article_example(out=io.StringIO(), steps=0)
    with pytest.raises(ValueError, match="no parameter 'w5'"):
        run_article_example(out=io.StringIO(), explain_weights=("w5",))
