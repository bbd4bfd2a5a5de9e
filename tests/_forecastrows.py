"""Tiny histories of the forecast, trend, pacing, forecast-method and backtest tests: one
row per deal and week, on the generic four-step model (negotiation 0.75, solution_quote
0.5)."""

from __future__ import annotations

from typing import Any

import pandas as pd


def deal_row(
    week: str,
    deal: str,
    stage: str,
    amount: float,
    close: str,
    *,
    team: str = "N",
    owner: str = "Ann",
    category: str | None = "commit",
    probability: float | None = None,
    created: str = "2025-12-01",
    name: str = "{}",
    account: str = "{}",
) -> dict[str, Any]:
    """One snapshot row (``name`` and ``account``: the deal's name and account, ``{}``
    standing for the deal ID)."""
    return {
        "snapshot_week": week,
        "team": team,
        "deal_id": deal,
        "deal_name": name.format(deal),
        "account": account.format(deal),
        "owner": owner,
        "stage": stage,
        "stage_model": "generic_4",
        "amount": amount,
        "currency": "USD",
        "close_date": pd.Timestamp(close),
        "created_date": pd.Timestamp(created),
        "probability": probability,
        "forecast_category": category,
    }


def history(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The rows as a history frame."""
    return pd.DataFrame(rows).astype({"probability": "float64", "amount": "float64"})


def calls(rows: list[tuple[str, str, str, float]], *, team: str = "N") -> pd.DataFrame:
    """A calls frame in the canonical shape from (week, period, rep, commit) rows."""
    return pd.DataFrame(
        {
            "week": [r[0] for r in rows],
            "period": [r[1] for r in rows],
            "team": team,
            "level": "rep",
            "rep": [r[2] for r in rows],
            "commit": [r[3] for r in rows],
            "best_case": float("nan"),
            "pipeline": float("nan"),
            "currency": "USD",
            "submitted": pd.NaT,
        }
    )
