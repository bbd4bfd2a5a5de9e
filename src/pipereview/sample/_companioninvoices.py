"""A sample team's invoices and payments: the deals it won, and two years of earlier
invoices to the same accounts (the customer lifecycle).

Each account of the team gets a course: ``growing`` (more and larger invoices quarter by
quarter), ``steady``, ``declining`` (fewer and smaller, then none) or ``new`` (nothing
before the sample's won deals). Invoices are due 30 days after they are issued. Most are
paid on time, some late (never more than 25 days), some in part; an invoice unpaid at the
as-of day (the Sunday ending the last week, the moment the review's figures stand at) is
less than 30 days overdue, except the one planted in ``huadong``: 45 days overdue with 70%
still owed.

>>> import datetime
>>> _due(datetime.date(2026, 11, 2))
datetime.date(2026, 12, 2)
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from pipereview.core._weeks import Week
from pipereview.sample._companionworld import TeamDeals

__all__ = [
    "OVERDUE_DAYS",
    "OVERDUE_TEAM",
    "PAYMENT_TERM_DAYS",
    "make_invoices",
]

#: Days from an invoice to its due date.
PAYMENT_TERM_DAYS = 30
#: The planted overdue invoice: its team and how many days overdue it is at the as-of Friday.
OVERDUE_TEAM = "huadong"
OVERDUE_DAYS = 45
_OVERDUE_PAID_SHARE = 0.3  # the down payment received on it
_MAX_LATE_DAYS = 25  # a late payment comes at most this many days after the due date
_QUARTERS = 8  # two years of earlier invoices
_COURSES = ("growing", "steady", "declining", "new")
_COURSE_SHARES = (0.35, 0.35, 0.15, 0.15)
_DAY = datetime.timedelta(days=1)


def _due(invoiced: datetime.date) -> datetime.date:
    return invoiced + PAYMENT_TERM_DAYS * _DAY


def make_invoices(team: TeamDeals, rng: np.random.Generator) -> pd.DataFrame:
    """Every invoice of the team: ``number`` (its order), ``account``, ``deal_id`` (the
    won deal, or None for earlier business), ``invoice_date``, ``due_date``, ``amount``,
    ``paid_amount``, ``paid_date`` (the last payment, or None), ``owner``, ``course``;
    sorted by invoice date."""
    as_of = team.as_of + 2 * _DAY  # the Sunday after the export's Friday: the review's as-of day
    deals = team.deals
    won = deals[deals["stage"] == team.won_stage]
    owners = deals.groupby("account")["owner"].agg(lambda s: s.value_counts().index[0])
    accounts = sorted(deals["account"].dropna().unique())
    won_accounts = set(won["account"].dropna())
    courses = {}
    for account in accounts:
        if account in won_accounts:
            courses[account] = _COURSES[int(rng.choice(len(_COURSES), p=_COURSE_SHARES))]
        elif rng.random() < 0.4:
            courses[account] = "declining" if rng.random() < 0.6 else "steady"
    rows = _earlier(team, rng, courses, {str(a): str(o) for a, o in owners.items()})
    for deal_id, deal in won.sort_values("close_date", kind="stable").iterrows():
        closed = pd.Timestamp(deal["close_date"]).date()
        invoiced = closed + int(rng.integers(2, 13)) * _DAY
        if invoiced > as_of:
            continue  # not invoiced yet
        paid, paid_on = _recent_payment(as_of, invoiced, float(deal["amount"]), rng)
        rows.append(
            {
                "account": deal["account"],
                "deal_id": str(deal_id),
                "invoice_date": invoiced,
                "due_date": _due(invoiced),
                "amount": float(deal["amount"]),
                "paid_amount": paid,
                "paid_date": paid_on,
                "owner": deal["owner"],
                "course": courses.get(deal["account"], "new"),
            }
        )
    frame = pd.DataFrame(rows).sort_values(["invoice_date", "account"], kind="stable")
    frame = frame.reset_index(drop=True)
    if team.spec.slug == OVERDUE_TEAM:
        _plant_overdue(frame, as_of)
        frame = frame.sort_values(["invoice_date", "account"], kind="stable", ignore_index=True)
    frame["number"] = np.arange(1, len(frame) + 1)
    return frame


def _earlier(
    team: TeamDeals,
    rng: np.random.Generator,
    courses: dict[str, str],
    owners: dict[str, str],
) -> list[dict[str, object]]:
    """Invoices of the two years before the sample's first week, by each account's course."""
    first = Week.parse(team.weeks[0]).monday
    start = team.as_of - 730 * _DAY
    base = float(team.deals["amount"].median()) * 0.5
    step = 1000.0 if team.spec.currency == "CNY" else 100.0
    rows: list[dict[str, object]] = []
    for account, course in courses.items():
        for q in range(_QUARTERS):
            factor, chance = {
                "growing": (0.3 + 0.15 * q, 0.3 + 0.08 * q),
                "steady": (0.8, 0.7),
                "declining": (max(1.3 - 0.2 * q, 0.15), max(0.9 - 0.12 * q, 0.0)),
                "new": (0.0, 0.0),
            }[course]
            if rng.random() >= chance:
                continue
            invoiced = start + (91 * q + int(rng.integers(0, 85))) * _DAY
            invoiced -= max(invoiced.weekday() - 4, 0) * _DAY
            if invoiced >= first:
                continue
            amount = max(round(base * factor * float(rng.lognormal(0, 0.3)) / step), 1) * step
            late = rng.random() < 0.15
            paid_on = (
                _due(invoiced) + int(rng.integers(1, _MAX_LATE_DAYS + 1)) * _DAY
                if late
                else invoiced + int(rng.integers(7, PAYMENT_TERM_DAYS + 1)) * _DAY
            )
            rows.append(
                {
                    "account": account,
                    "deal_id": None,
                    "invoice_date": invoiced,
                    "due_date": _due(invoiced),
                    "amount": amount,
                    "paid_amount": amount,
                    "paid_date": paid_on,
                    "owner": owners.get(account),
                    "course": course,
                }
            )
    return rows


def _recent_payment(
    as_of: datetime.date, invoiced: datetime.date, amount: float, rng: np.random.Generator
) -> tuple[float, datetime.date | None]:
    """What has been paid on an invoice of the sample's weeks by the as-of Friday, and
    when: an invoice 30 or more days overdue is paid; a younger one may be paid on time,
    late, in part or not yet."""
    due = _due(invoiced)
    draw = rng.random()
    on_time = invoiced + int(rng.integers(7, PAYMENT_TERM_DAYS + 1)) * _DAY
    if (as_of - due).days >= 30:  # long due: paid, most on time, some late
        if draw < 0.8:
            return amount, on_time
        return amount, due + int(rng.integers(1, _MAX_LATE_DAYS + 1)) * _DAY
    if due < as_of:  # overdue by less than 30 days
        if draw < 0.6:
            return amount, on_time
        if draw < 0.75:
            return amount, due + int(rng.integers(1, (as_of - due).days + 1)) * _DAY
        if draw < 0.9:
            part = round(amount * float(rng.uniform(0.3, 0.7)), -2)
            return part, min(on_time, as_of)
        return 0.0, None
    if draw < 0.3 and on_time <= as_of:  # not due yet: some paid already, some in part
        return amount, on_time
    if draw < 0.4:
        part = round(amount * float(rng.uniform(0.3, 0.7)), -2)
        return part, invoiced + int(rng.integers(1, max((as_of - invoiced).days, 1) + 1)) * _DAY
    return 0.0, None


def _plant_overdue(frame: pd.DataFrame, as_of: datetime.date) -> None:
    """Make one invoice ``OVERDUE_DAYS`` days overdue at ``as_of``, with 70% still owed:
    the earliest won deal's invoice that could have been issued by then, else the latest
    earlier invoice."""
    issued = as_of - (OVERDUE_DAYS + PAYMENT_TERM_DAYS) * _DAY
    won = frame[frame["deal_id"].notna() & (frame["invoice_date"] <= issued)]
    earlier = frame[frame["deal_id"].isna()]
    index = won.index[0] if len(won) else earlier.index[-1]
    amount = float(str(frame.at[index, "amount"]))
    frame.at[index, "invoice_date"] = issued
    frame.at[index, "due_date"] = _due(issued)
    frame.at[index, "paid_amount"] = round(amount * _OVERDUE_PAID_SHARE, -2)
    frame.at[index, "paid_date"] = issued + 10 * _DAY
