"""The worked example's 2-2-2 logistic network: the engine against hand formulas, and every
published figure checked."""

from __future__ import annotations

import io

import pytest

from autograd import Value
from autograd.check import numerical_gradient
from nn import MLP, examples
from nn.examples import PUBLISHED, hand_gradients, published_schedule, run_worked_example


@pytest.fixture(scope="module")
def result() -> examples.WorkedExample:
    return run_worked_example(out=io.StringIO(), train_steps=10000)


def test_engine_agrees_with_the_hand_formulas(result: examples.WorkedExample) -> None:
    assert set(result.gradients) == {f"w{k}" for k in range(1, 9)} | {"b1", "b2"}
    for name, (engine, hand) in result.gradients.items():
        assert abs(engine - hand) <= 1e-12, name
    assert result.max_difference <= 1e-12


def test_engine_agrees_with_finite_differences() -> None:
    params = examples.build()
    order = list(params.values())
    examples.forward(params)["E"].backward()
    numeric = numerical_gradient(lambda *ps: examples.forward(params)["E"], order)
    for p, n in zip(order, numeric, strict=True):
        assert p.grad == pytest.approx(n, abs=1e-9), p.label


def test_hand_formulas_are_not_the_engine() -> None:
    """The hand formulas must be able to disagree: a wrong weight changes only the hand side."""
    params = examples.build()
    nodes = examples.forward(params)
    values = {k: v.data for k, v in nodes.items()}
    weights = {k: v.data for k, v in params.items()}
    weights["w5"] += 0.1
    assert hand_gradients(weights, values)["w1"] != pytest.approx(
        hand_gradients({k: v.data for k, v in params.items()}, values)["w1"], abs=1e-12)


@pytest.mark.parametrize("name", ["net_h1", "out_h1", "out_h2", "net_o1", "out_o1", "out_o2", "E"])
def test_forward_pass_matches_the_published_figures(
    result: examples.WorkedExample, name: str
) -> None:
    assert result.forward[name] == pytest.approx(PUBLISHED[name], abs=6e-9)


def test_published_gradients_and_updated_weights(result: examples.WorkedExample) -> None:
    assert result.gradients["w5"][0] == pytest.approx(PUBLISHED["dE/dw5"], abs=6e-10)
    assert result.gradients["w1"][0] == pytest.approx(PUBLISHED["dE/dw1"], abs=6e-10)
    for k in range(1, 9):
        assert result.updated[f"w{k}"] == pytest.approx(PUBLISHED[f"w{k}+"], abs=6e-9), k


def test_node_labels_use_the_derivations_words() -> None:
    params = examples.build()
    nodes = examples.forward(params)
    assert {p.label for p in params.values()} == {f"w{k}" for k in range(1, 9)} | {"b1", "b2"}
    assert all(node.label == name for name, node in nodes.items())
    assert nodes["out_h1"].parents[0] is nodes["net_h1"]


def test_later_published_figures_need_the_posts_schedule() -> None:
    """Exact gradient descent does not give the post's E after a step; its own schedule does."""
    exact = run_worked_example(out=io.StringIO(), train_steps=1, update_biases=False)
    assert exact.E_after_step == pytest.approx(0.291027774, abs=6e-10)
    assert exact.E_after_step != pytest.approx(PUBLISHED["E after 1 step"], abs=1e-8)
    assert published_schedule(1)[0] == pytest.approx(PUBLISHED["E after 1 step"], abs=6e-10)
    error, o1, o2 = published_schedule(10000)
    assert o1 == pytest.approx(PUBLISHED["out_o1 after 10000 steps"], abs=6e-10)
    assert o2 == pytest.approx(PUBLISHED["out_o2 after 10000 steps"], abs=6e-10)
    assert error == pytest.approx(3.50848e-05, rel=1e-5)


def test_the_published_final_error_contradicts_the_published_outputs() -> None:
    """½Σ(target − out)² of the post's final outputs is 0.0000350848, not its 0.0000351085."""
    o1, o2 = PUBLISHED["out_o1 after 10000 steps"], PUBLISHED["out_o2 after 10000 steps"]
    t1, t2 = examples.TARGETS
    implied = 0.5 * ((t1 - o1) ** 2 + (t2 - o2) ** 2)
    assert implied == pytest.approx(3.50848e-05, rel=1e-5)
    assert abs(implied - PUBLISHED["E after 10000 steps"]) > 2e-8
    exact = run_worked_example(out=io.StringIO(), train_steps=10000, update_biases=False)
    assert exact.E_final == pytest.approx(3.510188e-05, rel=1e-6)  # matches neither digit string
    assert exact.E_final != pytest.approx(PUBLISHED["E after 10000 steps"], rel=1e-4)


def test_training_brings_the_error_down(result: examples.WorkedExample) -> None:
    assert result.E_after_step == pytest.approx(0.285750887, abs=6e-10)
    assert result.E_final == pytest.approx(4.355321e-06, rel=1e-6)
    assert result.E_final < result.E_after_step < result.forward["E"]
    fixed = run_worked_example(out=io.StringIO(), train_steps=10000, update_biases=False)
    assert fixed.E_final == pytest.approx(3.510188e-05, rel=1e-6)
    assert fixed.updated["b1"] == 0.35 and fixed.updated["b2"] == 0.60


def test_an_mlp_with_the_same_weights_gives_the_same_numbers() -> None:
    """nn's MLP has a bias per neuron; with equal biases it is the post's network."""
    model = MLP.from_weights(
        [[[0.15, 0.20, 0.35], [0.25, 0.30, 0.35]], [[0.40, 0.45, 0.60], [0.50, 0.55, 0.60]]],
        activation=["sigmoid", "sigmoid"])
    outs = model(list(examples.INPUTS))
    assert isinstance(outs, list)
    from nn import squared_error
    E = squared_error(outs, list(examples.TARGETS))
    E.backward()
    params = examples.build()
    examples.forward(params)["E"].backward()
    hidden, output = model.layers
    assert hidden.neurons[0].w[0].grad == pytest.approx(params["w1"].grad, abs=1e-15)
    assert output.neurons[1].w[1].grad == pytest.approx(params["w8"].grad, abs=1e-15)
    assert output.neurons[0].b.grad + output.neurons[1].b.grad == pytest.approx(
        params["b2"].grad, abs=1e-15)


def test_printed_output_shows_every_figure() -> None:
    stream = io.StringIO()
    result = run_worked_example(out=stream, train_steps=3)
    text = stream.getvalue()
    assert "Mazur" in text and "all agree to 1e-12: yes" in text
    for name in ("net_h1", "out_o2", "E", "w8", "b2", "δ_o1·out_h1"):
        assert name in text
    assert f"{result.updated['w5']:.9f}" in text
    assert "After 3 steps" in text


def test_main_runs_and_validates_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert examples.main(["--steps", "2", "--fixed-biases"]) == 0
    assert "biases fixed" in capsys.readouterr().out
    with pytest.raises(ValueError, match="train_steps must be an int >= 1"):
        run_worked_example(out=io.StringIO(), train_steps=0)


def test_values_are_fresh_each_run() -> None:
    a, b = examples.build(), examples.build()
    assert all(isinstance(v, Value) and v is not b[k] for k, v in a.items())


def test_the_published_schedule_reproduces_the_posts_numbers_when_asked() -> None:
    out = io.StringIO()
    posts = run_worked_example(out=out, train_steps=50, schedule="published")
    assert posts.E_after_step == pytest.approx(PUBLISHED["E after 1 step"], abs=6e-10)
    assert (posts.E_final, *posts.outputs_final) == pytest.approx(published_schedule(50))
    assert posts.update_biases is False and posts.schedule == "published"
    assert "(published 0.291027924)" in out.getvalue()
    with pytest.raises(ValueError, match="schedule"):
        run_worked_example(out=io.StringIO(), train_steps=1, schedule="fast")  # type: ignore[arg-type]


def test_the_exact_run_says_in_one_line_how_it_differs_from_the_post() -> None:
    out = io.StringIO()
    run_worked_example(out=out, train_steps=1)
    (note,) = [line for line in out.getvalue().splitlines() if "0.291027924" in line]
    assert "biases" in note and "--fixed-biases" in note


def test_fixed_biases_on_the_command_line_follows_the_post(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert examples.main(["--steps", "2", "--fixed-biases"]) == 0
    assert "gives E = 0.291027924 (published 0.291027924)" in capsys.readouterr().out
