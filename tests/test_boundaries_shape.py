"""Boundary tests of the funnel-shape thresholds (``funnel_shape``, :class:`ShapeThresholds`):
each label rule just below, exactly at and just above its threshold, at the default
setting and at another one.

A rule judged against the other teams is checked on three variants of team A (``below``,
``at``, ``above``) next to three copies of team B: the median of the five other teams,
each variant's reference, is then B's figure exactly (three of the five are B's)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import pytest

from _boundaries import boundary
from pipereview.core._stages import load_stage_model
from pipereview.diagnostics._shape import ShapeThresholds, funnel_shape

NAN = float("nan")
AS_OF = "2026-W47"
SIDES = ("below", "at", "above")


def _stages(model: str) -> list[str]:
    return [s.key for s in load_stage_model(model).open_stages]


def _deal(week: str, team: str, owner: str, deal_id: str, stage: str, model: str) -> dict[str, Any]:
    return {
        "snapshot_week": week,
        "team": team,
        "deal_id": deal_id,
        "owner": owner,
        "stage": stage,
        "stage_model": model,
        "amount": 10.0,
        "probability": NAN,
    }


def _one_week(
    counts: dict[str, tuple[int, ...]], models: dict[str, str] | None = None
) -> pd.DataFrame:
    """``counts[team]`` open deals per stage of the team's model (``models``, else
    generic_4), all in the as-of week only."""
    rows = []
    for team, per_stage in counts.items():
        model = (models or {}).get(team, "generic_4")
        for stage, n in zip(_stages(model), per_stage, strict=True):
            rows += [_deal(AS_OF, team, "", f"{team}-{stage}-{i}", stage, model) for i in range(n)]
    return pd.DataFrame(rows)


def _two_weeks(now: dict[str, tuple[int, ...]], new: dict[str, tuple[int, ...]]) -> pd.DataFrame:
    """``now[team]`` open deals per generic_4 stage in 2026-W47, ``new[team]`` of them first
    seen there; each new deal takes the place of a deal open in the same stage in W46 and
    won in W47, so W46's open deals per stage are W47's (the team's own past shows no
    bulge) and the new-deal inflow is ``new`` a week."""
    rows = []
    for team, counts in now.items():
        for stage, n, fresh in zip(_stages("generic_4"), counts, new[team], strict=True):
            for i in range(n - fresh):  # open in both weeks
                for week in ("2026-W46", AS_OF):
                    rows.append(_deal(week, team, "", f"{team}-{stage}-{i}", stage, "generic_4"))
            for i in range(fresh):
                old = f"{team}-{stage}-old-{i}"
                rows.append(_deal("2026-W46", team, "", old, stage, "generic_4"))
                rows.append(_deal(AS_OF, team, "", old, "won", "generic_4"))
                rows.append(_deal(AS_OF, team, "", f"{team}-{stage}-new-{i}", stage, "generic_4"))
    return pd.DataFrame(rows)


def _against_b(variants: Sequence[Any], b: Any) -> dict[str, Any]:
    """The variants of team A below, at and above the threshold, and three copies of B."""
    return {**dict(zip(SIDES, variants, strict=True)), "B1": b, "B2": b, "B3": b}


def _labels(history: pd.DataFrame, settings: ShapeThresholds | None = None) -> list[str]:
    """The labels of teams ``below``, ``at`` and ``above``, in that order."""
    shape = funnel_shape(history, as_of=AS_OF, settings=settings).set_index("team")
    return shape.loc[list(SIDES), "label"].tolist()


# --- min_open -------------------------------------------------------------------------


@boundary("funnel_shape.min_open")
@pytest.mark.parametrize(
    ("min_open", "counts", "labels"),
    [
        (20, [(5, 5, 5, 4), (5, 5, 5, 5), (6, 5, 5, 5)], ["not_enough_data", "healthy", "healthy"]),
        (7, [(2, 2, 2, 0), (2, 2, 2, 1), (2, 2, 2, 2)], ["not_enough_data", "healthy", "healthy"]),
    ],
)
def test_exactly_min_open_deals_is_judged(
    min_open: int, counts: list[tuple[int, ...]], labels: list[str]
) -> None:
    # teams of min_open - 1, min_open and min_open + 1 open deals
    history = _one_week(dict(zip(SIDES, counts, strict=True)))
    assert _labels(history, ShapeThresholds(min_open=min_open)) == labels


# --- early_fraction -------------------------------------------------------------------

_MODELS = {"generic_4": 4, "industrial_b2b": 5, "salesforce": 8}  # open stages


@boundary("funnel_shape.early_fraction")
@pytest.mark.parametrize(
    ("early_fraction", "edges"),
    [
        # a third of 4, 5 and 8 stages, to the nearest whole stage: 1, 2 and 3
        (1 / 3 - 1e-9, {"generic_4": 1, "industrial_b2b": 2, "salesforce": 3}),
        (1 / 3, {"generic_4": 1, "industrial_b2b": 2, "salesforce": 3}),
        (1 / 3 + 1e-9, {"generic_4": 1, "industrial_b2b": 2, "salesforce": 3}),
        # a setting that splits the stages exactly: half of 4 is 2, half of 8 is 4
        (0.5 - 1e-9, {"generic_4": 2, "salesforce": 4}),
        (0.5, {"generic_4": 2, "salesforce": 4}),
        (0.5 + 1e-9, {"generic_4": 2, "salesforce": 4}),
        # where the nearest whole stage of 4 changes (1.5 stages)
        (0.375 - 1e-9, {"generic_4": 1}),
        (0.375 + 1e-9, {"generic_4": 2}),
        # at least one stage, however small the fraction
        (0.01, {"generic_4": 1, "industrial_b2b": 1, "salesforce": 1}),
    ],
)
def test_the_top_and_bottom_are_the_first_and_last_early_fraction_of_the_stages(
    early_fraction: float, edges: dict[str, int]
) -> None:
    # 2, 4, 8, ... deals per stage: each number of top (bottom) stages gives its own share
    counts = {m: tuple(2 ** (i + 1) for i in range(_MODELS[m])) for m in edges}
    history = _one_week(counts, models={m: m for m in edges})
    settings = ShapeThresholds(early_fraction=early_fraction)
    shape = funnel_shape(history, as_of=AS_OF, settings=settings).set_index("team")
    for model, edge in edges.items():
        total = sum(counts[model])
        assert shape.loc[model, "top_share"] == sum(counts[model][:edge]) / total
        assert shape.loc[model, "bottom_share"] == sum(counts[model][-edge:]) / total


# --- thin_top_ratio ---------------------------------------------------------------------


def _thin_top_history(tops: tuple[int, int, int], news: tuple[int, int, int]) -> pd.DataFrame:
    """B: 4 of 20 open deals at the top (top density 0.8), 8 new deals a week (inflow
    rate 0.4). Each variant of A: 20 open deals, ``top`` at the top, ``new`` new a week,
    its bottom as B's."""
    now = _against_b(tuple((top, 7, 8 - top, 5) for top in tops), (4, 6, 5, 5))
    new = _against_b(tuple((0, n, 0, 0) for n in news), (0, 4, 2, 2))
    return _two_weeks(now, new)


@boundary("funnel_shape.thin_top_ratio")
@pytest.mark.parametrize(
    ("ratio", "tops"),
    [
        (0.5, (1, 2, 3)),  # top density 0.2, 0.4 (exactly half of 0.8), 0.6
        (0.25, (0, 1, 2)),  # 0.0, 0.2 (exactly a quarter of 0.8), 0.4
    ],
)
def test_a_top_density_exactly_thin_top_ratio_of_the_reference_is_not_a_thin_top(
    ratio: float, tops: tuple[int, int, int]
) -> None:
    # the inflow is thin throughout: 1 new deal a week of 20 open (0.05 < 0.25 x 0.4)
    history = _thin_top_history(tops, news=(1, 1, 1))
    labels = _labels(history, ShapeThresholds(thin_top_ratio=ratio))
    assert labels == ["thin_top", "healthy", "healthy"]


@boundary("funnel_shape.thin_top_ratio")
@pytest.mark.parametrize(
    ("ratio", "news"),
    [
        (0.5, (3, 4, 5)),  # inflow rate 0.15, 0.2 (exactly half of 0.4), 0.25
        (0.25, (1, 2, 3)),  # 0.05, 0.1 (exactly a quarter of 0.4), 0.15
    ],
)
def test_an_inflow_exactly_thin_top_ratio_of_the_reference_is_not_a_thin_top(
    ratio: float, news: tuple[int, int, int]
) -> None:
    # the top is thin throughout: no deal at the top (density 0 < 0.25 x 0.8)
    history = _thin_top_history((0, 0, 0), news)
    labels = _labels(history, ShapeThresholds(thin_top_ratio=ratio))
    assert labels == ["thin_top", "healthy", "healthy"]


# --- bulge_points, bulge_ratio, min_stage_deals (teams, against the peers) ---------------


@boundary("funnel_shape.bulge_points")
@pytest.mark.parametrize(
    ("points", "stuck"),
    [
        # B holds 5 of 100 in needs_confirmed; A's share there is stuck / 100, at least
        # 3.8 times B's: only the points decide
        (0.15, (19, 20, 21)),  # 14, exactly 15, 16 points above
        (0.20, (24, 25, 26)),  # 19, exactly 20, 21 points above
    ],
)
def test_a_stage_exactly_bulge_points_above_its_reference_is_a_bulge(
    points: float, stuck: tuple[int, int, int]
) -> None:
    a = tuple((25, n, 50 - n, 25) for n in stuck)
    history = _one_week(_against_b(a, (25, 5, 45, 25)))
    assert _labels(history, ShapeThresholds(bulge_points=points)) == ["healthy", "bulge", "bulge"]


@boundary("funnel_shape.bulge_points")
def test_a_stage_exactly_15_points_above_a_reference_of_14_percent_is_a_bulge() -> None:
    history = _one_week(
        _against_b(((25, 28, 22, 25), (25, 29, 21, 25), (25, 30, 20, 25)), (25, 14, 36, 25))
    )
    assert _labels(history) == ["healthy", "bulge", "bulge"]


@boundary("funnel_shape.bulge_ratio")
@pytest.mark.parametrize(
    ("ratio", "stuck"),
    [
        # B holds 25 of 100 in needs_confirmed; A's share there is stuck / 100, at least
        # 24 points above B's: only the ratio decides
        (2.0, (49, 50, 51)),  # 1.96, exactly 2, 2.04 times B's
        (3.0, (74, 75, 76)),  # 2.96, exactly 3, 3.04 times B's
    ],
)
def test_a_stage_exactly_bulge_ratio_times_its_reference_is_a_bulge(
    ratio: float, stuck: tuple[int, int, int]
) -> None:
    a = tuple((10, n, 80 - n, 10) for n in stuck)
    history = _one_week(_against_b(a, (10, 25, 55, 10)))
    assert _labels(history, ShapeThresholds(bulge_ratio=ratio)) == ["healthy", "bulge", "bulge"]


@boundary("funnel_shape.min_stage_deals")
@pytest.mark.parametrize(
    ("min_stage_deals", "stuck"),
    [
        # 20 open deals each; B has none in needs_confirmed, A has `stuck` there
        (5, (4, 5, 6)),
        (3, (2, 3, 4)),
    ],
)
def test_exactly_min_stage_deals_stuck_is_enough_for_a_bulge(
    min_stage_deals: int, stuck: tuple[int, int, int]
) -> None:
    a = tuple((6, n, 10 - n, 4) for n in stuck)
    history = _one_week(_against_b(a, (6, 0, 10, 4)))
    settings = ShapeThresholds(min_stage_deals=min_stage_deals)
    assert _labels(history, settings) == ["healthy", "bulge", "bulge"]


# --- heavy_ratio, thin_bottom_ratio -------------------------------------------------------


@boundary("funnel_shape.heavy_ratio")
@pytest.mark.parametrize(
    ("ratio", "b_top", "tops"),
    [
        # B has b_top of 100 at the top, A tops[i] of 100 (too few points above B's
        # share for a bulge)
        (2.0, 5, (9, 10, 11)),  # 1.8, exactly 2, 2.2 times B's top density
        (4.0, 2, (7, 8, 9)),  # 3.5, exactly 4, 4.5 times
    ],
)
def test_a_top_density_exactly_heavy_ratio_times_the_reference_is_top_heavy(
    ratio: float, b_top: int, tops: tuple[int, int, int]
) -> None:
    a = tuple((top, 30, 50 - top, 20) for top in tops)
    history = _one_week(_against_b(a, (b_top, 30, 50 - b_top, 20)))
    labels = _labels(history, ShapeThresholds(heavy_ratio=ratio))
    assert labels == ["healthy", "top_heavy", "top_heavy"]


@boundary("funnel_shape.heavy_ratio")
def test_a_top_density_exactly_three_times_the_reference_is_top_heavy_at_heavy_ratio_3() -> None:
    a = tuple((top, 30, 50 - top, 20) for top in (14, 15, 16))
    history = _one_week(_against_b(a, (5, 30, 45, 20)))
    labels = _labels(history, ShapeThresholds(heavy_ratio=3.0))
    assert labels == ["healthy", "top_heavy", "top_heavy"]


@boundary("funnel_shape.thin_bottom_ratio")
@pytest.mark.parametrize(
    ("ratio", "bottoms"),
    [
        # B has 20 of 100 at the bottom (density 0.8), A bottoms[i] of 100
        (0.5, (9, 10, 11)),  # 0.36, 0.4 (exactly half), 0.44
        (0.25, (4, 5, 6)),  # 0.16, 0.2 (exactly a quarter), 0.24
    ],
)
def test_a_bottom_density_exactly_thin_bottom_ratio_of_the_reference_is_not_thin(
    ratio: float, bottoms: tuple[int, int, int]
) -> None:
    a = tuple((25, 30, 45 - n, n) for n in bottoms)
    history = _one_week(_against_b(a, (25, 30, 25, 20)))
    labels = _labels(history, ShapeThresholds(thin_bottom_ratio=ratio))
    assert labels == ["thin_bottom", "healthy", "healthy"]


# --- reps: slow_ratio and min_stage_deals (exposures behind the move-on rate) --------------


def _rep_rows(
    team: str, *, exposures: int, moved: int, teammate_moved: int, stuck_new: int
) -> list[dict[str, Any]]:
    """Team ``team``, generic_4, 2026-W46 and W47. Ann: ``exposures`` deals in
    needs_confirmed in W46, ``moved`` of them won in W47, the rest still there with
    ``stuck_new`` new ones, and 4, 3, 4 deals in the other stages both weeks. Bo, her
    teammate: 10 deals in needs_confirmed in W46, ``teammate_moved`` of them won in W47,
    and 20 in each other stage both weeks."""
    stages = _stages("generic_4")
    rows = []

    def deal(owner: str, deal_id: str, w46: str | None, w47: str) -> None:
        deal_id = f"{team}-{deal_id}"
        if w46 is not None:
            rows.append(_deal("2026-W46", team, owner, deal_id, w46, "generic_4"))
        rows.append(_deal(AS_OF, team, owner, deal_id, w47, "generic_4"))

    for owner, others, needs, won in (
        ("Ann", (4, 3, 4), exposures, moved),
        ("Bo", (20, 20, 20), 10, teammate_moved),
    ):
        for stage, n in zip([stages[0], *stages[2:]], others, strict=True):
            for i in range(n):
                deal(owner, f"{owner}-{stage}-{i}", stage, stage)
        for i in range(needs):
            deal(owner, f"{owner}-needs-{i}", stages[1], "won" if i < won else stages[1])
    for i in range(stuck_new):
        deal("Ann", f"Ann-needs-new-{i}", None, stages[1])
    return rows


def _ann_labels(rows: list[dict[str, Any]], settings: ShapeThresholds) -> list[str]:
    """Ann's label in teams ``below``, ``at`` and ``above`` (each team on its own: a rep
    is judged against her teammates)."""
    shape = funnel_shape(pd.DataFrame(rows), as_of=AS_OF, by="rep", settings=settings)
    ann = shape[shape["owner"] == "Ann"].set_index("team")
    return ann.loc[list(SIDES), "label"].tolist()


@boundary("funnel_shape.slow_ratio")
@pytest.mark.parametrize(
    ("ratio", "teammate_moved"),
    [
        # Ann moves 1 of 10 on (0.1); Bo moves teammate_moved of 10 on
        (0.25, (3, 4, 5)),  # 0.1 above, exactly, below a quarter of Bo's 0.3, 0.4, 0.5
        (0.5, (1, 2, 3)),  # 0.1 above, exactly, below half of Bo's 0.1, 0.2, 0.3
    ],
)
def test_a_rep_moving_on_exactly_slow_ratio_of_the_teammates_rate_is_no_bottleneck(
    ratio: float, teammate_moved: tuple[int, int, int]
) -> None:
    rows = [
        row
        for team, k in zip(SIDES, teammate_moved, strict=True)
        for row in _rep_rows(team, exposures=10, moved=1, teammate_moved=k, stuck_new=0)
    ]
    labels = _ann_labels(rows, ShapeThresholds(slow_ratio=ratio))
    assert labels == ["healthy", "healthy", "bulge"]


@boundary("funnel_shape.min_stage_deals")
@pytest.mark.parametrize(
    ("min_stage_deals", "exposures"),
    [
        # Ann: 9 deals stuck in needs_confirmed, `exposures` of them there last week too
        (5, (4, 5, 6)),
        (7, (6, 7, 8)),
    ],
)
def test_a_rep_bottleneck_needs_exactly_min_stage_deals_exposures(
    min_stage_deals: int, exposures: tuple[int, int, int]
) -> None:
    rows = [
        row
        for team, n in zip(SIDES, exposures, strict=True)
        for row in _rep_rows(team, exposures=n, moved=0, teammate_moved=5, stuck_new=9 - n)
    ]
    labels = _ann_labels(rows, ShapeThresholds(min_stage_deals=min_stage_deals))
    assert labels == ["healthy", "bulge", "bulge"]
