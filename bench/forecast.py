"""Benchmark: which forecast method to trust, measured by the backtest.

    python bench/forecast.py [--seed 7] [--quarters 8] [--teams 3,5,8] [--seasons]
                             [--sample DIR] [--no-sample] [--no-calls] [--store DIR ...]

Two histories, each backtested (:func:`pipereview.forecasting.backtest`: every method at
every stored week of every closed quarter, using only the rows up to that week):

- a generated organisation whose truth is known (``bench/_forecastorg.py``: three teams
  of 3, 5 and 8 reps over ``--quarters`` quarters, true win rates below the configured
  probabilities, pushed close dates, quick deals opened within the quarter, reps'
  calls with planted biases from 0.7 to 1.4);
- the two-year sample (``pipereview.sample.generate_samples(out, years=2)`` stored as
  ``pipereview demo --years 2`` stores it; ``--sample DIR`` reuses a store built
  before, else one is built in a temporary folder).

``--store DIR`` (repeatable) backtests a snapshot store too, e.g. your own CRM's
history, with the forecast calls stored in it.

``--teams`` sets the generated teams' numbers of reps (``1,2``: few deals), ``--seasons``
makes its new deals follow the months; ``--no-calls`` backtests both without the reps'
forecast calls, as a CRM history without calls is.

Printed for each: the backtest's time, each method's MAPE and bias at week 6 and over
every week (all teams' forecasts pooled), and per team the recommended method against
the two baselines at weeks 5-7 — whether it beats both.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from pipereview.forecasting import (
    BASELINES,
    FORECAST_METHODS,
    BacktestSettings,
    backtest,
    backtest_summary,
    recommended_method,
)
from pipereview.history import prepare_history


def _pooled(frame: pd.DataFrame, week: int | None) -> pd.DataFrame:
    """Per method: MAPE and bias of every team's forecasts (at ``week``, or all)."""
    rows = frame if week is None else frame[frame["week_of_quarter"] == week]
    rows = rows[rows["forecast"].notna() & rows["abs_pct_error"].notna()]
    out = rows.groupby("method").agg(mape=("abs_pct_error", "mean"), bias=("pct_error", "mean"))
    return out.reindex([m for m in FORECAST_METHODS if m in out.index])


def report(name: str, history: pd.DataFrame, calls: pd.DataFrame | None) -> bool:
    """Backtest ``history`` and print its figures; whether every team's recommended
    method beats both baselines at weeks 5-7."""
    start = time.perf_counter()
    prepared = prepare_history(history)
    frame = backtest(prepared, calls=calls)
    seconds = time.perf_counter() - start
    quarters = frame["quarter"].nunique()
    print(
        f"\n== {name}: {len(history):,} rows, {history['team'].nunique()} teams, "
        f"{quarters} closed quarters judged; backtest {seconds:.1f} s"
    )
    week6, every = _pooled(frame, 6), _pooled(frame, None)
    print(f"{'method':<24} {'MAPE wk6':>9} {'bias wk6':>9} {'MAPE all':>9} {'bias all':>9}")
    for method in every.index:
        w = week6.loc[method] if method in week6.index else pd.Series({"mape": float("nan")})
        print(
            f"{method:<24} {w['mape']:>9.1%} {w.get('bias', float('nan')):>+9.1%} "
            f"{every.loc[method, 'mape']:>9.1%} {every.loc[method, 'bias']:>+9.1%}"
        )
    chosen = recommended_method(backtest_summary(frame), BacktestSettings())
    beaten = True
    for row in chosen.itertuples():
        base = {b: getattr(row, f"{b}_mape") for b in BASELINES}
        wins = bool(row.method) and all(row.mape < v for v in base.values())
        beaten &= wins
        print(
            f"  {row.team:<8} recommended {row.method or '-':<22} MAPE {row.mape:6.1%} "
            f"bias {row.bias:+6.1%} | weighted_pipeline {base['weighted_pipeline']:6.1%} "
            f"naive_pace {base['naive_pace']:6.1%} | beats both: {wins} {row.note}"
        )
    return beaten


def _sample_history(store: Path | None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The two-year sample's stored history and its reps' forecast calls (built into a
    temporary store when None)."""
    from pipereview.history import SnapshotStore, read_forecast_call_folder
    from pipereview.history._intake import ingest_folder
    from pipereview.sample import generate_samples

    folder = store or Path(tempfile.mkdtemp(prefix="pipereview-forecast-"))
    if not (folder / "store").is_dir():
        generate_samples(folder / "samples", years=2)
        ingest_folder(folder / "samples" / "exports", store=folder / "store", replace=True)
    history = SnapshotStore(folder / "store").history()
    last = sorted(set(history["snapshot_week"].astype(str)))[-1]
    calls = read_forecast_call_folder(folder / "samples" / "forecast_calls", last)
    return history, calls if len(calls) else None


def _store_history(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """A snapshot store's history and the forecast calls stored in it (None when none)."""
    from pipereview.history import SnapshotStore, read_forecast_calls_stored

    store = SnapshotStore(folder)
    history = store.history()
    last = sorted(set(history["snapshot_week"].astype(str)))[-1]
    calls = read_forecast_calls_stored(store, last)
    return history, calls if len(calls) else None


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _forecastorg import generate
    from _machine import describe_machine

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quarters", type=int, default=8)
    parser.add_argument("--sample", type=Path, default=None, help="folder with store/ to reuse")
    parser.add_argument("--teams", default="3,5,8", help="reps per generated team")
    parser.add_argument("--seasons", action="store_true", help="seasonal new deals")
    parser.add_argument("--no-sample", action="store_true")
    parser.add_argument("--no-calls", action="store_true", help="backtest without calls")
    parser.add_argument(
        "--store", type=Path, action="append", default=[], help="a snapshot store to backtest too"
    )
    args = parser.parse_args()
    print(f"machine: {describe_machine()}")
    teams = tuple(int(n) for n in args.teams.split(","))
    org = generate(seed=args.seed, quarters=args.quarters, teams=teams, seasons=args.seasons)
    ok = report("generated organisation", org.history, None if args.no_calls else org.calls)
    if not args.no_sample:
        history, calls = _sample_history(args.sample)
        ok &= report("two-year sample", history, None if args.no_calls else calls)
    for folder in args.store:
        history, calls = _store_history(folder)
        ok &= report(f"store {folder}", history, None if args.no_calls else calls)
    print(f"\nrecommended method beats both baselines for every team: {ok}")


if __name__ == "__main__":
    main()
