"""Built-in rep and team rules (skill and team coaching): where a rep's numbers lag their
teammates', and where a team's funnel or plan is off.

>>> sorted(RULES)
['coverage_below_need', 'deal_concentration', 'forecast_deviation', 'low_stage_conversion', 'team_forecast_deviation', 'thin_funnel_top']
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
    follow_up_by,
    severity_bands,
    shared_figure,
    team_currency,
    with_plan_rule,
)
from pipereview.core._compare import at_least, at_most, more_than
from pipereview.core._exacttest import fisher_one_sided
from pipereview.week import WeekDiagnostics

__all__ = [
    "RULES",
    "coverage_below_need",
    "deal_concentration",
    "forecast_deviation",
    "low_stage_conversion",
    "peer_move_on",
    "team_forecast_deviation",
    "thin_funnel_top",
]

#: The rules this module registers.
RULES: tuple[str, ...] = (
    "coverage_below_need",
    "deal_concentration",
    "forecast_deviation",
    "low_stage_conversion",
    "team_forecast_deviation",
    "thin_funnel_top",
)

_SLOW = severity_bands(
    "low_stage_conversion", "rep's move-on rate / teammates'", (0.25, 0.5), (3, 2, 1)
)
_THIN_TOP = severity_bands("thin_funnel_top", "inflow / reference inflow", (1 / 3,), (3, 2))
_SHORT = severity_bands("coverage_below_need", "coverage / coverage needed", (0.5, 0.75), (3, 2, 1))
#: points behind plan (of the target); shared by the rep and the team rule
_BEHIND = severity_bands(
    "forecast_deviation", "points behind plan", (0.2, 0.3), (1, 2, 3), on_edge="lower"
)
_CONCENTRATED = severity_bands(
    "deal_concentration", "deal's share of the rep's open pipeline", (0.55, 0.7), (1, 2, 3), "lower"
)


def peer_move_on(context: WeekDiagnostics, alternative: str = "less") -> pd.DataFrame:
    """Each rep's week-over-week move-on rate per stage over the context's window
    (:func:`pipereview.diagnostics._funnel.move_on_rates`) next to their teammates' (the team without
    the rep): ``exposures``, ``moved``, ``rate``, ``peer_exposures``, ``peer_moved``,
    ``peer_rate`` and ``p_value``, a one-sided Fisher exact test (:func:`~pipereview.core._exacttest.fisher_one_sided`, ``alternative`` "less"
    or "greater") used as a guard against noise: deal-weeks of one deal are not
    independent, so it is not a formal test."""
    counts = _peer_counts(context)
    cells = zip(
        counts["exposures"],
        counts["moved"],
        counts["peer_exposures"],
        counts["peer_moved"],
        strict=True,
    )
    out = counts.copy()
    out.insert(
        list(counts.columns).index("stage_model"),
        "p_value",
        [
            fisher_one_sided(((k, n - k), (pk, pn - pk)), alternative) if pn > 0 else 1.0
            for n, k, pn, pk in cells
        ],  # one test per rep and stage
    )
    return out


@shared_figure
def _peer_counts(context: WeekDiagnostics) -> pd.DataFrame:
    """:func:`peer_move_on` without ``p_value`` (shared by the rules of a run)."""
    reps = context.move_on_rep
    team = reps.groupby(["team", "stage"])[["exposures", "moved"]].transform("sum")
    out = reps[["team", "owner", "stage", "exposures", "moved"]].copy()
    out["peer_exposures"] = team["exposures"] - out["exposures"]
    out["peer_moved"] = team["moved"] - out["moved"]
    out["rate"] = out["moved"] / out["exposures"]
    out["peer_rate"] = out["peer_moved"] / out["peer_exposures"].where(out["peer_exposures"] > 0)
    models = context.latest[["team", "stage_model"]].drop_duplicates("team")
    out["stage_model"] = models.set_index("team")["stage_model"].reindex(out["team"]).to_numpy()
    return out


@builtin_rule(
    "low_stage_conversion",
    kind="risk",
    coaching="skill",
    scope="rep",
    defaults={"min_exposures": 10, "max_ratio": 0.6, "min_gap": 0.05, "max_p_value": 0.05},
    replace=True,
)
def low_stage_conversion(context: WeekDiagnostics, params: Mapping[str, Any]) -> pd.DataFrame:
    """A rep whose deals move on from a stage much less often than their teammates'.

    Over the context's window (8 weeks), each week a deal of the rep spends at the stage
    is one exposure; it moved on when the next week shows a later stage or won
    (:func:`pipereview.diagnostics._funnel.move_on_rates`). Fires when the rep has at least
    ``min_exposures``, their rate is at most ``max_ratio`` of the teammates' and at least
    ``min_gap`` lower, and a one-sided Fisher exact test puts the difference at
    ``max_p_value`` or below (few deals never give a verdict). Value: the rep's rate;
    reference: the teammates'. Severity: 3 when the rep's rate is under a quarter of the
    teammates', 2 under half, else 1. Amount at stake: the rep's open amount at the stage.
    Evidence ``goal`` and ``by``: the 30-day target agreed in the 1:1, half-way from the
    rep's rate to the teammates' (rounded to a whole percent), by the follow-up date.
    """
    rates = peer_move_on(context)
    hit = rates[
        (rates["exposures"] >= params["min_exposures"])
        & rates["peer_rate"].gt(0)
        & at_most(rates["rate"], params["max_ratio"] * rates["peer_rate"])
        & at_least(rates["peer_rate"] - rates["rate"], params["min_gap"])
        & at_most(rates["p_value"], params["max_p_value"])
    ]
    ratio = (hit["rate"] / hit["peer_rate"]).to_numpy(dtype=float)
    # the plan agreed in the 1:1: half-way to the teammates' rate, a follow-up later
    config = context.config
    by = follow_up_by(context.week, config.follow_up_days, config.holidays)
    index = pd.MultiIndex.from_frame(hit[["team", "owner", "stage"]])
    table = context.stage_table_rep.set_index(["team", "owner", "stage"])
    hit = hit.assign(
        open_at_stage=table["count"].reindex(index).fillna(0).astype("int64").to_numpy(),
        amount=table["amount"].reindex(index).fillna(0.0).to_numpy(),
        weeks=context.window_weeks,
        p_value=hit["p_value"].round(4),
        by=by,
        goal=((hit["rate"] + hit["peer_rate"]) / 2).round(2),
    )
    return pd.DataFrame(
        {
            "team": hit["team"].to_numpy(),
            "owner": hit["owner"].to_numpy(),
            "stage_model": hit["stage_model"].to_numpy(),
            "stage": hit["stage"].to_numpy(),
            "metric": "move_on_rate",
            "value": hit["rate"].to_numpy(),
            "reference": hit["peer_rate"].to_numpy(),
            "severity": _SLOW(ratio),
            "amount_at_stake": hit["amount"].to_numpy(),
            "currency": team_currency(context).reindex(hit["team"]).fillna("").to_numpy(),
            "evidence": evidence_records(
                hit,
                [
                    "exposures",
                    "moved",
                    "peer_exposures",
                    "peer_moved",
                    "open_at_stage",
                    "weeks",
                    "p_value",
                    "by",
                    "goal",
                ],
            ),
        }
    )


@builtin_rule(
    "thin_funnel_top", kind="risk", coaching="team", scope="team", defaults={}, replace=True
)
def thin_funnel_top(context: WeekDiagnostics, params: Mapping[str, Any]) -> pd.DataFrame:
    """A team whose funnel is labelled ``thin_top`` by
    :func:`pipereview.diagnostics._shape.funnel_shape`: too few deals in the early stages and too few
    new deals coming in, against the other teams.

    Value: new deals a week per open deal; reference: the other teams' median. Severity:
    3 below a third of the reference, 2 below half. Amount at stake: the team's open
    pipeline.
    """
    shape = context.shape_team
    hit = shape[shape["label"] == "thin_top"]
    open_amount = context.open_deals.groupby("team")["amount"].sum()
    currency = team_currency(context)
    ratio = (hit["inflow_rate"] / hit["ref_inflow_rate"]).to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "team": hit["team"].to_numpy(),
            "metric": "inflow_rate",
            "value": hit["inflow_rate"].to_numpy(),
            "reference": hit["ref_inflow_rate"].to_numpy(),
            "severity": _THIN_TOP(ratio),
            "amount_at_stake": open_amount.reindex(hit["team"]).to_numpy(),
            "currency": currency.reindex(hit["team"]).to_numpy(),
            "evidence": evidence_records(
                hit, ["open_deals", "top_share", "ref_top_share", "inflow_per_week"]
            ),
        }
    )


@builtin_rule(
    "coverage_below_need",
    kind="risk",
    coaching="skill",
    scope="rep",
    defaults={"min_weeks_to_open": 8},
    replace=True,
)
def coverage_below_need(context: WeekDiagnostics, params: Mapping[str, Any]) -> pd.DataFrame:
    """A rep whose open pipeline due this period covers the remaining target less than
    their win rate needs (:func:`pipereview.diagnostics._forecast.period_forecast`, verdict ``short``;
    needs targets). A rep who won none of the deals closed in the window (0%, the worst
    rate) is short whatever the coverage.

    Value: coverage; reference: coverage needed (1 / win rate; blank at 0%). Severity: 3 below half of
    what is needed, 2 below three quarters, else 1. Amount at stake: the remaining target.
    Evidence ``weeks_left`` (whole weeks from the as-of Monday to the period's end) and
    ``late`` (fewer than ``min_weeks_to_open``: too late to open and close a new deal in
    the period, so the plan turns to next period's pipeline).
    """
    from pipereview.diagnostics._waterfall import period_bounds

    forecast = context.forecast_rep
    if forecast.empty:
        return pd.DataFrame()
    hit = forecast[forecast["verdict"] == "short"]
    hit = hit.assign(
        coverage=hit["coverage"].fillna(0.0),
        closed_in_window=hit.get("closed_in_window", pd.Series(0, index=hit.index)).astype("int64"),
    )
    ends = pd.Series(
        [period_bounds(str(p))[1] for p in hit["period"]], index=hit.index, dtype="datetime64[ns]"
    )
    weeks_left = ((ends - pd.Timestamp(context.week.monday)).dt.days + 1) // 7
    hit = hit.assign(
        weeks_left=weeks_left.astype("int64"), late=weeks_left < params["min_weeks_to_open"]
    )
    ratio = (hit["coverage"] / hit["coverage_needed"]).to_numpy(dtype=float)  # 0 at 0% won
    need = hit["coverage_needed"].astype(float)
    return pd.DataFrame(
        {
            "team": hit["team"].to_numpy(),
            "owner": hit["owner"].to_numpy(),
            "metric": "coverage",
            "value": hit["coverage"].to_numpy(),
            # at a 0% win rate no coverage is enough: no number stands for what is needed
            "reference": need.where(np.isfinite(need)).to_numpy(),
            "severity": _SHORT(ratio),
            "amount_at_stake": hit["remaining_target"].to_numpy(),
            "currency": hit["currency"].to_numpy(),
            "evidence": evidence_records(
                hit,
                [
                    "open_in_period",
                    "remaining_target",
                    "win_rate",
                    "closed_in_window",
                    "period",
                    "weeks_left",
                    "late",
                ],
            ),
        }
    )


def _behind_plan(
    progress: pd.DataFrame, forecast: pd.DataFrame, keys: list[str]
) -> tuple[pd.DataFrame, np.ndarray]:
    """Groups behind plan beyond the tolerance (in points of the target) whose outlook
    (:func:`pipereview.diagnostics._figures.outlook`, shared with the forecast) is not already that
    the target is met or on track: one verdict per team and period, never "on track"
    beside "behind"."""
    if not len(progress):
        return progress, np.zeros(0)
    hit = progress[progress["alert"] & (progress["status"] == "behind")]
    if "points" not in hit:  # a progress frame of an older layout: points from its columns
        hit = hit.assign(
            points=(hit["won_to_date"] - hit["plan_to_date"]) / hit["target"],
            expected_share=hit["plan_to_date"] / hit["target"],
            won_share=hit["won_to_date"] / hit["target"],
        )
    if len(forecast) and "outlook" in forecast:
        fine = forecast.loc[forecast["outlook"].isin(["met", "on_track"]), keys]
        marked = hit.merge(fine.assign(_fine=True), on=keys, how="left")["_fine"]
        hit = hit[~marked.fillna(False).astype(bool).to_numpy()]
    gap = -hit["points"].to_numpy(dtype=float)
    return hit, _BEHIND(gap)


def _plan_rows(
    context: WeekDiagnostics, hit: pd.DataFrame, severity: np.ndarray, owner: bool
) -> pd.DataFrame:
    if hit.empty:
        return pd.DataFrame()
    hit = with_plan_rule(context, hit)
    return pd.DataFrame(
        {
            "team": hit["team"].to_numpy(),
            "owner": hit["owner"].to_numpy() if owner else "",
            "metric": "plan_points",
            "value": hit["points"].to_numpy(),
            "reference": hit["threshold"].to_numpy(),
            "severity": severity,
            "amount_at_stake": (-hit["deviation"]).to_numpy(),
            "currency": hit["currency"].to_numpy(),
            "evidence": evidence_records(
                hit,
                [
                    "won_to_date",
                    "plan_to_date",
                    "target",
                    "period",
                    "expected_share",
                    "won_share",
                    "plan_rule",
                    "plan_rule_zh",
                ],
            ),
        }
    )


@builtin_rule(
    "forecast_deviation", kind="risk", coaching="skill", scope="rep", defaults={}, replace=True
)
def forecast_deviation(context: WeekDiagnostics, params: Mapping[str, Any]) -> pd.DataFrame:
    """A rep whose won to date is below plan by more than the tolerance (15 points of
    the target, :func:`pipereview.diagnostics._targets.progress`; needs rep targets), unless the rep's
    outlook (:func:`pipereview.diagnostics._figures.outlook`) says the target is met or on track.

    Value: won share - planned share of the target (negative points); reference: the
    tolerance. Severity: 3 beyond 30 points, 2 beyond 20, else 1. Amount at stake: the
    shortfall against the plan to date.
    """
    return _plan_rows(
        context,
        *_behind_plan(context.progress_rep, context.forecast_rep, ["team", "owner"]),
        owner=True,
    )


@builtin_rule(
    "team_forecast_deviation", kind="risk", coaching="team", scope="team", defaults={}, replace=True
)
def team_forecast_deviation(context: WeekDiagnostics, params: Mapping[str, Any]) -> pd.DataFrame:
    """A team below plan to date by more than the tolerance (15 points of the target),
    its outlook not met or on track; the method asks for a root-cause analysis and a plan
    change. Same value and severity as ``forecast_deviation``."""
    return _plan_rows(
        context, *_behind_plan(context.progress_team, context.forecast_team, ["team"]), owner=False
    )


@builtin_rule(
    "deal_concentration",
    kind="risk",
    coaching="skill",
    scope="rep",
    defaults={"max_share": 0.4, "min_deals": 3},
    replace=True,
)
def deal_concentration(context: WeekDiagnostics, params: Mapping[str, Any]) -> pd.DataFrame:
    """One open deal is more than ``max_share`` of a rep's open pipeline (a rep with at
    least ``min_deals`` open deals): the rep's quarter rides on it.

    Value: the deal's share; reference: ``max_share``. Severity: 3 above 70%, 2 above
    55%, else 1. Carries the deal; amount at stake: the deal's amount.
    """
    deals = context.open_deals
    amounts = deals.groupby(["team", "owner"])["amount"]
    total, count = amounts.transform("sum"), amounts.transform("size")
    share = deals["amount"] / total.where(total > 0)
    hit = deals[more_than(share, params["max_share"]) & (count >= params["min_deals"])]
    if hit.empty:
        return pd.DataFrame()
    share = share[hit.index]
    hit = hit.assign(share=share, rep_open_amount=total[hit.index], rep_open_deals=count[hit.index])
    return deal_rows(
        hit,
        metric="deal_share",
        value=share,
        reference=float(params["max_share"]),
        severity=_CONCENTRATED(share),
        amount_at_stake=hit["amount"],
        evidence=evidence_records(hit, ["rep_open_amount", "rep_open_deals"]),
    )
