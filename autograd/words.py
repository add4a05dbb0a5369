"""The engine's words, one table per language: what explanations, the backward table and the
checks of hand-derived partials say.

Explanations (`autograd.explain`) print a few words around their formulas and numbers — "the sum
over 3 paths", "path 1 of 3", "product", "where" — and notes about unlabelled leaves and user
operations; `check_partials` says what a wrong value is consistent with ("equals the chain rule
with the factor ... left out") and what it found at a kink. Every such word comes from here, so
a language is one more table with the same keys; names, formulas and numbers are filled in,
never translated. A diagnosis is said of "your value", so each reads after those words.

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
    # check_partials: each diagnosis completes the sentence "Your value ..."
    "your_value": "Your value",
    "left_out": "equals the chain rule with the factor {factor}{formula} = {value} left out",
    "computed_as": "equals the chain rule with {factor} computed as {alt} = {alt_value} instead "
                   "of {formula} = {value}: {why}",
    "output_put_in": "the derivative of {op} is written in terms of its output {top}, but its "
                     "input {bottom} was put in",
    "input_put_in": "the derivative of {op} is written in terms of its input {bottom}, but its "
                    "output {top} was put in",
    "at_output": "the derivative of {op} was evaluated at its output {top} instead of its "
                 "input {bottom}",
    "exchanged": "the two inputs of {op} were exchanged",
    "dropped_paths": "equals the sum over path(s) {kept} of the {count} paths from {output} to "
                     "{leaf}; missing: {missing}",
    "path_where": " (where {definitions})",
    "ratio": "is {ratio} × the engine's value: {why}",
    "ratio_half": "a squared error differentiated without its ½ gives this",
    "ratio_two": "a missing factor 2 (the power rule, d(u²)/du = 2u) or an extra ½ gives this",
    "ratio_sign": "a dropped minus sign (d(t − o)/do = −1) gives this",
    "not_computed": "differs from 0: {output} was not computed from {name} at this point, so its "
                    "derivative is 0",
    "engine_not_finite": "differs from the engine's {value}: the engine's chain rule meets an "
                         "overflow, 0/0 or ∞ − ∞ at this point; compare at another point",
    "yours_not_finite": "is {value}: a division by zero or an overflow in the formula gives this",
    "unexplained": "no single wrong factor or dropped path explains it; compare your factors "
                   "with {how}",
    "kink": "at this point {ops} is at its kink, where ∂{output}/∂{name} is not defined: from "
            "the left it is {left}, from the right {right}; the engine takes {engine}, as PyTorch "
            "does",
    "kink_left": "yours is the derivative from the left",
    "kink_right": "yours is the derivative from the right",
    "kink_both": "yours is the derivative from either side",
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
    "your_value": "你的值",
    "left_out": "等于漏掉因子 {factor}{formula} = {value} 之后的链式法则结果",
    "computed_as": "等于把 {factor} 算成 {alt} = {alt_value}（而不是 {formula} = {value}）之后的"
                   "链式法则结果：{why}",
    "output_put_in": "{op} 的导数是用它的输出 {top} 写的，却代入了它的输入 {bottom}",
    "input_put_in": "{op} 的导数是用它的输入 {bottom} 写的，却代入了它的输出 {top}",
    "at_output": "{op} 的导数在它的输出 {top} 处求值了，而应在它的输入 {bottom} 处求值",
    "exchanged": "{op} 的两个输入被交换了",
    "dropped_paths": "等于从 {output} 到 {leaf} 的 {count} 条路径中第 {kept} 条的和；漏掉了："
                     "{missing}",
    "path_where": "（其中 {definitions}）",
    "ratio": "是引擎结果的 {ratio} 倍：{why}",
    "ratio_half": "对平方误差求导时忘了前面的 ½，就会得到这个结果",
    "ratio_two": "漏掉因子 2（幂法则 d(u²)/du = 2u）或多乘了 ½，就会得到这个结果",
    "ratio_sign": "漏掉负号（d(t − o)/do = −1）就会得到这个结果",
    "not_computed": "不等于 0：在这一点 {output} 不是由 {name} 算出的，所以导数为 0",
    "engine_not_finite": "与引擎的 {value} 不同：在这一点引擎的链式法则遇到了溢出、0/0 或 ∞ − ∞；"
                         "请换一个点比较",
    "yours_not_finite": "是 {value}：公式里除以零或溢出会得到这个结果",
    "unexplained": "没有哪一个错误因子或漏掉的路径能单独解释它；请把你的各个因子与 {how} 逐一对照",
    "kink": "在这一点 {ops} 正处在折点上，∂{output}/∂{name} 在这里没有定义：左导数为 {left}，"
            "右导数为 {right}；引擎取 {engine}，与 PyTorch 相同",
    "kink_left": "你的值是左导数",
    "kink_right": "你的值是右导数",
    "kink_both": "你的值等于左右两侧的导数",
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
