"""Reading CRM export files: format and encoding detection, header location, raw rows.

This module knows about files, not about deals: it finds what kind of file it is (CSV,
XLSX, Parquet), how its text is encoded (UTF-8, UTF-8 with BOM, GB18030/GBK), which
delimiter it uses and on which row its header sits (exports often put a report title
above it), and returns the rows as written. :mod:`pipereview.ingest` turns them into a
canonical snapshot.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from pipereview._encoding import detect_encoding
from pipereview._text import normalize_label
from pipereview.errors import EncodingError, InputError, Problem

__all__ = ["ExportPeek", "find_long_rows", "peek_export", "read_rows"]

FileKind = Literal["csv", "xlsx", "parquet"]
_HEADER_SCAN_ROWS = 30
_MIN_HEADER_MATCHES = 3
_DELIMITERS = (",", ";", "\t", "|")
_HEAD_BYTES = 1 << 20
_DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars"}
_SUPPORTED = "a CSV, XLSX or Parquet export"
_MAX_SHEETS = 20
_MERGE_CELL = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z]+[0-9]+:[A-Z]+[0-9]+)\"")
_WEB_PAGE_TAGS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<table", b"<meta")


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


def peek_export(
    path: str | Path, *, known_headers: Collection[str] = (), encoding: str | None = None
) -> ExportPeek:
    """Identify the file's kind, encoding, delimiter and header row.

    ``known_headers`` (normalised header names from the column maps) locate the header
    when title rows sit above it. Raises :class:`InputError` for files that are not
    exports at all (empty, HTML, legacy .xls) and :class:`EncodingError` for text that
    is neither UTF-8 nor GB18030 or mixes the two.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a file: expected {_SUPPORTED}", file=path,
                         expected=_SUPPORTED, hint="name the export files inside it")
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise InputError(f"cannot open {path}: {exc.strerror}", file=path,
                         hint="check the file name and that you may read it") from None
    if not head:
        raise InputError(f"{path} is empty (0 bytes): expected {_SUPPORTED} with a header "
                         "and deal rows", file=path, expected=_SUPPORTED,
                         hint="export the report again; the download may have failed")
    if head.startswith(b"PAR1"):
        return _peek_parquet(path)
    if head.startswith(b"PK\x03\x04"):
        return _peek_xlsx(path, known_headers)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(
            f"{path} is a legacy Excel 97-2003 (.xls) workbook: expected {_SUPPORTED}",
            file=path, expected=_SUPPORTED,
            hint="open it in Excel or LibreOffice and save it as .xlsx or CSV (UTF-8)")
    sniff = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if sniff.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml")) or (
            sniff.startswith(b"<") and any(tag in sniff for tag in _WEB_PAGE_TAGS)):
        raise InputError(
            f"{path} is a web page (HTML/XML), not a spreadsheet, although its name says "
            f"{path.suffix or 'nothing'}: expected {_SUPPORTED}", file=path,
            expected=_SUPPORTED,
            hint="some CRMs save 'Excel' downloads as HTML; export as CSV or XLSX instead "
            "(a sign-in or error page saved in place of the report: sign in and export again)")
    if head.startswith(b"%PDF"):
        raise InputError(f"{path} is a PDF document: expected {_SUPPORTED}", file=path,
                         expected=_SUPPORTED,
                         hint="export the report's data as CSV or XLSX, not as a printout")
    return _peek_csv(path, known_headers, encoding)


def read_rows(peek: ExportPeek, text_columns: Collection[str] = (), *,
              long_rows: Literal["raise", "keep"] = "raise") -> pd.DataFrame:
    """All data rows below the header, as written, indexed by spreadsheet row number.

    ``text_columns`` are read as text (so IDs like ``00123`` keep their zeros); the
    others may come back as numbers or dates where the file makes that clear. Columns
    with a blank header are named ``Unnamed: 3`` (by position, counted from 1).

    A CSV row with more fields than the header (a field holding the delimiter without
    quotes) cannot be read reliably: by default the whole file is refused with an
    :class:`InputError` listing every such row. With ``long_rows="keep"`` those rows
    are returned cut to the header's width and ``frame.attrs["long_rows"]`` holds one
    :class:`Problem` per such row (see :func:`find_long_rows`), for a caller that
    quarantines them.
    """
    if peek.kind == "parquet":
        frame = pd.read_parquet(peek.path)
        frame.columns = [str(c) for c in frame.columns]
    elif peek.kind == "xlsx":
        frame = _read_xlsx(peek)
    else:
        frame = _read_csv(peek, text_columns, keep_long_rows=long_rows == "keep")
    frame.index = pd.RangeIndex(peek.header_row + 1, peek.header_row + 1 + len(frame))
    return frame


def find_long_rows(peek: ExportPeek) -> tuple[Problem, ...]:
    """The CSV rows below the header that have more fields than the header, one
    :class:`Problem` each (column ``None``: the whole row is unreadable)."""
    if peek.kind != "csv":
        return ()
    text = peek.path.read_text(encoding=peek.encoding or "utf-8")
    width = len(peek.header)
    delimiter = peek.delimiter or ","
    found = []
    for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        if number > peek.header_row and len(row) > width:
            found.append(Problem(
                str(peek.path), number, None,
                f"{width} fields separated by {_DELIMITER_NAMES.get(delimiter, repr(delimiter))} "
                "like the header", f"{len(row)} fields",
                "a field holds the delimiter without quotes; put that field in double quotes "
                "or export the file again with quoting on"))
    return tuple(found)


# --- Parquet -----------------------------------------------------------------------------

def _peek_parquet(path: Path) -> ExportPeek:
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(path).names
    except Exception as exc:  # pyarrow raises several kinds for damaged files
        raise InputError(f"{path} cannot be read as a Parquet file ({exc}): expected a "
                         "complete Parquet file", file=path, expected="a Parquet file",
                         hint="write or download the file again; it may be truncated") from None
    return ExportPeek(path, "parquet", tuple(str(c) for c in names), 1)


# --- CSV ---------------------------------------------------------------------------------

def _peek_csv(path: Path, known: Collection[str], encoding: str | None) -> ExportPeek:
    size = path.stat().st_size
    with path.open("rb") as handle:
        data = handle.read(_HEAD_BYTES)
    # The head decides the encoding; a later line in another encoding is caught when the
    # whole file is read (see _read_csv), so large files are decoded only once.
    head = data
    if size > _HEAD_BYTES:
        head = head[: head.rfind(b"\n") + 1] or head
    encoding = encoding or detect_encoding(head, path)
    try:
        text = head.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise EncodingError(f"{path} cannot be read as {encoding}: {exc}", file=path,
                            expected=f"text in {encoding}",
                            hint="leave out --encoding to let pipereview detect it") from None
    if size <= _HEAD_BYTES and not text.strip("\ufeff \t\r\n\x00"):
        raise InputError(
            f"{path} holds no text, only {size} bytes of blank lines or spaces: expected "
            f"{_SUPPORTED} with a header and deal rows", file=path, row=1,
            expected="a header row", hint="export the report again; the download or the "
            "save from the spreadsheet may have failed")
    head_lines = text.splitlines()[:_HEADER_SCAN_ROWS]
    delimiter = _detect_delimiter(head_lines)
    rows = list(csv.reader(head_lines, delimiter=delimiter))
    index, repairs = _locate_header(rows, known)
    index, repairs = _skip_blank_top(rows, index, repairs)
    header = tuple(cell.strip() for cell in rows[index]) if rows else ()
    return ExportPeek(path, "csv", header, index + 1, encoding, delimiter, repairs=repairs,
                      title_rows=_title_rows(rows[:index]))


def _skip_blank_top(rows: list[list[str]], index: int, repairs: tuple[str, ...]
                    ) -> tuple[int, tuple[str, ...]]:
    """When the header row found is blank (blank lines at the top), the first non-blank."""
    if not rows or any(c.strip() for c in rows[index]):
        return index, repairs
    first = next((i for i, row in enumerate(rows) if any(c.strip() for c in row)), index)
    if first == index:
        return index, repairs
    return first, (f"skipped {first} blank row(s) above the header (the header is on row "
                   f"{first + 1})",)


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
    return index, (f"skipped {index} title row(s) above the header (the header is on row "
                   f"{index + 1})",)


def _read_csv(peek: ExportPeek, text_columns: Collection[str], *,
              keep_long_rows: bool = False) -> pd.DataFrame:
    try:
        return _read_csv_as(peek, text_columns, keep_long_rows)
    except UnicodeDecodeError:
        # the head looked like one encoding, a later line is another: find out exactly
        encoding = detect_encoding(peek.path.read_bytes(), peek.path)
        return _read_csv_as(replace(peek, encoding=encoding), text_columns, keep_long_rows)


def _column_names(header: tuple[str, ...]) -> list[str]:
    """The header as column names, blank ones named by position (``Unnamed: 3``)."""
    return [name or f"Unnamed: {number}" for number, name in enumerate(header, start=1)]


def _read_csv_as(peek: ExportPeek, text_columns: Collection[str],
                 keep_long_rows: bool = False) -> pd.DataFrame:
    names = _column_names(peek.header)
    options: dict[str, Any] = {
        "sep": peek.delimiter, "encoding": peek.encoding, "skiprows": peek.header_row,
        "header": None, "names": names, "keep_default_na": False, "na_values": [""],
        "skip_blank_lines": False, "index_col": False}
    try:
        frame: pd.DataFrame = pd.read_csv(peek.path, **options)
    except pd.errors.ParserError:
        if not keep_long_rows:
            raise _field_count_error(peek) from None
        # keep the rows that are too wide, cut to the header; the caller quarantines them
        width = len(names)
        frame = pd.read_csv(peek.path, engine="python", dtype=dict.fromkeys(text_columns, "str"),
                            on_bad_lines=lambda fields: fields[:width], **options)
        frame.attrs["long_rows"] = find_long_rows(peek)
        return frame
    # Text columns the reader took for numbers (IDs such as 00123) are read again as text;
    # reading every text column as text up front would cost twice the time on large files.
    numeric = [c for c in text_columns if c in frame.columns
               and not pd.api.types.is_string_dtype(frame[c].dtype)]
    if numeric:
        again = pd.read_csv(peek.path, usecols=numeric, dtype=dict.fromkeys(numeric, "str"),
                            **options)
        frame[numeric] = again[numeric]
    return frame


def _field_count_error(peek: ExportPeek) -> InputError:
    problems = find_long_rows(peek)
    width = len(peek.header)
    delimiter = peek.delimiter or ","
    shown = ", ".join(f"row {p.row} has {p.got}" for p in problems[:10])
    return InputError(
        f"{peek.path}: {len(problems)} row(s) have more fields than the header on row "
        f"{peek.header_row}: {shown}{' …' if len(problems) > 10 else ''}; expected {width} "
        f"fields separated by {_DELIMITER_NAMES.get(delimiter, repr(delimiter))}",
        file=peek.path, row=problems[0].row if problems else None,
        expected=f"{width} fields separated by {delimiter!r}", problems=problems,
        hint="a field holds the delimiter without quotes (a name or next step with a comma, "
        "an amount such as 12,000 written without quotes); put such fields in double quotes "
        "or export the file again with quoting on")


# --- XLSX --------------------------------------------------------------------------------

def _open_book(path: Path):  # type: ignore[no-untyped-def]
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for broken files
        raise InputError(
            f"{path} cannot be read as an Excel workbook ({exc}): expected a complete .xlsx "
            "workbook", file=path, expected="an .xlsx workbook",
            hint="the download may be incomplete: download it again, or open it in Excel or "
            "LibreOffice and save it again as .xlsx") from None


def _peek_xlsx(path: Path, known: Collection[str]) -> ExportPeek:
    book = _open_book(path)
    try:
        sheets = [(sheet.title, [["" if v is None else str(v) for v in row]
                                 for row, _ in zip(sheet.iter_rows(values_only=True),
                                                   range(_HEADER_SCAN_ROWS), strict=False)])
                  for sheet in book.worksheets[:_MAX_SHEETS]]
        count = len(book.worksheets)
    finally:
        book.close()
    known_set = set(known)
    scores = [max((sum(normalize_label(c) in known_set for c in row) for row in rows), default=0)
              for _, rows in sheets]
    filled = [i for i, (_, rows) in enumerate(sheets) if any(c.strip() for r in rows for c in r)]
    if not filled:
        raise InputError(
            f"{path} has no data: its sheet(s) {', '.join(repr(t) for t, _ in sheets)} are "
            f"empty: expected a header and deal rows on the first sheet", file=path,
            expected="a header and deal rows", hint="export the report again with its rows")
    best = max(scores) if scores else 0
    chosen = scores.index(best) if best >= _MIN_HEADER_MATCHES else filled[0]
    title, rows = sheets[chosen]
    repairs: tuple[str, ...] = ()
    if chosen:
        repairs = (f"read sheet {title!r} ({chosen + 1} of {count}), the one with the header; "
                   "the other sheets were ignored",)
    elif count > 1:
        repairs = (f"read the first sheet {title!r} of {count}",)
    index, found = _locate_header(rows, known)
    index, found = _skip_blank_top(rows, index, found)
    header = tuple(cell.strip() for cell in rows[index]) if rows else ()
    while header and not header[-1]:
        header = header[:-1]
    titles = tuple((n, tuple(_trim(cells))) for n, cells in _title_rows(rows[:index]))
    peek = ExportPeek(path, "xlsx", header, index + 1, sheet=title, repairs=repairs + found,
                      title_rows=titles)
    return _with_merged_cells(peek, _merged_ranges(path, title), rows)


def _merged_ranges(path: Path, title: str) -> list[tuple[int, int, int, int]]:
    """The merged cell ranges of sheet ``title`` as (first row, first column, last row,
    last column), 1-based. The read-only reader does not report them: they are read from
    the sheet's XML, where they follow the rows."""
    from openpyxl.utils.cell import range_boundaries

    book = _open_book(path)
    refs: set[bytes] = set()
    try:
        with book[title]._get_source() as source:
            tail = b""
            while chunk := source.read(1 << 20):
                refs.update(_MERGE_CELL.findall(tail + chunk))
                tail = chunk[-200:]
    finally:
        book.close()
    ranges = []
    for ref in refs:
        first_col, first_row, last_col, last_row = range_boundaries(ref.decode("ascii"))
        ranges.append((first_row, first_col, last_row, last_col))
    return sorted(ranges)


def _with_merged_cells(peek: ExportPeek, ranges: list[tuple[int, int, int, int]],
                       rows: list[list[str]]) -> ExportPeek:
    """Merged cells in the header or below it: refused when the header spreads over
    several rows, filled down when one column's cells are merged over several deals."""
    from openpyxl.utils.cell import get_column_letter

    at = peek.header_row
    header = list(peek.header)

    def ref(r: tuple[int, int, int, int]) -> str:
        return f"{get_column_letter(r[1])}{r[0]}:{get_column_letter(r[3])}{r[2]}"

    tall = [r for r in ranges if r[0] <= at <= r[2] and r[0] < r[2]]
    if tall:
        first, last = min(r[0] for r in tall), max(r[2] for r in tall)
        other = [n for n in range(first, last + 1) if n != at]
        below = [c.strip() for n in other if n - 1 < len(rows) for c in rows[n - 1] if c.strip()]
        shown = ", ".join(ref(r) for r in tall[:5]) + (" …" if len(tall) > 5 else "")
        raise InputError(
            f"{peek.path}: the header on row {at} is merged with row(s) "
            f"{', '.join(map(str, other))} (merged cells {shown})"
            + (f", which hold {', '.join(repr(b) for b in below[:6])}" if below else "")
            + ": expected the header on one row with one name per column",
            file=peek.path, row=at, expected="a header on one row, one name per column",
            hint="unmerge the header cells and write every column's name on the header row "
            "(e.g. 'Amount' and 'Currency' rather than 'Amount' over 'Value' and 'Currency'), "
            "or export the report again from the CRM without the layout")
    repairs = list(peek.repairs)
    wide = []
    for r in ranges:
        if r[0] == at == r[2] and r[1] <= len(header):
            header += [""] * (r[3] - len(header))
            wide += [(ref(r), header[r[1] - 1], col) for col in range(r[1] + 1, r[3] + 1)]
    if wide:
        repairs.append("header cell(s) merged over several columns: " + "; ".join(
            f"{name!r} over {where}" for where, name in {w: n for w, n, _ in wide}.items())
            + "; the columns under them with no name of their own are empty and were ignored")
    fill = tuple((r[1], r[0], r[2]) for r in ranges if r[0] > at and r[1] == r[3] and r[2] > r[0]
                 and r[1] <= len(header))
    if fill:
        shown = ", ".join(f"{header[c - 1] or get_column_letter(c)!r} rows {a}-{b}"
                          for c, a, b in fill[:5]) + (" …" if len(fill) > 5 else "")
        repairs.append(f"filled {len(fill)} merged cell range(s) with the value they show: "
                       f"{shown}")
    return replace(peek, header=tuple(header), repairs=tuple(repairs), merged_fill=fill,
                   merged_header=tuple(wide))


def _trim(cells: tuple[str, ...] | list[str]) -> list[str]:
    cells = list(cells)
    while cells and not cells[-1].strip():
        cells.pop()
    return cells


def _read_xlsx(peek: ExportPeek) -> pd.DataFrame:
    book = _open_book(peek.path)
    width = len(peek.header)
    try:
        sheet = book[peek.sheet] if peek.sheet else book.worksheets[0]
        rows = [tuple(row[:width]) + (None,) * (width - len(row))
                for row in sheet.iter_rows(min_row=peek.header_row + 1, values_only=True)]
    finally:
        book.close()
    first = peek.header_row + 1
    for where, name, col in peek.merged_header:
        used = [n for n, row in enumerate(rows, start=first)
                if row[col - 1] is not None and str(row[col - 1]).strip()]
        if used:
            from openpyxl.utils.cell import get_column_letter

            letter = get_column_letter(col)
            raise InputError(
                f"{peek.path}: the header cell {name!r} is merged over {where}, so column "
                f"{letter} has no name of its own, but it holds values ({'row' if len(used) == 1 else 'rows'} "
                f"{', '.join(map(str, used[:5]))}{' …' if len(used) > 5 else ''}): expected "
                "one header cell per column", file=peek.path, row=peek.header_row,
                column=name, expected="one header cell per column",
                hint=f"unmerge {where} and give column {letter} its own name (e.g. 'Currency' "
                "next to 'Amount'), or delete the column")
    for col, top, bottom in peek.merged_fill:
        if top - first < len(rows):
            value = rows[top - first][col - 1]
            for n in range(top + 1 - first, min(bottom + 1 - first, len(rows))):
                rows[n] = (*rows[n][: col - 1], value, *rows[n][col:])
    return pd.DataFrame(rows, columns=_column_names(peek.header), dtype=object)
