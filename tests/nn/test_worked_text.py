"""Both demo networks speak Chinese as well as English, with the same numbers and formulas."""

from __future__ import annotations

import io
import re
import string

import pytest

from kuibu.cli import main
from nn.article import run_article_example
from nn.examples import run_worked_example
from nn.worked_text import NETWORKS, TEXT, text

NUMBER = re.compile(r"(?<![\w.])[−-]?\d+(?:\.\d+)?(?:e[-+]?\d+)?")  # not the 5 of w5


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("network", list(NETWORKS))
def test_every_language_has_every_sentence_with_the_same_blanks(network: str) -> None:
    tables = NETWORKS[network]
    assert tables.keys() == TEXT.keys()  # the same languages for every network
    english = tables["en"]
    for lang, table in tables.items():
        assert table.keys() == english.keys(), (network, lang)
        for key, template in table.items():
            assert _fields(template) == _fields(english[key]), (network, lang, key)


def test_an_unknown_language_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"en, zh.*'fr'"):
        text("fr")
    with pytest.raises(ValueError, match="'fr'"):
        run_worked_example(out=io.StringIO(), train_steps=1, lang="fr")
    with pytest.raises(ValueError, match="'fr'"):
        run_article_example(out=io.StringIO(), lang="fr")
    with pytest.raises(ValueError, match=r"mazur, article.*'lecun'"):
        text("en", network="lecun")


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


@pytest.mark.needs_graphviz
def test_kuibu_demo_lang_zh(tmp_path: object) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(["demo", "--lang", "zh", "--steps", "5", "--no-progress", "--out",
                 str(tmp_path) + "/demo.dot"], out, err)  # type: ignore[operator]
    assert code == 0, err.getvalue()
    assert out.getvalue().startswith("Mazur 的 2-2-2 logistic 网络")
    assert "计算图已画到" in out.getvalue()
    # The chain-rule blocks are Chinese too: no English word is left but names and formulas.
    zh = out.getvalue().replace(str(tmp_path) + "/demo.dot", "")
    assert "路径 1（共 2 条）" in zh and "乘积 = " in zh and "引擎算出的梯度" in zh
    prose = "\n".join(line for line in zh.splitlines() if not line.startswith("数字取自"))
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", prose))
    english = {w for w in words if len(w) > 1 and not re.search(r"[\d_]", w)}
    # logistic is kept as Chinese technical writing keeps it; target, out are the formula's
    # names; fixed, biases the option --fixed-biases; kuibu the program, lr the step size;
    # Mazur a name.
    assert english <= {"logistic", "target", "out", "fixed", "biases", "kuibu", "lr",
                       "Mazur"}, english


def test_explanations_in_the_demo_have_the_same_numbers_and_formulas_in_both_languages() -> None:
    en, zh = _run("en"), _run("zh")
    assert "path 1 of 1: E → out_o1 → net_o1 → w5" in en
    assert "路径 1（共 1 条）：E → out_o1 → net_o1 → w5" in zh
    for line in en.splitlines():
        if line.strip().startswith("∂") and ": the engine" not in line:  # factors and sums
            assert line.split(" (the engine")[0] in zh


def _article(lang: str) -> str:
    out = io.StringIO()
    run_article_example(out=out, steps=3, lang=lang)
    return out.getvalue()


def test_the_articles_network_in_chinese_has_the_english_numbers_and_formulas() -> None:
    en, zh = _article("en"), _article("zh")
    assert zh.startswith("文章中的网络") and en.startswith("The article's network")
    assert "更新一次" in zh and "One update" not in zh
    # The same numbers (Chinese sentences order a few of them differently: "共 2 条路径").
    assert sorted(NUMBER.findall(zh)) == sorted(NUMBER.findall(en))
    for formula in ("−(t4 − out4)·out4·(1 − out4)·out2", "δ2 = (δ4·W24 + δ5·W25)·out2·(1 − out2)",
                    "E → out5 → net5 → out2 → net2 → W12"):
        assert formula in en and formula in zh
    prose = "\n".join(line for line in zh.splitlines() if not line.startswith("文章："))
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", prose))
    english = {w for w in words if len(w) > 1 and not re.search(r"[\d_]", w)}
    assert english <= {"logistic", "target", "out", "net", "lr", "Mazur"}, english
