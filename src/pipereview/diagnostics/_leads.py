"""Lead conversion by source and by rep, judged against the method's 30% rule.

The leads counted are those created in the ``window_weeks`` ISO weeks ending with the
as-of week (Monday of the first week to the as-of Sunday); a lead created after the as-of
Sunday is not counted. Each counted lead is exactly one of:

- **converted**: it became a deal (``converted``; a conversion dated after the as-of
  Sunday had not happened yet in the week reviewed, so the lead counts as open);
- **disqualified**: closed without a deal (``disqualified``, not converted);
- **open**: neither. An open lead younger than ``decision_days`` on the as-of Sunday is
  *pending*: too young to have failed, it is left out of the rate. An older open lead
  counts as not converted.

The **conversion rate** is the one definition used wherever it is printed::

    rate = converted / decided,   decided = converted + disqualified + (open - pending)

A group with fewer than ``min_leads`` decided leads is ``too_few`` (no verdict); else the
rate is ``below`` ``min_conversion`` (tighten lead screening, 收紧线索筛选) or
``at_or_above`` it. Grouped by a column the export lacks (absent, or blank in every row)
the verdict is ``not_checked`` and :func:`lead_text` says which column is missing.

>>> leads = pd.DataFrame({"team": "T", "owner": "Ann", "lead_source": "Fair",
...     "created_date": pd.Timestamp("2026-09-01"),
...     "converted": pd.array([True] * 3 + [False] * 7, dtype="boolean"),
...     "disqualified": pd.array([False] * 3 + [True] * 7, dtype="boolean")})
>>> lead_conversion(leads, "2026-W47")[["lead_source", "decided", "rate", "verdict"]]
  lead_source  decided  rate      verdict
0        Fair       10   0.3  at_or_above
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipereview.core._compare import less_than
from pipereview.core._errors import ConfigError, InputError
from pipereview.core._languages import check_language
from pipereview.core._weeks import Week
from pipereview.diagnostics._capabilities import not_checked

__all__ = [
    "LEAD_COLUMNS",
    "LEAD_VERDICTS",
    "LeadSettings",
    "lead_conversion",
    "lead_note",
    "lead_text",
]

#: Columns of :func:`lead_conversion`' result after the group columns, in order.
LEAD_COLUMNS: tuple[str, ...] = (
    "leads",
    "converted",
    "disqualified",
    "open",
    "pending",
    "decided",
    "rate",
    "verdict",
)

#: The verdicts of a group's conversion rate.
LEAD_VERDICTS: tuple[str, ...] = ("below", "at_or_above", "too_few", "not_checked")

#: What a reader sees (English, Chinese) for each verdict and note.
_TEXTS: dict[str, tuple[str, str]] = {
    "below": (
        "converts below {rate}: tighten lead screening",
        "线索转化率低于 {rate}：收紧线索筛选",
    ),
    "at_or_above": ("converts at or above {rate}", "线索转化率达到 {rate} 或以上"),
    "too_few": (
        "too few leads to judge (fewer than {min_leads} decided)",
        "线索太少，无法判断（已有结果的线索少于 {min_leads} 条）",
    ),
    "not_available": ("not available: no leads export", "无法分析：没有线索导出"),
}


@dataclass(frozen=True)
class LeadSettings:
    """The window and the rule of lead conversion (configuration section ``leads``).

    - ``window_weeks`` (13): leads created in the quarter's worth of weeks to the as-of
      week are counted;
    - ``min_conversion`` (0.30): the method's rule; a rate below it means tighten lead
      screening;
    - ``min_leads`` (10): a group needs this many decided leads for a verdict;
    - ``decision_days`` (30): an open lead younger than this is pending, left out of
      the rate (an older one counts as not converted).

    >>> LeadSettings(min_conversion=1.5)
    Traceback (most recent call last):
    ...
    pipereview.core._errors.ConfigError: min_conversion must be a share between 0 and 1, got 1.5
    Hint: set leads.min_conversion to a share such as 0.30 (30%)
    """

    window_weeks: int = 13
    min_conversion: float = 0.30
    min_leads: int = 10
    decision_days: int = 30

    def __post_init__(self) -> None:
        if not 0 <= self.min_conversion <= 1:
            raise ConfigError(
                f"min_conversion must be a share between 0 and 1, got {self.min_conversion}",
                hint="set leads.min_conversion to a share such as 0.30 (30%)",
            )
        for name in ("window_weeks", "min_leads"):
            if getattr(self, name) < 1:
                raise ConfigError(
                    f"{name} must be at least 1, got {getattr(self, name)}",
                    hint=f"set leads.{name} to a whole number >= 1",
                )


def lead_text(key: str, lang: str = "en", settings: LeadSettings | None = None) -> str:
    """What a reader sees for a verdict of :data:`LEAD_VERDICTS` (``not_checked`` is
    :func:`~pipereview.diagnostics._capabilities.not_checked` of the missing column, use
    it there) or ``not_available`` (the line shown without a leads export).

    >>> lead_text("below")
    'converts below 30%: tighten lead screening'
    >>> lead_text("not_available", "zh")
    '无法分析：没有线索导出'
    """
    check_language(lang)
    if key not in _TEXTS:
        raise InputError(
            f"no lead text {key!r}",
            expected=", ".join(_TEXTS),
            hint=f"pass one of {', '.join(_TEXTS)}",
        )
    s = settings or LeadSettings()
    en, zh = _TEXTS[key]
    text = zh if lang == "zh" else en
    return text.format(rate=f"{s.min_conversion:.0%}", min_leads=s.min_leads)


def _flag(leads: pd.DataFrame, column: str) -> pd.Series:
    if column not in leads.columns:
        return pd.Series(False, index=leads.index)
    return leads[column].astype("boolean").fillna(False).astype(bool)


def _blank(values: pd.Series) -> bool:
    return bool(values.isna().all() or values.astype(str).str.strip().eq("").all())


def _check(leads: pd.DataFrame, group_columns: Sequence[str]) -> None:
    for column in ("created_date", "converted"):
        if column not in leads.columns:
            raise InputError(
                f"the leads frame has no {column} column",
                column=column,
                expected="created_date and converted columns",
                hint="pass the leads of the companion export (one row per lead)",
            )
    if not group_columns:
        raise InputError(
            "lead_conversion needs at least one group column",
            expected="column names such as ('team', 'lead_source')",
            hint="pass group_columns=('team', 'lead_source') or ('team', 'owner')",
        )


def lead_conversion(
    leads: pd.DataFrame,
    as_of: str | Week,
    settings: LeadSettings | None = None,
    *,
    group_columns: Sequence[str] = ("team", "lead_source"),
) -> pd.DataFrame:
    """Lead conversion per group of ``group_columns`` (``("team", "lead_source")`` by
    source, ``("team", "owner")`` by rep) over the leads created in the window ending
    with ``as_of``: the group columns, then :data:`LEAD_COLUMNS` (``rate`` NaN when no
    lead is decided). The module docstring defines each figure. A group column the export
    lacks is kept blank (None) and every row's verdict is ``not_checked``.

    >>> leads = pd.DataFrame({"team": "T", "owner": ["Ann", "Ann", "Bob"],
    ...     "lead_source": None, "converted": pd.array([True, False, False], dtype="boolean"),
    ...     "created_date": pd.to_datetime(["2026-09-01", "2026-09-02", "2026-11-20"])})
    >>> lead_conversion(leads, "2026-W47")[["lead_source", "leads", "pending", "verdict"]]
      lead_source  leads  pending      verdict
    0        None      3        1  not_checked
    >>> lead_conversion(leads, "2026-W47", group_columns=("owner",))[["owner", "rate"]]
      owner  rate
    0   Ann   0.5
    1   Bob   NaN
    """
    s = settings or LeadSettings()
    columns = list(group_columns)
    _check(leads, columns)
    week = Week.parse(as_of) if isinstance(as_of, str) else as_of
    start, end = pd.Timestamp((week - (s.window_weeks - 1)).monday), pd.Timestamp(week.sunday)
    created = pd.to_datetime(leads["created_date"]).dt.normalize()
    kept = leads[created.between(start, end)]
    created = created[kept.index]
    converted = _flag(kept, "converted")
    if "converted_date" in kept.columns:  # converted after the week reviewed: still open
        converted &= ~pd.to_datetime(kept["converted_date"]).dt.normalize().gt(end)
    disqualified = _flag(kept, "disqualified") & ~converted
    open_ = ~converted & ~disqualified
    young = less_than((end - created).dt.days.to_numpy(), s.decision_days)
    missing = [c for c in columns if c not in kept.columns or _blank(kept[c])]
    groups = pd.DataFrame(
        {c: (None if c in missing else kept[c].astype(object)) for c in columns},
        index=kept.index,
    )
    counts = groups.assign(
        leads=1,
        converted=converted.astype("int64"),
        disqualified=disqualified.astype("int64"),
        open=open_.astype("int64"),
        pending=(open_ & young).astype("int64"),
    )
    out = counts.groupby(columns, sort=True, dropna=False).sum().reset_index()
    for c in columns:
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    out["decided"] = out["leads"] - out["pending"]
    out["rate"] = (out["converted"] / out["decided"].where(out["decided"].gt(0))).astype(float)
    verdict = np.where(
        less_than(out["decided"].to_numpy(), s.min_leads),
        "too_few",
        np.where(less_than(out["rate"].to_numpy(), s.min_conversion), "below", "at_or_above"),
    )
    out["verdict"] = np.where(bool(missing), "not_checked", verdict).astype(object)
    return out[[*columns, *LEAD_COLUMNS]]


def lead_note(leads: pd.DataFrame | None, group_columns: Sequence[str], lang: str = "en") -> str:
    """The line shown in place of the conversion figures, or "" when they can be shown:
    ``not available`` without a leads export, ``not checked`` when it lacks a group
    column.

    >>> lead_note(None, ("team", "lead_source"))
    'not available: no leads export'
    >>> print(lead_note(pd.DataFrame({"team": ["T"]}), ("team", "lead_source")))
    not checked: the export has no lead source column (add it to the export or to the column map)
    """
    check_language(lang)
    if leads is None:
        return lead_text("not_available", lang)
    missing = [c for c in group_columns if c not in leads.columns or _blank(leads[c])]
    return not_checked(missing, lang)
