"""Nothing after the as-of week: every public diagnostic that takes a week gives the same
answer on a history holding later weeks as on the history cut at that week.

A review of an earlier week (a rerun, the backtest, a trend) reads a store that has since
grown; a diagnostic that reads one row past its week reports what nobody knew yet. The
matrix below calls every such diagnostic, and the guard fails when a new one is added
without a call here.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

import pipereview.diagnostics as diagnostics
from pipereview import prepare_history
from pipereview.core._weeks import Week
from pipereview.history._prepared import PreparedHistory
from pipereview.sample import organisation_weeks

WEEK = "2026-W44"  # six weeks into the quarter; the history runs to 2026-W47
QUARTER = "2026-Q4"
WEEK_PARAMETERS = {"as_of", "week", "last"}


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    weeks = organisation_weeks(teams=2, deals=150, weeks=20, seed=3, reps_per_team=3)
    return pd.concat([frame for _, frame in weeks], ignore_index=True)


def _targets(history: pd.DataFrame) -> pd.DataFrame:
    teams = sorted(history["team"].unique())
    rows = [(team, "", QUARTER, 500_000.0, "USD") for team in teams]
    owners = history[["team", "owner"]].drop_duplicates().sort_values(["team", "owner"])
    rows += [(t, o, QUARTER, 100_000.0, "USD") for t, o in owners.itertuples(index=False)]
    return pd.DataFrame(rows, columns=["team", "owner", "period", "amount", "currency"])


def _calls(targets: pd.DataFrame, teams: list[str]) -> dict[str, Callable[[Any, str], Any]]:
    """How each week-taking diagnostic is called, by its public name."""
    return {
        "cohort_conversion": lambda h, w: diagnostics.cohort_conversion(h, as_of=w, by="rep"),
        "customer_kinds": lambda h, w: diagnostics.customer_kinds(h, w),
        "deal_risks": lambda h, w: diagnostics.deal_risks(h, as_of=w),
        "funnel_shape": lambda h, w: diagnostics.funnel_shape(h, as_of=w, by="rep"),
        "move_on_rates": lambda h, w: diagnostics.move_on_rates(h, as_of=w, by="rep"),
        "new_deals": lambda h, w: diagnostics.new_deals(h, w, weeks=4),
        "period_forecast": lambda h, w: diagnostics.period_forecast(h, targets, QUARTER, w),
        "plan_shapes": lambda h, w: diagnostics.plan_shapes(h, QUARTER, w, teams),
        "progress": lambda h, w: diagnostics.progress(h, targets, QUARTER, w, by="rep"),
        "rep_comparison": lambda h, w: diagnostics.rep_comparison(h, w, targets=targets),
        "results_compared": lambda h, w: diagnostics.results_compared(h, w),
        "sales_velocity": lambda h, w: diagnostics.sales_velocity(h, as_of=w, by="rep"),
        "season_shapes": lambda h, w: diagnostics.season_shapes(h, QUARTER, w, teams),
        "stage_advances": lambda h, w: diagnostics.stage_advances(
            h, Week.parse(w) - 4, Week.parse(w)
        ),
        "stage_calibration": lambda h, w: diagnostics.stage_calibration(h, w),
        "stage_days": lambda h, w: diagnostics.stage_days(h, w),
        "stage_durations": lambda h, w: diagnostics.stage_durations(h, as_of=w),
        "stage_table": lambda h, w: diagnostics.stage_table(h, as_of=w, by="rep"),
        "win_rates": lambda h, w: diagnostics.win_rates(h, w),
        "with_customers": lambda h, w: diagnostics.with_customers(h, w),
        "won_deals": lambda h, w: diagnostics.won_deals(h, QUARTER, w),
    }


def _week_taking() -> set[str]:
    names = set()
    for name in diagnostics.__all__:
        member = getattr(diagnostics, name)
        if inspect.isfunction(member):
            params = list(inspect.signature(member).parameters)
            if params[:1] == ["history"] and WEEK_PARAMETERS & set(params):
                names.add(name)
    return names


def _same(got: Any, expected: Any, name: str) -> None:
    if isinstance(expected, PreparedHistory):
        got, expected = got.frame.reset_index(drop=True), expected.frame.reset_index(drop=True)
    if isinstance(expected, pd.DataFrame):
        assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True), obj=name)
    elif isinstance(expected, pd.Series):
        assert_series_equal(got, expected, obj=name)
    else:
        assert got == expected, name


def test_every_week_taking_diagnostic_is_in_the_matrix() -> None:
    assert _week_taking() == set(_calls(pd.DataFrame(), []))


def test_no_diagnostic_reads_past_its_week(history: pd.DataFrame) -> None:
    cut = history[history["snapshot_week"].astype("str") <= WEEK].reset_index(drop=True)
    assert history["snapshot_week"].astype("str").max() > WEEK  # the later weeks are there
    targets = _targets(history)
    teams = sorted(history["team"].unique())
    prepared = prepare_history(history)
    for name, call in _calls(targets, teams).items():
        expected = call(cut, WEEK)
        if isinstance(expected, pd.DataFrame | pd.Series):
            assert len(expected), f"{name}: nothing to compare at {WEEK}"
        _same(call(history, WEEK), expected, name)
        _same(call(prepared, WEEK), expected, name)
