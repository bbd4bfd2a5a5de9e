"""Row accounting of the exports read as one row per record (change histories, activities,
leads, invoices): the rows below the header read and checked against the file's own count
of records, every row used, quarantined or skipped exactly once, and the refusal of a file
none of whose rows can be used.

>>> check_each_row_counted("a.csv", [2, 3, 4], used={2}, quarantined={3}, skipped={4})
>>> try:
...     check_each_row_counted("a.csv", [2, 3], used={2}, quarantined=set(), skipped=set())
... except InputError as refused:
...     print(refused.row, refused.hint)
3 look at that row in a text editor for a stray quote or an odd character
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import NoReturn

import pandas as pd

from pipereview.core._errors import InputError, Problem
from pipereview.ingest._accounting import scan_export
from pipereview.ingest._limits import ReadLimits
from pipereview.ingest._peek import ExportPeek, column_names
from pipereview.ingest._readers import read_rows

__all__ = ["check_each_row_counted", "read_counted_rows", "refuse_no_usable_row"]


def read_counted_rows(peek: ExportPeek, limits: ReadLimits) -> tuple[ExportPeek, pd.DataFrame]:
    """The rows below the header (rows wider than it kept, for the caller to quarantine),
    refused when a CSV file's own count of records disagrees with the rows read."""
    peek, scan = scan_export(peek, limits)
    raw = read_rows(peek, column_names(peek.header), long_rows="keep")
    if scan is not None and scan.records - peek.header_row != len(raw):
        raise InputError(
            f"{peek.path}: {len(raw)} rows read below the header but the file holds "
            f"{scan.records - peek.header_row}: expected every row counted once",
            file=peek.path,
            expected="every row counted once",
            hint="save the file again as 'CSV UTF-8' from a spreadsheet program",
        )
    return peek, raw


def check_each_row_counted(
    path: str | Path,
    rows: Iterable[int],
    *,
    used: set[int],
    quarantined: set[int],
    skipped: set[int],
) -> None:
    """Every row of ``rows`` (as a spreadsheet numbers them) is used, quarantined or
    skipped exactly once, and nothing else is counted."""
    everything = set(rows)
    twice = (used & quarantined) | (used & skipped) | (quarantined & skipped)
    missing = everything - used - quarantined - skipped
    odd = sorted(twice | missing | ((used | quarantined | skipped) - everything))
    if odd:
        raise InputError(
            f"{path}: row {odd[0]} is not counted once as used, quarantined or skipped: "
            "expected every row counted once",
            file=path,
            row=odd[0],
            expected="every row used, quarantined or skipped once",
            hint="look at that row in a text editor for a stray quote or an odd character",
        )


def refuse_no_usable_row(
    peek: ExportPeek,
    rows_read: int,
    problems: Sequence[Problem],
    skipped: Mapping[str, int],
    *,
    what: str,
    hint: str,
    noun: str = "row",
) -> NoReturn:
    """Refuse a file none of whose ``rows_read`` rows is usable (``what``: what a usable
    row is; ``noun``: what the message calls it), naming the rows quarantined and skipped
    and the first problem."""
    why = "; ".join(f"{count} {reason}" for reason, count in skipped.items())
    first = f"; first problem: {problems[0]}" if problems else ""
    raise InputError(
        f"{peek.path}: no usable {noun} in {rows_read} rows below the header (row "
        f"{peek.header_row}): {len(problems)} quarantined"
        + (f", skipped: {why}" if why else "")
        + first,
        file=peek.path,
        row=problems[0].row if problems else peek.header_row + 1,
        column=problems[0].column if problems else None,
        expected=f"at least one {what}",
        problems=tuple(problems),
        hint=hint,
    )
