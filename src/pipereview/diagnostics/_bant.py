"""BANT lead qualification of early-stage deals, and roll-ups per rep and team.

A lead is a real opportunity only with Budget, Authority, Need and a Time window. The check
covers the open deals in the first ``early_stages`` open stages of their model (two by
default) and reads the four evidence fields of :data:`BANT_ITEMS`. Each item is ``True``
(met), ``False`` (missing) or ``<NA>`` (not recorded: the column is absent from the
team's export, see :class:`pipereview.diagnostics._evidence.MissingColumn`). ``bant_missing`` lists the
recorded fields that are not met, ``bant_unchecked`` those the data does not record, and
``bant_complete`` is True (all four met), False (a recorded item is missing) or ``<NA>``
(none missing, but not all recorded: not checked). :func:`process_rollup` then sums the process gaps
(:func:`pipereview.diagnostics._process.process_gaps`) and the BANT check per rep or per team.

>>> snap = pd.DataFrame({"team": "华东", "owner": "张伟", "deal_id": ["S1", "S2", "S3"],
...     "stage": ["assess", "discover", "strategy"], "stage_model": "industrial_b2b",
...     "amount": 1.0, "budget_confirmed": [True, False, False],
...     "decision_maker": ["王总", None, None], "need_confirmed": [True, True, False]})
>>> bant = bant_check(snap)  # S3 is past the first two stages: not checked
>>> bant[["deal_id", "budget", "authority", "need", "timeline", "bant_complete"]]
  deal_id  budget  authority  need  timeline  bant_complete
0      S1    True       True  True      <NA>           <NA>
1      S2   False      False  True      <NA>          False
>>> bant.loc[1, "bant_missing"], bant.loc[1, "bant_unchecked"]
(('budget_confirmed', 'decision_maker'), ('timeline_confirmed',))
>>> [m.describe() for m in bant.attrs["missing_columns"]]
["华东 (industrial_b2b): column 'timeline_confirmed' not in the snapshot; 2 open deal(s) not checked on it"]
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import pandas as pd

from pipereview.core._errors import InputError
from pipereview.diagnostics._evidence import (
    EvidenceCodes,
    MissingColumn,
    assemble,
    check_columns,
    columns_missing,
    field_tuples,
    model_groups,
    open_positions,
)
from pipereview.diagnostics._grouping import Level, level_keys
from pipereview.diagnostics._labels import ModelArg

__all__ = ["BANT_COLUMNS", "BANT_ITEMS", "bant_check", "missed_criteria", "process_rollup"]

#: BANT item -> the evidence field that shows it, in the order B, A, N, T.
BANT_ITEMS: Mapping[str, str] = MappingProxyType(
    {
        "budget": "budget_confirmed",
        "authority": "decision_maker",
        "need": "need_confirmed",
        "timeline": "timeline_confirmed",
    }
)
#: Columns of :func:`bant_check`'s result, after the snapshot's identifying columns.
BANT_COLUMNS: tuple[str, ...] = (
    "stage_model",
    "stage",
    "stage_index",
    *BANT_ITEMS,
    "bant_missing",
    "bant_complete",
    "bant_unchecked",
)


def bant_check(
    snapshot: pd.DataFrame, model: ModelArg = None, *, early_stages: int = 2
) -> pd.DataFrame:
    """BANT items of the open deals in the first ``early_stages`` open stages.

    One row per such deal, sorted by team, owner and deal ID: the snapshot's identifying
    columns, then :data:`BANT_COLUMNS` (``stage_index`` is 1-based; the four items are
    nullable booleans; ``bant_missing`` a tuple of field names in B-A-N-T order). Fields
    absent from an export are listed once in ``result.attrs["missing_columns"]``.
    ``model`` works as in :func:`pipereview.diagnostics._process.process_gaps`.

    >>> snap = pd.DataFrame({"team": "T", "owner": "Ann", "deal_id": ["1", "2"],
    ...     "stage": ["initial_contact", "needs_confirmed"], "stage_model": "generic_4",
    ...     "amount": 1.0, "budget_confirmed": True, "decision_maker": "Li",
    ...     "need_confirmed": True, "timeline_confirmed": [True, False]})
    >>> bant_check(snap, early_stages=1)[["deal_id", "bant_missing", "bant_complete"]]
      deal_id bant_missing  bant_complete
    0       1           ()           True
    """
    if early_stages < 1:
        raise InputError(
            f"early_stages must be at least 1, got {early_stages}",
            expected="a whole number >= 1",
            hint="pass early_stages=2 to check the first two open stages",
        )
    check_columns(snapshot, model)
    evidence = EvidenceCodes(snapshot)
    fields = list(BANT_ITEMS.values())
    columns = BANT_COLUMNS
    out: dict[str, list[np.ndarray]] = {name: [] for name in columns}
    all_rows: list[np.ndarray] = []
    missing_columns: list[MissingColumn] = []
    for stage_model, group in model_groups(snapshot, model):
        position = open_positions(snapshot, group, stage_model)
        early = (position >= 0) & (position < early_stages)
        rows, position = group[early], position[early]
        code = np.zeros(len(rows), dtype=np.int64)
        unknown = np.zeros(len(rows), dtype=np.int64)
        for k, (item, field) in enumerate(BANT_ITEMS.items()):
            met, recorded, _ = evidence(field)
            value = pd.array(met[rows], dtype="boolean")
            value[~recorded[rows]] = pd.NA
            out[item].append(np.asarray(value, dtype=object))
            code |= np.where(met[rows] | ~recorded[rows], 0, np.int64(1) << k)
            unknown |= np.where(recorded[rows], 0, np.int64(1) << k)
        keys = np.array([s.key for s in stage_model.open_stages], dtype=object)
        all_rows.append(rows)
        out["stage_model"].append(np.full(len(rows), stage_model.name, dtype=object))
        out["stage"].append(keys[position])
        out["stage_index"].append(position + 1)
        out["bant_missing"].append(field_tuples(code, fields))
        complete = pd.array(code == 0, dtype="boolean")
        complete[(code == 0) & (unknown != 0)] = pd.NA  # no recorded gap, not all recorded
        out["bant_complete"].append(np.asarray(complete, dtype=object))
        out["bant_unchecked"].append(field_tuples(unknown, fields))
        missing_columns += columns_missing(snapshot, evidence, stage_model, rows, fields)
    rows = np.concatenate(all_rows) if all_rows else np.array([], dtype=np.int64)
    result = assemble(snapshot, rows, out, columns)
    result = result.astype(
        {"stage_index": "int64", "bant_complete": "boolean", **dict.fromkeys(BANT_ITEMS, "boolean")}
    )
    result.attrs["missing_columns"] = tuple(sorted(missing_columns))
    return result


# --- roll-ups ----------------------------------------------------------------------------


def missed_criteria(
    gaps: pd.DataFrame, *, by: Level = "team", column: str = "missing"
) -> pd.DataFrame:
    """How often each criterion is missing, per team (or rep), ranked: a tidy table with
    the group keys, ``field``, ``deals`` (open deals missing it) and ``rank`` (1 = most
    missed; ties share a rank and are listed by field name). ``column`` may be
    ``next_actions``, or ``bant_missing`` for a :func:`bant_check` frame.

    >>> gaps = pd.DataFrame({"team": "T", "missing": [("coach", "quote_sent"), ("coach",), ()]})
    >>> missed_criteria(gaps)
      team       field  deals  rank
    0    T       coach      2     1
    1    T  quote_sent      1     2
    """
    keys = level_keys(by)
    long = gaps[[*keys, column]].explode(column).dropna(subset=[column])
    long = long.rename(columns={column: "field"})
    counts = long.groupby([*keys, "field"], sort=False).size().rename("deals").reset_index()
    counts = counts.sort_values(
        [*keys, "deals", "field"],
        ascending=[*([True] * len(keys)), False, True],
        kind="stable",
        ignore_index=True,
    )
    counts["rank"] = (
        counts.groupby(keys, sort=False)["deals"]
        .rank(method="min", ascending=False)
        .astype("int64")
    )
    return counts.astype({"deals": "int64", "field": "str"})


def _ranked(table: pd.DataFrame, keys: list[str], top: int | None) -> pd.Series:
    """(field, deals) pairs of each group, most missed first, as a tuple per group."""
    if top is not None:
        table = table[table.groupby(keys, sort=False).cumcount() < top]
    pairs = pd.Series(
        list(zip(table["field"], table["deals"].astype(int), strict=True)),
        index=table.set_index(keys).index,
        dtype=object,
    )
    return pairs.groupby(level=keys, sort=False).agg(tuple)


def process_rollup(
    gaps: pd.DataFrame,
    bant: pd.DataFrame,
    *,
    by: Level = "rep",
    top: int | None = 3,
) -> pd.DataFrame:
    """Per rep (``by="rep"``: team and owner) or per team: the process gaps in numbers.

    From :func:`pipereview.diagnostics._process.process_gaps` and :func:`bant_check` frames of one
    snapshot. Columns: ``open_deals``; ``inflated_deals`` and ``gap_share`` (their share
    of open deals; a deal has gaps exactly when it is inflated); ``open_amount`` and
    ``inflated_amount`` in ``currency`` (both NaN when the group mixes currencies);
    ``most_missed``: ``(field, deals)`` pairs, most missed first (the ``top`` ones; None
    keeps all); ``early_deals`` (deals the BANT check covers), ``bant_incomplete`` (those
    missing a recorded BANT item) and ``bant_missing`` ranked like ``most_missed``;
    ``unchecked_deals``: open deals whose stage could not be fully checked because the
    data does not record an evidence field (see ``attrs["missing_columns"]``).

    >>> from pipereview.diagnostics._process import process_gaps
    >>> snap = pd.DataFrame({"team": "T", "owner": ["Ann", "Ann", "Bo"],
    ...     "deal_id": ["1", "2", "3"], "stage": ["initial_contact", "solution_quote",
    ...     "needs_confirmed"], "stage_model": "generic_4", "amount": [5.0, 7.0, 9.0],
    ...     "currency": "EUR", "budget_confirmed": [True, False, True],
    ...     "decision_maker": ["Li", "Li", "Wu"], "need_confirmed": [False, True, True],
    ...     "timeline_confirmed": [False, True, True], "competitor": "ABB",
    ...     "solution_presented": False, "quote_sent": False,
    ...     "contract_risk_reviewed": False, "verbal_commitment": False})
    >>> roll = process_rollup(process_gaps(snap), bant_check(snap), by="team")
    >>> roll[["team", "open_deals", "inflated_deals", "gap_share", "inflated_amount"]]
      team  open_deals  inflated_deals  gap_share  inflated_amount
    0    T           3               1   0.333333              7.0
    >>> roll.loc[0, "most_missed"], roll.loc[0, "bant_missing"]
    ((('budget_confirmed', 1),), (('need_confirmed', 1), ('timeline_confirmed', 1)))
    """
    keys = level_keys(by)
    roll = _gap_sums(gaps, keys)
    roll["most_missed"] = _ranked(missed_criteria(gaps, by=by), keys, top)
    early = bant.groupby(keys, sort=True)
    roll["early_deals"] = early.size()
    roll["bant_incomplete"] = (
        bant["bant_complete"]
        .eq(False)
        .fillna(False)
        .groupby([bant[k] for k in keys], sort=True)
        .sum()
    )
    roll["bant_missing"] = _ranked(missed_criteria(bant, by=by, column="bant_missing"), keys, top)
    for name in ("most_missed", "bant_missing"):
        roll[name] = [v if isinstance(v, tuple) else () for v in roll[name]]
    roll[["early_deals", "bant_incomplete"]] = roll[["early_deals", "bant_incomplete"]].fillna(0)
    columns = [
        "open_deals",
        "inflated_deals",
        "gap_share",
        "open_amount",
        "inflated_amount",
        "currency",
        "most_missed",
        "early_deals",
        "bant_incomplete",
        "bant_missing",
        "unchecked_deals",
    ]
    result = (
        roll[columns]
        .reset_index()
        .astype({"early_deals": "int64", "bant_incomplete": "int64", "unchecked_deals": "int64"})
    )
    result.attrs["missing_columns"] = _merged_missing(gaps, bant)
    return result


def _gap_sums(gaps: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per group of ``keys``: open and inflated deals and amounts, ``gap_share``,
    ``unchecked_deals`` and ``currency`` (amounts NaN when the group mixes currencies)."""
    currency = (
        gaps["currency"].astype(str).fillna("")
        if "currency" in gaps.columns
        else pd.Series("", index=gaps.index, dtype=str)
    )
    work = gaps[keys].assign(
        open_deals=1,
        inflated_deals=gaps["inflated"].astype("int64"),
        open_amount=gaps["amount"].astype("float64"),
        inflated_amount=gaps["inflated_amount"].astype("float64"),
        currency=currency,
    )
    grouped = work.groupby(keys, sort=True)
    roll = grouped[["open_deals", "inflated_deals", "open_amount", "inflated_amount"]].sum()
    roll["gap_share"] = roll["inflated_deals"] / roll["open_deals"]
    checked = gaps.get("evidence_checked", pd.Series(True, index=gaps.index))
    roll["unchecked_deals"] = (
        (~checked.astype(bool)).groupby([gaps[k] for k in keys], sort=True).sum()
    )
    roll["currency"] = grouped["currency"].agg(lambda c: "/".join(sorted(set(c) - {""})))
    roll.loc[grouped["currency"].nunique() > 1, ["open_amount", "inflated_amount"]] = np.nan
    return roll


def _merged_missing(gaps: pd.DataFrame, bant: pd.DataFrame) -> tuple[MissingColumn, ...]:
    """The evidence columns missing from either frame, one entry per team, stage model
    and field: the one that counts the most open deals."""
    merged: dict[tuple[str, str, str], MissingColumn] = {}
    found = [*gaps.attrs.get("missing_columns", ()), *bant.attrs.get("missing_columns", ())]
    # by open deals, so the entry that counts the most deals wins
    for m in sorted(found, key=lambda m: m.open_deals):
        merged[m.team, m.stage_model, m.field] = m
    return tuple(sorted(merged.values()))
