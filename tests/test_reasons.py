"""pipereview.forecasting._reasons: hand-computed reasons for every change (each reason, a
reorganisation, a merge, a deal with several reasons, two weeks apart), the summary by
reason, each team's waterfall reconciling with team moves (hypothesis)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _budget import examples
from pipereview.core._errors import InputError
from pipereview.core._vocabulary import REASON_LABELS
from pipereview.diagnostics import (
    TEAM_STEPS,
    waterfall,
)
from pipereview.forecasting import (
    MATRIX_COLUMNS,
    MATRIX_ROWS,
    REASONS,
    category_matrix,
    change_reasons,
    reasons_summary,
    week_movements,
)
from pipereview.history._storesummary import REMOVED_ATTRS

DAY = pd.Timestamp("2026-11-30")  # in 2026-Q4
LATE = pd.Timestamp("2027-01-15")  # after 2026-Q4
EARLY = pd.Timestamp("2026-09-15")  # before 2026-Q4 (overdue)


def deal(deal_id: str, **values: Any) -> dict[str, Any]:
    row = {
        "team": "North",
        "deal_id": deal_id,
        "deal_name": f"Deal {deal_id}",
        "account": f"Account {deal_id}",
        "owner": "Ann",
        "stage": "negotiation",
        "stage_model": "generic_4",
        "amount": 100.0,
        "currency": "USD",
        "close_date": DAY,
        "forecast_category": "commit",
    }
    return {**row, **values}


def history(*weeks: list[dict[str, Any]], first: int = 47) -> pd.DataFrame:
    frames = [
        pd.DataFrame(rows).assign(snapshot_week=f"2026-W{first + i}")
        for i, rows in enumerate(weeks)
    ]
    return pd.concat(frames, ignore_index=True)


def reasons_of(h: pd.DataFrame, period: str | None = "2026-Q4", **kw: Any) -> list[tuple[Any, ...]]:
    weeks = sorted(h["snapshot_week"].unique())
    r = change_reasons(h, kw.get("start", weeks[0]), kw.get("end", weeks[-1]), period=period)
    return list(
        r[["deal_id", "reason", "detail", "change", "in_waterfall"]].itertuples(
            index=False, name=None
        )
    )


# --- each reason, hand-computed ---------------------------------------------------------


def test_new_reopened_won_lost_dropped() -> None:
    h = history(
        [deal("A"), deal("B", stage="lost"), deal("C"), deal("D", amount=40.0), deal("E")],
        [
            deal("A", stage="won", amount=90.0),
            deal("B", amount=70.0),
            deal("D", stage="lost", amount=40.0),
            deal("F", amount=25.0),
        ],
    )
    rows = reasons_of(h)
    assert rows == [
        ("F", "new", "", 25.0, True),
        ("B", "reopened", "lost → negotiation", 70.0, True),
        ("A", "won", "", -100.0, True),  # leaves the pipeline at its pipeline amount
        ("D", "lost", "", -40.0, True),
        ("C", "dropped", "", -100.0, True),
        ("E", "dropped", "", -100.0, True),
        ("A", "amount_down", "100 → 90", 0.0, False),
        ("B", "amount_down", "100 → 70", 0.0, False),  # a reopened deal's amount is counted once
    ]


def test_close_date_reasons_against_the_period() -> None:
    h = history(
        [
            deal("P", close_date=LATE),
            deal("Q", close_date=EARLY),
            deal("R", amount=60.0),
            deal("S"),
            deal("T"),
            deal("U"),
        ],
        [
            deal("P"),
            deal("Q"),
            deal("R", amount=60.0, close_date=LATE),
            deal("S", close_date=EARLY),
            deal("T", close_date=DAY - pd.Timedelta(days=10)),
            deal("U", close_date=DAY + pd.Timedelta(days=5)),
        ],
    )
    assert reasons_of(h) == [
        ("P", "pulled_in", "2027-01-15 → 2026-11-30", 100.0, True),
        ("Q", "pushed_in", "2026-09-15 → 2026-11-30", 100.0, True),
        ("R", "pushed_out", "2026-11-30 → 2027-01-15", -60.0, True),
        ("S", "pulled_out", "2026-11-30 → 2026-09-15", -100.0, True),
        ("T", "close_earlier", "2026-11-30 → 2026-11-20", 0.0, False),
        ("U", "close_later", "2026-11-30 → 2026-12-05", 0.0, False),
    ]
    # without a period nothing crosses one: every move is earlier or later, no change
    whole = reasons_of(h, period=None)
    assert [(d, r) for d, r, *_ in whole] == [
        ("P", "close_earlier"),
        ("S", "close_earlier"),
        ("T", "close_earlier"),
        ("Q", "close_later"),
        ("R", "close_later"),
        ("U", "close_later"),
    ]
    assert {c for *_, c, _ in whole} == {0.0}


def test_amount_owner_and_category_reasons() -> None:
    h = history(
        [deal("A"), deal("B"), deal("C", forecast_category="pipeline"), deal("D")],
        [
            deal("A", amount=150.5),
            deal("B", amount=80.0, owner="Bob"),
            deal("C", forecast_category="best_case"),
            deal("D", forecast_category="omitted", close_date=LATE),
        ],
    )
    assert reasons_of(h) == [
        ("D", "pushed_out", "2026-11-30 → 2027-01-15", -100.0, True),
        ("A", "amount_up", "100 → 150.50", 50.5, True),
        ("B", "amount_down", "100 → 80", -20.0, True),
        ("B", "owner_changed", "Ann → Bob", 0.0, False),
        # D left the commit category and the period at once: out of commit, nothing into
        # omitted's part of this period's pipeline
        ("D", "out_of_commit", "commit → omitted", -100.0, False),
        ("C", "into_best_case", "pipeline → best case", 100.0, False),
        ("C", "out_of_pipeline", "pipeline → best case", -100.0, False),
        ("D", "into_omitted", "commit → omitted", 0.0, False),
    ]
    r = change_reasons(h, "2026-W47", "2026-W48", period="2026-Q4")
    assert r.loc[r["reason"] == "into_best_case", ["value_from", "value_to"]].values.tolist() == [
        ["pipeline", "best_case"]
    ]


def test_every_reason_has_words_in_both_languages() -> None:
    assert set(REASON_LABELS) == set(REASONS)
    assert all(en and zh and en != zh for en, zh in REASON_LABELS.values())


# --- a reorganisation, a merge, several reasons, two weeks apart -------------------------


def reorganised() -> pd.DataFrame:
    return history(
        [deal("A"), deal("B"), deal("C", team="South", amount=50.0)],
        [deal("A", team="South", amount=130.0), deal("B"), deal("C", team="South", amount=50.0)],
    )


def test_a_team_change_is_a_move_for_both_teams_never_new_or_dropped() -> None:
    r = change_reasons(reorganised(), "2026-W47", "2026-W48", period="2026-Q4")
    rows = r[["deal_id", "team", "reason", "detail", "change", "in_waterfall"]]
    assert list(rows.itertuples(index=False, name=None)) == [
        ("A", "South", "moved_in", "North → South", 130.0, True),
        ("A", "North", "moved_out", "North → South", -100.0, True),
        ("A", "South", "amount_up", "100 → 130", 0.0, False),
    ]
    moves = week_movements(reorganised(), "2026-W47", "2026-W48")
    for team, opening, closing in (("North", 200.0, 100.0), ("South", 50.0, 180.0)):
        w = waterfall(moves, "2026-Q4", team=team).set_index("step")
        assert list(w.index) == list(TEAM_STEPS)
        assert (w.loc["opening", "amount"], w.loc["closing", "amount"]) == (opening, closing)
        assert w.loc[["new", "dropped", "won", "lost"], "deals"].sum() == 0
        mine = r[(r["team"] == team) & r["in_waterfall"]]
        assert mine["change"].sum() == pytest.approx(closing - opening)
    north = waterfall(moves, "2026-Q4", team="North").set_index("step")
    south = waterfall(moves, "2026-Q4", team="South").set_index("step")
    assert (north.loc["moved_out", "deals"], north.loc["moved_out", "amount"]) == (1, -100.0)
    assert (south.loc["moved_in", "deals"], south.loc["moved_in", "amount"]) == (1, 130.0)


def test_a_merge_is_removed_and_the_survivor_rises_on_its_own() -> None:
    h = history(
        [deal("A", amount=60.0), deal("B", amount=40.0), deal("C")],
        [deal("A", amount=100.0), deal("C")],
    )
    h.attrs[REMOVED_ATTRS] = json.dumps({"2026-W48": [["B", "merged", "A"]]})
    assert reasons_of(h) == [
        ("B", "removed", "merged into A", -40.0, True),
        ("A", "amount_up", "60 → 100", 40.0, True),
    ]
    h.attrs[REMOVED_ATTRS] = json.dumps({"2026-W48": [["B", "deleted", None]]})
    assert reasons_of(h)[0] == ("B", "removed", "deleted", -40.0, True)


def test_a_deal_pushed_out_and_lowered_has_two_rows() -> None:
    h = history([deal("A")], [deal("A", amount=70.0, close_date=LATE, owner="Bob")])
    assert reasons_of(h) == [
        ("A", "pushed_out", "2026-11-30 → 2027-01-15", -100.0, True),
        ("A", "amount_down", "100 → 70", 0.0, False),
        ("A", "owner_changed", "Ann → Bob", 0.0, False),
    ]
    summary = reasons_summary(change_reasons(h, "2026-W47", "2026-W48", period="2026-Q4"))
    assert summary.to_dict("records") == [
        {"reason": "pushed_out", "deals": 1, "amount": -100.0, "in_waterfall": True},
        {"reason": "amount_down", "deals": 1, "amount": 0.0, "in_waterfall": True},
        {"reason": "owner_changed", "deals": 1, "amount": 0.0, "in_waterfall": False},
    ]


def test_two_weeks_apart_compare_the_two_weeks_only() -> None:
    h = history(
        [deal("A"), deal("B"), deal("C")],
        [deal("A", amount=500.0), deal("B"), deal("C"), deal("X")],  # X comes and goes
        [deal("A", amount=120.0), deal("B", stage="won"), deal("C")],
    )
    h.attrs[REMOVED_ATTRS] = json.dumps({"2026-W48": [["C", "merged", "A"]]})  # noted, then back
    assert reasons_of(h, start="2026-W47", end="2026-W49") == [
        ("B", "won", "", -100.0, True),
        ("A", "amount_up", "100 → 120", 20.0, True),
    ]
    h2 = history([deal("A"), deal("B")], [deal("A")], [deal("A")])
    h2.attrs[REMOVED_ATTRS] = json.dumps({"2026-W48": [["B", "deleted", None]]})
    assert reasons_of(h2, start="2026-W47", end="2026-W49") == [
        ("B", "removed", "deleted", -100.0, True)
    ]


def test_unchanged_deals_have_no_row_and_an_empty_result_has_the_columns() -> None:
    h = history([deal("A")], [deal("A")])
    r = change_reasons(h, "2026-W47", "2026-W48")
    assert r.empty and list(r.columns) == list(
        change_reasons(reorganised(), "2026-W47", "2026-W48").columns
    )
    assert reasons_summary(r).empty


def test_no_forecast_category_says_not_checked() -> None:
    h = history([deal("A")], [deal("A", amount=90.0)]).drop(columns="forecast_category")
    r = change_reasons(h, "2026-W47", "2026-W48")
    assert r["reason"].tolist() == ["amount_down"]
    assert r.attrs["not_checked"] == "no forecast_category"


def test_weeks_must_be_stored_and_in_order() -> None:
    h = history([deal("A")], [deal("A")])
    with pytest.raises(InputError, match="2026-W50 is not in the history"):
        change_reasons(h, "2026-W47", "2026-W50")
    with pytest.raises(InputError, match="not before"):
        change_reasons(h, "2026-W48", "2026-W47")


def test_a_deal_whose_id_changed_is_one_deal_by_its_key() -> None:
    h = history([deal("OLD")], [deal("NEW", amount=90.0)]).assign(deal_key="K1")
    r = change_reasons(h, "2026-W47", "2026-W48", period="2026-Q4")
    assert r[["deal_key", "deal_id", "reason"]].values.tolist() == [["K1", "NEW", "amount_down"]]


# --- each team's waterfall reconciles with team moves (hypothesis) ------------------------

_TEAMS = ("North", "South", "West")
_DATES = (EARLY, DAY, LATE)
_DEAL = st.tuples(
    st.sampled_from(_TEAMS),
    st.sampled_from(("negotiation", "solution_quote", "won", "lost")),
    st.integers(min_value=1, max_value=10_000_00).map(lambda c: c / 100),
    st.sampled_from(_DATES),
)


def _week(cells: dict[int, Any]) -> list[dict[str, Any]]:
    return [
        deal(f"D{i}", team=t, stage=s, amount=a, close_date=d)
        for i, (t, s, a, d) in sorted(cells.items())
    ]


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(st.integers(0, 9), _DEAL, max_size=8),
    st.dictionaries(st.integers(0, 9), _DEAL, max_size=8),
    st.sets(st.integers(0, 9)),
)
def test_each_teams_waterfall_reconciles_with_team_moves(
    a: dict[int, Any], b: dict[int, Any], merged: set[int]
) -> None:
    if not a or not b:
        return
    h = history(_week(a), _week(b))
    gone = [f"D{i}" for i in sorted(merged) if i in a and i not in b]
    h.attrs[REMOVED_ATTRS] = json.dumps({"2026-W48": [[d, "merged", "D0"] for d in gone]})
    moves = week_movements(h, "2026-W47", "2026-W48")
    r = change_reasons(h, "2026-W47", "2026-W48", period="2026-Q4")
    # the movements handed in (as the review does, computed once) give the same
    given_moves = change_reasons(h, "2026-W47", "2026-W48", period="2026-Q4", movements=moves)
    pd.testing.assert_frame_equal(given_moves, r)
    for team in _TEAMS:
        m = category_matrix(h, "2026-W47", "2026-W48", team=team, period="2026-Q4")
        same = category_matrix(
            h, "2026-W47", "2026-W48", team=team, period="2026-Q4", movements=moves
        )
        for name in ("deals", "amounts", "cells"):
            pd.testing.assert_frame_equal(getattr(same, name), getattr(m, name))
        assert (same.currency, same.not_available) == (m.currency, m.not_available)
    for team in _TEAMS:
        w = waterfall(moves, "2026-Q4", team=team)
        cents = w.set_index("step")["cents"]
        assert int(cents.drop("closing").sum()) == int(cents["closing"])  # opening + steps
        for week, cells, step in (("2026-W47", a, "opening"), ("2026-W48", b, "closing")):
            own = sum(
                round(amount * 100)
                for t, s, amount, d in cells.values()
                if t == team and s not in ("won", "lost") and d == DAY
            )
            assert int(cents[step]) == own, (team, week)  # the team's own pipeline
        mine = r[(r["team"] == team) & r["in_waterfall"]]
        assert round(mine["change"].sum() * 100) == int(cents["closing"] - cents["opening"])
    assert set(r["reason"]) <= set(REASONS)
    moved = r[r["reason"].isin(["moved_in", "moved_out"])]
    assert not moved["deal_key"].isin(r.loc[r["reason"].isin(["new", "dropped"]), "deal_key"]).any()
    assert np.all(np.diff(r["reason"].map(REASONS.index).to_numpy()) >= 0)  # stable order
    dropped = set(r.loc[r["reason"] == "dropped", "deal_id"])
    assert dropped.isdisjoint(gone)  # a deal merged away is removed, never dropped
    opened = {f"D{i}" for i, (_, s, _, _) in a.items() if s not in ("won", "lost")}
    assert set(r.loc[r["reason"] == "removed", "deal_id"]) == set(gone) & opened


# --- the forecast-category matrix -------------------------------------------------------


def test_matrix_of_five_deals_counts_and_amounts() -> None:
    h = history(
        [
            deal("A"),
            deal("B", amount=200.0),
            deal("C", amount=50.0, forecast_category="best_case"),
            deal("D", amount=30.0, forecast_category="pipeline"),
            deal("E", amount=10.0, forecast_category="omitted"),
        ],
        [
            deal("A", stage="won", amount=110.0, forecast_category="closed"),
            deal("B", amount=200.0, forecast_category="best_case", close_date=LATE),
            deal("C", amount=60.0),
            deal("E", amount=10.0, forecast_category="omitted"),
            deal("F", amount=70.0),
        ],
    )
    m = category_matrix(h, "2026-W47", "2026-W48", period="2026-Q4")
    assert m.not_available == "" and m.currency == "USD"
    assert list(m.deals.index) == list(MATRIX_ROWS)
    assert list(m.deals.columns) == list(MATRIX_COLUMNS)
    assert list(m.cells.itertuples(index=False, name=None)) == [
        ("commit", "won", 1, 110.0),  # as of the second week
        ("commit", "not_in_pipeline", 1, 200.0),  # pushed out of the quarter
        ("best_case", "commit", 1, 60.0),
        ("pipeline", "gone", 1, 30.0),  # dropped: as of the first week
        ("omitted", "omitted", 1, 10.0),
        ("not_in_pipeline", "commit", 1, 70.0),  # new
    ]
    assert int(m.deals.to_numpy().sum()) == 6
    assert (int(m.deals["commit"].sum()), float(m.amounts["commit"].sum())) == (2, 130.0)
    assert int(m.deals.loc["commit", "commit"]) == 0
    # without a period B is still in the pipeline, in best case
    whole = category_matrix(h, "2026-W47", "2026-W48")
    assert int(whole.deals.loc["commit", "best_case"]) == 1
    assert int(whole.deals["not_in_pipeline"].sum()) == 0


def test_matrix_two_weeks_apart_and_a_team_move() -> None:
    h = history(
        [deal("A"), deal("B", forecast_category="pipeline")],
        [deal("A", forecast_category="pipeline"), deal("B"), deal("X")],  # X comes and goes
        [deal("A"), deal("B", team="South", amount=80.0)],
    )
    north = category_matrix(h, "2026-W47", "2026-W49", team="North", period="2026-Q4")
    assert list(north.cells.itertuples(index=False, name=None)) == [
        ("commit", "commit", 1, 100.0),
        ("pipeline", "not_in_pipeline", 1, 80.0),  # moved to South: out of North's pipeline
    ]
    south = category_matrix(h, "2026-W47", "2026-W49", team="South", period="2026-Q4")
    assert list(south.cells.itertuples(index=False, name=None)) == [
        ("not_in_pipeline", "commit", 1, 80.0)
    ]


def test_matrix_without_forecast_category_says_not_available() -> None:
    h = history([deal("A")], [deal("A", amount=90.0)]).drop(columns="forecast_category")
    m = category_matrix(h, "2026-W47", "2026-W48")
    assert m.not_available == "not available: the export has no forecast category"
    assert m.deals.empty and m.amounts.empty and m.cells.empty


def test_matrix_open_deal_without_a_category_and_mixed_currencies() -> None:
    h = history([deal("A"), deal("B", forecast_category=None)], [deal("A"), deal("B")])
    m = category_matrix(h, "2026-W47", "2026-W48")
    assert list(m.deals.index) == [*MATRIX_ROWS[:-1], "no_category", "not_in_pipeline"]
    assert int(m.deals.loc["no_category", "commit"]) == 1
    mixed = history([deal("A"), deal("B", currency="EUR")], [deal("A"), deal("B", currency="EUR")])
    with pytest.raises(InputError, match="mix currencies"):
        category_matrix(mixed, "2026-W47", "2026-W48")


def test_a_prepared_history_gives_the_same_reasons_and_matrix() -> None:
    from pipereview.history import prepare_history

    h = reorganised()
    prepared = prepare_history(h)
    pd.testing.assert_frame_equal(
        change_reasons(prepared, "2026-W47", "2026-W48", period="2026-Q4"),
        change_reasons(h, "2026-W47", "2026-W48", period="2026-Q4"),
    )
    m = category_matrix(prepared, "2026-W47", "2026-W48", team="South")
    assert m.cells.values.tolist() == [
        ["commit", "commit", 1, 50.0],
        ["not_in_pipeline", "commit", 1, 130.0],
    ]


def test_the_other_category_moves() -> None:
    h = history(
        [deal("X", forecast_category="omitted"), deal("Y", forecast_category="best_case")],
        [deal("X", forecast_category="pipeline"), deal("Y", amount=120.0)],
    )
    assert reasons_of(h) == [
        ("Y", "amount_up", "100 → 120", 20.0, True),
        ("Y", "into_commit", "best case → commit", 120.0, False),
        ("Y", "out_of_best_case", "best case → commit", -100.0, False),
        ("X", "into_pipeline", "omitted → pipeline", 100.0, False),
        ("X", "out_of_omitted", "omitted → pipeline", -100.0, False),
    ]
