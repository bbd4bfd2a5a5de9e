"""Findings: what a coaching rule found, as one tidy row each.

A finding is structured, not prose: who it is about (scope deal / rep / team), the
metric, its value and the reference it is compared with, a severity, the amount at
stake and the evidence (a mapping of the named numbers behind it). Prompts are rendered
from findings by templates (:mod:`pipereview.coaching.prompts`).

>>> f = findings_frame(pd.DataFrame({"team": "North", "owner": "Ann", "metric": "days",
...     "value": [45.0], "reference": [30.0], "severity": [2], "amount_at_stake": [1e5],
...     "evidence": [{"days": 45}]}), rule="stalled_deal", kind="risk",
...     coaching="opportunity", scope="deal")
>>> f[["rule", "scope", "owner", "value", "reference", "severity"]]
           rule scope owner  value  reference  severity
0  stalled_deal  deal   Ann   45.0       30.0         2
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from pipereview.core._errors import ConfigError

__all__ = [
    "FINDING_COLUMNS",
    "KINDS",
    "SCOPES",
    "SEVERITY_NAMES",
    "finding_columns",
    "findings_frame",
    "frame_findings",
    "rank_findings",
]

Kind = Literal["risk", "strength"]
Coaching = Literal["opportunity", "skill", "team"]
Scope = Literal["deal", "rep", "team"]

#: The two kinds of finding: a risk to work on, or a strength to start from.
KINDS: tuple[str, ...] = ("risk", "strength")
#: Who a finding is about.
SCOPES: tuple[str, ...] = ("deal", "rep", "team")
#: Severity levels: 1 low, 2 medium, 3 high (strengths have severity 0).
SEVERITY_NAMES: dict[int, str] = {0: "strength", 1: "low", 2: "medium", 3: "high"}

#: Columns of every findings frame, in order.
FINDING_COLUMNS: tuple[str, ...] = (
    "rule",
    "kind",
    "coaching",
    "scope",
    "team",
    "owner",
    "deal_key",
    "deal_id",
    "deal_name",
    "account",
    "stage_model",
    "stage",
    "metric",
    "value",
    "reference",
    "severity",
    "amount_at_stake",
    "currency",
    "evidence",
)
_TEXT = (
    "team",
    "owner",
    "deal_key",
    "deal_id",
    "deal_name",
    "account",
    "stage_model",
    "stage",
    "metric",
    "currency",
)
_NUMBERS = ("value", "reference", "amount_at_stake")
_STRINGS = frozenset(("rule", "kind", "coaching", "scope", *_TEXT))
_EMPTY: dict[str, type] = {"value": float, "reference": float, "amount_at_stake": float}
_EMPTY["severity"] = np.int64


def findings_frame(
    rows: pd.DataFrame, *, rule: str, kind: Kind, coaching: Coaching, scope: Scope
) -> pd.DataFrame:
    """A rule's result as a findings frame (columns :data:`FINDING_COLUMNS`).

    ``rows`` holds any of the columns; missing text columns become ``""``, numbers NaN,
    ``severity`` 0 for strengths (else required, 1-3), ``evidence`` an empty mapping. Raises
    :class:`~pipereview.core._errors.ConfigError` (a ``ValueError``) naming the rule when
    ``kind`` or ``scope`` is unknown, a severity is outside 1-3 or ``team`` is missing.
    """
    return frame_findings(
        [finding_columns(rows, rule=rule, kind=kind, coaching=coaching, scope=scope)]
    )


def finding_columns(
    rows: pd.DataFrame, *, rule: str, kind: Kind, coaching: Coaching, scope: Scope
) -> dict[str, np.ndarray]:
    """The columns of :func:`findings_frame` as arrays, not yet framed (text as Python
    strings): several rules' findings are framed at once by :func:`frame_findings`.

    >>> columns = finding_columns(pd.DataFrame({"team": ["North"], "severity": [2]}),
    ...     rule="stalled_deal", kind="risk", coaching="opportunity", scope="deal")
    >>> columns["team"].tolist(), columns["owner"].tolist(), columns["severity"].tolist()
    (['North'], [''], [2])
    """
    if kind not in KINDS or scope not in SCOPES:
        raise ConfigError(
            f"rule {rule!r}: kind must be one of {KINDS} and scope one of "
            f"{SCOPES}, got {kind!r} and {scope!r}",
            hint="register the rule with one of these kinds and scopes "
            "(docs/coaching.md, 'Adding your own rule')",
        )
    n = len(rows)
    if n and "team" not in rows:
        raise ConfigError(
            f"rule {rule!r} returned findings without a 'team' column",
            hint="keep the 'team' column of the deals or figures the rule "
            "selects from in the frame it returns",
        )
    if not n:  # nothing found: empty columns of each column's type
        return {name: np.empty(0, dtype=_EMPTY.get(name, object)) for name in FINDING_COLUMNS}
    columns: dict[str, np.ndarray] = {
        name: np.full(n, value, dtype=object)
        for name, value in (
            ("rule", rule),
            ("kind", kind),
            ("coaching", coaching),
            ("scope", scope),
        )
    }
    for column in _TEXT:
        text = np.full(n, "", dtype=object)
        if column in rows:
            values = rows[column].to_numpy(dtype=object)
            text[:] = [("" if v is None or v is pd.NA or v != v else str(v)) for v in values]
        columns[column] = text
    for column in _NUMBERS:
        columns[column] = (
            pd.to_numeric(rows[column], errors="coerce").to_numpy(dtype=float)
            if column in rows
            else np.full(n, np.nan)
        )
    if kind == "strength":
        columns["severity"] = np.zeros(n, dtype=np.int64)
    else:
        severity = rows["severity"].to_numpy(dtype=np.int64) if "severity" in rows else np.zeros(n)
        if n and (severity.min() < 1 or severity.max() > 3):
            raise ConfigError(
                f"rule {rule!r}: severity must be 1 (low), 2 or 3 (high), got "
                f"{int(severity.min())} to {int(severity.max())}",
                hint="set the 'severity' column of each finding to 1, 2 or 3 (strengths need none)",
            )
        columns["severity"] = severity.astype(np.int64)
    evidence = np.empty(n, dtype=object)
    evidence[:] = (
        [dict(e) if isinstance(e, dict) else {} for e in rows["evidence"]]
        if "evidence" in rows
        else [{} for _ in range(n)]
    )
    columns["evidence"] = evidence
    return columns


def frame_findings(parts: Sequence[Mapping[str, np.ndarray]]) -> pd.DataFrame:
    """One findings frame (columns :data:`FINDING_COLUMNS`, one row per finding, in the
    order given) of the columns of :func:`finding_columns`, one mapping per rule.

    >>> part = finding_columns(pd.DataFrame({"team": ["North"]}), rule="big_win",
    ...     kind="strength", coaching="opportunity", scope="deal")
    >>> frame_findings([part, part])[["rule", "team", "severity"]]
          rule   team  severity
    0  big_win  North         0
    1  big_win  North         0
    """
    columns: dict[str, Any] = {}
    for name in FINDING_COLUMNS:
        values = np.concatenate([part[name] for part in parts])
        columns[name] = pd.array(values, dtype="str") if name in _STRINGS else values
    return pd.DataFrame(columns, index=range(len(columns["evidence"])))


def rank_findings(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings in the order a manager reads them: team, rep, strengths first, then risks
    by severity (high first) and amount at stake (largest first); ties by rule and deal.

    >>> f = pd.DataFrame({"team": "T", "owner": "A", "kind": ["risk", "strength", "risk"],
    ...     "severity": [1, 0, 3], "amount_at_stake": [9.0, 1.0, 2.0], "rule": "r",
    ...     "deal_key": ["a", "b", "c"]})
    >>> rank_findings(f)["deal_key"].tolist()
    ['b', 'c', 'a']
    """
    order = findings.assign(
        _strength=(findings["kind"] != "strength").astype(int),
        _severity=-findings["severity"],
        _amount=-findings["amount_at_stake"].fillna(0.0),
    )
    order = order.sort_values(
        ["team", "owner", "_strength", "_severity", "_amount", "rule", "deal_key"], kind="stable"
    )
    return order.drop(columns=["_strength", "_severity", "_amount"]).reset_index(drop=True)
