"""``pipereview backfill`` and the store: rebuilt weeks stored and marked, a real export's
week never overwritten, a backfilled week replaced whole by a real export only with
--replace, teams of several backfills in one week, and the sample's histories (each in
its CRM's shape) rebuilding the weeks the teams exported."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipereview.cli import app
from pipereview.core._errors import WeekExistsError
from pipereview.history import SnapshotStore, ingest_folder, ingest_week
from pipereview.history._backfillrun import backfill_store, default_first
from pipereview.sample._changehistory import write_change_histories

HEADER = "Record ID,Deal Name,Deal owner,Deal Stage,Amount,Close Date,Create Date,HubSpot Team\n"


def _export(folder: Path, team: str = "West", ids: tuple[str, ...] = ("101", "102")) -> Path:
    rows = {
        "101": "101,Robot cell,Ann Lee,Closed Won,1200,2026-11-18,2026-09-01,{team}\n",
        "102": "102,Line 2,Bo Chen,Contract Sent,800,2026-12-20,2026-10-20,{team}\n",
        "201": "201,Press,Cy Diaz,Qualified To Buy,500,2026-12-31,2026-09-15,{team}\n",
    }
    path = folder / f"{team.lower()}.csv"
    path.write_text(HEADER + "".join(rows[i].format(team=team) for i in ids), encoding="utf-8")
    return path


def _history(folder: Path, name: str = "history.csv", extra: str = "") -> Path:
    path = folder / name
    path.write_text(
        "deal_id,field,old_value,new_value,changed_at\n"
        "101,stage,,Appointment Scheduled,2026-09-01 10:00\n"
        "101,stage,Appointment Scheduled,Contract Sent,2026-10-28 10:00\n"  # W44
        "101,amount,1000,1200,2026-11-04 10:00\n"  # W45
        "101,stage,Contract Sent,Closed Won,2026-11-18 16:00\n"  # W47
        "102,stage,,Qualified To Buy,2026-10-20 09:00\n"  # W43
        "102,stage,Qualified To Buy,Contract Sent,2026-11-12 09:00\n" + extra,  # W46
        encoding="utf-8",
    )
    return path


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, Path]:
    return _export(tmp_path), _history(tmp_path), tmp_path / "store"


def _stages(store: SnapshotStore, week: str) -> dict[str, tuple[str, float]]:
    frame = store.read(week)
    return {
        d: (s, a) for d, s, a in zip(frame["deal_id"], frame["stage"], frame["amount"], strict=True)
    }


def test_past_weeks_are_stored_marked_and_named_by_their_source(files: tuple[Path, ...]) -> None:
    export, history, root = files
    run = backfill_store(export, history, week="2026-W47", first="2026-W42", store=root)
    store = SnapshotStore(root)
    assert run.stored == ("2026-W42", "2026-W43", "2026-W44", "2026-W45", "2026-W46")
    assert run.current_stored and run.kept == ()
    assert store.weeks() == [*run.stored, "2026-W47"]
    assert _stages(store, "2026-W42") == {"101": ("appointment_scheduled", 1000.0)}
    assert _stages(store, "2026-W43") == {
        "101": ("appointment_scheduled", 1000.0),
        "102": ("qualified_to_buy", 800.0),
    }
    assert _stages(store, "2026-W45")["101"] == ("contract_sent", 1200.0)
    assert _stages(store, "2026-W46") == {
        "101": ("contract_sent", 1200.0),
        "102": ("contract_sent", 800.0),
    }
    assert store.backfilled("2026-W47") is None
    record = store.backfilled("2026-W44")
    assert record is not None and record["history"] == "history.csv"
    assert record["parts"][0]["fields_from_history"] == ["stage", "amount"]
    assert record["parts"][0]["teams"] == ["West"]
    assert store.summary()["source"].tolist() == ["backfill"] * 5 + ["export"]


def test_a_backfill_again_is_refused_unless_replace(files: tuple[Path, ...]) -> None:
    export, history, root = files
    backfill_store(export, history, week="2026-W47", first="2026-W45", store=root)
    store = SnapshotStore(root)
    before = {w: store.state(w) for w in store.weeks()}
    with pytest.raises(WeekExistsError, match=r"2026-W45, 2026-W46 .* earlier backfill") as caught:
        backfill_store(export, history, week="2026-W47", first="2026-W45", store=root)
    assert "--replace" in caught.value.hint
    assert {w: store.state(w) for w in store.weeks()} == before
    again = backfill_store(
        export, history, week="2026-W47", first="2026-W45", store=root, replace=True
    )
    assert again.stored == ("2026-W45", "2026-W46") and not again.current_stored


def test_a_week_holding_a_real_export_is_never_overwritten(files: tuple[Path, ...]) -> None:
    export, history, root = files
    ingest_week([export], week="2026-W45", store=root)  # a real export of W45
    store = SnapshotStore(root)
    real = store.state("2026-W45")
    run = backfill_store(
        export, history, week="2026-W47", first="2026-W44", store=root, replace=True
    )
    assert run.kept == ("2026-W45",) and run.stored == ("2026-W44", "2026-W46")
    assert store.state("2026-W45") == real and store.backfilled("2026-W45") is None


def test_a_real_export_replaces_a_backfilled_week_whole_and_only_with_replace(
    files: tuple[Path, ...],
) -> None:
    export, history, root = files
    backfill_store(export, history, week="2026-W47", first="2026-W46", store=root)
    store = SnapshotStore(root)
    with pytest.raises(WeekExistsError, match=r"rebuilt from the change history 'history\.csv'"):
        ingest_week([export], week="2026-W46", store=root)
    with pytest.raises(WeekExistsError, match="a real export replaces it whole") as caught:
        ingest_week([export], week="2026-W46", store=root, add=True, replace=True)
    assert "without --add" in caught.value.hint
    ingest_week([export], week="2026-W46", store=root, replace=True)
    assert store.backfilled("2026-W46") is None
    assert store.summary()["source"].tolist() == ["export", "export"]


def test_teams_of_several_backfills_share_the_weeks(tmp_path: Path) -> None:
    west, east = _export(tmp_path), _export(tmp_path, "East", ("201",))
    history = _history(tmp_path, extra="201,stage,,Appointment Scheduled,2026-09-15 09:00\n")
    east_history = tmp_path / "east-history.csv"
    east_history.write_text(
        "deal_id,field,old_value,new_value,changed_at\n"
        "201,stage,,Appointment Scheduled,2026-09-15 09:00\n"
        "201,stage,Appointment Scheduled,Qualified To Buy,2026-11-10 09:00\n",
        encoding="utf-8",
    )
    root = tmp_path / "store"
    backfill_store(west, history, week="2026-W47", first="2026-W45", store=root)
    run = backfill_store(east, east_history, week="2026-W47", first="2026-W45", store=root)
    assert run.current_stored  # East added to the stored W47
    store = SnapshotStore(root)
    assert store.info("2026-W47")["teams"] == ["East", "West"]
    assert _stages(store, "2026-W45") == {
        "101": ("contract_sent", 1200.0),
        "102": ("qualified_to_buy", 800.0),
        "201": ("appointment_scheduled", 500.0),
    }
    assert _stages(store, "2026-W46")["201"] == ("qualified_to_buy", 500.0)
    record = store.backfilled("2026-W46")
    assert record is not None and record["history"] == "east-history.csv, history.csv"
    assert [p["teams"] for p in record["parts"]] == [["West"], ["East"]]


def test_the_command_says_what_the_weeks_could_not_know(files: tuple[Path, ...]) -> None:
    export, history, root = files
    args = ["backfill", str(export), "--history", str(history), "--week", "2026-W47"]
    result = CliRunner().invoke(app, [*args, "--from", "2026-W45", "--store", str(root)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "history history.csv (generic): 6 rows read, 6 used, 0 set aside, 0 skipped"
    assert (
        "carried from the current export (the history has no change of them): close date, owner, deal name"
        in lines
    )
    assert (
        "not known for past weeks, left blank: last activity date, next step, probability, forecast category"
        in lines
    )
    assert lines[-1] == "rebuilt 2 week(s), 2026-W45 to 2026-W46: stage, amount from the history"
    assert default_first("2026-W47") == "2026-W34"


@pytest.mark.sample_data
def test_the_sample_histories_rebuild_the_weeks_the_teams_exported(
    small_sample: Path, tmp_path: Path
) -> None:
    """Each team's history in its CRM's shape (a Salesforce report with 15-character IDs
    and US dates, HubSpot property history, the generic format from a GB18030 and an XLSX
    export), rebuilt from the last week alone: equal to the weeks the teams exported, on
    every field the history gives, for every deal the last week still holds."""
    samples = tmp_path / "samples"
    shutil.copytree(small_sample, samples)
    weeks = sorted(p.name for p in (samples / "exports").iterdir())
    truth = SnapshotStore(tmp_path / "truth")
    ingest_folder(samples / "exports", store=truth.root)
    rebuilt = SnapshotStore(tmp_path / "rebuilt")
    for history in write_change_histories(samples):
        team = history.stem.removesuffix("-history")
        export = next((samples / "exports" / weeks[-1]).glob(f"{team}.*"))
        run = backfill_store(export, history, week=weeks[-1], first=weeks[0], store=rebuilt.root)
        assert run.stored == tuple(weeks[:-1]) and run.backfill.problems == ()
        assert run.history.rows_quarantined == 0
    assert rebuilt.weeks() == truth.weeks() == weeks
    last = truth.read(weeks[-1]).set_index(["team", "deal_id"]).index
    for week in weeks[:-1]:
        real = truth.read(week).set_index(["team", "deal_id"])
        real = real[real.index.isin(last)]
        got = rebuilt.read(week).set_index(["team", "deal_id"])
        assert sorted(got.index) == sorted(real.index), week
        for field in ("stage", "amount", "close_date", "probability", "owner"):
            same = _same(real.loc[got.index, field], got[field])
            carried = got.index[~same]
            assert same.all(), (week, field, carried[:3].tolist())


def _same(left: pd.Series, right: pd.Series) -> pd.Series:
    a, b = left.astype("object"), right.astype("object")
    return (a == b) | (a.isna() & b.isna())


def test_the_review_and_the_dashboard_name_the_rebuilt_weeks(files: tuple[Path, ...]) -> None:
    from pipereview.dashboard.data import DashboardData
    from pipereview.dashboard.tabs import render
    from pipereview.dashboard.view import View
    from pipereview.delivery._review import WeeklyReview
    from pipereview.history import load_history

    export, history, root = files
    backfill_store(export, history, week="2026-W47", first="2026-W45", store=root)
    keyed = load_history(root)
    expected = (
        # this export has no column a rebuilt week lacks: no "not known" clause
        "Weeks 2026-W45 to 2026-W46 are rebuilt from the CRM's change history (history.csv). "
        "This week's findings come from its own export."
    )
    review = WeeklyReview(keyed, team="West", week="2026-W47")
    assert expected.replace("'", "&#x27;") in review.changes_section().body
    zh = WeeklyReview(keyed, team="West", week="2026-W47", lang="zh")
    assert (
        "2026-W45 至 2026-W46 各周由 CRM 的变更历史（history.csv）重建" in zh.changes_section().body
    )
    page = render(DashboardData(keyed), "changes", View("West", "2026-W47"))
    assert expected.replace("'", "&#x27;") in page
    # a review of a rebuilt week says it is one
    past = WeeklyReview(keyed, team="West", week="2026-W46").changes_section().body
    assert "This week is rebuilt too" in past


def test_a_week_keeps_the_deals_each_pull_found_deleted_or_merged(tmp_path: Path) -> None:
    from pipereview.cli._changes import removed_lines
    from pipereview.history import removed_deals

    root = tmp_path / "store"
    gone = pd.DataFrame(
        {"deal_id": ["301"], "how": ["deleted"], "into": [""], "at": ["2026-11-18T10:00:00Z"]}
    )
    merged = pd.DataFrame(
        {"deal_id": ["302"], "how": ["merged"], "into": ["201"], "at": ["2026-11-19T09:00:00Z"]}
    )
    ingest_week([_export(tmp_path)], week="2026-W47", store=root, removed=gone)
    east = _export(tmp_path, "East", ("201",))
    ingest_week([east], week="2026-W47", store=root, add=True, removed=merged)
    store = SnapshotStore(root)
    assert removed_deals(store, "2026-W47").values.tolist() == [
        ["301", "deleted", None, "2026-11-18T10:00:00Z"],
        ["302", "merged", "201", "2026-11-19T09:00:00Z"],
    ]
    assert removed_lines(store, "2026-W47") == [
        "deleted in the CRM (1; not deals to chase): 301",
        "merged into another deal in the CRM (1): 302 into 201",
    ]
    ingest_week([east], week="2026-W47", store=root, replace=True)  # a plain export: none
    assert removed_deals(store, "2026-W47").empty
