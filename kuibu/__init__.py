"""The kuibu command: the application layer that composes autograd, nn and viz.

Run ``kuibu --help`` or ``python -m kuibu --help``. Nothing imports this package.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

__all__ = ["main"]


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    """The kuibu command (`kuibu.cli.main`). The command's modules are imported only here, so
    that Ctrl-C while they load ends the command as quietly (130) as Ctrl-C during it."""
    try:
        from kuibu.cli import main as run
    except KeyboardInterrupt:
        return 130
    return run(argv, out, err)
