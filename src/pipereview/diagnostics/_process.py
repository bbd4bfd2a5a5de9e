"""Match every open deal against its sales process (回溯和匹配流程, docs/method.md §1).

A deal's CRM stage is a claim. Its *evidence* is what the snapshot's evidence fields show:
a flag field counts as met when it is ``True``, a text field (``decision_maker``,
``coach``, ``competitor``) when it is not blank. Stages are numbered 1..n over the model's
open stages, in process order, and C(k) is the set of stage k's exit criteria.

* **Evidence stage** — the furthest stage the evidence lets the deal be in. Every open
  deal has evidence for stage 1; it has evidence for stage k+1 when the exit criteria of
  *every* stage 1..k are met. So the evidence stage is the first stage whose exit
  criteria are not all met (stage n when C(1)..C(n-1) are all met). It is read in order:
  evidence for a later stage does not make up for a gap in an earlier one.
* **Missing** (the gaps) — the criteria of C(1)..C(c-1) that are not met, for a deal
  claimed in stage c: what must be true for the deal to be legitimately *in* stage c.
* **Next actions** — the criteria of C(c) that are not met, in the model's order: what
  is still needed to *leave* stage c. A field may be in both lists (``competitor`` is an exit criterion of
  two stages of ``industrial_b2b``).
* **Stage inflation** — claimed stage c > evidence stage e; the deal is inflated by c - e
  stages. A deal has gaps exactly when it is inflated, and a deal in stage 1 never is.
* **Not checked** — a criterion whose column the data does not record (absent from the
  export, or blank in every row of it: :class:`MissingColumn`) is neither met nor a gap.
  It is listed in ``unchecked`` and never makes a deal inflated: only a recorded, unmet
  criterion does, and ``stages_inflated`` counts the stages that such gaps show for
  certain. ``evidence_checked`` is False when a criterion of C(1)..C(c-1) is not
  recorded: the claim could not be checked in full. A plain CRM export with no evidence
  column has every deal past stage 1 not checked and none inflated.

Worked example in ``generic_4`` (1 initial contact: budget, decision maker; 2 needs
confirmed: need, timeline; 3 solution & quote: solution, quote, competitor;
4 negotiation: contract risk review, verbal commitment). A deal claimed in negotiation
with budget, decision maker and need met but no timeline has evidence for stage 2 only
(C(1) met, C(2) not): evidence stage 2 (needs confirmed), inflated by 2 stages, missing
timeline, solution, quote and competitor, next actions contract review and commitment.

>>> snap = pd.DataFrame({
...     "team": "East", "owner": "Li Na", "deal_id": ["D1", "D2", "D3"],
...     "stage": ["initial_contact", "negotiation", "won"], "stage_model": "generic_4",
...     "amount": [100.0, 300.0, 50.0],
...     "budget_confirmed": [False, True, True], "decision_maker": [None, "Wang", "Zhao"],
...     "need_confirmed": [False, True, True], "timeline_confirmed": [False, False, True],
...     "solution_presented": False, "quote_sent": False, "competitor": [None, None, "ABB"],
...     "contract_risk_reviewed": False, "verbal_commitment": False})
>>> gaps = process_gaps(snap)  # the won deal D3 is not open: left out
>>> gaps[["deal_id", "claimed_stage", "evidence_stage", "stages_inflated", "inflated_amount"]]
  deal_id    claimed_stage   evidence_stage  stages_inflated  inflated_amount
0      D1  initial_contact  initial_contact                0              0.0
1      D2      negotiation  needs_confirmed                2            300.0
>>> gaps.loc[1, "missing"]
('timeline_confirmed', 'solution_presented', 'quote_sent', 'competitor')
>>> gaps.loc[1, "next_actions"]
('contract_risk_reviewed', 'verbal_commitment')
>>> with_labels(gaps, "zh").loc[1, "next_actions_labels"]
('已完成合同风险评审', '已获客户口头承诺')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
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

__all__ = [
    "GAP_COLUMNS",
    "MissingColumn",
    "criterion_label",
    "missing_evidence_columns",
    "process_gaps",
    "with_labels",
]

#: Columns of :func:`process_gaps`' result, after the snapshot's identifying columns.
GAP_COLUMNS: tuple[str, ...] = (
    "stage_model",
    "claimed_stage",
    "claimed_index",
    "evidence_stage",
    "evidence_index",
    "stages_inflated",
    "inflated",
    "inflated_amount",
    "missing",
    "next_actions",
    "evidence_checked",
    "unchecked",
)

ModelArg = StageModel | str | Path | None
_Reason = Literal["snapshot", "export", "blank"]
_SORT = ("team", "owner", "deal_id")
_REQUIRED = ("team", "owner", "deal_id", "stage", "amount")
# carried from the snapshot when present, in this order
_IDENTITY = ("snapshot_week", "team", "owner", "deal_id", "deal_name", "account", "amount",
             "currency")
_LABELLED = ("missing", "next_actions", "unchecked", "bant_missing", "bant_unchecked")
#: Columns holding a stage key: :func:`with_labels` adds ``<column>_label`` in the language.
_STAGE_COLUMNS = ("claimed_stage", "evidence_stage")
_REASONS = {  # English, Chinese
    "snapshot": ("column {!r} not in the snapshot", "快照中没有“{}”列"),
    "export": ("column {!r} not in the team's export", "该团队的导出文件中没有“{}”列"),
    "blank": ("column {!r} blank in every row of the export", "导出文件中“{}”列全部为空"),
}
# labels for fields a model does not name (the models' own labels come first)
_FIELD_LABELS: dict[str, tuple[str, str]] = {
    "budget_confirmed": ("Budget confirmed", "预算已确认"),
    "coach": ("Internal coach / informant identified", "已发展内线/线人"),
    "competitor": ("Main competitor known", "已掌握主要竞争对手"),
    "contract_risk_reviewed": ("Contract risk review done", "已完成合同风险评审"),
    "customer_background": ("Customer background researched", "客户背景信息已收集"),
    "deal_team_assigned": ("Deal team and roles set", "项目组及分工已确定"),
    "decision_maker": ("Decision maker identified", "已识别决策人"),
    "need_confirmed": ("Need confirmed by the customer", "客户确认需求"),
    "quote_sent": ("Quote / proposal sent", "报价/建议书已发出"),
    "relationship_mapped": ("Decision chain and relationship map drawn", "已绘制决策链与关系图谱"),
    "senior_meeting_done": ("Meeting with senior decision makers held", "已完成高层拜访"),
    "site_visit_done": ("Reference-site or factory visit done", "已完成样板点/工厂考察"),
    "solution_presented": ("Solution presented to the customer", "已向客户演示方案"),
    "strategy_documented": ("Win strategy written", "赢单策略已成文"),
    "technical_exchange_done": ("Technical exchange held", "已完成技术交流"),
    "tender_submitted": ("Tender / bid submitted", "已提交投标文件"),
    "timeline_confirmed": ("Purchase time window confirmed", "采购时间窗口已确认"),
    "verbal_commitment": ("Customer's verbal commitment received", "已获客户口头承诺"),
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
            return (f"{self.team}：{zh.format(name)}；"
                    f"{self.open_deals} 个在途商机的这一项未检查")
        return (f"{self.team} ({self.stage_model}): {en.format(self.field)}; "
                f"{self.open_deals} open deal(s) not checked on it")


# --- evidence ----------------------------------------------------------------------------

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
            field in EVIDENCE_FLAG_FIELDS or pd.api.types.is_bool_dtype(column))
        if not is_flag:  # text fields, and a user model's own non-boolean columns
            met = (column.notna() & column.astype(str).str.strip().ne("")).to_numpy(bool)
            if self._scope is None:
                return met, np.ones(n, bool), "blank"
            blank = pd.Series(~met, index=self.snapshot.index)
            all_blank = blank.groupby(self._scope, dropna=False, sort=False).transform("all")
            return met, ~all_blank.to_numpy(bool), "blank"
        met = column.eq(True).fillna(False).to_numpy(bool)
        return met, column.notna().to_numpy(bool), "export"


def _load(model: StageModel | str | Path) -> StageModel:
    return model if isinstance(model, StageModel) else load_stage_model(model)


def check_columns(snapshot: pd.DataFrame, model: ModelArg) -> None:
    needed = [*_REQUIRED, *(["stage_model"] if model is None else [])]
    absent = [c for c in needed if c not in snapshot.columns]
    if absent:
        raise InputError(f"the snapshot lacks the column(s) {absent}", column=absent[0],
                         expected=f"a canonical snapshot with {needed}",
                         hint="build snapshots with pipereview.read_export or read them from "
                         "the store; pass model= when the frame has no stage_model column")


def model_groups(snapshot: pd.DataFrame, model: ModelArg) -> list[tuple[StageModel, np.ndarray]]:
    """(stage model, positions of its rows) for every model the snapshot uses."""
    if model is not None:
        return [(_load(model), np.arange(len(snapshot)))]
    codes, names = pd.factorize(snapshot["stage_model"])
    if (codes < 0).any():
        raise InputError("some rows have no stage_model", column="stage_model",
                         expected="the name of each row's stage model",
                         hint="pass model= to use one model for every row")
    return [(load_stage_model(str(name)), np.flatnonzero(codes == i))
            for i, name in enumerate(names)]


def open_positions(snapshot: pd.DataFrame, rows: np.ndarray, model: StageModel) -> np.ndarray:
    """0-based open-stage index of each row in ``rows``; -1 for closed stages."""
    stages = snapshot["stage"].iloc[rows]
    position = pd.Index([s.key for s in model.open_stages]).get_indexer(pd.Index(stages))
    unknown = ~stages.isin(model.keys).to_numpy(bool)
    if unknown.any():
        bad = sorted(stages[unknown].astype(str).unique())[:10]
        raise InputError(f"stage(s) {bad} are not stages of the model {model.name!r}",
                         column="stage", expected=f"one of {list(model.keys)}",
                         hint="pass the team's own stage model, or fix the stage_model column")
    return np.asarray(position, dtype=np.int64)


def field_tuples(codes: np.ndarray, fields: Sequence[str]) -> np.ndarray:
    """Bit codes (bit k = fields[k]) -> an object array of field-name tuples."""
    unique, inverse = np.unique(codes, return_inverse=True)
    table = np.empty(len(unique), dtype=object)
    for i, code in enumerate(unique.tolist()):
        table[i] = tuple(f for k, f in enumerate(fields) if code >> k & 1)
    return table[inverse.reshape(-1)]


def columns_missing(
    snapshot: pd.DataFrame, evidence: EvidenceCodes, model: StageModel, rows: np.ndarray,
    fields: Iterable[str],
) -> list[MissingColumn]:
    teams = snapshot["team"].iloc[rows].astype(str).to_numpy()
    found = []
    for field in fields:
        _, recorded, reason = evidence(field)
        lacking = ~recorded[rows]
        if lacking.any():
            counts = pd.Series(teams[lacking]).value_counts(sort=False)
            found += [MissingColumn(str(team), model.name, field, reason, int(count))
                      for team, count in counts.items()]
    return found


def _model_fields(model: StageModel) -> list[str]:
    """Every field the model's open stages name, in process order (first mention)."""
    fields = list(dict.fromkeys(c.field for s in model.open_stages for c in s.exit_criteria))
    if len(fields) > 62:  # one bit each in an int64 code
        raise StageModelError(f"{model.name}: {len(fields)} exit-criteria fields; at most 62", hint="split the model's exit criteria over fewer fields (62 at most)")
    return fields


def assemble(snapshot: pd.DataFrame, rows: np.ndarray, computed: dict[str, list[np.ndarray]],
              columns: Sequence[str]) -> pd.DataFrame:
    """The identifying columns of ``rows`` plus ``computed``, sorted by team, owner, deal."""
    base = snapshot.iloc[rows][[c for c in _IDENTITY if c in snapshot.columns]]
    frame = base.reset_index(drop=True)
    for name in columns:
        parts = computed[name]
        frame[name] = np.concatenate(parts) if parts else np.array([], dtype=object)
    frame["_row"] = rows
    frame = frame.sort_values([*_SORT, "_row"], kind="stable", na_position="last")
    return frame.drop(columns="_row").reset_index(drop=True)


# --- process gaps ------------------------------------------------------------------------

def process_gaps(snapshot: pd.DataFrame, model: ModelArg = None) -> pd.DataFrame:
    """Claimed stage, evidence stage, gaps, next actions and inflation of every open deal.

    ``model`` (a :class:`StageModel`, a shipped name or a YAML path) applies to every row;
    by default each row's ``stage_model`` is used. One row per open deal, sorted by team,
    owner and deal ID; closed deals are left out. Columns: the snapshot's identifying
    columns (``snapshot_week``, ``team``, ``owner``, ``deal_id``, ``deal_name``,
    ``account``, ``amount``, ``currency``, those present), then :data:`GAP_COLUMNS`:
    stages as keys and as 1-based positions among the open stages, ``stages_inflated``
    (claimed - evidence, at least 0), ``inflated_amount`` (the amount when inflated,
    else 0), ``missing`` and ``next_actions`` as tuples of field names in process order
    (labels: :func:`with_labels`), ``evidence_checked`` and ``unchecked`` (the fields of
    C(1)..C(c) the data does not record). Evidence columns that the criteria need but the
    snapshot lacks are neither met nor gaps; they are listed once, in
    ``result.attrs["missing_columns"]`` (a tuple of :class:`MissingColumn`).

    >>> snap = pd.DataFrame({"team": "T", "owner": "Ann", "deal_id": ["1", "2"],
    ...     "stage": ["discover", "strategy"], "stage_model": "industrial_b2b",
    ...     "amount": 10.0, "customer_background": True, "budget_confirmed": True,
    ...     "decision_maker": "Wu", "timeline_confirmed": True, "competitor": "ABB"})
    >>> gaps = process_gaps(snap)
    >>> gaps[["deal_id", "evidence_stage", "evidence_index", "inflated"]]
      deal_id evidence_stage  evidence_index  inflated
    0       1       discover               2     False
    1       2       discover               2     False
    >>> bool(gaps.loc[1, "evidence_checked"]), gaps.loc[1, "missing"]  # no column, no gap
    (False, ())
    >>> gaps.loc[1, "unchecked"]
    ('coach', 'relationship_mapped', 'need_confirmed', 'deal_team_assigned', 'strategy_documented')
    >>> [m.field for m in gaps.attrs["missing_columns"]][:3]  # once each, not per deal
    ['coach', 'contract_risk_reviewed', 'deal_team_assigned']
    """
    check_columns(snapshot, model)
    evidence = EvidenceCodes(snapshot)
    amount = snapshot["amount"].to_numpy(dtype=np.float64, na_value=0.0)
    all_rows: list[np.ndarray] = []
    out: dict[str, list[np.ndarray]] = {name: [] for name in GAP_COLUMNS}
    missing_columns: list[MissingColumn] = []
    for stage_model, group in model_groups(snapshot, model):
        position = open_positions(snapshot, group, stage_model)
        rows = group[position >= 0]
        position = position[position >= 0]
        stages = stage_model.open_stages
        fields = _model_fields(stage_model)
        met = {f: evidence(f)[0][rows] for f in fields}
        known = {f: evidence(f)[1][rows] for f in fields}  # the data records the field
        # evidence stage: how many stages, in order from the first, have every criterion
        # recorded and met; ``possible``: the same with the criteria the data does not
        # record given the benefit of the doubt (only a recorded gap shows inflation)
        evidenced = np.zeros(len(rows), dtype=np.int64)
        possible = np.zeros(len(rows), dtype=np.int64)
        still = np.ones(len(rows), dtype=bool)
        maybe = np.ones(len(rows), dtype=bool)
        for stage in stages[:-1]:
            for criterion in stage.exit_criteria:
                still &= met[criterion.field]
                maybe &= met[criterion.field] | ~known[criterion.field]
            evidenced += still
            possible += maybe
        # missing: bit k = fields[k]; next actions: bit k = the claimed stage's k-th criterion
        gap_code = np.zeros(len(rows), dtype=np.int64)
        unknown_code = np.zeros(len(rows), dtype=np.int64)
        path_unknown = np.zeros(len(rows), dtype=bool)
        next_actions = np.empty(len(rows), dtype=object)
        for index, stage in enumerate(stages):
            own = list(dict.fromkeys(c.field for c in stage.exit_criteria))
            here = position == index
            next_code = np.zeros(int(here.sum()), dtype=np.int64)
            for k, field in enumerate(own):
                bit = np.int64(1) << fields.index(field)
                gap_code |= np.where(~met[field] & known[field] & (position > index), bit, 0)
                unknown_code |= np.where(~known[field] & (position >= index), bit, 0)
                path_unknown |= ~known[field] & (position > index)
                next_code |= np.where(~met[field][here] & known[field][here],
                                      np.int64(1) << k, 0)
            next_actions[here] = field_tuples(next_code, own)
        keys = np.array([s.key for s in stages], dtype=object)
        inflated = position > possible
        all_rows.append(rows)
        out["stage_model"].append(np.full(len(rows), stage_model.name, dtype=object))
        out["claimed_stage"].append(keys[position])
        out["claimed_index"].append(position + 1)
        out["evidence_stage"].append(keys[evidenced])
        out["evidence_index"].append(evidenced + 1)
        out["stages_inflated"].append(np.maximum(position - possible, 0))
        out["inflated"].append(inflated)
        out["inflated_amount"].append(np.where(inflated, amount[rows], 0.0))
        out["missing"].append(field_tuples(gap_code, fields))
        out["next_actions"].append(next_actions)
        out["evidence_checked"].append(~path_unknown)
        out["unchecked"].append(field_tuples(unknown_code, fields))
        missing_columns += columns_missing(snapshot, evidence, stage_model, rows, fields)
    rows = np.concatenate(all_rows) if all_rows else np.array([], dtype=np.int64)
    result = assemble(snapshot, rows, out, GAP_COLUMNS)
    result = result.astype({"claimed_index": "int64", "evidence_index": "int64",
                            "stages_inflated": "int64", "inflated": "bool",
                            "inflated_amount": "float64", "evidence_checked": "bool"})
    result.attrs["missing_columns"] = tuple(sorted(missing_columns))
    return result


def missing_evidence_columns(
    snapshot: pd.DataFrame, model: ModelArg = None
) -> tuple[MissingColumn, ...]:
    """The evidence columns open deals' criteria need but the snapshot does not hold.

    Same as ``process_gaps(snapshot, model).attrs["missing_columns"]``: one entry per
    team, model and field, never one per deal.

    >>> snap = pd.DataFrame({"team": ["A", "B"], "owner": "x", "deal_id": ["1", "2"],
    ...     "stage": "needs_confirmed", "stage_model": "generic_4", "amount": 1.0,
    ...     "budget_confirmed": pd.array([True, None], dtype="boolean"),
    ...     "decision_maker": ["Ma", "Li"], "need_confirmed": True,
    ...     "timeline_confirmed": True, "solution_presented": True, "quote_sent": True,
    ...     "contract_risk_reviewed": True, "verbal_commitment": True})
    >>> for m in missing_evidence_columns(snap):
    ...     print(m.describe())
    A (generic_4): column 'competitor' not in the snapshot; 1 open deal(s) not checked on it
    B (generic_4): column 'budget_confirmed' not in the team's export; 1 open deal(s) not checked on it
    B (generic_4): column 'competitor' not in the snapshot; 1 open deal(s) not checked on it
    """
    result: tuple[MissingColumn, ...] = process_gaps(snapshot, model).attrs["missing_columns"]
    return result


# --- labels ------------------------------------------------------------------------------

def criterion_label(field: str, lang: str = "en", model: ModelArg = None) -> str:
    """The label of an evidence field in English or Chinese (``lang="zh"``).

    The model's own label (from its first stage that names the field) comes first, then a
    built-in label, then the field name itself.

    >>> criterion_label("quote_sent", "zh", "industrial_b2b")
    '已提交报价/投标文件'
    >>> criterion_label("quote_sent", "zh"), criterion_label("coach")
    ('报价/建议书已发出', 'Internal coach / informant identified')
    """
    check_language(lang)
    if model is not None:
        for stage in _load(model).open_stages:
            for criterion in stage.exit_criteria:
                if criterion.field == field:
                    return criterion.label.get(lang) or criterion.label.get("en") or field
    en, zh = _FIELD_LABELS.get(field, (field, field))
    return zh if lang == "zh" else en


def with_labels(
    frame: pd.DataFrame, lang: str = "en", model: ModelArg = None
) -> pd.DataFrame:
    """A copy of ``frame`` with ``<column>_labels`` next to each tuple-of-fields column
    (``missing``, ``next_actions``, ``bant_missing``), labelled with each row's
    ``stage_model`` (or ``model``, e.g. a user's own model file).

    >>> gaps = pd.DataFrame({"stage_model": ["generic_4"], "missing": [("quote_sent",)]})
    >>> with_labels(gaps).loc[0, "missing_labels"]
    ('Quote / proposal sent',)
    """
    check_language(lang)
    result = frame.copy()
    if model is not None:
        model_codes = np.zeros(len(frame), dtype=np.int64)
        models = [_load(model)]
    else:
        model_codes, names = pd.factorize(frame["stage_model"])
        models = [load_stage_model(str(name)) for name in names]
    for column in _LABELLED:
        if column not in frame.columns:
            continue
        value_codes, values = pd.factorize(frame[column])
        combined, inverse = np.unique(model_codes * len(values) + value_codes,
                                      return_inverse=True)
        labels = np.empty(len(combined), dtype=object)
        for i, code in enumerate(combined.tolist()):  # one per distinct model and tuple
            fields, stage_model = values[code % len(values)], models[code // len(values)]
            labels[i] = tuple(criterion_label(f, lang, stage_model) for f in fields)
        at = list(result.columns).index(column) + 1
        result.insert(at, f"{column}_labels", labels[inverse.reshape(-1)])
    for column in _STAGE_COLUMNS:  # stage keys are never shown: their label in ``lang``
        if column not in frame.columns:
            continue
        shown = [_stage_label(models[code], key, lang)
                 for code, key in zip(model_codes.tolist(), frame[column].tolist(), strict=True)]
        result.insert(list(result.columns).index(column) + 1, f"{column}_label", shown)
    return result


def _stage_label(model: StageModel, key: object, lang: str) -> str:
    """The name of stage ``key`` in ``lang``; blank for no stage, the key itself only when
    the model does not know it."""
    if key is None or (isinstance(key, float) and key != key) or key == "":
        return ""
    return model.stage(str(key)).label_in(lang) if str(key) in model.keys else str(key)
