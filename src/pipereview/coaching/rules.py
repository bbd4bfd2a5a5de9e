"""The built-in coaching rules, registered on import (see ``docs/coaching.md`` for each
rule's definition, thresholds and an example):

- deals (opportunity coaching, :mod:`~pipereview.coaching.rules_deal`);
- reps and teams (skill and team coaching, :mod:`~pipereview.coaching.rules_rep`);
- strengths (:mod:`~pipereview.coaching.rules_strengths`);
- results: targets, wins, losses and the pipeline left
  (:mod:`~pipereview.coaching.rules_outcomes`);
- the method's standards (:mod:`~pipereview.coaching.rules_standards`);
- the companion exports: activities, leads, invoices
  (:mod:`~pipereview.coaching.rules_companions`);
- the reps' forecast calls: stale and biased calls (:mod:`~pipereview.coaching.rules_calls`).

>>> "stalled_deal" in BUILTIN_RULES
True
"""

from __future__ import annotations

from pipereview.coaching import (
    rules_calls,
    rules_companions,
    rules_deal,
    rules_outcomes,
    rules_rep,
    rules_standards,
    rules_strengths,
)

__all__ = ["BUILTIN_RULES"]

#: Names of the rules pipereview ships, sorted.
BUILTIN_RULES: tuple[str, ...] = tuple(
    sorted(
        (
            *rules_deal.RULES,
            *rules_rep.RULES,
            *rules_strengths.RULES,
            *rules_outcomes.RULES,
            *rules_standards.RULES,
            *rules_companions.RULES,
            *rules_calls.RULES,
        )
    )
)
