"""kuibu's neural networks: neurons, layers, MLPs, a small GPT, losses, optimizers and training.

Built only on autograd's public names. The modules are micrograd's (same attributes, same
parameter order), with labelled parameters, a choice of activation, initial weights from the
global `random` as micrograd draws them (or from a generator of their own), pickling, and safe
JSON model files.

>>> from nn import MLP, SGD, datasets, hinge
>>> X, y = datasets.moons(20, noise=0.1, seed=0, labels=(-1, 1))
>>> model = MLP(2, [8, 8, 1], rng=0)
>>> opt = SGD(model.parameters(), lr=0.05)
>>> loss = hinge([model(x) for x in X], y)
>>> loss.label
'loss'
>>> opt.zero_grad(); loss.backward(); opt.step()
"""

from nn import datasets
from nn.activations import ACTIVATIONS
from nn.article import ArticleNetwork, article_network
from nn.losses import (
    LOSSES,
    bce_with_logits,
    binary_cross_entropy,
    hinge,
    l2,
    mse,
    softmax_cross_entropy,
    squared_error,
)
from nn.modules import MLP, Layer, Module, Neuron, load
from nn.optim import SGD, Adam, Optimizer
from nn.saving import ModelFileError
from nn.train import TrainingDivergedError, fit
from nn.transformer import GPT

__all__ = [
    "ACTIVATIONS",
    "GPT",
    "LOSSES",
    "MLP",
    "SGD",
    "Adam",
    "ArticleNetwork",
    "Layer",
    "ModelFileError",
    "Module",
    "Neuron",
    "Optimizer",
    "TrainingDivergedError",
    "article_network",
    "bce_with_logits",
    "binary_cross_entropy",
    "datasets",
    "fit",
    "hinge",
    "l2",
    "load",
    "mse",
    "softmax_cross_entropy",
    "squared_error",
]
