"""Draw the documentation's figures into docs/images/ from code: ``python docs/make_figures.py``.

Every drawing and plot on the pages (the home page, the article's, the worked example's and
docs/viz.md) comes from here, so a change to the drawing shows up in the docs by
running this again. The graphs need Graphviz's `dot`; the plots need matplotlib (the `plot`
extra). Randomness comes from seeded generators, so the same code gives the same pictures.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograd import Value

IMAGES = Path(__file__).resolve().parent / "images"


def neuron() -> tuple[Value, dict[str, Value]]:
    """micrograd's neuron: o = tanh(x1·w1 + x2·w2 + b), after backward."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o, {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b, "n": n}


def expression() -> Value:
    """exp(tanh(x·y + x)·(y − 1.5)) with no labels at all: every inner node is named by kuibu."""
    x, y = Value(2.0), Value(-3.0)
    z = ((x * y + x).tanh() * (y - 1.5)).exp()
    z.backward()
    return z


def small_mlp() -> tuple[Value, Value]:
    """MLP(3, [4, 4, 1]) on one sample with a squared-error loss, and the weight
    layer1.neuron2.w0 (seeded, as a micrograd notebook would be)."""
    from nn import MLP, mse

    random.seed(0)
    model = MLP(3, [4, 4, 1])
    loss = mse(model([1.0, -0.5, 2.0]), 1.0)
    loss.backward()
    return loss, model.layers[1].neurons[2].w[0]


def graphs(out: Path, fmt: str = "svg") -> list[Path]:
    """The computation-graph figures (SVG; PNG to look at them with an image viewer)."""
    from nn import MLP, hinge
    from viz import draw_dot, render

    written = article(out, fmt)
    o, leaves = neuron()
    written += [
        render(draw_dot(o), out / f"viz-neuron.{fmt}"),
        render(draw_dot(o, highlight=leaves["w1"]), out / f"viz-highlight.{fmt}"),
        render(draw_dot(expression(), show_partials=True), out / f"viz-names.{fmt}"),
    ]
    loss, weight = small_mlp()
    written.append(render(draw_dot(loss, highlight=weight), out / f"viz-mlp.{fmt}"))
    written.append(render(draw_dot(loss, view="neurons"), out / f"viz-mlp-neurons.{fmt}"))
    rng = random.Random(0)
    big = MLP(2, [16, 16, 1], rng=0)
    points = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(100)]
    labels = [1.0 if x * y > 0 else -1.0 for x, y in points]
    batch = hinge([big(p) for p in points], labels)
    batch.backward()
    written.append(render(draw_dot(batch), out / f"viz-collapsed.{fmt}"))
    # The worked 2-2-2 network (docs/worked-example.md): one drawing per weight it explains,
    # its neuron view, and the slide preset (which draws the neuron view with larger text).
    from nn.examples import build, forward

    params = build()
    nodes = forward(params)
    nodes["E"].backward()
    for name in ("w5", "w1"):
        dot = draw_dot(nodes["E"], highlight=params[name])
        written.append(render(dot, out / f"worked-{name}.{fmt}"))
    written.append(render(draw_dot(nodes["E"], view="neurons", highlight=params["w5"]),
                          out / f"worked-neurons.{fmt}"))
    written.append(render(draw_dot(nodes["E"], highlight=params["w5"], size="16:9", lang="zh"),
                          out / f"worked-slide-zh.{fmt}"))
    return written


def article(out: Path, fmt: str = "svg") -> list[Path]:
    """The article's network (docs/index.md, docs/article.md) with both paths from E to W12
    marked and every edge on them labelled with its factor, captioned in English and Chinese.

    The boxes leave out the gradients: with them the drawing is twice as wide and its text too
    small to read at a page's width (the caption still gives ∂E/∂W12, and `kuibu draw` or the
    step-by-step page shows every gradient).
    """
    from nn import article_network
    from viz import draw_dot, render

    net = article_network()
    net.E.backward()
    return [render(draw_dot(net.E, highlight=net["W12"], show_grad=False, lang=lang),
                   out / f"article-w12{suffix}.{fmt}")
            for lang, suffix in (("en", ""), ("zh", "-zh"))] + [
        # The home page's picture: a box per neuron, with every gradient, both paths marked.
        render(draw_dot(net.E, view="neurons", highlight=net["W12"], lang=lang),
               out / f"article-neurons{suffix}.{fmt}")
        for lang, suffix in (("en", ""), ("zh", "-zh"))]


def plots(out: Path) -> list[Path]:
    """The training figures (PNG): a small network learning the two moons."""
    from nn import MLP, SGD, datasets, hinge
    from viz import plot_decision_boundary, plot_loss

    points, labels = datasets.moons(100, noise=0.1, seed=0, labels=(-1, 1))
    model = MLP(2, [16, 16, 1], rng=0)
    optimizer = SGD(model.parameters(), lr=0.1)
    history = []
    for _ in range(60):
        loss = hinge([model(p) for p in points], labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(loss.data)
    return [
        plot_loss(history, out / "viz-loss.png", title="Hinge loss on the two moons"),
        plot_decision_boundary(model, points, labels, out / "viz-boundary.png",
                               title="After 60 steps of SGD"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=IMAGES, help="where to write the images")
    parser.add_argument("--no-plots", action="store_true", help="only the graphs")
    parser.add_argument("--format", choices=("svg", "png"), default="svg",
                        help="the graphs' format (png: to look at them in an image viewer)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    written = graphs(args.out, args.format) + ([] if args.no_plots else plots(args.out))
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
