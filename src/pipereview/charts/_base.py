"""Shared pieces of the chart builders: languages, labels, input checks, sort orders,
display amounts, the look.

>>> check_columns(pd.DataFrame({"a": [1]}), ("a", "b"), "demo_chart")
Traceback (most recent call last):
...
pipereview.core._errors.InputError: demo_chart needs the column(s) ['b']; got ['a'].
Hint: ...
>>> label("title_funnel", "zh")
'销售漏斗'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import altair as alt
import pandas as pd

from pipereview.core._errors import InputError
from pipereview.core._languages import LANGUAGES, Lang, check_language

__all__ = [
    "FONT",
    "HEIGHT",
    "LANGS",
    "WIDTH",
    "ChartLike",
    "Lang",
    "amount_text",
    "by_order",
    "check_columns",
    "finish",
    "label",
]

#: What a builder returns: one chart, or a layer of marks over the same data.
ChartLike = alt.Chart | alt.LayerChart
_C = TypeVar("_C", alt.Chart, alt.LayerChart)

#: The languages every chart title and axis label is available in (pipereview's).
LANGS: tuple[str, ...] = LANGUAGES
#: Plot area of every chart, in pixels (fixed, so reports and snapshots never reflow).
WIDTH: int = 480
HEIGHT: int = 260
#: Font stack: the CJK fonts of Linux, Windows and macOS, then the generic fallback. SVG
#: keeps text as ``<text>``, so the viewer's browser picks the first it has. Kept short:
#: vl-convert repeats it on every ``<text>`` of the SVG.
FONT: str = '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif'

_LABELS: dict[str, tuple[str, str]] = {  # key: (zh, en)
    "title_funnel": ("销售漏斗", "Sales funnel"),
    "title_conversion": ("阶段转化率", "Stage conversion"),
    "title_waterfall": ("管道瀑布图", "Pipeline waterfall"),
    "title_trend": ("趋势", "Trend"),
    "title_reps": ("销售代表与团队中位数", "Reps vs team median"),
    "title_forecast": ("预测与目标", "Forecast vs target"),
    "stage": ("阶段", "Stage"),
    "deals": ("商机数", "Deals"),
    "amount": ("金额", "Amount"),
    "conversion": ("转化率", "Conversion"),
    "reference": ("参考值", "Reference"),
    "tick_reference": ("竖线 = 参考值", "tick = reference"),
    "tick_median": ("竖线 = 团队中位数", "tick = team median"),
    "step": ("变动", "Step"),
    "week": ("周", "Week"),
    "value": ("数值", "Value"),
    "team": ("团队", "Team"),
    "owner": ("销售代表", "Rep"),
    "team_median": ("团队中位数", "Team median"),
    "won": ("已赢单", "Won"),
    "weighted_open": ("加权在途", "Weighted open"),
    "target": ("目标", "Target"),
    "gap": ("缺口", "Gap"),
    "kind": ("类型", "Kind"),
    "start": ("期初", "Opening"),
    "inflow": ("增加", "Inflow"),
    "outflow": ("减少", "Outflow"),
    "end": ("期末", "Closing"),
    "pipeline": ("管道", "Pipeline"),
    # waterfall steps (pipereview.diagnostics._waterfall.STEPS)
    "opening": ("期初管道", "Opening"),
    "new": ("新增", "New"),
    "reopened": ("重新打开", "Reopened"),
    "increased": ("金额增加", "Increased"),
    "decreased": ("金额减少", "Decreased"),
    "pulled_in": ("提前进入", "Pulled in"),
    "pushed_in": ("推迟进入", "Pushed in"),
    "pushed_out": ("推迟移出", "Pushed out"),
    "pulled_out": ("提前移出", "Pulled out"),
    "lost": ("输单", "Lost"),
    "dropped": ("消失", "Dropped"),
    "closing": ("期末管道", "Closing"),
    # metrics (pipereview.diagnostics._trends.METRICS)
    "open_pipeline": ("在途管道", "Open pipeline"),
    "weighted_pipeline": ("加权管道", "Weighted pipeline"),
    "new_deals": ("新增商机", "New deals"),
    "won_amount": ("赢单金额", "Won amount"),
    "win_rate": ("赢率", "Win rate"),
    "coverage": ("覆盖率", "Coverage"),
}


def label(key: str, lang: str) -> str:
    """The label of ``key`` in ``lang``; an unknown key is its own label."""
    pair = _LABELS.get(key)
    if pair is None:
        return key
    return pair[0] if check_language(lang) == "zh" else pair[1]


def check_columns(frame: pd.DataFrame, needed: Sequence[str], chart: str) -> None:
    """Raise an :class:`InputError` listing every column of ``needed`` missing from ``frame``."""
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise InputError(
            f"{chart} needs the column(s) {missing}; got {[str(c) for c in frame.columns]}.",
            column=missing[0],
            hint=f"rename or add the columns; {chart}'s docstring lists its input contract.",
        )


def by_order(field: str = "order") -> alt.EncodingSortField:
    """Sort a nominal axis by a rank carried in the data (``field``), never by a list of
    its values: Vega-Lite writes a sort list into an expression, where a name holding
    U+2028 (a line break to the expression parser) stops the chart."""
    return alt.EncodingSortField(field=field, op="min", order="ascending")


def amount_text(value: float, *, signed: bool = False) -> str:
    """A display amount: thousands separators, no decimals ('' when missing)."""
    if pd.isna(value):
        return ""
    return f"{value:+,.0f}" if signed else f"{value:,.0f}"


def finish(chart: _C, title: str, *, width: int = WIDTH, height: int = HEIGHT) -> _C:
    """Give ``chart`` its title, fixed size and the shared font and look."""
    sized = chart.properties(
        title=alt.TitleParams(text=title, anchor="start", fontSize=14),
        width=width,
        height=height,
    )
    return sized.configure(font=FONT).configure_view(stroke=None)  # type: ignore[no-any-return]
