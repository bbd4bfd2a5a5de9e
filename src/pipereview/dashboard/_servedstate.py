"""What ``pipereview serve`` reads and writes before Voilà starts: the keyed history it
serves (:func:`served_history`), the week asked for checked against it
(:func:`stored_week`) and the per-team state a page loads (:func:`prepare_teams`).

>>> frame = pd.DataFrame({"snapshot_week": ["2026-W47"]})
>>> stored_week(frame, "2026-W47")
'2026-W47'
>>> stored_week(frame, "2026-W48")
Traceback (most recent call last):
pipereview.core._errors.InputError: no snapshot stored for 2026-W48 (expected one of: 2026-W47)
Hint: give --week one of the stored weeks (pipereview weeks lists them)
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipereview.core._errors import InputError

__all__ = ["prepare_teams", "served_history", "stored_week"]


def prepare_teams(
    folder: Path,
    history_path: Path,
    targets: str | Path | None,
    settings_path: Path | None,
    lang: str,
    views: bool,
    calls: str | None = None,
    team: str | None = None,
) -> Path:
    """Write the per-team state a page loads into ``folder``
    (:func:`~pipereview.dashboard.prepare.write_prepared`: each team's deals as the page
    reads them and, with ``views``, its likely first views, with the ``calls`` of the
    served store): ``team``'s alone if given."""
    from pipereview.config import load_config
    from pipereview.dashboard.prepare import write_prepared
    from pipereview.diagnostics._targets import load_targets

    settings = load_config(settings_path) if settings_path else None  # as the page loads it
    templates = settings.templates if settings is not None else ()
    return write_prepared(
        folder,
        history_path,  # read a team at a time, never whole
        targets=load_targets(targets) if targets else None,
        config=settings,
        lang=lang,
        views=views,
        templates=templates,
        calls=calls,
        teams=None if team is None else [team],  # locked: no state of another team
    )


def served_history(
    store: str | Path | None, history: str | Path | None, team: str | None
) -> pd.DataFrame:
    """The keyed history a dashboard serves (``team``'s rows only when given): read from
    a keyed ``history`` file, else keyed here from the ``store``, which must hold a week."""
    from pipereview.history._loader import load_history
    from pipereview.history._store import SnapshotStore

    if history is not None:
        frame = load_history(file=history, team=team, keyed=False)
        if "deal_key" not in frame.columns:
            raise InputError(
                f"{history} has no deal_key column",
                column="deal_key",
                expected="a keyed history (a Parquet file with a deal_key column)",
                hint="pass --store instead to key the store's history here",
            )
        return frame
    snapshots = SnapshotStore(store)
    if not snapshots.weeks():
        raise InputError(
            f"the store {snapshots.root} holds no weeks yet",
            hint="ingest a week first: pipereview ingest --help",
        )
    return load_history(snapshots, team=team)


def stored_week(frame: pd.DataFrame, week: str) -> str:
    """``week`` as an ISO week, refused unless ``frame`` holds a snapshot of it."""
    from pipereview.core._weeks import Week

    week = str(Week.parse(week))
    stored = set(frame["snapshot_week"].astype("str"))
    if week not in stored:
        raise InputError(
            f"no snapshot stored for {week}",
            expected=f"one of: {', '.join(sorted(stored))}",
            hint="give --week one of the stored weeks (pipereview weeks lists them)",
        )
    return week
