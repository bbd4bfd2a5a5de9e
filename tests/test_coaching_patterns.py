"""One rule across several of a rep's deals becomes one skill-coaching item (the deals
listed, their money summed, a target on some of them by the follow-up day), and every
point a sheet can list carries a measurable target with that date, in both languages."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from _boundaries import boundary
from pipereview.coaching import coaching_prompts, coaching_sheet, findings_frame, get_rule
from pipereview.coaching._rulekit import follow_up_by
from pipereview.coaching._sheetitems import pattern_goal
from pipereview.coaching.prompts import PromptTemplates
from pipereview.coaching.registry import rule_names
from pipereview.config import Config
from pipereview.core._errors import ConfigError
from pipereview.core._weeks import Week
from pipereview.week import WeekDiagnostics

W47 = "2026-W47"  # Friday 2026-11-20; + 30 days is Sunday 2026-12-20, so Monday 2026-12-21
BY = "2026-12-21"
CRM = "https://crm.example/r/{deal_id}"


def _finding(rule: str, deal: str, amount: float, **over: Any) -> pd.DataFrame:
    """One risk finding of Ann's on ``deal``, as the rule returns it (evidence with ``by``)."""
    rule_of = get_rule(rule)
    row: dict[str, Any] = {
        "team": "North",
        "owner": "Ann",
        "deal_key": deal,
        "deal_id": f"006{deal}",
        "deal_name": f"Deal {deal}",
        "account": f"Account {deal} GmbH",
        "stage_model": "generic_4",
        "stage": "solution_quote",
        "metric": "m",
        "value": 1.0,
        "reference": 0.0,
        "severity": 2,
        "amount_at_stake": amount,
        "currency": "EUR",
        "evidence": {"required_stage": "initial_contact", "stages_beyond": 1, "by": BY},
    }
    row.update(over)
    return findings_frame(
        pd.DataFrame([row]),
        rule=rule,
        kind=rule_of.kind,
        coaching=rule_of.coaching,
        scope=rule_of.scope,
    )


def _prompts(frames: list[pd.DataFrame], lang: str) -> pd.DataFrame:
    return coaching_prompts(pd.concat(frames, ignore_index=True), lang=lang)


def _no_dm(deals: int) -> list[pd.DataFrame]:
    """``deals`` deals of Ann's without a decision maker: 40k, 30k, 20k, 10k, ..."""
    return [_finding("no_decision_maker", f"D{n}", 10_000.0 * (deals - n)) for n in range(deals)]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_four_deals_without_a_decision_maker_make_one_skill_item(lang: str) -> None:
    sheet = coaching_sheet(_prompts(_no_dm(4), lang), "North", "Ann", as_of=W47, crm_url=CRM)
    assert len(sheet.items) == 1
    item = sheet.items[0]
    assert item["kind"] == "skill" and item["rule"] == "no_decision_maker"
    assert item["amount"] == 100_000.0  # 40k + 30k + 20k + 10k
    assert [d["deal_id"] for d in item["deals"]] == ["006D0", "006D1", "006D2", "006D3"]
    assert item["deals"][0]["url"] == "https://crm.example/r/006D0"
    markdown, html = sheet.to_markdown(), sheet.to_html()
    if lang == "en":
        assert "1. **Skill coaching**" in markdown
        assert "No decision maker: 4 of your deals, 100,000 EUR together, are past the stage" in (
            markdown
        )
        assert (
            f"     - Target by {BY}: the decision maker met and named in the CRM on 3 of the "
            "4 deals, largest first." in markdown.splitlines()
        )
        assert "   - The deals, largest first:" in markdown
        assert (
            "     - Deal D0 — Account D0 GmbH, 40,000 EUR, Solution & quote — Deal ID: "
            "[006D0](https://crm.example/r/006D0)" in markdown.splitlines()
        )
    else:
        assert "1. **技能辅导**" in markdown
        assert (
            "未找到决策人：你有 4 个商机已过了应当确定决策人的阶段，却仍未记录决策人，合计 10万 EUR"
            in (markdown)
        )
        assert (
            f"     - 目标（{BY} 前）：4 个商机中有 3 个见到决策人并记录在 CRM 中，按金额从大到小推进。"
            in (markdown.splitlines())
        )
        assert "     - Deal D0 — Account D0 GmbH，4万 EUR，方案报价 — 商机编号：" in markdown
    # each deal once, as a line of the pattern; never as an item of its own
    for n in range(4):
        assert markdown.count(f"Deal D{n} —") == 1
        assert html.count(f"<strong>Deal D{n}</strong>") == 1
    assert '<a href="https://crm.example/r/006D3" rel="noopener noreferrer"' in html
    assert '<ul class="pattern-deals">' in html and html.count('class="target"') == 1
    frame = sheet.to_frame()  # nothing lost: the four findings under the one item
    assert frame["rank"].tolist() == [1, 1, 1, 1]
    assert set(frame["item_kind"]) == {"skill"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_two_deals_without_a_decision_maker_stay_two_opportunity_items(lang: str) -> None:
    sheet = coaching_sheet(_prompts(_no_dm(2), lang), "North", "Ann", as_of=W47)
    assert [(i["kind"], i["deal_key"]) for i in sheet.items] == [
        ("opportunity", "D0"),
        ("opportunity", "D1"),
    ]
    assert all(i["pattern"] is None for i in sheet.items)
    target = "Target by" if lang == "en" else "目标（"
    assert sheet.to_markdown().count(f"     - {target}{' ' if lang == 'en' else ''}") == 2


@boundary("coaching_pattern_deals")
@pytest.mark.parametrize(
    ("deals", "setting", "skill_items", "deal_items"),
    [
        (2, None, 0, 2),  # below the default 3
        (3, None, 1, 0),  # exactly at it
        (4, None, 1, 0),  # above it
        (3, 4, 0, 3),  # below a setting of 4
        (4, 4, 1, 0),  # at it
        (5, 4, 1, 0),  # above it
        (2, 2, 1, 0),  # the smallest setting: two deals are a pattern
    ],
)
def test_a_pattern_takes_coaching_pattern_deals_deals(
    deals: int, setting: int | None, skill_items: int, deal_items: int
) -> None:
    prompts = _prompts(_no_dm(deals), "en")
    sheet = coaching_sheet(prompts, "North", "Ann", as_of=W47, pattern_deals=setting)
    kinds = [item["kind"] for item in sheet.items]
    assert (kinds.count("skill"), kinds.count("opportunity")) == (skill_items, deal_items)
    # the same through the configuration
    config = {} if setting is None else {"coaching_pattern_deals": setting}
    deals_frame = pd.DataFrame(
        [
            {
                "snapshot_week": W47,
                "team": "North",
                "owner": "Ann",
                "deal_id": "X",
                "deal_name": "X",
                "stage": "initial_contact",
                "stage_model": "generic_4",
                "amount": 1.0,
                "currency": "EUR",
                "close_date": pd.Timestamp("2026-12-31"),
            }
        ]
    )
    context = WeekDiagnostics(deals_frame, as_of=W47, config=Config(**config))
    via_config = coaching_sheet(prompts, "North", "Ann", as_of=W47, context=context)
    assert [item["kind"] for item in via_config.items] == kinds


@boundary("coaching_pattern_deals")
def test_a_pattern_needs_two_deals_at_least() -> None:
    assert Config().coaching_pattern_deals == 3
    with pytest.raises(ConfigError, match="coaching_pattern_deals must be a whole number of at "):
        Config(coaching_pattern_deals=1)
    with pytest.raises(ConfigError, match=r"pipereview.yaml: coaching_pattern_deals .* got 1"):
        Config.from_mapping({"coaching_pattern_deals": 1}, source="pipereview.yaml")
    assert Config.from_mapping({"coaching_pattern_deals": 2}).coaching_pattern_deals == 2
    assert Config(coaching_pattern_deals=4).to_mapping() == {"coaching_pattern_deals": 4}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_folded_deals_are_not_repeated_and_keep_their_other_issues(lang: str) -> None:
    frames = [
        *_no_dm(4),  # D0 40k .. D3 10k
        _finding(
            "stalled_deal",
            "D0",
            40_000.0,
            evidence={"days_since_activity": 45, "stalled_days": 30, "days_in_stage": 60, "by": BY},
            value=45.0,
        ),
        _finding(
            "close_date_past",
            "X",
            500_000.0,
            evidence={"close": "2026-10-01", "by": BY},
            value=46.0,
        ),
        *[
            _finding(
                "repeated_pushes",
                f"P{n}",
                1_000.0 * (n + 1),
                value=2.0,
                reference=2.0,
                evidence={"push_count": 2, "close": "2026-12-31", "by": BY},
            )
            for n in range(5)
        ],
    ]
    prompts = _prompts(frames, lang)
    sheet = coaching_sheet(prompts, "North", "Ann", as_of=W47)
    # the two patterns first (Ann has many flagged deals), most money first: no decision
    # maker 100k, pushes 15k; then the deals by money: X 500k, D0 (its stall only) 40k
    assert [(i["kind"], i["rule"] or i["deal_key"]) for i in sheet.items] == [
        ("skill", "no_decision_maker"),
        ("skill", "repeated_pushes"),
        ("opportunity", "X"),
        ("opportunity", "D0"),
    ]
    assert len(sheet.ranked) <= 5 and sheet.appendix == ()
    assert sheet.items[1]["amount"] == 15_000.0  # 1k + 2k + 3k + 4k + 5k
    own = sheet.items[3]
    assert [f["rule"] for f in own["findings"]] == ["stalled_deal"]  # the folded issue gone
    opportunity_keys = [i["deal_key"] for i in sheet.items if i["kind"] == "opportunity"]
    assert len(opportunity_keys) == len(set(opportunity_keys))  # one item per deal
    folded = {d["deal_key"] for i in sheet.items for d in i["deals"]}
    assert folded == {"D0", "D1", "D2", "D3", "P0", "P1", "P2", "P3", "P4"}
    for item in sheet.items:
        if item["kind"] == "opportunity":
            assert not {f["rule"] for f in item["findings"]} & {
                "no_decision_maker",
                "repeated_pushes",
            }
    frame = sheet.to_frame()
    assert len(frame) == len(prompts)  # every finding is on the sheet, once
    limited = coaching_sheet(prompts, "North", "Ann", as_of=W47, max_items=2)
    assert len(limited.ranked) == 2 and len(limited.appendix) == 2
    assert "## " + ("Appendix" if lang == "en" else "附录") in limited.to_markdown()


def test_the_target_covers_the_larger_half_at_most_two_deals_a_week() -> None:
    assert [pattern_goal(n) for n in (2, 3, 4, 6, 7, 9, 20)] == [2, 3, 3, 3, 4, 5, 8]
    assert pattern_goal(9, weeks=1) == 2
    # on the sheet: 7 deals stalled, follow-up in 5 weeks: 4 of the 7
    frames = [
        _finding(
            "stalled_deal",
            f"S{n}",
            1_000.0,
            value=40.0,
            reference=30.0,
            evidence={"days_since_activity": 40, "stalled_days": 30, "days_in_stage": 50, "by": BY},
        )
        for n in range(7)
    ]
    sheet = coaching_sheet(_prompts(frames, "en"), "North", "Ann", as_of=W47)
    assert sheet.items[0]["pattern"]["target"] == (
        f"Target by {BY}: a logged customer activity and a dated next step on 4 of the 7 "
        "deals, the others out of the forecast or closed, largest first."
    )
    assert (
        "have had no logged activity for 30 days or more"
        in (sheet.items[0]["pattern"]["observation"])
    )


#: An example finding of each rule whose items reach a rep's sheet: value, reference,
#: amount, stage and evidence as the rule returns them (``by`` is added by the registry).
EXAMPLES: dict[str, dict[str, Any]] = {
    "activity_below_norm": {
        "value": 3.0,
        "reference": 12.0,
        "evidence": {
            "visit": 1,
            "meeting": 1,
            "call": 1,
            "ratio": 0.25,
            "peers_median": 12.0,
            "per_week": [1, 0, 2, 0],
            "coverage_short": False,
            "weeks": 4,
        },
    },
    "busy_without_advance": {
        "value": 15.0,
        "reference": 5.0,
        "evidence": {
            "activities": 30,
            "advances": 2,
            "no_advance": False,
            "norm": 10.0,
            "activity_ratio": 3.0,
            "times_median": 3.0,
            "on_deals": 30,
            "deals_worked": 2,
            "deals_not_advanced": 1,
            "activities_not_advanced": 28,
            "weeks": 4,
        },
    },
    "call_bias": {
        "value": 0.75,
        "reference": 1.0,
        "evidence": {
            "verdict": "sandbagging",
            "sandbagging": True,
            "quarters": 4,
            "bias_tolerance": 0.10,
        },
    },
    "call_stale": {
        "value": 3.0,
        "reference": 1.0,
        "evidence": {"last_week": "2026-W44", "never": False, "stale_days": 7, "period": "2026-Q4"},
    },
    "invoice_overdue": {
        "value": 47.0,
        "reference": 30.0,
        "amount_at_stake": 812_000.0,
        "evidence": {
            "invoices": 1,
            "invoice_id": "44107844",
            "due_date": "2026-10-06",
            "invoice_amount": 1_160_000.0,
            "invoice_owed": 812_000.0,
            "invoice_ids": "44107844",
            "overdue_days": 30,
        },
    },
    "lead_conversion_low": {
        "value": 0.2,
        "reference": 0.34,
        "evidence": {
            "leads": 19,
            "converted": 3,
            "disqualified": 11,
            "decided": 15,
            "min_conversion": 0.3,
            "weeks": 13,
        },
    },
    "below_stage_standard": {
        "value": 0.2,
        "reference": 0.6,
        "evidence": {
            "entered": 10,
            "reached": 2,
            "pending": 1,
            "high": 0.3,
            "weeks": 13,
            "goal": 0.4,
        },
    },
    "close_date_past": {"value": 20.0, "evidence": {"days_overdue": 20.0, "close": "2026-10-27"}},
    "coverage_below_need": {
        "value": 1.2,
        "reference": 4.0,
        "amount_at_stake": 100_000.0,
        "evidence": {
            "open_in_period": 120_000.0,
            "remaining_target": 100_000.0,
            "win_rate": 0.25,
            "closed_in_window": 8,
            "period": "2026-Q4",
            "weeks_left": 10,
            "late": False,
        },
    },
    "deal_concentration": {
        "value": 0.6,
        "reference": 0.4,
        "amount_at_stake": 60_000.0,
        "evidence": {"rep_open_amount": 100_000.0, "rep_open_deals": 5},
    },
    "forecast_deviation": {
        "value": -0.3,
        "reference": 0.15,
        "amount_at_stake": 30_000.0,
        "evidence": {
            "won_to_date": 20_000.0,
            "plan_to_date": 50_000.0,
            "target": 100_000.0,
            "period": "2026-Q4",
            "expected_share": 0.5,
            "won_share": 0.2,
            "plan_rule": "plan to date is a straight line in working days (no seasonal shape set)",
            "plan_rule_zh": "计划进度按工作日平均分摊（未设淡旺季分布）",
        },
    },
    "low_stage_conversion": {
        "value": 0.02,
        "reference": 0.1,
        "evidence": {
            "exposures": 100,
            "moved": 2,
            "peer_exposures": 100,
            "peer_moved": 10,
            "open_at_stage": 4,
            "weeks": 8,
            "p_value": 0.01,
            "goal": 0.06,
        },
    },
    "missing_exit_criteria": {
        "value": 60.0,
        "reference": 30.0,
        "evidence": {
            "days_in_stage": 60.0,
            "limit_days": 30.0,
            "limit_source": "team_p75",
            "next_actions": ("budget_confirmed",),
        },
    },
    "no_coach": {"evidence": {"required_stage": "initial_contact", "stages_beyond": 1}},
    "no_decision_maker": {"evidence": {"required_stage": "initial_contact", "stages_beyond": 1}},
    "no_open_pipeline": {
        "value": 0.0,
        "reference": 6.0,
        "amount_at_stake": 50_000.0,
        "evidence": {"won": 1, "lost": 2},
    },
    "repeated_pushes": {
        "value": 3.0,
        "reference": 2.0,
        "evidence": {"push_count": 3, "close": "2026-12-31"},
    },
    "stage_inflation": {
        "value": 2.0,
        "evidence": {
            "claimed_stage": "solution_quote",
            "evidence_stage": "initial_contact",
            "missing": ("budget_confirmed", "customer_background"),
            "stages_inflated": 2,
            "to_verify": ("budget_confirmed",),
            "homework": ("customer_background",),
        },
    },
    "stalled_deal": {
        "value": 45.0,
        "reference": 30.0,
        "evidence": {"days_since_activity": 45, "stalled_days": 30, "days_in_stage": 60},
    },
    "zero_win_rate": {
        "value": 0.0,
        "reference": 0.3,
        "amount_at_stake": 80_000.0,
        "evidence": {"lost": 4, "peer_won": 3, "peer_lost": 7, "weeks": 13, "main_reason": ""},
    },
}


def _sheet_rules() -> list[str]:
    """Every registered rule whose findings can be a point on a rep's sheet."""
    return [
        name
        for name in rule_names()
        if get_rule(name).kind == "risk" and get_rule(name).scope != "team"
    ]


def test_every_rule_on_a_sheet_has_an_example() -> None:
    missing = sorted(set(_sheet_rules()) - set(EXAMPLES))
    assert missing == [], f"add an example finding of {missing} to EXAMPLES"


@pytest.mark.parametrize("rule", _sheet_rules())
def test_every_point_has_a_measurable_target_by_the_follow_up_day(rule: str) -> None:
    example = EXAMPLES[rule]
    by = follow_up_by(Week.parse(W47), 30)
    assert by == BY
    deal = get_rule(rule).scope == "deal" or rule == "deal_concentration"
    finding = _finding(
        rule,
        "A" if deal else "",
        example.get("amount_at_stake", 25_000.0),
        value=example.get("value", 1.0),
        reference=example.get("reference", 0.0),
        evidence={**example["evidence"], "by": by},
    )
    targets = {}
    for lang in ("en", "zh"):
        target = coaching_prompts(finding, lang=lang)["target"].iloc[0]
        assert by in target, (rule, lang, target)
        digits = target.replace(by, "")
        assert any(c.isdigit() for c in digits) or "recorded" in target or "记录" in target, (
            rule,
            lang,
            target,
        )
        targets[lang] = target
    assert targets["en"].startswith(f"Target by {by}: ")
    assert targets["zh"].startswith(f"目标（{by} 前）：")
    if get_rule(rule).scope == "deal":  # and as a pattern across three deals
        templates = PromptTemplates()
        for lang in ("en", "zh"):
            frames = [finding.assign(deal_key=k, deal_id=k) for k in ("A", "B", "C")]
            sheet = coaching_sheet(
                _prompts(frames, lang), "North", "Ann", as_of=W47, templates=templates
            )
            pattern = sheet.items[0]["pattern"]
            assert by in pattern["target"] and "3" in pattern["target"], (rule, lang)
