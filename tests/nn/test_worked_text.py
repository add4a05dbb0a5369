"""The worked example speaks Chinese as well as English, with the same numbers and formulas."""

from __future__ import annotations

import io
import re
import string

import pytest

from kuibu.cli import main
from nn.examples import run_worked_example
from nn.worked_text import TEXT, text

NUMBER = re.compile(r"(?<![\w.])[−-]?\d+(?:\.\d+)?(?:e[-+]?\d+)?")  # not the 5 of w5


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_language_has_every_sentence_with_the_same_blanks() -> None:
    english = TEXT["en"]
    for lang, table in TEXT.items():
        assert table.keys() == english.keys(), lang
        for key, template in table.items():
            assert _fields(template) == _fields(english[key]), (lang, key)


def test_an_unknown_language_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"en, zh.*'fr'"):
        text("fr")
    with pytest.raises(ValueError, match="'fr'"):
        run_worked_example(out=io.StringIO(), train_steps=1, lang="fr")


def _run(lang: str) -> str:
    out = io.StringIO()
    run_worked_example(out=out, train_steps=20, explain_weights=("w5",), lang=lang)
    return out.getvalue()


def test_chinese_output_has_the_english_numbers_and_formulas() -> None:
    en, zh = _run("en"), _run("zh")
    assert "前向计算" in zh and "梯度下降一步" in zh and "Forward pass" not in zh
    assert NUMBER.findall(zh) == NUMBER.findall(en)
    for formula in ("δ_o = (out_o − target)·out_o·(1 − out_o)", "∂E/∂w5", "δ_h1·i1"):
        assert formula in en and formula in zh


def test_kuibu_demo_lang_zh(tmp_path: object) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(["demo", "--lang", "zh", "--steps", "5", "--no-progress", "--out",
                 str(tmp_path) + "/demo.dot"], out, err)  # type: ignore[operator]
    assert code == 0, err.getvalue()
    assert "手算示例中的 2-2-2 logistic 网络" in out.getvalue()
    assert "计算图已画到" in out.getvalue()
