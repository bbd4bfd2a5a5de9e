"""The pipeline waterfall of a period: last week's open pipeline to this week's, step by step.

A period's pipeline is the open deals whose close date falls in the period (e.g. this
quarter). Every deal of the movements table is in last week's pipeline (``opening``) or
not, and in this week's (``closing``) or not; its whole change is attributed to exactly
one step, so ``opening + steps = closing`` holds exactly (amounts are summed in integer
cents, ``cents``; ``amount`` is the same figure in currency units, for display):

=============  =======  =================================================================
step           sign     the deal ...
=============  =======  =================================================================
opening        start    was open last week with its close date in the period
new            \\+       is new this week, open, closing in the period
reopened       \\+       was closed last week, is open now and closes in the period
increased      \\+       is in both pipelines with a higher amount (the difference)
decreased      \\-       is in both pipelines with a lower amount (the difference)
pulled_in      \\+       open both weeks, close date moved from after the period into it
pushed_in      \\+       open both weeks, close date moved from before the period into it
pushed_out     \\-       open both weeks, close date moved from the period to after it
pulled_out     \\-       open both weeks, close date moved from the period to before it
won            \\-       was in the pipeline and is won now
lost           \\-       was in the pipeline and is lost now
dropped        \\-       was in the pipeline and has vanished from the export
removed        \\-       was in the pipeline and was deleted or merged in the CRM
closing        end      is open this week with its close date in the period
=============  =======  =================================================================

**A team's waterfall** (``team=``, over the movements of every team) adds two steps, so
a reorganisation is never a team's new, dropped, won or lost deal: ``moved_in`` (an inflow: a
deal that joined the team this week, at this week's amount, when it is in this week's
pipeline) and ``moved_out`` (an outflow: a deal that left the team, at last week's amount, when
it was in last week's pipeline). The team's opening is then its own pipeline of last
week and its closing its own of this week, and ``opening + steps = closing`` still holds
to the cent (:data:`TEAM_STEPS`).

**A deal that changes amount and moves into or out of the period is counted once, at
the amount on the pipeline side**: entering, at this week's amount (in ``new``,
``reopened``, ``pulled_in`` or ``pushed_in``); leaving, at last week's amount (in
``pushed_out``, ``pulled_out``, ``won``, ``lost`` or ``dropped``). ``increased`` and
``decreased`` only hold deals in both pipelines. A won deal thus leaves at its pipeline
amount, whatever amount it was won at.

>>> from pipereview.history._movements import deal_movements
>>> day = pd.Timestamp("2026-11-30")
>>> prev = pd.DataFrame({"deal_id": ["D1", "D2"], "deal_name": ["MES", "ERP"],
...     "account": ["Acme Inc.", "Beta LLC"], "team": "North", "owner": "Ann",
...     "stage": "negotiation", "stage_model": "generic_4",
...     "amount": [100.0, 50.25], "currency": "USD", "close_date": [day, day]})
>>> curr = prev.assign(amount=[120.0, 50.25], close_date=[day, day + pd.Timedelta(days=40)])
>>> w = waterfall(deal_movements(prev, curr), "2026-Q4")
>>> w[w["deals"] > 0][["step", "kind", "deals", "cents", "amount"]]
          step     kind  deals  cents  amount
0      opening    start      2  15025  150.25
3    increased   inflow      1   2000   20.00
7   pushed_out  outflow      1  -5025  -50.25
13     closing      end      1  12000  120.00
>>> int(w["cents"].iloc[:-1].sum()) == int(w["cents"].iloc[-1])
True
"""

from __future__ import annotations

import datetime
import re

import numpy as np
import pandas as pd

from pipereview.core._errors import InputError
from pipereview.history._movements import to_cents

__all__ = ["STEPS", "TEAM_STEPS", "period_bounds", "waterfall", "waterfall_deals"]

#: Waterfall steps in display order: start, inflows, outflows, end.
STEPS: tuple[str, ...] = (
    "opening",
    "new",
    "reopened",
    "increased",
    "decreased",
    "pulled_in",
    "pushed_in",
    "pushed_out",
    "pulled_out",
    "won",
    "lost",
    "dropped",
    "removed",
    "closing",
)
#: A team's waterfall steps (``waterfall(..., team=...)``): :data:`STEPS` with the deals
#: that joined the team (``moved_in``) and left it (``moved_out``) in a reorganisation.
TEAM_STEPS: tuple[str, ...] = (*STEPS[:3], "moved_in", *STEPS[3:-1], "moved_out", STEPS[-1])
_KIND = {
    "moved_out": "outflow",
    "opening": "start",
    "closing": "end",
    "decreased": "outflow",
    "pushed_out": "outflow",
    "pulled_out": "outflow",
    "won": "outflow",
    "lost": "outflow",
    "dropped": "outflow",
    "removed": "outflow",
}
_QUARTER_RE = re.compile(r"(\d{4})-?Q([1-4])", re.IGNORECASE)
_MONTH_RE = re.compile(r"(\d{4})-(\d{2})")
_DateLike = str | datetime.date | pd.Timestamp


def period_bounds(period: str | tuple[_DateLike, _DateLike]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of a period: ``"2026-Q4"``, ``"2026-11"``, ``"2026"`` or a
    ``(first, last)`` pair of dates (both included).

    >>> [str(d.date()) for d in period_bounds("2026-Q4")]
    ['2026-10-01', '2026-12-31']
    >>> [str(d.date()) for d in period_bounds(("2026-11-16", "2026-11-22"))]
    ['2026-11-16', '2026-11-22']
    """
    if isinstance(period, tuple):
        first, last = (pd.Timestamp(p).normalize() for p in period)
    elif (q := _QUARTER_RE.fullmatch(period.strip())) is not None:
        first = pd.Timestamp(int(q.group(1)), 3 * int(q.group(2)) - 2, 1)
        last = first + pd.offsets.QuarterEnd(0)
    elif (m := _MONTH_RE.fullmatch(period.strip())) is not None and 1 <= int(m.group(2)) <= 12:
        first = pd.Timestamp(int(m.group(1)), int(m.group(2)), 1)
        last = first + pd.offsets.MonthEnd(0)
    elif re.fullmatch(r"\d{4}", period.strip()):
        first, last = pd.Timestamp(int(period), 1, 1), pd.Timestamp(int(period), 12, 31)
    else:
        raise InputError(
            f"{period!r} is not a period: write 2026-Q4, 2026-11, 2026 or a "
            "(first, last) pair of dates",
            hint="write the period as 2026-Q4, 2026-11, 2026 or a (first, last) pair of dates",
        )
    if last < first:
        raise InputError(
            f"period ends ({last.date()}) before it starts ({first.date()})",
            hint="give the first date before the last",
        )
    return first, last


def waterfall_deals(
    movements: pd.DataFrame,
    period: str | tuple[_DateLike, _DateLike],
    *,
    team: str | None = None,
) -> pd.DataFrame:
    """The deals of :func:`waterfall`, each with its ``step`` (``"unchanged"`` for deals in
    both pipelines at the same amount), ``in_opening``, ``in_closing``, ``opening_cents``,
    ``closing_cents`` and ``change_cents`` (closing - opening). Only deals in either pipeline are kept, in
    ``movements`` order; ``movements`` is not modified. With ``team``, only that team's
    pipelines: a deal that left it is in its opening only (``moved_out``), a deal that
    joined it in its closing only (``moved_in``).
    """
    if team is not None:
        movements = movements[
            (movements["team"] == team).fillna(False)
            | (movements["team_from"] == team).fillna(False)
        ]
    joined = left = np.zeros(len(movements), dtype=bool)
    if team is not None:
        moved = movements["team_changed"].fillna(False).to_numpy(dtype=bool)
        joined = moved & (movements["team"] == team).fillna(False).to_numpy(dtype=bool)
        left = moved & (movements["team_from"] == team).fillna(False).to_numpy(dtype=bool)
    first, last = period_bounds(period)
    end = last + pd.Timedelta(days=1)
    frm, to = movements["close_date_from"], movements["close_date_to"]
    open_a = (movements["state_from"] == "open").to_numpy(dtype=bool)
    open_b = (movements["state_to"] == "open").to_numpy(dtype=bool)
    before_a, after_a = _flag(frm < first), _flag(frm >= end)
    before_b, after_b = _flag(to < first), _flag(to >= end)
    in_a = open_a & ~before_a & ~after_a & frm.notna().to_numpy() & ~joined
    in_b = open_b & ~before_b & ~after_b & to.notna().to_numpy() & ~left
    cents_a = np.where(in_a, to_cents(movements["amount_from"]), 0)
    cents_b = np.where(in_b, to_cents(movements["amount_to"]), 0)
    state_a, state_b = movements["state_from"].to_numpy(), movements["state_to"].to_numpy()
    gone = (movements["category"] == "removed").to_numpy(dtype=bool)  # deleted, merged
    conditions = [
        joined & in_b,
        left & in_a,
        in_a & in_b & (cents_b > cents_a),
        in_a & in_b & (cents_b < cents_a),
        in_a & in_b,
        ~in_a & in_b & (state_a == "absent"),
        ~in_a & in_b & (state_a != "open"),
        ~in_a & in_b & after_a,
        ~in_a & in_b,  # open last week outside the period
        in_a & (state_b == "won"),
        in_a & (state_b == "lost"),
        in_a & (state_b == "absent") & gone,
        in_a & (state_b == "absent"),
        in_a & after_b,
        in_a,  # open now outside the period (before it)
    ]
    steps = [
        "moved_in",
        "moved_out",
        "increased",
        "decreased",
        "unchanged",
        "new",
        "reopened",
        "pulled_in",
        "pushed_in",
        "won",
        "lost",
        "removed",
        "dropped",
        "pushed_out",
        "pulled_out",
    ]
    keep = in_a | in_b
    out: pd.DataFrame = movements.loc[keep].copy()
    out["step"] = pd.array(np.select(conditions, steps, "")[keep], dtype="str")
    out["in_opening"], out["in_closing"] = in_a[keep], in_b[keep]
    out["opening_cents"] = cents_a[keep]
    out["closing_cents"] = cents_b[keep]
    out["change_cents"] = cents_b[keep] - cents_a[keep]
    return out


def waterfall(
    movements: pd.DataFrame,
    period: str | tuple[_DateLike, _DateLike],
    *,
    team: str | None = None,
) -> pd.DataFrame:
    """The period's waterfall: one row per step of :data:`STEPS` (of :data:`TEAM_STEPS`
    with ``team``), with ``kind`` (start, inflow, outflow, end), ``deals``, ``cents``
    (int64; outflows negative), ``amount`` (``cents / 100``) and ``currency``.
    ``opening`` plus every inflow and outflow equals ``closing``, to the cent.

    The movements must be in one currency (filter by team or currency first). Without
    ``team``, a deal that moved team counts as one of the movements' deals (see
    ``team_changed``); with ``team`` (movements of every team), the team's own pipelines
    are compared and a deal that moved is ``moved_in`` or ``moved_out``, never new or
    dropped.
    """
    deals = waterfall_deals(movements, period, team=team)
    names = list(STEPS if team is None else TEAM_STEPS)
    codes = deals["currency"].astype("object")  # all missing may arrive as float64
    currencies = sorted(set(codes.where(codes.notna(), "").astype(str)))
    if len(currencies) > 1:
        raise InputError(
            f"the movements mix currencies {currencies}; a waterfall adds amounts",
            expected="deals in one currency",
            hint="pass one currency's deals, e.g. filter the movements by team",
        )
    flows = deals.groupby("step")["change_cents"].agg(["size", "sum"])
    flows = flows.reindex(names, fill_value=0)
    flows.loc["opening"] = (deals["in_opening"].sum(), deals["opening_cents"].sum())
    flows.loc["closing"] = (deals["in_closing"].sum(), deals["closing_cents"].sum())
    out = pd.DataFrame(
        {
            "step": names,
            "kind": [_KIND.get(s, "inflow") for s in names],
            "deals": flows["size"].to_numpy(dtype=np.int64),
            "cents": flows["sum"].to_numpy(dtype=np.int64),
        }
    )
    out["amount"] = out["cents"] / 100.0
    out["currency"] = currencies[0] if currencies else ""
    return out


def _flag(values: pd.Series) -> np.ndarray:
    return values.fillna(False).to_numpy(dtype=bool)
