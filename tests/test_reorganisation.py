"""A reorganisation reads as one inside a single team's weekly review (issue 24).

A three-week history of two teams, North and South: D1 moves North → South and D2 South →
North in 2026-W48, D3 (North) is won and D4 (South) lost that week, D5 and D6 stay put.
Every expectation is worked out by hand below; the reviews are built as a user builds
them (``WeeklyReview.from_files`` on the batch's shared keyed history, the loader, the
dashboard's locked and prepared per-team state)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipereview.dashboard.data import DashboardData
from pipereview.dashboard.prepare import write_prepared
from pipereview.dashboard.prepared import PreparedTeams
from pipereview.dashboard.view import View
from pipereview.delivery._review import WeeklyReview
from pipereview.delivery._reviewcharts import funnel_stages
from pipereview.diagnostics._waterfall import waterfall
from pipereview.history import (
    read_history_file,
    team_deals,
    team_movements,
    team_rows,
    with_deal_keys,
    write_history_file,
)
from pipereview.history._loader import load_history
from pipereview.history._movements import deal_movements
from pipereview.history._store import SnapshotStore

DAY = pd.Timestamp("2026-12-18")  # in 2026-Q4, the period of every week below
WEEKS = ("2026-W47", "2026-W48", "2026-W49")
#: (deal, team, stage, amount) per week
ROWS = {
    "2026-W47": [
        ("D1", "North", "negotiation", 1000.0),
        ("D2", "South", "solution_quote", 300.0),
        ("D3", "North", "negotiation", 200.0),
        ("D4", "South", "negotiation", 400.0),
        ("D5", "North", "needs_confirmed", 50.0),
        ("D6", "South", "needs_confirmed", 70.0),
    ],
    "2026-W48": [
        ("D1", "South", "negotiation", 1000.0),
        ("D2", "North", "solution_quote", 300.0),
        ("D3", "North", "won", 200.0),
        ("D4", "South", "lost", 400.0),
        ("D5", "North", "needs_confirmed", 50.0),
        ("D6", "South", "needs_confirmed", 70.0),
    ],
    "2026-W49": [
        ("D1", "South", "negotiation", 1000.0),
        ("D2", "North", "negotiation", 300.0),
        ("D5", "North", "needs_confirmed", 50.0),
        ("D6", "South", "needs_confirmed", 70.0),
    ],
}


def _history() -> pd.DataFrame:
    frames = [
        pd.DataFrame(rows, columns=["deal_id", "team", "stage", "amount"]).assign(
            snapshot_week=week,
            deal_name=lambda f: "Deal " + f["deal_id"],
            account="Acme",
            owner=lambda f: f["team"].map({"North": "Ann", "South": "Bo"}),
            stage_model="generic_4",
            currency="EUR",
            close_date=DAY,
            probability=0.5,
        )
        for week, rows in ROWS.items()
    ]
    history = pd.concat(frames, ignore_index=True)
    won = (history["deal_id"] == "D3") & (history["stage"] == "won")
    history.loc[won, "close_date"] = pd.Timestamp("2026-11-26")  # won on the Thursday of W48
    return with_deal_keys(history)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The batch's shared keyed history of every team."""
    path = tmp_path_factory.mktemp("batch") / "history.parquet"
    _history().to_parquet(path)
    return path


@pytest.fixture(scope="module")
def south(shared: Path) -> WeeklyReview:
    return WeeklyReview.from_files(
        team="South", week="2026-W48", lang="en", history_path=str(shared)
    )


@pytest.fixture(scope="module")
def north(shared: Path) -> WeeklyReview:
    return WeeklyReview.from_files(
        team="North", week="2026-W48", lang="en", history_path=str(shared)
    )


def _steps(review: WeeklyReview) -> dict[str, tuple[int, float]]:
    steps = review.chart_data()["changes"]
    return {
        s: (int(d), float(a))
        for s, d, a in zip(steps["step"], steps["deals"], steps["amount"], strict=True)
    }


# --- the loader ---------------------------------------------------------------------------
def test_the_loader_hands_a_team_the_other_teams_rows_of_its_moved_deals(shared: Path) -> None:
    rows = load_history(file=shared, team="South")
    got = sorted(zip(rows["snapshot_week"], rows["deal_id"], rows["team"], strict=True))
    # South's own rows and the handover rows: D1's North row of W47 (the week before it
    # joined South) and D2's North row of W48 (the week after it left); never D2's later
    # North row of W49, what North did with it since
    assert got == sorted(
        [
            ("2026-W47", "D1", "North"),
            ("2026-W47", "D2", "South"),
            ("2026-W47", "D4", "South"),
            ("2026-W47", "D6", "South"),
            ("2026-W48", "D1", "South"),
            ("2026-W48", "D2", "North"),
            ("2026-W48", "D4", "South"),
            ("2026-W48", "D6", "South"),
            ("2026-W49", "D1", "South"),
            ("2026-W49", "D6", "South"),
        ]
    )
    assert len(team_rows(rows, "South")) == 8  # 4 + 4 + 2 own rows, no other team's


def test_a_store_hands_a_team_the_same_rows_as_the_batchs_file(
    shared: Path, tmp_path: Path
) -> None:
    """From a store the other teams' rows are read only for the team's deal IDs: the same
    rows as from the whole keyed history."""
    history = _history().drop(columns=["deal_key"])
    history = history.assign(
        created_date=pd.Timestamp("2026-09-01"),
        forecast_category="pipeline",
        last_activity_date=pd.Timestamp("2026-11-20"),
        next_step="call",
        account_missing=False,
        source_file="crm.csv",
        source_row=range(2, len(history) + 2),
    )
    store = SnapshotStore(tmp_path / "store")
    for week in WEEKS:
        store.add(history[history["snapshot_week"] == week], week)
    # the deal IDs may come as any iterable, a generator too: every week gets them all
    south = store.history(teams=["South"], deal_ids=(d for d in ["D1", "D2"]))
    assert sorted(zip(south["snapshot_week"], south["deal_id"], south["team"], strict=True)) == [
        ("2026-W47", "D1", "North"),
        ("2026-W47", "D2", "South"),
        ("2026-W47", "D4", "South"),
        ("2026-W47", "D6", "South"),
        ("2026-W48", "D1", "South"),
        ("2026-W48", "D2", "North"),
        ("2026-W48", "D4", "South"),
        ("2026-W48", "D6", "South"),
        ("2026-W49", "D1", "South"),
        ("2026-W49", "D2", "North"),
        ("2026-W49", "D6", "South"),
    ]
    for team in ("North", "South"):
        from_store, from_file = load_history(store, team=team), load_history(file=shared, team=team)
        columns = ["snapshot_week", "deal_id", "team", "stage", "amount"]
        assert sorted(map(tuple, from_store[columns].astype(str).values.tolist())) == sorted(
            map(tuple, from_file[columns].astype(str).values.tolist())
        ), team


def test_up_to_a_week_only_the_deals_the_team_held_by_then(shared: Path) -> None:
    rows = load_history(file=shared, team="North", last="2026-W47")
    assert sorted(set(rows["deal_id"])) == ["D1", "D3", "D5"]  # D2 joined North later


# --- the review of the team a deal joined and of the team it left ------------------------
def test_the_joining_team_has_a_moved_in_step_and_reconciles(south: WeeklyReview) -> None:
    steps = _steps(south)
    # opening: D2 300 + D4 400 + D6 70; closing: D1 1000 + D6 70
    assert steps["opening"] == (3, 770.0)
    assert steps["moved_in"] == (1, 1000.0)
    assert steps["moved_out"] == (1, -300.0)
    assert steps["lost"] == (1, -400.0)
    assert steps["new"] == (0, 0.0) and steps["dropped"] == (0, 0.0)
    assert steps["closing"] == (2, 1070.0)
    inner = sum(a for s, (_, a) in steps.items() if s not in ("opening", "closing"))
    assert 770.0 + inner == 1070.0


def test_the_leaving_team_has_a_moved_out_step(north: WeeklyReview) -> None:
    steps = _steps(north)
    # opening: D1 1000 + D3 200 + D5 50; closing: D2 300 + D5 50
    assert steps["opening"] == (3, 1250.0)
    assert steps["moved_out"] == (1, -1000.0)
    assert steps["moved_in"] == (1, 300.0)
    assert steps["won"] == (1, -200.0)
    assert steps["dropped"] == (0, 0.0) and steps["lost"] == (0, 0.0)
    assert steps["closing"] == (2, 350.0)


def test_the_reasons_say_moved_from_and_moved_to(south: WeeklyReview, north: WeeklyReview) -> None:
    south_body, north_body = south.reasons_section().body, north.reasons_section().body
    assert "moved from North" in south_body and "moved to North" in south_body
    assert "moved to South" in north_body and "moved from South" in north_body
    for body in (south_body, north_body):
        assert "<td>new</td>" not in body and "<td>dropped from the export</td>" not in body
    # the scope is the team's own pipeline, the waterfall's ends
    assert "came to 770 EUR in 2026-W47 and 1,070 EUR in 2026-W48" in south_body


def test_the_changes_section_lists_the_moves_never_a_new_or_lost_pipeline(
    south: WeeklyReview, north: WeeklyReview
) -> None:
    south_body = south.changes_section().body
    assert "moved from another team: 1 · adds 1,000 EUR" in south_body
    assert "moved to another team: 1 · removes 300 EUR" in south_body
    assert "new in the export, open:" not in south_body
    north_body = north.changes_section().body
    assert "moved to another team: 1 · removes 1,000 EUR" in north_body
    assert "dropped from the export:" not in north_body
    # the deal list behind the move names the deal as it is now (its stage this week)
    listed = re.search(
        r"moved from another team: 1 · adds 1,000 EUR</summary>(.*?)</details>", south_body, re.S
    )
    assert listed is not None and "Deal D1" in listed.group(1)


def test_the_headline_counts_only_the_teams_own_rows(
    south: WeeklyReview, north: WeeklyReview
) -> None:
    figures = south.headline()
    assert (figures["open_deals"], figures["open_amount"]) == (2, 1070.0)  # D1 + D6
    assert figures["weighted_pipeline"] == 535.0
    assert figures["new_deals"] == 0  # D1 joined from North: not new
    assert north.headline()["won_amount"] == 200.0 and north.headline()["new_deals"] == 0
    open_rows = team_rows(south.latest, "South")
    assert float(open_rows[open_rows["stage"] != "lost"]["amount"].sum()) == 1070.0


@pytest.mark.parametrize("team", ["North", "South"])
@pytest.mark.parametrize("week", ["2026-W48", "2026-W49"])
def test_every_figure_equals_the_one_on_the_team_only_rows(
    shared: Path, team: str, week: str
) -> None:
    loaded = WeeklyReview.from_files(team=team, week=week, lang="en", history_path=str(shared))
    assert len(loaded.team_deals) > len(loaded.history)  # it does read the other team's rows
    whole = _history()
    alone = WeeklyReview(team_rows(whole, team), team=team, week=week, lang="en")
    got, want = loaded.headline(), alone.headline()
    assert got.pop("new_deals") == 0  # the team-only rows count a deal that joined as new
    want.pop("new_deals")
    assert got == want
    pd.testing.assert_frame_equal(loaded.forecast, alone.forecast)
    pd.testing.assert_frame_equal(funnel_stages(loaded), funnel_stages(alone))
    pd.testing.assert_frame_equal(
        loaded.context.forecast_rep.reset_index(drop=True),
        alone.context.forecast_rep.reset_index(drop=True),
    )
    pd.testing.assert_frame_equal(
        loaded.coaching_findings.reset_index(drop=True),
        alone.coaching_findings.reset_index(drop=True),
    )
    assert set(loaded.history["team"]) == {team}


def test_a_week_without_moves_keeps_the_plain_waterfall(shared: Path) -> None:
    review = WeeklyReview.from_files(
        team="South", week="2026-W49", lang="en", history_path=str(shared)
    )
    steps = _steps(review)
    assert "moved_in" not in steps and "moved_out" not in steps
    assert steps["opening"] == steps["closing"] == (2, 1070.0)


# --- the dashboard's per-team views --------------------------------------------------------
def test_a_locked_dashboard_shows_the_move(shared: Path) -> None:
    data = DashboardData(load_history(file=shared, team="South"), team="South", locked=True)
    assert data.teams == ["South"] and data.weeks("South") == list(reversed(WEEKS))
    moves = data.movements(View("South", "2026-W48"))
    assert dict(zip(moves["deal_id"], moves["category"], strict=True)) == {
        "D1": "moved_in",
        "D2": "moved_out",
        "D4": "lost",
        "D6": "unchanged",
    }
    assert data.figures(View("South", "2026-W48"))["open_amount"] == 1070.0
    # D2 left for North: listed under South's rep who held it, never under North's
    assert dict(zip(moves["deal_id"], moves["owner"], strict=True))["D2"] == "Bo"
    assert data.movements(View("South", "2026-W48", rep="Bo"))["deal_id"].tolist() == [
        "D1",
        "D2",
        "D4",
        "D6",
    ]


def test_a_state_prepared_from_a_history_file_reads_each_team_as_from_the_frame(
    tmp_path: Path,
) -> None:
    whole = _history()
    path = tmp_path / "history.parquet"
    write_history_file(whole, path)
    from_frame = PreparedTeams(write_prepared(tmp_path / "frame", whole, views=False))
    from_file = PreparedTeams(write_prepared(tmp_path / "file", path, views=False))
    for team in ("North", "South"):
        pd.testing.assert_frame_equal(from_file.history(team), from_frame.history(team))
        assert from_file.weeks(team) == from_frame.weeks(team)
    south = from_file.history("South")
    north = south[south["team"] == "North"]  # the two handover rows, from the file's moves
    assert sorted(zip(north["snapshot_week"], north["deal_id"], strict=True)) == [
        ("2026-W47", "D1"),
        ("2026-W48", "D2"),
    ]


def test_the_prepared_state_keeps_each_row_once(tmp_path: Path) -> None:
    whole = _history()
    folder = write_prepared(tmp_path / "prepared", whole, views=False)
    teams = PreparedTeams(folder)
    assert teams.weeks("North") == list(reversed(WEEKS))
    assert sorted(set(teams.history("North")["deal_id"])) == ["D1", "D2", "D3", "D5"]
    assert len(teams.all_history()) == len(whole)  # a moved deal's rows are not doubled
    data = DashboardData(teams, team="North")
    moves = data.movements(View("North", "2026-W48"))
    assert dict(zip(moves["deal_id"], moves["category"], strict=True))["D1"] == "moved_out"


def test_a_served_locked_team_gets_its_deals_and_no_state_of_the_other_team(
    shared: Path, tmp_path: Path
) -> None:
    from pipereview.serve import prepare_dashboard

    state = prepare_dashboard(tmp_path / "state", history=shared, team="South", warm=False)
    on_disk = pd.read_parquet(state.history)  # every row the file holds, as laid out
    assert sorted(set(on_disk["deal_id"])) == ["D1", "D2", "D4", "D6"]  # never D3 or D5
    served = read_history_file(state.history)
    assert sorted(set(served["deal_id"])) == ["D1", "D2", "D4", "D6"]
    north = served[served["team"] == "North"]  # North's rows: the two handovers alone
    assert sorted(zip(north["snapshot_week"], north["deal_id"], strict=True)) == [
        ("2026-W47", "D1"),
        ("2026-W48", "D2"),
    ]
    prepared = PreparedTeams(tmp_path / "state" / "teams")
    assert prepared.teams == ["South"] and prepared.weeks("South") == list(reversed(WEEKS))


# --- the property: the teams' waterfalls add up to the organisation's ----------------------
_deal = st.tuples(
    st.sampled_from(["A", "B", "C"]),
    st.sampled_from(["A", "B", "C"]),
    st.sampled_from(["open", "absent"]),
    st.sampled_from(["open", "won", "lost", "absent"]),
    st.integers(1, 10_000),
    st.integers(1, 10_000),
)


def _week(name: str, rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    stage = {"open": "negotiation", "won": "won", "lost": "lost"}
    return pd.DataFrame(
        {
            "snapshot_week": name,
            "deal_id": [r[0] for r in rows],
            "team": [r[1] for r in rows],
            "stage": [stage[r[2]] for r in rows],
            "amount": [float(r[3]) for r in rows],
        }
    ).assign(  # names and accounts of their own: no deal is paired with another by guess
        deal_name=[f"Project {r[0]}" for r in rows],
        account=[f"Account {r[0]}" for r in rows],
        owner="Ann",
        stage_model="generic_4",
        currency="EUR",
        close_date=DAY,
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_deal, min_size=1, max_size=8))
def test_the_teams_waterfalls_add_up_with_the_moves_cancelling(deals: list) -> None:
    before, after = [], []
    for n, (t1, t2, s1, s2, a1, a2) in enumerate(deals):
        if t1 != t2:  # a move: open both weeks at one amount
            s1, s2, a2 = "open", "open", a1
        if s1 == "open":
            before.append((f"D{n}", t1, s1, a1 / 100))
        if s2 != "absent":
            after.append((f"D{n}", t2, s2, a2 / 100))
    history = pd.concat([_week("2026-W47", before), _week("2026-W48", after)], ignore_index=True)
    org = waterfall(
        deal_movements(
            history[history["snapshot_week"] == "2026-W47"],
            history[history["snapshot_week"] == "2026-W48"],
        ),
        "2026-Q4",
    ).set_index("step")["cents"]
    total: dict[str, int] = {}
    for team in sorted(set(history["team"])):
        rows = team_deals(history, team)
        moves = team_movements(
            deal_movements(
                rows[rows["snapshot_week"] == "2026-W47"], rows[rows["snapshot_week"] == "2026-W48"]
            ),
            team,
        )
        steps = waterfall(moves, "2026-Q4", team=team).set_index("step")["cents"]
        assert int(steps.drop(["closing"]).sum()) == int(steps["closing"])  # reconciles
        own = team_rows(history, team)
        still = own[(own["snapshot_week"] == "2026-W48") & (own["stage"] == "negotiation")]
        assert int(steps["closing"]) == round(still["amount"].sum() * 100)
        for step, cents in steps.items():
            total[str(step)] = total.get(str(step), 0) + int(cents)
    assert total.get("moved_in", 0) == -total.get("moved_out", 0)  # the moves cancel
    for step, cents in org.items():
        assert total.get(str(step), 0) == int(cents), step


def test_team_movements_on_a_week_without_a_move_change_nothing() -> None:
    week = _week("2026-W47", [("D1", "A", "open", 10.0)])
    moves = deal_movements(week, week.assign(snapshot_week="2026-W48"))
    assert team_movements(moves, "A")["category"].tolist() == ["unchanged"]
    assert team_movements(moves, "B").empty
