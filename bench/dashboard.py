"""Benchmark: the dashboard in a real browser, next to Voilà serving an empty notebook.

    python bench/dashboard.py [--store DIR] [--repeat 3] [--settle 25]

Ingests the sample exports into a temporary store (unless ``--store``), then, in the same
run, with headless Chromium (Debian's ``chromium``, driven by Playwright):

- Voilà's cold start of an empty notebook (one ``print`` cell): time from navigation to
  its output on the page — the floor any Voilà page pays (kernel start, page, widgets JS);
- the dashboard, cold (``--no-preheat``): navigation to the first drawn chart;
- the dashboard as ``pipereview serve`` runs it (a preheated kernel that has computed the
  likely first views): navigation to the first drawn chart, ``--settle`` seconds after
  the server started (or after the previous page took the pooled kernel);
- selector changes on one page, each ``--think`` seconds (default 2) after the previous
  one, as a manager reading the page, timed from the change to the page showing the new
  selection (the dashboard's state marker): rep; week of the first team; team; week of
  another team; tab; language; median and worst. ``--think 0`` clicks as fast as the page
  answers (views the kernel has not computed ahead yet).

Goals on a 2-core machine: first render <= 3 s, a selector change <= 0.5 s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


LABELS = {
    "rep": "rep change (first team, latest week)",
    "week_ahead": "week change, first team",
    "team": "team change (latest week)",
    "week_cold": "week change, another team",
    "tab": "tab change (first view of the tab)",
    "language": "language change (coaching tab)",
}


def _empty_notebook(folder: Path) -> Any:
    from pipereview.serve import ServeState

    notebook = folder / "empty.ipynb"
    notebook.write_text(
        json.dumps(
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "execution_count": None,
                        "id": "c",
                        "metadata": {},
                        "outputs": [],
                        "source": "print('ready')",
                    }
                ],
                "metadata": {
                    "kernelspec": {
                        "display_name": "Python 3",
                        "language": "python",
                        "name": "python3",
                    }
                },
                "nbformat": 4,
                "nbformat_minor": 5,
            }
        ),
        encoding="utf-8",
    )
    return ServeState(notebook=notebook, config=folder / "none.json", history=folder, teams=())


def _page(browser: Any) -> Any:
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(("http://127.0.0.1", "data:"))
            else route.abort()
        ),
    )
    return page


def _first_render(browser: Any, url: str, selector: str) -> float:
    page = _page(browser)
    try:
        start = time.perf_counter()
        page.goto(url, wait_until="commit")
        page.wait_for_selector(selector, timeout=120_000)
        return time.perf_counter() - start
    finally:
        page.close()


THINK = 2.0  # seconds a manager reads the page between two clicks (--think)


def _change(page: Any, act: Any, prefix: str) -> float:
    time.sleep(THINK)
    start = time.perf_counter()
    act()
    page.wait_for_selector(
        f"span.pr-state[data-stamp^='{prefix}']", state="attached", timeout=60_000
    )
    return time.perf_counter() - start


def _fmt(values: list[float]) -> str:
    return f"median {statistics.median(values):.2f} s, worst {max(values):.2f} s (n={len(values)})"


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import pandas as pd
    from playwright.sync_api import sync_playwright

    from _machine import describe_machine
    from pipereview.dashboard import Dashboard
    from pipereview.history._intake import ingest_folder
    from pipereview.serve import background_server, prepare_dashboard

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--settle", type=float, default=25.0)
    parser.add_argument("--think", type=float, default=2.0)
    args = parser.parse_args()
    global THINK
    THINK = args.think
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("Debian's chromium is needed: apt-get install -y chromium")
    print(f"machine: {describe_machine()}")
    print(f"think time between clicks: {THINK:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = args.store
        if store is None:
            store = root / "store"
            ingest_folder(ROOT / "data" / "samples" / "exports", store=store)
        targets = ROOT / "data" / "samples" / "targets.csv"
        state = prepare_dashboard(root / "state", store=store, targets=targets)
        # what `pipereview serve --no-preheat` prepares: nothing computed ahead
        bare = prepare_dashboard(root / "bare", store=store, targets=targets, warm=False)
        empty = _empty_notebook(root)
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=chromium, headless=True, args=ARGS)
            floor = []
            with background_server(empty, preheat=False) as url:
                for _ in range(args.repeat):
                    floor.append(_first_render(browser, url, "text=ready"))
            print(f"Voila, empty notebook, cold      first render {_fmt(floor)}")
            cold = []
            with background_server(bare, preheat=False) as url:
                for _ in range(args.repeat):
                    cold.append(_first_render(browser, url, ".pr-tab-overview svg"))
            print(
                f"dashboard, cold kernel          first chart  {_fmt(cold)}   "
                f"{statistics.median(cold) / statistics.median(floor):.1f}x the empty notebook"
            )
            warm = []
            with background_server(state, preheat=True) as url:
                for _ in range(args.repeat):
                    time.sleep(args.settle)
                    warm.append(_first_render(browser, url, ".pr-tab-overview svg"))
                print(
                    f"dashboard, pipereview serve     first chart  {_fmt(warm)}   "
                    f"{statistics.median(warm) / statistics.median(floor):.2f}x the empty "
                    "notebook (goal <= 3 s)"
                )
                time.sleep(args.settle)
                page = _page(browser)
                page.goto(url, wait_until="commit")
                page.wait_for_selector(".pr-tab-overview svg", timeout=120_000)
                board = Dashboard(pd.read_parquet(state.history))
                team, weeks = board.team, board.weeks
                changes: dict[str, list[float]] = {k: [] for k in LABELS}

                def pick(selector: str, value: str, prefix: str, key: str) -> None:
                    changes[key].append(
                        _change(page, lambda: page.select_option(selector, value), prefix)
                    )

                for rep in board.reps[: args.repeat]:
                    pick(".pr-rep select", rep, f"{team}|{weeks[0]}|{rep}|en|overview|", "rep")
                page.select_option(".pr-rep select", label="All reps")
                page.wait_for_selector(
                    f"span.pr-state[data-stamp^='{team}|{weeks[0]}||en|']", state="attached"
                )
                for week in weeks[1 : 1 + args.repeat]:
                    pick(".pr-week select", week, f"{team}|{week}||en|overview|", "week_ahead")
                other = team
                for other in [t for t in board.teams if t != team][: args.repeat]:
                    board.select(team=other)
                    pick(".pr-team select", other, f"{other}|{board.week}||en|overview|", "team")
                for week in board.weeks[1 : 1 + args.repeat]:
                    pick(".pr-week select", week, f"{other}|{week}||en|overview|", "week_cold")
                here = f"{other}|{week}|"
                for title, tab in (
                    ("Funnel", "funnel"),
                    ("Deals at risk", "risks"),
                    ("Coaching", "coaching"),
                ):
                    changes["tab"].append(
                        _change(
                            page,
                            lambda t=title: page.locator(
                                ".pr-tabs .lm-TabBar-tab", has_text=t
                            ).click(),
                            f"{here}|en|{tab}|",
                        )
                    )
                changes["language"].append(
                    _change(
                        page,
                        lambda: page.locator(".pr-lang button", has_text="中文").click(),
                        f"{here}|zh|coaching|",
                    )
                )
                page.close()
            browser.close()
        for key, values in changes.items():
            print(f"{LABELS[key]:50s} {_fmt(values)}   (goal <= 0.5 s)")


if __name__ == "__main__":
    main()
