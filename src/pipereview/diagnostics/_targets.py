"""Sales targets: loaded and validated at the edge, decomposed SMART-style by time and by
rep, and progress against plan as of a week.

Decomposition rules (all amounts in integer cents; parts always sum exactly to the whole,
the rounding remainder going one cent at a time to the parts with the largest remainder,
ties to the earlier part):

- a year splits into 4 equal quarters, a quarter into 3 equal months (a year into months
  through its quarters, so each quarter's months add up to the quarter);
- weeks (``week_rule``): ``working_days`` (default) gives each ISO week overlapping the
  period a share in proportion to its Monday-Friday days inside the period (``holidays``
  excluded); ``days`` counts every calendar day; ``four_week_month`` is the 4-weeks-a-
  month convention: each month splits into 4 equal weeks labelled ``2026-11 w1`` .. ``w4``;
- months before weeks for the plan to date (``season``): last year's months, a configured
  profile or flat (:mod:`pipereview.diagnostics._seasons`);
- reps: :mod:`pipereview.diagnostics._repsplit` (given, by history, by capacity, equal).

The worked example of the domain (50,000,000 a year):

>>> year = decompose_target(50_000_000, "2026", "quarter")
>>> year["amount"].tolist()
[12500000.0, 12500000.0, 12500000.0, 12500000.0]
>>> months = decompose_target(50_000_000, "2026", "month")
>>> round(months["amount"].iloc[0]), int(months["cents"].sum())
(4166667, 5000000000)
>>> weeks = decompose_target(50_000_000, "2026", "week", PlanSettings(week_rule="four_week_month"))
>>> len(weeks), round(weeks["amount"].iloc[0])
(48, 1041667)
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import numpy as np
import pandas as pd

from pipereview.core._errors import ConfigError, InputError
from pipereview.core._weeks import Week
from pipereview.diagnostics._cents import allocate_cents
from pipereview.diagnostics._figures import plan_deviation
from pipereview.diagnostics._forecast import as_week, won_totals
from pipereview.diagnostics._grouping import Level, level_keys
from pipereview.diagnostics._repsplit import check_split, split_weights
from pipereview.diagnostics._seasons import (
    SeasonShape,
    check_season,
    season_shapes,
    seasonal_week_cents,
)
from pipereview.diagnostics._targetfile import TARGET_COLUMNS, load_targets
from pipereview.diagnostics._waterfall import period_bounds
from pipereview.history._prepared import PreparedHistory

__all__ = [
    "TARGET_COLUMNS",
    "PlanSettings",
    "decompose_target",
    "load_targets",
    "plan_shapes",
    "plan_to_date",
    "progress",
    "rep_targets",
]

_Level = Literal["quarter", "month", "week"]


@dataclass(frozen=True)
class PlanSettings:
    """How targets are spread over time and when a deviation alerts.

    ``week_rule`` (``working_days``): see the module docstring; ``holidays`` (none):
    dates that are not working days; ``alert_threshold`` (0.15): a deviation from plan
    of won to date from the plan to date beyond this many points of the target (0.15: 15
    points) raises an alert (docs/method.md, "Weeks and figures"). ``season``
    (``last_year``) and ``season_profile`` (12 weights, January first, with ``season:
    profile``): the months' shape of the plan (:mod:`pipereview.diagnostics._seasons`);
    ``rep_split`` (``history``), ``history_quarters`` (4), ``history_floor`` (0.5) and
    ``capacity`` (rep: factor, 1 when not given): how a team target is split over reps
    that lack one (:mod:`pipereview.diagnostics._repsplit`).
    """

    week_rule: Literal["working_days", "days", "four_week_month"] = "working_days"
    holidays: frozenset[datetime.date] = frozenset()
    alert_threshold: float = 0.15
    season: Literal["last_year", "profile", "flat"] = "last_year"
    season_profile: tuple[float, ...] = ()
    rep_split: Literal["history", "capacity", "equal"] = "history"
    history_quarters: int = 4
    history_floor: float = 0.5
    capacity: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        check_season(self.season, self.season_profile)
        split = check_split(
            self.rep_split, self.history_quarters, self.history_floor, self.capacity
        )
        object.__setattr__(self, "capacity", split)
        if self.week_rule not in ("working_days", "days", "four_week_month"):
            raise ConfigError(
                f"week_rule {self.week_rule!r}: use 'working_days', 'days' or 'four_week_month'",
                expected="'working_days', 'days' or 'four_week_month'",
                hint="set plan.week_rule to working_days (the default), days or "
                "four_week_month (docs/method.md, 'Weeks and figures')",
            )
        if self.alert_threshold < 0:
            raise ConfigError(
                f"alert_threshold {self.alert_threshold} must be >= 0",
                hint="set plan.alert_threshold to a share of the target such as 0.15 (15 points)",
            )


def _cents(amount: float) -> int:
    return round(amount * 100)


def _parts(period: str, level: _Level) -> list[tuple[str, pd.Timestamp, pd.Timestamp]]:
    """The quarters or months that start inside ``period``."""
    first, last = period_bounds(period)
    if level == "quarter":
        starts = pd.date_range(first, last, freq="QS")
        return [(f"{d.year}-Q{d.quarter}", d, d + pd.offsets.QuarterEnd(0)) for d in starts]
    starts = pd.date_range(first, last, freq="MS")
    return [(f"{d:%Y-%m}", d, d + pd.offsets.MonthEnd(0)) for d in starts]


def _days(period: str, settings: PlanSettings) -> pd.DataFrame:
    """Each day of ``period``: ``day``, its ISO ``week`` label and ``count`` (1 when it
    counts under ``settings.week_rule``, holidays excluded)."""
    first, last = period_bounds(period)
    days = pd.Series(pd.date_range(first, last))
    counts = days.dt.day_of_week < 5 if settings.week_rule == "working_days" else days.notna()
    counts &= ~days.dt.date.isin(settings.holidays)
    iso = days.dt.isocalendar()
    label = iso["year"].astype("str") + "-W" + iso["week"].astype("str").str.zfill(2)
    return pd.DataFrame({"day": days, "week": label, "count": counts.astype("int64")})


def _week_weights(period: str, settings: PlanSettings) -> pd.DataFrame:
    """ISO weeks overlapping ``period`` with their weight under ``settings.week_rule``."""
    first, last = period_bounds(period)
    days = _days(period, settings)
    weights = days.groupby("week", sort=True)["count"].sum()
    out = pd.DataFrame({"part": weights.index, "weight": weights.to_numpy()})
    weeks = [Week.parse(p) for p in out["part"]]
    out["first"] = [max(pd.Timestamp(w.monday), first) for w in weeks]
    out["last"] = [min(pd.Timestamp(w.sunday), last) for w in weeks]
    return out


def decompose_target(
    amount: float, period: str, level: _Level, settings: PlanSettings | None = None
) -> pd.DataFrame:
    """A target for ``period`` (``2026``, ``2026-Q4``, ``2026-11``) split into quarters,
    months or weeks: columns ``level``, ``part``, ``first``, ``last``, ``weight``,
    ``cents`` (int64, summing exactly to the target's cents) and ``amount``.

    >>> decompose_target(100, "2026-Q4", "month")[["part", "cents"]].to_dict("list")
    {'part': ['2026-10', '2026-11', '2026-12'], 'cents': [3334, 3333, 3333]}
    """
    settings = settings or PlanSettings()
    total = _cents(amount)
    if total < 0:
        raise InputError(
            f"a target of {amount} cannot be split",
            expected="an amount >= 0",
            hint="give a target amount >= 0",
        )
    if level == "week" and settings.week_rule != "four_week_month":
        out = _week_weights(period, settings)
        out["cents"] = allocate_cents(total, out["weight"].to_numpy())
    elif level == "week":
        months = decompose_target(amount, period, "month", settings)
        split = allocate_cents(months["cents"].to_numpy(), [1, 1, 1, 1])
        out = pd.DataFrame(
            {
                "part": [f"{p} w{k}" for p in months["part"] for k in range(1, 5)],
                "first": months["first"].repeat(4).to_numpy(),
                "last": months["last"].repeat(4).to_numpy(),
                "weight": 1,
                "cents": split.reshape(-1),
            }
        )
    else:
        parts = _parts(period, level)
        if level == "month" and len(parts) > 3:  # through the quarters
            quarters = decompose_target(amount, period, "quarter", settings)
            frames = [
                decompose_target(c / 100, q, "month", settings)
                for q, c in zip(quarters["part"], quarters["cents"], strict=True)
            ]
            return pd.concat(frames, ignore_index=True)
        if not parts:
            raise InputError(
                f"{period!r} cannot be split into {level}s",
                expected="a period at least as long as the parts",
                hint="split a quarter into months or weeks, a year into quarters, months or weeks",
            )
        out = pd.DataFrame(parts, columns=["part", "first", "last"]).assign(weight=1)
        out["cents"] = allocate_cents(total, out["weight"].to_numpy())
    out.insert(0, "level", level)
    out["cents"] = out["cents"].astype("int64")
    out["amount"] = out["cents"] / 100.0
    return out[["level", "part", "first", "last", "weight", "cents", "amount"]]


def plan_to_date(
    amounts: pd.Series,
    period: str,
    as_of: Week | str,
    settings: PlanSettings | None = None,
    shape: SeasonShape | None = None,
) -> pd.Series:
    """The plan to date of each target in ``amounts``: the sum of its week parts up to and
    including ``as_of`` (calendar week rules only); with a seasonal ``shape``
    (:func:`~pipereview.diagnostics._seasons.season_shapes`) the months first, then each
    month's weeks.

    >>> plan_to_date(pd.Series([6600.0]), "2026-Q4", "2026-W41").tolist()  # 2+5 of 66 days
    [700.0]
    """
    settings = settings or PlanSettings()
    if settings.week_rule == "four_week_month":
        raise InputError(
            "plan to date needs a calendar week rule",
            expected="week_rule 'working_days' or 'days'",
            hint="the 4-weeks-a-month convention is for display; its weeks are not calendar weeks",
        )
    as_of = as_week(as_of)
    cents = np.rint(amounts.to_numpy(dtype=float) * 100).astype(np.int64)
    if shape is not None and shape.rule != "flat":
        labels, parts = seasonal_week_cents(cents, _days(period, settings), shape)
        done = np.array([w <= str(as_of) for w in labels], dtype=bool)
    else:
        weeks = _week_weights(period, settings)
        parts = allocate_cents(cents, weeks["weight"].to_numpy())
        done = (weeks["part"] <= str(as_of)).to_numpy()
    return pd.Series(parts[:, done].sum(axis=1) / 100.0, index=amounts.index)


def plan_shapes(
    history: pd.DataFrame | PreparedHistory,
    period: str,
    as_of: Week | str,
    teams: list[str],
    settings: PlanSettings | None = None,
) -> dict[str, SeasonShape]:
    """Each team's :class:`~pipereview.diagnostics._seasons.SeasonShape` for ``period``
    under ``settings`` (``season``, ``season_profile``, ``week_rule``); word one with
    :func:`~pipereview.diagnostics._seasons.plan_rule_text`.

    >>> plan_shapes(pd.DataFrame(), "2026-Q4", "2026-W47", ["N"], PlanSettings(season="flat"))["N"].rule
    'flat'
    """
    settings = settings or PlanSettings()
    return season_shapes(
        history,
        period,
        as_of,
        teams,
        season=settings.season,
        profile=check_season(settings.season, settings.season_profile),
        week_rule=settings.week_rule,
    )


def rep_targets(
    targets: pd.DataFrame,
    team: str,
    period: str,
    reps: list[str] | None = None,
    *,
    history: pd.DataFrame | PreparedHistory | None = None,
    settings: PlanSettings | None = None,
) -> pd.DataFrame:
    """The team's target for ``period`` split over ``reps`` (default: the reps with a
    target row): in proportion to their given targets when every rep has one (``rule``
    ``given``), else by ``settings.rep_split`` (:func:`~pipereview.diagnostics._repsplit.split_weights`:
    ``history`` from ``history``'s won deals, ``capacity``, or ``equal`` as the last
    resort). ``target`` sums exactly to the team's total (the sum of the reps' given
    targets when the team has no total row); word ``rule`` with
    :func:`~pipereview.diagnostics._repsplit.rep_rule_text`.

    >>> goals = pd.DataFrame({"team": "N", "owner": ["", "Ann", "Bob"], "period": "2026-Q4",
    ...     "amount": [90.0, None, None], "currency": "USD", "capacity": [None, 1.0, 0.5]})
    >>> rep_targets(goals, "N", "2026-Q4", ["Ann", "Bob"])[["target", "rule"]].values.tolist()
    [[60.0, 'capacity'], [30.0, 'capacity']]
    """
    settings = settings or PlanSettings()
    rows = targets[(targets["team"] == team) & (targets["period"] == period)]
    owner = rows["owner"].fillna("")
    given = rows[owner != ""].groupby("owner")["amount"].sum(min_count=1)
    total_rows = rows.loc[owner == "", "amount"]
    total = float(total_rows.sum()) if len(total_rows) else float(given.sum())
    names = sorted(given.index) if reps is None else list(reps)
    if not names:
        raise InputError(
            f"no reps to split {team}'s {period} target over",
            hint="add rep rows to the targets file or pass reps",
        )
    mine = given.reindex(names)
    if mine.notna().all() and mine.sum() > 0:
        weights, rule = mine.map(_cents).to_numpy().astype(np.int64), "given"
    else:
        weights, rule = split_weights(rows, team, period, names, settings, history)
    cents = allocate_cents(_cents(total), weights)
    return pd.DataFrame(
        {
            "team": team,
            "owner": names,
            "period": period,
            "given_target": mine.to_numpy(dtype=float),
            "target": cents / 100.0,
            "rule": rule,
        }
    )


def progress(
    history: pd.DataFrame | PreparedHistory,
    targets: pd.DataFrame,
    period: str,
    as_of: Week | str,
    *,
    by: Level = "team",
    settings: PlanSettings | None = None,
    shapes: Mapping[str, SeasonShape] | None = None,
) -> pd.DataFrame:
    """Progress of each target of ``period`` (team totals, or reps with ``by="rep"``; the
    old value ``"owner"`` is deprecated):
    ``plan_to_date``, ``won_to_date`` (:func:`pipereview.diagnostics._forecast.won_deals`),
    ``deviation`` = won - plan, ``deviation_pct`` = deviation / plan, and the deviation
    in points of the target (:func:`pipereview.diagnostics._figures.plan_deviation`): ``expected_share``
    (plan to date / target, the share the week's position calls for), ``won_share`` and
    ``points`` = won share - expected share; ``status`` is ``behind`` / ``ahead`` beyond
    ``threshold`` points (0.15: 15 points of the target), else ``on plan``; ``alert``
    when not on plan. Early in a period little is planned, so a slow start cannot alert;
    mid-quarter, 20% won against 50% planned is 30 points behind. Each team's plan
    follows its ``shapes`` (default: :func:`plan_shapes` of ``history``).

    >>> history = pd.DataFrame({"snapshot_week": "2026-W47", "team": "N", "deal_id": ["A"],
    ...     "owner": "Ann", "stage": "won", "stage_model": "generic_4", "amount": [800.0],
    ...     "currency": "USD", "close_date": pd.Timestamp("2026-10-20")})
    >>> goals = pd.DataFrame({"team": ["N"], "owner": [""], "period": ["2026-Q4"],
    ...     "amount": [6600.0], "currency": ["USD"]})
    >>> row = progress(history, goals, "2026-Q4", "2026-W47").iloc[0]
    >>> float(row["plan_to_date"]), round(float(row["points"]), 3), row["status"], bool(row["alert"])
    (3700.0, -0.439, 'behind', True)
    """
    settings = settings or PlanSettings()
    as_of = as_week(as_of)
    keys = level_keys(by, owner_alias="progress")
    owner = targets["owner"].fillna("")
    rows = targets[
        (targets["period"] == period)
        & ((owner == "") if keys == ["team"] else (owner != ""))
        & targets["amount"].notna()
    ]
    out = rows[[*keys, "currency", "amount"]].rename(columns={"amount": "target"})
    out = out.sort_values(keys).reset_index(drop=True)
    out.insert(len(keys), "period", period)
    out.insert(len(keys) + 1, "as_of", str(as_of))
    teams = sorted(set(out["team"]))
    shapes = shapes if shapes is not None else plan_shapes(history, period, as_of, teams, settings)
    out["plan_to_date"] = 0.0
    for team, rows_of in out.groupby("team").groups.items():
        plan = plan_to_date(
            out.loc[rows_of, "target"], period, as_of, settings, shapes.get(str(team))
        )
        out.loc[rows_of, "plan_to_date"] = plan
    won = won_totals(history, period, as_of, keys)
    out = out.join(won, on=keys).fillna({"won_deals": 0, "won_to_date": 0.0})
    out["won_deals"] = out["won_deals"].astype("int64")
    out["deviation"] = out["won_to_date"] - out["plan_to_date"]
    out["deviation_pct"] = out["deviation"] / out["plan_to_date"].where(out["plan_to_date"] > 0)
    shares = plan_deviation(
        out["won_to_date"], out["plan_to_date"], out["target"], settings.alert_threshold
    )
    out["expected_share"] = shares["expected_share"]
    out["won_share"] = shares["won_share"]
    out["points"] = shares["points"]
    out["status"] = shares["status"].map(
        {"below plan": "behind", "above plan": "ahead", "on plan": "on plan"}
    )
    out["threshold"] = settings.alert_threshold
    out["alert"] = out["status"] != "on plan"
    return out
