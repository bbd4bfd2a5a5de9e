"""Deals deleted or merged in the CRM (a pull records them with their week): counted on a
line of their own, "deleted or merged in the CRM", never as deals dropped from the export,
in the changes, the waterfall, the review, the dashboard and the batch's history file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipereview.history import SnapshotStore, deal_movements, ingest_week, load_history
from pipereview.history._historyfile import read_history_file

HEADER = "Record ID,Deal Name,Deal owner,Deal Stage,Amount,Close Date,Create Date,HubSpot Team\n"
ROWS = {
    "101": "101,Robot cell,Ann Lee,Contract Sent,1200,2026-12-18,2026-09-01,West\n",
    "102": "102,Line 2,Bo Chen,Contract Sent,800,2026-12-20,2026-10-20,West\n",
    "103": "103,Press,Cy Diaz,Contract Sent,500,2026-12-21,2026-10-20,West\n",
}


def _store(tmp_path: Path) -> Path:
    """W46 holds 101, 102 and 103; W47 only 101: 102 was deleted in the CRM (the pull
    recorded it), 103 just vanished from the export."""
    root = tmp_path / "store"
    for week, ids in (("2026-W46", ("101", "102", "103")), ("2026-W47", ("101",))):
        path = tmp_path / f"{week}.csv"
        path.write_text(HEADER + "".join(ROWS[i] for i in ids), encoding="utf-8")
        removed = pd.DataFrame(
            {"deal_id": ["102"], "how": ["deleted"], "into": [""], "at": ["2026-11-18T10:00Z"]}
        )
        ingest_week([path], week=week, store=root, removed=removed if ids == ("101",) else None)
    return root


def test_the_changes_count_a_deleted_deal_apart(tmp_path: Path) -> None:
    from pipereview.diagnostics._changes import week_change_summary

    row = week_change_summary(SnapshotStore(_store(tmp_path)), "2026-W47").iloc[0]
    assert (row["removed"], row["dropped"], row["unchanged"]) == (1, 1, 1)


def test_the_review_the_dashboard_and_the_batch_file_carry_it(tmp_path: Path) -> None:
    from pipereview.dashboard.data import DashboardData
    from pipereview.dashboard.tabs import render
    from pipereview.dashboard.view import View
    from pipereview.delivery._review import WeeklyReview

    history = load_history(_store(tmp_path))
    review = WeeklyReview(history, team="West", week="2026-W47")
    body = review.changes_section().body
    assert "deleted or merged in the CRM: 1" in body and "dropped from the export: 1" in body
    page = render(DashboardData(history), "changes", View("West", "2026-W47"))
    assert "deleted or merged in the CRM" in page
    # the batch hands kernels the history as a Parquet file: the record travels with it
    path = tmp_path / "history.parquet"
    history.to_parquet(path, index=False)
    again = read_history_file(path)
    prev, curr = (again[again["snapshot_week"] == w] for w in ("2026-W46", "2026-W47"))
    moves = deal_movements(prev, curr).set_index("deal_id")
    assert moves["category"].to_dict() == {"101": "unchanged", "102": "removed", "103": "dropped"}
