"""The kuibu command: the application layer that composes autograd, nn and viz.

Run ``kuibu --help`` or ``python -m kuibu --help``. Nothing imports this package.
"""

from kuibu.cli import main

__all__ = ["main"]
