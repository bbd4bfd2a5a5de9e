"""How many examples a property test tries: every one in ``make test``, a quarter (at least
ten) in the fast loop (``make test-fast`` sets ``PIPEREVIEW_TEST_FAST=1``)."""

from __future__ import annotations

import os

FAST = os.environ.get("PIPEREVIEW_TEST_FAST") == "1"


def examples(full: int) -> int:
    """The number of examples for a test that tries *full* in the whole suite.

    >>> examples(100) in (100, 25)
    True
    """
    return max(10, full // 4) if FAST else full
