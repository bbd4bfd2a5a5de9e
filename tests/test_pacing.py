"""Pacing (:func:`pacing`) and the coverage of the remaining target
(:func:`coverage_of_remaining`), computed by hand on a history of six deals from 2026-W06
to 2026-W45 (week 6 of 2026-Q4)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from _forecastrows import deal_row, history
from pipereview.forecasting import (
    coverage_of_remaining,
    pacing,
    quarter_weeks,
    shift_quarter,
    week_of_quarter,
)

AS_OF = "2026-W45"


def _history() -> pd.DataFrame:
    return history(
        [
            # 2026-Q1 (week 6 = 2026-W06): 30 won, 70 in commit; 100 won at its end
            deal_row("2026-W06", "Q1A", "won", 30.0, "2026-01-20"),
            deal_row("2026-W06", "Q1B", "negotiation", 70.0, "2026-03-15"),
            deal_row("2026-W13", "Q1B", "won", 70.0, "2026-03-15"),
            # 2026-Q2 (week 6 = 2026-W19): 20 won; 100 at its end
            deal_row("2026-W19", "Q2A", "won", 20.0, "2026-04-10"),
            deal_row("2026-W26", "Q2B", "won", 80.0, "2026-06-10"),
            # 2026-Q3 (week 6 = 2026-W32): 40 won, all of the quarter
            deal_row("2026-W32", "Q3A", "won", 40.0, "2026-07-15"),
            # 2026-Q4 at week 6: 50 won, 100 commit, 60 best case, 25 overdue
            deal_row(AS_OF, "Q4A", "won", 50.0, "2026-10-20"),
            deal_row(AS_OF, "Q4B", "negotiation", 100.0, "2026-12-01"),
            deal_row(AS_OF, "Q4C", "solution_quote", 60.0, "2026-11-30", category="best_case"),
            deal_row(AS_OF, "Q4D", "negotiation", 25.0, "2026-10-30"),
        ]
    )


def _targets() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "team": "N",
            "owner": "",
            "period": ["2026-Q4", "2026-Q3"],
            "amount": [200.0, 80.0],
            "currency": "USD",
        }
    )


def test_quarter_weeks_follow_the_thursday() -> None:
    assert week_of_quarter(AS_OF) == 6
    assert [str(quarter_weeks(q)[5]) for q in ("2026-Q3", "2026-Q2", "2026-Q1", "2025-Q4")] == [
        "2026-W32",
        "2026-W19",
        "2026-W06",
        "2025-W45",
    ]
    assert shift_quarter("2026-Q1", -4) == "2025-Q1"


def test_this_quarter_against_the_four_before_at_week_6() -> None:
    out = pacing(_history(), _targets(), AS_OF).set_index("quarter")
    assert out.index.tolist() == ["2026-Q4", "2026-Q3", "2026-Q2", "2026-Q1", "2025-Q4"]
    assert out["relation"].tolist() == [
        "this_quarter",
        "previous",
        "previous",
        "previous",
        "same_quarter_last_year",
    ]
    assert (out["week_of_quarter"] == 6).all()
    assert out.loc["2026-Q4", ["won_to_date", "commit", "target"]].tolist() == [50.0, 125.0, 200.0]
    assert out.loc["2026-Q4", "share_of_target"] == 0.25
    assert math.isnan(out.loc["2026-Q4", "final_won"])  # the quarter is open
    closed = out.loc[["2026-Q3", "2026-Q2", "2026-Q1"]]
    assert closed["week"].tolist() == ["2026-W32", "2026-W19", "2026-W06"]
    assert closed["won_to_date"].tolist() == [40.0, 20.0, 30.0]
    assert closed["commit"].tolist() == [0.0, 0.0, 70.0]
    assert closed["final_won"].tolist() == [40.0, 100.0, 100.0]
    assert closed["share_of_final"].tolist() == pytest.approx([1.0, 0.2, 0.3])
    assert out.loc["2026-Q3", "share_of_target"] == 0.5  # 40 of a target of 80
    assert closed["note"].tolist() == ["", "", ""]


def test_a_quarter_the_history_does_not_reach_is_not_available() -> None:
    row = pacing(_history(), _targets(), AS_OF).set_index("quarter").loc["2025-Q4"]
    assert row["note"] == "not available: the history starts 2026-W06"
    assert math.isnan(row["won_to_date"]) and math.isnan(row["final_won"])
    assert row["relation"] == "same_quarter_last_year"


def test_pacing_by_rep_keeps_each_rep() -> None:
    frame = _history()
    frame.loc[frame["deal_id"] == "Q4A", "owner"] = "Bob"
    out = pacing(frame, None, AS_OF, by="rep")
    this = out[out["quarter"] == "2026-Q4"].set_index("owner")
    assert this.loc["Bob", "won_to_date"] == 50.0 and this.loc["Ann", "won_to_date"] == 0.0
    assert this["target"].isna().all()


def test_coverage_of_the_remaining_target_leaves_overdue_deals_apart() -> None:
    cover = coverage_of_remaining(_history(), _targets(), AS_OF)
    row = cover.summary.iloc[0]
    assert row["period"] == "2026-Q4"
    assert row[["target", "won_to_date", "remaining_target"]].tolist() == [200.0, 50.0, 150.0]
    assert row[["open_deals", "open_pipeline"]].tolist() == [2, 160.0]
    assert row["coverage"] == pytest.approx(160.0 / 150.0)
    assert row[["overdue_deals", "overdue_amount"]].tolist() == [1, 25.0]
    assert sorted(cover.counted["deal_id"]) == ["Q4B", "Q4C"]
    assert cover.overdue["deal_id"].tolist() == ["Q4D"]


def test_no_target_gives_no_coverage() -> None:
    row = coverage_of_remaining(_history(), None, AS_OF).summary.iloc[0]
    assert math.isnan(row["remaining_target"]) and math.isnan(row["coverage"])


def test_the_same_quarter_last_year_when_the_history_reaches_it() -> None:
    # 2025-Q4 at week 6 (2025-W45): 20 won of the 20 it won in all
    frame = history(
        [*_history().to_dict("records"), deal_row("2025-W45", "LY", "won", 20.0, "2025-10-15")]
    )
    row = pacing(frame, None, AS_OF).set_index("quarter").loc["2025-Q4"]
    assert row["relation"] == "same_quarter_last_year" and row["week"] == "2025-W45"
    assert row[["won_to_date", "final_won", "share_of_final"]].tolist() == [20.0, 20.0, 1.0]
    assert row["note"] == ""


@pytest.mark.parametrize("blank", ["column", "values"])
def test_an_export_without_forecast_category_has_no_commit_not_a_commit_of_0(blank: str) -> None:
    """Without a forecast category no deal is in commit or out of it: pacing's commit is
    missing (not 0), and the review's table drops the column and says why, in both
    languages; won to date and the share of the quarter are unchanged."""
    from pipereview.delivery._review import WeeklyReview
    from pipereview.delivery._textlint import lint_text
    from pipereview.delivery._visibletext import html_text

    frame = _history()
    frame = (
        frame.drop(columns="forecast_category")
        if blank == "column"
        else frame.assign(forecast_category=None)
    )
    paced = pacing(frame, _targets(), AS_OF).set_index("quarter")
    assert paced["commit"].isna().all()
    assert paced.loc["2026-Q1", ["won_to_date", "final_won"]].tolist() == [30.0, 100.0]
    assert pacing(_history(), _targets(), AS_OF).loc[0, "commit"] == 125.0  # with categories
    for lang, said in (
        ("en", "Commit then: not available: the export has no forecast category"),
        ("zh", "当时承诺：不可用：导出中没有预测类别"),
    ):
        review = WeeklyReview(frame, team="N", week=AS_OF, lang=lang, targets=_targets())
        text = html_text(review.pacing_section()._repr_html_())
        assert said in text
        assert ("Commit then\t" if lang == "en" else "当时承诺\t") not in text  # no column
        assert lint_text(text, lang, names=["N"]) == [], text
