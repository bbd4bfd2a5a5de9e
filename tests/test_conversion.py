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
from pipereview.core._weeks import Week
from pipereview.diagnostics._conversion import (
    OUTCOMES,
    VELOCITY_COLUMNS,
    cohort_conversion,
    sales_velocity,
)
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


def _deal(
    week: str,
    team: str,
    owner: str,
    deal: str,
    stage: str,
    amount: float = 1.0,
    currency: str = "EUR",
    close: str = "2026-12-31",
    created: str | None = None,
) -> dict[str, object]:
    return {
        "snapshot_week": week,
        "team": team,
        "owner": owner,
        "deal_id": deal,
        "deal_name": deal,
        "account": "Acme",
        "stage_model": "generic_4",
        "stage": stage,
        "amount": amount,
        "currency": currency,
        "close_date": pd.Timestamp(close),
        "created_date": pd.Timestamp(created) if created else pd.NaT,
    }


def _teams_history() -> pd.DataFrame:
    # as of 2026-W47 (Monday 16 Nov); the 13-week window runs from Monday 24 Aug to
    # Sunday 22 Nov. Deal keys sort A-..., B-..., C-..., S-...
    n, s = "North", "South"
    return pd.DataFrame(
        [
            # Ann: won A-a1 (created unknown: first seen Monday 9 Nov, closed 18 Nov: 9
            # days), A-w2 (created unknown: first seen Monday 16 Nov, closed on the
            # window's last day, 22 Nov: 6 days) and A-w3 (closed on the window's first
            # day, 30 days after creation); one lost; open in EUR, USD and a blank currency
            _deal("2026-W46", n, "Ann", "A-a1", "negotiation", 300.0, close="2026-11-18"),
            _deal("2026-W47", n, "Ann", "A-a1", "won", 300.0, close="2026-11-18"),
            _deal("2026-W47", n, "Ann", "A-l1", "lost", close="2026-10-01", created="2026-09-01"),
            _deal("2026-W47", n, "Ann", "A-o1", "initial_contact"),
            _deal("2026-W47", n, "Ann", "A-o2", "initial_contact", currency="USD"),
            _deal("2026-W46", n, "Ann", "A-o3", "initial_contact", currency=""),
            _deal("2026-W47", n, "Ann", "A-o3", "initial_contact", currency=""),
            _deal("2026-W47", n, "Ann", "A-w2", "won", 600.0, close="2026-11-22"),
            _deal(
                "2026-W47", n, "Ann", "A-w3", "won", 900.0, close="2026-08-24", created="2026-07-25"
            ),
            # Bo: one deal, lost, last seen in W46 (not in North's W47 export)
            _deal("2026-W46", n, "Bo", "B-l1", "lost", close="2026-11-05", created="2026-10-01"),
            # Cy: one open, three won on the day they were created (cycle 0)
            _deal("2026-W47", n, "Cy", "C-o1", "initial_contact", currency="GBP"),
            *(
                _deal(
                    "2026-W47", n, "Cy", f"C-w{i}", "won", 100.0, "GBP", "2026-11-02", "2026-11-02"
                )
                for i in (1, 2, 3)
            ),
            # Dee: one open; S-v0 won the day before the window; three won a day after
            # creation (S-w1 already won in W46); W48 (with a new S-o2 in NOK) is after
            # the as-of week
            _deal("2026-W47", s, "Dee", "S-o1", "initial_contact", currency="SEK"),
            _deal("2026-W47", s, "Dee", "S-v0", "won", 5000.0, "SEK", "2026-08-23", "2026-08-01"),
            _deal("2026-W46", s, "Dee", "S-w1", "won", 200.0, "SEK", "2026-11-10", "2026-11-09"),
            _deal("2026-W47", s, "Dee", "S-w1", "won", 200.0, "SEK", "2026-11-10", "2026-11-09"),
            _deal("2026-W47", s, "Dee", "S-w2", "won", 400.0, "SEK", "2026-11-12", "2026-11-11"),
            _deal("2026-W47", s, "Dee", "S-w9", "won", 600.0, "SEK", "2026-11-16", "2026-11-15"),
            _deal("2026-W48", s, "Dee", "S-o1", "initial_contact", currency="SEK"),
            _deal("2026-W48", s, "Dee", "S-o2", "initial_contact", currency="NOK"),
        ]
    )


def _velocity_frame(columns: dict[str, list[object]]) -> pd.DataFrame:
    dtypes = {
        "team": "str",
        "owner": "str",
        "currency": "str",
        "open_deals": "int64",
        "won": "int64",
        "lost": "int64",
        "win_rate": "float64",
        "won_in_window": "int64",
        "avg_won_amount": "float64",
        "median_cycle_days": "float64",
        "cycle_basis": "str",
        "velocity_per_day": "float64",
        "velocity_per_week": "float64",
    }
    return pd.DataFrame({c: pd.Series(columns[c], dtype=d) for c, d in dtypes.items()})


NAN = float("nan")

# Ann: 3 open x 3/4 x 600 (300, 600, 900) / median(9, 6, 30) = 9 days = 150 a day; one
# of three cycles from a created date: mixed. Bo: nothing open, nothing won, one closed
# (< 2): no win rate, no velocity, no currency in North's W47 export. Cy: a 0-day cycle:
# no velocity (never infinite). Dee: S-v0 is outside the window, W48 after the as-of
# week: 1 x 3/3 x 400 / 1 day = 400 a day, with exactly min_won (3) won.
PER_REP = {
    "team": ["North", "North", "North", "South"],
    "owner": ["Ann", "Bo", "Cy", "Dee"],
    "currency": ["EUR, USD", "", "GBP", "SEK"],
    "open_deals": [3, 0, 1, 1],
    "won": [3, 0, 3, 3],
    "lost": [1, 1, 0, 0],
    "win_rate": [0.75, NAN, 1.0, 1.0],
    "won_in_window": [3, 0, 3, 3],
    "avg_won_amount": [600.0, NAN, 100.0, 400.0],
    "median_cycle_days": [9.0, NAN, 0.0, 1.0],
    "cycle_basis": ["mixed", "", "created_date", "created_date"],
    "velocity_per_day": [150.0, NAN, NAN, 400.0],
    "velocity_per_week": [1_050.0, NAN, NAN, 2_800.0],
}
# North: 4 open x 6/8 x 350 (2,100 / 6) / median(0, 0, 0, 6, 9, 30) = 3 days = 350 a day;
# the currencies of its W47 export, the blank one left out: EUR, GBP, USD
PER_TEAM = {
    "team": ["North", "South"],
    "owner": ["", ""],
    "currency": ["EUR, GBP, USD", "SEK"],
    "open_deals": [4, 1],
    "won": [6, 3],
    "lost": [2, 0],
    "win_rate": [0.75, 1.0],
    "won_in_window": [6, 3],
    "avg_won_amount": [350.0, 400.0],
    "median_cycle_days": [3.0, 1.0],
    "cycle_basis": ["mixed", "created_date"],
    "velocity_per_day": [350.0, 400.0],
    "velocity_per_week": [2_450.0, 2_800.0],
}


@pytest.mark.parametrize(
    ("by", "expected"), [("rep", PER_REP), ("team", PER_TEAM)], ids=["rep", "team"]
)
def test_sales_velocity_hand_computed_per_group_with_mixed_currencies(
    by: str, expected: dict[str, list[object]]
) -> None:
    v = sales_velocity(
        _teams_history(), as_of="2026-W47", by=by, settings=ForecastSettings(min_closed_deals=2)
    )
    pd.testing.assert_frame_equal(v, _velocity_frame(expected))


@pytest.mark.parametrize(
    ("by", "expected"), [("rep", PER_REP), ("team", PER_TEAM)], ids=["rep", "team"]
)
def test_sales_velocity_without_a_currency_column_has_blank_currencies(
    by: str, expected: dict[str, list[object]]
) -> None:
    v = sales_velocity(
        _teams_history().drop(columns="currency"),
        as_of=Week.parse("2026-W47"),
        by=by,
        settings=ForecastSettings(min_closed_deals=2),
    )
    blank = {**expected, "currency": [""] * len(expected["team"])}
    pd.testing.assert_frame_equal(v, _velocity_frame(blank))


def test_sales_velocity_of_an_empty_history_has_its_columns() -> None:
    v = sales_velocity(_teams_history().iloc[:0], as_of="2026-W47")
    assert v.empty and list(v.columns) == list(VELOCITY_COLUMNS)
