"""The backtest, its recommendation and the review's "Which forecast to trust" on histories
unlike the sample: a team that never won (an export of open deals only), one that won in
one quarter of two, blank close dates, closed quarters stored only from late in the
quarter, quarters before a team's first deal won or lost (the CRM's first weeks); and,
as a property, any small history of odd shape: nothing raises, every team
judged gets a recommendation or the reason for none, and every reason is worded in both
languages."""

from __future__ import annotations

import re

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _forecastrows import deal_row, history
from pipereview.config import Config
from pipereview.delivery._review import WeeklyReview
from pipereview.delivery._textlint import lint_text
from pipereview.delivery._visibletext import html_text
from pipereview.forecasting import (
    BacktestSettings,
    backtest,
    backtest_summary,
    forecast_methods,
    learn_quarter,
    recommended_method,
    record_starts,
)

ONE = BacktestSettings(min_cell_deals=1)
CONFIG = Config(backtest=ONE)
FIRSTS = ["2026-W01", "2026-W14", "2026-W27"]
LASTS = ["2026-W13", "2026-W26", "2026-W39"]
CLOSES = ["2026-03-20", "2026-06-20", "2026-09-20"]


def _three_quarters(ends: tuple[str, str, str], *, close: bool = True) -> pd.DataFrame:
    """2026-Q1 to Q3, each with one negotiation deal of 100 at week 1 that ends the
    quarter ``ends[i]`` (won or lost) at week 13, and 2026-W40 with one more open deal;
    ``close``: False leaves every close date blank."""
    rows = []
    for first, last, day, end in zip(FIRSTS, LASTS, CLOSES, ends, strict=True):
        rows.append(deal_row(first, f"D{first}", "negotiation", 100.0, day))
        rows.append(deal_row(last, f"D{first}", end, 100.0, day))
    rows.append(deal_row("2026-W40", "E", "negotiation", 100.0, "2026-11-20"))
    frame = history(rows)
    return frame if close else frame.assign(close_date=pd.NaT)


def _notes(frame: pd.DataFrame) -> dict[str, str]:
    return dict(zip(frame["team"], frame["note"], strict=True))


def _section_text(h: pd.DataFrame, week: str, lang: str) -> str:
    review = WeeklyReview(h, team="N", week=week, lang=lang, config=CONFIG)
    return html_text(review.forecast_check_section()._repr_html_())


def _both_languages(h: pd.DataFrame, week: str) -> tuple[str, str]:
    """The section's text in English and Chinese, each checked to read clean."""
    texts = _section_text(h, week, "en"), _section_text(h, week, "zh")
    for text, lang in zip(texts, ("en", "zh"), strict=True):
        assert lint_text(text, lang, names=["N"]) == [], text
    return texts


def test_a_team_that_never_won_gets_the_reason_not_an_error() -> None:
    frame = backtest(_three_quarters(("lost", "lost", "lost")), settings=ONE)
    summary = backtest_summary(frame)
    # Q2 and Q3 judged (Q1 has nothing before it), each won 0: no error can be measured
    overall = summary[summary["week_of_quarter"].isna()].set_index("method")
    assert overall.loc["weighted_pipeline", ["quarters", "forecasts", "judged"]].tolist() == [
        0,
        0,
        2,
    ]
    assert overall["mape"].isna().all()
    assert "calls_corrected" not in overall.index  # never forecast: no row
    chosen = recommended_method(summary, ONE)
    assert chosen["method"].tolist() == [""]
    assert _notes(chosen) == {
        "N": "not enough quarters with a deal won: 0 of the 2 closed quarters judged, "
        "needs at least 2"
    }


def test_a_team_that_won_in_one_quarter_of_two_is_not_judged_on_one() -> None:
    chosen = recommended_method(
        backtest_summary(backtest(_three_quarters(("lost", "won", "lost")), settings=ONE)), ONE
    )
    assert _notes(chosen)["N"] == (
        "not enough quarters with a deal won: 1 of the 2 closed quarters judged, needs at least 2"
    )
    # with one quarter enough: judged at weeks 1 and 13 (the weeks stored)
    summary = backtest_summary(backtest(_three_quarters(("lost", "won", "lost")), settings=ONE))
    for week, note in (
        (1, ""),
        (13, ""),
        (
            6,
            "not measured at weeks 5 to 7 of the quarter: no week stored there in the "
            "closed quarters judged",
        ),
    ):
        least = BacktestSettings(min_quarters=1, min_cell_deals=1, recommend_week=week)
        assert recommended_method(summary, least)["note"].tolist() == [note]


def test_the_review_says_why_in_both_languages() -> None:
    en, zh = _both_languages(_three_quarters(("lost", "lost", "lost")), "2026-W40")
    assert (
        "not enough quarters with a deal won: 0 of the 2 closed quarters judged, needs at least 2"
    ) in en
    assert "有赢单的季度不足：回测的 2 个已结束季度中只有 0 个有赢单，至少需要 2 个" in zh


def test_blank_close_dates_are_named_as_the_reason() -> None:
    h = _three_quarters(("won", "won", "won"), close=False)
    said = forecast_methods(h, "2026-W40", min_cell_deals=1).set_index("method")["note"]
    reason = (
        "not available: no deal was due in the 3 closed quarters before this one "
        "(close dates blank or outside them)"
    )
    assert said["historical_conversion"] == reason
    assert said["weighted_pipeline"] == ""
    en, zh = _both_languages(h, "2026-W40")
    assert reason in en
    assert (
        "not measured: no deal was due in the 2 closed quarters (close dates blank or outside them)"
    ) in en
    assert "无法回测：2 个已结束的季度中没有预计在该季度成交的商机" in zh


def test_no_inflow_learned_by_this_week_says_so() -> None:
    """2026-Q3 stored from its week 10 only: at week 2 of 2026-Q4 historical conversion
    has the stages' shares learned, the inflow nothing at week 2 or before."""
    rows = [
        deal_row("2026-W36", "A", "negotiation", 100.0, "2026-09-20"),
        deal_row("2026-W39", "A", "won", 100.0, "2026-09-20"),
        deal_row("2026-W41", "B", "negotiation", 100.0, "2026-11-20"),
    ]
    said = forecast_methods(history(rows), "2026-W41", min_cell_deals=1).set_index("method")
    assert said.loc["historical_conversion", "forecast"] == 100.0
    assert said.loc["conversion_with_inflow", "note"] == (
        "not available: no closed quarter before this one has a week stored at or before "
        "week 2 of the quarter"
    )
    _, zh = _both_languages(history(rows), "2026-W41")
    assert "无法计算：此前已结束的季度在季度第 2 周及之前都没有存储的数据" in zh


def _four_quarters(ends: tuple[str, ...], *, team: str = "N") -> list[dict[str, object]]:
    """2026-Q1 to Q4 of ``team``, each with one negotiation deal of 100 due in it, at its
    first and last week (2026-Q4's last week is W53), in stage ``ends[i]`` at the last:
    ``negotiation`` leaves it open (pushed from quarter to quarter: no outcome)."""
    firsts, lasts = [*FIRSTS, "2026-W40"], [*LASTS, "2026-W53"]
    rows = []
    for first, last, day, end in zip(firsts, lasts, [*CLOSES, "2026-12-20"], ends, strict=True):
        deal = f"{team}{first}"
        rows.append(deal_row(first, deal, "negotiation", 100.0, day, team=team))
        rows.append(deal_row(last, deal, end, 100.0, day, team=team))
    return rows


def test_quarters_before_the_first_outcome_teach_nothing() -> None:
    """2026-Q1's deal is never won or lost: the CRM records no outcome before 2026-Q2.
    Learning from Q1 would say a negotiation deal at week 1 is won half the time (0 of
    100 in Q1, 100 of 100 in Q2); from the record start, every time."""
    h = history(_four_quarters(("negotiation", "won", "won", "won")))
    assert record_starts(h) == {"N": "2026-Q2"}
    assert learn_quarter(h, "2026-Q3").quarters == ("2026-Q2",)
    frame = backtest(h, settings=ONE)
    # Q2 has nothing recorded before it to learn from: judged on Q3 and Q4 only
    assert sorted(frame["quarter"].unique()) == ["2026-Q3", "2026-Q4"]
    week1 = frame[(frame["week"] == "2026-W27") & (frame["method"] == "historical_conversion")]
    assert week1["forecast"].tolist() == [100.0]  # not 50: Q1 is left out
    assert backtest_summary(frame)["judged"].unique().tolist() == [2]
    en, zh = _both_languages(h, "2026-W53")
    assert (
        "Learned and judged from 2026-Q2 on: no deal of the team was won or lost before "
        "2026-Q2 (the history starts in 2026-Q1)."
    ) in en
    assert (
        "从 2026-Q2 起学习和回测：2026-Q2 之前该团队没有赢单或输单（历史从 2026-Q1 开始）。" in zh
    )
    plain = history(_four_quarters(("won", "won", "won", "won")))
    assert "Learned and judged from" not in _both_languages(plain, "2026-W53")[0]


def test_each_team_is_judged_from_its_own_record_start() -> None:
    """N records outcomes from 2026-Q1, S (a team that started selling later) from Q3."""
    rows = _four_quarters(("won", "lost", "won", "won"))
    rows += _four_quarters(("negotiation", "negotiation", "won", "won"), team="S")
    h = history(rows)
    assert record_starts(h) == {"N": "2026-Q1", "S": "2026-Q3"}
    frame = backtest(h, settings=ONE)
    judged = frame.groupby("team")["quarter"].unique().map(sorted).to_dict()
    assert judged == {"N": ["2026-Q2", "2026-Q3", "2026-Q4"], "S": ["2026-Q4"]}
    said = forecast_methods(h, "2026-W27", min_cell_deals=1)
    notes = said[said["method"] == "historical_conversion"].set_index("team")["note"]
    assert notes.to_dict() == {
        "N": "",
        "S": "not available: no deal of the team was won or lost in the 2 closed quarters "
        "before this one",
    }
    # the methods that do not learn (no evidence columns: the evidence-weighted one says so)
    assert said.loc[said["team"] == "S", "forecast"].notna().sum() == 3


def test_a_team_whose_deals_never_ended_is_told_so() -> None:
    """Every deal pushed from quarter to quarter, none won or lost: before, historical
    conversion forecast 0 (a share of 0 learned); now no method that learns forecasts."""
    h = _three_quarters(("negotiation", "negotiation", "negotiation"))
    said = forecast_methods(h, "2026-W40", min_cell_deals=1).set_index("method")
    assert pd.isna(said.loc["historical_conversion", "forecast"])
    reason = "not available: no deal of the team was won or lost in the 3 closed quarters before this one"
    assert said.loc["conversion_and_pace", "note"] == reason
    en, zh = _both_languages(h, "2026-W40")
    assert reason in en
    assert "not measured: no deal was won or lost in the 3 closed quarters" in en
    assert "无法计算：此前 3 个已结束的季度中该团队没有赢单或输单" in zh
    assert "无法回测：3 个已结束的季度中没有赢单或输单" in zh


_REASON = re.compile(
    r"not enough history: \d+ closed quarters, needs at least \d+"
    r"|not enough quarters with a deal won: \d+ of the \d+ closed quarters judged, "
    r"needs at least \d+"
    r"|not measured at weeks \d+ to \d+ of the quarter: no week stored there in the closed "
    r"quarters judged"
)


@st.composite
def _odd_histories(draw: st.DrawFn) -> pd.DataFrame:
    """Up to two teams over 2026-Q1 to Q4, some weeks stored, deals that end won, lost or
    never, amounts that may be 0, close dates that may be blank or far off."""
    weeks = [f"2026-W{n:02d}" for n in range(1, 45)]
    stored = sorted(draw(st.sets(st.sampled_from(weeks), min_size=1, max_size=12)))
    rows = []
    for i in range(draw(st.integers(1, 8))):
        team = draw(st.sampled_from(["N", "S"]))
        first = draw(st.integers(0, len(stored) - 1))
        end = draw(st.sampled_from(["won", "lost", None]))
        amount = draw(st.sampled_from([0.0, 50.0, 100.0]))
        close = draw(st.sampled_from(["2026-02-10", "2026-05-10", "2026-08-10", "2026-11-10"]))
        blank = draw(st.booleans())
        for k, week in enumerate(stored[first:]):
            last = end is not None and k == len(stored) - first - 1 and k > 0
            stage = end if last else "negotiation"
            row = deal_row(week, f"D{i}", str(stage), amount, close, team=team)
            rows.append({**row, "close_date": pd.NaT if blank else row["close_date"]})
    return history(rows)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(h=_odd_histories())
def test_any_history_gets_a_recommendation_or_its_reason(h: pd.DataFrame) -> None:
    frame = backtest(h, settings=ONE)
    chosen = recommended_method(backtest_summary(frame), ONE)
    assert sorted(chosen["team"]) == sorted(frame["team"].unique())
    for row in chosen.itertuples():
        assert bool(row.method) != bool(row.note), row
        assert row.method or _REASON.fullmatch(str(row.note)), row.note
        assert not row.method or row.mape >= 0
    if "N" in set(h["team"]):
        week = str(h.loc[h["team"] == "N", "snapshot_week"].max())
        _both_languages(h, week)
