"""Funnel measures: the open stage table and week-over-week move-on rates, per team and
per rep (the shape labels built on them are in :mod:`pipereview.diagnostics._shape`).

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

import numpy as np
import pandas as pd

from pipereview.core._stages import StageModel, load_stage_model
from pipereview.core._weeks import Week
from pipereview.diagnostics._grouping import Level
from pipereview.history._prepared import PreparedHistory, as_prepared

__all__ = ["STAGE_TABLE_COLUMNS", "move_on_rates", "stage_table"]

#: Columns of :func:`stage_table`' result, in order.
STAGE_TABLE_COLUMNS: tuple[str, ...] = (
    "team",
    "owner",
    "stage_model",
    "stage",
    "stage_order",
    "count",
    "amount",
    "weighted",
    "median_age_days",
    "share",
)


def _models(frame: pd.DataFrame) -> dict[str, StageModel]:
    return {str(n): load_stage_model(str(n)) for n in frame["stage_model"].unique()}


def week_bounds(prep: PreparedHistory, first: Week, end: Week) -> tuple[int, int]:
    """Week codes ``lo``, ``hi``: the stored weeks from ``first`` to before ``end`` are
    those with ``lo <= code < hi``."""
    weeks = np.asarray(prep.weeks, dtype=object)
    return (
        int(np.searchsorted(weeks, str(first), side="left")),
        int(np.searchsorted(weeks, str(end), side="left")),
    )


def stage_table(
    history: pd.DataFrame | PreparedHistory, *, as_of: str | Week, by: Level = "team"
) -> pd.DataFrame:
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
    lo, hi = week_bounds(prep, week, week + 1)
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
        count=("amount", "size"),
        amount=("amount", "sum"),
        weighted=("weighted", "sum"),
        median_age_days=("age", "median"),
    )
    groups = cur[["team", "owner", "stage_model"]].drop_duplicates()
    frames = []
    for name, model in models.items():  # loop over models and stages, never deals
        g = groups[groups["stage_model"] == name]
        stages = pd.DataFrame(
            {
                "stage": [s.key for s in model.open_stages],
                "stage_order": range(len(model.open_stages)),
            }
        )
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


def move_on_rates(
    history: pd.DataFrame | PreparedHistory,
    *,
    as_of: str | Week,
    weeks: int = 8,
    by: Level = "team",
) -> pd.DataFrame:
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
    lo, hi = week_bounds(prep, week - weeks, week)
    moved = pos[nxt] > pos
    take = same & prep.is_open[order] & (w >= lo) & (w < hi)
    exp = (
        prep.frame[["team", "owner", "stage"]]
        .iloc[order[take]]
        .assign(moved=moved[take].astype("int64"))
    )
    if by == "team":
        exp = exp.assign(owner="")
    groups = exp.groupby(["team", "owner", "stage"], sort=True)["moved"]
    out = pd.DataFrame({"exposures": groups.size(), "moved": groups.sum()}).reset_index()
    out["move_on_rate"] = out["moved"] / out["exposures"]
    return out
