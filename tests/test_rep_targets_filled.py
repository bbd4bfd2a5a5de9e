"""Rep targets for a team whose targets file gives only the team's total: split over the
reps of the team's latest week by ``plan.rep_split``, measured against in the review's
rep outlook and the coaching rules like given targets, and the rule said with the plan's;
a team with any rep row keeps its file as written."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from pipereview.config import Config
from pipereview.delivery import WeeklyReview
from pipereview.diagnostics import PlanSettings
from pipereview.diagnostics._repfill import fill_rep_targets


def _deal(deal: str, owner: str, stage: str, amount: float) -> dict[str, object]:
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
        "close_date": pd.Timestamp("2026-12-18"),
    }


@pytest.fixture
def history() -> pd.DataFrame:
    return pd.DataFrame(
        [
            _deal("A1", "Ann", "negotiation", 40_000.0),
            _deal("B1", "Bob", "needs_confirmed", 10_000.0),
        ]
    )


def _targets(*rows: tuple[str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "team": "North",
                "owner": owner,
                "period": "2026-Q4",
                "amount": amount,
                "currency": "EUR",
            }
            for owner, amount in rows
        ]
    )


def _config(**plan: object) -> Config:
    config = Config()
    return replace(config, plan=PlanSettings(**plan))  # type: ignore[arg-type]


def test_a_team_total_is_split_by_capacity_and_measured_against(history: pd.DataFrame) -> None:
    config = _config(rep_split="capacity", capacity={"Bob": 0.5}, season="flat")
    review = WeeklyReview(
        history, team="North", week="2026-W47", targets=_targets(("", 90_000.0)), config=config
    )
    reps = review.context.forecast_rep.set_index("owner")
    # Ann 1, Bob 0.5: two thirds and one third of 90,000
    assert reps["target"].to_dict() == {"Ann": 60_000.0, "Bob": 30_000.0}
    rule = review.context.plan_rule("North", "en")
    assert rule == (
        "plan to date is a straight line in working days (no seasonal shape set); "
        "rep targets split by capacity (1 = a full rep)"
    )
    body = review.forecast_section().body
    assert "Rep targets split by capacity" not in body  # one sentence, capitalised once
    assert "; rep targets split by capacity (1 = a full rep)." in body
    zh = review.context.plan_rule("North", "zh")
    assert zh.endswith("；销售目标按产能分配（1 = 满产能）")


def test_without_history_or_capacity_the_split_is_equal_and_says_so(
    history: pd.DataFrame,
) -> None:
    review = WeeklyReview(
        history,
        team="North",
        week="2026-W47",
        targets=_targets(("", 90_001.0)),
        config=_config(season="flat"),
    )
    reps = review.context.forecast_rep.set_index("owner")
    assert reps["target"].to_dict() == {"Ann": 45_000.5, "Bob": 45_000.5}
    assert review.context.plan_rule("North", "en").endswith(
        "; equal shares (一刀切): no won history or capacity given"
    )


def test_a_team_with_a_rep_row_keeps_its_file(history: pd.DataFrame) -> None:
    targets = _targets(("", 90_000.0), ("Ann", 50_000.0))
    review = WeeklyReview(
        history, team="North", week="2026-W47", targets=targets, config=_config(season="flat")
    )
    reps = review.context.forecast_rep.set_index("owner")["target"]
    assert reps["Ann"] == 50_000.0 and pd.isna(reps["Bob"])  # Bob has no row: no target
    assert "rep targets" not in review.context.plan_rule("North", "en")
    filled, rules = fill_rep_targets(targets, "2026-Q4", {"North": ["Ann", "Bob"]})
    assert filled is targets and rules == {}


def test_only_the_period_s_total_is_split() -> None:
    targets = pd.concat(
        [_targets(("", 90_000.0)), _targets(("", 10.0)).assign(period="2026-Q3")],
        ignore_index=True,
    )
    filled, rules = fill_rep_targets(
        targets,
        "2026-Q4",
        {"North": ["Bob", "Ann", "Ann"]},
        settings=PlanSettings(rep_split="equal"),
    )
    added = filled.iloc[len(targets) :]
    assert added.to_dict("list") == {
        "team": ["North", "North"],
        "owner": ["Ann", "Bob"],
        "period": ["2026-Q4", "2026-Q4"],
        "amount": [45_000.0, 45_000.0],
        "currency": ["EUR", "EUR"],
    }
    assert rules == {"North": "equal"}
    # a team with no rep in its latest week is left as it is
    assert fill_rep_targets(targets, "2026-Q4", {}) == (targets, {})


def test_rep_rows_that_give_a_capacity_only_are_split_with_it() -> None:
    # the file gives 华东's total and a capacity for the rep in ramp-up, no rep amount
    targets = pd.DataFrame(
        {
            "team": "华东",
            "owner": ["", "孙悦", "张伟"],
            "period": "2026-Q4",
            "amount": [300_000.0, None, None],
            "currency": "CNY",
            "capacity": [None, 0.5, 1.0],
        }
    )
    filled, rules = fill_rep_targets(
        targets, "2026-Q4", {"华东": ["张伟", "李强"]}, settings=PlanSettings(rep_split="capacity")
    )
    reps = filled[filled["owner"] != ""].set_index("owner")["amount"].to_dict()
    # 张伟 1, 孙悦 0.5 (a row without deals in the latest week), 李强 1 when not given
    assert reps == {"孙悦": 60_000.0, "张伟": 120_000.0, "李强": 120_000.0}
    assert rules == {"华东": "capacity"}
    assert len(filled) == 4  # the total and one row a rep: the capacity rows replaced
