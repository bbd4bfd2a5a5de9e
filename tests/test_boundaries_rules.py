"""The coaching rules at their thresholds: each rule's settings and severity bands exactly
at their value, just below and just above (see ``tests/_boundaries.py``).

Contexts are built as in ``tests/test_coaching_rules.py``: each diagnostic a rule reads is
given directly, so each case states exactly the figure the rule compares."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from _boundaries import boundary
from pipereview.coaching import coaching_findings
from pipereview.coaching._rulekit import SEVERITY_BANDS
from pipereview.coaching.rules_strengths import biggest_progress
from pipereview.week import WeekDiagnostics
from test_coaching_rules import (
    MONDAY,
    _forecast,
    _move_on,
    _progress,
    context,
    gap_row,
    risk_row,
)

NUDGE = 1e-6


def findings(ctx: WeekDiagnostics, rule: str, **params: Any) -> pd.DataFrame:
    return coaching_findings(ctx, rules=[rule], settings={rule: params})


def fires(ctx: WeekDiagnostics, rule: str, **params: Any) -> bool:
    return not findings(ctx, rule, **params).empty


def severity_of(ctx: WeekDiagnostics, rule: str, **params: Any) -> int:
    found = findings(ctx, rule, **params)
    assert len(found) == 1
    return int(found.loc[0, "severity"])


# --- severity bands: the documented bands, figure by figure ---------------------------

#: rule -> (figure, severity) just below, at and just above each documented edge
BANDS = {
    "stalled_deal": [(2 - NUDGE, 1), (2, 2), (3 - NUDGE, 2), (3, 3)],
    "stage_inflation": [(1, 1), (2, 2), (3, 3), (4, 3)],
    "missing_exit_criteria": [(1.5 - NUDGE, 1), (1.5, 2), (2 - NUDGE, 2), (2, 3)],
    "no_decision_maker": [(1, 2), (2, 3), (3, 3)],
    "no_coach": [(1, 1), (2, 2), (3, 2)],
    "repeated_pushes": [(0, 1), (1, 2), (2, 3), (3, 3)],
    "close_date_past": [(13, 1), (14, 2), (29, 2), (30, 3), (31, 3)],
    "low_stage_conversion": [(0.25 - NUDGE, 3), (0.25, 2), (0.5 - NUDGE, 2), (0.5, 1)],
    "thin_funnel_top": [(1 / 3 - NUDGE, 3), (1 / 3, 2), (1 / 3 + NUDGE, 2)],
    "coverage_below_need": [(0.5 - NUDGE, 3), (0.5, 2), (0.75 - NUDGE, 2), (0.75, 1)],
    "forecast_deviation": [(0.2, 1), (0.2 + NUDGE, 2), (0.3, 2), (0.3 + NUDGE, 3)],
    "deal_concentration": [(0.55, 1), (0.55 + NUDGE, 2), (0.7, 2), (0.7 + NUDGE, 3)],
    "zero_win_rate": [(5, 2), (6 - NUDGE, 2), (6, 3), (7, 3)],
    "below_stage_standard": [(0.15 - NUDGE, 1), (0.15, 2), (0.3 - NUDGE, 2), (0.3, 3)],
    "busy_without_advance": [(4 - NUDGE, 2), (4, 3), (float("inf"), 3)],
    "activity_below_norm": [(0.25 - NUDGE, 2), (0.25, 1), (0.5, 1)],
    "lead_conversion_low": [(0.5 - NUDGE, 3), (0.5, 2), (0.75 - NUDGE, 2), (0.75, 1)],
    "lead_source_low": [(0.5 - NUDGE, 3), (0.5, 2), (0.75 - NUDGE, 2), (0.75, 1)],
    "invoice_overdue": [(31, 2), (60, 2), (60 + NUDGE, 3), (61, 3)],
    "call_stale": [(1, 1), (3, 1), (3 + NUDGE, 2), (4, 2), (float("inf"), 2)],
    "call_bias": [(0.11, 1), (0.25, 1), (0.25 + NUDGE, 2), (0.35, 2)],
}


@boundary(
    "severity.activity_below_norm",
    "severity.below_stage_standard",
    "severity.busy_without_advance",
    "severity.call_bias",
    "severity.call_stale",
    "severity.close_date_past",
    "severity.coverage_below_need",
    "severity.deal_concentration",
    "severity.forecast_deviation",
    "severity.invoice_overdue",
    "severity.lead_conversion_low",
    "severity.lead_source_low",
    "severity.low_stage_conversion",
    "severity.missing_exit_criteria",
    "severity.no_coach",
    "severity.no_decision_maker",
    "severity.repeated_pushes",
    "severity.stage_inflation",
    "severity.stalled_deal",
    "severity.thin_funnel_top",
    "severity.zero_win_rate",
)
@pytest.mark.parametrize("rule", sorted(BANDS))
def test_severity_bands_are_the_documented_ones(rule: str) -> None:
    figures, expected = zip(*BANDS[rule], strict=True)
    assert SEVERITY_BANDS[rule](pd.Series(figures)).tolist() == list(expected)


def test_every_rules_bands_are_checked_here() -> None:
    assert sorted(SEVERITY_BANDS) == sorted(BANDS)


def test_bands_refuse_levels_that_do_not_fit_their_edges() -> None:
    from pipereview.coaching._rulekit import SeverityBands

    with pytest.raises(ValueError, match="2 ascending edges need 3 levels"):
        SeverityBands("r", "x", (0.5, 0.75), (3, 2))
    with pytest.raises(ValueError, match="ascending"):
        SeverityBands("r", "x", (0.75, 0.5), (3, 2, 1))
    with pytest.raises(ValueError, match="levels are 1 to 3"):
        SeverityBands("r", "x", (0.5,), (4, 1))


# --- each rule reads its bands from the right figure (a figure exactly on an edge) -----


def test_stalled_deal_severity_is_days_over_the_threshold() -> None:
    risks = pd.DataFrame([risk_row("A", days_since_activity=60.0)])  # exactly 2x 30
    assert severity_of(context(risks=risks), "stalled_deal") == 2
    assert severity_of(context(risks=risks), "stalled_deal", stalled_days=20) == 3  # 3x


def test_missing_exit_criteria_severity_is_days_over_the_typical() -> None:
    risks = pd.DataFrame([risk_row("A", days_in_stage=31.5, past_typical=True)])  # 1.5x 21
    gaps = pd.DataFrame([gap_row("A")])
    assert severity_of(context(risks=risks, gaps=gaps), "missing_exit_criteria") == 2
    risks = pd.DataFrame([risk_row("A", days_in_stage=31.4, past_typical=True)])
    assert severity_of(context(risks=risks, gaps=gaps), "missing_exit_criteria") == 1


def test_repeated_pushes_severity_counts_pushes_beyond_the_limit() -> None:
    for pushes, expected in ((2, 1), (3, 2), (4, 3)):
        risks = pd.DataFrame([risk_row("A", push_count=pushes)])
        assert severity_of(context(risks=risks), "repeated_pushes") == expected
    risks = pd.DataFrame([risk_row("A", push_count=4)])
    assert severity_of(context(risks=risks), "repeated_pushes", push_limit=4) == 1


def test_close_date_past_severity_is_days_overdue() -> None:
    for days, expected in ((13, 1), (14, 2), (29, 2), (30, 3)):
        close = MONDAY - pd.Timedelta(days=days)
        risks = pd.DataFrame([risk_row("A", close_date=close, close_date_past=True)])
        assert severity_of(context(risks=risks), "close_date_past") == expected


def test_coverage_below_need_severity_is_coverage_over_what_is_needed() -> None:
    # need 4x: 2.0x is exactly half (severity 2), 3.0x exactly three quarters (1)
    for coverage, expected in ((1.999, 3), (2.0, 2), (2.999, 2), (3.0, 1)):
        forecast = _forecast([coverage, 4.0])
        assert severity_of(context(forecast_rep=forecast), "coverage_below_need") == expected


def test_deal_concentration_severity_is_the_deals_share() -> None:
    for big, expected in ((550.0, 1), (551.0, 2), (700.0, 2), (701.0, 3)):
        deals = _rep_deals([big, 1000.0 - big - 100.0, 100.0])
        assert severity_of(context(open_deals=deals), "deal_concentration") == expected


def test_plan_severity_is_points_behind() -> None:
    for points, expected in ((-0.2, 1), (-0.21, 2), (-0.3, 2), (-0.31, 3)):
        progress = _progress([points, 0.5], owner=True)
        assert severity_of(context(progress_rep=progress), "forecast_deviation") == expected


def test_low_stage_conversion_severity_is_the_rate_over_the_teammates() -> None:
    # teammates 40 of 80 (50%); Ann 5 of 40 (12.5%, a quarter of it: severity 2)
    moves = _move_on([("Ann", "s", 40, 5), ("Bo", "s", 80, 40)])
    assert severity_of(context(move_on_rep=moves), "low_stage_conversion") == 2
    moves = _move_on([("Ann", "s", 40, 4), ("Bo", "s", 80, 40)])  # 10%: under a quarter
    assert severity_of(context(move_on_rep=moves), "low_stage_conversion") == 3


def test_thin_funnel_top_severity_is_the_inflow_over_the_reference() -> None:
    for inflow, expected in ((0.999, 3), (1.0, 2)):  # reference 3: just under and exactly 1/3
        shape = pd.DataFrame(
            {
                "team": ["T"],
                "label": ["thin_top"],
                "inflow_rate": [inflow],
                "ref_inflow_rate": [3.0],
                "open_deals": [100],
                "top_share": [0.1],
                "ref_top_share": [0.45],
                "inflow_per_week": [1.0],
            }
        )
        assert severity_of(context(shape_team=shape), "thin_funnel_top") == expected


# --- each rule's settings, at the default and at another value -------------------------


@boundary("rules.stalled_deal.stalled_days")
@pytest.mark.parametrize(
    ("days", "limit", "fired"),
    [(29, 30, False), (30, 30, True), (31, 30, True), (9, 10, False), (10, 10, True)],
)
def test_stalled_days_or_more_is_stalled(days: int, limit: int, fired: bool) -> None:
    risks = pd.DataFrame([risk_row("A", days_since_activity=float(days))])
    assert fires(context(risks=risks), "stalled_deal", stalled_days=limit) is fired


@boundary("rules.stage_inflation.min_stages")
@pytest.mark.parametrize(
    ("inflated", "minimum", "fired"),
    [(0, 1, False), (1, 1, True), (2, 1, True), (1, 2, False), (2, 2, True), (3, 2, True)],
)
def test_min_stages_inflated_or_more_is_inflation(inflated: int, minimum: int, fired: bool) -> None:
    gaps = pd.DataFrame([gap_row("A", stages_inflated=inflated, inflated=inflated > 0)])
    assert fires(context(gaps=gaps), "stage_inflation", min_stages=minimum) is fired


@boundary("rules.repeated_pushes.push_limit")
@pytest.mark.parametrize(
    ("pushes", "limit", "fired"),
    [(1, 2, False), (2, 2, True), (3, 2, True), (3, 4, False), (4, 4, True), (5, 4, True)],
)
def test_push_limit_pushes_or_more_is_repeated(pushes: int, limit: int, fired: bool) -> None:
    risks = pd.DataFrame([risk_row("A", push_count=pushes)])
    assert fires(context(risks=risks), "repeated_pushes", push_limit=limit) is fired


@boundary("rules.close_date_past.grace_days")
@pytest.mark.parametrize(
    ("overdue", "grace", "fired"),
    [(1, 0, True), (6, 7, False), (7, 7, False), (8, 7, True)],
)
def test_more_than_grace_days_overdue_fires(overdue: int, grace: int, fired: bool) -> None:
    close = MONDAY - pd.Timedelta(days=overdue)
    risks = pd.DataFrame([risk_row("A", close_date=close, close_date_past=True)])
    assert fires(context(risks=risks), "close_date_past", grace_days=grace) is fired


def _rep_deals(amounts: list[float], owner: str = "Ann") -> pd.DataFrame:
    ids = [f"{owner}{i}" for i in range(len(amounts))]
    return pd.DataFrame(
        {
            "team": "T",
            "owner": owner,
            "deal_id": ids,
            "deal_key": ids,
            "deal_name": ids,
            "account": "Acme",
            "stage_model": "generic_4",
            "stage": "needs_confirmed",
            "currency": "EUR",
            "amount": amounts,
        }
    )


@boundary("rules.deal_concentration.max_share")
@pytest.mark.parametrize(
    ("big", "max_share", "fired"),
    [
        (399.0, 0.4, False),
        (400.0, 0.4, False),
        (401.0, 0.4, True),
        (250.0, 0.25, False),
        (251.0, 0.25, True),
    ],
)
def test_a_deal_above_max_share_is_concentration(big: float, max_share: float, fired: bool) -> None:
    deals = _rep_deals([big, *[(1000.0 - big) / 6] * 6])  # Ann0's share: big / 1000
    found = findings(context(open_deals=deals), "deal_concentration", max_share=max_share)
    assert ("Ann0" in found["deal_id"].tolist()) is fired


@boundary("rules.deal_concentration.min_deals")
@pytest.mark.parametrize(
    ("count", "minimum", "fired"),
    [(2, 3, False), (3, 3, True), (4, 3, True), (4, 5, False), (5, 5, True)],
)
def test_min_deals_open_or_more_are_judged(count: int, minimum: int, fired: bool) -> None:
    deals = _rep_deals([900.0] + [10.0] * (count - 1))
    assert fires(context(open_deals=deals), "deal_concentration", min_deals=minimum) is fired


# low_stage_conversion and best_conversion: Ann's rate against her teammate Bo's, with the
# other settings out of the way (a p-value limit of 1), each setting at the exact figure


def _rates(ann: tuple[int, int], bo: tuple[int, int]) -> WeekDiagnostics:
    return context(move_on_rep=_move_on([("Ann", "s", *ann), ("Bo", "s", *bo)]))


def _ann(ctx: WeekDiagnostics, rule: str, **params: Any) -> bool:
    return "Ann" in findings(ctx, rule, **params)["owner"].tolist()


@boundary("rules.low_stage_conversion.min_exposures", "rules.best_conversion.min_exposures")
@pytest.mark.parametrize(
    ("exposures", "minimum", "fired"),
    [(9, 10, False), (10, 10, True), (11, 10, True), (19, 20, False), (20, 20, True)],
)
def test_min_exposures_or_more_get_a_verdict(exposures: int, minimum: int, fired: bool) -> None:
    slow = _rates((exposures, 0), (80, 40))  # Ann never moved on; Bo half the time
    assert _ann(slow, "low_stage_conversion", min_exposures=minimum, max_p_value=1.0) is fired
    fast = _rates((exposures, exposures), (80, 8))  # Ann always; Bo a tenth of the time
    assert _ann(fast, "best_conversion", min_exposures=minimum, max_p_value=1.0) is fired


@boundary("rules.low_stage_conversion.max_ratio")
@pytest.mark.parametrize(
    ("ratio", "fired"), [(0.5 - NUDGE, False), (0.5, True), (0.5 + NUDGE, True)]
)
def test_a_rate_at_most_max_ratio_of_the_teammates_is_low(ratio: float, fired: bool) -> None:
    ctx = _rates((40, 10), (80, 40))  # 25% against 50%: exactly half
    assert _ann(ctx, "low_stage_conversion", max_ratio=ratio, max_p_value=1.0) is fired
    assert _ann(ctx, "low_stage_conversion", max_p_value=1.0)  # default 0.6


def test_a_rate_a_tolerance_above_max_ratio_of_the_teammates_is_still_low() -> None:
    ctx = _rates((40, 10), (80, 40))  # 25% against 50%
    ratio = (0.25 - 1e-9) / 0.5  # max_ratio x 50% falls 1e-9 short of 25%: within tolerance
    assert _ann(ctx, "low_stage_conversion", max_ratio=ratio, max_p_value=1.0)
    assert not _ann(ctx, "low_stage_conversion", max_ratio=ratio - 1e-8, max_p_value=1.0)


@boundary("rules.low_stage_conversion.min_gap")
@pytest.mark.parametrize(
    ("gap", "fired"), [(0.25 - NUDGE, True), (0.25, True), (0.25 + NUDGE, False)]
)
def test_a_rate_min_gap_below_the_teammates_is_low(gap: float, fired: bool) -> None:
    ctx = _rates((40, 10), (80, 40))  # 25% against 50%: 0.25 apart
    assert _ann(ctx, "low_stage_conversion", min_gap=gap, max_p_value=1.0) is fired


@boundary("rules.low_stage_conversion.max_p_value", "rules.best_conversion.max_p_value")
def test_a_p_value_at_most_max_p_value_is_a_verdict() -> None:
    from pipereview.core._exacttest import fisher_one_sided

    slow = _rates((40, 10), (80, 40))
    p = fisher_one_sided(((10, 30), (40, 40)), "less")
    for limit, fired in ((p * (1 - 1e-6), False), (p, True), (p * (1 + 1e-6), True)):
        assert _ann(slow, "low_stage_conversion", max_p_value=limit) is fired
    assert _ann(slow, "low_stage_conversion")  # p well under the default 0.05
    fast = _rates((40, 30), (80, 40))
    p = fisher_one_sided(((30, 10), (40, 40)), "greater")
    for limit, fired in ((p * (1 - 1e-6), False), (p, True), (p * (1 + 1e-6), True)):
        assert _ann(fast, "best_conversion", max_p_value=limit) is fired


@boundary("rules.best_conversion.min_ratio")
@pytest.mark.parametrize(
    ("ratio", "fired"), [(1.5 - NUDGE, True), (1.5, True), (1.5 + NUDGE, False)]
)
def test_a_rate_min_ratio_times_the_teammates_is_a_strength(ratio: float, fired: bool) -> None:
    ctx = _rates((40, 30), (80, 40))  # 75% against 50%: 1.5 times
    assert _ann(ctx, "best_conversion", min_ratio=ratio, max_p_value=1.0) is fired


@boundary("rules.best_conversion.min_gap")
@pytest.mark.parametrize(
    ("gap", "fired"), [(0.25 - NUDGE, True), (0.25, True), (0.25 + NUDGE, False)]
)
def test_a_rate_min_gap_above_the_teammates_is_a_strength(gap: float, fired: bool) -> None:
    ctx = _rates((40, 30), (80, 40))  # 75% against 50%
    assert _ann(ctx, "best_conversion", min_gap=gap, max_p_value=1.0) is fired


@boundary("rules.biggest_progress.min_advances")
@pytest.mark.parametrize(
    ("advances", "minimum", "fired"),
    [(1, 2, False), (2, 2, True), (3, 2, True), (2, 3, False), (3, 3, True)],
)
def test_min_advances_or_more_is_progress(advances: int, minimum: int, fired: bool) -> None:
    keys = [f"D{i}" for i in range(3)]
    prev = pd.DataFrame(
        {
            "team": "T",
            "owner": "Ann",
            "deal_key": keys,
            "stage_model": "generic_4",
            "stage": "initial_contact",
            "amount": 100.0,
        }
    )
    moved = ["needs_confirmed"] * advances + ["initial_contact"] * (3 - advances)
    now = prev.assign(stage=moved, currency="EUR", snapshot_week="2026-W47")
    ctx = context(previous_week=prev, latest=now, open_deals=now)
    assert fires(ctx, "biggest_progress", min_advances=minimum) is fired


def _evidence(ann_open: int, ann_clean: int, bo_open: int, bo_clean: int) -> WeekDiagnostics:
    rows = [gap_row(f"A{i}", owner="Ann", inflated=i >= ann_clean) for i in range(ann_open)]
    rows += [gap_row(f"B{i}", owner="Bo", inflated=i >= bo_clean) for i in range(bo_open)]
    return context(gaps=pd.DataFrame(rows))


@boundary("rules.most_complete_evidence.min_open")
@pytest.mark.parametrize(
    ("ann_open", "minimum", "fired"),
    [(4, 5, False), (5, 5, True), (6, 5, True), (7, 8, False), (8, 8, True)],
)
def test_min_open_deals_or_more_are_judged(ann_open: int, minimum: int, fired: bool) -> None:
    ctx = _evidence(ann_open, ann_open, 4, 2)  # all clean against half
    assert _ann(ctx, "most_complete_evidence", min_open=minimum) is fired


@boundary("rules.most_complete_evidence.min_gap")
@pytest.mark.parametrize(
    ("gap", "fired"), [(0.25 - NUDGE, True), (0.25, True), (0.25 + NUDGE, False)]
)
def test_a_share_min_gap_above_the_team_is_a_strength(gap: float, fired: bool) -> None:
    ctx = _evidence(4, 3, 4, 2)  # 75% clean against 50%
    assert _ann(ctx, "most_complete_evidence", min_open=4, min_gap=gap) is fired
    assert _ann(ctx, "most_complete_evidence", min_open=4)  # default 0.1


def test_a_strength_of_a_team_without_open_deals_has_a_blank_currency() -> None:
    # Ann's deals moved on in team U's latest week; the open deals are teams T's and V's
    deals = pd.DataFrame({"team": ["T", "V"], "owner": "Cy", "currency": ["EUR", "USD"]})
    for team, currency in (("U", ""), ("T", "EUR"), ("V", "USD")):
        prev = pd.DataFrame(
            {
                "team": team,
                "owner": "Ann",
                "deal_key": ["D0", "D1"],
                "stage_model": "generic_4",
                "stage": "initial_contact",
                "amount": 100.0,
            }
        )
        now = prev.assign(stage="needs_confirmed", currency="CNY", snapshot_week="2026-W47")
        ctx = context(previous_week=prev, latest=now, open_deals=deals)
        found = findings(ctx, "biggest_progress", min_advances=2)
        assert found[["team", "owner", "currency"]].to_dict("records") == [
            {"team": team, "owner": "Ann", "currency": currency}
        ]
        assert biggest_progress(ctx, {"min_advances": 2})["currency"].tolist() == [currency]
