"""Weeks of a quarter, the one definition pacing, the forecast methods and the backtest
share.

A week belongs to the quarter holding its **Thursday** (as ISO numbers weeks, and as
:func:`~pipereview.diagnostics._trend_weeks.quarter_of` says); **week 1** of a quarter is
its first week (the week holding the quarter's first day when that day is a Monday to a
Thursday, else the week after), and a quarter has 12 to 14 weeks.

>>> week_of_quarter("2026-W40"), week_of_quarter("2026-W45"), week_of_quarter("2026-W53")
(1, 6, 14)
>>> [str(w) for w in quarter_weeks("2026-Q4")][::6]
['2026-W40', '2026-W46', '2026-W52']
>>> shift_quarter("2026-Q1", -1), shift_quarter("2026-Q4", -4)
('2025-Q4', '2025-Q4')
"""

from __future__ import annotations

import datetime
from functools import lru_cache

from pipereview.core._weeks import Week, week_range
from pipereview.diagnostics._trend_weeks import quarter_of
from pipereview.diagnostics._waterfall import period_bounds

__all__ = ["quarter_weeks", "shift_quarter", "week_of_quarter"]

_THURSDAY = datetime.timedelta(days=3)


def _week(week: Week | str) -> Week:
    return Week.parse(week) if isinstance(week, str) else week


@lru_cache(maxsize=1024)
def quarter_weeks(quarter: str) -> tuple[Week, ...]:
    """The weeks of ``quarter``, week 1 first.

    >>> len(quarter_weeks("2026-Q4")), str(quarter_weeks("2027-Q1")[0])
    (14, '2027-W01')
    """
    first, last = (day.date() for day in period_bounds(quarter))
    start, end = Week.of(first), Week.of(last)
    if start.monday + _THURSDAY < first:
        start = start + 1
    if end.monday + _THURSDAY > last:
        end = end - 1
    return tuple(week_range(start, end))


@lru_cache(maxsize=4096)
def week_of_quarter(week: Week | str, quarter: str | None = None) -> int:
    """``week``'s number in its quarter (1 = the quarter's first week), or in ``quarter``
    when given (0 or less for a week before it, more than its weeks after it).

    >>> week_of_quarter("2027-W01"), week_of_quarter("2026-W39")
    (1, 13)
    >>> week_of_quarter("2026-W39", "2026-Q4"), week_of_quarter("2026-W53", "2026-Q4")
    (0, 14)
    """
    week = _week(week)
    first = quarter_weeks(quarter or quarter_of(week))[0]
    return (week.monday - first.monday) // datetime.timedelta(weeks=1) + 1


def shift_quarter(quarter: str, quarters: int) -> str:
    """The quarter ``quarters`` after ``quarter`` (before, when negative).

    >>> shift_quarter("2026-Q4", 1)
    '2027-Q1'
    """
    first, _ = period_bounds(quarter)
    index = first.year * 4 + (first.month - 1) // 3 + quarters
    return f"{index // 4}-Q{index % 4 + 1}"
