"""Labels of evidence fields and stages, in English or Chinese, for reports and tables.

A criterion's label comes from the stage model first (the stage that names the field), then
from a built-in table of the usual evidence fields, then the field name itself.
:func:`with_labels` adds labelled columns next to the field-tuple columns of
:func:`pipereview.diagnostics._process.process_gaps` and
:func:`pipereview.diagnostics._bant.bant_check` and next to their stage keys.

>>> criterion_label("decision_maker", "zh")
'已识别决策人'
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipereview.core._languages import check_language
from pipereview.core._stages import StageModel, load_stage_model

__all__ = ["criterion_label", "with_labels"]

#: A stage model as the diagnostics take it: the model, a shipped name or a YAML path;
#: None for each row's own ``stage_model``.
ModelArg = StageModel | str | Path | None

_LABELLED = ("missing", "next_actions", "unchecked", "bant_missing", "bant_unchecked")
#: Columns holding a stage key: :func:`with_labels` adds ``<column>_label`` in the language.
_STAGE_COLUMNS = ("claimed_stage", "evidence_stage")
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


def as_stage_model(model: StageModel | str | Path) -> StageModel:
    """``model`` loaded when given by name or path."""
    return model if isinstance(model, StageModel) else load_stage_model(model)


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
        for stage in as_stage_model(model).open_stages:
            for criterion in stage.exit_criteria:
                if criterion.field == field:
                    return criterion.label.get(lang) or criterion.label.get("en") or field
    en, zh = _FIELD_LABELS.get(field, (field, field))
    return zh if lang == "zh" else en


def with_labels(frame: pd.DataFrame, lang: str = "en", model: ModelArg = None) -> pd.DataFrame:
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
        models = [as_stage_model(model)]
    else:
        model_codes, names = pd.factorize(frame["stage_model"])
        models = [load_stage_model(str(name)) for name in names]
    for column in _LABELLED:
        if column not in frame.columns:
            continue
        value_codes, values = pd.factorize(frame[column])
        combined, inverse = np.unique(model_codes * len(values) + value_codes, return_inverse=True)
        labels = np.empty(len(combined), dtype=object)
        for i, code in enumerate(combined.tolist()):  # one per distinct model and tuple
            fields, stage_model = values[code % len(values)], models[code // len(values)]
            labels[i] = tuple(criterion_label(f, lang, stage_model) for f in fields)
        at = list(result.columns).index(column) + 1
        result.insert(at, f"{column}_labels", labels[inverse.reshape(-1)])
    for column in _STAGE_COLUMNS:  # stage keys are never shown: their label in ``lang``
        if column not in frame.columns:
            continue
        shown = [
            _stage_label(models[code], key, lang)
            for code, key in zip(model_codes.tolist(), frame[column].tolist(), strict=True)
        ]
        result.insert(list(result.columns).index(column) + 1, f"{column}_label", shown)
    return result


def _stage_label(model: StageModel, key: object, lang: str) -> str:
    """The name of stage ``key`` in ``lang``; blank for no stage, the key itself only when
    the model does not know it."""
    if key is None or (isinstance(key, float) and key != key) or key == "":
        return ""
    return model.stage(str(key)).label_in(lang) if str(key) in model.keys else str(key)
