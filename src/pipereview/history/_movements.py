"""Deal movements week over week: one row per deal, a primary category, flags and deltas.

Each deal of last week's or this week's snapshot gets one row (deals are paired by
:func:`pipereview.history._matching.match_deals`). Its *state* in each week is ``open``, ``won``,
``lost`` (from its stage model) or ``absent``. The boolean flags say everything that
happened to it and may combine; ``category`` is the first flag that holds, in the order
of :data:`CATEGORIES` (``unchanged`` when none does):

============  ================================================================================
reopened      closed (won or lost) last week, open now
won           won now, not won last week (including a deal first seen already won)
lost          lost now, not lost last week (including a deal first seen already lost)
dropped       open last week, missing now: it vanished without closing
removed       open last week, missing now: deleted or merged into another deal in the CRM
              (its week records it, as a pull finds it), not a deal to chase
new           not in last week's snapshot, open now
advanced      open both weeks, now in a later stage
regressed     open both weeks, now in an earlier stage
pushed        close date moved later (any deal in both snapshots)
pulled_in     close date moved earlier
amount_up     amount went up (compared in whole cents)
amount_down   amount went down
unchanged     none of the above (also: a deal closed before last week that has now left
              the export, as CRM reports drop old closed deals)
============  ================================================================================

``loss_reason`` is this week's reason of a deal lost now, as the export gives it (``<NA>``
for every other deal, and for all when this week's snapshot has no ``loss_reason``).

Lifecycle events come first (they change what the pipeline holds), then stage, then
dates, then amounts: a deal that advanced and was pushed is ``advanced`` with
``pushed=True``. Stages are compared by their order in the stage model, or by the
stages' default probabilities when the deal changed to a team with another model.
``owner_changed`` and ``team_changed`` are flags only. Deals that matching left
``ambiguous`` are counted apart (``dropped`` and ``new``), never merged by guess.

>>> day = pd.Timestamp("2026-11-30")
>>> prev = pd.DataFrame({"deal_id": ["D1", "D2"], "deal_name": ["MES", "ERP"],
...     "account": ["Acme Inc.", "Beta LLC"], "team": "North", "owner": "Ann",
...     "stage": ["solution_quote", "negotiation"], "stage_model": "generic_4",
...     "amount": [100.0, 50.0], "currency": "USD", "close_date": [day, day]})
>>> curr = prev.iloc[:1].assign(stage="negotiation", close_date=day + pd.Timedelta(days=14))
>>> deal_movements(prev, curr)[["deal_id", "category", "advanced", "pushed", "days_moved"]]
  deal_id category  advanced  pushed  days_moved
0      D1 advanced      True    True          14
1      D2  dropped     False   False        <NA>
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipereview.core._errors import InputError
from pipereview.core._stages import load_stage_model
from pipereview.history._matching import MatchSettings, match_deals
from pipereview.history._storesummary import removed_in

__all__ = ["CATEGORIES", "MOVEMENT_COLUMNS", "deal_movements"]

#: Primary categories, in precedence order (the first flag that holds wins).
CATEGORIES: tuple[str, ...] = (
    "reopened",
    "won",
    "lost",
    "dropped",
    "removed",
    "new",
    "advanced",
    "regressed",
    "pushed",
    "pulled_in",
    "amount_up",
    "amount_down",
    "unchanged",
)
_FLAGS = CATEGORIES[:-1]
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
# this week's value, last week's for a deal that is gone
_IDENTITY = ("deal_name", "account", "team", "owner", "currency")
#: Columns of :func:`deal_movements`' result, in order.
MOVEMENT_COLUMNS: tuple[str, ...] = (
    "deal_id",
    "prev_deal_id",
    "deal_name",
    "account",
    "team",
    "owner",
    "currency",
    "category",
    *_FLAGS,
    "owner_changed",
    "team_changed",
    "owner_from",
    "team_from",
    "state_from",
    "state_to",
    "stage_from",
    "stage_to",
    "amount_from",
    "amount_to",
    "amount_delta",
    "close_date_from",
    "close_date_to",
    "days_moved",
    "loss_reason",
    "match_method",
    "match_score",
    "ambiguous",
    "candidate_row",
    "prev_row",
    "curr_row",
)


def deal_movements(
    prev: pd.DataFrame | None,
    curr: pd.DataFrame,
    matches: pd.DataFrame | None = None,
    *,
    settings: MatchSettings | None = None,
    removed: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per deal of ``prev`` or ``curr`` (columns :data:`MOVEMENT_COLUMNS`).

    ``removed`` names the deals deleted or merged in the CRM this week (a ``deal_id``
    column); by default those ``curr``'s week records
    (:func:`~pipereview.history._storesummary.removed_in`: a history loaded from the store
    carries them). Such a deal, open last week and gone now, is ``removed``, not
    ``dropped``.

    ``prev`` is None (or empty) in the first week: every open deal is new. ``matches`` is
    a :func:`~pipereview.history._matching.match_deals` result for the same two frames (computed
    with ``settings`` when not given). Rows follow ``matches``: ``prev`` order, then the
    deals only in ``curr``. Identity columns (``deal_id``, ``deal_name``, ``owner``, ...)
    hold this week's values, last week's for deals that are gone; ``*_from`` / ``*_to``
    hold both weeks' values (<NA> where the deal is absent); ``amount_delta`` and
    ``days_moved`` are set for deals in both snapshots.
    """
    prev_frame, curr_frame = _snapshot(prev, "prev"), _snapshot(curr, "curr")
    removed = _removed_now(curr) if removed is None else removed
    if matches is None:
        matches = match_deals(prev_frame, curr_frame, settings=settings)
    pr = matches["prev_row"].to_numpy(dtype=np.int64, na_value=-1)
    cr = matches["curr_row"].to_numpy(dtype=np.int64, na_value=-1)
    a, b = _take(prev_frame, pr), _take(curr_frame, cr)
    states_a, states_b = _states(prev_frame, pr), _states(curr_frame, cr)
    sa, sb = states_a[0], states_b[0]
    both = (pr >= 0) & (cr >= 0)
    cents_a, cents_b = to_cents(a["amount"]), to_cents(b["amount"])
    days = ((b["close_date"] - a["close_date"]).dt.total_seconds() / 86400).round()
    advanced, regressed = _stage_moves(a, b, states_a, states_b)
    gone = a["deal_id"].astype("str").isin(set(removed["deal_id"].astype("str"))).to_numpy()
    flags = {
        "reopened": np.isin(sa, ("won", "lost")) & (sb == "open"),
        "won": (sb == "won") & (sa != "won"),
        "lost": (sb == "lost") & (sa != "lost"),
        "dropped": (sa == "open") & (sb == "absent") & ~gone,
        "removed": (sa == "open") & (sb == "absent") & gone,
        "new": (sa == "absent") & (sb != "absent"),
        "advanced": advanced,
        "regressed": regressed,
        "pushed": both & (days > 0).fillna(False).to_numpy(dtype=bool),
        "pulled_in": both & (days < 0).fillna(False).to_numpy(dtype=bool),
        "amount_up": both & (cents_b > cents_a),
        "amount_down": both & (cents_b < cents_a),
    }
    here = pd.Series(cr >= 0)
    out = pd.DataFrame(
        {
            "deal_id": b["deal_id"].where(here, a["deal_id"]),
            "prev_deal_id": a["deal_id"],
            **{f: b[f].where(here, a[f]) for f in _IDENTITY},
            "category": pd.array(
                np.select(list(flags.values()), list(_FLAGS), "unchanged"), dtype="str"
            ),
            **flags,
            "owner_changed": both & _differs(a["owner"], b["owner"]),
            "team_changed": both & _differs(a["team"], b["team"]),
            "owner_from": a["owner"],
            "team_from": a["team"],
            "state_from": pd.array(sa, dtype="str"),
            "state_to": pd.array(sb, dtype="str"),
            "stage_from": a["stage"],
            "stage_to": b["stage"],
            "amount_from": a["amount"],
            "amount_to": b["amount"],
            "amount_delta": pd.Series(np.where(both, (cents_b - cents_a) / 100.0, np.nan)),
            "close_date_from": a["close_date"],
            "close_date_to": b["close_date"],
            "days_moved": days.astype("Int64"),
            "loss_reason": _loss_reasons(curr_frame, cr, sb),
        }
    )
    return _with_match(out, matches)


def _loss_reasons(frame: pd.DataFrame, rows: np.ndarray, states: np.ndarray) -> pd.Series:
    """Per row: the loss reason at ``frame``'s position ``rows`` where the deal is lost now
    (``states``), else <NA>; all <NA> when ``frame`` has no ``loss_reason`` column."""
    if "loss_reason" not in frame.columns:
        return pd.Series(None, index=range(len(rows)), dtype="str")
    values = frame["loss_reason"].astype("str").reset_index(drop=True).reindex(rows)
    return values.where(states == "lost").reset_index(drop=True)


def _stage_moves(
    a: pd.DataFrame,
    b: pd.DataFrame,
    states_a: tuple[np.ndarray, np.ndarray, np.ndarray],
    states_b: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Per row of the paired deals ``a`` and ``b`` (with their :func:`_states`): open both
    weeks and now in a later stage, and open both weeks and now in an earlier one; by
    position in the stage model, by default probability when the model changed."""
    (sa, pos_a, prob_a), (sb, pos_b, prob_b) = states_a, states_b
    open_both = (sa == "open") & (sb == "open")
    same_model = (a["stage_model"] == b["stage_model"]).fillna(False).to_numpy(dtype=bool)
    later = np.where(same_model, pos_b > pos_a, prob_b > prob_a)
    earlier = np.where(same_model, pos_b < pos_a, prob_b < prob_a)
    return open_both & later, open_both & earlier


def _with_match(out: pd.DataFrame, matches: pd.DataFrame) -> pd.DataFrame:
    """``out`` with the columns of how each row's deals were matched (``matches``' rows)."""
    out["match_method"] = matches["method"].to_numpy()
    out["match_score"] = matches["score"].to_numpy()
    out["ambiguous"] = matches["ambiguous"].to_numpy(dtype=bool)
    for column in ("candidate_row", "prev_row", "curr_row"):
        out[column] = matches[column].to_numpy()
    out["match_method"] = out["match_method"].astype("str")
    for column in ("candidate_row", "prev_row", "curr_row"):
        out[column] = out[column].astype("Int64")
    return out


def _snapshot(frame: pd.DataFrame | None, side: str) -> pd.DataFrame:
    """The frame, or an empty snapshot when None / empty without columns."""
    if frame is None or (frame.empty and not set(_FIELDS) <= set(frame.columns)):
        return pd.DataFrame(
            {
                f: pd.Series(
                    dtype="float64"
                    if f == "amount"
                    else "datetime64[ns]"
                    if f == "close_date"
                    else "str"
                )
                for f in _FIELDS
            }
        )
    missing = [f for f in _FIELDS if f not in frame.columns]
    if missing:
        raise InputError(
            f"{side} lacks the snapshot column(s) {missing}",
            hint="pass snapshots as ingest stores them (pipereview.history reads them whole)",
        )
    return frame


def _take(frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """``frame``'s rows at positions ``rows`` (-1 gives an all-<NA> row), index 0..n-1."""
    base = frame.loc[:, list(_FIELDS)].reset_index(drop=True)
    padded = pd.concat([base, base.iloc[:0].reindex([len(base)])])
    return padded.iloc[np.where(rows >= 0, rows, len(base))].reset_index(drop=True)


def _states(frame: pd.DataFrame, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: state (open / won / lost / absent), stage position, default probability."""
    keys, state, pos, prob = [], [], [], []
    for name in pd.unique(frame["stage_model"].astype("str")):
        for i, stage in enumerate(load_stage_model(str(name)).stages):
            keys.append(f"{name}\x00{stage.key}")
            state.append(stage.outcome or "open")
            pos.append(i)
            prob.append(stage.probability)
    wanted = frame["stage_model"].astype("str") + "\x00" + frame["stage"].astype("str")
    found = pd.Index(keys).get_indexer(pd.Index(wanted))
    if (found < 0).any():
        unknown = sorted(set(wanted[found < 0]))[:5]
        raise InputError(
            "stages not in their stage model: "
            + ", ".join(k.replace("\x00", ":") for k in unknown),
            hint="add these stage names to the stage model as aliases, or choose the model the export follows",
        )
    at = np.where(rows >= 0, found[np.maximum(rows, 0)] if len(found) else 0, len(keys))
    state_of = np.array([*state, "absent"], dtype=object)
    pos_of = np.array([*pos, -1], dtype=np.int64)
    prob_of = np.array([*prob, np.nan], dtype=float)
    return state_of[at], pos_of[at], prob_of[at]


def to_cents(amount: pd.Series) -> np.ndarray:
    """Amounts as whole cents (int64); 0 where missing."""
    cents: np.ndarray = np.rint(amount.to_numpy(dtype=float, na_value=0.0) * 100)
    return cents.astype(np.int64)


def _differs(a: pd.Series, b: pd.Series) -> np.ndarray:
    return (a.fillna("") != b.fillna("")).to_numpy(dtype=bool)


def _removed_now(curr: pd.DataFrame) -> pd.DataFrame:
    """The deals ``curr``'s week records as deleted or merged (none for a frame of no
    single week, or one that carries none)."""
    weeks = list(curr["snapshot_week"].unique()) if "snapshot_week" in curr else []
    if len(weeks) != 1:
        return pd.DataFrame({"deal_id": pd.Series([], dtype="str")})
    return removed_in(curr, str(weeks[0]))
