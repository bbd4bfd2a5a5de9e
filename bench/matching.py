"""Benchmark: deal matching of two weekly snapshots, against a naive rapidfuzz loop.

    python bench/matching.py [--deals 100000] [--changed 0.05] [--naive-sample 1000]
                             [--column-map chinese_crm] [--repeat 3]

Builds last week's snapshot with the sample generator (``generate_large_export`` read
back by ``read_export``) and this week's from it with :func:`make_pair`: ``--changed`` of
the deals get new IDs and perturbed names, accounts, amounts, close dates and owners;
2% are dropped and 2% new deals (drawn from the same account pools) are added; ordinary
weekly changes (pushes, amount updates) touch the rest. The truth is known, so precision
and recall of the fuzzy matches are measured on the changed-ID deals.

Times, in the same run:

- ``pipereview.match_deals``: exact ID match, then blocked fuzzy matching (best of
  ``--repeat``);
- the naive loop: the same exact ID match, then for every deal left unmatched a
  ``rapidfuzz.process.extractOne`` over all unmatched deals of last week (account and
  deal name, WRatio, cutoff 90). It is run on ``--naive-sample`` unmatched deals and
  extrapolated (the output says so); ``--naive-sample 0`` runs it on all of them.

It also prints, for information, the time of ``deal_movements`` and ``waterfall`` on the
same pair. Goals: <= 3 s for 100k vs 100k deals on a 2-core machine, >= 50x faster than the naive
loop, precision >= 0.99 and recall >= 0.95 on the changed-ID deals.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process, utils

from pipereview.diagnostics._waterfall import waterfall
from pipereview.history._matching import match_deals
from pipereview.history._movements import deal_movements
from pipereview.ingest._export import read_export
from pipereview.sample import generate_large_export

_FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


def base_snapshot(deals: int, *, column_map: str = "chinese_crm", seed: int = 2026) -> pd.DataFrame:
    """A canonical snapshot of ``deals`` deals from the sample generator."""
    with tempfile.TemporaryDirectory() as tmp:
        path = generate_large_export(
            Path(tmp) / "export.csv", rows=deals, seed=seed, column_map=column_map
        )
        snapshot: pd.DataFrame = read_export(path, week="2026-W47").snapshot
        return snapshot


def _perturb(text: str, kind: int, where: float) -> str:
    """One realistic edit: 0 none, 1 typo, 2 dropped character, 3 suffix, 4 full width,
    5 upper case, 6 another dash."""
    at = int(where * len(text))
    cjk = any(ord(ch) > 0x2E80 for ch in text)
    edits = {
        0: text,
        1: text[:at] + "x" + text[at + 1 :],
        2: text[:at] + text[at + 1 :],
        3: text + (" 项目" if cjk else " project"),
        4: text.translate(_FULL_WIDTH),
        5: text.upper(),
        6: text.replace("-", " — "),
    }
    return edits[kind]


def make_pair(
    base: pd.DataFrame,
    *,
    changed: float = 0.05,
    dropped: float = 0.02,
    added: float = 0.02,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """(last week, this week, truth) from ``base``; truth maps each new ID to its old ID.

    The last ``added`` share of ``base`` only appears this week (new deals); of the rest,
    ``changed`` get new IDs with perturbations and ``dropped`` vanish.
    """
    rng = np.random.default_rng(seed)
    n = round(len(base) / (1 + added))
    prev = base.iloc[:n].reset_index(drop=True)
    curr = prev.copy()
    role = rng.choice(3, size=n, p=[1 - changed - dropped, changed, dropped])
    moved = rng.random(n) < 0.2  # ordinary weekly changes
    curr.loc[moved, "close_date"] += pd.to_timedelta(rng.integers(7, 60, moved.sum()), "D")
    bumped = rng.random(n) < 0.05
    curr.loc[bumped, "amount"] = np.round(
        curr.loc[bumped, "amount"] * rng.uniform(0.8, 1.25, bumped.sum()), -2
    )
    chg = np.flatnonzero(role == 1)
    k = len(chg)
    new_ids = [f"{seed % 10}{1_700_000_000_000_000 + i * 7919:016d}"[-16:] for i in range(k)]
    where = rng.random(k)
    name_kind = rng.choice(7, size=k, p=[0.3, 0.15, 0.1, 0.15, 0.1, 0.1, 0.1])
    account_kind = rng.choice([0, 4, 5, 6], size=k, p=[0.6, 0.15, 0.15, 0.1])
    curr.loc[chg, "deal_name"] = [
        _perturb(t, int(c), float(w))
        for t, c, w in zip(curr.loc[chg, "deal_name"], name_kind, where, strict=True)
    ]
    curr.loc[chg, "account"] = [
        _perturb(t, int(c), float(w))
        for t, c, w in zip(curr.loc[chg, "account"], account_kind, where, strict=True)
    ]
    amount = chg[rng.random(k) < 0.5]
    curr.loc[amount, "amount"] = np.round(
        curr.loc[amount, "amount"] * rng.uniform(0.85, 1.2, len(amount)), -2
    )
    date = chg[rng.random(k) < 0.4]
    curr.loc[date, "close_date"] += pd.to_timedelta(rng.integers(-30, 60, len(date)), "D")
    owner = chg[rng.random(k) < 0.1]
    curr.loc[owner, "owner"] = rng.permutation(prev["owner"].to_numpy())[: len(owner)]
    truth = dict(zip(new_ids, prev.loc[chg, "deal_id"], strict=True))
    curr.loc[chg, "deal_id"] = new_ids
    curr = pd.concat([curr[role != 2], base.iloc[n:]], ignore_index=True)
    return prev, curr.iloc[rng.permutation(len(curr))].reset_index(drop=True), truth


def quality(found: dict[str, str], truth: dict[str, str]) -> tuple[float, float]:
    """Precision of ``found`` (new ID -> old ID for every fuzzy pair) and recall of the
    changed-ID deals."""
    correct = sum(truth.get(new) == old for new, old in found.items())
    return correct / max(len(found), 1), correct / max(len(truth), 1)


def fuzzy_pairs(matches: pd.DataFrame, prev: pd.DataFrame, curr: pd.DataFrame) -> dict[str, str]:
    fuzzy = matches[matches["method"] == "fuzzy"]
    return dict(
        zip(
            curr["deal_id"].to_numpy()[fuzzy["curr_row"].to_numpy(dtype=int)],
            prev["deal_id"].to_numpy()[fuzzy["prev_row"].to_numpy(dtype=int)],
            strict=True,
        )
    )


def naive(
    prev: pd.DataFrame, curr: pd.DataFrame, sample: int, seed: int = 0
) -> tuple[dict[str, str], float, set[str], int]:
    """The naive loop on ``sample`` unmatched deals (all when 0): (pairs found, seconds,
    IDs of the deals looped over, unmatched deals in all)."""
    start = time.perf_counter()
    left_prev = prev[~prev["deal_id"].isin(curr["deal_id"])]
    left_curr = curr[~curr["deal_id"].isin(prev["deal_id"])]
    if sample:
        picked = np.random.default_rng(seed).permutation(len(left_curr))[:sample]
        looped = left_curr.iloc[np.sort(picked)]
    else:
        looped = left_curr
    choices = (left_prev["account"] + " " + left_prev["deal_name"]).tolist()
    old_ids = left_prev["deal_id"].to_numpy()
    found = {}
    for new_id, query in zip(
        looped["deal_id"], looped["account"] + " " + looped["deal_name"], strict=True
    ):
        best = process.extractOne(
            query, choices, scorer=fuzz.WRatio, processor=utils.default_process, score_cutoff=90
        )
        if best is not None:
            found[new_id] = old_ids[best[2]]
    return found, time.perf_counter() - start, set(looped["deal_id"]), len(left_curr)


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _machine import describe_machine

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--changed", type=float, default=0.05)
    parser.add_argument("--naive-sample", type=int, default=1000)
    parser.add_argument("--column-map", default="chinese_crm")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    base = base_snapshot(round(args.deals * 1.02), column_map=args.column_map)
    prev, curr, truth = make_pair(base, changed=args.changed, seed=1)
    print(f"machine: {describe_machine()}")
    print(
        f"pair: {len(prev):,} deals last week, {len(curr):,} this week, {len(truth):,} with "
        f"new IDs; column map {args.column_map}"
    )
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        matches = match_deals(prev, curr)
        times.append(time.perf_counter() - start)
    ours = min(times)
    precision, recall = quality(fuzzy_pairs(matches, prev, curr), truth)
    print(
        f"match_deals     {ours:8.2f} s  (best of {args.repeat}; goal <= 3 s)  "
        f"precision {precision:.4f}  recall {recall:.4f}  "
        f"ambiguous {int(matches['ambiguous'].sum()):,}"
    )
    start = time.perf_counter()
    movements = deal_movements(prev, curr, matches)
    moved = time.perf_counter() - start
    start = time.perf_counter()
    waterfall(movements, "2026-Q4")
    print(
        f"deal_movements  {moved:8.2f} s  then waterfall {time.perf_counter() - start:.2f} s "
        "(for information)"
    )
    found, seconds, looped, total = naive(prev, curr, args.naive_sample)
    full = seconds * total / max(len(looped), 1)
    note = (
        f"extrapolated from {len(looped):,} of {total:,} unmatched deals"
        if len(looped) < total
        else f"all {total:,} unmatched deals"
    )
    n_precision, _ = quality(found, truth)
    n_recall = quality(found, {k: v for k, v in truth.items() if k in looped})[1]
    print(
        f"naive loop      {full:8.2f} s  ({note})  precision {n_precision:.4f}  "
        f"recall {n_recall:.4f}"
    )
    print(f"speed-up        {full / ours:8.0f}x (goal >= 50x)")


if __name__ == "__main__":
    main()
