"""The sample set: simulate every team, write each week's exports, targets, teams, README."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from pipereview.core._errors import InputError
from pipereview.core._weeks import Week
from pipereview.sample._callsample import write_forecast_calls
from pipereview.sample._companionsample import write_companion_exports
from pipereview.sample._dates import DAY, quarter
from pipereview.sample._formats import columns_of, to_export
from pipereview.sample._history import WEEKS_PER_YEAR, HistorySimulator, history_teams
from pipereview.sample._history_out import (
    account_potentials,
    history_cases,
    history_columns,
    history_targets,
    history_teams_table,
)
from pipereview.sample._process import bottleneck_index
from pipereview.sample._readme import readme
from pipereview.sample._readme_history import history_readme
from pipereview.sample._simulate import Simulator, TeamRun, round_to
from pipereview.sample._summary import DealCount, PlantedPatterns, SampleSummary
from pipereview.sample._teams import (
    MIGRATION_TEAM,
    MIGRATION_WEEKS_BEFORE_LAST,
    TEAMS,
    THIN_TOP_TEAM,
    TeamSpec,
)
from pipereview.sample._writers import write_csv, write_xlsx

__all__ = ["generate_samples"]

_REP_TARGET_SHARE = (1.0, 1.25, 1.1, 0.8, 1.15, 0.9, 1.0, 0.85)  # fixed split of a team target


def generate_samples(
    out_dir: Path,
    *,
    seed: int = 2026,
    last_week: str = "2026-W47",
    n_weeks: int | None = None,
    scale: float = 1.0,
    years: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> SampleSummary:
    """Write the sample set (exports per week and team, targets, teams, README and, for
    the one-year sample, each team's activities, leads and invoices of the last week under
    ``companions/``; the reps' forecast calls under ``forecast_calls/``: every week's for
    the two-year sample, the last week's for the one-year sample) to ``out_dir``.

    ``scale`` multiplies the number of deals (1.0 gives 100-400 open deals per team and
    week); ``progress(done, total)`` is called after each export file. ``years=2`` writes
    the two-year sample (``pipereview.sample._history``: 104 weeks unless ``n_weeks``
    says otherwise, seasons, growth, product lines, account potentials, planted cases);
    the default writes 12 weeks.

    >>> import tempfile
    >>> s = generate_samples(Path(tempfile.mkdtemp()), n_weeks=1, scale=0.1)
    >>> sorted(p.name for p in s.paths if p.parent == s.out_dir / "exports" / "2026-W47")
    ['dach.xlsx', 'huadong.csv', 'north.csv', 'west.csv']
    >>> sorted(p.name for p in s.paths if p.parent.parent.name == "companions")[:3]
    ['dach-activities.xlsx', 'dach-invoices.xlsx', 'dach-leads.xlsx']
    """
    n_weeks = _checked_weeks(n_weeks, scale, years)
    out_dir = Path(out_dir)
    last = Week.parse(last_week)
    weeks = [last - k for k in range(n_weeks - 1, -1, -1)]
    migration = last - MIGRATION_WEEKS_BEFORE_LAST
    specs = TEAMS if years == 1 else history_teams()
    runs = _simulate(specs, seed, scale, weeks, years)
    potentials, b_accounts = _potentials(runs, seed, last) if years > 1 else ({}, {})
    paths: list[Path] = []
    counts: list[DealCount] = []
    total, done = len(weeks) * len(runs), 0
    for week in weeks:
        folder = out_dir / "exports" / str(week)
        folder.mkdir(parents=True, exist_ok=True)
        for run in runs:
            frame = run.frames[str(week)]
            paths.append(_write_export(frame, run, folder, week, potentials.get(run.spec.name)))
            is_open = run.process.is_open(frame["stage"])
            counts.append(
                DealCount(run.spec.name, str(week), int(is_open.sum()), int((~is_open).sum()))
            )
            done += 1
            if progress is not None:
                progress(done, total)

    planted = _planted(runs, weeks, migration)
    cases = history_cases(runs, last, b_accounts) if years > 1 else None
    targets = _targets(runs, last) if cases is None else history_targets(runs, last)
    paths.append(_write_table(targets, out_dir / "targets.csv"))
    teams = _teams_table(specs)
    paths.append(
        _write_table(teams if cases is None else history_teams_table(teams), out_dir / "teams.csv")
    )
    readme_path = out_dir / "README.md"
    extra_lines = [] if cases is None else history_readme(runs, cases, potentials)
    text = readme(runs, weeks, planted, seed, counts, years=years, extra=extra_lines)
    readme_path.write_bytes(text.encode("utf-8"))
    paths.append(readme_path)
    if years == 1:  # the weeks' activities, leads and invoices (the README gains their section)
        paths += write_companion_exports(out_dir)
    paths += write_forecast_calls(out_dir, runs, weeks, seed=seed, years=years)
    return SampleSummary(
        out_dir,
        tuple(paths),
        tuple(s.name for s in TEAMS),
        tuple(str(w) for w in weeks),
        tuple(counts),
        planted,
        cases,
    )


def _checked_weeks(n_weeks: int | None, scale: float, years: int) -> int:
    """The number of weeks to write; a user mistake in the arguments is refused."""
    if years not in (1, 2):
        raise InputError(
            f"need years 1 or 2, got {years}",
            expected="years 1 (12 weeks) or 2 (104 weeks)",
            hint="pass years=1 (the default) or years=2 for two years of weekly history",
        )
    if n_weeks is None:
        n_weeks = 12 if years == 1 else years * WEEKS_PER_YEAR
    if n_weeks < 1 or scale <= 0:
        raise InputError(
            f"need n_weeks >= 1 and scale > 0, got {n_weeks} and {scale}",
            expected="n_weeks >= 1 and scale > 0",
            hint="pass n_weeks=12 and scale=1.0 (the defaults), or a smaller "
            "positive scale such as 0.1 for a quick sample",
        )
    return n_weeks


def _simulate(
    specs: tuple[TeamSpec, ...], seed: int, scale: float, weeks: list[Week], years: int
) -> list[TeamRun]:
    """Every team's simulated history, each from a random generator of its own."""
    last = weeks[-1]
    migration = last - MIGRATION_WEEKS_BEFORE_LAST
    generators = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(TEAMS))]
    runs: list[TeamRun] = []
    for spec, rng in zip(specs, generators, strict=True):
        sim = (
            Simulator(spec, rng, scale) if years == 1 else HistorySimulator(spec, rng, scale, last)
        )
        runs.append(sim.simulate(weeks, migration if spec.name == MIGRATION_TEAM else None))
    return runs


def _potentials(
    runs: list[TeamRun], seed: int, last: Week
) -> tuple[dict[str, dict[str, float]], dict[str, tuple[str, ...]]]:
    """Each team's account potentials and planted B accounts, from a stream of their own."""
    extra = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(len(TEAMS),)))
    potentials: dict[str, dict[str, float]] = {}
    b_accounts: dict[str, tuple[str, ...]] = {}
    for run in runs:
        potentials[run.spec.name], b_accounts[run.spec.name] = account_potentials(run, last, extra)
    return potentials, b_accounts


def _write_export(
    frame: pd.DataFrame,
    run: TeamRun,
    folder: Path,
    week: Week,
    potential: dict[str, float] | None,
) -> Path:
    dialect = run.dialect
    path = folder / f"{run.spec.slug}.{dialect.file}"
    table = to_export(columns_of(frame), run.cmap, run.model, dialect)
    if potential is not None:  # the two-year sample: product line and account potential
        table = history_columns(table, frame, dialect, potential)
    if dialect.file == "xlsx":
        write_xlsx(table, path, datetime.datetime.combine(week.friday, datetime.time(17, 0)))
    else:
        write_csv(table, path, dialect.encoding)
    return path


def _write_table(table: pd.DataFrame, path: Path) -> Path:
    return write_csv(columns_of(table), path, "utf-8")


def _teams_table(specs: tuple[TeamSpec, ...]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            (s.name, s.slug, s.manager, rep, s.column_map, s.stage_model, s.currency)
            for s in specs
            for rep in s.reps
        ],
        columns=["team", "slug", "manager", "rep", "column_map", "stage_model", "currency"],
    )


def _targets(runs: list[TeamRun], last: Week) -> pd.DataFrame:
    """Quarter and year targets, set top-down as a manager would.

    A team's quarter target is what the simulated team actually wins in that quarter
    (the current quarter is simulated to its end) times its ``target_factor``: above 1
    the team ends the quarter behind, below 1 ahead. Reps get fixed shares of the team
    target, so reps who convert badly (the bottleneck rep) fall behind while others are
    ahead. The year adds a first half of 90% of the second. Rep targets add up to the team's.
    """
    cur_start, cur_end, cur_name = quarter(last.friday)
    prev_start, _, prev_name = quarter(cur_start - DAY)
    periods = (prev_name, cur_name, str(last.friday.year))
    rows = []
    for run in runs:
        spec = run.spec
        step = 100_000 if spec.currency == "CNY" else 5_000
        won = [
            (d.closed_on, d.amount)
            for d in run.deals
            if d.outcome == "won" and d.closed_on is not None
        ]
        quarters = [
            sum(a for day, a in won if start <= day <= end) * spec.target_factor
            for start, end in ((prev_start, cur_start - DAY), (cur_start, cur_end))
        ]
        shares = np.array(
            [_REP_TARGET_SHARE[i % len(_REP_TARGET_SHARE)] for i in range(len(spec.reps))]
        )
        shares = shares / shares.sum()
        per_rep = []
        for share in shares:
            prev_t, cur_t = (round_to(q * share, step) for q in quarters)
            year_t = prev_t + cur_t + round(0.9 * (prev_t + cur_t) / step) * step
            per_rep.append((prev_t, cur_t, year_t))
        team = tuple(sum(t[k] for t in per_rep) for k in range(len(periods)))
        for owner, targets in [("", team), *zip(spec.reps, per_rep, strict=True)]:
            rows += [
                (spec.name, owner, period, target, spec.currency)
                for period, target in zip(periods, targets, strict=True)
            ]
    return pd.DataFrame(rows, columns=["team", "owner", "period", "amount", "currency"])


def _planted(runs: list[TeamRun], weeks: list[Week], migration: Week) -> PlantedPatterns:
    window = {str(w) for w in weeks[1:]}
    pushed = tuple(
        (run.spec.name, d.deal_id)
        for run in runs
        for d in run.deals
        if sum(w in window for w in d.push_weeks) >= 3
    )
    north = next(r for r in runs if r.spec.bottleneck_rep)
    migrated = next(r for r in runs if r.spec.name == MIGRATION_TEAM)
    return PlantedPatterns(
        bottleneck_team=north.spec.name,
        bottleneck_rep=north.spec.bottleneck_rep or "",
        bottleneck_stage=north.process.keys[bottleneck_index(north.process, north.spec)],
        thin_top_team=THIN_TOP_TEAM,
        migration_team=MIGRATION_TEAM,
        migration_week=str(migration),
        migrated_ids=tuple(migrated.migrated),
        pushed_3_times=pushed,
    )
