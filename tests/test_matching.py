"""pipereview.history._matching and pipereview.history._movements: hand-computed pairs, scores, categories,
edge cases, and matching quality on generated pairs with known truth."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
import pytest

from pipereview.core._errors import InputError
from pipereview.history._matching import (
    MATCH_COLUMNS,
    MatchSettings,
    match_deals,
    normalize_account,
)
from pipereview.history._movements import CATEGORIES, MOVEMENT_COLUMNS, deal_movements

ROOT = Path(__file__).resolve().parents[1]
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


def snap(*rows: dict[str, Any]) -> pd.DataFrame:
    """A snapshot with the columns matching and movements read; each row overrides
    :data:`DEFAULTS`."""
    frame = pd.DataFrame([{**DEFAULTS, **row} for row in rows], columns=list(DEFAULTS))
    frame["amount"] = frame["amount"].astype("float64")
    frame["close_date"] = pd.to_datetime(frame["close_date"]).astype("datetime64[ns]")
    return frame.astype({c: "str" for c in DEFAULTS if c not in ("amount", "close_date")})


def pairs(matches: pd.DataFrame) -> list[tuple[Any, Any, str]]:
    return [
        (None if pd.isna(p) else int(p), None if pd.isna(c) else int(c), m)
        for p, c, m in matches[["prev_row", "curr_row", "method"]].itertuples(index=False)
    ]


# --- normalised account names -------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("无锡海天机械股份有限公司", "无锡海天机械"),
        ("无锡海天机械有限公司", "无锡海天机械"),
        ("无锡海天机械（集团）有限公司", "无锡海天机械"),
        ("海天集团", "海天"),
        ("ＡＣＭＥ　Ｉｎｃ．", "acme"),  # full width folds to half width
        ("Acme Co., Ltd.", "acme"),
        ("ACME LLC", "acme"),
        ("Keller-Logistik GmbH & Co. KG", "kellerlogistik"),
        ("Winkler Kunststofftechnik AG", "winklerkunststofftechnik"),
        ("Bosch Rexroth", "boschrexroth"),  # no suffix: only case and spaces
        ("AG", "ag"),  # never stripped to nothing
        ("有限公司", "有限公司"),
        ("", ""),
    ],
)
def test_normalize_account(raw: str, expected: str) -> None:
    assert normalize_account(raw) == expected


# --- match_deals --------------------------------------------------------------------------


def test_ids_match_first_whatever_the_order() -> None:
    prev = snap({"deal_id": "A"}, {"deal_id": "B", "deal_name": "Other"})
    curr = snap({"deal_id": "B", "deal_name": "Other"}, {"deal_id": "A"})
    m = match_deals(prev, curr)
    assert list(m.columns) == list(MATCH_COLUMNS)
    assert pairs(m) == [(0, 1, "id"), (1, 0, "id")]
    assert m["score"].tolist() == [1.0, 1.0]
    assert m["curr_deal_id"].tolist() == ["A", "B"]


def test_a_deal_matched_by_id_is_not_offered_to_the_fuzzy_pass() -> None:
    # the deal without an ID is the ID-matched deal's exact twin, yet stays unmatched
    twin = {"deal_id": ""}
    m = match_deals(snap({"deal_id": "A"}), snap({"deal_id": "A", "amount": 50.0}, twin))
    assert pairs(m) == [(0, 0, "id"), (None, 1, "")]
    assert not m["ambiguous"].any() and m["runner_up"].isna().all()
    m = match_deals(snap({"deal_id": "A", "amount": 50.0}, twin), snap({"deal_id": "A"}))
    assert pairs(m) == [(0, 0, "id"), (1, None, "")]
    assert not m["ambiguous"].any() and m["runner_up"].isna().all()


def test_ids_match_past_deals_without_an_id() -> None:
    curr = snap({"deal_id": "", "deal_name": "Other"}, {"deal_id": " "}, {"deal_id": "A"})
    m = match_deals(snap({"deal_id": "A"}), curr)
    assert pairs(m) == [(0, 2, "id"), (None, 0, ""), (None, 1, "")]
    assert m["curr_deal_id"].tolist()[0] == "A"


def test_blank_ids_never_match_by_id() -> None:
    m = match_deals(snap({"deal_id": ""}), snap({"deal_id": " "}))
    assert pairs(m) == [(0, 0, "fuzzy")]
    assert m["score"].tolist() == [1.0]
    assert m["prev_deal_id"].isna().all() and m["curr_deal_id"].isna().all()


def test_missing_ids_are_blank_ids() -> None:
    # an export cell left empty reads as a missing value, not as text: two such deals on
    # each side are neither refused as a repeated ID nor paired with each other by ID
    prev = snap({"deal_name": "MES"}, {"deal_name": "ERP"}).assign(deal_id=None)
    curr = snap({"deal_name": "ERP"}, {"deal_name": "MES"}).assign(deal_id=None)
    m = match_deals(prev, curr)
    assert pairs(m) == [(0, 1, "fuzzy"), (1, 0, "fuzzy")]
    assert m["prev_deal_id"].isna().all() and m["curr_deal_id"].isna().all()


def test_fuzzy_score_is_the_weighted_mean_of_the_four_similarities() -> None:
    # name 1.0 (x0.5), amount 90/100 (x0.2), same owner (x0.15), 18 of 180 days (x0.15)
    prev = snap({"deal_id": "OLD-1"})
    curr = snap({"deal_id": "NEW-1", "amount": 90.0, "close_date": DAY + pd.Timedelta(days=18)})
    m = match_deals(prev, curr)
    assert pairs(m) == [(0, 0, "fuzzy")]
    assert m["score"].tolist() == [0.965]  # 0.5 + 0.18 + 0.15 + 0.135
    assert not m["ambiguous"].any()


def test_below_threshold_is_reported_as_ambiguous_never_matched() -> None:
    # name 1.0 (0.5), amount 0.5 (0.1), other owner (0), 90 of 180 days (0.075): 0.675
    curr = snap({"amount": 50.0, "owner": "Bo Chen", "close_date": DAY + pd.Timedelta(days=90)})
    m = match_deals(snap({}), curr)
    assert pairs(m) == [(0, None, ""), (None, 0, "")]
    assert m["score"].tolist() == [0.675, 0.675]
    assert m["ambiguous"].tolist() == [True, True]
    assert m["candidate_row"].tolist() == [0, 0]
    assert m["runner_up"].isna().all()  # no candidate besides each other
    assert pairs(match_deals(snap({}), curr, threshold=0.6)) == [(0, 0, "fuzzy")]
    assert pairs(match_deals(snap({}), curr, threshold=0.5)) == [(0, 0, "fuzzy")]  # floor too


def test_a_pair_scoring_exactly_the_floor_is_a_possible_match() -> None:
    # 0.5 + 0.2 * 50 / 100 + 0 (other owner) + 0 (180 days apart) = 0.6, the default floor
    curr = snap({"amount": 50.0, "owner": "Bo Chen", "close_date": DAY + pd.Timedelta(days=180)})
    m = match_deals(snap({}), curr)
    assert pairs(m) == [(0, None, ""), (None, 0, "")]
    assert m["ambiguous"].tolist() == [True, True] and m["score"].tolist() == [0.6, 0.6]
    assert m["candidate_row"].tolist() == [0, 0]
    above = match_deals(snap({}), curr, settings=MatchSettings(floor=0.6001))
    assert above["ambiguous"].tolist() == [False, False]
    assert above["candidate_row"].isna().all() and above["score"].isna().all()


def test_a_matched_deals_other_candidate_is_its_runner_up_not_an_ambiguity() -> None:
    # the weaker deal scores 0.5 + 0.2 * 50 / 100 + 0 (other owner) + 0.15 = 0.75, far
    # below the pair's 1.0: the pair stands, the weaker deal is plainly unmatched, and both
    # rows name 0.75 as the best alternative, from the curr side and from the prev side
    weak = {"amount": 50.0, "owner": "Bo Chen"}
    for prev, curr, expected in [
        (snap({}), snap({}, weak), [(0, 0, "fuzzy"), (None, 1, "")]),
        (snap({}, weak), snap({}), [(0, 0, "fuzzy"), (1, None, "")]),
    ]:
        m = match_deals(prev, curr)
        assert pairs(m) == expected
        assert m["ambiguous"].tolist() == [False, False]
        assert m["candidate_row"].isna().all()
        assert m["score"].tolist()[0] == 1.0 and m["runner_up"].tolist() == [0.75, 0.75]


def test_below_floor_is_plainly_unmatched() -> None:
    # 0.5 + 0.2 * 0.1 + 0 + 0 = 0.52 < floor 0.6
    curr = snap({"amount": 10.0, "owner": "Bo Chen", "close_date": DAY + pd.Timedelta(days=400)})
    m = match_deals(snap({}), curr)
    assert pairs(m) == [(0, None, ""), (None, 0, "")]
    assert m["ambiguous"].tolist() == [False, False]
    assert m["score"].isna().all() and m["candidate_row"].isna().all()


def test_a_close_second_makes_the_pair_ambiguous() -> None:
    # C0 scores 1.0, C1 0.5 + 0.2 * 0.96 + 0.3 = 0.992: within the 0.05 margin
    curr = snap({}, {"amount": 96.0})
    m = match_deals(snap({}), curr)
    assert pairs(m) == [(0, None, ""), (None, 0, ""), (None, 1, "")]
    assert m["ambiguous"].all()
    assert m["score"].tolist() == [1.0, 1.0, 0.992]
    assert m["candidate_row"].tolist() == [0, 0, 0]
    assert m["runner_up"].tolist()[0] == 0.992
    # with no margin the better pair is accepted and the runner-up reported
    strict = match_deals(snap({}), curr, margin=0.0)
    assert pairs(strict) == [(0, 0, "fuzzy"), (None, 1, "")]
    assert strict["runner_up"].tolist()[0] == 0.992


def test_identical_twins_are_never_guessed() -> None:
    m = match_deals(snap({}, {}), snap({}, {}))
    assert [method for *_, method in pairs(m)] == ["", "", "", ""]
    assert m["ambiguous"].all()


def test_swapping_partners_must_lose_more_than_the_margin() -> None:
    # P0-C0 and P1-C1 score 1.0; the swap P0-C1, P1-C0 scores 0.9 + 0.9: loses 0.2
    prev = snap({"amount": 100.0}, {"amount": 200.0})
    curr = snap({"amount": 200.0}, {"amount": 100.0})
    m = match_deals(prev, curr)
    assert pairs(m) == [(0, 1, "fuzzy"), (1, 0, "fuzzy")]
    assert m["runner_up"].tolist() == [0.9, 0.9]
    assert pairs(match_deals(prev, curr, margin=0.25))[0] == (0, None, "")


def test_same_account_with_many_similar_deals() -> None:
    deals = [
        {
            "deal_name": f"Acme - MES upgrade ({n})",
            "amount": 100.0 * n,
            "owner": ["Ann Lee", "Bo Chen"][n % 2],
        }
        for n in range(1, 6)
    ]
    curr_rows = [dict(d, close_date=DAY + pd.Timedelta(days=7)) for d in reversed(deals)]
    m = match_deals(snap(*deals), snap(*curr_rows))
    assert pairs(m) == [
        (0, 4, "fuzzy"),
        (1, 3, "fuzzy"),
        (2, 2, "fuzzy"),
        (3, 1, "fuzzy"),
        (4, 0, "fuzzy"),
    ]
    assert not m["ambiguous"].any()


@pytest.mark.parametrize(
    ("prev_account", "curr_account", "matched"),
    [
        ("上海恒通机械有限公司", "上海恒通机械股份有限公司", True),
        ("上海恒通机械有限公司", "上海恒通機械有限公司", False),  # traditional 機 is another name
        ("ＡＣＭＥ有限公司", "Acme", True),
        ("西门子（中国）有限公司", "Siemens China Ltd.", False),  # no translation: other block
        ("", "", True),  # no account: blocked on team and owner
    ],
)
def test_chinese_and_english_account_names(
    prev_account: str, curr_account: str, matched: bool
) -> None:
    m = match_deals(
        snap({"account": prev_account, "deal_name": "恒通机械-MES系统升级"}),
        snap({"account": curr_account, "deal_name": "恒通机械－MES系统升级"}),
    )
    assert (pairs(m) == [(0, 0, "fuzzy")]) is matched


def test_deals_without_account_only_meet_the_same_team_and_owner() -> None:
    m = match_deals(
        snap({"account": "", "owner": "Ann Lee"}), snap({"account": "", "owner": "Bo Chen"})
    )
    assert pairs(m) == [(0, None, ""), (None, 0, "")]
    assert not m["ambiguous"].any()


def test_deals_without_account_or_team_still_only_meet_the_same_owner() -> None:
    # a frame without teams either: the owner alone keeps Bo's deal away from Ann's
    none = {"deal_id": "", "account": "", "team": None}
    prev = snap(
        {**none, "deal_name": "Packaging line retrofit"}, {**none, "deal_name": "Spare parts 2027"}
    )
    curr = snap(
        {**none, "deal_name": "Packaging line retrofit", "owner": "Bo Chen"},
        {**none, "deal_name": "Spare parts 2027"},
    )
    assert prev["team"].isna().all()
    m = match_deals(prev, curr)
    assert pairs(m) == [(0, None, ""), (1, 1, "fuzzy"), (None, 0, "")]
    assert not m["ambiguous"].any()


@pytest.mark.parametrize(
    "bad",
    [
        {"threshold": 1.2},
        {"floor": 0.9, "threshold": 0.8},
        {"margin": -0.1},
        {"name_weight": -1.0},
        {"name_weight": 0, "amount_weight": 0, "owner_weight": 0, "close_date_weight": 0},
        {"close_date_days": 0},
    ],
)
def test_invalid_settings_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"must|need") as refused:
        MatchSettings(**bad)
    hint = str(refused.value.hint)  # type: ignore[attr-defined]
    assert hint.startswith("set ") and "matching" in hint  # which setting, and how


def test_a_refused_close_date_window_says_how_to_set_it() -> None:
    with pytest.raises(ValueError, match="close_date_days") as refused:
        MatchSettings(close_date_days=0)
    assert str(refused.value) == (
        "close_date_days must be > 0, got 0\n"
        "Hint: set matching.close_date_days to a whole number of days > 0"
    )


def test_settings_are_frozen_and_weights_configurable() -> None:
    settings = MatchSettings(owner_weight=0.0)
    with pytest.raises(AttributeError):
        settings.threshold = 0.5  # type: ignore[misc]
    curr = snap({"owner": "Bo Chen", "deal_id": "X"})
    assert match_deals(snap({"deal_id": "Y"}), curr, settings=settings)["score"].tolist() == [1.0]


@pytest.mark.parametrize(
    ("prev", "curr", "message"),
    [
        (snap({"deal_id": "A"}, {"deal_id": "A"}), snap({}), "unique"),
        (snap({}).drop(columns="account"), snap({}), "account"),
    ],
)
def test_bad_inputs_are_refused(prev: pd.DataFrame, curr: pd.DataFrame, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        match_deals(prev, curr)


@pytest.mark.parametrize("side", ["prev", "curr"])
def test_a_refusal_names_the_snapshot_at_fault(side: str) -> None:
    bad = {"prev": snap({}), "curr": snap({})}
    bad[side] = snap({}).drop(columns=["owner", "close_date"])
    with pytest.raises(InputError) as lacking:
        match_deals(bad["prev"], bad["curr"])
    assert lacking.value.message == (
        f"{side} lacks the column(s) ['owner', 'close_date'] that matching needs"
    )
    assert lacking.value.hint == (
        "pass snapshots as ingest stores them (pipereview.history reads them whole)"
    )
    bad[side] = snap({"deal_id": "B"}, {"deal_id": " A"}, {"deal_id": "A "}, {"deal_id": "B"})
    with pytest.raises(InputError) as repeated:
        match_deals(bad["prev"], bad["curr"])
    assert repeated.value.message == f"{side}: deal IDs must be unique; repeated: ['A', 'B']"
    assert repeated.value.hint == "keep one row per deal ID in each snapshot"


def test_a_refusal_lists_the_first_five_repeated_ids() -> None:
    prev = snap(*({"deal_id": f"D{n}"} for n in [7, 1, 2, 3, 4, 5, 6] * 2))
    with pytest.raises(InputError) as repeated:
        match_deals(prev, snap({}))
    assert repeated.value.message == (
        "prev: deal IDs must be unique; repeated: ['D1', 'D2', 'D3', 'D4', 'D5']"
    )


def test_the_whole_table_of_an_id_match_a_fuzzy_match_and_the_unmatched() -> None:
    # P0-C1 share the ID A; P1 (no ID) and C0 (ID N1) are the same deal but for the amount:
    # 0.5 + 0.2 * 90 / 100 + 0.15 + 0.15 = 0.98; P2 and C2 have accounts of their own
    prev = snap({"deal_id": "A"}, {"deal_id": ""}, {"deal_id": "Q", "account": "Other GmbH"})
    curr = snap(
        {"deal_id": "N1", "amount": 90.0},
        {"deal_id": "A"},
        {"deal_id": "Z", "account": "Third AG"},
    )
    expected = pd.DataFrame(
        {
            "prev_row": pd.array([0, 1, 2, None], dtype="Int64"),
            "curr_row": pd.array([1, 0, None, 2], dtype="Int64"),
            "prev_deal_id": pd.Series(["A", None, "Q", None], dtype="str"),
            "curr_deal_id": pd.Series(["A", "N1", None, "Z"], dtype="str"),
            "method": pd.Series(["id", "fuzzy", "", ""], dtype="str"),
            "score": [1.0, 0.98, float("nan"), float("nan")],
            "runner_up": [float("nan")] * 4,
            "ambiguous": [False] * 4,
            "candidate_row": pd.array([None] * 4, dtype="Int64"),
        }
    )
    pd.testing.assert_frame_equal(match_deals(prev, curr), expected)


def test_empty_snapshots_and_inputs_left_untouched() -> None:
    assert match_deals(snap(), snap()).empty
    prev = snap({"deal_id": "A"}, {"deal_id": ""}).set_index(pd.Index([10, 20]))
    curr = snap({"deal_id": "B", "amount": 90.0}, {"deal_id": "", "deal_name": "Else"})
    before = prev.copy(), curr.copy()
    first = match_deals(prev, curr)
    pd.testing.assert_frame_equal(prev, before[0])
    pd.testing.assert_frame_equal(curr, before[1])
    pd.testing.assert_frame_equal(first, match_deals(prev, curr))
    assert pairs(match_deals(snap(), curr)) == [(None, 0, ""), (None, 1, "")]
    assert pairs(match_deals(prev, snap())) == [(0, None, ""), (1, None, "")]


# --- matching quality on generated pairs ---------------------------------------------------


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_matching", ROOT / "bench" / "matching.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("column_map", ["chinese_crm", "salesforce_dataloader"])
def test_quality_on_changed_ids(column_map: str) -> None:
    bench = _bench()
    prev, curr, truth = bench.make_pair(bench.base_snapshot(4080, column_map=column_map), seed=3)
    assert len(prev) == 4000 and len(truth) > 150
    m = match_deals(prev, curr)
    fuzzy = m[m["method"] == "fuzzy"]
    new_ids = curr["deal_id"].to_numpy()[fuzzy["curr_row"].to_numpy(dtype=int)]
    old_ids = prev["deal_id"].to_numpy()[fuzzy["prev_row"].to_numpy(dtype=int)]
    correct = sum(truth.get(new) == old for new, old in zip(new_ids, old_ids, strict=True))
    assert correct / len(fuzzy) >= 0.99  # precision
    assert correct / len(truth) >= 0.95  # recall of the changed-ID deals


# --- movements ----------------------------------------------------------------------------

LATER = DAY + pd.Timedelta(days=30)
CASES = [  # prev row (None: absent), curr row, category, every flag that holds
    ("new", None, {}, "new", {"new"}),
    ("new_and_won", None, {"stage": "won"}, "won", {"new", "won"}),
    ("won", {"stage": "negotiation"}, {"stage": "won"}, "won", {"won"}),
    ("lost", {}, {"stage": "lost"}, "lost", {"lost"}),
    ("lost_then_won", {"stage": "lost"}, {"stage": "won"}, "won", {"won"}),
    ("reopened", {"stage": "won"}, {"stage": "negotiation"}, "reopened", {"reopened"}),
    ("dropped", {}, None, "dropped", {"dropped"}),
    ("closed_left_export", {"stage": "won"}, None, "unchanged", set()),
    ("advanced", {}, {"stage": "negotiation"}, "advanced", {"advanced"}),
    ("regressed", {}, {"stage": "needs_confirmed"}, "regressed", {"regressed"}),
    ("pushed", {}, {"close_date": LATER}, "pushed", {"pushed"}),
    ("pulled_in", {"close_date": LATER}, {}, "pulled_in", {"pulled_in"}),
    ("amount_up", {}, {"amount": 150.5}, "amount_up", {"amount_up"}),
    ("amount_down", {}, {"amount": 99.99}, "amount_down", {"amount_down"}),
    ("unchanged", {}, {}, "unchanged", set()),
    (
        "advanced_pushed_up",
        {},
        {"stage": "negotiation", "close_date": LATER, "amount": 120.0},
        "advanced",
        {"advanced", "pushed", "amount_up"},
    ),
    (
        "won_higher_earlier",
        {},
        {"stage": "won", "amount": 130.0, "close_date": "2026-11-20"},
        "won",
        {"won", "amount_up", "pulled_in"},
    ),
]


@pytest.mark.parametrize(
    ("prev_row", "curr_row", "category", "flags"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_every_movement_category(
    prev_row: dict[str, Any] | None, curr_row: dict[str, Any] | None, category: str, flags: set[str]
) -> None:
    prev = snap(*([dict(prev_row, deal_id="D1")] if prev_row is not None else []))
    curr = snap(*([dict(curr_row, deal_id="D1")] if curr_row is not None else []))
    m = deal_movements(prev, curr)
    assert list(m.columns) == list(MOVEMENT_COLUMNS)
    assert m["category"].tolist() == [category]
    assert {f for f in CATEGORIES[:-1] if m[f].iloc[0]} == flags


def test_movement_deltas_are_hand_computed() -> None:
    prev = snap({"deal_id": "D1", "amount": 100.10, "close_date": "2026-11-30"})
    curr = snap(
        {"deal_id": "D1", "stage": "negotiation", "amount": 150.35, "close_date": "2027-01-04"}
    )
    row = deal_movements(prev, curr).iloc[0]
    assert (row["stage_from"], row["stage_to"]) == ("solution_quote", "negotiation")
    assert (row["state_from"], row["state_to"]) == ("open", "open")
    assert (row["amount_from"], row["amount_to"], row["amount_delta"]) == (100.10, 150.35, 50.25)
    assert row["close_date_to"] - row["close_date_from"] == pd.Timedelta(days=35)
    assert row["days_moved"] == 35
    assert (row["match_method"], row["match_score"]) == ("id", 1.0)


@pytest.mark.parametrize(
    ("prev", "curr", "categories"),
    [
        (None, snap({"deal_id": "A"}, {"deal_id": "B", "stage": "won"}), ["new", "won"]),
        (pd.DataFrame(), snap({"deal_id": "A"}), ["new"]),
        (
            snap({"deal_id": "A"}, {"deal_id": "B", "stage": "lost"}),
            snap(),
            ["dropped", "unchanged"],
        ),
        (snap(), snap(), []),
    ],
)
def test_first_week_and_empty_snapshots(
    prev: pd.DataFrame | None, curr: pd.DataFrame, categories: list[str]
) -> None:
    assert deal_movements(prev, curr)["category"].tolist() == categories


def test_snapshots_indexed_by_their_deal_ids_give_the_same_movements() -> None:
    # a user's frames indexed by deal ID (the ID kept as a column, as set_index(drop=False))
    prev = snap({"deal_id": "D1", "amount": 100.0}, {"deal_id": "D2", "stage": "negotiation"})
    curr = snap(
        {"deal_id": "D2", "stage": "won"}, {"deal_id": "D1", "amount": 120.0}, {"deal_id": "D3"}
    )
    plain = deal_movements(prev, curr)
    assert plain[["deal_id", "category", "amount_to"]].values.tolist() == [
        ["D1", "amount_up", 120.0],
        ["D2", "won", 100.0],
        ["D3", "new", 100.0],
    ]
    assert plain["amount_from"].tolist()[:2] == [100.0, 100.0]
    assert pd.isna(plain["amount_from"].iloc[2])
    keyed = deal_movements(
        prev.set_index("deal_id", drop=False), curr.set_index("deal_id", drop=False)
    )
    pd.testing.assert_frame_equal(keyed, plain)


def test_a_deal_won_then_reopened() -> None:
    weeks = [snap({"deal_id": "D1", "stage": s}) for s in ("negotiation", "won", "negotiation")]
    first, second = deal_movements(weeks[0], weeks[1]), deal_movements(weeks[1], weeks[2])
    assert first["category"].tolist() == ["won"]
    assert second["category"].tolist() == ["reopened"]
    assert (second["state_from"].iloc[0], second["stage_to"].iloc[0]) == ("won", "negotiation")


@pytest.mark.parametrize("deal_id", ["D1", ""])  # CRM export, and a spreadsheet without IDs
def test_a_deal_that_changes_owner_and_team(deal_id: str) -> None:
    prev = snap({"deal_id": deal_id, "stage": "solution_quote"})
    curr = snap(
        {
            "deal_id": deal_id,
            "owner": "王芳",
            "team": "华东",
            "stage_model": "industrial_b2b",
            "stage": "tender",
        }
    )
    row = deal_movements(prev, curr).iloc[0]
    assert row["match_method"] == ("id" if deal_id else "fuzzy")
    assert (row["owner_changed"], row["team_changed"]) == (True, True)
    assert (row["owner_from"], row["owner"], row["team_from"], row["team"]) == (
        "Ann Lee",
        "王芳",
        "North",
        "华东",
    )
    # other stage models: compared by default probability (solution_quote 0.4 < tender)
    assert row["category"] == "advanced"


def test_ambiguous_deals_are_counted_apart_and_flagged() -> None:
    m = deal_movements(snap({}, {}), snap({}, {}))
    assert m["category"].tolist() == ["dropped", "dropped", "new", "new"]
    assert m["ambiguous"].all()


def test_unknown_stage_is_refused() -> None:
    with pytest.raises(ValueError, match="generic_4:tender"):
        deal_movements(None, snap({"stage": "tender"}))
    with pytest.raises(InputError) as unknown:
        deal_movements(None, snap({"stage": "tender"}))
    assert unknown.value.message == "stages not in their stage model: generic_4:tender"
    assert unknown.value.hint == (
        "add these stage names to the stage model as aliases, or choose the model the export "
        "follows"
    )


@pytest.mark.parametrize("side", ["prev", "curr"])
def test_movements_refuse_a_snapshot_without_a_column_they_read(side: str) -> None:
    # matching does not read the currency; the movements do
    frames = {"prev": snap({"deal_id": "D1"}), "curr": snap({"deal_id": "D1"})}
    frames[side] = frames[side].drop(columns=["currency"])
    with pytest.raises(InputError) as lacking:
        deal_movements(frames["prev"], frames["curr"])
    assert lacking.value.message == f"{side} lacks the snapshot column(s) ['currency']"
    assert lacking.value.hint == (
        "pass snapshots as ingest stores them (pipereview.history reads them whole)"
    )


def test_an_owner_blank_in_both_weeks_has_not_changed() -> None:
    prev = snap({"deal_id": "D1"}).assign(owner=pd.Series([None], dtype="str"))
    curr = snap({"deal_id": "D1", "stage": "negotiation"}).assign(
        owner=pd.Series([None], dtype="str")
    )
    row = deal_movements(prev, curr).iloc[0]
    assert (row["category"], row["owner_changed"], row["team_changed"]) == (
        "advanced",
        False,
        False,
    )


def test_each_lost_deal_keeps_its_own_loss_reason() -> None:
    # rows follow last week's order (D2, D1); this week's file lists D1 first
    prev = snap({"deal_id": "D2"}, {"deal_id": "D1"})
    curr = snap({"deal_id": "D1", "stage": "lost"}, {"deal_id": "D2", "stage": "lost"})
    curr = curr.assign(loss_reason=["price", "timing"])
    out = deal_movements(prev, curr)
    assert out[["deal_id", "category", "loss_reason"]].values.tolist() == [
        ["D2", "lost", "timing"],
        ["D1", "lost", "price"],
    ]


def test_names_are_compared_folded_and_a_missing_one_as_blank() -> None:
    """What fuzzy matching compares: NFKC (full-width letters as ASCII), case folded,
    punctuation and runs of spaces as one space, ends trimmed; a missing name (None or NaN)
    is blank text, never the word "None" or "nan"."""
    from pipereview.history._fuzzy import _text

    names = pd.Series(["Acme,  Inc.", None, "Ｂｅｔａ—GmbH", "a\t b", float("nan"), "XXXX"])
    folded = _text(names)
    assert folded.dtype == object
    assert folded.tolist() == ["acme inc", "", "beta gmbh", "a b", "", "xxxx"]
    assert _text(pd.Series(["None", "nan"])).tolist() == ["none", "nan"]


# --- the assignment solver is imported only when a block needs it ----------------------------

_SOLVER_PROBE = """
import sys
sys.path.insert(0, {tests!r})
from test_matching import DAY, match_deals, pairs, snap
one = [{{"deal_name": "Acme - MES upgrade"}}]
m = match_deals(snap(*one), snap(*[dict(one[0], close_date=DAY)]))
print(pairs(m), "scipy.optimize" in sys.modules)
many = [{{"deal_name": f"Acme - MES upgrade ({{n}})", "amount": 100.0 * n}} for n in (1, 2)]
m = match_deals(snap(*many), snap(*reversed(many)))
print(pairs(m), "scipy.optimize" in sys.modules)
"""


def test_the_assignment_solver_is_imported_only_for_contested_candidates() -> None:
    import subprocess
    import sys

    probe = _SOLVER_PROBE.format(tests=str(ROOT / "tests"))
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    # one deal, one candidate: matched without scipy (~0.3 s to import, which every
    # team's review and `pipereview coach` paid)
    first, second = done.stdout.splitlines()
    assert first == "[(0, 0, 'fuzzy')] False"
    # two deals of one account, each a candidate of both: the solver decides
    assert second == "[(0, 1, 'fuzzy'), (1, 0, 'fuzzy')] True"
