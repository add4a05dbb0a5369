"""kuibu's neural-network layer on top of autograd (work in progress: see the nn issue).

Nothing is exported yet.
"""

__all__: list[str] = []
