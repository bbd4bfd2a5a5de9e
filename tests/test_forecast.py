"""pipereview.diagnostics._forecast: weighted pipeline, roll-up, won to date, expected, gap, coverage,
win rate and stage calibration, each on a small hand-computed history."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import pytest

from _forecastrows import deal_row, history
from pipereview.core._errors import ConfigError, InputError
from pipereview.diagnostics._calibration import stage_calibration
from pipereview.diagnostics._forecast import (
    ForecastSettings,
    category_rollup,
    deal_key,
    period_forecast,
    weighted_pipeline,
    win_rates,
    won_deals,
)

# generic_4 probabilities: initial_contact 0.10, needs_confirmed 0.25, solution_quote 0.50,
# negotiation 0.75; won / lost closed.


row = partial(
    deal_row,
    team="North",
    category=None,
    created="2026-09-01",
    name="deal {}",
    account="account {}",
)
frame = history


W47 = [
    row("2026-W47", "A", "negotiation", 1000, "2026-12-10", probability=0.6, category="commit"),
    row("2026-W47", "B", "solution_quote", 2000, "2026-11-30", category="best_case"),
    row("2026-W47", "C", "initial_contact", 500, "2027-01-15", owner="Bob", category="pipeline"),
    row("2026-W47", "D", "won", 3000, "2026-11-10", category="closed"),
    row("2026-W47", "E", "won", 700, "2026-09-20", owner="Bob", category="closed"),
    row("2026-W47", "F", "lost", 400, "2026-11-05", owner="Bob", category="closed"),
    row("2026-W47", "H", "won", 900, "2026-11-25", category="closed"),  # after the as-of week
]
W46 = [
    row("2026-W46", "A", "solution_quote", 1000, "2026-12-10", category="best_case"),
    row("2026-W46", "D", "won", 3000, "2026-11-10", category="closed"),  # seen twice, counted once
    row("2026-W46", "G", "won", 800, "2026-10-20", owner="Bob", category="closed"),  # then gone
]
HISTORY = frame(W46 + W47)
TARGETS = pd.DataFrame(
    {
        "team": "North",
        "owner": ["", "Ann", "Bob"],
        "period": "2026-Q4",
        "amount": [10000.0, 6000.0, 4000.0],
        "currency": "USD",
    }
)


def test_weighted_pipeline_uses_snapshot_probability_else_stage_model() -> None:
    deals = weighted_pipeline(frame(W47)).set_index("deal_id")
    # A: 1000 x 0.6 (its own), B: 2000 x 0.50 (stage), C: 500 x 0.10 (stage); closed left out
    assert deals["weighted"].to_dict() == {"A": 600.0, "B": 1000.0, "C": 50.0}
    assert deals["probability_source"].tolist() == ["snapshot", "stage_model", "stage_model"]
    in_q4 = weighted_pipeline(frame(W47), period="2026-Q4")
    assert in_q4["deal_id"].tolist() == ["A", "B"]  # C closes in 2027
    # an export without probabilities: every deal weighted by its stage, and said so
    plain = weighted_pipeline(frame(W47).drop(columns="probability")).set_index("deal_id")
    assert plain["weighted"].to_dict() == {"A": 750.0, "B": 1000.0, "C": 50.0}  # 1000 x 0.75
    assert plain["probability_source"].tolist() == ["stage_model"] * 3


def test_category_rollup_has_every_category_and_cumulative_amounts() -> None:
    out = category_rollup(frame(W47))
    assert out["forecast_category"].tolist() == ["commit", "best_case", "pipeline", "omitted"]
    assert out["amount"].tolist() == [1000.0, 2000.0, 500.0, 0.0]
    assert out["weighted"].tolist() == [600.0, 1000.0, 50.0, 0.0]
    # commit 1000; + best case 2000 = 3000; + pipeline 500 = 3500; + omitted 0
    assert out["cumulative_amount"].tolist() == [1000.0, 3000.0, 3500.0, 3500.0]


def test_category_rollup_of_a_period_whole_frame() -> None:
    # due in Q4: A (commit, 1000 x 0.6) and B (best case, 2000 x 0.50); C closes in 2027
    # and the closed deals are not pipeline: pipeline and omitted are empty rows of 0 deals
    out = category_rollup(frame(W47), period="2026-Q4")
    expected = pd.DataFrame(
        {
            "team": ["North"] * 4,
            "currency": ["USD"] * 4,
            "forecast_category": ["commit", "best_case", "pipeline", "omitted"],
            "deals": pd.array([1, 1, 0, 0], dtype="Int64"),  # missing: categories unknown
            "amount": [1000.0, 2000.0, 0.0, 0.0],
            "weighted": [600.0, 1000.0, 0.0, 0.0],
            "cumulative_amount": [1000.0, 3000.0, 3000.0, 3000.0],
        }
    )
    pd.testing.assert_frame_equal(out, expected)


def test_category_rollup_per_rep_whole_frame() -> None:
    # no period: Ann's A (commit) and B (best case), Bob's C (pipeline, 500 x 0.10)
    out = category_rollup(frame(W47), group_columns=("team", "owner"))
    expected = pd.DataFrame(
        {
            "team": ["North"] * 8,
            "owner": ["Ann"] * 4 + ["Bob"] * 4,
            "currency": ["USD"] * 8,
            "forecast_category": ["commit", "best_case", "pipeline", "omitted"] * 2,
            "deals": pd.array([1, 1, 0, 0, 0, 0, 1, 0], dtype="Int64"),
            "amount": [1000.0, 2000.0, 0.0, 0.0, 0.0, 0.0, 500.0, 0.0],
            "weighted": [600.0, 1000.0, 0.0, 0.0, 0.0, 0.0, 50.0, 0.0],
            "cumulative_amount": [1000.0, 3000.0, 3000.0, 3000.0, 0.0, 0.0, 500.0, 500.0],
        }
    )
    pd.testing.assert_frame_equal(out, expected)


def test_won_deals_counts_each_deal_once_up_to_the_as_of_week() -> None:
    won = won_deals(HISTORY, "2026-Q4", "2026-W47")
    # D (twice in history, once here) and G (gone from W47 but won in Q4); E is Q3,
    # H closes after Sunday 2026-11-22
    assert sorted(won["deal_id"]) == ["D", "G"]
    assert won.set_index("deal_id")["won_week"].to_dict() == {"D": "2026-W46", "G": "2026-W46"}
    assert won_deals(HISTORY, "2026-Q4", "2026-W46")["deal_id"].tolist() == ["D", "G"]


def test_win_rate_over_the_trailing_window() -> None:
    # window: 13 weeks to Sunday 2026-11-22, i.e. from 2026-08-24; closed in it:
    # D won, E won, G won, F lost (H closes later) -> 3 / (3 + 1) = 0.75
    rates = win_rates(HISTORY, "2026-W47", settings=ForecastSettings(min_closed_deals=4))
    assert rates[["won", "lost", "win_rate"]].iloc[0].tolist() == [3, 1, 0.75]
    assert rates["window_start"].iloc[0] == pd.Timestamp("2026-08-24")
    # 4 closed deals are fewer than the default minimum of 5: no win rate
    assert np.isnan(win_rates(HISTORY, "2026-W47")["win_rate"].iloc[0])


def test_team_forecast_by_hand() -> None:
    out = period_forecast(
        HISTORY, TARGETS, "2026-Q4", "2026-W47", settings=ForecastSettings(min_closed_deals=4)
    ).iloc[0]
    assert (out["team"], out["period"], out["as_of"]) == ("North", "2026-Q4", "2026-W47")
    # won 3000 (D) + 800 (G) = 3800; open due in Q4: A 1000 + B 2000 = 3000,
    # weighted 600 + 1000 = 1600; expected 3800 + 1600 = 5400; gap 10000 - 5400 = 4600;
    # remaining 10000 - 3800 = 6200; coverage 3000 / 6200; needed 1 / 0.75
    assert (out["won_to_date"], out["won_deals"]) == (3800.0, 2)
    assert (out["open_in_period"], out["commit_in_period"], out["best_case_in_period"]) == (
        3000.0,
        1000.0,
        2000.0,
    )
    assert (out["weighted_in_period"], out["expected"], out["gap_to_target"]) == (
        1600.0,
        5400.0,
        4600.0,
    )
    assert out["remaining_target"] == 6200.0
    assert out["coverage"] == pytest.approx(3000 / 6200)
    assert out["coverage_needed"] == pytest.approx(4 / 3)
    assert out["verdict"] == "short"


def test_rep_forecast_falls_back_to_the_team_win_rate() -> None:
    out = period_forecast(
        HISTORY,
        TARGETS,
        "2026-Q4",
        "2026-W47",
        by="rep",
        settings=ForecastSettings(min_closed_deals=3),
    ).set_index("owner")
    # Ann: won D 3000, open A + B 3000, remaining 6000 - 3000 = 3000 -> coverage 1.0
    assert out.loc["Ann", "coverage"] == 1.0
    # Ann closed only D (1 < 3): team rate 0.75; Bob closed E, F, G: 2 / 3
    assert list(out.loc["Ann", ["win_rate", "win_rate_source"]]) == [0.75, "team"]
    assert out.loc["Bob", "win_rate"] == pytest.approx(2 / 3)
    assert out.loc["Bob", "win_rate_source"] == "owner"
    # Bob: won G 800 of 4000, nothing open in Q4 -> coverage 0, short
    assert list(out.loc["Bob", ["coverage", "verdict"]]) == [0.0, "short"]


def test_forecast_without_a_target_or_with_target_met() -> None:
    none = period_forecast(HISTORY, TARGETS.iloc[:0], "2026-Q4", "2026-W47").iloc[0]
    assert none["verdict"] == "no target"
    met = period_forecast(HISTORY, TARGETS.assign(amount=3000.0), "2026-Q4", "2026-W47").iloc[0]
    assert met["verdict"] == "target met"
    assert np.isnan(met["coverage"])
    assert met["won_to_date"] == 3800.0 and met["remaining_target"] == 0.0  # never negative


@pytest.mark.parametrize(
    ("target", "remaining", "coverage"),
    [
        # won 3800, open in Q4 3000: coverage is open / what is left of the target, down to
        # the last currency unit and below it; none once the target is met
        (3801.0, 1.0, 3000.0),
        (3800.5, 0.5, 6000.0),
        (3800.0, 0.0, None),
    ],
)
def test_coverage_of_the_last_unit_of_the_target(
    target: float, remaining: float, coverage: float | None
) -> None:
    out = period_forecast(HISTORY, TARGETS.assign(amount=target), "2026-Q4", "2026-W47").iloc[0]
    assert (out["won_to_date"], out["open_in_period"], out["remaining_target"]) == (
        3800.0,
        3000.0,
        remaining,
    )
    assert (None if np.isnan(out["coverage"]) else out["coverage"]) == coverage


def test_stage_calibration_with_a_minimum_sample() -> None:
    # negotiation's typical 21 days to close: W44 is exactly 21 days before W47
    history = frame(
        [
            row("2026-W44", "X", "negotiation", 100, "2026-12-01"),
            row("2026-W44", "Y", "negotiation", 100, "2026-12-01"),
            row("2026-W44", "Z", "negotiation", 100, "2026-12-01"),
            row("2026-W44", "V", "solution_quote", 100, "2026-12-01"),
            row("2026-W47", "X", "won", 100, "2026-11-20"),
            row("2026-W47", "Y", "lost", 100, "2026-11-20"),
            row("2026-W47", "Z", "negotiation", 100, "2026-12-01"),
            row("2026-W47", "V", "negotiation", 100, "2026-12-01"),
        ]
    )
    out = stage_calibration(history, "2026-W47", ForecastSettings(min_calibration_deals=2))
    negotiation = out.set_index("stage").loc["negotiation"]
    # seen in negotiation: X (won), Y (lost), Z (open) since W44, V only since W47 (too
    # recent: not counted) -> observed 1 / 2 = 0.5, difference 0.75 - 0.5 = 0.25; but Z
    # may still be won: the rate lies between 1 / 3 and 2 / 3, and 2 / 3 is within 0.10 of
    # 0.75 -> too early, not optimistic
    assert list(negotiation[["deals_seen", "too_recent", "won", "lost", "still_open"]]) == [
        4,
        1,
        1,
        1,
        1,
    ]
    assert list(negotiation[["observed", "difference", "verdict"]]) == [0.5, 0.25, "too early"]
    assert list(negotiation[["observed_low", "observed_high"]]) == [1 / 3, 2 / 3]
    assert negotiation["resolved_share"] == 2 / 3
    # 2 resolved + 1 still open = 3 counted deals; V too recent, not counted
    assert negotiation["note"] == (
        "1 of 3 still open: win rate between 33% and 67%, "
        "not yet clear of the configured 75% ± 10 points; 1 reached the stage less than 21 "
        "days ago (the typical time to close from it) and are not counted"
    )
    # solution_quote: V since W44, 21 of its typical 42 days: too recent -> too few
    quote = out.set_index("stage").loc["solution_quote"]
    assert list(quote[["deals_seen", "too_recent", "verdict"]]) == [1, 1, "too few"]
    assert quote["note"] == (
        "0 counted deals ended, 2 needed; 1 reached the stage less than 42 days ago "
        "(the typical time to close from it) and are not counted"
    )
    default = stage_calibration(history, "2026-W47")
    assert set(default["verdict"]) == {"too few"}  # fewer than 10 resolved deals
    # a tolerance of 50 points: the whole range 33%-67% lies within 75% ± 50 points
    wide = ForecastSettings(min_calibration_deals=2, calibration_tolerance=0.5)
    calibrated = stage_calibration(history, "2026-W47", wide).set_index("stage").loc["negotiation"]
    assert calibrated["verdict"] == "calibrated"
    assert calibrated["note"] == (
        "1 of 3 still open: win rate between 33% and 67%, "
        "within the configured 75% ± 50 points; 1 reached the stage less than 21 "
        "days ago (the typical time to close from it) and are not counted"
    )


def test_deal_key_and_inputs_left_unchanged() -> None:
    before = HISTORY.copy()
    period_forecast(HISTORY, TARGETS, "2026-Q4", "2026-W47", by="rep")
    stage_calibration(HISTORY, "2026-W47")
    pd.testing.assert_frame_equal(HISTORY, before)
    blank = frame([row("2026-W47", "", "won", 1.0, "2026-11-01")])
    assert deal_key(blank).tolist() == ["North|deal |account "]


def test_a_rep_with_a_target_and_no_deals_is_listed() -> None:
    targets = pd.concat(
        [
            TARGETS,
            pd.DataFrame(
                {
                    "team": ["North"],
                    "owner": ["Cy"],
                    "period": ["2026-Q4"],
                    "amount": [1000.0],
                    "currency": ["USD"],
                }
            ),
        ]
    )
    out = period_forecast(HISTORY, targets, "2026-Q4", "2026-W47", by="rep").set_index("owner")
    # Cy: nothing won, nothing open: coverage 0 / 1000 = 0; 4 closed deals < 5: no win rate
    assert list(out.loc["Cy", ["won_to_date", "open_in_period", "coverage"]]) == [0, 0, 0]
    assert list(out.loc["Cy", ["currency", "verdict"]]) == ["USD", "no win rate"]
    with pytest.raises(InputError, match="by must be 'team' or 'rep', got 'region'"):
        period_forecast(HISTORY, targets, "2026-Q4", "2026-W47", by="region")


@pytest.mark.parametrize(
    "kwargs", [{"win_rate_weeks": 0}, {"min_closed_deals": 0}, {"calibration_tolerance": 1.5}]
)
def test_forecast_settings_are_checked(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match=r"win_rate_weeks|calibration_tolerance"):
        ForecastSettings(**kwargs)


def test_a_refused_calibration_tolerance_says_how_to_set_it() -> None:
    with pytest.raises(ConfigError) as refused:
        ForecastSettings(calibration_tolerance=1.5)
    assert refused.value.hint == (
        "set forecast.calibration_tolerance to a share such as 0.10 (10 points)"
    )


def test_a_deal_due_on_the_first_or_last_day_of_the_period_is_in_it() -> None:
    rows = [
        row("2026-W47", "first", "negotiation", 100, "2026-10-01"),
        row("2026-W47", "last", "negotiation", 200, "2026-12-31"),
        row("2026-W47", "after", "negotiation", 400, "2027-01-01"),
        row("2026-W47", "before", "negotiation", 800, "2026-09-30"),
    ]
    in_q4 = weighted_pipeline(frame(rows), period="2026-Q4")
    assert in_q4["deal_id"].tolist() == ["first", "last"]


def test_stage_calibration_frame_as_of_an_earlier_week_in_stage_order() -> None:
    south = {"team": "South"}
    # W30 is 16 weeks (112 days) before W46: longer than any generic_4 stage's typical
    # time to close (77 days from initial contact), so every deal counts
    history = frame(
        [
            row("2026-W30", "A", "solution_quote", 100, "2026-12-01"),
            row("2026-W30", "B", "negotiation", 100, "2026-12-01"),
            row("2026-W30", "C", "initial_contact", 100, "2026-12-01"),
            {**row("2026-W30", "D", "needs_confirmed", 100, "2026-12-01"), **south},
            row("2026-W46", "A", "won", 100, "2026-11-10"),
            row("2026-W46", "B", "negotiation", 100, "2026-12-01"),
            row("2026-W46", "C", "won", 100, "2026-11-10"),
            {**row("2026-W46", "D", "needs_confirmed", 100, "2026-12-01"), **south},
            # W47 is after as_of: B's loss and D's win are not known yet
            row("2026-W47", "B", "lost", 100, "2026-11-20"),
            {**row("2026-W47", "D", "won", 100, "2026-11-20"), **south},
        ]
    )
    out = stage_calibration(history, "2026-W46", ForecastSettings(min_calibration_deals=1))
    # North, in the model's stage order (not alphabetical): C won from initial_contact
    # (1 of 1: 0.10 - 1.0 = -0.9), A won from solution_quote (one resolved deal is enough
    # with a minimum of 1: 0.50 - 1.0 = -0.5), B still open in negotiation (nothing
    # resolved: no observed rate, the range 0 to 1, too few); South: D still open. No deal
    # lost by W46: lost counts 0 throughout.
    expected = pd.DataFrame(
        {
            "team": pd.Series(["North", "North", "North", "South"], dtype="str"),
            "stage_model": pd.Series(["generic_4"] * 4, dtype="str"),
            "stage": pd.Series(
                ["initial_contact", "solution_quote", "negotiation", "needs_confirmed"],
                dtype="str",
            ),
            "configured": [0.10, 0.50, 0.75, 0.25],
            "observed": [1.0, 1.0, np.nan, np.nan],
            "observed_low": [1.0, 1.0, 0.0, 0.0],
            "observed_high": [1.0, 1.0, 1.0, 1.0],
            "difference": [-0.9, -0.5, np.nan, np.nan],
            "deals_seen": pd.Series([1, 1, 1, 1], dtype="int64"),
            "too_recent": pd.Series([0, 0, 0, 0], dtype="int64"),
            "won": pd.Series([1, 1, 0, 0], dtype="int64"),
            "lost": pd.Series([0, 0, 0, 0], dtype="int64"),
            "still_open": pd.Series([0, 0, 1, 1], dtype="int64"),
            "resolved_share": [1.0, 1.0, 0.0, 0.0],
            "verdict": pd.Series(["pessimistic", "pessimistic", "too few", "too few"], dtype="str"),
            "note": pd.Series(
                [
                    "win rate 100%, above the configured 10% ± 10 points",
                    "win rate 100%, above the configured 50% ± 10 points",
                    "0 counted deals ended, 1 needed",
                    "0 counted deals ended, 1 needed",
                ],
                dtype="str",
            ),
        }
    )
    pd.testing.assert_frame_equal(out, expected)
    # as of W47 B is lost and D won: both now resolved
    later = stage_calibration(history, "2026-W47", ForecastSettings(min_calibration_deals=1))
    assert later[["stage", "won", "lost", "still_open"]].values.tolist() == [
        ["initial_contact", 1, 0, 0],
        ["solution_quote", 1, 0, 0],
        ["negotiation", 0, 1, 0],
        ["needs_confirmed", 1, 0, 0],
    ]


def test_category_rollup_of_an_export_without_currency_sums_its_deals() -> None:
    # most exports have no currency column: the deals still sum, by category, and a team
    # without categories gets missing figures, not zeros
    snap = frame(W47).assign(currency=None)
    out = category_rollup(snap)
    assert out["currency"].isna().all()
    assert out["amount"].tolist() == [1000.0, 2000.0, 500.0, 0.0]
    assert out["deals"].tolist() == [1, 1, 1, 0]
    bare = category_rollup(snap.assign(forecast_category=None))
    assert bare[["deals", "amount", "weighted", "cumulative_amount"]].isna().all().all()
    assert len(bare) == 4
