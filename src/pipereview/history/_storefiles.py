"""Where a snapshot store keeps its files, the lock every writer holds, and what killed
writes leave behind.

Layout under the store's root::

    snapshots/2026-W47.parquet     the canonical snapshot of that week (all teams), and in
                                   its metadata the stage models and column maps it was
                                   ingested with (see :mod:`pipereview.history._definitions`)
    checksums/2026-W47.json        the SHA-256 and size of that file, recorded at write
    quarantine/2026-W47/*.csv      rows an ingest could not use, with the reason
    companions/<kind>/2026-W47.*   the week's activities, leads or invoices and their record
                                   (see :mod:`pipereview.history._companionstore`)
    .pipereview.lock               the store's lock (held by a writer, never by readers)

The lock is a ``filelock`` lock that the system releases when its process dies; the
writer that takes it next removes the temporary files a killed write left behind.

>>> import tempfile
>>> files = StoreFiles(Path(tempfile.mkdtemp()), lock_timeout=5)
>>> files.path("2026-W47").relative_to(files.root).as_posix()
'snapshots/2026-W47.parquet'
>>> with files.lock():
...     removed = files.clean_leftovers()
>>> removed, (files.root / LOCK_NAME).exists()
([], True)
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import filelock

from pipereview.core._errors import FileSystemError, StoreBusyError, StoreError
from pipereview.core._files import leftovers
from pipereview.core._weeks import Week

__all__ = ["LOCK_NAME", "StoreFiles"]

#: The lock file under the store's root.
LOCK_NAME = ".pipereview.lock"


class StoreFiles:
    """The files of a store under ``root``: each week's file, checksum record and
    quarantine folder, the store's lock, the leftovers of killed writes.

    ``lock_timeout``: seconds a writer waits for another writer's lock before giving up.
    """

    def __init__(self, root: Path, *, lock_timeout: float) -> None:
        self.root = root
        self.lock_timeout = lock_timeout
        self._held = 0
        self._locked_at = 0.0

    @property
    def snapshot_dir(self) -> Path:
        return self.root / "snapshots"

    def path(self, week: str | Week) -> Path:
        """File of one week (validated: a week string can never escape the store)."""
        return self.snapshot_dir / f"{_week(week)}.parquet"

    def checksum_path(self, week: str | Week) -> Path:
        """The record of a week file's SHA-256 and size, written with it."""
        return self.root / "checksums" / f"{_week(week)}.json"

    def quarantine_dir(self, week: str | Week) -> Path:
        """Folder for the rows an ingest of ``week`` could not use."""
        return self.root / "quarantine" / str(_week(week))

    # --- the lock -----------------------------------------------------------------------

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the store's lock (re-entrant within this object); on taking it, remove the
        temporary files that writes killed before it left (never a live writer's: every
        writer of the store holds this lock)."""
        if self._held:
            self._held += 1
            try:
                yield
            finally:
                self._held -= 1
            return
        path = self.root / LOCK_NAME
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            held = filelock.FileLock(path, timeout=self.lock_timeout)
            held.acquire()
        except filelock.Timeout:
            raise StoreBusyError(
                f"the store {self.root} stayed locked by another pipereview for "
                f"{self.lock_timeout:.0f} s (another ingest writing a week)",
                hint="wait for it to finish and run again, or set PIPEREVIEW_LOCK_TIMEOUT "
                "to wait longer",
            ) from None
        except OSError as exc:
            raise _fs_error(exc, "write the store's lock file", path) from exc
        try:  # the lock's time on the file system's own clock, the one later files get
            os.utime(path)
            locked_at = path.stat().st_mtime
        except OSError:  # a lock file that cannot be touched: the system clock
            locked_at = time.time()
        self._held, self._locked_at = 1, locked_at
        try:
            self.clean_leftovers()
            yield
        finally:
            self._held = 0
            held.release()

    def clean_leftovers(self) -> list[Path]:
        """Remove what killed writes left (temporary files, checksum records of weeks never
        written), older than this writer's lock; only under :meth:`lock`."""
        if not self._held:
            raise StoreError(
                "clean_leftovers needs the store's lock (use `with store.lock()`)",
                hint="call it inside `with store.lock():`",
            )
        found = self.leftovers(older_than=self._locked_at)
        for path in found:
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise _fs_error(exc, "remove the leftover", path) from exc
        return found

    def leftovers(self, *, older_than: float | None = None) -> list[Path]:
        """Temporary files of interrupted writes, and checksum records without a week."""
        folders = [
            self.root,
            self.snapshot_dir,
            self.root / "checksums",
            *_subfolders(self.root / "quarantine"),
            *_subfolders(self.root / "companions"),
        ]
        found = [p for folder in folders for p in leftovers(folder, older_than=older_than)]
        limit = time.time() if older_than is None else older_than
        records = self.root / "checksums"
        for record in sorted(records.glob("*.json")) if records.is_dir() else []:
            try:
                orphan = not (self.snapshot_dir / f"{record.stem}.parquet").exists()
                if orphan and record.stat().st_mtime < limit:
                    found.append(record)
            except FileNotFoundError:
                continue
        return found


def _subfolders(folder: Path) -> list[Path]:
    """The folders in ``folder`` (none when it is not one), never through a symlink."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink())


def _fs_error(exc: OSError, action: str, path: Path) -> FileSystemError:
    return FileSystemError.from_os_error(exc, action=action, path=exc.filename or path)


def _week(week: str | Week) -> Week:
    return week if isinstance(week, Week) else Week.parse(week)
