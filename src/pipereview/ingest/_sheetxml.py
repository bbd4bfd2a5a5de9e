"""The XML inside an XLSX workbook, read without openpyxl.

Two guards of the XLSX reader live here, apart from the reader so that they check it
rather than repeat it:

- :func:`check_zip` compares the sizes the zip declares for its parts (which bound what
  unpacking can produce) with the :class:`~pipereview.ingest._limits.ReadLimits` before anything
  is unpacked, so a small file that unpacks to gigabytes is refused up front;
- :func:`scan_sheet` streams one sheet's XML (bounded memory, whatever the sheet's
  ``<dimension>`` tag says) and finds the last row holding a non-empty cell and the
  formula cells without a saved value.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from xml.parsers import expat

from pipereview.core._errors import InputError
from pipereview.ingest._limits import DEFAULT_LIMITS, ReadLimits, format_size

__all__ = ["SheetScan", "check_zip", "scan_sheet", "sheet_last_row"]

#: parts smaller than this are not judged by their compression ratio (tiny parts of
#: repeated markup compress very well and can do no harm)
_RATIO_FLOOR = 1 << 20
_CHUNK = 1 << 20
_REF = re.compile(r"([A-Z]{1,3})([0-9]+)$")
_RAISE_LIMITS = (
    "raise the limit in the configuration file's limits: section (e.g. "
    "{name}: {bigger}) if the file is a real export, or export fewer rows or "
    "columns"
)


@dataclass(frozen=True)
class SheetScan:
    """What a streamed scan of one sheet's XML found."""

    #: 1-based number of the last row holding a non-empty cell (0: none)
    last_row: int
    #: formula cells without a saved value, as (row, column number, reference such as E7)
    unsaved_formulas: tuple[tuple[int, int, str], ...]
    #: all formula cells without a saved value, also those beyond the ones listed
    unsaved_count: int


def _unreadable(path: Path, why: object) -> InputError:
    return InputError(
        f"{path} cannot be read as an Excel workbook ({why}): expected a complete .xlsx workbook",
        file=path,
        expected="an .xlsx workbook",
        hint="the download may be incomplete: download it again, or open it in Excel or "
        "LibreOffice and save it again as .xlsx",
    )


def check_zip(path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> None:
    """Refuse a workbook whose parts would unpack beyond ``limits``: the declared
    uncompressed size of all parts together, and each large part's compression ratio."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _unreadable(path, exc) from None
    total = sum(part.file_size for part in parts)
    if total > limits.max_xlsx_uncompressed_bytes:
        name = "max_xlsx_uncompressed_bytes"
        raise InputError(
            f"{path}: the workbook unpacks to {format_size(total)} of XML, more than the "
            f"limit of {format_size(limits.max_xlsx_uncompressed_bytes)} ({name}): expected "
            "a workbook within the limit",
            file=path,
            expected=f"at most {limits.max_xlsx_uncompressed_bytes} bytes unpacked",
            hint=_RAISE_LIMITS.format(name=name, bigger=total + 1),
        )
    ratio_limit = limits.max_xlsx_compression_ratio
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > _RATIO_FLOOR and ratio > ratio_limit:
            name = "max_xlsx_compression_ratio"
            raise InputError(
                f"{path}: the part {part.filename} unpacks {ratio:.0f} times its packed size "
                f"({format_size(part.compress_size)} to {format_size(part.file_size)}), more "
                f"than the limit of {ratio_limit} ({name}); a real export compresses far "
                "less, so the file is refused as a possible zip bomb",
                file=path,
                expected=f"a compression ratio of at most {ratio_limit}",
                hint=_RAISE_LIMITS.format(name=name, bigger=int(ratio) + 1),
            )


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _sheet_part(archive: zipfile.ZipFile, sheet: str | None) -> str:
    """The zip member holding sheet ``sheet`` (the first sheet when None)."""
    sheets: list[tuple[str, str]] = []
    targets: dict[str, str] = {}

    def on_sheet(name: str, attrs: dict[str, str]) -> None:
        if _local(name) == "sheet":
            rid = next((v for k, v in attrs.items() if _local(k) == "id"), "")
            sheets.append((attrs.get("name", ""), rid))

    def on_rel(name: str, attrs: dict[str, str]) -> None:
        if _local(name) == "Relationship":
            targets[attrs.get("Id", "")] = attrs.get("Target", "")

    for member, handler in (("xl/workbook.xml", on_sheet), ("xl/_rels/workbook.xml.rels", on_rel)):
        parser = expat.ParserCreate()
        parser.StartElementHandler = handler
        with archive.open(member) as stream:
            parser.ParseFile(stream)
    chosen = (
        next((rid for name, rid in sheets if name == sheet), None)
        if sheet
        else (sheets[0][1] if sheets else None)
    )
    if chosen is None or chosen not in targets:
        raise KeyError(f"no sheet {sheet!r}")
    target = targets[chosen]
    return (
        target.lstrip("/")
        if target.startswith("/")
        else posixpath.normpath(posixpath.join("xl", target))
    )


def _empty_shared_strings(archive: zipfile.ZipFile) -> frozenset[int]:
    """Indexes of the shared strings that are blank (so cells using them are empty)."""
    if "xl/sharedStrings.xml" not in archive.namelist():
        return frozenset()
    blank: set[int] = set()
    state = {"index": -1, "text": False}

    def start(name: str, _attrs: dict[str, str]) -> None:
        if _local(name) == "si":
            state["index"] = int(state["index"]) + 1
            blank.add(int(state["index"]))
        elif _local(name) == "t":
            state["text"] = True

    def end(name: str) -> None:
        if _local(name) == "t":
            state["text"] = False

    def text(data: str) -> None:
        if state["text"] and data.strip():
            blank.discard(int(state["index"]))

    parser = expat.ParserCreate()
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = text
    with archive.open("xl/sharedStrings.xml") as stream:
        parser.ParseFile(stream)
    return frozenset(blank)


class _Scanner:
    """expat handlers that follow rows, cells, values and formulas of a sheet."""

    def __init__(self, blank_strings: frozenset[int], keep: int) -> None:
        self.blank_strings, self.keep = blank_strings, keep
        self.row = self.column = self.last_row = self.unsaved_count = 0
        self.unsaved: list[tuple[int, int, str]] = []
        self.kind, self.ref = "n", ""
        self.formula = self.has_value = self.in_value = False
        self.value: list[str] = []
        self.names: dict[str, str] = {}

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = self.names.get(name) or self.names.setdefault(name, _local(name))
        if tag == "c":
            self.column += 1
            self.ref, self.kind = attrs.get("r", ""), attrs.get("t", "n")
            self.formula = self.has_value = False
            self.value = []
        elif tag == "v" or tag == "t":
            self.in_value = self.has_value = True
        elif tag == "f":
            self.formula = True
        elif tag == "row":
            number = attrs.get("r", "")
            self.row = int(number) if number.isdigit() else self.row + 1
            self.column = 0

    def end(self, name: str) -> None:
        tag = self.names.get(name) or self.names.setdefault(name, _local(name))
        if tag in ("v", "t"):
            self.in_value = False
        elif tag == "c":
            text = "".join(self.value).strip()
            if self.formula and not text and not (self.kind == "str" and self.has_value):
                self.unsaved_count += 1
                if len(self.unsaved) < self.keep:
                    self.unsaved.append(self._where())
            filled = self.formula or (
                bool(text)
                and not (self.kind == "s" and text.isdigit() and int(text) in self.blank_strings)
            )
            if filled and self.row > self.last_row:
                self.last_row = self.row

    def text(self, data: str) -> None:
        if self.in_value:
            self.value.append(data)

    def _where(self) -> tuple[int, int, str]:
        """The current cell as (row, column number, reference)."""
        match = _REF.match(self.ref)
        if match:
            return int(match[2]), _column_number(match[1]), self.ref
        return self.row, self.column, f"{_column_letter(self.column)}{self.row}"


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _column_letter(number: int) -> str:
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def scan_sheet(path: Path, sheet: str | None, *, keep: int = 10_000) -> SheetScan:
    """Stream sheet ``sheet`` (the first when None) of the workbook at ``path``: its last
    non-empty row and (the first ``keep``) formula cells without a saved value. Reads the
    sheet's XML itself, whatever its ``<dimension>`` tag says; memory stays bounded."""
    path = Path(path)
    stat = path.stat()
    return _scan(path, stat.st_size, stat.st_mtime_ns, sheet, keep)


@lru_cache(maxsize=4)
def _scan(path: Path, _size: int, _mtime: int, sheet: str | None, keep: int) -> SheetScan:
    try:
        with zipfile.ZipFile(path) as archive:
            scanner = _Scanner(_empty_shared_strings(archive), keep)
            parser = expat.ParserCreate()
            parser.StartElementHandler, parser.EndElementHandler = scanner.start, scanner.end
            parser.CharacterDataHandler = scanner.text
            parser.buffer_text = True
            with archive.open(_sheet_part(archive, sheet)) as stream:
                while chunk := stream.read(_CHUNK):
                    parser.Parse(chunk, False)
                parser.Parse(b"", True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, expat.ExpatError) as exc:
        raise _unreadable(path, exc) from None
    return SheetScan(scanner.last_row, tuple(scanner.unsaved), scanner.unsaved_count)


def sheet_last_row(path: Path, sheet: str | None) -> int:
    """The 1-based number of the last row of sheet ``sheet`` (the first when None) that
    holds a non-empty cell (a value, a non-blank text or a formula); 0 for an empty sheet.

    Found by streaming the sheet's XML, independently of the reader and of the
    ``<dimension>`` tag: the row-accounting check compares it with the rows read.
    """
    return scan_sheet(path, sheet).last_row
