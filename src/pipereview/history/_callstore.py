"""The reps' and managers' forecast calls in the snapshot store, one file per week.

The calls of a week are stored beside its deals, every team's in one Parquet file, with a
record of its SHA-256, its size and where each team's calls came from::

    forecast_calls/2026-W47.parquet   the calls of every team made for that week
    forecast_calls/2026-W47.json      its checksum and sources

A team's calls of a week are replaced only with ``replace``; another team's are added
beside them. The file and its record are written whole (temporary file, then rename)
under the store's lock, and the rows a file could not use are written to the week's
quarantine folder. A bias needs the past: :func:`read_forecast_calls_stored` gives every
stored week's calls up to a week.

>>> import tempfile
>>> from pipereview.history._store import SnapshotStore
>>> store = SnapshotStore(tempfile.mkdtemp())
>>> len(read_forecast_calls_stored(store, "2026-W47"))
0
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipereview.core._errors import DamagedWeekError, InputError, InvalidWeekError
from pipereview.core._files import atomic_write
from pipereview.core._weeks import Week
from pipereview.history._intake import quarantine_name
from pipereview.history._sidefiles import record_sources, write_problems
from pipereview.history._store import SnapshotStore
from pipereview.history._weekfiles import sha256_file
from pipereview.ingest._forecastcalls import CALL_COLUMNS, CallsExport, read_forecast_calls

__all__ = [
    "CALLS_FOLDER",
    "CallsStored",
    "check_forecast_calls",
    "enter_forecast_call",
    "forecast_call_summary",
    "read_forecast_call_folder",
    "read_forecast_calls_stored",
    "review_calls",
    "store_forecast_calls",
    "stored_call",
]

#: The store's folder of forecast calls (one file per week).
CALLS_FOLDER = "forecast_calls"
_ORDER = ["week", "team", "level", "rep", "source_file", "source_row"]


@dataclass(frozen=True)
class CallsStored:
    """What :func:`store_forecast_calls` stored: the weeks written, the teams whose calls
    those weeks hold now, the calls stored from this file and its quarantine file."""

    weeks: tuple[str, ...]
    paths: tuple[Path, ...]
    teams: tuple[str, ...]
    rows: int
    quarantine_file: Path | None

    def summary(self) -> str:
        """One line for the terminal."""
        where = f"; rows set aside: {self.quarantine_file}" if self.quarantine_file else ""
        return (
            f"stored forecast calls of {', '.join(self.weeks)}: {self.rows} calls for "
            f"{', '.join(self.teams)} -> {', '.join(str(p) for p in self.paths)}{where}"
        )


def store_forecast_calls(
    store: SnapshotStore | str | Path,
    week: str | Week,
    export: CallsExport,
    *,
    replace: bool = False,
) -> CallsStored:
    """Store one calls file: each call under its own week (``week``: the week named on the
    command line, whose quarantine folder gets the rows set aside). A team whose calls of a
    week are stored already is refused unless ``replace``; nothing is written when refused.
    """
    store = store if isinstance(store, SnapshotStore) else SnapshotStore(store)
    week = Week.parse(str(week))
    written: list[Path] = []
    teams: set[str] = set()
    with store.lock():
        check_forecast_calls(store, [export], replace=replace)
        for name, rows in export.frame.groupby("week", sort=True):
            stored = Week.parse(str(name))
            path = _path(store, stored)
            old, record = _read(path, stored)
            new_teams = set(rows["team"])
            frame = rows
            if old is not None:
                frame = pd.concat([old[~old["team"].isin(new_teams)], rows], ignore_index=True)
            sources = [s for s in record.get("sources", []) if s["team"] not in new_teams]
            sources += [_source(export, rows, t) for t in sorted(new_teams)]
            _write(store, path, frame, {"week": str(stored), "sources": sources})
            written.append(path)
            teams |= set(frame["team"])
        quarantine = write_problems(
            store, week, f"forecast_calls.{quarantine_name(export.source)}", export.problems
        )
    return CallsStored(
        tuple(sorted(str(w) for w in export.frame["week"].unique())),
        tuple(written),
        tuple(sorted(teams)),
        len(export.frame),
        quarantine,
    )


def enter_forecast_call(store: SnapshotStore | str | Path, export: CallsExport) -> CallsStored:
    """Store one call entered by hand (``export``: the one row
    :func:`~pipereview.ingest._callentry.entered_call` reads) under its week, replacing
    only the same caller's call of that week (the rep's, or the team's manager call) and
    keeping every other call; the record names where it came from and when it was
    entered. Written as :func:`store_forecast_calls` writes, under the store's lock."""
    store = store if isinstance(store, SnapshotStore) else SnapshotStore(store)
    if len(export.frame) != 1:
        raise InputError(
            f"{len(export.frame)} calls given as one entered call",
            expected="exactly one call",
            hint="store a file of several calls with pipereview calls",
        )
    call = export.frame.iloc[0]
    week = Week.parse(str(call["week"]))
    path = _path(store, week)
    with store.lock():
        old, record = _read(path, week)
        frame = export.frame
        if old is not None:
            same = (old["team"] == call["team"]) & (old["level"] == call["level"])
            mine = old["rep"].isna() if call["rep"] is None else old["rep"] == call["rep"]
            frame = pd.concat([old[~(same & mine)], frame])  # the manager's call: no rep
        source = _source(export, export.frame, str(call["team"]))
        source |= {"rep": call["rep"], "entered": call["submitted"].isoformat()}
        sources = [*record.get("sources", []), source]
        _write(store, path, frame, {"week": str(week), "sources": sources})
    return CallsStored((str(week),), (path,), tuple(sorted(set(frame["team"]))), 1, None)


def stored_call(
    store: SnapshotStore | str | Path, week: str | Week, team: str, rep: str | None
) -> pd.Series | None:
    """The call of ``rep`` (blank: the manager's call for ``team``) stored for ``week``,
    with its ``source_file`` and ``submitted`` time; None when none is stored."""
    store = store if isinstance(store, SnapshotStore) else SnapshotStore(store)
    stored = Week.parse(str(week))
    frame, _ = _read(_path(store, stored), stored)
    if frame is None:
        return None
    mine = (frame["rep"] == rep) if rep else frame["rep"].isna() & (frame["level"] == "manager")
    found = frame[(frame["team"] == team) & mine]
    return found.iloc[-1] if len(found) else None


def check_forecast_calls(
    store: SnapshotStore | str | Path, exports: Iterable[CallsExport], *, replace: bool = False
) -> None:
    """Refuse, before anything is stored, what :func:`store_forecast_calls` would refuse: a
    team's calls of a week the store holds already (unless ``replace``), or two files giving
    the same team's calls of one week."""
    store = store if isinstance(store, SnapshotStore) else SnapshotStore(store)
    seen: dict[tuple[str, str], CallsExport] = {}
    for export in exports:
        for name, rows in export.frame.groupby("week", sort=True):
            teams = set(rows["team"])
            for team in sorted(teams):
                earlier = seen.setdefault((str(name), team), export)
                if earlier is not export:
                    raise InputError(
                        f"{earlier.source} and {export.source} both give the forecast calls "
                        f"of {team} for {name}",
                        file=export.source,
                        expected="one calls file per team and week",
                        hint="store one of them, or combine them into one file first",
                    )
            stored = Week.parse(str(name))
            old, record = _read(_path(store, stored), stored)
            clash = teams & set(old["team"]) if old is not None and not replace else set()
            if clash:
                raise InputError(
                    f"{name} already holds forecast calls of {', '.join(sorted(clash))} "
                    f"(stored from {', '.join(record_sources(record, clash))})",
                    file=export.source,
                    expected=f"forecast calls of a team not yet stored for {name}",
                    hint="add --replace to replace that team's calls with this file",
                )


def read_forecast_calls_stored(
    store: SnapshotStore | str | Path, up_to_week: str | Week, *, team: str | None = None
) -> pd.DataFrame:
    """Every stored week's calls up to ``up_to_week`` (``team``'s only when given), in the
    canonical columns (:data:`~pipereview.ingest._forecastcalls.CALL_COLUMNS`), ordered by
    week, team, level and rep; no row when none is stored."""
    store = store if isinstance(store, SnapshotStore) else SnapshotStore(store)
    last = Week.parse(str(up_to_week))
    parts = []
    for stored in _stored_weeks(store):
        if stored <= last:
            frame, _ = _read(_path(store, stored), stored)
            if frame is not None:
                parts.append(frame if team is None else frame[frame["team"] == team])
    return _joined(parts)


def read_forecast_call_folder(
    folder: str | Path, up_to_week: str | Week, *, team: str | None = None
) -> pd.DataFrame:
    """The calls of a folder of weekly calls files (``<week>.csv`` or ``.xlsx``, as the
    sample writes them beside its exports) up to ``up_to_week``, read without a store, in
    the columns :func:`read_forecast_calls_stored` gives; no row when the folder has none.
    A file with a row it cannot use is refused: store it with ``pipereview calls`` to keep
    its quarantine.

    >>> len(read_forecast_call_folder("no-such-folder", "2026-W47"))
    0
    """
    folder, last = Path(folder), Week.parse(str(up_to_week))
    files = sorted(folder.glob("*.csv")) + sorted(folder.glob("*.xlsx")) if folder.is_dir() else []
    parts = []
    for file in files:
        if not _is_week(file.stem) or Week.parse(file.stem) > last:
            continue
        export = read_forecast_calls(file, week=file.stem)
        if export.rows_quarantined:
            raise InputError(
                f"{file}: {export.rows_quarantined} row(s) of forecast calls cannot be used "
                f"(first: {export.problems[0]})",
                hint=f"store the file with `pipereview calls {file} --week {file.stem}` "
                "to keep the rows set aside, or mend them",
            )
        parts.append(export.frame if team is None else export.frame[export.frame["team"] == team])
    return _joined(parts)


def review_calls(
    week: str | Week,
    team: str,
    *,
    history_path: str | Path | None = None,
    store: str | Path | None = None,
    exports: str | Path | None = None,
) -> pd.DataFrame | None:
    """The forecast calls a review of ``team`` as of ``week`` reads, from where its history
    comes: the batch's shared ``forecast_calls.parquet`` beside ``history_path``, else the
    ``store``'s, else the ``forecast_calls`` folder beside ``exports``; None without any.

    >>> review_calls("2026-W47", "North", exports="no-such-folder/exports") is None
    True
    """
    if history_path:
        shared = Path(history_path).parent / "forecast_calls.parquet"
        calls = pd.read_parquet(shared) if shared.is_file() else None
    elif store:
        calls = read_forecast_calls_stored(store, week, team=team)
    elif exports:
        calls = read_forecast_call_folder(Path(exports).parent / CALLS_FOLDER, week, team=team)
    else:
        calls = None
    return calls if calls is not None and len(calls) else None


def _joined(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Weeks of calls as one frame in the canonical columns, blank text as None."""
    if not parts:
        return _empty()
    calls = pd.concat(parts, ignore_index=True).sort_values(_ORDER, kind="stable")
    calls = calls[list(CALL_COLUMNS)].reset_index(drop=True)
    for column in ("week", "period", "team", "level", "rep", "currency"):
        calls[column] = calls[column].astype("object").where(calls[column].notna(), None)
    return calls


def _is_week(name: str) -> bool:
    try:
        Week.parse(name)
    except InvalidWeekError:
        return False
    return True


def forecast_call_summary(store: SnapshotStore | str | Path) -> pd.DataFrame:
    """One row per stored week and team: the reps' calls, whether the manager called, the
    files they came from.

    >>> import tempfile
    >>> forecast_call_summary(tempfile.mkdtemp()).columns.tolist()
    ['week', 'team', 'rep calls', 'manager call', 'files']
    """
    store = store if isinstance(store, SnapshotStore) else SnapshotStore(store)
    rows: list[dict[str, Any]] = []
    for week in _stored_weeks(store):
        frame, record = _read(_path(store, week), week)
        if frame is None:
            continue
        for team, calls in frame.groupby("team", sort=True):
            files = sorted({s["file"] for s in record.get("sources", []) if s["team"] == team})
            rows.append(
                {
                    "week": str(week),
                    "team": team,
                    "rep calls": int((calls["level"] == "rep").sum()),
                    "manager call": "yes" if (calls["level"] == "manager").any() else "no",
                    "files": ", ".join(Path(f).name for f in files),
                }
            )
    return pd.DataFrame(rows, columns=["week", "team", "rep calls", "manager call", "files"])


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="object") for c in CALL_COLUMNS})
    for column in ("commit", "best_case", "pipeline"):
        frame[column] = frame[column].astype("float64")
    frame["submitted"] = frame["submitted"].astype("datetime64[ns]")
    return frame


def _path(store: SnapshotStore, week: Week) -> Path:
    return store.root / CALLS_FOLDER / f"{week}.parquet"


def _stored_weeks(store: SnapshotStore) -> list[Week]:
    folder = store.root / CALLS_FOLDER
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob("*.parquet"):
        try:
            found.append(Week.parse(path.stem))
        except InvalidWeekError:
            continue
    return sorted(found)


def _read(path: Path, week: Week) -> tuple[pd.DataFrame | None, dict[str, Any]]:
    """The stored calls and record at ``path`` (``None`` and ``{}`` when none is stored),
    the file checked against its record."""
    if not path.exists():
        return None, {}
    try:
        record = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        intact = record.get("sha256") == sha256_file(path)
    except (OSError, ValueError) as exc:
        raise _damaged(week, path, f"its record cannot be read ({exc})") from None
    if not intact:
        raise _damaged(week, path, "its checksum differs from the one recorded")
    return pd.read_parquet(path), record


def _damaged(week: Week, path: Path, why: str) -> DamagedWeekError:
    return DamagedWeekError(
        f"the forecast calls stored for {week} ({path}) are damaged: {why}",
        path=path,
        reason=why,
        hint="store the week's calls file again with --replace",
    )


def _write(store: SnapshotStore, path: Path, frame: pd.DataFrame, record: dict[str, Any]) -> None:
    """The file and its record, each written whole: the record first, so a kill between
    the renames leaves a file whose checksum no longer matches (reported, never read)."""
    frame = frame.sort_values(_ORDER, kind="stable", na_position="first")
    buffer = io.BytesIO()
    frame.reset_index(drop=True).to_parquet(buffer, index=False)
    data = buffer.getvalue()
    record = {**record, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    with atomic_write(path.with_suffix(".json"), "w", encoding="utf-8", within=store.root) as out:
        json.dump(record, out, ensure_ascii=False, sort_keys=True)
    with atomic_write(path, within=store.root) as handle:
        handle.write(data)


def _source(export: CallsExport, rows: pd.DataFrame, team: str) -> dict[str, Any]:
    return {
        "team": team,
        "file": str(export.source),
        "rows": int((rows["team"] == team).sum()),
        "rows_read": export.rows_read,
        "rows_quarantined": export.rows_quarantined,
        "rows_skipped": export.rows_skipped,
        "missing": list(export.missing),
    }
