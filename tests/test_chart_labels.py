"""Charts a manager reads at a glance, in both languages: every label whole and clear of its
axis title, every text inside the picture, the waterfall's steps visible and its period
named, the forecast's target and verdict written, every chart fitting a report column.

Each chart kind is rendered to SVG in Chinese and English with long labels and checked on
what the SVG shows. A new chart kind is covered by one more line in ``KINDS``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from itertools import pairwise
from typing import Any
from xml.etree import ElementTree

import pandas as pd
import pytest

from pipereview import charts
from pipereview.charts._base import text_width

SVG = "{http://www.w3.org/2000/svg}"

# === long labels ============================================================================
STAGE_NAMES = {
    "zh": ["初步接触", "需求确认与方案设计阶段", "报价与商务谈判及合同签署", "赢单"],
    "en": [
        "Initial contact",
        "Needs analysis and solution design",
        "Proposal and negotiation",
        "Won",
    ],
}
REP_NAMES = {
    "zh": [
        "欧阳娜娜",
        "司马相如",
        "诸葛孔明",
        "上官婉儿",
        "慕容复",
        "东方不败",
        "令狐冲",
        "王语嫣",
        "张无忌",
        "赵敏",
        "周芷若",
        "黄蓉与郭靖",
    ],
    "en": [
        "Maximilian Oppenheimer-Smith",
        "Anne-Sophie Lindqvist-Berg",
        "Bartholomew Worthington",
        "Wilhelmina MacWilliams",
        "Ann Lee",
        "Zoe Wu",
        "Christopher Montgomery",
        "Guadalupe Fernández",
        "Mohammed Al-Rashidi",
        "Siobhán O'Sullivan",
        "Jean-Baptiste Lemoine",
        "Wu Mingming (Shanghai office)",
    ],
}
TEAM = {"zh": "华东大客户部", "en": "Enterprise East"}


def _funnel(lang: str) -> charts.ChartLike:
    names = STAGE_NAMES[lang]
    frame = pd.DataFrame(
        {
            "stage": ["a", "b", "c", "d"],
            "label": names,
            "deals": [40, 25, 12, 3],
            "amount": [2_400_000.0, 1_800_000.0, 950_000.0, 210_000.0],
        }
    )
    return charts.funnel_chart(frame, lang=lang)


def _conversion(lang: str) -> charts.ChartLike:
    names = STAGE_NAMES[lang]
    frame = pd.DataFrame(
        {
            "from_stage": names[:3],
            "to_stage": names[1:],
            "conversion": [0.62, 0.48, 0.95],
            "reference": [0.5, 0.55, 0.4],
        }
    )
    return charts.conversion_chart(frame, lang=lang)


def _trend(lang: str) -> charts.ChartLike:
    weeks = [f"2026-W{w}" for w in range(38, 48)]
    frame = pd.DataFrame(
        [
            {"owner": o, "week": w, "value": 100_000.0 * (i + 1) + 5_000 * j}
            for i, o in enumerate(REP_NAMES[lang])
            for j, w in enumerate(weeks)
        ]
    )
    return charts.trend_chart(frame, by="owner", metric="open_pipeline", lang=lang)


def _reps(lang: str) -> charts.ChartLike:
    frame = pd.DataFrame(
        {
            "team": TEAM[lang],
            "owner": REP_NAMES[lang],
            "value": [120_000.0 * (i + 1) for i in range(12)],
            "team_median": 650_000.0,
        }
    )
    return charts.rep_comparison_chart(frame, metric="won_amount", lang=lang)


def _forecast(lang: str) -> charts.ChartLike:
    frame = pd.DataFrame(
        {
            "team": TEAM[lang],
            "owner": REP_NAMES[lang],
            "won_to_date": [100_000.0 * (i + 1) for i in range(12)],
            "weighted_in_period": 150_000.0,
            "target": 1_000_000.0,
            "outlook": ["off_track"] * 6 + ["at_risk"] * 4 + ["on_track", "met"],
        }
    )
    return charts.forecast_chart(frame, by="rep", lang=lang)


WATERFALL_BIG = pd.DataFrame(
    {
        "step": [
            *("opening", "new", "increased", "decreased", "pushed_out", "lost", "pulled_in"),
            "closing",
        ],
        "kind": ["start", "inflow", "inflow", "outflow", "outflow", "outflow", "inflow", "end"],
        "amount": [
            *(6_400_000.0, 150_000, 50_000, -100_000, -300_000, -250_000, 250_000),
            6_200_000.0,
        ],
    }
)


def _waterfall(lang: str) -> charts.ChartLike:
    return charts.waterfall_chart(WATERFALL_BIG, lang=lang, period="2026-Q4")


#: every chart kind, built with long labels in ``lang``
KINDS: list[tuple[str, Callable[[str], charts.ChartLike]]] = [
    ("funnel", _funnel),
    ("conversion", _conversion),
    ("trend", _trend),
    ("reps", _reps),
    ("forecast", _forecast),
    ("waterfall", _waterfall),
]


# === reading the SVG ========================================================================
def _translate(transform: str | None) -> tuple[float, float]:
    """The first translate() of a transform (0, 0 without one)."""
    found = re.match(r"translate\(([-\d.e]+),([-\d.e]+)\)", transform or "")
    return (float(found[1]), float(found[2])) if found else (0.0, 0.0)


def _classes(element: ElementTree.Element) -> str:
    return element.get("class") or ""


def _groups(root: ElementTree.Element, role: str) -> Iterator[ElementTree.Element]:
    for element in root.iter(f"{SVG}g"):
        if f"role-{role}" in _classes(element).split():
            yield element


def _texts_of(group: ElementTree.Element, role: str) -> list[ElementTree.Element]:
    return [t for g in _groups(group, role) for t in g.iter(f"{SVG}text")]


def _placed_texts(
    element: ElementTree.Element, x: float = 0.0, y: float = 0.0
) -> Iterator[tuple[ElementTree.Element, float, float]]:
    """Every ``<text>`` with its anchor point in the SVG's coordinates."""
    dx, dy = _translate(element.get("transform"))
    x, y = x + dx, y + dy
    if element.tag == f"{SVG}text":
        yield element, x, y
    for child in element:
        yield from _placed_texts(child, x, y)


def _size(text: ElementTree.Element) -> float:
    return float((text.get("font-size") or "10px").removesuffix("px"))


def _bold(text: ElementTree.Element) -> bool:
    return text.get("font-weight") == "bold"


def _spec_axes(node: Any) -> dict[str, dict[str, Any]]:
    """The axes of a chart spec, by title."""
    found: dict[str, dict[str, Any]] = {}
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "axis" and isinstance(value, dict) and "title" in value:
                found[value["title"]] = value
            else:
                found.update(_spec_axes(value))
    elif isinstance(node, list):
        for value in node:
            found.update(_spec_axes(value))
    return found


def _spec_legends(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        own = [node["legend"]] if isinstance(node.get("legend"), dict) else []
        return own + [x for v in node.values() for x in _spec_legends(v)]
    if isinstance(node, list):
        return [x for v in node for x in _spec_legends(v)]
    return []


@pytest.fixture(scope="module")
def rendered() -> dict[tuple[str, str], tuple[dict[str, Any], str]]:
    """(spec, SVG) of every kind in both languages, rendered once."""
    out = {}
    for name, build in KINDS:
        for lang in ("zh", "en"):
            chart = build(lang)
            out[name, lang] = (chart.to_dict(), charts.to_svg(chart))
    return out


MATRIX = [
    pytest.param(name, lang, id=f"{name}-{lang}") for name, _ in KINDS for lang in ("zh", "en")
]


# === the matrix =============================================================================
@pytest.mark.parametrize(("name", "lang"), MATRIX)
def test_no_text_is_cut(name: str, lang: str, rendered: Any) -> None:
    _, svg = rendered[name, lang]
    texts = [t.text or "" for t in ElementTree.fromstring(svg).iter(f"{SVG}text")]
    assert texts
    assert not [t for t in texts if "…" in t], texts
    # every long label is there in full
    wanted = {
        "funnel": STAGE_NAMES[lang][1:3],
        "conversion": [f"{STAGE_NAMES[lang][1]} → {STAGE_NAMES[lang][2]}"],
        "trend": REP_NAMES[lang],
        "reps": [f"{REP_NAMES[lang][0]} ({TEAM[lang]})", f"{REP_NAMES[lang][11]} ({TEAM[lang]})"],
        "forecast": REP_NAMES[lang],
        "waterfall": ["期初管道", "推迟移出"] if lang == "zh" else ["Opening", "Pushed out"],
    }[name]
    assert set(wanted) <= set(texts), (set(wanted) - set(texts), texts)


@pytest.mark.parametrize(("name", "lang"), MATRIX)
def test_every_axis_label_fits_its_area_and_clears_the_title(
    name: str, lang: str, rendered: Any
) -> None:
    spec, svg = rendered[name, lang]
    axes = _spec_axes(spec)
    root = ElementTree.fromstring(svg)
    seen = 0
    for group in _groups(root, "axis"):
        titles = _texts_of(group, "axis-title")
        labels = _texts_of(group, "axis-label")
        if not titles or not labels:  # the grid
            continue
        seen += 1
        title = titles[0]
        given = axes[title.text or ""]
        widest = max(text_width(t.text or "", _size(t)) for t in labels)
        # each label fits the area the spec gives it: never cut, and the axis reserves it
        assert widest <= given["labelLimit"], (title.text, widest, given)
        angle = math.radians(abs(given.get("labelAngle", 0)))
        title_x, title_y = _translate(title.get("transform"))
        label_x, label_y = _translate(labels[0].get("transform"))
        if "Y-axis" in (group.get("aria-label") or ""):  # left: labels end at label_x
            extent = -label_x + widest
            assert given["minExtent"] >= extent
            # the turned title's glyphs lie left of title_x
            assert -title_x >= extent + 1, (title.text, title_x, extent)
        else:  # bottom: labels hang below their top, turned by the label angle
            # an unturned label's y is its baseline, 0.8 em below its top
            top = label_y - (0 if angle else 0.8 * _size(labels[0]))
            extent = top + widest * math.sin(angle) + _size(labels[0]) * math.cos(angle)
            assert given["minExtent"] >= extent
            # the title's y is its baseline, 0.8 em below its top
            assert title_y - 0.8 * _size(title) >= extent, (title.text, title_y, extent)
    assert seen == 2


@pytest.mark.parametrize(("name", "lang"), MATRIX)
def test_every_legend_label_fits_its_area(name: str, lang: str, rendered: Any) -> None:
    spec, svg = rendered[name, lang]
    legends = _spec_legends(spec)
    labels = _texts_of(ElementTree.fromstring(svg), "legend-label")
    if name in ("trend", "forecast", "waterfall"):  # one legend (layers may repeat it)
        assert labels and len({repr(x) for x in legends}) == 1
    for text in labels:
        assert text_width(text.text or "", _size(text)) <= legends[0]["labelLimit"]


@pytest.mark.parametrize(("name", "lang"), MATRIX)
def test_every_text_lies_inside_the_picture(name: str, lang: str, rendered: Any) -> None:
    """Texts beside bars, legends and titles are estimated at the browser's width and must
    end inside the SVG (a text past its edge is cut off)."""
    _, svg = rendered[name, lang]
    root = ElementTree.fromstring(svg)
    width, height = float(root.get("width") or 0), float(root.get("height") or 0)
    checked = 0
    for text, x, y in _placed_texts(root):
        if "rotate" in (text.get("transform") or ""):
            continue
        size = _size(text)
        w = text_width(text.text or "", size, bold=_bold(text))
        anchor = text.get("text-anchor") or "start"
        left = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
        assert left >= 0 and left + w <= width, (text.text, left, w, width)
        # y is the baseline: CJK glyphs rise 0.9 em above it, descenders drop 0.25 em
        assert y - 0.9 * size >= 0 and y + 0.25 * size <= height, (text.text, y, height)
        checked += 1
    assert checked > 5


@pytest.mark.parametrize(("name", "lang"), MATRIX)
def test_chart_fits_a_report_column_and_shrinks_on_a_phone(
    name: str, lang: str, rendered: Any
) -> None:
    _, svg = rendered[name, lang]
    head = svg[: svg.index(">")]
    width, height = (float(v) for v in re.findall(r' (?:width|height)="([\d.]+)"', head))
    assert width <= 900  # the report column on a 1280 px laptop
    assert 'style="max-width:100%;height:auto"' in head
    assert f'viewBox="0 0 {width:g} {height:g}"' in head


# === the estimate ===========================================================================
def test_text_width_counts_cjk_as_one_em_and_latin_by_arial_widths() -> None:
    # 11 CJK characters at 10 px, +5%
    assert text_width("需求确认与方案设计阶段") == 115.5
    # W 944 + i 222 + n 556 = 1.722 em at 20 px, +5%; bold 10% more
    assert text_width("Win", 20) == 36.16
    assert text_width("Win", 20, bold=True) == 39.78
    # an accented letter counts as its letter, a full-width comma as 1 em
    assert text_width("é") == text_width("e") == 5.84
    assert text_width("，") == 10.5


# === the waterfall ==========================================================================
def _bars(svg: str) -> dict[str, float]:
    """Height in px of each bar of a waterfall SVG, by step label."""
    heights = {}
    for path in ElementTree.fromstring(svg).iter(f"{SVG}path"):
        if path.get("aria-roledescription") == "bar":
            label = re.match(r"label: ([^;]+);", path.get("aria-label") or "")
            size = re.search(r"v([-\d.e]+)h", path.get("d") or "")
            assert label and size
            heights[label[1]] = abs(float(size[1]))
    return heights


@pytest.mark.parametrize(
    ("lang", "title", "subtitle"),
    [
        ("zh", "2026-Q4 预计成交管道变化", "纵轴从 5.9M 起"),
        ("en", "Pipeline closing in 2026-Q4", "axis starts at 5.9M"),
    ],
)
def test_waterfall_axis_starts_where_its_steps_show(lang: str, title: str, subtitle: str) -> None:
    chart = charts.waterfall_chart(WATERFALL_BIG, lang=lang, period="2026-Q4")
    spec = chart.to_dict()
    # running totals 6.4, 6.55, 6.6, 6.5, 6.2, 5.95, 6.2 M; largest step 0.3M < 15% of 5.95M:
    # floor below 5.95M - 30k = 5.92M to a 0.1M unit (span 6.6 - 5.92 = 0.68M, half 0.34M):
    # 5.9M; top 6.6M + 10% of the 0.7M span = 6.67M
    domain = spec["layer"][0]["encoding"]["y"]["scale"]["domain"]
    assert domain == pytest.approx([5_900_000, 6_670_000])
    svg = charts.to_svg(chart)
    heights = _bars(svg)
    step_label = "金额增加" if lang == "zh" else "Increased"
    # the 50k step: 50k / 770k of 260 px = 16.9 px (at zero it was 50k / 6.6M: 2 px)
    assert heights[step_label] == pytest.approx(260 * 50 / 770, abs=0.01)
    assert heights[step_label] >= 12
    # opening and closing rise from the floor: 0.5M and 0.3M of the 0.77M span
    opening, closing = ("期初管道", "期末管道") if lang == "zh" else ("Opening", "Closing")
    assert heights[opening] == pytest.approx(260 * 500 / 770, abs=0.01)
    assert heights[closing] == pytest.approx(260 * 300 / 770, abs=0.01)
    texts = [t.text for t in ElementTree.fromstring(svg).iter(f"{SVG}text")]
    assert title in texts and subtitle in texts


def test_waterfall_keeps_zero_when_the_steps_are_large() -> None:
    # opening 1000, steps up to 400: 400 >= 15% of the lowest total (750)
    frame = pd.DataFrame(
        {
            "step": ["opening", "new", "increased", "pushed_out", "won", "closing"],
            "kind": ["start", "inflow", "inflow", "outflow", "outflow", "end"],
            "amount": [1000.0, 300.0, 50.0, -200.0, -400.0, 750.0],
        }
    )
    chart = charts.waterfall_chart(frame, lang="en")
    spec = chart.to_dict()
    # 0 to the highest total 1350 + 10% = 1485
    assert spec["layer"][0]["encoding"]["y"]["scale"]["domain"] == pytest.approx([0, 1485])
    assert spec["title"] == {"text": "Pipeline waterfall", "anchor": "start", "fontSize": 14}
    heights = _bars(charts.to_svg(chart))
    assert heights["Opening"] == pytest.approx(260 * 1000 / 1485, abs=0.01)


def test_waterfall_floor_is_a_round_number_below_the_lowest_total() -> None:
    bars = charts.waterfall_bars(WATERFALL_BIG)
    assert charts.axis_floor(bars) == 5_900_000
    # a step just under 15% of the lowest total: 0.89M of 5.95M -> floor below 5.861M
    # (span 6.84 - 5.861 = 0.979M, half 0.49M: unit 0.1M) = 5.8M
    near = pd.DataFrame(
        {
            "step": ["opening", "lost", "new", "closing"],
            "kind": ["start", "outflow", "inflow", "end"],
            "amount": [6_400_000.0, -450_000, 250_000, 6_200_000],
        }
    )
    assert charts.axis_floor(charts.waterfall_bars(near)) == 5_900_000
    wide = near.assign(amount=[6_840_000.0, -890_000, 250_000, 6_200_000])
    assert charts.axis_floor(charts.waterfall_bars(wide)) == 5_800_000
    at_limit = near.assign(amount=[6_900_000.0, -900_000, 200_000, 6_200_000])  # 0.9M = 15% of 6M
    assert charts.axis_floor(charts.waterfall_bars(at_limit)) == 0


# === the forecast ===========================================================================
FORECAST_ONE = pd.DataFrame(
    {
        "team": ["North"],
        "won_to_date": [500_000.0],
        "weighted_in_period": [100_000.0],
        "target": [800_000.0],
        "outlook": ["at_risk"],
    }
)


def _row_texts(svg: str) -> dict[float, list[tuple[float, str]]]:
    """The texts beside the bars of a forecast SVG: (x, text) left to right, by row (y)."""
    rows: dict[float, list[tuple[float, str]]] = {}
    root = ElementTree.fromstring(svg)
    for text, x, y in _placed_texts(root):
        if text.get("aria-roledescription") == "text mark":
            rows.setdefault(y, []).append((x, text.text or ""))
    return {y: sorted(row) for y, row in rows.items()}


@pytest.mark.parametrize(
    ("lang", "verdict", "beside", "target"),
    [
        ("zh", "目标有风险", ["目标 800,000；", "距目标还差 200,000"], "目标"),
        ("en", "target at risk", ["Target 800,000;", "short of target by 200,000"], "Target"),
    ],
)
def test_forecast_of_one_team_names_the_target_and_its_verdict(
    lang: str, verdict: str, beside: list[str], target: str
) -> None:
    chart = charts.forecast_chart(FORECAST_ONE, lang=lang)
    assert chart.to_dict()["title"]["subtitle"] == verdict
    svg = charts.to_svg(chart)
    root = ElementTree.fromstring(svg)
    assert verdict in [t.text for t in root.iter(f"{SVG}text")]
    # beside the bar, left to right: the target's value, then the gap (the verdict is above)
    (row,) = _row_texts(svg).values()
    assert [text for _, text in row] == beside
    # the black tick is named in the legend
    assert [t.text for t in _texts_of(root, "legend-label")][-1] == target
    ticks = [p for p in root.iter(f"{SVG}path") if p.get("aria-roledescription") == "tick"]
    assert [t.get("fill") for t in ticks] == ["#333333"]


def test_forecast_by_rep_writes_each_verdict_beside_its_bar() -> None:
    frame = pd.DataFrame(
        {
            "owner": ["Zoe", "Ann"],
            "won_to_date": [900.0, 100.0],
            "weighted_in_period": [0.0, 300.0],
            "target": [800.0, 1000.0],
            "outlook": ["met", "off_track"],
        }
    )
    chart = charts.forecast_chart(frame, by="rep", lang="en")
    assert "subtitle" not in chart.to_dict()["title"]
    rows = list(_row_texts(charts.to_svg(chart)).values())  # Ann, then Zoe
    assert [[text for _, text in row] for row in rows] == [
        ["Target 1,000;", "short of target by 600", "(not on track to hit target)"],
        ["Target 800;", "forecast above target by 100", "(target met)"],
    ]
    for row in rows:  # each piece starts after the one before ends
        for (x, text), (next_x, _) in pairwise(row):
            assert next_x >= x + text_width(text, 11)
