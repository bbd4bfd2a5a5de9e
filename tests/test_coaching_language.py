"""The language of the per-rule prompt templates, in both languages: open questions only
(a closed question gets "yes" and ends the conversation), the method's own Chinese terms,
amounts in 万元, a customer's short name after the first mention, actions agreed together
with a measurable target where there is a figure."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from _boundaries import boundary
from pipereview.coaching import coaching_findings, coaching_prompts
from pipereview.coaching._names import short_name
from test_coaching_rules import _forecast, _move_on, _stage_table, context, gap_row

TEMPLATES = Path(__file__).resolve().parents[1] / "src" / "pipereview" / "templates" / "coaching"
#: the per-rule templates and the pattern template (one rule across several deals); the
#: sheet and team layouts are not prompts
RULE_TEMPLATES = sorted(
    p
    for p in TEMPLATES.glob("*/*.j2")
    if (not p.name.startswith("_") or p.name == "_pattern.j2") and p.parent.name in ("en", "zh")
)
_TAG = re.compile(r"{{.*?}}|{%.*?%}", re.S)
#: English questions that can be answered yes or no
_CLOSED_EN = re.compile(
    r"^(is|are|was|were|do|does|did|can|could|will|would|should|has|have|had|shall|may)\b", re.I
)
#: Chinese yes/no questions: …吗？, 是否…？, 有没有 / 是不是 / 能不能 / 会不会 …？
_CLOSED_ZH = re.compile(r"吗[？?]|是否|有没有|是不是|能不能|会不会|对不对|好不好")


def _text(path: Path) -> str:
    """The template's words, each Jinja tag replaced by a neutral word."""
    return _TAG.sub("X", path.read_text(encoding="utf-8"))


def closed_questions(text: str, lang: str) -> list[str]:
    """The closed questions in ``text``: in English each clause of a question (split at
    ",", ":", ";") that starts with an auxiliary verb; in Chinese a question with 吗 or
    an A-not-A form."""
    if lang == "zh":
        return [q for q in re.findall(r"[^。；！？\n]*？", text) if _CLOSED_ZH.search(q)]
    found = []
    for question in re.findall(r"[^.!?\n]*\?", text):
        for clause in re.split(r"[,:;]", question):
            if _CLOSED_EN.match(clause.strip()):
                found.append(question.strip())
    return found


@pytest.mark.parametrize(
    ("text", "lang", "closed"),
    [
        ("Is this deal still alive?", "en", True),
        ("Where does Acme stand: is this deal still alive, and when will they decide?", "en", True),
        ("Do you know the decision maker?", "en", True),
        ("What do you know about the decision maker?", "en", False),
        ("Which deals could still close in 2026-Q4?", "en", False),
        ("这个商机还在吗？", "zh", True),
        ("客户是否已经确认预算？", "zh", True),
        ("你了解他最关心什么吗？", "zh", True),
        ("他最关心的是什么？", "zh", False),
        ("缺口主要来自哪里：商机太少，还是成交比计划晚？", "zh", False),
    ],
)
def test_the_lint_tells_closed_from_open_questions(text: str, lang: str, closed: bool) -> None:
    assert bool(closed_questions(text, lang)) is closed


def test_there_are_templates_to_lint() -> None:
    names = {p.stem for p in RULE_TEMPLATES}
    assert {"stalled_deal", "zero_win_rate", "target_attainment", "close_date_past"} <= names
    assert "_pattern" in names
    assert len(RULE_TEMPLATES) == 2 * len(names)  # each rule in both languages


@pytest.mark.parametrize("path", RULE_TEMPLATES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_no_template_asks_a_closed_question(path: Path) -> None:
    assert closed_questions(_text(path), path.parent.name) == []


@pytest.mark.parametrize(
    "path", [p for p in RULE_TEMPLATES if p.parent.name == "zh"], ids=lambda p: p.stem
)
def test_chinese_templates_use_the_methods_terms(path: Path) -> None:
    text = _text(path)
    for jargon in ("出口条件", "商机周", "p75", "万 CNY", "CNY"):
        assert jargon not in text, f"{path.name}: {jargon}"


def test_a_customers_short_name_follows_its_first_mention() -> None:
    assert short_name("上海恒通机械有限公司") == "恒通机械"
    assert short_name("Copper Creek Foods LLC") == "Copper Creek Foods"
    assert short_name("Acme") == "Acme"
    assert short_name("绍兴恒通电子股份有限公司") == "恒通电子"
    assert short_name("Cascade Aerospace Co.") == "Cascade Aerospace"
    gaps = pd.DataFrame(
        [
            gap_row(
                "A",
                account="上海恒通机械有限公司",
                currency="CNY",
                amount=4_530_000.0,
                stages_inflated=1,
                inflated=True,
                evidence_stage="solution_quote",
                missing=("timeline_confirmed",),
            )
        ]
    )
    zh = coaching_prompts(
        coaching_findings(context(gaps=gaps), rules=["stage_inflation"]), lang="zh"
    )
    assert "（上海恒通机械有限公司，453万元）" in zh.loc[0, "observation"]
    assert "上海恒通机械有限公司" not in zh.loc[0, "question"] + zh.loc[0, "action"]
    assert "恒通机械" in zh.loc[0, "question"]


# --- actions that fit ------------------------------------------------------------------


def _inflated(missing: tuple[str, ...], stages: int) -> pd.DataFrame:
    row = gap_row("A", stages_inflated=stages, inflated=True, missing=missing)
    return coaching_findings(context(gaps=pd.DataFrame([row])), rules=["stage_inflation"])


def test_a_bookkeeping_gap_never_outranks_a_missing_decision_maker() -> None:
    # industrial_b2b-style research box unticked, 3 stages "inflated": severity 1 only;
    # a missing decision maker one stage behind: 1; two: 2; three: 3
    research = _inflated(("customer_background",), 3)
    assert research.loc[0, "severity"] == 1
    assert _inflated(("decision_maker",), 3).loc[0, "severity"] == 3
    assert _inflated(("decision_maker", "customer_background"), 2).loc[0, "severity"] == 2
    en = coaching_prompts(research, lang="en")
    assert (
        "Complete your own groundwork and record it this week: Customer background researched."
        in en.loc[0, "action"]
    )
    assert "Account A" not in en.loc[0, "action"]  # the rep's homework, not the customer's


def test_a_gap_with_the_customer_is_confirmed_with_the_customer() -> None:
    en = coaching_prompts(_inflated(("decision_maker", "customer_background"), 2), lang="en")
    action = en.loc[0, "action"]
    assert action.startswith("Agree together how you will confirm these with Account A")
    assert "Also complete your own groundwork" in action
    zh = coaching_prompts(_inflated(("decision_maker", "customer_background"), 2), lang="zh")
    assert zh.loc[0, "action"].startswith("我们一起商定下次一对一之前怎样和Account A确认")


def test_a_low_move_on_rate_gets_a_measurable_30_day_target() -> None:
    moves = _move_on(
        [
            ("Ann", "needs_confirmed", 100, 2),
            ("Bo", "needs_confirmed", 50, 5),
            ("Cy", "needs_confirmed", 50, 5),
        ]
    )
    ctx = context(move_on_rep=moves, stage_table_rep=_stage_table())
    found = coaching_findings(ctx, rules=["low_stage_conversion"])
    # as of 2026-W47: Friday 2026-11-20 + 30 days is Sunday 2026-12-20, so Monday 2026-12-21
    # the goal: half-way from Ann's 2% to her teammates' 10%: 6%
    assert found.loc[0, "evidence"]["by"] == "2026-12-21"  # the sheet's follow-up day
    assert found.loc[0, "evidence"]["goal"] == pytest.approx(0.06)
    en = coaching_prompts(found, lang="en").loc[0, "action"]
    assert "raise your weekly move-on rate at Needs confirmed from 2% to 6% by 2026-12-21" in en
    zh = coaching_prompts(found, lang="zh")
    assert "周推进率从 2% 提高到 6%" in zh.loc[0, "action"]
    assert "阶段转化率" not in zh.loc[0, "prompt"]


def test_no_list_of_new_customers_late_in_the_period_or_at_a_zero_win_rate() -> None:
    # as of 2026-W47, 2026-Q4 ends in 6 weeks: too late to open and close a deal
    late = coaching_findings(
        context(forecast_rep=_forecast([1.5, 4.0])), rules=["coverage_below_need"]
    )
    assert late.loc[0, "evidence"]["weeks_left"] == 6 and late.loc[0, "evidence"]["late"]
    en = coaching_prompts(late, lang="en").loc[0, "prompt"]
    assert "five" not in en and "With 6 weeks left in 2026-Q4" in en
    zero = _forecast([7.3, 4.0]).assign(verdict="short", win_rate=0.0, coverage_needed=float("inf"))
    found = coaching_findings(context(forecast_rep=zero), rules=["coverage_below_need"])
    text = coaching_prompts(found, lang="en").loc[0, "prompt"]
    assert "Before adding more deals" in text and "open and closed" not in text


@boundary("rules.coverage_below_need.min_weeks_to_open")
@pytest.mark.parametrize(("minimum", "late"), [(5, False), (6, False), (7, True)])
def test_fewer_than_min_weeks_to_open_left_turns_the_plan_to_next_period(
    minimum: int, late: bool
) -> None:
    # as of 2026-W47, 6 whole weeks are left in 2026-Q4
    found = coaching_findings(
        context(forecast_rep=_forecast([1.5, 4.0])),
        rules=["coverage_below_need"],
        settings={"coverage_below_need": {"min_weeks_to_open": minimum}},
    )
    assert found.loc[0, "evidence"]["late"] is late
    action = coaching_prompts(found, lang="en").loc[0, "action"]
    assert ("next period's pipeline" in action) is late
    assert ("opened and closed this period" in action) is not late
