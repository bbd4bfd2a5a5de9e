"""From a count to its deals in the dashboard: each kind of change of the week and each
stage of the funnel is a button carrying its count, and choosing it lists exactly the
deals behind that count (the same definition as the chart's); the changes can be sorted
in every order offered. Checked over every button of every team of a generated sample,
for the team and for one rep, and by hand on a small case."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from traitlets import TraitError

from _dashboard_rows import deal_row
from pipereview.core._errors import InputError
from pipereview.dashboard import Dashboard, View
from pipereview.dashboard._drill import ORDERS, drill_options, ordered_changes
from pipereview.dashboard.arguments import sample_arguments


@pytest.fixture(scope="module")
def board(small_sample: Path) -> Dashboard:
    return Dashboard(**sample_arguments(small_sample))


def _count(label: str) -> int:
    return int(label.rsplit(" · ", 1)[1])


def _rows(page: str, css: str) -> list[list[str]]:
    """The body rows of the table inside ``<div class='css'>`` of ``page``, as cell texts."""
    part = page.split(f"<div class='{css}'>", 1)[1]
    body = part.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [
            html.unescape(re.sub("<[^>]+>", "", c)).strip()
            for c in re.findall(r"<td>(.*?)</td>", r, re.S)
        ]
        for r in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def _views(board: Dashboard) -> list[View]:
    views = []
    for team in board.teams:
        week = board.data.weeks(team)[0]
        rep = board.data.review(View(team, week)).latest["owner"].dropna().sort_values().iloc[0]
        views += [View(team, week), View(team, week, rep=str(rep))]
    return views


def test_each_kind_of_change_lists_exactly_the_deals_its_button_counts(board: Dashboard) -> None:
    checked = 0
    for view in _views(board):
        moves = board.data.movements(view)
        changed = moves[moves["category"] != "unchanged"]
        options = drill_options(board.data, view)["category"]
        assert options[0][1] == "" and _count(options[0][0]) == len(changed)
        assert sum(_count(label) for label, _ in options[1:]) == len(changed)
        for label, key in options[1:]:
            page = board.render("changes", replace(view, category=key))
            rows = _rows(page, "pr-changes")
            assert len(rows) == _count(label) == (changed["category"] == key).sum(), (view, key)
            ids = {r[0] for r in rows}
            assert ids == set(changed.loc[changed["category"] == key, "deal_id"]), (view, key)
            checked += 1
    assert checked >= 20  # the sample's teams have many kinds of change


def test_each_stage_lists_exactly_the_open_deals_the_funnel_counts(board: Dashboard) -> None:
    for view in _views(board):
        options = drill_options(board.data, view)["stage"]
        stages = options[1:]
        assert stages, view
        figures = board.data.figures(view)
        assert sum(_count(label) for label, _ in stages) == figures["open_deals"], view
        for label, key in stages:
            page = board.render("funnel", replace(view, stage=key))
            rows = _rows(page, "pr-stage-deals")
            assert len(rows) == _count(label), (view, key)
            name = label.rsplit(" · ", 1)[0]
            assert f"Open deals in {html.escape(name)}: {_count(label)}" in page
            amounts = [float(re.sub(r"[^\d.]", "", r[4]) or 0) for r in rows]
            assert amounts == sorted(amounts, reverse=True)  # largest first
            if view.rep:
                assert {r[1] for r in rows} == {view.rep}
        # no stage chosen: the funnel shows no deal list
        assert "pr-stage-deals" not in board.render("funnel", view)


def _small_week() -> Dashboard:
    rows = [
        deal_row("2026-W46", "North", "D1", "Ann", "negotiation", 1000.0, "2026-12-01", "Alpha"),
        deal_row("2026-W46", "North", "D2", "Bob", "negotiation", 5000.0, "2026-12-01", "Beta"),
        deal_row("2026-W46", "North", "D3", "Cy", "negotiation", 2000.0, "2026-12-01", "Gamma"),
        deal_row("2026-W47", "North", "D1", "Ann", "negotiation", 4000.0, "2026-12-01", "Alpha"),
        deal_row("2026-W47", "North", "D2", "Bob", "negotiation", 4500.0, "2026-12-20", "Beta"),
        deal_row("2026-W47", "North", "D3", "Cy", "negotiation", 2000.0, "2026-12-10", "Gamma"),
        deal_row("2026-W47", "North", "D4", "Ann", "negotiation", 3000.0, "2026-12-05", "Delta"),
    ]
    return Dashboard(pd.DataFrame(rows), team="North")


@pytest.mark.parametrize(
    ("order", "deals"),
    [
        # by hand: D1 amount raised 1000 → 4000, D2 pushed 5000 → 4500 (and lowered),
        # D3 pushed 12-01 → 12-10, D4 new at 3000
        ("amount_to", ["Beta", "Alpha", "Delta", "Gamma"]),
        ("amount_change", ["Alpha", "Delta", "Beta", "Gamma"]),  # 3000, 3000, 500, 0
        ("close_date_to", ["Alpha", "Delta", "Gamma", "Beta"]),  # 12-01, 12-05, 12-10, 12-20
        ("owner", ["Alpha", "Delta", "Beta", "Gamma"]),  # Ann (4000 before 3000), Bob, Cy
        ("deal_name", ["Alpha", "Beta", "Delta", "Gamma"]),
    ],
)
def test_the_changes_are_sorted_in_the_order_chosen(order: str, deals: list[str]) -> None:
    board = _small_week()
    board.controls["order"].value = order
    rows = _rows(board.tab_html("changes"), "pr-changes")
    assert [r[2] for r in rows] == deals


def test_every_order_offered_sorts_and_an_unknown_one_is_refused_by_name() -> None:
    board = _small_week()
    offered = [value for _, value in board.controls["order"].options]
    assert offered == list(ORDERS)
    moves = board.movements()
    for order in ORDERS:
        assert len(ordered_changes(moves, order)) == len(moves)
    with pytest.raises(
        InputError, match="unknown order 'size' for the changes; orders: category, amount_to"
    ):
        ordered_changes(moves, "size")
    with pytest.raises(TraitError):  # the page's selector offers only the orders
        board.controls["order"].value = "size"
    assert board.view.order == "category"  # the view is as it was


def test_a_chosen_count_stays_offered_with_zero_in_a_week_without_such_deals() -> None:
    board = _small_week()
    board.controls["category"].value = "new"
    board.select(week="2026-W46")  # the first week: nothing to compare, no kind of change
    assert board.controls["category"].value == "new"
    assert ("new in the export, open · 0", "new") in board.controls["category"].options


def test_the_count_buttons_speak_the_pages_language() -> None:
    board = _small_week()
    board.select(lang="zh")
    labels = [label for label, _ in board.controls["category"].options]
    assert labels[0] == "全部变化 · 4"
    assert "导出中新出现（在跟） · 1" in labels
    assert board.controls["category"].description == "变化的商机："
    assert board.controls["stage"].options[0] == ("仅看图", "")
    assert board.controls["order"].options[0] == ("排序: 变化类型", "category")


def _lost_week(reasons: dict[str, object] | None) -> Dashboard:
    """North: D1 and D2 lost this week, D3 pushed; ``reasons`` by deal (None: the export
    has no loss reason column)."""
    rows = [
        deal_row("2026-W46", "North", d, "Ann", "negotiation", 1000.0, "2026-12-01")
        for d in ("D1", "D2", "D3")
    ]
    rows += [
        deal_row("2026-W47", "North", "D1", "Ann", "lost", 1000.0, "2026-12-01"),
        deal_row("2026-W47", "North", "D2", "Ann", "lost", 1000.0, "2026-12-01"),
        deal_row("2026-W47", "North", "D3", "Ann", "negotiation", 1000.0, "2026-12-20"),
    ]
    if reasons is not None:
        for row in rows:
            row["loss_reason"] = (
                reasons.get(str(row["deal_id"])) if row["stage"] == "lost" else None
            )
    return Dashboard(pd.DataFrame(rows), team="North")


def _column(page: str, title: str) -> list[str] | None:
    heads = [html.unescape(h) for h in re.findall(r"<th>(.*?)</th>", page.split("pr-changes")[1])]
    if title not in heads:
        return None
    at = heads.index(title)
    return [r[at] for r in _rows(page, "pr-changes")]


def test_lost_deals_show_their_reason_and_a_missing_reason_is_a_dash() -> None:
    board = _lost_week({"D1": "Price", "D2": None})
    board.controls["order"].value = "deal_name"
    assert _column(board.tab_html("changes"), "Loss reason") == ["Price", "—", ""]
    board.select(lang="zh")
    assert _column(board.tab_html("changes"), "输单原因") == ["Price", "—", ""]


@pytest.mark.parametrize("reasons", [None, {}], ids=["no column", "all blank"])
def test_without_recorded_reasons_the_changes_say_nothing_about_them(
    reasons: dict[str, object] | None,
) -> None:
    page = _lost_week(reasons).tab_html("changes")
    assert _column(page, "Loss reason") is None
    assert "reason" not in page.lower()


def test_the_team_funnel_shows_its_stages_against_the_standards(board: Dashboard) -> None:
    """The review's "Against the method's standards" table, in the view's language, on the
    team's funnel tab (a rep's funnel has no cohort of its own to judge)."""
    from pipereview.delivery._reviewbenchmarks import benchmarks_html

    for view in _views(board):
        page = board.render("funnel", view)
        if view.rep:
            assert "pr-benchmarks" not in page
            continue
        for lang in ("en", "zh"):
            shown = replace(view, lang=lang)
            expected = benchmarks_html(board.data.review(shown))
            assert expected in board.render("funnel", shown)
            assert ("对照方法标准" if lang == "zh" else "Against the method") in expected
