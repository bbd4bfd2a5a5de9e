"""pipereview.history._trail: stable keys across ID changes, trails, pushes, stage age, and the
patterns planted in the sample data (CRM migration, deals pushed three times)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pipereview.core._errors import InputError
from pipereview.core._weeks import Week
from pipereview.history._loader import load_history
from pipereview.history._matching import MatchSettings
from pipereview.history._trail import (
    SUMMARY_COLUMNS,
    TRAIL_COLUMNS,
    days_in_stage,
    deal_key,
    deal_summary,
    deal_trail,
    with_deal_keys,
)
from pipereview.ingest._export import read_export
from pipereview.sample import SampleSummary, generate_samples

DAY = pd.Timestamp("2026-11-30")
DEFAULTS: dict[str, Any] = {
    "deal_id": "",
    "deal_name": "Acme - MES upgrade",
    "account": "Acme Inc.",
    "team": "North",
    "owner": "Ann Lee",
    "stage": "solution_quote",
    "stage_model": "generic_4",
    "amount": 100.0,
    "currency": "USD",
    "close_date": DAY,
}


def week(name: str, *rows: dict[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame([{**DEFAULTS, **row} for row in rows], columns=list(DEFAULTS))
    frame.insert(0, "snapshot_week", name)
    frame["amount"] = frame["amount"].astype("float64")
    frame["close_date"] = pd.to_datetime(frame["close_date"]).astype("datetime64[ns]")
    return frame.astype({c: "str" for c in DEFAULTS if c not in ("amount", "close_date")})


def history(*weeks: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(weeks, ignore_index=True)


def test_a_deal_followed_across_an_id_change() -> None:
    later = DAY + pd.Timedelta(days=14)
    trail = deal_trail(
        history(
            week("2026-W44", {"deal_id": "SJ-1", "stage": "needs_confirmed"}),
            week("2026-W45", {"deal_id": "SJ-1", "stage": "needs_confirmed", "close_date": later}),
            week(
                "2026-W46", {"deal_id": "17641801", "stage": "solution_quote", "close_date": later}
            ),
            week(
                "2026-W47",
                {
                    "deal_id": "17641801",
                    "stage": "solution_quote",
                    "close_date": later + pd.Timedelta(days=30),
                    "amount": 120.0,
                },
            ),
        )
    )
    assert list(trail.columns) == list(TRAIL_COLUMNS)
    assert trail["deal_key"].tolist() == ["SJ-1"] * 4
    assert trail["link"].tolist() == ["", "id", "fuzzy", "id"]
    assert trail["pushed"].tolist() == [False, True, False, True]
    assert trail["amount"].tolist() == [100.0, 100.0, 100.0, 120.0]
    row = deal_summary(trail).iloc[0]
    assert row["first_seen"] == "2026-W44" and row["last_seen"] == "2026-W47"
    assert (row["weeks_seen"], row["id_changes"], row["push_count"]) == (4, 1, 2)
    assert row["stage_path"] == "needs_confirmed → solution_quote"
    assert (row["stage_since"], row["days_in_stage"]) == ("2026-W46", 7)
    assert not row["stage_age_is_lower_bound"]
    assert (row["deal_id"], row["amount"]) == ("17641801", 120.0)


def test_stage_age_is_a_lower_bound_when_held_since_first_seen() -> None:
    trail = deal_trail(
        history(*(week(w, {"deal_id": "A"}) for w in ("2026-W45", "2026-W46", "2026-W47")))
    )
    row = deal_summary(trail).iloc[0]
    assert (row["stage_since"], row["days_in_stage"], row["stage_age_is_lower_bound"]) == (
        "2026-W45",
        14,
        True,
    )


def test_won_then_reopened_keeps_its_path_and_counts_no_push_when_closed() -> None:
    trail = deal_trail(
        history(
            week("2026-W45", {"deal_id": "A", "stage": "negotiation"}),
            week("2026-W46", {"deal_id": "A", "stage": "won", "close_date": "2026-12-20"}),
            week("2026-W47", {"deal_id": "A", "stage": "negotiation", "close_date": "2027-01-20"}),
        )
    )
    assert trail["open"].tolist() == [True, False, True]
    assert trail["pushed"].tolist() == [False, False, False]  # closed in between
    row = deal_summary(trail).iloc[0]
    assert row["stage_path"] == "negotiation → won → negotiation"
    assert (row["push_count"], row["days_in_stage"], row["open"]) == (0, 0, True)


def test_a_deal_missing_from_one_export_is_rejoined_by_its_id() -> None:
    trail = deal_trail(
        history(
            week(
                "2026-W45", {"deal_id": "A"}, {"deal_id": "B", "deal_name": "Other", "account": "B"}
            ),
            week("2026-W46", {"deal_id": "B", "deal_name": "Other", "account": "B"}),
            week(
                "2026-W47", {"deal_id": "A"}, {"deal_id": "B", "deal_name": "Other", "account": "B"}
            ),
        )
    )
    assert trail[["deal_key", "snapshot_week", "link"]].values.tolist() == [
        ["A", "2026-W45", ""],
        ["A", "2026-W47", "id"],
        ["B", "2026-W45", ""],
        ["B", "2026-W46", "id"],
        ["B", "2026-W47", "id"],
    ]
    assert deal_summary(trail)["weeks_seen"].tolist() == [2, 3]


def test_keys_for_deals_without_id_and_for_reused_ids() -> None:
    trail = deal_trail(
        history(
            week("2026-W45", {"deal_id": "X", "deal_name": "First"}),
            week(
                "2026-W46",
                {"deal_id": "Y", "deal_name": "First"},  # X's new ID
                {"deal_id": "", "deal_name": "Sheet one", "account": "P"},
                {"deal_id": "", "deal_name": "Sheet two", "account": "Q"},
            ),
            week(
                "2026-W47",
                {"deal_id": "Y", "deal_name": "First"},
                {"deal_id": "X", "deal_name": "Unrelated", "account": "R", "amount": 9.0},
                {"deal_id": "", "deal_name": "Sheet one", "account": "P"},
                {"deal_id": "", "deal_name": "Sheet two", "account": "Q"},
            ),
        )
    )
    summary = deal_summary(trail)
    assert summary["deal_key"].tolist() == ["X", "2026-W46#1", "2026-W46#2", "X@2026-W47"]
    assert summary["weeks_seen"].tolist() == [3, 2, 2, 1]
    assert summary["deal_id"].fillna("").tolist() == ["Y", "", "", "X"]


def test_a_deal_without_id_is_not_rejoined_across_a_gap_by_its_blank_id() -> None:
    # "Sheet one" is gone in W46; in W47 another deal without an ID appears, in another
    # account: a blank ID is no ID, so it is a deal of its own, not "Sheet one" come back
    trail = deal_trail(
        history(
            week("2026-W45", {"deal_name": "Sheet one", "account": "P"}),
            week("2026-W46", {"deal_id": "A", "deal_name": "Else", "account": "Q"}),
            week("2026-W47", {"deal_name": "Sheet two", "account": "S"}),
        )
    )
    assert trail["deal_key"].tolist() == ["2026-W45#1", "A", "2026-W47#1"]
    assert deal_summary(trail)["weeks_seen"].tolist() == [1, 1, 1]


def test_a_new_id_that_an_ended_deal_once_had_does_not_take_its_key() -> None:
    # "First" (X) is exported as Y in W47, the ID of a deal last seen in W45: matched by
    # name week over week, it stays X's deal, not the ended deal come back
    trail = deal_trail(
        history(
            week("2026-W45", {"deal_id": "Y", "deal_name": "Old", "account": "R"}),
            week("2026-W46", {"deal_id": "X", "deal_name": "First"}),
            week("2026-W47", {"deal_id": "Y", "deal_name": "First"}),
        )
    )
    assert trail["deal_key"].tolist() == ["Y", "X", "X"]
    assert trail["link"].tolist() == ["", "", "fuzzy"]


def test_deal_moving_team_keeps_its_key() -> None:
    trail = deal_trail(
        history(
            week("2026-W46", {"deal_id": "", "team": "North"}),
            week("2026-W47", {"deal_id": "", "team": "West", "owner": "Bo Chen"}),
        )
    )
    assert trail["deal_key"].tolist() == ["2026-W46#1"] * 2
    assert trail["team"].tolist() == ["North", "West"]


@pytest.mark.parametrize("frame", [pd.DataFrame(), week("2026-W47").iloc[:0]])
def test_empty_history(frame: pd.DataFrame) -> None:
    trail = deal_trail(frame)
    assert trail.empty and list(trail.columns) == list(TRAIL_COLUMNS)
    summary = deal_summary(trail)
    assert summary.empty and list(summary.columns) == list(SUMMARY_COLUMNS)


def test_trail_of_a_single_row() -> None:
    trail = deal_trail(week("2026-W47", {"deal_id": "A", "stage": "negotiation"}))
    # one deal, one week: no previous row to link to or to be pushed from
    expected = pd.DataFrame(
        {
            "deal_key": pd.Series(["A"], dtype="str"),
            "snapshot_week": pd.Series(["2026-W47"], dtype="str"),
            "deal_id": pd.Series(["A"], dtype="str"),
            "deal_name": pd.Series(["Acme - MES upgrade"], dtype="str"),
            "account": pd.Series(["Acme Inc."], dtype="str"),
            "team": pd.Series(["North"], dtype="str"),
            "owner": pd.Series(["Ann Lee"], dtype="str"),
            "stage": pd.Series(["negotiation"], dtype="str"),
            "stage_model": pd.Series(["generic_4"], dtype="str"),
            "amount": pd.Series([100.0], dtype="float64"),
            "currency": pd.Series(["USD"], dtype="str"),
            "close_date": pd.Series([DAY], dtype="datetime64[ns]"),
            "open": pd.Series([True], dtype="bool"),
            "link": pd.Series([""], dtype="str"),
            "pushed": pd.Series([False], dtype="bool"),
        }
    )
    pd.testing.assert_frame_equal(trail, expected)


def test_trail_links_by_the_match_settings_given() -> None:
    # the same deal (name, account, owner, amount) under a new ID, its close date a month
    # later: linked by fuzzy matching and pushed with the default settings; with a
    # threshold no pair reaches, two deals, nothing pushed
    later = DAY + pd.Timedelta(days=31)
    frame = history(
        week("2026-W46", {"deal_id": "SJ-1"}),
        week("2026-W47", {"deal_id": "9001", "close_date": later}),
    )
    default = deal_trail(frame)
    assert default[["deal_key", "link", "pushed"]].values.tolist() == [
        ["SJ-1", "", False],
        ["SJ-1", "fuzzy", True],
    ]
    strict = deal_trail(frame, settings=MatchSettings(threshold=1.0))
    assert strict[["deal_key", "link", "pushed"]].values.tolist() == [
        ["SJ-1", "", False],
        ["9001", "", False],
    ]


def test_trail_of_a_history_indexed_by_deal_id() -> None:
    # a history indexed by its own deal_id column, for lookups: the same trail
    frame = history(
        week("2026-W46", {"deal_id": "A"}),
        week("2026-W47", {"deal_id": "A", "close_date": DAY + pd.Timedelta(days=7)}),
    )
    trail = deal_trail(frame.set_index("deal_id", drop=False))
    pd.testing.assert_frame_equal(trail, deal_trail(frame))
    assert trail["pushed"].tolist() == [False, True]


def test_weeks_are_ordered_and_input_untouched() -> None:
    frame = history(
        week("2026-W47", {"deal_id": "A", "stage": "negotiation"}),
        week("2026-W46", {"deal_id": "A"}),
    )
    before = frame.copy()
    trail = deal_trail(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert trail["snapshot_week"].tolist() == ["2026-W46", "2026-W47"]
    assert deal_summary(trail)["stage_path"].tolist() == ["solution_quote → negotiation"]


def test_deals_without_id_are_numbered_in_row_order_when_weeks_come_unordered() -> None:
    # 40 deals without an ID, each in its own account, given W47 first: the keys of W46's
    # deals are numbered in the order of their rows, however the weeks are sorted
    rows = [{"deal_name": f"Sheet {n}", "account": f"Account {n}"} for n in range(40)]
    keys = with_deal_keys(history(week("2026-W47", *rows), week("2026-W46", *rows)))
    assert keys["deal_key"].tolist() == [f"2026-W46#{n + 1}" for n in range(40)] * 2


def test_deal_keys_are_of_the_str_type_like_every_text_column() -> None:
    keys = with_deal_keys(
        history(week("2026-W46", {"deal_id": "A"}), week("2026-W47", {"deal_id": "A"}))
    )
    pd.testing.assert_series_equal(
        keys["deal_key"], pd.Series(["A", "A"], dtype="str", name="deal_key")
    )


def test_a_history_file_is_keyed_on_reading_unless_asked_for_as_written(tmp_path: Path) -> None:
    path = tmp_path / "history.parquet"
    history(week("2026-W46", {"deal_id": "A"}), week("2026-W47", {"deal_id": "A"})).to_parquet(
        path, index=False
    )
    assert "deal_key" not in load_history(file=path, keyed=False).columns
    assert load_history(file=path)["deal_key"].tolist() == ["A", "A"]


def test_a_week_not_written_as_an_iso_week_is_refused_not_misordered() -> None:
    # as text "2026-W10" sorts before "2026-W9": a deal would be chained backwards in time
    frame = history(week("2026-W9", {"deal_id": "A"}), week("2026-W10", {"deal_id": "A"}))
    with pytest.raises(InputError, match=r"'2026-W9' is not an ISO week"):
        with_deal_keys(frame)


# --- the planted patterns of the sample data -----------------------------------------------
# (each generates and reads a ten-week sample set: slow, left out of the fast loop)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[SampleSummary, pd.DataFrame]:
    summary = generate_samples(tmp_path_factory.mktemp("samples"), n_weeks=10, scale=0.3)
    exports = sorted((summary.out_dir / "exports").glob("*/*"))
    frames = [read_export(Path(p), week=p.parent.name).snapshot for p in exports]
    return summary, pd.concat(frames, ignore_index=True)


@pytest.mark.slow
def test_crm_migration_keeps_one_key_per_deal(sample: tuple[SampleSummary, pd.DataFrame]) -> None:
    planted, frame = sample
    trail = deal_trail(frame)
    migrated = planted.planted.migrated_ids
    assert len(migrated) >= 5
    key_of = trail.groupby("deal_id")["deal_key"].first()
    assert [key_of[new] for _, new in migrated] == [old for old, _ in migrated]
    links = trail[
        trail["deal_id"].isin([new for _, new in migrated])
        & (trail["snapshot_week"] == planted.planted.migration_week)
    ]["link"]
    assert links.tolist() == ["fuzzy"] * len(migrated)
    assert (trail["link"] == "fuzzy").sum() == len(migrated)  # and nothing else guessed


@pytest.mark.slow
def test_deals_pushed_three_times(sample: tuple[SampleSummary, pd.DataFrame]) -> None:
    planted, frame = sample
    summary = deal_summary(deal_trail(frame))
    pushed = summary[summary["push_count"] >= 3]
    assert len(planted.planted.pushed_3_times) > 0
    assert sorted(zip(pushed["team"], pushed["deal_id"], strict=True)) == sorted(
        planted.planted.pushed_3_times
    )


@pytest.mark.slow
def test_with_deal_keys_matches_the_trail_row_for_row(
    sample: tuple[SampleSummary, pd.DataFrame],
) -> None:
    planted, frame = sample
    shuffled = frame.sample(frac=1.0, random_state=3)  # any row order, index kept
    keyed = with_deal_keys(shuffled)
    assert keyed.index.equals(shuffled.index)
    assert keyed.drop(columns="deal_key").equals(shuffled)
    trail = deal_trail(frame)
    expected = trail.set_index(["snapshot_week", "team", "deal_id"])["deal_key"]
    got = keyed.set_index(["snapshot_week", "team", "deal_id"])["deal_key"]
    assert got.sort_index().equals(expected.sort_index())
    # migrated deals keep their old ID as key, so deal_key() sees one deal, not two
    for old, new in planted.planted.migrated_ids:
        assert set(keyed.loc[keyed["deal_id"].isin([old, new]), "deal_key"]) == {old}
    assert deal_key(keyed).equals(keyed["deal_key"])


def test_deal_key_falls_back_to_team_name_account_only_for_blank_ids() -> None:
    frame = week("2026-W47", {"deal_id": "D1"}, {"deal_id": "  "})
    assert deal_key(frame).tolist() == ["D1", "North|Acme - MES upgrade|Acme Inc."]
    # named, so that it joins or assigns as the column every diagnostic reads
    assert list(frame.join(deal_key(frame)).columns)[-1] == "deal_key"


def test_days_in_stage_counts_from_the_monday_the_stage_was_entered() -> None:
    frame = history(
        week("2026-W44", {"deal_id": "A", "stage": "needs_confirmed"}),
        week(
            "2026-W45",
            {"deal_id": "A", "stage": "solution_quote"},
            {"deal_id": "B", "stage": "solution_quote"},
        ),
        week(
            "2026-W46",
            {"deal_id": "A", "stage": "solution_quote"},
            {"deal_id": "B", "stage": "negotiation"},
        ),
        week("2026-W47", {"deal_id": "A", "stage": "needs_confirmed"}),
    )
    # as of W47 (Monday 16 Nov): A's rows: needs_confirmed since W44 (Mon 26 Oct) = 21 days;
    # solution_quote since W45 (Mon 2 Nov) = 14 days on both rows; back to needs_confirmed
    # in W47: a new stay, 0 days. B: solution_quote since W45 = 14, negotiation since W46 = 7.
    assert days_in_stage(frame, as_of="2026-W47").tolist() == [21.0, 14.0, 14.0, 14.0, 7.0, 0.0]


def test_days_in_stage_per_row_keeps_the_rows_index_and_takes_a_week() -> None:
    frame = history(
        week("2026-W44", {"deal_id": "A", "stage": "needs_confirmed"}),
        week(
            "2026-W45",
            {"deal_id": "A", "stage": "needs_confirmed"},
            {"deal_id": "B", "stage": "negotiation"},
        ),
        week(
            "2026-W46",
            {"deal_id": "A", "stage": "solution_quote"},
            {"deal_id": "B", "stage": "negotiation"},
        ),
        week("2026-W47", {"deal_id": "B", "stage": "negotiation"}),
    ).set_axis([10, 20, 21, 30, 31, 40])
    # as of W47 (Monday 16 Nov): A in needs_confirmed since W44 (Mon 26 Oct) on both of
    # its rows there, 21 days; in solution_quote since W46 (Mon 9 Nov), 7 days.
    # B in negotiation since W45 (Mon 2 Nov) on all three rows, 14 days.
    expected = pd.Series(
        [21.0, 21.0, 14.0, 7.0, 14.0, 14.0], index=[10, 20, 21, 30, 31, 40], name="days_in_stage"
    )
    pd.testing.assert_series_equal(days_in_stage(frame, as_of="2026-W47"), expected)
    pd.testing.assert_series_equal(days_in_stage(frame, as_of=Week.parse("2026-W47")), expected)


def test_days_in_stage_of_large_histories_sharing_columns_are_their_own() -> None:
    # histories of 50,000 rows remember their stage entries by their columns: one
    # differing from another only in its stages, keys or weeks gets its own days
    n = 25_000
    keys = [f"D{i:05d}" for i in range(n)]
    base = pd.DataFrame(
        {
            "snapshot_week": pd.Series(["2026-W46"] * n + ["2026-W47"] * n, dtype="str"),
            "deal_key": pd.Series(keys * 2, dtype="str"),
            "deal_id": pd.Series(keys * 2, dtype="str"),
            "stage": pd.Series(["solution_quote"] * (2 * n), dtype="str"),
        }
    )
    moved = base.assign(stage=["solution_quote"] * n + ["negotiation"] * n)
    new_deals = base.assign(deal_key=keys + [f"{k}-2" for k in keys])
    earlier = base.assign(snapshot_week=["2026-W45"] * n + ["2026-W47"] * n)
    same_stage_since_w46 = [7.0] * (2 * n)
    entered_in_w47 = [7.0] * n + [0.0] * n
    for frame, expected in (
        (base, same_stage_since_w46),
        (moved, entered_in_w47),
        (new_deals, entered_in_w47),
        (earlier, [14.0] * (2 * n)),
        (base, same_stage_since_w46),
    ):
        assert days_in_stage(frame, as_of="2026-W47").tolist() == expected


def test_deal_summary_of_a_deal_without_id_and_one_with_a_longer_path() -> None:
    trail = deal_trail(
        history(
            week(
                "2026-W45",
                {"deal_id": None, "deal_name": "Sheet"},
                {"deal_id": "A", "stage": "needs_confirmed", "amount": 50.0},
            ),
            week(
                "2026-W46",
                {"deal_id": None, "deal_name": "Sheet"},
                {"deal_id": "A", "stage": "solution_quote", "amount": 50.0},
            ),
            week("2026-W47", {"deal_id": "A", "stage": "negotiation", "amount": 80.0}),
        )
    )
    # a missing ID twice is no ID change, nor is an unchanged ID; the shorter path is
    # not padded; A's stage is new in W47 (0 days), Sheet's held since first seen
    # (W45 to W46: 7 days, a lower bound)
    expected = pd.DataFrame(
        {
            "deal_key": pd.Series(["2026-W45#1", "A"], dtype="str"),
            "first_seen": pd.Series(["2026-W45", "2026-W45"], dtype="str"),
            "last_seen": pd.Series(["2026-W46", "2026-W47"], dtype="str"),
            "weeks_seen": pd.Series([2, 3], dtype="int64"),
            "deal_id": pd.Series([None, "A"], dtype="str"),
            "deal_name": pd.Series(["Sheet", "Acme - MES upgrade"], dtype="str"),
            "account": pd.Series(["Acme Inc."] * 2, dtype="str"),
            "team": pd.Series(["North"] * 2, dtype="str"),
            "owner": pd.Series(["Ann Lee"] * 2, dtype="str"),
            "stage": pd.Series(["solution_quote", "negotiation"], dtype="str"),
            "amount": pd.Series([100.0, 80.0], dtype="float64"),
            "currency": pd.Series(["USD"] * 2, dtype="str"),
            "close_date": pd.Series([DAY] * 2, dtype="datetime64[ns]"),
            "open": pd.Series([True, True], dtype="bool"),
            "id_changes": pd.Series([0, 0], dtype="int64"),
            "push_count": pd.Series([0, 0], dtype="int64"),
            "stage_path": pd.Series(
                ["solution_quote", "needs_confirmed → solution_quote → negotiation"], dtype="str"
            ),
            "stage_since": pd.Series(["2026-W45", "2026-W47"], dtype="str"),
            "days_in_stage": pd.Series([7, 0], dtype="int64"),
            "stage_age_is_lower_bound": pd.Series([True, False], dtype="bool"),
        }
    )
    pd.testing.assert_frame_equal(deal_summary(trail), expected)


def test_an_empty_history_file_is_read_up_to_a_week(tmp_path: Path) -> None:
    # the history of an empty store (nothing ingested yet), written as the batch writes it
    empty = load_history(tmp_path / "store")
    assert (list(empty.columns), len(empty)) == (["deal_key"], 0)
    path = tmp_path / "history.parquet"
    empty.to_parquet(path, index=False)
    for last in ("2026-W47", Week.parse("2026-W47"), None):
        again = load_history(file=path, last=last)
        assert (list(again.columns), len(again)) == (["deal_key"], 0)


@pytest.mark.parametrize(
    ("teams", "expected"),
    [(["West", "North", None, "West"], "one of: North, West"), ([], "one of: none")],
    ids=["known teams", "no team"],
)
def test_a_history_file_without_the_team_is_refused_naming_the_known_ones(
    tmp_path: Path, teams: list[str | None], expected: str
) -> None:
    path = tmp_path / "history.parquet"
    pd.DataFrame(
        {
            "snapshot_week": pd.Series(["2026-W47"] * len(teams), dtype="str"),
            "team": pd.Series(teams, dtype="str"),
            "deal_id": pd.Series([f"D{i}" for i in range(len(teams))], dtype="str"),
        }
    ).to_parquet(path, index=False)
    with pytest.raises(InputError) as info:
        load_history(file=path, team="South")
    assert str(info.value) == f"team 'South' has no stored snapshot (expected {expected})"
    assert info.value.expected == expected
