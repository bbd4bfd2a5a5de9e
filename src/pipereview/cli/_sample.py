"""The commands on sample data: ``sample`` (deterministic CRM exports, or one large export
for benchmarks) and ``demo`` (the whole weekly job run on a sample set).

>>> import tempfile
>>> from typer.testing import CliRunner
>>> from pipereview.cli import app
>>> with tempfile.TemporaryDirectory() as folder:
...     print(CliRunner().invoke(app, ["sample", "--large", "3", "--out", f"{folder}/big.csv"]).output)
wrote 3 deals to ...
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipereview.cli._backfill import column_names
from pipereview.cli._base import friendly, progress, run_config, state
from pipereview.cli._changes import print_changes
from pipereview.core._errors import InputError

__all__: list[str] = []  # the commands are reached through pipereview.cli.app


@friendly
def sample(
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder to write the sample set to.")
    ] = Path("data/samples"),
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed writes identical files.")
    ] = 2026,
    large: Annotated[
        int | None,
        typer.Option(
            help="Instead, write one export of this many deals (for benchmarks) to --out."
        ),
    ] = None,
    years: Annotated[
        int,
        typer.Option(
            min=1,
            max=2,
            help="2: two years of weekly history (104 weeks) with seasons, product lines, "
            "account potentials and planted cases (its README lists them).",
        ),
    ] = 1,
) -> None:
    """Write deterministic sample CRM exports (4 teams, 12 weeks, or two years with
    --years 2) or one large export."""
    from pipereview.sample import generate_large_export, generate_samples

    if large is not None:
        path = generate_large_export(out_dir, rows=large, seed=seed)
        state.out.print(f"wrote {large} deals to {path}")
        return
    with progress() as bar:
        task = bar.add_task("writing exports", total=None)
        summary = generate_samples(
            out_dir,
            seed=seed,
            years=years,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    state.out.print(f"wrote {len(summary.paths)} files to {out_dir}")


def _write_demo_samples(samples: Path, years: int) -> Path:
    """Write the sample set the demo runs on, with a progress bar; return its folder."""
    from pipereview.sample import generate_samples

    with progress() as bar:
        task = bar.add_task("writing the sample set", total=None)
        summary = generate_samples(
            samples,
            years=years,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    state.out.print(f"Wrote the sample set ({len(summary.paths)} files) to {samples.resolve()}.")
    return samples


@friendly
def demo(
    samples: Annotated[
        Path | None,
        typer.Option(
            help="Sample set to run on (as `pipereview sample` writes it) [default: write one to OUT/samples]."
        ),
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Where the results go.")] = Path(
        "demo-output"
    ),
    years: Annotated[
        int,
        typer.Option(
            min=1,
            max=2,
            help="Without --samples: write the sample set of this many years (2: two years "
            "of weekly history with seasons and planted cases).",
        ),
    ] = 1,
    backfill: Annotated[
        bool,
        typer.Option(
            "--backfill",
            help="Store only the last week's exports and rebuild the weeks before it from "
            "each team's change history (written to OUT/samples/history): a first review "
            "with a quarter of changes.",
        ),
    ] = False,
) -> None:
    """Run the weekly job on the sample data and print where the results are."""
    root = out_dir.absolute()  # every step reads the same folders, whatever it runs in
    if samples is None:
        samples = _write_demo_samples(out_dir / "samples", years)
    elif not (samples / "exports").is_dir():
        raise InputError(
            f"{samples} holds no sample set (no exports/ folder)",
            file=samples,
            hint=f"leave out --samples to write one, or run: pipereview sample --out {samples}",
        )
    if backfill:
        week = _backfill_demo(samples.absolute(), root / "store")
    else:
        week = _ingest_demo(samples, root / "store")
    _store_demo_companions(samples.absolute(), root / "store")
    _store_demo_calls(samples.absolute(), root / "store")
    from pipereview.history._store import SnapshotStore

    store = SnapshotStore(root / "store")
    print_changes(store, week)
    state.out.print(f"Results: snapshot store in {(out_dir / 'store').resolve()}")
    from pipereview.delivery._batch import run_batch

    targets = samples.absolute() / "targets.csv"
    with progress() as bar:
        task = bar.add_task(
            f"{week}: review notebooks",
            total=len(store.info(week)["teams"]),
        )
        batch = run_batch(
            week,
            store=root / "store",
            out_dir=root / "reports",
            targets=targets if targets.exists() else None,
            progress=lambda _: bar.update(task, advance=1),
        )
    failed = [t.team for t in batch.teams if t.status != "ok"]
    state.out.print(
        f"Review pack for {batch.week}: {len(batch.teams) - len(failed)} of "
        f"{len(batch.teams)} teams ok. Open {batch.index.resolve()}"
    )
    if failed:
        raise typer.Exit(1)
    state.out.print(
        f"Next: `pipereview weeks --store {out_dir / 'store'}` lists what it holds; "
        f"`pipereview changes --week {week} --store {out_dir / 'store'}` "
        "shows the week's changes."
    )


def _store_demo_companions(samples: Path, store: Path) -> None:
    """The sample's activities, leads and invoices (``companions/<week>/``) stored with
    their weeks, each row's team told by its deal or rep."""
    from pipereview.history._companionstore import store_companion
    from pipereview.ingest._companions import read_companion

    folder = samples / "companions"
    stored = 0
    for week in sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []:
        for file in sorted(p for p in week.iterdir() if p.is_file()):
            export = read_companion(file, limits=run_config().limits)
            stored += store_companion(store, week.name, export, replace=True).rows
    if stored:
        state.out.print(f"Stored {stored} activity, lead and invoice rows from {folder}.")


def _store_demo_calls(samples: Path, store: Path) -> None:
    """The sample's forecast calls (``forecast_calls/<week>.csv``) stored with their weeks."""
    from pipereview.history._callstore import store_forecast_calls
    from pipereview.ingest._forecastcalls import read_forecast_calls

    folder = samples / "forecast_calls"
    stored = 0
    for file in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        export = read_forecast_calls(file, week=file.stem, limits=run_config().limits)
        stored += store_forecast_calls(store, file.stem, export, replace=True).rows
    if stored:
        state.out.print(f"Stored {stored} forecast calls from {folder}.")


def _ingest_demo(samples: Path, store: Path) -> str:
    """Every week of the sample set stored; the last week."""
    from pipereview.history._intake import ingest_folder

    results = ingest_folder(
        samples.absolute() / "exports",
        store=store,
        replace=True,
        progress=progress,
        limits=run_config().limits,
    )
    state.out.print(f"Ingested {len(results)} weeks from {samples}.")
    return results[-1].week


def _backfill_demo(samples: Path, store: Path) -> str:
    """The last week's exports stored and the weeks before rebuilt from each team's
    change history; the last week."""
    import shutil

    from pipereview.history._backfillrun import backfill_store
    from pipereview.sample._changehistory import write_change_histories

    weeks = sorted(p.name for p in (samples / "exports").iterdir() if p.is_dir())
    histories = write_change_histories(samples)
    state.out.print(f"Wrote each team's change history to {histories[0].parent}.")
    shutil.rmtree(store, ignore_errors=True)  # the demo's own store, rebuilt whole
    for history in histories:
        team = history.stem.removesuffix("-history")
        export = next((samples / "exports" / weeks[-1]).glob(f"{team}.*"))
        run = backfill_store(export, history, week=weeks[-1], first=weeks[0], store=store)
        rebuilt = run.backfill
        state.out.print(
            f"{export.name}: {len(run.stored)} weeks rebuilt from {history.name} "
            f"({run.history.format}; {column_names(rebuilt.fields_from_history)} from the "
            f"history; carried: {column_names(rebuilt.carried) or 'none'})",
            markup=False,
            soft_wrap=True,
        )
    return weeks[-1]
