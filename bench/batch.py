"""Benchmark: the weekly batch against a sequential loop of the ``papermill`` command.

    python bench/batch.py [--store DIR] [--workers 2] [--notebook notebooks/weekly_review.ipynb]
                          [--cold]

Ingests the sample exports into a temporary store (unless ``--store``), then, in the
same run:

- ``pipereview.delivery._batch.run_batch`` for every sample team (parallel kernels, keyed history
  computed once and shared);
- with ``--cold``: ``run_batch`` again on kernels started ahead but not warmed (no
  imports before the team starts: the batch before kernels imported the review's modules);
- the naive way: for each team, one ``papermill`` command (a new process) on the same
  notebook with the same parameters (``-r`` raw strings), one after the other, each team's
  notebook reading the store itself (no shared history).

Also per team: the overhead beyond the notebook's own compute, i.e. the team's wall time
in the batch minus the sum of its cells' execution times (papermill records them in the
executed notebook). Goals: >= 3.5x faster than the loop on 2 cores, overhead <= 1.5 s,
a small team's cells <= 3 s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cell_seconds(executed: Path) -> float:
    """Sum of the cells' execution times recorded by papermill."""
    nb = json.loads(executed.read_text(encoding="utf-8"))
    return sum(
        float(c.get("metadata", {}).get("papermill", {}).get("duration") or 0.0)
        for c in nb["cells"]
    )


def _cold_batch(
    week: str, store: Path, out: Path, workers: int, notebook: Path, targets: Path
) -> float:
    """``run_batch``'s seconds on kernels started ahead but not warmed."""
    from functools import partial

    from pipereview.delivery import _batch
    from pipereview.delivery._kernels import KernelPool

    _batch.KernelPool = partial(KernelPool, warm=False)  # type: ignore[assignment]
    try:
        start = time.perf_counter()
        result = _batch.run_batch(
            week, store=store, out_dir=out, workers=workers, notebook=notebook, targets=targets
        )
        assert result.ok, [t.error for t in result.teams]
        return time.perf_counter() - start
    finally:
        _batch.KernelPool = KernelPool  # type: ignore[misc]


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _machine import compile_package, describe_machine
    from pipereview.delivery._batch import default_notebook, run_batch
    from pipereview.history._intake import ingest_folder
    from pipereview.history._store import SnapshotStore

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--notebook", type=Path, default=default_notebook())
    parser.add_argument("--cold", action="store_true", help="also time unwarmed kernels")
    args = parser.parse_args()
    targets = ROOT / "data" / "samples" / "targets.csv"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        store = args.store or work / "store"
        if args.store is None:
            ingest_folder(ROOT / "data" / "samples" / "exports", store=store)
        week = SnapshotStore(store).weeks()[-1]
        teams = SnapshotStore(store).info(week)["teams"]
        print(f"machine: {describe_machine()}")
        print(compile_package())
        print(f"batch: {len(teams)} teams of {week}, notebook {args.notebook.name}")

        start = time.perf_counter()
        result = run_batch(
            week,
            store=store,
            out_dir=work / "reports",
            workers=args.workers,
            notebook=args.notebook,
            targets=targets,
        )
        batch = time.perf_counter() - start
        assert result.ok, [t.error for t in result.teams]
        cold = None
        if args.cold:
            cold = _cold_batch(week, store, work / "cold", args.workers, args.notebook, targets)

        start = time.perf_counter()
        for team in teams:  # the naive loop: one papermill process per team, in turn
            out = work / "loop" / f"{team}.ipynb"
            out.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "papermill",
                    str(args.notebook),
                    str(out),
                    "-r",
                    "team",
                    team,
                    "-r",
                    "week",
                    week,
                    "-r",
                    "lang",
                    "en",
                    "-r",
                    "store",
                    str(store),
                    "-r",
                    "exports",
                    "",
                    "-r",
                    "history_path",
                    "",
                    "-r",
                    "targets",
                    str(targets),
                    "-r",
                    "out_dir",
                    "",
                    "--no-progress-bar",
                ],
                check=True,
                capture_output=True,
                cwd=args.notebook.parent,
            )
        loop = time.perf_counter() - start

        print(f"run_batch         {batch:7.1f} s  ({args.workers} workers)")
        print(f"papermill loop    {loop:7.1f} s  (one process per team, in turn)")
        print(f"speed-up          {loop / batch:7.2f}x (goal >= 3.5x)")
        if cold is not None:
            print(f"run_batch, cold   {cold:7.1f} s  (kernels not warmed), {loop / cold:.2f}x")
        for run in result.teams:
            compute = cell_seconds(result.folder / run.outputs["notebook"])
            print(
                f"  {run.team:8s} {run.duration_s:6.1f} s in the batch, cells "
                f"{compute:5.1f} s (goal <= 3 s), overhead {run.duration_s - compute:4.1f} s "
                "(goal <= 1.5 s)"
            )


if __name__ == "__main__":
    main()
