"""Reading a forecast calls file: English and Chinese headers, GB18030, a bad amount
quarantined with its row named, a missing column refused, and the week and period
defaults; the store of calls per week: round trip, replace, two writers."""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from _trimmed import trimmed_export
from pipereview.cli import app
from pipereview.core._errors import DamagedWeekError, InputError
from pipereview.history import (
    SnapshotStore,
    check_forecast_calls,
    forecast_call_summary,
    ingest_week,
    read_forecast_calls_stored,
    store_forecast_calls,
)
from pipereview.ingest import CALL_COLUMNS, CallsExport, read_forecast_calls

DATA = Path(__file__).parent / "data" / "forecast_calls"


def test_english_file_every_row_counted() -> None:
    export = read_forecast_calls(DATA / "calls_en.csv")
    assert (export.rows_read, export.rows_used, export.rows_quarantined, export.rows_skipped) == (
        5,
        4,
        0,
        1,
    )
    assert export.skipped == {"blank row": 1}
    frame = export.frame
    assert list(frame.columns[: len(CALL_COLUMNS)]) == list(CALL_COLUMNS)
    assert frame["level"].tolist() == ["rep", "rep", "manager", "rep"]
    assert frame["rep"].tolist() == ["Ann Lee", "Bo Chen", None, "Ann Lee"]
    assert frame["commit"].tolist() == [80000.0, 120000.0, 190000.0, 75000.0]
    assert frame["best_case"].isna().tolist() == [False, True, False, False]
    assert frame["pipeline"].isna().all()
    assert frame["period"].unique().tolist() == ["2026-Q4"]  # the quarter of the week
    assert frame["currency"].unique().tolist() == ["USD"]
    assert frame["submitted"].dtype == "datetime64[ns]"
    assert str(frame["submitted"].iloc[2].date()) == "2026-11-18"
    assert frame["source_row"].tolist() == [2, 3, 5, 6]
    assert set(export.missing) == {"period", "level", "pipeline"}


@pytest.mark.parametrize("name", ["calls_zh.csv", "calls_gb18030.csv"])
def test_chinese_headers_and_encodings(name: str) -> None:
    frame = read_forecast_calls(DATA / name).frame
    assert frame["team"].tolist() == ["华东", "华东"]
    assert frame["rep"].tolist() == ["王芳", None]
    assert frame["level"].tolist() == ["rep", "manager"]
    assert frame["commit"].tolist() == [80000.0, 200000.0]  # 8万, 20万
    assert frame["best_case"].tolist() == [100000.0, 250000.0]
    assert frame["period"].tolist() == ["2026-Q4", "2026-Q4"]


def test_bad_amount_quarantined_with_its_row() -> None:
    export = read_forecast_calls(DATA / "calls_bad_amount.csv", week="2026-W47")
    assert export.rows_used == 2 and export.rows_quarantined == 1
    problem = export.problems[0]
    assert (problem.row, problem.column, problem.got) == (3, "Commit", "lots")
    assert "amount" in problem.expected and problem.hint
    assert export.frame["rep"].tolist() == ["Ann Lee", "Cy Diaz"]
    assert export.frame["week"].unique().tolist() == ["2026-W47"]  # from --week


def test_xlsx_file_read(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Forecast calls, week 47"])  # a title row above the header
    sheet.append(["Week", "Team", "Owner", "Commit", "Best case"])
    sheet.append(["2026-W47", "West", "Cy Diaz", 50000, 60000])
    sheet.append(["2026-W47", "West", None, 150000, None])
    path = tmp_path / "calls.xlsx"
    book.save(path)
    export = read_forecast_calls(path)
    assert export.frame[["level", "rep", "commit"]].values.tolist() == [
        ["rep", "Cy Diaz", 50000.0],
        ["manager", None, 150000.0],
    ]
    assert export.frame["source_row"].tolist() == [3, 4]


def test_period_given_when_the_file_has_none() -> None:
    export = read_forecast_calls(DATA / "calls_bad_amount.csv", week="2026-W52", period="2027-Q1")
    assert export.frame["period"].unique().tolist() == ["2027-Q1"]


def test_missing_column_refused_naming_the_columns_found() -> None:
    with pytest.raises(InputError) as refused:
        read_forecast_calls(DATA / "calls_no_commit.csv", week="2026-W47")
    assert "no commit column" in str(refused.value)
    assert "['Team', 'Rep', 'Best case']" in str(refused.value)
    assert "Commit" in refused.value.hint
    where = (refused.value.file, refused.value.row, refused.value.column)
    assert where == (str(DATA / "calls_no_commit.csv"), 1, "commit")


def test_blank_cells_and_rows_between_the_calls(tmp_path: Path) -> None:
    """A blank period is the week's quarter, a blank commit is set aside with its line,
    blank rows before and between the calls are skipped and counted; every call keeps
    its own line."""
    path = tmp_path / "calls.csv"
    path.write_text(
        "Week,Period,Team,Rep,Commit\n"
        "\n"  # line 2: blank
        "2026-W47,,North,Ann,100\n"  # line 3: no period
        "2026-W47,2026-Q4,North,Bo,\n"  # line 4: no commit
        ",,,,\n"  # line 5: blank cells
        "2026-W47,2026-Q4,North,Cy,300\n",
        encoding="utf-8",
    )
    export = read_forecast_calls(path)
    assert (export.rows_read, export.rows_used, export.rows_quarantined, export.rows_skipped) == (
        5,
        2,
        1,
        2,
    )
    assert [(p.row, p.column, p.got, p.expected) for p in export.problems] == [
        (4, "Commit", "", "the commit amount")
    ]
    rows = export.frame[["rep", "commit", "period", "source_row"]].values.tolist()
    assert rows == [["Ann", 100.0, "2026-Q4", 3], ["Cy", 300.0, "2026-Q4", 6]]


def test_no_week_column_and_no_week_refused() -> None:
    with pytest.raises(InputError, match="no week column") as refused:
        read_forecast_calls(DATA / "calls_bad_amount.csv")
    assert "--week" in refused.value.hint


def test_bad_cells_each_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_text(
        "Week,Period,Team,Level,Rep,Commit,Submitted\n"
        "2026-W47,2026-Q4,North,rep,Ann,100,2026-11-16\n"  # used
        "W47,2026-Q4,North,rep,Bo,100,2026-11-16\n"  # bad week
        "2026-W47,Q4,North,rep,Cy,100,2026-11-16\n"  # bad period
        "2026-W47,2026-Q4,North,boss,Di,100,2026-11-16\n"  # bad level
        "2026-W47,2026-Q4,,rep,Ed,100,2026-11-16\n"  # no team
        "2026-W47,2026-Q4,North,rep,Fa,-5,2026-11-16\n"  # negative
        "2026-W47,2026-Q4,North,rep,Gu,100,someday\n"  # bad date
        "2026-11-18,2026q4,North,manager,Mo,300,\n",  # a date names the week; a manager row
        encoding="utf-8",
    )
    export = read_forecast_calls(path)
    columns = [(p.row, p.column) for p in export.problems]
    assert columns == [
        (3, "Week"),
        (4, "Period"),
        (5, "Level"),
        (6, "Team"),
        (7, "Commit"),
        (8, "Submitted"),
    ]
    frame = export.frame
    assert frame["rep"].tolist() == ["Ann", None]  # a manager row has no rep
    assert frame["week"].tolist() == ["2026-W47", "2026-W47"]
    assert frame["period"].tolist() == ["2026-Q4", "2026-Q4"]
    assert pd.isna(frame["submitted"].iloc[1])


# --- the store --------------------------------------------------------------------------


def _calls_file(folder: Path, name: str, rows: str) -> Path:
    path = folder / name
    path.write_text("Week,Team,Rep,Commit\n" + rows, encoding="utf-8")
    return path


def test_store_round_trip_and_summary(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path / "store")
    export = read_forecast_calls(DATA / "calls_en.csv")
    stored = store_forecast_calls(store, "2026-W47", export)
    assert stored.weeks == ("2026-W46", "2026-W47") and stored.rows == 4
    assert (store.root / "forecast_calls" / "2026-W47.parquet").is_file()
    assert (store.root / "forecast_calls" / "2026-W47.json").is_file()
    calls = read_forecast_calls_stored(store, "2026-W47")
    assert list(calls.columns) == list(CALL_COLUMNS)
    assert calls[["week", "level", "rep", "commit"]].values.tolist() == [
        ["2026-W46", "rep", "Ann Lee", 75000.0],
        ["2026-W47", "manager", None, 190000.0],
        ["2026-W47", "rep", "Ann Lee", 80000.0],
        ["2026-W47", "rep", "Bo Chen", 120000.0],
    ]
    assert read_forecast_calls_stored(store, "2026-W46")["week"].tolist() == ["2026-W46"]
    assert len(read_forecast_calls_stored(store, "2026-W45")) == 0
    summary = forecast_call_summary(store)
    assert summary.values.tolist() == [
        ["2026-W46", "North", 1, "no", "calls_en.csv"],
        ["2026-W47", "North", 2, "yes", "calls_en.csv"],
    ]


def test_a_teams_calls_replaced_only_with_replace(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path / "store")
    first = _calls_file(tmp_path, "a.csv", "2026-W47,North,Ann,100\n2026-W47,West,Cy,50\n")
    second = _calls_file(tmp_path, "b.csv", "2026-W47,North,Ann,90\n")
    store_forecast_calls(store, "2026-W47", read_forecast_calls(first))
    with pytest.raises(InputError, match="already holds forecast calls of North") as refused:
        store_forecast_calls(store, "2026-W47", read_forecast_calls(second))
    assert "--replace" in refused.value.hint
    assert read_forecast_calls_stored(store, "2026-W47")["commit"].tolist() == [100.0, 50.0]
    store_forecast_calls(store, "2026-W47", read_forecast_calls(second), replace=True)
    calls = read_forecast_calls_stored(store, "2026-W47")
    assert calls[["team", "commit"]].values.tolist() == [["North", 90.0], ["West", 50.0]]


def test_two_files_of_one_team_and_week_refused(tmp_path: Path) -> None:
    a = read_forecast_calls(_calls_file(tmp_path, "a.csv", "2026-W47,North,Ann,100\n"))
    b = read_forecast_calls(_calls_file(tmp_path, "b.csv", "2026-W47,North,Bo,100\n"))
    with pytest.raises(InputError, match="both give the forecast calls of North"):
        check_forecast_calls(tmp_path / "store", [a, b])


def test_quarantine_written_and_damage_reported(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path / "store")
    export = read_forecast_calls(DATA / "calls_bad_amount.csv", week="2026-W47")
    stored = store_forecast_calls(store, "2026-W47", export)
    assert stored.quarantine_file is not None
    assert "lots" in stored.quarantine_file.read_text(encoding="utf-8-sig")
    path = store.root / "forecast_calls" / "2026-W47.parquet"
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(DamagedWeekError, match="checksum"):
        read_forecast_calls_stored(store, "2026-W47")


def test_two_writers_one_wins_cleanly(tmp_path: Path) -> None:
    """Two writers of one team's week at once: the lock lets one store, the other is
    refused (the week holds that team's calls), and the file stays whole."""
    root = tmp_path / "store"
    exports = [
        read_forecast_calls(_calls_file(tmp_path, f"{n}.csv", f"2026-W47,North,Ann,{n}\n"))
        for n in (100, 200)
    ]
    outcomes: list[str] = []

    def write(export: CallsExport) -> None:
        try:
            store_forecast_calls(SnapshotStore(root), "2026-W47", export)
            outcomes.append("stored")
        except InputError:
            outcomes.append("refused")

    threads = [threading.Thread(target=write, args=(e,)) for e in exports]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "stored"]
    commit = read_forecast_calls_stored(root, "2026-W47")["commit"].tolist()
    assert commit in ([100.0], [200.0])


def test_calls_command_and_weeks_listing(tmp_path: Path) -> None:
    store = tmp_path / "store"
    runner = CliRunner()
    args = ["calls", str(DATA / "calls_bad_amount.csv"), "--week", "2026-W47"]
    result = runner.invoke(app, [*args, "--store", str(store)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "3 rows read, 2 used, 1 set aside, 0 skipped" in result.output
    again = runner.invoke(app, [*args, "--store", str(store)], env={"COLUMNS": "200"})
    assert again.exit_code == 1 and "--replace" in again.output
    assert len(read_forecast_calls_stored(store, "2026-W47")) == 2
    samples = Path(__file__).resolve().parents[1] / "data" / "samples" / "exports" / "2026-W47"
    ingest_week(
        [trimmed_export(samples / "north.csv", tmp_path / "exports")], week="2026-W47", store=store
    )
    listed = runner.invoke(app, ["weeks", "--store", str(store)], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    assert "Forecast calls stored with the weeks" in listed.output
    assert "calls_bad_amount.csv" in listed.output


# --- a call entered by hand -------------------------------------------------------------


def test_an_entered_call_is_read_by_the_calls_file_rules() -> None:
    from pipereview.ingest._callentry import ENTERED, entered_call

    export = entered_call(
        "North", "", "8万", "", "300000", week="2026-W47", reps=["Ann Lee"], currency="CNY",
        entered="2026-11-18 09:30",
    )  # fmt: skip
    columns = ["team", "level", "rep", "commit", "pipeline", "currency", "period"]
    assert export.frame[columns].values.tolist() == [
        ["North", "manager", None, 80000.0, 300000.0, "CNY", "2026-Q4"]
    ]
    assert export.frame["best_case"].isna().all()  # a blank best case: none given
    assert (export.rows_read, export.rows_used, str(export.source)) == (1, 1, ENTERED)
    assert str(export.frame["submitted"].iloc[0]) == "2026-11-18 09:30:00"


@pytest.mark.parametrize(
    ("rep", "commit", "best", "message", "column"),
    [
        ("Cy", "100", "", "'Cy' is not a rep of North", "Rep"),
        ("Ann Lee", "-5", "", "Commit: expected the commit: an amount of 0 or more, got '-5'", "Commit"),
        ("Ann Lee", "100", "50", "Best case: expected the best case: at least the commit", "Best case"),
        ("Ann Lee", "", "", "Commit: expected the commit amount", "Commit"),
    ],
)  # fmt: skip
def test_an_entered_call_refused_with_its_column_and_fix(
    rep: str, commit: str, best: str, message: str, column: str
) -> None:
    from pipereview.ingest._callentry import entered_call

    with pytest.raises(InputError) as refused:
        entered_call("North", rep, commit, best, week="2026-W47", reps=["Ann Lee"])
    assert str(refused.value).startswith(message)
    assert refused.value.column == column and refused.value.hint
