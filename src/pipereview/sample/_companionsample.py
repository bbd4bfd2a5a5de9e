"""The sample's companion exports: each team's activities, leads and invoices, written the
way its CRM (and, for ``north``, its finance system) exports them.

For each team, from the deals of its weekly exports (``_companionworld``), three files go
to ``<samples>/companions/<last week>/``: ``<slug>-activities``, ``<slug>-leads`` and
``<slug>-invoices`` (``.csv`` in the deals export's encoding, ``.xlsx`` for ``dach``), with
that export's date and amount conventions. Same sample, same bytes. Planted: in ``north``
a rep with the most activities and no advanced deal among them; in ``west`` the lead
source "Trade Show" converting at 12%; in ``huadong`` an invoice 45 days overdue.

>>> from pipereview.sample import generate_samples
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> _ = generate_samples(folder, n_weeks=2, scale=0.2)
>>> [p.name for p in write_companion_exports(folder)][:3]
['dach-activities.xlsx', 'dach-invoices.xlsx', 'dach-leads.xlsx']
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipereview.ingest import load_column_map
from pipereview.sample._companioninvoices import make_invoices
from pipereview.sample._companionreadme import companion_readme, with_section
from pipereview.sample._companionworld import (
    TeamDeals,
    make_activities,
    make_leads,
    read_team_deals,
    team_rng,
)
from pipereview.sample._formats import Columns, dialect_of, format_amounts
from pipereview.sample._teams import POOLS, TEAMS
from pipereview.sample._writers import write_csv, write_xlsx

__all__ = ["COMPANION_FOLDER", "write_companion_exports"]

#: Where a sample set's companion exports go, beside ``exports/``.
COMPANION_FOLDER = "companions"
_KINDS = ("activities", "leads", "invoices")
_SHEETS = {"activities": "Activities", "leads": "Leads", "invoices": "Invoices"}
_Table = Callable[[TeamDeals, pd.DataFrame], Columns]


def write_companion_exports(samples: Path) -> list[Path]:
    """Write every team's activities, leads and invoices for the sample set in
    ``samples`` (its ``exports/<week>/``) to ``samples/companions/<last week>/``; return
    their paths, sorted. A ``README.md`` in ``samples`` gains (or has replaced) its
    section on the companion files."""
    samples = Path(samples)
    written: list[Path] = []
    facts: list[tuple[TeamDeals, dict[str, pd.DataFrame]]] = []
    for spec in TEAMS:
        team = read_team_deals(samples, spec)
        rng = team_rng(spec)
        frames = {
            "activities": make_activities(team, rng),
            "leads": make_leads(team, rng),
            "invoices": make_invoices(team, rng),
        }
        folder = samples / COMPANION_FOLDER / team.weeks[-1]
        folder.mkdir(parents=True, exist_ok=True)
        dialect = dialect_of(load_column_map(spec.column_map))
        for kind in _KINDS:
            table = _TABLES[spec.slug][kind](team, frames[kind])
            path = folder / f"{spec.slug}-{kind}.{dialect.file}"
            if dialect.file == "xlsx":
                stamp = datetime.datetime.combine(team.as_of, datetime.time(17, 0))
                write_xlsx(table, path, stamp, _SHEETS[kind])
            else:
                write_csv(table, path, dialect.encoding)
            written.append(path)
        facts.append((team, frames))
    readme = samples / "README.md"
    if readme.exists():
        text = readme.read_bytes().decode("utf-8")
        readme.write_bytes(with_section(text, companion_readme(facts)).encode("utf-8"))
    return sorted(written)


# --- values as the CRMs write them -------------------------------------------------------


def _day(value: object, style: str) -> Any:
    """A date as text in ``style`` (mdy, iso_dt, ymd_slash) or a spreadsheet date."""
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None if style == "excel" else ""
    day = pd.Timestamp(str(value)).date()
    if style == "excel":
        return day
    if style == "mdy":
        return f"{day.month}/{day.day}/{day.year}"
    if style == "ymd_slash":
        return f"{day.year}/{day.month:02d}/{day.day:02d}"
    return f"{day.isoformat()} 00:00"


def _days(values: pd.Series, style: str) -> list[Any]:
    return [_day(v, style) for v in values]


def _clock(day: object, index: int) -> str:
    """A working-hours time of day (HubSpot writes one), fixed by the row."""
    return f"{pd.Timestamp(str(day)).date().isoformat()} {8 + index * 7 % 10:02d}:{index * 13 % 12 * 5:02d}"


def _money(values: pd.Series, style: str) -> Any:
    amounts = values.to_numpy(dtype=float)
    if len(amounts) == 0:
        return np.array([], dtype=str)
    return format_amounts(amounts, style, np.arange(len(amounts)) % 3)


def _text(values: pd.Series) -> np.ndarray:
    return np.array(["" if v is None or v != v else str(v) for v in values], dtype=object)


def _code(*parts: object, length: int = 8) -> str:
    """A stable pseudo-random code for an ID (hex, from the parts)."""
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:length]


def _guid(*parts: object) -> str:
    h = _code(*parts, length=32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _sfdc(prefix: str, index: int) -> str:
    """An 18-character Salesforce ID with the object's key prefix (00T task, 00Q lead)."""
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    body = ""
    for _ in range(5):
        index, rest = divmod(index, 62)
        body = digits[rest] + body
    return f"{prefix}5g00000{body}{_code(prefix, body, length=3).upper()}"


def _subjects(kinds: pd.Series, words: dict[str, str], locale: str) -> list[str]:
    steps = POOLS[locale]["next"]
    return [f"{words[k]}: {steps[i * 7 % len(steps)]}" for i, k in enumerate(kinds)]


def _owed(invoices: pd.DataFrame) -> pd.Series:
    return (invoices["amount"] - invoices["paid_amount"]).round(2)


# --- north: Salesforce report labels; invoices from the finance system (Odoo) ------------


def _north_activities(team: TeamDeals, acts: pd.DataFrame) -> Columns:
    words = {
        "call": "Call",
        "email": "Email",
        "meeting": "Meeting",
        "visit": "Visit",
        "task": "Task",
    }
    subject = {"call": "Call", "email": "Email", "meeting": "Meeting", "visit": "Site visit"}
    return {
        "Activity ID": [_sfdc("00T", i) for i in range(len(acts))],
        "Subject": _subjects(acts["kind"], {**words, **subject}, "us"),
        "Task Subtype": [words[k] for k in acts["kind"]],
        "Date": _days(acts["date"], "mdy"),
        "Assigned": _text(acts["owner"]),
        "Opportunity ID": _text(acts["deal_id"]),
        "Account Name": _text(acts["account"]),
    }


def _north_leads(team: TeamDeals, leads: pd.DataFrame) -> Columns:
    status = [
        {"converted": "Closed - Converted", "disqualified": "Closed - Not Converted"}.get(
            s, "Qualified" if i % 3 == 0 else "Working - Contacted"
        )
        for i, s in enumerate(leads["state"])
    ]
    return {
        "Lead ID": [_sfdc("00Q", i) for i in range(len(leads))],
        "Create Date": _days(leads["created"], "mdy"),
        "Lead Source": _text(leads["source"]),
        "Lead Owner": _text(leads["owner"]),
        "Lead Status": status,
        "Converted": ["1" if s == "converted" else "0" for s in leads["state"]],
        "Converted Date": _days(leads["converted_date"], "mdy"),
        "Converted Opportunity ID": _text(leads["deal_id"]),
    }


def _north_invoices(team: TeamDeals, inv: pd.DataFrame) -> Columns:
    owed = _owed(inv)
    status = np.select([owed <= 0, inv["paid_amount"] > 0], ["Paid", "Partially Paid"], "Not Paid")
    return {
        "Number": [
            f"INV/{pd.Timestamp(str(d)).year}/{n:05d}"
            for d, n in zip(inv["invoice_date"], inv["number"], strict=True)
        ],
        "Partner": _text(inv["account"]),
        "Invoice/Bill Date": _days(inv["invoice_date"], "mdy"),
        "Due Date": _days(inv["due_date"], "mdy"),
        "Total": _money(inv["amount"], "grouped"),
        "Amount Due": _money(owed, "grouped"),
        "Payment Status": status,
        "Salesperson": _text(inv["owner"]),
        "Source Document": _text(inv["deal_id"]),
    }


# --- west: HubSpot -----------------------------------------------------------------------


def _west_activities(team: TeamDeals, acts: pd.DataFrame) -> Columns:
    words = {
        "call": "Call",
        "email": "Email",
        "meeting": "Meeting",
        "visit": "Meeting",
        "task": "Task",
    }
    return {
        "Activity ID": [str(41_203_000_000 + 7_919 * i) for i in range(len(acts))],
        "Activity date": [_clock(d, i) for i, d in enumerate(acts["date"])],
        "Activity type": [words[k] for k in acts["kind"]],
        "Activity assigned to": _text(acts["owner"]),
        "Associated Deal IDs": _text(acts["deal_id"]),
        "Associated Company": _text(acts["account"]),
    }


def _west_leads(team: TeamDeals, leads: pd.DataFrame) -> Columns:
    stages, status = [], []
    for i, (state, won) in enumerate(zip(leads["state"], leads["won"], strict=True)):
        if state == "converted":
            stages.append("Customer" if won else "Opportunity")
            status.append("In Progress")
        elif state == "disqualified":
            stages.append("Lead")
            status.append("Unqualified")
        else:
            stages.append(("Lead", "Marketing Qualified Lead", "Sales Qualified Lead")[i % 3])
            status.append(("New", "Open", "In Progress")[i % 3])
    return {
        "Record ID": [str(90_101_000 + 613 * i) for i in range(len(leads))],
        "Create Date": [_clock(d, i) for i, d in enumerate(leads["created"])],
        "Original Source": _text(leads["source"]),
        "Contact owner": _text(leads["owner"]),
        "Lifecycle Stage": stages,
        "Lead Status": status,
        "Associated Deal IDs": _text(leads["deal_id"]),
    }


def _west_invoices(team: TeamDeals, inv: pd.DataFrame) -> Columns:
    return {
        "Invoice number": [f"INV-{1000 + n}" for n in inv["number"]],
        "Invoice date": _days(inv["invoice_date"], "iso_dt"),
        "Due date": _days(inv["due_date"], "iso_dt"),
        "Amount billed": _money(inv["amount"], "whole"),
        "Balance due": _money(_owed(inv), "whole"),
        "Payment date": _days(inv["paid_date"], "iso_dt"),
        "Associated Company": _text(inv["account"]),
        "Associated Deal IDs": _text(inv["deal_id"]),
        "Invoice owner": _text(inv["owner"]),
    }


# --- huadong: a Chinese CRM (GB18030) -----------------------------------------------------

_CN_WAYS = {"visit": "拜访", "call": "电话", "meeting": "会议", "email": "邮件", "task": "其他"}
_CN_STATES = {"converted": "已转化", "disqualified": "无效"}
_CN_REASONS = ("需求不明确", "没有预算", "联系不上", "非目标客户", "已选择其他供应商")


def _huadong_activities(team: TeamDeals, acts: pd.DataFrame) -> Columns:
    return {
        "跟进记录编号": [
            f"GJ{pd.Timestamp(str(d)):%Y%m%d}{i:05d}" for i, d in enumerate(acts["date"])
        ],
        "跟进方式": [_CN_WAYS[k] for k in acts["kind"]],
        "跟进时间": _days(acts["date"], "ymd_slash"),
        "跟进人": _text(acts["owner"]),
        "关联商机": _text(acts["deal_id"]),
        "客户名称": _text(acts["account"]),
    }


def _huadong_leads(team: TeamDeals, leads: pd.DataFrame) -> Columns:
    states = leads["state"]
    return {
        "线索编号": [
            f"XS{pd.Timestamp(str(d)).year}-{i + 1:06d}" for i, d in enumerate(leads["created"])
        ],
        "创建时间": _days(leads["created"], "ymd_slash"),
        "线索来源": _text(leads["source"]),
        "负责人": _text(leads["owner"]),
        "线索状态": [
            _CN_STATES.get(s, "待跟进" if i % 2 else "跟进中") for i, s in enumerate(states)
        ],
        "是否转化": ["是" if s == "converted" else "否" for s in states],
        "转化时间": _days(leads["converted_date"], "ymd_slash"),
        "关联商机": _text(leads["deal_id"]),
        "无效原因": [
            _CN_REASONS[i * 3 % len(_CN_REASONS)] if s == "disqualified" else ""
            for i, s in enumerate(states)
        ],
    }


def _huadong_invoices(team: TeamDeals, inv: pd.DataFrame) -> Columns:
    return {
        "发票编号": [f"{44_100_000 + 37 * n:08d}" for n in inv["number"]],
        "客户名称": _text(inv["account"]),
        "关联商机": _text(inv["deal_id"]),
        "开票日期": _days(inv["invoice_date"], "ymd_slash"),
        "到期日": _days(inv["due_date"], "ymd_slash"),
        "开票金额": _money(inv["amount"], "cny_mixed"),
        "已回款金额": _money(inv["paid_amount"], "cny_mixed"),
        "回款日期": _days(inv["paid_date"], "ymd_slash"),
        "负责人": _text(inv["owner"]),
    }


# --- dach: Dynamics 365 (XLSX) ------------------------------------------------------------

_DE_TYPES = {
    "call": ("Phone Call", "Telefonat"),
    "meeting": ("Appointment", "Besprechung"),
    "visit": ("Appointment", "Besuch"),
    "email": ("Email", "E-Mail"),
    "task": ("Task", "Aufgabe"),
}
_DE_LOST = ("Lost", "Cannot Contact", "No Longer Interested")


def _dach_activities(team: TeamDeals, acts: pd.DataFrame) -> Columns:
    return {
        "Activity Type": [_DE_TYPES[k][0] for k in acts["kind"]],
        "Subject": _subjects(acts["kind"], {k: v[1] for k, v in _DE_TYPES.items()}, "de"),
        "Owner": _text(acts["owner"]),
        "Regarding": _text(acts["deal_id"]),
        "Actual End": _days(acts["date"], "excel"),
        "Account": _text(acts["account"]),
    }


def _dach_leads(team: TeamDeals, leads: pd.DataFrame) -> Columns:
    products = POOLS["de"]["product"]
    reason = {"converted": "Qualified"}
    return {
        "Lead ID": [_guid("dach-lead", i) for i in range(len(leads))],
        "Created On": _days(leads["created"], "excel"),
        "Lead Source": _text(leads["source"]),
        "Owner": _text(leads["owner"]),
        "Status Reason": [
            reason.get(s, _DE_LOST[i % 3] if s == "disqualified" else ("New", "Contacted")[i % 2])
            for i, s in enumerate(leads["state"])
        ],
        "Qualifying Opportunity": _text(leads["deal_id"]),
        "Topic": [f"Anfrage {products[i * 5 % len(products)]}" for i in range(len(leads))],
    }


def _dach_invoices(team: TeamDeals, inv: pd.DataFrame) -> Columns:
    return {
        "Invoice ID": [
            f"INV-{1000 + n:05d}-{_code('dach', n, length=6).upper()}" for n in inv["number"]
        ],
        "Customer": _text(inv["account"]),
        "Opportunity": _text(inv["deal_id"]),
        "Invoice Date": _days(inv["invoice_date"], "excel"),
        "Due Date": _days(inv["due_date"], "excel"),
        "Total Amount": inv["amount"].to_numpy(dtype=float),
        "Amount Paid": inv["paid_amount"].to_numpy(dtype=float),
        "Date Paid": _days(inv["paid_date"], "excel"),
        "Owner": _text(inv["owner"]),
    }


_TABLES: dict[str, dict[str, _Table]] = {
    "north": {"activities": _north_activities, "leads": _north_leads, "invoices": _north_invoices},
    "west": {"activities": _west_activities, "leads": _west_leads, "invoices": _west_invoices},
    "huadong": {
        "activities": _huadong_activities,
        "leads": _huadong_leads,
        "invoices": _huadong_invoices,
    },
    "dach": {"activities": _dach_activities, "leads": _dach_leads, "invoices": _dach_invoices},
}
