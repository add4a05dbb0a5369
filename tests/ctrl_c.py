"""Interrupting a command in a test: one that Ctrl-C reaches however the test suite itself was
started, and that is not left running when it fails to stop."""

from __future__ import annotations

import signal
import subprocess


def ctrl_c_reaches_it() -> None:
    """A `preexec_fn`: SIGINT back to its default in the command about to start.

    A suite run in the background (``pytest &``) hands its children SIGINT ignored, and Python
    keeps an ignored SIGINT ignored, as it should; a test that sends SIGINT must undo that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def finish(process: subprocess.Popen[bytes], timeout: float = 60) -> tuple[bytes, bytes]:
    """The command's stdout and stderr once it ends. One still running after `timeout`
    seconds is killed before the test fails: a training of 10⁸ steps left behind would take
    the machine's cores for hours."""
    try:
        return process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
