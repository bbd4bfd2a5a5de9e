"""What the exports read one row per record beside the deals share (the forecast calls, the
activities, leads and invoices): the result object with its row accounting, the count of
every row below the header as used, quarantined or skipped, and the refusal of an export
none of whose rows can be used.

>>> from dataclasses import fields
>>> [f.name for f in fields(CountedExport)][:4]
['rows_read', 'rows_used', 'rows_quarantined', 'rows_skipped']
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipereview.core._errors import Problem
from pipereview.ingest._peek import ExportPeek
from pipereview.ingest._rowcount import check_each_row_counted, refuse_no_usable_row
from pipereview.ingest._rowkind import skipped_rows

__all__ = ["CountedExport", "RowCounts", "count_rows"]

#: Reads the rows neither blank, nor footers, nor cut to the header: their frame (with a
#: ``source_row`` column) and the first problem of each row set aside, by row.
RowReader = Callable[[pd.DataFrame], tuple[pd.DataFrame, dict[int, Problem]]]


@dataclass(frozen=True)
class RowCounts:
    """How the rows of an export read one row per record were counted:
    ``rows_read == rows_used + rows_quarantined + rows_skipped``; ``problems`` one per row
    set aside, ``skipped`` the reasons rows were skipped with their counts, ``source`` the
    file."""

    rows_read: int
    rows_used: int
    rows_quarantined: int
    rows_skipped: int
    problems: tuple[Problem, ...]
    skipped: dict[str, int]
    source: Path


@dataclass(frozen=True)
class CountedExport(RowCounts):
    """One export in its canonical columns (then ``source_file`` and ``source_row``) and
    how its rows were counted; ``missing`` the optional columns the export does not have."""

    frame: pd.DataFrame
    missing: tuple[str, ...]


def count_rows(
    peek: ExportPeek,
    raw: pd.DataFrame,
    identity: Mapping[str, str],
    read: RowReader,
    *,
    what: str,
    hint: str,
    noun: str = "row",
) -> dict[str, Any]:
    """The :class:`CountedExport` fields (but ``missing``) of the rows below the header:
    rows wider than the header set aside, blank rows and report footers (told by the
    ``identity`` columns) skipped, the rest read by ``read``; every row checked to be
    counted once, and the export refused (naming ``what`` and ``hint``) when no row is
    usable."""
    file = str(peek.path)
    long_rows = {
        p.row: Problem(file, p.row, p.column, p.expected, p.got, p.hint)
        for p in raw.attrs.get("long_rows", ())
        if p.row is not None
    }
    protected = pd.Series(raw.index.isin(list(long_rows)), index=raw.index)
    blank, footer = skipped_rows(raw, dict(identity), protected)
    frame, problems_by_row = read(raw[~blank & ~footer & ~protected])
    problems_by_row = {**problems_by_row, **long_rows}
    skipped = {int(r): "blank row" for r in raw.index[blank]}
    skipped.update({int(r): "report footer or total row" for r in raw.index[footer]})
    check_each_row_counted(
        peek.path,
        raw.index.tolist(),
        used=set(frame["source_row"].tolist()),
        quarantined=set(problems_by_row),
        skipped=set(skipped),
    )
    problems = tuple(problems_by_row[r] for r in sorted(problems_by_row))
    reasons = dict(Counter(skipped.values()).most_common())
    if frame.empty:
        refuse_no_usable_row(peek, len(raw), problems, reasons, what=what, hint=hint, noun=noun)
    return {
        "frame": frame,
        "rows_read": len(raw),
        "rows_used": len(frame),
        "rows_quarantined": len(problems),
        "rows_skipped": len(skipped),
        "problems": problems,
        "skipped": reasons,
        "source": peek.path,
    }
