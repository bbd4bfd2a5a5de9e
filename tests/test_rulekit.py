"""pipereview.coaching._rulekit: declaring a shipped rule and its severity bands, and the
levels the bands accept."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from pipereview.coaching import _rulekit
from pipereview.coaching._rulekit import (
    SeverityBands,
    builtin_rule,
    deal_rows,
    evidence_records,
    severity_bands,
)
from pipereview.core._compare import at_least, less_than, more_than, slack


def test_builtin_rule_lists_the_rule_with_its_settings_and_keeps_the_function(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_rulekit, "BUILTIN_RULES", [])

    def stale_deals(context: Any, min_days: int = 30) -> list[Any]:
        return []

    assert builtin_rule("stale_deals", min_days=30, severity=2)(stale_deals) is stale_deals
    declared = _rulekit.BUILTIN_RULES
    assert declared == [("stale_deals", stale_deals, {"min_days": 30, "severity": 2})]


def test_severity_bands_are_declared_under_the_rule_and_returned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_rulekit, "SEVERITY_BANDS", {})
    below = severity_bands("low_coverage", "coverage / coverage needed", (0.5, 0.75), (3, 2, 1))
    above = severity_bands("big_deal", "deal share", (0.55, 0.7), (1, 2, 3), on_edge="lower")
    assert below == SeverityBands(
        "low_coverage", "coverage / coverage needed", (0.5, 0.75), (3, 2, 1), "upper"
    )
    assert above == SeverityBands("big_deal", "deal share", (0.55, 0.7), (1, 2, 3), "lower")
    declared = _rulekit.SEVERITY_BANDS
    assert declared == {"low_coverage": below, "big_deal": above}
    # a figure on an edge: in the band above it by default ("below 0.5": 0.5 is not below)
    assert below(np.array([0.49, 0.5, 0.75, 0.76])).tolist() == [3, 2, 1, 1]
    assert above(np.array([0.55, 0.56, 0.7, 0.71])).tolist() == [1, 2, 2, 3]


def test_bands_take_levels_1_to_3_and_refuse_others() -> None:
    bands = SeverityBands("r", "x", (0.5,), (1, 3))
    assert bands(np.array([0.4, 0.6])).tolist() == [1, 3]
    for levels in ((0, 1), (3, 4)):
        with pytest.raises(ValueError, match="levels are 1 to 3") as info:
            SeverityBands("r", "x", (0.5,), levels)
        assert str(info.value) == f"severity bands of r: levels are 1 to 3, got {levels}"


def test_a_figure_a_few_bits_off_an_edge_is_on_it() -> None:
    edges = np.array([2.0, 3.0])
    below = SeverityBands("r", "x", (2.0, 3.0), (1, 2, 3))
    above = SeverityBands("r", "x", (2.0, 3.0), (1, 2, 3), on_edge="lower")
    just_under = edges - slack(edges, edges)
    just_over = edges + slack(edges, edges)
    assert below(just_under).tolist() == [2, 3]
    assert below(just_over).tolist() == [2, 3]
    assert above(just_under).tolist() == [1, 2]
    assert above(just_over).tolist() == [1, 2]
    # further off than the tolerance: the other band
    assert below(edges - 1e-6).tolist() == [1, 2]
    assert above(edges + 1e-6).tolist() == [2, 3]


def test_the_tolerance_is_a_billionth_of_the_larger_figure_and_never_less_than_one_billionth() -> (
    None
):
    # below 1 in magnitude the tolerance stays at 1e-9 (not 2e-9, not relative to 0.5)
    assert slack(0.5, 0.25) == 1e-9
    assert slack(-3.0, 2.0) == pytest.approx(3e-9, rel=1e-12)
    assert not at_least(0.5 - 1.5e-9, 0.5)
    assert at_least(0.5 - 0.5e-9, 0.5)
    assert not more_than(0.5 + 0.5e-9, 0.5)
    assert more_than(0.5 + 1.5e-9, 0.5)
    assert less_than(0.5 - 1.5e-9, 0.5)
    assert not less_than(0.5 - 0.5e-9, 0.5)


def test_a_figure_exactly_one_tolerance_off_its_threshold_is_on_it() -> None:
    threshold = 0.75
    off = slack(threshold, threshold)
    assert at_least(threshold - off, threshold)
    assert not more_than(threshold + off, threshold)
    assert not less_than(threshold - off, threshold)
    # a hair beyond the tolerance: the other side
    assert not at_least(threshold - 2 * off, threshold)
    assert more_than(threshold + 2 * off, threshold)
    assert less_than(threshold - 2 * off, threshold)


def test_deal_rows_keeps_the_identity_columns_and_adds_the_fields_by_position() -> None:
    frame = pd.DataFrame(
        {
            "amount": [10.0, 20.0],
            "owner": ["Ann", "Bo"],
            "team": ["T", "T"],
            "deal_key": ["D1", "D2"],
            "stage": ["negotiation", "tender"],
        },
        index=[7, 3],
    )
    out = deal_rows(frame, metric="amount", value=frame["amount"] * 2, reference=5.0)
    expected = pd.DataFrame(
        {
            "team": ["T", "T"],
            "owner": ["Ann", "Bo"],
            "deal_key": ["D1", "D2"],
            "stage": ["negotiation", "tender"],
            "metric": ["amount", "amount"],
            "value": [20.0, 40.0],
            "reference": [5.0, 5.0],
        }
    )
    pd.testing.assert_frame_equal(out, expected)


def test_evidence_records_are_plain_python_values_with_the_constants() -> None:
    frame = pd.DataFrame(
        {
            "days": np.array([45, 12], dtype="int64"),
            "stage": pd.Series([np.str_("tender"), np.str_("strategy")], dtype=object),
            "share": [0.5, 0.25],
            "ignored": ["x", "y"],
        }
    )
    records = evidence_records(frame, ["days", "stage", "share"], limit=30)
    assert records == [
        {"days": 45, "stage": "tender", "share": 0.5, "limit": 30},
        {"days": 12, "stage": "strategy", "share": 0.25, "limit": 30},
    ]
    assert [type(v) for v in records[0].values()] == [int, str, float, int]
