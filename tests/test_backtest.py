"""The backtest (:func:`backtest`, :func:`backtest_summary`, :func:`recommended_method`):
error figures by hand on a two-quarter history, no peeking at later weeks (a property),
the recommendation and its settings' boundaries."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _boundaries import boundary
from _forecastrows import deal_row, history
from pipereview.core import ConfigError
from pipereview.forecasting import (
    BACKTEST_COLUMNS,
    BacktestSettings,
    backtest,
    backtest_summary,
    learn_quarter,
    recommended_method,
)

ONE = BacktestSettings(min_cell_deals=1)


def _history() -> pd.DataFrame:
    return history(
        [
            # 2026-Q2, learned from: negotiation won, solution_quote lost
            deal_row("2026-W14", "A", "negotiation", 100.0, "2026-06-20"),
            deal_row("2026-W14", "B", "solution_quote", 200.0, "2026-06-20"),
            deal_row("2026-W26", "A", "won", 100.0, "2026-06-20"),
            deal_row("2026-W26", "B", "lost", 200.0, "2026-06-20"),
            # 2026-Q3, judged: at week 1 C (negotiation 100), D (solution_quote 200);
            # at week 13 C won, D lost: actual 100
            deal_row("2026-W27", "C", "negotiation", 100.0, "2026-09-20"),
            deal_row("2026-W27", "D", "solution_quote", 200.0, "2026-09-20"),
            deal_row("2026-W39", "C", "won", 100.0, "2026-09-20"),
            deal_row("2026-W39", "D", "lost", 200.0, "2026-09-20"),
        ]
    )


def test_errors_by_hand_on_two_quarters() -> None:
    out = backtest(_history(), settings=ONE)
    assert tuple(out.columns) == BACKTEST_COLUMNS
    assert out["quarter"].unique().tolist() == ["2026-Q3"]  # 2026-Q2 has nothing before it
    week1 = out[out["week"] == "2026-W27"].set_index("method")
    assert (week1["actual"] == 100.0).all() and (week1["week_of_quarter"] == 1).all()
    assert week1.loc["stage_weighted", ["forecast", "error", "pct_error"]].tolist() == [
        175.0,  # 100 x 0.75 + 200 x 0.5
        75.0,
        0.75,
    ]
    assert week1.loc["historical_conversion", "forecast"] == 100.0  # 100 x 1 + 200 x 0
    assert week1.loc["naive_pace", ["forecast", "abs_pct_error"]].tolist() == [0.0, 1.0]
    assert week1.loc["conversion_and_pace", "forecast"] == 50.0  # (100 + 0) / 2
    assert week1.loc["conversion_and_stages", "forecast"] == 137.5  # (100 + 175) / 2
    assert week1.loc["calls_corrected", "note"] == "not available: no forecast calls stored"
    # an export without evidence columns has no evidence-weighted forecast to judge
    assert week1.loc["evidence_weighted", "note"].startswith(
        "not available: the export has no evidence columns"
    )
    week13 = out[out["week"] == "2026-W39"].set_index("method")
    unavailable = ["calls_corrected", "evidence_weighted"]
    assert week13.drop(index=unavailable)["forecast"].tolist() == [100.0] * 7


def test_summary_and_recommendation_by_hand() -> None:
    summary = backtest_summary(backtest(_history(), settings=ONE)).set_index(
        ["method", "week_of_quarter"]
    )
    every = summary[summary.index.get_level_values(1).isna()].droplevel(1)
    assert every.loc["stage_weighted", ["quarters", "forecasts"]].tolist() == [1, 2]
    assert every.loc["stage_weighted", ["mape", "bias"]].tolist() == [0.375, 0.375]
    assert every.loc["naive_pace", ["mape", "bias"]].tolist() == [0.5, -0.5]
    assert every.loc["historical_conversion", "mape"] == 0.0
    assert "calls_corrected" not in every.index  # never measured
    first = summary.loc[("naive_pace", 1)]
    assert first[["mape", "bias"]].tolist() == [1.0, -1.0]
    out = recommended_method(backtest_summary(backtest(_history(), settings=ONE)))
    assert out["method"].tolist() == [""]
    assert out["note"].tolist() == ["not enough history: 1 closed quarters, needs at least 2"]


def _summary(rows: list[tuple[str, int | None, int, float]]) -> pd.DataFrame:
    """A summary frame from (method, week, quarters, mape) rows, bias = -mape."""
    return pd.DataFrame(
        {
            "team": "N",
            "method": [r[0] for r in rows],
            "week_of_quarter": pd.array([r[1] for r in rows], dtype="Int64"),
            "quarters": [r[2] for r in rows],
            "forecasts": 1,
            "mape": [r[3] for r in rows],
            "bias": [-r[3] for r in rows],
        }
    )


def test_the_lowest_error_around_week_6_is_recommended_with_the_baselines() -> None:
    summary = _summary(
        [
            ("historical_conversion", None, 3, 0.50),
            ("historical_conversion", 5, 3, 0.10),
            ("historical_conversion", 6, 3, 0.20),
            ("historical_conversion", 7, 3, 0.30),
            ("naive_pace", None, 3, 0.10),
            ("naive_pace", 6, 3, 0.40),
            ("naive_pace", 9, 3, 0.01),
            ("weighted_pipeline", None, 3, 0.90),
            ("weighted_pipeline", 6, 3, 0.90),
        ]
    )
    row = recommended_method(summary).iloc[0]
    assert row["method"] == "historical_conversion"
    assert row["mape"] == pytest.approx(0.2) and row["bias"] == pytest.approx(-0.2)
    assert row[["naive_pace_mape", "weighted_pipeline_mape"]].tolist() == pytest.approx([0.4, 0.9])
    assert row["note"] == ""


@boundary("backtest.min_quarters")
@pytest.mark.parametrize(("least", "quarters", "chosen"), [(2, (1, 2, 3), ("", "a", "a"))])
def test_a_method_needs_min_quarters(
    least: int, quarters: tuple[int, ...], chosen: tuple[str, ...]
) -> None:
    for n, method in zip(quarters, chosen, strict=True):
        summary = _summary([("naive_pace", None, n, 0.3), ("naive_pace", 6, n, 0.3)])
        row = recommended_method(summary, BacktestSettings(min_quarters=least)).iloc[0]
        assert row["method"] == ("naive_pace" if method else "")
        if not method:
            assert row["note"] == f"not enough history: {n} closed quarters, needs at least 2"
    for n in (3, 4, 5):  # at another setting: 4
        summary = _summary([("naive_pace", None, n, 0.3), ("naive_pace", 6, n, 0.3)])
        row = recommended_method(summary, BacktestSettings(min_quarters=4)).iloc[0]
        assert (row["method"] == "naive_pace") == (n >= 4)


@boundary("backtest.recommend_week", "backtest.week_window")
@pytest.mark.parametrize(
    ("week", "window", "chosen"),
    [
        (6, 1, "historical_conversion"),  # weeks 5-7: conversion 0.2, pace 0.5
        (5, 1, "historical_conversion"),  # weeks 4-6: 0.23 against 0.47
        (7, 1, "naive_pace"),  # weeks 6-8: conversion 0.25 (6, 7), pace 0.2 (6, 7, 8)
        (6, 0, "historical_conversion"),  # week 6 alone: 0.2 against 0.5
        (8, 0, "naive_pace"),  # week 8 alone
        (4, 0, "naive_pace"),  # week 4 alone: pace 0.3, conversion 0.4
    ],
)
def test_the_weeks_judged_are_recommend_week_and_the_window_either_side(
    week: int, window: int, chosen: str
) -> None:
    summary = _summary(
        [
            ("historical_conversion", None, 3, 0.2),
            ("historical_conversion", 4, 3, 0.4),
            ("historical_conversion", 5, 3, 0.1),
            ("historical_conversion", 6, 3, 0.2),
            ("historical_conversion", 7, 3, 0.3),
            ("naive_pace", None, 3, 0.2),
            ("naive_pace", 4, 3, 0.3),
            ("naive_pace", 5, 3, 0.6),
            ("naive_pace", 6, 3, 0.5),
            ("naive_pace", 7, 3, 0.1),
            ("naive_pace", 8, 3, 0.0),
        ]
    )
    settings_ = BacktestSettings(recommend_week=week, week_window=window)
    assert recommended_method(summary, settings_).iloc[0]["method"] == chosen


@boundary("backtest.min_cell_deals")
@pytest.mark.parametrize(("least", "deals", "by_cell"), [(5, (4, 5, 6), (False, True, True))])
def test_a_cell_of_min_cell_deals_gives_its_own_share(
    least: int, deals: tuple[int, ...], by_cell: tuple[bool, ...]
) -> None:
    for n, own in zip(deals, by_cell, strict=True):
        # 2026-Q2: n negotiation deals at week 1, all won; at week 13 one more, lost
        rows = [deal_row("2026-W14", f"A{i}", "negotiation", 100.0, "2026-06-20") for i in range(n)]
        rows += [deal_row("2026-W26", f"A{i}", "won", 100.0, "2026-06-20") for i in range(n)]
        rows.append(deal_row("2026-W26", "L", "negotiation", 100.0 * n, "2026-06-20"))
        rows.append(deal_row("2026-W27", "L", "lost", 100.0 * n, "2026-06-20"))
        rows.append(deal_row("2026-W27", "C", "negotiation", 100.0, "2026-09-20"))
        rows.append(deal_row("2026-W39", "C", "won", 100.0, "2026-09-20"))  # 2026-Q3 closed
        frame = history(rows)
        out = backtest(frame, settings=BacktestSettings(min_cell_deals=least))
        said = out[(out["week"] == "2026-W27") & (out["method"] == "historical_conversion")]
        # the cell (week 1): all won; the stage over all weeks (n + 1 deals): n x 100 won
        # of 2n x 100
        assert said["forecast"].tolist() == [100.0 if own else 50.0]


def test_settings_out_of_range_are_refused() -> None:
    for bad in (
        {"min_quarters": 0},
        {"min_cell_deals": 0},
        {"recommend_week": 15},
        {"week_window": -1},
    ):
        with pytest.raises(ConfigError) as caught:
            BacktestSettings(**bad)  # type: ignore[arg-type]
        assert caught.value.hint


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    later=st.integers(min_value=1, max_value=12),
    stage=st.sampled_from(["initial_contact", "negotiation", "won", "lost"]),
    amount=st.floats(min_value=1.0, max_value=1e6),
    close=st.sampled_from(["2026-07-10", "2026-09-20", "2026-11-01", "2026-05-01"]),
)
def test_a_deal_added_after_week_n_does_not_change_week_n(
    later: int, stage: str, amount: float, close: str
) -> None:
    base = _history()
    week = f"2026-W{27 + later:02d}"
    added = pd.concat([base, history([deal_row(week, "NEW", stage, amount, close)])])
    before = backtest(base, settings=ONE)
    after = backtest(added, settings=ONE)
    key = ["team", "quarter", "week", "method"]
    at_n = after[after["week"] <= "2026-W27"].set_index(key)["forecast"]
    np.testing.assert_array_equal(
        at_n.to_numpy(), before[before["week"] <= "2026-W27"].set_index(key)["forecast"].to_numpy()
    )


def test_learning_ignores_the_quarter_itself() -> None:
    base = _history()
    learned = learn_quarter(base, "2026-Q3")
    assert learned.quarters == ("2026-Q2",)
    assert not math.isnan(learned.conversion["won"].sum())


def test_only_the_teams_asked_for() -> None:
    both = pd.concat(
        [_history(), _history().assign(team="W", deal_id=lambda f: "W" + f["deal_id"])]
    )
    north = backtest(both, teams=["N"], settings=ONE)
    assert north["team"].unique().tolist() == ["N"]
    pd.testing.assert_frame_equal(north, backtest(_history(), settings=ONE))
    assert list(backtest(both, teams=["nobody"]).columns) == list(BACKTEST_COLUMNS)
