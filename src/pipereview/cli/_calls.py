"""``pipereview calls``: the reps' and managers' forecast calls stored with the week
(docs/forecast.md, "Forecast calls").

>>> from typer.testing import CliRunner
>>> from pipereview.cli import app
>>> "--replace" in CliRunner().invoke(app, ["calls", "--help"]).output
True
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipereview.cli._base import StoreOption, friendly
from pipereview.cli._sidestore import store_side_files

__all__: list[str] = []  # the command is reached through pipereview.cli.app


@friendly
def calls(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Forecast calls files (CSV, XLSX): one row per rep's or manager's call."
        ),
    ],
    week: Annotated[
        str,
        typer.Option(help="ISO week of the calls, e.g. 2026-W47 (a file's Week column wins)."),
    ],
    period: Annotated[
        str | None,
        typer.Option(help="Quarter called, e.g. 2026-Q4 [default: the file's, else the week's]."),
    ] = None,
    encoding: Annotated[str | None, typer.Option(help="Text encoding [default: detected].")] = None,
    store: StoreOption = None,
    replace: Annotated[
        bool, typer.Option(help="Replace a team's calls already stored for the week.")
    ] = False,
) -> None:
    """Validate forecast calls files and store them with their weeks."""
    from pipereview.history._callstore import check_forecast_calls, store_forecast_calls
    from pipereview.history._store import SnapshotStore
    from pipereview.ingest._forecastcalls import read_forecast_calls

    target = SnapshotStore(store)
    store_side_files(
        files,
        lambda f: read_forecast_calls(f, week=week, period=period, encoding=encoding),
        label=lambda export: "forecast calls",
        check=lambda exports: check_forecast_calls(target, exports, replace=replace),
        store=lambda export: store_forecast_calls(target, week, export, replace=replace),
    )
