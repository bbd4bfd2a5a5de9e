"""Views computed ahead never hold an interaction back (pipereview.dashboard.ahead), and a
kernel started for the pool of preheated kernels yields the CPU to the open pages
(pipereview.dashboard.server)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import psutil
import pytest
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

from _dashboard_rows import two_teams
from pipereview.dashboard import Dashboard, View
from pipereview.dashboard.ahead import Lookahead
from pipereview.dashboard.server import WARM_NICE, DashboardKernelManager


def test_a_click_is_answered_while_a_view_is_drawn_ahead() -> None:
    """A view drawn ahead that does not finish (it waits on an event) holds back no
    selection: the click's view is drawn and shown while it waits, and no other view is
    started ahead before the click's own quiet spell."""
    started, release = threading.Event(), threading.Event()
    drawn: list[tuple[str, View]] = []

    def stuck(tab: str, view: View) -> None:
        drawn.append((tab, view))
        started.set()
        release.wait(20)

    async def open_then_click() -> tuple[float, bool, list[tuple[str, View]]]:
        board = Dashboard(two_teams(), team="North")
        _ = board.widget  # the page drawn: the overview of North 2026-W47
        board._ahead._draw = stuck
        board._ahead.plan(iter([("changes", board.view), ("funnel", board.view)]))
        for _ in range(200):
            await asyncio.sleep(0.05)
            if started.is_set():
                break
        assert started.is_set(), "nothing was drawn ahead"
        clicked = time.monotonic()
        board.select(team="West")
        took = time.monotonic() - clicked
        shown = "West|2026-W47||en|overview" in board.controls["stamp"].value
        blocked = not release.is_set()
        release.set()
        return took, shown and blocked, list(drawn)

    took, answered_while_blocked, drawn_ahead = asyncio.run(open_then_click())
    assert answered_while_blocked
    assert took < 15  # returned at once, not after the 20 s the view ahead waits
    assert [(tab, v.team) for tab, v in drawn_ahead] == [("changes", "North")]


def test_a_replanned_lookahead_stops_the_old_plan() -> None:
    """Once an interaction plans other views, the views left of the old plan are never
    drawn: only the view being drawn finishes."""
    order: list[str] = []
    gate = threading.Event()

    def draw(tab: str, view: View) -> None:
        order.append(f"{view.team}:{tab}")
        if tab == "changes":
            gate.wait(5)

    data = Dashboard(two_teams(), team="North").data
    ahead = Lookahead(data, draw)
    north, west = View("North", "2026-W47"), View("West", "2026-W47")

    async def run() -> None:
        ahead.plan(iter([("changes", north), ("funnel", north), ("risks", north)]))
        while not order:
            await asyncio.sleep(0.02)
        ahead.plan(iter([("results", west)]))
        gate.set()
        for _ in range(200):
            await asyncio.sleep(0.05)
            if ahead.pending is None and len(order) > 1:
                break

    asyncio.run(run())
    assert order == ["North:changes", "West:results"]


@pytest.fixture
def sleeper() -> psutil.Process:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield psutil.Process(process.pid)
    process.kill()
    process.wait()


def test_a_pool_kernel_runs_at_lower_priority_until_a_page_takes_it(
    sleeper: psutil.Process, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = os.getpriority(os.PRIO_PROCESS, 0)
    kernel = SimpleNamespace(provisioner=SimpleNamespace(process=SimpleNamespace(pid=sleeper.pid)))
    manager = SimpleNamespace(get_kernel=lambda _kernel_id: kernel)
    DashboardKernelManager._set_priority(manager, "k1", WARM_NICE)  # type: ignore[arg-type]
    assert sleeper.nice() == own + WARM_NICE == own + 10
    DashboardKernelManager._set_priority(manager, "k1", 0)  # type: ignore[arg-type]
    if os.geteuid() == 0:  # raising a priority again needs the right to
        assert sleeper.nice() == own
    # only a kernel started for the pool is started lower; a page's own is not
    calls: list[tuple[str, int]] = []

    async def started(self: object, **kwargs: object) -> str:
        return "warm" if kwargs["env"] == {"VOILA_PREHEAT": "True"} else "page"

    monkeypatch.setattr(AsyncMappingKernelManager, "start_kernel", started)
    monkeypatch.setattr(
        DashboardKernelManager, "_set_priority", lambda self, k, nice: calls.append((k, nice))
    )
    manager = DashboardKernelManager()
    assert asyncio.run(manager.start_kernel(env={"VOILA_PREHEAT": "True"})) == "warm"
    assert asyncio.run(manager.start_kernel(env={})) == "page"
    assert calls == [("warm", WARM_NICE)]


def test_over_a_prepared_state_nothing_is_computed_ahead(tmp_path: Path) -> None:
    """A page over a prepared state reads ahead the prepared views of the teams likely
    next, and computes none of those that were not prepared (no review, no chart)."""
    from pipereview.dashboard.data import DashboardData
    from pipereview.dashboard.prepare import write_prepared
    from pipereview.dashboard.prepared import PreparedTeams

    folder = write_prepared(tmp_path, two_teams(), views=False)
    data = DashboardData(PreparedTeams(folder))
    drawn: list[str] = []
    ahead = Lookahead(data, lambda tab, view: drawn.append(tab))

    async def run() -> None:
        ahead.plan(
            iter([("overview", View("West", "2026-W47")), ("funnel", View("North", "2026-W47"))])
        )
        for _ in range(200):
            await asyncio.sleep(0.05)
            if ahead.pending is None:
                break

    asyncio.run(run())
    assert drawn == [] and data.reviews == {}
    assert data.reps(View("North", "2026-W46")) == ["Ann", "Bob"]  # prepared, no review
    assert data.reps(View("West", "2026-W47")) == ["Cy"] and data.reviews == {}
