"""The engine's words, one table per language: what explanations and the backward table say.

Explanations (`autograd.explain`) print a few words around their formulas and numbers — "the sum
over 3 paths", "path 1 of 3", "product", "where" — and notes about unlabelled leaves and user
operations. Every such word comes from here, so a language is one more table with the same keys;
names, formulas and numbers are filled in, never translated.

>>> words("zh")["product"], words("en")["product"]
('乘积', 'product')
"""

from __future__ import annotations

__all__ = ["LANGUAGES", "WORDS", "words"]

_EN = {
    "no_path": "{head} = 0: no path leads from {output} to {leaf}",
    "sum_over": "{head} = the sum over {count} paths",
    "too_many": "{head}: {count} paths lead from {output} to {leaf}, too many to list (the limit "
                "is {limit}); here is the per-node form instead: δ(n) = ∂{output}/∂n, gathered "
                "from the nodes that use n",
    "path": "path {k} of {count}: ",
    "path_heading": "Path {k} of {count}:",
    "product": "product",
    "engine": " (the engine's gradient: {value})",
    "where": "where",
    "factor": "factor",
    "formula": "formula",
    "value": "value",
    "node": "node",
    "delta_sum": "δ = sum of",
    "the_output": "1 (the output)",
    "per_node_form": "{count} paths: the per-node form",
    "step": "step",
    "grad": "grad",
    "local": "local derivative",
    "adds": "adds",
    "amount": "amount",
    "so_far": "input's grad so far",
    "leaf": "(leaf)",
    "unlabelled": "{name} is a leaf without a label (its value is {value}); {verb}, "
                  "Value({python}, label='...'), to see your own name here",
    "give_it_one": "give it one",
    "label_it": "label it",
    "user_op": "{name} is a user-defined operation{called}: its local derivatives are the "
               "numbers its _backward gave",
    "op_text": " (its op text is {op})",
}

_ZH = {
    "no_path": "{head} = 0：从 {output} 到 {leaf} 没有路径",
    "sum_over": "{head} = 对 {count} 条路径求和",
    "too_many": "{head}：从 {output} 到 {leaf} 共有 {count} 条路径，多得无法逐条列出（上限为 "
                "{limit}）；下面改用逐节点的形式：δ(n) = ∂{output}/∂n，由使用 n 的各节点汇总",
    "path": "路径 {k}（共 {count} 条）：",
    "path_heading": "路径 {k}（共 {count} 条）：",
    "product": "乘积",
    "engine": "（引擎算出的梯度：{value}）",
    "where": "其中",
    "factor": "因子",
    "formula": "公式",
    "value": "数值",
    "node": "节点",
    "delta_sum": "δ = 下列各项之和",
    "the_output": "1（输出本身）",
    "per_node_form": "{count} 条路径：逐节点的形式",
    "step": "步",
    "grad": "梯度",
    "local": "局部导数",
    "adds": "累加",
    "amount": "增量",
    "so_far": "输入目前的梯度",
    "leaf": "（叶节点）",
    "unlabelled": "{name} 是没有标签的叶节点（值为 {value}）；{verb}，写成 "
                  "Value({python}, label='...')，这里就会显示你自己起的名字",
    "give_it_one": "给它起个名字",
    "label_it": "给它加上标签",
    "user_op": "{name} 是用户自定义的运算{called}：它的局部导数就是其 _backward 给出的数值",
    "op_text": "（其 op 文本为 {op}）",
}

#: Every language's table, by its code; each has the same keys.
WORDS: dict[str, dict[str, str]] = {"en": _EN, "zh": _ZH}
#: The languages explanations speak.
LANGUAGES = tuple(WORDS)


def words(lang: str) -> dict[str, str]:
    """The table for `lang` ('en' or 'zh'), or a ValueError naming the languages there are."""
    try:
        return WORDS[lang]
    except (KeyError, TypeError):
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, not {lang!r}") from None
