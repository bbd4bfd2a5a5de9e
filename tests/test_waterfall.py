"""pipereview.diagnostics._waterfall: a hand-computed waterfall with every step, periods, and the
reconciliation to the cent proven on random snapshot pairs (hypothesis)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _budget import examples
from pipereview.core._errors import InputError
from pipereview.diagnostics._waterfall import STEPS, period_bounds, waterfall, waterfall_deals
from pipereview.history._movements import deal_movements

COLUMNS = (
    "deal_id",
    "deal_name",
    "account",
    "team",
    "owner",
    "stage",
    "stage_model",
    "amount",
    "currency",
    "close_date",
)
OPEN_STAGES = ("initial_contact", "needs_confirmed", "solution_quote", "negotiation")


def snap(rows: list[tuple[str, str, float, str]]) -> pd.DataFrame:
    """Deals (id, stage, amount, close date) of one team, all distinct by name."""
    frame = pd.DataFrame(
        {
            "deal_id": [r[0] for r in rows],
            "deal_name": [f"Deal {r[0]}" for r in rows],
            "account": [f"Account {r[0]}" for r in rows],
            "team": "North",
            "owner": "Ann Lee",
            "stage": [r[1] for r in rows],
            "stage_model": "generic_4",
            "amount": pd.Series([r[2] for r in rows], dtype="float64"),
            "currency": "USD",
            "close_date": pd.to_datetime(pd.Series([r[3] for r in rows], dtype="str")),
        },
        columns=list(COLUMNS),
    )
    return frame.astype({"close_date": "datetime64[ns]"})


PREV = snap(
    [
        ("INC", "negotiation", 100.0, "2026-11-30"),
        ("DEC", "solution_quote", 80.0, "2026-11-30"),
        ("REO", "lost", 60.0, "2026-11-01"),
        ("PIN", "negotiation", 70.0, "2027-01-15"),
        ("PSI", "negotiation", 30.0, "2026-09-15"),
        ("PSO", "negotiation", 90.0, "2026-12-20"),
        ("PLO", "negotiation", 20.0, "2026-10-05"),
        ("WON", "negotiation", 150.0, "2026-11-10"),
        ("LOST", "needs_confirmed", 10.0, "2026-12-01"),
        ("DROP", "initial_contact", 25.0, "2026-11-15"),
        ("SAME", "negotiation", 33.33, "2026-11-20"),
        ("STAGE", "needs_confirmed", 44.0, "2026-12-31"),
        ("OUT", "negotiation", 500.0, "2027-02-01"),
    ]
)
CURR = snap(
    [
        ("INC", "negotiation", 120.0, "2026-11-30"),
        ("DEC", "solution_quote", 50.5, "2026-11-30"),
        ("NEW", "initial_contact", 40.0, "2026-12-01"),
        ("REO", "negotiation", 60.0, "2026-12-15"),
        ("PIN", "negotiation", 75.0, "2026-12-20"),  # pulled in with a new amount
        ("PSI", "negotiation", 30.0, "2026-10-15"),
        ("PSO", "negotiation", 95.0, "2027-01-20"),  # pushed out with a new amount
        ("PLO", "negotiation", 20.0, "2026-09-28"),
        ("WON", "won", 160.0, "2026-11-10"),  # won at more than its pipeline amount
        ("LOST", "lost", 10.0, "2026-12-01"),
        ("SAME", "negotiation", 33.33, "2026-11-20"),
        ("STAGE", "solution_quote", 44.0, "2026-12-31"),
        ("OUT", "negotiation", 500.0, "2027-03-01"),
        ("NWON", "won", 80.0, "2026-12-05"),  # new and won: never in the open pipeline
    ]
)


def test_hand_computed_waterfall_with_every_step() -> None:
    w = waterfall(deal_movements(PREV, CURR), "2026-Q4")
    assert w["step"].tolist() == list(STEPS)
    got = {
        step: (deals, cents)
        for step, deals, cents in w[["step", "deals", "cents"]].itertuples(index=False)
    }
    assert got == {
        "opening": (9, 55233),  # INC DEC PSO PLO WON LOST DROP SAME STAGE
        "new": (1, 4000),
        "reopened": (1, 6000),
        "increased": (1, 2000),
        "decreased": (1, -2950),
        "pulled_in": (1, 7500),
        "pushed_in": (1, 3000),
        "pushed_out": (1, -9000),
        "pulled_out": (1, -2000),
        "won": (1, -15000),
        "lost": (1, -1000),
        "dropped": (1, -2500),
        "removed": (0, 0),
        "closing": (8, 45283),  # INC DEC NEW REO PIN PSI SAME STAGE
    }
    assert w["kind"].tolist() == ["start"] + ["inflow"] * 3 + ["outflow", "inflow", "inflow"] + [
        "outflow"
    ] * 6 + ["end"]


def test_a_deal_deleted_in_the_crm_leaves_as_removed_not_dropped() -> None:
    """The week records DROP as deleted in the CRM (a pull found it): it leaves the
    pipeline on its own step, and the waterfall still reconciles to the cent."""
    moves = deal_movements(PREV, CURR, removed=pd.DataFrame({"deal_id": ["DROP"]}))
    assert moves.set_index("deal_id").loc["DROP", "category"] == "removed"
    w = waterfall(moves, "2026-Q4").set_index("step")
    assert (w.loc["dropped", "deals"], w.loc["removed", "deals"]) == (0, 1)
    assert w.loc["removed", "cents"] == -2500 and w.loc["removed", "kind"] == "outflow"
    assert int(w["cents"].iloc[:-1].sum()) == int(w.loc["closing", "cents"]) == 45283
    assert w["amount"].tolist()[0] == 552.33
    assert set(w["currency"]) == {"USD"}


def test_each_deal_is_attributed_once() -> None:
    deals = waterfall_deals(deal_movements(PREV, CURR), "2026-Q4")
    steps = dict(zip(deals["deal_id"], deals["step"], strict=True))
    assert steps == {
        "INC": "increased",
        "DEC": "decreased",
        "NEW": "new",
        "REO": "reopened",
        "PIN": "pulled_in",
        "PSI": "pushed_in",
        "PSO": "pushed_out",
        "PLO": "pulled_out",
        "WON": "won",
        "LOST": "lost",
        "DROP": "dropped",
        "SAME": "unchanged",
        "STAGE": "unchanged",
    }
    pso = deals[deals["deal_id"] == "PSO"].iloc[0]
    assert (pso["opening_cents"], pso["closing_cents"], pso["change_cents"]) == (9000, 0, -9000)


@pytest.mark.parametrize(
    ("period", "first", "last"),
    [
        ("2026-Q4", "2026-10-01", "2026-12-31"),
        ("2027q1", "2027-01-01", "2027-03-31"),
        ("2028-02", "2028-02-01", "2028-02-29"),
        ("2026", "2026-01-01", "2026-12-31"),
        (("2026-11-16", "2026-11-22"), "2026-11-16", "2026-11-22"),
    ],
)
def test_period_bounds(period: Any, first: str, last: str) -> None:
    assert period_bounds(period) == (pd.Timestamp(first), pd.Timestamp(last))


@pytest.mark.parametrize("period", ["2026-Q5", "2026-13", "Q4", ("2026-12-01", "2026-11-01")])
def test_bad_periods_are_refused(period: Any) -> None:
    with pytest.raises(ValueError, match="period"):
        period_bounds(period)


def test_the_period_includes_its_last_day_whatever_the_time() -> None:
    prev = snap([("A", "negotiation", 1.0, "2026-12-31 18:30")])
    assert waterfall(deal_movements(prev, prev), "2026-Q4")["cents"].tolist()[0] == 100


def test_mixed_currencies_are_refused() -> None:
    curr = pd.concat([PREV.iloc[:1], PREV.iloc[1:2].assign(currency="CNY")], ignore_index=True)
    with pytest.raises(InputError) as info:
        waterfall(deal_movements(None, curr), "2026-Q4")
    assert info.value.message == (
        "the movements mix currencies ['CNY', 'USD']; a waterfall adds amounts"
        " (expected deals in one currency)"
    )
    assert info.value.expected == "deals in one currency"
    assert info.value.hint == "pass one currency's deals, e.g. filter the movements by team"


def test_a_deal_without_currency_is_not_added_to_one_with() -> None:
    curr = pd.concat([PREV.iloc[:1], PREV.iloc[1:2].assign(currency=np.nan)], ignore_index=True)
    with pytest.raises(InputError, match=r"mix currencies \['', 'USD'\]"):
        waterfall(deal_movements(None, curr), "2026-Q4")


def test_deals_without_currency_give_a_blank_currency() -> None:
    prev = PREV.iloc[:2].assign(currency=pd.Series([None, None], dtype="str"))
    # INC 100.00 and DEC 80.00, both closing 2026-11-30
    w = waterfall(deal_movements(prev, prev), "2026-Q4")
    assert w["currency"].tolist() == [""] * len(STEPS)
    assert w.set_index("step")["cents"][["opening", "closing"]].tolist() == [18000, 18000]


def test_a_currency_column_read_as_numbers_gives_a_blank_currency() -> None:
    """An export without a single currency value can reach the store with the column
    read as numbers (all missing, float64): no currency, the same figures."""
    prev = PREV.iloc[:2].assign(currency=np.nan)
    assert prev["currency"].dtype == "float64"
    w = waterfall(deal_movements(prev, prev), "2026-Q4")
    assert w["currency"].tolist() == [""] * len(STEPS)
    assert w.set_index("step")["cents"][["opening", "closing"]].tolist() == [18000, 18000]


def test_movements_are_not_modified_and_empty_gives_zeros() -> None:
    movements = deal_movements(PREV, CURR)
    before = movements.copy()
    waterfall(movements, "2026-Q4")
    pd.testing.assert_frame_equal(movements, before)
    empty = waterfall(deal_movements(None, snap([])), "2026-Q4")
    assert empty["cents"].tolist() == [0] * len(STEPS)
    assert empty["deals"].tolist() == [0] * len(STEPS)
    assert empty["currency"].tolist() == [""] * len(STEPS)  # no deal, no currency
    assert empty[["deals", "cents"]].dtypes.tolist() == [np.int64, np.int64]


# --- property: the waterfall reconciles on random snapshot pairs ---------------------------

_DEAL = st.tuples(
    st.sampled_from(["D0", "D1", "D2", "D3", "D4", "D5", ""]),  # "" : no ID (fuzzy)
    st.sampled_from([*OPEN_STAGES, "won", "lost"]),
    st.integers(0, 10**9),  # cents
    st.integers(-120, 220),  # close date: days after 2026-09-01 (Q4 is days 30..121)
    st.sampled_from(["Acme", "Beta GmbH"]),
)


def _frame(deals: list[tuple[str, str, int, int, str]]) -> pd.DataFrame:
    seen: set[str] = set()
    rows = []
    for deal_id, stage, cents, day, account in deals:
        if deal_id and deal_id in seen:
            continue
        seen.add(deal_id)
        rows.append((deal_id, stage, cents / 100, day, account))
    start = pd.Timestamp("2026-09-01")
    frame = snap([(r[0], r[1], r[2], str((start + pd.Timedelta(days=r[3])).date())) for r in rows])
    frame["account"] = pd.Series([r[4] for r in rows], dtype="str")
    frame["deal_name"] = frame["account"] + " - MES"  # similar deals: fuzzy matching busy
    return frame


def _pipeline_cents(frame: pd.DataFrame) -> int:
    in_q4 = frame["close_date"].between(pd.Timestamp("2026-10-01"), pd.Timestamp("2026-12-31"))
    chosen = frame["stage"].isin(OPEN_STAGES) & in_q4
    return int(np.rint(frame.loc[chosen, "amount"].to_numpy() * 100).astype(np.int64).sum())


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_DEAL, max_size=8), st.lists(_DEAL, max_size=8))
def test_waterfall_reconciles_to_the_cent(prev_deals: list[Any], curr_deals: list[Any]) -> None:
    prev, curr = _frame(prev_deals), _frame(curr_deals)
    movements = deal_movements(prev, curr)
    # every deal of either week is in exactly one row
    assert sorted(movements["prev_row"].dropna().tolist()) == list(range(len(prev)))
    assert sorted(movements["curr_row"].dropna().tolist()) == list(range(len(curr)))
    w = waterfall(movements, "2026-Q4").set_index("step")["cents"]
    assert w["opening"] == _pipeline_cents(prev)
    assert w["closing"] == _pipeline_cents(curr)
    assert w["opening"] + w.drop(["opening", "closing"]).sum() == w["closing"]
    deals = waterfall_deals(movements, "2026-Q4")
    assert (deals["step"] != "").all()
    inflow = deals["step"].isin(["new", "reopened", "pulled_in", "pushed_in"])
    outflow = deals["step"].isin(["pushed_out", "pulled_out", "won", "lost", "dropped"])
    assert (inflow == (~deals["in_opening"] & deals["in_closing"])).all()
    assert (outflow == (deals["in_opening"] & ~deals["in_closing"])).all()
