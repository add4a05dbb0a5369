"""More of the engine's words, one table per language: the notes an explanation adds where it
bounds its output, and the comments of a generated program.

They follow `autograd.words` (the same languages, the same keys in every table; names, formulas
and numbers are filled in, never translated), kept apart from it so that each table has one
reader: `autograd.explain` for the notes, `autograd.codegen` for the comments.

>>> phrases("zh")["forward"], phrases("en")["forward"]
('前向：按拓扑顺序，每个节点一行', 'forward pass: one line per node, inputs first')
"""

from __future__ import annotations

from autograd.words import LANGUAGES

__all__ = ["PHRASES", "phrases"]

_EN = {
    # Explanations.
    "long_listing": "{head}: the {count} paths from {output} to {leaf} have {factors} factors in "
                    "all, more than the {limit} a listing may hold; here is the per-node form "
                    "instead: δ(n) = ∂{output}/∂n, gathered from the nodes that use n",
    "per_node_factors": "{factors} factors on {count} paths: the per-node form",
    "formula_left_out": "factors gathered from more than {limit} sub-paths, or over more than "
                        "{steps} steps, show their number only; explain(..., steps=True) "
                        "writes every step's formula",
    "every_step": "large unlabelled parts of the graph are shared by many labelled nodes, so "
                  "every operation is a factor of its own here (grouping them would cost more "
                  "than the graph's size)",
    "largest_head": "{head}: a summary by the {k} largest of its {count} paths (counted, not "
                    "listed), each a product of the local derivatives along it, every operation "
                    "a step",
    "largest_path": "path {k} of the {shown} largest: ",
    "largest_share": " ({share} of the gradient)",
    "largest_sum": "the {k} largest paths add up to {value}{share}",
    "largest_rest": "the other {count} paths add up to {value}{share}",
    "largest_latex": "the {k} largest of {count} paths",
    "largest_note": "this is a summary, not the whole sum: the paths are found by dynamic "
                    "programming over the graph in log|product|, without listing the others; "
                    "explain(..., largest={more}) shows more",
    # Generated programs.
    "header": "{name}: the value of {root} and its gradient with respect to {wrt}, as "
              "straight-line Python written by kuibu",
    "forward": "forward pass: one line per node, inputs first",
    "backward": "backward pass: one line per edge, in the order the engine's sweep takes them: "
                "dE_d<n> is the gradient of {root} with respect to n",
    "summed": "The value and gradients summed over the samples.",
    "summed_python": "The value and gradients summed over samples, each a tuple of the inputs.",
    "temporary": "_t<k>: a part of a long expression, computed on a line of its own",
}

_ZH = {
    "long_listing": "{head}：从 {output} 到 {leaf} 的 {count} 条路径共有 {factors} 个因子，"
                    "超过逐条列出的上限 {limit}；下面改用逐节点的形式：δ(n) = ∂{output}/∂n，"
                    "由使用 n 的各节点汇总",
    "per_node_factors": "{count} 条路径上共 {factors} 个因子：逐节点的形式",
    "formula_left_out": "由超过 {limit} 条子路径汇总、或跨越超过 {steps} 步的因子只给出数值；"
                        "explain(..., steps=True) 会写出每一步的公式",
    "every_step": "图中有大片没有标签的部分被许多带标签的节点共用，所以这里每个运算都单独作为"
                  "一个因子（把它们归并起来的开销会超过图本身的规模）",
    "largest_head": "{head}：在全部 {count} 条路径（只计数，不逐条列出）中取乘积绝对值最大的 {k} "
                    "条作为概要；每条路径是沿途局部导数的乘积，每个运算算一步",
    "largest_path": "最大的 {shown} 条中的第 {k} 条：",
    "largest_share": "（占梯度的 {share}）",
    "largest_sum": "这 {k} 条最大的路径之和为 {value}{share}",
    "largest_rest": "其余 {count} 条路径之和为 {value}{share}",
    "largest_latex": "{count} 条路径中最大的 {k} 条",
    "largest_note": "这只是概要，不是完整的求和：这些路径是按 log|乘积| 在图上做动态规划找到的，"
                    "没有列出其余路径；explain(..., largest={more}) 会显示更多",
    "header": "{name}：{root} 的值及其对 {wrt} 的梯度，由 kuibu 写成的直线式 Python 程序",
    "forward": "前向：按拓扑顺序，每个节点一行",
    "backward": "反向：每条边一行，顺序与引擎的反向扫描相同；dE_d<n> 是 {root} 对 n 的梯度",
    "summed": "对所有样本求和后的值与梯度。",
    "summed_python": "对所有样本求和后的值与梯度；每个样本是输入组成的元组。",
    "temporary": "_t<k>：长表达式的一部分，单独占一行计算",
}

#: Every language's table, by its code; each has the same keys, the languages of `autograd.words`.
PHRASES: dict[str, dict[str, str]] = {"en": _EN, "zh": _ZH}
assert tuple(PHRASES) == LANGUAGES, "a table for every language of autograd.words"


def phrases(lang: str) -> dict[str, str]:
    """The table for `lang` ('en' or 'zh'), or a ValueError naming the languages there are."""
    try:
        return PHRASES[lang]
    except (KeyError, TypeError):
        raise ValueError(f"lang must be one of {', '.join(PHRASES)}, not {lang!r}") from None
