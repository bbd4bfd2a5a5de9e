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
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Literal

import numpy as np
import pandas as pd

__all__ = [
    "FALSE_WORDS",
    "TRUE_WORDS",
    "DateFormat",
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

_CURRENCY_RE = r"[¥￥$€£]|RMB|CNY|USD|EUR|GBP|HKD|JPY|元|\s|'|’"
_MULTIPLIERS = {"万": 1e4, "亿": 1e8, "k": 1e3, "m": 1e6}
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
        return series.astype("float64"), pd.Series(False, index=series.index)
    text = series.astype("str").where(~series.isna(), "").str.strip()
    blank = text == ""
    fast = pd.to_numeric(text.where(~blank, None), errors="coerce")
    todo = fast.isna() & ~blank
    if not todo.any():
        return fast.astype("float64"), pd.Series(False, index=series.index)
    raw = text[todo]
    negative = raw.str.startswith("(") & raw.str.endswith(")") | raw.str.startswith("-")
    cleaned = raw.str.strip("()").str.replace(_CURRENCY_RE, "", regex=True, case=False)
    cleaned = cleaned.str.lstrip("-")
    factor = pd.Series(1.0, index=raw.index)
    for suffix, mult in _MULTIPLIERS.items():
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
    return out, bad


@on_uniques
def parse_dates(series: pd.Series, date_format: DateFormat = "iso") -> tuple[pd.Series, pd.Series]:
    """Parse dates to midnight timestamps (``datetime64[ns]``).

    Always understood: ISO ``2026-11-23`` (a time part is dropped), ``2026/11/23``,
    ``2026.11.23``, ``2026年11月23日``, Excel serial numbers and real spreadsheet dates.
    ``dd/mm/yyyy`` needs ``date_format="dmy"``, ``mm/dd/yyyy`` needs ``"mdy"``.
    """
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        values = series.dt.tz_localize(None) if getattr(series.dt, "tz", None) else series
        return values.dt.normalize().astype("datetime64[ns]"), pd.Series(False, index=series.index)
    if pd.api.types.is_numeric_dtype(series.dtype):
        return _from_excel_serial(series.astype("float64"), series.isna())
    text = series.astype("str").where(~series.isna(), "").str.strip()
    blank = text == ""
    out = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
    # 1. ISO, with or without a time part
    out[:] = _strptime(text.str.slice(0, 10), "%Y-%m-%d")
    todo = out.isna() & ~blank
    if todo.any():
        part = text[todo].str.extract(r"^(\d{4}-\d{1,2}-\d{1,2})(?:$|[ T])")[0]
        out[todo] = _strptime(part, "%Y-%m-%d")
        todo = out.isna() & ~blank
    # 2. year first with other separators: 2026/11/23, 2026.11.23, 2026年11月23日
    if todo.any():
        ymd = text[todo].str.extract(r"^(\d{4})\s*[/.年]\s*(\d{1,2})\s*[/.月]\s*(\d{1,2})\s*日?")
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
        parts = text[todo].str.extract(r"^(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})")
        ok = parts[0].notna()
        if ok.any():
            day, month = (parts[0], parts[1]) if date_format == "dmy" else (parts[1], parts[0])
            joined = parts[2][ok] + "-" + month[ok] + "-" + day[ok]
            out[joined.index] = _strptime(joined, "%Y-%m-%d")
    bad = out.isna() & ~blank
    return out, bad


def _strptime(text: pd.Series, fmt: str) -> pd.Series:
    return pd.to_datetime(text, format=fmt, errors="coerce").astype("datetime64[ns]")


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
        percent_column = bool((number > 1).any())
        has_sign = pd.Series(False, index=series.index)
        bad = pd.Series(False, index=series.index)
    else:
        text = series.astype("str").where(~series.isna(), "").str.strip()
        blank = text == ""
        has_sign = text.str.endswith("%")
        number = pd.to_numeric(text.str.rstrip("%").str.strip().where(~blank, None), errors="coerce")
        bad = number.isna() & ~blank
        percent_column = bool((number[~has_sign] > 1).any())
    scaled = number.where(~(has_sign | percent_column), number / 100.0)
    out_of_range = (scaled < 0) | (scaled > 1)
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
