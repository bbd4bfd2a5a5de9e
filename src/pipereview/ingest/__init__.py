"""CRM export files in: the canonical snapshot and its schema, formats, encodings, header
detection, column maps, value parsing, row accounting and quarantine.

>>> import pandas as pd
>>> from pipereview.ingest import parse_amounts
>>> amounts, bad = parse_amounts(pd.Series(["1,234.50", "¥5万"]))
>>> amounts.tolist(), bad.tolist()
([1234.5, 50000.0], [False, False])
"""

from __future__ import annotations

from pipereview.ingest._accounting import check_accounting, scan_export
from pipereview.ingest._assembly import (
    FieldCheck,
    Rejections,
    collect_rejections,
    quarantine_frame,
    snapshot_frame,
)
from pipereview.ingest._builder import PLAIN_NUMBERS, READ_AS_TEXT, RowBuilder
from pipereview.ingest._callentry import ENTERED, entered_call
from pipereview.ingest._changeformats import (
    CHANGE_COLUMNS,
    CHANGE_FIELDS,
    CREATED_EVENTS,
    HISTORY_FORMATS,
    canonical_field,
    closest_history_format,
    date_entered_stage,
    detect_history_format,
    history_columns,
    mapped_header,
)
from pipereview.ingest._changelog import ChangeLog, read_change_history
from pipereview.ingest._changerows import ChangeRows, as_written, history_changes
from pipereview.ingest._changetimes import guess_date_format, parse_timestamps
from pipereview.ingest._columnmaps import (
    COMMON_HEADERS,
    OPTIONAL_FIELDS,
    REQUIRED_FIELDS,
    ColumnMap,
    column_map_names,
    column_maps,
    detect_column_map,
    load_column_map,
)
from pipereview.ingest._companionformats import (
    COMPANION_COLUMNS,
    COMPANION_FORMATS,
    COMPANION_KINDS,
    COMPANION_REQUIRED,
    closest_companion_kind,
    companion_columns,
    detect_companion,
)
from pipereview.ingest._companionrows import CompanionRows, companion_rows
from pipereview.ingest._companions import CompanionExport, read_companion
from pipereview.ingest._companionwords import (
    ACTIVITY_TYPES,
    ACTIVITY_WORDS,
    CONVERTED_STAGES,
    STATUS_WORDS,
    activity_types,
    header_activity_type,
    status_outcome,
    status_reason,
    unknown_activity_words,
)
from pipereview.ingest._countedexport import CountedExport, RowCounts, count_rows
from pipereview.ingest._csvrows import find_long_rows
from pipereview.ingest._csvscan import CsvScan, check_quotes, scan_csv
from pipereview.ingest._csvtext import check_head, decode_head, split_lines, split_record
from pipereview.ingest._dates import DATE_RANGE, DateFormat, date_placeholders, parse_dates
from pipereview.ingest._encoding import detect_encoding
from pipereview.ingest._export import IngestReport, IngestResult, load_snapshot, read_export
from pipereview.ingest._forecastcalls import (
    CALL_COLUMNS,
    CALL_HEADERS,
    CALL_LEVELS,
    CallsExport,
    quarter_of_week,
    read_call_rows,
    read_forecast_calls,
)
from pipereview.ingest._formatguess import (
    AmountFormat,
    amount_format,
    choose_stage_model,
    settle_decimal,
    stage_models_knowing,
)
from pipereview.ingest._limits import DEFAULT_LIMITS, ReadLimits, format_size
from pipereview.ingest._parquet import peek_parquet, read_parquet
from pipereview.ingest._parsing import (
    FALSE_WORDS,
    MAX_AMOUNT,
    TRUE_WORDS,
    clean_text,
    control_characters,
    is_blank,
    on_uniques,
    parse_amounts,
    parse_flags,
    parse_probabilities,
)
from pipereview.ingest._peek import HEADER_SCAN_ROWS, MIN_HEADER_MATCHES, ExportPeek, FileKind
from pipereview.ingest._readers import peek_export, read_rows
from pipereview.ingest._rowchecks import (
    Check,
    currency_checks,
    lookalikes,
    mixed_currencies,
    name_checks,
    name_problems,
)
from pipereview.ingest._rowcount import (
    check_each_row_counted,
    read_counted_rows,
    refuse_no_usable_row,
)
from pipereview.ingest._rowkind import FOOTER_WORDS, deal_like_rows, skipped_rows
from pipereview.ingest._schema import (
    EXPORT_OPTIONAL_FIELDS,
    EXPORT_REQUIRED_FIELDS,
    FORECAST_CATEGORIES,
    SNAPSHOT_COLUMNS,
    open_mask,
    snapshot_schema,
    stage_facts,
    validate_snapshot,
)
from pipereview.ingest._sheetxml import SheetScan, check_zip, scan_sheet, sheet_last_row
from pipereview.ingest._xlsx import peek_xlsx, read_xlsx

__all__ = [
    "ACTIVITY_TYPES",
    "ACTIVITY_WORDS",
    "CALL_COLUMNS",
    "CALL_HEADERS",
    "CALL_LEVELS",
    "CHANGE_COLUMNS",
    "CHANGE_FIELDS",
    "COMMON_HEADERS",
    "COMPANION_COLUMNS",
    "COMPANION_FORMATS",
    "COMPANION_KINDS",
    "COMPANION_REQUIRED",
    "CONVERTED_STAGES",
    "CREATED_EVENTS",
    "DATE_RANGE",
    "DEFAULT_LIMITS",
    "ENTERED",
    "EXPORT_OPTIONAL_FIELDS",
    "EXPORT_REQUIRED_FIELDS",
    "FALSE_WORDS",
    "FOOTER_WORDS",
    "FORECAST_CATEGORIES",
    "HEADER_SCAN_ROWS",
    "HISTORY_FORMATS",
    "MAX_AMOUNT",
    "MIN_HEADER_MATCHES",
    "OPTIONAL_FIELDS",
    "PLAIN_NUMBERS",
    "READ_AS_TEXT",
    "REQUIRED_FIELDS",
    "SNAPSHOT_COLUMNS",
    "STATUS_WORDS",
    "TRUE_WORDS",
    "AmountFormat",
    "CallsExport",
    "ChangeLog",
    "ChangeRows",
    "Check",
    "ColumnMap",
    "CompanionExport",
    "CompanionRows",
    "CountedExport",
    "CsvScan",
    "DateFormat",
    "ExportPeek",
    "FieldCheck",
    "FileKind",
    "IngestReport",
    "IngestResult",
    "ReadLimits",
    "Rejections",
    "RowBuilder",
    "RowCounts",
    "SheetScan",
    "activity_types",
    "amount_format",
    "as_written",
    "canonical_field",
    "check_accounting",
    "check_each_row_counted",
    "check_head",
    "check_quotes",
    "check_zip",
    "choose_stage_model",
    "clean_text",
    "closest_companion_kind",
    "closest_history_format",
    "collect_rejections",
    "column_map_names",
    "column_maps",
    "companion_columns",
    "companion_rows",
    "control_characters",
    "count_rows",
    "currency_checks",
    "date_entered_stage",
    "date_placeholders",
    "deal_like_rows",
    "decode_head",
    "detect_column_map",
    "detect_companion",
    "detect_encoding",
    "detect_history_format",
    "entered_call",
    "find_long_rows",
    "format_size",
    "guess_date_format",
    "header_activity_type",
    "history_changes",
    "history_columns",
    "is_blank",
    "load_column_map",
    "load_snapshot",
    "lookalikes",
    "mapped_header",
    "mixed_currencies",
    "name_checks",
    "name_problems",
    "on_uniques",
    "open_mask",
    "parse_amounts",
    "parse_dates",
    "parse_flags",
    "parse_probabilities",
    "parse_timestamps",
    "peek_export",
    "peek_parquet",
    "peek_xlsx",
    "quarantine_frame",
    "quarter_of_week",
    "read_call_rows",
    "read_change_history",
    "read_companion",
    "read_counted_rows",
    "read_export",
    "read_forecast_calls",
    "read_parquet",
    "read_rows",
    "read_xlsx",
    "refuse_no_usable_row",
    "scan_csv",
    "scan_export",
    "scan_sheet",
    "settle_decimal",
    "sheet_last_row",
    "skipped_rows",
    "snapshot_frame",
    "snapshot_schema",
    "split_lines",
    "split_record",
    "stage_facts",
    "stage_models_knowing",
    "status_outcome",
    "status_reason",
    "unknown_activity_words",
    "validate_snapshot",
]
