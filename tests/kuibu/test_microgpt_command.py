"""kuibu microgpt: one training step, its page, its drawing and a weight's largest paths."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from autograd import topological_order
from kuibu.cli import main


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_the_step_its_page_and_a_summary(tmp_path: Path) -> None:
    page = tmp_path / "step.html"
    code, out, err = run("microgpt", "--doc", "ada", "--n-embd", "8", "--n-head", "2",
                         "--html", str(page), "--explain", "layer0.attn_wq[0][0]",
                         "--largest", "2", "--lang", "en")
    assert code == 0 and not err
    assert out.startswith("microgpt step on 'ada': loss ")
    assert "a summary by the 2 largest of its" in out and f"wrote {page}" in out
    assert 'class="block ' in page.read_text(encoding="utf-8")


@pytest.mark.needs_graphviz
@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_the_drawing(tmp_path: Path) -> None:
    target = tmp_path / "step.svg"
    code, _, err = run("microgpt", "--doc", "ada", "--n-embd", "8", "--n-head", "2",
                       "--draw", str(target), "--lang", "en")
    assert code == 0 and not err and target.exists()
    assert "attention head 1" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize(("argv", "says"), [
    (("--doc", "Ada!"), "'A' at position 0"),
    (("--explain", "nope"), "no weight or node labelled 'nope' in this step"),
    (("--n-head", "3"), "n_embd must be a multiple of n_head"),
    (("--largest", "0"), "--largest must be at least 1"),
    (("--dpi", "0", "--draw", "x.png"), "--dpi must be from 1 to 2400, not 0"),
    (("--explain", "layer0.attn_wq[99][0]"),
     "The weights are wte (27 × 16), wpe (16 × 16), lm_head (27 × 16), layer0.attn_wq (16 × 16)"),
    (("--explain", "layer0.attn_wq[99][0]"), "did you mean 'layer0.attn_wq[9][0]' / "),
])
def test_bad_input_is_one_line_and_exit_2(argv: tuple[str, ...], says: str) -> None:
    code, _, err = run("microgpt", *argv, "--lang", "en")
    assert code == 2 and says in err and err.count("\n") == 1


@pytest.mark.needs_graphviz
@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_the_drawing_takes_its_dpi(tmp_path: Path) -> None:
    # --dpi was accepted and then dropped: every PNG came out at Graphviz's default.
    widths = []
    for dpi in ("20", "40"):
        target = tmp_path / f"step{dpi}.png"
        code, _, err = run("microgpt", "--doc", "ada", "--n-embd", "8", "--n-head", "2",
                           "--draw", str(target), "--dpi", dpi)
        assert code == 0 and not err
        widths.append(int.from_bytes(target.read_bytes()[16:20], "big"))  # the PNG's IHDR
    assert widths[1] == pytest.approx(2 * widths[0], rel=0.05)


@pytest.mark.parametrize(("argv", "says"), [
    # 'bonnie' (seed -1's first document) has no 'a': row 0 of wte is never read.
    (("--seed", "-1", "--explain", "wte[0][0]"),
     "∂loss/∂wte[0][0] = 0: this step does not read wte[0][0]. Row 0 of wte is the embedding "
     "of 'a', which 'bonnie' does not contain."),
    (("--doc", "ada", "--explain", "wpe[9][3]"),
     "Row 9 of wpe is the embedding of position 9, and the step reads positions 0 to 3."),
    (("--doc", "", "--explain", "wpe[1][0]"), "the step reads position 0 only."),
    (("--doc", "ada", "--block-size", "2", "--explain", "wte[3][0]"),
     "Row 3 of wte is the embedding of 'd', which 'ada' has only past the block size "
     "(2 positions)."),
])
def test_a_weight_the_step_does_not_read_has_gradient_zero_and_says_why(
    argv: tuple[str, ...], says: str
) -> None:
    code, out, err = run("microgpt", *argv, "--lang", "en")
    assert code == 0 and not err
    assert says in out


def test_a_weight_that_is_not_read_is_not_a_node_of_the_graph() -> None:
    # The sentence above is only said when it is true: the engine's own graph has no such node.
    from nn.microgpt import build, load_names

    model, _, _ = build(load_names(), 42)
    loss = model.loss("bonnie")
    labels = {v.label for v in topological_order(loss)}
    assert "wte[0][0]" not in labels and "wte[1][0]" in labels  # 'a' is row 0, 'b' row 1


def test_the_reason_is_said_in_chinese_too() -> None:
    code, out, _ = run("microgpt", "--doc", "ada", "--explain", "wpe[9][3]", "--lang", "zh")
    assert code == 0
    assert "wpe 的第 9 行是位置 9 的嵌入，而这一步只用到位置 0 到 3。" in out
