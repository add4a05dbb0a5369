"""Every sentence of the explorer page, one table per language with the same keys.

The page's buttons, legend, help and headings, the words around the step texts' formulas, and
the messages of its script all come from here; names, formulas and numbers are filled in, never
translated. `{name}`-style fields are filled by Python (`str.format`) or, for the script's own
messages, by the script.

>>> page_words("zh")["next"], page_words("en")["next"]
('下一步', 'Next step')
"""

from __future__ import annotations

__all__ = ["LANGUAGES", "page_words"]

_EN = {
    # The toolbar and the parts of the page.
    "title": "kuibu explorer: {name}",
    "timeline": "timeline",
    "reset": "Reset",
    "prev": "Previous step",
    "play": "Play",
    "pause": "Pause",
    "next": "Next step",
    "slider": "Step",
    "zoom_in": "Zoom in",
    "zoom_out": "Zoom out",
    "fit": "Fit",
    "fit_title": "Show the whole graph",
    "neurons": "Neurons",
    "neurons_title": "One box per neuron: its weighted sum, bias and activation together",
    "stage": "the computation graph",
    "graph": "computation graph",
    "minimap": "overview of the graph; the frame is the part in view",
    "map": "Map",
    "map_title": "Show or hide the overview of the graph",
    "fold": "Hide",
    "fold_title": "Hide the explanation",
    "unfold": "Explain",
    "unfold_title": "Show the explanation",
    "legend": "Legend",
    "legend_current": "this step's node",
    "legend_receiving": "input read (forward) or receiving a gradient (backward)",
    "legend_partial": "gradient so far (k of n terms arrived)",
    "legend_final": "complete gradient",
    "legend_path": "paths from the output to the clicked box",
    "legend_factor": "× local derivative, on the edges of a backward step",
    "help_mouse": "→ and ← step; drag to pan, the wheel zooms; click a box for its chain rule; "
                  "hover over a box for its exact numbers.",
    "help_touch": "Tap Next step to go on; drag with one finger to pan, pinch with two to zoom; "
                  "tap a box for its chain rule and exact numbers.",
    "no_dot": "Graphviz's dot was not found, so this page uses a simple layered layout; install "
              "Graphviz for a tidier one.",
    "dot_slow": "Graphviz's dot would take about {time} to lay this graph out, so this page uses "
                "a simple layered layout.",
    "dot_timeout": "Graphviz's dot did not lay this graph out within {time}, so this page uses a "
                   "simple layered layout.",
    # The boxes.
    "data": "data",
    "grad": "grad",
    "so_far": "({k} of {n})",
    "a_leaf": "(a leaf)",
    "parameters": "{n} parameters",
    "last_sample": "(the last of {n} samples)",
    # The steps, as the script titles them.
    "start": "Start",
    "start_text": "The leaves hold their values. Next step runs the forward pass ({forward} "
                  "operations), then the backward pass ({backward} nodes, in the engine's sweep "
                  "order), and ends with the table of gradients.",
    "forward_title": "Forward pass: step {k} of {n}",
    "backward_title": "Backward pass: step {k} of {n}, node {name}",
    "final_title": "The gradients",
    "counter": "step {k} of {n}",
    # The step texts, as Python writes them.
    "that_is": "(that is, {name} = {full})",
    "starts": "∂{top}/∂{top} = 1: the sweep starts at the output",
    "sum_of": "∂{top}/∂{me} is the sum of {n} terms, one per use of {me}:",
    "leaf_done": "{me} is a leaf: its gradient is complete, nothing to send on",
    "sends_one": "{me} sends to its input:",
    "sends_each": "{me} sends to each input:",
    "so_far_sum": "(so far {sum})",
    "final_text": "Every gradient is complete. One step of gradient descent, "
                  "w ← w − lr·∂{top}/∂w with lr = {lr}, would give:",
    "final_text_no_lr": "Every gradient is complete. One step of gradient descent would set "
                        "w ← w − lr·∂{top}/∂w for each of them (pass lr to explore to see the "
                        "new values).",
    "column_name": "leaf",
    "column_value": "value",
    "column_grad": "∂{top}/∂w",
    "column_new": "w − lr·∂{top}/∂w",
    # Clicking a box.
    "node": "Node {name}",
    "neuron": "Neuron {name}",
    "formula": "formula",
    "value": "value",
    "partial": "partial",
    "exact": "exact",
    "reached_at": "(the sweep reaches it at step {k})",
    "not_yet": "(the forward pass computes it at step {k})",
    "no_explanation": "This page holds no explanation for {name} (explore's explain_nodes "
                      "limit); the highlighted paths are its paths. In Python: "
                      "print(explain(root, node)).",
    "members": "inside",
}

_ZH = {
    "title": "kuibu 计算图逐步演示：{name}",
    "timeline": "时间线",
    "reset": "重置",
    "prev": "上一步",
    "play": "播放",
    "pause": "暂停",
    "next": "下一步",
    "slider": "步骤",
    "zoom_in": "放大",
    "zoom_out": "缩小",
    "fit": "全图",
    "fit_title": "显示整张图",
    "neurons": "神经元",
    "neurons_title": "每个神经元一个框：加权求和、偏置和激活函数合在一起",
    "stage": "计算图",
    "graph": "计算图",
    "minimap": "全图概览；方框是当前可见的部分",
    "map": "缩略图",
    "map_title": "显示或隐藏缩略图",
    "fold": "收起",
    "fold_title": "收起说明",
    "unfold": "说明",
    "unfold_title": "展开说明",
    "legend": "图例",
    "legend_current": "这一步的节点",
    "legend_receiving": "前向时被读取的输入，反向时接收梯度的节点",
    "legend_partial": "目前累加的梯度（n 项中已到 k 项）",
    "legend_final": "完整的梯度",
    "legend_path": "从输出到所点方框的路径",
    "legend_factor": "× 局部导数，标在反向一步的边上",
    "help_mouse": "按 → 和 ← 逐步前进或后退；拖动可平移，滚轮可缩放；点击方框查看它的链式法则；"
                  "鼠标停在方框上可看精确数值。",
    "help_touch": "点“下一步”继续；单指拖动可平移，双指捏合可缩放；轻点方框查看它的链式法则和"
                  "精确数值。",
    "no_dot": "没有找到 Graphviz 的 dot，所以本页使用简单的分层布局；安装 Graphviz 后"
              "排版会更整齐。",
    "dot_slow": "Graphviz 的 dot 排这个图大约要 {time}，所以本页使用简单的分层布局。",
    "dot_timeout": "Graphviz 的 dot 在 {time} 内没有排完这个图，所以本页使用简单的分层布局。",
    "data": "数值",
    "grad": "梯度",
    "so_far": "（{k}/{n}）",
    "a_leaf": "（叶节点）",
    "parameters": "{n} 个参数",
    "last_sample": "（{n} 个样本中的最后一个）",
    "start": "开始",
    "start_text": "叶节点已有数值。“下一步”先做前向计算（{forward} 个运算），再做反向传播"
                  "（{backward} 个节点，按引擎的遍历顺序），最后列出梯度表。",
    "forward_title": "前向计算：第 {k} 步，共 {n} 步",
    "backward_title": "反向传播：第 {k} 步，共 {n} 步，节点 {name}",
    "final_title": "梯度汇总",
    "counter": "第 {k} 步，共 {n} 步",
    "that_is": "（即 {name} = {full}）",
    "starts": "∂{top}/∂{top} = 1：反向传播从输出开始",
    "sum_of": "∂{top}/∂{me} 是 {n} 项之和，{me} 每被使用一次就有一项：",
    "leaf_done": "{me} 是叶节点：它的梯度已经完整，不再往下传",
    "sends_one": "{me} 传给它的输入：",
    "sends_each": "{me} 传给每个输入：",
    "so_far_sum": "（目前累计 {sum}）",
    "final_text": "所有梯度都已完整。梯度下降走一步，w ← w − lr·∂{top}/∂w，取 lr = {lr}，"
                  "得到：",
    "final_text_no_lr": "所有梯度都已完整。梯度下降走一步，会对每个参数做 w ← w − lr·∂{top}/∂w"
                        "（给 explore 传入 lr 即可看到新的数值）。",
    "column_name": "叶节点",
    "column_value": "数值",
    "column_grad": "∂{top}/∂w",
    "column_new": "w − lr·∂{top}/∂w",
    "node": "节点 {name}",
    "neuron": "神经元 {name}",
    "formula": "公式",
    "value": "数值",
    "partial": "局部导数",
    "exact": "精确值",
    "reached_at": "（反向传播在第 {k} 步到达它）",
    "not_yet": "（前向计算在第 {k} 步算出它）",
    "no_explanation": "本页没有保存 {name} 的解释（受 explore 的 explain_nodes 上限所限）；"
                      "高亮的就是它的路径。在 Python 里：print(explain(root, node))。",
    "members": "包含",
}

_TABLES = {"en": _EN, "zh": _ZH}
#: The languages the page speaks.
LANGUAGES = tuple(_TABLES)


def page_words(lang: str) -> dict[str, str]:
    """The page's table for `lang` ('en' or 'zh'), or a ValueError naming the languages."""
    if not isinstance(lang, str) or lang not in _TABLES:
        raise ValueError(f"explore: lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    return _TABLES[lang]
