"""The small hand-built histories the dashboard tests share."""

from __future__ import annotations

import pandas as pd


def deal_row(
    week: str,
    team: str,
    deal: str,
    owner: str,
    stage: str,
    amount: float,
    close: str = "2026-12-18",
    name: str | None = None,
) -> dict[str, object]:
    """One stored row of a deal, keyed by its id, in EUR on the generic_4 model."""
    return {
        "snapshot_week": week,
        "team": team,
        "deal_id": deal,
        "deal_key": deal,
        "deal_name": name or f"Deal {deal}",
        "account": f"Account {deal}",
        "owner": owner,
        "stage": stage,
        "stage_model": "generic_4",
        "amount": amount,
        "currency": "EUR",
        "close_date": pd.Timestamp(close),
        "probability": float("nan"),
    }


def two_teams(
    *, n2_latest: str = "needs_confirmed", w1_latest: str = "solution_quote"
) -> pd.DataFrame:
    """Two weeks of North (Ann, Bob) and one of West (Cy); the latest stages of Bob's N2
    and Cy's W1 are given (e.g. ``"won"``)."""
    return pd.DataFrame(
        [
            deal_row("2026-W46", "North", "N1", "Ann", "initial_contact", 1000.0),
            deal_row("2026-W46", "North", "N2", "Bob", "needs_confirmed", 400.0),
            deal_row("2026-W47", "North", "N1", "Ann", "needs_confirmed", 1000.0),
            deal_row("2026-W47", "North", "N2", "Bob", n2_latest, 400.0),
            deal_row("2026-W47", "North", "N3", "Ann", "initial_contact", 200.0),
            deal_row("2026-W47", "West", "W1", "Cy", w1_latest, 800.0),
        ]
    )
