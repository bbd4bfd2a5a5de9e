"""Every value and name checked at the boundary: dates, placeholders, non-finite and huge
amounts, control characters, team and rep names, currencies, footer heuristics and the row
problems a reader hands over. Each test states what a user sees: the row kept or rejected,
the message naming row, column and value, and the count in the report."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import pipereview.ingest as ingest_module
from pipereview.errors import Problem
from pipereview.ingest import read_export
from pipereview.readers import read_rows

WEEK = "2026-W47"
HEADER = ("Record ID", "Deal Name", "Deal Stage", "Deal owner", "Amount", "Currency",
          "Deal probability", "Close Date", "Create Date", "Last Activity Date", "Next step",
          "HubSpot Team", "Associated Company")
FIELDS = {"id": "Record ID", "name": "Deal Name", "stage": "Deal Stage", "owner": "Deal owner",
          "amount": "Amount", "currency": "Currency", "probability": "Deal probability",
          "close": "Close Date", "created": "Create Date", "activity": "Last Activity Date",
          "next": "Next step", "team": "HubSpot Team", "account": "Associated Company"}


def deal(n: int, **cells: str) -> dict[str, str]:
    """A good HubSpot deal row, with ``cells`` (keys of FIELDS) replaced."""
    row = {"id": str(1000 + n), "name": f"Deal {n}", "stage": "Qualified To Buy",
           "owner": "Mei Tanaka", "amount": "1000", "currency": "USD", "probability": "0.4",
           "close": "2026-12-15", "created": "2026-10-01", "activity": "2026-11-19",
           "next": "call", "team": "West", "account": f"Account {n}"}
    row.update(cells)
    return row


def write_export(path: Path, rows: list[dict[str, str]], header: tuple[str, ...] = HEADER,
                 after: str = "") -> Path:
    """A HubSpot CSV of ``rows`` (keys of FIELDS); ``after`` is raw text appended."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    keys = {v: k for k, v in FIELDS.items()}
    for row in rows:
        writer.writerow([row.get(keys[h], "") for h in header])
    path.write_text(out.getvalue() + after, encoding="utf-8", newline="")
    return path


def accounted(result: Any) -> None:
    report = result.report
    assert report.rows_read == report.rows_kept + report.rows_rejected + report.rows_skipped
    assert len(result.quarantine) == report.rows_rejected + report.rows_skipped


# --- row problems handed over by a reader ----------------------------------------------

def test_reader_row_problems_reject_their_rows(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_export(tmp_path / "x.csv", [deal(1), deal(2), deal(3)])
    formula = Problem(str(path), 3, "Amount", "a saved value (the workbook was saved "
                      "without computing its formulas)", "=SUM(E2:E2)", "open and save in Excel")

    def reader(*args: Any, **kwargs: Any) -> pd.DataFrame:
        frame = read_rows(*args, **kwargs)
        frame.attrs["row_problems"] = (formula,)
        return frame

    monkeypatch.setattr(ingest_module, "read_rows", reader)
    result = read_export(path, week=WEEK)
    report = result.report
    assert (report.rows_read, report.rows_kept, report.rows_rejected, report.rows_skipped) == (
        3, 2, 1, 0)
    assert result.snapshot["deal_id"].tolist() == ["1001", "1003"]
    assert formula in report.problems
    assert report.problem_count == 1
    assert result.quarantine["row"].tolist() == [3]
    reason = result.quarantine["reason"].iloc[0]
    assert "Amount" in reason and "=SUM(E2:E2)" in reason and "a saved value" in reason
    accounted(result)


def test_reader_problem_on_a_row_that_looks_blank_is_rejected_not_skipped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a formula row whose every other cell is empty: the reader's problem wins
    path = write_export(tmp_path / "x.csv", [deal(1), dict.fromkeys(FIELDS, ""), deal(3)])
    problem = Problem(str(path), 3, "Amount", "a saved value", "=A1*2")

    def reader(*args: Any, **kwargs: Any) -> pd.DataFrame:
        frame = read_rows(*args, **kwargs)
        frame.attrs["row_problems"] = (problem, problem)  # two cells of one row
        return frame

    monkeypatch.setattr(ingest_module, "read_rows", reader)
    result = read_export(path, week=WEEK)
    assert (result.report.rows_kept, result.report.rows_rejected,
            result.report.rows_skipped) == (2, 1, 0)
    accounted(result)
