"""What a manager is likely to open, so that it can be drawn ahead: the views worth
drawing before the page is opened (:func:`warm_views`) and those likely next from the
page's view (:func:`likely_views`), each as ``(tab, view)``, most likely first.

>>> import pandas as pd
>>> deal = dict(deal_id="D1", deal_name="MES", account="Acme", owner="Ann",
...     stage="needs_confirmed", stage_model="generic_4", amount=1000.0, currency="EUR",
...     close_date=pd.Timestamp("2026-12-18"), probability=0.25)
>>> data = DashboardData(pd.DataFrame([{"snapshot_week": w, "team": t, **deal}
...     for w in ("2026-W46", "2026-W47") for t in ("North", "South")]))
>>> [(tab, v.team, v.week) for tab, v in warm_views(data, View("North", "2026-W47"),
...                                                  tabs=("funnel",))]
[('funnel', 'North', '2026-W47'), ('overview', 'North', '2026-W47'), ('overview', 'North', '2026-W46'), ('overview', 'South', '2026-W47')]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from pipereview.dashboard._text import TABS
from pipereview.dashboard.data import DashboardData
from pipereview.dashboard.view import View

__all__ = ["likely_views", "warm_views"]


def warm_views(
    data: DashboardData, view: View, *, tabs: tuple[str, ...] = TABS, weeks: int = 13
) -> Iterator[tuple[str, View]]:
    """What a manager is likely to open first from ``view`` (``tab``, view): its
    ``tabs``, the overview of its team's last ``weeks`` weeks and of each other team's
    latest week."""
    for tab in tabs:
        yield tab, view
    for week in data.weeks(view.team)[:weeks]:
        yield "overview", replace(view, week=week, rep="")
    for team in data.teams:
        if team != view.team:
            yield "overview", replace(view, team=team, week=data.weeks(team)[0], rep="")


def likely_views(data: DashboardData, view: View) -> Iterator[tuple[str, View]]:
    """What a manager is likely to open next from ``view``, most likely first (``tab``,
    view): the other tabs, the team's other weeks, the other language, the other teams'
    latest week; each with the tabs' filters as a page opens them."""
    view = View(view.team, view.week, view.rep, view.lang)
    for tab in TABS:
        yield tab, view
    for week in data.weeks(view.team)[:13]:
        yield "overview", replace(view, week=week, rep="")
    other_lang = "zh" if view.lang == "en" else "en"
    for tab in ("overview", "coaching"):
        yield tab, replace(view, lang=other_lang)
    for team in data.teams:
        yield "overview", View(team, data.weeks(team)[0], "", view.lang)
    for team in data.teams:
        for tab in TABS[1:]:
            yield tab, View(team, data.weeks(team)[0], "", view.lang)
