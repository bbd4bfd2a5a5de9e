"""The ``coach`` command: a stored week's coaching pack, each rep's sheet and each team's
summary (Markdown and HTML), for every team or the ones given.

>>> import tempfile
>>> from typer.testing import CliRunner
>>> from pipereview.cli import app
>>> with tempfile.TemporaryDirectory() as folder:
...     print(CliRunner().invoke(app, ["coach", "--store", folder]).output)
The store ... holds no weeks yet.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from pipereview.cli._base import StoreOption, WeekOption, friendly, progress, run_config, state
from pipereview.core._errors import InputError

if TYPE_CHECKING:
    from pipereview.week import WeekDiagnostics

__all__: list[str] = []  # the command is reached through pipereview.cli.app

TeamsOption = Annotated[
    list[str] | None, typer.Option(help="Team(s) to coach [default: every team].")
]
LangOption = Annotated[
    str | None,
    typer.Option(help="Language of the prompts: en or zh [default: the configuration's, else en]."),
]
RuleTargetsOption = Annotated[
    Path | None, typer.Option(help="Targets file (CSV/XLSX) for the coverage and plan rules.")
]
SettingsOption = Annotated[
    Path | None,
    typer.Option(
        help="Rule thresholds (YAML, see docs/coaching.md) [default: the configuration's rules]."
    ),
]
TemplatesOption = Annotated[
    list[Path] | None,
    typer.Option(help="Folder(s) of your own prompt templates, searched before the shipped ones."),
]
ChartOption = Annotated[
    list[str] | None,
    typer.Option(
        help="A registered chart to draw on each rep's HTML sheet (see `pipereview registry`). Repeatable [default: the configuration's charts]."
    ),
]
OutOption = Annotated[Path, typer.Option("--out", help="Where the coaching pack goes.")]
LogOption = Annotated[
    bool,
    typer.Option(
        "--log/--no-log",
        help="Record each sheet's focus items in the store's coaching log and open each sheet with the rep's items of the previous 1:1 (see `pipereview coaching-log`).",
    ),
]


@friendly
def coach(
    week: WeekOption = None,
    team: TeamsOption = None,
    lang: LangOption = None,
    targets: RuleTargetsOption = None,
    settings: SettingsOption = None,
    templates: TemplatesOption = None,
    chart: ChartOption = None,
    out_dir: OutOption = Path("coaching"),
    store: StoreOption = None,
    log: LogOption = True,
) -> None:
    """Write each rep's coaching sheet and each team's summary (Markdown and HTML)."""
    from pipereview.coaching import PromptTemplates, load_rule_settings, write_coaching_pack
    from pipereview.coaching._log import CoachingLog
    from pipereview.diagnostics._targets import load_targets
    from pipereview.history._callstore import read_forecast_calls_stored
    from pipereview.history._companionstore import read_companions
    from pipereview.history._loader import load_history
    from pipereview.history._store import SnapshotStore
    from pipereview.week import WeekDiagnostics

    snapshot_store = SnapshotStore(store)
    stored = snapshot_store.weeks()
    if not stored:
        state.out.print(f"The store {snapshot_store.root} holds no weeks yet.")
        return
    as_of = snapshot_store.require(week) if week else stored[-1]
    config = run_config()
    lang = lang or config.lang
    prompt_templates = PromptTemplates(templates or ())
    rule_settings = load_rule_settings(settings) if settings else None
    goals = load_targets(targets) if targets else None
    with progress() as bar:
        task = bar.add_task("matching deals across weeks", total=None)
        keyed = load_history(snapshot_store, last=as_of)
        companions = read_companions(snapshot_store, as_of)  # activities, leads, invoices
        calls = read_forecast_calls_stored(snapshot_store, as_of)
        context = WeekDiagnostics(
            keyed,
            as_of,
            targets=goals,
            config=config,
            companions=companions,
            forecast_calls=calls if len(calls) else None,
        )
        chosen = _coached_teams(context, team, as_of)
        bar.update(task, description="coaching", total=len(chosen), completed=0)
        files = write_coaching_pack(
            context,
            out_dir / as_of,
            lang=lang,
            teams=chosen,
            settings=rule_settings,
            templates=prompt_templates,
            charts=chart,
            log=CoachingLog(snapshot_store) if log else None,
            progress=lambda name: bar.update(
                task, description=f"coaching {escape(name)}", advance=1
            ),
        )
    sheets = [f for f in files if f.suffix == ".md" and f.name != f"team.{lang}.md"]
    state.out.print(
        f"Coaching pack for {as_of} ({lang}): {len(sheets)} rep sheets and "
        f"{len(chosen)} team summaries in {(out_dir / as_of).resolve()}"
    )
    if log:
        state.out.print(
            "Focus items recorded in the coaching log: `pipereview coaching-log --week "
            f"{as_of}` lists them with their ids, `--mark FILE` marks them agreed / done / dropped."
        )


def _coached_teams(context: WeekDiagnostics, team: list[str] | None, as_of: str) -> list[str]:
    """The teams given (``team``), or every team with open deals; a team the week does not
    hold is refused by name."""
    chosen = team or sorted(context.open_deals["team"].unique())
    unknown = sorted(set(chosen) - set(context.latest["team"]))
    if unknown:
        raise InputError(
            f"no team {', '.join(unknown)} in {as_of}; teams: "
            f"{', '.join(sorted(context.latest['team'].unique()))}",
            hint="give --team once per team, as `pipereview weeks` lists them",
        )
    return chosen
