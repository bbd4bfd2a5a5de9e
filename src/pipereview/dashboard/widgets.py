"""The dashboard app's ipywidgets: the page's layout, and what the kernel does with the
messages the page sends its widgets (a message it cannot handle is raised, never applied
half-way)."""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Iterator
from typing import Any

from pipereview.core._errors import InputError
from pipereview.dashboard._drill import ORDERS
from pipereview.dashboard._text import SORTS, TABS
from pipereview.dashboard.tabs import SEARCHED
from pipereview.dashboard.view import View

__all__ = [
    "FIELD_TABS",
    "app_widgets",
    "downloads_html",
    "guarded",
    "message_handler",
    "stamp_html",
    "sync_controls",
    "widget_tree",
]

#: The selection's fields the page sets (the view's fields by name) and the tabs each
#: one changes: what a field's widget redraws.
FIELD_TABS: dict[str, tuple[str, ...]] = {
    "category": ("changes",),
    "order": ("changes",),
    "stage": ("funnel",),
    "sort": ("risks",),
    "search": SEARCHED,
}

#: The page's styles: compact tables, long tables scrolled within their tab.
_STYLE = (
    "<style>.pr-app table.review-table{border-collapse:collapse;font-size:13px}"
    ".pr-app table.review-table td,.pr-app table.review-table th{padding:2px 8px;"
    "border-bottom:1px solid #ddd;text-align:left}.pr-app .pr-changes,"
    ".pr-app .pr-risks,.pr-app .pr-stage-deals{max-height:560px;overflow:auto}"
    # printed (a tab on A4): the selection and the tab, every row, tables within the page
    "@media print{@page{size:A4;margin:12mm}"
    ".pr-app .pr-export,.pr-app .pr-share,.pr-app .pr-downloads{display:none!important}"
    ".pr-app .pr-changes,.pr-app .pr-risks,.pr-app .pr-stage-deals{max-height:none;"
    "overflow:visible}.pr-app,.pr-app .widget-html-content{width:auto!important;"
    "max-width:100%}.pr-app table.review-table{width:100%;table-layout:auto;font-size:9px}"
    ".pr-app table.review-table td,.pr-app table.review-table th{padding:1px 3px;"
    "overflow-wrap:anywhere}.pr-app svg{max-width:100%;height:auto}"
    ".pr-app tr{break-inside:avoid}}</style>"
)


def app_widgets(*, locked: bool) -> tuple[Any, dict[str, Any]]:
    """The app's box and its named widgets (``title``, ``team``, ``week``, ``rep``,
    ``lang``, ``export``, ``downloads``, ``notice``, ``category`` and ``stage`` (a button
    per count: the deals behind it), ``order``, ``sort``, ``search``, ``share``,
    ``stamp``, ``tabs``, ``body_<tab>``, ``marks``: the coaching log's items above the
    sheet, ``calls``: the form entering a forecast call), empty and not yet observed; each has the CSS class ``pr-<name>``. A
    ``locked`` page has no team selector.

    >>> root, widgets = app_widgets(locked=True)
    >>> selectors = root.children[2].children
    >>> widgets["week"] in selectors, widgets["team"] in selectors
    (True, False)
    >>> len(widgets["tabs"].children), widgets["lang"].value
    (7, 'en')
    """
    import ipywidgets as w

    def tagged(widget: Any, name: str) -> Any:
        widget.add_class(f"pr-{name}")
        return widget

    box = w.Layout(width="auto")
    counts = {"button_width": "auto", "description_width": "initial"}  # a count per button
    row = w.Layout(width="auto", flex_flow="row wrap")
    widgets = {
        "title": tagged(w.HTML(), "title"),
        "team": tagged(w.Dropdown(layout=w.Layout(width="220px")), "team"),
        "week": tagged(w.Dropdown(layout=w.Layout(width="200px")), "week"),
        "rep": tagged(w.Dropdown(layout=w.Layout(width="240px")), "rep"),
        "lang": tagged(
            w.ToggleButtons(
                options=[("English", "en"), ("中文", "zh")], style={"button_width": "80px"}
            ),
            "lang",
        ),
        "export": tagged(w.Button(icon="", layout=w.Layout(width="auto")), "export"),
        "downloads": tagged(w.HTML(), "downloads"),
        "notice": tagged(w.HTML(), "notice"),
        "category": tagged(w.ToggleButtons(style=counts, layout=row), "category"),
        "order": tagged(w.Dropdown(layout=w.Layout(width="320px")), "order"),
        "stage": tagged(w.ToggleButtons(style=counts, layout=row), "stage"),
        "sort": tagged(w.Dropdown(layout=w.Layout(width="260px")), "sort"),
        "search": tagged(w.Text(continuous_update=False, layout=w.Layout(width="260px")), "search"),
        "share": tagged(w.HTML(), "share"),
        "stamp": tagged(w.HTML(), "stamp"),
        "marks": tagged(w.VBox(layout=box), "marks"),
        "calls": tagged(w.VBox(layout=box), "calls"),
    }
    bodies = {tab: tagged(w.HTML(layout=box), f"tab-{tab}") for tab in TABS}
    widgets.update({f"body_{tab}": bodies[tab] for tab in TABS})
    pages = [_tab_page(t, widgets, bodies[t]) for t in TABS]
    tabs = tagged(w.Tab(children=pages), "tabs")
    widgets["tabs"] = tabs
    selectors = [
        widgets["week"],
        widgets["rep"],
        widgets["lang"],
        widgets["search"],
        widgets["export"],
    ]
    if not locked:
        selectors.insert(0, widgets["team"])
    root = tagged(
        w.VBox(
            [
                w.HTML(_STYLE),
                widgets["title"],
                tagged(w.HBox(selectors, layout=w.Layout(flex_flow="row wrap")), "selectors"),
                widgets["notice"],
                widgets["downloads"],
                tabs,
                widgets["share"],
                widgets["stamp"],
            ]
        ),
        "app",
    )
    return root, widgets


#: The controls above each tab's body (the tabs not named have none).
_ABOVE: dict[str, tuple[str, ...]] = {
    "changes": ("category", "order"),
    "funnel": ("stage",),
    "risks": ("sort",),
    "coaching": ("marks",),  # the coaching log's items, above the sheet
    "forecast": ("calls",),  # the form entering a forecast call, above the sections
}


def _tab_page(tab: str, widgets: dict[str, Any], body: Any) -> Any:
    """What ``tab`` shows: its ``body``, under the controls of :data:`_ABOVE`."""
    import ipywidgets as w

    return w.VBox([*(widgets[n] for n in _ABOVE[tab]), body]) if tab in _ABOVE else body


def sync_controls(
    ws: dict[str, Any],
    view: View,
    *,
    teams: list[str],
    weeks: list[str],
    reps: list[str],
    text: Callable[..., str],
    drill: dict[str, list[tuple[str, str]]],
) -> None:
    """Set the selectors ``ws`` (of :func:`app_widgets`) to show ``view``: their options
    (``teams``, ``weeks``, ``reps``, and the count buttons ``drill`` of
    :func:`~pipereview.dashboard._drill.drill_options`), values and labels (``text``, the
    dashboard's texts in the view's language). The caller keeps the widgets' events from
    acting meanwhile."""
    ws["team"].options = teams
    ws["team"].value = view.team or None
    ws["team"].description = text("team_sel")
    ws["week"].options = weeks
    ws["week"].value = view.week or None
    ws["week"].description = text("week_sel")
    ws["rep"].options = [(text("all_reps"), ""), *[(r, r) for r in reps]]
    ws["rep"].value = view.rep
    ws["rep"].description = text("rep_sel")
    ws["lang"].value = view.lang
    ws["export"].description = text("export")
    for name, label in (("category", "show_changes"), ("stage", "show_stage")):
        ws[name].options = drill[name]
        ws[name].value = getattr(view, name)
        ws[name].description = text(label)
    ws["order"].options = [(f"{text('sort_by')}: {text(f'order_{k}')}", k) for k in ORDERS]
    ws["order"].value = view.order
    ws["sort"].options = [(f"{text('sort_by')}: {text(k)}", k) for k in SORTS]
    ws["sort"].value = view.sort
    ws["search"].value = view.search
    ws["search"].placeholder = text("search")
    for i, tab in enumerate(TABS):
        ws["tabs"].set_title(i, text(tab))


def stamp_html(view: View, tab: str) -> str:
    """A hidden marker of what the page shows (``view`` and ``tab``), which the app sets
    last (browser tests wait for it).

    >>> stamp_html(View("North", "2026-W47", rep="Ann"), "funnel")
    "<span class='pr-state' data-stamp='North|2026-W47|Ann|en|funnel||amount||category|' style='display:none'></span>"
    """
    stamp = "|".join(
        [
            view.team,
            view.week,
            view.rep,
            view.lang,
            tab,
            view.category,
            view.sort,
            view.search,
            view.order,
            view.stage,
        ]
    )
    return (
        f"<span class='pr-state' data-stamp='{html.escape(stamp, quote=True)}'"
        " style='display:none'></span>"
    )


def downloads_html(files: dict[str, bytes], label: str) -> str:
    """``label`` and a download link for each of ``files`` (CSV, XLSX; contents by name),
    the files embedded in the links.

    >>> downloads_html({"a.csv": b"x"}, "Action list (1 rows):")
    "<p class='pr-exported'>Action list (1 rows): <a class='pr-download-csv' download='a.csv' href='data:text/csv;base64,eA=='>a.csv</a></p>"
    """
    kinds = {
        "csv": "text/csv",
        "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    }
    links = []
    for name, data in files.items():
        fmt = name.rsplit(".", 1)[1]
        encoded = base64.b64encode(data).decode("ascii")
        links.append(
            f"<a class='pr-download-{fmt}' download='{html.escape(name)}' "
            f"href='data:{kinds[fmt]};base64,{encoded}'>{html.escape(name)}</a>"
        )
    return f"<p class='pr-exported'>{html.escape(label)} " + " · ".join(links) + "</p>"


def message_handler(widget: Any) -> Callable[[dict[str, Any]], None]:
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
                    raise InputError(
                        f"malformed widget update: {str(data)[:200]}", hint="reload the page"
                    )
                widget.set_state(state)
            else:
                widget._handle_msg(msg)
        except Exception:
            widget.send_state()
            raise

    return handle


def widget_tree(*roots: Any) -> Iterator[Any]:
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


def guarded(widget: Any, name: str, guard: Callable[[Any], Any]) -> Any:
    """``widget`` with the CSS class ``pr-<name>``; it and every widget it holds handle
    their messages through ``guard`` (e.g. a panel's refusal of a crafted message, as every
    widget of the page refuses one)."""
    widget.add_class(f"pr-{name}")
    for part in widget_tree(widget):
        comm = getattr(part, "comm", None)
        if comm is not None:
            comm.on_msg(guard(message_handler(part)))
    return widget
