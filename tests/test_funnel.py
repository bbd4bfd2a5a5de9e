"""Tests of pipereview.diagnostics._funnel and ._shape: hand-computed stage table and the sample's planted shapes."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from _budget import examples
from pipereview.core import SHAPE_NAMES
from pipereview.delivery._review import WeeklyReview
from pipereview.diagnostics._funnel import move_on_rates, stage_table
from pipereview.diagnostics._shape import SHAPE_LABELS, ShapeThresholds, funnel_shape
from pipereview.history._store import SnapshotStore

NAN = float("nan")


def _history() -> pd.DataFrame:
    # deal a: initial_contact in W45, W46, W47 -> in stage since Monday W45, 14 days before W47's Monday
    # deal b: initial_contact in W46, needs_confirmed in W47 -> 0 days in proposal
    weeks = ["2026-W45", "2026-W46", "2026-W47", "2026-W46", "2026-W47"]
    return pd.DataFrame(
        {
            "snapshot_week": weeks,
            "team": "T",
            "deal_id": ["a", "a", "a", "b", "b"],
            "owner": "Ann",
            "stage_model": "generic_4",
            "stage": [
                "initial_contact",
                "initial_contact",
                "initial_contact",
                "initial_contact",
                "needs_confirmed",
            ],
            "amount": [100.0, 100.0, 100.0, 300.0, 300.0],
            "probability": [0.5, 0.5, 0.5, NAN, NAN],
        }
    )


def test_stage_table_hand_computed() -> None:
    history = _history()
    before = history.copy()
    table = stage_table(history, as_of="2026-W47").set_index("stage")
    pd.testing.assert_frame_equal(history, before)  # input not mutated
    # initial_contact: deal a, 100 x 0.5 (snapshot probability) = 50, age 14 days, share 1/2
    assert table.loc["initial_contact", "count"] == 1
    assert table.loc["initial_contact", "weighted"] == 50.0
    assert table.loc["initial_contact", "median_age_days"] == 14.0
    assert table.loc["initial_contact", "share"] == 0.5
    # needs_confirmed: deal b, 300 x model probability; entered in W47: 0 days
    assert table.loc["needs_confirmed", "amount"] == 300.0
    assert table.loc["needs_confirmed", "median_age_days"] == 0.0
    # empty stages listed with zeros, in model order
    assert list(table["stage_order"]) == list(range(len(table)))
    assert table.loc["solution_quote", "count"] == 0
    empty = table.loc["solution_quote", ["count", "amount", "weighted", "share"]]
    assert empty.tolist() == [0, 0.0, 0.0, 0.0]  # zeros, never blanks
    assert "WEIGHTED" not in table.columns and table["weighted"].notna().all()


def test_move_on_rates_hand_computed() -> None:
    # exposures in the window W39..W46: a W45->W46 (stayed), a W46->W47 (stayed),
    # b W46->W47 (moved on): 1 of 3
    rates = move_on_rates(_history(), as_of="2026-W47")
    assert rates["exposures"].tolist() == [3]
    assert math.isclose(rates["move_on_rate"].iloc[0], 1 / 3)


def test_a_deal_whose_id_changed_is_one_deal_when_keyed() -> None:
    # deal a is exported as "a" in W45-W46 and as "a-new" in W47 (CRM migration); with the
    # stable key it has been in initial_contact since W45 (14 days) and stays one deal
    history = _history()
    history.loc[2, "deal_id"] = "a-new"
    unkeyed = stage_table(history, as_of="2026-W47").set_index("stage")
    assert unkeyed.loc["initial_contact", "median_age_days"] == 0.0  # looks brand new
    keyed = history.assign(deal_key=["a", "a", "a", "b", "b"])
    table = stage_table(keyed, as_of="2026-W47").set_index("stage")
    assert table.loc["initial_contact", "median_age_days"] == 14.0
    # move-on exposures: a W45->W46 and W46->W47 (stayed), b W46->W47 (moved): 1 of 3
    assert move_on_rates(keyed, as_of="2026-W47")["exposures"].tolist() == [3]
    assert move_on_rates(history, as_of="2026-W47")["exposures"].tolist() == [2]


def test_few_deals_not_enough_data() -> None:
    shape = funnel_shape(_history(), as_of="2026-W47", settings=ShapeThresholds(min_open=3))
    assert shape["label"].tolist() == ["not_enough_data"]  # 2 open deals < 3


def test_the_old_thresholds_keyword_still_works_with_a_deprecation_warning() -> None:
    with pytest.warns(DeprecationWarning, match=r"funnel_shape\(thresholds=...\) is deprecated"):
        old = funnel_shape(_history(), as_of="2026-W47", thresholds=ShapeThresholds(min_open=2))
    new = funnel_shape(_history(), as_of="2026-W47", settings=ShapeThresholds(min_open=2))
    pd.testing.assert_frame_equal(old, new)
    assert old["label"].tolist() != ["not_enough_data"]  # the old keyword's thresholds apply


@pytest.fixture(scope="module")
def sample_history(sample_store: Path) -> pd.DataFrame:
    """Every sample week, ingested from data/samples into a fresh store."""
    return SnapshotStore(sample_store).history()


def test_sample_west_thin_top(sample_history: pd.DataFrame) -> None:
    shape = funnel_shape(sample_history, as_of="2026-W47").set_index("team")
    assert shape.loc["West", "label"] == "thin_top"
    assert (shape.drop(index="West")["label"] != "thin_top").all()


def test_sample_jordan_blake_bottleneck(sample_history: pd.DataFrame) -> None:
    shape = funnel_shape(sample_history, as_of="2026-W47", by="rep")
    north = shape[shape["team"] == "North"].set_index("owner")
    assert north.loc["Jordan Blake", "label"] == "bulge"
    assert north.loc["Jordan Blake", "stage"] == "id_decision_makers"
    assert (north.drop(index="Jordan Blake")["label"] == "healthy").all()


# --- degenerate shapes and long-standing bottlenecks (hand-computed) --------------------

STAGES = ("initial_contact", "needs_confirmed", "solution_quote", "negotiation")


def _counts_history(counts: dict[str, tuple[int, ...]], weeks: int = 1) -> pd.DataFrame:
    """``counts[team]`` open deals per generic_4 stage, the same deals in each of ``weeks``
    weeks ending 2026-W47 (so each has been in its stage since the first week)."""
    rows = []
    for w in range(48 - weeks, 48):
        for team, per_stage in counts.items():
            for stage, n in zip(STAGES, per_stage, strict=True):
                rows += [
                    {
                        "snapshot_week": f"2026-W{w:02d}",
                        "team": team,
                        "deal_id": f"{team}-{stage}-{i}",
                        "owner": f"{team} rep",
                        "stage": stage,
                        "stage_model": "generic_4",
                        "amount": 10.0,
                        "probability": NAN,
                    }
                    for i in range(n)
                ]
    return pd.DataFrame(rows)


def test_no_deal_early_anywhere_is_not_top_heavy() -> None:
    # top = initial_contact (1 of 4 stages): 0 deals in both teams, so top density 0 vs a
    # reference of 0; "0 >= 2 x 0" is no evidence of deals piling up early
    shape = funnel_shape(
        _counts_history({"A": (0, 0, 10, 15), "B": (0, 0, 12, 13)}), as_of="2026-W47"
    ).set_index("team")
    assert shape["label"].tolist() == ["healthy", "healthy"]
    assert shape["top_density"].tolist() == [0.0, 0.0]
    # A's bottom: 15 of 25 in 1/4 of the stages -> density 0.6 / 0.25 = 2.4
    assert math.isclose(shape.loc["A", "bottom_density"], 2.4)


def test_every_open_deal_in_one_stage_is_named_not_read_as_a_shape() -> None:
    for stage_index in range(4):
        per_stage = tuple(25 if i == stage_index else 0 for i in range(4))
        shape = funnel_shape(
            _counts_history({"A": per_stage, "B": (10, 8, 6, 4)}), as_of="2026-W47"
        ).set_index("team")
        assert shape.loc["A", "label"] == "one_stage"
        assert shape.loc["A", "stage"] == STAGES[stage_index]
        assert shape.loc["B", "label"] != "top_heavy"


def test_teams_all_in_the_same_one_stage_each_name_that_stage() -> None:
    # A and B have held every open deal in solution_quote for 3 weeks: no stage stands out
    # against their own past or the peer (a share of 1 against a reference of 1, 0 against
    # 0 elsewhere), yet each is one_stage and names solution_quote, not the model's first
    shape = funnel_shape(
        _counts_history({"A": (0, 0, 25, 0), "B": (0, 0, 25, 0)}, weeks=3), as_of="2026-W47"
    ).set_index("team")
    assert shape.loc[["A", "B"], ["label", "stage"]].values.tolist() == [
        ["one_stage", STAGES[2]],
        ["one_stage", STAGES[2]],
    ]


def test_the_reference_share_of_the_bulge_stage_is_a_float_column() -> None:
    # A bulges in needs_confirmed against its peers (the median 0.25 of B and C); B and C
    # read against their own past weeks, also 0.25 there: a numeric column, not objects
    counts = {"A": (5, 20, 3, 2), "B": (10, 10, 10, 10), "C": (8, 8, 8, 8)}
    shape = funnel_shape(_counts_history(counts, weeks=3), as_of="2026-W47")
    pd.testing.assert_series_equal(
        shape["ref_stage_share"], pd.Series([0.25, 0.25, 0.25], name="ref_stage_share")
    )
    assert shape["ref_stage_kind"].tolist() == ["peers", "past_weeks", "past_weeks"]


def test_a_bottleneck_as_old_as_the_store_is_found_against_peers() -> None:
    # A has had 20 of 30 deals in needs_confirmed for all 3 stored weeks: its own past
    # looks the same, but the other teams hold 25% there (median of 0.25, 0.25)
    counts = {"A": (5, 20, 3, 2), "B": (10, 10, 10, 10), "C": (8, 8, 8, 8)}
    shape = funnel_shape(_counts_history(counts, weeks=3), as_of="2026-W47").set_index("team")
    assert shape.loc["A", "label"] == "bulge"
    assert shape.loc["A", "stage"] == "needs_confirmed"
    assert shape.loc["A", "ref_stage_kind"] == "peers"
    assert math.isclose(shape.loc["A", "stage_share"], 20 / 30)
    assert math.isclose(shape.loc["A", "ref_stage_share"], 0.25)
    assert shape.loc["A", "stuck_median_age_days"] == 14.0  # W45 -> W47
    assert shape.loc[["B", "C"], "label"].tolist() == ["healthy", "healthy"]


def test_a_lone_team_bottleneck_is_found_against_the_stage_benchmark() -> None:
    # one team, 5 weeks: 20 of 25 in negotiation for 28 days (typical 21); the model's
    # benchmark share of negotiation is 21 / (14 + 21 + 21 + 21) = 0.2727
    shape = funnel_shape(_counts_history({"A": (5, 0, 0, 20)}, weeks=5), as_of="2026-W47")
    row = shape.iloc[0]
    assert (row["label"], row["stage"], row["ref_stage_kind"]) == (
        "bulge",
        "negotiation",
        "benchmark",
    )
    assert math.isclose(row["ref_stage_share"], 21 / 77)
    assert row["stuck_median_age_days"] == 28.0
    # the same shape in its first week: the deals have not stayed longer than typical
    fresh = funnel_shape(_counts_history({"A": (5, 0, 0, 20)}, weeks=1), as_of="2026-W47")
    assert fresh["label"].tolist() == ["healthy"]


def test_one_stored_week_leaves_the_inflow_unknown_not_zero() -> None:
    shape = funnel_shape(
        _counts_history({"A": (10, 8, 6, 4), "B": (1, 8, 10, 12)}), as_of="2026-W47"
    ).set_index("team")
    assert shape["inflow_per_week"].isna().all()
    assert (shape["label"] != "thin_top").all()  # a thin top needs a known inflow


def test_a_deal_without_an_owner_counts_in_its_teams_inflow() -> None:
    # A holds a1..a3 from W45, the store's first week (left out); new in W46: n1 and n2
    # (no owner), in W47: n3 and n4: 4 new deals over W46..W47, 2.0 a week
    def row(week: str, deal: str, owner: str | None = "Ann") -> dict[str, object]:
        return {
            "snapshot_week": week,
            "team": "A",
            "deal_id": deal,
            "owner": owner,
            "stage_model": "generic_4",
            "stage": "initial_contact",
            "amount": 10.0,
            "probability": NAN,
        }

    rows = [row(w, d) for w in ("2026-W45", "2026-W46", "2026-W47") for d in ("a1", "a2", "a3")]
    rows += [
        row(w, d, o) for w in ("2026-W46", "2026-W47") for d, o in (("n1", "Ann"), ("n2", None))
    ]
    rows += [row("2026-W47", "n3"), row("2026-W47", "n4", "Bo")]
    history = pd.DataFrame(rows)
    shape = funnel_shape(history, as_of="2026-W47")
    assert shape[["team", "open_deals", "inflow_per_week"]].values.tolist() == [["A", 7, 2.0]]
    named = funnel_shape(history.fillna({"owner": "Cy"}), as_of="2026-W47")
    assert named["inflow_per_week"].tolist() == [2.0]


def test_one_rep_has_no_teammates_to_compare_with() -> None:
    shape = funnel_shape(_counts_history({"A": (2, 2, 2, 20)}, weeks=3), as_of="2026-W47", by="rep")
    assert shape["label"].tolist() == ["healthy"]
    assert shape["ref_top_density"].isna().all()
    assert shape["ref_stage_share"].isna().all()


def test_no_open_deal_gives_no_row() -> None:
    history = _counts_history({"A": (1, 0, 0, 0)}).assign(stage="won")
    assert funnel_shape(history, as_of="2026-W47").empty


@st.composite
def _team_counts(draw: st.DrawFn) -> dict[str, tuple[int, ...]]:
    n_teams = draw(st.integers(1, 4))
    count = st.integers(0, 30)
    counts = {f"T{i}": tuple(draw(count) for _ in STAGES) for i in range(n_teams)}
    assume(any(sum(c) for c in counts.values()))
    return counts


@settings(max_examples=examples(25), deadline=None, derandomize=True)
@given(counts=_team_counts())
def test_labels_follow_their_definitions(counts: dict[str, tuple[int, ...]]) -> None:
    """Each label, recomputed by hand from the stage counts (one week: no inflow, no past)."""
    th = ShapeThresholds()
    shape = funnel_shape(_counts_history(counts), as_of="2026-W47").set_index("team")
    with_deals = {t: c for t, c in counts.items() if sum(c)}
    assert set(shape.index) == set(with_deals)
    top = {t: c[0] / sum(c) / 0.25 for t, c in with_deals.items()}
    bottom = {t: c[3] / sum(c) / 0.25 for t, c in with_deals.items()}
    for team, c in with_deals.items():
        label = shape.loc[team, "label"]
        others_top = [v for t, v in top.items() if t != team]
        others_bottom = [v for t, v in bottom.items() if t != team]
        ref_top = float(np.median(others_top)) if others_top else NAN
        ref_bottom = float(np.median(others_bottom)) if others_bottom else NAN
        assert math.isclose(shape.loc[team, "top_density"], top[team])
        if sum(c) < th.min_open:
            assert label == "not_enough_data"
            continue
        if max(c) == sum(c):
            assert label == "one_stage"
            assert shape.loc[team, "stage"] == STAGES[c.index(max(c))]
            continue
        assert label in ("bulge", "top_heavy", "thin_bottom", "healthy")  # no inflow known
        heavy = ref_top > 0 and top[team] > 0 and top[team] >= th.heavy_ratio * ref_top
        thin = ref_bottom > 0 and bottom[team] < th.thin_bottom_ratio * ref_bottom
        if label == "bulge":
            share, ref = shape.loc[team, "stage_share"], shape.loc[team, "ref_stage_share"]
            assert share - ref >= th.bulge_points and share >= th.bulge_ratio * ref
            assert shape.loc[team, "stuck_count"] >= th.min_stage_deals
        elif label == "top_heavy":
            assert heavy
        elif label == "thin_bottom":
            assert thin and not heavy
        else:
            assert not heavy and not thin


def test_every_label_reads_as_words_in_both_languages() -> None:
    assert set(SHAPE_NAMES) == set(SHAPE_LABELS)
    for en, zh in SHAPE_NAMES.values():
        assert "_" not in en and not any("a" <= ch.lower() <= "z" for ch in zh)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "every open deal in one stage (no shape to read)"),
        ("zh", "所有在跟商机都在同一阶段（看不出漏斗形态）"),
    ],
)
def test_the_review_names_a_one_stage_funnel(lang: str, text: str) -> None:
    history = _counts_history({"A": (0, 0, 0, 25)}).assign(
        deal_name="Deal", account="Acme", currency="EUR", close_date=pd.Timestamp("2026-12-31")
    )
    body = WeeklyReview(history, team="A", week="2026-W47", lang=lang).funnel_section().body
    assert text in body and "one_stage" not in body


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_funnel_in_one_stage_names_no_bottleneck_in_the_review(lang: str) -> None:
    """Every open deal of A in solution_quote: there is no bottleneck to name. The glance
    said "Bottleneck stage: Solution & quote" beside "every open deal in one stage (no
    shape to read)", and the funnel's rep table named it as the bottleneck too."""
    from pipereview.delivery._reviewglance import answers
    from pipereview.delivery._textlint import lint_text
    from pipereview.delivery._visibletext import html_text

    h = _counts_history({"A": (0, 0, 25, 0), "B": (10, 8, 6, 4)}).assign(
        deal_name="D", currency="USD", close_date=pd.Timestamp("2026-12-20")
    )
    review = WeeklyReview(h, team="A", week="2026-W47", lang=lang)
    stuck = next(a for a in answers(review) if a.key == "stuck")
    said = {
        "en": "All 25 open deals are at Solution & quote.",
        "zh": "在跟商机 25 个，全部在方案报价阶段。",
    }[lang]
    assert stuck.behind == said
    funnel = html_text(review.funnel_section()._repr_html_())
    bottleneck = "Bottleneck stage" if lang == "en" else "瓶颈阶段"
    rows = [line.split("\t") for line in funnel.splitlines() if line.startswith("A rep\t")]
    assert rows and all(row[2:] in ([], [""]) for row in rows), rows  # no stage named
    assert bottleneck in funnel  # the column is there, empty for this rep
    assert lint_text(funnel, lang, names=["A", "A rep", "B", "B rep"]) == [], funnel
    # a bulge keeps its bottleneck: B's funnel against A's
    bulge = WeeklyReview(h, team="B", week="2026-W47", lang=lang)
    assert next(a for a in answers(bulge) if a.key == "stuck").behind != said
