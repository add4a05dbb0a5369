"""The k paths with the largest |product of partials| from a root down to one node, found
without listing every path.

∂root/∂wrt is the sum over every path of the product of the partials along it; a training
step's graph has far too many paths to list (they multiply at every layer), but a few of them
often carry most of the gradient. A path's |product| is the exp of the sum of log|partial|
along it, so the k largest are the k longest paths in log-magnitude: one pass over the graph
in the sweep's order (users before their inputs) keeps, for each node, the k best paths from
the root down to it, each extended by every edge into the node's inputs. The cost is
O(edges · k log k) time and O(nodes · k) memory, whatever the number of paths; that number is
counted alongside (a sum per node), never listed.

>>> from autograd import Value
>>> x = Value(2.0, label="x")
>>> y = x * 3.0 + x.tanh()
>>> found = largest_paths(y, x, 1)
>>> found.count, [round(p.product, 6) for p in found.paths]
(2, [3.0])
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from typing import Any

from autograd.graph import edges, topological_order
from autograd.value import Value

__all__ = ["LargestPaths", "WeighedPath", "largest_paths"]

#: One edge of a path: (the user node, the input position, the input, the recorded partial).
Step = tuple[Value, int, Value, float]
#: A path found so far: (log|product|, the entry it extends, its last step), None at the root.
Entry = tuple[float, Any, Step | None]


@dataclass
class WeighedPath:
    """One path from the root down to the node, its steps root first, and their product."""

    steps: list[Step]
    product: float

    @property
    def nodes(self) -> list[Value]:
        """The nodes on the path, the root first."""
        if not self.steps:
            return []
        return [self.steps[0][0], *(s[2] for s in self.steps)]


@dataclass
class LargestPaths:
    """What `largest_paths` found: the paths, largest |product| first, and how many in all."""

    paths: list[WeighedPath]
    count: int  #: every path from the root to the node, counted (an int of any size)
    #: the nodes the search visited (those on some path from the root to the node)
    visited: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


INF, NEG_INF = math.inf, -math.inf


def largest_paths(root: Value, wrt: Value, k: int, order: list[Value] | None = None,
                  on: set[int] | None = None) -> LargestPaths:
    """The `k` paths from `root` down to `wrt` with the largest |product of partials|, and the
    number of paths there are. `order` is `topological_order(root)` when the caller has it.

    Ties keep the graph's order (a node's inputs in input order, its users in sweep order), so
    the same graph always gives the same paths. When k is at least the number of paths, every
    path is found, and their products sum to the gradient (up to rounding). `on`, the ids of
    the nodes computed from `wrt` (and `wrt`), saves a walk when the caller has it.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"largest_paths: k must be an int >= 1, not {k!r}")
    if order is None:
        order = topological_order(root)
    # The nodes on some path from root to wrt: those computed from wrt (inputs come first).
    start = next((i for i, n in enumerate(order) if n is wrt), None)
    if start is None:
        return LargestPaths([], 0)
    if on is None:
        on = {id(wrt)}
        for n in order[start + 1:]:
            if not on.isdisjoint(map(id, n.parents)):
                on.add(id(n))
    if id(root) not in on:
        return LargestPaths([], 0, len(on))
    # An entry is (log|product|, the entry it extends, the step taken); kept k per node, best
    # first. Each edge into a node offers its user's list, shifted by log|partial|: still
    # sorted, so the node's k best are a k-way merge of those lists, never their concatenation.
    best: dict[int, list[Entry]] = {id(root): [(0.0, None, None)]}
    offers: dict[int, list[tuple[float, list[Entry], Step]]] = {}
    count: dict[int, int] = {id(root): 1}
    count_get, offers_get, log = count.get, offers.get, math.log
    for n in reversed(order[start:]):  # users before their inputs
        nid = id(n)
        if nid not in on:
            continue
        if n is not root:
            if nid not in offers:
                continue  # not reached from the root
            best[nid] = _merge(offers.pop(nid), k)
        if n is wrt:
            break
        mine, paths = best[nid], count[nid]
        for i, p, d in edges(n):  # the hot loop: one pass per edge, names bound locally
            pid = id(p)
            if pid not in on:
                continue
            count[pid] = count_get(pid, 0) + paths
            # log|d|, a NaN partial ranked first (a path through it is the one to look at)
            weight = (log(d if d > 0 else -d) if d else NEG_INF) if d == d else INF
            waiting = offers_get(pid)
            if waiting is None:
                offers[pid] = [(weight, mine, (n, i, p, d))]
            else:
                waiting.append((weight, mine, (n, i, p, d)))
        if n is not root:
            del best[nid]  # its inputs hold what they need; keeps memory to the frontier
    found: list[WeighedPath] = []
    for entry in best.get(id(wrt), []) if wrt is not root else []:
        steps: list[Step] = []
        while entry[2] is not None:
            steps.append(entry[2])
            entry = entry[1]
        steps.reverse()
        found.append(WeighedPath(steps, math.prod(s[3] for s in steps)))
    if wrt is root:
        found = [WeighedPath([], 1.0)]
    return LargestPaths(found, count.get(id(wrt), 0), len(on))


def _merge(offers: list[tuple[float, list[Any], Step]], k: int) -> list[Any]:
    """The k best entries over every offer (weight, a user's sorted entries, the step), best
    first; ties in the order the offers came."""
    heap = [(-(w + entries[0][0]), j, 0) for j, (w, entries, _) in enumerate(offers)]
    heapq.heapify(heap)
    out: list[Any] = []
    while heap and len(out) < k:
        key, j, r = heapq.heappop(heap)
        w, entries, step = offers[j]
        out.append((-key, entries[r], step))
        if r + 1 < len(entries):
            heapq.heappush(heap, (-(w + entries[r + 1][0]), j, r + 1))
    return out
