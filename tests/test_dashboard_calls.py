"""Entering a forecast call in the dashboard's forecast tab: the form filled and
submitted, the call read back from the store by the reader the weekly review uses, with
its exact values; refusals said in the form with their fix and nothing written; a
re-entry replacing that caller's call only; a locked page held to its team; the tab's
calls section (prepared views too) showing the entered call at once."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _dashboard_rows import two_teams
from pipereview.core._errors import AccessError, InputError
from pipereview.dashboard import TABS, Dashboard
from pipereview.dashboard._callform import CallEntry
from pipereview.dashboard.prepare import write_prepared
from pipereview.dashboard.prepared import PreparedTeams
from pipereview.history._callstore import (
    enter_forecast_call,
    forecast_call_summary,
    review_calls,
    store_forecast_calls,
)
from pipereview.ingest._callentry import ENTERED, entered_call
from pipereview.ingest._forecastcalls import read_forecast_calls

FORECAST = TABS.index("forecast")
WEEK = "2026-W47"


def _board(store: Path | None, **kwargs: Any) -> Dashboard:
    board = Dashboard(two_teams(), team="North", coaching_log=store, **kwargs)
    board.controls["tabs"].selected_index = FORECAST
    return board


def _fields(board: Dashboard) -> dict[str, Any]:
    return dict(board._calls.fields)


def _fill(board: Dashboard, who: str, commit: str, best: str = "", pipeline: str = "") -> None:
    fields = _fields(board)
    fields["who"].value = who
    fields["commit"].value, fields["best_case"].value = commit, best
    fields["pipeline"].value = pipeline


def _said(board: Dashboard) -> str:
    return str(_fields(board)["said"].value)


def _calls(store: Path, team: str = "North") -> pd.DataFrame:
    calls = review_calls(WEEK, team, store=store)
    assert calls is not None
    return calls


def _values(calls: pd.DataFrame) -> list[list[Any]]:
    columns = ["week", "period", "team", "level", "rep", "commit", "best_case", "currency"]
    return [[None if pd.isna(v) else v for v in row] for row in calls[columns].values.tolist()]


def test_a_filled_form_is_stored_with_its_exact_values(tmp_path: Path) -> None:
    store = tmp_path / "store"
    board = _board(store)
    assert [o[1] for o in _fields(board)["who"].options] == ["Ann", "Bob", ""]
    _fill(board, "Ann", "80,000", "9.5万", "120000")
    assert board._calls.submit(entered="2026-11-18 09:30") is True
    calls = _calls(store)
    assert _values(calls) == [
        ["2026-W47", "2026-Q4", "North", "rep", "Ann", 80000.0, 95000.0, "EUR"]
    ]
    assert calls["pipeline"].tolist() == [120000.0]
    assert calls["submitted"].tolist() == [pd.Timestamp("2026-11-18 09:30")]
    assert _said(board) == (
        "<p class='pr-calls-stored'>Stored: the call of Ann for 2026-W47, commit 80,000.</p>"
    )
    record = json.loads((store / "forecast_calls" / "2026-W47.json").read_text("utf-8"))
    assert [(s["file"], s["rep"], s["entered"]) for s in record["sources"]] == [
        (ENTERED, "Ann", "2026-11-18T09:30:00")
    ]
    assert forecast_call_summary(store)["files"].tolist() == [ENTERED]


def test_the_team_line_is_the_manager_s_adjustment(tmp_path: Path) -> None:
    store = tmp_path / "store"
    board = _board(store)
    _fill(board, "", "1500", "1500")  # a best case equal to the commit is accepted
    assert board._calls.submit(entered="2026-11-19 17:05") is True
    assert _values(_calls(store)) == [
        ["2026-W47", "2026-Q4", "North", "manager", None, 1500.0, 1500.0, "EUR"]
    ]
    assert "North (manager&#x27;s adjustment) for 2026-W47, commit 1,500" in _said(board)


@pytest.mark.parametrize(
    ("who", "commit", "best", "reason", "fix"),
    [
        (
            "Ann",
            "lots",
            "",
            "Commit: expected the commit: an amount such as 120,000.00, got &#x27;lots&#x27;",
            "write the amount as a number (12,000.00 or 1.2万), without words",
        ),
        (
            "Ann",
            "-5",
            "",
            "Commit: expected the commit: an amount of 0 or more, got &#x27;-5&#x27;",
            "write the amount as a number (12,000.00 or 1.2万), without words",
        ),
        (
            "Bob",
            "1000",
            "999",
            "Best case: expected the best case: at least the commit (the commit is the part "
            "of it most sure), got &#x27;999&#x27;",
            "raise the best case to the commit or more, or lower the commit",
        ),
        (
            "",
            " ",
            "100",
            "Commit: expected the commit amount",
            "write the amount as a number (12,000.00 or 1.2万), without words",
        ),
    ],
)
def test_a_refused_entry_says_why_and_the_fix_and_writes_nothing(
    tmp_path: Path, who: str, commit: str, best: str, reason: str, fix: str
) -> None:
    store = tmp_path / "store"
    board = _board(store)
    _fill(board, who, commit, best)
    assert board._calls.submit() is False
    assert _said(board) == (
        f"<p class='pr-calls-refused'>Not stored: {reason}</p>"
        f"<p class='pr-calls-refused'>Fix: {fix}</p>"
    )
    assert review_calls(WEEK, "North", store=store) is None
    assert "Traceback" not in _said(board) and not (store / "forecast_calls").exists()


def test_a_rep_not_of_the_team_is_refused(tmp_path: Path) -> None:
    entry = CallEntry(tmp_path / "store")
    with pytest.raises(InputError) as refused:
        entry.enter("North", WEEK, "Cy", ("100", "", ""), reps=["Ann", "Bob"])
    assert str(refused.value) == (
        "'Cy' is not a rep of North (expected one of Ann, Bob, or the team line)\n"
        "Hint: choose a rep of the team, or the team line for the manager's call"
    )
    assert review_calls(WEEK, "North", store=tmp_path / "store") is None


def test_the_file_reader_sets_aside_a_best_case_below_the_commit(tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_text("Team,Rep,Commit,Best case\nNorth,Ann,100,90\nNorth,Bob,100,100\n", "utf-8")
    export = read_forecast_calls(path, week=WEEK)
    assert [(p.row, p.column, p.got) for p in export.problems] == [(2, "Best case", "90")]
    assert export.frame["rep"].tolist() == ["Bob"]


def test_a_re_entry_replaces_that_rep_s_call_only(tmp_path: Path) -> None:
    store = tmp_path / "store"
    path = tmp_path / "calls.csv"
    path.write_text("Team,Rep,Commit\nNorth,Ann,800\nNorth,Bob,300\nNorth,,1000\n", "utf-8")
    store_forecast_calls(store, WEEK, read_forecast_calls(path, week=WEEK))
    board = _board(store)
    _fields(board)["who"].value = "Ann"
    assert _fields(board)["note"].value == (
        "<p class='pr-calls-replaces'>Submitting replaces the call stored from calls.csv "
        "(commit 800).</p>"
    )
    _fill(board, "Ann", "900")
    assert board._calls.submit(entered="2026-11-18 09:30") is True
    assert _fields(board)["note"].value == (
        "<p class='pr-calls-replaces'>Submitting replaces the call entered on "
        "2026-11-18 09:30 (commit 900).</p>"
    )
    _fill(board, "Ann", "950")
    assert board._calls.submit(entered="2026-11-19 08:00") is True
    calls = _calls(store)
    assert calls[["level", "rep", "commit"]].values.tolist() == [
        ["manager", None, 1000.0],
        ["rep", "Ann", 950.0],
        ["rep", "Bob", 300.0],
    ]
    _fields(board)["who"].value = "Bob"  # a rep without an entry: the file's call
    assert "stored from calls.csv (commit 300)" in _fields(board)["note"].value


def test_the_tab_shows_an_entered_call_at_once(tmp_path: Path) -> None:
    store = tmp_path / "store"
    board = _board(store)
    before = board.controls["body_forecast"].value
    assert "not available: no forecast calls stored" in before
    _fill(board, "Bob", "400", "500")
    board._calls.submit(entered="2026-11-18 09:30")
    after = board.controls["body_forecast"].value
    assert "<tr><td>Bob</td><td>2026-W47</td><td>this week</td></tr>" in after
    assert "<tr><td>Ann</td><td>—</td><td>never submitted</td></tr>" in after


def test_prepared_views_give_way_to_an_entered_call(tmp_path: Path) -> None:
    store = tmp_path / "store"
    bob = entered_call("North", "Bob", "300", week=WEEK, reps=["Ann", "Bob"])
    enter_forecast_call(store, bob)
    folder = write_prepared(tmp_path / "teams", two_teams(), calls=store)
    prepared = PreparedTeams(folder)
    drawn = prepared.views("North")[("North", WEEK, "", "en", "forecast", "", "", "")]
    assert "<tr><td>Bob</td><td>2026-W47</td><td>this week</td></tr>" in drawn
    assert "<tr><td>Ann</td><td>—</td><td>never submitted</td></tr>" in drawn
    board = Dashboard(prepared, team="North", coaching_log=store)  # type: ignore[arg-type]
    board.controls["tabs"].selected_index = FORECAST
    assert board.controls["body_forecast"].value == drawn  # the prepared view, taken in
    _fill(board, "Ann", "700")
    board._calls.submit(entered="2026-11-18 09:30")
    shown = board.controls["body_forecast"].value
    assert "<tr><td>Ann</td><td>2026-W47</td><td>this week</td></tr>" in shown
    assert "<tr><td>Bob</td><td>2026-W47</td><td>this week</td></tr>" in shown
    board.select(week="2026-W46").select(week=WEEK)  # drawn again, never the prepared one
    assert board.tab_html("forecast") == shown


def test_a_locked_page_takes_calls_for_its_team_only(tmp_path: Path) -> None:
    store = tmp_path / "store"
    board = _board(store, locked=True)
    entry = board.state.calls
    assert entry.unavailable("North", "en") == ""
    with pytest.raises(AccessError) as refused:
        entry.enter("West", WEEK, "Cy", ("100", "", ""), reps=["Cy"])
    assert str(refused.value).startswith(
        "This dashboard is locked to North: it takes calls for North only."
    )
    assert review_calls(WEEK, "West", store=store) is None
    _fill(board, "Ann", "100")
    assert board._calls.submit(entered="2026-11-18 09:30") is True
    assert _calls(store)["rep"].tolist() == ["Ann"]


def test_without_a_store_or_writable_store_the_form_says_why(tmp_path: Path) -> None:
    board = _board(None)
    parts = board.controls["calls"].children
    assert [p.value for p in parts if "pr-calls-off" in p._dom_classes] == [
        "<p class='pr-calls-off'>Entering calls needs the store: start the dashboard with "
        "pipereview serve --store DIR.</p>"
    ]
    assert not _fields(board) and board._calls.submit() is False
    if os.geteuid() == 0:
        pytest.skip("root writes into a read-only folder")
    store = tmp_path / "store"
    store.mkdir()
    store.chmod(0o555)
    try:
        said = CallEntry(store).unavailable("North", "en")
        assert said.startswith(f"The store {store} cannot be written by this server")
        with pytest.raises(AccessError):
            CallEntry(store).enter("North", WEEK, "Ann", ("1", "", ""), reps=["Ann"])
    finally:
        store.chmod(0o755)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["Ann", "Bob", ""]), st.integers(0, 10_000)),
        min_size=1,
        max_size=6,
    )
)
def test_each_caller_keeps_exactly_their_last_entry(
    tmp_path_factory: pytest.TempPathFactory, entries: list[tuple[str, int]]
) -> None:
    store = tmp_path_factory.mktemp("store")
    for rep, commit in entries:
        call = entered_call("North", rep, str(commit), week=WEEK, reps=["Ann", "Bob"])
        enter_forecast_call(store, call)
    last = {rep: float(commit) for rep, commit in entries}
    calls = _calls(store)
    stored = {
        (r if isinstance(r, str) else ""): c
        for r, c in zip(calls["rep"], calls["commit"], strict=True)
    }
    assert stored == last and len(calls) == len(last)


def test_a_rep_s_forecast_tab_is_the_team_s_drawn_once_and_again_after_an_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipereview.delivery import _reviewforecastcheck as check

    drawn: list[str] = []
    real = check.forecast_check_section

    def counted(review: Any, calls: Any) -> Any:
        drawn.append(f"{review.team} {review.week} {review.lang}")
        return real(review, calls)

    monkeypatch.setattr(check, "forecast_check_section", counted)
    board = _board(tmp_path / "store")
    team = board.controls["body_forecast"].value
    board.select(rep="Bob")
    assert board.controls["body_forecast"].value == team  # the team's figures
    board.select(rep="Ann")
    assert board.controls["body_forecast"].value == team
    assert drawn == ["North 2026-W47 en"]  # once for the team's week, not once a view
    _fill(board, "Bob", "400", "500")
    board._calls.submit(entered="2026-11-18 09:30")
    after = board.controls["body_forecast"].value
    assert "<tr><td>Bob</td><td>2026-W47</td><td>this week</td></tr>" in after
    board.select(rep="")
    assert board.controls["body_forecast"].value == after  # the team's view has it too
    assert drawn == ["North 2026-W47 en"] * 2
