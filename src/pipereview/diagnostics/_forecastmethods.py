"""Several ways of forecasting a quarter's final won amount per team, as of a week, so
that a backtest (:mod:`pipereview.diagnostics._backtest`) can say which to trust.

Each method sees only the history up to the as-of week; what a method learns from past
quarters (:func:`learn_quarter`) it learns from the history before the quarter starts.

- ``stage_weighted``: won to date + the open deals due in the quarter, each at the
  probability the review's expected uses (the export's, else its stage's);
- ``evidence_weighted``: the same with each inflated deal weighted at the stage its
  evidence supports (:mod:`pipereview.diagnostics._evidenceforecast`);
- ``historical_conversion``: won to date + each open deal due in the quarter times the
  share of amount that, in past quarters at the same week of the quarter and the same
  stage, was won by the quarter's end (won amount / amount then); a cell of fewer than
  ``min_cell_deals`` deals uses the stage's share over all weeks, a stage with fewer
  uses its configured probability;
- ``conversion_with_inflow``: historical conversion + the **inflow**: the won amount
  past quarters got, after week N, from deals not counted at week N (created later, or
  pulled into the quarter later), averaged over those quarters. Only this method takes
  the inflow: the others forecast the pipeline as it stands;
- ``calls_corrected``: each rep's latest call for the quarter divided by the rep's
  historical call / won ratio (the team's when the rep has none); reps with no call
  count their won to date;
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
{'stage_weighted': 150.0, 'evidence_weighted': 150.0, 'historical_conversion': 50.0,
 'conversion_with_inflow': 50.0, 'calls_corrected': nan, 'weighted_pipeline': 150.0,
 'naive_pace': 0.0}
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipereview.core._vocabulary import FORECAST_METHOD_LABELS
from pipereview.core._weeks import Week
from pipereview.diagnostics._evidenceforecast import evidence_weighted
from pipereview.diagnostics._forecast import as_week, weighted_pipeline, won_deals
from pipereview.diagnostics._quarterweeks import quarter_of, quarter_weeks, week_of_quarter
from pipereview.diagnostics._waterfall import period_bounds
from pipereview.history._prepared import PreparedHistory, as_prepared
from pipereview.ingest._schema import stage_facts

__all__ = [
    "BASELINES",
    "FORECAST_METHODS",
    "QuarterLearning",
    "forecast_methods",
    "learn_quarter",
]

#: The forecast methods, in the order a table lists them (labels in
#: :data:`pipereview.core.FORECAST_METHOD_LABELS`).
FORECAST_METHODS: tuple[str, ...] = tuple(FORECAST_METHOD_LABELS)
#: The methods every other one must beat to be worth recommending.
BASELINES: tuple[str, ...] = ("weighted_pipeline", "naive_pace")
_CELL = ["team", "stage_model", "stage"]
_FINAL = ["deal_key", "quarter", "amount", "team", "owner"]


@dataclass(frozen=True)
class QuarterLearning:
    """What :func:`learn_quarter` learned from the quarters before ``quarter``:
    ``conversion`` (per team, stage model, stage and ``week_of_quarter``: ``deals``,
    ``amount``, ``won``), ``stages`` (the same over all weeks), ``inflow`` (per team and
    week of quarter: the average won from deals not counted at that week, ``quarters``
    it averages), ``ratios`` (per team and rep: calls / won; ``rep`` blank for the
    team's), ``quarters`` (the closed quarters learned from) and ``calls`` (whether any
    calls were given)."""

    quarter: str
    conversion: pd.DataFrame
    stages: pd.DataFrame
    inflow: pd.DataFrame
    ratios: pd.DataFrame
    quarters: tuple[str, ...]
    calls: bool


def _snapshot(history: PreparedHistory) -> pd.DataFrame:
    return history.frame[history.latest_mask()] if len(history) else history.frame


def _due_rows(prep: PreparedHistory) -> pd.DataFrame:
    """Every open or won row due in the quarter of its own week, with ``quarter``,
    ``week_of_quarter`` and ``is_open``."""
    frame = prep.frame.assign(deal_key=prep.deal_key.to_numpy(), is_open=prep.is_open)
    frame = frame[prep.is_open | prep.is_won]
    weeks = frame["snapshot_week"].astype("str")
    names = weeks.unique()
    quarter = dict(zip(names, [quarter_of(w) for w in names], strict=True))
    number = dict(zip(names, [week_of_quarter(w) for w in names], strict=True))
    frame = frame.assign(quarter=weeks.map(quarter), week_of_quarter=weeks.map(number))
    bounds = {q: period_bounds(q) for q in frame["quarter"].unique()}
    first = frame["quarter"].map(lambda q: bounds[q][0])
    last = frame["quarter"].map(lambda q: bounds[q][1])
    return frame[(frame["close_date"] >= first) & (frame["close_date"] <= last)]


def learn_quarter(
    history: pd.DataFrame | PreparedHistory,
    quarter: str,
    *,
    calls: pd.DataFrame | None = None,
) -> QuarterLearning:
    """Conversion by stage and week of quarter, inflow and the reps' call ratios, learned
    from the history before ``quarter``'s first week (its closed quarters only).

    >>> h = pd.DataFrame({"snapshot_week": ["2026-W27", "2026-W39"], "team": "N",
    ...     "deal_id": "A", "owner": "Ann", "stage": ["negotiation", "won"],
    ...     "stage_model": "generic_4", "amount": 100.0, "currency": "USD",
    ...     "close_date": pd.Timestamp("2026-09-20"), "probability": None})
    >>> learning = learn_quarter(h, "2026-Q4")
    >>> learning.quarters, learning.conversion[["stage", "week_of_quarter", "won"]].values.tolist()
    (('2026-Q3',), [['negotiation', 1, 100.0]])
    """
    start = quarter_weeks(quarter)[0]
    prep = as_prepared(history).upto(start - 1)
    due = _due_rows(prep)
    closed = sorted(q for q in due["quarter"].unique() if quarter_weeks(q)[-1] < start)
    due = due[due["quarter"].isin(closed)]
    cut = start - 1
    final = won_deals(prep, None, cut) if len(prep) else pd.DataFrame()
    if len(final):
        final = final.assign(
            quarter=[quarter_of(Week.of(d.date())) for d in final["close_date"]]
        )
        final = final[final["quarter"].isin(closed)][_FINAL]
    else:
        final = pd.DataFrame(columns=_FINAL)
    won_amount = final.set_index(["deal_key", "quarter"])["amount"].rename("final")
    open_due = due[due["is_open"]].join(won_amount, on=["deal_key", "quarter"])
    open_due = open_due.assign(won=open_due["final"].fillna(0.0))
    keys = [*_CELL, "week_of_quarter"]
    conversion = open_due.groupby(keys, as_index=False).agg(
        deals=("amount", "size"), amount=("amount", "sum"), won=("won", "sum")
    )
    stages = open_due.groupby(_CELL, as_index=False).agg(
        deals=("amount", "size"), amount=("amount", "sum"), won=("won", "sum")
    )
    return QuarterLearning(
        quarter=quarter,
        conversion=conversion,
        stages=stages,
        inflow=_inflow(due, final, closed),
        ratios=_call_ratios(calls, final, closed),
        quarters=tuple(closed),
        calls=calls is not None and len(calls) > 0,
    )


def _inflow(due: pd.DataFrame, final: pd.DataFrame, closed: list[str]) -> pd.DataFrame:
    """Per team and week of quarter (the weeks stored): the average over ``closed``
    quarters of the won amount from deals neither open and due in the quarter nor won
    at that week."""
    parts = []
    for quarter in closed:
        seen = due[due["quarter"] == quarter][["deal_key", "week_of_quarter"]]
        weeks = np.sort(seen["week_of_quarter"].unique())  # the weeks stored
        won = final[final["quarter"] == quarter]
        grid = won.merge(pd.DataFrame({"week_of_quarter": weeks}), how="cross")
        grid = grid.merge(seen.drop_duplicates().assign(seen=True), how="left")
        grid = grid[grid["seen"].isna()]
        teams = due[due["quarter"] == quarter]["team"].unique()
        frame = pd.MultiIndex.from_product(
            [teams, weeks], names=["team", "week_of_quarter"]
        ).to_frame(index=False)
        sums = grid.groupby(["team", "week_of_quarter"])["amount"].sum().rename("inflow")
        parts.append(frame.join(sums, on=["team", "week_of_quarter"]).fillna({"inflow": 0.0}))
    if not parts:
        return pd.DataFrame({"team": [], "week_of_quarter": [], "inflow": [], "quarters": []})
    both = pd.concat(parts, ignore_index=True)
    return both.groupby(["team", "week_of_quarter"], as_index=False).agg(
        inflow=("inflow", "mean"), quarters=("inflow", "size")
    )


def _call_ratios(
    calls: pd.DataFrame | None, final: pd.DataFrame, closed: list[str]
) -> pd.DataFrame:
    """Per team and rep (and per team, ``rep`` blank): the sum of the rep's calls for
    closed quarters over the sum of the rep's final won of each call's quarter."""
    empty = pd.DataFrame({"team": [], "rep": [], "ratio": []})
    if calls is None or not len(calls) or not len(final):
        return empty
    reps = calls[(calls["level"] == "rep") & calls["period"].isin(closed)]
    if not len(reps):
        return empty
    won = final.groupby(["team", "quarter", "owner"])["amount"].sum()
    pairs = reps.join(won.rename("won"), on=["team", "period", "rep"]).fillna({"won": 0.0})
    by_rep = pairs.groupby(["team", "rep"], as_index=False)[["commit", "won"]].sum()
    by_team = pairs.groupby("team", as_index=False)[["commit", "won"]].sum().assign(rep="")
    out = pd.concat([by_rep, by_team], ignore_index=True)
    out["ratio"] = out["commit"] / out["won"].where(out["won"] > 0)
    return out[["team", "rep", "ratio"]].dropna()


def _rates(deals: pd.DataFrame, learning: QuarterLearning, n: int, least: int) -> np.ndarray:
    """Per open deal: the learned share won (cell, else stage, else its configured
    probability)."""
    cell = learning.conversion[learning.conversion["week_of_quarter"] == n]
    cell = cell[cell["deals"] >= least].set_index(_CELL)
    stage = learning.stages[learning.stages["deals"] >= least].set_index(_CELL)
    index = pd.MultiIndex.from_frame(deals[_CELL].astype("str"))
    by_cell = (cell["won"] / cell["amount"].where(cell["amount"] > 0)).reindex(index)
    by_stage = (stage["won"] / stage["amount"].where(stage["amount"] > 0)).reindex(index)
    configured = stage_facts(deals)["model_probability"].to_numpy(dtype=float)
    rate = by_cell.fillna(by_stage).to_numpy(dtype=float)
    return np.where(np.isnan(rate), configured, rate)


def _calls_forecast(
    calls: pd.DataFrame, learning: QuarterLearning, quarter: str, as_of: Week,
    won: pd.DataFrame,
) -> pd.Series:
    """Per team: the reps' latest calls for ``quarter`` up to ``as_of``, each divided by
    the rep's ratio (the team's when the rep has none), plus the won to date of reps who
    made no call; NaN for a team with no ratio."""
    made = calls[
        (calls["level"] == "rep") & (calls["period"] == quarter) & (calls["week"] <= str(as_of))
    ]
    latest = made.sort_values(["team", "rep", "week"]).drop_duplicates(["team", "rep"], keep="last")
    ratios = learning.ratios.set_index(["team", "rep"])["ratio"]
    team = learning.ratios[learning.ratios["rep"] == ""].set_index("team")["ratio"]
    own = ratios.reindex(pd.MultiIndex.from_frame(latest[["team", "rep"]])).to_numpy()
    ratio = np.where(np.isnan(own), latest["team"].map(team).to_numpy(dtype=float), own)
    corrected = pd.Series(latest["commit"].to_numpy() / ratio, index=latest["team"].to_numpy())
    sums = corrected.groupby(level=0).sum(min_count=1)
    sums[corrected.isna().groupby(level=0).any()] = np.nan  # one rep with no ratio at all
    called = set(zip(latest["team"], latest["rep"], strict=True))
    silent = won[[(t, o) not in called for t, o in zip(won["team"], won["owner"], strict=True)]]
    return sums.add(silent.groupby("team")["amount"].sum(), fill_value=0.0).where(
        sums.reindex(sums.index.union(silent["team"].unique())).notna()
    )


def forecast_methods(
    history: pd.DataFrame | PreparedHistory,
    as_of: Week | str,
    *,
    calls: pd.DataFrame | None = None,
    learning: QuarterLearning | None = None,
    min_cell_deals: int = 5,
) -> pd.DataFrame:
    """Every method of :data:`FORECAST_METHODS` for the as-of week's quarter, per team
    seen at the as-of week: ``team``, ``quarter``, ``week_of_quarter``, ``method``,
    ``forecast`` (NaN when not available), ``won_to_date`` and ``note``. ``learning``:
    :func:`learn_quarter` of the quarter (learned here when None); ``calls`` in the
    canonical forecast-calls shape (docs/forecast.md)."""
    as_of = as_week(as_of)
    quarter, n = quarter_of(as_of), week_of_quarter(as_of)
    prep = as_prepared(history).upto(as_of)
    learning = learning or learn_quarter(prep, quarter, calls=calls)
    snap = _snapshot(prep)
    deals = weighted_pipeline(snap, period=quarter)
    evidence = evidence_weighted(snap, period=quarter)
    won = won_deals(prep, quarter, as_of)
    teams = pd.Index(sorted(snap["team"].unique()), name="team")
    won_sum = won.groupby("team")["amount"].sum().reindex(teams, fill_value=0.0)
    configured = deals["amount"] * stage_facts(deals)["model_probability"]
    conversion = deals["amount"] * _rates(deals, learning, n, min_cell_deals)
    inflow = learning.inflow[learning.inflow["week_of_quarter"] <= n]  # the nearest stored
    inflow = inflow.sort_values("week_of_quarter").drop_duplicates("team", keep="last")
    per_team = {
        "stage_weighted": deals.groupby("team")["weighted"].sum(),
        "evidence_weighted": evidence.groupby("team")["weighted_evidence"].sum(),
        "historical_conversion": conversion.groupby(deals["team"]).sum(),
        "weighted_pipeline": configured.groupby(deals["team"]).sum(),
    }
    values = {m: won_sum + s.reindex(teams, fill_value=0.0) for m, s in per_team.items()}
    values["conversion_with_inflow"] = values["historical_conversion"] + inflow.set_index(
        "team"
    )["inflow"].reindex(teams)
    values["naive_pace"] = won_sum * len(quarter_weeks(quarter)) / n
    values["calls_corrected"] = (
        _calls_forecast(calls, learning, quarter, as_of, won).reindex(teams)
        if calls is not None and len(calls)
        else pd.Series(np.nan, index=teams)
    )
    notes = _notes(learning, inflow, teams)
    rows = [
        pd.DataFrame({"team": teams, "method": m, "forecast": values[m].to_numpy(dtype=float),
                      "won_to_date": won_sum.to_numpy(), "note": notes.get(m, "")})
        for m in FORECAST_METHODS
    ]
    out = pd.concat(rows, ignore_index=True)
    out["note"] = out["note"].where(out["forecast"].isna(), "")
    out.insert(1, "quarter", quarter)
    out.insert(2, "week_of_quarter", n)
    return out


def _notes(learning: QuarterLearning, inflow: pd.DataFrame, teams: pd.Index) -> dict[str, str]:
    """Why a method has no forecast, for the methods that can lack one."""
    history = "not available: no closed quarter before this one in the history"
    calls = (
        "not available: no forecast calls stored"
        if not learning.calls
        else "not available: no closed quarter with calls to measure the reps' bias"
    )
    return {"conversion_with_inflow": history, "calls_corrected": calls}
