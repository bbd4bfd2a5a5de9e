"""The coaching sheet's structure for hand-built reps, in both languages: one ranked list of
at most ``coaching_items`` points, one item per deal, the rest in an appendix (nothing
lost), the item labels, the deal ID and the rep's next step beside each deal, a closing
line, a follow-up on a working day, and the team view's themes and reps by money."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from _boundaries import boundary
from pipereview.coaching import coaching_sheet, team_summary
from pipereview.coaching.pack import _team_files
from pipereview.coaching.prompts import PromptTemplates
from pipereview.coaching.sheet import follow_up_date
from pipereview.coaching.titles import rule_title
from pipereview.config import Config, load_config
from pipereview.core._errors import ConfigError
from pipereview.core._weeks import Week
from pipereview.week import WeekDiagnostics

W47 = "2026-W47"  # its Friday is 2026-11-20; + 30 days is Sunday 2026-12-20
CRM = "https://crm.example/r/{deal_id}"
LABELS = {"en": ("Opportunity coaching", "Skill coaching"), "zh": ("商机辅导", "技能辅导")}


def _p(rule: str, owner: str, deal: str, amount: float, severity: int, **over: Any) -> dict:
    """One rendered finding; its observation names the rule and the deal, so each can be
    found once in a sheet."""
    row = {
        "rule": rule,
        "kind": "risk",
        "coaching": "opportunity" if deal else "skill",
        "scope": "deal" if deal else "rep",
        "team": "North",
        "owner": owner,
        "deal_key": deal,
        "deal_id": f"006{deal}" if deal else "",
        "deal_name": f"Deal {deal}" if deal else "",
        "account": "Acme",
        "stage_model": "generic_4",
        "stage": "solution_quote",
        "metric": "m",
        "value": 1.0,
        "reference": 1.0,
        "severity": severity,
        "amount_at_stake": amount,
        "currency": "EUR",
        "evidence": {},
        "observation": f"obs {rule.replace('_', ' ')} {deal or owner}.",
        "question": "What would help?",
        "action": "Agree a dated step.",
    }
    row.update(over)
    return row


def _prompts(lang: str) -> pd.DataFrame:
    rows = [
        # Ann: deal A has three issues; six deals and a skill finding: seven items (no rule
        # on three of her deals, so no pattern item)
        _p("stalled_deal", "Ann", "A", 40_000, 2),
        _p("no_decision_maker", "Ann", "A", 40_000, 3),
        _p("repeated_pushes", "Ann", "A", 40_000, 1),
        _p("stalled_deal", "Ann", "B", 90_000, 2),
        _p("stage_inflation", "Ann", "C", 10_000, 3),
        _p("no_decision_maker", "Ann", "D", 10_000, 1),
        _p("close_date_past", "Ann", "E", 5_000, 2),
        _p("no_coach", "Ann", "F", 2_000, 1),
        _p("low_stage_conversion", "Ann", "", 1_000, 2),
        # Bo: one flagged deal and a skill finding, ranked together by money
        _p("stalled_deal", "Bo", "G", 50_000, 2),
        _p("coverage_below_need", "Bo", "", 20_000, 3),
        # Cy: a strength, no risk
        _p("best_conversion", "Cy", "", 0, 0, kind="strength"),
        _p("close_date_past", "Di", "H", 60_000, 2),
        _p("repeated_pushes", "Eve", "I", 1_000, 1),
    ]
    return pd.DataFrame(rows).assign(lang=lang, prompt="")


def _keys(items: tuple[dict[str, Any], ...]) -> list[str]:
    return [item["deal_key"] or item["findings"][0]["rule"] for item in items]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_one_ranked_list_of_five_one_item_per_deal_the_rest_in_the_appendix(lang: str) -> None:
    prompts = _prompts(lang)
    sheet = coaching_sheet(prompts, "North", "Ann", as_of=W47)
    # skill first (Ann has six flagged deals), then by money: B 90k, A 40k, C and D 10k
    # (C the more severe), then E 5k and F 2k in the appendix
    assert _keys(sheet.ranked) == ["low_stage_conversion", "B", "A", "C", "D"]
    assert _keys(sheet.appendix) == ["E", "F"]
    deal_a = sheet.ranked[2]
    assert [f["rule"] for f in deal_a["findings"]] == [
        "no_decision_maker",  # most severe first
        "stalled_deal",
        "repeated_pushes",
    ]
    frame = sheet.to_frame()
    risks = frame[frame["section"] != "strength"]
    mine = prompts[(prompts["owner"] == "Ann") & (prompts["kind"] == "risk")]
    assert len(risks) == len(mine) == 9  # nothing lost: list + appendix = all findings
    assert sorted(risks["observation"]) == sorted(mine["observation"])
    assert risks.groupby("deal_key")["rank"].nunique().max() == 1  # a deal is one item
    for text in (sheet.to_markdown(), sheet.to_html()):
        assert text.count("Deal A") == 1  # the deal's header once, with its three issues
        for rule in ("stalled_deal", "no_decision_maker", "repeated_pushes"):
            assert text.count(f"obs {rule.replace('_', ' ')} A.") == 1
    markdown = sheet.to_markdown()
    list_part, appendix = markdown.split("\n## ", 3)[2:4]
    assert "obs no coach F." in appendix and "obs no coach F." not in list_part
    assert "6. " in appendix and "7. " in appendix  # the numbering goes on
    html = sheet.to_html()
    assert '<details class="appendix">' in html and '<ol class="coaching-items" start="6">' in html
    assert html.index("obs close date past E.") > html.index("<details")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_items_are_labelled_opportunity_or_skill_coaching(lang: str) -> None:
    opportunity, skill = LABELS[lang]
    sheet = coaching_sheet(_prompts(lang), "North", "Ann", as_of=W47)
    assert [item["label"] for item in sheet.ranked] == [skill] + [opportunity] * 4
    assert f"1. **{skill}**" in sheet.to_markdown()
    assert f"2. **{opportunity}** — Deal B" in sheet.to_markdown()
    assert f'<span class="item-label">{skill}</span>' in sheet.to_html()
    # one flagged deal: no pattern across deals, so money alone ranks: the deal (50k)
    # before the skill item (20k)
    bo = coaching_sheet(_prompts(lang), "North", "Bo", as_of=W47)
    assert _keys(bo.ranked) == ["G", "coverage_below_need"]
    assert [item["label"] for item in bo.ranked] == [opportunity, skill]


@pytest.mark.parametrize(
    ("lang", "id_line", "step_line"),
    [
        (
            "en",
            "   - Deal ID: [006A](https://crm.example/r/006A)",
            "   - The rep's recorded next step: ",
        ),
        ("zh", "   - 商机编号：[006A](https://crm.example/r/006A)", "   - 销售代表记录的下一步："),
    ],
)
def test_each_deal_shows_its_id_and_the_reps_next_step(
    lang: str, id_line: str, step_line: str
) -> None:
    steps = {"A": "Call the CFO on Tuesday"}
    sheet = coaching_sheet(
        _prompts(lang), "North", "Ann", as_of=W47, crm_url=CRM, steps=steps, max_items=7
    )
    markdown, html = sheet.to_markdown(), sheet.to_html()
    assert id_line in markdown.splitlines()
    assert "   - Deal ID: 006B" not in markdown  # linked, not plain
    assert '<a href="https://crm.example/r/006B" rel="noopener noreferrer"' in html
    assert markdown.count(step_line) == 1  # only A has a next step; nothing shown for others
    assert f"{step_line}Call the CFO on Tuesday" in markdown
    assert html.count('class="next-step"') == 1
    assert [item["next_step"] for item in sheet.items][:3] == ["", "", "Call the CFO on Tuesday"]
    plain = coaching_sheet(_prompts(lang), "North", "Ann", as_of=W47)  # no CRM, no steps
    assert "006A" in plain.to_markdown() and "https://" not in plain.to_markdown()
    assert step_line.strip() not in plain.to_markdown()


def _context(**config: Any) -> WeekDiagnostics:
    base = {
        "snapshot_week": W47,
        "team": "North",
        "owner": "Ann",
        "account": "Acme",
        "stage": "initial_contact",
        "stage_model": "generic_4",
        "amount": 100.0,
        "currency": "EUR",
        "close_date": pd.Timestamp("2026-12-31"),
        "last_activity_date": pd.Timestamp("2026-11-20"),
    }
    deals = pd.DataFrame(
        [
            {**base, "deal_id": "A", "deal_name": "Deal A", "next_step": "Send the quote"},
            {**base, "deal_id": "B", "deal_name": "Deal B", "next_step": None},
        ]
    )
    return WeekDiagnostics(deals, as_of=W47, config=Config(**config))


def test_the_context_gives_next_steps_links_holidays_and_the_item_limit() -> None:
    context = _context(crm_url=CRM, holidays=("2026-12-21",), coaching_items=1)
    prompts = pd.DataFrame(
        [_p("stalled_deal", "Ann", "A", 900, 2), _p("stalled_deal", "Ann", "B", 500, 2)]
    ).assign(lang="en", prompt="", deal_id=["A", "B"])
    sheet = coaching_sheet(prompts, "North", "Ann", as_of=W47, context=context)
    assert [(i["deal_key"], i["next_step"], i["url"]) for i in sheet.items] == [
        ("A", "Send the quote", "https://crm.example/r/A"),
        ("B", "", "https://crm.example/r/B"),
    ]
    assert len(sheet.ranked) == 1 and len(sheet.appendix) == 1
    assert sheet.follow_up == datetime.date(2026, 12, 22)  # Sunday -> Monday, a holiday
    files = dict(_team_files(context, prompts, "North", "en", PromptTemplates(), ()))
    assert "Follow-up: review these items together on 2026-12-22." in files["Ann.en.md"]
    assert "   - The rep's recorded next step: Send the quote" in files["Ann.en.md"]


def test_the_follow_up_falls_on_a_working_day() -> None:
    week = Week.parse(W47)
    assert follow_up_date(week, 30) == datetime.date(2026, 12, 21)  # Sunday -> Monday
    assert follow_up_date(week, 29) == datetime.date(2026, 12, 21)  # Saturday -> Monday
    assert follow_up_date(week, 32) == datetime.date(2026, 12, 22)  # a Tuesday stays
    christmas = [datetime.date(2026, 12, 24), datetime.date(2026, 12, 25)]
    assert follow_up_date(week, 34, christmas) == datetime.date(2026, 12, 28)  # Thu, Fri off
    holidays = [datetime.date(2026, 12, 21)]
    assert follow_up_date(week, 30, holidays) == datetime.date(2026, 12, 22)


def test_holidays_are_read_as_dates_and_a_bad_one_is_named(tmp_path: Path) -> None:
    file = tmp_path / "pipereview.yaml"
    file.write_text("holidays: [2026-12-25, '2027-01-01']\n", encoding="utf-8")
    config = load_config(file)
    assert config.holidays == (datetime.date(2026, 12, 25), datetime.date(2027, 1, 1))
    assert Config.from_mapping(config.to_mapping()) == config
    with pytest.raises(ConfigError, match=r"holidays must be a list of dates, got '2026-02-30'"):
        Config(holidays=("2026-02-30",))  # type: ignore[arg-type]
    file.write_text("holidays: [christmas]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"holidays.*christmas") as caught:
        load_config(file)
    assert caught.value.file == str(file) and "2026-12-25" in caught.value.hint


@boundary("coaching_items")
@pytest.mark.parametrize(("deals", "listed", "appended"), [(4, 4, 0), (5, 5, 0), (6, 5, 1)])
def test_the_list_holds_coaching_items_points(deals: int, listed: int, appended: int) -> None:
    rules = ("stalled_deal", "close_date_past", "repeated_pushes")  # none on 3 deals
    prompts = pd.DataFrame(
        [_p(rules[n % 3], "Ann", f"K{n}", 1_000 * (n + 1), 2) for n in range(deals)]
    ).assign(lang="en", prompt="")
    sheet = coaching_sheet(prompts, "North", "Ann", as_of=W47)  # default: 5
    assert (len(sheet.ranked), len(sheet.appendix)) == (listed, appended)
    assert ("## Appendix" in sheet.to_markdown()) == bool(appended)
    assert len(coaching_sheet(prompts, "North", "Ann", as_of=W47, max_items=2).ranked) == 2


@pytest.mark.parametrize(
    ("lang", "closing", "empty"),
    [
        (
            "en",
            "Pick the first point together and agree what done looks like: every point "
            "moved forward by 2026-12-21 brings the quarter closer.",
            "Nothing in the numbers needs fixing this week: use the time to plan the next "
            "deals together.",
        ),
        (
            "zh",
            "一起选定第一个要点，约定做到什么程度算完成：到 2026-12-21 每推进一项，"
            "离本季度目标就更近一步。",
            "本周数据中没有需要纠正的地方：利用这次 1:1 一起规划接下来的商机。",
        ),
    ],
)
def test_every_sheet_closes_on_a_forward_looking_line(lang: str, closing: str, empty: str) -> None:
    prompts = _prompts(lang)
    ann = coaching_sheet(prompts, "North", "Ann", as_of=W47)  # risks, no strength
    assert closing in ann.to_markdown() and closing in ann.to_html()
    cy = coaching_sheet(prompts, "North", "Cy", as_of=W47)  # a strength, no risk
    assert empty in cy.to_markdown() and empty in cy.to_html()
    both = prompts.assign(owner=prompts["owner"].replace("Cy", "Ann"))  # Ann with a strength
    opening = "Start from what is working, then pick" if lang == "en" else "从做得好的地方出发，"
    assert opening in coaching_sheet(both, "North", "Ann", as_of=W47).to_markdown()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_team_view_names_the_themes_and_reps_with_the_most_money(lang: str) -> None:
    summary = team_summary(_prompts(lang), "North", as_of=W47)
    # stalled_deal: A 40k + B 90k + G 50k; close_date_past: E 5k + H 60k;
    # no_decision_maker: A 40k + D 10k (repeated_pushes 41k, coverage 20k, ... are left out)
    themes = summary.themes
    assert themes["theme"].tolist() == ["stalled_deal", "close_date_past", "no_decision_maker"]
    assert themes["amount_at_stake"].tolist() == [180_000.0, 65_000.0, 50_000.0]
    assert themes["findings"].tolist() == [3, 2, 2]
    assert themes["reps"].tolist() == [2, 2, 1]
    # money at stake in flagged deals: Ann 157k (A+B+C+D+E+F), Di 60k, Bo 50k, Eve 1k, Cy 0
    assert summary.see_first == ("Ann", "Di", "Bo")
    markdown = summary.to_markdown()
    title = rule_title("stalled_deal", lang)
    if lang == "en":
        assert f"1. {title}: 180,000 EUR (3 findings, 2 reps)" in markdown
        assert "See first: Ann, Di, Bo." in markdown
    else:
        assert f"1. {title}：18万 EUR（3 项发现，2 位销售代表）" in markdown
        assert "优先约谈：Ann、Di、Bo。" in markdown
    assert title in summary.to_html()
    quiet = team_summary(_prompts(lang).iloc[0:0], "North", as_of=W47)
    assert quiet.themes.empty and quiet.see_first == ()
