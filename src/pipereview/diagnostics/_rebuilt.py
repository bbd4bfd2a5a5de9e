"""Weeks rebuilt from a change history, said where the weeks are compared.

``pipereview backfill`` stores past weeks rebuilt from the CRM's change history; their
rows name the history they came from (``source_file`` ending ``(backfill)``). The review's
changes and the dashboard say which of the weeks they compare are rebuilt, from which
history, and which columns those weeks cannot know (blank in every rebuilt row while the
latest week's export has them): the week's own findings come from its real export.

>>> history = pd.DataFrame({"snapshot_week": ["2026-W45", "2026-W46", "2026-W47"],
...     "source_file": ["north-history.csv (backfill)"] * 2 + ["north.csv"],
...     "next_step": [None, None, "Call"], "amount": [1.0, 2.0, 3.0]})
>>> rebuilt_weeks(history)
('2026-W45', '2026-W46')
>>> print(rebuilt_note(history))
Weeks 2026-W45 to 2026-W46 are rebuilt from the CRM's change history (north-history.csv); the next step is not known for them. This week's findings come from its own export.
>>> print(rebuilt_note(history[history["snapshot_week"] < "2026-W47"]))
Weeks 2026-W45 to 2026-W46 are rebuilt from the CRM's change history (north-history.csv). This week is rebuilt too: findings that need a column the history does not give say not checked.
>>> print(rebuilt_note(history, "zh"))
2026-W45 至 2026-W46 各周由 CRM 的变更历史（north-history.csv）重建，这些周的下一步未知。本周的发现均来自本周的实际导出数据。
"""

from __future__ import annotations

import pandas as pd

from pipereview.core._languages import check_language
from pipereview.diagnostics._capabilities import column_label

__all__ = ["REBUILT_MARK", "rebuilt_note", "rebuilt_weeks"]

#: How a rebuilt row's ``source_file`` ends (the history file's name comes before it).
REBUILT_MARK = " (backfill)"


def _rebuilt_rows(history: pd.DataFrame) -> pd.Series:
    if "source_file" not in history or history.empty:
        return pd.Series(False, index=history.index)
    return history["source_file"].astype("str").str.endswith(REBUILT_MARK)


def rebuilt_weeks(history: pd.DataFrame) -> tuple[str, ...]:
    """The weeks of ``history`` rebuilt from a change history, oldest first."""
    rows = _rebuilt_rows(history)
    return tuple(sorted(set(history.loc[rows, "snapshot_week"].astype("str"))))


def rebuilt_note(history: pd.DataFrame, lang: str = "en") -> str | None:
    """The sentence that names the rebuilt weeks of ``history`` (its last week being the
    one reviewed), the histories and the columns those weeks cannot know; ``None`` when no
    week is rebuilt."""
    check_language(lang)
    rows = _rebuilt_rows(history)
    if not rows.any():
        return None
    weeks = rebuilt_weeks(history)
    span = (
        weeks[0] if len(weeks) == 1 else f"{weeks[0]} {'至' if lang == 'zh' else 'to'} {weeks[-1]}"
    )
    sources = sorted(
        set(history.loc[rows, "source_file"].astype("str").str.removesuffix(REBUILT_MARK))
    )
    real = history[~rows]
    unknown = [
        c
        for c in history.columns
        if c not in ("snapshot_week", "source_file")
        and history.loc[rows, c].isna().all()
        and real[c].notna().any()
    ]
    labels = [column_label(c, lang) for c in unknown]
    this_week = str(history["snapshot_week"].astype("str").max()) in weeks
    if lang == "zh":
        missing = f"，这些周的{'、'.join(labels)}未知" if labels else ""
        ending = (
            "本周也是重建的：需要变更历史中没有的列的发现显示为“未检查”。"
            if this_week
            else "本周的发现均来自本周的实际导出数据。"
        )
        return f"{span} 各周由 CRM 的变更历史（{'、'.join(sources)}）重建{missing}。{ending}"
    one = "Week" if len(weeks) == 1 else "Weeks"
    verb = "is" if len(weeks) == 1 else "are"
    missing = ""
    if labels:
        listed = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
        missing = f"; the {listed} {'is' if len(labels) == 1 else 'are'} not known for them"
    ending = (
        "This week is rebuilt too: findings that need a column the history does not give "
        "say not checked."
        if this_week
        else "This week's findings come from its own export."
    )
    return (
        f"{one} {span} {verb} rebuilt from the CRM's change history ({', '.join(sources)})"
        f"{missing}. {ending}"
    )
