"""Built-in deal rules (opportunity coaching): what to find out or do next on one deal.

>>> sorted(RULES)[:1]
['stalled_deal']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from pipereview.coaching._rulekit import deal_rows, evidence_records, severity_by_ratio
from pipereview.coaching.context import CoachingContext
from pipereview.coaching.registry import register_rule

__all__ = ["RULES", "stalled_deal"]

#: The rules this module registers.
RULES: tuple[str, ...] = ("stalled_deal",)


@register_rule("stalled_deal", kind="risk", coaching="opportunity", scope="deal",
               defaults={"stalled_days": 30}, replace=True)
def stalled_deal(context: CoachingContext, params: Mapping[str, Any]) -> pd.DataFrame:
    """An open deal with no logged activity for ``stalled_days`` days or more.

    Value: days since the last activity (to the as-of Monday); reference: the threshold.
    Severity: 1 below 2x the threshold, 2 below 3x, 3 beyond. Deals whose export has no
    activity date are not judged.
    """
    risks = context.risks
    limit = float(params["stalled_days"])
    days = risks["days_since_activity"].astype(float)
    hit = risks[days >= limit]
    return deal_rows(
        hit, metric="days_since_activity", value=hit["days_since_activity"],
        reference=limit, severity=severity_by_ratio(hit["days_since_activity"] / limit),
        amount_at_stake=hit["amount"],
        evidence=evidence_records(hit, ["days_since_activity", "days_in_stage"],
                                  stalled_days=int(limit)))
