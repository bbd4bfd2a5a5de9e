"""Ingest of real-looking exports: encodings, file kinds, repairs, flags, quarantine."""

from __future__ import annotations

import codecs
import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from _budget import examples
from pipereview.core._errors import SchemaError, WeekExistsError
from pipereview.history._intake import ingest_week, quarantine_name
from pipereview.history._store import SnapshotStore
from pipereview.ingest._export import load_snapshot, read_export

HEADERS = Path(__file__).parent / "data" / "headers"
CHINESE = (HEADERS / "chinese_crm.csv").read_text("utf-8")
ODOO = (HEADERS / "odoo.csv").read_text("utf-8")


@pytest.mark.parametrize(
    ("encoding", "prefix", "detected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", codecs.BOM_UTF8, "utf-8-sig"),
        ("gb18030", b"", "gb18030"),
        ("gbk", b"", "gb18030"),
    ],
)
def test_encodings_are_detected(
    tmp_path: Path, encoding: str, prefix: bytes, detected: str
) -> None:
    path = tmp_path / "export.csv"
    text = CHINESE.replace("¥", "￥") if encoding == "gbk" else CHINESE  # GBK has only ￥
    path.write_bytes(prefix + text.encode(encoding))
    result = read_export(path, week="2026-W47")
    assert result.report.encoding == detected
    assert result.report.column_map == "chinese_crm"
    first = result.snapshot.iloc[0]
    assert first["deal_name"] == "恒达钢铁余热发电改造项目"
    assert first["account"] == "江苏恒达钢铁有限公司"
    assert first["stage"] == "strategy"
    assert result.snapshot["amount"].tolist()[:2] == [1_200_000.0, 1_200_000.0]


def test_title_rows_and_footer_are_repaired_and_reported(tmp_path: Path) -> None:
    lines = ODOO.splitlines()
    text = "\n".join(
        ["Pipeline report,,", "Printed 2026-11-20,,", "", *lines, "", "Total,,,,,,,,37800", ""]
    )
    path = tmp_path / "odoo.csv"
    path.write_text(text, encoding="utf-8")
    result = read_export(path, week="2026-W47")
    report = result.report
    assert report.header_row == 4
    assert (report.rows_kept, report.rows_rejected, report.rows_skipped) == (3, 0, 5)
    assert any("title row" in r for r in report.repairs)
    assert any("footer/total" in r and "row 9" in r for r in report.repairs)
    assert result.quarantine["row"].tolist() == [1, 2, 3, 8, 9]
    assert result.quarantine["reason"].tolist()[3:] == [
        "blank row",
        "report footer or total row (not a deal)",
    ]
    assert all("above the header" in r for r in result.quarantine["reason"][:3])
    assert result.snapshot["source_row"].tolist() == [5, 6, 7]


def test_missing_team_column_defaults_to_one_team(tmp_path: Path) -> None:
    frame = pd.read_csv(HEADERS / "odoo.csv", dtype=str).drop(columns=["Sales Team"])
    path = tmp_path / "odoo.csv"
    frame.to_csv(path, index=False)
    result = read_export(path, week="2026-W47")
    assert set(result.snapshot["team"]) == {"All"}
    assert any("no team column" in r for r in result.report.repairs)
    named = read_export(path, week="2026-W47", team="Europe")
    assert set(named.snapshot["team"]) == {"Europe"}


def test_blank_account_is_kept_and_flagged(tmp_path: Path) -> None:
    frame = pd.read_csv(HEADERS / "odoo.csv", dtype=str, keep_default_na=False)
    frame.loc[1, "Customer"] = ""
    path = tmp_path / "odoo.csv"
    frame.to_csv(path, index=False)
    result = read_export(path, week="2026-W47")
    assert result.ok
    assert result.snapshot["account_missing"].tolist() == [False, True, False]
    assert pd.isna(result.snapshot["account"][1])
    assert any("no account" in w for w in result.report.warnings)


def _write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_xlsx_with_title_row_real_dates_and_serials(tmp_path: Path) -> None:
    header = [
        "Opportunity ID",
        "Opportunity Name",
        "Account Name",
        "Opportunity Owner",
        "Stage",
        "Amount",
        "Close Date",
        "Created Date",
    ]
    path = _write_xlsx(
        tmp_path / "sf.xlsx",
        [
            ["Opportunity Pipeline - Q4"],
            [],
            header,
            [
                "006A",
                "Line upgrade",
                "Northwind",
                "Dana",
                "Prospecting",
                12000,
                datetime.datetime(2026, 11, 23),
                46279,
            ],
            [
                "006B",
                "Chillers",
                "Contoso",
                "Dana",
                "Closed Won",
                "¥5,000",
                "11/30/2026",
                datetime.date(2026, 9, 1),
            ],
        ],
    )
    result = read_export(path, week="2026-W47")
    assert result.ok, result.report.summary()
    assert result.report.header_row == 3
    snap = result.snapshot
    assert snap["close_date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-11-23", "2026-11-30"]
    assert snap["created_date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-09-14", "2026-09-01"]
    assert snap["amount"].tolist() == [12000.0, 5000.0]
    assert snap["stage"].tolist() == ["prospecting", "won"]
    assert snap["source_row"].tolist() == [4, 5]


def test_parquet_export(tmp_path: Path) -> None:
    frame = pd.read_csv(HEADERS / "odoo.csv", dtype=str, keep_default_na=False)
    path = tmp_path / "odoo.parquet"
    frame.to_parquet(path)
    result = read_export(path, week="2026-W47")
    assert result.ok and result.report.column_map == "odoo"
    assert result.snapshot["amount"].tolist() == [24000.0, 8600.0, 5200.0]
    assert result.snapshot["probability"].round(4).tolist() == [0.4687, 0.185, 0.0732]


def test_dmy_dates_need_the_map_to_say_so(tmp_path: Path) -> None:
    path = tmp_path / "sf.csv"
    path.write_text(
        "Opportunity ID,Opportunity Name,Account Name,Opportunity Owner,Stage,Amount,"
        "Close Date,Created Date\n006A,X,Y,Z,Prospecting,1,23/11/2026,01/09/2026\n",
        encoding="utf-8",
    )
    strict = read_export(path, week="2026-W47")
    assert not strict.ok
    assert {p.column for p in strict.report.problems} == {"Close Date"}
    my_map = tmp_path / "eu.yaml"
    my_map.write_text(
        "name: eu\nlabel: EU\nextends: salesforce_report\ndate_format: dmy\n", "utf-8"
    )
    relaxed = read_export(path, week="2026-W47", column_map=my_map)
    assert relaxed.ok
    assert relaxed.snapshot["close_date"][0] == pd.Timestamp("2026-11-23")
    assert relaxed.snapshot["created_date"][0] == pd.Timestamp("2026-09-01")


def test_every_row_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "sf.csv"
    path.write_text(
        "Opportunity ID,Opportunity Name,Account Name,Opportunity Owner,Stage,Amount,Close Date,Created Date\n"
        "006A,Good,Acme,Ann,Prospecting,100,11/30/2026,09/01/2026\n"
        "006B,Bad amount,Acme,Ann,Prospecting,lots,11/30/2026,09/01/2026\n"
        "006C,Bad stage,Acme,Ann,Negotiating,5,11/30/2026,09/01/2026\n"
        "006D,Bad date,Acme,Ann,Prospecting,5,soon,09/01/2026\n"
        "006A,Duplicate,Acme,Ann,Prospecting,5,11/30/2026,09/01/2026\n",
        encoding="utf-8",
    )
    result = read_export(path, week="2026-W47")
    assert (result.report.rows_kept, result.report.rows_rejected) == (0, 5)
    found = sorted((p.row, p.column) for p in result.report.problems)
    assert found == [
        (2, "Opportunity ID"),
        (3, "Amount"),
        (4, "Stage"),
        (5, "Close Date"),
        (6, "Opportunity ID"),
    ]
    with pytest.raises(SchemaError) as info:
        load_snapshot(path, week="2026-W47")
    message = str(info.value)
    for needle in (
        "row 3",
        "'Amount'",
        "'lots'",
        "rows 2, 6",
        "'Negotiating'",
        "stage_aliases",
        "'soon'",
        "5 of 5 rows",
    ):
        assert needle in message, needle
    # the refusal points at the first problem found (the stages are checked first: row 4's
    # 'Negotiating'), and says what to do
    assert (info.value.row, info.value.column) == (4, "Stage")
    assert info.value.hint == (
        "fix those rows in the CRM or the file and ingest again; the rejected rows "
        "are written to the quarantine file with their reasons"
    )


def test_week_is_stored_only_when_every_row_is_good(tmp_path: Path) -> None:
    good = tmp_path / "odoo.csv"
    good.write_text(ODOO, encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(ODOO.replace("Proposition", "Negotiating"), encoding="utf-8")
    store = SnapshotStore(tmp_path / "store")
    with pytest.raises(SchemaError, match="not stored"):
        ingest_week([good, bad], week="2026-W47", store=store)
    assert store.weeks() == []
    [written] = store.quarantine_dir("2026-W47").glob("bad.*.quarantine.csv")
    assert written.name == quarantine_name(bad)  # named after the export and its path
    quarantine = pd.read_csv(written)
    assert quarantine["row"].tolist() == [2]
    kept = ingest_week([bad], week="2026-W47", store=store, keep_going=True)
    assert kept.rows == 2
    with pytest.raises(WeekExistsError):
        ingest_week([good], week="2026-W47", store=store)
    replaced = ingest_week([good], week="2026-W47", store=store, replace=True)
    assert replaced.rows == 3
    assert store.info("2026-W47")["sources"][0]["file"] == "odoo.csv"


# --- number formats read from the amounts -------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from pipereview.core._errors import ColumnMapError  # noqa: E402

_SF_HEADER = [
    "Opportunity ID",
    "Opportunity Name",
    "Opportunity Owner",
    "Stage",
    "Amount",
    "Close Date",
    "Created Date",
]


def _group(whole: int, mark: str) -> str:
    text = str(whole)
    parts = []
    while len(text) > 3:
        parts.insert(0, text[-3:])
        text = text[:-3]
    return mark.join([text, *parts])


def _written(cents: int, european: bool, grouped: bool, decimals: str) -> str:
    """An amount as a CRM writes it: plain (1,234.50) or European (1.234,50), with or
    without thousands separators, with cents always, never, or only when not zero."""
    whole, rest = divmod(cents, 100)
    point, thousands = (",", ".") if european else (".", ",")
    text = _group(whole, thousands) if grouped else str(whole)
    if decimals == "always" or (decimals == "when_not_zero" and rest):
        text += f"{point}{rest:02d}"
    return text


_AMOUNTS = st.lists(st.integers(0, 5_000_000_000), min_size=1, max_size=6)


@settings(max_examples=examples(60), deadline=None, derandomize=True)
@given(
    cents=_AMOUNTS,
    european=st.booleans(),
    grouped=st.booleans(),
    decimals=st.sampled_from(["always", "never", "when_not_zero"]),
    delimiter=st.sampled_from([";", ","]),
)
def test_amounts_read_back_in_either_format_or_the_file_is_refused(
    tmp_path_factory: pytest.TempPathFactory,
    cents: list[int],
    european: bool,
    grouped: bool,
    decimals: str,
    delimiter: str,
) -> None:
    if decimals == "never":
        cents = [c - c % 100 for c in cents]
    written = [_written(c, european, grouped, decimals) for c in cents]
    rows = [
        [f"D{i}", f"Deal {i}", "Ann Lee", "Prospecting", text, "12/15/2026", "10/1/2026"]
        for i, text in enumerate(written)
    ]
    path = tmp_path_factory.mktemp("fmt") / "export.csv"
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL)
        writer.writerows([_SF_HEADER, *rows])

    # what the written cells say, from how they were written (not from the reader's rules):
    # a cell with its cents written, or with two thousands separators, shows the format; a
    # whole amount from 1,000 to 999,999 written with its separator and no cents (12.500,
    # 12,500) reads both ways. A European file where nothing shows the format and such a
    # cell is there is refused; plain 12,500 is read the map's way, the one that does not
    # need three decimals.
    def cents_written(c: int) -> bool:
        return decimals == "always" or (decimals == "when_not_zero" and c % 100 != 0)

    shows = any(cents_written(c) or (grouped and c >= 100_000_000) for c in cents)
    both_ways = any(not cents_written(c) and grouped and 100_000 <= c < 100_000_000 for c in cents)
    if european and both_ways and not shows:
        with pytest.raises(ColumnMapError) as refused:
            read_export(path, week="2026-W47")
        message = str(refused.value)
        assert "column 'Amount', row " in message
        assert "with a decimal point or as" in message and "with a decimal comma" in message
        return
    result = read_export(path, week="2026-W47")
    assert result.ok, result.report.summary()
    assert [round(a * 100) for a in result.snapshot["amount"]] == cents
    said = any("amounts read with a decimal comma" in n for n in result.report.notes)
    assert said is (european and shows)


def test_a_decimal_comma_amount_beside_whole_amounts_is_read_and_said(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "Opportunity ID,Opportunity Name,Opportunity Owner,Stage,Amount,Close Date,"
        "Created Date\nD1,Deal 1,Ann Lee,Prospecting,1000,12/15/2026,10/1/2026\n"
        'D2,Deal 2,Ann Lee,Prospecting,"12.000,00",12/15/2026,10/1/2026\n',
        encoding="utf-8",
    )
    result = read_export(path, week="2026-W47")
    assert result.ok, result.report.summary()
    assert result.snapshot["amount"].tolist() == [1000.0, 12000.0]
    assert result.report.notes[0] == (
        "amounts read with a decimal comma, as column 'Amount' "
        "writes them (row 3: '12.000,00' = 12000)"
    )


@pytest.mark.parametrize(
    ("cells", "row", "readings"),
    [
        (
            ["1,234.50", "2.345,50"],
            3,
            "row 2 '1,234.50' has a decimal point (1234.5), row 3 "
            "'2.345,50' a decimal comma (2345.5)",
        ),
        (
            ["900", "1.250"],
            3,
            "'1.250' reads as 1.25 with a decimal point or as 1250 with a decimal comma",
        ),
        (
            ["1.250", "1.250"],
            2,
            "'1.250' reads as 1.25 with a decimal point or as 1250 with a decimal comma",
        ),
    ],
)
def test_amounts_that_leave_the_format_open_are_refused(
    tmp_path: Path, cells: list[str], row: int, readings: str
) -> None:
    path = tmp_path / "export.csv"
    lines = [
        f'D{i},Deal {i},Ann Lee,Prospecting,"{c}",12/15/2026,10/1/2026' for i, c in enumerate(cells)
    ]
    path.write_text(
        "Opportunity ID,Opportunity Name,Opportunity Owner,Stage,Amount,"
        "Close Date,Created Date\n" + "\n".join(lines) + "\n",
        encoding="utf-8",
    )
    with pytest.raises(ColumnMapError) as refused:
        read_export(path, week="2026-W47")
    assert refused.value.row == row and refused.value.column == "Amount"
    assert readings in str(refused.value)
    assert "'decimal: \",\"'" in str(refused.value)


def test_a_plain_comma_grouped_amount_alone_is_read_the_map_s_way(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "Opportunity ID,Opportunity Name,Opportunity Owner,Stage,Amount,Close Date,"
        'Created Date\nD1,Deal 1,Ann Lee,Prospecting,"5,000",12/15/2026,10/1/2026\n',
        encoding="utf-8",
    )
    result = read_export(path, week="2026-W47")
    assert result.snapshot["amount"].tolist() == [5000.0]
    assert not any("decimal" in n for n in result.report.notes)


def test_spreadsheet_numbers_stay_numbers_beside_decimal_comma_text(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(
        [
            "Opportunity ID",
            "Opportunity Name",
            "Opportunity Owner",
            "Stage",
            "Amount",
            "Close Date",
            "Created Date",
        ]
    )
    sheet.append(["D1", "Deal 1", "Ann Lee", "Prospecting", 12000.5, "12/15/2026", "10/1/2026"])
    sheet.append(["D2", "Deal 2", "Ann Lee", "Prospecting", "55.000,50", "12/15/2026", "10/1/2026"])
    sheet.append(["D3", "Deal 3", "Ann Lee", "Prospecting", "12.500", "12/15/2026", "10/1/2026"])
    path = tmp_path / "export.xlsx"
    book.save(path)
    result = read_export(path, week="2026-W47")
    assert result.ok, result.report.summary()
    assert result.snapshot["amount"].tolist() == [12000.5, 55000.5, 12500.0]
    assert any("decimal comma" in n for n in result.report.notes)


@pytest.mark.parametrize(
    ("cells", "decimal", "both"),
    [
        (["55.000,50"], ",", None),
        (["55,000.50"], ".", None),
        (["1.234.567"], ",", None),
        (["1,234,567"], ".", None),
        (["12,5"], ",", None),
        (["12.5"], ".", None),
        (["1234.567"], ".", None),
        (["1234,567"], ",", None),
        (["EUR 1.234,50"], ",", None),
        (["(1.234,50)"], ",", None),
        (["1.5万元"], ".", None),
        (["¥1,200,000.00"], ".", None),
        (["12.500"], None, (2, "12.500")),
        (["12,500"], None, None),
        (["900", "120万"], None, None),
        (["12.500", "55.000,50"], ",", (2, "12.500")),
        (["TBD", "12000"], None, None),
    ],
)
def test_how_each_amount_cell_shows_its_format(
    cells: list[str], decimal: str | None, both: tuple[int, str] | None
) -> None:
    from pipereview.ingest._formatguess import amount_format

    found = amount_format(pd.Series(cells, index=range(2, 2 + len(cells)), dtype=object))
    assert (found.decimal, found.both) == (decimal, both)


@pytest.mark.parametrize("dtype", ["int64", "float64"])  # as the CSV reader gives them
@pytest.mark.parametrize(("amounts", "read_again"), [([1000, 25000], False), ([999, 25000], True)])
def test_only_whole_amounts_under_1000_may_hide_a_12_500_and_are_read_again(
    tmp_path: Path, amounts: list[int], read_again: bool, dtype: str
) -> None:
    # 12.500 is under 1000 when the reader takes the point for a decimal point: an amount
    # of 1000 or more cannot have been written that way, even beside a probability 0.250
    # (which ends in a point and three digits), so the rows are not read again
    from pipereview.ingest._columnmaps import load_column_map
    from pipereview.ingest._formatguess import settle_decimal

    path = tmp_path / "export.csv"
    path.write_text(
        "Opportunity ID,Amount,Probability (%)\n"
        + "".join(f"D{i},{a},0.250\n" for i, a in enumerate(amounts)),
        encoding="utf-8",
    )
    cmap = load_column_map("salesforce_report")
    raw = pd.DataFrame(
        {"Opportunity ID": ["D0", "D1"], "Amount": amounts, "Probability (%)": [0.25, 0.25]},
        index=[2, 3],
    ).astype({"Amount": dtype})
    as_text = raw.astype({"Amount": "str"})
    reads: list[int] = []

    def reread() -> pd.DataFrame:
        reads.append(1)
        return as_text

    got_map, rows, notes = settle_decimal(
        cmap, raw, "Amount", file=path, csv=(path, ",", "utf-8"), reread=reread
    )
    assert (got_map, notes, len(reads)) == (cmap, (), 1 if read_again else 0)
    assert rows is (as_text if read_again else raw)


def test_stage_names_two_models_know_choose_neither() -> None:
    from pipereview.core._stages import load_stage_model
    from pipereview.ingest._columnmaps import load_column_map
    from pipereview.ingest._formatguess import choose_stage_model, stage_models_knowing

    names = pd.Series(["Needs Analysis", "Negotiation", "Proposal", None])
    assert stage_models_knowing(["Needs Analysis", "Negotiation", "Proposal"]) == [
        "generic_4",
        "salesforce",
    ]
    model, notes = choose_stage_model(
        names, load_stage_model("hubspot"), load_column_map("hubspot")
    )
    assert (model.name, notes) == ("hubspot", ())
    model, notes = choose_stage_model(
        pd.Series(["初步接触", "需求确认"]),
        load_stage_model("industrial_b2b"),
        load_column_map("chinese_crm"),
    )
    assert model.name == "generic_4"
    assert notes[0].startswith("stage model generic_4 chosen from the stage values")
