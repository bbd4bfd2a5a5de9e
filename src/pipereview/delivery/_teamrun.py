"""Running one team's notebook: kernels started ahead, the per-cell and per-team limits,
and every way a run can end (ok, error, timed out, kernel died, worker lost, disk full,
incomplete), recorded in a :class:`TeamRun`. :mod:`pipereview.delivery._batch` runs many of these.
"""

from __future__ import annotations

import errno
import json
import os
import queue
import re
import secrets
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["EXPECTED", "Task", "TeamRun"]

_KERNEL_START = ("Kernel didn't respond", "Address already in use", "Kernel died before replying")


_CELL_LINE = re.compile(r"Cell In\[\d+\], line (\d+)")


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


#: What a complete team folder holds (a team lacking one of them is never ``ok``).
EXPECTED = ("review.ipynb", "review.html", "headline.json")


_REMOTE = re.compile(r"""<(script|link)\b[^>]*\b(?:src|href)=["']https?://[^>]*>(?:\s*</script>)?""",
                     re.IGNORECASE)


@dataclass(frozen=True)
class TeamRun:
    """One team's execution: ``status`` is ``ok`` or ``failed`` (with ``reason``, one of
    ``error``, ``timed out``, ``kernel died``, ``worker lost``, ``disk full``,
    ``incomplete``, and ``error``, what happened and in which cell)."""

    team: str
    folder: str
    status: str
    duration_s: float
    attempts: int
    error: str = ""
    reason: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    headline: dict[str, Any] = field(default_factory=dict)
    fingerprint: str = ""
    resumed: bool = False


def _strip_remote(page: str) -> str:
    """The report with every remote script or stylesheet removed (it must open offline)."""
    return _REMOTE.sub("", page)


_EXPORT_LOCK = threading.Lock()


_EXPORTERS: list[Any] = []


def notebook_exporter() -> Any:
    """One HTML exporter per process, built once (importing nbconvert and loading its
    templates costs ~2 s; each export after that ~0.5 s)."""
    with _EXPORT_LOCK:
        if not _EXPORTERS:
            from nbconvert import HTMLExporter

            _EXPORTERS.append(HTMLExporter(  # type: ignore[no-untyped-call]
                exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True))
        return _EXPORTERS[0]


def write_text_file(path: Path, text: str) -> None:
    """Write ``path`` whole or not at all: a temporary file beside it, renamed over it (a
    full disk leaves no truncated report behind)."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _export_html(notebook: Path, target: Path) -> None:
    import nbformat

    node = nbformat.read(notebook, as_version=4)  # type: ignore[no-untyped-call]
    exporter = notebook_exporter()
    with _EXPORT_LOCK:  # one exporter, used by one thread at a time
        body, _ = exporter.from_notebook_node(node)
    write_text_file(target, _strip_remote(body))


def _disk_full(error: BaseException) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno == errno.ENOSPC:
            return True
        seen = seen.__cause__ or seen.__context__
    return "No space left on device" in str(getattr(error, "evalue", ""))


def _running_cell(executed: Path) -> int | None:
    """The cell (counted from 1, as in the executed notebook) that was running when the
    run stopped: the last one papermill started."""
    try:
        cells = json.loads(executed.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    started = [i for i, cell in enumerate(cells)
               if cell.get("metadata", {}).get("papermill", {}).get("start_time")]
    return started[-1] + 1 if started else None


def _where(cell: int | None) -> str:
    return f" in cell {cell} of review.ipynb" if cell else ""


def _exit_status(manager: Any) -> str:
    """How a dead kernel process ended, e.g. ``killed by signal 9 (SIGKILL)``."""
    process = getattr(getattr(manager, "provisioner", None), "process", None)
    code = process.poll() if process is not None else None
    if code is None:
        return ""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = ""
        hint = "; the out-of-memory killer sends this" if -code == signal.SIGKILL else ""
        return f" (killed by signal {-code}{f', {name}' if name else ''}{hint})"
    return f" (exit status {code})"


def _error_summary(error: BaseException) -> str:
    """``Name: message (cell N of review.ipynb, line L: the line)`` for an exception a cell
    raised (papermill's error carries the cell), ``Name: message`` otherwise."""
    name = getattr(error, "ename", type(error).__name__)
    value = getattr(error, "evalue", str(error))
    index = getattr(error, "cell_index", None)
    if index is None:
        return f"{name}: {value}".strip()
    where = f"cell {index + 1} of review.ipynb"
    lines = _CELL_LINE.findall(_ANSI.sub("", "\n".join(getattr(error, "traceback", []))))
    source = str(getattr(error, "source", "")).splitlines()
    if lines and 0 < int(lines[-1]) <= len(source):
        where += f", line {lines[-1]}: {source[int(lines[-1]) - 1].strip()[:120]}"
    return f"{name}: {value} ({where})".strip()


def missing_outputs(folder: Path) -> list[str]:
    """The expected files of a team folder that are absent, empty or unreadable."""
    missing = []
    for name in EXPECTED:
        path = folder / name
        if path.is_symlink() or not path.is_file() or path.stat().st_size == 0:
            missing.append(name)
        elif name.endswith((".json", ".ipynb")):
            try:
                if not isinstance(json.loads(path.read_text(encoding="utf-8")), dict):
                    missing.append(name)
            except (OSError, ValueError):
                missing.append(name)
    return missing


Task = tuple[Path, str, Path, dict[str, Any], int, float | None]


def lost_run(task: Task, error: BaseException, started: float) -> TeamRun:
    """The run of a team whose execution never reported back (its Dask worker died, the
    cluster went away, or a fault outside the notebook)."""
    killed = type(error).__name__ == "KilledWorker"
    tried = re.search(r"on (\d+) different workers", str(error))
    message = (f"worker lost: every Dask worker that ran this team died while running it "
               f"({tried.group(1) if tried else 'several'} tried; the cluster's "
               f"distributed.scheduler.allowed-failures)" if killed
               else _error_summary(error))
    return TeamRun(team=task[1], folder=task[2].name, status="failed",
                   duration_s=round(time.perf_counter() - started, 2),
                   attempts=int(tried.group(1)) if tried else 1, error=message,
                   reason="worker lost" if killed else "error")


class _Deadline:
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


def _start_kernel() -> Any:
    """A started python3 kernel. Its manager is synchronous (any thread may start or shut
    it down), its clients asynchronous: with a blocking client nbclient waits for output
    without a timeout, so neither a cell limit nor a dead kernel would ever be noticed."""
    from jupyter_client.manager import KernelManager

    manager: Any = KernelManager(kernel_name="python3",
                                 client_class="jupyter_client.asynchronous.AsyncKernelClient")
    manager.start_kernel()
    clients: list[Any] = []
    make_client = manager.client

    def client(**kwargs: Any) -> Any:  # kept, to be closed with the kernel
        made = make_client(**kwargs)
        clients.append(made)
        return made

    manager.client = client
    manager.pipereview_clients = clients
    return manager


def _shutdown(manager: Any) -> None:
    """Shut the kernel down and close the channels of its clients (nbclient leaves them
    open on a kernel it did not start)."""
    manager.shutdown_kernel(now=True)
    for client in getattr(manager, "pipereview_clients", []):
        client.stop_channels()


class KernelPool:
    """Kernels started ahead of the teams that use them, ``ahead`` at a time: while a team
    runs, the next team's kernel starts, so kernel start-up leaves the teams' path."""

    def __init__(self, teams: int, *, ahead: int) -> None:
        self._ready: queue.Queue[Any] = queue.Queue()
        self._lock = threading.Lock()
        self._to_start = teams
        self._threads: list[threading.Thread] = []
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
            self._ready.put(_start_kernel())
        except Exception:  # the team then starts its own kernel, as without a pool
            self._ready.put(None)

    def take(self) -> Any:
        """A started kernel manager (or None), and the next team's kernel set starting."""
        manager = self._ready.get()
        self._start_one()
        return manager

    def close(self) -> None:
        """Shut down the kernels no team took (a batch stopped early)."""
        for thread in self._threads:
            thread.join()
        while not self._ready.empty():
            manager = self._ready.get_nowait()
            if manager is not None:
                _shutdown(manager)


def _literal(path: Path) -> str:
    """``path`` as papermill's ``str.format`` reads it back unchanged."""
    return str(path).replace("{", "{{").replace("}", "}}")


def run_team(notebook: Path, team: str, folder: Path, parameters: dict[str, Any],
              timeout: int, team_timeout: float | None = None,
              kernels: Callable[[], Any] | None = None) -> TeamRun:
    """Execute the notebook for one team (retrying once when the kernel failed to start),
    on a kernel from ``kernels`` when given, else one of its own (shut down afterwards),
    killed when ``team_timeout`` seconds pass. The team is ``ok`` only when the notebook
    ran to the end and its folder holds every :data:`EXPECTED` file."""
    import papermill

    manager = kernels() if kernels else None  # a kernel started ahead: not the team's time
    start = time.perf_counter()
    deadline = _Deadline(team_timeout)
    executed = folder / "review.ipynb"
    error: BaseException | None = None
    reason = message = ""
    attempts = 0
    try:  # never parents=True: a late run must not recreate a staging folder swapped away
        folder.mkdir(exist_ok=True)
        while attempts < 2:  # a second try only for a kernel that failed to start
            attempts += 1
            try:
                if manager is None:
                    manager = _start_kernel()
                deadline.watch(manager)
                # no cwd=: papermill would chdir the whole process, racing other threads
                # papermill formats both paths with the parameters: braces doubled
                papermill.execute_notebook(
                    _literal(notebook), _literal(executed), parameters=parameters, km=manager,
                    kernel_name="python3", progress_bar=False, log_output=False,
                    execution_timeout=timeout)
                error = None
                break
            except Exception as exc:  # a team's failure is recorded, never raised
                error = exc
                if deadline.expired.is_set():
                    reason = "timed out"
                    message = (f"timed out: still running after the team limit of "
                               f"{team_timeout:g} s (team_timeout){_where(_running_cell(executed))}"
                               "; its kernel was killed")
                elif type(exc).__name__ == "CellTimeoutError":
                    reason = "timed out"
                    message = (f"timed out: a cell ran longer than the cell limit of {timeout} s "
                               f"(timeout){_where(_running_cell(executed))}")
                elif type(exc).__name__ == "DeadKernelError":
                    reason = "kernel died"
                    message = (f"kernel died{_where(_running_cell(executed))}"
                               f"{_exit_status(manager)}")
                if reason or not any(text in str(exc) for text in _KERNEL_START):
                    break
            finally:
                deadline.watch(None)
                if manager is not None:
                    _shutdown(manager)
                    manager = None
    except Exception as exc:  # the folder could not be made (a full disk)
        error = error or exc
    finally:
        deadline.cancel()
        if manager is not None:  # taken from the pool, never used
            _shutdown(manager)
    outputs = {}
    if executed.exists():
        outputs["notebook"] = f"{folder.name}/review.ipynb"
        try:
            _export_html(executed, folder / "review.html")
            outputs["html"] = f"{folder.name}/review.html"
        except Exception as exc:
            error = error or exc
    headline: dict[str, Any] = {}
    if (folder / "headline.json").exists():
        try:
            loaded = json.loads((folder / "headline.json").read_text(encoding="utf-8"))
            headline = loaded if isinstance(loaded, dict) else {}
            outputs["headline"] = f"{folder.name}/headline.json"
        except (OSError, ValueError) as exc:
            error = error or exc
    if error is not None and not reason:
        reason = "disk full" if _disk_full(error) else "error"
        message = (f"disk full: {_error_summary(error)}" if reason == "disk full"
                   else _error_summary(error))
    if error is None and (missing := missing_outputs(folder)):
        reason = "incomplete"
        message = (f"incomplete: the notebook ran to the end but {', '.join(missing)} "
                   f"{'is' if len(missing) == 1 else 'are'} missing or empty")
    return TeamRun(team=team, folder=folder.name, status="failed" if reason else "ok",
                   duration_s=round(time.perf_counter() - start, 2), attempts=attempts,
                   error=message, reason=reason, outputs=outputs, headline=headline)
