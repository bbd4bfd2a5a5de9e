"""The dashboard's state: the loaded data (:class:`~pipereview.dashboard.data.DashboardData`)
and the current selection, a :class:`~pipereview.dashboard.view.View` replaced by each
change of team, week, rep, language or filter; what the selection shows (figures, action
list and its export) is asked of the data for that view."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Self

import pandas as pd

from pipereview.config import Config
from pipereview.core._errors import AccessError, InputError
from pipereview.core._languages import check_language
from pipereview.dashboard._callform import CallEntry
from pipereview.dashboard._text import text
from pipereview.dashboard.arguments import (
    config_arguments,
    environment_config,
    sample_arguments,
    save_files,
)
from pipereview.dashboard.config import DashboardConfig
from pipereview.dashboard.data import DashboardData
from pipereview.dashboard.marking import LogMarks
from pipereview.dashboard.view import Selection, View
from pipereview.delivery._review import WeeklyReview

__all__ = ["DashboardState"]


class DashboardState(Selection):
    """What the dashboard shows, without its widgets: the loaded ``data`` (a keyed
    ``history``, all teams or only ``team``'s rows when ``locked``; ``targets``; the
    ``config`` of every review) and the current ``view`` (``team``, ``week``, ``rep``,
    ``lang`` and the tabs' filters), with the figures, the action list and its export of
    that view (:class:`~pipereview.dashboard.Dashboard` holds one, draws its tabs with
    :func:`~pipereview.dashboard.tabs.render` and adds the widgets), and the ``marks`` it
    may set on the store ``coaching_log``'s items (:class:`~pipereview.dashboard.marking.LogMarks`),
    whose forecast calls the reviews show and the forecast tab's form enters.
    """

    def __init__(
        self,
        history: pd.DataFrame,
        *,
        targets: pd.DataFrame | None = None,
        team: str | None = None,
        locked: bool = False,
        week: str | None = None,
        lang: str = "en",
        export_dir: str | Path | None = None,
        config: Config | str | Path | None = None,
        coaching_log: str | Path | None = None,
    ) -> None:
        check_language(lang)
        self.marks = LogMarks(coaching_log, locked_team=team if locked else None)
        #: the forecast calls the forecast tab's form enters into the same store
        self.calls = CallEntry(coaching_log, locked_team=team if locked else None)
        self.data = DashboardData(
            history,
            targets=targets,
            team=team,
            locked=locked,
            export_dir=export_dir,
            config=config,
            calls=coaching_log,
        )
        teams = self.data.teams
        start = View(team or (teams[0] if teams else ""), "", lang=lang)
        self.view = self.data.moved(start, start.team, week)

    # --- building from files / the environment -------------------------------------------
    @classmethod
    def from_config(cls, config: DashboardConfig) -> Self:
        """The dashboard state a :class:`DashboardConfig` describes (a locked one reads
        only its team's rows from the Parquet file)."""
        return cls(**config_arguments(config))

    @classmethod
    def from_environment(cls, *, samples: str | Path | None = None) -> Self:
        """The state ``pipereview serve`` configured
        (:data:`~pipereview.dashboard.CONFIG_VARIABLE`); without it (e.g. in JupyterLab),
        the state over a sample set's ``exports`` folder and ``targets.csv`` (ingested
        into a temporary store, all teams)."""
        config = environment_config()
        return cls.from_config(config) if config else cls(**sample_arguments(samples))

    # --- the loaded data ------------------------------------------------------------------
    @property
    def history(self) -> pd.DataFrame:
        """The keyed history shown (only the locked team's rows when locked)."""
        return self.data.history

    @property
    def targets(self) -> pd.DataFrame | None:
        """The targets (only the locked team's when locked), if any."""
        return self.data.targets

    @property
    def teams(self) -> list[str]:
        """The teams with stored weeks, sorted."""
        return self.data.teams

    @property
    def locked(self) -> bool:
        """Whether the dashboard holds and shows one team only."""
        return self.data.locked

    @property
    def config(self) -> Config:
        """The configuration of every review shown."""
        return self.data.config

    @property
    def export_dir(self) -> Path | None:
        """Where exported action lists are kept (None: only offered)."""
        return self.data.export_dir

    @property
    def _reviews(self) -> dict[tuple[str, str, str], WeeklyReview]:
        return self.data.reviews

    @property
    def _html(self) -> dict[tuple[str, ...], str]:
        return self.data.html

    # --- selection -----------------------------------------------------------------------
    @property
    def weeks(self) -> list[str]:
        """The selected team's stored weeks, latest first."""
        return self.data.weeks(self.view.team)

    @property
    def reps(self) -> list[str]:
        """The reps with deals in the selected team's week, sorted."""
        return self.data.reps(self.view)

    def t(self, key: str, **values: object) -> str:
        """A fixed text of the dashboard in the selected language."""
        return text(key, self.view.lang, **values)

    def _set_team(self, team: str, week: str | None) -> None:
        self.view = self.data.moved(self.view, team, week)

    def select(
        self,
        *,
        team: str | None = None,
        week: str | None = None,
        rep: str | None = None,
        lang: str | None = None,
    ) -> Self:
        """Change the selection (as the page's selectors do): the current view is replaced
        by the one selected, or kept whole when the selection is refused. A locked
        dashboard raises :class:`~pipereview.core.AccessError` (a
        :class:`PermissionError`) for another team."""
        view = self.view
        if team is not None and team != view.team:
            if self.locked:
                raise AccessError(
                    f"this dashboard is locked to team {view.team!r}",
                    hint="ask for a dashboard of the other team",
                )
            if team not in self.teams:
                raise InputError(
                    f"unknown team {team!r}; teams: {', '.join(self.teams)}",
                    hint="choose a team from the team selector",
                )
            view = self.data.moved(view, team, week)
        elif week is not None and week != view.week:
            view = self.data.moved(view, view.team, week)
        if rep is not None:
            reps = self.data.reps(view)
            if rep and rep not in reps:
                raise InputError(
                    f"{rep!r} has no deals in {view.team} {view.week}; reps: {', '.join(reps)}",
                    hint="choose a rep from the rep selector",
                )
            view = replace(view, rep=rep)
        if lang is not None:
            view = replace(view, lang=lang)  # checked by View
        self.view = view
        return self

    @property
    def review(self) -> WeeklyReview:
        """The selected team and week's :class:`~pipereview.delivery._review.WeeklyReview`
        in the selected language (built once; the languages share the diagnostics)."""
        return self.data.review(self.view)

    # --- what the selection shows --------------------------------------------------------
    def figures(self) -> dict[str, Any]:
        """The headline figures of the selection: the team's, or the selected rep's (their
        open deals and amount, weighted pipeline, won this period, target, gap, coverage)."""
        return self.data.figures(self.view)

    def movements(self) -> pd.DataFrame:
        """This week's deal movements against the team's previous stored week (empty in
        the first week), for the selected rep when one is selected."""
        return self.data.movements(self.view)

    def action_list(self) -> pd.DataFrame:
        """The actions of the selection: every risk finding's prompt for the team (or the
        selected rep), most severe and largest first, in the selected language — what the
        export button writes."""
        return self.data.action_list(self.view)

    def export_actions(self, folder: str | Path | None = None) -> tuple[Path, Path]:
        """Write :meth:`action_list` as CSV and XLSX (formula-safe, atomically) into
        ``folder`` (default: ``export_dir``, else the working folder); return both paths."""
        _, files = self._export_files()
        csv, xlsx = save_files(files, Path(folder) if folder else (self.export_dir or Path.cwd()))
        return csv, xlsx

    def _export_files(self) -> tuple[pd.DataFrame, dict[str, bytes]]:
        """The action list and its file contents by name (CSV and XLSX, formula-safe)."""
        return self.data.export_files(self.view)
