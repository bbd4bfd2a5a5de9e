"""The commands of the snapshot store: ``ingest`` (a week's exports validated and stored),
``weeks`` (what the store holds) and ``verify`` (the whole store checked, ``--repair``).

>>> import tempfile
>>> from typer.testing import CliRunner
>>> from pipereview.cli import app
>>> with tempfile.TemporaryDirectory() as folder:
...     print(CliRunner().invoke(app, ["weeks", "--store", folder]).output)
The store ... holds no weeks yet. Add one with `pipereview ingest FILE --week 2026-W47`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from pipereview.cli._base import StoreOption, friendly, print_table, progress, run_config, state

__all__: list[str] = []  # the commands are reached through pipereview.cli.app

CrmOption = Annotated[
    str | None,
    typer.Option(
        help="Column map to use instead of detecting one: shipped, from a plug-in or a --templates folder (see `pipereview maps`)."
    ),
]
ModelOption = Annotated[
    str | None,
    typer.Option(
        help="Stage model name or YAML file [default: the column map's, or the one model that knows every stage name in the export]."
    ),
]
ReplaceOption = Annotated[
    bool,
    typer.Option(
        help="Overwrite the week if it is already stored (with --add: replace only the export's teams)."
    ),
]
AddOption = Annotated[
    bool,
    typer.Option(
        "--add",
        help="Add the export's teams to the week if it is already stored (a team the week holds is refused unless --replace).",
    ),
]
KeepGoingOption = Annotated[
    bool,
    typer.Option(
        help="Store the good rows even when some rows are rejected (they stay in the quarantine file)."
    ),
]


@friendly
def ingest(
    files: Annotated[
        list[Path], typer.Argument(help="Export files (CSV, XLSX, Parquet) of one week.")
    ],
    week: Annotated[str, typer.Option(help="ISO week of the exports, e.g. 2026-W47.")],
    crm: CrmOption = None,
    map_file: Annotated[
        Path | None, typer.Option("--map", help="Your own column map (YAML).")
    ] = None,
    model: ModelOption = None,
    team: Annotated[
        str | None, typer.Option(help="Team name for exports without a team column.")
    ] = None,
    encoding: Annotated[str | None, typer.Option(help="Text encoding [default: detected].")] = None,
    store: StoreOption = None,
    replace: ReplaceOption = False,
    add: AddOption = False,
    keep_going: KeepGoingOption = False,
) -> None:
    """Validate CRM exports and store them as one week's snapshot."""
    from pipereview.history._intake import ingest_week

    if crm and map_file:
        raise typer.BadParameter("give --crm or --map, not both")
    from pipereview.ingest._columnmaps import column_maps

    # --crm is a name only, looked up in the registry; a file of your own goes to --map
    chosen_map = map_file or (column_maps.get(crm) if crm else None)
    outcome = ingest_week(
        files,
        week=week,
        column_map=chosen_map,
        stage_model=model,
        team=team,
        encoding=encoding,
        store=store,
        replace=replace,
        add=add,
        keep_going=keep_going,
        progress=progress,
        limits=run_config().limits,
    )
    for report in outcome.reports:
        state.out.print(report.summary(), markup=False, soft_wrap=True)
    for path in outcome.quarantine_files:
        state.out.print(f"quarantine: {path}", markup=False, soft_wrap=True)
    state.out.print(
        f"[green]stored[/] {outcome.week}: {outcome.rows} deals in {len(outcome.teams)} "
        f"team(s) -> {escape(str(outcome.path))}",
        soft_wrap=True,
    )


@friendly
def weeks(store: StoreOption = None) -> None:
    """List the weeks and teams the store holds, and the activities, leads, invoices and
    forecast calls stored with them."""
    from pipereview.history._store import SnapshotStore

    snapshot_store = SnapshotStore(store)
    summary = snapshot_store.summary()
    if summary.empty:
        state.out.print(
            f"The store {snapshot_store.root} holds no weeks yet. "
            "Add one with `pipereview ingest FILE --week 2026-W47`."
        )
        return
    print_table(summary, f"Stored weeks in {snapshot_store.root}")
    from pipereview.history._companionstore import companion_summary

    companions = companion_summary(snapshot_store)
    if not companions.empty:
        print_table(companions, "Activities, leads and invoices stored with the weeks")
    from pipereview.history._callstore import forecast_call_summary

    calls = forecast_call_summary(snapshot_store)
    if not calls.empty:
        print_table(calls, "Forecast calls stored with the weeks")


@friendly
def verify(
    repair: Annotated[
        bool,
        typer.Option(
            help="Under the store's lock: remove the leftovers of interrupted writes, move damaged or foreign week files to the store's damaged/ folder, and record the stage models in weeks stored before weeks recorded them."
        ),
    ] = False,
    store: StoreOption = None,
) -> None:
    """Check the whole store: every week readable, its checksum matching, its rows valid;
    quarantine folders and leftovers of interrupted writes. Exit status 1 on any problem."""
    from pipereview.history._store import SnapshotStore
    from pipereview.history._verify import record_definitions, set_aside, verify_store

    snapshot_store = SnapshotStore(store)
    if repair:
        with snapshot_store.lock():  # taking the lock removes the leftovers
            for path in set_aside(snapshot_store):
                state.out.print(f"set aside: {path}", markup=False)
            for done in record_definitions(snapshot_store):
                state.out.print(f"recorded the stage models of {done} in the week", markup=False)
    check = verify_store(snapshot_store)
    for finding in check.findings:
        label = "[bold red]problem:[/] " if finding.severity == "problem" else "[bold]note:[/] "
        state.out.print(label, end="")
        state.out.print(f"{finding.path}: {finding.what}", markup=False, soft_wrap=True)
        state.out.print(f"  fix: {finding.fix}", markup=False, soft_wrap=True)
    state.out.print(
        f"{snapshot_store.root}: {len(check.weeks)} week(s) intact, "
        f"{len(check.problems)} problem(s).",
        markup=False,
    )
    if not check.ok:
        raise typer.Exit(1)
