"""Conversion from history: cohorts of deals entering each stage and what became of them,
win rate, cycle length, average won size and sales velocity.

A deal **enters** open stage *k* in stored week *w* when its row in *w* is at *k* and its
previous stored row was at another stage, or *w* is its first row (and not the first
stored week: deals already there when the store begins have an unknown entry and are
left out). Re-entering a stage later is a new entry. The **cohort** of *k* is every entry
in the ``window_weeks`` weeks ending at the as-of week; each entry's outcome is read from
the deal's later rows up to the as-of week.

>>> h = pd.DataFrame({"snapshot_week": ["2026-W45", "2026-W46", "2026-W47", "2026-W46",
...     "2026-W47"], "team": "T", "owner": "Ann", "stage_model": "generic_4",
...     "deal_id": ["old", "old", "old", "new", "new"],
...     "stage": ["initial_contact", "needs_confirmed", "won", "initial_contact",
...               "initial_contact"]})
>>> c = cohort_conversion(h, as_of="2026-W47", min_cohort=1)
>>> c[["stage", "entered", "reached_next", "won", "still_at_stage", "next_rate"]].head(2)
             stage  entered  reached_next  won  still_at_stage  next_rate
0  initial_contact        1             0    0               1        0.0
1  needs_confirmed        1             1    1               0        1.0
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from pipereview.forecast import ForecastSettings, win_rates
from pipereview.history import deal_key, rows_upto, week_monday
from pipereview.schema import open_mask, stage_facts
from pipereview.stages import load_stage_model
from pipereview.weeks import Week

__all__ = ["CONVERSION_COLUMNS", "OUTCOMES", "VELOCITY_COLUMNS", "cohort_conversion",
           "sales_velocity"]

Level = Literal["team", "rep"]

#: The exclusive outcomes of a cohort entry; they add up to ``entered``.
OUTCOMES: tuple[str, ...] = ("won", "lost", "advanced_open", "still_at_stage", "dropped")

#: Columns of :func:`cohort_conversion`' result, in order.
CONVERSION_COLUMNS: tuple[str, ...] = (
    "team", "owner", "stage_model", "stage", "stage_order", "entered", "reached_next",
    *OUTCOMES, "next_rate", "win_rate", "loss_rate", "open_rate", "drop_rate",
)

#: Columns of :func:`sales_velocity`' result, in order.
VELOCITY_COLUMNS: tuple[str, ...] = (
    "team", "owner", "currency", "open_deals", "won", "lost", "win_rate", "won_in_window",
    "avg_won_amount", "median_cycle_days", "cycle_basis", "velocity_per_day",
    "velocity_per_week",
)


def _check_level(by: str) -> None:
    if by not in ("team", "rep"):
        raise ValueError(f"by must be 'team' or 'rep', got {by!r}")


def _week(as_of: str | Week) -> Week:
    return Week.parse(as_of) if isinstance(as_of, str) else as_of


def _positions(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: position among the model's open stages (-1 when closed), won, lost."""
    facts = stage_facts(rows)
    pos = np.where(facts["is_open"].to_numpy(), facts["position"].to_numpy(), -1)
    return pos, facts["is_won"].to_numpy(), facts["is_lost"].to_numpy()


def cohort_conversion(history: pd.DataFrame, *, as_of: str | Week, window_weeks: int = 13,
                      by: Level = "team", min_cohort: int = 5) -> pd.DataFrame:
    """Per team (or rep) and open stage: the cohort of deals that entered the stage in the
    ``window_weeks`` weeks to ``as_of``, and what became of them (columns
    :data:`CONVERSION_COLUMNS`).

    ``reached_next``: later seen at a later stage or won (not exclusive). Exclusive
    outcomes (:data:`OUTCOMES`), as of the deal's last row: ``won``, ``lost``,
    ``advanced_open`` (open at a later stage), ``still_at_stage`` (open at the stage or
    moved back), ``dropped`` (no longer in the team's as-of export, never closed).
    Rates are shares of ``entered``, NaN below ``min_cohort`` entries. Every open stage
    of the model is listed in model order. A rep's cohort is the entries made under them.
    """
    _check_level(by)
    week = _week(as_of)
    used = ["snapshot_week", "deal_key", "deal_id", "deal_name", "account", "team", "owner",
            "stage_model", "stage"]
    rows = rows_upto(history, week, used)
    cols = list(CONVERSION_COLUMNS)
    if rows.empty:
        return pd.DataFrame(columns=cols)
    frame = pd.DataFrame({
        "key": deal_key(rows).to_numpy(), "team": rows["team"].to_numpy(),
        "owner": rows["owner"].to_numpy() if by == "rep" else "",
        "stage_model": rows["stage_model"].astype("str").to_numpy(),
        "stage": rows["stage"].astype("str").to_numpy(),
        "monday": week_monday(rows["snapshot_week"].astype("str")).to_numpy(),
        "week": rows["snapshot_week"].astype("str").to_numpy()})
    frame["pos"], frame["won"], frame["lost"] = _positions(rows)
    codes, _ = pd.factorize(frame["key"], sort=True)  # integer sort, same order
    frame = frame.iloc[np.lexsort((frame["monday"].to_numpy(), codes))].reset_index(drop=True)
    key = frame["key"].to_numpy()
    first_row = np.ones(len(frame), dtype=bool)
    first_row[1:] = key[1:] != key[:-1]
    changed = np.ones(len(frame), dtype=bool)
    changed[1:] = frame["stage"].to_numpy()[1:] != frame["stage"].to_numpy()[:-1]
    start = frame["monday"].min()
    window_start = pd.Timestamp((week - (window_weeks - 1)).monday)
    entry = ((first_row & (frame["monday"] > start)) | (~first_row & changed)) & (
        frame["pos"] >= 0) & (frame["monday"] >= window_start)
    # later rows of the same deal: the best later position and whether won, via reverse
    # cumulative maxima within each deal
    pos_won = np.where(frame["won"], 10_000, frame["pos"].to_numpy())
    later_best = pd.Series(pos_won[::-1]).groupby(key[::-1]).cummax().to_numpy()[::-1]
    last = frame.groupby("key", sort=False).tail(1).set_index("key")
    team_last = frame.groupby("team")["week"].max()
    entries = frame[entry].copy()
    deal_last = last.reindex(entries["key"])
    entries["reached_next"] = later_best[entry.to_numpy()] > entries["pos"].to_numpy()
    in_export = (deal_last["week"].to_numpy() == team_last.reindex(entries["team"]).to_numpy())
    won, lost = deal_last["won"].to_numpy(dtype=bool), deal_last["lost"].to_numpy(dtype=bool)
    still_open = ~won & ~lost & in_export
    later = deal_last["pos"].to_numpy() > entries["pos"].to_numpy()
    entries = entries.assign(
        won_=won, lost_=lost, advanced_open=still_open & later,
        still_at_stage=still_open & ~later, dropped=~won & ~lost & ~in_export)
    entries = entries.rename(columns={"won": "_w", "lost": "_l"}).rename(
        columns={"won_": "won", "lost_": "lost"})
    counted = entries.groupby(["team", "owner", "stage_model", "stage"], sort=False)[
        ["reached_next", *OUTCOMES]].sum()
    counted["entered"] = entries.groupby(["team", "owner", "stage_model", "stage"],
                                         sort=False).size()
    groups = frame[["team", "owner", "stage_model"]].drop_duplicates()
    grids = []
    for name in groups["stage_model"].unique():  # loops over stage models
        stages = pd.DataFrame({"stage": [s.key for s in load_stage_model(name).open_stages]})
        stages["stage_order"] = range(len(stages))
        grids.append(groups[groups["stage_model"] == name].merge(stages, how="cross"))
    out = pd.concat(grids, ignore_index=True).join(
        counted, on=["team", "owner", "stage_model", "stage"])
    counts = ["entered", "reached_next", *OUTCOMES]
    out[counts] = out[counts].fillna(0).astype("int64")
    enough = out["entered"].where(out["entered"] >= min_cohort)
    for rate, column in (("next_rate", "reached_next"), ("win_rate", "won"),
                         ("loss_rate", "lost"), ("drop_rate", "dropped")):
        out[rate] = out[column] / enough
    out["open_rate"] = (out["advanced_open"] + out["still_at_stage"]) / enough
    out = out.sort_values(["team", "owner", "stage_order"], kind="stable", ignore_index=True)
    result: pd.DataFrame = out[cols]
    return result


def sales_velocity(history: pd.DataFrame, *, as_of: str | Week, by: Level = "team",
                   settings: ForecastSettings | None = None, min_won: int = 3
                   ) -> pd.DataFrame:
    """Sales velocity per team (or rep): open deals x win rate x average won amount /
    median cycle length, per day and per week (columns :data:`VELOCITY_COLUMNS`).

    ``win_rate`` is :func:`pipereview.forecast.win_rates` with the same ``settings`` (so it
    matches the forecast). ``avg_won_amount`` and ``median_cycle_days`` are over the deals
    won with a close date in that trailing window (their latest row); the cycle runs from
    ``created_date`` to ``close_date``, or from the Monday of the deal's first stored week
    when the created date is missing (a lower bound; ``cycle_basis`` says ``created_date``,
    ``first_seen`` or ``mixed``). Velocity is NaN, never 0 or infinite, when the win rate
    is NaN, fewer than ``min_won`` deals were won in the window or the cycle is not
    positive.

    >>> h = pd.DataFrame({"snapshot_week": "2026-W47", "team": "T", "owner": "Ann",
    ...     "deal_id": ["w1", "w2", "l1", "o1"], "deal_name": "x", "account": "y",
    ...     "stage_model": "generic_4", "stage": ["won", "won", "lost", "initial_contact"],
    ...     "amount": [300.0, 500.0, 100.0, 50.0], "currency": "EUR",
    ...     "created_date": pd.Timestamp("2026-09-01"),
    ...     "close_date": pd.to_datetime(["2026-11-10", "2026-11-20", "2026-11-01",
    ...                                   "2026-12-31"])})
    >>> v = sales_velocity(h, as_of="2026-W47", min_won=2,
    ...                    settings=ForecastSettings(min_closed_deals=3))
    >>> v[["open_deals", "win_rate", "avg_won_amount", "median_cycle_days"]]
       open_deals  win_rate  avg_won_amount  median_cycle_days
    0           1  0.666667           400.0               75.0
    >>> round(float(v.loc[0, "velocity_per_day"]), 4)  # 1 x 2/3 x 400 / 75
    3.5556
    """
    _check_level(by)
    settings = settings or ForecastSettings()
    week = _week(as_of)
    used = ["snapshot_week", "deal_key", "deal_id", "deal_name", "account", "team", "owner",
            "stage_model", "stage", "amount", "currency", "close_date", "created_date"]
    rows = rows_upto(history, week, used)  # sort only what is used
    keys = ["team"] if by == "team" else ["team", "owner"]
    if rows.empty:
        return pd.DataFrame(columns=list(VELOCITY_COLUMNS))
    rows = rows.assign(deal_key=deal_key(rows),
                       _monday=week_monday(rows["snapshot_week"].astype("str")))
    codes, _ = pd.factorize(rows["deal_key"], sort=True)  # integer sort, same order
    rows = rows.iloc[np.lexsort((rows["_monday"].to_numpy(), codes))]
    first_seen = rows.groupby("deal_key")["_monday"].min()
    latest = rows.groupby("deal_key", sort=False).tail(1)
    team_last = rows.groupby("team")["snapshot_week"].transform("max")
    current = rows[rows["snapshot_week"] == team_last]
    open_now = current[open_mask(current)].groupby(keys).size().rename("open_deals")
    rates = win_rates(rows, week, by=keys, settings=settings).set_index(keys)
    _, won_flag, _ = _positions(latest)
    won = latest[won_flag]
    start, end = rates["window_start"].iloc[0], rates["window_end"].iloc[0]
    won = won[(won["close_date"] >= start) & (won["close_date"] <= end)]
    created = (won["created_date"] if "created_date" in won
               else pd.Series(pd.NaT, index=won.index, dtype="datetime64[ns]"))
    began = created.fillna(won["deal_key"].map(first_seen))
    won = won.assign(_cycle=(won["close_date"] - began).dt.days.astype(float),
                     _known=created.notna())
    stats = won.groupby(keys).agg(won_in_window=("amount", "size"),
                                  avg_won_amount=("amount", "mean"),
                                  median_cycle_days=("_cycle", "median"),
                                  _known=("_known", "mean"))
    currency = current.groupby(keys)["currency"].agg(
        lambda c: ", ".join(sorted(set(c.dropna().astype(str)) - {""}))) if "currency" in \
        current else pd.Series("", index=open_now.index)
    out = rates[["won", "lost", "win_rate"]].join([open_now, stats]).join(
        currency.rename("currency"))
    out["open_deals"] = out["open_deals"].fillna(0).astype("int64")
    out["won_in_window"] = out["won_in_window"].fillna(0).astype("int64")
    out["cycle_basis"] = np.select([out["_known"] == 1, out["_known"] == 0],
                                   ["created_date", "first_seen"],
                                   np.where(out["_known"].isna(), "", "mixed"))
    valid = (out["win_rate"].notna() & (out["won_in_window"] >= min_won)
             & (out["median_cycle_days"] > 0))
    per_day = (out["open_deals"] * out["win_rate"] * out["avg_won_amount"]
               / out["median_cycle_days"])
    out["velocity_per_day"] = per_day.where(valid)
    out["velocity_per_week"] = out["velocity_per_day"] * 7
    out = out.reset_index()
    if by == "team":
        out["owner"] = ""
    out["currency"] = out["currency"].fillna("")
    return out.sort_values(keys, kind="stable", ignore_index=True)[list(VELOCITY_COLUMNS)]
