"""The slide preset: how large a drawing's text comes out on a 16:9 (or 4:3) screen.

A drawing for a slide is laid out by Graphviz once to learn its natural size (``dot -Tplain``),
then scaled, up or down, to fill the slide: 1,920 × 1,080 pixels for "16:9" (at 96 pixels per
inch, 20 × 11.25 inches). Its smallest text, in pixels there, says whether it reads from the back
of a room; `draw_dot(size=...)` tries the other direction and then the neuron view before it
says that a drawing does not fit.
"""

from __future__ import annotations

import shutil
import subprocess

from viz.parts import Fonts

__all__ = ["MIN_TEXT_PX", "SIZES", "SLIDE_FONTS", "SlideFitWarning", "layout_size",
           "size_attrs", "text_px"]

#: Slide sizes in pixels (at 96 pixels per inch).
SIZES = {"16:9": (1920, 1080), "4:3": (1440, 1080)}
#: The smallest text, in pixels on the slide, a drawing for a slide must keep.
MIN_TEXT_PX = 14.0
#: A slide's drawing writes larger text relative to its spacing, so it scales up better.
SLIDE_FONTS = Fonts(node=14.0, small=12.0)
_PIXELS_PER_POINT = 96 / 72


class SlideFitWarning(UserWarning):
    """A drawing asked for a slide does not fit it with text of at least `MIN_TEXT_PX`."""


def layout_size(source: str, timeout: float | None = 60.0) -> tuple[float, float] | None:
    """The drawing's natural width and height in points, from Graphviz's layout of `source`;
    None when `dot` is not installed, fails or runs out of time."""
    dot = shutil.which("dot")
    if dot is None:
        return None
    try:
        done = subprocess.run([dot, "-Tplain"], input=source.encode("utf-8"),
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        return None
    first = done.stdout.decode("utf-8", "replace").split("\n", 1)[0].split()
    if len(first) < 4 or first[0] != "graph":
        return None
    return float(first[2]) * 72, float(first[3]) * 72


def text_px(size: tuple[float, float], fonts: Fonts, screen: tuple[int, int]) -> float:
    """The smallest text's height in pixels once a drawing of `size` points is scaled to fill
    `screen` (pixels), keeping its proportions.

    >>> round(text_px((1440.0, 810.0), Fonts(14, 12), (1920, 1080)), 1)  # exactly the screen
    16.0
    >>> round(text_px((2880.0, 810.0), Fonts(14, 12), (1920, 1080)), 1)  # twice too wide
    8.0
    """
    width, height = size
    scale = min(screen[0] / (width * _PIXELS_PER_POINT), screen[1] / (height * _PIXELS_PER_POINT))
    return fonts.smallest * _PIXELS_PER_POINT * scale


def size_attrs(screen: tuple[int, int], dpi: int | None) -> dict[str, str]:
    """Graph attributes that scale a drawing, up or down, to fill `screen` pixels at 96 dpi."""
    inches = f"{screen[0] / 96:g},{screen[1] / 96:g}!"
    return {"size": inches, "dpi": str(dpi if dpi is not None else 96)}
