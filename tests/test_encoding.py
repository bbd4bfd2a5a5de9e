"""Telling an export's encoding, and the refusals that say which line is in which one.

A file pasted together from exports in different encodings names its odd lines out (a
few of them, then how many more); a Chinese Windows export with a euro sign (the byte
0x80 of code page 936) shows the text around that euro sign; a Western-European
one-byte export shows its line as Windows-1252 would read it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipereview.core._errors import EncodingError
from pipereview.ingest import detect_encoding

PATH = Path("exports/north.csv")
EURO = b"\x80"  # the euro sign of code page 936 (and of Windows-1252)
UTF8_LINE = "D1,Müller GmbH,500\n".encode()
CP1252_LINE = "D2,Dupont SA,€500\n".encode("cp1252")  # 0x80: not GB18030 either
GBK_LINE = "D3,恒达钢铁,500\n".encode("gbk")
EURO_HINT = (
    "in Excel, save the file as 'CSV UTF-8' (no --encoding reads code page 936's euro "
    "sign), or replace € by EUR in the file"
)
NEITHER_HINT = (
    "save the file as 'CSV UTF-8', or pass --encoding with its encoding (e.g. --encoding "
    "cp1252 for a Western-European Windows export)"
)


def _gbk(text: str) -> bytes:
    return text.encode("gbk")


def _refusal(data: bytes) -> EncodingError:
    with pytest.raises(EncodingError) as info:
        detect_encoding(data, PATH)
    return info.value


# --- a file that mixes encodings ---------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "odd", "usual", "retype", "first"),
    [
        (
            [UTF8_LINE] * 6 + [CP1252_LINE] * 7,
            "lines 2, 3, 4, 5, 6 and 1 more are UTF-8",
            "lines 8, 9, 10, 11, 12 and 2 more are another encoding",
            "lines 2, 3, 4, 5, 6 and 1 more",
            2,
        ),
        (
            [UTF8_LINE] * 5 + [CP1252_LINE] * 7,
            "lines 2, 3, 4, 5, 6 are UTF-8",
            "lines 7, 8, 9, 10, 11 and 2 more are another encoding",
            "lines 2, 3, 4, 5, 6",
            2,
        ),
        (
            [CP1252_LINE] * 3 + [UTF8_LINE] * 4,
            "lines 2, 3, 4 are another encoding",
            "lines 5, 6, 7, 8 are UTF-8",
            "lines 2, 3, 4",
            2,
        ),
        (
            [GBK_LINE, UTF8_LINE, GBK_LINE],
            "line 3 is UTF-8",
            "lines 2, 4 are GB18030/GBK",
            "line 3",
            3,
        ),
    ],
    ids=["six odd lines", "five odd lines", "other encoding odd", "one odd line"],
)
def test_a_file_mixing_encodings_names_the_odd_lines_out(
    lines: list[bytes], odd: str, usual: str, retype: str, first: int
) -> None:
    error = _refusal(b"ID,Account,Amount\n" + b"".join(lines))
    assert error.message == (
        f"{PATH} mixes text encodings: {odd}, while {usual}: expected one encoding for the "
        "whole file"
    )
    assert (error.file, error.row) == (str(PATH), first)
    assert error.expected == "one encoding for the whole file"
    assert error.hint == (
        "the file was pasted together from several exports; export it again in one go, or "
        f"retype {retype} in the spreadsheet and save it as 'CSV UTF-8'"
    )


# --- a Chinese Windows export with a euro sign -------------------------------------------


def test_a_euro_sign_of_code_page_936_is_shown_with_the_text_around_it() -> None:
    # the euro sign is followed straight by a Chinese character, and the line is short
    data = _gbk("商机编号,商机名称,金额\nD1,项目甲,") + EURO + _gbk("中文\nD2,项目乙,100\n")
    error = _refusal(data)
    assert str(error) == (
        f"{PATH}: line 2 is Chinese Windows text (GBK, code page 936) with a euro sign "
        "written as Windows writes it, the byte 0x80 (it reads '…D1,项目甲,€中文…'), which "
        "GB18030/GBK does not have: expected UTF-8 (with or without BOM) or GB18030/GBK "
        f"without that byte\nHint: {EURO_HINT}"
    )
    assert (error.file, error.row) == (str(PATH), 2)
    assert error.expected == "UTF-8 (with or without BOM) or GB18030/GBK"


def test_a_long_euro_line_shows_twenty_characters_either_side_of_its_first_euro() -> None:
    # 25 characters before the first euro; a second euro and a character whose second
    # byte is 0x80 (亐: 81 80) further on, outside the sample
    line = (
        _gbk("D1," + "项目" * 11)
        + EURO
        + _gbk("1,250,000.00,含税价格另计第二笔")
        + EURO
        + _gbk("500,亐\n")
    )
    error = _refusal(_gbk("商机编号,商机名称,金额\n") + line)
    assert "亐".encode("gbk") == b"\x81\x80"
    assert error.message == (
        f"{PATH}: line 2 is Chinese Windows text (GBK, code page 936) with a euro sign "
        "written as Windows writes it, the byte 0x80 (it reads "
        "'…项目项目项目项目项目项目项目项目项目项目€1,250,000.00,含税价格另计…'), which "
        "GB18030/GBK does not have: expected UTF-8 (with or without BOM) or GB18030/GBK "
        "without that byte"
    )
    assert error.row == 2


# --- Western-European one-byte text ------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "sample"),
    [
        # the accent among the first 20 characters: the sample starts with the line
        (b"D1,Caf\xe9 \xe0 Paris\xff", " (as Windows-1252 it reads '…D1,Café à Parisÿ…')"),
        # 20 characters before the first accented letter, 30 from it
        (
            b"D2,Northwind Traders UK,Zo\xeb M\xfcller, follow-up call about the renewal\xff",
            " (as Windows-1252 it reads '…thwind Traders UK,Zoë Müller, follow-up call about…')",
        ),
        # 0x81 is no Windows-1252 character either: no sample
        (b"D3,Bad\x81", ""),
    ],
    ids=["short", "long", "not windows-1252"],
)
def test_a_line_neither_utf8_nor_gb18030_is_shown_as_windows_1252(line: bytes, sample: str) -> None:
    error = _refusal(b"ID,Name,Note\n" + line + b"\n")
    assert str(error) == (
        f"{PATH}: line 2 is neither UTF-8 nor GB18030/GBK text{sample}: expected UTF-8 "
        f"(with or without BOM) or GB18030/GBK\nHint: {NEITHER_HINT}"
    )
    assert (error.file, error.row) == (str(PATH), 2)
    assert error.expected == "UTF-8 (with or without BOM) or GB18030/GBK"


@pytest.mark.xfail(
    strict=True,
    reason="a file whose lines end in \\r alone is counted as one line (the line is found "
    "by counting \\n, the sample by bytes.splitlines): count line ends as \\r\\n, \\r or \\n, "
    "as the rest of the reader does",
)
def test_a_bad_line_of_a_file_with_cr_line_ends_is_named_and_shown() -> None:
    error = _refusal(b"ID,Name,Note\rD1,Acme,ok\rD2,Caf\xe9 \xe0 Paris\xff\r")
    assert error.row == 3
    assert "line 3 is neither UTF-8 nor GB18030/GBK text (as Windows-1252 it reads " in str(error)
    assert "'…D2,Café à Parisÿ…')" in str(error)
