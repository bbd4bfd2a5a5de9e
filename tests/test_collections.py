"""Collection diagnostics on hand-built invoices: the collection rate, overdue invoices and
days sales outstanding, each figure computed by hand (docs/collections.md).

The as-of week is 2026-W47: its Sunday, 2026-11-22, is the as-of day. An invoice due on
2026-10-23 is 30 days past due then, one due on 2026-10-22 is 31.
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
from pipereview.delivery import lint_text
from pipereview.diagnostics import (
    COLLECTION_COLUMNS,
    COLLECTION_LABELS,
    DSO_COLUMNS,
    LIFECYCLE_STAGES,
    OVERDUE_COLUMNS,
    CollectionSettings,
    collection_rate,
    collection_text,
    days_sales_outstanding,
    lifecycle_text,
    no_invoices_text,
    overdue_invoices,
)

WEEK = "2026-W47"
DAY = pd.Timestamp("2026-11-22")


def _days_before(days: int) -> pd.Timestamp:
    return DAY - pd.Timedelta(days=days)


def _inv(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Invoices in the canonical columns; each row overrides the defaults (an unpaid
    invoice of 1000 EUR of North's Ann to Acme, dated 60 days and due 45 days before the
    as-of day)."""
    full = []
    for number, row in enumerate(rows, start=2):
        base: dict[str, Any] = {
            "invoice_id": f"F{number}",
            "account": "Acme",
            "deal_id": None,
            "invoice_date": _days_before(60),
            "due_date": _days_before(45),
            "amount": 1000.0,
            "currency": "EUR",
            "paid_amount": 0.0,
            "paid_date": pd.NaT,
            "owner": "Ann",
            "team": "North",
            "source_file": "invoices.csv",
            "source_row": number,
        }
        base.update(row)
        full.append(base)
    frame = pd.DataFrame(full)
    for column in ("invoice_date", "due_date", "paid_date"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


# --- collection rate ----------------------------------------------------------------------


def test_the_collection_rate_by_hand() -> None:
    invoices = _inv(
        [
            {"amount": 1000.0, "paid_amount": 1000.0, "paid_date": _days_before(40)},
            {"amount": 500.0, "paid_amount": 200.0, "paid_date": _days_before(10)},  # in part
            {"amount": 300.0, "due_date": DAY + pd.Timedelta(days=5)},  # not due yet
        ]
    )
    out = collection_rate(invoices, WEEK)
    assert list(out.columns) == ["team", *COLLECTION_COLUMNS]
    row = out.iloc[0].to_dict()
    assert row["invoices_due"] == 2
    assert row["due_amount"] == 1500.0
    assert row["collected"] == 1200.0
    assert row["outstanding"] == 300.0
    assert row["collection_rate"] == pytest.approx(0.8)
    assert row["overdue_invoices"] == 1 and row["overdue_amount"] == 300.0
    assert row["status"] == "below_min" and row["currency"] == "EUR"


def test_a_payment_after_the_as_of_day_is_not_known_yet() -> None:
    late = {"paid_amount": 1000.0, "paid_date": DAY + pd.Timedelta(days=1)}
    on_the_day = {"paid_amount": 1000.0, "paid_date": DAY, "team": "South"}
    out = collection_rate(_inv([late, on_the_day]), WEEK).set_index("team")
    assert out.loc["North", "collected"] == 0.0 and out.loc["North", "outstanding"] == 1000.0
    assert out.loc["North", "collection_rate"] == 0.0
    assert out.loc["South", "collected"] == 1000.0 and out.loc["South", "status"] == "ok"
    listed = overdue_invoices(_inv([late]), WEEK)
    assert listed[["paid_at_as_of", "owed", "days_overdue"]].iloc[0].tolist() == [0.0, 1000.0, 45]


def test_a_payment_without_a_date_counts_as_made() -> None:
    out = collection_rate(_inv([{"paid_amount": 1000.0}]), WEEK)
    assert out.loc[0, "collected"] == 1000.0


def test_nothing_due_gives_no_rate_and_no_division() -> None:
    invoices = _inv([{"due_date": DAY + pd.Timedelta(days=1)}])
    out = collection_rate(invoices, WEEK)
    assert out.loc[0, "collection_rate"] is None
    assert out.loc[0, "status"] == "nothing_due"
    assert out.loc[0, ["invoices_due", "due_amount", "outstanding"]].tolist() == [0, 0.0, 0.0]
    assert collection_text("nothing_due") == "nothing due yet"
    assert collection_text("nothing_due", "zh") == "尚无到期应收"


def test_an_invoice_dated_after_the_as_of_day_is_not_known() -> None:
    invoices = _inv([{}, {"invoice_date": DAY + pd.Timedelta(days=1), "due_date": DAY}])
    assert collection_rate(invoices, WEEK).loc[0, "due_amount"] == 1000.0
    assert len(overdue_invoices(invoices, WEEK)) == 1


def test_an_overpaid_invoice_owes_nothing() -> None:
    out = collection_rate(_inv([{"paid_amount": 1200.0, "paid_date": _days_before(1)}]), WEEK)
    assert out.loc[0, ["collected", "outstanding", "collection_rate"]].tolist() == [
        1000.0,
        0.0,
        1.0,
    ]


@boundary("collections.min_rate")
def test_a_rate_below_min_rate_is_flagged_and_one_at_it_is_not() -> None:
    paid = {"North": 900.0, "South": 899.0, "West": 901.0}
    invoices = _inv(
        [{"team": t, "paid_amount": p, "paid_date": _days_before(5)} for t, p in paid.items()]
    )
    status = collection_rate(invoices, WEEK).set_index("team")["status"].to_dict()
    assert status == {"North": "ok", "South": "below_min", "West": "ok"}
    higher = collection_rate(invoices, WEEK, CollectionSettings(min_rate=0.9005))
    assert higher.set_index("team")["status"].to_dict() == {
        "North": "below_min",
        "South": "below_min",
        "West": "ok",
    }


def test_per_rep_and_per_account() -> None:
    invoices = _inv(
        [
            {"owner": "Ann", "account": "Acme"},
            {"owner": "Bo", "account": "Acme", "paid_amount": 1000.0},
            {"owner": None, "account": "Beta"},
        ]
    )
    reps = collection_rate(invoices, WEEK, by="rep")
    assert reps[["owner", "collected"]].values.tolist() == [
        ["Ann", 0.0],
        ["Bo", 1000.0],
        [None, 0.0],
    ]
    accounts = collection_rate(invoices, WEEK, by="account")
    assert accounts[["account", "due_amount", "outstanding"]].values.tolist() == [
        ["Acme", 2000.0, 1000.0],
        ["Beta", 1000.0, 1000.0],
    ]
    with pytest.raises(InputError) as caught:
        collection_rate(invoices, WEEK, by="customer")  # type: ignore[arg-type]
    assert caught.value.message == "by must be 'team', 'rep' or 'account', got 'customer'"


def test_a_team_with_several_currencies_is_set_aside() -> None:
    invoices = _inv([{"currency": "EUR"}, {"currency": "USD"}, {"team": "South", "currency": None}])
    out = collection_rate(invoices, WEEK).set_index("team")
    assert out.loc["North", "status"] == "mixed_currencies"
    assert out.loc["North", "currency"] == "EUR, USD"
    assert out.loc["North", ["due_amount", "collected", "outstanding"]].isna().all()
    assert out.loc["North", "collection_rate"] is None
    assert out.loc["South", "currency"] is None and out.loc["South", "due_amount"] == 1000.0
    dso = days_sales_outstanding(invoices, WEEK).set_index("team")
    assert dso.loc["North", "reason"] == "mixed_currencies" and dso.loc["North", "dso"] is None
    assert collection_text("mixed_currencies", "zh") == "未汇总：该团队的发票涉及多种币种"


def test_a_frame_without_an_invoice_column_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        collection_rate(_inv([{}]).drop(columns=["paid_date"]), WEEK)
    assert caught.value.message == (
        "the invoices frame has no column paid_date (expected the invoices columns "
        "team, invoice_date, due_date, amount, paid_amount, paid_date)"
    )
    assert caught.value.column == "paid_date" and caught.value.hint


def test_an_invoice_without_an_amount_is_refused_with_its_row() -> None:
    with pytest.raises(InputError) as caught:
        overdue_invoices(_inv([{}, {"amount": None}]), WEEK)
    assert caught.value.message.startswith("an invoice without its invoice date")
    assert (caught.value.file, caught.value.row) == ("invoices.csv", 3)


def test_no_known_invoices_give_no_rows() -> None:
    future = _inv([{"invoice_date": DAY + pd.Timedelta(days=1)}])
    for frame in (future, future.iloc[:0]):
        assert list(collection_rate(frame, WEEK).columns) == ["team", *COLLECTION_COLUMNS]
        assert collection_rate(frame, WEEK).empty and overdue_invoices(frame, WEEK).empty
        assert list(days_sales_outstanding(frame, WEEK).columns) == list(DSO_COLUMNS)


def test_invoices_without_a_team_are_one_group() -> None:
    out = collection_rate(_inv([{}, {"team": None}, {"team": None}]), WEEK)
    assert out[["team", "due_amount"]].values.tolist() == [["North", 1000.0], [None, 2000.0]]


# --- overdue ------------------------------------------------------------------------------


@boundary("collections.overdue_days")
def test_exactly_overdue_days_past_due_is_not_flagged_one_more_is() -> None:
    invoices = _inv(
        [
            {"invoice_id": "A29", "due_date": _days_before(29)},
            {"invoice_id": "A30", "due_date": _days_before(30)},
            {"invoice_id": "A31", "due_date": _days_before(31)},
        ]
    )
    assert overdue_invoices(invoices, WEEK)["invoice_id"].tolist() == ["A31"]
    assert collection_rate(invoices, WEEK).loc[0, "overdue_invoices"] == 1
    shorter = overdue_invoices(invoices, WEEK, CollectionSettings(overdue_days=29))
    assert shorter["invoice_id"].tolist() == ["A31", "A30"]


def test_overdue_invoices_by_hand_sorted_by_owed_then_days() -> None:
    invoices = _inv(
        [
            {"invoice_id": "small", "due_date": _days_before(90), "amount": 100.0},
            {"invoice_id": "old", "due_date": _days_before(80), "paid_amount": 400.0},
            {"invoice_id": "new", "due_date": _days_before(45), "paid_amount": 400.0},
            {"invoice_id": "paid", "due_date": _days_before(99), "paid_amount": 1000.0},
            {"invoice_id": "big", "due_date": _days_before(31), "amount": 5000.0},
        ]
    )
    out = overdue_invoices(invoices, WEEK)
    assert list(out.columns) == list(OVERDUE_COLUMNS)
    assert out[["invoice_id", "owed", "days_overdue"]].values.tolist() == [
        ["big", 5000.0, 31],
        ["old", 600.0, 80],
        ["new", 600.0, 45],
        ["small", 100.0, 90],
    ]
    assert out["paid_at_as_of"].tolist() == [0.0, 400.0, 400.0, 0.0]
    assert out["source_row"].tolist() == [6, 3, 4, 2]


def test_an_export_without_optional_columns_lists_blanks_as_none() -> None:
    invoices = _inv([{}]).drop(columns=["invoice_id", "deal_id", "owner", "source_file"])
    out = overdue_invoices(invoices, WEEK)
    assert out.loc[0, ["invoice_id", "deal_id", "owner", "source_file"]].tolist() == [None] * 4
    assert out.loc[0, "account"] == "Acme"


def test_an_invoice_45_days_overdue_is_found() -> None:
    out = overdue_invoices(_inv([{"due_date": _days_before(45), "amount": 48000.0}]), WEEK)
    assert out[["days_overdue", "owed"]].iloc[0].tolist() == [45, 48000.0]
    assert collection_text("overdue", "zh") == "逾期"


# --- days sales outstanding ---------------------------------------------------------------


def test_dso_by_hand() -> None:
    invoices = _inv(
        [
            {"invoice_date": _days_before(52), "amount": 600.0, "paid_amount": 600.0,
             "paid_date": _days_before(33)},
            {"invoice_date": _days_before(21), "due_date": DAY + pd.Timedelta(days=9),
             "amount": 300.0},
            {"invoice_date": _days_before(174), "amount": 500.0, "paid_amount": 200.0,
             "paid_date": _days_before(150)},
        ]
    )  # fmt: skip
    out = days_sales_outstanding(invoices, WEEK)
    assert list(out.columns) == list(DSO_COLUMNS)
    row = out.iloc[0].to_dict()
    # receivables 300 + 300 = 600; invoiced in 90 days 600 + 300 = 900; 600 / 900 x 90 = 60
    assert (row["receivables"], row["invoiced_in_window"], row["window_days"]) == (600.0, 900.0, 90)
    assert row["dso"] == pytest.approx(60.0) and row["reason"] is None


def test_no_invoicing_in_the_window_gives_no_dso() -> None:
    out = days_sales_outstanding(_inv([{"invoice_date": _days_before(200)}]), WEEK)
    assert out.loc[0, "dso"] is None and out.loc[0, "reason"] == "nothing_invoiced"
    assert out.loc[0, "receivables"] == 1000.0 and out.loc[0, "invoiced_in_window"] == 0.0
    assert collection_text("nothing_invoiced") == "no invoices in the window: no DSO"


@boundary("collections.dso_days")
def test_the_dso_window_holds_dso_days_days() -> None:
    def invoiced(days: int, dso_days: int) -> float:
        invoices = _inv([{"invoice_date": _days_before(days), "due_date": DAY}])
        out = days_sales_outstanding(invoices, WEEK, CollectionSettings(dso_days=dso_days))
        return float(out.loc[0, "invoiced_in_window"])

    # the window is the as-of day and the dso_days - 1 days before it
    assert [invoiced(d, 90) for d in (88, 89, 90, 91)] == [1000.0, 1000.0, 0.0, 0.0]
    assert [invoiced(d, 30) for d in (29, 30, 31)] == [1000.0, 0.0, 0.0]


# --- settings, configuration, texts -------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"overdue_days": -1}, "overdue_days must be at least 0, got -1"),
        ({"dso_days": 0}, "dso_days must be at least 1, got 0"),
        ({"min_rate": 0.0}, "min_rate must be a share above 0 and at most 1, got 0.0"),
        ({"min_rate": 1.01}, "min_rate must be a share above 0 and at most 1, got 1.01"),
    ],
)
def test_settings_out_of_range_are_refused(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        CollectionSettings(**values)
    assert caught.value.message == message and "collections." in str(caught.value.hint)


def test_the_collections_section_of_a_configuration_file() -> None:
    config = Config.from_mapping({"collections": {"overdue_days": 45, "min_rate": 0.95}})
    assert config.collections == CollectionSettings(overdue_days=45, min_rate=0.95)
    assert config.to_mapping() == {"collections": {"overdue_days": 45, "min_rate": 0.95}}
    assert Config().collections == CollectionSettings()
    with pytest.raises(ConfigError, match=r"collections\.dso_days"):
        Config.from_mapping({"collections": {"dso_days": "ninety"}})


def test_every_label_in_both_languages() -> None:
    assert no_invoices_text() == "not available: no invoices export"
    assert no_invoices_text("zh") == "无法分析：没有开票回款导出"
    assert collection_text("collection_rate", "zh") == "回款率"
    assert collection_text("dso", "zh") == "应收账款周转天数"
    for key, (en, zh) in COLLECTION_LABELS.items():
        assert collection_text(key) == en and collection_text(key, "zh") == zh
        assert lint_text(en, "en") == [] and lint_text(zh, "zh") == [], key
    for stage in LIFECYCLE_STAGES:
        for lang in ("en", "zh"):
            assert lint_text(lifecycle_text(stage, lang, quarters=3), lang) == [], stage
    assert lint_text(no_invoices_text("zh"), "zh") == []
    with pytest.raises(InputError) as caught:
        collection_text("rate")
    assert caught.value.message.startswith("no reader's text for 'rate' (expected one of [")


# --- invariants ---------------------------------------------------------------------------

_invoice = st.fixed_dictionaries(
    {
        "team": st.sampled_from(["North", "South"]),
        "owner": st.sampled_from(["Ann", "Bo", None]),
        "invoice_date": st.integers(0, 400).map(_days_before),
        "due_in": st.integers(-10, 90),
        "amount": st.integers(0, 10**8).map(lambda c: c / 100),
        "paid_share": st.sampled_from([0.0, 0.25, 0.5, 1.0, 1.3]),
        "paid_in": st.one_of(st.none(), st.integers(-400, 30)),
    }
)


def _random_invoices(rows: list[dict[str, Any]]) -> pd.DataFrame:
    out = []
    for row in rows:
        row = dict(row)
        row["due_date"] = row["invoice_date"] + pd.Timedelta(days=row.pop("due_in"))
        row["paid_amount"] = round(row["amount"] * row.pop("paid_share"), 2)
        paid_in = row.pop("paid_in")
        row["paid_date"] = pd.NaT if paid_in is None else DAY + pd.Timedelta(days=paid_in)
        out.append(row)
    return _inv(out)


@settings(max_examples=60, deadline=None)
@given(st.lists(_invoice, min_size=1, max_size=12), st.sampled_from(["team", "rep", "account"]))
def test_collected_and_outstanding_make_up_what_is_due(rows: list[dict[str, Any]], by: str) -> None:
    invoices = _random_invoices(rows)
    out = collection_rate(invoices, WEEK, by=by)  # type: ignore[arg-type]
    assert ((out["collected"] + out["outstanding"] - out["due_amount"]).abs() < 1e-6).all()
    rates = out["collection_rate"].dropna().astype(float)
    assert ((rates >= 0) & (rates <= 1)).all()
    assert (out["overdue_amount"] <= out["outstanding"] + 1e-6).all()
    assert out["invoices_due"].sum() == int(
        ((invoices["due_date"] <= DAY) & (invoices["invoice_date"] <= DAY)).sum()
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(_invoice, min_size=1, max_size=12), st.integers(0, 60))
def test_every_overdue_invoice_is_owed_money_past_the_limit(
    rows: list[dict[str, Any]], overdue_days: int
) -> None:
    listed = overdue_invoices(
        _random_invoices(rows), WEEK, CollectionSettings(overdue_days=overdue_days)
    )
    assert (listed["owed"] > 0).all()
    assert (listed["days_overdue"] > overdue_days).all()
    assert (listed["owed"] <= listed["amount"]).all()
    owed = listed["owed"].tolist()
    assert owed == sorted(owed, reverse=True)
