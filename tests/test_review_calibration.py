"""The review's check of the stage probabilities against history: each verdict on a
hand-made team (12 or 15 deals seen at Negotiation seven weeks before the review, how
they ended), the win rate shown as a range while deals are open, the stages with too few
ended deals named, both languages, and a team without an open stage said as not
checked; shown in the forecast section and on the dashboard's funnel tab."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from pipereview.dashboard.data import DashboardData
from pipereview.dashboard.tabs import render
from pipereview.dashboard.view import View
from pipereview.delivery import WeeklyReview
from pipereview.delivery._reviewcalibration import calibration_html


def _history(won: int, lost: int, still_open: int, team: str = "North") -> pd.DataFrame:
    """``won + lost + still_open`` deals at Negotiation (75%) in 2026-W40, seven weeks
    (more than the stage's 21 typical days) before 2026-W47, where they ended as given."""
    deals = won + lost + still_open
    ends = ["won"] * won + ["lost"] * lost + ["negotiation"] * still_open
    rows = []
    for week, stages in (("2026-W40", ["negotiation"] * deals), ("2026-W47", ends)):
        for number, stage in enumerate(stages):
            rows.append(
                {
                    "snapshot_week": week,
                    "team": team,
                    "deal_id": f"{team[0]}{number}",
                    "deal_name": f"Deal {number}",
                    "owner": "Ann",
                    "stage": stage,
                    "stage_model": "generic_4",
                    "amount": 1000.0,
                    "currency": "EUR",
                    "close_date": pd.Timestamp("2026-12-18"),
                }
            )
    return pd.DataFrame(rows)


def _cells(page: str) -> list[list[str]]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.findall(r"<td>(.*?)</td>", row) for row in body.split("</tr>") if "<td>" in row]


@pytest.mark.parametrize(
    ("won", "lost", "still_open", "seen", "verdict"),
    [
        (
            3,
            9,
            0,
            "25%",
            "set too high: even with every open deal won, the win rate stays "
            "more than 10 points below the stage probability",
        ),
        (9, 3, 0, "75%", "matches history (within 10 points)"),
        (
            12,
            0,
            0,
            "100%",
            "set too low: even with every open deal lost, the win rate stays "
            "more than 10 points above the stage probability",
        ),
        # 6 of 15 won at worst (40%), 11 of 15 at best (73%): 75% is not yet clear of it
        (
            6,
            4,
            5,
            "40% to 73%",
            "too early to tell: the deals still open can move the win rate to either side",
        ),
    ],
)
def test_each_verdict_with_the_win_rate_history_shows(
    won: int, lost: int, still_open: int, seen: str, verdict: str
) -> None:
    history = pd.concat([_history(won, lost, still_open), _history(0, 12, 0, team="West")])
    page = calibration_html(WeeklyReview(history, team="North", week="2026-W47"))
    counts = f"won {won}, lost {lost}, still open {still_open}"
    assert _cells(page) == [["Negotiation &amp; signing", "75%", seen, counts, verdict]]
    leans = "The forecast leans high at Negotiation &amp; signing: the stage probability is above"
    assert (leans in page) == (won == 3)
    # the stages before Negotiation saw no deal: not listed as judged or too few
    assert "Too few" not in page


def test_too_few_ended_deals_are_named_not_judged() -> None:
    # 9 ended deals: one short of the 10 the default asks for
    page = calibration_html(WeeklyReview(_history(2, 7, 3), team="North", week="2026-W47"))
    assert "<table" not in page
    assert "Too few ended deals to judge (at least 10 needed): Negotiation &amp; signing." in page
    ten = calibration_html(WeeklyReview(_history(3, 7, 3), team="North", week="2026-W47"))
    assert _cells(ten)[0][:4] == [
        "Negotiation &amp; signing",
        "75%",
        "23% to 46%",
        "won 3, lost 7, still open 3",
    ]


def test_in_chinese() -> None:
    page = calibration_html(
        WeeklyReview(_history(3, 9, 0), team="North", week="2026-W47", lang="zh")
    )
    assert "阶段赢率是否符合实际？" in page
    assert _cells(page)[0][2:] == [
        "25%",
        "赢单 3、输单 9、在跟 0",
        "设得过高：即使在跟商机全部赢单，赢率仍比阶段概率低 10 个百分点以上",
    ]
    assert "预测在以下阶段偏高：" in page


def test_a_team_with_no_deal_at_an_open_stage_is_not_checked() -> None:
    closed = _history(3, 9, 0)
    closed = closed[closed["snapshot_week"] == "2026-W47"]
    page = calibration_html(WeeklyReview(closed, team="North", week="2026-W47"))
    assert "Not checked: stage probabilities, no deal of this team has been seen" in page
    assert "<table" not in page


def test_shown_in_the_forecast_section_and_on_the_funnel_tab() -> None:
    history = _history(3, 9, 1)  # one deal still open: the page has a funnel to show
    review = WeeklyReview(history, team="North", week="2026-W47")
    assert "Are the stage probabilities right?" in review.forecast_section().body
    data = DashboardData(history)
    team_view = render(data, "funnel", View("North", "2026-W47"))
    assert "pr-calibration" in team_view and "set too high" in team_view
    rep_view = render(data, "funnel", View("North", "2026-W47", rep="Ann"))
    assert "pr-calibration" not in rep_view  # a team's figure, not a rep's
