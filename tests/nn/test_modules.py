"""Neuron, Layer and MLP: shapes, labels, activations, initialisation, weights and gradients."""

from __future__ import annotations

import copy as copy_module
import math
import pickle
import random
from typing import Any

import pytest

from autograd import Value, topological_order
from autograd.check import numerical_gradient
from nn import ACTIVATIONS, MLP, Layer, Neuron


def test_parameter_counts_match_micrograd() -> None:
    assert len(MLP(2, [16, 16, 1], rng=0).parameters()) == 337
    assert len(MLP(3, [4, 4, 1], rng=0).parameters()) == 41
    assert len(Layer(3, 4, rng=0).parameters()) == 16
    assert len(Neuron(5, rng=0).parameters()) == 6


def test_labels_are_index_paths() -> None:
    model = MLP(2, [3, 4, 2], rng=0)
    for i, layer in enumerate(model.layers):
        for j, neuron in enumerate(layer.neurons):
            for k, w in enumerate(neuron.w):
                assert w.label == f"layer{i}.neuron{j}.w{k}"
            assert neuron.b.label == f"layer{i}.neuron{j}.b"
    assert [p.label for p in Layer(2, 2, rng=0).parameters()] == [
        "neuron0.w0", "neuron0.w1", "neuron0.b", "neuron1.w0", "neuron1.w1", "neuron1.b"]
    assert [p.label for p in Neuron(3, rng=0).parameters()] == ["w0", "w1", "w2", "b"]


def test_parameter_order_is_weights_then_bias_per_neuron() -> None:
    model = MLP(2, [3, 1], rng=0)
    expected = [p for layer in model.layers for n in layer.neurons for p in [*n.w, n.b]]
    assert all(a is b for a, b in zip(model.parameters(), expected, strict=True))


def test_calls_label_net_and_out_nodes() -> None:
    model = MLP(2, [2, 1], activation="sigmoid", rng=0)
    out = model([0.3, -0.2])
    assert isinstance(out, Value)
    assert out.label == "layer1.neuron0.out"  # linear: the net input is the output
    labelled = {n.label: n for n in topological_order(out) if n.label}
    hidden = [labelled[f"layer0.neuron{j}.out"] for j in range(2)]
    assert [h.op for h in hidden] == ["sigmoid", "sigmoid"]
    assert [h.parents[0].label for h in hidden] == ["layer0.neuron0.net", "layer0.neuron1.net"]
    assert "layer1.neuron0.net" not in labelled


def test_one_output_gives_a_value_several_give_a_list() -> None:
    assert isinstance(MLP(2, [3, 1], rng=0)([1.0, 2.0]), Value)
    outs = MLP(2, [3, 2], rng=0)([1.0, 2.0])
    assert isinstance(outs, list) and len(outs) == 2
    assert isinstance(Layer(2, 1, rng=0)([1.0, 2.0]), Value)
    assert isinstance(Neuron(2, rng=0)([1.0, 2.0]), Value)


def test_one_neuron_hidden_layer_works() -> None:
    """micrograd's trap: a hidden layer of one neuron returned a bare Value to the next layer."""
    model = MLP(2, [16, 1, 1], rng=0)
    out = model([0.5, -1.0])
    assert isinstance(out, Value)
    out.backward()
    assert any(p.grad != 0.0 for p in model.layers[0].parameters()) or out.data == 0.0


def test_last_layer_linear_and_hidden_activation() -> None:
    model = MLP(2, [3, 3, 1], activation="tanh", rng=0)
    assert [layer.activation for layer in model.layers] == ["tanh", "tanh", "linear"]
    model = MLP(2, [2, 2], activation=["sigmoid", "sigmoid"], rng=0)
    assert [layer.activation for layer in model.layers] == ["sigmoid", "sigmoid"]
    with pytest.raises(ValueError, match="one name per layer: expected 2, got 1"):
        MLP(2, [2, 2], activation=["sigmoid"])


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_each_activation_is_applied(activation: str) -> None:
    n = Neuron.from_weights([0.5, -2.0, 0.1], activation=activation)
    net = 0.5 * 0.4 + -2.0 * 0.3 + 0.1
    expected = {"relu": max(net, 0.0), "leaky_relu": 0.01 * net, "tanh": math.tanh(net),
                "sigmoid": 1.0 / (1.0 + math.exp(-net)), "linear": net}[activation]
    assert n([0.4, 0.3]).data == pytest.approx(expected, abs=1e-15)


def test_nonlin_false_means_linear_and_conflicts_are_refused() -> None:
    assert Neuron(2, nonlin=False, rng=0).activation == "linear"
    assert Layer(2, 2, nonlin=False, rng=0).activation == "linear"
    assert Neuron(2, rng=0).activation == "relu"
    with pytest.raises(ValueError, match="nonlin=False means a linear neuron"):
        Neuron(2, nonlin=False, activation="tanh")
    with pytest.raises(ValueError, match="unknown activation 'softmax'"):
        Layer(2, 2, activation="softmax")


def test_a_seed_is_reproducible_and_leaves_global_random_alone() -> None:
    random.seed(1234)
    state = random.getstate()
    a, b = MLP(2, [4, 1], rng=7), MLP(2, [4, 1], rng=random.Random(7))
    assert a.get_weights() == b.get_weights()
    assert a.get_weights() != MLP(2, [4, 1], rng=8).get_weights()
    Neuron.from_weights([0.5, 0.5, 0.0])  # given weights draw nothing from the global generator
    assert random.getstate() == state
    weights = [w for row in a.layers[0].get_weights() for w in row[:-1]]
    assert all(-1.0 <= w <= 1.0 for w in weights)
    assert all(n.b.data == 0.0 for n in a.layers[0].neurons)


def test_without_rng_weights_come_from_global_random_in_micrograds_order() -> None:
    random.seed(1337)
    model = MLP(2, [3, 2, 1])
    random.seed(1337)
    # micrograd draws uniform(-1, 1) for each weight of each neuron, layer by layer; biases are 0.
    expected = [[[random.uniform(-1, 1) for _ in range(nin)] + [0.0] for _ in range(nout)]
                for nin, nout in ((2, 3), (3, 2), (2, 1))]
    assert model.get_weights() == expected
    assert MLP(2, [3, 2, 1]).get_weights() != expected  # the generator moved on
    random.seed(1337)
    assert Neuron(2).get_weights() == expected[0][0]
    random.seed(1337)
    assert Layer(2, 3).get_weights() == expected[0]


def test_same_weights_as_micrograd_after_the_same_seed() -> None:
    micro_nn = pytest.importorskip("micrograd.nn")
    random.seed(1337)
    theirs = micro_nn.MLP(2, [16, 16, 1])
    random.seed(1337)
    ours = MLP(2, [16, 16, 1])
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]


@pytest.mark.parametrize("make", [
    lambda: Neuron(3, activation="sigmoid", rng=1),
    lambda: Layer(3, 2, activation="tanh", rng=1),
    lambda: MLP(2, [4, 4, 1], rng=1),
    lambda: MLP(2, [3, 2], activation=["leaky_relu", "sigmoid"], rng=1),
])
def test_modules_pickle_and_deepcopy(make: Any) -> None:
    model = make()
    x = [0.3, -0.7, 0.2][: model.architecture()["nin"]]
    out = model(x)
    outputs = [o.data for o in out] if isinstance(out, list) else [out.data]
    for copy in (pickle.loads(pickle.dumps(model)), copy_module.deepcopy(model)):
        assert type(copy) is type(model)
        assert copy.architecture() == model.architecture()
        assert copy.get_weights() == model.get_weights()
        assert [p.label for p in copy.parameters()] == [p.label for p in model.parameters()]
        again = copy(x)
        assert ([o.data for o in again] if isinstance(again, list) else [again.data]) == outputs
        # The copy's parameters are its own: changing them leaves the original alone.
        assert not {id(p) for p in copy.parameters()} & {id(p) for p in model.parameters()}
        before = model.get_weights()
        for p in copy.parameters():
            p.data += 1.0
        assert model.get_weights() == before


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="nin must be at least 1, not 0"):
        Neuron(0)
    with pytest.raises(TypeError, match="nouts\\[1\\] must be an int, not str"):
        MLP(2, [3, "4"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="nouts must be a non-empty list"):
        MLP(2, [])
    with pytest.raises(TypeError, match=r"rng must be a random\.Random, an int seed or None"):
        MLP(2, [1], rng=1.5)  # type: ignore[arg-type]


def test_bad_inputs_are_named() -> None:
    model = MLP(2, [3, 1], rng=0)
    with pytest.raises(ValueError, match="expected 2 inputs, got 3"):
        model([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="inputs\\[1\\] must be a number or a Value, not str"):
        model([1.0, "x"])
    with pytest.raises(TypeError, match="inputs must be a list of 2 numbers"):
        model(1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="inputs must be a list"):
        Neuron(2, rng=0)("ab")


def test_inputs_may_be_values_ints_and_tuples_and_are_not_changed() -> None:
    model = MLP(2, [3, 1], rng=0)
    x = [Value(0.5, label="x0"), 2]
    before = (x[0].data, x[1], len(x))
    out = model(x)
    assert isinstance(out, Value)
    out.backward()
    assert (x[0].data, x[1], len(x)) == before
    assert model(x).data == model((0.5, 2.0)).data


def test_gradients_match_finite_differences() -> None:
    model = MLP(3, [4, 3, 1], activation="tanh", rng=2)
    x = [0.3, -0.7, 1.1]
    out = model(x)
    assert isinstance(out, Value)
    params = model.parameters()
    model.zero_grad()
    out.backward()
    numeric = numerical_gradient(lambda *ps: model(x), params)
    for p, n in zip(params, numeric, strict=True):
        assert p.grad == pytest.approx(n, abs=1e-7), p.label


def test_zero_grad_clears_every_parameter() -> None:
    model = MLP(2, [3, 1], rng=0)
    out = model([1.0, 1.0])
    assert isinstance(out, Value)
    (out * out).backward()
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_weights_round_trip_and_from_weights() -> None:
    model = MLP(2, [3, 2], activation="tanh", rng=5)
    weights = model.get_weights()
    assert [len(layer) for layer in weights] == [3, 2]
    assert [len(row) for row in weights[1]] == [4, 4]
    copy = MLP.from_weights(weights, activation="tanh")
    assert copy.get_weights() == weights
    assert copy.architecture() == model.architecture()
    x = [0.2, -0.4]
    assert [o.data for o in copy(x)] == [o.data for o in model(x)]  # type: ignore[union-attr]
    assert Layer.from_weights([[1.0, 2.0, 3.0]]).get_weights() == [[1.0, 2.0, 3.0]]
    assert Neuron.from_weights([1.0, 2.0]).get_weights() == [1.0, 2.0]


def test_set_weights_keeps_the_value_objects() -> None:
    model = MLP(2, [2, 1], rng=0)
    params = model.parameters()
    new = [[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[7.0, 8.0, 9.0]]]
    model.set_weights(new)
    assert all(a is b for a, b in zip(params, model.parameters(), strict=True))
    assert [p.data for p in params] == [float(k) for k in range(1, 10)]


@pytest.mark.parametrize(("weights", "message"), [
    ([[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]], "expected 2 layers, got 1"),
    ([[[1.0, 2.0, 3.0]], [[7.0, 8.0, 9.0]]], "weights\\[0\\]: expected 2 rows"),
    ([[[1.0, 2.0], [4.0, 5.0, 6.0]], [[7.0, 8.0, 9.0]]],
     "weights\\[0\\]\\[0\\]: expected 3 numbers"),
    ([[[1.0, 2.0, 3.0], [4.0, "5", 6.0]], [[7.0, 8.0, 9.0]]],
     "weights\\[0\\]\\[1\\]\\[1\\]: expected a number, got str"),
    ([[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[7.0, math.nan, 9.0]]],
     "weights\\[1\\]\\[0\\]\\[1\\]: expected a finite number"),
    ([[[1.0, 2.0, 3.0], [4.0, 5.0, True]], [[7.0, 8.0, 9.0]]], "got bool"),
])
def test_set_weights_refuses_and_changes_nothing(weights: object, message: str) -> None:
    model = MLP(2, [2, 1], rng=0)
    before = model.get_weights()
    with pytest.raises((TypeError, ValueError), match=message):
        model.set_weights(weights)
    assert model.get_weights() == before


def test_micrograd_gives_the_same_outputs_and_gradients() -> None:
    micrograd = pytest.importorskip("micrograd.nn")
    ours = MLP(3, [4, 4, 1], rng=3)
    theirs = micrograd.MLP(3, [4, 4, 1])
    assert len(theirs.parameters()) == len(ours.parameters())
    for p, q in zip(theirs.parameters(), ours.parameters(), strict=True):
        p.data = q.data
    x = [0.5, -0.25, 2.0]
    a, b = ours(x), theirs(x)
    assert isinstance(a, Value)
    assert a.data == pytest.approx(b.data, abs=1e-12)
    a.backward()
    b.backward()
    for p, q in zip(theirs.parameters(), ours.parameters(), strict=True):
        assert q.grad == pytest.approx(p.grad, abs=1e-12), q.label
