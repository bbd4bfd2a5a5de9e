"""pipereview.diagnostics._process, ._evidence, ._labels and ._bant: evidence stage, stage inflation, gaps, BANT and
roll-ups. Expected values are worked out by hand from the stage models' YAML:

industrial_b2b (open stages 1-5)
  1 assess    customer_background, budget_confirmed, decision_maker, timeline_confirmed, competitor
  2 discover  coach, relationship_mapped, need_confirmed
  3 strategy  deal_team_assigned, strategy_documented, competitor
  4 interact  technical_exchange_done, site_visit_done, solution_presented, senior_meeting_done
  5 tender    quote_sent, contract_risk_reviewed, verbal_commitment
generic_4 (open stages 1-4)
  1 initial_contact  budget_confirmed, decision_maker
  2 needs_confirmed  need_confirmed, timeline_confirmed
  3 solution_quote   solution_presented, quote_sent, competitor
  4 negotiation      contract_risk_reviewed, verbal_commitment, relationship_mapped
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _budget import examples
from pipereview.core._errors import ConfigError, InputError
from pipereview.core._stages import (
    EVIDENCE_FIELDS,
    EVIDENCE_TEXT_FIELDS,
    load_stage_model,
    stage_model_names,
)
from pipereview.diagnostics._bant import BANT_COLUMNS, bant_check, missed_criteria, process_rollup
from pipereview.diagnostics._evidence import MissingColumn
from pipereview.diagnostics._labels import criterion_label, with_labels
from pipereview.diagnostics._process import GAP_COLUMNS, missing_evidence_columns, process_gaps
from pipereview.history._intake import ingest_week
from pipereview.history._store import SnapshotStore

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"

C1_ASSESS = {
    "customer_background",
    "budget_confirmed",
    "decision_maker",
    "timeline_confirmed",
    "competitor",
}
C2_DISCOVER = {"coach", "relationship_mapped", "need_confirmed"}
C3_STRATEGY = {"deal_team_assigned", "strategy_documented", "competitor"}
C4_INTERACT = {
    "technical_exchange_done",
    "site_visit_done",
    "solution_presented",
    "senior_meeting_done",
}
C5_TENDER = {"quote_sent", "contract_risk_reviewed", "verbal_commitment"}
G1_CONTACT = {"budget_confirmed", "decision_maker"}
G2_NEEDS = {"need_confirmed", "timeline_confirmed"}
G3_QUOTE = {"solution_presented", "quote_sent", "competitor"}
G4_NEGOTIATION = {"contract_risk_reviewed", "verbal_commitment", "relationship_mapped"}
EVERYTHING = set(EVIDENCE_FIELDS)


def deal(
    deal_id: str,
    stage: str,
    met: set[str],
    *,
    model: str,
    team: str,
    owner: str,
    amount: float,
    currency: str,
) -> dict[str, Any]:
    """One snapshot row: the flags in ``met`` True, the text fields in ``met`` named."""
    row: dict[str, Any] = {
        "snapshot_week": "2026-W47",
        "team": team,
        "owner": owner,
        "deal_id": deal_id,
        "deal_name": f"deal {deal_id}",
        "account": f"account {deal_id}",
        "stage": stage,
        "stage_model": model,
        "amount": amount,
        "currency": currency,
    }
    for field in EVIDENCE_FIELDS:
        if field in EVIDENCE_TEXT_FIELDS:
            row[field] = f"{field} of {deal_id}" if field in met else None
        else:
            row[field] = field in met
    return row


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    snap = pd.DataFrame(rows)
    flags = [f for f in EVIDENCE_FIELDS if f not in EVIDENCE_TEXT_FIELDS and f in snap]
    return snap.astype(dict.fromkeys(flags, "boolean"))


def industrial_rows() -> list[dict[str, Any]]:
    """Team 华东 on the six-step model; reps 张伟 and 李强; amounts in CNY."""

    def d(deal_id: str, stage: str, met: set[str], owner: str, amount: float) -> dict[str, Any]:
        return deal(
            deal_id,
            stage,
            met,
            model="industrial_b2b",
            team="华东",
            owner=owner,
            amount=amount,
            currency="CNY",
        )

    return [
        d("商机-H1", "assess", set(), "张伟", 1e6),  # first stage: nothing met, not inflated
        d("商机-H2", "tender", EVERYTHING, "张伟", 2e6),  # everything met
        # claims interact (4): need_confirmed missing in discover (2) -> evidence 2, +2
        d(
            "商机-H3",
            "interact",
            (C1_ASSESS | C2_DISCOVER | C3_STRATEGY | {"technical_exchange_done"})
            - {"need_confirmed"},
            "李强",
            3e6,
        ),
        d("商机-H4", "won", set(), "李强", 4e6),  # closed: left out
        # claims strategy (3): competitor missing in assess (1) -> evidence 1, +2
        d("商机-H5", "strategy", (C1_ASSESS | C2_DISCOVER) - {"competitor"}, "李强", 5e6),
        d("商机-H6", "lost", set(), "张伟", 6e6),  # closed: left out
        d("商机-H7", "discover", C1_ASSESS, "李强", 7e6),  # assess met: evidence 2, no gap
    ]


def generic_rows() -> list[dict[str, Any]]:
    """Team DACH on the four-stage model; reps Anna Schmidt and Lukas Müller; EUR."""

    def d(deal_id: str, stage: str, met: set[str], owner: str, amount: float) -> dict[str, Any]:
        return deal(
            deal_id,
            stage,
            met,
            model="generic_4",
            team="DACH",
            owner=owner,
            amount=amount,
            currency="EUR",
        )

    return [
        d("G1", "initial_contact", set(), "Anna Schmidt", 100.0),
        d("G2", "negotiation", EVERYTHING, "Anna Schmidt", 200.0),
        # claims negotiation (4): timeline missing in needs_confirmed (2) -> evidence 2, +2
        d("G3", "negotiation", G1_CONTACT | {"need_confirmed"}, "Anna Schmidt", 300.0),
        d("G4", "won", set(), "Anna Schmidt", 400.0),
        # claims solution_quote (3): budget and decision maker missing -> evidence 1, +2
        d("G5", "solution_quote", G2_NEEDS | G3_QUOTE, "Lukas Müller", 500.0),
        # claims initial_contact but has the evidence for solution_quote (3): not inflated
        d("G6", "initial_contact", G1_CONTACT | G2_NEEDS, "Lukas Müller", 600.0),
        # claims solution_quote (3): timeline missing -> evidence 2, +1
        d("G7", "solution_quote", G1_CONTACT | {"need_confirmed"}, "Lukas Müller", 700.0),
    ]


def by_id(gaps: pd.DataFrame) -> dict[str, dict[str, Any]]:
    return {str(r["deal_id"]): {str(k): v for k, v in r.items()} for r in gaps.to_dict("records")}


# --- process gaps, hand-computed -----------------------------------------------------------

INDUSTRIAL_EXPECTED = {
    # deal: claimed stage, claimed, evidence stage, evidence, stages inflated, missing, next actions
    "商机-H1": (
        "assess",
        1,
        "assess",
        1,
        0,
        (),
        (
            "customer_background",
            "budget_confirmed",
            "decision_maker",
            "timeline_confirmed",
            "competitor",
        ),
    ),
    "商机-H2": ("tender", 5, "tender", 5, 0, (), ()),
    "商机-H3": (
        "interact",
        4,
        "discover",
        2,
        2,
        ("need_confirmed",),
        ("site_visit_done", "solution_presented", "senior_meeting_done"),
    ),
    "商机-H5": (
        "strategy",
        3,
        "assess",
        1,
        2,
        ("competitor",),
        ("deal_team_assigned", "strategy_documented", "competitor"),
    ),
    "商机-H7": (
        "discover",
        2,
        "discover",
        2,
        0,
        (),
        ("coach", "relationship_mapped", "need_confirmed"),
    ),
}
GENERIC_EXPECTED = {
    "G1": (
        "initial_contact",
        1,
        "initial_contact",
        1,
        0,
        (),
        ("budget_confirmed", "decision_maker"),
    ),
    "G2": ("negotiation", 4, "negotiation", 4, 0, (), ()),
    "G3": (
        "negotiation",
        4,
        "needs_confirmed",
        2,
        2,
        ("timeline_confirmed", "solution_presented", "quote_sent", "competitor"),
        # leaving negotiation also needs the decision chain mapped (no signing without
        # the decision maker's agreement)
        ("contract_risk_reviewed", "verbal_commitment", "relationship_mapped"),
    ),
    "G5": (
        "solution_quote",
        3,
        "initial_contact",
        1,
        2,
        ("budget_confirmed", "decision_maker"),
        (),
    ),
    "G6": ("initial_contact", 1, "solution_quote", 3, 0, (), ()),
    "G7": (
        "solution_quote",
        3,
        "needs_confirmed",
        2,
        1,
        ("timeline_confirmed",),
        ("solution_presented", "quote_sent", "competitor"),
    ),
}


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (industrial_rows, INDUSTRIAL_EXPECTED),
        (generic_rows, GENERIC_EXPECTED),
    ],
)
def test_hand_computed_gaps(rows: Any, expected: dict[str, tuple[Any, ...]]) -> None:
    gaps = process_gaps(frame(rows()))
    found = by_id(gaps)
    assert set(found) == set(expected)  # the closed deals are left out
    for deal_id, (
        claimed,
        ci,
        evidence,
        ei,
        inflated_by,
        missing,
        next_actions,
    ) in expected.items():
        row = found[deal_id]
        got = (
            row["claimed_stage"],
            row["claimed_index"],
            row["evidence_stage"],
            row["evidence_index"],
            row["stages_inflated"],
            row["missing"],
            row["next_actions"],
        )
        assert got == (claimed, ci, evidence, ei, inflated_by, missing, next_actions), deal_id
        assert row["inflated"] == (inflated_by > 0)
        assert row["inflated_amount"] == (row["amount"] if inflated_by else 0.0)
    assert gaps.attrs["missing_columns"] == ()


def test_field_order_is_process_order_not_alphabetical() -> None:
    row = by_id(process_gaps(frame(industrial_rows())))["商机-H1"]
    assert row["next_actions"][0] == "customer_background"
    assert list(row["next_actions"]) != sorted(row["next_actions"])


def test_columns_dtypes_and_sort_order_with_chinese_names() -> None:
    rows = generic_rows() + industrial_rows()
    gaps = process_gaps(frame(rows[::-1]))  # input order must not matter
    assert list(gaps.columns) == [
        "snapshot_week",
        "team",
        "owner",
        "deal_id",
        "deal_name",
        "account",
        "amount",
        "currency",
        *GAP_COLUMNS,
    ]
    # team, then owner, then deal ID, by code point: ASCII before CJK, 张 (U+5F20) < 李 (U+674E)
    assert gaps["deal_id"].tolist() == [
        "G1",
        "G2",
        "G3",
        "G5",
        "G6",
        "G7",
        "商机-H1",
        "商机-H2",
        "商机-H3",
        "商机-H5",
        "商机-H7",
    ]
    assert gaps["owner"].tolist()[6:] == ["张伟", "张伟", "李强", "李强", "李强"]
    assert gaps["claimed_index"].dtype == "int64" and gaps["inflated"].dtype == bool
    assert gaps.index.tolist() == list(range(11))


def test_mixed_models_in_one_snapshot_equal_separate_runs() -> None:
    mixed = process_gaps(frame(industrial_rows() + generic_rows()))
    alone = pd.concat(
        [process_gaps(frame(generic_rows())), process_gaps(frame(industrial_rows()))],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(mixed, alone)
    assert mixed.groupby("team")["stage_model"].unique().map(tuple).to_dict() == {
        "DACH": ("generic_4",),
        "华东": ("industrial_b2b",),
    }


def test_explicit_model_overrides_the_stage_model_column() -> None:
    snap = frame(generic_rows()).drop(columns="stage_model")
    with pytest.raises(InputError, match="stage_model"):
        process_gaps(snap)
    gaps = process_gaps(snap, model="generic_4")
    assert by_id(gaps)["G3"]["evidence_stage"] == "needs_confirmed"
    with pytest.raises(InputError, match=r"'negotiation'.*'industrial_b2b'"):
        process_gaps(snap, model="industrial_b2b")


def test_a_users_own_model_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "name: mine\nlabel: {en: Mine}\nstages:\n"
        "  - {key: lead, label: {en: Lead}, probability: 0.1, exit_criteria: "
        "[{field: budget_confirmed, label: {en: Money, zh: 有钱}}]}\n"
        "  - {key: deal, label: {en: Deal}, probability: 0.5}\n"
        "  - {key: won, label: {en: Won}, probability: 1.0, outcome: won}\n"
        "  - {key: lost, label: {en: Lost}, probability: 0.0, outcome: lost}\n",
        encoding="utf-8",
    )
    snap = pd.DataFrame(
        {
            "team": "T",
            "owner": "o",
            "deal_id": ["1", "2"],
            "stage": ["deal", "deal"],
            "amount": 1.0,
            "budget_confirmed": [True, False],
        }
    )
    gaps = process_gaps(snap, model=path)
    assert gaps["inflated"].tolist() == [False, True]
    labelled = with_labels(gaps, "zh", model=path)
    assert labelled["missing_labels"].tolist() == [(), ("有钱",)]


def test_closed_only_and_empty_snapshots_give_empty_results() -> None:
    closed = frame([r for r in generic_rows() if r["stage"] == "won"])
    for snap in (closed, closed.iloc[:0]):
        gaps = process_gaps(snap)
        assert gaps.empty and list(gaps.columns)[-len(GAP_COLUMNS) :] == list(GAP_COLUMNS)
        assert bant_check(snap).empty
        roll = process_rollup(gaps, bant_check(snap))
        assert roll.empty and "gap_share" in roll.columns


def test_inputs_are_not_mutated() -> None:
    snap = frame(industrial_rows() + generic_rows())
    snap.attrs["origin"] = "test"
    before = snap.copy(deep=True)
    gaps, bant = process_gaps(snap), bant_check(snap)
    gaps_before, bant_before = gaps.copy(deep=True), bant.copy(deep=True)
    process_rollup(gaps, bant)
    with_labels(gaps, "zh")
    pd.testing.assert_frame_equal(snap, before)
    assert snap.attrs == {"origin": "test"}
    pd.testing.assert_frame_equal(gaps, gaps_before)
    pd.testing.assert_frame_equal(bant, bant_before)


# --- missing evidence columns ----------------------------------------------------------------


def test_an_absent_column_is_not_checked_and_is_reported_once() -> None:
    snap = frame(generic_rows()).drop(columns="competitor")
    gaps = process_gaps(snap)
    found = by_id(gaps)
    # G2 had everything; without a competitor column the evidence shows solution_quote (3)
    # but the claim of negotiation (4) cannot be checked: not inflated, not a gap
    assert (found["G2"]["evidence_stage"], found["G2"]["stages_inflated"]) == ("solution_quote", 0)
    assert (found["G2"]["inflated"], found["G2"]["evidence_checked"]) == (False, False)
    assert (found["G2"]["missing"], found["G2"]["unchecked"]) == ((), ("competitor",))
    # G3's recorded gaps (timeline, solution, quote) still show 2 stages of inflation for certain
    assert (found["G3"]["stages_inflated"], found["G3"]["missing"]) == (
        2,
        ("timeline_confirmed", "solution_presented", "quote_sent"),
    )
    # G6 is in stage 1: nothing before it to check
    assert (found["G6"]["evidence_checked"], found["G6"]["unchecked"]) == (True, ())
    # the missing column is reported once for the team, counting its 6 open deals
    assert gaps.attrs["missing_columns"] == (
        MissingColumn("DACH", "generic_4", "competitor", "snapshot", 6),
    )
    assert missing_evidence_columns(snap) == gaps.attrs["missing_columns"]
    assert "competitor" not in gaps.columns  # nothing per deal


def test_a_flag_column_one_export_lacked_is_reported_for_that_team_only() -> None:
    industrial = frame(industrial_rows())
    industrial["budget_confirmed"] = pd.array([pd.NA] * len(industrial), dtype="boolean")
    snap = pd.concat([frame(generic_rows()), industrial], ignore_index=True)
    gaps = process_gaps(snap)
    assert gaps.attrs["missing_columns"] == (
        MissingColumn("华东", "industrial_b2b", "budget_confirmed", "export", 5),
    )
    h2 = by_id(gaps)["商机-H2"]
    assert (h2["missing"], h2["unchecked"], h2["inflated"]) == ((), ("budget_confirmed",), False)
    assert by_id(gaps)["G2"]["missing"] == ()  # DACH has the column
    bant = bant_check(snap)
    assert bant.loc[bant["team"] == "华东", "budget"].isna().all()
    assert bant.loc[bant["team"] == "DACH", "budget"].notna().all()


def test_a_text_column_blank_in_every_row_of_an_export_is_reported() -> None:
    rows = generic_rows()
    for row in rows:
        row["source_file"] = "dach.xlsx"
        row["decision_maker"] = None
    snap = frame(rows)
    assert missing_evidence_columns(snap) == (
        MissingColumn("DACH", "generic_4", "decision_maker", "blank", 6),
    )
    # one blank value among named ones is just a missing criterion, not a missing column
    snap.loc[0, "decision_maker"] = "Dr. Wolf"
    assert missing_evidence_columns(snap) == ()


def test_missing_column_descriptions() -> None:
    m = MissingColumn("华东", "industrial_b2b", "coach", "blank", 2)
    assert m.describe() == (
        "华东 (industrial_b2b): column 'coach' blank in every row of the "
        "export; 2 open deal(s) not checked on it"
    )
    # zh text names the criterion as the model's Chinese label, never its column or model key
    assert (
        m.describe("zh")
        == "华东：导出文件中“已发展内线/线人”列全部为空；2 个在途商机的这一项未检查"
    )


def test_stage_keys_are_labelled_in_the_language() -> None:
    gaps = process_gaps(frame(industrial_rows() + generic_rows()))
    for lang in ("en", "zh"):
        labelled = with_labels(gaps, lang)
        for column in ("claimed_stage", "evidence_stage"):
            for row in labelled.itertuples():
                key, label = getattr(row, column), getattr(row, f"{column}_label")
                model = load_stage_model(row.stage_model)
                assert label == (model.stage(key).label_in(lang) if key else ""), (key, label)
                assert not key or label != key


def test_required_columns_are_named() -> None:
    with pytest.raises(InputError, match="amount"):
        process_gaps(frame(generic_rows()).drop(columns="amount"))


# --- labels ------------------------------------------------------------------------------


def test_labels_in_both_languages_follow_each_rows_model() -> None:
    gaps = with_labels(process_gaps(frame(industrial_rows() + generic_rows())), "zh")
    found = by_id(gaps)
    assert found["商机-H5"]["missing_labels"] == ("已掌握主要竞争对手",)
    assert found["G3"]["next_actions_labels"] == (
        "已完成合同风险评审",
        "已获客户口头承诺",
        "决策链已理清，决策人已认可",
    )
    english = by_id(with_labels(process_gaps(frame(generic_rows()))))
    assert english["G5"]["missing_labels"] == ("Budget confirmed", "Decision maker identified")
    assert list(gaps.columns).index("missing_labels") == list(gaps.columns).index("missing") + 1


@pytest.mark.parametrize(
    ("field", "lang", "model", "label"),
    [
        ("quote_sent", "en", "industrial_b2b", "Quote or bid submitted"),
        ("quote_sent", "en", "generic_4", "Quote / proposal sent"),
        ("coach", "zh", "generic_4", "已发展内线/线人"),  # not in the model: built-in label
        ("coach", "en", None, "Internal coach / informant identified"),  # no model: built-in
        ("poc_done", "zh", None, "poc_done"),  # unknown field: its name
    ],
)
def test_criterion_label(field: str, lang: str, model: str | None, label: str) -> None:
    assert criterion_label(field, lang, model) == label


def test_criterion_label_refuses_an_unknown_language() -> None:
    with pytest.raises(ConfigError, match="unknown language 'fr'; choose one of en, zh"):
        criterion_label("coach", "fr")


def test_every_evidence_field_has_a_built_in_label() -> None:
    for field in EVIDENCE_FIELDS:
        assert criterion_label(field, "en") != field
        assert criterion_label(field, "zh") != criterion_label(field, "en")


# --- BANT ------------------------------------------------------------------------------


def test_bant_check_hand_computed() -> None:
    bant = bant_check(frame(industrial_rows() + generic_rows()))
    assert list(bant.columns)[-len(BANT_COLUMNS) :] == list(BANT_COLUMNS)
    # early = the first two open stages: G1, G6 (generic_4) and 商机-H1, 商机-H7 (industrial)
    assert bant["deal_id"].tolist() == ["G1", "G6", "商机-H1", "商机-H7"]
    found = by_id(bant)
    assert found["G1"]["bant_missing"] == (
        "budget_confirmed",
        "decision_maker",
        "need_confirmed",
        "timeline_confirmed",
    )
    assert found["G6"]["bant_missing"] == () and found["G6"]["bant_complete"]
    assert found["商机-H7"]["bant_missing"] == ("need_confirmed",)
    assert (found["商机-H7"]["budget"], found["商机-H7"]["need"]) == (True, False)
    assert bant.attrs["missing_columns"] == ()


def test_bant_early_stages_is_configurable() -> None:
    snap = frame(generic_rows())
    assert bant_check(snap, early_stages=1)["deal_id"].tolist() == ["G1", "G6"]
    assert bant_check(snap, early_stages=3)["deal_id"].tolist() == ["G1", "G5", "G6", "G7"]
    assert len(bant_check(snap, early_stages=9)) == 6  # capped at the open stages
    with pytest.raises(InputError, match="early_stages"):
        bant_check(snap, early_stages=0)


def test_bant_reports_an_absent_field_as_not_recorded() -> None:
    snap = frame(generic_rows()).drop(columns="timeline_confirmed")
    bant = bant_check(snap)
    assert bant["timeline"].isna().all()
    # G6 has B, A and N: the time window is not recorded, so BANT is not checked, not failed
    g6 = by_id(bant)["G6"]
    assert (g6["bant_missing"], g6["bant_unchecked"]) == ((), ("timeline_confirmed",))
    assert pd.isna(g6["bant_complete"])
    assert bant.set_index("deal_id")["bant_complete"].loc[["G1"]].tolist() == [False]
    assert bant.attrs["missing_columns"] == (
        MissingColumn("DACH", "generic_4", "timeline_confirmed", "snapshot", 2),
    )


# --- roll-ups ----------------------------------------------------------------------------


def rollups() -> tuple[pd.DataFrame, pd.DataFrame]:
    snap = frame(industrial_rows() + generic_rows())
    gaps, bant = process_gaps(snap), bant_check(snap)
    return process_rollup(gaps, bant, by="rep"), process_rollup(gaps, bant, by="team")


def test_rollup_per_team_hand_computed() -> None:
    _, team = rollups()
    assert team["team"].tolist() == ["DACH", "华东"]
    dach, east = team.to_dict("records")
    # DACH: open G1 G2 G3 G5 G6 G7; inflated G3 (300) G5 (500) G7 (700)
    assert (dach["open_deals"], dach["inflated_deals"], dach["gap_share"]) == (6, 3, 0.5)
    assert (dach["open_amount"], dach["inflated_amount"], dach["currency"]) == (
        2400.0,
        1500.0,
        "EUR",
    )
    # missing: G3 timeline solution quote competitor; G5 budget decision_maker; G7 timeline
    assert dach["most_missed"] == (
        ("timeline_confirmed", 2),
        ("budget_confirmed", 1),
        ("competitor", 1),
    )
    # BANT: G1 misses all four, G6 complete
    assert (dach["early_deals"], dach["bant_incomplete"]) == (2, 1)
    assert dach["bant_missing"] == (
        ("budget_confirmed", 1),
        ("decision_maker", 1),
        ("need_confirmed", 1),
    )
    # 华东: open H1 H2 H3 H5 H7; inflated H3 (3e6) H5 (5e6)
    assert (east["open_deals"], east["inflated_deals"], east["gap_share"]) == (5, 2, 0.4)
    assert (east["open_amount"], east["inflated_amount"]) == (18e6, 8e6)
    assert east["most_missed"] == (("competitor", 1), ("need_confirmed", 1))
    # BANT: H1 misses all four, H7 misses need
    assert (east["early_deals"], east["bant_incomplete"]) == (2, 2)
    assert east["bant_missing"] == (
        ("need_confirmed", 2),
        ("budget_confirmed", 1),
        ("decision_maker", 1),
    )


def test_rollup_per_rep_hand_computed() -> None:
    rep, _ = rollups()
    table = rep.set_index(["team", "owner"])
    assert table.index.tolist() == [
        ("DACH", "Anna Schmidt"),
        ("DACH", "Lukas Müller"),
        ("华东", "张伟"),
        ("华东", "李强"),
    ]
    expected = {  # open, inflated, inflated amount, early deals, BANT incomplete
        ("DACH", "Anna Schmidt"): (3, 1, 300.0, 1, 1),  # G3 inflated; G1 early, incomplete
        ("DACH", "Lukas Müller"): (3, 2, 1200.0, 1, 0),  # G5 G7 inflated; G6 early, complete
        ("华东", "张伟"): (2, 0, 0.0, 1, 1),  # H1 early, incomplete
        ("华东", "李强"): (3, 2, 8e6, 1, 1),  # H3 H5 inflated; H7 early, misses need
    }
    columns = ["open_deals", "inflated_deals", "inflated_amount", "early_deals", "bant_incomplete"]
    for key, values in expected.items():
        assert tuple(table.loc[key, columns].tolist()) == values, key
    assert table.loc[("DACH", "Lukas Müller"), "gap_share"] == pytest.approx(2 / 3)
    assert table.loc[("华东", "张伟"), "most_missed"] == ()
    assert table.loc[("DACH", "Lukas Müller"), "bant_missing"] == ()
    assert rep["early_deals"].dtype == "int64"


def test_rollup_top_and_full_ranking() -> None:
    snap = frame(generic_rows())
    gaps, bant = process_gaps(snap), bant_check(snap)
    full = process_rollup(gaps, bant, by="team", top=None).loc[0, "most_missed"]
    assert full == (
        ("timeline_confirmed", 2),
        ("budget_confirmed", 1),
        ("competitor", 1),
        ("decision_maker", 1),
        ("quote_sent", 1),
        ("solution_presented", 1),
    )
    assert process_rollup(gaps, bant, by="team", top=1).loc[0, "most_missed"] == (
        ("timeline_confirmed", 2),
    )
    ranks = missed_criteria(gaps, by="team")
    assert ranks["rank"].tolist() == [1, 2, 2, 2, 2, 2]
    tied = pd.DataFrame(
        {
            "team": "T",
            "owner": ["a", "a", "b"],
            "missing": [("quote_sent", "coach"), ("coach", "quote_sent"), ("x",)],
        }
    )
    assert missed_criteria(tied).to_dict("list") == {
        "team": ["T", "T", "T"],
        "field": ["coach", "quote_sent", "x"],
        "deals": [2, 2, 1],
        "rank": [1, 1, 3],
    }
    assert missed_criteria(tied, by="rep")[["owner", "rank"]].to_dict("list") == {
        "owner": ["a", "a", "b"],
        "rank": [1, 1, 1],
    }
    with pytest.raises(InputError, match="by must be"):
        missed_criteria(gaps, by="region")  # type: ignore[arg-type]


def test_rollup_amounts_are_nan_when_a_group_mixes_currencies() -> None:
    rows = generic_rows()
    rows[0]["currency"] = "CHF"  # G1, Anna Schmidt
    snap = frame(rows)
    rep = process_rollup(process_gaps(snap), bant_check(snap)).set_index("owner")
    assert rep.loc["Anna Schmidt", "currency"] == "CHF/EUR"
    assert pd.isna(rep.loc["Anna Schmidt", "inflated_amount"])
    assert rep.loc["Lukas Müller", "inflated_amount"] == 1200.0


def test_rollup_carries_the_missing_columns() -> None:
    snap = frame(generic_rows()).drop(columns=["competitor", "need_confirmed"])
    roll = process_rollup(process_gaps(snap), bant_check(snap), by="team")
    assert [(m.field, m.open_deals) for m in roll.attrs["missing_columns"]] == [
        ("competitor", 6),
        ("need_confirmed", 6),
    ]  # BANT's 2 early deals are among the 6


# --- invariants, every shipped model ----------------------------------------------------


def reference(
    model_name: str, stage: str, met: set[str]
) -> tuple[int, tuple[str, ...], tuple[str, ...]]:
    """Evidence stage (1-based), missing fields and next actions of one deal, the slow way."""
    stages = load_stage_model(model_name).open_stages
    claimed = [s.key for s in stages].index(stage)
    evidence = 0
    while evidence < len(stages) - 1 and all(
        c.field in met for c in stages[evidence].exit_criteria
    ):
        evidence += 1
    missing: list[str] = []
    for s in stages[:claimed]:
        missing += [
            c.field for c in s.exit_criteria if c.field not in met and c.field not in missing
        ]
    next_actions = [c.field for c in stages[claimed].exit_criteria if c.field not in met]
    return evidence + 1, tuple(missing), tuple(dict.fromkeys(next_actions))


@settings(max_examples=examples(40), deadline=None, database=None)
@given(data=st.data())
def test_matches_a_row_by_row_reference_on_every_shipped_model(data: st.DataObject) -> None:
    rows = []
    for i in range(data.draw(st.integers(1, 12))):
        name = data.draw(st.sampled_from(stage_model_names()))
        stage = data.draw(st.sampled_from(load_stage_model(name).keys))
        met = data.draw(st.sets(st.sampled_from(sorted(EVIDENCE_FIELDS))))
        rows.append(
            deal(
                f"D{i:02d}",
                stage,
                met,
                model=name,
                team="T",
                owner="o",
                amount=float(i + 1),
                currency="EUR",
            )
        )
    snap = pd.concat(
        [
            frame(rows),
            frame(
                [
                    deal(
                        "ZZ",
                        "won",
                        EVERYTHING,
                        model="generic_4",
                        team="T",
                        owner="o",
                        amount=1.0,
                        currency="EUR",
                    )
                ]
            ),
        ],
        ignore_index=True,
    )
    gaps = process_gaps(snap)
    open_rows = [r for r in rows if load_stage_model(r["stage_model"]).stage(r["stage"]).is_open]
    assert gaps["deal_id"].tolist() == sorted(r["deal_id"] for r in open_rows)
    found = by_id(gaps)
    for r in open_rows:
        met = {f for f in EVIDENCE_FIELDS if r[f] not in (None, False)}
        evidence, missing, next_actions = reference(r["stage_model"], r["stage"], met)
        got = found[r["deal_id"]]
        assert (got["evidence_index"], got["missing"]) == (evidence, missing)
        assert got["next_actions"] == next_actions
        assert got["stages_inflated"] == max(got["claimed_index"] - evidence, 0)
        assert got["inflated"] == bool(missing)  # a deal has gaps exactly when inflated


# --- the sample store -------------------------------------------------------------------


def test_planted_inflation_rate_in_the_sample_store(tmp_path: Path) -> None:
    files = sorted((SAMPLES / "exports" / "2026-W47").iterdir())
    ingest_week(files, week="2026-W47", store=tmp_path / "store")
    snap = SnapshotStore(tmp_path / "store").read("2026-W47")
    gaps = process_gaps(snap)
    assert gaps.attrs["missing_columns"] == ()  # every team exports what its model needs
    assert 0.05 <= gaps["inflated"].mean() <= 0.30
    per_team = gaps.groupby("team")["inflated"].sum()
    assert sorted(per_team.index) == ["DACH", "North", "West", "华东"]
    assert (per_team > 0).all()
    assert set(gaps["stage_model"]) == {"generic_4", "hubspot", "industrial_b2b", "salesforce"}


@settings(max_examples=examples(40), deadline=None, database=None)
@given(data=st.data())
def test_columns_the_export_lacks_are_never_gaps(data: st.DataObject) -> None:
    """With random evidence columns absent, only recorded gaps count: the result equals the
    reference with the absent fields given the benefit of the doubt, and they are listed as
    unchecked instead."""
    rows = []
    for i in range(data.draw(st.integers(1, 10))):
        name = data.draw(st.sampled_from(stage_model_names()))
        stage = data.draw(st.sampled_from([s.key for s in load_stage_model(name).open_stages]))
        met = data.draw(st.sets(st.sampled_from(sorted(EVIDENCE_FIELDS))))
        rows.append(
            deal(
                f"D{i:02d}",
                stage,
                met,
                model=name,
                team="T",
                owner="o",
                amount=float(i + 1),
                currency="EUR",
            )
        )
    absent = data.draw(st.sets(st.sampled_from(sorted(EVIDENCE_FIELDS)), min_size=1))
    snap = frame(rows).drop(columns=sorted(absent))
    found = by_id(process_gaps(snap))
    # a text column blank in every row of the export is read as not exported either
    absent |= {f for f in EVIDENCE_TEXT_FIELDS if all(r[f] is None for r in rows)}
    for r in rows:
        model = load_stage_model(r["stage_model"])
        met = {f for f in EVIDENCE_FIELDS if r[f] not in (None, False)}
        _, missing, next_actions = reference(r["stage_model"], r["stage"], met | absent)
        shown, _, _ = reference(r["stage_model"], r["stage"], met - absent)
        got = found[r["deal_id"]]
        claimed = got["claimed_index"]
        before = [c.field for s in model.open_stages[: claimed - 1] for c in s.exit_criteria]
        through = [c.field for s in model.open_stages[:claimed] for c in s.exit_criteria]
        assert got["missing"] == missing and not set(missing) & absent
        assert got["next_actions"] == next_actions
        assert got["evidence_index"] == shown
        assert got["inflated"] == bool(missing)
        assert got["evidence_checked"] == (not set(before) & absent)
        assert set(got["unchecked"]) == set(through) & absent
