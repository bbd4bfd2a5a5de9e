"""One definition of each printed figure, shared by headline, changes, trends, review,
dashboard, coaching and exports (docs/method.md, "Weeks and figures").

**The as-of moment.** An export labelled with ISO week W was taken some day of W; the
tool cannot know which. A week's export stands for the pipeline at the **end of W**
(its Sunday, :func:`as_of_day`): flows of W (won, new) count Monday to Sunday of W and
days counted to "now" count to that Sunday. Days in stage count whole weeks from the
week a deal was first seen in its stage to W.

- **new deals** of W: deals (by their stable ``deal_key``) whose first stored row is in
  W's export, whatever their state; none in a team's first stored week (every deal is
  first seen then: the figure is unknown, not "all").
- **days since activity**: from ``last_activity_date`` to the as-of day, never negative:
  a date after the as-of day is a data problem, counted as 0 and flagged.
- **days in stage**: a lower bound when the deal was already in its stage in its team's
  first stored week (printed ``≥ 77 days``).
- **win rate** = won / (won + lost) of deals closed in the window; 0 wins of 12 closed is
  0%, the worst rate; too few closed deals give no rate. **Coverage needed** = 1 / win
  rate, infinite at 0%: no coverage is enough.
- **gap to target** = target - expected; printed so its sign cannot be misread
  (:func:`gap_text`).
- **outlook** (:func:`outlook`): the one answer to "will we hit target?".
- **deviation from plan** (:func:`plan_deviation`): won to date against the share of the
  target the week's position in the period calls for, with a tolerance in points.

>>> gap_text(-2_605_725, "USD", "en")
'forecast above target by 2,605,725 USD'
>>> gap_text(1_300_000, "EUR", "zh")
'距目标还差 1,300,000 EUR'
>>> days_text(77, True, "zh"), days_text(70.0, False, "en")
('≥ 77 天', '70 days')
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from pipereview.core._compare import less_than, more_than
from pipereview.core._languages import check_language
from pipereview.core._weeks import Week
from pipereview.diagnostics._grouping import group_columns_of
from pipereview.history._prepared import PreparedHistory, as_prepared

__all__ = [
    "OUTLOOKS",
    "activity_days",
    "as_of_day",
    "coverage_needed",
    "days_text",
    "gap_text",
    "new_deal_counts",
    "new_deals",
    "outlook",
    "outlook_text",
    "plan_deviation",
    "plan_deviation_text",
    "stage_days",
    "win_rate",
]

#: The outlooks of :func:`outlook`, best first.
OUTLOOKS: tuple[str, ...] = ("met", "on_track", "at_risk", "off_track", "no_target")


def _week(week: Week | str) -> Week:
    return Week.parse(week) if isinstance(week, str) else week


def as_of_day(week: Week | str) -> pd.Timestamp:
    """The day a week's export stands for: the Sunday ending the ISO week.

    >>> as_of_day("2026-W47")
    Timestamp('2026-11-22 00:00:00')
    """
    return pd.Timestamp(_week(week).sunday)


# --- new deals ----------------------------------------------------------------------------
def new_deal_counts(
    history: pd.DataFrame | PreparedHistory,
    *,
    group_columns: Sequence[str] = ("team",),
    by: Sequence[str] | None = None,
) -> pd.DataFrame:
    """New deals per group and stored week: ``[*group_columns, week, new_deals]`` (``by=``,
    the old name of ``group_columns``, is deprecated), one row for every
    stored week of each group from its team's first; ``new_deals`` is NaN in the team's
    first stored week. A deal counts in the week of its first stored row, in the group of
    that row.

    >>> h = pd.DataFrame({"snapshot_week": ["2026-W46", "2026-W47", "2026-W47"],
    ...     "team": "T", "deal_id": ["a", "a", "b"], "stage_model": "generic_4",
    ...     "stage": "initial_contact"})
    >>> new_deal_counts(h).to_dict("records")
    [{'team': 'T', 'week': '2026-W46', 'new_deals': nan}, {'team': 'T', 'week': '2026-W47', 'new_deals': 1.0}]
    """
    keys = group_columns_of("new_deal_counts", by, group_columns)
    prep = as_prepared(history)
    frame = prep.frame
    columns = [*keys, "week", "new_deals"]
    if prep.empty:
        return pd.DataFrame(columns=columns)
    rows = frame[keys].assign(_k=prep.deal, _w=prep.week).reset_index(drop=True)
    first = rows.sort_values("_w", kind="stable").drop_duplicates("_k")
    counts = first.groupby([*keys, "_w"]).size().rename("new_deals")
    team_first = rows.groupby("team")["_w"].min() if "team" in rows else None
    grid = rows[[*keys, "_w"]].drop_duplicates()
    if team_first is not None:  # every stored week of the team, not only the group's own
        weeks = rows[["team", "_w"]].drop_duplicates()
        grid = rows[keys].drop_duplicates().merge(weeks, on="team") if "team" in keys else grid
    out = grid.join(counts, on=[*keys, "_w"]).fillna({"new_deals": 0})
    out["new_deals"] = out["new_deals"].astype(float)
    if team_first is not None and "team" in keys:
        out.loc[out["_w"].to_numpy() == team_first.reindex(out["team"]).to_numpy(), "new_deals"] = (
            np.nan
        )
    out["week"] = np.asarray(prep.weeks, dtype=object)[out["_w"].to_numpy()]
    out = out.sort_values([*keys, "_w"]).reset_index(drop=True)
    return out[columns]


def new_deals(
    history: pd.DataFrame | PreparedHistory,
    week: Week | str,
    *,
    group_columns: Sequence[str] = ("team",),
    weeks: int = 1,
    by: Sequence[str] | None = None,
) -> pd.DataFrame:
    """New deals per group in ``week`` (or the ``weeks`` stored weeks ending with it):
    ``[*group_columns, new_deals]`` (``by=``, the old name of ``group_columns``, is
    deprecated); NaN when the window holds only the team's first stored week.

    >>> h = pd.DataFrame({"snapshot_week": ["2026-W46", "2026-W47", "2026-W47"],
    ...     "team": "T", "deal_id": ["a", "a", "b"], "stage_model": "generic_4",
    ...     "stage": "initial_contact"})
    >>> new_deals(h, "2026-W47").to_dict("records")
    [{'team': 'T', 'new_deals': 1.0}]
    """
    keys = group_columns_of("new_deals", by, group_columns)
    week = _week(week)
    prep = as_prepared(history).upto(week)
    counts = new_deal_counts(prep, group_columns=keys)
    start = str(week - (weeks - 1))
    part = counts[(counts["week"] >= start) & (counts["week"] <= str(week))]
    out = part.groupby(keys)["new_deals"].sum(min_count=1).reset_index()
    return out


# --- days ---------------------------------------------------------------------------------
def activity_days(activity: pd.Series, week: Week | str) -> pd.DataFrame:
    """Days since the last activity as of ``week`` (:func:`as_of_day`), per row:
    ``days_since_activity`` (Int64, never negative; <NA> without a date) and
    ``activity_after_as_of`` (the date lies after the as-of day: a data problem, counted 0).

    >>> a = pd.Series(pd.to_datetime(["2026-11-12", "2026-11-25", None]))
    >>> activity_days(a, "2026-W47").to_dict("list")
    {'days_since_activity': [10, 0, None], 'activity_after_as_of': [False, True, False]}
    """
    day = as_of_day(week)
    dates = pd.to_datetime(activity).dt.normalize()
    raw = (day - dates).dt.days
    after = (raw < 0).fillna(False).astype(bool)
    days = raw.clip(lower=0).astype("Int64")
    return pd.DataFrame(
        {"days_since_activity": days, "activity_after_as_of": after}, index=activity.index
    )


def stage_days(history: pd.DataFrame | PreparedHistory, week: Week | str) -> pd.DataFrame:
    """Days in stage as of ``week`` per row of the history (up to ``week``):
    ``days_in_stage`` (Int64, whole weeks in days, from the Monday of the week the deal was
    first seen in its current stage) and ``days_in_stage_lower_bound``: the stay began
    before anything stored shows it — the deal was in the stage in its team's first stored
    week, or was first stored in it more than a week after it was created (it existed,
    outside the exports, before) — so it may have been there longer.

    >>> h = pd.DataFrame({"snapshot_week": ["2026-W45", "2026-W46", "2026-W46"], "team": "T",
    ...     "deal_id": ["a", "a", "b"], "stage_model": "generic_4",
    ...     "stage": ["initial_contact", "initial_contact", "negotiation"]})
    >>> stage_days(h, "2026-W47").to_dict("list")
    {'days_in_stage': [14, 14, 7], 'days_in_stage_lower_bound': [True, True, False]}
    """
    week = _week(week)
    prep = as_prepared(history).upto(week)
    days = prep.days_in_stage(week).round().astype("Int64")
    entry = pd.Series(prep.stage_entry.astype("datetime64[ns]"), index=prep.frame.index)
    monday = pd.Series(prep.monday, index=prep.frame.index)
    team = prep.frame["team"] if "team" in prep.frame else pd.Series("", index=monday.index)
    first = monday.groupby(team.to_numpy()).transform("min")
    # the deal's first stored row: a stay that starts there began at most then
    seen = monday.groupby(prep.deal).transform("min")
    created = (
        pd.to_datetime(prep.frame["created_date"])
        if "created_date" in prep.frame
        else pd.Series(pd.NaT, index=monday.index)
    )
    existed = (created < entry - pd.Timedelta(days=7)).fillna(False)
    lower = ((entry <= first) | ((entry <= seen) & existed)).to_numpy(dtype=bool)
    return pd.DataFrame(
        {"days_in_stage": days, "days_in_stage_lower_bound": lower}, index=prep.frame.index
    )


def days_text(
    days: object, lower_bound: object = False, lang: str = "en", *, unit: bool = True
) -> str:
    """Days as printed: a whole number, ``≥`` before a lower bound, ``—`` when unknown.

    >>> days_text(77.0, True), days_text(None), days_text(3, False, "zh", unit=False)
    ('≥ 77 days', '—', '3')
    """
    check_language(lang)
    if days is None or (isinstance(days, float) and math.isnan(days)) or days is pd.NA:
        return "—"
    number = f"{round(float(str(days))):,}"
    bound = "≥ " if bool(lower_bound) and lower_bound is not pd.NA else ""
    suffix = (" 天" if lang == "zh" else " days") if unit else ""
    return f"{bound}{number}{suffix}"


# --- win rate and coverage ---------------------------------------------------------------
def win_rate(won: int, lost: int, min_closed: int = 5) -> float:
    """Won / (won + lost); NaN below ``min_closed`` closed deals. 0 of 12 is 0.0, a rate.

    >>> win_rate(0, 12), win_rate(3, 1), win_rate(3, 9)
    (0.0, nan, 0.25)
    """
    total = won + lost
    return won / total if total >= max(min_closed, 1) else float("nan")


def coverage_needed(rate: pd.Series | float) -> pd.Series | float:
    """1 / win rate: infinite at a 0% win rate (no coverage is enough), NaN without a rate.

    >>> coverage_needed(0.25), coverage_needed(0.0)
    (4.0, inf)
    """
    if isinstance(rate, pd.Series):
        values = rate.astype(float)
        return pd.Series(
            np.where(values == 0, np.inf, 1 / values.where(values != 0)), index=rate.index
        )
    if math.isnan(rate):
        return float("nan")
    return math.inf if rate == 0 else 1 / rate


# --- gap, outlook, plan ------------------------------------------------------------------
def _amount(value: float, currency: str) -> str:
    text = f"{abs(value):,.0f}"
    return f"{text} {currency}".strip()


def gap_text(gap: float | None, currency: str = "", lang: str = "en") -> str:
    """The gap to target (target - expected) worded so its sign cannot be misread.

    >>> gap_text(0, "USD"), gap_text(-5, "CNY", "zh"), gap_text(None)
    ('forecast on target', '预测高于目标 5 CNY', '—')
    """
    check_language(lang)
    if gap is None or math.isnan(float(gap)):
        return "—"
    if round(float(gap)) > 0:
        return (
            f"距目标还差 {_amount(gap, currency)}"
            if lang == "zh"
            else f"short of target by {_amount(gap, currency)}"
        )
    if round(float(gap)) < 0:
        return (
            f"预测高于目标 {_amount(gap, currency)}"
            if lang == "zh"
            else f"forecast above target by {_amount(gap, currency)}"
        )
    return "预测与目标持平" if lang == "zh" else "forecast on target"


def outlook(frame: pd.DataFrame) -> pd.Series:
    """The one answer to "will we hit target?" per row of a forecast
    (:func:`pipereview.diagnostics._forecast.period_forecast`): ``met`` (won to date reaches the target),
    ``on_track`` (the weighted forecast reaches the target and the open pipeline covers
    what the win rate needs, or no rate is known), ``off_track`` (the forecast falls short
    and so does the coverage, or no rate is known), ``at_risk`` (the two disagree),
    ``no_target``. Every section words its verdict from this one.

    >>> f = pd.DataFrame({"target": [100.0, 100, 100, 100, None],
    ...     "won_to_date": [120.0, 10, 10, 10, 0], "expected": [120.0, 130, 130, 50, 0],
    ...     "coverage": [None, 5, 4.45, 1, None], "coverage_needed": [4.0, 4, 5.1, 4, 4]})
    >>> outlook(f).tolist()
    ['met', 'on_track', 'at_risk', 'off_track', 'no_target']
    """
    target = frame["target"].astype(float)
    reached = frame["expected"].astype(float) >= target
    need = frame["coverage_needed"].astype(float)
    covered = frame["coverage"].astype(float).fillna(0) >= need
    known = need.notna()
    good = reached & (covered | ~known)
    bad = ~reached & (~covered | ~known)
    values = np.select(
        [target.isna(), frame["won_to_date"].astype(float) >= target, good, bad],
        ["no_target", "met", "on_track", "off_track"],
        "at_risk",
    )
    return pd.Series(values, index=frame.index, name="outlook")


_OUTLOOK_TEXT: dict[str, tuple[str, str]] = {
    "met": ("target met", "已完成目标"),
    "on_track": ("on track to hit target", "有望完成目标"),
    "at_risk": ("target at risk", "目标有风险"),
    "off_track": ("not on track to hit target", "按目前预测无法完成目标"),
    "no_target": ("no target", "无目标"),
}


def outlook_text(value: str, lang: str = "en") -> str:
    """An :func:`outlook` as printed.

    >>> outlook_text("at_risk"), outlook_text("on_track", "zh")
    ('target at risk', '有望完成目标')
    """
    check_language(lang)
    en, zh = _OUTLOOK_TEXT.get(value, (value, value))
    return zh if lang == "zh" else en


def plan_deviation(
    won_to_date: pd.Series, plan_to_date: pd.Series, target: pd.Series, tolerance: float
) -> pd.DataFrame:
    """Deviation from plan, in points of the target: ``expected_share`` (plan to date /
    target: the share the week's position in the period calls for), ``won_share`` (won to
    date / target), ``points`` = won share - expected share, and ``status``: ``below plan``
    / ``above plan`` beyond ``tolerance`` points, else ``on plan``.

    Mid-quarter (half the target planned) with 20% won is 30 points below plan; with a
    tolerance of 0.15 that alerts, 40% won does not.

    >>> plan_deviation(pd.Series([20.0, 40.0]), pd.Series([50.0, 50.0]),
    ...                pd.Series([100.0, 100.0]), 0.15).round(2).to_dict("list")
    {'expected_share': [0.5, 0.5], 'won_share': [0.2, 0.4], 'points': [-0.3, -0.1], 'status': ['below plan', 'on plan']}
    """
    goal = target.astype(float).where(target.astype(float) > 0)
    expected = plan_to_date.astype(float) / goal
    won = won_to_date.astype(float) / goal
    points = won - expected
    # a Series on the points' labels: the three inputs may list the reps in other orders
    status = pd.Series(
        np.select(
            [less_than(points, -tolerance), more_than(points, tolerance)],
            ["below plan", "above plan"],
            "on plan",
        ),
        index=points.index,
    )
    return pd.DataFrame(
        {"expected_share": expected, "won_share": won, "points": points, "status": status},
        index=won_to_date.index,
    )


def plan_deviation_text(points: float, expected_share: float, lang: str = "en") -> str:
    """How far from plan, in points of the target.

    >>> plan_deviation_text(-0.3, 0.5)
    'won to date is 30 points of the target below the 50% planned by now'
    >>> plan_deviation_text(-0.3, 0.5, "zh")
    '已赢单比截至目前应完成的目标 50% 低 30 个百分点'
    >>> plan_deviation_text(0.001, 0.5)
    'won to date is level with the 50% planned by now'
    """
    check_language(lang)
    size = f"{abs(points) * 100:.0f}"
    share = f"{expected_share * 100:.0f}%"
    if size == "0":  # "0 points below" would read as a shortfall
        if lang == "zh":
            return f"已赢单与截至目前应完成的目标 {share} 持平"
        return f"won to date is level with the {share} planned by now"
    if lang == "zh":
        side = "低" if points < 0 else "高"
        return f"已赢单比截至目前应完成的目标 {share} {side} {size} 个百分点"
    side = "below" if points < 0 else "above"
    unit = "point" if size == "1" else "points"
    return f"won to date is {size} {unit} of the target {side} the {share} planned by now"
