"""The customer lifecycle on hand-built revenue: each stage at and around its thresholds,
accounts with too little history, and the two sources (invoices, won deals).

As of 2026-W47 (the as-of day 2026-11-22) the trailing quarters end on 2026-08-22 (the
first), 2026-05-22, 2026-02-22, 2025-11-22 (the fourth: the last four quarters are the
dates after it), 2025-08-22, 2025-05-22, 2025-02-22 and 2024-11-22 (the eighth: the four
before are the dates after it up to 2025-11-22).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _boundaries import boundary
from pipereview.config import Config
from pipereview.core._errors import ConfigError, InputError
from pipereview.diagnostics import (
    LIFECYCLE_COLUMNS,
    LIFECYCLE_STAGES,
    LifecycleSettings,
    customer_lifecycle,
    lifecycle_text,
)

WEEK = "2026-W47"
DAY = pd.Timestamp("2026-11-22")
PRIOR = "2024-12-01"  # in the eighth quarter back: the four quarters before
LAST = "2026-01-15"  # in the last four quarters
#: an account of the team's with revenue long ago: the team's revenue reaches back 3 years
OLD = ("Old", "2023-11-01", 10.0)


def _rev(*rows: tuple[str, str, float], team: str = "North", **extra: Any) -> pd.DataFrame:
    """Invoices of ``team``: (account, invoice date, amount) each, in EUR."""
    frame = pd.DataFrame(
        {
            "invoice_id": [f"F{i}" for i in range(len(rows))],
            "account": [r[0] for r in rows],
            "invoice_date": pd.to_datetime([r[1] for r in rows]),
            "amount": [float(r[2]) for r in rows],
            "team": team,
            "currency": "EUR",
        }
    )
    return frame.assign(due_date=frame["invoice_date"] + pd.Timedelta(days=30), **extra)


def _stages(frame: pd.DataFrame, **values: Any) -> dict[str, str]:
    out = customer_lifecycle(frame, as_of=WEEK, settings=LifecycleSettings(**values))
    return dict(zip(out["account"], out["stage"], strict=True))


def _pair(account: str, last: float, prior: float = 1000.0) -> list[tuple[str, str, float]]:
    return [(account, PRIOR, prior), (account, LAST, last)]


def test_the_lifecycle_by_hand() -> None:
    frame = _rev(
        OLD,
        *_pair("Grow", 1500.0),
        *_pair("Flat", 1000.0),
        *_pair("Fall", 500.0),
        ("New", "2026-03-01", 200.0),
    )
    out = customer_lifecycle(frame, as_of=WEEK)
    assert list(out.columns) == list(LIFECYCLE_COLUMNS)
    rows = out.set_index("account")
    assert rows.loc["Grow", ["revenue_last_4q", "revenue_prior_4q"]].tolist() == [1500.0, 1000.0]
    assert rows.loc["Grow", "change"] == pytest.approx(0.5)
    assert rows["stage"].to_dict() == {
        "Fall": "decline",
        "Flat": "maturity",
        "Grow": "growth",
        "New": "introduction",
        "Old": "decline",  # no revenue in eight quarters
    }
    assert rows.loc["New", "first_revenue_date"] == pd.Timestamp("2026-03-01")
    assert rows.loc["New", "quarters_stored"] == 3 and rows.loc["New", "change"] is None
    assert rows.loc["Old", "quarters_stored"] == 13 and rows.loc["Old", "change"] is None
    assert set(out["source"]) == {"invoices"} and set(out["currency"]) == {"EUR"}
    assert [lifecycle_text(s, "zh") for s in ("introduction", "growth", "maturity", "decline")] == [
        "引入期",
        "成长期",
        "成熟期",
        "衰退期",
    ]


@boundary("lifecycle.growth")
def test_growth_is_more_than_growth_above_the_year_before() -> None:
    frame = _rev(OLD, *_pair("At", 1100.0), *_pair("Below", 1099.99), *_pair("Above", 1100.01))
    assert _stages(frame) == {"Old": "decline", "At": "maturity", "Below": "maturity",
                              "Above": "growth"}  # fmt: skip
    frame = _rev(OLD, *_pair("At", 1200.0), *_pair("Below", 1199.99), *_pair("Above", 1200.01))
    assert _stages(frame, growth=0.2) == {"Old": "decline", "At": "maturity",
                                          "Below": "maturity", "Above": "growth"}  # fmt: skip


@boundary("lifecycle.decline")
def test_decline_is_more_than_decline_below_the_year_before() -> None:
    frame = _rev(OLD, *_pair("At", 900.0), *_pair("Below", 899.99), *_pair("Above", 900.01))
    assert _stages(frame) == {"Old": "decline", "At": "maturity", "Below": "decline",
                              "Above": "maturity"}  # fmt: skip
    frame = _rev(OLD, *_pair("At", 750.0), *_pair("Below", 749.99), *_pair("Above", 750.01))
    assert _stages(frame, decline=0.25) == {"Old": "decline", "At": "maturity",
                                            "Below": "decline", "Above": "maturity"}  # fmt: skip


@boundary("lifecycle.new_quarters")
def test_introduction_is_a_first_revenue_within_new_quarters() -> None:
    frame = _rev(
        OLD,
        ("Q3", "2026-01-10", 1.0),
        ("Q4", "2025-11-23", 1.0),  # the fourth quarter's first day
        ("Q5", "2025-11-22", 1.0),  # the fifth quarter's last day
    )
    assert _stages(frame) == {
        "Old": "decline",
        "Q3": "introduction",
        "Q4": "introduction",
        "Q5": "not_enough_history",
    }
    frame = _rev(
        OLD, ("Q1", "2026-09-01", 1.0), ("Q2", "2026-06-01", 1.0), ("Q3", "2026-03-01", 1.0)
    )
    assert _stages(frame, new_quarters=2) == {
        "Old": "decline",
        "Q1": "introduction",
        "Q2": "introduction",
        "Q3": "not_enough_history",
    }


def test_an_account_is_judged_on_eight_quarters_of_history() -> None:
    frame = _rev(
        OLD,
        ("Q7", "2025-03-01", 1000.0),
        ("Q7", LAST, 1000.0),
        ("Q8", "2024-11-23", 1000.0),
        ("Q8", LAST, 1000.0),
        ("Q9", "2024-11-22", 1000.0),
        ("Q9", LAST, 1000.0),
    )
    out = customer_lifecycle(frame, as_of=WEEK).set_index("account")
    assert out["stage"].to_dict() == {
        "Old": "decline",
        "Q7": "not_enough_history",
        "Q8": "maturity",
        "Q9": "growth",  # its first revenue lies before the four quarters compared
    }
    assert out["quarters_stored"].to_dict() == {"Old": 13, "Q7": 7, "Q8": 8, "Q9": 9}
    assert out.loc["Q7", "change"] is None
    assert (
        lifecycle_text("not_enough_history", quarters=7) == "not enough history: 7 quarters stored"
    )


def test_an_account_with_one_quarter_of_history() -> None:
    out = customer_lifecycle(_rev(("Acme", "2026-10-01", 500.0)), as_of=WEEK)
    row = out.iloc[0]
    assert (row["stage"], row["quarters_stored"], row["revenue_last_4q"]) == (
        "not_enough_history",
        1,
        500.0,
    )
    assert lifecycle_text(row["stage"], quarters=row["quarters_stored"]) == (
        "not enough history: 1 quarter stored"
    )
    assert lifecycle_text(row["stage"], "zh", quarters=1) == "历史数据不足：仅有 1 个季度的数据"


def test_when_the_team_revenue_is_young_no_account_is_called_new() -> None:
    frame = _rev(("Acme", "2026-03-01", 1.0), ("Beta", "2026-09-01", 1.0))
    out = customer_lifecycle(frame, as_of=WEEK)
    assert out[["account", "stage", "quarters_stored"]].values.tolist() == [
        ["Acme", "not_enough_history", 3],
        ["Beta", "not_enough_history", 1],
    ]


def test_a_returning_and_a_dormant_customer() -> None:
    frame = _rev(("Back", "2024-01-01", 300.0), ("Back", "2026-06-01", 100.0), OLD)
    out = customer_lifecycle(frame, as_of=WEEK).set_index("account")
    assert out.loc["Back", "stage"] == "growth" and out.loc["Back", "change"] is None
    assert out.loc["Old", ["revenue_last_4q", "revenue_prior_4q"]].tolist() == [0.0, 0.0]
    assert out.loc["Old", "stage"] == "decline"


def test_blank_accounts_and_revenue_after_the_as_of_day_are_left_out() -> None:
    frame = _rev(
        OLD,
        *_pair("Acme", 1000.0),
        ("Acme", "2026-11-23", 5000.0),
        (" ", LAST, 9.0),
        (None, LAST, 9.0),
    )  # type: ignore[arg-type]
    out = customer_lifecycle(frame, as_of=WEEK)
    assert out["account"].tolist() == ["Acme", "Old"]
    assert out.loc[0, "revenue_last_4q"] == 1000.0 and out.loc[0, "stage"] == "maturity"


def test_a_team_with_several_currencies_is_set_aside() -> None:
    frame = pd.concat([_rev(*_pair("Acme", 1000.0)), _rev(("Beta", LAST, 1.0), currency="USD")])
    out = customer_lifecycle(frame, as_of=WEEK)
    assert set(out["stage"]) == {"mixed_currencies"} and set(out["currency"]) == {"EUR, USD"}
    assert lifecycle_text("mixed_currencies").startswith("not added up")


def _history() -> pd.DataFrame:
    rows = [
        ("2026-W40", "a", "Acme", "negotiation", 900.0, "2026-12-01"),
        ("2026-W47", "a", "Acme", "won", 1200.0, LAST),
        ("2026-W47", "b", "Acme", "won", 1000.0, PRIOR),
        ("2026-W47", "c", "Acme", "lost", 7000.0, LAST),
        ("2026-W47", "d", "Beta", "won", 50.0, "2026-06-01"),
        ("2026-W47", "e", "Core", "won", 70.0, "2023-01-01"),
    ]
    frame = pd.DataFrame(
        rows, columns=["snapshot_week", "deal_id", "account", "stage", "amount", "close_date"]
    )
    return frame.assign(
        team="North",
        owner="Ann",
        stage_model="generic_4",
        currency="EUR",
        close_date=pd.to_datetime(frame["close_date"]),
    )


def test_won_deals_from_the_history_when_there_are_no_invoices() -> None:
    out = customer_lifecycle(history=_history(), as_of=WEEK)
    assert out[["account", "revenue_last_4q", "revenue_prior_4q", "stage"]].values.tolist() == [
        ["Acme", 1200.0, 1000.0, "growth"],
        ["Beta", 50.0, 0.0, "introduction"],
        ["Core", 0.0, 0.0, "decline"],
    ]
    assert set(out["source"]) == {"won_deals"}
    both = customer_lifecycle(_rev(("Acme", LAST, 1.0)), _history(), as_of=WEEK)
    assert set(both["source"]) == {"invoices"}


def test_no_revenue_source_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        customer_lifecycle(as_of=WEEK)
    assert caught.value.message.startswith(
        "the customer lifecycle needs revenue: an invoices frame or the deals history"
    )
    with pytest.raises(InputError) as caught:
        customer_lifecycle(_rev(OLD).drop(columns=["account"]), as_of=WEEK)
    assert caught.value.message.startswith("the invoices frame has no column account")
    assert caught.value.column == "account" and caught.value.hint


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"growth": -0.1}, "growth must be at least 0, got -0.1"),
        ({"decline": 1.0}, "decline must be at least 0 and below 1, got 1.0"),
        ({"new_quarters": 0}, "new_quarters must be at least 1, got 0"),
    ],
)
def test_settings_out_of_range_are_refused(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        LifecycleSettings(**values)
    assert caught.value.message == message and "lifecycle." in caught.value.hint


def test_the_lifecycle_section_of_a_configuration_file() -> None:
    config = Config.from_mapping({"lifecycle": {"growth": 0.2, "new_quarters": 2}})
    assert config.lifecycle == LifecycleSettings(growth=0.2, new_quarters=2)
    assert config.to_mapping() == {"lifecycle": {"growth": 0.2, "new_quarters": 2}}
    with pytest.raises(ConfigError, match=r"lifecycle\.new_quarters"):
        Config.from_mapping({"lifecycle": {"new_quarters": 1.5}})


_row = st.tuples(
    st.sampled_from(["Acme", "Beta", "Core", "Dyn"]),
    st.integers(0, 1200).map(lambda d: str((DAY - pd.Timedelta(days=d)).date())),
    st.integers(0, 10**7).map(lambda c: c / 100),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_row, min_size=1, max_size=15), st.integers(1, 8))
def test_each_stage_follows_from_the_figures(
    rows: list[tuple[str, str, float]], new_quarters: int
) -> None:
    frame = _rev(*rows)
    out = customer_lifecycle(
        frame, as_of=WEEK, settings=LifecycleSettings(new_quarters=new_quarters)
    )
    assert set(out["stage"]) <= set(LIFECYCLE_STAGES)
    totals = frame.groupby("account")["amount"].sum()
    for row in out.itertuples():
        assert row.revenue_last_4q + row.revenue_prior_4q <= totals[row.account] + 1e-6
        if row.stage == "introduction":
            assert row.quarters_stored <= new_quarters
        if row.stage in ("growth", "maturity", "decline"):
            assert row.quarters_stored >= 8
        if row.change is not None:
            assert row.stage != "growth" or row.change > 0.1
            assert row.stage != "decline" or row.change < -0.1
            assert row.stage != "maturity" or -0.1 - 1e-9 <= row.change <= 0.1 + 1e-9


def test_no_revenue_gives_no_rows() -> None:
    only_blank = _rev((" ", LAST, 9.0), ("Acme", "2026-12-01", 1.0))
    for frame in (_rev(OLD).iloc[:0], only_blank):
        out = customer_lifecycle(frame, as_of=WEEK)
        assert out.empty and list(out.columns) == list(LIFECYCLE_COLUMNS)
