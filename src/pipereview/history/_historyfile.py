"""A history written to Parquet (the batch's shared keyed history, ``serve``'s state
folder), read as :func:`~pipereview.history._loader.load_history` reads it with ``file=``:
a team's deals only by Parquet filters, the weeks it holds without reading its rows.

:func:`write_history_file` lays the file out for those reads: every row once, grouped by
team in row groups of :data:`ROW_GROUP_ROWS`, so a team's read opens only the row groups
that hold its rows; the rows of deals held by more than one team also in a small file
beside it (:func:`moves_file`), where their handover rows are found; the weeks in the
file's metadata; every row's place in the history (``_row``), restored on reading. A file
written otherwise (by ``to_parquet``) reads the same, only slower.

>>> import tempfile
>>> path = Path(tempfile.mkdtemp()) / "history.parquet"
>>> pd.DataFrame({"team": ["N"], "deal_id": ["a"], "snapshot_week": ["2026-W47"]}).to_parquet(path)
>>> history_file_weeks(path), read_history_file(path, team="N")["deal_id"].tolist()
(['2026-W47'], ['a'])
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pipereview.history._definitions import adopt
from pipereview.history._teamrows import team_deals

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "ROW_GROUP_ROWS",
    "history_file_teams",
    "history_file_weeks",
    "moves_file",
    "read_history_file",
    "write_history_file",
]

#: Rows per row group of :func:`write_history_file` (a team's read skips the other ones).
ROW_GROUP_ROWS = 65_536
_ROW = "_row"  # a row's place in the history
_WEEKS, _MOVES = b"pipereview.weeks", b"pipereview.moves"  # the metadata's keys
_TEAMS = b"pipereview.teams"


def moves_file(path: str | Path) -> Path:
    """The file beside a history file that holds the rows of its deals held by more than
    one team (:func:`write_history_file`).

    >>> moves_file("work/history.parquet").name
    'history.moves.parquet'
    """
    path = Path(path)
    return path.with_name(f"{path.stem}.moves{path.suffix}")


def write_history_file(history: pd.DataFrame, path: str | Path) -> None:
    """Write ``history`` to ``path`` for :func:`read_history_file`, which reads back
    ``history`` with a fresh index, its definitions (``attrs``) included.

    The file holds every row once, grouped by team in row groups of
    :data:`ROW_GROUP_ROWS` (a team's read opens only those holding its rows), each with
    its place in the history (``_row``); the weeks are in its metadata. The rows of the
    deals held by more than one team are also written to :func:`moves_file`, where a
    team's read finds their handover rows without reading the other teams' row groups.
    Each file is written through a temporary file renamed when complete, the moves
    first; the history file names the moves file it goes with, so a moves file left
    from another write is never used (the team's read then looks in the history file).

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "history.parquet"
    >>> h = pd.DataFrame({"team": ["S", "N", "S"], "deal_key": ["a", "b", "b"],
    ...     "snapshot_week": ["2026-W46", "2026-W46", "2026-W47"]})
    >>> write_history_file(h, path)
    >>> read_history_file(path).equals(h), history_file_weeks(path)
    (True, ['2026-W46', '2026-W47'])
    >>> read_history_file(path, team="S")[["team", "deal_key"]].values.tolist()
    [['S', 'a'], ['N', 'b'], ['S', 'b']]
    """
    import pyarrow as pa

    frame = history.reset_index(drop=True)
    frame[_ROW] = np.arange(len(frame), dtype=np.int64)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    team = pd.factorize(frame["team"], sort=True)[0] if "team" in frame else None
    moved = _moved_rows(frame, team)
    token = secrets.token_hex(8) if len(moved) else ""
    metadata = {**(table.schema.metadata or {}), _MOVES: token.encode()}
    if history.attrs:  # as pandas' to_parquet keeps them
        metadata[b"PANDAS_ATTRS"] = json.dumps(history.attrs).encode()
    if len(moved):
        _write(table.take(pa.array(moved)).replace_schema_metadata(metadata), moves_file(path))
    metadata[_WEEKS] = json.dumps(history_weeks(history)).encode()
    held: list[str] = []
    if "team" in history:
        held = sorted(str(t) for t in history["team"].dropna().unique())
    metadata[_TEAMS] = json.dumps(held).encode()
    _write(_by_team(table, team).replace_schema_metadata(metadata), Path(path))


def _moved_rows(frame: pd.DataFrame, team: np.ndarray | None) -> np.ndarray:
    """Positions of the rows whose ``deal_key`` is held by more than one team."""
    if team is None or "deal_key" not in frame or not len(frame):
        return np.zeros(0, dtype=np.int64)
    deal = pd.factorize(frame["deal_key"])[0].astype(np.int64) + 1  # a missing key: 0
    teams = int(team.max()) + 2
    held = np.unique(deal * teams + team + 1) // teams  # a deal once per team holding it
    moved = (np.bincount(held, minlength=int(deal.max()) + 1)[deal] > 1) & (deal > 0)
    return np.flatnonzero(moved)


def _by_team(table: pa.Table, team: np.ndarray | None) -> pa.Table:
    """``table``'s rows by team, each team's in the history's order: runs of it side by
    side (no row copied) when a team's rows are runs, as in a store's history; else
    sorted."""
    import pyarrow as pa

    if team is None or not len(team):
        return table
    starts = np.flatnonzero(np.r_[True, team[1:] != team[:-1]])
    if len(starts) * 64 > len(team):  # short runs: one sort costs less
        return table.take(pa.array(np.argsort(team, kind="stable")))
    ends = np.r_[starts[1:], len(team)]
    runs = np.lexsort((starts, team[starts]))  # by team, then in the history's order
    return pa.concat_tables([table.slice(int(starts[r]), int(ends[r] - starts[r])) for r in runs])


def _write(table: pa.Table, path: Path) -> None:
    """``table`` as a Parquet file at ``path``, written whole or not at all."""
    import pyarrow.parquet as pq

    from pipereview.core._files import atomic_path

    with atomic_path(path) as tmp:
        pq.write_table(table, str(tmp), row_group_size=ROW_GROUP_ROWS)


def history_weeks(history: pd.DataFrame) -> list[str]:
    """The weeks ``history`` holds, oldest first.

    >>> history_weeks(pd.DataFrame({"snapshot_week": ["2026-W47", "2026-W46", "2026-W47"]}))
    ['2026-W46', '2026-W47']
    """
    if "snapshot_week" not in history:
        return []
    return sorted(str(w) for w in history["snapshot_week"].dropna().unique())


def _laid_out(path: str | Path) -> tuple[bool, list[str] | None, str]:
    """Whether the file was written by :func:`write_history_file`, its weeks and the
    token of its moves file (blank: no deal held by more than one team)."""
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    metadata = schema.metadata or {}
    weeks = metadata.get(_WEEKS)
    laid = _ROW in schema.names and _MOVES in metadata
    token = metadata.get(_MOVES, b"").decode()
    return laid, (json.loads(weeks) if weeks is not None else None), token


def _whole(path: str | Path) -> pd.DataFrame:
    """Every row of a laid-out file, in the history's order. The file's runs of
    consecutive rows (a team's week) are put back in order as slices of what was read,
    no row copied, and converted once, as ``pd.read_parquet`` converts: a whole read
    costs what reading a file in the history's order costs."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    row = table.column(_ROW).to_numpy()
    starts = np.flatnonzero(np.r_[True, row[1:] != row[:-1] + 1]) if len(row) else row
    ends = np.r_[starts[1:], len(row)]
    runs = np.argsort(row[starts], kind="stable")
    table = pa.concat_tables(
        [table.slice(int(starts[r]), int(ends[r] - starts[r])) for r in runs] or [table]
    )
    frame: pd.DataFrame = table.drop_columns([_ROW]).to_pandas()
    if attrs := (table.schema.metadata or {}).get(b"PANDAS_ATTRS"):
        frame.attrs = json.loads(attrs)
    return frame


def _in_order(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows of a laid-out file in their places in the history, without ``_row``."""
    return rows.sort_values(_ROW, kind="stable").drop(columns=_ROW).reset_index(drop=True)


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
    laid, weeks, token = _laid_out(path)
    if laid:
        history = _read_laid(path, team, weeks, token)
    elif team is None:
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


def _read_laid(
    path: str | Path, team: str | None, weeks: list[str] | None, token: str
) -> pd.DataFrame:
    """:func:`read_history_file` of a file :func:`write_history_file` wrote: a team's
    rows from the row groups holding them, its moved deals' other rows from the moves
    file that goes with it (else from the history file, by their keys)."""
    if team is None:
        return _whole(path)
    rows = pd.read_parquet(path, filters=[("team", "==", team)])
    if "deal_key" not in rows:  # keyed as deal_key() keys it: every row needed
        return team_deals(_whole(path), team)
    keys = sorted(set(rows["deal_key"].astype("str")))
    if token and keys:  # the handover rows of its deals held by other teams too
        moves = moves_file(path)
        source = moves if moves.is_file() and _laid_out(moves)[2] == token else Path(path)
        others = pd.read_parquet(source, filters=[("deal_key", "in", keys)])
        rows = pd.concat([rows, others[others["team"] != team]], ignore_index=True)
    return team_deals(_in_order(rows), team, weeks=weeks)


def history_file_teams(path: str | Path) -> list[str]:
    """The teams a history file (:func:`read_history_file`) holds, in name order.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "history.parquet"
    >>> pd.DataFrame({"team": ["W", "N", "W"], "snapshot_week": "2026-W47"}).to_parquet(path)
    >>> history_file_teams(path)
    ['N', 'W']
    >>> write_history_file(pd.read_parquet(path), path)
    >>> history_file_teams(path)
    ['N', 'W']
    """
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    if (teams := (schema.metadata or {}).get(_TEAMS)) is not None:
        return list(json.loads(teams))
    if "team" not in schema.names:
        return []
    column = pd.read_parquet(path, columns=["team"])["team"]
    return sorted(str(t) for t in column.dropna().unique())


def history_file_weeks(path: str | Path) -> list[str]:
    """The weeks a history file (:func:`read_history_file`) holds, oldest first.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "history.parquet"
    >>> pd.DataFrame({"snapshot_week": ["2026-W47", "2026-W46"]}).to_parquet(path)
    >>> history_file_weeks(path)
    ['2026-W46', '2026-W47']
    """
    weeks = _laid_out(path)[1]
    if weeks is not None:
        return weeks
    return history_weeks(pd.read_parquet(path, columns=["snapshot_week"]))
