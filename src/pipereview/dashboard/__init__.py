"""The manager's dashboard: one team's week on one page, as ipywidgets that Voilà serves
(``pipereview serve``) and that work the same in JupyterLab.

Selectors for team, week, rep and language; tabs for Overview (headline figures,
forecast against target, coverage), Changes (waterfall and a filterable change table),
Funnel (shape, move-on rates, bottleneck), Deals at risk (aging, pushes, stalls and
process gaps, sortable) and Coaching (the team summary or the rep's sheet, and the items
of the rep's last 1:1 to mark agreed, done or dropped in the store's coaching log); a
button that exports the current action list to CSV and XLSX. Charts are inline SVG (no CDN); every
value from the data is HTML-escaped. Each tab is drawn when it is shown, and each team and
week's diagnostics are computed once and kept, so switching back is instant.

A dashboard *locked* to a team holds only that team's rows: it has no team selector and
refuses to show another team, whatever the URL says.

What is shown is a :class:`View` (team, week, rep, language, the tabs' filters), replaced
by each selection; each tab is ``render(data, tab, view)`` over the loaded
:class:`DashboardData`, so a view can be drawn (ahead, or from code with
``Dashboard.render``) without touching the page's own.
"""

from __future__ import annotations

from pipereview.dashboard._text import TABS
from pipereview.dashboard.app import Dashboard
from pipereview.dashboard.config import CONFIG_VARIABLE, DashboardConfig, dashboard_notebook
from pipereview.dashboard.data import DashboardData
from pipereview.dashboard.marking import LogMarks
from pipereview.dashboard.state import DashboardState
from pipereview.dashboard.tabs import render
from pipereview.dashboard.view import View

__all__ = [
    "CONFIG_VARIABLE",
    "TABS",
    "Dashboard",
    "DashboardConfig",
    "DashboardData",
    "DashboardState",
    "LogMarks",
    "View",
    "dashboard_notebook",
    "render",
]
