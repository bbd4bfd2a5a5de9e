"""The errors pipereview raises, all subclasses of :class:`PipereviewError`.

::

    PipereviewError
    ├── InputError (ValueError)     bad input from a user's file or argument
    │   ├── SchemaError             rows or columns that do not fit the canonical snapshot
    │   ├── EncodingError           a file whose text encoding cannot be told
    │   ├── ColumnMapError          no column map fits, several fit, or a map is invalid
    │   ├── ConfigError             invalid settings, an unknown rule, a missing template
    │   └── InvalidWeekError        a week string that is not an ISO week such as 2026-W47
    ├── StageModelError             an invalid stage model file
    └── StoreError                  the snapshot store refused an operation
        ├── WeekExistsError         the week is stored already (use replace=True)
        └── WeekNotFoundError       the week is not in the store

Every error carries a ``hint``: what the user can do about it. Input errors also carry the
file, row and column they are about, so a message reads like::

    exports/north.csv, row 12, column 'Amount': expected an amount >= 0, got '-500'.
    Hint: ...
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ColumnMapError",
    "ConfigError",
    "EncodingError",
    "InputError",
    "InvalidWeekError",
    "PipereviewError",
    "Problem",
    "SchemaError",
    "StageModelError",
    "StoreError",
    "WeekExistsError",
    "WeekNotFoundError",
]


class PipereviewError(Exception):
    """Base class of every error pipereview raises on purpose."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\nHint: {self.hint}" if self.hint else self.message


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file: where it is, what was expected, how to fix it.

    ``row`` is the 1-based line number in the file as a spreadsheet shows it (the header
    is usually row 1); ``None`` when the problem concerns the whole file or a column.

    >>> str(Problem("a.csv", 3, "Amount", "an amount >= 0", "-5", "remove credits"))
    "a.csv, row 3, column 'Amount': expected an amount >= 0, got '-5'. Hint: remove credits"
    """

    file: str
    row: int | None
    column: str | None
    expected: str
    got: str = ""
    hint: str = ""

    def where(self) -> str:
        parts = [self.file] if self.file else []
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        text = f"{self.where()}: expected {self.expected}"
        if self.got:
            text += f", got {self.got!r}"
        text += "."
        if self.hint:
            text += f" Hint: {self.hint}"
        return text


class InputError(PipereviewError, ValueError):
    """Bad input: a file, a row, a column or an argument the user can fix.

    Also a :class:`ValueError`, so code that catches bad values catches it too.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        expected: str = "",
        hint: str = "",
        problems: tuple[Problem, ...] = (),
    ) -> None:
        super().__init__(message, hint=hint)
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        self.expected = expected
        self.problems = problems


class SchemaError(InputError):
    """Rows or columns of an export that do not fit the canonical snapshot.

    ``problems`` lists every problem found, all at once, not just the first.
    """


class EncodingError(InputError):
    """A text file whose encoding is neither UTF-8 nor GB18030, or mixes several."""


class ColumnMapError(InputError):
    """No column map fits the export's header, several fit, or a map file is invalid."""


class ConfigError(InputError):
    """Invalid settings or extensions: a threshold file, an unknown rule, a missing
    prompt template."""


class InvalidWeekError(InputError):
    """A week string that is not an ISO week such as ``2026-W47``."""


class StageModelError(PipereviewError):
    """A stage model file that breaks the stage-model rules (see docs/formats.md)."""


class StoreError(PipereviewError):
    """The snapshot store refused an operation."""


class WeekExistsError(StoreError):
    """The week is already stored; pass ``replace=True`` (``--replace``) to overwrite it."""


class WeekNotFoundError(StoreError):
    """The week asked for is not in the store."""


