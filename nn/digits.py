"""Handwritten digits: MLP(64, [32, 10]) with softmax cross-entropy, trained by replay.

scikit-learn's bundled 8×8 digits (1,797 images, shipped with scikit-learn, no download): each
image is 64 pixels from 0 to 16, scaled to [0, 1]. A fixed split keeps 20 % for testing. The model
is trained with `nn.fit(..., compiled=True)` (one program per target class, replayed over the
samples), so a few thousand images per epoch take about a second in plain Python.

    python -m nn.digits [--epochs N] [--backend python|numpy] [--plot FILE | --no-plot]

Needs scikit-learn (``pip install 'kuibu[digits]'``); tqdm draws the progress bar and
matplotlib the confusion matrix when they are installed.
"""

from __future__ import annotations

import argparse
import importlib
import random
import sys
import time
from collections.abc import Sequence
from typing import Any

from autograd import no_grad
from nn.losses import softmax_cross_entropy
from nn.modules import MLP
from nn.optim import SGD
from nn.train import fit

__all__ = ["accuracy", "confusion_matrix", "load", "main", "plot_confusion", "run"]

INSTALL_HINT = "pip install 'kuibu[digits]' (scikit-learn)"


def load(test_fraction: float = 0.2, seed: int = 0) -> tuple[
    list[list[float]], list[int], list[list[float]], list[int]
]:
    """(train images, train labels, test images, test labels), pixels scaled to [0, 1]."""
    try:
        datasets = importlib.import_module("sklearn.datasets")
    except ImportError:
        raise ImportError(f"the digits example needs scikit-learn: {INSTALL_HINT}") from None
    digits = datasets.load_digits()
    images = [[float(p) / 16.0 for p in row] for row in digits.data.tolist()]
    labels = [int(t) for t in digits.target.tolist()]
    order = list(range(len(images)))
    random.Random(seed).shuffle(order)
    cut = int(len(order) * (1.0 - test_fraction))
    train, test = order[:cut], order[cut:]
    return ([images[i] for i in train], [labels[i] for i in train],
            [images[i] for i in test], [labels[i] for i in test])


def predict(model: MLP, images: Sequence[Sequence[float]]) -> list[int]:
    """The class with the highest score for each image."""
    predictions = []
    with no_grad():
        for x in images:
            scores = model(x)
            assert isinstance(scores, list)
            data = [s.data for s in scores]
            predictions.append(max(range(len(data)), key=data.__getitem__))
    return predictions


def accuracy(predictions: Sequence[int], labels: Sequence[int]) -> float:
    """The fraction of predictions equal to their labels."""
    return sum(p == t for p, t in zip(predictions, labels, strict=True)) / len(labels)


def confusion_matrix(predictions: Sequence[int], labels: Sequence[int], classes: int = 10) -> list[
    list[int]
]:
    """counts[true][predicted]."""
    counts = [[0] * classes for _ in range(classes)]
    for p, t in zip(predictions, labels, strict=True):
        counts[t][p] += 1
    return counts


def plot_confusion(counts: list[list[int]], path: str) -> None:
    """Draw the confusion matrix to `path` with matplotlib (ImportError if it is missing)."""
    try:
        matplotlib = importlib.import_module("matplotlib")
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install 'kuibu[plot]'") from None
    matplotlib.use("Agg")
    plt = importlib.import_module("matplotlib.pyplot")
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.imshow(counts, cmap="Blues")
    for t, row in enumerate(counts):
        for p, n in enumerate(row):
            if n:
                ax.text(p, t, str(n), ha="center", va="center",
                        color="white" if n > max(map(max, counts)) / 2 else "black")
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.set_xticks(range(len(counts)))
    ax.set_yticks(range(len(counts)))
    ax.set_title("digits: test-set confusion matrix")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def run(
    epochs: int = 20,
    *,
    backend: str = "python",
    lr: float = 0.5,
    batch_size: int = 32,
    seed: int = 0,
    progress: bool | None = None,
) -> dict[str, Any]:
    """Train on the digits and return {"accuracy", "seconds", "confusion", "history", "model"}."""
    train_x, train_y, test_x, test_y = load(seed=seed)
    model = MLP(64, [32, 10], rng=seed)
    start = time.perf_counter()
    history = fit(
        model, train_x, train_y, loss=softmax_cross_entropy,
        optimizer=SGD(model.parameters(), lr=lr), epochs=epochs, batch_size=batch_size,
        rng=seed, progress=progress, compiled=True, backend=backend,
    )
    seconds = time.perf_counter() - start
    predictions = predict(model, test_x)
    return {
        "accuracy": accuracy(predictions, test_y),
        "seconds": seconds,
        "confusion": confusion_matrix(predictions, test_y),
        "history": history,
        "model": model,
    }


def main(argv: list[str] | None = None) -> int:
    """The command line: train, print the accuracy and the confusion matrix, plot it."""
    parser = argparse.ArgumentParser(prog="python -m nn.digits", description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=20, help="passes over the data (20)")
    parser.add_argument("--backend", choices=["python", "numpy"], default="python",
                        help="replay in plain Python (default) or over NumPy arrays")
    parser.add_argument("--plot", default="digits-confusion.png",
                        help="where to draw the confusion matrix (needs matplotlib)")
    parser.add_argument("--no-plot", action="store_true", help="draw nothing")
    args = parser.parse_args(argv)
    try:
        result = run(args.epochs, backend=args.backend)
    except ImportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"MLP(64, [32, 10]), {args.epochs} epochs ({args.backend} replay): "
          f"{result['seconds']:.1f} s, test accuracy {result['accuracy']:.1%}")
    print("confusion matrix (rows: true digit, columns: predicted)")
    for t, row in enumerate(result["confusion"]):
        print(f"  {t}: " + " ".join(f"{n:3d}" for n in row))
    if not args.no_plot:
        try:
            plot_confusion(result["confusion"], args.plot)
            print(f"drew {args.plot}")
        except ImportError as error:
            print(f"(no plot: {error})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
