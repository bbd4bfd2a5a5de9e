"""The sample set: simulate every team, write each week's exports, targets, teams, README."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from pipereview.core._errors import InputError
from pipereview.core._weeks import Week
from pipereview.sample._dates import DAY, quarter
from pipereview.sample._formats import columns_of, to_export
from pipereview.sample._process import bottleneck_index
from pipereview.sample._readme import readme
from pipereview.sample._simulate import Simulator, TeamRun, round_to
from pipereview.sample._summary import DealCount, PlantedPatterns, SampleSummary
from pipereview.sample._teams import (
    MIGRATION_TEAM,
    MIGRATION_WEEKS_BEFORE_LAST,
    TEAMS,
    THIN_TOP_TEAM,
)
from pipereview.sample._writers import write_csv, write_xlsx

__all__ = ["generate_samples"]

_REP_TARGET_SHARE = (1.0, 1.25, 1.1, 0.8, 1.15, 0.9, 1.0, 0.85)  # fixed split of a team target


def generate_samples(
    out_dir: Path,
    *,
    seed: int = 2026,
    last_week: str = "2026-W47",
    n_weeks: int = 12,
    scale: float = 1.0,
    progress: Callable[[int, int], None] | None = None,
) -> SampleSummary:
    """Write the sample set (exports per week and team, targets, teams, README) to ``out_dir``.

    ``scale`` multiplies the number of deals (1.0 gives 100-400 open deals per team and
    week); ``progress(done, total)`` is called after each export file.

    >>> import tempfile
    >>> s = generate_samples(Path(tempfile.mkdtemp()), n_weeks=1, scale=0.1)
    >>> sorted(p.name for p in s.paths if p.parent.name == "2026-W47")
    ['dach.xlsx', 'huadong.csv', 'north.csv', 'west.csv']
    """
    if n_weeks < 1 or scale <= 0:
        raise InputError(
            f"need n_weeks >= 1 and scale > 0, got {n_weeks} and {scale}",
            expected="n_weeks >= 1 and scale > 0",
            hint="pass n_weeks=12 and scale=1.0 (the defaults), or a smaller "
            "positive scale such as 0.1 for a quick sample",
        )
    out_dir = Path(out_dir)
    last = Week.parse(last_week)
    weeks = [last - k for k in range(n_weeks - 1, -1, -1)]
    migration = last - MIGRATION_WEEKS_BEFORE_LAST
    generators = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(TEAMS))]
    runs: list[TeamRun] = []
    for spec, rng in zip(TEAMS, generators, strict=True):
        sim = Simulator(spec, rng, scale)
        runs.append(sim.simulate(weeks, migration if spec.name == MIGRATION_TEAM else None))

    paths: list[Path] = []
    counts: list[DealCount] = []
    total, done = len(weeks) * len(runs), 0
    for week in weeks:
        folder = out_dir / "exports" / str(week)
        folder.mkdir(parents=True, exist_ok=True)
        for run in runs:
            frame = run.frames[str(week)]
            paths.append(_write_export(frame, run, folder, week))
            is_open = run.process.is_open(frame["stage"])
            counts.append(
                DealCount(run.spec.name, str(week), int(is_open.sum()), int((~is_open).sum()))
            )
            done += 1
            if progress is not None:
                progress(done, total)

    planted = _planted(runs, weeks, migration)
    paths.append(_write_table(_targets(runs, last), out_dir / "targets.csv"))
    paths.append(_write_table(_teams_table(), out_dir / "teams.csv"))
    readme_path = out_dir / "README.md"
    readme_path.write_bytes(readme(runs, weeks, planted, seed, counts).encode("utf-8"))
    paths.append(readme_path)
    return SampleSummary(
        out_dir,
        tuple(paths),
        tuple(s.name for s in TEAMS),
        tuple(str(w) for w in weeks),
        tuple(counts),
        planted,
    )


def _write_export(frame: pd.DataFrame, run: TeamRun, folder: Path, week: Week) -> Path:
    dialect = run.dialect
    path = folder / f"{run.spec.slug}.{dialect.file}"
    table = to_export(columns_of(frame), run.cmap, run.model, dialect)
    if dialect.file == "xlsx":
        write_xlsx(table, path, datetime.datetime.combine(week.friday, datetime.time(17, 0)))
    else:
        write_csv(table, path, dialect.encoding)
    return path


def _write_table(table: pd.DataFrame, path: Path) -> Path:
    return write_csv(columns_of(table), path, "utf-8")


def _teams_table() -> pd.DataFrame:
    return pd.DataFrame(
        [
            (s.name, s.slug, s.manager, rep, s.column_map, s.stage_model, s.currency)
            for s in TEAMS
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
