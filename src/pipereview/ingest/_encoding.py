"""Telling how an export's text is encoded: UTF-8 (with or without BOM), UTF-16 and UTF-32
(with or without BOM, told by the zero bytes of their ASCII characters), GB18030/GBK;
refusing files that mix encodings or are in another one (e.g. Windows-1252), with the
lines concerned.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from pathlib import Path

from pipereview.core._errors import EncodingError

__all__ = ["detect_encoding"]

_SAMPLE = 1 << 16  # bytes looked at to tell UTF-16 and UTF-32 apart from the rest
#: A line end as the CSV reader counts lines (and ``bytes.splitlines``): CR LF, CR or LF.
_LINE_END = re.compile(r"\r\n|\r|\n")
_LINE_END_BYTES = re.compile(rb"\r\n|\r|\n")


def _line_at(data: str | bytes, offset: int) -> int:
    r"""The number of the line (from 1) that ``offset`` of ``data`` falls on, lines ended
    by CR LF, CR alone (old Mac exports) or LF alone.

    >>> _line_at(b"ID\rD1\rD2,x", 8), _line_at("ID\r\nD1\r\n", 5)
    (3, 2)
    """
    if isinstance(data, bytes):
        return len(_LINE_END_BYTES.findall(data, 0, offset)) + 1
    return len(_LINE_END.findall(data, 0, offset)) + 1


def detect_encoding(data: bytes, path: Path) -> str:
    """The encoding of an export's bytes, or :class:`EncodingError` saying why not.

    >>> detect_encoding("商机名称".encode("gb18030"), Path("x.csv"))
    'gb18030'
    """
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16: FF FE
        return _checked_wide(data, "utf-32", path)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _checked_wide(data, "utf-16", path)
    wide = _wide_without_bom(data[:_SAMPLE])
    if wide:
        return _checked_wide(data, wide, path)
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    _refuse_mixed_lines(data, path)
    return _gb18030(data, path)


def _refuse_mixed_lines(data: bytes, path: Path) -> None:
    """Refuse ``data`` (not UTF-8 as a whole) when some of its lines are UTF-8 and others
    are not: a file pasted together from exports in different encodings."""
    utf8_lines, other_lines = [], []
    for number, line in enumerate(data.splitlines(), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8_lines.append(number)
        except UnicodeDecodeError:
            other_lines.append(number)
    if utf8_lines and other_lines:
        wanted = set(other_lines)
        other = (
            "GB18030/GBK"
            if _decodes(
                b"\n".join(
                    line for n, line in enumerate(data.splitlines(), start=1) if n in wanted
                ),
                "gb18030",
            )
            else "another encoding"
        )
        # name the odd lines out: those in the encoding fewer lines use
        if len(utf8_lines) <= len(other_lines):
            odd, odd_name, usual, usual_name = utf8_lines, "UTF-8", other_lines, other
        else:
            odd, odd_name, usual, usual_name = other_lines, other, utf8_lines, "UTF-8"
        raise EncodingError(
            f"{path} mixes text encodings: {_lines(odd)} {_is(odd)} {odd_name}, while "
            f"{_lines(usual)} {_is(usual)} {usual_name}: expected one encoding for the whole "
            "file",
            file=path,
            row=odd[0],
            expected="one encoding for the whole file",
            hint="the file was pasted together from several exports; export it again in one "
            f"go, or retype {_lines(odd)} in the spreadsheet and save it as 'CSV UTF-8'",
        )


def _gb18030(data: bytes, path: Path) -> str:
    """``gb18030`` when ``data`` reads as Chinese text in it; otherwise an
    :class:`EncodingError` naming the first line that does not (a Windows euro sign, a
    byte GB18030 lacks, Western-European text that would decode as rare characters)."""
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        bad = _line_at(data, exc.start)
        euro = _windows_euro_line(data)
        if euro is not None:
            raise EncodingError(
                f"{path}: line {euro} is Chinese Windows text (GBK, code page 936) with a euro "
                f"sign written as Windows writes it, the byte 0x80{_euro_sample(data, euro)}, "
                "which GB18030/GBK does not have: expected UTF-8 (with or without BOM) or "
                "GB18030/GBK without that byte",
                file=path,
                row=euro,
                expected="UTF-8 (with or without BOM) or GB18030/GBK",
                hint="in Excel, save the file as 'CSV UTF-8' (no --encoding reads code page "
                "936's euro sign), or replace € by EUR in the file",
            ) from None
        raise EncodingError(
            f"{path}: line {bad} is neither UTF-8 nor GB18030/GBK text"
            f"{_western_sample(data, bad)}: expected UTF-8 (with or without BOM) or "
            "GB18030/GBK",
            file=path,
            row=bad,
            expected="UTF-8 (with or without BOM) or GB18030/GBK",
            hint="save the file as 'CSV UTF-8', or pass --encoding with its encoding "
            "(e.g. --encoding cp1252 for a Western-European Windows export)",
        ) from None
    western = _western_line(text)
    if western:
        raise EncodingError(
            f"{path}: line {western} looks like Western-European text in a one-byte encoding "
            f"such as Windows-1252{_western_sample(data, western)}, which would be read as "
            "meaningless Chinese characters: expected UTF-8 (with or without BOM) or "
            "GB18030/GBK",
            file=path,
            row=western,
            expected="UTF-8 (with or without BOM) or GB18030/GBK",
            hint="pass --encoding cp1252 (or the file's encoding, e.g. latin-1), or save the "
            "file as 'CSV UTF-8'",
        )
    return "gb18030"


def _wide_without_bom(sample: bytes) -> str | None:
    """UTF-32 or UTF-16 (little- or big-endian) told by where the zero bytes are: every
    ASCII character (digits, commas, line ends) has its zero bytes at fixed places."""
    if sample.count(0) * 4 < len(sample):  # an ASCII-bearing wide text is 1/4+ zeros
        return None
    for width, order in ((4, ("utf-32-le", "utf-32-be")), (2, ("utf-16-le", "utf-16-be"))):
        usable = sample[: len(sample) - len(sample) % width]
        if not usable:
            continue
        units = len(usable) // width
        zeros = [usable[k::width].count(0) / units for k in range(width)]
        if width == 4 and zeros[3] == 1 and zeros[2] > 0.99 and zeros[0] < 0.5:
            return order[0]
        if width == 4 and zeros[0] == 1 and zeros[1] > 0.99 and zeros[3] < 0.5:
            return order[1]
        if width == 2 and zeros[1] > 0.3 and zeros[0] < 0.02:
            return order[0]
        if width == 2 and zeros[0] > 0.3 and zeros[1] < 0.02:
            return order[1]
    return None


def _checked_wide(data: bytes, encoding: str, path: Path) -> str:
    """``encoding`` (UTF-16/32) when the start of ``data`` reads as text in it."""
    name = {"utf-16": "UTF-16", "utf-32": "UTF-32"}.get(encoding[:6], encoding.upper())
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        text = decoder.decode(data[:_SAMPLE], final=len(data) <= _SAMPLE)
    except UnicodeDecodeError as exc:
        head = data[: exc.start].decode(encoding, errors="replace")
        line = _line_at(head, len(head))
    else:
        bad = re.search(r"[\x00-\x08\x0e-\x1f]", text)
        line = _line_at(text, bad.start()) if bad else 0
    if line:
        raise EncodingError(
            f"{path}: line {line} is not {name} text, although the file starts like "
            f"{name}{' (it has a byte-order mark)' if encoding in ('utf-16', 'utf-32') else ''}: "
            "expected UTF-8 (with or without BOM), UTF-16, UTF-32 or GB18030/GBK text",
            file=path,
            row=line,
            expected="UTF-8, UTF-16, UTF-32 or GB18030/GBK text",
            hint="open the file in a spreadsheet program and save it as 'CSV UTF-8'",
        )
    return encoding


def _windows_euro_line(data: bytes) -> int | None:
    """The first line holding byte 0x80 where a character starts, when that is all that
    keeps ``data`` from being GB18030: Windows' code page 936 writes the euro sign so."""
    first = None
    for number, line in enumerate(data.splitlines(), start=1):
        while True:
            try:
                line.decode("gb18030")
                break
            except UnicodeDecodeError as exc:
                if line[exc.start] != 0x80:
                    return None
                first = first or number
                line = line[exc.start + 1 :]
    return first


def _euro_sample(data: bytes, line: int) -> str:
    """`` (it reads '…€1,250,000.00…')``: the line as code page 936 with its euro sign."""
    raw = data.splitlines()[line - 1]
    text = "".join(part.decode("gb18030", errors="replace") + "€" for part in raw.split(b"\x80"))[
        :-1
    ]
    start = text.find("€")
    return f" (it reads '…{text[max(0, start - 20) : start + 20]}…')"


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _lines(numbers: list[int]) -> str:
    return f"line {numbers[0]}" if len(numbers) == 1 else f"lines {_few(numbers)}"


def _is(numbers: list[int]) -> str:
    return "is" if len(numbers) == 1 else "are"


def _western_line(text: str) -> int | None:
    """The first line of GB18030-decoded ``text`` that is likely Windows-1252 instead.

    Chinese text in GB18030 is almost entirely two-byte characters whose second byte is
    not ASCII (GB2312). An accented Latin letter followed by an ASCII letter (``Mü`` in
    ``Müller``) decodes too, but as a rare GBK character whose second byte *is* ASCII
    (or as a four-byte sequence). When most non-ASCII characters are of that kind, the
    text is not Chinese.
    """
    counts = Counter(re.findall(r"[^\x00-\x7f]", text))
    odd = {c for c in counts if _odd_gb18030(c)}
    if not odd or sum(counts[c] for c in odd) * 2 <= sum(counts.values()):
        return None
    first = min(text.find(c) for c in odd)
    return text.count("\n", 0, first) + 1


def _odd_gb18030(char: str) -> bool:
    raw = char.encode("gb18030")
    return len(raw) == 4 or (len(raw) == 2 and raw[1] < 0x80)


def _western_sample(data: bytes, line: int) -> str:
    """`` (as Windows-1252 it reads '…')`` for a line that decodes as Windows-1252."""
    lines = data.splitlines()
    if line > len(lines):
        return ""
    try:
        text = lines[line - 1].decode("cp1252")
    except UnicodeDecodeError:
        return ""
    start = next((i for i, c in enumerate(text) if ord(c) > 0x7F), 0)
    return f" (as Windows-1252 it reads '…{text[max(0, start - 20) : start + 30]}…')"


def _few(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:5])
    return shown + (f" and {len(numbers) - 5} more" if len(numbers) > 5 else "")
