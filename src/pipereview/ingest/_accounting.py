"""Row accounting: every record of an export is stored, quarantined or skipped with a reason,
checked against a count of the file's records made independently of the reader.

Private to :mod:`pipereview.ingest._export`, which calls :func:`scan_export` before reading the
rows and :func:`check_accounting` after building the snapshot. The independent count is,
for CSV, the records found from the file's line ends and quotes
(:mod:`pipereview.ingest._csvscan`); for XLSX, the last row of the sheet's XML holding a value,
whatever the sheet's ``<dimension>`` tag says; for Parquet, the row count in the file's
metadata. A file whose rows the reader and the count do not agree on is refused with the
line where they part, never stored with deals missing.
"""

from __future__ import annotations

import codecs
from collections.abc import Container, Sequence
from dataclasses import replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from pipereview.core._errors import InputError
from pipereview.ingest import _xlsx
from pipereview.ingest._csvscan import CsvScan, scan_csv
from pipereview.ingest._encoding import detect_encoding
from pipereview.ingest._limits import ReadLimits
from pipereview.ingest._peek import ExportPeek
from pipereview.ingest._results import IngestResult

__all__ = ["check_accounting", "scan_export"]

_HINT = (
    "look at that line in a text editor for a stray double quote or an odd character; "
    "saving the file again as 'CSV UTF-8' from a spreadsheet program usually repairs it"
)


def scan_export(peek: ExportPeek, limits: ReadLimits) -> tuple[ExportPeek, CsvScan | None]:
    """For a CSV file: its records counted from its bytes, refusing stray quotes and
    oversized cells, and the peek with the encoding the whole file turned out to have."""
    if peek.kind != "csv":
        return peek, None
    data = peek.path.read_bytes()
    encoding = peek.encoding or "utf-8"
    try:
        text = _as_utf8(data, encoding)
    except UnicodeDecodeError:
        # the head looked like one encoding, a later line is another: find out exactly
        encoding = detect_encoding(data, peek.path)
        text = _as_utf8(data, encoding)
        peek = replace(peek, encoding=encoding)
    scan = scan_csv(
        text,
        path=peek.path,
        delimiter=peek.delimiter or ",",
        header=peek.header,
        header_row=peek.header_row,
        limits=limits,
    )
    return peek, scan


def _as_utf8(data: bytes, encoding: str) -> bytes:
    """The file's bytes as UTF-8 without BOM (UTF-8 is not checked here: the reader does)."""
    name = codecs.lookup(encoding).name
    if name == "utf-8":
        return data[3:] if data.startswith(codecs.BOM_UTF8) else data
    if name == "utf-8-sig":
        return data.removeprefix(codecs.BOM_UTF8)
    return data.decode(encoding).lstrip("\ufeff").encode("utf-8")


def check_accounting(
    peek: ExportPeek, raw: pd.DataFrame, result: IngestResult, scan: CsvScan | None
) -> None:
    """Refuse the file unless every record is counted once: read = kept + rejected +
    skipped, each row kept or quarantined, and the rows read = the independent count."""
    report = result.report
    counted = report.rows_kept + report.rows_rejected + report.rows_skipped
    kept_rows = (
        result.snapshot["source_row"].to_numpy(dtype="int64")
        if len(result.snapshot)
        else np.zeros(0, dtype="int64")
    )
    quarantined_rows = (
        result.quarantine["row"].to_numpy(dtype="int64")
        if len(result.quarantine)
        else np.zeros(0, dtype="int64")
    )
    rows = _RowSets(kept_rows, quarantined_rows, report.rows_read + 2, peek.header_row)
    if counted != report.rows_read or rows.distinct_kept != report.rows_kept or rows.odd:
        row = rows.odd[0] if rows.odd else None
        raise InputError(
            f"{peek.path}: {report.rows_read} rows read but {report.rows_kept} kept + "
            f"{report.rows_rejected} rejected + {report.rows_skipped} skipped"
            + (f"; row {row} is neither stored nor quarantined once" if row else "")
            + ": expected every row counted once",
            file=peek.path,
            row=row,
            expected="every row kept, rejected or skipped once",
            hint=_HINT,
        )
    if scan is not None:
        _check_csv(peek, raw, report.rows_read, scan)
        _check_cut_rows(peek, scan, rows.kept, rows.quarantined)
    elif peek.kind == "xlsx":
        _check_xlsx(peek, raw)
    elif peek.kind == "parquet":
        _check_parquet(peek, raw)


class _RowSets:
    """The rows kept and quarantined, checked against the rows ``1 .. end - 1`` but the
    header: ``odd`` lists (ascending) the rows neither kept nor quarantined or, when there
    are none, those both kept and quarantined; ``[None]`` when only rows outside that range
    are kept or quarantined. Counted over arrays indexed by row, not Python sets."""

    distinct_kept: int
    kept: Container[int]
    quarantined: list[int]
    odd: Sequence[int | None]

    def __init__(
        self,
        kept: npt.NDArray[np.int64],
        quarantined: npt.NDArray[np.int64],
        end: int,
        header_row: int,
    ) -> None:
        everything = np.concatenate([kept, quarantined])
        if len(everything) and (everything.min() < 0 or everything.max() >= end):
            self._as_sets(set(kept.tolist()), set(quarantined.tolist()), end, header_row)
            return
        in_kept = np.bincount(kept, minlength=end) > 0
        in_quarantine = np.bincount(quarantined, minlength=end) > 0
        expected = np.ones(end, dtype=bool)
        expected[0] = False
        if 0 <= header_row < end:
            expected[header_row] = False
        self.distinct_kept = int(in_kept.sum())
        self.kept = _Members(in_kept)
        self.quarantined = np.flatnonzero(in_quarantine).tolist()
        missing = np.flatnonzero(expected & ~in_kept & ~in_quarantine)
        both = np.flatnonzero(in_kept & in_quarantine)
        extra = np.flatnonzero((in_kept | in_quarantine) & ~expected)
        if len(missing):
            self.odd = missing.tolist()
        elif len(both):
            self.odd = both.tolist()
        else:
            self.odd = [] if not len(extra) else [None]  # the union holds rows it should not

    def _as_sets(self, kept: set[int], quarantined: set[int], end: int, header_row: int) -> None:
        rows = set(range(1, end)) - {header_row}
        self.distinct_kept = len(kept)
        self.kept = kept
        self.quarantined = sorted(quarantined)
        if kept & quarantined or kept | quarantined != rows:
            self.odd = sorted(rows - kept - quarantined) or sorted(kept & quarantined) or [None]
        else:
            self.odd = []


class _Members:
    """``row in members`` for a boolean array indexed by row."""

    def __init__(self, mask: npt.NDArray[np.bool_]) -> None:
        self.mask = mask

    def __contains__(self, row: object) -> bool:
        return isinstance(row, int) and 0 <= row < len(self.mask) and bool(self.mask[row])


def _check_csv(peek: ExportPeek, raw: pd.DataFrame, rows_read: int, scan: CsvScan) -> None:
    if rows_read + 1 == scan.records:
        return
    row = _first_difference(peek, raw, scan)
    line = scan.line_of(row)
    cells = scan.cells(row) if row <= scan.records else []
    shown = f", which reads {_short(peek.delimiter or ',', cells)!r}" if cells else ""
    raise InputError(
        f"{peek.path}: the CSV reader read {rows_read + 1} rows (the header included), but "
        f"the file holds {scan.records} counted from its line ends and quotes; the two part "
        f"at line {line} (row {row}){shown}: expected every row of the file read once",
        file=peek.path,
        row=row,
        expected=f"{scan.records} rows read",
        hint=_HINT,
    )


def _check_cut_rows(
    peek: ExportPeek, scan: CsvScan, kept: Container[int], rejected: list[int]
) -> None:
    """Refuse a file where a rejected row with fewer fields than the header is followed by
    a row that would be stored: a line break without quotes cuts one deal in two, and the
    second half can read as a deal of its own (a made-up ID and name, another deal's
    amount). Nothing of such a file is stored, whatever --keep-going says."""
    width = len(peek.header)
    for row in sorted(rejected):
        if row + 1 not in kept or row > scan.records:
            continue
        cells = scan.cells(row)
        if not 1 < len(cells) < width:
            continue
        line = scan.line_of(row)
        raise InputError(
            f"{peek.path}: row {row} (line {line}) has {len(cells)} of the header's {width} "
            f"fields and the next line reads as a deal of its own: a line break without "
            f"quotes has probably cut one deal in two at line {line}: expected every deal on "
            "one line, or a cell with a line break in double quotes",
            file=peek.path,
            row=row,
            expected=f"{width} fields on row {row}",
            hint="put the cell that holds the line break in double "
            "quotes (or remove the line break) and export again",
        )


def _first_difference(peek: ExportPeek, raw: pd.DataFrame, scan: CsvScan) -> int:
    """The first row where the reader's text cells differ from the scan's (found by
    bisection: once the two part, the rows after differ too)."""
    columns = [
        (i, name)
        for i, name in enumerate(raw.columns)
        if pd.api.types.is_string_dtype(raw[name].dtype) or raw[name].dtype == object
    ]
    first = peek.header_row + 1

    def same(row: int) -> bool:
        if row > scan.records or row - first >= len(raw):
            return False
        cells = scan.cells(row)
        values = raw.iloc[row - first]
        for index, name in columns:
            value = values[name]
            text = (
                "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
            )
            if (cells[index] if index < len(cells) else "").strip() != text.strip():
                return False
        return True

    low, high = first, peek.header_row + 1 + min(len(raw), scan.records - peek.header_row)
    while low < high:
        middle = (low + high) // 2
        if same(middle):
            low = middle + 1
        else:
            high = middle
    return low


def _short(delimiter: str, cells: list[str]) -> str:
    text = delimiter.join(cells).replace("\n", " ").replace("\r", " ")
    return text if len(text) <= 60 else text[:59] + "…"


def _check_xlsx(peek: ExportPeek, raw: pd.DataFrame) -> None:
    last = _xlsx.sheet_last_row(peek.path, peek.sheet)
    read_to = peek.header_row + len(raw)
    if last > read_to:
        raise InputError(
            f"{peek.path}: sheet {peek.sheet!r} holds values down to row {last}, but the "
            f"workbook reader stopped at row {read_to} (the sheet's size tag may declare a "
            f"smaller range): rows {read_to + 1}-{last} would be lost: expected every row "
            "of the sheet read",
            file=peek.path,
            row=read_to + 1,
            expected=f"rows down to {last} read",
            hint="open the workbook in Excel or LibreOffice and save it again (that rewrites "
            "the size tag), or export the report as CSV",
        )


def _check_parquet(peek: ExportPeek, raw: pd.DataFrame) -> None:
    import pyarrow.parquet as pq  # heavy; only for Parquet files

    rows = pq.ParquetFile(peek.path).metadata.num_rows
    if rows != len(raw):
        raise InputError(
            f"{peek.path}: the Parquet file's metadata says {rows} rows, but {len(raw)} were "
            "read: expected every row read",
            file=peek.path,
            expected=f"{rows} rows",
            hint="write or download the file again; it may be damaged",
        )
