"""The backtest behind "Which forecast to trust" computed once per history and reused:
by the second language of the same review, never across a changed history, calls or
setting (:func:`pipereview.forecasting.cached_backtest_summary`)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from _forecastrows import deal_row, history
from pipereview.config import Config
from pipereview.delivery._review import WeeklyReview
from pipereview.delivery._visibletext import html_text
from pipereview.forecasting import BacktestSettings, _backtestcache

CONFIG = Config(backtest=BacktestSettings(min_cell_deals=1))


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """An empty cache and the number of backtests run since."""
    runs: list[int] = []
    real = _backtestcache.backtest

    def counting(*args: object, **kwargs: object) -> pd.DataFrame:
        runs.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_backtestcache, "_KEPT", type(_backtestcache._KEPT)())
    monkeypatch.setattr(_backtestcache, "backtest", counting)
    return runs


def _quarters(amount: float = 100.0) -> pd.DataFrame:
    """2026-Q1 to Q3, each with one negotiation deal at week 1 won at week 13 (the last
    won ``amount``), then 2026-W40 with one more."""
    rows = []
    for first, last, close in [
        ("2026-W01", "2026-W13", "2026-03-20"),
        ("2026-W14", "2026-W26", "2026-06-20"),
        ("2026-W27", "2026-W39", "2026-09-20"),
    ]:
        rows.append(deal_row(first, f"D{first}", "negotiation", 100.0, close))
        won = amount if first == "2026-W27" else 100.0
        rows.append(deal_row(last, f"D{first}", "won", won, close))
    rows.append(deal_row("2026-W40", "E", "negotiation", 100.0, "2026-11-20"))
    return history(rows)


def _figures(frame: pd.DataFrame, lang: str) -> tuple[str, list[str]]:
    review = WeeklyReview(frame, team="N", week="2026-W40", config=CONFIG, lang=lang)
    text = html_text(review.forecast_check_section()._repr_html_())
    return text, re.findall(r"\d+%", text)


def test_the_second_language_reuses_the_backtest_with_the_same_figures(
    counted: list[int],
) -> None:
    en, en_figures = _figures(_quarters(), "en")
    assert len(counted) == 1
    zh, zh_figures = _figures(_quarters(), "zh")  # a new review of the same rows
    assert len(counted) == 1  # reused, not run again
    assert "Which forecast to trust" in en and "哪种预测更可信" in zh
    # every error and bias the same in both languages (25% and 100%: the baselines')
    assert en_figures == zh_figures and {"25%", "100%"} <= set(en_figures)


def test_a_changed_history_or_setting_is_backtested_again(counted: list[int]) -> None:
    _, before = _figures(_quarters(), "en")
    _, changed = _figures(_quarters(amount=400.0), "en")  # 2026-Q3 won 400, not 100
    assert len(counted) == 2
    # the weighted pipeline's 75 against 100 won, then against 400: (25% + 81%) / 2
    assert "25%" in before and "53%" in changed and "53%" not in before
    other = Config(backtest=BacktestSettings(min_cell_deals=2))
    WeeklyReview(_quarters(), team="N", week="2026-W40", config=other).forecast_check_section()
    assert len(counted) == 3


def test_a_kept_summary_is_never_changed_by_its_reader(counted: list[int]) -> None:
    first = _backtestcache.cached_backtest_summary(_quarters())
    first["mape"] = -1.0
    again = _backtestcache.cached_backtest_summary(_quarters())
    assert len(counted) == 1 and (again["mape"].dropna() >= 0).all()


def test_the_key_changes_with_any_one_value_and_not_with_the_column_order() -> None:
    frame = _quarters()
    key = _backtestcache._digest(frame)
    assert _backtestcache._digest(frame[list(reversed(frame.columns))]) == key
    varied = [c for c in frame.columns if frame[c].astype("str").nunique() > 1]
    assert {"snapshot_week", "deal_id", "stage", "close_date"} <= set(varied)
    for column in varied:  # the first row given another row's value
        edited = frame.copy()
        text = edited[column].astype("str")
        other = edited[column][text != text.iloc[0]]
        edited.loc[0, column] = other.iloc[0]
        assert _backtestcache._digest(edited) != key, column
    assert _backtestcache._digest(frame.assign(team="S")) != key
    renamed = frame.rename(columns={"owner": "owner2"})
    assert _backtestcache._digest(renamed) != key
