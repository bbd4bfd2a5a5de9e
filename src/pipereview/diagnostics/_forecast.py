"""The forecast of a period: weighted pipeline, won to date, expected, gap, coverage
(how well each stage's configured probability matches history is
:mod:`pipereview.diagnostics._calibration`'s).

Every function takes an explicit as-of week and a stack of weekly snapshots
(:meth:`pipereview.SnapshotStore.history`); rows of later weeks are ignored, so results
never depend on the day they are computed. Inputs are never modified.

Rules (details in ``docs/forecast.md``):

- **weight** of an open deal: its snapshot ``probability`` when given, else its stage's
  probability in the team's stage model (``probability_source`` says which);
- **a deal** across weeks is its ``deal_key`` (:func:`pipereview.history._trail.deal_key`: the
  stable key of :func:`~pipereview.history._trail.with_deal_keys` when the history carries it,
  else the ID); a won deal is counted once, as its latest row up to the as-of week says;
- **won to date**: deals whose latest row is the won stage, close date in the period and
  not after the as-of week's Sunday;
- **expected** = won to date + weighted open pipeline due in the period;
  **gap** = target - expected; **coverage** = open pipeline due in the period /
  remaining target (target - won, when positive); **coverage needed** = 1 / win rate,
  the win rate being won / (won + lost) of deals closed in a trailing window (0 wins of
  12 closed is 0%: coverage needed is infinite, no coverage is enough);
- **outlook**: the one answer to "will we hit target?" (:func:`pipereview.diagnostics._figures.outlook`),
  which every section words its verdict from.

>>> day = pd.Timestamp("2026-11-30")
>>> snap = pd.DataFrame({"snapshot_week": "2026-W47", "team": "North", "deal_id": ["A", "B"],
...     "deal_name": ["MES", "ERP"], "account": ["Acme", "Beta"], "owner": "Ann",
...     "stage": ["negotiation", "solution_quote"], "stage_model": "generic_4",
...     "amount": [100.0, 200.0], "currency": "USD", "close_date": [day, day],
...     "probability": [0.5, None], "forecast_category": ["commit", "pipeline"]})
>>> weighted_pipeline(snap)[["deal_id", "probability_used", "probability_source", "weighted"]]
  deal_id  probability_used probability_source  weighted
0       A               0.5           snapshot      50.0
1       B               0.5        stage_model     100.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipereview.core._errors import ConfigError
from pipereview.core._weeks import Week
from pipereview.diagnostics._capabilities import teams_recording
from pipereview.diagnostics._figures import coverage_needed, outlook
from pipereview.diagnostics._grouping import Level, group_columns_of, level_keys
from pipereview.diagnostics._waterfall import period_bounds
from pipereview.history._prepared import PreparedHistory, as_prepared
from pipereview.history._trail import deal_key  # noqa: F401 (imported from here by callers)
from pipereview.ingest._schema import stage_facts

__all__ = [
    "OPEN_CATEGORIES",
    "ForecastSettings",
    "as_week",
    "category_rollup",
    "period_forecast",
    "weighted_pipeline",
    "win_rates",
    "won_deals",
]

#: Forecast categories an open deal may carry, in the order a manager reads them.
OPEN_CATEGORIES: tuple[str, ...] = ("commit", "best_case", "pipeline", "omitted")


@dataclass(frozen=True)
class ForecastSettings:
    """Thresholds of the forecast; the defaults suit a weekly review.

    ``win_rate_weeks`` (13, one quarter): the trailing window, ending with the as-of week,
    whose closed deals give the win rate. ``min_closed_deals`` (5): fewer closed deals in
    the window give no win rate (and no coverage needed). ``min_calibration_deals`` (10):
    fewer counted deals of a stage that ended give no calibration verdict.
    ``calibration_tolerance`` (0.10): a stage is ``calibrated`` when the whole range its
    win rate can still take lies within this distance of the configured probability,
    ``optimistic`` / ``pessimistic`` when the whole range lies beyond it.
    """

    win_rate_weeks: int = 13
    min_closed_deals: int = 5
    min_calibration_deals: int = 10
    calibration_tolerance: float = 0.10

    def __post_init__(self) -> None:
        if self.win_rate_weeks < 1 or self.min_closed_deals < 1 or self.min_calibration_deals < 1:
            raise ConfigError(
                "win_rate_weeks, min_closed_deals and min_calibration_deals must "
                "be at least 1, got "
                f"{self.win_rate_weeks}, {self.min_closed_deals} and "
                f"{self.min_calibration_deals}",
                hint="set forecast.win_rate_weeks, forecast.min_closed_deals and "
                "forecast.min_calibration_deals to whole numbers >= 1",
            )
        if not 0 <= self.calibration_tolerance < 1:
            raise ConfigError(
                f"calibration_tolerance {self.calibration_tolerance} must be in [0, 1)",
                hint="set forecast.calibration_tolerance to a share such as 0.10 (10 points)",
            )


#: A period: its name (``2026-Q4``, ``2026-11``, ``2026``) or its (first, last) days.
_Period = str | tuple[pd.Timestamp, pd.Timestamp]


def _in_period(
    dates: pd.Series, period: _Period | None, until: pd.Timestamp | None = None
) -> pd.Series:
    if period is None:
        return dates <= until if until is not None else pd.Series(True, index=dates.index)
    first, last = period_bounds(period)
    if until is not None:
        last = min(last, until)
    return (dates >= first) & (dates <= last)


def as_week(week: Week | str) -> Week:
    """A :class:`Week` from a week or its string (strictly parsed).

    >>> as_week("2026-W47") == as_week(Week(2026, 47))
    True
    """
    return Week.parse(week) if isinstance(week, str) else week


def _in_week_order(history: pd.DataFrame | PreparedHistory, as_of: Week) -> PreparedHistory:
    """The prepared rows of weeks up to ``as_of``, oldest first."""
    return as_prepared(history).upto(as_of).in_week_order()


def weighted_pipeline(snapshot: pd.DataFrame, *, period: str | None = None) -> pd.DataFrame:
    """The open deals of ``snapshot`` (those due in ``period`` when given), each with
    ``probability_used``, ``probability_source`` (``snapshot`` or ``stage_model``) and
    ``weighted`` = amount x probability_used. ``forecast_category`` blanks read ``pipeline``.
    """
    return weighted_rows(snapshot, stage_facts(snapshot), period)


def weighted_rows(
    snapshot: pd.DataFrame, all_facts: pd.DataFrame, period: str | None
) -> pd.DataFrame:
    """:func:`weighted_pipeline` with the snapshot's stage facts given."""
    keep = all_facts["is_open"] & _in_period(snapshot["close_date"], period)
    deals = snapshot.loc[keep].copy()
    facts = all_facts.loc[keep]
    given = (
        deals["probability"].notna()
        if "probability" in deals
        else pd.Series(False, index=deals.index)
    )
    own = deals["probability"] if "probability" in deals else facts["model_probability"]
    deals["probability_used"] = own.where(given, facts["model_probability"]).astype(float)
    deals["probability_source"] = np.where(given, "snapshot", "stage_model")
    deals["weighted"] = deals["amount"] * deals["probability_used"]
    category = deals.get("forecast_category", pd.Series(None, index=deals.index, dtype="str"))
    deals["forecast_category"] = category.fillna("pipeline").replace("", "pipeline")
    return deals.reset_index(drop=True)


def category_rollup(
    snapshot: pd.DataFrame,
    *,
    period: str | None = None,
    group_columns: Sequence[str] = ("team",),
    by: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Open pipeline per group (``group_columns``; ``by=``, their old name, is deprecated)
    and forecast category: ``deals``, ``amount``, ``weighted`` and ``cumulative_amount``
    (commit, then commit + best case, ...). Every category of :data:`OPEN_CATEGORIES` gets
    a row, zero when empty; every figure missing (``deals`` nullable) for a group whose
    teams' exports have no forecast category (how its deals split is unknown, not zero).
    """
    keys = [*group_columns_of("category_rollup", by, group_columns), "currency"]
    deals = weighted_pipeline(snapshot, period=period)
    blank, dtype = deals["currency"].isna(), deals["currency"].dtype  # none: a group too
    deals = deals.assign(currency=deals["currency"].astype("object").where(~blank, ""))
    sums = deals.groupby([*keys, "forecast_category"]).agg(
        deals=("amount", "size"), amount=("amount", "sum"), weighted=("weighted", "sum")
    )
    groups = deals[keys].drop_duplicates().sort_values(keys)
    grid = groups.merge(pd.DataFrame({"forecast_category": list(OPEN_CATEGORIES)}), how="cross")
    out = grid.merge(sums.reset_index(), on=[*keys, "forecast_category"], how="left")
    out = out.fillna({"deals": 0, "amount": 0.0, "weighted": 0.0}).astype({"deals": "Int64"})
    out["cumulative_amount"] = out.groupby(keys)["amount"].cumsum()
    recording = teams_recording(snapshot, "forecast_category")
    known = deals.assign(known=deals["team"].astype("str").isin(recording)).groupby(keys)["known"]
    unknown = ~out.merge(known.any().reset_index(), on=keys, how="left")["known"].to_numpy(bool)
    out.loc[unknown, ["deals", "amount", "weighted", "cumulative_amount"]] = pd.NA
    out["currency"] = out["currency"].where(out["currency"] != "").astype(dtype)
    return out.reset_index(drop=True)


def won_deals(
    history: pd.DataFrame | PreparedHistory, period: _Period | None, as_of: Week | str
) -> pd.DataFrame:
    """Deals won in ``period`` (a name such as ``2026-Q4``, a ``(first, last)`` pair of
    days, or None: any close date) up to ``as_of``, one row each (its
    latest row up to ``as_of``), with ``deal_key`` and ``won_week``: the first week it was
    seen won. A close date after the as-of week's Sunday does not count.
    """
    as_of = as_week(as_of)
    prep = as_prepared(history)
    # the rows up to the as-of week, read in place (no copy of the rows before it):
    # each deal's last row, and its first won row, by deal then week
    upto = (prep.week <= prep.week_code(as_of)) & (prep.week >= 0)
    order = prep.order[upto[prep.order]]
    deal = prep.deal[order]
    starts = np.r_[True, deal[1:] != deal[:-1]] if len(order) else np.zeros(0, dtype=bool)
    last = order[np.r_[starts[1:], True]] if len(order) else order
    last = last[prep.is_won[last]]
    last = last[np.lexsort((last, prep.week[last]))]  # oldest week first, then as stored
    won_rows = order[prep.is_won[order]]
    won_deal = prep.deal[won_rows]
    first = won_rows[np.r_[True, won_deal[1:] != won_deal[:-1]]] if len(won_rows) else won_rows
    first_of = np.zeros(int(prep.deal.max()) + 1 if len(prep.deal) else 0, dtype=np.int64)
    first_of[prep.deal[first]] = first  # each won deal's first won row
    weeks = prep.frame["snapshot_week"].iloc[first_of[prep.deal[last]]]
    latest = prep.frame.iloc[last]
    latest = latest.assign(deal_key=prep.deal_key.iloc[last].set_axis(latest.index))
    latest = latest.assign(won_week=weeks.set_axis(latest.index).rename("won_week"))
    keep = _in_period(latest["close_date"], period, pd.Timestamp(as_of.sunday))
    result: pd.DataFrame = latest[keep].reset_index(drop=True)
    return result


def win_rates(
    history: pd.DataFrame | PreparedHistory,
    as_of: Week | str,
    *,
    group_columns: Sequence[str] = ("team",),
    settings: ForecastSettings | None = None,
    by: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Per group (``group_columns``; ``by=``, their old name, is deprecated): deals ``won``
    and ``lost`` with a close date in the trailing window (``window_start`` .. the as-of
    week's Sunday) and ``win_rate`` = won / (won + lost), NaN when fewer than
    ``min_closed_deals`` closed. Counts deals, not amounts.
    """
    keys = group_columns_of("win_rates", by, group_columns)
    settings = settings or ForecastSettings()
    as_of = as_week(as_of)
    end = pd.Timestamp(as_of.sunday)
    start = end - pd.Timedelta(weeks=settings.win_rate_weeks) + pd.Timedelta(days=1)
    prep = _in_week_order(history, as_of)
    last = prep.last_rows()
    latest = prep.frame[[*keys, "close_date"]].iloc[last]
    closed = latest.assign(
        won=prep.is_won[last].astype("int64"), lost=prep.is_lost[last].astype("int64")
    )
    closed = closed[
        (closed["won"] + closed["lost"] > 0)
        & (closed["close_date"] >= start)
        & (closed["close_date"] <= end)
    ]
    groups = latest[keys].drop_duplicates()
    out = groups.merge(
        closed.groupby(keys)[["won", "lost"]].sum().reset_index(), on=keys, how="left"
    ).fillna({"won": 0, "lost": 0})
    out = out.astype({"won": "int64", "lost": "int64"}).sort_values(keys)
    total = out["won"] + out["lost"]
    out["win_rate"] = (out["won"] / total).where(total >= settings.min_closed_deals)
    out["window_start"] = start
    out["window_end"] = end
    return out.reset_index(drop=True)


def period_forecast(
    history: pd.DataFrame | PreparedHistory,
    targets: pd.DataFrame,
    period: str,
    as_of: Week | str,
    *,
    by: Level = "team",
    settings: ForecastSettings | None = None,
) -> pd.DataFrame:
    """The period's forecast per team (``by="team"``) or per rep (``by="rep"``; the old
    value ``"owner"`` is deprecated).

    Columns: the group, ``currency``, ``target``, ``won_deals``, ``won_to_date``,
    ``open_deals``, ``open_in_period``, ``commit_in_period``, ``best_case_in_period``
    (missing for a team whose export has no forecast category),
    ``weighted_in_period``, ``expected``, ``gap_to_target``, ``remaining_target``,
    ``coverage``, ``closed_in_window``, ``win_rate`` (a rep with too few closed deals
    gets the team's; ``win_rate_source`` says which), ``coverage_needed`` and
    ``verdict``: ``enough`` / ``short`` (coverage below needed; always at a 0% win rate),
    ``target met``, ``no target`` or ``no win rate`` (too few closed deals), and
    ``outlook`` (:func:`pipereview.diagnostics._figures.outlook`).
    """
    settings = settings or ForecastSettings()
    as_of = as_week(as_of)
    keys = level_keys(by, owner_alias="period_forecast")
    history = as_prepared(history)
    upto = history.upto(as_of)
    now = upto.latest_mask()
    snapshot = upto.frame[now]
    pipe = _open_sums(snapshot, upto.take(now).stage_facts(), period, keys)
    won = won_totals(history, period, as_of, keys)
    goals = targets_for(targets, period, keys)
    seen = snapshot[[*keys, "currency"]].drop_duplicates(keys).set_index(keys)
    groups = pd.concat([seen, goals[["currency"]]])  # reps with a target and no deals too
    groups = groups[~groups.index.duplicated(keep="first")]
    out = groups.join(goals["target"]).join(won).join(pipe)
    counts = ["won_deals", "open_deals"]
    out = out.fillna(dict.fromkeys([*won.columns, *pipe.columns], 0))  # none won, none open
    out = out.astype(dict.fromkeys(counts, "int64")).reset_index().sort_values(keys)
    # a team whose export has no forecast category: its commit and best case are unknown
    categorised = out["team"].astype("str").isin(teams_recording(snapshot, "forecast_category"))
    for name in ("commit_in_period", "best_case_in_period"):
        out[name] = out[name].where(categorised)
    out["expected"] = out["won_to_date"] + out["weighted_in_period"]
    out["gap_to_target"] = out["target"] - out["expected"]
    out["remaining_target"] = (out["target"] - out["won_to_date"]).clip(lower=0)
    out["coverage"] = out["open_in_period"] / out["remaining_target"].where(
        out["remaining_target"] > 0
    )
    out = _with_win_rate(out, history, as_of, keys, settings)
    out["coverage_needed"] = coverage_needed(out["win_rate"])  # infinite at a 0% win rate
    out["verdict"] = np.select(
        [
            out["target"].isna(),
            out["remaining_target"] <= 0,
            out["coverage_needed"].isna(),
            out["coverage"].fillna(0) >= out["coverage_needed"],
        ],
        ["no target", "target met", "no win rate", "enough"],
        "short",
    )
    out["outlook"] = outlook(out)
    out.insert(len(keys), "period", period)
    out.insert(len(keys) + 1, "as_of", str(as_of))
    return out.reset_index(drop=True)


def _open_sums(
    snapshot: pd.DataFrame, facts: pd.DataFrame, period: str, keys: list[str]
) -> pd.DataFrame:
    """Per group: the open deals due in ``period`` (``open_deals``), their amount
    (``open_in_period``), its commit and best-case parts and its weighted value."""
    open_deals = weighted_rows(snapshot, facts, period)
    open_deals = open_deals.assign(
        commit=open_deals["amount"].where(open_deals["forecast_category"] == "commit", 0.0),
        best=open_deals["amount"].where(open_deals["forecast_category"] == "best_case", 0.0),
    )
    return open_deals.groupby(keys).agg(
        open_deals=("amount", "size"),
        open_in_period=("amount", "sum"),
        commit_in_period=("commit", "sum"),
        best_case_in_period=("best", "sum"),
        weighted_in_period=("weighted", "sum"),
    )


def won_totals(
    history: pd.DataFrame | PreparedHistory, period: str, as_of: Week | str, keys: list[str]
) -> pd.DataFrame:
    """Per group: the deals won in ``period`` up to ``as_of`` (:func:`won_deals`),
    ``won_deals`` (how many) and ``won_to_date`` (their amount)."""
    return (
        won_deals(history, period, as_of)
        .groupby(keys)
        .agg(won_deals=("amount", "size"), won_to_date=("amount", "sum"))
    )


def targets_for(targets: pd.DataFrame, period: str, keys: list[str]) -> pd.DataFrame:
    """The period's targets per group: ``target`` and ``currency``."""
    owner = targets["owner"].fillna("").astype("str")
    rows = targets[
        (targets["period"].astype("str") == period)
        & ((owner == "") if keys == ["team"] else (owner != ""))
        & targets["amount"].notna()  # a rep's row with only a capacity
    ]
    return (
        rows.groupby(keys)
        .agg(target=("amount", "sum"), currency=("currency", "first"))
        .astype({"target": float})
    )


def _with_win_rate(
    out: pd.DataFrame,
    history: PreparedHistory,
    as_of: Week,
    keys: list[str],
    settings: ForecastSettings,
) -> pd.DataFrame:
    rates = win_rates(history, as_of, group_columns=keys, settings=settings)
    rates = rates.assign(closed_in_window=rates["won"] + rates["lost"])
    out = out.merge(rates[[*keys, "closed_in_window", "win_rate"]], on=keys, how="left")
    out["win_rate_source"] = np.where(out["win_rate"].notna(), keys[-1], "")
    if keys != ["team"]:
        team = win_rates(history, as_of, settings=settings).set_index("team")["win_rate"]
        fallback = out["win_rate"].isna() & out["team"].map(team).notna()
        out["win_rate"] = out["win_rate"].fillna(out["team"].map(team))
        out.loc[fallback, "win_rate_source"] = "team"
    return out.fillna({"closed_in_window": 0}).astype({"closed_in_window": "int64"})
