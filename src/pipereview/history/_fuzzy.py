"""The fuzzy pass of deal matching (see :mod:`pipereview.history._matching`): the deals
the ID pass left over, blocked on their normalised account, scored, assigned one to one
within each block, and the assignments an alternative comes too close to dropped; the
settings of all this (:class:`MatchSettings`).

>>> day = pd.Timestamp("2026-11-30")
>>> prev = pd.DataFrame({"deal_id": ["A1"], "deal_name": ["MES upgrade"],
...     "account": ["Hengtong Inc."], "owner": ["Ann"], "amount": [100.0], "close_date": [day]})
>>> curr = prev.assign(deal_id="X9", account="HENGTONG", amount=90.0)
>>> pairs = fuzzy_candidates(prev, curr, np.array([0]), np.array([0]), MatchSettings())
>>> pairs
   p  c     s       key
0  0  0  0.98  hengtong
>>> accepted_pairs(pairs, 1, 1, MatchSettings()).tolist()
[[0, 0]]
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from rapidfuzz import fuzz
from rapidfuzz.process import cpdist

from pipereview.core._errors import InputError
from pipereview.core._text import normalize_label

#: the package's names (``fuzzy_candidates``, ``pair_scores`` and ``accepted_pairs`` are
#: matching's, which ``_matching`` uses)
__all__ = ["MatchSettings", "normalize_account"]

_CJK_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "股份公司", "集团公司", "集团", "公司")
_LATIN_SUFFIXES = frozenset(
    {
        "ab",
        "ag",
        "bv",
        "co",
        "company",
        "corp",
        "corporation",
        "gmbh",
        "group",
        "holding",
        "holdings",
        "inc",
        "incorporated",
        "kg",
        "kgaa",
        "limited",
        "llc",
        "llp",
        "ltd",
        "nv",
        "oy",
        "plc",
        "pte",
        "pty",
        "pvt",
        "sa",
        "sarl",
        "sas",
        "se",
        "spa",
        "srl",
    }
)
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
        weights = (self.name_weight, self.amount_weight, self.owner_weight, self.close_date_weight)
        if not 0.0 <= self.floor <= self.threshold <= 1.0:
            raise InputError(
                f"need 0 <= floor <= threshold <= 1, got floor={self.floor}, "
                f"threshold={self.threshold}",
                hint="set matching.floor and matching.threshold between 0 and 1, floor first",
            )
        if self.margin < 0 or min(weights) < 0 or sum(weights) <= 0:
            raise InputError(
                "margin and weights must be >= 0 and some weight > 0",
                hint="set the matching weights and margin to numbers >= 0, at least one weight above 0",
            )
        if self.close_date_days <= 0:
            raise InputError(
                f"close_date_days must be > 0, got {self.close_date_days}",
                hint="set matching.close_date_days to a whole number of days > 0",
            )


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


#: How many distinct names and accounts keep their folded form between weeks: matching
#: a history folds the same deal names again for every pair of weeks (1.1M names at
#: 50 teams x 104 weeks), so each is folded once.
_FOLDED_KEPT = 1 << 18


@lru_cache(maxsize=_FOLDED_KEPT)
def _folded(value: str) -> str:
    """``value`` NFKC, case and punctuation folded."""
    return _SPACE_RE.sub(" ", _PUNCT_RE.sub(" ", normalize_label(value))).strip()


def _text(values: pd.Series) -> np.ndarray:
    """NFKC, case and punctuation folded text, computed once per distinct value."""
    uniques = pd.unique(values.fillna("").astype("str").to_numpy(dtype=object))
    table = {u: _folded(u) for u in uniques}
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


def fuzzy_candidates(
    prev: pd.DataFrame,
    curr: pd.DataFrame,
    p_left: np.ndarray,
    c_left: np.ndarray,
    settings: MatchSettings,
) -> pd.DataFrame:
    """Scored pairs (p, c, s, key) of leftover deals that share a block key."""
    empty = pd.DataFrame(
        {
            "p": np.array([], np.int64),
            "c": np.array([], np.int64),
            "s": np.array([], float),
            "key": np.array([], object),
        }
    )
    if len(p_left) == 0 or len(c_left) == 0:
        return empty
    left, right = prev.iloc[p_left], curr.iloc[c_left]
    pairs = pd.DataFrame({"key": _block_keys(left), "p": p_left}).merge(
        pd.DataFrame({"key": _block_keys(right), "c": c_left}), on="key", how="inner", sort=False
    )
    if pairs.empty:
        return empty
    ip = pd.Index(p_left).get_indexer(pairs["p"])
    ic = pd.Index(c_left).get_indexer(pairs["c"])
    names = _text(left["deal_name"])[ip], _text(right["deal_name"])[ic]
    name = (
        np.maximum(
            *(
                cpdist(*names, scorer=scorer, dtype=np.float64, workers=-1)
                for scorer in (fuzz.ratio, fuzz.token_sort_ratio)
            )
        )
        / 100.0
    )
    a = left["amount"].to_numpy(dtype=float)[ip]
    b = right["amount"].to_numpy(dtype=float)[ic]
    high = np.maximum(a, b)
    amount = np.where(high > 0, np.minimum(a, b) / np.where(high > 0, high, 1.0), 1.0)
    owner = (_text(left["owner"])[ip] == _text(right["owner"])[ic]).astype(float)
    days = np.abs((left["close_date"].to_numpy()[ip] - right["close_date"].to_numpy()[ic]) / _DAY)
    close = (
        1.0
        - np.minimum(np.nan_to_num(days, nan=settings.close_date_days), settings.close_date_days)
        / settings.close_date_days
    )
    w = np.array(
        [
            settings.name_weight,
            settings.amount_weight,
            settings.owner_weight,
            settings.close_date_weight,
        ]
    )
    total = (w[0] * name + w[1] * amount + w[2] * owner + w[3] * close) / w.sum()
    pairs["s"] = np.round(total, 4)
    keep = pairs["s"] >= min(settings.floor, settings.threshold - settings.margin)
    return (
        pairs.loc[keep, ["p", "c", "s", "key"]]
        .sort_values(["p", "c"], kind="stable")
        .reset_index(drop=True)
    )


def accepted_pairs(
    pairs: pd.DataFrame, n_prev: int, n_curr: int, settings: MatchSettings
) -> np.ndarray:
    """The fuzzy matches among the candidate ``pairs`` of ``n_prev`` and ``n_curr`` deals:
    (p, c) rows assigned one to one, without those an alternative comes within ``margin``
    of."""
    return _drop_ambiguous(_assign(pairs, settings), pairs, n_prev, n_curr, settings)


def _assign(pairs: pd.DataFrame, settings: MatchSettings) -> np.ndarray:
    """One-to-one assignment of pairs >= threshold: array of (p, c) rows."""
    ok = pairs[pairs["s"] >= settings.threshold]
    if ok.empty:
        return np.empty((0, 2), dtype=np.int64)
    single = (ok.groupby("p")["c"].transform("size") == 1) & (
        ok.groupby("c")["p"].transform("size") == 1
    )
    chosen = [ok.loc[single, ["p", "c"]].to_numpy(dtype=np.int64)]
    for _, block in ok[~single].groupby("key", sort=True):  # loops over blocks only
        # ~0.3 s to import: only for a block where a deal has several candidates
        from scipy.optimize import linear_sum_assignment

        rows, r = np.unique(block["p"].to_numpy(), return_inverse=True)
        cols, c = np.unique(block["c"].to_numpy(), return_inverse=True)
        gain = np.zeros((len(rows), len(cols)))
        gain[r, c] = block["s"].to_numpy() - settings.threshold + 1e-6
        i, j = linear_sum_assignment(gain, maximize=True)
        used = gain[i, j] > 0
        chosen.append(np.column_stack([rows[i[used]], cols[j[used]]]).astype(np.int64))
    result = np.concatenate(chosen)
    return result[np.argsort(result[:, 0], kind="stable")]


def pair_scores(pairs: pd.DataFrame, chosen: np.ndarray, n_curr: int) -> np.ndarray:
    """The score of each ``chosen`` (p, c) pair."""
    codes = pairs["p"].to_numpy() * max(n_curr, 1) + pairs["c"].to_numpy()
    return _lookup(codes, pairs["s"].to_numpy(), chosen[:, 0] * max(n_curr, 1) + chosen[:, 1])


def _lookup(codes: np.ndarray, scores: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Score of each queried pair code (codes sorted ascending), 0 when not a candidate."""
    if len(codes) == 0:
        return np.zeros(len(query))
    at = np.minimum(np.searchsorted(codes, query), len(codes) - 1)
    return np.where(codes[at] == query, scores[at], 0.0)


def _drop_ambiguous(
    chosen: np.ndarray, pairs: pd.DataFrame, n_prev: int, n_curr: int, settings: MatchSettings
) -> np.ndarray:
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
