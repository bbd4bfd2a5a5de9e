"""The week's companion exports (activities, leads, invoices) in the snapshot store.

Each kind is stored per week beside the deals, one Parquet file holding every team's
rows, with a record of its SHA-256, its size and where each team's rows came from::

    companions/activities/2026-W47.parquet   the activities of every team stored that week
    companions/activities/2026-W47.json      its checksum and sources

A team's rows are replaced only with ``replace``; another team's export of the same kind
and week is added beside them. The file and its record are written whole (temporary
file, then rename) under the store's lock, and the rows an export could not use are
written to the week's quarantine folder. A review as of a week reads, per kind, the
latest week stored at or before it (:func:`read_companions`).

>>> import tempfile
>>> from pipereview.history._store import SnapshotStore
>>> store = SnapshotStore(tempfile.mkdtemp())
>>> read_companions(store, "2026-W47").available()
()
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipereview.core._errors import DamagedWeekError, InputError, InvalidWeekError
from pipereview.core._files import atomic_write
from pipereview.core._weeks import Week
from pipereview.history._companions import Companions, teams_of_rows
from pipereview.history._intake import quarantine_name
from pipereview.history._sidefiles import record_sources, write_problems
from pipereview.history._store import SnapshotStore
from pipereview.history._weekfiles import sha256_file
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
        where = f"; rows set aside: {self.quarantine_file}" if self.quarantine_file else ""
        return (
            f"stored {self.week} {self.kind}: {self.rows} rows for "
            f"{', '.join(self.teams)} -> {self.path}{where}"
        )


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
    frame = _with_team(export, team, store, week)
    teams = tuple(sorted(frame["team"].unique().tolist()))
    path = _path(store, export.kind, week)
    with store.lock():
        old, record = _read(path, export.kind, week)
        if old is not None:
            if not replace:
                _refuse_stored(export, week, set(teams) & set(old["team"]), record)
            frame = pd.concat([old[~old["team"].isin(teams)], frame], ignore_index=True)
        sources = [s for s in record.get("sources", []) if s["team"] not in teams]
        sources += [_source(export, t) for t in teams]
        quarantine = write_problems(
            store, week, f"{export.kind}.{quarantine_name(export.source)}", export.problems
        )
        _write(store, path, frame, {"kind": export.kind, "week": str(week), "sources": sources})
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
    seen: dict[tuple[str, str], CompanionExport] = {}
    for export in exports:
        teams = set(_with_team(export, team, store, week)["team"])
        for name in sorted(teams):
            earlier = seen.setdefault((export.kind, name), export)
            if earlier is not export:
                raise InputError(
                    f"{earlier.source} and {export.source} both give the {export.kind} of "
                    f"{name} for {week}",
                    file=export.source,
                    expected=f"one {export.kind} export per team and week",
                    hint="store one of them, or combine them into one file first",
                )
        old, record = _read(_path(store, export.kind, week), export.kind, week)
        if old is not None and not replace:
            _refuse_stored(export, week, teams & set(old["team"]), record)


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
        for stored in reversed([w for w in _stored_weeks(store, kind) if w <= week]):
            frame, record = _read(_path(store, kind, stored), kind, stored)
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
        for stored in _stored_weeks(store, kind):
            if stored <= week:
                record_path = _path(store, kind, stored).with_suffix(".json")
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
    rows: list[dict[str, Any]] = []
    for kind in COMPANION_KINDS:
        for week in _stored_weeks(store, kind):
            frame, record = _read(_path(store, kind, week), kind, week)
            if frame is None:
                continue
            for team, count in frame["team"].value_counts().sort_index().items():
                files = sorted({s["file"] for s in record.get("sources", []) if s["team"] == team})
                rows.append(
                    {
                        "kind": kind,
                        "week": str(week),
                        "team": team,
                        "rows": int(count),
                        "files": ", ".join(Path(f).name for f in files),
                    }
                )
    return pd.DataFrame(rows, columns=["kind", "week", "team", "rows", "files"])


def _refuse_stored(
    export: CompanionExport, week: Week, clash: set[str], record: Mapping[str, Any]
) -> None:
    if clash:
        raise InputError(
            f"{week} already holds {export.kind} of {', '.join(sorted(clash))} "
            f"(stored from {', '.join(record_sources(record, clash))})",
            file=export.source,
            expected=f"{export.kind} of a team not yet stored for {week}",
            hint="add --replace to replace that team's rows with this export",
        )


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


def _path(store: SnapshotStore, kind: str, week: Week) -> Path:
    return store.root / COMPANION_FOLDER / kind / f"{week}.parquet"


def _stored_weeks(store: SnapshotStore, kind: str) -> list[Week]:
    folder = store.root / COMPANION_FOLDER / kind
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob("*.parquet"):
        try:
            found.append(Week.parse(path.stem))
        except InvalidWeekError:
            continue
    return sorted(found)


def _read(path: Path, kind: str, week: Week) -> tuple[pd.DataFrame | None, dict[str, Any]]:
    """The stored rows and record at ``path`` (``None`` and ``{}`` when none is stored),
    the file checked against its record."""
    record_path = path.with_suffix(".json")
    if not path.exists():
        return None, {}
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        intact = record.get("sha256") == sha256_file(path)
    except (OSError, ValueError) as exc:
        raise _damaged(week, path, kind, f"its record cannot be read ({exc})") from None
    if not intact:
        raise _damaged(week, path, kind, "its checksum differs from the one recorded")
    return pd.read_parquet(path), record


def _damaged(week: Week, path: Path, kind: str, why: str) -> DamagedWeekError:
    return DamagedWeekError(
        f"the {kind} stored for {week} ({path}) are damaged: {why}",
        path=path,
        reason=why,
        hint=f"store the week's {kind} export again with --replace",
    )


def _write(store: SnapshotStore, path: Path, frame: pd.DataFrame, record: dict[str, Any]) -> None:
    """The file and its record, each written whole: the record first, so a kill between
    the renames leaves a file whose checksum no longer matches (reported, never read)."""
    frame = frame.sort_values(["team", "source_file", "source_row"], kind="stable")
    buffer = io.BytesIO()
    frame.reset_index(drop=True).to_parquet(buffer, index=False)
    data = buffer.getvalue()
    record = {**record, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    with atomic_write(path.with_suffix(".json"), "w", encoding="utf-8", within=store.root) as out:
        json.dump(record, out, ensure_ascii=False, sort_keys=True)
    with atomic_write(path, within=store.root) as handle:
        handle.write(data)


def _source(export: CompanionExport, team: str) -> dict[str, Any]:
    rows = export.frame[export.frame["team"].isna() | (export.frame["team"] == team)]
    return {
        "team": team,
        "file": str(export.source),
        "crm": export.crm,
        "rows": len(rows),
        "rows_read": export.rows_read,
        "rows_quarantined": export.rows_quarantined,
        "rows_skipped": export.rows_skipped,
        "missing": list(export.missing),
    }
