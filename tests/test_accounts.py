"""pipereview.diagnostics._accounts: ABC classes by won revenue, thresholds, ties and blank accounts."""

from __future__ import annotations

import pandas as pd
import pytest

from pipereview.core._errors import ConfigError
from pipereview.diagnostics._accounts import ABCSettings, abc_accounts, abc_summary


def won(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["team", "account", "amount"])


def test_abc_classes_by_hand() -> None:
    frame = won(
        [
            ("N", "a", 50.0),
            ("N", "b", 30.0),
            ("N", "c", 10.0),
            ("N", "a", 2.0),
            ("N", "d", 5.0),
            ("N", "e", 3.0),
        ]
    )
    out = abc_accounts(frame, settings=ABCSettings(a_accounts=1.0))  # the value line alone
    # totals: a 52, b 30, c 10, d 5, e 3 = 100; revenue ranked above each:
    # a 0 (<80: A), b 52 (<80: A), c 82 (<95: B), d 92 (<95: B), e 97 (C)
    assert out["account"].tolist() == ["a", "b", "c", "d", "e"]
    assert out["abc"].tolist() == ["A", "A", "B", "B", "C"]
    assert out["deals"].tolist() == [2, 1, 1, 1, 1]
    assert out["cumulative_share"].tolist() == pytest.approx([0.52, 0.82, 0.92, 0.97, 1.0])
    assert set(out["a_share"]) == {0.8} and set(out["b_share"]) == {0.15}


def test_thresholds_are_configurable() -> None:
    frame = won([("N", "a", 50.0), ("N", "b", 30.0), ("N", "c", 20.0)])
    # A up to 50%: a (0 before) only; B the next 30%: b (50 before < 80); c (80) is C
    out = abc_accounts(frame, settings=ABCSettings(a_share=0.5, b_share=0.3, a_accounts=1.0))
    assert out["abc"].tolist() == ["A", "B", "C"]
    with pytest.raises(ConfigError, match="a_share"):
        ABCSettings(a_share=0.9, b_share=0.2)


def test_ties_break_by_account_name_and_teams_apart() -> None:
    frame = won([("S", "zeta", 10.0), ("N", "beta", 10.0), ("N", "alpha", 10.0), ("N", "", 99.0)])
    out = abc_accounts(frame, settings=ABCSettings(a_accounts=1.0))
    assert out[["team", "account", "rank"]].values.tolist() == [
        ["N", "alpha", 1],
        ["N", "beta", 2],
        ["S", "zeta", 1],
    ]
    # alpha: 0 before -> A; beta: 50% before -> A; the blank account is left out
    assert out["abc"].tolist() == ["A", "A", "A"]
    assert out["unassigned_deals"].tolist() == [1, 1, 0]


def test_summary_and_input_unchanged() -> None:
    frame = won([("N", "a", 80.0), ("N", "b", 10.0), ("N", "c", 6.0), ("N", "d", 4.0)])
    before = frame.copy()
    summary = abc_summary(abc_accounts(frame))
    # a: A (80%); b: 80 before -> B, c: 90 before -> B; d: 96 before -> C
    assert summary[["abc", "accounts", "won_amount"]].values.tolist() == [
        ["A", 1, 80.0],
        ["B", 2, 16.0],
        ["C", 1, 4.0],
    ]
    assert summary["account_share"].tolist() == [0.25, 0.5, 0.25]
    pd.testing.assert_frame_equal(frame, before)
