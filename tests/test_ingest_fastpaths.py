"""The shortcuts ingest takes on large columns give exactly what the plain way gives.

Each shortcut (dates cut to their day before the distinct values are taken, text left as
it is when no cell can change, row sets counted over arrays) is compared with the plain
computation on tricky values, so the two cannot drift apart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _budget import examples
from pipereview.core._textcells import strip_text
from pipereview.ingest._accounting import _RowSets
from pipereview.ingest._dates import _date_parts, date_placeholders, parse_dates
from pipereview.ingest._rowchecks import currency_checks, mixed_currencies

_SETTINGS = {"deadline": None, "derandomize": True}

_DAYS = [
    "2026-03-01",
    "2026-11-23",
    "9999-12-31",
    "9999-01-01",
    "1900-01-01",
    "1899-12-30",
    "0000-00-00",
    "0001-01-01",
    "1753-01-01",
    "2026-02-30",
    "2026-13-01",
    "1600-01-01",
    "2201-01-01",
    "2026-3-1",
    "2026-03-1",
    "２０２６-03-01",
    "2026/03/01",
    "20260301",
    "31.12.9999",
    "23/11/2026",
    "46349",
    "0",
    "1",
    "00:00:00",
]
_SEPARATORS = ["T", " ", "", "  ", "t", "/", "-", "Z", "\t", "\u3000", "日"]
_SUFFIX = st.text(alphabet="0123456789:.TZ+- 日/\u3000x", max_size=14)

cells = st.one_of(
    st.builds(
        lambda lead, day, sep, rest, trail: f"{lead}{day}{sep}{rest}{trail}",
        st.sampled_from(["", " ", "\u3000"]),
        st.sampled_from(_DAYS),
        st.sampled_from(_SEPARATORS),
        _SUFFIX,
        st.sampled_from(["", " ", "\t"]),
    ),
    st.sampled_from(["", " ", "n/a"]),
    st.none(),
    st.text(max_size=12),
)


def _column(values: list[str | None], distinct: int) -> pd.Series:
    """``values`` repeated past the size where distinct values are used, with ``distinct``
    timestamps of their own (a column of creation times)."""
    stamps = [
        f"2026-{1 + i % 12:02d}-{1 + i % 28:02d} {i // 60 % 24:02d}:{i % 60:02d}:{i % 59:02d}"
        for i in range(distinct)
    ]
    repeated = values * (1200 // max(len(values), 1) + 1)
    return pd.Series([*repeated, *stamps], dtype="str")


@settings(max_examples=examples(40), **_SETTINGS)  # type: ignore[arg-type]
@given(
    st.lists(cells, min_size=1, max_size=40),
    st.sampled_from([0, 50, 2000]),
    st.sampled_from(["iso", "dmy", "mdy"]),
)
def test_dates_through_distinct_days_match_the_plain_parse(
    values: list[str | None], distinct: int, fmt: str
) -> None:
    column = _column(values, distinct)
    fast, fast_bad = parse_dates(column, fmt)  # type: ignore[arg-type]
    plain, plain_bad = parse_dates.__wrapped__(column, fmt)  # type: ignore[attr-defined]
    pd.testing.assert_series_equal(fast, plain, check_exact=True)
    pd.testing.assert_series_equal(fast_bad, plain_bad, check_exact=True)
    placeholders = date_placeholders.__wrapped__(column)  # type: ignore[attr-defined]
    pd.testing.assert_series_equal(date_placeholders(column), placeholders, check_exact=True)


def test_a_column_of_timestamps_reads_as_its_days() -> None:
    column = _column(
        [
            "2026-03-01T10:23:45.000Z",
            "9999-12-31 23:59:59",
            " 2026-02-30 10:00",
            "2026-03-01 10:23:45",
            None,
            "",
        ],
        3000,
    )
    values, bad = parse_dates(column)
    assert values.iloc[:6].tolist()[:1] == [pd.Timestamp("2026-03-01")]
    assert values.iloc[1:3].isna().all() and values.iloc[3] == pd.Timestamp("2026-03-01")
    assert bad.iloc[:6].tolist() == [False, False, True, False, False, False]
    assert values.iloc[-1] == pd.Timestamp("2026-12-04") and not bad.iloc[-1]  # stamp 2999


def test_timestamps_are_cut_to_their_days_before_the_distinct_values_are_parsed() -> None:
    # what makes a column of timestamps a few distinct days: the time part is cut off
    column = pd.Series(
        ["2026-03-01T10:23:45.000Z", "2026-03-01 11:00", "2026-03-02 09:15:00", "Q1 2026", None],
        dtype="str",
    )
    cut = _date_parts(column)
    pd.testing.assert_series_equal(
        cut,
        pd.Series(["2026-03-01", "2026-03-01", "2026-03-02", "Q1 2026", None], dtype="str"),
    )


def _as_sets(
    kept: list[int], quarantined: list[int], end: int, header: int
) -> tuple[int, list[int | None]]:
    """What ``check_accounting`` compared before: Python sets."""
    kept_set, quarantined_set = set(kept), set(quarantined)
    rows = set(range(1, end)) - {header}
    if kept_set & quarantined_set or kept_set | quarantined_set != rows:
        odd = sorted(rows - kept_set - quarantined_set) or sorted(kept_set & quarantined_set)
        return len(kept_set), [odd[0] if odd else None]
    return len(kept_set), []


rows_of = st.lists(st.integers(-2, 30), max_size=30)


@settings(max_examples=examples(300), **_SETTINGS)  # type: ignore[arg-type]
@given(rows_of, rows_of, st.integers(1, 28), st.integers(-1, 31))
def test_row_sets_count_as_python_sets(
    kept: list[int], quarantined: list[int], end: int, header: int
) -> None:
    rows = _RowSets(
        np.array(kept, dtype="int64"), np.array(quarantined, dtype="int64"), end, header
    )
    distinct, odd = _as_sets(kept, quarantined, end, header)
    assert rows.distinct_kept == distinct
    assert rows.odd[:1] == odd
    assert rows.quarantined == sorted(set(quarantined))
    assert all((row in rows.kept) == (row in set(kept)) for row in range(-3, 33))


@pytest.mark.parametrize(
    ("kept", "quarantined", "odd"),
    [
        ([2, 3, 4], [5], []),  # every row once (header on row 1, 5 rows)
        ([2, 3], [5], [4]),  # row 4 lost
        ([2, 3, 4], [4, 5], [4]),  # row 4 both kept and quarantined
        ([2, 3, 4, 6], [5], [None]),  # a row past the end
    ],
)
def test_row_sets_name_the_first_odd_row(
    kept: list[int], quarantined: list[int], odd: list[int | None]
) -> None:
    rows = _RowSets(np.array(kept, dtype="int64"), np.array(quarantined, dtype="int64"), 6, 1)
    assert list(rows.odd[:1]) == odd


_EDGES = [
    "",
    " ",
    "\t",
    "\n",
    "\r",
    "\x0b",
    "\x0c",
    "\x1c",
    "\x1f",
    "\x85",
    "\xa0",
    "\u1680",
    "\u2000",
    "\u2007",
    "\u2028",
    "\u2029",
    "\u202f",
    "\u205f",
    "\u3000",
    "\ufeff",
    "\u200b",
    "\x00",
    "\x7f",
    "é",
    "名",
]
texts = st.one_of(
    st.builds(
        lambda a, b, c: f"{a}{b}{c}",
        st.sampled_from(_EDGES),
        st.text(max_size=6),
        st.sampled_from(_EDGES),
    ),
    st.none(),
)


@settings(max_examples=examples(120), **_SETTINGS)  # type: ignore[arg-type]
@given(st.lists(texts, max_size=30), st.booleans())
def test_strip_text_matches_str_strip(values: list[str | None], plain: bool) -> None:
    series = pd.Series(
        ["Acme", "Big Co", "x", *(["D1", "a b"] if plain else values)],
        dtype="str",
        index=range(5, 8 + (2 if plain else len(values))),
    )
    pd.testing.assert_series_equal(strip_text(series), series.str.strip(), check_exact=True)
    sliced = series.iloc[1:]  # an Arrow array that starts at an offset
    pd.testing.assert_series_equal(strip_text(sliced), sliced.str.strip(), check_exact=True)


def test_strip_text_leaves_a_clean_column_as_it_is() -> None:
    clean = pd.Series(["Acme", "Big Co", None, "D-1"], dtype="str")
    assert strip_text(clean) is clean
    spaced = pd.Series(["Acme ", None, "名字"], dtype="str")
    assert strip_text(spaced).fillna("").tolist() == ["Acme", "", "名字"]


def _currency_as_before(team: pd.Series, currency: pd.Series) -> tuple[pd.Series, list[str]]:
    """The codes and mixed-currency checks computed on every row (the plain way)."""
    code = currency.str.fullmatch(r"[A-Za-z]{3}").fillna(False).astype(bool)
    if code.any():
        currency = currency.where(~code, currency.str.upper())
    has = currency.notna() & team.notna()
    found = []
    if has.any():
        pairs = pd.DataFrame({"team": team[has], "currency": currency[has]})
        counts = pairs.groupby(["team", "currency"], sort=False).size()
        several = counts.groupby(level=0, sort=False).size()
        for name in several[several > 1].index:
            per = counts.loc[name]
            other = (team == name) & has & (currency != str(per.idxmax()))
            found.append(
                f"{name} {per.idxmax()} {per.max()} {per.sum()} {other[other].index.tolist()}"
            )
    return currency, found


@settings(max_examples=examples(60), **_SETTINGS)  # type: ignore[arg-type]
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["W", "E", None]),
            st.sampled_from(
                ["USD", "usd", "Usd", "EUR", "US Dollar", "ＵＳＤ", "eur ", "RMB", None]
            ),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_currency_checks_match_the_plain_way(rows: list[tuple[str | None, str | None]]) -> None:
    team = pd.Series([t for t, _ in rows], dtype="str")
    currency = pd.Series([c for _, c in rows], dtype="str")
    fixed, checks = currency_checks(team, currency)
    plain, found = _currency_as_before(team, currency)
    pd.testing.assert_series_equal(fixed, plain, check_exact=True)
    mixed = [
        f"{t} {m} {n} {total} {other[other].index.tolist()}"
        for t, m, n, total, other in mixed_currencies(team, fixed)
    ]
    assert mixed == found and len(checks) == len(found)


def test_currency_checks_leave_a_column_of_capital_codes_as_it_is() -> None:
    # no byte a-z in the column: the codes are not looked at again, the column is kept
    team = pd.Series(["W", "W", "W", "E", None], dtype="str")
    codes = pd.Series(["USD", "USD", "EUR", "ＵＳＤ", None], dtype="str")
    fixed, checks = currency_checks(team, codes)
    assert fixed is codes
    assert [text for _, text, _ in checks] == ["the currency of team 'W': USD (2 of its 3 deals)"]
    lower = pd.Series(["usd", "USD", "EUR", "ＵＳＤ", None], dtype="str")
    assert currency_checks(team, lower)[0].fillna("").tolist() == [
        "USD",
        "USD",
        "EUR",
        "ＵＳＤ",
        "",
    ]
    sliced = lower.iloc[1:]  # an Arrow array that starts at an offset, after the "usd"
    assert currency_checks(team.iloc[1:], sliced)[0] is sliced
