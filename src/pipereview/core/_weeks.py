"""ISO weeks, the unit of the weekly review.

A week is written ``2026-W47`` (ISO 8601: weeks start on Monday, week 1 holds the year's
first Thursday). Week strings reach file names, so they are validated strictly.

>>> w = Week.parse("2026-W47")
>>> w.monday, w.sunday
(datetime.date(2026, 11, 16), datetime.date(2026, 11, 22))
>>> str(w + 2), str(Week.of(datetime.date(2026, 11, 23)))
('2026-W49', '2026-W48')
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass

from pipereview.core._errors import InvalidWeekError

__all__ = ["FIRST_YEAR", "LAST_YEAR", "Week", "week_range"]

_WEEK_RE = re.compile(r"(\d{4})-W(\d{2})")
#: The years a week may fall in: a week's days must stay dates that every step (pandas'
#: nanosecond timestamps end in 2262) can compute with, with room for look-ahead windows.
FIRST_YEAR, LAST_YEAR = 1900, 2200


@dataclass(frozen=True, order=True)
class Week:
    """One ISO week (year, week number), ordered in time."""

    year: int
    week: int

    def __post_init__(self) -> None:
        if not FIRST_YEAR <= self.year <= LAST_YEAR:
            raise InvalidWeekError(
                f"{self.year:04d}-W{self.week:02d} is not a week pipereview can work with: the "
                f"year must be between {FIRST_YEAR} and {LAST_YEAR}",
                expected=f"an ISO week of the years {FIRST_YEAR} to {LAST_YEAR}, such as 2026-W47",
                hint="check the year: it is the year of the exports' week, e.g. 2026-W47",
            )
        try:
            datetime.date.fromisocalendar(self.year, self.week, 1)
        except ValueError:
            raise InvalidWeekError(
                f"{self.year:04d}-W{self.week:02d} is not a week: {self.year} has "
                f"{_weeks_in_year(self.year)} ISO weeks",
                expected="an ISO week such as 2026-W47",
                hint="weeks are numbered 01 to 52 (or 53 in long years), as in 2026-W47",
            ) from None

    @classmethod
    def parse(cls, text: str) -> Week:
        """Parse ``YYYY-Www``; anything else is an :class:`InvalidWeekError`.

        >>> Week.parse("2026-W07")
        Week(year=2026, week=7)
        """
        match = _WEEK_RE.fullmatch(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise InvalidWeekError(
                f"{text!r} is not an ISO week",
                expected="an ISO week such as 2026-W47",
                hint="write the year, '-W' and the two-digit week number, e.g. 2026-W47; "
                '`python -c "import datetime; print(datetime.date.today().isocalendar())"` '
                "shows today's week",
            )
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: datetime.date) -> Week:
        """The ISO week holding ``day``."""
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @property
    def monday(self) -> datetime.date:
        """First day of the week."""
        return datetime.date.fromisocalendar(self.year, self.week, 1)

    @property
    def friday(self) -> datetime.date:
        """The working week's last day, when weekly exports are usually taken."""
        return datetime.date.fromisocalendar(self.year, self.week, 5)

    @property
    def sunday(self) -> datetime.date:
        """Last day of the week."""
        return datetime.date.fromisocalendar(self.year, self.week, 7)

    def __add__(self, weeks: int) -> Week:
        return Week.of(self.monday + datetime.timedelta(weeks=weeks))

    def __sub__(self, weeks: int) -> Week:
        return self + (-weeks)

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"


def week_range(first: Week, last: Week) -> Iterator[Week]:
    """Every week from ``first`` to ``last``, both included.

    >>> [str(w) for w in week_range(Week.parse("2026-W52"), Week.parse("2027-W01"))]
    ['2026-W52', '2026-W53', '2027-W01']
    """
    current = first
    while current <= last:
        yield current
        current = current + 1


def _weeks_in_year(year: int) -> int:
    return datetime.date(year, 12, 28).isocalendar().week
