"""A history written to Parquet (the batch's shared keyed history, ``serve``'s state
folder), read as :func:`~pipereview.history._loader.load_history` reads it with ``file=``:
a team's deals only by Parquet filters, the weeks it holds without reading its rows.

>>> import tempfile
>>> path = Path(tempfile.mkdtemp()) / "history.parquet"
>>> pd.DataFrame({"team": ["N"], "deal_id": ["a"], "snapshot_week": ["2026-W47"]}).to_parquet(path)
>>> history_file_weeks(path), read_history_file(path, team="N")["deal_id"].tolist()
(['2026-W47'], ['a'])
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipereview.history._definitions import adopt
from pipereview.history._teamrows import team_deals

__all__ = ["history_file_weeks", "read_history_file"]


def read_history_file(path: str | Path, *, team: str | None = None) -> pd.DataFrame:
    """A history written to Parquet by :func:`load_history`'s caller (the batch's
    ``history_path``, ``serve``'s state folder), with the definitions it carries adopted as
    :func:`load_history` does (which reads such a file with ``file=``). With ``team``, the
    rows of the deals that were the team's in any of its weeks
    (:func:`~pipereview.history._teamrows.team_deals`: the team's own rows and, of a deal
    that changed team, its handover rows in the other team); a keyed file is read by Parquet
    filters, the team's rows and then its deals' keys, never whole.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "history.parquet"
    >>> pd.DataFrame({"team": ["N", "S", "N"], "deal_id": ["a", "b", "b"],
    ...     "snapshot_week": ["2026-W46", "2026-W46", "2026-W47"]}).to_parquet(path)
    >>> read_history_file(path, team="S")[["team", "deal_id"]].values.tolist()
    [['S', 'b'], ['N', 'b']]
    """
    if team is None:
        history = pd.read_parquet(path)
    else:
        history = pd.read_parquet(path, filters=[("team", "==", team)])
        if "deal_key" in history.columns:
            keys = sorted(set(history["deal_key"].astype("str")))
            if keys:  # the handover rows of the deals that changed team
                deals = pd.read_parquet(path, filters=[("deal_key", "in", keys)])
                history = team_deals(deals, team, weeks=history_file_weeks(path))
        else:  # keyed by ID (or team, name and account) as deal_key() keys it
            history = team_deals(pd.read_parquet(path), team)
    adopt(history)
    return history


def history_file_weeks(path: str | Path) -> list[str]:
    """The weeks a history file (:func:`read_history_file`) holds, oldest first.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "history.parquet"
    >>> pd.DataFrame({"snapshot_week": ["2026-W47", "2026-W46"]}).to_parquet(path)
    >>> history_file_weeks(path)
    ['2026-W46', '2026-W47']
    """
    weeks = pd.read_parquet(path, columns=["snapshot_week"])["snapshot_week"]
    return sorted(weeks.astype(str).unique())
