"""The waterfall chart: opening pipeline, each step in and out, closing pipeline.

:func:`waterfall_bars` computes the running total of the steps (and checks that the
closing adds up); :func:`waterfall_chart` draws it, one bar per step, like every builder of
``_builders`` (input columns checked, input never modified, inline data, fixed sorts).

>>> w = pd.DataFrame({"step": ["opening", "new", "closing"],
...     "kind": ["start", "inflow", "end"], "amount": [100.0, 20, 120]})
>>> waterfall_chart(w, lang="en").to_dict()["title"]["text"]
'Pipeline waterfall'
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from pipereview.charts._base import (
    HEIGHT,
    NUMBER_AXIS,
    amount_text,
    axis,
    by_order,
    check_columns,
    finish,
    label,
    legend,
    number_labels,
    short_amount,
)
from pipereview.core._errors import InputError
from pipereview.core._languages import check_language

__all__ = ["WATERFALL_COLUMNS", "axis_floor", "waterfall_bars", "waterfall_chart"]

#: Input columns of :func:`waterfall_bars` and :func:`waterfall_chart`.
WATERFALL_COLUMNS: tuple[str, ...] = ("step", "kind", "amount")

_KINDS: tuple[str, ...] = ("start", "inflow", "outflow", "end")
_KIND_COLOURS: tuple[str, ...] = ("#4c78a8", "#54a24b", "#e45756")  # pipeline, in, out
#: The value axis leaves zero only when the largest step is less than this share of the
#: lowest running total (opening and closing tall against the steps) ...
_SMALL_STEPS = 0.15
#: ... and then starts this share of the largest step below the lowest running total,
#: rounded down to a round number.
_FLOOR_MARGIN = 0.1
#: Room above the highest bar for its text, as a share of the axis span.
_HEADROOM = 0.1


def axis_floor(bars: pd.DataFrame) -> float:
    """Where the waterfall's value axis starts: 0, or, when the largest step is less than
    15% of the lowest running total (opening 6.4M, closing 6.2M, steps of 0.05-0.3M: at
    zero every step is a sliver), a round number below the lowest running total minus 10%
    of the largest step, to a power of ten no more than half the span the axis then shows.

    ``bars`` is :func:`waterfall_bars`' frame.

    >>> w = pd.DataFrame({"step": ["opening", "lost", "new", "closing"],
    ...     "kind": ["start", "outflow", "inflow", "end"],
    ...     "amount": [6_400_000.0, -450_000, 250_000, 6_200_000]})
    >>> axis_floor(waterfall_bars(w))  # lowest 5.95M - 45k = 5.905M, span 0.495M: unit 0.1M
    5900000.0
    >>> axis_floor(waterfall_bars(w.assign(amount=[1000.0, -400, 150, 750])))
    0.0
    >>> axis_floor(waterfall_bars(w.assign(amount=[1000.0, 0, 0, 1000])))  # no step moved
    0.0
    """
    kinds = bars["kind"]
    steps = bars.loc[kinds.isin(["inflow", "outflow"]), "amount"].abs()
    totals = pd.concat([bars["start"][kinds.isin(["inflow", "outflow"])], bars["end"]])
    lowest, highest = float(totals.min()), float(totals.max())
    largest = float(steps.max()) if len(steps) else 0.0
    if not len(bars) or lowest <= 0 or largest < 0.005 or largest >= _SMALL_STEPS * lowest:
        return 0.0  # no step of a cent to show (all zero or none): the bars from zero
    candidate = lowest - _FLOOR_MARGIN * largest
    span = highest - candidate
    if not span > 0:  # rounding at the float's last digit
        return 0.0
    unit = 10.0 ** math.floor(math.log10(span / 2))
    return float(math.floor(candidate / unit) * unit)


def waterfall_bars(
    waterfall: pd.DataFrame, *, lang: str = "zh", skip_empty: bool = False
) -> pd.DataFrame:
    """The frame :func:`waterfall_chart` draws: one row per step with ``label``, ``kind``,
    ``amount``, ``start`` and ``end`` (the running total before and after the step) and
    ``text``. ``start`` rows run from 0 to the opening, ``end`` rows from 0 to the
    closing; a closing that is not opening + steps raises an :class:`InputError`.

    >>> w = pd.DataFrame({"step": ["opening", "new", "lost", "closing"],
    ...     "kind": ["start", "inflow", "outflow", "end"], "amount": [100.0, 30, -50, 80]})
    >>> waterfall_bars(w, lang="en")[["label", "start", "end", "text"]]
         label  start    end text
    0  Opening    0.0  100.0  100
    1      New  100.0  130.0  +30
    2     Lost  130.0   80.0  -50
    3  Closing    0.0   80.0   80
    """
    lang = check_language(lang)
    check_columns(waterfall, WATERFALL_COLUMNS, "waterfall_chart")
    kinds = waterfall["kind"].astype("str")
    unknown = sorted(set(kinds) - set(_KINDS))
    if unknown:
        raise InputError(
            f"waterfall_chart: unknown kind(s) {unknown}",
            column="kind",
            expected=f"one of {list(_KINDS)}",
            hint="keep the kinds of pipereview.diagnostics' waterfall result (start, new, won, lost, ...)",
        )
    data = waterfall.reset_index(drop=True)
    amounts = data["amount"].astype(float).to_numpy()
    if skip_empty:
        keep = (kinds.isin(["start", "end"]) | (amounts != 0)).to_numpy()
        data, amounts, kinds = data[keep], amounts[keep], kinds[keep]
    starts, ends, running = [], [], 0.0
    for kind, amount in zip(kinds, amounts.tolist(), strict=True):
        if kind == "start":
            running = amount
            starts.append(0.0)
        elif kind == "end":
            if not np.isclose(running, amount, rtol=0.0, atol=0.005):
                raise InputError(
                    f"waterfall_chart: closing {amount} is not opening + steps ({running}).",
                    column="amount",
                    hint="pass the whole waterfall, every step included.",
                )
            starts.append(0.0)
        else:
            starts.append(running)
            running += amount
        ends.append(amount if kind in ("start", "end") else running)
    return pd.DataFrame(
        {
            "step": data["step"].astype("str").to_numpy(),
            "label": [label(s, lang) for s in data["step"].astype("str")],
            "kind": kinds.to_numpy(),
            "amount": amounts,
            "start": starts,
            "end": ends,
            "text": [
                amount_text(a, signed=k in ("inflow", "outflow"))
                for k, a in zip(kinds, amounts.tolist(), strict=True)
            ],
        }
    )


def waterfall_chart(
    waterfall: pd.DataFrame,
    *,
    lang: str = "zh",
    skip_empty: bool = False,
    period: str | None = None,
) -> alt.LayerChart:
    """Opening pipeline, each inflow (green) and outflow (red) step, closing pipeline.

    Input (:data:`WATERFALL_COLUMNS`, as :func:`pipereview.diagnostics._waterfall.waterfall` returns):
    ``step`` (a :data:`pipereview.diagnostics._waterfall.STEPS` name is translated, any other is shown
    as is), ``kind`` (start / inflow / outflow / end) and ``amount`` (signed; outflows
    negative). Steps are drawn in input order; ``skip_empty`` leaves out zero steps.
    The running total is computed by :func:`waterfall_bars`.

    ``period`` (e.g. "2026-Q4": the waterfall covers the deals closing in it) goes into the
    title. When the steps are small against the opening and closing, the value axis starts
    at :func:`axis_floor` instead of zero (opening and closing rise from there) and the
    subtitle says so ("axis starts at 5.9M").
    """
    bars_frame = waterfall_bars(waterfall, lang=lang, skip_empty=skip_empty)
    floor = axis_floor(bars_frame)
    if floor:
        pipeline = bars_frame["kind"].isin(["start", "end"])
        bars_frame.loc[pipeline, "start"] = floor
    bars_frame["order"] = np.arange(len(bars_frame))
    groups = ("pipeline", "inflow", "outflow")  # opening and closing share a colour
    bars_frame["colour"] = [
        label("pipeline" if k in ("start", "end") else k, lang) for k in bars_frame["kind"]
    ]
    names = [label(g, lang) for g in groups]
    key, right = legend(names, label("kind", lang))
    colour = alt.Color(
        "colour:N",
        legend=key,
        scale=alt.Scale(domain=names, range=list(_KIND_COLOURS)),
    )
    top = bars_frame[["start", "end"]].max(axis=1)
    highest = float(top.max()) if len(top) else 0.0
    lowest = min(floor, float(bars_frame[["start", "end"]].min().min()) if len(top) else 0.0)
    # room above the highest bar for its text (11 px + 6 px gap of the plot's 260)
    ceiling = highest + (highest - lowest) * max(_HEADROOM, 20 / HEIGHT)
    if ceiling <= lowest:  # nothing moved and nothing open: a unit axis
        ceiling = lowest + 1.0
    x_axis, bottom = axis(
        list(bars_frame["label"]), label("step", lang), orient="bottom", angle=-40
    )
    y_axis, left = axis(
        number_labels(lowest, ceiling), label("amount", lang), orient="left", **NUMBER_AXIS
    )
    scale = alt.Scale(domain=[lowest, ceiling], nice=False, zero=False)
    base = alt.Chart(bars_frame).encode(x=alt.X("label:N", sort=by_order(), axis=x_axis))
    bars = base.mark_bar().encode(
        y=alt.Y("start:Q", axis=y_axis, scale=scale),
        y2="end:Q",
        color=colour,
        tooltip=["label:N", "amount:Q", "end:Q"],
    )
    text = (
        alt.Chart(bars_frame.assign(top=top))
        .mark_text(dy=-6, fontSize=11)
        .encode(x=alt.X("label:N", sort=by_order()), y="top:Q", text="text:N")
    )
    title = (
        label("title_waterfall_period", lang).format(period=period)
        if period
        else label("title_waterfall", lang)
    )
    subtitle = label("axis_from", lang).format(value=short_amount(floor)) if floor else None
    return finish(
        alt.LayerChart(layer=[bars, text]),
        title,
        subtitle=subtitle,
        left=left,
        bottom=bottom,
        right=right,
    )
