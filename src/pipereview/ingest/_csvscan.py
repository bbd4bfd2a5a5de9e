"""The second, independent count of a CSV file's records: from its bytes, lines and quotes.

The CSV reader (pandas) and this scan must agree on how many records a file holds; when
they do not, or when the scan finds a quote that would make a record swallow others, the
file is refused (see :mod:`pipereview.ingest._accounting`). The scan walks the bytes itself,
with the rule every part of pipereview uses for a line (:mod:`pipereview.ingest._csvlines`):
it ends at ``\\r\\n``, ``\\r`` or ``\\n``, never at U+2028, a form feed or ``\\x1c``. A
double quote opens a quoted cell only at the start of a cell; inside one, ``""`` is a
quote; a quote elsewhere is text.

What is refused, each with the line and the cell:

- a quote that opens a cell and never closes (every line after it would fold into it);
- a quote that opens a cell and closes before the cell ends (``"Big" deal``);
- a quoted cell spanning lines where the line it opens on is a whole record and a line
  inside it is one too: a stray quote that folded deals into one cell, not a note with a
  line break;
- a cell larger than the limit, and more records than the limit.

The work is done with numpy over the positions of line ends and quotes, so a file of a
million rows is scanned in a fraction of the time pandas takes to read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipereview.core._errors import InputError, Problem
from pipereview.ingest._csvlines import CR as _CR
from pipereview.ingest._csvlines import LF as _LF
from pipereview.ingest._csvlines import QUOTE as _QUOTE
from pipereview.ingest._csvlines import CsvLines, Positions, shorten
from pipereview.ingest._csvtext import split_record
from pipereview.ingest._limits import DEFAULT_LIMITS, ReadLimits, format_size

__all__ = ["CsvScan", "check_quotes", "scan_csv"]

_HINT = (
    "a double quote at the start of a cell opens a quoted cell that runs to the next "
    "quote: if the quote belongs to the text, put the whole cell in double quotes and "
    'double the quote inside it ("" ), or remove the quote; then save the file again '
    "(spreadsheet programs and CRMs do this when they save CSV)"
)
_MAX_SHOWN = 5
_EVIDENCE_LINES = 200


@dataclass(frozen=True)
class CsvScan:
    """Records of a CSV file counted from its line ends outside quoted cells."""

    #: records, blank lines and a last line without a line end included
    records: int
    #: physical lines (what a text editor numbers)
    lines: int
    #: the physical line each record starts on (1-based), one per record
    record_lines: Positions
    #: the scan itself, to read a record's cells again
    walker: _Scan = field(repr=False, compare=False)

    def cells(self, row: int) -> list[str]:
        """The cells of record ``row`` (1-based), read with the scan's rules."""
        return split_record(self.walker.record_text(row), self.walker.delimiter)

    def line_of(self, row: int) -> int:
        """The physical line where record ``row`` (1-based, as a spreadsheet numbers rows)
        starts; past the last record, the line after the file's last one."""
        if 1 <= row <= self.records:
            return int(self.record_lines[row - 1])
        return self.lines + 1


def scan_csv(
    data: bytes,
    *,
    path: Path,
    delimiter: str,
    header: Sequence[str],
    header_row: int,
    limits: ReadLimits,
) -> CsvScan:
    """Count the records of ``data`` (UTF-8, without BOM) and refuse what cannot be read
    reliably (see the module's docstring) with an :class:`InputError` naming the line.

    ``header`` is the header the reader found on record ``header_row``: the scan checks
    that its own record ``header_row`` holds it, so a title line cut differently by the
    two readers cannot move the header.
    """
    scan = _Scan(data, path, delimiter, tuple(header), limits)
    result = scan.run()
    scan.check_header(result, header_row)
    return result


def check_quotes(data: bytes, *, path: Path, delimiter: str, header: Sequence[str] = ()) -> None:
    """Refuse a quote in ``data`` (a whole small file, UTF-8) that never closes or closes
    before its cell ends, before the header is looked for: a title line opening a quote
    would otherwise swallow the header.

    >>> check_quotes(b'"Pipeline Q4\\nID,Name\\n1,A\\n', path=Path("x.csv"), delimiter=",")
    Traceback (most recent call last):
    ...
    pipereview.core._errors.InputError: x.csv: line 1, column 1: the cell '"Pipeline Q4' ...
    """
    _Scan(data, path, delimiter, tuple(header), DEFAULT_LIMITS).quoted_cells()


class _Scan(CsvLines):
    def __init__(
        self, data: bytes, path: Path, delimiter: str, header: tuple[str, ...], limits: ReadLimits
    ) -> None:
        super().__init__(data, path, delimiter, header)
        self.limits = limits
        self.record_ends: Positions = np.zeros(0, dtype=np.int64)

    # --- the scan ------------------------------------------------------------------------

    def run(self) -> CsvScan:
        opens, closes = self.quoted_cells()
        inside = np.zeros(len(self.ends), dtype=bool)
        if len(opens):
            cell = np.searchsorted(opens, self.ends, side="right") - 1
            inside = (cell >= 0) & (self.ends < closes[np.maximum(cell, 0)])
            self._check_spanning(opens, closes)
        record_ends = np.flatnonzero(~inside)
        self.record_ends = record_ends
        last_end = int(self.ends[record_ends[-1]]) if len(record_ends) else -1
        tail = self.size > last_end + 1
        records = len(record_ends) + int(tail)
        lines = len(self.ends) + int(self.size > (int(self.ends[-1]) + 1 if len(self.ends) else 0))
        starts = np.concatenate([np.ones(1, dtype=np.int64), record_ends + 2])[:records]
        self._check_sizes(opens, closes, records)
        return CsvScan(records, lines, starts, self)

    def quoted_cells(self) -> tuple[Positions, Positions]:
        """First and last byte (the quotes) of every quoted cell, in order; refuses a quote
        that never closes or closes before its cell ends."""
        empty = np.zeros(0, dtype=np.int64)
        if self.data.find(b'"') < 0:
            return empty, empty
        quotes = np.flatnonzero(self.arr == _QUOTE).astype(np.int64, copy=False)
        simple = self._paired(quotes)
        if simple is not None:
            return simple
        return self._walk(quotes.tolist())

    def _paired(self, quotes: Positions) -> tuple[Positions, Positions] | None:
        """The quoted cells when the quotes pair off one after the other (the case of
        every well-formed file), checked with whole-array operations; None otherwise."""
        if len(quotes) % 2:
            return None
        opens, closes = quotes[0::2], quotes[1::2]
        ends = np.array([self.delim[0], _LF, _CR], dtype=np.uint8)
        before = self.arr[np.maximum(opens - 1, 0)]
        after = self.arr[np.minimum(closes + 1, self.size - 1)]
        prev_close = np.concatenate([np.full(1, -5, dtype=np.int64), closes[:-1]])
        next_open = np.concatenate([opens[1:], np.full(1, -5, dtype=np.int64)])
        joined = opens - 1 == prev_close  # the second quote of a "" inside a quoted cell
        start_ok = (opens == 0) | np.isin(before, ends) | joined
        end_ok = (closes + 1 == self.size) | np.isin(after, ends) | (closes + 1 == next_open)
        if not (bool(start_ok.all()) and bool(end_ok.all())):
            return None
        first = np.flatnonzero(~joined)
        last = np.concatenate([first[1:] - 1, np.full(1, len(opens) - 1, dtype=np.int64)])
        return opens[first], closes[last]

    def _walk(self, quotes: list[int]) -> tuple[Positions, Positions]:
        """The quoted cells, quote by quote, as the CSV reader reads them."""
        data, delim = self.data, self.delim[0]
        opens: list[int] = []
        closes: list[int] = []
        unclosed: list[int] = []
        early: list[tuple[int, int]] = []
        count, i = len(quotes), 0
        while i < count:
            at = quotes[i]
            if at > 0 and data[at - 1] not in (delim, _LF, _CR):
                i += 1  # a quote inside a cell is text
                continue
            j = i + 1
            while j + 1 < count and quotes[j + 1] == quotes[j] + 1:
                j += 2  # "" inside the quoted cell
            if j >= count:
                unclosed.append(at)
                opens.append(at)
                closes.append(self.size)
                break
            close = quotes[j]
            opens.append(at)
            closes.append(close)
            rest = close + 1
            while rest < self.size and data[rest] in b" \t" and data[rest] != delim:
                rest += 1
            if rest < self.size and data[rest] not in (delim, _LF, _CR):
                early.append((at, close))
            i = j + 1
        if unclosed:
            raise self._unclosed(unclosed[0])
        if early:
            raise self._early_close(early)
        return np.array(opens, dtype=np.int64), np.array(closes, dtype=np.int64)

    def record_text(self, row: int) -> str:
        """The text of record ``row`` (1-based)."""
        ends, size = self.record_ends, self.size
        start = int(self.ends[ends[row - 2]]) + 1 if row > 1 else 0
        end = int(self.ends[ends[row - 1]]) if row - 1 < len(ends) else size
        return self.data[start:end].decode("utf-8", "replace")

    def check_header(self, scan: CsvScan, header_row: int) -> None:
        if not self.header or header_row > scan.records:
            return
        cells = tuple(c.strip() for c in split_record(self.record_text(header_row), self.delimiter))
        if cells[: len(self.header)] == self.header:
            return
        line = scan.line_of(header_row)
        raise InputError(
            f"{self.path}: the header was taken from row {header_row}, but row {header_row} "
            f"starts on line {line} and reads {self.line_text(line)!r}: the lines above the "
            "header were cut in two different ways: expected the header on one line",
            file=self.path,
            row=header_row,
            expected="the header on one line",
            hint="remove the report title lines above the header (or save the report "
            "without them) and ingest again",
        )

    # --- what is refused ----------------------------------------------------------------

    def _unclosed(self, at: int) -> InputError:
        line, column, cell = self.cell_at(at)
        swallowed = self.line_no(self.size - 1) - line
        return InputError(
            f"{self.path}: line {line}, {_label(column)}: the cell {cell!r} opens a double quote that is never "
            f"closed, so the CSV reader would read the rest of the file ({swallowed} more "
            f"line(s)) as part of that one cell and lose the deals on them: expected every "
            "quoted cell to end with a double quote",
            file=self.path,
            row=line,
            column=column,
            expected="a closing double quote",
            hint=_HINT,
        )

    def _early_close(self, early: list[tuple[int, int]]) -> InputError:
        problems = []
        columns = []
        for at, close in early[:_MAX_SHOWN]:
            line, column, _ = self.cell_at(at)
            _, end = self.line_bounds(self.line_no(close))
            rest = self.data[close + 1 : end].split(self.delim)[0]
            cell = self.data[at : close + 1] + rest
            columns.append(column)
            problems.append(
                Problem(
                    str(self.path),
                    line,
                    column,
                    "a cell that ends with its closing quote",
                    shorten(cell.decode("utf-8", "replace"), 50),
                    _HINT,
                )
            )
        first = problems[0]
        more = f" (and {len(early) - 1} more)" if len(early) > 1 else ""
        return InputError(
            f"{self.path}: line {first.row}, {_label(columns[0])}: the cell {first.got!r} opens a double quote and "
            f"closes it before the cell ends{more}, so the CSV reader would drop the quotes "
            "and join the text around them: expected a quoted cell to end right after its "
            "closing quote",
            file=self.path,
            row=first.row,
            column=columns[0],
            problems=tuple(problems),
            expected="a quoted cell that ends with its closing quote",
            hint=_HINT,
        )

    def _check_spanning(self, opens: Positions, closes: Positions) -> None:
        """Quoted cells that span lines: a note with a line break is fine; a stray quote
        that folded whole records into one cell is refused."""
        if self.width < 2:
            return
        first = np.searchsorted(self.ends, opens, side="left")
        last = np.searchsorted(self.ends, np.minimum(closes, self.size - 1), side="left")
        for index in np.flatnonzero(last > first).tolist():
            open_line, close_line = int(first[index]) + 1, int(last[index]) + 1
            if self.fields_on(open_line) < self.width:
                continue  # the record goes on after the quote closes: a multi-line cell
            whole = [
                n
                for n in range(open_line + 1, min(close_line, open_line + _EVIDENCE_LINES) + 1)
                if self.fields_on(n) >= self.width
            ]
            if whole:
                raise self._folded(int(opens[index]), close_line, whole)

    def _folded(self, at: int, close_line: int, whole: list[int]) -> InputError:
        line, column, cell = self.cell_at(at)
        shown = "; ".join(f"line {n}: {self.line_text(n, 40)!r}" for n in whole[:3])
        return InputError(
            f"{self.path}: line {line}, {_label(column)}: the cell {cell!r} opens a double quote that closes "
            f"only on line {close_line}, so lines {line}-{close_line} would be read as one "
            f"record, although {len(whole)} of the lines inside the quotes hold a whole row "
            f"of {self.width} fields ({shown}): expected a quote to open a cell only when it "
            "closes at the cell's end",
            file=self.path,
            row=line,
            column=column,
            expected="a closing double quote at the end of the cell",
            hint=_HINT,
        )

    def _check_sizes(self, opens: Positions, closes: Positions, records: int) -> None:
        limits = self.limits
        if records > limits.max_rows:
            raise InputError(
                f"{self.path} holds {records:,} rows, more than the limit of "
                f"{limits.max_rows:,} (the row at line {self.line_no(self.size - 1)} is the "
                "last): expected at most that many rows",
                file=self.path,
                expected=f"at most {limits.max_rows:,} rows",
                hint="split the export (e.g. by team or region), or raise 'max_rows' in the "
                "'limits:' section of the configuration",
            )
        cap = limits.max_cell_bytes
        if len(opens):
            big = np.flatnonzero(closes - opens - 1 > cap)
            if len(big):
                at = int(opens[big[0]])
                self._too_big(at, int(closes[big[0]]) - at - 1)
        bounds = np.concatenate(
            [np.full(1, -1, dtype=np.int64), self.ends, np.full(1, self.size, dtype=np.int64)]
        )
        long_lines = np.flatnonzero(np.diff(bounds) - 1 > cap)
        for line in (long_lines + 1).tolist():
            start, end = self.line_bounds(line)
            cell_start = start
            for piece in self.data[start:end].split(self.delim):
                if len(piece) > cap:
                    self._too_big(cell_start, len(piece))
                cell_start += len(piece) + 1

    def _too_big(self, at: int, size: int) -> None:
        line, column, _ = self.cell_at(at)
        cap = self.limits.max_cell_bytes
        raise InputError(
            f"{self.path}: line {line}, {_label(column)}: the cell holds {format_size(size)} "
            f"({size:,} bytes), more than the limit of {format_size(cap)} for one cell: "
            f"expected cells of at most {format_size(cap)}",
            file=self.path,
            row=line,
            column=column,
            expected=f"a cell of at most {format_size(cap)}",
            hint="a cell that large is usually a file pasted into a field or a quote that "
            "never closes; remove it in the export, or raise 'max_cell_bytes' in the "
            "'limits:' section of the configuration",
        )


def _label(column: str) -> str:
    """``column 'Opportunity'`` for a named column, ``column 12`` for one past the header."""
    return column if column.startswith("column ") else f"column {column!r}"
