"""What a pull writes and returns: the fetched deals as an export file of the shipped
column map's format, stored through :func:`~pipereview.history.ingest_week` (every check,
the quarantine, the atomic write); the history files for backfill; the deals deleted or
merged in the CRM.

>>> removed = pd.DataFrame({"deal_id": ["0061", "0062", "9"], "how": ["deleted", "deleted",
...     "merged"], "into": ["", "", "7"], "at": ["2026-12-01T09:00:00Z"] * 3})
>>> removed_summary(removed, "HubSpot")
'2 deals deleted in HubSpot since last week; 1 merged into another'
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipereview.core._files import atomic_write
from pipereview.core._weeks import Week
from pipereview.history._intake import WeekIngest, ingest_week
from pipereview.history._store import SnapshotStore
from pipereview.ingest._limits import ReadLimits

__all__ = [
    "HISTORY_COLUMNS",
    "REMOVED_COLUMNS",
    "PullResult",
    "removed_summary",
    "store_pull",
    "write_csv",
]

#: The generic long format of deal history (the HubSpot history file, the removals).
HISTORY_COLUMNS = ("deal_id", "field", "old_value", "new_value", "changed_at")
#: The deals a pull found deleted or merged in the CRM (``PullResult.removed``).
REMOVED_COLUMNS = ("deal_id", "how", "into", "at")

ProgressFactory = Callable[[], AbstractContextManager[Any]]


@dataclass(frozen=True)
class PullResult:
    """One pull: the stored week (:class:`~pipereview.history.WeekIngest`), the CRM, the
    deals fetched, the export file kept (``--keep-files``), the history files written,
    the deals deleted or merged since the week before (:data:`REMOVED_COLUMNS`), and the
    requests retried."""

    crm: str
    stored: WeekIngest
    deals: int
    export_file: Path | None
    history_files: tuple[Path, ...]
    removed: pd.DataFrame
    retries: int

    def summary(self) -> str:
        """What happened to the deals since last week, in a sentence."""
        return removed_summary(self.removed, self.crm)


def removed_summary(removed: pd.DataFrame, crm: str) -> str:
    """``"3 deals deleted in Salesforce since last week; 1 merged into another"``."""
    deleted = int((removed["how"] == "deleted").sum()) if len(removed) else 0
    merged = int((removed["how"] == "merged").sum()) if len(removed) else 0
    if not deleted and not merged:
        return f"no deals deleted or merged in {crm} since last week"
    text = f"{deleted} deal{'s' if deleted != 1 else ''} deleted in {crm} since last week"
    if merged:
        text += f"; {merged} merged into {'another' if merged == 1 else 'others'}"
    return text


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    """``rows`` under ``header`` as a UTF-8 CSV written whole (the old file stays when the
    write fails); None as an empty cell, booleans as ``true``/``false`` as Data Loader
    writes them.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "h.csv"
    >>> print(write_csv(path, ["Id", "IsDeleted"], [["0061", False], ["0062", None]])
    ...       .read_text(), end="")
    Id,IsDeleted
    0061,false
    0062,
    """
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([[_cell(value) for value in row] for row in rows])
    with atomic_write(Path(path), "wb") as handle:
        handle.write(text.getvalue().encode("utf-8"))
    return Path(path)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def store_pull(
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    name: str,
    week: Week,
    column_map: str,
    store: str | Path | SnapshotStore | None,
    team: str | None,
    keep_files: str | Path | None,
    replace: bool,
    add: bool,
    progress: ProgressFactory | None,
    limits: ReadLimits | None,
    removed: pd.DataFrame | None = None,
) -> tuple[WeekIngest, Path | None]:
    """Write the fetched deals as ``name`` (in ``keep_files`` or a temporary folder) and
    store them as ``week`` with ``column_map``, with the deals the CRM deleted or merged
    (``removed``, recorded with the week): the stored week and the file kept."""
    options = {
        "store": store,
        "team": team,
        "replace": replace,
        "add": add,
        "progress": progress,
        "limits": limits,
        "removed": removed,
    }
    if keep_files is not None:
        folder = Path(keep_files)
        folder.mkdir(parents=True, exist_ok=True)
        path = write_csv(folder / name, header, rows)
        return _ingest(path, week, column_map, options), path
    with tempfile.TemporaryDirectory(prefix="pipereview-pull-") as temporary:
        path = write_csv(Path(temporary) / name, header, rows)
        return _ingest(path, week, column_map, options), None


def _ingest(path: Path, week: Week, column_map: str, options: dict[str, Any]) -> WeekIngest:
    return ingest_week([path], week=week, column_map=column_map, encoding="utf-8", **options)
