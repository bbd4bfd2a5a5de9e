"""Vectorised parsing of the values CRM exports write: amounts, dates, percentages, flags.

Every parser returns the parsed values and a boolean mask of the cells it could not read
(blank cells are *not* bad: they come back as missing), so callers can report every bad
cell at once.

>>> values, bad = parse_amounts(pd.Series(["¥1,200,000.00", "$ 12,000", "1.2万", "120万元", "(500)", "x"]))
>>> values.tolist()[:5], bad.tolist()
([1200000.0, 12000.0, 12000.0, 1200000.0, -500.0], [False, False, False, False, False, True])
>>> dates, bad = parse_dates(pd.Series(["2026-11-23", "2026/11/23", "2026年11月23日", "46349", "23/11/2026"]), "dmy")
>>> [d.date().isoformat() for d in dates], bad.tolist()
(['2026-11-23', '2026-11-23', '2026-11-23', '2026-11-23', '2026-11-23'], [False, False, False, False, False])

Every value that comes back is in range: amounts finite and at most :data:`MAX_AMOUNT`,
dates within :data:`DATE_RANGE`, probabilities in 0..1; anything else is a bad cell. Well-known
"no date" placeholders (``9999-12-31``, ``1900-01-01``, ``0000-00-00`` …) come back blank
and :func:`date_placeholders` finds them, so a caller can count them or refuse them.

>>> parse_amounts(pd.Series(["inf", "1e309", "NaN", "12"]))[1].tolist()
[True, True, True, False]
>>> dates, bad = parse_dates(pd.Series(["9999-12-31", "1600-01-01", "00/00/0000"]))
>>> dates.isna().tolist(), bad.tolist(), date_placeholders(pd.Series(["9999-12-31", "1600-01-01", "00/00/0000"])).tolist()
([True, True, True], [False, True, False], [True, False, True])
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipereview.core._textcells import clean_text, control_characters

__all__ = [
    "DATE_RANGE",
    "FALSE_WORDS",
    "MAX_AMOUNT",
    "TRUE_WORDS",
    "DateFormat",
    "clean_text",
    "control_characters",
    "date_placeholders",
    "is_blank",
    "on_uniques",
    "parse_amounts",
    "parse_dates",
    "parse_flags",
    "parse_probabilities",
]

DateFormat = Literal["iso", "dmy", "mdy"]

#: Values read as "yes" in flag columns (after case folding).
TRUE_WORDS = frozenset(
    {"true", "yes", "y", "1", "1.0", "x", "✓", "√", "是", "已", "有", "对", "已确认", "确认", "ja"}
)
#: Values read as "no" in flag columns (after case folding).
FALSE_WORDS = frozenset(
    {"false", "no", "n", "0", "0.0", "-", "否", "无", "没有", "未", "未确认", "nein", "×"}
)

#: The dates a deal may carry: anything earlier or later is a typing error or a placeholder.
DATE_RANGE = (pd.Timestamp("1900-01-01"), pd.Timestamp("2200-12-31"))
#: The largest amount: the waterfall adds amounts as whole cents in int64, and a float
#: holds whole cents exactly up to 2**53 (about 9.0e15 cents); 10 trillion (1e15 cents)
#: keeps every amount exact and thousands of such deals summable.
MAX_AMOUNT = 10_000_000_000_000.0
# (year, month, day) of well-known "no date" values: the far future used for "never", the
# Excel day 0 (1899-12-30/31) and day 1 (1900-01-01), .NET's 0001-01-01, SQL Server's
# 1753-01-01 and the all-zero date of MySQL and of date pickers
_PLACEHOLDER_DAYS = frozenset({(9999, 12, 31), (9999, 1, 1), (1900, 1, 1), (1899, 12, 30),
                               (1899, 12, 31), (1, 1, 1), (1753, 1, 1), (0, 0, 0)})
_PLACEHOLDER_KEYS = frozenset(y * 10_000 + m * 100 + d for y, m, d in _PLACEHOLDER_DAYS)
# a cell that may hold one of them (a cheap test before the layouts are tried)
_PLACEHOLDER_HINT = r"9999|1899|1900|1753|0000|0001|^[01](?:\.0*)?$|^2958465|^0?0:00"
# Excel serial numbers of those days (0, 1: the Excel zero; 2958465: 9999-12-31)
_PLACEHOLDER_SERIALS = (0.0, 1.0, 2958465.0)

CURRENCY_RE = r"[¥￥$€£]|RMB|CNY|USD|EUR|GBP|HKD|JPY|元|\s|'|’"
MULTIPLIERS = {"万": 1e4, "亿": 1e8, "k": 1e3, "m": 1e6}
# Excel's day 0 is 1899-12-30 (it counts the non-existent 1900-02-29).
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_EXCEL_SERIAL_RANGE = (20_000, 80_000)  # 1954-10-03 .. 2119-01-11


Parser = Callable[..., tuple[pd.Series, pd.Series]]


def on_uniques(parse: Parser) -> Parser:
    """Run a parser on a column's distinct values only, then spread the result back.

    Exports repeat the same dates, stages and flags on many rows; parsing each distinct
    value once makes a million-row column cost about as much as its few thousand values.
    """

    @functools.wraps(parse)
    def wrapper(series: pd.Series, *args: object, **kwargs: object) -> tuple[pd.Series, pd.Series]:
        if len(series) < 1000 or not (series.dtype == object or pd.api.types.is_string_dtype(
                series.dtype)):
            return parse(series, *args, **kwargs)
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        if len(uniques) > len(series) // 4:
            return parse(series, *args, **kwargs)
        probe = pd.Series(uniques).reindex(range(len(uniques) + 1))  # last slot: missing
        values, bad = parse(probe, *args, **kwargs)
        take = np.where(codes < 0, len(uniques), codes)
        return (pd.Series(values.to_numpy()[take], index=series.index, dtype=values.dtype),
                pd.Series(bad.to_numpy()[take], index=series.index, dtype=bool))

    return wrapper


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
    if not any(len(chunk) and (pc.max(pc.binary_length(chunk)).as_py() or 0) > 10
               for chunk in column.chunks):
        return series
    timed = pc.match_substring_regex(column, _DATE_THEN_TIME).fill_null(False)
    if not pc.any(timed).as_py():
        return series
    cut = pc.if_else(timed, pc.utf8_slice_codeunits(column, 0, 10), column)
    return pd.Series(pd.array(cut, dtype=series.dtype), index=series.index,
                     name=series.name)


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
        if len(series) < 1000 or not (series.dtype == object or pd.api.types.is_string_dtype(
                series.dtype)):
            return find(series)
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        if len(uniques) > len(series) // 4:
            return find(series)
        found = find(pd.Series(uniques).reindex(range(len(uniques) + 1))).to_numpy(dtype=bool)
        return pd.Series(found[np.where(codes < 0, len(uniques), codes)], index=series.index)

    return wrapper


def is_blank(series: pd.Series) -> pd.Series:
    """True where a cell is missing or holds only whitespace."""
    if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_datetime64_any_dtype(
        series.dtype
    ):
        return series.isna()
    text = series.astype("str")
    return (text.isna() | (text == "") | text.str.isspace()).astype(bool)


@on_uniques
def parse_amounts(series: pd.Series, decimal: str = ".") -> tuple[pd.Series, pd.Series]:
    """Parse money amounts: currency signs and codes, thousands separators, ``万``/``亿``
    (and ``k``/``M``) multipliers, accounting negatives ``(500)``.

    ``decimal=","`` reads European amounts such as ``1.234,50``.
    Returns ``(float64 values, bad mask)``.
    """
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
        series.dtype
    ):
        return _in_amount_range(series.astype("float64"), pd.Series(False, index=series.index))
    text = series.astype("str").where(~series.isna(), "").str.strip()
    blank = text == ""
    fast = pd.to_numeric(text.where(~blank, None), errors="coerce")
    if decimal == ",":  # in text a point groups thousands there: 12.500 is 12500, not 12.5
        written = np.fromiter((isinstance(v, str) for v in series), bool, len(series)) \
            if series.dtype == object else np.ones(len(series), dtype=bool)
        fast = fast.where(~(written & text.str.contains(".", regex=False)))
    todo = fast.isna() & ~blank
    if not todo.any():
        return _in_amount_range(fast.astype("float64"), pd.Series(False, index=series.index))
    raw = text[todo]
    negative = raw.str.startswith("(") & raw.str.endswith(")") | raw.str.startswith("-")
    cleaned = raw.str.strip("()").str.replace(CURRENCY_RE, "", regex=True, case=False)
    cleaned = cleaned.str.lstrip("-")
    factor = pd.Series(1.0, index=raw.index)
    for suffix, mult in MULTIPLIERS.items():
        has = cleaned.str.lower().str.endswith(suffix)
        factor = factor.where(~has, mult)
        cleaned = cleaned.where(~has, cleaned.str[:-1])
    thousands, point = (".", ",") if decimal == "," else (",", ".")
    # a thousands separator groups by three: 12.000,00 is no amount under a "." map (and
    # reading it as 12.0 would be silently wrong)
    grouped = cleaned.str.fullmatch(
        rf"\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})+(?:{re.escape(point)}\d+)?"
        rf"|\d*(?:{re.escape(point)}\d+)?")
    cleaned = cleaned.where(grouped, "x")
    if decimal == ",":
        cleaned = cleaned.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        cleaned = cleaned.str.replace(",", "", regex=False)
    plain = cleaned.str.fullmatch(r"\d+(\.\d+)?|\.\d+")
    number = pd.to_numeric(cleaned.where(plain, None), errors="coerce")
    number = number * factor * np.where(negative, -1.0, 1.0)
    out = fast.astype("float64").copy()
    out[todo] = number
    bad = pd.Series(False, index=series.index)
    bad[todo] = number.isna()
    return _in_amount_range(out, bad)


def _in_amount_range(values: pd.Series, bad: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Infinite, NaN-like and absurdly large amounts (beyond :data:`MAX_AMOUNT`) are bad."""
    number = values.to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        wrong = np.isinf(number) | (np.abs(number) > MAX_AMOUNT)
    if not wrong.any():
        return values, bad
    wrong_s = pd.Series(wrong, index=values.index)
    return values.where(~wrong_s), bad | wrong_s


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
        return (values.where(in_range & ~placeholder).astype("datetime64[ns]"),
                values.notna() & ~in_range & ~placeholder)
    if pd.api.types.is_numeric_dtype(series.dtype):
        values, bad = _from_excel_serial(series.astype("float64"), series.isna())
        return values, bad & ~placeholder
    text = series.astype("str").where(~series.isna(), "").str.strip()
    blank = text == ""
    out = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
    # 1. ISO, with or without a time part
    # (a date followed by anything but a time part is not a date: 2026-03-01xyz is bad)
    out[:] = _strptime(text.str.slice(0, 10), "%Y-%m-%d").where(
        text.str.slice(10, 11).isin(["", " ", "T"]))
    todo = out.isna() & ~blank
    if todo.any():
        part = text[todo].str.extract(r"^(\d{4}-\d{1,2}-\d{1,2})(?:$|[ T])")[0]
        out[todo] = _strptime(part, "%Y-%m-%d")
        todo = out.isna() & ~blank
    # 2. year first with other separators: 2026/11/23, 2026.11.23, 2026年11月23日
    if todo.any():
        ymd = text[todo].str.extract(r"^(\d{4})\s*[/.年]\s*(\d{1,2})\s*[/.月]\s*(\d{1,2})\s*日?(?=$|[\sT])")
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
        parts = text[todo].str.extract(r"^(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})(?=$|[\sT])")
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
    serial = pd.to_numeric(text.where(text.str.fullmatch(r"\d{1,7}(\.0*)?"), None),
                           errors="coerce")
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


@on_uniques
def parse_probabilities(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse win probabilities to 0..1: ``20%``, ``20`` (a column with values above 1 is in
    percent) or ``0.2``.

    >>> parse_probabilities(pd.Series(["20%", "75", None]))[0].tolist()
    [0.2, 0.75, nan]
    """
    if pd.api.types.is_numeric_dtype(series.dtype):
        number = series.astype("float64")
        has_sign = pd.Series(False, index=series.index)
        bad = pd.Series(False, index=series.index)
    else:
        text = series.astype("str").where(~series.isna(), "").str.strip()
        blank = text == ""
        has_sign = text.str.endswith("%")
        number = pd.to_numeric(text.str.rstrip("%").str.strip().where(~blank, None), errors="coerce")
        bad = number.isna() & ~blank
    # inf, -inf (and 1e309) are no probability, nor do they make the column one in percent
    infinite = pd.Series(np.isinf(number.to_numpy(dtype="float64", na_value=np.nan)),
                         index=series.index)
    number = number.where(~infinite)
    percent_column = bool((number[~has_sign] > 1).any())
    scaled = number.where(~(has_sign | percent_column), number / 100.0)
    out_of_range = (scaled < 0) | (scaled > 1) | infinite
    return scaled.where(~out_of_range), bad | out_of_range


@on_uniques
def parse_flags(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse yes/no evidence flags (``TRUE_WORDS`` / ``FALSE_WORDS``); blank means no.

    >>> parse_flags(pd.Series(["Yes", "否", "", "maybe"]))
    (0     True
    1    False
    2    False
    3    False
    dtype: bool, 0    False
    1    False
    2    False
    3     True
    dtype: bool)
    """
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.fillna(False).astype(bool), pd.Series(False, index=series.index)
    text = series.astype("str").where(~series.isna(), "").str.strip().str.casefold()
    is_true = text.isin(TRUE_WORDS)
    is_false = text.isin(FALSE_WORDS) | (text == "")
    return is_true, ~(is_true | is_false)
