"""What a store holds, one row per week and team: ``pipereview weeks``.

>>> import tempfile
>>> from pipereview.history import SnapshotStore
>>> store_summary(SnapshotStore(tempfile.mkdtemp())).columns.tolist()
['week', 'team', 'deals', 'open_deals', 'open_amount', 'source']
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import pandas as pd

from pipereview.core._errors import DamagedWeekError, StoreWarning
from pipereview.history._definitions import adopt
from pipereview.history._weekfiles import REPAIR
from pipereview.ingest._schema import open_mask

if TYPE_CHECKING:
    from pipereview.history._store import SnapshotStore

__all__ = ["SUMMARY_OF_WEEKS", "store_summary"]

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
