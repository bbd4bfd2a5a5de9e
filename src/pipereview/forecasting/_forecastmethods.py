"""Several ways of forecasting a quarter's final won amount per team, as of a week, so
that a backtest (:mod:`pipereview.forecasting._backtest`) can say which to trust.

Each method sees only the history up to the as-of week; what a method learns from past
quarters (:func:`~pipereview.forecasting._forecastlearning.learn_quarter`) it learns
from the history before the quarter starts.

- ``stage_weighted``: won to date + the open deals due in the quarter, each at the
  probability the review's expected uses (the export's, else its stage's);
- ``evidence_weighted``: the same with each inflated deal weighted at the stage its
  evidence supports (:mod:`pipereview.diagnostics._evidenceforecast`); not available for
  a team whose export records no exit criterion;
- ``historical_conversion``: won to date + each open deal due in the quarter times the
  share of amount that, in past quarters at the same week of the quarter and the same
  stage, was won by the quarter's end (won amount / amount then); a cell of fewer than
  ``min_cell_deals`` deals uses the stage's share over all weeks, a stage with fewer
  uses its configured probability;
- ``conversion_with_inflow``: historical conversion x (1 + the **inflow** share): the
  won amount past quarters got, after week N, from deals not counted at week N (created
  later, or pulled into the quarter later) over what they got from the deals counted,
  summed over those quarters (a share, so that a small quarter does not get a big
  one's inflow). Only this method takes the inflow: the others forecast the pipeline
  as it stands;
- ``conversion_and_pace``: the mean of historical conversion and the naive pace: two
  forecasts from different evidence (the open pipeline as past quarters converted it;
  the quarter's run rate, which carries the pipeline still to come) whose errors partly
  cancel. Equal weights, chosen from nothing: nothing is fitted, so nothing learned
  from the quarter being forecast can leak in, and equal weights are hard to beat with
  few quarters to weigh by (the "forecast combination puzzle");
- ``conversion_and_stages``: the mean of historical conversion and the weighted
  pipeline, i.e. each open deal due in the quarter at the mean of its learned share won
  and its stage's configured probability: what the history says, shrunk halfway toward
  what the stage model says. A share learned from a few quarters of a small team is
  noisy, the configured probability is steady but often too high; the mean trades a
  little of one's bias for half of the other's noise. Equal weights again, fitted to
  nothing;
- ``calls_corrected``: each rep's latest call for the quarter divided by the rep's
  historical call / won ratio (at the call's week of the quarter when learned, else
  over all weeks; the team's when the rep has none); reps with no call count their won
  to date;
- baselines: ``weighted_pipeline`` (won + open deals due in the quarter at their
  stage's configured probability) and ``naive_pace`` (won to date x weeks in the
  quarter / weeks elapsed).

A method that cannot forecast says why in ``note`` (``not available: ...``), with a
NaN forecast, never 0.

>>> rows = [("2026-W27", "A", "negotiation", 100.0), ("2026-W27", "B", "negotiation", 300.0),
...         ("2026-W39", "A", "won", 100.0), ("2026-W39", "B", "lost", 300.0),
...         ("2026-W41", "C", "negotiation", 200.0)]
>>> h = pd.DataFrame([{"snapshot_week": w, "team": "N", "deal_id": d, "owner": "Ann",
...     "stage": s, "stage_model": "generic_4", "amount": a, "currency": "USD",
...     "close_date": pd.Timestamp("2026-09-20" if d != "C" else "2026-12-01"),
...     "created_date": pd.Timestamp("2026-06-01"), "probability": None,
...     "forecast_category": "commit"} for w, d, s, a in rows])
>>> f = forecast_methods(h, "2026-W41", min_cell_deals=1)
>>> f.set_index("method")["forecast"].round(1).to_dict()  # doctest: +NORMALIZE_WHITESPACE
{'stage_weighted': 150.0, 'evidence_weighted': nan, 'historical_conversion': 50.0,
 'conversion_with_inflow': 50.0, 'conversion_and_pace': 25.0, 'conversion_and_stages': 100.0,
 'calls_corrected': nan, 'weighted_pipeline': 150.0, 'naive_pace': 0.0}
>>> f.set_index("method").loc["evidence_weighted", "note"]
'not available: the export has no evidence columns (the exit criteria of the stage model)'
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pipereview.core._stages import EVIDENCE_FIELDS
from pipereview.core._vocabulary import FORECAST_METHOD_LABELS
from pipereview.core._weeks import Week
from pipereview.diagnostics._capabilities import teams_recording
from pipereview.diagnostics._evidenceforecast import evidence_weighted
from pipereview.diagnostics._forecast import as_week, weighted_pipeline, won_deals
from pipereview.diagnostics._trend_weeks import quarter_of
from pipereview.forecasting._forecastlearning import (
    LEARNED_COLUMNS,
    QuarterLearning,
    closed_quarters,
    learn_quarter,
)
from pipereview.forecasting._quarterweeks import quarter_weeks, week_of_quarter
from pipereview.history._prepared import PreparedHistory, as_prepared
from pipereview.ingest._schema import stage_facts

__all__ = ["BASELINES", "FORECAST_METHODS", "forecast_methods", "quarter_forecasts"]

#: The forecast methods, in the order a table lists them (labels in
#: :data:`pipereview.core.FORECAST_METHOD_LABELS`).
FORECAST_METHODS: tuple[str, ...] = tuple(FORECAST_METHOD_LABELS)
#: The methods every other one must beat to be worth recommending.
BASELINES: tuple[str, ...] = ("weighted_pipeline", "naive_pace")
#: The methods that learn from past quarters: not available without one.
_LEARNED = (
    "historical_conversion",
    "conversion_with_inflow",
    "conversion_and_pace",
    "conversion_and_stages",
    "calls_corrected",
)
#: The learned methods that read the conversion learned (all but the reps' calls).
_CONVERSION = tuple(m for m in _LEARNED if m != "calls_corrected")
#: Why the evidence-weighted method has no forecast for a team.
_NO_EVIDENCE = (
    "not available: the export has no evidence columns (the exit criteria of the stage model)"
)
_CELL = ["team", "stage_model", "stage"]  # as learned


def _week_snapshots(prep: PreparedHistory, weeks: Sequence[Week]) -> pd.DataFrame:
    """For each week of ``weeks``: each team's rows of its latest stored week up to it,
    stacked, with ``as_of`` (the week they stand for) and a per-week unique ``deal_id``
    (``_deal``) so that one week's deals never meet another's."""
    frame = prep.frame
    stored = frame[["team", "snapshot_week"]].drop_duplicates()
    parts = []
    for week in weeks:
        upto = stored[stored["snapshot_week"] <= str(week)]
        latest = upto.groupby("team", as_index=False)["snapshot_week"].max()
        parts.append(latest.assign(as_of=str(week)))
    pick = pd.concat(parts, ignore_index=True)
    rows = frame.merge(pick, on=["team", "snapshot_week"])
    return rows.assign(_deal=rows["deal_id"], deal_id=rows["deal_id"] + "@" + rows["as_of"])


def _rates(deals: pd.DataFrame, learning: QuarterLearning, least: int) -> np.ndarray:
    """Per open deal: the learned share won at its week of the quarter (the cell, else
    the stage's over all weeks, else the stage's configured probability)."""
    cell = learning.conversion[learning.conversion["deals"] >= least]
    stage = learning.stages[learning.stages["deals"] >= least].set_index(_CELL)
    cell = cell.set_index([*_CELL, "week_of_quarter"])
    index = pd.MultiIndex.from_frame(deals[[*_CELL, "week_of_quarter"]].astype({"stage": "str"}))
    by_cell = (cell["won"] / cell["amount"].where(cell["amount"] > 0)).reindex(index)
    by_stage = (stage["won"] / stage["amount"].where(stage["amount"] > 0)).reindex(
        index.droplevel("week_of_quarter")
    )
    rate = by_cell.to_numpy(dtype=float)
    rate = np.where(np.isnan(rate), by_stage.to_numpy(dtype=float), rate)
    configured = stage_facts(deals)["model_probability"].to_numpy(dtype=float)
    return np.where(np.isnan(rate), configured, rate)


def _calls_forecast(
    calls: pd.DataFrame, learning: QuarterLearning, week: Week, won: pd.DataFrame
) -> pd.Series:
    """Per team: the reps' latest calls for the quarter up to ``week``, each divided by
    the most specific ratio learned (:meth:`~pipereview.forecasting._forecastlearning.QuarterLearning.ratios_of`:
    the rep's at the call's week of the quarter, the rep's, the team's at that week, the
    team's), plus the won to date of reps who made no call; NaN for a team where a call
    has no ratio."""
    made = calls[
        (calls["level"] == "rep")
        & (calls["period"] == learning.quarter)
        & (calls["week"] <= str(week))
    ]
    latest = made.sort_values(["team", "rep", "week"]).drop_duplicates(["team", "rep"], keep="last")
    latest = latest.assign(
        week_of_quarter=[week_of_quarter(str(w)) for w in latest["week"]]
    ).astype({"week_of_quarter": "int64"})
    ratio = learning.ratios_of(latest)
    corrected = pd.Series(latest["commit"].to_numpy(dtype=float) / ratio, index=latest["team"])
    sums = corrected.groupby(level=0).sum()
    sums[corrected.isna().groupby(level=0).any()] = np.nan
    called = set(zip(latest["team"], latest["rep"], strict=True))
    silent = np.array(
        [(t, o) not in called for t, o in zip(won["team"], won["owner"], strict=True)], dtype=bool
    )
    rest = won[silent].groupby("team")["amount"].sum()
    return sums + rest.reindex(sums.index, fill_value=0.0)


def quarter_forecasts(
    history: pd.DataFrame | PreparedHistory,
    weeks: Sequence[Week | str],
    *,
    calls: pd.DataFrame | None = None,
    learning: QuarterLearning | None = None,
    min_cell_deals: int = 5,
) -> pd.DataFrame:
    """:func:`forecast_methods` at each of ``weeks`` (weeks of one quarter) at once: each
    week's forecasts use only the rows up to it. One row per week, team and method."""
    ordered = sorted(as_week(w) for w in weeks)
    quarter = quarter_of(ordered[0])
    prep = as_prepared(history).upto(ordered[-1])
    learning = learning or learn_quarter(prep, quarter, calls=calls)
    snaps = _week_snapshots(prep, ordered)
    deals = weighted_pipeline(snaps, period=quarter)
    deals["week_of_quarter"] = deals["as_of"].map(lambda w: week_of_quarter(w))
    evidence = evidence_weighted(snaps, period=quarter)
    key = ["as_of", "team"]
    # a team whose export records no exit criterion: nothing to weigh by the evidence
    checked = set().union(*(teams_recording(snaps, f) for f in EVIDENCE_FIELDS))
    grid = snaps[key].drop_duplicates().sort_values(key).set_index(key)
    won_parts, calls_parts = [], []
    slim = prep.with_columns(LEARNED_COLUMNS)
    for week in ordered:
        won = won_deals(slim, quarter, week)
        won_parts.append(won.groupby("team")["amount"].sum().rename(str(week)))
        if calls is not None and len(calls) and learning.quarters:
            calls_parts.append(_calls_forecast(calls, learning, week, won).rename(str(week)))
    won_sum = _stacked(won_parts, grid).fillna(0.0)
    sums = {
        "stage_weighted": deals.groupby(key)["weighted"].sum(),
        "evidence_weighted": evidence.groupby(key)["weighted_evidence"].sum(),
        "historical_conversion": (deals["amount"] * _rates(deals, learning, min_cell_deals))
        .groupby([deals[k] for k in key])
        .sum(),
        "weighted_pipeline": (deals["amount"] * stage_facts(deals)["model_probability"])
        .groupby([deals[k] for k in key])
        .sum(),
    }
    values = {m: won_sum + s.reindex(grid.index, fill_value=0.0) for m, s in sums.items()}
    teams = grid.index.get_level_values("team").astype("str")
    values["evidence_weighted"] = values["evidence_weighted"].where(teams.isin(checked))
    inflow, no_inflow = _inflow(learning, grid)
    values["conversion_with_inflow"] = values["historical_conversion"] * (1 + inflow)
    number = grid.index.get_level_values("as_of").map(week_of_quarter).to_numpy()
    values["naive_pace"] = won_sum * len(quarter_weeks(quarter)) / number
    values["conversion_and_pace"] = (values["historical_conversion"] + values["naive_pace"]) / 2
    values["conversion_and_stages"] = (
        values["historical_conversion"] + values["weighted_pipeline"]
    ) / 2
    values["calls_corrected"] = _stacked(calls_parts, grid)
    before = [q for q in closed_quarters(prep) if q < quarter]
    return _long(values, won_sum, learning, quarter, {"conversion_with_inflow": no_inflow}, before)


def _stacked(parts: list[pd.Series], grid: pd.DataFrame) -> pd.Series:
    """Per-week series (named by week, indexed by team) as one series on ``grid``."""
    if not parts:
        return pd.Series(np.nan, index=grid.index)
    both = pd.concat(parts, axis=1).rename_axis(index="team", columns="as_of").stack()
    return pd.Series(both.swaplevel().reindex(grid.index))


def _inflow(learning: QuarterLearning, grid: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Per week and team: the learned inflow share at the nearest stored week of the
    quarter up to it (NaN when none was learned), and why none was (blank when one was)."""
    table = learning.inflow.sort_values("week_of_quarter")
    shares, why = [], []
    weeks, teams = grid.index.get_level_values("as_of"), grid.index.get_level_values("team")
    for week, team in zip(weeks, teams, strict=True):
        number = week_of_quarter(week)
        mine = table[(table["team"] == team) & (table["week_of_quarter"] <= number)]
        share = float(mine["share"].iloc[-1]) if len(mine) else np.nan
        shares.append(share)
        if not len(mine):
            why.append(
                "not available: no closed quarter before this one has a week stored at or "
                f"before week {number} of the quarter"
            )
        else:
            why.append(
                ""
                if not np.isnan(share)
                else "not available: the closed quarters before "
                "this one won nothing to learn the inflow from"
            )
    return pd.Series(shares, index=grid.index, dtype=float), pd.Series(why, index=grid.index)


def _long(
    values: dict[str, pd.Series],
    won: pd.Series,
    learning: QuarterLearning,
    quarter: str,
    why: dict[str, pd.Series],
    before: list[str],
) -> pd.DataFrame:
    """The methods' series as one long frame, with why a forecast is missing (``why``:
    a method's own reason per row, where it has one once the quarters were learned;
    ``before``: the closed quarters of the history before this one)."""
    unlearned = (
        "not available: no closed quarter before this one in the history"
        if not before
        else f"not available: no deal was due in the {len(before)} closed quarters before "
        "this one (close dates blank or outside them)"
    )
    notes = {
        "evidence_weighted": _NO_EVIDENCE,
        "historical_conversion": unlearned,
        "conversion_with_inflow": unlearned,
        "conversion_and_pace": unlearned,
        "conversion_and_stages": unlearned,
        "calls_corrected": (
            "not available: no forecast calls stored"
            if not learning.calls
            else "not available: no closed quarter with calls to measure the reps' bias"
        ),
    }
    teams = won.index.get_level_values("team")
    learned = teams.isin(learning.teams)
    # a team whose record of outcomes starts after the closed quarters before this one
    unrecorded = np.where(
        teams.isin(learning.unrecorded),
        f"not available: no deal of the team was won or lost in the {len(before)} closed "
        "quarters before this one",
        unlearned,
    )
    parts = []
    for method in FORECAST_METHODS:
        series = values[method]
        if method in _LEARNED:
            series = series.where(learned)
        frame = series.rename("forecast").reset_index()
        frame["method"] = method
        frame["won_to_date"] = won.to_numpy()
        own = method in why and bool(learning.quarters)
        note = why[method].to_numpy(dtype=object) if own else notes.get(method, "")
        if method in _CONVERSION:
            note = np.where(learned, note, unrecorded)
        frame["note"] = np.where(frame["forecast"].isna(), note, "")
        parts.append(frame)
    out = pd.concat(parts, ignore_index=True).rename(columns={"as_of": "week"})
    out["quarter"] = quarter
    out["week_of_quarter"] = out["week"].map(week_of_quarter).astype("int64")
    columns = ["team", "quarter", "week_of_quarter", "week", "method", "forecast"]
    return out[[*columns, "won_to_date", "note"]]


def forecast_methods(
    history: pd.DataFrame | PreparedHistory,
    as_of: Week | str,
    *,
    calls: pd.DataFrame | None = None,
    learning: QuarterLearning | None = None,
    min_cell_deals: int = 5,
) -> pd.DataFrame:
    """Every method of :data:`FORECAST_METHODS` for the as-of week's quarter, per team
    seen up to the as-of week: ``team``, ``quarter``, ``week_of_quarter``, ``week``,
    ``method``, ``forecast`` (NaN when not available), ``won_to_date`` and ``note``.
    ``learning``: :func:`~pipereview.forecasting._forecastlearning.learn_quarter` of the
    quarter (learned here when None); ``calls`` in the canonical forecast-calls shape
    (docs/forecast.md); ``min_cell_deals`` as in
    :class:`~pipereview.forecasting._backtest.BacktestSettings`."""
    return quarter_forecasts(
        history, [as_week(as_of)], calls=calls, learning=learning, min_cell_deals=min_cell_deals
    )
