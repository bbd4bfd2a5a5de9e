from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _budget import examples
from pipereview.ingest._dates import DATE_RANGE, date_placeholders, parse_dates
from pipereview.ingest._parsing import (
    MAX_AMOUNT,
    clean_text,
    control_characters,
    parse_amounts,
    parse_flags,
    parse_probabilities,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("¥1,200,000.00", 1_200_000.0),
        ("￥1,200,000.00", 1_200_000.0),
        ("$ 12,000", 12_000.0),
        ("1.2万", 12_000.0),
        ("120万元", 1_200_000.0),
        ("3亿", 300_000_000.0),
        ("(500)", -500.0),
        ("RMB 8,000", 8_000.0),
        ("USD 1,234.56", 1_234.56),
        ("€ 99", 99.0),
        ("12000", 12_000.0),
        ("  7,500.5 ", 7_500.5),
        ("15k", 15_000.0),
        ("1.5M", 1_500_000.0),
        ("-250", -250.0),
    ],
)
def test_amount_formats(text: str, expected: float) -> None:
    values, bad = parse_amounts(pd.Series([text]))
    assert values[0] == pytest.approx(expected)
    assert not bad[0]


def test_european_amounts_need_decimal_comma() -> None:
    values, bad = parse_amounts(pd.Series(["1.234,50", "€ 12.000"]), decimal=",")
    assert values.tolist() == [1234.5, 12000.0]
    assert not bad.any()


@pytest.mark.parametrize("text", ["abc", "12..5", "1,2,3万x", "N/A", "about 5000"])
def test_text_amounts_are_bad(text: str) -> None:
    values, bad = parse_amounts(pd.Series([text, "10"]))
    assert bad.tolist() == [True, False]
    assert math.isnan(values[0])


def test_blank_amount_is_missing_not_bad() -> None:
    values, bad = parse_amounts(pd.Series(["", None, " "], dtype=object))
    assert values.isna().all()
    assert not bad.any()


@given(
    st.integers(min_value=0, max_value=10**12),
    st.integers(min_value=0, max_value=99),
    st.sampled_from(["", "¥", "$ ", "RMB "]),
)
def test_formatted_amounts_round_trip(whole: int, cents: int, prefix: str) -> None:
    text = f"{prefix}{whole:,}.{cents:02d}"
    values, bad = parse_amounts(pd.Series([text]))
    assert not bad[0]
    assert values[0] == pytest.approx(whole + cents / 100, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "fmt", "expected"),
    [
        ("2026-11-23", "iso", "2026-11-23"),
        ("2026-11-23 10:15", "iso", "2026-11-23"),
        ("2026-11-23T10:15:00Z", "iso", "2026-11-23"),
        ("2026/11/23", "iso", "2026-11-23"),
        ("2026/1/5", "iso", "2026-01-05"),
        ("2026.11.23", "iso", "2026-11-23"),
        ("2026年11月23日", "iso", "2026-11-23"),
        ("2026年1月5日", "dmy", "2026-01-05"),
        ("46349", "iso", "2026-11-23"),
        ("46349.0", "iso", "2026-11-23"),
        ("23/11/2026", "dmy", "2026-11-23"),
        ("05/01/2026", "dmy", "2026-01-05"),
        ("23.11.2026", "dmy", "2026-11-23"),
        ("11/23/2026", "mdy", "2026-11-23"),
        ("01/05/2026", "mdy", "2026-01-05"),
    ],
)
def test_date_formats(text: str, fmt: str, expected: str) -> None:
    values, bad = parse_dates(pd.Series([text]), fmt)  # type: ignore[arg-type]
    assert not bad[0]
    assert values[0] == pd.Timestamp(expected)


def test_excel_serial_numbers_and_real_dates() -> None:
    values, bad = parse_dates(pd.Series([46349.0, 45658.0]))
    assert values.dt.strftime("%Y-%m-%d").tolist() == ["2026-11-23", "2025-01-01"]
    real, bad2 = parse_dates(pd.Series(pd.to_datetime(["2026-11-23 13:45"])))
    assert real[0] == pd.Timestamp("2026-11-23")
    assert not bad.any() and not bad2.any()


def test_a_long_date_column_is_read_cell_by_cell_like_a_short_one() -> None:
    # 1,200 cells (long columns are parsed once per distinct day): timestamps, other
    # layouts, a blank, a placeholder and a bad cell, each at its own row
    eight = ["2026-11-23 09:15:00", "2026-11-23T17:40:00.000Z", "23/11/2026", "", "9999-12-31"]
    cells = [*eight, "2026/01/05", "not a date", "46349"] * 150
    series = pd.Series(cells, dtype="string[pyarrow]", index=range(10, 1210))
    values, bad = parse_dates(series, "dmy")
    day = pd.Timestamp("2026-11-23")
    expected = [day, day, day, pd.NaT, pd.NaT, pd.Timestamp("2026-01-05"), pd.NaT, day] * 150
    pd.testing.assert_series_equal(
        values, pd.Series(expected, dtype="datetime64[ns]", index=series.index)
    )
    pd.testing.assert_series_equal(
        bad, pd.Series(([False] * 6 + [True, False]) * 150, index=series.index)
    )


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("23/11/2026", "iso"),
        ("11/23/2026", "dmy"),
        ("31/02/2026", "dmy"),
        ("2026-13-01", "iso"),
        ("next week", "iso"),
        ("12345678", "iso"),
        # a date with anything but a time part after it is not read as the date before it
        ("2026-03-01xyz", "iso"),
        ("2026-03-011", "iso"),
        ("2026/03/01abc", "iso"),
        ("2026年11月23日下周", "iso"),
        ("01/02/20261", "dmy"),
        ("01.02.2026x", "mdy"),
    ],
)
def test_bad_or_ambiguous_dates(text: str, fmt: str) -> None:
    values, bad = parse_dates(pd.Series([text]), fmt)  # type: ignore[arg-type]
    assert bad[0]
    assert pd.isna(values[0])


def test_probabilities_in_percent_or_fraction() -> None:
    assert parse_probabilities(pd.Series(["20%", "75", ""]))[0].tolist()[:2] == [0.2, 0.75]
    assert parse_probabilities(pd.Series([0.2, 0.9]))[0].tolist() == [0.2, 0.9]
    assert parse_probabilities(pd.Series([20.0, 90.0]))[0].tolist() == [0.2, 0.9]
    _, bad = parse_probabilities(pd.Series(["150", "x", "50"]))
    assert bad.tolist() == [True, True, False]


def test_flags() -> None:
    values, bad = parse_flags(
        pd.Series(["Yes", "TRUE", "是", "x", "No", "否", "", None, "maybe"], dtype=object)
    )
    assert values.tolist() == [True, True, True, True, False, False, False, False, False]
    assert bad.tolist() == [False] * 8 + [True]


# --- every cell gives an in-range value, a blank or a bad cell: never an exception ----------

# characters amounts, dates and probabilities are written with, and those that break them
_CELL_CHARS = "0123456789.,-+eE%()$¥€万亿kKmM /年月日:T\t\x00\x1c\u2028\u3000"
TRICKY = [
    "inf",
    "-inf",
    "Infinity",
    "NaN",
    "nan",
    "1e309",
    "-1e309",
    "1e20",
    "9999-12-31",
    "1600-01-01",
    "0000-00-00",
    "00/00/0000",
    "2958465",
    "0",
    "1",
    "-0",
    "1e-400",
    "10000-01-01",
    "2262-04-12",
    "1677-09-21",
    "9" * 400,
    "." * 3,
    "%",
    "()",
    "亿万",
    "\x00",
    "\u2028",
    "２０２６－１１－２３",
]
CELLS = st.one_of(
    st.text(max_size=30), st.text(alphabet=_CELL_CHARS, max_size=25), st.sampled_from(TRICKY)
)


@pytest.mark.slow
@settings(max_examples=examples(300), deadline=None)
@given(st.lists(CELLS, min_size=1, max_size=8), st.sampled_from([".", ","]))
def test_any_amount_cell_is_a_finite_amount_a_blank_or_bad(cells: list[str], decimal: str) -> None:
    values, bad = parse_amounts(pd.Series(cells, dtype="str"), decimal)
    good = values[~bad].dropna()
    assert good.abs().le(MAX_AMOUNT).all()  # finite too: inf > MAX_AMOUNT
    assert values[bad].isna().all()


@pytest.mark.slow
@settings(max_examples=examples(300), deadline=None)
@given(st.lists(CELLS, min_size=1, max_size=8), st.sampled_from(["iso", "dmy", "mdy"]))
def test_any_date_cell_is_an_in_range_date_a_blank_or_bad(cells: list[str], fmt: str) -> None:
    series = pd.Series(cells, dtype="str")
    values, bad = parse_dates(series, fmt)  # type: ignore[arg-type]
    assert str(values.dtype) == "datetime64[ns]"
    assert values.dropna().between(*DATE_RANGE).all()
    assert values[bad].isna().all()
    placeholder = date_placeholders(series)
    assert values[placeholder].isna().all() and not (bad & placeholder).any()


@pytest.mark.slow
@settings(max_examples=examples(300), deadline=None)
@given(st.lists(CELLS, min_size=1, max_size=8))
def test_any_probability_cell_is_in_0_1_a_blank_or_bad(cells: list[str]) -> None:
    values, bad = parse_probabilities(pd.Series(cells, dtype="str"))
    assert values.dropna().between(0, 1).all()
    assert values[bad].isna().all()


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=8))
def test_typed_numbers_are_checked_like_text(numbers: list[float]) -> None:
    amounts, bad = parse_amounts(pd.Series(numbers, dtype="float64"))
    assert amounts[~bad].dropna().abs().le(MAX_AMOUNT).all()
    probabilities, _ = parse_probabilities(pd.Series(numbers, dtype="float64"))
    assert probabilities.dropna().between(0, 1).all()
    dates, _ = parse_dates(pd.Series(numbers, dtype="float64"))
    assert dates.dropna().between(*DATE_RANGE).all()


@given(st.lists(st.text(max_size=20), min_size=1, max_size=8))
def test_cleaned_text_holds_no_control_character(cells: list[str]) -> None:
    cleaned, changed = clean_text(pd.Series(cells, dtype="str"))
    assert not control_characters(cleaned).any()
    assert changed.tolist() == [c != k for c, k in zip(cells, cleaned, strict=True)]


@pytest.mark.parametrize("fmt", ["iso", "dmy", "mdy"])
def test_tricky_cells_give_in_range_values_or_bad_cells(fmt: str) -> None:
    """The fast companion of the property tests above: every tricky cell at once."""
    cells = pd.Series(TRICKY, dtype="str")
    amounts, bad = parse_amounts(cells)
    assert amounts[~bad].dropna().abs().le(MAX_AMOUNT).all() and amounts[bad].isna().all()
    dates, bad = parse_dates(cells, fmt)  # type: ignore[arg-type]
    assert dates.dropna().between(*DATE_RANGE).all() and dates[bad].isna().all()
    probabilities, bad = parse_probabilities(cells)
    assert probabilities.dropna().between(0, 1).all() and probabilities[bad].isna().all()
