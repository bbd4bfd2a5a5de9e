"""The reps' and managers' forecast calls in the snapshot store, one file per week.

The calls of a week are stored beside its deals, every team's in one Parquet file, with a
record of its SHA-256, its size and where each team's calls came from::

    forecast_calls/2026-W47.parquet   the calls of every team made for that week
    forecast_calls/2026-W47.json      its checksum and sources

A team's calls of a week are replaced only with ``replace``; another team's are added
beside them. The file and its record are written whole (temporary file, then rename)
under the store's lock, and the rows a file could not use are written to the week's
quarantine folder (all by the store mechanism of the files beside the deals,
:mod:`pipereview.history._sidefiles`). A bias needs the past:
:func:`read_forecast_calls_stored` gives every stored week's calls up to a week.

>>> import tempfile
>>> from pipereview.history._store import SnapshotStore
>>> store = SnapshotStore(tempfile.mkdtemp())
>>> len(read_forecast_calls_stored(store, "2026-W47"))
0
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipereview.core._errors import InputError
from pipereview.core._weeks import Week
from pipereview.history._sidefiles import (
    SideFile,
    WeekRows,
    check_week_rows,
    store_week_rows,
    stored_line,
)
from pipereview.history._store import SnapshotStore
from pipereview.history._weekfiles import is_week
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
#: The forecast calls as a weekly file stored beside the deals.
_CALLS = SideFile(
    "forecast_calls",
    CALLS_FOLDER,
    "forecast calls",
    "calls file",
    "calls",
    "file",
    order=tuple(_ORDER),
    blank_first=True,
)


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
        what = f"forecast calls of {', '.join(self.weeks)}"
        return stored_line(what, self.rows, "calls", self.teams, self.paths, self.quarantine_file)


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
    written, quarantine = store_week_rows(
        store, Week.parse(str(week)), _week_rows(export), replace=replace
    )
    return CallsStored(
        tuple(sorted(str(w) for w in export.frame["week"].unique())),
        tuple(path for path, _ in written),
        tuple(sorted({t for _, frame in written for t in frame["team"]})),
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
    team = str(call["team"])
    with store.lock():
        old, record = _CALLS.read(store, week)
        frame = export.frame
        if old is not None:
            same = (old["team"] == call["team"]) & (old["level"] == call["level"])
            mine = old["rep"].isna() if call["rep"] is None else old["rep"] == call["rep"]
            frame = pd.concat([old[~(same & mine)], frame])  # the manager's call: no rep
        (source,) = WeekRows(_CALLS, week, export.frame, export, {team: 1}).sources()
        source |= {"rep": call["rep"], "entered": call["submitted"].isoformat()}
        path = _CALLS.write(store, week, frame, [*record.get("sources", []), source])
    return CallsStored((str(week),), (path,), tuple(sorted(set(frame["team"]))), 1, None)


def stored_call(
    store: SnapshotStore | str | Path, week: str | Week, team: str, rep: str | None
) -> pd.Series | None:
    """The call of ``rep`` (blank: the manager's call for ``team``) stored for ``week``,
    with its ``source_file`` and ``submitted`` time; None when none is stored."""
    store = store if isinstance(store, SnapshotStore) else SnapshotStore(store)
    stored = Week.parse(str(week))
    frame, _ = _CALLS.read(store, stored)
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
    check_week_rows(store, [p for e in exports for p in _week_rows(e)], replace=replace)


def read_forecast_calls_stored(
    store: SnapshotStore | str | Path, up_to_week: str | Week, *, team: str | None = None
) -> pd.DataFrame:
    """Every stored week's calls up to ``up_to_week`` (``team``'s only when given), in the
    canonical columns (:data:`~pipereview.ingest._forecastcalls.CALL_COLUMNS`), ordered by
    week, team, level and rep; no row when none is stored."""
    store = store if isinstance(store, SnapshotStore) else SnapshotStore(store)
    last = Week.parse(str(up_to_week))
    parts = []
    for stored in _CALLS.weeks(store):
        if stored <= last:
            frame, _ = _CALLS.read(store, stored)
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
        if not is_week(file.stem) or Week.parse(file.stem) > last:
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


def forecast_call_summary(store: SnapshotStore | str | Path) -> pd.DataFrame:
    """One row per stored week and team: the reps' calls, whether the manager called, the
    files they came from.

    >>> import tempfile
    >>> forecast_call_summary(tempfile.mkdtemp()).columns.tolist()
    ['week', 'team', 'rep calls', 'manager call', 'files']
    """
    store = store if isinstance(store, SnapshotStore) else SnapshotStore(store)
    rows = [
        {
            "week": str(week),
            "team": team,
            "rep calls": int((calls["level"] == "rep").sum()),
            "manager call": "yes" if (calls["level"] == "manager").any() else "no",
            "files": files,
        }
        for week, team, calls, files in _CALLS.stored_teams(store)
    ]
    return pd.DataFrame(rows, columns=["week", "team", "rep calls", "manager call", "files"])


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="object") for c in CALL_COLUMNS})
    for column in ("commit", "best_case", "pipeline"):
        frame[column] = frame[column].astype("float64")
    frame["submitted"] = frame["submitted"].astype("datetime64[ns]")
    return frame


def _week_rows(export: CallsExport) -> list[WeekRows]:
    """The file's calls of each week they were made for, in week order."""
    parts = []
    for name, rows in export.frame.groupby("week", sort=True):
        counts = rows["team"].value_counts()
        parts.append(
            WeekRows(
                _CALLS,
                Week.parse(str(name)),
                rows,
                export,
                {str(t): int(n) for t, n in counts.items()},
            )
        )
    return parts
