"""The ``pipereview`` command: a thin layer over the package's functions.

Every command prints a clear message and exits with status 1 on bad input (2 on a usage
error); a Python traceback is shown only with ``--debug``.
"""

from __future__ import annotations

import functools
import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from pipereview.core._errors import InputError, PipereviewError

if TYPE_CHECKING:
    from pipereview.config import Config

__all__ = ["app", "main"]

app = typer.Typer(
    name="pipereview",
    help="The weekly sales-pipeline review: ingest CRM exports, store weekly snapshots, "
    "build review packs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts are plain: "[default: ...]" must show as written
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)
#: The run's options from the callback: --debug, --config (its path and what it says), and
#: --templates folders.
_state: dict[str, Any] = {"debug": False, "config": None, "config_path": None,
                          "templates": [], "warned": set()}

P = ParamSpec("P")
R = TypeVar("R")

StoreOption = Annotated[Path | None, typer.Option(
    "--store", help="Snapshot store folder [default: $PIPEREVIEW_STORE or ./pipereview-data]")]


def _friendly(func: Callable[P, R]) -> Callable[P, R]:
    """Turn pipereview errors into a message and exit status 1 (traceback with --debug)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except PipereviewError as exc:
            if _state["debug"]:
                raise
            _print_error(exc)
            raise typer.Exit(1) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except OSError as exc:  # a full disk, a read-only folder, a name too long: the user's
            if _state["debug"]:
                raise
            from pipereview.core._errors import FileSystemError

            _print_error(FileSystemError.from_os_error(exc, action="read or write"))
            raise typer.Exit(1) from None
        except Exception as exc:  # a bug: say so plainly, keep the traceback for --debug
            if _state["debug"]:
                raise
            err.print("[bold red]internal error:[/] ", end="")
            err.print(f"{type(exc).__name__}: {exc}", markup=False)
            err.print("Run again with --debug for the traceback, and please report it.")
            raise typer.Exit(3) from None

    return wrapper


def _show_warning(message: Warning | str, category: type[Warning], filename: str,
                  lineno: int, file: Any = None, line: str | None = None) -> None:
    """Print pipereview's own warnings (a damaged week set aside) as a line on stderr,
    once per run; others as Python shows them."""
    from pipereview.core._errors import StoreWarning

    if not issubclass(category, StoreWarning):
        _SHOW_WARNING(message, category, filename, lineno, file, line)
        return
    if str(message) in _state["warned"]:
        return
    _state["warned"].add(str(message))
    err.print("[bold yellow]warning:[/] ", end="")
    err.print(str(message), markup=False, soft_wrap=True)


_SHOW_WARNING = warnings.showwarning


def _print_error(exc: PipereviewError) -> None:
    err.print("[bold red]error:[/] ", end="")
    err.print(exc.message, markup=False, soft_wrap=True)
    if exc.hint:
        err.print("[bold]hint:[/] ", end="")
        err.print(exc.hint, markup=False, soft_wrap=True)


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option(
        "--debug", help="Show Python tracebacks on errors.")] = False,
    config: Annotated[Path | None, typer.Option(
        "--config", envvar="PIPEREVIEW_CONFIG",
        help="Configuration file (YAML): language, stage model, template folders, sheet charts, thresholds; see docs/start-analysts.md.")] = None,
    templates: Annotated[list[Path] | None, typer.Option(
        "--templates", help="Your templates folder (column_maps/, stage_models/, coaching/): overrides the shipped ones of the same name. Repeatable.")] = None,
) -> None:
    global out, err
    _state["debug"] = debug
    # made per run, so the terminal width is current; piped output gets room for tables
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 132)
    err = Console(stderr=True, highlight=False)
    _state.update(config=None, config_path=None, templates=list(templates or []),
                  warned=set())
    from pipereview.core._errors import StoreWarning

    warnings.simplefilter("always", StoreWarning)  # each run says what it set aside
    warnings.showwarning = _show_warning
    if config is not None or templates:
        _configure(config, templates or [])


@_friendly
def _configure(path: Path | None, templates: list[Path]) -> None:
    from pipereview.config import Config, load_config

    settings = load_config(path) if path is not None else Config()
    settings = settings.replace(templates=(*settings.templates, *templates))
    settings.use_templates()
    _state["config"], _state["config_path"] = settings, path


def _config() -> Config:
    """The run's :class:`~pipereview.config.Config` (the package defaults without --config)."""
    from pipereview.config import Config

    settings: Config = _state["config"] or Config()
    return settings


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err, transient=True)


@app.command()
@_friendly
def ingest(
    files: Annotated[list[Path], typer.Argument(help="Export files (CSV, XLSX, Parquet) of one week.")],
    week: Annotated[str, typer.Option(help="ISO week of the exports, e.g. 2026-W47.")],
    crm: Annotated[str | None, typer.Option(help="Column map to use instead of detecting one: shipped, from a plug-in or a --templates folder (see `pipereview maps`).")] = None,
    map_file: Annotated[Path | None, typer.Option("--map", help="Your own column map (YAML).")] = None,
    model: Annotated[str | None, typer.Option(help="Stage model name or YAML file [default: the column map's, or the one model that knows every stage name in the export].")] = None,
    team: Annotated[str | None, typer.Option(help="Team name for exports without a team column.")] = None,
    encoding: Annotated[str | None, typer.Option(help="Text encoding [default: detected].")] = None,
    store: StoreOption = None,
    replace: Annotated[bool, typer.Option(help="Overwrite the week if it is already stored (with --add: replace only the export's teams).")] = False,
    add: Annotated[bool, typer.Option("--add", help="Add the export's teams to the week if it is already stored (a team the week holds is refused unless --replace).")] = False,
    keep_going: Annotated[bool, typer.Option(help="Store the good rows even when some rows are rejected (they stay in the quarantine file).")] = False,
) -> None:
    """Validate CRM exports and store them as one week's snapshot."""
    from pipereview.history._intake import ingest_week

    if crm and map_file:
        raise typer.BadParameter("give --crm or --map, not both")
    from pipereview.ingest._columnmaps import column_maps

    # --crm is a name only, looked up in the registry; a file of your own goes to --map
    chosen_map = map_file or (column_maps.get(crm) if crm else None)
    outcome = ingest_week(files, week=week, column_map=chosen_map, stage_model=model,
                          team=team, encoding=encoding, store=store, replace=replace,
                          add=add, keep_going=keep_going, progress=_progress,
                          limits=_config().limits)
    for report in outcome.reports:
        out.print(report.summary(), markup=False, soft_wrap=True)
    for path in outcome.quarantine_files:
        out.print(f"quarantine: {path}", markup=False, soft_wrap=True)
    out.print(f"[green]stored[/] {outcome.week}: {outcome.rows} deals in {len(outcome.teams)} "
              f"team(s) -> {escape(str(outcome.path))}", soft_wrap=True)


@app.command()
@_friendly
def weeks(store: StoreOption = None) -> None:
    """List the weeks and teams the store holds."""
    from pipereview.history._store import SnapshotStore

    snapshot_store = SnapshotStore(store)
    summary = snapshot_store.summary()
    if summary.empty:
        out.print(f"The store {snapshot_store.root} holds no weeks yet. "
                  "Add one with `pipereview ingest FILE --week 2026-W47`.")
        return
    _print_table(summary, f"Stored weeks in {snapshot_store.root}")


@app.command()
@_friendly
def verify(
    repair: Annotated[bool, typer.Option(help="Under the store's lock: remove the leftovers of interrupted writes, move damaged or foreign week files to the store's damaged/ folder, and record the stage models in weeks stored before weeks recorded them.")] = False,
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
                out.print(f"set aside: {path}", markup=False)
            for done in record_definitions(snapshot_store):
                out.print(f"recorded the stage models of {done} in the week", markup=False)
    check = verify_store(snapshot_store)
    for finding in check.findings:
        label = "[bold red]problem:[/] " if finding.severity == "problem" else "[bold]note:[/] "
        out.print(label, end="")
        out.print(f"{finding.path}: {finding.what}", markup=False, soft_wrap=True)
        out.print(f"  fix: {finding.fix}", markup=False, soft_wrap=True)
    out.print(f"{snapshot_store.root}: {len(check.weeks)} week(s) intact, "
              f"{len(check.problems)} problem(s).", markup=False)
    if not check.ok:
        raise typer.Exit(1)


@app.command()
@_friendly
def sample(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the sample set to.")] = Path("data/samples"),
    seed: Annotated[int, typer.Option(help="Random seed; the same seed writes identical files.")] = 2026,
    large: Annotated[int | None, typer.Option(help="Instead, write one export of this many deals (for benchmarks) to --out.")] = None,
) -> None:
    """Write deterministic sample CRM exports (4 teams, 12 weeks) or one large export."""
    from pipereview.sample import generate_large_export, generate_samples

    if large is not None:
        path = generate_large_export(out_dir, rows=large, seed=seed)
        out.print(f"wrote {large} deals to {path}")
        return
    with _progress() as bar:
        task = bar.add_task("writing exports", total=None)
        summary = generate_samples(out_dir, seed=seed, progress=lambda done, total: bar.update(
            task, completed=done, total=total))
    out.print(f"wrote {len(summary.paths)} files to {out_dir}")


@app.command()
@_friendly
def demo(
    samples: Annotated[Path | None, typer.Option(help="Sample set to run on (as `pipereview sample` writes it) [default: write one to OUT/samples].")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Where the results go.")] = Path("demo-output"),
) -> None:
    """Run the weekly job on the sample data and print where the results are."""
    from pipereview.history._intake import ingest_folder

    if samples is None:
        from pipereview.sample import generate_samples

        samples = out_dir / "samples"
        with _progress() as bar:
            task = bar.add_task("writing the sample set", total=None)
            summary = generate_samples(samples, progress=lambda done, total: bar.update(
                task, completed=done, total=total))
        out.print(f"Wrote the sample set ({len(summary.paths)} files) to {samples.resolve()}.")
    elif not (samples / "exports").is_dir():
        raise InputError(f"{samples} holds no sample set (no exports/ folder)", file=samples,
                         hint="leave out --samples to write one, or run: pipereview sample "
                         f"--out {samples}")

    results = ingest_folder(samples / "exports", store=out_dir / "store", replace=True,
                            progress=_progress, limits=_config().limits)
    from pipereview.history._store import SnapshotStore

    store = SnapshotStore(out_dir / "store")
    _print_changes(store, results[-1].week)
    out.print(f"Ingested {len(results)} weeks from {samples}.")
    out.print(f"Results: snapshot store in {(out_dir / 'store').resolve()}")
    from pipereview.delivery._batch import run_batch

    targets = samples / "targets.csv"
    with _progress() as bar:
        task = bar.add_task(f"{results[-1].week}: review notebooks",
                            total=len(store.info(results[-1].week)["teams"]))
        batch = run_batch(results[-1].week, store=out_dir / "store",
                          out_dir=out_dir / "reports",
                          targets=targets if targets.exists() else None,
                          progress=lambda _: bar.update(task, advance=1))
    failed = [t.team for t in batch.teams if t.status != "ok"]
    out.print(f"Review pack for {batch.week}: {len(batch.teams) - len(failed)} of "
              f"{len(batch.teams)} teams ok. Open {batch.index.resolve()}")
    if failed:
        raise typer.Exit(1)
    out.print(f"Next: `pipereview weeks --store {out_dir / 'store'}` lists what it holds; "
              f"`pipereview changes --week {results[-1].week} --store {out_dir / 'store'}` "
              "shows the week's changes.")


@app.command()
@_friendly
def changes(
    week: Annotated[str | None, typer.Option(help="ISO week [default: the latest stored].")] = None,
    store: StoreOption = None,
) -> None:
    """What changed in each team's pipeline since the week before: every deal counted by how
    it moved (new, advanced, moved back, pushed, won, lost, ...; zeros shown), and deals
    whose claimed stage lacks the evidence."""
    from pipereview.history._store import SnapshotStore

    snapshot_store = SnapshotStore(store)
    weeks = snapshot_store.weeks()
    if not weeks:
        out.print(f"The store {snapshot_store.root} holds no weeks yet.")
        return
    _print_changes(snapshot_store, snapshot_store.require(week) if week else weeks[-1])


def _print_changes(store: Any, week: str) -> None:
    import pandas as pd

    from pipereview.diagnostics._capabilities import currency_code, not_checked_notes
    from pipereview.diagnostics._changes import week_change_summary
    from pipereview.diagnostics._process import process_gaps
    from pipereview.ingest._schema import open_mask

    summary = week_change_summary(store, week)
    snapshot = store.read(week)
    gaps = process_gaps(snapshot)
    summary["inflated"] = summary["team"].map(_inflated_cells(gaps)).fillna("0")
    summary["currency"] = [currency_code(c) for c in summary["currency"]]
    shown = summary[["team", "currency", "open_deals", "open_amount", "new_deals",
                     "won_amount", "lost_amount", "net_change", "inflated"]].copy()
    shown["net_change"] = [f"{v:+,.0f}" if round(v) else "0" for v in shown["net_change"]]
    # new deals as every section counts them (pipereview.diagnostics._figures); unknown in a first week
    shown["new_deals"] = ["—" if pd.isna(v) else f"{int(v):,}" for v in shown["new_deals"]]
    shown = shown.rename(columns={"currency": "cur.", "open_deals": "open", "open_amount":
                                  "open amount", "new_deals": "new deals",
                                  "won_amount": "won amount", "lost_amount":
                                  "lost amount", "net_change": "net change"})
    _print_table(shown, f"Changes in {week} against the week before "
                        "(inflated: open deals whose stage lacks the evidence)")
    opened = snapshot[open_mask(snapshot)]
    for team, deals in opened.groupby("team", sort=True):
        for note in not_checked_notes(deals, "en", ("stage_inflation",)):
            out.print(Text(f"{team}: {note}"))
    out.print(_movement_table(summary))


def _inflated_cells(gaps: Any) -> dict[str, str]:
    """Per team, the inflated deals as the ``changes`` table shows them: a count, "not
    checked" when the export records no evidence for any deal past the first stage, and
    how many could not be checked beside the count when only some could."""
    cells = {}
    for team, part in gaps.groupby("team", sort=True):
        inflated, unchecked = int(part["inflated"].sum()), int((~part["evidence_checked"]).sum())
        past_first = int((part["claimed_index"] > 1).sum())
        if unchecked and unchecked == past_first and not inflated:
            cells[str(team)] = "not checked"
        elif unchecked:
            cells[str(team)] = f"{inflated} ({unchecked} not checked)"
        else:
            cells[str(team)] = str(inflated)
    return cells


def _movement_table(summary: Any) -> Table:
    """The deals of each team (and currency) counted by how they moved: one line per
    category of :data:`pipereview.diagnostics._changes.SUMMARY_CATEGORIES`, zeros included, with the
    counts of :func:`~pipereview.diagnostics._changes.change_summary` (the API's own)."""
    from pipereview.diagnostics._changes import SUMMARY_CATEGORIES

    table = Table("deals", title="How each deal moved (each deal counted once, under the "
                                 "first line that applies)")
    for row in summary.itertuples(index=False):  # names from the export: never markup
        table.add_column(Text(f"{row.team} {row.currency}".strip()), justify="right")
    for category in SUMMARY_CATEGORIES:
        table.add_row(movement_label(category), *[str(int(v)) for v in summary[category]])
    return table


def movement_label(category: str) -> str:
    """How ``changes`` names a movement category of :mod:`pipereview.history._movements` (the
    dashboard's words; ``new`` said apart from the "new deals" figure, which counts deals
    first stored this week).

    >>> movement_label("regressed"), movement_label("new")
    ('moved back a stage', "open, not in last week's export")
    """
    from pipereview.core import CATEGORY_LABELS

    return "open, not in last week's export" if category == "new" else CATEGORY_LABELS[category][0]


@app.command()
@_friendly
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
        CoachingContext,
        PromptTemplates,
        load_rule_settings,
        write_coaching_pack,
    )
    from pipereview.diagnostics._targets import load_targets
    from pipereview.history._store import SnapshotStore
    from pipereview.history._trail import load_history

    snapshot_store = SnapshotStore(store)
    stored = snapshot_store.weeks()
    if not stored:
        out.print(f"The store {snapshot_store.root} holds no weeks yet.")
        return
    as_of = snapshot_store.require(week) if week else stored[-1]
    config = _config()
    lang = lang or config.lang
    prompt_templates = PromptTemplates(templates or ())
    rule_settings = load_rule_settings(settings) if settings else None
    goals = load_targets(targets) if targets else None
    with _progress() as bar:
        task = bar.add_task("matching deals across weeks", total=None)
        keyed = load_history(snapshot_store, last=as_of)
        context = CoachingContext(keyed, as_of, targets=goals, config=config)
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
    out.print(f"Coaching pack for {as_of} ({lang}): {len(sheets)} rep sheets and "
              f"{len(chosen)} team summaries in {(out_dir / as_of).resolve()}")


@app.command()
@_friendly
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
        with out.status("Preparing the dashboard's data..."):
            state = prepare_dashboard(root, store=store, history=history, targets=targets,
                                      team=team, week=week, lang=lang or _config().lang,
                                      warm=preheat, config=_state["config_path"],
                                      templates=_state["templates"])
        scope = f"locked to {team}" if team else f"{len(state.teams)} teams"
        if prepare_only:
            out.print(f"Dashboard ({scope}) prepared: notebook {state.notebook}, "
                      f"set PIPEREVIEW_DASHBOARD={state.config}")
            return
        out.print(f"Dashboard ({scope}) on http://{ip}:{port}{base_url} — Ctrl-C stops it. "
                  f"Exported action lists: {root / 'exports'}")
        status = run_voila(state, port=port, ip=ip, allow_remote=allow_remote, preheat=preheat,
                           base_url=base_url, max_kernels=max_kernels,
                           idle_timeout=idle_timeout, closed_timeout=closed_timeout)
    if status:
        raise typer.Exit(status)


@app.command()
@_friendly
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
    from pipereview.delivery._batch import TeamRun, inputs_line, run_batch
    from pipereview.history._store import SnapshotStore

    stored = SnapshotStore(store).weeks()
    if not stored:
        raise InputError(f"the store {SnapshotStore(store).root} holds no weeks yet",
                         hint="ingest a week first: pipereview ingest --help")
    lang = lang or _config().lang
    if notebook is not None:
        from pipereview.delivery._notebooks import check_team_notebook

        undeclared = check_team_notebook(notebook)
        if undeclared:
            err.print(f"note: {notebook} does not declare {', '.join(undeclared)}; the batch "
                      "passes them anyway", markup=False)
    as_of = SnapshotStore(store).require(week) if week else stored[-1]
    chosen = [t.strip() for t in teams.split(",") if t.strip()] if teams else None
    with _progress() as bar:
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
                           team_timeout=team_timeout, config=_state["config_path"],
                           templates=_state["templates"])
    import pandas as pd

    _print_table(pd.DataFrame([{"team": t.team, "status": t.status + (" (kept)" if t.resumed else "")
                                + (f" ({t.reason})" if t.reason else ""),
                                "seconds": t.duration_s, "error": t.error[:80]}
                               for t in result.teams]), f"Weekly review {as_of}")
    out.print(f"Inputs: {inputs_line(SnapshotStore(store).info(as_of))}", markup=False)
    out.print(f"Index: {result.index.resolve()}", markup=False)
    if not result.ok:
        raise typer.Exit(1)


@app.command()
@_friendly
def maps() -> None:
    """List the CRM column maps: shipped, from plug-ins and from --templates folders."""
    from pipereview.ingest._columnmaps import column_maps, load_column_map

    table = Table("name", "label", "stage model", "dates", "from", title="Column maps")
    for name in column_maps.names():
        cmap = load_column_map(name)
        table.add_row(name, cmap.label, cmap.stage_model, cmap.date_format,
                      column_maps.source(name))
    out.print(table)


@app.command()
@_friendly
def models(
    show: Annotated[str | None, typer.Option(help="Show the stages of this model (name or YAML file).")] = None,
) -> None:
    """List the stage models (shipped, from plug-ins and from --templates folders), or show
    one model's stages."""
    from pipereview.core._stages import load_stage_model, stage_models

    if show is None:
        table = Table("name", "label", "stages", "from", title="Stage models")
        for name in stage_models.names():
            model = load_stage_model(name)
            table.add_row(name, model.label.get("en", name),
                          " → ".join(s.label_in("en") for s in model.stages),
                          stage_models.source(name))
        out.print(table)
        return
    model = load_stage_model(show)
    table = Table("key", "zh", "en", "probability", "typical days", "exit criteria",
                  title=model.label.get("en", model.name))
    for stage in model.stages:
        table.add_row(stage.key, stage.label.get("zh", ""), stage.label.get("en", ""),
                      f"{stage.probability:.0%}", str(stage.typical_days or ""),
                      ", ".join(c.field for c in stage.exit_criteria))
    out.print(table)


@app.command("new-notebook")
@_friendly
def new_notebook(
    name: Annotated[str, typer.Argument(help="Name of the notebook (letters, digits, - and _), e.g. team_deep_dive.")],
    folder: Annotated[Path, typer.Option("--out", help="Folder to write it to.")] = Path("notebooks"),
    force: Annotated[bool, typer.Option(help="Replace a notebook of the same name.")] = False,
) -> None:
    """Start a team notebook from the template: the batch's parameters cell, the team's
    review loaded, a first section; `pipereview run --notebook` runs it per team."""
    from pipereview.delivery._notebooks import new_team_notebook

    path = new_team_notebook(name, folder, force=force)
    out.print(f"Wrote {path}. Open it in JupyterLab; run it for every team with:\n"
              f"  pipereview run --notebook {path}")


@app.command()
@_friendly
def registry() -> None:
    """List what every registry holds (column maps, stage models, coaching rules, charts,
    prompt template folders) and where each entry comes from."""
    from pipereview.charts import charts
    from pipereview.coaching import coaching_rules, template_folders
    from pipereview.core._stages import stage_models
    from pipereview.ingest._columnmaps import column_maps

    table = Table("registry", "name", "from", title="Registries")
    for kind, reg in (("column_maps", column_maps), ("stage_models", stage_models),
                      ("rules", coaching_rules), ("charts", charts), ("templates", template_folders)):
        for name in reg.names():
            table.add_row(f"{kind} ({reg.group})", name, reg.source(name))
    out.print(table)


def _print_table(frame: Any, title: str) -> None:
    table = Table(*[str(c) for c in frame.columns], title=title)
    for row in frame.itertuples(index=False):
        table.add_row(*[Text(f"{v:,.0f}" if isinstance(v, float) else str(v)) for v in row])
    out.print(table)


def main() -> None:
    """Console entry point."""
    app()
