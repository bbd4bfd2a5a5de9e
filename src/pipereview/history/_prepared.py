"""A history prepared once for every diagnostic of a review.

Every diagnostic reads the same stacked snapshots and derives the same things from them:
the deal key (:func:`pipereview.history._trail.deal_key`), integer codes for deals and weeks,
the order by deal then week, each week's Monday, the stage facts
(:func:`pipereview.ingest._schema.stage_facts`) and the week each deal entered its current
stage. :func:`prepare_history` derives them once, into a :class:`PreparedHistory`;
every diagnostic accepts one wherever it accepts the history, and gives the same result
as on the plain frame (a plain frame is prepared on the fly).

The prepared form holds a shallow copy of the frame (pandas copies on write, so later
changes to the caller's frame never reach it) and read-only arrays: prepare again after
changing the history.

>>> h = pd.DataFrame({"snapshot_week": ["2026-W46", "2026-W47", "2026-W47"],
...     "deal_id": ["b", "a", "b"], "stage_model": "generic_4",
...     "stage": ["initial_contact", "negotiation", "initial_contact"]})
>>> p = prepare_history(h)
>>> p.weeks, p.week.tolist(), p.deal.tolist(), p.order.tolist()
(('2026-W46', '2026-W47'), [0, 1, 1], [1, 0, 1], [1, 0, 2])
>>> p.days_in_stage("2026-W47").tolist()
[7.0, 0.0, 7.0]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pipereview.core._weeks import Week
from pipereview.history._loader import load_history
from pipereview.history._trail import deal_key
from pipereview.ingest._schema import stage_facts

if TYPE_CHECKING:
    from pipereview.history._store import SnapshotStore
    from pipereview.ingest._limits import ReadLimits

__all__ = ["NO_OWNER", "PreparedHistory", "as_prepared", "load_prepared", "prepare_history"]

#: the rep named for a deal whose ``owner`` is missing (a frame built by hand: the store
#: refuses such rows), so per-rep figures count it instead of dropping it
NO_OWNER = "(no owner)"

_FACTS = ("position", "is_open", "is_won", "is_lost", "model_probability")


def _frozen(values: np.ndarray) -> np.ndarray:
    values.flags.writeable = False
    return values


@dataclass(frozen=True, eq=False, repr=False)
class PreparedHistory:
    """Stacked weekly snapshots with what every diagnostic derives from them, per row
    (arrays aligned with the rows of ``frame``, read-only). Build with
    :func:`prepare_history`.

    - ``frame``: the history (a shallow copy of the caller's, never modified);
    - ``deal_key``: :func:`pipereview.history._trail.deal_key` of each row;
    - ``deal``: the deal key as an integer code (code order is the keys' text order);
    - ``week``: the week as an index into ``weeks`` (the distinct stored weeks, sorted;
      -1 for a missing week) and ``week_mondays`` their Mondays;
    - ``order``: the row positions sorted by deal, then week (stable);
    - ``position``, ``is_open``, ``is_won``, ``is_lost``, ``model_probability``: the
      stage facts of :func:`pipereview.ingest._schema.stage_facts`;
    - ``stage_entry``: the Monday of the week the row's deal entered its current stage
      (the start of its run of rows in that stage).

    >>> p = prepare_history(pd.DataFrame({"snapshot_week": ["2026-W47"], "deal_id": ["a"],
    ...     "stage_model": "generic_4", "stage": ["won"]}))
    >>> len(p), bool(p.is_won[0]), str(p.monday[0])[:10]
    (1, True, '2026-11-16')
    >>> p
    PreparedHistory(1 rows, 1 deals, weeks 2026-W47..2026-W47)
    """

    frame: pd.DataFrame
    deal_key: pd.Series
    deal: np.ndarray
    week: np.ndarray
    weeks: tuple[str, ...]
    week_mondays: np.ndarray
    order: np.ndarray
    position: np.ndarray
    is_open: np.ndarray
    is_won: np.ndarray
    is_lost: np.ndarray
    model_probability: np.ndarray
    stage_entry: np.ndarray

    def __len__(self) -> int:
        return len(self.frame)

    def __repr__(self) -> str:
        weeks = f"{self.weeks[0]}..{self.weeks[-1]}" if self.weeks else "none"
        deals = len(np.unique(self.deal)) if len(self.deal) else 0
        return f"PreparedHistory({len(self):,} rows, {deals:,} deals, weeks {weeks})"

    @property
    def empty(self) -> bool:
        """Whether the history has no rows."""
        return len(self.frame) == 0

    @property
    def monday(self) -> np.ndarray:
        """Per row: the Monday of its week (``datetime64[ns]``; NaT for a missing week)."""
        out: np.ndarray = self.week_mondays[self.week]  # its last slot (-1) is NaT
        return out

    def week_code(self, week: str | Week) -> int:
        """The code of the last stored week up to ``week`` (-1 when none), so that
        ``prepared.week <= prepared.week_code(w)`` selects the rows up to ``w``.

        >>> p = prepare_history(pd.DataFrame({"snapshot_week": ["2026-W45", "2026-W47"],
        ...     "deal_id": "a", "stage_model": "generic_4", "stage": "won"}))
        >>> p.week_code("2026-W47"), p.week_code("2026-W46"), p.week_code("2026-W44")
        (1, 0, -1)
        """
        return (
            int(np.searchsorted(np.asarray(self.weeks, dtype=object), str(week), side="right")) - 1
        )

    def stage_facts(self) -> pd.DataFrame:
        """:func:`pipereview.ingest._schema.stage_facts` of :attr:`frame` (a new frame).

        >>> prepare_history(pd.DataFrame({"snapshot_week": "2026-W47", "deal_id": ["a"],
        ...     "stage_model": "generic_4", "stage": ["lost"]})).stage_facts()["is_lost"].tolist()
        [True]
        """
        return pd.DataFrame(
            {name: getattr(self, name).copy() for name in _FACTS}, index=self.frame.index
        )

    def days_in_stage(self, as_of: str | Week) -> pd.Series:
        """:func:`pipereview.history._trail.days_in_stage` of :attr:`frame` as of ``as_of``.

        >>> p = prepare_history(pd.DataFrame({"snapshot_week": ["2026-W46", "2026-W47"],
        ...     "deal_id": "a", "stage_model": "generic_4", "stage": "won"}))
        >>> p.days_in_stage("2026-W48").tolist()
        [14.0, 14.0]
        """
        week = Week.parse(as_of) if isinstance(as_of, str) else as_of
        monday = np.datetime64(week.monday, "D")
        age = (monday - self.stage_entry).astype("timedelta64[D]").astype(float)
        return pd.Series(age, index=self.frame.index, name="days_in_stage")

    def take(self, rows: np.ndarray) -> PreparedHistory:
        """The prepared history of the rows at positions (or the boolean mask) ``rows``,
        in their order here; codes keep their meaning.

        >>> p = prepare_history(pd.DataFrame({"snapshot_week": ["2026-W46", "2026-W47"],
        ...     "deal_id": ["a", "b"], "stage_model": "generic_4", "stage": "won"}))
        >>> p.take(np.array([False, True])).deal_key.tolist()
        ['b']
        """
        picked = np.arange(len(self.frame))[rows]
        mapped = np.full(len(self.frame), -1, dtype=np.int64)
        mapped[picked] = np.arange(len(picked))
        order = mapped[self.order]
        if not (np.diff(picked) > 0).all():  # not in stored order: sort again
            order = np.lexsort((self.week[picked], self.deal[picked]))
        else:
            order = order[order >= 0]
        return PreparedHistory(
            frame=self.frame.iloc[picked],
            deal_key=self.deal_key.iloc[picked],
            deal=_frozen(self.deal[picked]),
            week=_frozen(self.week[picked]),
            weeks=self.weeks,
            week_mondays=self.week_mondays,
            order=_frozen(order),
            **{name: _frozen(getattr(self, name)[picked]) for name in _FACTS},
            stage_entry=_frozen(self.stage_entry[picked]),
        )

    def with_columns(self, columns: Iterable[str]) -> PreparedHistory:
        """The same rows with only ``columns`` of :attr:`frame` (those it has): cheaper
        to slice week by week when a diagnostic reads a few columns.

        >>> p = prepare_history(pd.DataFrame({"snapshot_week": ["2026-W47"], "deal_id": ["a"],
        ...     "stage_model": "generic_4", "stage": ["won"], "note": ["x"]}))
        >>> p.with_columns(["snapshot_week", "stage"]).frame.columns.tolist()
        ['snapshot_week', 'stage']
        """
        keep = [c for c in self.frame.columns if c in set(columns)]
        return replace(self, frame=self.frame[keep])

    def in_week_order(self) -> PreparedHistory:
        """The same rows, oldest week first (a store's history already is: then this
        object itself).

        >>> p = prepare_history(pd.DataFrame({"snapshot_week": ["2026-W47", "2026-W46"],
        ...     "deal_id": ["a", "b"], "stage_model": "generic_4", "stage": "won"}))
        >>> ordered = p.in_week_order()
        >>> ordered.deal_key.tolist(), ordered.in_week_order() is ordered
        (['b', 'a'], True)
        """
        if len(self.week) and not bool((np.diff(self.week) >= 0).all()):
            return self.take(np.argsort(self.week, kind="stable"))
        return self

    def latest_mask(self) -> np.ndarray:
        """Per row: whether it is of its team's latest stored week.

        >>> p = prepare_history(pd.DataFrame({"snapshot_week": ["2026-W46", "2026-W47",
        ...     "2026-W46"], "team": ["N", "N", "W"], "deal_id": "a",
        ...     "stage_model": "generic_4", "stage": "won"}))
        >>> p.latest_mask().tolist()
        [False, True, True]
        """
        latest = self.frame.groupby("team")["snapshot_week"].transform("max")
        mask: np.ndarray = (self.frame["snapshot_week"] == latest).to_numpy(dtype=bool)
        return mask

    def last_rows(self) -> np.ndarray:
        """Positions of each deal's last row (latest week, then last stored), in row
        order: what ``drop_duplicates("deal_key", keep="last")`` keeps on rows in week
        order.

        >>> p = prepare_history(pd.DataFrame({"snapshot_week": ["2026-W46", "2026-W46",
        ...     "2026-W47"], "deal_id": ["a", "b", "a"], "stage_model": "generic_4",
        ...     "stage": "won"}))
        >>> p.last_rows().tolist()
        [1, 2]
        """
        keys = self.deal[self.order]
        ends = np.flatnonzero(np.r_[keys[1:] != keys[:-1], True]) if len(keys) else keys
        return np.sort(self.order[ends])

    def upto(self, week: str | Week) -> PreparedHistory:
        """The rows stored for weeks up to ``week`` (this object when that is every row,
        as for the latest week).

        >>> p = prepare_history(pd.DataFrame({"snapshot_week": ["2026-W46", "2026-W47"],
        ...     "deal_id": "a", "stage_model": "generic_4", "stage": "won"}))
        >>> len(p.upto("2026-W46")), p.upto("2026-W47") is p
        (1, True)
        """
        keep = self.week <= self.week_code(week)
        keep &= self.week >= 0  # a missing week is never "up to" a week
        if keep.all():
            return self
        return self.take(keep)


def prepare_history(history: pd.DataFrame) -> PreparedHistory:
    """Derive once what every diagnostic needs from ``history`` (stacked weekly
    snapshots, optionally keyed by :func:`pipereview.with_deal_keys`); see
    :class:`PreparedHistory`. ``history`` is not modified. A missing ``owner`` reads
    :data:`NO_OWNER`, so a rep's figures never drop or break on such a deal.

    Pass the result to the diagnostics in place of the history: each one then skips
    keying, sorting and stage lookups, and returns exactly what it returns for the frame.

    >>> h = pd.DataFrame({"snapshot_week": ["2026-W46", "2026-W47"], "team": "T",
    ...     "deal_id": "D1", "owner": "Ann", "stage": "initial_contact",
    ...     "stage_model": "generic_4", "amount": 100.0, "probability": float("nan")})
    >>> from pipereview.diagnostics._funnel import stage_table
    >>> prepared = prepare_history(h)
    >>> stage_table(prepared, as_of="2026-W47").equals(stage_table(h, as_of="2026-W47"))
    True
    >>> prepare_history(h.assign(owner=None)).frame["owner"].tolist()
    ['(no owner)', '(no owner)']
    """
    frame = history.copy(deep=False)
    if "owner" in frame and frame["owner"].isna().any():
        frame["owner"] = frame["owner"].astype(object).where(frame["owner"].notna(), NO_OWNER)
    key = deal_key(frame)  # adopts the definitions the history carries
    deal, _ = pd.factorize(key, sort=True)
    week, names = pd.factorize(frame["snapshot_week"].astype("str"), sort=True)
    weeks = tuple(str(w) for w in names)
    # one slot more, for the code -1 of a missing week
    mondays = np.array(
        [np.datetime64(Week.parse(w).monday, "ns") for w in weeks] + [np.datetime64("NaT", "ns")],
        dtype="datetime64[ns]",
    )
    deal = deal.astype(np.int64, copy=False)
    week = week.astype(np.int64, copy=False)
    order = np.lexsort((week, deal))  # by deal, then week (stable)
    # the Monday each row's deal entered its current stage: the start of its run
    stages, _ = pd.factorize(frame["stage"])
    k, s = deal[order], stages[order]
    new_run = np.ones(len(order), dtype=bool)
    new_run[1:] = (k[1:] != k[:-1]) | (s[1:] != s[:-1])
    run_start = np.maximum.accumulate(np.where(new_run, np.arange(len(order)), 0))
    entry = np.empty(len(order), dtype="datetime64[ns]")
    entry[order] = mondays[week[order[run_start]]]
    facts = stage_facts(frame)
    return PreparedHistory(
        frame=frame,
        deal_key=key,
        deal=_frozen(deal),
        week=_frozen(week),
        weeks=weeks,
        week_mondays=_frozen(mondays),
        order=_frozen(order),
        **{name: _frozen(facts[name].to_numpy(copy=True)) for name in _FACTS},
        stage_entry=_frozen(entry),
    )


def as_prepared(history: pd.DataFrame | PreparedHistory) -> PreparedHistory:
    """``history`` itself when prepared, else :func:`prepare_history` of it.

    >>> p = prepare_history(pd.DataFrame({"snapshot_week": ["2026-W47"], "deal_id": ["a"],
    ...     "stage_model": "generic_4", "stage": ["won"]}))
    >>> as_prepared(p) is p
    True
    """
    if isinstance(history, PreparedHistory):
        return history
    return prepare_history(history)


def load_prepared(
    store: str | Path | SnapshotStore | None = None,
    *,
    team: str | None = None,
    last: str | Week | None = None,
    file: str | Path | None = None,
    exports: str | Path | None = None,
    templates: Iterable[str | Path] = (),
    limits: ReadLimits | None = None,
) -> PreparedHistory:
    """The keyed history :func:`~pipereview.history._loader.load_history` loads (from a
    ``store``, a history ``file`` or a folder of ``exports``; of ``team``, up to ``last``,
    with the definitions the weeks were ingested with and the ``templates`` folders in
    effect), prepared once.

    >>> import tempfile
    >>> from pipereview.history import ingest_week
    >>> store = tempfile.mkdtemp()
    >>> _ = ingest_week(["tests/data/headers/hubspot.csv"], week="2026-W47", store=store)
    >>> list(load_prepared(store, team="Mid-Market East").weeks)
    ['2026-W47']
    """
    return prepare_history(
        load_history(
            store,
            team=team,
            last=last,
            file=file,
            exports=exports,
            templates=templates,
            limits=limits,
        )
    )
