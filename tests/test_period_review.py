"""The monthly and quarterly pack: each figure hand-computed on a small history.

The history (team North, USD), weeks 2026-W36 (from Monday 31 August), W40, W42, W44
(holds Saturday 31 October) and W45:

- D1 Ann, won in W42, close 15 Oct, 30,000, created 10 Sep;
- D2 Bob, won in W44, close 20 Oct, 10,000, created 2 Oct;
- D3 Bob, lost in W42, close 10 Oct, 5,000, created 20 Sep, loss reason "Price";
- D4 Ann, open, close 25 Oct until W42, then 5 Dec: pushed out of October, 20,000,
  created 15 Aug (stored from W36);
- D5 Ann, open, close 20 Nov, 40,000 at 50%, created 12 Oct.

Targets: North 2026-Q4 90,000, Ann and Bob 45,000 each: October is a third of each.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from pipereview.config import Config
from pipereview.core._errors import InputError
from pipereview.delivery import (
    PeriodReview,
    next_period,
    pack_period,
    period_of,
    period_spans,
    period_target,
)
from pipereview.delivery._periodplan import next_plan
from pipereview.diagnostics._forecast import ForecastSettings
from pipereview.diagnostics._targets import PlanSettings

_DEALS = {
    "D1": ("Ann", 30_000.0, "2026-09-10", "Deal one"),
    "D2": ("Bob", 10_000.0, "2026-10-02", "Deal two"),
    "D3": ("Bob", 5_000.0, "2026-09-20", "Deal three"),
    "D4": ("Ann", 20_000.0, "2026-08-15", "<b>Pushed</b>"),
    "D5": ("Ann", 40_000.0, "2026-10-12", "Deal five"),
}
# week -> deal -> (stage, close date)
_WEEKS = {
    "2026-W36": {"D4": ("needs_confirmed", "2026-10-25")},
    "2026-W40": {
        "D1": ("negotiation", "2026-10-15"),
        "D2": ("solution_quote", "2026-10-20"),
        "D3": ("needs_confirmed", "2026-10-10"),
        "D4": ("needs_confirmed", "2026-10-25"),
    },
    "2026-W42": {
        "D1": ("won", "2026-10-15"),
        "D2": ("negotiation", "2026-10-20"),
        "D3": ("lost", "2026-10-10"),
        "D4": ("needs_confirmed", "2026-10-25"),
        "D5": ("solution_quote", "2026-11-20"),
    },
    "2026-W44": {
        "D1": ("won", "2026-10-15"),
        "D2": ("won", "2026-10-20"),
        "D3": ("lost", "2026-10-10"),
        "D4": ("needs_confirmed", "2026-12-05"),
        "D5": ("solution_quote", "2026-11-20"),
    },
    "2026-W45": {
        "D1": ("won", "2026-10-15"),
        "D2": ("won", "2026-10-20"),
        "D3": ("lost", "2026-10-10"),
        "D4": ("needs_confirmed", "2026-12-05"),
        "D5": ("solution_quote", "2026-11-20"),
    },
}


def _history(*, reasons: bool = True, reps: tuple[str, ...] = ("Ann", "Bob")) -> pd.DataFrame:
    rows = []
    for week, deals in _WEEKS.items():
        for deal, (stage, close) in deals.items():
            owner, amount, created, name = _DEALS[deal]
            if owner not in reps:
                continue
            rows.append(
                {
                    "snapshot_week": week,
                    "team": "North",
                    "deal_id": deal,
                    "deal_name": name,
                    "account": f"Account {deal}",
                    "owner": owner,
                    "stage": stage,
                    "stage_model": "generic_4",
                    "amount": amount,
                    "currency": "USD",
                    "close_date": pd.Timestamp(close),
                    "created_date": pd.Timestamp(created),
                    "probability": 0.5 if deal == "D5" else float("nan"),
                    "loss_reason": "Price" if deal == "D3" else None,
                }
            )
    frame = pd.DataFrame(rows)
    return frame if reasons else frame.drop(columns="loss_reason")


def _targets(period: str = "2026-Q4", team: float = 90_000.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "team": "North",
            "owner": ["", "Ann", "Bob"],
            "period": period,
            "amount": [team, team / 2, team / 2],
            "currency": "USD",
        }
    )


def _review(period: str = "2026-10", **kwargs: object) -> PeriodReview:
    options: dict[str, object] = {"targets": _targets(), "lang": "en", **kwargs}
    history = options.pop("history", _history())
    return PeriodReview(history, team="North", period=period, **options)  # type: ignore[arg-type]


def _text(review: PeriodReview) -> str:
    from pipereview.delivery import html_text

    sections = (
        review.title(),
        review.verdict_section(),
        review.results_section(),
        review.deviation_section(),
        review.plan_section(),
    )
    return "\n".join(html_text(s._repr_html_()) for s in sections)


def test_periods_named_shifted_and_held_by_a_week() -> None:
    assert period_of("2026-W44", "month") == "2026-11"  # its Sunday is 1 November
    assert period_of("2026-W43", "month") == "2026-10"
    assert period_of("2026-W44", "quarter") == "2026-Q4"
    assert next_period("2026-12") == "2027-01" and next_period("2026-Q4") == "2027-Q1"
    assert pack_period("quarter", "2026-W40") == "2026-Q4"  # Sunday 4 October
    with pytest.raises(InputError, match=r"'2026-W44' is not a month or a quarter"):
        pack_period("2026-W44", "2026-W44")


def test_a_month_target_from_its_quarter_or_its_year() -> None:
    assert period_target(_targets(), "North", "2026-10") == (30_000.0, "quarter", "USD")
    assert period_target(_targets(), "North", "2026-10", "Ann") == (15_000.0, "quarter", "USD")
    assert period_target(_targets(), "North", "2026-Q4") == (90_000.0, "given", "USD")
    year = _targets("2026", 120_000.0)
    assert period_target(year, "North", "2026-10") == (10_000.0, "year", "USD")
    assert period_target(year, "North", "2026-Q3") == (30_000.0, "year", "USD")
    assert period_target(_targets(), "North", "2027-01") == (None, "none", "")
    assert period_target(None, "North", "2026-10") == (None, "none", "")


def test_a_finished_month_is_read_as_of_the_week_holding_its_last_day() -> None:
    review = _review()
    assert str(review.as_of) == "2026-W44" and review.complete  # W45 is stored too
    assert review.won_amount == 40_000.0  # D1 30,000 + D2 10,000
    text = _text(review)
    assert "North — monthly results, 2026-10" in text
    assert "to date" not in text
    assert "Target\t30,000 USD" in text
    assert "a third of the 2026-Q4 target (equal months)" in text
    assert "Attainment\t133%" in text  # 40,000 / 30,000
    assert "10,000 USD above the target" in text
    assert "yes: 133% of the target won" in text
    assert "the plan was met" in text


def test_results_against_the_previous_month_and_last_year() -> None:
    review = _review()
    r = review.results.set_index("span")
    assert r.loc["current", "won_amount"] == 40_000.0 and r.loc["current", "won_deals"] == 2
    # October's deals created: D2 10,000 and D5 40,000; September's: D1 30,000, D3 5,000
    assert r.loc["current", "created_amount"] == 50_000.0
    assert r.loc["previous", "created_amount"] == 35_000.0
    assert bool(r.loc["previous", "covered"])  # September starts after Monday 31 August
    assert not bool(r.loc["last_year", "covered"])
    text = _text(review)
    assert "up 40,000 USD from 0 USD (2026-09-01 to 2026-09-30)" in text  # won MoM
    assert "up 43% from 35,000 USD (2026-09-01 to 2026-09-30)" in text  # created MoM
    assert "not available: the history starts 2026-W36" in text  # YoY, never a zero


def test_per_rep_deviation_from_plan() -> None:
    reps = _review().progress.set_index("owner")
    # a finished month: the plan to date is the whole target
    assert reps.loc["Ann", "target"] == 15_000.0 and reps.loc["Ann", "plan_to_date"] == 15_000.0
    assert reps.loc["Ann", "won_to_date"] == 30_000.0 and reps.loc["Ann", "status"] == "ahead"
    assert reps.loc["Bob", "deviation"] == -5_000.0 and reps.loc["Bob", "status"] == "behind"
    text = _text(_review())
    assert "+15,000 USD\tahead of plan" in text and "−5,000 USD\tbehind plan" in text


def test_a_lost_deal_with_and_without_a_loss_reason() -> None:
    text = _text(_review())
    assert "Deals lost in 2026-10: 1, 5,000 USD" in text
    assert "Top loss reasons: Price (1, 5,000 USD)" in text
    bare = _text(_review(history=_history(reasons=False)))
    assert "Deals lost in 2026-10: 1, 5,000 USD" in bare
    assert "Loss reasons: not checked: no loss reason" in bare


def test_a_deal_pushed_out_of_the_period_escaped() -> None:
    review = _review()
    assert review.pushed["deal_id"].tolist() == ["D4"]
    text = _text(review)
    assert "Deals whose close date was pushed out of 2026-10: 1, 20,000 USD" in text
    assert "2026-10-25\t2026-12-05" in text
    page = review.deviation_section()._repr_html_()
    assert "&lt;b&gt;Pushed&lt;/b&gt;" in page and "<b>Pushed" not in page
    assert (
        "Pipeline created in 2026-10: 50,000 USD; against the previous period at the same point: "
        in text
    )


def test_the_next_period_plan_at_the_team_win_rate() -> None:
    # 2 won and 1 lost in the window: too few for the default 5 closed deals
    plan = next_plan(_review()).set_index("owner")
    assert plan.loc["", "target"] == 30_000.0  # November: a third of Q4
    assert plan.loc["", "open_amount"] == 40_000.0 and plan.loc["", "weighted"] == 20_000.0
    assert math.isnan(plan.loc["", "coverage_needed"])
    assert "coverage needed: no win rate" in _text(_review())
    config = Config(forecast=ForecastSettings(min_closed_deals=3))
    review = _review(config=config)
    plan = next_plan(review).set_index("owner")
    assert plan.loc["", "coverage_needed"] == pytest.approx(1.5)  # 1 / (2 / 3)
    assert plan.loc["", "more"] == pytest.approx(5_000.0)  # 30,000 x 1.5 - 40,000
    assert plan.loc["Bob", "open_amount"] == 0.0
    text = _text(review)
    assert "2026-11: find 5,000 USD more pipeline: the open pipeline due is 1.3× the target" in text
    assert "short of target by 10,000 USD" in text  # 30,000 - 20,000 weighted


def test_a_period_still_running_says_to_date() -> None:
    review = _review("2026-11")
    assert str(review.as_of) == "2026-W45" and not review.complete
    text = _text(review)
    assert "2026-11 to date, as of 2026-W45" in text
    assert "to date, as of 2026-W45: 0% of the target won" in text
    assert "Deals lost in 2026-11 to date, as of 2026-W45: 0, 0 USD" in text
    spans = period_spans("2026-11", "2026-W45")  # Sunday 8 November
    assert spans["last"].dt.day.tolist() == [8, 8, 8]


def test_one_rep() -> None:
    review = _review(history=_history(reps=("Ann",)))
    assert review.reps == ["Ann", "Bob"]  # Bob has a target row, no deals
    reps = review.progress.set_index("owner")
    assert reps.loc["Ann", "won_to_date"] == 30_000.0


def test_no_targets_file() -> None:
    review = _review(targets=None)
    text = _text(review)
    assert "Target\tnot available: no targets" in text
    assert "Reps: not available: no rep targets" in text
    assert "2026-11: not available: no targets" in text
    assert review.headline()["target"] is None


def test_chinese() -> None:
    text = _text(_review(lang="zh"))
    assert "North — 月度业绩分析 2026-10" in text
    assert "超出目标 10,000 USD" in text
    assert "2026-10输单：1 个，5,000 USD" in text


def test_a_period_the_history_does_not_reach_is_refused() -> None:
    with pytest.raises(InputError, match=r"team 'North' has no stored week in 2026-07"):
        _review("2026-07")


def test_rep_targets_split_from_the_team_total_say_so() -> None:
    goals = _targets().iloc[:1]  # the team's 90,000 only
    config = Config(plan=PlanSettings(rep_split="equal"))
    reps = _review(targets=goals, config=config).progress.set_index("owner")
    assert reps["target"].to_dict() == {"Ann": 15_000.0, "Bob": 15_000.0}
    assert set(reps["rule"]) == {"split:equal"}
    text = _text(_review(targets=goals, config=config, lang="zh"))
    assert "split" not in text and "equal" not in text


def test_a_missed_month_and_what_moved_it() -> None:
    review = _review(targets=_targets(team=300_000.0))  # October: 100,000
    text = _text(review)
    assert "no: 40% of the target won, 60,000 USD below the target" in text
    # pushed out 20,000 weighs more than lost 5,000
    assert (
        "what moved the result most: deals whose close date was pushed out of the period "
        "(1, 20,000 USD)"
    ) in text
