"""The forecast methods (:func:`forecast_methods`, :func:`learn_quarter`) computed by
hand: 2026-Q2 to learn from (deals A and B at week 1, F appearing at its end), 2026-Q3
forecast at its week 1 (2026-W27) with C, D and G."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from _forecastrows import calls, deal_row, history
from pipereview.core import FORECAST_METHOD_LABELS
from pipereview.forecasting import (
    BASELINES,
    FORECAST_METHODS,
    forecast_methods,
    learn_quarter,
)

AS_OF = "2026-W27"  # week 1 of 2026-Q3


def _history() -> pd.DataFrame:
    return history(
        [
            # 2026-Q2: at week 1 A (negotiation 100, Ann) and B (solution_quote 200, Bob);
            # at its end A won, B lost, and F (Bob, 50), never seen before, won
            deal_row("2026-W14", "A", "negotiation", 100.0, "2026-06-20"),
            deal_row("2026-W14", "B", "solution_quote", 200.0, "2026-06-20", owner="Bob"),
            deal_row("2026-W26", "A", "won", 100.0, "2026-06-20"),
            deal_row("2026-W26", "B", "lost", 200.0, "2026-06-20", owner="Bob"),
            deal_row("2026-W26", "F", "won", 50.0, "2026-06-25", owner="Bob"),
            # 2026-Q3 at week 1: G won (40), C at the rep's 0.9, D at its stage's 0.5
            deal_row(AS_OF, "G", "won", 40.0, "2026-07-01"),
            deal_row(AS_OF, "C", "negotiation", 100.0, "2026-09-20", probability=0.9),
            deal_row(AS_OF, "D", "solution_quote", 200.0, "2026-09-20", owner="Bob"),
        ]
    )


def _calls() -> pd.DataFrame:
    # 2026-Q2: Ann called 200 and won 100 (ratio 2), Bob called 50 and won 50 (ratio 1)
    return calls(
        [
            ("2026-W20", "2026-Q2", "Ann", 200.0),
            ("2026-W20", "2026-Q2", "Bob", 50.0),
            ("2026-W27", "2026-Q3", "Ann", 300.0),
            ("2026-W27", "2026-Q3", "Bob", 100.0),
        ]
    )


def _forecasts(**kwargs: object) -> dict[str, float]:
    out = forecast_methods(_history(), AS_OF, **kwargs)  # type: ignore[arg-type]
    assert out["team"].unique().tolist() == ["N"]
    assert (out["week_of_quarter"] == 1).all() and (out["quarter"] == "2026-Q3").all()
    assert (out["won_to_date"] == 40.0).all()
    return dict(zip(out["method"], out["forecast"], strict=True))


def test_every_method_has_both_labels_and_the_baselines_come_last() -> None:
    assert set(FORECAST_METHODS) == set(FORECAST_METHOD_LABELS)
    assert FORECAST_METHODS[-2:] == BASELINES
    assert all(en and zh for en, zh in FORECAST_METHOD_LABELS.values())


def test_each_method_by_hand() -> None:
    said = _forecasts(calls=_calls(), min_cell_deals=1)
    assert said["stage_weighted"] == pytest.approx(40 + 100 * 0.9 + 200 * 0.5)  # 230
    assert math.isnan(said["evidence_weighted"])  # no evidence columns: nothing to weigh by
    assert said["weighted_pipeline"] == pytest.approx(40 + 100 * 0.75 + 200 * 0.5)  # 215
    # negotiation at week 1 of 2026-Q2: 100 of 100 won; solution_quote: 0 of 200
    assert said["historical_conversion"] == pytest.approx(40 + 100 * 1.0 + 200 * 0.0)  # 140
    # 2026-Q2 won 50 (F) after week 1 from a deal not counted then, 100 from the rest
    assert said["conversion_with_inflow"] == pytest.approx(140 * (1 + 50 / 100))  # 210
    assert said["naive_pace"] == pytest.approx(40 * 13 / 1)  # 13 weeks, 1 elapsed
    assert said["conversion_and_pace"] == pytest.approx((140 + 520) / 2)  # 330
    # each open deal halfway between its learned share and its stage's probability
    assert said["conversion_and_stages"] == pytest.approx(40 + 100 * 0.875 + 200 * 0.25)  # 177.5
    assert said["calls_corrected"] == pytest.approx(300 / 2 + 100 / 1)  # 250


def test_the_evidence_weighted_method_by_hand_and_without_evidence_says_why() -> None:
    frame = _history()
    now = frame["snapshot_week"] == AS_OF
    # C claims negotiation, its evidence only the first stage's exit criteria: weighted at
    # needs confirmed (0.25) instead of its rep's 0.9; D's evidence supports its stage
    evidence = {
        "budget_confirmed": {"C": True, "D": True},
        "decision_maker": {"C": "Wang", "D": "Li"},
        "need_confirmed": {"C": False, "D": True},
        "timeline_confirmed": {"C": False, "D": True},
    }
    for field, values in evidence.items():
        frame[field] = frame["deal_id"].map(values).where(now)
    out = forecast_methods(frame, AS_OF).set_index("method")
    assert out.loc["evidence_weighted", "forecast"] == pytest.approx(40 + 100 * 0.25 + 200 * 0.5)
    assert out.loc["evidence_weighted", "note"] == ""
    bare = forecast_methods(_history(), AS_OF).set_index("method")
    assert math.isnan(bare.loc["evidence_weighted", "forecast"])
    assert bare.loc["evidence_weighted", "note"] == (
        "not available: the export has no evidence columns (the exit criteria of the stage model)"
    )
    assert bare.loc["stage_weighted", "forecast"] == pytest.approx(230.0)


def test_a_thin_cell_falls_back_to_the_stage_then_to_its_probability() -> None:
    said = _forecasts(min_cell_deals=2)  # one deal per cell and per stage: too few
    assert said["historical_conversion"] == pytest.approx(said["weighted_pipeline"])


def test_a_rep_without_a_call_counts_the_won_and_without_a_ratio_the_teams() -> None:
    rows = _calls()
    said = _forecasts(calls=rows[rows["rep"] != "Bob"], min_cell_deals=1)
    # only Ann's ratio (2) is learned; Bob made no call and has won nothing yet
    assert said["calls_corrected"] == pytest.approx(300 / 2)
    no_q2_bob = rows[~((rows["rep"] == "Bob") & (rows["period"] == "2026-Q2"))]
    said = _forecasts(calls=no_q2_bob, min_cell_deals=1)
    # Bob has no ratio: the team's, over the reps' calls it has (Ann: 200 called, 100 won)
    assert said["calls_corrected"] == pytest.approx(300 / 2 + 100 / 2)


def test_without_calls_or_past_quarters_says_why() -> None:
    out = forecast_methods(_history(), AS_OF).set_index("method")
    assert math.isnan(out.loc["calls_corrected", "forecast"])
    assert out.loc["calls_corrected", "note"] == "not available: no forecast calls stored"
    first = forecast_methods(_history(), "2026-W14").set_index("method")
    learned = ("historical_conversion", "conversion_with_inflow", "conversion_and_pace")
    for method in (*learned, "conversion_and_stages"):
        assert math.isnan(first.loc[method, "forecast"])
        assert first.loc[method, "note"] == (
            "not available: no closed quarter before this one in the history"
        )
    assert first.loc["naive_pace", "note"] == ""


def test_learning_uses_only_the_weeks_before_the_quarter() -> None:
    learning = learn_quarter(_history(), "2026-Q3", calls=_calls())
    assert learning.quarters == ("2026-Q2",)
    cells = learning.conversion.set_index(["stage", "week_of_quarter"])
    assert cells.loc[("negotiation", 1), ["deals", "amount", "won"]].tolist() == [1, 100.0, 100.0]
    assert cells.loc[("solution_quote", 1), "won"] == 0.0
    inflow = learning.inflow.set_index("week_of_quarter")
    assert inflow.loc[1, ["inflow", "share"]].tolist() == [50.0, 0.5]
    assert inflow.loc[13, ["inflow", "share"]].tolist() == [0.0, 0.0]
    ratios = learning.ratios.set_index("rep")["ratio"]
    assert ratios.to_dict() == pytest.approx({"Ann": 2.0, "Bob": 1.0, "": 250 / 150})
