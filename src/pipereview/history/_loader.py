"""The one loader of a history (:func:`load_history`): from a snapshot store, a history
file or a folder of weekly exports, of one team's deals when given (its own rows and, of a
deal that changed team, its handover rows in the other team:
:func:`~pipereview.history._teamrows.team_deals`), keyed, with the definitions its weeks
were ingested with.

>>> import tempfile
>>> load_history(tempfile.mkdtemp()).empty
True
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from pipereview.core._errors import InputError
from pipereview.core._weeks import Week
from pipereview.history._historyfile import read_history_file
from pipereview.history._storesummary import REMOVED_ATTRS, removed_text
from pipereview.history._teamrows import team_deals, team_rows
from pipereview.history._trail import with_deal_keys

if TYPE_CHECKING:
    from pipereview.history._store import SnapshotStore
    from pipereview.ingest._limits import ReadLimits

__all__ = ["load_history"]


def load_history(
    store: str | Path | SnapshotStore | None = None,
    *,
    team: str | None = None,
    last: str | Week | None = None,
    keyed: bool = True,
    file: str | Path | None = None,
    exports: str | Path | None = None,
    templates: Iterable[str | Path] = (),
    limits: ReadLimits | None = None,
) -> pd.DataFrame:
    """The one loader of a history, as every command, the batch, ``serve``, the review, the
    dashboard and the notebooks read it: from a snapshot ``store`` (the default store when
    no other source is given), a history ``file`` written to Parquet by an earlier load
    (the batch's shared file, ``serve``'s state folder), or a folder of weekly ``exports``
    (``<week>/<files>``, ingested into a temporary store with ``limits``).

    The stored weeks up to ``last`` (of ``team``'s deals only, when given: its own rows
    and, of a deal that changed team, its handover rows in the other team,
    :func:`~pipereview.history._teamrows.team_deals`; from a store, the other teams'
    rows are read only for the team's deal IDs, so a deal without an ID that changed team
    is not followed there; an unknown team is refused with
    :class:`~pipereview.core._errors.InputError` naming the known ones),
    keyed by :func:`with_deal_keys` unless ``keyed`` is false (a ``file`` is then read as
    written; a keyed file is never keyed again), carrying the stage models and column
    maps the weeks were ingested with (recorded in the store: a user's own model needs no
    registering). ``templates`` (a configuration's template folders) are registered
    first (:func:`pipereview.core._registry.use_folder`), so what they define (column
    maps, stage models, prompt templates) is in effect for the load and what follows it.
    From then on, in this process, the stage-model names of its rows stand for the
    definitions it carries (:func:`pipereview.history._definitions.adopt`); written to
    Parquet, the frame takes them along. Weeks that recorded different versions of one
    model are refused (:class:`~pipereview.history._definitions.DefinitionsConflictError`).

    >>> import tempfile
    >>> load_history(tempfile.mkdtemp()).empty
    True
    """
    from pipereview.core._registry import use_folder

    if sum(source is not None for source in (store, file, exports)) > 1:
        raise InputError(
            "load_history reads one source, but got more than one of store, file and exports",
            hint="give only one of them",
        )
    for folder in templates:
        use_folder(folder)
    if file is not None:
        # the week is checked first, so a bad one is refused even for an empty file
        week = None if last is None else str(Week.parse(last) if isinstance(last, str) else last)
        history = read_history_file(file, team=team)
        if week is not None and len(history):
            history = history[history["snapshot_week"].astype("str") <= week]
        if team is not None and team_rows(history, team).empty:
            raise _unknown_team(team, pd.read_parquet(file, columns=["team"])["team"])
        history = with_deal_keys(history) if keyed and "deal_key" not in history else history
        return history if team is None else team_deals(history, team)  # in the range loaded
    if exports is not None:
        import tempfile

        from pipereview.history._intake import ingest_folder

        with tempfile.TemporaryDirectory() as tmp:
            ingest_folder(exports, store=Path(tmp) / "store", limits=limits)
            return load_history(Path(tmp) / "store", team=team, last=last, keyed=keyed)
    from pipereview.history._store import SnapshotStore

    snapshots = store if isinstance(store, SnapshotStore) else SnapshotStore(store)
    history = snapshots.history(last=last) if team is None else _team_rows(snapshots, team, last)
    history = with_deal_keys(history) if keyed else history
    if team is not None:  # of a deal that changed team, only its handover rows
        history = team_deals(history, team, weeks=_weeks_to(snapshots, last))
    if len(history) and (removed := removed_text(snapshots, history["snapshot_week"].unique())):
        history.attrs[REMOVED_ATTRS] = removed  # deals deleted or merged (a pull's record)
    return history


def _team_rows(snapshots: SnapshotStore, team: str, last: str | Week | None) -> pd.DataFrame:
    """The stored rows of ``team`` and, in the other teams, every row of its deal IDs (an
    unknown team refused naming the known ones)."""
    history = snapshots.history(teams=[team], last=last)
    if history.empty and (weeks := snapshots.scan()[0]):
        stored = (snapshots.info(w)["teams"] for w in weeks)
        raise _unknown_team(team, pd.Series([t for teams in stored for t in teams]))
    ids = history["deal_id"].dropna().astype("str") if "deal_id" in history else ()
    return snapshots.history(teams=[team], last=last, deal_ids=ids) if len(ids) else history


def _weeks_to(snapshots: SnapshotStore, last: str | Week | None) -> list[str]:
    """The store's weeks up to ``last``."""
    weeks = snapshots.weeks()
    if last is None:
        return weeks
    cut = str(Week.parse(last) if isinstance(last, str) else last)
    return [w for w in weeks if w <= cut]


def _unknown_team(team: str, known: pd.Series) -> InputError:
    teams = sorted(str(t) for t in known.dropna().unique())
    return InputError(
        f"team {team!r} has no stored snapshot", expected=f"one of: {', '.join(teams) or 'none'}"
    )
