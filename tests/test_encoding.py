"""Telling an export's encoding, and the refusals that say which line is in which one.

A file pasted together from exports in different encodings names its odd lines out (a
few of them, then how many more); a Chinese Windows export with a euro sign (the byte
0x80 of code page 936) shows the text around that euro sign; a Western-European
one-byte export shows its line as Windows-1252 would read it.
"""

from __future__ import annotations

import codecs
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
        # DEL (0x7f) is ASCII: the sample still starts 20 characters before the accent
        (
            b"D4,\x7f,Northwind Traders UK,Zo\xeb M\xfcller, follow-up call about the renewal\xff",
            " (as Windows-1252 it reads '…thwind Traders UK,Zoë Müller, follow-up call about…')",
        ),
    ],
    ids=["short", "long", "not windows-1252", "delete character"],
)
def test_a_line_neither_utf8_nor_gb18030_is_shown_as_windows_1252(line: bytes, sample: str) -> None:
    error = _refusal(b"ID,Name,Note\n" + line + b"\n")
    assert str(error) == (
        f"{PATH}: line 2 is neither UTF-8 nor GB18030/GBK text{sample}: expected UTF-8 "
        f"(with or without BOM) or GB18030/GBK\nHint: {NEITHER_HINT}"
    )
    assert (error.file, error.row) == (str(PATH), 2)
    assert error.expected == "UTF-8 (with or without BOM) or GB18030/GBK"


def test_western_text_that_gb18030_would_read_as_chinese_names_its_line() -> None:
    # "Jürgen Müller, Grüße" in Windows-1252 decodes as GB18030 without an error, as
    # meaningless Chinese: refused, naming the line and what to pass
    error = _refusal(b"ID,Name,Note\nD1,ok,fine\nD2,J\xfcrgen M\xfcller,Gr\xfc\xdfe\n")
    assert (error.file, error.row) == (str(PATH), 3)
    assert error.message.startswith(
        f"{PATH}: line 3 looks like Western-European text in a one-byte encoding such as "
        "Windows-1252 (as Windows-1252 it reads '…D2,Jürgen Müller,Grüße…')"
    )
    assert error.expected == "UTF-8 (with or without BOM) or GB18030/GBK"


#: Line ends as exports write them: LF, CR LF (Windows) and CR alone (old Mac exports).
LINE_ENDS = {"LF": "\n", "CRLF": "\r\n", "CR": "\r"}


@pytest.mark.parametrize("end", list(LINE_ENDS.values()), ids=list(LINE_ENDS))
def test_a_bad_line_is_named_and_shown_whatever_the_line_ends(end: str) -> None:
    lines = [b"ID,Name,Note", b"D1,Acme,ok", b"D2,Caf\xe9 \xe0 Paris\xff", b""]
    error = _refusal(end.encode().join(lines))
    assert error.row == 3
    assert "line 3 is neither UTF-8 nor GB18030/GBK text (as Windows-1252 it reads " in str(error)
    assert "'…D2,Café à Parisÿ…')" in str(error)
    assert error.file == str(PATH)
    assert error.expected == "UTF-8 (with or without BOM) or GB18030/GBK"
    assert error.hint == NEITHER_HINT


@pytest.mark.parametrize("end", list(LINE_ENDS.values()), ids=list(LINE_ENDS))
@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-32-be"])
def test_a_wide_file_names_the_line_of_its_control_character_whatever_the_line_ends(
    end: str, encoding: str
) -> None:
    # the control character \x01 is on line 4 of WIDE_TEXT, line ends as the export wrote
    bom = codecs.BOM_UTF16_LE if encoding == "utf-16-le" else codecs.BOM_UTF32_BE
    error = _refusal(bom + WIDE_TEXT.replace("\n", end).encode(encoding))
    assert error.row == 4
    assert f"{PATH}: line 4 is not UTF-{encoding[4:6]} text" in str(error)


# --- UTF-16 and UTF-32 that break off ----------------------------------------------------

WIDE_HINT = "open the file in a spreadsheet program and save it as 'CSV UTF-8'"
# a blank first line; line 3 holds Ċ (U+010A), whose UTF-16 code unit holds the byte of a
# line end (0A 01); the control character \x01 is on line 4, one more line follows
WIDE_TEXT = "\nID,Account,Amount\nD1,Ċlub,500\nD2,Acme\x01,7\nD3,Zeta,9\n"
WIDE_HEAD = "\nID,Account,Amount\nD1,Ċlub,500\nD2,Acme,"


def _wide_message(line: int, name: str, bom: bool) -> str:
    return (
        f"{PATH}: line {line} is not {name} text, although the file starts like {name}"
        f"{' (it has a byte-order mark)' if bom else ''}: expected UTF-8 (with or without "
        "BOM), UTF-16, UTF-32 or GB18030/GBK text (expected UTF-8, UTF-16, UTF-32 or "
        f"GB18030/GBK text)\nHint: {WIDE_HINT}"
    )


def _exactly_64_kib_ending_in_half_a_surrogate_pair() -> bytes:
    # a BOM, 12 lines, a 13th line cut after the first half of an emoji (D83D)
    head = ("ID,Account,Amount\n" + "D1,Acme,500\n" * 10).encode("utf-16-le")
    filler = 65536 - len(codecs.BOM_UTF16_LE) - len(head) - 2 - 2
    line = ("x" * (filler // 2) + "\n").encode("utf-16-le")
    data = codecs.BOM_UTF16_LE + head + line + b"\x3d\xd8"
    assert len(data) == 65536
    return data


@pytest.mark.parametrize(
    ("data", "line", "name", "bom"),
    [
        # a character that is no text (a control character)
        (codecs.BOM_UTF16_LE + WIDE_TEXT.encode("utf-16-le"), 4, "UTF-16", True),
        (WIDE_TEXT.encode("utf-16-be"), 4, "UTF-16", False),
        (codecs.BOM_UTF32_BE + WIDE_TEXT.encode("utf-32-be"), 4, "UTF-32", True),
        (WIDE_TEXT.encode("utf-32-le"), 4, "UTF-32", False),
        # bytes that do not decode: half a surrogate pair, a code point beyond U+10FFFF
        (
            codecs.BOM_UTF16_LE
            + WIDE_HEAD.encode("utf-16-le")
            + b"\x00\xdc"
            + "7\nD3,Zeta,9\n".encode("utf-16-le"),
            4,
            "UTF-16",
            True,
        ),
        (
            codecs.BOM_UTF32_BE
            + WIDE_HEAD.encode("utf-32-be")
            + b"\x00\x11\x00\x00"
            + "7\n".encode("utf-32-be"),
            4,
            "UTF-32",
            True,
        ),
        # a file that stops inside a character: one byte of a UTF-16 unit, or half a
        # surrogate pair at the very end of a file of exactly 64 KiB
        (
            codecs.BOM_UTF16_LE + (WIDE_HEAD + "7\n").encode("utf-16-le") + b"9",
            5,
            "UTF-16",
            True,
        ),
        (_exactly_64_kib_ending_in_half_a_surrogate_pair(), 13, "UTF-16", True),
    ],
    ids=[
        "utf-16 bom control",
        "utf-16-be control",
        "utf-32 bom control",
        "utf-32-le control",
        "utf-16 lone surrogate",
        "utf-32 beyond unicode",
        "utf-16 odd byte at the end",
        "utf-16 64 KiB cut in a pair",
    ],
)
def test_a_wide_file_that_breaks_off_names_the_line_where(
    data: bytes, line: int, name: str, bom: bool
) -> None:
    error = _refusal(data)
    assert str(error) == _wide_message(line, name, bom)
    assert (error.file, error.row, error.column) == (str(PATH), line, None)
    assert error.expected == "UTF-8, UTF-16, UTF-32 or GB18030/GBK text"
    assert error.hint == WIDE_HINT


def test_a_wide_file_read_whole_is_its_encoding() -> None:
    # the same 64 KiB with the emoji whole: the pair is split by the 64 KiB looked at
    data = _exactly_64_kib_ending_in_half_a_surrogate_pair() + b"\x00\xde\n\x00"
    assert detect_encoding(data, PATH) == "utf-16"
    assert detect_encoding(WIDE_TEXT.replace("\x01", "").encode("utf-32-le"), PATH) == "utf-32-le"
