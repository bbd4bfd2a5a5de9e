"""Reading XLSX exports: the sheet holding the header, merged cells, every real row.

:mod:`pipereview.ingest._readers` decides that a file is a workbook and hands it here; this
module knows openpyxl and the sheet XML, not deals.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from pipereview.core._errors import InputError, Problem
from pipereview.core._text import normalize_label
from pipereview.ingest._limits import DEFAULT_LIMITS, ReadLimits, format_size
from pipereview.ingest._peek import HEADER_SCAN_ROWS, MIN_HEADER_MATCHES, ExportPeek
from pipereview.ingest._sheetxml import check_zip, scan_sheet, sheet_last_row

__all__ = ["peek_xlsx", "read_xlsx", "sheet_last_row"]

_MAX_SHEETS = 20
_MERGE_CELL = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z]+[0-9]+:[A-Z]+[0-9]+)\"")

#: finds the header among a sheet's first rows: (0-based index, repairs made)
HeaderLocator = Callable[[list[list[str]]], tuple[int, tuple[str, ...]]]


def _open_book(path: Path, limits: ReadLimits = DEFAULT_LIMITS):  # type: ignore[no-untyped-def]
    """The workbook, read-only, with every sheet's ``<dimension>`` tag ignored (writers
    other than Excel often declare fewer rows or columns than the sheet holds); refused
    before anything is unpacked when its parts exceed ``limits``."""
    import openpyxl

    check_zip(path, limits)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        for sheet in book.worksheets:
            sheet.reset_dimensions()
        return book
    except Exception as exc:  # openpyxl raises many kinds for broken files
        raise InputError(
            f"{path} cannot be read as an Excel workbook ({exc}): expected a complete .xlsx "
            "workbook",
            file=path,
            expected="an .xlsx workbook",
            hint="the download may be incomplete: download it again, or open it in Excel or "
            "LibreOffice and save it again as .xlsx",
        ) from None


def peek_xlsx(
    path: Path, known: Collection[str], locate: HeaderLocator, limits: ReadLimits = DEFAULT_LIMITS
) -> ExportPeek:
    """The workbook's sheet with the header (``known`` normalised header names), its header
    row (found by ``locate`` among the first rows) and its merged cells."""
    book = _open_book(path, limits)
    try:
        sheets = [
            (
                sheet.title,
                [
                    ["" if v is None else str(v) for v in row]
                    for row, _ in zip(
                        sheet.iter_rows(values_only=True), range(HEADER_SCAN_ROWS), strict=False
                    )
                ],
            )
            for sheet in book.worksheets[:_MAX_SHEETS]
        ]
        count = len(book.worksheets)
    finally:
        book.close()
    known_set = set(known)
    scores = [
        max((sum(normalize_label(c) in known_set for c in row) for row in rows), default=0)
        for _, rows in sheets
    ]
    filled = [i for i, (_, rows) in enumerate(sheets) if any(c.strip() for r in rows for c in r)]
    if not filled:
        raise InputError(
            f"{path} has no data: its sheet(s) {', '.join(repr(t) for t, _ in sheets)} are "
            f"empty: expected a header and deal rows on the first sheet",
            file=path,
            expected="a header and deal rows",
            hint="export the report again with its rows",
        )
    best = max(scores) if scores else 0
    chosen = scores.index(best) if best >= MIN_HEADER_MATCHES else filled[0]
    title, rows = sheets[chosen]
    repairs: tuple[str, ...] = ()
    if chosen:
        repairs = (
            f"read sheet {title!r} ({chosen + 1} of {count}), the one with the header; "
            "the other sheets were ignored",
        )
    elif count > 1:
        repairs = (f"read the first sheet {title!r} of {count}",)
    index, found = locate(rows)
    header = tuple(cell.strip() for cell in rows[index]) if rows else ()
    while header and not header[-1]:
        header = header[:-1]
    if len(header) > limits.max_columns:
        raise InputError(
            f"{path}: the header (row {index + 1}) has {len(header)} columns, more than the "
            f"limit of {limits.max_columns} (max_columns): expected a header within the limit",
            file=path,
            row=index + 1,
            expected=f"at most {limits.max_columns} columns",
            hint=f"raise the limit in the configuration file's limits: section (e.g. "
            f"max_columns: {len(header)}) if the file is a real export, or export fewer columns",
        )
    titles = tuple((n, tuple(_trim(cells))) for n, cells in enumerate(rows[:index], start=1))
    peek = ExportPeek(
        path,
        "xlsx",
        header,
        index + 1,
        sheet=title,
        repairs=repairs + found,
        title_rows=titles,
        limits=limits,
    )
    return _with_merged_cells(peek, _merged_ranges(path, title, limits), rows)


def _merged_ranges(path: Path, title: str, limits: ReadLimits) -> list[tuple[int, int, int, int]]:
    """The merged cell ranges of sheet ``title`` as (first row, first column, last row,
    last column), 1-based. The read-only reader does not report them: they are read from
    the sheet's XML, where they follow the rows."""
    from openpyxl.utils.cell import range_boundaries

    book = _open_book(path, limits)
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


def _with_merged_cells(
    peek: ExportPeek, ranges: list[tuple[int, int, int, int]], rows: list[list[str]]
) -> ExportPeek:
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
            file=peek.path,
            row=at,
            expected="a header on one row, one name per column",
            hint="unmerge the header cells and write every column's name on the header row "
            "(e.g. 'Amount' and 'Currency' rather than 'Amount' over 'Value' and 'Currency'), "
            "or export the report again from the CRM without the layout",
        )
    repairs = list(peek.repairs)
    wide = []
    for r in ranges:
        if r[0] == at == r[2] and r[1] <= len(header):
            header += [""] * (r[3] - len(header))
            wide += [(ref(r), header[r[1] - 1], col) for col in range(r[1] + 1, r[3] + 1)]
    if wide:
        repairs.append(
            "header cell(s) merged over several columns: "
            + "; ".join(
                f"{name!r} over {where}" for where, name in {w: n for w, n, _ in wide}.items()
            )
            + "; the columns under them with no name of their own are empty and were ignored"
        )
    fill = tuple(
        (r[1], r[0], r[2])
        for r in ranges
        if r[0] > at and r[1] == r[3] and r[2] > r[0] and r[1] <= len(header)
    )
    if fill:
        shown = ", ".join(
            f"{header[c - 1] or get_column_letter(c)!r} rows {a}-{b}" for c, a, b in fill[:5]
        ) + (" …" if len(fill) > 5 else "")
        repairs.append(f"filled {len(fill)} merged cell range(s) with the value they show: {shown}")
    return replace(
        peek,
        header=tuple(header),
        repairs=tuple(repairs),
        merged_fill=fill,
        merged_header=tuple(wide),
    )


def _trim(cells: tuple[str, ...] | list[str]) -> list[str]:
    cells = list(cells)
    while cells and not cells[-1].strip():
        cells.pop()
    return cells


def read_xlsx(
    peek: ExportPeek, names: list[str], limits: ReadLimits = DEFAULT_LIMITS
) -> pd.DataFrame:
    """The data rows below the header, as written, under the column ``names``: every row
    the sheet holds, whatever its ``<dimension>`` tag says, up to the last non-empty one.

    Formula cells without a saved value (a workbook written by a program that does not
    compute formulas) are listed in ``frame.attrs["row_problems"]``, one :class:`Problem`
    per cell, so that their rows are quarantined rather than stored without the value.
    """
    book = _open_book(peek.path, limits)
    try:
        sheet = book[peek.sheet] if peek.sheet else book.worksheets[0]
        # the last row holding anything, counted from the sheet's XML (a value beyond the
        # header's columns, a formula without a saved value): blank rows up to it are kept
        rows = _sheet_rows(peek, sheet, limits, scan_sheet(peek.path, peek.sheet).last_row)
    finally:
        book.close()
    first = peek.header_row + 1
    for where, name, col in peek.merged_header:
        used = [
            n
            for n, row in enumerate(rows, start=first)
            if row[col - 1] is not None and str(row[col - 1]).strip()
        ]
        if used:
            from openpyxl.utils.cell import get_column_letter

            letter = get_column_letter(col)
            raise InputError(
                f"{peek.path}: the header cell {name!r} is merged over {where}, so column "
                f"{letter} has no name of its own, but it holds values ({'row' if len(used) == 1 else 'rows'} "
                f"{', '.join(map(str, used[:5]))}{' …' if len(used) > 5 else ''}): expected "
                "one header cell per column",
                file=peek.path,
                row=peek.header_row,
                column=name,
                expected="one header cell per column",
                hint=f"unmerge {where} and give column {letter} its own name (e.g. 'Currency' "
                "next to 'Amount'), or delete the column",
            )
    for col, top, bottom in peek.merged_fill:
        if top - first < len(rows):
            value = rows[top - first][col - 1]
            for n in range(top + 1 - first, min(bottom + 1 - first, len(rows))):
                rows[n] = (*rows[n][: col - 1], value, *rows[n][col:])
    frame = pd.DataFrame(rows, columns=names, dtype=object)
    frame.attrs["row_problems"] = _unsaved_formulas(peek, names)
    return frame


def _sheet_rows(
    peek: ExportPeek, sheet: Any, limits: ReadLimits, keep_to: int
) -> list[tuple[Any, ...]]:
    """The rows below the header cut or padded to the header's width, without the blank
    rows after the last one holding values (or row ``keep_to``, if later); refused beyond
    the row and cell-size limits."""
    width = len(peek.header)
    blank = (None,) * width
    quarter = limits.max_cell_bytes // 4  # a character takes at most 4 bytes in UTF-8
    rows: list[tuple[Any, ...]] = []
    pending = 0
    first = peek.header_row + 1
    for number, row in enumerate(sheet.iter_rows(min_row=first, values_only=True), start=first):
        cells = tuple(row[:width]) + (None,) * (width - len(row))
        if cells == blank:
            pending += 1
            continue
        if number > limits.max_rows:
            raise InputError(
                f"{peek.path}: the sheet holds more than {limits.max_rows} rows (row {number} "
                f"holds values), beyond the limit max_rows = {limits.max_rows}: expected at "
                f"most {limits.max_rows} rows",
                file=peek.path,
                row=number,
                expected=f"at most {limits.max_rows} rows (max_rows)",
                hint="if the file is a real export, raise the limit in the configuration "
                f"file's limits: section (e.g. max_rows: {limits.max_rows * 2}); otherwise "
                "export fewer rows (a shorter date range, one team per file)",
            )
        for col, value in enumerate(cells):
            if isinstance(value, str) and len(value) > quarter:
                size = len(value.encode("utf-8"))
                if size > limits.max_cell_bytes:
                    raise _cell_too_large(peek, limits, number, col, size)
        rows.extend([blank] * pending)
        pending = 0
        rows.append(cells)
    rows.extend([blank] * min(pending, max(0, keep_to - (first - 1 + len(rows)))))
    return rows


def _cell_too_large(
    peek: ExportPeek, limits: ReadLimits, row: int, col: int, size: int
) -> InputError:
    from openpyxl.utils.cell import get_column_letter

    column = peek.header[col] or get_column_letter(col + 1)
    limit = limits.max_cell_bytes
    return InputError(
        f"{peek.path}, row {row}, column {column!r}: the cell {get_column_letter(col + 1)}{row} "
        f"holds {format_size(size)} of text, beyond the limit max_cell_bytes = {limit} "
        f"({format_size(limit)}): expected at most {format_size(limit)} per cell",
        file=peek.path,
        row=row,
        column=column,
        expected=f"at most {limit} bytes per cell (max_cell_bytes)",
        hint="if the cell is real (a long note), raise the limit in the configuration file's "
        f"limits: section (e.g. max_cell_bytes: {size + 1}); otherwise shorten the cell or "
        "leave the column out of the export",
    )


def _unsaved_formulas(peek: ExportPeek, names: list[str]) -> tuple[Problem, ...]:
    """One problem per formula cell below the header that has no saved value."""
    scan = scan_sheet(peek.path, peek.sheet)
    hint = (
        "open and save the file in Excel or LibreOffice so formulas are computed, or paste values"
    )
    if scan.unsaved_count > len(scan.unsaved_formulas):
        cells = ", ".join(ref for _, _, ref in scan.unsaved_formulas[:5])
        raise InputError(
            f"{peek.path}: {scan.unsaved_count} formula cells have no saved value ({cells} "
            "…): the program that wrote the workbook did not compute them: expected values",
            file=peek.path,
            expected="a value (the formula's result saved in the file)",
            hint=hint,
        )
    width = len(names)
    return tuple(
        Problem(
            str(peek.path),
            row,
            names[col - 1],
            "a value (the formula's result saved in the file)",
            f"a formula in {ref} without a saved value",
            hint,
        )
        for row, col, ref in scan.unsaved_formulas
        if row > peek.header_row and col <= width
    )
