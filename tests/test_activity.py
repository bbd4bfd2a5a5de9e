"""Activity per rep against the team's norm and activities per stage advance: hand-computed
small cases for every figure, the window's edges, each setting exactly at, just below and
just above its value, and the invariants of the counts.

The as-of week is 2026-W47 (Monday 2026-11-16 to Sunday 2026-11-22); the default window of
4 weeks runs from Monday 2026-10-26 (2026-W44) to that Sunday.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _boundaries import boundary
from _budget import examples
from pipereview.config import Config
from pipereview.core._errors import ConfigError, InputError
from pipereview.diagnostics import (
    ACTIVITY_COLUMNS,
    ADVANCE_COLUMNS,
    ActivitySettings,
    activity_advances,
    activity_counts,
    activity_text,
)

WEEK = "2026-W47"
FIRST_DAY = pd.Timestamp("2026-10-26")  # Monday of 2026-W44, the window's first day
LAST_DAY = pd.Timestamp("2026-11-22")  # Sunday of 2026-W47
MID = pd.Timestamp("2026-11-18")


def _acts(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    """Activities from (team, owner, type, date) rows, as the canonical frame has them."""
    frame = pd.DataFrame(rows, columns=["team", "owner", "activity_type", "activity_date"])
    frame["activity_date"] = pd.to_datetime(frame["activity_date"])
    frame["team"] = frame["team"].astype(object)
    frame["source_file"] = "activities.csv"
    frame["source_row"] = range(2, len(frame) + 2)
    return frame


def _totals(totals: dict[str, int], team: str = "North") -> pd.DataFrame:
    """Each rep's number of calls, all on one day of the as-of week (a rep with 0 has one
    activity before the window, so it is one of the team's reps)."""
    rows: list[tuple[Any, ...]] = []
    for owner, count in totals.items():
        rows += [(team, owner, "call", MID)] * count
        if count == 0:
            rows.append((team, owner, "call", pd.Timestamp("2026-09-01")))
    return _acts(rows)


def _rep(out: pd.DataFrame, owner: str) -> dict[str, Any]:
    row: dict[str, Any] = out[out["owner"] == owner].iloc[0].to_dict()
    return row


# --- counts -------------------------------------------------------------------------------


def test_counts_by_type_and_the_total() -> None:
    acts = _acts(
        [
            ("North", "Ann", "visit", MID),
            ("North", "Ann", "visit", MID),
            ("North", "Ann", "meeting", MID),
            ("North", "Ann", "call", MID),
            ("North", "Ann", "email", MID),
            ("North", "Ann", "task", MID),
            ("North", "Ann", "other", MID),
            ("North", "Ann", "lunch", MID),  # an unknown type counts as other
        ]
    )
    out = activity_counts(acts, WEEK)
    assert list(out.columns) == list(ACTIVITY_COLUMNS)
    row = _rep(out, "Ann")
    assert {k: row[k] for k in ("visit", "meeting", "call", "email", "task", "other")} == {
        "visit": 2,
        "meeting": 1,
        "call": 1,
        "email": 1,
        "task": 1,
        "other": 2,
    }
    assert row["activities"] == 8
    assert row["per_week"] == (0, 0, 0, 8)


def test_the_window_counts_its_first_and_last_day_and_not_the_days_outside() -> None:
    acts = _acts(
        [
            ("North", "Ann", "call", FIRST_DAY - pd.Timedelta(days=1)),  # Sunday of W43
            ("North", "Ann", "call", FIRST_DAY),
            ("North", "Ann", "visit", FIRST_DAY + pd.Timedelta(days=7)),  # Monday of W45
            ("North", "Ann", "call", LAST_DAY),
            ("North", "Ann", "call", LAST_DAY + pd.Timedelta(days=1)),  # after the as-of week
        ]
    )
    row = _rep(activity_counts(acts, WEEK), "Ann")
    assert row["activities"] == 3
    assert row["per_week"] == (1, 1, 0, 1)
    assert (row["call"], row["visit"]) == (2, 1)


def test_a_rep_whose_only_activities_come_after_the_as_of_week_is_not_listed() -> None:
    acts = _acts(
        [("North", "Ann", "call", MID), ("North", "Bob", "call", LAST_DAY + pd.Timedelta(days=3))]
    )
    assert activity_counts(acts, WEEK)["owner"].tolist() == ["Ann"]


def test_a_rep_with_no_activity_in_the_window_counts_with_zero() -> None:
    out = activity_counts(_totals({"Ann": 4, "Bob": 0}), WEEK)
    assert _rep(out, "Bob")["activities"] == 0
    assert _rep(out, "Bob")["per_week"] == (0, 0, 0, 0)
    assert _rep(out, "Bob")["norm"] == 2.0 and _rep(out, "Bob")["label"] == "low"


def test_the_norm_is_the_median_of_an_odd_number_of_reps() -> None:
    out = activity_counts(_totals({"Ann": 1, "Bob": 3, "Cy": 8}), WEEK)
    assert out["norm"].tolist() == [3.0, 3.0, 3.0]
    assert out["reps"].tolist() == [3, 3, 3]
    assert out["ratio"].tolist() == pytest.approx([1 / 3, 1.0, 8 / 3])
    assert out["label"].tolist() == ["low", "within", "high"]
    # the peers: the median of the team's other reps
    assert out["peers_median"].tolist() == [5.5, 4.5, 2.0]


def test_the_norm_is_the_median_of_an_even_number_of_reps() -> None:
    out = activity_counts(_totals({"Ann": 2, "Bob": 4, "Cy": 6, "Dee": 10}), WEEK)
    assert out["norm"].tolist() == [5.0] * 4
    assert out["ratio"].tolist() == pytest.approx([0.4, 0.8, 1.2, 2.0])
    assert out["label"].tolist() == ["low", "within", "within", "high"]
    assert out["peers_median"].tolist() == [6.0, 6.0, 4.0, 4.0]


def test_one_rep_has_no_norm() -> None:
    out = activity_counts(_totals({"Ann": 5}), WEEK)
    row = _rep(out, "Ann")
    assert row["label"] == "no_norm" and row["reps"] == 1
    assert math.isnan(row["norm"]) and math.isnan(row["ratio"]) and math.isnan(row["peers_median"])


def test_teams_have_norms_of_their_own_and_a_blank_team_comes_last() -> None:
    acts = pd.concat(
        [_totals({"Ann": 2, "Bob": 6}, "South"), _totals({"Cy": 1, "Dee": 3}, "North")]
    )
    acts = pd.concat([acts, _acts([(None, "Eve", "call", MID)])], ignore_index=True)
    out = activity_counts(acts, WEEK)
    assert out["team"].tolist() == ["North", "North", "South", "South", None]
    assert out["norm"].tolist()[:4] == [2.0, 2.0, 4.0, 4.0]
    assert out["label"].tolist() == ["low", "high", "low", "high", "no_norm"]


def test_a_team_where_no_rep_is_active_has_a_norm_of_zero_and_no_ratio() -> None:
    acts = _totals({"Ann": 0, "Bob": 0, "Cy": 1})
    out = activity_counts(acts, WEEK)
    assert out["norm"].tolist() == [0.0, 0.0, 0.0]
    assert out["ratio"].isna().all()  # never a division by zero, never inf
    assert out["label"].tolist() == ["within", "within", "high"]


def test_no_activities_gives_the_columns_and_no_rows() -> None:
    out = activity_counts(_acts([]), WEEK)
    assert list(out.columns) == list(ACTIVITY_COLUMNS) and out.empty


def test_a_frame_without_owner_is_refused_with_the_column() -> None:
    with pytest.raises(InputError, match="the activities frame has no owner column") as caught:
        activity_counts(pd.DataFrame({"activity_date": [MID]}), WEEK)
    assert caught.value.column == "owner" and caught.value.hint


# --- boundaries ---------------------------------------------------------------------------


@boundary("activities.window_weeks")
@pytest.mark.parametrize("weeks", [4, 1, 6])
def test_window_weeks_counts_its_first_monday_and_not_the_sunday_before(weeks: int) -> None:
    first = LAST_DAY - pd.Timedelta(days=7 * weeks - 1)  # the window's first Monday
    days = [first - pd.Timedelta(days=1), first, first + pd.Timedelta(days=1)]
    acts = _acts([("North", f"R{n}", "call", day) for n, day in enumerate(days)])
    out = activity_counts(acts, WEEK, ActivitySettings(window_weeks=weeks))
    assert out["activities"].tolist() == [0, 1, 1]  # just below, at, just above
    assert all(len(p) == weeks for p in out["per_week"])


@boundary("activities.high_ratio")
@pytest.mark.parametrize(
    ("settings", "norm"), [(ActivitySettings(), 100), (ActivitySettings(high_ratio=2.0), 100)]
)
def test_high_ratio_is_high_from_exactly_the_ratio(settings: ActivitySettings, norm: int) -> None:
    at = round(settings.high_ratio * norm)
    for total, label in ((at - 1, "within"), (at, "high"), (at + 1, "high")):
        out = activity_counts(_totals({"Ann": norm, "Bob": norm, "Cy": total}), WEEK, settings)
        assert _rep(out, "Cy")["label"] == label, total


@boundary("activities.low_ratio")
@pytest.mark.parametrize("settings", [ActivitySettings(), ActivitySettings(low_ratio=0.8)])
def test_low_ratio_is_low_up_to_exactly_the_ratio(settings: ActivitySettings) -> None:
    at = round(settings.low_ratio * 100)
    for total, label in ((at - 1, "low"), (at, "low"), (at + 1, "within")):
        out = activity_counts(_totals({"Ann": 100, "Bob": 100, "Cy": total}), WEEK, settings)
        assert _rep(out, "Cy")["label"] == label, total


@boundary("activities.min_reps")
@pytest.mark.parametrize("min_reps", [2, 3])
def test_min_reps_gives_a_norm_from_exactly_that_many_reps(min_reps: int) -> None:
    settings = ActivitySettings(min_reps=min_reps)
    for reps, has_norm in ((min_reps - 1, False), (min_reps, True), (min_reps + 1, True)):
        totals = {f"R{n}": 10 for n in range(reps)}
        out = activity_counts(_totals(totals), WEEK, settings)
        assert (out["label"] != "no_norm").all() == has_norm, reps
        assert out["norm"].notna().all() == has_norm


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"low_ratio": 1.2}, "need low_ratio <= 1 <= high_ratio, got 1.2 and 1.5"),
        ({"high_ratio": 0.9}, "need low_ratio <= 1 <= high_ratio, got 0.5 and 0.9"),
        ({"window_weeks": 0}, "window_weeks must be at least 1, got 0"),
        ({"min_reps": 0}, "min_reps must be at least 1, got 0"),
    ],
)
def test_settings_out_of_range_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        ActivitySettings(**changes)
    assert "activities." in caught.value.hint


def test_the_section_reads_from_a_configuration_file() -> None:
    config = Config.from_mapping({"activities": {"window_weeks": 6, "high_ratio": 2}})
    assert config.activities == ActivitySettings(window_weeks=6, high_ratio=2.0)
    with pytest.raises(ConfigError, match=r"c.yaml: activities: need low_ratio"):
        Config.from_mapping({"activities": {"low_ratio": 3}}, source="c.yaml")


# --- activities per advance ---------------------------------------------------------------


def _history(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """Stacked snapshots from (week, deal, owner, stage) rows of team North."""
    frame = pd.DataFrame(rows, columns=["snapshot_week", "deal_id", "owner", "stage"])
    return frame.assign(team="North", stage_model="generic_4", amount=100.0)


HISTORY = _history(
    [
        ("2026-W42", "D6", "Ann", "won"),  # won in the first stored week: not an advance
        ("2026-W43", "D1", "Ann", "initial_contact"),
        ("2026-W43", "D6", "Ann", "won"),
        ("2026-W44", "D1", "Ann", "needs_confirmed"),  # advance (W44, in the window)
        ("2026-W44", "D2", "Ann", "solution_quote"),
        ("2026-W44", "D3", "Bob", "negotiation"),
        ("2026-W44", "D7", "Bob", "initial_contact"),
        ("2026-W45", "D1", "Ann", "needs_confirmed"),
        ("2026-W45", "D2", "Ann", "won"),  # advance to won
        ("2026-W45", "D3", "Bob", "initial_contact"),  # moved back: not an advance
        ("2026-W45", "D7", "Bob", "lost"),
        ("2026-W46", "D5", "Cy", "won"),  # first stored already won: an advance
        ("2026-W46", "D7", "Bob", "needs_confirmed"),  # reopened after lost: not an advance
        ("2026-W47", "D1", "Ann", "solution_quote"),  # advance
        ("2026-W47", "D3", "Bob", "initial_contact"),
    ]
)


def test_advances_are_counted_from_the_history_in_the_window() -> None:
    acts = _acts(
        [("North", "Ann", "call", MID)] * 6
        + [("North", "Bob", "visit", MID)] * 5
        + [("North", "Dee", "email", LAST_DAY + pd.Timedelta(days=1))]  # after as-of
    )
    out = activity_advances(acts, HISTORY, WEEK)
    assert list(out.columns) == list(ADVANCE_COLUMNS)
    assert out.to_dict("records") == [
        {"team": "North", "owner": "Ann", "activities": 6, "advances": 3, "per_advance": 2.0},
        {"team": "North", "owner": "Bob", "activities": 5, "advances": 0, "per_advance": None},
        {"team": "North", "owner": "Cy", "activities": 0, "advances": 1, "per_advance": 0.0},
    ]


def test_an_advance_before_the_window_is_not_counted() -> None:
    acts = _acts([("North", "Ann", "call", MID)] * 2)
    out = activity_advances(acts, HISTORY, WEEK, ActivitySettings(window_weeks=2))
    # W46 and W47: D1's advance of W47 only (D2 won in W45, D1's first advance in W44)
    assert _rep(out, "Ann")["advances"] == 1
    assert _rep(out, "Cy")["advances"] == 1


def test_a_rep_with_activities_and_no_advance_says_no_advance() -> None:
    out = activity_advances(_acts([("North", "Bob", "visit", MID)] * 9), HISTORY, WEEK)
    row = _rep(out, "Bob")
    assert row["per_advance"] is None and row["advances"] == 0
    assert activity_text("no_advance") == "no advance"
    assert activity_text("no_advance", "zh") == "无阶段推进"


def test_without_a_team_in_the_activities_reps_are_matched_by_name() -> None:
    out = activity_advances(_acts([(None, "Ann", "call", MID)] * 3), HISTORY, WEEK)
    assert _rep(out, "Ann") == {
        "team": None,
        "owner": "Ann",
        "activities": 3,
        "advances": 3,
        "per_advance": 1.0,
    }


def test_advances_without_activities_keep_their_team() -> None:
    out = activity_advances(_acts([]), HISTORY, WEEK)
    assert out[["team", "owner", "advances"]].to_dict("records") == [
        {"team": "North", "owner": "Ann", "advances": 3},
        {"team": "North", "owner": "Cy", "advances": 1},
    ]
    assert out["per_advance"].tolist() == [0.0, 0.0]


def test_the_texts_exist_in_both_languages() -> None:
    assert activity_text("not_available") == "not available: no activities export"
    assert activity_text("not_available", "zh") == "无法分析：没有活动记录导出"
    assert activity_text("low", settings=ActivitySettings(low_ratio=0.4)) == (
        "low activity (at or below 0.4 x the team's norm)"
    )
    assert activity_text("no_norm", "zh") == "无团队常模：团队中记录活动的销售少于 2 人"
    with pytest.raises(InputError, match="no activity text 'busy'"):
        activity_text("busy")


# --- invariants ---------------------------------------------------------------------------

ROWS = st.lists(
    st.tuples(
        st.sampled_from(["North", "South", None]),
        st.sampled_from(["Ann", "Bob", "Cy", "Dee"]),
        st.sampled_from(["visit", "meeting", "call", "email", "task", "other", "fax"]),
        st.integers(-40, 10).map(lambda d: LAST_DAY + pd.Timedelta(days=d)),
    ),
    max_size=40,
)


@settings(max_examples=examples(100), deadline=None)
@given(rows=ROWS)
def test_counts_by_type_and_by_week_sum_to_the_total(rows: list[tuple[Any, ...]]) -> None:
    acts = _acts(rows)
    out = activity_counts(acts, WEEK)
    types = ["visit", "meeting", "call", "email", "task", "other"]
    assert (out[types].sum(axis=1) == out["activities"]).all()
    assert (out["per_week"].map(sum) == out["activities"]).all()
    in_window = acts["activity_date"].between(FIRST_DAY, LAST_DAY)
    assert out["activities"].sum() == in_window.sum()  # every activity counted once
    assert not out["ratio"].isin([math.inf]).any()
    advances = activity_advances(acts, HISTORY, WEEK)
    assert advances["activities"].sum() == in_window.sum()
