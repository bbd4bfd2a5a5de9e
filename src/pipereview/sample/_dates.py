"""Calendar helpers of the sample world: one day, month-end habits, quarters."""

from __future__ import annotations

import calendar
import datetime

import numpy as np

__all__ = ["DAY", "Date", "quarter", "snap"]

Date = datetime.date
DAY = datetime.timedelta(days=1)


def snap(day: Date, to_month_end: bool | np.bool_) -> Date:
    """Reps like month ends: move ``day`` to the last day of its month when asked.

    >>> snap(Date(2026, 2, 3), True), snap(Date(2026, 2, 3), False)
    (datetime.date(2026, 2, 28), datetime.date(2026, 2, 3))
    """
    if not to_month_end:
        return day
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def quarter(day: Date) -> tuple[Date, Date, str]:
    """First day, last day and name of the calendar quarter of ``day``.

    >>> quarter(Date(2026, 11, 20))
    (datetime.date(2026, 10, 1), datetime.date(2026, 12, 31), '2026-Q4')
    """
    q = (day.month - 1) // 3
    start = Date(day.year, 3 * q + 1, 1)
    end = Date(day.year + (q == 3), (3 * q + 3) % 12 + 1, 1) - DAY
    return start, end, f"{day.year}-Q{q + 1}"
