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

from pipereview.charts._base import (
    NUMBER_AXIS,
    WIDTH,
    amount_text,
    axis,
    by_order,
    check_columns,
    finish,
    label,
    legend,
    number_labels,
    overhang,
    text_width,
)
from pipereview.charts._textroom import MARK, TEXT_GAP, TEXT_SIZE, beside, room_for_texts
from pipereview.core._errors import InputError
from pipereview.core._languages import check_language
from pipereview.core._stages import StageModel

__all__ = [
    "CONVERSION_COLUMNS",
    "FUNNEL_COLUMNS",
    "REP_COLUMNS",
    "TREND_COLUMNS",
    "conversion_chart",
    "funnel_chart",
    "rep_comparison_chart",
    "trend_chart",
]

#: Input columns of each builder (optional columns are named in its docstring).
FUNNEL_COLUMNS: tuple[str, ...] = ("stage", "deals", "amount")
CONVERSION_COLUMNS: tuple[str, ...] = ("from_stage", "to_stage", "conversion", "reference")
TREND_COLUMNS: tuple[str, ...] = ("week", "value")
REP_COLUMNS: tuple[str, ...] = ("owner", "value", "team_median")

_BAR = "#4c78a8"


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
    y_axis, left = axis(names, label("stage", lang), orient="left")
    scale, top, past = room_for_texts(beside(list(plot["text"])), list(plot["amount"]))
    numbers = number_labels(0, top)
    x_axis, bottom = axis(numbers, label("amount", lang), orient="bottom", **NUMBER_AXIS)
    y = alt.Y("label:N", sort=by_order(), axis=y_axis)
    base = alt.Chart(plot).encode(y=y)
    bars = base.mark_bar(color=_BAR).encode(
        x=alt.X("amount:Q", axis=x_axis, scale=scale), tooltip=["label:N", "deals:Q", "amount:Q"]
    )
    text = base.mark_text(align="left", dx=TEXT_GAP, fontSize=TEXT_SIZE).encode(
        x="amount:Q", text="text:N"
    )
    layers = alt.LayerChart(layer=[bars, text])
    right = max(past, overhang(numbers))
    return finish(layers, label("title_funnel", lang), left=left, bottom=bottom, right=right)


def conversion_chart(conversion: pd.DataFrame, *, lang: str = "zh") -> alt.LayerChart:
    """Stage-to-stage conversion (bars, %) against a reference rate (black ticks).

    Input (:data:`CONVERSION_COLUMNS`): ``from_stage``, ``to_stage`` (display names),
    ``conversion`` and ``reference`` (fractions, 0.4 = 40%; a missing reference draws no
    tick, and with no reference at all the axis title does not mention ticks). Rows are
    drawn in input order (give them in stage-model order).
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
    y_axis, left = axis(names, label("stage", lang), orient="left")
    ends = np.fmax(rates, plot["reference"].to_numpy())
    # a reference beyond the bar gets the text's room too: the text starts at the bar
    scale, top, past = room_for_texts(beside(list(plot["text"])), list(ends))
    numbers = [f"{v:.0%}" for v in (0.0, top)]
    # the tick is named only where one is drawn: a chart without a reference promises none
    ticks = f" ({label('tick_reference', lang)})" if plot["reference"].notna().any() else ""
    x_axis, bottom = axis(
        numbers,
        f"{label('conversion', lang)}{ticks}",
        orient="bottom",
        format=".0%",
        **NUMBER_AXIS,
    )
    base = alt.Chart(plot).encode(y=alt.Y("label:N", sort=by_order(), axis=y_axis))
    x = alt.X("conversion:Q", axis=x_axis, scale=scale)
    bars = base.mark_bar(color=_BAR).encode(x=x, tooltip=["label:N", "conversion:Q", "reference:Q"])
    ref = base.mark_tick(color=MARK, thickness=2).encode(x="reference:Q")
    text = base.mark_text(align="left", dx=TEXT_GAP, fontSize=TEXT_SIZE).encode(
        x="conversion:Q", text="text:N"
    )
    layers = alt.LayerChart(layer=[bars, ref, text])
    right = max(past, overhang(numbers))
    return finish(layers, label("title_conversion", lang), left=left, bottom=bottom, right=right)


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
    weeks = sorted(set(plot["week"]))
    # weeks side by side while each fits its share of the width, else turned
    fits = max((text_width(w) for w in weeks), default=0.0) + 4 <= WIDTH / max(len(weeks), 1)
    x_axis, bottom = axis(weeks, label("week", lang), orient="bottom", angle=0 if fits else -40)
    values = plot["value"].dropna()
    low, high = (float(values.min()), float(values.max())) if len(values) else (0.0, 0.0)
    y_axis, left = axis(
        number_labels(min(low, 0.0), high), label(metric, lang), orient="left", **NUMBER_AXIS
    )
    key, right = legend(sorted(set(plot["series"])), label(by, lang))
    chart: alt.Chart = (
        alt.Chart(plot)
        .mark_line(point=True)
        .encode(
            x=alt.X("week:O", sort=by_order("week_order"), axis=x_axis),
            y=alt.Y("value:Q", axis=y_axis),
            color=alt.Color("series:N", sort=by_order("series_order"), legend=key),
            tooltip=["week:O", "series:N", "value:Q"],
        )
    )
    title = f"{label('title_trend', lang)}: {label(metric, lang)}"
    return finish(chart, title, left=left, bottom=bottom, right=right)


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
    y_axis, left = axis(list(plot["rep"]), label("owner", lang), orient="left")
    ends = np.fmax(plot["value"].to_numpy(), plot["team_median"].to_numpy())
    low = min(0.0, float(np.nanmin(plot["value"]))) if plot["value"].notna().any() else 0.0
    scale, top, past = room_for_texts(beside(list(plot["text"])), list(ends), low)
    numbers = number_labels(low, top)
    x_axis, bottom = axis(
        numbers,
        f"{label(metric, lang)} ({label('tick_median', lang)})",
        orient="bottom",
        **NUMBER_AXIS,
    )
    base = alt.Chart(plot).encode(y=alt.Y("rep:N", sort=by_order(), axis=y_axis))
    bars = base.mark_bar(color=_BAR).encode(
        x=alt.X("value:Q", axis=x_axis, scale=scale),
        tooltip=["rep:N", "value:Q", "team_median:Q"],
    )
    median = base.mark_tick(color=MARK, thickness=2).encode(x="team_median:Q")
    text = base.mark_text(align="left", dx=TEXT_GAP, fontSize=TEXT_SIZE).encode(
        x="value:Q", text="text:N"
    )
    title = f"{label('title_reps', lang)}: {label(metric, lang)}"
    layers = alt.LayerChart(layer=[bars, median, text])
    return finish(layers, title, left=left, bottom=bottom, right=max(past, overhang(numbers)))
