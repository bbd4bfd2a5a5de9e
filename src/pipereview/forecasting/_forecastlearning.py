"""What the forecast methods (:mod:`pipereview.forecasting._forecastmethods`) learn from
the quarters before the one they forecast, from the history before its first week only:
the share won by stage and week of the quarter, the inflow of pipeline not yet counted,
and each rep's call / won ratio.

>>> h = pd.DataFrame({"snapshot_week": ["2026-W27", "2026-W39"], "team": "N",
...     "deal_id": "A", "owner": "Ann", "stage": ["negotiation", "won"],
...     "stage_model": "generic_4", "amount": 100.0, "currency": "USD",
...     "close_date": pd.Timestamp("2026-09-20"), "probability": None})
>>> learn_quarter(h, "2026-Q4").inflow.values.tolist()
[['N', 1, 0.0, 0.0, 1], ['N', 13, 0.0, 0.0, 1]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipereview.diagnostics._forecast import won_deals
from pipereview.diagnostics._trend_weeks import quarter_of
from pipereview.diagnostics._waterfall import period_bounds
from pipereview.forecasting._quarterweeks import quarter_weeks, week_of_quarter
from pipereview.history._prepared import PreparedHistory, as_prepared

__all__ = [
    "LEARNED_COLUMNS",
    "QuarterLearning",
    "closed_quarters",
    "learn_quarter",
    "record_starts",
]

#: The columns of the history learning reads.
LEARNED_COLUMNS: tuple[str, ...] = (
    "snapshot_week",
    "team",
    "deal_id",
    "owner",
    "stage",
    "stage_model",
    "amount",
    "currency",
    "close_date",
)
_CELL = ["team", "stage_model", "stage"]  # a share won is kept per these
_FINAL = ["deal_key", "quarter", "amount", "team", "owner"]


@dataclass(frozen=True)
class QuarterLearning:
    """What :func:`learn_quarter` learned from the quarters before ``quarter``:
    ``conversion`` (per team, stage model, stage and ``week_of_quarter``: ``deals``,
    ``amount``, ``won``), ``stages`` (the same over all weeks), ``inflow`` (per team and
    week of quarter: ``inflow``, the average won from deals not counted at that week;
    ``share``, their won over the won from the deals counted then, summed over the
    ``quarters`` learned from), ``ratios`` (per team and rep: calls / won; ``rep`` blank for the
    team's), ``quarters`` (the closed quarters learned from), ``calls`` (whether any
    calls were given), ``teams`` (the teams that learned from at least one of them) and
    ``unrecorded`` (the teams with deals due in those quarters but none won or lost up to
    the quarter: nothing learned, see :func:`record_starts`)."""

    quarter: str
    conversion: pd.DataFrame
    stages: pd.DataFrame
    inflow: pd.DataFrame
    ratios: pd.DataFrame
    quarters: tuple[str, ...]
    calls: bool
    teams: tuple[str, ...]
    unrecorded: tuple[str, ...]

    def ratios_of(self, calls: pd.DataFrame) -> np.ndarray:
        """Per row of ``calls`` (``team``, ``rep``, ``week_of_quarter``): the most
        specific call / won ratio learned: the rep's at that week of the quarter, the
        rep's, the team's at that week, the team's (NaN when none).

        >>> empty = pd.DataFrame({"team": ["N"], "rep": ["Ann"], "week_of_quarter": [3]})
        >>> learn_quarter(pd.DataFrame({"snapshot_week": ["2026-W27"], "team": "N",
        ...     "deal_id": "A", "owner": "Ann", "stage": "won", "stage_model": "generic_4",
        ...     "amount": 1.0, "currency": "USD", "close_date": pd.Timestamp("2026-07-01")}),
        ...     "2026-Q4").ratios_of(empty).tolist()
        [nan]
        """
        ratio = np.full(len(calls), np.nan)
        for keys in _RATIO_LEVELS:
            table = self.ratios[(self.ratios["rep"] != "") == ("rep" in keys)]
            table = table[(table["week_of_quarter"] != 0) == ("week_of_quarter" in keys)]
            found = calls[list(keys)].merge(table, on=list(keys), how="left")["ratio"]
            ratio = np.where(np.isnan(ratio), found.to_numpy(dtype=float), ratio)
        return ratio


def closed_quarters(history: pd.DataFrame | PreparedHistory) -> list[str]:
    """The quarters with a stored week whose last week is stored or past: those the
    backtest can judge (all but the first, which the methods that learn have nothing
    before to learn from).

    >>> closed_quarters(pd.DataFrame({"snapshot_week": ["2026-W13", "2026-W14", "2026-W27"],
    ...     "team": "N", "deal_id": "A", "owner": "Ann", "stage": "won",
    ...     "stage_model": "generic_4", "amount": 1.0, "currency": "USD",
    ...     "close_date": pd.Timestamp("2026-03-01")}))
    ['2026-Q1', '2026-Q2']
    """
    prep = as_prepared(history)
    if not prep.weeks:
        return []
    last = prep.weeks[-1]
    quarters = sorted({quarter_of(w) for w in prep.weeks})
    return [q for q in quarters if str(quarter_weeks(q)[-1]) <= last]


def record_starts(history: pd.DataFrame | PreparedHistory) -> dict[str, str]:
    """Per team, the quarter its record of outcomes starts: the quarter of the earliest
    close date of a deal stored as won or lost. A team's quarters before it record no
    outcome at all (the CRM's first weeks, before closed deals were kept in it, or a
    team not yet selling): a share won learned from them would say that nothing is ever
    won, so the methods neither learn from them nor are judged on the quarter after. A
    quarter after the start that won nothing stays: that is the team's record.

    >>> record_starts(pd.DataFrame({"snapshot_week": ["2026-W27", "2026-W40"], "team": "N",
    ...     "deal_id": ["A", "B"], "owner": "Ann", "stage": ["negotiation", "lost"],
    ...     "stage_model": "generic_4", "amount": 1.0, "currency": "USD",
    ...     "close_date": pd.Timestamp("2026-10-09")}))
    {'N': '2026-Q4'}
    """
    prep = as_prepared(history)
    ended = ~prep.is_open
    rows = prep.frame.loc[ended, ["team", "close_date"]].dropna(subset=["close_date"])
    if not len(rows):
        return {}
    close = rows["close_date"].dt
    quarter = close.year.astype("str") + "-Q" + close.quarter.astype("str")
    return {str(t): str(q) for t, q in quarter.groupby(rows["team"].to_numpy()).min().items()}


def _recorded(frame: pd.DataFrame, starts: dict[str, str], quarter: str = "quarter") -> pd.Series:
    """Whether each row's ``quarter`` is at or after its team's record start."""
    start = frame["team"].map(starts).astype(object)
    # "~" sorts after every quarter: a team with no outcome has no quarter recorded
    return pd.Series(frame[quarter].astype(object) >= start.where(start.notna(), "~"))


def _due_rows(prep: PreparedHistory) -> pd.DataFrame:
    """Every open or won row due in the quarter of its own week, with ``quarter``,
    ``week_of_quarter`` and ``is_open``."""
    keep = prep.is_open | prep.is_won
    frame = prep.frame[keep].assign(
        deal_key=prep.deal_key.to_numpy()[keep], is_open=prep.is_open[keep]
    )
    names = np.asarray((*prep.weeks, ""), dtype=object)  # code -1: a missing week
    week = prep.week[keep]
    quarters = [quarter_of(w) if w else "" for w in names]
    nat = np.datetime64("NaT", "ns")
    bounds = [period_bounds(q) if q else None for q in quarters]
    first = np.array([b[0].to_datetime64() if b else nat for b in bounds], dtype="M8[ns]")
    last = np.array([b[1].to_datetime64() if b else nat for b in bounds], dtype="M8[ns]")
    number = np.array([week_of_quarter(w) if w else 0 for w in names])
    frame = frame.assign(
        quarter=np.asarray(quarters, dtype=object)[week], week_of_quarter=number[week]
    )
    close = frame["close_date"].to_numpy(dtype="M8[ns]")
    due: pd.DataFrame = frame[(close >= first[week]) & (close <= last[week])]
    return due


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
    prep = as_prepared(history).with_columns(LEARNED_COLUMNS).upto(start - 1)
    due = _due_rows(prep)
    ended = [q for q in due["quarter"].unique() if quarter_weeks(q)[-1] < start]
    before = due[due["quarter"].isin(ended)]
    starts = record_starts(prep) if len(prep) else {}
    due = before[_recorded(before, starts)]
    closed = sorted(due["quarter"].unique())
    cut = start - 1
    final = won_deals(prep, None, cut) if len(prep) else pd.DataFrame()
    if len(final):
        close = final["close_date"].dt
        final = final.assign(quarter=close.year.astype("str") + "-Q" + close.quarter.astype("str"))
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
        ratios=_call_ratios(calls, final, closed, starts),
        quarters=tuple(closed),
        calls=calls is not None and len(calls) > 0,
        teams=tuple(sorted(due["team"].unique())),
        unrecorded=tuple(sorted(set(before["team"]) - set(due["team"]))),
    )


def _inflow(due: pd.DataFrame, final: pd.DataFrame, closed: list[str]) -> pd.DataFrame:
    """Per team and week of quarter (the weeks stored): the average over ``closed``
    quarters of the won amount from deals neither open and due in the quarter at that
    week nor won by it (a won deal that has left the export since still counts as won)."""
    parts = []
    for quarter in closed:
        rows = due[due["quarter"] == quarter]
        weeks = np.sort(rows["week_of_quarter"].unique())  # the weeks stored
        seen = rows.loc[rows["is_open"], ["deal_key", "week_of_quarter"]].drop_duplicates()
        won_at = rows[~rows["is_open"]].groupby("deal_key")["week_of_quarter"].min()
        won = final[final["quarter"] == quarter]
        grid = won.merge(pd.DataFrame({"week_of_quarter": weeks}), how="cross")
        grid = grid.merge(seen.assign(seen=True), how="left")
        won_by = grid["deal_key"].map(won_at).astype("float64") <= grid["week_of_quarter"]
        grid = grid[grid["seen"].isna() & ~won_by]
        teams = rows["team"].unique()
        frame = pd.MultiIndex.from_product(
            [teams, weeks], names=["team", "week_of_quarter"]
        ).to_frame(index=False)
        sums = grid.groupby(["team", "week_of_quarter"])["amount"].sum().rename("inflow")
        frame = frame.join(sums, on=["team", "week_of_quarter"]).fillna({"inflow": 0.0})
        total = won.groupby("team")["amount"].sum()
        frame["visible"] = frame["team"].map(total).fillna(0.0) - frame["inflow"]
        parts.append(frame)
    if not parts:
        return pd.DataFrame(
            {"team": [], "week_of_quarter": [], "inflow": [], "share": [], "quarters": []}
        )
    both = pd.concat(parts, ignore_index=True)
    out = both.groupby(["team", "week_of_quarter"], as_index=False).agg(
        inflow=("inflow", "mean"),
        share=("inflow", "sum"),
        visible=("visible", "sum"),
        quarters=("inflow", "size"),
    )
    out["share"] = out["share"] / out["visible"].where(out["visible"] > 0)
    return out.drop(columns="visible")


#: The keys a rep's call ratio is looked up by, most specific first (``rep`` blank: the
#: team's; ``week_of_quarter`` 0: every week).
_RATIO_LEVELS: tuple[tuple[str, ...], ...] = (
    ("team", "rep", "week_of_quarter"),
    ("team", "rep"),
    ("team", "week_of_quarter"),
    ("team",),
)


def _call_ratios(
    calls: pd.DataFrame | None, final: pd.DataFrame, closed: list[str], starts: dict[str, str]
) -> pd.DataFrame:
    """The calls for closed quarters over the won they called, per level of
    the levels of :meth:`QuarterLearning.ratios_of`: ``team``, ``rep`` (blank: the team's), ``week_of_quarter`` (the
    calls made at that week of the quarter; 0: every week) and ``ratio`` (the calls'
    sum over the sum of the caller's final won of each call's quarter; the quarters from
    the team's record start only, as :func:`record_starts` says)."""
    empty = pd.DataFrame(
        {
            "team": pd.Series(dtype="str"),
            "rep": pd.Series(dtype="str"),
            "week_of_quarter": pd.Series(dtype="int64"),
            "ratio": pd.Series(dtype="float64"),
        }
    )
    if calls is None or not len(calls) or not len(final):
        return empty
    reps = calls[(calls["level"] == "rep") & calls["period"].isin(closed)]
    reps = reps[_recorded(reps, starts, "period")]  # a call of a quarter without outcome
    if not len(reps):
        return empty
    won = final.groupby(["team", "quarter", "owner"])["amount"].sum()
    pairs = reps.join(won.rename("won"), on=["team", "period", "rep"]).fillna({"won": 0.0})
    pairs = pairs.assign(week_of_quarter=[week_of_quarter(str(w)) for w in pairs["week"]])
    pairs = pairs.astype({"week_of_quarter": "int64"})
    parts = []
    for keys in _RATIO_LEVELS:
        sums = pairs.groupby(list(keys), as_index=False)[["commit", "won"]].sum()
        parts.append(
            sums.assign(**{k: v for k, v in (("rep", ""), ("week_of_quarter", 0)) if k not in keys})
        )
    out = pd.concat(parts, ignore_index=True)
    out["ratio"] = out["commit"] / out["won"].where(out["won"] > 0)
    out = out[out["ratio"] > 0]  # nothing called: no ratio to correct a call with
    return out[["team", "rep", "week_of_quarter", "ratio"]].reset_index(drop=True)
