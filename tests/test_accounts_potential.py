"""ABC accounts by value and potential: hand-computed classes on small frames (flat
revenue, 20/80, the potential column, the pipeline rule, one account, no won deals), the
service level of each class checked against activity, the settings refused with a hint,
and the optional ``account_potential`` column read from every shipped map's exports."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipereview.config import Config
from pipereview.core._errors import ConfigError
from pipereview.core._stages import load_stage_model
from pipereview.diagnostics._accounts import ABCSettings, ServiceLevel, abc_accounts, abc_summary
from pipereview.ingest import read_export
from pipereview.ingest._columnmaps import REQUIRED_FIELDS, column_map_names, load_column_map


def _won(amounts: dict[str, float], team: str = "N") -> pd.DataFrame:
    return pd.DataFrame({"team": team, "account": list(amounts), "amount": list(amounts.values())})


def _classes(out: pd.DataFrame) -> dict[str, str]:
    return dict(zip(out["account"], out["abc"], strict=True))


# --- classes ----------------------------------------------------------------------------


def test_flat_revenue_makes_no_account_a() -> None:
    # ten accounts of 100: the value line (80%) would hold eight, the cap (20%) two, and
    # those two have the revenue of the eight left out: equal revenue is not split
    won = _won({f"a{i}": 100.0 for i in range(10)})
    out = abc_accounts(won)
    assert "A" not in set(out["abc"])
    assert out["a_note"].tolist() == ["tie"] * 8 + ["", ""]
    # revenue only (no pipeline, no potential): B is the next 15% of revenue after the
    # 80% line, i.e. the accounts ranked after less than 95%: all ten (900 < 950)
    assert set(out["abc"]) == {"B"} and set(out["b_rule"]) == {"revenue"}
    # with the pipeline rule and no open deal, no account grows: all C
    piped = abc_accounts(won, open_deals=_won({}))
    assert set(piped["abc"]) == {"C"} and set(piped["abc_reason"]) == {"no_growth"}
    summary = abc_summary(piped)
    assert summary[["abc", "accounts"]].values.tolist() == [["A", 0], ["B", 0], ["C", 10]]


def test_flat_revenue_with_one_growing_account() -> None:
    won = _won({f"a{i}": 100.0 for i in range(10)})
    # a3's pipeline of 60 is 60% of its revenue (>= 50%): the one B candidate (B may hold 3)
    out = abc_accounts(won, open_deals=_won({"a3": 60.0}))
    assert _classes(out) == {f"a{i}": "B" if i == 3 else "C" for i in range(10)}
    assert out.set_index("account").loc["a3", "abc_reason"] == "pipeline"


def test_twenty_eighty() -> None:
    # two accounts bring 800 of 1000: the 20% / 80% case of the method
    won = _won({"a": 400.0, "b": 400.0, **{f"c{i}": 25.0 for i in range(8)}})
    out = abc_accounts(won, open_deals=_won({}))
    assert out["abc"].tolist() == ["A", "A"] + ["C"] * 8
    assert out["abc_reason"].tolist()[:2] == ["value", "value"]
    summary = abc_summary(out).set_index("abc")
    assert summary.loc["A", "account_share"] == 0.2
    assert summary.loc["A", "revenue_share"] == 0.8


def test_potential_column_and_pipeline_fallback() -> None:
    won = pd.DataFrame(
        {
            "snapshot_week": ["2026-W47", "2026-W40", "2026-W47", "2026-W47"],
            "team": "N",
            "account": ["Acme", "Beta", "Beta", "Core"],
            "amount": [500.0, 0.0, 300.0, 200.0],
            # Beta's potential of 2000 in W40 is replaced by 900 in its latest week
            "account_potential": [400.0, 2000.0, 900.0, 250.0],
        }
    )
    open_deals = pd.DataFrame(
        {"snapshot_week": "2026-W47", "team": "N", "account": ["Dyn"], "amount": [100.0]}
    ).assign(account_potential=[None])
    wide = ABCSettings(b_accounts=0.5)
    out = abc_accounts(won, open_deals=open_deals, settings=wide).set_index("account")
    # revenue 1000, three accounts with revenue: the cap is one, Acme (500) is A.
    # rooms: Acme 0 (400 < 500), Beta 900 - 300 = 600 (>= 150), Core 250 - 200 = 50
    # (< 100), Dyn no potential: its pipeline 100 (no revenue): candidates Beta and Dyn,
    # and B may hold 2 of the 4 accounts
    assert out["potential"].tolist()[:3] == [400.0, 900.0, 250.0]
    assert pd.isna(out.loc["Dyn", "potential"])
    assert out["growth_room"].tolist() == [0.0, 600.0, 50.0, 100.0]
    assert out["abc"].tolist() == ["A", "B", "C", "B"]
    assert out["abc_reason"].tolist() == ["value", "potential", "no_growth", "pipeline"]
    # by default B holds 30% of 4 accounts, rounded down, at least one: Beta, the larger room
    default = abc_accounts(won, open_deals=open_deals).set_index("account")
    assert default["abc"].tolist() == ["A", "B", "C", "C"]
    assert default.loc["Dyn", "abc_reason"] == "b_cap"
    assert out["growth_source"].tolist() == ["potential", "potential", "potential", "pipeline"]
    assert set(out["b_rule"]) == {"potential"}


def test_one_account_and_no_won_deals() -> None:
    one = abc_accounts(_won({"Solo": 100.0}), open_deals=_won({}))
    assert one[["account", "abc", "share"]].values.tolist() == [["Solo", "A", 1.0]]
    # nothing won: no A; both grow, B holds one of the two: p, the larger room
    none = abc_accounts(_won({}), open_deals=_won({"p": 300.0, "q": 10.0}))
    assert _classes(none) == {"p": "B", "q": "C"}
    assert none["won_amount"].tolist() == [0.0, 0.0]


def test_deals_without_an_account_are_counted() -> None:
    won = _won({"a": 100.0, "": 5.0})
    open_deals = pd.DataFrame({"team": "N", "account": [None, "  ", "b"], "amount": 1.0})
    out = abc_accounts(won, open_deals=open_deals)
    assert out["account"].tolist() == ["a", "b"]
    assert set(out["unassigned_deals"]) == {3}


# --- settings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "message", "hint"),
    [
        ({"a_accounts": 0.0}, "a_accounts must be a share", "accounts.a_accounts"),
        ({"a_accounts": 1.5}, "a_accounts must be a share", "accounts.a_accounts"),
        ({"b_accounts": 0.0}, "b_accounts must be a share", "accounts.b_accounts"),
        ({"b_accounts": 1.2}, "b_accounts must be a share", "accounts.b_accounts"),
        ({"revenue_weeks": 0}, "revenue_weeks must be at least 1", "accounts.revenue_weeks"),
        ({"c_contact_days": 0}, "c_contact_days must be at least 1", "accounts.c_contact_days"),
        ({"b_contact_days": 10}, "contact days must grow from A to C", "a_contact_days <="),
    ],
)
def test_settings_are_refused_with_a_hint(
    values: dict[str, object], message: str, hint: str
) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        ABCSettings(**values)  # type: ignore[arg-type]
    assert hint in (caught.value.hint or "")


def test_service_levels_from_a_configuration_file() -> None:
    config = Config.from_mapping(
        {
            "accounts": {
                "a_contact_days": 7,
                "a_service": {"en": "key account manager", "zh": "大客户经理"},
            }
        }
    )
    settings = config.accounts
    assert settings.contact_days("A") == 7 and settings.service("A", "zh") == "大客户经理"
    assert settings.service("B") == "develop: a growth plan"
    assert Config.from_mapping(config.to_mapping()) == config
    with pytest.raises(ConfigError, match="accounts") as caught:
        Config.from_mapping({"accounts": {"a_service": {"en": "only English"}}})
    assert caught.value.hint
    with pytest.raises(ConfigError, match="both languages") as caught:
        ServiceLevel("senior owner", " ")
    assert "a_service" in (caught.value.hint or "")


# --- the optional account_potential column ------------------------------------------------


@pytest.mark.parametrize("name", column_map_names())
@pytest.mark.parametrize("header", ["Account Potential", "客户潜力", "Potential Revenue", "潜力"])
def test_every_map_reads_the_account_potential(tmp_path: Path, name: str, header: str) -> None:
    cmap = load_column_map(name)
    stage = load_stage_model(cmap.stage_model).known_names()[0]
    cells = {
        "deal_id": "D-1",
        "deal_name": "Packaging line",
        "owner": "Ann Lee",
        "stage": stage,
        "amount": "12000",
        "close_date": "2026-12-15",
        "created_date": "2026-10-01",
    }
    path = tmp_path / "export.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([cmap.columns[f][0] for f in REQUIRED_FIELDS] + [header])
        writer.writerow([cells[f] for f in REQUIRED_FIELDS] + ["25万"])
    result = read_export(path, week="2026-W47", column_map=name)
    assert result.ok, result.report.summary()
    assert result.snapshot["account_potential"].tolist() == [250000.0]


def test_a_blank_potential_is_unknown_and_a_bad_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    header = "商机编号,商机名称,客户名称,负责人,销售阶段,商机金额,预计成交日期,创建时间,客户潜力"
    rows = [
        "D1,MES,Acme,Ann,初步接触,100,2026-12-01,2026-10-01,1200000",
        "D2,WMS,Beta,Ann,初步接触,100,2026-12-01,2026-10-01,",
        "D3,ERP,Core,Ann,初步接触,100,2026-12-01,2026-10-01,-5",
        "D4,PLM,Dyn,Ann,初步接触,100,2026-12-01,2026-10-01,many",
    ]
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    result = read_export(path, week="2026-W47")
    snapshot = result.snapshot
    assert snapshot["deal_id"].tolist() == ["D1", "D2"]
    assert snapshot["account_potential"].iloc[0] == 1200000.0
    assert pd.isna(snapshot["account_potential"].iloc[1])
    problems = [p for p in result.report.problems if p.column == "客户潜力"]
    assert [p.row for p in problems] == [4, 5]
    assert all("an amount >= 0" in p.expected for p in problems)


def test_an_export_without_the_column_has_none(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "商机编号,商机名称,客户名称,负责人,销售阶段,商机金额,预计成交日期,创建时间\n"
        "D1,MES,Acme,Ann,初步接触,100,2026-12-01,2026-10-01\n",
        encoding="utf-8",
    )
    assert "account_potential" not in read_export(path, week="2026-W47").snapshot.columns


# --- invariants -------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(
    amounts=st.lists(st.integers(min_value=0, max_value=50).map(float), min_size=1, max_size=25),
    a_accounts=st.sampled_from([0.1, 0.2, 0.5, 1.0]),
)
def test_a_is_a_small_top_set_that_never_splits_equal_revenue(
    amounts: list[float], a_accounts: float
) -> None:
    won = _won({f"x{i:02d}": amount for i, amount in enumerate(amounts)})
    out = abc_accounts(won, open_deals=_won({}), settings=ABCSettings(a_accounts=a_accounts))
    paying = int((out["won_amount"] > 0).sum())
    a = out[out["abc"] == "A"]
    rest = out[out["abc"] != "A"]
    assert len(a) <= max(1, int(a_accounts * paying + 1e-9))
    if len(a) and len(rest):
        assert a["won_amount"].min() > rest["won_amount"].max()  # a top set, no tie split
    assert (a["won_amount"] > 0).all()
    assert set(out["abc"]) <= {"A", "B", "C"} and len(out) == len(amounts)
