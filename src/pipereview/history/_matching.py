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
unmatched and scores at least ``score - margin``, or a swap of partners with another
accepted pair that loses less than ``margin`` of total score. Rejected pairs are never
guessed: both deals stay unmatched and are marked ``ambiguous``, naming their best
unmatched ``candidate_row``, as is every unmatched deal with an unmatched candidate
scoring at least ``floor``. Settings live in one frozen :class:`MatchSettings`.

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

import re
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import pandas as pd
from rapidfuzz import fuzz
from rapidfuzz.process import cpdist

from pipereview.core._errors import InputError
from pipereview.core._text import normalize_label

__all__ = ["MATCH_COLUMNS", "MatchSettings", "match_deals", "normalize_account"]

#: Columns of :func:`match_deals`' result, in order.
MATCH_COLUMNS: tuple[str, ...] = (
    "prev_row", "curr_row", "prev_deal_id", "curr_deal_id", "method", "score", "runner_up",
    "ambiguous", "candidate_row",
)
_NEEDED = ("deal_id", "deal_name", "account", "owner", "amount", "close_date")
_CJK_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "股份公司", "集团公司", "集团", "公司")
_LATIN_SUFFIXES = frozenset({
    "ab", "ag", "bv", "co", "company", "corp", "corporation", "gmbh", "group", "holding",
    "holdings", "inc", "incorporated", "kg", "kgaa", "limited", "llc", "llp", "ltd", "nv",
    "oy", "plc", "pte", "pty", "pvt", "sa", "sarl", "sas", "se", "spa", "srl",
})
_PUNCT_RE = re.compile(r"[^\w\s]|_")
_SPACE_RE = re.compile(r"\s+")
_DAY = np.timedelta64(1, "D")


@dataclass(frozen=True)
class MatchSettings:
    """How fuzzy matching scores and accepts pairs (defaults tuned on generated pairs).

    >>> MatchSettings().threshold, MatchSettings(threshold=0.9).margin
    (0.8, 0.05)
    """

    threshold: float = 0.80  #: lowest score accepted as the same deal
    margin: float = 0.05  #: an alternative this close to a pair makes it ambiguous
    floor: float = 0.60  #: unmatched pairs scoring at least this are shown as possible matches
    name_weight: float = 0.50
    amount_weight: float = 0.20
    owner_weight: float = 0.15
    close_date_weight: float = 0.15
    close_date_days: int = 180  #: close dates this many days apart score 0

    def __post_init__(self) -> None:
        weights = (self.name_weight, self.amount_weight, self.owner_weight,
                   self.close_date_weight)
        if not 0.0 <= self.floor <= self.threshold <= 1.0:
            raise InputError(f"need 0 <= floor <= threshold <= 1, got floor={self.floor}, "
                             f"threshold={self.threshold}", hint="set matching.floor and matching.threshold between 0 and 1, floor first")
        if self.margin < 0 or min(weights) < 0 or sum(weights) <= 0:
            raise InputError("margin and weights must be >= 0 and some weight > 0", hint="set the matching weights and margin to numbers >= 0, at least one weight above 0")
        if self.close_date_days <= 0:
            raise InputError(f"close_date_days must be > 0, got {self.close_date_days}", hint="set matching.close_date_days to a whole number of days > 0")


@lru_cache(maxsize=65536)
def normalize_account(name: str) -> str:
    """The blocking key of an account: NFKC width folding, case, punctuation, spaces and
    legal suffixes (有限公司, 股份有限公司, 集团, Co., Ltd., Inc., LLC, GmbH, AG, ...) removed.

    >>> normalize_account("无锡海天机械股份有限公司"), normalize_account("无锡海天机械（集团）有限公司")
    ('无锡海天机械', '无锡海天机械')
    >>> normalize_account("Keller-Logistik GmbH & Co. KG"), normalize_account("ＫＥＬＬＥＲ Logistik")
    ('kellerlogistik', 'kellerlogistik')
    """
    text = _PUNCT_RE.sub(" ", unicodedata.normalize("NFKC", name).casefold())
    tokens = _SPACE_RE.sub(" ", text).strip().split(" ")
    while True:  # strip suffix tokens, then a CJK suffix glued to the name; never all
        last = tokens[-1]
        if len(tokens) > 1 and (last in _LATIN_SUFFIXES or last in _CJK_SUFFIXES):
            tokens.pop()
            continue
        suffix = next((x for x in _CJK_SUFFIXES if last.endswith(x)), None)
        if suffix is None or last in _CJK_SUFFIXES:
            break
        tokens[-1] = last.removesuffix(suffix)
    return "".join(tokens)


def match_deals(prev: pd.DataFrame, curr: pd.DataFrame, *, settings: MatchSettings | None = None,
                threshold: float | None = None, margin: float | None = None) -> pd.DataFrame:
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
    mc = np.full(n_prev, -1, dtype=np.int64)  # matched curr position of each prev deal
    score = np.full(n_prev, np.nan)
    method = np.full(n_prev, "", dtype=object)
    known = pd.Index(c_ids[c_ids != ""])
    hit = known.get_indexer(p_ids)
    by_id = (p_ids != "") & (hit >= 0)
    mc[by_id] = np.flatnonzero(c_ids != "")[hit[by_id]]
    score[by_id], method[by_id] = 1.0, "id"
    mp = np.full(n_curr, -1, dtype=np.int64)
    mp[mc[by_id]] = np.flatnonzero(by_id)

    pairs = _candidates(prev, curr, np.flatnonzero(mc < 0), np.flatnonzero(mp < 0), settings)
    fuzzy = _assign(pairs, settings)
    fuzzy = _drop_ambiguous(fuzzy, pairs, n_prev, n_curr, settings)
    mc[fuzzy[:, 0]], mp[fuzzy[:, 1]] = fuzzy[:, 1], fuzzy[:, 0]
    score[fuzzy[:, 0]] = _pair_scores(pairs, fuzzy, n_curr)
    method[fuzzy[:, 0]] = "fuzzy"

    # unmatched deals with an unmatched candidate >= floor are ambiguous
    open_pairs = pairs[(mc[pairs["p"]] < 0) & (mp[pairs["c"]] < 0)
                       & (pairs["s"] >= settings.floor)]
    best_p = _best(open_pairs, "p", "c")
    best_c = _best(open_pairs, "c", "p")
    p_cand = best_p["c"].reindex(range(n_prev), fill_value=-1).to_numpy()
    c_cand = best_c["p"].reindex(range(n_curr), fill_value=-1).to_numpy()
    p_only_score = best_p["s"].reindex(range(n_prev)).to_numpy()
    c_only_score = best_c["s"].reindex(range(n_curr)).to_numpy()
    runner = _runner_up(pairs, np.where(mc >= 0, mc, p_cand), np.where(mp >= 0, mp, c_cand),
                        mc >= 0)

    only_curr = np.flatnonzero(mp < 0)
    prev_row = np.concatenate([np.arange(n_prev), np.full(len(only_curr), -1)])
    curr_row = np.concatenate([mc, only_curr])
    candidate = np.concatenate([p_cand, c_cand[only_curr]])
    out = pd.DataFrame({
        "prev_row": pd.array(np.where(prev_row >= 0, prev_row, 0), dtype="Int64"),
        "curr_row": pd.array(np.where(curr_row >= 0, curr_row, 0), dtype="Int64"),
        "prev_deal_id": _take(p_ids, prev_row),
        "curr_deal_id": _take(c_ids, curr_row),
        "method": pd.array(np.concatenate([method, np.full(len(only_curr), "", dtype=object)]),
                           dtype="str"),
        "score": np.concatenate([np.where(mc >= 0, score, p_only_score),
                                 c_only_score[only_curr]]),
        "runner_up": np.concatenate([runner[0], runner[1][only_curr]]),
        "ambiguous": candidate >= 0,
        "candidate_row": pd.array(np.maximum(candidate, 0), dtype="Int64"),
    })
    out.loc[prev_row < 0, "prev_row"] = pd.NA
    out.loc[curr_row < 0, "curr_row"] = pd.NA
    out.loc[candidate < 0, "candidate_row"] = pd.NA
    return out


# --- internals ----------------------------------------------------------------------------

def _ids(frame: pd.DataFrame, side: str) -> np.ndarray:
    missing = [c for c in _NEEDED if c not in frame.columns]
    if missing:
        raise InputError(f"{side} lacks the column(s) {missing} that matching needs", hint="pass snapshots as ingest stores them (pipereview.history reads them whole)")
    ids = frame["deal_id"].astype("str").str.strip().fillna("").to_numpy(dtype=object)
    nonblank = ids[ids != ""]
    if len(pd.unique(nonblank)) != len(nonblank):
        repeated = sorted(pd.Series(nonblank)[pd.Series(nonblank).duplicated()].unique())[:5]
        raise InputError(f"{side}: deal IDs must be unique; repeated: {repeated}", hint="keep one row per deal ID in each snapshot")
    return ids


def _take(ids: np.ndarray, rows: np.ndarray) -> pd.Series:
    """``ids[rows]`` as a str Series, <NA> where ``rows`` is -1 or the ID is blank."""
    values = ids[np.maximum(rows, 0)] if len(ids) else np.full(len(rows), "", dtype=object)
    series = pd.Series(np.where(rows >= 0, values, ""), dtype="str")
    return series.mask(series == "")


def _text(values: pd.Series) -> np.ndarray:
    """NFKC, case and punctuation folded text, computed once per distinct value."""
    uniques = pd.unique(values.fillna("").astype("str").to_numpy(dtype=object))
    table = {u: _SPACE_RE.sub(" ", _PUNCT_RE.sub(" ", normalize_label(u))).strip()
             for u in uniques}
    return values.fillna("").astype("str").map(table).to_numpy(dtype=object)


def _block_keys(frame: pd.DataFrame) -> np.ndarray:
    accounts = frame["account"].fillna("").astype("str")
    table = {u: normalize_account(u) for u in pd.unique(accounts.to_numpy(dtype=object))}
    keys = accounts.map(table).to_numpy(dtype=object)
    blank = keys == ""
    if blank.any():  # no account: block on team and owner
        team = frame["team"].fillna("").astype("str") if "team" in frame else ""
        alt = "\x00" + team + "\x00" + pd.Series(_text(frame["owner"]), index=frame.index)
        keys[blank] = alt.to_numpy(dtype=object)[blank]
    return keys


def _candidates(prev: pd.DataFrame, curr: pd.DataFrame, p_left: np.ndarray,
                c_left: np.ndarray, settings: MatchSettings) -> pd.DataFrame:
    """Scored pairs (p, c, s, key) of leftover deals that share a block key."""
    empty = pd.DataFrame({"p": np.array([], np.int64), "c": np.array([], np.int64),
                          "s": np.array([], float), "key": np.array([], object)})
    if len(p_left) == 0 or len(c_left) == 0:
        return empty
    left, right = prev.iloc[p_left], curr.iloc[c_left]
    pairs = pd.DataFrame({"key": _block_keys(left), "p": p_left}).merge(
        pd.DataFrame({"key": _block_keys(right), "c": c_left}), on="key", how="inner",
        sort=False)
    if pairs.empty:
        return empty
    ip = pd.Index(p_left).get_indexer(pairs["p"])
    ic = pd.Index(c_left).get_indexer(pairs["c"])
    names = _text(left["deal_name"])[ip], _text(right["deal_name"])[ic]
    name = np.maximum(*(cpdist(*names, scorer=scorer, dtype=np.float64, workers=-1)
                        for scorer in (fuzz.ratio, fuzz.token_sort_ratio))) / 100.0
    a = left["amount"].to_numpy(dtype=float)[ip]
    b = right["amount"].to_numpy(dtype=float)[ic]
    high = np.maximum(a, b)
    amount = np.where(high > 0, np.minimum(a, b) / np.where(high > 0, high, 1.0), 1.0)
    owner = (_text(left["owner"])[ip] == _text(right["owner"])[ic]).astype(float)
    days = np.abs((left["close_date"].to_numpy()[ip] - right["close_date"].to_numpy()[ic])
                  / _DAY)
    close = 1.0 - np.minimum(np.nan_to_num(days, nan=settings.close_date_days),
                             settings.close_date_days) / settings.close_date_days
    w = np.array([settings.name_weight, settings.amount_weight, settings.owner_weight,
                  settings.close_date_weight])
    total = (w[0] * name + w[1] * amount + w[2] * owner + w[3] * close) / w.sum()
    pairs["s"] = np.round(total, 4)
    keep = pairs["s"] >= min(settings.floor, settings.threshold - settings.margin)
    return pairs.loc[keep, ["p", "c", "s", "key"]].sort_values(
        ["p", "c"], kind="stable").reset_index(drop=True)


def _assign(pairs: pd.DataFrame, settings: MatchSettings) -> np.ndarray:
    """One-to-one assignment of pairs >= threshold: array of (p, c) rows."""
    from scipy.optimize import linear_sum_assignment  # ~0.3 s to import: only when needed

    ok = pairs[pairs["s"] >= settings.threshold]
    if ok.empty:
        return np.empty((0, 2), dtype=np.int64)
    single = (ok.groupby("p")["c"].transform("size") == 1) & (
        ok.groupby("c")["p"].transform("size") == 1)
    chosen = [ok.loc[single, ["p", "c"]].to_numpy(dtype=np.int64)]
    for _, block in ok[~single].groupby("key", sort=True):  # loops over blocks only
        rows, r = np.unique(block["p"].to_numpy(), return_inverse=True)
        cols, c = np.unique(block["c"].to_numpy(), return_inverse=True)
        gain = np.zeros((len(rows), len(cols)))
        gain[r, c] = block["s"].to_numpy() - settings.threshold + 1e-6
        i, j = linear_sum_assignment(gain, maximize=True)
        used = gain[i, j] > 0
        chosen.append(np.column_stack([rows[i[used]], cols[j[used]]]).astype(np.int64))
    result = np.concatenate(chosen)
    return result[np.argsort(result[:, 0], kind="stable")]


def _pair_scores(pairs: pd.DataFrame, chosen: np.ndarray, n_curr: int) -> np.ndarray:
    codes = pairs["p"].to_numpy() * max(n_curr, 1) + pairs["c"].to_numpy()
    return _lookup(codes, pairs["s"].to_numpy(), chosen[:, 0] * max(n_curr, 1) + chosen[:, 1])


def _lookup(codes: np.ndarray, scores: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Score of each queried pair code (codes sorted ascending), 0 when not a candidate."""
    if len(codes) == 0:
        return np.zeros(len(query))
    at = np.minimum(np.searchsorted(codes, query), len(codes) - 1)
    return np.where(codes[at] == query, scores[at], 0.0)


def _drop_ambiguous(chosen: np.ndarray, pairs: pd.DataFrame, n_prev: int, n_curr: int,
                    settings: MatchSettings) -> np.ndarray:
    """Remove assigned pairs that an alternative comes within ``margin`` of (repeat until
    stable: dropping a pair frees its deals, which may make other pairs ambiguous)."""
    width = max(n_curr, 1)
    codes = pairs["p"].to_numpy() * width + pairs["c"].to_numpy()
    cp, cc, cs = pairs["p"].to_numpy(), pairs["c"].to_numpy(), pairs["s"].to_numpy()
    while len(chosen):
        mc = np.full(n_prev, -1, dtype=np.int64)
        mp = np.full(n_curr, -1, dtype=np.int64)
        ms = np.zeros(n_prev)
        mc[chosen[:, 0]], mp[chosen[:, 1]] = chosen[:, 1], chosen[:, 0]
        ms[chosen[:, 0]] = _lookup(codes, cs, chosen[:, 0] * width + chosen[:, 1])
        loss = np.full(n_prev, np.inf)
        # another candidate c2 of an assigned p (free, or swapped with its partner p2)
        sel = (mc[cp] >= 0) & (cc != mc[cp])
        p, c2, s2 = cp[sel], cc[sel], cs[sel]
        p2 = mp[c2]
        swap = ms[np.maximum(p2, 0)] - _lookup(codes, cs, np.maximum(p2, 0) * width + mc[p])
        np.minimum.at(loss, p, np.round(ms[p] - s2 + np.where(p2 >= 0, swap, 0.0), 4))
        # another candidate p2 of an assigned c
        sel = (mp[cc] >= 0) & (cp != mp[cc])
        c, p2, s2 = cc[sel], cp[sel], cs[sel]
        p, c2 = mp[c], mc[p2]
        swap = ms[p2] - _lookup(codes, cs, p * width + np.maximum(c2, 0))
        np.minimum.at(loss, p, np.round(ms[p] - s2 + np.where(c2 >= 0, swap, 0.0), 4))
        bad = loss[chosen[:, 0]] < settings.margin
        if not bad.any():
            break
        chosen = chosen[~bad]
    return chosen


def _runner_up(pairs: pd.DataFrame, partner_c: np.ndarray, partner_p: np.ndarray,
               matched: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
