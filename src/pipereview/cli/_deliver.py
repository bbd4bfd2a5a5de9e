"""The commands of the weekly batch: ``run`` (the review notebook of every team, in
parallel) and ``new-notebook`` (a team notebook the batch can run).

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
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from pipereview.cli._base import (
    StoreOption,
    TargetsOption,
    WeekOption,
    friendly,
    print_table,
    progress,
    run_config,
    state,
)
from pipereview.core._errors import InputError

if TYPE_CHECKING:
    from rich.progress import Progress

    from pipereview.delivery import BatchResult, TeamRun
    from pipereview.history import SnapshotStore

__all__: list[str] = []  # the commands are reached through pipereview.cli.app

TeamsOption = Annotated[
    str | None, typer.Option(help="Comma-separated teams [default: every team of the week].")
]
WorkersOption = Annotated[
    int | None, typer.Option(help="Teams run in parallel [default: the machine's cores].")
]
LangOption = Annotated[
    str | None,
    typer.Option(help="Language of the reports: en or zh [default: the configuration's, else en]."),
]
NotebookOption = Annotated[
    Path | None, typer.Option(help="Team notebook to run [default: the weekly review].")
]
TimeoutOption = Annotated[
    int, typer.Option(help="Seconds a notebook cell may run before the team fails.")
]
TeamTimeoutOption = Annotated[
    float | None,
    typer.Option(
        help="Seconds a team's whole run may take; past it its kernel is killed and the team is marked timed out [default: no limit but --timeout per cell]."
    ),
]
ResumeOption = Annotated[
    bool, typer.Option(help="Keep teams whose last run of the week was ok on the same inputs.")
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(help="Run the teams on a Dask distributed cluster, e.g. tcp://10.0.0.5:8786."),
]
StageModelOption = Annotated[
    str | None,
    typer.Option(
        help="Judge process evidence against this stage model (name or YAML) instead of each team's own."
    ),
]
OutOption = Annotated[Path, typer.Option("--out", help="Where the week's reports go.")]
PeriodOption = Annotated[
    str | None,
    typer.Option(
        help="Run the monthly or quarterly pack instead of the weekly review: month or quarter (the one holding --week's Sunday), or a period such as 2026-11 or 2026-Q4; its reports go to <out>/<period>."
    ),
]


@friendly
def run(
    week: WeekOption = None,
    teams: TeamsOption = None,
    workers: WorkersOption = None,
    lang: LangOption = None,
    targets: TargetsOption = None,
    notebook: NotebookOption = None,
    timeout: TimeoutOption = 600,
    team_timeout: TeamTimeoutOption = None,
    resume: ResumeOption = False,
    scheduler: SchedulerOption = None,
    stage_model: StageModelOption = None,
    out_dir: OutOption = Path("reports"),
    store: StoreOption = None,
    period: PeriodOption = None,
) -> None:
    """Run the weekly review notebook for every team, in parallel: a report per team, an
    index page and a manifest. With --period, the monthly or quarterly pack instead
    (results against plan, deviation analysis, next period's plan; docs/period-packs.md).
    Exit status 1 when any team failed."""
    from pipereview.delivery._batch import run_batch
    from pipereview.history._store import SnapshotStore

    stored = SnapshotStore(store).weeks()
    if not stored:
        raise InputError(
            f"the store {SnapshotStore(store).root} holds no weeks yet",
            hint="ingest a week first: pipereview ingest --help",
        )
    lang = lang or run_config().lang
    if notebook is not None:
        _note_undeclared(notebook)
    as_of = SnapshotStore(store).require(week) if week else stored[-1]
    chosen = [t.strip() for t in teams.split(",") if t.strip()] if teams else None
    with progress() as bar:
        count = len(chosen) if chosen else len(SnapshotStore(store).info(as_of)["teams"])
        advance = _team_progress(bar, as_of, count, workers or os.cpu_count() or 1)
        result = run_batch(
            as_of,
            store=store,
            out_dir=out_dir,
            teams=chosen,
            notebook=notebook,
            workers=workers,
            lang=lang,
            targets=targets,
            timeout=timeout,
            progress=advance,
            resume=resume,
            scheduler=scheduler,
            stage_model=stage_model,
            team_timeout=team_timeout,
            config=state.config_path,
            templates=state.templates,
            period=period,
        )
    _print_batch(result, as_of, SnapshotStore(store))
    if not result.ok:
        raise typer.Exit(1)


def _note_undeclared(notebook: Path) -> None:
    """Say which of the batch's parameters ``notebook`` does not declare."""
    from pipereview.delivery._notebooks import check_team_notebook

    undeclared = check_team_notebook(notebook)
    if undeclared:
        state.err.print(
            f"note: {notebook} does not declare {', '.join(undeclared)}; the batch "
            "passes them anyway",
            markup=False,
        )


def _team_progress(
    bar: Progress, as_of: str, count: int, parallel: int
) -> Callable[[TeamRun], None]:
    """A step of ``bar`` per finished team, with how many teams are done, failed and
    running (at most ``parallel`` at once) and the last one."""
    task = bar.add_task(f"{as_of}: teams", total=count)
    failed = finished = 0

    def advance(done: TeamRun) -> None:
        nonlocal failed, finished
        failed += done.status != "ok"
        finished += 1
        running = min(parallel, count - finished)
        bar.update(
            task,
            advance=1,
            description=f"{as_of}: {finished - failed} done, "
            f"{failed} failed, {running} running (last: {escape(done.team)})",
        )

    return advance


def _print_batch(result: BatchResult, as_of: str, store: SnapshotStore) -> None:
    """Each team's run as a table, then the week's inputs (as ``store`` holds them) and
    the index page."""
    import pandas as pd

    from pipereview.delivery._batchplan import inputs_line

    print_table(
        pd.DataFrame(
            [
                {
                    "team": t.team,
                    "status": t.status
                    + (" (kept)" if t.resumed else "")
                    + (f" ({t.reason})" if t.reason else ""),
                    "seconds": t.duration_s,
                    "error": t.error[:80],
                }
                for t in result.teams
            ]
        ),
        f"Pack {result.period}, as of {as_of}" if result.period else f"Weekly review {as_of}",
    )
    state.out.print(f"Inputs: {inputs_line(store.info(as_of))}", markup=False)
    state.out.print(f"Index: {result.index.resolve()}", markup=False)


@friendly
def new_notebook(
    name: Annotated[
        str,
        typer.Argument(
            help="Name of the notebook (letters, digits, - and _), e.g. team_deep_dive."
        ),
    ],
    folder: Annotated[Path, typer.Option("--out", help="Folder to write it to.")] = Path(
        "notebooks"
    ),
    force: Annotated[bool, typer.Option(help="Replace a notebook of the same name.")] = False,
) -> None:
    """Start a team notebook from the template: the batch's parameters cell, the team's
    review loaded, a first section; `pipereview run --notebook` runs it per team."""
    from pipereview.delivery._notebooks import new_team_notebook

    path = new_team_notebook(name, folder, force=force)
    state.out.print(
        f"Wrote {path}. Open it in JupyterLab; run it for every team with:\n"
        f"  pipereview run --notebook {path}"
    )
