"""Every value and name checked at the boundary: dates, placeholders, non-finite and huge
amounts, control characters, team and rep names, currencies, footer heuristics and the row
problems a reader hands over. Each test states what a user sees: the row kept or rejected,
the message naming row, column and value, and the count in the report."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import pipereview.ingest._export as ingest_module
from _boundaries import boundary
from pipereview.core._errors import Problem
from pipereview.ingest._export import read_export
from pipereview.ingest._readers import read_rows

WEEK = "2026-W47"
HEADER = (
    "Record ID",
    "Deal Name",
    "Deal Stage",
    "Deal owner",
    "Amount",
    "Currency",
    "Deal probability",
    "Close Date",
    "Create Date",
    "Last Activity Date",
    "Next step",
    "HubSpot Team",
    "Associated Company",
)
FIELDS = {
    "id": "Record ID",
    "name": "Deal Name",
    "stage": "Deal Stage",
    "owner": "Deal owner",
    "amount": "Amount",
    "currency": "Currency",
    "probability": "Deal probability",
    "close": "Close Date",
    "created": "Create Date",
    "activity": "Last Activity Date",
    "next": "Next step",
    "team": "HubSpot Team",
    "account": "Associated Company",
}


def deal(n: int, **cells: str) -> dict[str, str]:
    """A good HubSpot deal row, with ``cells`` (keys of FIELDS) replaced."""
    row = {
        "id": str(1000 + n),
        "name": f"Deal {n}",
        "stage": "Qualified To Buy",
        "owner": "Mei Tanaka",
        "amount": "1000",
        "currency": "USD",
        "probability": "0.4",
        "close": "2026-12-15",
        "created": "2026-10-01",
        "activity": "2026-11-19",
        "next": "call",
        "team": "West",
        "account": f"Account {n}",
    }
    row.update(cells)
    return row


def write_export(
    path: Path, rows: list[dict[str, str]], header: tuple[str, ...] = HEADER, after: str = ""
) -> Path:
    """A HubSpot CSV of ``rows`` (keys of FIELDS); ``after`` is raw text appended."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    keys = {v: k for k, v in FIELDS.items()}
    for row in rows:
        writer.writerow([row.get(keys[h], "") for h in header])
    path.write_text(out.getvalue() + after, encoding="utf-8", newline="")
    return path


def accounted(result: Any) -> None:
    report = result.report
    assert report.rows_read == report.rows_kept + report.rows_rejected + report.rows_skipped
    assert len(result.quarantine) == report.rows_rejected + report.rows_skipped


# --- row problems handed over by a reader ----------------------------------------------


def test_reader_row_problems_reject_their_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_export(tmp_path / "x.csv", [deal(1), deal(2), deal(3)])
    formula = Problem(
        str(path),
        3,
        "Amount",
        "a saved value (the workbook was saved without computing its formulas)",
        "=SUM(E2:E2)",
        "open and save in Excel",
    )

    def reader(*args: Any, **kwargs: Any) -> pd.DataFrame:
        frame = read_rows(*args, **kwargs)
        frame.attrs["row_problems"] = (formula,)
        return frame

    monkeypatch.setattr(ingest_module, "read_rows", reader)
    result = read_export(path, week=WEEK)
    report = result.report
    assert (report.rows_read, report.rows_kept, report.rows_rejected, report.rows_skipped) == (
        3,
        2,
        1,
        0,
    )
    assert result.snapshot["deal_id"].tolist() == ["1001", "1003"]
    assert formula in report.problems
    assert report.problem_count == 1
    assert result.quarantine["row"].tolist() == [3]
    reason = result.quarantine["reason"].iloc[0]
    assert "Amount" in reason and "=SUM(E2:E2)" in reason and "a saved value" in reason
    accounted(result)


def test_reader_problem_on_a_row_that_looks_blank_is_rejected_not_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a formula row whose every other cell is empty: the reader's problem wins
    path = write_export(tmp_path / "x.csv", [deal(1), dict.fromkeys(FIELDS, ""), deal(3)])
    problem = Problem(str(path), 3, "Amount", "a saved value", "=A1*2")

    def reader(*args: Any, **kwargs: Any) -> pd.DataFrame:
        frame = read_rows(*args, **kwargs)
        frame.attrs["row_problems"] = (problem, problem)  # two cells of one row
        return frame

    monkeypatch.setattr(ingest_module, "read_rows", reader)
    result = read_export(path, week=WEEK)
    assert (result.report.rows_kept, result.report.rows_rejected, result.report.rows_skipped) == (
        2,
        1,
        0,
    )
    accounted(result)


def ingest(tmp_path: Path, rows: list[dict[str, str]], **options: Any) -> Any:
    header = options.pop("header", HEADER)
    after = options.pop("after", "")
    result = read_export(
        write_export(tmp_path / "export.csv", rows, header, after), week=WEEK, **options
    )
    accounted(result)
    return result


def problems_of(result: Any) -> list[tuple[int | None, str | None, str]]:
    return [(p.row, p.column, p.got) for p in result.report.problems]


# --- dates: a sane range, placeholders ---------------------------------------------------

DATE_FIELDS = [
    ("close", "Close Date"),
    ("created", "Create Date"),
    ("activity", "Last Activity Date"),
]
OUT_OF_RANGE = [
    "9999-06-01",
    "1600-01-01",
    "2201-01-01",
    "1899-12-29",
    "0001-01-02",
    "10000-01-01",
    "2958464",
    "1e309",
    "-1",
]


@pytest.mark.parametrize(("field", "header"), DATE_FIELDS)
def test_dates_out_of_range_are_row_problems(tmp_path: Path, field: str, header: str) -> None:
    # one row per value, between two good deals
    rows = [deal(1), *(deal(n, **{field: v}) for n, v in enumerate(OUT_OF_RANGE, 2)), deal(99)]
    result = ingest(tmp_path, rows)
    assert problems_of(result) == [(n + 1, header, v) for n, v in enumerate(OUT_OF_RANGE, 2)]
    assert {p.expected for p in result.report.problems} == {"a date from 1900-01-01 to 2200-12-31"}
    assert result.snapshot["deal_id"].tolist() == ["1001", "1099"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1900-01-02", "1900-01-02"), ("2200-12-31", "2200-12-31"), ("2200-12-30", "2200-12-30")],
)
def test_dates_at_the_edges_of_the_range_are_kept(
    tmp_path: Path, value: str, expected: str
) -> None:
    result = ingest(tmp_path, [deal(1, close=value, created=value, activity=value)])
    assert result.report.rows_kept == 1
    for column in ("close_date", "created_date", "last_activity_date"):
        assert result.snapshot[column].iloc[0] == pd.Timestamp(expected)


PLACEHOLDERS = [
    "9999-12-31",
    "9999-12-31 23:59:59",
    "9999/12/31",
    "12/31/9999",
    "31.12.9999",
    "9999-01-01",
    "1900-01-01",
    "1900-01-01 00:00:00",
    "01/01/1900",
    "1899-12-30",
    "1899-12-31",
    "0000-00-00",
    "00/00/0000",
    "0000/00/00",
    "0001-01-01",
    "1753-01-01",
    "0",
    "2958465",
    "19000101",
    "00000000",
    "00:00:00",
]


def test_placeholders_in_an_optional_date_are_blank_and_counted(tmp_path: Path) -> None:
    rows = [deal(n, activity=v) for n, v in enumerate(PLACEHOLDERS, 1)]
    result = ingest(tmp_path, [*rows, deal(99)])
    assert result.report.rows_kept == len(PLACEHOLDERS) + 1
    assert result.snapshot["last_activity_date"].isna().tolist() == [True] * len(rows) + [False]
    assert [r for r in result.report.repairs if "placeholder" in r] == [
        f"{len(PLACEHOLDERS)} 'Last Activity Date' cell(s) held a 'no date' placeholder such as "
        "'9999-12-31': read as blank"
    ]


@pytest.mark.parametrize(("field", "header"), DATE_FIELDS[:2])
def test_placeholders_in_a_required_date_are_row_problems(
    tmp_path: Path, field: str, header: str
) -> None:
    rows = [deal(n, **{field: v}) for n, v in enumerate(PLACEHOLDERS, 1)]
    result = ingest(tmp_path, [*rows, deal(99)])
    assert problems_of(result) == [(n + 1, header, v) for n, v in enumerate(PLACEHOLDERS, 1)]
    assert all("'no date'" in p.expected for p in result.report.problems)
    assert not any("placeholder" in r for r in result.report.repairs)
    assert result.snapshot["deal_id"].tolist() == ["1099"]


# --- amounts and probabilities: finite, in range -------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Infinity", "a finite amount"),
        ("inf", "a finite amount"),
        ("-inf", "a finite amount"),
        ("1e309", "a finite amount"),
        ("1e14", "a finite amount"),
        ("10000000000001", "a finite amount"),
        ("-1e309", "a finite amount"),
        ("NaN", "an amount such as"),
        ("nan", "an amount such as"),
        ("∞", "an amount such as"),
        ("1,2,3", "an amount such as"),
    ],
)
def test_non_finite_and_absurd_amounts_are_row_problems(
    tmp_path: Path, value: str, expected: str
) -> None:
    result = ingest(tmp_path, [deal(1), deal(2, amount=value)])
    assert result.report.rows_rejected == 1
    (problem,) = result.report.problems
    assert (problem.row, problem.column) == (3, "Amount")
    assert problem.expected.startswith(expected)
    assert result.snapshot["amount"].tolist() == [1000.0]


def test_a_decimal_comma_amount_is_a_row_problem_under_a_decimal_point_map(tmp_path: Path) -> None:
    # a map that states 'decimal: "."': 12.000,00 keeps its hint about 'decimal: ","' (a
    # map that leaves the decimal open reads it from the amounts: tests/test_ingest.py)
    point = tmp_path / "point.yaml"
    point.write_text('name: point\nlabel: x\nextends: hubspot\ndecimal: "."\n', "utf-8")
    path = write_export(tmp_path / "export.csv", [deal(1), deal(2, amount="12.000,00")])
    result = read_export(path, week="2026-W47", column_map=point)
    assert result.report.rows_rejected == 1
    (problem,) = result.report.problems
    assert (problem.row, problem.column) == (3, "Amount")
    assert problem.expected.startswith("an amount such as")
    assert 'decimal: ","' in problem.hint
    assert result.snapshot["amount"].tolist() == [1000.0]


def test_largest_amount_is_kept_to_the_cent(tmp_path: Path) -> None:
    result = ingest(
        tmp_path, [deal(1, amount="10000000000000"), deal(2, amount="9999999999999.99")]
    )
    assert result.report.rows_kept == 2
    cents = (result.snapshot["amount"] * 100).round().astype("int64").tolist()
    assert cents == [1_000_000_000_000_000, 999_999_999_999_999]


@pytest.mark.parametrize("value", ["inf", "-inf", "Infinity", "NaN", "1e309", "101%", "-1"])
def test_bad_probabilities_are_row_problems_and_do_not_rescale_the_column(
    tmp_path: Path, value: str
) -> None:
    result = ingest(tmp_path, [deal(1, probability="0.2"), deal(2, probability=value)])
    assert problems_of(result) == [(3, "Deal probability", value)]
    assert result.snapshot["probability"].tolist() == [0.2]


def test_numbers_from_a_typed_file_are_checked_too(tmp_path: Path) -> None:
    rows = [deal(n) for n in range(1, 5)]
    frame = pd.DataFrame([{h: r[k] for k, h in FIELDS.items()} for r in rows])
    frame["Amount"] = [1000.0, float("inf"), 2e13, float("nan")]
    frame["Deal probability"] = [0.2, float("-inf"), 0.3, 0.4]
    frame["Close Date"] = pd.to_datetime(
        ["2026-12-15", "2026-12-15", "9999-12-31", "2026-12-15"]
    ).astype("datetime64[us]")
    frame.loc[3, "Close Date"] = pd.Timestamp("1600-01-01")
    path = tmp_path / "typed.parquet"
    frame.to_parquet(path)
    result = read_export(path, week=WEEK)
    accounted(result)
    assert sorted((p.row, p.column) for p in result.report.problems) == [
        (3, "Amount"),
        (3, "Deal probability"),
        (4, "Amount"),
        (4, "Close Date"),
        (5, "Close Date"),
    ]
    assert result.snapshot["deal_id"].tolist() == ["1001"]


# --- control characters in text cells ------------------------------------------------------

REMOVED = ["\x00", "\x01", "\x07", "\x1b", "\x7f", "\x80", "\x9b", "\x9f"]
SPACED = ["\t", "\n", "\r\n", "\x0b", "\x0c", "\x1c", "\x1e", "\x85", "\u2028", "\u2029"]
TEXT_FIELDS = [
    ("name", "Deal Name", "deal_name"),
    ("account", "Associated Company", "account"),
    ("next", "Next step", "next_step"),
    ("owner", "Deal owner", "owner"),
    ("team", "HubSpot Team", "team"),
]


@pytest.mark.parametrize(("field", "header", "column"), TEXT_FIELDS)
def test_control_characters_are_removed_from_text_and_counted(
    tmp_path: Path, field: str, header: str, column: str
) -> None:
    chars = REMOVED + SPACED
    rows = [deal(n, **{field: f"Ab{c}cd"}) for n, c in enumerate(chars, 1)]
    result = ingest(tmp_path, [*rows, deal(99)])
    assert result.report.rows_kept == len(chars) + 1
    assert result.snapshot[column].tolist()[:-1] == ["Abcd"] * len(REMOVED) + ["Ab cd"] * len(
        SPACED
    )
    assert [r for r in result.report.repairs if "control characters" in r] == [
        "removed control characters (NUL, DEL …; line breaks and tabs became spaces) from "
        f"{len(chars)} text cell(s): {len(chars)} in {header!r}"
    ]


def test_control_characters_in_stage_and_currency_cells_are_removed(tmp_path: Path) -> None:
    result = ingest(tmp_path, [deal(1, stage="Qualified\x00 To Buy", currency="US\x00D")])
    assert result.snapshot[["stage", "currency"]].iloc[0].tolist() == ["qualified_to_buy", "USD"]


def test_control_character_inside_a_deal_id_is_a_row_problem(tmp_path: Path) -> None:
    chars = REMOVED + SPACED
    rows = [deal(n, id=f"10{c}{n}") for n, c in enumerate(chars, 1)]
    result = ingest(tmp_path, [*rows, deal(99)])
    assert problems_of(result) == [
        (n + 1, "Record ID", f"10{c}{n}") for n, c in enumerate(chars, 1)
    ]
    assert all("control characters" in p.expected for p in result.report.problems)
    assert result.snapshot["deal_id"].tolist() == ["1099"]


def test_kept_text_has_no_control_character_left(tmp_path: Path) -> None:
    every = "".join(REMOVED + SPACED)
    rows = [
        deal(n, name=f"N{every}{n}", account=f"{every}A", next=f"x{every}") for n in range(1, 4)
    ]
    result = ingest(tmp_path, rows)
    text = result.snapshot[["deal_name", "account", "next_step"]].stack()
    assert not text.str.contains(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]").any()
    assert any("from 9 text cell(s)" in r for r in result.report.repairs)


# --- team and rep names ------------------------------------------------------------------

BAD_NAMES = [
    ("A/B", "holds '/'"),
    ("A:B", "holds ':'"),
    ("A\\B", "holds '\\\\'"),
    ("CON", "Windows device name"),
    ("nul.txt", "Windows device name"),
    (".hidden", "starts with a dot"),
    ("West.", "ends with a dot"),
    ("{team}", "holds '{'"),
    ("华东" * 34, "204 bytes long"),
]


@pytest.mark.parametrize(
    ("field", "header", "what"), [("team", "HubSpot Team", "team"), ("owner", "Deal owner", "rep")]
)
def test_unusable_team_and_rep_names_are_row_problems(
    tmp_path: Path, field: str, header: str, what: str
) -> None:
    rows = [deal(n, **{field: name}) for n, (name, _) in enumerate(BAD_NAMES, 1)]
    result = ingest(tmp_path, [deal(99), *rows, deal(98, **{field: BAD_NAMES[0][0]})])
    expected = [(n + 2, header, name) for n, (name, _) in enumerate(BAD_NAMES, 1)]
    assert sorted(problems_of(result)) == sorted(
        [*expected, (len(BAD_NAMES) + 3, header, BAD_NAMES[0][0])]
    )
    for problem in result.report.problems:
        assert problem.expected == f"a {what} name usable as a folder or file name"
        said = dict(BAD_NAMES)[problem.got]
        assert said in problem.hint and f"values: {field}:" in problem.hint
    assert result.snapshot["deal_id"].tolist() == ["1099"]


def test_name_at_the_length_limit_is_kept(tmp_path: Path) -> None:
    at_limit, over = "华" * 66 + "ab", "华" * 66 + "abc"  # 200 and 201 bytes
    result = ingest(tmp_path, [deal(1, team=at_limit), deal(2, team=over)])
    assert result.snapshot["team"].tolist() == [at_limit]
    assert "201 bytes long" in result.report.problems[0].hint


@pytest.mark.parametrize("team", ["A/B", "CON", " ", ".x", "a\x00b"])
def test_team_option_is_checked(tmp_path: Path, team: str) -> None:
    from pipereview.core._errors import InputError

    path = write_export(tmp_path / "x.csv", [deal(1)])
    with pytest.raises(InputError, match="cannot be used as a folder name"):
        read_export(path, week=WEEK, team=team)


def test_lookalike_team_and_rep_names_are_flagged_not_merged(tmp_path: Path) -> None:
    rows = [
        deal(1, team="North"),
        deal(2, team="ＮＯＲＴＨ"),
        deal(3, team="north  "),
        deal(4, team="North", owner="Mei  Tanaka"),
        deal(5, team="South"),
    ]
    result = ingest(tmp_path, rows)
    assert result.report.rows_kept == 5
    assert result.snapshot["team"].tolist() == ["North", "ＮＯＲＴＨ", "north", "North", "South"]
    teams = [w for w in result.report.warnings if w.startswith("team names")]
    assert teams == [
        "team names 'North' (rows 2, 5), 'ＮＯＲＴＨ' (row 3) and 'north' (row 4) look alike "
        "(they differ only in case, width or spacing) but are kept as 3 separate teams; spell "
        "them alike in the CRM, or map one to the other under 'values: team:' in a column map "
        "(docs/formats.md)"
    ]
    owners = [w for w in result.report.warnings if w.startswith("owner names")]
    assert len(owners) == 1 and "'Mei Tanaka' (rows 2, 3, 4, 6)" in owners[0]
    assert "'Mei  Tanaka' (row 5)" in owners[0]


def test_names_that_differ_in_more_than_case_are_not_flagged(tmp_path: Path) -> None:
    result = ingest(
        tmp_path, [deal(1, team="North"), deal(2, team="North-East"), deal(3, team="Nord")]
    )
    assert not any("look alike" in w for w in result.report.warnings)


# --- one currency per team ---------------------------------------------------------------


def test_a_deal_in_another_currency_than_its_team_is_a_row_problem(tmp_path: Path) -> None:
    rows = [
        deal(1),
        deal(2, currency="usd"),
        deal(3, currency="EUR"),
        deal(4, currency=""),
        deal(5, team="East", currency="EUR"),
        deal(6, team="East", currency="EUR"),
    ]
    result = ingest(tmp_path, rows)
    assert problems_of(result) == [(4, "Currency", "EUR")]
    problem = result.report.problems[0]
    assert problem.expected == "the currency of team 'West': USD (2 of its 3 deals)"
    assert "convert these amounts to USD" in problem.hint and "team per currency" in problem.hint
    assert result.snapshot["currency"].fillna("").tolist() == ["USD", "USD", "", "EUR", "EUR"]


def test_a_tie_keeps_the_first_currency_of_the_team(tmp_path: Path) -> None:
    result = ingest(tmp_path, [deal(1, currency="EUR"), deal(2, currency="USD")])
    assert problems_of(result) == [(3, "Currency", "USD")]


def test_an_export_without_a_currency_column_is_fine(tmp_path: Path) -> None:
    header = tuple(h for h in HEADER if h != "Currency")
    result = ingest(tmp_path, [deal(1), deal(2)], header=header)
    assert result.report.rows_kept == 2
    assert result.snapshot["currency"].isna().all()


# --- footers and totals: skipped only when a person would agree --------------------------


def only(**cells: str) -> dict[str, str]:
    """A row with only ``cells`` filled."""
    return {**dict.fromkeys(FIELDS, ""), **cells}


def outcome(result: Any, row: int) -> str:
    """'kept', 'rejected' or 'skipped' for a file row."""
    if row in result.snapshot["source_row"].tolist():
        return "kept"
    reason = result.quarantine.set_index("row").loc[row, "reason"]
    return (
        "skipped"
        if reason in ("blank row", "report footer or total row (not a deal)")
        else "rejected"
    )


def test_a_deal_like_last_row_with_blank_amount_and_dates_is_rejected_not_skipped(
    tmp_path: Path,
) -> None:
    last = deal(3, amount="", close="", created="", account="")
    result = ingest(tmp_path, [deal(1), deal(2), last])
    assert outcome(result, 4) == "rejected"
    assert {(p.row, p.column) for p in result.report.problems} == {
        (4, "Close Date"),
        (4, "Create Date"),
    }
    assert result.report.rows_skipped == 0


@boundary("ingest.footer_text_cells")  # 0 and 1 text cells: a footer; 2: a deal
@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        # deal-like: an ID or a name, and an owner or a stage: never skipped
        ({"id": "9", "owner": "Ann"}, "rejected"),
        ({"id": "9", "stage": "Qualified To Buy"}, "rejected"),
        ({"name": "X", "owner": "Ann"}, "rejected"),
        ({"name": "X", "stage": "Qualified To Buy"}, "rejected"),
        # an ID or a name alone: not a footer either (the row names a deal)
        ({"id": "9"}, "rejected"),
        ({"name": "X", "amount": "5"}, "rejected"),
        # no ID, no name, at most one cell of text: a footer after the last deal
        ({"owner": "Ann", "amount": "5"}, "skipped"),
        ({"stage": "Closed Won", "amount": "5"}, "skipped"),
        ({"amount": "37800"}, "skipped"),
        ({"amount": "37800", "probability": "3"}, "skipped"),
        ({"next": "Generated 2026-11-20 by Ann"}, "skipped"),
        # two cells of text: a person would not call it a footer
        ({"owner": "Ann", "next": "call"}, "rejected"),
        ({"account": "Acme", "team": "West"}, "rejected"),
        # a footer word starts it: a total or footer, whatever follows
        ({"id": "Total", "amount": "3000"}, "skipped"),
        ({"name": "Grand Totals (3 records)", "account": "x", "team": "y"}, "skipped"),
        ({"owner": "合计", "amount": "3000", "next": "x"}, "skipped"),
        ({"id": "Copyright (c) 2026 Acme", "name": "x"}, "skipped"),
        ({"id": "© 2026 Acme", "team": "t", "next": "n"}, "skipped"),
        # a word that only starts like one does not count
        ({"id": "Totalcare", "account": "x", "team": "y"}, "rejected"),
        ({"next": "Summit call", "account": "x"}, "rejected"),
    ],
)
def test_rows_after_the_last_deal(tmp_path: Path, cells: dict[str, str], expected: str) -> None:
    result = ingest(tmp_path, [deal(1), deal(2), only(**cells)])
    assert outcome(result, 4) == expected
    assert [outcome(result, r) for r in (2, 3)] == ["kept", "kept"]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ({"amount": "37800"}, "rejected"),
        ({"owner": "Ann", "amount": "5"}, "rejected"),
        ({"id": "Subtotal", "amount": "3000"}, "skipped"),
        ({"owner": "Total"}, "skipped"),
        ({}, "skipped"),
    ],
)
def test_rows_between_deals_are_footers_only_with_a_footer_word(
    tmp_path: Path, cells: dict[str, str], expected: str
) -> None:
    result = ingest(tmp_path, [deal(1), only(**cells), deal(3)])
    assert outcome(result, 3) == expected


@pytest.mark.parametrize(
    ("rows", "said", "hint"),
    [
        ([], "nothing below the header on row 1", "filters and date range"),
        (
            [only(), only(name="Total", amount="2000")],
            "the 2 row(s) below the header on row 1 are blank or report totals",
            "filters",
        ),
    ],
    ids=["header only", "blank and total rows"],
)
def test_an_export_without_deals_is_refused_at_the_row_below_the_header(
    tmp_path: Path, rows: list[dict[str, str]], said: str, hint: str
) -> None:
    from pipereview.core._errors import SchemaError

    path = write_export(tmp_path / "export.csv", rows)
    with pytest.raises(SchemaError) as refused:
        read_export(path, week=WEEK)
    hint = f"export the report again with its rows (check the report's {hint})"
    assert str(refused.value) == (
        f"{path}: no deals in the file: {said} (expected at least one deal below the header)"
        f"\nHint: {hint}"
    )
    error = refused.value
    assert (error.file, error.row, error.expected, error.hint) == (
        str(path),
        2,
        "at least one deal below the header",
        hint,
    )


def test_an_export_without_any_deal_id_is_kept_with_a_warning(tmp_path: Path) -> None:
    # a spreadsheet kept by hand: the ID column is there but every cell is blank
    result = ingest(tmp_path, [deal(1, id=""), deal(2, id="")])
    assert result.report.rows_kept == 2
    assert result.snapshot["deal_id"].isna().all()
    assert result.snapshot["deal_name"].tolist() == ["Deal 1", "Deal 2"]
    assert result.report.warnings == (
        "2 deal(s) have no ID; they will be matched across weeks by account and name",
    )


@pytest.mark.parametrize(("team", "put_in"), [(None, "All"), ("North", "North")])
def test_a_row_without_a_team_is_put_in_the_default_team(
    tmp_path: Path, team: str | None, put_in: str
) -> None:
    # the map's default team (HubSpot: All), or the one --team names
    options = {"team": team} if team else {}
    result = ingest(tmp_path, [deal(1, team="East"), deal(2, team="")], **options)
    assert result.snapshot["team"].tolist() == ["East", put_in]
    assert result.report.warnings == (f"1 row(s) without a team were put in team {put_in!r}",)


def test_a_deal_named_like_a_total_is_a_deal(tmp_path: Path) -> None:
    result = ingest(tmp_path, [deal(1), deal(2, id="", name="Total Gym Equipment")])
    assert result.report.rows_kept == 2


def test_a_row_just_after_the_last_deal_is_judged_as_a_footer(tmp_path: Path) -> None:
    note = only(next="Northwind Group")
    before = ingest(tmp_path, [deal(1), note, deal(3)])
    after = ingest(tmp_path, [deal(1), deal(3), note])
    assert (outcome(before, 3), outcome(after, 4)) == ("rejected", "skipped")


# --- the stored snapshot holds the same guarantees (validate_snapshot, store writes) --------


@pytest.fixture(scope="module")
def good_snapshot(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    path = write_export(tmp_path_factory.mktemp("good") / "x.csv", [deal(1), deal(2)])
    snapshot: pd.DataFrame = read_export(path, week=WEEK).snapshot
    return snapshot


@pytest.mark.parametrize(
    ("column", "value", "said"),
    [
        ("amount", float("inf"), "amount"),
        ("amount", 2e13, "amount"),
        ("close_date", pd.Timestamp("2201-01-01"), "close_date"),
        ("created_date", pd.Timestamp("1899-12-31"), "created_date"),
        ("last_activity_date", pd.Timestamp("2250-01-01"), "last_activity_date"),
        ("probability", float("inf"), "probability"),
        ("team", "A/B", "team"),
        ("owner", "CON", "owner"),
        ("deal_name", "Acme\x00", "control characters"),
        ("next_step", "a\u2028b", "control characters"),
        ("currency", "EUR", "several currencies"),
    ],
)
def test_snapshots_breaking_the_boundary_rules_are_not_stored(
    good_snapshot: pd.DataFrame, tmp_path: Path, column: str, value: object, said: str
) -> None:
    from pipereview.core._errors import SchemaError
    from pipereview.history._store import SnapshotStore
    from pipereview.ingest._schema import validate_snapshot

    validate_snapshot(good_snapshot)
    bad = good_snapshot.copy()
    bad.loc[1, column] = value
    with pytest.raises(SchemaError, match=said):
        validate_snapshot(bad)
    store = SnapshotStore(tmp_path / "store")
    with pytest.raises(SchemaError, match=said):
        store.add(bad, WEEK)
    assert store.weeks() == []


@pytest.mark.parametrize(("column", "value"), [("team", "A/B"), ("owner", "CON")])
def test_an_unusable_name_on_the_first_row_is_refused_too(
    good_snapshot: pd.DataFrame, column: str, value: str
) -> None:
    # each distinct name is checked once: the first one as well as the others
    from pipereview.core._errors import SchemaError
    from pipereview.ingest._schema import validate_snapshot

    bad = good_snapshot.copy()
    bad.loc[0, column] = value
    with pytest.raises(SchemaError) as refused:
        validate_snapshot(bad)
    assert str(refused.value) == (
        "snapshot is not a valid canonical snapshot: 1 failure(s):\n"
        f"  - snapshot, row 1, column '{column}': expected a name usable as a folder or file "
        f"name (pipereview.core._names.NAME_RULE), got '{value}'.\n"
        "Hint: build snapshots with pipereview.read_export / `pipereview ingest`, which "
        "produce this schema"
    )


def test_every_failure_of_a_snapshot_is_listed_one_a_line(good_snapshot: pd.DataFrame) -> None:
    from pipereview.core._errors import SchemaError
    from pipereview.ingest._schema import validate_snapshot

    bad = good_snapshot.copy()
    bad.loc[0, "team"] = "A/B"
    bad.loc[1, "owner"] = "CON"
    with pytest.raises(SchemaError) as refused:
        validate_snapshot(bad)
    usable = "a name usable as a folder or file name (pipereview.core._names.NAME_RULE)"
    problems = [
        f"snapshot, row 1, column 'team': expected {usable}, got 'A/B'.",
        f"snapshot, row 2, column 'owner': expected {usable}, got 'CON'.",
    ]
    assert str(refused.value) == (
        "snapshot is not a valid canonical snapshot: 2 failure(s):\n"
        f"  - {problems[0]}\n  - {problems[1]}\n"
        "Hint: build snapshots with pipereview.read_export / `pipereview ingest`, which "
        "produce this schema"
    )
    assert [str(p) for p in refused.value.problems] == problems


def test_a_snapshot_with_two_currencies_in_a_team_is_refused_naming_both(
    good_snapshot: pd.DataFrame,
) -> None:
    from pipereview.core._errors import SchemaError
    from pipereview.ingest._schema import validate_snapshot

    bad = good_snapshot.copy()
    bad.loc[1, "currency"] = "EUR"  # West's other deal is in USD
    with pytest.raises(SchemaError) as refused:
        validate_snapshot(bad)
    hint = (
        "a team's amounts are added together: convert the amounts in the CRM report, or "
        "give the deals of each currency their own team"
    )
    assert str(refused.value) == (
        "snapshot: a team's deals carry several currencies (team 'West' in 2026-W47: EUR, "
        f"USD) (expected one currency per team and week)\nHint: {hint}"
    )
    error = refused.value
    assert (error.file, error.column, error.expected, error.hint) == (
        "snapshot",
        "currency",
        "one currency per team and week",
        hint,
    )


def test_a_deal_twice_in_one_week_is_not_stored_and_the_hint_says_why(
    good_snapshot: pd.DataFrame,
) -> None:
    from pipereview.core._errors import SchemaError
    from pipereview.ingest._schema import validate_snapshot

    twice = good_snapshot.copy()
    twice.loc[1, "deal_id"] = "1001"  # deal 1's ID (1000 + 1) on deal 2's row
    with pytest.raises(SchemaError) as info:
        validate_snapshot(twice, source="w47.parquet")
    assert info.value.message == (
        "w47.parquet: deal IDs must be unique within a week; repeated: ['1001']"
    )
    assert info.value.column == "deal_id"
    assert info.value.hint == (
        "keep one row per deal ID in each week's exports (check for a deal exported twice)"
    )


# --- the values_* exports of the bad-input corpus (tests/data/bad/cases-values.yaml) --------

BAD = Path(__file__).parent / "data" / "bad"
_CORPUS_HEADER = [
    "Record ID",
    "Deal Name",
    "Deal Stage",
    "Deal owner",
    "Amount",
    "Currency",
    "Deal probability",
    "Close Date",
    "Create Date",
    "Last Activity Date",
    "Next step",
    "HubSpot Team",
    "Associated Company",
]


def _corpus_row(n: int, **cells: str) -> dict[str, str]:
    row = {
        "Record ID": str(18273645000 + n),
        "Deal Name": f"Deal {n}",
        "Deal Stage": "Qualified To Buy",
        "Deal owner": "Mei Tanaka",
        "Amount": "15500",
        "Currency": "USD",
        "Deal probability": "0.4",
        "Close Date": "2027-01-29",
        "Create Date": "2026-11-03",
        "Last Activity Date": "2026-11-20",
        "Next step": "Book demo",
        "HubSpot Team": "Mid-Market West",
        "Associated Company": f"Company {n}",
    }
    return {**row, **{k.replace("_", " "): v for k, v in cells.items()}}


def _corpus_file(rows: list[dict[str, str]], tail: str = "") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, _CORPUS_HEADER, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return (out.getvalue() + tail).encode("utf-8")


def corpus_exports() -> dict[str, bytes]:
    """The bytes of every values_* export, as written to tests/data/bad."""
    r = _corpus_row
    return {
        "values_dates_out_of_range.csv": _corpus_file(
            [
                r(1),
                r(2, Close_Date="9999-12-31"),
                r(3, Create_Date="1600-01-01"),
                r(4, Close_Date="2958465.5"),
                r(5, Last_Activity_Date="9999-12-31"),
            ]
        ),
        "values_no_date_placeholders.csv": _corpus_file(
            [
                r(1, Last_Activity_Date="0000-00-00"),
                r(2, Last_Activity_Date="1900-01-01"),
                r(3, Last_Activity_Date="9999-12-31 23:59:59"),
                r(4),
            ]
        ),
        "values_infinite_amounts.csv": _corpus_file(
            [
                r(1),
                r(2, Amount="Infinity"),
                r(3, Amount="inf"),
                r(4, Amount="1e309"),
                r(5, Amount="-inf"),
                r(6, Deal_probability="NaN"),
                r(7, Amount="1e20"),
            ]
        ),
        "values_control_characters.csv": _corpus_file(
            [
                r(1, Deal_Name="Adatum\x00 Fleet"),
                r(2, Next_step="Call\u2028then demo"),
                r(3, Associated_Company="Tailspin\x07 Toys\x7f"),
                r(4),
            ]
        ),
        "values_nul_in_deal_id.csv": _corpus_file([r(1), r(2, Record_ID="18273\x00645002"), r(3)]),
        "values_team_names.csv": _corpus_file(
            [
                r(1),
                r(2, HubSpot_Team="EMEA/North"),
                r(3, Deal_owner="Ann:Bob"),
                r(4, HubSpot_Team="CON"),
            ]
        ),
        "values_lookalike_teams.csv": _corpus_file(
            [
                r(1),
                r(2, HubSpot_Team="Ｍｉｄ-Ｍａｒｋｅｔ Ｗｅｓｔ"),
                r(3, HubSpot_Team="mid-market  west"),
                r(4),
            ]
        ),
        "values_mixed_currency.csv": _corpus_file(
            [r(1), r(2), r(3, Currency="EUR"), r(4, HubSpot_Team="EMEA", Currency="EUR")]
        ),
        "values_deal_like_last_row.csv": _corpus_file(
            [r(1), r(2), r(3, Amount="", Close_Date="", Create_Date="")],
            tail="\r\n,Total,,,31000,,,,,,,,\r\n",
        ),
    }


def test_corpus_exports_are_as_written_here() -> None:
    """The values_* files are written by :func:`corpus_exports` (regenerate them with
    ``python -c "from tests.test_values import write_corpus; write_corpus()"``)."""
    for name, data in corpus_exports().items():
        assert (BAD / name).read_bytes() == data, name
    assert {p.name for p in BAD.glob("values_*")} == set(corpus_exports())


def write_corpus() -> None:
    for name, data in corpus_exports().items():
        (BAD / name).write_bytes(data)


def test_spreadsheet_dates_out_of_range_and_placeholders(tmp_path: Path) -> None:
    import datetime as dt

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(HEADER))
    days = {
        1: (dt.datetime(2026, 12, 1), dt.datetime(9999, 12, 31)),
        2: (dt.datetime(9999, 12, 31), None),
        3: (dt.datetime(1600, 1, 1), None),
        4: (dt.datetime(2026, 12, 1), dt.datetime(1899, 12, 30)),
    }  # Excel's day 0
    for n, (close, activity) in days.items():
        row = deal(n)
        sheet.append(
            [
                close if h == "Close Date" else activity if h == "Last Activity Date" else row[k]
                for k, h in FIELDS.items()
            ]
        )
    path = tmp_path / "dates.xlsx"
    book.save(path)
    result = read_export(path, week=WEEK)
    accounted(result)
    problems = sorted(result.report.problems, key=lambda p: p.row or 0)
    assert [(p.row, p.column) for p in problems] == [(3, "Close Date"), (4, "Close Date")]
    assert "'no date'" in problems[0].expected
    assert problems[1].expected == "a date from 1900-01-01 to 2200-12-31"
    assert result.snapshot["deal_id"].tolist() == ["1001", "1004"]
    assert result.snapshot["last_activity_date"].isna().all()
    assert any(
        r.startswith("2 'Last Activity Date' cell(s) held a 'no date' placeholder")
        for r in result.report.repairs
    )
