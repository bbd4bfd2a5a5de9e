"""Writing the prepared per-team state a served page loads
(:class:`~pipereview.dashboard.prepared.PreparedTeams` reads it): each team's keyed
history rows in a Parquet file of its own (with, of a deal that changed team, its rows in
the other team, so the team's review reads the move) and, drawn once here instead of in every page's
kernel, the HTML of the views a manager is likely to open first from that team.

>>> import tempfile
>>> h = pd.DataFrame({"snapshot_week": "2026-W47", "team": ["North", "West"],
...     "deal_id": "D1", "deal_name": "MES", "account": "Acme", "owner": "Ann",
...     "stage": "needs_confirmed", "stage_model": "generic_4", "amount": 1000.0,
...     "currency": "EUR", "close_date": pd.Timestamp("2026-12-18"), "probability": 0.25})
>>> folder = write_prepared(tempfile.mkdtemp(), h, views=False)
>>> sorted(p.name for p in folder.iterdir())
['index.json', 'team-0.parquet', 'team-1.parquet']
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipereview.dashboard.prepared import INDEX_FILE
from pipereview.history._teamrows import team_deals

if TYPE_CHECKING:
    from pipereview.config import Config
    from pipereview.dashboard.data import DashboardData

__all__ = ["write_prepared"]

_VERSION = 1


def _write_team(folder: Path, number: int, rows: pd.DataFrame, team: str) -> dict[str, Any]:
    """Write ``team``'s deals (``rows``: :func:`~pipereview.history._teamrows.team_deals`)
    and return its index entry, its weeks those of its own rows."""
    from pipereview.history._store import atomic_write
    from pipereview.history._teamrows import team_rows

    name = f"team-{number}.parquet"
    with atomic_write(folder / name, "wb") as handle:
        rows.reset_index(drop=True).to_parquet(handle)
    own = team_rows(rows, team)  # the weeks and reps of the team's own rows
    weeks = sorted(set(own["snapshot_week"].astype("str")), reverse=True)
    # each week's reps, as a page lists them, so that no selection needs the week's review
    owners = own.groupby(own["snapshot_week"].astype("str"), observed=True)["owner"]
    reps = {
        str(week): sorted(str(o) for o in set(values.dropna()) - {""}) for week, values in owners
    }
    return {"team": team, "history": name, "weeks": weeks, "reps": reps}


def write_prepared(
    folder: str | Path,
    history: pd.DataFrame | str | Path,
    *,
    targets: pd.DataFrame | None = None,
    config: Config | None = None,
    lang: str = "en",
    views: bool = True,
    templates: Sequence[str | Path] = (),
    calls: str | Path | None = None,
    teams: Sequence[str] | None = None,
) -> Path:
    """Write each team's deals of the keyed ``history`` (of ``teams`` only when given; its
    rows and, of a deal that changed team, that deal's handover rows in the other team:
    :func:`~pipereview.history._teamrows.team_deals`) into ``folder`` (one Parquet file a
    team, named by number, and :data:`INDEX_FILE`), and with ``views`` the HTML of the
    views a manager is likely to open first from that team in ``lang`` (drawn with
    ``targets``, ``config`` and the ``templates`` folders as the page draws them: one
    process a team, as many at once as there are cores; the forecast calls of the store
    ``calls`` in the reviews); return ``folder``. ``history`` may be a history file
    (:func:`~pipereview.history.write_history_file`): each team's deals are then read from
    it one team at a time (:func:`~pipereview.history._loader.load_history` with ``team``),
    never the whole history at once."""
    from pipereview.core._languages import check_language
    from pipereview.history._store import atomic_write

    check_language(lang)  # before anything is written
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    index: list[dict[str, Any]] = []
    held = _teams_held(history)
    for number, team in enumerate(
        held if teams is None else [t for t in held if t in teams]
    ):  # of a deal that changed team, both teams' rows
        rows = _team_deals(history, team, templates)  # with the definitions the rows carry
        index.append(_write_team(root, number, rows, team))
    if views:  # one process a team, as many at once as there are cores
        jobs = [(root, e, targets, config, lang, templates, calls) for e in index]
        workers = min(len(jobs), os.cpu_count() or 1)
        if workers > 1:
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(workers, mp_context=context) as pool:
                names = list(pool.map(_draw_team, jobs))
        else:
            names = [_draw_team(job) for job in jobs]
        for entry, (name, drill) in zip(index, names, strict=True):
            entry["views"], entry["drill"] = name, drill
    with atomic_write(root / INDEX_FILE, "w", encoding="utf-8") as handle:
        json.dump({"version": _VERSION, "teams": index}, handle, ensure_ascii=False, indent=1)
    return root


def _teams_held(history: pd.DataFrame | str | Path) -> list[str]:
    """The teams of a history frame or file, in name order."""
    if not isinstance(history, pd.DataFrame):
        from pipereview.history._historyfile import history_file_teams

        return history_file_teams(history)
    return sorted(str(t) for t in history["team"].dropna().unique()) if len(history) else []


def _team_deals(
    history: pd.DataFrame | str | Path, team: str, templates: Sequence[str | Path]
) -> pd.DataFrame:
    """:func:`~pipereview.history._teamrows.team_deals` of a frame, or a team's deals read
    from a history file as the batch's notebooks read them."""
    if isinstance(history, pd.DataFrame):
        return team_deals(history, team)
    from pipereview.history._loader import load_history

    return load_history(file=history, team=team, templates=templates)


def _draw_team(
    job: tuple[Path, dict[str, Any], Any, Any, str, Sequence[str | Path], Any],
) -> tuple[list[list[str]], list[list[str]]]:
    """Draw one prepared team's likely first views (its rows read as the page reads
    them) beside its rows, one file a week and rep (``team-N.views-M.json``), and the
    counts behind their buttons alike (``team-N.drill-M.json``): a selection reads only
    the small file of its week and rep. Return each kind's ``[week, rep, file name]``."""
    from pipereview.history._loader import load_history
    from pipereview.history._store import atomic_write

    root, entry, targets, config, lang, templates, calls = job
    rows = load_history(file=root / entry["history"], templates=templates)
    data = _first_views(rows, entry["team"], targets=targets, config=config, lang=lang, calls=calls)
    files: list[list[list[str]]] = []
    for kind, drawn in (("views", data.html), ("drill", data.drill)):
        groups: dict[tuple[str, str], list[list[Any]]] = {}
        for key, body in drawn.items():
            groups.setdefault((key[1], key[2]), []).append([list(key), body])
        listed = []
        for number, ((week, rep), pairs) in enumerate(groups.items()):
            name = str(entry["history"]).replace(".parquet", f".{kind}-{number}.json")
            with atomic_write(root / name, "w", encoding="utf-8") as handle:
                json.dump(pairs, handle, ensure_ascii=False)
            listed.append([week, rep, name])
        files.append(listed)
    return files[0], files[1]


def _first_views(
    rows: pd.DataFrame,
    team: str,
    *,
    targets: pd.DataFrame | None,
    config: Config | None,
    lang: str,
    calls: str | Path | None = None,
) -> DashboardData:
    """The views a manager is likely to open first from ``team``, drawn (``html``) and
    their buttons counted (``drill``):
    every tab of its latest week and of the week before, for the team and for each rep of
    those weeks, the overview of each stored week, the overview (and the team's coaching
    tab) of those two weeks in the other language."""
    from dataclasses import replace

    from pipereview.dashboard._drill import drill_counts
    from pipereview.dashboard._likely import warm_views
    from pipereview.dashboard._text import TABS
    from pipereview.dashboard.data import DashboardData
    from pipereview.dashboard.tabs import render
    from pipereview.dashboard.view import View

    data = DashboardData(rows, targets=targets, team=team, config=config, calls=calls)
    first = data.moved(View(team, "", lang=lang), team, None)
    other = replace(first, lang="zh" if lang == "en" else "en")
    wanted = [*warm_views(data, first), ("overview", other), ("coaching", other)]
    for earlier in data.weeks(team)[1:2]:  # the week before: every tab, both languages
        wanted += [(tab, replace(first, week=earlier)) for tab in TABS]
        wanted += [(tab, replace(other, week=earlier)) for tab in ("overview", "coaching")]
    for week in data.weeks(team)[:2]:  # each rep of those weeks: every tab, the overview in both
        view = replace(first, week=week)
        for rep in data.reps(view):
            wanted += [(tab, replace(view, rep=rep)) for tab in TABS]
            wanted.append(("overview", replace(other, week=week, rep=rep)))
    for tab, view in wanted:
        render(data, tab, view)
        drill_counts(data, view)
    return data
