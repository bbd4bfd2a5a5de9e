"""What the store's files beside the deals share (the companion exports, the forecast
calls): the files a week's record says a team's rows came from, and the rows an export
could not use written to the week's quarantine with their reasons.

>>> record_sources({"sources": [{"team": "North", "file": "a.csv"},
...     {"team": "West", "file": "b.csv"}]}, ["North"])
['a.csv']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from pipereview.core._errors import Problem
from pipereview.core._weeks import Week
from pipereview.history._intake import write_quarantine
from pipereview.history._store import SnapshotStore

__all__ = ["record_sources", "write_problems"]

#: The columns of a quarantine file of problems: where, what was expected, what was found.
_PROBLEM_COLUMNS = ["file", "row", "column", "expected", "got", "hint"]


def record_sources(record: Mapping[str, Any], teams: Iterable[str]) -> list[str]:
    """The files a stored week's record says ``teams``' rows came from, sorted."""
    wanted = set(teams)
    return sorted({s["file"] for s in record.get("sources", []) if s["team"] in wanted})


def write_problems(
    store: SnapshotStore, week: Week, name: str, problems: Sequence[Problem]
) -> Path | None:
    """The rows an export could not use (``problems``, one per row) written as ``name`` in
    ``week``'s quarantine; None when there is none."""
    if not problems:
        return None
    table = pd.DataFrame(
        [[getattr(p, c) for c in _PROBLEM_COLUMNS] for p in problems], columns=_PROBLEM_COLUMNS
    )
    return write_quarantine(store, week, name, table)
