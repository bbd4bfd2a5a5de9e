"""Reading a CSV export's first lines and rows: what is refused, and how the refusal reads.

The lines where the header is looked for are held to the read limits (a line's size, its
columns, one cell's size), the record scan refuses a cell over the limit, and rows with
more fields than the header are refused with each of them named. Every refusal names the
file, the line (row) and, where there is one, the column, and says how to fix it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipereview.core._errors import EncodingError, InputError
from pipereview.ingest import ExportPeek, ReadLimits, check_head, peek_export, read_rows, scan_csv

CELL_HINT = (
    "a cell that large is usually a file pasted into a field or a quote that never closes; "
    "remove it in the export, or raise 'max_cell_bytes' in the 'limits:' section of the "
    "configuration"
)
TITLE_HINT = (
    "remove that line (a title that long is not part of a CRM export; check that the file "
    "is the export), or raise 'max_title_line_bytes' in the 'limits:' section of the "
    "configuration"
)
COLUMNS_HINT = (
    "a CRM export has tens of columns: check that this is the report's export and remove "
    "the unneeded columns, or raise 'max_columns' in the 'limits:' section of the "
    "configuration"
)
LONG_ROWS_HINT = (
    "a field holds the delimiter without quotes (a name or next step with a comma, an "
    "amount such as 12,000 written without quotes); put such fields in double quotes or "
    "export the file again with quoting on"
)


# --- the first lines: check_head ---------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_a_cell_over_the_limit_among_the_first_lines_is_named_by_line_and_column(
    tmp_path: Path, delimiter: str
) -> None:
    path = tmp_path / "export.csv"
    lines = ["Q4", delimiter.join(["ID", "Name", "Notes"]), delimiter.join(["1", "A", "x" * 20])]
    with pytest.raises(InputError) as info:
        check_head(lines, path, ReadLimits(max_cell_bytes=10, max_title_line_bytes=1000))
    error = info.value
    assert str(error) == (
        f"{path}: line 3, column 3: the cell holds 20 bytes (20 bytes), more than the limit "
        "of 10 bytes for one cell: expected cells of at most 10 bytes (expected a cell of "
        f"at most 10 bytes)\nHint: {CELL_HINT}"
    )
    assert (error.file, error.row, error.column) == (str(path), 3, "column 3")
    assert error.expected == "a cell of at most 10 bytes"
    assert error.hint == CELL_HINT


def test_a_line_over_the_size_limit_among_the_first_lines_is_refused(tmp_path: Path) -> None:
    # three fields at a limit of three columns: too long, not too wide
    path = tmp_path / "export.csv"
    limits = ReadLimits(max_columns=3, max_title_line_bytes=20)
    with pytest.raises(InputError) as info:
        check_head(["ID,Name,Amount", "a,b," + "x" * 30], path, limits)
    error = info.value
    assert str(error) == (
        f"{path}: line 2 is 34 bytes long (34 bytes) before its line end, more than the "
        "limit of 20 bytes for a line among the first 30, where the header is looked for "
        "(report titles, the header and the first records): expected a header (and title "
        "lines above it) of at most 20 bytes a line (expected lines of at most 20 bytes)"
        f"\nHint: {TITLE_HINT}"
    )
    assert (error.file, error.row, error.column) == (str(path), 2, None)
    assert error.expected == "lines of at most 20 bytes"
    assert error.hint == TITLE_HINT


def test_a_line_over_the_column_limit_among_the_first_lines_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    with pytest.raises(InputError) as info:
        check_head(["ID,Name", "a,b,c,d"], path, ReadLimits(max_columns=3))
    error = info.value
    assert str(error) == (
        f"{path}: line 2 holds 4 columns (7 bytes), more than the limit of 3 columns: "
        f"expected a header of at most 3 columns\nHint: {COLUMNS_HINT}"
    )
    assert (error.file, error.row, error.column) == (str(path), 2, None)
    assert error.expected == "at most 3 columns"
    assert error.hint == COLUMNS_HINT


def test_first_lines_within_the_limits_pass(tmp_path: Path) -> None:
    limits = ReadLimits(max_columns=3, max_cell_bytes=5, max_title_line_bytes=20)
    assert check_head(["ID,Name,Notes", "1,Acme,xxxxx"], tmp_path / "x.csv", limits) is None


def test_a_file_that_cannot_be_opened_is_named(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"  # never written
    with pytest.raises(InputError) as refused:
        peek_export(path)
    hint = "check the file name and that you may read it"
    assert str(refused.value) == f"cannot open {path}: No such file or directory\nHint: {hint}"
    assert (refused.value.file, refused.value.hint) == (str(path), hint)


def test_titles_above_the_header_of_a_file_over_the_first_read_are_found(
    tmp_path: Path,
) -> None:
    # 1.5 MB: the first read (1 MiB) ends inside a row; its whole lines up to the last
    # line end are searched, two titles and the header among them
    path = tmp_path / "export.csv"
    rows = [f"D{i},Deal {i},Customer {i},{1000 + i}" for i in range(1, 40_001)]
    text = "Pipeline report\nExported 2026-11-20\nID,Opportunity,Customer,Amount\n"
    path.write_text(text + "\n".join(rows) + "\n", encoding="utf-8")
    assert path.stat().st_size > 1 << 20
    peek = peek_export(path, known_headers=("id", "opportunity", "customer", "amount"))
    assert (peek.header_row, peek.header) == (3, ("ID", "Opportunity", "Customer", "Amount"))
    assert peek.title_rows == ((1, ("Pipeline report",)), (2, ("Exported 2026-11-20",)))


@pytest.mark.parametrize(
    ("encoding", "why"),
    [
        ("ascii", "'ascii' codec can't decode byte 0xc3 in position 16: ordinal not in range(128)"),
        ("no-such-codec", "unknown encoding: no-such-codec"),
    ],
)
def test_a_file_not_in_the_encoding_given_is_refused_naming_it(
    tmp_path: Path, encoding: str, why: str
) -> None:
    path = tmp_path / "export.csv"
    path.write_text("ID,Customer\nD1,Müller\n", encoding="utf-8")
    with pytest.raises(EncodingError) as refused:
        peek_export(path, encoding=encoding)
    hint = "leave out --encoding to let pipereview detect it"
    assert str(refused.value) == (
        f"{path} cannot be read as {encoding}: {why} (expected text in {encoding})\nHint: {hint}"
    )
    error = refused.value
    assert (error.file, error.expected, error.hint) == (str(path), f"text in {encoding}", hint)


@pytest.mark.parametrize("line_end", ["\r\n", "\n", "\r"])
def test_a_first_line_longer_than_the_first_read_is_measured_to_its_line_end(
    tmp_path: Path, line_end: str
) -> None:
    # the first read is 1 MiB: the line's end falls on the first byte of the next read
    path = tmp_path / "export.csv"
    rest = line_end.join(["ID,Name,Amount", "D1,Acme,100", "D2,Beta,200", ""])
    path.write_bytes(b"x" * (1 << 20) + (line_end + rest).encode("ascii"))
    with pytest.raises(InputError) as info:
        peek_export(path)
    error = info.value
    assert str(error).startswith(
        f"{path}: line 1 is 1.0 MB long (1,048,576 bytes) before its line end, more than the "
        "limit of 256 KB for a line among the first 30"
    )
    assert (error.row, error.expected) == (1, "lines of at most 256 KB")
    assert error.hint == TITLE_HINT


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_a_first_line_longer_than_the_first_read_is_counted_in_columns(
    tmp_path: Path, delimiter: str
) -> None:
    path = tmp_path / "export.csv"
    title = (("a" + delimiter) * (1 << 19)).encode("ascii")  # 1 MiB, 524,289 fields
    path.write_bytes(title + b"\nID,Name,Amount\nD1,Acme,100\n")
    with pytest.raises(InputError) as info:
        peek_export(path)
    error = info.value
    assert str(error) == (
        f"{path}: line 1 holds 524,289 columns (1.0 MB), more than the limit of 2,000 "
        f"columns: expected a header of at most 2,000 columns\nHint: {COLUMNS_HINT}"
    )
    assert (error.row, error.expected) == (1, "at most 2,000 columns")


# --- the record scan: scan_csv -----------------------------------------------------------


@pytest.mark.parametrize(
    "row", [b'D1,Acme,"' + b"y" * 30 + b'"', b"D1,Acme," + b"y" * 30], ids=["quoted", "plain"]
)
def test_the_scan_refuses_a_cell_over_the_limit_naming_its_column(
    tmp_path: Path, row: bytes
) -> None:
    path = tmp_path / "export.csv"
    data = b"ID,Name,Notes\r\nD0,Zeta,ok\r\n" + row + b"\r\n"
    with pytest.raises(InputError) as info:
        scan_csv(
            data,
            path=path,
            delimiter=",",
            header=("ID", "Name", "Notes"),
            header_row=1,
            limits=ReadLimits(max_cell_bytes=10),
        )
    error = info.value
    assert str(error) == (
        f"{path}: line 3, column 'Notes': the cell holds 30 bytes (30 bytes), more than the "
        "limit of 10 bytes for one cell: expected cells of at most 10 bytes (expected a cell "
        f"of at most 10 bytes)\nHint: {CELL_HINT}"
    )
    assert (error.file, error.row, error.column) == (str(path), 3, "Notes")
    assert error.expected == "a cell of at most 10 bytes"
    assert error.hint == CELL_HINT


# --- rows wider than the header: read_rows -----------------------------------------------


@pytest.mark.parametrize(
    ("long_rows", "ellipsis"),
    [(range(2, 12), ""), (range(2, 13), " …")],
    ids=["ten shown", "ten of eleven shown"],
)
def test_rows_with_more_fields_than_the_header_are_refused_each_named(
    tmp_path: Path, long_rows: range, ellipsis: str
) -> None:
    path = tmp_path / "export.csv"
    lines = ["ID;Name;Amount", *(f"D{n};Acme;1;5" for n in long_rows), "D99;Beta;7"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_rows(peek_export(path), ("ID",))
    error = info.value
    shown = ", ".join(f"row {n} has 4 fields" for n in range(2, 12))
    assert str(error) == (
        f"{path}: {len(long_rows)} row(s) have more fields than the header on row 1: "
        f"{shown}{ellipsis}; expected 3 fields separated by semicolons (expected 3 fields "
        f"separated by ';')\nHint: {LONG_ROWS_HINT}"
    )
    assert (error.file, error.row, error.column) == (str(path), 2, None)
    assert error.expected == "3 fields separated by ';'"
    assert error.hint == LONG_ROWS_HINT
    assert [(p.row, p.got) for p in error.problems] == [(n, "4 fields") for n in long_rows]
    assert {p.expected for p in error.problems} == {
        "3 fields separated by semicolons like the header"
    }


def test_long_rows_name_a_delimiter_given_by_the_caller(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("ID~Name\nD1~Acme\nD2~Beta~x\nD3~Core\nD4~Dyn~y~z\n", encoding="utf-8")
    # a delimiter pipereview does not detect itself, given by the caller
    peek = ExportPeek(path, "csv", ("ID", "Name"), 1, "utf-8", "~")
    with pytest.raises(InputError) as info:
        read_rows(peek, ("ID",))
    error = info.value
    assert str(error) == (
        f"{path}: 2 row(s) have more fields than the header on row 1: row 3 has 3 fields, "
        f"row 5 has 4 fields; expected 2 fields separated by '~'\nHint: {LONG_ROWS_HINT}"
    )
    assert error.row == 3
    assert error.expected == "2 fields separated by '~'"
    assert [(p.row, p.got, p.expected) for p in error.problems] == [
        (3, "3 fields", "2 fields separated by '~' like the header"),
        (5, "4 fields", "2 fields separated by '~' like the header"),
    ]


def test_long_rows_of_a_peek_without_a_delimiter_are_counted_in_commas(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("ID,Name\nD1,Acme\nD2,Beta,x\nD3,Core\n", encoding="utf-8")
    # a peek built by hand, without a delimiter: the file is read as commas
    peek = ExportPeek(path, "csv", ("ID", "Name"), 1, "utf-8")
    with pytest.raises(InputError) as info:
        read_rows(peek, ("ID",))
    error = info.value
    assert str(error) == (
        f"{path}: 1 row(s) have more fields than the header on row 1: row 3 has 3 fields; "
        "expected 2 fields separated by commas (expected 2 fields separated by ',')\n"
        f"Hint: {LONG_ROWS_HINT}"
    )
    assert (error.file, error.row, error.column) == (str(path), 3, None)
    assert error.expected == "2 fields separated by ','"
    assert [(p.row, p.got, p.expected) for p in error.problems] == [
        (3, "3 fields", "2 fields separated by commas like the header"),
    ]


def test_a_quote_that_never_closes_below_a_hand_built_peek_is_an_input_error(
    tmp_path: Path,
) -> None:
    # peek_export refuses such a file itself; a peek built by hand reaches the reader
    path = tmp_path / "export.csv"
    path.write_text('ID,Name\nD1,"Acme\nD2,Beta\n', encoding="utf-8")
    peek = ExportPeek(path, "csv", ("ID", "Name"), 1, "utf-8", ",")
    with pytest.raises(InputError) as info:
        read_rows(peek, ("ID",))
    assert info.value.file == str(path)
    # the reader's own reason, not a count of long rows that found none
    message = str(info.value)
    assert message.startswith(f"{path}: the CSV reader stopped below the header on row 1: ")
    assert "EOF inside string" in message
    assert "have more fields" not in message
    assert message.endswith(
        "; expected 2 fields per row separated by commas (expected 2 fields separated by ',')\n"
        "Hint: open the file in a text editor at the line named and check its quotes and "
        "delimiters, or export the file again"
    )
    assert info.value.row is None


def test_a_parse_failure_under_an_unnamed_delimiter_quotes_the_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text('ID:Name\nD1:"Acme\nD2:Beta\n', encoding="utf-8")
    peek = ExportPeek(path, "csv", ("ID", "Name"), 1, "utf-8", ":")
    with pytest.raises(InputError) as info:
        read_rows(peek, ("ID",))
    assert "; expected 2 fields per row separated by ':' (expected 2 fields separated by ':')" in (
        str(info.value)
    )
