"""The method's standards (pipereview.diagnostics._benchmarks) and the review's words for
them (pipereview.delivery._reviewbenchmarks), hand-computed on small cases in generic_4
(initial contact 14 typical days, needs confirmed 21, solution & quote 21, negotiation 21)."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest

from _boundaries import boundary
from pipereview.config import Config
from pipereview.core._errors import ConfigError
from pipereview.delivery import WeeklyReview
from pipereview.diagnostics._benchmarks import (
    BENCHMARK_COLUMNS,
    Benchmarks,
    stage_benchmarks,
    steps_beyond_standard,
)

WEEKS = ["2026-W44", "2026-W45", "2026-W46", "2026-W47"]


def _conversion(entered: list[int], reached: list[int], pending: list[int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "team": [f"T{i}" for i in range(len(entered))],
            "stage_model": "generic_4",
            "stage": "needs_confirmed",
            "stage_order": 1,
            "entered": entered,
            "reached_next": reached,
            "still_at_stage": pending,
        }
    )


def _no_risks() -> pd.DataFrame:
    return pd.DataFrame(columns=["team", "stage_model", "stage", "days_in_stage"])


@boundary("benchmarks.min_entries")
def test_a_conversion_is_judged_from_min_entries_entries() -> None:
    # 9, 10 and 11 entries, none moved on, none still there: too few, then below the standard
    table = stage_benchmarks(_conversion([9, 10, 11], [0, 0, 0], [0, 0, 0]), _no_risks())
    assert table["status"].tolist() == ["too_few", "misses", "misses"]
    table = stage_benchmarks(
        _conversion([9, 10, 11], [0, 0, 0], [0, 0, 0]), _no_risks(), Benchmarks(min_entries=11)
    )
    assert table["status"].tolist() == ["too_few", "too_few", "misses"]


def test_a_conversion_exactly_at_the_standard_meets_it_and_open_deals_never_count_lost() -> None:
    # 10 entries each, standard 60%: 6 moved on meets it exactly; 5 moved on with 1 still
    # there could still reach 6 (below so far); 5 with none still there cannot (misses);
    # 7 moved on is above it whatever the rest do
    conv = _conversion([10, 10, 10, 10], [6, 5, 5, 7], [0, 1, 0, 3])
    table = stage_benchmarks(conv, _no_risks())
    assert list(table.columns) == list(BENCHMARK_COLUMNS)
    assert table["status"].tolist() == ["meets", "below_so_far", "misses", "meets"]
    assert table["observed"].tolist() == [0.6, 0.5, 0.5, 0.7]
    assert table["observed_high"].tolist() == [0.6, 0.6, 0.5, 1.0]
    assert table["standard"].tolist() == [0.6] * 4
    # floating point: 3 of 5 is 0.6 on paper and meets a 0.6 standard
    assert stage_benchmarks(_conversion([5], [3], [0]), _no_risks(), Benchmarks(min_entries=5))[
        "status"
    ].tolist() == ["meets"]


def test_days_at_a_stage_exactly_at_the_standard_are_within_it() -> None:
    risks = pd.DataFrame(
        {
            "team": ["A", "A", "B", "B", "B", "C", "C"],
            "stage_model": "generic_4",
            "stage": "needs_confirmed",  # 21 typical days
            # the median of an even count is the lower middle deal's days: 21, 22, 20
            "days_in_stage": [21, 30, 22, 22, 40, 20, 25],
        }
    )
    table = stage_benchmarks(pd.DataFrame(), risks)
    assert table["observed"].tolist() == [21.0, 22.0, 20.0]
    assert table["status"].tolist() == ["meets", "misses", "meets"]
    assert table["beyond"].tolist() == [1, 3, 1]  # deals beyond 21 days (21 is not beyond)
    assert table["lower_bound"].tolist() == [False, False, False]
    # a configured standard replaces the stage model's typical days
    table = stage_benchmarks(pd.DataFrame(), risks, Benchmarks(stage_days={"needs_confirmed": 20}))
    assert table["standard"].tolist() == [20.0] * 3
    assert table["status"].tolist() == ["misses", "misses", "meets"]
    # deals there since the store began have lower-bound days: A's median 21 may be more
    # (its bounded 21-day deal is the middle one), B's 22 not (two exact deals at or below
    # it), C's beyond count may be more (its bounded deal, 20 days, may pass 21)
    bounded = risks.assign(days_in_stage_lower_bound=[True, False, False, False, True, True, False])
    table = stage_benchmarks(pd.DataFrame(), bounded)
    assert table["lower_bound"].tolist() == [True, False, True]
    assert table["beyond_lower_bound"].tolist() == [True, False, True]


def test_a_stage_without_a_standard_has_no_row() -> None:
    conv = _conversion([10], [6], [0]).assign(stage="solution_quote")
    assert len(stage_benchmarks(conv, _no_risks())) == 0  # 60% is for the needs stage only
    table = stage_benchmarks(
        conv, _no_risks(), Benchmarks(stage_conversion={"solution_quote": 0.5})
    )
    assert table["status"].tolist() == ["meets"]
    # a stage model the package does not know: no typical days, no days row
    risks = pd.DataFrame({"team": "A", "stage_model": "mine", "stage": "x", "days_in_stage": [100]})
    assert len(stage_benchmarks(pd.DataFrame(), risks)) == 0


@boundary("benchmarks.max_steps")
def test_a_stage_model_with_more_steps_than_max_steps_is_named() -> None:
    # salesforce has 8 open stages, generic_4 has 4
    assert steps_beyond_standard(["salesforce", "generic_4"], max_steps=8) == {}
    assert steps_beyond_standard(["salesforce", "generic_4"], max_steps=7) == {"salesforce": 8}
    assert steps_beyond_standard(["salesforce"], max_steps=9) == {}
    assert steps_beyond_standard(["generic_4"], max_steps=3) == {"generic_4": 4}
    assert steps_beyond_standard(["no_such_model"], max_steps=1) == {}


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        ({"stage_conversion": {"needs_confirmed": 60}}, "expected a share between 0 and 1"),
        ({"stage_conversion": {"needs_confirmed": True}}, "expected a share between 0 and 1"),
        ({"stage_days": {"needs_confirmed": 2.5}}, "expected a whole number of days"),
        ({"stage_days": {"needs_confirmed": 0}}, "expected a whole number of days"),
        ({"max_steps": 0}, "must be at least 1"),
        ({"min_entries": 0}, "must be at least 1"),
    ],
)
def test_a_wrong_standard_is_refused_by_name(settings: dict[str, object], said: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Config.from_mapping({"benchmarks": settings}, source="team.yaml")
    assert caught.value.message.startswith("team.yaml: benchmarks")
    assert said in caught.value.message and caught.value.hint


def _history() -> pd.DataFrame:
    """Twelve deals enter needs confirmed in W45 (first seen at initial contact in W44);
    by W47 four moved on to solution & quote, two were lost, six are still there."""
    rows = []
    for n in range(12):
        stages = ["initial_contact", "needs_confirmed", "needs_confirmed", "needs_confirmed"]
        if n < 4:
            stages[3] = "solution_quote"
        elif n < 6:
            stages[3] = "lost"
        for week, stage in zip(WEEKS, stages, strict=True):
            rows.append(
                {
                    "snapshot_week": week,
                    "team": "North",
                    "deal_id": f"D{n}",
                    "deal_name": f"Deal {n}",
                    "owner": "Ann",
                    "stage": stage,
                    "stage_model": "generic_4",
                    "amount": 100.0,
                    "currency": "EUR",
                    "close_date": pd.Timestamp("2026-12-18"),
                }
            )
    return pd.DataFrame(rows)


def _words(body: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def test_the_review_says_what_is_known_and_how_many_must_still_move_on() -> None:
    review = WeeklyReview(_history(), team="North", week="2026-W47")
    words = " ".join(_words(review.funnel_section().body).split())
    assert "Against the method's standards" in words
    # 12 entered, 4 moved on (33%), 6 still there; 60% of 12 is 8: 4 more must move on
    assert "33%: 4 of 12 moved on; 6 still at the stage" in words
    assert "below the standard so far: 4 of the 6 deals still at the stage must move on" in words
    zh = " ".join(_words(review.in_language("zh").funnel_section().body).split())
    assert "33%：12 个中 4 个已推进；6 个仍在该阶段" in zh
    assert "目前低于标准：仍在该阶段的 6 个商机中需有 4 个推进才能达标" in zh


def test_the_review_says_not_checked_without_a_standard_and_names_a_long_process() -> None:
    config = Config().replace(benchmarks=Benchmarks(stage_conversion={}, max_steps=3))
    review = WeeklyReview(_history(), team="North", week="2026-W47", config=config)
    words = " ".join(_words(review.funnel_section().body).split())
    assert (
        "Not checked: conversion, no standard is set for the stages of Generic four-stage process"
        in words
    )
    assert "The stage model generic_4 has 4 open stages; the method advises at most 3" in words
    assert "33%" not in words  # no conversion figure without its standard
