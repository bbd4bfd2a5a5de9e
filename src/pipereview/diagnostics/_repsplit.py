"""How a team's target is split over its reps when not every rep has a given target
(``plan.rep_split``), and the one wording of the rule that applied.

Rules, in the order they are tried from ``rep_split`` (``history`` by default):

- ``history``: each rep's share of the won amount of the listed reps over the last
  ``history_quarters`` (4) full quarters before the period (deals by close date), each
  rep's weight at least ``history_floor`` (0.5) of an equal share, so a new rep is never
  given nothing; when they won nothing in that window (or no history is given), the next
  rule;
- ``capacity``: in proportion to each rep's capacity (the targets file's ``capacity``
  column on the rep's row, else ``plan.capacity``, else 1: a share of a full rep's, 0 to 1;
  a rep in ramp-up at 0.5 gets half a full rep's share); when no rep has a capacity given, the next rule;
- ``equal``: equal shares (一刀切), the last resort, named as such.

>>> rep_rule_text("history", "en", period="2026-Q4")
"rep targets split by the last 4 quarters' won amounts (2025-Q4 to 2026-Q3), each rep at least 50% of an equal share"
>>> rep_rule_text("equal", "zh")
'销售目标平均分配（一刀切）：没有历史赢单或产能数据'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from pipereview.core._errors import ConfigError
from pipereview.core._languages import check_language
from pipereview.diagnostics._forecast import as_week, won_deals
from pipereview.diagnostics._waterfall import period_bounds
from pipereview.history._prepared import PreparedHistory, as_prepared

__all__ = ["REP_RULES", "check_split", "rep_rule_text", "split_weights"]

#: The values of ``plan.rep_split``; ``given`` applies whenever every rep has a target.
REP_RULES: tuple[str, ...] = ("history", "capacity", "equal")
_SCALE = 1_000_000  # a capacity as a whole-number weight (6 decimals kept)


def check_split(
    rep_split: str, history_quarters: int, history_floor: float, capacity: Mapping[str, Any]
) -> Mapping[str, float]:
    """The rep-split settings checked; ``capacity`` as a read-only mapping of floats.

    >>> dict(check_split("capacity", 4, 0.5, {"Ann": 0.5}))
    {'Ann': 0.5}
    """
    if rep_split not in REP_RULES:
        raise ConfigError(
            f"rep_split {rep_split!r}: use 'history', 'capacity' or 'equal'",
            expected="'history', 'capacity' or 'equal'",
            hint="set plan.rep_split to history (the default), capacity or equal",
        )
    if not isinstance(history_quarters, int) or history_quarters < 1:
        raise ConfigError(
            f"history_quarters must be a whole number of at least 1, got {history_quarters!r}",
            hint="set plan.history_quarters to the number of past quarters to read, e.g. 4",
        )
    if not 0 <= history_floor <= 1:
        raise ConfigError(
            f"history_floor must be between 0 and 1, got {history_floor!r}",
            hint="set plan.history_floor to a share of an equal share, e.g. 0.5",
        )
    if not isinstance(capacity, Mapping):
        capacity = {}
    bad = {
        k: v
        for k, v in capacity.items()
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 1
    }
    if bad:
        raise ConfigError(
            f"capacity of {', '.join(map(str, bad))} must be a share of a full rep's, "
            f"between 0 and 1, got {list(bad.values())!r}",
            expected="rep: a number between 0 and 1",
            hint="write plan.capacity as 'rep name: capacity' lines, 1 for a full rep, "
            "0.5 for a rep in ramp-up",
        )
    return MappingProxyType({str(k): float(v) for k, v in capacity.items()})


def _window(period: str, quarters: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The ``quarters`` full quarters before the quarter ``period`` starts in."""
    first, _ = period_bounds(period)
    quarter_start = pd.Timestamp(first.year, first.month - (first.month - 1) % 3, 1)
    start = quarter_start - pd.DateOffset(months=3 * quarters)
    return start, quarter_start - pd.Timedelta(days=1)


def _history_weights(
    history: pd.DataFrame | PreparedHistory,
    team: str,
    period: str,
    names: Sequence[str],
    settings: Any,
) -> np.ndarray | None:
    prepared = as_prepared(history)
    if prepared.empty:
        return None
    start, end = _window(period, settings.history_quarters)
    won = won_deals(prepared, None, as_week(prepared.weeks[-1]))
    won = won[(won["team"] == team) & (won["close_date"] >= start) & (won["close_date"] <= end)]
    cents = (won["amount"].astype(float) * 100).round().astype("int64").groupby(won["owner"]).sum()
    mine = cents.reindex(list(names)).fillna(0).astype("int64").to_numpy()
    if not mine.sum():
        return None
    floor = round(settings.history_floor * int(mine.sum()) / len(names))
    weights: np.ndarray = np.maximum(mine, floor)
    return weights


def _capacity_weights(rows: pd.DataFrame, names: Sequence[str], settings: Any) -> np.ndarray | None:
    owner = rows["owner"].fillna("")
    from_file = (
        rows[owner != ""].set_index("owner")["capacity"].dropna()
        if "capacity" in rows
        else pd.Series(dtype=float)
    )
    given = {n: from_file[n] if n in from_file.index else settings.capacity.get(n) for n in names}
    if all(v is None for v in given.values()):
        return None
    weights = np.array([round(float(1.0 if v is None else v) * _SCALE) for v in given.values()])
    return weights if weights.sum() else None


def split_weights(
    rows: pd.DataFrame,
    team: str,
    period: str,
    names: Sequence[str],
    settings: Any,
    history: pd.DataFrame | PreparedHistory | None = None,
) -> tuple[np.ndarray, str]:
    """Whole-number weights of ``names`` for splitting ``team``'s ``period`` target, and
    the rule that gave them (``history``, ``capacity`` or ``equal``): ``rows`` are the
    team's target rows of the period, ``settings`` a
    :class:`~pipereview.diagnostics._targets.PlanSettings`.

    >>> rows = pd.DataFrame({"owner": ["Ann", "Bob"], "capacity": [1.0, 0.5]})
    >>> weights, rule = split_weights(rows, "N", "2026-Q4", ["Ann", "Bob"],
    ...     type("S", (), {"rep_split": "capacity", "capacity": {}})())
    >>> weights.tolist(), rule
    ([1000000, 500000], 'capacity')
    """
    order = list(REP_RULES[REP_RULES.index(settings.rep_split) :])
    for rule in order:
        weights = (
            _history_weights(history, team, period, names, settings)
            if rule == "history" and history is not None
            else _capacity_weights(rows, names, settings)
            if rule == "capacity"
            else np.ones(len(names), dtype=np.int64)
            if rule == "equal"
            else None
        )
        if weights is not None:
            return weights.astype(np.int64), rule
    raise AssertionError("the equal rule always applies")  # pragma: no cover


def rep_rule_text(
    rule: str,
    lang: str = "en",
    *,
    period: str = "",
    quarters: int = 4,
    floor: float = 0.5,
    wanted: str = "history",
) -> str:
    """The rule that split a team's target over its reps, in one short phrase (en or zh);
    ``wanted`` is the ``rep_split`` asked for (equal shares asked for are not a fallback).

    >>> rep_rule_text("capacity", "en")
    'rep targets split by capacity (1 = a full rep)'
    """
    zh = check_language(lang) == "zh"
    if rule == "given":
        return "销售目标取自目标文件" if zh else "rep targets as given in the targets file"
    if rule == "capacity":
        return (
            "销售目标按产能分配（1 = 满产能）"
            if zh
            else "rep targets split by capacity (1 = a full rep)"
        )
    if rule == "equal" and wanted == "equal":
        return (
            "销售目标平均分配（一刀切），按配置" if zh else "equal shares (一刀切), as configured"
        )
    if rule == "equal":
        if zh:
            return "销售目标平均分配（一刀切）：没有历史赢单或产能数据"
        return "equal shares (一刀切): no won history or capacity given"
    span = ""
    if period:
        start, end = _window(period, quarters)
        span = f"{start.year}-Q{start.quarter} to {end.year}-Q{end.quarter}"
    if zh:
        span = f"（{span.replace(' to ', ' 至 ')}）" if span else ""
        return f"销售目标按最近 {quarters} 个季度的赢单金额分配{span}，每人至少为平均份额的 {floor:.0%}"
    span = f" ({span})" if span else ""
    return (
        f"rep targets split by the last {quarters} quarters' won amounts{span}, "
        f"each rep at least {floor:.0%} of an equal share"
    )
