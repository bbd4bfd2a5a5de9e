"""The batch's shared history file (and ``serve``'s) is laid out for a team's read
(:func:`pipereview.history.write_history_file`): whatever the history, every team reads
from it exactly what it reads from the same history written plainly by ``to_parquet``
(rows, order, types, definitions), and the whole file reads back as the history."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipereview.history import (
    history_file_weeks,
    moves_file,
    read_history_file,
    write_history_file,
)

TEAMS = ["North", "South", "West"]
WEEKS = ["2026-W44", "2026-W45", "2026-W46", "2026-W47"]

# one row: (week, team, deal key, amount); a keyed history has a key on every row
_row = st.tuples(
    st.sampled_from(WEEKS),
    st.sampled_from(TEAMS),
    st.sampled_from(["a", "b", "c", "d", "e"]),
    st.integers(0, 9),
)


def _frame(rows: list[tuple[str, str, str, int]], order: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["snapshot_week", "team", "deal_key", "amount"])
    frame = frame.assign(amount=frame["amount"].astype(float), owner="Ann")
    if order == "stored":  # week by week, team by team: a store's history
        frame = frame.sort_values(["snapshot_week", "team"], kind="stable")
    frame = frame.reset_index(drop=True)
    frame.attrs["note"] = "carried"
    return frame


def _both(tmp: Path, history: pd.DataFrame) -> tuple[Path, Path]:
    plain, laid = tmp / "plain.parquet", tmp / "laid.parquet"
    history.to_parquet(plain, index=False)
    write_history_file(history, laid)
    return plain, laid


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(_row, max_size=40), st.sampled_from(["stored", "any"]), st.booleans())
def test_every_team_reads_the_same_rows_as_from_a_plain_file(
    tmp_path: Path, rows: list[tuple[str, str, str, int]], order: str, keyed: bool
) -> None:
    history = _frame(rows, order)
    if not keyed:  # deals known by their IDs only: a team's read needs every row
        history = history.rename(columns={"deal_key": "deal_id"})
    plain, laid = _both(tmp_path, history)
    whole = read_history_file(laid)
    pd.testing.assert_frame_equal(whole, read_history_file(plain), check_exact=True)
    pd.testing.assert_frame_equal(whole, history, check_exact=True)
    assert whole.attrs["note"] == "carried"
    assert history_file_weeks(laid) == history_file_weeks(plain)
    for team in TEAMS:
        if not (history["team"] == team).any():
            continue
        mine = read_history_file(laid, team=team)
        pd.testing.assert_frame_equal(mine, read_history_file(plain, team=team), check_exact=True)


def test_a_team_s_read_opens_only_the_row_groups_of_its_rows(tmp_path: Path) -> None:
    # 3 teams x 4 weeks x 40,000 deals, the store's order; deal x1 moves North -> South
    parts = []
    for week in WEEKS:
        for team in TEAMS:
            keys = [f"{team}-{n}" for n in range(40_000)]
            if team == "North" and week < "2026-W46":
                keys.append("x1")
            if team == "South" and week >= "2026-W46":
                keys.append("x1")
            parts.append(pd.DataFrame({"snapshot_week": week, "team": team, "deal_key": keys}))
    history = pd.concat(parts, ignore_index=True)
    path = tmp_path / "laid.parquet"
    write_history_file(history, path)
    meta = pq.ParquetFile(path).metadata
    assert meta.num_rows == len(history)  # every row once
    assert len(pd.read_parquet(moves_file(path))) == 4  # x1's rows, beside it
    column = meta.schema.names.index("team")
    spans = [
        (
            meta.row_group(g).column(column).statistics.min,
            meta.row_group(g).column(column).statistics.max,
        )
        for g in range(meta.num_row_groups)
    ]
    # West's 160,000 rows fill 3 row groups (65,536 rows each), at most one more at its edge:
    # the filter skips the other 4 of the 8
    west = [g for g, (low, high) in enumerate(spans) if low <= "West" <= high]
    assert meta.num_row_groups == 8 and len(west) <= 4
    south = read_history_file(path, team="South")
    handover = south[south["team"] == "North"]
    assert handover["deal_key"].tolist() == ["x1"]  # its last row in North, W45
    assert handover["snapshot_week"].tolist() == ["2026-W45"]


def test_without_its_moves_file_a_team_reads_the_same_rows(tmp_path: Path) -> None:
    rows = [
        ("2026-W44", "North", "a", 1),
        ("2026-W44", "South", "b", 2),
        ("2026-W45", "South", "a", 3),  # a moved North -> South
        ("2026-W45", "South", "b", 4),
    ]
    history = _frame(rows, "stored")
    plain, laid = _both(tmp_path, history)
    expected = read_history_file(plain, team="South")
    assert expected["deal_key"].tolist() == ["a", "b", "a", "b"]
    pd.testing.assert_frame_equal(read_history_file(laid, team="South"), expected)
    # a moves file from another write (another history) is never used
    other = tmp_path / "other.parquet"
    edited = [("2026-W44", "North", "a", 7), *rows[1:]]  # a's North row said 7, not 1
    write_history_file(_frame(edited, "stored"), other)
    moves_file(other).replace(moves_file(laid))
    pd.testing.assert_frame_equal(read_history_file(laid, team="South"), expected)
    moves_file(laid).unlink()  # gone: the handover rows come from the history file
    pd.testing.assert_frame_equal(read_history_file(laid, team="South"), expected)
