"""Stored weeks and deals followed across them: a week's exports ingested into the snapshot
store, the store and its checks, what each week records, deal matching, movements, deal keys
and trails, the prepared history every diagnostic reads.

>>> import tempfile
>>> from pipereview.history import SnapshotStore
>>> SnapshotStore(tempfile.mkdtemp()).weeks()  # a new store holds no week yet
[]
"""

from __future__ import annotations

from pipereview.history._backfill import (
    HISTORY_FIELDS,
    REMOVAL_FIELDS,
    Backfill,
    backfill_weeks,
    week_cutoff,
)
from pipereview.history._backfillrun import (
    BACKFILL_WEEKS,
    BackfillRun,
    backfill_store,
    default_first,
)
from pipereview.history._backfillvalues import FieldChanges, parsed_changes
from pipereview.history._callstore import (
    CALLS_FOLDER,
    CallsStored,
    check_forecast_calls,
    forecast_call_summary,
    read_forecast_call_folder,
    read_forecast_calls_stored,
    review_calls,
    store_forecast_calls,
)
from pipereview.history._companions import (
    Companions,
    read_companion_folder,
    read_shared_companions,
    teams_of_rows,
    write_shared_companions,
)
from pipereview.history._companionstore import (
    COMPANION_FOLDER,
    CompanionStored,
    check_companions,
    companion_records,
    companion_summary,
    read_companions,
    store_companion,
)
from pipereview.history._definitions import (
    ATTRS_KEY,
    Definitions,
    DefinitionsConflictError,
    adopt,
    attach,
    checked_record,
    definition_version,
    definitions_of,
    merge_weeks,
    snapshot_record,
    store_definitions,
    week_record,
)
from pipereview.history._historyfile import history_file_weeks, read_history_file
from pipereview.history._intake import (
    WeekIngest,
    combine_snapshots,
    ingest_folder,
    ingest_week,
    quarantine_name,
    write_quarantine,
)
from pipereview.history._loader import load_history
from pipereview.history._matching import (
    MATCH_COLUMNS,
    MatchSettings,
    match_deals,
    normalize_account,
)
from pipereview.history._movements import CATEGORIES, MOVEMENT_COLUMNS, deal_movements
from pipereview.history._prepared import (
    PreparedHistory,
    as_prepared,
    load_prepared,
    prepare_history,
)
from pipereview.history._sidefiles import record_sources, write_problems
from pipereview.history._store import ANY, DEFAULT_STORE, SnapshotStore, atomic_write
from pipereview.history._storefiles import LOCK_NAME, StoreFiles
from pipereview.history._storesummary import (
    REMOVED_ATTRS,
    REMOVED_COLUMNS,
    SUMMARY_OF_WEEKS,
    removed_deals,
    removed_in,
    removed_record,
    removed_text,
    store_summary,
)
from pipereview.history._teamrows import MOVED_CATEGORIES, team_deals, team_movements, team_rows
from pipereview.history._trail import (
    SUMMARY_COLUMNS,
    TRAIL_COLUMNS,
    days_in_stage,
    deal_key,
    deal_summary,
    deal_trail,
    with_deal_keys,
)
from pipereview.history._verify import (
    Finding,
    StoreCheck,
    record_definitions,
    set_aside,
    verify_store,
)
from pipereview.history._weekfiles import (
    META_KEY,
    REPAIR,
    checked_bytes,
    damaged,
    file_key,
    inspect_week_file,
    read_record,
    sha256_file,
)

__all__ = [
    "ANY",
    "ATTRS_KEY",
    "BACKFILL_WEEKS",
    "CALLS_FOLDER",
    "CATEGORIES",
    "COMPANION_FOLDER",
    "DEFAULT_STORE",
    "HISTORY_FIELDS",
    "LOCK_NAME",
    "MATCH_COLUMNS",
    "META_KEY",
    "MOVED_CATEGORIES",
    "MOVEMENT_COLUMNS",
    "REMOVAL_FIELDS",
    "REMOVED_ATTRS",
    "REMOVED_COLUMNS",
    "REPAIR",
    "SUMMARY_COLUMNS",
    "SUMMARY_OF_WEEKS",
    "TRAIL_COLUMNS",
    "Backfill",
    "BackfillRun",
    "CallsStored",
    "CompanionStored",
    "Companions",
    "Definitions",
    "DefinitionsConflictError",
    "FieldChanges",
    "Finding",
    "MatchSettings",
    "PreparedHistory",
    "SnapshotStore",
    "StoreCheck",
    "StoreFiles",
    "WeekIngest",
    "adopt",
    "as_prepared",
    "atomic_write",
    "attach",
    "backfill_store",
    "backfill_weeks",
    "check_companions",
    "check_forecast_calls",
    "checked_bytes",
    "checked_record",
    "combine_snapshots",
    "companion_records",
    "companion_summary",
    "damaged",
    "days_in_stage",
    "deal_key",
    "deal_movements",
    "deal_summary",
    "deal_trail",
    "default_first",
    "definition_version",
    "definitions_of",
    "file_key",
    "forecast_call_summary",
    "history_file_weeks",
    "ingest_folder",
    "ingest_week",
    "inspect_week_file",
    "load_history",
    "load_prepared",
    "match_deals",
    "merge_weeks",
    "normalize_account",
    "parsed_changes",
    "prepare_history",
    "quarantine_name",
    "read_companion_folder",
    "read_companions",
    "read_forecast_call_folder",
    "read_forecast_calls_stored",
    "read_history_file",
    "read_record",
    "read_shared_companions",
    "record_definitions",
    "record_sources",
    "removed_deals",
    "removed_in",
    "removed_record",
    "removed_text",
    "review_calls",
    "set_aside",
    "sha256_file",
    "snapshot_record",
    "store_companion",
    "store_definitions",
    "store_forecast_calls",
    "store_summary",
    "team_deals",
    "team_movements",
    "team_rows",
    "teams_of_rows",
    "verify_store",
    "week_cutoff",
    "week_record",
    "with_deal_keys",
    "write_problems",
    "write_quarantine",
    "write_shared_companions",
]
