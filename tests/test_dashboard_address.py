"""A dashboard view as a link: the address's team, week, rep, tab and language open that
view (unlocked only), a stale or foreign parameter is left out while the rest applies, and
the page offers the link to the view it shows."""

from __future__ import annotations

import pandas as pd
import pytest

from _dashboard_rows import two_teams
from pipereview.dashboard import TABS, Dashboard, View
from pipereview.dashboard.address import (
    apply_query,
    follow_request,
    share_link_html,
    share_query,
    wanted,
)


@pytest.fixture
def small() -> pd.DataFrame:
    return two_teams()


def _shown(board: Dashboard) -> tuple[str, str, str, str, str]:
    tab = TABS[board.controls["tabs"].selected_index or 0]
    return (board.team, board.week, board.view.rep, board.view.lang, tab)


@pytest.mark.parametrize(
    ("query", "parameters"),
    [
        ("", {}),
        ("?team=West", {"team": "West"}),
        (
            "team=North&week=2026-W46&rep=Ann&tab=risks&lang=zh",
            {"team": "North", "week": "2026-W46", "rep": "Ann", "tab": "risks", "lang": "zh"},
        ),
        ("team=A&team=B", {"team": "A"}),  # the first value
        ("team=&week=2026-W47", {"week": "2026-W47"}),  # a blank one is none
        ("team=" + "x" * 201, {}),  # no name we hold is that long
        ("colour=red&__class__=x", {}),
        ("team=%E5%8D%8E%E4%B8%9C&rep=A%26B", {"team": "华东", "rep": "A&B"}),
    ],
)
def test_the_known_parameters_of_an_address(query: str, parameters: dict[str, str]) -> None:
    assert wanted(query) == parameters


def test_a_shared_view_opens_the_same_view(small: pd.DataFrame) -> None:
    first = Dashboard(small)
    first.select(team="North", week="2026-W46", rep="Ann", lang="zh")
    first.show_tab("risks")
    query = share_query(first.view, "risks")
    assert query == "?team=North&week=2026-W46&rep=Ann&tab=risks&lang=zh"
    second = Dashboard(small)
    assert apply_query(second, query) == []
    assert _shown(second) == ("North", "2026-W46", "Ann", "zh", "risks") == _shown(first)


def test_what_names_nothing_held_is_left_out_and_the_rest_applies(small: pd.DataFrame) -> None:
    board = Dashboard(small)
    skipped = apply_query(board, "team=North&week=2025-W01&rep=Zed&tab=secrets&lang=zh")
    assert skipped == ["week", "rep", "tab"]
    assert _shown(board) == ("North", "2026-W47", "", "zh", "overview")
    assert apply_query(board, "team=Atlantis") == ["team"]
    assert board.team == "North"


def test_a_locked_dashboard_ignores_its_address(small: pd.DataFrame) -> None:
    board = Dashboard(small, team="North", locked=True)
    assert apply_query(board, "team=West&week=2026-W46&tab=risks&lang=zh") == [
        "lang",
        "tab",
        "team",
        "week",
    ]
    assert _shown(board) == ("North", "2026-W47", "", "en", "overview")
    assert share_link_html(board.view, "overview", locked=True) == ""
    assert board.controls["share"].value == ""


def test_the_page_offers_the_link_to_what_it_shows(small: pd.DataFrame) -> None:
    board = Dashboard(small, team="North")
    board.select(rep="Bob")
    board.show_tab("funnel")
    link = board.controls["share"].value
    assert link == (
        "<p class='pr-share'><a href=\"?team=North&amp;week=2026-W47&amp;rep=Bob&amp;"
        'tab=funnel&amp;lang=en">Link to this view</a></p>'
    )
    hostile = share_link_html(View('A"><script>', "2026-W47", lang="zh"), "overview", locked=False)
    assert "<script>" not in hostile and "本视图链接" in hostile
    assert 'href="?team=A%22%3E%3Cscript%3E&amp;week=2026-W47' in hostile


def test_a_page_kernel_follows_its_address(
    small: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    monkeypatch.setenv("QUERY_STRING", "team=West&tab=changes&lang=zh")
    board = Dashboard(small)
    follow_request(board)
    assert _shown(board) == ("West", "2026-W47", "", "zh", "changes")
    locked = Dashboard(small, team="North", locked=True)
    follow_request(locked)
    assert _shown(locked) == ("North", "2026-W47", "", "en", "overview")
