"""One vocabulary for grouping across the diagnostics: ``by="team" | "rep"`` is the level,
``group_columns=`` names columns, ``settings=`` holds thresholds; the keywords and values
of the release before keep working with a DeprecationWarning and give the same result."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from pipereview.core._errors import InputError
from pipereview.diagnostics import (
    abc_accounts,
    abc_summary,
    category_rollup,
    new_deal_counts,
    new_deals,
    period_forecast,
    progress,
    win_rates,
)
from pipereview.diagnostics._grouping import level_keys

HISTORY = pd.DataFrame(
    {
        "snapshot_week": ["2026-W46", "2026-W47", "2026-W47", "2026-W47", "2026-W47"],
        "team": "North",
        "deal_id": ["A", "A", "B", "C", "D"],
        "owner": ["Ann", "Ann", "Ann", "Bob", "Bob"],
        "deal_name": "x",
        "account": ["a", "a", "b", "c", "d"],
        "stage": ["initial_contact", "negotiation", "won", "lost", "solution_quote"],
        "stage_model": "generic_4",
        "amount": [100.0, 100.0, 300.0, 50.0, 200.0],
        "currency": "USD",
        "probability": float("nan"),
        "forecast_category": None,
        "close_date": pd.to_datetime(
            ["2026-12-01", "2026-12-01", "2026-11-10", "2026-11-05", "2026-12-20"]
        ),
        "created_date": pd.Timestamp("2026-09-01"),
    }
)
TARGETS = pd.DataFrame(
    {
        "team": "North",
        "owner": ["", "Ann", "Bob"],
        "period": "2026-Q4",
        "amount": [1000.0, 600.0, 400.0],
        "currency": "USD",
    }
)
WON = pd.DataFrame(
    {
        "team": ["N", "N", "S"],
        "currency": ["USD", "USD", "EUR"],
        "account": ["a", "b", "c"],
        "amount": [80.0, 20.0, 5.0],
    }
)
SNAPSHOT = HISTORY[HISTORY["snapshot_week"] == "2026-W47"]
REPS = ("team", "owner")

# (function, its call with the new keyword, the same call with the old one)
RENAMED: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
    (
        "abc_accounts",
        lambda: abc_accounts(WON, group_columns=("currency",)),
        lambda: abc_accounts(WON, by=("currency",)),
    ),
    (
        "abc_summary",
        lambda: abc_summary(abc_accounts(WON), group_columns=("team",)),
        lambda: abc_summary(abc_accounts(WON), by=("team",)),
    ),
    (
        "new_deal_counts",
        lambda: new_deal_counts(HISTORY, group_columns=REPS),
        lambda: new_deal_counts(HISTORY, by=REPS),
    ),
    (
        "new_deals",
        lambda: new_deals(HISTORY, "2026-W47", group_columns=REPS),
        lambda: new_deals(HISTORY, "2026-W47", by=REPS),
    ),
    (
        "category_rollup",
        lambda: category_rollup(SNAPSHOT, group_columns=REPS),
        lambda: category_rollup(SNAPSHOT, by=REPS),
    ),
    (
        "win_rates",
        lambda: win_rates(HISTORY, "2026-W47", group_columns=REPS),
        lambda: win_rates(HISTORY, "2026-W47", by=REPS),
    ),
]


@pytest.mark.parametrize(("name", "new", "old"), RENAMED, ids=[r[0] for r in RENAMED])
def test_the_old_by_keyword_for_columns_warns_and_gives_the_same_result(
    name: str, new: Callable[[], Any], old: Callable[[], Any]
) -> None:
    expected = new()
    with pytest.warns(
        DeprecationWarning, match=rf"{name}\(by=\.\.\.\) is deprecated; pass group_columns=\.\.\."
    ):
        got = old()
    pd.testing.assert_frame_equal(got, expected)
    assert len(expected) > 0


@pytest.mark.parametrize("function", [period_forecast, progress])
def test_by_owner_is_the_old_name_of_by_rep(function: Callable[..., pd.DataFrame]) -> None:
    reps = function(HISTORY, TARGETS, "2026-Q4", "2026-W47", by="rep")
    assert reps["owner"].tolist() == ["Ann", "Bob"]
    with pytest.warns(
        DeprecationWarning,
        match=rf"{function.__name__}\(by='owner'\) is "
        r"deprecated; pass by='rep'",
    ):
        old = function(HISTORY, TARGETS, "2026-Q4", "2026-W47", by="owner")
    pd.testing.assert_frame_equal(old, reps)


def test_a_level_is_team_or_rep() -> None:
    assert level_keys("team") == ["team"]
    assert level_keys("rep") == ["team", "owner"]
    with pytest.raises(InputError, match="by must be 'team' or 'rep', got 'owner'"):
        level_keys("owner")  # only where a release took it, and there with a warning
    with pytest.raises(InputError, match="by must be 'team' or 'rep', got 'region'"):
        period_forecast(HISTORY, TARGETS, "2026-Q4", "2026-W47", by="region")  # type: ignore[arg-type]


def test_forecast_chart_by_owner_still_draws_reps_with_a_warning() -> None:
    from pipereview import charts

    rows = pd.DataFrame(
        {"owner": ["Ann", "Bob"], "won_to_date": 1.0, "weighted_in_period": 2.0, "target": 9.0}
    )
    with pytest.warns(DeprecationWarning, match=r"forecast_chart\(by='owner'\) is deprecated"):
        old = charts.forecast_chart(rows, by="owner", lang="en").to_dict()
    assert old == charts.forecast_chart(rows, by="rep", lang="en").to_dict()
    with pytest.raises(InputError, match="by must be 'team' or 'rep'"):
        charts.forecast_chart(rows, by="account", lang="en")
