"""Small helpers shared by the built-in rules."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd

__all__ = [
    "BUILTIN_RULES",
    "DEAL_COLUMNS",
    "builtin_rule",
    "deal_rows",
    "evidence_records",
    "severity_by_ratio",
]

#: Identity columns a deal-level finding carries, when the source frame has them.
DEAL_COLUMNS: tuple[str, ...] = (
    "team",
    "owner",
    "deal_key",
    "deal_id",
    "deal_name",
    "account",
    "stage_model",
    "stage",
    "currency",
)


F = TypeVar("F", bound=Callable[..., Any])

#: The built-in rules in the order their modules define them: (name, function, settings as
#: :func:`pipereview.coaching.register_rule` takes them). The rule registry registers them
#: on first use; the rule modules never import the registry.
BUILTIN_RULES: list[tuple[str, Callable[..., Any], dict[str, Any]]] = []


def builtin_rule(name: str, **settings: Any) -> Callable[[F], F]:
    """Decorator marking a shipped rule (see :data:`BUILTIN_RULES`)."""

    def decorate(function: F) -> F:
        BUILTIN_RULES.append((name, function, settings))
        return function

    return decorate


def severity_by_ratio(
    ratio: pd.Series | np.ndarray, steps: Sequence[float] = (2.0, 3.0)
) -> np.ndarray:
    """1 below ``steps[0]``, 2 below ``steps[1]``, else 3 (e.g. days over a threshold).

    >>> severity_by_ratio(np.array([1.0, 2.5, 4.0])).tolist()
    [1, 2, 3]
    """
    values = np.asarray(ratio, dtype=float)
    return np.where(values < steps[0], 1, np.where(values < steps[1], 2, 3)).astype(np.int64)


def deal_rows(frame: pd.DataFrame, **columns: Any) -> pd.DataFrame:
    """The deal identity columns of ``frame`` plus ``columns`` (finding fields)."""
    out = frame[[c for c in DEAL_COLUMNS if c in frame]].reset_index(drop=True)
    for name, value in columns.items():
        out[name] = value.to_numpy() if isinstance(value, pd.Series) else value
    return out


def evidence_records(
    frame: pd.DataFrame, columns: Sequence[str], **constants: object
) -> list[dict[str, object]]:
    """One evidence mapping per row: ``columns`` of ``frame`` (numpy scalars made plain
    Python) plus ``constants`` (e.g. the thresholds used).

    >>> evidence_records(pd.DataFrame({"days": [45]}), ["days"], limit=30)
    [{'days': 45, 'limit': 30}]
    """
    records = frame[list(columns)].to_dict("records")
    return [
        {
            **{str(k): (v.item() if isinstance(v, np.generic) else v) for k, v in r.items()},
            **constants,
        }
        for r in records
    ]
