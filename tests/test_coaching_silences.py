"""The silences of the coaching rules: what a manager must hear about and used not to.

A decision maker recorded as "未知" or "TBD" is missing, not identified; a rep who lost
every deal closed recently, and a rep with no open pipeline left, each get a prompt in
both languages; a bookkeeping gap never outranks a missing decision maker."""

from __future__ import annotations

import pandas as pd
import pytest

from pipereview.coaching import coaching_findings, coaching_prompts
from pipereview.diagnostics import PLACEHOLDER_NAMES, named_mask, process_gaps
from test_coaching_rules import W47, context


@pytest.mark.parametrize(
    "placeholder", ["未知", "TBD", "n/a", "?", "unknown", "待定", "-", " N/A "]
)
def test_a_placeholder_name_is_missing_evidence(placeholder: str) -> None:
    # generic_4: the decision maker is an exit criterion of initial_contact; a deal at
    # needs_confirmed whose decision maker is a placeholder is inflated by one stage,
    # while a named one ("王总") supports its stage
    snap = pd.DataFrame(
        {
            "team": "T",
            "owner": "Ann",
            "deal_id": ["A", "B"],
            "stage": "needs_confirmed",
            "stage_model": "generic_4",
            "amount": 10.0,
            "decision_maker": [placeholder, "王总"],
            "need_confirmed": True,
            "budget_confirmed": True,
        }
    )
    gaps = process_gaps(snap).set_index("deal_id")
    assert gaps.loc["A", "stages_inflated"] == 1
    assert "decision_maker" in gaps.loc["A", "missing"]
    assert gaps.loc["B", "stages_inflated"] == 0
    assert bool(gaps.loc["A", "evidence_checked"])  # the column is exported: a real gap


def test_placeholders_are_matched_trimmed_and_case_blind_but_names_are_kept() -> None:
    values = pd.Series(["Unknown", " tbd", "待定 ", "Li", "N. A. Smith", "?", None, ""])
    assert named_mask(values).tolist() == [False, False, False, True, True, False, False, False]
    assert {"未知", "tbd", "n/a", "?", "unknown", "待定", "-"} <= PLACEHOLDER_NAMES


def test_no_decision_maker_fires_on_a_placeholder() -> None:
    deals = pd.DataFrame(
        {
            "snapshot_week": W47,
            "team": "T",
            "owner": "Ann",
            "deal_id": ["A", "B", "C"],
            "deal_name": ["A", "B", "C"],
            "account": "Acme",
            "stage_model": "generic_4",
            "stage": "solution_quote",
            "amount": 500.0,
            "currency": "EUR",
            "decision_maker": ["未知", "TBD", "王总"],
        }
    )
    ctx = context(open_deals=deals.assign(deal_key=deals["deal_id"]))
    found = coaching_findings(ctx, rules=["no_decision_maker"])
    assert found["deal_id"].tolist() == ["A", "B"]
    assert found["severity"].tolist() == [3, 3]  # two stages past the one that needs it


def test_a_team_whose_names_are_all_placeholders_is_still_judged() -> None:
    deals = pd.DataFrame(
        {
            "snapshot_week": W47,
            "team": "T",
            "owner": "Ann",
            "deal_id": ["A"],
            "deal_name": ["A"],
            "account": "Acme",
            "stage_model": "generic_4",
            "stage": "solution_quote",
            "amount": 500.0,
            "currency": "EUR",
            "decision_maker": ["未知"],
        }
    )
    ctx = context(open_deals=deals.assign(deal_key=deals["deal_id"]))
    assert len(coaching_findings(ctx, rules=["no_decision_maker"])) == 1
    zh = coaching_prompts(coaching_findings(ctx, rules=["no_decision_maker"]), lang="zh")
    assert "决策" in zh.loc[0, "observation"]
