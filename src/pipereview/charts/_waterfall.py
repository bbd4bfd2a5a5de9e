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

import altair as alt
import numpy as np
import pandas as pd

from pipereview.charts._base import amount_text, by_order, check_columns, finish, label
from pipereview.core._errors import InputError
from pipereview.core._languages import check_language

__all__ = ["WATERFALL_COLUMNS", "waterfall_bars", "waterfall_chart"]

#: Input columns of :func:`waterfall_bars` and :func:`waterfall_chart`.
WATERFALL_COLUMNS: tuple[str, ...] = ("step", "kind", "amount")

_KINDS: tuple[str, ...] = ("start", "inflow", "outflow", "end")
_KIND_COLOURS: tuple[str, ...] = ("#4c78a8", "#54a24b", "#e45756")  # pipeline, in, out


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
    waterfall: pd.DataFrame, *, lang: str = "zh", skip_empty: bool = False
) -> alt.LayerChart:
    """Opening pipeline, each inflow (green) and outflow (red) step, closing pipeline.

    Input (:data:`WATERFALL_COLUMNS`, as :func:`pipereview.diagnostics._waterfall.waterfall` returns):
    ``step`` (a :data:`pipereview.diagnostics._waterfall.STEPS` name is translated, any other is shown
    as is), ``kind`` (start / inflow / outflow / end) and ``amount`` (signed; outflows
    negative). Steps are drawn in input order; ``skip_empty`` leaves out zero steps.
    The running total is computed by :func:`waterfall_bars`.
    """
    bars_frame = waterfall_bars(waterfall, lang=lang, skip_empty=skip_empty)
    bars_frame["order"] = np.arange(len(bars_frame))
    groups = ("pipeline", "inflow", "outflow")  # opening and closing share a colour
    bars_frame["colour"] = [
        label("pipeline" if k in ("start", "end") else k, lang) for k in bars_frame["kind"]
    ]
    colour = alt.Color(
        "colour:N",
        title=label("kind", lang),
        scale=alt.Scale(domain=[label(g, lang) for g in groups], range=list(_KIND_COLOURS)),
    )
    base = alt.Chart(bars_frame).encode(
        x=alt.X(
            "label:N", sort=by_order(), title=label("step", lang), axis=alt.Axis(labelAngle=-40)
        )
    )
    bars = base.mark_bar().encode(
        y=alt.Y("start:Q", title=label("amount", lang)),
        y2="end:Q",
        color=colour,
        tooltip=["label:N", "amount:Q", "end:Q"],
    )
    top = bars_frame[["start", "end"]].max(axis=1)
    text = (
        alt.Chart(bars_frame.assign(top=top))
        .mark_text(dy=-6)
        .encode(x=alt.X("label:N", sort=by_order()), y="top:Q", text="text:N")
    )
    return finish(alt.LayerChart(layer=[bars, text]), label("title_waterfall", lang))
