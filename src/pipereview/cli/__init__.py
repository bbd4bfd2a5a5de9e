"""The ``pipereview`` command: a thin layer over the package's functions.

Every command prints a clear message and exits with status 1 on bad input (2 on a usage
error); a Python traceback is shown only with ``--debug``. The commands live by stage of
the flow: the store (``_store``; ``_backfill``, past weeks from a change history; ``_companions``, the
week's activities, leads and invoices; ``_calls``, the reps' forecast calls), sample
data (``_sample``), the week's changes (``_changes``), what people read (``_coach`` and its
log ``_coachlog``, ``_serve`` and the weekly batch's ``_deliver``), the registries
(``_registries``) and the pulls from the CRMs' APIs (``_pull``); they are registered
here, in the order ``pipereview --help`` lists them.

>>> import typer
>>> list(typer.main.get_command(app).commands)[:5]
['ingest', 'backfill', 'companions', 'calls', 'weeks']
"""

from __future__ import annotations

from pipereview.cli._backfill import backfill
from pipereview.cli._base import app
from pipereview.cli._calls import calls
from pipereview.cli._changes import changes
from pipereview.cli._coach import coach
from pipereview.cli._coachlog import coaching_log
from pipereview.cli._companions import companions
from pipereview.cli._deliver import new_notebook, run
from pipereview.cli._pull import pull
from pipereview.cli._registries import maps, models, registry
from pipereview.cli._sample import demo, sample
from pipereview.cli._serve import serve
from pipereview.cli._store import ingest, verify, weeks

__all__ = ["app", "main"]

for _command in (
    ingest,
    backfill,
    companions,
    calls,
    weeks,
    verify,
    sample,
    demo,
    changes,
    coach,
    serve,
    run,
    maps,
    models,
):
    app.command()(_command)
app.command("coaching-log")(coaching_log)
app.command("new-notebook")(new_notebook)
app.command()(registry)
app.add_typer(pull)


def main() -> None:
    """Console entry point."""
    app()
