"""``pipereview companions``: the week's activities, leads and invoices stored beside its
deals (docs/companion-exports.md).

>>> from typer.testing import CliRunner
>>> from pipereview.cli import app
>>> "--kind" in CliRunner().invoke(app, ["companions", "--help"]).output
True
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pipereview.cli._base import StoreOption, friendly
from pipereview.cli._sidestore import store_side_files

if TYPE_CHECKING:
    from pipereview.ingest._companions import CompanionExport

__all__: list[str] = []  # the command is reached through pipereview.cli.app


@friendly
def companions(
    files: Annotated[
        list[Path],
        typer.Argument(help="Activity, lead or invoice exports (CSV, XLSX) of one week."),
    ],
    week: Annotated[str, typer.Option(help="ISO week of the exports, e.g. 2026-W47.")],
    kind: Annotated[
        str | None,
        typer.Option(help="activities, leads or invoices [default: told by the header]."),
    ] = None,
    team: Annotated[
        str | None, typer.Option(help="Team name for exports without a team column.")
    ] = None,
    column: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="A column the CRM names differently: role=header, e.g. "
            "--map activity_date='Completed On' (repeat for several).",
        ),
    ] = None,
    encoding: Annotated[str | None, typer.Option(help="Text encoding [default: detected].")] = None,
    store: StoreOption = None,
    replace: Annotated[
        bool, typer.Option(help="Replace a team's rows of that kind already stored for the week.")
    ] = False,
) -> None:
    """Validate activity, lead and invoice exports and store them with the week."""
    from pipereview.history._companionstore import check_companions, store_companion
    from pipereview.history._store import SnapshotStore
    from pipereview.ingest._companions import read_companion

    mapping = _mapping(column or [])
    target = SnapshotStore(store)
    store_side_files(
        files,
        lambda f: read_companion(f, kind=kind, column_map=mapping or None, encoding=encoding),
        label=lambda export: f"{export.kind}, {export.crm}",
        notes=_lacking,
        check=lambda exports: check_companions(target, week, exports, team=team, replace=replace),
        store=lambda e: store_companion(target, week, e, team=team, replace=replace),
    )


def _lacking(export: CompanionExport) -> list[str]:
    """The optional columns the export lacks, but its rows' team (told by their deal or
    rep), as a note under its counts."""
    lacking = [c for c in export.missing if c != "team"]
    if not lacking:
        return []
    return [f"  not in this export (findings that need them say so): {', '.join(lacking)}"]


def _mapping(pairs: list[str]) -> dict[str, str]:
    """``role=header`` options as a mapping; a pair without ``=`` refused by name."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        role, sep, header = pair.partition("=")
        if not sep or not role.strip() or not header.strip():
            raise typer.BadParameter(
                f"--map {pair!r}: expected role=header, e.g. activity_date='Completed On'"
            )
        mapping[role.strip()] = header.strip()
    return mapping
