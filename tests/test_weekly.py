"""The week's change summary per team, checked by hand."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipereview.errors import WeekNotFoundError
from pipereview.store import SnapshotStore
from pipereview.weekly import change_summary, week_change_summary

DAY = pd.Timestamp("2026-12-15")


def deal(deal_id: str, stage: str, amount: float, *, team: str = "North",
         close: pd.Timestamp = DAY) -> dict[str, object]:
    return {"deal_id": deal_id, "deal_name": f"Deal {deal_id}", "account": f"Acct {deal_id}",
            "team": team, "owner": "Ann", "stage": stage, "stage_model": "generic_4",
            "amount": amount, "currency": "USD", "close_date": close}


def test_every_count_and_amount_by_hand() -> None:
    prev = pd.DataFrame([
        deal("A", "solution_quote", 100.0), deal("B", "negotiation", 50.0),
        deal("C", "needs_confirmed", 40.0), deal("D", "negotiation", 70.0),
        deal("E", "initial_contact", 10.0), deal("Z", "initial_contact", 5.0, team="West"),
    ])
    curr = pd.DataFrame([
        deal("A", "negotiation", 100.0),                               # advanced
        deal("B", "won", 55.0),                                         # won at 55
        deal("C", "needs_confirmed", 40.0, close=DAY + pd.Timedelta(days=30)),  # pushed
        deal("D", "lost", 70.0),                                        # lost 70
        deal("F", "initial_contact", 25.0),                             # new; E dropped
        deal("Z", "initial_contact", 5.0, team="West"),                 # unchanged
    ])
    rows = change_summary(prev, curr).set_index("team")
    north = rows.loc["North"]
    # open now: A 100 + C 40 + F 25 = 165; open before: 100 + 50 + 40 + 70 + 10 = 270
    assert (north["open_deals"], north["open_amount"], north["net_change"]) == (3, 165.0, -105.0)
    assert [north[c] for c in ("new", "advanced", "pushed", "won", "lost", "dropped")] == [
        1, 1, 1, 1, 1, 1]
    assert (north["won_amount"], north["lost_amount"]) == (55.0, 70.0)
    west = rows.loc["West"]
    assert (west["open_deals"], west["net_change"], west["new"]) == (1, 0.0, 0)


def test_first_week_counts_every_open_deal_as_new() -> None:
    curr = pd.DataFrame([deal("A", "negotiation", 100.0), deal("B", "won", 5.0)])
    row = change_summary(None, curr).iloc[0]
    assert (row["new"], row["won"], row["open_deals"], row["net_change"]) == (1, 1, 1, 100.0)


def test_missing_week_names_the_stored_ones(tmp_path: Path) -> None:
    with pytest.raises(WeekNotFoundError, match="none"):
        week_change_summary(SnapshotStore(tmp_path), "2026-W47")
