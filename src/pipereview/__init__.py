"""pipereview: the weekly sales-pipeline review on the Jupyter stack.

>>> import pipereview as pr
>>> pr.Week.parse("2026-W47").monday.isoformat()
'2026-11-16'
"""

from __future__ import annotations

from pipereview import _startup  # noqa: F401  (first: defers a slow third-party import)
from pipereview.coaching import CoachingContext
from pipereview.config import Config, as_config, load_config
from pipereview.core._errors import (
    ColumnMapError,
    ConfigError,
    EncodingError,
    InputError,
    InvalidWeekError,
    PipereviewError,
    Problem,
    SchemaError,
    StageModelError,
    StoreError,
    WeekExistsError,
    WeekNotFoundError,
)
from pipereview.core._stages import Stage, StageModel, load_stage_model, stage_model_names
from pipereview.core._weeks import Week
from pipereview.delivery import PeriodReview, WeeklyReview
from pipereview.diagnostics._accounts import ABC_COLUMNS, ABCSettings, abc_accounts, abc_summary
from pipereview.diagnostics._aging import (
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
from pipereview.diagnostics._calibration import stage_calibration
from pipereview.diagnostics._changes import change_summary, week_change_summary
from pipereview.diagnostics._conversion import (
    CONVERSION_COLUMNS,
    OUTCOMES,
    VELOCITY_COLUMNS,
    cohort_conversion,
    sales_velocity,
)
from pipereview.diagnostics._evidence import MissingColumn
from pipereview.diagnostics._forecast import (
    OPEN_CATEGORIES,
    ForecastSettings,
    category_rollup,
    period_forecast,
    weighted_pipeline,
    win_rates,
    won_deals,
)
from pipereview.diagnostics._funnel import STAGE_TABLE_COLUMNS, move_on_rates, stage_table
from pipereview.diagnostics._labels import criterion_label, with_labels
from pipereview.diagnostics._process import GAP_COLUMNS, missing_evidence_columns, process_gaps
from pipereview.diagnostics._shape import SHAPE_COLUMNS, ShapeThresholds, funnel_shape
from pipereview.diagnostics._targets import (
    TARGET_COLUMNS,
    PlanSettings,
    decompose_target,
    load_targets,
    plan_to_date,
    progress,
    rep_targets,
)
from pipereview.diagnostics._trends import METRICS, TrendSettings, rep_comparison, weekly_metrics
from pipereview.diagnostics._waterfall import STEPS, period_bounds, waterfall, waterfall_deals
from pipereview.history._intake import WeekIngest, ingest_folder, ingest_week
from pipereview.history._matching import (
    MATCH_COLUMNS,
    MatchSettings,
    match_deals,
    normalize_account,
)
from pipereview.history._movements import CATEGORIES, MOVEMENT_COLUMNS, deal_movements
from pipereview.history._prepared import PreparedHistory, prepare_history
from pipereview.history._store import SnapshotStore
from pipereview.history._trail import (
    SUMMARY_COLUMNS,
    TRAIL_COLUMNS,
    days_in_stage,
    deal_key,
    deal_summary,
    deal_trail,
    with_deal_keys,
)
from pipereview.ingest._columnmaps import (
    ColumnMap,
    column_map_names,
    detect_column_map,
    load_column_map,
)
from pipereview.ingest._export import IngestReport, IngestResult, load_snapshot, read_export
from pipereview.ingest._schema import SNAPSHOT_COLUMNS, open_mask, validate_snapshot
from pipereview.week import WeekDiagnostics

__version__ = "0.1.0"


__all__ = [
    "ABC_COLUMNS",
    "BANT_COLUMNS",
    "BANT_ITEMS",
    "CATEGORIES",
    "CONVERSION_COLUMNS",
    "GAP_COLUMNS",
    "MATCH_COLUMNS",
    "METRICS",
    "MOVEMENT_COLUMNS",
    "OPEN_CATEGORIES",
    "OUTCOMES",
    "RISK_COLUMNS",
    "RISK_FLAGS",
    "SHAPE_COLUMNS",
    "SNAPSHOT_COLUMNS",
    "STAGE_TABLE_COLUMNS",
    "STEPS",
    "SUMMARY_COLUMNS",
    "TARGET_COLUMNS",
    "TRAIL_COLUMNS",
    "VELOCITY_COLUMNS",
    "ABCSettings",
    "CoachingContext",
    "ColumnMap",
    "ColumnMapError",
    "Config",
    "ConfigError",
    "EncodingError",
    "ForecastSettings",
    "IngestReport",
    "IngestResult",
    "InputError",
    "InvalidWeekError",
    "MatchSettings",
    "MissingColumn",
    "PeriodReview",
    "PipereviewError",
    "PlanSettings",
    "PreparedHistory",
    "Problem",
    "RiskSettings",
    "SchemaError",
    "ShapeThresholds",
    "SnapshotStore",
    "Stage",
    "StageModel",
    "StageModelError",
    "StoreError",
    "TrendSettings",
    "Week",
    "WeekDiagnostics",
    "WeekExistsError",
    "WeekIngest",
    "WeekNotFoundError",
    "WeeklyReview",
    "__version__",
    "abc_accounts",
    "abc_summary",
    "as_config",
    "bant_check",
    "category_rollup",
    "change_summary",
    "cohort_conversion",
    "column_map_names",
    "criterion_label",
    "days_in_stage",
    "deal_key",
    "deal_movements",
    "deal_risks",
    "deal_summary",
    "deal_trail",
    "decompose_target",
    "detect_column_map",
    "funnel_shape",
    "ingest_folder",
    "ingest_week",
    "load_column_map",
    "load_config",
    "load_snapshot",
    "load_stage_model",
    "load_targets",
    "match_deals",
    "missed_criteria",
    "missing_evidence_columns",
    "move_on_rates",
    "normalize_account",
    "open_mask",
    "period_bounds",
    "period_forecast",
    "plan_to_date",
    "prepare_history",
    "process_gaps",
    "process_rollup",
    "progress",
    "read_export",
    "rep_comparison",
    "rep_targets",
    "risk_summary",
    "sales_velocity",
    "stage_calibration",
    "stage_durations",
    "stage_model_names",
    "stage_table",
    "validate_snapshot",
    "waterfall",
    "waterfall_deals",
    "week_change_summary",
    "weekly_metrics",
    "weighted_pipeline",
    "win_rates",
    "with_deal_keys",
    "with_labels",
    "won_deals",
]
