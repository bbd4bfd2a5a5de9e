"""The overview's week over week: each headline figure this week and last, the change
worded by its sign with an arrow, and the stored weeks as a small line; the latest week's
figures are the headline's own."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from _dashboard_rows import deal_row, two_teams
from pipereview.dashboard import Dashboard
from pipereview.dashboard._trend import change_words, spark, weekly_figures


def _rows(page: str) -> list[list[str]]:
    table = re.search(r"<table class='review-table pr-trend'>.*?</table>", page, flags=re.S)
    assert table is not None
    return [
        [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", table[0])
        if "<td" in row
    ]


def test_the_team_against_last_week_by_hand() -> None:
    """North: W46 N1 1,000 (initial contact, 10%) and N2 400 (needs confirmed, 25%): 2 open,
    1,400, weighted 200; W47 adds N3 200 (10%) and N1 moves to needs confirmed: 3 open,
    1,600, weighted 250 + 100 + 20 = 370."""
    page = Dashboard(two_teams(), team="North").tab_html("overview")
    assert _rows(page) == [
        ["Open deals", "3", "2", "▲ up 1", "▁█"],
        ["Open pipeline", "1,600", "1,400", "▲ up 200 EUR", "▁█"],
        ["Weighted pipeline", "370", "200", "▲ up 170 EUR", "▁█"],
        ["Won this period", "0", "0", "＝ unchanged", "▄▄"],
    ]
    assert "title='2026-W46: 1,400, 2026-W47: 1,600'" in page


def test_a_rep_and_a_win_in_chinese() -> None:
    history = two_teams(n2_latest="won")  # Bob's N2 (400) won in W47, closed that week
    won = (history["deal_id"] == "N2") & (history["snapshot_week"] == "2026-W47")
    history.loc[won, "close_date"] = pd.Timestamp("2026-11-18")
    board = Dashboard(history, team="North", lang="zh")
    board.select(rep="Bob")
    rows = _rows(board.tab_html("overview"))
    assert rows[0] == ["在跟商机数", "0", "1", "▼ 减少 1", "█▁"]
    assert rows[3] == ["本期赢单金额", "400", "0", "▲ 增加 400 EUR", "▁█"]


def test_the_first_stored_week_has_nothing_to_compare() -> None:
    page = Dashboard(two_teams(), team="West").tab_html("overview")
    assert "pr-trend" in page and "First stored week: nothing to compare with yet." in page
    assert "review-table pr-trend" not in page


def test_the_latest_week_is_the_headline_and_only_thirteen_weeks_are_drawn() -> None:
    weeks = [f"2026-W{n:02d}" for n in range(30, 48)]  # 18 weeks, one more deal each
    rows = [
        deal_row(week, "North", f"D{i}", "Ann", "needs_confirmed", 100.0 * (i + 1))
        for n, week in enumerate(weeks)
        for i in range(n + 1)
    ]
    board = Dashboard(pd.DataFrame(rows), team="North")
    figures = weekly_figures(board.review)
    assert figures["week"].tolist() == weeks[-13:]
    headline = board.review.headline()
    for name in ("open_deals", "open_amount", "weighted_pipeline", "won_amount"):
        assert figures[name].iloc[-1] == pytest.approx(headline[name]), name
    assert _rows(board.tab_html("overview"))[0][-1] == "▁▂▂▃▃▄▅▅▆▆▇▇█"  # 6 to 18 deals


def test_words_and_lines() -> None:
    assert spark([]) == "" and spark([5.0, 5.0]) == "▄▄" and spark([0.0, 7.0]) == "▁█"
    assert change_words(0.4, "EUR", "en") == "＝ unchanged"
    assert change_words(-1234.5, "CNY", "zh") == "▼ 减少 1,234 CNY"
