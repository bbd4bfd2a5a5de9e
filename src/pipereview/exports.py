"""Tables written for people to open in Excel or a spreadsheet: CSV and XLSX, safe to open.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
read by Excel and LibreOffice as a formula (CSV/formula injection: a deal called
``=HYPERLINK("http://…")`` would run when the manager opens the file). Such text is
written with a leading apostrophe, which spreadsheets show as plain text; numbers stay
numbers. In a CSV every text is quoted: a carriage return or a ``;`` inside a cell
(the list separator of German or French Excel) then never starts a new row or cell
whose text could be read as a formula. Files are written atomically (temporary file,
then rename).

>>> frame = pd.DataFrame({"deal": ["=1+2", "MES rollout", "-5 discount"], "amount": [-5.0, 1.0, 2.0]})
>>> safe_cells(frame)["deal"].tolist()
["'=1+2", 'MES rollout', "'-5 discount"]
>>> safe_cells(frame)["amount"].tolist()
[-5.0, 1.0, 2.0]
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

__all__ = ["FORMULA_STARTS", "safe_cells", "table_bytes", "write_table"]

#: First characters that make a spreadsheet read a cell's text as a formula.
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def _neutral(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot be read as formulas (see the module
    docstring); column names are made safe too. Numbers, dates and missing values are
    unchanged."""
    out = frame.copy()
    for column in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[column])
                or pd.api.types.is_datetime64_any_dtype(out[column])):
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
        return safe.to_csv(index=False, quoting=csv.QUOTE_NONNUMERIC,
                           lineterminator="\n").encode("utf-8-sig")
    if fmt == "xlsx":
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            safe.to_excel(writer, index=False, sheet_name="actions")
        return buffer.getvalue()
    raise ValueError(f"format must be 'csv' or 'xlsx', got {fmt!r}")


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` to ``path`` (``.csv`` or ``.xlsx``, by suffix) atomically, made safe
    by :func:`safe_cells`; return the path."""
    from pipereview.store import atomic_write

    target = Path(path)
    data = table_bytes(frame, target.suffix.lstrip(".").lower())
    with atomic_write(target, "wb") as handle:
        handle.write(data)
    return target
