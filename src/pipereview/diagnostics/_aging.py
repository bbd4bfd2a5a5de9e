"""Aging and risk: how long deals stay in each stage, and which open deals are at risk.

Flags of an open deal as of a week (each with its numbers, see :func:`deal_risks`):

- ``past_typical``: longer in its stage than the limit — the team's p75 of completed
  stays in that stage when enough are known, else the stage model's ``typical_days``;
- ``stalled``: no logged activity for ``stalled_days`` up to the as-of day, the Sunday
  ending the as-of week (unknown when the export has no activity date: <NA>, never a
  guess);
- ``pushed_often``: close date moved later ``push_limit`` times or more while open;
- ``close_date_past``: still open with a close date before the as-of week's Monday.

>>> h = pd.DataFrame({"snapshot_week": ["2026-W45", "2026-W46", "2026-W47"], "team": "T",
...     "deal_id": "D1", "deal_name": "MES", "account": "Acme", "owner": "Ann",
...     "stage": "initial_contact", "stage_model": "generic_4", "amount": 100.0,
...     "currency": "EUR", "close_date": pd.to_datetime(["2026-11-30", "2026-12-31",
...     "2027-01-31"]), "last_activity_date": pd.Timestamp("2026-10-01")})
>>> r = deal_risks(h, as_of="2026-W47")
>>> r[["days_in_stage", "limit_days", "days_since_activity", "push_count"]]
   days_in_stage  limit_days  days_since_activity  push_count
0           14.0        14.0                 52.0           2
>>> r.loc[0, "risks"]
('stalled', 'pushed_often')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipereview.core._errors import ConfigError
from pipereview.core._stages import load_stage_model
from pipereview.core._weeks import Week
from pipereview.diagnostics._figures import activity_days, stage_days
from pipereview.diagnostics._grouping import Level, level_keys
from pipereview.history._prepared import PreparedHistory, as_prepared

__all__ = [
    "DURATION_COLUMNS",
    "RISK_COLUMNS",
    "RISK_FLAGS",
    "RiskSettings",
    "deal_risks",
    "risk_summary",
    "stage_durations",
]

#: The risk flags, in the order :func:`deal_risks` lists them.
RISK_FLAGS: tuple[str, ...] = ("past_typical", "stalled", "pushed_often", "close_date_past")

#: Columns of :func:`stage_durations`' result.
DURATION_COLUMNS: tuple[str, ...] = (
    "team",
    "stage_model",
    "stage",
    "stays",
    "median_days",
    "p75_days",
)

#: Columns of :func:`deal_risks`' result, in order.
RISK_COLUMNS: tuple[str, ...] = (
    "deal_key",
    "snapshot_week",
    "team",
    "owner",
    "deal_id",
    "deal_name",
    "account",
    "stage_model",
    "stage",
    "amount",
    "currency",
    "close_date",
    "days_in_stage",
    "typical_days",
    "team_p75_days",
    "limit_days",
    "limit_source",
    "past_typical",
    "days_since_activity",
    "stalled",
    "push_count",
    "pushed_often",
    "close_date_past",
    "risk_count",
    "risks",
    "days_in_stage_lower_bound",
    "activity_after_as_of",
)


@dataclass(frozen=True)
class RiskSettings:
    """Thresholds of :func:`deal_risks`.

    - ``stalled_days`` (30): days without logged activity that make a deal stalled;
    - ``push_limit`` (2): pushes (close date moved later while open) that make a risk;
    - ``use_team_p75`` (True): judge time in stage against the team's p75 of completed
      stays when at least ``min_durations`` (10) are known, else the model's typical days.

    >>> RiskSettings(stalled_days=0)
    Traceback (most recent call last):
    ...
    pipereview.core._errors.ConfigError: stalled_days must be at least 1, got 0
    Hint: set risk.stalled_days to a whole number of at least 1
    """

    stalled_days: int = 30
    push_limit: int = 2
    use_team_p75: bool = True
    min_durations: int = 10

    def __post_init__(self) -> None:
        for name in ("stalled_days", "push_limit", "min_durations"):
            if getattr(self, name) < 1:
                raise ConfigError(
                    f"{name} must be at least 1, got {getattr(self, name)}",
                    hint=f"set risk.{name} to a whole number of at least 1",
                )


_USED = (
    "snapshot_week",
    "deal_key",
    "team",
    "owner",
    "deal_id",
    "deal_name",
    "account",
    "stage_model",
    "stage",
    "amount",
    "currency",
    "close_date",
    "last_activity_date",
)


def _week(as_of: str | Week) -> Week:
    return Week.parse(as_of) if isinstance(as_of, str) else as_of


def _ordered(
    history: pd.DataFrame | PreparedHistory, as_of: Week
) -> tuple[pd.DataFrame, np.ndarray, PreparedHistory]:
    """Rows up to ``as_of`` with their key, Monday, openness and key code, the order that
    sorts them by deal then week (the rows themselves are not reordered), and their
    prepared form."""
    prep = as_prepared(history).upto(as_of)
    rows = prep.frame[[c for c in _USED if c in prep.frame]].assign(
        deal_key=prep.deal_key, _monday=prep.monday, _open=prep.is_open, _k=prep.deal
    )
    return rows, prep.order, prep


def stage_durations(history: pd.DataFrame | PreparedHistory, *, as_of: str | Week) -> pd.DataFrame:
    """Completed stays in each open stage, per team: ``stays``, ``median_days`` and
    ``p75_days`` (columns :data:`DURATION_COLUMNS`).

    A stay is a run of consecutive stored rows of a deal in one open stage that ended
    with the deal seen at another stage before ``as_of``; its length is the days from the
    Monday of its first week to the Monday of the week the other stage was first seen.
    Stays already running in the first stored week have an unknown start and are left
    out, as are stays still running.

    >>> h = pd.DataFrame({"snapshot_week": ["2026-W44", "2026-W45", "2026-W46", "2026-W47"],
    ...     "team": "T", "deal_id": "D1", "stage_model": "generic_4",
    ...     "stage": ["initial_contact", "needs_confirmed", "needs_confirmed", "won"]})
    >>> stage_durations(h, as_of="2026-W47")
      team stage_model            stage  stays  median_days  p75_days
    0    T   generic_4  needs_confirmed      1         14.0      14.0
    """
    rows, order, _ = _ordered(history, _week(as_of))
    if rows.empty:
        return pd.DataFrame(columns=list(DURATION_COLUMNS))
    return _durations(rows, order)


def _durations(rows: pd.DataFrame, order: np.ndarray) -> pd.DataFrame:
    monday = rows["_monday"].to_numpy()[order]
    first_week = monday.min()
    key = rows["_k"].to_numpy()[order]
    stage = pd.factorize(rows["stage"])[0][order]
    new_run = np.ones(len(rows), dtype=bool)
    new_run[1:] = (key[1:] != key[:-1]) | (stage[1:] != stage[:-1])
    starts = np.flatnonzero(new_run)  # each run's first row; runs are in deal, week order
    start = monday[starts]
    run_key = key[starts]
    ended = np.zeros(len(starts), dtype=bool)
    ended[:-1] = run_key[1:] == run_key[:-1]
    ended &= rows["_open"].to_numpy()[order][starts] & (start > first_week)
    days = (np.append(start[1:], start[:1]) - start).astype("timedelta64[D]").astype(float)
    stays = (
        rows[["team", "stage_model", "stage"]].iloc[order[starts[ended]]].assign(days=days[ended])
    )
    out = stays.groupby(["team", "stage_model", "stage"], sort=True)["days"].agg(
        stays="size", median_days="median", p75_days=lambda d: float(np.percentile(d, 75))
    )
    result: pd.DataFrame = out.reset_index()[list(DURATION_COLUMNS)]
    return result


def _pushes(rows: pd.DataFrame, order: np.ndarray) -> np.ndarray:
    """Per deal code (``_k``): weeks whose close date moved later than the previous row's
    while the deal was open in both rows."""
    key = rows["_k"].to_numpy()[order]
    is_open = rows["_open"].to_numpy()[order]
    close = rows["close_date"].to_numpy(dtype="datetime64[ns]")[order]
    pushed = np.zeros(len(order), dtype=np.int64)
    # NaT compares False: not a push
    pushed[1:] = (key[1:] == key[:-1]) & is_open[1:] & is_open[:-1] & (close[1:] > close[:-1])
    counts = np.bincount(key, weights=pushed, minlength=int(key.max()) + 1 if len(key) else 0)
    return counts.astype(np.int64)


def deal_risks(
    history: pd.DataFrame | PreparedHistory,
    *,
    as_of: str | Week,
    settings: RiskSettings | None = None,
) -> pd.DataFrame:
    """One row per deal open in its team's latest week up to ``as_of`` (columns
    :data:`RISK_COLUMNS`), most flags first, then largest amount, then ``deal_key``.

    ``days_in_stage`` (:func:`~pipereview.history._trail.days_in_stage`) is compared with
    ``limit_days``: the team's ``p75_days`` for the stage (:func:`stage_durations`, when
    at least ``min_durations`` stays are known and ``use_team_p75``) or the model's
    ``typical_days`` (``limit_source`` says which, ``""`` when neither exists).
    ``days_in_stage_lower_bound``: the deal was already in its stage in its team's first
    stored week, so ``days_in_stage`` is a lower bound (printed ``≥ 77 days``).
    ``days_since_activity`` counts whole days from ``last_activity_date`` to the as-of day
    (the Sunday of the as-of week, :func:`pipereview.diagnostics._figures.as_of_day`), never negative:
    a date after it is a data problem, counted 0 and flagged ``activity_after_as_of``.
    ``risks`` is a tuple of the true flags in :data:`RISK_FLAGS` order.
    """
    settings = settings or RiskSettings()
    week = _week(as_of)
    rows, order, prep = _ordered(history, week)
    if rows.empty:
        return pd.DataFrame(columns=list(RISK_COLUMNS))
    pushes = _pushes(rows, order)
    ages = stage_days(prep, week)
    last = rows.groupby("team")["snapshot_week"].transform("max")
    now = rows[(rows["snapshot_week"] == last) & rows["_open"]]
    out = now.reindex(columns=list(RISK_COLUMNS[:12])).reset_index(drop=True)
    out["days_in_stage"] = ages.loc[now.index, "days_in_stage"].to_numpy(dtype=float)
    out["days_in_stage_lower_bound"] = ages.loc[now.index, "days_in_stage_lower_bound"].to_numpy()
    typical = {
        (m, s.key): s.typical_days
        for m in out["stage_model"].unique()
        for s in load_stage_model(str(m)).stages
    }
    out["typical_days"] = [
        typical.get(k) for k in zip(out["stage_model"], out["stage"], strict=True)
    ]
    out["typical_days"] = out["typical_days"].astype(float)
    durations = _durations(rows, order)
    enough = durations[durations["stays"] >= settings.min_durations]
    p75 = enough.set_index(["team", "stage_model", "stage"])["p75_days"]
    out["team_p75_days"] = p75.reindex(
        pd.MultiIndex.from_frame(out[["team", "stage_model", "stage"]])
    ).to_numpy(dtype=float)
    use_p75 = out["team_p75_days"].notna() & settings.use_team_p75
    out["limit_days"] = out["team_p75_days"].where(use_p75, out["typical_days"])
    out["limit_source"] = np.select(
        [use_p75, out["typical_days"].notna()], ["team_p75", "model"], ""
    )
    out["past_typical"] = (out["days_in_stage"] > out["limit_days"]).fillna(False)
    monday = pd.Timestamp(week.monday)
    activity = (
        now["last_activity_date"]
        if "last_activity_date" in now
        else pd.Series(pd.NaT, index=now.index, dtype="datetime64[ns]")
    )
    since = activity_days(activity, week)  # to the as-of day, never negative
    out["days_since_activity"] = since["days_since_activity"].to_numpy(dtype=float, na_value=np.nan)
    out["activity_after_as_of"] = since["activity_after_as_of"].to_numpy()
    stalled = out["days_since_activity"] >= settings.stalled_days
    out["stalled"] = stalled.astype("boolean").where(out["days_since_activity"].notna())
    out["push_count"] = pushes[now["_k"].to_numpy()]
    out["pushed_often"] = out["push_count"] >= settings.push_limit
    out["close_date_past"] = (out["close_date"] < monday).fillna(False)
    flags = np.column_stack([out[f].fillna(False).to_numpy(dtype=bool) for f in RISK_FLAGS])
    out["risk_count"] = flags.sum(axis=1).astype("int64")
    names = np.array(RISK_FLAGS, dtype=object)
    out["risks"] = [tuple(names[row].tolist()) for row in flags]
    out = out.sort_values(
        ["risk_count", "amount", "deal_key"],
        ascending=[False, False, True],
        kind="stable",
        ignore_index=True,
    )
    return out[list(RISK_COLUMNS)]


def risk_summary(risks: pd.DataFrame, *, by: Level = "team") -> pd.DataFrame:
    """Per team (or rep) and flag: ``deals`` and ``amount`` flagged, and their ``share`` of
    the group's open deals and ``amount_share`` of its open amount; every flag listed.

    >>> r = pd.DataFrame({"team": "T", "owner": "Ann", "amount": [100.0, 300.0],
    ...     "past_typical": [True, False], "stalled": pd.array([pd.NA, True], "boolean"),
    ...     "pushed_often": False, "close_date_past": False})
    >>> risk_summary(r)[["flag", "deals", "amount", "share"]]
                  flag  deals  amount  share
    0     past_typical      1   100.0    0.5
    1          stalled      1   300.0    0.5
    2     pushed_often      0     0.0    0.0
    3  close_date_past      0     0.0    0.0
    """
    keys = level_keys(by)
    frames = []
    for flag in RISK_FLAGS:  # four flags
        hit = risks[flag].fillna(False).astype(bool)
        part = risks.assign(_hit=hit.astype("int64"), _amount=risks["amount"].where(hit, 0.0))
        g = (
            part.groupby(keys, sort=True)
            .agg(
                deals=("_hit", "sum"),
                amount=("_amount", "sum"),
                open_deals=("_hit", "size"),
                open_amount=("amount", "sum"),
            )
            .reset_index()
        )
        g.insert(len(keys), "flag", flag)
        frames.append(g)
    if not frames or risks.empty:
        return pd.DataFrame(columns=[*keys, "flag", "deals", "amount", "share", "amount_share"])
    out = pd.concat(frames, ignore_index=True)
    out["share"] = out["deals"] / out["open_deals"]
    out["amount_share"] = out["amount"] / out["open_amount"].where(out["open_amount"] > 0)
    order = {f: i for i, f in enumerate(RISK_FLAGS)}
    out = out.sort_values(
        [*keys, "flag"],
        key=lambda c: c.map(order) if c.name == "flag" else c,
        kind="stable",
        ignore_index=True,
    )
    return out[[*keys, "flag", "deals", "amount", "share", "amount_share"]]
