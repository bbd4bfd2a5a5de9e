"""What a first look at an export file finds (kind, header row, encoding, sheet): shared
by the CSV reader (:mod:`pipereview.ingest._readers`) and the XLSX reader (:mod:`pipereview.ingest._xlsx`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pipereview.ingest._limits import DEFAULT_LIMITS, ReadLimits

__all__ = ["HEADER_SCAN_ROWS", "MIN_HEADER_MATCHES", "ExportPeek", "FileKind"]

FileKind = Literal["csv", "xlsx", "parquet"]
#: rows searched for the header (report titles may sit above it)
HEADER_SCAN_ROWS = 30
#: known column names a row must hold to be taken for the header below title rows
MIN_HEADER_MATCHES = 3


@dataclass(frozen=True)
class ExportPeek:
    """What :func:`peek_export` learnt about a file before reading it whole."""

    path: Path
    kind: FileKind
    header: tuple[str, ...]
    header_row: int  # 1-based row of the header, as a spreadsheet numbers rows
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    repairs: tuple[str, ...] = field(default=())
    #: the rows above the header (report titles, blank lines), as (row number, cells),
    #: so that they can be shown in the quarantine file with the rows skipped below
    title_rows: tuple[tuple[int, tuple[str, ...]], ...] = field(default=())
    #: XLSX cells merged down one column below the header, as (column, first row, last
    #: row), 1-based: every cell of the range takes the value the merged cell shows
    merged_fill: tuple[tuple[int, int, int], ...] = field(default=())
    #: XLSX header cells merged over several columns, as (range, name, column): the
    #: columns after the first have no name of their own and must hold no values
    merged_header: tuple[tuple[str, str, int], ...] = field(default=())
    #: the limits the file is read under (cell size, rows, columns, unpacked size)
    limits: ReadLimits = DEFAULT_LIMITS


def column_names(header: tuple[str, ...]) -> list[str]:
    """The header as column names, blank ones named by position (``Unnamed: 3``)."""
    return [name or f"Unnamed: {number}" for number, name in enumerate(header, start=1)]
