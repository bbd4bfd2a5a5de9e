"""``pipereview backfill``: past weeks rebuilt from the CRM's change history, so the first
review shows a quarter of changes (docs/backfill.md).

>>> from typer.testing import CliRunner
>>> from pipereview.cli import app
>>> "--history" in CliRunner().invoke(app, ["backfill", "--help"]).output
True
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from pipereview.cli._base import StoreOption, friendly, state
from pipereview.cli._store import CrmOption, ModelOption

if TYPE_CHECKING:
    from pipereview.history._backfillrun import BackfillRun

__all__: list[str] = []  # the command is reached through pipereview.cli.app


@friendly
def backfill(
    export: Annotated[
        Path, typer.Argument(help="The current deals export (CSV, XLSX, Parquet) of --week.")
    ],
    history: Annotated[
        Path,
        typer.Option(
            help="The change history export: Salesforce Opportunity (Field) History, HubSpot "
            "'Date entered' stages or property history, Odoo tracking values, or the generic "
            "deal_id, field, old_value, new_value, changed_at (docs/history-exports.md)."
        ),
    ],
    week: Annotated[str, typer.Option(help="ISO week of the current export, e.g. 2026-W49.")],
    first: Annotated[
        str | None,
        typer.Option("--from", help="First week to rebuild [default: 13 weeks before --week]."),
    ] = None,
    crm: CrmOption = None,
    model: ModelOption = None,
    team: Annotated[
        str | None, typer.Option(help="Team name for exports without a team column.")
    ] = None,
    history_format: Annotated[
        str | None,
        typer.Option("--history-format", help="The history export's format [default: detected]."),
    ] = None,
    encoding: Annotated[str | None, typer.Option(help="Text encoding [default: detected].")] = None,
    store: StoreOption = None,
    replace: Annotated[
        bool,
        typer.Option(
            help="Rebuild weeks an earlier backfill stored (a week holding a real export is never overwritten)."
        ),
    ] = False,
) -> None:
    """Rebuild past weeks from the current export and the CRM's change history."""
    from pipereview.history._backfillrun import backfill_store
    from pipereview.ingest._columnmaps import column_maps

    outcome = backfill_store(
        export,
        history,
        week=week,
        first=first,
        store=store,
        column_map=column_maps.get(crm) if crm else None,
        stage_model=model,
        team=team,
        history_format=history_format,
        encoding=encoding,
        replace=replace,
    )
    out = state.out
    log, rebuilt = outcome.history, outcome.backfill
    out.print(
        f"history {escape(log.source.name)} ({log.format}): {log.rows_read} rows read, "
        f"{log.rows_used} used, {log.rows_quarantined} set aside, {log.rows_skipped} skipped",
        soft_wrap=True,
    )
    for line in _notes(outcome):
        out.print(line, markup=False, soft_wrap=True)
    if outcome.current_stored:
        out.print(f"[green]stored[/] {outcome.week} from {escape(export.name)}", soft_wrap=True)
    if outcome.stored:
        out.print(
            f"[green]rebuilt[/] {len(outcome.stored)} week(s), {outcome.stored[0]} to "
            f"{outcome.stored[-1]}: {column_names(rebuilt.fields_from_history)} from the history",
            soft_wrap=True,
        )


def _notes(outcome: BackfillRun) -> list[str]:
    """What the rebuilt weeks could not know, and what was left as it was."""
    rebuilt = outcome.backfill
    notes = []
    if rebuilt.carried:
        notes.append(
            f"carried from the current export (the history has no change of them): "
            f"{column_names(rebuilt.carried)}"
        )
    notes.append(f"not known for past weeks, left blank: {column_names(rebuilt.unknown)}")
    if rebuilt.assumed:
        notes.append(
            f"{rebuilt.assumed} deal-week value(s) before a deal's first recorded change "
            "taken as the first recorded value (the history gives no earlier value)"
        )
    if rebuilt.not_in_export:
        removed = len(rebuilt.removed)
        notes.append(
            f"{len(rebuilt.not_in_export)} deal(s) of the history are not in the current "
            f"export ({removed} deleted or merged in the CRM): not in the rebuilt weeks"
        )
    notes += [f"set aside: {p}" for p in rebuilt.problems]
    if outcome.kept:
        notes.append(f"kept as stored (real exports): {', '.join(outcome.kept)}")
    return notes


def column_names(columns: tuple[str, ...]) -> str:
    """The readers' names of ``columns``, listed."""
    from pipereview.diagnostics import column_label

    return ", ".join(column_label(c) for c in columns)
