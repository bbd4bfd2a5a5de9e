"""Ingest a whole week: several export files -> one stored snapshot, or nothing.

>>> import tempfile
>>> outcome = ingest_week(["tests/data/headers/odoo.csv"], week="2026-W47",
...                       store=tempfile.mkdtemp())
>>> outcome.rows
3

All files of the week are read and checked before anything is written; when any row is
rejected the week is not stored (unless ``keep_going``), every problem is reported at
once, and the rejected rows are written to the store's quarantine folder with reasons.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipereview.core._errors import FileSystemError, InputError, SchemaError, WeekExistsError
from pipereview.core._files import atomic_write
from pipereview.core._stages import EVIDENCE_FLAG_FIELDS, StageModel
from pipereview.core._weeks import Week
from pipereview.history._ingest_definitions import ingest_definitions
from pipereview.history._store import SnapshotStore
from pipereview.history._storesummary import removed_record
from pipereview.ingest._columnmaps import ColumnMap
from pipereview.ingest._export import IngestReport, IngestResult, read_export
from pipereview.ingest._limits import ReadLimits

__all__ = [
    "WeekIngest",
    "combine_snapshots",
    "ingest_folder",
    "ingest_week",
    "quarantine_name",
    "write_quarantine",
]

ProgressFactory = Callable[[], AbstractContextManager[Any]]


@dataclass(frozen=True)
class WeekIngest:
    """The outcome of storing one week."""

    week: str
    path: Path
    rows: int
    teams: tuple[str, ...]
    reports: tuple[IngestReport, ...]
    quarantine_files: tuple[Path, ...]


def ingest_week(
    files: Sequence[str | Path],
    *,
    week: str | Week,
    column_map: str | Path | ColumnMap | None = None,
    stage_model: str | Path | StageModel | None = None,
    team: str | None = None,
    encoding: str | None = None,
    store: str | Path | SnapshotStore | None = None,
    replace: bool = False,
    add: bool = False,
    keep_going: bool = False,
    progress: ProgressFactory | None = None,
    limits: ReadLimits | None = None,
    removed: pd.DataFrame | None = None,
) -> WeekIngest:
    """Read, check and store the exports of one week (see the module docstring).

    A week already stored is refused unless ``replace`` (the exports become the whole
    week) or ``add`` (their teams are added to the stored week; a team the week holds
    already is refused unless ``replace`` too, which then replaces that team's rows only).
    The store is written under its lock and only when the week is still as this ingest
    found it before reading the exports: of two ingests of one week at the same time,
    exactly one stores (with ``add``, both, one after the other). ``limits`` bound what
    each export may hold (:class:`~pipereview.ingest._limits.ReadLimits`; the configuration's
    ``limits:`` section). ``removed`` names the deals the CRM deleted or merged into another
    (``deal_id``, ``how``, ``into``, ``at``, as a pull finds them): recorded with the week
    (:func:`~pipereview.history._storesummary.removed_deals`).
    """
    week = week if isinstance(week, Week) else Week.parse(week)
    target = store if isinstance(store, SnapshotStore) else SnapshotStore(store)
    if not files:
        raise InputError("no export files given", hint="name at least one CSV/XLSX/Parquet file")
    target.check_writable(week, replace=replace, add=add)  # refuse before reading anything
    started_from = target.state(week)
    results: list[IngestResult] = []
    with progress() if progress else nullcontext() as bar:
        task = bar.add_task(f"reading {week}", total=len(files)) if bar else None
        for file in files:
            results.append(
                read_export(
                    file,
                    week=week,
                    column_map=column_map,
                    stage_model=stage_model,
                    team=team,
                    encoding=encoding,
                    limits=limits,
                )
            )
            if bar:
                bar.advance(task)
    return _store_week(
        target,
        week,
        files,
        results,
        started_from,
        column_map=column_map,
        stage_model=stage_model,
        replace=replace,
        add=add,
        keep_going=keep_going,
        removed=removed,
    )


def _store_week(
    target: SnapshotStore,
    week: Week,
    files: Sequence[str | Path],
    results: list[IngestResult],
    started_from: str | None,
    *,
    column_map: str | Path | ColumnMap | None,
    stage_model: str | Path | StageModel | None,
    replace: bool,
    add: bool,
    keep_going: bool,
    removed: pd.DataFrame | None = None,
) -> WeekIngest:
    """Store the week read into ``results`` (see :func:`ingest_week`): under the store's
    lock, the rejected rows set aside first, and only when the week is still as it was
    when reading started (``started_from``)."""
    rejected = [r for r in results if not r.ok]
    try:
        with target.lock():
            files_quarantine = _write_quarantine(target, week, results)
            if rejected and not keep_going:
                raise _rejected_error(week, rejected, files_quarantine)
            snapshot = combine_snapshots([r.snapshot for r in results])
            counts = _file_counts(target, results, files_quarantine)
            expect: str | None = started_from
            if add:
                expect = target.state(week)
                if expect is not None:
                    snapshot, counts = _added(target, week, snapshot, counts, replace)
            _check_across_files(snapshot)
            definitions = ingest_definitions(
                target,
                week,
                results,
                column_map,
                stage_model,
                replace=replace,
                added=add and expect is not None,
            )
            path = target.add(
                snapshot,
                week,
                replace=replace or add,
                expect=expect,
                sources=[Path(f) for f in files],
                info={
                    "definitions": definitions,
                    "column_maps": sorted({r.report.column_map for r in results}),
                    "rows_rejected": sum(c["rows_rejected"] for c in counts),
                    "rows_skipped": sum(c["rows_skipped"] for c in counts),
                    "files": counts,
                    **_removed_info(target, week, removed, added=add and expect is not None),
                },
            )
    except OSError as exc:  # a store that cannot be written: the rows' problems come first
        if rejected and not keep_going:
            raise _unwritable_error(week, rejected, len(results), exc) from exc
        raise
    quarantined = [p for p in files_quarantine if p is not None]
    return WeekIngest(
        str(week),
        path,
        len(snapshot),
        tuple(sorted(snapshot["team"].unique().tolist())),
        tuple(r.report for r in results),
        tuple(quarantined),
    )


def _removed_info(
    store: SnapshotStore, week: Week, removed: pd.DataFrame | None, *, added: bool
) -> dict[str, Any]:
    """The deals deleted or merged in the CRM a week records: those of this ingest, after
    the ones the stored week holds when its teams are added to."""
    earlier = store.info(week).get("removed", []) if added else []
    rows = [*earlier, *(removed_record(removed) if removed is not None else [])]
    return {"removed": rows} if rows else {}


def _rejected_error(
    week: Week, rejected: list[IngestResult], quarantine: list[Path | None]
) -> SchemaError:
    """The error that refuses the week: every rejected row counted, the first named."""
    try:
        rejected[0].raise_for_problems()
    except SchemaError as exc:
        total = sum(r.report.rows_rejected for r in rejected)
        summaries = "".join(f"\n{r.report.summary()}" for r in rejected)
        return SchemaError(
            f"week {week} was not stored: {total} row(s) rejected.{summaries}"
            + "".join(f"\nrejected rows written to {p}" for p in quarantine if p is not None),
            file=exc.file,
            row=exc.row,
            column=exc.column,
            problems=tuple(p for r in rejected for p in r.report.problems),
            hint=f"{exc.hint}; or pass --keep-going to store the good rows only",
        )
    raise AssertionError("a rejected export without problems")  # pragma: no cover


def _added(
    store: SnapshotStore,
    week: Week,
    snapshot: pd.DataFrame,
    counts: list[dict[str, Any]],
    replace: bool,
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """The stored week with ``snapshot``'s teams added (their old rows replaced when
    ``replace``), and the per-file counts of both."""
    stored = store.read(week)
    teams = set(snapshot["team"].unique())
    both = sorted(teams & set(stored["team"].unique()))
    if both and not replace:
        raise WeekExistsError(
            f"week {week} in {store.root} holds team(s) {', '.join(both)} already; "
            "nothing was written",
            hint="pass --replace with --add to replace these teams' rows (the week's other "
            "teams stay), or leave these teams out of the export",
        )
    kept = stored[~stored["team"].isin(teams)]
    kept_files = set(kept["source_file"].map(lambda f: Path(str(f)).name))
    old_counts = [c for c in store.info(week).get("files", []) if c.get("file") in kept_files]
    return combine_snapshots([kept, snapshot]), [*old_counts, *counts]


def _unwritable_error(
    week: Week, rejected: list[IngestResult], files: int, exc: OSError
) -> SchemaError:
    """The error that refuses the week when rows were rejected and the store cannot be
    written either: the rows' problems first."""
    rows = _rejected_error(week, rejected, [None] * files)
    return SchemaError(
        f"{rows.message}\nand the store cannot be written: {exc}",
        file=rows.file,
        row=rows.row,
        column=rows.column,
        problems=rows.problems,
        hint=f"{rows.hint}; {_hint(exc)}",
    )


def _hint(exc: OSError) -> str:
    hint = getattr(exc, "hint", "")
    return str(hint) if hint else FileSystemError.from_os_error(exc).hint


def ingest_folder(
    folder: str | Path,
    *,
    store: str | Path | SnapshotStore | None = None,
    replace: bool = False,
    keep_going: bool = False,
    progress: ProgressFactory | None = None,
    limits: ReadLimits | None = None,
) -> list[WeekIngest]:
    """Ingest ``folder/<week>/*`` (one sub-folder per ISO week, e.g. ``2026-W47``);
    ``keep_going`` as for :func:`ingest_week`. Every file of a week folder is taken as an
    export (hidden files and Office lock files excepted), so a file pipereview cannot read
    stops the week with its name rather than being passed over."""
    folder = Path(folder)
    week_dirs = sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    if not week_dirs:
        raise InputError(
            f"{folder} holds no week folders",
            file=folder,
            expected="sub-folders named by ISO week, e.g. 2026-W47",
            hint="create the sample set with `pipereview sample`",
        )
    outcomes = []
    with progress() if progress else nullcontext() as bar:
        task = bar.add_task("ingesting weeks", total=len(week_dirs)) if bar else None
        for week_dir in week_dirs:
            week = Week.parse(week_dir.name)
            # every file is an export: one that cannot be read (an old .xls, a web page) is
            # refused by name, never passed over; only hidden files and Office lock files
            # (~$name.xlsx) are not exports
            files = sorted(
                p for p in week_dir.iterdir() if p.is_file() and not p.name.startswith((".", "~$"))
            )
            outcomes.append(
                ingest_week(
                    files,
                    week=week,
                    store=store,
                    replace=replace,
                    keep_going=keep_going,
                    limits=limits,
                )
            )
            if bar:
                bar.advance(task)
    return outcomes


def combine_snapshots(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Stack snapshots of one week whose exports carried different evidence columns.

    An evidence column one export lacks stays missing (not False) for its rows, so later
    steps can tell "not evidenced" from "not recorded by this CRM".
    """
    snapshot = pd.concat(frames, ignore_index=True)
    flags = [c for c in EVIDENCE_FLAG_FIELDS if c in snapshot.columns]
    return snapshot.astype(dict.fromkeys(flags, "boolean"))


def quarantine_name(source: str | Path) -> str:
    """The quarantine file's name for an export: its stem and a short hash of its resolved
    path, so two exports of one name in different folders never share a file.

    >>> quarantine_name("/exports/north/deals.csv") != quarantine_name("/exports/west/deals.csv")
    True
    """
    path = Path(source)
    digest = hashlib.sha256(str(path.resolve()).encode("utf-8", "surrogateescape")).hexdigest()
    return f"{path.stem}.{digest[:8]}.quarantine.csv"


def write_quarantine(store: SnapshotStore, week: Week, name: str, rows: pd.DataFrame) -> Path:
    """Write ``rows`` (the rows an export could not use, with their reasons, kept as the
    CRM wrote them) as ``name`` in ``week``'s quarantine folder, whole or not at all."""
    path = store.quarantine_dir(week) / name
    with atomic_write(path, "w", encoding="utf-8-sig", within=store.root) as handle:
        rows.to_csv(handle, index=False, lineterminator="\n")
    return path


def _write_quarantine(
    store: SnapshotStore, week: Week, results: list[IngestResult]
) -> list[Path | None]:
    """Each export's quarantine file, written when it set rows aside (None otherwise)."""
    return [
        None
        if result.quarantine.empty
        else write_quarantine(store, week, quarantine_name(result.report.file), result.quarantine)
        for result in results
    ]


def _file_counts(
    store: SnapshotStore, results: list[IngestResult], quarantine: list[Path | None]
) -> list[dict[str, Any]]:
    """Per export: the rows read, kept, rejected and skipped, and its quarantine file
    (relative to the store), kept with the week so that a batch's manifest shows them."""
    return [
        {
            "file": Path(r.report.file).name,
            "rows_read": r.report.rows_read,
            "rows_kept": r.report.rows_kept,
            "rows_rejected": r.report.rows_rejected,
            "rows_skipped": r.report.rows_skipped,
            "quarantine": path.relative_to(store.root).as_posix() if path else None,
        }
        for r, path in zip(results, quarantine, strict=True)
    ]


def _check_across_files(snapshot: pd.DataFrame) -> None:
    ids = snapshot["deal_id"]
    dup = ids.notna() & ids.duplicated(keep=False)
    if dup.any():
        rows = snapshot.loc[dup, ["deal_id", "source_file", "source_row"]].head(10)
        where = "; ".join(
            f"{r.deal_id} in {r.source_file} row {r.source_row}" for r in rows.itertuples()
        )
        raise SchemaError(
            f"the same deal ID appears in several files of the week: {where}",
            column="deal_id",
            hint="ingest each deal once per week: remove the overlap between the exports",
        )
