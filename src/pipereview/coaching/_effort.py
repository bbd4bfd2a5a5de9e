"""Each rep's effort on deals in the activities export, for the rule on effort that moves
no deal (:func:`~pipereview.coaching.rules_companions.busy_without_advance`): the
activities of a window on a deal, the deals worked, and those of them that did not
advance in the window.

>>> team_key(pd.Series(["North", None])).tolist()
['North', '']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipereview.diagnostics import stage_advances
from pipereview.week import WeekDiagnostics

__all__ = ["advanced_deals", "rep_effort", "team_key"]


def team_key(team: pd.Series) -> pd.Series:
    """A team column as a join key, blank (no team column) as ``""``."""
    return team.astype(object).where(team.notna(), "").astype(str)


def advanced_deals(context: WeekDiagnostics, weeks: int) -> set[str]:
    """The IDs of the deals whose stage advanced (or that were won) in the ``weeks`` stored
    weeks ending with the as-of week, as :func:`pipereview.diagnostics.activity_advances`
    counts an advance (:func:`pipereview.diagnostics.stage_advances`)."""
    if context.prepared.empty or "deal_id" not in context.prepared.frame:
        return set()
    rows = stage_advances(context.prepared, context.week - (weeks - 1), context.week)
    return {str(i) for i in rows["deal_id"] if isinstance(i, str) and i}


def rep_effort(context: WeekDiagnostics, weeks: int) -> pd.DataFrame:
    """Per team key and rep: activities of the window on a deal (``on_deals``), the deals
    (``deals_worked``), those not advanced in the window and the activities on them."""
    acts = context.companions.activities
    if acts is None or "deal_id" not in acts:
        return pd.DataFrame(columns=["_team", "owner"])
    day = pd.to_datetime(acts["activity_date"]).dt.normalize()
    start, end = (context.week - (weeks - 1)).monday, context.week.sunday
    inside = acts[day.ge(pd.Timestamp(start)) & day.le(pd.Timestamp(end))]
    inside = inside[inside["deal_id"].notna() & inside["owner"].notna()]
    team = inside["team"] if "team" in inside else pd.Series(None, index=inside.index)
    moved = advanced_deals(context, weeks)
    effort: dict[tuple[str, str], tuple[int, set[str], set[str], int]] = {}
    teams, owners, deals = (
        column.astype(str).to_numpy(dtype=object)
        for column in (team_key(team), inside["owner"], inside["deal_id"])
    )
    for rep, deal in zip(zip(teams, owners, strict=True), deals, strict=True):
        on_deals, worked, not_advanced, on_not_advanced = effort.get(rep, (0, set(), set(), 0))
        worked.add(deal)
        if deal not in moved:
            not_advanced.add(deal)
            on_not_advanced += 1
        effort[rep] = (on_deals + 1, worked, not_advanced, on_not_advanced)
    keys = sorted(effort)
    counts = [effort[k] for k in keys]
    return pd.DataFrame(
        {
            "_team": pd.Series([team for team, _ in keys], dtype="str"),
            "owner": pd.Series([owner for _, owner in keys], dtype="str"),
            "on_deals": np.array([c[0] for c in counts], dtype=np.int64),
            "deals_worked": np.array([len(c[1]) for c in counts], dtype=np.int64),
            "deals_not_advanced": np.array([len(c[2]) for c in counts], dtype=np.int64),
            "activities_not_advanced": np.array([c[3] for c in counts], dtype=np.int64),
        }
    )
