"""The week's figures: process evidence and BANT, funnel, forecast, aging, trends,
conversion, targets, accounts, the waterfall, changes, and the one definition of each
printed figure.

>>> from pipereview.diagnostics import period_bounds
>>> [str(day.date()) for day in period_bounds("2026-Q4")]
['2026-10-01', '2026-12-31']
"""

from __future__ import annotations

from pipereview.diagnostics._accounts import ABC_COLUMNS, ABCSettings, abc_accounts, abc_summary
from pipereview.diagnostics._aging import (
    DURATION_COLUMNS,
    RISK_COLUMNS,
    RISK_FLAGS,
    RiskSettings,
    deal_risks,
    risk_summary,
    stage_durations,
)
from pipereview.diagnostics._bant import (
    BANT_COLUMNS,
    BANT_ITEMS,
    bant_check,
    missed_criteria,
    process_rollup,
)
from pipereview.diagnostics._benchmarks import (
    BENCHMARK_COLUMNS,
    BENCHMARK_STATUSES,
    NEEDS_STAGES,
    Benchmarks,
    conversion_against_standards,
    stage_benchmarks,
    steps_beyond_standard,
)
from pipereview.diagnostics._calibration import (
    CALIBRATION_COLUMNS,
    CALIBRATION_VERDICTS,
    stage_calibration,
    wait_days,
)
from pipereview.diagnostics._capabilities import (
    COACHING_CHECKS,
    EVIDENCE,
    REQUIREMENTS,
    column_label,
    currency_code,
    missing_for,
    not_checked,
    not_checked_notes,
    recorded_columns,
)
from pipereview.diagnostics._cents import allocate_cents
from pipereview.diagnostics._changes import SUMMARY_CATEGORIES, change_summary, week_change_summary
from pipereview.diagnostics._conversion import (
    CONVERSION_COLUMNS,
    OUTCOMES,
    VELOCITY_COLUMNS,
    VELOCITY_MIN_WON,
    cohort_conversion,
    sales_velocity,
)
from pipereview.diagnostics._evidence import PLACEHOLDER_NAMES, MissingColumn, named_mask
from pipereview.diagnostics._evidenceforecast import (
    EVIDENCE_FORECAST_COLUMNS,
    evidence_totals,
    evidence_weighted,
)
from pipereview.diagnostics._figures import (
    OUTLOOKS,
    activity_days,
    as_of_day,
    coverage_needed,
    days_text,
    gap_text,
    new_deal_counts,
    new_deals,
    outlook,
    outlook_text,
    plan_deviation,
    plan_deviation_text,
    stage_days,
    win_rate,
)
from pipereview.diagnostics._forecast import (
    OPEN_CATEGORIES,
    ForecastSettings,
    as_week,
    category_rollup,
    period_forecast,
    weighted_pipeline,
    win_rates,
    won_deals,
)
from pipereview.diagnostics._funnel import STAGE_TABLE_COLUMNS, move_on_rates, stage_table
from pipereview.diagnostics._labels import criterion_label, with_labels
from pipereview.diagnostics._process import GAP_COLUMNS, missing_evidence_columns, process_gaps
from pipereview.diagnostics._repsplit import REP_RULES, check_split, rep_rule_text, split_weights
from pipereview.diagnostics._seasons import (
    SEASONS,
    SeasonShape,
    check_season,
    plan_rule_text,
    season_shapes,
    seasonal_week_cents,
)
from pipereview.diagnostics._shape import SHAPE_COLUMNS, SHAPE_LABELS, ShapeThresholds, funnel_shape
from pipereview.diagnostics._targetfile import TARGET_COLUMNS, load_targets
from pipereview.diagnostics._targets import (
    PlanSettings,
    decompose_target,
    plan_shapes,
    plan_to_date,
    progress,
    rep_targets,
)
from pipereview.diagnostics._trend_weeks import quarter_of
from pipereview.diagnostics._trends import METRICS, TrendSettings, rep_comparison, weekly_metrics
from pipereview.diagnostics._waterfall import STEPS, period_bounds, waterfall, waterfall_deals

__all__ = [
    "ABC_COLUMNS",
    "BANT_COLUMNS",
    "BANT_ITEMS",
    "BENCHMARK_COLUMNS",
    "BENCHMARK_STATUSES",
    "CALIBRATION_COLUMNS",
    "CALIBRATION_VERDICTS",
    "COACHING_CHECKS",
    "CONVERSION_COLUMNS",
    "DURATION_COLUMNS",
    "EVIDENCE",
    "EVIDENCE_FORECAST_COLUMNS",
    "GAP_COLUMNS",
    "METRICS",
    "NEEDS_STAGES",
    "OPEN_CATEGORIES",
    "OUTCOMES",
    "OUTLOOKS",
    "PLACEHOLDER_NAMES",
    "REP_RULES",
    "REQUIREMENTS",
    "RISK_COLUMNS",
    "RISK_FLAGS",
    "SEASONS",
    "SHAPE_COLUMNS",
    "SHAPE_LABELS",
    "STAGE_TABLE_COLUMNS",
    "STEPS",
    "SUMMARY_CATEGORIES",
    "TARGET_COLUMNS",
    "VELOCITY_COLUMNS",
    "VELOCITY_MIN_WON",
    "ABCSettings",
    "Benchmarks",
    "ForecastSettings",
    "MissingColumn",
    "PlanSettings",
    "RiskSettings",
    "SeasonShape",
    "ShapeThresholds",
    "TrendSettings",
    "abc_accounts",
    "abc_summary",
    "activity_days",
    "allocate_cents",
    "as_of_day",
    "as_week",
    "bant_check",
    "category_rollup",
    "change_summary",
    "check_season",
    "check_split",
    "cohort_conversion",
    "column_label",
    "conversion_against_standards",
    "coverage_needed",
    "criterion_label",
    "currency_code",
    "days_text",
    "deal_risks",
    "decompose_target",
    "evidence_totals",
    "evidence_weighted",
    "funnel_shape",
    "gap_text",
    "load_targets",
    "missed_criteria",
    "missing_evidence_columns",
    "missing_for",
    "move_on_rates",
    "named_mask",
    "new_deal_counts",
    "new_deals",
    "not_checked",
    "not_checked_notes",
    "outlook",
    "outlook_text",
    "period_bounds",
    "period_forecast",
    "plan_deviation",
    "plan_deviation_text",
    "plan_rule_text",
    "plan_shapes",
    "plan_to_date",
    "process_gaps",
    "process_rollup",
    "progress",
    "quarter_of",
    "recorded_columns",
    "rep_comparison",
    "rep_rule_text",
    "rep_targets",
    "risk_summary",
    "sales_velocity",
    "season_shapes",
    "seasonal_week_cents",
    "split_weights",
    "stage_benchmarks",
    "stage_calibration",
    "stage_days",
    "stage_durations",
    "stage_table",
    "steps_beyond_standard",
    "wait_days",
    "waterfall",
    "waterfall_deals",
    "week_change_summary",
    "weekly_metrics",
    "weighted_pipeline",
    "win_rate",
    "win_rates",
    "with_labels",
    "won_deals",
]
