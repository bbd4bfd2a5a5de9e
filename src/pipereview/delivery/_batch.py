"""The weekly batch: one papermill execution of the review notebook per team, in parallel.

One team's failure never stops the others; a week's outputs are built in a staging
folder and swapped in only when every team has finished, so an interrupted run leaves the
previous outputs as they were. Layout of ``<out_dir>/<week>/``::

    index.html            every team: status, duration, headline figures, links
    manifest.json         what ran, on which inputs, with what result
    _shared/config.yaml   the configuration the teams ran with (given --config or --templates)
    <team>/review.ipynb   the executed notebook (a failed one keeps its traceback)
    <team>/review.html    the report, no code, no network needed to open it
    <team>/headline.json  the figures the index shows

A team is ``ok`` only when its notebook ran to the end and all three of its files are
there; otherwise it is ``failed`` with a ``reason`` (``error``, ``timed out``, ``kernel
died``, ``worker lost``, ``disk full``, ``incomplete``) and an ``error`` saying what and
where. Limits: ``timeout`` per cell, ``team_timeout`` per team (wall clock; the team's
kernel is then killed with everything it started).

Planning and records (the inputs checked, folder names, fingerprints, resume, manifest,
index page) are :mod:`pipereview.delivery._batchplan`'s; here the teams run.

>>> default_notebook().name
'weekly_review.ipynb'
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipereview.config import Config, write_config
from pipereview.core._errors import PipereviewError
from pipereview.core._files import check_output_folder
from pipereview.core._staging import sibling, staged_folder
from pipereview.core._weeks import Week
from pipereview.delivery._batchplan import (
    BatchPlan,
    batch_manifest,
    fingerprint,
    index_html,
    plan_batch,
    resumed_runs,
)
from pipereview.delivery._kernels import KernelPool
from pipereview.delivery._notebooks import shipped_notebook
from pipereview.delivery._periodfigures import period_kind, period_of
from pipereview.delivery._teamrun import (
    EXPECTED,
    Task,
    TeamRun,
    lost_run,
    notebook_exporter,
    run_team,
    write_text_file,
)

if TYPE_CHECKING:
    from pipereview.history._store import SnapshotStore

__all__ = ["EXPECTED", "BatchResult", "TeamRun", "default_notebook", "pack_period", "run_batch"]


def default_notebook() -> Path:
    """The review notebook that ships in the package (``pipereview/notebooks/weekly_review.ipynb``;
    ``notebooks/weekly_review.ipynb`` of the repository links to it)."""
    return shipped_notebook("weekly_review.ipynb")


@dataclass(frozen=True)
class BatchResult:
    """A finished batch: where its outputs are and each team's run."""

    week: str
    folder: Path
    teams: tuple[TeamRun, ...]
    period: str | None = None

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


def _execute(
    tasks: Sequence[Task],
    workers: int | None,
    scheduler: str | None,
    kernels: KernelPool | None = None,
) -> Iterator[TeamRun]:
    """Each task's :class:`TeamRun` as it finishes: local threads (each drives a kernel
    process, from ``kernels`` when given), or the workers of a Dask distributed cluster.
    A task whose execution fails outside the notebook (a lost worker) is a failed team,
    never an exception that would lose the other teams' results."""
    started = time.perf_counter()
    if scheduler:
        from distributed import Client
        from distributed import as_completed as dask_completed

        batch = secrets.token_hex(4)  # keys of two batches on one cluster never meet
        with Client(scheduler) as client:  # type: ignore[no-untyped-call]
            remote = {
                client.submit(run_team, *task, pure=False, key=f"pipereview-{batch}-team-{i}"): task
                for i, task in enumerate(tasks)
            }
            for future in dask_completed(list(remote)):  # type: ignore[no-untyped-call]
                try:
                    run = future.result()
                except Exception as exc:
                    run = lost_run(remote[future], exc, started)
                # forgotten at once: a result held by a worker that dies later would
                # otherwise be computed again, writing into the week behind the batch
                future.release()
                del remote[future]
                yield run
        return
    parallel = workers or os.cpu_count() or 1
    own = kernels is None  # a pool given is closed by whoever started it
    ready = KernelPool(len(tasks), ahead=parallel) if kernels is None else kernels
    try:
        with ThreadPoolExecutor(max_workers=parallel) as pool:
            local = {pool.submit(run_team, *task, kernels=ready.take): task for task in tasks}
            for done in as_completed(local):
                try:
                    yield done.result()
                except Exception as exc:
                    yield lost_run(local[done], exc, started)
    finally:
        if own:
            ready.close()


def _write_week(
    final: Path,
    plan: BatchPlan,
    *,
    resume: bool,
    workers: int | None,
    scheduler: str | None,
    progress: Callable[[TeamRun], None] | None,
) -> list[TeamRun]:
    """Every team's run, the index page and the manifest, built in a staging folder that
    replaces ``final`` once complete; a week that cannot be written (a full disk) is a
    :class:`~pipereview.core._errors.PipereviewError`, with ``final`` left as it was."""
    work = sibling(final, "work")  # the whole company's history: never inside the pack
    try:
        with staged_folder(final) as staging:
            runs = _run_week(
                staging,
                work,
                final,
                plan,
                resume=resume,
                workers=workers,
                scheduler=scheduler,
                progress=progress,
            )
            inputs: dict[str, Any] = plan.store.info(str(plan.as_of))
            manifest = batch_manifest(
                plan.as_of,
                plan.lang,
                plan.notebook,
                inputs,
                plan.targets,
                plan.config,
                plan.settings,
                plan.timeout,
                plan.team_timeout,
                runs,
            )
            if plan.period:
                manifest["period"] = plan.period
            label = f"{plan.period}, {plan.as_of}" if plan.period else str(plan.as_of)
            write_text_file(staging / "index.html", index_html(label, runs, inputs, plan.lang))
            write_text_file(
                staging / "manifest.json",  # last: a manifest means the week is whole
                json.dumps(manifest, ensure_ascii=False, indent=2, default=str),
            )
    except OSError as exc:
        full = "the disk is full: " if exc.errno == errno.ENOSPC else ""
        raise PipereviewError(
            f"the reports of {plan.as_of} were not written ({full}{exc}); {final} is as it was",
            hint=f"free space under {final.parent} and run again; --resume keeps the teams that "
            "were ok in the last complete run",
        ) from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return runs


def _run_week(
    staging: Path,
    work: Path,
    final: Path,
    plan: BatchPlan,
    *,
    resume: bool,
    workers: int | None,
    scheduler: str | None,
    progress: Callable[[TeamRun], None] | None,
) -> list[TeamRun]:
    """Every chosen team's run into ``staging``: last run's ok teams kept with ``resume``,
    the others executed on the keyed history, written once into ``work`` (a private
    folder beside the pack, removed by the caller: it holds every team's deals)."""
    shared_config = staging / "_shared" / "config.yaml"
    if plan.settings is not None:
        shared_config.parent.mkdir()
        write_config(plan.settings, shared_config)
    inputs_hash = fingerprint(
        plan.store,
        plan.as_of,
        plan.notebook,
        plan.targets,
        plan.lang,
        plan.stage_model,
        plan.settings,
    )
    runs = resumed_runs(final, staging, plan.teams, inputs_hash) if resume else []
    done = {r.team for r in runs}
    for run in runs:
        if progress:
            progress(run)
    remaining = [team for team in plan.teams if team not in done]
    history_path = work / "history.parquet"
    parallel = workers or os.cpu_count() or 1
    # the teams' kernels start and import while the history is read and keyed
    kernels = KernelPool(len(remaining), ahead=parallel) if not scheduler else None
    try:
        if remaining:  # keyed once for every team; nothing to key when every team is resumed
            _share_history(plan.store, plan.as_of, work, history_path, local=not scheduler)
        config = shared_config if plan.settings is not None else None
        tasks = [_task(plan, team, staging, history_path, config) for team in remaining]
        for finished in _execute(tasks, workers, scheduler, kernels):
            run = replace(finished, fingerprint=inputs_hash)
            runs.append(run)
            if progress:
                progress(run)
    finally:
        if kernels is not None:
            kernels.close()
    return sorted(runs, key=lambda r: r.team)


def _share_history(
    store: SnapshotStore, week: Week, work: Path, history_path: Path, *, local: bool
) -> None:
    """The keyed history of ``store`` up to ``week``, the week's companions and calls,
    written once into ``work`` for every team to read (``local``: the exporter built too)."""
    from pipereview.history._callstore import read_forecast_calls_stored
    from pipereview.history._companions import write_shared_companions
    from pipereview.history._companionstore import read_companions
    from pipereview.history._historyfile import write_history_file
    from pipereview.history._loader import load_history

    work.mkdir()
    history = load_history(store, last=week)  # its definitions go into the file too
    write_history_file(history, history_path)  # laid out for each team's read
    del history  # the teams read the file: the batch's copy would only hold memory
    # the week's activities, leads and invoices, beside the history (read_shared_companions)
    write_shared_companions(read_companions(store, week), work / "companions")
    calls = read_forecast_calls_stored(store, week)  # the reps' forecast calls
    if len(calls):
        calls.to_parquet(work / "forecast_calls.parquet", index=False)
    if local:
        notebook_exporter()


def _task(
    plan: BatchPlan, team: str, staging: Path, history_path: Path, shared_config: Path | None
) -> Task:
    """One team's execution: the notebook, the team's folder in ``staging``, the
    notebook's parameters (the keyed history at ``history_path``, the ``shared_config``
    when there is one) and the limits."""
    folder = staging / plan.folders[team]
    parameters = {
        "team": team,
        "week": str(plan.as_of),
        "lang": plan.lang,
        "store": "",
        "exports": "",
        "history_path": str(history_path.resolve()),
        "targets": str(plan.targets) if plan.targets else "",
        "out_dir": str(folder.resolve()),
        "stage_model": plan.stage_model or "",
        "config": str(shared_config.resolve()) if shared_config else "",
    }
    if plan.period:  # a monthly or quarterly pack (pipereview run --period)
        parameters.update(period=plan.period, kind=period_kind(plan.period))
    return (plan.notebook.resolve(), team, folder, parameters, plan.timeout, plan.team_timeout)


def run_batch(
    week: str | Week,
    *,
    store: str | Path | None = None,
    out_dir: str | Path = "reports",
    teams: Sequence[str] | None = None,
    notebook: str | Path | None = None,
    workers: int | None = None,
    lang: str = "en",
    targets: str | Path | None = None,
    timeout: int = 600,
    progress: Callable[[TeamRun], None] | None = None,
    resume: bool = False,
    scheduler: str | None = None,
    stage_model: str | None = None,
    team_timeout: float | None = None,
    config: Config | str | Path | None = None,
    templates: Sequence[str | Path] = (),
    period: str | None = None,
) -> BatchResult:
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
    judges process evidence against it). ``config`` (a :class:`~pipereview.config.Config` or a configuration file) and
    ``templates`` (templates folders) reach every team's notebook as one configuration
    file, ``_shared/config.yaml``, with its template folders as absolute paths.

    ``timeout`` bounds each notebook cell, ``team_timeout`` (seconds, wall clock) a
    team's whole run: past it the team's kernel is killed and the team is ``failed``,
    reason ``timed out``. A team is ``ok`` only when its folder holds every
    :data:`EXPECTED` file. When the week's files cannot be written (a full disk), a
    :class:`~pipereview.core._errors.PipereviewError` is raised and last run's folder is left
    as it was.

    ``period`` (``month``, ``quarter``, or a period such as ``2026-11`` / ``2026-Q4``)
    runs the monthly or quarterly pack instead (``period_review.ipynb`` unless
    ``notebook`` is given) for that period, or the month / quarter holding ``week``'s
    Sunday, into ``out_dir/<period>`` with the same index page and manifest; each
    notebook also gets ``period`` and ``kind``.
    """
    check_output_folder(out_dir, "the reports")  # before any work
    pack = pack_period(period, week) if period else None
    if notebook:
        chosen = Path(notebook)
    else:
        chosen = shipped_notebook("period_review.ipynb") if pack else default_notebook()
    plan = plan_batch(
        week,
        store,
        teams,
        chosen,
        lang,
        targets,
        stage_model,
        config,
        templates,
        timeout,
        team_timeout,
    )
    # absolute from the start: the teams' threads must not depend on the process's folder,
    # which a library running in another thread may change for a moment
    plan = replace(plan, period=pack)
    final = Path(out_dir).absolute() / (pack or str(plan.as_of))
    runs = _write_week(
        final, plan, resume=resume, workers=workers, scheduler=scheduler, progress=progress
    )
    return BatchResult(week=str(plan.as_of), folder=final, teams=tuple(runs), period=pack)


def pack_period(period: str, week: str | Week) -> str:
    """The period a monthly or quarterly batch runs: ``period`` when it names one
    (``2026-11``, ``2026-Q4``), else the ``month`` or ``quarter`` holding ``week``'s
    Sunday.

    >>> pack_period("month", "2026-W47"), pack_period("2026-Q3", "2026-W47")
    ('2026-11', '2026-Q3')
    """
    if period in ("month", "quarter"):
        return period_of(week, period)
    period_kind(period)  # anything else must be a month or a quarter
    return period
