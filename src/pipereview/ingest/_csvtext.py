"""What a line and a record of a CSV export are, decided in one place.

A line ends at ``\\r\\n``, ``\\r`` or ``\\n``, the CSV reader's rule, and nowhere else:
not at U+2028, U+2029, U+0085, a form feed, ``\\v`` or ``\\x1c``-``\\x1e``, where
:meth:`str.splitlines` also cuts. Header detection, the reader's helpers and the
independent record count (:mod:`pipereview.ingest._csvscan`) all use this rule, so a report title
holding one of those characters cannot move the header. Also here: the first megabyte of
a file decoded for header detection, and the limits on the lines read there.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Sequence
from pathlib import Path

from pipereview.core._errors import EncodingError, InputError
from pipereview.ingest._limits import ReadLimits, format_size
from pipereview.ingest._peek import HEADER_SCAN_ROWS

__all__ = ["check_head", "decode_head", "split_lines", "split_record"]

_LIMITS_HINT = "or raise '{name}' in the 'limits:' section of the configuration"


def split_lines(text: str) -> list[str]:
    """``text`` cut into lines at ``\\r\\n``, ``\\r`` and ``\\n`` only.

    >>> split_lines("Pipeline\\u2028report\\fQ4\\r\\nID,Name\\r1,A\\n")
    ['Pipeline\\u2028report\\x0cQ4', 'ID,Name', '1,A']
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return lines[:-1] if lines and not lines[-1] else lines


def split_record(text: str, delimiter: str) -> list[str]:
    """One record's cells: a quote opens a quoted cell only at the start of a cell, ``""``
    inside one is a quote, a quote elsewhere is text.

    >>> split_record('D1,"Acme, Inc","say ""hi""\\nthen call",5" screen', ",")
    ['D1', 'Acme, Inc', 'say "hi"\\nthen call', '5" screen']
    """
    cells: list[str] = []
    cell: list[str] = []
    quoted, at_start, i = False, True, 0
    text = text.rstrip("\r\n")
    while i < len(text):
        char = text[i]
        i += 1
        if quoted:
            if char != '"':
                cell.append(char)
            elif text[i : i + 1] == '"':
                cell.append('"')
                i += 1
            else:
                quoted = False
        elif char == '"' and at_start:
            quoted = True
        elif char == delimiter:
            cells.append("".join(cell))
            cell, at_start = [], True
            continue
        else:
            cell.append(char)
        at_start = False
    cells.append("".join(cell))
    return cells


def decode_head(data: bytes, *, encoding: str, complete: bool, path: Path) -> str:
    """The first bytes of a file as text; when they are not the whole file, only up to
    the last line end (empty when the first line is longer than ``data``)."""
    try:
        text: str = codecs.getincrementaldecoder(encoding)().decode(data, final=complete)
    except (UnicodeDecodeError, LookupError) as exc:
        raise EncodingError(
            f"{path} cannot be read as {encoding}: {exc}",
            file=path,
            expected=f"text in {encoding}",
            hint="leave out --encoding to let pipereview detect it",
        ) from None
    if not complete:
        text = text[: max(text.rfind("\n"), text.rfind("\r")) + 1]
    return text


def check_head(
    lines: Sequence[str], path: Path, limits: ReadLimits, *, longer_than: int = 0
) -> None:
    """Refuse a line among the first (where the header is looked for: titles, the header,
    the first records) over the limits (size or columns). ``lines`` are the
    first lines; ``longer_than`` (bytes) when the first line did not even fit in them."""
    if longer_than:
        raise _long_line(path, 1, *_first_line(path), limits)
    for number, line in enumerate(lines, start=1):
        size = len(line.encode("utf-8"))
        fields = _fields(line.encode("utf-8"))
        if size > limits.max_title_line_bytes or fields > limits.max_columns:
            raise _long_line(path, number, size, fields, limits)
        if size > limits.max_cell_bytes:
            _check_cells(line, number, path, limits)
    if limits.max_cell_bytes >= csv.field_size_limit():
        # the csv module (header detection, rows wider than the header) refuses cells over
        # its own limit: let it read what the configured limit allows (process-wide, raised
        # only)
        csv.field_size_limit(limits.max_cell_bytes + 1)


def _fields(line: bytes) -> int:
    return max(line.count(d) for d in (b",", b";", b"\t", b"|")) + 1


def _first_line(path: Path) -> tuple[int, int]:
    """Bytes and fields up to the first line end of the file (a line too long for the
    first read)."""
    size, counts = 0, dict.fromkeys((b",", b";", b"\t", b"|"), 0)
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            ends = [i for i in (chunk.find(b"\n"), chunk.find(b"\r")) if i >= 0]
            chunk = chunk[: min(ends)] if ends else chunk
            size += len(chunk)
            for delimiter in counts:
                counts[delimiter] += chunk.count(delimiter)
            if ends:
                break
    return size, max(counts.values()) + 1


def _check_cells(line: str, number: int, path: Path, limits: ReadLimits) -> None:
    """Refuse a cell of ``line`` over the limit (cut at the line's most used delimiter)."""
    delimiter = max((",", ";", "\t", "|"), key=line.count)
    for column, cell in enumerate(line.split(delimiter), start=1):
        size = len(cell.encode("utf-8"))
        if size > limits.max_cell_bytes:
            cap = format_size(limits.max_cell_bytes)
            raise InputError(
                f"{path}: line {number}, column {column}: the cell holds {format_size(size)} "
                f"({size:,} bytes), more than the limit of {cap} for one cell: expected "
                f"cells of at most {cap}",
                file=path,
                row=number,
                column=f"column {column}",
                expected=f"a cell of at most {cap}",
                hint="a cell that large is usually a file pasted into a field or a quote "
                "that never closes; remove it in the export, "
                + _LIMITS_HINT.format(name="max_cell_bytes"),
            )


def _long_line(path: Path, number: int, size: int, fields: int, limits: ReadLimits) -> InputError:
    if fields > limits.max_columns:
        return InputError(
            f"{path}: line {number} holds {fields:,} columns ({format_size(size)}), more "
            f"than the limit of {limits.max_columns:,} columns: expected a header of at most "
            f"{limits.max_columns:,} columns",
            file=path,
            row=number,
            expected=f"at most {limits.max_columns:,} columns",
            hint="a CRM export has tens of columns: check that this is the report's export "
            "and remove the unneeded columns, " + _LIMITS_HINT.format(name="max_columns"),
        )
    return InputError(
        f"{path}: line {number} is {format_size(size)} long ({size:,} bytes) before its line "
        f"end, more than the limit of {format_size(limits.max_title_line_bytes)} for a line "
        f"among the first {HEADER_SCAN_ROWS}, where the header is looked for (report titles, "
        "the header and the first records): expected a header (and title lines above it) of "
        f"at most {format_size(limits.max_title_line_bytes)} a line",
        file=path,
        row=number,
        expected=f"lines of at most {format_size(limits.max_title_line_bytes)}",
        hint="remove that line (a title that long is not part of a CRM export; check that "
        "the file is the export), " + _LIMITS_HINT.format(name="max_title_line_bytes"),
    )
