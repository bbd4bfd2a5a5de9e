"""The CRM history exports pipereview reads, told apart by their headers, and the CRM field
names that stand for each canonical change field.

Each format names the *roles* its columns play (the deal's ID, when the change was made,
which field changed, its old and new value) and the headers each role is written under,
compared case-insensitively (Salesforce Data Loader before version 61 wrote its headers in
upper case).

>>> detect_history_format(["OPPORTUNITYID", "CREATEDDATE", "STAGENAME", "AMOUNT"])
'salesforce_opportunity_history'
>>> detect_history_format(["deal_id", "field", "old_value", "new_value", "changed_at"])
'generic'
>>> canonical_field("ForecastCategoryName"), canonical_field("dealstage"), canonical_field("Description")
('forecast_category', 'stage', None)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from pipereview.core._errors import InputError
from pipereview.core._text import normalize_label

__all__ = [
    "CHANGE_COLUMNS",
    "CHANGE_FIELDS",
    "CREATED_EVENTS",
    "HISTORY_FORMATS",
    "canonical_field",
    "closest_history_format",
    "date_entered_stage",
    "detect_history_format",
    "history_columns",
    "mapped_header",
]

#: The deal fields a change log records, in this order.
CHANGE_FIELDS: tuple[str, ...] = (
    "stage",
    "amount",
    "close_date",
    "probability",
    "forecast_category",
    "owner",
    "deal_name",
    "deleted",
    "merged_into",
)
#: The columns of :attr:`ChangeLog.changes`.
CHANGE_COLUMNS: tuple[str, ...] = (
    "deal_id",
    "field",
    "old_value",
    "new_value",
    "changed_at",
    "source_file",
    "source_row",
)

#: Field-history rows that record an event, not a field's new value (skipped, counted).
CREATED_EVENTS = frozenset(
    {
        "created",
        "created.",
        "opportunitycreatedfromlead",
        "opportunity created.",
        "created by lead convert",
    }
)

_ID = "deal_id"
_AT = "changed_at"
#: format -> role -> headers (as written; compared with normalize_label). Roles a format
#: needs are in _REQUIRED; the others are read when present.
HISTORY_FORMATS: dict[str, dict[str, tuple[str, ...]]] = {
    "salesforce_opportunity_history": {
        _ID: ("OpportunityId", "Opportunity ID", "Opportunity ID (18)"),
        _AT: ("CreatedDate", "Last Modified", "Edit Date", "Last Modified Date"),
        "record_id": ("Id",),
        "is_deleted": ("IsDeleted",),
        "stage": ("StageName", "To Stage", "Stage"),
        "amount": ("Amount",),
        "close_date": ("CloseDate", "Close Date"),
        "probability": ("Probability", "Probability (%)"),
        "forecast_category": ("ForecastCategory", "Forecast Category", "To Forecast Category"),
    },
    "salesforce_field_history": {
        _ID: ("OpportunityId", "Opportunity ID", "Opportunity ID (18)"),
        _AT: ("CreatedDate", "Edit Date", "Created Date"),
        "field": ("Field", "Field / Event", "Changed Field"),
        "old_value": ("OldValue", "Old Value"),
        "new_value": ("NewValue", "New Value"),
        "data_type": ("DataType", "Datatype"),
        "is_deleted": ("IsDeleted",),
    },
    "odoo_tracking": {
        _ID: (
            "Message ID/Related Document ID",
            "Mail Message/Related Document ID",
            "mail_message_id/res_id",
            "Related Document ID",
            "res_id",
        ),
        _AT: (
            "Tracking Date",
            "Message ID/Date",
            "Mail Message/Date",
            "mail_message_id/date",
            "Create Date",
            "Created on",
            "create_date",
        ),
        "field": ("Field", "field_id", "Changed Field", "field", "Field Description", "field_desc"),
        "model": (
            "Message ID/Related Document Model",
            "Mail Message/Related Document Model",
            "mail_message_id/model",
            "Related Document Model",
            "model",
        ),
        "old_value": ("Old Value",),
        "new_value": ("New Value",),
        **{
            f"{age}_{kind}": (f"{age.title()} Value {label}", f"{age}_value_{kind}")
            for age in ("old", "new")
            for kind, label in (
                ("char", "Char"),
                ("float", "Float"),
                ("monetary", "Monetary"),
                ("datetime", "DateTime"),
                ("integer", "Integer"),
                ("text", "Text"),
            )
        },
    },
    "hubspot_date_entered": {
        _ID: ("Record ID", "Deal ID"),
    },
    "hubspot_property_history": {
        _ID: ("Record ID", "Deal ID", "hs_object_id", "dealId", "Object ID"),
        "field": ("Property", "Property Name", "propertyName"),
        "old_value": ("Old Value", "Previous Value"),
        "new_value": ("Value", "New Value", "Property Value"),
        _AT: ("Timestamp", "Changed At", "Date", "Updated At"),
    },
    "generic": {
        _ID: ("deal_id", "Deal ID", "Record ID", "Opportunity ID", "ID"),
        "field": ("field", "Field", "Field Name", "Property"),
        "old_value": ("old_value", "Old Value", "From", "Previous Value"),
        "new_value": ("new_value", "New Value", "To", "Value"),
        _AT: ("changed_at", "Changed At", "Date", "Changed On", "Timestamp", "Edit Date"),
    },
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "salesforce_opportunity_history": (_ID, _AT, "stage"),
    "salesforce_field_history": (_ID, _AT, "field", "new_value"),
    "odoo_tracking": (_ID, _AT, "field"),
    "hubspot_date_entered": (_ID,),
    "hubspot_property_history": (_ID, "field", "new_value", _AT),
    "generic": (_ID, "field", "new_value", _AT),
}
#: headers that tell a format apart (any one of them, with its required roles)
_SIGNS: dict[str, tuple[str, ...]] = {
    "salesforce_opportunity_history": ("StageName", "To Stage", "From Stage"),
    "salesforce_field_history": ("OpportunityId", "Field / Event", "DataType", "Opportunity ID"),
    "odoo_tracking": tuple(
        f"{a} Value {k}" for a in ("Old", "New") for k in ("Char", "Float", "DateTime", "Integer")
    )
    + tuple(f"{a}_value_{k}" for a in ("old", "new") for k in ("char", "float", "datetime")),
    "hubspot_property_history": ("Property", "Property Name", "propertyName"),
    "generic": (),
}
_DATE_ENTERED = re.compile(r"^date entered\s+[\"“']?(?P<label>.+?)[\"”']?$", re.IGNORECASE)

#: CRM field names (Salesforce API names and report labels, HubSpot internal names, Odoo
#: technical names and labels) -> canonical change field; compared with normalize_label
_FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "stage": ("StageName", "Stage", "dealstage", "Deal Stage", "stage_id"),
    "amount": ("Amount", "expected_revenue", "Expected Revenue", "Deal amount"),
    "close_date": ("CloseDate", "Close Date", "closedate", "date_deadline", "Expected Closing"),
    "probability": (
        "Probability",
        "Probability (%)",
        "hs_deal_stage_probability",
        "Deal probability",
    ),
    "forecast_category": (
        "ForecastCategoryName",
        "ForecastCategory",
        "Forecast Category",
        "hs_forecast_category",
    ),
    "owner": (
        "Owner",
        "Opportunity Owner",
        "OwnerId",
        "hubspot_owner_id",
        "Deal owner",
        "user_id",
        "Salesperson",
    ),
    "deal_name": ("Name", "Opportunity Name", "dealname", "Deal Name", "Opportunity"),
    "deleted": ("Deleted", "IsDeleted"),
    "merged_into": ("Merged Into", "MasterRecordId"),
}
_FIELDS: dict[str, str] = {
    normalize_label(name): field
    for field, names in _FIELD_NAMES.items()
    for name in (field, *names)
}
_ODOO_SUFFIX = re.compile(r"\s*\([a-z_]+(?:\.[a-z_]+)+\)$")


def canonical_field(name: str) -> str | None:
    """The canonical change field a CRM field name stands for, or ``None`` for a field the
    change log does not track. Odoo's ``Stage (crm.lead)`` is read as ``Stage``."""
    label = normalize_label(name)
    return _FIELDS.get(label) or _FIELDS.get(_ODOO_SUFFIX.sub("", label))


def date_entered_stage(header: str) -> str | None:
    """The stage label of a HubSpot ``Date entered "<stage> (<pipeline>)"`` column, or None.

    >>> date_entered_stage('Date entered "Closed won (Sales Pipeline)"')
    'Closed won'
    """
    match = _DATE_ENTERED.match(header.strip())
    if match is None:
        return None
    label = match["label"].strip()
    return re.sub(r"\s*\([^()]*\)$", "", label) or label


def detect_history_format(headers: Sequence[str]) -> str | None:
    """The history format a header row is written in, or ``None`` when none fits."""
    labels = {normalize_label(h) for h in headers}
    if any(date_entered_stage(str(h)) for h in headers) and _has_roles(
        labels, "hubspot_date_entered"
    ):
        return "hubspot_date_entered"
    for name, signs in _SIGNS.items():
        signed = not signs or any(normalize_label(s) in labels for s in signs)
        if signed and _has_roles(labels, name):
            return name
    return None


def closest_history_format(headers: Sequence[str]) -> str | None:
    """The format whose telltale headers ``headers`` hold although some column it needs is
    missing (to name that column), or ``None``.

    >>> closest_history_format(["Opportunity Name", "From Stage", "To Stage", "Last Modified"])
    'salesforce_opportunity_history'
    """
    labels = {normalize_label(h) for h in headers}
    for name, signs in _SIGNS.items():
        if any(normalize_label(s) in labels for s in signs):
            return name
    if any(date_entered_stage(str(h)) for h in headers):
        return "hubspot_date_entered"
    return None


def _has_roles(labels: set[str], name: str) -> bool:
    roles = HISTORY_FORMATS[name]
    return all(any(normalize_label(h) in labels for h in roles[r]) for r in _REQUIRED[name])


def history_columns(
    name: str,
    headers: Sequence[str],
    *,
    column_map: Mapping[str, str] | None = None,
    file: str | Path | None = None,
    row: int | None = None,
) -> dict[str, str]:
    """Role -> column (as the header writes it) of format ``name`` in ``headers``.

    ``column_map`` maps roles to headers the format does not know. Raises
    :class:`InputError` naming the roles the header lacks.

    >>> history_columns("generic", ["Deal ID", "Field", "New Value", "Date"])["changed_at"]
    'Date'
    """
    by_label = {normalize_label(h): h for h in reversed(list(headers))}
    found: dict[str, str] = {}
    for role, choices in HISTORY_FORMATS[name].items():
        for choice in choices:
            if normalize_label(choice) in by_label:
                found[role] = by_label[normalize_label(choice)]
                break
    for role, header in (column_map or {}).items():
        if role not in HISTORY_FORMATS[name]:
            raise InputError(
                f"{file}: --map {role}={header}: {role!r} is no column of format {name!r}",
                file=file,
                column=header,
                expected=f"one of {', '.join(HISTORY_FORMATS[name])}",
                hint="map deal_id, field, old_value, new_value or changed_at to your headers",
            )
        found[role] = mapped_header(role, header, by_label, headers, file=file, row=row)
    missing = [r for r in _REQUIRED[name] if r not in found]
    if missing:
        wanted = "; ".join(f"{r} (one of {list(HISTORY_FORMATS[name][r])})" for r in missing)
        raise InputError(
            f"{file}: the header (row {row}) has no column for {wanted} in format {name!r}; "
            f"found {list(headers)}",
            file=file,
            row=row,
            column=HISTORY_FORMATS[name][missing[0]][0],
            expected=f"the columns of a {name} export",
            hint=f"add the column to the export, or name yours with --map {missing[0]}=<header>",
        )
    return found


def mapped_header(
    role: str,
    header: str,
    by_label: Mapping[str, str],
    headers: Sequence[str],
    *,
    file: str | Path | None,
    row: int | None,
) -> str:
    """The column of the file that ``--map role=header`` names (``by_label``: the file's
    headers by their normalised label), refused with the header found when it has none.

    >>> mapped_header("owner", "Rep ", {"rep": "Rep"}, ["Rep"], file="a.csv", row=1)
    'Rep'
    """
    if normalize_label(header) not in by_label:
        raise InputError(
            f"{file}: --map {role}={header}: no column {header!r} in the header "
            f"(row {row}): {list(headers)}",
            file=file,
            row=row,
            column=header,
            expected="a column of the header",
            hint="write the header as the file has it (case and spaces do not matter)",
        )
    return by_label[normalize_label(header)]
