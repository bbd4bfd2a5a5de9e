"""Headline metrics week over week per team, and each rep against the team median.

Metrics (:data:`METRICS`), each as of a stored week:

- ``open_pipeline`` / ``weighted_pipeline``: open amount and its weighted value
  (:func:`pipereview.diagnostics._forecast.weighted_pipeline`), all close dates;
- ``new_deals``: deals first stored in the week's export
  (:func:`pipereview.diagnostics._figures.new_deal_counts`; for reps: in the trailing window's weeks),
  blank in a team's first stored week, where every deal is seen for the first time;
- ``won_amount``: won deals with a close date in the week (reps: in the trailing window);
- ``win_rate``: :func:`pipereview.diagnostics._forecast.win_rates` over the trailing window;
- ``coverage``: :func:`pipereview.diagnostics._forecast.period_forecast`'s coverage of the quarter
  holding the week (only when targets are given).

A rep is compared with the median of the team's reps that have enough deals
(``min_deals``: open deals now plus deals closed in the window); a rep with fewer gets
no verdict, and a note saying why.

>>> day = pd.Timestamp("2026-12-15")
>>> deal = {"team": "North", "owner": "Ann", "stage": "negotiation", "stage_model": "generic_4",
...         "currency": "USD", "close_date": day, "created_date": pd.Timestamp("2026-09-01"),
...         "probability": None, "forecast_category": "commit"}
>>> history = pd.DataFrame([
...     {**deal, "snapshot_week": "2026-W46", "deal_id": "D1", "deal_name": "MES",
...      "account": "Acme", "amount": 100.0},
...     {**deal, "snapshot_week": "2026-W47", "deal_id": "D1", "deal_name": "MES",
...      "account": "Acme", "amount": 150.0}])
>>> out = weekly_metrics(history)
>>> out[out["metric"] == "open_pipeline"][["week", "value", "change", "direction"]]
       week  value  change direction
0  2026-W46  100.0     NaN
1  2026-W47  150.0    50.0        up
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipereview.core._weeks import Week
from pipereview.diagnostics._figures import new_deal_counts
from pipereview.diagnostics._forecast import (
    ForecastSettings,
    as_week,
    targets_for,
)
from pipereview.diagnostics._waterfall import period_bounds
from pipereview.history._prepared import PreparedHistory, as_prepared

__all__ = ["METRICS", "TrendSettings", "quarter_of", "rep_comparison", "weekly_metrics"]

#: The headline metrics, in the order a manager reads them.
METRICS: tuple[str, ...] = ("open_pipeline", "weighted_pipeline", "new_deals", "won_amount",
                            "win_rate", "coverage")


@dataclass(frozen=True)
class TrendSettings:
    """``flat`` (0.05): a week-over-week change within 5% of last week's value is
    ``flat``. ``band`` (0.20): a rep within 20% of the team median is ``in line``.
    ``min_deals`` (5): reps with fewer deals get no verdict. ``forecast``: the window and
    guards of the win rate and coverage (:class:`pipereview.diagnostics._forecast.ForecastSettings`).
    """

    flat: float = 0.05
    band: float = 0.20
    min_deals: int = 5
    forecast: ForecastSettings = field(default_factory=ForecastSettings)


def quarter_of(week: Week | str) -> str:
    """The quarter holding an ISO week (by its Thursday, as ISO numbers weeks).

    >>> quarter_of("2026-W40"), quarter_of("2026-W53")
    ('2026-Q4', '2026-Q4')
    """
    thursday = as_week(week).monday
    thursday += pd.Timedelta(days=3).to_pytimedelta()
    return f"{thursday.year}-Q{(thursday.month - 1) // 3 + 1}"


def _group_weeks(prep: PreparedHistory, keys: list[str], wanted: list[Week],
                 flow_weeks: int, targets: pd.DataFrame | None, settings: TrendSettings
                 ) -> pd.DataFrame:
    """Every metric per group (``keys``: team, or team and owner) as of each ``wanted``
    week W, all weeks at once (the latest row of each deal up to W from an as-of join):
    the open pipeline of the team's latest stored week up to W; flows (new deals, won
    amount) over the ``flow_weeks`` weeks ending with W; the win rate over its trailing
    window; the coverage of W's quarter when ``targets`` are given; ``deals`` (open now
    plus closed in the window). One row per group in the team's latest snapshot."""
    weeks = _WeekAxis(list(prep.weeks), wanted)
    rows = _coded_rows(prep, weeks, keys)
    want = np.array(sorted({weeks.code(w) for w in wanted}), dtype=np.int64)
    out = _snapshot_weeks(rows, weeks, keys, want)
    index = [*keys, "_w"]
    out["new_deals"] = _new_deal_weeks(prep, keys, weeks, want, flow_weeks).reindex(
        out.index).to_numpy(dtype=float)
    won, to_date = _won_weeks(rows, weeks, keys, want, flow_weeks)
    out["won_amount"], out["won_to_date"] = won, to_date
    out = out.join(_closed_weeks(rows, weeks, keys, want, settings.forecast.win_rate_weeks))
    counts_cols = ("open_pipeline", "weighted_pipeline", "open_deals", "open_in_period",
                   "won_amount", "won_to_date", "won", "lost")
    out = out.fillna(dict.fromkeys(counts_cols, 0))
    total = out["won"] + out["lost"]
    out["win_rate"] = (out["won"] / total).where(total >= settings.forecast.min_closed_deals)
    out["coverage"] = np.nan
    if targets is not None:
        out = out.reset_index()
        target = pd.Series(np.nan, index=out.index)
        quarters = {q: targets_for(targets, q, keys)["target"]  # one per quarter
                    for q in {quarter_of(weeks.names[w]) for w in want}}
        for code in want.tolist():  # one lookup per week, never per deal
            goals = quarters[quarter_of(weeks.names[code])]
            at = out["_w"] == code
            groups = (out.loc[at, "team"] if keys == ["team"]
                      else pd.MultiIndex.from_frame(out.loc[at, keys]))
            target[at] = goals.reindex(groups).to_numpy()
        remaining = (target - out["won_to_date"]).clip(lower=0)
        out["coverage"] = out["open_in_period"] / remaining.where(remaining > 0)
        out = out.set_index(index)
    out["deals"] = out["open_deals"] + out["won"] + out["lost"]
    out = out.reset_index()
    out["week"] = np.asarray(weeks.names, dtype=object)[out["_w"].to_numpy()]
    return out.drop(columns=["_w", "_rows"])


class _WeekAxis:
    """Every calendar week from the first stored (or wanted) week to the last: names,
    Mondays, Sundays and the bounds of each one's quarter; a week's code is its offset."""

    def __init__(self, stored: list[str], wanted: list[Week]) -> None:
        ends = [Week.parse(w) for w in stored[:1] + stored[-1:]] + list(wanted)
        first, last = min(ends, key=str), max(ends, key=str)
        self.first = first
        self.names = [str(first + i) for i in range(self.code(last) + 1)]
        self.stored = np.array([self.code(Week.parse(w)) for w in stored], dtype=np.int64)
        self.mondays = pd.DatetimeIndex([pd.Timestamp(Week.parse(w).monday)
                                         for w in self.names])
        self.sundays = self.mondays + pd.Timedelta(days=6)
        quarters = {q: period_bounds(q) for q in {quarter_of(w) for w in self.names}}
        self.quarter_first = pd.Series([quarters[quarter_of(w)][0] for w in self.names])
        self.quarter_last = pd.Series([quarters[quarter_of(w)][1] for w in self.names])

    def code(self, week: Week) -> int:
        return (week.monday - self.first.monday).days // 7


def _coded_rows(prep: PreparedHistory, weeks: _WeekAxis, keys: list[str]) -> pd.DataFrame:
    """The rows the metrics read, with deal codes ``_k`` (in order of appearance), week
    codes ``_w``, closed/open flags, the probability used ``_p`` and the close date's
    week ``_cw``; sorted by week."""
    history = prep.frame
    used = ["snapshot_week", "deal_key", "deal_id", "deal_name", "account", *keys, "stage",
            "stage_model", "amount", "probability", "forecast_category", "close_date",
            "created_date"]
    rows = history[[c for c in dict.fromkeys(used) if c in history]].reset_index(drop=True)
    # deals coded in order of appearance (sums then add up in the same order as ever)
    appearance = (pd.factorize(prep.deal)[0] if not (prep.deal < 0).any()
                  else pd.factorize(prep.deal_key)[0])
    model_p = pd.Series(prep.model_probability, index=rows.index)
    rows = rows.assign(
        _k=appearance, _w=weeks.stored[prep.week], _won=prep.is_won, _lost=prep.is_lost,
        _open=prep.is_open,
        # the probability weighted_pipeline uses: the snapshot's, else the stage model's
        _p=(rows["probability"].where(rows["probability"].notna(), model_p)
            if "probability" in rows else model_p).astype(float).to_numpy())
    close_monday = (rows["close_date"] - pd.to_timedelta(rows["close_date"].dt.day_of_week,
                                                         unit="D")).dt.normalize()
    first = weeks.mondays[0]
    rows["_cw"] = ((close_monday - first).dt.days // 7).fillna(-10**9).astype(np.int64)
    if not rows["_w"].is_monotonic_increasing:  # latest row = last (a store's history is)
        rows = rows.sort_values("_w", kind="stable", ignore_index=True)
    return rows


def _snapshot_weeks(rows: pd.DataFrame, weeks: _WeekAxis, keys: list[str], want: np.ndarray
                    ) -> pd.DataFrame:
    """Per group and wanted week W: the open pipeline of the team's latest stored week up
    to W, and ``_rows`` (the group's rows in that week), indexed by ``[*keys, "_w"]``."""
    index = [*keys, "_w"]
    weighted = rows.loc[rows["_open"], [*index, "amount", "close_date", "_p"]]
    weighted = weighted.assign(weighted=weighted["amount"] * weighted["_p"]).reset_index(
        drop=True)  # as weighted_pipeline weighs them, without the columns not summed here
    snap = weighted.groupby(index).agg(
        open_pipeline=("amount", "sum"), weighted_pipeline=("weighted", "sum"),
        open_deals=("amount", "size"))
    due = weighted["close_date"].between(weeks.quarter_first[weighted["_w"]].to_numpy(),
                                         weeks.quarter_last[weighted["_w"]].to_numpy())
    snap["open_in_period"] = weighted[due.to_numpy()].groupby(index)["amount"].sum()
    groups = rows.groupby(index).size().rename("_rows").to_frame().join(snap).reset_index()
    # each team's latest stored week up to W (``_s``), for every W from its first
    present = rows[["team", "_w"]].drop_duplicates().rename(columns={"_w": "_s"})
    teams = present["team"].unique()
    pairs = pd.DataFrame({"team": np.repeat(teams, len(want)),
                          "_w": np.tile(want, len(teams))}).sort_values("_w", kind="stable")
    pairs = pd.merge_asof(pairs, present.assign(_w=present["_s"]).sort_values("_w"),
                          on="_w", by="team", direction="backward").dropna(subset=["_s"])
    pairs["_s"] = pairs["_s"].astype(np.int64)
    out = pairs.merge(groups.rename(columns={"_w": "_s"}), on=["team", "_s"])
    return out.drop(columns="_s").set_index(index).sort_index()


def _new_deal_weeks(prep: PreparedHistory, keys: list[str], weeks: _WeekAxis, want: np.ndarray,
                    flow_weeks: int) -> pd.Series:
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
        parts.append(part.groupby(keys)["new_deals"].sum(min_count=1).reset_index()
                     .assign(_w=code))
    found = pd.concat(parts, ignore_index=True) if parts else counted.iloc[:0]
    return found.set_index([*keys, "_w"])["new_deals"]


def _pairs(rows: pd.DataFrame, mask: np.ndarray, span: int, n_weeks: int, want: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """(row position of the deal's latest row up to W, W) for the deals in ``mask`` and
    the wanted weeks up to ``span - 1`` weeks after their close date's week."""
    k, w = _candidates(rows, mask, span, n_weeks)
    keep = np.isin(w, want)
    k, w = k[keep], w[keep]
    pos = _latest_rows(rows, k, w)
    ok = pos >= 0
    return pos[ok], w[ok]


def _won_weeks(rows: pd.DataFrame, weeks: _WeekAxis, keys: list[str], want: np.ndarray,
               flow_weeks: int) -> tuple[pd.Series, pd.Series]:
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
    to_date = ((close[pos] >= weeks.quarter_first[w].to_numpy())
               & (close[pos] <= np.minimum(weeks.quarter_last[w].to_numpy(), sundays)))
    frame = pd.DataFrame({**{k: won_rows[k].to_numpy() for k in keys}, "_w": w,
                          "amount": won_rows["amount"].to_numpy()})
    index = [*keys, "_w"]
    return (frame[is_won & in_window].groupby(index)["amount"].sum(),
            frame[is_won & to_date].groupby(index)["amount"].sum())


def _closed_weeks(rows: pd.DataFrame, weeks: _WeekAxis, keys: list[str], want: np.ndarray,
                  span: int) -> pd.DataFrame:
    """Per group and wanted week W: deals ``won`` and ``lost`` (latest row up to W) with a
    close date in the ``span`` weeks ending with W's Sunday (the win rate's window)."""
    close = rows["close_date"].to_numpy(dtype="datetime64[ns]")
    pos, w = _pairs(rows, (rows["_won"] | rows["_lost"]).to_numpy(), span, len(weeks.names),
                    want)
    latest = rows[[*keys, "_won", "_lost"]].iloc[pos]  # only what is read
    start = weeks.sundays[w] - pd.Timedelta(weeks=span) + pd.Timedelta(days=1)
    window = (close[pos] >= start.to_numpy()) & (close[pos] <= weeks.sundays[w].to_numpy())
    closed = pd.DataFrame({**{k: latest[k].to_numpy() for k in keys}, "_w": w,
                           "won": latest["_won"].to_numpy() & window,
                           "lost": latest["_lost"].to_numpy() & window})
    counts: pd.DataFrame = closed.groupby([*keys, "_w"])[["won", "lost"]].sum()
    return counts


def _latest_rows(rows: pd.DataFrame, deals: np.ndarray, weeks: np.ndarray) -> np.ndarray:
    """For each (deal code, week index) pair, the position in ``rows`` of the deal's
    latest row up to that week (-1 when none): one as-of join, no loop."""
    left = pd.DataFrame({"k": deals.astype(np.int64), "w": weeks.astype(np.int64),
                         "i": np.arange(len(deals))}).sort_values("w", kind="stable")
    right = pd.DataFrame({"k": rows["_k"].to_numpy(), "w": rows["_w"].to_numpy(),
                          "pos": np.arange(len(rows))}).sort_values("w", kind="stable")
    joined = pd.merge_asof(left, right, on="w", by="k", direction="backward")
    out = np.full(len(deals), -1, dtype=np.int64)
    found = joined["pos"].notna().to_numpy()
    out[joined["i"].to_numpy()[found]] = joined["pos"].to_numpy()[found].astype(np.int64)
    return out


def _candidates(rows: pd.DataFrame, mask: np.ndarray, span: int, n_weeks: int
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


def weekly_metrics(history: pd.DataFrame | PreparedHistory, *, targets: pd.DataFrame | None = None,
                   settings: TrendSettings | None = None) -> pd.DataFrame:
    """Each team's metrics for every stored week, long: ``team``, ``week``, ``metric``,
    ``value``, ``previous``, ``change``, ``change_pct`` and ``direction`` (up / down /
    flat; blank in the first week or when a value is missing). ``history`` is unchanged.

    Each week's values are what the history up to that week says (as
    :func:`rep_comparison` computes them for one week), all weeks in one pass: the
    latest row of each deal up to a week comes from an as-of join.
    """
    settings = settings or TrendSettings()
    prep = as_prepared(history)
    wide = _group_weeks(prep, ["team"], [Week.parse(w) for w in prep.weeks], 1, targets,
                        settings)
    long = wide.melt(id_vars=["team", "week"], value_vars=list(METRICS), var_name="metric")
    long["metric"] = pd.Categorical(long["metric"], categories=list(METRICS), ordered=True)
    long = long.sort_values(["team", "metric", "week"]).reset_index(drop=True)
    long["value"] = long["value"].astype(float)
    long["previous"] = long.groupby(["team", "metric"], observed=True)["value"].shift()
    long["change"] = long["value"] - long["previous"]
    long["change_pct"] = long["change"] / long["previous"].abs().where(long["previous"] != 0)
    moved = long["change"].abs() > settings.flat * long["previous"].abs()
    long["direction"] = np.select(
        [long["change"].isna(), ~moved, long["change"] > 0], ["", "flat", "up"], "down")
    long["metric"] = long["metric"].astype("str")
    return long


def rep_comparison(history: pd.DataFrame | PreparedHistory, as_of: Week | str, *,
                   targets: pd.DataFrame | None = None,
                   settings: TrendSettings | None = None) -> pd.DataFrame:
    """Each rep's metrics as of ``as_of`` next to the team median, long: ``team``,
    ``owner``, ``metric``, ``value``, ``team_median``, ``ratio``, ``deals``, ``verdict``
    (above / below / in line; blank below ``min_deals``) and ``note``. Flows
    (new deals, won amount) cover the trailing window of the win rate; coverage is the
    quarter's, when ``targets`` are given.
    """
    settings = settings or TrendSettings()
    week = as_week(as_of)
    wide = _group_weeks(as_prepared(history), ["team", "owner"], [week],
                        settings.forecast.win_rate_weeks, targets, settings)
    long = wide.melt(id_vars=["team", "owner", "deals"], value_vars=list(METRICS),
                     var_name="metric").astype({"value": float})
    enough = long["deals"] >= settings.min_deals
    median = long["value"].where(enough).groupby(
        [long["team"], long["metric"]]).transform("median")
    long["team_median"] = median
    long["ratio"] = long["value"] / median.where(median != 0)
    known = enough & long["value"].notna() & median.notna()
    long["verdict"] = np.select(
        [~known, long["value"] > median * (1 + settings.band),
         long["value"] < median * (1 - settings.band)], ["", "above", "below"], "in line")
    long["note"] = np.where(
        enough, np.where(known, "", "no value"),
        "too few deals: " + long["deals"].astype("int64").astype("str") + f" < "
        f"{settings.min_deals}")
    long["deals"] = long["deals"].astype("int64")
    order = pd.Categorical(long["metric"], categories=list(METRICS), ordered=True)
    long = long.assign(_m=order).sort_values(["team", "owner", "_m"]).drop(columns="_m")
    return long[["team", "owner", "metric", "value", "team_median", "ratio", "deals",
                 "verdict", "note"]].reset_index(drop=True)
