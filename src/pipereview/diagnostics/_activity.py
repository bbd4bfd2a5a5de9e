"""Activity per rep against the team's norm, and activities per stage advance.

The figures read the activities export (one row per logged visit, meeting, call, email or
task; ``activity_date`` and ``owner`` on every row) over a window of ``window_weeks`` ISO
weeks ending with the as-of week: from the Monday of its first week to the Sunday of the
as-of week, both included. Activities dated after the as-of Sunday are not counted (an
export taken later than the week reviewed), nor those before the window's Monday.

- **Counts** (:func:`activity_counts`): per team and rep, activities by type, the total
  and the total of each week of the window (the trend, oldest week first). The team's
  **norm** is the median total of its reps; the rep's **ratio** is its total over the
  norm; at or above ``high_ratio`` it is ``high``, at or below ``low_ratio`` ``low``,
  else ``within``. A team with fewer than ``min_reps`` reps has no norm (``no_norm``).
  ``peers_median`` is the median of the team's *other* reps, what a rep is shown beside.
- **Activities per advance** (:func:`activity_advances`): a rep's activities in the
  window over the stage advances of the rep's deals in the window. An advance is a deal
  whose stage position rose from its row of one stored week to its next row, or that was
  won (a deal first stored already won counts, unless it is in the history's first
  stored week, where every deal is seen for the first time). A rep without an advance
  has no ratio (``None``, "no advance"): never a division by zero.

>>> acts = pd.DataFrame({"team": "North", "owner": ["Ann", "Ann", "Bob"],
...     "activity_type": ["visit", "call", "call"],
...     "activity_date": pd.to_datetime(["2026-11-16", "2026-11-22", "2026-10-01"])})
>>> activity_counts(acts, "2026-W47")[["owner", "visit", "call", "activities", "norm", "label"]]
  owner  visit  call  activities  norm label
0   Ann      1     1           2   1.0  high
1   Bob      0     0           0   1.0   low
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipereview.core._compare import at_least, at_most
from pipereview.core._errors import ConfigError, InputError
from pipereview.core._languages import check_language
from pipereview.core._weeks import Week
from pipereview.history._prepared import PreparedHistory, as_prepared

__all__ = [
    "ACTIVITY_COLUMNS",
    "ACTIVITY_LABELS",
    "ADVANCE_COLUMNS",
    "ActivitySettings",
    "activity_advances",
    "activity_counts",
    "activity_text",
    "stage_advances",
]

#: The activity types counted, in the order of the result's columns (any other value of
#: ``activity_type`` counts as ``other``).
_TYPES: tuple[str, ...] = ("visit", "meeting", "call", "email", "task", "other")

#: Columns of :func:`activity_counts`' result, in order.
ACTIVITY_COLUMNS: tuple[str, ...] = (
    "team",
    "owner",
    *_TYPES,
    "activities",
    "per_week",
    "reps",
    "norm",
    "peers_median",
    "ratio",
    "label",
)

#: Columns of :func:`activity_advances`' result, in order.
ADVANCE_COLUMNS: tuple[str, ...] = ("team", "owner", "activities", "advances", "per_advance")

#: The labels of a rep's activity against the team's norm.
ACTIVITY_LABELS: tuple[str, ...] = ("high", "within", "low", "no_norm")

#: What a reader sees (English, Chinese) for each label and note.
_TEXTS: dict[str, tuple[str, str]] = {
    "high": (
        "high activity (at or above {high} x the team's norm)",
        "活动量偏高（≥ 团队常模的 {high} 倍）",
    ),
    "within": ("activity within the team's norm", "活动量在团队常模范围内"),
    "low": (
        "low activity (at or below {low} x the team's norm)",
        "活动量偏低（≤ 团队常模的 {low} 倍）",
    ),
    "no_norm": (
        "no norm: fewer than {min_reps} reps with activities in the team",
        "无团队常模：团队中记录活动的销售少于 {min_reps} 人",
    ),
    "no_advance": ("no advance", "无阶段推进"),
    "not_available": ("not available: no activities export", "无法分析：没有活动记录导出"),
}


@dataclass(frozen=True)
class ActivitySettings:
    """The window and the bands of the activity figures (configuration section
    ``activities``).

    - ``window_weeks`` (4): the ISO weeks counted, ending with the as-of week (a month
      of activity evens out a week of travel or holidays and still shows this month's
      change);
    - ``high_ratio`` (1.5): a rep at or above 1.5 x the team's norm (median total) is
      ``high``; ``low_ratio`` (0.5): at or below half of it, ``low``;
    - ``min_reps`` (2): a team needs this many reps for a norm (with one rep the norm
      is the rep).

    >>> ActivitySettings(low_ratio=2.0)
    Traceback (most recent call last):
    ...
    pipereview.core._errors.ConfigError: need low_ratio <= 1 <= high_ratio, got 2.0 and 1.5
    Hint: set activities.low_ratio at most 1 (default 0.5) and activities.high_ratio at least 1 (default 1.5)
    """

    window_weeks: int = 4
    high_ratio: float = 1.5
    low_ratio: float = 0.5
    min_reps: int = 2

    def __post_init__(self) -> None:
        if not (self.low_ratio <= 1 <= self.high_ratio):
            raise ConfigError(
                f"need low_ratio <= 1 <= high_ratio, got {self.low_ratio} and {self.high_ratio}",
                hint="set activities.low_ratio at most 1 (default 0.5) and "
                "activities.high_ratio at least 1 (default 1.5)",
            )
        for name in ("window_weeks", "min_reps"):
            if getattr(self, name) < 1:
                raise ConfigError(
                    f"{name} must be at least 1, got {getattr(self, name)}",
                    hint=f"set activities.{name} to a whole number >= 1",
                )


def activity_text(key: str, lang: str = "en", settings: ActivitySettings | None = None) -> str:
    """What a reader sees for a label of :data:`ACTIVITY_LABELS`, ``no_advance`` or
    ``not_available`` (the line shown in place of the figures without an activities export).

    >>> activity_text("not_available", "zh")
    '无法分析：没有活动记录导出'
    >>> activity_text("high")
    "high activity (at or above 1.5 x the team's norm)"
    """
    check_language(lang)
    if key not in _TEXTS:
        raise InputError(
            f"no activity text {key!r}",
            expected=", ".join(_TEXTS),
            hint=f"pass one of {', '.join(_TEXTS)}",
        )
    s = settings or ActivitySettings()
    en, zh = _TEXTS[key]
    text = zh if lang == "zh" else en
    return text.format(high=f"{s.high_ratio:g}", low=f"{s.low_ratio:g}", min_reps=s.min_reps)


def _window(as_of: str | Week, weeks: int) -> tuple[Week, pd.Timestamp, pd.Timestamp]:
    week = Week.parse(as_of) if isinstance(as_of, str) else as_of
    first = week - (weeks - 1)
    return first, pd.Timestamp(first.monday), pd.Timestamp(week.sunday)


def _check(activities: pd.DataFrame) -> None:
    missing = [c for c in ("activity_date", "owner") if c not in activities.columns]
    if missing:
        raise InputError(
            f"the activities frame has no {' or '.join(missing)} column",
            column=missing[0],
            expected="activity_date and owner columns",
            hint="pass the activities of the companion export (one row per activity)",
        )


def _teams(frame: pd.DataFrame) -> pd.Series:
    """Each row's team, blank (the export has no team column) as None."""
    if "team" not in frame.columns:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    team = frame["team"].astype(object)
    return team.where(team.notna(), None)


def _in_window(activities: pd.DataFrame, as_of: str | Week, weeks: int) -> pd.DataFrame:
    """The activities of the window, with ``team``, ``type`` and the window's ``week``
    index (0 the first week); reps with activities before the window up to as-of are
    kept as rows with ``week`` -1 (they count as reps with no activity in the window)."""
    _check(activities)
    _, start, end = _window(as_of, weeks)
    day = pd.to_datetime(activities["activity_date"]).dt.normalize()
    kept = day.le(end) & day.notna() & activities["owner"].notna()
    raw = (
        activities["activity_type"]
        if "activity_type" in activities.columns
        else pd.Series("other", index=activities.index)
    )
    out = pd.DataFrame(
        {
            "team": _teams(activities),
            "owner": activities["owner"].astype(object),
            "type": raw.where(raw.isin(_TYPES), "other").astype(object),
            "week": ((day - start).dt.days // 7).where(day.ge(start), -1),
        }
    )[kept]
    out["week"] = out["week"].astype("int64")
    return out


def _norms(totals: pd.DataFrame, settings: ActivitySettings) -> pd.DataFrame:
    """``reps``, ``norm``, ``peers_median``, ``ratio`` and ``label`` beside each rep's
    total (rows grouped by ``_team``)."""
    group = totals.groupby("_team", sort=False)["activities"]
    totals["reps"] = group.transform("size").astype("int64")
    norm = group.transform("median").astype(float)
    has_norm = at_least(totals["reps"], settings.min_reps)
    totals["norm"] = norm.where(has_norm)
    peers = np.full(len(totals), np.nan)
    for rows in totals.groupby("_team", sort=False).indices.values():
        values = totals["activities"].to_numpy()[rows]
        for place, row in enumerate(rows):
            others = np.delete(values, place)
            peers[row] = float(np.median(others)) if len(others) else np.nan
    totals["peers_median"] = peers
    usable = has_norm & totals["norm"].gt(0)
    totals["ratio"] = (totals["activities"] / totals["norm"].where(usable)).astype(float)
    label = np.where(
        at_least(totals["ratio"], settings.high_ratio),
        "high",
        np.where(at_most(totals["ratio"], settings.low_ratio), "low", "within"),
    )
    zero_norm = has_norm & totals["norm"].eq(0)  # no rep active: any activity is high
    label = np.where(zero_norm & totals["activities"].gt(0), "high", label)
    totals["label"] = np.where(has_norm, label, "no_norm").astype(object)
    return totals


def activity_counts(
    activities: pd.DataFrame, as_of: str | Week, settings: ActivitySettings | None = None
) -> pd.DataFrame:
    """Per team and rep: activities by type in the window ending with ``as_of``, the
    total, the totals per week of the window and the rep against the team's norm
    (columns :data:`ACTIVITY_COLUMNS`; ``per_week`` a tuple, oldest week first).

    A team's reps are the owners with an activity dated up to the as-of Sunday (one with
    none in the window counts with 0). Activities dated after the as-of week's Sunday are
    not counted. Rows by team (blank last), then rep.

    >>> acts = pd.DataFrame({"team": "T", "owner": ["Ann", "Ann", "Ann", "Bob", "Cy"],
    ...     "activity_type": "call", "activity_date": pd.Timestamp("2026-11-18")})
    >>> activity_counts(acts, "2026-W47")[["owner", "activities", "norm", "ratio", "label"]]
      owner  activities  norm  ratio   label
    0   Ann           3   1.0    3.0    high
    1   Bob           1   1.0    1.0  within
    2    Cy           1   1.0    1.0  within
    """
    s = settings or ActivitySettings()
    rows = _in_window(activities, as_of, s.window_weeks)
    if rows.empty:
        return pd.DataFrame(columns=list(ACTIVITY_COLUMNS))
    rows["_team"] = rows["team"].map(lambda t: "\x00" if t is None else f"={t}")
    keys = ["_team", "owner"]
    inside = rows[rows["week"].ge(0)]
    by_type = pd.crosstab([inside["_team"], inside["owner"]], inside["type"])
    by_week = pd.crosstab([inside["_team"], inside["owner"]], inside["week"])
    reps = rows.groupby(keys, sort=True)["team"].first()
    out = pd.DataFrame({"team": reps})
    for kind in _TYPES:
        column = by_type[kind] if kind in by_type else pd.Series(dtype="int64")
        out[kind] = column.reindex(out.index, fill_value=0).astype("int64")
    out["activities"] = out[list(_TYPES)].sum(axis=1).astype("int64")
    weekly = by_week.reindex(index=out.index, columns=range(s.window_weeks), fill_value=0)
    out["per_week"] = [tuple(int(v) for v in row) for row in weekly.to_numpy()]
    out = _norms(out.reset_index(), s)
    out = out.sort_values(["_team", "owner"], key=_blank_last, ignore_index=True)
    return out[list(ACTIVITY_COLUMNS)]


def _blank_last(values: pd.Series) -> pd.Series:
    if values.name == "_team":
        return values.map(lambda t: (t == "\x00", t))
    return values


def stage_advances(
    history: pd.DataFrame | PreparedHistory, first: Week, last: Week
) -> pd.DataFrame:
    """The history's rows that are a stage advance stored in the weeks ``first`` to
    ``last`` (a deal's stage position risen from its open row of the week before, or the
    deal newly won; see the module's docstring), one per advance.

    >>> h = pd.DataFrame({"snapshot_week": ["2026-W46", "2026-W47"], "team": "N",
    ...     "deal_id": "D1", "owner": "Ann", "stage": ["initial_contact", "needs_confirmed"],
    ...     "stage_model": "generic_4", "amount": 1.0})
    >>> stage_advances(h, Week.parse("2026-W47"), Week.parse("2026-W47"))["deal_id"].tolist()
    ['D1']
    """
    prep = as_prepared(history)
    if prep.empty:
        empty: pd.DataFrame = prep.frame.iloc[:0]
        return empty
    order = prep.order  # by deal, then week
    k, w, pos = prep.deal[order], prep.week[order], prep.position[order]
    won, is_open = prep.is_won[order], prep.is_open[order]
    same = np.zeros(len(order), dtype=bool)
    same[1:] = k[1:] == k[:-1]
    before = np.roll(np.arange(len(order)), 1)  # each row's previous row (its deal's when same)
    rose = same & is_open[before] & (pos > pos[before])
    first_seen_won = ~same & won & (w > 0)
    newly_won = won & (first_seen_won | (same & ~won[before]))
    weeks = np.asarray(prep.weeks, dtype=object)
    lo = int(np.searchsorted(weeks, str(first), side="left"))
    hi = int(np.searchsorted(weeks, str(last), side="right"))
    take = (rose | newly_won) & (w >= lo) & (w < hi)
    picked: pd.DataFrame = prep.frame.iloc[order[take]]
    return picked


def _advances(history: pd.DataFrame | PreparedHistory, first: Week, last: Week) -> pd.DataFrame:
    """One row (team, owner) per stage advance stored in the weeks ``first`` to ``last``."""
    picked = stage_advances(history, first, last)
    if picked.empty:
        return pd.DataFrame({"team": [], "owner": []}, dtype=object)
    return pd.DataFrame({"team": _teams(picked).to_numpy(), "owner": picked["owner"].to_numpy()})


def activity_advances(
    activities: pd.DataFrame,
    history: pd.DataFrame | PreparedHistory,
    as_of: str | Week,
    settings: ActivitySettings | None = None,
) -> pd.DataFrame:
    """Per rep: activities in the window ending with ``as_of``, stage advances of the
    rep's deals stored in the window's weeks, and ``per_advance`` = activities / advances
    (``None`` when the rep has no advance: :func:`activity_text` ``no_advance``).
    Columns :data:`ADVANCE_COLUMNS`. A rep counts an advance of a deal it owns in the
    week of the advance. When the activities export has no team, reps are matched by name
    alone (``team`` None). Activities dated after the as-of Sunday are not counted.

    >>> acts = pd.DataFrame({"team": "T", "owner": ["Ann", "Ann", "Bob"],
    ...     "activity_type": "visit", "activity_date": pd.Timestamp("2026-11-17")})
    >>> history = pd.DataFrame({"snapshot_week": ["2026-W46", "2026-W47"], "team": "T",
    ...     "deal_id": "D1", "owner": "Ann", "stage_model": "generic_4",
    ...     "stage": ["initial_contact", "needs_confirmed"]})
    >>> activity_advances(acts, history, "2026-W47")
      team owner  activities  advances per_advance
    0    T   Ann           2         1         2.0
    1    T   Bob           1         0        None
    """
    s = settings or ActivitySettings()
    rows = _in_window(activities, as_of, s.window_weeks)
    first, _, _ = _window(as_of, s.window_weeks)
    moved = _advances(history, first, first + (s.window_weeks - 1))
    if len(rows) and rows["team"].isna().all():  # an export without teams
        moved["team"] = None
    inside = rows[rows["week"].ge(0)]
    frames = [inside.assign(activities=1, advances=0), moved.assign(activities=0, advances=1)]
    both = pd.concat([f[["team", "owner", "activities", "advances"]] for f in frames])
    if both.empty:
        return pd.DataFrame(columns=list(ADVANCE_COLUMNS))
    both["_team"] = both["team"].map(lambda t: "\x00" if t is None else f"={t}")
    out = (
        both.groupby(["_team", "owner"], sort=True)
        .agg(team=("team", "first"), activities=("activities", "sum"), advances=("advances", "sum"))
        .reset_index()
    )
    out = out.sort_values(["_team", "owner"], key=_blank_last, ignore_index=True)
    out[["activities", "advances"]] = out[["activities", "advances"]].astype("int64")
    per = out["activities"] / out["advances"].where(out["advances"].gt(0))
    out["per_advance"] = pd.Series(
        [None if np.isnan(v) else float(v) for v in per], index=out.index, dtype=object
    )
    return out[list(ADVANCE_COLUMNS)]
