"""The coaching engine: findings, the rule registry and its YAML thresholds, prompt
templates (user folders, errors, escaping) and the coaching sheet's layout."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pipereview.coaching import (
    FINDING_COLUMNS,
    PromptTemplates,
    WeekDiagnostics,
    coaching_findings,
    coaching_prompts,
    coaching_sheet,
    findings_frame,
    get_rule,
    load_rule_settings,
    rank_findings,
    register_rule,
    rule_names,
    team_summary,
    unregister_rule,
)
from pipereview.core._errors import ConfigError, ExtensionError

W47 = "2026-W47"


def _history() -> pd.DataFrame:
    base = {
        "team": "North",
        "owner": "Ann",
        "deal_name": "MES",
        "account": "Acme",
        "stage": "solution_quote",
        "stage_model": "generic_4",
        "currency": "EUR",
        "close_date": pd.Timestamp("2026-12-31"),
        "probability": float("nan"),
    }
    rows = [
        {**base, "snapshot_week": W47, "deal_id": "D1", "amount": 500.0},
        {**base, "snapshot_week": W47, "deal_id": "D2", "amount": 2_000.0},
    ]
    return pd.DataFrame(rows)


@pytest.fixture
def big_deal_rule() -> Iterator[str]:
    @register_rule(
        "test_big_deal",
        kind="risk",
        coaching="opportunity",
        scope="deal",
        defaults={"min_amount": 1_000},
    )
    def big_deal(context: WeekDiagnostics, params: Mapping[str, Any]) -> pd.DataFrame:
        """Deals of at least ``min_amount``."""
        deals = context.open_deals
        big = deals[deals["amount"] >= params["min_amount"]]
        return big.assign(
            metric="amount",
            value=big["amount"],
            reference=params["min_amount"],
            severity=2,
            amount_at_stake=big["amount"],
        )

    yield "test_big_deal"
    unregister_rule("test_big_deal")


def test_findings_frame_fills_every_column_and_checks_severity() -> None:
    frame = findings_frame(
        pd.DataFrame({"team": ["T"], "severity": [3]}),
        rule="r",
        kind="risk",
        coaching="skill",
        scope="rep",
    )
    assert tuple(frame.columns) == FINDING_COLUMNS
    assert frame.loc[0, "owner"] == "" and frame.loc[0, "evidence"] == {}
    with pytest.raises(ConfigError, match="rule 'r': severity must be 1"):
        findings_frame(
            pd.DataFrame({"team": ["T"], "severity": [4]}),
            rule="r",
            kind="risk",
            coaching="skill",
            scope="rep",
        )
    with pytest.raises(ConfigError, match="without a 'team' column"):
        findings_frame(
            pd.DataFrame({"owner": ["A"]}), rule="r", kind="risk", coaching="skill", scope="rep"
        )
    strength = findings_frame(
        pd.DataFrame({"team": ["T"]}), rule="s", kind="strength", coaching="skill", scope="rep"
    )
    assert strength.loc[0, "severity"] == 0


def test_ranking_puts_strengths_first_then_severity_then_amount() -> None:
    f = pd.DataFrame(
        {
            "team": "T",
            "owner": "A",
            "rule": "r",
            "kind": ["risk", "risk", "strength", "risk"],
            "severity": [2, 3, 0, 2],
            "amount_at_stake": [5.0, 1.0, 0.0, 9.0],
            "deal_key": ["low", "high", "good", "big"],
        }
    )
    assert rank_findings(f)["deal_key"].tolist() == ["good", "high", "big", "low"]


def test_a_registered_rule_runs_with_its_defaults_and_overrides(big_deal_rule: str) -> None:
    context = WeekDiagnostics(_history(), as_of=W47)
    found = coaching_findings(context, rules=[big_deal_rule])
    assert found["deal_id"].tolist() == ["D2"]  # 2,000 >= 1,000; 500 is not
    assert found.loc[0, "rule"] == big_deal_rule and found.loc[0, "scope"] == "deal"
    lower = coaching_findings(
        context, rules=[big_deal_rule], settings={big_deal_rule: {"min_amount": 100}}
    )
    assert sorted(lower["deal_id"]) == ["D1", "D2"]
    off = coaching_findings(
        context, rules=[big_deal_rule], settings={big_deal_rule: {"enabled": False}}
    )
    assert off.empty and tuple(off.columns) == FINDING_COLUMNS


def test_registering_a_taken_name_needs_replace(big_deal_rule: str) -> None:
    with pytest.raises(ValueError, match="already registered; pass replace=True"):
        register_rule(big_deal_rule, kind="risk", coaching="skill", scope="rep")(
            lambda context, params: pd.DataFrame()
        )
    assert big_deal_rule in rule_names()
    with pytest.raises(ConfigError, match=r"unknown coaching rule 'nope'; known: .*stalled_deal"):
        get_rule("nope")


def test_a_failing_rule_is_named(big_deal_rule: str) -> None:
    context = WeekDiagnostics(_history().drop(columns="amount"), as_of=W47)
    with pytest.raises(ExtensionError, match="coaching rule 'test_big_deal' failed"):
        coaching_findings(context, rules=[big_deal_rule])


def test_rule_settings_from_yaml(tmp_path: Path, big_deal_rule: str) -> None:
    good = tmp_path / "coaching.yaml"
    good.write_text(
        "rules:\n  test_big_deal:\n    min_amount: 5\ndisabled: [stalled_deal]\n", encoding="utf-8"
    )
    assert load_rule_settings(good) == {
        "test_big_deal": {"min_amount": 5},
        "stalled_deal": {"enabled": False},
    }
    typo = tmp_path / "typo.yaml"
    typo.write_text("rules:\n  test_big_deal:\n    min_amout: 5\n", encoding="utf-8")
    with pytest.raises(
        ConfigError,
        match=r"typo.yaml: rule 'test_big_deal' has no threshold"
        r"\(s\) min_amout; its thresholds: min_amount",
    ):
        load_rule_settings(typo)
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("rules:\n  big_deals: {}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown\.yaml: unknown coaching rule 'big_deals'"):
        load_rule_settings(unknown)
    with pytest.raises(ConfigError, match=r"cannot read coaching settings"):
        load_rule_settings(tmp_path / "missing.yaml")


def _finding(**over: Any) -> pd.DataFrame:
    row = {
        "rule": "stalled_deal",
        "kind": "risk",
        "coaching": "opportunity",
        "scope": "deal",
        "team": "North",
        "owner": "Ann",
        "deal_key": "D1",
        "deal_id": "D1",
        "deal_name": "MES upgrade",
        "account": "Acme",
        "stage_model": "generic_4",
        "stage": "solution_quote",
        "metric": "days_since_activity",
        "value": 45.0,
        "reference": 30.0,
        "severity": 2,
        "amount_at_stake": 1_250_000.0,
        "currency": "EUR",
        "evidence": {"days_since_activity": 45, "days_in_stage": 60, "stalled_days": 30},
    }
    row.update(over)
    return pd.DataFrame([row])


def test_prompts_cite_numbers_in_both_languages() -> None:
    en = coaching_prompts(_finding(), lang="en").iloc[0]
    zh = coaching_prompts(_finding(), lang="zh").iloc[0]
    assert "45 days" in en["observation"] and "1,250,000 EUR" in en["observation"]
    assert "Solution & quote" in en["observation"]
    assert "45 天" in zh["observation"] and "125万 EUR" in zh["observation"]
    assert "方案报价" in zh["observation"]
    for block in ("observation", "question", "action"):
        assert en[block] and zh[block] and en[block] != zh[block]
    assert en["question"].endswith("?") and zh["question"].endswith("？")
    assert en["target"].startswith("Target by the follow-up: ")  # no date in this finding
    assert zh["target"].startswith("目标（下次跟进之日 前）：")
    assert en["prompt"] == " ".join([en["observation"], en["question"], en["action"], en["target"]])


def test_user_template_folder_overrides_and_errors(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "stalled_deal.j2").write_text(
        "{% block observation %}Quiet for {{ value|num }} days.{% endblock %}"
        "{% block question %}Why?{% endblock %}{% block action %}Call.{% endblock %}",
        encoding="utf-8",
    )
    mine = PromptTemplates([tmp_path])
    assert (
        coaching_prompts(_finding(), templates=mine)["prompt"].iloc[0]
        == "Quiet for 45 days. Why? Call."
    )
    assert "已连续" in coaching_prompts(_finding(), lang="zh", templates=mine)["prompt"].iloc[0]
    with pytest.raises(ConfigError, match=r"no prompt template en/nope.j2; searched"):
        coaching_prompts(_finding(rule="nope"), templates=mine)
    with pytest.raises(ConfigError, match="unknown language 'fr'; choose one of en, zh"):
        coaching_prompts(_finding(), lang="fr")
    with pytest.raises(ConfigError, match="does not exist"):
        PromptTemplates([tmp_path / "missing"])
    (tmp_path / "en" / "bad.j2").write_text(
        "{% block observation %}{{ e.nothing }}{% endblock %}{% block question %}"
        "{% endblock %}{% block action %}{% endblock %}",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"en/bad.j2, block 'observation'.*nothing"):
        coaching_prompts(_finding(rule="bad"), templates=mine)
    (tmp_path / "en" / "short.j2").write_text(
        "{% block observation %}x{% endblock %}", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="has no block 'question'"):
        coaching_prompts(_finding(rule="short"), templates=mine)


def _sheet_prompts(lang: str) -> pd.DataFrame:
    rows = [
        _finding(deal_key="A", deal_name="Alpha", amount_at_stake=900.0, severity=1),
        _finding(deal_key="B", deal_name="<script>alert(1)</script>", amount_at_stake=5_000.0),
        _finding(deal_key="C", deal_name="Gamma", amount_at_stake=3_000.0, severity=3),
        _finding(deal_key="D", deal_name="Delta", amount_at_stake=100.0, severity=3),
        _finding(deal_key="E", deal_name="Other rep", owner="Bo", amount_at_stake=9e6),
    ]
    return coaching_prompts(rank_findings(pd.concat(rows, ignore_index=True)), lang=lang)


def test_sheet_ranks_deals_by_money_and_sets_follow_up() -> None:
    sheet = coaching_sheet(
        _sheet_prompts("en"), "North", "Ann", as_of=W47, max_items=2, pattern_deals=5
    )
    # Ann's deals by money at stake: B (5,000), C (3,000), A (900), D (100); Bo's is not hers
    # (four deals stalled: no pattern item below five)
    assert [item["deal_key"] for item in sheet.ranked] == ["B", "C"]
    assert [item["deal_key"] for item in sheet.appendix] == ["A", "D"]
    assert sheet.follow_up == datetime.date(2026, 12, 21)  # Friday 20 Nov + 30 days: a Sunday
    frame = sheet.to_frame()
    assert frame["section"].tolist() == ["focus", "focus", "appendix", "appendix"]
    assert frame["rank"].tolist() == [1, 2, 3, 4]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sheet_escapes_data_in_markdown_and_html(lang: str) -> None:
    sheet = coaching_sheet(_sheet_prompts(lang), "North", "Ann", as_of=W47)
    markdown, page = sheet.to_markdown(), sheet.to_html()
    for text in (markdown, page):
        assert "<script>" not in text
    assert "&lt;script&gt;alert" in page
    assert "\\<script\\>alert" in markdown  # escaped the Markdown way, not as HTML
    assert "2026-12-21" in markdown and "2026-12-21" in page


def test_team_summary_counts_each_reps_risks() -> None:
    summary = team_summary(_sheet_prompts("en"), "North", as_of=W47)
    reps = summary.reps.set_index("owner")
    assert reps.loc["Ann", ["high", "medium", "low", "flagged_deals"]].tolist() == [2, 1, 1, 4]
    assert reps.loc["Ann", "amount_at_stake"] == 900.0 + 5_000.0 + 3_000.0 + 100.0
    assert "| Ann | 2 | 1 | 1 | 4 | 9,000 EUR |" in summary.to_markdown()
    assert "Bo" in summary.to_html()


def test_an_installed_plug_in_registers_its_rule(
    installed_plugin: Callable[[str, str, str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipereview.coaching import registry

    folder = installed_plugin(
        "acme_rules",
        "import pandas as pd\n"
        "from pipereview.coaching import register_rule\n"
        "@register_rule('acme_rule', kind='risk', coaching='skill', "
        "scope='rep')\n"
        "def acme_rule(context, params):\n"
        "    return pd.DataFrame()\n",
        "[pipereview.rules]\nacme = acme_rules\n",
    )
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setattr(registry.coaching_rules, "_plugins_loaded", False)
    try:
        assert "acme_rule" in rule_names()
        assert get_rule("acme_rule").scope == "rep"
    finally:
        unregister_rule("acme_rule")
