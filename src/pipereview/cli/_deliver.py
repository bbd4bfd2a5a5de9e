"""The commands of what people read: ``coach`` (the coaching pack), ``serve`` (the
managers' dashboard), ``run`` (the weekly batch of review notebooks) and ``new-notebook``
(a team notebook the batch can run).

>>> import tempfile
>>> from typer.testing import CliRunner
>>> from pipereview.cli import app
>>> with tempfile.TemporaryDirectory() as folder:
...     done = CliRunner().invoke(app, ["new-notebook", "deep_dive", "--out", folder])
...     sorted(p.name for p in Path(folder).iterdir())
['deep_dive.ipynb']
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from pipereview.cli._base import StoreOption, friendly, print_table, progress, run_config, state
from pipereview.core._errors import InputError

__all__: list[str] = []  # the commands are reached through pipereview.cli.app


@friendly
def coach(
    week: Annotated[str | None, typer.Option(help="ISO week [default: the latest stored].")] = None,
    team: Annotated[list[str] | None, typer.Option(help="Team(s) to coach [default: every team].")] = None,
    lang: Annotated[str | None, typer.Option(help="Language of the prompts: en or zh [default: the configuration's, else en].")] = None,
    targets: Annotated[Path | None, typer.Option(help="Targets file (CSV/XLSX) for the coverage and plan rules.")] = None,
    settings: Annotated[Path | None, typer.Option(help="Rule thresholds (YAML, see docs/coaching.md) [default: the configuration's rules].")] = None,
    templates: Annotated[list[Path] | None, typer.Option(help="Folder(s) of your own prompt templates, searched before the shipped ones.")] = None,
    chart: Annotated[list[str] | None, typer.Option(help="A registered chart to draw on each rep's HTML sheet (see `pipereview registry`). Repeatable [default: the configuration's charts].")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Where the coaching pack goes.")] = Path("coaching"),
    store: StoreOption = None,
) -> None:
    """Write each rep's coaching sheet and each team's summary (Markdown and HTML)."""
    from pipereview.coaching import (
        PromptTemplates,
        load_rule_settings,
        write_coaching_pack,
    )
    from pipereview.diagnostics._targets import load_targets
    from pipereview.history._store import SnapshotStore
    from pipereview.history._trail import load_history
    from pipereview.week import WeekDiagnostics

    snapshot_store = SnapshotStore(store)
    stored = snapshot_store.weeks()
    if not stored:
        state.out.print(f"The store {snapshot_store.root} holds no weeks yet.")
        return
    as_of = snapshot_store.require(week) if week else stored[-1]
    config = run_config()
    lang = lang or config.lang
    prompt_templates = PromptTemplates(templates or ())
    rule_settings = load_rule_settings(settings) if settings else None
    goals = load_targets(targets) if targets else None
    with progress() as bar:
        task = bar.add_task("matching deals across weeks", total=None)
        keyed = load_history(snapshot_store, last=as_of)
        context = WeekDiagnostics(keyed, as_of, targets=goals, config=config)
        chosen = team or sorted(context.open_deals["team"].unique())
        unknown = sorted(set(chosen) - set(context.latest["team"]))
        if unknown:
            raise InputError(f"no team {', '.join(unknown)} in {as_of}; teams: "
                             f"{', '.join(sorted(context.latest['team'].unique()))}",
                             hint="give --team once per team, as `pipereview weeks` lists them")
        bar.update(task, description="coaching", total=len(chosen), completed=0)
        files = write_coaching_pack(
            context, out_dir / as_of, lang=lang, teams=chosen, settings=rule_settings,
            templates=prompt_templates, charts=chart,
            progress=lambda name: bar.update(task, description=f"coaching {escape(name)}", advance=1))
    sheets = [f for f in files if f.suffix == ".md" and f.name != f"team.{lang}.md"]
    state.out.print(f"Coaching pack for {as_of} ({lang}): {len(sheets)} rep sheets and "
                    f"{len(chosen)} team summaries in {(out_dir / as_of).resolve()}")


@friendly
def serve(
    team: Annotated[str | None, typer.Option(help="Lock the dashboard to this team: no selector, no other team's rows.")] = None,
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8866,
    ip: Annotated[str, typer.Option(help="Address to listen on (loopback only unless --allow-remote).")] = "127.0.0.1",
    allow_remote: Annotated[bool, typer.Option(help="Allow a non-loopback --ip (only behind an authenticating proxy).")] = False,
    targets: Annotated[Path | None, typer.Option(help="Targets file (CSV/XLSX).")] = None,
    week: Annotated[str | None, typer.Option(help="Week shown first [default: the latest stored].")] = None,
    lang: Annotated[str | None, typer.Option(help="Language shown first: en or zh [default: the configuration's, else en].")] = None,
    history: Annotated[Path | None, typer.Option(help="A keyed history (Parquet, e.g. the history.parquet that `serve --prepare-only` writes in its state folder) instead of keying the store here.")] = None,
    state_dir: Annotated[Path | None, typer.Option(help="Where the served data and exported action lists go [default: a temporary folder].")] = None,
    preheat: Annotated[bool, typer.Option(help="Keep a kernel ready with the dashboard computed (faster first page).")] = True,
    base_url: Annotated[str, typer.Option(help="URL prefix, e.g. /pipeline/north/ behind a reverse proxy.")] = "/",
    max_kernels: Annotated[int | None, typer.Option(help="Most pages open at once (each holds a kernel of ~300-500 MB); beyond it a page says the dashboard is at its limit [default: 4 per core, 4 to 16].")] = None,
    idle_timeout: Annotated[int, typer.Option(help="Seconds without activity after which an open page's kernel is freed.")] = 1800,
    closed_timeout: Annotated[int, typer.Option(help="Seconds a closed page's kernel is kept (3x that for a page that never connected).")] = 20,
    prepare_only: Annotated[bool, typer.Option(help="Write the dashboard's data, notebook and config into --state-dir and stop (for JupyterHub or a scheduler).")] = False,
    store: StoreOption = None,
) -> None:
    """Serve the manager's dashboard with Voila on http://IP:PORT/ (loopback by default)."""
    import tempfile

    from pipereview.serve import check_address, check_limits, default_max_kernels, prepare_dashboard
    from pipereview.serve import serve as run_voila

    check_address(ip, allow_remote=allow_remote)  # refuse before any work
    check_limits(default_max_kernels() if max_kernels is None else max_kernels, idle_timeout,
                 closed_timeout)
    if prepare_only and state_dir is None:
        raise InputError("--prepare-only needs --state-dir (where the dashboard's files go)",
                         hint="add --state-dir DIR, or leave out --prepare-only to serve at once")
    with tempfile.TemporaryDirectory(prefix="pipereview-serve-") as tmp:
        root = state_dir or Path(tmp)
        with state.out.status("Preparing the dashboard's data..."):
            dashboard = prepare_dashboard(root, store=store, history=history, targets=targets,
                                          team=team, week=week, lang=lang or run_config().lang,
                                          warm=preheat, config=state.config_path,
                                          templates=state.templates)
        scope = f"locked to {team}" if team else f"{len(dashboard.teams)} teams"
        if prepare_only:
            state.out.print(f"Dashboard ({scope}) prepared: notebook {dashboard.notebook}, "
                            f"set PIPEREVIEW_DASHBOARD={dashboard.config}")
            return
        state.out.print(f"Dashboard ({scope}) on http://{ip}:{port}{base_url} — Ctrl-C stops it. "
                        f"Exported action lists: {root / 'exports'}")
        status = run_voila(dashboard, port=port, ip=ip, allow_remote=allow_remote, preheat=preheat,
                           base_url=base_url, max_kernels=max_kernels,
                           idle_timeout=idle_timeout, closed_timeout=closed_timeout)
    if status:
        raise typer.Exit(status)


@friendly
def run(
    week: Annotated[str | None, typer.Option(help="ISO week [default: the latest stored].")] = None,
    teams: Annotated[str | None, typer.Option(help="Comma-separated teams [default: every team of the week].")] = None,
    workers: Annotated[int | None, typer.Option(help="Teams run in parallel [default: the machine's cores].")] = None,
    lang: Annotated[str | None, typer.Option(help="Language of the reports: en or zh [default: the configuration's, else en].")] = None,
    targets: Annotated[Path | None, typer.Option(help="Targets file (CSV/XLSX).")] = None,
    notebook: Annotated[Path | None, typer.Option(help="Team notebook to run [default: the weekly review].")] = None,
    timeout: Annotated[int, typer.Option(help="Seconds a notebook cell may run before the team fails.")] = 600,
    team_timeout: Annotated[float | None, typer.Option(help="Seconds a team's whole run may take; past it its kernel is killed and the team is marked timed out [default: no limit but --timeout per cell].")] = None,
    resume: Annotated[bool, typer.Option(help="Keep teams whose last run of the week was ok on the same inputs.")] = False,
    scheduler: Annotated[str | None, typer.Option(help="Run the teams on a Dask distributed cluster, e.g. tcp://10.0.0.5:8786.")] = None,
    stage_model: Annotated[str | None, typer.Option(help="Judge process evidence against this stage model (name or YAML) instead of each team's own.")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Where the week's reports go.")] = Path("reports"),
    store: StoreOption = None,
) -> None:
    """Run the weekly review notebook for every team, in parallel: a report per team, an
    index page and a manifest. Exit status 1 when any team failed."""
    from pipereview.delivery._batch import TeamRun, run_batch
    from pipereview.delivery._batchplan import inputs_line
    from pipereview.history._store import SnapshotStore

    stored = SnapshotStore(store).weeks()
    if not stored:
        raise InputError(f"the store {SnapshotStore(store).root} holds no weeks yet",
                         hint="ingest a week first: pipereview ingest --help")
    lang = lang or run_config().lang
    if notebook is not None:
        from pipereview.delivery._notebooks import check_team_notebook

        undeclared = check_team_notebook(notebook)
        if undeclared:
            state.err.print(f"note: {notebook} does not declare {', '.join(undeclared)}; the batch "
                            "passes them anyway", markup=False)
    as_of = SnapshotStore(store).require(week) if week else stored[-1]
    chosen = [t.strip() for t in teams.split(",") if t.strip()] if teams else None
    with progress() as bar:
        count = len(chosen) if chosen else len(SnapshotStore(store).info(as_of)["teams"])
        task = bar.add_task(f"{as_of}: teams", total=count)
        failed = finished = 0
        parallel = workers or os.cpu_count() or 1

        def advance(done: TeamRun) -> None:
            nonlocal failed, finished
            failed += done.status != "ok"
            finished += 1
            running = min(parallel, count - finished)
            bar.update(task, advance=1, description=f"{as_of}: {finished - failed} done, "
                       f"{failed} failed, {running} running (last: {escape(done.team)})")

        result = run_batch(as_of, store=store, out_dir=out_dir, teams=chosen,
                           notebook=notebook, workers=workers, lang=lang, targets=targets,
                           timeout=timeout, progress=advance, resume=resume,
                           scheduler=scheduler, stage_model=stage_model,
                           team_timeout=team_timeout, config=state.config_path,
                           templates=state.templates)
    import pandas as pd

    print_table(pd.DataFrame([{"team": t.team, "status": t.status + (" (kept)" if t.resumed else "")
                               + (f" ({t.reason})" if t.reason else ""),
                               "seconds": t.duration_s, "error": t.error[:80]}
                              for t in result.teams]), f"Weekly review {as_of}")
    state.out.print(f"Inputs: {inputs_line(SnapshotStore(store).info(as_of))}", markup=False)
    state.out.print(f"Index: {result.index.resolve()}", markup=False)
    if not result.ok:
        raise typer.Exit(1)


@friendly
def new_notebook(
    name: Annotated[str, typer.Argument(help="Name of the notebook (letters, digits, - and _), e.g. team_deep_dive.")],
    folder: Annotated[Path, typer.Option("--out", help="Folder to write it to.")] = Path("notebooks"),
    force: Annotated[bool, typer.Option(help="Replace a notebook of the same name.")] = False,
) -> None:
    """Start a team notebook from the template: the batch's parameters cell, the team's
    review loaded, a first section; `pipereview run --notebook` runs it per team."""
    from pipereview.delivery._notebooks import new_team_notebook

    path = new_team_notebook(name, folder, force=force)
    state.out.print(f"Wrote {path}. Open it in JupyterLab; run it for every team with:\n"
                    f"  pipereview run --notebook {path}")
