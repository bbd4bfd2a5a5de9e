"""Benchmark: ingest of a large CRM export against bare ``pandas.read_csv`` of the same file.

    python bench/ingest.py [--rows 1000000] [--repeat 3] [--export PATH]

Writes the export with the sample generator (Data Loader format: ISO dates, plain numbers;
``--export`` keeps it at PATH and reuses it on the next run), then times, best of
``--repeat``, in the same run:

- ``pandas.read_csv(path)``: the naive floor, reading the file with no checks at all;
- the row-accounting scan alone: the file's records counted a second way, from its line
  ends and quotes (stray quotes and oversized cells refused);
- ``pipereview.read_export(path, week=...)``: detection, column map, the row-accounting
  scan and check, parsing of every amount/date/flag, stage mapping, all row checks, the
  canonical frame;
- storing the week (validation with the pandera schema + Parquet write).

Prints the machine and the ratio read_export / read_csv (goal: <= 3x, accounting included).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import describe_machine
from pipereview import SnapshotStore, read_export
from pipereview.ingest._accounting import scan_export
from pipereview.ingest._limits import ReadLimits
from pipereview.ingest._readers import peek_export
from pipereview.sample import generate_large_export

GOAL = 3.0


def best_of(repeat: int, func: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--export", type=Path, help="keep the export here (reused if present)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.export or Path(tmp) / "export.csv"
        start = time.perf_counter()
        if not path.exists():
            generate_large_export(
                path, rows=args.rows, seed=2026, column_map="salesforce_dataloader"
            )
        made = time.perf_counter() - start
        size = path.stat().st_size / 2**20
        print(f"machine: {describe_machine()}")
        print(
            f"export: {args.rows:,} rows, {size:.0f} MiB, "
            f"{len(pd.read_csv(path, nrows=1).columns)} columns (written in {made:.1f} s)"
        )
        result = read_export(path, week="2026-W47")
        assert result.report.rows_kept == args.rows, result.report.summary()
        peek = peek_export(path)
        naive = best_of(args.repeat, lambda: pd.read_csv(path))
        scan = best_of(args.repeat, lambda: scan_export(peek, ReadLimits()))
        ours = best_of(args.repeat, lambda: read_export(path, week="2026-W47"))
        store = SnapshotStore(Path(tmp) / "store")
        storing = best_of(args.repeat, lambda: store.add(result.snapshot, "2026-W47", replace=True))
        print(f"pandas.read_csv           {naive:7.2f} s")
        print(f"row-accounting scan       {scan:7.2f} s   ratio {scan / naive:.2f}x")
        print(
            f"pipereview.read_export    {ours:7.2f} s   ratio {ours / naive:.2f}x "
            f"(goal <= {GOAL:g}x, accounting included: "
            f"{'met' if ours / naive <= GOAL else 'NOT met'})"
        )
        print(f"store.add (validate+write){storing:7.2f} s   ratio {storing / naive:.2f}x")
        print(
            f"ingest end to end         {ours + storing:7.2f} s   ratio "
            f"{(ours + storing) / naive:.2f}x"
        )


if __name__ == "__main__":
    main()
