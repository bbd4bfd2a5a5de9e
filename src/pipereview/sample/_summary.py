"""What :func:`generate_samples` reports back: files, deal counts, planted patterns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["DealCount", "PlantedPatterns", "SampleSummary"]


@dataclass(frozen=True)
class DealCount:
    """Deals in one team's export of one week."""

    team: str
    week: str
    open: int
    closed: int


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

    def open_deals(self, team: str, week: str) -> int:
        """Open deals in ``team``'s export of ``week``."""
        return next(c.open for c in self.deal_counts if c.team == team and c.week == week)
