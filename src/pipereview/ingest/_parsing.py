"""Vectorised parsing of the values CRM exports write: amounts, percentages, flags (dates:
:mod:`pipereview.ingest._dates`).

Every parser returns the parsed values and a boolean mask of the cells it could not read
(blank cells are *not* bad: they come back as missing), so callers can report every bad
cell at once.

>>> values, bad = parse_amounts(pd.Series(["¥1,200,000.00", "$ 12,000", "1.2万", "120万元", "(500)", "x"]))
>>> values.tolist()[:5], bad.tolist()
([1200000.0, 12000.0, 12000.0, 1200000.0, -500.0], [False, False, False, False, False, True])

Every value that comes back is in range: amounts finite and at most :data:`MAX_AMOUNT`,
probabilities in 0..1; anything else is a bad cell. Dates are read by
:func:`pipereview.ingest._dates.parse_dates`, the same way.

>>> parse_amounts(pd.Series(["inf", "1e309", "NaN", "12"]))[1].tolist()
[True, True, True, False]
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from pipereview.core._textcells import clean_text, control_characters

__all__ = [
    "FALSE_WORDS",
    "MAX_AMOUNT",
    "TRUE_WORDS",
    "clean_text",
    "control_characters",
    "is_blank",
    "on_uniques",
    "parse_amounts",
    "parse_flags",
    "parse_probabilities",
]

#: Values read as "yes" in flag columns (after case folding).
TRUE_WORDS = frozenset(
    {"true", "yes", "y", "1", "1.0", "x", "✓", "√", "是", "已", "有", "对", "已确认", "确认", "ja"}
)
#: Values read as "no" in flag columns (after case folding).
FALSE_WORDS = frozenset(
    {"false", "no", "n", "0", "0.0", "-", "否", "无", "没有", "未", "未确认", "nein", "×"}
)

#: The largest amount: the waterfall adds amounts as whole cents in int64, and a float
#: holds whole cents exactly up to 2**53 (about 9.0e15 cents); 10 trillion (1e15 cents)
#: keeps every amount exact and thousands of such deals summable.
MAX_AMOUNT = 10_000_000_000_000.0

CURRENCY_RE = r"[¥￥$€£]|RMB|CNY|USD|EUR|GBP|HKD|JPY|元|\s|'|’"
MULTIPLIERS = {"万": 1e4, "亿": 1e8, "k": 1e3, "m": 1e6}


Parser = Callable[..., tuple[pd.Series, pd.Series]]


def on_uniques(parse: Parser) -> Parser:
    """Run a parser on a column's distinct values only, then spread the result back.

    Exports repeat the same dates, stages and flags on many rows; parsing each distinct
    value once makes a million-row column cost about as much as its few thousand values.
    """

    @functools.wraps(parse)
    def wrapper(series: pd.Series, *args: object, **kwargs: object) -> tuple[pd.Series, pd.Series]:
        if len(series) < 1000 or not (
            series.dtype == object or pd.api.types.is_string_dtype(series.dtype)
        ):
            return parse(series, *args, **kwargs)
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        if len(uniques) > len(series) // 4:
            return parse(series, *args, **kwargs)
        probe = pd.Series(uniques).reindex(range(len(uniques) + 1))  # last slot: missing
        values, bad = parse(probe, *args, **kwargs)
        take = np.where(codes < 0, len(uniques), codes)
        return (
            pd.Series(values.to_numpy()[take], index=series.index, dtype=values.dtype),
            pd.Series(bad.to_numpy()[take], index=series.index, dtype=bool),
        )

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
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        return _in_amount_range(series.astype("float64"), pd.Series(False, index=series.index))
    text = series.astype("str").where(~series.isna(), "").str.strip()
    blank = text == ""
    fast = pd.to_numeric(text.where(~blank, None), errors="coerce")
    if decimal == ",":  # in text a point groups thousands there: 12.500 is 12500, not 12.5
        written = (
            np.fromiter((isinstance(v, str) for v in series), bool, len(series))
            if series.dtype == object
            else np.ones(len(series), dtype=bool)
        )
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
        rf"|\d*(?:{re.escape(point)}\d+)?"
    )
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
        number = pd.to_numeric(
            text.str.rstrip("%").str.strip().where(~blank, None), errors="coerce"
        )
        bad = number.isna() & ~blank
    # inf, -inf (and 1e309) are no probability, nor do they make the column one in percent
    infinite = pd.Series(
        np.isinf(number.to_numpy(dtype="float64", na_value=np.nan)), index=series.index
    )
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
