"""``python -m kuibu``: the same as the ``kuibu`` command."""

from kuibu import main

raise SystemExit(main())
