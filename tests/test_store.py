from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import pipereview.history._store as store_module
import pipereview.history._weekfiles as weekfiles_module
from pipereview.core._errors import (
    DamagedWeekError,
    InputError,
    InvalidWeekError,
    SchemaError,
    StoreBusyError,
    StoreError,
    StoreWarning,
    WeekChangedError,
    WeekExistsError,
    WeekNotFoundError,
)
from pipereview.core._files import atomic_write
from pipereview.history._loader import load_history
from pipereview.history._store import SnapshotStore
from pipereview.history._verify import verify_store


def snapshot(week: str, deals: dict[str, float], team: str = "North") -> pd.DataFrame:
    """A small valid canonical snapshot: deal id -> amount, all in stage 'solution_quote'."""
    n = len(deals)
    return pd.DataFrame(
        {
            "snapshot_week": [week] * n,
            "team": [team] * n,
            "deal_id": list(deals),
            "deal_name": [f"Deal {d}" for d in deals],
            "account": ["ACME"] * n,
            "owner": ["Ann Lee"] * n,
            "stage": ["solution_quote"] * n,
            "stage_model": ["generic_4"] * n,
            "amount": list(deals.values()),
            "currency": ["USD"] * n,
            "close_date": pd.to_datetime(["2026-12-15"] * n),
            "created_date": pd.to_datetime(["2026-09-01"] * n),
            "probability": [0.5] * n,
            "forecast_category": ["pipeline"] * n,
            "last_activity_date": pd.to_datetime(["2026-11-20"] * n),
            "next_step": ["call"] * n,
            "account_missing": [False] * n,
            "source_file": ["x.csv"] * n,
            "source_row": list(range(2, n + 2)),
        }
    ).astype({"source_row": "int64"})


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
    assert summary.to_dict("records")[1] == {
        "week": "2026-W47",
        "team": "North",
        "deals": 2,
        "open_deals": 2,
        "open_amount": 150.0,
        "source": "export",
    }


def test_an_unknown_team_is_refused_naming_the_stored_teams(store_dir: Path) -> None:
    store = SnapshotStore(store_dir)
    store.add(snapshot("2026-W46", {"A": 1.0}, "West"), "2026-W46")
    both = pd.concat(
        [snapshot("2026-W47", {"A": 1.0}, "West"), snapshot("2026-W47", {"Z": 2.0})],
        ignore_index=True,
    )
    store.add(both, "2026-W47")
    with pytest.raises(InputError) as refused:
        load_history(store_dir, team="Sout")
    assert str(refused.value) == (
        "team 'Sout' has no stored snapshot (expected one of: North, West)"
    )
    assert refused.value.expected == "one of: North, West"
    assert load_history(store_dir, team="North")["deal_id"].tolist() == ["Z"]


def test_team_filter_and_missing_week(store_dir: Path) -> None:
    store = SnapshotStore(store_dir)
    both = pd.concat(
        [snapshot("2026-W47", {"A": 1.0}), snapshot("2026-W47", {"Z": 2.0}, "West")],
        ignore_index=True,
    )
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
        monkeypatch.setattr(weekfiles_module.pq, "write_table", crash_writing)
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
    with pytest.warns(StoreWarning, match=r"notes\.parquet set aside: not a week file"):
        assert store.weeks() == []


def test_sources_are_fingerprinted(store_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "north.csv"
    source.write_bytes(b"abc")
    store = SnapshotStore(store_dir)
    store.add(snapshot("2026-W47", {"A": 1.0}), "2026-W47", sources=[source])
    info = store.info("2026-W47")
    assert info["sources"] == [
        {
            "file": "north.csv",
            "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        }
    ]
    assert info["rows"] == 1 and info["teams"] == ["North"]


def test_every_written_week_records_its_stage_models(store_dir: Path) -> None:
    from pipereview.core._stages import load_stage_model
    from pipereview.history._definitions import ATTRS_KEY, definition_version

    store = SnapshotStore(store_dir)
    store.add(snapshot("2026-W47", {"A": 1.0}), "2026-W47")  # no ingest: the names resolved
    record = store.info("2026-W47")["definitions"]
    generic = load_stage_model("generic_4")
    assert record["stage_models"]["generic_4"]["version"] == definition_version(generic)
    assert record["column_maps"] == {}
    # the record is part of the file, so its checksum covers it: changing it is damage
    assert verify_store(store).ok
    # whatever is read carries the store's definitions
    assert store.history().attrs[ATTRS_KEY] == store.read("2026-W47").attrs[ATTRS_KEY]
    assert store.definitions().stage_models == {"generic_4": generic}


def test_default_location_follows_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert SnapshotStore().root == Path("pipereview-data")
    monkeypatch.setenv("PIPEREVIEW_STORE", str(tmp_path))
    assert SnapshotStore().root == tmp_path


# --- damage: a checksum recorded at write; a damaged week set aside, the others work ------


def _two_weeks(store_dir: Path) -> SnapshotStore:
    store = SnapshotStore(store_dir)
    store.add(snapshot("2026-W46", {"A": 90.0}), "2026-W46")
    store.add(snapshot("2026-W47", {"A": 100.0, "B": 50.0}), "2026-W47")
    return store


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-200])


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, different bytes: only the checksum tells
    path.write_bytes(bytes(data))


def _foreign(path: Path) -> None:
    pd.DataFrame({"x": [1, 2]}).to_parquet(path)


def _week_copied_under_another_name(path: Path) -> None:
    path.write_bytes(path.with_name("2026-W47.parquet").read_bytes())


def test_checksum_is_recorded_at_write(store_dir: Path) -> None:
    store = _two_weeks(store_dir)
    record = json.loads(store.checksum_path("2026-W47").read_text(encoding="utf-8"))
    data = store.path("2026-W47").read_bytes()
    assert record["sha256"] == hashlib.sha256(data).hexdigest()
    assert record["bytes"] == len(data) and record["replaces"] is None


@pytest.mark.parametrize(
    "damage", [_truncate, _flip_a_byte, _foreign, _week_copied_under_another_name]
)
def test_a_damaged_week_is_named_and_set_aside(store_dir: Path, damage: Any) -> None:
    store = _two_weeks(store_dir)
    damage(store.path("2026-W46"))
    fresh = SnapshotStore(store_dir)  # nothing remembered from the writes
    with pytest.warns(StoreWarning, match=r"2026-W46\.parquet"):
        history = fresh.history()
    assert history["snapshot_week"].tolist() == ["2026-W47", "2026-W47"]  # the intact week
    with pytest.warns(StoreWarning, match=r"2026-W46"):
        assert fresh.summary()["week"].tolist() == ["2026-W47"]
    with pytest.raises(DamagedWeekError, match=r"2026-W46.*--replace") as info:
        fresh.read("2026-W46")
    assert info.value.path == store.path("2026-W46")
    check = verify_store(store_dir)
    assert not check.ok and check.weeks == ["2026-W47"]
    assert [f.path.name for f in check.problems] == ["2026-W46.parquet"]


def test_replacing_a_week_keeps_it_readable_at_every_step(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kill between the checksum record and the week's rename leaves the old week, and
    its record names it as the one replaced: still intact."""
    store = _two_weeks(store_dir)
    real_replace = os.replace

    def die_on_the_week(src: Any, dst: Any) -> None:
        if str(dst).endswith(".parquet"):
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(store_module.os, "replace", die_on_the_week)
    with pytest.raises(KeyboardInterrupt):
        store.add(snapshot("2026-W47", {"C": 1.0}), "2026-W47", replace=True)
    monkeypatch.undo()
    fresh = SnapshotStore(store_dir)
    assert fresh.read("2026-W47")["deal_id"].tolist() == ["A", "B"]
    assert verify_store(store_dir).ok


def test_compare_and_swap(store_dir: Path) -> None:
    store = _two_weeks(store_dir)
    before = store.state("2026-W47")
    assert store.state("2026-W40") is None
    with pytest.raises(WeekExistsError, match="another writer"):
        store.add(snapshot("2026-W47", {"C": 1.0}), "2026-W47", expect=None)
    store.add(snapshot("2026-W47", {"C": 1.0}), "2026-W47", expect=before)
    with pytest.raises(WeekChangedError, match="changed by another writer"):
        store.add(snapshot("2026-W47", {"D": 1.0}), "2026-W47", expect=before)
    assert store.read("2026-W47")["deal_id"].tolist() == ["C"]


def test_leftovers_of_a_killed_write_are_cleaned_by_the_next_writer(store_dir: Path) -> None:
    store = _two_weeks(store_dir)
    old = [
        store.snapshot_dir / ".2026-W47.parquet.x1.tmp",
        store.root / "quarantine" / "2026-W47" / ".a.quarantine.csv.x2.tmp",
        store.root / "checksums" / "2026-W45.json",
    ]  # a record whose week never came
    for path in old:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"partial")
        os.utime(path, (time.time() - 60, time.time() - 60))
    assert {f.path for f in verify_store(store_dir).problems} == set(old)
    with store.lock():
        live = store.snapshot_dir / ".2026-W48.parquet.x3.tmp"  # a writer after the lock
        live.write_bytes(b"in progress")
        assert store.clean_leftovers() == []  # never a file newer than the lock
    assert not any(p.exists() for p in old) and live.exists()


def test_no_write_follows_a_symlink_out_of_the_store(store_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (store_dir / "quarantine").mkdir(parents=True)
    (store_dir / "quarantine" / "2026-W47").symlink_to(outside)
    target = store_dir / "quarantine" / "2026-W47" / "x.csv"
    with (
        pytest.raises(StoreError, match=r"symlink.*out of"),
        atomic_write(target, "w", within=store_dir) as handle,
    ):
        handle.write("row,reason\n")
    assert list(outside.iterdir()) == []
    [finding] = verify_store(store_dir).problems
    assert "symlink out of the store" in finding.what


def test_the_lock_excludes_a_second_writer(store_dir: Path) -> None:
    first, second = SnapshotStore(store_dir), SnapshotStore(store_dir, lock_timeout=0.2)
    with first.lock(), pytest.raises(StoreBusyError, match="locked by another pipereview"):
        second.add(snapshot("2026-W47", {"A": 1.0}), "2026-W47")
    second.add(snapshot("2026-W47", {"A": 1.0}), "2026-W47")
    assert second.weeks() == ["2026-W47"]
