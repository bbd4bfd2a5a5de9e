"""Tests of pipereview.funnel: hand-computed stage table and the sample's planted shapes."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from pipereview.funnel import ShapeThresholds, funnel_shape, move_on_rates, stage_table
from pipereview.store import SnapshotStore

NAN = float("nan")


def _history() -> pd.DataFrame:
    # deal a: initial_contact in W45, W46, W47 -> in stage since Monday W45, 14 days before W47's Monday
    # deal b: initial_contact in W46, needs_confirmed in W47 -> 0 days in proposal
    weeks = ["2026-W45", "2026-W46", "2026-W47", "2026-W46", "2026-W47"]
    return pd.DataFrame({
        "snapshot_week": weeks, "team": "T", "deal_id": ["a", "a", "a", "b", "b"],
        "owner": "Ann", "stage_model": "generic_4",
        "stage": ["initial_contact", "initial_contact", "initial_contact", "initial_contact", "needs_confirmed"],
        "amount": [100.0, 100.0, 100.0, 300.0, 300.0],
        "probability": [0.5, 0.5, 0.5, NAN, NAN],
    })


def test_stage_table_hand_computed() -> None:
    history = _history()
    before = history.copy()
    table = stage_table(history, as_of="2026-W47").set_index("stage")
    pd.testing.assert_frame_equal(history, before)  # input not mutated
    # initial_contact: deal a, 100 x 0.5 (snapshot probability) = 50, age 14 days, share 1/2
    assert table.loc["initial_contact", "count"] == 1
    assert table.loc["initial_contact", "weighted"] == 50.0
    assert table.loc["initial_contact", "median_age_days"] == 14.0
    assert table.loc["initial_contact", "share"] == 0.5
    # needs_confirmed: deal b, 300 x model probability; entered in W47: 0 days
    assert table.loc["needs_confirmed", "amount"] == 300.0
    assert table.loc["needs_confirmed", "median_age_days"] == 0.0
    # empty stages listed with zeros, in model order
    assert list(table["stage_order"]) == list(range(len(table)))
    assert table.loc["solution_quote", "count"] == 0


def test_move_on_rates_hand_computed() -> None:
    # exposures in the window W39..W46: a W45->W46 (stayed), a W46->W47 (stayed),
    # b W46->W47 (moved on): 1 of 3
    rates = move_on_rates(_history(), as_of="2026-W47")
    assert rates["exposures"].tolist() == [3]
    assert math.isclose(rates["move_on_rate"].iloc[0], 1 / 3)


def test_a_deal_whose_id_changed_is_one_deal_when_keyed() -> None:
    # deal a is exported as "a" in W45-W46 and as "a-new" in W47 (CRM migration); with the
    # stable key it has been in initial_contact since W45 (14 days) and stays one deal
    history = _history()
    history.loc[2, "deal_id"] = "a-new"
    unkeyed = stage_table(history, as_of="2026-W47").set_index("stage")
    assert unkeyed.loc["initial_contact", "median_age_days"] == 0.0  # looks brand new
    keyed = history.assign(deal_key=["a", "a", "a", "b", "b"])
    table = stage_table(keyed, as_of="2026-W47").set_index("stage")
    assert table.loc["initial_contact", "median_age_days"] == 14.0
    # move-on exposures: a W45->W46 and W46->W47 (stayed), b W46->W47 (moved): 1 of 3
    assert move_on_rates(keyed, as_of="2026-W47")["exposures"].tolist() == [3]
    assert move_on_rates(history, as_of="2026-W47")["exposures"].tolist() == [2]


def test_few_deals_not_enough_data() -> None:
    shape = funnel_shape(_history(), as_of="2026-W47", thresholds=ShapeThresholds(min_open=3))
    assert shape["label"].tolist() == ["not_enough_data"]  # 2 open deals < 3


@pytest.fixture(scope="module")
def sample_history(sample_store: Path) -> pd.DataFrame:
    """Every sample week, ingested from data/samples into a fresh store."""
    return SnapshotStore(sample_store).history()


def test_sample_west_thin_top(sample_history: pd.DataFrame) -> None:
    shape = funnel_shape(sample_history, as_of="2026-W47").set_index("team")
    assert shape.loc["West", "label"] == "thin_top"
    assert (shape.drop(index="West")["label"] != "thin_top").all()


def test_sample_jordan_blake_bottleneck(sample_history: pd.DataFrame) -> None:
    shape = funnel_shape(sample_history, as_of="2026-W47", by="rep")
    north = shape[shape["team"] == "North"].set_index("owner")
    assert north.loc["Jordan Blake", "label"] == "bulge"
    assert north.loc["Jordan Blake", "stage"] == "id_decision_makers"
    assert (north.drop(index="Jordan Blake")["label"] == "healthy").all()
