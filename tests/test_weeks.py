from __future__ import annotations

import datetime

import pytest

from pipereview.core._errors import InvalidWeekError
from pipereview.core._weeks import Week, week_range


@pytest.mark.parametrize(
    ("text", "monday", "sunday"),
    [
        ("2026-W47", datetime.date(2026, 11, 16), datetime.date(2026, 11, 22)),
        ("2026-W01", datetime.date(2025, 12, 29), datetime.date(2026, 1, 4)),
        ("2026-W53", datetime.date(2026, 12, 28), datetime.date(2027, 1, 3)),
    ],
)
def test_week_days(text: str, monday: datetime.date, sunday: datetime.date) -> None:
    week = Week.parse(text)
    assert (week.monday, week.sunday, str(week)) == (monday, sunday, text)


@pytest.mark.parametrize(
    "text",
    [
        "2026-47",
        "2026W47",
        "2026-W7",
        "../2026-W47",
        "2026-W47/..",
        "2025-W53",
        "2026-W00",
        "",
        "2026-w47 x",
    ],
)
def test_bad_week_strings_are_refused(text: str) -> None:
    with pytest.raises(InvalidWeekError) as info:
        Week.parse(text)
    assert "2026-W47" in str(info.value)  # the message shows the expected form


def test_week_arithmetic_crosses_years() -> None:
    assert str(Week.parse("2026-W53") + 1) == "2027-W01"
    assert str(Week.parse("2027-W01") - 1) == "2026-W53"
    assert [str(w) for w in week_range(Week.parse("2026-W46"), Week.parse("2026-W48"))] == [
        "2026-W46",
        "2026-W47",
        "2026-W48",
    ]
    assert Week.of(datetime.date(2026, 11, 23)) == Week.parse("2026-W48")
    assert Week.parse("2026-W47") < Week.parse("2026-W48")


@pytest.mark.parametrize("text", ["0000-W01", "1899-W52", "2201-W01", "9999-W52"])
def test_weeks_outside_the_years_pipereview_works_with_are_refused(text: str) -> None:
    """Year 0 is no date; weeks near 9999 overflow pandas' timestamps (which end in 2262)
    as soon as a step looks a few weeks ahead."""
    with pytest.raises(InvalidWeekError, match=rf"{text} is not a week.*between 1900 and 2200"):
        Week.parse(text)


def test_the_first_and_last_weeks_accepted() -> None:
    assert Week.parse("1900-W01").monday == datetime.date(1900, 1, 1)
    assert Week.parse("2200-W52").sunday == datetime.date(2200, 12, 28)
