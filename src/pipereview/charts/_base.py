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

import math
import unicodedata
from collections.abc import Sequence
from typing import Any, TypeVar

import altair as alt
import pandas as pd

from pipereview.core._errors import InputError
from pipereview.core._languages import LANGUAGES, Lang, check_language

__all__ = [
    "FONT",
    "HEIGHT",
    "LABEL_SIZE",
    "LANGS",
    "NUMBER_AXIS",
    "TITLE_SIZE",
    "WIDTH",
    "ChartLike",
    "Lang",
    "amount_text",
    "axis",
    "by_order",
    "check_columns",
    "finish",
    "label",
    "label_limit",
    "legend",
    "number_labels",
    "overhang",
    "short_amount",
    "text_width",
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
    "title_waterfall_period": ("{period} 预计成交管道变化", "Pipeline closing in {period}"),
    "axis_from": ("纵轴从 {value} 起", "axis starts at {value}"),
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
    "moved_in": ("从其他团队调入", "Moved in"),
    "increased": ("金额增加", "Increased"),
    "decreased": ("金额减少", "Decreased"),
    "pulled_in": ("提前进入", "Pulled in"),
    "pushed_in": ("推迟进入", "Pushed in"),
    "pushed_out": ("推迟移出", "Pushed out"),
    "pulled_out": ("提前移出", "Pulled out"),
    "lost": ("输单", "Lost"),
    "dropped": ("消失", "Dropped"),
    "removed": ("已删除或合并", "Deleted or merged"),
    "moved_out": ("调往其他团队", "Moved out"),
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


def short_amount(value: float) -> str:
    """An amount in a few characters: thousands as k, millions as M, billions as B, up to
    three significant digits (an axis floor in a subtitle).

    >>> short_amount(5_900_000), short_amount(6_050_000), short_amount(800), short_amount(12_500)
    ('5.9M', '6.05M', '800', '12.5k')
    """
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{unit}"
    return f"{value:.3g}"


# === label areas sized to the text =====================================================
#: Font size (px) of axis and legend labels and of the texts beside bars; axis and legend
#: titles are :data:`TITLE_SIZE` bold; the chart title 14 px, its subtitle 11 px.
LABEL_SIZE: int = 10
TITLE_SIZE: int = 11
#: Advance widths (1/1000 em) of printable ASCII in Helvetica / Arial / Liberation Sans,
#: the widest Latin of the font stack's fallbacks (and what vl-convert measures with).
_ASCII_WIDTHS: tuple[int, ...] = (
    # space ! " # $ % & ' ( ) * + , - . /
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    # 0-9, : ; < = > ? @
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015,
    # A-Z
    667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833,
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611,
    # [ \ ] ^ _ `
    278, 278, 278, 469, 556, 333,
    # a-z
    556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833,
    556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500,
    # { | } ~
    334, 260, 334, 584,
)  # fmt: skip
#: Bold text is up to this much wider than regular.
_BOLD = 1.1
#: Safety margin on every estimate: browsers' fonts (Noto Sans CJK, YaHei, PingFang) draw
#: Latin no wider than Arial plus this.
_SLACK = 1.05


def _char_em(char: str) -> float:
    code = ord(char)
    if 32 <= code < 127:
        return _ASCII_WIDTHS[code - 32] / 1000
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0.0
    base = unicodedata.normalize("NFD", char)[0]
    if 32 <= ord(base) < 127:
        return _ASCII_WIDTHS[ord(base) - 32] / 1000  # an accented Latin letter: its letter
    wide = unicodedata.east_asian_width(char)
    if wide in ("W", "F") or (wide == "A" and not unicodedata.category(char).startswith("L")):
        return 1.0  # CJK, full-width forms, and symbols CJK fonts draw wide (→, …): 1 em
    return 0.8  # other letters (Cyrillic, Greek, ß, ø, ...): a wide Latin letter


def text_width(text: str, size: float = LABEL_SIZE, *, bold: bool = False) -> float:
    """The width in px of ``text`` drawn at ``size`` px, estimated without a font: CJK and
    full-width characters 1 em, Latin by Arial's widths, bold 10% wider, plus 5%. Never
    less than the browser draws with the chart's fonts (nor than vl-convert measures), so
    a label area this wide never cuts a label.

    vl-convert's own measuring cannot be used: a Linux server without a CJK font measures
    Chinese at ~0.4 em, so label areas came out too small and labels were cut.

    >>> text_width("需求确认"), text_width("Opening"), text_width("Opening", 20)
    (42.0, 39.69, 79.38)
    """
    em = sum(_char_em(c) for c in text) * (_BOLD if bold else 1.0) * _SLACK
    return round(em * size, 2)


#: Axis geometry (Vega's defaults, set explicitly): tick length + gap to the labels, and
#: the gap between the labels and the axis title.
_TICK_ROOM = 7
_TITLE_PADDING = 6
#: Gap between the plot and a legend, the legend's symbol + gap to its labels.
_LEGEND_OFFSET = 18
_SYMBOL_ROOM = 16


def label_limit(labels: Sequence[str], size: float = LABEL_SIZE) -> int:
    """The label area (px) the longest of ``labels`` needs at ``size``, rounded up.

    >>> label_limit(["新增", "需求确认与方案设计阶段"])
    118
    """
    return math.ceil(max((text_width(t, size) for t in labels), default=0.0)) + 2


def axis(
    labels: Sequence[str], title: str, *, orient: str, angle: float = 0.0, **extra: Any
) -> tuple[alt.Axis, int]:
    """An axis whose label area fits the longest of ``labels`` (the texts it shows), and
    the room in px it takes outside the plot (ticks, labels, title).

    ``orient`` is "left" (labels side by side with the axis: the area is their width) or
    "bottom" (the area is their height, or for labels turned by ``angle`` degrees, the
    height of the turned text). Sets ``labelLimit`` (the widest label: never cut),
    ``minExtent`` = ``maxExtent`` (the label area: the same whatever vl-convert measures)
    and ``titlePadding`` (the title clears the labels).

    >>> a, room = axis(["期初管道", "新增"], "阶段", orient="left")
    >>> a.labelLimit, a.minExtent, a.titlePadding, room
    (44, 51, 6, 73)
    """
    limit = label_limit(labels)
    if orient == "left":
        extent = _TICK_ROOM + limit
    else:
        turn = math.radians(abs(angle))
        extent = _TICK_ROOM + math.ceil(limit * math.sin(turn) + LABEL_SIZE * math.cos(turn)) + 2
    params: dict[str, Any] = {
        "title": title,
        "labelAngle": angle,
        "labelFontSize": LABEL_SIZE,
        "labelLimit": limit,
        "labelOverlap": False,  # every name shown (a number axis may thin its ticks)
        "minExtent": extent,
        "maxExtent": extent,
        "titleFontSize": TITLE_SIZE,
        "titlePadding": _TITLE_PADDING,
    }
    made = alt.Axis(**(params | extra))
    return made, extent + _TITLE_PADDING + math.ceil(TITLE_SIZE * 1.2) + 2


#: What a number axis passes to :func:`axis`: few ticks, thinned where they would overlap.
NUMBER_AXIS: dict[str, Any] = {"labelOverlap": True, "tickCount": 5}


def number_labels(low: float, high: float) -> list[str]:
    """The longest texts a number axis from ``low`` to ``high`` can show (thousands
    separators; two decimals below 100), for :func:`axis` (with :data:`NUMBER_AXIS`).

    >>> number_labels(0, 1350), number_labels(0, 0.35)
    (['0', '1,350'], ['0.00', '0.35'])
    """
    return [f"{v:,.2f}" if max(abs(low), abs(high)) < 100 else f"{v:,.0f}" for v in (low, high)]


def overhang(labels: Sequence[str]) -> int:
    """How far (px) the labels of a bottom axis can reach past the plot's right edge: half
    the widest (a tick label is centred on its tick).

    >>> overhang(["0", "3,000,000"])
    25
    """
    return label_limit(labels) // 2 + 1


def legend(
    labels: Sequence[str], title: str | None, *, after: int = 0, **extra: Any
) -> tuple[alt.Legend, int]:
    """A legend (right of the plot, one entry per line, ``after`` px further right when
    texts run past the plot) whose label area fits the longest of ``labels``, and the room
    in px it takes right of the plot."""
    limit = label_limit(labels)
    title_width = math.ceil(text_width(title, TITLE_SIZE, bold=True)) + 2 if title else 0
    made = alt.Legend(
        title=title,
        orient="right",
        offset=_LEGEND_OFFSET + after,
        labelFontSize=LABEL_SIZE,
        labelLimit=limit,
        titleFontSize=TITLE_SIZE,
        titleLimit=max(title_width, 1),
        **extra,
    )
    return made, after + _LEGEND_OFFSET + max(_SYMBOL_ROOM + limit, title_width) + 4


def finish(
    chart: _C,
    title: str,
    *,
    width: int = WIDTH,
    height: int = HEIGHT,
    subtitle: str | None = None,
    left: int | None = None,
    bottom: int | None = None,
    right: int = 0,
) -> _C:
    """Give ``chart`` its title (and ``subtitle``), fixed size and the shared font and look.

    With ``left`` and ``bottom`` (the room of the axes, from :func:`axis`) and ``right``
    (a legend's room, from :func:`legend`, or room for texts past the plot) the chart is
    laid out from those estimates, not from vl-convert's measuring: the SVG is the plot
    plus exactly that room, so nothing is cut off at its edges.
    """
    params: dict[str, Any] = {"text": title, "anchor": "start", "fontSize": 14}
    if subtitle:
        params.update(subtitle=subtitle, subtitleFontSize=TITLE_SIZE, subtitlePadding=3)
    sized = chart.properties(title=alt.TitleParams(**params), width=width, height=height)
    if left is not None and bottom is not None:
        title_room = 14 + 2 * 4 + (math.ceil(TITLE_SIZE * 1.2) + 3 if subtitle else 0) + 6
        widest_title = text_width(title, 14, bold=True)
        if subtitle:
            widest_title = max(widest_title, text_width(subtitle, TITLE_SIZE))
        right = max(right, math.ceil(widest_title) - left - width) + 5
        sized = sized.properties(
            autosize=alt.AutoSizeParams(type="none"),
            padding={"left": left + 5, "top": title_room, "right": right, "bottom": bottom + 5},
        )
    return sized.configure(font=FONT).configure_view(stroke=None)  # type: ignore[no-any-return]
