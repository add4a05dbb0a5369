"""Drawings of kuibu's computation graphs (work in progress: see the viz issue).

Nothing is exported yet.
"""

__all__: list[str] = []
