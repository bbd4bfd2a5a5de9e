"""The nursery process itself (see :mod:`pipereview.delivery._nursery` for the batch's
side): it imports the review's modules, forks the chart server, then forks a kernel for
each request and reports how each ended. A forked child becomes an ordinary ipykernel:
a session of its own, the environment and folder it was given, signals as a launched
kernel has them; it never returns into the nursery's loop.

>>> _reap(set())
[]
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import select
import shutil
import signal
import socket
import sys
from typing import Any

__all__: list[str] = []  # the batch's own, not the package's API

#: what an ipykernel imports as it starts (its debugger's support, the largest; the shell's
#: history, completer and inspector, tornado's queues), imported once here: no thread is
#: started by any of them
KERNEL_MODULES = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.debugger",
    "IPython.core.completerlib",
    "IPython.core.debugger",
    "IPython.core.logger",
    "IPython.core.oinspect",
    "IPython.extensions.storemagic",
    "sqlite3",
    "tornado.gen",
    "tornado.locks",
    "tornado.platform.asyncio",
    "tornado.queues",
)


def serve(fd: int) -> None:
    """The nursery process: import the modules named in ``sys.argv[1]``, start the chart
    server on the socket path in ``sys.argv[2]`` (when there is one), say so, then fork a
    kernel for each request read from the socket ``fd`` and report how each ended, until
    the socket closes."""
    for name in [*json.loads(sys.argv[1]), *KERNEL_MODULES]:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    from pipereview.charts._chartserver import CHART_SERVER_ENV

    charts = _start_chart_server(sys.argv[2]) if sys.argv[2:3] != [""] else None
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    channel = socket.socket(fileno=fd)
    children: set[int] = set()
    pending = b""

    def say(message: dict[str, Any]) -> None:
        channel.sendall(json.dumps(message).encode() + b"\n")

    say({"ready": True})
    while True:
        readable = select.select([channel.fileno(), wake_read], [], [])[0]
        if wake_read in readable:
            os.read(wake_read, 512)
            for pid, code in _reap(children):
                say({"ended": pid, "code": code})
        if channel.fileno() in readable:
            chunk = channel.recv(65536)
            if not chunk:
                break
            pending += chunk
            *requests, pending = pending.split(b"\n")
            for request in requests:
                asked = json.loads(request)
                if charts is not None:
                    asked["env"][CHART_SERVER_ENV] = charts[1]
                pid = os.fork()
                if pid == 0:
                    _become_kernel(asked["argv"], asked["env"], asked["cwd"])
                children.add(pid)
                say({"forked": asked["fork"], "pid": pid})
    _end_orphans(children, charts)
    os._exit(0)  # nothing to flush or finalise: tearing the imports down would take longer


def _start_chart_server(path: str) -> tuple[int, str]:
    """A child drawing every kernel's charts with one chart engine, listening at ``path``
    (in a private folder): its pid and socket."""
    from pipereview.charts._chartserver import serve_charts

    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.closerange(3, 1 << 16)  # the batch's socket: the server answers kernels only
            serve_charts(path, warm=_draw_one)
            code = 0
        finally:
            os._exit(code)
    return pid, path


def _draw_one() -> None:
    """One tiny chart, drawn as a kernel draws: the engine and its Vega-Lite start."""
    import altair as alt
    import pandas as pd

    from pipereview.charts import to_svg

    to_svg(alt.Chart(pd.DataFrame({"a": [1]})).mark_point().encode(x="a:Q"))


def _reap(children: set[int]) -> list[tuple[int, int]]:
    """The kernels that ended since last asked, with their exit codes (the chart server
    is reaped too, unreported)."""
    ended = []
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
        if pid in children:
            children.discard(pid)
            ended.append((pid, os.waitstatus_to_exitcode(status)))
    return ended


def _end_orphans(children: set[int], charts: tuple[int, str] | None) -> None:
    """The batch is gone or done: kill what is left of the kernels forked here (with
    their sessions) and the chart server, and remove its socket's folder."""
    for pid in children:
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
    if charts is not None:
        with contextlib.suppress(OSError):
            os.kill(charts[0], signal.SIGKILL)
        shutil.rmtree(os.path.dirname(charts[1]), ignore_errors=True)
    for pid in [*children, *(charts[:1] if charts else ())]:
        with contextlib.suppress(OSError):
            os.waitpid(pid, 0)


def _become_kernel(argv: list[str], env: dict[str, str], cwd: str | None) -> None:
    """In a forked child: become the kernel that ``argv`` describes; never return."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the one handler the nursery set
        os.closerange(3, 1 << 16)  # the nursery's socket and wake-up pipe
        os.setsid()
        if cwd:
            os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        sys.argv = list(argv)
        if sys.path and sys.path[0] in ("", os.getcwd()):
            del sys.path[0]  # as ipykernel_launcher does; IPython puts it back
        from ipykernel import kernelapp

        # ipykernel read the environment when it was imported, in the nursery: the
        # process to watch and leave with is the batch's, as a launched kernel's is
        parent = int(env.get("JPY_PARENT_PID") or 0)
        kernelapp.IPKernelApp.launch_instance(parent_handle=parent)
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)
