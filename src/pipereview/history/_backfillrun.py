"""``pipereview backfill``: a current deals export and the CRM's change history in, the
past weeks stored as the weeks a team would have exported.

The current export is read with every check of ``pipereview ingest`` (and stored as its
week when that week is not stored yet); the history export is read into its change log
(:func:`pipereview.ingest.read_change_history`); each week from ``first`` to the week
before the export's is rebuilt (:func:`pipereview.history._backfill.backfill_weeks`)
and stored, marked as backfilled with what it could not know. The rules:

- a week holding a real export is never overwritten: it is kept, and named;
- a week a backfill stored before is rebuilt again only with ``replace``;
- every rebuilt week is checked before the first is written; each is written whole
  (temporary file, rename) under the store's lock, as an ingest writes.

>>> default_first("2026-W49")
'2026-W36'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipereview.core._errors import WeekExistsError
from pipereview.core._stages import StageModel
from pipereview.core._weeks import Week
from pipereview.history._backfill import Backfill, backfill_weeks
from pipereview.history._ingest_definitions import ingest_definitions
from pipereview.history._intake import combine_snapshots, ingest_week
from pipereview.history._store import SnapshotStore
from pipereview.ingest import ChangeLog, read_change_history, read_export
from pipereview.ingest._columnmaps import ColumnMap, load_column_map
from pipereview.ingest._results import IngestResult
from pipereview.ingest._schema import validate_snapshot

__all__ = ["BACKFILL_WEEKS", "BackfillRun", "backfill_store", "default_first"]

#: Weeks rebuilt by default: a quarter before the export's week.
BACKFILL_WEEKS = 13


@dataclass(frozen=True)
class BackfillRun:
    """What a backfill stored: ``stored`` the weeks rebuilt and written, ``kept`` the
    weeks left as they were (each holds a real export), ``current_stored`` whether the
    export was stored as its own week; the rebuilt weeks (``backfill``) and the history
    read (``history``)."""

    week: str
    stored: tuple[str, ...]
    kept: tuple[str, ...]
    current_stored: bool
    backfill: Backfill
    history: ChangeLog


def default_first(week: str | Week) -> str:
    """The first week a backfill rebuilds by default: :data:`BACKFILL_WEEKS` before ``week``."""
    week = week if isinstance(week, Week) else Week.parse(week)
    return str(week - BACKFILL_WEEKS)


def backfill_store(
    export: str | Path,
    history: str | Path,
    *,
    week: str | Week,
    first: str | Week | None = None,
    store: str | Path | SnapshotStore | None = None,
    column_map: str | Path | ColumnMap | None = None,
    stage_model: str | Path | StageModel | None = None,
    team: str | None = None,
    history_format: str | None = None,
    history_map: dict[str, str] | None = None,
    encoding: str | None = None,
    replace: bool = False,
) -> BackfillRun:
    """Rebuild and store the weeks from ``first`` (default: a quarter back) to the week
    before ``week`` (the current export's) from ``export`` and ``history``."""
    week = week if isinstance(week, Week) else Week.parse(week)
    start = Week.parse(str(first)) if first is not None else Week.parse(default_first(week))
    if start >= week:
        raise WeekExistsError(
            f"the first week to rebuild ({start}) is not before the export's week ({week})",
            hint="pass --from with a week before --week (e.g. a quarter earlier)",
        )
    target = store if isinstance(store, SnapshotStore) else SnapshotStore(store)
    result = read_export(
        export,
        week=week,
        column_map=column_map,
        stage_model=stage_model,
        team=team,
        encoding=encoding,
    )
    result.raise_for_problems()
    log = read_change_history(
        history, format=history_format, column_map=history_map, encoding=encoding
    )
    weeks = _weeks_between(start, week)
    rebuilt = backfill_weeks(
        result.snapshot,
        log.changes,
        weeks=weeks,
        date_format=log.date_format,  # type: ignore[arg-type]
        column_map=load_column_map(result.report.column_map),
        source=Path(history).name,
    )
    teams = set(result.snapshot["team"].unique())
    kept, again = _stored_weeks(target, weeks, teams, replace)
    chosen = [w for w in weeks if str(w) not in kept]
    for w in chosen:  # every week checked before the first is written
        validate_snapshot(rebuilt.weeks[str(w)], source=f"week {w} rebuilt from {history}")
    current_stored = _store_current(
        target, week, export, teams, column_map, stage_model, team, encoding
    )
    for w in chosen:
        _write(target, w, rebuilt, result, (column_map, stage_model), (export, history), again)
    return BackfillRun(
        str(week), tuple(str(w) for w in chosen), tuple(kept), current_stored, rebuilt, log
    )


def _store_current(
    store: SnapshotStore,
    week: Week,
    export: str | Path,
    teams: set[str],
    column_map: str | Path | ColumnMap | None,
    stage_model: str | Path | StageModel | None,
    team: str | None,
    encoding: str | None,
) -> bool:
    """Store the export as its week when the week does not hold its teams yet (added to
    the week's other teams); False when the week holds them already."""
    stored = store.state(week) is not None
    if stored and teams <= set(store.info(week).get("teams", [])):
        return False
    ingest_week(
        [export],
        week=week,
        column_map=column_map,
        stage_model=stage_model,
        team=team,
        encoding=encoding,
        store=store,
        add=stored,
    )
    return True


def _weeks_between(start: Week, end: Week) -> list[Week]:
    out, week = [], start
    while week < end:
        out.append(week)
        week = week + 1
    return out


def _stored_weeks(
    store: SnapshotStore, weeks: list[Week], teams: set[str], replace: bool
) -> tuple[list[str], dict[str, str | None]]:
    """The weeks holding a real export (kept), and the backfilled weeks this backfill
    writes into, with the state each was found in: the export's teams are added to the
    week's other teams; a team an earlier backfill stored is rebuilt only with
    ``replace`` (refused without it, before anything is written)."""
    kept: list[str] = []
    found: dict[str, str | None] = {}
    refused: list[str] = []
    for week in weeks:
        state = store.state(week)
        found[str(week)] = state
        if state is None:
            continue
        if store.backfilled(week) is None:
            kept.append(str(week))
        elif teams & set(store.info(week).get("teams", [])) and not replace:
            refused.append(str(week))
    if refused:
        raise WeekExistsError(
            f"week(s) {', '.join(refused)} in {store.root} hold these teams rebuilt by an "
            "earlier backfill; nothing was written",
            hint="pass --replace to rebuild them from this history (weeks holding a real "
            "export are never overwritten)",
        )
    return kept, found


def _write(
    store: SnapshotStore,
    week: Week,
    rebuilt: Backfill,
    result: IngestResult,
    definitions_given: tuple[str | Path | ColumnMap | None, str | Path | StageModel | None],
    files: tuple[str | Path, str | Path],
    found: dict[str, str | None],
) -> None:
    """Store one rebuilt week: added to the teams the week holds from other backfills
    (the export's teams replaced), written only if the week is still as it was found."""
    frame = rebuilt.weeks[str(week)]
    expect = found[str(week)]
    teams = sorted(frame["team"].unique().tolist())
    record: dict[str, Any] = {**rebuilt.record(Path(files[1]).name), "teams": teams}
    parts = [record]
    if expect is not None:
        stored = store.read(week)
        frame = combine_snapshots([stored[~stored["team"].isin(teams)], frame])
        earlier = store.backfilled(week) or {}
        # the parts of other teams stay; a part whose teams this one rebuilds is replaced
        others = [p for p in earlier.get("parts", []) if not set(p["teams"]) <= set(teams)]
        parts = [*others, record]
    definitions = ingest_definitions(
        store,
        week,
        [result],
        *definitions_given,
        replace=expect is not None,
        added=expect is not None,
    )
    store.add(
        frame,
        week,
        replace=True,
        expect=expect,
        sources=[Path(f) for f in files],
        info={
            "definitions": definitions,
            "column_maps": [result.report.column_map],
            "backfill": {
                "history": ", ".join(sorted({str(p["history"]) for p in parts})),
                "parts": parts,
            },
        },
    )
