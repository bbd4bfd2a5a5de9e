"""Built-in deal rules (opportunity coaching): what to find out or do next on one deal.

Each rule reads the shared diagnostics of a
:class:`~pipereview.week.WeekDiagnostics` and returns one finding per deal,
with the deal's amount as the amount at stake.

>>> sorted(RULES)
['close_date_past', 'missing_exit_criteria', 'no_coach', 'no_decision_maker', 'repeated_pushes', 'stage_inflation', 'stalled_deal']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from pipereview.coaching._rulekit import (
    builtin_rule,
    deal_rows,
    evidence_records,
    severity_bands,
)
from pipereview.core._stages import load_stage_model
from pipereview.diagnostics._evidence import named_mask
from pipereview.week import WeekDiagnostics

__all__ = [
    "HOMEWORK_FIELDS",
    "RULES",
    "close_date_past",
    "missing_exit_criteria",
    "no_coach",
    "no_decision_maker",
    "repeated_pushes",
    "stage_inflation",
    "stalled_deal",
]

#: The rules this module registers.
RULES: tuple[str, ...] = (
    "close_date_past",
    "missing_exit_criteria",
    "no_coach",
    "no_decision_maker",
    "repeated_pushes",
    "stage_inflation",
    "stalled_deal",
)


_STALLED = severity_bands(
    "stalled_deal", "days since activity / stalled_days", (2.0, 3.0), (1, 2, 3)
)
_INFLATED = severity_bands("stage_inflation", "stages inflated", (2.0, 3.0), (1, 2, 3))

#: Exit criteria that are the rep's own groundwork (research, internal planning, the deal
#: file), not something the customer has agreed to: a stage ahead of these alone is a
#: book-keeping gap, severity 1 however many stages it spans, and the rep completes them
#: rather than checking them with the customer. A missing decision maker, budget, need
#: or timeline is a gap in the deal itself and keeps the severity of the stages inflated.
HOMEWORK_FIELDS: frozenset[str] = frozenset(
    {
        "customer_background",
        "strategy_documented",
        "relationship_mapped",
        "deal_team_assigned",
        "contract_risk_reviewed",
    }
)
_PAST_TYPICAL = severity_bands(
    "missing_exit_criteria", "days in stage / typical days", (1.5, 2.0), (1, 2, 3)
)
_CONTACT = {
    "decision_maker": severity_bands("no_decision_maker", "stages beyond", (2.0,), (2, 3)),
    "coach": severity_bands("no_coach", "stages beyond", (2.0,), (1, 2)),
}
_PUSHES = severity_bands("repeated_pushes", "pushes beyond push_limit", (1.0, 2.0), (1, 2, 3))
_OVERDUE = severity_bands("close_date_past", "days overdue", (14.0, 30.0), (1, 2, 3))


def _lower_bound(frame: pd.DataFrame) -> list[str]:
    """``days_in_stage_lower_bound`` when the risks carry it: the sheets then print a
    stay that began before the first stored week as "≥ 77 days"."""
    return ["days_in_stage_lower_bound"] if "days_in_stage_lower_bound" in frame else []


@builtin_rule(
    "stalled_deal",
    kind="risk",
    coaching="opportunity",
    scope="deal",
    defaults={"stalled_days": 30},
    replace=True,
)
def stalled_deal(context: WeekDiagnostics, params: Mapping[str, Any]) -> pd.DataFrame:
    """An open deal with no logged activity for ``stalled_days`` days or more.

    Value: days since the last activity (to the as-of day, the Sunday ending the week);
    reference: the threshold.
    Severity: 1 below 2x the threshold, 2 below 3x, 3 beyond. Deals whose export has no
    activity date are not judged.
    """
    risks = context.risks
    limit = float(params["stalled_days"])
    days = risks["days_since_activity"].astype(float)
    hit = risks[days >= limit]
    return deal_rows(
        hit,
        metric="days_since_activity",
        value=hit["days_since_activity"],
        reference=limit,
        severity=_STALLED(hit["days_since_activity"] / limit),
        amount_at_stake=hit["amount"],
        evidence=evidence_records(
            hit,
            ["days_since_activity", "days_in_stage", *_lower_bound(hit)],
            stalled_days=int(limit),
        ),
    )


@builtin_rule(
    "stage_inflation",
    kind="risk",
    coaching="opportunity",
    scope="deal",
    defaults={"min_stages": 1},
    replace=True,
)
def stage_inflation(context: WeekDiagnostics, params: Mapping[str, Any]) -> pd.DataFrame:
    """The deal's CRM stage is ahead of what its evidence supports by ``min_stages`` or more
    (:func:`pipereview.diagnostics._process.process_gaps`): an exit criterion of an earlier stage is
    not met.

    Value: stages inflated; reference: 0. Severity: the stages inflated, at most 3, but 1
    when every missing criterion is the rep's own groundwork (:data:`HOMEWORK_FIELDS`:
    "Account background researched" unticked is not a deal three stages inflated).
    Evidence: claimed and evidence stage, the missing criteria, split into ``to_verify``
    (with the customer) and ``homework`` (the rep's own). Only recorded gaps count:
    an export without the evidence columns gives no finding here, and the sheet says
    "not checked" instead (:mod:`pipereview.diagnostics._capabilities`).
    """
    gaps = context.gaps
    hit = gaps[gaps["stages_inflated"] >= int(params["min_stages"])]
    to_verify = pd.Series(
        [tuple(f for f in m if f not in HOMEWORK_FIELDS) for m in hit["missing"]],
        index=hit.index,
        dtype=object,
    )
    homework = pd.Series(
        [tuple(f for f in m if f in HOMEWORK_FIELDS) for m in hit["missing"]],
        index=hit.index,
        dtype=object,
    )
    hit = hit.assign(stage=hit["claimed_stage"], to_verify=to_verify, homework=homework)
    severity = _INFLATED(hit["stages_inflated"])
    severity[(hit["to_verify"].map(len) == 0).to_numpy(bool)] = 1  # book-keeping only
    return deal_rows(
        hit,
        metric="stages_inflated",
        value=hit["stages_inflated"],
        reference=0.0,
        severity=severity,
        amount_at_stake=hit["amount"],
        evidence=evidence_records(
            hit,
            [
                "claimed_stage",
                "evidence_stage",
                "missing",
                "stages_inflated",
                "to_verify",
                "homework",
            ],
        ),
    )


@builtin_rule(
    "missing_exit_criteria",
    kind="risk",
    coaching="opportunity",
    scope="deal",
    defaults={},
    replace=True,
)
def missing_exit_criteria(context: WeekDiagnostics, params: Mapping[str, Any]) -> pd.DataFrame:
    """A deal whose evidence supports its stage, but that has been there longer than the
    stage's limit (the team's p75 or the model's typical days, see
    :func:`pipereview.diagnostics._aging.deal_risks`) while exit criteria of its stage are still open.

    Value: days in stage; reference: the limit. Severity: 1 below 1.5x the limit, 2 below
    2x, 3 beyond. Evidence: the open exit criteria (what it takes to move on), those the
    export records only.
    """
    gaps = context.gaps[["deal_key", "stages_inflated", "next_actions"]]
    risks = context.risks.merge(gaps, on="deal_key", how="inner")
    hit = risks[
        risks["past_typical"]
        & (risks["stages_inflated"] == 0)
        & (risks["next_actions"].map(len) > 0)
    ]
    return deal_rows(
        hit,
        metric="days_in_stage",
        value=hit["days_in_stage"],
        reference=hit["limit_days"],
        severity=_PAST_TYPICAL(hit["days_in_stage"] / hit["limit_days"]),
        amount_at_stake=hit["amount"],
        evidence=evidence_records(
            hit, ["days_in_stage", "limit_days", "limit_source", "next_actions", *_lower_bound(hit)]
        ),
    )


def _missing_contact(context: WeekDiagnostics, field: str) -> pd.DataFrame:
    """Open deals past the stage whose exit criteria name ``field`` with it blank or a
    placeholder ("未知", "TBD": :data:`~pipereview.diagnostics._evidence.PLACEHOLDER_NAMES`),
    for teams whose export records the field (a value in at least one deal that week)."""
    deals = context.open_deals
    if field not in deals or deals.empty:
        return deals.iloc[0:0].assign(required_stage="", stages_beyond=0)
    filled = deals[field].notna() & deals[field].astype("str").str.strip().ne("")
    recorded = filled.groupby(deals["team"]).transform("any")
    # a placeholder ("未知", "TBD") is no name: the contact is still missing
    missing = ~named_mask(deals[field])
    rows = np.flatnonzero((recorded & missing).to_numpy(dtype=bool))
    models = deals["stage_model"].to_numpy(dtype=object)[rows]
    stage_of = deals["stage"].to_numpy(dtype=object)
    picked, required, beyond = [], [], []
    for name in sorted(set(models[pd.notna(models)])):  # loops over models, never deals
        model = load_stage_model(str(name))
        stages = [s.key for s in model.open_stages]
        needs = [
            i
            for i, s in enumerate(model.open_stages)
            if any(c.field == field for c in s.exit_criteria)
        ]
        if not needs:
            continue
        part = rows[models == name]
        index = {k: i for i, k in enumerate(stages)}
        position = np.array([index.get(s, np.nan) for s in stage_of[part]], dtype=float)
        late = position - needs[0] >= 1
        picked.append(part[late])
        required.append(np.full(late.sum(), stages[needs[0]], dtype=object))
        beyond.append((position[late] - needs[0]).astype(np.int64))
    if not picked:
        return deals.iloc[0:0].assign(required_stage="", stages_beyond=0)
    rows = np.concatenate(picked)
    keys = deals[["team", "owner", "deal_key"]].iloc[rows].reset_index(drop=True)
    order = keys.sort_values(["team", "owner", "deal_key"], kind="stable").index.to_numpy()
    found: pd.DataFrame = deals.iloc[rows[order]].assign(
        required_stage=pd.array(np.concatenate(required)[order], dtype="str"),
        stages_beyond=np.concatenate(beyond)[order],
    )
    return found


def _contact_findings(context: WeekDiagnostics, field: str) -> pd.DataFrame:
    """Findings for :func:`_missing_contact`, with the field's severity bands."""
    hit = _missing_contact(context, field)
    return deal_rows(
        hit,
        metric="stages_beyond",
        value=hit["stages_beyond"],
        reference=0.0,
        severity=_CONTACT[field](hit["stages_beyond"]),
        amount_at_stake=hit["amount"],
        evidence=evidence_records(hit, ["required_stage", "stages_beyond"]),
    )


@builtin_rule(
    "no_decision_maker",
    kind="risk",
    coaching="opportunity",
    scope="deal",
    defaults={},
    replace=True,
)
def no_decision_maker(context: WeekDiagnostics, params: Mapping[str, Any]) -> pd.DataFrame:
    """An open deal past the stage where the decision maker should be known (the stage
    whose exit criteria name ``decision_maker``), with no decision maker recorded.

    Value: stages beyond that stage. Severity: 2 one stage beyond, 3 further. Teams whose
    export has no decision-maker values at all are not judged.
    """
    return _contact_findings(context, "decision_maker")


@builtin_rule(
    "no_coach", kind="risk", coaching="opportunity", scope="deal", defaults={}, replace=True
)
def no_coach(context: WeekDiagnostics, params: Mapping[str, Any]) -> pd.DataFrame:
    """An open deal past the stage where an internal coach should be found (the stage whose
    exit criteria name ``coach``), with no coach recorded.

    Value: stages beyond that stage. Severity: 1 one stage beyond, 2 further. Teams whose
    export has no coach values at all are not judged.
    """
    return _contact_findings(context, "coach")


@builtin_rule(
    "repeated_pushes",
    kind="risk",
    coaching="opportunity",
    scope="deal",
    defaults={"push_limit": 2},
    replace=True,
)
def repeated_pushes(context: WeekDiagnostics, params: Mapping[str, Any]) -> pd.DataFrame:
    """An open deal whose close date moved later ``push_limit`` times or more while open.

    Value: pushes; reference: the limit. Severity: 1 at the limit, 2 one more, 3 beyond.
    Evidence: the current close date.
    """
    risks = context.risks
    limit = int(params["push_limit"])
    hit = risks[risks["push_count"] >= limit]
    hit = hit.assign(close=hit["close_date"].dt.strftime("%Y-%m-%d"))
    return deal_rows(
        hit,
        metric="push_count",
        value=hit["push_count"],
        reference=float(limit),
        severity=_PUSHES(hit["push_count"] - limit),
        amount_at_stake=hit["amount"],
        evidence=evidence_records(hit, ["push_count", "close"]),
    )


@builtin_rule(
    "close_date_past",
    kind="risk",
    coaching="opportunity",
    scope="deal",
    defaults={"grace_days": 0},
    replace=True,
)
def close_date_past(context: WeekDiagnostics, params: Mapping[str, Any]) -> pd.DataFrame:
    """An open deal whose close date is more than ``grace_days`` before the as-of Monday.

    Value: days overdue. Severity: 1 under 14 days, 2 under 30, 3 from 30 days.
    Evidence: the close date.
    """
    risks = context.risks
    monday = pd.Timestamp(context.week.monday)
    overdue = (monday - risks["close_date"]).dt.days
    hit = risks[risks["close_date_past"] & (overdue > int(params["grace_days"]))]
    days = overdue[hit.index].astype(float)
    hit = hit.assign(days_overdue=days, close=hit["close_date"].dt.strftime("%Y-%m-%d"))
    return deal_rows(
        hit,
        metric="days_overdue",
        value=days,
        reference=float(params["grace_days"]),
        severity=_OVERDUE(days),
        amount_at_stake=hit["amount"],
        evidence=evidence_records(hit, ["days_overdue", "close"]),
    )
