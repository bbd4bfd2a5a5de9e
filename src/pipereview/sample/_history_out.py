"""What the two-year sample writes beyond the default: product line and account potential
columns, targets for both years, reps' capacity, and the planted cases with their figures.

>>> history_headers("zh"), history_headers("en")
(('产品线', '客户潜力'), ('Product Line', 'Account Potential'))
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipereview.core._languages import check_language
from pipereview.core._weeks import Week
from pipereview.sample._dates import DAY, Date, quarter
from pipereview.sample._deal import Deal
from pipereview.sample._formats import Columns, Dialect, format_amounts
from pipereview.sample._history import (
    EXISTING_SHARE,
    FLAT_TEAM,
    RAMP_CAPACITY,
    RAMP_REP,
    RAMP_TEAM,
    SHRINKING_LINES,
    WEAK_STAGE,
    WEAK_STAGE_TEAM,
)
from pipereview.sample._simulate import TeamRun, round_to
from pipereview.sample._summary import HistoryCases

__all__ = [
    "B_ACCOUNTS",
    "account_potentials",
    "history_cases",
    "history_columns",
    "history_headers",
    "history_targets",
    "history_teams_table",
]

B_ACCOUNTS = 3  # small customers of high potential planted in each team


def history_headers(lang: str) -> tuple[str, str]:
    """The headers of the product line and account potential columns in ``lang``."""
    return (
        ("产品线", "客户潜力")
        if check_language(lang) == "zh"
        else ("Product Line", "Account Potential")
    )


def history_columns(
    table: Columns, frame: pd.DataFrame, dialect: Dialect, potential: dict[str, float]
) -> Columns:
    """``table`` (an export) with the product line and account potential columns added."""
    line, value = history_headers(dialect.lang)
    amounts = frame["account"].map(potential).to_numpy(dtype="float64")
    return {
        **table,
        line: frame["_product_line"].to_numpy(dtype=str) if len(frame) else np.array([], str),
        value: format_amounts(amounts, dialect.amount) if len(frame) else np.array([], str),
    }


def _won(run: TeamRun, first: Date, last: Date) -> list[Deal]:
    return [
        d
        for d in run.deals
        if d.outcome == "won" and d.closed_on is not None and first <= d.closed_on <= last
    ]


def account_potentials(
    run: TeamRun, last: Week, rng: np.random.Generator
) -> tuple[dict[str, float], tuple[str, ...]]:
    """Every account's potential (what it could buy in a year) and the planted B accounts:
    small customers (revenue of the last 12 months below the median) of top potential."""
    year = _revenue(run, last.friday - 364 * DAY, last.friday)
    step = 100_000 if run.spec.currency == "CNY" else 5_000
    typical = float(np.median(list(year.values()))) if year else run.spec.amount_median
    accounts = sorted({d.account for d in run.deals})
    potential = {
        a: float(round_to(max(year.get(a, 0.0), typical * 0.5) * rng.uniform(1.5, 3.0), step))
        for a in accounts
    }
    median = typical
    small = sorted(a for a, v in year.items() if v < median)
    picked = rng.choice(len(small), min(B_ACCOUNTS, len(small)), False) if small else ()
    chosen = tuple(sorted(small[int(i)] for i in picked))
    top = float(np.quantile(list(potential.values()), 0.97)) if potential else 0.0
    for a in chosen:
        potential[a] = float(round_to(top * rng.uniform(1.0, 1.4), step))
    return potential, chosen


def _revenue(run: TeamRun, first: Date, last: Date) -> dict[str, float]:
    out: dict[str, float] = {}
    for d in _won(run, first, last):
        out[d.account] = out.get(d.account, 0.0) + d.amount
    return out


def history_targets(runs: list[TeamRun], last: Week) -> pd.DataFrame:
    """Quarter and year targets for both years: what the team wins times its
    ``target_factor``; reps get shares by capacity, except :data:`RAMP_TEAM`, whose file
    holds the team's totals only (the split rule decides the reps' targets)."""
    year = last.friday.year
    rows = []
    for run in runs:
        spec = run.spec
        step = 100_000 if spec.currency == "CNY" else 5_000
        for y in (year - 1, year):
            quarters = [quarter(Date(y, 3 * q + 1, 1)) for q in range(4)]
            team = {
                name: round_to(
                    sum(d.amount for d in _won(run, start, end)) * spec.target_factor, step
                )
                for start, end, name in quarters
            }
            team[str(y)] = sum(team.values())
            rows += [(spec.name, "", p, a, spec.currency) for p, a in team.items()]
            if spec.name == RAMP_TEAM:
                continue
            share = 1 / len(spec.reps)
            for rep in spec.reps:
                per = {p: round_to(a * share, step) for p, a in team.items() if "Q" in p}
                per[str(y)] = sum(per.values())
                rows += [(spec.name, rep, p, a, spec.currency) for p, a in per.items()]
    frame = pd.DataFrame(rows, columns=["team", "owner", "period", "amount", "currency"])
    # the team's total is what its reps' targets add up to (where reps have targets)
    reps = frame[frame["owner"] != ""].groupby(["team", "period"])["amount"].sum()
    index = pd.MultiIndex.from_frame(frame[["team", "period"]])
    totals = reps.reindex(index).to_numpy()
    is_team = (frame["owner"] == "").to_numpy() & ~np.isnan(totals)
    frame.loc[is_team, "amount"] = totals[is_team].astype("int64")
    return frame


def history_teams_table(teams: pd.DataFrame) -> pd.DataFrame:
    """The teams table with each rep's capacity (1: a full rep; the rep in ramp-up less)."""
    capacity = np.where(teams["rep"] == RAMP_REP, RAMP_CAPACITY, 1.0)
    return teams.assign(capacity=capacity)


def _share_new(run: TeamRun, first: Date, last: Date) -> float:
    """Share of the won deals closed in [first, last] whose account had no earlier win."""
    won = sorted(
        (d for d in run.deals if d.outcome == "won" and d.closed_on is not None),
        key=lambda d: (d.closed_on, d.seq),
    )
    seen: set[str] = set()
    new = total = 0
    for d in won:
        if d.closed_on is not None and first <= d.closed_on <= last:
            total += 1
            new += d.account not in seen
        seen.add(d.account)
    return new / max(total, 1)


def history_cases(
    runs: list[TeamRun], last: Week, b_accounts: dict[str, tuple[str, ...]]
) -> HistoryCases:
    """The planted cases of the two-year sample, with the figures that show them."""
    friday = last.friday
    this_year, prior = Date(friday.year, 1, 1), Date(friday.year - 1, 1, 1)
    same_day = friday.replace(year=friday.year - 1)
    q_start = quarter(friday)[0]
    q_prior = q_start.replace(year=q_start.year - 1)

    def total(run: TeamRun, first: Date, end: Date, line: str | None = None) -> float:
        return sum(d.amount for d in _won(run, first, end) if line in (None, d.product_line))

    weak = next(r for r in runs if r.spec.name == WEAK_STAGE_TEAM)
    at = weak.process.keys.index(WEAK_STAGE)
    entered = [d for d in weak.deals if d.stage >= at or d.outcome == "won"]
    left = [d for d in entered if d.stage > at or d.outcome is not None]
    on = [d for d in left if d.stage > at or d.outcome == "won"]
    months = [(prior.year, m) for m in range(1, 13)]
    return HistoryCases(
        won_last_year_by_month=tuple(
            (r.spec.name, f"{y}-{m:02d}", _month_total(r, y, m)) for r in runs for y, m in months
        ),
        year_to_date=tuple(
            (r.spec.name, total(r, this_year, friday), total(r, prior, same_day)) for r in runs
        ),
        quarter_to_date=tuple(
            (r.spec.name, total(r, q_start, friday), total(r, q_prior, same_day)) for r in runs
        ),
        shrinking_lines=tuple(
            (
                r.spec.name,
                SHRINKING_LINES[r.spec.name],
                total(r, this_year, friday, SHRINKING_LINES[r.spec.name]),
                total(r, prior, same_day, SHRINKING_LINES[r.spec.name]),
            )
            for r in runs
        ),
        weak_stage=(WEAK_STAGE_TEAM, WEAK_STAGE, len(left), len(on) / max(len(left), 1)),
        ramp=(RAMP_TEAM, RAMP_REP, RAMP_CAPACITY, f"{friday.year}-W01"),
        b_accounts=tuple((team, a) for team, names in b_accounts.items() for a in names),
        flat_team=FLAT_TEAM,
        new_customer_share=tuple(
            (r.spec.name, _share_new(r, this_year, friday), EXISTING_SHARE[r.spec.name])
            for r in runs
        ),
    )


def _month_total(run: TeamRun, year: int, month: int) -> float:
    first = Date(year, month, 1)
    end = (first + 32 * DAY).replace(day=1) - DAY
    return sum(d.amount for d in _won(run, first, end))
