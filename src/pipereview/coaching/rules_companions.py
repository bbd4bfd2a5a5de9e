"""Built-in rules on the companion exports (activities, leads, invoices): effort that moves
no deal, activity below the team's norm, leads that do not convert, money owed past due.

Each rule reads the week's figures of its export
(:attr:`~pipereview.week.WeekDiagnostics.companion_figures`); without that export it
finds nothing, and :func:`companion_notes` gives the line a sheet shows in its place
("not available: no activities export"), never a silent "no risk".

>>> sorted(RULES)
['activity_below_norm', 'busy_without_advance', 'invoice_overdue', 'lead_conversion_low', 'lead_source_low']
>>> companion_notes(WeekDiagnostics(pd.DataFrame(), "2026-W47"), "en")[0]
'Activities per rep: not available: no activities export'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from pipereview.coaching._effort import rep_effort, team_key
from pipereview.coaching._rulekit import (
    builtin_rule,
    evidence_records,
    follow_up_by,
    severity_bands,
    team_currency,
)
from pipereview.core._compare import at_least
from pipereview.core._languages import check_language
from pipereview.diagnostics import activity_text, lead_text, no_invoices_text
from pipereview.week import WeekDiagnostics

__all__ = [
    "RULES",
    "activity_below_norm",
    "busy_without_advance",
    "companion_notes",
    "invoice_overdue",
    "lead_conversion_low",
    "lead_source_low",
]

#: The rules this module registers.
RULES: tuple[str, ...] = (
    "activity_below_norm",
    "busy_without_advance",
    "invoice_overdue",
    "lead_conversion_low",
    "lead_source_low",
)

#: activities per advance over the team's median (no advance at all: infinitely many)
_BUSY = severity_bands("busy_without_advance", "activities per advance / median", (4.0,), (2, 3))
_QUIET = severity_bands("activity_below_norm", "activities / team's norm", (0.25,), (2, 1))
_LEADS = severity_bands(
    "lead_conversion_low", "conversion / min_conversion", (0.5, 0.75), (3, 2, 1)
)
_SOURCE = severity_bands("lead_source_low", "conversion / min_conversion", (0.5, 0.75), (3, 2, 1))
_OVERDUE = severity_bands("invoice_overdue", "days overdue", (60.0,), (2, 3), on_edge="lower")


def companion_notes(context: WeekDiagnostics, lang: str = "en") -> tuple[str, ...]:
    """One line per companion export the context lacks: what a sheet shows in place of
    its rules' findings (as :func:`pipereview.diagnostics.not_checked_notes` does for a
    missing column), never a silent "no risk"."""
    check_language(lang)
    texts = {
        "activities": ("Activities per rep", "销售活动量", activity_text("not_available", lang)),
        "leads": ("Lead conversion", "线索转化率", lead_text("not_available", lang)),
        "invoices": ("Overdue invoices", "逾期回款", no_invoices_text(lang)),
    }
    sep, at = ("：", 1) if lang == "zh" else (": ", 0)
    return tuple(
        f"{text[at]}{sep}{text[2]}"
        for kind, text in texts.items()
        if getattr(context.companions, kind) is None
    )


def _currency(context: WeekDiagnostics, teams: pd.Series) -> np.ndarray:
    """The currency of each team's deals (blank when unknown)."""
    deals = context.open_deals
    if deals.empty or "currency" not in deals:
        return np.full(len(teams), "", dtype=object)
    return team_currency(context).reindex(teams.to_numpy()).fillna("").to_numpy(dtype=object)


def _finding(
    context: WeekDiagnostics, hit: pd.DataFrame, evidence: str, **columns: Any
) -> pd.DataFrame:
    """A rule's findings: ``team`` and ``owner`` (if any) of ``hit``, the team's currency,
    ``columns``, the evidence of ``hit``'s columns named in ``evidence`` and ``by``."""
    if hit.empty:  # nothing found
        return pd.DataFrame()
    config = context.config
    hit = hit.assign(by=follow_up_by(context.week, config.follow_up_days, config.holidays))
    rows: dict[str, Any] = {"team": hit["team"].to_numpy()}
    rows["currency"] = _currency(context, hit["team"])
    if "owner" in hit:
        rows["owner"] = hit["owner"].to_numpy()
    rows.update(columns)
    rows["evidence"] = evidence_records(hit, [*evidence.split(), "by"])
    return pd.DataFrame(rows)


@builtin_rule(
    "busy_without_advance",
    kind="risk",
    coaching="skill",
    scope="rep",
    defaults={"min_ratio": 2.0},
    replace=True,
)
def busy_without_advance(context: WeekDiagnostics, params: Mapping[str, Any]) -> pd.DataFrame:
    """A rep with high activity against the team's norm (``activities.high_ratio``, label
    ``high`` of :func:`pipereview.diagnostics.activity_counts`) whose activities per stage
    advance are at least ``min_ratio`` (2) times the team's median, or who has no advance
    at all in the window: effort that moves no deal (needs the activities export).

    Value: the rep's activities per advance (the activities, when no advance); reference:
    the team's median activities per advance. Severity: 3 with no advance or at 4x the
    median or more, else 2. Evidence: the activities and advances, the team's norm, how
    many of the rep's activities were on deals that did not advance in the window.
    """
    figures = context.companion_figures
    counts, advances = figures.activity_rep, figures.activity_advances
    if counts is None or advances is None or counts.empty or advances.empty:
        return pd.DataFrame()
    adv = advances.assign(_team=team_key(advances["team"]))
    per = pd.to_numeric(adv["per_advance"], errors="coerce").astype(float)
    adv = adv.assign(per=per, median=per.groupby(adv["_team"]).transform("median"))
    high = counts[counts["label"] == "high"]
    high = high.assign(_team=team_key(high["team"]))
    merged = high.drop(columns=["activities"]).merge(
        adv[["_team", "owner", "activities", "advances", "per", "median"]], on=["_team", "owner"]
    )
    none = merged["advances"].eq(0)
    ratio = (merged["per"] / merged["median"].where(merged["median"].gt(0))).astype(float)
    hit = merged[none | at_least(ratio, params["min_ratio"])].copy()
    if hit.empty:
        return pd.DataFrame()
    weeks = context.config.activities.window_weeks
    none, ratio = none[hit.index], ratio[hit.index].where(~none[hit.index], np.inf)
    effort = rep_effort(context, weeks)
    hit = hit.merge(effort, on=["_team", "owner"], how="left")
    counted = ["on_deals", "deals_worked", "deals_not_advanced", "activities_not_advanced"]
    hit[counted] = hit.reindex(columns=counted).fillna(0).astype("int64")
    times = [None if n else round(float(r), 2) for n, r in zip(none, ratio, strict=True)]
    hit = hit.assign(no_advance=none.to_numpy(), activity_ratio=hit["ratio"].round(2), weeks=weeks)
    hit["times_median"] = pd.Series(times, index=hit.index, dtype=object)
    value = np.where(hit["no_advance"], hit["activities"], hit["per"])
    return _finding(
        context,
        hit,
        "activities advances no_advance norm activity_ratio times_median on_deals"
        " deals_worked deals_not_advanced activities_not_advanced weeks",
        metric="activities_per_advance",
        value=value,
        reference=hit["median"].to_numpy(),
        severity=_BUSY(ratio.to_numpy()),
    )


@builtin_rule(
    "activity_below_norm", kind="risk", coaching="skill", scope="rep", defaults={}, replace=True
)
def activity_below_norm(context: WeekDiagnostics, params: Mapping[str, Any]) -> pd.DataFrame:
    """A rep whose activities in the window are at or below ``activities.low_ratio`` (half)
    of the team's norm (label ``low`` of :func:`pipereview.diagnostics.activity_counts`;
    needs the activities export).

    Value: the rep's activities; reference: the team's norm (median of its reps).
    Severity: 2 below a quarter of the norm, else 1; one higher (at most 3) when the rep's
    open pipeline is also short of the remaining target (``coverage_below_need``'s
    verdict ``short``, with rep targets).
    """
    counts = context.companion_figures.activity_rep
    if counts is None or counts.empty:
        return pd.DataFrame()
    hit = counts[counts["label"] == "low"]
    if hit.empty:
        return pd.DataFrame()
    forecast = context.forecast_rep
    short = set()
    if "verdict" in forecast:
        rows = forecast[forecast["verdict"] == "short"]
        short = set(zip(rows["team"], rows["owner"], strict=True))
    pairs = zip(hit["team"], hit["owner"], strict=True)
    hit = hit.assign(
        coverage_short=[pair in short for pair in pairs],
        weeks=context.config.activities.window_weeks,
    )
    ratio = hit["ratio"].to_numpy(dtype=float)
    severity = np.minimum(_QUIET(ratio) + hit["coverage_short"].to_numpy(dtype=np.int64), 3)
    return _finding(
        context,
        hit,
        "visit meeting call ratio peers_median per_week coverage_short weeks",
        metric="activities",
        value=hit["activities"].to_numpy(dtype=float),
        reference=hit["norm"].to_numpy(dtype=float),
        severity=severity,
    )


def _team_sums(frame: pd.DataFrame) -> pd.DataFrame:
    """Each team's converted and decided leads (summed over the groups of ``frame``),
    reindexed to the rows of ``frame`` by their team."""
    keys = team_key(frame["team"])
    sums = frame.groupby(keys)[["converted", "decided"]].sum()
    return sums.reindex(keys.to_numpy()).set_index(frame.index)


@builtin_rule(
    "lead_conversion_low", kind="risk", coaching="skill", scope="rep", defaults={}, replace=True
)
def lead_conversion_low(context: WeekDiagnostics, params: Mapping[str, Any]) -> pd.DataFrame:
    """A rep whose leads convert below ``leads.min_conversion`` (the method's 30%) with at
    least ``leads.min_leads`` decided leads (verdict ``below`` of
    :func:`pipereview.diagnostics.lead_conversion` by rep; needs the leads export).

    Value: the rep's conversion; reference: the team's. Severity: 3 below half of the
    rule, 2 below three quarters, else 1.
    """
    reps = context.companion_figures.lead_reps
    if reps is None or reps.empty:
        return pd.DataFrame()
    hit = reps[reps["verdict"] == "below"]
    if hit.empty:
        return pd.DataFrame()
    team = _team_sums(reps).loc[hit.index]
    rule = context.config.leads.min_conversion
    hit = hit.assign(
        team_rate=team["converted"] / team["decided"].where(team["decided"].gt(0)),
        min_conversion=rule,
        weeks=context.config.leads.window_weeks,
    )
    ratio = hit["rate"].to_numpy(dtype=float) / rule if rule > 0 else np.zeros(len(hit))
    return _finding(
        context,
        hit,
        "leads converted disqualified decided min_conversion weeks",
        metric="lead_conversion",
        value=hit["rate"].to_numpy(dtype=float),
        reference=hit["team_rate"].to_numpy(dtype=float),
        severity=_LEADS(ratio),
    )


@builtin_rule(
    "lead_source_low", kind="risk", coaching="team", scope="team", defaults={}, replace=True
)
def lead_source_low(context: WeekDiagnostics, params: Mapping[str, Any]) -> pd.DataFrame:
    """A lead source of a team converting below ``leads.min_conversion`` (30%) with at
    least ``leads.min_leads`` decided leads (verdict ``below`` of
    :func:`pipereview.diagnostics.lead_conversion` by source; needs the leads export):
    tighten the screening of that source's leads (收紧线索筛选).

    Value: the source's conversion; reference: the rule. Severity: 3 below half of the
    rule, 2 below three quarters, else 1. Evidence: the team's other sources' conversion.
    """
    sources = context.companion_figures.lead_sources
    if sources is None or sources.empty:
        return pd.DataFrame()
    hit = sources[sources["verdict"] == "below"]
    if hit.empty:
        return pd.DataFrame()
    rest = _team_sums(sources).loc[hit.index] - hit[["converted", "decided"]]
    rule = context.config.leads.min_conversion
    hit = hit.assign(
        source=hit["lead_source"],
        others_rate=(rest["converted"] / rest["decided"].where(rest["decided"].gt(0))),
        others_decided=rest["decided"].astype("int64"),
        weeks=context.config.leads.window_weeks,
    )
    ratio = hit["rate"].to_numpy(dtype=float) / rule if rule > 0 else np.zeros(len(hit))
    return _finding(
        context,
        hit,
        "source leads converted decided others_rate others_decided weeks",
        metric="lead_conversion",
        value=hit["rate"].to_numpy(dtype=float),
        reference=rule,
        severity=_SOURCE(ratio),
    )


def _owners(context: WeekDiagnostics, overdue: pd.DataFrame) -> pd.Series:
    """Each overdue invoice's rep: the export's owner, else the owner of its deal in the
    history, else of the account's latest deal (None when none is known)."""
    owner = overdue["owner"].astype(object)
    latest = context.latest
    if latest.empty:
        return owner.where(owner.notna(), None)
    if "deal_id" in latest and owner.isna().any():  # only an invoice without owner
        by_deal = latest[["deal_id", "owner"]].dropna(subset=["deal_id"])
        by_deal = by_deal.drop_duplicates("deal_id", keep="last")
        owner = owner.fillna(overdue["deal_id"].map(by_deal.set_index("deal_id")["owner"]))
    if "account" in latest and owner.isna().any():
        by_account = latest[["account", "owner"]].dropna(subset=["account"])
        by_account = by_account.drop_duplicates("account", keep="last")
        owner = owner.fillna(overdue["account"].map(by_account.set_index("account")["owner"]))
    return owner.where(owner.notna(), None)


@builtin_rule(
    "invoice_overdue", kind="risk", coaching="skill", scope="rep", defaults={}, replace=True
)
def invoice_overdue(context: WeekDiagnostics, params: Mapping[str, Any]) -> pd.DataFrame:
    """A rep whose customers owe money more than ``collections.overdue_days`` (30) past
    the due date (:func:`pipereview.diagnostics.overdue_invoices`, 逾期; needs the invoices
    export): one finding per rep and currency, listing the invoices, the longest overdue
    first. The rep is the invoice's owner, else its deal's, else the account's (blank when
    none is known: the finding stays on the team's summary).

    Value: the longest days overdue; reference: ``overdue_days``. Severity: 2 up to 60
    days, 3 beyond. Amount at stake: what is still owed on them.
    """
    overdue = context.companion_figures.overdue
    if overdue is None or overdue.empty:
        return pd.DataFrame()
    deal_currency = pd.Series(_currency(context, overdue["team"]), index=overdue.index)
    frame = overdue.assign(
        owner=_owners(context, overdue).fillna(""),
        currency=overdue["currency"].fillna(deal_currency).fillna(""),
        due=pd.to_datetime(overdue["due_date"]).dt.strftime("%Y-%m-%d"),
    ).sort_values(["days_overdue", "owed"], ascending=False, kind="stable")
    frame["label"] = frame["invoice_id"].fillna(frame["account"]).fillna("").astype(str)
    groups = frame.groupby(["team", "owner", "currency"], sort=True, dropna=False)
    first = groups[["label", "account", "due", "amount", "owed"]].first()  # the longest overdue
    hit = pd.DataFrame(
        {
            "invoices": groups.size(),
            "owed": groups["owed"].sum(),
            "days_overdue": groups["days_overdue"].max(),
            "invoice_id": first["label"],
            "account": first["account"],
            "due_date": first["due"],
            "invoice_amount": first["amount"],
            "invoice_owed": first["owed"],
            "invoice_ids": groups["label"].agg(", ".join),
        }
    ).reset_index()
    limit = context.config.collections.overdue_days
    hit = hit.assign(overdue_days=limit)
    return _finding(
        context,
        hit,
        "invoices invoice_id due_date invoice_amount invoice_owed invoice_ids overdue_days",
        account=hit["account"].to_numpy(),
        metric="days_overdue",
        value=hit["days_overdue"].to_numpy(dtype=float),
        reference=float(limit),
        severity=_OVERDUE(hit["days_overdue"].to_numpy(dtype=float)),
        amount_at_stake=hit["owed"].to_numpy(dtype=float),
        currency=hit["currency"].to_numpy(),
    )
