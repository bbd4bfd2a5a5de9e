"""What a store holds: one row per week and team (``pipereview weeks``), and the deals
the CRM deleted or merged into another in a week, as a pull found them.

>>> import tempfile
>>> from pipereview.history import SnapshotStore
>>> store_summary(SnapshotStore(tempfile.mkdtemp())).columns.tolist()
['week', 'team', 'deals', 'open_deals', 'open_amount', 'source']
>>> removed = pd.DataFrame({"deal_id": ["D7"], "how": ["merged"], "into": ["D3"],
...                         "at": ["2026-11-18T10:00:00Z"]})
>>> removed_record(removed)
[{'deal_id': 'D7', 'how': 'merged', 'into': 'D3', 'at': '2026-11-18T10:00:00Z'}]
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd

from pipereview.core._errors import DamagedWeekError, StoreWarning
from pipereview.history._definitions import adopt
from pipereview.history._weekfiles import REPAIR
from pipereview.ingest._schema import open_mask

if TYPE_CHECKING:
    from pipereview.history._store import SnapshotStore

__all__ = [
    "REMOVED_ATTRS",
    "REMOVED_COLUMNS",
    "SUMMARY_OF_WEEKS",
    "removed_deals",
    "removed_in",
    "removed_record",
    "removed_text",
    "store_summary",
]

#: The key of a history frame's ``attrs`` holding the deals its weeks record as deleted or
#: merged in the CRM (JSON text: week -> [[deal_id, how, into], ...]); absent when none.
REMOVED_ATTRS = "pipereview_removed"

#: The deals a week records as deleted or merged in the CRM: ``how`` is ``deleted`` or
#: ``merged`` (``into``: the surviving deal's ID), ``at`` when the CRM says it happened.
REMOVED_COLUMNS: tuple[str, ...] = ("deal_id", "how", "into", "at")

#: The columns of :func:`store_summary`.
SUMMARY_OF_WEEKS: tuple[str, ...] = (
    "week",
    "team",
    "deals",
    "open_deals",
    "open_amount",
    "source",
)


def store_summary(store: SnapshotStore) -> pd.DataFrame:
    """One row per stored week and team: deals, open deals, open amount, and ``source``:
    ``export``, or ``backfill`` for a week rebuilt from a change history
    (``pipereview backfill``). A damaged week is left out with a warning."""
    rows = []
    adopt(store.definitions())
    for week in store.weeks():
        try:
            frame = store.read(
                week, columns=["team", "stage", "stage_model", "amount"], adopt=False
            )
        except DamagedWeekError as exc:
            warnings.warn(exc.message + f". {REPAIR}.", StoreWarning, stacklevel=3)
            continue
        is_open = open_mask(frame)
        source = "export" if store.backfilled(week) is None else "backfill"
        for team, part in frame.groupby("team", sort=True):
            open_part = part[is_open.loc[part.index]]
            rows.append(
                {
                    "week": week,
                    "team": team,
                    "deals": len(part),
                    "open_deals": len(open_part),
                    "open_amount": float(open_part["amount"].sum()),
                    "source": source,
                }
            )
    return pd.DataFrame(rows, columns=list(SUMMARY_OF_WEEKS))


def removed_record(removed: pd.DataFrame) -> list[dict[str, str | None]]:
    """The deals deleted or merged in the CRM (:data:`REMOVED_COLUMNS`) as a week's record
    keeps them: text, in the frame's order."""
    return [
        {c: None if pd.isna(row[c]) or row[c] == "" else str(row[c]) for c in REMOVED_COLUMNS}
        for row in removed.to_dict("records")
    ]


def removed_deals(store: SnapshotStore, week: str) -> pd.DataFrame:
    """The deals ``week`` records as deleted or merged in the CRM (``pipereview pull``):
    :data:`REMOVED_COLUMNS`, empty when it records none."""
    if store.state(week) is None:
        return pd.DataFrame(columns=list(REMOVED_COLUMNS))
    rows = store.info(week).get("removed", [])
    return pd.DataFrame(rows, columns=list(REMOVED_COLUMNS), dtype=object)


def removed_text(store: SnapshotStore, weeks: Iterable[str]) -> str | None:
    """The deals ``weeks`` record as deleted or merged, as a history frame's ``attrs``
    carry them (:data:`REMOVED_ATTRS`); ``None`` when no week records any."""
    found = {}
    for week in weeks:
        removed = removed_deals(store, str(week))
        if len(removed):
            found[str(week)] = removed[["deal_id", "how", "into"]].values.tolist()
    return json.dumps(found, sort_keys=True) if found else None


def removed_in(frame: pd.DataFrame, week: str) -> pd.DataFrame:
    """The deals ``week`` records as deleted or merged, from the ``attrs`` of ``frame`` (a
    history loaded from the store, or a week of it): ``deal_id``, ``how``, ``into``; empty
    when it records none.

    >>> frame = pd.DataFrame({"snapshot_week": ["2026-W47"]})
    >>> frame.attrs[REMOVED_ATTRS] = '{"2026-W47": [["D7", "merged", "D3"]]}'
    >>> removed_in(frame, "2026-W47").values.tolist()
    [['D7', 'merged', 'D3']]
    """
    rows = json.loads(frame.attrs.get(REMOVED_ATTRS) or "{}").get(str(week), [])
    return pd.DataFrame(rows, columns=["deal_id", "how", "into"], dtype=object)
