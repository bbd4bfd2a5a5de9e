"""What every command of ``pipereview`` shares: the typer ``app`` with its options
(``--debug``, ``--config``, ``--templates``), the run's :data:`state` they set, errors
turned into a message and an exit status, progress bars and tables.

>>> import pandas as pd
>>> print_table(pd.DataFrame({"team": ["North"], "open amount": [1234567.8]}), "Open pipeline")
     Open pipeline
┏━━━━━━━┳━━━━━━━━━━━━━┓
┃ team  ┃ open amount ┃
┡━━━━━━━╇━━━━━━━━━━━━━┩
│ North │ 1,234,568   │
└───────┴─────────────┘
"""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from pipereview.core._errors import PipereviewError

if TYPE_CHECKING:
    from pipereview.config import Config

__all__ = [
    "RunState",
    "StoreOption",
    "TargetsOption",
    "WeekOption",
    "app",
    "friendly",
    "print_table",
    "progress",
    "run_config",
    "state",
]

app = typer.Typer(
    name="pipereview",
    help="The weekly sales-pipeline review: ingest CRM exports, store weekly snapshots, "
    "build review packs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts are plain: "[default: ...]" must show as written
)


@dataclass
class RunState:
    """One run of the command: its consoles (made per run, so the terminal width is
    current) and what its options set: --debug, --config (its path and what it says), the
    --templates folders, and the warnings already shown."""

    out: Console
    err: Console
    debug: bool = False
    config: Config | None = None
    config_path: Path | None = None
    templates: list[Path] = field(default_factory=list)
    warned: set[str] = field(default_factory=set)


#: The current run's state, set afresh by the options callback of every run.
state = RunState(out=Console(highlight=False), err=Console(stderr=True, highlight=False))

P = ParamSpec("P")
R = TypeVar("R")

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store", help="Snapshot store folder [default: $PIPEREVIEW_STORE or ./pipereview-data]"
    ),
]
WeekOption = Annotated[str | None, typer.Option(help="ISO week [default: the latest stored].")]
TargetsOption = Annotated[Path | None, typer.Option(help="Targets file (CSV/XLSX).")]


def friendly(func: Callable[P, R]) -> Callable[P, R]:
    """Turn pipereview errors into a message and exit status 1 (traceback with --debug)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except PipereviewError as exc:
            if state.debug:
                raise
            _print_error(exc)
            raise typer.Exit(1) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except OSError as exc:  # a full disk, a read-only folder, a name too long: the user's
            if state.debug:
                raise
            from pipereview.core._errors import FileSystemError

            _print_error(FileSystemError.from_os_error(exc, action="read or write"))
            raise typer.Exit(1) from None
        except Exception as exc:  # a bug: say so plainly, keep the traceback for --debug
            if state.debug:
                raise
            state.err.print("[bold red]internal error:[/] ", end="")
            state.err.print(f"{type(exc).__name__}: {exc}", markup=False)
            state.err.print("Run again with --debug for the traceback, and please report it.")
            raise typer.Exit(3) from None

    return wrapper


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """Print pipereview's own warnings (a damaged week set aside) as a line on stderr,
    once per run; others as Python shows them."""
    from pipereview.core._errors import StoreWarning

    if not issubclass(category, StoreWarning):
        _SHOW_WARNING(message, category, filename, lineno, file, line)
        return
    if str(message) in state.warned:
        return
    state.warned.add(str(message))
    state.err.print("[bold yellow]warning:[/] ", end="")
    state.err.print(str(message), markup=False, soft_wrap=True)


_SHOW_WARNING = warnings.showwarning


def _print_error(exc: PipereviewError) -> None:
    state.err.print("[bold red]error:[/] ", end="")
    state.err.print(exc.message, markup=False, soft_wrap=True)
    if exc.hint:
        state.err.print("[bold]hint:[/] ", end="")
        state.err.print(exc.hint, markup=False, soft_wrap=True)


@app.callback()
def _main(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show Python tracebacks on errors.")
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            envvar="PIPEREVIEW_CONFIG",
            help="Configuration file (YAML): language, stage model, template folders, sheet charts, thresholds; see docs/start-analysts.md.",
        ),
    ] = None,
    templates: Annotated[
        list[Path] | None,
        typer.Option(
            "--templates",
            help="Your templates folder (column_maps/, stage_models/, coaching/): overrides the shipped ones of the same name. Repeatable.",
        ),
    ] = None,
) -> None:
    state.debug = debug
    # made per run, so the terminal width is current; piped output gets room for tables
    state.out = Console(highlight=False, width=None if sys.stdout.isatty() else 132)
    state.err = Console(stderr=True, highlight=False)
    state.config, state.config_path = None, None
    state.templates, state.warned = list(templates or []), set()
    from pipereview.core._errors import StoreWarning

    warnings.simplefilter("always", StoreWarning)  # each run says what it set aside
    warnings.showwarning = _show_warning
    if config is not None or templates:
        _configure(config, templates or [])


@friendly
def _configure(path: Path | None, templates: list[Path]) -> None:
    from pipereview.config import Config, load_config

    settings = load_config(path) if path is not None else Config()
    settings = settings.replace(templates=(*settings.templates, *templates))
    settings.use_templates()
    state.config, state.config_path = settings, path


def run_config() -> Config:
    """The run's :class:`~pipereview.config.Config` (the package defaults without --config)."""
    from pipereview.config import Config

    settings: Config = state.config or Config()
    return settings


def progress() -> Progress:
    """A progress bar on stderr, gone when done."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=state.err,
        transient=True,
    )


def print_table(frame: Any, title: str) -> None:
    """``frame`` as a table on the run's output: floats as whole numbers with thousands
    separators, no value read as markup."""
    table = Table(*[str(c) for c in frame.columns], title=title)
    for row in frame.itertuples(index=False):
        table.add_row(*[Text(f"{v:,.0f}" if isinstance(v, float) else str(v)) for v in row])
    state.out.print(table)
