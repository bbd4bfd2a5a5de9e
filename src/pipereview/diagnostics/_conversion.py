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

import numpy as np
import pandas as pd

from pipereview.core._stages import load_stage_model
from pipereview.core._weeks import Week
from pipereview.diagnostics._forecast import ForecastSettings, win_rates
from pipereview.diagnostics._grouping import Level, level_keys
from pipereview.history._prepared import PreparedHistory, as_prepared

__all__ = [
    "CONVERSION_COLUMNS",
    "OUTCOMES",
    "VELOCITY_COLUMNS",
    "VELOCITY_MIN_WON",
    "cohort_conversion",
    "sales_velocity",
]

#: The exclusive outcomes of a cohort entry; they add up to ``entered``.
OUTCOMES: tuple[str, ...] = ("won", "lost", "advanced_open", "still_at_stage", "dropped")

#: Columns of :func:`cohort_conversion`' result, in order.
CONVERSION_COLUMNS: tuple[str, ...] = (
    "team",
    "owner",
    "stage_model",
    "stage",
    "stage_order",
    "entered",
    "reached_next",
    *OUTCOMES,
    "next_rate",
    "win_rate",
    "loss_rate",
    "open_rate",
    "drop_rate",
)

#: The fewest deals won in the window for a sales velocity (fewer: NaN).
VELOCITY_MIN_WON = 3

#: Columns of :func:`sales_velocity`' result, in order.
VELOCITY_COLUMNS: tuple[str, ...] = (
    "team",
    "owner",
    "currency",
    "open_deals",
    "won",
    "lost",
    "win_rate",
    "won_in_window",
    "avg_won_amount",
    "median_cycle_days",
    "cycle_basis",
    "velocity_per_day",
    "velocity_per_week",
)


def _week(as_of: str | Week) -> Week:
    return Week.parse(as_of) if isinstance(as_of, str) else as_of


def _names(names: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """The texts of factorised ``codes`` (-1, a missing text, comes back as NaN)."""
    out: np.ndarray = np.asarray(names, dtype=object)[np.maximum(codes, 0)]
    out[codes < 0] = np.nan
    return out


def cohort_conversion(
    history: pd.DataFrame | PreparedHistory,
    *,
    as_of: str | Week,
    window_weeks: int = 13,
    by: Level = "team",
    min_cohort: int = 5,
) -> pd.DataFrame:
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
    level_keys(by)
    week = _week(as_of)
    prep = as_prepared(history).upto(week)
    if prep.frame.empty:
        return pd.DataFrame(columns=list(CONVERSION_COLUMNS))
    code_of, names_of = _text_codes(prep.frame, by)
    order = prep.order  # by deal, then week (stable)
    entries = _cohort_entries(
        prep, {k: v[order] for k, v in code_of.items()}, len(names_of["team"]), week, window_weeks
    )
    first_group = pd.DataFrame(
        {k: code_of[k][order] for k in ("team", "owner", "stage_model")}
    ).drop_duplicates()
    groups = pd.DataFrame(
        {
            k: _names(names_of[k], first_group[k].to_numpy())
            for k in ("team", "owner", "stage_model")
        }
    )
    return _outcome_table(entries, names_of, groups, min_cohort)


def _text_codes(
    rows: pd.DataFrame, by: Level
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Every text column a cohort is grouped by as integer codes, and the texts of the
    codes (``owner`` is one blank code by team); texts come back only for the few output
    groups."""
    texts = {
        "team": rows["team"],
        "owner": rows["owner"] if by == "rep" else None,
        "stage_model": rows["stage_model"].astype("str"),
        "stage": rows["stage"].astype("str"),
    }
    code_of: dict[str, np.ndarray] = {}
    names_of: dict[str, np.ndarray] = {}
    for name, values in texts.items():
        if values is None:
            code_of[name], names_of[name] = np.zeros(len(rows), dtype=np.int64), np.array([""])
        else:
            found, uniques = pd.factorize(values)
            code_of[name], names_of[name] = found, np.asarray(uniques, dtype=object)
    return code_of, names_of


def _cohort_entries(
    prep: PreparedHistory, codes: dict[str, np.ndarray], n_teams: int, week: Week, window_weeks: int
) -> pd.DataFrame:
    """One row per stage entry in the window (``codes`` in the order of ``prep.order``):
    its group codes, whether the deal later reached a later stage and its exclusive
    outcome as of the deal's last row."""
    order = prep.order
    mondays = prep.week_mondays.astype("datetime64[D]")
    pos_all = np.where(prep.is_open, prep.position, -1)
    key, wk = prep.deal[order], prep.week[order]
    team, stage = codes["team"], codes["stage"]
    pos, won_f, lost_f = pos_all[order], prep.is_won[order], prep.is_lost[order]
    monday = mondays[wk]
    first_row = np.ones(len(key), dtype=bool)
    first_row[1:] = key[1:] != key[:-1]
    changed = np.ones(len(key), dtype=bool)
    changed[1:] = stage[1:] != stage[:-1]
    start = monday.min()
    window_start = np.datetime64((week - (window_weeks - 1)).monday, "D")
    entry = (
        ((first_row & (monday > start)) | (~first_row & changed))
        & (pos >= 0)
        & (monday >= window_start)
    )
    # later rows of the same deal: the best later position and whether won, via reverse
    # cumulative maxima within each deal
    pos_won = np.where(won_f, 10_000, pos)
    later_best = pd.Series(pos_won[::-1]).groupby(key[::-1]).cummax().to_numpy()[::-1]
    # each row's deal's last row (rows are sorted by deal): the end of its run
    last_of_run = np.flatnonzero(np.r_[key[1:] != key[:-1], True])
    run = np.cumsum(first_row) - 1
    deal_last = last_of_run[run[entry]]
    team_last = np.full(n_teams + 1, -1)
    np.maximum.at(team_last, team, wk)  # each team's latest stored week (as a code)
    in_export = wk[deal_last] == team_last[team[entry]]
    won, lost = won_f[deal_last], lost_f[deal_last]
    still_open = ~won & ~lost & in_export
    later = pos[deal_last] > pos[entry]
    return pd.DataFrame(
        {
            "team": team[entry],
            "owner": codes["owner"][entry],
            "stage_model": codes["stage_model"][entry],
            "stage": stage[entry],
            "reached_next": later_best[entry] > pos[entry],
            "won": won,
            "lost": lost,
            "advanced_open": still_open & later,
            "still_at_stage": still_open & ~later,
            "dropped": ~won & ~lost & ~in_export,
        }
    )


def _outcome_table(
    entries: pd.DataFrame, names_of: dict[str, np.ndarray], groups: pd.DataFrame, min_cohort: int
) -> pd.DataFrame:
    """The entries counted per group and open stage (every open stage of each group's
    model, in model order), with the rates."""
    keys4 = ["team", "owner", "stage_model", "stage"]
    valid = (entries[keys4].to_numpy() >= 0).all(axis=1)  # a missing text is not a group
    grouped = entries[valid].groupby(keys4, sort=False)
    counted = grouped[["reached_next", *OUTCOMES]].sum()
    counted["entered"] = grouped.size()
    counted.index = pd.MultiIndex.from_arrays(
        [_names(names_of[k], counted.index.get_level_values(k).to_numpy()) for k in keys4],
        names=keys4,
    )
    grids = []
    for name in groups["stage_model"].unique():  # loops over stage models
        stages = pd.DataFrame({"stage": [s.key for s in load_stage_model(name).open_stages]})
        stages["stage_order"] = range(len(stages))
        grids.append(groups[groups["stage_model"] == name].merge(stages, how="cross"))
    out = pd.concat(grids, ignore_index=True).join(
        counted, on=["team", "owner", "stage_model", "stage"]
    )
    counts = ["entered", "reached_next", *OUTCOMES]
    out[counts] = out[counts].fillna(0).astype("int64")
    enough = out["entered"].where(out["entered"] >= min_cohort)
    for rate, column in (
        ("next_rate", "reached_next"),
        ("win_rate", "won"),
        ("loss_rate", "lost"),
        ("drop_rate", "dropped"),
    ):
        out[rate] = out[column] / enough
    out["open_rate"] = (out["advanced_open"] + out["still_at_stage"]) / enough
    out = out.sort_values(["team", "owner", "stage_order"], kind="stable", ignore_index=True)
    result: pd.DataFrame = out[list(CONVERSION_COLUMNS)]
    return result


def sales_velocity(
    history: pd.DataFrame | PreparedHistory,
    *,
    as_of: str | Week,
    by: Level = "team",
    settings: ForecastSettings | None = None,
    min_won: int = VELOCITY_MIN_WON,
) -> pd.DataFrame:
    """Sales velocity per team (or rep): open deals x win rate x average won amount /
    median cycle length, per day and per week (columns :data:`VELOCITY_COLUMNS`).

    ``win_rate`` is :func:`pipereview.diagnostics._forecast.win_rates` with the same ``settings`` (so it
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
    keys = level_keys(by)
    settings = settings or ForecastSettings()
    week = _week(as_of)
    prep = as_prepared(history).upto(week)
    rows = prep.frame
    if rows.empty:
        return pd.DataFrame(columns=list(VELOCITY_COLUMNS))
    team_last = rows.groupby("team")["snapshot_week"].transform("max")
    now = (rows["snapshot_week"] == team_last).to_numpy(dtype=bool)
    open_now = rows.loc[now & prep.is_open, keys].groupby(keys).size().rename("open_deals")
    current = rows.loc[now, [*keys, "currency"] if "currency" in rows else keys]
    rates = win_rates(prep, week, group_columns=keys, settings=settings).set_index(keys)
    stats = _won_stats(prep, keys, rates["window_start"].iloc[0], rates["window_end"].iloc[0])
    currency = (
        current.groupby(keys)["currency"].agg(
            lambda c: ", ".join(sorted(set(c.dropna().astype(str)) - {""}))
        )
        if "currency" in current
        else pd.Series("", index=open_now.index)
    )
    out = (
        rates[["won", "lost", "win_rate"]].join([open_now, stats]).join(currency.rename("currency"))
    )
    out["open_deals"] = out["open_deals"].fillna(0).astype("int64")
    out["won_in_window"] = out["won_in_window"].fillna(0).astype("int64")
    out["cycle_basis"] = np.select(
        [out["_known"] == 1, out["_known"] == 0],
        ["created_date", "first_seen"],
        np.where(out["_known"].isna(), "", "mixed"),
    )
    valid = (
        out["win_rate"].notna() & (out["won_in_window"] >= min_won) & (out["median_cycle_days"] > 0)
    )
    per_day = out["open_deals"] * out["win_rate"] * out["avg_won_amount"] / out["median_cycle_days"]
    out["velocity_per_day"] = per_day.where(valid)
    out["velocity_per_week"] = out["velocity_per_day"] * 7
    out = out.reset_index()
    if by == "team":
        out["owner"] = ""
    out["currency"] = out["currency"].fillna("")
    return out.sort_values(keys, kind="stable", ignore_index=True)[list(VELOCITY_COLUMNS)]


def _won_stats(
    prep: PreparedHistory, keys: list[str], start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Per group, the deals won with a close date from ``start`` to ``end`` (their latest
    row): how many, their average amount, their median cycle in days and the share whose
    cycle starts at a known created date (``_known``)."""
    used = [
        "snapshot_week",
        "deal_key",
        "deal_id",
        "deal_name",
        "account",
        "team",
        "owner",
        "stage_model",
        "stage",
        "amount",
        "currency",
        "close_date",
        "created_date",
    ]
    rows = prep.frame
    # each deal's first Monday and latest row, found on integer codes (the million rows
    # are never reordered: only the latest rows, one per deal, are taken)
    order = prep.order
    codes = prep.deal[order]
    ends = np.flatnonzero(np.r_[codes[1:] != codes[:-1], True])
    starts = np.r_[0, ends[:-1] + 1]
    first_monday = prep.monday[order][starts]  # per deal, in the order of ``ends``
    latest = (
        rows[[c for c in used if c in rows]]
        .iloc[order[ends]]
        .assign(deal_key=prep.deal_key.iloc[order[ends]], _first=first_monday)
    )
    won = latest[prep.is_won[order[ends]]]
    won = won[(won["close_date"] >= start) & (won["close_date"] <= end)]
    created = (
        won["created_date"]
        if "created_date" in won
        else pd.Series(pd.NaT, index=won.index, dtype="datetime64[ns]")
    )
    began = created.fillna(won["_first"])
    won = won.assign(
        _cycle=(won["close_date"] - began).dt.days.astype(float), _known=created.notna()
    )
    stats: pd.DataFrame = won.groupby(keys).agg(
        won_in_window=("amount", "size"),
        avg_won_amount=("amount", "mean"),
        median_cycle_days=("_cycle", "median"),
        _known=("_known", "mean"),
    )
    return stats
