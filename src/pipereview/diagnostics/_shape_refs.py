"""What a funnel's shape is judged against (:mod:`pipereview.diagnostics._shape`): each
stage's reference shares (for a rep, the teammates'; for a team, its own trailing weeks,
the other teams on the same model and the stage model's benchmark), the median of the
other groups' figures, and the reference move-on rate (the teammates', or the team's).

>>> densities = pd.Series([1.0, 2.0, 4.0], index=pd.Index(["A", "B", "C"], name="team"))
>>> peer_median(densities, None).tolist()  # A against B and C, ...
[3.0, 2.5, 1.5]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipereview.core._stages import load_stage_model
from pipereview.core._weeks import Week
from pipereview.diagnostics._funnel import move_on_rates, week_bounds
from pipereview.diagnostics._grouping import Level
from pipereview.history._prepared import PreparedHistory

__all__: list[str] = []  # funnel_shape's own, not the package's API


def stage_references(
    table: pd.DataFrame, prep: PreparedHistory, week: Week, trailing_weeks: int, by: Level
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """``table`` with each stage's reference shares ``ref_<kind>`` and the kinds, in the
    order they are reported: for a rep the teammates' pooled share; for a team its own
    trailing weeks, the median of the other teams on the same model in the same week
    (a bottleneck as old as the store is found), and the model's benchmark (each open
    stage's share of the model's typical days, when every open stage has them)."""
    if by == "rep":
        team_count = table.groupby(["team", "stage"])["count"].transform("sum")
        ref = team_count - table["count"]
        total = ref.groupby([table["team"], table["owner"]], sort=False).transform("sum")
        return table.assign(
            ref_teammates=(ref / total.where(total > 0)).astype(float), typical_days=np.nan
        ), ("teammates",)
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
    lo, hi = week_bounds(prep, as_of - weeks, as_of)
    win: pd.DataFrame = prep.frame.loc[
        (prep.week >= lo) & (prep.week < hi) & prep.is_open, ["team", "stage"]
    ]
    return win.groupby(["team", "stage"]).size().rename("ref_count").reset_index()


def move_on_evidence(history: PreparedHistory, week: Week, weeks: int, by: Level) -> pd.DataFrame:
    """Move-on rate per group and stage, with the reference (teammates, or the team's)."""
    rates = move_on_rates(history, as_of=week, weeks=weeks, by=by)
    team = rates.groupby(["team", "stage"])[["exposures", "moved"]].transform("sum")
    if by == "rep":
        team = team - rates[["exposures", "moved"]]
    ref = (team["moved"] / team["exposures"].where(team["exposures"] > 0)).astype(float)
    rates = rates.assign(ref_move_on_rate=ref)
    return rates.set_index(["team", "owner", "stage"])[
        ["exposures", "move_on_rate", "ref_move_on_rate"]
    ]


def peer_median(values: pd.Series, level: str | None) -> pd.Series:
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
