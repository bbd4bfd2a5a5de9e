"""The ground every stage stands on: errors, ISO weeks, stage models, registries and the
templates shipped in the package, team and rep names, files and spreadsheet tables written
whole, control characters in text, work remembered per set of columns.

>>> from pipereview.core import Week, load_stage_model
>>> Week.parse("2026-W47").monday.isoformat(), load_stage_model("generic_4").stages[0].key
('2026-11-16', 'initial_contact')
"""

from __future__ import annotations

from pipereview.core._errors import (
    AccessError,
    ColumnMapError,
    ConfigError,
    DamagedWeekError,
    EncodingError,
    ExtensionError,
    FileSystemError,
    InputError,
    InvalidWeekError,
    PipereviewError,
    Problem,
    SchemaError,
    ServerError,
    StageModelError,
    StoreBusyError,
    StoreError,
    StoreWarning,
    UnknownStageError,
    WeekChangedError,
    WeekExistsError,
    WeekNotFoundError,
)
from pipereview.core._exports import (
    FORMULA_STARTS,
    clean_text,
    safe_cells,
    starts_formula,
    table_bytes,
    write_table,
)
from pipereview.core._files import (
    TEMP_SUFFIX,
    atomic_write,
    check_inside,
    check_output_folder,
    leftovers,
)
from pipereview.core._languages import LANGUAGES, Lang, check_language
from pipereview.core._links import RECORD_URL_EXAMPLES, check_record_url, record_url
from pipereview.core._memo import arrow_arrays, clear_caches, derived
from pipereview.core._names import (
    MAX_NAME_BYTES,
    NAME_RULE,
    check_folder_name,
    lookalike_key,
    name_problem,
)
from pipereview.core._registry import DataRegistry, Registry, reads_user_folder, use_folder
from pipereview.core._resources import (
    format_validation_error,
    load_named,
    parse_yaml_mapping,
    template_dir,
    template_names,
    validate_model,
    yaml_registry,
)
from pipereview.core._stages import (
    EVIDENCE_FIELDS,
    EVIDENCE_FLAG_FIELDS,
    EVIDENCE_TEXT_FIELDS,
    Criterion,
    Stage,
    StageModel,
    bind_stage_models,
    load_stage_model,
    prevailing_model,
    stage_model_names,
    stage_models,
)
from pipereview.core._staging import (
    LEFTOVER_KINDS,
    clean_leftovers,
    sibling,
    staged_folder,
    swap_in,
    team_folders,
)
from pipereview.core._text import normalize_label
from pipereview.core._textcells import control_characters, strip_text
from pipereview.core._typecheck import SettingTypeError, checked, describe
from pipereview.core._vocabulary import (
    CATEGORY_LABELS,
    FORECAST_CATEGORY_LABELS,
    RISK_LABELS,
    SHAPE_NAMES,
    WATERFALL_STEP_LABELS,
)
from pipereview.core._weeks import FIRST_YEAR, LAST_YEAR, Week, week_range

__all__ = [
    "CATEGORY_LABELS",
    "EVIDENCE_FIELDS",
    "EVIDENCE_FLAG_FIELDS",
    "EVIDENCE_TEXT_FIELDS",
    "FIRST_YEAR",
    "FORECAST_CATEGORY_LABELS",
    "FORMULA_STARTS",
    "LANGUAGES",
    "LAST_YEAR",
    "LEFTOVER_KINDS",
    "MAX_NAME_BYTES",
    "NAME_RULE",
    "RECORD_URL_EXAMPLES",
    "RISK_LABELS",
    "SHAPE_NAMES",
    "TEMP_SUFFIX",
    "WATERFALL_STEP_LABELS",
    "AccessError",
    "ColumnMapError",
    "ConfigError",
    "Criterion",
    "DamagedWeekError",
    "DataRegistry",
    "EncodingError",
    "ExtensionError",
    "FileSystemError",
    "InputError",
    "InvalidWeekError",
    "Lang",
    "PipereviewError",
    "Problem",
    "Registry",
    "SchemaError",
    "ServerError",
    "SettingTypeError",
    "Stage",
    "StageModel",
    "StageModelError",
    "StoreBusyError",
    "StoreError",
    "StoreWarning",
    "UnknownStageError",
    "Week",
    "WeekChangedError",
    "WeekExistsError",
    "WeekNotFoundError",
    "arrow_arrays",
    "atomic_write",
    "bind_stage_models",
    "check_folder_name",
    "check_inside",
    "check_language",
    "check_output_folder",
    "check_record_url",
    "checked",
    "clean_leftovers",
    "clean_text",
    "clear_caches",
    "control_characters",
    "derived",
    "describe",
    "format_validation_error",
    "leftovers",
    "load_named",
    "load_stage_model",
    "lookalike_key",
    "name_problem",
    "normalize_label",
    "parse_yaml_mapping",
    "prevailing_model",
    "reads_user_folder",
    "record_url",
    "safe_cells",
    "sibling",
    "stage_model_names",
    "stage_models",
    "staged_folder",
    "starts_formula",
    "strip_text",
    "swap_in",
    "table_bytes",
    "team_folders",
    "template_dir",
    "template_names",
    "use_folder",
    "validate_model",
    "week_range",
    "write_table",
    "yaml_registry",
]
