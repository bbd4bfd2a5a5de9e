"""The prepared history: its columns by hand, and every diagnostic giving the same frame
on the prepared history as on the plain one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from pipereview import PreparedHistory, prepare_history
from pipereview.diagnostics._aging import deal_risks, risk_summary, stage_durations
from pipereview.diagnostics._calibration import stage_calibration
from pipereview.diagnostics._conversion import cohort_conversion, sales_velocity
from pipereview.diagnostics._forecast import (
    period_forecast,
    win_rates,
    won_deals,
)
from pipereview.diagnostics._funnel import move_on_rates, stage_table
from pipereview.diagnostics._shape import funnel_shape
from pipereview.diagnostics._targets import load_targets
from pipereview.diagnostics._trends import rep_comparison, weekly_metrics
from pipereview.history._store import SnapshotStore
from pipereview.history._trail import days_in_stage
from pipereview.ingest._schema import stage_facts

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def _small() -> pd.DataFrame:
    """Two deals over three weeks, rows out of order; deal b has no row in W46."""
    return pd.DataFrame(
        {
            "snapshot_week": ["2026-W47", "2026-W45", "2026-W46", "2026-W45", "2026-W47"],
            "deal_id": ["b", "b", "a", "a", "a"],
            "stage_model": "generic_4",
            "stage": [
                "needs_confirmed",
                "initial_contact",
                "needs_confirmed",
                "initial_contact",
                "won",
            ],
        }
    )


def test_prepared_columns_by_hand() -> None:
    frame = _small()
    p = prepare_history(frame)
    assert isinstance(p, PreparedHistory) and len(p) == 5 and not p.empty
    assert p.deal_key.tolist() == ["b", "b", "a", "a", "a"]
    assert p.deal.tolist() == [1, 1, 0, 0, 0]  # codes in key order: a=0, b=1
    assert p.weeks == ("2026-W45", "2026-W46", "2026-W47")
    assert p.week.tolist() == [2, 0, 1, 0, 2]
    assert [str(d)[:10] for d in p.week_mondays[:3]] == ["2026-11-02", "2026-11-09", "2026-11-16"]
    assert [str(d)[:10] for d in p.monday] == [
        "2026-11-16",
        "2026-11-02",
        "2026-11-09",
        "2026-11-02",
        "2026-11-16",
    ]
    # by deal (a, then b), then week: a W45 (row 3), a W46 (2), a W47 (4), b W45 (1), b W47 (0)
    assert p.order.tolist() == [3, 2, 4, 1, 0]
    assert p.position.tolist() == [1, 0, 1, 0, 6]  # won: the number of stages
    assert p.is_open.tolist() == [True, True, True, True, False]
    assert p.is_won.tolist() == [False, False, False, False, True]
    assert p.is_lost.tolist() == [False] * 5
    assert p.model_probability.tolist() == [0.25, 0.10, 0.25, 0.10, 1.0]
    # b entered needs_confirmed in W47; a entered needs_confirmed in W46 and won in W47
    assert [str(d)[:10] for d in p.stage_entry] == [
        "2026-11-16",
        "2026-11-02",
        "2026-11-09",
        "2026-11-02",
        "2026-11-16",
    ]
    assert p.days_in_stage("2026-W47").tolist() == [0.0, 14.0, 7.0, 14.0, 0.0]
    assert p.week_code("2026-W46") == 1 and p.week_code("2026-W44") == -1
    assert p.week_code("2026-W52") == 2
    # the same as the functions it stands for
    assert p.days_in_stage("2026-W48").equals(days_in_stage(frame, as_of="2026-W48"))
    assert_frame_equal(p.stage_facts(), stage_facts(frame))
    with pytest.raises(ValueError, match="read-only"):
        p.deal[0] = 5  # read-only: shared by every diagnostic


def test_prepared_rows_up_to_a_week_and_taken() -> None:
    p = prepare_history(_small())
    assert p.upto("2026-W47") is p
    early = p.upto("2026-W46")
    assert early.frame.index.tolist() == [1, 2, 3]
    assert early.deal.tolist() == [1, 0, 0] and early.week.tolist() == [0, 1, 0]
    assert early.order.tolist() == [2, 1, 0]  # positions within the three rows
    assert [str(d)[:10] for d in early.stage_entry] == ["2026-11-02", "2026-11-09", "2026-11-02"]
    assert len(p.upto("2026-W44")) == 0 and p.upto("2026-W44").empty
    backwards = p.take(np.array([4, 3]))
    assert backwards.deal_key.tolist() == ["a", "a"] and backwards.order.tolist() == [1, 0]


def test_prepared_history_does_not_follow_later_changes() -> None:
    frame = _small()
    p = prepare_history(frame)
    frame.loc[0, "stage"] = "won"
    assert p.frame.loc[0, "stage"] == "needs_confirmed"
    assert prepare_history(frame).is_won[0]


def test_empty_history() -> None:
    frame = _small().assign(team="T", owner="Ann", amount=1.0, probability=np.nan).iloc[:0]
    p = prepare_history(frame)
    assert p.empty and p.order.tolist() == [] and p.weeks == ()
    assert_frame_equal(stage_table(p, as_of="2026-W47"), stage_table(frame, as_of="2026-W47"))
    assert_frame_equal(move_on_rates(p, as_of="2026-W47"), move_on_rates(frame, as_of="2026-W47"))


@pytest.fixture(scope="module")
def sample_history(sample_store: Path) -> pd.DataFrame:
    return SnapshotStore(sample_store).history()


def _diagnostics(targets: pd.DataFrame) -> dict[str, Callable[[Any, str], pd.DataFrame]]:
    quarter = "2026-Q4"
    return {
        "stage_table": lambda h, w: stage_table(h, as_of=w),
        "stage_table_rep": lambda h, w: stage_table(h, as_of=w, by="rep"),
        "move_on_rates": lambda h, w: move_on_rates(h, as_of=w),
        "move_on_rates_rep": lambda h, w: move_on_rates(h, as_of=w, by="rep"),
        "funnel_shape": lambda h, w: funnel_shape(h, as_of=w),
        "funnel_shape_rep": lambda h, w: funnel_shape(h, as_of=w, by="rep"),
        "cohort_conversion": lambda h, w: cohort_conversion(h, as_of=w),
        "cohort_conversion_rep": lambda h, w: cohort_conversion(h, as_of=w, by="rep"),
        "sales_velocity": lambda h, w: sales_velocity(h, as_of=w),
        "sales_velocity_rep": lambda h, w: sales_velocity(h, as_of=w, by="rep"),
        "stage_durations": lambda h, w: stage_durations(h, as_of=w),
        "deal_risks": lambda h, w: deal_risks(h, as_of=w),
        "risk_summary": lambda h, w: risk_summary(deal_risks(h, as_of=w), by="rep"),
        "period_forecast": lambda h, w: period_forecast(h, targets, quarter, w),
        "period_forecast_rep": lambda h, w: period_forecast(h, targets, quarter, w, by="rep"),
        "stage_calibration": lambda h, w: stage_calibration(h, w),
        "won_deals": lambda h, w: won_deals(h, quarter, w),
        "win_rates": lambda h, w: win_rates(h, w, group_columns=("team", "owner")),
        "weekly_metrics": lambda h, w: weekly_metrics(h, targets=targets),
        "rep_comparison": lambda h, w: rep_comparison(h, w, targets=targets),
    }


@pytest.mark.slow
@pytest.mark.parametrize("week", ["2026-W47", "2026-W45"])
def test_every_diagnostic_same_on_prepared_history(sample_history: pd.DataFrame, week: str) -> None:
    targets = load_targets(SAMPLES / "targets.csv")
    prepared = prepare_history(sample_history)
    shuffled = sample_history.sample(frac=1.0, random_state=5)  # rows in no order
    prepared_shuffled = prepare_history(shuffled)
    for name, call in _diagnostics(targets).items():
        expected = call(sample_history, week)
        assert len(expected), name
        assert_frame_equal(call(prepared, week), expected, check_exact=True, obj=name)
        assert_frame_equal(
            call(prepared_shuffled, week), call(shuffled, week), check_exact=True, obj=name
        )


def test_a_deal_without_owner_is_counted_for_a_named_rep_not_dropped() -> None:
    """A frame built by hand may leave a deal's owner blank (the store refuses such rows):
    the per-rep diagnostics count it under "(no owner)" and the team's totals still add
    up, instead of failing on a missing group."""
    h = pd.DataFrame(
        {
            "snapshot_week": "2026-W47",
            "team": "T",
            "deal_id": list("abcd"),
            "owner": ["Ann", None, "Bob", "Ann"],
            "stage": "initial_contact",
            "stage_model": "generic_4",
            "amount": [1.0, 2.0, 3.0, 4.0],
            "probability": 0.5,
        }
    )
    shape = funnel_shape(h, as_of="2026-W47", by="rep").set_index("owner")
    assert shape["open_deals"].to_dict() == {"(no owner)": 1, "Ann": 2, "Bob": 1}
    table = stage_table(h, as_of="2026-W47", by="rep")
    first = table[table["stage"] == "initial_contact"].set_index("owner")
    assert first["amount"].to_dict() == {"Ann": 5.0, "Bob": 3.0, "(no owner)": 2.0}
    assert table["share"].notna().all()
    assert h["owner"].isna().sum() == 1  # the caller's frame is left as it was
