"""What a team's review reads of a reorganisation: the team's deals this week and last
(its own rows and, of a deal that changed team, its handover rows in the other team), their
movements with a deal that moved ``moved_in`` or ``moved_out``
(:func:`~pipereview.history._teamrows.team_movements`), the team's waterfall with those
steps, and its new deals, which a deal that joined from another team is not. Every
figure of the team is still computed on its own rows only (``WeeklyReview.history``,
:func:`~pipereview.history._teamrows.team_rows`).

>>> from pipereview.delivery._review import WeeklyReview
>>> w1 = pd.DataFrame({"snapshot_week": "2026-W47", "team": ["North", "South"],
...     "deal_id": ["D1", "D2"], "deal_name": "MES", "account": "Acme", "owner": "Ann",
...     "stage": "negotiation", "stage_model": "generic_4", "amount": [1000.0, 500.0],
...     "currency": "EUR", "close_date": pd.Timestamp("2026-12-18")})
>>> h = pd.concat([w1, w1.assign(snapshot_week="2026-W48", team="South")])
>>> review = WeeklyReview(h, team="South", week="2026-W48", lang="en")
>>> week_moves(review)[["deal_id", "category", "team_from"]].values.tolist()
[['D1', 'moved_in', 'North'], ['D2', 'unchanged', 'South']]
>>> review_new_deals(review), review.headline()["open_amount"]
(0, 1500.0)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from pipereview.delivery._review import WeeklyReview

#: nothing of the package's own: the review's sections and the dashboard use these
__all__: list[str] = []


def week_rows(review: WeeklyReview, week: str | None = None) -> pd.DataFrame:
    """The rows of the team's deals in ``week`` (default: the review's), index 0..n-1,
    whichever team holds each: the frame :func:`week_moves`' ``curr_row`` points into."""
    deals = review.team_deals
    rows = deals[deals["snapshot_week"].astype("str") == str(week or review.week)]
    return rows.reset_index(drop=True)


def week_moves(review: WeeklyReview) -> pd.DataFrame | None:
    """The team's movements from its previous stored week to the review's
    (:func:`~pipereview.history._teamrows.team_movements` of the rows of its deals: a deal
    that joined the team is ``moved_in``, one that left it ``moved_out``); None in the
    team's first stored week."""
    from pipereview.history._movements import deal_movements
    from pipereview.history._teamrows import team_movements

    weeks = sorted(review.history["snapshot_week"].astype("str").unique())
    if len(weeks) < 2:
        return None
    moves = deal_movements(week_rows(review, weeks[-2]), week_rows(review))
    return team_movements(moves, review.team)


def team_waterfall(review: WeeklyReview, moves: pd.DataFrame) -> pd.DataFrame:
    """The team's waterfall of the review's period over ``moves`` (:func:`week_moves`):
    :func:`~pipereview.diagnostics.waterfall` with ``team=``, its ``moved_in`` and
    ``moved_out`` steps left out when no deal took them."""
    from pipereview.diagnostics._waterfall import waterfall
    from pipereview.history._teamrows import MOVED_CATEGORIES

    steps = waterfall(moves, review.period, team=review.team)
    quiet = steps["step"].isin(MOVED_CATEGORIES) & (steps["deals"] == 0)
    return steps[~quiet].reset_index(drop=True)


def review_new_deals(review: WeeklyReview) -> int | None:
    """The team's new deals this week (:func:`pipereview.diagnostics._figures.new_deals`
    over the rows of its deals: a deal first stored in another team and moved here is not
    new); None in the team's first stored week."""
    from pipereview.diagnostics._figures import new_deals

    counts = new_deals(review.team_deals, review.week)
    value = counts.loc[counts["team"] == review.team, "new_deals"]
    return None if value.empty or pd.isna(value.iloc[0]) else int(value.iloc[0])
