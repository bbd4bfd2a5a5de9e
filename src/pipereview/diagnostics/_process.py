"""Match every open deal against its sales process (回溯和匹配流程, docs/method.md §1).

A deal's CRM stage is a claim. Its *evidence* is what the snapshot's evidence fields show:
a flag field counts as met when it is ``True``, a text field (``decision_maker``,
``coach``, ``competitor``) when it is not blank. Stages are numbered 1..n over the model's
open stages, in process order, and C(k) is the set of stage k's exit criteria.

* **Evidence stage** — the furthest stage the evidence lets the deal be in. Every open
  deal has evidence for stage 1; it has evidence for stage k+1 when the exit criteria of
  *every* stage 1..k are met. So the evidence stage is the first stage whose exit
  criteria are not all met (stage n when C(1)..C(n-1) are all met). It is read in order:
  evidence for a later stage does not make up for a gap in an earlier one.
* **Missing** (the gaps) — the criteria of C(1)..C(c-1) that are not met, for a deal
  claimed in stage c: what must be true for the deal to be legitimately *in* stage c.
* **Next actions** — the criteria of C(c) that are not met, in the model's order: what
  is still needed to *leave* stage c. A field may be in both lists (``competitor`` is an exit criterion of
  two stages of ``industrial_b2b``).
* **Stage inflation** — claimed stage c > evidence stage e; the deal is inflated by c - e
  stages. A deal has gaps exactly when it is inflated, and a deal in stage 1 never is.
* **Not checked** — a criterion whose column the data does not record (absent from the
  export, or blank in every row of it: :class:`MissingColumn`) is neither met nor a gap.
  It is listed in ``unchecked`` and never makes a deal inflated: only a recorded, unmet
  criterion does, and ``stages_inflated`` counts the stages that such gaps show for
  certain. ``evidence_checked`` is False when a criterion of C(1)..C(c-1) is not
  recorded: the claim could not be checked in full. A plain CRM export with no evidence
  column has every deal past stage 1 not checked and none inflated.

Worked example in ``generic_4`` (1 initial contact: budget, decision maker; 2 needs
confirmed: need, timeline; 3 solution & quote: solution, quote, competitor;
4 negotiation: contract risk review, verbal commitment, decision chain mapped). A deal
claimed in negotiation with budget, decision maker and need met but no timeline has
evidence for stage 2 only (C(1) met, C(2) not): evidence stage 2 (needs confirmed),
inflated by 2 stages, missing timeline, solution, quote and competitor, next actions
contract review and commitment (the decision chain is not checked: the snapshot below
has no column for it).

>>> snap = pd.DataFrame({
...     "team": "East", "owner": "Li Na", "deal_id": ["D1", "D2", "D3"],
...     "stage": ["initial_contact", "negotiation", "won"], "stage_model": "generic_4",
...     "amount": [100.0, 300.0, 50.0],
...     "budget_confirmed": [False, True, True], "decision_maker": [None, "Wang", "Zhao"],
...     "need_confirmed": [False, True, True], "timeline_confirmed": [False, False, True],
...     "solution_presented": False, "quote_sent": False, "competitor": [None, None, "ABB"],
...     "contract_risk_reviewed": False, "verbal_commitment": False})
>>> gaps = process_gaps(snap)  # the won deal D3 is not open: left out
>>> gaps[["deal_id", "claimed_stage", "evidence_stage", "stages_inflated", "inflated_amount"]]
  deal_id    claimed_stage   evidence_stage  stages_inflated  inflated_amount
0      D1  initial_contact  initial_contact                0              0.0
1      D2      negotiation  needs_confirmed                2            300.0
>>> gaps.loc[1, "missing"]
('timeline_confirmed', 'solution_presented', 'quote_sent', 'competitor')
>>> gaps.loc[1, "next_actions"]
('contract_risk_reviewed', 'verbal_commitment')
>>> from pipereview.diagnostics import with_labels
>>> with_labels(gaps, "zh").loc[1, "next_actions_labels"]
('已完成合同风险评审', '已获客户口头承诺')
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipereview.core._stages import StageModel
from pipereview.diagnostics._evidence import (
    EvidenceCodes,
    MissingColumn,
    assemble,
    check_columns,
    columns_missing,
    field_tuples,
    model_fields,
    model_groups,
    open_positions,
)
from pipereview.diagnostics._labels import ModelArg

__all__ = ["GAP_COLUMNS", "missing_evidence_columns", "process_gaps"]

#: Columns of :func:`process_gaps`' result, after the snapshot's identifying columns.
GAP_COLUMNS: tuple[str, ...] = (
    "stage_model",
    "claimed_stage",
    "claimed_index",
    "evidence_stage",
    "evidence_index",
    "stages_inflated",
    "inflated",
    "inflated_amount",
    "missing",
    "next_actions",
    "evidence_checked",
    "unchecked",
)


def process_gaps(snapshot: pd.DataFrame, model: ModelArg = None) -> pd.DataFrame:
    """Claimed stage, evidence stage, gaps, next actions and inflation of every open deal.

    ``model`` (a :class:`StageModel`, a shipped name or a YAML path) applies to every row;
    by default each row's ``stage_model`` is used. One row per open deal, sorted by team,
    owner and deal ID; closed deals are left out. Columns: the snapshot's identifying
    columns (``snapshot_week``, ``team``, ``owner``, ``deal_id``, ``deal_name``,
    ``account``, ``amount``, ``currency``, those present), then :data:`GAP_COLUMNS`:
    stages as keys and as 1-based positions among the open stages, ``stages_inflated``
    (claimed - evidence, at least 0), ``inflated_amount`` (the amount when inflated,
    else 0), ``missing`` and ``next_actions`` as tuples of field names in process order
    (labels: :func:`~pipereview.diagnostics._labels.with_labels`), ``evidence_checked`` and ``unchecked`` (the fields of
    C(1)..C(c) the data does not record). Evidence columns that the criteria need but the
    snapshot lacks are neither met nor gaps; they are listed once, in
    ``result.attrs["missing_columns"]`` (a tuple of :class:`MissingColumn`).

    >>> snap = pd.DataFrame({"team": "T", "owner": "Ann", "deal_id": ["1", "2"],
    ...     "stage": ["discover", "strategy"], "stage_model": "industrial_b2b",
    ...     "amount": 10.0, "customer_background": True, "budget_confirmed": True,
    ...     "decision_maker": "Wu", "timeline_confirmed": True, "competitor": "ABB"})
    >>> gaps = process_gaps(snap)
    >>> gaps[["deal_id", "evidence_stage", "evidence_index", "inflated"]]
      deal_id evidence_stage  evidence_index  inflated
    0       1       discover               2     False
    1       2       discover               2     False
    >>> bool(gaps.loc[1, "evidence_checked"]), gaps.loc[1, "missing"]  # no column, no gap
    (False, ())
    >>> gaps.loc[1, "unchecked"]
    ('coach', 'relationship_mapped', 'need_confirmed', 'deal_team_assigned', 'strategy_documented')
    >>> [m.field for m in gaps.attrs["missing_columns"]][:3]  # once each, not per deal
    ['coach', 'contract_risk_reviewed', 'deal_team_assigned']
    """
    check_columns(snapshot, model)
    evidence = EvidenceCodes(snapshot)
    amount = snapshot["amount"].to_numpy(dtype=np.float64, na_value=0.0)
    all_rows: list[np.ndarray] = []
    out: dict[str, list[np.ndarray]] = {name: [] for name in GAP_COLUMNS}
    missing_columns: list[MissingColumn] = []
    for stage_model, group in model_groups(snapshot, model):
        position = open_positions(snapshot, group, stage_model)
        rows = group[position >= 0]
        fields = model_fields(stage_model)
        computed = _model_gaps(
            stage_model,
            position[position >= 0],
            fields,
            {f: evidence(f)[0][rows] for f in fields},
            {f: evidence(f)[1][rows] for f in fields},
            amount[rows],
        )
        all_rows.append(rows)
        for name, values in computed.items():
            out[name].append(values)
        missing_columns += columns_missing(snapshot, evidence, stage_model, rows, fields)
    rows = np.concatenate(all_rows) if all_rows else np.array([], dtype=np.int64)
    result = assemble(snapshot, rows, out, GAP_COLUMNS)
    result = result.astype(
        {
            "claimed_index": "int64",
            "evidence_index": "int64",
            "stages_inflated": "int64",
            "inflated": "bool",
            "inflated_amount": "float64",
            "evidence_checked": "bool",
        }
    )
    result.attrs["missing_columns"] = tuple(sorted(missing_columns))
    return result


def _model_gaps(
    stage_model: StageModel,
    position: np.ndarray,
    fields: list[str],
    met: dict[str, np.ndarray],
    known: dict[str, np.ndarray],
    amount: np.ndarray,
) -> dict[str, np.ndarray]:
    """:data:`GAP_COLUMNS` of the open deals of one model, claimed at the 0-based open
    stage ``position``; ``met`` and ``known`` (the data records the field) per field."""
    stages = stage_model.open_stages
    evidenced, possible = _evidence_depth(stage_model, met, known, len(position))
    gap_code, unknown_code, path_unknown, next_actions = _gap_codes(
        stage_model, position, fields, met, known
    )
    keys = np.array([s.key for s in stages], dtype=object)
    inflated = position > possible
    return {
        "stage_model": np.full(len(position), stage_model.name, dtype=object),
        "claimed_stage": keys[position],
        "claimed_index": position + 1,
        "evidence_stage": keys[evidenced],
        "evidence_index": evidenced + 1,
        "stages_inflated": np.maximum(position - possible, 0),
        "inflated": inflated,
        "inflated_amount": np.where(inflated, amount, 0.0),
        "missing": field_tuples(gap_code, fields),
        "next_actions": next_actions,
        "evidence_checked": ~path_unknown,
        "unchecked": field_tuples(unknown_code, fields),
    }


def _evidence_depth(
    stage_model: StageModel, met: dict[str, np.ndarray], known: dict[str, np.ndarray], n: int
) -> tuple[np.ndarray, np.ndarray]:
    """How many stages, in order from the first, have every criterion recorded and met
    (the 0-based evidence stage); and the same with the criteria the data does not record
    given the benefit of the doubt (only a recorded gap shows inflation)."""
    evidenced = np.zeros(n, dtype=np.int64)
    possible = np.zeros(n, dtype=np.int64)
    still = np.ones(n, dtype=bool)
    maybe = np.ones(n, dtype=bool)
    for stage in stage_model.open_stages[:-1]:
        for criterion in stage.exit_criteria:
            still &= met[criterion.field]
            maybe &= met[criterion.field] | ~known[criterion.field]
        evidenced += still
        possible += maybe
    return evidenced, possible


def _gap_codes(
    stage_model: StageModel,
    position: np.ndarray,
    fields: list[str],
    met: dict[str, np.ndarray],
    known: dict[str, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Bit codes of the missing and the unchecked fields (bit k = fields[k]), whether a
    criterion before the claimed stage is not recorded, and the next actions (tuples)."""
    n = len(position)
    gap_code = np.zeros(n, dtype=np.int64)
    unknown_code = np.zeros(n, dtype=np.int64)
    path_unknown = np.zeros(n, dtype=bool)
    next_actions = np.empty(n, dtype=object)
    for index, stage in enumerate(stage_model.open_stages):
        own = list(dict.fromkeys(c.field for c in stage.exit_criteria))
        here = position == index
        next_code = np.zeros(int(here.sum()), dtype=np.int64)  # bit k = own[k]
        for k, field in enumerate(own):
            bit = np.int64(1) << fields.index(field)
            gap_code |= np.where(~met[field] & known[field] & (position > index), bit, 0)
            unknown_code |= np.where(~known[field] & (position >= index), bit, 0)
            path_unknown |= ~known[field] & (position > index)
            next_code |= np.where(~met[field][here] & known[field][here], np.int64(1) << k, 0)
        next_actions[here] = field_tuples(next_code, own)
    return gap_code, unknown_code, path_unknown, next_actions


def missing_evidence_columns(
    snapshot: pd.DataFrame, model: ModelArg = None
) -> tuple[MissingColumn, ...]:
    """The evidence columns open deals' criteria need but the snapshot does not hold.

    Same as ``process_gaps(snapshot, model).attrs["missing_columns"]``: one entry per
    team, model and field, never one per deal.

    >>> snap = pd.DataFrame({"team": ["A", "B"], "owner": "x", "deal_id": ["1", "2"],
    ...     "stage": "needs_confirmed", "stage_model": "generic_4", "amount": 1.0,
    ...     "budget_confirmed": pd.array([True, None], dtype="boolean"),
    ...     "decision_maker": ["Ma", "Li"], "need_confirmed": True,
    ...     "timeline_confirmed": True, "solution_presented": True, "quote_sent": True,
    ...     "contract_risk_reviewed": True, "verbal_commitment": True,
    ...     "relationship_mapped": True})
    >>> for m in missing_evidence_columns(snap):
    ...     print(m.describe())
    A (generic_4): column 'competitor' not in the snapshot; 1 open deal(s) not checked on it
    B (generic_4): column 'budget_confirmed' not in the team's export; 1 open deal(s) not checked on it
    B (generic_4): column 'competitor' not in the snapshot; 1 open deal(s) not checked on it
    """
    result: tuple[MissingColumn, ...] = process_gaps(snapshot, model).attrs["missing_columns"]
    return result
