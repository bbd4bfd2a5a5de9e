from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import pipereview.store as store_module
from pipereview.errors import InvalidWeekError, SchemaError, WeekExistsError, WeekNotFoundError
from pipereview.store import SnapshotStore


def snapshot(week: str, deals: dict[str, float], team: str = "North") -> pd.DataFrame:
    """A small valid canonical snapshot: deal id -> amount, all in stage 'solution_quote'."""
    n = len(deals)
    return pd.DataFrame({
        "snapshot_week": [week] * n, "team": [team] * n, "deal_id": list(deals),
        "deal_name": [f"Deal {d}" for d in deals], "account": ["ACME"] * n,
        "owner": ["Ann Lee"] * n, "stage": ["solution_quote"] * n,
        "stage_model": ["generic_4"] * n, "amount": list(deals.values()),
        "currency": ["USD"] * n, "close_date": pd.to_datetime(["2026-12-15"] * n),
        "created_date": pd.to_datetime(["2026-09-01"] * n),
        "probability": [0.5] * n, "forecast_category": ["pipeline"] * n,
        "last_activity_date": pd.to_datetime(["2026-11-20"] * n), "next_step": ["call"] * n,
        "account_missing": [False] * n, "source_file": ["x.csv"] * n,
        "source_row": list(range(2, n + 2)),
    }).astype({"source_row": "int64"})


def test_add_read_and_list(store_dir: Path) -> None:
    store = SnapshotStore(store_dir)
    store.add(snapshot("2026-W47", {"A": 100.0, "B": 50.0}), "2026-W47")
    store.add(snapshot("2026-W46", {"A": 90.0}), "2026-W46")
    assert store.weeks() == ["2026-W46", "2026-W47"]
    frame = store.read("2026-W47")
    assert frame["amount"].tolist() == [100.0, 50.0]
    assert frame["close_date"].dtype == "datetime64[ns]"
    history = store.history()
    assert history["snapshot_week"].tolist() == ["2026-W46", "2026-W47", "2026-W47"]
    assert store.history(first="2026-W47")["deal_id"].tolist() == ["A", "B"]
    summary = store.summary()
    assert summary.to_dict("records")[1] == {"week": "2026-W47", "team": "North", "deals": 2,
                                             "open_deals": 2, "open_amount": 150.0}


def test_team_filter_and_missing_week(store_dir: Path) -> None:
    store = SnapshotStore(store_dir)
    both = pd.concat([snapshot("2026-W47", {"A": 1.0}), snapshot("2026-W47", {"Z": 2.0}, "West")],
                     ignore_index=True)
    store.add(both, "2026-W47")
    assert store.read("2026-W47", teams=["West"])["deal_id"].tolist() == ["Z"]
    with pytest.raises(WeekNotFoundError, match="2026-W47"):
        store.read("2026-W40")


def test_refuses_to_overwrite_unless_replace(store_dir: Path) -> None:
    store = SnapshotStore(store_dir)
    store.add(snapshot("2026-W47", {"A": 100.0}), "2026-W47")
    with pytest.raises(WeekExistsError, match="--replace"):
        store.add(snapshot("2026-W47", {"A": 1.0}), "2026-W47")
    assert store.read("2026-W47")["amount"].tolist() == [100.0]
    store.add(snapshot("2026-W47", {"A": 1.0}), "2026-W47", replace=True)
    assert store.read("2026-W47")["amount"].tolist() == [1.0]


@pytest.mark.parametrize("where", ["during_write", "before_rename"])
def test_interrupted_write_leaves_old_week_intact(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    store = SnapshotStore(store_dir)
    store.add(snapshot("2026-W47", {"A": 100.0}), "2026-W47")
    before = store.path("2026-W47").read_bytes()

    def crash_writing(table: Any, handle: Any, **kwargs: Any) -> None:
        handle.write(b"PAR1 partial")
        raise OSError(28, "No space left on device")

    def crash_renaming(src: Any, dst: Any) -> None:
        raise KeyboardInterrupt  # the process is stopped between write and rename

    if where == "during_write":
        monkeypatch.setattr(store_module.pq, "write_table", crash_writing)
        expected: type[BaseException] = OSError
    else:
        monkeypatch.setattr(store_module.os, "replace", crash_renaming)
        expected = KeyboardInterrupt
    with pytest.raises(expected):
        store.add(snapshot("2026-W47", {"A": 1.0, "B": 2.0}), "2026-W47", replace=True)
    monkeypatch.undo()
    assert store.path("2026-W47").read_bytes() == before
    assert store.read("2026-W47")["amount"].tolist() == [100.0]
    assert sorted(p.name for p in store.snapshot_dir.iterdir()) == ["2026-W47.parquet"]


def test_invalid_snapshot_is_not_stored(store_dir: Path) -> None:
    store = SnapshotStore(store_dir)
    bad = snapshot("2026-W47", {"A": -5.0, "B": 3.0})
    with pytest.raises(SchemaError, match="amount"):
        store.add(bad, "2026-W47")
    dup = snapshot("2026-W47", {"A": 1.0})
    with pytest.raises(SchemaError, match="unique"):
        store.add(pd.concat([dup, dup], ignore_index=True), "2026-W47")
    assert store.weeks() == []


def test_week_strings_cannot_escape_the_store(store_dir: Path) -> None:
    store = SnapshotStore(store_dir)
    for week in ("../../etc/passwd", "2026-W47/../../x", "..", "/tmp/2026-W47"):
        with pytest.raises(InvalidWeekError):
            store.path(week)
    (store_dir / "snapshots").mkdir(parents=True)
    (store_dir / "snapshots" / "notes.parquet").write_bytes(b"not a week")
    assert store.weeks() == []


def test_sources_are_fingerprinted(store_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "north.csv"
    source.write_bytes(b"abc")
    store = SnapshotStore(store_dir)
    store.add(snapshot("2026-W47", {"A": 1.0}), "2026-W47", sources=[source])
    info = store.info("2026-W47")
    assert info["sources"] == [{"file": "north.csv", "sha256":
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}]
    assert info["rows"] == 1 and info["teams"] == ["North"]


def test_default_location_follows_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert SnapshotStore().root == Path("pipereview-data")
    monkeypatch.setenv("PIPEREVIEW_STORE", str(tmp_path))
    assert SnapshotStore().root == tmp_path
