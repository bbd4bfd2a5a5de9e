"""The companion exports a review reads (:class:`Companions`: activities, leads and
invoices), the team of each of their rows, and how they reach a batch's kernels and a
review run on a folder of exports.

A folder of weekly exports (``<week>/<files>``, the sample's layout) may have a
``companions`` folder beside it holding ``<week>/<files>`` of activities, leads and
invoices: :func:`read_companion_folder` reads the latest week's at or before the review's.

>>> Companions().available()
()
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipereview.core._errors import InputError
from pipereview.core._files import atomic_write
from pipereview.core._weeks import Week
from pipereview.history._weekfiles import is_week
from pipereview.ingest._companionformats import COMPANION_KINDS
from pipereview.ingest._companions import read_companion

__all__ = [
    "Companions",
    "read_companion_folder",
    "read_shared_companions",
    "teams_of_rows",
    "write_shared_companions",
]

_SHARED_RECORD = "companions.json"


@dataclass(frozen=True)
class Companions:
    """The companion exports a review reads: each kind's rows (``None`` when no export of
    that kind is stored), the week each was stored in, and the optional columns each
    export lacked (so a finding can say "not checked: no <column>")."""

    activities: pd.DataFrame | None = None
    leads: pd.DataFrame | None = None
    invoices: pd.DataFrame | None = None
    weeks: Mapping[str, str] = field(default_factory=dict)
    missing: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def frame(self, kind: str) -> pd.DataFrame | None:
        """The rows of ``kind`` (one of ``activities``, ``leads``, ``invoices``)."""
        if kind not in COMPANION_KINDS:
            raise InputError(
                f"unknown companion export {kind!r}: expected one of {', '.join(COMPANION_KINDS)}",
                expected=", ".join(COMPANION_KINDS),
                hint="name one of the kinds pipereview reads (docs/companion-exports.md)",
            )
        frame: pd.DataFrame | None = getattr(self, kind)
        return frame

    def available(self) -> tuple[str, ...]:
        """The kinds with an export, in :data:`COMPANION_KINDS` order."""
        return tuple(k for k in COMPANION_KINDS if self.frame(k) is not None)

    def for_team(self, team: str) -> Companions:
        """The same exports, ``team``'s rows only (a kind with no row for the team is absent)."""
        frames: dict[str, pd.DataFrame | None] = {}
        for kind in COMPANION_KINDS:
            frame = self.frame(kind)
            rows = None if frame is None else frame[frame["team"] == team].reset_index(drop=True)
            frames[kind] = rows if rows is not None and len(rows) else None
        return Companions(
            **frames,
            weeks={k: w for k, w in self.weeks.items() if frames.get(k) is not None},
            missing={k: m for k, m in self.missing.items() if frames.get(k) is not None},
        )


def teams_of_rows(frame: pd.DataFrame, deals: pd.DataFrame) -> pd.Series:
    """Per row of a companion export, the team its deal is in (``deal_id``), else the team
    of its rep (``owner``) when the rep is in exactly one team of ``deals``; None else.

    >>> deals = pd.DataFrame({"team": ["North", "West"], "deal_id": ["D1", "D2"],
    ...                       "owner": ["Ann", "Bo"]})
    >>> rows = pd.DataFrame({"deal_id": ["D2", None, None], "owner": ["Ann", "Ann", "Cy"]})
    >>> teams_of_rows(rows, deals).tolist()
    ['West', 'North', None]
    """
    by_deal = deals.dropna(subset=["deal_id"]).drop_duplicates("deal_id", keep="last")
    deal_team = by_deal.set_index("deal_id")["team"]
    reps = deals.dropna(subset=["owner"]).groupby("owner")["team"].unique()
    rep_team = reps[reps.map(len) == 1].map(lambda teams: teams[0])
    from_deal = frame["deal_id"].map(deal_team) if "deal_id" in frame else None
    from_rep = frame["owner"].map(rep_team) if "owner" in frame else None
    found = pd.Series([None] * len(frame), index=frame.index, dtype="object")
    for guess in (from_rep, from_deal):  # the deal's team wins over the rep's
        if guess is not None:
            found = guess.where(guess.notna(), found)
    return found.astype("object").where(found.notna(), None)


def write_shared_companions(companions: Companions, folder: Path) -> None:
    """Write ``companions`` into ``folder`` (``<kind>.parquet`` and a record of the weeks and
    missing columns), for the kernels of a batch to read with :func:`read_shared_companions`."""
    for kind in COMPANION_KINDS:
        frame = companions.frame(kind)
        if frame is None:
            continue
        with atomic_write(folder / f"{kind}.parquet") as handle:
            frame.to_parquet(handle, index=False)
    record = {"weeks": dict(companions.weeks), "missing": dict(companions.missing)}
    with atomic_write(folder / _SHARED_RECORD, "w", encoding="utf-8") as handle:
        json.dump(record, handle, ensure_ascii=False, sort_keys=True)


def read_shared_companions(folder: Path, *, team: str | None = None) -> Companions:
    """What :func:`write_shared_companions` wrote into ``folder`` (no export of any kind when
    it wrote nothing), ``team``'s rows only when given."""
    record_path = folder / _SHARED_RECORD
    if not record_path.is_file():
        return Companions()
    record = json.loads(record_path.read_text(encoding="utf-8"))
    frames = {
        kind: pd.read_parquet(folder / f"{kind}.parquet")
        for kind in COMPANION_KINDS
        if (folder / f"{kind}.parquet").is_file()
    }
    missing = {k: tuple(v) for k, v in record.get("missing", {}).items()}
    shared = Companions(**frames, weeks=record.get("weeks", {}), missing=missing)
    return shared.for_team(team) if team is not None else shared


def read_companion_folder(folder: Path, week: str | Week, deals: pd.DataFrame) -> Companions:
    """The companion exports of the latest ``<week>`` subfolder of ``folder`` at or before
    ``week``, each row given the team of its deal or rep in ``deals`` (rows whose team is
    not found, e.g. another team's when ``deals`` holds one team, are left out). No export
    of any kind when ``folder`` holds none."""
    week = Week.parse(str(week))
    found = sorted(
        (Week.parse(p.name), p)
        for p in (folder.iterdir() if folder.is_dir() else [])
        if p.is_dir() and is_week(p.name) and Week.parse(p.name) <= week
    )
    if not found:
        return Companions()
    stored, path = found[-1]
    frames: dict[str, list[pd.DataFrame]] = {}
    missing: dict[str, set[str]] = {}
    for file in sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")):
        export = read_companion(file)
        frame = export.frame.copy()
        frame["team"] = frame["team"].where(frame["team"].notna(), teams_of_rows(frame, deals))
        frame = frame[frame["team"].notna()]
        if len(frame):
            frames.setdefault(export.kind, []).append(frame)
            missing[export.kind] = missing.get(export.kind, set(export.missing)) & set(
                export.missing
            )
    return Companions(
        **{k: pd.concat(v, ignore_index=True) for k, v in frames.items()},
        weeks={k: str(stored) for k in frames},
        missing={k: tuple(sorted(v)) for k, v in missing.items()},
    )
