"""microgpt as a kuibu example: a character-level GPT trained on a list of names, then sampled.

    python -m nn.microgpt                      # 1000 steps on the bundled names, 20 samples
    python -m nn.microgpt --steps 200 --samples 5 --save names.json
    python -m nn.microgpt --compiled           # one program per document length, replayed
    python -m nn.microgpt --load names.json --samples 10

This is Karpathy's microgpt.py (February 2026) on kuibu's `nn`: the same model (`nn.GPT`), the
same training (one document per step, Adam with β = (0.85, 0.99) and a learning rate falling
linearly from 0.01 to 0) and the same sampling (temperature 0.5). The names list is bundled (540
common given names, `nn/data/names.txt`), so nothing is downloaded. Everything random comes from
one generator seeded with 42, drawn in microgpt's order (the shuffle, the weights, the samples),
so on the same list this gives microgpt's numbers. After training the model is saved as a kuibu
model file and loaded back, and the samples come from the loaded model.

`load_names`, `build` and `train` are the pieces, for use from Python.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from autograd import Program, codegen, sweep_order
from nn.modules import load
from nn.optim import Adam
from nn.saving import ModelFileError
from nn.train import progress_bar
from nn.transformer import GPT

__all__ = ["NAMES", "CompiledLoss", "build", "load_names", "main", "train"]

#: The bundled names list: one lowercase given name per line.
NAMES = Path(__file__).resolve().parent / "data" / "names.txt"


def load_names(path: str | os.PathLike[str] | None = None) -> list[str]:
    """The documents of a text file, one per line, stripped, empty lines left out (the bundled
    names list when `path` is None).

    >>> names = load_names()
    >>> len(names), names[:3]
    (540, ['aaron', 'abigail', 'ada'])
    """
    where = NAMES if path is None else Path(path)
    with open(where, encoding="utf-8") as f:
        docs = [line.strip() for line in f if line.strip()]
    if not docs:
        raise ValueError(f"{where}: no documents (every line is empty)")
    return docs


def build(docs: Sequence[str], seed: int | random.Random = 42, *, n_embd: int = 16,
          n_head: int = 4, n_layer: int = 1, block_size: int = 16,
          ) -> tuple[GPT, list[str], random.Random]:
    """microgpt's start: the documents shuffled and a GPT over their characters, both drawn
    from one generator (`seed`), which is returned for the sampling that follows."""
    rng = seed if isinstance(seed, random.Random) else random.Random(seed)
    shuffled = list(docs)
    rng.shuffle(shuffled)
    chars = "".join(sorted(set("".join(shuffled))))
    model = GPT(chars, n_embd=n_embd, n_head=n_head, n_layer=n_layer, block_size=block_size,
                rng=rng)
    return model, shuffled, rng


class CompiledLoss:
    """`model.loss(doc)` and its gradients by replaying a program, one per document length.

    Documents of the same length have graphs of the same shape: only the token embeddings,
    each softmax's shift and each target differ, and `GPT.template` leaves them open. Its
    program (`autograd.codegen`) is written the first time a length comes up and replayed for
    every later document of that length. The loss and the gradients are the engine's bit for
    bit: `loss_and_grads` gives what ``loss = model.loss(doc); loss.backward()`` leaves in
    `loss.data` and each parameter's ``.grad`` (starting from 0).
    """

    def __init__(self, model: GPT) -> None:
        self.model = model
        self.params = model.parameters()
        wte = {id(p) for row in model.wte.weight for p in row}
        self.others = [p for p in self.params if id(p) not in wte]  # every other parameter
        self.position = {id(p): i for i, p in enumerate(self.params)}
        self.programs: dict[int, tuple[Program, list[tuple[int, int, int]]]] = {}

    def program(self, n: int) -> tuple[Program, list[tuple[int, int, int]]]:
        """The program for documents of `n` positions (written now if it is the first), and
        where its token gradients go: (result index, position, embedding index), in the
        engine's order."""
        found = self.programs.get(n)
        if found is None:
            t = self.model.template(n)
            slots = [x for row in t.tokens for x in row]
            program = codegen(t.loss, wrt=[*self.others, *slots], inputs=t.targets,
                              maxima=t.maxima, picks=t.picks)
            # Where the engine adds each token gradient into its wte row: at the turn of the
            # node that adds the token's embedding to the position's, so in that order.
            where = {id(x): (pos, j) for pos, row in enumerate(t.tokens)
                     for j, x in enumerate(row)}
            users: dict[int, int] = {}
            for k, node in enumerate(sweep_order(t.loss)):
                for parent in node.parents:
                    if id(parent) in where and id(parent) not in users:
                        users[id(parent)] = k
            order = sorted(where, key=users.__getitem__)
            count = len(self.others)
            index = {id(x): count + k for k, x in enumerate(slots)}
            scatter = [(index[i], *where[i]) for i in order]
            found = self.programs[n] = (program, scatter)
        return found

    def loss_and_grads(self, doc: str) -> tuple[float, list[float]]:
        """The loss of `doc` and its gradient for each of `model.parameters()`, in order."""
        model = self.model
        tokens = model.encode(doc)
        n = min(model.block_size, len(tokens) - 1)
        program, scatter = self.program(n)
        embeddings = [p.data for pos in range(n) for p in model.wte.weight[tokens[pos]]]
        value, grads = program(*[p.data for p in self.others], *embeddings,
                               *tokens[1 : n + 1])
        result = [0.0] * len(self.params)
        position = self.position
        for p, g in zip(self.others, grads, strict=False):
            result[position[id(p)]] = 0.0 + g  # the engine's sum starts from 0.0
        for at, pos, j in scatter:  # each wte row's terms in the engine's order
            k = position[id(model.wte.weight[tokens[pos]][j])]
            result[k] += grads[at]
        return value, result


def train(model: GPT, docs: Sequence[str], steps: int, *, lr: float = 0.01,
          betas: tuple[float, float] = (0.85, 0.99), eps: float = 1e-8,
          progress: bool | None = None, file: IO[str] | None = None,
          compiled: bool = False) -> list[float]:
    """`steps` training steps, document `step % len(docs)` at each; returns the losses.

    Each step builds the graph of one document's loss (its shape follows the document's
    length), differentiates it, and takes an Adam step whose learning rate falls linearly to 0
    over the `steps` (microgpt's schedule). Progress shows as a tqdm bar when tqdm is installed
    (see `nn.train.progress_bar` for `progress`), else as a plain line every tenth of the run;
    progress=False shows nothing. With `compiled`, each step replays the program of its
    document's length (`CompiledLoss`, written the first time a length comes up): the same
    losses and weights as the engine's, bit for bit.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"train: steps must be an int >= 1, not {steps!r}")
    if not docs:
        raise ValueError("train: docs is empty")
    opt = Adam(model.parameters(), lr=lr, betas=betas, eps=eps, decay_steps=steps)
    stream = file if file is not None else sys.stderr
    bar = progress_bar(steps, progress, stream, unit="step") if progress is not False else None
    every = max(1, steps // 10)
    losses: list[float] = []
    replay = CompiledLoss(model) if compiled else None
    params = model.parameters()
    try:
        for step in range(steps):
            doc = docs[step % len(docs)]
            if replay is not None:
                value, grads = replay.loss_and_grads(doc)
                for p, g in zip(params, grads, strict=True):
                    p.grad = g
            else:
                loss = model.loss(doc)
                opt.zero_grad()
                loss.backward()
                value = loss.data
            opt.step()
            losses.append(value)
            if bar is not None:
                bar.set_postfix(loss=f"{value:.4f}", refresh=False)
                bar.update(1)
            elif progress is not False and ((step + 1) % every == 0 or step + 1 == steps):
                print(f"step {step + 1:4d} / {steps} | loss {value:.4f}", file=stream,
                      flush=True)
    finally:
        if bar is not None:
            bar.close()
    return losses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nn.microgpt", description="Train microgpt on a names list, then sample.")
    parser.add_argument("--steps", type=int, default=1000, help="training steps (1000)")
    parser.add_argument("--samples", type=int, default=20, help="names to sample (20)")
    parser.add_argument("--temperature", type=float, default=0.5, help="sampling (0.5)")
    parser.add_argument("--seed", type=int, default=42, help="the one generator's seed (42)")
    parser.add_argument("--names", help="a text file, one document per line (default: the "
                                        "bundled names list)")
    parser.add_argument("--save", default="microgpt.json",
                        help="where to save the trained model (microgpt.json); '' saves nothing")
    parser.add_argument("--load", help="sample from this saved model instead of training")
    parser.add_argument("--n-embd", type=int, default=16)
    parser.add_argument("--n-head", type=int, default=4)
    parser.add_argument("--n-layer", type=int, default=1)
    parser.add_argument("--block-size", type=int, default=16)
    parser.add_argument("--quiet", action="store_true", help="no progress")
    parser.add_argument("--compiled", action="store_true",
                        help="replay one program per document length (the same numbers, "
                             "faster once each length's program is written)")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.samples < 0:
        parser.error("--steps must be at least 1 and --samples at least 0")
    if not 0 < args.temperature < float("inf"):
        parser.error("--temperature must be a number > 0")
    try:
        return _run(args)
    except (OSError, ValueError) as e:  # ModelFileError is a ValueError
        print(f"microgpt: {_one_line(e)}", file=sys.stderr)
        return 2


def _one_line(e: BaseException) -> str:
    if isinstance(e, OSError) and e.filename is not None:
        return f"{e.filename}: {e.strerror or e}"
    return " ".join(str(e).split())


def _run(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    if args.load:
        model = load(args.load)
        if not isinstance(model, GPT):
            raise ModelFileError(args.load, "architecture.type",
                                 f"is {model.kind}, not a GPT; this command samples GPTs")
        print(f"loaded {args.load}: {model!r}")
    else:
        docs = load_names(args.names)
        model, docs, rng = build(docs, rng, n_embd=args.n_embd, n_head=args.n_head,
                                 n_layer=args.n_layer, block_size=args.block_size)
        print(f"num docs: {len(docs)}, vocab size: {model.vocab_size}, "
              f"num params: {len(model.parameters())}")
        start = time.perf_counter()
        losses = train(model, docs, args.steps, progress=False if args.quiet else None,
                       compiled=args.compiled)
        seconds = time.perf_counter() - start
        print(f"trained {args.steps} steps in {seconds:.1f} s "
              f"({seconds / args.steps * 1000:.0f} ms a step): loss {losses[0]:.4f} at the "
              f"first step, {losses[-1]:.4f} at the last")
        if args.save:
            model.save(args.save)
            loaded = load(args.save)
            if not isinstance(loaded, GPT) or loaded.get_weights() != model.get_weights():
                raise RuntimeError(f"{args.save} did not load back as the model saved")
            print(f"saved to {args.save} and loaded back")
            model = loaded
    print(f"--- {args.samples} samples at temperature {args.temperature} ---")
    for i in range(args.samples):
        print(f"sample {i + 1:2d}: {model.generate(args.temperature, rng)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
