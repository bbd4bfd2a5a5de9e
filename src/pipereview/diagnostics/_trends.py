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
from pipereview.diagnostics._figures import new_deal_counts, new_deals
from pipereview.diagnostics._forecast import (
    ForecastSettings,
    as_week,
    latest_mask,
    period_forecast,
    targets_for,
    weighted_rows,
    win_rates,
    won_deals,
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


def _metrics_at(history: pd.DataFrame | PreparedHistory, as_of: Week, first: pd.Timestamp,
                keys: list[str], targets: pd.DataFrame | None, settings: TrendSettings
                ) -> pd.DataFrame:
    """Every metric per group as of ``as_of``; flows counted from ``first`` to its Sunday."""
    upto = as_prepared(history).upto(as_of)
    now = latest_mask(upto)
    snap = upto.frame[now]
    end = pd.Timestamp(as_of.sunday)
    pipe = weighted_rows(snap, upto.take(now).stage_facts(), None).groupby(keys).agg(
        open_pipeline=("amount", "sum"), weighted_pipeline=("weighted", "sum"),
        open_deals=("amount", "size"))
    span = max(1, ((end - first).days + 1) // 7)
    new = new_deals(upto, as_of, group_columns=keys, weeks=span).set_index(keys)["new_deals"]
    closed = won_deals(upto, None, as_of)
    won = closed[closed["close_date"].between(first, end)].groupby(keys)["amount"].sum()
    rates = win_rates(upto, as_of, group_columns=keys, settings=settings.forecast).set_index(keys)
    out = snap[keys].drop_duplicates().set_index(keys).join(pipe).join(new)
    out = out.join(won.rename("won_amount")).join(rates[["won", "lost", "win_rate"]])
    counts = ("open_pipeline", "weighted_pipeline", "open_deals", "won_amount", "won", "lost")
    out = out.fillna(dict.fromkeys(counts, 0))
    out["coverage"] = np.nan
    if targets is not None:
        fc = period_forecast(upto, targets, quarter_of(as_of), as_of,
                             by="rep" if "owner" in keys else "team",
                             settings=settings.forecast).set_index(keys)
        out["coverage"] = fc["coverage"]
    out["deals"] = out["open_deals"] + out["won"] + out["lost"]
    return out.reset_index()


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


def _team_weeks(prep: PreparedHistory, targets: pd.DataFrame | None,
                settings: TrendSettings) -> pd.DataFrame:
    """Every team metric for every stored week at once (what :func:`_metrics_at` gives
    week by week), with as-of joins instead of one pass over the history per week."""
    weeks = _WeekAxis(list(prep.weeks))
    rows = _coded_rows(prep, weeks)
    out = _snapshot_weeks(rows, weeks)
    # new deals: first stored in week W's export (pipereview.diagnostics._figures.new_deal_counts)
    counted = new_deal_counts(prep, group_columns=("team",))
    codes = {name: index for index, name in enumerate(weeks.names)}
    new = counted.assign(_w=counted["week"].map(codes)).set_index(["team", "_w"])["new_deals"]
    out["new_deals"] = new.reindex(out.index).to_numpy(dtype=float)
    out["won_amount"], out["won_to_date"] = _won_weeks(rows, weeks)
    out = out.join(_closed_weeks(rows, weeks, settings.forecast.win_rate_weeks))
    counts_cols = ("open_pipeline", "weighted_pipeline", "open_deals", "open_in_period",
                   "won_amount", "won_to_date", "won", "lost")
    out = out.fillna(dict.fromkeys(counts_cols, 0))
    total = out["won"] + out["lost"]
    out["win_rate"] = (out["won"] / total).where(total >= settings.forecast.min_closed_deals)
    out["coverage"] = np.nan
    if targets is not None:
        out = out.reset_index()
        target = pd.Series(np.nan, index=out.index)
        quarters = {q: targets_for(targets, q, ["team"])["target"]  # one per quarter
                    for q in {quarter_of(name) for name in weeks.names}}
        for index, name in enumerate(weeks.names):  # one lookup per week, never per deal
            goals = quarters[quarter_of(name)]
            at = out["_w"] == index
            target[at] = goals.reindex(out.loc[at, "team"]).to_numpy()
        remaining = (target - out["won_to_date"]).clip(lower=0)
        out["coverage"] = out["open_in_period"] / remaining.where(remaining > 0)
        out = out.set_index(["team", "_w"])
    out = out.reset_index()
    out["week"] = np.asarray(weeks.names, dtype=object)[out["_w"].to_numpy()]
    return out.drop(columns=["_w", "_rows"])


class _WeekAxis:
    """The stored weeks: names, Mondays, Sundays and the bounds of each one's quarter."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.mondays = pd.DatetimeIndex([pd.Timestamp(Week.parse(w).monday) for w in names])
        self.sundays = self.mondays + pd.Timedelta(days=6)
        self.quarter_first = pd.Series([period_bounds(quarter_of(w))[0] for w in names])
        self.quarter_last = pd.Series([period_bounds(quarter_of(w))[1] for w in names])


def _coded_rows(prep: PreparedHistory, weeks: _WeekAxis) -> pd.DataFrame:
    """The rows the metrics read, with deal codes ``_k`` (in order of appearance), week
    codes ``_w``, closed/open flags, the probability used ``_p`` and the close date's
    week ``_cw`` (from the first stored Monday); sorted by week."""
    history = prep.frame
    used = ["snapshot_week", "deal_key", "deal_id", "deal_name", "account", "team", "stage",
            "stage_model", "amount", "probability", "forecast_category", "close_date",
            "created_date"]
    rows = history[[c for c in used if c in history]].reset_index(drop=True)
    # deals coded in order of appearance (sums then add up in the same order as ever)
    appearance = (pd.factorize(prep.deal)[0] if not (prep.deal < 0).any()
                  else pd.factorize(prep.deal_key)[0])
    model_p = pd.Series(prep.model_probability, index=rows.index)
    rows = rows.assign(
        _k=appearance, _w=prep.week, _won=prep.is_won, _lost=prep.is_lost, _open=prep.is_open,
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


def _snapshot_weeks(rows: pd.DataFrame, weeks: _WeekAxis) -> pd.DataFrame:
    """Per team and stored week from its first: the open pipeline of the team's latest
    stored week up to W (forward-filled), and ``_rows`` (the team's rows in W)."""
    teams = sorted(rows["team"].astype("str").unique())
    grid = pd.MultiIndex.from_product([teams, range(len(weeks.names))], names=["team", "_w"])
    seen = rows.groupby("team")["_w"].min()
    out = pd.DataFrame(index=grid).reset_index()
    out = out[out["_w"].to_numpy() >= seen.reindex(out["team"]).to_numpy()]
    out = out.set_index(["team", "_w"])
    weighted = rows.loc[rows["_open"], ["team", "_w", "amount", "close_date", "_p"]]
    weighted = weighted.assign(weighted=weighted["amount"] * weighted["_p"]).reset_index(
        drop=True)  # as weighted_pipeline weighs them, without the columns not summed here
    snap = weighted.groupby(["team", "_w"]).agg(
        open_pipeline=("amount", "sum"), weighted_pipeline=("weighted", "sum"),
        open_deals=("amount", "size"))
    due = weighted["close_date"].between(weeks.quarter_first[weighted["_w"]].to_numpy(),
                                         weeks.quarter_last[weighted["_w"]].to_numpy())
    snap["open_in_period"] = weighted[due.to_numpy()].groupby(["team", "_w"])["amount"].sum()
    has_rows = rows.groupby(["team", "_w"]).size().rename("_rows")
    out = out.join(has_rows).join(snap)
    present = out["_rows"].notna()
    for column in ("open_pipeline", "weighted_pipeline", "open_deals", "open_in_period"):
        value = out[column].where(present | out[column].notna())
        out[column] = value.where(present).groupby(level="team").ffill()
    return out


def _won_weeks(rows: pd.DataFrame, weeks: _WeekAxis) -> tuple[pd.Series, pd.Series]:
    """Per team and week W: the amount won in W (the deal's latest row up to W won, its
    close date in W) and won to date in W's quarter."""
    close = rows["close_date"].to_numpy(dtype="datetime64[ns]")
    k, w = _candidates(rows, rows["_won"].to_numpy(), 15, len(weeks.names))
    pos = _latest_rows(rows, k, w)
    ok = pos >= 0
    k, w, pos = k[ok], w[ok], pos[ok]
    won_rows = rows[["team", "amount", "_won"]].iloc[pos]  # only what is read
    is_won = won_rows["_won"].to_numpy()
    sundays = weeks.sundays[w].to_numpy()
    in_week = (close[pos] >= weeks.mondays[w].to_numpy()) & (close[pos] <= sundays)
    to_date = ((close[pos] >= weeks.quarter_first[w].to_numpy())
               & (close[pos] <= np.minimum(weeks.quarter_last[w].to_numpy(), sundays)))
    frame = pd.DataFrame({"team": won_rows["team"].to_numpy(), "_w": w,
                          "amount": won_rows["amount"].to_numpy()})
    return (frame[is_won & in_week].groupby(["team", "_w"])["amount"].sum(),
            frame[is_won & to_date].groupby(["team", "_w"])["amount"].sum())


def _closed_weeks(rows: pd.DataFrame, weeks: _WeekAxis, span: int) -> pd.DataFrame:
    """Per team and week W: deals ``won`` and ``lost`` (latest row up to W) with a close
    date in the ``span`` weeks ending with W's Sunday (the win rate's window)."""
    close = rows["close_date"].to_numpy(dtype="datetime64[ns]")
    k, w = _candidates(rows, (rows["_won"] | rows["_lost"]).to_numpy(), span,
                       len(weeks.names))
    pos = _latest_rows(rows, k, w)
    ok = pos >= 0
    w, pos = w[ok], pos[ok]
    latest = rows[["team", "_won", "_lost"]].iloc[pos]  # only what is read
    start = weeks.sundays[w] - pd.Timedelta(weeks=span) + pd.Timedelta(days=1)
    window = (close[pos] >= start.to_numpy()) & (close[pos] <= weeks.sundays[w].to_numpy())
    closed = pd.DataFrame({"team": latest["team"].to_numpy(), "_w": w,
                           "won": latest["_won"].to_numpy() & window,
                           "lost": latest["_lost"].to_numpy() & window})
    counts: pd.DataFrame = closed.groupby(["team", "_w"])[["won", "lost"]].sum()
    return counts


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
    wide = _team_weeks(as_prepared(history), targets, settings)
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
    start = (pd.Timestamp(week.sunday) - pd.Timedelta(weeks=settings.forecast.win_rate_weeks)
             + pd.Timedelta(days=1))
    wide = _metrics_at(as_prepared(history), week, start, ["team", "owner"], targets,
                       settings)
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
