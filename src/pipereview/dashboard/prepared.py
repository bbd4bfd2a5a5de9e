"""The prepared per-team state ``pipereview serve`` writes into its state folder, so that
a page loads only the team it shows, and only when it shows it: each team's keyed
history rows in a Parquet file of its own, and the HTML of the views a manager is likely
to open first from that team (every tab of its latest week and of the week before, for
the team and for each rep, the overview of each stored week, the overview of those two
weeks and the team's coaching tab in the other language) and each week's reps, drawn once when the dashboard is prepared
(:func:`~pipereview.dashboard.prepare.write_prepared`) instead of in every page's kernel.

>>> import tempfile
>>> from pipereview.dashboard.prepare import write_prepared
>>> h = pd.DataFrame({"snapshot_week": ["2026-W46", "2026-W47"], "team": "North",
...     "deal_id": "D1", "deal_name": "MES", "account": "Acme", "owner": "Ann",
...     "stage": "needs_confirmed", "stage_model": "generic_4", "amount": 1000.0,
...     "currency": "EUR", "close_date": pd.Timestamp("2026-12-18"), "probability": 0.25})
>>> folder = write_prepared(tempfile.mkdtemp(), h, views=False)
>>> teams = PreparedTeams(folder)
>>> teams.teams, teams.weeks("North"), len(teams.history("North"))
(['North'], ['2026-W47', '2026-W46'], 2)
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from pipereview.core._errors import InputError
from pipereview.core._registry import use_folder
from pipereview.history._teamrows import team_rows

__all__ = ["INDEX_FILE", "PreparedTeams", "PreparedViews"]

#: The file naming each prepared team's files and stored weeks.
INDEX_FILE = "index.json"


class PreparedTeams:
    """The prepared state in ``folder`` (as :func:`~pipereview.dashboard.prepare.write_prepared` wrote it), of the
    ``only`` team when given: the teams and their weeks at once, a team's rows and views
    when first asked for. The ``templates`` folders are registered at once, as
    :func:`~pipereview.history._loader.load_history` registers them, so the page knows their
    stage models before it reads any rows."""

    def __init__(
        self, folder: str | Path, *, only: str | None = None, templates: Sequence[str] = ()
    ) -> None:
        self.folder = Path(folder)
        path = self.folder / INDEX_FILE
        try:
            index = json.loads(path.read_text(encoding="utf-8"))
            entries = {str(e["team"]): e for e in index["teams"]}
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise InputError(
                f"{path} is not a prepared dashboard state ({error})",
                expected=f"the {INDEX_FILE} that pipereview serve writes",
                hint="prepare the state folder again: pipereview serve --prepare-only",
            ) from error
        if only is not None:
            entries = {t: e for t, e in entries.items() if t == only}
        self._entries = entries
        self.templates = tuple(templates)
        for templates_folder in self.templates:
            use_folder(templates_folder)
        self._frames: dict[str, pd.DataFrame] = {}

    @property
    def teams(self) -> list[str]:
        """The prepared teams, sorted."""
        return sorted(self._entries)

    def weeks(self, team: str) -> list[str]:
        """``team``'s stored weeks, latest first (none for a team not prepared)."""
        return list(self._entries.get(team, {}).get("weeks", []))

    def reps(self, team: str, week: str) -> list[str] | None:
        """The reps with deals in ``team``'s ``week``, sorted, as prepared (None: not
        prepared, e.g. a state folder written before reps were)."""
        reps = self._entries.get(team, {}).get("reps")
        if not isinstance(reps, dict) or week not in reps:
            return None
        return [str(rep) for rep in reps[week]]

    def history(self, team: str) -> pd.DataFrame:
        """``team``'s keyed history rows, with the other team's rows of a deal that changed
        team (:func:`~pipereview.history._teamrows.team_deals`; read on first use and kept)."""
        if team not in self._frames:
            from pipereview.history._loader import load_history

            entry = self._entries.get(team)
            if entry is None:
                raise InputError(
                    f"team {team!r} is not prepared in {self.folder}; "
                    f"teams: {', '.join(self.teams)}",
                    hint="choose a team from the team selector",
                )
            self._frames[team] = load_history(
                file=self.folder / entry["history"], templates=self.templates
            )
        return self._frames[team]

    def all_history(self) -> pd.DataFrame:
        """Every prepared team's rows in one frame (each read as :meth:`history` reads it)."""
        frames = [team_rows(self.history(team), team) for team in self.teams]  # each row once
        if not frames:
            return pd.DataFrame(columns=["snapshot_week", "team"])
        whole = pd.concat(frames, ignore_index=True)
        whole.attrs = dict(frames[0].attrs)
        return whole

    def views(
        self, team: str, kind: str = "views", part: tuple[str, str] | None = None
    ) -> dict[tuple[str, ...], str]:
        """The HTML of ``team``'s prepared views by :meth:`View.key` (none if not drawn),
        of the ``part`` (week, rep) only when given; with ``kind="drill"``, the counts
        behind their buttons (:func:`~pipereview.dashboard._drill.drill_counts`, as JSON)."""
        files = self._entries.get(team, {}).get(kind) or []
        if isinstance(files, str):  # one file a team (a state folder written before)
            files = [["", "", files]] if part is None else []
        out: dict[tuple[str, ...], str] = {}
        for week, rep, name in files:
            if part is None or part == (week, rep):
                pairs = json.loads((self.folder / name).read_text(encoding="utf-8"))
                out.update((tuple(key), str(body)) for key, body in pairs)
        return out

    def parted(self, team: str) -> bool:
        """Whether ``team``'s views are kept one file a week and rep."""
        return not isinstance(self._entries.get(team, {}).get("views"), str)


class PreparedViews(dict[tuple[str, ...], str]):
    """The drawn tabs' HTML by :meth:`View.key` (``DashboardData.html``) that takes a
    team's prepared views in the first time a view of that team is looked up (with
    ``kind="drill"``: the counts behind the views' buttons, ``DashboardData.drill``)."""

    def __init__(self, prepared: PreparedTeams, kind: str = "views") -> None:
        super().__init__()
        self._prepared = prepared
        self._kind = kind
        self._loaded: set[tuple[str, ...]] = set()
        self._forgotten: set[str] = set()  # teams whose prepared views no longer hold
        self._lock = threading.Lock()  # a view drawn ahead in a thread may look one up

    def _load(self, key: object) -> None:
        """Read the prepared views of ``key``'s team (its week and rep only, where they
        are kept one file a week and rep), the first time one is looked up."""
        if not isinstance(key, tuple) or len(key) < 3:
            return
        team = str(key[0])
        if team in self._forgotten:
            return
        part = (str(key[1]), str(key[2])) if self._prepared.parted(team) else None
        loaded = (team, *part) if part else (team,)
        if loaded in self._loaded:
            return
        with self._lock:
            if loaded in self._loaded:
                return
            for drawn, body in self._prepared.views(team, self._kind, part).items():
                self.setdefault(drawn, body)
            self._loaded.add(loaded)

    def forget(self, team: str) -> None:
        """Never take ``team``'s prepared views in (they no longer hold: e.g. its forecast
        calls changed); drop those taken in already."""
        self._forgotten.add(team)
        for key in [k for k in self if k and k[0] == team]:
            del self[key]

    def __contains__(self, key: object) -> bool:
        self._load(key)
        return super().__contains__(key)

    def __missing__(self, key: tuple[str, ...]) -> str:
        self._load(key)
        if super().__contains__(key):
            return super().__getitem__(key)
        raise KeyError(key)
