"""The snapshot store: one Parquet file per ISO week, written atomically.

>>> import tempfile
>>> store = SnapshotStore(tempfile.mkdtemp())
>>> store.weeks()
[]

Layout under the store's root::

    snapshots/2026-W47.parquet     the canonical snapshot of that week (all teams)
    quarantine/2026-W47/*.csv      rows an ingest could not use, with the reason

A week is written to a temporary file in the same folder and renamed over the old one
only when complete, so a crash or a full disk never leaves a partial week behind; a
stored week is only replaced when asked (``replace=True``).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipereview.errors import InvalidWeekError, StoreError, WeekExistsError, WeekNotFoundError
from pipereview.schema import open_mask, validate_snapshot
from pipereview.weeks import Week

__all__ = ["DEFAULT_STORE", "SnapshotStore", "atomic_write"]

#: Where the store lives when no ``--store`` or ``PIPEREVIEW_STORE`` says otherwise.
DEFAULT_STORE = Path("pipereview-data")
_META_KEY = b"pipereview"


@contextmanager
def atomic_write(path: Path, mode: str = "wb", encoding: str | None = None
                 ) -> Iterator[IO[Any]]:
    """Write ``path`` through a temporary file in the same folder, renamed when complete.

    If the block raises, the temporary file is removed and ``path`` is left as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, mode, encoding=encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class SnapshotStore:
    """Weekly canonical snapshots under ``root`` (created on first write)."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root if root is not None else os.environ.get(
            "PIPEREVIEW_STORE", DEFAULT_STORE))

    def __repr__(self) -> str:
        return f"SnapshotStore({str(self.root)!r})"

    @property
    def snapshot_dir(self) -> Path:
        return self.root / "snapshots"

    def path(self, week: str | Week) -> Path:
        """File of one week (validated: a week string can never escape the store)."""
        return self.snapshot_dir / f"{_week(week)}.parquet"

    def quarantine_dir(self, week: str | Week) -> Path:
        """Folder for the rows an ingest of ``week`` could not use."""
        return self.root / "quarantine" / str(_week(week))

    def weeks(self) -> list[str]:
        """Stored weeks, oldest first."""
        if not self.snapshot_dir.is_dir():
            return []
        found = []
        for entry in self.snapshot_dir.glob("*.parquet"):
            try:
                found.append(Week.parse(entry.stem))
            except InvalidWeekError:
                continue  # not a week file (e.g. left by a user); never read
        return [str(w) for w in sorted(found)]

    def __contains__(self, week: object) -> bool:
        return isinstance(week, (str, Week)) and self.path(week).exists()

    def add(self, snapshot: pd.DataFrame, week: str | Week, *, replace: bool = False,
            sources: Iterable[str | Path] = (), info: dict[str, Any] | None = None) -> Path:
        """Validate ``snapshot`` and store it as ``week``.

        Raises :class:`WeekExistsError` when the week is stored and ``replace`` is false.
        ``sources`` are the export files it came from: their SHA-256 fingerprints are kept
        with the week (see :meth:`info`).
        """
        week = _week(week)
        target = self.path(week)
        self.check_writable(week, replace=replace)
        weeks_in_frame = set(snapshot["snapshot_week"].unique())
        if weeks_in_frame - {str(week)}:
            raise StoreError(f"the snapshot holds rows of weeks {sorted(weeks_in_frame)}, "
                             f"not only {week}")
        dates = [c for c in snapshot.columns if pd.api.types.is_datetime64_any_dtype(snapshot[c])]
        snapshot = snapshot.astype(dict.fromkeys(dates, "datetime64[ns]"))
        validate_snapshot(snapshot, source=f"snapshot of {week}")
        meta = {"week": str(week), "rows": len(snapshot),
                "teams": sorted(snapshot["team"].unique().tolist()),
                "sources": [{"file": Path(s).name, "sha256": _sha256(Path(s))} for s in sources],
                **(info or {})}
        table = pa.Table.from_pandas(snapshot, preserve_index=False)
        metadata = {**(table.schema.metadata or {}), _META_KEY: json.dumps(meta).encode()}
        table = table.replace_schema_metadata(metadata)
        with atomic_write(target) as handle:
            pq.write_table(table, handle, compression="zstd")
        return target

    def check_writable(self, week: str | Week, *, replace: bool = False) -> None:
        """Raise :class:`WeekExistsError` when ``week`` is stored and ``replace`` is false."""
        if not replace and self.path(week).exists():
            raise WeekExistsError(
                f"week {_week(week)} is already stored in {self.root}",
                hint="pass --replace (replace=True) to overwrite it with this export")

    def read(self, week: str | Week, *, teams: Iterable[str] | None = None) -> pd.DataFrame:
        """One stored week (optionally only some teams)."""
        path = self.path(week)
        if not path.exists():
            raise WeekNotFoundError(
                f"week {_week(week)} is not in the store {self.root}",
                hint=f"stored weeks: {', '.join(self.weeks()) or 'none'}; ingest it with "
                "`pipereview ingest FILE --week ...`")
        filters = [("team", "in", list(teams))] if teams is not None else None
        return pd.read_parquet(path, filters=filters)

    def info(self, week: str | Week) -> dict[str, Any]:
        """What was recorded with a week: row count, teams, source files and fingerprints."""
        schema = pq.read_schema(self.path(week))
        raw = (schema.metadata or {}).get(_META_KEY, b"{}")
        info: dict[str, Any] = json.loads(raw)
        return info

    def history(self, *, teams: Iterable[str] | None = None, weeks: Iterable[str | Week] | None
                = None, first: str | Week | None = None, last: str | Week | None = None
                ) -> pd.DataFrame:
        """Stored weeks stacked, oldest first, optionally filtered by team and week range."""
        chosen = [str(_week(w)) for w in weeks] if weeks is not None else self.weeks()
        lo = _week(first) if first is not None else None
        hi = _week(last) if last is not None else None
        chosen = [w for w in chosen if (lo is None or Week.parse(w) >= lo)
                  and (hi is None or Week.parse(w) <= hi)]
        team_list = list(teams) if teams is not None else None
        frames = [self.read(w, teams=team_list) for w in chosen]
        if not frames:
            return pd.DataFrame()
        return pd.concat(frames, ignore_index=True)

    def summary(self) -> pd.DataFrame:
        """One row per stored week and team: deals, open deals, open amount."""
        rows = []
        for week in self.weeks():
            frame = pd.read_parquet(self.path(week), columns=["team", "stage", "stage_model",
                                                              "amount"])
            is_open = open_mask(frame)
            for team, part in frame.groupby("team", sort=True):
                open_part = part[is_open.loc[part.index]]
                rows.append({"week": week, "team": team, "deals": len(part),
                             "open_deals": len(open_part),
                             "open_amount": float(open_part["amount"].sum())})
        return pd.DataFrame(rows, columns=["week", "team", "deals", "open_deals", "open_amount"])


def _week(week: str | Week) -> Week:
    return week if isinstance(week, Week) else Week.parse(week)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
