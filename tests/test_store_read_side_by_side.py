"""A store's history is read a few weeks at a time on threads: the same frame, in the
weeks' order, as read one week after another; damaged weeks are reported in the weeks'
order, whichever thread found them; any other error is raised, never lost."""

from __future__ import annotations

import threading
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest

from pipereview.core._errors import DamagedWeekError, StoreWarning
from pipereview.history._store import SnapshotStore
from pipereview.history._weekfiles import read_side_by_side
from test_store import snapshot

WEEKS = [f"2026-W{n}" for n in range(40, 48)]


def _store(folder: Path) -> SnapshotStore:
    store = SnapshotStore(folder)
    for i, week in enumerate(WEEKS):
        deals = {f"D{j}": 1000.0 * (i + 1) + j for j in range(i % 3 + 1)}
        store.add(snapshot(week, deals, team="North" if i % 2 else "West"), week)
    return store


def test_the_history_read_on_threads_is_the_weeks_read_one_after_another(tmp_path: Path) -> None:
    store = _store(tmp_path / "store")
    one_by_one = pd.concat([store.read(w, adopt=False) for w in WEEKS], ignore_index=True)
    history = SnapshotStore(tmp_path / "store").history()
    pd.testing.assert_frame_equal(
        history.reset_index(drop=True), one_by_one, check_like=False, check_dtype=True
    )
    assert history["snapshot_week"].unique().tolist() == WEEKS


def test_damaged_weeks_are_reported_in_the_weeks_order(tmp_path: Path) -> None:
    store = _store(tmp_path / "store")
    for week in ("2026-W45", "2026-W42"):
        path = store.path(week)
        path.write_bytes(path.read_bytes()[:-200])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = SnapshotStore(tmp_path / "store").history()
    named = [str(w.message).split(".parquet")[0][-8:] for w in caught if w.category is StoreWarning]
    assert named == ["2026-W42", "2026-W45"]
    assert history["snapshot_week"].unique().tolist() == [
        w for w in WEEKS if w not in ("2026-W42", "2026-W45")
    ]


def test_results_keep_the_weeks_order_whichever_thread_finishes_first() -> None:
    names: set[str] = set()

    def read(week: str) -> pd.DataFrame:
        names.add(threading.current_thread().name)
        time.sleep(0.02 * (len(WEEKS) - WEEKS.index(week)))  # the first weeks are slowest
        if week == "2026-W43":
            raise DamagedWeekError("2026-W43 is damaged", path=Path("2026-W43.parquet"))
        return pd.DataFrame({"week": [week]})

    got = read_side_by_side(read, WEEKS, threads=3)
    assert [g.message if isinstance(g, DamagedWeekError) else g["week"][0] for g in got] == [
        "2026-W43 is damaged" if w == "2026-W43" else w for w in WEEKS
    ]
    assert len(names) > 1  # read side by side, not one after another


def test_any_other_error_is_raised() -> None:
    def read(week: str) -> pd.DataFrame:
        if week == "2026-W44":
            raise MemoryError("out of memory")
        return pd.DataFrame({"week": [week]})

    with pytest.raises(MemoryError, match="out of memory"):
        read_side_by_side(read, WEEKS, threads=2)
