"""The chart builders: tidy frames in, ``alt.Chart`` / ``alt.LayerChart`` out (the
waterfall's, which compute a running total first, are in ``_waterfall``).

Each builder checks its input columns (:func:`check_columns`), never modifies its input,
computes every position and label in pandas (so the spec holds plain inline values and
renders the same everywhere) and fixes every sort order explicitly.

>>> table = pd.DataFrame({"stage": ["initial_contact", "negotiation"],
...                       "deals": [10, 2], "amount": [5000.0, 1200.0]})
>>> chart = funnel_chart(table, lang="en")
>>> chart.to_dict()["title"]["text"], chart.to_dict()["width"]
('Sales funnel', 480)
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from pipereview.charts._base import amount_text, by_order, check_columns, finish, label
from pipereview.core._errors import InputError
from pipereview.core._languages import check_language
from pipereview.core._stages import StageModel
from pipereview.diagnostics._figures import gap_text
from pipereview.diagnostics._grouping import level_keys

__all__ = [
    "CONVERSION_COLUMNS",
    "FORECAST_COLUMNS",
    "FUNNEL_COLUMNS",
    "REP_COLUMNS",
    "TREND_COLUMNS",
    "conversion_chart",
    "forecast_chart",
    "funnel_chart",
    "rep_comparison_chart",
    "trend_chart",
]

#: Input columns of each builder (optional columns are named in its docstring).
FUNNEL_COLUMNS: tuple[str, ...] = ("stage", "deals", "amount")
CONVERSION_COLUMNS: tuple[str, ...] = ("from_stage", "to_stage", "conversion", "reference")
TREND_COLUMNS: tuple[str, ...] = ("week", "value")
REP_COLUMNS: tuple[str, ...] = ("owner", "value", "team_median")
FORECAST_COLUMNS: tuple[str, ...] = ("won_to_date", "weighted_in_period", "target")

_BAR = "#4c78a8"
_MARK = "#333333"


def _one_metric(frame: pd.DataFrame, metric: str | None, chart: str) -> tuple[pd.DataFrame, str]:
    """The rows of one metric when ``frame`` is long (has a ``metric`` column)."""
    if "metric" not in frame.columns:
        return frame, metric or "value"
    metrics = list(dict.fromkeys(frame["metric"].astype("str")))
    if metric is None:
        if len(metrics) != 1:
            raise InputError(
                f"{chart} draws one metric; the frame holds {metrics}.",
                column="metric",
                hint="pass metric=... to choose one.",
            )
        metric = metrics[0]
    elif metric not in metrics:
        raise InputError(
            f"{chart}: metric {metric!r} is not in the frame ({metrics}).",
            column="metric",
            hint="pass one of the metrics the frame holds.",
        )
    return frame[frame["metric"].astype("str") == metric], metric


def funnel_chart(
    stage_table: pd.DataFrame, *, stage_model: StageModel | None = None, lang: str = "zh"
) -> alt.LayerChart:
    """Open deals per stage: one bar per stage (amount), labelled with amount and deals.

    Input (:data:`FUNNEL_COLUMNS`): ``stage`` (stage key), ``deals`` (count), ``amount``;
    optional ``label`` (display name). With ``stage_model`` the stages are drawn in the
    model's order and labelled in ``lang`` (stages the model lacks go last, in input
    order); without it, in input order, labelled by ``label`` or else ``stage``.
    """
    lang = check_language(lang)
    check_columns(stage_table, FUNNEL_COLUMNS, "funnel_chart")
    data = stage_table.reset_index(drop=True)
    keys = data["stage"].astype("str")
    if stage_model is not None:
        order = {key: i for i, key in enumerate(stage_model.keys)}
        rank = keys.map(lambda k: order.get(k, len(order))).to_numpy()
        data = data.iloc[np.lexsort((np.arange(len(data)), rank))].reset_index(drop=True)
        keys = data["stage"].astype("str")
        names = [stage_model.stage(k).label_in(lang) if k in order else k for k in keys]
    elif "label" in data.columns:
        names = list(data["label"].astype("str"))
    else:
        names = list(keys)
    unit = " 单" if lang == "zh" else " deals"
    plot = pd.DataFrame(
        {
            "label": names,
            "order": np.arange(len(names)),
            "amount": data["amount"].astype(float),
            "deals": data["deals"].astype("int64"),
            "text": [
                f"{amount_text(a)} ({d}{unit})"
                for a, d in zip(data["amount"], data["deals"], strict=True)
            ],
        }
    )
    y = alt.Y("label:N", sort=by_order(), title=label("stage", lang))
    base = alt.Chart(plot).encode(y=y)
    bars = base.mark_bar(color=_BAR).encode(
        x=alt.X("amount:Q", title=label("amount", lang)), tooltip=["label:N", "deals:Q", "amount:Q"]
    )
    text = base.mark_text(align="left", dx=4).encode(x="amount:Q", text="text:N")
    return finish(alt.LayerChart(layer=[bars, text]), label("title_funnel", lang))


def conversion_chart(conversion: pd.DataFrame, *, lang: str = "zh") -> alt.LayerChart:
    """Stage-to-stage conversion (bars, %) against a reference rate (black ticks).

    Input (:data:`CONVERSION_COLUMNS`): ``from_stage``, ``to_stage`` (display names),
    ``conversion`` and ``reference`` (fractions, 0.4 = 40%; a missing reference draws no
    tick). Rows are drawn in input order (give them in stage-model order).
    """
    lang = check_language(lang)
    check_columns(conversion, CONVERSION_COLUMNS, "conversion_chart")
    names = [
        f"{a} → {b}"
        for a, b in zip(
            conversion["from_stage"].astype("str"),
            conversion["to_stage"].astype("str"),
            strict=True,
        )
    ]
    rates = conversion["conversion"].astype(float).to_numpy()
    plot = pd.DataFrame(
        {
            "label": names,
            "order": np.arange(len(names)),
            "conversion": rates,
            "reference": conversion["reference"].astype(float).to_numpy(),
            "text": ["" if pd.isna(r) else f"{r:.0%}" for r in rates],
        }
    )
    base = alt.Chart(plot).encode(y=alt.Y("label:N", sort=by_order(), title=label("stage", lang)))
    x = alt.X(
        "conversion:Q",
        title=f"{label('conversion', lang)} ({label('tick_reference', lang)})",
        axis=alt.Axis(format=".0%"),
    )
    bars = base.mark_bar(color=_BAR).encode(x=x, tooltip=["label:N", "conversion:Q", "reference:Q"])
    ref = base.mark_tick(color=_MARK, thickness=2).encode(x="reference:Q")
    text = base.mark_text(align="left", dx=4).encode(x="conversion:Q", text="text:N")
    return finish(alt.LayerChart(layer=[bars, ref, text]), label("title_conversion", lang))


def trend_chart(
    trend: pd.DataFrame, *, by: str = "team", metric: str | None = None, lang: str = "zh"
) -> alt.Chart:
    """A metric per week, one line per ``by`` value (``"team"`` or ``"owner"``).

    Input (:data:`TREND_COLUMNS` plus ``by``): ``week`` (ISO week text, sorted as
    text), ``value``, the ``by`` column; with a ``metric`` column (the long frame of
    :func:`pipereview.diagnostics._trends.weekly_metrics`) pass ``metric=`` unless it holds only one.
    """
    lang = check_language(lang)
    check_columns(trend, (*TREND_COLUMNS, by), "trend_chart")
    rows, metric = _one_metric(trend, metric, "trend_chart")
    plot = pd.DataFrame(
        {
            "week": rows["week"].astype("str").to_numpy(),
            "series": rows[by].astype("str").to_numpy(),
            "value": rows["value"].astype(float).to_numpy(),
        }
    )
    plot["week_order"] = pd.factorize(plot["week"], sort=True)[0]
    plot["series_order"] = pd.factorize(plot["series"], sort=True)[0]
    chart: alt.Chart = (
        alt.Chart(plot)
        .mark_line(point=True)
        .encode(
            x=alt.X("week:O", sort=by_order("week_order"), title=label("week", lang)),
            y=alt.Y("value:Q", title=label(metric, lang)),
            color=alt.Color("series:N", sort=by_order("series_order"), title=label(by, lang)),
            tooltip=["week:O", "series:N", "value:Q"],
        )
    )
    return finish(chart, f"{label('title_trend', lang)}: {label(metric, lang)}")


def rep_comparison_chart(
    reps: pd.DataFrame, *, metric: str | None = None, lang: str = "zh"
) -> alt.LayerChart:
    """Each rep's value (bar) against the team median (black tick).

    Input (:data:`REP_COLUMNS`): ``owner``, ``value``, ``team_median``; optional
    ``team`` (reps are sorted by team, then name). With a ``metric`` column (the long
    frame of :func:`pipereview.diagnostics._trends.rep_comparison`) pass ``metric=`` unless it holds
    only one.
    """
    lang = check_language(lang)
    check_columns(reps, REP_COLUMNS, "rep_comparison_chart")
    rows, metric = _one_metric(reps, metric, "rep_comparison_chart")
    teams = (
        rows["team"].astype("str") if "team" in rows.columns else pd.Series("", index=rows.index)
    )
    owners = rows["owner"].astype("str")
    names = [f"{o} ({t})" if t else o for o, t in zip(owners, teams, strict=True)]
    plot = pd.DataFrame(
        {
            "team": teams.to_numpy(),
            "rep": names,
            "value": rows["value"].astype(float).to_numpy(),
            "team_median": rows["team_median"].astype(float).to_numpy(),
        }
    )
    plot = plot.sort_values(["team", "rep"], kind="stable").reset_index(drop=True)
    plot["text"] = [amount_text(v) for v in plot["value"]]
    plot["order"] = np.arange(len(plot))
    base = alt.Chart(plot).encode(y=alt.Y("rep:N", sort=by_order(), title=label("owner", lang)))
    bars = base.mark_bar(color=_BAR).encode(
        x=alt.X("value:Q", title=f"{label(metric, lang)} ({label('tick_median', lang)})"),
        tooltip=["rep:N", "value:Q", "team_median:Q"],
    )
    median = base.mark_tick(color=_MARK, thickness=2).encode(x="team_median:Q")
    text = base.mark_text(align="left", dx=4).encode(x="value:Q", text="text:N")
    title = f"{label('title_reps', lang)}: {label(metric, lang)}"
    return finish(alt.LayerChart(layer=[bars, median, text]), title)


def forecast_chart(forecast: pd.DataFrame, *, by: str = "team", lang: str = "zh") -> alt.LayerChart:
    """Won to date and weighted open pipeline (stacked bars) against the target (tick),
    with the gap written next to each bar.

    Input (:data:`FORECAST_COLUMNS` plus the name column, as
    :func:`pipereview.diagnostics._forecast.forecast` returns): ``won_to_date``,
    ``weighted_in_period``, ``target`` and the column that names each bar: ``team`` for
    ``by="team"``, ``owner`` for ``by="rep"`` (``by="owner"``, its old value, is
    deprecated); the gap is ``gap_to_target`` when given, else target - won - weighted.
    Rows are sorted by name.
    """
    lang = check_language(lang)
    name = level_keys(by, owner_alias="forecast_chart")[-1]
    check_columns(forecast, (*FORECAST_COLUMNS, name), "forecast_chart")
    rows = forecast.assign(_name=forecast[name].astype("str")).sort_values("_name", kind="stable")
    won = rows["won_to_date"].astype(float).to_numpy()
    weighted = rows["weighted_in_period"].astype(float).to_numpy()
    target = rows["target"].astype(float).to_numpy()
    gap = (
        rows["gap_to_target"].astype(float).to_numpy()
        if "gap_to_target" in rows.columns
        else target - won - weighted
    )
    names = list(rows["_name"])
    parts = [label("won", lang), label("weighted_open", lang)]
    bars_frame = pd.DataFrame(
        {
            "name": names * 2,
            "order": list(range(len(names))) * 2,
            "part": [parts[0]] * len(names) + [parts[1]] * len(names),
            "x": np.concatenate([np.zeros(len(names)), won]),
            "x2": np.concatenate([won, won + weighted]),
            "amount": np.concatenate([won, weighted]),
        }
    )
    marks_frame = pd.DataFrame(
        {
            "name": names,
            "order": np.arange(len(names)),
            "target": target,
            "right": np.fmax(target, won + weighted),
            # worded by its sign, as every section words it (pipereview.diagnostics._figures.gap_text)
            "text": [gap_text(g, "", lang) if pd.notna(g) else "" for g in gap.tolist()],
        }
    )
    y = alt.Y("name:N", sort=by_order(), title=label(name, lang))
    bars = (
        alt.Chart(bars_frame)
        .mark_bar()
        .encode(
            y=y,
            x=alt.X("x:Q", title=label("amount", lang)),
            x2="x2:Q",
            color=alt.Color(
                "part:N",
                sort=parts,
                title=None,
                scale=alt.Scale(domain=parts, range=["#54a24b", "#9ecae9"]),
            ),
            tooltip=["name:N", "part:N", "amount:Q"],
        )
    )
    marks = alt.Chart(marks_frame).encode(y=y)
    tick = marks.mark_tick(color=_MARK, thickness=2).encode(x="target:Q")
    text = marks.mark_text(align="left", dx=6).encode(x="right:Q", text="text:N")
    return finish(alt.LayerChart(layer=[bars, tick, text]), label("title_forecast", lang))
