"""Check a whole snapshot store (``pipereview verify``), and set aside what is damaged.

>>> import tempfile
>>> check = verify_store(tempfile.mkdtemp())
>>> check.ok, check.weeks, check.findings
(True, [], [])

Every week file must be readable, match the SHA-256 recorded when it was written, and hold
a valid canonical snapshot; files that are not week files, temporary files of a killed
write, checksum records without a week, and quarantine folders that lead out of the store
are problems too, as are weeks that recorded different versions of one stage model. A
week stored before weeks recorded the stage models and column maps they were ingested with
is noted; :func:`record_definitions` (``pipereview verify --repair``) records them. Each
:class:`Finding` says what to do about it.
"""

from __future__ import annotations

import datetime
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from pipereview.core._errors import PipereviewError, StoreWarning
from pipereview.core._files import TEMP_SUFFIX, check_inside
from pipereview.core._weeks import Week
from pipereview.history._definitions import snapshot_record
from pipereview.history._store import SnapshotStore
from pipereview.history._storefiles import LOCK_NAME
from pipereview.ingest._schema import validate_snapshot

__all__ = ["Finding", "StoreCheck", "record_definitions", "set_aside", "verify_store"]


@dataclass(frozen=True)
class Finding:
    """One thing wrong (``problem``) or worth knowing (``note``) about a store's file."""

    path: Path
    what: str
    fix: str
    severity: str = "problem"

    def __str__(self) -> str:
        return f"{self.path}: {self.what}. Fix: {self.fix}"


@dataclass
class StoreCheck:
    """What :func:`verify_store` found: the intact weeks and every finding."""

    root: Path
    weeks: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "problem"]

    @property
    def ok(self) -> bool:
        return not self.problems


_REINGEST = (
    "store the week again from its exports with `pipereview ingest FILES --week {week} "
    "--replace` or restore the file from a backup; `pipereview verify --repair` moves "
    "it to the store's damaged/ folder meanwhile"
)


def verify_store(root: str | Path | SnapshotStore) -> StoreCheck:
    """Check every file of the store under ``root`` (reads every week in full)."""
    store = root if isinstance(root, SnapshotStore) else SnapshotStore(root)
    check = StoreCheck(store.root)
    if not store.root.exists():
        check.findings.append(
            Finding(
                store.root, "the store does not exist", "check --store or $PIPEREVIEW_STORE", "note"
            )
        )
        return check
    intact, damaged = store.scan()
    for path, reason in damaged.items():
        fix = (
            _REINGEST.format(week=path.stem)
            if _is_week(path.stem)
            else f"move it out of {store.snapshot_dir}"
        )
        check.findings.append(Finding(path, reason, fix))
    for week in intact:
        path = store.path(week)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", StoreWarning)
                validate_snapshot(store.read(week, adopt=False), source=str(path))
        except PipereviewError as exc:
            check.findings.append(Finding(path, exc.message, _REINGEST.format(week=week)))
            continue
        check.weeks.append(week)
        if store.record(week) is None:
            check.findings.append(
                Finding(
                    path,
                    "no checksum recorded (stored by an earlier pipereview)",
                    "nothing to do; storing the week again with --replace records one",
                    "note",
                )
            )
    check.findings.extend(_definitions(store, check.weeks))
    for path in store.leftovers():
        what = (
            "a checksum record of a week that was never written"
            if path.suffix == ".json"
            else "a temporary file of an interrupted write"
        )
        check.findings.append(
            Finding(
                path,
                what,
                "run `pipereview verify --repair` (or any "
                "ingest): the next writer removes it under the lock",
            )
        )
    check.findings.extend(_other_files(store))
    check.findings.extend(_quarantine(store))
    return check


def set_aside(store: SnapshotStore) -> list[Path]:
    """Under the store's lock (which also removes leftovers), move every damaged or foreign
    week file to ``damaged/`` under the store's root; returns the new paths."""
    moved = []
    with store.lock():
        _, damaged = store.scan()
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
        for path in damaged:
            target = store.root / "damaged" / f"{path.stem}.{stamp}{path.suffix}"
            check_inside(target, store.root)
            target.parent.mkdir(exist_ok=True)
            path.replace(target)
            moved.append(target)
            if _is_week(path.stem):
                store.checksum_path(path.stem).unlink(missing_ok=True)
    return moved


def record_definitions(store: SnapshotStore) -> list[str]:
    """Under the store's lock, record in each week stored before weeks recorded them the
    stage models its rows name (those other weeks recorded, else the shipped or registered
    ones: see :meth:`SnapshotStore.definitions`); its rows stay as they are. Returns the
    weeks written.

    >>> import tempfile
    >>> record_definitions(SnapshotStore(tempfile.mkdtemp()))
    []
    """
    written = []
    with store.lock():
        found = store.definitions()
        for week in found.unrecorded:
            frame = store.read(week, adopt=False)
            names = set(frame["stage_model"].dropna().astype("str"))
            models = [m for name, m in found.stage_models.items() if name in names]
            info = {k: v for k, v in store.info(week).items() if k not in ("week", "rows", "teams")}
            store.add(
                frame,
                week,
                replace=True,
                expect=store.state(week),
                info={**info, "definitions": snapshot_record(frame, models)},
            )
            written.append(week)
    return written


def _definitions(store: SnapshotStore, weeks: list[str]) -> list[Finding]:
    """Weeks that recorded different versions of one stage model (a problem), or none at
    all (a note)."""
    try:
        found = store.definitions(weeks)
    except PipereviewError as exc:
        fix = exc.hint or "store those weeks again with one version of the model"
        return [Finding(store.snapshot_dir, exc.message, fix)]
    return [
        Finding(
            store.path(week),
            "no stage models recorded with the week (stored by an "
            "earlier pipereview): it is read with the same-named models of the other "
            "weeks, else the shipped or registered ones",
            "run `pipereview verify --repair` once to record them in the week "
            "(with --templates FOLDER when the model is your own)",
            "note",
        )
        for week in found.unrecorded
    ]


def _other_files(store: SnapshotStore) -> list[Finding]:
    found = []
    for entry in sorted(store.snapshot_dir.iterdir()) if store.snapshot_dir.is_dir() else []:
        if entry.suffix != ".parquet" and not entry.name.endswith(TEMP_SUFFIX):
            found.append(
                Finding(
                    entry,
                    "not a week file of the store",
                    f"move it out of {store.snapshot_dir}",
                    "note",
                )
            )
    damaged = store.root / "damaged"
    if damaged.is_dir() and any(damaged.iterdir()):
        found.append(
            Finding(
                damaged,
                "files set aside earlier as damaged",
                "restore what you need from a backup, then delete them",
                "note",
            )
        )
    lock = store.root / LOCK_NAME
    if lock.is_symlink():
        found.append(Finding(lock, "the lock file is a symlink", "remove it"))
    return found


def _quarantine(store: SnapshotStore) -> list[Finding]:
    root = store.root / "quarantine"
    if not root.exists():
        return []
    real_root = store.root.resolve()
    found = []
    for folder in [root, *sorted(root.iterdir())]:
        if folder.is_symlink() and real_root not in folder.resolve().parents:
            found.append(
                Finding(
                    folder,
                    f"a symlink out of the store (to {folder.resolve()}): "
                    "rejected rows would be written elsewhere",
                    "replace it by a real folder (move its files in)",
                )
            )
        elif folder != root and folder.is_dir() and not _is_week(folder.name):
            found.append(
                Finding(
                    folder,
                    "not a week's quarantine folder",
                    "move it out of the quarantine folder",
                    "note",
                )
            )
        elif folder != root and folder.is_dir():
            for csv in sorted(folder.glob("*.quarantine.csv")):
                if not csv.read_bytes()[:32].lstrip(b"\xef\xbb\xbf").startswith(b"row,reason"):
                    found.append(
                        Finding(
                            csv,
                            "not a quarantine file (no row,reason header)",
                            "move it out of the quarantine folder",
                            "note",
                        )
                    )
    return found


def _is_week(text: str) -> bool:
    try:
        Week.parse(text)
    except PipereviewError:
        return False
    return True
