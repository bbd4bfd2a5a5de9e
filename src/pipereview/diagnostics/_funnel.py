"""Funnel diagnostics: the open stage table and the funnel's shape, per team and per rep.

Deals are keyed across weeks by :func:`pipereview.history._trail.deal_key`: the stable key of
:func:`pipereview.history._trail.with_deal_keys` when the history carries a ``deal_key`` column
(a deal whose CRM ID changed stays one deal), else the ID as exported.

>>> h = pd.DataFrame({"snapshot_week": ["2026-W46", "2026-W47"], "team": "T",
...     "deal_id": "D1", "owner": "Ann", "stage": "initial_contact", "stage_model": "generic_4",
...     "amount": 100.0, "probability": float("nan")})
>>> stage_table(h, as_of="2026-W47")[["stage", "count", "weighted", "median_age_days"]]
             stage  count  weighted  median_age_days
0  initial_contact      1      10.0              7.0
1  needs_confirmed      0       0.0              NaN
2   solution_quote      0       0.0              NaN
3      negotiation      0       0.0              NaN
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from pipereview.core._stages import StageModel, load_stage_model
from pipereview.core._weeks import Week, week_range
from pipereview.history._prepared import PreparedHistory, as_prepared

__all__ = [
    "SHAPE_COLUMNS",
    "SHAPE_LABELS",
    "STAGE_TABLE_COLUMNS",
    "ShapeThresholds",
    "funnel_shape",
    "move_on_rates",
    "stage_table",
]

Level = Literal["team", "rep"]

#: Columns of :func:`stage_table`' result, in order.
STAGE_TABLE_COLUMNS: tuple[str, ...] = (
    "team", "owner", "stage_model", "stage", "stage_order", "count", "amount", "weighted",
    "median_age_days", "share",
)

#: The labels :func:`funnel_shape` gives, in the order they are tested (first match wins).
SHAPE_LABELS: tuple[str, ...] = ("not_enough_data", "one_stage", "thin_top", "bulge",
                                 "top_heavy", "thin_bottom", "healthy")

#: Columns of :func:`funnel_shape`' result, in order.
SHAPE_COLUMNS: tuple[str, ...] = (
    "team", "owner", "label", "stage", "open_deals", "top_share", "ref_top_share",
    "top_density", "ref_top_density", "inflow_per_week", "inflow_rate", "ref_inflow_rate",
    "bottom_share", "bottom_density", "ref_bottom_density", "stage_share", "ref_stage_share", "stuck_count", "stuck_amount", "stuck_median_age_days",
    "move_on_rate", "ref_move_on_rate", "ref_stage_kind",
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


def _models(frame: pd.DataFrame) -> dict[str, StageModel]:
    return {str(n): load_stage_model(str(n)) for n in frame["stage_model"].unique()}


def _week_bounds(prep: PreparedHistory, first: Week, end: Week) -> tuple[int, int]:
    """Week codes ``lo``, ``hi``: the stored weeks from ``first`` to before ``end`` are
    those with ``lo <= code < hi``."""
    weeks = np.asarray(prep.weeks, dtype=object)
    return (int(np.searchsorted(weeks, str(first), side="left")),
            int(np.searchsorted(weeks, str(end), side="left")))


def stage_table(history: pd.DataFrame | PreparedHistory, *, as_of: str | Week,
                by: Level = "team") -> pd.DataFrame:
    """Open deals per stage in the ``as_of`` week, by team (``owner`` blank) or by rep.

    Columns :data:`STAGE_TABLE_COLUMNS`: count, amount, weighted amount (the snapshot's
    probability, else the stage model's), median age in stage (days from the week the
    deal entered its current stage, by :func:`~pipereview.history._trail.deal_key`, to ``as_of``; a lower bound
    for deals already there in the first stored week) and share of the group's open
    deals. Every open stage of the model is listed in model order, empty ones with 0.
    ``history`` (stacked snapshots, or :func:`~pipereview.history._prepared.prepare_history` of
    them) is not modified.

    >>> h = pd.DataFrame({"snapshot_week": "2026-W47", "team": "T", "deal_id": ["a", "b"],
    ...     "owner": "Ann", "stage": ["initial_contact", "needs_confirmed"],
    ...     "stage_model": "generic_4",
    ...     "amount": [100.0, 300.0], "probability": [0.5, float("nan")]})
    >>> stage_table(h, as_of="2026-W47")[["stage", "amount", "weighted", "share"]].head(2)
                 stage  amount  weighted  share
    0  initial_contact   100.0      50.0    0.5
    1  needs_confirmed   300.0      75.0    0.5
    """
    week = as_of if isinstance(as_of, Week) else Week.parse(as_of)
    prep = as_prepared(history)
    frame = prep.frame
    models = _models(frame)
    lo, hi = _week_bounds(prep, week, week + 1)
    now = (prep.week >= lo) & (prep.week < hi) & prep.is_open  # open in the as-of week
    cur: pd.DataFrame = frame.loc[now, ["team", "owner", "stage_model", "stage", "amount"]]
    cur = cur.assign(age=prep.days_in_stage(week).to_numpy()[now])
    fallback = pd.Series(prep.model_probability[now], index=cur.index, dtype=float)
    prob = frame.loc[now, "probability"] if "probability" in frame else fallback
    cur["weighted"] = cur["amount"] * prob.astype(float).fillna(fallback)
    if by == "team":
        cur["owner"] = ""
    keys = ["team", "owner", "stage_model", "stage"]
    agg = cur.groupby(keys, sort=False).agg(
        count=("amount", "size"), amount=("amount", "sum"), weighted=("weighted", "sum"),
        median_age_days=("age", "median"),
    )
    groups = cur[["team", "owner", "stage_model"]].drop_duplicates()
    frames = []
    for name, model in models.items():  # loop over models and stages, never deals
        g = groups[groups["stage_model"] == name]
        stages = pd.DataFrame({"stage": [s.key for s in model.open_stages],
                               "stage_order": range(len(model.open_stages))})
        frames.append(g.merge(stages, how="cross"))
    if not frames:
        return pd.DataFrame(columns=list(STAGE_TABLE_COLUMNS))
    grid = pd.concat(frames, ignore_index=True)
    out = grid.merge(agg.reset_index(), on=keys, how="left")
    out[["count", "amount", "weighted"]] = out[["count", "amount", "weighted"]].fillna(0)
    out["count"] = out["count"].astype("int64")
    total = out.groupby(["team", "owner"], sort=False)["count"].transform("sum")
    out["share"] = (out["count"] / total).astype(float)
    out = out.sort_values(["team", "owner", "stage_order"], kind="stable", ignore_index=True)
    return out[list(STAGE_TABLE_COLUMNS)]


def _inflow(prep: PreparedHistory, as_of: Week, weeks: int, by: Level) -> pd.Series:
    """New deals per week in the ``weeks`` weeks up to ``as_of``; the first stored week is
    left out (every deal is new there)."""
    history = prep.frame
    if history[["team", "owner"]].isna().any().any():
        first = history.groupby(prep.deal_key.to_numpy(), sort=False).agg(
            first=("snapshot_week", "min"), team=("team", "first"), owner=("owner", "first"))
    else:  # the same on integer codes: each deal's earliest week, team and owner of its
        # first row (no text is missing, so "first" is the first row's)
        keys = prep.deal[prep.order]  # by deal then week: a deal's first is its earliest
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else keys
        first_row = np.flatnonzero(~pd.Series(prep.deal).duplicated().to_numpy())
        first_row = first_row[np.argsort(prep.deal[first_row])]  # in deal order too
        names = np.asarray(prep.weeks, dtype=object)
        first = pd.DataFrame({"first": names[prep.week[prep.order[starts]]],
                              "team": history["team"].iloc[first_row].to_numpy(),
                              "owner": history["owner"].iloc[first_row].to_numpy()})
    oldest = Week.parse(str(history["snapshot_week"].min())) + 1
    start = max(as_of - (weeks - 1), oldest)
    span = len(list(week_range(start, as_of))) if start <= as_of else 0
    new = first[(first["first"] >= str(start)) & (first["first"] <= str(as_of))]
    key = ["team"] if by == "team" else ["team", "owner"]
    rate = new.reset_index().groupby(key).size().astype(float) / max(1, span)
    rate.attrs["known"] = span > 0  # no week after the store's first: inflow unknown
    return rate


def _stage_references(table: pd.DataFrame, prep: PreparedHistory, week: Week,
                      trailing_weeks: int, by: Level) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """``table`` with each stage's reference shares ``ref_<kind>`` and the kinds, in the
    order they are reported: for a rep the teammates' pooled share; for a team its own
    trailing weeks, the median of the other teams on the same model in the same week
    (a bottleneck as old as the store is found), and the model's benchmark (each open
    stage's share of the model's typical days, when every open stage has them)."""
    if by == "rep":
        team_count = table.groupby(["team", "stage"])["count"].transform("sum")
        ref = team_count - table["count"]
        total = ref.groupby([table["team"], table["owner"]], sort=False).transform("sum")
        return table.assign(ref_teammates=(ref / total.where(total > 0)).astype(float),
                            typical_days=np.nan), ("teammates",)
    past = _trailing_counts(prep, week, trailing_weeks)
    table = table.merge(past, on=["team", "stage"], how="left")
    total = table.groupby("team", sort=False)["ref_count"].transform("sum")
    table["ref_past_weeks"] = (table["ref_count"] / total.where(total > 0)).astype(float)
    peers = np.full(len(table), np.nan)
    for _, part in table.groupby(["stage_model", "stage"], sort=False):  # teams x stages
        shares = part["share"].to_numpy(float)
        for i, pos in enumerate(part.index):
            others = np.delete(shares, i)
            if np.isfinite(others).any():
                peers[pos] = float(np.nanmedian(others))
    table["ref_peers"] = peers
    bench, typical = {}, {}
    for name in table["stage_model"].unique():
        stages = load_stage_model(str(name)).open_stages
        days = [s.typical_days for s in stages]
        for s in stages:
            typical[(name, s.key)] = float(s.typical_days or np.nan)
            if all(days):
                bench[(name, s.key)] = float(s.typical_days or 0) / sum(d or 0 for d in days)
    pairs = list(zip(table["stage_model"], table["stage"], strict=True))
    table["ref_benchmark"] = [bench.get(p, np.nan) for p in pairs]
    table["typical_days"] = [typical.get(p, np.nan) for p in pairs]
    return table, ("past_weeks", "peers", "benchmark")


def _trailing_counts(prep: PreparedHistory, as_of: Week, weeks: int) -> pd.DataFrame:
    lo, hi = _week_bounds(prep, as_of - weeks, as_of)
    win: pd.DataFrame = prep.frame.loc[(prep.week >= lo) & (prep.week < hi) & prep.is_open,
                         ["team", "stage"]]
    return win.groupby(["team", "stage"]).size().rename("ref_count").reset_index()


def move_on_rates(history: pd.DataFrame | PreparedHistory, *, as_of: str | Week,
                  weeks: int = 8, by: Level = "team") -> pd.DataFrame:
    """Week-over-week move-on rate per open stage over the ``weeks`` weeks to ``as_of``.

    Every deal open in stage *s* in week *w* and present in week *w + 1* is one exposure;
    it moved on when its stage in *w + 1* is later in the model or won. Columns: team,
    owner (blank by team), stage, exposures, moved, move_on_rate.

    >>> h = pd.DataFrame({"snapshot_week": ["2026-W46", "2026-W47"] * 2, "team": "T",
    ...     "deal_id": ["a", "a", "b", "b"], "owner": "Ann", "stage_model": "generic_4",
    ...     "stage": ["initial_contact", "needs_confirmed", "initial_contact",
    ...               "initial_contact"]})
    >>> move_on_rates(h, as_of="2026-W47")
      team owner            stage  exposures  moved  move_on_rate
    0    T        initial_contact          2      1           0.5
    """
    week = as_of if isinstance(as_of, Week) else Week.parse(as_of)
    prep = as_prepared(history)
    order = prep.order  # by deal, then week
    ordinal = prep.week_mondays.astype("datetime64[D]").astype(np.int64) // 7  # per week code
    k, w = prep.deal[order], prep.week[order]
    o = ordinal[w]
    pos = prep.position[order]
    nxt = np.roll(np.arange(len(order)), -1)
    same = np.zeros(len(order), dtype=bool)
    same[:-1] = (k[1:] == k[:-1]) & (o[1:] == o[:-1] + 1)
    lo, hi = _week_bounds(prep, week - weeks, week)
    moved = pos[nxt] > pos
    take = same & prep.is_open[order] & (w >= lo) & (w < hi)
    exp = prep.frame[["team", "owner", "stage"]].iloc[order[take]].assign(
        moved=moved[take].astype("int64"))
    if by == "team":
        exp = exp.assign(owner="")
    out: pd.DataFrame = exp.groupby(["team", "owner", "stage"], sort=True).agg(
        exposures=("moved", "size"), moved=("moved", "sum")).reset_index()
    out["move_on_rate"] = out["moved"] / out["exposures"]
    return out


def funnel_shape(history: pd.DataFrame | PreparedHistory, *, as_of: str | Week, by: Level = "team",
                 thresholds: ShapeThresholds | None = None, inflow_weeks: int = 8,
                 trailing_weeks: int = 8) -> pd.DataFrame:
    """Label each team's (or rep's) open funnel in the ``as_of`` week, with its evidence.

    Labels, first match wins: ``not_enough_data`` (fewer than ``min_open`` open deals),
    ``thin_top`` (top density and new-deal inflow rate both below ``thin_top_ratio`` of
    the reference), ``bulge`` (a stage's share above the reference's by ``bulge_points``
    and ``bulge_ratio`` times, and, for reps, its move-on rate below ``slow_ratio`` of
    the teammates' with at least ``min_stage_deals`` exposures: the bottleneck, named in
    ``stage``, with the deals, amount and median age stuck there), ``top_heavy`` (top
    density ``heavy_ratio`` times the reference), ``thin_bottom`` (bottom density below
    ``thin_bottom_ratio`` of the reference), else ``healthy``.

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
    th = thresholds or ShapeThresholds()
    week = as_of if isinstance(as_of, Week) else Week.parse(as_of)
    history = as_prepared(history)
    table = stage_table(history, as_of=week, by=by)
    if table.empty:
        return pd.DataFrame(columns=list(SHAPE_COLUMNS))
    gkey = ["team", "owner"]
    n_stages = table.groupby(gkey, sort=False)["stage"].transform("size")
    edge = np.maximum(1, np.round(n_stages * th.early_fraction)).astype(int)
    table = table.assign(top=table["stage_order"] < edge,
                         bottom=table["stage_order"] >= n_stages - edge,
                         edge_frac=edge / n_stages)
    table, kinds = _stage_references(table, history, week, trailing_weeks, by)
    table["top_count"] = table["count"].where(table["top"], 0)
    table["bottom_count"] = table["count"].where(table["bottom"], 0)
    g = table.groupby(gkey, sort=False).agg(
        open_deals=("count", "sum"), top=("top_count", "sum"), bottom=("bottom_count", "sum"),
        edge_frac=("edge_frac", "first"), busiest=("count", "max"))
    open_ = g["open_deals"].where(g["open_deals"] > 0)
    g["top_share"] = g["top"] / open_
    g["top_density"] = g["top_share"] / g["edge_frac"]
    g["bottom_share"] = g["bottom"] / open_
    g["bottom_density"] = g["bottom_share"] / g["edge_frac"]
    inflow = _inflow(history, week, inflow_weeks, by)
    idx = g.index.get_level_values("team") if by == "team" else g.index
    known = inflow.attrs.get("known", True)  # unknown in the store's first week
    g["inflow_per_week"] = inflow.reindex(idx).fillna(0).to_numpy() if known else np.nan
    g["inflow_rate"] = g["inflow_per_week"] / open_
    peer = "team" if by == "rep" else None
    for col in ("top_share", "top_density", "inflow_rate", "bottom_density"):
        g["ref_" + col] = _peer_median(g[col], peer)
    # the bulge candidate: a stage above one of its references by both margins (the
    # largest such share), else the stage with the largest excess over the first reference
    bulges = np.zeros(len(table), dtype=bool)
    table["ref_stage_share"], table["ref_stage_kind"] = np.nan, ""
    for kind in reversed(kinds):  # the first kind that finds a bulge is reported
        ref = table["ref_" + kind]
        hit = np.array((table["share"] - ref >= th.bulge_points)
                       & (table["share"] >= th.bulge_ratio * ref)
                       & (table["count"] >= th.min_stage_deals), dtype=bool)
        if kind == "benchmark":  # more than the model's share, and staying longer than typical
            hit &= (table["median_age_days"] > table["typical_days"]).to_numpy(bool)
        table.loc[hit, ["ref_stage_share", "ref_stage_kind"]] = \
            table.loc[hit, ["ref_" + kind]].assign(k=kind).to_numpy()
        bulges |= hit
    first = table["ref_" + kinds[0]]
    table.loc[~bulges, "ref_stage_share"] = first[~bulges]
    table.loc[~bulges & first.notna(), "ref_stage_kind"] = kinds[0]
    table["rank"] = np.where(bulges, 2.0 + table["share"], table["share"] - first.fillna(0))
    cand = table.loc[table.groupby(gkey, sort=False)["rank"].idxmax().to_numpy()]
    cand = cand.assign(bulging=bulges[cand.index.to_numpy()])
    g = g.join(cand.set_index(gkey)[["stage", "share", "ref_stage_share", "ref_stage_kind",
                                      "count", "amount", "median_age_days", "bulging"]])
    g = g.rename(columns={"share": "stage_share", "count": "stuck_count",
                          "amount": "stuck_amount", "median_age_days": "stuck_median_age_days"})
    g = g.join(_move_on_evidence(history, week, trailing_weeks, by), on=[*gkey, "stage"])
    is_bulge = g["bulging"].astype(bool)
    if by == "rep":
        is_bulge &= (g["exposures"] >= th.min_stage_deals) & (
            g["move_on_rate"] < th.slow_ratio * g["ref_move_on_rate"])
    # every ratio test needs a positive reference: 0 >= 2 x 0 is no evidence of anything
    conditions = [
        g["open_deals"] < th.min_open,
        g["busiest"] == g["open_deals"],
        (g["ref_top_density"] > 0) & (g["ref_inflow_rate"] > 0)
        & (g["top_density"] < th.thin_top_ratio * g["ref_top_density"])
        & (g["inflow_rate"] < th.thin_top_ratio * g["ref_inflow_rate"]),
        is_bulge,
        (g["ref_top_density"] > 0) & (g["top_density"] > 0)
        & (g["top_density"] >= th.heavy_ratio * g["ref_top_density"]),
        (g["ref_bottom_density"] > 0)
        & (g["bottom_density"] < th.thin_bottom_ratio * g["ref_bottom_density"]),
    ]
    g["label"] = np.select([c.fillna(False).to_numpy(bool) for c in conditions],
                           list(SHAPE_LABELS[:-1]), default=SHAPE_LABELS[-1])
    if (g["label"] == "one_stage").any():  # name the one stage used
        only = table.loc[table["count"] == table.groupby(gkey, sort=False)["count"]
                         .transform("sum")].set_index(gkey)["stage"]
        one = g["label"] == "one_stage"
        g.loc[one, "stage"] = only.reindex(g.index[one]).to_numpy()
    g.loc[~g["label"].isin(["bulge", "one_stage"]), "stage"] = ""
    out = g.reset_index()
    out["open_deals"] = out["open_deals"].astype("int64")
    return out[list(SHAPE_COLUMNS)]


def _move_on_evidence(history: PreparedHistory, week: Week, weeks: int, by: Level
                      ) -> pd.DataFrame:
    """Move-on rate per group and stage, with the reference (teammates, or the team's)."""
    rates = move_on_rates(history, as_of=week, weeks=weeks, by=by)
    team = rates.groupby(["team", "stage"])[["exposures", "moved"]].transform("sum")
    if by == "rep":
        team = team - rates[["exposures", "moved"]]
    ref = (team["moved"] / team["exposures"].where(team["exposures"] > 0)).astype(float)
    rates = rates.assign(ref_move_on_rate=ref)
    return rates.set_index(["team", "owner", "stage"])[
        ["exposures", "move_on_rate", "ref_move_on_rate"]]


def _peer_median(values: pd.Series, level: str | None) -> pd.Series:
    """Median of the other groups' values (all groups, or those sharing ``level``)."""
    frame = values.rename("v").reset_index()
    groups = frame.groupby(level, sort=False) if level else [(None, frame)]
    out = np.full(len(frame), np.nan)
    for _, part in groups:  # loops over teams and their reps, never deals
        vals = part["v"].to_numpy(float)
        for i, pos in enumerate(part.index):
            others = np.delete(vals, i)
            if np.isfinite(others).any():
                out[pos] = float(np.nanmedian(others))
    return pd.Series(out, index=values.index)
