"""A small GPT written on Values: embeddings, rmsnorm, softmax, bias-free linear maps, causal
self-attention with a key/value cache, and the model that joins them — microgpt's architecture.

Everything is written per number, as microgpt writes it: a vector is a list of Values and a
matrix a list of rows. Each output of a matrix-vector product is one `linear` node (Σ wₖ·xₖ,
summed left to right as Python's ``sum`` adds the products), so a step's graph has one node per
output rather than two per product, and the same numbers. With no `rng` the weights are drawn
from Python's global `random` in microgpt's order (``gauss(0, 0.08)``, matrix by matrix, row by
row), so the same seed gives microgpt's model.

>>> model = GPT("abc", n_embd=8, n_head=2, block_size=8, rng=0)
>>> len(model.parameters()), model.encode("cab")
(896, [3, 2, 0, 1, 3])
>>> loss = model.loss("cab")        # the mean of −log p(next token) over the 4 positions
>>> loss.label, round(loss.data, 4)
('loss', 1.5041)
>>> loss.backward()                 # every weight's gradient, through the key/value cache
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from autograd import Value, linear, no_grad
from nn import saving
from nn._text import short
from nn.modules import Module, _check_size, _generator

__all__ = [
    "GPT",
    "Block",
    "CausalSelfAttention",
    "Embedding",
    "KVCache",
    "Linear",
    "rmsnorm",
    "softmax",
]

#: microgpt's initial weights: normal, mean 0, this standard deviation.
STD = 0.08


def _draw(rng: random.Random | int | None, where: str) -> Any:
    generator = _generator(rng, where)
    return random.gauss if generator is None else generator.gauss


def _matrix(nout: int, nin: int, std: float, gauss: Any, label: str) -> list[list[Value]]:
    """nout rows of nin Values drawn from gauss(0, std), labelled ``label[i][j]``."""
    return [[Value(gauss(0, std), label=f"{label}[{i}][{j}]") for j in range(nin)]
            for i in range(nout)]


def _std(std: object, where: str) -> float:
    if isinstance(std, bool) or not isinstance(std, (int, float)) or not 0 <= std < math.inf:
        raise ValueError(f"{where}: std must be a finite number >= 0, not {short(std)}")
    return float(std)


def _vector(x: object, n: int, where: str) -> Sequence[Any]:
    if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
        raise TypeError(f"{where}: expected a list of {n} Values or numbers, not "
                        f"{type(x).__name__}: {short(x)}")
    if len(x) != n:
        raise ValueError(f"{where}: expected {n} inputs, got {len(x)}")
    return x


def _index(i: object, size: int, what: str, where: str) -> int:
    if isinstance(i, bool) or not isinstance(i, int):
        raise TypeError(f"{where}: the {what} must be an int, not {type(i).__name__}: {short(i)}")
    if not 0 <= i < size:
        raise ValueError(f"{where}: {what} {i} is out of range 0 .. {size - 1}")
    return i


# -- functions of vectors ----------------------------------------------------------------------


def rmsnorm(x: Sequence[Value], eps: float = 1e-5) -> list[Value]:
    """x scaled to a root-mean-square of about 1: xᵢ / √(mean(x²) + eps), with no learned gain.

    >>> [round(v.data, 4) for v in rmsnorm([Value(3.0), Value(-4.0)])]
    [0.8485, -1.1314]
    """
    if not x:
        raise ValueError("rmsnorm: x is empty")
    ms = linear(x, x) / len(x)  # Σ xᵢ·xᵢ / n as microgpt sums it
    scale = (ms + eps) ** -0.5
    return [xi * scale for xi in x]


#: While GPT.template builds its graph: where each softmax records its shift's leaf.
_SHIFTS: list[dict[Value, list[Value]]] = []


def softmax(logits: Sequence[Value]) -> list[Value]:
    """exp(zᵢ − max z) / Σⱼ exp(zⱼ − max z): the largest score is subtracted first (as a number:
    softmax does not change when every score moves alike), so no exp overflows.

    >>> [round(p.data, 4) for p in softmax([Value(1.0), Value(2.0), Value(3.0)])]
    [0.09, 0.2447, 0.6652]
    """
    if not logits:
        raise ValueError("softmax: logits is empty")
    top: Any = max(z.data for z in logits)
    if _SHIFTS:  # building a template (GPT.template): the shift is found when the program runs
        top = Value(top, label="shift")
        _SHIFTS[-1][top] = list(logits)
    exps = [(z - top).exp() for z in logits]
    total = linear([1.0] * len(exps), exps)  # the sum as one node, added left to right
    return [e / total for e in exps]


# -- layers ------------------------------------------------------------------------------------


class Linear:
    """y = W·x with no bias (microgpt's `linear`): `nout` rows of `nin` weights, each output one
    `linear` node."""

    def __init__(self, nin: int, nout: int, *, std: float = STD,
                 rng: random.Random | int | None = None, label: str = "") -> None:
        where = f"Linear({nin}, {nout})"
        self.nin = _check_size(nin, "nin", where)
        self.nout = _check_size(nout, "nout", where)
        self.weight = _matrix(nout, nin, _std(std, where), _draw(rng, where), label or "w")

    def __call__(self, x: Sequence[Value | float]) -> list[Value]:
        xs = _vector(x, self.nin, f"Linear({self.nin}, {self.nout})")
        return [linear(row, xs) for row in self.weight]

    def parameters(self) -> list[Value]:
        return [p for row in self.weight for p in row]


class Embedding:
    """A table of `num` learned vectors of size `dim`; calling it with an index gives that row
    (the parameter Values themselves, as microgpt's ``state_dict['wte'][token_id]``)."""

    def __init__(self, num: int, dim: int, *, std: float = STD,
                 rng: random.Random | int | None = None, label: str = "") -> None:
        where = f"Embedding({num}, {dim})"
        self.num = _check_size(num, "num", where)
        self.dim = _check_size(dim, "dim", where)
        self.weight = _matrix(num, dim, _std(std, where), _draw(rng, where), label or "e")

    def __call__(self, index: int) -> list[Value]:
        return self.weight[_index(index, self.num, "index", f"Embedding({self.num}, {self.dim})")]

    def parameters(self) -> list[Value]:
        return [p for row in self.weight for p in row]


class KVCache:
    """The keys and values of the positions seen so far, one list per layer: what attention at
    a later position looks back at. A fresh cache starts each document."""

    def __init__(self, n_layer: int) -> None:
        self.keys: list[list[list[Value]]] = [[] for _ in range(n_layer)]
        self.values: list[list[list[Value]]] = [[] for _ in range(n_layer)]

    def __len__(self) -> int:
        """How many positions are cached."""
        return len(self.keys[0]) if self.keys else 0


class CausalSelfAttention:
    """Multi-head attention of one position over itself and the positions before it.

    The query, key and value of the new position are W_q·x, W_k·x, W_v·x; the key and value join
    the cache. Each head compares its slice of the query with the slices of every cached key
    (q·k / √head_dim), turns the scores into weights (softmax) and mixes the cached values by
    them; the heads' outputs, side by side, go through W_o.
    """

    def __init__(self, n_embd: int, n_head: int, *, std: float = STD,
                 rng: random.Random | int | None = None, label: str = "attn") -> None:
        where = f"CausalSelfAttention({n_embd}, {n_head})"
        _check_size(n_embd, "n_embd", where)
        _check_size(n_head, "n_head", where)
        if n_embd % n_head:
            raise ValueError(f"{where}: n_embd must be a multiple of n_head ({n_embd} is not a "
                             f"multiple of {n_head})")
        self.n_embd, self.n_head, self.head_dim = n_embd, n_head, n_embd // n_head
        generator = _generator(rng, where)
        self.wq, self.wk, self.wv, self.wo = (
            Linear(n_embd, n_embd, std=std, rng=generator, label=f"{label}_{name}")
            for name in ("wq", "wk", "wv", "wo")
        )

    def __call__(self, x: Sequence[Value], keys: list[list[Value]],
                 values: list[list[Value]]) -> list[Value]:
        """The attention output for x at the next position; its key and value are appended to
        `keys` and `values` (one layer's lists of a `KVCache`)."""
        q = self.wq(x)
        keys.append(self.wk(x))
        values.append(self.wv(x))
        hd = self.head_dim
        scale = hd**0.5
        heads: list[Value] = []
        for s in range(0, self.n_embd, hd):
            q_h = q[s:s + hd]
            weights = softmax([linear(q_h, k[s:s + hd]) / scale for k in keys])
            heads.extend(linear(weights, [v[j] for v in values]) for j in range(s, s + hd))
        return self.wo(heads)

    def parameters(self) -> list[Value]:
        return [p for m in (self.wq, self.wk, self.wv, self.wo) for p in m.parameters()]


class Block:
    """One transformer layer: x + attention(rmsnorm(x)), then x + W₂·relu(W₁·rmsnorm(x))."""

    def __init__(self, n_embd: int, n_head: int, *, std: float = STD,
                 rng: random.Random | int | None = None, label: str = "layer0") -> None:
        generator = _generator(rng, f"Block({n_embd}, {n_head})")
        self.attn = CausalSelfAttention(n_embd, n_head, std=std, rng=generator,
                                        label=f"{label}.attn")
        self.fc1 = Linear(n_embd, 4 * n_embd, std=std, rng=generator, label=f"{label}.mlp_fc1")
        self.fc2 = Linear(4 * n_embd, n_embd, std=std, rng=generator, label=f"{label}.mlp_fc2")

    def __call__(self, x: list[Value], keys: list[list[Value]],
                 values: list[list[Value]]) -> list[Value]:
        a = self.attn(rmsnorm(x), keys, values)
        x = [ai + xi for ai, xi in zip(a, x, strict=True)]
        h = [hi.relu() for hi in self.fc1(rmsnorm(x))]
        return [mi + xi for mi, xi in zip(self.fc2(h), x, strict=True)]

    def parameters(self) -> list[Value]:
        return [*self.attn.parameters(), *self.fc1.parameters(), *self.fc2.parameters()]


# -- the model ---------------------------------------------------------------------------------


@dataclass
class Template:
    """`GPT.template`'s graph and its stand-in leaves."""

    loss: Value
    tokens: list[list[Value]]  #: per position, the token embedding's leaves
    targets: list[Value]  #: per position, the index of the target token
    maxima: dict[Value, list[Value]]  #: each softmax's shift: the largest of these logits
    picks: dict[Value, tuple[Value, list[Value]]]  #: each −log p's numerator: exps[target]


class GPT(Module):
    """A character-level GPT over the characters `chars`, microgpt's model.

    Token ids 0 .. len(chars) − 1 are the characters in order and ``len(chars)`` is BOS, which
    begins and ends every document. The input at a position is its token's embedding plus the
    position's, rmsnorm'd; then come `n_layer` blocks (`Block`), and `lm_head` maps the result to
    one score (logit) per token. The weights, in microgpt's order and with its names, are
    `matrices()`; they are drawn from `rng` (a random.Random or a seed), or from the global
    `random` when it is None.
    """

    kind: ClassVar[str] = "GPT"

    def __init__(self, chars: str, *, n_embd: int = 16, n_head: int = 4, n_layer: int = 1,
                 block_size: int = 16, std: float = STD,
                 rng: random.Random | int | None = None) -> None:
        where = "GPT"
        if not isinstance(chars, str) or not chars:
            raise TypeError(f"{where}: chars must be a non-empty str (the vocabulary), not "
                            f"{short(chars)}")
        repeated = sorted({c for c in chars if chars.count(c) > 1})
        if repeated:
            raise ValueError(f"{where}: chars must be distinct; {''.join(repeated)!r} repeat")
        for name, n in (("n_embd", n_embd), ("n_head", n_head), ("n_layer", n_layer),
                        ("block_size", block_size)):
            _check_size(n, name, where)
        if n_embd % n_head:
            raise ValueError(f"{where}: n_embd must be a multiple of n_head ({n_embd} is not a "
                             f"multiple of {n_head})")
        std = _std(std, where)
        generator = _generator(rng, where)
        self.chars, self.bos, self.vocab_size = chars, len(chars), len(chars) + 1
        self.n_embd, self.n_head = n_embd, n_head
        self.n_layer, self.block_size = n_layer, block_size
        self._ids = {c: i for i, c in enumerate(chars)}
        # Made in microgpt's order, so the global generator draws the same weights.
        self.wte = Embedding(self.vocab_size, n_embd, std=std, rng=generator, label="wte")
        self.wpe = Embedding(block_size, n_embd, std=std, rng=generator, label="wpe")
        self.lm_head = Linear(n_embd, self.vocab_size, std=std, rng=generator, label="lm_head")
        self.layers = [Block(n_embd, n_head, std=std, rng=generator, label=f"layer{i}")
                       for i in range(n_layer)]

    # -- text ----------------------------------------------------------------------------------

    def encode(self, doc: str) -> list[int]:
        """BOS, the characters' ids, BOS: a document as the model reads it."""
        if not isinstance(doc, str):
            raise TypeError(f"GPT.encode: expected a str, not {type(doc).__name__}: {short(doc)}")
        ids = [self.bos]
        for at, c in enumerate(doc):
            i = self._ids.get(c)
            if i is None:
                raise ValueError(f"GPT.encode: {c!r} at position {at} of {short(doc)} is not "
                                 f"among the model's characters {self.chars!r}")
            ids.append(i)
        ids.append(self.bos)
        return ids

    def decode(self, ids: Sequence[int]) -> str:
        """The characters of the ids (BOS is left out)."""
        return "".join(self.chars[_index(i, self.vocab_size, "token id", "GPT.decode")]
                       for i in ids if i != self.bos)

    # -- the forward pass ----------------------------------------------------------------------

    def __call__(self, token_id: int, pos_id: int,  # type: ignore[override]
                 cache: KVCache) -> list[Value]:
        """The logits for the token after `token_id` at position `pos_id`; the position's keys
        and values join `cache`, which holds the positions before it."""
        _index(token_id, self.vocab_size, "token id", "GPT")
        if isinstance(pos_id, int) and not isinstance(pos_id, bool) and pos_id >= self.block_size:
            raise ValueError(f"GPT: position {pos_id} is past the block size {self.block_size}: "
                             "there is no position embedding for it")
        return self._logits(self.wte(token_id), pos_id, cache)

    def _logits(self, token: Sequence[Value], pos_id: int, cache: KVCache) -> list[Value]:
        """The logits from a token's embedding (`token`, its n_embd Values) at `pos_id`."""
        x = [t + p for t, p in zip(token, self.wpe(pos_id), strict=True)]
        x = rmsnorm(x)
        for block, keys, values in zip(self.layers, cache.keys, cache.values, strict=True):
            x = block(x, keys, values)
        return self.lm_head(x)

    def loss(self, doc: str) -> Value:
        """The mean over the document's positions of −log p(the next token): microgpt's loss,
        its graph one training step. A document longer than the block size is cut there."""
        tokens = self.encode(doc)
        n = min(self.block_size, len(tokens) - 1)
        cache = KVCache(self.n_layer)
        losses = []
        for pos in range(n):
            probs = softmax(self(tokens[pos], pos, cache))
            losses.append(-probs[tokens[pos + 1]].log())
        loss = (1 / n) * linear([1.0] * n, losses)  # microgpt's (1/n)·Σ, the sum as one node
        loss.label = "loss"
        return loss

    def template(self, n: int) -> Template:
        """The graph of `loss` for every document of `n` positions at once: what differs
        between them stands in leaves, for `autograd.codegen` to write one program of.

        Each position's token embedding is `n_embd` leaves (``tokens[pos]``, given the rows of
        wte when the program runs); each softmax's shift is a leaf the program finds as the
        largest logit (`maxima`), and each position's −log p(target) picks its numerator among
        the softmax's exps by an index leaf (``targets[pos]``, `picks`). The rest is the graph
        `loss` records, node for node, so the program computes the engine's floats.
        """
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= self.block_size:
            raise ValueError(f"GPT.template: n must be an int from 1 to the block size "
                             f"{self.block_size}, not {n!r}")
        tokens = [[Value(0.0, label=f"token{pos}_{j}") for j in range(self.n_embd)]
                  for pos in range(n)]
        targets = [Value(0.0, label=f"target{pos}") for pos in range(n)]
        maxima: dict[Value, list[Value]] = {}
        picks: dict[Value, tuple[Value, list[Value]]] = {}
        cache = KVCache(self.n_layer)
        losses = []
        _SHIFTS.append(maxima)
        try:
            for pos in range(n):
                probs = softmax(self._logits(tokens[pos], pos, cache))
                # probs[k] is exps[k] / total: the pick stands in for the numerator.
                exps = [p.parents[0] for p in probs]
                total = probs[0].parents[1]
                picked = Value(0.0, label=f"picked{pos}")
                picks[picked] = (targets[pos], exps)
                losses.append(-(picked / total).log())
        finally:
            _SHIFTS.pop()
        loss = (1 / n) * linear([1.0] * n, losses)
        loss.label = "loss"
        return Template(loss, tokens, targets, maxima, picks)

    def generate(self, temperature: float = 0.5, rng: random.Random | int | None = None,
                 ) -> str:
        """One new document, token by token from BOS until the model gives BOS (or the block
        ends): each token drawn from softmax(logits / temperature), with `rng` (the global
        `random` when None). No graph is recorded."""
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not (
            0 < temperature < math.inf
        ):
            raise ValueError(f"GPT.generate: temperature must be a number > 0, not "
                             f"{short(temperature)}")
        generator = _generator(rng, "GPT.generate")
        choices = random.choices if generator is None else generator.choices
        ids = range(self.vocab_size)
        cache = KVCache(self.n_layer)
        token, out = self.bos, []
        with no_grad():
            for pos in range(self.block_size):
                probs = softmax([z / temperature for z in self(token, pos, cache)])
                token = choices(ids, weights=[p.data for p in probs])[0]
                if token == self.bos:
                    break
                out.append(self.chars[token])
        return "".join(out)

    # -- parameters, saving and loading --------------------------------------------------------

    def matrices(self) -> dict[str, list[list[Value]]]:
        """Every weight matrix by microgpt's name (its ``state_dict``), in its order."""
        found = {"wte": self.wte.weight, "wpe": self.wpe.weight, "lm_head": self.lm_head.weight}
        for i, block in enumerate(self.layers):
            a = block.attn
            for name, m in (("attn_wq", a.wq), ("attn_wk", a.wk), ("attn_wv", a.wv),
                            ("attn_wo", a.wo), ("mlp_fc1", block.fc1), ("mlp_fc2", block.fc2)):
                found[f"layer{i}.{name}"] = m.weight
        return found

    def parameters(self) -> list[Value]:
        return [p for m in self.matrices().values() for row in m for p in row]

    def architecture(self) -> dict[str, Any]:
        return {"type": self.kind, "chars": self.chars, "n_embd": self.n_embd,
                "n_head": self.n_head, "n_layer": self.n_layer, "block_size": self.block_size}

    def get_weights(self) -> dict[str, list[list[float]]]:
        """Each matrix by name, as rows of floats."""
        return {name: [[p.data for p in row] for row in m] for name, m in self.matrices().items()}

    def _validated_weights(self, weights: object, where: str) -> list[float]:
        shapes = dict(_shapes(self.architecture(), where))
        if not isinstance(weights, dict):
            raise TypeError(f"{where}: expected a dict of named matrices, not "
                            f"{type(weights).__name__}")
        if set(weights) != set(shapes):
            raise ValueError(f"{where}: expected the matrices {', '.join(shapes)}; got "
                             f"{', '.join(map(str, weights))}")
        flat: list[float] = []
        for name, (rows, columns) in shapes.items():
            m = weights[name]
            if not isinstance(m, list) or len(m) != rows or any(
                not isinstance(r, list) or len(r) != columns for r in m
            ):
                raise ValueError(f"{where}[{name!r}]: expected {rows} rows of {columns} numbers")
            for i, row in enumerate(m):
                for j, x in enumerate(row):
                    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(
                        x
                    ):
                        raise ValueError(f"{where}[{name!r}][{i}][{j}]: expected a finite "
                                         f"number, got {short(x)}")
                    flat.append(float(x))
        return flat

    def __repr__(self) -> str:
        return (f"GPT({self.chars!r}, n_embd={self.n_embd}, n_head={self.n_head}, "
                f"n_layer={self.n_layer}, block_size={self.block_size})")


def _shapes(arch: dict[str, Any], where: str) -> Iterator[tuple[str, tuple[int, int]]]:
    """Each matrix's name and (rows, columns) for a GPT architecture, in order, its fields
    checked first."""

    def size(field: str) -> int:
        n = arch[field]
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise saving.ModelFileError(where, f"architecture.{field}",
                                        f"must be a positive int, not {short(n)}")
        return n

    chars = arch["chars"]
    if not isinstance(chars, str) or not chars or len(set(chars)) != len(chars):
        raise saving.ModelFileError(where, "architecture.chars",
                                    f"must be a non-empty str of distinct characters, not "
                                    f"{short(chars)}")
    e, h, layers, block = size("n_embd"), size("n_head"), size("n_layer"), size("block_size")
    if e % h:
        raise saving.ModelFileError(where, "architecture.n_head",
                                    f"{h} does not divide n_embd ({e})")
    vocab = len(chars) + 1
    return _shape_items(vocab, e, layers, block)


def _shape_items(vocab: int, e: int, layers: int, block: int,
                 ) -> Iterator[tuple[str, tuple[int, int]]]:
    yield from (("wte", (vocab, e)), ("wpe", (block, e)), ("lm_head", (vocab, e)))
    for i in range(layers):
        for name in ("attn_wq", "attn_wk", "attn_wv", "attn_wo"):
            yield f"layer{i}.{name}", (e, e)
        yield f"layer{i}.mlp_fc1", (4 * e, e)
        yield f"layer{i}.mlp_fc2", (e, 4 * e)


def _from_file(arch: dict[str, Any], weights: dict[str, list[list[float]]]) -> GPT:
    model = GPT(arch["chars"], n_embd=arch["n_embd"], n_head=arch["n_head"],
                n_layer=arch["n_layer"], block_size=arch["block_size"], std=0.0)
    model.set_weights(weights)
    return model


saving.MATRIX_KINDS[GPT.kind] = saving.MatrixKind(
    ("chars", "n_embd", "n_head", "n_layer", "block_size"), _shapes, _from_file
)
