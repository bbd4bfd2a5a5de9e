"""Reading CRM export files: format and encoding detection, header location, raw rows.

This module knows about files, not about deals: it finds what kind of file it is (CSV,
XLSX, Parquet), how its text is encoded (UTF-8, UTF-8 with BOM, GB18030/GBK), which
delimiter it uses and on which row its header sits (exports often put a report title
above it), and returns the rows as written (a CSV file's through
:mod:`pipereview.ingest._csvrows`). :mod:`pipereview.ingest._export` turns them into a canonical
snapshot.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Literal

import pandas as pd

from pipereview.core._errors import InputError
from pipereview.core._text import normalize_label
from pipereview.ingest._csvrows import read_csv_rows
from pipereview.ingest._csvscan import check_quotes
from pipereview.ingest._csvtext import check_head, decode_head, split_lines
from pipereview.ingest._encoding import detect_encoding
from pipereview.ingest._limits import DEFAULT_LIMITS, ReadLimits
from pipereview.ingest._parquet import peek_parquet, read_parquet
from pipereview.ingest._peek import HEADER_SCAN_ROWS as _HEADER_SCAN_ROWS
from pipereview.ingest._peek import MIN_HEADER_MATCHES as _MIN_HEADER_MATCHES
from pipereview.ingest._peek import ExportPeek, column_names
from pipereview.ingest._xlsx import peek_xlsx, read_xlsx

__all__ = ["ExportPeek", "peek_export", "read_rows"]

_DELIMITERS = (",", ";", "\t", "|")
_HEAD_BYTES = 1 << 20
_SUPPORTED = "a CSV, XLSX or Parquet export"
_WEB_PAGE_TAGS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<table", b"<meta")


def peek_export(
    path: str | Path,
    *,
    known_headers: Collection[str] = (),
    encoding: str | None = None,
    limits: ReadLimits | None = None,
) -> ExportPeek:
    """Identify the file's kind, encoding, delimiter and header row.

    ``limits`` bound the lines read to find the header (a title line's size, the
    header's columns); see :class:`~pipereview.ingest._limits.ReadLimits`.

    ``known_headers`` (normalised header names from the column maps) locate the header
    when title rows sit above it. Raises :class:`InputError` for files that are not
    exports at all (empty, HTML, legacy .xls) and :class:`EncodingError` for text that
    is neither UTF-8 nor GB18030 or mixes the two.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(
            f"{path} is a folder, not a file: expected {_SUPPORTED}",
            file=path,
            expected=_SUPPORTED,
            hint="name the export files inside it",
        )
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise InputError(
            f"cannot open {path}: {exc.strerror}",
            file=path,
            hint="check the file name and that you may read it",
        ) from None
    if not head:
        raise InputError(
            f"{path} is empty (0 bytes): expected {_SUPPORTED} with a header and deal rows",
            file=path,
            expected=_SUPPORTED,
            hint="export the report again; the download may have failed",
        )
    if head.startswith(b"PAR1"):
        return peek_parquet(path, known_headers, limits or DEFAULT_LIMITS)
    if head.startswith(b"PK\x03\x04"):
        return peek_xlsx(
            path,
            known_headers,
            lambda rows: _skip_blank_top(rows, *_locate_header(rows, known_headers)),
            limits or DEFAULT_LIMITS,
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(
            f"{path} is a legacy Excel 97-2003 (.xls) workbook: expected {_SUPPORTED}",
            file=path,
            expected=_SUPPORTED,
            hint="open it in Excel or LibreOffice and save it as .xlsx or CSV (UTF-8)",
        )
    sniff = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if sniff.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml")) or (
        sniff.startswith(b"<") and any(tag in sniff for tag in _WEB_PAGE_TAGS)
    ):
        raise InputError(
            f"{path} is a web page (HTML/XML), not a spreadsheet, although its name says "
            f"{path.suffix or 'nothing'}: expected {_SUPPORTED}",
            file=path,
            expected=_SUPPORTED,
            hint="some CRMs save 'Excel' downloads as HTML; export as CSV or XLSX instead "
            "(a sign-in or error page saved in place of the report: sign in and export again)",
        )
    if head.startswith(b"%PDF"):
        raise InputError(
            f"{path} is a PDF document: expected {_SUPPORTED}",
            file=path,
            expected=_SUPPORTED,
            hint="export the report's data as CSV or XLSX, not as a printout",
        )
    return _peek_csv(path, known_headers, encoding, limits or DEFAULT_LIMITS)


def read_rows(
    peek: ExportPeek,
    text_columns: Collection[str] = (),
    *,
    long_rows: Literal["raise", "keep"] = "raise",
    plain_numbers: Mapping[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """All data rows below the header, as written, indexed by spreadsheet row number.

    ``text_columns`` are read as text (so IDs like ``00123`` keep their zeros); the
    others may come back as numbers or dates where the file makes that clear. Columns
    with a blank header are named ``Unnamed: 3`` (by position, counted from 1).

    A CSV row with more fields than the header (a field holding the delimiter without
    quotes) cannot be read reliably: by default the whole file is refused with an
    :class:`InputError` listing every such row. With ``long_rows="keep"`` those rows
    are returned cut to the header's width and ``frame.attrs["long_rows"]`` holds one
    :class:`Problem` per such row (see
    :func:`~pipereview.ingest._csvrows.find_long_rows`), for a caller that
    quarantines them.

    ``plain_numbers`` maps columns of ``text_columns`` (e.g. amounts) to a range: such a
    column stays numbers when the CSV reader read every cell of it as a finite number in
    that range; otherwise it is read as text too, so that a problem can quote the cell as
    written (``1e309``, ``-1``).
    """
    if peek.kind == "parquet":
        frame = read_parquet(peek)
        frame.columns = [str(c) for c in frame.columns]
    elif peek.kind == "xlsx":
        frame = read_xlsx(peek, column_names(peek.header), peek.limits)
    else:
        frame = read_csv_rows(
            peek,
            text_columns,
            keep_long_rows=long_rows == "keep",
            plain_numbers=plain_numbers or {},
        )
    frame.index = pd.RangeIndex(peek.header_row + 1, peek.header_row + 1 + len(frame))
    return frame


# --- CSV ---------------------------------------------------------------------------------


def _peek_csv(
    path: Path, known: Collection[str], encoding: str | None, limits: ReadLimits
) -> ExportPeek:
    size = path.stat().st_size
    with path.open("rb") as handle:
        data = handle.read(_HEAD_BYTES)
    # The head decides the encoding; a later line in another encoding is caught when the
    # whole file is read (see _csvrows.read_csv_rows), so large files are decoded only once.
    head = data
    if size > _HEAD_BYTES:
        head = head[: max(head.rfind(b"\n"), head.rfind(b"\r")) + 1] or head
    encoding = encoding or detect_encoding(head, path)
    text = decode_head(data, encoding=encoding, complete=size <= _HEAD_BYTES, path=path)
    if size <= _HEAD_BYTES and not text.strip("\ufeff \t\r\n\x00"):
        raise InputError(
            f"{path} holds no text, only {size} bytes of blank lines or spaces: expected "
            f"{_SUPPORTED} with a header and deal rows",
            file=path,
            row=1,
            expected="a header row",
            hint="export the report again; the download or the "
            "save from the spreadsheet may have failed",
        )
    # one rule for a line everywhere (\r\n, \r, \n), the CSV reader's: str.splitlines would
    # also cut at U+2028, form feeds or \x1c in a title and move the header
    head_lines = split_lines(text)[:_HEADER_SCAN_ROWS]
    check_head(head_lines, path, limits, longer_than=0 if text else len(data))
    delimiter = _detect_delimiter(head_lines)
    rows = _head_records(text, delimiter, path)
    index, repairs = _locate_header(rows, known)
    index, repairs = _skip_blank_top(rows, index, repairs)
    header = tuple(cell.strip() for cell in rows[index]) if rows else ()
    if size <= _HEAD_BYTES:  # a stray quote in a title would swallow the header: name it
        check_quotes(
            text.lstrip("\ufeff").encode("utf-8"), path=path, delimiter=delimiter, header=header
        )
    return ExportPeek(
        path,
        "csv",
        header,
        index + 1,
        encoding,
        delimiter,
        repairs=repairs,
        title_rows=_title_rows(rows[:index]),
    )


def _head_records(text: str, delimiter: str, path: Path) -> list[list[str]]:
    """The first records of the text, as the CSV reader cuts them (quoted line breaks
    inside a cell, lines ended by \r\n, \r or \n)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return list(itertools.islice(reader, _HEADER_SCAN_ROWS))
    except csv.Error as exc:
        raise InputError(
            f"{path}: line {reader.line_num} cannot be read ({exc}): expected a title or "
            "header line",
            file=path,
            row=reader.line_num,
            expected="a title or header line",
            hint="a quote that never closes near the top of the file makes one huge cell; "
            "remove it, or raise 'max_cell_bytes' in the 'limits:' section",
        ) from None


def _skip_blank_top(
    rows: list[list[str]], index: int, repairs: tuple[str, ...]
) -> tuple[int, tuple[str, ...]]:
    """When the header row found is blank (blank lines at the top), the first non-blank."""
    if not rows or any(c.strip() for c in rows[index]):
        return index, repairs
    first = next((i for i, row in enumerate(rows) if any(c.strip() for c in row)), index)
    if first == index:
        return index, repairs
    return first, (
        f"skipped {first} blank row(s) above the header (the header is on row {first + 1})",
    )


def _title_rows(rows: list[list[str]]) -> tuple[tuple[int, tuple[str, ...]], ...]:
    return tuple((number, tuple(row)) for number, row in enumerate(rows, start=1))


def _detect_delimiter(lines: list[str]) -> str:
    best, best_score = ",", 0.0
    sample = [line for line in lines if line.strip()]
    for candidate in _DELIMITERS:
        widths = sorted(len(r) for r in csv.reader(sample, delimiter=candidate))
        if not widths:
            continue
        median = widths[len(widths) // 2]
        if median > best_score:
            best, best_score = candidate, median
    return best


def _locate_header(rows: list[list[str]], known: Collection[str]) -> tuple[int, tuple[str, ...]]:
    """Index of the header row (0-based) and the repair that skipping title rows is."""
    if not known:
        return 0, ()
    known_set = set(known)
    scores = [sum(normalize_label(c) in known_set for c in row) for row in rows]
    if not scores or max(scores) < _MIN_HEADER_MATCHES or scores[0] == max(scores):
        return 0, ()
    index = scores.index(max(scores))
    return index, (
        f"skipped {index} title row(s) above the header (the header is on row {index + 1})",
    )
