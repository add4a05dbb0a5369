"""The ``kuibu`` command line: demo, grad, explain, check, draw.

Exit codes: 0 when all is well, 1 when a hand-derived partial disagrees with the engine, 2 for a
mistake in the command (a bad expression, a missing value), with a one-line message and never a
traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from kuibu.expressions import InputError, evaluate_at, read_assignments, read_expression

EPILOG = """examples:
  kuibu demo
  kuibu grad "sigmoid(w*x + b)" --at w=0.5 x=1.5 b=-0.2
  kuibu grad "sigmoid(w*x + b)" --at w=0.5 x=1.5 b=-0.2 --explain w
  kuibu grad "sigmoid(w*x + b)" --at w=0.5 x=1.5 b=-0.2 \\
      --check "w=x*sigmoid(w*x+b)*(1-sigmoid(w*x+b))"
  kuibu grad "tanh(w*x)" --at w=0.5 x=2 --draw graph.svg
  kuibu explain "tanh(w*x + b)" --at w=0.5 x=1.5 b=-0.2 --wrt w --format markdown
  kuibu check "w*x**2" --at w=3 x=2 --partial "x=2*w*x" --partial "w=x**2"
  kuibu draw "sigmoid(w*x + b)" --at w=0.5 x=1.5 b=-0.2 -o graph.svg --highlight w
"""


def _number(x: float) -> str:
    return f"{x:.12g}"


def _json(document: Any) -> str:
    """Strict JSON (which has no inf or nan): a non-finite number is written "inf", "-inf" or
    "nan", so every JSON reader can take the output."""

    def strict(x: Any) -> Any:
        if isinstance(x, float) and not math.isfinite(x):
            return str(x)
        if isinstance(x, dict):
            return {k: strict(v) for k, v in x.items()}
        if isinstance(x, list):
            return [strict(v) for v in x]
        return x

    return json.dumps(strict(document), indent=2, allow_nan=False, ensure_ascii=False)


class Command:
    """One run of the command: where it writes, and how it ends."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self.out = out
        self.err = err

    def say(self, text: str = "") -> None:
        print(text, file=self.out)

    # -- grad and its relatives -----------------------------------------------------------------

    def grad(self, args: argparse.Namespace) -> int:
        checks = [self._read_check(c) for c in args.check or []]
        names = list(args.explain or []) + [name for name, _ in checks]
        evaluated = self._evaluate(args, names)
        formula, output, leaves = evaluated.formula, evaluated.output, evaluated.leaves
        at = {name: leaf.data for name, leaf in leaves.items()}
        gradient = {name: leaf.grad for name, leaf in leaves.items()}
        results = [self._check_one(evaluated, name, text, at) for name, text in checks]
        drawn = self._draw(output, args.draw, highlight=None) if args.draw else None

        if args.json:
            document: dict[str, Any] = {
                "expression": formula.text,
                "at": at,
                "value": output.data,
                "gradient": gradient,
            }
            if results:
                document["checks"] = results
            if args.explain:
                document["explain"] = {
                    name: self._explanation(output, leaves[name]).markdown()
                    for name in args.explain
                }
            if drawn:
                document["drawing"] = str(drawn)
            self.say(_json(document))
        else:
            point = ", ".join(f"{n} = {_number(v)}" for n, v in at.items())
            self.say(f"f = {formula.text}" + (f"   at {point}" if point else ""))
            self.say(f"f = {_number(output.data)}")
            for name, g in gradient.items():
                self.say(f"∂f/∂{name} = {_number(g)}")
            for name in args.explain or []:
                self.say()
                self.say(self._explanation(output, leaves[name]).text())
            for r in results:
                self.say()
                verdict = "agrees with" if r["ok"] else "DISAGREES with"
                self.say(f"Your ∂f/∂{r['name']} = {r['formula']}")
                self.say(f"  = {_number(r['yours'])}, which {verdict} the engine's "
                         f"{_number(r['engine'])}" + ("" if r["ok"] else
                                                      f" (off by {_number(r['difference'])})"))
                for hint in r["diagnosis"]:
                    self.say(f"  Your value {hint}")
            if drawn:
                self.say()
                self.say(f"The graph is drawn in {drawn}")
        return 0 if all(r["ok"] for r in results) else 1

    @staticmethod
    def _read_check(item: str) -> tuple[str, str]:
        name, sep, text = item.partition("=")
        if not sep or not name.strip().isidentifier() or not text.strip():
            raise InputError(f"--check takes name=formula, like \"w=x*(1-y)\"; got {item!r}")
        return name.strip(), text.strip()

    @staticmethod
    def _check_one(evaluated: Any, name: str, text: str, at: dict[str, float]) -> dict[str, Any]:
        from autograd import check_partials
        from autograd.formula import FLOAT_ALGEBRA, evaluate

        formula = read_expression(text)
        unknown = sorted(formula.names - set(at))
        if unknown:
            raise InputError(f"--check {name}: {', '.join(unknown)} has no value (use --at)")
        yours = float(evaluate(formula, at, FLOAT_ALGEBRA))
        report = check_partials(evaluated.output, {evaluated.leaves[name]: yours},
                                atol=1e-12, rtol=1e-9)
        row = report.rows[0]
        return {"name": name, "formula": text, "yours": yours, "engine": row.engine,
                "ok": row.ok, "difference": yours - row.engine, "diagnosis": list(row.hints)}

    @staticmethod
    def _explanation(output: Any, leaf: Any) -> Any:
        """The chain rule step by step: a typed expression names no inner node, so grouping
        factors between named nodes would fold everything into one."""
        from autograd import explain

        return explain(output, leaf, steps=True)

    @staticmethod
    def _draw(output: Any, path: str, highlight: Any) -> Path:
        from viz import RenderError, draw_dot, render

        target = Path(path)
        fmt = target.suffix.lstrip(".").lower() or "svg"
        if fmt not in ("svg", "png", "pdf", "dot"):
            raise InputError(f"cannot draw into .{fmt} files; use .svg, .png, .pdf or .dot")
        try:
            return render(draw_dot(output, highlight=highlight), target, format=fmt)
        except (RenderError, OSError) as e:
            raise InputError(str(e).splitlines()[0] if str(e) else repr(e)) from None

    def explain(self, args: argparse.Namespace) -> int:
        evaluated = self._evaluate(args, [args.wrt])
        text = self._explanation(evaluated.output, evaluated.leaves[args.wrt])
        rendered = {"text": text.text, "markdown": text.markdown, "latex": text.latex}
        if args.json:
            self.say(_json({"expression": args.expression, "wrt": args.wrt,
                            "gradient": evaluated.leaves[args.wrt].grad,
                            args.format: rendered[args.format]()}))
        else:
            self.say(rendered[args.format]())
        return 0

    def check(self, args: argparse.Namespace) -> int:
        args.check = args.partial
        args.explain = []
        args.draw = None
        return self.grad(args)

    def draw(self, args: argparse.Namespace) -> int:
        names = [args.highlight] if args.highlight else []
        evaluated = self._evaluate(args, names)
        leaf = evaluated.leaves[args.highlight] if args.highlight else None
        drawn = self._draw(evaluated.output, args.output, highlight=leaf)
        if args.json:
            self.say(_json({"expression": args.expression, "drawing": str(drawn)}))
        else:
            self.say(f"The graph of {args.expression} is drawn in {drawn}")
        return 0

    @staticmethod
    def _evaluate(args: argparse.Namespace, names: list[str]) -> Any:
        """Read the expression and the point, build the graph and run backward."""
        formula = read_expression(args.expression)
        evaluated = evaluate_at(formula, read_assignments(args.at or []))
        for name in names:
            if name not in evaluated.leaves:
                raise InputError(f"{name} is not a variable of {formula.text!r}")
        evaluated.output.backward()
        return evaluated

    # -- demo -----------------------------------------------------------------------------------

    def demo(self, args: argparse.Namespace) -> int:
        """The seed's worked network end to end (see nn.examples)."""
        from nn.examples import build, forward, run_worked_example

        if args.steps < 1:
            raise InputError(f"--steps must be at least 1, not {args.steps}")
        progress = False if args.no_progress else None  # None: a bar only on a terminal
        result = run_worked_example(out=self.out, train_steps=args.steps,
                                    explain_weights=("w5", "w1"), progress=progress)
        # The graph at the published starting point, with the paths to w5 marked.
        from viz import DotNotFoundError, draw_dot, render

        params = build()
        nodes = forward(params)
        nodes["E"].backward()
        target = Path(args.out)
        if target.suffix.lower() not in (".svg", ".png", ".pdf", ".dot"):
            raise InputError(f"--out {target}: use .svg, .png, .pdf or .dot")
        self.say()
        try:
            drawn = render(draw_dot(nodes["E"], highlight=params["w5"]), target)
        except DotNotFoundError as e:  # the demo's numbers stand; the drawing waits for dot
            self.say(str(e))
        else:
            self.say(f"The computation graph, with every path from E to w5 marked, is in {drawn}")
        return 0 if result.max_difference <= 1e-12 else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kuibu",
        description="Compute, explain, check and draw gradients of scalar expressions.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    demo = sub.add_parser("demo", help="the seed's worked network, end to end")
    demo.add_argument("--out", default="kuibu-demo.svg", help="where to draw the graph (SVG)")
    demo.add_argument("--steps", type=int, default=1000, help="training steps after the first")
    demo.add_argument("--no-progress", action="store_true", help="no progress bar")

    def expression_command(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text)
        p.add_argument("expression", help='an expression, e.g. "sigmoid(w*x + b)"')
        p.add_argument("--at", nargs="+", metavar="NAME=NUMBER", help="the point, e.g. w=0.5")
        p.add_argument("--json", action="store_true", help="machine-readable output")
        return p

    grad = expression_command("grad", "the value and every partial derivative")
    grad.add_argument("--explain", action="append", metavar="NAME",
                      help="also write out the chain rule for NAME")
    grad.add_argument("--check", action="append", metavar="NAME=FORMULA",
                      help="compare your formula for ∂f/∂NAME (exit 1 when it is wrong)")
    grad.add_argument("--draw", metavar="PATH", help="render the graph (.svg, .png, .pdf, .dot)")

    explain = expression_command("explain", "the chain rule for one variable, path by path")
    explain.add_argument("--wrt", required=True, metavar="NAME", help="the variable")
    explain.add_argument("--format", choices=["text", "markdown", "latex"], default="text")

    check = expression_command("check", "compare hand-derived partials with the engine's")
    check.add_argument("--partial", action="append", required=True, metavar="NAME=FORMULA",
                       help='your ∂f/∂NAME, e.g. "w=x*sigmoid(w*x+b)*(1-sigmoid(w*x+b))"; '
                       "repeat it for more; exit 1 when one is wrong")

    draw = expression_command("draw", "render the computation graph")
    draw.add_argument("-o", "--output", required=True, metavar="PATH",
                      help="the file to write: .svg, .png, .pdf or .dot")
    draw.add_argument("--highlight", metavar="NAME", help="mark every path to this variable")

    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    """Run the command; returns the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse has printed its message
        return int(e.code or 0)
    command = Command(out, err)
    try:
        return int(getattr(command, args.command)(args))
    except InputError as e:
        print(f"kuibu {args.command}: error: {e}", file=err)
        return 2
