"""Charts of the weekly review: altair builders over tidy frames, rendered offline.

Each builder takes the frame a diagnostic returns (its input columns are named in
``*_COLUMNS`` and its docstring; a missing column raises an
:class:`~pipereview.core._errors.InputError` listing them), never modifies it, and returns an
altair chart with a title and axis labels in ``lang`` ("zh" or "en"), fixed sort orders,
a fixed size (:data:`WIDTH` x :data:`HEIGHT`), inline data and a CJK-capable font stack
(:data:`FONT`). :func:`to_svg` / :func:`svg_html` render with vl-convert, in-process and
deterministically; :func:`enable_offline` makes notebooks use the SVG renderer.
See ``docs/charts.md``.

>>> import pandas as pd
>>> w = pd.DataFrame({"step": ["opening", "new", "won", "closing"],
...     "kind": ["start", "inflow", "outflow", "end"], "amount": [100.0, 40, -60, 80]})
>>> chart = waterfall_chart(w, lang="en")
>>> chart.to_dict()["title"]["text"]
'Pipeline waterfall'
"""

from __future__ import annotations

from pipereview.charts._base import FONT, HEIGHT, LANGS, WIDTH, ChartLike, Lang
from pipereview.charts._builders import (
    CONVERSION_COLUMNS,
    FUNNEL_COLUMNS,
    REP_COLUMNS,
    TREND_COLUMNS,
    conversion_chart,
    funnel_chart,
    rep_comparison_chart,
    trend_chart,
)
from pipereview.charts._forecastchart import (
    FORECAST_COLUMNS,
    ROW_HEIGHT,
    forecast_chart,
    plot_height,
)
from pipereview.charts._registry import (
    ChartFunction,
    chart_names,
    charts,
    draw_charts,
    get_chart,
    register_chart,
)
from pipereview.charts._render import enable_offline, svg_html, to_svg
from pipereview.charts._waterfall import (
    WATERFALL_COLUMNS,
    axis_floor,
    waterfall_bars,
    waterfall_chart,
)

__all__ = [
    "CONVERSION_COLUMNS",
    "FONT",
    "FORECAST_COLUMNS",
    "FUNNEL_COLUMNS",
    "HEIGHT",
    "LANGS",
    "REP_COLUMNS",
    "ROW_HEIGHT",
    "TREND_COLUMNS",
    "WATERFALL_COLUMNS",
    "WIDTH",
    "ChartFunction",
    "ChartLike",
    "Lang",
    "axis_floor",
    "chart_names",
    "charts",
    "conversion_chart",
    "draw_charts",
    "enable_offline",
    "forecast_chart",
    "funnel_chart",
    "get_chart",
    "plot_height",
    "register_chart",
    "rep_comparison_chart",
    "svg_html",
    "to_svg",
    "trend_chart",
    "waterfall_bars",
    "waterfall_chart",
]
