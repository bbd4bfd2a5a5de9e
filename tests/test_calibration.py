"""pipereview.diagnostics._calibration: stage calibration that does not trust the deals that
happened to end first — only deals that have had a stage's typical time to close count,
and the deals still open widen the observed win rate to a range the verdict must clear."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from _boundaries import boundary
from pipereview.core._compare import at_least, at_most, less_than, more_than
from pipereview.diagnostics._calibration import (
    CALIBRATION_COLUMNS,
    CALIBRATION_VERDICTS,
    stage_calibration,
    wait_days,
)
from pipereview.diagnostics._forecast import ForecastSettings

AS_OF = "2026-W47"  # Monday 16 November 2026
SIDES = ("below", "at", "above")


def _deals(
    first: str,
    outcomes: dict[str, int],
    *,
    stage: str = "needs_confirmed",
    team: str = "N",
    model: str = "generic_4",
    tag: str = "",
) -> list[dict[str, Any]]:
    """Deals open in ``stage`` from week ``first`` on, ending as ``outcomes`` says in W47
    (``{"won": 2, "lost": 1, "open": 3}``)."""
    rows = []
    ends = [end for end, n in outcomes.items() for _ in range(n)]
    for i, end in enumerate(ends):
        for week, seen in ((first, stage), (AS_OF, stage if end == "open" else end)):
            rows.append(
                {
                    "snapshot_week": week,
                    "team": team,
                    "deal_id": f"{team}-{first}-{tag}{i}",
                    "owner": "Ann",
                    "stage": seen,
                    "stage_model": model,
                    "amount": 100.0,
                    "currency": "USD",
                    "close_date": pd.Timestamp("2026-12-15"),
                }
            )
    return rows


FIELDS = list(_deals("2026-W20", {"won": 1})[0])


def _one(rows: list[dict[str, Any]], **settings: Any) -> pd.Series:
    out = stage_calibration(pd.DataFrame(rows), AS_OF, ForecastSettings(**settings))
    assert list(out.columns) == list(CALIBRATION_COLUMNS)
    return out.iloc[0]


def test_quick_losses_of_a_recent_cohort_no_longer_make_a_stage_look_optimistic() -> None:
    # needs_confirmed (configured 25%, typically 63 days to close). Since W30: 2 won,
    # 2 lost, 8 still open. Since W45: 10 already lost (the quick ones), 2 open.
    rows = _deals("2026-W30", {"won": 2, "lost": 2, "open": 8})
    rows += _deals("2026-W45", {"lost": 10, "open": 2})
    out = _one(rows, min_calibration_deals=4)
    # the old reading, 2 won of 14 ended = 14%, 11 points under 25%, said "optimistic";
    # counted now: the 12 deals since W30 (W45 is 14 days ago, under 63)
    assert list(out[["deals_seen", "too_recent", "won", "lost", "still_open"]]) == [
        24,
        12,
        2,
        2,
        8,
    ]
    # 2 of 12 won if all 8 open are lost, 10 of 12 if all are won
    assert list(out[["observed", "observed_low", "observed_high"]]) == [0.5, 2 / 12, 10 / 12]
    assert out["resolved_share"] == 4 / 12
    assert out["verdict"] == "too early"
    assert out["note"] == (
        "8 of 12 still open: win rate between 17% and 83%, not yet clear of the configured "
        "25% ± 10 points; 12 reached the stage less than 63 days ago (the typical time "
        "to close from it) and are not counted"
    )


def test_a_verdict_is_given_when_even_the_open_deals_cannot_change_it() -> None:
    # negotiation (75%): 3 won, 9 lost, 2 open -> at best 5 of 14 = 36%: optimistic
    optimistic = _one(_deals("2026-W40", {"won": 3, "lost": 9, "open": 2}, stage="negotiation"))
    assert optimistic["verdict"] == "optimistic"
    assert optimistic["observed_high"] == 5 / 14
    assert optimistic["note"] == (
        "2 of 14 still open: win rate between 21% and 36%, below the configured 75% ± 10 points"
    )
    # initial_contact (10%): 6 won, 6 lost, 3 open -> at worst 6 of 15 = 40%: pessimistic
    rows = _deals("2026-W20", {"won": 6, "lost": 6, "open": 3}, stage="initial_contact")
    pessimistic = _one(rows)
    assert (pessimistic["verdict"], pessimistic["observed_low"]) == ("pessimistic", 0.4)
    # solution_quote (50%): 11 won, 9 lost, 1 open -> 52% to 57%, inside 40% to 60%
    rows = _deals("2026-W30", {"won": 11, "lost": 9, "open": 1}, stage="solution_quote")
    assert _one(rows)["verdict"] == "calibrated"


def test_no_counted_deal_and_no_history() -> None:
    out = _one(_deals("2026-W46", {"lost": 12}, stage="negotiation"))
    assert list(out[["deals_seen", "too_recent", "won", "lost", "verdict"]]) == [
        12,
        12,
        0,
        0,
        "too few",
    ]
    assert out[["observed", "observed_low", "observed_high", "resolved_share"]].isna().all()
    empty = stage_calibration(pd.DataFrame([], columns=FIELDS), AS_OF)
    assert empty.empty


@pytest.mark.parametrize(
    ("model", "stage", "weeks"),
    [
        # (first week counted, first week not counted): 21 days is exactly 3 weeks
        ("generic_4", "negotiation", ("2026-W43", "2026-W44", "2026-W45")),
        # 30 days: 28 days (4 weeks) are short of it, 35 days are enough
        ("industrial_b2b", "tender", ("2026-W41", "2026-W42", "2026-W43")),
    ],
)
def test_a_deal_counts_once_it_has_had_the_stages_typical_time_to_close(
    model: str, stage: str, weeks: tuple[str, str, str]
) -> None:
    rows = [
        row
        for side, first in zip(SIDES, weeks, strict=True)
        for row in _deals(first, {"won": 1}, stage=stage, model=model, team=side)
    ]
    out = stage_calibration(pd.DataFrame(rows), AS_OF).set_index("team").loc[list(SIDES)]
    wait = wait_days(model, stage)
    mondays = [pd.Timestamp.fromisocalendar(int(w[:4]), int(w[-2:]), 1) for w in weeks]
    days = [(pd.Timestamp("2026-11-16") - m).days for m in mondays]
    assert days[0] > wait and days[2] < wait  # the cases sit on both sides of the wait
    counted = out["won"].tolist()
    assert counted == ([1, 1, 0] if days[1] >= wait else [1, 0, 0])
    assert (out["too_recent"] + out["won"]).tolist() == [1, 1, 1]


@boundary("forecast.calibration_tolerance")
@pytest.mark.parametrize(
    ("stage", "cases", "verdicts"),
    [
        # negotiation 75%, edge 65%: the best case (won + open) / 20 at 60%, 65%, 70%
        (
            "negotiation",
            (
                {"won": 8, "lost": 8, "open": 4},
                {"won": 9, "lost": 7, "open": 4},
                {"won": 10, "lost": 6, "open": 4},
            ),
            ["optimistic", "too early", "too early"],
        ),
        # needs_confirmed 25%, edge 35%: the worst case won / 20 at 30%, 35%, 40%
        (
            "needs_confirmed",
            (
                {"won": 6, "lost": 10, "open": 4},
                {"won": 7, "lost": 9, "open": 4},
                {"won": 8, "lost": 8, "open": 4},
            ),
            ["too early", "too early", "pessimistic"],
        ),
        # needs_confirmed 25%, band 15% to 35%: the range 10%-30%, 15%-35%, 15%-40%
        (
            "needs_confirmed",
            (
                {"won": 2, "lost": 14, "open": 4},
                {"won": 3, "lost": 13, "open": 4},
                {"won": 3, "lost": 12, "open": 5},
            ),
            ["too early", "calibrated", "too early"],
        ),
    ],
)
def test_the_range_exactly_at_the_tolerance_edge(
    stage: str, cases: tuple[dict[str, int], ...], verdicts: list[str]
) -> None:
    rows = [
        row
        for side, outcomes in zip(SIDES, cases, strict=True)
        for row in _deals("2026-W20", outcomes, stage=stage, team=side)
    ]
    out = stage_calibration(pd.DataFrame(rows), AS_OF).set_index("team").loc[list(SIDES)]
    assert out["verdict"].tolist() == verdicts


@given(
    cohorts=st.lists(
        st.tuples(
            st.sampled_from(["2026-W20", "2026-W40", "2026-W44", "2026-W46"]),
            st.sampled_from(["initial_contact", "needs_confirmed", "negotiation"]),
            st.integers(0, 6),
            st.integers(0, 6),
            st.integers(0, 6),
        ),
        max_size=5,
    ),
    min_deals=st.integers(1, 8),
    tolerance=st.sampled_from([0.0, 0.05, 0.10, 0.20]),
)
def test_the_verdict_never_contradicts_the_range(
    cohorts: list[tuple[str, str, int, int, int]], min_deals: int, tolerance: float
) -> None:
    rows = [
        row
        for i, (first, stage, won, lost, still) in enumerate(cohorts)
        for row in _deals(
            first, {"won": won, "lost": lost, "open": still}, stage=stage, tag=f"c{i}-"
        )
    ]
    settings = ForecastSettings(min_calibration_deals=min_deals, calibration_tolerance=tolerance)
    out = stage_calibration(pd.DataFrame(rows, columns=FIELDS), AS_OF, settings)
    assert set(out["verdict"]) <= set(CALIBRATION_VERDICTS)
    assert (out["deals_seen"] == out[["won", "lost", "still_open", "too_recent"]].sum(axis=1)).all()
    for _, r in out.iterrows():
        low, high, c = r["observed_low"], r["observed_high"], r["configured"]
        resolved = r["won"] + r["lost"]
        if resolved:
            assert at_most(low, r["observed"]) and at_most(r["observed"], high)
            assert r["resolved_share"] == resolved / (resolved + r["still_open"])
        verdict = r["verdict"]
        assert (verdict == "too few") == (resolved < min_deals)
        if verdict == "optimistic":
            assert more_than(c - high, tolerance)
        if verdict == "pessimistic":
            assert less_than(c - low, -tolerance)
        if verdict == "calibrated":
            assert at_least(low, c - tolerance) and at_most(high, c + tolerance)
        if verdict == "too early":  # some outcome of the open deals would end either way
            assert r["still_open"] > 0
            assert not more_than(c - high, tolerance) and not less_than(c - low, -tolerance)
            assert less_than(low, c - tolerance) or more_than(high, c + tolerance)
