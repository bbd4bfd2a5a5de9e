"""Deal history across stored weeks: a stable key per deal, its trail, pushes, stage age.

Each pair of consecutive stored weeks is matched with
:func:`pipereview.history._matching.match_deals` (by ID, then fuzzy), and the matches are chained
week to week (:mod:`pipereview.history._chaining`), so a deal keeps one ``deal_key``
through a CRM migration that changed its ID. A deal missing from some weeks' exports is
re-joined when it comes back under the same ID. The key is the deal's ID when first seen
(``<first week>#<n>`` for deals without an ID, ``n`` counting them in that week's stored
order; ``<id>@<week>`` if an ID is reused by another deal), so adding new weeks never
changes existing keys.

>>> day = pd.Timestamp("2026-11-30")
>>> w46 = pd.DataFrame({"snapshot_week": "2026-W46", "deal_id": ["SJ-1"], "deal_name": ["MES"],
...     "account": ["恒通机械有限公司"], "team": "华东", "owner": "王芳", "stage": "assess",
...     "stage_model": "industrial_b2b", "amount": [5e5], "currency": "CNY", "close_date": [day]})
>>> w47 = w46.assign(snapshot_week="2026-W47", deal_id="1764180163628115", stage="strategy",
...     close_date=day + pd.Timedelta(days=31))
>>> trail = deal_trail(pd.concat([w46, w47]))
>>> trail[["deal_key", "snapshot_week", "deal_id", "stage", "link", "pushed"]]
  deal_key snapshot_week           deal_id     stage   link  pushed
0     SJ-1      2026-W46              SJ-1    assess          False
1     SJ-1      2026-W47  1764180163628115  strategy  fuzzy    True
>>> deal_summary(trail)[["deal_key", "first_seen", "push_count", "stage_path", "days_in_stage"]]
  deal_key first_seen  push_count          stage_path  days_in_stage
0     SJ-1   2026-W46           1  assess → strategy              0
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pipereview.core import _memo
from pipereview.core._weeks import Week
from pipereview.history._chaining import chain_deals
from pipereview.history._definitions import adopt
from pipereview.history._matching import MatchSettings
from pipereview.ingest._schema import open_mask

if TYPE_CHECKING:
    pass

__all__ = [
    "SUMMARY_COLUMNS",
    "TRAIL_COLUMNS",
    "days_in_stage",
    "deal_key",
    "deal_summary",
    "deal_trail",
    "with_deal_keys",
]

_FIELDS = (
    "deal_id",
    "deal_name",
    "account",
    "team",
    "owner",
    "stage",
    "stage_model",
    "amount",
    "currency",
    "close_date",
)
#: Columns of :func:`deal_trail`' result, in order.
TRAIL_COLUMNS: tuple[str, ...] = ("deal_key", "snapshot_week", *_FIELDS, "open", "link", "pushed")
#: Columns of :func:`deal_summary`' result, in order.
SUMMARY_COLUMNS: tuple[str, ...] = (
    "deal_key",
    "first_seen",
    "last_seen",
    "weeks_seen",
    "deal_id",
    "deal_name",
    "account",
    "team",
    "owner",
    "stage",
    "amount",
    "currency",
    "close_date",
    "open",
    "id_changes",
    "push_count",
    "stage_path",
    "stage_since",
    "days_in_stage",
    "stage_age_is_lower_bound",
)
_PATH_SEP = " → "


def deal_key(frame: pd.DataFrame) -> pd.Series:
    """One key per deal across weeks: the frame's ``deal_key`` column when it has one (see
    :func:`with_deal_keys`), else the deal's ID, or ``team|name|account`` when the ID is
    blank. Every diagnostic keys deals with this function.

    >>> deal_key(pd.DataFrame({"deal_id": ["D1", ""], "team": "N", "deal_name": "ERP",
    ...                        "account": "Acme"})).tolist()
    ['D1', 'N|ERP|Acme']
    """
    adopt(frame)  # the frame's stage-model names mean the definitions it carries
    if "deal_key" in frame:
        return frame["deal_key"].astype("str")
    ids = frame["deal_id"].astype("str").fillna("").str.strip()
    blank = ids == ""
    if not blank.any():
        return ids.rename("deal_key")
    part = frame.loc[blank]
    fallback = (
        part["team"].astype("str")
        + "|"
        + part["deal_name"].astype("str")
        + "|"
        + part["account"].astype("str").fillna("")
    )
    return ids.mask(blank, fallback).rename("deal_key")


def days_in_stage(history: pd.DataFrame, *, as_of: str | Week) -> pd.Series:
    """Per row: days from the Monday of the week its deal entered its current stage (the
    start of the run of weeks in that stage, by :func:`deal_key`) to the Monday of
    ``as_of``. A lower bound for deals already in the stage in the first stored week.

    >>> h = pd.DataFrame({"snapshot_week": ["2026-W45", "2026-W46", "2026-W47"],
    ...     "deal_id": "D1", "stage": ["a", "b", "b"]})
    >>> days_in_stage(h, as_of="2026-W47").tolist()
    [14.0, 7.0, 7.0]
    """
    week = Week.parse(as_of) if isinstance(as_of, str) else as_of
    key_col = deal_key(history)
    arrays = _memo.arrow_arrays(key_col, history["stage"], history["snapshot_week"])

    def entered() -> np.ndarray:  # per row: the day its deal entered its current stage
        keys, _ = pd.factorize(key_col)
        stages, _ = pd.factorize(history["stage"])
        week_codes, week_names = pd.factorize(history["snapshot_week"])
        mondays = np.array([Week.parse(str(w)).monday for w in week_names], dtype="datetime64[D]")
        day = mondays[week_codes].astype("int64")
        order = np.lexsort((day, keys))  # by deal, then week
        k, s, d = keys[order], stages[order], day[order]
        new_run = np.ones(len(order), dtype=bool)
        new_run[1:] = (k[1:] != k[:-1]) | (s[1:] != s[:-1])
        run_start = np.maximum.accumulate(np.where(new_run, np.arange(len(order)), 0))
        out = np.empty(len(order), dtype=np.int64)
        out[order] = d[run_start]
        out.flags.writeable = False
        return out

    start = _memo.derived(arrays, "stage_entry_day", entered)
    age = (np.datetime64(week.monday, "D").astype("int64") - start).astype(float)
    return pd.Series(age, index=history.index, name="days_in_stage")


def with_deal_keys(history: pd.DataFrame, *, settings: MatchSettings | None = None) -> pd.DataFrame:
    """A copy of ``history`` with a ``deal_key`` column: the stable key of
    :func:`deal_trail`, so a deal whose CRM ID changed (a migration) stays one deal.

    Every diagnostic (funnel, conversion, aging, forecast, trends) uses this column when
    present; without it deals are keyed by ID (:func:`deal_key`). Key once, after loading
    the history, and pass the keyed frame on. Rows and their order are kept.

    >>> w46 = pd.DataFrame({"snapshot_week": "2026-W46", "deal_id": ["OLD-1"],
    ...     "deal_name": ["MES"], "account": ["Acme"], "team": "T", "owner": "Ann",
    ...     "stage": "initial_contact", "stage_model": "generic_4", "amount": [5e5],
    ...     "currency": "EUR", "close_date": [pd.Timestamp("2026-12-31")]})
    >>> keyed = with_deal_keys(pd.concat([w46, w46.assign(snapshot_week="2026-W47",
    ...                                                    deal_id="NEW-9")]))
    >>> keyed[["snapshot_week", "deal_id", "deal_key"]]
      snapshot_week deal_id deal_key
    0      2026-W46   OLD-1    OLD-1
    0      2026-W47   NEW-9    OLD-1
    """
    adopt(history)
    out = history.copy(deep=False)  # copy-on-write: the caller's frame is never changed
    if history.empty:
        out["deal_key"] = pd.Series(dtype="str")
        return out
    chain = chain_deals(history, settings)
    keys = np.empty(len(history), dtype=object)
    keys[chain.perm] = chain.key
    out["deal_key"] = pd.array(keys, dtype="str")
    return out


def deal_trail(history: pd.DataFrame, *, settings: MatchSettings | None = None) -> pd.DataFrame:
    """One row per deal per stored week (columns :data:`TRAIL_COLUMNS`), deals in the
    order first seen, each deal's weeks oldest first.

    ``history`` is a stack of weekly snapshots (:meth:`pipereview.SnapshotStore.history`).
    ``link`` says how a row was tied to the deal's previous row (``"id"``, ``"fuzzy"``;
    ``""`` on its first row); ``pushed`` is true when the deal was open in both rows and
    its close date moved later. ``history`` is not modified.
    """
    if history.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in TRAIL_COLUMNS})
    perm, parent, link, root, key = chain_deals(history, settings)
    hist = history.iloc[perm].reset_index(drop=True)
    n = len(hist)
    is_open = open_mask(hist).to_numpy(dtype=bool)
    close = hist["close_date"].to_numpy(dtype="datetime64[ns]")
    has_parent = parent >= 0
    before = np.where(has_parent, parent, 0)
    pushed = has_parent & is_open & is_open[before] & (close > close[before])
    out = pd.DataFrame(
        {
            "deal_key": pd.array(key, dtype="str"),
            "snapshot_week": hist["snapshot_week"].astype("str"),
        }
    )
    for column in _FIELDS:
        out[column] = hist[column].to_numpy()
    out["open"] = is_open
    out["link"] = pd.array(link, dtype="str")
    out["pushed"] = pushed
    order = np.lexsort((np.arange(n), root))  # deals by first row, then week
    return out.iloc[order].reset_index(drop=True)


def deal_summary(trail: pd.DataFrame) -> pd.DataFrame:
    """One row per deal of a :func:`deal_trail` (columns :data:`SUMMARY_COLUMNS`), in trail
    order, described as of the deal's last stored week.

    ``push_count`` counts the weeks its close date moved later while open;
    ``stage_path`` lists its stages in order (repeats of a stage after leaving it are kept);
    ``stage_since`` is the first week of its current stage and ``days_in_stage`` the days
    from that week's Friday to the last seen week's Friday (weekly exports are taken on
    Fridays), a lower bound when the stage was already held on the deal's first week
    (``stage_age_is_lower_bound``).
    """
    if trail.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in SUMMARY_COLUMNS})
    key = trail["deal_key"]
    groups = trail.groupby(key, sort=False)
    new_run = (trail["stage"] != groups["stage"].shift()).to_numpy(dtype=bool)
    new_id = (trail["deal_id"].fillna("") != groups["deal_id"].shift().fillna("")).to_numpy()
    first_row = ~key.duplicated().to_numpy()
    run_start = trail["snapshot_week"].where(new_run).groupby(key, sort=False).ffill()
    last = groups.tail(1).set_index("deal_key")
    runs = trail.loc[new_run, ["deal_key", "stage"]]
    wide = runs.assign(n=runs.groupby("deal_key", sort=False).cumcount()).pivot(
        index="deal_key", columns="n", values="stage"
    )
    path = wide[0].astype("str")
    for column in wide.columns[1:]:  # loops over stage changes, not deals
        path = path + (_PATH_SEP + wide[column].astype("str")).fillna("")
    out = pd.DataFrame(
        {
            "first_seen": groups["snapshot_week"].first(),
            "last_seen": last["snapshot_week"],
            "weeks_seen": groups.size(),
            **{
                c: last[c]
                for c in (
                    "deal_id",
                    "deal_name",
                    "account",
                    "team",
                    "owner",
                    "stage",
                    "amount",
                    "currency",
                    "close_date",
                    "open",
                )
            },
            "id_changes": pd.Series(new_id & ~first_row).groupby(key.to_numpy(), sort=False).sum(),
            "push_count": groups["pushed"].sum(),
            "stage_path": path,
            "stage_since": run_start.groupby(key, sort=False).last(),
        }
    )
    fridays = {w: pd.Timestamp(Week.parse(w).friday) for w in trail["snapshot_week"].unique()}
    out["days_in_stage"] = (
        out["last_seen"].map(fridays) - out["stage_since"].map(fridays)
    ).dt.days.astype("int64")
    out["stage_age_is_lower_bound"] = (out["stage_since"] == out["first_seen"]).to_numpy()
    out = out.reindex(pd.unique(key)).rename_axis("deal_key").reset_index()
    return out.loc[:, list(SUMMARY_COLUMNS)]
