"""Views drawn ahead while the manager reads: one at a time, each after a short quiet
spell, in a worker thread beside the kernel's event loop, so that an interaction is
answered at once and never waits for the view being drawn ahead (the next one is started
only after the interaction, and a quiet spell). Drawing ahead renders other views of the
loaded data; the page's own view is never touched."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from pipereview.dashboard.data import DashboardData
from pipereview.dashboard.tabs import render
from pipereview.dashboard.view import View

__all__ = ["Lookahead", "executing_shell"]


class Lookahead:
    """Draws the views it is given (``(tab, view)``, most likely first) over ``data``
    in the background, skipping those drawn already; :meth:`plan` replaces what is left
    to draw. Without a running event loop (plain scripts), it draws nothing. Over a
    prepared state (``pipereview serve``) it only reads the prepared views of the teams
    likely next and draws none: a page then builds no review and imports no chart
    library unless the manager opens a view that was not prepared.

    >>> import pandas as pd
    >>> h = pd.DataFrame({"snapshot_week": "2026-W47", "team": "North", "deal_id": ["D1"],
    ...     "deal_name": "MES", "account": "Acme", "owner": "Ann", "stage": "needs_confirmed",
    ...     "stage_model": "generic_4", "amount": [1000.0], "currency": "EUR",
    ...     "close_date": pd.Timestamp("2026-12-18"), "probability": [0.25]})
    >>> data = DashboardData(h)
    >>> ahead = Lookahead(data)
    >>> async def open_page() -> None:
    ...     ahead.plan(iter([("funnel", View("North", "2026-W47"))]))
    ...     while ahead.pending is not None:
    ...         await asyncio.sleep(0.05)
    >>> asyncio.run(open_page())
    >>> [key[4] for key in data.html]
    ['funnel']
    """

    #: seconds of quiet before the next view is drawn ahead
    DELAY = 0.3

    def __init__(
        self, data: DashboardData, draw: Callable[[str, View], object] | None = None
    ) -> None:
        self.data = data
        #: the timer of the next step, or the step being drawn (None: nothing left to
        #: draw, or no event loop)
        self.pending: Any = None
        self._views: Iterator[tuple[str, View]] | None = None
        self._draw = draw or (lambda tab, view: render(self.data, tab, view))
        self._worker: ThreadPoolExecutor | None = None

    def plan(self, views: Iterator[tuple[str, View]]) -> None:
        """Draw ``views`` ahead instead of what was left to draw. While a cell runs (the
        page is being drawn by it), start once the kernel has replied."""
        if self.pending is not None:
            self.pending.cancel()  # a step being drawn runs on, and plans nothing more
            self.pending = None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._views = views
        shell = executing_shell()
        if shell is not None:  # drawn by the cell: start once the kernel has replied

            def after_cell() -> None:
                shell.events.unregister("post_execute", after_cell)
                if self._views is not None and self.pending is None:
                    self.pending = loop.call_later(self.DELAY, self._step)

            shell.events.register("post_execute", after_cell)
            return
        self.pending = loop.call_later(self.DELAY, self._step)

    def _step(self) -> None:
        """Draw the next view not drawn yet in the worker thread; once drawn, plan the
        one after it (unless an interaction planned other views meanwhile)."""
        self.pending = None
        views = self._views
        if views is None:
            return
        loop = asyncio.get_running_loop()
        if self._worker is None:
            self._worker = ThreadPoolExecutor(1, thread_name_prefix="pipereview-ahead")
        step = self._worker.submit(self._draw_next, views)
        self.pending = step

        def drawn(done: Future[bool]) -> None:
            if self.pending is step:  # not replanned by an interaction meanwhile
                self.pending = None
                if done.result():
                    self.pending = loop.call_later(0.02, self._step)

        def back_on_the_loop(done: Future[bool]) -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(drawn, done)

        step.add_done_callback(back_on_the_loop)

    def _draw_next(self, views: Iterator[tuple[str, View]]) -> bool:
        """(In the worker thread.) Draw the next of ``views`` not drawn yet; whether one
        was left to draw."""
        for tab, view in views:
            if self._views is not views:  # replanned by an interaction: stop here
                return False
            if view.key(tab) in self.data.html:  # (prepared: its week and rep's file read)
                continue
            if self.data.prepared:
                continue  # drawn only when opened
            # a view that cannot be drawn is drawn (and reported) when opened
            with contextlib.suppress(Exception):
                self._draw(tab, view)
            return True
        return False


def executing_shell() -> Any:
    """The IPython shell while it runs a cell (the kernel has not replied yet), else None:
    views computed ahead then would take the CPU from the cell drawing the page, and Voilà
    would finish the page (and connect it) later."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    kernel = getattr(shell, "kernel", None)
    try:
        parent = kernel.get_parent("shell") if kernel is not None else {}
    except Exception:
        return None
    kind = (parent or {}).get("header", {}).get("msg_type")
    return shell if kind == "execute_request" else None
