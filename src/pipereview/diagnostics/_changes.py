"""The week at a glance: what changed in each team's pipeline since last week.

>>> day = pd.Timestamp("2026-12-15")
>>> base = {"team": "North", "owner": "Ann", "account": "Acme", "stage_model": "generic_4",
...         "currency": "USD", "close_date": day}
>>> prev = pd.DataFrame([{**base, "deal_id": "D1", "deal_name": "MES", "stage": "solution_quote",
...                       "amount": 100.0},
...                      {**base, "deal_id": "D2", "deal_name": "ERP", "stage": "negotiation",
...                       "amount": 50.0}])
>>> curr = pd.DataFrame([{**base, "deal_id": "D1", "deal_name": "MES", "stage": "negotiation",
...                       "amount": 120.0},
...                      {**base, "deal_id": "D2", "deal_name": "ERP", "stage": "won",
...                       "amount": 50.0},
...                      {**base, "deal_id": "D3", "deal_name": "WMS", "stage": "initial_contact",
...                       "amount": 30.0}])
>>> change_summary(prev, curr)[["team", "open_deals", "open_amount", "new", "advanced",
...                             "won", "won_amount", "net_change"]].to_dict("records")
[{'team': 'North', 'open_deals': 2, 'open_amount': 150.0, 'new': 1, 'advanced': 1, 'won': 1, 'won_amount': 50.0, 'net_change': 0.0}]
"""

from __future__ import annotations

import pandas as pd

from pipereview.history._movements import deal_movements
from pipereview.history._store import SnapshotStore

__all__ = ["SUMMARY_CATEGORIES", "change_summary", "week_change_summary"]

#: Movement categories counted in the summary, in the order a manager reads them: every
#: primary category of :data:`pipereview.history._movements.CATEGORIES`, so a team's counts add up
#: to the deals of its two snapshots (moves back and unchanged deals included).
SUMMARY_CATEGORIES: tuple[str, ...] = (
    "new",
    "advanced",
    "regressed",
    "pushed",
    "pulled_in",
    "amount_up",
    "amount_down",
    "won",
    "lost",
    "dropped",
    "removed",
    "reopened",
    "unchanged",
)


def change_summary(prev: pd.DataFrame | None, curr: pd.DataFrame) -> pd.DataFrame:
    """One row per team and currency: open deals and amount now, how many deals moved in each way
    (by primary category, see :mod:`pipereview.history._movements`), the amounts won and lost, and
    the net change of the open pipeline (this week's open amount minus last week's).

    ``prev`` is None in the first stored week (every open deal counts as new). A team
    whose deals are in more than one currency gets one row per currency, each with the
    sums of its own deals: amounts of two currencies are never added.
    """
    moves = deal_movements(prev, curr)
    open_now = moves["state_to"] == "open"
    open_before = moves["state_from"] == "open"
    currency = moves["currency"].astype("object").where(moves["currency"].notna(), "")
    rows = []
    # amounts of different currencies are never added: a team whose deals are in two
    # currencies (a store written before ingest refused that) gets a row per currency
    for (team, code), part in moves.groupby([moves["team"], currency.astype(str)], sort=True):
        now, before = open_now.loc[part.index], open_before.loc[part.index]
        open_amount = float(part.loc[now, "amount_to"].sum())
        row: dict[str, object] = {
            "team": team,
            "currency": code,
            "open_deals": int(now.sum()),
            "open_amount": open_amount,
        }
        for category in SUMMARY_CATEGORIES:
            row[category] = int((part["category"] == category).sum())
        row["won_amount"] = float(part.loc[part["category"] == "won", "amount_to"].sum())
        row["lost_amount"] = float(part.loc[part["category"] == "lost", "amount_from"].sum())
        row["net_change"] = open_amount - float(part.loc[before, "amount_from"].sum())
        row["ambiguous"] = int(part["ambiguous"].fillna(False).astype(bool).sum())
        rows.append(row)
    return pd.DataFrame(rows)


def week_change_summary(store: SnapshotStore, week: str) -> pd.DataFrame:
    """:func:`change_summary` of a stored week against the stored week before it, with
    ``new_deals``: the team's new deals of the week as every section counts them
    (:func:`pipereview.diagnostics._figures.new_deals`: deals first stored in this week's export, over
    all stored weeks; NaN in the team's first stored week). The movement category ``new``
    differs on purpose: it counts open deals absent from last week's export (a deal back
    after a gap is one; a deal first seen already won is counted as won)."""
    from pipereview.diagnostics._figures import new_deals
    from pipereview.history._loader import load_history
    from pipereview.history._storesummary import REMOVED_ATTRS, removed_text

    weeks = store.weeks()
    position = weeks.index(str(week)) if str(week) in weeks else -1
    if position < 0:
        store.read(week)  # raises WeekNotFoundError with the stored weeks in the hint
    prev = store.read(weeks[position - 1]) if position > 0 else None
    curr = store.read(week)
    if (removed := removed_text(store, [str(week)])) is not None:
        curr.attrs[REMOVED_ATTRS] = removed  # the deals deleted or merged in the CRM
    summary = change_summary(prev, curr)
    if summary.empty:
        return summary.assign(new_deals=pd.Series(dtype=float))
    counts = new_deals(load_history(store, last=week), week)
    summary["new_deals"] = summary["team"].map(counts.set_index("team")["new_deals"])
    return summary
