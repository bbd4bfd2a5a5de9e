"""The weekly files stored beside the deals (the companion exports, the forecast calls):
one mechanism for every kind of them.

Each kind keeps, per week, one Parquet file holding every team's rows, with a record of
its SHA-256, its size and where each team's rows came from::

    <folder>/2026-W47.parquet   the rows of every team stored for that week
    <folder>/2026-W47.json      its checksum and sources

A team's rows of a week are replaced only with ``replace``; another team's are added
beside them. Every file of a run is checked (two files giving one team's rows of a week,
a team's rows the store holds already) before the first is stored; the file and its
record are written whole (temporary file, then rename) under the store's lock; a file
whose checksum differs from its record is named and never read; the rows an export could
not use are written to the week's quarantine with their reasons.

>>> import tempfile
>>> from pipereview.history._store import SnapshotStore
>>> side = SideFile("leads", "companions/leads", "leads", "leads export", "rows", "export",
...                 order=("team", "source_file", "source_row"))
>>> store = SnapshotStore(tempfile.mkdtemp())
>>> side.path(store, Week.parse("2026-W47")).relative_to(store.root).as_posix()
'companions/leads/2026-W47.parquet'
>>> side.weeks(store), side.read(store, Week.parse("2026-W47"))
([], (None, {}))
>>> record_sources({"sources": [{"team": "North", "file": "a.csv"},
...     {"team": "West", "file": "b.csv"}]}, ["North"])
['a.csv']
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow as pa

from pipereview.core._errors import DamagedWeekError, InputError, Problem
from pipereview.core._files import atomic_write
from pipereview.core._weeks import Week
from pipereview.history._intake import quarantine_name, write_quarantine
from pipereview.history._store import SnapshotStore
from pipereview.history._weekfiles import is_week, parquet_bytes, sha256_file
from pipereview.ingest._countedexport import CountedExport

__all__ = [
    "SideFile",
    "WeekRows",
    "check_week_rows",
    "record_sources",
    "store_week_rows",
    "stored_line",
    "write_problems",
]

#: The columns of a quarantine file of problems: where, what was expected, what was found.
_PROBLEM_COLUMNS = ["file", "row", "column", "expected", "got", "hint"]
#: What a record says of each team's rows, taken from the export they came from.
_ACCOUNTING = ("rows_read", "rows_quarantined", "rows_skipped")


@dataclass(frozen=True)
class SideFile:
    """One kind of weekly file stored beside the deals: ``kind`` names it in the
    quarantine (and in its records when ``labelled``), ``folder`` is where its weeks lie
    under the store, ``order`` how a file's rows are sorted (blank values first when
    ``blank_first``). Its messages call the rows ``what`` ("forecast calls"), one file of
    them ``one`` ("calls file"), and the --replace hint replaces a team's ``rows`` with
    this ``file``."""

    kind: str
    folder: str
    what: str
    one: str
    rows: str
    file: str
    order: tuple[str, ...]
    blank_first: bool = False
    labelled: bool = False

    def path(self, store: SnapshotStore, week: Week) -> Path:
        """Where ``week``'s file of this kind lies (its record: the same name, ``.json``)."""
        return store.root / self.folder / f"{week}.parquet"

    def weeks(self, store: SnapshotStore) -> list[Week]:
        """The weeks the store holds a file of this kind of, in order."""
        folder = store.root / self.folder
        if not folder.is_dir():
            return []
        return sorted(Week.parse(p.stem) for p in folder.glob("*.parquet") if is_week(p.stem))

    def read(self, store: SnapshotStore, week: Week) -> tuple[pd.DataFrame | None, dict[str, Any]]:
        """The stored rows and record of ``week`` (``None`` and ``{}`` when none is
        stored), the file checked against its record: a damaged file is refused by name."""
        path = self.path(store, week)
        if not path.exists():
            return None, {}
        try:
            record = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
            intact = record.get("sha256") == sha256_file(path)
        except (OSError, ValueError) as exc:
            raise self._damaged(week, path, f"its record cannot be read ({exc})") from None
        if not intact:
            raise self._damaged(week, path, "its checksum differs from the one recorded")
        return pd.read_parquet(path), record

    def stored_teams(self, store: SnapshotStore) -> Iterator[tuple[Week, str, pd.DataFrame, str]]:
        """Each stored week and its teams, in order: the team's rows and the names of the
        files they came from (comma-separated)."""
        for week in self.weeks(store):
            frame, record = self.read(store, week)
            if frame is None:
                continue
            for team, rows in frame.groupby("team", sort=True):
                files = record_sources(record, [str(team)])
                yield week, str(team), rows, ", ".join(Path(f).name for f in files)

    def _damaged(self, week: Week, path: Path, why: str) -> DamagedWeekError:
        return DamagedWeekError(
            f"the {self.what} stored for {week} ({path}) are damaged: {why}",
            path=path,
            reason=why,
            hint=f"store the week's {self.one} again with --replace",
        )

    def write(
        self, store: SnapshotStore, week: Week, frame: pd.DataFrame, sources: list[Any]
    ) -> Path:
        """The file and its record, each written whole: the record first, so a kill between
        the renames leaves a file whose checksum no longer matches (reported, never read)."""
        path = self.path(store, week)
        blanks: Literal["first", "last"] = "first" if self.blank_first else "last"
        frame = frame.sort_values(list(self.order), kind="stable", na_position=blanks)
        table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
        data = parquet_bytes(table, compression="snappy")
        record = {
            **({"kind": self.kind} if self.labelled else {}),
            "week": str(week),
            "sources": sources,
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
        }
        with atomic_write(
            path.with_suffix(".json"), "w", encoding="utf-8", within=store.root
        ) as out:
            json.dump(record, out, ensure_ascii=False, sort_keys=True)
        with atomic_write(path, within=store.root) as handle:
            handle.write(data)
        return path


@dataclass(frozen=True)
class WeekRows:
    """One export's rows of one week of a kind, each with its team: ``counts`` the rows
    each team's source in the record counts, ``details`` what else the record says of it."""

    side: SideFile
    week: Week
    frame: pd.DataFrame
    export: CountedExport
    counts: Mapping[str, int]
    details: Mapping[str, Any] = field(default_factory=dict)

    def sources(self) -> list[dict[str, Any]]:
        """The record's source of each team of the rows, in team order."""
        return [
            {
                "team": team,
                "file": str(self.export.source),
                **self.details,
                "rows": self.counts[team],
                **{name: getattr(self.export, name) for name in _ACCOUNTING},
                "missing": list(self.export.missing),
            }
            for team in sorted(set(self.frame["team"]))
        ]


def check_week_rows(
    store: SnapshotStore, parts: Iterable[WeekRows], *, replace: bool = False
) -> list[tuple[pd.DataFrame | None, dict[str, Any]]]:
    """Refuse, before anything is stored, two exports giving the same team's rows of a
    kind and week, or a team's rows the store holds already (unless ``replace``); the
    stored rows and record of each part's week (``None`` and ``{}`` where none is)."""
    seen: dict[tuple[str, str, str], CountedExport] = {}
    stored = []
    for part in parts:
        side, week, export = part.side, part.week, part.export
        teams = set(part.frame["team"])
        for team in sorted(teams):
            earlier = seen.setdefault((side.kind, str(week), team), export)
            if earlier is not export:
                raise InputError(
                    f"{earlier.source} and {export.source} both give the {side.what} of "
                    f"{team} for {week}",
                    file=export.source,
                    expected=f"one {side.one} per team and week",
                    hint="store one of them, or combine them into one file first",
                )
        old, record = side.read(store, week)
        clash = teams & set(old["team"]) if old is not None and not replace else set()
        if clash:
            raise InputError(
                f"{week} already holds {side.what} of {', '.join(sorted(clash))} "
                f"(stored from {', '.join(record_sources(record, clash))})",
                file=export.source,
                expected=f"{side.what} of a team not yet stored for {week}",
                hint=f"add --replace to replace that team's {side.rows} with this {side.file}",
            )
        stored.append((old, record))
    return stored


def store_week_rows(
    store: SnapshotStore, week: Week, parts: Sequence[WeekRows], *, replace: bool = False
) -> tuple[list[tuple[Path, pd.DataFrame]], Path | None]:
    """Store one export's ``parts`` under the store's lock, all checked first
    (:func:`check_week_rows`): each week's file with its teams' rows replaced or added;
    the rows the export could not use written to ``week``'s quarantine. Gives each file
    written with the rows it holds now, and the quarantine file (None without one)."""
    written: list[tuple[Path, pd.DataFrame]] = []
    quarantine = None
    with store.lock():
        stored = check_week_rows(store, parts, replace=replace)
        if parts:
            side, export = parts[0].side, parts[0].export
            name = f"{side.kind}.{quarantine_name(export.source)}"
            quarantine = write_problems(store, week, name, export.problems)
        for part, (old, record) in zip(parts, stored, strict=True):
            teams = set(part.frame["team"])
            frame = part.frame
            if old is not None:
                frame = pd.concat([old[~old["team"].isin(teams)], frame], ignore_index=True)
            sources = [s for s in record.get("sources", []) if s["team"] not in teams]
            path = part.side.write(store, part.week, frame, sources + part.sources())
            written.append((path, frame))
    return written, quarantine


def stored_line(
    what: str, rows: int, unit: str, teams: Iterable[str], paths: Iterable[Path], aside: Path | None
) -> str:
    """One line for the terminal on what an export stored: ``what`` (the kind and weeks),
    its ``rows`` (``unit``: what a row is), the teams the files hold now, the files
    written and the quarantine file of the rows set aside.

    >>> stored_line("2026-W47 leads", 2, "rows", ["North"], [Path("leads.parquet")], None)
    'stored 2026-W47 leads: 2 rows for North -> leads.parquet'
    """
    where = f"; rows set aside: {aside}" if aside else ""
    return (
        f"stored {what}: {rows} {unit} for {', '.join(teams)} -> "
        f"{', '.join(str(p) for p in paths)}{where}"
    )


def record_sources(record: Mapping[str, Any], teams: Iterable[str]) -> list[str]:
    """The files a stored week's record says ``teams``' rows came from, sorted."""
    wanted = set(teams)
    return sorted({s["file"] for s in record.get("sources", []) if s["team"] in wanted})


def write_problems(
    store: SnapshotStore, week: Week, name: str, problems: Sequence[Problem]
) -> Path | None:
    """The rows an export could not use (``problems``, one per row) written as ``name`` in
    ``week``'s quarantine; None when there is none."""
    if not problems:
        return None
    table = pd.DataFrame(
        [[getattr(p, c) for c in _PROBLEM_COLUMNS] for p in problems], columns=_PROBLEM_COLUMNS
    )
    return write_quarantine(store, week, name, table)
