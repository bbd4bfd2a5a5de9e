"""Reading a CSV export's rows below the header with pandas: text columns kept as text
(IDs such as ``00123`` keep their zeros) unless their numbers need no second look, rows with
more fields than the header refused or kept for the quarantine, and a file whose later
lines turn out to be in another encoding than its head read again in the right one.

:func:`pipereview.ingest._readers.read_rows` reads CSV exports here, once
:func:`~pipereview.ingest._readers.peek_export` has found the header.
"""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from pipereview.core._errors import InputError, Problem
from pipereview.ingest._encoding import detect_encoding
from pipereview.ingest._peek import ExportPeek, column_names

__all__ = ["find_long_rows"]

_DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars"}


def find_long_rows(peek: ExportPeek) -> tuple[Problem, ...]:
    """The CSV rows below the header that have more fields than the header, one
    :class:`Problem` each (column ``None``: the whole row is unreadable)."""
    if peek.kind != "csv":
        return ()
    text = peek.path.read_bytes().decode(peek.encoding or "utf-8")
    width = len(peek.header)
    delimiter = peek.delimiter or ","
    found = []
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)  # \r\n, \r, \n
    for number, row in enumerate(rows, start=1):
        if number > peek.header_row and len(row) > width:
            found.append(
                Problem(
                    str(peek.path),
                    number,
                    None,
                    f"{width} fields separated by {_DELIMITER_NAMES.get(delimiter, repr(delimiter))} "
                    "like the header",
                    f"{len(row)} fields",
                    "a field holds the delimiter without quotes; put that field in double quotes "
                    "or export the file again with quoting on",
                )
            )
    return tuple(found)


def read_csv_rows(
    peek: ExportPeek,
    text_columns: Collection[str],
    *,
    keep_long_rows: bool = False,
    plain_numbers: Mapping[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """The rows below a CSV export's header, as written: see
    :func:`pipereview.ingest._readers.read_rows`, which numbers them as a spreadsheet does."""
    try:
        return _read_csv_as(peek, text_columns, keep_long_rows, plain_numbers)
    except UnicodeDecodeError:
        # the head looked like one encoding, a later line is another: find out exactly
        encoding = detect_encoding(peek.path.read_bytes(), peek.path)
        return _read_csv_as(
            replace(peek, encoding=encoding), text_columns, keep_long_rows, plain_numbers
        )


def _read_csv_as(
    peek: ExportPeek,
    text_columns: Collection[str],
    keep_long_rows: bool = False,
    plain_numbers: Mapping[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    plain_numbers = plain_numbers or {}
    names = column_names(peek.header)
    options: dict[str, Any] = {
        "sep": peek.delimiter,
        "encoding": peek.encoding,
        "skiprows": peek.header_row,
        "header": None,
        "names": names,
        "keep_default_na": False,
        "na_values": [""],
        "skip_blank_lines": False,
        "index_col": False,
    }
    try:
        with warnings.catch_warnings():
            # a row longer than the header as the first data row is only warned about
            # ("loss of data"): the same as any other long row
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame: pd.DataFrame = pd.read_csv(peek.path, **options)
    except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
        if not keep_long_rows:
            raise _field_count_error(peek, exc) from None
        # keep the rows that are too wide, cut to the header; the caller quarantines them
        width = len(names)
        with warnings.catch_warnings():
            # a long first row is cut with a warning instead of on_bad_lines: it is among
            # the long rows found below all the same, and rejected whole
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            frame = pd.read_csv(
                peek.path,
                engine="python",
                dtype=dict.fromkeys(text_columns, "str"),
                on_bad_lines=lambda fields: fields[:width],
                **options,
            )
        frame.attrs["long_rows"] = find_long_rows(peek)
        return frame
    # Text columns the reader took for numbers (IDs such as 00123) are read again as text;
    # reading every text column as text up front would cost twice the time on large files.
    numeric = [
        c
        for c in text_columns
        if c in frame.columns
        and not pd.api.types.is_string_dtype(frame[c].dtype)
        and not (c in plain_numbers and _plain_numbers(frame[c], *plain_numbers[c]))
    ]
    if numeric:
        text = dict.fromkeys(numeric, "str")
        try:
            again = pd.read_csv(peek.path, usecols=numeric, dtype=text, **options)
        except pd.errors.ParserError:  # usecols trips over rows shorter than the header
            again = pd.read_csv(peek.path, dtype=text, **options)
        frame[numeric] = again[numeric]
    return frame


def _plain_numbers(column: pd.Series, low: float, high: float) -> bool:
    """True when every cell of a column the reader took for numbers is a finite number from
    ``low`` to ``high`` (no blank, no NaN or infinity): such a column is used as read,
    without reading it again as text.

    >>> _plain_numbers(pd.Series([12000.0, 350.5]), 0.0, 1e12)
    True
    >>> _plain_numbers(pd.Series([12000.0, float("inf")]), 0.0, 1e12)
    False
    """
    if not pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
        return False
    values = column.to_numpy(dtype="float64", na_value=np.nan)
    return bool(np.isfinite(values).all() and (values >= low).all() and (values <= high).all())


def _field_count_error(peek: ExportPeek, exc: Exception) -> InputError:
    problems = find_long_rows(peek)
    width = len(peek.header)
    delimiter = peek.delimiter or ","
    if not problems:  # the reader failed for another reason than a long row: say its reason
        return InputError(
            f"{peek.path}: the CSV reader stopped below the header on row {peek.header_row}: "
            f"{str(exc).strip()}; expected {width} fields per row separated by "
            f"{_DELIMITER_NAMES.get(delimiter, repr(delimiter))}",
            file=peek.path,
            expected=f"{width} fields separated by {delimiter!r}",
            hint="open the file in a text editor at the line named and check its quotes "
            "and delimiters, or export the file again",
        )
    shown = ", ".join(f"row {p.row} has {p.got}" for p in problems[:10])
    return InputError(
        f"{peek.path}: {len(problems)} row(s) have more fields than the header on row "
        f"{peek.header_row}: {shown}{' …' if len(problems) > 10 else ''}; expected {width} "
        f"fields separated by {_DELIMITER_NAMES.get(delimiter, repr(delimiter))}",
        file=peek.path,
        row=problems[0].row,
        expected=f"{width} fields separated by {delimiter!r}",
        problems=problems,
        hint="a field holds the delimiter without quotes (a name or next step with a comma, "
        "an amount such as 12,000 written without quotes); put such fields in double quotes "
        "or export the file again with quoting on",
    )
