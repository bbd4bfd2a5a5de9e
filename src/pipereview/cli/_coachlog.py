"""The ``coaching-log`` command: list the coaching log the ``coach`` command keeps in the
store (each 1:1's focus items, their ids and statuses), export it as a file to edit, and
mark items agreed / done / dropped from such a file.

>>> import tempfile
>>> from typer.testing import CliRunner
>>> from pipereview.cli import app
>>> with tempfile.TemporaryDirectory() as folder:
...     print(CliRunner().invoke(app, ["coaching-log", "--store", folder]).output)
The coaching log of ... holds no items yet: `pipereview coach` records each sheet's focus
items.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipereview.cli._base import StoreOption, friendly, print_table, state
from pipereview.core._errors import InputError

__all__: list[str] = []  # the command is reached through pipereview.cli.app

MarkOption = Annotated[
    Path | None,
    typer.Option(
        "--mark",
        help="A CSV of week, rep, item, status (proposed / agreed / done / dropped) and note: marks those items (see docs/coaching.md).",
    ),
]
ExportOption = Annotated[
    Path | None,
    typer.Option(
        "--export", help="Write the items listed to this CSV, ready to edit and give to --mark."
    ),
]
TeamOption = Annotated[
    str | None,
    typer.Option(help="Only this team's items; with --mark, the file may mark only them."),
]
RepOption = Annotated[str | None, typer.Option(help="Only this rep's items.")]
LogWeekOption = Annotated[
    str | None, typer.Option("--week", help="Only the items of this 1:1 week (ISO week).")
]

_SHOWN = ["week", "team", "owner", "item", "kind", "subject", "status", "due", "note"]


@friendly
def coaching_log(
    mark: MarkOption = None,
    export: ExportOption = None,
    team: TeamOption = None,
    rep: RepOption = None,
    week: LogWeekOption = None,
    store: StoreOption = None,
) -> None:
    """List the coaching log (each 1:1's focus items with their ids and statuses), or mark
    items from a file."""
    import pandas as pd

    from pipereview.coaching._log import CoachingLog
    from pipereview.coaching._marks import mark_log
    from pipereview.core._weeks import Week
    from pipereview.history._store import SnapshotStore

    log = CoachingLog(SnapshotStore(store))
    if mark is not None:
        changed = mark_log(log, mark, team=team)
        state.out.print(
            f"Marked {changed} item{'s' if changed != 1 else ''} from {mark} in {log.path}",
            markup=False,
        )
    chosen = str(Week.parse(week)) if week else None
    entries = log.entries(team=team, owner=rep, week=chosen)
    if not entries:
        if log.entries() or export is not None:
            raise InputError(
                f"the coaching log of {log.files.root} holds no item"
                + (" for " if team or rep or chosen else "")
                + ", ".join(
                    f"{name} {value}"
                    for name, value in (("team", team), ("rep", rep), ("week", chosen))
                    if value
                )
                + (f"; nothing was written to {export}" if export is not None else ""),
                hint="run `pipereview coaching-log` without options to see what it holds "
                "(`pipereview coach` records each sheet's items; check --store)",
            )
        state.out.print(
            f"The coaching log of {log.files.root} holds no items yet: `pipereview coach` "
            "records each sheet's focus items.",
            markup=False,
        )
        return
    frame = pd.DataFrame(entries)[_SHOWN]
    if export is not None:
        _export(frame, export, log.files.root)
        state.out.print(f"{len(frame)} items written to {export}", markup=False)
        return
    print_table(frame.rename(columns={"owner": "rep"}), f"Coaching log ({log.path})")


def _export(frame: object, path: Path, root: Path) -> None:
    """The listing as a mark file to edit: week, rep, item, status, note first."""
    import pandas as pd

    from pipereview.core._exports import table_bytes
    from pipereview.core._files import atomic_write

    if path.suffix.lower() != ".csv":
        raise InputError(
            f"--export {path}: the mark file is a CSV",
            expected="a file name ending in .csv",
            hint="give a name such as coaching-marks.csv",
        )
    assert isinstance(frame, pd.DataFrame)
    table = frame.rename(columns={"owner": "rep"})
    table = table[["week", "rep", "item", "status", "note", "team", "kind", "subject", "due"]]
    with atomic_write(path, "wb") as handle:
        handle.write(table_bytes(table, "csv"))
