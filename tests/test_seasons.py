"""Seasonal plans (plan.season: last year's months, a profile, flat) and rep targets by
history or capacity (plan.rep_split), each figure computed by hand on a small frame, and
the one wording of each rule in both languages (docs/method.md §3, docs/forecast.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from _boundaries import boundary
from pipereview.config import Config
from pipereview.core._errors import ConfigError, InputError
from pipereview.diagnostics import (
    SeasonShape,
    load_targets,
    plan_rule_text,
    rep_rule_text,
)
from pipereview.diagnostics._targets import (
    PlanSettings,
    plan_shapes,
    plan_to_date,
    progress,
    rep_targets,
)
from pipereview.week import WeekDiagnostics

Q4 = ("2025-10", "2025-11", "2025-12")


def _won(
    week: str, deals: dict[str, tuple[str, float, str]], team: str = "N"
) -> list[dict[str, Any]]:
    return [
        {
            "snapshot_week": week,
            "team": team,
            "deal_id": deal,
            "deal_name": deal,
            "account": "Acme",
            "owner": owner,
            "stage": "won",
            "stage_model": "generic_4",
            "amount": amount,
            "currency": "USD",
            "close_date": pd.Timestamp(close),
        }
        for deal, (owner, amount, close) in deals.items()
    ]


#: last year's won: 10% in October, 30% in November, 60% in December 2024
LAST_YEAR = {
    "A": ("Ann", 1_000.0, "2024-10-15"),
    "B": ("Ann", 3_000.0, "2024-11-12"),
    "C": ("Bob", 6_000.0, "2024-12-10"),
}


def _history(first_week: str = "2024-W40", deals: dict[str, Any] | None = None) -> pd.DataFrame:
    deals = LAST_YEAR if deals is None else deals
    rows = _won(first_week, {"X": ("Ann", 1.0, "2024-09-20")})
    rows += _won("2025-W01", deals) + _won("2025-W48", deals)
    return pd.DataFrame(rows)


def _team_target(amount: float, period: str = "2025-Q4") -> pd.DataFrame:
    return pd.DataFrame(
        {"team": ["N"], "owner": [""], "period": [period], "amount": [amount], "currency": "USD"}
    )


# --- the plan to date by last year's months -----------------------------------------------
def test_last_year_10_30_60_plans_40_percent_at_the_end_of_november() -> None:
    # 2025-W48 ends on Sunday 30 November: October (10%) and November (30%) are planned
    row = progress(_history(), _team_target(10_000.0), "2025-Q4", "2025-W48").iloc[0]
    assert (row["plan_to_date"], row["expected_share"]) == (4_000.0, 0.4)
    shape = plan_shapes(_history(), "2025-Q4", "2025-W48", ["N"])["N"]
    assert (shape.rule, shape.base_year, shape.weights) == (
        "last_year",
        2024,
        (100_000, 300_000, 600_000),
    )


def test_last_year_splits_october_by_its_working_days() -> None:
    # October 2025: Wed 1 .. Fri 31, 23 working days: W40 3, W41..W44 5 each. Its 1,000.00
    # = 100,000 cents: quotas 13,043.48 and 21,739.13 x 4 -> 99,999, the cent to W40's
    # larger remainder. As of W42: 13,044 + 21,739 + 21,739 = 56,522 cents.
    shape = plan_shapes(_history(), "2025-Q4", "2025-W42", ["N"])["N"]
    plan = plan_to_date(pd.Series([10_000.0]), "2025-Q4", "2025-W42", shape=shape)
    assert plan.tolist() == [565.22]
    # W44 (Mon 27 Oct .. Sun 2 Nov) holds October's last 5 days and a November weekend
    shape = plan_shapes(_history(), "2025-Q4", "2025-W44", ["N"])["N"]
    assert plan_to_date(pd.Series([10_000.0]), "2025-Q4", "2025-W44", shape=shape).tolist() == [
        1_000.0
    ]


def test_a_configured_profile_shapes_the_plan_and_the_weeks_of_a_month_by_working_days() -> None:
    # profile 1 : 3 : 6 over Q4 -> October 1,000.00, November 3,000.00 of 10,000.00.
    # November 2026: 21 working days (W45..W48 5 each, W49 Mon 30th 1; Sun 1st in W44 0):
    # 300,000 cents: quotas 71,428.57 x 4 and 14,285.71 -> 299,997; the 3 cents go to W49
    # (.714), then W45 and W46 (.571, ties to the earlier). As of W48: 71,429 x 2 +
    # 71,428 x 2 = 285,714; with October's 100,000: 385,714 cents.
    settings = PlanSettings(season="profile", season_profile=(1,) * 9 + (1, 3, 6))
    shape = plan_shapes(pd.DataFrame(), "2026-Q4", "2026-W48", ["N"], settings)["N"]
    plan = plan_to_date(pd.Series([10_000.0]), "2026-Q4", "2026-W48", settings, shape)
    assert plan.tolist() == [3_857.14]
    # the whole quarter is the target, to the cent
    end = plan_to_date(pd.Series([10_000.01]), "2026-Q4", "2026-W53", settings, shape)
    assert end.tolist() == [10_000.01]


def test_a_month_without_a_working_day_is_split_by_its_calendar_days() -> None:
    # every weekday of October 2026 a holiday (a shutdown): profile 1 : 1 : 2 gives October
    # 2,500.00 = 250,000 cents over its 31 calendar days: W40 (Thu 1 .. Sun 4) 4 days,
    # W41..W43 7 each, W44 (Mon 26 .. Sat 31) 6. Quotas 32,258.06, 56,451.61 x 3 and
    # 48,387.10 -> 249,998; the 2 cents to W41 and W42 (.61, ties to the earlier). As of
    # W42: 32,258 + 56,452 + 56,452 = 145,162 cents; as of W44 the whole of October.
    shutdown = pd.date_range("2026-10-01", "2026-10-31")
    shutdown = frozenset(d.date() for d in shutdown[shutdown.day_of_week < 5])
    settings = PlanSettings(
        season="profile", season_profile=(1,) * 9 + (1, 1, 2), holidays=shutdown
    )
    shape = plan_shapes(pd.DataFrame(), "2026-Q4", "2026-W42", ["N"], settings)["N"]
    plans = [
        plan_to_date(pd.Series([10_000.0]), "2026-Q4", week, settings, shape).tolist()
        for week in ("2026-W40", "2026-W42", "2026-W43", "2026-W44")
    ]
    assert plans == [[322.58], [1_451.62], [2_016.13], [2_500.0]]


def test_a_flat_season_keeps_todays_plan_exactly() -> None:
    flat = PlanSettings(season="flat")
    shape = plan_shapes(_history(), "2025-Q4", "2025-W48", ["N"], flat)["N"]
    assert shape.rule == "flat"
    assert plan_to_date(pd.Series([6_600.0]), "2026-Q4", "2026-W41", flat, shape).tolist() == [
        700.0
    ]


@pytest.mark.parametrize(
    ("first_week", "deals", "reason"),
    [
        # the store begins the week after the one holding 1 October 2024
        ("2024-W41", LAST_YEAR, "not_covered"),
        # the store reaches back, but nothing was won in October-December 2024
        ("2024-W40", {"Z": ("Ann", 500.0, "2024-09-02")}, "no_won"),
    ],
)
def test_last_year_falls_back_to_flat_and_says_why(
    first_week: str, deals: dict[str, Any], reason: str
) -> None:
    history = _history(first_week, deals)
    shape = plan_shapes(history, "2025-Q4", "2025-W48", ["N"])["N"]
    assert (shape.rule, shape.reason, shape.wanted) == ("flat", reason, "last_year")
    seasonal = progress(history, _team_target(6_600.0), "2025-Q4", "2025-W48")
    flat = progress(
        history, _team_target(6_600.0), "2025-Q4", "2025-W48", settings=PlanSettings(season="flat")
    )
    assert seasonal["plan_to_date"].tolist() == flat["plan_to_date"].tolist()


def test_coverage_is_the_week_holding_the_first_of_last_years_months() -> None:
    # 1 October 2024 is a Tuesday of 2024-W40: a store from W40 (or earlier) covers it
    for week, rule in (("2024-W39", "last_year"), ("2024-W40", "last_year"), ("2024-W41", "flat")):
        assert plan_shapes(_history(week), "2025-Q4", "2025-W48", ["N"])["N"].rule == rule


def test_degenerate_seasons_one_month_no_history_and_a_zero_profile() -> None:
    month = plan_shapes(_history(), "2025-11", "2025-W48", ["N"])["N"]
    assert (month.rule, month.reason) == ("flat", "one_month")
    empty = plan_shapes(pd.DataFrame(), "2025-Q4", "2025-W48", ["N"])["N"]
    assert (empty.rule, empty.reason) == ("flat", "not_covered")
    zero = PlanSettings(season="profile", season_profile=(1,) * 9 + (0, 0, 0))
    shape = plan_shapes(pd.DataFrame(), "2026-Q4", "2026-W48", ["N"], zero)["N"]
    assert (shape.rule, shape.reason) == ("flat", "profile_zero")


# --- the wording of the plan's rule ---------------------------------------------------------
@pytest.mark.parametrize(
    ("shape", "en", "zh"),
    [
        (
            SeasonShape("last_year", "2025-Q4", Q4, (1, 3, 6), base_year=2024),
            "plan to date follows last year's months (2024: Oct 10%, Nov 30%, Dec 60% of the quarter)",
            "计划进度按去年各月分布（淡旺季）分解（2024 年：10月 10%、11月 30%、12月 60%）",
        ),
        (
            SeasonShape(
                "last_year",
                "2025",
                tuple(f"2025-{m:02}" for m in range(1, 13)),
                (5,) * 10 + (9, 45),
                base_year=2024,
                as_of="2025-W48",
            ),
            "plan to date follows last year's months (2024: Nov 9% of the year)",
            "计划进度按去年各月分布（淡旺季）分解（2024 年：11月占全年 9%）",
        ),
        (
            SeasonShape("profile", "2025-Q4", Q4, (2, 1, 1)),
            "plan to date follows the configured monthly profile (Oct 50%, Nov 25%, Dec 25% of the quarter)",
            "计划进度按配置的各月分布（淡旺季）分解（10月 50%、11月 25%、12月 25%）",
        ),
        (
            SeasonShape("flat", "2025-Q4", Q4, wanted="flat"),
            "plan to date is a straight line in working days (no seasonal shape set)",
            "计划进度按工作日平均分摊（未设淡旺季分布）",
        ),
        (
            SeasonShape("flat", "2025-Q4", Q4, base_year=2024, reason="no_won", week_rule="days"),
            "plan to date is a straight line in calendar days (nothing was won in 2024-10 to 2024-12)",
            "计划进度按日历天平均分摊（去年同期 2024-10 至 2024-12 没有赢单，未按淡旺季分解）",
        ),
        (
            SeasonShape("flat", "2025-11", ("2025-11",), reason="one_month"),
            "plan to date is a straight line in working days (one month: no seasons within it)",
            "计划进度按工作日平均分摊（单月：月内不分淡旺季）",
        ),
    ],
)
def test_the_plan_rule_in_both_languages(shape: SeasonShape, en: str, zh: str) -> None:
    assert (plan_rule_text(shape, "en"), plan_rule_text(shape, "zh")) == (en, zh)


def test_the_review_states_the_plan_rule_beside_the_targets() -> None:
    from pipereview.delivery import WeeklyReview

    history = _history()
    open_deal = history.iloc[[-1]].assign(
        deal_id="O", stage="negotiation", close_date=pd.Timestamp("2025-12-20")
    )
    rows = pd.concat([history, open_deal], ignore_index=True)
    targets = _team_target(10_000.0)
    review = WeeklyReview(rows, team="N", week="2025-W48", targets=targets)
    # the file gives the team's total only: the reps' targets are split from it, and said so
    assert (
        "Plan to date follows last year&#x27;s months (2024: Oct 10%, Nov 30%, Dec 60% of the "
        "quarter); rep targets split by the last 4 quarters&#x27; won amounts (2024-Q4 to "
        "2025-Q3), each rep at least 50% of an equal share."
        in review.forecast_section()._repr_html_()
    )
    zh = WeeklyReview(rows, team="N", week="2025-W48", targets=targets, lang="zh")
    assert "计划进度按去年各月分布（淡旺季）分解" in zh.forecast_section()._repr_html_()
    # without targets there is no plan, and no rule is stated
    bare = WeeklyReview(rows, team="N", week="2025-W48")
    assert "plan-rule" not in bare.forecast_section()._repr_html_()
    # the coaching context words the same rule, computed once, and the reps' split after it
    context = WeekDiagnostics(rows, as_of="2025-W48", targets=targets)
    assert context.plan_rule("N", "en") == (
        plan_rule_text(context.plan_shapes["N"], "en")
        + "; "
        + rep_rule_text("history", "en", period="2025-Q4")
    )


# --- rep targets by capacity and by history -------------------------------------------------
def _reps(total: float, **capacity: float | None) -> pd.DataFrame:
    owners = list(capacity)
    return pd.DataFrame(
        {
            "team": "N",
            "owner": ["", *owners],
            "period": "2026-Q4",
            "amount": [total] + [None] * len(owners),
            "currency": "USD",
            "capacity": [None, *capacity.values()],
        }
    )


def test_rep_split_by_capacity_sums_to_the_cent() -> None:
    # 1,000.01 = 100,001 cents over capacities 1 : 1 : 0.5: quotas 40,000.4, 40,000.4 and
    # 20,000.2 -> 100,000; the cent to Ann (largest remainder, ties to the earlier)
    settings = PlanSettings(rep_split="capacity")
    out = rep_targets(_reps(1_000.01, Ann=1.0, Bob=1.0, Cy=0.5), "N", "2026-Q4", settings=settings)
    assert out["target"].tolist() == [400.01, 400.0, 200.0]
    assert set(out["rule"]) == {"capacity"}
    # the configuration's capacity where the file has none; the file's wins where both
    config = PlanSettings(rep_split="capacity", capacity={"Cy": 0.5, "Ann": 0.25})
    out = rep_targets(_reps(1_000.0, Ann=1.0, Bob=None, Cy=None), "N", "2026-Q4", settings=config)
    assert out["target"].tolist() == [400.0, 400.0, 200.0]


def _rep_history(deals: dict[str, tuple[str, float, str]]) -> pd.DataFrame:
    return pd.DataFrame(_won("2026-W40", deals))


def test_rep_split_by_history_lifts_a_new_rep_to_the_floor() -> None:
    # last 4 quarters before 2026-Q4 (2025-Q4 .. 2026-Q3): Ann 6,000, Bob 3,000, Cy (new) 0.
    # Floor 0.5 of an equal share: 0.5 x 9,000 / 3 = 1,500 -> weights 6,000 : 3,000 : 1,500
    history = _rep_history(
        {"A": ("Ann", 6_000.0, "2026-03-10"), "B": ("Bob", 3_000.0, "2025-10-01")}
    )
    out = rep_targets(_reps(10_500.0, Ann=None, Bob=None, Cy=None), "N", "2026-Q4", history=history)
    assert out["target"].tolist() == [6_000.0, 3_000.0, 1_500.0]
    assert set(out["rule"]) == {"history"}
    assert out["target"].sum() == 10_500.0


def test_rep_split_falls_back_to_capacity_then_equal_and_names_it() -> None:
    nothing = _rep_history({"A": ("Ann", 6_000.0, "2024-03-10")})  # before the window
    capacity = _reps(90.0, Ann=1.0, Bob=0.5)
    out = rep_targets(capacity, "N", "2026-Q4", history=nothing)
    assert (out["target"].tolist(), out["rule"].iloc[0]) == ([60.0, 30.0], "capacity")
    plain = _reps(100.0, Ann=None, Bob=None, Cy=None)
    out = rep_targets(plain, "N", "2026-Q4", history=nothing)
    assert (out["target"].tolist(), out["rule"].iloc[0]) == ([33.34, 33.33, 33.33], "equal")
    # equal asked for: history is not read
    history = _rep_history({"A": ("Ann", 6_000.0, "2026-03-10")})
    equal = PlanSettings(rep_split="equal")
    out = rep_targets(plain, "N", "2026-Q4", history=history, settings=equal)
    assert out["rule"].iloc[0] == "equal"


def test_one_rep_takes_the_whole_target_under_every_rule() -> None:
    history = _rep_history({"A": ("Ann", 10.0, "2026-03-10")})
    for split in ("history", "capacity", "equal"):
        out = rep_targets(
            _reps(123.45, Ann=0.5),
            "N",
            "2026-Q4",
            history=history,
            settings=PlanSettings(rep_split=split),  # type: ignore[arg-type]
        )
        assert out["target"].tolist() == [123.45]


@boundary("plan.history_quarters")
def test_the_history_window_starts_on_the_first_day_of_its_first_quarter() -> None:
    # 4 quarters before 2026-Q4 begin on 1 October 2025: Bob's deal of that day counts
    # (at), one of 30 September does not (just before), and 5 quarters take it (above)
    reps = _reps(100.0, Ann=None, Bob=None)
    ann = {"A": ("Ann", 1_000.0, "2026-03-10")}
    at = _rep_history({**ann, "B": ("Bob", 1_000.0, "2025-10-01")})
    assert rep_targets(reps, "N", "2026-Q4", history=at)["target"].tolist() == [50.0, 50.0]
    before = _rep_history({**ann, "B": ("Bob", 1_000.0, "2025-09-30")})
    # Bob won nothing in the window: lifted to the floor, 0.5 x 1,000 / 2 = 250 -> 4 : 1
    assert rep_targets(reps, "N", "2026-Q4", history=before)["target"].tolist() == [80.0, 20.0]
    five = PlanSettings(history_quarters=5)
    out = rep_targets(reps, "N", "2026-Q4", history=before, settings=five)
    assert out["target"].tolist() == [50.0, 50.0]
    three = PlanSettings(history_quarters=3)  # from 1 January 2026: Bob's 1 October is out
    assert rep_targets(reps, "N", "2026-Q4", history=at, settings=three)["target"].tolist() == [
        80.0,
        20.0,
    ]


@boundary("plan.history_floor")
@pytest.mark.parametrize(
    ("cy_won", "total", "expected"),
    [
        # floor = 0.5 x (3,000 + Cy) / 2 reps. Cy exactly at it (1,000 of 4,000): own share
        (1_000.0, 4_000.0, [3_000.0, 1_000.0]),
        # just below (999.99; floor 999.9975 -> 100,000 cents): lifted to the floor
        (999.99, 4_000.0, [3_000.0, 1_000.0]),
        # just above (1,000.01; floor 1,000.0025 -> 100,000 cents): own 100,001 cents
        (1_000.01, 4_000.01, [3_000.0, 1_000.01]),
    ],
)
def test_the_history_floor_exactly_at_below_and_above(
    cy_won: float, total: float, expected: list[float]
) -> None:
    history = _rep_history({"A": ("Ann", 3_000.0, "2026-03-10"), "C": ("Cy", cy_won, "2026-04-10")})
    out = rep_targets(_reps(total, Ann=None, Cy=None), "N", "2026-Q4", history=history)
    assert out["target"].tolist() == expected
    # without a floor, Cy just below keeps her own share: 300,000 : 99,999 of 400,000
    bare = PlanSettings(history_floor=0.0)
    low = _rep_history({"A": ("Ann", 3_000.0, "2026-03-10"), "C": ("Cy", 999.99, "2026-04-10")})
    out = rep_targets(_reps(4_000.0, Ann=None, Cy=None), "N", "2026-Q4", history=low, settings=bare)
    assert out["target"].tolist() == [3_000.01, 999.99]


@pytest.mark.parametrize(
    ("rule", "kwargs", "en", "zh"),
    [
        (
            "history",
            {"period": "2026-Q4"},
            "rep targets split by the last 4 quarters' won amounts (2025-Q4 to 2026-Q3), "
            "each rep at least 50% of an equal share",
            "销售目标按最近 4 个季度的赢单金额分配（2025-Q4 至 2026-Q3），每人至少为平均份额的 50%",
        ),
        (
            "capacity",
            {},
            "rep targets split by capacity (1 = a full rep)",
            "销售目标按产能分配（1 = 满产能）",
        ),
        (
            "equal",
            {},
            "equal shares (一刀切): no won history or capacity given",
            "销售目标平均分配（一刀切）：没有历史赢单或产能数据",
        ),
        (
            "equal",
            {"wanted": "equal"},
            "equal shares (一刀切), as configured",
            "销售目标平均分配（一刀切），按配置",
        ),
        ("given", {}, "rep targets as given in the targets file", "销售目标取自目标文件"),
    ],
)
def test_the_rep_rule_in_both_languages(
    rule: str, kwargs: dict[str, Any], en: str, zh: str
) -> None:
    assert rep_rule_text(rule, "en", **kwargs) == en
    assert rep_rule_text(rule, "zh", **kwargs) == zh
    assert rep_rule_text(rule, **kwargs) == en  # English unless told


# --- settings and the targets file ----------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message", "expected", "hint"),
    [
        (
            {"season": "winter"},
            "season 'winter': use 'last_year', 'profile' or 'flat'",
            "'last_year', 'profile' or 'flat'",
            "set plan.season to last_year (the default), profile or flat (docs/forecast.md, "
            "'Seasons')",
        ),
        (
            {"season": "profile", "season_profile": (1,) * 11},
            "season_profile must be 12 monthly weights >= 0, not all 0; got [1, 1, 1, 1, 1, "
            "1, 1, 1, 1, 1, 1] (expected 12 numbers >= 0, January first)",
            "12 numbers >= 0, January first",
            "write plan.season_profile as 12 weights, January first, e.g. [6, 6, 8, 8, 8, 9, "
            "7, 7, 9, 9, 10, 13] (shares or amounts: only the proportions count)",
        ),
    ],
    ids=["season", "season_profile"],
)
def test_season_settings_are_refused_whole(
    kwargs: dict[str, Any], message: str, expected: str, hint: str
) -> None:
    with pytest.raises(ConfigError) as info:
        PlanSettings(**kwargs)
    assert str(info.value) == f"{message}\nHint: {hint}"
    assert (info.value.expected, info.value.hint) == (expected, hint)


def test_an_unknown_rep_split_in_plan_settings_names_the_three_rules() -> None:
    with pytest.raises(ConfigError) as info:
        PlanSettings(rep_split="seniority")  # type: ignore[arg-type]
    assert str(info.value) == (
        "rep_split 'seniority': use 'history', 'capacity' or 'equal'\n"
        "Hint: set plan.rep_split to history (the default), capacity or equal"
    )
    assert info.value.expected == "'history', 'capacity' or 'equal'"


@pytest.mark.parametrize(
    ("plan", "message", "hint"),
    [
        ({"season": "profile"}, "season_profile must be 12 monthly weights", "12 weights"),
        (
            {"season_profile": [1] * 12},
            "season_profile is given but season is 'last_year'",
            "season: profile",
        ),
        ({"season": "profile", "season_profile": [1] * 11}, "got [1.0, 1.0", "January first"),
        ({"season": "profile", "season_profile": [0] * 12}, "not all 0", "only the proportions"),
        ({"rep_split": "seniority"}, "plan.rep_split must be", "history"),
        ({"capacity": {"Cy": 1.5}}, "capacity of Cy must be a share of a full rep's", "ramp-up"),
        (
            {"history_quarters": 0},
            "history_quarters must be a whole number of at least 1",
            "e.g. 4",
        ),
        ({"history_floor": 1.5}, "history_floor must be between 0 and 1", "e.g. 0.5"),
    ],
)
def test_plan_settings_are_refused_with_a_hint(
    plan: dict[str, Any], message: str, hint: str
) -> None:
    with pytest.raises(ConfigError) as info:
        Config.from_mapping({"plan": plan}, source="c.yaml")
    assert info.value.message.startswith("c.yaml: plan")
    assert message in info.value.message
    assert hint in (info.value.hint or "")


def test_plan_settings_are_read_and_written_back() -> None:
    data = {
        "plan": {
            "season": "profile",
            "season_profile": [6, 6, 8, 8, 8, 9, 7, 7, 9, 9, 10, 13],
            "rep_split": "capacity",
            "capacity": {"Cy": 0.5},
        }
    }
    config = Config.from_mapping(data)
    assert config.plan.season_profile[-1] == 13.0 and dict(config.plan.capacity) == {"Cy": 0.5}
    assert Config.from_mapping(config.to_mapping()) == config
    assert (PlanSettings().season, PlanSettings().rep_split) == ("last_year", "history")


def test_the_targets_file_reads_an_optional_capacity_column(tmp_path: Path) -> None:
    path = tmp_path / "targets.csv"
    path.write_text(
        "team,owner,period,amount,currency,capacity\n"
        "N,,2026-Q4,900,USD,\n"
        "N,Ann,2026-Q4,,USD,1\n"
        "N,Cy,2026-Q4,,USD,0.5\n",
        encoding="utf-8",
    )
    targets = load_targets(path)
    assert targets["capacity"].tolist()[1:] == [1.0, 0.5]
    out = rep_targets(targets, "N", "2026-Q4", settings=PlanSettings(rep_split="capacity"))
    assert out["target"].tolist() == [600.0, 300.0]
    path.write_text(
        "team,owner,period,amount,currency,capacity\n"
        "N,,2026-Q4,,USD,1\n"  # row 2: a team's total needs an amount
        "N,Ann,2026-Q4,10,USD,2\n",  # row 3: capacity above 1
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        load_targets(path)
    assert [(p.row, p.column) for p in info.value.problems] == [(2, "amount"), (3, "capacity")]


def test_a_rep_with_only_a_capacity_has_no_target_in_progress() -> None:
    targets = _reps(900.0, Ann=1.0, Cy=0.5)
    history = _rep_history({"A": ("Ann", 10.0, "2026-10-10")})
    assert progress(history, targets, "2026-Q4", "2026-W47", by="rep").empty
