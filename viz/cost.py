"""How long Graphviz's `dot` will take to lay a drawing out, estimated before it runs.

The node count alone does not say it. `dot` puts every node on a rank and, for an edge that
spans several ranks, one virtual node on every rank between its ends; then it orders each rank
and places every real and virtual node by network simplex, whose time grows far faster than
their number. A leaf used all along a long chain (``x`` in ``x+x+…+x``, or in
``sin(x*1)+…+sin(x*100)``) therefore costs about the square of the chain's length: the 100-term
sum writes 199 nodes but makes 9,702 virtual ones for `dot` to place, which took it minutes. A
labelled edge (a highlighted path) doubles every span, since `dot` gives a label a rank of its
own.

`estimate` reads DOT source written one statement a line (as `viz.draw_dot` and the explorer
write it), ranks the nodes as `dot` tends to (each after its inputs, a leaf just before its
first use), counts the virtual nodes and the longest span, and turns the counts into seconds
with constants fitted to `dot`'s CPU time on Graphviz 2.43 (``python benchmarks/layout_cost.py``
measures them again); the estimate errs on the long side.

`spread` is the quick drawing of a graph that would be slow: a value used far from where it is
made is drawn again, in a dashed frame, beside each distant use, so no edge spans many ranks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["QUICK", "LayoutCost", "duration", "estimate", "estimate_graph", "seconds", "spread"]

#: A layout estimated to take longer than this many seconds is drawn spread (see `spread`).
QUICK = 2.0

_EDGE = re.compile(r"^(\s*)(\w+)\s*->\s*(\w+)(.*)$")
_NODE = re.compile(r"^\s*(\w+)\s*\[")
_KEYWORDS = frozenset({"graph", "node", "edge", "subgraph", "digraph", "strict"})
_LABEL = re.compile(r"\blabel\s*=")
_SAME = re.compile(r"^\s*\{\s*rank\s*=\s*same\s*;(.*)\}\s*$")
#: Spans an edge may keep when a drawing is spread, longest first (in `dot`'s ranks).
_SPANS = (256, 128, 64, 32, 16, 8, 4, 2)

Edge = tuple[str, str, bool]  # tail, head, whether it carries a label


@dataclass(frozen=True)
class LayoutCost:
    """What `dot` will lay out, and how long that is estimated to take on one core.

    `nodes` and `edges` are the drawing's; `ranks` how many ranks its longest path takes;
    `virtual` the nodes `dot` adds on the ranks that long edges cross; `longest` the most ranks
    one edge spans; `labels` the labelled edges; `seconds` the estimate.
    """

    nodes: int
    edges: int
    ranks: int
    virtual: int
    longest: int
    labels: int
    seconds: float

    def describe(self) -> str:
        """What makes the layout large, as a clause for a message."""
        text = f"{self.nodes:,} nodes and {self.edges:,} edges"
        if self.virtual > self.nodes:
            text += f", whose long edges make {self.nodes + self.virtual:,} nodes to place"
        return text


def seconds(nodes: int, edges: int, virtual: int, longest: int) -> float:
    """The estimated seconds of `dot` on a drawing with these counts, on one core.

    Fitted to Graphviz 2.43's CPU time on 30 drawings of seven shapes (sums x+x+…+x, sin sums,
    polynomials, random graphs with shared subexpressions, MLPs with their sums written as
    chains of +, chains, nn's MLPs; benchmarks/layout_cost.py): a drawing's own nodes cost
    little up to a few thousand (a chain of 4,000 nodes 0.4 s, of 10,000 nodes 20 to 30 s),
    while the virtual nodes of long edges cost about
    virtual^1.4 · longest^1.9, which is how 70 terms of x+x+…+x take over a minute. The fit is
    within a factor of 3.2 of every measurement; the estimate is three times the fit, so it
    errs on the long side.
    """
    # Placing the drawing's own nodes grows with their square, and faster past 4,000 (a chain of
    # 5,000 values, 10,000 nodes, takes 20 to 30 s).
    crowded: float = max(1.0, nodes / 4000) ** 1.5
    own = 0.03 + 4e-5 * (nodes + edges) + 5e-8 * nodes * nodes * crowded
    if virtual == 0:
        return own
    long_edges: float = 1.4e-8 * virtual**1.39 * max(longest, 1) ** 1.94
    return own + long_edges


def _parse(source: str) -> tuple[dict[str, int], list[tuple[int, str, str, bool]],
                                  dict[str, str]]:
    """The node ids (with the line that defines each, -1 when none does), the edges (line,
    tail, head, labelled) and the ranks held together (``{rank=same; a; b}``: each node of one
    to the first) of DOT source written one statement a line."""
    nodes: dict[str, int] = {}
    edges: list[tuple[int, str, str, bool]] = []
    same: dict[str, str] = {}
    for i, line in enumerate(source.splitlines()):
        found = _EDGE.match(line)
        if found:
            _, tail, head, rest = found.groups()
            nodes.setdefault(tail, -1)
            nodes.setdefault(head, -1)
            edges.append((i, tail, head, _LABEL.search(rest) is not None))
            continue
        group = _SAME.match(line)
        if group:
            members = [m.strip() for m in group.group(1).split(";") if m.strip()]
            for m in members:
                same[m] = members[0]
            continue
        named = _NODE.match(line)
        if named and named.group(1) not in _KEYWORDS and nodes.get(named.group(1), -1) < 0:
            nodes[named.group(1)] = i
    return nodes, edges, same


def _ranks(nodes: Sequence[str], edges: Sequence[Edge],
           same: Mapping[str, str]) -> dict[str, int]:
    """Each node's rank as `dot` tends to choose it: the longest path from the sources, then
    every source moved down to just before its first use (`dot` keeps edges short). Nodes held
    on one rank (`same`: node -> the first of its rank) are ranked as one, and an edge between
    two of them is flat: it orders them along the rank and adds no rank."""
    ranked = list(dict.fromkeys(same.get(n, n) for n in nodes))
    inputs: dict[str, int] = dict.fromkeys(ranked, 0)
    users: dict[str, list[str]] = {n: [] for n in ranked}
    for tail, head, _ in edges:
        t, h = same.get(tail, tail), same.get(head, head)
        if t != h:
            inputs[h] += 1
            users[t].append(h)
    sources = [n for n in ranked if inputs[n] == 0]
    rank = dict.fromkeys(ranked, 0)
    waiting = dict(inputs)
    ready = list(sources)
    for node in ready:  # Kahn's order; nodes of a cycle (none in kuibu's drawings) stay at 0
        for user in users[node]:
            rank[user] = max(rank[user], rank[node] + 1)
            waiting[user] -= 1
            if waiting[user] == 0:
                ready.append(user)
    for n in sources:
        if users[n]:
            rank[n] = min(rank[u] for u in users[n]) - 1
    return {n: rank[same.get(n, n)] for n in nodes}


def _spans(nodes: Sequence[str], edges: Sequence[Edge],
           same: Mapping[str, str] | None = None) -> tuple[list[int], int]:
    """Each edge's span in `dot`'s ranks, and the number of ranks."""
    rank = _ranks(nodes, edges, same or {})
    stretch = 2 if any(labelled for _, _, labelled in edges) else 1
    spans = [abs(rank[head] - rank[tail]) * stretch for tail, head, _ in edges]
    ranks = max(rank.values()) - min(rank.values()) + 1 if rank else 0
    return spans, ranks


def estimate_graph(nodes: Sequence[str], edges: Sequence[Edge],
                   same: Mapping[str, str] | None = None) -> LayoutCost:
    """The layout cost of a graph given as node ids and edges (tail, head, labelled), some
    nodes held on one rank (`same`: node -> the first node of its rank).

    >>> cost = estimate_graph(["a", "b", "c"], [("a", "b", False), ("a", "c", False),
    ...                                         ("b", "c", False)])
    >>> cost.nodes, cost.edges, cost.ranks, cost.virtual
    (3, 3, 3, 1)
    """
    spans, ranks = _spans(nodes, edges, same)
    virtual = sum(s - 1 for s in spans if s > 1)
    longest = max(spans, default=0)
    return LayoutCost(nodes=len(nodes), edges=len(edges), ranks=ranks, virtual=virtual,
                      longest=longest, labels=sum(1 for e in edges if e[2]),
                      seconds=seconds(len(nodes), len(edges), virtual, longest))


def estimate(source: str) -> LayoutCost:
    """The layout cost of DOT `source` written one statement a line, as `viz.draw_dot` and the
    explorer write it.

    >>> x = "x [label=<x>]"
    >>> chain = "\\n".join(["digraph {", x] + [f"x -> s{k}" for k in range(60)] +
    ...                    [f"s{k} -> s{k + 1}" for k in range(59)] + ["}"])
    >>> cost = estimate(chain)          # x feeds a chain 60 long: 1,770 virtual nodes
    >>> cost.nodes, cost.virtual, round(cost.seconds, 1)
    (61, 1770, 1.3)
    """
    nodes, edges, same = _parse(source)
    return estimate_graph(list(nodes), [(t, h, labelled) for _, t, h, labelled in edges], same)


def _copy(statement: str, old: str, new: str) -> str:
    """A node's statement for a copy of it: its own id, and an HTML-like table label framed
    with a dashed line, so the copy reads as a second drawing of the same value."""
    text = re.sub(rf"^(\s*){re.escape(old)}\b", rf"\g<1>{new}", statement, count=1)
    start = text.find("label=<")
    if start < 0:
        return text
    depth, i = 0, start + len("label=")
    for i in range(start + len("label="), len(text)):
        depth += {"<": 1, ">": -1}.get(text[i], 0)
        if depth == 0:
            break
    inner = text[start + len("label=<"):i]
    framed = ('<TABLE BORDER="1" STYLE="dashed" CELLBORDER="0" CELLSPACING="0" '
              f'CELLPADDING="2"><TR><TD>{inner}</TD></TR></TABLE>')
    return f"{text[:start]}label=<{framed}>{text[i + 1:]}"


def spread(source: str, goal: float = QUICK) -> tuple[str, LayoutCost, int]:
    """`source` with values used far from where they are made drawn again beside those uses.

    An edge spanning more ranks than a limit gets its own copy of its tail (same label, in a
    dashed frame), placed just before its head. The limit is the largest that brings the
    estimate under `goal` seconds (down to 2 ranks). Returns the new source, its cost, and
    how many copies were drawn (0: `source` unchanged).
    """
    nodes, edges, same = _parse(source)
    names = list(nodes)
    listed = [(t, h, labelled) for _, t, h, labelled in edges]
    spans, _ = _spans(names, listed, same)
    n, e = len(names), len(edges)
    if seconds(n, e, sum(s - 1 for s in spans if s > 1), max(spans, default=0)) <= goal:
        return source, estimate_graph(names, listed, same), 0
    limit = 0
    for limit in _SPANS:
        kept = sum(s - 1 for s in spans if 1 < s <= limit)
        copies = sum(1 for s in spans if s > limit)
        if copies and seconds(n + copies, e, kept, limit) <= goal:
            break
    moved = {i for i, s in enumerate(spans) if s > limit} if limit else set()
    if not moved:
        return source, estimate_graph(names, listed, same), 0
    lines = source.splitlines()
    out: list[str] = []
    by_line = {line: k for k, (line, _, _, _) in enumerate(edges)}
    for i, line in enumerate(lines):
        k = by_line.get(i)
        if k is None or k not in moved:
            if line.rstrip() == "}" and i == len(lines) - 1:
                out.append('\tkuibu_spread [shape=plaintext fontsize=10 fontcolor="#555555" '
                           'label=<Values in dashed frames are drawn again beside a distant '
                           'use, so that the layout stays quick.>]')
            out.append(line)
            continue
        _, tail, head, _ = edges[k]
        copy = f"{tail}_at{k}"
        defined = nodes[tail]
        statement = lines[defined] if defined >= 0 else f"\t{tail} []"
        out.append(_copy(statement, tail, copy))
        found = _EDGE.match(line)
        assert found is not None
        indent, _, _, rest = found.groups()
        out.append(f"{indent}{copy} -> {head}{rest}")
    text = "\n".join(out) + ("\n" if source.endswith("\n") else "")
    return text, estimate(text), len(moved)


def duration(seconds: float) -> str:
    """A rough duration for a message: ``0.4 s``, ``12 s``, ``3 min``, ``2 h``, ``12 days``.

    >>> [duration(s) for s in (0.42, 12.3, 200, 7200, 1e6)]
    ['0.4 s', '12 s', '3 min', '2 h', '12 days']
    """
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:,.0f} days"
