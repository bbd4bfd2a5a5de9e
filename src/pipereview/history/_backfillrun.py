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

from pipereview.core._errors import WeekExistsError
from pipereview.core._stages import StageModel
from pipereview.core._weeks import Week
from pipereview.history._backfill import Backfill, backfill_weeks
from pipereview.history._ingest_definitions import ingest_definitions
from pipereview.history._intake import ingest_week
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
    kept, again = _stored_weeks(target, weeks, replace)
    chosen = [w for w in weeks if str(w) not in kept]
    for w in chosen:  # every week checked before the first is written
        validate_snapshot(rebuilt.weeks[str(w)], source=f"week {w} rebuilt from {history}")
    current_stored = False
    if target.state(week) is None:
        ingest_week(
            [export],
            week=week,
            column_map=column_map,
            stage_model=stage_model,
            team=team,
            encoding=encoding,
            store=target,
        )
        current_stored = True
    for w in chosen:
        _write(target, w, rebuilt, result, column_map, stage_model, export, history, again)
    return BackfillRun(
        str(week), tuple(str(w) for w in chosen), tuple(kept), current_stored, rebuilt, log
    )


def _weeks_between(start: Week, end: Week) -> list[Week]:
    out, week = [], start
    while week < end:
        out.append(week)
        week = week + 1
    return out


def _stored_weeks(
    store: SnapshotStore, weeks: list[Week], replace: bool
) -> tuple[list[str], set[str]]:
    """The weeks holding a real export (kept), and those a backfill stored before (rebuilt
    again with ``replace``; refused without it, before anything is written)."""
    kept, again = [], set()
    for week in weeks:
        if store.state(week) is None:
            continue
        if store.backfilled(week) is None:
            kept.append(str(week))
        else:
            again.add(str(week))
    if again and not replace:
        listed = ", ".join(sorted(again))
        raise WeekExistsError(
            f"week(s) {listed} in {store.root} were rebuilt by an earlier backfill; nothing "
            "was written",
            hint="pass --replace to rebuild them from this history (weeks holding a real "
            "export are never overwritten)",
        )
    return kept, again


def _write(
    store: SnapshotStore,
    week: Week,
    rebuilt: Backfill,
    result: IngestResult,
    column_map: str | Path | ColumnMap | None,
    stage_model: str | Path | StageModel | None,
    export: str | Path,
    history: str | Path,
    again: set[str],
) -> None:
    frame = rebuilt.weeks[str(week)]
    definitions = ingest_definitions(
        store,
        week,
        [result],
        column_map,
        stage_model,
        replace=str(week) in again,
        added=False,
    )
    store.add(
        frame,
        week,
        replace=str(week) in again,
        sources=[Path(export), Path(history)],
        info={
            "definitions": definitions,
            "column_maps": [result.report.column_map],
            "backfill": rebuilt.record(Path(history).name),
        },
    )
