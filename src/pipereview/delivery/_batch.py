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
import secrets
import shutil
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from pipereview.config import portable_config, write_config
from pipereview.core._errors import InputError, PipereviewError
from pipereview.core._languages import check_language
from pipereview.core._names import check_folder_name
from pipereview.core._staging import sibling, staged_folder, team_folders
from pipereview.core._weeks import Week
from pipereview.delivery._notebooks import shipped_notebook
from pipereview.delivery._teamrun import (
    EXPECTED,
    KernelPool,
    Task,
    TeamRun,
    lost_run,
    missing_outputs,
    notebook_exporter,
    run_team,
    write_text_file,
)

__all__ = ["EXPECTED", "BatchResult", "TeamRun", "default_notebook", "inputs_line",
           "run_batch", "safe_folder_name"]

def safe_folder_name(team: str) -> str:
    """``team`` as a folder name, refused (:class:`~pipereview.core._errors.InputError`) when it
    could reach outside the output folder or cannot be a folder on every system (the rule
    of :func:`pipereview.core._names.name_problem`, which ingest applies to every stored name).
    Chinese and spaces inside are kept."""
    return check_folder_name(team, "team")


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


def _fingerprint(store: Any, week: Week, notebook: Path, targets: Path | None,
                 lang: str, stage_model: str | None = None,
                 settings: dict[str, Any] | None = None) -> str:
    """What a team's report depends on: every stored week up to ``week`` (its sources'
    SHA-256), the notebook, the targets file, the language, the stage model and the
    configuration with every file of its templates folders."""
    inputs = [store.info(w) for w in store.weeks() if w <= str(week)]
    folders = {folder: {str(p.relative_to(folder)): _sha256(p)
                        for p in sorted(Path(folder).rglob("*")) if p.is_file()}
               for folder in (settings or {}).get("templates", [])}
    payload = {"weeks": inputs, "notebook": _sha256(notebook), "lang": lang,
               "stage_model": stage_model or "",
               "targets": _sha256(targets) if targets else None,
               "config": settings, "templates": folders}
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
                or missing_outputs(folder)):
            continue
        shutil.copytree(folder, staging / folder.name, symlinks=True)
        runs.append(TeamRun(**{**{k: v for k, v in entry.items() if k in known},
                               "resumed": True}))
    return runs


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
            remote = {client.submit(run_team, *task, pure=False,
                                    key=f"pipereview-{batch}-team-{i}"): task
                      for i, task in enumerate(tasks)}
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
    kernels = KernelPool(len(tasks), ahead=parallel)
    try:
        with ThreadPoolExecutor(max_workers=parallel) as pool:
            local = {pool.submit(run_team, *task, kernels=kernels.take): task
                     for task in tasks}
            for done in as_completed(local):
                try:
                    yield done.result()
                except Exception as exc:
                    yield lost_run(local[done], exc, started)
    finally:
        kernels.close()


def inputs_line(info: dict[str, Any], lang: str = "en") -> str:
    """One line on what the week's snapshot holds (``SnapshotStore.info``) and what its
    ingest set aside, in ``lang`` (en or zh).

    >>> inputs_line({"rows": 1035, "sources": [{}] * 4, "rows_rejected": 2, "rows_skipped": 3})
    '1,035 deals from 4 file(s); 2 rows rejected, 3 skipped (in the quarantine files)'
    >>> inputs_line({"rows": 1035, "sources": [{}] * 4}, "zh")
    '1,035 个商机，来自 4 个文件'
    """
    files = info.get("sources") or info.get("files") or []
    rows = int(info.get("rows", 0))
    rejected, skipped = int(info.get("rows_rejected", 0)), int(info.get("rows_skipped", 0))
    if lang == "zh":
        line = f"{rows:,} 个商机，来自 {len(files)} 个文件"
        if rejected or skipped:
            line += f"；{rejected:,} 行被拒收，{skipped:,} 行被跳过（见隔离文件）"
        return line
    line = f"{rows:,} deals from {len(files)} file(s)"
    if rejected or skipped:
        line += f"; {rejected:,} rows rejected, {skipped:,} skipped (in the quarantine files)"
    return line


#: The index page's own words (English, Chinese).
_INDEX_TEXT: dict[str, tuple[str, str]] = {
    "title": ("Pipeline review {week}", "销售管道周报 {week}"),
    "summary": ("{ok} of {n} teams ok", "{n} 个团队中 {ok} 个正常"),
    "failed_count": (", {failed} failed", "，{failed} 个失败"),
    "inputs": ("Inputs: {line}", "本周数据：{line}"),
    "ok": ("ok", "正常"), "failed": ("failed: {error}", "失败：{error}"),
    "seconds": ("{s:.1f} s", "{s:.1f} 秒"),
    "team": ("Team", "团队"), "status": ("Status", "状态"), "duration": ("Duration", "用时"),
    "open_deals": ("Open deals", "进行中商机"), "open_pipeline": ("Open pipeline", "进行中金额"),
    "weighted": ("Weighted", "加权金额"), "won": ("Won this period", "本期赢单金额"),
    "gap": ("Forecast against target", "预测与目标"),
    "outlook": ("Will we hit target?", "能否完成目标"),
}


def _gap_cell(headline: dict[str, Any], lang: str) -> str:
    """The gap to target worded by its sign (never a bare signed number), as every report."""
    from pipereview.diagnostics._figures import gap_text

    return html.escape(gap_text(headline.get("gap_to_target"),
                                str(headline.get("currency") or ""), lang), quote=False)


def _outlook_cell(headline: dict[str, Any], lang: str) -> str:
    from pipereview.diagnostics._figures import outlook_text

    value = headline.get("outlook")
    return "—" if not value else html.escape(outlook_text(str(value), lang), quote=False)


def _index_html(week: str, runs: Sequence[TeamRun], inputs: dict[str, Any] | None = None,
                lang: str = "en") -> str:
    def t(key: str, **values: Any) -> str:
        en, zh = _INDEX_TEXT[key]
        return html.escape((zh if lang == "zh" else en).format(**values), quote=False)

    rows = []
    for run in runs:
        h = run.headline

        def figure(key: str, h: dict[str, Any] = h) -> str:
            value = h.get(key)
            return "—" if value is None else (f"{value:,.0f}" if isinstance(value, float)
                                              else html.escape(str(value)))
        # a relative, percent-encoded link: no team name can make it a URL scheme
        href = html.escape("./" + urllib.parse.quote(run.outputs.get("html", "")))
        link = (f'<a href="{href}">{html.escape(run.team)}</a>'
                if "html" in run.outputs else html.escape(run.team))
        status = t("ok") if run.status == "ok" else t("failed", error=run.error[:300])
        rows.append(f"<tr class=\"{run.status}\"><td>{link}</td><td>{status}</td>"
                    f"<td>{t('seconds', s=run.duration_s)}</td><td>{figure('open_deals')}</td>"
                    f"<td>{figure('open_amount')} {html.escape(str(h.get('currency', '')))}</td>"
                    f"<td>{figure('weighted_pipeline')}</td><td>{figure('won_amount')}</td>"
                    f"<td>{_gap_cell(h, lang)}</td><td>{_outlook_cell(h, lang)}</td></tr>")
    failed = sum(r.status != "ok" for r in runs)
    summary = (t("summary", ok=len(runs) - failed, n=len(runs))
               + (t("failed_count", failed=failed) if failed else ""))
    heads = "".join(f"<th>{t(key)}</th>" for key in ("team", "status", "duration", "open_deals",
                                                      "open_pipeline", "weighted", "won", "gap",
                                                      "outlook"))
    return (f"<!DOCTYPE html>\n<html lang=\"{'zh' if lang == 'zh' else 'en'}\"><head>"
            f"<meta charset=\"utf-8\"><title>{t('title', week=week)}</title>"
            "<style>body{font-family:sans-serif}td,th{padding:4px 8px}"
            "tr.failed{background:#fde8e8}</style></head><body>"
            f"<h1>{t('title', week=week)}</h1><p>{summary}</p>"
            + (f"<p class=\"inputs\">{t('inputs', line=inputs_line(inputs, lang))}</p>"
               if inputs else "") +
            f"<table><thead><tr>{heads}</tr></thead><tbody>" + "".join(rows) +
            "</tbody></table></body></html>\n")


def _run_week(staging: Path, work: Path, final: Path, store: Any, as_of: Week,
              chosen: Sequence[str], folders: dict[str, str], notebook: Path,
              targets: Path | None, lang: str, stage_model: str | None,
              settings: dict[str, Any] | None, *, resume: bool, timeout: int,
              team_timeout: float | None, workers: int | None, scheduler: str | None,
              progress: Callable[[TeamRun], None] | None) -> list[TeamRun]:
    """Every chosen team's run into ``staging``: last run's ok teams kept with ``resume``,
    the others executed on the keyed history, written once into ``work`` (a private
    folder beside the pack, removed by the caller: it holds every team's deals)."""
    from pipereview.history._trail import load_history

    shared_config = staging / "_shared" / "config.yaml"
    if settings is not None:
        shared_config.parent.mkdir()
        write_config(settings, shared_config)
    fingerprint = _fingerprint(store, as_of, notebook, targets, lang, stage_model, settings)
    runs = _resumed(final, staging, chosen, fingerprint) if resume else []
    done = {r.team for r in runs}
    for run in runs:
        if progress:
            progress(run)
    remaining = [team for team in chosen if team not in done]
    history_path = work / "history.parquet"
    if remaining:  # keyed once for every team; nothing to key when every team is resumed
        work.mkdir()
        history = load_history(store, last=as_of)  # its definitions go into the file too
        history.to_parquet(history_path, index=False)
        del history  # the teams read the file: the batch's copy would only hold memory
        if not scheduler:
            notebook_exporter()  # built once, before the teams start, not inside one team's time
    tasks = [(notebook.resolve(), team, staging / folders[team],
              {"team": team, "week": str(as_of), "lang": lang, "store": "", "exports": "",
               "history_path": str(history_path.resolve()),
               "targets": str(targets) if targets else "",
               "out_dir": str((staging / folders[team]).resolve()),
               "stage_model": stage_model or "",
               "config": str(shared_config.resolve()) if settings is not None else ""},
              timeout, team_timeout)
             for team in remaining]
    for finished in _execute(tasks, workers, scheduler):
        run = replace(finished, fingerprint=fingerprint)
        runs.append(run)
        if progress:
            progress(run)
    return sorted(runs, key=lambda r: r.team)


def run_batch(week: str | Week, *, store: str | Path | None = None,
              out_dir: str | Path = "reports", teams: Sequence[str] | None = None,
              notebook: str | Path | None = None, workers: int | None = None,
              lang: str = "en", targets: str | Path | None = None, timeout: int = 600,
              progress: Callable[[TeamRun], None] | None = None, resume: bool = False,
              scheduler: str | None = None, stage_model: str | None = None,
              team_timeout: float | None = None, config: str | Path | None = None,
              templates: Sequence[str | Path] = ()) -> BatchResult:
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
    judges process evidence against it). ``config`` (a configuration file) and
    ``templates`` (templates folders) reach every team's notebook as one configuration
    file, ``_shared/config.yaml``, with its template folders as absolute paths.

    ``timeout`` bounds each notebook cell, ``team_timeout`` (seconds, wall clock) a
    team's whole run: past it the team's kernel is killed and the team is ``failed``,
    reason ``timed out``. A team is ``ok`` only when its folder holds every
    :data:`EXPECTED` file. When the week's files cannot be written (a full disk), a
    :class:`~pipereview.core._errors.PipereviewError` is raised and last run's folder is left
    as it was.
    """
    from pipereview.history._store import SnapshotStore

    as_of = Week.parse(str(week))
    check_language(lang)
    snapshot_store = SnapshotStore(store)
    stored = snapshot_store.read(str(as_of))
    available = sorted(stored["team"].astype("str").unique())
    chosen = sorted(set(teams)) if teams else available
    missing = [t for t in chosen if t not in available]
    if missing:
        raise InputError(f"no team {', '.join(missing)} in {as_of}; teams: "
                         f"{', '.join(available)}", hint="give team names as the store has them")
    folders = team_folders(chosen, reserved=("_shared", "index.html", "manifest.json"))
    notebook_path = Path(notebook) if notebook else default_notebook()
    if not notebook_path.exists():
        raise InputError(f"notebook {notebook_path} not found", file=notebook_path,
                         hint="give --notebook an existing .ipynb file, or leave it out to run "
                              "the weekly review that ships with pipereview")
    if team_timeout is not None and team_timeout <= 0:
        raise InputError(f"team_timeout must be a number of seconds > 0, got {team_timeout}",
                         hint="e.g. --team-timeout 900, or leave it out for no limit per team")
    target_path = Path(targets).resolve() if targets else None
    settings = portable_config(config, templates)  # a wrong file is refused before any work
    root = Path(out_dir)
    final = root / str(as_of)
    work = sibling(final, "work")  # the whole company's history: never inside the pack
    try:
        with staged_folder(final) as staging:
            runs = _run_week(staging, work, final, snapshot_store, as_of, chosen, folders,
                             notebook_path, target_path, lang, stage_model, settings,
                             resume=resume, timeout=timeout, team_timeout=team_timeout,
                             workers=workers, scheduler=scheduler, progress=progress)
            inputs: dict[str, Any] = snapshot_store.info(str(as_of))
            manifest = {
                "week": str(as_of), "lang": lang,
                "created_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                "notebook": {"path": str(notebook_path), "sha256": _sha256(notebook_path)},
                "inputs": inputs,
                "targets": ({"path": str(target_path), "sha256": _sha256(target_path)}
                            if target_path else None),
                "config": ({"path": str(config) if config else None,
                            "templates": settings.get("templates", [])}
                           if settings is not None else None),
                "limits": {"cell_timeout_s": timeout, "team_timeout_s": team_timeout},
                "complete": all(r.status == "ok" for r in runs),
                "teams": [asdict(r) for r in runs],
            }
            write_text_file(staging / "index.html", _index_html(str(as_of), runs, inputs, lang))
            write_text_file(staging / "manifest.json",  # last: a manifest means the week is whole
                        json.dumps(manifest, ensure_ascii=False, indent=2, default=str))
    except OSError as exc:
        full = "the disk is full: " if exc.errno == errno.ENOSPC else ""
        raise PipereviewError(
            f"the reports of {as_of} were not written ({full}{exc}); {final} is as it was",
            hint=f"free space under {root} and run again; --resume keeps the teams that were "
                 "ok in the last complete run") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return BatchResult(week=str(as_of), folder=final, teams=tuple(runs))
