"""The weekly batch: one papermill execution of the review notebook per team, in parallel.

One team's failure never stops the others; a week's outputs are built in a staging
folder and swapped in only when every team has finished, so an interrupted run leaves the
previous outputs as they were. Layout of ``<out_dir>/<week>/``::

    index.html            every team: status, duration, headline figures, links
    manifest.json         what ran, on which inputs, with what result
    _shared/history.parquet   the keyed history, computed once for all teams
    <team>/review.ipynb   the executed notebook (a failed one keeps its traceback)
    <team>/review.html    the report, no code, no network needed to open it
    <team>/headline.json  the figures the index shows

A team is ``ok`` only when its notebook ran to the end and all three of its files are
there; otherwise it is ``failed`` with a ``reason`` (``error``, ``timed out``, ``kernel
died``, ``worker lost``, ``disk full``, ``incomplete``) and an ``error`` saying what and
where. Limits: ``timeout`` per cell, ``team_timeout`` per team (wall clock; the team's
kernel is then killed with everything it started).

>>> safe_folder_name("华东"), safe_folder_name("North America")
('华东', 'North America')
"""

from __future__ import annotations

import datetime
import errno
import hashlib
import html
import json
import os
import queue
import re
import secrets
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from pipereview.errors import InputError, PipereviewError
from pipereview.weeks import Week

__all__ = ["BatchResult", "TeamRun", "default_notebook", "run_batch", "safe_folder_name"]

_UNSAFE = re.compile(r"[\\/\x00-\x1f\x7f]")
_KERNEL_START = ("Kernel didn't respond", "Address already in use", "Kernel died before replying")
_CELL_LINE = re.compile(r"Cell In\[\d+\], line (\d+)")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: What a complete team folder holds (a team lacking one of them is never ``ok``).
EXPECTED = ("review.ipynb", "review.html", "headline.json")
_REMOTE = re.compile(r"""<(script|link)\b[^>]*\b(?:src|href)=["']https?://[^>]*>(?:\s*</script>)?""",
                     re.IGNORECASE)


def safe_folder_name(team: str) -> str:
    """``team`` as a folder name, refused (:class:`~pipereview.errors.InputError`) when it
    could reach outside the output folder: separators, ``..``, control characters, a
    leading dot or an empty name. Chinese and spaces are kept."""
    name = str(team)
    if (not name.strip() or _UNSAFE.search(name) or name.startswith(".")
            or name in {".", ".."} or len(name.encode("utf-8")) > 200):
        raise InputError(f"team name {name!r} cannot be used as a folder name",
                         expected="a name without / \\ .. or control characters",
                         hint="rename the team in the export or the column map's values")
    return name


def default_notebook() -> Path:
    """The shipped review notebook (``notebooks/weekly_review.ipynb`` of the checkout)."""
    return Path(__file__).resolve().parents[2] / "notebooks" / "weekly_review.ipynb"


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


@dataclass(frozen=True)
class BatchResult:
    """A finished batch: where its outputs are and each team's run."""

    week: str
    folder: Path
    teams: tuple[TeamRun, ...]

    @property
    def ok(self) -> bool:
        """True when every team succeeded."""
        return all(t.status == "ok" for t in self.teams)

    @property
    def index(self) -> Path:
        return self.folder / "index.html"

    @property
    def manifest(self) -> Path:
        return self.folder / "manifest.json"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _strip_remote(page: str) -> str:
    """The report with every remote script or stylesheet removed (it must open offline)."""
    return _REMOTE.sub("", page)


_EXPORT_LOCK = threading.Lock()
_EXPORTERS: list[Any] = []


def _exporter() -> Any:
    """One HTML exporter per process, built once (importing nbconvert and loading its
    templates costs ~2 s; each export after that ~0.5 s)."""
    with _EXPORT_LOCK:
        if not _EXPORTERS:
            from nbconvert import HTMLExporter

            _EXPORTERS.append(HTMLExporter(  # type: ignore[no-untyped-call]
                exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True))
        return _EXPORTERS[0]


def _write_text(path: Path, text: str) -> None:
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
    exporter = _exporter()
    with _EXPORT_LOCK:  # one exporter, used by one thread at a time
        body, _ = exporter.from_notebook_node(node)
    _write_text(target, _strip_remote(body))


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


def _missing(folder: Path) -> list[str]:
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


def _fingerprint(store: Any, week: Week, notebook: Path, targets: Path | None,
                 lang: str, stage_model: str | None = None) -> str:
    """What a team's report depends on: every stored week up to ``week`` (its sources'
    SHA-256), the notebook, the targets file and the language."""
    inputs = [store.info(w) for w in store.weeks() if w <= str(week)]
    payload = {"weeks": inputs, "notebook": _sha256(notebook), "lang": lang,
               "stage_model": stage_model or "",
               "targets": _sha256(targets) if targets else None}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _resumed(previous: Path, staging: Path, teams: Sequence[str], fingerprint: str
             ) -> list[TeamRun]:
    """Last run's ok teams with the same fingerprint, their folders copied into staging.
    A team is kept only when its folder is the one its name gives, a real folder, and
    still holds every expected file; anything else runs again."""
    manifest = previous / "manifest.json"
    if not manifest.exists():
        return []
    try:
        entries = json.loads(manifest.read_text(encoding="utf-8")).get("teams", [])
    except (OSError, ValueError, AttributeError):
        return []  # an unreadable manifest keeps nothing
    known = {f.name for f in fields(TeamRun)}
    runs = []
    for entry in entries:
        team = entry.get("team") if isinstance(entry, dict) else None
        if team not in teams or entry.get("status") != "ok" or (
                entry.get("fingerprint") != fingerprint):
            continue
        folder = previous / safe_folder_name(str(team))
        if (entry.get("folder") != folder.name or folder.is_symlink() or not folder.is_dir()
                or _missing(folder)):
            continue
        shutil.copytree(folder, staging / folder.name, symlinks=True)
        runs.append(TeamRun(**{**{k: v for k, v in entry.items() if k in known},
                               "resumed": True}))
    return runs


Task = tuple[Path, str, Path, dict[str, Any], int, float | None]


def _lost(task: Task, error: BaseException, started: float) -> TeamRun:
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


def _execute(tasks: Sequence[Task], workers: int | None, scheduler: str | None
             ) -> Iterator[TeamRun]:
    """Each task's :class:`TeamRun` as it finishes: local threads (each drives a kernel
    process), or the workers of a Dask distributed cluster. A task whose execution fails
    outside the notebook (a lost worker) is a failed team, never an exception that would
    lose the other teams' results."""
    started = time.perf_counter()
    if scheduler:
        from distributed import Client
        from distributed import as_completed as dask_completed

        batch = secrets.token_hex(4)  # keys of two batches on one cluster never meet
        with Client(scheduler) as client:  # type: ignore[no-untyped-call]
            remote = {client.submit(_run_team, *task, pure=False,
                                    key=f"pipereview-{batch}-team-{i}"): task
                      for i, task in enumerate(tasks)}
            for future in dask_completed(list(remote)):  # type: ignore[no-untyped-call]
                try:
                    run = future.result()
                except Exception as exc:
                    run = _lost(remote[future], exc, started)
                # forgotten at once: a result held by a worker that dies later would
                # otherwise be computed again, writing into the week behind the batch
                future.release()
                del remote[future]
                yield run
        return
    parallel = workers or os.cpu_count() or 1
    kernels = _KernelPool(len(tasks), ahead=parallel)
    try:
        with ThreadPoolExecutor(max_workers=parallel) as pool:
            local = {pool.submit(_run_team, *task, kernels=kernels.take): task
                     for task in tasks}
            for done in as_completed(local):
                try:
                    yield done.result()
                except Exception as exc:
                    yield _lost(local[done], exc, started)
    finally:
        kernels.close()


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


class _KernelPool:
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


def _run_team(notebook: Path, team: str, folder: Path, parameters: dict[str, Any],
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
                papermill.execute_notebook(
                    str(notebook), str(executed), parameters=parameters, km=manager,
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
    if error is None and (missing := _missing(folder)):
        reason = "incomplete"
        message = (f"incomplete: the notebook ran to the end but {', '.join(missing)} "
                   f"{'is' if len(missing) == 1 else 'are'} missing or empty")
    return TeamRun(team=team, folder=folder.name, status="failed" if reason else "ok",
                   duration_s=round(time.perf_counter() - start, 2), attempts=attempts,
                   error=message, reason=reason, outputs=outputs, headline=headline)


def _index_html(week: str, runs: Sequence[TeamRun]) -> str:
    rows = []
    for run in runs:
        h = run.headline

        def figure(key: str, h: dict[str, Any] = h) -> str:
            value = h.get(key)
            return "—" if value is None else (f"{value:,.0f}" if isinstance(value, float)
                                              else html.escape(str(value)))
        link = (f'<a href="{html.escape(run.outputs["html"])}">{html.escape(run.team)}</a>'
                if "html" in run.outputs else html.escape(run.team))
        status = ("ok" if run.status == "ok"
                  else f"failed: {html.escape(run.error[:300])}")
        rows.append(f"<tr class=\"{run.status}\"><td>{link}</td><td>{status}</td>"
                    f"<td>{run.duration_s:.1f} s</td><td>{figure('open_deals')}</td>"
                    f"<td>{figure('open_amount')} {html.escape(str(h.get('currency', '')))}</td>"
                    f"<td>{figure('weighted_pipeline')}</td><td>{figure('won_amount')}</td>"
                    f"<td>{figure('gap_to_target')}</td></tr>")
    failed = sum(r.status != "ok" for r in runs)
    summary = (f"{len(runs) - failed} of {len(runs)} teams ok" +
               (f", {failed} failed" if failed else ""))
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
            f"<title>Pipeline review {html.escape(week)}</title>"
            "<style>body{font-family:sans-serif}td,th{padding:4px 8px}"
            "tr.failed{background:#fde8e8}</style></head><body>"
            f"<h1>Pipeline review {html.escape(week)}</h1><p>{summary}</p>"
            "<table><thead><tr><th>Team</th><th>Status</th><th>Duration</th>"
            "<th>Open deals</th><th>Open pipeline</th><th>Weighted</th><th>Won this period</th>"
            "<th>Gap to target</th></tr></thead><tbody>" + "".join(rows) +
            "</tbody></table></body></html>\n")


def run_batch(week: str | Week, *, store: str | Path | None = None,
              out_dir: str | Path = "reports", teams: Sequence[str] | None = None,
              notebook: str | Path | None = None, workers: int | None = None,
              lang: str = "en", targets: str | Path | None = None, timeout: int = 600,
              progress: Callable[[TeamRun], None] | None = None, resume: bool = False,
              scheduler: str | None = None, stage_model: str | None = None,
              team_timeout: float | None = None) -> BatchResult:
    """Run the review notebook for every team of ``week`` (or ``teams``) and write the
    week's pack under ``out_dir/<week>`` (layout in the module docstring).

    The keyed history is computed once and shared through ``history_path``; teams run
    in ``workers`` parallel kernels (default: the machine's cores); ``progress`` is
    called as each team finishes. With ``resume``, a team whose last run of this week
    was ok on the same inputs (every stored week up to this one, the notebook, the
    targets, the language: the ``fingerprint``) is copied over, not run again. Returns
    when every team has finished; check :attr:`BatchResult.ok`. ``scheduler``
    (``tcp://host:port``) runs the same per-team executions on a Dask distributed
    cluster instead of local threads; its workers must see the output folder and the
    store (a shared file system). ``stage_model`` is passed to the notebook (the review
    judges process evidence against it).

    ``timeout`` bounds each notebook cell, ``team_timeout`` (seconds, wall clock) a
    team's whole run: past it the team's kernel is killed and the team is ``failed``,
    reason ``timed out``. A team is ``ok`` only when its folder holds every
    :data:`EXPECTED` file. When the week's files cannot be written (a full disk), a
    :class:`~pipereview.errors.PipereviewError` is raised and last run's folder is left
    as it was.
    """
    from pipereview.history import with_deal_keys
    from pipereview.store import SnapshotStore

    as_of = Week.parse(str(week))
    if lang not in ("en", "zh"):
        raise InputError(f"unknown language {lang!r}; choose en or zh")
    snapshot_store = SnapshotStore(store)
    stored = snapshot_store.read(str(as_of))
    available = sorted(stored["team"].astype("str").unique())
    chosen = sorted(set(teams)) if teams else available
    missing = [t for t in chosen if t not in available]
    if missing:
        raise InputError(f"no team {', '.join(missing)} in {as_of}; teams: "
                         f"{', '.join(available)}", hint="give team names as the store has them")
    folders = {team: safe_folder_name(team) for team in chosen}
    notebook_path = Path(notebook) if notebook else default_notebook()
    if not notebook_path.exists():
        raise InputError(f"notebook {notebook_path} not found", file=notebook_path)
    if team_timeout is not None and team_timeout <= 0:
        raise InputError(f"team_timeout must be a number of seconds > 0, got {team_timeout}")
    target_path = Path(targets).resolve() if targets else None
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f".{as_of}.staging-{secrets.token_hex(4)}"
    final = root / str(as_of)
    try:
        staging.mkdir()
        history = with_deal_keys(snapshot_store.history(last=as_of))
        shared = staging / "_shared" / "history.parquet"
        shared.parent.mkdir()
        history.to_parquet(shared, index=False)
        fingerprint = _fingerprint(snapshot_store, as_of, notebook_path, target_path, lang,
                                   stage_model)
        if not scheduler:
            _exporter()  # built once, before the teams start, not inside one team's time
        runs = _resumed(root / str(as_of), staging, chosen, fingerprint) if resume else []
        done = {r.team for r in runs}
        for run in runs:
            if progress:
                progress(run)
        tasks = [(notebook_path.resolve(), team, staging / folders[team],
                  {"team": team, "week": str(as_of), "lang": lang, "store": "", "exports": "",
                   "history_path": str(shared.resolve()),
                   "targets": str(target_path) if target_path else "",
                   "out_dir": str((staging / folders[team]).resolve()),
                   "stage_model": stage_model or ""}, timeout, team_timeout)
                 for team in chosen if team not in done]
        for finished in _execute(tasks, workers, scheduler):
            run = replace(finished, fingerprint=fingerprint)
            runs.append(run)
            if progress:
                progress(run)
        runs.sort(key=lambda r: r.team)
        manifest = {
            "week": str(as_of), "lang": lang,
            "created_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "notebook": {"path": str(notebook_path), "sha256": _sha256(notebook_path)},
            "inputs": snapshot_store.info(str(as_of)),
            "targets": ({"path": str(target_path), "sha256": _sha256(target_path)}
                        if target_path else None),
            "limits": {"cell_timeout_s": timeout, "team_timeout_s": team_timeout},
            "complete": all(r.status == "ok" for r in runs),
            "teams": [asdict(r) for r in runs],
        }
        _write_text(staging / "index.html", _index_html(str(as_of), runs))
        _write_text(staging / "manifest.json",  # last: a manifest means the week is whole
                    json.dumps(manifest, ensure_ascii=False, indent=2, default=str))
        old = root / f".{as_of}.old-{secrets.token_hex(4)}"
        if final.exists():
            final.rename(old)
        staging.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        full = "the disk is full: " if exc.errno == errno.ENOSPC else ""
        raise PipereviewError(
            f"the reports of {as_of} were not written ({full}{exc}); {final} is as it was",
            hint=f"free space under {root} and run again; --resume keeps the teams that were "
                 "ok in the last complete run") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return BatchResult(week=str(as_of), folder=final, teams=tuple(runs))
