"""The week's change summary per team, checked by hand."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipereview.core._errors import WeekNotFoundError
from pipereview.diagnostics._changes import change_summary, week_change_summary
from pipereview.history._store import SnapshotStore

DAY = pd.Timestamp("2026-12-15")


def deal(
    deal_id: str, stage: str, amount: float, *, team: str = "North", close: pd.Timestamp = DAY
) -> dict[str, object]:
    return {
        "deal_id": deal_id,
        "deal_name": f"Deal {deal_id}",
        "account": f"Acct {deal_id}",
        "team": team,
        "owner": "Ann",
        "stage": stage,
        "stage_model": "generic_4",
        "amount": amount,
        "currency": "USD",
        "close_date": close,
    }


def test_every_count_and_amount_by_hand() -> None:
    prev = pd.DataFrame(
        [
            deal("A", "solution_quote", 100.0),
            deal("B", "negotiation", 50.0),
            deal("C", "needs_confirmed", 40.0),
            deal("D", "negotiation", 70.0),
            deal("E", "initial_contact", 10.0),
            deal("Z", "initial_contact", 5.0, team="West"),
        ]
    )
    curr = pd.DataFrame(
        [
            deal("A", "negotiation", 100.0),  # advanced
            deal("B", "won", 55.0),  # won at 55
            deal("C", "needs_confirmed", 40.0, close=DAY + pd.Timedelta(days=30)),  # pushed
            deal("D", "lost", 70.0),  # lost 70
            deal("F", "initial_contact", 25.0),  # new; E dropped
            deal("Z", "initial_contact", 5.0, team="West"),  # unchanged
        ]
    )
    rows = change_summary(prev, curr).set_index("team")
    north = rows.loc["North"]
    # open now: A 100 + C 40 + F 25 = 165; open before: 100 + 50 + 40 + 70 + 10 = 270
    assert (north["open_deals"], north["open_amount"], north["net_change"]) == (3, 165.0, -105.0)
    assert [north[c] for c in ("new", "advanced", "pushed", "won", "lost", "dropped")] == [
        1,
        1,
        1,
        1,
        1,
        1,
    ]
    assert (north["won_amount"], north["lost_amount"]) == (55.0, 70.0)
    west = rows.loc["West"]
    assert (west["open_deals"], west["net_change"], west["new"]) == (1, 0.0, 0)


def test_first_week_counts_every_open_deal_as_new() -> None:
    curr = pd.DataFrame([deal("A", "negotiation", 100.0), deal("B", "won", 5.0)])
    row = change_summary(None, curr).iloc[0]
    assert (row["new"], row["won"], row["open_deals"], row["net_change"]) == (1, 1, 1, 100.0)


def test_missing_week_names_the_stored_ones(tmp_path: Path) -> None:
    with pytest.raises(WeekNotFoundError, match="none"):
        week_change_summary(SnapshotStore(tmp_path), "2026-W47")


#: One small team-week with every movement category, each a different number of times.
EXPECTED = {
    "new": 1,
    "advanced": 2,
    "regressed": 3,
    "pushed": 1,
    "pulled_in": 2,
    "amount_up": 1,
    "amount_down": 2,
    "won": 1,
    "lost": 2,
    "dropped": 1,
    "reopened": 1,
    "unchanged": 3,
}


def every_category() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Last week's and this week's North snapshot, and a West deal that stays put."""
    later, earlier = DAY + pd.Timedelta(days=21), DAY - pd.Timedelta(days=7)
    pairs: list[tuple[dict[str, object] | None, dict[str, object] | None]] = []

    def add(
        n: int,
        kind: str,
        before: tuple[str, float, pd.Timestamp] | None,
        after: tuple[str, float, pd.Timestamp] | None,
    ) -> None:
        for i in range(n):
            name = f"{kind}{i}"
            pairs.append(
                (
                    before and deal(name, before[0], before[1], close=before[2]),
                    after and deal(name, after[0], after[1], close=after[2]),
                )
            )

    add(1, "new", None, ("initial_contact", 10.0, DAY))
    add(2, "adv", ("needs_confirmed", 20.0, DAY), ("solution_quote", 20.0, DAY))
    add(3, "back", ("negotiation", 30.0, DAY), ("needs_confirmed", 30.0, DAY))
    add(1, "push", ("solution_quote", 40.0, DAY), ("solution_quote", 40.0, later))
    add(2, "pull", ("solution_quote", 50.0, DAY), ("solution_quote", 50.0, earlier))
    add(1, "up", ("negotiation", 60.0, DAY), ("negotiation", 65.0, DAY))
    add(2, "down", ("negotiation", 70.0, DAY), ("negotiation", 60.0, DAY))
    add(1, "won", ("negotiation", 80.0, DAY), ("won", 80.0, DAY))
    add(2, "lost", ("solution_quote", 90.0, DAY), ("lost", 90.0, DAY))
    add(1, "gone", ("initial_contact", 15.0, DAY), None)
    add(1, "again", ("lost", 25.0, DAY), ("needs_confirmed", 25.0, DAY))
    add(2, "same", ("solution_quote", 35.0, DAY), ("solution_quote", 35.0, DAY))
    add(1, "closed", ("won", 45.0, DAY), ("won", 45.0, DAY))
    west = deal("W", "initial_contact", 5.0, team="West")
    prev = pd.DataFrame([b for b, _ in pairs if b] + [west])
    curr = pd.DataFrame([a for _, a in pairs if a] + [west])
    return prev, curr


def test_the_summary_counts_every_category_once() -> None:
    from pipereview.diagnostics._changes import SUMMARY_CATEGORIES
    from pipereview.history._movements import CATEGORIES

    assert sorted(SUMMARY_CATEGORIES) == sorted(CATEGORIES)
    prev, curr = every_category()
    rows = change_summary(prev, curr).set_index("team")
    assert {c: rows.loc["North", c] for c in EXPECTED} == EXPECTED
    assert {c: rows.loc["West", c] for c in EXPECTED} == {
        **dict.fromkeys(EXPECTED, 0),
        "unchanged": 1,
    }
    # every deal of either week counted once: 20 North deals (and West's W)
    assert sum(EXPECTED.values()) == 20 == len({*prev["deal_id"], *curr["deal_id"]}) - 1


def test_changes_prints_every_category_the_api_counts(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pipereview.cli import app
    from pipereview.cli._changes import movement_label

    prev, curr = every_category()
    store = SnapshotStore(tmp_path / "store")
    for week, frame in (("2026-W46", prev), ("2026-W47", curr)):
        n = len(frame)
        store.add(
            frame.assign(
                snapshot_week=week,
                created_date=pd.Timestamp("2026-09-01"),
                probability=0.5,
                forecast_category="pipeline",
                last_activity_date=pd.Timestamp("2026-11-02"),
                next_step="call",
                account_missing=False,
                source_file="x.csv",
                source_row=range(2, n + 2),
            ).astype({"source_row": "int64"}),
            week,
        )
    result = CliRunner().invoke(app, ["changes", "--store", str(tmp_path / "store")])
    assert result.exit_code == 0, result.output
    api = week_change_summary(store, "2026-W47").set_index("team")
    lines = {}
    for line in result.output.splitlines():
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if len(cells) == 3:
            lines[cells[0]] = cells[1:]
    for category, count in EXPECTED.items():
        label = movement_label(category)
        assert lines[label] == [str(api.loc["North", category]), str(api.loc["West", category])], (
            label,
            result.output,
        )
        assert lines[label][0] == str(count)
    assert lines["moved back a stage"] == ["3", "0"]
    assert "North USD" in result.output and "West USD" in result.output
