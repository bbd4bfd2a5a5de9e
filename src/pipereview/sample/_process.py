"""The process a team's deals follow: weekly chances to advance, win or be lost per stage.

>>> from pipereview.core._stages import load_stage_model
>>> p = Process.of(load_stage_model("generic_4"), velocity=1.0, top_velocity=None)
>>> p.keys, p.won, p.lost
(('initial_contact', 'needs_confirmed', 'solution_quote', 'negotiation'), 'won', 'lost')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipereview.core._stages import StageModel, load_stage_model
from pipereview.sample._teams import TeamSpec

__all__ = ["Process", "RateTables", "bottleneck_index", "forecast", "stock_weights"]


@dataclass(frozen=True)
class Process:
    """A stage model turned into weekly rates for one team's speed."""

    keys: tuple[str, ...]  # open stages, in order
    criteria: tuple[tuple[str, ...], ...]  # exit-criteria fields per open stage
    probability: tuple[float, ...]
    advance: tuple[float, ...]
    lose: tuple[float, ...]
    win: float
    cycle_days: int
    won: str
    lost: str

    @classmethod
    def of(cls, model: StageModel, velocity: float, top_velocity: float | None) -> Process:
        stages = model.open_stages
        n = len(stages)
        speed = [top_velocity if top_velocity and i < 2 else velocity for i in range(n)]
        leave = [
            min(0.35, max(0.05, 0.6 * 7 / (s.typical_days or 21))) * v
            for s, v in zip(stages, speed, strict=True)
        ]
        survive = (0.22 / 0.6) ** (1 / max(n - 1, 1))  # about 22% of new deals are won
        lose_share = [(1 - survive) * (1.4 - 0.8 * i / max(n - 2, 1)) for i in range(n)]
        advance = [p * (1 - q) for p, q in zip(leave, lose_share, strict=True)]
        lose = [p * q for p, q in zip(leave, lose_share, strict=True)]
        advance[-1], lose[-1] = 0.0, leave[-1] * 0.4  # the last stage is won or lost
        return cls(
            keys=tuple(s.key for s in stages),
            criteria=tuple(tuple(c.field for c in s.exit_criteria) for s in stages),
            probability=tuple(s.probability for s in stages),
            advance=tuple(advance),
            lose=tuple(lose),
            win=leave[-1] * 0.6,
            cycle_days=sum(s.typical_days or 21 for s in stages),
            won=model.won_stage.key,
            lost=model.lost_stages[0].key,
        )

    @property
    def criteria_fields(self) -> frozenset[str]:
        return frozenset(f for fields in self.criteria for f in fields)

    def is_open(self, stage: pd.Series) -> pd.Series:
        """Which of these stage keys are open (neither won nor lost)."""
        return ~stage.isin([self.won, self.lost])


class RateTables:
    """The processes of several stage models (at full speed) as arrays, one row per model,
    padded to the longest: keys, weekly rates, stage names, exit criteria.

    >>> RateTables(["generic_4", "salesforce"]).n_open.tolist()
    [4, 8]
    """

    def __init__(self, models: Sequence[str]) -> None:
        self.processes = [Process.of(load_stage_model(m), 1.0, None) for m in models]
        width = max(len(p.keys) for p in self.processes)
        shape = (len(models), width)
        self.n_open = np.array([len(p.keys) for p in self.processes])
        self.advance = np.zeros(shape)
        self.lose = np.zeros(shape)
        self.probability = np.zeros(shape)
        for m, p in enumerate(self.processes):
            n = len(p.keys)
            self.advance[m, :n] = p.advance
            self.lose[m, :n] = p.lose
            self.probability[m, :n] = p.probability
        self.win = np.array([p.win for p in self.processes])
        # stage names as one flat table: open stages, then won (width), lost (width + 1)
        self.names = np.full((len(models), width + 2), "", dtype=object)
        for m, p in enumerate(self.processes):
            self.names[m, : len(p.keys)] = p.keys
            self.names[m, width], self.names[m, width + 1] = p.won, p.lost
        self.width = width

    def criteria_table(self, evidence: list[str]) -> np.ndarray:
        """[model, stage, field] -> the field (of ``evidence``) is an exit criterion of
        that stage."""
        table = np.zeros((len(self.processes), self.width, len(evidence)), dtype=bool)
        for m, p in enumerate(self.processes):
            for s, fields in enumerate(p.criteria):
                for f in fields:
                    table[m, s, evidence.index(f)] = True
        return table


def bottleneck_index(process: Process, spec: TeamSpec) -> int:
    keys = process.keys
    return keys.index(spec.bottleneck_stage) if spec.bottleneck_stage in keys else len(keys) // 2


def stock_weights(n: int) -> np.ndarray:
    """How a standing pipeline spreads over ``n`` open stages: more in the early ones."""
    weights = np.array([1.0 / (i + 1.5) for i in range(n)])
    normalised: np.ndarray = weights / weights.sum()
    return normalised


def forecast(stage: Any, probability: Any, p: Process) -> np.ndarray:
    """Forecast category from the stage: closed, omitted (lost), then by probability."""
    stage, probability = np.asarray(stage, dtype=str), np.asarray(probability)
    category: np.ndarray = np.select(
        [stage == p.won, stage == p.lost, probability >= 0.75, probability >= 0.4],
        ["closed", "omitted", "commit", "best_case"],
        "pipeline",
    )
    return category
