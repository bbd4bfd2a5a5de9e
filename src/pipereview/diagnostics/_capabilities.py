"""What each diagnostic needs from an export, and what a week's export actually holds.

Real exports lack columns: a plain Salesforce opportunity report has no evidence fields,
most exports no currency, HubSpot deals often no company, some no activity date or team.
A diagnostic that needs such a column cannot judge the deals: it says so where its
finding would be — "not checked: the export has no currency column (add it to the export
or to the column map)" — instead of a wrong finding.

:data:`REQUIREMENTS` declares, per diagnostic, the canonical columns it needs
(:data:`EVIDENCE` stands for the exit-criteria fields of the team's stage model).
:func:`recorded_columns` reads which columns a snapshot (or history) really holds: a
column counts as missing when it is absent, or blank in every row — that is how the store
keeps an optional column the export did not have (blank ``currency`` and
``last_activity_date``, ``account_missing`` true, evidence flags ``<NA>``, the column
map's default team ``All`` when there was no team column).

>>> snap = pd.DataFrame({"team": "North", "owner": "Ann", "stage": "negotiation",
...     "stage_model": "generic_4", "amount": 5482.0, "currency": [None],
...     "account": [None], "account_missing": True,
...     "last_activity_date": pd.to_datetime(["2026-11-10"])})
>>> missing_for("stage_inflation", snap)[:2]
('budget_confirmed', 'decision_maker')
>>> missing_for("stalled_deal", snap), missing_for("currency", snap)
((), ('currency',))
>>> print(not_checked(missing_for("currency", snap)))
not checked: the export has no currency column (add it to the export or to the column map)
>>> print(not_checked(("account",), "zh"))
未检查：导出文件中没有“客户”列（请在导出文件或列映射中补上）
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

import pandas as pd

from pipereview.core._languages import check_language
from pipereview.core._stages import load_stage_model
from pipereview.ingest._columnmaps import ColumnMap

__all__ = [
    "COACHING_CHECKS",
    "EVIDENCE",
    "REQUIREMENTS",
    "column_label",
    "currency_code",
    "missing_for",
    "not_checked",
    "not_checked_notes",
    "recorded_columns",
    "teams_recording",
]

#: Stands, in :data:`REQUIREMENTS`, for the exit-criteria fields of the team's stage model.
EVIDENCE = "<evidence>"

#: Diagnostic (a coaching rule, a report figure) -> the canonical columns it needs.
REQUIREMENTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "stage_inflation": (EVIDENCE,),
        "missing_exit_criteria": (EVIDENCE,),
        "most_complete_evidence": (EVIDENCE,),
        "bant": ("budget_confirmed", "decision_maker", "need_confirmed", "timeline_confirmed"),
        "no_decision_maker": ("decision_maker",),
        "no_coach": ("coach",),
        "stalled_deal": ("last_activity_date",),
        "currency": ("currency",),
        "deal_concentration": ("account",),
        "account_classes": ("account",),
        "new_existing_customers": ("account",),
        "product_lines": ("product_line",),
        "account_potential": ("account_potential",),
        "account_service": ("account", "last_activity_date"),
        "team_comparison": ("team",),
    }
)

_LABELS: dict[str, tuple[str, str]] = {  # English, Chinese
    "currency": ("currency", "币种"),
    "account": ("account", "客户"),
    "last_activity_date": ("last activity date", "最近活动日期"),
    "team": ("team", "团队"),
    "probability": ("probability", "赢单概率"),
    "forecast_category": ("forecast category", "预测类别"),
    "next_step": ("next step", "下一步"),
    "loss_reason": ("loss reason", "输单原因"),
    "product_line": ("product line", "产品线"),
    "account_potential": ("account potential", "客户潜力"),
    "lead_source": ("lead source", "线索来源"),
    "deal_id": ("deal ID", "商机编号"),
    "deal_name": ("deal name", "商机名称"),
    "owner": ("owner", "负责人"),
    "stage": ("stage", "阶段"),
    "amount": ("amount", "金额"),
    "close_date": ("close date", "预计成交日期"),
}
_MAX_LISTED = 4


def _blank(values: pd.Series) -> pd.Series:
    """True where a cell holds nothing (missing, or text that is only spaces)."""
    if pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values):
        return values.isna() | values.astype("str").str.strip().eq("")
    return values.isna()


def recorded_columns(frame: pd.DataFrame) -> frozenset[str]:
    """The canonical columns ``frame`` (a snapshot or a history) really holds: present and
    not blank in every row. ``account`` counts as missing when every row has
    ``account_missing``; ``team`` when every deal sits in the column map's default team
    (what ingest does with an export without a team column).

    >>> frame = pd.DataFrame({"team": "All", "currency": ["", None], "amount": [1.0, 2.0]})
    >>> sorted(recorded_columns(frame))
    ['amount']
    """
    return frozenset(_recorded(frame, [str(c) for c in frame.columns]))


def teams_recording(frame: pd.DataFrame, column: str) -> frozenset[str]:
    """The teams of ``frame`` (a snapshot or a history) that record ``column``: at least
    one of their rows holds a value in it. A team outside is one whose export lacks the
    column; a figure made of that column is unknown for it, not zero (a team whose
    export has forecast categories and leaves one deal blank records it).

    >>> frame = pd.DataFrame({"team": ["North", "North", "West"],
    ...     "forecast_category": ["commit", None, None]})
    >>> sorted(teams_recording(frame, "forecast_category"))
    ['North']
    >>> teams_recording(frame, "currency")
    frozenset()
    """
    if column not in frame.columns or "team" not in frame.columns:
        return frozenset()
    return frozenset(frame.loc[~_blank(frame[column]), "team"].astype("str"))


def _recorded(frame: pd.DataFrame, columns: Iterable[str]) -> set[str]:
    """Which of ``columns`` ``frame`` records, as :func:`recorded_columns` says (only
    these are looked at: a check needs a few columns of a wide frame)."""
    held = {c for c in columns if c in frame.columns and len(frame) and not _blank(frame[c]).all()}
    if "account_missing" in frame.columns and len(frame) and frame["account_missing"].all():
        held.discard("account")
    if (
        "team" in held
        and frame["team"].astype("str").eq(ColumnMap.model_fields["default_team"].default).all()
    ):
        held.discard("team")
    return held


def _evidence_fields(frame: pd.DataFrame) -> list[str]:
    names: list[object] = (
        list(frame["stage_model"].dropna().unique()) if "stage_model" in frame else []
    )
    fields: dict[str, None] = {}
    for name in names:
        for stage in load_stage_model(str(name)).open_stages:
            fields.update(dict.fromkeys(c.field for c in stage.exit_criteria))
    return list(fields)


def missing_for(diagnostic: str, frame: pd.DataFrame) -> tuple[str, ...]:
    """The columns ``diagnostic`` (a key of :data:`REQUIREMENTS`) needs that ``frame``
    does not record, in the order declared (evidence fields in process order). Empty when
    the diagnostic can run; an unknown diagnostic needs nothing.

    >>> missing_for("stalled_deal", pd.DataFrame({"last_activity_date": [pd.NaT]}))
    ('last_activity_date',)
    """
    needed: list[str] = []
    for column in REQUIREMENTS.get(diagnostic, ()):
        needed += _evidence_fields(frame) if column == EVIDENCE else [column]
    wanted = list(dict.fromkeys(needed))
    held = _recorded(frame, wanted)
    return tuple(c for c in wanted if c not in held)


def column_label(column: str, lang: str = "en") -> str:
    """A reader's name for a canonical column (evidence fields by their criterion label).

    >>> column_label("last_activity_date"), column_label("decision_maker", "zh")
    ('last activity date', '已识别决策人')
    """
    check_language(lang)
    if column in _LABELS:
        en, zh = _LABELS[column]
        return zh if lang == "zh" else en
    from pipereview.diagnostics._labels import criterion_label

    return criterion_label(column, lang)


def not_checked(columns: Sequence[str], lang: str = "en") -> str:
    """The line shown where a finding would be when the export lacks ``columns``.

    >>> print(not_checked(("budget_confirmed", "decision_maker", "need_confirmed",
    ...                    "timeline_confirmed", "quote_sent")))
    not checked: the export has no columns for Budget confirmed, Decision maker identified, Need confirmed by the customer, Purchase time window confirmed and 1 more (add them to the export or to the column map)
    >>> print(not_checked(("competitor", "coach"), "zh"))
    未检查：导出文件中没有“已掌握主要竞争对手”“已发展内线/线人”列（请在导出文件或列映射中补上）
    """
    check_language(lang)
    if not columns:
        return ""
    labels = [column_label(c, lang) for c in columns[:_MAX_LISTED]]
    more = len(columns) - len(labels)
    if lang == "zh":
        listed = "".join(f"“{x}”" for x in labels) + (f"等 {len(columns)} " if more else "")
        return f"未检查：导出文件中没有{listed}列（请在导出文件或列映射中补上）"
    if len(columns) == 1:
        return (
            f"not checked: the export has no {labels[0]} column "
            "(add it to the export or to the column map)"
        )
    if more:
        listed = ", ".join(labels) + f" and {more} more"
    else:
        listed = ", ".join(labels[:-1]) + f" and {labels[-1]}"
    return (
        f"not checked: the export has no columns for {listed} "
        "(add them to the export or to the column map)"
    )


#: What each note of :func:`not_checked_notes` is about (English, Chinese).
_SUBJECTS: dict[str, tuple[str, str]] = {
    "stage_inflation": ("Stage against evidence", "阶段与证据核对"),
    "bant": ("BANT qualification", "线索资格审查（预算、决策人、需求、时间）"),
    "stalled_deal": ("Deals without recent activity", "长期无跟进的商机"),
    "currency": ("Currency of the amounts", "金额币种"),
}
#: The checks a coaching sheet and a team summary report as not checked.
COACHING_CHECKS: tuple[str, ...] = ("stage_inflation", "stalled_deal", "currency")


def not_checked_notes(
    frame: pd.DataFrame, lang: str = "en", diagnostics: Iterable[str] = tuple(_SUBJECTS)
) -> tuple[str, ...]:
    """One line per diagnostic that ``frame`` lacks the columns for, prefixed with what it
    is about: the notes a report, a sheet or the dashboard shows in place of findings.

    >>> snap = pd.DataFrame({"team": "T", "stage_model": "generic_4", "currency": [None],
    ...                      "last_activity_date": pd.to_datetime(["2026-11-10"])})
    >>> for note in not_checked_notes(snap, diagnostics=["stalled_deal", "currency"]):
    ...     print(note)
    Currency of the amounts: not checked: the export has no currency column (add it to the export or to the column map)
    """
    check_language(lang)
    notes = []
    for name in diagnostics:
        missing = missing_for(name, frame)
        if missing:
            en, zh = _SUBJECTS.get(name, (name, name))
            sep = "：" if lang == "zh" else ": "
            notes.append(f"{zh if lang == 'zh' else en}{sep}{not_checked(missing, lang)}")
    return tuple(notes)


def currency_code(value: object) -> str:
    """The currency code to print after an amount: blank when the export has none (the
    amount is then printed without a code, never with "nan" or "None").

    >>> currency_code("EUR"), currency_code(float("nan")), currency_code(None)
    ('EUR', '', '')
    """
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if value is pd.NA or value is pd.NaT:
        return ""
    text = str(value).strip()
    return "" if text.lower() in ("nan", "none", "<na>") else text
