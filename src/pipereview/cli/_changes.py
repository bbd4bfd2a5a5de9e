"""The ``changes`` command: each team's pipeline against the week before, every deal
counted by how it moved, and the deals whose claimed stage lacks the evidence.

>>> movement_label("pushed")
'close date pushed out'
"""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from pipereview.cli._base import StoreOption, WeekOption, friendly, print_table, state

#: How many deleted or merged deals a line names.
_LISTED = 10

__all__ = [
    "movement_label",
    "print_changes",
    "removed_lines",
]  # the command is reached through pipereview.cli.app


@friendly
def changes(
    week: WeekOption = None,
    store: StoreOption = None,
) -> None:
    """What changed in each team's pipeline since the week before: every deal counted by how
    it moved (new, advanced, moved back, pushed, won, lost, ...; zeros shown), and deals
    whose claimed stage lacks the evidence."""
    from pipereview.history._store import SnapshotStore

    snapshot_store = SnapshotStore(store)
    weeks = snapshot_store.weeks()
    if not weeks:
        state.out.print(f"The store {snapshot_store.root} holds no weeks yet.")
        return
    print_changes(snapshot_store, snapshot_store.require(week) if week else weeks[-1])


def print_changes(store: Any, week: str) -> None:
    """The week's changes per team as ``changes`` and ``demo`` print them: the figures,
    the "not checked" notes and how each deal moved."""
    import pandas as pd

    from pipereview.diagnostics._capabilities import currency_code, not_checked_notes
    from pipereview.diagnostics._changes import week_change_summary
    from pipereview.diagnostics._process import process_gaps
    from pipereview.ingest._schema import open_mask

    summary = week_change_summary(store, week)
    snapshot = store.read(week)
    gaps = process_gaps(snapshot)
    summary["inflated"] = summary["team"].map(_inflated_cells(gaps)).fillna("0")
    summary["currency"] = [currency_code(c) for c in summary["currency"]]
    shown = summary[
        [
            "team",
            "currency",
            "open_deals",
            "open_amount",
            "new_deals",
            "won_amount",
            "lost_amount",
            "net_change",
            "inflated",
        ]
    ].copy()
    shown["net_change"] = [f"{v:+,.0f}" if round(v) else "0" for v in shown["net_change"]]
    # new deals as every section counts them (pipereview.diagnostics._figures); unknown in a first week
    shown["new_deals"] = ["—" if pd.isna(v) else f"{int(v):,}" for v in shown["new_deals"]]
    shown = shown.rename(
        columns={
            "currency": "cur.",
            "open_deals": "open",
            "open_amount": "open amount",
            "new_deals": "new deals",
            "won_amount": "won amount",
            "lost_amount": "lost amount",
            "net_change": "net change",
        }
    )
    print_table(
        shown,
        f"Changes in {week} against the week before "
        "(inflated: open deals whose stage lacks the evidence)",
    )
    opened = snapshot[open_mask(snapshot)]
    for team, deals in opened.groupby("team", sort=True):
        for note in not_checked_notes(deals, "en", ("stage_inflation",)):
            state.out.print(Text(f"{team}: {note}"))
    state.out.print(_movement_table(summary))
    for line in removed_lines(store, week):
        state.out.print(Text(line))


def removed_lines(store: Any, week: str) -> list[str]:
    """The deals the week records as deleted or merged in the CRM (a pull found them), so
    that no one chases them as deals dropped from the export."""
    from pipereview.history._storesummary import removed_deals

    removed = removed_deals(store, week)
    deleted = removed[removed["how"] == "deleted"]
    merged = removed[removed["how"] == "merged"]
    lines = []
    if len(deleted):
        listed = _listed([str(d) for d in deleted["deal_id"]])
        lines.append(f"deleted in the CRM ({len(deleted)}; not deals to chase): {listed}")
    if len(merged):
        pairs = [f"{d} into {i}" for d, i in zip(merged["deal_id"], merged["into"], strict=True)]
        lines.append(f"merged into another deal in the CRM ({len(merged)}): {_listed(pairs)}")
    return lines


def _listed(items: list[str]) -> str:
    """The first :data:`_LISTED` items, and how many more."""
    more = len(items) - _LISTED
    return ", ".join(items[:_LISTED]) + (f" and {more} more" if more > 0 else "")


def _inflated_cells(gaps: Any) -> dict[str, str]:
    """Per team, the inflated deals as the ``changes`` table shows them: a count, "not
    checked" when the export records no evidence for any deal past the first stage, and
    how many could not be checked beside the count when only some could."""
    cells = {}
    for team, part in gaps.groupby("team", sort=True):
        inflated, unchecked = int(part["inflated"].sum()), int((~part["evidence_checked"]).sum())
        past_first = int((part["claimed_index"] > 1).sum())
        if unchecked and unchecked == past_first and not inflated:
            cells[str(team)] = "not checked"
        elif unchecked:
            cells[str(team)] = f"{inflated} ({unchecked} not checked)"
        else:
            cells[str(team)] = str(inflated)
    return cells


def _movement_table(summary: Any) -> Table:
    """The deals of each team (and currency) counted by how they moved: one line per
    category of :data:`pipereview.diagnostics._changes.SUMMARY_CATEGORIES`, zeros included, with the
    counts of :func:`~pipereview.diagnostics._changes.change_summary` (the API's own)."""
    from pipereview.diagnostics._changes import SUMMARY_CATEGORIES

    table = Table(
        "deals",
        title="How each deal moved (each deal counted once, under the first line that applies)",
    )
    for row in summary.itertuples(index=False):  # names from the export: never markup
        table.add_column(Text(f"{row.team} {row.currency}".strip()), justify="right")
    for category in SUMMARY_CATEGORIES:
        table.add_row(movement_label(category), *[str(int(v)) for v in summary[category]])
    return table


def movement_label(category: str) -> str:
    """How ``changes`` names a movement category of :mod:`pipereview.history._movements` (the
    dashboard's words; ``new`` said apart from the "new deals" figure, which counts deals
    first stored this week).

    >>> movement_label("regressed"), movement_label("new")
    ('moved back a stage', "open, not in last week's export")
    """
    from pipereview.core import CATEGORY_LABELS

    return "open, not in last week's export" if category == "new" else CATEGORY_LABELS[category][0]
