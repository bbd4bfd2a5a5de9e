"""The teams of the generated organisation (``_org``): names, stage models and locales in
turn, shares of new deals, reps, and each locale's names for people, accounts and deals.

>>> teams = OrgTeams.drawn(np.random.default_rng(1), teams=5, reps_per_team=3)
>>> teams.names[:2], teams.reps.shape
(('Team 01', 'Team 02'), (5, 3))
>>> [STAGE_MODELS[m] for m in teams.model][-2:], [LOCALES[i][0] for i in teams.locale]
(['hubspot', 'industrial_b2b'], ['us', 'us', 'us', 'us', 'de'])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipereview.sample._teams import POOLS, all_accounts, deal_name

__all__ = ["LOCALES", "STAGE_MODELS", "NamePool", "OrgTeams", "team_names"]

#: The stage models of the teams, in turn.
STAGE_MODELS = ("industrial_b2b", "generic_4", "salesforce", "hubspot")
#: (locale, currency, median amount) of the teams, in turn, each for len(STAGE_MODELS) teams.
LOCALES = (("us", "USD", 40_000.0), ("de", "EUR", 58_000.0), ("zh", "CNY", 650_000.0))


@dataclass(frozen=True, eq=False)
class OrgTeams:
    """The teams: names, stage models and locales (in turn), shares of new deals, reps."""

    names: tuple[str, ...]
    model: np.ndarray
    locale: np.ndarray
    weight: np.ndarray
    pools: dict[str, NamePool]
    reps: np.ndarray

    @classmethod
    def drawn(cls, rng: np.random.Generator, teams: int, reps_per_team: int) -> OrgTeams:
        locale = (np.arange(teams) // len(STAGE_MODELS)) % len(LOCALES)
        weight = rng.uniform(0.6, 1.4, teams)
        weight /= weight.sum()
        pools = {loc: NamePool(loc) for loc, _, _ in LOCALES}
        reps = np.empty((teams, reps_per_team), dtype=object)
        for t in range(teams):
            pool = pools[LOCALES[locale[t]][0]].people
            reps[t] = pool[rng.choice(len(pool), reps_per_team, replace=False)]
        return cls(
            team_names(teams), np.arange(teams) % len(STAGE_MODELS), locale, weight, pools, reps
        )


class NamePool:
    """One locale's names: people, accounts, deal names, competitors, next steps."""

    def __init__(self, locale: str) -> None:
        pool = POOLS[locale]
        self.people = np.array(
            [
                f"{b}{a}" if locale == "zh" else f"{a} {b}"
                for a in pool["first"]
                for b in pool["last"]
            ],
            dtype=object,
        )
        self.accounts = np.array(all_accounts(locale), dtype=object)
        self.products = pool["product"]
        self.deal_names = np.array(
            [deal_name(locale, a, p) for a in self.accounts for p in self.products], dtype=object
        )
        self.competitors = np.array(pool["competitor"], dtype=object)
        self.next = np.array(pool["next"], dtype=object)


def team_names(teams: int) -> tuple[str, ...]:
    """The organisation's team names: ``Team 01`` ... (safe as folder names)."""
    return tuple(f"Team {i + 1:02d}" for i in range(teams))
