"""The dashboard's forecast tab: why the pipeline changed (each reason's deals and the
forecast-category matrix), the forecast calls with each caller's bias, pacing against
past quarters and which forecast to trust, as the weekly review words them
(:mod:`pipereview.delivery._reviewforecasting`), for the view's team and week.

>>> from pipereview.dashboard._text import TABS
>>> "forecast" in TABS
True
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipereview.dashboard.tabs import TabContext

__all__: list[str] = []  # reached through the dashboard's TAB_HTML


def forecast_tab_html(context: TabContext) -> str:
    """The four sections, each under its title; a rep's view shows the team's (calls,
    pacing and the forecast methods are the team's figures), drawn once for them all."""
    return "".join(
        f"<div class='pr-forecast-part' id='pr-{s.anchor}'><h3>{html.escape(s.title)}</h3>"
        f"{s.body}</div>"
        for s in context.review.forecasting_sections
    )
