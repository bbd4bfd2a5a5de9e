"""Built-in rule on the method's standards (docs/method.md §2): a rep whose deals convert
at a stage below the standard of the ``benchmarks`` configuration (60% at the needs
stage of each shipped stage model), for certain.

The conversion is the cohort's, as the review's "Against the method's standards" reads
it (:func:`~pipereview.diagnostics._benchmarks.conversion_against_standards` over
:func:`~pipereview.diagnostics._conversion.cohort_conversion` by rep): of the deals that
entered the stage in the cohort window, the share that reached a later stage. Deals of
the cohort still at the stage have no outcome yet, so the rule fires only when even if
every one of them moved on the share would stay below the standard: an open deal is
never counted as lost.

>>> sorted(RULES)
['below_stage_standard']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from pipereview.coaching._rulekit import (
    builtin_rule,
    evidence_records,
    follow_up_by,
    severity_bands,
    team_currency,
)
from pipereview.core._compare import at_least
from pipereview.diagnostics._benchmarks import conversion_against_standards
from pipereview.week import WeekDiagnostics

__all__ = ["RULES", "below_stage_standard"]

#: The rules this module registers.
RULES: tuple[str, ...] = ("below_stage_standard",)

_SHORT = severity_bands(
    "below_stage_standard", "points the best reachable share falls short", (0.15, 0.3), (1, 2, 3)
)


@builtin_rule(
    "below_stage_standard",
    kind="risk",
    coaching="skill",
    scope="rep",
    defaults={"min_entries": 5},
    replace=True,
)
def below_stage_standard(context: WeekDiagnostics, params: Mapping[str, Any]) -> pd.DataFrame:
    """A rep whose deals convert at a stage below the method's standard for certain: at
    least ``min_entries`` of the rep's deals entered the stage in the cohort window
    (13 weeks), and even if every one still at the stage moved on, the share reaching a
    later stage would stay below the standard. Value: the share that moved on;
    reference: the standard. Severity by how far the best reachable share falls short:
    3 from 30 points, 2 from 15 points, else 1. Amount at stake: the rep's open amount at
    the stage. Evidence: ``entered``, ``reached`` and ``pending`` (still at the stage),
    ``high`` (the best reachable share), ``weeks``, and the 30-day plan agreed in the
    1:1: ``goal`` (half-way from the rep's share to the standard, a whole percent) ``by``
    the follow-up date.
    """
    table = conversion_against_standards(context.conversion_rep, context.config.benchmarks)
    # the rule's own least number of entries, not the review's (status "too_few" below 10)
    out_of_reach = ~at_least(table["observed_high"].to_numpy(dtype=float), table["standard"])
    hit = table[out_of_reach & (table["deals"] >= params["min_entries"]).to_numpy()]
    if hit.empty:
        return pd.DataFrame()
    config = context.config
    index = pd.MultiIndex.from_frame(hit[["team", "owner", "stage"]])
    at_stage = context.stage_table_rep.set_index(["team", "owner", "stage"])
    hit = hit.assign(
        entered=hit["deals"],
        reached=hit["beyond"],
        high=hit["observed_high"].round(4),
        weeks=context.cohort_weeks,
        goal=((hit["observed"] + hit["standard"]) / 2).round(2),
        by=follow_up_by(context.week, config.follow_up_days, config.holidays),
        amount=at_stage["amount"].reindex(index).fillna(0.0).to_numpy(),
    )
    short = (hit["standard"] - hit["observed_high"]).to_numpy(dtype=float)
    currency = team_currency(context)
    return pd.DataFrame(
        {
            "team": hit["team"].to_numpy(),
            "owner": hit["owner"].to_numpy(),
            "stage_model": hit["stage_model"].to_numpy(),
            "stage": hit["stage"].to_numpy(),
            "metric": "stage_conversion",
            "value": hit["observed"].to_numpy(dtype=float),
            "reference": hit["standard"].to_numpy(dtype=float),
            "severity": _SHORT(short),
            "amount_at_stake": hit["amount"].to_numpy(),
            "currency": currency.reindex(hit["team"]).fillna("").to_numpy(),
            "evidence": evidence_records(
                hit, ["entered", "reached", "pending", "high", "weeks", "goal", "by"]
            ),
        }
    )
