"""microgpt's program, written over any Value class: the reference kuibu is held to.

Karpathy's microgpt.py trains a character-level GPT on a ~40-line scalar `Value` whose nodes keep
their children and local gradients in two tuples. This module is our own writing of the same
program with the Value class as a parameter, so the same training can run on `MicroValue` (a
Value with microgpt's semantics, written here) and on kuibu's `autograd.Value`, step for step:

- `MicroValue` wraps every plain number in a leaf node, writes ``a - b`` as ``a + (-b)``,
  ``-a`` as ``a * -1`` and ``a / b`` as ``a * b**-1``, and its backward pass visits nodes in the
  reverse of a depth-first post-order over ``_children`` (the order microgpt's recursive
  ``build_topo`` gives), adding ``local_grad * v.grad`` into each child in turn;
- `Run` is microgpt's script as functions: the tokenizer, the parameters drawn from one
  generator (shuffle, then ``gauss(0, 0.08)`` row by row in the state dict's order), `gpt` with
  its key/value cache, the loss of one document, Adam with linear decay, and sampling.

Both engines see the same floats in the same order; kuibu's `sub`, `div` and `neg` are single
operations, so a value can differ from microgpt's in its last bit, and the gradients are summed
in another order: losses agree to about 1e-15, not bit for bit.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class MicroValue:
    """A scalar with microgpt's semantics: children and local gradients in two tuples."""

    __slots__ = ("_children", "_local_grads", "data", "grad")

    def __init__(
        self, data: float, children: tuple[Any, ...] = (), local_grads: tuple[Any, ...] = ()
    ) -> None:
        self.data = data
        self.grad: float = 0
        self._children = children
        self._local_grads = local_grads

    @staticmethod
    def _wrap(x: Any) -> MicroValue:
        return x if isinstance(x, MicroValue) else MicroValue(x)

    def __add__(self, other: Any) -> MicroValue:
        o = MicroValue._wrap(other)
        return MicroValue(self.data + o.data, (self, o), (1, 1))

    def __mul__(self, other: Any) -> MicroValue:
        o = MicroValue._wrap(other)
        return MicroValue(self.data * o.data, (self, o), (o.data, self.data))

    def __pow__(self, k: float) -> MicroValue:
        return MicroValue(self.data**k, (self,), (k * self.data ** (k - 1),))

    def log(self) -> MicroValue:
        return MicroValue(math.log(self.data), (self,), (1 / self.data,))

    def exp(self) -> MicroValue:
        return MicroValue(math.exp(self.data), (self,), (math.exp(self.data),))

    def relu(self) -> MicroValue:
        return MicroValue(max(0, self.data), (self,), (float(self.data > 0),))

    def __neg__(self) -> MicroValue:
        return self * -1

    def __radd__(self, other: Any) -> MicroValue:
        return self + other

    def __sub__(self, other: Any) -> MicroValue:
        return self + (-other)

    def __rsub__(self, other: Any) -> MicroValue:
        return other + (-self)  # type: ignore[no-any-return]

    def __rmul__(self, other: Any) -> MicroValue:
        return self * other

    def __truediv__(self, other: Any) -> MicroValue:
        return self * other**-1

    def __rtruediv__(self, other: Any) -> MicroValue:
        return other * self**-1  # type: ignore[no-any-return]

    def backward(self) -> None:
        """Reverse post-order over the children (microgpt's recursive order, kept iteratively
        so deep graphs need no recursion limit), each child's grad += local grad × node grad."""
        topo: list[MicroValue] = []
        visited: set[MicroValue] = set()
        stack: list[tuple[MicroValue, int]] = [(self, 0)]
        while stack:
            v, i = stack.pop()
            if i == 0:
                if v in visited:
                    continue
                visited.add(v)
            if i < len(v._children):
                stack.append((v, i + 1))
                stack.append((v._children[i], 0))
            else:
                topo.append(v)
        self.grad = 1
        for v in reversed(topo):
            for child, local_grad in zip(v._children, v._local_grads, strict=True):
                child.grad += local_grad * v.grad


@dataclass
class Config:
    """microgpt's hyperparameters (its defaults)."""

    n_embd: int = 16
    n_head: int = 4
    n_layer: int = 1
    block_size: int = 16
    std: float = 0.08
    learning_rate: float = 0.01
    beta1: float = 0.85
    beta2: float = 0.99
    eps: float = 1e-8
    num_steps: int = 1000
    temperature: float = 0.5


class Plain:
    """A number that records nothing: microgpt's operations on one slotted float, no children,
    no partials. microgpt's forward on it is the program's own Python (its loops, lists and
    calls) with one object made per operation: the floor under any engine that makes one
    object per ``+`` and ``*``, before it records anything. It has no backward."""

    __slots__ = ("data", "grad")

    def __init__(self, data: float, children: tuple[Any, ...] = (),
                 local_grads: tuple[Any, ...] = ()) -> None:
        self.data = data
        self.grad: float = 0

    def __add__(self, other: Any) -> Plain:
        return Plain(self.data + (other.data if other.__class__ is Plain else other))

    def __mul__(self, other: Any) -> Plain:
        return Plain(self.data * (other.data if other.__class__ is Plain else other))

    def __sub__(self, other: Any) -> Plain:
        return Plain(self.data - (other.data if other.__class__ is Plain else other))

    def __truediv__(self, other: Any) -> Plain:
        return Plain(self.data / (other.data if other.__class__ is Plain else other))

    __radd__ = __add__
    __rmul__ = __mul__

    def __rsub__(self, other: Any) -> Plain:
        return Plain(other - self.data)

    def __rtruediv__(self, other: Any) -> Plain:
        return Plain(other / self.data)

    def __neg__(self) -> Plain:
        return Plain(-self.data)

    def __pow__(self, k: float) -> Plain:
        return Plain(self.data**k)

    def log(self) -> Plain:
        return Plain(math.log(self.data))

    def exp(self) -> Plain:
        return Plain(math.exp(self.data))

    def relu(self) -> Plain:
        return Plain(max(0, self.data))


def linear(x: Sequence[Any], w: Sequence[Sequence[Any]]) -> list[Any]:
    return [sum(wi * xi for wi, xi in zip(row, x)) for row in w]  # noqa: B905


def softmax(logits: Sequence[Any]) -> list[Any]:
    top = max(v.data for v in logits)
    exps = [(v - top).exp() for v in logits]
    total = sum(exps)
    return [e / total for e in exps]


def rmsnorm(x: Sequence[Any]) -> list[Any]:
    ms = sum(xi * xi for xi in x) / len(x)
    scale = (ms + 1e-5) ** -0.5
    return [xi * scale for xi in x]


class Run:
    """microgpt's script over the Value class `V`: the documents are shuffled and the
    parameters drawn from `rng` when it is made; `step` trains on the next document."""

    def __init__(
        self, V: Any, docs: Sequence[str], config: Config | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.V = V
        self.cfg = cfg = config or Config()
        self.rng = rng if rng is not None else random.Random(42)
        self.docs = list(docs)
        self.rng.shuffle(self.docs)
        self.uchars = sorted(set("".join(self.docs)))
        self.bos = len(self.uchars)
        self.vocab_size = len(self.uchars) + 1
        self.head_dim = cfg.n_embd // cfg.n_head
        gauss = self.rng.gauss

        def matrix(nout: int, nin: int) -> list[list[Any]]:
            return [[V(gauss(0, cfg.std)) for _ in range(nin)] for _ in range(nout)]

        e = cfg.n_embd
        self.state: dict[str, list[list[Any]]] = {
            "wte": matrix(self.vocab_size, e), "wpe": matrix(cfg.block_size, e),
            "lm_head": matrix(self.vocab_size, e),
        }
        for i in range(cfg.n_layer):
            for name in ("attn_wq", "attn_wk", "attn_wv", "attn_wo"):
                self.state[f"layer{i}.{name}"] = matrix(e, e)
            self.state[f"layer{i}.mlp_fc1"] = matrix(4 * e, e)
            self.state[f"layer{i}.mlp_fc2"] = matrix(e, 4 * e)
        self.params = [p for mat in self.state.values() for row in mat for p in row]
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)
        self.steps_done = 0
        #: the MLP's nonlinearity; a copy that extends the Value (a GELU, say) replaces it
        self.activation: Any = lambda x: x.relu()

    def gpt(self, token_id: int, pos_id: int, keys: list[list[Any]],
            values: list[list[Any]]) -> list[Any]:
        """The logits after one token, its keys and values appended to the cache."""
        sd, hd = self.state, self.head_dim
        x = [t + p for t, p in zip(sd["wte"][token_id], sd["wpe"][pos_id])]  # noqa: B905
        x = rmsnorm(x)
        for li in range(self.cfg.n_layer):
            residual = x
            x = rmsnorm(x)
            q = linear(x, sd[f"layer{li}.attn_wq"])
            k = linear(x, sd[f"layer{li}.attn_wk"])
            v = linear(x, sd[f"layer{li}.attn_wv"])
            keys[li].append(k)
            values[li].append(v)
            heads: list[Any] = []
            for h in range(self.cfg.n_head):
                s = h * hd
                q_h = q[s:s + hd]
                k_h = [ki[s:s + hd] for ki in keys[li]]
                v_h = [vi[s:s + hd] for vi in values[li]]
                logits = [sum(q_h[j] * k_h[t][j] for j in range(hd)) / hd**0.5
                          for t in range(len(k_h))]
                weights = softmax(logits)
                heads.extend(sum(weights[t] * v_h[t][j] for t in range(len(v_h)))
                             for j in range(hd))
            x = linear(heads, sd[f"layer{li}.attn_wo"])
            x = [a + b for a, b in zip(x, residual)]  # noqa: B905
            residual = x
            x = rmsnorm(x)
            x = linear(x, sd[f"layer{li}.mlp_fc1"])
            x = [self.activation(xi) for xi in x]
            x = linear(x, sd[f"layer{li}.mlp_fc2"])
            x = [a + b for a, b in zip(x, residual)]  # noqa: B905
        return linear(x, sd["lm_head"])

    def tokens(self, doc: str) -> list[int]:
        return [self.bos] + [self.uchars.index(ch) for ch in doc] + [self.bos]

    def loss(self, doc: str) -> Any:
        """The mean loss over one document's positions: the graph of one training step."""
        tokens = self.tokens(doc)
        n = min(self.cfg.block_size, len(tokens) - 1)
        keys: list[list[Any]] = [[] for _ in range(self.cfg.n_layer)]
        values: list[list[Any]] = [[] for _ in range(self.cfg.n_layer)]
        losses = []
        for pos in range(n):
            probs = softmax(self.gpt(tokens[pos], pos, keys, values))
            losses.append(-probs[tokens[pos + 1]].log())
        return (1 / n) * sum(losses)

    def update(self) -> None:
        """microgpt's Adam step with its linear learning-rate decay; grads back to 0."""
        cfg, step = self.cfg, self.steps_done
        lr_t = cfg.learning_rate * (1 - step / cfg.num_steps)
        b1, b2 = cfg.beta1, cfg.beta2
        for i, p in enumerate(self.params):
            self.m[i] = b1 * self.m[i] + (1 - b1) * p.grad
            self.v[i] = b2 * self.v[i] + (1 - b2) * p.grad**2
            m_hat = self.m[i] / (1 - b1 ** (step + 1))
            v_hat = self.v[i] / (1 - b2 ** (step + 1))
            p.data -= lr_t * m_hat / (v_hat**0.5 + cfg.eps)
            p.grad = 0
        self.steps_done += 1

    def step(self) -> float:
        """One training step on the next document; returns its loss."""
        loss = self.loss(self.docs[self.steps_done % len(self.docs)])
        loss.backward()
        self.update()
        return float(loss.data)

    def sample(self) -> str:
        """One name, drawn token by token from the model at the configured temperature."""
        cfg = self.cfg
        keys: list[list[Any]] = [[] for _ in range(cfg.n_layer)]
        values: list[list[Any]] = [[] for _ in range(cfg.n_layer)]
        token, out = self.bos, []
        for pos in range(cfg.block_size):
            logits = self.gpt(token, pos, keys, values)
            probs = softmax([z / cfg.temperature for z in logits])
            token = self.rng.choices(range(self.vocab_size), weights=[p.data for p in probs])[0]
            if token == self.bos:
                break
            out.append(self.uchars[token])
        return "".join(out)
