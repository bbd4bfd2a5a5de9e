"""Boundary tests: a threshold is tested exactly at its value, just below and just above.

Every threshold pipereview has (each numeric setting of a configuration section, each
coaching rule's numeric setting, each rule's severity bands, each fixed heuristic of
:mod:`pipereview.core._thresholds`) needs at least one test marked with
:func:`boundary` and its name; ``tests/test_thresholds.py`` lists the thresholds from
the code and fails when one has no such test, or when a test names one that does not
exist. Names:

- ``<section>.<setting>`` for a configuration section (``funnel_shape.min_open``) and
  ``<setting>`` for a top-level setting (``follow_up_days``);
- ``rules.<rule>.<setting>`` for a coaching rule's setting (``rules.stalled_deal.stalled_days``);
- ``severity.<rule>`` for a rule's severity bands;
- the registered name of a fixed heuristic (``ingest.footer_text_cells``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable[..., object])


def boundary(*names: str) -> Callable[[F], F]:
    """Mark a test as the boundary test of ``names`` (read from the source by
    ``tests/test_thresholds.py``; the test itself runs unchanged).

    >>> @boundary("funnel_shape.min_open")
    ... def test_example() -> None: ...
    >>> test_example.boundary_of
    ('funnel_shape.min_open',)
    """

    def mark(test: F) -> F:
        test.boundary_of = names  # type: ignore[attr-defined]
        return test

    return mark
