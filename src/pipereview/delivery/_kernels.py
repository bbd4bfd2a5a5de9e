"""The kernels a team's notebook runs on: started ahead of the teams that use them
(:class:`KernelPool`), shut down with their clients' channels, killed with their whole
process group when a team's wall-clock limit passes (:class:`Deadline`), and how a dead
one ended.

>>> deadline = Deadline(None)  # no limit: it never expires
>>> deadline.expired.is_set(), exit_status(None)
(False, '')
>>> KernelPool(0, ahead=2).close()  # no team, no kernel started
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import socket
import stat
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from pipereview.delivery._nursery import (
    QUIET_KERNEL_ENV,
    ForkedKernel,
    Nursery,
    can_fork,
    provisioner_for,
)

__all__: list[str] = []  # the team runs' and the batch's own, not the package's API


def exit_status(manager: Any) -> str:
    """How a dead kernel process ended, e.g. ``killed by signal 9 (SIGKILL)``."""
    process = getattr(getattr(manager, "provisioner", None), "process", None)
    code = process.poll() if process is not None else None
    if code is None:
        return ""
    if getattr(process, "ended_unseen", False):
        return " (how it ended is unknown: the process that forked it had ended first)"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = ""
        hint = "; the out-of-memory killer sends this" if -code == signal.SIGKILL else ""
        return f" (killed by signal {-code}{f', {name}' if name else ''}{hint})"
    return f" (exit status {code})"


class Deadline:
    """A team's wall-clock limit: when it passes, the kernel being watched is killed with
    its whole process group (what the notebook started dies with it)."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.expired = threading.Event()
        self._lock = threading.Lock()
        self._manager: Any = None
        self._timer = threading.Timer(seconds, self._expire) if seconds else None
        if self._timer is not None:
            self._timer.daemon = True
            self._timer.start()

    def watch(self, manager: Any) -> None:
        with self._lock:
            self._manager = manager
            if manager is not None and self.expired.is_set():
                _kill_kernel(manager)

    def _expire(self) -> None:
        with self._lock:
            self.expired.set()
            if self._manager is not None:
                _kill_kernel(self._manager)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


def _kill_kernel(manager: Any) -> None:
    """SIGKILL the kernel's process group (the kernel is its session leader), or the
    kernel process where there are no process groups. Safe from any thread: it only
    sends a signal; the kernel's client then sees it dead."""
    provisioner = getattr(manager, "provisioner", None)
    pgid = getattr(provisioner, "pgid", None)
    process = getattr(provisioner, "process", None)
    try:
        if pgid and hasattr(os, "killpg"):
            os.killpg(pgid, signal.SIGKILL)
        elif process is not None:
            process.kill()
    except OSError:
        pass  # gone already


# a Unix socket's path holds at most 107 bytes; the longest the kernel's end is "-99999"
_SOCKET_PATH_ROOM = 100
_SOCKET_FOLDER = "pipereview-kernel-"
# a socket folder this old where no socket answers belongs to a kernel that is gone (its
# process killed with the Dask worker that ran it, so nobody removed the folder)
STALE_SOCKET_FOLDER_S = 600


def remove_stale_socket_folders(now: float | None = None) -> list[Path]:
    """Remove this user's kernel socket folders older than :data:`STALE_SOCKET_FOLDER_S`
    in which no socket accepts a connection, and return them. A live kernel's folder is
    never touched: one of its sockets answers, or it is younger than the limit."""
    removed = []
    now = time.time() if now is None else now
    for folder in Path(tempfile.gettempdir()).glob(f"{_SOCKET_FOLDER}*"):
        try:
            info = folder.lstat()
            if (
                not stat.S_ISDIR(info.st_mode)
                or info.st_uid != os.getuid()
                or now - info.st_mtime < STALE_SOCKET_FOLDER_S
                or any(_answers(path) for path in folder.iterdir())
            ):
                continue
            shutil.rmtree(folder)
        except OSError:
            continue  # removed meanwhile, or not ours to read
        removed.append(folder)
    return removed


def _answers(path: Path) -> bool:
    """Whether something listens on the Unix socket at ``path``."""
    if not stat.S_ISSOCK(path.lstat().st_mode):
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def kernel_address() -> dict[str, str]:
    """Where a kernel started here listens: on POSIX, Unix sockets in a private folder of
    its own. TCP ports are picked free and released before the kernel binds them, so two
    processes starting kernels at once (two Dask workers, a batch beside the dashboard)
    can pick the same port and one kernel dies at start; a socket path in a folder no
    other kernel uses cannot collide. Elsewhere, or where the temporary folder's path is
    too long for a socket, TCP on loopback.

    >>> address = kernel_address()
    >>> sorted(address) == ["ip", "transport"]
    True
    """
    if os.name == "posix":
        remove_stale_socket_folders()
        folder = tempfile.mkdtemp(prefix=_SOCKET_FOLDER)
        path = os.path.join(folder, "k")
        if len(path.encode()) <= _SOCKET_PATH_ROOM:
            return {"transport": "ipc", "ip": path}
        os.rmdir(folder)
    return {"transport": "tcp", "ip": "127.0.0.1"}


def start_kernel(nursery: Nursery | None = None) -> Any:
    """A started python3 kernel, listening where :func:`kernel_address` says, forked from
    ``nursery`` when given and able. Its manager is synchronous (any thread may start or
    shut it down), its clients asynchronous: with a blocking client nbclient waits for
    output without a timeout, so neither a cell limit nor a dead kernel would ever be
    noticed. They are :class:`~pipereview.delivery._kernelclient.BatchKernelClient`:
    ready once the kernel's answer has come through, without 0.2 s of silence first."""
    from jupyter_client.manager import KernelManager

    address = kernel_address()
    manager: Any = KernelManager(
        kernel_name="python3",
        client_class="pipereview.delivery._kernelclient.BatchKernelClient",
        **address,
    )
    if nursery is not None:
        manager.kernel_id = str(uuid.uuid4())
        manager.provisioner = provisioner_for(manager, nursery)
    try:
        manager.start_kernel(env={**os.environ, **QUIET_KERNEL_ENV})
    except BaseException:
        _remove_socket_folder(manager)
        raise
    clients: list[Any] = []
    make_client = manager.client

    def client(**kwargs: Any) -> Any:  # kept, to be closed with the kernel
        made = make_client(**kwargs)
        clients.append(made)
        return made

    manager.client = client
    manager.pipereview_clients = clients
    return manager


def _remove_socket_folder(manager: Any) -> None:
    """Remove the private folder of an ipc kernel's sockets (the sockets first)."""
    if getattr(manager, "transport", "tcp") != "ipc":
        return
    folder = os.path.dirname(manager.ip)
    if os.path.basename(folder).startswith(_SOCKET_FOLDER):
        shutil.rmtree(folder, ignore_errors=True)


def shutdown_kernel(manager: Any) -> None:
    """Shut the kernel down and close the channels of its clients (nbclient leaves them
    open on a kernel it did not start)."""
    try:
        manager.shutdown_kernel(now=True)
    finally:
        for client in getattr(manager, "pipereview_clients", []):
            client.stop_channels()
        _remove_socket_folder(manager)


#: What a kernel started ahead imports while it waits for its team: the weekly review's
#: first cell (pandas, pipereview with its review and charts, altair) and what its sections
#: import on first use (vl-convert with its JavaScript engine, whose first chart costs
#: ~1.3 s). The team's notebook then finds them in ``sys.modules``; each team still has
#: a fresh kernel of its own. scipy's assignment solver (~0.3 s to import) is left out:
#: matching imports it only for a deal with several fuzzy candidates, which most weeks
#: have none of.
WARM_MODULES = (
    "pandas",
    "pipereview",
    "pipereview.charts",
    "pipereview.delivery._review",
    "vl_convert",
)

# run outside the history (the notebook's first cell is still [1]) before any notebook's
# client connects (nothing of it reaches a notebook; ipykernel's silent mode skips the
# code): imports only, and one tiny chart drawn so that vl-convert's engine is up; no name
# is left behind
WARM_UP_CODE = f"""\
def _pipereview_warm_up():
    import importlib
    for name in {WARM_MODULES!r}:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    try:
        from pipereview.charts._render import _spec_to_svg
        _spec_to_svg({{"data": {{"values": [{{"a": 1}}]}}, "mark": "point"}})
    except Exception:
        pass
_pipereview_warm_up()
del _pipereview_warm_up
"""
WARM_UP_TIMEOUT_S = 120


def warm_up(manager: Any, timeout: float = WARM_UP_TIMEOUT_S) -> bool:
    """Run :data:`WARM_UP_CODE` in the started kernel of ``manager`` and wait for it;
    whether it finished. A kernel that did not warm up is still usable: its notebook
    imports what it needs itself."""
    from jupyter_client.blocking.client import BlockingKernelClient

    client = BlockingKernelClient()
    client.load_connection_info(manager.get_connection_info())
    client.start_channels()
    try:
        client.wait_for_ready(timeout=timeout)
        reply = client.execute_interactive(
            WARM_UP_CODE,
            store_history=False,
            timeout=timeout,
            output_hook=lambda message: None,  # nothing of it is shown anywhere
        )
        return bool(reply["content"]["status"] == "ok")
    except Exception:  # a timeout, a kernel gone: the team imports for itself
        return False
    finally:
        client.stop_channels()


class KernelPool:
    """Kernels started ahead of the teams that use them, ``ahead`` at a time: while a team
    runs, the next team's kernel starts and imports :data:`WARM_MODULES` (when ``warm``),
    so kernel start-up and the heavy imports leave the teams' path. Where kernels can be
    forked, a warm pool forks them from a :class:`~pipereview.delivery._nursery.Nursery`
    that has done those imports once, so each kernel starts with them done and is not
    warmed up (its charts are drawn by the nursery's one chart server). Every kernel
    serves one team only: :meth:`take` hands each out once."""

    def __init__(self, teams: int, *, ahead: int, warm: bool = True) -> None:
        self._warm = warm
        self._ready: queue.Queue[Any] = queue.Queue()
        self._lock = threading.Lock()
        self._to_start = teams
        self._threads: list[threading.Thread] = []
        self._nursery: Nursery | None = None
        if warm and teams > 0 and can_fork():
            address = kernel_address()  # a private folder for the one chart server
            charts = address["ip"] + "-chart" if address["transport"] == "ipc" else None
            try:
                self._nursery = Nursery(WARM_MODULES, charts)
            except OSError:  # kernels are then launched as new processes
                self._nursery = None
                if charts:
                    shutil.rmtree(os.path.dirname(charts), ignore_errors=True)
        for _ in range(min(ahead, teams)):
            self._start_one()

    def _start_one(self) -> None:
        with self._lock:
            if self._to_start <= 0:
                return
            self._to_start -= 1
        thread = threading.Thread(target=self._start, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _start(self) -> None:
        try:
            manager = start_kernel(self._nursery)
        except Exception:  # the team then starts its own kernel, as without a pool
            self._ready.put(None)
            return
        forked = isinstance(getattr(manager.provisioner, "process", None), ForkedKernel)
        if self._warm and not forked:  # a forked kernel has the imports, the server draws
            warm_up(manager)
        self._ready.put(manager)

    def take(self) -> Any:
        """A started kernel manager (or None), and the next team's kernel set starting."""
        manager = self._ready.get()
        self._start_one()
        return manager

    def close(self) -> None:
        """Shut down the kernels no team took (a batch stopped early), then the nursery."""
        for thread in self._threads:
            thread.join()
        while not self._ready.empty():
            manager = self._ready.get_nowait()
            if manager is not None:
                shutdown_kernel(manager)
        if self._nursery is not None:
            self._nursery.close()
