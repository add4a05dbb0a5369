"""The demo networks' words, one table per network and language: every heading and sentence.

Two networks are shown: Mazur's 2-2-2 network with published numbers (`nn.examples`, the words in
`TEXT`) and the article's own network, neurons 1 to 5 (`nn.article`, the words in `ARTICLE`).
They and `kuibu demo` take their text from here, so a language is one more table with the same
keys; numbers, names and formulas are filled in, never translated.
"""

from __future__ import annotations

__all__ = ["ARTICLE", "LANGUAGES", "NETWORKS", "TEXT", "text"]

_EN = {
    "title": "Mazur's 2-2-2 logistic network, the worked example with published numbers: inputs\n"
             "i1, i2; logistic hidden neurons h1, h2; logistic outputs o1, o2; "
             "E = ½ Σ (target − out)².",
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
    "page_title": "Mazur's 2-2-2 network, step by step",
    "page_subtitle": "Mazur's 2-2-2 logistic network: E = ½Σ(target − out)², inputs 0.05 and "
                     "0.10, targets 0.01 and 0.99, lr = 0.5",
    "code": "The program of the worked example: the hand derivation as straight-line Python, one\n"
            "line per forward step and per chain-rule term (it needs only math):",
}

_ZH = {
    "title": "Mazur 的 2-2-2 logistic 网络，即数字已发表的手算示例：输入 i1、i2；\n"
             "logistic 隐藏神经元 h1、h2；logistic 输出神经元 o1、o2；E = ½ Σ (target − out)²。",
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
    "page_title": "Mazur 的 2-2-2 网络，一步一步",
    "page_subtitle": "Mazur 的 2-2-2 logistic 网络：E = ½Σ(target − out)²，输入 0.05 和 0.10，"
                     "目标 0.01 和 0.99，步长 lr = 0.5",
    "code": "手算示例的程序：把手算推导写成直线式 Python 代码，每个前向步骤和每一项链式法则各一行\n"
            "（只需要 math）：",
}

_ARTICLE_EN = {
    "title": "The article's network: input neuron 1; logistic hidden neurons 2, 3; logistic "
             "outputs 4, 5;\nW_ij the weight from neuron i to neuron j; "
             "E = ½ Σ (target − out)².",
    "source": "The article: {source}.",
    "reconstructed":
        "Reconstructed, not copied: the article's figures (its network, numbers and formulas) "
        "were lost;\nonly its text survives. Chosen here:\n"
        "  - one input neuron: the text numbers the neurons 1 to 5 and names W12 and W13, but no "
        "weight\n    from another input;\n"
        "  - a bias for each neuron that computes (b2 … b5): the article updates b = b − lr·Δb "
        "as well\n    as w = w − lr·Δw;\n"
        "  - the numbers below: small, of both signs, no two alike, so that every factor can be "
        "told\n    apart; and unlike Mazur's, so that the two examples are not mistaken for "
        "each other;\n"
        "  - lr = 0.5: the article names a learning rate but gives none.",
    "setup": "out1 = {out1}; targets t4 = {t4}, t5 = {t5}; lr = {lr}\n{weights}\n{biases}",
    "forward": "Forward pass: net_j = Σ_i W_ij·out_i + b_j, "
               "out_j = σ(net_j) = 1/(1 + e^(−net_j)),\nE = ½(t4 − out4)² + ½(t5 − out5)²",
    "one_path": "∂E/∂{name}: one path, {path}",
    "two_paths": "∂E/∂{name}, the troublesome one: {count} paths, through neurons 4 and 5, "
                 "summed:\n{paths}",
    "hand_line": "  hand    ∂E/∂{name} = {formula}\n                  = {value}",
    "engine_line": "  engine  ∂E/∂{name} = {value}   |difference| {difference}",
    "chain_rule": "The chain rule for {name}, as the engine sees it:",
    "others": "The other parameters, by the general rule the article ends with: δ_j = ∂E/∂net_j,\n"
              "∂E/∂W_ij = δ_j·out_i and ∂E/∂b_j = δ_j, where",
    "others_header": "  p    engine            hand              formula   |difference|",
    "agree": "  all {count} agree to {limit}: {verdict} (largest difference {largest})",
    "yes": "yes",
    "no": "NO",
    "step": "One update, w ← w − lr·Δw and b ← b − lr·Δb with lr = {lr}:",
    "E_after_step": "  E = {after} (was {before})",
    "after": "After {steps} updates: E = {E}, out4 = {o4} (target {t4}), out5 = {o5} "
             "(target {t5})",
    "drawn": "The computation graph, with both paths from E to W12 marked, is in {path}",
    "page": "The step-by-step page is {path}: open it in a browser",
    "page_title": "The article's network, step by step",
    "page_subtitle": "The article's network (reconstructed): neurons 1 to 5, logistic units, "
                     "E = ½Σ(target − out)², out1 = 0.5, targets 0.9 and 0.1, lr = 0.5",
    "code": "The program of the article's network: the hand derivation as straight-line Python,\n"
            "one line per forward step and per chain-rule term (it needs only math):",
}

_ARTICLE_ZH = {
    "title": "文章中的网络：输入神经元 1；logistic 隐藏神经元 2、3；logistic 输出神经元 4、5；\n"
             "W_ij 是神经元 i 到神经元 j 的权重；E = ½ Σ (target − out)²。",
    "source": "文章：{source}。",
    "reconstructed":
        "这是重建的，不是照抄：文章的配图（网络结构、数字和公式）已经丢失，只剩下文字。这里的选择：\n"
        "  - 一个输入神经元：正文把神经元编号为 1 到 5，提到了 W12 和 W13，"
        "却没有来自别的输入的权重；\n"
        "  - 每个参与计算的神经元各有一个偏置（b2 … b5）：文章除了 w = w − lr·Δw，"
        "也更新 b = b − lr·Δb；\n"
        "  - 下面的数字：数值小、有正有负、互不相同，每个因子都能分辨出来；"
        "也和 Mazur 的不同，两个例子不会混淆；\n"
        "  - lr = 0.5：文章提到了步长，但没有给出数值。",
    "setup": "out1 = {out1}；目标 t4 = {t4}、t5 = {t5}；步长 lr = {lr}\n{weights}\n{biases}",
    "forward": "前向计算：net_j = Σ_i W_ij·out_i + b_j，out_j = σ(net_j) = 1/(1 + e^(−net_j))，\n"
               "E = ½(t4 − out4)² + ½(t5 − out5)²",
    "one_path": "∂E/∂{name}：只有一条路径，{path}",
    "two_paths": "∂E/∂{name}，比较麻烦的那个：经过神经元 4 和 5，共 {count} 条路径，"
                 "求和：\n{paths}",
    "hand_line": "  手算    ∂E/∂{name} = {formula}\n                  = {value}",
    "engine_line": "  引擎    ∂E/∂{name} = {value}   |差| {difference}",
    "chain_rule": "{name} 的链式法则（引擎所见）：",
    "others": "其余参数，用文章最后总结的一般公式：δ_j = ∂E/∂net_j，\n"
              "∂E/∂W_ij = δ_j·out_i，∂E/∂b_j = δ_j，其中",
    "others_header": "  p    引擎              手算              公式      |差|",
    "agree": "  全部 {count} 个在 {limit} 以内一致：{verdict}（最大差值 {largest}）",
    "yes": "是",
    "no": "否",
    "step": "更新一次，w ← w − lr·Δw，b ← b − lr·Δb，lr = {lr}：",
    "E_after_step": "  E = {after}（之前 {before}）",
    "after": "更新 {steps} 次后：E = {E}，out4 = {o4}（目标 {t4}），out5 = {o5}（目标 {t5}）",
    "drawn": "计算图已画到 {path}，从 E 到 W12 的两条路径都已标出",
    "page": "逐步演示页面已写到 {path}：用浏览器打开即可",
    "page_title": "文章中的网络，一步一步",
    "page_subtitle": "文章中的网络（重建）：神经元 1 到 5，logistic 单元，E = ½Σ(target − out)²，"
                     "out1 = 0.5，目标 0.9 和 0.1，步长 lr = 0.5",
    "code": "文章中网络的程序：把手算推导写成直线式 Python 代码，每个前向步骤和每一项链式法则"
            "各一行\n（只需要 math）：",
}

#: Mazur's network's words in every language, by its code; each table has the same keys.
TEXT: dict[str, dict[str, str]] = {"en": _EN, "zh": _ZH}
#: The article's network's words in every language, by its code; each has the same keys.
ARTICLE: dict[str, dict[str, str]] = {"en": _ARTICLE_EN, "zh": _ARTICLE_ZH}
#: The languages the demo networks speak.
LANGUAGES = tuple(TEXT)
#: The networks, by the name `kuibu demo --network` takes.
NETWORKS = {"mazur": TEXT, "article": ARTICLE}


def text(lang: str, network: str = "mazur") -> dict[str, str]:
    """The words of `network` ('mazur' or 'article') in `lang` ('en' or 'zh'), or a
    ValueError naming the languages (or networks) there are.

    >>> text("zh")["yes"], text("en", network="article")["page_title"]
    ('是', "The article's network, step by step")
    """
    tables = NETWORKS.get(network) if isinstance(network, str) else None
    if tables is None:
        raise ValueError(f"network must be one of {', '.join(NETWORKS)}, not {network!r}")
    try:
        return tables[lang]
    except (KeyError, TypeError):
        raise ValueError(
            f"language must be one of {', '.join(LANGUAGES)}, not {lang!r}"
        ) from None
