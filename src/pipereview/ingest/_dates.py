"""Dates as CRM exports write them, parsed vectorised: ISO dates with or without a time
part, year-first dates with other separators (``2026/11/23``, ``2026年11月23日``), Excel
serial numbers, day/month order as the column map says, real spreadsheet dates.

Like every parser of :mod:`pipereview.ingest._parsing`, :func:`parse_dates` returns the
values and a boolean mask of the cells it could not read (blank cells are *not* bad: they
come back as missing).

>>> dates, bad = parse_dates(pd.Series(["2026-11-23", "2026/11/23", "2026年11月23日", "46349", "23/11/2026"]), "dmy")
>>> [d.date().isoformat() for d in dates], bad.tolist()
(['2026-11-23', '2026-11-23', '2026-11-23', '2026-11-23', '2026-11-23'], [False, False, False, False, False])

Every date that comes back is within :data:`DATE_RANGE`; anything else is a bad cell.
Well-known "no date" placeholders (``9999-12-31``, ``1900-01-01``, ``0000-00-00`` …) come
back blank and :func:`date_placeholders` finds them, so a caller can count them or refuse
them.

>>> dates, bad = parse_dates(pd.Series(["9999-12-31", "1600-01-01", "00/00/0000"]))
>>> dates.isna().tolist(), bad.tolist(), date_placeholders(pd.Series(["9999-12-31", "1600-01-01", "00/00/0000"])).tolist()
([True, True, True], [False, True, False], [True, False, True])
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipereview.ingest._parsing import Parser, on_uniques

__all__ = ["DATE_RANGE", "DateFormat", "date_placeholders", "parse_dates"]

#: How dates such as 23/11/2026 are read: ``dmy``, ``mdy``, or not at all (``iso``).
DateFormat = Literal["iso", "dmy", "mdy"]

#: The dates a deal may carry: anything earlier or later is a typing error or a placeholder.
DATE_RANGE = (pd.Timestamp("1900-01-01"), pd.Timestamp("2200-12-31"))
# (year, month, day) of well-known "no date" values: the far future used for "never", the
# Excel day 0 (1899-12-30/31) and day 1 (1900-01-01), .NET's 0001-01-01, SQL Server's
# 1753-01-01 and the all-zero date of MySQL and of date pickers
_PLACEHOLDER_DAYS = frozenset(
    {
        (9999, 12, 31),
        (9999, 1, 1),
        (1900, 1, 1),
        (1899, 12, 30),
        (1899, 12, 31),
        (1, 1, 1),
        (1753, 1, 1),
        (0, 0, 0),
    }
)
_PLACEHOLDER_KEYS = frozenset(y * 10_000 + m * 100 + d for y, m, d in _PLACEHOLDER_DAYS)
# a cell that may hold one of them (a cheap test before the layouts are tried)
_PLACEHOLDER_HINT = r"9999|1899|1900|1753|0000|0001|^[01](?:\.0*)?$|^2958465|^0?0:00"
# Excel serial numbers of those days (0, 1: the Excel zero; 2958465: 9999-12-31)
_PLACEHOLDER_SERIALS = (0.0, 1.0, 2958465.0)
# Excel's day 0 is 1899-12-30 (it counts the non-existent 1900-02-29).
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_EXCEL_SERIAL_RANGE = (20_000, 80_000)  # 1954-10-03 .. 2119-01-11


# a cell that starts with an ISO date and a time part: only its first 10 characters (the
# date) decide what parse_dates and date_placeholders make of it (every layout they try is
# anchored at the start, and a date is followed by the end, a space or a "T")
_DATE_THEN_TIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]"


def _date_parts(series: pd.Series) -> pd.Series:
    """``series`` with every cell that starts with an ISO date and a time part cut to the
    date: ``2026-03-01 10:23:45`` and ``2026-03-01T10:23:45.000Z`` become ``2026-03-01``,
    which :func:`parse_dates` reads exactly as the whole cell; other cells as they are.
    Columns with such times then have a few distinct values (days), not one a row."""
    if not (isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow"):
        return series
    column = pa.chunked_array(pa.array(series.array))
    if not any(
        len(chunk) and (pc.max(pc.binary_length(chunk)).as_py() or 0) > 10
        for chunk in column.chunks
    ):
        return series
    timed = pc.match_substring_regex(column, _DATE_THEN_TIME).fill_null(False)
    if not pc.any(timed).as_py():
        return series
    cut = pc.if_else(timed, pc.utf8_slice_codeunits(column, 0, 10), column)
    return pd.Series(pd.array(cut, dtype=series.dtype), index=series.index, name=series.name)


def _on_date_uniques(parse: Parser) -> Parser:
    """:func:`on_uniques` for dates: the distinct values are taken after cutting cells with
    a time part to their date (:func:`_date_parts`), so a column of timestamps is parsed
    once per day it holds."""
    on_distinct = on_uniques(parse)

    @functools.wraps(parse)
    def wrapper(series: pd.Series, *args: object, **kwargs: object) -> tuple[pd.Series, pd.Series]:
        if len(series) < 1000:
            return parse(series, *args, **kwargs)
        return on_distinct(_date_parts(series), *args, **kwargs)

    return wrapper


def _mask_on_uniques(find: Callable[[pd.Series], pd.Series]) -> Callable[[pd.Series], pd.Series]:
    """:func:`on_uniques` for a function that returns one boolean mask."""

    @functools.wraps(find)
    def wrapper(series: pd.Series) -> pd.Series:
        if len(series) < 1000 or not (
            series.dtype == object or pd.api.types.is_string_dtype(series.dtype)
        ):
            return find(series)
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        if len(uniques) > len(series) // 4:
            return find(series)
        found = find(pd.Series(uniques).reindex(range(len(uniques) + 1))).to_numpy(dtype=bool)
        return pd.Series(found[np.where(codes < 0, len(uniques), codes)], index=series.index)

    return wrapper


@_on_date_uniques
def parse_dates(series: pd.Series, date_format: DateFormat = "iso") -> tuple[pd.Series, pd.Series]:
    """Parse dates to midnight timestamps (``datetime64[ns]``).

    Always understood: ISO ``2026-11-23`` (a time part is dropped), ``2026/11/23``,
    ``2026.11.23``, ``2026年11月23日``, Excel serial numbers and real spreadsheet dates.
    ``dd/mm/yyyy`` needs ``date_format="dmy"``, ``mm/dd/yyyy`` needs ``"mdy"``. A date
    outside :data:`DATE_RANGE` is bad; a "no date" placeholder (:func:`date_placeholders`)
    comes back blank.
    """
    placeholder = date_placeholders(series)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        values = series.dt.tz_localize(None) if getattr(series.dt, "tz", None) else series
        values = values.dt.normalize()
        in_range = values.between(*DATE_RANGE)
        return (
            values.where(in_range & ~placeholder).astype("datetime64[ns]"),
            values.notna() & ~in_range & ~placeholder,
        )
    if pd.api.types.is_numeric_dtype(series.dtype):
        values, bad = _from_excel_serial(series.astype("float64"), series.isna())
        return values, bad & ~placeholder
    text = series.astype("str").where(~series.isna(), "").str.strip()
    blank = text == ""
    out = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
    # 1. ISO, with or without a time part
    # (a date followed by anything but a time part is not a date: 2026-03-01xyz is bad)
    out[:] = _strptime(text.str.slice(0, 10), "%Y-%m-%d").where(
        text.str.slice(10, 11).isin(["", " ", "T"])
    )
    todo = out.isna() & ~blank
    if todo.any():
        part = text[todo].str.extract(r"^(\d{4}-\d{1,2}-\d{1,2})(?:$|[ T])")[0]
        out[todo] = _strptime(part, "%Y-%m-%d")
        todo = out.isna() & ~blank
    # 2. year first with other separators: 2026/11/23, 2026.11.23, 2026年11月23日
    if todo.any():
        ymd = text[todo].str.extract(
            r"^(\d{4})\s*[/.年]\s*(\d{1,2})\s*[/.月]\s*(\d{1,2})\s*日?(?=$|[\sT])"
        )
        ok = ymd[0].notna()
        if ok.any():
            joined = ymd[0][ok] + "-" + ymd[1][ok] + "-" + ymd[2][ok]
            out[joined.index] = _strptime(joined, "%Y-%m-%d")
        todo = out.isna() & ~blank
    # 3. Excel serial numbers written as text
    if todo.any():
        serial = pd.to_numeric(text[todo], errors="coerce")
        if serial.notna().any():
            values, _ = _from_excel_serial(serial, serial.isna())
            out[values.index] = values
        todo = out.isna() & ~blank
    # 4. day/month order as the column map says
    if todo.any() and date_format in ("dmy", "mdy"):
        parts = text[todo].str.extract(
            r"^(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})(?=$|[\sT])"
        )
        ok = parts[0].notna()
        if ok.any():
            day, month = (parts[0], parts[1]) if date_format == "dmy" else (parts[1], parts[0])
            joined = parts[2][ok] + "-" + month[ok] + "-" + day[ok]
            out[joined.index] = _strptime(joined, "%Y-%m-%d")
    bad = out.isna() & ~blank & ~placeholder
    return out.where(~placeholder), bad


@_mask_on_uniques
def date_placeholders(series: pd.Series) -> pd.Series:
    """True where a date cell holds a well-known "no date" value: ``9999-12-31`` (also
    ``9999-01-01``), ``1900-01-01``, the Excel zero ``1899-12-30``/``1899-12-31`` (and the
    serial numbers 0, 1 and 2958465, and the bare time ``00:00:00`` a spreadsheet's day 0
    reads back as), ``0001-01-01``, ``1753-01-01`` and ``0000-00-00``, in any of the date
    layouts :func:`parse_dates` reads (``00/00/0000``, ``31.12.9999``,
    ``9999-12-31 23:59:59``, ``19000101`` …).

    >>> date_placeholders(pd.Series(["9999-12-31", "12/31/9999", "0000-00-00", "2026-11-23", ""])).tolist()
    [True, True, True, False, False]
    """
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        values = series.dt.tz_localize(None) if getattr(series.dt, "tz", None) else series
        key: pd.Series = values.dt.year * 10_000 + values.dt.month * 100 + values.dt.day
        return key.isin(_PLACEHOLDER_KEYS).astype(bool)
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.astype("float64").isin(_PLACEHOLDER_SERIALS).astype(bool)
    text = series.astype("str").where(~series.isna(), "").str.strip()
    found = pd.Series(False, index=series.index)
    maybe = text.str.contains(_PLACEHOLDER_HINT, regex=True)  # most columns: none at all
    if not maybe.any():
        return found
    text = text[maybe]
    serial = pd.to_numeric(text.where(text.str.fullmatch(r"\d{1,7}(\.0*)?"), None), errors="coerce")
    found[text.index] = serial.isin(_PLACEHOLDER_SERIALS)
    # a spreadsheet's day 0 read back as a bare time of day
    found[text.index] |= text.str.fullmatch(r"0?0:00(?::00(?:\.0+)?)?").to_numpy(dtype=bool)
    end = r"(?:$|[ T])"
    layouts = (  # (pattern, group of the year, of the month, of the day); d/m/y both ways
        (rf"^(\d{{4}})\s*[-/.年]\s*(\d{{1,2}})\s*[-/.月]\s*(\d{{1,2}})\s*日?{end}", 0, 1, 2),
        (rf"^(\d{{4}})(\d{{2}})(\d{{2}}){end}", 0, 1, 2),
        (rf"^(\d{{1,2}})\s*[-/.]\s*(\d{{1,2}})\s*[-/.]\s*(\d{{4}}){end}", 2, 1, 0),
        (rf"^(\d{{1,2}})\s*[-/.]\s*(\d{{1,2}})\s*[-/.]\s*(\d{{4}}){end}", 2, 0, 1),
    )
    for pattern, y, m, d in layouts:
        parts = text.str.extract(pattern)
        ok = parts[0].notna()
        if not ok.any():
            continue
        numbers = parts[ok].astype("int64")
        key = numbers[y] * 10_000 + numbers[m] * 100 + numbers[d]
        found[ok[ok].index] |= key.isin(_PLACEHOLDER_KEYS).to_numpy()
    return found.astype(bool)


def _strptime(text: pd.Series, fmt: str) -> pd.Series:
    """Dates written as ``fmt``; unreadable ones and those outside :data:`DATE_RANGE` are
    missing (checked before the nanosecond unit, whose range ends in 2262)."""
    values = pd.to_datetime(text, format=fmt, errors="coerce")
    return values.where(values.between(*DATE_RANGE)).astype("datetime64[ns]")


def _from_excel_serial(serial: pd.Series, blank: pd.Series) -> tuple[pd.Series, pd.Series]:
    low, high = _EXCEL_SERIAL_RANGE
    in_range = serial.between(low, high)
    days = serial.where(in_range).round()
    values = (_EXCEL_EPOCH + pd.to_timedelta(days, unit="D")).astype("datetime64[ns]")
    return values, ~in_range & ~blank
