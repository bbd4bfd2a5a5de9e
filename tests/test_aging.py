"""pipereview.diagnostics._aging: stage durations and deal risks, each flag with a planted case and a
near miss, and the sample's planted pushes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipereview.core._errors import ConfigError, InputError
from pipereview.diagnostics._aging import (
    RISK_FLAGS,
    RiskSettings,
    deal_risks,
    risk_summary,
    stage_durations,
)
from pipereview.history._store import SnapshotStore
from pipereview.history._trail import deal_summary, deal_trail, with_deal_keys

MONDAY = pd.Timestamp("2026-11-16")  # Monday of 2026-W47
AS_OF_DAY = pd.Timestamp("2026-11-22")  # Sunday of 2026-W47: what a W47 export stands for


def _deal(
    deal: str, stages: list[str], *, first: int = 44, **values: object
) -> list[dict[str, object]]:
    rows = []
    for i, stage in enumerate(stages):
        row = {
            "snapshot_week": f"2026-W{first + i}",
            "team": "T",
            "owner": "Ann",
            "deal_id": deal,
            "deal_name": deal,
            "account": "Acme",
            "stage": stage,
            "stage_model": "generic_4",
            "amount": 100.0,
            "currency": "EUR",
            "close_date": pd.Timestamp("2026-12-31"),
            "last_activity_date": MONDAY - pd.Timedelta(days=1),
        }
        row.update({k: (v[i] if isinstance(v, list) else v) for k, v in values.items()})
        rows.append(row)
    return rows


def test_stage_durations_count_completed_stays_only() -> None:
    # A: needs_confirmed W45-W46, solution_quote from W47 -> one stay of 14 days
    # B: initial_contact already in W44 (first stored week) -> unknown start, left out
    # C: needs_confirmed from W46, still there -> running, left out
    h = pd.DataFrame(
        _deal("A", ["initial_contact", "needs_confirmed", "needs_confirmed", "solution_quote"])
        + _deal("B", ["initial_contact", "needs_confirmed"], first=44)
        + _deal("C", ["needs_confirmed", "needs_confirmed"], first=46)
    )
    d = stage_durations(h, as_of="2026-W47")
    assert d[["stage", "stays", "median_days", "p75_days"]].values.tolist() == [
        ["needs_confirmed", 1, 14.0, 14.0]
    ]


@pytest.mark.parametrize(("days_ago", "stalled"), [(31, True), (30, True), (29, False)])
def test_stalled_at_the_threshold(days_ago: int, stalled: bool) -> None:
    h = pd.DataFrame(
        _deal(
            "A",
            ["initial_contact"],
            first=47,
            last_activity_date=AS_OF_DAY - pd.Timedelta(days=days_ago),
        )
    )
    row = deal_risks(h, as_of="2026-W47").iloc[0]
    assert row["days_since_activity"] == days_ago and bool(row["stalled"]) is stalled


def test_unknown_activity_is_not_judged() -> None:
    h = pd.DataFrame(_deal("A", ["initial_contact"], first=47, last_activity_date=pd.NaT))
    assert deal_risks(h, as_of="2026-W47").loc[0, "stalled"] is pd.NA
    no_column = pd.DataFrame(_deal("A", ["initial_contact"], first=47)).drop(
        columns="last_activity_date"
    )
    assert deal_risks(no_column, as_of="2026-W47").loc[0, "stalled"] is pd.NA


def test_pushes_counted_across_an_id_change_when_keyed() -> None:
    # close date moves later W44->W45 and W46->W47 (2 pushes); earlier W45->W46 (a pull-in)
    dates = pd.to_datetime(["2026-11-30", "2026-12-15", "2026-12-10", "2027-01-15"])
    rows = _deal("A", ["initial_contact"] * 4, close_date=list(dates))
    rows[2]["deal_id"] = rows[3]["deal_id"] = "A-NEW"
    h = pd.DataFrame(rows)
    unkeyed = deal_risks(h, as_of="2026-W47").iloc[0]
    assert unkeyed["push_count"] == 1 and not unkeyed["pushed_often"]  # only W46->W47
    keyed = deal_risks(h.assign(deal_key="A"), as_of="2026-W47").iloc[0]
    assert keyed["push_count"] == 2 and keyed["pushed_often"]
    # 21 days in initial_contact (typical 14) also makes it past_typical
    assert keyed["risks"] == ("past_typical", "pushed_often")
    assert deal_risks(
        h.assign(deal_key="A"), as_of="2026-W47", settings=RiskSettings(push_limit=3)
    ).iloc[0]["risks"] == ("past_typical",)


@pytest.mark.parametrize(("close", "past"), [("2026-11-15", True), ("2026-11-16", False)])
def test_close_date_past_is_before_the_as_of_monday(close: str, past: bool) -> None:
    h = pd.DataFrame(_deal("A", ["initial_contact"], first=47, close_date=pd.Timestamp(close)))
    assert bool(deal_risks(h, as_of="2026-W47").loc[0, "close_date_past"]) is past


def test_past_typical_uses_the_team_p75_when_enough_stays_are_known() -> None:
    # generic_4 initial_contact: typical 14 days. Deal Z in it since W44 (a lower bound):
    # 21 days at W47 -> past the model's 14
    z = _deal("Z", ["initial_contact"] * 4)
    model = deal_risks(pd.DataFrame(z), as_of="2026-W47").iloc[0]
    assert (model["days_in_stage"], model["limit_days"], model["limit_source"]) == (
        21.0,
        14.0,
        "model",
    )
    assert model["past_typical"]
    # 10 deals that spent 28 days there (entered W42, moved on in W46; the store starts
    # in W41, so their entry is known): team p75 = 28, Z's 21 days is within the normal
    stays = [
        r
        for i in range(10)
        for r in _deal(f"S{i}", ["initial_contact"] * 4 + ["needs_confirmed"] * 2, first=42)
    ]
    h = pd.DataFrame(z + stays + _deal("early", ["won"], first=41))
    row = deal_risks(h, as_of="2026-W47").set_index("deal_id").loc["Z"]
    assert (row["team_p75_days"], row["limit_source"], row["past_typical"]) == (
        28.0,
        "team_p75",
        False,
    )
    fewer = deal_risks(h, as_of="2026-W47", settings=RiskSettings(min_durations=11))
    assert fewer.set_index("deal_id").loc["Z", "limit_source"] == "model"


def test_closed_deals_are_not_listed_and_order_is_stable() -> None:
    h = pd.DataFrame(
        _deal("W", ["won"], first=47)
        + _deal("A", ["initial_contact"], first=47, amount=50.0)
        + _deal(
            "B", ["initial_contact"], first=47, amount=500.0, close_date=pd.Timestamp("2026-11-01")
        )
    )
    risks = deal_risks(h, as_of="2026-W47")
    assert risks["deal_id"].tolist() == ["B", "A"]  # B has a flag; closed W left out
    summary = risk_summary(risks, by="rep")
    assert summary["flag"].tolist() == list(RISK_FLAGS)
    overdue = summary.set_index("flag").loc["close_date_past"]
    assert (overdue["deals"], overdue["amount"], overdue["share"]) == (1, 500.0, 0.5)
    with pytest.raises(InputError, match="by must be 'team' or 'rep'"):
        risk_summary(risks, by="owner")  # type: ignore[arg-type]


def test_settings_are_validated() -> None:
    with pytest.raises(ConfigError, match="push_limit must be at least 1, got 0"):
        RiskSettings(push_limit=0)


def test_sample_planted_pushes_are_flagged(sample_store: Path) -> None:
    history = SnapshotStore(sample_store).history()
    keyed = with_deal_keys(history)
    risks = deal_risks(keyed, as_of="2026-W47")
    summary = deal_summary(deal_trail(history))
    often = summary[summary["open"] & (summary["push_count"] >= 3)]
    assert len(often) > 0
    flagged = risks.set_index("deal_key")
    for key, pushes in zip(often["deal_key"], often["push_count"], strict=True):
        assert flagged.loc[key, "push_count"] == pushes and flagged.loc[key, "pushed_often"]
    jordan = risks[(risks["owner"] == "Jordan Blake") & (risks["stage"] == "id_decision_makers")]
    assert jordan["past_typical"].mean() >= 0.5  # his deals sit at the bottleneck
