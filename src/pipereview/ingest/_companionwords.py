"""The words companion exports write for an activity's type and a lead's outcome, mapped onto
the canonical values: :data:`ACTIVITY_TYPES`, and converted / disqualified.

>>> activity_types(pd.Series(["Phone Call", "拜访", "Webinar", None])).tolist()
['call', 'visit', 'other', 'other']
>>> status_outcome("Closed - Not Converted"), status_outcome("已转化"), status_outcome("Open")
('disqualified', 'converted', None)
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from pipereview.core._text import normalize_label

__all__ = [
    "ACTIVITY_TYPES",
    "ACTIVITY_WORDS",
    "CONVERTED_STAGES",
    "STATUS_WORDS",
    "activity_types",
    "header_activity_type",
    "status_outcome",
    "status_reason",
    "unknown_activity_words",
]

#: The kinds of activity the activities frame knows, in this order.
ACTIVITY_TYPES: tuple[str, ...] = ("visit", "meeting", "call", "email", "task", "other")

#: activity type -> the words CRMs write for it (Salesforce task subtypes and event types,
#: HubSpot engagement types, Odoo activity types, Dynamics activity types, Chinese CRMs'
#: 跟进方式), compared with normalize_label
ACTIVITY_WORDS: dict[str, tuple[str, ...]] = {
    "visit": ("Visit", "Site Visit", "On-site Visit", "Customer Visit", "拜访", "上门拜访", "面访"),
    "meeting": ("Meeting", "Appointment", "Event", "Demo", "会议", "会面", "见面", "线上会议"),
    "call": ("Call", "Phone Call", "Phone", "Log a Call", "Calls", "Call Log", "电话", "通话"),
    "email": ("Email", "E-mail", "List Email", "ListEmail", "Mail", "Emails", "邮件", "电子邮件"),
    "task": ("Task", "To Do", "To-Do", "Todo", "Upload Document", "任务", "待办"),
    "other": ("Other", "Others", "其他", "其它"),
}
_ACTIVITY: dict[str, str] = {
    normalize_label(word): kind for kind, words in ACTIVITY_WORDS.items() for word in words
}

#: outcome -> lead status words that say it (Salesforce lead status, HubSpot lead status,
#: Dynamics status reason, Chinese 线索状态), compared with normalize_label
STATUS_WORDS: dict[str, tuple[str, ...]] = {
    "converted": ("Closed - Converted", "Converted", "Qualified", "Open Deal", "已转化", "转化"),
    "disqualified": (
        "Closed - Not Converted",
        "Unqualified",
        "Disqualified",
        "Not Qualified",
        "Lost",
        "Cannot Contact",
        "No Longer Interested",
        "Canceled",
        "Cancelled",
        "Junk",
        "无效",
        "关闭",
        "已关闭",
        "无效线索",
    ),
}
_STATUS: dict[str, str] = {
    normalize_label(word): outcome for outcome, words in STATUS_WORDS.items() for word in words
}
#: status words that say only that a lead was disqualified, not why
_NO_REASON = frozenset(
    normalize_label(w)
    for w in (
        "Closed - Not Converted",
        "Unqualified",
        "Disqualified",
        "Not Qualified",
        "无效",
        "关闭",
    )
)
#: HubSpot lifecycle stages (labels and internal names) of a contact that became a deal;
#: Odoo's ``type`` of a lead turned opportunity
CONVERTED_STAGES = frozenset({"opportunity", "customer", "evangelist"})


def activity_types(raw: pd.Series) -> pd.Series:
    """The canonical type of each activity type word; unknown or blank words are ``other``.

    >>> activity_types(pd.Series(["To Do", "Meeting", "电话"])).tolist()
    ['task', 'meeting', 'call']
    """
    words = {w: _ACTIVITY.get(normalize_label(w), "other") for w in raw.dropna().unique()}
    return raw.astype("object").map(lambda w: words.get(w, "other")).astype("object")


def header_activity_type(headers: Sequence[str]) -> str | None:
    """The one activity type the column names of an export of one type tell (HubSpot's
    meetings export: "Meeting name", "Meeting outcome"; a calls export: "Call title"),
    None when they tell none or several.

    >>> header_activity_type(["Record ID", "Meeting name", "Activity date"])
    'meeting'
    >>> header_activity_type(["Activity date", "Owner"]) is None
    True
    """
    told = {
        _ACTIVITY[word]
        for header in headers
        for word in normalize_label(str(header)).split()
        if word in _ACTIVITY and _ACTIVITY[word] != "other"
    }
    return told.pop() if len(told) == 1 else None


def unknown_activity_words(raw: pd.Series) -> dict[str, int]:
    """The activity type words no type knows, as written, with how often each occurs.

    >>> unknown_activity_words(pd.Series(["Webinar", "Call", "Webinar", None]))
    {'Webinar': 2}
    """
    written = raw.dropna()
    unknown = written[~written.map(lambda w: normalize_label(w) in _ACTIVITY)]
    return {str(k): int(v) for k, v in unknown.value_counts(sort=True).items()}


def status_outcome(status: str | None) -> str | None:
    """``converted``, ``disqualified`` or ``None`` (still open, or not known) for a lead
    status word; a HubSpot lifecycle stage or an Odoo lead type past lead is converted.

    >>> status_outcome("Opportunity"), status_outcome("Lost"), status_outcome(None)
    ('converted', 'disqualified', None)
    """
    if not status:
        return None
    label = normalize_label(status)
    if label in CONVERTED_STAGES:
        return "converted"
    return _STATUS.get(label)


def status_reason(status: str | None) -> str | None:
    """The status as the reason a lead was disqualified, unless it says only that it was.

    >>> status_reason("No Longer Interested"), status_reason("Unqualified")
    ('No Longer Interested', None)
    """
    if not status or normalize_label(status) in _NO_REASON:
        return None
    return status
