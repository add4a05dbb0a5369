"""``python -m kuibu``: the same as the ``kuibu`` command."""

try:
    from kuibu.cli import main

    code = main()
except KeyboardInterrupt:  # Ctrl-C before the command started: as quiet as during it
    code = 130
raise SystemExit(code)
