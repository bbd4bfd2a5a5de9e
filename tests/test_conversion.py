"""pipereview.diagnostics._conversion: cohort conversion and sales velocity, hand-computed, a property
test that the outcomes add up, and the sample's planted bottleneck."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _budget import examples
from pipereview.core._errors import InputError
from pipereview.diagnostics._conversion import OUTCOMES, cohort_conversion, sales_velocity
from pipereview.diagnostics._forecast import ForecastSettings
from pipereview.history._store import SnapshotStore
from pipereview.history._trail import with_deal_keys

STAGES = ["initial_contact", "needs_confirmed", "solution_quote", "negotiation", "won", "lost"]


def _rows(
    deal: str, stages: list[str | None], owner: str = "Ann", first: int = 44
) -> list[dict[str, object]]:
    return [
        {
            "snapshot_week": f"2026-W{first + i}",
            "team": "T",
            "owner": owner,
            "deal_id": deal,
            "stage_model": "generic_4",
            "stage": s,
        }
        for i, s in enumerate(stages)
        if s is not None
    ]


def test_cohort_outcomes_hand_computed() -> None:
    # W44 is the first stored week: A's entry into initial_contact is unknown (left out).
    # needs_confirmed entries: A in W45 (later won), B in W45 (still there),
    # C in W46 (moved on to solution_quote, open), D in W46 (lost), E in W46 (absent
    # from the W47 export: dropped) -> 5 entered, reached next: A, C = 2
    h = pd.DataFrame(
        _rows("A", ["initial_contact", "needs_confirmed", "solution_quote", "won"])
        + _rows("B", [None, "needs_confirmed", "needs_confirmed", "needs_confirmed"])
        + _rows("C", [None, None, "needs_confirmed", "solution_quote"])
        + _rows("D", [None, None, "needs_confirmed", "lost"])
        + _rows("E", [None, None, "needs_confirmed", None])
    )
    table = cohort_conversion(h, as_of="2026-W47", min_cohort=5).set_index("stage")
    row = table.loc["needs_confirmed"]
    assert row["entered"] == 5 and row["reached_next"] == 2
    assert [row[o] for o in OUTCOMES] == [1, 1, 1, 1, 1]  # won, lost, advanced, still, dropped
    assert row["next_rate"] == 0.4 and row["win_rate"] == 0.2 and row["open_rate"] == 0.4
    # solution_quote: A (W46, won) and C (W47, open there): 2 < min_cohort -> rates NaN
    assert table.loc["solution_quote", "entered"] == 2
    assert math.isnan(table.loc["solution_quote", "next_rate"])
    assert table.loc["initial_contact", "entered"] == 0  # A's entry is unknown
    assert list(table["stage_order"]) == [0, 1, 2, 3]


def test_window_and_reentry() -> None:
    # B enters needs_confirmed in W45, goes back, re-enters in W47: two entries;
    # with a 1-week window only the W47 one counts
    h = pd.DataFrame(
        _rows("A", ["initial_contact"] * 4)
        + _rows("B", ["initial_contact", "needs_confirmed", "initial_contact", "needs_confirmed"])
    )
    both = cohort_conversion(h, as_of="2026-W47", min_cohort=1).set_index("stage")
    assert both.loc["needs_confirmed", "entered"] == 2
    assert both.loc["initial_contact", "entered"] == 1  # B's return in W46
    recent = cohort_conversion(h, as_of="2026-W47", window_weeks=1, min_cohort=1).set_index("stage")
    assert recent.loc["needs_confirmed", "entered"] == 1


def test_a_keyed_deal_whose_id_changed_is_one_entry() -> None:
    rows = _rows("A", ["initial_contact", "needs_confirmed", "needs_confirmed", "won"])
    rows[2]["deal_id"] = rows[3]["deal_id"] = "A-NEW"
    h = pd.DataFrame(rows)
    unkeyed = cohort_conversion(h, as_of="2026-W47", min_cohort=1).set_index("stage")
    assert unkeyed.loc["needs_confirmed", "entered"] == 2  # looks like two deals
    keyed = cohort_conversion(h.assign(deal_key="A"), as_of="2026-W47", min_cohort=1).set_index(
        "stage"
    )
    assert keyed.loc["needs_confirmed", "entered"] == 1
    assert keyed.loc["needs_confirmed", "won"] == 1


@settings(max_examples=examples(60), deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from([*STAGES, None]), min_size=4, max_size=4), min_size=1, max_size=12
    )
)
def test_outcomes_add_up_to_entered(paths: list[list[str | None]]) -> None:
    rows = [r for i, path in enumerate(paths) for r in _rows(f"D{i}", path, owner=f"R{i % 3}")]
    if not rows:
        return
    h = pd.DataFrame(rows)
    for by in ("team", "rep"):
        table = cohort_conversion(h, as_of="2026-W47", by=by, min_cohort=1)
        assert (table[list(OUTCOMES)].sum(axis=1) == table["entered"]).all()
        assert (table["reached_next"] <= table["entered"]).all()
    assert (
        cohort_conversion(h, as_of="2026-W47", by="rep")["entered"].sum()
        == cohort_conversion(h, as_of="2026-W47")["entered"].sum()
    )


def _velocity_history() -> pd.DataFrame:
    # 10 open deals; won: 4 deals of 30k, 40k, 50k, 40k (avg 40,000), created 80 days
    # before close; lost: 12 -> win rate 4 / 16 = 0.25
    base = {
        "snapshot_week": "2026-W47",
        "team": "T",
        "owner": "Ann",
        "deal_name": "x",
        "account": "y",
        "stage_model": "generic_4",
        "currency": "EUR",
    }
    close = pd.Timestamp("2026-11-10")
    rows = [
        {
            **base,
            "deal_id": f"o{i}",
            "stage": "initial_contact",
            "amount": 1.0,
            "close_date": pd.Timestamp("2026-12-31"),
            "created_date": close,
        }
        for i in range(10)
    ]
    rows += [
        {
            **base,
            "deal_id": f"w{i}",
            "stage": "won",
            "amount": a,
            "close_date": close,
            "created_date": close - pd.Timedelta(days=80),
        }
        for i, a in enumerate([30_000.0, 40_000.0, 50_000.0, 40_000.0])
    ]
    rows += [
        {
            **base,
            "deal_id": f"l{i}",
            "stage": "lost",
            "amount": 5.0,
            "close_date": close,
            "created_date": close,
        }
        for i in range(12)
    ]
    return pd.DataFrame(rows)


def test_sales_velocity_hand_computed() -> None:
    v = sales_velocity(_velocity_history(), as_of="2026-W47").iloc[0]
    assert v["open_deals"] == 10 and v["win_rate"] == 0.25
    assert v["avg_won_amount"] == 40_000.0 and v["median_cycle_days"] == 80.0
    # 10 open x 0.25 x 40,000 / 80 days = 1,250 a day, 8,750 a week
    assert v["velocity_per_day"] == 1_250.0 and v["velocity_per_week"] == 8_750.0
    assert v["cycle_basis"] == "created_date"


def test_sales_velocity_guards() -> None:
    few = sales_velocity(_velocity_history(), as_of="2026-W47", min_won=5).iloc[0]
    assert math.isnan(few["velocity_per_day"])  # only 4 won < 5
    strict = ForecastSettings(min_closed_deals=20)  # 16 closed < 20: no win rate
    assert math.isnan(
        sales_velocity(_velocity_history(), as_of="2026-W47", settings=strict).iloc[0][
            "velocity_per_day"
        ]
    )
    no_created = _velocity_history().drop(columns="created_date")
    row = sales_velocity(no_created, as_of="2026-W47").iloc[0]
    assert row["cycle_basis"] == "first_seen"
    # first seen on Monday 16 Nov, closed 10 Nov: cycle not positive -> NaN, not inf
    assert math.isnan(row["velocity_per_day"])
    with pytest.raises(InputError, match="by must be 'team' or 'rep', got 'owner'"):
        sales_velocity(_velocity_history(), as_of="2026-W47", by="owner")  # type: ignore[arg-type]


def test_inputs_are_not_modified() -> None:
    h = _velocity_history()
    before = h.copy()
    sales_velocity(h, as_of="2026-W47", by="rep")
    cohort_conversion(h, as_of="2026-W47")
    pd.testing.assert_frame_equal(h, before)


@pytest.fixture(scope="module")
def sample(sample_store: Path) -> pd.DataFrame:
    return with_deal_keys(SnapshotStore(sample_store).history())


def test_sample_bottleneck_rep_converts_worst_at_his_stage(sample: pd.DataFrame) -> None:
    reps = cohort_conversion(sample, as_of="2026-W47", by="rep")
    at = reps[(reps["team"] == "North") & (reps["stage"] == "id_decision_makers")]
    at = at.set_index("owner")
    jordan = at.loc["Jordan Blake", "next_rate"]
    others = at.drop(index="Jordan Blake")["next_rate"].dropna()
    assert jordan <= 0.25 and len(others) >= 4
    assert jordan < others.min()  # planted: deals stick at Id. Decision Makers
    team = cohort_conversion(sample, as_of="2026-W47").set_index(["team", "stage"])
    assert team.loc[("North", "id_decision_makers"), "next_rate"] > 2 * jordan
