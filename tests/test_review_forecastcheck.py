"""The review's "Pacing" and "Which forecast to trust" sections
(:meth:`WeeklyReview.pacing_section`, :meth:`WeeklyReview.forecast_check_section`) in
English and Chinese, on histories whose figures are computed by hand."""

from __future__ import annotations

import pandas as pd

from _forecastrows import calls, deal_row, history
from pipereview.config import Config
from pipereview.delivery._review import WeeklyReview
from pipereview.delivery._textlint import lint_text
from pipereview.delivery._visibletext import html_text
from pipereview.forecasting import BacktestSettings

CONFIG = Config(backtest=BacktestSettings(min_cell_deals=1))


def _paced() -> pd.DataFrame:
    """2026-Q1 to Q3 at week 6 had 30 of 100, 20 of 100 and 40 of 40 won; 2026-Q4 at
    week 6 (2026-W45) has 50 won, 160 open and 25 overdue against a target of 200."""
    return history(
        [
            deal_row("2026-W06", "Q1A", "won", 30.0, "2026-01-20"),
            deal_row("2026-W06", "Q1B", "negotiation", 70.0, "2026-03-15"),
            deal_row("2026-W13", "Q1B", "won", 70.0, "2026-03-15"),
            deal_row("2026-W19", "Q2A", "won", 20.0, "2026-04-10"),
            deal_row("2026-W26", "Q2B", "won", 80.0, "2026-06-10"),
            deal_row("2026-W32", "Q3A", "won", 40.0, "2026-07-15"),
            deal_row("2026-W45", "Q4A", "won", 50.0, "2026-10-20"),
            deal_row("2026-W45", "Q4B", "negotiation", 100.0, "2026-12-01"),
            deal_row("2026-W45", "Q4C", "solution_quote", 60.0, "2026-11-30", category="best_case"),
            deal_row("2026-W45", "Q4D", "negotiation", 25.0, "2026-10-30"),
        ]
    )


def _targets() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "team": ["N"],
            "owner": [""],
            "period": ["2026-Q4"],
            "amount": [200.0],
            "currency": ["USD"],
        }
    )


def _quarters(count: int) -> pd.DataFrame:
    """``count`` quarters from 2026-Q1, each with one negotiation deal of 100 at week 1
    won at week 13; then 2026-W40 (week 1 of 2026-Q4) with one more."""
    firsts, lasts = ["2026-W01", "2026-W14", "2026-W27"], ["2026-W13", "2026-W26", "2026-W39"]
    closes = ["2026-03-20", "2026-06-20", "2026-09-20"]
    rows = []
    for first, last, close in list(zip(firsts, lasts, closes, strict=True))[3 - count :]:
        rows.append(deal_row(first, f"D{first}", "negotiation", 100.0, close))
        rows.append(deal_row(last, f"D{first}", "won", 100.0, close))
    rows.append(deal_row("2026-W40", "E", "negotiation", 100.0, "2026-11-20"))
    return history(rows)


def _text(review: WeeklyReview, *, calls_frame: pd.DataFrame | None = None) -> str:
    return "\n".join(
        html_text(s._repr_html_())
        for s in (review.pacing_section(), review.forecast_check_section(calls_frame))
    )


def test_pacing_in_words_and_table() -> None:
    review = WeeklyReview(_paced(), team="N", week="2026-W45", targets=_targets())
    text = _text(review)
    assert "Pacing: week 6 of the quarter" in text
    assert "At week 6 of 2026-Q4: 25% of target won (50 USD of 200 USD)." in text
    # shares at week 6 of the quarters before: 100%, 20% and 30%
    assert "In the 3 quarters before, 50% of the quarter's final won on average at week 6." in text
    assert "2026-Q4\tthis quarter\t2026-W45\t50 USD\t125 USD\t—\t—\t25%" in text
    assert "2026-Q1\ta quarter before\t2026-W06\t30 USD\t70 USD\t100 USD\t30%\t—" in text
    assert (
        "2025-Q4\tsame quarter last year\t—\t—\t—\t—\t—\t—\t"
        "not available: the history starts 2026-W06"
    ) in text
    assert (
        "Remaining target 150 USD against 160 USD of open pipeline that can still close by "
        "2026-12-31: coverage 1.07 (open deals counted: 2)."
    ) in text
    assert "Not counted: overdue deals (their close date has passed): 1, 25 USD." in text
    assert lint_text(text, "en", names=["N"]) == []


def test_pacing_in_chinese() -> None:
    review = WeeklyReview(_paced(), team="N", week="2026-W45", targets=_targets(), lang="zh")
    text = _text(review)
    assert "2026-Q4 第 6 周：已赢单 50 USD，占目标 200 USD 的 25%。" in text
    assert "此前 3 个季度在第 6 周平均已赢得季度最终赢单额的 50%。" in text
    assert "无法计算：历史数据从 2026-W06 开始" in text and "去年同季度" in text
    assert "未计入：已过预计成交日期的商机 1 个，25 USD。" in text
    assert lint_text(text, "zh", names=["N"]) == []


def test_too_few_quarters_says_the_minimum() -> None:
    review = WeeklyReview(_quarters(2), team="N", week="2026-W40", config=CONFIG)
    text = html_text(review.forecast_check_section()._repr_html_())
    # 2026-Q3 judged at week 1 (learned from 2026-Q2): 100 x 0.75 = 75 against 100 won
    assert "Which forecast to trust" in text
    assert "weighted pipeline (the review's expected)\t75 USD\t25%\t25% under\t1" in text
    assert "historical conversion\t100 USD\t0%\tnone\t1\n" in text
    assert "baseline: won to date at the same pace\t0 USD\t100%\t100% under\t1\n" in text
    assert "reps' calls corrected for their bias\tnot available: no forecast calls stored" in text
    assert "not enough history: 1 closed quarters, needs at least 2" in text
    assert "\trecommended" not in text
    zh = html_text(
        WeeklyReview(_quarters(2), team="N", week="2026-W40", config=CONFIG, lang="zh")
        .forecast_check_section()
        ._repr_html_()
    )
    assert "历史不足：只有 1 个已结束的季度，至少需要 2 个" in zh and "低估 25%" in zh
    assert lint_text(zh, "zh", names=["N"]) == []


def test_the_recommended_method_is_marked_against_the_baselines() -> None:
    review = WeeklyReview(_quarters(3), team="N", week="2026-W40", config=CONFIG)
    text = html_text(review.forecast_check_section()._repr_html_())
    # 2026-Q2 and Q3 judged: the learned conversions (and no inflow) hit 100 exactly;
    # a tie of 0% is settled by the method's name
    assert (
        "historical conversion + pipeline still to come\t100 USD\t0%\tnone\t2\trecommended" in text
    )
    assert (
        "Recommended: historical conversion + pipeline still to come, 0% error at this week "
        "of the quarter, against 25% and 100% for the two baselines."
    ) in text
    assert lint_text(text, "en", names=["N"]) == []
    zh = html_text(
        WeeklyReview(_quarters(3), team="N", week="2026-W40", config=CONFIG, lang="zh")
        .forecast_check_section()
        ._repr_html_()
    )
    assert (
        "推荐：历史转化率 + 尚未进入管道的新增，本季度此周的误差 0%；两个基准分别为 25% 和 100%。"
        in zh
    )


def test_calls_reach_the_section() -> None:
    frame = calls([("2026-W20", "2026-Q2", "Ann", 200.0), ("2026-W40", "2026-Q4", "Ann", 300.0)])
    review = WeeklyReview(_quarters(3), team="N", week="2026-W40", config=CONFIG)
    text = _text(review, calls_frame=frame)
    # Ann called 200 for 2026-Q2 and won 100: her 300 for 2026-Q4 reads as 150
    assert "reps' calls corrected for their bias\t150 USD" in text


def test_a_tie_with_a_baseline_trusts_the_baseline() -> None:
    # each quarter: 100 won in its first week, 1,200 won in its last from a deal never
    # seen before; at week 1 the naive pace (100 x 13) and conversion with inflow (100 x
    # (1 + 1,200 / 100)) both say 1,300: the tie goes to the baseline
    weeks = [("2026-W01", "2026-W13"), ("2026-W14", "2026-W26"), ("2026-W27", "2026-W39")]
    days = [
        ("2026-01-02", "2026-03-25"),
        ("2026-04-01", "2026-06-24"),
        ("2026-07-01", "2026-09-23"),
    ]
    rows = []
    for (first, last), (early, late) in zip(weeks, days, strict=True):
        rows.append(deal_row(first, f"W{first}", "won", 100.0, early))
        rows.append(deal_row(last, f"X{first}", "won", 1200.0, late))
    rows.append(deal_row("2026-W40", "E", "negotiation", 100.0, "2026-11-20"))
    review = WeeklyReview(history(rows), team="N", week="2026-W40", config=CONFIG)
    text = html_text(review.forecast_check_section()._repr_html_())
    assert "baseline: won to date at the same pace\t0 USD\t0%\tnone\t2\trecommended" in text
    assert (
        "No method beats the baselines here; the one to trust is the baseline "
        "\u201cwon to date at the same pace\u201d (0% error)."
    ) in text
    zh = html_text(
        WeeklyReview(history(rows), team="N", week="2026-W40", config=CONFIG, lang="zh")
        .forecast_check_section()
        ._repr_html_()
    )
    assert "此处没有方法胜过基准；以基准\u201c按当前赢单速度外推\u201d为准（误差 0%）。" in zh


def test_the_review_in_another_language_writes_its_forecast_sections_again() -> None:
    """The sections are remembered once drawn (the dashboard shows them on every view of
    a team's week); the same review in Chinese must not show the English ones."""
    english = WeeklyReview(_quarters(3), team="N", week="2026-W40", config=CONFIG)
    drawn = english.forecasting_sections
    chinese = english.in_language("zh")
    titles = [s.title for s in chinese.forecasting_sections]
    assert titles == [
        s.title
        for s in (
            chinese.reasons_section(),
            chinese.calls_section(),
            chinese.pacing_section(),
            chinese.forecast_check_section(),
        )
    ]
    assert titles != [s.title for s in drawn]
    for section in chinese.forecasting_sections:
        assert lint_text(html_text(section.body), "zh", names=["N", "Ann", "E"]) == [], (
            section.title
        )
    assert english.forecasting_sections is drawn  # the English review keeps its own
