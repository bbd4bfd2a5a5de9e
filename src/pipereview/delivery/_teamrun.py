"""Running one team's notebook: kernels started ahead, the per-cell and per-team limits,
and every way a run can end (ok, error, timed out, kernel died, worker lost, disk full,
incomplete), recorded in a :class:`TeamRun`; the report exported without code or remote
scripts. :mod:`pipereview.delivery._batch` runs many of these on the kernels of
:mod:`pipereview.delivery._kernels`.
"""

from __future__ import annotations

import errno
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipereview.core._files import atomic_write
from pipereview.delivery._kernels import Deadline, exit_status, shutdown_kernel, start_kernel

__all__ = ["EXPECTED", "Task", "TeamRun"]

_KERNEL_START = ("Kernel didn't respond", "Address already in use", "Kernel died before replying")


_CELL_LINE = re.compile(r"Cell In\[\d+\], line (\d+)")


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


#: What a complete team folder holds (a team lacking one of them is never ``ok``).
EXPECTED = ("review.ipynb", "review.html", "headline.json")


_REMOTE = re.compile(
    r"""<(script|link)\b[^>]*\b(?:src|href)=["']https?://[^>]*>(?:\s*</script>)?""", re.IGNORECASE
)


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
    """One exporter of report pages per process, built once (importing nbconvert and
    loading its templates costs ~2 s; each export after that 0.01-0.07 s)."""
    with _EXPORT_LOCK:
        if not _EXPORTERS:
            from pipereview.delivery._reportpage import report_exporter

            _EXPORTERS.append(report_exporter())
        return _EXPORTERS[0]


def write_text_file(path: Path, text: str) -> None:
    """Write ``path`` whole or not at all (:func:`~pipereview.core._files.atomic_write`: a
    full disk leaves no truncated report behind)."""
    with atomic_write(path, "w", encoding="utf-8") as handle:
        handle.write(text)


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
    started = [
        i
        for i, cell in enumerate(cells)
        if cell.get("metadata", {}).get("papermill", {}).get("start_time")
    ]
    return started[-1] + 1 if started else None


def _where(cell: int | None) -> str:
    return f" in cell {cell} of review.ipynb" if cell else ""


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
    message = (
        f"worker lost: every Dask worker that ran this team died while running it "
        f"({tried.group(1) if tried else 'several'} tried; the cluster's "
        f"distributed.scheduler.allowed-failures)"
        if killed
        else _error_summary(error)
    )
    return TeamRun(
        team=task[1],
        folder=task[2].name,
        status="failed",
        duration_s=round(time.perf_counter() - started, 2),
        attempts=int(tried.group(1)) if tried else 1,
        error=message,
        reason="worker lost" if killed else "error",
    )


def _literal(path: Path) -> str:
    """``path`` as papermill's ``str.format`` reads it back unchanged."""
    return str(path).replace("{", "{{").replace("}", "}}")


def _stopped(
    error: BaseException,
    deadline: Deadline,
    executed: Path,
    manager: Any,
    timeout: int,
    team_timeout: float | None,
) -> tuple[str, str]:
    """Why a run that raised ``error`` stopped, as ``(reason, message)``, when a limit or
    the kernel's death stopped it (the cell running then named); ``("", "")`` otherwise."""
    if deadline.expired.is_set():
        return "timed out", (
            f"timed out: still running after the team limit of "
            f"{team_timeout:g} s (team_timeout){_where(_running_cell(executed))}"
            "; its kernel was killed"
        )
    if type(error).__name__ == "CellTimeoutError":
        return "timed out", (
            f"timed out: a cell ran longer than the cell limit of {timeout} s "
            f"(timeout){_where(_running_cell(executed))}"
        )
    if type(error).__name__ == "DeadKernelError":
        return "kernel died", (
            f"kernel died{_where(_running_cell(executed))}{exit_status(manager)}"
        )
    return "", ""


def _collected(
    folder: Path, executed: Path
) -> tuple[dict[str, str], dict[str, Any], BaseException | None]:
    """What a run left in ``folder``: its outputs (the executed notebook, the report
    exported from it, the headline), the headline's figures, and the first error met
    while exporting or reading them (None when there was none)."""
    outputs: dict[str, str] = {}
    error: BaseException | None = None
    if executed.exists():
        outputs["notebook"] = f"{folder.name}/review.ipynb"
        try:
            _export_html(executed, folder / "review.html")
            outputs["html"] = f"{folder.name}/review.html"
        except Exception as exc:
            error = exc
    headline: dict[str, Any] = {}
    if (folder / "headline.json").exists():
        try:
            loaded = json.loads((folder / "headline.json").read_text(encoding="utf-8"))
            headline = loaded if isinstance(loaded, dict) else {}
            outputs["headline"] = f"{folder.name}/headline.json"
        except (OSError, ValueError) as exc:
            error = error or exc
    return outputs, headline, error


def _ending(error: BaseException | None, folder: Path) -> tuple[str, str]:
    """How a run that no limit and no kernel's death stopped ended, as ``(reason,
    message)``: its ``error`` (a full disk, or another), else a ``folder`` lacking an
    :data:`EXPECTED` file; ``("", "")`` when the run is ok."""
    if error is not None:
        if _disk_full(error):
            return "disk full", f"disk full: {_error_summary(error)}"
        return "error", _error_summary(error)
    if missing := missing_outputs(folder):
        return "incomplete", (
            f"incomplete: the notebook ran to the end but {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} missing or empty"
        )
    return "", ""


def run_team(
    notebook: Path,
    team: str,
    folder: Path,
    parameters: dict[str, Any],
    timeout: int,
    team_timeout: float | None = None,
    kernels: Callable[[], Any] | None = None,
) -> TeamRun:
    """Execute the notebook for one team (retrying once when the kernel failed to start),
    on a kernel from ``kernels`` when given, else one of its own (shut down afterwards),
    killed when ``team_timeout`` seconds pass. The team is ``ok`` only when the notebook
    ran to the end and its folder holds every :data:`EXPECTED` file."""
    import papermill

    from pipereview.delivery._runengine import engine_name

    manager = kernels() if kernels else None  # a kernel started ahead: not the team's time
    start = time.perf_counter()
    deadline = Deadline(team_timeout)
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
                    manager = start_kernel()
                deadline.watch(manager)
                # no cwd=: papermill would chdir the whole process, racing other threads
                # papermill formats both paths with the parameters: braces doubled
                papermill.execute_notebook(
                    _literal(notebook),
                    _literal(executed),
                    parameters=parameters,
                    km=manager,
                    kernel_name="python3",
                    engine_name=engine_name(),  # written when it starts and ends only
                    progress_bar=False,
                    log_output=False,
                    execution_timeout=timeout,
                )
                error = None
                break
            except Exception as exc:  # a team's failure is recorded, never raised
                error = exc
                reason, message = _stopped(exc, deadline, executed, manager, timeout, team_timeout)
                if reason or not any(text in str(exc) for text in _KERNEL_START):
                    break
            finally:
                deadline.watch(None)
                if manager is not None:
                    shutdown_kernel(manager)
                    manager = None
    except Exception as exc:  # the folder could not be made (a full disk)
        error = error or exc
    finally:
        deadline.cancel()
        if manager is not None:  # taken from the pool, never used
            shutdown_kernel(manager)
    outputs, headline, unread = _collected(folder, executed)
    error = error or unread
    if not reason:  # not stopped by a limit or the kernel's death
        reason, message = _ending(error, folder)
    return TeamRun(
        team=team,
        folder=folder.name,
        status="failed" if reason else "ok",
        duration_s=round(time.perf_counter() - start, 2),
        attempts=attempts,
        error=message,
        reason=reason,
        outputs=outputs,
        headline=headline,
    )
