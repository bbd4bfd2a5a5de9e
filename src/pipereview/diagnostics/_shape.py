"""The funnel's shape: each team's (or rep's) open funnel labelled, with its evidence.

Built on the stage table and the move-on rates of :mod:`pipereview.diagnostics._funnel`:
a thin top, a bulge (a bottleneck stage), a top-heavy funnel or a thin bottom, each
against a reference (the other teams, the team's own trailing weeks, the stage model's
benchmark; for a rep, the teammates: :mod:`pipereview.diagnostics._shape_refs`).
:class:`ShapeThresholds` holds the thresholds.

>>> h = pd.DataFrame({"snapshot_week": "2026-W47", "team": "T", "deal_id": ["a", "b"],
...     "owner": "Ann", "stage": "initial_contact", "stage_model": "generic_4",
...     "amount": 1.0, "probability": 0.5})
>>> funnel_shape(h, as_of="2026-W47", settings=ShapeThresholds(min_open=2)).loc[0, "label"]
'one_stage'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipereview.core._compare import at_least, less_than
from pipereview.core._weeks import Week, week_range
from pipereview.diagnostics._funnel import stage_table
from pipereview.diagnostics._grouping import Level, renamed
from pipereview.diagnostics._shape_refs import move_on_evidence, peer_median, stage_references
from pipereview.history._prepared import PreparedHistory, as_prepared

__all__ = ["SHAPE_COLUMNS", "SHAPE_LABELS", "ShapeThresholds", "funnel_shape"]

_GROUP = ["team", "owner"]

#: The labels :func:`funnel_shape` gives, in the order they are tested (first match wins).
SHAPE_LABELS: tuple[str, ...] = (
    "not_enough_data",
    "one_stage",
    "thin_top",
    "bulge",
    "top_heavy",
    "thin_bottom",
    "healthy",
)

#: Columns of :func:`funnel_shape`' result, in order.
SHAPE_COLUMNS: tuple[str, ...] = (
    "team",
    "owner",
    "label",
    "stage",
    "open_deals",
    "top_share",
    "ref_top_share",
    "top_density",
    "ref_top_density",
    "inflow_per_week",
    "inflow_rate",
    "ref_inflow_rate",
    "bottom_share",
    "bottom_density",
    "ref_bottom_density",
    "stage_share",
    "ref_stage_share",
    "stuck_count",
    "stuck_amount",
    "stuck_median_age_days",
    "move_on_rate",
    "ref_move_on_rate",
    "ref_stage_kind",
)


@dataclass(frozen=True)
class ShapeThresholds:
    """Thresholds of :func:`funnel_shape` (shares are fractions of open deals).

    - ``min_open`` (20): fewer open deals than this gives ``not_enough_data``.
    - ``early_fraction`` (1/3): the first third of the open stages (at least one) is the
      funnel top, the last third the bottom.
    - ``thin_top_ratio`` (0.5): thin_top when the top share AND the new-deal inflow are
      both below this fraction of the reference's.
    - ``bulge_points`` (0.15) and ``bulge_ratio`` (2.0): bulge at a stage whose share
      exceeds the reference's by at least both (a bottleneck there).
    - ``heavy_ratio`` (2.0): top_heavy when the top density is at least this many times
      the reference's.
    - ``thin_bottom_ratio`` (0.5): thin_bottom when the bottom density is below this
      fraction of the reference's.
    - ``min_stage_deals`` (5): a bulge needs at least this many deals stuck, and (reps)
      this many week-over-week exposures behind its move-on rate.
    - ``slow_ratio`` (0.25): a rep's bulge needs a move-on rate below this fraction of
      the teammates'.

    >>> ShapeThresholds().min_open
    20
    """

    min_open: int = 20
    early_fraction: float = 1 / 3
    thin_top_ratio: float = 0.5
    bulge_points: float = 0.15
    bulge_ratio: float = 2.0
    heavy_ratio: float = 2.0
    thin_bottom_ratio: float = 0.5
    min_stage_deals: int = 5
    slow_ratio: float = 0.25


def funnel_shape(
    history: pd.DataFrame | PreparedHistory,
    *,
    as_of: str | Week,
    by: Level = "team",
    settings: ShapeThresholds | None = None,
    inflow_weeks: int = 8,
    trailing_weeks: int = 8,
    thresholds: ShapeThresholds | None = None,
) -> pd.DataFrame:
    """Label each team's (or rep's) open funnel in the ``as_of`` week, with its evidence.

    Labels, first match wins: ``not_enough_data`` (fewer than ``min_open`` open deals),
    ``thin_top`` (top density and new-deal inflow rate both below ``thin_top_ratio`` of
    the reference), ``bulge`` (a stage's share above the reference's by ``bulge_points``
    and ``bulge_ratio`` times, and, for reps, its move-on rate below ``slow_ratio`` of
    the teammates' with at least ``min_stage_deals`` exposures: the bottleneck, named in
    ``stage``, with the deals, amount and median age stuck there), ``top_heavy`` (top
    density ``heavy_ratio`` times the reference), ``thin_bottom`` (bottom density below
    ``thin_bottom_ratio`` of the reference), else ``healthy``. ``settings`` holds these
    thresholds (``thresholds=``, its old name, is deprecated).

    References: for a rep, the teammates (same week, same model); for a team, the median
    of the other teams (densities, inflow rate) and its own trailing ``trailing_weeks``
    weeks (per-stage shares). Top / bottom are the first / last ``early_fraction`` of the
    open stages; *density* is their share of open deals divided by their share of stages,
    so teams on different stage models compare. *Inflow rate* is new deals a week (over
    ``inflow_weeks``) per open deal.

    >>> h = pd.DataFrame({"snapshot_week": "2026-W47", "team": "T", "deal_id": ["a"],
    ...     "owner": "Ann", "stage": "initial_contact", "stage_model": "generic_4",
    ...     "amount": [1.0], "probability": [0.5]})
    >>> funnel_shape(h, as_of="2026-W47")[["team", "label", "open_deals"]]
      team            label  open_deals
    0    T  not_enough_data           1
    """
    th = (
        renamed("funnel_shape", "thresholds", "settings", thresholds, settings) or ShapeThresholds()
    )
    week = as_of if isinstance(as_of, Week) else Week.parse(as_of)
    history = as_prepared(history)
    table = stage_table(history, as_of=week, by=by)
    if table.empty:
        return pd.DataFrame(columns=list(SHAPE_COLUMNS))
    table, kinds = stage_references(
        _with_edges(table, th.early_fraction), history, week, trailing_weeks, by
    )
    g = _group_densities(table, _inflow(history, week, inflow_weeks, by), by)
    g = g.join(_bulge_candidates(table, kinds, th))
    g = g.join(move_on_evidence(history, week, trailing_weeks, by), on=[*_GROUP, "stage"])
    g["label"] = _label_groups(g, th, by)
    out = _with_stage_named(g, table).reset_index()
    out["open_deals"] = out["open_deals"].astype("int64")
    return out[list(SHAPE_COLUMNS)]


def _with_edges(table: pd.DataFrame, early_fraction: float) -> pd.DataFrame:
    """``table`` with the stages of each group's funnel ``top`` and ``bottom`` (the first
    and last ``early_fraction`` of its open stages, at least one) and ``edge_frac``."""
    n_stages = table.groupby(_GROUP, sort=False)["stage"].transform("size")
    edge = np.maximum(1, np.round(n_stages * early_fraction)).astype(int)
    return table.assign(
        top=table["stage_order"] < edge,
        bottom=table["stage_order"] >= n_stages - edge,
        edge_frac=edge / n_stages,
    )


def _with_stage_named(g: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """``g`` with ``stage`` naming the bottleneck of a bulge or the one stage used, blank
    for every other label."""
    if (g["label"] == "one_stage").any():  # name the one stage used
        only = table.loc[
            table["count"] == table.groupby(_GROUP, sort=False)["count"].transform("sum")
        ].set_index(_GROUP)["stage"]
        one = g["label"] == "one_stage"
        g.loc[one, "stage"] = only.reindex(g.index[one]).to_numpy()
    g.loc[~g["label"].isin(["bulge", "one_stage"]), "stage"] = ""
    return g


def _group_densities(table: pd.DataFrame, inflow: pd.Series, by: Level) -> pd.DataFrame:
    """Per group: open deals, top and bottom shares and densities, inflow rate, and the
    median of the other groups' (``ref_<name>``)."""
    table = table.assign(
        top_count=table["count"].where(table["top"], 0),
        bottom_count=table["count"].where(table["bottom"], 0),
    )
    g = table.groupby(_GROUP, sort=False).agg(
        open_deals=("count", "sum"),
        top=("top_count", "sum"),
        bottom=("bottom_count", "sum"),
        edge_frac=("edge_frac", "first"),
        busiest=("count", "max"),
    )
    open_ = g["open_deals"].where(g["open_deals"] > 0)
    g["top_share"] = g["top"] / open_
    g["top_density"] = g["top_share"] / g["edge_frac"]
    g["bottom_share"] = g["bottom"] / open_
    g["bottom_density"] = g["bottom_share"] / g["edge_frac"]
    idx = g.index.get_level_values("team") if by == "team" else g.index
    known = inflow.attrs.get("known", True)  # unknown in the store's first week
    g["inflow_per_week"] = inflow.reindex(idx).fillna(0).to_numpy() if known else np.nan
    g["inflow_rate"] = g["inflow_per_week"] / open_
    peer = "team" if by == "rep" else None
    for col in ("top_share", "top_density", "inflow_rate", "bottom_density"):
        g["ref_" + col] = peer_median(g[col], peer)
    return g


def _bulge_candidates(
    table: pd.DataFrame, kinds: tuple[str, ...], th: ShapeThresholds
) -> pd.DataFrame:
    """The bulge candidate of each group (indexed by team and owner): a stage above one of
    its references by both margins (the largest such share), else the stage with the
    largest excess over the first reference; ``bulging`` says which. With its
    ``stage_share``, reference and the deals, amount and median age stuck there."""
    bulges = np.zeros(len(table), dtype=bool)
    table = table.assign(ref_stage_share=np.nan, ref_stage_kind="")
    for kind in reversed(kinds):  # the first kind that finds a bulge is reported
        ref = table["ref_" + kind]
        hit = np.array(
            at_least(table["share"] - ref, th.bulge_points)
            & at_least(table["share"], th.bulge_ratio * ref)
            & (table["count"] >= th.min_stage_deals),
            dtype=bool,
        )
        if kind == "benchmark":  # more than the model's share, and staying longer than typical
            hit &= (table["median_age_days"] > table["typical_days"]).to_numpy(bool)
        table.loc[hit, ["ref_stage_share", "ref_stage_kind"]] = (
            table.loc[hit, ["ref_" + kind]].assign(k=kind).to_numpy()
        )
        bulges |= hit
    first = table["ref_" + kinds[0]]
    table.loc[~bulges, "ref_stage_share"] = first[~bulges]
    table.loc[~bulges & first.notna(), "ref_stage_kind"] = kinds[0]
    table["rank"] = np.where(bulges, 2.0 + table["share"], table["share"] - first.fillna(0))
    cand = table.loc[table.groupby(_GROUP, sort=False)["rank"].idxmax().to_numpy()]
    cand = cand.assign(bulging=bulges[cand.index.to_numpy()])
    cand = cand.set_index(_GROUP)[
        [
            "stage",
            "share",
            "ref_stage_share",
            "ref_stage_kind",
            "count",
            "amount",
            "median_age_days",
            "bulging",
        ]
    ]
    return cand.rename(
        columns={
            "share": "stage_share",
            "count": "stuck_count",
            "amount": "stuck_amount",
            "median_age_days": "stuck_median_age_days",
        }
    )


def _label_groups(g: pd.DataFrame, th: ShapeThresholds, by: Level) -> np.ndarray:
    """The label of each group: the first of :data:`SHAPE_LABELS` whose test holds."""
    is_bulge = g["bulging"].astype(bool)
    if by == "rep":
        is_bulge &= (g["exposures"] >= th.min_stage_deals) & (
            less_than(g["move_on_rate"], th.slow_ratio * g["ref_move_on_rate"])
        )
    # every ratio test needs a positive reference: 0 >= 2 x 0 is no evidence of anything
    conditions = [
        g["open_deals"] < th.min_open,
        g["busiest"] == g["open_deals"],
        (g["ref_top_density"] > 0)
        & (g["ref_inflow_rate"] > 0)
        & less_than(g["top_density"], th.thin_top_ratio * g["ref_top_density"])
        & less_than(g["inflow_rate"], th.thin_top_ratio * g["ref_inflow_rate"]),
        is_bulge,
        (g["ref_top_density"] > 0)
        & (g["top_density"] > 0)
        & at_least(g["top_density"], th.heavy_ratio * g["ref_top_density"]),
        (g["ref_bottom_density"] > 0)
        & less_than(g["bottom_density"], th.thin_bottom_ratio * g["ref_bottom_density"]),
    ]
    labels: np.ndarray = np.select(
        [c.fillna(False).to_numpy(bool) for c in conditions],
        list(SHAPE_LABELS[:-1]),
        default=SHAPE_LABELS[-1],
    )
    return labels


def _inflow(prep: PreparedHistory, as_of: Week, weeks: int, by: Level) -> pd.Series:
    """New deals per week in the ``weeks`` weeks up to ``as_of``; the first stored week is
    left out (every deal is new there)."""
    history = prep.frame
    if history[["team", "owner"]].isna().any().any():
        first = history.groupby(prep.deal_key.to_numpy(), sort=False).agg(
            first=("snapshot_week", "min"), team=("team", "first"), owner=("owner", "first")
        )
    else:  # the same on integer codes: each deal's earliest week, team and owner of its
        # first row (no text is missing, so "first" is the first row's)
        keys = prep.deal[prep.order]  # by deal then week: a deal's first is its earliest
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else keys
        first_row = np.flatnonzero(~pd.Series(prep.deal).duplicated().to_numpy())
        first_row = first_row[np.argsort(prep.deal[first_row])]  # in deal order too
        names = np.asarray(prep.weeks, dtype=object)
        first = pd.DataFrame(
            {
                "first": names[prep.week[prep.order[starts]]],
                "team": history["team"].iloc[first_row].to_numpy(),
                "owner": history["owner"].iloc[first_row].to_numpy(),
            }
        )
    oldest = Week.parse(str(history["snapshot_week"].min())) + 1
    start = max(as_of - (weeks - 1), oldest)
    span = len(list(week_range(start, as_of))) if start <= as_of else 0
    new = first[(first["first"] >= str(start)) & (first["first"] <= str(as_of))]
    key = ["team"] if by == "team" else ["team", "owner"]
    rate = new.reset_index().groupby(key).size().astype(float) / max(1, span)
    rate.attrs["known"] = span > 0  # no week after the store's first: inflow unknown
    return rate
