"""Reasons for every change: each deal that changed between two stored weeks, once per reason.

:func:`change_reasons` pairs the deals of any two stored weeks by their ``deal_key`` (the
stable key of :func:`pipereview.history.with_deal_keys`, so a deal whose ID changed stays
one deal, and the weeks between need not be consecutive), takes their movements
(:func:`pipereview.history.deal_movements`) and gives ONE ROW PER DEAL PER REASON: a deal
pushed out of the period and lowered has a ``pushed_out`` row and an ``amount_down`` row.

=================  ==============================================================================
reason             the deal ...
=================  ==============================================================================
new                was not in the first week's export and is open now
reopened           was won or lost, is open now
moved_in           joined this row's team (a reorganisation: "moved from <team>")
won / lost         is won / lost now (a deal first seen already closed too)
removed            was open and was deleted or merged in the CRM (as the store records it)
dropped            was open and vanished from the export
moved_out          left this row's team (a reorganisation: "moved to <team>")
pulled_in          open both weeks, close date moved from after the period into it
pushed_in          open both weeks, close date moved from before the period (overdue) into it
pushed_out         open both weeks, close date slipped from the period to after it
pulled_out         open both weeks, close date moved from the period to before it
close_earlier      open both weeks, close date moved earlier without entering or leaving the period
close_later        open both weeks, close date moved later without entering or leaving the period
amount_up / _down  amount raised / lowered (compared in whole cents; any deal in both weeks)
owner_changed      has another owner
into_<category>    open both weeks, now in this forecast category (commit, best_case, pipeline,
out_of_<category>  omitted) / no longer in it
=================  ==============================================================================

A team change is a reorganisation, never a win, loss, new or dropped deal of either team:
the deal gets a ``moved_out`` row for the team it left and a ``moved_in`` row for the team
it joined (``detail`` "North → South" on both). A team's review reads it so too: it loads
the rows of its deals in every team (:func:`pipereview.history.team_deals`) and lists the
rows whose ``team`` is its own.

``change`` is the row's signed effect on the open pipeline of ``period`` (without one, on
the whole open pipeline), attributed as the waterfall does
(:func:`pipereview.diagnostics.waterfall_deals`): a deal's whole change sits on one row,
its step (``in_waterfall`` is True there; a deal that moved team has it on its
``moved_out`` and ``moved_in`` rows, as :func:`~pipereview.diagnostics.waterfall` with
``team=`` counts it); its other rows say 0. So, per team, the ``change`` of the rows
``in_waterfall`` adds up to the team's closing minus opening pipeline, to the cent. The
``into_`` / ``out_of_`` rows carry the amount that entered (+, this week's) or left (−,
last week's) that category's part of the pipeline instead, outside the reconciliation.

>>> day = pd.Timestamp("2026-11-30")
>>> w1 = pd.DataFrame({"snapshot_week": "2026-W47", "team": "North", "deal_id": ["D1", "D2"],
...     "deal_name": ["MES", "ERP"], "account": ["Acme", "Beta"], "owner": "Ann",
...     "stage": "negotiation", "stage_model": "generic_4", "amount": [100.0, 50.0],
...     "currency": "USD", "close_date": [day, day], "forecast_category": "commit"})
>>> w2 = w1.assign(snapshot_week="2026-W48", amount=[80.0, 50.0],
...     close_date=[day + pd.Timedelta(days=40), day], forecast_category=["commit", "best_case"])
>>> r = change_reasons(pd.concat([w1, w2]), "2026-W47", "2026-W48", period="2026-Q4")
>>> r[["deal_id", "reason", "detail", "change", "in_waterfall"]]
  deal_id          reason                   detail  change  in_waterfall
0      D1      pushed_out  2026-11-30 → 2027-01-09  -100.0          True
1      D1     amount_down                 100 → 80     0.0         False
2      D2   out_of_commit       commit → best case   -50.0         False
3      D2  into_best_case       commit → best case    50.0         False
>>> reasons_summary(r)[["reason", "deals", "amount"]].to_dict("records")[:2]
[{'reason': 'pushed_out', 'deals': 1, 'amount': -100.0}, {'reason': 'amount_down', 'deals': 1, 'amount': 0.0}]
"""

from __future__ import annotations

import datetime
import json

import numpy as np
import pandas as pd

from pipereview.core._errors import InputError
from pipereview.core._vocabulary import FORECAST_CATEGORY_LABELS
from pipereview.diagnostics._forecast import OPEN_CATEGORIES
from pipereview.diagnostics._waterfall import waterfall_deals
from pipereview.history._movements import deal_movements
from pipereview.history._prepared import PreparedHistory
from pipereview.history._storesummary import REMOVED_ATTRS, removed_in
from pipereview.history._trail import deal_key

__all__ = ["REASONS", "REASON_COLUMNS", "change_reasons", "reasons_summary", "week_movements"]

_LIFECYCLE = ("new", "reopened", "moved_in", "won", "lost", "removed", "dropped", "moved_out")
_DATES = ("pulled_in", "pushed_in", "pushed_out", "pulled_out", "close_earlier", "close_later")
#: Every reason, in the order the change list and the summary give them.
REASONS: tuple[str, ...] = (
    *_LIFECYCLE,
    *_DATES,
    "amount_up",
    "amount_down",
    "owner_changed",
    *(f"{way}_{c}" for c in OPEN_CATEGORIES for way in ("into", "out_of")),
)
#: Columns of :func:`change_reasons`, in order.
REASON_COLUMNS: tuple[str, ...] = (
    "deal_key",
    "deal_id",
    "deal_name",
    "team",
    "owner",
    "currency",
    "reason",
    "detail",
    "value_from",
    "value_to",
    "amount_before",
    "amount_after",
    "change",
    "in_waterfall",
)
_DateLike = str | datetime.date | pd.Timestamp
_WHOLE = ("1700-01-01", "2261-12-31")  # "no period": every open deal with a close date
_STEP_REASON = {"increased": "amount_up", "decreased": "amount_down"}


def week_movements(
    history: pd.DataFrame | PreparedHistory, from_week: str, to_week: str
) -> pd.DataFrame:
    """:func:`~pipereview.history.deal_movements` from ``from_week`` to ``to_week`` (any two
    stored weeks, the first earlier), deals paired by their ``deal_key``, with the
    columns ``deal_key``, ``forecast_from`` and ``forecast_to`` (the deal's
    ``forecast_category`` each week, <NA> where absent or not exported), ``removed_how``
    and ``removed_into`` (``merged`` and the surviving deal's ID, or ``deleted``, for a
    removed deal). The deals the weeks after ``from_week`` up to ``to_week`` record as
    deleted or merged are ``removed``."""
    frame = history.frame if isinstance(history, PreparedHistory) else history
    start, end = _checked_weeks(frame, from_week, to_week)
    weeks = frame["snapshot_week"].astype("str").to_numpy()
    keys = deal_key(frame).to_numpy(dtype=object)
    prev, curr = frame[weeks == start], frame[weeks == end]
    ka, kb = _unique(keys[weeks == start]), _unique(keys[weeks == end])
    found = pd.Index(kb).get_indexer(pd.Index(ka))
    only_b = np.setdiff1d(np.arange(len(kb)), found[found >= 0])
    prev_rows = np.concatenate([np.arange(len(ka)), np.full(len(only_b), -1)])
    curr_rows = np.concatenate([found, only_b])
    matches = pd.DataFrame(
        {
            "prev_row": pd.Series(prev_rows, dtype="Int64").mask(prev_rows < 0),
            "curr_row": pd.Series(curr_rows, dtype="Int64").mask(curr_rows < 0),
            "method": "key",
            "score": 1.0,
            "ambiguous": False,
            "candidate_row": pd.array([None] * len(prev_rows), dtype="Int64"),
        }
    )
    removed = _removed_between(frame, start, end)
    moves = deal_movements(prev, curr, matches, removed=removed)
    how = removed.set_index(removed["deal_id"].astype("str"))
    gone = moves["prev_deal_id"].astype("str").where(moves["removed"])
    for column in ("how", "into"):
        found = gone.map(how[column]) if column in how else pd.Series(pd.NA, index=moves.index)
        moves[f"removed_{column}"] = found.astype("str")
    base_a, base_b = (np.array([k.split("\x00")[0] for k in ks], dtype=object) for ks in (ka, kb))
    moves.insert(0, "deal_key", np.where(curr_rows >= 0, base_b[curr_rows], base_a[prev_rows]))
    moves["deal_key"] = moves["deal_key"].astype("str")
    moves["forecast_from"] = _column_at(prev, "forecast_category", prev_rows)
    moves["forecast_to"] = _column_at(curr, "forecast_category", curr_rows)
    return moves


def change_reasons(
    history: pd.DataFrame | PreparedHistory,
    from_week: str,
    to_week: str,
    *,
    period: str | tuple[_DateLike, _DateLike] | None = None,
    movements: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every deal that changed from ``from_week`` to ``to_week``, one row per deal and
    reason (columns :data:`REASON_COLUMNS`), ordered by reason (:data:`REASONS`), then
    ``|change|`` largest first, then ``deal_key``. ``period`` (e.g. ``"2026-Q4"``) is the
    pipeline whose change ``change`` measures and which the close-date reasons cross;
    without it, the whole open pipeline. A history without ``forecast_category`` gives
    no category reasons and says so in ``attrs["not_checked"]``. ``movements``: the
    :func:`week_movements` of ``history`` between the two weeks, when already at hand
    (not computed again)."""
    moves = week_movements(history, from_week, to_week) if movements is None else movements
    deals = waterfall_deals(moves, period or _WHOLE)
    n = len(moves)
    step = np.full(n, "", dtype=object)
    cents_a, cents_b, change = (np.zeros(n, dtype=np.int64) for _ in range(3))
    at = moves.index.get_indexer(deals.index)
    step[at] = deals["step"].to_numpy(dtype=object)
    cents_a[at], cents_b[at] = deals["opening_cents"], deals["closing_cents"]
    change[at] = deals["change_cents"]
    both_open = ((moves["state_from"] == "open") & (moves["state_to"] == "open")).to_numpy()
    moved = moves["team_changed"].to_numpy(dtype=bool)
    masks = _reason_masks(moves, step, both_open, period is not None)
    parts = []
    for reason in REASONS:
        rows = np.flatnonzero(masks[reason])
        if not len(rows):
            continue
        part = _rows(moves.iloc[rows], reason)
        carries = _carries(reason, step[rows], moved[rows])
        if reason.startswith("into_"):
            amounts = cents_b[rows]
        elif reason.startswith("out_of_"):
            amounts = -cents_a[rows]
        elif reason == "moved_in":
            amounts, carries = cents_b[rows], np.ones(len(rows), dtype=bool)
        elif reason == "moved_out":
            amounts, carries = -cents_a[rows], np.ones(len(rows), dtype=bool)
        else:
            amounts = np.where(carries, change[rows], 0)
        part["change"] = amounts / 100.0
        part["in_waterfall"] = carries
        parts.append(part)
    out = _ordered(parts)
    if moves["forecast_from"].isna().all() and moves["forecast_to"].isna().all():
        out.attrs["not_checked"] = "no forecast_category"
    return out


def reasons_summary(reasons: pd.DataFrame) -> pd.DataFrame:
    """Per reason of :func:`change_reasons`' rows (in :data:`REASONS` order, only reasons
    that occur): ``deals`` (distinct deals), ``amount`` (the sum of ``change``) and
    ``in_waterfall`` (whether the reason's amounts are part of the pipeline's
    reconciliation: every reason except ``into_`` / ``out_of_`` a category and
    ``owner_changed``)."""
    grouped = reasons.groupby("reason", sort=False).agg(
        deals=("deal_key", "nunique"), amount=("change", "sum")
    )
    order = [r for r in REASONS if r in grouped.index]
    out = grouped.reindex(order).reset_index()
    out["deals"] = out["deals"].astype("int64")
    out["amount"] = out["amount"].astype(float).round(2)
    out["in_waterfall"] = [_reconciles(r) for r in order]
    return out


def _reconciles(reason: str) -> bool:
    return not reason.startswith(("into_", "out_of_")) and reason != "owner_changed"


def _reason_masks(
    moves: pd.DataFrame, step: np.ndarray, both_open: np.ndarray, with_period: bool
) -> dict[str, np.ndarray]:
    """Per reason: which movement rows have it."""
    flag = {c: moves[c].to_numpy(dtype=bool) for c in ("new", "reopened", "won", "lost")}
    moved = moves["team_changed"].to_numpy(dtype=bool)
    days = moves["days_moved"].astype("Float64").fillna(0).to_numpy(dtype=float)
    crossed = np.isin(step, _DATES[:4]) if with_period else np.zeros(len(step), dtype=bool)
    masks = {
        "new": flag["new"] & (moves["state_to"] == "open").to_numpy(),
        "reopened": flag["reopened"],
        "moved_in": moved,
        "won": flag["won"],
        "lost": flag["lost"],
        "removed": moves["removed"].to_numpy(dtype=bool),
        "dropped": moves["dropped"].to_numpy(dtype=bool),
        "moved_out": moved,
        **{s: step == s for s in _DATES[:4]},
        "close_earlier": both_open & (days < 0) & ~crossed,
        "close_later": both_open & (days > 0) & ~crossed,
        "amount_up": moves["amount_up"].to_numpy(dtype=bool),
        "amount_down": moves["amount_down"].to_numpy(dtype=bool),
        "owner_changed": moves["owner_changed"].to_numpy(dtype=bool),
    }
    fa, fb = moves["forecast_from"], moves["forecast_to"]
    changed = both_open & fa.notna().to_numpy() & fb.notna().to_numpy() & (fa != fb).to_numpy()
    for category in OPEN_CATEGORIES:
        masks[f"into_{category}"] = changed & (fb == category).to_numpy()
        masks[f"out_of_{category}"] = changed & (fa == category).to_numpy()
    return masks


def _carries(reason: str, steps: np.ndarray, moved: np.ndarray) -> np.ndarray:
    """Whether each row of ``reason`` carries its deal's waterfall change (``steps``: the
    deals' waterfall steps; a deal that moved team carries it on its moved rows)."""
    wanted = {k for k, v in _STEP_REASON.items() if v == reason} | {reason}
    if reason.startswith(("into_", "out_of_")) or reason in ("close_earlier", "close_later"):
        return np.zeros(len(steps), dtype=bool)
    carries: np.ndarray = np.isin(steps, list(wanted)) & ~moved
    return carries


def _rows(moves: pd.DataFrame, reason: str) -> pd.DataFrame:
    """The reason's rows of ``moves``: identity, detail and amounts."""
    src = {
        "moved_in": ("team_from", "team"),
        "moved_out": ("team_from", "team"),
        "owner_changed": ("owner_from", "owner"),
        "reopened": ("stage_from", "stage_to"),
    }
    if reason in _DATES:
        a, b = (moves[c].dt.strftime("%Y-%m-%d") for c in ("close_date_from", "close_date_to"))
    elif reason in ("amount_up", "amount_down"):
        a, b = moves["amount_from"].map(_amount), moves["amount_to"].map(_amount)
    elif reason.startswith(("into_", "out_of_")):
        a, b = moves["forecast_from"], moves["forecast_to"]
    elif reason == "lost":
        a, b = moves["stage_from"], moves["loss_reason"]
    elif reason in src:
        a, b = (moves[c] for c in src[reason])
    else:
        a = b = pd.Series("", index=moves.index)
    if reason == "removed":
        a, b = moves["removed_how"], moves["removed_into"]
    a = a.astype("object").where(a.notna(), "").astype(str)
    b = b.astype("object").where(b.notna(), "").astype(str)
    out = moves[["deal_key", "deal_id", "deal_name", "team", "owner", "currency"]].copy()
    if reason == "moved_out":
        out["team"] = moves["team_from"]
    out["reason"] = reason
    out["detail"] = _details(reason, a, b)
    out["value_from"], out["value_to"] = a, b
    out["amount_before"], out["amount_after"] = moves["amount_from"], moves["amount_to"]
    return out


def _details(reason: str, a: pd.Series, b: pd.Series) -> list[str]:
    """The ``detail`` text of each row, in English (the review words them per language)."""
    if reason.startswith(("into_", "out_of_")):
        a = a.map(lambda c: FORECAST_CATEGORY_LABELS.get(c, (c,))[0])
        b = b.map(lambda c: FORECAST_CATEGORY_LABELS.get(c, (c,))[0])
    if reason == "removed":
        return [
            f"merged into {t}" if f == "merged" and t else f or "deleted"
            for f, t in zip(a, b, strict=True)
        ]
    if reason == "lost":
        return list(b)
    return [f"{x} → {y}" if x or y else "" for x, y in zip(a, b, strict=True)]


def _amount(value: object) -> str:
    """An amount as a detail shows it: thousands separated, cents only when there are."""
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return ""
    number = float(value)  # type: ignore[arg-type]
    return f"{number:,.0f}" if number == round(number) else f"{number:,.2f}"


def _ordered(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The reasons' rows in their stable order, index 0..n-1."""
    if not parts:
        empty = {c: pd.Series(dtype="str") for c in REASON_COLUMNS}
        for c in ("amount_before", "amount_after", "change"):
            empty[c] = pd.Series(dtype=float)
        empty["in_waterfall"] = pd.Series(dtype=bool)
        return pd.DataFrame(empty)
    out = pd.concat(parts, ignore_index=True)
    rank = out["reason"].map({r: i for i, r in enumerate(REASONS)})
    out = out.assign(_rank=rank, _size=-out["change"].abs())
    out = out.sort_values(["_rank", "_size", "deal_key"], kind="stable")
    return out.drop(columns=["_rank", "_size"]).reset_index(drop=True)[list(REASON_COLUMNS)]


def _checked_weeks(frame: pd.DataFrame, from_week: str, to_week: str) -> tuple[str, str]:
    stored = sorted(frame["snapshot_week"].astype("str").unique())
    for week in (from_week, to_week):
        if str(week) not in stored:
            raise InputError(
                f"week {week} is not in the history; stored weeks: "
                f"{', '.join(stored[-8:]) or 'none'}",
                expected="a stored week",
                hint="choose two stored weeks (pipereview weeks lists them)",
            )
    if str(from_week) >= str(to_week):
        raise InputError(
            f"the first week ({from_week}) is not before the second ({to_week})",
            hint="give the earlier week first, e.g. 2026-W46 then 2026-W47",
        )
    return str(from_week), str(to_week)


def _unique(keys: np.ndarray) -> np.ndarray:
    """Keys made unique within a week (a repeated key gets a counted suffix)."""
    seen: dict[str, int] = {}
    out = []
    for key in keys:
        n = seen.get(key, 0)
        seen[key] = n + 1
        out.append(key if n == 0 else f"{key}\x00{n}")
    return np.array(out, dtype=object)


def _column_at(frame: pd.DataFrame, column: str, rows: np.ndarray) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(pd.NA, index=range(len(rows)), dtype="str")
    values = frame[column].astype("str").reset_index(drop=True)
    return values.reindex(np.where(rows >= 0, rows, len(values))).reset_index(drop=True)


def _removed_between(frame: pd.DataFrame, start: str, end: str) -> pd.DataFrame:
    """The deals the weeks after ``start`` up to ``end`` record as deleted or merged."""
    recorded = json.loads(frame.attrs.get(REMOVED_ATTRS) or "{}")
    weeks = [w for w in sorted(recorded) if start < w <= end]
    parts = [removed_in(frame, w) for w in weeks]
    if not parts:
        return pd.DataFrame({"deal_id": pd.Series([], dtype="str")})
    return pd.concat(parts, ignore_index=True).drop_duplicates("deal_id", keep="last")
