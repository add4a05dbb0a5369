"""The digits example: data, scoring and plotting (training itself is slow-marked)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nn import digits


def test_load_splits_the_1797_images() -> None:
    pytest.importorskip("sklearn")
    train_x, train_y, test_x, test_y = digits.load()
    assert (len(train_x), len(test_x)) == (1437, 360)
    assert len(train_y) == 1437 and len(test_y) == 360
    assert all(len(x) == 64 and min(x) >= 0.0 and max(x) <= 1.0 for x in train_x)
    assert set(train_y) == set(range(10))
    again = digits.load()
    assert again[1] == train_y  # the split is fixed by the seed


def test_accuracy_and_confusion_matrix() -> None:
    predictions, labels = [0, 1, 1, 2], [0, 1, 2, 2]
    assert digits.accuracy(predictions, labels) == 0.75
    counts = digits.confusion_matrix(predictions, labels, classes=3)
    assert counts == [[1, 0, 0], [0, 1, 0], [0, 1, 1]]


def test_plot_confusion(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    path = tmp_path / "confusion.png"
    digits.plot_confusion([[3, 1], [0, 4]], str(path))
    assert path.read_bytes().startswith(b"\x89PNG")


def test_missing_scikit_learn_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    real = importlib.import_module

    def fake(name: str, *args: object) -> object:
        if name.startswith("sklearn"):
            raise ImportError(name)
        return real(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib, "import_module", fake)
    with pytest.raises(ImportError, match=r"kuibu\[digits\]"):
        digits.load()
    assert digits.main(["--epochs", "1", "--no-plot"]) == 1


@pytest.mark.slow
def test_a_few_epochs_learn_the_digits() -> None:
    pytest.importorskip("sklearn")
    result = digits.run(4, progress=False)
    assert result["accuracy"] >= 0.9
    assert result["history"][-1] < result["history"][0]
