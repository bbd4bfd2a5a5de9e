"""The figures of the monthly and quarterly packs (docs/period-packs.md): which period a
week falls in, the next, previous and year-earlier period, a period's target by the rule
that made it, the period's results against the previous period and the same period last
year at the same point, the deals lost in it and the deals whose close date was pushed
out of it.

**A period's target.** The targets file's row for the period when there is one
(``given``); else a month's is its quarter's split into equal months by
:func:`~pipereview.diagnostics._targets.decompose_target` (``quarter``), else the year's
(``year``: a year into quarters, a quarter's months through them); a quarter's is the
year's quarter (``year``). None when the file gives none of them (``none``).

>>> goals = pd.DataFrame({"team": "N", "owner": "", "period": ["2026-Q4"],
...     "amount": [90_000.0], "currency": "USD"})
>>> period_target(goals, "N", "2026-11")
(30000.0, 'quarter', 'USD')
>>> period_of("2026-W44", "month"), next_period("2026-12"), shift_period("2026-Q1", -12)
('2026-11', '2027-01', '2025-Q1')
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from pipereview.core._errors import InputError
from pipereview.core._weeks import Week
from pipereview.diagnostics._figures import as_of_day
from pipereview.diagnostics._forecast import won_deals
from pipereview.diagnostics._targets import decompose_target
from pipereview.diagnostics._waterfall import period_bounds
from pipereview.history._prepared import PreparedHistory

__all__ = [
    "PERIOD_SPANS",
    "TARGET_RULES",
    "lost_in_period",
    "next_period",
    "period_kind",
    "period_of",
    "period_spans",
    "period_target",
    "pushed_out_of",
    "shift_period",
    "span_results",
]

#: The spans a period is compared over: itself, the previous period, the same period a
#: year earlier (each at the same number of days from its start).
PERIOD_SPANS: tuple[str, ...] = ("current", "previous", "last_year")
#: How a period's target was made (see the module docstring).
TARGET_RULES: tuple[str, ...] = ("given", "quarter", "year", "none")

_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
_QUARTER = re.compile(r"(\d{4})-Q([1-4])")
_MONTHS = {"month": 1, "quarter": 3}
_YEAR = 12


def period_kind(period: str) -> str:
    """``month`` for ``2026-11``, ``quarter`` for ``2026-Q4``; anything else is refused.

    >>> period_kind("2026-Q4")
    'quarter'
    """
    if _MONTH.fullmatch(period):
        return "month"
    if _QUARTER.fullmatch(period):
        return "quarter"
    raise InputError(
        f"{period!r} is not a month or a quarter",
        expected="a month such as 2026-11 or a quarter such as 2026-Q4",
        hint="write the period as 2026-11 (a month) or 2026-Q4 (a quarter)",
    )


def _name(first: pd.Timestamp, kind: str) -> str:
    return f"{first:%Y-%m}" if kind == "month" else f"{first.year}-Q{first.quarter}"


def period_of(week: Week | str, kind: str) -> str:
    """The month or quarter (``kind``) that holds ``week``'s Sunday, its as-of day.

    >>> period_of("2026-W40", "quarter")  # Sunday 4 October 2026
    '2026-Q4'
    """
    if kind not in _MONTHS:
        raise InputError(
            f"period kind {kind!r}",
            expected="month or quarter",
            hint="choose month or quarter",
        )
    return _name(as_of_day(week), kind)


def shift_period(period: str, months: int) -> str:
    """The period of the same kind ``months`` months later (earlier when negative).

    >>> shift_period("2026-11", -1), shift_period("2026-Q4", 3)
    ('2026-10', '2027-Q1')
    """
    kind = period_kind(period)
    first = period_bounds(period)[0]
    return _name(pd.Timestamp(first + pd.DateOffset(months=months)), kind)


def next_period(period: str) -> str:
    """The month or quarter after ``period``.

    >>> next_period("2026-Q4")
    '2027-Q1'
    """
    return shift_period(period, _MONTHS[period_kind(period)])


def period_target(
    targets: pd.DataFrame | None, team: str, period: str, owner: str = ""
) -> tuple[float | None, str, str]:
    """``(amount, rule, currency)``: the target of ``team`` (or its rep ``owner``) for
    ``period`` by the rules of the module docstring; ``(None, "none", "")`` without one.

    >>> goals = pd.DataFrame({"team": "N", "owner": "", "period": ["2026"],
    ...     "amount": [120.0], "currency": "EUR"})
    >>> period_target(goals, "N", "2026-Q2"), period_target(goals, "N", "2026-05")
    ((30.0, 'year', 'EUR'), (10.0, 'year', 'EUR'))
    """
    kind = period_kind(period)
    if targets is None or targets.empty:
        return None, "none", ""
    owners = targets["owner"].astype("object").fillna("").astype(str)
    rows = targets[(targets["team"] == team) & (owners == owner) & targets["amount"].notna()]
    names = rows["period"].astype(str)
    year = period[:4]
    quarter = f"{year}-Q{(int(period[5:7]) - 1) // 3 + 1}" if kind == "month" else period
    for source, rule in ((period, "given"), (quarter, "quarter"), (year, "year")):
        if rule == "quarter" and kind == "quarter":
            continue
        found = rows[names == source]
        if found.empty:
            continue
        currency = str(found["currency"].iloc[0]) if "currency" in found else ""
        total = float(found["amount"].sum())
        if rule == "given":
            return total, rule, currency
        parts = decompose_target(total, source, kind)  # type: ignore[arg-type]
        return float(parts.loc[parts["part"] == period, "amount"].iloc[0]), rule, currency
    return None, "none", ""


def period_spans(period: str, as_of: Week | str) -> pd.DataFrame:
    """The spans :data:`PERIOD_SPANS` of ``period`` as of ``as_of`` (its Sunday): the
    period up to that day (all of it once ended), and the same number of days from the
    start of the previous period and of the same period a year earlier, cut at their end:
    ``span``, ``period``, ``first``, ``last``, ``complete`` (the whole period).

    >>> s = period_spans("2026-11", "2026-W47")  # Sunday 22 November
    >>> [(p, str(a.date()), str(b.date())) for p, a, b in s[["period", "first", "last"]].values]
    [('2026-11', '2026-11-01', '2026-11-22'), ('2026-10', '2026-10-01', '2026-10-22'), ('2025-11', '2025-11-01', '2025-11-22')]
    """
    first, last = period_bounds(period)
    end = min(last, as_of_day(as_of))
    elapsed = end - first
    step = _MONTHS[period_kind(period)]
    rows = []
    for span, back in zip(PERIOD_SPANS, (0, -step, -_YEAR), strict=True):
        name = shift_period(period, back)
        start, stop = period_bounds(name)
        rows.append(
            {
                "span": span,
                "period": name,
                "first": start,
                "last": min(start + elapsed, stop),
                "complete": bool(end >= last),
            }
        )
    return pd.DataFrame(rows)


def span_results(prep: PreparedHistory, spans: pd.DataFrame, as_of: Week | str) -> pd.DataFrame:
    """``spans`` (:func:`period_spans`) with each one's ``won_amount``, ``won_deals``
    (:func:`~pipereview.diagnostics._forecast.won_deals`), ``created_amount`` and
    ``created_deals`` (deals created in the span, at their latest row up to ``as_of``;
    NaN without a created date) and ``covered`` (the span starts on or after the
    Monday of the first stored week, ``history_start``)."""
    frame = prep.frame
    start = str(frame["snapshot_week"].astype(str).min())
    rows = prep.last_rows()
    created = (
        pd.to_datetime(frame["created_date"].iloc[rows]).dt.normalize()
        if "created_date" in frame
        else None
    )
    out = spans.copy()
    for figure in ("won_amount", "won_deals", "created_amount", "created_deals"):
        out[figure] = np.nan
    for i, (first, last) in enumerate(zip(spans["first"], spans["last"], strict=True)):
        won = won_deals(prep, (first, last), as_of)
        out.loc[i, "won_amount"] = float(won["amount"].sum())
        out.loc[i, "won_deals"] = len(won)
        if created is not None:
            inside = (created >= first) & (created <= last)
            out.loc[i, "created_amount"] = float(
                frame["amount"].iloc[rows][inside.to_numpy()].sum()
            )
            out.loc[i, "created_deals"] = int(inside.sum())
    out["history_start"] = start
    out["covered"] = out["first"] >= pd.Timestamp(Week.parse(start).monday)
    return out


def _latest(prep: PreparedHistory) -> tuple[pd.DataFrame, np.ndarray]:
    rows = prep.last_rows()
    return prep.frame.iloc[rows].assign(deal_key=prep.deal_key.iloc[rows].to_numpy()), rows


def lost_in_period(prep: PreparedHistory, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    """The deals lost with a close date from ``first`` to ``last``, each at its latest
    row of ``prep`` (cut at the as-of week by the caller), largest first."""
    latest, rows = _latest(prep)
    close = pd.to_datetime(latest["close_date"])
    keep = prep.is_lost[rows] & (close >= first).to_numpy() & (close <= last).to_numpy()
    lost: pd.DataFrame = latest[keep].sort_values("amount", ascending=False, kind="stable")
    return lost


def pushed_out_of(prep: PreparedHistory, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    """The deals still open whose close date lay from ``first`` to ``last`` in an earlier
    stored row and now lies after ``last``, each once at its latest row, largest first,
    with ``close_before`` (the last close date it had in the period)."""
    frame = prep.frame.assign(deal_key=prep.deal_key.to_numpy())
    close = pd.to_datetime(frame["close_date"])
    inside = frame[prep.is_open & (close >= first).to_numpy() & (close <= last).to_numpy()]
    before = inside.sort_values("snapshot_week").groupby("deal_key")["close_date"].last()
    latest, rows = _latest(prep)
    later = prep.is_open[rows] & (pd.to_datetime(latest["close_date"]) > last).to_numpy()
    out = latest[later & latest["deal_key"].isin(before.index).to_numpy()]
    out = out.assign(close_before=out["deal_key"].map(before))
    pushed: pd.DataFrame = out.sort_values("amount", ascending=False, kind="stable")
    return pushed
