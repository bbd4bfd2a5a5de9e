"""Charts: every builder renders offline to SVG with the expected texts, deterministically."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _budget import examples
from pipereview import charts
from pipereview.core._errors import ConfigError, InputError
from pipereview.core._stages import load_stage_model

STAGES = pd.DataFrame(
    {
        "stage": ["negotiation", "initial_contact", "needs_confirmed"],
        "deals": [2, 10, 5],
        "amount": [1200.0, 5000.0, 3100.0],
    }
)
CONVERSION = pd.DataFrame(
    {
        "from_stage": ["Qualify", "Develop"],
        "to_stage": ["Develop", "Propose"],
        "conversion": [0.5, 0.25],
        "reference": [0.4, None],
    }
)
WATERFALL = pd.DataFrame(
    {
        "step": ["opening", "new", "increased", "pushed_out", "won", "closing"],
        "kind": ["start", "inflow", "inflow", "outflow", "outflow", "end"],
        "amount": [1000.0, 300.0, 50.0, -200.0, -400.0, 750.0],
    }
)
TREND = pd.DataFrame(
    {
        "team": ["North", "North", "West", "West"] * 2,
        "week": ["2026-W46", "2026-W47"] * 4,
        "metric": ["open_pipeline"] * 4 + ["win_rate"] * 4,
        "value": [100.0, 120.0, 90.0, 80.0, 0.3, 0.35, 0.2, 0.25],
    }
)
REPS = pd.DataFrame(
    {
        "team": "North",
        "owner": ["Zoe", "Ann", "<script>alert(1)</script>"],
        "metric": "won_amount",
        "value": [900.0, 400.0, 650.0],
        "team_median": 650.0,
    }
)
FORECAST = pd.DataFrame(
    {
        "team": ["West", "North"],
        "won_to_date": [300.0, 500.0],
        "weighted_in_period": [200.0, 100.0],
        "target": [1000.0, 800.0],
    }
)


def _texts(svg: str) -> list[str]:
    return [
        t.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
        for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    ]


@pytest.fixture(scope="module", autouse=True)
def _warm_vl_convert() -> None:
    """One vl-convert bundle build (~0.5-3 s) for the whole module."""
    charts.to_svg(charts.funnel_chart(STAGES))


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise OSError("network access in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


Builder = Callable[[str], Any]
CASES: list[tuple[str, Builder, dict[str, list[str]]]] = [
    (
        "funnel",
        lambda lang: charts.funnel_chart(
            STAGES, stage_model=load_stage_model("generic_4"), lang=lang
        ),
        {
            "zh": ["销售漏斗", "金额", "初步接触", "谈判签约", "5,000 (10 单)"],
            "en": ["Sales funnel", "Amount", "Initial contact", "5,000 (10 deals)"],
        },
    ),
    (
        "conversion",
        lambda lang: charts.conversion_chart(CONVERSION, lang=lang),
        {
            "zh": ["阶段转化率", "转化率 (竖线 = 参考值)", "Qualify → Develop", "50%", "25%"],
            "en": ["Stage conversion", "Conversion (tick = reference)", "Develop → Propose", "50%"],
        },
    ),
    (
        "waterfall",
        lambda lang: charts.waterfall_chart(WATERFALL, lang=lang),
        {
            "zh": ["管道瀑布图", "期初管道", "新增", "期末管道", "+300", "-400", "750"],
            "en": ["Pipeline waterfall", "Opening", "Pushed out", "Closing", "+50", "-200"],
        },
    ),
    (
        "trend",
        lambda lang: charts.trend_chart(TREND, metric="open_pipeline", lang=lang),
        {
            "zh": ["趋势: 在途管道", "周", "团队", "North", "West", "2026-W47"],
            "en": ["Trend: Open pipeline", "Week", "Team", "2026-W46"],
        },
    ),
    (
        "reps",
        lambda lang: charts.rep_comparison_chart(REPS, lang=lang),
        {
            "zh": ["销售代表与团队中位数: 赢单金额", "Ann (North)", "900"],
            "en": ["Reps vs team median: Won amount", "Rep", "Zoe (North)", "400"],
        },
    ),
    (
        "forecast",
        lambda lang: charts.forecast_chart(FORECAST, lang=lang),
        {
            "zh": ["预测与目标", "已赢单", "加权在途", "目标", "距目标还差 200", "目标 800；"],
            "en": [
                "Forecast vs target",
                "Won",
                "Weighted open",
                "Target",
                "Target 1,000;",
                "short of target by 500",
                "North",
                "West",
            ],
        },
    ),
]
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(("name", "build", "expected"), CASES, ids=IDS)
def test_chart_renders_expected_texts(
    name: str, build: Builder, expected: dict[str, list[str]], lang: str
) -> None:
    chart = build(lang)
    spec = chart.to_dict()
    # the forecast chart's plot is as high as its bars need (two rows here), others fixed
    height = charts.plot_height(2) if name == "forecast" else charts.HEIGHT
    assert (spec["width"], spec["height"]) == (charts.WIDTH, height)
    assert spec["config"]["font"] == charts.FONT
    texts = _texts(charts.to_svg(chart))
    for text in expected[lang]:
        assert text in texts, (name, text, texts)


@pytest.mark.parametrize(("name", "build", "expected"), CASES, ids=IDS)
def test_svg_is_byte_identical_across_renders(name: str, build: Builder, expected: object) -> None:
    assert charts.to_svg(build("zh")) == charts.to_svg(build("zh"))


def test_funnel_follows_the_stage_model_order() -> None:
    spec = charts.funnel_chart(
        STAGES, stage_model=load_stage_model("generic_4"), lang="en"
    ).to_dict()
    # the order travels in the data (a rank), never as a list of names in an expression
    assert spec["layer"][0]["encoding"]["y"]["sort"] == {
        "field": "order",
        "op": "min",
        "order": "ascending",
    }
    rows = next(iter(spec["datasets"].values()))
    assert [r["label"] for r in sorted(rows, key=lambda r: r["order"])] == [
        "Initial contact",
        "Needs confirmed",
        "Negotiation & signing",
    ]


def test_waterfall_running_total_matches_hand_computed_values() -> None:
    bars = charts.waterfall_bars(WATERFALL, lang="en")
    assert bars["start"].tolist() == [0.0, 1000.0, 1300.0, 1350.0, 1150.0, 0.0]
    assert bars["end"].tolist() == [1000.0, 1300.0, 1350.0, 1150.0, 750.0, 750.0]
    # ... and the chart draws exactly that frame
    chart = charts.waterfall_chart(WATERFALL, lang="en")
    values = next(iter(chart.to_dict()["datasets"].values()))
    assert [(v["start"], v["end"]) for v in values] == list(
        zip(bars["start"], bars["end"], strict=True)
    )
    domain = chart.to_dict()["layer"][0]["encoding"]["color"]["scale"]["domain"]
    assert {v["colour"] for v in values} <= set(domain)  # every bar gets a colour
    assert [v["colour"] for v in values] == [
        "Pipeline",
        "Inflow",
        "Inflow",
        "Outflow",
        "Outflow",
        "Pipeline",
    ]


def test_waterfall_refuses_a_closing_that_does_not_add_up() -> None:
    broken = WATERFALL.assign(amount=[1000.0, 300, 50, -200, -400, 999])
    with pytest.raises(InputError, match="not opening \\+ steps"):
        charts.waterfall_bars(broken)


def test_waterfall_skip_empty_keeps_opening_and_closing() -> None:
    w = pd.DataFrame(
        {
            "step": ["opening", "new", "lost", "closing"],
            "kind": ["start", "inflow", "outflow", "end"],
            "amount": [0.0, 0, 0, 0],
        }
    )
    assert charts.waterfall_bars(w, skip_empty=True)["step"].tolist() == ["opening", "closing"]


@pytest.mark.parametrize(
    ("build", "frame", "missing"),
    [
        (charts.funnel_chart, STAGES.drop(columns=["deals", "amount"]), "['deals', 'amount']"),
        (charts.conversion_chart, CONVERSION.drop(columns="reference"), "['reference']"),
        (charts.waterfall_chart, WATERFALL.drop(columns="kind"), "['kind']"),
        (charts.trend_chart, TREND.drop(columns=["team"]), "['team']"),
        (charts.rep_comparison_chart, REPS.drop(columns="team_median"), "['team_median']"),
        (charts.forecast_chart, FORECAST.drop(columns="target"), "['target']"),
    ],
)
def test_missing_columns_are_listed(
    build: Callable[..., Any], frame: pd.DataFrame, missing: str
) -> None:
    with pytest.raises(InputError, match=re.escape(f"needs the column(s) {missing}")):
        build(frame)


def test_a_long_frame_with_several_metrics_needs_metric() -> None:
    with pytest.raises(InputError, match="pass metric="):
        charts.trend_chart(TREND)


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown language 'de'; choose one of en, zh"):
        charts.funnel_chart(STAGES, lang="de")


def test_builders_do_not_modify_their_input() -> None:
    before = WATERFALL.copy()
    charts.waterfall_chart(WATERFALL, skip_empty=True)
    pd.testing.assert_frame_equal(WATERFALL, before)


def test_svg_html_escapes_user_strings_and_holds_no_script() -> None:
    html = charts.svg_html(
        charts.rep_comparison_chart(REPS, lang="en"), label="<script>alert(1)</script>"
    )
    assert html.startswith('<div class="pipereview-chart"') and html.endswith("</div>")
    assert "<script" not in html.lower()
    assert 'aria-label="&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; (North)" in html
    assert "http" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "").replace(
        'xmlns:xlink="http://www.w3.org/1999/xlink"', ""
    )
    assert len(html) < 30_000


@pytest.mark.parametrize(("name", "build", "expected"), CASES, ids=IDS)
def test_specs_carry_inline_data_only(name: str, build: Builder, expected: object) -> None:
    spec = build("en").to_dict()
    assert '"url"' not in repr(spec).replace("'", '"')
    assert spec["datasets"]


@pytest.mark.usefixtures("no_network")
def test_rendering_works_with_the_network_blocked() -> None:
    with pytest.raises(OSError, match="network access"):
        socket.create_connection(("127.0.0.1", 9))
    for _, build, _ in CASES:
        assert charts.svg_html(build("zh")).startswith("<div")


def test_enable_offline_selects_the_svg_renderer() -> None:
    import altair as alt

    previous = charts.enable_offline()
    try:
        assert alt.renderers.active == "svg"
    finally:
        alt.renderers.enable(previous)


# === hostile names: every chart renders, no name enters a chart expression ==============
#: names that broke or could break a chart: line and paragraph separators (line breaks
#: to Vega's expression parser), quotes, backslashes, braces, markup, controls (a NUL
#: aborted the renderer)
HOSTILE = [
    "a\u2028b",
    "c\u2029d",
    "O'Brien",
    'say "hi"',
    "back\\slash\\",
    "{{7*7}}",
    "{team}",
    "</script><script>alert(1)</script>",
    "NUL\x00x",
    "esc\x1b",
    "\ufffe",
    "datum.x",
    "' + alert(1) + '",
    '"]) || true || (["',
]


def _builders(names: list[str]) -> list[charts.ChartLike]:
    """Every builder, its names (stages, steps, teams, reps, series) taken from ``names``."""
    n = len(names)
    values = [float(i + 1) for i in range(n)]
    return [
        charts.funnel_chart(
            pd.DataFrame({"stage": names, "label": names, "deals": range(n), "amount": values}),
            lang="en",
        ),
        charts.conversion_chart(
            pd.DataFrame(
                {"from_stage": names, "to_stage": names[::-1], "conversion": 0.5, "reference": 0.4}
            ),
            lang="en",
        ),
        charts.waterfall_chart(
            pd.DataFrame(
                {
                    "step": ["opening", *names, "closing"],
                    "kind": ["start", *["inflow"] * n, "end"],
                    "amount": [10.0, *values, 10.0 + sum(values)],
                }
            ),
            lang="en",
        ),
        charts.trend_chart(
            pd.DataFrame({"team": names, "week": "2026-W47", "value": values}), lang="en"
        ),
        charts.rep_comparison_chart(
            pd.DataFrame(
                {"team": names, "owner": names[::-1], "value": values, "team_median": 1.0}
            ),
            lang="en",
        ),
        charts.forecast_chart(
            pd.DataFrame(
                {"team": names, "won_to_date": values, "weighted_in_period": values, "target": 5.0}
            ),
            lang="en",
        ),
    ]


def _expressions(node: Any) -> list[str]:
    """Every expression string of a compiled Vega spec."""
    if isinstance(node, dict):
        found = [
            v
            for k, v in node.items()
            if k in ("expr", "signal", "test", "update") and isinstance(v, str)
        ]
        return found + [e for v in node.values() for e in _expressions(v)]
    if isinstance(node, list):
        return [e for v in node for e in _expressions(v)]
    return []


def _valid_svg(html: str) -> None:
    from xml.etree import ElementTree

    svg = html[html.index("<svg") : html.rindex("</svg>") + len("</svg>")]
    ElementTree.fromstring(svg)  # well-formed: parses as XML


@pytest.mark.slow
def test_every_builder_draws_hostile_names_and_keeps_them_out_of_expressions() -> None:
    import vl_convert

    from pipereview.charts._render import _vl_version

    marked = [f"QQ{i}{name}" for i, name in enumerate(HOSTILE)]
    for chart in _builders(marked):
        _valid_svg(charts.svg_html(chart))
        vega = vl_convert.vegalite_to_vega(chart.to_dict(validate=False), vl_version=_vl_version())
        assert not [e for e in _expressions(vega) if "QQ" in e], chart.to_dict()["title"]


@pytest.mark.slow
def test_builders_draw_any_names() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    pieces = st.sampled_from(
        [
            "\u2028",
            "\u2029",
            "'",
            '"',
            "\\",
            "{",
            "}",
            "<",
            ">",
            "/",
            "\x00",
            "\x1f",
            "\ufeff",
            "华",
            "a",
            " ",
            "\n",
            "\t",
            "&",
        ]
    )
    names = st.lists(
        st.lists(pieces, min_size=1, max_size=6).map("".join), min_size=1, max_size=4, unique=True
    )

    @settings(max_examples=examples(10), deadline=None)
    @given(names)
    def draws(chosen: list[str]) -> None:
        for chart in _builders(chosen):
            _valid_svg(charts.svg_html(chart))

    draws()


@pytest.mark.slow
def test_every_registered_chart_draws_hostile_team_and_rep_names(
    sample_store: Any, tmp_path: Any
) -> None:
    from pipereview import SnapshotStore, with_deal_keys
    from pipereview.diagnostics._targets import load_targets
    from pipereview.week import WeekDiagnostics

    weeks = ["2026-W46", "2026-W47"]
    north = SnapshotStore(sample_store).history(teams=["North"], weeks=weeks)
    owners = sorted(north["owner"].unique())
    teams = HOSTILE[:5]
    parts = []
    for i, team in enumerate(teams):  # each hostile team with hostile reps
        part = north.copy()
        part["team"] = team
        part["owner"] = part["owner"].map(
            {o: HOSTILE[(i + k) % len(HOSTILE)] for k, o in enumerate(owners)}
        )
        part["deal_id"] = part["deal_id"].astype(str) + f"-{i}"
        parts.append(part)
    history = with_deal_keys(pd.concat(parts, ignore_index=True))
    latest = history[history["snapshot_week"] == weeks[-1]]
    rows = [
        {"team": t, "owner": "", "period": "2026-Q4", "amount": 1e6, "currency": "USD"}
        for t in teams
    ]
    rows += [
        {"team": t, "owner": o, "period": "2026-Q4", "amount": 1e5, "currency": "USD"}
        for t, o in latest[["team", "owner"]].drop_duplicates().itertuples(index=False)
    ]
    path = tmp_path / "targets.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    context = WeekDiagnostics(history, as_of=weeks[-1], targets=load_targets(path))
    names = charts.chart_names()
    for team in teams:
        owner = latest.loc[latest["team"] == team, "owner"].iloc[0]
        for who in (None, owner):
            drawn = charts.draw_charts(context, team, who, names, lang="en")
            assert [name for name, _ in drawn] == names, (team, who)
            for _, html in drawn:
                _valid_svg(html)


@settings(max_examples=examples(200), deadline=None)
@given(
    opening=st.floats(0, 1e9, allow_nan=False),
    steps=st.lists(st.floats(-1e8, 1e8, allow_nan=False), max_size=6),
)
def test_the_waterfall_axis_floor_is_below_every_bar(opening: float, steps: list[float]) -> None:
    """Whatever the steps (none, all zero, tiny, larger than the pipeline), the axis starts
    at zero or below every running total, and never above a bar's top."""
    from pipereview.charts import axis_floor, waterfall_bars

    totals = np.cumsum([opening, *steps])
    frame = pd.DataFrame(
        {
            "step": ["opening", *[f"s{i}" for i in range(len(steps))], "closing"],
            "kind": ["start", *["inflow" if x >= 0 else "outflow" for x in steps], "end"],
            "amount": [opening, *steps, float(totals[-1])],
        }
    )
    floor = axis_floor(waterfall_bars(frame, lang="en"))
    assert floor == 0.0 or 0.0 < floor <= float(totals.min())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_conversion_axis_names_the_tick_only_when_one_is_drawn(lang: str) -> None:
    rates = pd.DataFrame(
        {"from_stage": ["A", "B"], "to_stage": ["B", "C"], "conversion": [0.5, 0.25]}
    )
    tick = "tick = reference" if lang == "en" else "竖线 = 参考值"
    without = charts.conversion_chart(rates.assign(reference=float("nan")), lang=lang)
    with_one = charts.conversion_chart(rates.assign(reference=[0.6, float("nan")]), lang=lang)
    assert tick not in str(without.to_dict())
    assert tick in str(with_one.to_dict())
