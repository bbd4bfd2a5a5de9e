"""The forecast chart: won to date and weighted open pipeline against the target, the
gap and the verdict written beside each bar.

>>> f = pd.DataFrame({"team": ["North"], "won_to_date": [300.0],
...     "weighted_in_period": [400.0], "target": [800.0]})
>>> forecast_chart(f, lang="en").to_dict()["title"]["text"]
'Forecast vs target'
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from pipereview.charts._base import (
    HEIGHT,
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
from pipereview.charts._textroom import MARK, TEXT_GAP, TEXT_SIZE, room_for_texts
from pipereview.core._languages import check_language
from pipereview.diagnostics._figures import gap_text, outlook_text
from pipereview.diagnostics._grouping import level_keys

__all__ = ["FORECAST_COLUMNS", "ROW_HEIGHT", "forecast_chart", "plot_height"]

#: The forecast chart's plot height per bar: a team's one bar is a band, not a wall.
ROW_HEIGHT = 44


def plot_height(rows: int) -> int:
    """The forecast chart's plot height for ``rows`` bars: :data:`ROW_HEIGHT` a bar, at
    least two bars' (room for the legend), at most :data:`~pipereview.charts._base.HEIGHT`.

    >>> plot_height(1), plot_height(3), plot_height(7)
    (88, 132, 260)
    """
    return min(HEIGHT, max(ROW_HEIGHT * rows, 2 * ROW_HEIGHT))


#: Input columns of :func:`forecast_chart` (the naming column is given by ``by``).
FORECAST_COLUMNS: tuple[str, ...] = ("won_to_date", "weighted_in_period", "target")


def forecast_chart(forecast: pd.DataFrame, *, by: str = "team", lang: str = "zh") -> alt.LayerChart:
    """Won to date and weighted open pipeline (stacked bars) against the target (black
    tick, named in the legend), with the target and the gap written next to each bar, and
    the verdict (will we hit target?) when the frame has an ``outlook`` column.

    Input (:data:`FORECAST_COLUMNS` plus the name column, as
    :func:`pipereview.diagnostics._forecast.forecast` returns): ``won_to_date``,
    ``weighted_in_period``, ``target`` and the column that names each bar: ``team`` for
    ``by="team"``, ``owner`` for ``by="rep"`` (``by="owner"``, its old value, is
    deprecated); the gap is ``gap_to_target`` when given, else target - won - weighted.
    Optional ``outlook`` (:func:`pipereview.diagnostics._figures.outlook`: ``met``,
    ``on_track``, ``at_risk``, ...) is worded by
    :func:`~pipereview.diagnostics._figures.outlook_text` in ``lang``: for one row in the
    subtitle, for several after each bar's text. Rows are sorted by name. The plot is
    :func:`plot_height` high: one bar is a band, not a wall.
    """
    lang = check_language(lang)
    name = level_keys(by, owner_alias="forecast_chart")[-1]
    check_columns(forecast, (*FORECAST_COLUMNS, name), "forecast_chart")
    rows = forecast.assign(_name=forecast[name].astype("str")).sort_values("_name", kind="stable")
    won = rows["won_to_date"].astype(float).to_numpy()
    weighted = rows["weighted_in_period"].astype(float).to_numpy()
    target = rows["target"].astype(float).to_numpy()
    names = list(rows["_name"])
    pieces, subtitle = _beside_texts(rows, target, target - won - weighted, lang)
    widths = [[text_width(p, TEXT_SIZE) + 3 if p else 0.0 for p in row] for row in pieces]
    target_word = label("target", lang)
    parts = [label("won", lang), label("weighted_open", lang)]
    bars_frame = _bars_frame(names, won, weighted, parts)
    right_end = np.fmax(target, won + weighted)
    order = np.arange(len(names))
    marks_frame = pd.DataFrame({"name": names, "order": order, "target": target})
    y_axis, left = axis(names, label(name, lang), orient="left")
    room = [TEXT_GAP + sum(row) for row in widths]
    scale, top, past = room_for_texts(room, list(right_end))
    per_px = top / WIDTH  # the scale runs from 0 to top over the plot's width
    texts_frame = _texts_frame(names, right_end.tolist(), pieces, widths, per_px)
    numbers = number_labels(0, top)
    x_axis, bottom = axis(numbers, label("amount", lang), orient="bottom", **NUMBER_AXIS)
    key, legend_room = legend(
        [*parts, target_word], None, after=past, symbolType="square", symbolOpacity=1
    )
    y = alt.Y("name:N", sort=by_order(), axis=y_axis)
    colour = alt.Color(
        "part:N",
        sort=[*parts, target_word],
        scale=alt.Scale(domain=[*parts, target_word], range=["#54a24b", "#9ecae9", MARK]),
        legend=key,
    )
    bars = (
        alt.Chart(bars_frame)
        .mark_bar()
        .encode(
            y=y,
            x=alt.X("x:Q", axis=x_axis, scale=scale),
            x2="x2:Q",
            color=colour,
            tooltip=["name:N", "part:N", "amount:Q"],
        )
    )
    marks = alt.Chart(marks_frame.assign(part=target_word)).encode(y=y)
    tick = marks.mark_tick(thickness=2).encode(
        x="target:Q", color=colour, tooltip=["name:N", "target:Q"]
    )
    text = (
        alt.Chart(texts_frame)
        .mark_text(align="left", fontSize=TEXT_SIZE)
        .encode(y=y, x="x:Q", text="text:N")
    )
    return finish(
        alt.LayerChart(layer=[bars, tick, text]),
        label("title_forecast", lang),
        height=plot_height(len(names)),
        subtitle=subtitle,
        left=left,
        bottom=bottom,
        right=max(legend_room, overhang(numbers)),
    )


def _beside_texts(
    rows: pd.DataFrame, target: np.ndarray, shortfall: np.ndarray, lang: str
) -> tuple[list[list[str]], str | None]:
    """The texts beside each bar (the target, the gap worded by its sign as every section
    words it, :func:`gap_text`, a text of its own, and the verdict) and the subtitle: the
    verdict itself when there is one row. The gap is ``gap_to_target`` when the rows
    have it, else ``shortfall`` (target - won - weighted)."""
    gap = (
        rows["gap_to_target"].astype(float).to_numpy()
        if "gap_to_target" in rows.columns
        else shortfall
    )
    verdicts = (
        [outlook_text(str(v), lang) if pd.notna(v) else "" for v in rows["outlook"]]
        if "outlook" in rows.columns
        else [""] * len(rows)
    )
    subtitle = verdicts[0] if len(rows) == 1 and verdicts[0] else None
    target_word = label("target", lang)
    semicolon, brackets = ("；", "（{}）") if lang == "zh" else (";", "({})")
    pieces = [
        [
            f"{target_word} {amount_text(t)}{semicolon}" if pd.notna(t) else "",
            gap_text(g, "", lang) if pd.notna(g) else "",
            brackets.format(verdict) if verdict and subtitle is None else "",
        ]
        for t, g, verdict in zip(target.tolist(), gap.tolist(), verdicts, strict=True)
    ]
    return pieces, subtitle


def _bars_frame(
    names: list[str], won: np.ndarray, weighted: np.ndarray, parts: list[str]
) -> pd.DataFrame:
    """The stacked bars: won from 0, weighted open pipeline after it."""
    return pd.DataFrame(
        {
            "name": names * 2,
            "order": list(range(len(names))) * 2,
            "part": [parts[0]] * len(names) + [parts[1]] * len(names),
            "x": np.concatenate([np.zeros(len(names)), won]),
            "x2": np.concatenate([won, won + weighted]),
            "amount": np.concatenate([won, weighted]),
        }
    )


def _texts_frame(
    names: list[str],
    ends: list[float],
    pieces: list[list[str]],
    widths: list[list[float]],
    per_px: float,
) -> pd.DataFrame:
    """Each text beside its bar, placed after the previous one."""
    return pd.DataFrame(
        [
            {
                "name": n,
                "order": i,
                "x": end + (TEXT_GAP + sum(row_widths[:k])) * per_px,
                "text": piece,
            }
            for i, (n, end, row, row_widths) in enumerate(
                zip(names, ends, pieces, widths, strict=True)
            )
            for k, piece in enumerate(row)
            if piece and pd.notna(end)
        ],
        columns=["name", "order", "x", "text"],
    )
