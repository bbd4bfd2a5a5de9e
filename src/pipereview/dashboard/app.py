"""The dashboard app: its ipywidgets (selectors, tabs, export button) over a
:class:`~pipereview.dashboard.state.DashboardState`, kept in step with the current
:class:`~pipereview.dashboard.view.View`, and the views it computes ahead while the
manager reads (each tab drawn by :func:`~pipereview.dashboard.tabs.render`)."""

from __future__ import annotations

import html
import logging
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Self

import pandas as pd

from pipereview.config import Config
from pipereview.core._errors import InputError
from pipereview.dashboard._callform import CallsPanel
from pipereview.dashboard._drill import drill_options
from pipereview.dashboard._text import TABS
from pipereview.dashboard.address import follow_request, share_link_html
from pipereview.dashboard.ahead import Lookahead
from pipereview.dashboard.arguments import (
    config_arguments,
    environment_config,
    sample_arguments,
    save_files,
)
from pipereview.dashboard.config import DashboardConfig
from pipereview.dashboard.data import DashboardData
from pipereview.dashboard.marking import MarksPanel
from pipereview.dashboard.state import DashboardState
from pipereview.dashboard.tabs import likely_views, render, warm_views
from pipereview.dashboard.view import Selection, View
from pipereview.dashboard.widgets import (
    FIELD_TABS,
    app_widgets,
    downloads_html,
    message_handler,
    stamp_html,
    sync_controls,
    widget_tree,
)
from pipereview.delivery._review import WeeklyReview

__all__ = ["Dashboard"]

#: Where a refused widget message is recorded (with its traceback): the server side only.
_log = logging.getLogger("pipereview.dashboard")


class Dashboard(Selection):
    """The dashboard over a keyed ``history`` (all teams, or only ``team`` when
    ``locked``), with optional ``targets`` (:func:`~pipereview.diagnostics._targets.load_targets`).

    ``team``, ``week`` (default: the team's latest stored week) and ``lang`` (en / zh)
    are the first selection. Display it in a notebook (it is an ipywidget) or drive it
    from code with :meth:`select`; :meth:`figures`, :meth:`action_list` and
    :meth:`tab_html` return what the page shows, :meth:`render` what any other
    :class:`~pipereview.dashboard.view.View` would show. Exported files go to
    ``export_dir``; ``config`` (a :class:`~pipereview.config.Config`, a configuration
    file or None) carries the thresholds and coaching settings of every review it shows;
    the coaching tab marks the store ``coaching_log``'s log (:mod:`~.marking`), the
    forecast tab shows and takes its forecast calls (:mod:`~._callform`).

    >>> import pandas as pd
    >>> h = pd.DataFrame({"snapshot_week": "2026-W47", "team": "North", "deal_id": ["D1"],
    ...     "deal_name": "MES", "account": "Acme", "owner": "Ann", "stage": "needs_confirmed",
    ...     "stage_model": "generic_4", "amount": [1000.0], "currency": "EUR",
    ...     "close_date": pd.Timestamp("2026-12-18"), "probability": [0.25]})
    >>> board = Dashboard(h, team="North", locked=True)
    >>> board.team, board.week, board.reps
    ('North', '2026-W47', ['Ann'])
    >>> board.figures()["open_amount"]
    1000.0
    >>> from dataclasses import replace
    >>> "加权金额" in board.render("overview", replace(board.view, lang="zh")), board.lang
    (True, 'en')
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
        self.state = DashboardState(
            history,
            targets=targets,
            team=team,
            locked=locked,
            week=week,
            lang=lang,
            export_dir=export_dir,
            config=config,
            coaching_log=coaching_log,
        )
        self._widgets: dict[str, Any] = {}
        self._root: Any = None
        self._stale: set[str] = set(TABS)
        self._ahead = Lookahead(self.data)  # the views drawn while the manager reads

    # --- building from files / the environment -------------------------------------------
    @classmethod
    def from_config(cls, config: DashboardConfig) -> Self:
        """The dashboard a :class:`DashboardConfig` describes (locked: its team's rows only)."""
        board = cls(**config_arguments(config))
        # a page's own kernel (Voilà sets VOILA_PREHEAT=False) draws the page first and
        # computes ahead while the manager reads; only the preheated kernel warms up front
        warm = config.warm and os.environ.get("VOILA_PREHEAT") != "False"
        return board.warm() if warm else board

    @classmethod
    def from_environment(cls, *, samples: str | Path | None = None) -> Self:
        """The dashboard ``pipereview serve`` configured (:data:`CONFIG_VARIABLE`) showing
        the view its page's address asks for; else (JupyterLab) one over a sample set."""
        config = environment_config()
        board = cls.from_config(config) if config else cls(**sample_arguments(samples))
        follow_request(board)  # the view the page's address asks for (docs/dashboard.md)
        return board

    # --- the state: the loaded data and the current view ------------------------------------
    @property
    def data(self) -> DashboardData:
        """The loaded data every view is drawn from."""
        return self.state.data

    @property
    def view(self) -> View:
        """What the page shows: a new :class:`View` for each selection, never one changed."""
        return self.state.view

    @view.setter
    def view(self, view: View) -> None:
        self.state.view = view

    # the state's (documented on DashboardState), for the page's code and its users
    @property
    def history(self) -> pd.DataFrame:
        return self.state.history

    @property
    def targets(self) -> pd.DataFrame | None:
        return self.state.targets

    @property
    def teams(self) -> list[str]:
        return self.state.teams

    @property
    def locked(self) -> bool:
        return self.state.locked

    @property
    def config(self) -> Config:
        return self.state.config

    @property
    def export_dir(self) -> Path | None:
        return self.state.export_dir

    @property
    def weeks(self) -> list[str]:
        return self.state.weeks

    @property
    def reps(self) -> list[str]:
        return self.state.reps

    @property
    def review(self) -> WeeklyReview:
        return self.state.review

    @property
    def _html(self) -> dict[tuple[str, ...], str]:
        return self.data.html

    @property
    def _idle(self) -> Any:
        return self._ahead.pending

    def t(self, key: str, **values: object) -> str:
        """A fixed text of the dashboard in the selected language."""
        return self.state.t(key, **values)

    def select(
        self,
        *,
        team: str | None = None,
        week: str | None = None,
        rep: str | None = None,
        lang: str | None = None,
    ) -> Self:
        """Change the selection (as the page's selectors do) and redraw what is shown.
        A locked dashboard raises :class:`~pipereview.core.AccessError` (a
        :class:`PermissionError`) for another team."""
        self.state.select(team=team, week=week, rep=rep, lang=lang)
        self._refresh()
        return self

    # --- what the page shows -------------------------------------------------------------
    def figures(self) -> dict[str, Any]:
        """The headline figures of the selection (:meth:`DashboardState.figures`)."""
        return self.state.figures()

    def movements(self) -> pd.DataFrame:
        """The week's deal movements (:meth:`DashboardState.movements`)."""
        return self.state.movements()

    def action_list(self) -> pd.DataFrame:
        """What the export button writes (:meth:`DashboardState.action_list`)."""
        return self.state.action_list()

    def export_actions(self, folder: str | Path | None = None) -> tuple[Path, Path]:
        """Write :meth:`action_list` as CSV and XLSX (formula-safe, atomically) into
        ``folder`` (default: ``export_dir``, else the working folder); return both paths."""
        return self.state.export_actions(folder)

    def render(self, tab: str, view: View) -> str:
        """The HTML body of ``tab`` for any ``view`` of the loaded data
        (:func:`~pipereview.dashboard.tabs.render`); the selection and the page stay as
        they are."""
        return render(self.data, tab, view)

    def tab_html(self, tab: str) -> str:
        """The HTML body of one of :data:`~pipereview.dashboard.TABS` for the selection."""
        return render(self.data, tab, self.view)

    def warm(self, *, tabs: tuple[str, ...] = TABS, weeks: int = 13) -> Self:
        """Compute ahead what a manager is likely to open first: every tab of the current
        selection, the overview of the current team's last ``weeks`` weeks and of each
        team's latest week (``pipereview serve`` does this in its preheated kernel, before
        anyone opens the page)."""
        for tab, view in warm_views(self.data, self.view, tabs=tabs, weeks=weeks):
            render(self.data, tab, view)
        return self

    # --- widgets -------------------------------------------------------------------------
    @property
    def widget(self) -> Any:
        """The app as one ipywidgets box (built on first use)."""
        if self._root is None:
            self._build()
        return self._root

    @property
    def controls(self) -> dict[str, Any]:
        """The app's named widgets (``team``, ``week``, ``rep``, ``lang``, ``export``,
        ``downloads``, ``tabs``, ``body_<tab>``, ...), e.g. to restyle or extend it."""
        if self._root is None:
            self._build()
        return dict(self._widgets)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)  # type: ignore[no-untyped-call]

    def _build(self) -> None:
        self._root, self._widgets = app_widgets(locked=self.locked)
        self._sync_controls()
        guard = self._guarded
        for name in ("team", "week", "rep", "lang"):
            self._widgets[name].observe(guard(self._select_on(name)), "value")
        for name, tabs in FIELD_TABS.items():
            self._widgets[name].observe(guard(self._on_field(name, tabs)), "value")
        self._widgets["export"].on_click(guard(self._on_export))
        self._marks = MarksPanel(self._widgets["marks"], self.state.marks, guard)
        self._calls = CallsPanel(self._widgets["calls"], self.state.calls, guard, self._refresh)
        self._widgets["tabs"].observe(guard(lambda _change: self._draw()), "selected_index")
        # every widget the kernel holds (a hidden one too): what the widget itself refuses
        for widget in widget_tree(self._root, *self._widgets.values()):
            comm = getattr(widget, "comm", None)
            if comm is not None:
                comm.on_msg(guard(message_handler(widget)))
        self._stale = set(TABS)
        self._draw()

    # --- messages from the page that cannot be handled ------------------------------------
    def _guarded(self, action: Callable[[Any], None]) -> Callable[[Any], None]:
        """``action`` (a widget message or event handler) that never raises: whatever it
        raises (a crafted message: a value that is not an option, a malformed state, a
        team the dashboard is locked against) is logged on the server, the selectors are
        set back to what the page shows and the page says so in one short line."""

        def guarded(event: Any) -> None:
            try:
                action(event)
            except Exception:
                _log.warning("dashboard: a message from the page was refused", exc_info=True)
                self._refuse()

        return guarded

    def _refuse(self) -> None:
        try:
            self._sync_controls()
        except Exception:
            _log.warning("dashboard: the selectors could not be reset", exc_info=True)
        notice = f"<p class='pr-refused'>{html.escape(self.t('refused'))}</p>"
        self._widgets["notice"].value = notice

    _syncing = False

    def _sync_controls(self) -> None:
        """Set the selectors' options and values from the selection, without events."""
        if not self._widgets:
            return
        self._syncing = True
        try:
            sync_controls(
                self._widgets,
                self.view,
                teams=self.teams,
                weeks=self.weeks,
                reps=self.reps,
                text=self.t,
                drill=drill_options(self.data, self.view),
            )
        finally:
            self._syncing = False

    def _refresh(self) -> None:
        self._stale = set(TABS)
        if self._widgets:
            self._sync_controls()
            self._draw()

    def _draw(self) -> None:
        """Redraw the title and the visible tab (others are drawn when shown)."""
        ws = self._widgets
        tab = TABS[ws["tabs"].selected_index or 0]
        if not self.week:
            ws["title"].value = f"<p class='pr-empty'>{html.escape(self.t('no_data'))}</p>"
            ws["tabs"].layout.display = "none"
            ws["stamp"].value = stamp_html(self.view, tab)
            return
        title = self.t("title", team=self.team, week=self.week, period=self.data.period(self.view))
        locked = html.escape(self.t("locked", team=self.team)) if self.locked else ""
        locked = f"<p class='pr-locked'>{locked}</p>" if locked else ""
        ws["title"].value = f"<h2>{html.escape(title)}</h2>{locked}"
        if tab in self._stale:
            ws[f"body_{tab}"].value = self.tab_html(tab)
            self._stale.discard(tab)
        if tab == "coaching":
            self._marks.draw(self.view)
        if tab == "forecast":
            self._calls.draw(self.data, self.view)
        ws["share"].value = share_link_html(self.view, tab, locked=self.locked)
        ws["stamp"].value = stamp_html(self.view, tab)  # set last: browser tests wait for it
        self._ahead.plan(likely_views(self.data, self.view))

    def _select_on(self, name: str) -> Callable[[dict[str, Any]], None]:
        """An observer that passes a selector's new value to :meth:`select`."""

        def handler(change: dict[str, Any]) -> None:
            if self._syncing:
                return
            if change["new"] is None:  # no selection: the page cannot show that
                raise InputError(
                    f"the {name} selector was cleared", hint=f"choose a {name} in the selector"
                )
            self.select(**{name: str(change["new"])})
            self._widgets["notice"].value = ""

        return handler

    def _on_field(self, name: str, tabs: tuple[str, ...]) -> Callable[[dict[str, Any]], None]:
        """An observer setting the view's ``name`` (category, sort, search); redraws ``tabs``."""

        def handler(change: dict[str, Any]) -> None:
            if not self._syncing:
                value = str(change["new"] or "")[:100].strip()
                self.view = replace(self.view, **{name: value or getattr(View("", ""), name)})
                self._stale.update(tabs)
                self._draw()

        return handler

    def show_tab(self, tab: str) -> Self:
        """Bring ``tab`` (one of :data:`~pipereview.dashboard.TABS`) to the front."""
        self.controls["tabs"].selected_index = TABS.index(tab)
        return self

    def _on_export(self, _button: Any) -> None:
        frame, files = self.state._export_files()  # computed once: offered and kept alike
        if self.export_dir is not None:
            save_files(files, self.export_dir)
        self._widgets["downloads"].value = downloads_html(
            files, self.t("exported", rows=len(frame))
        )
