"""What every collected test shares, the doctests of the packages and of the docs included
(tests/conftest.py holds the settings of the test suite itself).

The graphviz Python package is one of kuibu's dependencies, but the tests also run from a bare
checkout where it may be missing: `viz` imports without it, and a test or doctest that stops only
because something is drawn is skipped, with the reason, rather than failed.
"""

from __future__ import annotations

import doctest
import importlib.util

import pytest


def _missing_graphviz(error: BaseException) -> bool:
    if isinstance(error, doctest.UnexpectedException):
        error = error.exc_info[1]
    return (isinstance(error, ImportError) and error.name == "graphviz"
            and importlib.util.find_spec("graphviz") is None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> object:
    try:
        return (yield)
    except Exception as error:
        if _missing_graphviz(error):
            cause = error.exc_info[1] if isinstance(error, doctest.UnexpectedException) else error
            pytest.skip(str(cause))
        raise
