"""pipereview.forecasting._callbias: forecast calls' freshness, each rep's bias (call over
won by week of the quarter), the corrected call, on small hand-computed cases.

Quarters of 2026: Q1's week 1 is 2026-W01 (1 January is a Thursday), Q2's is 2026-W14
(its Thursday is 2 April), Q3's is 2026-W27.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _boundaries import boundary
from pipereview.config import Config
from pipereview.core._errors import ConfigError
from pipereview.forecasting import (
    CallSettings,
    call_bias,
    call_freshness,
    corrected_call,
    week_of_quarter,
)

Q1_DAY, Q2_DAY = "2026-02-10", "2026-05-12"


def won(owner: str, amount: float, close: str, *, team: str = "North") -> dict[str, Any]:
    return {
        "snapshot_week": "2026-W27",
        "team": team,
        "deal_id": f"{owner}-{close}-{amount}",
        "owner": owner,
        "stage": "won",
        "stage_model": "generic_4",
        "amount": amount,
        "close_date": pd.Timestamp(close),
    }


def call(week: str, rep: str | None, commit: float, **extra: Any) -> dict[str, Any]:
    return {
        "week": week,
        "period": extra.pop("period", None),
        "team": extra.pop("team", "North"),
        "level": "rep" if rep else "manager",
        "rep": rep,
        "commit": commit,
        "submitted": pd.Timestamp(extra.pop("submitted")) if "submitted" in extra else pd.NaT,
    }


def calls_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    quarter = {"2026-W0": "2026-Q1", "2026-W1": "2026-Q2", "2026-W2": "2026-Q3"}
    frame["period"] = frame["period"].fillna(frame["week"].str[:7].map(quarter))
    frame.loc[frame["week"] >= "2026-W27", "period"] = "2026-Q3"
    frame.loc[frame["week"].between("2026-W14", "2026-W26"), "period"] = "2026-Q2"
    return frame


HISTORY = pd.DataFrame(
    [
        won("Ann", 100.0, Q1_DAY),
        won("Ann", 100.0, Q2_DAY),
        won("Bo", 100.0, Q1_DAY),
        won("Bo", 100.0, Q2_DAY),
        won("Cy", 60.0, Q1_DAY),
        won("Cy", 40.0, Q1_DAY),  # two deals: Cy won 100 in Q1
        won("Cy", 100.0, Q2_DAY),
        won("Ed", 100.0, Q1_DAY),
    ]
)


def test_week_of_quarter() -> None:
    assert week_of_quarter("2026-W01", "2026-Q1") == 1
    assert week_of_quarter("2026-W13", "2026-Q1") == 13
    assert week_of_quarter("2026-W14", "2026-Q2") == 1
    assert week_of_quarter("2026-W40", "2026-Q4") == 1
    assert week_of_quarter("2026-W53", "2026-Q4") == 14


def test_bias_verdicts_hand_computed() -> None:
    calls = calls_frame(
        [
            call("2026-W02", "Ann", 80.0),  # 80 / 100 = 0.80
            call("2026-W15", "Ann", 80.0),  # 0.80
            call("2026-W02", "Bo", 135.0),  # 1.35
            call("2026-W15", "Bo", 135.0),
            call("2026-W02", "Cy", 105.0),  # 1.05: within 0.10 of 1
            call("2026-W15", "Cy", 95.0),  # 0.95
            call("2026-W02", "Di", 50.0),  # Di won nothing: no ratio
            call("2026-W15", "Di", 50.0),
            call("2026-W02", "Ed", 100.0),  # one quarter only
            call("2026-W02", None, 300.0),  # the manager: team won 400 in Q1 -> 0.75
            call("2026-W15", None, 300.0),  # 300 in Q2 -> 1.00
            call("2026-W28", "Ann", 999.0),  # this quarter: not judged
        ]
    )
    bias = call_bias(calls, HISTORY, "2026-W30")
    overall = bias.overall.set_index(["level", "rep"], drop=False)
    got = {
        (level, rep): (round(r, 4) if pd.notna(r) else None, q, v)
        for level, rep, r, q, v in overall[
            ["level", "rep", "ratio", "quarters", "verdict"]
        ].itertuples(index=False)
    }
    assert got == {
        ("rep", "Ann"): (0.8, 2, "sandbagging"),
        ("rep", "Bo"): (1.35, 2, "over-calling"),
        ("rep", "Cy"): (1.0, 2, "on target"),
        ("rep", "Di"): (None, 0, "not enough history"),
        ("rep", "Ed"): (1.0, 1, "not enough history"),
        ("manager", None): (0.875, 2, "sandbagging"),
    }
    di = bias.detail[bias.detail["rep"] == "Di"]
    assert di["won"].tolist() == [0.0, 0.0] and di["ratio"].isna().all()
    assert di["note"].tolist() == [
        "not available: nothing won in 2026-Q1",
        "not available: nothing won in 2026-Q2",
    ]
    assert "2026-Q3" not in set(bias.detail["period"])


def test_bias_by_week_of_quarter() -> None:
    calls = calls_frame(
        [
            call("2026-W02", "Ann", 80.0),  # week 2 of Q1: 0.80
            call("2026-W03", "Ann", 90.0),  # week 3 of Q1: 0.90
            call("2026-W15", "Ann", 70.0),  # week 2 of Q2: 0.70
        ]
    )
    bias = call_bias(calls, HISTORY, "2026-W30")
    by_week = bias.by_week[["week_of_quarter", "ratio", "quarters"]].round(4).values.tolist()
    assert by_week == [[2, 0.75, 2], [3, 0.9, 1]]
    # overall: the median of the quarters' medians: Q1 0.85, Q2 0.70 -> 0.775
    assert round(bias.overall["ratio"].iloc[0], 4) == 0.775


def test_latest_submission_of_a_week_counts() -> None:
    calls = calls_frame(
        [
            call("2026-W02", "Ann", 50.0, submitted="2026-01-05"),
            call("2026-W02", "Ann", 80.0, submitted="2026-01-07"),
        ]
    )
    detail = call_bias(calls, HISTORY, "2026-W30").detail
    assert detail["commit"].tolist() == [80.0]


def test_corrected_call() -> None:
    calls = calls_frame(
        [
            call("2026-W02", "Ann", 80.0),
            call("2026-W15", "Ann", 80.0),
            call("2026-W03", "Bo", 135.0),  # Bo called in week 3 only
            call("2026-W16", "Bo", 135.0),
            call("2026-W02", "Ed", 100.0),
            call("2026-W28", "Ann", 160.0),  # week 2 of Q3
            call("2026-W28", "Bo", 270.0),
            call("2026-W28", "Ed", 90.0),
        ]
    )
    bias = call_bias(calls, HISTORY, "2026-W30")
    out = corrected_call(calls, bias, "2026-W30").set_index("rep")
    assert out.loc["Ann", "corrected"] == pytest.approx(200.0)  # 160 / 0.80 at week 2
    assert out.loc["Ann", "source"] == "ratio 0.80 at week 2 of 2 quarters"
    assert out.loc["Bo", "corrected"] == pytest.approx(200.0)  # 270 / 1.35 overall
    assert out.loc["Bo", "source"] == "overall ratio 1.35 of 2 quarters (no call at week 2 before)"
    assert out.loc["Ed", "corrected"] == 90.0  # left as called
    assert out.loc["Ed", "source"].startswith("not corrected: not enough history (1 closed")


def test_freshness() -> None:
    calls = calls_frame(
        [
            call("2026-W28", "Ann", 100.0, submitted="2026-07-06"),  # this week
            call("2026-W27", "Bo", 100.0, submitted="2026-07-05"),  # Sunday of W27: 7 days
            call("2026-W25", "Cy", 100.0, submitted="2026-06-15"),  # 3 weeks old
            call("2026-W27", None, 300.0, submitted="2026-06-29"),  # 13 days: stale
        ]
    )
    reps = pd.DataFrame({"team": ["North"] * 4, "rep": ["Ann", "Bo", "Cy", "Di"]})
    out = call_freshness(calls, reps, "2026-W28")
    assert out[["level", "rep", "last_week", "weeks_since", "status"]].values.tolist()[:3] == [
        ["rep", "Ann", "2026-W28", 0, "this week"],
        ["rep", "Bo", "2026-W27", 1, "1 week(s) old, still current"],
        ["rep", "Cy", "2026-W25", 3, "stale (3 weeks old)"],
    ]
    di = out.iloc[3]
    assert (di["rep"], di["last_week"], di["status"]) == ("Di", None, "never submitted")
    assert pd.isna(di["weeks_since"])
    manager = out.iloc[4]
    assert (manager["level"], manager["state"], manager["status"]) == (
        "manager",
        "stale",
        "stale (1 weeks old)",
    )
    zh = call_freshness(calls, reps, "2026-W28", lang="zh")
    assert zh["status"].tolist()[3] == "从未提交"


@boundary("forecast_calls.stale_days")
@pytest.mark.parametrize(("days", "state"), [(6, "stale"), (7, "current"), (8, "current")])
def test_stale_days_boundary(days: int, state: str) -> None:
    # Bo's call of 2026-W27 submitted on its Sunday, 2026-07-05: 7 days before 2026-W28's Sunday
    calls = calls_frame([call("2026-W27", "Bo", 100.0, submitted="2026-07-05")])
    reps = pd.DataFrame({"team": ["North"], "rep": ["Bo"]})
    out = call_freshness(calls, reps, "2026-W28", CallSettings(stale_days=days))
    assert out["state"].iloc[0] == state


@boundary("forecast_calls.min_quarters")
@pytest.mark.parametrize(
    ("needed", "verdict"), [(1, "sandbagging"), (2, "sandbagging"), (3, "not enough history")]
)
def test_min_quarters_boundary(needed: int, verdict: str) -> None:
    calls = calls_frame([call("2026-W02", "Ann", 80.0), call("2026-W15", "Ann", 80.0)])
    bias = call_bias(calls, HISTORY, "2026-W30", CallSettings(min_quarters=needed))
    assert bias.overall["verdict"].iloc[0] == verdict  # Ann: 2 quarters


@boundary("forecast_calls.bias_tolerance")
@pytest.mark.parametrize(
    ("commit", "verdict"),
    [(90.0, "on target"), (89.99, "sandbagging"), (110.0, "on target"), (110.01, "over-calling")],
)
def test_bias_tolerance_boundary(commit: float, verdict: str) -> None:
    calls = calls_frame([call("2026-W02", "Ann", commit), call("2026-W15", "Ann", commit)])
    bias = call_bias(calls, HISTORY, "2026-W30", CallSettings(bias_tolerance=0.10))
    assert bias.overall["verdict"].iloc[0] == verdict


def test_settings_refused_and_read_from_config() -> None:
    with pytest.raises(ConfigError, match="stale_days"):
        CallSettings(stale_days=-1)
    with pytest.raises(ConfigError, match="bias_tolerance"):
        CallSettings(bias_tolerance=1.0)
    config = Config.from_mapping({"forecast_calls": {"min_quarters": 3}})
    assert config.forecast_calls == CallSettings(min_quarters=3)


@given(
    commits=st.lists(st.floats(1.0, 1000.0), min_size=2, max_size=2),
    wins=st.lists(st.floats(1.0, 1000.0), min_size=2, max_size=2),
    scale=st.floats(0.5, 2.0),
)
@settings(max_examples=20, deadline=None)
def test_ratio_is_the_median_of_call_over_won_and_scales_with_the_calls(
    commits: list[float], wins: list[float], scale: float
) -> None:
    history = pd.DataFrame([won("Ann", wins[0], Q1_DAY), won("Ann", wins[1], Q2_DAY)])

    def ratio(factor: float) -> float:
        calls = calls_frame(
            [
                call("2026-W02", "Ann", commits[0] * factor),
                call("2026-W15", "Ann", commits[1] * factor),
            ]
        )
        return float(call_bias(calls, history, "2026-W30").overall["ratio"].iloc[0])

    expected = (commits[0] / wins[0] + commits[1] / wins[1]) / 2
    assert ratio(1.0) == pytest.approx(expected)
    assert ratio(scale) == pytest.approx(expected * scale)
