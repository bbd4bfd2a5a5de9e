"""Benchmark: the weekly job on a generated organisation at three sizes, stage by stage.

    python bench/scale.py [--size small|medium|full|all] [--teams N --deals N --weeks N]
                          [--batch-teams K] [--workers 2] [--keep DIR]

Sizes (teams x open deals x weekly snapshots): small 5 x 10,000 x 26, medium
20 x 40,000 x 52, full 50 x 100,000 x 104; ``--size all`` (the default) runs the three in
turn, ``--teams/--deals/--weeks`` override the chosen size. Every stage runs in its own
process (so one stage's memory never counts in the next), and a sampler thread adds up
the resident memory (RSS) of that process and all its children (the batch's kernels)
every 50 ms. Stages:

- ``generate``: the organisation (:func:`pipereview.sample.organisation_weeks`), one
  week at a time, vectorised;
- ``store write``: each week validated and written by :meth:`SnapshotStore.add`;
- ``history read``: :meth:`SnapshotStore.history` of every week (what the batch reads);
- ``keying``: :func:`pipereview.with_deal_keys` over the whole organisation, and
  writing it as the batch's shared history (:func:`pipereview.history.write_history_file`,
  laid out by team; ``plain write``: ``to_parquet`` in the history's order, the naive way);
- ``notebook read``: the naive way for a team notebook (read the plain file whole, keep
  its team's rows), against :func:`pipereview.history.read_history_file` of the laid-out
  file for that team (its deals, handover rows included), as the notebooks read it -- a
  ratio;
- ``batch``: :func:`pipereview.delivery._batch.run_batch` with ``notebooks/weekly_review.ipynb``
  (it reads and keys the history itself, then runs one notebook per team). On the
  medium and full sizes only ``--batch-teams`` teams are run (default: medium 6,
  full 4; the full size one team at a time, ``--batch-workers``, to stay within
  ``--max-gib``) and the batch of every team with ``--workers`` is extrapolated from
  their mean team time -- printed as such;
- ``dashboard``: :func:`pipereview.serve.prepare_dashboard` from the shared history.

Prints the machine, then one table per size and a summary of how the cost grows.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SIZES = {"small": (5, 10_000, 26), "medium": (20, 40_000, 52), "full": (50, 100_000, 104)}
BATCH_TEAMS = {"small": 0, "medium": 6, "full": 4}  # 0: every team
# the full size runs its batch sample one team at a time: each team's kernel reads the whole
# shared history (~5 GiB at that size) and the batch process holds it too, so two kernels
# at once would pass the memory this benchmark allows itself (--max-gib)
BATCH_WORKERS = {"small": 2, "medium": 2, "full": 1}
LAST_WEEK = "2026-W47"
GIB = 2**30


class Meter:
    """Wall time and peak RSS (this process and its children) per named phase."""

    def __init__(self, max_gib: float = 0.0) -> None:
        import psutil

        self.max_gib = max_gib
        self._proc = psutil.Process()
        self._phase = ""
        self.phases: dict[str, dict[str, float]] = {}
        self.baseline = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _rss(self) -> int:
        import psutil

        total = 0
        for proc in [self._proc, *self._proc.children(recursive=True)]:
            try:
                total += proc.memory_info().rss
            except psutil.Error:
                continue
        return total

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            phase = self._phase
            if phase:
                entry = self.phases[phase]
                entry["peak_gib"] = max(entry["peak_gib"], self._rss() / GIB)
                if self.max_gib and entry["peak_gib"] > self.max_gib:
                    self._abort(phase, entry["peak_gib"])

    def _abort(self, phase: str, gib: float) -> None:
        """Over the memory allowed: stop the stage and its kernels at once."""
        import os

        import psutil

        for proc in self._proc.children(recursive=True):
            try:
                proc.kill()
            except psutil.Error:
                continue
        print(
            f"{phase}: {gib:.1f} GiB is over --max-gib {self.max_gib}", file=sys.stderr, flush=True
        )
        os._exit(3)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        entry = self.phases.setdefault(name, {"s": 0.0, "peak_gib": self._rss() / GIB})
        previous, self._phase = self._phase, name
        start = time.perf_counter()
        try:
            yield
        finally:
            entry["s"] += time.perf_counter() - start
            entry["peak_gib"] = max(entry["peak_gib"], self._rss() / GIB)
            self._phase = previous

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def child(
    stage: str,
    work: Path,
    teams: int,
    deals: int,
    weeks: int,
    batch_teams: int,
    workers: int,
    max_gib: float,
) -> dict[str, Any]:
    """Run one stage in this process; return its phases and facts."""
    import pandas as pd

    from pipereview.history._historyfile import read_history_file, write_history_file
    from pipereview.history._store import SnapshotStore

    meter = Meter(max_gib)
    info: dict[str, Any] = {"baseline_gib": meter.baseline / GIB}
    store = SnapshotStore(work / "store")
    shared = work / "shared" / "history.parquet"
    if stage == "store":
        from pipereview.sample import organisation_weeks

        rows = 0
        weeks_made = organisation_weeks(
            teams=teams, deals=deals, weeks=weeks, last_week=LAST_WEEK, seed=2026
        )
        while True:
            with meter.phase("generate"):
                item = next(weeks_made, None)
            if item is None:
                break
            week, frame = item
            rows += len(frame)
            with meter.phase("store write"):
                store.add(frame, week, replace=True)
            info["deals_born"] = int(frame.attrs["deals_born"])
            del frame, item
        info["rows"] = rows
        info["store_mib"] = sum(p.stat().st_size for p in store.snapshot_dir.iterdir()) / 2**20
    elif stage == "history":
        from pipereview.history._trail import with_deal_keys
        from pipereview.ingest._schema import open_mask

        with meter.phase("history read"):
            history = store.history(last=LAST_WEEK)
        info["rows"] = len(history)
        info["history_gib"] = history.memory_usage(deep=True).sum() / GIB
        latest = history[history["snapshot_week"] == LAST_WEEK]
        info["open_last"] = int(open_mask(latest).sum())
        del latest
        with meter.phase("keying"):
            keyed = with_deal_keys(history)
        info["distinct_deals"] = int(keyed["deal_key"].nunique())
        del history
        with meter.phase("shared write"):  # laid out by team, as run_batch writes it
            write_history_file(keyed, shared)
        info["shared_mib"] = shared.stat().st_size / 2**20
        with meter.phase("plain write"):  # the naive way: to_parquet in the history's order
            keyed.to_parquet(shared.with_name("plain.parquet"), index=False)
    elif stage == "notebook":
        team = "Team 01"
        plain = shared.with_name("plain.parquet")
        pd.read_parquet(shared, columns=["team"])  # imports and file cache warm for both
        with meter.phase("notebook read"):  # the naive way: the whole file, then the team
            frame = pd.read_parquet(plain)
            rows = frame[frame["team"] == team]
            del frame
        info["team_rows"] = len(rows)
        del rows
        with meter.phase("filtered read"):  # as WeeklyReview.from_files reads it
            rows = read_history_file(shared, team=team)
        info["team_deal_rows"] = len(rows)
        del rows
    elif stage == "batch":
        from pipereview.delivery._batch import run_batch

        chosen = store.info(LAST_WEEK)["teams"]
        if batch_teams:
            chosen = chosen[:batch_teams]
        with meter.phase("batch"):
            result = run_batch(
                LAST_WEEK, store=store.root, out_dir=work / "reports", teams=chosen, workers=workers
            )
        info["teams_run"] = len(chosen)
        info["failed"] = [f"{t.team}: {t.error}" for t in result.teams if t.status != "ok"]
        info["team_s"] = [t.duration_s for t in result.teams]
        info["batch_workers"] = workers
    elif stage == "dashboard":
        from pipereview.serve import prepare_dashboard

        with meter.phase("dashboard prep"):
            prepare_dashboard(work / "serve", history=shared, week=LAST_WEEK, warm=False)
    meter.close()
    return {"phases": meter.phases, "info": info}


def run_stage(
    stage: str,
    work: Path,
    args: argparse.Namespace,
    teams: int,
    deals: int,
    weeks: int,
    batch_teams: int,
    workers: int,
) -> dict[str, Any]:
    """One stage in a fresh process (its peak memory is its own)."""
    command = [
        sys.executable,
        __file__,
        "--child",
        stage,
        "--work",
        str(work),
        "--teams",
        str(teams),
        "--deals",
        str(deals),
        "--weeks",
        str(weeks),
        "--batch-teams",
        str(batch_teams),
        "--workers",
        str(workers),
        "--max-gib",
        str(args.max_gib),
    ]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:  # reported, and the other stages still run
        lines = done.stderr.strip().splitlines() or ["no message"]
        print(
            f"  stage {stage} STOPPED after {time.perf_counter() - start:.0f} s: {lines[-1]}",
            flush=True,
        )
        return {"phases": {}, "info": {}, "stopped": lines[-1]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(
    name: str,
    teams: int,
    deals: int,
    weeks: int,
    batch_teams: int,
    batch_workers: int,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Every stage of one size; the figures as a dict (also printed)."""
    keep = args.keep / name if args.keep else None
    with tempfile.TemporaryDirectory() as tmp:
        work = keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        stages = {}
        for stage in ("store", "history", "notebook", "batch", "dashboard"):
            stages[stage] = run_stage(
                stage, work, args, teams, deals, weeks, batch_teams, batch_workers
            )
            print(f"  [{name}] {stage} done", flush=True)
    return report(name, teams, deals, weeks, stages, args.workers)


def report(
    name: str, teams: int, deals: int, weeks: int, stages: dict[str, Any], workers: int
) -> dict[str, Any]:
    phases = {k: v for s in stages.values() for k, v in s["phases"].items()}
    stopped = {k: s["stopped"] for k, s in stages.items() if "stopped" in s}
    info = {k: v for s in stages.values() for k, v in s["info"].items() if k != "baseline_gib"}
    batch = stages["batch"]["info"] or {
        "teams_run": 0,
        "team_s": [math.nan],
        "failed": [],
        "batch_workers": 0,
    }
    run, team_s = batch["teams_run"], batch["team_s"]
    pre = phases["history read"]["s"] + phases["keying"]["s"] + phases["shared write"]["s"]
    per_team = sum(team_s) / len(team_s)
    # the batch's team part: teams run ``workers`` at a time (the sum of team times / workers)
    estimate = pre + per_team * teams / min(workers, teams)
    print(
        f"\n{name}: {teams} teams x {deals:,} open deals x {weeks} weeks "
        f"({info['rows']:,} stored rows, {info['distinct_deals']:,} distinct deals, "
        f"{info['open_last']:,} open in {LAST_WEEK}; store {info['store_mib']:.0f} MiB, "
        f"shared history {info['shared_mib']:.0f} MiB, {info['history_gib']:.2f} GiB in "
        "memory)"
    )
    print(f"  {'stage':34s} {'wall':>9s} {'peak RSS':>9s}")
    for key in (
        "generate",
        "store write",
        "history read",
        "keying",
        "shared write",
        "plain write",
        "notebook read",
        "filtered read",
        "batch",
        "dashboard prep",
    ):
        label = key
        if key == "batch":
            label = f"batch, {run} of {teams} teams" if run < teams else f"batch, {teams} teams"
        if key in phases:
            print(f"  {label:34s} {phases[key]['s']:8.1f}s {phases[key]['peak_gib']:8.2f}G")
    for stage, why in stopped.items():
        print(f"  {stage:34s} STOPPED: {why}")
    read, filtered = phases["notebook read"]["s"], phases["filtered read"]["s"]
    print(
        f"  a team notebook reading the whole shared history: {read:.2f} s vs "
        f"{filtered:.2f} s reading its deals (read_history_file, laid-out file) "
        f"({read / filtered:.1f}x; {info['team_rows']:,} of {info['rows']:,} rows its own, "
        f"{info['team_deal_rows']:,} with handover rows)"
    )
    print(
        f"  per team in the batch: mean {per_team:.1f} s, max {max(team_s):.1f} s "
        f"({batch['batch_workers']} worker(s) measured; {len(batch['failed'])} failed)"
    )
    if 0 < run < teams:
        print(
            f"  batch of all {teams} teams EXTRAPOLATED: {pre:.0f} s before the teams + "
            f"{teams} x {per_team:.1f} s / {workers} workers = {estimate:.0f} s "
            f"({estimate / 60:.1f} min)"
        )
    for failure in batch["failed"]:
        print(f"  FAILED {failure}")
    return {
        "name": name,
        "teams": teams,
        "deals": deals,
        "weeks": weeks,
        "phases": phases,
        "info": info,
        "per_team_s": per_team,
        "batch_estimate_s": estimate,
        "teams_run": run,
    }


def summary(results: list[dict[str, Any]], workers: int) -> None:
    """How each stage grows between sizes: per million stored rows, per team."""
    print("\ncost per million stored rows (row-bound stages) and per team (the batch):")
    for r in results:
        rows = r["info"]["rows"] / 1e6
        p = r["phases"]
        line = ", ".join(
            f"{k} {p[k]['s'] / rows:.1f} s"
            for k in ("generate", "store write", "history read", "keying")
        )
        print(
            f"  {r['name']:6s} ({rows:.2f} M rows): {line}; per team "
            f"{r['per_team_s']:.1f} s for {r['info']['rows'] / r['teams'] / 1e6:.2f} M rows "
            f"of history"
        )
    if len(results) >= 2:
        a, b = results[0], results[-1]
        growth = math.log(b["per_team_s"] / a["per_team_s"]) / math.log(
            (b["info"]["rows"] / b["teams"]) / (a["info"]["rows"] / a["teams"])
        )
        print(
            f"  per-team notebook time grows as (team rows)^{growth:.2f} "
            f"from {a['name']} to {b['name']}"
        )
    print(f"  local batch with {workers} workers ~ keying + teams x per-team time / workers")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", choices=[*SIZES, "all"], default="all")
    parser.add_argument("--teams", type=int)
    parser.add_argument("--deals", type=int)
    parser.add_argument("--weeks", type=int)
    parser.add_argument("--batch-teams", type=int, help="teams the batch runs (0: all)")
    parser.add_argument(
        "--workers", type=int, default=2, help="workers the local batch is extrapolated to"
    )
    parser.add_argument(
        "--batch-workers", type=int, help="workers of the measured batch (default: 2, full size 1)"
    )
    parser.add_argument(
        "--max-gib",
        type=float,
        default=14.0,
        help="stop a stage whose process tree passes this RSS",
    )
    parser.add_argument("--keep", type=Path, help="keep each size's store and outputs here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = child(
            args.child,
            args.work,
            args.teams,
            args.deals,
            args.weeks,
            args.batch_teams,
            args.workers,
            args.max_gib,
        )
        print(json.dumps(result))
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _machine import compile_package, describe_machine

    print(f"machine: {describe_machine()}")
    print(compile_package())
    names = list(SIZES) if args.size == "all" else [args.size]
    results = []
    for name in names:
        teams, deals, weeks = SIZES[name]
        teams, deals, weeks = args.teams or teams, args.deals or deals, args.weeks or weeks
        batch_teams = BATCH_TEAMS[name] if args.batch_teams is None else args.batch_teams
        batch_teams = 0 if batch_teams >= teams else batch_teams
        workers = args.batch_workers or BATCH_WORKERS[name]
        results.append(measure(name, teams, deals, weeks, batch_teams, workers, args))
    summary(results, args.workers)


if __name__ == "__main__":
    main()
