"""The Voilà server ``pipereview serve`` runs (``python -m pipereview.dashboard.server``):
Voilà itself, with four guards a dashboard open to many managers needs.

- :class:`DashboardKernelManager` caps the kernels held by pages (``max_kernels``; the
  preheated kernel waiting for the next page is not counted) and frees a page's kernel
  when the page is closed (no connection and no activity for ``closed_timeout`` seconds:
  also a plain HTTP GET that never opens the page's socket) or left idle
  (``cull_idle_timeout``, even with the page open). A kernel started for the pool of
  preheated kernels runs at a lower CPU priority (:data:`WARM_NICE`) until a page takes
  it, so that refilling the pool never slows the pages already open.
- :class:`DashboardPageHandler` answers a page request beyond the cap with a short page
  (503, ``Retry-After``) and starts no kernel.
- :class:`SafeChannels` forwards no stream output, error or failed reply from a kernel to
  the browser: whatever a crafted widget message makes the kernel print or raise (a
  traceback, a server path) stays on the server.
- :class:`DashboardVoila` serves the page from a template that fetches nothing from
  outside the server (Voilà's own asks a CDN for an icon font), stops when the process
  that started it goes away, and on exit stops every kernel it started.
"""

from __future__ import annotations

import contextlib
import html
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado.ioloop import IOLoop, PeriodicCallback
from tornado.web import HTTPError, authenticated
from traitlets import Float, Integer, default
from voila.app import Voila  # type: ignore[import-untyped]
from voila.tornado.handler import TornadoVoilaHandler  # type: ignore[import-untyped]

__all__ = [
    "TEMPLATE_DIR",
    "WARM_NICE",
    "DashboardFull",
    "DashboardKernelManager",
    "DashboardPageHandler",
    "DashboardVoila",
    "SafeChannels",
    "full_page",
    "main",
]

#: The page template (Voilà's lab template without remote assets) and its error page.
TEMPLATE_DIR = Path(__file__).with_name("voila")
#: The environment variable naming the process whose end stops the server.
PARENT_VARIABLE = "PIPEREVIEW_SERVE_PARENT"
_PREHEAT = "VOILA_PREHEAT"  # Voilà sets it to "True" in a preheated kernel's environment
#: How much lower (``nice``) a kernel started for the pool runs until a page takes it: its
#: start (imports, the page drawn ahead) then yields the CPU to the pages already open.
WARM_NICE = 10


class DashboardFull(HTTPError):
    """The dashboard already holds ``limit`` pages: no kernel for another one."""

    def __init__(self, limit: int) -> None:
        super().__init__(503, reason="Dashboard at its limit")
        self.limit = limit


def full_page(limit: int) -> str:
    """The page a request beyond the cap gets: short, self-contained, no traceback."""
    pages = "1 open page" if limit == 1 else f"{limit} open pages"
    text = f"The dashboard is at its limit of {pages}; close a tab or try again in a minute."
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Dashboard busy</title>"
        "</head><body style='font-family:sans-serif;margin:3em'>"
        f"<p class='pr-full'>{html.escape(text)}</p></body></html>"
    )


def _now() -> datetime:
    return datetime.now(UTC)


class DashboardKernelManager(AsyncMappingKernelManager):
    """Voilà's kernel manager with a cap on pages and prompt freeing of closed pages.

    A kernel started for Voilà's preheated pool is *warm* until a page takes it; every
    other live kernel belongs to a page. A page beyond ``max_kernels`` raises
    :class:`DashboardFull` before a kernel is taken or started. A page's kernel with no
    open connection and no activity for ``closed_timeout`` seconds is shut down (checked
    every ``cull_interval`` seconds and ``closed_timeout`` after each disconnect); one idle
    for ``cull_idle_timeout`` seconds is shut down even with the page open.
    """

    max_kernels = Integer(8, config=True, help="Most pages (each holds a kernel) at once.")
    closed_timeout = Float(
        20.0, config=True, help="Seconds a page's kernel lives once its page is closed."
    )
    unopened_factor = Float(
        3.0,
        config=True,
        help="A page that never connects is given this many times "
        "closed_timeout (it may still be loading).",
    )

    @default("cull_idle_timeout")
    def _default_cull_idle_timeout(self) -> int:
        return 1800

    @default("cull_interval")
    def _default_cull_interval(self) -> int:
        return 5

    @default("cull_connected")
    def _default_cull_connected(self) -> bool:
        return True

    @default("cull_busy")
    def _default_cull_busy(self) -> bool:
        return True  # the dashboard runs nothing long; it computes views ahead when idle

    def __init__(self, **kwargs: Any) -> None:
        self._warm: set[str] = set()
        self._starting = 0
        self._alone_since: dict[str, datetime] = {}
        self._opened: set[str] = set()
        super().__init__(**kwargs)  # type: ignore[no-untyped-call]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Voilà's preheating subclass hands its warm kernel to a page in
        ``get_rendered_notebook``: count that kernel as the page's from then on, and
        refuse the page beyond the cap before it is handed out."""
        super().__init_subclass__(**kwargs)
        take = cls.__dict__.get("get_rendered_notebook")
        if take is None:
            return

        async def get_rendered_notebook(self: DashboardKernelManager, *args: Any, **kw: Any) -> Any:
            self._admit()
            result = await take(self, *args, **kw)
            kernel_id = result[2]
            self._warm.discard(kernel_id)
            self._set_priority(kernel_id, 0)
            self._alone_since[kernel_id] = _now()
            return result

        cls.get_rendered_notebook = get_rendered_notebook  # type: ignore[attr-defined]

    # --- the cap --------------------------------------------------------------------------
    def open_pages(self) -> int:
        """Kernels held by pages, those being started included."""
        live = set(self.list_kernel_ids())
        return len(live - self._warm) + self._starting

    def _admit(self) -> None:
        if self.open_pages() >= self.max_kernels:
            self.log.warning("Dashboard at its limit of %d pages: page refused", self.max_kernels)
            raise DashboardFull(self.max_kernels)

    async def start_kernel(self, **kwargs: Any) -> str:  # type: ignore[override]
        warm = (kwargs.get("env") or {}).get(_PREHEAT) == "True"
        if not warm:
            self._admit()
        self._starting += not warm
        try:
            kernel_id: str = await super().start_kernel(**kwargs)
        finally:
            self._starting -= not warm
        if warm:
            self._warm.add(kernel_id)
            self._set_priority(kernel_id, WARM_NICE)
        else:
            self._alone_since[kernel_id] = _now()
        return kernel_id

    def _set_priority(self, kernel_id: str, nice: int) -> None:
        """Run ``kernel_id``'s process at ``nice`` relative to the server's own priority.
        Raising a priority again needs the right to (root, ``CAP_SYS_NICE`` or a
        ``RLIMIT_NICE``); without it, a page's kernel keeps the pool's lower priority,
        which every page's kernel then shares (the server passing their messages stays
        above them all)."""
        process = getattr(getattr(self.get_kernel(kernel_id), "provisioner", None), "process", None)
        pid = getattr(process, "pid", None)
        if pid is None:
            return
        with contextlib.suppress(psutil.Error, OSError):
            psutil.Process(pid).nice(os.getpriority(os.PRIO_PROCESS, 0) + nice)

    # --- freeing closed pages -------------------------------------------------------------
    def notify_connect(self, kernel_id: str) -> None:
        super().notify_connect(kernel_id)  # type: ignore[no-untyped-call]
        self._alone_since.pop(kernel_id, None)
        self._opened.add(kernel_id)

    def notify_disconnect(self, kernel_id: str) -> None:
        super().notify_disconnect(kernel_id)  # type: ignore[no-untyped-call]
        if self._kernel_connections.get(kernel_id, 0) <= 0 and kernel_id not in self._warm:
            self._alone_since[kernel_id] = _now()
            IOLoop.current().call_later(self.closed_timeout + 0.5, self._check_closed, kernel_id)

    def _check_closed(self, kernel_id: str) -> None:
        if kernel_id in self:
            IOLoop.current().add_callback(self._cull_if_closed, kernel_id)

    async def _cull_if_closed(self, kernel_id: str) -> bool:
        """Shut the kernel down if no page is connected to it and it has been quiet (no
        message from it) for ``closed_timeout`` seconds since its page closed, or for
        ``unopened_factor`` times that when no page ever connected (a plain HTTP GET, or a
        page that never loaded) once its page is rendered; whether it was. A page still
        being rendered keeps its kernel busy (on a loaded machine that can take minutes),
        so a never-opened page's kernel is kept while it is busy; a closed page's kernel
        is not."""
        since = self._alone_since.get(kernel_id)
        if since is None or kernel_id in self._warm or kernel_id not in self:
            return False
        kernel = self.get_kernel(kernel_id)
        rendering = getattr(kernel, "execution_state", "") in ("busy", "starting")
        if rendering and kernel_id not in self._opened:
            return False
        quiet = max(since, getattr(kernel, "last_activity", since))
        limit = self.closed_timeout * (1 if kernel_id in self._opened else self.unopened_factor)
        if (_now() - quiet).total_seconds() < limit:
            return False
        state = "closed" if kernel_id in self._opened else "never opened"
        self.log.info("Shutting down kernel %s: its page is %s", kernel_id, state)
        await self.shutdown_kernel(kernel_id)
        return True

    async def cull_kernel_if_idle(self, kernel_id: str) -> None:
        if kernel_id in self._warm:
            return  # the preheated kernel waits for the next page
        if not await self._cull_if_closed(kernel_id):
            await super().cull_kernel_if_idle(kernel_id)  # type: ignore[no-untyped-call]

    async def shutdown_kernel(  # type: ignore[override]
        self, kernel_id: str, *args: Any, **kwargs: Any
    ) -> None:
        self._alone_since.pop(kernel_id, None)
        self._warm.discard(kernel_id)
        self._opened.discard(kernel_id)
        await super().shutdown_kernel(kernel_id, *args, **kwargs)  # type: ignore[no-untyped-call]


class SafeChannels(ZMQChannelsWebsocketConnection):
    """The kernel-to-browser channel, without stream output, errors and failed replies:
    a traceback (and the server paths in it) never reaches the page."""

    def _withheld(self, outgoing_msg: list[Any]) -> bool:
        try:
            _, parts = self.session.feed_identities(outgoing_msg)
            header = self.session.unpack(parts[1])
            kind = str(header.get("msg_type", ""))
            if kind in ("stream", "error"):
                return True
            if kind.endswith("_reply"):
                content = self.session.unpack(parts[4])
                return content.get("status") == "error" or "traceback" in content
        except Exception:
            return True  # a message we cannot read is not passed on
        return False

    def handle_outgoing_message(self, stream: str, outgoing_msg: list[Any]) -> None:
        if self._withheld(outgoing_msg):
            self.log.debug("Kept on the server: a %s message for the page", stream)
            return
        super().handle_outgoing_message(stream, outgoing_msg)


class DashboardPageHandler(TornadoVoilaHandler):  # type: ignore[misc]
    """Voilà's page handler; a page beyond the cap gets :func:`full_page` (503)."""

    @authenticated
    async def get(self, path: str | None = None) -> None:
        try:
            async for snippet in self.get_generator(path=path):
                self.write(snippet)
                self.flush()
        except DashboardFull as full:
            if self._headers_written:
                raise
            self.set_status(503)
            self.set_header("Retry-After", "60")
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(full_page(full.limit))


class DashboardVoila(Voila):  # type: ignore[misc]
    """Voilà with the page template of :data:`TEMPLATE_DIR` first, the capped page
    handler, and a watch on the process that started it (``PIPEREVIEW_SERVE_PARENT``)."""

    def setup_template_dirs(self) -> None:
        super().setup_template_dirs()
        self.template_paths.insert(0, str(TEMPLATE_DIR))

    def init_handlers(self) -> list[Any]:
        handlers: list[Any] = super().init_handlers()
        return [
            (spec[0], DashboardPageHandler, *spec[2:]) if spec[1] is TornadoVoilaHandler else spec
            for spec in handlers
        ]

    def start(self) -> None:
        parent = os.environ.get(PARENT_VARIABLE)
        if parent and parent.isdigit():
            PeriodicCallback(self._watch_parent(int(parent)), 2000).start()
        super().start()

    def _watch_parent(self, parent: int) -> Callable[[], None]:
        def check() -> None:
            if os.getppid() != parent:
                self.log.warning("pipereview serve is gone: stopping")
                IOLoop.current().stop()

        return check


def _stop_children(grace: float = 5.0) -> None:
    """Stop what this process started and left running (a kernel Voilà did not stop)."""
    children = psutil.Process().children(recursive=True)
    for child in children:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.terminate()
    _, alive = psutil.wait_procs(children, timeout=grace)
    for child in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()


def main(argv: list[str] | None = None) -> None:
    """Run :class:`DashboardVoila` with ``argv`` (Voilà's command line) until it stops."""
    try:
        DashboardVoila.launch_instance(argv=sys.argv[1:] if argv is None else argv)
    finally:
        _stop_children()


if __name__ == "__main__":  # run the module's own classes, not copies made for __main__
    from pipereview.dashboard.server import main as run

    run()
