"""Kernels forked from a process that has done the review's imports once.

Every team still gets a fresh kernel process of its own. The batch starts one *nursery*
process per run. It imports the review's heavy modules (pandas, pipereview, altair,
vl-convert's module, IPython and ipykernel: ~1.2 s of CPU) and then only forks.

- **What a child is.** A child becomes an ordinary ipykernel: a session of its own (its
  process group is killed by a team's wall-clock limit), the environment and folder the
  kernel manager asked for, its connection file.
- **What a child holds.** Nothing any team did. The nursery runs no team's code and
  starts no thread (a fork would not carry them).
- **Where a child draws its charts.** The nursery's first child is a chart server
  (:mod:`pipereview.charts._chartserver`): one vl-convert engine (~0.35 s of CPU to
  start) for every kernel, which would otherwise start one each. A kernel finds it
  through ``PIPEREVIEW_CHART_SERVER``; the SVG is the same as the kernel's own.
- **What a child saves.** The imports its team's kernel would otherwise pay again, and
  the CPU that the other teams' cells need on a small machine.

Only a command that runs this very interpreter's ``ipykernel_launcher`` is forked.
Anything else (a kernel spec naming another Python or other options before ``-f``), a
machine without ``fork`` (only Linux is used), or a nursery that failed or died:
the kernel is launched as a new process, as without a nursery.

The nursery reports each child's end (exit status, or the signal that killed it), so a
kernel killed by the out-of-memory killer reads the same as one launched directly.
When the batch's process goes away, the nursery kills the kernels it forked and ends.

>>> forkable([sys.executable, "-m", "ipykernel_launcher", "-f", "kernel-1.json"])[1:]
['-f', 'kernel-1.json']
>>> forkable(["/opt/other/python", "-m", "ipykernel_launcher", "-f", "kernel-1.json"])
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import Any

__all__: list[str] = []  # the batch's own, not the package's API

#: how long a kernel waits for the nursery's imports, and then for a fork, before it is
#: launched as a new process instead
NURSERY_WAIT_S = 120.0
#: set in the environment of the nursery and of every kernel: the debugger ipykernel
#: imports would otherwise print a warning about frozen modules on the user's terminal
QUIET_KERNEL_ENV: dict[str, str] = {"PYDEVD_DISABLE_FILE_VALIDATION": "1"}


def can_fork() -> bool:
    """Whether kernels may be forked here: Linux only (elsewhere forking a process that
    has imported native libraries is not safe enough to rely on)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def forkable(cmd: Sequence[str]) -> list[str] | None:
    """The kernel's ``sys.argv`` when ``cmd`` runs this interpreter's
    ``ipykernel_launcher`` (what a forked child can become), else None."""
    if len(cmd) < 3 or list(cmd[1:3]) != ["-m", "ipykernel_launcher"]:
        return None
    try:
        same = os.path.samefile(cmd[0], sys.executable)
        launcher = importlib.util.find_spec("ipykernel_launcher")
    except (OSError, ImportError, ValueError):
        return None
    if not same or launcher is None or not launcher.origin:
        return None
    return [launcher.origin, *cmd[3:]]  # what ``python -m`` puts in sys.argv


class ForkedKernel:
    """A kernel process forked by the nursery, seen as a :class:`subprocess.Popen` is
    (what jupyter_client's local provisioner uses): ``pid``, ``poll``, ``wait``,
    ``send_signal``, ``terminate``, ``kill``. Its ``returncode`` is the nursery's report:
    the exit status, or minus the signal that killed it."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, nursery: Nursery) -> None:
        self.pid = pid
        self.returncode: int | None = None
        #: True when it ended after the nursery was gone: no one could tell how
        self.ended_unseen = False
        self._nursery = nursery
        self._ended = threading.Event()

    def _end(self, code: int) -> None:
        self.returncode = code
        self._ended.set()

    def poll(self) -> int | None:
        if not self._ended.is_set() and self._nursery.gone.is_set():
            # no report will come: the process was handed to the system to reap
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.ended_unseen = True
                self._end(-signal.SIGKILL)
            except OSError:
                pass
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        waited = 0.0
        while True:
            code = self.poll()
            if code is not None:
                return code
            if timeout is not None and waited >= timeout:
                raise subprocess.TimeoutExpired(["kernel", str(self.pid)], timeout)
            self._ended.wait(0.1)
            waited += 0.1

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:  # never a process that reused the pid of an ended one
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class Nursery:
    """The batch's side of the nursery process: started at once (its imports run while
    the batch reads the history), then :meth:`fork` hands out kernels, :meth:`close`
    ends it."""

    def __init__(self, modules: Sequence[str], charts: str | None = None) -> None:
        self.gone = threading.Event()
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._replies: dict[int, Any] = {}
        self._answered: dict[int, threading.Event] = {}
        self._children: dict[int, ForkedKernel] = {}
        self._ended: dict[int, int] = {}  # reported before its fork's reply was read
        self._next = 0
        self._charts = charts
        ours, theirs = socket.socketpair()
        code = f"from pipereview.delivery._nurseryprocess import serve; serve({theirs.fileno()})"
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-c", code, json.dumps(list(modules)), charts or ""],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                env={**os.environ, **QUIET_KERNEL_ENV},
            )
        finally:
            theirs.close()
        self._socket = ours
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            for line in self._socket.makefile("rb"):
                self._take(json.loads(line))
        except (OSError, ValueError):
            pass
        finally:
            self.gone.set()
            self._ready.set()
            for event in list(self._answered.values()):
                event.set()

    def _take(self, message: dict[str, Any]) -> None:
        if "ready" in message:
            self._ready.set()
        elif "forked" in message:
            with self._lock:
                self._replies[message["forked"]] = message.get("pid")
                answered = self._answered.get(message["forked"])
            if answered is not None:
                answered.set()
        elif "ended" in message:
            with self._lock:
                child = self._children.pop(message["ended"], None)
                if child is None:
                    self._ended[message["ended"]] = message["code"]
            if child is not None:
                child._end(message["code"])

    def fork(self, argv: list[str], env: dict[str, str], cwd: str | None) -> ForkedKernel | None:
        """A kernel forked with ``argv``, ``env`` and ``cwd``; None when the nursery is not
        ready within :data:`NURSERY_WAIT_S` or is gone (launch the kernel instead)."""
        if not self._ready.wait(NURSERY_WAIT_S) or self.gone.is_set():
            return None
        with self._lock:
            self._next += 1
            ask = self._next
            self._answered[ask] = threading.Event()
        request = {"fork": ask, "argv": argv, "env": env, "cwd": cwd}
        try:
            with self._lock:
                self._socket.sendall(json.dumps(request).encode() + b"\n")
        except OSError:
            return None
        self._answered[ask].wait(NURSERY_WAIT_S)
        with self._lock:
            pid = self._replies.pop(ask, None)
            self._answered.pop(ask, None)
            if pid is None:
                return None
            child = ForkedKernel(pid, self)
            if pid in self._ended:
                child._end(self._ended.pop(pid))
            else:
                self._children[pid] = child
        return child

    def close(self) -> None:
        """End the nursery (it kills any kernel of its own still running) and wait."""
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._reader.join(timeout=5)
        self._socket.close()
        if self._charts:  # the nursery removes it; not when it was killed
            shutil.rmtree(os.path.dirname(self._charts), ignore_errors=True)


def provisioner_for(manager: Any, nursery: Nursery) -> Any:
    """A local provisioner for ``manager`` that forks its kernel from ``nursery`` when it
    can (set as ``manager.provisioner`` before the kernel starts)."""
    from jupyter_client.provisioning.local_provisioner import LocalProvisioner

    class NurseryProvisioner(LocalProvisioner):
        async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
            argv = forkable([os.path.expanduser(part) for part in cmd])
            env = dict(kwargs.get("env") or os.environ)
            if not kwargs.get("independent"):  # as jupyter_client's launcher does
                env["JPY_PARENT_PID"] = str(os.getpid())
            cwd = kwargs.get("cwd")
            child = nursery.fork(argv, env, str(cwd) if cwd else None) if argv else None
            if child is None:
                return await super().launch_kernel(cmd, **kwargs)
            self.process = child  # type: ignore[assignment]  # a Popen in all it is used for
            self.pid = self.pgid = child.pid  # the child leads a session of its own
            self.cwd = cwd or os.getcwd()
            return self.connection_info

        async def kill(self, restart: bool = False) -> None:
            await super().kill(restart)
            # the manager then polls every 0.1 s; the nursery reports a killed kernel's
            # end within milliseconds, so the first poll finds it ended
            child = self.process
            for _ in range(200):
                if not isinstance(child, ForkedKernel) or child.poll() is not None:
                    return
                await asyncio.sleep(0.005)

    return NurseryProvisioner(
        kernel_id=manager.kernel_id, kernel_spec=manager.kernel_spec, parent=manager
    )
