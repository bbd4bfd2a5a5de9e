"""The week's activities, leads and invoices in the snapshot store: each row's team told by
its deal or rep, a team's rows replaced only on purpose, every file checked before the
first is stored, damage named, rows set aside written to the quarantine, and what a
review as of a week reads."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipereview.cli import app
from pipereview.core._errors import DamagedWeekError, InputError
from pipereview.history import SnapshotStore, ingest_week
from pipereview.history._companions import (
    Companions,
    read_companion_folder,
    read_shared_companions,
    write_shared_companions,
)
from pipereview.history._companionstore import (
    check_companions,
    companion_records,
    companion_summary,
    read_companions,
    store_companion,
)
from pipereview.ingest._companions import read_companion

DEALS = (
    "Record ID,Deal Name,Deal owner,Deal Stage,Amount,Close Date,Create Date,HubSpot Team\n"
    "101,Robot cell,Ann Lee,Contract Sent,1200,2026-12-18,2026-09-01,West\n"
    "201,Press line,Bo Chen,Contract Sent,800,2026-12-20,2026-10-20,East\n"
)
ACTIVITIES = (
    "Activity ID,Activity date,Activity type,Activity assigned to,Associated Deal IDs,"
    "Associated Company\n"
    "A1,2026-11-16,Call,Ann Lee,101,Acme\n"
    "A2,2026-11-17,Meeting,Ann Lee,,Acme\n"
    "A3,2026-11-18,Call,Bo Chen,201,Bolt\n"
)


def _store(tmp_path: Path) -> SnapshotStore:
    path = tmp_path / "deals.csv"
    path.write_text(DEALS, encoding="utf-8")
    ingest_week([path], week="2026-W47", store=tmp_path / "store")
    return SnapshotStore(tmp_path / "store")


def _activities(tmp_path: Path, text: str = ACTIVITIES, name: str = "activities.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_each_row_takes_the_team_of_its_deal_or_rep(tmp_path: Path) -> None:
    store = _store(tmp_path)
    stored = store_companion(store, "2026-W47", read_companion(_activities(tmp_path)))
    assert (stored.kind, stored.week, stored.teams, stored.rows) == (
        "activities",
        "2026-W47",
        ("East", "West"),
        3,
    )
    read = read_companions(store, "2026-W47", team="West")
    assert read.available() == ("activities",)
    assert read.activities is not None
    assert read.activities["activity_id"].tolist() == ["A1", "A2"]  # A2: Ann's, no deal
    assert read.weeks == {"activities": "2026-W47"}
    summary = companion_summary(store)
    assert summary.to_dict("records") == [
        {"kind": "activities", "week": "2026-W47", "team": "East", "rows": 1,
         "files": "activities.csv"},
        {"kind": "activities", "week": "2026-W47", "team": "West", "rows": 2,
         "files": "activities.csv"},
    ]  # fmt: skip


def test_a_review_reads_the_latest_week_at_or_before_its_own(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store_companion(store, "2026-W47", read_companion(_activities(tmp_path)))
    assert read_companions(store, "2026-W46").available() == ()  # stored later: not known yet
    later = read_companions(store, "2026-W49")
    assert later.weeks == {"activities": "2026-W47"}
    assert later.activities is not None and len(later.activities) == 3


def test_a_team_stored_twice_is_refused_unless_replaced(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store_companion(store, "2026-W47", read_companion(_activities(tmp_path)))
    path = store.root / "companions" / "activities" / "2026-W47.parquet"
    before = path.read_bytes()
    again = read_companion(_activities(tmp_path, ACTIVITIES.replace("A1,", "A9,"), "again.csv"))
    with pytest.raises(InputError, match=r"already holds activities of East, West") as refused:
        store_companion(store, "2026-W47", again)
    assert "activities.csv" in str(refused.value) and "--replace" in (refused.value.hint or "")
    assert path.read_bytes() == before  # nothing written when refused
    store_companion(store, "2026-W47", again, replace=True)
    read = read_companions(store, "2026-W47")
    assert read.activities is not None
    assert sorted(read.activities["activity_id"]) == ["A2", "A3", "A9"]


def test_another_team_is_added_beside_the_stored_ones(tmp_path: Path) -> None:
    store = _store(tmp_path)
    west = ACTIVITIES.split("\n")
    store_companion(
        store, "2026-W47", read_companion(_activities(tmp_path, "\n".join(west[:3]) + "\n"))
    )
    east = read_companion(_activities(tmp_path, "\n".join([west[0], west[3]]) + "\n", "east.csv"))
    store_companion(store, "2026-W47", east)
    read = read_companions(store, "2026-W47")
    assert read.activities is not None
    assert sorted(read.activities["team"].unique()) == ["East", "West"]


def test_rows_of_no_known_team_are_refused_with_the_fix(tmp_path: Path) -> None:
    store = _store(tmp_path)
    odd = _activities(tmp_path, ACTIVITIES + "A4,2026-11-18,Call,Cy Diaz,,Cog\n", "odd.csv")
    with pytest.raises(InputError, match=r"1 of 4 activities rows have no team") as refused:
        store_companion(store, "2026-W47", read_companion(odd))
    assert refused.value.row == 5 and "Cy Diaz" in str(refused.value)
    assert "--team" in (refused.value.hint or "")
    assert not (store.root / "companions" / "activities").exists()
    store_companion(store, "2026-W47", read_companion(odd), team="West")  # the export's team
    read = read_companions(store, "2026-W47", team="West")
    assert read.activities is not None
    assert read.activities["activity_id"].tolist() == ["A1", "A2", "A3", "A4"]


def test_every_file_is_checked_before_the_first_is_stored(tmp_path: Path) -> None:
    store = _store(tmp_path)
    first = read_companion(_activities(tmp_path))
    second = read_companion(_activities(tmp_path, ACTIVITIES, "copy.csv"))
    with pytest.raises(InputError, match=r"both give the activities of East"):
        check_companions(store, "2026-W47", [first, second])
    result = CliRunner().invoke(
        app,
        ["companions", str(first.source), str(second.source), "--week", "2026-W47",
         "--store", str(store.root)],
    )  # fmt: skip
    assert result.exit_code == 1 and "both give the activities" in result.output
    assert not (store.root / "companions").exists()


def test_the_command_reports_rows_and_missing_columns(tmp_path: Path) -> None:
    store = _store(tmp_path)
    result = CliRunner().invoke(
        app,
        ["companions", str(_activities(tmp_path)), "--week", "2026-W47",
         "--store", str(store.root)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "activities.csv (activities, hubspot): 3 rows read, 3 used, 0 set aside, 0 skipped" in (
        " ".join(result.output.split())
    )
    assert "stored 2026-W47 activities: 3 rows for East, West" in " ".join(result.output.split())


def test_a_damaged_file_is_named_never_read(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store_companion(store, "2026-W47", read_companion(_activities(tmp_path)))
    path = store.root / "companions" / "activities" / "2026-W47.parquet"
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(DamagedWeekError, match=r"activities stored for 2026-W47 .* damaged"):
        read_companions(store, "2026-W47")
    records = companion_records(store, "2026-W47")
    assert [(r["kind"], r["week"]) for r in records] == [("activities", "2026-W47")]


def test_rows_set_aside_go_to_the_week_quarantine(tmp_path: Path) -> None:
    store = _store(tmp_path)
    bad = _activities(tmp_path, ACTIVITIES + "A5,not a date,Call,Ann Lee,101,Acme\n", "bad.csv")
    export = read_companion(bad)
    assert export.rows_quarantined == 1
    stored = store_companion(store, "2026-W47", export)
    assert stored.quarantine_file is not None
    table = pd.read_csv(stored.quarantine_file, encoding="utf-8-sig")
    assert table[["row", "column"]].values.tolist() == [[5, "Activity date"]]
    assert str(stored.quarantine_file.parent) == str(store.quarantine_dir("2026-W47"))


def test_a_batch_hands_them_to_its_kernels_whole(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store_companion(store, "2026-W47", read_companion(_activities(tmp_path)))
    write_shared_companions(read_companions(store, "2026-W47"), tmp_path / "shared")
    west = read_shared_companions(tmp_path / "shared", team="West")
    assert west.activities is not None
    assert west.activities["activity_id"].tolist() == ["A1", "A2"]
    assert read_shared_companions(tmp_path / "nothing").available() == ()
    pd.testing.assert_frame_equal(
        read_shared_companions(tmp_path / "shared").activities,
        read_companions(store, "2026-W47").activities,
    )


def test_a_folder_of_exports_reads_the_companions_beside_it(tmp_path: Path) -> None:
    folder = tmp_path / "companions"
    (folder / "2026-W47").mkdir(parents=True)
    _activities(folder / "2026-W47")
    deals = pd.DataFrame({"team": ["West"], "deal_id": ["101"], "owner": ["Ann Lee"]})
    read = read_companion_folder(folder, "2026-W48", deals)  # one team's deals: its rows only
    assert read.weeks == {"activities": "2026-W47"}
    assert read.activities is not None and read.activities["activity_id"].tolist() == ["A1", "A2"]
    assert read_companion_folder(folder, "2026-W46", deals).available() == ()
    assert Companions().for_team("West").available() == ()


def test_pipereview_weeks_lists_them(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store_companion(store, "2026-W47", read_companion(_activities(tmp_path)))
    result = CliRunner().invoke(app, ["weeks", "--store", str(store.root)])
    assert result.exit_code == 0, result.output
    assert "Activities, leads and invoices stored with the weeks" in result.output
    rows = [" ".join(line.split("│")).split() for line in result.output.splitlines()]
    assert ["activities", "2026-W47", "West", "2", "activities.csv"] in rows
