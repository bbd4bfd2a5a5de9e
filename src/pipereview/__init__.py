"""pipereview: the weekly sales-pipeline review on the Jupyter stack.

>>> import pipereview as pr
>>> pr.Week.parse("2026-W47").monday.isoformat()
'2026-11-16'
"""

from __future__ import annotations

from pipereview.bant import BANT_COLUMNS, BANT_ITEMS, bant_check, missed_criteria, process_rollup
from pipereview.columnmaps import ColumnMap, column_map_names, detect_column_map, load_column_map
from pipereview.errors import (
    ColumnMapError,
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
from pipereview.history import SUMMARY_COLUMNS, TRAIL_COLUMNS, deal_summary, deal_trail
from pipereview.ingest import IngestReport, IngestResult, load_snapshot, read_export
from pipereview.ingest_week import WeekIngest, ingest_folder, ingest_week
from pipereview.matching import MATCH_COLUMNS, MatchSettings, match_deals, normalize_account
from pipereview.movements import CATEGORIES, MOVEMENT_COLUMNS, deal_movements
from pipereview.process import (
    GAP_COLUMNS,
    MissingColumn,
    criterion_label,
    missing_evidence_columns,
    process_gaps,
    with_labels,
)
from pipereview.schema import SNAPSHOT_COLUMNS, open_mask, validate_snapshot
from pipereview.stages import Stage, StageModel, load_stage_model, stage_model_names
from pipereview.store import SnapshotStore
from pipereview.waterfall import STEPS, period_bounds, waterfall, waterfall_deals
from pipereview.weekly import change_summary, week_change_summary
from pipereview.weeks import Week

__version__ = "0.1.0"

__all__ = [
    "BANT_COLUMNS",
    "BANT_ITEMS",
    "CATEGORIES",
    "GAP_COLUMNS",
    "MATCH_COLUMNS",
    "MOVEMENT_COLUMNS",
    "SNAPSHOT_COLUMNS",
    "STEPS",
    "SUMMARY_COLUMNS",
    "TRAIL_COLUMNS",
    "ColumnMap",
    "ColumnMapError",
    "EncodingError",
    "IngestReport",
    "IngestResult",
    "InputError",
    "InvalidWeekError",
    "MatchSettings",
    "MissingColumn",
    "PipereviewError",
    "Problem",
    "SchemaError",
    "SnapshotStore",
    "Stage",
    "StageModel",
    "StageModelError",
    "StoreError",
    "Week",
    "WeekExistsError",
    "WeekIngest",
    "WeekNotFoundError",
    "__version__",
    "bant_check",
    "change_summary",
    "column_map_names",
    "criterion_label",
    "deal_movements",
    "deal_summary",
    "deal_trail",
    "detect_column_map",
    "ingest_folder",
    "ingest_week",
    "load_column_map",
    "load_snapshot",
    "load_stage_model",
    "match_deals",
    "missed_criteria",
    "missing_evidence_columns",
    "normalize_account",
    "open_mask",
    "period_bounds",
    "process_gaps",
    "process_rollup",
    "read_export",
    "stage_model_names",
    "validate_snapshot",
    "waterfall",
    "waterfall_deals",
    "week_change_summary",
    "with_labels",
]
