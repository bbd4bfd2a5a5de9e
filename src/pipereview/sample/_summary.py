"""What :func:`generate_samples` reports back: files, deal counts, planted patterns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["DealCount", "HistoryCases", "PlantedPatterns", "SampleSummary"]


@dataclass(frozen=True)
class DealCount:
    """Deals in one team's export of one week."""

    team: str
    week: str
    open: int
    closed: int


@dataclass(frozen=True)
class HistoryCases:
    """The cases planted in the two-year sample (``years=2``), with their figures: won
    amounts in the team's currency, this year's to the last week's Friday against last
    year's to the same day."""

    won_last_year_by_month: tuple[tuple[str, str, float], ...]  # (team, 2025-12, won)
    year_to_date: tuple[tuple[str, float, float], ...]  # (team, this year, last year)
    quarter_to_date: tuple[tuple[str, float, float], ...]  # (team, this quarter, last year's)
    shrinking_lines: tuple[tuple[str, str, float, float], ...]  # (team, line, this, last)
    weak_stage: tuple[str, str, int, float]  # (team, stage, deals that left it, moved on)
    ramp: tuple[str, str, float, str]  # (team, rep, capacity, week joined)
    b_accounts: tuple[tuple[str, str], ...]  # (team, account)
    flat_team: str
    new_customer_share: tuple[tuple[str, float, float], ...]  # (team, share, existing share)


@dataclass(frozen=True)
class PlantedPatterns:
    """Where the deliberate patterns sit, so tests and the README can name them."""

    bottleneck_team: str
    bottleneck_rep: str
    bottleneck_stage: str
    thin_top_team: str
    migration_team: str
    migration_week: str
    migrated_ids: tuple[tuple[str, str], ...]  # (old id, new id)
    pushed_3_times: tuple[tuple[str, str], ...]  # (team, deal id as of the last week)


@dataclass(frozen=True)
class SampleSummary:
    """What :func:`generate_samples` wrote."""

    out_dir: Path
    paths: tuple[Path, ...]
    teams: tuple[str, ...]
    weeks: tuple[str, ...]
    deal_counts: tuple[DealCount, ...]
    planted: PlantedPatterns
    history: HistoryCases | None = None  # the two-year sample's planted cases

    def open_deals(self, team: str, week: str) -> int:
        """Open deals in ``team``'s export of ``week``."""
        return next(c.open for c in self.deal_counts if c.team == team and c.week == week)
