"""Pacing: where a quarter stands at week N against where past quarters stood at their
week N, and the open pipeline left to cover what remains of the target.

Week N is :func:`~pipereview.forecasting._quarterweeks.week_of_quarter` of the as-of
week (a week belongs to the quarter holding its Thursday; week 1 is the quarter's first
week). For this quarter, the four quarters before it (the fourth is the same quarter
last year, marked ``same_quarter_last_year``) the figures at their week N:

- ``won_to_date``: deals won with a close date in that quarter, as the history stood at
  that week (:func:`~pipereview.diagnostics._forecast.won_deals`);
- ``commit``: open deals of forecast category ``commit`` due in that quarter, in that
  week's snapshot;
- ``final_won``: the quarter's won at its end (as the history stands at the as-of week;
  NaN while the quarter is open) and ``share_of_final`` = won_to_date / final_won, so
  "at week 6 we usually have 35% of the quarter won; we have 28% of target";
- ``target`` and ``share_of_target`` when the targets give one.

A quarter the history does not reach says ``not available: the history starts <week>``.

>>> rows = [("2026-W27", "A", "won", 100.0, "2026-07-02"),
...         ("2026-W27", "B", "negotiation", 300.0, "2026-08-10"),
...         ("2026-W39", "A", "won", 100.0, "2026-07-02"),
...         ("2026-W39", "B", "won", 300.0, "2026-08-10"),
...         ("2026-W40", "C", "won", 50.0, "2026-10-01")]
>>> h = pd.DataFrame([{"snapshot_week": w, "team": "N", "deal_id": d, "owner": "Ann",
...     "stage": s, "stage_model": "generic_4", "amount": a, "currency": "USD",
...     "close_date": pd.Timestamp(c), "probability": None,
...     "forecast_category": "commit"} for w, d, s, a, c in rows])
>>> t = pd.DataFrame({"team": ["N"], "owner": [""], "period": ["2026-Q4"],
...     "amount": [200.0], "currency": ["USD"]})
>>> p = pacing(h, t, "2026-W40")
>>> p[["quarter", "week", "won_to_date", "final_won", "share_of_final", "share_of_target"]]
   quarter      week  won_to_date  final_won  share_of_final  share_of_target
0  2026-Q4  2026-W40         50.0        NaN             NaN             0.25
1  2026-Q3  2026-W27        100.0      400.0            0.25              NaN
2  2026-Q2       NaN          NaN        NaN             NaN              NaN
3  2026-Q1       NaN          NaN        NaN             NaN              NaN
4  2025-Q4       NaN          NaN        NaN             NaN              NaN
>>> p.loc[2, "note"]
'not available: the history starts 2026-W27'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipereview.core._weeks import Week
from pipereview.diagnostics._capabilities import teams_recording
from pipereview.diagnostics._forecast import as_week, targets_for, weighted_pipeline, won_deals
from pipereview.diagnostics._grouping import Level, level_keys
from pipereview.diagnostics._trend_weeks import quarter_of
from pipereview.diagnostics._waterfall import period_bounds
from pipereview.forecasting._quarterweeks import (
    quarter_weeks,
    shift_quarter,
    week_of_quarter,
)
from pipereview.history._prepared import PreparedHistory, as_prepared

__all__ = ["RemainingCoverage", "coverage_of_remaining", "pacing"]

#: How many quarters before this one :func:`pacing` compares with (the last is the same
#: quarter last year).
_PACED = 4


def _none(keys: list[str]) -> pd.Series:
    """An empty amount per group of ``keys``."""
    index = pd.MultiIndex.from_arrays([[] for _ in keys], names=keys)
    return pd.Series(dtype=float, index=index if len(keys) > 1 else index.levels[0])


def _won(history: PreparedHistory, quarter: str, week: Week, keys: list[str]) -> pd.Series:
    won = won_deals(history, quarter, week)
    return won.groupby(keys)["amount"].sum() if len(won) else _none(keys)


def _snapshot(history: PreparedHistory, week: Week) -> pd.DataFrame:
    """Each team's latest stored week up to ``week``."""
    upto = history.upto(week)
    return upto.frame[upto.latest_mask()] if len(upto) else upto.frame


def _commit(history: PreparedHistory, quarter: str, week: Week, keys: list[str]) -> pd.Series:
    snap = _snapshot(history, week)
    deals = weighted_pipeline(snap, period=quarter) if len(snap) else snap
    if not len(deals):
        return _none(keys)
    return deals[deals["forecast_category"] == "commit"].groupby(keys)["amount"].sum()


def _quarter_rows(
    history: PreparedHistory, quarter: str, n: int, as_of: Week, groups: pd.DataFrame
) -> pd.DataFrame:
    """One quarter's figures at its week ``n`` (its last week when it has fewer)."""
    keys = [c for c in groups.columns if c != "first_week"]
    weeks = quarter_weeks(quarter)
    week = weeks[min(n, len(weeks)) - 1]
    out = groups.assign(quarter=quarter, week=str(week))
    out = out.join(_won(history, quarter, week, keys).rename("won_to_date"), on=keys)
    out = out.join(_commit(history, quarter, week, keys).rename("commit"), on=keys)
    closed = period_bounds(quarter)[1] <= pd.Timestamp(as_of.sunday)
    final = _won(history, quarter, as_of, keys) if closed else _none(keys)
    out = out.join(final.rename("final_won"), on=keys)
    reached = out["first_week"] <= str(week)
    out = out.fillna({"won_to_date": 0.0, "commit": 0.0})
    if closed:
        out["final_won"] = out["final_won"].fillna(0.0)
    for column in ("won_to_date", "commit", "final_won", "week"):
        out[column] = out[column].where(reached)
    out["note"] = np.where(reached, "", "not available: the history starts " + out["first_week"])
    return out


def pacing(
    history: pd.DataFrame | PreparedHistory,
    targets: pd.DataFrame | None,
    as_of: Week | str,
    *,
    by: Level = "team",
) -> pd.DataFrame:
    """This quarter at week N against the four quarters before it at
    their week N, per team (``by="team"``) or rep (``by="rep"``): one row per group and
    quarter, this quarter first, with ``relation`` (``this_quarter``, ``previous``,
    ``same_quarter_last_year``), ``week_of_quarter``, ``week``, ``won_to_date``,
    ``commit``, ``final_won``, ``share_of_final``, ``target``, ``share_of_target`` and
    ``note`` (blank, or why the quarter's figures are not available). ``commit`` is NaN
    for a team none of whose rows up to the as-of week has a forecast category (an
    export without the column): no category recorded is not a commit of 0.
    """
    as_of = as_week(as_of)
    keys = level_keys(by)
    prep = as_prepared(history).upto(as_of)
    frame = prep.frame
    first = frame.groupby("team")["snapshot_week"].min().rename("first_week")
    groups = frame[keys].drop_duplicates().sort_values(keys).join(first, on="team")
    n = week_of_quarter(as_of)
    this = quarter_of(as_of)
    parts = []
    for back in range(_PACED + 1):
        quarter = shift_quarter(this, -back)
        rows = _quarter_rows(prep, quarter, n, as_of, groups)
        relation = "previous" if back else "this_quarter"
        rows["relation"] = "same_quarter_last_year" if back == _PACED else relation
        rows["target"] = (
            rows.join(targets_for(targets, quarter, keys)["target"], on=keys)["target"]
            if targets is not None
            else np.nan
        )
        parts.append(rows)
    out = pd.concat(parts, ignore_index=True)
    out["commit"] = out["commit"].where(
        out["team"].isin(teams_recording(frame, "forecast_category"))
    )
    out["week_of_quarter"] = n
    out["share_of_final"] = out["won_to_date"] / out["final_won"].where(out["final_won"] > 0)
    out["share_of_target"] = out["won_to_date"] / out["target"].where(out["target"] > 0)
    columns = [*keys, "quarter", "relation", "week_of_quarter", "week", "won_to_date"]
    rest = ["commit", "final_won", "share_of_final", "target", "share_of_target", "note"]
    return out[[*columns, *rest]].reset_index(drop=True)


@dataclass(frozen=True)
class RemainingCoverage:
    """What :func:`coverage_of_remaining` found: ``summary`` (one row per team: ``target``,
    ``won_to_date``, ``remaining_target``, ``open_deals``, ``open_pipeline``, ``coverage``
    = open_pipeline / remaining_target (NaN when nothing remains), ``overdue_deals``,
    ``overdue_amount``), ``counted`` (the open deals counted) and ``overdue`` (open
    deals of the period whose close date is before the as-of week's Monday, listed apart
    and not counted)."""

    summary: pd.DataFrame
    counted: pd.DataFrame
    overdue: pd.DataFrame


def coverage_of_remaining(
    history: pd.DataFrame | PreparedHistory,
    targets: pd.DataFrame | None,
    as_of: Week | str,
    *,
    period: str | None = None,
) -> RemainingCoverage:
    """The remaining target (target - won to date) against the open pipeline that can
    still close in ``period`` (the as-of week's quarter when None): open deals with a
    close date from the as-of week's Monday to the period's last day.

    >>> h = pd.DataFrame({"snapshot_week": "2026-W45", "team": "N", "deal_id": ["A", "B", "C"],
    ...     "owner": "Ann", "stage": ["won", "negotiation", "negotiation"],
    ...     "stage_model": "generic_4", "amount": [100.0, 300.0, 50.0], "currency": "USD",
    ...     "close_date": pd.to_datetime(["2026-10-20", "2026-12-01", "2026-10-30"]),
    ...     "probability": None, "forecast_category": "commit"})
    >>> t = pd.DataFrame({"team": ["N"], "owner": [""], "period": ["2026-Q4"],
    ...     "amount": [700.0], "currency": ["USD"]})
    >>> c = coverage_of_remaining(h, t, "2026-W45")
    >>> c.summary[["remaining_target", "open_pipeline", "coverage", "overdue_amount"]]
       remaining_target  open_pipeline  coverage  overdue_amount
    0             600.0          300.0       0.5            50.0
    >>> c.counted["deal_id"].tolist(), c.overdue["deal_id"].tolist()
    (['B'], ['C'])
    """
    as_of = as_week(as_of)
    period = period or quarter_of(as_of)
    keys = ["team"]
    prep = as_prepared(history)
    snap = _snapshot(prep, as_of)
    deals = weighted_pipeline(snap, period=period)
    due = deals["close_date"] >= pd.Timestamp(as_of.monday)
    counted, overdue = deals[due].reset_index(drop=True), deals[~due].reset_index(drop=True)
    out = snap[keys].drop_duplicates().sort_values(keys)
    out = out.join(
        targets_for(targets, period, keys)["target"]
        if targets is not None
        else pd.Series(dtype=float, name="target"),
        on=keys,
    )
    out = out.join(_won(prep, period, as_of, keys).rename("won_to_date"), on=keys)
    sums = counted.groupby(keys)["amount"].agg(["size", "sum"])
    late = overdue.groupby(keys)["amount"].agg(["size", "sum"])
    out = out.join(sums.set_axis(["open_deals", "open_pipeline"], axis=1), on=keys)
    out = out.join(late.set_axis(["overdue_deals", "overdue_amount"], axis=1), on=keys)
    out = out.fillna(
        {"won_to_date": 0.0, "open_deals": 0, "open_pipeline": 0.0, "overdue_deals": 0}
    ).fillna({"overdue_amount": 0.0})
    out = out.astype({"open_deals": "int64", "overdue_deals": "int64"})
    out["remaining_target"] = (out["target"] - out["won_to_date"]).clip(lower=0)
    out["coverage"] = out["open_pipeline"] / out["remaining_target"].where(
        out["remaining_target"] > 0
    )
    out.insert(1, "period", period)
    return RemainingCoverage(out.reset_index(drop=True), counted, overdue)
