"""Where a byte of a CSV file sits: its physical line, that line's text and fields, and the
column of the cell there, named by the header.

A line ends at ``\\r\\n``, ``\\r`` or ``\\n`` (the rule of
:mod:`pipereview.ingest._csvtext`). :mod:`pipereview.ingest._csvscan` counts records over
these lines and names the line and cell of what it refuses.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

__all__: list[str] = []

QUOTE, LF, CR = 0x22, 0x0A, 0x0D
Positions = npt.NDArray[np.int64]


class CsvLines:
    """The bytes of a CSV file as physical lines (what a text editor numbers).

    >>> lines = CsvLines(b'ID,Name\\r\\n1,"Big\\ndeal"\\n', Path("x.csv"), ",", ("ID", "Name"))
    >>> lines.line_no(11), lines.line_bounds(1), lines.line_text(2), lines.fields_on(2)
    (2, (0, 7), '1,"Big', 2)
    >>> lines.cell_at(11)
    (2, 'Name', '"Big')
    """

    def __init__(self, data: bytes, path: Path, delimiter: str, header: tuple[str, ...]) -> None:
        self.data, self.path, self.header = data, path, header
        self.delimiter, self.delim, self.width = delimiter, delimiter.encode("utf-8"), len(header)
        self.arr = np.frombuffer(data, dtype=np.uint8)
        self.size = len(data)
        self.ends = self._line_ends()

    def _line_ends(self) -> Positions:
        """Positions of the bytes that end a line: every ``\\n`` and every ``\\r`` not
        followed by ``\\n``."""
        ends = np.flatnonzero(self.arr == LF)
        if self.data.find(b"\r") >= 0:
            cr = np.flatnonzero(self.arr == CR)
            after = self.arr[np.minimum(cr + 1, self.size - 1)]
            lone = cr[(cr + 1 >= self.size) | (after != LF)]
            if len(lone):
                ends = np.sort(np.concatenate([ends, lone]))
        return ends.astype(np.int64, copy=False)

    def line_no(self, position: int) -> int:
        """The 1-based physical line holding byte ``position``."""
        return int(np.searchsorted(self.ends, position, side="left")) + 1

    def line_bounds(self, line: int) -> tuple[int, int]:
        """Byte range of physical line ``line`` (1-based), without its line end."""
        start = int(self.ends[line - 2]) + 1 if line > 1 else 0
        end = int(self.ends[line - 1]) if line - 1 < len(self.ends) else self.size
        if end > start and self.data[end - 1] == CR:
            end -= 1
        return start, end

    def line_text(self, line: int, limit: int = 60) -> str:
        start, end = self.line_bounds(line)
        return shorten(self.data[start:end].decode("utf-8", "replace"), limit)

    def fields_on(self, line: int) -> int:
        start, end = self.line_bounds(line)
        return self.data.count(self.delim, start, end) + 1

    def cell_at(self, position: int) -> tuple[int, str, str]:
        """The line of byte ``position``, the column's header name there (or
        ``column 12`` past the header) and the line's text from there, shortened."""
        line = self.line_no(position)
        start, end = self.line_bounds(line)
        number = _column_at(self.data[start:position], self.delim)
        name = self.header[number - 1] if number <= self.width else ""
        if len(name) > 60 or "\n" in name or "\r" in name:  # a header a stray quote swallowed
            name = ""
        text = self.data[position:end].decode("utf-8", "replace")
        return line, name or f"column {number}", shorten(text, 50)


def _column_at(before: bytes, delim: bytes) -> int:
    """The 1-based column of a cell that starts after ``before`` on its line (delimiters
    inside quoted cells not counted)."""
    column, quoted = 1, False
    for byte in before:
        if byte == QUOTE:
            quoted = not quoted
        elif byte == delim[0] and not quoted:
            column += 1
    return column


def shorten(text: str, limit: int) -> str:
    """``text`` without its line end, cut to ``limit`` characters with an ellipsis."""
    text = text.rstrip("\r\n")
    return text if len(text) <= limit else text[: limit - 1] + "…"
