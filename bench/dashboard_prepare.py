"""Benchmark: drawing one team's likely first views, as ``pipereview serve`` prepares them.

    python bench/dashboard_prepare.py [--store DIR] [--team NAME] [--repeat 2]

Ingests the sample exports into a temporary store (unless ``--store``), writes the served
history and the team's rows as ``pipereview serve --prepare-only`` does, then times, in
the same run and process, the drawing of the team's likely first views (every tab of its
two latest weeks for the team and each rep, each stored week's overview):

- as prepared: the forecast tab's four sections (why the pipeline changed, the calls,
  pacing, which forecast to trust) computed once for a team's week and shown on the
  team's view and on each rep's;
- naive: those sections computed again for every view that shows them.

Both draw the same views; the script checks that every drawn view is the same and prints
the fastest of ``--repeat`` runs of each, with the machine.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _draw(rows: Any, team: str, *, naive: bool) -> tuple[float, dict[Any, str]]:
    from pipereview.dashboard import prepare
    from pipereview.delivery._reviewforecasting import ForecastingSections

    cached = ForecastingSections.__dict__["forecasting_sections"]
    if naive:  # every read computes the four sections again
        ForecastingSections.forecasting_sections = property(cached.func)
    try:
        start = time.perf_counter()
        data = prepare._first_views(rows, team, targets=None, config=None, lang="en")
        return time.perf_counter() - start, dict(data.html)
    finally:
        ForecastingSections.forecasting_sections = cached


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path)
    parser.add_argument("--team", help="the team drawn [default: the first by name]")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _machine import describe_machine
    from pipereview.dashboard._servedstate import served_history
    from pipereview.dashboard.prepare import write_prepared
    from pipereview.history._historyfile import write_history_file
    from pipereview.history._intake import ingest_folder
    from pipereview.history._loader import load_history

    work = Path(tempfile.mkdtemp(prefix="pipereview-bench-prepare-"))
    try:
        store = args.store
        if store is None:
            store = work / "store"
            ingest_folder(ROOT / "data" / "samples" / "exports", store=store)
        history = work / "history.parquet"
        write_history_file(served_history(store, None, None), history)
        folder = write_prepared(work / "teams", history, views=False)
        index = json.loads((folder / "index.json").read_text(encoding="utf-8"))["teams"]
        entry = next((e for e in index if e["team"] == args.team), None) if args.team else index[0]
        if entry is None:
            parser.error(f"no team {args.team!r}; teams: {', '.join(e['team'] for e in index)}")
        rows = load_history(file=folder / entry["history"])
        weeks = len(entry["weeks"])
        print(f"machine: {describe_machine()}")
        print(f"team {entry['team']}: {len(rows):,} rows, {weeks} stored weeks")
        timings: dict[str, list[float]] = {"prepared": [], "naive": []}
        drawn: dict[str, dict[Any, str]] = {}
        for _ in range(args.repeat):
            for kind in ("prepared", "naive"):
                seconds, views = _draw(rows, entry["team"], naive=kind == "naive")
                timings[kind].append(seconds)
                drawn[kind] = views
        if drawn["prepared"] != drawn["naive"]:
            raise SystemExit("the two ways drew different views")
        print(f"views drawn: {len(drawn['prepared'])} (the same both ways)")
        for kind, seconds in timings.items():
            print(f"{kind:9} {min(seconds):6.1f} s (fastest of {len(seconds)})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
