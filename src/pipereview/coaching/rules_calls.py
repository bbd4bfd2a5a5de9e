"""Built-in rules on the reps' forecast calls: a call that is stale or never submitted, and
a call that is biased against what the rep wins (sandbagging or over-calling).

Each rule reads the forecast calls stored up to the week
(:attr:`~pipereview.week.WeekDiagnostics.forecast_calls`); without them it finds nothing.

>>> sorted(RULES)
['call_bias', 'call_stale']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from pipereview.coaching._rulekit import (
    builtin_rule,
    evidence_records,
    follow_up_by,
    severity_bands,
)
from pipereview.forecasting import call_freshness
from pipereview.week import WeekDiagnostics

__all__ = ["RULES", "call_bias", "call_stale"]

#: The rules this module registers.
RULES: tuple[str, ...] = ("call_bias", "call_stale")

#: weeks since the last call (never submitted: infinitely many)
_STALE = severity_bands("call_stale", "weeks since the last call", (3.0,), (1, 2), on_edge="lower")
#: how far the median call/won ratio is from 1
_BIAS = severity_bands("call_bias", "|median call / won - 1|", (0.25,), (1, 2), on_edge="lower")


def _finding(
    context: WeekDiagnostics, hit: pd.DataFrame, evidence: str, **columns: Any
) -> pd.DataFrame:
    """A rule's findings: ``team`` and ``owner`` of ``hit``, ``columns``, and the evidence
    of ``hit``'s columns named in ``evidence`` and ``by``."""
    config = context.config
    hit = hit.assign(by=follow_up_by(context.week, config.follow_up_days, config.holidays))
    rows: dict[str, Any] = {"team": hit["team"].to_numpy(), "owner": hit["rep"].to_numpy()}
    rows.update(columns)
    rows["evidence"] = evidence_records(hit, [*evidence.split(), "by"])
    return pd.DataFrame(rows)


def _reps(context: WeekDiagnostics) -> pd.DataFrame:
    """The reps of each team: the owners of its open deals this week."""
    deals = context.open_deals
    if deals.empty or "owner" not in deals:
        return pd.DataFrame(columns=["team", "rep"])
    reps = deals[["team", "owner"]].dropna().drop_duplicates()
    return reps.rename(columns={"owner": "rep"})


@builtin_rule("call_stale", kind="risk", coaching="skill", scope="rep", defaults={}, replace=True)
def call_stale(context: WeekDiagnostics, params: Mapping[str, Any]) -> pd.DataFrame:
    """A rep with open deals whose forecast call is older than
    ``forecast_calls.stale_days`` (7) or was never submitted
    (:func:`pipereview.forecasting.call_freshness`; needs forecast calls stored): the
    team's number misses their part.

    Value: the weeks since the last call (NaN: never); reference: ``stale_days`` in weeks.
    Severity: 1 up to 3 weeks, 2 beyond and when never submitted.
    """
    calls = context.forecast_calls
    if calls is None or calls.empty:
        return pd.DataFrame()
    settings = context.config.forecast_calls
    fresh = call_freshness(calls, _reps(context), context.week, settings)
    hit = fresh[(fresh["level"] == "rep") & fresh["state"].isin(["stale", "never"])]
    hit = hit.assign(
        never=hit["state"] == "never", stale_days=settings.stale_days, period=context.period
    )
    weeks = hit["weeks_since"].astype("float64").to_numpy()
    return _finding(
        context,
        hit,
        "last_week never stale_days period",
        metric="weeks_since_call",
        value=weeks,
        reference=settings.stale_days / 7,
        severity=_STALE(np.where(np.isnan(weeks), np.inf, weeks)),
    )


@builtin_rule("call_bias", kind="risk", coaching="skill", scope="rep", defaults={}, replace=True)
def call_bias(context: WeekDiagnostics, params: Mapping[str, Any]) -> pd.DataFrame:
    """A rep whose forecast calls of at least ``forecast_calls.min_quarters`` (2) closed
    quarters are off what they won by more than ``forecast_calls.bias_tolerance`` (10%) at
    the median (:func:`pipereview.forecasting.call_bias`: sandbagging 保守/压单 below,
    over-calling 过度乐观 above; needs forecast calls stored).

    Value: the median call / won ratio; reference: 1. Severity: 2 when the ratio is more
    than 25% off 1, else 1. Evidence: the verdict and the quarters counted.
    """
    bias = context.call_bias  # shared with the review's calls section
    if bias is None:
        return pd.DataFrame()
    settings = context.config.forecast_calls
    overall = bias.overall
    hit = overall[
        (overall["level"] == "rep") & overall["verdict"].isin(["sandbagging", "over-calling"])
    ]
    hit = hit.assign(
        sandbagging=hit["verdict"] == "sandbagging",
        bias_tolerance=settings.bias_tolerance,
    )
    ratio = hit["ratio"].to_numpy(dtype=float)
    return _finding(
        context,
        hit,
        "verdict sandbagging quarters bias_tolerance",
        metric="call_won_ratio",
        value=ratio,
        reference=1.0,
        severity=_BIAS(np.abs(ratio - 1)),
    )
