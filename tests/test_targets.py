"""pipereview.diagnostics._targets: loading at the edge, SMART decomposition (the docs/method.md §3 worked
example, calendar weeks, the 4-week convention, reps), progress against plan, and the
sample store's planted targets."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipereview.core._errors import ConfigError, InputError, Problem
from pipereview.diagnostics._forecast import period_forecast
from pipereview.diagnostics._repsplit import split_weights
from pipereview.diagnostics._targets import (
    PlanSettings,
    allocate_cents,
    decompose_target,
    load_targets,
    plan_to_date,
    progress,
    rep_targets,
)
from pipereview.history._intake import ingest_folder
from pipereview.history._store import SnapshotStore

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
FOUR_WEEKS = PlanSettings(week_rule="four_week_month")


def test_domain_worked_example() -> None:
    # 50,000,000 a year = 12,500,000 a quarter
    quarters = decompose_target(50_000_000, "2026", "quarter")
    assert quarters["part"].tolist() == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert quarters["amount"].tolist() == [12_500_000.0] * 4
    # a month: 12,500,000 / 3 = 4,166,666.67 (cents 416666667, 416666667, 416666666)
    months = decompose_target(50_000_000, "2026", "month")
    assert len(months) == 12
    assert months["cents"].tolist()[:3] == [416_666_667, 416_666_667, 416_666_666]
    assert round(months["amount"].iloc[0]) == 4_166_667
    assert abs(months["amount"].iloc[0] - 4_170_000) < 5_000  # "about 4,170,000"
    # a week, 4 weeks a month: 4,166,666.67 / 4 = 1,041,666.67 ("about 1,040,000")
    weeks = decompose_target(50_000_000, "2026", "week", FOUR_WEEKS)
    assert len(weeks) == 48
    assert round(weeks["amount"].iloc[0]) == 1_041_667
    assert abs(weeks["amount"].iloc[0] - 1_040_000) < 5_000
    for parts in (quarters, months, weeks):
        assert int(parts["cents"].sum()) == 5_000_000_000
    # each quarter's months add up to the quarter, each month's 4 weeks to the month
    assert months.groupby(months.index // 3)["cents"].sum().tolist() == [1_250_000_000] * 4
    assert weeks.groupby(weeks.index // 4)["cents"].sum().tolist() == months["cents"].tolist()


def test_allocate_cents_largest_remainder_ties_to_the_earlier_part() -> None:
    # 100 / 3 = 33 r 1 -> the first part gets the cent
    assert allocate_cents(100, [1, 1, 1]).tolist() == [34, 33, 33]
    # 11 x 1/4 = 2.75, 11 x 3/4 = 8.25: quotas 2 + 8 = 10, the cent goes to 2.75
    assert allocate_cents(11, [1, 3]).tolist() == [3, 8]
    assert allocate_cents(7, [0, 2]).tolist() == [0, 7]
    with pytest.raises(InputError):
        allocate_cents(5, [0, 0])


def test_iso_weeks_by_working_days_and_by_days() -> None:
    # 2026-Q4: Thu 1 Oct .. Thu 31 Dec; W40 holds Thu-Fri (2 working days, 4 days),
    # W41..W52 5 each, W53 Mon-Thu 28-31 Dec (4 and 4): 2 + 60 + 4 = 66 working days
    weeks = decompose_target(6_600, "2026-Q4", "week")
    assert weeks["part"].iloc[[0, -1]].tolist() == ["2026-W40", "2026-W53"]
    assert weeks["weight"].tolist() == [2] + [5] * 12 + [4]
    assert weeks["amount"].tolist() == [200.0] + [500.0] * 12 + [400.0]
    days = decompose_target(9_200, "2026-Q4", "week", PlanSettings(week_rule="days"))
    assert days["weight"].tolist() == [4] + [7] * 12 + [4]  # 92 days
    # a holiday on Fri 2 Oct leaves W40 one working day of 65
    holiday = PlanSettings(holidays=frozenset({datetime.date(2026, 10, 2)}))
    assert decompose_target(6_500, "2026-Q4", "week", holiday)["amount"].iloc[0] == 100.0


@given(
    cents=st.integers(0, 10**13),
    period=st.sampled_from(["2026", "2026-Q3", "2027-Q1", "2026-11"]),
    level=st.sampled_from(["quarter", "month", "week"]),
    rule=st.sampled_from(["working_days", "days", "four_week_month"]),
)
def test_parts_sum_exactly_to_the_whole(cents: int, period: str, level: Any, rule: Any) -> None:
    if level == "quarter" and period == "2026-11":
        return
    parts = decompose_target(cents / 100, period, level, PlanSettings(week_rule=rule))
    assert int(parts["cents"].sum()) == cents
    assert (parts["cents"] >= 0).all()


@given(
    total=st.integers(0, 10**15),
    weights=st.lists(st.integers(0, 400), min_size=1, max_size=60).filter(any),
)
def test_allocation_sums_exactly(total: int, weights: list[int]) -> None:
    parts = allocate_cents(total, weights)
    assert int(parts.sum()) == total
    assert all(p == 0 for p, w in zip(parts, weights, strict=True) if w == 0)


def test_a_month_cannot_be_split_into_quarters() -> None:
    with pytest.raises(InputError, match="cannot be split"):
        decompose_target(100, "2026-11", "quarter")


def test_rep_targets_given_shares_else_equal() -> None:
    targets = pd.DataFrame(
        {
            "team": "N",
            "owner": ["", "Ann", "Bob"],
            "period": "2026-Q4",
            "amount": [100.0, 30.0, 60.0],
            "currency": "USD",
        }
    )
    # given 30 : 60 scaled to the team's 100: 33.33.. and 66.66.. -> 3333 + 6667 cents
    given = rep_targets(targets, "N", "2026-Q4")
    assert given["target"].tolist() == [33.33, 66.67]
    assert set(given["rule"]) == {"given"}
    # Cy has no target: equal shares 100 / 3 -> 33.34, 33.33, 33.33
    equal = rep_targets(targets, "N", "2026-Q4", reps=["Ann", "Bob", "Cy"])
    assert equal["target"].tolist() == [33.34, 33.33, 33.33]
    assert set(equal["rule"]) == {"equal"}


def test_sample_rep_targets_add_up_to_the_team() -> None:
    targets = load_targets(SAMPLES / "targets.csv")
    reps = rep_targets(targets, "North", "2026-Q4")
    assert reps["target"].tolist() == reps["given_target"].tolist()
    assert reps["target"].sum() == 975_000.0


def test_load_targets_names_file_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "targets.csv"
    path.write_text(
        "team,owner,period,amount,currency\n"
        "North,,2026-Q4,1000,USD\n"
        ",,2026-Q4,5,USD\n"  # row 3: no team
        "North,Ann,Q4,-5,usd\n",  # row 4: period, amount, currency
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        load_targets(path)
    where = [(p.row, p.column) for p in info.value.problems]
    assert where == [(3, "team"), (4, "amount"), (4, "currency"), (4, "period")]
    assert "targets.csv, row 4, column 'amount'" in str(info.value)


def test_load_targets_missing_column_and_duplicate(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("team,period,amount\nNorth,2026,5\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"missing column\(s\) \['owner', 'currency'\]"):
        load_targets(path)
    path.write_text("team,owner,period,amount,currency\nN,,2026,5,\nN,,2026,6,\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_targets(path)
    assert [(p.row, p.column) for p in info.value.problems] == [(3, "owner")]


def won(deal_id: str, amount: float, close: str) -> dict[str, Any]:
    return {
        "snapshot_week": "2026-W47",
        "team": "N",
        "deal_id": deal_id,
        "deal_name": deal_id,
        "account": deal_id,
        "owner": "Ann",
        "stage": "won",
        "stage_model": "generic_4",
        "amount": amount,
        "currency": "USD",
        "close_date": pd.Timestamp(close),
    }


def test_progress_against_plan_by_hand() -> None:
    history = pd.DataFrame([won("A", 3000.0, "2026-10-20"), won("B", 800.0, "2026-11-16")])
    targets = pd.DataFrame(
        {"team": "N", "owner": "", "period": "2026-Q4", "amount": [6600.0], "currency": "USD"}
    )
    # plan to date at W47: W40 2 + W41..W47 7 x 5 = 37 of 66 working days -> 3700
    # won 3800: deviation +100 = +1.5 points of the 6600 target -> within the 15-point
    # tolerance: on plan, no alert
    out = progress(history, targets, "2026-Q4", "2026-W47").iloc[0]
    assert (out["plan_to_date"], out["won_to_date"], out["deviation"]) == (3700.0, 3800.0, 100.0)
    assert out["deviation_pct"] == pytest.approx(100 / 3700)
    assert out["expected_share"] == pytest.approx(37 / 66)
    assert out["points"] == pytest.approx(100 / 6600)
    assert (out["status"], out["alert"]) == ("on plan", False)
    # a target of 13200: plan 7400, won 3800 = 28.8% against 56.1% planned: -27.3 points
    # -> behind, alert
    late = progress(history, targets.assign(amount=13200.0), "2026-Q4", "2026-W47").iloc[0]
    assert (late["status"], bool(late["alert"])) == ("behind", True)
    assert late["deviation_pct"] == pytest.approx(-3600 / 7400)
    assert late["points"] == pytest.approx(-3600 / 13200)
    # the tolerance is configurable: 30 points does not alert at -27.3
    calm = progress(
        history,
        targets.assign(amount=13200.0),
        "2026-Q4",
        "2026-W47",
        settings=PlanSettings(alert_threshold=0.3),
    ).iloc[0]
    assert not calm["alert"] and calm["status"] == "on plan"


def test_early_in_the_quarter_a_slow_start_does_not_alert() -> None:
    # W41: 7 of 66 working days gone, 10.6% planned: nothing won is 10.6 points behind,
    # within the 15-point tolerance (a straight line in % of plan would say -100%)
    history = pd.DataFrame([won("A", 3000.0, "2026-12-20")])
    targets = pd.DataFrame(
        {"team": "N", "owner": "", "period": "2026-Q4", "amount": [6600.0], "currency": "USD"}
    )
    out = progress(history, targets, "2026-Q4", "2026-W41").iloc[0]
    assert out["plan_to_date"] == 700.0 and out["deviation_pct"] == -1.0
    assert out["points"] == pytest.approx(-700 / 6600)
    assert (out["status"], bool(out["alert"])) == ("on plan", False)


def test_plan_to_date_refuses_the_four_week_convention() -> None:
    assert plan_to_date(pd.Series([6600.0]), "2026-Q4", "2026-W53").tolist() == [6600.0]
    with pytest.raises(InputError, match="calendar week rule"):
        plan_to_date(pd.Series([1.0]), "2026-Q4", "2026-W47", FOUR_WEEKS)


@pytest.fixture(scope="module")
def sample_history(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    store = SnapshotStore(tmp_path_factory.mktemp("store"))
    ingest_folder(SAMPLES / "exports", store=store)
    return store.history()


@pytest.mark.slow
def test_sample_store_q4_as_of_w47(sample_history: pd.DataFrame) -> None:
    targets = load_targets(SAMPLES / "targets.csv")
    out = progress(sample_history, targets, "2026-Q4", "2026-W47").set_index("team")
    # 37 of 66 working days gone: 56.1% of each target planned. North (51.5% won, -4.5
    # points) and West (50.1%, -5.9) are within the 15-point tolerance; the sample's wins
    # cluster late in the quarter, so 华东 (36.2%, -19.8) and DACH (37.5%, -18.5) are
    # behind the plan to date (they end the quarter ahead)
    assert out.loc[["North", "West"], "status"].tolist() == ["on plan", "on plan"]
    assert out.loc[["华东", "DACH"], "status"].tolist() == ["behind", "behind"]
    assert out["expected_share"].round(3).tolist() == [0.561] * 4
    assert out.loc["DACH", "points"] == pytest.approx(786_000 / 2_095_000 - 37 / 66, abs=1e-6)
    share = out["won_to_date"] / out["target"]
    assert share[["华东", "DACH"]].max() < share[["North", "West"]].min()
    fc = period_forecast(sample_history, targets, "2026-Q4", "2026-W47").set_index("team")
    assert (fc["won_to_date"] == out["won_to_date"]).all()


@pytest.mark.slow
def test_sample_store_q3_ends_with_north_and_west_behind(sample_history: pd.DataFrame) -> None:
    targets = load_targets(SAMPLES / "targets.csv")
    out = progress(sample_history, targets, "2026-Q3", "2026-W40").set_index("team")
    assert (out["plan_to_date"] == out["target"]).all()  # the quarter is over
    # the whole target is planned: points = won share - 100%. West won 1,307,000 of
    # 1,700,000 (-23.1 points: behind, alert); North 979,000 of 1,075,000 (-8.9: within
    # tolerance); 华东 117.6% (+17.6: ahead); DACH 105.7% (+5.7: on plan)
    assert out.loc[["North", "West"], "status"].tolist() == ["on plan", "behind"]
    assert out.loc[["华东", "DACH"], "status"].tolist() == ["ahead", "on plan"]
    assert out.loc["West", "alert"] and not out.loc["North", "alert"]
    assert out.loc["North", "deviation_pct"] == pytest.approx(979_000 / 1_075_000 - 1)
    assert out.loc["North", "points"] == pytest.approx(979_000 / 1_075_000 - 1)


def test_progress_per_rep_lists_reps_without_wins() -> None:
    history = pd.DataFrame([won("A", 3000.0, "2026-10-20")])
    targets = pd.DataFrame(
        {
            "team": "N",
            "owner": ["", "Ann", "Bob"],
            "period": "2026-Q4",
            "amount": [13200.0, 6600.0, 6600.0],
            "currency": "USD",
        }
    )
    out = progress(history, targets, "2026-Q4", "2026-W47", by="rep").set_index("owner")
    # each rep's plan to date: 6600 x 37 / 66 = 3700; Ann won 3000 (-700 = -10.6 points of
    # her target: within tolerance), Bob 0 (-56.1 points: alert)
    assert out["plan_to_date"].tolist() == [3700.0, 3700.0]
    assert out["won_to_date"].tolist() == [3000.0, 0.0]
    assert out["points"].round(3).tolist() == [-0.106, -0.561]
    assert out["alert"].tolist() == [False, True]


@pytest.mark.parametrize("kwargs", [{"week_rule": "fortnights"}, {"alert_threshold": -0.1}])
def test_plan_settings_are_checked(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match=r"week_rule|alert_threshold"):
        PlanSettings(**kwargs)


def test_an_unknown_week_rule_names_the_three_rules_and_where_they_are_told() -> None:
    with pytest.raises(ConfigError) as info:
        PlanSettings(week_rule="fortnights")  # type: ignore[arg-type]
    hint = (
        "set plan.week_rule to working_days (the default), days or four_week_month "
        "(docs/method.md, 'Weeks and figures')"
    )
    assert str(info.value) == (
        f"week_rule 'fortnights': use 'working_days', 'days' or 'four_week_month'\nHint: {hint}"
    )
    assert (info.value.expected, info.value.hint) == (
        "'working_days', 'days' or 'four_week_month'",
        hint,
    )


def test_negative_targets_and_bad_weeks_are_refused() -> None:
    with pytest.raises(InputError, match="cannot be split"):
        decompose_target(-1.0, "2026", "quarter")
    with pytest.raises(InputError, match="not an ISO week"):
        plan_to_date(pd.Series([1.0]), "2026-Q4", "2026-w47")


# --- rep targets: the whole frame -----------------------------------------------------------
def _rep_frame(
    owners: list[str], given: list[float], target: list[float], rule: str
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "team": "N",
            "owner": owners,
            "period": "2026-Q4",
            "given_target": given,
            "target": target,
            "rule": rule,
        }
    )


def test_rep_targets_whole_frame_with_a_team_row_read_without_an_owner() -> None:
    # a frame built by hand: the team's row has no owner at all (None, not ""), amounts
    # are whole numbers; given 30 : 60 scaled to the team's 100
    targets = pd.DataFrame(
        {
            "team": "N",
            "owner": [None, "Ann", "Bob"],
            "period": "2026-Q4",
            "amount": [100, 30, 60],
            "currency": "USD",
        }
    )
    pd.testing.assert_frame_equal(
        rep_targets(targets, "N", "2026-Q4"),
        _rep_frame(["Ann", "Bob"], [30.0, 60.0], [33.33, 66.67], "given"),
    )
    # reps passed in another order keep their own given targets: 6000 : 3000 of 10000
    # cents -> 6666.67 and 3333.33, the cent to Bob's larger remainder
    pd.testing.assert_frame_equal(
        rep_targets(targets, "N", "2026-Q4", reps=["Bob", "Ann"]),
        _rep_frame(["Bob", "Ann"], [60.0, 30.0], [66.67, 33.33], "given"),
    )


def test_rep_targets_without_a_team_row_add_up_the_reps() -> None:
    targets = pd.DataFrame(
        {
            "team": "N",
            "owner": ["Ann", "Bob"],
            "period": "2026-Q4",
            "amount": [30.0, 60.0],
            "currency": "USD",
        }
    )
    pd.testing.assert_frame_equal(
        rep_targets(targets, "N", "2026-Q4"),
        _rep_frame(["Ann", "Bob"], [30.0, 60.0], [30.0, 60.0], "given"),
    )


@pytest.mark.parametrize(
    ("given", "reps", "expected"),
    [
        # every rep's given target is 0: nothing to be proportional to -> equal shares
        ([0.0, 0.0], None, _rep_frame(["Ann", "Bob"], [0.0, 0.0], [50.0, 50.0], "equal")),
        # given targets below 1 still set the proportions: 0.25 : 0.75 of 100
        ([0.25, 0.75], None, _rep_frame(["Ann", "Bob"], [0.25, 0.75], [25.0, 75.0], "given")),
        # Ann alone, given 0 (Bob's 60 is not hers): the team's whole 100 in equal shares
        ([0.0, 60.0], ["Ann"], _rep_frame(["Ann"], [0.0], [100.0], "equal")),
    ],
)
def test_rep_targets_given_shares_need_a_positive_sum(
    given: list[float], reps: list[str] | None, expected: pd.DataFrame
) -> None:
    targets = pd.DataFrame(
        {
            "team": "N",
            "owner": ["", "Ann", "Bob"],
            "period": "2026-Q4",
            "amount": [100.0, *given],
            "currency": "USD",
        }
    )
    pd.testing.assert_frame_equal(rep_targets(targets, "N", "2026-Q4", reps=reps), expected)


def test_rep_targets_without_reps_are_refused() -> None:
    targets = pd.DataFrame(
        {"team": "N", "owner": [""], "period": "2026-Q4", "amount": [100.0], "currency": "USD"}
    )
    with pytest.raises(InputError) as info:
        rep_targets(targets, "N", "2026-Q4")
    assert str(info.value) == (
        "no reps to split N's 2026-Q4 target over\n"
        "Hint: add rep rows to the targets file or pass reps"
    )
    assert info.value.hint == "add rep rows to the targets file or pass reps"


# --- load_targets: what it returns and what it refuses ------------------------------------
def test_load_targets_returns_trimmed_text_and_float_amounts(tmp_path: Path) -> None:
    # a spreadsheet's UTF-8 with a byte-order mark, spaces around cells, a thousands
    # separator, a target of 0 and one below 1, a blank currency
    path = tmp_path / "targets.csv"
    path.write_text(
        " team , owner ,period,amount,currency\n"
        'North, ,2026-Q4,"1,000",USD\n'
        "North,Ann,2026-Q4, 0 ,USD\n"
        "华东,Li,2026-11,0.5,\n",
        encoding="utf-8-sig",
    )
    expected = pd.DataFrame(
        {
            "team": pd.Series(["North", "North", "华东"], dtype="str"),
            "owner": pd.Series(["", "Ann", "Li"], dtype="str"),
            "period": pd.Series(["2026-Q4", "2026-Q4", "2026-11"], dtype="str"),
            "amount": [1000.0, 0.0, 0.5],
            "currency": pd.Series(["USD", "USD", ""], dtype="str"),
        }
    )
    pd.testing.assert_frame_equal(load_targets(path), expected)


def test_load_targets_lists_every_problem_with_what_was_expected(tmp_path: Path) -> None:
    path = tmp_path / "targets.csv"
    path.write_text(
        "team,owner,period,amount,currency\n"
        ",Ann,2026-Q4,5,USD\n"  # row 2: no team
        "North,,Q4,abc,usd\n"  # row 3: period, amount, currency
        "North,,2026-Q4,-5,EUR\n"  # row 4: a negative amount
        "North,,2026-Q4,7,EUR\n",  # row 5: North's 2026-Q4 total again
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        load_targets(path)
    file = str(path)
    problems = (
        Problem(file, 2, "team", "a team name", ""),
        Problem(file, 3, "amount", "an amount >= 0", "abc"),
        Problem(file, 3, "currency", "an ISO currency code such as USD, or blank", "usd"),
        Problem(file, 3, "period", "a period: 2026, 2026-Q4 or 2026-11", "Q4"),
        Problem(file, 4, "amount", "an amount >= 0", "-5"),
        Problem(file, 5, "owner", "one target per team, owner and period", ""),
    )
    error = info.value
    assert error.problems == problems
    assert (error.file, error.row, error.column, error.expected) == (file, 2, "team", "a team name")
    assert error.hint == "fix the rows listed; owner blank means the team's total"
    assert str(error) == (
        "targets.csv: 6 problem(s):\n"
        f"  - {file}, row 2, column 'team': expected a team name.\n"
        f"  - {file}, row 3, column 'amount': expected an amount >= 0, got 'abc'.\n"
        f"  - {file}, row 3, column 'currency': expected an ISO currency code such as USD, "
        "or blank, got 'usd'.\n"
        f"  - {file}, row 3, column 'period': expected a period: 2026, 2026-Q4 or 2026-11, "
        "got 'Q4'.\n"
        f"  - {file}, row 4, column 'amount': expected an amount >= 0, got '-5'.\n"
        f"  - {file}, row 5, column 'owner': expected one target per team, owner and period.\n"
        "Hint: fix the rows listed; owner blank means the team's total"
    )


def test_load_targets_message_lists_the_first_50_problems(tmp_path: Path) -> None:
    path = tmp_path / "targets.csv"
    path.write_text(
        # rows 2..52: 51 reps without a team
        "team,owner,period,amount,currency\n" + "".join(f",R{i},2026,1,\n" for i in range(51)),
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        load_targets(path)
    message = str(info.value)
    assert len(info.value.problems) == 51
    assert message.startswith("targets.csv: 51 problem(s):\n")
    assert message.count("\n  - ") == 50
    assert "row 51," in message and "row 52," not in message


def test_load_targets_missing_columns_named_with_the_full_list(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("team,period,amount\nNorth,2026,5\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_targets(path)
    error = info.value
    assert (error.file, error.row, error.column) == (str(path), None, "owner")
    assert error.expected == "team, owner, period, amount, currency"
    assert str(error) == (
        "t.csv: missing column(s) ['owner', 'currency'] "
        "(expected team, owner, period, amount, currency)\n"
        "Hint: add the missing column(s) to the targets file (docs/formats.md lists them)"
    )


@pytest.mark.parametrize("content", [None, b"team,owner,period,amount,currency\nN\xe9,,2026,1,\n"])
def test_load_targets_unreadable_file(tmp_path: Path, content: bytes | None) -> None:
    # a file that is not there, or not UTF-8 (Latin-1 "Né")
    path = tmp_path / "targets.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError) as info:
        load_targets(path)
    error = info.value
    assert error.message.startswith(f"cannot read targets file {path}: ")
    assert (error.file, error.row, error.column) == (str(path), None, None)
    assert error.hint == "a UTF-8 CSV with columns team, owner, period, amount, currency"
    assert str(error).endswith(
        "\nHint: a UTF-8 CSV with columns team, owner, period, amount, currency"
    )


# --- decompose_target: the whole frame, by hand ----------------------------------------------
def _parts_frame(
    level: str,
    parts: list[str],
    first: list[str],
    last: list[str],
    weight: list[int],
    cents: list[int],
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "level": level,
            "part": parts,
            "first": pd.to_datetime(first),
            "last": pd.to_datetime(last),
            "weight": pd.Series(weight, dtype="int64"),
            "cents": pd.Series(cents, dtype="int64"),
            "amount": [c / 100 for c in cents],
        }
    )


_Q4_MONTHS = ["2026-10", "2026-11", "2026-12"]
_Q4_FIRSTS = ["2026-10-01", "2026-11-01", "2026-12-01"]
_Q4_LASTS = ["2026-10-31", "2026-11-30", "2026-12-31"]


@pytest.mark.parametrize(
    ("amount", "period", "level", "settings", "expected"),
    [
        # 100 a year: 25 a quarter, each from its first to its last day
        (
            100,
            "2026",
            "quarter",
            None,
            _parts_frame(
                "quarter",
                ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"],
                ["2026-01-01", "2026-04-01", "2026-07-01", "2026-10-01"],
                ["2026-03-31", "2026-06-30", "2026-09-30", "2026-12-31"],
                [1, 1, 1, 1],
                [2500] * 4,
            ),
        ),
        # 100 a quarter: 33.33.. a month, the leftover cent to October
        (
            100,
            "2026-Q4",
            "month",
            None,
            _parts_frame("month", _Q4_MONTHS, _Q4_FIRSTS, _Q4_LASTS, [1] * 3, [3334, 3333, 3333]),
        ),
        # 1.00 a year into months through its quarters: 25 cents a quarter -> 9, 8, 8
        (
            1,
            "2026",
            "month",
            None,
            _parts_frame(
                "month",
                [f"2026-{m:02d}" for m in range(1, 13)],
                [f"2026-{m:02d}-01" for m in range(1, 13)],
                [
                    "2026-01-31",
                    "2026-02-28",
                    "2026-03-31",
                    "2026-04-30",
                    "2026-05-31",
                    "2026-06-30",
                    "2026-07-31",
                    "2026-08-31",
                    "2026-09-30",
                    "2026-10-31",
                    "2026-11-30",
                    "2026-12-31",
                ],
                [1] * 12,
                [9, 8, 8] * 4,
            ),
        ),
        # November 2026 by working days: Sun 1 Nov is W44's only day (no working day),
        # W45..W48 5 each, Mon 30 Nov is W49's only day: 21 working days, 1.00 each;
        # the first and last weeks are cut at the month's edges
        (
            21,
            "2026-11",
            "week",
            None,
            _parts_frame(
                "week",
                ["2026-W44", "2026-W45", "2026-W46", "2026-W47", "2026-W48", "2026-W49"],
                [
                    "2026-11-01",
                    "2026-11-02",
                    "2026-11-09",
                    "2026-11-16",
                    "2026-11-23",
                    "2026-11-30",
                ],
                [
                    "2026-11-01",
                    "2026-11-08",
                    "2026-11-15",
                    "2026-11-22",
                    "2026-11-29",
                    "2026-11-30",
                ],
                [0, 5, 5, 5, 5, 1],
                [0, 500, 500, 500, 500, 100],
            ),
        ),
        # the 4-weeks-a-month convention: 100.01 -> 4 weeks of 25.00, the cent to w1; each
        # week spans its whole month
        (
            100.01,
            "2026-11",
            "week",
            FOUR_WEEKS,
            _parts_frame(
                "week",
                ["2026-11 w1", "2026-11 w2", "2026-11 w3", "2026-11 w4"],
                ["2026-11-01"] * 4,
                ["2026-11-30"] * 4,
                [1] * 4,
                [2501, 2500, 2500, 2500],
            ),
        ),
    ],
)
def test_decompose_target_whole_frame(
    amount: float,
    period: str,
    level: Any,
    settings: PlanSettings | None,
    expected: pd.DataFrame,
) -> None:
    pd.testing.assert_frame_equal(decompose_target(amount, period, level, settings), expected)


def test_leftover_cents_go_to_the_earliest_weeks_of_a_quarter() -> None:
    # 0.05 over 2026-Q4's 66 working days: every week's quota is 0 cents; the 12 full
    # weeks tie on the largest remainder (5 x 5 / 66), so W41..W45 get a cent each
    weeks = decompose_target(0.05, "2026-Q4", "week")
    assert weeks["cents"].tolist() == [0, 1, 1, 1, 1, 1] + [0] * 8
    # 30 parts tied throughout: the 7 leftover cents go to the first 7
    assert allocate_cents(307, [1] * 30).tolist() == [11] * 7 + [10] * 23


def test_decompose_target_refusals_say_what_was_expected() -> None:
    with pytest.raises(InputError) as info:
        decompose_target(-1, "2026", "quarter")
    assert (info.value.expected, info.value.hint) == ("an amount >= 0", "give a target amount >= 0")
    assert str(info.value) == (
        "a target of -1 cannot be split (expected an amount >= 0)\nHint: give a target amount >= 0"
    )
    with pytest.raises(InputError) as info:
        decompose_target(100, "2026-11", "quarter")
    hint = "split a quarter into months or weeks, a year into quarters, months or weeks"
    assert info.value.expected == "a period at least as long as the parts"
    assert info.value.hint == hint
    assert str(info.value) == (
        "'2026-11' cannot be split into quarters "
        f"(expected a period at least as long as the parts)\nHint: {hint}"
    )


# --- allocate_cents: refusals and integer cents ------------------------------------------------
@pytest.mark.parametrize("weights", [[0, 0], [2, -1]])
def test_allocate_cents_refuses_weights_without_a_positive_part(weights: list[int]) -> None:
    with pytest.raises(InputError) as info:
        allocate_cents(5, weights)
    assert info.value.hint == "give each part a weight >= 0, at least one above 0"
    assert str(info.value) == (
        f"weights {weights} must be >= 0 and not all 0\n"
        "Hint: give each part a weight >= 0, at least one above 0"
    )


def test_allocate_cents_returns_whole_cents_for_float_inputs() -> None:
    # weights and totals read from a float column are whole numbers all the same
    one = allocate_cents(100.0, [1.0, 1.0, 1.0])
    assert (one.dtype, one.tolist()) == (np.int64, [34, 33, 33])
    many = allocate_cents(np.array([10.0, 11.0]), np.array([1.0, 3.0]))
    assert (many.dtype, many.tolist()) == (np.int64, [[3, 7], [3, 8]])


# --- plan_to_date: refusal, index and amounts -----------------------------------------------
def test_plan_to_date_refusal_names_the_week_rules() -> None:
    with pytest.raises(InputError) as info:
        plan_to_date(pd.Series([1.0]), "2026-Q4", "2026-W47", FOUR_WEEKS)
    hint = "the 4-weeks-a-month convention is for display; its weeks are not calendar weeks"
    assert (info.value.expected, info.value.hint) == ("week_rule 'working_days' or 'days'", hint)
    assert str(info.value) == (
        "plan to date needs a calendar week rule (expected week_rule 'working_days' or 'days')"
        f"\nHint: {hint}"
    )


def test_plan_to_date_keeps_the_targets_index() -> None:
    # 37 of 66 working days at W47; amounts held as Decimal (as a database returns money)
    amounts = pd.Series([Decimal("6600.00"), Decimal("13200.00")], index=["North", "West"])
    pd.testing.assert_series_equal(
        plan_to_date(amounts, "2026-Q4", "2026-W47"),
        pd.Series([3700.0, 7400.0], index=["North", "West"]),
    )


# --- progress: the whole frame ----------------------------------------------------------------
def test_progress_whole_frame_per_team_by_calendar_days() -> None:
    north = {"team": "North"}
    history = pd.DataFrame(
        [
            {**won("A", 3000.0, "2026-10-20"), **north},
            {**won("Z", 500.0, "2026-09-15"), **north},  # won in Q3: not Q4's
            {**won("S", 200.0, "2026-11-02"), "team": "South"},
        ]
    )
    targets = pd.DataFrame(
        {
            # West's total read without an owner at all; North's rep row and Q3 total
            # are not North's Q4 total; South has a target of 0
            "team": ["West", "North", "North", "North", "South"],
            "owner": [None, "", "Ann", "", ""],
            "period": ["2026-Q4", "2026-Q4", "2026-Q4", "2026-Q3", "2026-Q4"],
            "amount": [18400.0, 9200.0, 5000.0, 100.0, 0.0],
            "currency": ["EUR", "USD", "USD", "USD", "USD"],
        }
    )
    settings = PlanSettings(week_rule="days", alert_threshold=0.2)
    out = progress(history, targets, "2026-Q4", "2026-W47", settings=settings)
    # by calendar days W40 has 4 of Q4's 92 days, W41..W47 7 each: 53 of 92 by W47 ->
    # North 9200 x 53 / 92 = 5300, West 10600. North won 3000: 3000 / 9200 - 5300 / 9200
    # = -25 points, beyond the 20-point threshold; West won nothing: -57.6 points.
    # South's target of 0 has no plan: no percentage, no shares, on plan
    nan = float("nan")
    expected = pd.DataFrame(
        {
            "team": ["North", "South", "West"],
            "period": "2026-Q4",
            "as_of": "2026-W47",
            "currency": ["USD", "USD", "EUR"],
            "target": [9200.0, 0.0, 18400.0],
            "plan_to_date": [5300.0, 0.0, 10600.0],
            "won_deals": pd.Series([1, 1, 0], dtype="int64"),
            "won_to_date": [3000.0, 200.0, 0.0],
            "deviation": [-2300.0, 200.0, -10600.0],
            "deviation_pct": [-2300 / 5300, nan, -1.0],
            "expected_share": [53 / 92, nan, 53 / 92],
            "won_share": [3000 / 9200, nan, 0.0],
            "points": [-0.25, nan, -53 / 92],
            "status": ["behind", "on plan", "behind"],
            "threshold": 0.2,
            "alert": [True, False, True],
        }
    )
    pd.testing.assert_frame_equal(out, expected)


def test_progress_deviation_pct_for_a_plan_to_date_below_one() -> None:
    # targets kept in thousands: 6.6 (6,600) has 0.2 planned at W40 (2 of 66 working days)
    targets = pd.DataFrame(
        {"team": "N", "owner": "", "period": "2026-Q4", "amount": [6.6], "currency": "USD"}
    )
    history = pd.DataFrame([won("A", 3.0, "2026-12-20")])
    out = progress(history, targets, "2026-Q4", "2026-W40").iloc[0]
    assert (out["plan_to_date"], out["won_to_date"], out["won_deals"]) == (0.2, 0.0, 0)
    assert out["deviation_pct"] == -1.0


def test_split_weights_are_whole_numbers_by_capacity_and_equal() -> None:
    # capacity 1.0 and 0.5 scaled by a million; equal shares are one each: int64, not float
    rows = pd.DataFrame({"owner": ["Ann", "Bob"], "capacity": [1.0, 0.5]})
    weights, rule = split_weights(
        rows, "N", "2026-Q4", ["Ann", "Bob"], PlanSettings(rep_split="capacity")
    )
    assert (rule, weights.dtype, weights.tolist()) == (
        "capacity",
        np.dtype("int64"),
        [1_000_000, 500_000],
    )
    equal, rule = split_weights(
        rows[["owner"]], "N", "2026-Q4", ["Ann", "Bob"], PlanSettings(rep_split="equal")
    )
    assert (rule, equal.dtype, equal.tolist()) == ("equal", np.dtype("int64"), [1, 1])
