"""Row accounting: no deal of a CSV export is ever lost silently.

The acceptance property: for any messy export (stray and doubled quotes, line breaks in
cells, U+2028/U+2029/\\x1c/form feeds, BOMs, mixed line ends, titles, blank lines, footers)
``read_export`` EITHER stores every deal exactly, OR refuses the file with a message naming
a line, OR rejects rows with a problem naming each (the CLI then refuses the file); and an
accepted file's rows read = kept + rejected + skipped = the records of the file. A Parquet
file's rows read must match the row count of its metadata.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from _budget import examples
from pipereview.core._errors import EncodingError, InputError, PipereviewError
from pipereview.ingest._csvscan import scan_csv
from pipereview.ingest._csvtext import split_lines, split_record
from pipereview.ingest._export import read_export
from pipereview.ingest._limits import ReadLimits
from pipereview.ingest._parsing import clean_text

WEEK = "2026-W47"
HEADER = [
    "ID",
    "Opportunity",
    "Customer",
    "Salesperson",
    "Sales Team",
    "Stage",
    "Expected Revenue",
    "Currency",
    "Expected Closing",
    "Created on",
    "Next Activity Summary",
]
LINE = re.compile(r"\bline \d+")


def _row(deal: int, name: str, amount: int, note: str = "Call back") -> list[str]:
    return [
        f"D{deal}",
        name,
        f"Customer {deal}",
        "Ann Lee",
        "Europe",
        "Qualified",
        str(amount),
        "EUR",
        "2026-12-15",
        "2026-11-02",
        note,
    ]


def _csv_line(cells: list[str], proper: bool = True) -> str:
    """Cells joined as a careful CSV writer would (``proper``) or as written, raw."""
    if not proper:
        return ",".join(cells)
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()


def _write(
    tmp_path: Path,
    lines: list[str],
    end: str = "\n",
    name: str = "export.csv",
    encoding: str = "utf-8",
) -> Path:
    path = tmp_path / name
    path.write_bytes("".join(line + end for line in lines).encode(encoding))
    return path


def _good(count: int = 4) -> list[str]:
    return [_csv_line(HEADER)] + [
        _csv_line(_row(i, f"Deal {i}", 1000 * i)) for i in range(1, count + 1)
    ]


# --- the property --------------------------------------------------------------------------

_PIECES = [
    "a",
    "b",
    "Z",
    "é",
    "张",
    " ",
    "-",
    "&",
    "'",
    '"',
    '""',
    ",",
    "\n",
    "\r\n",
    "\u2028",
    "\u2029",
    "\x1c",
    "\x0c",
    "\x0b",
    "\x85",
]
_TITLE_PIECES = [
    "Pipeline",
    " ",
    "Q4",
    "—",
    "\u2028",
    "\u2029",
    "\x1c",
    "\x1d",
    "\x1e",
    "\x0c",
    "\x0b",
    "\x85",
    '"',
    "2026",
]
_ENDS = ["\n", "\r\n", "\r"]


@st.composite
def messy_exports(draw: st.DrawFn) -> tuple[bytes, list[tuple[str, str, int]]]:
    """An export's bytes and its deals as (ID, name, amount)."""
    count = draw(st.integers(1, 6))
    deals, lines = [], []
    titles = draw(
        st.lists(
            st.lists(st.sampled_from(_TITLE_PIECES), min_size=1, max_size=6).map("".join),
            max_size=2,
        )
    )
    for title in titles:
        lines.append(title if draw(st.booleans()) else "Pipeline " + title)
    lines.append(_csv_line(HEADER))
    for deal in range(1, count + 1):
        prefix = draw(st.sampled_from(["Deal ", "Deal ", '"', '""', "'"]))
        name = prefix + draw(st.lists(st.sampled_from(_PIECES), max_size=6).map("".join))
        name = name if name.strip() else "Deal"
        amount = draw(st.integers(0, 10**7))
        note = draw(
            st.sampled_from(
                [
                    "Call back",
                    "Call back\nthen send the quote",
                    'Say "yes"',
                    "Line\u2028sep",
                    "Tab\x1cbar",
                ]
            )
        )
        proper = draw(st.sampled_from([True, True, False]))
        lines.append(_csv_line(_row(deal, name, amount, note), proper))
        quoted = re.fullmatch(r'"((?:[^"]|"")*)"\s*', name)
        if not proper and quoted:
            # written raw, the name is itself a quoted CSV field (spaces may follow the
            # closing quote): """"  is one quote by the CSV rules, "a"  is a
            name = quoted.group(1).replace('""', '"')
        deals.append((f"D{deal}", name, amount))
        if draw(st.integers(0, 5)) == 0:
            lines.append("")
    if draw(st.booleans()):
        lines.append(f"Total,,,,,,{sum(d[2] for d in deals)},,,,")
    text = "".join(line + draw(st.sampled_from(_ENDS)) for line in lines)
    if not draw(st.integers(0, 4)):
        text = text.rstrip("\r\n")  # no line end after the last line
    bom = codecs.BOM_UTF8 if draw(st.booleans()) else b""
    return bom + text.encode("utf-8"), deals


def _expected_name(name: str) -> str:
    cleaned, _ = clean_text(pd.Series([name], dtype="str"))
    return str(cleaned.iloc[0]).strip()


# derandomized: the same files every run, so a CI run checks what the last run checked;
# widen the search by changing max_examples locally
_SETTINGS = {
    "deadline": None,
    "derandomize": True,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}


@settings(max_examples=examples(40), **_SETTINGS)  # type: ignore[arg-type]
@given(messy_exports())
# found by the larger run: the only deal row has an unquoted comma in its name, one field
# more than the header (the CSV reader only warned and cut it)
@example(
    (
        b"ID,Opportunity,Customer,Salesperson,Sales Team,Stage,Expected Revenue,Currency,"
        b"Expected Closing,Created on,Next Activity Summary\nD1,Deal ,,Customer 1,Ann Lee,"
        b"Europe,Qualified,0,EUR,2026-12-15,2026-11-02,Call back",
        [("D1", "Deal ,", 0)],
    )
)
@example(
    (
        b"ID,Opportunity,Customer,Salesperson,Sales Team,Stage,Expected Revenue,Currency,"
        b'Expected Closing,Created on,Next Activity Summary\nD1,"""",Customer 1,Ann Lee,'
        b"Europe,Qualified,0,EUR,2026-12-15,2026-11-02,Call back",
        [("D1", '"', 0)],
    )
)
# a line break without quotes cuts D3 in two, and the second half reads as a deal "a"
@example(
    (
        b"ID,Opportunity,Customer,Salesperson,Sales Team,Stage,Expected Revenue,Currency,"
        b"Expected Closing,Created on,Next Activity Summary\nD1,Deal ,Customer 1,Ann Lee,"
        b"Europe,Qualified,0,EUR,2026-12-15,2026-11-02,Call back\nD3,Deal \na,a,Customer 3,"
        b"Ann Lee,Europe,Qualified,0,EUR,2026-12-15,2026-11-02,Call back",
        [("D1", "Deal ", 0), ("D3", "Deal \na,a", 0)],
    )
)
def test_every_deal_is_stored_exactly_or_the_file_is_refused_naming_a_line(
    tmp_path_factory: pytest.TempPathFactory, export: tuple[bytes, list[tuple[str, str, int]]]
) -> None:
    _check_messy_export(tmp_path_factory, export)


@pytest.mark.slow
@settings(max_examples=examples(150), **_SETTINGS)  # type: ignore[arg-type]
@given(messy_exports())
def test_every_deal_is_stored_exactly_or_refused_many_files(
    tmp_path_factory: pytest.TempPathFactory, export: tuple[bytes, list[tuple[str, str, int]]]
) -> None:
    _check_messy_export(tmp_path_factory, export)


def _check_messy_export(
    tmp_path_factory: pytest.TempPathFactory, export: tuple[bytes, list[tuple[str, str, int]]]
) -> None:
    data, deals = export
    path = tmp_path_factory.mktemp("messy") / "export.csv"
    path.write_bytes(data)
    try:
        result = read_export(path, week=WEEK, column_map="odoo")
    except PipereviewError as refused:
        message = str(refused)
        assert LINE.search(message) or re.search(r"\brows? \d+", message), message
        return
    report = result.report
    assert report.rows_read == report.rows_kept + report.rows_rejected + report.rows_skipped
    # a third count, by the csv module, of the records of the accepted file
    text = data.decode("utf-8-sig")
    assert report.rows_read + 1 == sum(1 for _ in csv.reader(io.StringIO(text, newline="")))
    stored = {row.deal_id: (row.deal_name, row.amount) for row in result.snapshot.itertuples()}
    rejected = set(
        result.quarantine.loc[
            ~result.quarantine["reason"].str.contains(
                "blank row|footer|above the header", regex=True
            ),
            "row",
        ].astype(int)
    )
    for problem in report.problems:
        assert problem.row is not None
    if not rejected:
        assert stored == {i: (_expected_name(n), float(a)) for i, n, a in deals}, report.summary()
    else:  # rows rejected, each named (the CLI refuses the file); the rest stored exactly.
        # Known gap: the tail of a row cut by an unquoted line break can read as a deal
        # without an ID (stored only with --keep-going, with the "no ID" warning).
        for deal_id, (name, amount) in stored.items():
            if pd.isna(deal_id):
                assert any("no ID" in w for w in report.warnings), report.summary()
                continue
            match = [(n, a) for i, n, a in deals if i == deal_id]
            assert match and (_expected_name(match[0][0]), float(match[0][1])) == (name, amount), (
                deal_id,
                name,
                amount,
                report.summary(),
            )


# --- stray quotes ----------------------------------------------------------------------------


def test_a_quote_that_never_closes_is_refused_naming_its_line(tmp_path: Path) -> None:
    lines = _good()
    lines[2] = lines[2].replace("Deal 2", '"Big deal')
    path = _write(tmp_path, lines)
    with pytest.raises(InputError) as refused:
        read_export(path, week=WEEK)
    hint = (
        "a double quote at the start of a cell opens a quoted cell that runs to the next "
        "quote: if the quote belongs to the text, put the whole cell in double quotes and "
        'double the quote inside it ("" ), or remove the quote; then save the file again '
        "(spreadsheet programs and CRMs do this when they save CSV)"
    )
    assert str(refused.value) == (
        f"{path}: line 3, column 'Opportunity': the cell '\"Big deal,Customer 2,Ann Lee,Europe,"
        "Qualified,200…' opens a double quote that is never closed, so the CSV reader would "
        "read the rest of the file (2 more line(s)) as part of that one cell and lose the "
        "deals on them: expected every quoted cell to end with a double quote (expected a "
        f"closing double quote)\nHint: {hint}"
    )
    error = refused.value
    assert (error.file, error.row, error.column, error.expected, error.hint) == (
        str(path),
        3,
        "Opportunity",
        "a closing double quote",
        hint,
    )


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_a_quote_closing_lines_later_is_refused_not_folded(tmp_path: Path, end: str) -> None:
    lines = _good(5)
    lines[1] = lines[1].replace("Deal 1", '"Big deal')
    lines[3] = lines[3].replace("Deal 3", 'Deal 3"')
    with pytest.raises(InputError) as refused:
        read_export(_write(tmp_path, lines, end), week=WEEK)
    message = str(refused.value)
    assert "line 2, column 'Opportunity'" in message
    assert "closes only on line 4" in message and "lines 2-4" in message
    assert "2 of the lines inside the quotes hold a whole row of 11 fields" in message


def test_a_quote_closing_before_the_cell_ends_is_refused(tmp_path: Path) -> None:
    lines = _good()
    lines[4] = lines[4].replace("Deal 4", '"Big" deal')
    with pytest.raises(
        InputError,
        match=r"line 5, column 'Opportunity': the cell "
        r"'\"Big\" deal' opens a double quote and closes it before",
    ):
        read_export(_write(tmp_path, lines), week=WEEK)


@pytest.mark.parametrize("column", [1, 10])
def test_a_quoted_note_with_line_breaks_is_kept(tmp_path: Path, column: int) -> None:
    header = ["Next Activity Summary", *HEADER[:-1]] if column == 1 else HEADER
    rows = []
    for i in range(1, 4):
        cells = _row(i, f"Deal {i}", 100 * i, note=f"Call the CFO\nthen send, the quote {i}")
        rows.append(_csv_line([cells[-1], *cells[:-1]] if column == 1 else cells))
    result = read_export(_write(tmp_path, [_csv_line(header), *rows]), week=WEEK)
    assert result.snapshot["deal_id"].tolist() == ["D1", "D2", "D3"]
    assert result.snapshot["amount"].tolist() == [100.0, 200.0, 300.0]
    assert (result.report.rows_read, result.report.rows_kept) == (3, 3)


def test_quotes_inside_a_cell_are_text(tmp_path: Path) -> None:
    lines = _good(2)
    lines[1] = lines[1].replace("Deal 1", 'Monitor 27" screens')
    lines[2] = lines[2].replace("Deal 2", '"Big ""quoted"" deal"')
    result = read_export(_write(tmp_path, lines), week=WEEK)
    assert result.snapshot["deal_name"].tolist() == ['Monitor 27" screens', 'Big "quoted" deal']


@pytest.mark.parametrize("tail", ["", "  "])
def test_a_quoted_last_cell_at_the_end_of_the_file_is_read(tmp_path: Path, tail: str) -> None:
    # a quote inside a cell as text, and the file's last cell quoted with no line end after
    # it (or only spaces): the quotes do not pair off, so the scan walks them one by one
    lines = _good(2)
    lines[1] = lines[1].replace("Deal 1", 'Monitor 27" screens')
    lines[2] = _csv_line(_row(2, "Deal 2", 2000, note="Call back, then quote"))
    path = tmp_path / "export.csv"
    path.write_bytes(("\n".join(lines) + tail).encode("utf-8"))
    result = read_export(path, week=WEEK)
    assert result.snapshot["deal_name"].tolist() == ['Monitor 27" screens', "Deal 2"]
    assert result.snapshot["amount"].tolist() == [1000.0, 2000.0]
    assert result.snapshot["next_step"].tolist() == ["Call back", "Call back, then quote"]
    assert (result.report.rows_read, result.report.rows_kept) == (2, 2)


# --- one rule for a line ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "separator", ["\u2028", "\u2029", "\x85", "\x0c", "\x0b", "\x1c", "\x1d", "\x1e"]
)
def test_a_title_with_an_odd_separator_does_not_move_the_header(
    tmp_path: Path, separator: str
) -> None:
    path = _write(tmp_path, [f"Pipeline{separator}report Q4", *_good(4)])
    result = read_export(path, week=WEEK)
    assert result.report.header_row == 2
    assert result.snapshot["deal_id"].tolist() == ["D1", "D2", "D3", "D4"]
    assert (result.report.rows_read, result.report.rows_skipped) == (5, 1)


def test_split_lines_cuts_only_where_the_csv_reader_does() -> None:
    text = "a\u2028b\x0cc\x1cd\x85e\r\nf\rg\nh"
    assert split_lines(text) == ["a\u2028b\x0cc\x1cd\x85e", "f", "g", "h"]
    # the lines Python's own reader cuts for the csv module (newline="")
    assert split_lines(text) == [line.rstrip("\r\n") for line in io.StringIO(text, newline="")]
    assert split_record('1,"a\nb",c', ",") == ["1", "a\nb", "c"]
    # a record's own line end is no part of its last cell; a quoted line break is
    assert split_record("1,a,c\r\n", ",") == ["1", "a", "c"]
    assert split_record('1,"a\r\n"\n', ",") == ["1", "a\r\n"]


# --- limits ---------------------------------------------------------------------------------


def test_a_cell_over_the_limit_is_refused_with_line_column_and_size(tmp_path: Path) -> None:
    lines = _good(40)
    lines[35] = lines[35].replace("Deal 35", "x" * 200_000)
    with pytest.raises(InputError) as refused:
        read_export(_write(tmp_path, lines), week=WEEK)
    assert (
        "line 36, column 'Opportunity': the cell holds 195 KB (200,000 bytes), more "
        "than the limit of 128 KB" in str(refused.value)
    )
    assert "max_cell_bytes" in refused.value.hint
    raised = read_export(
        _write(tmp_path, lines), week=WEEK, limits=ReadLimits(max_cell_bytes=300_000)
    )
    assert raised.report.rows_kept == 40
    assert len(raised.snapshot.loc[34, "deal_name"]) == 200_000


def test_a_header_of_200000_columns_is_refused(tmp_path: Path) -> None:
    wide = HEADER + [f"Extra {i}" for i in range(200_000)]
    path = _write(tmp_path, [",".join(wide), *_good()[1:]])
    with pytest.raises(
        InputError,
        match=r"line 1 holds 200,011 columns \(2\.\d MB\), more "
        r"than the limit of 2,000 columns",
    ):
        read_export(path, week=WEEK)


def test_a_giant_title_line_is_named_with_its_size(tmp_path: Path) -> None:
    path = _write(tmp_path, ["T" * 1_800_000, *_good()])
    with pytest.raises(
        InputError,
        match=r"line 1 is 1\.7 MB long \(1,800,000 bytes\) before "
        r"its line end, more than the limit of 256 KB",
    ):
        read_export(path, week=WEEK)


def test_more_rows_than_the_limit_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, _good(20))
    with pytest.raises(InputError, match=r"holds 21 rows, more than the limit of 10"):
        read_export(path, week=WEEK, limits=ReadLimits(max_rows=10))


# --- encodings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoding", ["utf-16-le", "utf-16-be", "utf-16", "utf-32", "utf-32-le", "utf-32-be"]
)
def test_utf16_and_utf32_are_read(tmp_path: Path, encoding: str) -> None:
    lines = _good(3)
    lines[2] = lines[2].replace("Deal 2", "张赟的项目")
    result = read_export(_write(tmp_path, lines, "\r\n", encoding=encoding), week=WEEK)
    assert result.report.encoding == encoding
    assert result.snapshot["deal_name"].tolist() == ["Deal 1", "张赟的项目", "Deal 3"]


def test_broken_utf16_is_named(tmp_path: Path) -> None:
    data = "\n".join(_good(3)).encode("utf-16-le") + b"\x00\xd8\x41\x00" * 3
    path = tmp_path / "broken.csv"
    path.write_bytes(data)
    with pytest.raises(
        EncodingError,
        match=r"(?s)line \d+ is not UTF-16 text.*save it as 'CSV "
        r"UTF-8'",
    ):
        read_export(path, week=WEEK)


# --- the scan on its own --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "a,b\n1,2\n",
        "a,b\n1,2",
        "a,b\r\n1,2\r\n\r\n",
        "a,b\r1,2\r3,4",
        "a,b\n\n\n",
        'a,b\n"1\n2",3\n',
        'a,b\n5" x,2\n3,4\n',
        'a,b\n5" x,"2"',
        'a,b\n1,"x\ny"\n',  # the file's first quote at byte 6, its cell over two lines
        'a,b\n5" x,"2"  ',
        'a,b\n"x""y",2\n',
        'a,b\n"",""\n',
        "a,b\n1,2\n \n",
        "a,b\n1\x002,3\n",
        'a,b\n"1\r\n2",3\r\n4,5',
        "a\u2028b,c\n1,2\n",
    ],
)
def test_the_scan_counts_what_the_csv_module_reads(text: str) -> None:
    scan = scan_csv(
        text.encode("utf-8"),
        path=Path("x.csv"),
        delimiter=",",
        header=split_record(split_lines(text)[0], ","),
        header_row=1,
        limits=ReadLimits(),
    )
    assert scan.records == sum(1 for _ in csv.reader(io.StringIO(text, newline="")))


def test_the_scan_numbers_the_line_each_record_starts_on() -> None:
    # the second record's quoted cell holds a line break: the third starts on line 4
    text = 'a,b\n"1\n2",3\n4,5\n'
    scan = scan_csv(
        text.encode("utf-8"),
        path=Path("x.csv"),
        delimiter=",",
        header=("a", "b"),
        header_row=1,
        limits=ReadLimits(),
    )
    assert (scan.records, scan.lines) == (3, 4)
    assert (str(scan.record_lines.dtype), scan.record_lines.tolist()) == ("int64", [1, 2, 4])
    assert [scan.line_of(row) for row in (1, 2, 3, 4)] == [1, 2, 4, 5]


# --- each row of a one-row-per-record export counted once -------------------------------------


@pytest.mark.parametrize(
    ("used", "quarantined", "skipped", "odd"),
    [
        ({2, 3}, {4}, {5}, None),  # every row once
        ({2, 3}, {3, 4}, {5}, 3),  # used and quarantined
        ({2, 3}, {4}, {2, 5}, 2),  # used and skipped
        ({2}, {3, 4}, {4, 5}, 4),  # quarantined and skipped
        ({2, 3}, {4}, set(), 5),  # row 5 in none
        ({2, 3}, {4}, {5, 6}, 6),  # row 6 is no row of the file
    ],
)
def test_each_row_is_counted_once_as_used_quarantined_or_skipped(
    used: set[int], quarantined: set[int], skipped: set[int], odd: int | None
) -> None:
    from pipereview.ingest._rowcount import check_each_row_counted

    counts = {"used": used, "quarantined": quarantined, "skipped": skipped}
    if odd is None:
        check_each_row_counted("calls.csv", [2, 3, 4, 5], **counts)
        return
    with pytest.raises(InputError) as refused:
        check_each_row_counted("calls.csv", [2, 3, 4, 5], **counts)
    error = refused.value
    assert str(error) == (
        f"calls.csv: row {odd} is not counted once as used, quarantined or skipped: expected "
        "every row counted once (expected every row used, quarantined or skipped once)\n"
        "Hint: look at that row in a text editor for a stray quote or an odd character"
    )
    assert (error.file, error.row) == ("calls.csv", odd)


# --- where the reader and the count part ------------------------------------------------------
# The CSV reader and the scan agree on every file above (the property shows it), so no
# public call reaches the refusal when they do not: it is judged on frames as the reader
# would have returned them, one row lost or added.

_PARTING_HEADER = ("ID", "Name", "Amount", "Note")


def _read_as(deals: list[tuple[str, str | None, float, str | None]]) -> pd.DataFrame:
    """Rows as the CSV reader returns them: text columns as text (blank: missing), the
    amounts as numbers."""
    ids, names, amounts, notes = zip(*deals, strict=True) if deals else ((), (), (), ())
    return pd.DataFrame(
        {
            "ID": pd.Series(ids, dtype="str"),
            "Name": pd.Series(names, dtype="str"),
            "Amount": pd.Series(amounts, dtype="float64"),
            "Note": pd.Series(notes, dtype="str"),
        }
    )


def _parting(
    tmp_path: Path,
    text: str,
    header_row: int,
    deals: list[tuple[str, str | None, float, str | None]],
    rows_read: int,
    delimiter: str = ",",
) -> InputError:
    from pipereview.ingest._accounting import _check_csv
    from pipereview.ingest._peek import ExportPeek

    path = tmp_path / "export.csv"
    scan = scan_csv(
        text.encode("utf-8"),
        path=path,
        delimiter=delimiter,
        header=_PARTING_HEADER,
        header_row=header_row,
        limits=ReadLimits(),
    )
    peek = ExportPeek(path, "csv", _PARTING_HEADER, header_row, "utf-8", delimiter)
    with pytest.raises(InputError) as refused:
        _check_csv(peek, _read_as(deals), rows_read, scan)
    return refused.value


def test_a_row_the_reader_lost_is_named_with_its_line_and_text(tmp_path: Path) -> None:
    # a title above the header; D1's note holds a line break (so row 5 starts on line 6);
    # D2 has a blank name and no note at all (3 fields); the reader lost D3 (row 5)
    text = (
        "Pipeline Q4\n"
        "ID,Name,Amount,Note\n"
        'D1,Alpha,100,"Call\nback"\n'
        "D2,,200\n"
        "D3,Gamma,300,Send the quote to the CFO and call back Monday.\n"
        "D4,Delta,400,Visit\n"
        "D5,Epsilon,500,Renew\n"
        "D6,Zeta,600,Close\n"
    )
    read = [
        ("D1", "Alpha", 100.0, "Call\nback"),
        ("D2", None, 200.0, None),
        ("D4", "Delta", 400.0, "Visit"),
        ("D5", "Epsilon", 500.0, "Renew"),
        ("D6", "Zeta", 600.0, "Close"),
    ]
    refused = _parting(tmp_path, text, 2, read, rows_read=6)
    # the row is shown whole: 60 characters, the most shown without cutting
    assert str(refused) == (
        f"{tmp_path / 'export.csv'}: the CSV reader read 7 rows (the header included), but "
        "the file holds 8 counted from its line ends and quotes; the two part at line 6 "
        "(row 5), which reads 'D3,Gamma,300,Send the quote to the CFO and call back "
        "Monday.': expected every row of the file read once (expected 8 rows read)\n"
        "Hint: look at that line in a text editor for a stray double quote or an odd "
        "character; saving the file again as 'CSV UTF-8' from a spreadsheet program "
        "usually repairs it"
    )
    assert (refused.row, refused.file, refused.expected) == (
        5,
        str(tmp_path / "export.csv"),
        "8 rows read",
    )


def test_rows_the_reader_stopped_before_are_named_at_the_first(tmp_path: Path) -> None:
    # the reader returned D1 and D2 only; D3 (row 4) holds a line break in its note, shown
    # as two spaces, and reads 61 characters: cut to 59 and an ellipsis
    text = (
        "ID;Name;Amount;Note\n"
        "D1;Alpha;100;Call\n"
        "D2;Beta;200;Visit\n"
        'D3;Gamma;300;"Call the CFO\r\nthen send the quote and a contract"\n'
        "D4;Delta;400;Renew\n"
    )
    read = [("D1", "Alpha", 100.0, "Call"), ("D2", "Beta", 200.0, "Visit")]
    refused = _parting(tmp_path, text, 1, read, rows_read=2, delimiter=";")
    assert str(refused).split("\n")[0] == (
        f"{tmp_path / 'export.csv'}: the CSV reader read 3 rows (the header included), but "
        "the file holds 5 counted from its line ends and quotes; the two part at line 4 "
        "(row 4), which reads 'D3;Gamma;300;Call the CFO  then send the quote and a "
        "contra…': expected every row of the file read once (expected 5 rows read)"
    )
    assert (refused.row, refused.expected) == (4, "5 rows read")


def test_a_row_the_reader_made_up_is_named_past_the_last_line(tmp_path: Path) -> None:
    # the file holds two deals, the reader returned three: they part after the last row,
    # on the line after the file's last, and there is no row to show
    text = "ID,Name,Amount,Note\nD1,Alpha,100,Call\nD2,Beta,200,Visit\n"
    read = [
        ("D1", "Alpha", 100.0, "Call"),
        ("D2", "Beta", 200.0, "Visit"),
        ("D3", "Gamma", 300.0, "Renew"),
    ]
    refused = _parting(tmp_path, text, 1, read, rows_read=3)
    assert str(refused).split("\n")[0] == (
        f"{tmp_path / 'export.csv'}: the CSV reader read 4 rows (the header included), but "
        "the file holds 3 counted from its line ends and quotes; the two part at line 4 "
        "(row 4): expected every row of the file read once (expected 3 rows read)"
    )
    assert (refused.row, refused.expected) == (4, "3 rows read")


def test_a_parquet_file_whose_rows_read_differ_from_its_metadata_is_refused(
    tmp_path: Path,
) -> None:
    # the reader of a Parquet file returns every row the metadata counts, so no public
    # call reaches this refusal: it is judged on a frame with one row lost
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipereview.ingest._accounting import _check_parquet
    from pipereview.ingest._peek import ExportPeek

    path = tmp_path / "export.parquet"
    pq.write_table(pa.table({"ID": ["D1", "D2", "D3"], "Amount": [100.0, 200.0, 300.0]}), path)
    peek = ExportPeek(path, "parquet", ("ID", "Amount"), 1)
    # all three rows read: accepted
    _check_parquet(peek, pd.DataFrame({"ID": ["D1", "D2", "D3"], "Amount": [100.0, 200.0, 300.0]}))

    with pytest.raises(InputError) as refused:
        _check_parquet(peek, pd.DataFrame({"ID": ["D1", "D3"], "Amount": [100.0, 300.0]}))

    assert str(refused.value) == (
        f"{path}: the Parquet file's metadata says 3 rows, but 2 were read: expected every "
        "row read\n"
        "Hint: write or download the file again; it may be damaged"
    )
    assert (refused.value.file, refused.value.row, refused.value.expected) == (
        str(path),
        None,
        "3 rows",
    )
    assert refused.value.hint == "write or download the file again; it may be damaged"


def test_a_change_history_the_reader_reads_short_of_the_scan_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the scan counts 2 records below the header; a reader that lost one is caught
    from pipereview.ingest import _rowcount, read_change_history

    def short(*args: object, **kwargs: object) -> pd.DataFrame:
        return read_rows(*args, **kwargs).iloc[:-1]

    read_rows = _rowcount.read_rows
    monkeypatch.setattr(_rowcount, "read_rows", short)
    path = tmp_path / "history.csv"
    path.write_text(
        "deal_id,field,new_value,changed_at\nD-1,stage,A,2026-03-02\nD-1,stage,B,2026-03-03\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as refused:
        read_change_history(path)
    assert str(refused.value).startswith(
        f"{path}: 1 rows read below the header but the file holds 2: "
        "expected every row counted once"
    )
    assert (refused.value.expected, refused.value.hint) == (
        "every row counted once",
        "save the file again as 'CSV UTF-8' from a spreadsheet program",
    )
