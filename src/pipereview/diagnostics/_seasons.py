"""Seasons of the plan (淡旺季): how a period's target is spread over its months before
its weeks, and the one wording of the rule in use.

``plan.season`` (:class:`~pipereview.diagnostics._targets.PlanSettings`):

- ``last_year`` (default): each month of the period weighs what the team won in the same
  month a year earlier (won deals by close date, from the stored history); when the
  stored history does not reach back to the first of those months, or nothing was won in
  them, the plan falls back to ``flat`` and says why;
- ``profile``: the 12 monthly weights of ``plan.season_profile`` (January first);
- ``flat``: a straight line in working days (or days) over the whole period.

Within a month the weeks split by the week rule; each target's cents go to the months
first, then each month's cents to its weeks (both with
:func:`~pipereview.diagnostics._cents.allocate_cents`, so the parts sum exactly). A
one-month period has no seasons within it: it is always flat.

>>> shape = SeasonShape("profile", "2026-Q4", ("2026-10", "2026-11", "2026-12"), (1, 3, 6))
>>> plan_rule_text(shape, "en")
'plan to date follows the configured monthly profile (Oct 10%, Nov 30%, Dec 60% of the quarter)'
>>> plan_rule_text(shape, "zh")
'计划进度按配置的各月分布（淡旺季）分解（10月 10%、11月 30%、12月 60%）'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from pipereview.core._errors import ConfigError
from pipereview.core._languages import check_language
from pipereview.core._weeks import Week
from pipereview.diagnostics._cents import allocate_cents
from pipereview.diagnostics._forecast import as_week, won_deals
from pipereview.diagnostics._waterfall import period_bounds
from pipereview.history._prepared import PreparedHistory, as_prepared

__all__ = [
    "SEASONS",
    "SeasonShape",
    "check_season",
    "plan_rule_text",
    "season_shapes",
    "seasonal_week_cents",
]

#: The values of ``plan.season``.
SEASONS: tuple[str, ...] = ("last_year", "profile", "flat")
_PROFILE_SCALE = 1_000_000  # a profile weight as a whole number (6 decimals kept)
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class SeasonShape:
    """How one team's plan for ``period`` is spread over its months: ``rule``
    (``last_year``, ``profile`` or ``flat``), the period's ``months`` (``2026-10``) and a
    whole-number ``weights`` each (empty when flat); ``base_year`` (last_year: the year
    the weights come from); ``wanted``, the season asked for, and ``reason`` when the plan
    fell back to flat (``not_covered``, ``no_won``, ``profile_zero``, ``one_month``);
    ``week_rule`` and ``as_of`` word the rule."""

    rule: str
    period: str
    months: tuple[str, ...] = ()
    weights: tuple[int, ...] = ()
    base_year: int | None = None
    wanted: str = ""
    reason: str = ""
    week_rule: str = "working_days"
    as_of: str = ""


def check_season(season: str, profile: Sequence[float]) -> tuple[int, ...]:
    """``season`` and ``profile`` checked together; the profile as whole-number weights
    (empty unless ``season`` is ``profile``).

    >>> check_season("profile", [1] * 11 + [2.5])[-2:]
    (1000000, 2500000)
    """
    if season not in SEASONS:
        raise ConfigError(
            f"season {season!r}: use 'last_year', 'profile' or 'flat'",
            expected="'last_year', 'profile' or 'flat'",
            hint="set plan.season to last_year (the default), profile or flat "
            "(docs/forecast.md, 'Seasons')",
        )
    if season != "profile":
        if profile:
            raise ConfigError(
                f"season_profile is given but season is {season!r}",
                hint="set plan.season: profile to plan by the profile, or remove plan.season_profile",
            )
        return ()
    bad = [w for w in profile if not (isinstance(w, int | float) and math.isfinite(w) and w >= 0)]
    if len(profile) != 12 or bad or not any(profile):
        raise ConfigError(
            f"season_profile must be 12 monthly weights >= 0, not all 0; got {list(profile)!r}",
            expected="12 numbers >= 0, January first",
            hint="write plan.season_profile as 12 weights, January first, e.g. "
            "[6, 6, 8, 8, 8, 9, 7, 7, 9, 9, 10, 13] (shares or amounts: only the proportions count)",
        )
    return tuple(round(float(w) * _PROFILE_SCALE) for w in profile)


def _months(period: str) -> list[pd.Timestamp]:
    first, last = period_bounds(period)
    return list(pd.date_range(first, last, freq="MS"))


def season_shapes(
    history: pd.DataFrame | PreparedHistory,
    period: str,
    as_of: Week | str,
    teams: Sequence[str],
    *,
    season: str = "last_year",
    profile: Sequence[int] = (),
    week_rule: str = "working_days",
) -> dict[str, SeasonShape]:
    """Each team's :class:`SeasonShape` for ``period`` as of ``as_of`` (``profile``: the
    whole-number weights of :func:`check_season`)."""
    as_of = as_week(as_of)
    months = _months(period)
    labels = tuple(f"{m:%Y-%m}" for m in months)
    flat = SeasonShape("flat", period, labels, wanted=season, week_rule=week_rule, as_of=str(as_of))
    if len(months) == 1:
        return {t: _fallback(flat, "one_month") for t in teams}
    if season == "flat":
        return dict.fromkeys(teams, flat)
    if season == "profile":
        weights = tuple(int(profile[m.month - 1]) for m in months)
        shape = replace(flat, rule="profile", weights=weights)
        return dict.fromkeys(teams, shape if any(weights) else _fallback(flat, "profile_zero"))
    return _last_year(history, flat, months, teams)


def _fallback(flat: SeasonShape, reason: str, base_year: int | None = None) -> SeasonShape:
    return replace(flat, rule="flat", weights=(), reason=reason, base_year=base_year)


def _last_year(
    history: pd.DataFrame | PreparedHistory,
    flat: SeasonShape,
    months: list[pd.Timestamp],
    teams: Sequence[str],
) -> dict[str, SeasonShape]:
    """Same months a year earlier: covered when the team's first stored week is the
    week of the first of them or earlier."""
    base = [m - pd.DateOffset(years=1) for m in months]
    first_day, last_day = base[0], base[-1] + pd.offsets.MonthEnd(0)
    year = int(first_day.year)
    start = str(Week.of(first_day.date()))
    if not len(history):
        return {t: _fallback(flat, "not_covered", year) for t in teams}
    prepared = as_prepared(history).upto(flat.as_of)
    first_week = prepared.frame.groupby("team")["snapshot_week"].min().astype(str)
    won = won_deals(prepared, None, flat.as_of)
    won = won[(won["close_date"] >= first_day) & (won["close_date"] <= last_day)]
    cents = (won["amount"].astype(float) * 100).round().astype("int64")
    by_month = cents.groupby([won["team"], won["close_date"].dt.month]).sum()
    out = {}
    for team in teams:
        if team not in first_week.index or first_week[team] > start:
            out[team] = _fallback(flat, "not_covered", year)
            continue
        mine = by_month.xs(team, level=0) if team in by_month.index.get_level_values(0) else None
        weights = tuple(int(mine.get(b.month, 0)) if mine is not None else 0 for b in base)
        out[team] = (
            replace(flat, rule="last_year", weights=weights, base_year=year)
            if any(weights)
            else _fallback(flat, "no_won", year)
        )
    return out


def seasonal_week_cents(
    cents: np.ndarray, days: pd.DataFrame, shape: SeasonShape
) -> tuple[list[str], np.ndarray]:
    """Each target of ``cents`` split by ``shape``'s month weights, then each month's cents
    over its weeks by ``days``' ``count`` (one row per day of the period: ``day``,
    ``week`` label, ``count`` 0 or 1 under the week rule); the ISO week labels and one
    row of parts per target, summing exactly to it.

    >>> days = pd.DataFrame({"day": pd.date_range("2026-10-01", "2026-11-30")})
    >>> days = days.assign(week=[str(Week.of(d.date())) for d in days["day"]], count=1)
    >>> shape = SeasonShape("profile", "x", ("2026-10", "2026-11"), (1, 3))
    >>> weeks, parts = seasonal_week_cents(np.array([400]), days, shape)
    >>> int(parts[0][weeks.index("2026-W44")])  # 6 of Oct's 31 days of 100, 1 of Nov's 30 of 300
    29
    """
    weeks = sorted(days["week"].unique())
    column = {w: i for i, w in enumerate(weeks)}
    month_cents = allocate_cents(cents, list(shape.weights))
    month_cents = month_cents.reshape(len(cents), -1)
    out = np.zeros((len(cents), len(weeks)), dtype=np.int64)
    month_of = days["day"].dt.strftime("%Y-%m")
    for k, month in enumerate(shape.months):
        mine = days[month_of == month]
        counts = mine.groupby("week", sort=True)["count"].sum()
        if not counts.any():  # a month without a working day: its calendar days
            counts = mine.groupby("week", sort=True)["count"].size()
        parts = allocate_cents(month_cents[:, k], counts.to_numpy()).reshape(len(cents), -1)
        out[:, [column[w] for w in counts.index]] += parts
    return weeks, out


def _share_list(shape: SeasonShape, lang: str) -> str:
    """The months' shares of the period (a year: the as-of month's share of the year)."""
    weights = np.asarray(shape.weights, dtype=float)
    numbers = [int(m[5:]) for m in shape.months]
    pairs = list(zip(numbers, weights / weights.sum(), strict=True))
    month = Week.parse(shape.as_of).sunday.month if shape.as_of else 0
    year = len(pairs) > 3 and month in numbers
    if year:
        pairs = [pairs[numbers.index(month)]]
    if lang == "zh":
        text = "、".join(f"{n}月 {s:.0%}" for n, s in pairs)
        return f"{text.replace(' ', '占全年 ')}" if year else text
    text = ", ".join(f"{_MONTHS_EN[n - 1]} {s:.0%}" for n, s in pairs)
    return f"{text} of {'the year' if year else 'the quarter'}"


#: Why a plan fell back to flat, in en and zh ({months}: last year's months, e.g.
#: 2025-10 to 2025-12).
_REASONS: dict[str, tuple[str, str]] = {
    "": ("no seasonal shape set", "未设淡旺季分布"),
    "not_covered": (
        "the stored history does not reach back to {months}",
        "已存历史未覆盖去年同期 {months}",
    ),
    "no_won": ("nothing was won in {months}", "去年同期 {months} 没有赢单"),
    "profile_zero": (
        "the configured profile gives these months no weight",
        "配置的各月分布在本期各月均为 0",
    ),
    "one_month": ("one month: no seasons within it", "单月：月内不分淡旺季"),
}


def plan_rule_text(shape: SeasonShape, lang: str = "en") -> str:
    """The rule the plan to date follows, in one short phrase (en or zh): the one wording
    the review, the dashboard and the coaching sheets print wherever the plan appears.

    >>> flat = SeasonShape("flat", "2026-Q4", ("2026-10", "2026-11", "2026-12"),
    ...     base_year=2025, wanted="last_year", reason="not_covered")
    >>> plan_rule_text(flat, "en")
    'plan to date is a straight line in working days (the stored history does not reach back to 2025-10 to 2025-12)'
    >>> plan_rule_text(flat, "zh")
    '计划进度按工作日平均分摊（已存历史未覆盖去年同期 2025-10 至 2025-12，未按淡旺季分解）'
    """
    zh = check_language(lang) == "zh"
    if shape.rule == "last_year":
        shares = _share_list(shape, lang)
        if zh:
            return f"计划进度按去年各月分布（淡旺季）分解（{shape.base_year} 年：{shares}）"
        return f"plan to date follows last year's months ({shape.base_year}: {shares})"
    if shape.rule == "profile":
        shares = _share_list(shape, lang)
        if zh:
            return f"计划进度按配置的各月分布（淡旺季）分解（{shares}）"
        return f"plan to date follows the configured monthly profile ({shares})"
    days = ("日历天", "calendar days") if shape.week_rule == "days" else ("工作日", "working days")
    first, last = shape.months[0], shape.months[-1]
    if shape.base_year is not None:
        shift = shape.base_year - int(first[:4])
        first, last = f"{int(first[:4]) + shift}{first[4:]}", f"{int(last[:4]) + shift}{last[4:]}"
    en, cn = _REASONS[shape.reason]
    months = f"{first} 至 {last}" if zh else f"{first} to {last}"
    reason = (cn if zh else en).format(months=months)
    if zh:
        tail = "，未按淡旺季分解" if shape.reason not in ("", "one_month") else ""
        return f"计划进度按{days[0]}平均分摊（{reason}{tail}）"
    return f"plan to date is a straight line in {days[1]} ({reason})"
