"""The first block of the monthly and quarterly pack: did we hit the plan, why not, what
next, one verdict each (docs/period-packs.md).

- **Did we hit the plan?** A finished period: won against its target ("yes: 104% of the
  target won", "no: 80% of the target won, 65,000 USD below the target"); a period still
  running: won to date against the plan to date, in points of the target
  (:func:`~pipereview.diagnostics._figures.plan_deviation`).
- **Why not?** What moved the result most: the amount of the deals lost in the period or
  of the close dates pushed out of it, whichever is larger; else less pipeline created
  than in the previous period; "the plan was met" when it was.
- **What next?** The next period's open pipeline due against the coverage its target
  needs at the team's win rate (:func:`~pipereview.delivery._periodplan.next_verdict`).

>>> from pipereview.delivery import PeriodReview
>>> h = pd.DataFrame({"snapshot_week": "2026-W44", "team": "North", "deal_id": ["D1"],
...     "deal_name": "MES", "owner": "Ann", "stage": "won", "stage_model": "generic_4",
...     "amount": [1000.0], "currency": "EUR", "close_date": pd.Timestamp("2026-10-20")})
>>> hit_verdict(PeriodReview(h, team="North", period="2026-10"))
'not available: no targets'
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from pipereview.delivery._dealtables import amount_text
from pipereview.delivery._periodplan import next_verdict
from pipereview.delivery._periodsections import gap_words, no_target_text, period_text
from pipereview.delivery._reviewsections import Section, html_table
from pipereview.diagnostics._periods import change_text

if TYPE_CHECKING:
    from pipereview.delivery._periodreview import PeriodReview

__all__ = ["hit_verdict", "verdict_section", "why_verdict"]


def verdict_section(review: PeriodReview) -> Section:
    """Did we hit the plan, why not, what next: one verdict each."""
    rows = [
        (period_text(review, "hit"), hit_verdict(review)),
        (period_text(review, "why"), why_verdict(review)),
        (period_text(review, "next"), next_verdict(review)),
    ]
    table = pd.DataFrame(
        rows, columns=[period_text(review, "question"), period_text(review, "answer")]
    )
    return Section(period_text(review, "verdicts"), html_table(table), "verdicts")


def hit_verdict(review: PeriodReview) -> str:
    """Whether the period's target was met (to date: against the plan to date)."""
    target, _ = review.target()
    if target is None or target <= 0:
        return no_target_text(review, review.period)
    won = review.won_amount
    share = f"{won / target:.0%}"
    if review.complete:
        if won >= target:
            return period_text(review, "verdict_met", share=share)
        return period_text(
            review, "verdict_missed", share=share, gap=gap_words(review, target - won)
        )
    from pipereview.diagnostics._figures import plan_deviation, plan_deviation_text

    plan = review.team_plan_to_date
    dev = plan_deviation(
        pd.Series([won]), pd.Series([plan]), pd.Series([target]), review.config.plan.alert_threshold
    ).iloc[0]
    status = {"below plan": "behind", "above plan": "ahead"}.get(str(dev["status"]), "on plan")
    detail = plan_deviation_text(float(dev["points"]), float(dev["expected_share"]), review.lang)
    return period_text(
        review,
        "verdict_running",
        week=str(review.as_of),
        share=share,
        status=period_text(review, status),
        detail=detail,
    )


def why_verdict(review: PeriodReview) -> str:
    """What moved the result most: the deals lost, the close dates pushed out, or less
    pipeline created than in the previous period."""
    target, _ = review.target()
    if target is not None and review.won_amount >= target:
        return period_text(review, "why_met")
    lost, pushed = review.lost, review.pushed
    movers = [
        (float(lost["amount"].sum()), "why_lost", len(lost)),
        (float(pushed["amount"].sum()), "why_pushed", len(pushed)),
    ]
    amount, key, n = max(movers, key=lambda m: m[0])
    if amount > 0:
        return period_text(review, key, n=n, amount=amount_text(amount, review.currency))
    r = review.results
    now, before = r.iloc[0]["created_amount"], r.iloc[1]["created_amount"]
    if bool(r.iloc[1]["covered"]) and not math.isnan(float(now)) and float(now) < float(before):
        return period_text(
            review,
            "why_created",
            change=change_text(float(now), float(before), review.currency, review.lang),
        )
    return period_text(review, "why_none")
