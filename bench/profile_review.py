"""Profile: where a small team's weekly review spends its time (per cell, per diagnostic),
and ``pipereview coach`` against its bare diagnostics.

    python bench/profile_review.py [--team NAME] [--repeats 3] [--only coach]

Ingests the sample exports into a temporary store, takes the team with the fewest deals
(or ``--team``), then, in the same run:

- cells, cold: papermill runs the weekly review notebook for the team on a new kernel
  (nothing imported), as the ``papermill`` command does; each cell's time as papermill
  records it;
- cells, warm: the same on a kernel started ahead by the batch's pool: on Linux forked
  from its nursery (``WARM_MODULES`` imported, charts drawn by its chart server),
  elsewhere one that imported them and drew one chart before the team was given to it;
- cells, batch: a warm kernel reading the team's rows from the batch's shared history
  (``write_history_file``, with the week's companions and calls beside it), as
  ``pipereview run`` runs every team: the goal's figure;
- diagnostics: the team's review built in this process (imports done), then each figure
  of its ``WeekDiagnostics`` computed in turn (a figure includes those it is the first to
  need);
- coach: ``python -m pipereview coach`` (a new process, as a user runs it) against the
  same work in this process with the imports done (history, diagnostics, coaching pack).
  Goal: coach <= 2x the bare work. ``--only coach`` measures this alone.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from functools import cached_property
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ROOT / "data" / "samples" / "targets.csv"


def cell_times(executed: Path) -> list[tuple[str, float]]:
    """Each code cell's first line and its time, as papermill recorded them."""
    notebook = json.loads(executed.read_text(encoding="utf-8"))
    return [
        (
            "".join(cell["source"]).splitlines()[0][:44],
            float(cell["metadata"].get("papermill", {}).get("duration") or 0.0),
        )
        for cell in notebook["cells"]
        if cell["cell_type"] == "code"
    ]


def shared_history(store: Path, week: str, work: Path) -> Path:
    """The batch's shared history of ``store`` written into ``work`` by the batch's own
    writer (the keyed history laid out by team, the companions and calls beside)."""
    from pipereview.core._weeks import Week
    from pipereview.delivery._batch import _share_history
    from pipereview.history._store import SnapshotStore

    folder = work / "shared"
    path = folder / "history.parquet"
    _share_history(SnapshotStore(store), Week.parse(week), folder, path, local=False)
    return path


def run_cells(
    store: Path, week: str, team: str, out: Path, *, warm: bool, history: Path | None = None
) -> list:
    """The notebook run for ``team`` on a new kernel (``warm``: one the pool warmed),
    reading ``store``, or the batch's shared ``history`` when given."""
    import papermill

    from pipereview.delivery._batch import default_notebook
    from pipereview.delivery._kernels import KernelPool, shutdown_kernel

    pool = KernelPool(1, ahead=1, warm=warm)
    manager = pool.take()
    try:
        papermill.execute_notebook(
            str(default_notebook()),
            str(out),
            parameters={
                "team": team,
                "week": week,
                "lang": "en",
                "store": "" if history else str(store),
                "history_path": str(history) if history else "",
                "exports": "",
                "targets": str(TARGETS),
            },
            km=manager,
            kernel_name="python3",
            progress_bar=False,
        )
    finally:
        shutdown_kernel(manager)
        pool.close()
    return cell_times(out)


def diagnostics(store: Path, week: str, team: str) -> list[tuple[str, float]]:
    """The review built, then each of its context's figures computed, each timed."""
    from pipereview.delivery._review import WeeklyReview
    from pipereview.week import WeekDiagnostics

    start = time.perf_counter()
    review = WeeklyReview.from_files(team=team, week=week, store=str(store), targets=str(TARGETS))
    times = [("load + review built", time.perf_counter() - start)]
    context = review.context
    for name, member in vars(WeekDiagnostics).items():
        if isinstance(member, cached_property):
            start = time.perf_counter()
            try:
                getattr(context, name)
            except Exception as error:  # a figure this sample cannot give
                name = f"{name} ({type(error).__name__})"
            times.append((name, time.perf_counter() - start))
    return times


def coach_bare(store: Path, week: str, out: Path) -> float:
    """What ``pipereview coach`` does, in this process, imports done; its seconds."""
    from pipereview.cli._coach import _coached_teams
    from pipereview.coaching import write_coaching_pack
    from pipereview.config import Config
    from pipereview.history._callstore import read_forecast_calls_stored
    from pipereview.history._companionstore import read_companions
    from pipereview.history._loader import load_history
    from pipereview.history._store import SnapshotStore
    from pipereview.week import WeekDiagnostics

    start = time.perf_counter()
    stored = SnapshotStore(store)
    keyed = load_history(stored, last=week)
    calls = read_forecast_calls_stored(stored, week)
    context = WeekDiagnostics(
        keyed,
        week,
        config=Config(),
        companions=read_companions(stored, week),
        forecast_calls=calls if len(calls) else None,
    )
    teams = _coached_teams(context, None, week)
    write_coaching_pack(context, out, lang="en", teams=teams)
    return time.perf_counter() - start


def coach_command(store: Path, out: Path) -> float:
    """``python -m pipereview coach`` for the store, a new process; its seconds."""
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pipereview",
            "coach",
            "--store",
            str(store),
            "--out",
            str(out),
            "--no-log",
        ],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _machine import compile_package, describe_machine
    from pipereview.history._intake import ingest_folder
    from pipereview.history._loader import load_history
    from pipereview.history._store import SnapshotStore

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--team")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--only", choices=["coach"], help="measure only this part (coach: command against bare)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        store = work / "store"
        ingest_folder(ROOT / "data" / "samples" / "exports", store=store)
        week = SnapshotStore(store).weeks()[-1]
        history = load_history(SnapshotStore(store), last=week)
        sizes = history.groupby("team")["deal_key"].nunique()
        team = args.team or str(sizes.idxmin())
        print(f"machine: {describe_machine()}")
        print(compile_package())
        print(
            f"team {team}: {sizes[team]} deals, {int((history['team'] == team).sum())} rows "
            f"over {history['snapshot_week'].nunique()} weeks, as of {week}"
        )
        if args.only != "coach":
            cells_and_diagnostics(store, week, team, args.repeats)
        command, bare = [], []
        for repeat in range(args.repeats):
            command.append(coach_command(store, work / f"coach{repeat}"))
            bare.append(coach_bare(store, week, work / f"bare{repeat}"))
        print(
            f"coach: command {min(command):.1f}-{max(command):.1f} s, bare "
            f"{min(bare):.1f}-{max(bare):.1f} s (the first bare run pays the imports), "
            f"ratio {min(command) / min(bare):.2f}x at best (goal <= 2x)"
        )


def cells_and_diagnostics(store: Path, week: str, team: str, repeats: int) -> None:
    """Print the review notebook's cells (cold and warm kernels) and the diagnostics'
    times, ``repeats`` times each."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shared = shared_history(store, week, work)
        runs: dict[str, list[list]] = {"cold": [], "warm": [], "batch": []}
        for repeat in range(repeats):
            for mode in runs:
                out = work / f"{mode}{repeat}.ipynb"
                history = shared if mode == "batch" else None
                runs[mode].append(
                    run_cells(store, week, team, out, warm=mode != "cold", history=history)
                )
        print("cells (papermill's times, min-max over the repeats):")
        print(f"  {'cell':46s} {'cold':>13s} {'warm':>13s} {'batch':>13s}")
        for index, (source, _) in enumerate(runs["cold"][0]):
            spans = []
            for mode in runs:
                times = [run[index][1] for run in runs[mode]]
                spans.append(f"{min(times):5.2f}-{max(times):5.2f} s")
            print(f"  {source:46s} {' '.join(spans)}")
        totals = {mode: [sum(t for _, t in run) for run in runs[mode]] for mode in runs}
        spans = [f"{min(t):5.2f}-{max(t):5.2f} s" for t in totals.values()]
        print(f"  {'all cells':46s} {' '.join(spans)} (goal <= 3 s: batch)")
        print("diagnostics (in this process, imports done; second build):")
        diagnostics(store, week, team)  # the first pays the imports
        for name, seconds in diagnostics(store, week, team):
            print(f"  {name:46s} {seconds:6.3f} s")


if __name__ == "__main__":
    main()
