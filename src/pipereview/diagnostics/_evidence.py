"""The evidence engine: a deal's evidence fields read against its stage's exit criteria.

Shared by :func:`pipereview.diagnostics._process.process_gaps` (every open deal against
the criteria of the stages up to its claimed one) and
:func:`pipereview.diagnostics._bant.bant_check` (the four BANT fields of early deals).
A flag field counts as met when it is ``True``, a text field (``decision_maker``,
``coach``, ``competitor``) when it holds a name: not blank and not a placeholder such as
"未知", "TBD", "n/a", "?" (:data:`PLACEHOLDER_NAMES`), which says the name is missing. A field is *recorded* unless its column
is absent from the snapshot, left blank for the rows of an export that lacked it (flags),
or blank in every row of the deal's export (text): such a criterion is neither met nor a
gap, and is reported once per team, model and field as a :class:`MissingColumn`.

>>> snap = pd.DataFrame({"team": "T", "decision_maker": ["Li", " "],
...                      "budget_confirmed": pd.array([True, None], dtype="boolean")})
>>> met, recorded, reason = EvidenceCodes(snap)("decision_maker")
>>> met.tolist(), recorded.tolist()
([True, False], [True, True])
>>> named_mask(pd.Series(["王总", "未知", "TBD", " n/a ", "?", None])).tolist()
[True, False, False, False, False, False]
>>> met, recorded, reason = EvidenceCodes(snap)("budget_confirmed")
>>> met.tolist(), recorded.tolist(), reason
([True, False], [True, False], 'export')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from pipereview.core._errors import InputError, StageModelError
from pipereview.core._languages import check_language
from pipereview.core._stages import (
    EVIDENCE_FLAG_FIELDS,
    EVIDENCE_TEXT_FIELDS,
    StageModel,
    load_stage_model,
)
from pipereview.diagnostics._labels import ModelArg, as_stage_model, criterion_label

__all__ = ["PLACEHOLDER_NAMES", "MissingColumn", "named_mask"]

#: What a CRM user types in a name field when the name is not known (compared trimmed and
#: case-blind): such a decision maker, coach or competitor is missing, not identified.
PLACEHOLDER_NAMES: frozenset[str] = frozenset(
    {
        "?",
        "？",
        "??",
        "-",
        "--",
        "—",
        "n/a",
        "na",
        "none",
        "null",
        "tbd",
        "tba",
        "unknown",
        "未知",
        "待定",
        "待确认",
        "不详",
        "无",
    }
)


def named_mask(values: pd.Series) -> pd.Series:
    """Whether each value names someone: not blank and not a placeholder
    (:data:`PLACEHOLDER_NAMES`)."""
    text = values.astype("str").str.strip().str.casefold()
    return values.notna() & text.ne("") & ~text.isin(PLACEHOLDER_NAMES)


_Reason = Literal["snapshot", "export", "blank"]
_REQUIRED = ("team", "owner", "deal_id", "stage", "amount")
# carried from the snapshot when present, in this order
_IDENTITY = (
    "snapshot_week",
    "team",
    "owner",
    "deal_id",
    "deal_name",
    "account",
    "amount",
    "currency",
)
_REASONS = {  # English, Chinese
    "snapshot": ("column {!r} not in the snapshot", "快照中没有“{}”列"),
    "export": ("column {!r} not in the team's export", "该团队的导出文件中没有“{}”列"),
    "blank": ("column {!r} blank in every row of the export", "导出文件中“{}”列全部为空"),
}


@dataclass(frozen=True, order=True)
class MissingColumn:
    """An evidence column that a team's open deals need but its data does not hold.

    ``reason`` is ``snapshot`` (no such column at all), ``export`` (a flag column left
    blank for the rows of an export that lacked it) or ``blank`` (a text column blank in
    every row of the deal's export: most likely not exported). The criteria on such a
    column are not checked (neither met nor a gap); ``open_deals`` is how many open deals
    that touches.

    >>> MissingColumn("DACH", "generic_4", "competitor", "snapshot", 12).describe()
    "DACH (generic_4): column 'competitor' not in the snapshot; 12 open deal(s) not checked on it"
    >>> MissingColumn("华东", "industrial_b2b", "coach", "export", 3).describe("zh")
    '华东：该团队的导出文件中没有“已发展内线/线人”列；3 个在途商机的这一项未检查'
    """

    team: str
    stage_model: str
    field: str
    reason: _Reason
    open_deals: int

    def describe(self, lang: str = "en") -> str:
        """One sentence for a report, in English or Chinese (``lang="zh"``)."""
        check_language(lang)
        en, zh = _REASONS[self.reason]
        if lang == "zh":  # the criterion's Chinese name: no column or model key in zh text
            try:
                name = criterion_label(self.field, "zh", self.stage_model)
            except Exception:
                name = criterion_label(self.field, "zh")
            return f"{self.team}：{zh.format(name)}；{self.open_deals} 个在途商机的这一项未检查"
        return (
            f"{self.team} ({self.stage_model}): {en.format(self.field)}; "
            f"{self.open_deals} open deal(s) not checked on it"
        )


class EvidenceCodes:
    """Per evidence field, over the whole snapshot: met and recorded, as boolean arrays."""

    def __init__(self, snapshot: pd.DataFrame) -> None:
        self.snapshot = snapshot
        self._cache: dict[str, tuple[np.ndarray, np.ndarray, _Reason]] = {}
        scope = "source_file" if "source_file" in snapshot.columns else "team"
        self._scope = snapshot[scope] if scope in snapshot.columns else None

    def __call__(self, field: str) -> tuple[np.ndarray, np.ndarray, _Reason]:
        """(met, recorded, reason when not recorded) for ``field``, one value per row."""
        if field not in self._cache:
            self._cache[field] = self._compute(field)
        return self._cache[field]

    def _compute(self, field: str) -> tuple[np.ndarray, np.ndarray, _Reason]:
        n = len(self.snapshot)
        if field not in self.snapshot.columns:
            return np.zeros(n, bool), np.zeros(n, bool), "snapshot"
        column = self.snapshot[field]
        is_flag = field not in EVIDENCE_TEXT_FIELDS and (
            field in EVIDENCE_FLAG_FIELDS or pd.api.types.is_bool_dtype(column)
        )
        if not is_flag:  # text fields, and a user model's own non-boolean columns
            # a placeholder ("未知") is not met, but shows the column is exported
            met = named_mask(column).to_numpy(bool)
            if self._scope is None:
                return met, np.ones(n, bool), "blank"
            filled = column.notna() & column.astype(str).str.strip().ne("")
            blank = pd.Series(~filled.to_numpy(bool), index=self.snapshot.index)
            all_blank = blank.groupby(self._scope, dropna=False, sort=False).transform("all")
            return met, ~all_blank.to_numpy(bool), "blank"
        met = column.eq(True).fillna(False).to_numpy(bool)
        return met, column.notna().to_numpy(bool), "export"


def check_columns(snapshot: pd.DataFrame, model: ModelArg) -> None:
    needed = [*_REQUIRED, *(["stage_model"] if model is None else [])]
    absent = [c for c in needed if c not in snapshot.columns]
    if absent:
        raise InputError(
            f"the snapshot lacks the column(s) {absent}",
            column=absent[0],
            expected=f"a canonical snapshot with {needed}",
            hint="build snapshots with pipereview.read_export or read them from "
            "the store; pass model= when the frame has no stage_model column",
        )


def model_groups(snapshot: pd.DataFrame, model: ModelArg) -> list[tuple[StageModel, np.ndarray]]:
    """(stage model, positions of its rows) for every model the snapshot uses."""
    if model is not None:
        return [(as_stage_model(model), np.arange(len(snapshot)))]
    codes, names = pd.factorize(snapshot["stage_model"])
    if (codes < 0).any():
        raise InputError(
            "some rows have no stage_model",
            column="stage_model",
            expected="the name of each row's stage model",
            hint="pass model= to use one model for every row",
        )
    return [
        (load_stage_model(str(name)), np.flatnonzero(codes == i)) for i, name in enumerate(names)
    ]


def open_positions(snapshot: pd.DataFrame, rows: np.ndarray, model: StageModel) -> np.ndarray:
    """0-based open-stage index of each row in ``rows``; -1 for closed stages."""
    stages = snapshot["stage"].iloc[rows]
    position = pd.Index([s.key for s in model.open_stages]).get_indexer(pd.Index(stages))
    unknown = ~stages.isin(model.keys).to_numpy(bool)
    if unknown.any():
        bad = sorted(stages[unknown].astype(str).unique())[:10]
        raise InputError(
            f"stage(s) {bad} are not stages of the model {model.name!r}",
            column="stage",
            expected=f"one of {list(model.keys)}",
            hint="pass the team's own stage model, or fix the stage_model column",
        )
    return np.asarray(position, dtype=np.int64)


def field_tuples(codes: np.ndarray, fields: Sequence[str]) -> np.ndarray:
    """Bit codes (bit k = fields[k]) -> an object array of field-name tuples."""
    unique, inverse = np.unique(codes, return_inverse=True)
    table = np.empty(len(unique), dtype=object)
    for i, code in enumerate(unique.tolist()):
        table[i] = tuple(f for k, f in enumerate(fields) if code >> k & 1)
    return table[inverse.reshape(-1)]


def columns_missing(
    snapshot: pd.DataFrame,
    evidence: EvidenceCodes,
    model: StageModel,
    rows: np.ndarray,
    fields: Iterable[str],
) -> list[MissingColumn]:
    teams = snapshot["team"].iloc[rows].astype(str).to_numpy()
    found = []
    for field in fields:
        _, recorded, reason = evidence(field)
        lacking = ~recorded[rows]
        if lacking.any():
            counts = pd.Series(teams[lacking]).value_counts(sort=False)
            found += [
                MissingColumn(str(team), model.name, field, reason, int(count))
                for team, count in counts.items()
            ]
    return found


def model_fields(model: StageModel) -> list[str]:
    """Every field the model's open stages name, in process order (first mention)."""
    fields = list(dict.fromkeys(c.field for s in model.open_stages for c in s.exit_criteria))
    if len(fields) > 62:  # one bit each in an int64 code
        raise StageModelError(
            f"{model.name}: {len(fields)} exit-criteria fields; at most 62",
            hint="split the model's exit criteria over fewer fields (62 at most)",
        )
    return fields


def assemble(
    snapshot: pd.DataFrame,
    rows: np.ndarray,
    computed: dict[str, list[np.ndarray]],
    columns: Sequence[str],
) -> pd.DataFrame:
    """The identifying columns of ``rows`` plus ``computed``, sorted by team, owner, deal."""
    base = snapshot.iloc[rows][[c for c in _IDENTITY if c in snapshot.columns]]
    frame = base.reset_index(drop=True)
    for name in columns:
        parts = computed[name]
        frame[name] = np.concatenate(parts) if parts else np.array([], dtype=object)
    frame["_row"] = rows
    frame = frame.sort_values(
        ["team", "owner", "deal_id", "_row"], kind="stable", na_position="last"
    )
    return frame.drop(columns="_row").reset_index(drop=True)
