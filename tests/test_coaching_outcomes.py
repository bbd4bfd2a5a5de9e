"""The rules on results: target reached, win rate above the team's, a big win (strengths),
every closed deal lost and no open pipeline left (the silences), from hand-built
histories, each figure worked out by hand, each threshold at, below and above its value."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from _boundaries import boundary
from pipereview.coaching import coaching_findings, coaching_prompts
from pipereview.week import WeekDiagnostics
from test_coaching_rules import W47, _progress_of, context

# the win-rate window of 2026-W47: 13 weeks to Sunday 2026-11-22, from 2026-08-24
IN_WINDOW = pd.Timestamp("2026-10-15")
BEFORE_WINDOW = pd.Timestamp("2026-08-23")


def deal(owner: str, deal_id: str, stage: str, amount: float = 100.0, **values: Any) -> dict:
    row = {
        "snapshot_week": W47,
        "team": "T",
        "owner": owner,
        "deal_id": deal_id,
        "deal_name": f"Deal {deal_id}",
        "account": f"Account {deal_id}",
        "stage_model": "generic_4",
        "stage": stage,
        "amount": amount,
        "currency": "CNY",
        "close_date": IN_WINDOW if stage in ("won", "lost") else pd.Timestamp("2026-12-31"),
    }
    row.update(values)
    return row


def history(*counts: tuple[str, int, int], open_deals: int = 1) -> pd.DataFrame:
    """Each (owner, won, lost) with that many deals won and lost in the window, and
    ``open_deals`` open deals each."""
    rows = []
    for owner, won, lost in counts:
        rows += [deal(owner, f"{owner}-w{i}", "won") for i in range(won)]
        rows += [deal(owner, f"{owner}-l{i}", "lost") for i in range(lost)]
        rows += [deal(owner, f"{owner}-o{i}", "needs_confirmed") for i in range(open_deals)]
    return pd.DataFrame(rows)


def findings(frame: pd.DataFrame, rule: str, **params: Any) -> pd.DataFrame:
    ctx = WeekDiagnostics(frame, as_of=W47)
    return coaching_findings(ctx, rules=[rule], settings={rule: params})


def rendered(found: pd.DataFrame, lang: str) -> str:
    return " ".join(coaching_prompts(found, lang=lang)["prompt"])


# --- a star rep: 122% of her quarter target is named as a strength ------------------------


def test_a_rep_at_122_percent_of_target_gets_the_strength_in_both_languages() -> None:
    progress = _progress_of(
        [
            ("T", "Mei", 1_000_000.0, 750_000.0, 1_220_000.0),
            ("T", "Bo", 1_000_000.0, 750_000.0, 700_000.0),
        ]
    ).assign(currency="CNY")
    found = coaching_findings(context(progress_rep=progress), rules=["target_attainment"])
    assert found["owner"].tolist() == ["Mei"]
    assert found.loc[0, "kind"] == "strength" and found.loc[0, "value"] == pytest.approx(1.22)
    en, zh = rendered(found, "en"), rendered(found, "zh")
    assert "You have won 122% of your 2026-Q4 target: 1,220,000 CNY of 1,000,000 CNY." in en
    assert "已完成目标的 122%：赢单 122万元，目标 100万元" in zh


def test_a_rep_ahead_of_plan_but_short_of_target_is_named_ahead() -> None:
    # 600 won of 1000 with 400 planned: 20 points ahead (>= 15)
    progress = _progress_of([("T", "Mei", 1000.0, 400.0, 600.0)])
    found = coaching_findings(context(progress_rep=progress), rules=["target_attainment"])
    assert "where the plan calls for 40% by now" in rendered(found, "en")
    assert "按计划此时应完成 40%" in rendered(found, "zh")


@boundary("rules.target_attainment.min_share")
@pytest.mark.parametrize(("won", "fired"), [(999.0, False), (1000.0, True), (1001.0, True)])
def test_min_share_of_the_target_won_is_a_strength(won: float, fired: bool) -> None:
    # plan to date = target: never ahead of plan, only the target share decides
    progress = _progress_of([("T", "Mei", 1000.0, 1000.0, won)])
    found = coaching_findings(context(progress_rep=progress), rules=["target_attainment"])
    assert (not found.empty) is fired


@boundary("rules.target_attainment.min_points_ahead")
@pytest.mark.parametrize(("won", "fired"), [(549.0, False), (550.0, True), (551.0, True)])
def test_min_points_ahead_of_plan_is_a_strength(won: float, fired: bool) -> None:
    progress = _progress_of([("T", "Mei", 1000.0, 400.0, won)])  # 15 points = 150 above plan
    found = coaching_findings(context(progress_rep=progress), rules=["target_attainment"])
    assert (not found.empty) is fired


# --- win rate above the teammates' -------------------------------------------------------


def test_a_win_rate_above_the_teammates_is_a_strength() -> None:
    # Mei 4 of 5 (80%) vs Bo + Cy 3 of 10 (30%): 50 points above; Bo 2 of 5 (40%) vs
    # Mei + Cy 5 of 10 (50%): no; Cy 1 of 5
    frame = history(("Mei", 4, 1), ("Bo", 2, 3), ("Cy", 1, 4))
    found = findings(frame, "win_rate_above_peers")
    assert found["owner"].tolist() == ["Mei"]
    assert found.loc[0, "value"] == pytest.approx(0.8)
    assert found.loc[0, "reference"] == pytest.approx(0.3)
    assert "80% over the last 13 weeks (4 won of 5 closed) against 30%" in rendered(found, "en")
    assert "5 个商机中你赢下 4 个（80%），团队其他成员为 30%" in rendered(found, "zh")


@boundary("rules.win_rate_above_peers.min_closed")
@pytest.mark.parametrize(("minimum", "fired"), [(4, True), (5, True), (6, False)])
def test_min_closed_deals_on_each_side_give_a_verdict(minimum: int, fired: bool) -> None:
    frame = history(("Mei", 4, 1), ("Bo", 1, 4))  # 5 closed each
    assert (not findings(frame, "win_rate_above_peers", min_closed=minimum).empty) is fired


@boundary("rules.win_rate_above_peers.min_gap")
@pytest.mark.parametrize(("gap", "fired"), [(0.59, True), (0.6, True), (0.61, False)])
def test_a_win_rate_min_gap_above_the_teammates_is_a_strength(gap: float, fired: bool) -> None:
    frame = history(("Mei", 4, 1), ("Bo", 1, 4))  # 80% vs 20%: 60 points
    assert (not findings(frame, "win_rate_above_peers", min_gap=gap).empty) is fired


# --- a big win ----------------------------------------------------------------------------


def _wins(big: float) -> pd.DataFrame:
    # the team's wins: 100, 100, 100 and Mei's big one; median of the four = 100
    rows = [deal("Bo", f"w{i}", "won", 100.0) for i in range(3)]
    rows.append(deal("Mei", "BIG", "won", big, account="上海精密机械有限公司"))
    rows.append(deal("Mei", "small", "won", 50.0, close_date=BEFORE_WINDOW))  # not counted
    return pd.DataFrame(rows)


def test_a_deal_won_large_for_the_team_is_named() -> None:
    found = findings(_wins(4_530_000.0), "big_win")
    assert found["deal_id"].tolist() == ["BIG"] and found.loc[0, "reference"] == 100.0
    assert found["deal_key"].tolist() == ["BIG"]  # the deal the manager opens from the sheet
    evidence = found.loc[0, "evidence"]
    assert evidence == {"team_median": 100.0, "team_wins": 4, "close": "2026-10-15", "weeks": 13}
    assert "You won “Deal BIG” (上海精密机械有限公司, 4,530,000 CNY) on 2026-10-15" in rendered(
        found, "en"
    )
    assert "（上海精密机械有限公司，453万元）" in rendered(found, "zh")


@boundary("rules.big_win.min_ratio")
@pytest.mark.parametrize(("big", "fired"), [(199.0, False), (200.0, True), (201.0, True)])
def test_min_ratio_times_the_median_win_is_big(big: float, fired: bool) -> None:
    assert (not findings(_wins(big), "big_win").empty) is fired


@boundary("rules.big_win.min_team_wins")
@pytest.mark.parametrize(("minimum", "fired"), [(3, True), (4, True), (5, False)])
def test_min_team_wins_give_a_median(minimum: int, fired: bool) -> None:
    assert (not findings(_wins(900.0), "big_win", min_team_wins=minimum).empty) is fired


# --- the silences: every closed deal lost; no pipeline left ------------------------------


def test_a_rep_who_lost_all_twelve_closed_deals_gets_a_prompt_in_both_languages() -> None:
    frame = history(("Wu", 0, 12), ("Bo", 3, 3))
    frame.loc[frame["owner"].eq("Wu") & frame["stage"].eq("lost"), "loss_reason"] = ["价格"] * 7 + [
        "竞品"
    ] * 5
    found = findings(frame, "zero_win_rate")
    assert found["owner"].tolist() == ["Wu"]
    assert found.loc[0, "severity"] == 3 and found.loc[0, "amount_at_stake"] == 1200.0
    en, zh = rendered(found, "en"), rendered(found, "zh")
    assert (
        "You lost all 12 deals you closed over the last 13 weeks (1,200 CNY): a 0% win rate" in en
    )
    assert "against 50% for the rest of the team" in en and "“价格”" in en
    assert "结束的 12 个商机全部丢单（共 1,200元），赢单率为 0%" in zh
    assert "记录最多的丢单原因：“价格”" in zh


@boundary("rules.zero_win_rate.min_lost")
@pytest.mark.parametrize(("lost", "fired"), [(2, False), (3, True), (4, True)])
def test_min_lost_deals_none_won_is_a_zero_win_rate(lost: int, fired: bool) -> None:
    frame = history(("Wu", 0, lost), ("Bo", 1, 1))
    assert (not findings(frame, "zero_win_rate").empty) is fired


def test_the_window_counts_deals_closed_from_its_first_monday_to_the_as_of_sunday() -> None:
    # 13 weeks to Sunday 2026-11-22 start on Monday 2026-08-24: of Wu's five losses the
    # day before and the day after the window are not counted, so 3 deals lost
    days = ["2026-08-23", "2026-08-24", "2026-10-15", "2026-11-22", "2026-11-23"]
    rows = [deal("Wu", f"l{i}", "lost", close_date=pd.Timestamp(d)) for i, d in enumerate(days)]
    found = findings(pd.DataFrame(rows), "zero_win_rate")
    assert found["owner"].tolist() == ["Wu"]
    assert found.loc[0, "amount_at_stake"] == 300.0
    evidence = found.loc[0, "evidence"]  # counts of deals, whole numbers as the export shows
    assert evidence == {
        "lost": 3,
        "peer_won": 0,
        "peer_lost": 0,
        "weeks": 13,
        "main_reason": "",
        "by": "2026-12-21",
    }  # by: the target day, the sheet's follow-up day
    assert all(type(evidence[k]) is int for k in ("lost", "peer_won", "peer_lost", "weeks"))
    assert "You lost all 3 deals you closed over the last 13 weeks (300 CNY)" in rendered(
        found, "en"
    )


def test_one_win_is_not_a_zero_win_rate() -> None:
    assert findings(history(("Wu", 1, 12)), "zero_win_rate").empty


def test_a_rep_with_no_open_deal_left_gets_a_prompt_in_both_languages() -> None:
    # Wu's deals are all closed (2 lost) and he has 800 of a 1000 target left; Bo has 3 open
    frame = pd.concat([history(("Wu", 0, 2), open_deals=0), history(("Bo", 1, 0), open_deals=3)])
    progress = _progress_of([("T", "Wu", 1000.0, 500.0, 200.0)]).assign(currency="CNY")
    ctx = WeekDiagnostics(frame, as_of=W47)
    ctx.__dict__["progress_rep"] = progress
    found = coaching_findings(ctx, rules=["no_open_pipeline"])
    assert found["owner"].tolist() == ["Wu"]
    assert found.loc[0, "severity"] == 3 and found.loc[0, "amount_at_stake"] == 800.0
    en, zh = rendered(found, "en"), rendered(found, "zh")
    assert "You have no open deal in the CRM this week, where your teammates have 3 each" in en
    assert "800 CNY of your target is still open" in en
    assert "本周你在 CRM 中没有任何在跟商机，团队其他成员每人有 3 个（中位数）" in zh
    assert "目标还差 800元" in zh


def test_a_rep_with_a_target_but_no_deal_at_all_is_found() -> None:
    progress = _progress_of([("T", "New", 1000.0, 500.0, 0.0)])
    found = coaching_findings(
        context(progress_rep=progress, open_deals=history(("Ann", 0, 0)).assign(deal_key="k")),
        rules=["no_open_pipeline"],
    )
    assert found["owner"].tolist() == ["New"]


# --- improvement since last month ---------------------------------------------------------


def _faster(movers: int) -> pd.DataFrame:
    """Ann's 10 deals sit at initial_contact from W39; in W44 ``movers`` of them are at
    needs_confirmed. The 4 weeks to W43: 40 deal-weeks, none moved on; the 4 weeks to
    W47: 40 deal-weeks, ``movers`` moved on (all in W43 -> W44)."""
    rows = [
        deal(
            "Ann",
            f"D{i}",
            "needs_confirmed" if week >= 44 and i < movers else "initial_contact",
            snapshot_week=f"2026-W{week}",
        )
        for week in range(39, 48)
        for i in range(10)
    ]
    return pd.DataFrame(rows)


def test_a_rep_whose_deals_move_faster_than_last_month_hears_it() -> None:
    found = findings(_faster(5), "improvement_since_last_month")
    assert found["owner"].tolist() == ["Ann"]
    assert found.loc[0, "value"] == 0.125 and found.loc[0, "reference"] == 0.0
    assert "over the last 4 weeks 12.5%" not in rendered(found, "en")  # whole percents
    assert "over the last 4 weeks 13% of your deal-weeks" in rendered(found, "en")
    assert "最近 4 周的周推进率为 13%（40 次每周检查中推进了 5 次），之前 4 周为 0%" in rendered(
        found, "zh"
    )


@boundary("rules.improvement_since_last_month.min_gain")
@pytest.mark.parametrize(("gain", "fired"), [(0.124, True), (0.125, True), (0.126, False)])
def test_a_gain_of_min_gain_is_an_improvement(gain: float, fired: bool) -> None:
    found = findings(_faster(5), "improvement_since_last_month", min_gain=gain)  # 12.5 points
    assert (not found.empty) is fired


@boundary("rules.improvement_since_last_month.min_exposures")
@pytest.mark.parametrize(("minimum", "fired"), [(39, True), (40, True), (41, False)])
def test_min_exposures_in_each_month_give_a_verdict(minimum: int, fired: bool) -> None:
    found = findings(_faster(5), "improvement_since_last_month", min_exposures=minimum)
    assert (not found.empty) is fired
