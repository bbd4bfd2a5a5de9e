"""Every built-in coaching rule: a planted case that fires and a near miss that does not.

Rules read their diagnostics from the context; here each diagnostic the rule reads is
given directly (the diagnostics have their own tests), so each case states exactly the
numbers the rule sees. Both languages render every finding with its numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pipereview.coaching import coaching_findings, coaching_prompts
from pipereview.coaching.rules import BUILTIN_RULES
from pipereview.coaching.rules_rep import (
    forecast_deviation,
    peer_move_on,
    team_forecast_deviation,
)
from pipereview.week import WeekDiagnostics

W47 = "2026-W47"
MONDAY = pd.Timestamp("2026-11-16")


def context(**diagnostics: pd.DataFrame) -> WeekDiagnostics:
    """A context whose named diagnostics are the given frames."""
    base = pd.DataFrame(
        {
            "snapshot_week": [W47],
            "team": "T",
            "owner": "Ann",
            "deal_id": "X",
            "deal_name": "X",
            "account": "X",
            "stage": "initial_contact",
            "stage_model": "generic_4",
            "amount": 1.0,
            "currency": "EUR",
            "close_date": pd.Timestamp("2026-12-31"),
        }
    )
    ctx = WeekDiagnostics(base, as_of=W47)
    for name, frame in diagnostics.items():
        ctx.__dict__[name] = frame  # cached_property storage: the rule reads this frame
    return ctx


def risk_row(deal: str, **values: Any) -> dict[str, Any]:
    row = {
        "deal_key": deal,
        "snapshot_week": W47,
        "team": "T",
        "owner": "Ann",
        "deal_id": deal,
        "deal_name": f"Deal {deal}",
        "account": f"Account {deal}",
        "stage_model": "generic_4",
        "stage": "needs_confirmed",
        "amount": 1000.0,
        "currency": "EUR",
        "close_date": pd.Timestamp("2026-12-31"),
        "days_in_stage": 7.0,
        "typical_days": 21.0,
        "team_p75_days": float("nan"),
        "limit_days": 21.0,
        "limit_source": "model",
        "past_typical": False,
        "days_since_activity": 1.0,
        "stalled": False,
        "push_count": 0,
        "pushed_often": False,
        "close_date_past": False,
    }
    row.update(values)
    return row


def gap_row(deal: str, **values: Any) -> dict[str, Any]:
    row = {
        "deal_key": deal,
        "team": "T",
        "owner": "Ann",
        "deal_id": deal,
        "deal_name": f"Deal {deal}",
        "account": f"Account {deal}",
        "amount": 1000.0,
        "currency": "EUR",
        "stage_model": "generic_4",
        "claimed_stage": "negotiation",
        "evidence_stage": "negotiation",
        "stages_inflated": 0,
        "inflated": False,
        "missing": (),
        "next_actions": ("verbal_commitment",),
    }
    row.update(values)
    return row


def fired(ctx: WeekDiagnostics, rule: str) -> pd.DataFrame:
    found = coaching_findings(ctx, rules=[rule])
    for lang in ("en", "zh"):  # every finding renders, with numbers, in both languages
        prompts = coaching_prompts(found, lang=lang)
        assert prompts["observation"].str.contains(r"\d").all()
    return found


def test_stalled_deal() -> None:
    # stalled_days 30: 30 days fires (severity 1: 30/30 < 2), 29 does not; 95 days: 3
    risks = pd.DataFrame(
        [
            risk_row("A", days_since_activity=30.0),
            risk_row("B", days_since_activity=29.0),
            risk_row("C", days_since_activity=95.0),
            risk_row("D", days_since_activity=float("nan")),
        ]
    )
    found = fired(context(risks=risks), "stalled_deal").set_index("deal_id")
    assert sorted(found.index) == ["A", "C"]
    assert found.loc["A", "severity"] == 1 and found.loc["C", "severity"] == 3


def test_stage_inflation() -> None:
    gaps = pd.DataFrame(
        [
            gap_row(
                "A",
                stages_inflated=2,
                inflated=True,
                evidence_stage="needs_confirmed",
                missing=("timeline_confirmed", "quote_sent"),
            ),
            gap_row("B"),
        ]
    )
    found = fired(context(gaps=gaps), "stage_inflation")
    assert found["deal_id"].tolist() == ["A"] and found.loc[0, "severity"] == 2
    assert found.loc[0, "stage"] == "negotiation"
    text = coaching_prompts(found)["observation"].iloc[0]
    assert "2 stages ahead" in text and "Purchase time window confirmed" in text


def test_missing_exit_criteria() -> None:
    # A: past its limit (45 > 21), evidence fine, criteria open -> fires (45/21 = 2.1: 3)
    # B: past its limit but inflated -> stage_inflation's case, not this one
    # C: within its limit
    risks = pd.DataFrame(
        [
            risk_row("A", days_in_stage=45.0, past_typical=True),
            risk_row("B", days_in_stage=45.0, past_typical=True),
            risk_row("C", days_in_stage=20.0),
        ]
    )
    gaps = pd.DataFrame(
        [gap_row("A"), gap_row("B", stages_inflated=1, inflated=True), gap_row("C")]
    )
    found = fired(context(risks=risks, gaps=gaps), "missing_exit_criteria")
    assert found["deal_id"].tolist() == ["A"] and found.loc[0, "severity"] == 3
    assert found.loc[0, "reference"] == 21.0


def _contacts() -> pd.DataFrame:
    # generic_4 asks for the decision maker to leave initial_contact (stage 1)
    base = {
        "snapshot_week": W47,
        "team": "T",
        "owner": "Ann",
        "stage_model": "generic_4",
        "amount": 500.0,
        "currency": "EUR",
        "account": "Acme",
        "close_date": pd.Timestamp("2026-12-31"),
    }
    rows = [
        {
            **base,
            "deal_id": "A",
            "deal_name": "A",
            "stage": "solution_quote",
            "decision_maker": None,
        },  # 2 stages past initial_contact, blank: fires (3)
        {
            **base,
            "deal_id": "B",
            "deal_name": "B",
            "stage": "initial_contact",
            "decision_maker": None,
        },  # still in the stage that asks for it: near miss
        {
            **base,
            "deal_id": "C",
            "deal_name": "C",
            "stage": "needs_confirmed",
            "decision_maker": "Wang",
        },  # recorded: near miss
        {
            **base,
            "team": "U",
            "deal_id": "D",
            "deal_name": "D",
            "stage": "negotiation",
            "decision_maker": None,
        },  # team U records no decision makers at all: not judged
    ]
    frame = pd.DataFrame(rows)
    return frame.assign(
        deal_key=frame["deal_id"], decision_maker=frame["decision_maker"].astype("str")
    )


def test_no_decision_maker() -> None:
    found = fired(context(open_deals=_contacts()), "no_decision_maker")
    assert found["deal_id"].tolist() == ["A"]
    assert found.loc[0, "severity"] == 3 and found.loc[0, "value"] == 2


def test_no_coach() -> None:
    # industrial_b2b asks for a coach to leave "discover"; a deal at "strategy" (one stage
    # beyond) without one fires with severity 1; a deal at "discover" does not
    deals = pd.DataFrame(
        {
            "snapshot_week": W47,
            "team": "T",
            "owner": "Ann",
            "deal_id": ["A", "B", "C"],
            "deal_name": ["A", "B", "C"],
            "account": "Acme",
            "stage_model": "industrial_b2b",
            "stage": ["strategy", "discover", "tender"],
            "amount": 9.0,
            "currency": "CNY",
            "coach": pd.array([None, None, "李工"], "str"),
        }
    )
    found = fired(context(open_deals=deals.assign(deal_key=deals["deal_id"])), "no_coach")
    assert found["deal_id"].tolist() == ["A"] and found.loc[0, "severity"] == 1


def test_repeated_pushes() -> None:
    risks = pd.DataFrame(
        [risk_row("A", push_count=2), risk_row("B", push_count=1), risk_row("C", push_count=5)]
    )
    found = fired(context(risks=risks), "repeated_pushes").set_index("deal_id")
    assert sorted(found.index) == ["A", "C"]
    assert found.loc["A", "severity"] == 1 and found.loc["C", "severity"] == 3


def test_close_date_past() -> None:
    # as-of Monday 16 Nov: closing 2 Nov is 14 days overdue (severity 2); a deal not
    # flagged by the risks (close date on the Monday itself) does not fire
    risks = pd.DataFrame(
        [
            risk_row("A", close_date=pd.Timestamp("2026-11-02"), close_date_past=True),
            risk_row("B", close_date=MONDAY, close_date_past=False),
        ]
    )
    found = fired(context(risks=risks), "close_date_past")
    assert found["deal_id"].tolist() == ["A"]
    assert found.loc[0, "value"] == 14 and found.loc[0, "severity"] == 2


def _move_on(rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["owner", "stage", "exposures", "moved"]).assign(
        team="T", move_on_rate=lambda f: f["moved"] / f["exposures"]
    )


def _stage_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "team": "T",
            "owner": ["Ann", "Bo"],
            "stage": "needs_confirmed",
            "count": [6, 2],
            "amount": [600.0, 200.0],
        }
    )


def test_below_stage_standard() -> None:
    # Ann: 2 of 10 moved on, 1 still there: at best 30% < 60%, 30 points short: severity
    # 3. Bo: 5 of 10 moved on, 2 still there: at best 70%, below the standard so far only.
    conversion = pd.DataFrame(
        {
            "team": "T",
            "owner": ["Ann", "Bo"],
            "stage_model": "generic_4",
            "stage": "needs_confirmed",
            "stage_order": 1,
            "entered": 10,
            "reached_next": [2, 5],
            "still_at_stage": [1, 2],
        }
    )
    ctx = context(conversion_rep=conversion, stage_table_rep=_stage_table())
    found = fired(ctx, "below_stage_standard")
    assert found["owner"].tolist() == ["Ann"]
    row = found.iloc[0]
    assert (row["value"], row["reference"], row["severity"]) == (0.2, 0.6, 3)
    assert row["amount_at_stake"] == 600.0 and row["evidence"]["goal"] == 0.4


def test_low_stage_conversion() -> None:
    # Ann: 1 of 40 deal-weeks moved on (2.5%) vs teammates Bo + Cy + Di 20 of 84 (24%):
    # ratio 0.1, Fisher p < 0.01 -> fires, severity 3. Bo: 4 of 20 (20%) vs 17 of 104
    # (16%): no. Cy: 0 of 4: too few exposures (< 10) for any verdict.
    moves = _move_on(
        [
            ("Ann", "needs_confirmed", 40, 1),
            ("Bo", "needs_confirmed", 20, 4),
            ("Cy", "needs_confirmed", 4, 0),
            ("Di", "needs_confirmed", 60, 16),
        ]
    )
    ctx = context(move_on_rep=moves, stage_table_rep=_stage_table())
    found = fired(ctx, "low_stage_conversion")
    assert found["owner"].tolist() == ["Ann"]
    row = found.iloc[0]
    assert row["value"] == 1 / 40 and row["reference"] == 20 / 84 and row["severity"] == 3
    assert row["amount_at_stake"] == 600.0 and row["evidence"]["open_at_stage"] == 6
    text = coaching_prompts(found)["observation"].iloc[0]
    assert (
        "3% of the weeks they spent there (1 of 40)" in text
        and "24% for your teammates (20 of 84)" in text
    )


def test_peer_move_on_frame() -> None:
    # needs_confirmed: Ann 0 of 10 against her one teammate's 1 of 1; one-sided Fisher:
    # of the 11 deal-weeks 1 moved on, the chance it is none of Ann's 10 is 1/11; Bo
    # 1 of 1 against 0 of 10 cannot be less (p 1). Cy alone at solution_quote: no
    # teammates, so no peer rate and no test (p 1)
    moves = _move_on(
        [
            ("Ann", "needs_confirmed", 10, 0),
            ("Bo", "needs_confirmed", 1, 1),
            ("Cy", "solution_quote", 5, 2),
        ]
    )
    expected = pd.DataFrame(
        {
            "team": ["T", "T", "T"],
            "owner": ["Ann", "Bo", "Cy"],
            "stage": ["needs_confirmed", "needs_confirmed", "solution_quote"],
            "exposures": [10, 1, 5],
            "moved": [0, 1, 2],
            "peer_exposures": [1, 10, 0],
            "peer_moved": [1, 0, 0],
            "rate": [0.0, 1.0, 0.4],
            "peer_rate": [1.0, 0.0, float("nan")],
            "p_value": [1 / 11, 1.0, 1.0],
            "stage_model": ["generic_4", "generic_4", "generic_4"],
        }
    )
    pd.testing.assert_frame_equal(peer_move_on(context(move_on_rep=moves)), expected)


def test_best_conversion_strength() -> None:
    # Di: 16 of 30 (53%) vs teammates 9 of 84 (11%) -> strength; Ann 4 of 40 (10%): no
    moves = _move_on(
        [
            ("Ann", "needs_confirmed", 40, 4),
            ("Bo", "needs_confirmed", 44, 5),
            ("Di", "needs_confirmed", 30, 16),
        ]
    )
    found = fired(context(move_on_rep=moves), "best_conversion")
    assert found["owner"].tolist() == ["Di"] and found.loc[0, "kind"] == "strength"


def test_thin_funnel_top() -> None:
    shape = pd.DataFrame(
        {
            "team": ["T", "U"],
            "label": ["thin_top", "healthy"],
            "inflow_rate": [0.01, 0.04],
            "ref_inflow_rate": [0.04, 0.01],
            "open_deals": [100, 80],
            "top_share": [0.1, 0.5],
            "ref_top_share": [0.45, 0.1],
            "inflow_per_week": [1.0, 3.2],
        }
    )
    found = fired(context(shape_team=shape), "thin_funnel_top")
    assert found["team"].tolist() == ["T"] and found.loc[0, "severity"] == 3  # 0.25 < 1/3
    assert found.loc[0, "scope"] == "team"


def _forecast(coverage: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "team": "T",
            "owner": ["Ann", "Bo"],
            "currency": "EUR",
            "coverage": coverage,
            "coverage_needed": 4.0,
            "verdict": ["short" if c < 4 else "enough" for c in coverage],
            "remaining_target": 1000.0,
            "open_in_period": 2000.0,
            "win_rate": 0.25,
            "period": "2026-Q4",
        }
    )


def test_coverage_below_need() -> None:
    # need 1 / 0.25 = 4x: Ann 1.5x (< half of 4: severity 3) fires; Bo at 4.0x does not
    found = fired(context(forecast_rep=_forecast([1.5, 4.0])), "coverage_below_need")
    assert found["owner"].tolist() == ["Ann"] and found.loc[0, "severity"] == 3
    assert coaching_findings(
        context(forecast_rep=pd.DataFrame()), rules=["coverage_below_need"]
    ).empty  # no targets


def _progress(points: list[float], owner: bool) -> pd.DataFrame:
    """Progress of a 1000 target with 500 (50%) planned to date; won = 500 + points x 1000."""
    frame = pd.DataFrame(
        {
            "team": ["T", "U"],
            "currency": "EUR",
            "period": "2026-Q4",
            "target": 1000.0,
            "plan_to_date": 500.0,
            "threshold": 0.15,
            "points": points,
            "expected_share": 0.5,
        }
    )
    frame["won_to_date"] = 500.0 + 1000.0 * frame["points"]
    frame["won_share"] = frame["won_to_date"] / 1000.0
    frame["deviation"] = frame["won_to_date"] - 500.0
    frame["deviation_pct"] = frame["deviation"] / 500.0
    frame["status"] = [
        "behind" if p < -0.15 else "ahead" if p > 0.15 else "on plan" for p in points
    ]
    frame["alert"] = frame["status"] != "on plan"
    return frame.assign(owner="Ann") if owner else frame


def test_forecast_deviation_rep_and_team() -> None:
    # T is 16 points of its target below plan (beyond the 15-point tolerance: fires,
    # severity 1); U 14 points below: near miss
    rep = fired(context(progress_rep=_progress([-0.16, -0.14], True)), "forecast_deviation")
    assert rep["team"].tolist() == ["T"] and rep.loc[0, "amount_at_stake"] == 160.0
    assert rep.loc[0, "value"] == pytest.approx(-0.16)
    en = coaching_prompts(rep, lang="en").loc[0, "observation"]
    assert "340 EUR (34%)" in en and "(50%)" in en and "16 points of the target below plan" in en
    assert "15-point tolerance" in en
    zh = coaching_prompts(rep, lang="zh").loc[0, "observation"]
    assert "落后计划 16 个百分点" in zh and "15 个百分点容差" in zh
    team = fired(context(progress_team=_progress([-0.35, 0.5], False)), "team_forecast_deviation")
    assert team["team"].tolist() == ["T"] and team.loc[0, "severity"] == 3  # ahead: no


def test_plan_deviation_defers_to_the_shared_outlook() -> None:
    # T is 35 points below plan, but its forecast says the target is on track: one
    # verdict per team and period, so no "behind plan" finding; U (off track) fires
    forecast = pd.DataFrame({"team": ["T", "U"], "outlook": ["on_track", "off_track"]})
    found = fired(
        context(progress_team=_progress([-0.35, -0.35], False), forecast_team=forecast),
        "team_forecast_deviation",
    )
    assert found["team"].tolist() == ["U"]
    reps = forecast.assign(owner="Ann", outlook=["met", "at_risk"])
    found = fired(
        context(progress_rep=_progress([-0.35, -0.35], True), forecast_rep=reps),
        "forecast_deviation",
    )
    assert found["team"].tolist() == ["U"]


def _progress_of(rows: list[tuple[str, str, float, float, float]]) -> pd.DataFrame:
    """Rep progress of (team, owner, target, plan to date, won to date) rows, its shares
    and points worked out as the progress diagnostic does (won share - expected share)."""
    frame = pd.DataFrame(
        rows, columns=["team", "owner", "target", "plan_to_date", "won_to_date"]
    ).assign(currency="EUR", period="2026-Q4", threshold=0.15)
    frame["expected_share"] = frame["plan_to_date"] / frame["target"]
    frame["won_share"] = frame["won_to_date"] / frame["target"]
    frame["points"] = frame["won_share"] - frame["expected_share"]
    frame["deviation"] = frame["won_to_date"] - frame["plan_to_date"]
    frame["status"] = [
        "behind" if p < -0.15 else "ahead" if p > 0.15 else "on plan" for p in frame["points"]
    ]
    frame["alert"] = frame["status"] != "on plan"
    return frame


def _plan_evidence(won: float, plan: float, target: float) -> dict[str, Any]:
    return {
        "won_to_date": won,
        "plan_to_date": plan,
        "target": target,
        "period": "2026-Q4",
        "expected_share": plan / target,
        "won_share": won / target,
        # the context stores one week of 2026: last year's months are not covered
        "plan_rule": "plan to date is a straight line in working days "
        "(the stored history does not reach back to 2025-10 to 2025-12)",
        "plan_rule_zh": "计划进度按工作日平均分摊（已存历史未覆盖去年同期 2025-10 至 2025-12，"
        "未按淡旺季分解）",
    }


def test_forecast_deviation_frame() -> None:
    # Ann (T): 100 won of 300 planned of 1000: 10% - 30%, 20 points behind (on the
    # 20-point edge: severity 1), 200 short. Bo (U): 300 of 1000 planned of 2000: 15% -
    # 50%, 35 points behind (severity 3), 700 short. Cy (V): 900 of 1000 planned of
    # 2000, 5 points behind: within tolerance. No outlook says any of them is on track.
    progress = _progress_of(
        [
            ("T", "Ann", 1000.0, 300.0, 100.0),
            ("U", "Bo", 2000.0, 1000.0, 300.0),
            ("V", "Cy", 2000.0, 1000.0, 900.0),
        ]
    )
    outlook = pd.DataFrame(
        {"team": ["T", "U", "V"], "owner": ["Ann", "Bo", "Cy"], "outlook": "at_risk"}
    )
    found = forecast_deviation(context(progress_rep=progress, forecast_rep=outlook), {})
    expected = pd.DataFrame(
        {
            "team": ["T", "U"],
            "owner": ["Ann", "Bo"],
            "metric": ["plan_points", "plan_points"],
            # the progress rows' own points (0.1 - 0.3 is -0.19999999999999998)
            "value": [0.1 - 0.3, 0.15 - 0.5],
            "reference": [0.15, 0.15],
            "severity": [1, 3],
            "amount_at_stake": [200.0, 700.0],
            "currency": ["EUR", "EUR"],
            "evidence": [
                _plan_evidence(100.0, 300.0, 1000.0),
                _plan_evidence(300.0, 1000.0, 2000.0),
            ],
        }
    )
    pd.testing.assert_frame_equal(found, expected, check_exact=True)


def test_team_forecast_deviation_from_an_older_progress_layout() -> None:
    # a team progress frame without points or shares (an older layout): worked out from
    # won, plan and target. T: 150 won of 500 planned of 1000, 35 points behind
    # (severity 3, 350 short); U: 400 of 800 planned of 2000, 20 points behind
    # (severity 1, 400 short). The forecast carries no outlook: nothing defers.
    progress = _progress_of(
        [("T", "", 1000.0, 500.0, 150.0), ("U", "", 2000.0, 800.0, 400.0)]
    ).drop(columns=["owner", "points", "expected_share", "won_share"])
    forecast = pd.DataFrame({"team": ["T", "U"], "coverage": [1.0, 2.0]})
    found = team_forecast_deviation(context(progress_team=progress, forecast_team=forecast), {})
    expected = pd.DataFrame(
        {
            "team": ["T", "U"],
            "owner": ["", ""],
            "metric": ["plan_points", "plan_points"],
            "value": [-0.35, -0.2],
            "reference": [0.15, 0.15],
            "severity": [3, 1],
            "amount_at_stake": [350.0, 400.0],
            "currency": ["EUR", "EUR"],
            "evidence": [
                _plan_evidence(150.0, 500.0, 1000.0),
                _plan_evidence(400.0, 800.0, 2000.0),
            ],
        }
    )
    pd.testing.assert_frame_equal(found, expected)


def test_coverage_below_need_at_a_zero_win_rate() -> None:
    # Ann lost all 12 deals she closed: 0% is a rate (the worst), not "no rate"; no
    # coverage is enough, so she gets the prompt (severity 3), with no "inf" in it
    forecast = _forecast([5.0, 4.0]).assign(
        win_rate=[0.0, 0.25],
        coverage_needed=[float("inf"), 4.0],
        verdict=["short", "enough"],
        closed_in_window=[12, 8],
    )
    found = fired(context(forecast_rep=forecast), "coverage_below_need")
    assert found["owner"].tolist() == ["Ann"] and found.loc[0, "severity"] == 3
    assert pd.isna(found.loc[0, "reference"])
    en = coaching_prompts(found, lang="en").loc[0, "observation"]
    assert "none of the 12 deals" in en and "0% win rate" in en and "inf" not in en
    zh = coaching_prompts(found, lang="zh").loc[0, "observation"]
    assert "12 个商机" in zh and "赢单率 0%" in zh and "inf" not in zh


def test_deal_concentration() -> None:
    # Ann: 500 of 1,000 open (50% > 40%) with 3 deals -> fires on that deal;
    # Bo: 600 of 1,000 but only 2 open deals -> near miss (min_deals 3)
    deals = pd.DataFrame(
        {
            "team": "T",
            "owner": ["Ann"] * 3 + ["Bo"] * 2,
            "deal_id": list("ABCDE"),
            "deal_name": list("ABCDE"),
            "account": "Acme",
            "stage_model": "generic_4",
            "stage": "needs_confirmed",
            "currency": "EUR",
            "amount": [500.0, 300.0, 200.0, 600.0, 400.0],
        }
    )
    found = fired(context(open_deals=deals.assign(deal_key=deals["deal_id"])), "deal_concentration")
    assert found["deal_id"].tolist() == ["A"] and found.loc[0, "value"] == 0.5


def test_biggest_progress_and_complete_evidence() -> None:
    prev = pd.DataFrame(
        {
            "team": "T",
            "owner": ["Ann", "Ann", "Bo", "Cy"],
            "deal_key": list("ABCD"),
            "stage_model": "generic_4",
            "stage": "initial_contact",
            "amount": 100.0,
        }
    )
    now = prev.assign(stage=["needs_confirmed", "won", "needs_confirmed", "initial_contact"])
    now = now.assign(currency="EUR", snapshot_week=W47)
    # Ann moved 2 deals forward (one won), Bo 1, Cy 0: Ann, with the team median 1
    found = fired(context(previous_week=prev, latest=now, open_deals=now), "biggest_progress")
    assert found["owner"].tolist() == ["Ann"]
    assert (found.loc[0, "value"], found.loc[0, "reference"]) == (2, 1)
    assert coaching_findings(
        context(previous_week=prev.iloc[0:0], latest=now), rules=["biggest_progress"]
    ).empty  # first week
    gaps = pd.DataFrame(
        [gap_row(f"A{i}", owner="Ann") for i in range(5)]
        + [gap_row(f"B{i}", owner="Bo", inflated=i < 3) for i in range(5)]
    )
    # Ann 5 of 5 clean vs Bo 2 of 5 (40%): strength; Bo below the rest: nothing
    found = fired(context(gaps=gaps), "most_complete_evidence")
    assert found["owner"].tolist() == ["Ann"] and found.loc[0, "reference"] == 0.4


def test_results_rules_fire_on_hand_built_reps() -> None:
    # the cases in detail, with their boundaries: tests/test_coaching_outcomes.py
    from test_coaching_outcomes import _faster, _wins, history

    progress = _progress_of(
        [("T", "Mei", 1000.0, 500.0, 1220.0), ("T", "Bo", 1000.0, 500.0, 500.0)]
    )
    assert fired(context(progress_rep=progress), "target_attainment")["owner"].tolist() == ["Mei"]
    frame = history(("Mei", 4, 1), ("Bo", 1, 4), ("Wu", 0, 6), open_deals=0)
    ctx = WeekDiagnostics(frame, as_of=W47)
    assert fired(ctx, "win_rate_above_peers")["owner"].tolist() == ["Mei"]
    assert fired(ctx, "zero_win_rate")["owner"].tolist() == ["Wu"]
    assert fired(ctx, "no_open_pipeline")["owner"].tolist() == ["Bo", "Mei", "Wu"]
    big = WeekDiagnostics(_wins(500.0), as_of=W47)
    assert fired(big, "big_win")["deal_id"].tolist() == ["BIG"]
    faster = WeekDiagnostics(_faster(5), as_of=W47)
    assert fired(faster, "improvement_since_last_month")["owner"].tolist() == ["Ann"]


def test_companion_rules_fire_on_hand_built_exports() -> None:
    # the cases in detail, with their boundaries: tests/test_rules_companions.py
    from test_rules_companions import below_context, busy_context, invoice_context, lead_context

    assert fired(busy_context(), "busy_without_advance")["owner"].tolist() == ["Ann"]
    assert fired(below_context(2), "activity_below_norm")["owner"].tolist() == ["Ann"]
    leads = lead_context([("Ann", "Fair", 1, 9), ("Bo", "Web", 6, 4)])
    assert fired(leads, "lead_conversion_low")["owner"].tolist() == ["Ann"]
    assert [e["source"] for e in fired(leads, "lead_source_low")["evidence"]] == ["Fair"]
    assert fired(invoice_context(["2026-10-01"]), "invoice_overdue")["owner"].tolist() == ["Ann"]


def test_call_rules_fire_on_hand_built_calls() -> None:
    # the cases in detail, with their boundaries: tests/test_rules_calls.py
    from test_rules_calls import context as calls_context

    assert fired(calls_context(), "call_stale")["owner"].tolist() == ["Bo", "Cy"]
    assert fired(calls_context(), "call_bias")["owner"].tolist() == ["Ann", "Bo"]
    assert coaching_findings(calls_context(with_calls=False), rules=["call_bias"]).empty


@pytest.mark.parametrize("rule", BUILTIN_RULES)
def test_every_builtin_rule_is_tested_here(rule: str) -> None:
    source = Path(__file__).read_text(encoding="utf-8")
    assert f'"{rule}")' in source, f"no planted case for {rule}"
