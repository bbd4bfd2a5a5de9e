"""XLSX and Parquet exports read whole and safely.

- every real row of a sheet is read whatever its ``<dimension>`` tag declares (smaller,
  larger, absent), and :func:`sheet_last_row` counts them from the sheet XML on its own;
- formula cells without a saved value quarantine their row, naming the cell;
- workbooks beyond the read limits (unpacked size, compression ratio, rows, columns, cell
  size) are refused before they take memory, naming the limit and how to raise it;
- Parquet list/struct columns are refused by name; dates beyond pandas' range become
  row problems (read as text), dates within it, times and durations are read as they are;
  files beyond the row or column limit are refused before their rows are read.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from _budget import examples
from pipereview.core._errors import InputError, PipereviewError
from pipereview.ingest import ExportPeek, peek_parquet, read_parquet
from pipereview.ingest._export import load_snapshot, read_export
from pipereview.ingest._limits import ReadLimits
from pipereview.ingest._readers import peek_export
from pipereview.ingest._sheetxml import check_zip, scan_sheet
from pipereview.ingest._xlsx import sheet_last_row

WEEK = "2026-W47"
HEADER = [
    "Opportunity ID",
    "Opportunity Name",
    "Account Name",
    "Opportunity Owner",
    "Stage",
    "Amount",
    "Close Date",
    "Created Date",
]
ROOT = Path(__file__).resolve().parents[1]


def _deal(n: int, amount: int = 0, owner: str | None = None) -> list[object]:
    return [
        f"OPP-{n:05d}",
        f"Deal {n}",
        f"Account {n}",
        owner or f"Rep {n % 3}",
        "Needs Analysis",
        amount or 1000 * n,
        dt.datetime(2026, 12, 1),
        dt.datetime(2026, 9, 1),
    ]


def _rewrite_sheet(path: Path, change: Callable[[str], str]) -> None:
    """Rewrite the first sheet's XML as another program would have written it."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = change(parts[sheet].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def _dimension(ref: str | None) -> Callable[[str], str]:
    """A change that sets the <dimension> tag to ``ref`` (None: removes it)."""

    def change(xml: str) -> str:
        replacement = f'<dimension ref="{ref}" />' if ref else ""
        return re.sub(r"<dimension [^>]*/>", replacement, xml)

    return change


def _workbook(
    path: Path, rows: list[list[object]], *, titles: int = 0, merges: tuple[str, ...] = ()
) -> Path:
    book = Workbook()
    sheet = book.active
    for n in range(titles):
        sheet.append([f"Pipeline report, part {n + 1}"])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    for ref in merges:
        sheet.merge_cells(ref)
    book.save(path)
    return path


# --- the <dimension> tag and the independent row count -----------------------------------


@pytest.mark.parametrize("ref", ["A1:D5", "A1:B2", "A1", "A1:Z5000", None])
def test_every_row_is_read_whatever_the_dimension_tag_says(tmp_path: Path, ref: str | None) -> None:
    path = _workbook(tmp_path / "deals.xlsx", [_deal(n) for n in range(1, 11)])
    _rewrite_sheet(path, _dimension(ref))

    result = read_export(path, week=WEEK)

    assert result.report.rows_read == 10
    assert result.report.rows_kept == 10
    assert result.snapshot["deal_id"].tolist() == [f"OPP-{n:05d}" for n in range(1, 11)]
    assert result.snapshot["amount"].tolist() == [1000.0 * n for n in range(1, 11)]
    assert result.snapshot["created_date"].notna().all()  # column H, beyond A1:D5
    assert sheet_last_row(path, None) == 11


def test_sheet_last_row_counts_from_the_xml(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "deals.xlsx", [_deal(1), [], _deal(3)])
    # styled empty rows after the data, a cell holding only spaces, rows without numbers
    _rewrite_sheet(
        path,
        lambda xml: xml.replace(
            "</sheetData>",
            '<row r="20"><c r="B20" t="inlineStr"><is><t>   </t></is></c></row>'
            '<row r="30" s="1" customFormat="1"/></sheetData>',
        ),
    )
    assert sheet_last_row(path, None) == 4
    assert sheet_last_row(path, "Sheet") == 4

    unnumbered = _workbook(tmp_path / "plain.xlsx", [_deal(1), _deal(2)])
    _rewrite_sheet(unnumbered, lambda xml: re.sub(r' r="[A-Z]*[0-9]+"', "", xml))
    assert sheet_last_row(unnumbered, None) == 3
    result = read_export(unnumbered, week=WEEK)
    assert result.snapshot["deal_id"].tolist() == ["OPP-00001", "OPP-00002"]


def test_sheet_last_row_ignores_blank_shared_strings(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "deals.xlsx", [_deal(1)])
    # a shared strings table whose second string is blank, used on row 9
    strings = (
        '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/'
        'spreadsheetml/2006/main" count="2" uniqueCount="2"><si><t>x</t></si>'
        '<si><t xml:space="preserve">  </t></si></sst>'
    )
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/sharedStrings.xml", strings)
    _rewrite_sheet(
        path,
        lambda xml: xml.replace(
            "</sheetData>",
            '<row r="7"><c r="A7" t="s"><v>0</v></c></row>'
            '<row r="9"><c r="A9" t="s"><v>1</v></c></row></sheetData>',
        ),
    )
    assert sheet_last_row(path, None) == 7


def test_rows_below_the_deals_holding_only_notes_or_formulas_are_accounted(tmp_path: Path) -> None:
    """A note beyond the header's columns below the last deal is not a lost row, and a
    last row holding only a formula without a saved value is rejected, not lost."""
    path = _workbook(tmp_path / "deals.xlsx", [_deal(1), _deal(2)])
    _rewrite_sheet(
        path,
        lambda xml: xml.replace(
            "</sheetData>",
            '<row r="6"><c r="K6" t="inlineStr"><is><t>checked by Dana</t></is>'
            '</c></row><row r="8"><c r="F8"><f>SUM(F2:F3)</f></c></row>'
            "</sheetData>",
        ),
    )
    assert sheet_last_row(path, None) == 8

    result = read_export(path, week=WEEK)

    assert result.snapshot["deal_id"].tolist() == ["OPP-00001", "OPP-00002"]
    assert [(p.row, p.column) for p in result.report.problems] == [(8, "Amount")]
    assert result.report.rows_read == (
        result.report.rows_kept + result.report.rows_rejected + result.report.rows_skipped
    )


@pytest.mark.parametrize(
    ("count", "rows"),
    [(1, "row 2"), (5, "rows 2, 3, 4, 5, 6"), (6, "rows 2, 3, 4, 5, 6 …")],
)
def test_a_header_cell_merged_over_a_column_of_values_names_its_first_five_rows(
    tmp_path: Path, count: int, rows: str
) -> None:
    # Amount merged over F1:G1; column G holds a currency in the first ``count`` deals
    path = tmp_path / "deals.xlsx"
    book = Workbook()
    sheet = book.active
    sheet.append([*HEADER[:6], None, *HEADER[6:]])
    for n in range(1, 8):
        deal = _deal(n)
        sheet.append([*deal[:6], "EUR" if n <= count else None, *deal[6:]])
    sheet.merge_cells("F1:G1")
    book.save(path)
    with pytest.raises(InputError) as refused:
        read_export(path, week=WEEK)
    hint = (
        "unmerge F1:G1 and give column G its own name (e.g. 'Currency' next to 'Amount'), "
        "or delete the column"
    )
    assert str(refused.value) == (
        f"{path}: the header cell 'Amount' is merged over F1:G1, so column G has no name of "
        f"its own, but it holds values ({rows}): expected one header cell per column\n"
        f"Hint: {hint}"
    )
    error = refused.value
    assert (error.file, error.row, error.column, error.expected, error.hint) == (
        str(path),
        1,
        "Amount",
        "one header cell per column",
        hint,
    )


@pytest.mark.slow
@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    amounts=st.lists(st.integers(1, 10_000_000), min_size=1, max_size=25),
    blanks=st.sets(st.integers(0, 24), max_size=4),
    titles=st.integers(0, 3),
    dimension=st.sampled_from(["smaller", "larger", "absent", "exact", "one cell"]),
    merged_owner=st.booleans(),
)
def test_generated_workbooks_store_every_deal_or_name_a_row(
    tmp_path_factory: pytest.TempPathFactory,
    amounts: list[int],
    blanks: set[int],
    titles: int,
    dimension: str,
    merged_owner: bool,
) -> None:
    """Any workbook of this shape stores every deal exactly, or is refused naming a row."""
    deals = [
        _deal(n, amount, owner="Dana Lee" if merged_owner else None)
        for n, amount in enumerate(amounts, start=1)
    ]
    rows: list[list[object]] = []
    for n, deal in enumerate(deals):
        if n in blanks:
            rows.append([])
        rows.append(deal)
    first = titles + 2  # first row below the header
    merges: tuple[str, ...] = ()
    if merged_owner and len(deals) > 1 and not blanks:
        for row in rows[1:]:
            row[3] = None
        merges = (f"D{first}:D{first + len(rows) - 1}",)
    path = _workbook(
        tmp_path_factory.mktemp("gen") / "deals.xlsx", rows, titles=titles, merges=merges
    )
    last = f"H{first + len(rows) - 1}"
    ref = {
        "smaller": "A1:C2",
        "larger": "A1:Z9999",
        "absent": None,
        "exact": f"A1:{last}",
        "one cell": "A1",
    }[dimension]
    _rewrite_sheet(path, _dimension(ref))

    try:
        result = read_export(path, week=WEEK)
    except PipereviewError as error:
        refusal = str(error)
    else:
        refusal = ""
    if refusal:
        assert re.search(r"row \d+|line \d+", refusal), refusal
        return
    stored = result.snapshot.sort_values("deal_id")
    assert stored["deal_id"].tolist() == [d[0] for d in deals]
    assert stored["amount"].tolist() == [float(a) for a in amounts]
    assert stored["owner"].tolist() == [d[3] or "Dana Lee" for d in deals]
    assert result.report.rows_kept == len(deals)
    assert sheet_last_row(path, None) == first + len(rows) - 1


# --- formulas without a saved value ------------------------------------------------------


def test_a_formula_without_a_saved_value_quarantines_its_row(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "deals.xlsx", [_deal(1), _deal(2), _deal(3)])
    book_path = path
    # the amount of row 3 (F3) and the created date of row 4 (H4) are formulas that the
    # writing program did not compute; a computed formula keeps its value (F2)
    _rewrite_sheet(
        book_path,
        lambda xml: re.sub(
            r'<c r="F3"([^>]*)>.*?</c>',
            r'<c r="F3"\1><f>F2*4</f><v /></c>',
            re.sub(
                r'<c r="H4"([^>]*)>.*?</c>',
                r'<c r="H4"\1><f>TODAY()</f></c>',
                re.sub(r'<c r="F2"([^>]*)>(.*?)</c>', r'<c r="F2"\1><f>500*2</f>\2</c>', xml),
            ),
        ),
    )

    result = read_export(path, week=WEEK)

    assert result.snapshot["deal_id"].tolist() == ["OPP-00001"]
    assert result.snapshot["amount"].tolist() == [1000.0]
    problems = {(p.row, p.column): p for p in result.report.problems}
    assert set(problems) == {(3, "Amount"), (4, "Created Date")}
    amount = problems[3, "Amount"]
    assert amount.got == "a formula in F3 without a saved value"
    assert amount.expected == "a value (the formula's result saved in the file)"
    assert "open and save the file in Excel or LibreOffice" in amount.hint
    assert "paste values" in amount.hint
    assert sorted(result.quarantine["row"].astype(int)) == [3, 4]
    assert scan_sheet(path, None).unsaved_formulas == ((3, 6, "F3"), (4, 8, "H4"))


def test_a_formula_whose_saved_result_is_empty_text_is_a_value(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "deals.xlsx", [_deal(1)])
    _rewrite_sheet(
        path,
        lambda xml: xml.replace(
            "</sheetData>",
            '<row r="3"><c r="I3" t="str"><f>IF(1,"","x")</f><v></v></c></row></sheetData>',
        ),
    )
    assert scan_sheet(path, None).unsaved_count == 0


def test_formulas_in_cells_without_references_are_named_by_counting_columns(
    tmp_path: Path,
) -> None:
    """A program that writes no ``r`` attributes leaves the scan to count rows and cells:
    the 1st, 26th, 28th, 53rd and 703rd cells of a row are A, Z, AB, BA and AAA."""
    path = _workbook(tmp_path / "deals.xlsx", [_deal(1)])

    def row(position: int) -> str:
        return "<row>" + "<c/>" * (position - 1) + "<c><f>1+1</f></c></row>"

    _rewrite_sheet(
        path,
        lambda xml: re.sub(r' r="[A-Z]*[0-9]+"', "", xml).replace(
            "</sheetData>", "".join(row(n) for n in (1, 26, 28, 53, 703)) + "</sheetData>"
        ),
    )
    scan = scan_sheet(path, None)
    assert scan.unsaved_formulas == (
        (3, 1, "A3"),
        (4, 26, "Z4"),
        (5, 28, "AB5"),
        (6, 53, "BA6"),
        (7, 703, "AAA7"),
    )
    assert (scan.unsaved_count, scan.last_row) == (5, 7)


def test_formulas_in_referenced_cells_past_z_keep_their_column_number(tmp_path: Path) -> None:
    """Cells named AA and AAB count columns in base 26: AA is the 27th, AAB the 704th."""
    path = _workbook(tmp_path / "deals.xlsx", [_deal(1)])
    cells = '<row r="3"><c r="AA3"><f>1+1</f></c><c r="AAB3"><f>2+2</f></c></row>'
    _rewrite_sheet(path, lambda xml: xml.replace("</sheetData>", cells + "</sheetData>"))
    assert scan_sheet(path, None).unsaved_formulas == ((3, 27, "AA3"), (3, 704, "AAB3"))


# --- limits for hostile files ------------------------------------------------------------


def _bomb(path: Path, unpacked: int) -> Path:
    """A workbook with one deal whose sheet XML is padded to ``unpacked`` bytes with
    identical rows (no row numbers), streamed so the test itself stays small."""
    book_path = _workbook(path, [_deal(1)])
    with zipfile.ZipFile(book_path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    xml = parts.pop("xl/worksheets/sheet1.xml").decode("utf-8")
    head, tail = xml.split("</sheetData>")
    row = (
        b'<row><c t="inlineStr"><is><t>x</t></is></c><c t="inlineStr"><is><t>y</t></is></c></row>'
    ) * 1000
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(head.encode())
            written = 0
            while written < unpacked:
                sheet.write(row)
                written += len(row)
            sheet.write(b"</sheetData>" + tail.encode())
    return path


@pytest.mark.slow
def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    path = _bomb(tmp_path / "bomb.xlsx", 64 << 20)
    assert path.stat().st_size < (64 << 20) / 200

    with pytest.raises(InputError) as caught:
        read_export(path, week=WEEK)

    message = str(caught.value)
    assert "bomb.xlsx" in message and "xl/worksheets/sheet1.xml" in message
    assert "max_xlsx_compression_ratio" in message and "limit of 200" in message
    assert "limits:" in caught.value.hint

    # a limit raised in the configuration lets the file through (its one deal stored)
    small = _bomb(tmp_path / "small.xlsx", 2 << 20)
    with pytest.raises(InputError, match="max_xlsx_compression_ratio"):
        read_export(small, week=WEEK)
    raised = ReadLimits(max_xlsx_compression_ratio=100_000)
    assert read_export(small, week=WEEK, limits=raised).snapshot["deal_id"].tolist() == [
        "OPP-00001"
    ]
    with pytest.raises(
        InputError,
        match=r"unpacks to 64\.\d MB of XML, more than the limit "
        r"of 32\.0 MB \(max_xlsx_uncompressed_bytes\)",
    ):
        check_zip(
            path,
            ReadLimits(max_xlsx_uncompressed_bytes=32 << 20, max_xlsx_compression_ratio=10_000),
        )


@pytest.mark.slow
def test_a_gigabyte_zip_bomb_takes_little_memory(tmp_path: Path) -> None:
    """1 GiB of sheet XML in about 1 MB: refused in well under a second and 200 MB."""
    path = _bomb(tmp_path / "bomb.xlsx", 1 << 30)
    # the peak is read from /proc (VmHWM: this program's own peak); getrusage's ru_maxrss
    # would include the memory of the process it was started from, since Linux carries
    # it across fork and exec (the test process itself, hundreds of MB inside the suite)
    script = (
        "import re, sys\n"
        "from pipereview.cli import app\n"
        "try:\n"
        '    app(["ingest", sys.argv[1], "--week", "2026-W47", "--store", sys.argv[2]])\n'
        "except SystemExit as exit:\n"
        "    code = exit.code\n"
        "status = open('/proc/self/status').read()\n"
        "peak = int(re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1)) // 1024\n"
        "print(f'{code} {peak}')\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(path), str(tmp_path / "store")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    code, peak_mb = run.stdout.split()[-2:]
    assert code == "1", run.stdout + run.stderr
    assert "max_xlsx_compression_ratio" in run.stderr
    assert int(peak_mb) < 400, f"peak {peak_mb} MB"


def test_rows_columns_and_cell_size_limits_name_the_place(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "deals.xlsx", [_deal(n) for n in range(1, 8)])
    with pytest.raises(
        InputError,
        match=r"more than 5 rows \(row 6 holds values\), beyond "
        r"the limit max_rows = 5",
    ) as caught:
        read_export(path, week=WEEK, limits=ReadLimits(max_rows=5))
    assert caught.value.row == 6 and "max_rows:" in caught.value.hint

    # 70,000 characters, 140,000 bytes in UTF-8 (more than Excel writes: written directly)
    path = _workbook(tmp_path / "long.xlsx", [_deal(1), _deal(2)])
    _rewrite_sheet(path, lambda xml: xml.replace("<t>Deal 2</t>", f"<t>{'é' * 70_000}</t>"))
    with pytest.raises(InputError) as caught:
        read_export(path, week=WEEK)
    assert caught.value.row == 3 and caught.value.column == "Opportunity Name"
    assert "the cell B3 holds 137 KB of text, beyond the limit max_cell_bytes" in str(caught.value)
    assert "max_cell_bytes: 140001" in caught.value.hint

    wide = Workbook()
    wide.active.append([*HEADER, *(f"Extra {n}" for n in range(3000))])
    wide.active.append(_deal(1))
    wide.save(tmp_path / "wide.xlsx")
    with pytest.raises(
        InputError,
        match=r"has 3008 columns, more than the limit of 2000 "
        r"\(max_columns\)",
    ):
        read_export(tmp_path / "wide.xlsx", week=WEEK)


def test_a_damaged_workbook_is_refused_as_unreadable(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "deals.xlsx", [_deal(1), _deal(2)])
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # a cut download

    with pytest.raises(InputError) as caught:
        read_export(path, week=WEEK)

    message = str(caught.value)
    assert message.startswith(f"{path} cannot be read as an Excel workbook (")
    assert message.split("\n")[0].endswith(
        "): expected a complete .xlsx workbook (expected an .xlsx workbook)"
    )
    assert caught.value.hint == (
        "the download may be incomplete: download it again, or open it in Excel or "
        "LibreOffice and save it again as .xlsx"
    )
    assert (caught.value.file, caught.value.row, caught.value.expected) == (
        str(path),
        None,
        "an .xlsx workbook",
    )


def test_a_cell_over_the_limit_in_a_column_without_a_name_is_named_by_its_letter(
    tmp_path: Path,
) -> None:
    book = Workbook()
    book.active.append([*HEADER, None, "Notes"])  # column I has no name
    book.active.append([*_deal(1), None, "ok"])
    book.active.append([*_deal(2), "x" * 600, "ok"])
    path = tmp_path / "deals.xlsx"
    book.save(path)

    with pytest.raises(InputError) as caught:
        read_export(path, week=WEEK, limits=ReadLimits(max_cell_bytes=500))

    assert str(caught.value) == (
        f"{path}, row 3, column 'I': the cell I3 holds 600 bytes of text, beyond the limit "
        "max_cell_bytes = 500 (500 bytes): expected at most 500 bytes per cell (expected "
        "at most 500 bytes per cell (max_cell_bytes))\n"
        "Hint: if the cell is real (a long note), raise the limit in the configuration "
        "file's limits: section (e.g. max_cell_bytes: 601); otherwise shorten the cell or "
        "leave the column out of the export"
    )
    assert (caught.value.file, caught.value.row, caught.value.column) == (str(path), 3, "I")
    assert caught.value.expected == "at most 500 bytes per cell (max_cell_bytes)"


def test_the_configured_limits_reach_the_cli_and_the_folder_ingest(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pipereview.cli import app
    from pipereview.config import load_config
    from pipereview.history._intake import ingest_folder

    config = tmp_path / "pipereview.yaml"
    config.write_text("limits:\n  max_rows: 5\n", encoding="utf-8")
    week = tmp_path / "exports" / WEEK
    week.mkdir(parents=True)
    path = _workbook(week / "deals.xlsx", [_deal(n) for n in range(1, 8)])

    result = CliRunner().invoke(
        app,
        [
            "--config",
            str(config),
            "ingest",
            str(path),
            "--week",
            WEEK,
            "--store",
            str(tmp_path / "store"),
        ],
    )
    assert result.exit_code == 1, result.output
    assert "beyond the limit max_rows = 5" in " ".join(result.output.split())

    with pytest.raises(InputError, match="max_rows = 5"):
        ingest_folder(
            tmp_path / "exports", store=tmp_path / "store", limits=load_config(config).limits
        )
    assert len(ingest_folder(tmp_path / "exports", store=tmp_path / "store")) == 1


def test_load_snapshot_reads_under_the_options_it_is_given(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "deals.xlsx", [_deal(n) for n in range(1, 8)])
    with pytest.raises(InputError, match=r"beyond the limit max_rows = 5"):
        load_snapshot(path, week=WEEK, limits=ReadLimits(max_rows=5))
    snapshot = load_snapshot(path, week=WEEK, limits=ReadLimits(max_rows=8))
    assert snapshot["deal_id"].tolist() == [f"OPP-{n:05d}" for n in range(1, 8)]


# --- Parquet -----------------------------------------------------------------------------


def _parquet(path: Path, **columns: pa.Array | list[object]) -> Path:
    base: dict[str, object] = {
        "Opportunity ID": ["OPP-1", "OPP-2", "OPP-3"],
        "Opportunity Name": ["A", "B", "C"],
        "Account Name": ["X", "Y", "Z"],
        "Opportunity Owner": ["Dana", "Dana", "Lee"],
        "Stage": ["Needs Analysis"] * 3,
        "Amount": [1000.0, 2000.0, 3000.0],
        "Close Date": [dt.date(2026, 12, 1)] * 3,
        "Created Date": [dt.date(2026, 9, 1)] * 3,
    }
    base.update(columns)
    pq.write_table(pa.table(base), path)
    return path


@pytest.mark.parametrize(
    ("column", "values", "shown"),
    [
        ("Amount", [[1000], [2000, 5], None], "list<"),
        ("Opportunity Owner", [{"name": "Dana"}, {"name": "Dana"}, {"name": "Lee"}], "struct<"),
        (
            "Stage",
            pa.array([[("a", 1)], [("b", 2)], [("c", 3)]], pa.map_(pa.string(), pa.int64())),
            "map<",
        ),
    ],
)
def test_a_nested_parquet_column_is_refused_by_name(
    tmp_path: Path, column: str, values: object, shown: str
) -> None:
    path = _parquet(tmp_path / "deals.parquet", **{column: values})
    with pytest.raises(InputError) as caught:
        read_export(path, week=WEEK)
    assert caught.value.column == column
    assert f"column {column!r} holds {shown}" in str(caught.value)
    assert "expected one value per deal" in str(caught.value)


def test_a_nested_column_no_map_reads_is_left_alone(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "deals.parquet", **{"Line Items": [[1], [2, 3], []]})
    result = read_export(path, week=WEEK)
    assert result.snapshot["deal_id"].tolist() == ["OPP-1", "OPP-2", "OPP-3"]


def test_parquet_dates_beyond_pandas_range_are_row_problems(tmp_path: Path) -> None:
    close = pa.array(
        [dt.datetime(2026, 12, 1), dt.datetime(9999, 12, 31), dt.datetime(2026, 12, 3)],
        pa.timestamp("us", tz="Asia/Shanghai"),
    )
    created = pa.array([dt.date(2026, 9, 1), dt.date(2026, 9, 1), dt.date(1600, 1, 1)], pa.date32())
    path = _parquet(tmp_path / "deals.parquet", **{"Close Date": close, "Created Date": created})

    result = read_export(path, week=WEEK)

    assert result.snapshot["deal_id"].tolist() == ["OPP-1"]
    # the wall-clock date in the column's own time zone, as for in-range timestamps
    assert str(result.snapshot["close_date"].iloc[0].date()) == "2026-12-01"
    problems = {(p.row, p.column): p.got for p in result.report.problems}
    assert set(problems) == {(3, "Close Date"), (4, "Created Date")}
    assert problems[4, "Created Date"] == "1600-01-01"
    assert problems[3, "Close Date"].startswith("9999-12-31")


def test_a_parquet_timestamp_past_year_9999_in_its_own_zone_is_a_row_problem(
    tmp_path: Path,
) -> None:
    # 9999-12-31 23:59:59 UTC is already 10000-01-01 in Shanghai; built from seconds since
    # 1970, so the value does not depend on how datetimes with a zone are converted
    seconds = [1_796_083_200, 253_402_300_799, 1_796_256_000]  # 2026-12-01, that, 2026-12-03
    close = pa.array(seconds, pa.timestamp("s", tz="Asia/Shanghai"))
    path = _parquet(tmp_path / "deals.parquet", **{"Close Date": close})

    result = read_export(path, week=WEEK)

    assert result.snapshot["deal_id"].tolist() == ["OPP-1", "OPP-3"]
    problems = {(p.row, p.column): p.got for p in result.report.problems}
    assert list(problems) == [(3, "Close Date")]
    assert problems[3, "Close Date"].startswith("10000-01-01")


def test_dictionary_encoded_parquet_columns_read_as_values(tmp_path: Path) -> None:
    stage = pa.array(["Needs Analysis", "Needs Analysis", "Closed Won"]).dictionary_encode()
    path = _parquet(tmp_path / "deals.parquet", Stage=stage)
    result = read_export(path, week=WEEK)
    assert result.snapshot["stage"].tolist() == ["needs_analysis", "needs_analysis", "won"]


def test_a_damaged_parquet_file_is_refused_as_unreadable(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "deals.parquet")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # a cut download

    with pytest.raises(InputError) as caught:
        read_export(path, week=WEEK)

    message = str(caught.value)
    assert message.startswith(f"{path} cannot be read as a Parquet file (")
    assert message.endswith(
        "): expected a complete Parquet file\n"
        "Hint: write or download the file again; it may be truncated"
    )
    assert caught.value.hint == "write or download the file again; it may be truncated"
    assert (caught.value.file, caught.value.row, caught.value.expected) == (
        str(path),
        None,
        "a Parquet file",
    )


def test_a_damaged_parquet_file_is_refused_with_pyarrows_reason(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "deals.parquet")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(InputError) as caught:
        read_export(path, week=WEEK)
    assert str(caught.value).startswith(
        f"{path} cannot be read as a Parquet file (Parquet magic bytes not found in footer."
    )


def test_a_parquet_file_damaged_after_its_peek_is_refused_when_read(tmp_path: Path) -> None:
    # the schema was read from the footer, then the file was cut (a download still running)
    path = _parquet(tmp_path / "deals.parquet")
    peek = peek_parquet(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    with pytest.raises(InputError) as caught:
        read_parquet(peek)

    message = str(caught.value)
    assert message.startswith(f"{path} cannot be read as a Parquet file (")
    assert "Parquet magic bytes not found in footer" in message
    assert message.endswith(
        "): expected a complete Parquet file\n"
        "Hint: write or download the file again; it may be truncated"
    )
    assert (caught.value.file, caught.value.expected) == (str(path), "a Parquet file")


def test_a_nested_parquet_column_is_refused_with_the_whole_message(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "deals.parquet", Amount=[[1000], [2000, 5], None])
    with pytest.raises(InputError) as caught:
        read_export(path, week=WEEK)
    assert str(caught.value) == (
        f"{path}: column 'Amount' holds list<element: int64> values (a list or a record per "
        "deal): expected one value per deal (a number, a text or a date)\n"
        "Hint: write the column as plain values (e.g. the total amount rather than the line "
        "items), or rename it so that no column map reads it"
    )
    assert (caught.value.file, caught.value.row, caught.value.column, caught.value.expected) == (
        str(path),
        None,
        "Amount",
        "one value per deal",
    )


def test_peek_parquet_returns_the_header_and_the_limits_it_was_given(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "deals.parquet")
    limits = ReadLimits(max_columns=8, max_rows=4)  # 8 columns; 3 rows and the header
    assert peek_parquet(path, limits=limits) == ExportPeek(
        path,
        "parquet",
        (
            "Opportunity ID",
            "Opportunity Name",
            "Account Name",
            "Opportunity Owner",
            "Stage",
            "Amount",
            "Close Date",
            "Created Date",
        ),
        1,
        limits=limits,
    )


@pytest.mark.parametrize(
    ("limits", "found", "name", "limit"),
    [
        (ReadLimits(max_columns=7), 8, "max_columns", 7),
        (ReadLimits(max_rows=3), 4, "max_rows", 3),  # 3 deals and the header
    ],
)
def test_a_parquet_file_beyond_a_limit_is_refused_naming_it(
    tmp_path: Path, limits: ReadLimits, found: int, name: str, limit: int
) -> None:
    path = _parquet(tmp_path / "deals.parquet")
    what = name.removeprefix("max_")
    with pytest.raises(InputError) as caught:
        read_export(path, week=WEEK, limits=limits)
    assert str(caught.value) == (
        f"{path}: {found} {what}, more than the limit of {limit} ({name}): expected at most "
        f"{limit} (expected at most {limit} {what})\n"
        f"Hint: raise the limit in the configuration file's limits: section (e.g. {name}: "
        f"{found}) if the file is a real export"
    )
    assert (caught.value.file, caught.value.expected, caught.value.hint) == (
        str(path),
        f"at most {limit} {what}",
        f"raise the limit in the configuration file's limits: section (e.g. {name}: {found}) "
        "if the file is a real export",
    )


def test_read_parquet_keeps_dates_in_pandas_range_and_gives_the_rest_as_text(
    tmp_path: Path,
) -> None:
    table = pa.table(
        {
            "Opportunity ID": ["OPP-1", "OPP-2"],
            # pandas holds 1677-09-21 .. 2262-04-11; whole years 1678 .. 2261 are kept
            "Close Date": pa.array([dt.date(1678, 1, 1), dt.date(2261, 12, 31)], pa.date32()),
            "Created Date": pa.array([dt.date(1677, 12, 31), dt.date(2026, 1, 2)], pa.date32()),
            "Renewal Date": pa.array([dt.date(2026, 1, 2), dt.date(2262, 1, 1)], pa.date32()),
            # stored in UTC; beyond the range: the wall-clock time in the column's own
            # zone (UTC+8), as text to the millisecond
            "Last Activity": pa.array(
                [dt.datetime(2026, 12, 1, 9, 30), dt.datetime(9999, 12, 31, 0, 0, 1, 500_000)],
                pa.timestamp("ms", tz="Asia/Shanghai"),
            ),
            "Signed Date": pa.array([None, None], pa.date32()),
            "Call Time": pa.array([dt.time(9, 30), dt.time(17, 0)], pa.time64("us")),
            "Cycle": pa.array([dt.timedelta(days=3), None], pa.duration("s")),
        }
    )
    path = tmp_path / "deals.parquet"
    pq.write_table(table, path)

    frame = read_parquet(peek_parquet(path))

    expected = pd.DataFrame(
        {
            "Opportunity ID": pd.Series(["OPP-1", "OPP-2"], dtype="str"),
            "Close Date": pd.Series([dt.date(1678, 1, 1), dt.date(2261, 12, 31)], dtype=object),
            "Created Date": pd.Series(["1677-12-31", "2026-01-02"], dtype="str"),
            "Renewal Date": pd.Series(["2026-01-02", "2262-01-01"], dtype="str"),
            "Last Activity": pd.Series(
                ["2026-12-01 17:30:00.000", "9999-12-31 08:00:01.500"], dtype="str"
            ),
            "Signed Date": pd.Series([None, None], dtype=object),
            "Call Time": pd.Series([dt.time(9, 30), dt.time(17, 0)], dtype=object),
            "Cycle": pd.Series([pd.Timedelta(days=3), pd.NaT], dtype="timedelta64[s]"),
        }
    )
    pd.testing.assert_frame_equal(frame, expected)


# --- which sheet is read, said -------------------------------------------------------------


def test_the_first_of_several_sheets_is_read_and_said(tmp_path: Path) -> None:
    book = Workbook()
    deals = book.active
    deals.title = "Deals"
    deals.append(HEADER)
    deals.append(_deal(1))
    book.create_sheet("Notes").append(["checked by Ann"])
    book.save(tmp_path / "two.xlsx")
    assert peek_export(tmp_path / "two.xlsx").repairs == ("read the first sheet 'Deals' of 2",)


def test_a_workbook_of_empty_sheets_is_refused_saying_what_was_expected(tmp_path: Path) -> None:
    book = Workbook()
    book.active.title = "Empty"
    book.save(tmp_path / "empty.xlsx")
    with pytest.raises(InputError) as refused:
        peek_export(tmp_path / "empty.xlsx")
    assert refused.value.expected == "a header and deal rows"
    assert str(refused.value).startswith(
        f"{tmp_path / 'empty.xlsx'} has no data: its sheet(s) 'Empty' are empty"
    )


def test_a_web_page_saved_without_a_suffix_is_named_so(tmp_path: Path) -> None:
    path = tmp_path / "report"
    path.write_bytes(b"<html><body>Sign in</body></html>")
    with pytest.raises(InputError) as refused:
        peek_export(path)
    assert str(refused.value).startswith(
        f"{path} is a web page (HTML/XML), not a spreadsheet, although its name says "
        "nothing: expected "
    )
