"""The dashboard app: its ipywidgets (selectors, tabs, export button), kept in step with
the selection, and the views it computes ahead while the manager reads."""

from __future__ import annotations

import base64
import html
import logging
from collections.abc import Callable, Iterator
from typing import Any

from pipereview.core._errors import InputError
from pipereview.dashboard._text import SORTS, TABS
from pipereview.dashboard.tabs import DashboardTabs

__all__ = ["Dashboard"]

#: Where a refused widget message is recorded (with its traceback): the server side only.
_log = logging.getLogger("pipereview.dashboard")


class Dashboard(DashboardTabs):
    """The dashboard over a keyed ``history`` (all teams, or only ``team`` when
    ``locked``), with optional ``targets`` (:func:`~pipereview.diagnostics._targets.load_targets`).

    ``team``, ``week`` (default: the team's latest stored week) and ``lang`` (en / zh)
    are the first selection. Display it in a notebook (it is an ipywidget) or drive it
    from code with :meth:`select`; :meth:`figures`, :meth:`action_list` and
    :meth:`tab_html` return what the page shows. Exported files go to ``export_dir``;
    ``config`` (:class:`~pipereview.config.Config`) carries the thresholds and coaching
    settings of every review it shows.

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
    """

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
        import ipywidgets as w

        def tagged(widget: Any, name: str) -> Any:
            widget.add_class(f"pr-{name}")
            return widget

        box = w.Layout(width="auto")
        self._widgets = {
            "title": tagged(w.HTML(), "title"),
            "team": tagged(w.Dropdown(layout=w.Layout(width="220px")), "team"),
            "week": tagged(w.Dropdown(layout=w.Layout(width="200px")), "week"),
            "rep": tagged(w.Dropdown(layout=w.Layout(width="240px")), "rep"),
            "lang": tagged(w.ToggleButtons(options=[("English", "en"), ("中文", "zh")],
                                           value=self.lang, style={"button_width": "80px"}),
                           "lang"),
            "export": tagged(w.Button(icon="", layout=w.Layout(width="auto")), "export"),
            "downloads": tagged(w.HTML(), "downloads"),
            "notice": tagged(w.HTML(), "notice"),
            "category": tagged(w.Dropdown(layout=w.Layout(width="260px")), "category"),
            "sort": tagged(w.Dropdown(layout=w.Layout(width="260px")), "sort"),
            "stamp": tagged(w.HTML(), "stamp"),
        }
        bodies = {tab: tagged(w.HTML(layout=box), f"tab-{tab}") for tab in TABS}
        self._widgets.update({f"body_{tab}": bodies[tab] for tab in TABS})
        pages = {tab: bodies[tab] for tab in TABS}
        pages["changes"] = w.VBox([self._widgets["category"], bodies["changes"]])
        pages["risks"] = w.VBox([self._widgets["sort"], bodies["risks"]])
        tabs = tagged(w.Tab(children=[pages[t] for t in TABS]), "tabs")
        self._widgets["tabs"] = tabs
        selectors = [self._widgets["week"], self._widgets["rep"], self._widgets["lang"],
                     self._widgets["export"]]
        if not self.locked:
            selectors.insert(0, self._widgets["team"])
        style = ("<style>.pr-app table.review-table{border-collapse:collapse;font-size:13px}"
                 ".pr-app table.review-table td,.pr-app table.review-table th{padding:2px 8px;"
                 "border-bottom:1px solid #ddd;text-align:left}.pr-app .pr-changes,"
                 ".pr-app .pr-risks{max-height:560px;overflow:auto}</style>")
        self._root = tagged(w.VBox([w.HTML(style), self._widgets["title"],
                                    w.HBox(selectors, layout=w.Layout(flex_flow="row wrap")),
                                    self._widgets["notice"], self._widgets["downloads"], tabs,
                                    self._widgets["stamp"]]),
                            "app")
        self._sync_controls()
        guard = self._guarded
        for name in ("team", "week", "rep", "lang"):
            self._widgets[name].observe(guard(self._select_on(name)), "value")
        self._widgets["category"].observe(guard(self._on_category), "value")
        self._widgets["sort"].observe(guard(self._on_sort), "value")
        self._widgets["export"].on_click(guard(self._on_export))
        tabs.observe(guard(self._on_tab), "selected_index")
        # every widget the kernel holds (a hidden one too): what the widget itself refuses
        for widget in _widget_tree(self._root, *self._widgets.values()):
            comm = getattr(widget, "comm", None)
            if comm is not None:
                comm.on_msg(guard(_message_handler(widget)))
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
        self._widgets["notice"].value = (
            f"<p class='pr-refused'>{html.escape(self.t('refused'))}</p>")

    _syncing = False

    def _sync_controls(self) -> None:
        """Set the selectors' options and values from the selection, without events."""
        if not self._widgets:
            return
        self._syncing = True
        try:
            ws = self._widgets
            ws["team"].options = self.teams
            ws["team"].value = self.team or None
            ws["team"].description = self.t("team_sel")
            ws["week"].options = self.weeks
            ws["week"].value = self.week or None
            ws["week"].description = self.t("week_sel")
            ws["rep"].options = [(self.t("all_reps"), ""), *[(r, r) for r in self.reps]]
            ws["rep"].value = self.rep
            ws["rep"].description = self.t("rep_sel")
            ws["lang"].value = self.lang
            ws["export"].description = self.t("export")
            from pipereview.core import CATEGORY_LABELS

            lang = 1 if self.lang == "zh" else 0
            ws["category"].options = [(self.t("all_changes"), ""), *[
                (names[lang], key) for key, names in CATEGORY_LABELS.items() if key != "unchanged"]]
            ws["category"].value = self.category
            ws["category"].description = ""
            ws["sort"].options = [(f"{self.t('sort_by')}: {self.t(k)}", k) for k in SORTS]
            ws["sort"].value = self.sort
            for i, tab in enumerate(TABS):
                ws["tabs"].set_title(i, self.t(tab))
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
            self._stamp(tab)
            return
        title = self.t("title", team=self.team, week=self.week, period=self.review.period)
        locked = (f"<p class='pr-locked'>{html.escape(self.t('locked', team=self.team))}</p>"
                  if self.locked else "")
        ws["title"].value = f"<h2>{html.escape(title)}</h2>{locked}"
        if tab in self._stale:
            ws[f"body_{tab}"].value = self.tab_html(tab)
            self._stale.discard(tab)
        self._stamp(tab)
        self._plan_idle_work()

    # --- computing ahead while the manager reads ------------------------------------------
    _IDLE_DELAY = 0.3  # seconds of quiet before the next view is computed ahead
    _idle: Any = None
    _idle_views: Any = None

    def _likely_views(self) -> Iterator[tuple[str, str, str, str, str]]:
        """Views a manager is likely to open next from the current one, most likely
        first: the other tabs, the team's other weeks, the other language, the other
        teams' latest week (team, week, rep, lang, tab)."""
        team, week, rep, lang = self.team, self.week, self.rep, self.lang
        for tab in TABS:
            yield team, week, rep, lang, tab
        for other_week in self._weeks.get(team, [])[:13]:
            yield team, other_week, "", lang, "overview"
        other_lang = "zh" if lang == "en" else "en"
        for tab in ("overview", "coaching"):
            yield team, week, rep, other_lang, tab
        for other in self.teams:
            yield other, self._weeks[other][0], "", lang, "overview"
        for other in self.teams:
            for tab in TABS[1:]:
                yield other, self._weeks[other][0], "", lang, tab

    def _plan_idle_work(self) -> None:
        """After each redraw, compute the likely next views one at a time on the kernel's
        event loop, each after a short quiet spell (an interaction waits at most for the
        view being computed). Without a running event loop (plain scripts), nothing."""
        import asyncio

        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._idle_views = self._likely_views()
        shell = _executing_shell()
        if shell is not None:  # drawn by the cell: start once the kernel has replied
            def after_cell() -> None:
                shell.events.unregister("post_execute", after_cell)
                if self._idle_views is not None and self._idle is None:
                    self._idle = loop.call_later(self._IDLE_DELAY, self._idle_step)

            shell.events.register("post_execute", after_cell)
            return
        self._idle = loop.call_later(self._IDLE_DELAY, self._idle_step)

    def _idle_step(self) -> None:
        import asyncio

        self._idle = None
        selection = (self.team, self.week, self.rep, self.lang)
        category, sort = self.category, self.sort
        for team, week, rep, lang, tab in self._idle_views or ():
            try:
                self.team, self.week, self.rep, self.lang = team, week, rep, lang
                self.category, self.sort = "", "amount"
                if self._html_key(tab) in self._html:
                    continue
                self.tab_html(tab)
            except Exception:  # a view that cannot be drawn is drawn (and reported) when opened
                pass
            finally:
                self.team, self.week, self.rep, self.lang = selection
                self.category, self.sort = category, sort
            self._idle = asyncio.get_running_loop().call_later(0.02, self._idle_step)
            return

    def _stamp(self, tab: str) -> None:
        """A hidden marker of what the page shows, set last (browser tests wait for it)."""
        stamp = "|".join([self.team, self.week, self.rep, self.lang, tab, self.category, self.sort])
        self._widgets["stamp"].value = (f"<span class='pr-state' data-stamp='{html.escape(stamp, quote=True)}'"
                                        " style='display:none'></span>")

    def _select_on(self, name: str) -> Callable[[dict[str, Any]], None]:
        """An observer that passes a selector's new value to :meth:`select`."""

        def handler(change: dict[str, Any]) -> None:
            if self._syncing:
                return
            if change["new"] is None:  # no selection: the page cannot show that
                raise InputError(f"the {name} selector was cleared",
                                 hint=f"choose a {name} in the selector")
            self.select(**{name: str(change["new"])})
            self._widgets["notice"].value = ""

        return handler

    def _on_category(self, change: dict[str, Any]) -> None:
        if not self._syncing:
            self.category = str(change["new"] or "")
            self._stale.add("changes")
            self._draw()

    def _on_sort(self, change: dict[str, Any]) -> None:
        if not self._syncing:
            self.sort = str(change["new"] or "amount")
            self._stale.add("risks")
            self._draw()

    def _on_tab(self, change: dict[str, Any]) -> None:
        self._draw()

    def _on_export(self, _button: Any) -> None:
        frame, files = self._export_files()  # computed once: offered and kept alike
        if self.export_dir is not None:
            self._save(files, self.export_dir)
        kinds = {"csv": "text/csv", "xlsx": ("application/vnd.openxmlformats-officedocument."
                                              "spreadsheetml.sheet")}
        links = []
        for name, data in files.items():
            fmt = name.rsplit(".", 1)[1]
            encoded = base64.b64encode(data).decode("ascii")
            links.append(f"<a class='pr-download-{fmt}' download='{html.escape(name)}' "
                         f"href='data:{kinds[fmt]};base64,{encoded}'>{html.escape(name)}</a>")
        self._widgets["downloads"].value = (
            f"<p class='pr-exported'>{html.escape(self.t('exported', rows=len(frame)))} "
            + " · ".join(links) + "</p>")


def _message_handler(widget: Any) -> Callable[[dict[str, Any]], None]:
    """What ``widget`` does with a message from the page, raising what it refuses (the
    widget's own handler shows the traceback to the page instead): a state update is
    applied here, anything else goes to the widget. No widget of the dashboard has binary
    state, so an update with buffers is malformed.

    The widget echoes an update to the page before it checks it, so a refused update may
    already be on the page (a text shown as ``[object Object]``, a selector emptied): after
    a refusal the page is sent the widget's whole state again, so that what the page shows
    is always what the kernel holds."""

    def handle(msg: dict[str, Any]) -> None:
        data = msg["content"]["data"]
        try:
            if data.get("method") == "update":
                state = data.get("state")
                if not isinstance(state, dict) or data.get("buffer_paths"):
                    raise InputError(f"malformed widget update: {str(data)[:200]}",
                                     hint="reload the page")
                widget.set_state(state)
            else:
                widget._handle_msg(msg)
        except Exception:
            widget.send_state()
            raise

    return handle


def _widget_tree(*roots: Any) -> Iterator[Any]:
    """The ``roots`` and every widget they hold (children, layouts, styles), each once."""
    from ipywidgets import Widget

    seen: set[int] = set()
    todo = list(roots)
    while todo:
        widget = todo.pop()
        if id(widget) in seen:
            continue
        seen.add(id(widget))
        yield widget
        for name in widget.keys:
            value = getattr(widget, name, None)
            items = value if isinstance(value, (list, tuple)) else (value,)
            todo.extend(item for item in items if isinstance(item, Widget))


def _executing_shell() -> Any:
    """The IPython shell while it runs a cell (the kernel has not replied yet), else None:
    views computed ahead on the kernel's event loop then would hold back its reply, and
    Voilà would finish the page (and connect it) only after them."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    kernel = getattr(shell, "kernel", None)
    try:
        parent = kernel.get_parent("shell") if kernel is not None else {}
    except Exception:
        return None
    kind = (parent or {}).get("header", {}).get("msg_type")
    return shell if kind == "execute_request" else None
