"""Fixed heuristics: the thresholds pipereview applies that are not settings (a setting
lives in a configuration section, see :data:`pipereview.config.SECTIONS`).

Each is declared once with :func:`heuristic`, which records it in :data:`HEURISTICS`
with what it decides, and returns its value for the module to use; the tests hold every
declared heuristic to a boundary test (exactly at, just below, just above).

>>> import pipereview.ingest
>>> HEURISTICS["ingest.footer_text_cells"].value
1
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

__all__: list[str] = []

N = TypeVar("N", int, float)


@dataclass(frozen=True)
class Heuristic:
    """One fixed threshold: its name, value and what it decides."""

    name: str
    value: float
    meaning: str


#: Every declared heuristic, by name.
HEURISTICS: dict[str, Heuristic] = {}


def heuristic(name: str, value: N, meaning: str) -> N:
    """Declare a fixed threshold (in :data:`HEURISTICS`) and return its value, e.g.
    ``_FOOTER_TEXT_CELLS = heuristic("ingest.footer_text_cells", 1, "...")``."""
    HEURISTICS[name] = Heuristic(name, value, meaning)
    return value
