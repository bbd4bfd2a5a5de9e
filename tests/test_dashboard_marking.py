"""Marking the coaching log from the dashboard's coaching tab: the rep's last 1:1 items
shown, marks saved through the store's lock, a locked page held to its team, marks made
meanwhile elsewhere never overwritten unseen, crafted messages and long notes refused
with nothing written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from _dashboard_rows import two_teams
from pipereview.coaching._log import CoachingLog, StaleMarkError, item_id
from pipereview.core._errors import AccessError
from pipereview.dashboard import TABS, Dashboard, DashboardConfig
from pipereview.dashboard.marking import NOTE_LIMIT, LogMarks
from pipereview.serve import prepare_dashboard

TEAM_TAB = TABS.index("coaching")


def _entry(week: str, team: str, owner: str, rank: int, **fields: Any) -> dict[str, Any]:
    entry = {"week": week, "team": team, "owner": owner, "rank": rank, **fields}
    return {**entry, "item": item_id(entry)}


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A store whose log holds Ann's 1:1 of 2026-W46 (a deal and a skill item), an
    older 1:1 of hers (2026-W44) and West's Cy (2026-W46)."""
    root = tmp_path / "store"
    CoachingLog(root).record(
        [
            _entry(
                "2026-W44",
                "North",
                "Ann",
                1,
                kind="opportunity",
                deal_key="N9",
                subject="Old deal",
                target="call the buyer",
            ),
            _entry(
                "2026-W46",
                "North",
                "Ann",
                1,
                kind="opportunity",
                deal_key="N1",
                subject="Deal N1",
                target="meet the CFO",
                due="2026-12-16",
            ),
            _entry(
                "2026-W46",
                "North",
                "Ann",
                2,
                kind="skill",
                rule="low_stage_conversion",
                stage="needs_confirmed",
                subject="Move-on at Needs confirmed",
                target="Target by 2026-12-16: from 1% to 10%",
                due="2026-12-16",
            ),
            _entry(
                "2026-W46",
                "West",
                "Cy",
                1,
                kind="opportunity",
                deal_key="W1",
                subject="Deal W1",
                target="send the quote",
            ),
        ]
    )
    return root


def _board(store: Path | None, **kwargs: Any) -> Dashboard:
    board = Dashboard(two_teams(), team="North", coaching_log=store, **kwargs)
    board.controls["tabs"].selected_index = TEAM_TAB
    return board


def _rows(board: Dashboard) -> list[Any]:
    return [w for w in board.controls["marks"].children if "pr-log-item" in w._dom_classes]


def _part(board: Dashboard, css: str) -> Any:
    return next(w for w in board.controls["marks"].children if css in w._dom_classes)


def _said(board: Dashboard) -> str:
    return str(_part(board, "pr-log-message").value)


def _statuses(store: Path) -> list[tuple[str, str, str, str]]:
    return [(e["week"], e["owner"], e["status"], e["note"]) for e in CoachingLog(store).entries()]


def test_the_rep_s_last_one_to_one_is_shown_with_its_marks(store: Path) -> None:
    board = _board(store)
    hint = _part(board, "pr-log-head").value
    assert "Choose a rep to mark the items of their last 1:1." in hint and not _rows(board)
    board.select(rep="Ann")  # week 2026-W47: her last 1:1 is 2026-W46, not the older W44
    assert "Coaching log — 1:1 of 2026-W46" in _part(board, "pr-log-head").value
    labels = [row.children[0].value for row in _rows(board)]
    assert labels == [
        "1. Deal N1 — meet the CFO (by 2026-12-16)",
        "2. Move-on at Needs confirmed — Target by 2026-12-16: from 1% to 10%",  # due once
    ]
    assert [row.children[1].value for row in _rows(board)] == ["proposed", "proposed"]
    board.select(week="2026-W46")  # the 1:1 of the week shown counts as the last one
    assert len(_rows(board)) == 2
    board.select(rep="Bob", lang="zh")
    said = _part(board, "pr-log-head").value
    assert "截至 2026-W46，辅导记录中没有 Bob 的事项" in said and not _rows(board)
    board.select(rep="Ann")
    assert [o[0] for o in _rows(board)[0].children[1].options] == [
        "待商定",
        "已约定",
        "已完成",
        "已放弃",
    ]


def test_marks_are_saved_and_only_changed_items_written(store: Path) -> None:
    board = _board(store).select(rep="Ann")
    first, _ = _rows(board)
    first.children[1].value = "agreed"
    first.children[2].value = "  CFO meeting   booked  "
    _part(board, "pr-log-save").click()
    assert _said(board) == "<p class='pr-log-said'>Saved to the coaching log: 1 changed.</p>"
    assert _statuses(store) == [
        ("2026-W44", "Ann", "proposed", ""),
        ("2026-W46", "Ann", "agreed", "CFO meeting booked"),  # kept on one line
        ("2026-W46", "Ann", "proposed", ""),
        ("2026-W46", "Cy", "proposed", ""),
    ]
    assert _rows(board)[0].children[1].value == "agreed"  # redrawn from the log
    before = (store / "coaching-log.jsonl").read_bytes()
    _part(board, "pr-log-save").click()
    assert "Nothing to save: no mark was changed." in _said(board)
    assert (store / "coaching-log.jsonl").read_bytes() == before
    _, items = CoachingLog(store).previous("North", "Ann", "2026-W48")
    assert [i["status"] for i in items] == ["agreed", "proposed"]  # what the next sheet reads


def test_a_mark_made_meanwhile_elsewhere_is_never_overwritten_unseen(store: Path) -> None:
    first, second = _board(store).select(rep="Ann"), _board(store).select(rep="Ann")
    _rows(first)[0].children[1].value = "done"
    _part(first, "pr-log-save").click()
    _rows(second)[0].children[1].value = "dropped"  # the second page still shows "proposed"
    _part(second, "pr-log-save").click()
    item = item_id(
        {
            "week": "2026-W46",
            "team": "North",
            "owner": "Ann",
            "deal_key": "N1",
            "kind": "opportunity",
        }
    )
    assert f"Not saved: {item} was marked meanwhile" in _said(second)
    assert _statuses(store)[1][2] == "done"
    assert _rows(second)[0].children[1].value == "done"  # it now shows the log as it is
    _rows(second)[1].children[1].value = "agreed"  # another item: nobody marked it meanwhile
    _part(second, "pr-log-save").click()
    assert "1 changed" in _said(second) and _statuses(store)[2][2] == "agreed"


def test_the_log_refuses_a_stale_mark_and_writes_nothing(store: Path) -> None:
    log = CoachingLog(store)
    entry = log.entries(owner="Cy")[0]
    key = (entry["week"], "West", "Cy", entry["item"])
    before = log.path.read_bytes()
    with pytest.raises(
        StaleMarkError,
        match=r"item O-\w+ of Cy \(West\) in week 2026-W46 was "
        r"marked 'proposed' after it was shown",
    ) as caught:
        log.update({key: {"status": "done"}}, shown={key: {"status": "agreed", "note": ""}})
    assert caught.value.item == entry["item"] and "reload the items" in str(caught.value)
    assert log.path.read_bytes() == before


def test_a_locked_page_marks_its_own_team_only(store: Path) -> None:
    board = _board(store, locked=True)
    board.select(rep="Ann")
    assert all("Deal W1" not in row.children[0].value for row in _rows(board))
    marks = board.state.marks
    with pytest.raises(AccessError, match="locked to North: it marks no item of West"):
        marks.items("West", "Cy", "2026-W47")
    cy = CoachingLog(store).entries(owner="Cy")
    with pytest.raises(AccessError):
        marks.mark("West", "Cy", "2026-W46", {cy[0]["item"]: ("done", "")}, cy)
    assert _statuses(store)[3][2] == "proposed"
    free = _board(store).select(team="West", rep="Cy")  # an unlocked page may
    assert [row.children[0].value for row in _rows(free)] == ["1. Deal W1 — send the quote"]


def test_crafted_and_oversized_marks_write_nothing(store: Path) -> None:
    board = _board(store).select(rep="Ann")
    before = (store / "coaching-log.jsonl").read_bytes()
    status = _rows(board)[0].children[1]
    status.comm.handle_msg(
        {
            "content": {
                "comm_id": "c",
                "data": {"method": "update", "state": {"index": 9}, "buffer_paths": []},
            },
            "buffers": [],
        }
    )
    assert "That request could not be handled" in board.controls["notice"].value
    assert status.value == "proposed"
    _rows(board)[1].children[2].value = "x" * (NOTE_LIMIT + 1)
    _part(board, "pr-log-save").click()
    assert f"the note on {_item(board, 1)} is longer than {NOTE_LIMIT} characters" in _said(board)
    with pytest.raises(Exception, match="unknown status 'won'"):
        board.state.marks.mark(
            "North",
            "Ann",
            "2026-W46",
            {_item(board, 0): ("won", "")},
            CoachingLog(store).entries(owner="Ann", week="2026-W46"),
        )
    assert (store / "coaching-log.jsonl").read_bytes() == before


def _item(board: Dashboard, row: int) -> str:
    return list(board._marks.rows)[row]


def test_without_a_store_the_tab_says_how_to_mark(store: Path) -> None:
    board = _board(None).select(rep="Ann")
    assert "pipereview serve --store DIR" in _part(board, "pr-log-head").value
    assert not _rows(board) and not any(
        "pr-log-save" in w._dom_classes for w in board.controls["marks"].children
    )
    assert LogMarks(None).items("North", "Ann", "2026-W47") == ("", [])


@pytest.mark.slow
def test_serve_hands_the_page_the_store_s_log(sample_store: Path, tmp_path: Path) -> None:
    served = prepare_dashboard(tmp_path / "state", store=sample_store, team="North", warm=False)
    config = DashboardConfig.read(served.config)
    assert config.coaching_log == str(sample_store.resolve())
    log = Dashboard.from_config(config).state.marks.log
    assert log is not None and log.path == sample_store.resolve() / "coaching-log.jsonl"
    only = prepare_dashboard(tmp_path / "s2", history=served.history, warm=False)
    assert DashboardConfig.read(only.config).coaching_log is None  # a history file alone
