"""What the dashboard shows is a :class:`~pipereview.dashboard.View`, and each tab is a
pure function of the loaded data and a view (``render``): drawing one view (ahead, or from
code) never changes another view's HTML, nor the selection the page shows."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, replace

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _budget import examples
from _dashboard_rows import two_teams
from pipereview.core import InputError
from pipereview.dashboard import TABS, Dashboard, View
from pipereview.dashboard._text import SORTS
from pipereview.dashboard.tabs import TAB_HTML


def _small() -> pd.DataFrame:
    """Two weeks of North (Ann, Bob) and one of West (Cy): the frame of test_dashboard."""
    return two_teams()


#: The small frame's stored team weeks and the reps with deals in each.
SELECTIONS = [
    ("North", "2026-W46", ("Ann", "Bob")),
    ("North", "2026-W47", ("Ann", "Bob")),
    ("West", "2026-W47", ("Cy",)),
]
CATEGORIES = ("", "new", "advanced", "won")


@st.composite
def views(draw: st.DrawFn) -> View:
    team, week, reps = draw(st.sampled_from(SELECTIONS))
    return View(
        team,
        week,
        rep=draw(st.sampled_from(("", *reps))),
        lang=draw(st.sampled_from(("en", "zh"))),
        category=draw(st.sampled_from(CATEGORIES)),
        sort=draw(st.sampled_from(SORTS)),
    )


def _shown(board: Dashboard) -> tuple[object, ...]:
    controls = board.controls
    return (
        board.view,
        controls["stamp"].value,
        controls["title"].value,
        controls["body_overview"].value,
        controls["week"].value,
        controls["rep"].value,
        controls["lang"].value,
        controls["tabs"].selected_index,
    )


def test_drawing_another_view_changes_neither_this_one_nor_the_selection() -> None:
    board = Dashboard(_small(), team="North")
    shown = _shown(board)  # the page drawn: North 2026-W47, all reps, English
    a = board.view
    b = View("West", "2026-W47", rep="Cy", lang="zh", sort="push_count")
    first = {tab: board.render(tab, a) for tab in ("overview", "risks")}
    other = {tab: board.render(tab, b) for tab in ("overview", "risks")}
    # North open: 1000 + 400 + 200; Cy's in West: 800
    assert "data-open-amount='1600.00'" in first["overview"]
    assert "data-open-amount='800.00'" in other["overview"]
    board._html.clear()  # drawn again, from the data alone
    assert {tab: board.render(tab, a) for tab in first} == first
    assert _shown(board) == shown and board.view is a
    assert board.tab_html("overview") == first["overview"]
    assert a == View("North", "2026-W47")  # the view itself is never changed
    with pytest.raises(FrozenInstanceError):
        a.team = "West"  # type: ignore[misc]


def test_a_selector_change_replaces_the_view() -> None:
    board = Dashboard(_small(), team="North")
    controls = board.controls
    first = board.view
    controls["sort"].value = "push_count"
    controls["rep"].value = "Ann"
    controls["category"].value = "new"
    assert first == View("North", "2026-W47")
    assert board.view == View("North", "2026-W47", rep="Ann", category="new", sort="push_count")
    assert "North|2026-W47|Ann|en|overview|new|push_count" in controls["stamp"].value
    board.select(team="West")  # the rep is kept only where they have deals; filters kept
    assert board.view == View("West", "2026-W47", category="new", sort="push_count")


def test_a_refused_selection_keeps_the_whole_view() -> None:
    board = Dashboard(_small(), team="North")
    board.select(rep="Ann")
    with pytest.raises(InputError, match="unknown language 'fr'"):
        board.select(week="2026-W46", lang="fr")
    with pytest.raises(InputError, match="'Ann' has no deals in West"):
        board.select(team="West", rep="Ann")
    assert board.view == View("North", "2026-W47", rep="Ann")


def test_the_tab_registry_holds_every_tab_in_order() -> None:
    assert tuple(TAB_HTML) == TABS
    board = Dashboard(_small(), team="North")
    with pytest.raises(InputError, match="unknown tab 'pipeline'; tabs: overview, changes"):
        board.render("pipeline", board.view)
    # a view without a stored week says how to ingest one, whatever the tab
    assert "No snapshots are stored yet" in board.render("funnel", View("North", ""))
    assert View("North", "2026-W47", sort="push_count").key("risks")[-1] == "push_count"
    # each tab's key holds what that tab shows, nothing another tab's field changes
    plain = View("North", "2026-W47")
    others = {
        "overview": {"sort": "push_count", "order": "owner", "stage": "proposal", "search": "x"},
        "changes": {"sort": "push_count", "stage": "proposal"},
        "funnel": {"sort": "push_count", "order": "owner", "category": "new", "search": "x"},
        "risks": {"order": "owner", "stage": "proposal", "category": "new"},
    }
    for tab, fields in others.items():
        for field, value in fields.items():
            assert replace(plain, **{field: value}).key(tab) == plain.key(tab), (tab, field)
    assert replace(plain, order="owner").key("changes")[-1] == "owner"
    assert replace(plain, stage="proposal").key("funnel")[-1] == "proposal"


def test_warming_up_draws_other_views_and_keeps_the_selection() -> None:
    board = Dashboard(_small(), team="North", lang="zh")
    board.select(rep="Bob")
    first = board.view
    board.warm(tabs=("overview",))
    assert board.view is first
    assert list(board._html) == [  # the selection's tab, the team's weeks, the other team
        ("North", "2026-W47", "Bob", "zh", "overview", "", "", ""),
        ("North", "2026-W47", "", "zh", "overview", "", "", ""),
        ("North", "2026-W46", "", "zh", "overview", "", "", ""),
        ("West", "2026-W47", "", "zh", "overview", "", "", ""),
    ]


@pytest.fixture(scope="module")
def small_board() -> Dashboard:
    return Dashboard(_small(), team="North")


@pytest.fixture(scope="module")
def reference() -> Dashboard:
    return Dashboard(_small(), team="West")


@pytest.mark.slow  # each example draws a view afresh (charts: ~0.3-3 s on two cores)
@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=views(), b=views(), tab=st.sampled_from(TABS), other=st.sampled_from(TABS))
def test_render_is_a_function_of_the_view_alone(
    small_board: Dashboard, reference: Dashboard, a: View, b: View, tab: str, other: str
) -> None:
    board = small_board
    before = board.view
    first = board.render(tab, a)
    board.render(other, b)
    board._html.pop(a.key(tab))
    # drawn again after another view, and by another dashboard whose selection and
    # drawing history differ: the same HTML
    assert board.render(tab, a) == first == reference.render(tab, a)
    assert board.view is before == View("North", "2026-W47")


def _history() -> pd.DataFrame:
    """North: Ann's deal advances and a new one appears, Bob's deal is won; West: its one
    deal won, so no open deal in its week."""
    return two_teams(n2_latest="won", w1_latest="won")


@pytest.mark.slow  # 160 tabs drawn
def test_every_tab_renders_for_every_view() -> None:
    targets = pd.DataFrame(
        {
            "team": ["North", "North"],
            "owner": ["", "Ann"],
            "period": ["2026-Q4", "2026-Q4"],
            "amount": [10_000.0, 4_000.0],
            "currency": "EUR",
        }
    )
    board = Dashboard(_history(), targets=targets, team="North")
    page = _shown(board)
    every = [
        (team, week, rep)
        for team, week, reps in [
            ("North", "2026-W46", ("Ann", "Bob")),
            ("North", "2026-W47", ("Ann", "Bob")),
            ("West", "2026-W47", ("Cy",)),
        ]
        for rep in ("", *reps)
    ]
    drawn = 0
    for team, week, rep in every:
        for lang in ("en", "zh"):
            view = View(team, week, rep, lang)
            variants = {
                "changes": [replace(view, category=c) for c in ("", "new")],
                "risks": [replace(view, sort=s) for s in SORTS],
            }
            for tab in TABS:
                for shown in variants.get(tab, [view]):
                    body = board.render(tab, shown)
                    assert body.strip() and "Traceback" not in body, (tab, shown)
                    assert "No snapshots are stored yet" not in body, (tab, shown)
                    drawn += 1
            board.select(team=team, week=week, rep=rep, lang=lang)  # as the page selects it
            assert board.view == view
            assert [board.tab_html(tab) for tab in TABS] == [board.render(t, view) for t in TABS]
            board.select(team="North", week="2026-W47", rep="", lang="en")
    assert drawn == 8 * 2 * (len(TABS) - 2 + 2 + len(SORTS))  # changes twice, risks by sort
    assert _shown(board) == page
    first = View("North", "2026-W46")
    assert "First stored week: nothing to compare with yet." in board.render("changes", first)
    for tab in ("funnel", "risks"):
        assert "West has no open deals in 2026-W47." in board.render(tab, View("West", "2026-W47"))
    changes = board.render("changes", View("North", "2026-W47", category="won"))
    assert "Deal N2" in changes.split("<table")[-1] and "Deal N3" not in changes.split("<table")[-1]
    assert "No target for this rep in 2026-Q4." in board.render(
        "overview", View("North", "2026-W47", rep="Bob")
    )
