"""Small helpers shared by the built-in rules."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import numpy as np
import pandas as pd

from pipereview.coaching._sheetitems import working_day
from pipereview.core._compare import slack
from pipereview.core._weeks import Week

__all__ = [
    "BUILTIN_RULES",
    "DEAL_COLUMNS",
    "SEVERITY_BANDS",
    "SeverityBands",
    "builtin_rule",
    "deal_rows",
    "evidence_records",
    "follow_up_by",
    "one_run",
    "severity_bands",
    "shared_figure",
    "team_currency",
    "with_plan_rule",
]

#: Identity columns a deal-level finding carries, when the source frame has them.
DEAL_COLUMNS: tuple[str, ...] = (
    "team",
    "owner",
    "deal_key",
    "deal_id",
    "deal_name",
    "account",
    "stage_model",
    "stage",
    "currency",
)


F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

#: The built-in rules in the order their modules define them: (name, function, settings as
#: :func:`pipereview.coaching.register_rule` takes them). The rule registry registers them
#: on first use; the rule modules never import the registry.
BUILTIN_RULES: list[tuple[str, Callable[..., Any], dict[str, Any]]] = []


def builtin_rule(name: str, **settings: Any) -> Callable[[F], F]:
    """Decorator marking a shipped rule (see :data:`BUILTIN_RULES`)."""

    def decorate(function: F) -> F:
        BUILTIN_RULES.append((name, function, settings))
        return function

    return decorate


#: The figures computed so far in the run of the rules under way (:func:`one_run`), by
#: figure and context; None outside a run.
_RUN: ContextVar[dict[tuple[Callable[..., Any], int], tuple[object, Any]] | None] = ContextVar(
    "coaching_run", default=None
)


@contextmanager
def one_run() -> Iterator[None]:
    """Within it, each :func:`shared_figure` is computed once per context, however many
    rules read it (:func:`~pipereview.coaching.registry.coaching_findings` runs the
    rules in one); outside it, on every call.

    >>> calls = []
    >>> @shared_figure
    ... def figure(context):
    ...     calls.append(context)
    ...     return len(calls)
    >>> with one_run():
    ...     figure("week"), figure("week"), figure("other week")
    (1, 1, 2)
    >>> figure("week"), len(calls)
    (3, 3)
    """
    token = _RUN.set({})
    try:
        yield
    finally:
        _RUN.reset(token)


def shared_figure(function: Callable[[Any], T]) -> Callable[[Any], T]:
    """Decorator: ``function(context)`` computed once per context in a run of the rules
    (:func:`one_run`), its result handed to every rule that asks for it. Rules read such
    a figure and never modify it (they derive their own frames from it)."""

    @functools.wraps(function)
    def once(context: Any) -> T:
        run = _RUN.get()
        if run is None:
            return function(context)
        key = (function, id(context))
        found = run.get(key)
        if found is None or found[0] is not context:
            found = run[key] = (context, function(context))
        result: T = found[1]
        return result

    return once


@dataclass(frozen=True)
class SeverityBands:
    """A rule's severity (1 to 3) from one figure: ``levels[i]`` for a figure in the
    ``i``-th band that ``edges`` (ascending) cut the number line into.

    A figure exactly on an edge belongs to the band above it when ``on_edge`` is
    ``"upper"`` (rules worded "below x": x itself is not below) and to the band below it
    when ``"lower"`` (rules worded "above x"). Every shipped rule's bands are listed in
    :data:`SEVERITY_BANDS` under the rule's name.

    >>> bands = SeverityBands("example", "coverage / coverage needed", (0.5, 0.75), (3, 2, 1))
    >>> bands(np.array([0.49, 0.5, 0.74, 0.75])).tolist()
    [3, 2, 2, 1]
    >>> SeverityBands("example", "deal share", (0.55, 0.7), (1, 2, 3), on_edge="lower")(
    ...     np.array([0.55, 0.56, 0.7, 0.71])
    ... ).tolist()
    [1, 2, 2, 3]
    """

    rule: str
    figure: str
    edges: tuple[float, ...]
    levels: tuple[int, ...]
    on_edge: Literal["upper", "lower"] = "upper"

    def __post_init__(self) -> None:
        if len(self.levels) != len(self.edges) + 1 or list(self.edges) != sorted(self.edges):
            raise ValueError(
                f"severity bands of {self.rule}: {len(self.edges)} ascending edges need "
                f"{len(self.edges) + 1} levels, got edges {self.edges} and levels {self.levels}"
            )
        if not all(1 <= level <= 3 for level in self.levels):
            raise ValueError(f"severity bands of {self.rule}: levels are 1 to 3, got {self.levels}")

    def __call__(self, figure: pd.Series | np.ndarray) -> np.ndarray:
        """The severity of each figure."""
        values = np.asarray(figure, dtype=float)
        edges = np.asarray(self.edges, dtype=float)
        # a figure a few bits off an edge is on it (pipereview.core._compare)
        near = slack(edges, edges)
        if self.on_edge == "upper":
            band = np.searchsorted(edges - near, values, side="right")
        else:
            band = np.searchsorted(edges + near, values, side="left")
        return np.asarray(self.levels, dtype=np.int64)[band]


#: The severity bands of the shipped rules, by rule name (filled by :func:`severity_bands`).
SEVERITY_BANDS: dict[str, SeverityBands] = {}


def severity_bands(
    rule: str,
    figure: str,
    edges: tuple[float, ...],
    levels: tuple[int, ...],
    on_edge: Literal["upper", "lower"] = "upper",
) -> SeverityBands:
    """Declare (in :data:`SEVERITY_BANDS`) and return a shipped rule's severity bands."""
    bands = SeverityBands(rule, figure, edges, levels, on_edge)
    SEVERITY_BANDS[rule] = bands
    return bands


def follow_up_by(week: Week, days: int, holidays: Collection[datetime.date] = ()) -> str:
    """The date every plan agreed in the 1:1 of ``week`` is measured by, as ``YYYY-MM-DD``:
    the sheet's follow-up, the week's Friday + ``days`` (the configuration's
    ``follow_up_days``) on the next working day (no weekend, none of ``holidays``).

    >>> follow_up_by(Week.parse("2026-W47"), 30)  # Friday 2026-11-20 + 30 is a Sunday
    '2026-12-21'
    >>> follow_up_by(Week.parse("2026-W47"), 30, [datetime.date(2026, 12, 21)])
    '2026-12-22'
    """
    return working_day(week.friday + datetime.timedelta(days=days), holidays).isoformat()


def deal_rows(frame: pd.DataFrame, **columns: Any) -> pd.DataFrame:
    """The deal identity columns of ``frame`` plus ``columns`` (finding fields)."""
    fields = {c: frame[c].array for c in DEAL_COLUMNS if c in frame}  # framed once
    for name, value in columns.items():
        fields[name] = value.to_numpy() if isinstance(value, pd.Series) else value
    return pd.DataFrame(fields, index=range(len(frame)))


def evidence_records(
    frame: pd.DataFrame, columns: Sequence[str], **constants: object
) -> list[dict[str, object]]:
    """One evidence mapping per row: ``columns`` of ``frame`` (numpy scalars made plain
    Python) plus ``constants`` (e.g. the thresholds used).

    >>> evidence_records(pd.DataFrame({"days": [45]}), ["days"], limit=30)
    [{'days': 45, 'limit': 30}]
    """
    names = list(columns)
    plain = bool(names) and frame.columns.is_unique and len(set(names)) == len(names)
    if not plain or any(c not in frame for c in names):  # pandas' own records, and error
        records = frame[names].to_dict("records")
        return [{**{str(k): _plain(v) for k, v in r.items()}, **constants} for r in records]
    keys = [str(frame.columns[frame.columns.get_loc(c)]) for c in names]  # the frame's labels
    values = [frame[c].to_numpy(dtype=object) for c in names]  # column by column
    return [
        {**{k: _plain(v) for k, v in zip(keys, row, strict=True)}, **constants}
        for row in zip(*values, strict=True)
    ]


def _plain(value: Any) -> Any:
    """A value of a frame as its ``to_dict("records")`` gives it, numpy scalars made plain
    Python: a missing value ``pd.NA`` as None, a numpy date or duration as pandas'."""
    if value is pd.NA:
        return None
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value)
    if isinstance(value, np.timedelta64):
        return pd.Timedelta(value)
    return value.item() if isinstance(value, np.generic) else value


@shared_figure
def team_currency(context: Any) -> pd.Series:
    """The currency of each team's open deals (its first recorded one), by team: the
    currency of the findings that name no deal."""
    currency: pd.Series = context.open_deals.groupby("team")["currency"].first()
    return currency


def with_plan_rule(context: Any, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (rows of :attr:`~pipereview.week.WeekDiagnostics.progress_rep` or
    ``progress_team``) with ``plan_rule`` and ``plan_rule_zh``: the rule each row's team's
    plan to date follows (:meth:`~pipereview.week.WeekDiagnostics.plan_rule`), for the
    sheets to say wherever they speak of plan.

    >>> class Context:
    ...     def plan_rule(self, team: str, lang: str) -> str:
    ...         return f"{team} {lang}"
    >>> with_plan_rule(Context(), pd.DataFrame({"team": ["N"]})).iloc[0].tolist()
    ['N', 'N en', 'N zh']
    """
    teams = frame["team"].astype(str)
    return frame.assign(
        plan_rule=teams.map(lambda t: context.plan_rule(t, "en")),
        plan_rule_zh=teams.map(lambda t: context.plan_rule(t, "zh")),
    )
