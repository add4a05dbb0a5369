"""Training plots saved as PNG: the loss curve, and a two-input classifier's decision regions.

matplotlib is optional (``pip install 'kuibu[plot]'``) and imported only when a plot is made.
Figures are made with `matplotlib.figure.Figure` and its Agg canvas, not pyplot, so plotting
works without a display and never changes the backend or the figures of the caller's session.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from autograd import Value, no_grad

__all__ = ["plot_decision_boundary", "plot_loss"]

_INSTALL = "pip install 'kuibu[plot]'"


def _figure(caller: str, width: float, height: float) -> Any:
    """A new matplotlib Figure with an Agg canvas, or an ImportError saying how to install it."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(
            f"{caller} needs matplotlib, which is not installed: {_INSTALL} "
            "(or pip install matplotlib)"
        ) from error
    figure = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(figure)
    return figure


def _number(x: object, where: str) -> float:
    """x (a number or a Value) as a float, or a TypeError naming where and what it was."""
    if isinstance(x, Value):
        return x.data
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError(f"{where} must be a number or a Value, not {type(x).__name__}: {x!r}")
    return float(x)


def _curves(history: object) -> dict[str, list[float]]:
    """A history as named curves: a sequence of numbers/Values, of dicts with a "loss" key, or a
    mapping from names to sequences."""
    if isinstance(history, Mapping):
        return {
            str(name): [_number(x, f"plot_loss: history[{name!r}][{i}]")
                        for i, x in enumerate(values)]
            for name, values in history.items()
        }
    if isinstance(history, (str, bytes)) or not isinstance(history, Sequence):
        raise TypeError(
            "plot_loss: history must be a sequence of losses (numbers or Values), of dicts with "
            f"a 'loss' key, or a dict of such sequences, not {type(history).__name__}"
        )
    losses = []
    for i, item in enumerate(history):
        if isinstance(item, Mapping):
            if "loss" not in item:
                raise ValueError(
                    f"plot_loss: history[{i}] has no 'loss' key (keys: {sorted(item)})"
                )
            item = item["loss"]
        losses.append(_number(item, f"plot_loss: history[{i}]"))
    return {"loss": losses}


def plot_loss(
    history: Sequence[float | Value] | Sequence[Mapping[str, Any]] | Mapping[str, Sequence[Any]],
    path: str | os.PathLike[str],
    *,
    log_scale: bool = False,
    title: str = "Training loss",
) -> Path:
    """Save the loss curve of a training history as a PNG at `path`; return the path.

    `history` is one loss per step (numbers or Values), one dict per step with a ``"loss"`` key,
    or a dict of named curves (``{"train": [...], "test": [...]}``). `log_scale` puts the losses
    on a logarithmic axis (they must then be positive).
    """
    curves = _curves(history)
    if not curves or all(not values for values in curves.values()):
        raise ValueError("plot_loss: the history is empty: there is no loss to plot")
    if log_scale:
        for name, values in curves.items():
            bad = [v for v in values if not v > 0.0]
            if bad:
                raise ValueError(
                    f"plot_loss: log_scale needs positive losses, but {name!r} has {bad[0]}"
                )
    figure = _figure("plot_loss", 6.0, 4.0)
    axes = figure.add_subplot()
    for name, values in curves.items():
        axes.plot(range(len(values)), values, label=name, linewidth=1.5)
    if log_scale:
        axes.set_yscale("log")
    axes.set_xlabel("step")
    axes.set_ylabel("loss")
    axes.set_title(title)
    axes.grid(True, alpha=0.3)
    if len(curves) > 1:
        axes.legend()
    return _save(figure, path)


def _score(model: Callable[[list[float]], Any], point: list[float]) -> float:
    """The model's output at a point as a float: a Value, a list whose first item is a Value, or
    a number."""
    out = model(point)
    if isinstance(out, (list, tuple)):
        if not out:
            raise ValueError(f"plot_decision_boundary: model({point}) returned an empty list")
        out = out[0]
    return _number(out, f"plot_decision_boundary: model({point})")


def plot_decision_boundary(
    model: Callable[[list[float]], Any],
    points: Sequence[Sequence[float]],
    labels: Sequence[float],
    path: str | os.PathLike[str],
    *,
    threshold: float | None = None,
    resolution: int = 60,
    title: str = "Decision boundary",
) -> Path:
    """Save a two-input classifier's regions and its data points as a PNG at `path`.

    `model` maps a list of 2 floats to a Value (or a list whose first item is one), as an nn
    network does; it is evaluated under `no_grad` on a `resolution` × `resolution` grid
    covering the points. A point is in the positive class where the output exceeds
    `threshold`: 0.5 when every label is 0 or 1, otherwise 0 (labels of -1 and 1, as in
    micrograd's demo).
    """
    if len(points) != len(labels):
        raise ValueError(
            f"plot_decision_boundary: {len(points)} points but {len(labels)} labels"
        )
    if not points:
        raise ValueError("plot_decision_boundary: there are no points to plot")
    xy: list[tuple[float, float]] = []
    for i, p in enumerate(points):
        if len(p) != 2:
            raise ValueError(
                f"plot_decision_boundary: points[{i}] = {p!r} has {len(p)} coordinates, not 2"
            )
        xy.append((_number(p[0], f"points[{i}][0]"), _number(p[1], f"points[{i}][1]")))
    ys = [_number(y, f"plot_decision_boundary: labels[{i}]") for i, y in enumerate(labels)]
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(
            f"plot_decision_boundary: resolution must be an int of at least 2, not {resolution!r}"
        )
    if threshold is None:
        threshold = 0.5 if all(y in (0.0, 1.0) for y in ys) else 0.0

    xs0, xs1 = [p[0] for p in xy], [p[1] for p in xy]
    grid0 = _axis(min(xs0), max(xs0), resolution)
    grid1 = _axis(min(xs1), max(xs1), resolution)
    with no_grad():  # no graph: the grid is only evaluated
        scores = [[_score(model, [a, b]) for a in grid0] for b in grid1]
    # contourf leaves nan cells blank, while an inf would stretch the colour levels
    scores = [[s if math.isfinite(s) else math.nan for s in row] for row in scores]

    figure = _figure("plot_decision_boundary", 6.0, 5.0)
    axes = figure.add_subplot()
    finite = [s for row in scores for s in row if math.isfinite(s)]
    low = min([*finite, threshold]) - 1.0
    high = max([*finite, threshold]) + 1.0
    axes.contourf(grid0, grid1, scores, levels=[low, threshold, high],
                  colors=["#f4cccc", "#cfe2f3"], alpha=0.8)
    if low < threshold < high and any(s > threshold for s in finite) and any(
        s <= threshold for s in finite
    ):
        axes.contour(grid0, grid1, scores, levels=[threshold], colors="#333333",
                     linewidths=1.0)
    positive = [p for p, y in zip(xy, ys, strict=True) if y > threshold]
    negative = [p for p, y in zip(xy, ys, strict=True) if not y > threshold]
    for group, colour, name in ((negative, "#c0392b", "negative"),
                                (positive, "#1f5fa8", "positive")):
        if group:
            axes.scatter([p[0] for p in group], [p[1] for p in group], c=colour, s=18,
                         edgecolors="white", linewidths=0.5, label=name)
    axes.set_xlim(grid0[0], grid0[-1])
    axes.set_ylim(grid1[0], grid1[-1])
    axes.set_title(title)
    axes.legend(loc="upper right", fontsize=8)
    return _save(figure, path)


def _axis(low: float, high: float, n: int) -> list[float]:
    """n evenly spaced numbers covering [low, high] with a margin of a tenth on each side."""
    span = high - low
    margin = 0.1 * span if span > 0 else 1.0
    start, stop = low - margin, high + margin
    return [start + (stop - start) * k / (n - 1) for k in range(n)]


def _save(figure: Any, path: str | os.PathLike[str]) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(target, format="png")
    return target
