"""The snapshot store: one Parquet file per ISO week, written atomically under a lock.

>>> import tempfile
>>> SnapshotStore(tempfile.mkdtemp()).weeks()
[]

Where each week's file, checksum record and quarantine live, the lock and the leftovers
of killed writes: :class:`~pipereview.history._storefiles.StoreFiles`, which the store
extends with reading and writing weeks.

Every write takes the store's lock (:meth:`SnapshotStore.lock`, a ``filelock`` lock that
the system releases when its process dies) and compares the week's file with what the
writer expected to find (compare-and-swap), so two writers of one week never both store:
the second is refused, naming the week. A week is written to a temporary file and renamed
over the old one only when complete; the next writer removes the temporary files a killed
write left behind. A week whose file is truncated, differs from its checksum or is not a
snapshot is set aside with a :class:`~pipereview.core._errors.StoreWarning`, so every intact
week keeps working; ``pipereview verify`` checks the whole store.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from pipereview.core._errors import (
    DamagedWeekError,
    FileSystemError,
    InvalidWeekError,
    PipereviewError,
    StoreError,
    StoreWarning,
    WeekChangedError,
    WeekExistsError,
    WeekNotFoundError,
)
from pipereview.core._files import atomic_write
from pipereview.core._weeks import Week
from pipereview.history._definitions import (
    Definitions,
    adopt,
    attach,
    checked_record,
    store_definitions,
)
from pipereview.history._storefiles import StoreFiles
from pipereview.history._storesummary import store_summary
from pipereview.history._weekfiles import (
    META_KEY,
    REPAIR,
    checked_bytes,
    damaged,
    file_key,
    inspect_week_file,
    parquet_bytes,
    parquet_frame,
    read_record,
    read_side_by_side,
    sha256_file,
)
from pipereview.ingest._schema import validate_snapshot

__all__ = ["ANY", "DEFAULT_STORE", "SnapshotStore", "atomic_write"]

#: Where the store lives when no ``--store`` or ``PIPEREVIEW_STORE`` says otherwise.
DEFAULT_STORE = Path("pipereview-data")


class _Any(enum.Enum):
    ANY = "any"


#: ``expect=ANY`` in :meth:`SnapshotStore.add`: whatever the week holds now.
ANY = _Any.ANY


class SnapshotStore(StoreFiles):
    """Weekly canonical snapshots under ``root`` (created on first write).

    ``lock_timeout``: seconds a writer waits for another writer's lock before giving up
    [default: ``$PIPEREVIEW_LOCK_TIMEOUT`` or 600].
    """

    def __init__(
        self, root: str | Path | None = None, *, lock_timeout: float | None = None
    ) -> None:
        super().__init__(
            Path(root if root is not None else os.environ.get("PIPEREVIEW_STORE", DEFAULT_STORE)),
            lock_timeout=float(
                lock_timeout
                if lock_timeout is not None
                else os.environ.get("PIPEREVIEW_LOCK_TIMEOUT", 600)
            ),
        )
        self._inspected: dict[tuple[Any, ...], tuple[str, dict[str, Any]]] = {}
        self._definitions: dict[tuple[Any, ...], Definitions] = {}

    def __repr__(self) -> str:
        return f"SnapshotStore({str(self.root)!r})"

    # --- reading ------------------------------------------------------------------------

    def weeks(self) -> list[str]:
        """Stored intact weeks, oldest first; a damaged or foreign file is set aside with a
        :class:`~pipereview.core._errors.StoreWarning` naming it."""
        intact, damaged = self.scan()
        for path, reason in damaged.items():
            warnings.warn(f"{path} set aside: {reason}. {REPAIR}.", StoreWarning, stacklevel=2)
        return intact

    def scan(self) -> tuple[list[str], dict[Path, str]]:
        """The intact weeks, and each set-aside file of the snapshots folder with why (a
        quick look: the size recorded, the Parquet footer, the snapshot's columns)."""
        if not self.snapshot_dir.is_dir():
            return [], {}
        found, damaged = [], {}
        for entry in sorted(self.snapshot_dir.glob("*.parquet")):
            try:
                week = Week.parse(entry.stem)
            except InvalidWeekError:
                damaged[entry] = (
                    "not a week file of this store (its name is not an ISO "
                    "week such as 2026-W47): move it out of the snapshots folder"
                )
                continue
            reason, _ = self._inspect(week)
            if reason:
                damaged[entry] = reason
            else:
                found.append(week)
        return [str(w) for w in sorted(found)], damaged

    def __contains__(self, week: object) -> bool:
        return isinstance(week, (str, Week)) and self.path(week).exists()

    def require(self, week: str | Week) -> str:
        """``week`` as stored, or :class:`WeekNotFoundError` / :class:`DamagedWeekError`."""
        path = self.path(week)
        if not path.exists():
            raise WeekNotFoundError(
                f"week {_week(week)} is not in the store {self.root}",
                hint=f"stored weeks: {', '.join(self.scan()[0]) or 'none'}; ingest it with "
                "`pipereview ingest FILE --week ...`",
            )
        reason, _ = self._inspect(_week(week))
        if reason:
            raise damaged(week, path, reason)
        return str(_week(week))

    def read(
        self,
        week: str | Week,
        *,
        teams: Iterable[str] | None = None,
        columns: list[str] | None = None,
        adopt: bool = True,
        deal_ids: Iterable[str] = (),
    ) -> pd.DataFrame:
        """One stored week (optionally only some teams or columns), its bytes checked
        against the checksum recorded when it was written, carrying the store's
        definitions (:meth:`definitions`, made the ones its stage-model names stand for
        unless ``adopt`` is false). With ``teams`` and ``deal_ids``, the teams' rows and
        every row of those deals."""
        self.require(week)
        data = checked_bytes(self.path(week), self.checksum_path(week), _week(week))
        filters: list[Any] | None = [("team", "in", list(teams))] if teams is not None else None
        if filters and (ids := sorted(set(deal_ids))):  # either: a list of AND-ed lists
            filters = [filters, [("deal_id", "in", ids)]]
        try:
            frame = parquet_frame(data, filters=filters, columns=columns)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise damaged(week, self.path(week), f"unreadable ({exc})") from None
        return self._adopted(frame) if adopt else frame

    def definitions(self, weeks: Iterable[str | Week] | None = None) -> Definitions:
        """The stage models and column maps the stored weeks (or ``weeks``) were ingested
        with, as recorded in each week; :class:`~pipereview.history._definitions.DefinitionsConflictError`
        when two weeks recorded different versions of one stage model."""
        chosen = [str(_week(w)) for w in weeks] if weeks is not None else self.scan()[0]
        key = tuple((w, file_key(self.path(w))) for w in chosen)
        if key not in self._definitions:
            self._definitions[key] = store_definitions(self, chosen)
        return self._definitions[key]

    def _adopted(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` carrying the store's definitions, made current (see
        :func:`pipereview.history._definitions.adopt`)."""
        found = self.definitions()
        adopt(found)
        return attach(frame, found)

    def info(self, week: str | Week) -> dict[str, Any]:
        """What was recorded with a week: row count, teams, source files and fingerprints."""
        self.require(week)
        return dict(self._inspect(_week(week))[1])

    def state(self, week: str | Week) -> str | None:
        """The SHA-256 of the week's file as it is now, or ``None`` when not stored."""
        try:
            return sha256_file(self.path(week))
        except FileNotFoundError:
            return None

    def history(
        self,
        *,
        teams: Iterable[str] | None = None,
        weeks: Iterable[str | Week] | None = None,
        first: str | Week | None = None,
        last: str | Week | None = None,
        deal_ids: Iterable[str] = (),
    ) -> pd.DataFrame:
        """Stored weeks stacked, oldest first, optionally filtered by team (with every row
        of ``deal_ids`` too) and week range; a damaged week is left out with a
        :class:`~pipereview.core._errors.StoreWarning`."""
        chosen = [str(_week(w)) for w in weeks] if weeks is not None else self.weeks()
        lo = _week(first) if first is not None else None
        hi = _week(last) if last is not None else None
        chosen = [
            w
            for w in chosen
            if (lo is None or Week.parse(w) >= lo) and (hi is None or Week.parse(w) <= hi)
        ]
        team_list = list(teams) if teams is not None else None
        ids = sorted(set(deal_ids))  # once: an iterator would be spent by the first week
        frames = []
        for got in read_side_by_side(
            lambda w: self.read(w, teams=team_list, adopt=False, deal_ids=ids), chosen
        ):
            if isinstance(got, DamagedWeekError):  # warned here, in the weeks' order
                warnings.warn(got.message + f". {REPAIR}.", StoreWarning, stacklevel=2)
            else:
                frames.append(got)
        return self._adopted(pd.concat(frames, ignore_index=True) if frames else pd.DataFrame())

    def summary(self) -> pd.DataFrame:
        """One row per stored week and team: deals, open deals, open amount, ``source``
        (``export``, or ``backfill``: rebuilt from a change history); see
        :func:`~pipereview.history._storesummary.store_summary`."""
        return store_summary(self)

    # --- writing ------------------------------------------------------------------------

    def add(
        self,
        snapshot: pd.DataFrame,
        week: str | Week,
        *,
        replace: bool = False,
        expect: str | _Any | None = ANY,
        sources: Iterable[str | Path] = (),
        info: dict[str, Any] | None = None,
    ) -> Path:
        """Validate ``snapshot`` and store it as ``week``, under the store's lock.

        Raises :class:`WeekExistsError` when the week is stored and ``replace`` is false.
        ``expect`` (compare-and-swap): the week's :meth:`state` this writer started from
        (``None``: not stored); when the week changed since, nothing is written and
        :class:`WeekExistsError` (it was stored meanwhile) or :class:`WeekChangedError` is
        raised. ``sources`` are the export files it came from: their SHA-256 fingerprints
        are kept with the week (see :meth:`info`).
        """
        week = _week(week)
        target = self.path(week)
        if expect is ANY:
            self.check_writable(week, replace=replace)
        weeks_in_frame = set(snapshot["snapshot_week"].unique())
        if weeks_in_frame - {str(week)}:
            raise StoreError(
                f"the snapshot holds rows of weeks {sorted(weeks_in_frame)}, not only {week}",
                hint="store one week's rows at a time (filter the frame on snapshot_week)",
            )
        dates = [c for c in snapshot.columns if pd.api.types.is_datetime64_any_dtype(snapshot[c])]
        snapshot = snapshot.astype(dict.fromkeys(dates, "datetime64[ns]"))
        validate_snapshot(snapshot, source=f"snapshot of {week}")
        meta = {
            "week": str(week),
            "rows": len(snapshot),
            "teams": sorted(snapshot["team"].unique().tolist()),
            "sources": [{"file": Path(s).name, "sha256": sha256_file(Path(s))} for s in sources],
            **(info or {}),
        }
        meta["definitions"] = checked_record(snapshot, meta.get("definitions"), str(week))
        table = pa.Table.from_pandas(snapshot, preserve_index=False)
        metadata = {**(table.schema.metadata or {}), META_KEY: json.dumps(meta).encode()}
        data = parquet_bytes(table.replace_schema_metadata(metadata))
        try:
            with self.lock():
                current = self.state(week)
                self._compare(week, current, expect, replace)
                record = {
                    "week": str(week),
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "bytes": len(data),
                    "replaces": current,
                    "replaces_bytes": target.stat().st_size if current else None,
                }
                # the record first: a kill between the two renames leaves the old week
                # with a record that names it as the one replaced, so it stays intact
                with atomic_write(
                    self.checksum_path(week), "w", encoding="utf-8", within=self.root
                ) as handle:
                    json.dump(record, handle)
                with atomic_write(target, within=self.root) as handle:
                    handle.write(data)
        except PipereviewError:
            raise
        except OSError as exc:
            raise _fs_error(exc, f"write week {week} to", target) from exc
        return target

    def backfilled(self, week: str | Week) -> dict[str, Any] | None:
        """What a week rebuilt by ``pipereview backfill`` records (history file, fields
        given, carried, left blank); ``None`` for a real export's week or none stored."""
        record = self.info(week).get("backfill") if self.path(week).exists() else None
        return dict(record) if record else None

    def check_writable(self, week: str | Week, *, replace: bool = False, add: bool = False) -> None:
        """Raise :class:`WeekExistsError` when ``week`` is stored and neither ``replace``
        nor ``add`` is given, or ``add`` is given for a week rebuilt by a backfill (a real
        export replaces such a week whole)."""
        rebuilt = self.backfilled(week) if (add or not replace) else None
        if rebuilt is not None:
            raise WeekExistsError(
                f"week {_week(week)} in {self.root} was rebuilt from the change history "
                f"{rebuilt.get('history', '')!r} (backfill); a real export replaces it whole",
                hint="pass --replace (replace=True) without --add: the export becomes the "
                "whole week, and the week is no longer marked as backfilled",
            )
        if not replace and not add and self.path(week).exists():
            raise WeekExistsError(
                f"week {_week(week)} is already stored in {self.root}",
                hint="pass --replace (replace=True) to overwrite it with this export, or "
                "--add (add=True) to add this export's teams to it",
            )

    def _compare(
        self, week: Week, current: str | None, expect: str | _Any | None, replace: bool
    ) -> None:
        if expect is ANY:
            if current is not None and not replace:
                self.check_writable(week)
        elif current != expect and expect is None:
            raise WeekExistsError(
                f"week {week} was stored in {self.root} by another writer while this one "
                "was reading its exports; nothing was written",
                hint="pass --add to add this export's teams to the stored week, or "
                "--replace to overwrite it; `pipereview weeks` shows what it holds",
            )
        elif current != expect:
            raise WeekChangedError(
                f"week {week} in {self.root} was changed by another writer while this one "
                "was reading its exports; nothing was written",
                hint="run this ingest again (it then starts from the week as it is now)",
            )

    # --- checks -------------------------------------------------------------------------

    def record(self, week: str | Week) -> dict[str, Any] | None:
        """The checksum record of a week, ``None`` for a week stored before records
        were kept; :class:`DamagedWeekError` when the record cannot be read."""
        return read_record(self.checksum_path(week), _week(week))

    def _inspect(self, week: Week) -> tuple[str, dict[str, Any]]:
        """Why the week's file is set aside ("" when intact), and its recorded info."""
        path, record_path = self.path(week), self.checksum_path(week)
        key = tuple(file_key(p) for p in (path, record_path))
        if key not in self._inspected:
            self._inspected[key] = inspect_week_file(path, record_path, week)
        return self._inspected[key]


def _fs_error(exc: OSError, action: str, path: Path) -> FileSystemError:
    return FileSystemError.from_os_error(exc, action=action, path=exc.filename or path)


def _week(week: str | Week) -> Week:
    return week if isinstance(week, Week) else Week.parse(week)
