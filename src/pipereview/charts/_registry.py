"""Charts by name, for coaching sheets and analysts' notebooks: a registered chart draws
one team's or one rep's picture from a :class:`~pipereview.week.WeekDiagnostics`.

A chart function takes ``(context, team, owner, lang)`` (``owner`` is None for the whole
team) and returns an altair chart, or None when there is nothing to draw (e.g. no
targets). Installed plug-ins add charts through the ``pipereview.charts`` entry-point
group (the entry point names the function).

>>> "funnel" in chart_names()
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from pipereview.charts._base import ChartLike
from pipereview.charts._builders import funnel_chart
from pipereview.charts._forecastchart import forecast_chart
from pipereview.charts._render import svg_html
from pipereview.core._errors import ConfigError
from pipereview.core._languages import check_language
from pipereview.core._registry import Registry

if TYPE_CHECKING:
    from pipereview.week import WeekDiagnostics

__all__ = ["ChartFunction", "chart_names", "charts", "draw_charts", "get_chart", "register_chart"]

ChartFunction = Callable[["WeekDiagnostics", str, "str | None", str], "ChartLike | None"]


def _as_chart(item: object, name: str) -> ChartFunction:
    if not callable(item):
        raise ConfigError(
            f"chart {name!r}: expected a function (context, team, owner, lang) "
            f"returning an altair chart, got {type(item).__name__}",
            hint="register a function (context, team, owner, lang) that returns an altair chart or None",
        )
    return item


def _builtin_charts() -> None:
    charts.register("funnel", _funnel, source="shipped")
    charts.register("forecast", _forecast, source="shipped")


#: The chart registry (see :mod:`pipereview.core._registry`).
charts: Registry[ChartFunction] = Registry(
    "chart",
    group="pipereview.charts",
    coerce=_as_chart,
    setup=_builtin_charts,
    hint="register it with pipereview.charts.register_chart",
)


def register_chart(name: str, *, replace: bool = False) -> Callable[[ChartFunction], ChartFunction]:
    """Decorator registering a chart function under ``name``."""
    return charts.register(name, replace=replace)


def get_chart(name: str) -> ChartFunction:
    """The chart function registered as ``name``."""
    return charts.get(name)


def chart_names() -> list[str]:
    """Names of every registered chart, sorted."""
    return charts.names()


def draw_charts(
    context: WeekDiagnostics,
    team: str,
    owner: str | None,
    names: Sequence[str],
    *,
    lang: str = "en",
) -> list[tuple[str, str]]:
    """``(name, inline SVG figure)`` of each named chart for ``team`` (and ``owner``), in
    the order given; charts with nothing to draw are left out."""
    check_language(lang)
    drawn = []
    for name in names:
        chart = get_chart(name)(context, team, owner, lang)
        if chart is not None:
            drawn.append((name, svg_html(chart)))
    return drawn


def _funnel(context: WeekDiagnostics, team: str, owner: str | None, lang: str) -> ChartLike | None:
    """Open deals by stage: the rep's, or the team's."""
    from pipereview.core._stages import prevailing_model

    table = context.stage_table_rep
    rows = table[(table["team"] == team) & ((table["owner"] == owner) if owner else True)]
    if rows.empty:
        return None
    model = prevailing_model(
        context.open_deals.loc[context.open_deals["team"] == team, "stage_model"]
    )
    stages = rows.groupby("stage", sort=False, observed=True)[["count", "amount"]].sum()
    return funnel_chart(
        stages.reset_index().rename(columns={"count": "deals"}), stage_model=model, lang=lang
    )


def _forecast(
    context: WeekDiagnostics, team: str, owner: str | None, lang: str
) -> ChartLike | None:
    """Won to date and weighted pipeline against target: the rep's, or the team's (None
    without targets)."""
    frame = context.forecast_rep if owner else context.forecast_team
    if frame.empty:
        return None
    rows = frame[(frame["team"] == team) & ((frame["owner"] == owner) if owner else True)]
    rows = pd.DataFrame(rows).dropna(subset=["target"])
    if rows.empty:
        return None
    return forecast_chart(rows, by="rep" if owner else "team", lang=lang)
