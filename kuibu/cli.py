"""The ``kuibu`` command line: demo, grad, explain, check, draw, audit.

Exit codes (also in ``kuibu --help``): 0 when all is well, 1 when a hand-derived partial
disagrees with the engine, 2 for a mistake in the command or its surroundings (a bad expression,
a missing value, a file that cannot be written, a full disk), with one line on stderr and never a
traceback, 3 for a bug in kuibu itself, also on one line, and 130 when interrupted (Ctrl-C).
What is written, and how, is `kuibu.output`'s.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import math
import os
import re
import stat
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, TextIO, cast

from autograd import Value
from kuibu.expressions import (
    Evaluated,
    InputError,
    evaluate_at,
    read_assignments,
    read_expression,
    read_file,
    read_formula,
    shorten,
)
from kuibu.output import (
    BUG,
    DISAGREES,
    INTERRUPTED,
    USAGE,
    Console,
    OutputError,
    Progress,
    can_show,
    json_text,
)
from kuibu.phrases import default_language, language_option, phrases

EPILOG = """examples:
  kuibu demo
  kuibu demo --network article --lang zh
  kuibu grad "sigmoid(w*x + b)" --at w=0.5 x=1.5 b=-0.2
  kuibu grad "sigmoid(w*x + b)" --at w=0.5 x=1.5 b=-0.2 --explain w
  kuibu grad "sigmoid(w*x + b)" --at w=0.5 x=1.5 b=-0.2 \\
      --check "w=x*sigmoid(w*x+b)*(1-sigmoid(w*x+b))"
  kuibu grad "tanh(w*x)" --at w=0.5 x=2 --draw graph.svg
  kuibu explain "tanh(w*x + b)" --at w=0.5 x=1.5 b=-0.2 --wrt w --format markdown
  kuibu check "w*x**2" --at w=3 x=2 --partial "x=2*w*x" --partial "w=x**2"
  kuibu draw "sigmoid(w*x + b)" --at w=0.5 x=1.5 b=-0.2 -o graph.svg --highlight w
  kuibu explain "net = w*x + b; out = sigmoid(net)" --at w=0.5 x=1.5 b=-0.2 --wrt w
  kuibu check -f derivation.txt --at w=0.5 x=1.5 b=-0.2 --partial "w=0.348" --lang zh
  kuibu audit my_engine.py

exit codes:
  0  success
  1  a --check (or check --partial) disagrees with the engine; audit found a mistake
  2  bad input or usage, a file that cannot be written, a full disk: one line on stderr
     says what and where
  3  a bug in kuibu: one line on stderr names the exception (please report it)
  130  interrupted (Ctrl-C)
"""

COMMANDS = ("demo", "grad", "explain", "check", "draw", "audit", "microgpt")
DRAWABLE = ("svg", "png", "pdf", "dot")
#: Random points near the given one that --check also compares at, by default.
POINTS = 5
#: The most points --points takes; and the most node evaluations a check may spend on the
#: points near the given one (each point replays the whole graph), so a long expression
#: with many points is refused with the number that fits rather than run for minutes.
MAX_POINTS, CHECK_BUDGET = 1000, 250_000
CHECK_SEED = 0
#: How close a hand-derived formula must come to the engine's (a number is checked to the
#: digits it was typed with); --atol and --rtol replace both.
ATOL, RTOL = 1e-12, 1e-9
#: Training steps of Mazur's network in `kuibu demo` (the article's makes one update).
DEMO_STEPS = 1000
#: The drawing options' defaults: viz's own (viz.MAX_NODES, viz.render.TIMEOUT and COLLAPSE),
#: written here so that reading a command line does not import graphviz (a test holds them
#: equal).
MAX_NODES, TIMEOUT, COLLAPSE = 2000, 60.0, ("auto", "always", "never")


def version() -> str:
    """The installed package's version, else the source tree's (pyproject.toml), else unknown."""
    try:
        return metadata.version("kuibu")
    except metadata.PackageNotFoundError:
        pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
        found = re.search(r'^version\s*=\s*"([^"]+)"', pyproject.read_text(encoding="utf-8"),
                          flags=re.M) if pyproject.is_file() else None
        return found.group(1) if found else "unknown"


#: What the demo's page shows, under its title: which network, in each language.
def _number(x: float) -> str:
    return f"{x:.12g}"


def _json(document: Any) -> str:
    """Strict JSON (which has no inf or nan, and is UTF-8): see `kuibu.output.json_text`."""
    return json_text(document)


def _difference(yours: float, engine: float, agree: bool) -> float:
    """yours − engine, 0 when they agree on a non-finite value, inf when only one is finite."""
    if math.isfinite(yours) and math.isfinite(engine):
        return yours - engine
    return 0.0 if agree else math.inf


def explanation_dict(explanation: Any) -> dict[str, Any]:
    """An explanation as structure for ``--json``: its paths (each factor's name, formula and
    value, and the path's product), or its per-node δs, the sum and the engine's gradient.

    The explanation's own ``to_dict()`` where the library has one; else the same keys, read
    from its fields here.
    """
    to_dict = getattr(explanation, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())

    def factor(f: Any) -> dict[str, Any]:
        return {"name": f.symbol(), "top": f.top, "bottom": f.bottom, "formula": f.formula,
                "latex": f.latex_formula, "value": f.value, "steps": f.steps,
                "subpaths": f.subpaths}

    return {
        "output": explanation.output,
        "wrt": explanation.leaf,
        "path_count": explanation.path_count,
        "listed": explanation.listed,
        "paths": [{"nodes": list(p.nodes), "factors": [factor(f) for f in p.factors],
                   "product": p.product} for p in explanation.paths],
        "deltas": [{"node": d.node, "value": d.value,
                    "terms": [{"user": u, "factor": factor(f)} for u, f in d.terms]}
                   for d in explanation.deltas],
        "sum": explanation.total,
        "gradient": explanation.gradient,
        "definitions": {name: text for name, text, _ in explanation.legend},
        "notes": list(explanation.notes),
    }


@dataclass
class Drawing:
    """What became of a drawing: the file, or why not (and where the DOT source went)."""

    target: Path
    fmt: str
    path: Path | None = None
    source: Path | None = None  #: the DOT source, written when Graphviz's dot is missing
    missing_dot: str = ""  #: the message saying how to install dot and render the source
    error: str = ""  #: one line: the file could not be written or dot failed
    note: str = ""  #: how the drawing was simplified so that it lays out quickly, if it was


class Command:
    """One run of the command: where it writes, and how it ends."""

    def __init__(self, out: TextIO, err: TextIO, prefix: str = "kuibu") -> None:
        self.out = out
        self.err = err
        self.prefix = prefix  #: "kuibu grad": how its lines on stderr start
        self.failed_drawing = ""

    def say(self, text: str = "") -> None:
        print(text, file=self.out)

    # -- grad and its relatives -----------------------------------------------------------------

    def grad(self, args: argparse.Namespace) -> int:
        checks = [self._read_check(c) for c in args.check or []]
        names = list(args.explain or []) + [name for name, _ in checks]
        target = _drawing_target(args.draw) if args.draw else None
        if args.points < 1 or args.points > MAX_POINTS:
            raise InputError(f"--points must be from 1 to {MAX_POINTS}, not {args.points}")
        evaluated = self._evaluate(args, names)
        formula, output, leaves = evaluated.formula, evaluated.output, evaluated.leaves
        lang = args.lang
        if checks:
            _check_budget(output, args.points)
        at = {name: leaf.data for name, leaf in leaves.items()}
        gradient = {name: leaf.grad for name, leaf in leaves.items()}
        results = [self._check_one(evaluated, name, text, args) for name, text in checks]
        explanations = {n: self._explanation(evaluated, n) for n in args.explain or []}
        top = output.label

        if args.json:
            # One JSON document: the drawing is attempted first, and any failure of it is
            # recorded in the document beside the numbers rather than replacing them.
            drawn = self._draw(output, target, None, args) if target else None
            document: dict[str, Any] = {
                "expression": formula.text,
                "output": top,
                "at": at,
                "value": output.data,
                "gradient": gradient,
            }
            if evaluated.steps:
                document["steps"] = {n: v.data if isinstance(v, Value) else v
                                     for n, v in evaluated.steps.items()}
            if results:
                document["checks"] = results
            if explanations:
                document["explain"] = {n: explanation_dict(e) for n, e in explanations.items()}
            if drawn:
                document["drawing"] = _drawing_dict(drawn)
            if args.code:
                document["code"] = _program(output, list(leaves.values()))
            page = self._grad_page(evaluated, args) if args.html else None
            if page:
                document["page"] = {"path": str(page.path) if page.path else None,
                                    **({"error": page.error} if page.error else {})}
            self.say(_json(document))
        else:
            words = phrases(lang)
            self._say_values(evaluated, words)
            for name, g in gradient.items():
                self.say(f"∂{top}/∂{name} = {_number(g)}")
            for explanation in explanations.values():
                self.say()
                self.say(explanation.text(lang=lang))
            for r in results:
                self.say()
                self._say_check(r, top, lang)
            if args.code:
                self.say()
                self.say(words["program"])
                self.say()
                self.say(_program(output, list(leaves.values())))
            drawn = self._draw(output, target, None, args) if target else None
            if drawn:
                self._say_drawing(drawn, words["drawn"].replace("{path}", "{}"))
            page = self._grad_page(evaluated, args) if args.html else None
            if page and page.path:
                self.say()
                self.say(words["page"].format(path=page.path))
        if drawn and drawn.error:
            self.failed_drawing = drawn.error
            return USAGE
        if page and page.error:
            self.failed_drawing = page.error
            return USAGE
        return 0 if all(r["ok"] for r in results) else DISAGREES

    def _say_values(self, evaluated: Evaluated, words: dict[str, str]) -> None:
        """The expression and its value at the point; a derivation step by step."""
        output = evaluated.output
        point = ", ".join(f"{n} = {_number(leaf.data)}" for n, leaf in evaluated.leaves.items())
        steps = evaluated.formula.steps
        if len(steps) == 1:
            shown = " ".join(steps[0].formula.text.split())  # on one line, as typed otherwise
            at = f"   {words['at'].format(point=point)}" if point else ""
            self.say(f"{output.label} = {shown}{at}")
            self.say(f"{output.label} = {_number(output.data)}")
            return
        if point:
            self.say(words["at"].format(point=point))
        for step in steps:
            name = step.name or output.label
            value = evaluated.steps.get(name, output)
            number = value.data if isinstance(value, Value) else value
            shown = " ".join(step.formula.text.split())
            if _is_literal(step.formula):
                self.say(f"{name} = {shown}")
            else:
                self.say(f"{name} = {shown} = {_number(number)}")

    def _grad_page(self, evaluated: Evaluated, args: argparse.Namespace) -> Drawing:
        """The explorer page of grad's expression, the expression and its point under its
        title, on one line."""
        words = phrases(args.lang)
        output = evaluated.output
        steps = "; ".join(f"{s.name or output.label} = {' '.join(s.formula.text.split())}"
                          for s in evaluated.formula.steps)
        point = ", ".join(f"{n} = {_number(leaf.data)}" for n, leaf in evaluated.leaves.items())
        at = f"   {words['at'].format(point=point)}" if point else ""
        return self._page(output, args, steps + at)

    def _say_check(self, r: dict[str, Any], top: str, lang: str) -> None:
        words, engine_words = phrases(lang), _engine_words(lang)
        self.say(words["yours"].format(partial=f"∂{top}/∂{r['name']}", formula=r["formula"]))
        yours, engine = _number(r["yours"]), _number(r["engine"])
        if r["ok_here"] and r["kink"] and r["kink"]["matches"]:
            which = engine_words[f"kink_{r['kink']['matches']}"]
            line = words["kink_agrees"].format(yours=yours, note=r["kink"]["note"],
                                               which=which)
        elif r["ok_here"]:
            key = "agrees_digits" if r["digits"] else "agrees"
            line = words[key].format(yours=yours, engine=engine, digits=_digits(r, words))
        elif r["digits"]:
            line = words["disagrees_digits"].format(yours=yours, engine=engine,
                                                    digits=_digits(r, words),
                                                    rounded=r["rounded"])
        else:
            line = words["disagrees"].format(yours=yours, engine=engine,
                                             difference=_number(r["difference"]))
        self.say(f"  {line}")
        if r["kink"] and not r["ok_here"]:
            self.say(f"  {_capital(r['kink']['note'])}")
        others = r["points"] - 1
        if others:
            s = words["nearby_s"] if others > 1 else ""
            worst = r["worst"]
            if r["ok"]:
                self.say("  " + words["agrees_nearby"].format(count=others, s=s))
            elif not r["ok_here"]:  # the worst is the given point, shown above
                self.say("  " + words["disagrees_here_too"].format(
                    count=others, s=s, failed=r["disagreements"], points=r["points"]))
            else:
                where = ", ".join(f"{n} = {_number(v)}" for n, v in worst["at"].items())
                self.say("  " + words["disagrees_nearby"].format(
                    count=others, s=s, failed=r["disagreements"], points=r["points"],
                    where=where))
                self.say("  " + words["worst"].format(
                    yours=_number(worst["yours"]), engine=_number(worst["engine"]),
                    difference=_number(worst["difference"])))
        your_value = engine_words["your_value"] + (" " if lang == "en" else "")
        for hint in r["diagnosis"]:
            self.say(f"  {hint}" if r["unexplained"] else f"  {your_value}{hint}")
        if r["see"]:
            self.say(f"  {r['see']}")

    @staticmethod
    def _read_check(item: str) -> tuple[str, str]:
        name, sep, text = item.partition("=")
        if not sep or not name.strip().isidentifier() or not text.strip():
            raise InputError(f"--check takes name=formula, like \"w=x*(1-y)\"; got {item!r}")
        return name.strip(), text.strip()

    @staticmethod
    def _check_one(evaluated: Evaluated, name: str, text: str,
                   args: argparse.Namespace) -> dict[str, Any]:
        """Compare the user's ∂output/∂name with the engine's by the library's `check_partials`:
        at the given point and at `points` − 1 seeded random points near it (the command counts
        every point; the library counts the extra ones). The verdict is the worst of them. A
        number (a formula without names) is compared at the given point, to its typed digits."""
        from autograd import check_partials

        formula = _with_constants(read_formula(text, f"--check {name}"), evaluated, name)
        output = evaluated.output
        known = set(evaluated.leaves) | set(evaluated.steps) | {output.label}
        unknown = sorted(formula.names - known)
        if unknown:
            raise InputError(f"--check {name}: {', '.join(unknown)} has no value (use --at)")
        node = _node(evaluated, name)
        atol, rtol = _tolerances(args, formula)
        report = check_partials(output, {node: formula}, atol=atol, rtol=rtol,
                                points=args.points - 1, seed=CHECK_SEED, allow_unused=True,
                                lang=args.lang)
        row = report.rows[0]
        if row.error is not None or row.expected_here is None:
            raise InputError(f"--check {name}: {row.error}")
        given = {n: leaf.data for n, leaf in evaluated.leaves.items()}
        yours, engine = row.expected_here, row.engine_here
        hints = list(row.hints)
        unexplained = row.unexplained
        worst: dict[str, Any]
        if not row.ok_here and not row.ok:
            worst = {"at": given, "yours": yours, "engine": engine}
        else:
            worst = {"at": {n: row.at.get(n, v) for n, v in given.items()}, "yours": row.expected,
                     "engine": row.engine}
            if not row.ok:  # right here, wrong elsewhere: what the worst point's value fits
                hints, unexplained = _hints_at(evaluated, name, formula, worst["at"], args)
        if unexplained:
            hints = [phrases(args.lang)["unexplained"].format(
                command=_explain_command(args, evaluated, name, worst["at"]))]
        see = ""  # what the mistake fits, then where to see it for oneself
        if hints and not unexplained and not row.ok:
            see = phrases(args.lang)["see_paths"].format(
                command=_explain_command(args, evaluated, name, worst["at"]))
        return {
            "name": name, "formula": text, "at": given, "yours": yours, "engine": engine,
            "difference": _difference(yours, engine, row.ok_here), "ok_here": row.ok_here,
            "ok": row.ok, "points": row.points, "disagreements": row.failed_points,
            "worst": {**worst, "difference": _difference(worst["yours"], worst["engine"],
                                                         row.ok)},
            "digits": row.digits, "rounded": row.rounded,
            "kink": row.kink.to_dict() if row.kink else None,
            "diagnosis": hints, "unexplained": unexplained, "see": see,
        }

    @staticmethod
    def _explanation(evaluated: Evaluated, name: str, largest: int | None = None) -> Any:
        """The chain rule for ∂output/∂name: between the derivation's named steps, or, for a
        single typed formula (which names no inner node, so grouping would fold everything
        into one factor), step by step."""
        from autograd import explain, topological_order
        from autograd.explain import Explanation

        output, node = evaluated.output, _node(evaluated, name)
        if all(n is not node for n in topological_order(output)):
            # step(x), or the branch of a conditional not taken: f is not computed from x
            return Explanation(output.label, name, node.grad, 0.0, 0, 100)
        return explain(output, node, steps=len(evaluated.formula.steps) == 1, largest=largest)

    def _draw(self, output: Any, target: tuple[Path, str], highlight: Any,
              args: argparse.Namespace) -> Drawing:
        """Render the graph; what went wrong is returned, not raised, so the numbers stand."""
        path, fmt = target
        missing = _missing_graphviz(path)
        if missing:
            return Drawing(path, fmt, error=missing)
        from viz import (
            DotNotFoundError,
            GraphTooLargeError,
            RenderError,
            SlideFitWarning,
            draw_dot,
            render,
        )

        options = {"rankdir": args.rankdir} if args.rankdir else {}
        try:
            with warnings.catch_warnings(record=True) as notes:
                warnings.simplefilter("always", SlideFitWarning)
                graph = draw_dot(output, highlight=highlight, max_nodes=args.max_nodes,
                                 too_large="error" if args.collapse == "never" else "collapse",
                                 size=args.size, lang=getattr(args, "lang", "en"), **options)
        except GraphTooLargeError:
            return Drawing(path, fmt, error=f"cannot draw {path}: {_too_many(output, args)}")
        except ValueError as e:  # a graph too large to draw, say: the numbers stand
            return Drawing(path, fmt, error=f"cannot draw {path}: {_first_line(e)}")
        for note in notes:  # --size: the drawing does not fit the slide; it says so itself too
            print(f"{self.prefix}: note: {str(note.message).splitlines()[0]}", file=self.err)
        if args.dpi is not None:
            graph.graph_attr["dpi"] = str(args.dpi)
        progress = Progress(self.err, self.prefix, str(path), args.timeout)
        try:
            drawn = render(graph, path, format=fmt, timeout=args.timeout,
                           collapse=args.collapse, progress=progress)
            return Drawing(path, fmt, path=drawn, note=_spread_note(progress.layout))
        except DotNotFoundError as e:
            return Drawing(path, fmt, source=e.source_path, missing_dot=str(e))
        except OSError as e:
            return Drawing(path, fmt, error=f"cannot write {path}: {e.strerror or _first_line(e)}")
        except RenderError as e:
            return Drawing(path, fmt, error=f"cannot draw {path}: {_render_error(e, args)}")
        finally:
            progress.done()

    @staticmethod
    def _page(output: Any, args: argparse.Namespace, subtitle: str, **options: Any) -> Drawing:
        """Write the step-by-step explorer page to ``args.html``, laid out as ``--rankdir``
        says, in ``--lang``, `subtitle` under its title (`options`: more of explore's); what
        went wrong is returned, not raised."""
        target = Path(args.html)  # (a page needs no graphviz package: `dot`, or its own layout)
        from viz import GraphTooLargeError, explore

        with contextlib.suppress(OSError):
            mode = os.stat(target.with_suffix(target.suffix or ".html")).st_mode
            if not stat.S_ISREG(mode):  # a FIFO would block the write, a device be replaced
                return Drawing(target, "html", error=f"cannot write {target}: it is not a "
                               "regular file, and is left as it is")
        try:
            page = explore(output, subtitle=subtitle, rankdir=args.rankdir, lang=args.lang,
                           max_nodes=args.max_nodes, timeout=args.timeout, **options)
            return Drawing(target, "html", path=page.save(target))
        except OSError as e:
            return Drawing(target, "html", error=f"cannot write {target}: "
                           f"{e.strerror or _first_line(e)}")
        except GraphTooLargeError:
            return Drawing(target, "html", error=f"cannot make {target}: "
                           f"{_too_many(output, args, page=True)}")
        except ValueError as e:  # a graph too large for the page: the numbers stand
            return Drawing(target, "html", error=f"cannot make {target}: {_first_line(e)}")

    def _say_drawing(self, drawn: Drawing, done: str) -> None:
        if drawn.path:
            self.say()
            self.say(done.format(drawn.path))
            if drawn.note:
                self.say(drawn.note)
        elif drawn.missing_dot:  # the numbers stand; the drawing waits for dot
            self.say()
            self.say(drawn.missing_dot)

    def explain(self, args: argparse.Namespace) -> int:
        evaluated = self._evaluate(args, [args.wrt])
        text = self._explanation(evaluated, args.wrt, args.largest)
        lang = args.lang
        rendered = {"text": lambda: text.text(lang=lang), "markdown": lambda: text.markdown(lang),
                    "latex": lambda: text.latex(lang)}
        if args.json:
            self.say(_json({"expression": evaluated.formula.text, "wrt": args.wrt,
                            "gradient": _node(evaluated, args.wrt).grad,
                            "explanation": explanation_dict(text),
                            args.format: rendered[args.format]()}))
        else:
            self.say(rendered[args.format]())
        return 0

    def check(self, args: argparse.Namespace) -> int:
        args.check = args.partial
        args.explain = []
        args.draw = args.html = None
        args.code = False
        return self.grad(args)

    def draw(self, args: argparse.Namespace) -> int:
        target = _drawing_target(args.output)
        names = [args.highlight] if args.highlight else []
        evaluated = self._evaluate(args, names)
        node = _node(evaluated, args.highlight) if args.highlight else None
        drawn = self._draw(evaluated.output, target, node, args)
        if args.json:
            self.say(_json({"expression": evaluated.formula.text,
                            "drawing": _drawing_dict(drawn)}))
        elif drawn.path or drawn.missing_dot:
            # A derivation read from a file is called by the file's name, not its first line.
            shown = args.file if args.file and args.file != "-" else shorten(
                " ".join(evaluated.formula.text.split()))
            self._say_drawing(drawn, phrases(args.lang)["drawn_of"].format(
                expression=shown, path="{}"))
        if drawn.error:
            self.failed_drawing = drawn.error
            return USAGE
        return 0

    @staticmethod
    def _evaluate(args: argparse.Namespace, names: list[str]) -> Evaluated:
        """Read the expression (or the file) and the point, build the graph, run backward."""
        text, assignments = _expression_and_point(args)
        formula = read_expression(text)
        evaluated = evaluate_at(formula, read_assignments([*(args.at or []), *assignments]))
        for name in names:
            if name not in evaluated.leaves and name not in evaluated.steps:
                raise InputError(f"{name} is not a variable or a step of "
                                 f"{shorten(formula.text)!r}")
        evaluated.output.backward()
        return evaluated

    # -- audit ----------------------------------------------------------------------------------

    def audit(self, args: argparse.Namespace) -> int:
        """Operations written micrograd's way in the user's file (see kuibu.audit_command)."""
        from kuibu.audit_command import run

        code, message = run(args, self.out, self.err, _json)
        self.failed_drawing = message  # main says it on stderr, on one line
        return code

    # -- microgpt ---------------------------------------------------------------------------------

    def microgpt(self, args: argparse.Namespace) -> int:
        """One training step of microgpt's model (see kuibu.microgpt_command)."""
        from kuibu.microgpt_command import run

        code, message = run(args, self.out)
        self.failed_drawing = message  # main says it on stderr, on one line
        return code

    # -- demo -----------------------------------------------------------------------------------

    def demo(self, args: argparse.Namespace) -> int:
        """A network end to end: Mazur's 2-2-2 (nn.examples) or the article's (nn.article)."""
        if args.steps is not None and args.steps < 1:
            raise InputError(f"--steps must be at least 1, not {args.steps}")
        target = _drawing_target(args.out, "--out")
        progress = False if args.no_progress else None  # None: a bar only on a terminal
        if args.network == "article":
            return self._demo_article(args, target, progress)
        from nn.examples import LEARNING_RATE, build, forward, run_worked_example
        from nn.worked_text import text

        steps = DEMO_STEPS if args.steps is None else args.steps
        result = run_worked_example(out=self.out, train_steps=steps,
                                    explain_weights=("w5", "w1"), progress=progress,
                                    schedule="published" if args.fixed_biases else "exact",
                                    lang=args.lang)
        # The graph at the published starting point, with the paths to w5 marked.
        params = build()
        nodes = forward(params)
        nodes["E"].backward()
        ok = result.max_difference <= 1e-12
        return self._demo_views(args, nodes["E"], params, params["w5"], target,
                                text(args.lang), ok, LEARNING_RATE)

    def _demo_article(self, args: argparse.Namespace, target: tuple[Path, str],
                      progress: bool | None) -> int:
        """The article's network: its derivation beside the engine, one update, its graph."""
        from nn.article import AGREEMENT, LEARNING_RATE, article_network, run_article_example
        from nn.worked_text import text

        if args.fixed_biases:
            raise InputError("--fixed-biases follows Mazur's post; the article's network "
                             "updates its biases (leave --fixed-biases out, or use "
                             "--network mazur)")
        result = run_article_example(out=self.out, steps=args.steps or 1, progress=progress,
                                     lang=args.lang)
        # The graph at the chosen starting point, with both paths to W12 marked.
        net = article_network()
        net.E.backward()
        ok = result.max_difference <= AGREEMENT
        return self._demo_views(args, net.E, net.parameters, net.parameters["W12"], target,
                                text(args.lang, network="article"), ok, LEARNING_RATE)

    def _demo_views(self, args: argparse.Namespace, root: Any, params: dict[str, Any],
                    highlight: Any, target: tuple[Path, str], words: dict[str, str],
                    ok: bool, lr: float) -> int:
        """The program (--code), the drawing and the page (--html) of a demo network."""
        if args.code:
            self.say()
            self.say(words["code"])
            self.say()
            self.say(_program(root, list(params.values())))
        drawn = self._draw(root, target, highlight, args)
        self._say_drawing(drawn, words["drawn"].replace("{path}", "{}"))
        if args.html:  # the page shows the starting point too, before any training
            page = self._page(root, args, words["page_subtitle"], title=words["page_title"],
                              lr=lr)
            if page.path:
                self.say(words["page"].format(path=page.path))
            elif page.error:
                self.failed_drawing = page.error
                return USAGE
        if drawn.error:
            self.failed_drawing = drawn.error
            return USAGE
        return 0 if ok else DISAGREES


def _program(root: Any, wrt: list[Any]) -> str:
    """The generated program of the graph behind `root`, its parameters the `wrt` leaves."""
    from autograd import source

    return source(root, wrt=wrt).rstrip()


def _missing_graphviz(path: Path) -> str:
    """Why nothing can be drawn into `path` because the graphviz Python package is missing
    (kuibu's own dependency, so a broken install, not a bug), or ''."""
    import importlib.util

    if importlib.util.find_spec("graphviz") is not None:
        return ""
    return (f"cannot draw {path}: the graphviz Python package, which kuibu needs for drawings, "
            "is not installed (pip install graphviz, or reinstall kuibu)")


def _too_many(output: Any, args: argparse.Namespace | None, page: bool = False) -> str:
    """Why a graph over --max-nodes is not drawn, in the command's own options."""
    from autograd import topological_order

    count = len(topological_order(output))
    limit = args.max_nodes if args is not None else MAX_NODES
    why = ("" if page or args is None or args.collapse == "never" else
           ", and no labels name neurons or layers (nn's layer1.neuron2.w0) to draw one box "
           "per neuron instead")
    what = "makes the page anyway (it steps slowly)" if page else "draws every node"
    return (f"the graph has {count:,} nodes, more than --max-nodes {limit:,}{why}; "
            f"--max-nodes {count} {what}")


def _render_error(e: BaseException, args: argparse.Namespace) -> str:
    """What a failed drawing says, in the command's own options (not Python's parameters)."""
    from viz.cost import duration
    from viz.render import DotTimeoutError, ImageTooLargeError, LayoutTooSlowError

    if isinstance(e, LayoutTooSlowError):
        spread = " even drawn spread" if e.cost != e.recorded else ""
        if e.spread is not None:
            hint = ("--collapse auto draws values used far away again beside each use, in "
                    f"about {duration(e.spread.seconds)}; or --timeout raises the limit")
        else:
            hint = "--max-nodes draws fewer nodes; --timeout raises the limit"
        return (f"Graphviz's dot would take about {duration(e.cost.seconds)}{spread} to lay "
                f"it out ({e.cost.describe()}), more than --timeout {e.timeout:g}; {hint}")
    if isinstance(e, ImageTooLargeError):
        from viz.render import PIXEL_BUDGET

        return (f"it would be {e.width:,} × {e.height:,} pixels at {e.dpi:g} dpi, more than a "
                f"PNG's budget of {PIXEL_BUDGET / 1e6:g} megapixels; --dpi {e.largest_dpi} or "
                "less fits, or draw an .svg or .pdf")
    if isinstance(e, DotTimeoutError):
        where = f"; the DOT source is in {e.source_path}" if e.source_path else ""
        return (f"Graphviz's dot did not finish within --timeout {e.timeout:g} s and was "
                f"stopped{where}; --timeout raises the limit, --collapse always draws values "
                "used far away again beside each use, --max-nodes draws fewer nodes")
    return _first_line(e).removeprefix("render: ")


def _spread_note(layout: Any) -> str:
    """One line saying the drawing was spread to lay out quickly, or ''."""
    if layout is None or not layout.copies:
        return ""
    from viz.cost import duration

    return (f"(Values used far away are drawn again, in dashed frames, beside {layout.copies:,} "
            f"of their uses, so that Graphviz lays it out in about "
            f"{duration(layout.drawn.seconds)} rather than "
            f"{duration(layout.recorded.seconds)}; --collapse never draws every edge as "
            "recorded.)")


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _drawing_target(path: str, option: str = "--draw") -> tuple[Path, str]:
    """The file to draw into and its format, checked before any work is done."""
    target = Path(path)
    fmt = target.suffix.lstrip(".").lower()
    if fmt not in DRAWABLE:
        shown = f".{fmt} files" if fmt else "a file without a suffix"
        raise InputError(f"{option} {path}: cannot draw into {shown}; "
                         "use .svg, .png, .pdf or .dot")
    return target, fmt


def _drawing_dict(drawn: Drawing) -> dict[str, Any]:
    if drawn.path:
        return {"path": str(drawn.path), **({"note": drawn.note} if drawn.note else {})}
    if drawn.missing_dot:
        return {"path": None, "dot_source": str(drawn.source),
                "error": "Graphviz's dot program was not found; render the DOT source with "
                         f"`dot -T{drawn.fmt} {drawn.source} -o {drawn.target}`"}
    return {"path": None, "error": drawn.error}


def _hints_at(evaluated: Evaluated, name: str, formula: Any, at: dict[str, float],
              args: argparse.Namespace) -> tuple[list[str], bool]:
    """What the user's value at the point `at` is consistent with (a factor left out, a
    sign...): the library's diagnosis on the graph rebuilt there; none when it cannot tell.
    The second item says whether nothing was found (the hint is then where to compare)."""
    from autograd import check_partials

    graph = evaluate_at(evaluated.formula, at)
    graph.output.backward()
    atol, rtol = _tolerances(args, formula)
    try:
        report = check_partials(graph.output, {_node(graph, name): formula}, atol=atol,
                                rtol=rtol, points=0, allow_unused=True, lang=args.lang)
    except (OverflowError, ValueError):  # a graph with inf or nan inside: the verdict stands
        return [], False
    row = report.rows[0]
    return list(row.hints), row.unexplained


def _node(evaluated: Evaluated, name: str) -> Value:
    """The Value a name stands for: a variable, or a step's node."""
    node = evaluated.node(name)
    if node is not None:
        return node
    if name in evaluated.steps:
        raise InputError(f"{name} is a step of numbers alone, computed from no variable: there "
                         f"is nothing to differentiate by; give it with --at {name}=... instead")
    raise InputError(f"{name} is not a variable or a step of "
                     f"{shorten(evaluated.formula.text)!r}")


def _with_constants(formula: Any, evaluated: Evaluated, name: str) -> Any:
    """The user's formula with each step of numbers alone (``t4 = 0.9``) written in as its
    number: such a step is no node of the graph, so the library could not read it by name."""
    from autograd.formula import number_text, render

    constants = {n: v for n, v in evaluated.steps.items()
                 if n in formula.names and not isinstance(v, Value)}
    if not constants:
        return formula
    numbers = {n: f"({number_text(v, 'python')})" for n, v in constants.items()}
    return read_formula(render(formula, "python", numbers), f"--check {name}")


def _tolerances(args: argparse.Namespace, formula: Any) -> tuple[float | None, float | None]:
    """The tolerances a check passes: none for a number (checked to its typed digits) unless
    --atol or --rtol is given; the command's defaults for a formula."""
    if args.atol is None and args.rtol is None:
        return (None, None) if not formula.names else (ATOL, RTOL)
    return (ATOL if args.atol is None else args.atol, RTOL if args.rtol is None else args.rtol)


def _check_budget(output: Value, points: int) -> None:
    """Refuse --points that would replay a large graph too often, naming the number that fits."""
    from autograd import topological_order

    nodes = len(topological_order(output))
    if (points - 1) * nodes > CHECK_BUDGET:
        most = CHECK_BUDGET // nodes + 1
        raise InputError(f"--points {points}: the graph has {nodes:,} nodes, and each point "
                         f"near the given one replays all of them; at most {most} points fit "
                         f"in a check of this graph (use --points {most} or fewer)")


def _explain_command(args: argparse.Namespace, evaluated: Evaluated, name: str,
                     at: dict[str, float]) -> str:
    """The kuibu command that writes out ∂output/∂name at the point `at`, ready to paste."""
    import shlex

    from autograd.formula import number_text

    words = ["kuibu", "explain"]
    words += ["-f", args.file] if args.file else [evaluated.formula.text]
    if at:
        words += ["--at", *(f"{n}={number_text(v, 'python')}" for n, v in at.items())]
    words += ["--wrt", name]
    if args.lang != default_language():
        words += ["--lang", args.lang]
    return " ".join(shlex.quote(w) for w in words)


def _expression_and_point(args: argparse.Namespace) -> tuple[str, list[str]]:
    """The expression's text (typed, or read from -f FILE) and the assignments after it."""
    assignments = list(args.assignments)
    if args.file:
        if args.expression is not None:
            if "=" not in args.expression:
                raise InputError("an expression and -f FILE are both given; give one of them")
            assignments.insert(0, args.expression)  # with a file, every word is a value
        return read_file(args.file), assignments
    if args.expression is None:
        raise InputError(f'no expression; write one, as in kuibu {args.command} "w*x" --at '
                         "w=1 x=2, or read one from a file with -f FILE")
    return args.expression, assignments


def _is_literal(formula: Any) -> bool:
    """Whether a step is a number as it stands (t4 = 0.01): its value is not repeated."""
    import ast

    tree = formula.tree
    if isinstance(tree, ast.UnaryOp):
        tree = tree.operand
    return isinstance(tree, ast.Constant)


def _digits(r: dict[str, Any], words: dict[str, str]) -> str:
    """"6 digits": how many significant digits a number was typed with."""
    return words["digit" if r["digits"] == 1 else "digits"].format(n=r["digits"])


def _engine_words(lang: str) -> dict[str, str]:
    from autograd.words import words

    return words(lang)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _count(text: str) -> int:
    """A count >= 0 (--largest K)."""
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


_count.__name__ = "count (an int >= 0)"  # argparse names the type in its error


def _tolerance(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and value >= 0.0):
        raise ValueError(text)
    return value


# -- the parser ---------------------------------------------------------------------------------


class UsageError(Exception):
    """A command line argparse cannot read; the message is one line."""


class _Parser(argparse.ArgumentParser):
    """argparse, with mistakes raised (for one line and exit code 2) rather than printed."""

    def error(self, message: str) -> Any:
        if "required: expression" in message:  # argparse would also list the optional point
            message = f'no expression; write one, as in {self.prog} "w*x" --at w=1 x=2'
        elif message.startswith("unrecognized arguments:"):
            # argparse's own message and the command's usage, on the one line an error gets
            usage = " ".join(self.format_usage().split())
            raise UsageError(f"{self.prog}: error: {message}{_did_you_mean(self, message)}; "
                             f"{usage} (see {self.prog} --help)")
        raise UsageError(f"{self.prog}: error: {message} (see {self.prog} --help)")


def _did_you_mean(parser: argparse.ArgumentParser, message: str) -> str:
    """" (did you mean --json?)" for a misspelt option, else ''."""
    import difflib

    words = message.split(":", 1)[1].split()
    options = [o for o in parser._option_string_actions if o.startswith("--")]
    for word in words:
        close = difflib.get_close_matches(word.split("=", 1)[0], options, n=1, cutoff=0.75)
        if close:
            return f" (did you mean {close[0]}?)"
    return ""


@functools.lru_cache(maxsize=1)
def build_parser() -> dict[str, argparse.ArgumentParser]:
    """The top-level parser ("kuibu") and one parser per command, by name (built once: argparse
    takes longer to build them than the command takes to compute a gradient)."""
    parser = _Parser(
        prog="kuibu",
        description="Compute, explain, check and draw gradients of scalar expressions.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="store_true", help="print kuibu's version")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parsers: dict[str, argparse.ArgumentParser] = {"kuibu": parser}

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text, allow_abbrev=False)
        parsers[name] = p
        return p

    def drawing_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--rankdir", choices=["LR", "TB", "RL", "BT"],
                       help="layout direction: LR left to right, TB top to bottom")
        p.add_argument("--dpi", type=int, metavar="N",
                       help="resolution of a PNG in dots per inch (else Graphviz's default); "
                       "a PNG may have at most 50 megapixels")
        p.add_argument("--size", choices=["16:9", "4:3"],
                       help="a slide: scaled to fill 1920x1080 (16:9) or 1440x1080 (4:3) pixels "
                       "with text of at least 14 px, else the neuron view, else a note")
        p.add_argument("--max-nodes", type=int, default=MAX_NODES, metavar="N",
                       help="a graph of more values is drawn one box per neuron (when its "
                       f"labels name neurons) or not at all (default {MAX_NODES})")
        p.add_argument("--timeout", type=float, default=TIMEOUT, metavar="SECONDS",
                       help="how long Graphviz's dot may lay the drawing out; one estimated to "
                       f"take longer is not started (default {TIMEOUT:g})")
        p.add_argument("--collapse", choices=COLLAPSE, default="auto",
                       help="auto: a drawing that would take dot more than a couple of seconds "
                       "draws values used far away again beside each use, and one over "
                       "--max-nodes one box per neuron; always: draw values used far away "
                       "again even when quick; never: draw the graph as recorded, or not at "
                       "all (default auto)")

    demo = command("demo", "a network end to end: Mazur's 2-2-2 logistic network of the worked "
                   "example (the default) or the article's own network (--network article)")
    demo.add_argument("--network", choices=["mazur", "article"], default="mazur",
                      help="mazur: Mazur's 2-2-2 network with published numbers; article: the "
                      "article's network, neurons 1 to 5, weights W12 … W35 (reconstructed)")
    demo.add_argument("--out", default="kuibu-demo.svg",
                      help="where to draw the graph (.svg, .png, .pdf or .dot)")
    demo.add_argument("--steps", type=int, default=None,
                      help=f"training steps in all (Mazur's: {DEMO_STEPS}; the article's: 1, "
                      "its one update)")
    demo.add_argument("--fixed-biases", action="store_true",
                      help="train as the post did (biases fixed, its order of updates), "
                      "so E after one step is its 0.291027924")
    demo.add_argument("--no-progress", action="store_true", help="no progress bar")
    demo.add_argument("--code", action="store_true",
                      help="also print the program: forward and backward as straight-line Python")
    demo.add_argument("--html", metavar="PATH",
                      help="also write the step-by-step page of the network (.html)")
    language_option(demo)
    drawing_options(demo)

    def expression_command(name: str, help_text: str) -> argparse.ArgumentParser:
        p = command(name, help_text)
        p.add_argument("expression", nargs="?",
                       help='an expression, e.g. "sigmoid(w*x + b)", or named steps, e.g. '
                       '"net = w*x + b; out = sigmoid(net)" (the last step is the output)')
        p.add_argument("assignments", nargs="*", metavar="NAME=NUMBER",
                       help="the point may also follow the expression: w=0.5 x=1.5")
        p.add_argument("-f", "--file", metavar="FILE",
                       help="read the expression from FILE (- for standard input): steps on "
                       "lines or separated by ;, # starting a comment")
        p.add_argument("--at", nargs="+", action="extend", metavar="NAME=NUMBER",
                       help="the point, e.g. --at w=0.5 x=1.5 or --at w=0.5,x=1.5 "
                       "(repeatable); a value may be a formula of numbers, like 1/2")
        p.add_argument("--json", action="store_true", help="machine-readable output")
        language_option(p)
        return p

    def check_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--points", type=int, default=POINTS, metavar="N",
                       help="check at the given point and N-1 seeded random points near it "
                       f"(default {POINTS}, at most {MAX_POINTS})")
        p.add_argument("--rtol", type=_tolerance, metavar="R",
                       help=f"agree when |yours - engine| <= atol + R*|engine| (default {RTOL}; "
                       "a number you type is otherwise checked to the digits it has)")
        p.add_argument("--atol", type=_tolerance, metavar="A",
                       help=f"the absolute part of the tolerance (default {ATOL})")

    grad = expression_command("grad", "the value and every partial derivative")
    grad.add_argument("--explain", action="append", metavar="NAME",
                      help="also write out the chain rule for NAME")
    grad.add_argument("--check", action="append", metavar="NAME=FORMULA",
                      help="compare your formula for ∂f/∂NAME (exit 1 when it is wrong)")
    check_options(grad)
    grad.add_argument("--draw", metavar="PATH", help="render the graph (.svg, .png, .pdf, .dot)")
    grad.add_argument("--code", action="store_true",
                      help="also print the program: forward and backward as straight-line Python")
    grad.add_argument("--html", metavar="PATH",
                      help="write a page that steps through forward and backward (.html)")
    drawing_options(grad)

    explain = expression_command("explain", "the chain rule for one variable, path by path")
    explain.add_argument("--wrt", required=True, metavar="NAME", help="the variable")
    explain.add_argument("--format", choices=["text", "markdown", "latex"], default="text")
    explain.add_argument("--largest", type=_count, metavar="K",
                         help="summarise by the K paths with the largest |product of partials| "
                         "(counted, not listed); 0 lists every path")

    check = expression_command("check", "compare hand-derived partials with the engine's")
    check.add_argument("--partial", action="append", required=True, metavar="NAME=FORMULA",
                       help='your ∂f/∂NAME, e.g. "w=x*sigmoid(w*x+b)*(1-sigmoid(w*x+b))"; '
                       "repeat it for more; exit 1 when one is wrong")
    check_options(check)

    draw = expression_command("draw", "render the computation graph")
    draw.add_argument("-o", "--output", required=True, metavar="PATH",
                      help="the file to write: .svg, .png, .pdf or .dot")
    draw.add_argument("--highlight", metavar="NAME", help="mark every path to this variable")
    drawing_options(draw)

    from kuibu.audit_command import DESCRIPTION, HELP, add_arguments

    audit = command("audit", HELP)
    audit.description = DESCRIPTION
    add_arguments(audit)

    from kuibu import microgpt_command

    microgpt_command.add_arguments(command("microgpt", microgpt_command.HELP))
    return parsers


_NEGATIVE_NUMBER = re.compile(r"^-\d+$|^-\d*\.\d+$")
#: A word that can only be meant as an option: two dashes, then a name (and perhaps =value).
_OPTION = re.compile(r"--[A-Za-z][A-Za-z0-9_-]*(=.*)?", re.S)


def _protect_expressions(parser: argparse.ArgumentParser, argv: list[str]) -> dict[str, str]:
    """Let an expression start with a minus sign ("-x*y") without ``--`` before it.

    argparse reads any word starting with "-" as an option; a word that is no option of this
    command (and no negative number) gets a leading space, which argparse reads as a value and
    the formula reader ignores. Returns the changed words, to be put back after parsing. A word
    that can only be an option (``--foo``, ``--lang=zh``) is left alone, so that argparse
    reports it as an unrecognized argument.
    """
    options = set(parser._option_string_actions)
    changed: dict[str, str] = {}
    for i, word in enumerate(argv):
        if word == "--":
            break
        if (word.startswith("-") and len(word) > 1 and word.split("=", 1)[0] not in options
                and not _NEGATIVE_NUMBER.match(word) and not _OPTION.fullmatch(word)):
            argv[i] = " " + word
            changed[argv[i]] = word
    return changed


def parse(argv: Sequence[str], out: TextIO) -> argparse.Namespace | None:
    """The command line as a Namespace; None when help or the version was printed instead.

    A word that cannot be read raises UsageError with a one-line message.
    """
    parsers = build_parser()
    words = list(argv)
    if not words or words[0] in ("-h", "--help"):
        out.write(parsers["kuibu"].format_help())
        return None
    if words[0] == "--version":
        if len(words) > 1:
            raise UsageError("kuibu: error: --version takes no arguments")
        print(f"kuibu {version()}", file=out)
        return None
    name, rest = words[0], words[1:]
    if name not in COMMANDS:
        what = f"unknown command {name!r}" if not name.startswith("-") else \
            f"unknown option {name!r}"
        raise UsageError(f"kuibu: error: {what}; choose from {', '.join(COMMANDS)} "
                         "(see kuibu --help)")
    parser = parsers[name]
    if "-h" in rest or "--help" in rest:
        out.write(parser.format_help())
        return None
    changed = _protect_expressions(parser, rest)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            args = parser.parse_intermixed_args(rest)
    except SystemExit:  # argparse ended by itself (no path left to it that does; kept safe)
        return None
    for key, value in vars(args).items():
        if isinstance(value, str):
            setattr(args, key, changed.get(value, value))
        elif isinstance(value, list):
            setattr(args, key, [changed.get(v, v) if isinstance(v, str) else v for v in value])
    args.command = name
    if name != "grad" and name != "check":
        args.points = POINTS
    if name != "demo":
        args.fixed_biases = False
    if name not in ("grad", "draw", "demo"):
        args.rankdir = args.size = None
        args.max_nodes, args.timeout, args.collapse = MAX_NODES, TIMEOUT, "auto"
    if name not in ("grad", "draw", "demo", "microgpt"):  # microgpt draws too, with --dpi
        args.dpi = None
    if name in ("grad", "draw", "demo", "microgpt"):
        _check_drawing_options(name, args)
    return args


def _check_drawing_options(name: str, args: argparse.Namespace) -> None:
    if args.dpi is not None and not 1 <= args.dpi <= 2400:
        raise UsageError(f"kuibu {name}: error: --dpi must be from 1 to 2400, not {args.dpi}")
    if args.max_nodes < 1:
        raise UsageError(f"kuibu {name}: error: --max-nodes must be at least 1, not "
                         f"{args.max_nodes}")
    if not (math.isfinite(args.timeout) and args.timeout > 0):
        raise UsageError(f"kuibu {name}: error: --timeout must be a positive number of "
                         f"seconds, not {args.timeout:g}")


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    """Run the command; returns the exit code (0, 1 a disagreeing check, 2 usage or a file or
    output that cannot be written, 3 a bug, 130 interrupted)."""
    words = list(sys.argv[1:] if argv is None else argv)
    prefix = f"kuibu {words[0]}" if words and words[0] in COMMANDS else "kuibu"
    as_json = "--json" in words[:words.index("--")] if "--" in words else "--json" in words
    stdout = Console(out or sys.stdout, "stdout", json=as_json)
    stderr = Console(err or sys.stderr, "stderr")
    try:
        try:
            return _run(words, prefix, stdout, stderr)
        finally:
            stdout.flush()  # a full disk shows here, as an OutputError
    except KeyboardInterrupt:  # Ctrl-C: the user knows; no traceback, no message
        return INTERRUPTED
    except OutputError as e:
        if e.stream == "stdout":
            _say_error(stderr, f"{prefix}: error: {e}")
        _silence(stdout if e.stream == "stdout" else stderr)
        return USAGE
    except BrokenPipeError:  # the reader stopped reading (`| head`): nothing to report
        _silence(stdout)
        return 0


def _run(words: list[str], prefix: str, out: Console, err: Console) -> int:
    # A Console is a text stream (io.TextIOBase), which typing's TextIO does not name.
    stdout, stderr = cast(TextIO, out), cast(TextIO, err)
    try:
        args = parse(words, stdout)
        if args is None:
            return 0
        if getattr(args, "lang", None) == "zh" and not can_show(out.stream, "中文"):
            raise UsageError(f"{prefix}: error: stdout's encoding ({out.stream.encoding}) "
                             "cannot show Chinese; set PYTHONIOENCODING=utf-8 (or use --lang en)")
        command = Command(stdout, stderr, prefix)
        code = int(getattr(command, args.command)(args))
        if command.failed_drawing:
            print(f"{prefix}: error: {command.failed_drawing}", file=err)
        return code
    except UsageError as e:
        print(_one_line(str(e)), file=err)
        return USAGE
    except InputError as e:
        print(f"{prefix}: error: {_one_line(str(e))}", file=err)
        return USAGE
    except (OutputError, BrokenPipeError):  # stdout or stderr failed: main() says what
        raise
    except Exception as e:  # the last resort: a bug, said on one line, never exit 1
        what = _one_line(str(e)) or "(no message)"
        _say_error(err, f"{prefix}: a bug in kuibu: {type(e).__name__}: {what} "
                   "(please report it)")
        return BUG


def _say_error(err: Console, line: str) -> None:
    """Say `line` on stderr, if stderr can still be written to."""
    with contextlib.suppress(OSError, ValueError):
        print(line, file=err)
        err.flush()


def _silence(stream: Console) -> None:
    """Point a failed stdout or stderr at the null device, so that Python's own flush at exit
    finds nothing to complain about (a second error, or exit status 120)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        fd = stream.fileno()
        if fd in (1, 2):
            os.dup2(os.open(os.devnull, os.O_WRONLY), fd)


def _one_line(text: str) -> str:
    return " ".join(text.split("\n")).strip()
