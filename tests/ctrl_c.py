"""Starting a command that Ctrl-C reaches, however the test suite itself was started."""

from __future__ import annotations

import signal


def ctrl_c_reaches_it() -> None:
    """A `preexec_fn`: SIGINT back to its default in the command about to start.

    A suite run in the background (``pytest &``) hands its children SIGINT ignored, and Python
    keeps an ignored SIGINT ignored, as it should; a test that sends SIGINT must undo that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
