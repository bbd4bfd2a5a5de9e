r"""Tables written for people to open in Excel or a spreadsheet: CSV and XLSX, safe to open.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
read by Excel and LibreOffice as a formula (CSV/formula injection: a deal called
``=HYPERLINK("http://…")`` would run when the manager opens the file). Spreadsheets also
trim leading spaces and read full-width forms (``＝``, ``＋``, ``－``, ``＠``, as an input
method types them) as the ASCII ones, so the test is made on the text as a spreadsheet
sees it: Unicode compatibility forms folded (NFKC), leading spaces, tabs and invisible
format characters dropped. Such text is written with a leading apostrophe, which
spreadsheets show as plain text; numbers stay numbers. Control characters (NUL and the
rest of C0 but tab, line feed and carriage return; U+FFFE, U+FFFF, lone surrogates),
which an XLSX file cannot hold, become U+FFFD in every writer. In a CSV every text is
quoted: a carriage return or a ``;`` inside a cell (the list separator of German or
French Excel) then never starts a new row or cell whose text could be read as a
formula. Files are written atomically (temporary file, then rename).

>>> frame = pd.DataFrame({"deal": ["=1+2", "MES rollout", "-5 discount"], "amount": [-5.0, 1.0, 2.0]})
>>> safe_cells(frame)["deal"].tolist()
["'=1+2", 'MES rollout', "'-5 discount"]
>>> safe_cells(frame)["amount"].tolist()
[-5.0, 1.0, 2.0]
>>> safe_cells(pd.DataFrame({"deal": ["＝1+2", " =1", "\t@x", "a\x00b"]}))["deal"].tolist()
["'＝1+2", "' =1", "'\t@x", 'a�b']
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from pathlib import Path
from typing import Any

import pandas as pd

from pipereview.core._errors import InputError

__all__ = [
    "FORMULA_STARTS",
    "MAX_COLUMN_WIDTH",
    "clean_text",
    "display_width",
    "safe_cells",
    "starts_formula",
    "table_bytes",
    "write_table",
]

#: First characters that make a spreadsheet read a cell's text as a formula.
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
#: What an XLSX cell cannot hold (XML 1.0): C0 controls but tab, line feed and carriage
#: return, U+FFFE, U+FFFF and lone surrogates.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def clean_text(text: str) -> str:
    r"""``text`` with each character a spreadsheet file cannot hold replaced by U+FFFD.

    >>> clean_text("MES\x00 rollout\x1b"), clean_text("a\tb\nc")
    ('MES� rollout�', 'a\tb\nc')
    """
    return _ILLEGAL.sub("\ufffd", text)


def _leading_blank(char: str) -> bool:
    """True for what a spreadsheet passes over before a formula: spaces (any width),
    control and invisible format characters (zero-width space, BOM, direction marks)."""
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def starts_formula(text: str) -> bool:
    r"""True when a spreadsheet may read ``text`` as a formula: after Unicode compatibility
    folding (NFKC) and without leading blanks it starts with ``=``, ``+``, ``-`` or
    ``@``, or it starts with a tab or carriage return.

    >>> [starts_formula(t) for t in ("=1", "＝1", " =1", "\u200b+1", "1-2", "'=1", "\t")]
    [True, True, True, True, False, False, True]
    """
    if text.startswith(FORMULA_STARTS):
        return True
    folded = unicodedata.normalize("NFKC", text)
    position = 0
    while position < len(folded) and _leading_blank(folded[position]):
        position += 1
    return folded[position:].startswith(FORMULA_STARTS)


def _neutral(value: object) -> object:
    if isinstance(value, str):
        value = clean_text(value)
        return "'" + value if starts_formula(value) else value
    return value


def safe_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot be read as formulas (see the module
    docstring); column names are made safe too. Numbers, dates and missing values are
    unchanged."""
    out = frame.copy()
    for column in out.columns:
        if not (
            pd.api.types.is_numeric_dtype(out[column])
            or pd.api.types.is_datetime64_any_dtype(out[column])
        ):
            out[column] = out[column].map(_neutral).astype(object)
    out.columns = [_neutral(str(c)) for c in out.columns]
    return out


def table_bytes(frame: pd.DataFrame, fmt: str) -> bytes:
    """``frame`` as the bytes of a ``csv`` (UTF-8 with a BOM, so Excel reads Chinese) or
    ``xlsx`` file, made safe by :func:`safe_cells` (texts quoted in a CSV, numbers not).

    >>> data = table_bytes(pd.DataFrame({"a": ["=x", "b;=y"], "n": [-1.5, 2.0]}), "csv")
    >>> print(data.decode("utf-8-sig"), end="")
    "a","n"
    "'=x",-1.5
    "b;=y",2.0
    """
    safe = safe_cells(frame)
    if fmt == "csv":
        return safe.to_csv(index=False, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n").encode(
            "utf-8-sig"
        )
    if fmt == "xlsx":
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            safe.to_excel(writer, index=False, sheet_name="actions")
            _spreadsheet_look(writer.sheets["actions"], safe)
        return buffer.getvalue()
    raise InputError(
        f"format must be 'csv' or 'xlsx', got {fmt!r}",
        expected="csv or xlsx",
        hint="pass 'csv' or 'xlsx' (write_table takes it from the file's suffix: "
        "name the file .csv or .xlsx)",
    )


#: The widest a column of a written spreadsheet opens, in characters (longer texts wrap
#: in the cell when the reader widens it).
MAX_COLUMN_WIDTH = 60


def display_width(text: str) -> int:
    """The width of ``text`` in a spreadsheet's character units: a CJK or full-width
    character takes two.

    >>> display_width("Ann"), display_width("张伟"), display_width("Q4：目标")
    (3, 4, 8)
    """
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _spreadsheet_look(sheet: Any, frame: pd.DataFrame) -> None:
    """What a reader expects of a spreadsheet: the header row frozen and filtered, each
    column as wide as its longest value (at most :data:`MAX_COLUMN_WIDTH`), dates as dates."""
    from openpyxl.utils import get_column_letter

    sheet.freeze_panes = "A2"
    if len(frame.columns):
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(frame.columns))}{len(frame) + 1}"
    for number, column in enumerate(frame.columns, start=1):
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            texts = ["2026-12-31"]
            for (cell,) in sheet.iter_rows(
                min_row=2, min_col=number, max_col=number, max_row=len(frame) + 1
            ):
                cell.number_format = "YYYY-MM-DD"
        elif pd.api.types.is_float_dtype(values):
            texts = [f"{v:,.2f}" for v in values.dropna()]
        else:
            texts = [str(v) for v in values.dropna()]
        widest = max([display_width(str(column)), *(display_width(t) for t in texts)])
        sheet.column_dimensions[get_column_letter(number)].width = min(MAX_COLUMN_WIDTH, widest + 2)


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` to ``path`` (``.csv`` or ``.xlsx``, by suffix) atomically, made safe
    by :func:`safe_cells`; return the path."""
    from pipereview.history._store import atomic_write

    target = Path(path)
    data = table_bytes(frame, target.suffix.lstrip(".").lower())
    with atomic_write(target, "wb") as handle:
        handle.write(data)
    return target
