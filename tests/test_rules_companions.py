"""The coaching rules on the companion exports (activities, leads, invoices), on small
hand-built weeks: each fires on a planted case with hand-computed numbers, not just
beside it, and finds nothing (without error) when its export is absent; on the sample,
each planted problem is found by its rule."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from _boundaries import boundary
from pipereview.coaching import coaching_findings, coaching_prompts
from pipereview.coaching.rules_companions import RULES, companion_notes
from pipereview.history import Companions
from pipereview.week import WeekDiagnostics

W47 = "2026-W47"
#: W43 is the baseline week; the activities window (4 weeks) is W44 to W47
WEEKS = ("2026-W43", "2026-W44", "2026-W45", "2026-W46", "2026-W47")
DAY = pd.Timestamp("2026-11-17")  # the Tuesday of W47
NUDGE = 1e-6


def deal_rows(owner: str, deal: str, moves_in: str | None = None) -> list[dict[str, Any]]:
    """One deal's rows over :data:`WEEKS`: at the first stage, one stage further from the
    week ``moves_in`` (None: never moves)."""
    rows = []
    for week in WEEKS:
        moved = moves_in is not None and week >= moves_in
        rows.append(
            {
                "snapshot_week": week,
                "team": "T",
                "owner": owner,
                "deal_id": deal,
                "deal_name": f"Deal {deal}",
                "account": f"Account {deal}",
                "stage_model": "generic_4",
                "stage": "needs_confirmed" if moved else "initial_contact",
                "amount": 1000.0,
                "currency": "EUR",
                "close_date": pd.Timestamp("2026-12-31"),
            }
        )
    return rows


def history(advances: dict[str, int], stuck: dict[str, int] | None = None) -> pd.DataFrame:
    """Each rep's deals: ``advances[rep]`` deals that advance once in W45, and
    ``stuck[rep]`` deals that never move (IDs ``<rep>-A<i>`` and ``<rep>-S<i>``)."""
    rows = []
    for owner, count in advances.items():
        for i in range(count):
            rows += deal_rows(owner, f"{owner}-A{i}", "2026-W45")
    for owner, count in (stuck or {}).items():
        for i in range(count):
            rows += deal_rows(owner, f"{owner}-S{i}")
    return pd.DataFrame(rows)


def activities(counts: dict[str, int], deal: dict[str, str] | None = None) -> pd.DataFrame:
    """``counts[rep]`` visits on :data:`DAY`, each on the rep's deal ``deal[rep]`` (else
    on none)."""
    rows = [
        {
            "team": "T",
            "owner": owner,
            "activity_type": "visit",
            "activity_date": DAY,
            "deal_id": (deal or {}).get(owner),
        }
        for owner, n in counts.items()
        for _ in range(n)
    ]
    return pd.DataFrame(rows)


def findings(ctx: WeekDiagnostics, rule: str, **params: Any) -> pd.DataFrame:
    return coaching_findings(ctx, rules=[rule], settings={rule: params})


def busy_context(ann_activities: int = 30, ann_advances: int = 2) -> WeekDiagnostics:
    """Ann 30 visits (28 on a deal that never moves), Bo, Cy, Di 10 each: the norm is 10
    and Ann's ratio 3 (high). Advances: Ann 2, Bo 2, Cy 2, Di 5, so activities per
    advance 15, 5, 5, 2: the team's median 5, Ann 3x it."""
    counts = {"Ann": ann_activities, "Bo": 10, "Cy": 10, "Di": 10}
    acts = activities(counts, {"Ann": "Ann-S0"})
    acts.loc[acts.index[:2], "deal_id"] = "Ann-A0"  # 2 of Ann's visits on a deal that moved
    frame = history({"Ann": ann_advances, "Bo": 2, "Cy": 2, "Di": 5}, {"Ann": 1})
    return WeekDiagnostics(frame, W47, companions=Companions(activities=acts))


def test_busy_without_advance_fires_on_effort_that_moves_no_deal() -> None:
    found = findings(busy_context(), "busy_without_advance")
    assert found["owner"].tolist() == ["Ann"]
    row = found.iloc[0]
    assert (row["value"], row["reference"], row["severity"]) == (15.0, 5.0, 2)
    e = row["evidence"]
    assert (e["activities"], e["advances"], e["norm"], e["times_median"]) == (30, 2, 10.0, 3.0)
    # 28 of the 30 visits on Ann-S0, which did not move; 2 on Ann-A0, which did
    assert (e["on_deals"], e["deals_worked"]) == (30, 2)
    assert (e["deals_not_advanced"], e["activities_not_advanced"]) == (1, 28)
    en = coaching_prompts(found, lang="en").iloc[0]
    assert "14 activities per advance" not in en["observation"]
    assert "15.0 activities per advance against the team's median of 5.0" in en["observation"]
    assert "28 of the 30 activities you logged on deals went to 1 of 2" in en["observation"]
    zh = coaching_prompts(found, lang="zh").iloc[0]
    assert "每次阶段推进平均花 15.0 次活动，团队中位数为 5.0 次" in zh["observation"]


def test_busy_without_advance_with_no_advance_at_all_is_severity_3() -> None:
    found = findings(busy_context(ann_advances=0), "busy_without_advance")
    row = found.iloc[0]
    # value: the activities; reference: the median of 5, 5, 2 (Ann has no ratio)
    assert (row["owner"], row["value"], row["reference"], row["severity"]) == ("Ann", 30, 5, 3)
    assert row["evidence"]["no_advance"] is True and row["evidence"]["times_median"] is None
    assert "none of your deals moved" in coaching_prompts(found, lang="en").iloc[0]["prompt"]


def test_busy_without_advance_needs_high_activity() -> None:
    # Ann 14 visits: 1.4x the norm of 10 (high is 1.5x), 7 per advance: 1.4x the median 5
    assert findings(busy_context(ann_activities=14), "busy_without_advance", min_ratio=1).empty
    # Ann 15: exactly 1.5x the norm (high), 7.5 per advance: 1.5x the median
    found = findings(busy_context(ann_activities=15), "busy_without_advance", min_ratio=1.5)
    assert found["owner"].tolist() == ["Ann"]
    assert findings(busy_context(ann_activities=15), "busy_without_advance").empty  # < 2x


@boundary("rules.busy_without_advance.min_ratio")
@pytest.mark.parametrize(
    ("min_ratio", "fired"), [(3.0 - NUDGE, True), (3.0, True), (3.0 + NUDGE, False)]
)
def test_busy_without_advance_at_min_ratio_times_the_median(min_ratio: float, fired: bool) -> None:
    # Ann: 15 activities per advance, exactly 3x the team's median of 5
    found = findings(busy_context(), "busy_without_advance", min_ratio=min_ratio)
    assert (not found.empty) is fired


def test_busy_without_advance_severity_at_4x_the_median() -> None:
    # Ann 2 advances, Bo 2, Cy 2, Di 5 -> median 5; Ann 40 visits: 20 per advance, 4x
    assert findings(busy_context(ann_activities=40), "busy_without_advance").loc[0, "severity"] == 3
    assert findings(busy_context(ann_activities=39), "busy_without_advance").loc[0, "severity"] == 2


def below_context(
    ann: int, norm: int = 12, forecast: pd.DataFrame | None = None
) -> WeekDiagnostics:
    acts = activities({"Ann": ann, "Bo": norm, "Cy": norm})
    ctx = WeekDiagnostics(history({"Bo": 1}), W47, companions=Companions(activities=acts))
    if forecast is not None:
        ctx.__dict__["forecast_rep"] = forecast
    return ctx


@pytest.mark.parametrize(
    ("ann", "severity"), [(2, 2), (3, 1), (6, 1), (7, None)]
)  # norm 12: 1/6, exactly 1/4, exactly 1/2 (low), above half
def test_activity_below_norm_fires_at_or_below_half_the_norm(
    ann: int, severity: int | None
) -> None:
    found = findings(below_context(ann), "activity_below_norm")
    if severity is None:
        assert found.empty
        return
    row = found.iloc[0]
    assert (row["owner"], row["value"], row["reference"], row["severity"]) == (
        "Ann",
        ann,
        12.0,
        severity,
    )
    assert row["evidence"]["ratio"] == pytest.approx(ann / 12)


def test_activity_below_norm_is_one_higher_when_coverage_is_also_short() -> None:
    short = pd.DataFrame({"team": ["T"], "owner": ["Ann"], "verdict": ["short"]})
    found = findings(below_context(3, forecast=short), "activity_below_norm")
    assert found.loc[0, "severity"] == 2 and found.loc[0, "evidence"]["coverage_short"] is True
    found = findings(below_context(2, forecast=short), "activity_below_norm")
    assert found.loc[0, "severity"] == 3
    zh = coaching_prompts(found, lang="zh").iloc[0]["observation"]
    assert "活动量是团队常模（12.0 次）的 17%" in zh and "在跟商机也不足以覆盖剩余目标" in zh


def leads(groups: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    """``(owner, source, converted, disqualified)``: leads created 2026-09-01."""
    rows = [
        {
            "team": "T",
            "owner": owner,
            "lead_source": source,
            "created_date": pd.Timestamp("2026-09-01"),
            "converted": i < won,
            "disqualified": i >= won,
        }
        for owner, source, won, lost in groups
        for i in range(won + lost)
    ]
    frame = pd.DataFrame(rows)
    return frame.astype({"converted": "boolean", "disqualified": "boolean"})


def lead_context(groups: list[tuple[str, str, int, int]]) -> WeekDiagnostics:
    return WeekDiagnostics(history({"Ann": 1}), W47, companions=Companions(leads=leads(groups)))


@pytest.mark.parametrize(
    ("converted", "severity"), [(1, 3), (2, 2), (3, None)]
)  # of 10: 10% (a third of 30%), 20% (two thirds), exactly 30% (not below)
def test_lead_conversion_low_against_the_30_percent_rule(
    converted: int, severity: int | None
) -> None:
    ctx = lead_context([("Ann", "Web", converted, 10 - converted), ("Bo", "Web", 6, 4)])
    found = findings(ctx, "lead_conversion_low")
    if severity is None:
        assert found.empty
        return
    row = found.iloc[0]
    team_rate = (converted + 6) / 20
    assert (row["owner"], row["value"], row["severity"]) == ("Ann", converted / 10, severity)
    assert row["reference"] == pytest.approx(team_rate)
    assert row["evidence"]["decided"] == 10 and row["evidence"]["min_conversion"] == 0.3


def test_lead_conversion_low_needs_enough_decided_leads() -> None:
    # 1 of 9 decided: fewer than leads.min_leads (10), no verdict
    assert findings(lead_context([("Ann", "Web", 1, 8)]), "lead_conversion_low").empty


def test_lead_source_low_finds_the_source_and_compares_the_others() -> None:
    ctx = lead_context([("Ann", "Fair", 1, 9), ("Ann", "Web", 5, 5), ("Bo", "Web", 3, 2)])
    found = findings(ctx, "lead_source_low")
    assert found["scope"].tolist() == ["team"] and found["owner"].tolist() == [""]
    row = found.iloc[0]
    assert (row["value"], row["reference"], row["severity"]) == (0.1, 0.3, 3)
    e = row["evidence"]
    assert (e["source"], e["decided"], e["others_decided"], e["others_rate"]) == (
        "Fair",
        10,
        15,
        8 / 15,
    )
    en = coaching_prompts(found, lang="en").iloc[0]["observation"]
    assert en.startswith("Leads from “Fair” convert at 10% (1 of 10")
    assert "收紧线索筛选" in coaching_prompts(found, lang="zh").iloc[0]["action"]


def invoices(due: list[str], owner: str | None = "Ann") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "team": "T",
            "invoice_id": [f"INV{i}" for i in range(len(due))],
            "account": "上海恒通机械有限公司",
            "deal_id": "Ann-A0",
            "owner": owner,
            "currency": "CNY",
            "invoice_date": pd.Timestamp("2026-08-01"),
            "due_date": pd.to_datetime(due),
            "amount": 1_000_000.0,
            "paid_amount": 300_000.0,
            "paid_date": pd.Timestamp("2026-09-01"),
        }
    )


def invoice_context(due: list[str], owner: str | None = "Ann") -> WeekDiagnostics:
    companions = Companions(invoices=invoices(due, owner))
    return WeekDiagnostics(history({"Ann": 1}), W47, companions=companions)


@pytest.mark.parametrize(
    ("due", "days", "severity"),
    [("2026-10-23", 30, None), ("2026-10-22", 31, 2), ("2026-09-23", 60, 2), ("2026-09-22", 61, 3)],
)  # days past due on the as-of Sunday 2026-11-22
def test_invoice_overdue_by_days_past_due(due: str, days: int, severity: int | None) -> None:
    found = findings(invoice_context([due]), "invoice_overdue")
    if severity is None:
        assert found.empty
        return
    row = found.iloc[0]
    assert (row["owner"], row["value"], row["reference"], row["severity"]) == (
        "Ann",
        days,
        30,
        severity,
    )
    assert (row["amount_at_stake"], row["currency"]) == (700_000.0, "CNY")
    zh = coaching_prompts(found, lang="zh").iloc[0]
    assert f"已逾期 {days} 天" in zh["observation"] and "70万元" in zh["observation"]


def test_invoice_overdue_lists_a_reps_invoices_and_finds_the_rep_from_the_deal() -> None:
    found = findings(invoice_context(["2026-10-01", "2026-09-01"], owner=None), "invoice_overdue")
    assert len(found) == 1  # one finding for the rep, the oldest invoice first
    row = found.iloc[0]
    assert (row["owner"], row["value"], row["amount_at_stake"]) == ("Ann", 82, 1_400_000.0)
    assert row["evidence"]["invoice_ids"] == "INV1, INV0" and row["evidence"]["invoices"] == 2
    en = coaching_prompts(found, lang="en").iloc[0]
    assert en["observation"].startswith("2 invoices of your customers are more than 30 days")
    assert "What is holding the payment at 恒通机械" in en["question"]


def test_no_export_no_finding_and_the_sheet_says_what_was_not_checked() -> None:
    ctx = WeekDiagnostics(history({"Ann": 1}), W47)
    assert coaching_findings(ctx, rules=list(RULES)).empty
    assert companion_notes(ctx, "en") == (
        "Activities per rep: not available: no activities export",
        "Lead conversion: not available: no leads export",
        "Overdue invoices: not available: no invoices export",
    )
    assert companion_notes(ctx, "zh")[2] == "逾期回款：无法分析：没有开票回款导出"
    acts = WeekDiagnostics(
        history({"Ann": 1}), W47, companions=Companions(activities=activities({"Ann": 1}))
    )
    assert [n.split(":")[0] for n in companion_notes(acts)] == [
        "Lead conversion",
        "Overdue invoices",
    ]


@pytest.fixture(scope="module")
def sample() -> dict[str, pd.DataFrame]:
    from pipereview import WeeklyReview

    found = {}
    for team in ("North", "West", "华东"):
        review = WeeklyReview.from_files(team=team, week=W47, exports="data/samples/exports")
        found[team] = (review.context, coaching_findings(review.context, rules=list(RULES)))
    return found


def test_the_samples_planted_problems_are_found(sample: dict[str, Any]) -> None:
    north, busy = sample["North"]
    busy = busy[busy["rule"] == "busy_without_advance"]
    # exactly the rep the review's table shows as high with the most activities per advance
    counts = north.companion_figures.activity_rep
    assert counts.loc[counts["label"] == "high", "owner"].tolist() == ["Chris Walker"]
    assert busy["owner"].tolist() == ["Chris Walker"]
    e = busy.iloc[0]["evidence"]
    assert (e["activities"], e["advances"]) == (163, 11)
    assert e["activities_not_advanced"] == e["on_deals"] and e["deals_not_advanced"] == 15
    assert round(busy.iloc[0]["value"], 1) == 14.8 and round(busy.iloc[0]["reference"], 1) == 3.4
    _, west = sample["West"]
    source = west[west["rule"] == "lead_source_low"]
    assert [r["source"] for r in source["evidence"]] == ["Trade Show"]
    assert source.iloc[0]["value"] == 0.12 and source.iloc[0]["evidence"]["decided"] == 25
    _, huadong = sample["华东"]
    overdue = huadong[huadong["rule"] == "invoice_overdue"]
    assert overdue["account"].tolist() == ["绍兴永盛智能装备有限公司"]
    assert overdue.iloc[0]["amount_at_stake"] == 812_000.0 and overdue.iloc[0]["value"] >= 45
