"""Deal matching: which deal of this week's snapshot is which deal of last week's.

Deals are matched in two passes:

1. **by deal ID** (``method="id"``, score 1.0): an ID found in both snapshots is the same
   deal. Blank IDs never match.
2. **fuzzy** (``method="fuzzy"``) for the deals left over (IDs changed by a CRM migration,
   spreadsheet pipelines without IDs, deals re-created under a new ID). Candidates are
   only the pairs whose *normalised account* is equal (see :func:`normalize_account`;
   deals without an account are blocked on team and owner instead). Each candidate pair
   is scored in 0..1 as a weighted mean of four similarities: deal name (rapidfuzz
   ``token_sort_ratio`` on NFKC-folded text), amount (smaller / larger), owner (same or
   not) and close date (1 at the same day, falling linearly to 0 at
   ``close_date_days`` apart). Pairs are assigned one to one, maximising the total of
   ``score - threshold`` within each account (``scipy.optimize.linear_sum_assignment``).

An assigned pair is accepted only if its score is at least ``threshold`` and no
alternative comes within ``margin``: another candidate of either deal that is left
unmatched and scores more than ``score - margin``, or a swap of partners with another
accepted pair that loses less than ``margin`` of total score (an alternative exactly
``margin`` worse leaves the pair matched). Rejected pairs are never
guessed: both deals stay unmatched and are marked ``ambiguous``, naming their best
unmatched ``candidate_row``, as is every unmatched deal with an unmatched candidate
scoring at least ``floor``. Settings live in one frozen :class:`MatchSettings`; the fuzzy
pass is :mod:`pipereview.history._fuzzy`.

>>> day = pd.Timestamp("2026-11-30")
>>> prev = pd.DataFrame({"deal_id": ["A1", "B7"], "account": ["上海恒通机械有限公司", "Keller AG"],
...     "deal_name": ["恒通机械-MES升级", "Retrofit"], "owner": ["王芳", "Ute Roth"],
...     "amount": [500_000.0, 90_000.0], "close_date": [day, day]})
>>> curr = pd.DataFrame({"deal_id": ["1764180163628115", "B7"], "account": ["上海恒通机械", "Keller AG"],
...     "deal_name": ["恒通机械－MES升级", "Retrofit"], "owner": ["王芳", "Ute Roth"],
...     "amount": [520_000.0, 90_000.0], "close_date": [day, day]})
>>> match_deals(prev, curr)[["prev_row", "curr_row", "method", "score", "ambiguous"]]
   prev_row  curr_row method   score  ambiguous
0         0         0  fuzzy  0.9923      False
1         1         1     id  1.0000      False
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from pipereview.core._errors import InputError
from pipereview.history._fuzzy import (
    MatchSettings,
    accepted_pairs,
    fuzzy_candidates,
    normalize_account,
    pair_scores,
)

__all__ = ["MATCH_COLUMNS", "MatchSettings", "match_deals", "normalize_account"]

#: Columns of :func:`match_deals`' result, in order.
MATCH_COLUMNS: tuple[str, ...] = (
    "prev_row",
    "curr_row",
    "prev_deal_id",
    "curr_deal_id",
    "method",
    "score",
    "runner_up",
    "ambiguous",
    "candidate_row",
)
_NEEDED = ("deal_id", "deal_name", "account", "owner", "amount", "close_date")


def match_deals(
    prev: pd.DataFrame,
    curr: pd.DataFrame,
    *,
    settings: MatchSettings | None = None,
    threshold: float | None = None,
    margin: float | None = None,
) -> pd.DataFrame:
    """Match the deals of ``prev`` (last week) to those of ``curr`` (this week).

    ``threshold`` and ``margin`` override the same fields of ``settings`` (a threshold
    below ``settings.floor`` lowers the floor to it). Returns one row
    per pair and one per unmatched deal (columns :data:`MATCH_COLUMNS`): ``prev_row`` /
    ``curr_row`` are positions (``iloc``) in the two frames (<NA> on the side where the
    deal is missing); ``method`` is ``"id"``, ``"fuzzy"`` or ``""`` (unmatched); ``score``
    is 1.0 for ID matches, the pair's score for fuzzy ones and, for ambiguous unmatched
    deals, the score of ``candidate_row`` (a position in the *other* frame);
    ``runner_up`` is the best score among the other candidates (of either deal of a
    pair; of an unmatched deal, besides ``candidate_row``). Rows come in
    ``prev`` order, then the deals only in ``curr`` in ``curr`` order. Inputs are not
    modified.
    """
    settings = settings or MatchSettings()
    if threshold is not None:  # a lower threshold takes the floor down with it
        settings = replace(settings, threshold=threshold, floor=min(settings.floor, threshold))
    if margin is not None:
        settings = replace(settings, margin=margin)
    p_ids, c_ids = _ids(prev, "prev"), _ids(curr, "curr")
    n_prev, n_curr = len(p_ids), len(c_ids)
    mc, mp = _by_id(p_ids, c_ids)  # matched curr position of each prev deal, and back
    score = np.full(n_prev, np.nan)
    method = np.full(n_prev, "", dtype=object)
    score[mc >= 0], method[mc >= 0] = 1.0, "id"

    pairs = fuzzy_candidates(prev, curr, np.flatnonzero(mc < 0), np.flatnonzero(mp < 0), settings)
    fuzzy = accepted_pairs(pairs, n_prev, n_curr, settings)
    mc[fuzzy[:, 0]], mp[fuzzy[:, 1]] = fuzzy[:, 1], fuzzy[:, 0]
    score[fuzzy[:, 0]] = pair_scores(pairs, fuzzy, n_curr)
    method[fuzzy[:, 0]] = "fuzzy"
    return _result(pairs, p_ids, c_ids, mc, mp, score, method, settings.floor)


# --- internals ----------------------------------------------------------------------------


def _ids(frame: pd.DataFrame, side: str) -> np.ndarray:
    missing = [c for c in _NEEDED if c not in frame.columns]
    if missing:
        raise InputError(
            f"{side} lacks the column(s) {missing} that matching needs",
            hint="pass snapshots as ingest stores them (pipereview.history reads them whole)",
        )
    ids = frame["deal_id"].astype("str").str.strip().fillna("").to_numpy(dtype=object)
    nonblank = ids[ids != ""]
    if len(pd.unique(nonblank)) != len(nonblank):
        repeated = sorted(pd.Series(nonblank)[pd.Series(nonblank).duplicated()].unique())[:5]
        raise InputError(
            f"{side}: deal IDs must be unique; repeated: {repeated}",
            hint="keep one row per deal ID in each snapshot",
        )
    return ids


def _by_id(p_ids: np.ndarray, c_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ID pass: each prev deal's curr position and each curr deal's prev one (-1 when
    its ID is blank or not in the other frame)."""
    mc = np.full(len(p_ids), -1, dtype=np.int64)
    known = pd.Index(c_ids[c_ids != ""])
    hit = known.get_indexer(p_ids)
    by_id = (p_ids != "") & (hit >= 0)
    mc[by_id] = np.flatnonzero(c_ids != "")[hit[by_id]]
    mp = np.full(len(c_ids), -1, dtype=np.int64)
    mp[mc[by_id]] = np.flatnonzero(by_id)
    return mc, mp


def _result(
    pairs: pd.DataFrame,
    p_ids: np.ndarray,
    c_ids: np.ndarray,
    mc: np.ndarray,
    mp: np.ndarray,
    score: np.ndarray,
    method: np.ndarray,
    floor: float,
) -> pd.DataFrame:
    """The table of :func:`match_deals` from the matches of both passes (``mc`` / ``mp``:
    each prev deal's curr position / each curr deal's prev one, -1 when unmatched, with
    each prev deal's ``score`` and ``method``)."""
    n_prev, n_curr = len(p_ids), len(c_ids)
    # unmatched deals with an unmatched candidate >= floor are ambiguous
    open_pairs = pairs[(mc[pairs["p"]] < 0) & (mp[pairs["c"]] < 0) & (pairs["s"] >= floor)]
    best_p = _best(open_pairs, "p", "c")
    best_c = _best(open_pairs, "c", "p")
    p_cand = best_p["c"].reindex(range(n_prev), fill_value=-1).to_numpy()
    c_cand = best_c["p"].reindex(range(n_curr), fill_value=-1).to_numpy()
    p_only_score = best_p["s"].reindex(range(n_prev)).to_numpy()
    c_only_score = best_c["s"].reindex(range(n_curr)).to_numpy()
    runner = _runner_up(
        pairs, np.where(mc >= 0, mc, p_cand), np.where(mp >= 0, mp, c_cand), mc >= 0
    )

    only_curr = np.flatnonzero(mp < 0)
    prev_row = np.concatenate([np.arange(n_prev), np.full(len(only_curr), -1)])
    curr_row = np.concatenate([mc, only_curr])
    candidate = np.concatenate([p_cand, c_cand[only_curr]])
    out = pd.DataFrame(
        {
            "prev_row": pd.array(np.where(prev_row >= 0, prev_row, 0), dtype="Int64"),
            "curr_row": pd.array(np.where(curr_row >= 0, curr_row, 0), dtype="Int64"),
            "prev_deal_id": _take(p_ids, prev_row),
            "curr_deal_id": _take(c_ids, curr_row),
            "method": pd.array(
                np.concatenate([method, np.full(len(only_curr), "", dtype=object)]), dtype="str"
            ),
            "score": np.concatenate(
                [np.where(mc >= 0, score, p_only_score), c_only_score[only_curr]]
            ),
            "runner_up": np.concatenate([runner[0], runner[1][only_curr]]),
            "ambiguous": candidate >= 0,
            "candidate_row": pd.array(np.maximum(candidate, 0), dtype="Int64"),
        }
    )
    out.loc[prev_row < 0, "prev_row"] = pd.NA
    out.loc[curr_row < 0, "curr_row"] = pd.NA
    out.loc[candidate < 0, "candidate_row"] = pd.NA
    return out


def _take(ids: np.ndarray, rows: np.ndarray) -> pd.Series:
    """``ids[rows]`` as a str Series, <NA> where ``rows`` is -1 or the ID is blank."""
    values = ids[np.maximum(rows, 0)] if len(ids) else np.full(len(rows), "", dtype=object)
    series = pd.Series(np.where(rows >= 0, values, ""), dtype="str")
    return series.mask(series == "")


def _runner_up(
    pairs: pd.DataFrame, partner_c: np.ndarray, partner_p: np.ndarray, matched: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Best score of the candidates other than each deal's partner (its match, else its
    ``candidate_row``), per prev row and per curr row; a pair gets the best of its two
    deals'."""
    p, c, s = pairs["p"].to_numpy(), pairs["c"].to_numpy(), pairs["s"].to_numpy()
    by_p = np.full(len(partner_c), -np.inf)
    by_c = np.full(len(partner_p), -np.inf)
    np.maximum.at(by_p, p, np.where(partner_c[p] == c, -np.inf, s))
    np.maximum.at(by_c, c, np.where(partner_p[c] == p, -np.inf, s))
    rows = np.flatnonzero(matched)
    both = np.maximum(by_p[rows], by_c[partner_c[rows]])
    by_p[rows] = both
    by_c[partner_c[rows]] = both
    return (np.where(np.isfinite(by_p), by_p, np.nan), np.where(np.isfinite(by_c), by_c, np.nan))


def _best(pairs: pd.DataFrame, side: str, other: str) -> pd.DataFrame:
    """Per deal on ``side``: its best-scoring pair (ties: lowest position on ``other``)."""
    ordered = pairs.sort_values([side, "s", other], ascending=[True, False, True], kind="stable")
    return ordered.drop_duplicates(side).set_index(side)[[other, "s"]]
