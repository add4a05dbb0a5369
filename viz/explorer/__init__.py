"""The pieces of the explorer page that `viz.explore` puts together.

`words` holds every sentence of the page in each language, `timeline` the steps (the forward
pass, the engine's backward sweep and the closing table of gradients), `layout` the boxes and
the positions Graphviz gives them in each view and direction, and `svg` the drawing the page's
script steps through. The page's template, script and styles sit beside them
(``page.html``, ``explorer.js``, ``explorer.css``).
"""
