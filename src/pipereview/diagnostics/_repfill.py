"""Rep targets for teams whose targets file gives only the team's total: the total split
over the team's reps by ``plan.rep_split`` (:func:`~pipereview.diagnostics._targets.rep_targets`:
their won history, their capacity, or equal shares as the last resort), so the review's
and the dashboard's rep outlook and plan have a target to measure against, with the rule
that made it.

A team with a rep's amount for the period keeps its file as written: a rep left without a
row there has no target, and no given target is ever replaced. Rep rows that give a
capacity and no amount are read by the split and replaced by its targets.

>>> goals = pd.DataFrame({"team": ["N", "S", "S"], "owner": ["", "", "Cy"],
...     "period": "2026-Q4", "amount": [90.0, 50.0, 50.0], "currency": "USD"})
>>> filled, rules = fill_rep_targets(goals, "2026-Q4", {"N": ["Ann", "Bob"], "S": ["Cy", "Di"]},
...     settings=PlanSettings(rep_split="equal"))
>>> filled[filled["owner"] != ""][["team", "owner", "amount"]].values.tolist()
[['S', 'Cy', 50.0], ['N', 'Ann', 45.0], ['N', 'Bob', 45.0]]
>>> rules
{'N': 'equal'}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from pipereview.diagnostics._targets import PlanSettings, rep_targets
from pipereview.history._prepared import PreparedHistory

__all__ = ["fill_rep_targets"]


def fill_rep_targets(
    targets: pd.DataFrame,
    period: str,
    reps: Mapping[str, Sequence[str]],
    *,
    history: pd.DataFrame | PreparedHistory | None = None,
    settings: PlanSettings | None = None,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """``targets`` with a row for each rep of ``reps`` (team: rep names, with the reps of
    the team's rows) in every team that has a total row for ``period`` and no rep amount
    for it, the total split by
    :func:`~pipereview.diagnostics._targets.rep_targets`; and, by team so filled, the
    ``rule`` that split it (``history``, ``capacity`` or ``equal``)."""
    settings = settings or PlanSettings()
    rows = targets[targets["period"] == period]
    owner = rows["owner"].fillna("").astype(str)
    given = (owner != "") & rows["amount"].notna()  # a rep's row may give a capacity only
    with_reps = set(rows.loc[given, "team"].astype(str))
    rules: dict[str, str] = {}
    added = []
    for team in sorted(set(rows.loc[owner == "", "team"].astype(str)) - with_reps):
        listed = owner[(rows["team"].astype(str) == team) & (owner != "")]
        names = sorted({str(r) for r in [*reps.get(team, ()), *listed] if str(r)})
        if not names:
            continue
        split = rep_targets(targets, team, period, names, history=history, settings=settings)
        currency = rows.loc[(rows["team"] == team) & (owner == ""), "currency"].iloc[0]
        added.append(
            pd.DataFrame(
                {
                    "team": team,
                    "owner": split["owner"],
                    "period": period,
                    "amount": split["target"],
                    "currency": currency,
                }
            )
        )
        rules[team] = str(split["rule"].iloc[0])
    if not added:
        return targets, rules
    replaced = (
        (targets["period"] == period)
        & targets["team"].astype(str).isin(rules)
        & (targets["owner"].fillna("").astype(str) != "")
    )  # the rows that gave a capacity only: replaced by the targets split with them
    return pd.concat([targets[~replaced], *added], ignore_index=True), rules
