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

from pipereview.core._compare import less_than, more_than
from pipereview.core._weeks import Week
from pipereview.diagnostics._forecast import (
    ForecastSettings,
    as_week,
    targets_for,
)
from pipereview.diagnostics._trend_weeks import (
    WeekAxis,
    closed_weeks,
    coded_rows,
    new_deal_weeks,
    quarter_of,
    snapshot_weeks,
    won_weeks,
)
from pipereview.history._prepared import PreparedHistory, as_prepared

__all__ = ["METRICS", "TrendSettings", "rep_comparison", "weekly_metrics"]

#: The headline metrics, in the order a manager reads them.
METRICS: tuple[str, ...] = (
    "open_pipeline",
    "weighted_pipeline",
    "new_deals",
    "won_amount",
    "win_rate",
    "coverage",
)


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


def _group_weeks(
    prep: PreparedHistory,
    keys: list[str],
    wanted: list[Week],
    flow_weeks: int,
    targets: pd.DataFrame | None,
    settings: TrendSettings,
) -> pd.DataFrame:
    """Every metric per group (``keys``: team, or team and owner) as of each ``wanted``
    week W, all weeks at once (the latest row of each deal up to W from an as-of join):
    the open pipeline of the team's latest stored week up to W; flows (new deals, won
    amount) over the ``flow_weeks`` weeks ending with W; the win rate over its trailing
    window; the coverage of W's quarter when ``targets`` are given; ``deals`` (open now
    plus closed in the window). One row per group in the team's latest snapshot. The
    figures come from :mod:`pipereview.diagnostics._trend_weeks`."""
    weeks = WeekAxis(list(prep.weeks), wanted)
    rows = coded_rows(prep, weeks, keys)
    want = np.array(sorted({weeks.code(w) for w in wanted}), dtype=np.int64)
    out = snapshot_weeks(rows, weeks, keys, want)
    index = [*keys, "_w"]
    out["new_deals"] = (
        new_deal_weeks(prep, keys, weeks, want, flow_weeks).reindex(out.index).to_numpy(dtype=float)
    )
    won, to_date = won_weeks(rows, weeks, keys, want, flow_weeks)
    out["won_amount"], out["won_to_date"] = won, to_date
    out = out.join(closed_weeks(rows, weeks, keys, want, settings.forecast.win_rate_weeks))
    counts_cols = (
        "open_pipeline",
        "weighted_pipeline",
        "open_deals",
        "open_in_period",
        "won_amount",
        "won_to_date",
        "won",
        "lost",
    )
    out = out.fillna(dict.fromkeys(counts_cols, 0))
    total = out["won"] + out["lost"]
    out["win_rate"] = (out["won"] / total).where(total >= settings.forecast.min_closed_deals)
    out["coverage"] = np.nan
    if targets is not None:
        out = out.reset_index()
        target = pd.Series(np.nan, index=out.index)
        quarters = {
            q: targets_for(targets, q, keys)["target"]  # one per quarter
            for q in {quarter_of(weeks.names[w]) for w in want}
        }
        for code in want.tolist():  # one lookup per week, never per deal
            goals = quarters[quarter_of(weeks.names[code])]
            at = out["_w"] == code
            groups = (
                out.loc[at, "team"]
                if keys == ["team"]
                else pd.MultiIndex.from_frame(out.loc[at, keys])
            )
            target[at] = goals.reindex(groups).to_numpy()
        remaining = (target - out["won_to_date"]).clip(lower=0)
        out["coverage"] = out["open_in_period"] / remaining.where(remaining > 0)
        out = out.set_index(index)
    out["deals"] = out["open_deals"] + out["won"] + out["lost"]
    out = out.reset_index()
    out["week"] = np.asarray(weeks.names, dtype=object)[out["_w"].to_numpy()]
    return out.drop(columns=["_w", "_rows"])


def weekly_metrics(
    history: pd.DataFrame | PreparedHistory,
    *,
    targets: pd.DataFrame | None = None,
    settings: TrendSettings | None = None,
) -> pd.DataFrame:
    """Each team's metrics for every stored week, long: ``team``, ``week``, ``metric``,
    ``value``, ``previous``, ``change``, ``change_pct`` and ``direction`` (up / down /
    flat; blank in the first week or when a value is missing). ``history`` is unchanged.

    Each week's values are what the history up to that week says (as
    :func:`rep_comparison` computes them for one week), all weeks in one pass: the
    latest row of each deal up to a week comes from an as-of join.
    """
    settings = settings or TrendSettings()
    prep = as_prepared(history)
    wide = _group_weeks(prep, ["team"], [Week.parse(w) for w in prep.weeks], 1, targets, settings)
    long = wide.melt(id_vars=["team", "week"], value_vars=list(METRICS), var_name="metric")
    long["metric"] = pd.Categorical(long["metric"], categories=list(METRICS), ordered=True)
    long = long.sort_values(["team", "metric", "week"]).reset_index(drop=True)
    long["value"] = long["value"].astype(float)
    long["previous"] = long.groupby(["team", "metric"], observed=True)["value"].shift()
    long["change"] = long["value"] - long["previous"]
    long["change_pct"] = long["change"] / long["previous"].abs().where(long["previous"] != 0)
    moved = more_than(long["change"].abs(), settings.flat * long["previous"].abs())
    long["direction"] = np.select(
        [long["change"].isna(), ~moved, long["change"] > 0], ["", "flat", "up"], "down"
    )
    long["metric"] = long["metric"].astype("str")
    return long


def rep_comparison(
    history: pd.DataFrame | PreparedHistory,
    as_of: Week | str,
    *,
    targets: pd.DataFrame | None = None,
    settings: TrendSettings | None = None,
) -> pd.DataFrame:
    """Each rep's metrics as of ``as_of`` next to the team median, long: ``team``,
    ``owner``, ``metric``, ``value``, ``team_median``, ``ratio``, ``deals``, ``verdict``
    (above / below / in line; blank below ``min_deals``) and ``note``. Flows
    (new deals, won amount) cover the trailing window of the win rate; coverage is the
    quarter's, when ``targets`` are given.
    """
    settings = settings or TrendSettings()
    week = as_week(as_of)
    wide = _group_weeks(
        as_prepared(history),
        ["team", "owner"],
        [week],
        settings.forecast.win_rate_weeks,
        targets,
        settings,
    )
    long = wide.melt(
        id_vars=["team", "owner", "deals"], value_vars=list(METRICS), var_name="metric"
    ).astype({"value": float})
    enough = long["deals"] >= settings.min_deals
    median = long["value"].where(enough).groupby([long["team"], long["metric"]]).transform("median")
    long["team_median"] = median
    long["ratio"] = long["value"] / median.where(median != 0)
    known = enough & long["value"].notna() & median.notna()
    long["verdict"] = np.select(
        [
            ~known,
            more_than(long["value"], median * (1 + settings.band)),
            less_than(long["value"], median * (1 - settings.band)),
        ],
        ["", "above", "below"],
        "in line",
    )
    long["note"] = np.where(
        enough,
        np.where(known, "", "no value"),
        "too few deals: " + long["deals"].astype("int64").astype("str") + f" < "
        f"{settings.min_deals}",
    )
    long["deals"] = long["deals"].astype("int64")
    order = pd.Categorical(long["metric"], categories=list(METRICS), ordered=True)
    long = long.assign(_m=order).sort_values(["team", "owner", "_m"]).drop(columns="_m")
    return long[
        ["team", "owner", "metric", "value", "team_median", "ratio", "deals", "verdict", "note"]
    ].reset_index(drop=True)
