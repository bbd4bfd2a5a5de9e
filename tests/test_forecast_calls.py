"""Reading a forecast calls file: English and Chinese headers, GB18030, a bad amount
quarantined with its row named, a missing column refused, and the week and period
defaults; the store of calls per week: round trip, replace, two writers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipereview.core._errors import InputError
from pipereview.ingest import CALL_COLUMNS, read_forecast_calls

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


def test_period_given_when_the_file_has_none() -> None:
    export = read_forecast_calls(DATA / "calls_bad_amount.csv", week="2026-W52", period="2027-Q1")
    assert export.frame["period"].unique().tolist() == ["2027-Q1"]


def test_missing_column_refused_naming_the_columns_found() -> None:
    with pytest.raises(InputError) as refused:
        read_forecast_calls(DATA / "calls_no_commit.csv", week="2026-W47")
    assert "no commit column" in str(refused.value)
    assert "['Team', 'Rep', 'Best case']" in str(refused.value)
    assert "Commit" in refused.value.hint


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
