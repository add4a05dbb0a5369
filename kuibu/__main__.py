"""``python -m kuibu``: the same as the ``kuibu`` command."""

from kuibu.cli import main

raise SystemExit(main())
