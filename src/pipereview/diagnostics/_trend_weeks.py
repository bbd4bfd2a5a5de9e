"""The week-by-week figures behind the trends, all weeks at once.

:func:`pipereview.diagnostics._trends.weekly_metrics` and
:func:`~pipereview.diagnostics._trends.rep_comparison` read each group's figures as of every
wanted week W in one pass over the history: a calendar-week axis (:class:`WeekAxis`: each
week's code, Monday, Sunday and quarter), the rows coded by deal and week
(:func:`coded_rows`), and as-of joins that find each deal's latest row up to W (the open
pipeline, new deals, won amount, deals won and lost).

>>> axis = WeekAxis(["2026-W52", "2027-W01"], [Week.parse("2026-W53")])
>>> axis.names, [quarter_of(w) for w in axis.names]
(['2026-W52', '2026-W53', '2027-W01'], ['2026-Q4', '2026-Q4', '2027-Q1'])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipereview.core._weeks import Week
from pipereview.diagnostics._figures import new_deal_counts
from pipereview.diagnostics._forecast import as_week
from pipereview.diagnostics._waterfall import period_bounds
from pipereview.history._prepared import PreparedHistory

__all__ = ["quarter_of"]


def quarter_of(week: Week | str) -> str:
    """The quarter holding an ISO week (by its Thursday, as ISO numbers weeks).

    >>> quarter_of("2026-W40"), quarter_of("2026-W53")
    ('2026-Q4', '2026-Q4')
    """
    thursday = as_week(week).monday
    thursday += pd.Timedelta(days=3).to_pytimedelta()
    return f"{thursday.year}-Q{(thursday.month - 1) // 3 + 1}"


class WeekAxis:
    """Every calendar week from the first stored (or wanted) week to the last: names,
    Mondays, Sundays and the bounds of each one's quarter; a week's code is its offset."""

    def __init__(self, stored: list[str], wanted: list[Week]) -> None:
        ends = [Week.parse(w) for w in stored[:1] + stored[-1:]] + list(wanted)
        first, last = min(ends, key=str), max(ends, key=str)
        self.first = first
        self.names = [str(first + i) for i in range(self.code(last) + 1)]
        self.stored = np.array([self.code(Week.parse(w)) for w in stored], dtype=np.int64)
        self.mondays = pd.DatetimeIndex([pd.Timestamp(Week.parse(w).monday) for w in self.names])
        self.sundays = self.mondays + pd.Timedelta(days=6)
        quarters = {q: period_bounds(q) for q in {quarter_of(w) for w in self.names}}
        self.quarter_first = pd.Series([quarters[quarter_of(w)][0] for w in self.names])
        self.quarter_last = pd.Series([quarters[quarter_of(w)][1] for w in self.names])

    def code(self, week: Week) -> int:
        return (week.monday - self.first.monday).days // 7


def coded_rows(prep: PreparedHistory, weeks: WeekAxis, keys: list[str]) -> pd.DataFrame:
    """The rows the metrics read, with deal codes ``_k`` (in order of appearance), week
    codes ``_w``, closed/open flags, the probability used ``_p`` and the close date's
    week ``_cw``; sorted by week."""
    history = prep.frame
    used = [
        "snapshot_week",
        "deal_key",
        "deal_id",
        "deal_name",
        "account",
        *keys,
        "stage",
        "stage_model",
        "amount",
        "probability",
        "forecast_category",
        "close_date",
        "created_date",
    ]
    rows = history[[c for c in dict.fromkeys(used) if c in history]].reset_index(drop=True)
    # deals coded in order of appearance (sums then add up in the same order as ever)
    appearance = (
        pd.factorize(prep.deal)[0] if not (prep.deal < 0).any() else pd.factorize(prep.deal_key)[0]
    )
    model_p = pd.Series(prep.model_probability, index=rows.index)
    rows = rows.assign(
        _k=appearance,
        _w=weeks.stored[prep.week],
        _won=prep.is_won,
        _lost=prep.is_lost,
        _open=prep.is_open,
        # the probability weighted_pipeline uses: the snapshot's, else the stage model's
        _p=(
            rows["probability"].where(rows["probability"].notna(), model_p)
            if "probability" in rows
            else model_p
        )
        .astype(float)
        .to_numpy(),
    )
    close_monday = (
        rows["close_date"] - pd.to_timedelta(rows["close_date"].dt.day_of_week, unit="D")
    ).dt.normalize()
    first = weeks.mondays[0]
    rows["_cw"] = ((close_monday - first).dt.days // 7).fillna(-(10**9)).astype(np.int64)
    if not rows["_w"].is_monotonic_increasing:  # latest row = last (a store's history is)
        rows = rows.sort_values("_w", kind="stable", ignore_index=True)
    return rows


def snapshot_weeks(
    rows: pd.DataFrame, weeks: WeekAxis, keys: list[str], want: np.ndarray
) -> pd.DataFrame:
    """Per group and wanted week W: the open pipeline of the team's latest stored week up
    to W, and ``_rows`` (the group's rows in that week), indexed by ``[*keys, "_w"]``."""
    index = [*keys, "_w"]
    weighted = rows.loc[rows["_open"], [*index, "amount", "close_date", "_p"]]
    # as weighted_pipeline weighs them, without the columns not summed here
    weighted = weighted.assign(weighted=weighted["amount"] * weighted["_p"])
    weighted = weighted.reset_index(drop=True)
    snap = weighted.groupby(index).agg(
        open_pipeline=("amount", "sum"),
        weighted_pipeline=("weighted", "sum"),
        open_deals=("amount", "size"),
    )
    due = weighted["close_date"].between(
        weeks.quarter_first[weighted["_w"]].to_numpy(),
        weeks.quarter_last[weighted["_w"]].to_numpy(),
    )
    snap["open_in_period"] = weighted[due.to_numpy()].groupby(index)["amount"].sum()
    groups = rows.groupby(index).size().rename("_rows").to_frame().join(snap).reset_index()
    # each team's latest stored week up to W (``_s``), for every W from its first
    present = rows[["team", "_w"]].drop_duplicates().rename(columns={"_w": "_s"})
    teams = present["team"].unique()
    pairs = pd.DataFrame(
        {"team": np.repeat(teams, len(want)), "_w": np.tile(want, len(teams))}
    ).sort_values("_w", kind="stable")
    pairs = pd.merge_asof(
        pairs,
        present.assign(_w=present["_s"]).sort_values("_w"),
        on="_w",
        by="team",
        direction="backward",
    ).dropna(subset=["_s"])
    pairs["_s"] = pairs["_s"].astype(np.int64)
    out = pairs.merge(groups.rename(columns={"_w": "_s"}), on=["team", "_s"])
    return out.drop(columns="_s").set_index(index).sort_index()


def new_deal_weeks(
    prep: PreparedHistory, keys: list[str], weeks: WeekAxis, want: np.ndarray, flow_weeks: int
) -> pd.Series:
    """New deals per group in the ``flow_weeks`` weeks ending with each wanted week
    (:func:`pipereview.diagnostics._figures.new_deal_counts`); NaN when the window holds
    only the team's first stored week."""
    counted = new_deal_counts(prep, group_columns=keys)
    counted = counted.assign(_w=[weeks.code(Week.parse(w)) for w in counted["week"]])
    if flow_weeks == 1:
        return counted.set_index([*keys, "_w"])["new_deals"]
    parts = []
    for code in want.tolist():  # one per wanted week, on the small table of counts
        part = counted[(counted["_w"] > code - flow_weeks) & (counted["_w"] <= code)]
        parts.append(part.groupby(keys)["new_deals"].sum(min_count=1).reset_index().assign(_w=code))
    found = pd.concat(parts, ignore_index=True) if parts else counted.iloc[:0]
    return found.set_index([*keys, "_w"])["new_deals"]


def _pairs(
    rows: pd.DataFrame, mask: np.ndarray, span: int, n_weeks: int, want: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(row position of the deal's latest row up to W, W) for the deals in ``mask`` and
    the wanted weeks up to ``span - 1`` weeks after their close date's week."""
    k, w = _candidates(rows, mask, span, n_weeks)
    keep = np.isin(w, want)
    k, w = k[keep], w[keep]
    pos = _latest_rows(rows, k, w)
    ok = pos >= 0
    return pos[ok], w[ok]


def won_weeks(
    rows: pd.DataFrame, weeks: WeekAxis, keys: list[str], want: np.ndarray, flow_weeks: int
) -> tuple[pd.Series, pd.Series]:
    """Per group and wanted week W: the amount won in the ``flow_weeks`` weeks ending with
    W (the deal's latest row up to W won, its close date in them) and won to date in W's
    quarter."""
    close = rows["close_date"].to_numpy(dtype="datetime64[ns]")
    pos, w = _pairs(rows, rows["_won"].to_numpy(), max(15, flow_weeks), len(weeks.names), want)
    won_rows = rows[[*keys, "amount", "_won"]].iloc[pos]  # only what is read
    is_won = won_rows["_won"].to_numpy()
    sundays = weeks.sundays[w].to_numpy()
    start = (weeks.mondays[w] - pd.Timedelta(weeks=flow_weeks - 1)).to_numpy()
    in_window = (close[pos] >= start) & (close[pos] <= sundays)
    to_date = (close[pos] >= weeks.quarter_first[w].to_numpy()) & (
        close[pos] <= np.minimum(weeks.quarter_last[w].to_numpy(), sundays)
    )
    frame = pd.DataFrame(
        {
            **{k: won_rows[k].to_numpy() for k in keys},
            "_w": w,
            "amount": won_rows["amount"].to_numpy(),
        }
    )
    index = [*keys, "_w"]
    return (
        frame[is_won & in_window].groupby(index)["amount"].sum(),
        frame[is_won & to_date].groupby(index)["amount"].sum(),
    )


def closed_weeks(
    rows: pd.DataFrame, weeks: WeekAxis, keys: list[str], want: np.ndarray, span: int
) -> pd.DataFrame:
    """Per group and wanted week W: deals ``won`` and ``lost`` (latest row up to W) with a
    close date in the ``span`` weeks ending with W's Sunday (the win rate's window)."""
    close = rows["close_date"].to_numpy(dtype="datetime64[ns]")
    pos, w = _pairs(rows, (rows["_won"] | rows["_lost"]).to_numpy(), span, len(weeks.names), want)
    latest = rows[[*keys, "_won", "_lost"]].iloc[pos]  # only what is read
    start = weeks.sundays[w] - pd.Timedelta(weeks=span) + pd.Timedelta(days=1)
    window = (close[pos] >= start.to_numpy()) & (close[pos] <= weeks.sundays[w].to_numpy())
    closed = pd.DataFrame(
        {
            **{k: latest[k].to_numpy() for k in keys},
            "_w": w,
            "won": latest["_won"].to_numpy() & window,
            "lost": latest["_lost"].to_numpy() & window,
        }
    )
    counts: pd.DataFrame = closed.groupby([*keys, "_w"])[["won", "lost"]].sum()
    return counts


def _latest_rows(rows: pd.DataFrame, deals: np.ndarray, weeks: np.ndarray) -> np.ndarray:
    """For each (deal code, week index) pair, the position in ``rows`` of the deal's
    latest row up to that week (-1 when none): one as-of join, no loop."""
    left = pd.DataFrame(
        {"k": deals.astype(np.int64), "w": weeks.astype(np.int64), "i": np.arange(len(deals))}
    ).sort_values("w", kind="stable")
    right = pd.DataFrame(
        {"k": rows["_k"].to_numpy(), "w": rows["_w"].to_numpy(), "pos": np.arange(len(rows))}
    ).sort_values("w", kind="stable")
    joined = pd.merge_asof(left, right, on="w", by="k", direction="backward")
    out = np.full(len(deals), -1, dtype=np.int64)
    found = joined["pos"].notna().to_numpy()
    out[joined["i"].to_numpy()[found]] = joined["pos"].to_numpy()[found].astype(np.int64)
    return out


def _candidates(
    rows: pd.DataFrame, mask: np.ndarray, span: int, n_weeks: int
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (deal, week) pairs for the rows in ``mask``: the week holding the row's
    close date and the ``span - 1`` weeks after it, within the stored weeks."""
    start = rows["_cw"].to_numpy()[mask]
    deals = rows["_k"].to_numpy()[mask]
    ok = start >= -span
    start, deals = start[ok], deals[ok]
    weeks = (start[:, None] + np.arange(span)[None, :]).ravel()
    deals = np.repeat(deals, span)
    keep = (weeks >= 0) & (weeks < n_weeks)
    codes = deals[keep].astype(np.int64) * n_weeks + weeks[keep]
    seen = np.zeros((int(rows["_k"].max()) + 1) * n_weeks if len(rows) else 0, dtype=bool)
    seen[codes] = True  # distinct and sorted, like numpy.unique, in one pass
    pairs = np.flatnonzero(seen)
    return pairs // n_weeks, pairs % n_weeks
