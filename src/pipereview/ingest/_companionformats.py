"""The companion exports pipereview reads next to the deals export (activities, leads,
invoices), the headers each CRM writes for each column's role, and detection of the kind
and the CRM from the header.

A format names the *roles* its columns play (the canonical columns of
:data:`COMPANION_COLUMNS`; a lead's ``lifecycle_stage`` or ``lead_type``, an invoice's
``outstanding`` amount or ``payment_status``, values are derived from) and the headers
each role is written under, compared with ``normalize_label``.

>>> detect_companion(["Activity ID", "Subject", "Task Subtype", "Date", "Assigned",
...                   "Opportunity ID", "Account Name"])
('activities', 'salesforce')
>>> detect_companion(["线索编号", "创建时间", "线索来源", "负责人", "线索状态", "是否转化"])
('leads', 'chinese')
>>> detect_companion(["Number", "Partner", "Invoice/Bill Date", "Due Date", "Total", "Amount Due"])
('invoices', 'odoo')
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from pipereview.core._errors import InputError
from pipereview.core._text import normalize_label
from pipereview.ingest._changeformats import mapped_header

__all__ = [
    "COMPANION_COLUMNS",
    "COMPANION_FORMATS",
    "COMPANION_KINDS",
    "COMPANION_REQUIRED",
    "closest_companion_kind",
    "companion_columns",
    "detect_companion",
]

#: The companion exports, in this order.
COMPANION_KINDS: tuple[str, ...] = ("activities", "leads", "invoices")
_TAIL = ("team", "source_file", "source_row")
#: The canonical columns of each kind's frame, in this order.
COMPANION_COLUMNS: dict[str, tuple[str, ...]] = {
    "activities": (
        *("activity_id", "activity_type", "activity_type_raw", "activity_date", "owner"),
        *("deal_id", "account", *_TAIL),
    ),
    "leads": (
        *("lead_id", "created_date", "owner", "lead_source", "status", "converted"),
        *("converted_date", "deal_id", "disqualified", "disqualified_reason", *_TAIL),
    ),
    "invoices": (
        *("invoice_id", "account", "deal_id", "invoice_date", "due_date", "amount"),
        *("currency", "paid_amount", "paid_date", "owner", *_TAIL),
    ),
}
#: The roles a row of each kind needs (a lead's ``converted`` may also come from its
#: ``status``, ``lifecycle_stage`` or ``lead_type``; an invoice needs an ``account`` or a
#: ``deal_id``).
COMPANION_REQUIRED: dict[str, tuple[str, ...]] = {
    "activities": ("activity_date", "owner"),
    "leads": ("created_date", "owner", "converted"),
    "invoices": ("invoice_date", "due_date", "amount", "account"),
}
#: a required role that another role may stand in for
_STAND_INS: dict[str, tuple[str, ...]] = {
    "converted": ("status", "lifecycle_stage", "lead_type"),
    "account": ("deal_id",),
}

_Roles = dict[str, tuple[str, ...]]
_TEAM = ("Team", "Sales Team", "团队", "销售团队", "所属团队")
_SALESFORCE: dict[str, _Roles] = {
    "activities": {
        "activity_id": ("Id", "Activity ID", "Task ID", "Event ID"),
        "activity_type": ("TaskSubtype", "Task Subtype", "EventSubtype", "Type", "Task Type"),
        "activity_date": ("ActivityDate", "Date", "Due Date", "Activity Date"),
        "owner": ("OwnerId", "Assigned", "Assigned To", "Owner.Name"),
        "deal_id": ("WhatId", "Opportunity ID", "Related To ID"),
        "account": ("AccountId", "Account Name", "Account ID", "Company / Account"),
    },
    "leads": {
        "lead_id": ("Id", "Lead ID"),
        "created_date": ("CreatedDate", "Create Date", "Created Date"),
        "owner": ("OwnerId", "Lead Owner"),
        "lead_source": ("LeadSource", "Lead Source"),
        "status": ("Status", "Lead Status"),
        "converted": ("IsConverted", "Converted"),
        "converted_date": ("ConvertedDate", "Converted Date"),
        "deal_id": ("ConvertedOpportunityId", "Converted Opportunity ID"),
    },
    "invoices": {},
}
_HUBSPOT: dict[str, _Roles] = {
    "activities": {
        "activity_id": ("Activity ID", "Record ID"),
        "activity_type": ("Activity type", "Activity Type", "Engagement type"),
        "activity_date": ("Activity date", "Activity Date", "Timestamp"),
        "owner": ("Activity assigned to", "Assigned to", "Activity owner"),
        "deal_id": ("Associated Deal", "Associated Deal IDs", "Associated Deals"),
        "account": ("Associated Company", "Associated Companies", "Company name"),
    },
    "leads": {
        "lead_id": ("Record ID", "Contact ID"),
        "created_date": ("Create Date", "Create date"),
        "owner": ("Contact owner", "Lead owner", "HubSpot Owner"),
        "lead_source": ("Original Source", "Original Traffic Source", "Lead source"),
        "lifecycle_stage": ("Lifecycle Stage",),
        "status": ("Lead Status",),
        "converted_date": ("Became an Opportunity Date",),
        "deal_id": ("Associated Deal", "Associated Deal IDs", "Associated Deals"),
    },
    "invoices": {
        "invoice_id": ("Invoice number", "Number"),
        "invoice_date": ("Invoice date",),
        "due_date": ("Due date",),
        "amount": ("Amount billed", "Total"),
        "outstanding": ("Balance due",),
        "paid_date": ("Payment date",),
        "account": ("Associated Company", "Associated Companies"),
        "deal_id": ("Associated Deal", "Associated Deal IDs", "Associated Deals"),
        "owner": ("Invoice owner",),
        "currency": ("Currency",),
    },
}
_ODOO: dict[str, _Roles] = {
    "activities": {
        "activity_type": ("Activity Type", "activity_type_id"),
        "activity_date": ("Due Date", "date_deadline", "Start", "start"),
        "owner": ("Assigned to", "user_id", "Responsible", "Organizer"),
        "deal_id": ("Related Document ID", "res_id", "Opportunity", "opportunity_id"),
        "account": ("Document Name", "res_name", "Customer", "partner_id"),
    },
    "leads": {
        "lead_id": ("ID", "id"),
        "created_date": ("Created on", "create_date"),
        "owner": ("Salesperson", "user_id"),
        "lead_source": ("Source", "source_id"),
        "lead_type": ("Type", "type"),
        "status": ("Stage", "stage_id"),
        "converted_date": ("Conversion Date", "date_conversion"),
        "disqualified_reason": ("Lost Reason", "lost_reason_id"),
    },
    "invoices": {
        "invoice_id": ("Number", "name"),
        "account": ("Partner", "partner_id", "Customer"),
        "invoice_date": ("Invoice/Bill Date", "Invoice Date", "invoice_date"),
        "due_date": ("Due Date", "invoice_date_due"),
        "amount": ("Total", "amount_total", "Total Signed", "amount_total_signed"),
        "outstanding": ("Amount Due", "amount_residual", "Amount Due Signed"),
        "payment_status": ("Payment Status", "payment_state"),
        "owner": ("Salesperson", "invoice_user_id"),
        "deal_id": ("Source Document", "invoice_origin"),
        "currency": ("Currency", "currency_id"),
    },
}
_DYNAMICS: dict[str, _Roles] = {
    "activities": {
        "activity_id": ("Activity ID", "activityid"),
        "activity_type": ("Activity Type", "activitytypecode"),
        "activity_date": ("Actual End", "actualend", "Scheduled End", "scheduledend"),
        "owner": ("Owner", "ownerid"),
        "deal_id": ("Regarding", "regardingobjectid"),
        "account": ("Account", "Customer"),
    },
    "leads": {
        "lead_id": ("Lead ID", "leadid"),
        "created_date": ("Created On", "createdon"),
        "owner": ("Owner", "ownerid"),
        "lead_source": ("Lead Source", "leadsourcecode"),
        "status": ("Status Reason", "statuscode"),
        "deal_id": ("Qualifying Opportunity", "qualifyingopportunityid"),
    },
    "invoices": {
        "invoice_id": ("Invoice ID", "invoicenumber"),
        "account": ("Customer", "customerid"),
        "deal_id": ("Opportunity", "opportunityid"),
        "invoice_date": ("Invoice Date",),
        "due_date": ("Due Date", "duedate"),
        "amount": ("Total Amount", "totalamount"),
        "paid_amount": ("Amount Paid",),
        "paid_date": ("Date Paid",),
        "owner": ("Owner", "ownerid"),
        "currency": ("Currency", "transactioncurrencyid"),
    },
}
_CHINESE: dict[str, _Roles] = {
    "activities": {
        "activity_id": ("跟进记录编号", "跟进记录ID", "活动编号"),
        "activity_type": ("跟进方式", "跟进类型", "活动类型"),
        "activity_date": ("跟进时间", "跟进日期", "活动日期", "拜访时间"),
        "owner": ("跟进人", "负责人", "销售"),
        "deal_id": ("关联商机", "商机编号"),
        "account": ("客户名称", "客户"),
    },
    "leads": {
        "lead_id": ("线索编号", "线索ID"),
        "created_date": ("创建时间", "创建日期"),
        "owner": ("负责人", "线索负责人"),
        "lead_source": ("线索来源", "来源"),
        "status": ("线索状态", "状态"),
        "converted": ("是否转化", "已转化"),
        "converted_date": ("转化时间", "转化日期"),
        "deal_id": ("关联商机", "转化商机"),
        "disqualified_reason": ("无效原因", "关闭原因"),
    },
    "invoices": {
        "invoice_id": ("发票编号", "发票号码"),
        "account": ("客户名称", "客户"),
        "deal_id": ("关联商机", "商机编号"),
        "invoice_date": ("开票日期",),
        "due_date": ("到期日", "计划回款日期", "应收日期"),
        "amount": ("开票金额", "应收金额"),
        "paid_amount": ("已回款金额", "回款金额"),
        "outstanding": ("未回款金额",),
        "paid_date": ("回款日期",),
        "owner": ("负责人",),
        "currency": ("币种",),
    },
}
_NOT_READ = ("activity_type_raw", "source_file", "source_row")
_GENERIC: dict[str, _Roles] = {
    kind: {c: (c,) for c in COMPANION_COLUMNS[kind] if c not in _NOT_READ}
    for kind in COMPANION_KINDS
}
_GENERIC["activities"].update(
    activity_type=("activity_type", "Type", "Activity Type"),
    activity_date=("activity_date", "Date", "Activity Date"),
    owner=("owner", "Owner", "Rep", "Sales Rep"),
)
_GENERIC["leads"].update(status=("status", "Status"), owner=("owner", "Owner", "Rep"))
_OWED = ("outstanding", "Amount Due", "Balance", "Balance Due", "Open Balance", "Open Amount")
_GENERIC["invoices"].update(
    invoice_id=("invoice_id", "Invoice Number", "Invoice No", "Invoice #", "Invoice"),
    outstanding=(*_OWED, "Amount Outstanding"),
    paid_amount=("paid_amount", "Amount Paid", "Paid Amount", "Paid"),
    paid_date=("paid_date", "Payment Date", "Paid Date", "Date Paid"),
)

#: kind -> CRM -> role -> the headers that CRM writes it under (compared with
#: normalize_label); ``generic`` (the canonical names) last.
COMPANION_FORMATS: dict[str, dict[str, _Roles]] = {
    kind: {
        crm: {**roles[kind], "team": _TEAM} if roles[kind] else {}
        for crm, roles in (
            ("salesforce", _SALESFORCE),
            ("hubspot", _HUBSPOT),
            ("odoo", _ODOO),
            ("dynamics", _DYNAMICS),
            ("chinese", _CHINESE),
            ("generic", _GENERIC),
        )
        if roles[kind]
    }
    for kind in COMPANION_KINDS
}


def _found(
    kind: str, crm: str, labels: Collection[str], *, generic: bool = False
) -> dict[str, str]:
    """Role -> the normalised header of ``labels`` it is written under (``generic``: the
    roles ``crm`` leaves open looked up by the generic names too)."""
    found: dict[str, str] = {}
    taken: set[str] = set()
    # the CRM's own names first; then, for the roles it leaves open, the generic names (a
    # finance system's invoice list beside a CRM's, a "Balance" column of any export)
    formats = [COMPANION_FORMATS[kind][crm]]
    for roles in formats + ([COMPANION_FORMATS[kind]["generic"]] if generic else []):
        for role, choices in roles.items():
            if role in found:
                continue
            hit = next(
                (n for n in map(normalize_label, choices) if n in labels and n not in taken), None
            )
            if hit is not None:
                found[role] = hit
                taken.add(hit)
    return found


def _lacking(kind: str, roles: Collection[str]) -> list[str]:
    """The required roles of ``kind`` that neither ``roles`` nor a stand-in gives."""
    return [
        r
        for r in COMPANION_REQUIRED[kind]
        if r not in roles and not any(s in roles for s in _STAND_INS.get(r, ()))
    ]


def detect_companion(
    headers: Sequence[str],
    *,
    kinds: Sequence[str] = COMPANION_KINDS,
    mapped: Collection[str] = (),
) -> tuple[str, str] | None:
    """``(kind, crm)`` of the format that reads the most of ``headers`` and finds every
    column its kind needs (``mapped``: roles a column map gives), or ``None``.

    >>> detect_companion(["Activity Type", "Subject", "Owner", "Regarding", "Actual End"])
    ('activities', 'dynamics')
    """
    labels = {normalize_label(h) for h in headers}
    best: tuple[int, str, str] | None = None
    for kind in kinds:
        for crm in COMPANION_FORMATS[kind]:
            found = _found(kind, crm, labels)
            if _lacking(kind, {*found, *mapped}) or not (found or crm == "generic"):
                continue
            score = len(found) - (crm == "generic")
            if best is None or score > best[0]:
                best = (score, kind, crm)
    return None if best is None else (best[1], best[2])


def closest_companion_kind(
    headers: Sequence[str], *, kinds: Sequence[str] = COMPANION_KINDS
) -> tuple[str, str] | None:
    """``(kind, crm)`` of the format whose headers ``headers`` hold most, although a column
    it needs is missing (to name that column), or ``None`` when none matches two.

    >>> closest_companion_kind(["Invoice date", "Amount billed", "Balance due"])
    ('invoices', 'hubspot')
    """
    labels = {normalize_label(h) for h in headers}
    scores = [
        (len(_found(kind, crm, labels)), kind, crm)
        for kind in kinds
        for crm in COMPANION_FORMATS[kind]
    ]
    best = max(scores, key=lambda s: s[0], default=(0, "", ""))
    return (best[1], best[2]) if best[0] >= 2 else None


def companion_columns(
    kind: str,
    crm: str,
    headers: Sequence[str],
    *,
    column_map: Mapping[str, str] | None = None,
    file: str | Path | None = None,
    row: int | None = None,
) -> dict[str, str]:
    """Role -> column (as the header writes it) of ``kind`` written by ``crm``.

    ``column_map`` maps roles to headers the format does not know. Raises
    :class:`InputError` naming the columns the header lacks and the ``--map`` fix.

    >>> companion_columns("invoices", "generic", ["Inv", "Client", "invoice_date", "due_date",
    ...                   "amount"], column_map={"account": "Client"})["account"]
    'Client'
    """
    by_label = {normalize_label(h): h for h in reversed(list(headers))}
    found = _found(kind, crm, set(by_label), generic=True)  # detection: the CRM's own names
    columns = {r: by_label[h] for r, h in found.items()}
    roles = (
        *COMPANION_COLUMNS[kind][:-2],
        *(r for f in COMPANION_FORMATS[kind].values() for r in f),
    )
    for role, header in (column_map or {}).items():
        if role not in roles or role == "activity_type_raw":
            known = ", ".join(dict.fromkeys(r for r in roles if r != "activity_type_raw"))
            raise InputError(
                f"{file}: --map {role}={header}: {role!r} is no column of {kind} exports; "
                f"known: {known}",
                file=file,
                column=header,
                expected=f"one of {known}",
                hint=f"map one of {known} to a header of your file",
            )
        columns[role] = mapped_header(role, header, by_label, headers, file=file, row=row)
    missing = _lacking(kind, columns)
    if missing:
        formats = COMPANION_FORMATS[kind][crm]
        wanted = "; ".join(
            f"{r} (one of {list(formats.get(r, (r,)))}"
            + "".join(f" or a {s} column" for s in _STAND_INS.get(r, ()) if s in formats)
            + ")"
            for r in missing
        )
        raise InputError(
            f"{file}: the header (row {row}) looks like {kind} ({crm} headers) but has no "
            f"column for {wanted}; found {list(headers)}",
            file=file,
            row=row,
            column=formats.get(missing[0], (missing[0],))[0],
            expected=f"the columns of a {kind} export: {', '.join(COMPANION_REQUIRED[kind])}",
            hint=f"add the column to the export, or name yours with --map {missing[0]}=<header> "
            "(docs/companion-exports.md)",
        )
    return columns
