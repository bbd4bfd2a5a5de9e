"""HubSpot's deal JSON (CRM API v3) turned into what the deals export prints: the property
labels as headers, stage and pipeline labels, owner names, the primary company; the
property history in the generic long format; the archived and merged deals.

>>> hubspot_time("2026-12-15T17:00:00Z"), hubspot_time("2026-10-02T09:41:12.345Z")
('2026-12-15 17:00', '2026-10-02 09:41')
>>> merges([{"id": "7", "propertiesWithHistory": {"hs_merged_object_ids": [
...     {"value": "9", "timestamp": "2026-12-01T09:00:00Z"}]}}], "2026-11-23T00:00:00Z")
[['9', 'merged', '7', '2026-12-01T09:00:00Z']]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DEAL_PROPERTIES",
    "FORECAST_LABELS",
    "HISTORY_FIELDS",
    "Lookups",
    "archivals",
    "deal_row",
    "history_rows",
    "hubspot_time",
    "merges",
    "primary_company",
]

#: The deal properties a pull reads, by internal name, with the label the export prints.
DEAL_PROPERTIES = {
    "dealname": "Deal Name",
    "dealstage": "Deal Stage",
    "pipeline": "Pipeline",
    "hubspot_owner_id": "Deal owner",
    "amount": "Amount",
    "deal_currency_code": "Currency",
    "hs_deal_stage_probability": "Deal probability",
    "hs_forecast_category": "Forecast category",
    "closedate": "Close Date",
    "createdate": "Create Date",
    "notes_last_updated": "Last Activity Date",
    "hs_next_step": "Next step",
    "closed_lost_reason": "Closed Lost Reason",
    "hubspot_team_id": "HubSpot Team",
}
#: The properties whose history a pull writes, with the field of the long format.
HISTORY_FIELDS = {
    "dealstage": "stage",
    "amount": "amount",
    "closedate": "close_date",
    "hs_deal_stage_probability": "probability",
    "hs_forecast_category": "forecast_category",
    "hubspot_owner_id": "owner",
    "dealname": "deal_name",
}
#: The forecast category's internal values, with the labels the export prints.
FORECAST_LABELS = {
    "OMIT": "Not forecasted",
    "PIPELINE": "Pipeline",
    "BEST_CASE": "Best case",
    "COMMIT": "Commit",
    "CLOSED": "Closed won",
}
_TIMES = ("closedate", "createdate", "notes_last_updated")


@dataclass
class Lookups:
    """Labels by ID: pipelines, stages (of every pipeline), owners' names, teams,
    owners' primary teams, companies' names."""

    pipelines: dict[str, str] = field(default_factory=dict)
    stages: dict[str, str] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    teams: dict[str, str] = field(default_factory=dict)
    owner_teams: dict[str, str] = field(default_factory=dict)
    companies: dict[str, str] = field(default_factory=dict)

    def label(self, name: str, value: Any) -> Any:
        """The value of property ``name`` as the export prints it."""
        if value is None or value == "":
            return None
        text = str(value)
        if name == "dealstage":
            return self.stages.get(text, text)
        if name == "pipeline":
            return self.pipelines.get(text, text)
        if name == "hubspot_owner_id":
            return self.owners.get(text, text)
        if name == "hubspot_team_id":
            return self.teams.get(text, text)
        if name == "hs_forecast_category":
            return FORECAST_LABELS.get(text, text)
        if name in _TIMES:
            return hubspot_time(text)
        return text


def hubspot_time(value: str) -> str:
    """An API time (ISO 8601, UTC) as the export prints it: ``2026-12-15 17:00``."""
    return value[:16].replace("T", " ") if "T" in value else value


def deal_row(deal: Mapping[str, Any], lookups: Lookups) -> list[Any]:
    """One deal's values in the order of the header ``Record ID``, the labels of
    :data:`DEAL_PROPERTIES`, ``Associated Company``. A deal without a team takes its
    owner's primary team."""
    properties = deal.get("properties") or {}
    values = [lookups.label(name, properties.get(name)) for name in DEAL_PROPERTIES]
    if values[-1] is None:
        values[-1] = lookups.owner_teams.get(str(properties.get("hubspot_owner_id")))
    return [str(deal["id"]), *values, lookups.companies.get(primary_company(deal) or "")]


def primary_company(deal: Mapping[str, Any]) -> str | None:
    """The first associated company's ID (the primary one, as the export lists it)."""
    associated = ((deal.get("associations") or {}).get("companies") or {}).get("results") or []
    primary = [a for a in associated if "primary" in str(a.get("type", ""))]
    chosen = (primary or associated)[:1]
    return str(chosen[0]["id"]) if chosen else None


def history_rows(deal: Mapping[str, Any], lookups: Lookups) -> list[list[Any]]:
    """The deal's property history as rows ``deal_id, field, old_value, new_value,
    changed_at``, oldest first, the old value blank for the first."""
    rows: list[list[Any]] = []
    history = deal.get("propertiesWithHistory") or {}
    for name, field_name in HISTORY_FIELDS.items():
        entries = sorted(history.get(name) or [], key=lambda e: str(e.get("timestamp", "")))
        previous: Any = None
        for entry in entries:
            value = lookups.label(name, entry.get("value"))
            rows.append([str(deal["id"]), field_name, previous, value, entry.get("timestamp")])
            previous = value
    return sorted(rows, key=lambda r: (str(r[4]), list(HISTORY_FIELDS.values()).index(r[1])))


def merges(deals: Sequence[Mapping[str, Any]], since: str) -> list[list[Any]]:
    """``[merged deal, "merged", surviving deal, when]`` for each deal merged into one of
    ``deals`` at or after ``since`` (from ``hs_merged_object_ids``, ``;``-separated, and
    its history)."""
    found: list[list[Any]] = []
    for deal in deals:
        history = (deal.get("propertiesWithHistory") or {}).get("hs_merged_object_ids") or []
        seen: set[str] = set()
        for entry in sorted(history, key=lambda e: str(e.get("timestamp", ""))):
            ids = [i for i in str(entry.get("value") or "").split(";") if i]
            for merged in ids:
                if merged not in seen and str(entry.get("timestamp", "")) >= since:
                    found.append([merged, "merged", str(deal["id"]), entry.get("timestamp")])
                seen.add(merged)
    return found


def archivals(
    archived: Sequence[Mapping[str, Any]], since: str, merged: set[str]
) -> list[list[Any]]:
    """``[deal, "deleted", "", when]`` for each deal archived at or after ``since`` that
    was not merged (a merged deal is archived too).

    >>> archivals([{"id": "5", "archivedAt": "2026-12-02T10:00:00Z"},
    ...            {"id": "6", "archivedAt": "2026-10-01T10:00:00Z"}], "2026-11-23", set())
    [['5', 'deleted', '', '2026-12-02T10:00:00Z']]
    """
    return [
        [str(d["id"]), "deleted", "", d.get("archivedAt")]
        for d in archived
        if str(d.get("archivedAt", "")) >= since and str(d["id"]) not in merged
    ]
