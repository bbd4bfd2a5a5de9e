"""Tests of pipereview.diagnostics._capabilities: what an export lacks is said, never guessed.

Hand-built snapshots without evidence, currency, account, activity date or team: each
diagnostic that needs the column says "not checked" where its finding would be, and no
text carries "nan", an empty subject or "no risk" beside a listed risk.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from pipereview.cli import app
from pipereview.coaching.prompts import coaching_prompts, deal_subject, money_text
from pipereview.coaching.registry import coaching_findings
from pipereview.coaching.sheet import coaching_sheet, team_summary
from pipereview.core._stages import EVIDENCE_FLAG_FIELDS, EVIDENCE_TEXT_FIELDS
from pipereview.delivery._reviewsections import amount_text
from pipereview.delivery._textlint import lint_text
from pipereview.delivery._visibletext import markdown_text
from pipereview.diagnostics._capabilities import (
    currency_code,
    missing_for,
    not_checked,
    not_checked_notes,
    recorded_columns,
)
from pipereview.diagnostics._process import process_gaps
from pipereview.history._store import SnapshotStore
from pipereview.history._trail import with_deal_keys
from pipereview.week import WeekDiagnostics

W47 = "2026-W47"
EVIDENCE = (*EVIDENCE_FLAG_FIELDS, *EVIDENCE_TEXT_FIELDS)


def plain_snapshot(week: str = W47) -> pd.DataFrame:
    """A plain CRM export of 4 open deals: no evidence columns, no currency, no accounts."""
    n = 4
    return pd.DataFrame(
        {
            "snapshot_week": week,
            "team": "North",
            "deal_id": [f"D{i}" for i in range(n)],
            "deal_name": [f"Deal {i}" for i in range(n)],
            "account": pd.Series([None] * n, dtype=object),
            "owner": "Ann",
            "stage": ["initial_contact", "needs_confirmed", "solution_quote", "negotiation"],
            "stage_model": "generic_4",
            "amount": [1000.0, 2000.0, 5482.0, 4000.0],
            "currency": pd.Series([None] * n, dtype=object),
            "close_date": pd.Timestamp("2026-12-31"),
            "created_date": pd.Timestamp("2026-01-05"),
            "probability": np.nan,
            "forecast_category": pd.Series([None] * n, dtype=object),
            "last_activity_date": pd.NaT,
            "next_step": pd.Series([None] * n, dtype=object),
            "account_missing": True,
            "source_file": "north.csv",
            "source_row": range(2, n + 2),
        }
    )


# --- what the export holds --------------------------------------------------------------


def test_blank_and_absent_columns_are_not_recorded() -> None:
    held = recorded_columns(plain_snapshot())
    for column in ("currency", "account", "last_activity_date", "probability", *EVIDENCE):
        assert column not in held
    assert {"team", "owner", "stage", "amount"} <= held


def test_the_default_team_of_an_export_without_team_column_counts_as_missing() -> None:
    snap = plain_snapshot().assign(team="All")
    assert "team" not in recorded_columns(snap)
    assert missing_for("team_comparison", snap) == ("team",)
    assert missing_for("team_comparison", plain_snapshot()) == ()


@pytest.mark.parametrize(
    ("diagnostic", "missing"),
    [
        ("stalled_deal", ("last_activity_date",)),
        ("currency", ("currency",)),
        ("deal_concentration", ("account",)),
        ("bant", ("budget_confirmed", "decision_maker", "need_confirmed", "timeline_confirmed")),
        ("no_coach", ("coach",)),
        ("unknown_rule", ()),
    ],
)
def test_each_diagnostic_names_the_columns_it_lacks(
    diagnostic: str, missing: tuple[str, ...]
) -> None:
    assert missing_for(diagnostic, plain_snapshot()) == missing


def test_stage_inflation_needs_every_exit_criterion_of_the_model() -> None:
    # generic_4 in process order: C(1) budget, decision maker; C(2) need, timeline;
    # C(3) solution, quote, competitor; C(4) contract review, verbal commitment, decision
    # chain mapped
    assert missing_for("stage_inflation", plain_snapshot()) == (
        "budget_confirmed",
        "decision_maker",
        "need_confirmed",
        "timeline_confirmed",
        "solution_presented",
        "quote_sent",
        "competitor",
        "contract_risk_reviewed",
        "verbal_commitment",
        "relationship_mapped",
    )
    full = plain_snapshot().assign(
        **dict.fromkeys(
            [
                "budget_confirmed",
                "need_confirmed",
                "timeline_confirmed",
                "solution_presented",
                "quote_sent",
                "contract_risk_reviewed",
                "verbal_commitment",
                "relationship_mapped",
            ],
            True,
        ),
        decision_maker="Li",
        competitor="ABB",
    )
    assert missing_for("stage_inflation", full) == ()


# --- the texts --------------------------------------------------------------------------


def test_not_checked_texts_in_both_languages() -> None:
    assert not_checked(("currency",)) == (
        "not checked: the export has no currency column (add it to the export or to the column map)"
    )
    assert (
        not_checked(("currency",), "zh")
        == "未检查：导出文件中没有“币种”列（请在导出文件或列映射中补上）"
    )
    assert not_checked(("account", "last_activity_date")) == (
        "not checked: the export has no columns for account and last activity date (add "
        "them to the export or to the column map)"
    )
    assert not_checked(("team", "account", "currency", "coach", "competitor"), "zh") == (
        "未检查：导出文件中没有“团队”“客户”“币种”“已发展内线/线人”等 5 列（请在导出文件或列映射中补上）"
    )
    assert not_checked(()) == ""


def test_notes_name_what_was_not_checked() -> None:
    notes = not_checked_notes(plain_snapshot(), "en", ("stalled_deal", "currency"))
    assert notes == (
        "Deals without recent activity: not checked: the export has no last activity date "
        "column (add it to the export or to the column map)",
        "Currency of the amounts: not checked: the export has no currency column (add it "
        "to the export or to the column map)",
    )
    zh = not_checked_notes(plain_snapshot(), "zh", ("stalled_deal",))
    assert zh == (
        "长期无跟进的商机：未检查：导出文件中没有“最近活动日期”列（请在导出文件或列映射中补上）",
    )


@pytest.mark.parametrize("value", [None, np.nan, pd.NA, "", "  ", "nan", "None"])
def test_an_absent_currency_prints_no_code(value: object) -> None:
    assert currency_code(value) == ""
    assert money_text(5482.0, value) == "5,482"
    assert money_text(54820.0, value, "zh") == "5.5万"
    assert amount_text(5482.0, value) == "5,482"  # type: ignore[arg-type]


def test_a_deal_without_account_reads_naturally() -> None:
    row = {"account": np.nan, "amount_at_stake": 5482.0, "currency": np.nan}
    assert deal_subject(row) == ("the customer", "5,482")
    assert deal_subject(row, "zh") == ("客户", "5,482")
    row = {"account": "Acme", "amount_at_stake": 5482.0, "currency": "EUR"}
    assert deal_subject(row, "zh") == ("Acme", "Acme，5,482 EUR")


# --- the plain export through the diagnostics -------------------------------------------


def test_a_plain_export_calls_no_deal_inflated() -> None:
    gaps = process_gaps(plain_snapshot()).set_index("deal_id")
    assert not gaps["inflated"].any()
    assert (gaps["stages_inflated"] == 0).all()
    # stage 1 has nothing before it to check; every later claim is not checked
    assert gaps["evidence_checked"].tolist() == [True, False, False, False]
    assert gaps.loc["D2", "unchecked"] == (
        "budget_confirmed",
        "decision_maker",
        "need_confirmed",
        "timeline_confirmed",
        "solution_presented",
        "quote_sent",
        "competitor",
    )
    assert all(m == () for m in gaps["missing"])


BAD = re.compile(r"\bnan\b|\bNone\b|\bNaT\b|<NA>|\(, |（，|\(\)|（）|has told|has  told")


@pytest.fixture(scope="module")
def stripped_history(sample_store: Path) -> pd.DataFrame:
    """Two sample weeks as a plain export holds them: no evidence, currency or account."""
    store = SnapshotStore(sample_store)
    history = pd.concat([store.read("2026-W46"), store.read(W47)], ignore_index=True)
    history = history.drop(columns=[c for c in EVIDENCE if c in history.columns])
    history = history.assign(
        account=pd.Series(None, index=history.index, dtype=object),
        account_missing=True,
        currency=pd.Series(None, index=history.index, dtype=object),
    )
    return with_deal_keys(history)


@pytest.mark.slow  # every sheet of the sample's 26 reps, in each language
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_prompts_and_sheets_of_a_plain_export_read_naturally(
    stripped_history: pd.DataFrame, lang: str
) -> None:
    context = WeekDiagnostics(stripped_history, W47)
    findings = coaching_findings(context)
    assert not {
        "stage_inflation",
        "missing_exit_criteria",
        "no_coach",
        "no_decision_maker",
        "most_complete_evidence",
    } & set(findings["rule"])
    prompts = coaching_prompts(findings, lang=lang)
    assert len(prompts)
    for text in prompts["prompt"]:
        assert not BAD.search(text), text
    subject = "the customer" if lang == "en" else "客户"
    assert prompts.loc[prompts["scope"] == "deal", "question"].str.contains(subject).all()
    notes = not_checked_notes(context.open_deals, lang, ("stage_inflation", "currency"))
    assert len(notes) == 2
    names = {  # the data's proper names; a deal ID is one too (shown beside each deal)
        *stripped_history["team"],
        *stripped_history["owner"],
        *stripped_history["deal_name"],
        *stripped_history["deal_id"],
    }
    for team in sorted(set(prompts["team"])):
        for owner in sorted(set(prompts.loc[prompts["team"] == team, "owner"]) - {""}):
            sheet = coaching_sheet(prompts, team, owner, as_of=W47, not_checked=notes)
            for text in (sheet.to_markdown(), sheet.to_html()):
                assert not BAD.search(text), text
                assert notes[0] in text.replace("&#34;", '"')
            problems = lint_text(markdown_text(sheet.to_markdown()), lang, names=names)
            assert not problems, problems
        summary = team_summary(prompts, team, as_of=W47, not_checked=notes).to_markdown()
        assert notes[1] in summary and not BAD.search(summary)


def _sheet_prompts(lang: str, scope: str) -> pd.DataFrame:
    """One severity-3 stalled-deal finding of Ann's, rendered."""
    finding = pd.DataFrame(
        {
            "rule": ["stalled_deal"],
            "kind": "risk",
            "scope": scope,
            "team": "North",
            "owner": "Ann",
            "deal_key": "D1",
            "deal_id": "D1",
            "deal_name": "Line 2",
            "account": "Acme",
            "stage_model": "generic_4",
            "stage": "negotiation",
            "metric": "days_since_activity",
            "value": [95.0],
            "reference": [30.0],
            "severity": [3],
            "amount_at_stake": [5482.0],
            "currency": "EUR",
            "evidence": [{"days_since_activity": 95, "days_in_stage": 21, "stalled_days": 30}],
        }
    )
    return coaching_prompts(finding, lang=lang)


@pytest.mark.parametrize(
    ("lang", "none"),
    [("en", "No risk in the numbers this week."), ("zh", "本周数据中没有发现风险。")],
)
def test_no_risk_is_never_said_beside_a_listed_risk(lang: str, none: str) -> None:
    # the one risk is a deal: it is the sheet's one point, so the sheet must not say there
    # is no risk; a sheet of no finding says so
    sheet = coaching_sheet(_sheet_prompts(lang, "deal"), "North", "Ann", as_of=W47)
    assert len(sheet.ranked) == 1 and sheet.ranked[0]["deal_name"] == "Line 2"
    for text in (sheet.to_markdown(), sheet.to_html()):
        assert "Line 2" in text and none not in text
    empty = coaching_sheet(_sheet_prompts(lang, "deal").iloc[0:0], "North", "Ann", as_of=W47)
    assert none in empty.to_markdown() and "Line 2" not in empty.to_markdown()


def test_changes_says_not_checked_for_a_plain_export(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path / "store")
    store.add(plain_snapshot("2026-W46"), "2026-W46")
    store.add(plain_snapshot(), W47)
    result = CliRunner().invoke(app, ["changes", "--store", str(tmp_path / "store")])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "not checked │" in text
    assert "nan" not in text
    assert (
        "North: Stage against evidence: not checked: the export has no columns for "
        "Budget confirmed, Decision maker identified, Need confirmed by the customer, "
        "Purchase time window confirmed and 6 more (add them to the export or to the "
        "column map)"
    ) in text
