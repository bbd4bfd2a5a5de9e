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

>>> safe_folder_name("华东"), safe_folder_name("North America")
('华东', 'North America')
"""

from __future__ import annotations

import datetime
import hashlib
import html
import json
import os
import queue
import re
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from pipereview.errors import InputError
from pipereview.weeks import Week

__all__ = ["BatchResult", "TeamRun", "default_notebook", "run_batch", "safe_folder_name"]

_UNSAFE = re.compile(r"[\\/\x00-\x1f\x7f]")
_KERNEL_START = ("Kernel didn't respond", "Address already in use", "Kernel died before replying")
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
    """One team's execution: ``status`` is ``ok`` or ``failed`` (with ``error``)."""

    team: str
    folder: str
    status: str
    duration_s: float
    attempts: int
    error: str = ""
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


def _export_html(notebook: Path, target: Path) -> None:
    import nbformat

    node = nbformat.read(notebook, as_version=4)  # type: ignore[no-untyped-call]
    exporter = _exporter()
    with _EXPORT_LOCK:  # one exporter, used by one thread at a time
        body, _ = exporter.from_notebook_node(node)
    target.write_text(_strip_remote(body), encoding="utf-8")


def _error_summary(error: BaseException) -> str:
    name = getattr(error, "ename", type(error).__name__)
    value = getattr(error, "evalue", str(error))
    cell = getattr(error, "exec_count", None)
    where = f" (cell {cell})" if cell is not None else ""
    return f"{name}: {value}{where}".strip()


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
    """Last run's ok teams with the same fingerprint, their folders copied into staging."""
    manifest = previous / "manifest.json"
    if not manifest.exists():
        return []
    runs = []
    for entry in json.loads(manifest.read_text(encoding="utf-8")).get("teams", []):
        if (entry.get("team") in teams and entry.get("status") == "ok"
                and entry.get("fingerprint") == fingerprint
                and (previous / entry["folder"]).is_dir()):
            shutil.copytree(previous / entry["folder"], staging / entry["folder"])
            runs.append(TeamRun(**{**entry, "resumed": True}))
    return runs


Task = tuple[Path, str, Path, dict[str, Any], int]


def _execute(tasks: Sequence[Task], workers: int | None, scheduler: str | None
             ) -> Iterator[TeamRun]:
    """Each task's :class:`TeamRun` as it finishes: local threads (each drives a kernel
    process), or the workers of a Dask distributed cluster."""
    if scheduler:
        from distributed import Client
        from distributed import as_completed as dask_completed

        with Client(scheduler) as client:  # type: ignore[no-untyped-call]
            futures = [client.submit(_run_team, *task, pure=False, key=f"team-{i}")
                       for i, task in enumerate(tasks)]
            for future in dask_completed(futures):  # type: ignore[no-untyped-call]
                yield future.result()
        return
    parallel = workers or os.cpu_count() or 1
    kernels = _KernelPool(len(tasks), ahead=parallel)
    try:
        with ThreadPoolExecutor(max_workers=parallel) as pool:
            futures = [pool.submit(_run_team, *task, kernels=kernels.take) for task in tasks]
            for future in as_completed(futures):
                yield future.result()
    finally:
        kernels.close()


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
            from jupyter_client.manager import KernelManager

            manager = KernelManager(kernel_name="python3")
            manager.start_kernel()
            self._ready.put(manager)
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
                manager.shutdown_kernel(now=True)


def _run_team(notebook: Path, team: str, folder: Path, parameters: dict[str, Any],
              timeout: int, kernels: Callable[[], Any] | None = None) -> TeamRun:
    """Execute the notebook for one team (retrying once when the kernel failed to start),
    on a kernel from ``kernels`` when given (it is shut down afterwards)."""
    import papermill

    folder.mkdir(parents=True, exist_ok=True)
    executed = folder / "review.ipynb"
    start = time.perf_counter()
    error: BaseException | None = None
    attempts = 0
    manager = kernels() if kernels else None
    while attempts < 2:  # a second try only for a kernel that failed to start
        attempts += 1
        extra = {"km": manager} if manager is not None and attempts == 1 else {}
        try:  # no cwd=: papermill would chdir the whole process, racing other threads
            papermill.execute_notebook(
                str(notebook), str(executed), parameters=parameters, kernel_name="python3",
                progress_bar=False, log_output=False, execution_timeout=timeout, **extra)
            error = None
            break
        except Exception as exc:  # a team's failure is recorded, never raised
            error = exc
            if not any(text in str(exc) for text in _KERNEL_START):
                break
        finally:
            if extra and manager is not None:
                manager.shutdown_kernel(now=True)
    outputs = {"notebook": f"{folder.name}/review.ipynb"}
    if executed.exists():
        try:
            _export_html(executed, folder / "review.html")
            outputs["html"] = f"{folder.name}/review.html"
        except Exception as exc:
            error = error or exc
    headline: dict[str, Any] = {}
    if (folder / "headline.json").exists():
        headline = json.loads((folder / "headline.json").read_text(encoding="utf-8"))
        outputs["headline"] = f"{folder.name}/headline.json"
    return TeamRun(team=team, folder=folder.name, status="failed" if error else "ok",
                   duration_s=round(time.perf_counter() - start, 2), attempts=attempts,
                   error=_error_summary(error) if error else "", outputs=outputs,
                   headline=headline)


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
              scheduler: str | None = None, stage_model: str | None = None) -> BatchResult:
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
    target_path = Path(targets).resolve() if targets else None
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f".{as_of}.staging-{secrets.token_hex(4)}"
    staging.mkdir()
    try:
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
                   "stage_model": stage_model or ""}, timeout)
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
            "teams": [asdict(r) for r in runs],
        }
        (staging / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
        (staging / "index.html").write_text(_index_html(str(as_of), runs), encoding="utf-8")
        final = root / str(as_of)
        old = root / f".{as_of}.old-{secrets.token_hex(4)}"
        if final.exists():
            final.rename(old)
        staging.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return BatchResult(week=str(as_of), folder=final, teams=tuple(runs))
