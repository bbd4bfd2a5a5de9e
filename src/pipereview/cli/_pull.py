"""The ``pull`` commands: a week's deals fetched from the CRM's API and stored as an
export would be (``pipereview pull salesforce``, ``pipereview pull hubspot``).

>>> from typer.testing import CliRunner
>>> from pipereview.cli import app
>>> result = CliRunner().invoke(app, ["pull", "--help"])
>>> "salesforce" in result.output and "hubspot" in result.output
True
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from pipereview.cli._base import StoreOption, friendly, print_table, progress, run_config, state

if TYPE_CHECKING:
    from pipereview.pull import PullResult

__all__ = ["pull"]

pull = typer.Typer(
    name="pull",
    help="Fetch the week's deals from a CRM's API and store them as an export would be.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

WeekArgument = Annotated[str, typer.Option(help="ISO week to store the pull as, e.g. 2026-W49.")]
TeamOption = Annotated[
    str | None, typer.Option(help="Team name for deals whose owner has no team in the CRM.")
]
HistoryOption = Annotated[
    Path | None,
    typer.Option(
        "--history-out", help="Also write the deals' change history to this CSV (for backfill)."
    ),
]
KeepOption = Annotated[
    Path | None,
    typer.Option("--keep-files", help="Keep the export file the pull writes in this folder."),
]
ReplaceOption = Annotated[bool, typer.Option(help="Overwrite the week if it is already stored.")]
AddOption = Annotated[
    bool,
    typer.Option("--add", help="Add the pull's teams to the week if it is already stored."),
]


@pull.command("salesforce")
@friendly
def salesforce(
    week: WeekArgument,
    store: StoreOption = None,
    team: TeamOption = None,
    soql_where: Annotated[
        str | None,
        typer.Option(
            "--soql-where",
            help='SOQL condition on Opportunity, e.g. "IsClosed = false OR CloseDate = LAST_N_DAYS:90".',
        ),
    ] = None,
    field: Annotated[
        list[str] | None,
        typer.Option(
            "--field",
            help="Another Opportunity field to fetch (API name, e.g. Budget_Confirmed__c). Repeatable.",
        ),
    ] = None,
    history_out: HistoryOption = None,
    keep_files: KeepOption = None,
    replace: ReplaceOption = False,
    add: AddOption = False,
) -> None:
    """Fetch every opportunity from Salesforce (credentials: SALESFORCE_* variables or the
    keyring, see docs/pull.md) and store them as the week."""
    from pipereview.pull import pull_salesforce

    outcome = pull_salesforce(
        week=week,
        store=store,
        team=team,
        where=soql_where,
        fields=field or (),
        history_out=history_out,
        keep_files=keep_files,
        replace=replace,
        add=add,
        progress=progress,
        limits=run_config().limits,
    )
    _report(outcome)


@pull.command("hubspot")
@friendly
def hubspot(
    week: WeekArgument,
    store: StoreOption = None,
    team: TeamOption = None,
    pipeline: Annotated[
        str | None, typer.Option(help="Only the deals of this pipeline (its ID or label).")
    ] = None,
    history_out: HistoryOption = None,
    keep_files: KeepOption = None,
    replace: ReplaceOption = False,
    add: AddOption = False,
) -> None:
    """Fetch every deal from HubSpot (credentials: HUBSPOT_ACCESS_TOKEN or the keyring,
    see docs/pull.md) and store them as the week."""
    from pipereview.pull import pull_hubspot

    outcome = pull_hubspot(
        week=week,
        store=store,
        team=team,
        pipeline=pipeline,
        history_out=history_out,
        keep_files=keep_files,
        replace=replace,
        add=add,
        progress=progress,
        limits=run_config().limits,
    )
    _report(outcome)


def _report(outcome: PullResult) -> None:
    """What ``ingest`` prints, then the deals removed in the CRM and the files written."""
    import pandas as pd

    stored = outcome.stored
    for report in stored.reports:
        state.out.print(report.summary(), markup=False, soft_wrap=True)
    for path in stored.quarantine_files:
        state.out.print(f"quarantine: {path}", markup=False, soft_wrap=True)
    print_table(
        pd.DataFrame(
            {
                "CRM": [outcome.crm],
                "deals fetched": [str(outcome.deals)],
                "stored": [str(stored.rows)],
                "teams": [str(len(stored.teams))],
                "retries": [str(outcome.retries)],
            }
        ),
        f"Pull of {stored.week}",
    )
    state.out.print(outcome.summary(), markup=False, soft_wrap=True)
    written = [outcome.export_file, *outcome.history_files]
    for file in written:
        if file is not None:
            state.out.print(f"wrote {file}", markup=False, soft_wrap=True)
    state.out.print(
        f"[green]stored[/] {stored.week}: {stored.rows} deals in {len(stored.teams)} "
        f"team(s) -> {escape(str(stored.path))}",
        soft_wrap=True,
    )
