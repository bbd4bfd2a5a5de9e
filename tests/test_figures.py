"""pipereview.diagnostics._figures: each printed figure's one definition, by hand on small cases, and
one team-week giving one value of each figure in headline, changes, trends, review,
dashboard state and coaching context."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pipereview.coaching import coaching_findings, coaching_prompts
from pipereview.diagnostics._figures import (
    activity_days,
    as_of_day,
    coverage_needed,
    days_text,
    gap_text,
    new_deal_counts,
    new_deals,
    outlook,
    outlook_text,
    plan_deviation,
    plan_deviation_text,
    stage_days,
    win_rate,
)
from pipereview.diagnostics._forecast import period_forecast
from pipereview.diagnostics._targets import progress
from pipereview.history._store import SnapshotStore
from pipereview.history._trail import with_deal_keys
from pipereview.week import WeekDiagnostics

CLOSE = pd.Timestamp("2026-12-15")


def deal(
    week: str,
    deal_id: str,
    stage: str = "initial_contact",
    *,
    team: str = "T",
    owner: str = "Ann",
    amount: float = 100.0,
    close: pd.Timestamp = CLOSE,
    activity: str | None = None,
    created: str = "2026-09-01",
) -> dict[str, Any]:
    return {
        "snapshot_week": week,
        "team": team,
        "deal_id": deal_id,
        "deal_name": f"Deal {deal_id}",
        "account": f"Acct {deal_id}",
        "owner": owner,
        "stage": stage,
        "stage_model": "generic_4",
        "amount": amount,
        "currency": "EUR",
        "close_date": close,
        "created_date": pd.Timestamp(created),
        "probability": np.nan,
        "forecast_category": "pipeline",
        "last_activity_date": pd.Timestamp(activity) if activity else pd.NaT,
        "next_step": "call",
        "account_missing": False,
        "source_file": "x.csv",
        "source_row": 2,
    }


# --- the as-of moment ---------------------------------------------------------------------
def test_a_weeks_export_stands_for_the_end_of_its_week() -> None:
    assert as_of_day("2026-W47") == pd.Timestamp("2026-11-22")  # Sunday
    assert as_of_day("2026-W53") == pd.Timestamp("2027-01-03")


# --- new deals ----------------------------------------------------------------------------
def test_new_deals_counted_in_the_week_of_their_first_stored_row() -> None:
    h = pd.DataFrame(
        [
            deal("2026-W45", "a"),
            deal("2026-W45", "b"),
            # c was created on Tuesday of W45, after a Monday export: first stored in W46
            deal("2026-W46", "a"),
            deal("2026-W46", "b"),
            deal("2026-W46", "c", created="2026-11-03"),
            # d new and open, e new and already won: both new; b left the export
            deal("2026-W47", "a"),
            deal("2026-W47", "c"),
            deal("2026-W47", "d"),
            deal("2026-W47", "e", "won"),
            # b is back after a week away: not new
            deal("2026-W48", "a"),
            deal("2026-W48", "b"),
            # team U is first stored in W46: its first week has no figure
            deal("2026-W46", "u1", team="U"),
            deal("2026-W47", "u1", team="U"),
            deal("2026-W47", "u2", team="U"),
        ]
    )
    counts = new_deal_counts(with_deal_keys(h))
    t = counts[counts["team"] == "T"].set_index("week")["new_deals"]
    assert math.isnan(t["2026-W45"])  # first stored week: unknown, not "all" or 0
    assert t[["2026-W46", "2026-W47", "2026-W48"]].tolist() == [1.0, 2.0, 0.0]
    u = counts[counts["team"] == "U"].set_index("week")["new_deals"]
    assert math.isnan(u["2026-W46"]) and u["2026-W47"] == 1.0
    assert "2026-W45" not in u.index
    # a window of weeks adds them up; the week alone as of W47
    assert new_deals(h, "2026-W47").set_index("team")["new_deals"].to_dict() == {"T": 2.0, "U": 1.0}
    assert new_deals(h, "2026-W48", weeks=3).set_index("team")["new_deals"]["T"] == 3.0
    # per rep: in the rep of the deal's first row
    reps = new_deals(h, "2026-W47", group_columns=("team", "owner"))
    assert reps.set_index(["team", "owner"])["new_deals"].to_dict() == {
        ("T", "Ann"): 2.0,
        ("U", "Ann"): 1.0,
    }


def test_new_deal_counts_by_rep_alone_are_a_float_figure_like_by_team() -> None:
    # grouped without the team: no first-week NaN, and every (rep, week) has a new deal;
    # the counts stay floats (1.0), the same column type as by team
    h = pd.DataFrame(
        [
            deal("2026-W46", "a", owner="Ann"),
            deal("2026-W47", "a", owner="Ann"),
            deal("2026-W47", "b", owner="Ann"),
        ]
    )
    expected = pd.DataFrame(
        {
            "owner": ["Ann", "Ann"],
            "week": ["2026-W46", "2026-W47"],
            "new_deals": pd.Series([1.0, 1.0], dtype="float64"),
        }
    )
    pd.testing.assert_frame_equal(
        new_deal_counts(h, group_columns=("owner",)), expected, check_dtype=True
    )


# --- days -------------------------------------------------------------------------------
def test_days_since_activity_counts_to_the_as_of_day_and_is_never_negative() -> None:
    dates = pd.Series(
        pd.to_datetime(["2026-11-22", "2026-11-16", "2026-10-23", "2026-11-26", None])
    )
    out = activity_days(dates, "2026-W47")  # as of Sunday 22 Nov
    assert out["days_since_activity"].tolist()[:4] == [0, 6, 30, 0]
    assert out["days_since_activity"].isna().tolist() == [False] * 4 + [True]
    # 26 Nov is after the week's end: a data problem, counted 0 and flagged
    assert out["activity_after_as_of"].tolist() == [False, False, False, True, False]


@pytest.mark.parametrize("dates", ["datetime64[ns]", "timestamp[ns][pyarrow]"])
def test_days_in_stage_before_the_first_stored_week_are_a_lower_bound(dates: str) -> None:
    h = pd.DataFrame(
        [
            deal("2026-W44", "a"),
            deal("2026-W45", "a"),
            deal("2026-W46", "a"),
            deal("2026-W44", "b"),
            deal("2026-W45", "b", "needs_confirmed"),
            deal("2026-W46", "b", "needs_confirmed"),
            # c created on Tuesday of W45, first stored in W46: entered then
            deal("2026-W46", "c", created="2026-11-03"),
            # d created in September, first stored in W46 (e.g. once its close date came into
            # the report's range): it may have been in its stage long before
            deal("2026-W46", "d"),
            # e first stored in W46 without a created date: nothing shows it existed before
            deal("2026-W46", "e"),
        ]
    )
    h.loc[h["deal_id"] == "e", "created_date"] = pd.NaT
    h["created_date"] = h["created_date"].astype(dates)  # NumPy, or Arrow as Parquet reads
    out = stage_days(with_deal_keys(h), "2026-W47")
    last = out.loc[h.index[h["snapshot_week"] == "2026-W46"]]
    # a: in initial_contact since W44, the first stored week: at least 21 days (W44 -> W47)
    # b: needs_confirmed since W45: 14 days exactly; c: since W46: 7 days; d: at least 7;
    # e: 7 days exactly
    assert last["days_in_stage"].tolist() == [21, 14, 7, 7, 7]
    assert last["days_in_stage_lower_bound"].tolist() == [True, False, False, True, False]


@pytest.mark.parametrize(
    ("days", "bound", "lang", "unit", "text"),
    [
        (77.0, True, "en", True, "≥ 77 days"),
        (77, True, "zh", True, "≥ 77 天"),
        (70.0, False, "en", True, "70 days"),
        (70.4, False, "zh", False, "70"),
        (1234.0, False, "en", False, "1,234"),
        (float("nan"), True, "en", True, "—"),
        (None, False, "zh", True, "—"),
        (pd.NA, False, "en", True, "—"),
    ],
)
def test_days_print_as_whole_numbers_with_lower_bounds_marked(
    days: Any, bound: bool, lang: str, unit: bool, text: str
) -> None:
    assert days_text(days, bound, lang, unit=unit) == text


def test_days_print_by_default_in_english_with_the_unit_and_no_bound() -> None:
    assert days_text(77) == "77 days"
    assert days_text(1234.4, True) == "≥ 1,234 days"


# --- win rate and coverage -----------------------------------------------------------------
def test_zero_wins_is_the_worst_rate_not_no_rate() -> None:
    assert win_rate(0, 12) == 0.0
    assert math.isnan(win_rate(0, 4))  # too few closed deals (5 by default)
    assert win_rate(5, 15) == 0.25
    assert coverage_needed(0.0) == math.inf and coverage_needed(0.25) == 4.0
    assert math.isnan(coverage_needed(float("nan")))
    series = coverage_needed(pd.Series([0.0, 0.5, np.nan]))
    assert series.iloc[0] == math.inf and series.iloc[1] == 2.0 and math.isnan(series.iloc[2])


@pytest.mark.parametrize(
    ("won", "lost", "min_closed", "rate"),
    [
        (1, 4, None, 0.2),  # exactly the default 5 closed deals: a rate
        (1, 3, None, float("nan")),  # 4 closed: too few
        (2, 1, 3, 2 / 3),  # exactly the minimum given
        (1, 0, 1, 1.0),  # one closed deal is enough when the minimum is 1
        (0, 1, 0, 0.0),  # a minimum below 1 reads as 1
        (0, 0, 0, float("nan")),  # nothing closed: never a rate
    ],
)
def test_win_rate_at_its_minimum_of_closed_deals(
    won: int, lost: int, min_closed: int | None, rate: float
) -> None:
    got = win_rate(won, lost) if min_closed is None else win_rate(won, lost, min_closed)
    assert (math.isnan(got) and math.isnan(rate)) or got == pytest.approx(rate)


def _rep_who_lost_everything() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Bo lost all 12 deals he closed this quarter; Ann won 3 of 5; both have targets."""
    rows = [
        deal("2026-W47", f"L{i}", "lost", owner="Bo", close=pd.Timestamp("2026-11-02"))
        for i in range(12)
    ]
    rows += [
        deal(
            "2026-W47", f"W{i}", "won", owner="Ann", amount=1000.0, close=pd.Timestamp("2026-11-03")
        )
        for i in range(3)
    ]
    rows += [
        deal("2026-W47", f"X{i}", "lost", owner="Ann", close=pd.Timestamp("2026-11-03"))
        for i in range(2)
    ]
    rows += [
        deal("2026-W47", "B1", "negotiation", owner="Bo", amount=5000.0),
        deal("2026-W47", "A1", "negotiation", owner="Ann", amount=5000.0),
    ]
    targets = pd.DataFrame(
        {
            "team": "T",
            "owner": ["", "Ann", "Bo"],
            "period": "2026-Q4",
            "amount": [8000.0, 4000.0, 4000.0],
            "currency": "EUR",
        }
    )
    return pd.DataFrame(rows), targets


def test_a_rep_who_lost_every_closed_deal_is_short_and_gets_a_prompt() -> None:
    history, targets = _rep_who_lost_everything()
    reps = period_forecast(history, targets, "2026-Q4", "2026-W47", by="rep").set_index("owner")
    bo = reps.loc["Bo"]
    assert (bo["win_rate"], bo["closed_in_window"], bo["win_rate_source"]) == (0.0, 12, "owner")
    # 5000 open against 4000 remaining: 1.25x, yet at 0% no coverage is enough
    assert bo["coverage"] == 1.25 and bo["coverage_needed"] == math.inf
    assert bo["verdict"] == "short"
    context = WeekDiagnostics(history, "2026-W47", targets=targets)
    found = coaching_findings(context, rules=["coverage_below_need"])
    assert found["owner"].tolist() == ["Bo"] and found.loc[0, "severity"] == 3
    for lang, words in (("en", "none of the 12 deals"), ("zh", "12 个商机")):
        text = coaching_prompts(found, lang=lang).loc[0, "observation"]
        assert words in text and "inf" not in text and "nan" not in text


# --- gap, outlook, plan -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("gap", "lang", "text"),
    [
        (-2_605_725.0, "en", "forecast above target by 2,605,725 USD"),
        (1_300_000.4, "en", "short of target by 1,300,000 USD"),
        (-26_487_000.0, "zh", "预测高于目标 26,487,000 USD"),
        (35.0, "zh", "距目标还差 35 USD"),
        (0.4, "en", "forecast on target"),
        (float("nan"), "en", "—"),
    ],
)
def test_the_gaps_sign_cannot_be_misread(gap: float, lang: str, text: str) -> None:
    assert gap_text(gap, "USD", lang) == text
    assert "-" not in gap_text(gap, "USD", lang).replace("—", "")


def test_one_outlook_from_forecast_and_coverage() -> None:
    # (target, won, expected, coverage, needed) -> outlook
    cases = [
        ((100, 100, 100, np.nan, 4), "met"),
        ((100, 10, 120, 5, 4), "on_track"),
        ((100, 10, 120, np.nan, np.nan), "on_track"),
        ((100, 10, 130.5, 4.45, 5.1), "at_risk"),  # DACH: above target, coverage short
        ((100, 10, 80, 6, 4), "at_risk"),
        ((100, 10, 80, 1, 4), "off_track"),
        ((100, 10, 80, 1, np.nan), "off_track"),
        ((100, 10, 150, 9, np.inf), "at_risk"),
        ((np.nan, 0, 0, np.nan, 4), "no_target"),
    ]
    frame = pd.DataFrame(
        [c for c, _ in cases],
        columns=["target", "won_to_date", "expected", "coverage", "coverage_needed"],
    )
    assert outlook(frame).tolist() == [o for _, o in cases]
    texts = {lang: [outlook_text(o, lang) for _, o in cases] for lang in ("en", "zh")}
    for text in texts["en"]:
        assert not ({"ahead", "behind"} & set(text.split()))


@pytest.mark.parametrize(
    ("value", "en", "zh"),
    [
        ("met", "target met", "已完成目标"),
        ("on_track", "on track to hit target", "有望完成目标"),
        ("at_risk", "target at risk", "目标有风险"),
        ("off_track", "not on track to hit target", "按目前预测无法完成目标"),
        ("no_target", "no target", "无目标"),
        # a value that is no outlook is printed as given, in either language
        ("on plan", "on plan", "on plan"),
    ],
)
def test_each_outlook_as_printed(value: str, en: str, zh: str) -> None:
    assert (outlook_text(value), outlook_text(value, "en"), outlook_text(value, "zh")) == (
        en,
        en,
        zh,
    )


def test_plan_deviation_in_points_of_the_target_with_a_tolerance() -> None:
    won = pd.Series([0.0, 0.0, 20.0, 40.0, 70.0, 100.0])
    plan = pd.Series([10.0, 20.0, 50.0, 50.0, 50.0, 100.0])
    out = plan_deviation(won, plan, pd.Series([100.0] * 6), 0.15)
    assert out["points"].round(2).tolist() == [-0.1, -0.2, -0.3, -0.1, 0.2, 0.0]
    assert out["status"].tolist() == [
        "on plan",
        "below plan",
        "below plan",
        "on plan",
        "above plan",
        "on plan",
    ]
    assert plan_deviation_text(-0.3, 0.5) == (
        "won to date is 30 points of the target below the 50% planned by now"
    )
    assert plan_deviation_text(0.2, 0.5, "zh") == "已赢单比截至目前应完成的目标 50% 高 20 个百分点"


@pytest.mark.parametrize(
    ("points", "share", "lang", "text"),
    [
        (-0.8, 0.9, "en", "won to date is 80 points of the target below the 90% planned by now"),
        (0.25, 0.104, "en", "won to date is 25 points of the target above the 10% planned by now"),
        (0.5, 0.5, "en", "won to date is 50 points of the target above the 50% planned by now"),
        (1.0, 1.0, "en", "won to date is 100 points of the target above the 100% planned by now"),
        # on plan to the point shown reads as level, neither below nor above
        (0.0, 0.5, "en", "won to date is level with the 50% planned by now"),
        (-0.004, 0.5, "en", "won to date is level with the 50% planned by now"),
        (0.006, 0.5, "en", "won to date is 1 point of the target above the 50% planned by now"),
        (-0.8, 0.9, "zh", "已赢单比截至目前应完成的目标 90% 低 80 个百分点"),
        (0.0, 0.5, "zh", "已赢单与截至目前应完成的目标 50% 持平"),
        (-0.006, 0.5, "zh", "已赢单比截至目前应完成的目标 50% 低 1 个百分点"),
        (1.0, 1.0, "zh", "已赢单比截至目前应完成的目标 100% 高 100 个百分点"),
    ],
)
def test_plan_deviation_text_words_size_side_and_share(
    points: float, share: float, lang: str, text: str
) -> None:
    assert plan_deviation_text(points, share, lang) == text


def test_plan_deviation_frame_per_rep_with_no_target_and_a_token_target() -> None:
    # won to date per rep (as a groupby gives it, index named "owner"); plan and targets
    # keyed by the same reps; targets in whole units
    reps = pd.Index(["Ann", "Bob", "Cy"], name="owner")
    won = pd.Series([40.0, 50.0, 1.0], index=reps)
    plan = pd.Series({"Ann": 100.0, "Bob": 0.0, "Cy": 0.5})
    target = pd.Series({"Ann": 200, "Bob": 0, "Cy": 1})
    out = plan_deviation(won, plan, target, 0.15)
    # Ann: 100 / 200 = 0.5 planned, 40 / 200 = 0.2 won: 30 points below plan.
    # Bob: no target (0): no shares at all, so never alerted, whatever he won.
    # Cy: a target of 1: half planned, all of it won: 50 points above plan.
    expected = pd.DataFrame(
        {
            "expected_share": [0.5, np.nan, 0.5],
            "won_share": [0.2, np.nan, 1.0],
            "points": [-0.3, np.nan, 0.5],
            "status": ["below plan", "on plan", "above plan"],
        },
        index=reps,
    )
    pd.testing.assert_frame_equal(out, expected)


def test_nothing_won_alerts_only_once_the_planned_share_passes_the_tolerance() -> None:
    # a team that has won nothing: quiet while less than 15% of the quarter is planned
    history = pd.DataFrame([deal("2026-W40", "a")])
    goals = pd.DataFrame(
        {
            "team": ["T"],
            "owner": [""],
            "period": ["2026-Q4"],
            "amount": [6600.0],
            "currency": ["EUR"],
        }
    )
    alerts = {}
    for week in ("2026-W41", "2026-W42", "2026-W43"):
        row = progress(history, goals, "2026-Q4", week).iloc[0]
        alerts[week] = (round(row["expected_share"], 3), bool(row["alert"]))
    # W41: 7 of 66 working days (10.6%), W42: 12 (18.2%), W43: 17 (25.8%)
    assert alerts == {
        "2026-W41": (0.106, False),
        "2026-W42": (0.182, True),
        "2026-W43": (0.258, True),
    }


# --- one team-week, one value -------------------------------------------------------------
def _store(tmp_path: Path) -> tuple[SnapshotStore, pd.DataFrame]:
    """Three weeks of North (Ann, Bo) and two of West: deals arriving, advancing, won."""
    weeks: dict[str, list[dict[str, Any]]] = {
        "2026-W45": [
            deal(
                "2026-W45",
                "N1",
                "needs_confirmed",
                team="North",
                amount=900.0,
                activity="2026-11-06",
            ),
            deal("2026-W45", "N2", team="North", owner="Bo", activity="2026-11-04"),
        ],
        "2026-W46": [
            deal(
                "2026-W46",
                "N1",
                "solution_quote",
                team="North",
                amount=900.0,
                activity="2026-11-12",
            ),
            deal("2026-W46", "N2", team="North", owner="Bo", activity="2026-11-04"),
            deal("2026-W46", "N3", team="North", activity="2026-11-13"),
            deal("2026-W46", "W1", team="West", owner="Cy"),
        ],
        "2026-W47": [
            deal(
                "2026-W47",
                "N1",
                "won",
                team="North",
                amount=900.0,
                close=pd.Timestamp("2026-11-18"),
                activity="2026-11-18",
            ),
            deal("2026-W47", "N2", team="North", owner="Bo", activity="2026-11-04"),
            deal("2026-W47", "N3", "needs_confirmed", team="North", activity="2026-11-20"),
            # logged on Thursday of W48: after W47's as-of day, a data problem
            deal("2026-W47", "N4", team="North", owner="Bo", amount=3000.0, activity="2026-11-26"),
            deal(
                "2026-W47", "N5", "negotiation", team="North", amount=2000.0, activity="2026-11-19"
            ),
            deal("2026-W47", "W1", team="West", owner="Cy"),
            deal("2026-W47", "W2", team="West", owner="Cy"),
        ],
    }
    store = SnapshotStore(tmp_path / "store")
    for week, rows in weeks.items():
        frame = pd.DataFrame(rows).astype({"source_row": "int64"})
        store.add(frame, week)
    targets = pd.DataFrame(
        {
            "team": ["North", "West"],
            "owner": "",
            "period": "2026-Q4",
            "amount": [5000.0, 1000.0],
            "currency": "EUR",
        }
    )
    return store, targets


def test_one_team_week_gives_one_value_of_each_figure(tmp_path: Path) -> None:
    from pipereview.dashboard import Dashboard
    from pipereview.delivery._review import WeeklyReview
    from pipereview.diagnostics._changes import week_change_summary
    from pipereview.diagnostics._trends import weekly_metrics

    store, targets = _store(tmp_path)
    history = with_deal_keys(store.history())
    week = "2026-W47"
    review = WeeklyReview(history, team="North", week=week, targets=targets)
    headline = review.headline()
    changes = week_change_summary(store, week).set_index("team")
    trend = weekly_metrics(history, targets=targets).set_index(["team", "metric", "week"])
    context = WeekDiagnostics(history, week, targets=targets)
    board = Dashboard(history, targets=targets, team="North")

    # new deals: N3 arrived in W46, N4 and N5 in W47 -> 2 (W45, the first week: unknown)
    assert headline["new_deals"] == 2
    assert changes.loc["North", "new_deals"] == 2
    assert trend.loc[("North", "new_deals", week), "value"] == 2
    assert math.isnan(trend.loc[("North", "new_deals", "2026-W45"), "value"])
    assert context.new_deals.set_index("team")["new_deals"]["North"] == 2
    assert board.figures()["new_deals"] == 2
    # West's first stored week is W46: W47 counts W2 only
    assert changes.loc["West", "new_deals"] == 1

    # gap, coverage, outlook: one computation, everywhere
    forecast = context.forecast_team.set_index("team").loc["North"]
    # won 900; weighted open due in Q4: N2 100x0.10 + N3 100x0.25 + N4 3000x0.10
    # + N5 2000x0.75 = 1835 -> expected 2735, gap 5000 - 2735 = 2265 short
    assert forecast["expected"] == pytest.approx(2735.0)
    assert headline["gap_to_target"] == pytest.approx(2265.0)
    assert board.figures()["gap_to_target"] == headline["gap_to_target"]
    assert trend.loc[("North", "coverage", week), "value"] == pytest.approx(
        headline["coverage"], abs=1e-4
    )
    assert headline["outlook"] == forecast["outlook"] == context.outlook_team["North"]
    assert board.figures()["outlook"] == headline["outlook"]
    table = review.headline_section().body
    assert "short of target by 2,265 EUR" in table and "-2,265" not in table
    assert outlook_text(headline["outlook"]) in table
    # the forecast section says the same, for the team and each rep with a target
    forecast_body = review.forecast_section().body
    assert "short of target by 2,265 EUR" in forecast_body
    assert outlook_text(headline["outlook"]) in forecast_body
    zh_body = review.in_language("zh").forecast_section().body
    assert "距目标还差 2,265 EUR" in zh_body and outlook_text(headline["outlook"], "zh") in zh_body

    # days: the risks behind report, dashboard and coaching are one frame
    risks = context.risks.set_index("deal_id")
    # N2: in initial_contact since W45, the first stored week: at least 14 days
    assert (risks.loc["N2", "days_in_stage"], risks.loc["N2", "days_in_stage_lower_bound"]) == (
        14.0,
        True,
    )
    assert not risks.loc["N3", "days_in_stage_lower_bound"]
    # N2's last activity 4 Nov, as of Sunday 22 Nov: 18 days; N4's is after it: 0, flagged
    assert risks.loc["N2", "days_since_activity"] == 18.0
    assert (risks.loc["N4", "days_since_activity"], risks.loc["N4", "activity_after_as_of"]) == (
        0.0,
        True,
    )
    assert (risks["days_since_activity"].dropna() >= 0).all()
    assert review.context.risks.equals(board.review.context.risks)
    note = review.risks_section().body
    assert (
        "1 open deal(s) have a last activity dated after the end of the week (2026-11-22), "
        "a data problem counted as 0 days since activity: Deal N4."
    ) in note
    assert "1 个在跟商机的最近跟进日期晚于本周结束日（2026-11-22）" in (
        review.in_language("zh").risks_section().body
    )
    board.sort = "days_in_stage"
    body = board.tab_html("risks")
    assert "70.0" not in body and ".0<" not in body


def test_plan_findings_never_contradict_the_outlook(tmp_path: Path) -> None:
    # North is far below a straight-line plan (won 900 of 5000 with 56% planned), yet
    # "behind plan" is said only when the shared outlook is not met or on track
    store, targets = _store(tmp_path)
    history = with_deal_keys(store.history())
    context = WeekDiagnostics(history, "2026-W47", targets=targets)
    progress_team = context.progress_team.set_index("team")
    assert progress_team.loc["North", "status"] == "behind"
    found = coaching_findings(context, rules=["team_forecast_deviation"])
    outlooks = context.outlook_team
    fired = set(found["team"]) if len(found) else set()
    assert all(outlooks[team] not in ("met", "on_track") for team in fired)
    assert ("North" in fired) == (outlooks["North"] not in ("met", "on_track"))


# --- the same figures on many shapes ----------------------------------------------------
@pytest.mark.parametrize("seed", range(6))
def test_new_deals_agree_with_a_brute_force_count_in_every_section(seed: int) -> None:
    """Random histories (deals arriving, leaving, coming back, closing; two teams starting
    in different weeks): trends and the coaching context count what a plain loop over the
    weeks counts."""
    from pipereview.diagnostics._trends import weekly_metrics

    rng = np.random.default_rng(seed)
    weeks = [f"2026-W{w}" for w in range(40, 47)]
    rows = []
    for team, start in (("T", 0), ("U", 2)):
        for d in range(12):
            seen = rng.random(len(weeks)) < 0.6
            for i, week in enumerate(weeks):
                if i >= start and seen[i]:
                    stage = rng.choice(["initial_contact", "needs_confirmed", "won", "lost"])
                    rows.append(deal(week, f"{team}{d}", str(stage), team=team))
    history = with_deal_keys(pd.DataFrame(rows))
    trend = weekly_metrics(history).set_index(["team", "metric", "week"])["value"]
    for team in ("T", "U"):
        mine = history[history["team"] == team]
        stored = sorted(mine["snapshot_week"].unique())
        seen_before: set[str] = set()
        for index, week in enumerate(stored):
            ids = set(mine.loc[mine["snapshot_week"] == week, "deal_id"])
            expected = float(len(ids - seen_before)) if index else float("nan")
            seen_before |= ids
            got = trend[(team, "new_deals", week)]
            assert (math.isnan(got) and math.isnan(expected)) or got == expected, (team, week)
            ctx = WeekDiagnostics(history, week).new_deals.set_index("team")["new_deals"]
            assert (math.isnan(ctx[team]) and math.isnan(expected)) or ctx[team] == expected


@pytest.mark.slow
def test_sample_store_one_value_per_team_week(tmp_path: Path) -> None:
    """On the sample store, for each team and its last weeks: the headline, `changes`, the
    trends and the coaching context give one number of new deals; days since activity
    are never negative; "behind plan" never stands beside an outlook that is on track."""
    from pipereview.delivery._review import WeeklyReview
    from pipereview.diagnostics._changes import week_change_summary
    from pipereview.diagnostics._targets import load_targets
    from pipereview.diagnostics._trends import weekly_metrics
    from pipereview.history._intake import ingest_folder

    samples = Path(__file__).resolve().parents[1] / "data" / "samples"
    store = SnapshotStore(tmp_path / "store")
    ingest_folder(samples / "exports", store=store)
    targets = load_targets(samples / "targets.csv")
    history = with_deal_keys(store.history())
    trend = weekly_metrics(history, targets=targets).set_index(["team", "metric", "week"])["value"]
    for week in store.weeks()[-2:]:
        changes = week_change_summary(store, week).groupby("team")["new_deals"].first()
        context = WeekDiagnostics(history, week, targets=targets)
        risks = context.risks
        assert (risks["days_since_activity"].dropna() >= 0).all()
        plan = coaching_findings(context, rules=["team_forecast_deviation"])
        for team in sorted(history["team"].unique()):
            headline = WeeklyReview(history, team=team, week=week, targets=targets).headline()
            assert headline["new_deals"] == changes[team] == trend[(team, "new_deals", week)]
            assert headline["outlook"] == context.outlook_team[team]
            if context.outlook_team[team] in ("met", "on_track"):
                assert team not in set(plan.get("team", []))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_forecast_chart_words_the_gap_as_every_section_does(lang: str) -> None:
    import re

    from pipereview import charts

    # West: 500 won + 700 weighted against 1000: forecast above target by 200
    # North: 500 + 100 against 800: short of target by 200
    forecast = pd.DataFrame(
        {
            "team": ["West", "North"],
            "won_to_date": [500.0, 500.0],
            "weighted_in_period": [700.0, 100.0],
            "target": [1000.0, 800.0],
            "gap_to_target": [-200.0, 200.0],
        }
    )
    svg = charts.to_svg(charts.forecast_chart(forecast, lang=lang))
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert gap_text(-200.0, "", lang) in texts and gap_text(200.0, "", lang) in texts
    assert not [t for t in texts if re.search(r"-\d", t)]


def test_plan_deviation_lines_up_reps_listed_in_different_orders() -> None:
    """Each rep's status is worked out on that rep's own figures, whatever order the
    won, plan and target series list the reps in."""
    out = plan_deviation(
        pd.Series([20.0, 40.0], index=["Bob", "Ann"]),
        pd.Series([50.0, 50.0], index=["Ann", "Bob"]),
        pd.Series([100.0, 200.0], index=["Ann", "Bob"]),
        0.12,
    )
    # Bob: 20 / 200 won against 50 / 200 planned, 15 points below; Ann: 40 - 50 = -10
    assert out.index.tolist() == ["Bob", "Ann"]
    assert out["points"].round(4).tolist() == [-0.15, -0.1]
    assert out["status"].tolist() == ["below plan", "on plan"]
