"""The prepared per-team state ``pipereview serve`` writes into its state folder, so that
a page loads only the team it shows, and only when it shows it: each team's keyed
history rows in a Parquet file of its own, and the HTML of the views a manager is likely
to open first from that team (every tab of its latest week and of the week before, the
overview of each stored week and of each rep, the overview and coaching tab of those two
weeks in the other language), drawn once when the dashboard is prepared
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
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from pipereview.core._errors import InputError
from pipereview.history._teamrows import team_rows

__all__ = ["INDEX_FILE", "PreparedTeams", "PreparedViews"]

#: The file naming each prepared team's files and stored weeks.
INDEX_FILE = "index.json"


class PreparedTeams:
    """The prepared state in ``folder`` (as :func:`~pipereview.dashboard.prepare.write_prepared` wrote it), of the
    ``only`` team when given: the teams and their weeks at once, a team's rows and views
    when first asked for (read with the ``templates`` folders registered, as
    :func:`~pipereview.history._loader.load_history` reads a history file)."""

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
        self._frames: dict[str, pd.DataFrame] = {}

    @property
    def teams(self) -> list[str]:
        """The prepared teams, sorted."""
        return sorted(self._entries)

    def weeks(self, team: str) -> list[str]:
        """``team``'s stored weeks, latest first (none for a team not prepared)."""
        return list(self._entries.get(team, {}).get("weeks", []))

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

    def views(self, team: str, kind: str = "views") -> dict[tuple[str, ...], str]:
        """The HTML of ``team``'s prepared views by :meth:`View.key` (none if not drawn);
        with ``kind="drill"``, the counts behind their buttons
        (:func:`~pipereview.dashboard._drill.drill_counts`, as JSON)."""
        name = self._entries.get(team, {}).get(kind)
        if not name:
            return {}
        pairs = json.loads((self.folder / name).read_text(encoding="utf-8"))
        return {tuple(key): str(body) for key, body in pairs}


class PreparedViews(dict[tuple[str, ...], str]):
    """The drawn tabs' HTML by :meth:`View.key` (``DashboardData.html``) that takes a
    team's prepared views in the first time a view of that team is looked up (with
    ``kind="drill"``: the counts behind the views' buttons, ``DashboardData.drill``)."""

    def __init__(self, prepared: PreparedTeams, kind: str = "views") -> None:
        super().__init__()
        self._prepared = prepared
        self._kind = kind
        self._loaded: set[str] = set()

    def _load(self, key: object) -> None:
        if isinstance(key, tuple) and key and key[0] not in self._loaded:
            team = str(key[0])
            self._loaded.add(team)
            for drawn, body in self._prepared.views(team, self._kind).items():
                self.setdefault(drawn, body)

    def __contains__(self, key: object) -> bool:
        self._load(key)
        return super().__contains__(key)

    def __missing__(self, key: tuple[str, ...]) -> str:
        self._load(key)
        if super().__contains__(key):
            return super().__getitem__(key)
        raise KeyError(key)
