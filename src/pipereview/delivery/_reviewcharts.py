"""The data each chart of the weekly review draws, computed once here for the chart and
for whoever checks it (:meth:`~pipereview.delivery.WeeklyReview.chart_data`, gathered
by :func:`pipereview.delivery._reviewsections.chart_data`): a chart's
drawing may change with its style, its data only with the figures.

>>> import pandas as pd
>>> from pipereview.delivery import WeeklyReview
>>> rows = pd.DataFrame({"snapshot_week": "2026-W47", "team": "North", "deal_id": ["D1"],
...     "deal_name": "Deal", "account": "A", "owner": "Ann", "stage": "initial_contact",
...     "stage_model": "generic_4", "amount": 1000.0, "currency": "EUR",
...     "close_date": pd.Timestamp("2026-12-18"), "probability": float("nan")})
>>> review = WeeklyReview(rows, team="North", week="2026-W47")
>>> waterfall_steps(review) is None  # its first stored week: no changes chart
True
>>> funnel_stages(review)[["stage", "count", "amount"]].head(1)
             stage  count  amount
0  initial_contact      1  1000.0
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from pipereview.delivery._review import WeeklyReview

#: nothing of the package's own: the review's sections and ``WeeklyReview.chart_data``
#: use these
__all__: list[str] = []


def waterfall_steps(review: WeeklyReview) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """``(movements, steps)``: last week's deals of the team to this week's, a deal that
    changed team ``moved_in`` or ``moved_out``
    (:func:`~pipereview.delivery._reviewteam.week_moves`), and the team's waterfall the
    changes chart draws (:func:`~pipereview.diagnostics.waterfall` with ``team=``); None
    in a team's first stored week. Computed once per review: the glance, the changes
    section and the chart data read the same."""
    from pipereview.delivery._reviewteam import team_waterfall, week_moves

    kept = review.__dict__
    if "_waterfall_steps" not in kept:
        moves = week_moves(review)
        kept["_waterfall_steps"] = None if moves is None else (moves, team_waterfall(review, moves))
    found: tuple[pd.DataFrame, pd.DataFrame] | None = kept["_waterfall_steps"]
    return found


def funnel_stages(review: WeeklyReview) -> pd.DataFrame:
    """The open funnel by stage the funnel chart draws
    (:func:`~pipereview.diagnostics.stage_table` as of the review's week)."""
    from pipereview.diagnostics._funnel import stage_table

    return stage_table(review.prepared, as_of=review.week)


def rep_forecast(review: WeeklyReview) -> pd.DataFrame:
    """Each of the team's reps with a target, as the per-rep forecast chart draws them
    (the forecast the coaching rules read)."""
    reps = review.context.forecast_rep
    reps = reps[reps["team"] == review.team] if len(reps) else reps
    return reps[reps["target"].notna()] if len(reps) else reps
