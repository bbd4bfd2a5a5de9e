"""The words a reader sees for collection and customer lifecycle findings, in English and
Chinese, each in one place: the labels of the figures, the verdicts, and the line shown
instead of a finding when the invoices export is absent (method step six, 跟踪实施与回款).

>>> print(no_invoices_text("zh"))
无法分析：没有开票回款导出
>>> print(collection_text("below_min", "zh"))
回款率低于目标
>>> print(lifecycle_text("not_enough_history", "en", quarters=3))
not enough history: 3 quarters stored
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from pipereview.core._errors import InputError
from pipereview.core._languages import check_language

__all__ = [
    "COLLECTION_LABELS",
    "LIFECYCLE_STAGES",
    "collection_text",
    "lifecycle_text",
    "no_invoices_text",
]

#: The stages of the customer lifecycle (客户生命周期), in the order a customer goes
#: through them; then the two answers when no stage can be told.
LIFECYCLE_STAGES: tuple[str, ...] = (
    "introduction",
    "growth",
    "maturity",
    "decline",
    "not_enough_history",
    "mixed_currencies",
)

#: Figure and verdict keys of the collection and lifecycle diagnostics (their column names,
#: ``status``, ``reason`` and ``source`` values) -> (English, Chinese).
COLLECTION_LABELS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "collection_rate": ("collection rate", "回款率"),
        "due_amount": ("amount due", "应收到期金额"),
        "collected": ("collected", "已回款"),
        "outstanding": ("outstanding", "未回款"),
        "overdue": ("overdue", "逾期"),
        "days_overdue": ("days overdue", "逾期天数"),
        "owed": ("amount owed", "欠款金额"),
        "dso": ("days sales outstanding (DSO)", "应收账款周转天数"),
        "receivables": ("receivables outstanding", "应收账款余额"),
        "invoiced_in_window": ("invoiced in the window", "窗口期内开票金额"),
        "ok": ("collection rate on target", "回款率达标"),
        "below_min": ("collection rate below target", "回款率低于目标"),
        "nothing_due": ("nothing due yet", "尚无到期应收"),
        "no_payments": (
            "not checked: the invoices export has no amount paid, amount due or payment "
            "status column, so no invoice can be told paid or unpaid",
            "无法检查：开票回款导出中没有已回款金额、未回款金额或付款状态列，无法判断发票是否已回款",
        ),
        "nothing_invoiced": (
            "no invoices in the window: no DSO",
            "窗口期内没有开票，无法计算应收账款周转天数",
        ),
        "mixed_currencies": (
            "not added up: the team's invoices carry several currencies",
            "未汇总：该团队的发票涉及多种币种",
        ),
        "invoices_due": ("invoices due", "到期发票数"),
        "overdue_invoices": ("invoices overdue", "逾期发票数"),
        "overdue_amount": ("amount overdue", "逾期金额"),
        "paid_at_as_of": ("paid by the as-of date", "截至统计日已回款"),
        "window_days": ("days in the window", "窗口期天数"),
        "lifecycle": ("customer lifecycle", "客户生命周期"),
        "first_revenue_date": ("first revenue", "首次收入日期"),
        "quarters_stored": ("quarters of revenue stored", "已有收入数据的季度数"),
        "revenue_last_4q": ("revenue, last four quarters", "近四个季度收入"),
        "revenue_prior_4q": ("revenue, the four quarters before", "前四个季度收入"),
        "change": ("change on the four quarters before", "较前四个季度的变化"),
        "invoices": ("invoiced revenue", "开票收入"),
        "won_deals": ("won deals", "赢单金额"),
    }
)

_STAGE_TEXT: dict[str, tuple[str, str]] = {
    "introduction": ("introduction", "引入期"),
    "growth": ("growth", "成长期"),
    "maturity": ("maturity", "成熟期"),
    "decline": ("decline", "衰退期"),
    "mixed_currencies": COLLECTION_LABELS["mixed_currencies"],
}

_NO_INVOICES = ("not available: no invoices export", "无法分析：没有开票回款导出")


def _unknown(key: str, known: object) -> InputError:
    return InputError(
        f"no reader's text for {key!r}",
        expected=f"one of {known}",
        hint="pass a key the collection or lifecycle diagnostics return",
    )


def collection_text(key: str, lang: str = "en") -> str:
    """The reader's words for a figure or verdict of the collection diagnostics (a key of
    :data:`COLLECTION_LABELS`: a column name or a ``status`` / ``reason`` value).

    >>> collection_text("dso"), collection_text("collection_rate", "zh")
    ('days sales outstanding (DSO)', '回款率')
    """
    check_language(lang)
    if key not in COLLECTION_LABELS:
        raise _unknown(key, sorted(COLLECTION_LABELS))
    en, zh = COLLECTION_LABELS[key]
    return zh if lang == "zh" else en


def lifecycle_text(stage: str, lang: str = "en", *, quarters: int | None = None) -> str:
    """A lifecycle ``stage`` (:data:`LIFECYCLE_STAGES`) as printed; ``not_enough_history``
    says how many ``quarters`` the data holds.

    >>> lifecycle_text("growth", "zh"), lifecycle_text("decline")
    ('成长期', 'decline')
    >>> print(lifecycle_text("not_enough_history", "zh", quarters=1))
    历史数据不足：仅有 1 个季度的数据
    """
    check_language(lang)
    if stage == "not_enough_history":
        n = 0 if quarters is None else int(quarters)
        if lang == "zh":
            return f"历史数据不足：仅有 {n} 个季度的数据"
        return f"not enough history: {n} quarter{'' if n == 1 else 's'} stored"
    if stage not in _STAGE_TEXT:
        raise _unknown(stage, list(LIFECYCLE_STAGES))
    en, zh = _STAGE_TEXT[stage]
    return zh if lang == "zh" else en


def no_invoices_text(lang: str = "en") -> str:
    """The line shown in place of a collection finding when there is no invoices export.

    >>> no_invoices_text()
    'not available: no invoices export'
    """
    check_language(lang)
    en, zh = _NO_INVOICES
    return zh if lang == "zh" else en
