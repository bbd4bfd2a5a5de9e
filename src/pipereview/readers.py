"""Reading CRM export files: format and encoding detection, header location, raw rows.

This module knows about files, not about deals: it finds what kind of file it is (CSV,
XLSX, Parquet), how its text is encoded (UTF-8, UTF-8 with BOM, GB18030/GBK), which
delimiter it uses and on which row its header sits (exports often put a report title
above it), and returns the rows as written. :mod:`pipereview.ingest` turns them into a
canonical snapshot.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

from pipereview._text import normalize_label
from pipereview.errors import EncodingError, InputError, Problem

__all__ = ["ExportPeek", "peek_export", "read_rows"]

FileKind = Literal["csv", "xlsx", "parquet"]
_HEADER_SCAN_ROWS = 30
_MIN_HEADER_MATCHES = 3
_DELIMITERS = (",", ";", "\t", "|")


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
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise InputError(f"cannot open {path}: {exc.strerror}", file=path,
                         hint="check the file name and that you may read it") from None
    if not head:
        raise InputError(f"{path} is empty (0 bytes)", file=path, expected="a CRM export",
                         hint="export the report again; the download may have failed")
    if head.startswith(b"PAR1"):
        frame = pd.read_parquet(path)
        return ExportPeek(path, "parquet", tuple(str(c) for c in frame.columns), 1)
    if head.startswith(b"PK\x03\x04"):
        return _peek_xlsx(path, known_headers)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(
            f"{path} is a legacy Excel 97-2003 (.xls) workbook", file=path,
            expected="CSV, XLSX or Parquet",
            hint="open it in Excel or LibreOffice and save it as .xlsx or CSV (UTF-8)")
    sniff = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if sniff.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml")):
        raise InputError(
            f"{path} is a web page (HTML/XML), not a spreadsheet, although its name says "
            f"{path.suffix or 'nothing'}", file=path, expected="CSV, XLSX or Parquet",
            hint="some CRMs save 'Excel' downloads as HTML; export as CSV or XLSX instead")
    return _peek_csv(path, known_headers, encoding)


def read_rows(peek: ExportPeek, text_columns: Collection[str] = ()) -> pd.DataFrame:
    """All data rows below the header, as written, indexed by spreadsheet row number.

    ``text_columns`` are read as text (so IDs like ``00123`` keep their zeros); the
    others may come back as numbers or dates where the file makes that clear.
    """
    if peek.kind == "parquet":
        frame = pd.read_parquet(peek.path)
        frame.columns = [str(c) for c in frame.columns]
    elif peek.kind == "xlsx":
        frame = _read_xlsx(peek)
    else:
        frame = _read_csv(peek, text_columns)
    frame.index = pd.RangeIndex(peek.header_row + 1, peek.header_row + 1 + len(frame))
    return frame


# --- CSV ---------------------------------------------------------------------------------

def _peek_csv(path: Path, known: Collection[str], encoding: str | None) -> ExportPeek:
    data = path.read_bytes()
    encoding = encoding or _detect_encoding(data, path)
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise EncodingError(f"{path} cannot be read as {encoding}: {exc}", file=path,
                            expected=f"text in {encoding}",
                            hint="leave out --encoding to let pipereview detect it") from None
    head_lines = text.splitlines()[:_HEADER_SCAN_ROWS]
    delimiter = _detect_delimiter(head_lines)
    rows = list(csv.reader(head_lines, delimiter=delimiter))
    index, repairs = _locate_header(rows, known)
    header = tuple(cell.strip() for cell in rows[index]) if rows else ()
    return ExportPeek(path, "csv", header, index + 1, encoding, delimiter, repairs=repairs)


def _detect_encoding(data: bytes, path: Path) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    utf8_lines, other_lines = [], []
    for number, line in enumerate(data.splitlines(), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8_lines.append(number)
        except UnicodeDecodeError:
            other_lines.append(number)
    if utf8_lines and other_lines:
        raise EncodingError(
            f"{path} mixes text encodings: lines {_few(utf8_lines)} are UTF-8, lines "
            f"{_few(other_lines)} are not", file=path, row=other_lines[0],
            expected="one encoding for the whole file",
            hint="the file was probably pasted together from several exports; export it "
            "again in one go, or open it in a spreadsheet and save it as CSV UTF-8")
    try:
        data.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise EncodingError(
            f"{path}: line {line} is neither UTF-8 nor GB18030/GBK text", file=path, row=line,
            expected="UTF-8 (with or without BOM) or GB18030/GBK",
            hint="save the file as 'CSV UTF-8', or pass --encoding with its encoding "
            "(e.g. --encoding cp1252)") from None


def _few(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:5])
    return shown + (f" and {len(numbers) - 5} more" if len(numbers) > 5 else "")


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


def _read_csv(peek: ExportPeek, text_columns: Collection[str]) -> pd.DataFrame:
    dtypes: Mapping[str, str] = {c: "str" for c in text_columns}
    try:
        return pd.read_csv(
            peek.path, sep=peek.delimiter, encoding=peek.encoding, skiprows=peek.header_row,
            header=None, names=list(peek.header), dtype=dtypes, keep_default_na=False,
            na_values=[""], skip_blank_lines=False, index_col=False,
        )
    except pd.errors.ParserError:
        raise _field_count_error(peek) from None


def _field_count_error(peek: ExportPeek) -> InputError:
    text = peek.path.read_text(encoding=peek.encoding or "utf-8")
    width = len(peek.header)
    problems = []
    for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=peek.delimiter or ","),
                                 start=1):
        if number > peek.header_row and len(row) > width:
            problems.append(Problem(str(peek.path), number, None,
                                    f"at most {width} fields like the header",
                                    f"{len(row)} fields"))
    rows = ", ".join(str(p.row) for p in problems[:10])
    return InputError(
        f"{peek.path}: {len(problems)} row(s) have more fields than the header "
        f"({width}): rows {rows}{' …' if len(problems) > 10 else ''}",
        file=peek.path, row=problems[0].row if problems else None,
        expected=f"{width} fields separated by {peek.delimiter!r}", problems=tuple(problems),
        hint="a field holds the delimiter without quotes, or the file mixes delimiters; "
        "export it again with quoting on")


# --- XLSX --------------------------------------------------------------------------------

def _open_sheet(path: Path):  # type: ignore[no-untyped-def]
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for broken files
        raise InputError(f"{path} cannot be read as an Excel workbook: {exc}", file=path,
                         expected="an .xlsx workbook",
                         hint="open it in Excel or LibreOffice and save it again as .xlsx") from None
    return book, book.worksheets[0]


def _peek_xlsx(path: Path, known: Collection[str]) -> ExportPeek:
    book, sheet = _open_sheet(path)
    try:
        rows = [["" if v is None else str(v) for v in row]
                for row, _ in zip(sheet.iter_rows(values_only=True), range(_HEADER_SCAN_ROWS),
                                  strict=False)]
        repairs: tuple[str, ...] = ()
        if len(book.worksheets) > 1:
            repairs = (f"read the first sheet {sheet.title!r} of {len(book.worksheets)}",)
    finally:
        book.close()
    index, found = _locate_header(rows, known)
    header = tuple(cell.strip() for cell in rows[index]) if rows else ()
    while header and not header[-1]:
        header = header[:-1]
    return ExportPeek(path, "xlsx", header, index + 1, sheet=sheet.title, repairs=repairs + found)


def _read_xlsx(peek: ExportPeek) -> pd.DataFrame:
    book, sheet = _open_sheet(peek.path)
    width = len(peek.header)
    try:
        rows = [tuple(row[:width]) + (None,) * (width - len(row))
                for row in sheet.iter_rows(min_row=peek.header_row + 1, values_only=True)]
    finally:
        book.close()
    return pd.DataFrame(rows, columns=list(peek.header), dtype=object)
