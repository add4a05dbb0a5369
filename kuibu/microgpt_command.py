"""``kuibu microgpt``: one training step of microgpt's model, seen by its structure.

The step is `nn.microgpt`'s: the bundled names list shuffled and a GPT made from one generator
(``--seed``), the loss of one document (``--doc``, microgpt's first when not given) and its
backward pass. The command says the loss and the graph's size, and then, as asked: ``--html``
writes the step's page (`viz.step_page`: one box per block, opened on click, a timeline
through the blocks), ``--draw`` its structural drawing (`draw_dot(collapse="structure")`),
``--explain WEIGHT`` the summary of ∂loss/∂WEIGHT by its ``--largest`` paths.
"""

from __future__ import annotations

import argparse
import difflib
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from kuibu.expressions import InputError
from kuibu.phrases import language_option

if TYPE_CHECKING:
    from autograd import Value
    from nn.transformer import GPT

HELP = "one training step of microgpt's model: its page, its drawing, a weight's largest paths"

_WORDS = {
    "en": {
        "step": "microgpt step on {doc!r}: loss {loss:.4f}, {nodes:,} nodes, {params:,} "
                "parameters (forward and backward {seconds:.2f} s)",
        "wrote": "wrote {path}",
        "title": "microgpt's model: one training step on {doc!r}",
        "subtitle": "nn.GPT with microgpt's shape ({n_layer} layer(s), {n_head} heads, n_embd "
                    "{n_embd}, {params:,} parameters) on the bundled names list; loss "
                    "{loss:.4f}, {nodes:,} nodes",
        "unread": "∂loss/∂{label} = 0: this step does not read {label}. {why}",
        "unread_wte": "Row {i} of wte is the embedding of {char!r}, which {doc!r} does not "
                      "contain.",
        "unread_wpe": "Row {i} of wpe is the embedding of position {i}, and the step reads "
                      "{span}.",
        "span_one": "position 0 only",
        "span_many": "positions 0 to {last}",
        "unread_cut": "Row {i} of wte is the embedding of {char!r}, which {doc!r} has only "
                      "past the block size ({n} positions).",
        "unread_other": "No node of the graph depends on it.",
        "no_weight": "explain: no weight or node labelled {label!r} in this step. The "
                     "weights are {shapes}, each entry labelled like wte[0][0]{hint}",
        "hint": "; did you mean {close}?",
    },
    "zh": {
        "step": "microgpt 在 {doc!r} 上的一个训练步：损失 {loss:.4f}，{nodes:,} 个节点，"
                "{params:,} 个参数（前向和反向共 {seconds:.2f} 秒）",
        "wrote": "已写入 {path}",
        "title": "microgpt 的模型：在 {doc!r} 上的一个训练步",
        "subtitle": "与 microgpt 同形的 nn.GPT（{n_layer} 层，{n_head} 个注意力头，n_embd "
                    "{n_embd}，{params:,} 个参数），用内置的名字列表；损失 {loss:.4f}，"
                    "{nodes:,} 个节点",
        "unread": "∂loss/∂{label} = 0：这一步没有读到 {label}。{why}",
        "unread_wte": "wte 的第 {i} 行是 {char!r} 的嵌入，而 {doc!r} 里没有它。",
        "unread_wpe": "wpe 的第 {i} 行是位置 {i} 的嵌入，而这一步只用到{span}。",
        "span_one": "位置 0",
        "span_many": "位置 0 到 {last}",
        "unread_cut": "wte 的第 {i} 行是 {char!r} 的嵌入，而 {doc!r} 里的它都在块长（{n} 个位置）"
                      "之外。",
        "unread_other": "图中没有节点依赖它。",
        "no_weight": "explain：这一步里没有名为 {label!r} 的权重或节点。权重有 {shapes}，"
                     "每个元素的名字形如 wte[0][0]{hint}",
        "hint": "；你是不是想写 {close}？",
    },
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--doc", help="the document of the step (default: microgpt's first after "
                                 "the shuffle)")
    p.add_argument("--seed", type=int, default=42, help="the one generator's seed (42)")
    p.add_argument("--n-embd", type=int, default=16)
    p.add_argument("--n-head", type=int, default=4)
    p.add_argument("--n-layer", type=int, default=1)
    p.add_argument("--block-size", type=int, default=16)
    p.add_argument("--html", metavar="PATH", help="write the step's page (.html)")
    p.add_argument("--draw", metavar="PATH",
                   help="draw the step by its structure (.svg, .png, .pdf, .dot)")
    p.add_argument("--dpi", type=int, metavar="N", help="resolution of a PNG")
    p.add_argument("--explain", metavar="WEIGHT",
                   help="summarise ∂loss/∂WEIGHT (a label such as layer0.attn_wq[0][0]) by its "
                        "largest paths")
    p.add_argument("--largest", type=int, default=5, metavar="K",
                   help="the paths the summary shows (5)")
    language_option(p)


def run(args: argparse.Namespace, out: TextIO) -> tuple[int, str]:
    """Take the step and write what was asked; (exit code, a drawing's error or "")."""
    from autograd import explain, topological_order
    from nn.microgpt import build, load_names
    from viz import draw_dot, render
    from viz.step_page import explore_step

    w = _WORDS[args.lang]
    for name in ("n_embd", "n_head", "n_layer", "block_size"):
        if getattr(args, name) < 1:
            raise InputError(f"--{name.replace('_', '-')} must be at least 1, not "
                             f"{getattr(args, name)}")
    if args.largest < 1:
        raise InputError(f"--largest must be at least 1, not {args.largest}")
    try:
        model, docs, _ = build(load_names(), args.seed, n_embd=args.n_embd, n_head=args.n_head,
                               n_layer=args.n_layer, block_size=args.block_size)
    except ValueError as error:
        raise InputError(str(error)) from None
    doc = docs[0] if args.doc is None else args.doc
    start = time.perf_counter()
    try:
        loss = model.loss(doc)
    except ValueError as error:
        raise InputError(str(error)) from None
    loss.backward()
    seconds = time.perf_counter() - start
    order = topological_order(loss)
    print(w["step"].format(doc=doc, loss=loss.data, nodes=len(order),
                           params=len(model.parameters()), seconds=seconds), file=out)
    if args.explain is not None:
        unread = _unread(model, doc, order, args.explain, w)
        if unread is not None:
            print("", file=out)
            print(unread, file=out)
        else:
            try:
                summary = explain(loss, args.explain, largest=args.largest)
            except ValueError as error:
                raise InputError(str(error)) from None
            print("", file=out)
            print(summary.text(lang=args.lang), file=out)
    if args.html:
        try:
            facts = {"doc": doc, "loss": loss.data, "nodes": len(order),
                     "params": len(model.parameters()), "n_layer": args.n_layer,
                     "n_head": args.n_head, "n_embd": args.n_embd}
            page = explore_step(loss, title=w["title"].format(**facts),
                                subtitle=w["subtitle"].format(**facts), lang=args.lang)
            path = page.save(args.html)
        except OSError as error:
            raise InputError(f"{args.html}: {error.strerror or error}") from None
        print(w["wrote"].format(path=path), file=out)
    if args.draw:
        try:
            graph = draw_dot(loss, collapse="structure", lang=args.lang, dpi=args.dpi)
            path = render(graph, args.draw)
        except Exception as error:  # Graphviz missing, a bad suffix, a file not written
            return 2, f"{args.draw}: {' '.join(str(error).split())}"
        print(w["wrote"].format(path=Path(path)), file=out)
    return 0, ""


def _unread(model: GPT, doc: str, order: list[Value], label: str,
            w: dict[str, str]) -> str | None:
    """What to say of `label` instead of its paths: its gradient is 0 when it is one of the
    model's weights that this step never reads (a character the document does not contain, a
    position past its end); an InputError naming the weights when it is neither a weight nor
    a node of the graph; None when `explain` has paths to show."""
    if any(v.label == label for v in order):
        return None
    where = {p.label: (name, i) for name, m in model.matrices().items()
             for i, row in enumerate(m) for p in row}
    found = where.get(label)
    if found is None:
        shapes = ", ".join(f"{name} ({len(m)} × {len(m[0])})"
                           for name, m in model.matrices().items())
        labels = dict.fromkeys([*where, *(v.label for v in order)])  # in order, once each
        close = difflib.get_close_matches(label, list(labels), n=3)
        hint = w["hint"].format(close=" / ".join(map(repr, close))) if close else ""
        raise InputError(w["no_weight"].format(label=label, shapes=shapes, hint=hint))
    name, i = found
    tokens = model.encode(doc)
    n = min(model.block_size, len(tokens) - 1)  # the positions the loss reads, as GPT.loss
    if name == "wte" and i < len(model.chars):
        key = "unread_cut" if model.chars[i] in doc else "unread_wte"
        why = w[key].format(i=i, char=model.chars[i], doc=doc, n=n)
    elif name == "wpe" and i >= n:
        span = w["span_one"] if n == 1 else w["span_many"].format(last=n - 1)
        why = w["unread_wpe"].format(i=i, span=span)
    else:
        why = w["unread_other"]
    return w["unread"].format(label=label, why=why)
