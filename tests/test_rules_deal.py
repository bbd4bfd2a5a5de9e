"""pipereview.coaching.rules_deal: the deal rules' findings, frame by frame, for small
contexts whose diagnostics are given directly (as in ``tests/test_coaching_rules.py``)."""

from __future__ import annotations

import pandas as pd

from pipereview.coaching.rules_deal import no_coach, no_decision_maker, stalled_deal
from test_coaching_rules import W47, context, risk_row

FINDING_COLUMNS = [
    "team",
    "owner",
    "deal_key",
    "deal_id",
    "deal_name",
    "account",
    "stage_model",
    "stage",
    "currency",
    "metric",
    "value",
    "reference",
    "severity",
    "amount_at_stake",
    "evidence",
]


def _deal(deal: str, team: str, owner: str, model: str, stage: str, coach: str | None) -> dict:
    return {
        "snapshot_week": W47,
        "team": team,
        "owner": owner,
        "deal_key": deal,
        "deal_id": deal,
        "deal_name": f"Deal {deal}",
        "account": f"Account {deal}",
        "stage_model": model,
        "stage": stage,
        "amount": {"A": 100.0, "B": 200.0, "C": 300.0}.get(deal, 50.0),
        "currency": "CNY",
        "coach": coach,
    }


def _coach_deals() -> pd.DataFrame:
    rows = [
        # generic_4 asks for no coach at any stage: not judged, and the other model still is
        _deal("A", "T", "Ann", "generic_4", "negotiation", None),
        # industrial_b2b asks for the coach to leave "discover"
        _deal("C", "T", "Bo", "industrial_b2b", "strategy", None),  # 1 stage beyond
        _deal("B", "T", "Ann", "industrial_b2b", "tender", None),  # 3 stages beyond
        _deal("D", "T", "Ann", "industrial_b2b", "interact", "李工"),  # recorded
        _deal("E", "T", "Ann", "industrial_b2b", "discover", None),  # still in that stage
        _deal("F", "U", "Cy", "industrial_b2b", "tender", None),  # team U records none
    ]
    frame = pd.DataFrame(rows)
    return frame.assign(coach=frame["coach"].astype("str"))


def test_no_coach_finds_each_late_deal_with_every_field_of_the_finding() -> None:
    found = no_coach(context(open_deals=_coach_deals()), {})
    expected = pd.DataFrame(
        {
            "team": ["T", "T"],
            "owner": ["Ann", "Bo"],
            "deal_key": ["B", "C"],
            "deal_id": ["B", "C"],
            "deal_name": ["Deal B", "Deal C"],
            "account": ["Account B", "Account C"],
            "stage_model": ["industrial_b2b", "industrial_b2b"],
            "stage": ["tender", "strategy"],
            "currency": ["CNY", "CNY"],
            "metric": ["stages_beyond", "stages_beyond"],
            "value": pd.array([3, 1], dtype="int64"),
            "reference": [0.0, 0.0],
            "severity": pd.array([2, 1], dtype="int64"),
            "amount_at_stake": [200.0, 300.0],
            "evidence": [
                {"required_stage": "discover", "stages_beyond": 3},
                {"required_stage": "discover", "stages_beyond": 1},
            ],
        }
    )
    pd.testing.assert_frame_equal(found, expected)


def test_no_decision_maker_reads_the_earliest_stage_asking_for_it() -> None:
    # generic_4 asks at initial_contact, industrial_b2b at assess (its first stage)
    deals = pd.DataFrame(
        [
            _deal("A", "T", "Ann", "generic_4", "needs_confirmed", None),
            _deal("B", "T", "Ann", "industrial_b2b", "interact", None),
            _deal("C", "T", "Ann", "generic_4", "initial_contact", "Wang"),
        ]
    ).rename(columns={"coach": "decision_maker"})
    deals = deals.assign(decision_maker=deals["decision_maker"].astype("str"))
    found = no_decision_maker(context(open_deals=deals), {})
    assert found["deal_key"].tolist() == ["A", "B"]
    assert found["value"].tolist() == [1, 3] and found["value"].dtype == "int64"
    assert found["severity"].tolist() == [2, 3]
    assert found["evidence"].tolist() == [
        {"required_stage": "initial_contact", "stages_beyond": 1},
        {"required_stage": "assess", "stages_beyond": 3},
    ]


def _assert_no_findings(found: pd.DataFrame) -> None:
    assert len(found) == 0
    assert list(found.columns) == FINDING_COLUMNS
    assert found["value"].dtype == "int64" and found["severity"].dtype == "int64"
    assert found["reference"].dtype == "float64"
    assert found["amount_at_stake"].dtype == "float64"


def test_an_export_without_the_contact_field_gives_no_findings() -> None:
    deals = _coach_deals().drop(columns="coach")
    _assert_no_findings(no_coach(context(open_deals=deals), {}))


def test_no_deal_past_the_stage_asking_for_the_contact_gives_no_findings() -> None:
    deals = _coach_deals()
    for keys in (
        ["D"],  # the only deal has its coach
        ["A", "D"],  # the blank one is of a model asking for no coach
        ["D", "E"],  # the blank one is still in "discover"
    ):
        _assert_no_findings(no_coach(context(open_deals=deals[deals["deal_key"].isin(keys)]), {}))
    _assert_no_findings(no_coach(context(open_deals=deals.iloc[0:0]), {}))


def test_stalled_deal_evidence_carries_the_lower_bound_when_the_risks_have_it() -> None:
    risks = pd.DataFrame([risk_row("A", days_since_activity=45.0, days_in_stage=77.0)])
    found = stalled_deal(context(risks=risks), {"stalled_days": 30})
    assert found["evidence"].tolist() == [
        {"days_since_activity": 45.0, "days_in_stage": 77.0, "stalled_days": 30}
    ]
    bounded = risks.assign(days_in_stage_lower_bound=True)
    found = stalled_deal(context(risks=bounded), {"stalled_days": 30})
    assert found["evidence"].tolist() == [
        {
            "days_since_activity": 45.0,
            "days_in_stage": 77.0,
            "days_in_stage_lower_bound": True,
            "stalled_days": 30,
        }
    ]
