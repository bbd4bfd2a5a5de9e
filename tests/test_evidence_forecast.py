"""The evidence-weighted forecast (pipereview.diagnostics._evidenceforecast) and how the
review's forecast section words it: hand-computed on small snapshots in generic_4
(initial contact 10%, needs confirmed 25%, solution & quote 50%, negotiation 75%)."""

from __future__ import annotations

import html

import hypothesis.strategies as st
import pandas as pd
import pytest
from hypothesis import given, settings

from pipereview.config import Config
from pipereview.delivery import WeeklyReview
from pipereview.diagnostics import evidence_totals, evidence_weighted

#: the evidence columns of generic_4, every criterion met
ALL_MET = {
    "budget_confirmed": True,
    "decision_maker": "Wang",
    "need_confirmed": True,
    "timeline_confirmed": True,
    "solution_presented": True,
    "quote_sent": True,
    "competitor": "ABB",
    "contract_risk_reviewed": True,
    "verbal_commitment": True,
    "relationship_mapped": True,
}
STAGES = ["initial_contact", "needs_confirmed", "solution_quote", "negotiation"]


def _deal(deal_id: str, stage: str, amount: float, **evidence: object) -> dict[str, object]:
    return {
        "snapshot_week": "2026-W47",
        "team": "North",
        "deal_id": deal_id,
        "deal_name": f"Deal {deal_id}",
        "account": "Acme",
        "owner": "Ann",
        "stage": stage,
        "stage_model": "generic_4",
        "amount": amount,
        "currency": "EUR",
        "close_date": pd.Timestamp("2026-12-18"),
        "probability": None,
        **ALL_MET,
        **evidence,
    }


def test_an_inflated_deal_is_weighted_at_its_evidence_stage() -> None:
    snap = pd.DataFrame(
        [
            # claimed negotiation (75%), timeline not confirmed: evidence needs confirmed (25%)
            _deal("A", "negotiation", 1000.0, timeline_confirmed=False),
            # claimed solution & quote (50%), no decision maker: evidence initial contact (10%)
            _deal("B", "solution_quote", 400.0, decision_maker=None),
            # every criterion met: weighted as claimed
            _deal("C", "negotiation", 200.0),
        ]
    )
    deals = evidence_weighted(snap).set_index("deal_id")
    assert deals["evidence_stage"].to_dict() == {
        "A": "needs_confirmed",
        "B": "initial_contact",
        "C": "negotiation",
    }
    assert deals["probability_evidence"].to_dict() == {"A": 0.25, "B": 0.10, "C": 0.75}
    assert deals["change"].to_dict() == pytest.approx({"A": -500.0, "B": -160.0, "C": 0.0})
    totals = evidence_totals(evidence_weighted(snap))
    # claimed: 750 + 200 + 150 = 1100; evidence: 250 + 40 + 150 = 440
    assert totals["weighted"] == pytest.approx(1100.0)
    assert totals["weighted_evidence"] == pytest.approx(440.0)
    assert totals["change"] == pytest.approx(-660.0)
    assert (totals["lowered"], totals["unchecked"], totals["missing_columns"]) == (2, 0, ())


def test_a_reps_own_probability_is_kept_when_lower_and_capped_when_higher() -> None:
    snap = pd.DataFrame(
        [
            {**_deal("low", "negotiation", 1000.0, timeline_confirmed=False), "probability": 0.2},
            {**_deal("high", "negotiation", 1000.0, timeline_confirmed=False), "probability": 0.9},
            {**_deal("fine", "negotiation", 1000.0), "probability": 0.9},
        ]
    )
    deals = evidence_weighted(snap).set_index("deal_id")
    # evidence stage needs confirmed (25%): 20% stays 20%, 90% becomes 25%; "fine" keeps 90%
    assert deals["probability_evidence"].to_dict() == {"low": 0.2, "high": 0.25, "fine": 0.9}
    assert deals["change"].to_dict() == pytest.approx({"low": 0.0, "high": -650.0, "fine": 0.0})
    assert evidence_totals(evidence_weighted(snap))["lowered"] == 1


def test_without_evidence_columns_nothing_is_lowered_and_the_figure_is_a_bound() -> None:
    plain = pd.DataFrame([_deal("A", "negotiation", 1000.0), _deal("B", "initial_contact", 50.0)])
    plain = plain.drop(columns=list(ALL_MET))
    deals = evidence_weighted(plain)
    totals = evidence_totals(deals)
    assert totals["weighted_evidence"] == totals["weighted"] == pytest.approx(755.0)
    assert totals["lowered"] == 0
    assert totals["unchecked"] == 1  # the deal in stage 1 needs no evidence to be there
    assert "decision_maker" in totals["missing_columns"]
    review = WeeklyReview(plain, team="North", week="2026-W47")
    page = html.unescape(review.forecast_section().body)
    assert "Weighted at the stages" not in page  # nothing lowered: no second figure claimed
    assert "No checked deal's stage runs ahead of its evidence" in page
    assert "Not checked: deals whose stage could not be checked in full" in page
    assert "would be 755 EUR or lower" in page


def test_the_period_limits_the_deals_as_the_forecast_does() -> None:
    late = {**_deal("L", "negotiation", 1000.0, timeline_confirmed=False)}
    late["close_date"] = pd.Timestamp("2027-02-01")
    snap = pd.DataFrame([_deal("A", "negotiation", 100.0, timeline_confirmed=False), late])
    assert evidence_weighted(snap, period="2026-Q4")["deal_id"].tolist() == ["A"]
    assert evidence_weighted(snap)["deal_id"].tolist() == ["A", "L"]


def test_the_review_explains_the_difference_deal_by_deal_in_both_languages() -> None:
    snap = pd.DataFrame(
        [
            _deal("A", "negotiation", 1000.0, timeline_confirmed=False),
            _deal("B", "solution_quote", 400.0, decision_maker=None),
            _deal("C", "negotiation", 200.0),
        ]
    )
    config = Config(crm_url="https://crm.example/deal/{deal_id}")
    en = WeeklyReview(snap, team="North", week="2026-W47", config=config)
    page = en.forecast_section().body
    assert "Weighted pipeline at the stages the CRM records: 1,100 EUR." in page
    assert "Weighted at the stages the evidence supports: 440 EUR, that is 660 EUR lower." in page
    assert "Deals whose stage runs ahead of their evidence: 2;" in page
    # largest change first, with its link, stages, probabilities and change
    assert page.index(">A</a>") < page.index(">B</a>")
    assert '<a href="https://crm.example/deal/A"' in page
    row_a = page[page.index(">A</a>") : page.index(">B</a>")]
    for cell in (
        "Negotiation &amp; signing",
        "Needs confirmed",
        "1,000 EUR",
        "75% → 25%",
        "500 EUR",
    ):
        assert f"<td>{cell}</td>" in row_a, cell
    assert ">C</a>" not in page  # weighted as claimed: not listed
    zh = WeeklyReview(snap, team="North", week="2026-W47", lang="zh", config=config)
    page = zh.forecast_section().body
    assert "按证据加权" in page
    assert "按CRM记录的阶段加权：1,100 EUR；按证据支持的阶段加权：440 EUR，低 660 EUR。" in page
    assert "阶段超前于证据的商机：2 个" in page


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(STAGES),
            st.floats(min_value=0, max_value=1e7, allow_nan=False),
            st.one_of(st.none(), st.floats(min_value=0, max_value=1)),
            st.sampled_from(sorted(ALL_MET)),
            st.booleans(),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_evidence_never_raises_a_weight_and_the_totals_reconcile(
    rows: list[tuple[str, float, float | None, str, bool]],
) -> None:
    deals = []
    for number, (stage, amount, probability, field, met) in enumerate(rows):
        value: object = (
            ALL_MET[field]
            if met
            else (None if field in ("decision_maker", "competitor") else False)
        )
        deal = _deal(f"D{number}", stage, amount, **{field: value})
        deal["probability"] = probability
        deals.append(deal)
    out = evidence_weighted(pd.DataFrame(deals))
    assert len(out) == len(rows)
    assert (out["probability_evidence"] <= out["probability_used"] + 1e-12).all()
    assert (out["change"] <= 1e-9).all()
    inflated = out["stages_inflated"] > 0
    assert (out.loc[~inflated, "change"] == 0).all()
    totals = evidence_totals(out)
    assert totals["weighted_evidence"] == pytest.approx(
        totals["weighted"] + float(out["change"].sum()), rel=1e-9, abs=1e-6
    )
    assert totals["lowered"] <= int(inflated.sum())
