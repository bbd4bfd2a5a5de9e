"""Room for the texts written beside horizontal bars (amounts, gaps, verdicts): each
text's width estimated from its characters (:func:`~pipereview.charts._base.text_width`)
and the value scale shortened until the widest fits inside the plot.

>>> _, top, past = room_for_texts(beside(["1,000 (4 deals)"]), [1000.0])
>>> round(top), past
(1215, 0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import altair as alt
import pandas as pd

from pipereview.charts._base import LABEL_SIZE, WIDTH, text_width

__all__ = [
    "MARK",
    "TEXT_GAP",
    "TEXT_SHARE",
    "TEXT_SIZE",
    "beside",
    "room_for_texts",
]

MARK = "#333333"
#: Font size of the texts beside bars, and their gap to the bar.
TEXT_SIZE = LABEL_SIZE + 1
TEXT_GAP = 6
#: At most this share of the plot's width is kept free for the texts beside the bars.
TEXT_SHARE = 0.6


def beside(texts: Sequence[str]) -> list[float]:
    """The room in px each of ``texts`` takes right of its bar (gap included)."""
    return [text_width(t, TEXT_SIZE) + TEXT_GAP + 2 for t in texts]


def room_for_texts(
    widths: Sequence[float], ends: Sequence[float], low: float = 0.0
) -> tuple[alt.Scale, float, int]:
    """The value scale of a horizontal bar chart that keeps the texts right of its bars
    (``widths`` px from each bar's ``end``, see :func:`beside`) inside the plot, the
    scale's top, and the room in px a text still needs past the plot.

    The bars are shortened until the widest text fits: a scale up to ``low + (end - low) *
    WIDTH / (WIDTH - width)`` for every row, keeping at most :data:`TEXT_SHARE` of the
    plot free for texts.

    >>> _, top, past = room_for_texts(beside(["1,000 (4 deals)"]), [1000.0])
    >>> round(top), past
    (1215, 0)
    """
    wanted = max([low, *[e for e in ends if pd.notna(e)]])
    if wanted <= low:  # nothing to draw: a unit scale, texts from its start
        wanted = low + 1.0
    for end, width in zip(ends, widths, strict=True):
        if pd.notna(end) and end > low:
            free = max(WIDTH - width, WIDTH * (1 - TEXT_SHARE))
            wanted = max(wanted, low + (end - low) * WIDTH / free)
    span = wanted - low
    past = max(
        [0.0]
        + [
            (end - low) / span * WIDTH + width - WIDTH
            for end, width in zip(ends, widths, strict=True)
            if pd.notna(end)
        ]
    )
    return alt.Scale(domain=[low, wanted], nice=False), wanted, math.ceil(past)
