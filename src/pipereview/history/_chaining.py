"""Deals chained across stored weeks: each row linked to its deal's row of the week before,
and one stable key per deal.

Consecutive weeks are matched with :func:`pipereview.history._matching.match_deals` (by
ID, then fuzzy); a deal missing from some weeks comes back under its ID. The key is the
deal's first ID, ``<first week>#<n>`` for a deal first seen without one, ``<id>@<week>``
for an ID a later deal reuses (see :mod:`pipereview.history._trail`).

>>> h = pd.DataFrame({"snapshot_week": ["2026-W47", "2026-W46", "2026-W47"],
...     "deal_id": ["NEW-9", "OLD-1", ""], "deal_name": ["MES", "MES", "ERP"],
...     "account": ["Acme", "Acme", "Beta"], "team": "T", "owner": "Ann", "amount": 5e5,
...     "close_date": pd.Timestamp("2026-12-31")})
>>> chain = chain_deals(h, None)
>>> chain.perm.tolist(), chain.parent.tolist(), chain.link.tolist()
([1, 0, 2], [-1, 0, -1], ['', 'fuzzy', ''])
>>> chain.key.tolist()
['OLD-1', 'OLD-1', '2026-W47#1']
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from pipereview.core._weeks import Week
from pipereview.history._matching import MatchSettings, match_deals

#: nothing of the package's own: ``chain_deals`` and ``Chain`` serve ``_trail``
__all__: list[str] = []

# what matching reads (see pipereview.history._matching), and the week
_MATCH_COLUMNS = (
    "snapshot_week",
    "deal_id",
    "deal_name",
    "account",
    "team",
    "owner",
    "amount",
    "close_date",
)


class Chain(NamedTuple):
    """A history's rows linked week to week (see :func:`chain_deals`)."""

    perm: np.ndarray  #: positions in the history of the week-sorted rows
    parent: np.ndarray  #: per sorted row, its deal's previous row (-1 on a deal's first)
    link: np.ndarray  #: per sorted row, how it was tied to its parent ("id", "fuzzy", "")
    root: np.ndarray  #: per sorted row, its deal's first row
    key: np.ndarray  #: per sorted row, its deal's stable key


def chain_deals(history: pd.DataFrame, settings: MatchSettings | None) -> Chain:
    """Link each row to its deal's previous row, week by week: ``perm`` (positions in
    ``history`` of the week-sorted rows) and, per sorted row, ``parent`` (-1 on a deal's
    first row), ``link``, ``root`` (the deal's first row) and the stable ``key``.

    Only the columns matching reads are taken, rows are reordered only when not already
    in week order (a store's history is), weeks are slices, and IDs are integer codes:
    on a history of millions of rows no per-row Python string is made and no column is
    copied (a copy per week made keying 13 million rows take tens of GiB and minutes).
    """
    weeks = sorted(history["snapshot_week"].astype(str).unique(), key=Week.parse)
    index = pd.Index(weeks).get_indexer(history["snapshot_week"].astype(str))
    perm = np.argsort(index, kind="stable")
    hist = history[[c for c in _MATCH_COLUMNS if c in history.columns]]
    if (np.diff(index) < 0).any():
        hist = hist.iloc[perm]
    hist = hist.reset_index(drop=True)
    counts = np.bincount(index, minlength=len(weeks))
    starts = np.concatenate([[0], np.cumsum(counts)])
    n = len(hist)
    codes, uniques = pd.factorize(hist["deal_id"].astype("str").str.strip().fillna(""))
    id_text = np.asarray(uniques, dtype=object)
    blank = (id_text == "")[codes] if len(id_text) else np.zeros(n, dtype=bool)
    parent = np.full(n, -1, dtype=np.int64)
    link = np.full(n, "", dtype=object)
    root = np.arange(n)
    has_child = np.zeros(n, dtype=bool)
    last_row = np.full(len(id_text), -1, dtype=np.int64)  # latest row seen of each deal ID
    for t in range(len(weeks)):  # loops over weeks; each week is vectorised
        rows = np.arange(starts[t], starts[t + 1])
        if t > 0:
            m = match_deals(
                hist.iloc[starts[t - 1] : starts[t]],
                hist.iloc[starts[t] : starts[t + 1]],
                settings=settings,
            )
            m = m[m["method"] != ""]
            child = starts[t] + m["curr_row"].to_numpy(dtype=np.int64)
            parent[child] = starts[t - 1] + m["prev_row"].to_numpy(dtype=np.int64)
            link[child] = m["method"].to_numpy(dtype=object)
        orphans = rows[(parent[rows] < 0) & ~blank[rows]]
        if len(orphans):  # back after a gap under the same ID
            prior = last_row[codes[orphans]]
            ok = prior >= 0
            ok[ok] = ~has_child[prior[ok]]
            parent[orphans[ok]] = prior[ok]
            link[orphans[ok]] = "id"
        linked = rows[parent[rows] >= 0]
        has_child[parent[linked]] = True
        root[linked] = root[parent[linked]]
        seen = rows[~blank[rows]]
        last_row[codes[seen]] = seen
    heads = np.flatnonzero(root == np.arange(n))
    week_names = np.asarray(weeks, dtype=object)
    key = _keys(
        id_text[codes[heads]] if len(id_text) else np.array([], dtype=object),
        heads,
        root,
        week_names[index[perm][heads]],
    )
    return Chain(perm, parent, link, root, key)


def _keys(
    head_ids: np.ndarray, heads: np.ndarray, root: np.ndarray, head_weeks: np.ndarray
) -> np.ndarray:
    """Stable key per row: its deal's first ID, or first week and rank when it had none
    (``heads``: each deal's first row, with its ID and week)."""
    blank = head_ids == ""
    rank = pd.Series(blank).groupby(head_weeks).cumsum().to_numpy()
    names = np.where(blank, head_weeks + "#" + rank.astype(str), head_ids).astype(object)
    again = pd.Series(names).duplicated().to_numpy()  # an ID reused by a later deal
    names[again] = names[again] + "@" + head_weeks[again]
    key: np.ndarray = np.empty(len(root), dtype=object)
    key[heads] = names
    keys: np.ndarray = key[root]
    return keys
