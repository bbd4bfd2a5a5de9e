"""Headline metrics week over week per team, and each rep against the team median.

Metrics (:data:`METRICS`), each as of a stored week:

- ``open_pipeline`` / ``weighted_pipeline``: open amount and its weighted value
  (:func:`pipereview.forecast.weighted_pipeline`), all close dates;
- ``new_deals``: deals whose ``created_date`` falls in the week (for reps: in the
  trailing window);
- ``won_amount``: won deals with a close date in the week (reps: in the trailing window);
- ``win_rate``: :func:`pipereview.forecast.win_rates` over the trailing window;
- ``coverage``: :func:`pipereview.forecast.period_forecast`'s coverage of the quarter
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

from pipereview.forecast import (
    ForecastSettings,
    _keyed,
    _latest,
    as_week,
    period_forecast,
    weighted_pipeline,
    win_rates,
    won_deals,
)
from pipereview.weeks import Week

__all__ = ["METRICS", "TrendSettings", "quarter_of", "rep_comparison", "weekly_metrics"]

#: The headline metrics, in the order a manager reads them.
METRICS: tuple[str, ...] = ("open_pipeline", "weighted_pipeline", "new_deals", "won_amount",
                            "win_rate", "coverage")


@dataclass(frozen=True)
class TrendSettings:
    """``flat`` (0.05): a week-over-week change within 5% of last week's value is
    ``flat``. ``band`` (0.20): a rep within 20% of the team median is ``in line``.
    ``min_deals`` (5): reps with fewer deals get no verdict. ``forecast``: the window and
    guards of the win rate and coverage (:class:`pipereview.forecast.ForecastSettings`).
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


def _metrics_at(history: pd.DataFrame, as_of: Week, first: pd.Timestamp, keys: list[str],
                targets: pd.DataFrame | None, settings: TrendSettings) -> pd.DataFrame:
    """Every metric per group as of ``as_of``; flows counted from ``first`` to its Sunday."""
    upto = history[history["snapshot_week"].astype("str") <= str(as_of)]
    snap = _latest(upto, as_of)
    end = pd.Timestamp(as_of.sunday)
    pipe = weighted_pipeline(snap).groupby(keys).agg(
        open_pipeline=("amount", "sum"), weighted_pipeline=("weighted", "sum"),
        open_deals=("amount", "size"))
    latest = _keyed(upto, as_of).drop_duplicates("deal_key", keep="last")
    created = latest["created_date"].between(first, end)
    new = latest[created].groupby(keys).size().rename("new_deals")
    closed = won_deals(upto, None, as_of)
    won = closed[closed["close_date"].between(first, end)].groupby(keys)["amount"].sum()
    rates = win_rates(upto, as_of, by=keys, settings=settings.forecast).set_index(keys)
    out = snap[keys].drop_duplicates().set_index(keys).join(pipe).join(new)
    out = out.join(won.rename("won_amount")).join(rates[["won", "lost", "win_rate"]])
    counts = ("open_pipeline", "weighted_pipeline", "open_deals", "new_deals", "won_amount",
              "won", "lost")
    out = out.fillna(dict.fromkeys(counts, 0))
    out["coverage"] = np.nan
    if targets is not None:
        fc = period_forecast(upto, targets, quarter_of(as_of), as_of,
                             by=keys[-1], settings=settings.forecast).set_index(keys)
        out["coverage"] = fc["coverage"]
    out["deals"] = out["open_deals"] + out["won"] + out["lost"]
    return out.reset_index()


def weekly_metrics(history: pd.DataFrame, *, targets: pd.DataFrame | None = None,
                   settings: TrendSettings | None = None) -> pd.DataFrame:
    """Each team's metrics for every stored week, long: ``team``, ``week``, ``metric``,
    ``value``, ``previous``, ``change``, ``change_pct`` and ``direction`` (up / down /
    flat; blank in the first week or when a value is missing). ``history`` is unchanged.
    """
    settings = settings or TrendSettings()
    weeks = sorted(history["snapshot_week"].astype("str").unique())
    frames = []
    for text in weeks:  # loops over weeks; each week is vectorised
        week = Week.parse(text)
        frame = _metrics_at(history, week, pd.Timestamp(week.monday), ["team"], targets,
                            settings)
        frames.append(frame.assign(week=text))
    wide = pd.concat(frames, ignore_index=True)
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


def rep_comparison(history: pd.DataFrame, as_of: Week | str, *,
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
    wide = _metrics_at(history, week, start, ["team", "owner"], targets, settings)
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
