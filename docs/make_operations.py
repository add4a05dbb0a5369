"""Write docs/operations.md from the rule table, so the page cannot drift from the engine.

    python docs/make_operations.py          # rewrite the page
    python docs/make_operations.py --check  # exit 1 if the page is out of date (a test runs this)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograd import RULES
from autograd.formula import render

PAGE = Path(__file__).resolve().parent / "operations.md"

HEAD = """# Operations

Every operation kuibu records is one entry of one table of rules, `autograd.RULES` (in
`autograd/ops.py`). Each entry holds the forward function, the local partial derivative for each
input, the symbol a drawing shows and the formulas below; the backward sweep, higher-order
gradients, drawings, explanations and exports all read it. This page is written from the table by
`docs/make_operations.py`.

In the formulas, x and y are the inputs and out is the result; step(x) is 1 for x > 0 and 0
otherwise, sign(x) is −1, 0 or 1. Any input may be a plain number instead of a Value: it is kept
as a constant inside the node. `linear` takes any number of inputs, w0, x0, w1, x1, …, b: it is
a neuron's net input as one node, which is how `nn` builds its neurons.

| operation | how to write it | symbol | value | ∂out/∂x | ∂out/∂y | notes |
| --- | --- | :---: | --- | --- | --- | --- |
"""

SPELLING = {
    "add": "`x + y`", "sub": "`x - y`", "mul": "`x * y`", "div": "`x / y`", "pow": "`x ** y`",
    "neg": "`-x`", "abs": "`abs(x)`", "leaky_relu": "`x.leaky_relu(slope)`", "max": "`x.max(y)`",
    "linear": "`autograd.linear(ws, xs, b)`",
}


def page() -> str:
    rows = []
    for name, rule in RULES.items():
        how = SPELLING.get(name, f"`x.{name}()`")
        if rule.arity == 0:  # any number of inputs: the table's own description of the pattern
            value, partials = rule.text, [rule.partial_texts[0], "(the same rule for each)"]
        else:
            value = render(rule.text, "unicode")
            partials = [f"{render(t, 'unicode')}" for t in rule.partial_texts]
            partials += ["—"] * (2 - len(partials))
        cells = [name, how, rule.symbol, value, *partials, rule.note]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return HEAD + "\n".join(rows) + "\n"


def main(argv: list[str]) -> int:
    text = page()
    if "--check" in argv:
        if not PAGE.exists() or PAGE.read_text(encoding="utf-8") != text:
            print(f"{PAGE} is out of date: run python docs/make_operations.py", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(text, encoding="utf-8")
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
