"""The week's companion exports (activities, leads, invoices) in the snapshot store.

Each kind is stored per week beside the deals, one Parquet file holding every team's
rows, with a record of its SHA-256, its size and where each team's rows came from::

    companions/activities/2026-W47.parquet   the activities of every team stored that week
    companions/activities/2026-W47.json      its checksum and sources

A team's rows are replaced only with ``replace``; another team's export of the same kind
and week is added beside them. The file and its record are written whole (temporary
file, then rename) under the store's lock, and the rows an export could not use are
written to the week's quarantine folder (all by the store mechanism of the files
beside the deals, :mod:`pipereview.history._sidefiles`). A review as of a week reads, per
kind, the latest week stored at or before it (:func:`read_companions`).

>>> import tempfile
>>> from pipereview.history._store import SnapshotStore
>>> store = SnapshotStore(tempfile.mkdtemp())
>>> read_companions(store, "2026-W47").available()
()
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipereview.core._errors import InputError
from pipereview.core._weeks import Week
from pipereview.history._companions import Companions, teams_of_rows
from pipereview.history._sidefiles import (
    SideFile,
    WeekRows,
    check_week_rows,
    store_week_rows,
    stored_line,
)
from pipereview.history._store import SnapshotStore
from pipereview.ingest._companionformats import COMPANION_KINDS
from pipereview.ingest._companions import CompanionExport

__all__ = [
    "COMPANION_FOLDER",
    "CompanionStored",
    "check_companions",
    "companion_records",
    "companion_summary",
    "read_companions",
    "store_companion",
]

#: The store's folder of companion exports (one subfolder per kind).
COMPANION_FOLDER = "companions"
#: Each kind as a weekly file stored beside the deals.
_SIDES = {
    kind: SideFile(
        kind,
        f"{COMPANION_FOLDER}/{kind}",
        kind,
        f"{kind} export",
        "rows",
        "export",
        order=("team", "source_file", "source_row"),
        labelled=True,
    )
    for kind in COMPANION_KINDS
}


@dataclass(frozen=True)
class CompanionStored:
    """What :func:`store_companion` stored: the kind, the week, the file, the teams whose
    rows it holds now, the rows stored from this export and its quarantine file."""

    kind: str
    week: str
    path: Path
    teams: tuple[str, ...]
    rows: int
    quarantine_file: Path | None

    def summary(self) -> str:
        """One line for the terminal."""
        what = f"{self.week} {self.kind}"
        return stored_line(what, self.rows, "rows", self.teams, [self.path], self.quarantine_file)


def store_companion(
    store: SnapshotStore | str | Path,
    week: str | Week,
    export: CompanionExport,
    *,
    team: str | None = None,
    replace: bool = False,
) -> CompanionStored:
    """Store one companion export as ``week``'s rows of its kind.

    ``team`` names the team of the rows whose export has no team column. A team whose
    rows of this kind the week already holds is refused unless ``replace``; nothing is
    written when refused.
    """
    store = store if isinstance(store, SnapshotStore) else SnapshotStore(store)
    week = Week.parse(str(week))
    part = _week_rows(export, team, store, week)
    [(path, frame)], quarantine = store_week_rows(store, week, [part], replace=replace)
    return CompanionStored(
        export.kind,
        str(week),
        path,
        tuple(sorted(frame["team"].unique().tolist())),
        len(export.frame),
        quarantine,
    )


def check_companions(
    store: SnapshotStore | str | Path,
    week: str | Week,
    exports: Iterable[CompanionExport],
    *,
    team: str | None = None,
    replace: bool = False,
) -> None:
    """Refuse, before anything is stored, what :func:`store_companion` would refuse for one
    of ``exports``: rows without a team, a team's rows of a kind the week already holds
    (unless ``replace``), or two of the exports giving the same team's rows of one kind."""
    store = store if isinstance(store, SnapshotStore) else SnapshotStore(store)
    week = Week.parse(str(week))
    parts = (_week_rows(export, team, store, week) for export in exports)
    check_week_rows(store, parts, replace=replace)


def read_companions(
    store: SnapshotStore | str | Path, week: str | Week, *, team: str | None = None
) -> Companions:
    """Per kind and team, the rows of the latest week stored at or before ``week`` that
    holds that team's rows (``team``'s only when given)."""
    store = store if isinstance(store, SnapshotStore) else SnapshotStore(store)
    week = Week.parse(str(week))
    frames: dict[str, pd.DataFrame] = {}
    weeks: dict[str, str] = {}
    missing: dict[str, tuple[str, ...]] = {}
    for kind in COMPANION_KINDS:
        parts: list[pd.DataFrame] = []
        lacking: list[set[str]] = []
        done: set[str] = set()
        for stored in reversed([w for w in _SIDES[kind].weeks(store) if w <= week]):
            frame, record = _SIDES[kind].read(store, stored)
            if frame is None:
                continue
            keep = ~frame["team"].isin(done) & (frame["team"] == team if team else True)
            if not keep.any():
                continue
            parts.append(frame[keep])
            new = set(frame.loc[keep, "team"])
            lacking += [set(s.get("missing", [])) for s in record["sources"] if s["team"] in new]
            done |= new
            weeks.setdefault(kind, str(stored))  # the latest week of the kind's rows
        if parts:
            frames[kind] = pd.concat(parts, ignore_index=True)
            missing[kind] = tuple(sorted(set.intersection(*lacking))) if lacking else ()
    return Companions(**frames, weeks=weeks, missing=missing)


def companion_records(store: SnapshotStore | str | Path, week: str | Week) -> list[dict[str, str]]:
    """The kind, week and SHA-256 of every companion file stored up to ``week`` (what a
    batch's reports depend on besides the deals).

    >>> import tempfile
    >>> companion_records(tempfile.mkdtemp(), "2026-W47")
    []
    """
    store = store if isinstance(store, SnapshotStore) else SnapshotStore(store)
    week = Week.parse(str(week))
    records = []
    for kind in COMPANION_KINDS:
        for stored in _SIDES[kind].weeks(store):
            if stored <= week:
                record_path = _SIDES[kind].path(store, stored).with_suffix(".json")
                try:
                    sha = json.loads(record_path.read_text(encoding="utf-8")).get("sha256", "")
                except (OSError, ValueError):
                    sha = "unreadable"
                records.append({"kind": kind, "week": str(stored), "sha256": str(sha)})
    return records


def companion_summary(store: SnapshotStore | str | Path) -> pd.DataFrame:
    """One row per stored kind, week and team: the rows and the files they came from.

    >>> import tempfile
    >>> companion_summary(tempfile.mkdtemp()).columns.tolist()
    ['kind', 'week', 'team', 'rows', 'files']
    """
    store = store if isinstance(store, SnapshotStore) else SnapshotStore(store)
    rows = [
        {"kind": kind, "week": str(week), "team": team, "rows": len(part), "files": files}
        for kind in COMPANION_KINDS
        for week, team, part, files in _SIDES[kind].stored_teams(store)
    ]
    return pd.DataFrame(rows, columns=["kind", "week", "team", "rows", "files"])


def _with_team(
    export: CompanionExport, team: str | None, store: SnapshotStore, week: Week
) -> pd.DataFrame:
    """The export's rows with a team each: the export's own team column, else ``team``,
    else the team of the row's deal or rep in the latest deals week stored up to
    ``week`` (:func:`teams_of_rows`); refused when a row is left without one."""
    frame = export.frame.copy()
    if team is not None:
        frame["team"] = frame["team"].where(frame["team"].notna(), team)
    if frame["team"].isna().any():
        weeks = [w for w in store.weeks() if Week.parse(w) <= week]
        if weeks:
            deals = store.read(weeks[-1], columns=["team", "deal_id", "owner"])
            frame["team"] = frame["team"].where(frame["team"].notna(), teams_of_rows(frame, deals))
    blank = frame.index[frame["team"].isna()]
    if len(blank):
        first = frame.loc[blank[0]]
        owners = sorted({str(o) for o in frame.loc[blank, "owner"].dropna()})[:3]
        raise InputError(
            f"{export.source}: {len(blank)} of {len(frame)} {export.kind} rows have no team "
            f"and neither their deal nor their rep is in a team of the deals stored up to "
            f"{week} (first: row {first['source_row']}"
            + (f"; reps: {', '.join(owners)}" if owners else "")
            + ")",
            file=export.source,
            row=int(first["source_row"]),
            column="team",
            expected="a team for every row",
            hint="name the team of the export's rows with --team, add a team column, or "
            "store the week's deals export first",
        )
    return frame


def _week_rows(
    export: CompanionExport, team: str | None, store: SnapshotStore, week: Week
) -> WeekRows:
    """The export's rows as ``week``'s of its kind, each with its team (:func:`_with_team`);
    a team's source counts the export's rows of that team or of none."""
    frame = _with_team(export, team, store, week)
    own = export.frame["team"]
    counts = {t: int((own.isna() | (own == t)).sum()) for t in set(frame["team"])}
    return WeekRows(_SIDES[export.kind], week, frame, export, counts, {"crm": export.crm})
