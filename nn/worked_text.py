"""The worked example's words, one table per language: every heading and sentence it prints.

`nn.examples.run_worked_example` and `kuibu demo` take their text from here, so a language is one
more table with the same keys; numbers, names and formulas are filled in, never translated.
"""

from __future__ import annotations

__all__ = ["LANGUAGES", "TEXT", "text"]

_EN = {
    "title": "The 2-2-2 logistic network of the worked example: inputs i1, i2; logistic hidden\n"
             "neurons h1, h2; logistic outputs o1, o2; E = ½ Σ (target − out)².",
    "source": "Numbers from {source}.",
    "setup": "inputs i1, i2 = {i1}, {i2}; targets = {t1}, {t2}; lr = {lr}",
    "forward": "Forward pass                 kuibu          published",
    "gradients": "∂E/∂p: the engine beside the hand formula, "
                 "δ_o = (out_o − target)·out_o·(1 − out_o),\n"
                 "δ_h = (Σ_o δ_o·w_ho)·out_h·(1 − out_h)",
    "gradients_header": "  p    engine            hand              formula        |difference|",
    "agree": "  all agree to {limit}: {verdict} (largest difference {largest})",
    "yes": "yes",
    "no": "NO",
    "chain_rule": "The chain rule for {name}, as the engine sees it:",
    "all_parameters": "every weight and bias",
    "weights_only": "every weight (biases fixed)",
    "step": "One step of gradient descent, p ← p − {lr}·∂E/∂p, for {which}:",
    "published_note": "   (published {value})",
    "E_after_step": "  E = {after} (was {before})",
    "schedule": "  The post's schedule (w5..w8 updated first, then w1..w4 from hidden gradients "
                "with the new w5..w8) gives E = {E} (published {posted})",
    "after_schedule": "After {steps} steps of the post's schedule: E = {E}, out_o1 = {o1} "
                      "(target {t1}), out_o2 = {o2} (target {t2})",
    "biases_train": "the biases train too here; ",
    "differs": "  (The post has {posted}: {why}the post keeps the biases fixed and updates w1..w4 "
               "after w5..w8, as --fixed-biases does.)",
    "after": "After {steps} steps: E = {E}, out_o1 = {o1} (target {t1}), out_o2 = {o2} "
             "(target {t2})",
    "drawn": "The computation graph, with every path from E to w5 marked, is in {path}",
    "page": "The step-by-step page is {path}: open it in a browser",
    "page_title": "The worked example, step by step",
    "code": "The program of the worked example: the hand derivation as straight-line Python, one\n"
            "line per forward step and per chain-rule term (it needs only math):",
}

_ZH = {
    "title": "手算示例中的 2-2-2 logistic 网络：输入 i1、i2；logistic 隐藏神经元 h1、h2；\n"
             "logistic 输出神经元 o1、o2；E = ½ Σ (target − out)²。",
    "source": "数字取自 {source}。",
    "setup": "输入 i1、i2 = {i1}、{i2}；目标 = {t1}、{t2}；步长 lr = {lr}",
    "forward": "前向计算                     kuibu          原文",
    "gradients": "∂E/∂p：引擎与手算公式并排，δ_o = (out_o − target)·out_o·(1 − out_o)，\n"
                 "δ_h = (Σ_o δ_o·w_ho)·out_h·(1 − out_h)",
    "gradients_header": "  p    引擎              手算              公式           |差|",
    "agree": "  全部在 {limit} 以内一致：{verdict}（最大差值 {largest}）",
    "yes": "是",
    "no": "否",
    "chain_rule": "{name} 的链式法则（引擎所见）：",
    "all_parameters": "所有权重和偏置",
    "weights_only": "所有权重（偏置固定）",
    "step": "梯度下降一步，p ← p − {lr}·∂E/∂p，更新{which}：",
    "published_note": "   （原文 {value}）",
    "E_after_step": "  E = {after}（之前 {before}）",
    "schedule": "  按原文的顺序（先更新 w5..w8，再用新的 w5..w8 计算隐藏层梯度并更新 w1..w4）"
                "得到 E = {E}（原文 {posted}）",
    "after_schedule": "按原文的顺序训练 {steps} 步后：E = {E}，out_o1 = {o1}（目标 {t1}），"
                      "out_o2 = {o2}（目标 {t2}）",
    "biases_train": "这里偏置也参与训练；",
    "differs": "  （原文是 {posted}：{why}原文固定偏置，并在 w5..w8 之后才更新 w1..w4，"
               "--fixed-biases 就是这样做的。）",
    "after": "训练 {steps} 步后：E = {E}，out_o1 = {o1}（目标 {t1}），out_o2 = {o2}（目标 {t2}）",
    "drawn": "计算图已画到 {path}，从 E 到 w5 的每条路径都已标出",
    "page": "逐步演示页面已写到 {path}：用浏览器打开即可",
    "page_title": "手算示例，一步一步",
    "code": "手算示例的程序：把手算推导写成直线式 Python 代码，每个前向步骤和每一项链式法则各一行\n"
            "（只需要 math）：",
}

#: Every language's table, by its code; each has the same keys.
TEXT: dict[str, dict[str, str]] = {"en": _EN, "zh": _ZH}
#: The languages the worked example speaks.
LANGUAGES = tuple(TEXT)


def text(lang: str) -> dict[str, str]:
    """The table for `lang` ('en' or 'zh'), or a ValueError naming the languages there are.

    >>> text("zh")["yes"], text("en")["yes"]
    ('是', 'yes')
    """
    try:
        return TEXT[lang]
    except (KeyError, TypeError):
        raise ValueError(
            f"language must be one of {', '.join(LANGUAGES)}, not {lang!r}"
        ) from None
