"""The words a drawing writes around names and numbers, one table per language.

Captions (∂E/∂w5 = … under a highlight), the legend of roles, the notes of the collapsed and the
neuron views and of the slide preset all take their words from here; names, formulas and numbers
are filled in, never translated. ``data`` and ``grad`` in a box are a Value's attribute names, the
same in every language.

>>> caption_words("zh")["parameter"], caption_words("en")["parameter"]
('参数', 'parameter')
"""

from __future__ import annotations

__all__ = ["LANGUAGES", "caption_words"]

_EN = {
    "one_path": "∂{top}/∂{bottom} = {value}: the product of the local derivatives along the "
                "marked path",
    "paths": "∂{top}/∂{bottom} = {value}: the sum over the {count} marked paths of the product "
             "of the local derivatives along each",
    "about": "about {count}",
    "parameter": "parameter",
    "input": "input",
    "target": "target",
    "loss": "loss",
    "marked": "path from {top} to {bottom}",
    "collapsed": "Collapsed view: the graph has {nodes} nodes, more than max_nodes={limit}; "
                 "{how}.",
    "how": "pass max_nodes={nodes} (or None) to draw every node; Graphviz may take {time}",
    "minutes": "minutes",
    "a_while": "a while",
    "nodes": "{count} node{s}",
    "neuron_box": "{nodes}: {parameters} parameters, {operations} operations",
    "more": "… and {count} more",
    "parameters": "parameters",
    "inputs": "inputs",
    "other": "other operations",
    "outside": "{nodes} outside every neuron",
    "all_to_all": "all {tails} → all {heads}, {each}",
    "each": "×{count} each",
    "edges": "{count} edges",
    "neuron_view": "One box per neuron: its weights, bias, net input and output (data and grad); "
                   "each weight's arrow comes from its input.",
    "slide_neurons": "The full graph does not fit a 16:9 slide with text of at least {px} px "
                     "(it would be {shown:.1f} px), so each neuron is drawn as one box.",
    "slide_small": "This drawing does not fit a 16:9 slide with text of at least {px} px: its "
                   "text is {shown:.1f} px high there.",
    "bias": "bias",
}

_ZH = {
    "one_path": "∂{top}/∂{bottom} = {value}：标出的路径上各局部导数之积",
    "paths": "∂{top}/∂{bottom} = {value}：{count} 条标出的路径上，每条路径的局部导数之积的总和",
    "about": "约 {count}",
    "parameter": "参数",
    "input": "输入",
    "target": "目标值",
    "loss": "损失",
    "marked": "从 {top} 到 {bottom} 的路径",
    "collapsed": "折叠视图：计算图有 {nodes} 个节点，超过 max_nodes={limit}；{how}。",
    "how": "传入 max_nodes={nodes}（或 None）即可画出每个节点，Graphviz 可能要{time}",
    "minutes": "几分钟",
    "a_while": "一些时间",
    "nodes": "{count} 个节点",
    "neuron_box": "{nodes}：{parameters} 个参数，{operations} 个运算",
    "more": "……另有 {count} 个",
    "parameters": "参数",
    "inputs": "输入",
    "other": "其他运算",
    "outside": "{nodes}，不属于任何神经元",
    "all_to_all": "全部 {tails} 个 → 全部 {heads} 个，{each}",
    "each": "各 ×{count}",
    "edges": "{count} 条边",
    "neuron_view": "每个神经元一个方框：它的权重、偏置、净输入和输出（data 与 grad）；"
                   "每个权重的箭头来自它所乘的输入。",
    "slide_neurons": "完整的计算图放进 16:9 幻灯片时文字不足 {px} 像素（只有 {shown:.1f} 像素），"
                     "因此每个神经元画成一个方框。",
    "slide_small": "这幅图放不进 16:9 幻灯片而保持文字至少 {px} 像素：放进去后文字只有 "
                   "{shown:.1f} 像素高。",
    "bias": "偏置",
}

_TABLES = {"en": _EN, "zh": _ZH}
#: The languages a drawing's captions are written in.
LANGUAGES = tuple(_TABLES)


def caption_words(lang: str) -> dict[str, str]:
    """The table for `lang` ("en" or "zh"); a ValueError names the languages there are."""
    table = _TABLES.get(lang) if isinstance(lang, str) else None
    if table is None:
        raise ValueError(
            f"lang must be one of {', '.join(map(repr, LANGUAGES))}, not {lang!r}"
        )
    return table
