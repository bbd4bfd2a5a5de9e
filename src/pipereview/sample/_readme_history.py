"""The two-year sample's README section: its extra columns and files, and each planted
case with the figures that show it.

>>> change(120.0, 100.0), change(80.0, 100.0), change(5.0, 0.0)
('up 20%', 'down 20%', 'new')
"""

from __future__ import annotations

from pipereview.sample._history import (
    EXISTING_SHARE,
    GROWTH,
    SEASON,
    WEAK_CONVERSION,
    WIN_SEASON,
)
from pipereview.sample._history_out import B_ACCOUNTS, history_headers
from pipereview.sample._simulate import TeamRun
from pipereview.sample._summary import HistoryCases

__all__ = ["change", "history_readme"]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def change(now: float, before: float) -> str:
    """``now`` against ``before`` in words whose sign cannot be misread."""
    if before == 0:
        return "new" if now else "none either year"
    ratio = now / before - 1
    return f"{'up' if ratio >= 0 else 'down'} {abs(ratio):.0%}"


def _money(value: float, currency: str) -> str:
    return f"{value / 1000:,.0f}k {currency}"


def history_readme(
    runs: list[TeamRun], cases: HistoryCases, potentials: dict[str, dict[str, float]]
) -> list[str]:
    """The README lines of the two-year sample's columns and planted cases."""
    currency = {r.spec.name: r.spec.currency for r in runs}
    return [
        *_columns(),
        *_seasons(runs, cases, currency),
        *_year_over_year(cases, currency),
        *_cases(cases, potentials, currency),
    ]


def _columns() -> list[str]:
    en, zh = history_headers("en"), history_headers("zh")
    return [
        "## Two years of history",
        "",
        f"Every export also has a **product line** (`{en[0]}`; the Chinese CRM: `{zh[0]}`) "
        f"and the **account potential** (`{en[1]}`; `{zh[1]}`: what the account could buy "
        "in a year, in the team's currency and amount format). `teams.csv` has each rep's "
        "`capacity` (1: a full rep), `targets.csv` the quarters and years of both years. "
        "A customer is existing from its first won deal on: new or existing follows from "
        "the accounts' history in the exports.",
        "",
    ]


def _seasons(runs: list[TeamRun], cases: HistoryCases, currency: dict[str, str]) -> list[str]:
    won = {(t, m): v for t, m, v in cases.won_last_year_by_month}
    months = sorted({m for _, m, _ in cases.won_last_year_by_month})
    lines = [
        "- **Seasons (淡旺季)** — new deals follow the months (slow in January-February around "
        "the Spring Festival and in August, strong at quarter ends: "
        + ", ".join(f"{_MONTHS[m - 1]} ×{f:g}" for m, f in SEASON.items())
        + "), and so do wins (the quarter-end push, December strongest: "
        + ", ".join(f"{_MONTHS[m - 1]} ×{f:g}" for m, f in WIN_SEASON.items())
        + "). Last year's won amount by month, the profile a seasonal plan reads:",
        "",
        "  | month | " + " | ".join(r.spec.name for r in runs) + " |",
        "  |---|" + "---|" * len(runs),
    ]
    for month in months:
        cells = [_money(won[r.spec.name, month], currency[r.spec.name]) for r in runs]
        lines.append(f"  | {month} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _year_over_year(cases: HistoryCases, currency: dict[str, str]) -> list[str]:
    quarter = {t: (now, before) for t, now, before in cases.quarter_to_date}
    lines = [
        "- **Year over year** — new deals grow each year by "
        + ", ".join(f"{t} ×{g:g}" for t, g in GROWTH.items())
        + " (West shrinks, and its lead flow dries up in the last year: its won amount "
        "this quarter is below last year's same quarter). Won to date against last year "
        "to the same day:",
        "",
        "  | team | this year | last year | change | this quarter | last year's quarter | change |",
        "  |---|---|---|---|---|---|---|",
    ]
    for team, now, before in cases.year_to_date:
        q_now, q_before = quarter[team]
        c = currency[team]
        lines.append(
            f"  | {team} | {_money(now, c)} | {_money(before, c)} | {change(now, before)} "
            f"| {_money(q_now, c)} | {_money(q_before, c)} | {change(q_now, q_before)} |"
        )
    lines += ["", "- **A product line shrinking** — in each team one line loses share:", ""]
    lines += ["  | team | line | won this year | last year | change |", "  |---|---|---|---|---|"]
    for team, line, now, before in cases.shrinking_lines:
        c = currency[team]
        lines.append(
            f"  | {team} | {line} | {_money(now, c)} | {_money(before, c)} "
            f"| {change(now, before)} |"
        )
    return [*lines, ""]


def _cases(
    cases: HistoryCases, potentials: dict[str, dict[str, float]], currency: dict[str, str]
) -> list[str]:
    team, stage, left, moved = cases.weak_stage
    ramp_team, rep, capacity, joined = cases.ramp
    lines = [
        f"- **A long-standing weak stage** — team {team}, stage `{stage}`: over the whole "
        f"history its deals move on to the next stage {WEAK_CONVERSION:.0%} of the time "
        f"(of the {left} deals that left the stage, {moved:.0%} moved on), against the "
        "method's 60% standard.",
        f"- **A rep in ramp-up** — {rep} joined {ramp_team} in {joined} and sells at "
        f"{capacity:g} of a full rep's rate (`capacity` {capacity:g} in `teams.csv`); "
        f"`targets.csv` holds {ramp_team}'s team totals only, so how they are split over "
        "the reps (equally, by capacity, by history) decides the reps' targets.",
        f"- **Account classes (ABC)** — {cases.flat_team}'s revenue is spread flat over many "
        "small accounts (the others have a few large accounts and a long tail); in every "
        f"team {B_ACCOUNTS} small customers (revenue of the last 12 months below the "
        "median) have a potential among the highest (potential-type B accounts, 潜力型):",
        "",
        "  | team | account | potential |",
        "  |---|---|---|",
        *[
            f"  | {t} | {a} | {_money(potentials[t][a], currency[t])} |"
            for t, a in cases.b_accounts
        ],
        "",
        "- **New and existing customers** — a team's new deals go to existing customers "
        "with a fixed share (North mostly: its new-customer share is low). Share of this "
        "year's won deals whose account had not won before:",
        "",
        "  | team | new customers | deals to existing customers (planted) |",
        "  |---|---|---|",
        *[
            f"  | {t} | {share:.0%} | {EXISTING_SHARE[t]:.0%} |"
            for t, share, _ in cases.new_customer_share
        ],
        "",
    ]
    return lines
