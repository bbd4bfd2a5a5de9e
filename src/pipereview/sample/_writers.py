"""Writing an export table to a file: a CSV in the CRM's encoding, or a byte-stable XLSX.

Same table, same bytes: the CSV has minimal quoting and "\\n" line ends, the XLSX fixed
document times, zip entry dates and entry order.

>>> import tempfile
>>> path = Path(tempfile.mkdtemp()) / "deals.csv"
>>> _ = write_csv({"Deal": np.array(["A, Inc.", "B"]), "Amount": np.array([1, 2])}, path, "utf-8")
>>> path.read_text(encoding="utf-8")
'Deal,Amount\\n"A, Inc.",1\\nB,2\\n'
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from pathlib import Path

import numpy as np

from pipereview.sample._dates import Date
from pipereview.sample._formats import Columns

__all__ = ["write_csv", "write_xlsx"]

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_CSV_CHUNK = 50_000


def write_csv(columns: Columns, path: Path, encoding: str) -> Path:
    """CSV with minimal quoting and "\\n" line ends; the csv module loops in C."""
    arrays = [np.asarray(c) for c in columns.values()]
    rows = len(arrays[0]) if arrays else 0
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(list(columns))
        for start in range(0, rows, _CSV_CHUNK):  # chunks bound the memory of huge exports
            chunk = [a[start : start + _CSV_CHUNK].tolist() for a in arrays]
            writer.writerows(zip(*chunk, strict=True))
    return path


def write_xlsx(
    columns: Columns, path: Path, stamp: datetime.datetime, sheet_title: str = "Opportunities"
) -> None:
    """An XLSX with fixed document times and zip entry dates: same table, same bytes."""
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title
    sheet.append(list(columns))
    lists = [c.tolist() if isinstance(c, np.ndarray) else list(c) for c in columns.values()]
    for row in zip(*lists, strict=True):
        sheet.append([None if v == "" else v for v in row])
    for index, values in enumerate(lists, start=1):
        first = next((v for v in values if v not in (None, "")), None)
        fmt = (
            "DD.MM.YYYY"
            if isinstance(first, Date)
            else "#,##0.00"
            if isinstance(first, float)
            else None
        )
        if fmt:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = fmt
    book.properties.creator = "Microsoft Dynamics 365"
    book.properties.created = book.properties.modified = stamp
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).save()  # not save_workbook(), which stamps the time
    _rezip(raw.getvalue(), path)


def _rezip(data: bytes, path: Path) -> None:
    """Rewrite a zip with fixed entry dates and attributes, entries in a stable order."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        names = src.namelist()
        ordered = [n for n in names if n == "[Content_Types].xml"] + sorted(
            n for n in names if n != "[Content_Types].xml"
        )
        for name in ordered:
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            dst.writestr(info, src.read(name), compresslevel=6)
    path.write_bytes(out.getvalue())
