"""The review's reps side by side: every figure hand-computed on a small team, the
forecast's win-rate settings used, every missing figure worded with its reason, and the
columns an export lacks named instead of counted as not met."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from pipereview.config import Config
from pipereview.delivery import WeeklyReview
from pipereview.delivery._reviewreps import reps_html, reps_table
from pipereview.diagnostics._forecast import win_rates

BANT = ("budget_confirmed", "decision_maker", "need_confirmed", "timeline_confirmed")


def _deal(
    deal: str,
    owner: str,
    stage: str,
    amount: float,
    close: str,
    created: str | None,
    **extra: object,
) -> dict[str, object]:
    return {
        "snapshot_week": "2026-W47",
        "team": "North",
        "deal_id": deal,
        "deal_name": f"Deal {deal}",
        "owner": owner,
        "stage": stage,
        "stage_model": "generic_4",
        "amount": amount,
        "currency": "EUR",
        "close_date": pd.Timestamp(close),
        "created_date": pd.Timestamp(created) if created else pd.NaT,
        **extra,
    }


@pytest.fixture
def team() -> pd.DataFrame:
    """Ann: won 100, 200, 300 in 10, 20, 30 days, lost two, one early deal with BANT met.
    Bo: won 500 with no created date (first stored week: Monday 2026-11-16), one early
    deal without a budget."""
    met = {
        "budget_confirmed": True,
        "decision_maker": "Li",
        "need_confirmed": True,
        "timeline_confirmed": True,
    }
    return pd.DataFrame(
        [
            _deal("A1", "Ann", "won", 100.0, "2026-11-11", "2026-11-01"),
            _deal("A2", "Ann", "won", 200.0, "2026-11-21", "2026-11-01"),
            _deal("A3", "Ann", "won", 300.0, "2026-10-31", "2026-10-01"),
            _deal("A4", "Ann", "lost", 900.0, "2026-11-02", "2026-10-01"),
            _deal("A5", "Ann", "lost", 900.0, "2026-11-03", "2026-10-01"),
            _deal("A6", "Ann", "initial_contact", 700.0, "2027-01-29", "2026-11-01", **met),
            _deal("B1", "Bo", "won", 500.0, "2026-11-20", None),
            _deal(
                "B2",
                "Bo",
                "needs_confirmed",
                400.0,
                "2027-01-29",
                "2026-11-01",
                **{**met, "budget_confirmed": False},
            ),
        ]
    )


def test_every_figure_by_hand(team: pd.DataFrame) -> None:
    table = reps_table(WeeklyReview(team, team="North", week="2026-W47"))
    assert list(table.columns) == [
        "Rep",
        "Open deals",
        "Win rate, last 13 weeks",
        "Average won deal",
        "Median sales cycle",
        "Sales velocity a week",
        "BANT all met",
    ]
    assert table.values.tolist() == [
        # 4 won of 6 closed; (100 + 200 + 300 + 500) / 4 = 275; cycles 10, 20, 30 and
        # Bo's 4 (a lower bound): median 15, at least; 2 open x 4/6 x 275 / 15 x 7 = 171
        ["North", "2", "67% (4 of 6)", "275 EUR", "≥ 15 days", "171 EUR", "1 of 2 early deals"],
        # 3 of 5; 200; median 20 days; 1 open x 0.6 x 200 / 20 x 7 = 42
        ["Ann", "1", "60% (3 of 5)", "200 EUR", "20 days", "42 EUR", "1 of 1 early deals"],
        [
            "Bo",
            "1",
            "— (1 closed; 5 needed)",
            "500 EUR",
            "≥ 4 days",
            "— (1 won; 3 needed)",
            "0 of 1 early deals",
        ],
    ]


def test_the_forecast_s_settings_decide_the_win_rate(team: pd.DataFrame) -> None:
    config = Config()
    config = replace(
        config, forecast=replace(config.forecast, min_closed_deals=1, win_rate_weeks=3)
    )
    review = WeeklyReview(team, team="North", week="2026-W47", config=config, lang="zh")
    table = reps_table(review)
    # three weeks end Sunday 2026-11-22: from 2026-11-02 on (A3 on 10-31 is out)
    assert table.columns[2] == "赢单率（近 3 周）"
    assert (
        table.iloc[1, 2] == "50%（4 单中赢 2 单）" and table.iloc[2, 2] == "100%（1 单中赢 1 单）"
    )
    forecast = win_rates(
        review.context.prepared,
        "2026-W47",
        group_columns=("team", "owner"),
        settings=config.forecast,
    ).set_index("owner")
    assert forecast["win_rate"].tolist() == [0.5, 1.0]  # the forecast's own figures


def test_what_cannot_be_said_is_said_why(team: pd.DataFrame) -> None:
    lost_only = (
        team[~team["owner"].eq("Bo")]
        .assign(stage=lambda f: f["stage"].replace({"won": "lost"}))
        .drop(columns=list(BANT))
    )
    page = reps_html(WeeklyReview(lost_only, team="North", week="2026-W47"))
    row = reps_table(WeeklyReview(lost_only, team="North", week="2026-W47")).iloc[1].tolist()
    assert row == [
        "Ann",
        "1",
        "0% (0 of 5)",
        "— (none won)",
        "—",
        "— (none won)",
        "0 of 1 early deals; 1 not checked",
    ]
    assert (
        "BANT qualification: not checked: the export has no columns for Budget confirmed, "
        "Decision maker identified, Need confirmed by the customer and Purchase time window "
        "confirmed (add them to the export or to the column map)"
    ) in page
    late = team[team["stage"].isin(["won", "lost"])]  # no open deal at all
    table = reps_table(WeeklyReview(late, team="North", week="2026-W47", lang="zh"))
    assert table.iloc[1, -1] == "无早期阶段商机" and table.iloc[1, 1] == "0"


def test_the_section_carries_the_table(team: pd.DataFrame) -> None:
    section = WeeklyReview(team, team="North", week="2026-W47").coaching_section()
    assert "<h3>Reps side by side</h3>" in section.body
    assert "cycle days, for seven days" in section.body
