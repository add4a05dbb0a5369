"""Drawings of kuibu's computation graphs, and plots of training.

`draw_dot` turns the graph behind a Value into a `graphviz.Digraph` (Jupyter shows it inline):
one box per Value with its name (as `autograd.Naming` gives it), data and grad, one oval per
operation with its symbol from the rule table. `render` saves it as SVG, PNG or PDF (or DOT
source). `plot_loss` and `plot_decision_boundary` need matplotlib (``pip install 'kuibu[plot]'``).

>>> from autograd import Value
>>> from viz import draw_dot
>>> w, x = Value(0.5, label="w"), Value(1.5, label="x")
>>> y = (w * x).tanh()
>>> y.backward()
>>> dot = draw_dot(y, highlight=w)
>>> print(dot.source.count("class=\\"op"), "operations;", dot.source.count("->"), "edges")
2 operations; 5 edges
>>> from autograd import Naming, topological_order
>>> product = Naming(topological_order(y)).name(y.parents[0])  # w·x has no label: kuibu's name
>>> f"∂{product}/∂w = x = 1.5" in dot.source  # the factor on the edge from w, as explain says
True

Modules, each above the ones it uses: `viz.labels` (reading roles and neurons' names from labels),
`viz.captions` (the words of captions, legends and notes, in English and Chinese) and `viz.parts`
(escaped text, numbers, boxes, operations, clusters, the caption with its legend); the views
`viz.full`, `viz.neurons` and `viz.collapse`, and `viz.slide` (the text's size on a slide);
`viz.dot` (which view, which direction, which size), `viz.render` (running Graphviz),
`viz.explore` (the step-by-step page); `viz.structure` and `viz.structured` (a transformer
step's blocks and their drawing), `viz.step_page` (its page, `explore_step`); `viz.plot` stands
apart.
"""

from viz.dot import MAX_NODES, GraphTooLargeError, SlideFitWarning, draw_dot
from viz.explore import Explorer, explore
from viz.parts import format_number
from viz.plot import plot_decision_boundary, plot_loss
from viz.render import FORMATS, DotNotFoundError, RenderError, render
from viz.step_page import explore_step

__all__ = [
    "FORMATS",
    "MAX_NODES",
    "DotNotFoundError",
    "Explorer",
    "GraphTooLargeError",
    "RenderError",
    "SlideFitWarning",
    "draw_dot",
    "explore",
    "explore_step",
    "format_number",
    "plot_decision_boundary",
    "plot_loss",
    "render",
]
