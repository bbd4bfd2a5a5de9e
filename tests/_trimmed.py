"""A sample export cut to its first records: the same columns, values and CRM as the
sample's, small enough for a test of an error path (where the deals' number changes
nothing) to run a command over it quickly."""

from __future__ import annotations

import csv
import io
from pathlib import Path


def trimmed_export(source: Path, folder: Path, records: int = 30) -> Path:
    """``source`` (a UTF-8 CSV export of the sample) with its header and first ``records``
    records, written as ``folder / source.name``.

    >>> import tempfile
    >>> sample = Path(__file__).resolve().parents[1] / "data" / "samples" / "exports"
    >>> cut = trimmed_export(sample / "2026-W47" / "north.csv", Path(tempfile.mkdtemp()), 3)
    >>> len(cut.read_text(encoding="utf-8-sig").splitlines())
    4
    """
    rows = list(csv.reader(io.StringIO(source.read_text(encoding="utf-8-sig"), newline="")))
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows[: records + 1])
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    target.write_text(out.getvalue(), encoding="utf-8-sig")
    return target
