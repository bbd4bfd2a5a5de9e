"""Boundary tests of the forecast, trend and account thresholds (:class:`ForecastSettings`,
:class:`TrendSettings`, :class:`ABCSettings`): each rule just below, exactly at and just
above its threshold, at the default setting and at another one. Where several cases fit in
one call they are teams of their own (``below``, ``at``, ``above``): each team is judged
on its own deals."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from _boundaries import boundary
from pipereview.diagnostics._accounts import ABCSettings, abc_accounts
from pipereview.diagnostics._accountservice import revenue_window, service_coverage
from pipereview.diagnostics._calibration import stage_calibration
from pipereview.diagnostics._forecast import ForecastSettings, period_forecast, win_rates
from pipereview.diagnostics._trends import TrendSettings, rep_comparison, weekly_metrics

AS_OF = "2026-W47"  # Monday 16 - Sunday 22 November 2026
SIDES = ("below", "at", "above")


def _row(
    deal_id: str,
    stage: str,
    amount: float = 100.0,
    close: str = "2026-12-15",
    *,
    week: str = AS_OF,
    team: str = "N",
    owner: str = "Ann",
    model: str = "generic_4",
) -> dict[str, Any]:
    return {
        "snapshot_week": week,
        "team": team,
        "deal_id": f"{team}-{deal_id}",
        "deal_name": deal_id,
        "account": deal_id,
        "owner": owner,
        "stage": stage,
        "stage_model": model,
        "amount": amount,
        "currency": "USD",
        "close_date": pd.Timestamp(close),
        "created_date": pd.Timestamp("2026-06-01"),
        "probability": None,
        "forecast_category": "pipeline",
    }


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows).astype({"probability": "float64", "amount": "float64"})


# --- forecast.win_rate_weeks ------------------------------------------------------------


@boundary("forecast.win_rate_weeks")
@pytest.mark.parametrize(
    ("weeks", "closes", "win_rates_seen"),
    [
        # 13 weeks ending Sunday 22 November start on Monday 24 August
        (13, ("2026-08-23", "2026-08-24", "2026-08-25"), [1.0, 0.9, 0.9]),
        # 4 weeks start on Monday 26 October
        (4, ("2026-10-25", "2026-10-26", "2026-10-27"), [1.0, 0.9, 0.9]),
    ],
)
def test_a_deal_closed_on_the_first_day_of_the_win_rate_window_counts(
    weeks: int, closes: tuple[str, str, str], win_rates_seen: list[float]
) -> None:
    # each team: 9 deals won on 10 November and one lost on the day given
    rows = [
        row
        for team, close in zip(SIDES, closes, strict=True)
        for row in [
            *(_row(f"won-{i}", "won", close="2026-11-10", team=team) for i in range(9)),
            _row("lost", "lost", close=close, team=team),
        ]
    ]
    settings = ForecastSettings(win_rate_weeks=weeks)
    rates = win_rates(_frame(rows), AS_OF, settings=settings).set_index("team")
    assert rates.loc[list(SIDES), "win_rate"].tolist() == win_rates_seen


# --- forecast.min_closed_deals ----------------------------------------------------------


@boundary("forecast.min_closed_deals")
@pytest.mark.parametrize(
    ("min_closed", "closed", "verdicts"),
    [
        (5, (4, 5, 6), ["no win rate", "short", "short"]),
        (2, (1, 2, 3), ["no win rate", "short", "short"]),
    ],
)
def test_exactly_min_closed_deals_gives_a_win_rate(
    min_closed: int, closed: tuple[int, int, int], verdicts: list[str]
) -> None:
    # each team: one open deal of 100 against a 2026-Q4 target of 1,000 (coverage 0.1),
    # one deal won in September, the rest of its closed deals lost in November
    rows = []
    for team, n in zip(SIDES, closed, strict=True):
        rows.append(_row("open", "negotiation", team=team))
        rows.append(_row("won", "won", close="2026-09-15", team=team))
        rows += [_row(f"lost-{i}", "lost", close="2026-11-05", team=team) for i in range(n - 1)]
    targets = pd.DataFrame(
        {"team": list(SIDES), "owner": "", "period": "2026-Q4", "amount": 1000.0, "currency": "USD"}
    )
    settings = ForecastSettings(min_closed_deals=min_closed)
    out = period_forecast(_frame(rows), targets, "2026-Q4", AS_OF, settings=settings)
    out = out.set_index("team").loc[list(SIDES)]
    assert out["closed_in_window"].tolist() == list(closed)
    assert out["verdict"].tolist() == verdicts
    assert out["win_rate"].notna().tolist() == [False, True, True]


# --- forecast.min_calibration_deals, forecast.calibration_tolerance ----------------------


def _calibration_rows(
    won: int,
    lost: int,
    *,
    team: str = "N",
    model: str = "generic_4",
    stage: str = "negotiation",
    still_open: int = 0,
    recent: int = 0,
) -> list[dict[str, Any]]:
    """``won + lost + still_open`` deals open in ``stage`` since 2026-W20 (27 weeks before
    the as-of week: longer than any shipped stage's typical time to close, so they count),
    ``won`` of them won and ``lost`` lost in W47, the rest still there; and ``recent``
    deals that reached the stage in W46 and were lost in W47 (too recent: not counted)."""
    rows = []
    outcomes = ["won"] * won + ["lost"] * lost + [stage] * still_open
    for i, outcome in enumerate(outcomes):
        for week, seen in (("2026-W20", stage), (AS_OF, outcome)):
            rows.append(_row(f"d{i}", seen, close="2026-11-20", week=week, team=team, model=model))
    for i in range(recent):
        for week, seen in (("2026-W46", stage), (AS_OF, "lost")):
            rows.append(_row(f"r{i}", seen, close="2026-11-20", week=week, team=team, model=model))
    return rows


@boundary("forecast.min_calibration_deals")
@pytest.mark.parametrize(
    ("min_deals", "resolved"),
    [
        (10, ((7, 2), (7, 3), (8, 3))),  # 9, 10, 11 resolved: about 75% won
        (4, ((2, 1), (3, 1), (4, 1))),  # 3, 4, 5 resolved
    ],
)
def test_exactly_min_calibration_deals_resolved_gives_a_verdict(
    min_deals: int, resolved: tuple[tuple[int, int], ...]
) -> None:
    rows = [
        row
        for team, (won, lost) in zip(SIDES, resolved, strict=True)
        for row in _calibration_rows(won, lost, team=team, recent=3)
    ]
    settings = ForecastSettings(min_calibration_deals=min_deals)
    out = stage_calibration(_frame(rows), AS_OF, settings).set_index("team").loc[list(SIDES)]
    assert (out["won"] + out["lost"]).tolist() == [min_deals - 1, min_deals, min_deals + 1]
    assert out["too_recent"].tolist() == [3, 3, 3]  # ended, but too recently to count
    assert out["verdict"].tolist() == ["too few", "calibrated", "calibrated"]


@boundary("forecast.calibration_tolerance")
@pytest.mark.parametrize(
    ("tolerance", "stage", "won", "verdicts"),
    [
        # `won` of 100 resolved deals won against the stage's configured probability;
        # 0.25 - 0.15 and 0.10 - 0.20 compute to exactly 0.1 and -0.1
        (0.10, "needs_confirmed", (16, 15, 14), ["calibrated", "calibrated", "optimistic"]),
        (0.10, "initial_contact", (19, 20, 21), ["calibrated", "calibrated", "pessimistic"]),
        # 0.25 - 0.05 and 0.25 - 0.45 compute to exactly 0.2 and -0.2
        (0.20, "needs_confirmed", (6, 5, 4), ["calibrated", "calibrated", "optimistic"]),
        (0.20, "needs_confirmed", (44, 45, 46), ["calibrated", "calibrated", "pessimistic"]),
    ],
)
def test_a_probability_exactly_calibration_tolerance_from_the_observed_is_calibrated(
    tolerance: float, stage: str, won: tuple[int, int, int], verdicts: list[str]
) -> None:
    rows = [
        row
        for team, n in zip(SIDES, won, strict=True)
        for row in _calibration_rows(n, 100 - n, team=team, stage=stage)
    ]
    settings = ForecastSettings(calibration_tolerance=tolerance)
    out = stage_calibration(_frame(rows), AS_OF, settings).set_index("team")
    out = out[out["stage"] == stage].loc[list(SIDES)]
    assert abs(out["difference"].iloc[1]) == tolerance  # "at" sits exactly on the edge
    assert out["verdict"].tolist() == verdicts


@boundary("forecast.calibration_tolerance")
@pytest.mark.parametrize(
    ("model", "stage", "won"),
    [
        ("industrial_b2b", "tender", 14),  # configured 80%, 14 of 20 won: 70%
        ("salesforce", "perception_analysis", 16),  # configured 70%, 16 of 20 won: 80%
    ],
)
def test_a_probability_exactly_10_points_from_the_observed_is_calibrated(
    model: str, stage: str, won: int
) -> None:
    rows = _calibration_rows(won, 20 - won, model=model, stage=stage)
    out = stage_calibration(_frame(rows), AS_OF).set_index("stage")
    assert out.loc[stage, "verdict"] == "calibrated"


# --- trends.flat --------------------------------------------------------------------------


def _directions(
    previous: float, values: tuple[float, ...], settings: TrendSettings | None = None
) -> list[str]:
    """The open pipeline's direction in 2026-W47 of teams whose one deal was worth
    ``previous`` in W46 and ``values[i]`` in W47."""
    teams = [f"T{i}" for i in range(len(values))]
    rows = [
        row
        for team, value in zip(teams, values, strict=True)
        for row in (
            _row("d", "negotiation", previous, week="2026-W46", team=team),
            _row("d", "negotiation", value, team=team),
        )
    ]
    out = weekly_metrics(_frame(rows), settings=settings)
    out = out[(out["metric"] == "open_pipeline") & (out["week"] == AS_OF)].set_index("team")
    return out.loc[teams, "direction"].tolist()


@boundary("trends.flat")
@pytest.mark.parametrize(
    ("flat", "values", "directions"),
    [
        # from 2,000: changes of 99, 100 (exactly 5%), 101, up and down
        (0.05, (2099, 2100, 2101), ["flat", "flat", "up"]),
        (0.05, (1901, 1900, 1899), ["flat", "flat", "down"]),
        # flat 10%: changes of 199, 200, 201
        (0.10, (2199, 2200, 2201), ["flat", "flat", "up"]),
        (0.10, (1801, 1800, 1799), ["flat", "flat", "down"]),
    ],
)
def test_a_change_of_exactly_flat_of_last_week_is_flat(
    flat: float, values: tuple[float, ...], directions: list[str]
) -> None:
    assert _directions(2000.0, values, TrendSettings(flat=flat)) == directions


@boundary("trends.flat")
def test_an_amount_with_cents_changing_by_exactly_flat_is_flat() -> None:
    assert _directions(10002.0, (10502.1,)) == ["flat"]


# --- trends.band, trends.min_deals --------------------------------------------------------


def _rep_rows(
    team: str, pipelines: dict[str, float], deals: dict[str, int]
) -> list[dict[str, Any]]:
    """Each rep of ``team`` with ``deals[rep]`` open deals (5 when not given) worth
    ``pipelines[rep]`` in all: one deal of the rest and deals of 1."""
    rows = []
    for owner, amount in pipelines.items():
        n = deals.get(owner, 5)
        amounts = [amount - (n - 1)] + [1.0] * (n - 1)
        rows += [
            _row(f"{owner}-{i}", "negotiation", a, team=team, owner=owner)
            for i, a in enumerate(amounts)
        ]
    return rows


def _ann(rows: list[dict[str, Any]], teams: list[str], settings: TrendSettings) -> pd.DataFrame:
    """Ann's open-pipeline verdict and note in each of ``teams``."""
    out = rep_comparison(_frame(rows), AS_OF, settings=settings)
    out = out[(out["owner"] == "Ann") & (out["metric"] == "open_pipeline")]
    return out.set_index("team").loc[teams]


# the other reps of each team: the median of the five is 1,000 wherever Ann falls
_OTHERS = {"Bo": 100.0, "Cy": 1000.0, "Di": 1000.0, "Ed": 5000.0}


@boundary("trends.band")
@pytest.mark.parametrize(
    ("band", "ann", "verdicts"),
    [
        (0.20, (1199, 1200, 1201), ["in line", "in line", "above"]),  # 1,200: exactly +20%
        (0.20, (801, 800, 799), ["in line", "in line", "below"]),  # 800: exactly -20%
        (0.50, (1499, 1500, 1501), ["in line", "in line", "above"]),
        (0.50, (501, 500, 499), ["in line", "in line", "below"]),
    ],
)
def test_a_rep_exactly_band_from_the_team_median_is_in_line(
    band: float, ann: tuple[float, float, float], verdicts: list[str]
) -> None:
    rows = [
        row
        for team, value in zip(SIDES, ann, strict=True)
        for row in _rep_rows(team, {"Ann": value, **_OTHERS}, {})
    ]
    out = _ann(rows, list(SIDES), TrendSettings(band=band))
    assert out["team_median"].tolist() == [1000.0] * 3
    assert out["verdict"].tolist() == verdicts


@boundary("trends.band")
def test_a_rep_with_cents_exactly_band_from_the_team_median_is_in_line() -> None:
    rows = [
        *_rep_rows(
            "up", {"Ann": 12001.2, "Bo": 100.0, "Cy": 10001.0, "Di": 10001.0, "Ed": 9e4}, {}
        ),
        *_rep_rows(
            "down", {"Ann": 8000.08, "Bo": 100.0, "Cy": 10000.1, "Di": 10000.1, "Ed": 9e4}, {}
        ),
    ]
    out = _ann(rows, ["up", "down"], TrendSettings())
    assert out["verdict"].tolist() == ["in line", "in line"]


@boundary("trends.min_deals")
@pytest.mark.parametrize(
    ("min_deals", "deals"),
    [
        (5, (4, 5, 6)),
        (3, (2, 3, 4)),
    ],
)
def test_a_rep_with_exactly_min_deals_gets_a_verdict(
    min_deals: int, deals: tuple[int, int, int]
) -> None:
    # every rep's open pipeline is 1,000, so a rep judged is in line
    rows = [
        row
        for team, n in zip(SIDES, deals, strict=True)
        for row in _rep_rows(
            team, {"Ann": 1000.0, "Bo": 1000.0, "Cy": 1000.0}, {"Ann": n, "Bo": 10, "Cy": 10}
        )
    ]
    out = _ann(rows, list(SIDES), TrendSettings(min_deals=min_deals))
    assert out["verdict"].tolist() == ["", "in line", "in line"]
    assert out["note"].tolist() == [f"too few deals: {min_deals - 1} < {min_deals}", "", ""]


# --- accounts.a_share, accounts.b_share ----------------------------------------------------


def _classes(
    amounts: dict[str, list[float]], settings: ABCSettings | None = None
) -> dict[str, list[str]]:
    """The ABC class of each team's accounts, largest first (accounts a, b, c, ... won
    ``amounts[team]``)."""
    won = pd.DataFrame(
        [
            {"team": team, "account": chr(ord("a") + i), "amount": amount}
            for team, per_account in amounts.items()
            for i, amount in enumerate(per_account)
        ]
    )
    out = abc_accounts(won, settings=settings)
    return {team: out.loc[out["team"] == team, "abc"].tolist() for team in amounts}


@boundary("accounts.a_share")
@pytest.mark.parametrize(
    ("settings", "first"),
    [
        # a total of 100.00; b follows accounts making 79.99%, exactly 80% and 80.01%
        # (a_accounts=1: no cap on the number of A accounts, the value line alone)
        (ABCSettings(a_accounts=1.0), (79.99, 80.0, 80.01)),
        (ABCSettings(a_share=0.5, b_share=0.45, a_accounts=1.0), (49.99, 50.0, 50.01)),
    ],
)
def test_an_account_after_exactly_a_share_of_revenue_is_not_a(
    settings: ABCSettings, first: tuple[float, float, float]
) -> None:
    # the account whose own revenue brings the total exactly to a_share is still A
    amounts = {side: [a, 10.0, 90.0 - a] for side, a in zip(SIDES, first, strict=True)}
    assert _classes(amounts, settings) == {
        "below": ["A", "A", "B"],
        "at": ["A", "B", "B"],
        "above": ["A", "B", "B"],
    }


@boundary("accounts.b_share")
@pytest.mark.parametrize(
    ("settings", "first"),
    [
        # a total of 100.00: a makes 80%, c follows a and b making 94.99%, 95%, 95.01%
        (ABCSettings(), (14.99, 15.0, 15.01)),
        # a makes 60%, c follows 89.99%, 90%, 90.01% (a_share + b_share = 0.6 + 0.3)
        (ABCSettings(a_share=0.6, b_share=0.3), (29.99, 30.0, 30.01)),
    ],
)
def test_an_account_after_exactly_a_share_plus_b_share_of_revenue_is_c(
    settings: ABCSettings, first: tuple[float, float, float]
) -> None:
    a = settings.a_share * 100
    amounts = {side: [a, b, 2.0, 98.0 - a - b] for side, b in zip(SIDES, first, strict=True)}
    assert _classes(amounts, settings) == {
        "below": ["A", "B", "B", "C"],
        "at": ["A", "B", "C", "C"],
        "above": ["A", "B", "C", "C"],
    }


@boundary("accounts.b_share")
def test_an_account_after_exactly_95_percent_of_10000_is_c() -> None:
    # a 8,000 (80%), b 1,500 (to 95%), c 300, d 200
    assert _classes({"N": [8000.0, 1500.0, 300.0, 200.0]}) == {"N": ["A", "B", "C", "C"]}


# --- accounts.a_accounts, b_growth, b_accounts, revenue_weeks, contact days ----------------


@boundary("accounts.a_accounts")
@pytest.mark.parametrize(
    ("accounts", "a_count"),
    [
        (9, 1),  # 2 of 9 accounts would be 22.2%: just above 20%, so only the first is A
        (10, 2),  # 2 of 10 is exactly 20%: A
        (11, 2),  # 2 of 11 is 18.2%: A, and a third (27.3%) is not
        (15, 3),  # 3 of 15 is exactly 20% (0.2 x 15 is 3.0000000000000004 in floating point)
    ],
)
def test_the_a_class_holds_at_most_a_accounts_of_the_accounts(accounts: int, a_count: int) -> None:
    # four large accounts (a 40, b 39, c 38, d 37) all inside the value line, the rest 0.10
    # to 0.20 each, distinct: only the cap decides how many of the four are A
    amounts = [40.0, 39.0, 38.0, 37.0] + [0.1 + 0.01 * i for i in range(accounts - 4)]
    out = abc_accounts(
        pd.DataFrame(
            {"team": "N", "account": [f"x{i:02d}" for i in range(accounts)], "amount": amounts}
        )
    )
    assert out["abc"].tolist()[:4] == ["A"] * a_count + ["B"] * (4 - a_count)
    assert out["a_note"].tolist()[:4] == [""] * a_count + ["cap"] * (4 - a_count)


def _growth_class(won: dict[str, float], room: dict[str, float], settings: ABCSettings) -> str:
    """The class of account ``x`` among accounts won ``won`` with open pipeline ``room``."""
    frame = pd.DataFrame({"team": "N", "account": list(won), "amount": list(won.values())})
    open_deals = pd.DataFrame({"team": "N", "account": list(room), "amount": list(room.values())})
    out = abc_accounts(frame, open_deals=open_deals, settings=settings).set_index("account")
    return str(out.loc["x", "abc"])


@boundary("accounts.b_growth")
@pytest.mark.parametrize(("room", "expected"), [(49.99, "C"), (50.0, "B"), (50.01, "B")])
def test_growth_room_of_exactly_b_growth_of_the_revenue_makes_b(room: float, expected: str) -> None:
    # x won 100: a room of 50 is exactly half its revenue (the only candidate: B)
    assert _growth_class({"big": 1000.0, "x": 100.0}, {"x": room}, ABCSettings()) == expected


@boundary("accounts.b_accounts")
@pytest.mark.parametrize(
    ("accounts", "b_count"),
    [
        (9, 2),  # 3 of 9 accounts would be 33.3%: just above 30%
        (10, 3),  # 3 of 10 is exactly 30%: B
        (11, 3),  # 3 of 11 is 27.3%: B, and a fourth (36.4%) is not
    ],
)
def test_b_holds_at_most_b_accounts_of_the_accounts(accounts: int, b_count: int) -> None:
    # no revenue, so no A; every account grows, rooms 100, 99, 98 …: the cap decides
    rooms = {f"x{i:02d}": 100.0 - i for i in range(accounts)}
    frame = pd.DataFrame({"team": "N", "account": list(rooms), "amount": list(rooms.values())})
    out = abc_accounts(frame.iloc[:0], open_deals=frame)
    assert out["abc"].tolist() == ["B"] * b_count + ["C"] * (accounts - b_count)
    assert out["abc_reason"].tolist()[b_count:] == ["b_cap"] * (accounts - b_count)
    # equal room is never split: with the third and fourth rooms equal, neither is B
    tied = frame.assign(amount=[100.0, 99.0, 98.0, 98.0, *[1.0] * (accounts - 4)])
    assert abc_accounts(frame.iloc[:0], open_deals=tied)["abc"].tolist()[:4] == [
        "B",
        "B",
        "C",
        "C",
    ]


@boundary("accounts.revenue_weeks")
@pytest.mark.parametrize("weeks", [52, 4])
def test_revenue_counts_close_dates_after_exactly_revenue_weeks_before_the_as_of_sunday(
    weeks: int,
) -> None:
    sunday = pd.Timestamp("2026-11-22")  # 2026-W47
    start = sunday - pd.Timedelta(weeks=weeks)
    dates = [start - pd.Timedelta(days=1), start, start + pd.Timedelta(days=1), sunday]
    won = pd.DataFrame({"close_date": [*dates, sunday + pd.Timedelta(days=1)]})
    kept = revenue_window(won, "2026-W47", ABCSettings(revenue_weeks=weeks))["close_date"]
    assert kept.tolist() == dates[2:]


@boundary("accounts.a_contact_days", "accounts.b_contact_days", "accounts.c_contact_days")
@pytest.mark.parametrize(("abc", "limit"), [("A", 14), ("B", 30), ("C", 91)])
def test_an_account_exactly_at_its_contact_interval_is_covered(abc: str, limit: int) -> None:
    classes = pd.DataFrame({"team": "N", "account": list(SIDES), "abc": abc})
    risks = pd.DataFrame(
        {
            "team": "N",
            "account": list(SIDES),
            "deal_id": ["D1", "D2", "D3"],
            "deal_name": "MES",
            "owner": "Ann",
            "amount": 10.0,
            "days_since_activity": [limit - 1.0, float(limit), limit + 1.0],
        }
    )
    out = service_coverage(classes, risks).set_index("account")
    assert out.loc[list(SIDES), "below_service"].tolist() == [False, False, True]
    assert set(out["contact_days"]) == {limit}
