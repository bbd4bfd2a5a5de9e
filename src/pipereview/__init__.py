"""pipereview: the weekly sales-pipeline review on the Jupyter stack.

>>> import pipereview as pr
>>> pr.Week.parse("2026-W47").monday.isoformat()
'2026-11-16'
"""

from __future__ import annotations

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
from pipereview.ingest import IngestReport, IngestResult, load_snapshot, read_export
from pipereview.ingest_week import WeekIngest, ingest_folder, ingest_week
from pipereview.schema import SNAPSHOT_COLUMNS, open_mask, validate_snapshot
from pipereview.stages import Stage, StageModel, load_stage_model, stage_model_names
from pipereview.store import SnapshotStore
from pipereview.weeks import Week

__version__ = "0.1.0"

__all__ = [
    "SNAPSHOT_COLUMNS",
    "ColumnMap",
    "ColumnMapError",
    "EncodingError",
    "IngestReport",
    "IngestResult",
    "InputError",
    "InvalidWeekError",
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
    "column_map_names",
    "detect_column_map",
    "ingest_folder",
    "ingest_week",
    "load_column_map",
    "load_snapshot",
    "load_stage_model",
    "open_mask",
    "read_export",
    "stage_model_names",
    "validate_snapshot",
]
