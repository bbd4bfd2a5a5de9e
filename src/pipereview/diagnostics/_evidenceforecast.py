"""The evidence-weighted forecast: the weighted pipeline again, each open deal weighted at
the stage its evidence supports instead of the stage the CRM claims
(docs/forecast.md, "Weighted by the evidence").

Matching every deal to its process (:func:`~pipereview.diagnostics._process.process_gaps`)
exists to make the forecast honest. A deal claimed in stage c whose recorded evidence
supports only stage e < c (an *inflated* deal) is weighted at most at stage e's
probability in its stage model: ``min(probability used, probability of the evidence
stage)``, so a rep's own lower probability is kept and a higher one is not taken on
trust. Every other deal keeps its weight. A deal whose claim could not be checked in
full (an evidence column the export does not record) also keeps its weight: the
evidence-weighted figure is then an upper bound of what complete evidence would give,
and says how many deals that concerns.

>>> day = pd.Timestamp("2026-12-18")
>>> snap = pd.DataFrame({"team": "North", "owner": "Ann", "deal_id": ["D1", "D2"],
...     "deal_name": ["MES", "ERP"], "stage": ["negotiation", "needs_confirmed"],
...     "stage_model": "generic_4", "amount": [1000.0, 500.0], "currency": "EUR",
...     "close_date": day, "probability": [None, None],
...     "budget_confirmed": True, "decision_maker": "Wang", "need_confirmed": True,
...     "timeline_confirmed": [False, True], "solution_presented": False,
...     "quote_sent": False, "competitor": None, "contract_risk_reviewed": False,
...     "verbal_commitment": False})
>>> deals = evidence_weighted(snap)
>>> deals[["deal_id", "evidence_stage", "probability_used", "probability_evidence",
...        "change"]]
  deal_id   evidence_stage  probability_used  probability_evidence  change
0      D1  needs_confirmed              0.75                  0.25  -500.0
1      D2   solution_quote              0.25                  0.25     0.0
>>> totals = evidence_totals(deals)
>>> totals["weighted"], totals["weighted_evidence"], totals["lowered"]
(875.0, 375.0, 1)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pipereview.diagnostics._forecast import weighted_pipeline
from pipereview.diagnostics._labels import ModelArg
from pipereview.diagnostics._process import process_gaps
from pipereview.ingest._schema import stage_facts

__all__ = ["EVIDENCE_FORECAST_COLUMNS", "evidence_totals", "evidence_weighted"]

#: Columns :func:`evidence_weighted` adds to the weighted pipeline's.
EVIDENCE_FORECAST_COLUMNS: tuple[str, ...] = (
    "evidence_stage",
    "stages_inflated",
    "evidence_checked",
    "probability_evidence",
    "weighted_evidence",
    "change",
)


def evidence_weighted(
    snapshot: pd.DataFrame, *, period: str | None = None, model: ModelArg = None
) -> pd.DataFrame:
    """The open deals of ``snapshot`` (those due in ``period`` when given) as
    :func:`~pipereview.diagnostics._forecast.weighted_pipeline` weighs them, with
    :data:`EVIDENCE_FORECAST_COLUMNS`: the evidence stage and how many stages the claim
    is above it, whether the claim could be checked in full, ``probability_evidence``
    (``min(probability_used, the evidence stage's probability)`` for an inflated deal,
    else ``probability_used``), ``weighted_evidence`` (amount x that) and ``change``
    (weighted_evidence - weighted: 0 or below). ``model`` as in
    :func:`~pipereview.diagnostics._process.process_gaps`. Rows in the weighted
    pipeline's order; the export's missing evidence columns in
    ``result.attrs["missing_columns"]``.
    """
    deals = weighted_pipeline(snapshot, period=period)
    keys = [c for c in ("team", "deal_id") if c in deals.columns]
    gaps = process_gaps(deals, model)
    columns = ["evidence_stage", "stages_inflated", "evidence_checked"]
    merged = deals.merge(gaps[[*keys, *columns]], on=keys, how="left", validate="one_to_one")
    inflated = merged["stages_inflated"].fillna(0).astype("int64") > 0
    claimed_as_evidence = merged.assign(
        stage=merged["evidence_stage"].where(inflated, merged["stage"]).astype("str")
    )
    evidence_probability = stage_facts(claimed_as_evidence)["model_probability"].to_numpy()
    used = merged["probability_used"].to_numpy(dtype=np.float64)
    lowered = np.where(inflated, np.fmin(used, evidence_probability), used)
    merged["stages_inflated"] = merged["stages_inflated"].fillna(0).astype("int64")
    merged["evidence_checked"] = merged["evidence_checked"].fillna(True).astype("bool")
    merged["probability_evidence"] = lowered
    merged["weighted_evidence"] = merged["amount"] * merged["probability_evidence"]
    merged["change"] = merged["weighted_evidence"] - merged["weighted"]
    merged.attrs["missing_columns"] = gaps.attrs.get("missing_columns", ())
    return merged


def evidence_totals(deals: pd.DataFrame) -> dict[str, Any]:
    """The totals of :func:`evidence_weighted`'s ``deals``: ``weighted`` (the claimed
    stages), ``weighted_evidence``, ``change`` (their difference, 0 or below),
    ``lowered`` (deals weighted lower), ``unchecked`` (deals whose claim could not be
    checked in full: the evidence-weighted figure is then at most what complete evidence
    would give) and ``missing_columns`` (the evidence columns the export lacks)."""
    weighted = float(deals["weighted"].sum()) if len(deals) else 0.0
    evidence = float(deals["weighted_evidence"].sum()) if len(deals) else 0.0
    return {
        "weighted": weighted,
        "weighted_evidence": evidence,
        "change": evidence - weighted,
        "lowered": int((deals["change"] < 0).sum()) if len(deals) else 0,
        "unchecked": int((~deals["evidence_checked"]).sum()) if len(deals) else 0,
        "missing_columns": tuple(sorted({m.field for m in deals.attrs.get("missing_columns", ())})),
    }
