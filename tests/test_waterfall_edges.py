"""pipereview.diagnostics._waterfall at the edges of the period window: close dates on the
first and last day, the day before and the day after, deals moving across each edge, and
deals without a close date, hand-computed deal by deal and step by step."""

from __future__ import annotations

import pandas as pd
import pytest

from pipereview.diagnostics._waterfall import STEPS, waterfall, waterfall_deals
from pipereview.history._movements import deal_movements
from test_waterfall import snap

# Q4 2026 runs from 2026-10-01 to 2026-12-31; amounts are powers of two so every sum is unique.
EDGE_PREV = snap(
    [
        ("FIRST", "negotiation", 1.0, "2026-10-01"),
        ("LAST", "negotiation", 2.0, "2026-12-31"),
        ("AFTER", "negotiation", 4.0, "2027-01-01"),
        ("PIN", "negotiation", 8.0, "2027-01-01"),
        ("PSO", "negotiation", 16.0, "2026-12-31"),
        ("PSI", "negotiation", 32.0, "2026-09-30"),
        ("PLO", "negotiation", 64.0, "2026-10-01"),
        ("BEFORE", "negotiation", 128.0, "2026-09-30"),
        ("NODATE", "negotiation", 256.0, None),
        ("DATED", "negotiation", 512.0, None),
        ("UNDATED", "negotiation", 1024.0, "2026-11-01"),
    ]
)
EDGE_CURR = snap(
    [
        ("FIRST", "negotiation", 1.0, "2026-10-01"),  # first day, both weeks
        ("LAST", "negotiation", 2.0, "2026-12-31"),  # last day, both weeks
        ("AFTER", "negotiation", 4.0, "2027-01-01"),  # the day after, both weeks
        ("PIN", "negotiation", 8.0, "2026-12-31"),  # day after -> last day
        ("PSO", "negotiation", 16.0, "2027-01-01"),  # last day -> day after
        ("PSI", "negotiation", 32.0, "2026-10-01"),  # day before -> first day
        ("PLO", "negotiation", 64.0, "2026-09-30"),  # first day -> day before
        ("BEFORE", "negotiation", 128.0, "2026-09-30"),  # the day before, both weeks
        ("NODATE", "negotiation", 256.0, None),  # no close date, both weeks
        ("DATED", "negotiation", 512.0, "2026-11-01"),  # gets a close date in the period
        ("UNDATED", "negotiation", 1024.0, None),  # loses its close date
    ]
)

ARROW = {
    "close_date_from": "timestamp[ns][pyarrow]",
    "close_date_to": "timestamp[ns][pyarrow]",
    "state_from": "string[pyarrow]",
    "state_to": "string[pyarrow]",
}


def edge_movements(backend: str) -> pd.DataFrame:
    """The edge deals' movements; ``"pyarrow"``: dates and states as read from Parquet with
    the pyarrow backend, where a missing close date compares as missing, not as False."""
    movements = deal_movements(EDGE_PREV, EDGE_CURR)
    return movements.astype(ARROW) if backend == "pyarrow" else movements


@pytest.mark.parametrize("backend", ["numpy", "pyarrow"])
def test_each_deal_at_the_window_edges(backend: str) -> None:
    movements = edge_movements(backend)
    deals = waterfall_deals(movements, "2026-Q4")
    # AFTER, BEFORE and NODATE are in neither pipeline; the others keep their movements row
    expected = pd.DataFrame(
        {
            "deal_id": ["FIRST", "LAST", "PIN", "PSO", "PSI", "PLO", "DATED", "UNDATED"],
            "step": [
                "unchanged",
                "unchanged",
                "pulled_in",
                "pushed_out",
                "pushed_in",
                "pulled_out",
                "pushed_in",  # open last week outside the period: no close date
                "pulled_out",  # open now outside the period: no close date
            ],
            "in_opening": [True, True, False, True, False, True, False, True],
            "in_closing": [True, True, True, False, True, False, True, False],
            "opening_cents": [100, 200, 0, 1600, 0, 6400, 0, 102400],
            "closing_cents": [100, 200, 800, 0, 3200, 0, 51200, 0],
            "change_cents": [0, 0, 800, -1600, 3200, -6400, 51200, -102400],
        },
        index=[0, 1, 3, 4, 5, 6, 9, 10],
    ).astype({"deal_id": "str", "step": "str"})
    pd.testing.assert_frame_equal(deals[list(expected.columns)], expected)
    assert list(deals.columns) == [
        *movements.columns,
        "step",
        "in_opening",
        "in_closing",
        "opening_cents",
        "closing_cents",
        "change_cents",
    ]


@pytest.mark.parametrize("backend", ["numpy", "pyarrow"])
def test_waterfall_at_the_window_edges(backend: str) -> None:
    w = waterfall(edge_movements(backend), "2026-Q4")
    deals = {"opening": 5, "pulled_in": 1, "pushed_in": 2, "pushed_out": 1, "pulled_out": 2}
    cents = {
        "opening": 110700,  # FIRST LAST PSO PLO UNDATED
        "pulled_in": 800,
        "pushed_in": 54400,  # PSI DATED
        "pushed_out": -1600,
        "pulled_out": -108800,  # PLO UNDATED
        "closing": 55500,  # FIRST LAST PIN PSI DATED
    }
    deals["closing"] = 5
    expected = pd.DataFrame(
        {
            "step": pd.Series(list(STEPS), dtype="str"),
            "kind": pd.Series(
                ["start", "inflow", "inflow", "inflow", "outflow", "inflow", "inflow"]
                + ["outflow"] * 6
                + ["end"],
                dtype="str",
            ),
            "deals": pd.Series([deals.get(s, 0) for s in STEPS], dtype="int64"),
            "cents": pd.Series([cents.get(s, 0) for s in STEPS], dtype="int64"),
            "amount": pd.Series([cents.get(s, 0) / 100 for s in STEPS], dtype="float64"),
            "currency": pd.Series(["USD"] * len(STEPS), dtype="str"),
        }
    )
    pd.testing.assert_frame_equal(w, expected)


@pytest.mark.parametrize(
    ("prev_date", "curr_date", "step"),
    [
        ("2026-11-16 00:00", "2026-11-16 00:00", "unchanged"),  # first moment of the period
        ("2026-11-22 23:59", "2026-11-22 23:59", "unchanged"),  # last minute of the period
        ("2026-11-23 00:00", "2026-11-22 23:59", "pulled_in"),
        ("2026-11-22 23:59", "2026-11-23 00:00", "pushed_out"),
        ("2026-11-15 23:59", "2026-11-16 00:00", "pushed_in"),
        ("2026-11-16 00:00", "2026-11-15 23:59", "pulled_out"),
        ("2026-11-23 00:00", "2026-11-23 00:00", None),  # the next day: outside
        ("2026-11-15 23:59", "2026-11-15 23:59", None),  # the day before: outside
    ],
)
def test_a_week_period_includes_both_days_whole(
    prev_date: str, curr_date: str, step: str | None
) -> None:
    movements = deal_movements(
        snap([("A", "negotiation", 10.0, prev_date)]), snap([("A", "negotiation", 10.0, curr_date)])
    )
    deals = waterfall_deals(movements, ("2026-11-16", "2026-11-22"))
    assert deals["step"].tolist() == ([] if step is None else [step])
