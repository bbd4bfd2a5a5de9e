"""The sample README's section on the companion exports: what each file holds and where
the planted problems are, with the figures the files give.

>>> with_section("# Sample\\n\\n## Teams\\n", ["## Companion exports", "", "Text."])
'# Sample\\n\\n## Teams\\n\\n## Companion exports\\n\\nText.\\n'
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

import pandas as pd

from pipereview.core._weeks import Week
from pipereview.sample._companioninvoices import OVERDUE_DAYS, OVERDUE_TEAM, PAYMENT_TERM_DAYS
from pipereview.sample._companionworld import (
    ACTIVITY_WINDOW_WEEKS,
    HIGH_ACTIVITY_TEAM,
    LOW_CONVERSION_SOURCE,
    LOW_CONVERSION_TEAM,
    OPEN_LEAD_DAYS,
    TeamDeals,
)

__all__ = ["SECTION_TITLE", "companion_readme", "with_section"]

#: The heading of the section (a second run replaces the section under it).
SECTION_TITLE = "## Companion exports (activities, leads, invoices)"
_LEAD_WINDOW_WEEKS = 13


def with_section(text: str, lines: Sequence[str]) -> str:
    """``text`` with the section ``lines`` (its heading first) appended, or put in place
    of an earlier section under the same heading (up to the next ``## `` heading)."""
    head = lines[0]
    body = text.rstrip("\n").split("\n")
    if head in body:
        start = body.index(head)
        end = next((i for i in range(start + 1, len(body)) if body[i].startswith("## ")), len(body))
        body = body[:start] + list(lines) + (["", *body[end:]] if end < len(body) else [])
    else:
        body = [*body, "", *lines]
    return "\n".join(body).rstrip("\n") + "\n"


def companion_readme(facts: Sequence[tuple[TeamDeals, dict[str, pd.DataFrame]]]) -> list[str]:
    """The section's lines, from each team's deals and companion rows."""
    last = facts[0][0].weeks[-1]
    lines = [
        SECTION_TITLE,
        "",
        f"`companions/{last}/<slug>-activities|leads|invoices.<ext>`, written by "
        "`pipereview.sample.write_companion_exports` from the deals of the weekly exports, "
        "in each team's conventions (encoding, dates, amounts; `.xlsx` for `dach`):",
        "",
        "| file | what |",
        "|---|---|",
        "| `<slug>-activities` | every rep's activities of the twelve weeks (visits, "
        "meetings, calls, emails, tasks): date, rep, the deal (an open deal of the rep that "
        "week) or only the account |",
        "| `<slug>-leads` | leads created in the last two quarters: created, source, owner, "
        "status; converted leads name the deal they became (created 3 to 20 days after the "
        f"lead); leads older than {OPEN_LEAD_DAYS} days are converted or disqualified |",
        "| `<slug>-invoices` | one invoice per won deal, plus two years of earlier invoices "
        "to the same accounts (growing, steady, declining, new customers); due "
        f"{PAYMENT_TERM_DAYS} days after issue; paid amount and date, or what is still owed |",
        "",
        "Headers: north uses Salesforce report labels (invoices from the finance system, "
        "Odoo's invoice list), west HubSpot's, huadong a Chinese CRM's (GB18030), dach "
        "Dynamics 365's.",
        "",
        "Planted problems:",
        "",
    ]
    for team, frames in facts:
        slug = team.spec.slug
        if slug == HIGH_ACTIVITY_TEAM:
            lines.append(_high_activity(team, frames["activities"]))
        elif slug == LOW_CONVERSION_TEAM:
            lines.append(_low_conversion(team, frames["leads"]))
        elif slug == OVERDUE_TEAM:
            lines.append(_overdue(team, frames["invoices"]))
    lines.append(
        "* every team: every other unpaid invoice is less than 30 days overdue; late "
        "payments come at most 25 days after the due date."
    )
    return [*lines, ""]


def _high_activity(team: TeamDeals, acts: pd.DataFrame) -> str:
    window = team.weeks[-ACTIVITY_WINDOW_WEEKS:]
    start = Week.parse(window[0]).monday
    recent = acts[acts["date"] >= start]
    counts = recent["owner"].value_counts()
    rep = str(counts.index[0])
    median = float(counts.drop(rep).median())
    moved = team.advanced_in_window()
    touched = set(recent.loc[recent["owner"] == rep, "deal_id"].dropna())
    advances = sum(
        int((team.frames[w].loc[sorted(team.advanced.get(w, set())), "owner"] == rep).sum())
        for w in window
    )
    return (
        f"* `{team.spec.slug}`: **{rep}** logs {counts.iloc[0]} activities in the last "
        f"{len(window)} weeks ({window[0]} .. "
        f"{team.weeks[-1]}), the other reps' median {median:g}: high activity that moves "
        f"no deal. Of the {len(touched)} deals they logged activities on, "
        f"{len(touched & moved)} advanced a stage in those weeks; their deals advanced "
        f"{advances} times in all, the fewest in the team."
    )


def _low_conversion(team: TeamDeals, leads: pd.DataFrame) -> str:
    start = (Week.of(team.as_of) - (_LEAD_WINDOW_WEEKS - 1)).monday
    recent = leads[leads["created"] >= start]
    decided = recent[recent["state"] != "open"]
    total = decided.groupby("source").size()
    converted = (decided["state"] == "converted").groupby(decided["source"]).sum()
    rates = {str(s): (int(converted[s]), int(total[s])) for s in total.index}
    planted = rates.get(LOW_CONVERSION_SOURCE, (0, 0))
    others = ", ".join(
        f"{source} {c} of {n}"
        for source, (c, n) in rates.items()
        if source != LOW_CONVERSION_SOURCE
    )
    return (
        f"* `{team.spec.slug}`: leads from **{LOW_CONVERSION_SOURCE}** convert at "
        f"{planted[0] / max(planted[1], 1):.0%} ({planted[0]} of {planted[1]} leads decided, created "
        f"in the last {_LEAD_WINDOW_WEEKS} weeks); the other sources at 30% or more "
        f"({others})."
    )


def _overdue(team: TeamDeals, invoices: pd.DataFrame) -> str:
    owed = invoices["amount"] - invoices["paid_amount"]
    sunday = team.as_of + datetime.timedelta(days=2)  # the review's as-of day
    late = [(sunday - d).days if isinstance(d, datetime.date) else 0 for d in invoices["due_date"]]
    row = invoices[(owed > 0) & (pd.Series(late, index=invoices.index) == OVERDUE_DAYS)].iloc[0]
    return (
        f"* `{team.spec.slug}`: the invoice to **{row['account']}** issued "
        f"{row['invoice_date']}, due {row['due_date']}, is {OVERDUE_DAYS} days overdue at "
        f"the last week's end ({sunday}, the date the review's figures stand at) with {row['amount'] - row['paid_amount']:,.0f} "
        f"{team.spec.currency} of {row['amount']:,.0f} still owed."
    )
