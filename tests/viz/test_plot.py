"""plot_loss and plot_decision_boundary write PNGs that show what they should; a clear message
when matplotlib is missing."""

from __future__ import annotations

import math
import random
import subprocess
import sys
from pathlib import Path

import pytest

from autograd import Value
from tests.viz.graphs import mlp
from viz import plot_decision_boundary, plot_loss

image = pytest.importorskip("matplotlib.image", reason="the plot extra is not installed")


def pixels(path: Path) -> list[list[tuple[float, float, float]]]:
    data = image.imread(path)
    return [[tuple(float(c) for c in px[:3]) for px in row] for row in data]  # type: ignore[misc]


def test_plot_loss_writes_a_png(tmp_path: Path) -> None:
    history = [math.exp(-k / 20) for k in range(100)]
    path = plot_loss(history, tmp_path / "loss.png")
    assert path.read_bytes().startswith(b"\x89PNG") and path.stat().st_size > 5_000
    rows = pixels(path)
    assert len(rows) == 400 and len(rows[0]) == 600  # 6 x 4 inches at 100 dpi


def test_plot_loss_draws_the_curve_where_the_losses_are(tmp_path: Path) -> None:
    # A loss that falls then stays flat must darken the top-left and the bottom-right of the axes,
    # and leave the top-right empty: a picture that ignored the data would fail.
    history = [1.0] * 5 + [0.0] * 95
    rows = pixels(plot_loss(history, tmp_path / "step.png"))

    def coloured(x0: float, x1: float, y0: float, y1: float) -> bool:
        h, w = len(rows), len(rows[0])
        return any(
            abs(r - g) > 0.2 or abs(g - b) > 0.2
            for row in rows[int(y0 * h):int(y1 * h)] for r, g, b in row[int(x0 * w):int(x1 * w)]
        )

    assert coloured(0.12, 0.3, 0.1, 0.3)  # the curve starts high on the left
    assert coloured(0.6, 0.95, 0.7, 0.9)  # and ends low on the right
    assert not coloured(0.6, 0.95, 0.15, 0.4)  # nothing high on the right


def test_plot_loss_accepts_values_dicts_and_named_curves(tmp_path: Path) -> None:
    plot_loss([Value(1.0), Value(0.5)], tmp_path / "a.png")
    plot_loss([{"loss": 1.0, "step": 0}, {"loss": 0.5, "step": 1}], tmp_path / "b.png")
    plot_loss({"train": [1.0, 0.5], "test": [1.2, 0.7]}, tmp_path / "c.png", log_scale=True)
    assert all((tmp_path / f"{n}.png").stat().st_size > 0 for n in "abc")


def test_plot_loss_errors_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="history is empty"):
        plot_loss([], tmp_path / "e.png")
    with pytest.raises(TypeError, match=r"history\[1\] must be a number or a Value, not str"):
        plot_loss([1.0, "x"], tmp_path / "e.png")  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"history\[0\] has no 'loss' key"):
        plot_loss([{"error": 1.0}], tmp_path / "e.png")
    with pytest.raises(ValueError, match=r"log_scale needs positive losses, but 'loss' has 0\.0"):
        plot_loss([1.0, 0.0], tmp_path / "e.png", log_scale=True)


def test_decision_boundary_colours_each_side_of_the_model(tmp_path: Path) -> None:
    # model = x0: positive on the right half, so the regions split down the middle.
    points = [[-1.0, -1.0], [1.0, 1.0], [-1.0, 1.0], [1.0, -1.0]]
    labels = [-1, 1, -1, 1]
    path = plot_decision_boundary(lambda p: Value(p[0]), points, labels, tmp_path / "d.png")
    rows = pixels(path)
    h, w = len(rows), len(rows[0])
    left = rows[h // 2][int(w * 0.25)]
    right = rows[h // 2][int(w * 0.8)]
    assert left[0] > left[2] + 0.05  # reddish: the negative class
    assert right[2] > right[0] + 0.05  # bluish: the positive class


def test_decision_boundary_with_a_network_and_list_outputs(tmp_path: Path) -> None:
    rng = random.Random(2)
    model = mlp([2, 4, 1], rng)
    points = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(20)]
    labels = [1.0 if p[0] * p[1] > 0 else 0.0 for p in points]
    path = plot_decision_boundary(lambda p: [model(p)], points, labels, tmp_path / "n.png",
                                  resolution=20)
    assert path.read_bytes().startswith(b"\x89PNG")
    assert all(p.grad == 0.0 for p in model.parameters())  # evaluated under no_grad


def test_decision_boundary_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="2 points but 1 labels"):
        plot_decision_boundary(Value, [[0, 0], [1, 1]], [1], tmp_path / "e.png")
    with pytest.raises(ValueError, match=r"points\[0\] = \[0\] has 1 coordinates, not 2"):
        plot_decision_boundary(Value, [[0]], [1], tmp_path / "e.png")
    with pytest.raises(TypeError, match=r"model\(\[.*\]\) must be a number or a Value, not str"):
        plot_decision_boundary(lambda p: "x", [[0, 0]], [1], tmp_path / "e.png")


def test_without_matplotlib_the_message_says_how_to_install(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "for name in ('matplotlib', 'matplotlib.figure', 'matplotlib.backends.backend_agg'):\n"
        "    sys.modules[name] = None\n"
        "from viz import plot_loss\n"
        "try:\n"
        f"    plot_loss([1.0, 0.5], {str(tmp_path / 'x.png')!r})\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[2], check=True)
    assert "plot_loss needs matplotlib" in result.stdout
    assert "pip install 'kuibu[plot]'" in result.stdout
    assert not (tmp_path / "x.png").exists()


def test_importing_viz_loads_neither_matplotlib_nor_nn() -> None:
    code = (
        "import sys, viz; "
        "print(sorted(m for m in ('matplotlib', 'nn') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[2], check=True)
    assert result.stdout.strip() == "[]"
