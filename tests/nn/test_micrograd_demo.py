"""micrograd's demo notebook on kuibu: the same seed builds the same network, which then follows
micrograd's losses step by step.

The demo seeds Python's and NumPy's generators with 1337, makes 100 points with scikit-learn's
``make_moons(noise=0.1)``, builds ``MLP(2, [16, 16, 1])`` and takes 100 steps of gradient descent
on the mean max-margin loss plus 1e-4·Σp², with the learning rate falling from 1.0 by 0.009 a
step. The loop below is written for these tests in the demo's shape (Values as inputs, sums
started from 0, the mean taken as a product), so the same code runs on either engine.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from autograd import Value
from nn import MLP

#: micrograd 0.1.0's total loss at each of the demo's 100 steps (before each update), recorded by
#: running the loop below on micrograd with the demo's data; step 0 is the notebook's printed
#: 0.8958441028683222.
MICROGRAD_LOSSES = [
    0.8958441028683222, 1.7235905336972022, 0.742900631385113, 0.7705641260584202,
    0.3692793385976538, 0.313545481918522, 0.2814234349772434, 0.26888733313983904,
    0.2567147286057416, 0.27048625516379227, 0.2450702385365804, 0.25099055297915035,
    0.21560951851922946, 0.23090378446402735, 0.20152151227899437, 0.2257450627928223,
    0.194479875962041, 0.21089496199246371, 0.159830773563036, 0.18453748746883933,
    0.1897752285608763, 0.19072704042579652, 0.11733695088756481, 0.1217352440823246,
    0.12615712612770447, 0.1604909778080168, 0.18747197705245786, 0.1674183789105942,
    0.09586583491455397, 0.08778783707420904, 0.11731297569011864, 0.09340146460619825,
    0.12454454903103462, 0.07984002652777264, 0.07727519232921677, 0.07661250143094474,
    0.10610492379198379, 0.09062808429265959, 0.10671887043036939, 0.05225659921975848,
    0.06016009895234452, 0.08596724533333955, 0.051121079431795904, 0.05240142401642829,
    0.04530684179001568, 0.072110733706551, 0.0333423865131023, 0.031432227957511216,
    0.036585367471115106, 0.04829139382390297, 0.09875114765619646, 0.05449063965875444,
    0.033926794357082964, 0.05261517263568444, 0.03250295251424923, 0.028883273872078168,
    0.04139151104027246, 0.018987407426128467, 0.025238335238837426, 0.020796565213418917,
    0.03259711157810235, 0.017863351693480238, 0.023008717832211763, 0.022079325463581406,
    0.029432917853529757, 0.016251514644091858, 0.028468534483264522, 0.01399436554620874,
    0.015552344843651322, 0.033891199461601754, 0.014229870065926922, 0.013255281583285506,
    0.012300277590022078, 0.012676052498355905, 0.02059381195595482, 0.011845398205364453,
    0.016012697472882982, 0.02545836023922216, 0.014382930289661911, 0.011698962425817997,
    0.012318500800515775, 0.014121117031464235, 0.011664591962446227, 0.011589314549188724,
    0.010990299347735228, 0.010989226720691612, 0.010988193757655073, 0.010987200447388705,
    0.010986246779084925, 0.010985332742365276, 0.010984458327280174, 0.010983623524308865,
    0.010982828324359071, 0.010982072718767005, 0.010981356699297043, 0.010980680258141725,
    0.010980043387921508, 0.010979446081684675, 0.010978888332907227, 0.010978370135492717,
]


def _demo_data() -> tuple[list[list[float]], list[int]]:
    np = pytest.importorskip("numpy")
    datasets = pytest.importorskip("sklearn.datasets", reason="the demo's data need scikit-learn")
    np.random.seed(1337)
    X, y = datasets.make_moons(n_samples=100, noise=0.1)
    return X.tolist(), [int(label) * 2 - 1 for label in y]


def _demo_loss(model: Any, value: Any, X: list[list[float]], y: list[int]) -> tuple[Any, float]:
    """(total loss, accuracy) as the demo computes them, for either engine's Value and MLP."""
    scores = [model([value(a) for a in row]) for row in X]
    margins = [(1 + -label * score).relu() for label, score in zip(y, scores, strict=True)]
    data_loss = sum(margins) * (1.0 / len(margins))
    penalty = 1e-4 * sum(p * p for p in model.parameters())
    correct = [(label > 0) == (score.data > 0) for label, score in zip(y, scores, strict=True)]
    return data_loss + penalty, sum(correct) / len(correct)


def _demo_run(value: Any, mlp: Any, steps: int) -> tuple[list[float], float]:
    """The demo's losses over `steps` steps from random.seed(1337), and the last accuracy."""
    X, y = _demo_data()
    random.seed(1337)
    model = mlp(2, [16, 16, 1])
    losses: list[float] = []
    accuracy = 0.0
    for k in range(steps):
        loss, accuracy = _demo_loss(model, value, X, y)
        model.zero_grad()
        loss.backward()
        rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= rate * p.grad
        losses.append(float(loss.data))
    return losses, accuracy


def test_step_zero_is_micrograds_loss() -> None:
    losses, accuracy = _demo_run(Value, MLP, 1)
    assert losses == [0.8958441028683222] == MICROGRAD_LOSSES[:1]
    assert accuracy == 0.5  # the notebook prints 0.5 before training


@pytest.mark.slow
def test_the_hundred_steps_follow_micrograds_losses() -> None:
    losses, accuracy = _demo_run(Value, MLP, 100)
    assert len(MICROGRAD_LOSSES) == 100
    # Rounding only: kuibu adds a neuron's bias last and micrograd first, and the backward sweeps
    # add gradients in different orders (micrograd's own runs differ in the last bits, as its
    # graph keeps each node's inputs in a set); the losses have agreed to within 3e-16.
    assert max(abs(a - b) for a, b in zip(losses, MICROGRAD_LOSSES, strict=True)) < 1e-12
    assert accuracy == 1.0


@pytest.mark.slow
def test_side_by_side_with_micrograd() -> None:
    engine = pytest.importorskip("micrograd.engine")
    micro_nn = pytest.importorskip("micrograd.nn")
    theirs, _ = _demo_run(engine.Value, micro_nn.MLP, 3)
    ours, _ = _demo_run(Value, MLP, 3)
    assert theirs == pytest.approx(MICROGRAD_LOSSES[:3], abs=1e-12, rel=0)
    assert ours[0] == theirs[0] and ours == pytest.approx(theirs, abs=1e-12, rel=0)
