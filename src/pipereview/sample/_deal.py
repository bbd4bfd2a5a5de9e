"""One simulated deal, and how a week's export shows the deals: a canonical frame.

>>> CLOSED_DAYS_KEPT, incidental_evidence(np.array([0.0, 1.0])).round(2).tolist()
(90, [0.15, 0.85])
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipereview.core._stages import EVIDENCE_FIELDS, EVIDENCE_TEXT_FIELDS
from pipereview.core._weeks import Week
from pipereview.sample._dates import DAY, Date
from pipereview.sample._process import Process, forecast

__all__ = ["CLOSED_DAYS_KEPT", "Deal", "incidental_evidence", "week_frame"]

CLOSED_DAYS_KEPT = 90  # "open + recently closed" reports keep closed deals this long


def incidental_evidence(progress: np.ndarray) -> np.ndarray:
    """Chance that evidence no stage asks for is there: higher the further a deal got."""
    chance: np.ndarray = 0.15 + 0.7 * progress
    return chance


@dataclass
class Deal:
    """One simulated deal: what the CRM shows and what the simulation knows about it."""

    seq: int
    deal_id: str
    name: str
    account: str
    owner: str
    created: Date
    minute: int  # time of day the deal was created, minutes after midnight
    stage: int  # index of the open stage (for closed deals: the last one reached)
    amount: float
    close_date: Date
    last_activity: Date
    next_step: str
    u: np.ndarray  # one uniform per evidence field (EVIDENCE_FIELDS order)
    texts: dict[str, str]
    pusher: bool
    stale_close: bool
    sloppy: bool
    amount_style: int
    date_style: int
    met: set[str] = field(default_factory=set)
    skipped: set[str] = field(default_factory=set)
    outcome: str | None = None
    closed_on: Date | None = None
    stalled: bool = False
    push_weeks: list[str] = field(default_factory=list)
    loss_reason: str = ""  # what the rep typed when the deal was lost
    product_line: str = ""  # the two-year sample only (``_history``)


def week_frame(
    deals: Iterable[Deal], week: Week, team: str, currency: str, p: Process
) -> pd.DataFrame:
    """The canonical frame of ``week``'s export: the open deals created by its Friday and
    those closed in the last :data:`CLOSED_DAYS_KEPT` days, with helper columns (``_``)."""
    friday = week.friday
    keep_from = friday - CLOSED_DAYS_KEPT * DAY
    rows = [
        d
        for d in deals
        if d.created <= friday
        and (d.outcome is None or (d.closed_on is not None and d.closed_on >= keep_from))
    ]
    closed_key = {"won": p.won, "lost": p.lost}
    stage = [closed_key[d.outcome] if d.outcome else p.keys[d.stage] for d in rows]
    prob = [
        1.0 if d.outcome == "won" else 0.0 if d.outcome else p.probability[d.stage] for d in rows
    ]
    frame = pd.DataFrame(
        {
            "deal_id": [d.deal_id for d in rows],
            "deal_name": [d.name for d in rows],
            "account": [d.account for d in rows],
            "team": team,
            "owner": [d.owner for d in rows],
            "stage": stage,
            "amount": np.array([d.amount for d in rows], dtype="float64"),
            "currency": currency,
            "close_date": np.array([d.close_date for d in rows], dtype="M8[D]").astype("M8[m]"),
            "created_date": np.array(
                [np.datetime64(d.created, "m") + np.timedelta64(d.minute, "m") for d in rows],
                dtype="M8[m]",
            ),
            "last_activity_date": np.array(
                [
                    np.datetime64(d.last_activity, "m")
                    + np.timedelta64((d.minute * 7 + d.last_activity.toordinal()) % 600 + 480, "m")
                    for d in rows
                ],
                dtype="M8[m]",
            ),
            "next_step": [d.next_step for d in rows],
            "loss_reason": [d.loss_reason for d in rows],
            "probability": np.array(prob, dtype="float64"),
            "_amount_style": np.array([d.amount_style for d in rows], dtype="int64"),
            "_date_style": np.array([d.date_style for d in rows], dtype="int64"),
            "_seq": np.array([d.seq for d in rows], dtype="int64"),
            "_open_stage": [p.keys[d.stage] for d in rows],
        }
    )
    frame["forecast_category"] = forecast(frame["stage"], frame["probability"], p)
    progress = np.array(
        [1.0 if d.outcome == "won" else d.stage / max(len(p.keys) - 1, 1) for d in rows]
    )
    crit = p.criteria_fields
    for j, f in enumerate(EVIDENCE_FIELDS):
        if f in crit:
            met = np.array([f in d.met and f not in d.skipped for d in rows], dtype=bool)
        else:
            met = np.array([d.u[j] for d in rows]) < incidental_evidence(progress)
        if f in EVIDENCE_TEXT_FIELDS:
            frame[f] = np.where(met, [d.texts[f] for d in rows], "")
        else:
            frame[f] = met
    return frame
