"""Weeks of a quarter, the one definition pacing, the forecast methods and the backtest
share.

A week belongs to the quarter holding its **Sunday**; **week 1** of a quarter is the ISO
week holding the quarter's first day (so the week of Monday 28 September to Sunday
4 October 2026 is week 1 of 2026-Q4); its last week is the last one whose Sunday falls
in it (a week holding the last day of a quarter and days of the next is week 1 of the
next): a quarter has 12 to 14 weeks.

>>> quarter_of("2026-W40"), week_of_quarter("2026-W40"), week_of_quarter("2026-W45")
('2026-Q4', 1, 6)
>>> [str(w) for w in quarter_weeks("2026-Q4")][::6]
['2026-W40', '2026-W46', '2026-W52']
>>> shift_quarter("2026-Q1", -1), shift_quarter("2026-Q4", -4)
('2025-Q4', '2025-Q4')
"""

from __future__ import annotations

import datetime
from functools import lru_cache

from pipereview.core._weeks import Week, week_range
from pipereview.diagnostics._waterfall import period_bounds

__all__ = ["quarter_of", "quarter_weeks", "shift_quarter", "week_of_quarter"]


def _week(week: Week | str) -> Week:
    return Week.parse(week) if isinstance(week, str) else week


@lru_cache(maxsize=4096)
def quarter_of(week: Week | str) -> str:
    """The quarter (``2026-Q4``) holding ``week``'s Sunday.

    >>> quarter_of("2026-W52"), quarter_of("2026-W53")
    ('2026-Q4', '2027-Q1')
    """
    sunday = _week(week).sunday
    return f"{sunday.year}-Q{(sunday.month - 1) // 3 + 1}"


@lru_cache(maxsize=1024)
def quarter_weeks(quarter: str) -> tuple[Week, ...]:
    """The weeks of ``quarter``, week 1 first.

    >>> len(quarter_weeks("2026-Q4")), len(quarter_weeks("2028-Q4")), len(quarter_weeks("2029-Q1"))
    (13, 14, 12)
    """
    first, last = period_bounds(quarter)
    end = Week.of(last.date())
    if end.sunday > last.date():  # its Sunday is in the next quarter
        end = end - 1
    return tuple(week_range(Week.of(first.date()), end))


@lru_cache(maxsize=4096)
def week_of_quarter(week: Week | str) -> int:
    """``week``'s number in its quarter (1 = the week holding the quarter's first day).

    >>> week_of_quarter("2026-W53"), week_of_quarter("2028-W52")
    (1, 14)
    """
    week = _week(week)
    first = Week.of(period_bounds(quarter_of(week))[0].date())
    return (week.monday - first.monday) // datetime.timedelta(weeks=1) + 1


def shift_quarter(quarter: str, quarters: int) -> str:
    """The quarter ``quarters`` after ``quarter`` (before, when negative).

    >>> shift_quarter("2026-Q4", 1)
    '2027-Q1'
    """
    first, _ = period_bounds(quarter)
    index = first.year * 4 + (first.month - 1) // 3 + quarters
    return f"{index // 4}-Q{index % 4 + 1}"
