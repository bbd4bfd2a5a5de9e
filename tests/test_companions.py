"""Companion exports (activities, leads, invoices) -> canonical frames: each CRM's files read
into whole frames checked by hand, detection of the kind and the CRM, every quarantine
reason with its message, the refusals, GB18030, XLSX, and row accounting on generated
files."""

from __future__ import annotations

import datetime
import tempfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _budget import examples
from pipereview.core._errors import InputError
from pipereview.ingest import (
    ACTIVITY_TYPES,
    COMPANION_COLUMNS,
    CompanionExport,
    activity_types,
    closest_companion_kind,
    detect_companion,
    read_companion,
    status_outcome,
)

DATA = Path(__file__).parent / "data" / "companions"
_DATES = (
    "activity_date",
    "created_date",
    "converted_date",
    "invoice_date",
    "due_date",
    "paid_date",
)


def expected(kind: str, file: Path, rows: list[tuple[object, ...]]) -> pd.DataFrame:
    """The frame ``rows`` (every canonical column but ``source_file``, in order) stand for."""
    columns = [c for c in COMPANION_COLUMNS[kind] if c != "source_file"]
    frame = pd.DataFrame(rows, columns=columns).astype({"source_row": "int64"})
    frame.insert(columns.index("source_row"), "source_file", str(file))
    for column in frame.columns:
        if column in _DATES:
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
        elif column in ("amount", "paid_amount"):
            frame[column] = frame[column].astype("float64")
        elif column in ("converted", "disqualified"):
            frame[column] = frame[column].astype("boolean")
        elif column != "source_row":
            frame[column] = frame[column].astype("object").where(frame[column].notna(), None)
    return frame


def check(export: CompanionExport, kind: str, crm: str, rows: list[tuple[object, ...]]) -> None:
    assert (export.kind, export.crm) == (kind, crm)
    pd.testing.assert_frame_equal(export.frame, expected(kind, export.source, rows))
    assert export.rows_read == export.rows_used + export.rows_quarantined + export.rows_skipped
    assert export.rows_quarantined == len(export.problems)


# --- north: Salesforce report labels, invoices from Odoo ----------------------------------


def test_salesforce_activities_report_with_a_blank_row_and_its_footer() -> None:
    export = read_companion(DATA / "sf_activities.csv")
    check(
        export,
        "activities",
        "salesforce",
        [
            ("00T1", "call", "Call", "2026-11-02", "Ann Lee", "0061", "Acme Corp", None, 2),
            ("00T2", "email", "Email", "2026-11-13", "Ann Lee", "0061", "Acme Corp", None, 3),
            ("00T3", "visit", "Visit", "2026-11-04", "Bo Chen", None, "Globex", None, 4),
        ],
    )
    assert export.date_format == "mdy"  # told by 11/13/2026
    assert export.skipped == {"blank row": 1, "report footer or total row": 1}
    assert (export.rows_read, export.rows_skipped, export.missing) == (5, 2, ("team",))


def test_salesforce_data_loader_activities_keep_ids_and_count_unknown_subtypes() -> None:
    export = read_companion(DATA / "sf_activities_api.csv")
    check(
        export,
        "activities",
        "salesforce",
        [
            ("00T1", "call", "Call", "2026-11-02", "005A", "0061", "0011", None, 2),
            ("00T2", "email", "ListEmail", "2026-11-03", "005B", None, "0012", None, 3),
        ],
    )
    assert export.unknown_types == {}


def test_salesforce_leads_converted_from_the_flag_not_the_status() -> None:
    # "Qualified" with Converted 0 is not converted; "Closed - Not Converted" is disqualified
    check(
        read_companion(DATA / "sf_leads.csv"),
        "leads",
        "salesforce",
        [
            ("00Q1", "2026-10-01", "Ann Lee", "Web", "Closed - Converted", True, "2026-10-20",
             "0061", False, None, None, 2),
            ("00Q2", "2026-10-02", "Ann Lee", "Trade Show", "Working - Contacted", False, None,
             None, False, None, None, 3),
            ("00Q3", "2026-10-03", "Bo Chen", "Web", "Closed - Not Converted", False, None, None,
             True, None, None, 4),
            ("00Q4", "2026-10-14", "Bo Chen", "Partner", "Qualified", False, None, None, False,
             None, None, 5),
        ],
    )  # fmt: skip


def test_odoo_invoices_paid_is_the_total_less_the_amount_due() -> None:
    export = read_companion(DATA / "odoo_invoices.csv")
    check(
        export,
        "invoices",
        "odoo",
        [
            ("INV/2026/0001", "Acme Corp", "0061", "2026-10-01", "2026-10-31", 12000.0, None,
             12000.0, None, "Ann Lee", None, 2),
            ("INV/2026/0002", "Globex", "0062", "2026-10-15", "2026-11-14", 5000.5, None,
             3000.25, None, "Bo Chen", None, 3),
            ("INV/2026/0003", "Initech", None, "2026-10-20", "2026-11-19", 800.0, None, 0.0,
             None, None, None, 4),
        ],
    )  # fmt: skip
    assert export.missing == ("currency", "paid_date", "team")


def test_odoo_activities_and_leads() -> None:
    check(
        read_companion(DATA / "odoo_activities.csv"),
        "activities",
        "odoo",
        [
            (None, "call", "Call", "2026-11-02", "Eva Roth", "42", "Wayne Industries", None, 2),
            (None, "meeting", "Meeting", "2026-11-16", "Eva Roth", "42", "Wayne Industries",
             None, 3),
            (None, "task", "To Do", "2026-11-05", "Finn Weber", None, "Stark AG", None, 4),
            (None, "task", "Upload Document", "2026-11-06", "Finn Weber", "43", "Stark AG",
             None, 5),
        ],
    )  # fmt: skip
    check(
        read_companion(DATA / "odoo_leads.csv"),
        "leads",
        "odoo",
        [
            ("11", "2026-10-01", "Eva Roth", "Website", "Qualified", True, None, None, False,
             None, None, 2),
            ("12", "2026-10-02", "Eva Roth", "Newsletter", "Lead", False, None, None, False,
             None, None, 3),
            ("13", "2026-10-03", "Finn Weber", "Website", "Lead", False, None, None, True,
             "Too expensive", None, 4),
        ],
    )  # fmt: skip


# --- west: HubSpot ----------------------------------------------------------------------


def test_hubspot_activities_leads_and_invoices() -> None:
    check(
        read_companion(DATA / "hubspot_activities.csv"),
        "activities",
        "hubspot",
        [
            ("9001", "meeting", "Meeting", "2026-11-02", "Cara Diaz", "7001", "Umbrella", None, 2),
            ("9002", "call", "Call", "2026-11-03", "Cara Diaz", None, "Umbrella", None, 3),
            ("9003", "email", "Email", "2026-11-05", "Dev Patel", "7002", None, None, 4),
        ],
    )
    # the lifecycle stage says converted; the lead status says unqualified
    check(
        read_companion(DATA / "hubspot_leads.csv"),
        "leads",
        "hubspot",
        [
            ("501", "2026-10-01", "Cara Diaz", "Organic Search", "In Progress", True, None,
             "7001", False, None, None, 2),
            ("502", "2026-10-02", "Cara Diaz", "Paid Social", "New", False, None, None, False,
             None, None, 3),
            ("503", "2026-10-05", "Dev Patel", "Paid Social", "Unqualified", False, None, None,
             True, None, None, 4),
            ("504", "2026-10-06", "Dev Patel", "Referrals", "Open", True, None, "7002", False,
             None, None, 5),
        ],
    )  # fmt: skip
    check(
        read_companion(DATA / "hubspot_invoices.csv"),
        "invoices",
        "hubspot",
        [
            ("INV-1001", "Umbrella", "7001", "2026-09-01", "2026-10-01", 9000.0, None, 9000.0,
             "2026-09-25", "Cara Diaz", None, 2),
            ("INV-1002", "Hooli", "7002", "2026-10-01", "2026-10-31", 4000.0, None, 2500.0,
             "2026-10-20", "Dev Patel", None, 3),
            ("INV-1003", "Hooli", None, "2026-10-10", "2026-11-09", 2500.0, None, 0.0, None,
             "Dev Patel", None, 4),
        ],
    )  # fmt: skip


# --- huadong: a Chinese CRM in GB18030 ------------------------------------------------------


def test_chinese_exports_in_gb18030() -> None:
    assert (DATA / "chinese_leads.csv").read_bytes().decode("gb18030").startswith("线索编号")
    activities = read_companion(DATA / "chinese_activities.csv")
    check(
        activities,
        "activities",
        "chinese",
        [
            ("GJ-01", "visit", "拜访", "2026-11-02", "王伟", "SJ-01", "华东重工", None, 2),
            ("GJ-02", "call", "电话", "2026-11-03", "王伟", None, "华东重工", None, 3),
            ("GJ-03", "meeting", "会议", "2026-11-04", "李娜", "SJ-02", "苏州精密", None, 4),
            ("GJ-04", "email", "邮件", "2026-11-05", "李娜", None, None, None, 5),
            ("GJ-05", "other", "其他", "2026-11-06", "李娜", None, "苏州精密", None, 6),
        ],
    )
    assert activities.skipped == {"report footer or total row": 1}  # 合计
    check(
        read_companion(DATA / "chinese_leads.csv"),
        "leads",
        "chinese",
        [
            ("XS-01", "2026-10-01", "王伟", "展会", "已转化", True, "2026-10-15", "SJ-01", False,
             None, None, 2),
            ("XS-02", "2026-10-02", "王伟", "官网", "跟进中", False, None, None, False, None,
             None, 3),
            ("XS-03", "2026-10-03", "李娜", "展会", "无效", False, None, None, True, "预算不足",
             None, 4),
            ("XS-04", "2026-10-04", "李娜", "转介绍", "待跟进", False, None, None, False, None,
             None, 5),
        ],
    )  # fmt: skip
    check(
        read_companion(DATA / "chinese_invoices.csv"),
        "invoices",
        "chinese",
        [
            ("FP-01", "华东重工", "SJ-01", "2026-09-01", "2026-10-01", 1_200_000.0, None,
             1_200_000.0, "2026-09-28", "王伟", None, 2),
            ("FP-02", "苏州精密", "SJ-02", "2026-10-01", "2026-10-31", 500_000.0, None,
             200_000.0, "2026-10-30", "李娜", None, 3),
            ("FP-03", "苏州精密", None, "2026-10-15", "2026-11-14", 80_000.0, None, 0.0, None,
             "李娜", None, 4),
        ],
    )  # fmt: skip


# --- dach: Dynamics 365, XLSX -----------------------------------------------------------------


def _xlsx(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_dynamics_exports_in_xlsx(tmp_path: Path) -> None:
    day = datetime.datetime
    activities = _xlsx(
        tmp_path / "dach-activities.xlsx",
        ["Activity Type", "Subject", "Owner", "Regarding", "Actual End", "Account"],
        [
            ["Phone Call", "Erstgespräch", "Lena Vogel", "OPP-1", day(2026, 11, 2, 10), "Bosch"],
            ["Appointment", "Termin", "Lena Vogel", None, day(2026, 11, 3), "Bosch"],
            ["Email", "Angebot", "Max Huber", "OPP-2", day(2026, 11, 4), None],
            ["Task", "Rückruf", "Max Huber", None, day(2026, 11, 5), "Siemens"],
        ],
    )
    check(
        read_companion(activities),
        "activities",
        "dynamics",
        [
            (None, "call", "Phone Call", "2026-11-02", "Lena Vogel", "OPP-1", "Bosch", None, 2),
            (None, "meeting", "Appointment", "2026-11-03", "Lena Vogel", None, "Bosch", None, 3),
            (None, "email", "Email", "2026-11-04", "Max Huber", "OPP-2", None, None, 4),
            (None, "task", "Task", "2026-11-05", "Max Huber", None, "Siemens", None, 5),
        ],
    )
    leads = _xlsx(
        tmp_path / "dach-leads.xlsx",
        ["Lead ID", "Created On", "Lead Source", "Owner", "Status Reason",
         "Qualifying Opportunity", "Topic"],
        [
            ["L-1", day(2026, 10, 1), "Web", "Lena Vogel", "Qualified", "OPP-1", "Presse"],
            ["L-2", day(2026, 10, 2), "Trade Show", "Lena Vogel", "New", None, "Fräse"],
            ["L-3", day(2026, 10, 3), "Web", "Max Huber", "No Longer Interested", None, "Laser"],
            ["L-4", day(2026, 10, 4), "Partner", "Max Huber", "Cannot Contact", None, "Robot"],
        ],
    )  # fmt: skip
    check(
        read_companion(leads),
        "leads",
        "dynamics",
        [
            ("L-1", "2026-10-01", "Lena Vogel", "Web", "Qualified", True, None, "OPP-1", False,
             None, None, 2),
            ("L-2", "2026-10-02", "Lena Vogel", "Trade Show", "New", False, None, None, False,
             None, None, 3),
            ("L-3", "2026-10-03", "Max Huber", "Web", "No Longer Interested", False, None, None,
             True, "No Longer Interested", None, 4),
            ("L-4", "2026-10-04", "Max Huber", "Partner", "Cannot Contact", False, None, None,
             True, "Cannot Contact", None, 5),
        ],
    )  # fmt: skip
    invoices = _xlsx(
        tmp_path / "dach-invoices.xlsx",
        ["Invoice ID", "Customer", "Opportunity", "Invoice Date", "Due Date", "Total Amount",
         "Amount Paid", "Date Paid", "Owner"],
        [
            ["R-1", "Bosch", "OPP-1", day(2026, 9, 1), day(2026, 10, 1), 12000, 12000,
             day(2026, 9, 30), "Lena Vogel"],
            ["R-2", "Siemens", None, day(2026, 10, 1), day(2026, 10, 31), 5000.5, None, None,
             "Max Huber"],
        ],
    )  # fmt: skip
    check(
        read_companion(invoices),
        "invoices",
        "dynamics",
        [
            ("R-1", "Bosch", "OPP-1", "2026-09-01", "2026-10-01", 12000.0, None, 12000.0,
             "2026-09-30", "Lena Vogel", None, 2),
            ("R-2", "Siemens", None, "2026-10-01", "2026-10-31", 5000.5, None, 0.0, None,
             "Max Huber", None, 3),
        ],
    )  # fmt: skip


# --- generic files, column maps, day/month order, title rows ---------------------------------


def test_a_generic_file_with_a_column_map() -> None:
    columns = {
        "invoice_id": "Inv No",
        "account": "Client",
        "invoice_date": "Billed On",
        "due_date": "Pay By",
        "amount": "Net",
        "paid_amount": "Received",
        "paid_date": "Received On",
    }
    export = read_companion(DATA / "generic_invoices_mapped.csv", column_map=columns)
    check(
        export,
        "invoices",
        "generic",
        [
            ("G-1", "Acme", None, "2026-10-01", "2026-10-31", 1000.0, None, 1000.0, "2026-10-20",
             None, None, 2),
            ("G-2", "Globex", None, "2026-10-05", "2026-11-04", 2000.0, None, 0.0, None, None,
             None, 3),
        ],
    )  # fmt: skip
    assert export.missing == ("deal_id", "currency", "owner", "team")


def test_day_first_dates_are_told_by_a_day_over_12_and_titles_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        "Activities report\n\nowner,activity_date,activity_type,team\n"
        "Ann,03/04/2026,Call,North\nAnn,25/04/2026,Meeting,North\n",
        encoding="utf-8-sig",
    )
    export = read_companion(path)
    assert export.date_format == "dmy"
    check(
        export,
        "activities",
        "generic",
        [
            (None, "call", "Call", "2026-04-03", "Ann", None, None, "North", 4),
            (None, "meeting", "Meeting", "2026-04-25", "Ann", None, None, "North", 5),
        ],
    )
    assert export.missing == ("activity_id", "deal_id", "account")


def test_a_generic_leads_file_with_yes_no_columns(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(
        "owner,created_date,converted,disqualified,disqualified_reason,lead_source,team\n"
        "Ann,2026-10-01,yes,no,,Web,North\n"
        "Ann,2026-10-02,no,yes,,Web,North\n"
        "Bo,2026-10-03,no,,No budget,Fair,North\n"
        "Bo,2026-10-04,no,perhaps,,Fair,North\n",
        encoding="utf-8",
    )
    export = read_companion(path)
    check(
        export,
        "leads",
        "generic",
        [
            (None, "2026-10-01", "Ann", "Web", None, True, None, None, False, None, "North", 2),
            (None, "2026-10-02", "Ann", "Web", None, False, None, None, True, None, "North", 3),
            (None, "2026-10-03", "Bo", "Fair", None, False, None, None, True, "No budget",
             "North", 4),
        ],
    )  # fmt: skip
    assert _problems(export) == [(5, "disqualified", "yes or no", "perhaps")]
    assert str(export.problems[0]) == (
        f"{path}, row 5, column 'disqualified': expected yes or no, got 'perhaps'. "
        "Hint: write yes or no (blank reads as no)"
    )
    assert export.missing == ("lead_id", "status", "converted_date", "deal_id")


# --- detection and words ----------------------------------------------------------------------

SAMPLE_HEADERS = {
    ("activities", "salesforce"): "Activity ID,Subject,Task Subtype,Date,Assigned,Opportunity ID,"
    "Account Name",
    ("leads", "salesforce"): "Lead ID,Create Date,Lead Source,Lead Owner,Lead Status,Converted,"
    "Converted Date,Converted Opportunity ID",
    ("invoices", "odoo"): "Number,Partner,Invoice/Bill Date,Due Date,Total,Amount Due,"
    "Payment Status,Salesperson,Source Document",
    ("activities", "hubspot"): "Activity ID,Activity date,Activity type,Activity assigned to,"
    "Associated Deal IDs,Associated Company",
    ("leads", "hubspot"): "Record ID,Create Date,Original Source,Contact owner,Lifecycle Stage,"
    "Lead Status,Associated Deal IDs",
    ("invoices", "hubspot"): "Invoice number,Invoice date,Due date,Amount billed,Balance due,"
    "Payment date,Associated Company,Associated Deal IDs,Invoice owner",
    ("activities", "chinese"): "跟进记录编号,跟进方式,跟进时间,跟进人,关联商机,客户名称",
    (
        "leads",
        "chinese",
    ): "线索编号,创建时间,线索来源,负责人,线索状态,是否转化,转化时间,关联商机,无效原因",
    (
        "invoices",
        "chinese",
    ): "发票编号,客户名称,关联商机,开票日期,到期日,开票金额,已回款金额,回款日期,负责人",
    ("activities", "dynamics"): "Activity Type,Subject,Owner,Regarding,Actual End,Account",
    ("leads", "dynamics"): "Lead ID,Created On,Lead Source,Owner,Status Reason,"
    "Qualifying Opportunity,Topic",
    ("invoices", "dynamics"): "Invoice ID,Customer,Opportunity,Invoice Date,Due Date,"
    "Total Amount,Amount Paid,Date Paid,Owner",
}


@pytest.mark.parametrize(("kind_crm", "header"), list(SAMPLE_HEADERS.items()))
def test_every_sample_header_is_detected(kind_crm: tuple[str, str], header: str) -> None:
    assert detect_companion(header.split(",")) == kind_crm
    assert detect_companion(header.upper().split(",")) == kind_crm  # case does not matter


def test_detection_names_the_closest_kind_when_a_column_is_missing() -> None:
    assert detect_companion(["Invoice date", "Amount billed", "Balance due"]) is None
    assert closest_companion_kind(["Invoice date", "Amount billed", "Balance due"]) == (
        "invoices",
        "hubspot",
    )
    assert closest_companion_kind(["Foo", "Bar"]) is None
    # a kind given restricts the choice
    header = ["owner", "activity_date", "created_date", "converted"]
    assert detect_companion(header, kinds=("leads",)) == ("leads", "generic")


def test_activity_type_words() -> None:
    words = ["Call", "Meeting", "Email", "Visit", "拜访", "电话", "会议", "邮件", "To Do",
             "Phone Call", "Appointment", "Task", "其他", "Webinar", None]  # fmt: skip
    assert activity_types(pd.Series(words)).tolist() == [
        "call", "meeting", "email", "visit", "visit", "call", "meeting", "email", "task",
        "call", "meeting", "task", "other", "other", "other",
    ]  # fmt: skip
    assert set(activity_types(pd.Series(words))) <= set(ACTIVITY_TYPES)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("Closed - Converted", "converted"),
        ("Closed - Not Converted", "disqualified"),
        ("Working - Contacted", None),
        ("Unqualified", "disqualified"),
        ("Opportunity", "converted"),
        ("customer", "converted"),
        ("Marketing Qualified Lead", None),
        ("Qualified", "converted"),
        ("Lost", "disqualified"),
        ("No Longer Interested", "disqualified"),
        ("已转化", "converted"),
        ("无效", "disqualified"),
        ("关闭", "disqualified"),
        ("跟进中", None),
    ],
)
def test_lead_status_words(status: str, outcome: str | None) -> None:
    assert status_outcome(status) == outcome


# --- quarantine: every reason, with file, row and column ------------------------------------


def _problems(export: CompanionExport) -> list[tuple[int | None, str | None, str, str]]:
    return [(p.row, p.column, p.expected, p.got) for p in export.problems]


_MDY = "a date such as 2026-11-23 (month first, 12/31/2026, as this file's other dates)"


def test_activity_rows_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "act.csv"
    path.write_text(
        SAMPLE_HEADERS["activities", "salesforce"] + "\n"
        "00T1,Intro,Call,11/2/2026,Ann Lee,0061,Acme\n"
        "00T2,Intro,Call,,Ann Lee,0061,Acme\n"
        "00T3,Intro,Call,someday,Ann Lee,0061,Acme\n"
        "00T4,Intro,Call,11/4/2026,,0061,Acme\n"
        "00T5,Intro,Call,11/5/2026,Ann Lee,0061,Acme,Ltd\n",
        encoding="utf-8",
    )
    export = read_companion(path)
    assert (export.rows_read, export.rows_used, export.rows_quarantined) == (5, 1, 4)
    assert _problems(export) == [
        (3, "Date", "the activity's date (a date)", ""),
        (4, "Date", f"the activity's date: {_MDY}", "someday"),
        (5, "Assigned", "the rep who did the activity (owner)", ""),
        (6, None, "7 fields separated by commas like the header", "8 fields"),
    ]
    assert str(export.problems[0]) == (
        f"{path}, row 3, column 'Date': expected the activity's date (a date). "
        "Hint: fill in the date in the CRM and export again, or leave the row out"
    )
    assert str(export.problems[2]) == (
        f"{path}, row 5, column 'Assigned': expected the rep who did the activity (owner). "
        "Hint: assign the activity to a rep in the CRM and export again"
    )


def test_lead_rows_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(
        SAMPLE_HEADERS["leads", "salesforce"] + "\n"
        "00Q1,10/1/2026,Web,Ann Lee,Qualified,0,,\n"
        "00Q2,10/2/2026,Web,Ann Lee,Qualified,maybe,,\n"
        "00Q3,10/3/2026,Web,Ann Lee,Closed - Converted,1,soon,0061\n"
        "00Q4,,Web,Ann Lee,Qualified,0,,\n"
        "00Q5,10/5/2026,Web,,Qualified,0,,\n",
        encoding="utf-8",
    )
    export = read_companion(path)
    assert _problems(export) == [
        (3, "Converted", "whether the lead was converted: yes or no (1/0, true/false, 是/否)",
         "maybe"),
        (4, "Converted Date", f"the date converted: {_MDY}", "soon"),
        (5, "Create Date", "the date the lead was created (a date)", ""),
        (6, "Lead Owner", "the rep who owns the lead (owner)", ""),
    ]  # fmt: skip
    assert export.frame["lead_id"].tolist() == ["00Q1"]
    assert [str(p) for p in export.problems] == [
        f"{path}, row 3, column 'Converted': expected whether the lead was converted: yes or "
        "no (1/0, true/false, 是/否), got 'maybe'. Hint: write yes or no (a blank cell reads "
        "as no)",
        f"{path}, row 4, column 'Converted Date': expected the date converted: {_MDY}, got "
        "'soon'. Hint: correct the date in the CRM and export again",
        f"{path}, row 5, column 'Create Date': expected the date the lead was created (a "
        "date). Hint: fill in the date in the CRM and export again, or leave the row out",
        f"{path}, row 6, column 'Lead Owner': expected the rep who owns the lead (owner). "
        "Hint: assign the lead to a rep in the CRM and export again",
    ]


def test_invoice_rows_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "inv.csv"
    good = "2026-10-01,2026-10-31,1000,0,,Acme,,Ann"
    path.write_text(
        SAMPLE_HEADERS["invoices", "hubspot"] + "\n"
        "INV-1,2026-10-01,2026-10-31,1000,250,2026-10-20,Acme,,Ann\n"
        "INV-2,,2026-10-31,1000,0,,Acme,,Ann\n"
        "INV-3,2026-13-45,2026-10-31,1000,0,,Acme,,Ann\n"
        "INV-4,2026-10-01,,1000,0,,Acme,,Ann\n"
        "INV-5,2026-10-01,2026-10-31,,0,,Acme,,Ann\n"
        "INV-6,2026-10-01,2026-10-31,lots,0,,Acme,,Ann\n"
        "INV-7,2026-10-01,2026-10-31,-500,0,,Acme,,Ann\n"
        "INV-8,2026-10-01,2026-10-31,1000,0,,,,Ann\n"
        "INV-9,2026-10-01,2026-09-30,1000,0,,Acme,,Ann\n"
        "INV-10,2026-10-01,2026-10-31,1000,some,,Acme,,Ann\n"
        "INV-11,2026-10-01,2026-10-31,1000,0,paid,Acme,,Ann\n"
        f"INV-12,{good}\n",
        encoding="utf-8",
    )
    export = read_companion(path)
    assert _problems(export) == [
        (3, "Invoice date", "the invoice date (a date)", ""),
        (4, "Invoice date", f"the invoice date: {_MDY}", "2026-13-45"),
        (5, "Due date", "the due date (a date)", ""),
        (6, "Amount billed", "the invoiced amount (an amount)", ""),
        (7, "Amount billed", "the invoiced amount: an amount such as 12,000.00", "lots"),
        (8, "Amount billed", "an invoiced amount of 0 or more", "-500"),
        (9, "Associated Company", "the invoice's customer (account) or deal", ""),
        (10, "Due date", "a due date on or after the invoice date", "2026-09-30"),
        (11, "Balance due", "the amount still owed: an amount such as 12,000.00", "some"),
        (12, "Payment date", f"the payment date: {_MDY}", "paid"),
    ]
    assert export.frame["invoice_id"].tolist() == ["INV-1", "INV-12"]
    assert export.frame["paid_amount"].tolist() == [750.0, 1000.0]
    assert str(export.problems[5]) == (
        f"{path}, row 8, column 'Amount billed': expected an invoiced amount of 0 or more, "
        "got '-500'. Hint: credit notes and refunds are no invoices: leave them out of the export"
    )


# --- refusals ---------------------------------------------------------------------------------


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_header_of_no_known_export_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "Foo,Bar,Baz\n1,2,3\n")
    with pytest.raises(InputError) as caught:
        read_companion(path)
    assert str(caught.value).startswith(
        f"{path}: the header (row 1) is no activities, leads or invoices export pipereview "
        "knows: found ['Foo', 'Bar', 'Baz']"
    )
    assert "--map activity_date=<header>" in (caught.value.hint or "")


def test_a_missing_column_is_named_with_the_map_fix(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "Invoice number,Invoice date,Amount billed,Balance due,Associated Company\n"
    )
    with pytest.raises(InputError) as caught:
        read_companion(path)
    error = caught.value
    assert str(error).startswith(
        f"{path}: the header (row 1) looks like invoices (hubspot headers) but has no column "
        "for due_date (one of ['Due date']); found ['Invoice number', 'Invoice date', "
        "'Amount billed', 'Balance due', 'Associated Company']"
    )
    assert (error.row, error.column) == (1, "Due date")
    assert error.hint == (
        "add the column to the export, or name yours with --map due_date=<header> "
        "(docs/companion-exports.md)"
    )
    path = _write(tmp_path, "Lead ID,Create Date,Lead Owner,Lead Source\n")
    with pytest.raises(
        InputError, match=r"converted \(one of \['IsConverted', 'Converted'\] or a status column\)"
    ):
        read_companion(path)


def test_refused_kinds_and_maps(tmp_path: Path) -> None:
    path = DATA / "generic_activities.csv"
    with pytest.raises(InputError, match="unknown companion export kind 'deals'"):
        read_companion(path, kind="deals")
    with pytest.raises(
        InputError, match="'amount' is no column of activities exports; known: activity_id, "
    ):
        read_companion(path, column_map={"amount": "owner"})
    with pytest.raises(InputError, match="no column 'Rep' in the header"):
        read_companion(path, column_map={"owner": "Rep"})
    with pytest.raises(InputError, match="looks like leads"):
        read_companion(path, kind="leads")


def test_a_named_kind_keeps_the_crm_and_an_unknown_header_reads_as_that_kinds_generic_file(
    tmp_path: Path,
) -> None:
    # the header a CRM's leads export has: named as leads, still read as that CRM's
    assert read_companion(DATA / "sf_leads.csv", kind="leads").crm == "salesforce"
    # a header no format knows: told the kind, the generic file's columns are asked for
    # by name; not told, it is no export pipereview knows
    path = _write(tmp_path, "Foo,Bar\n1,2\n")
    with pytest.raises(InputError) as named:
        read_companion(path, kind="activities")
    assert str(named.value).startswith(
        f"{path}: the header (row 1) looks like activities (generic headers) but has no "
        "column for activity_date"
    )
    with pytest.raises(InputError) as unnamed:
        read_companion(path)
    assert str(unnamed.value).startswith(
        f"{path}: the header (row 1) is no activities, leads or invoices export pipereview "
        "knows: found ['Foo', 'Bar']"
    )


def test_a_file_with_no_usable_row_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "owner,activity_date\n,\nAnn,someday\nTotal,\n")
    with pytest.raises(InputError) as caught:
        read_companion(path)
    assert str(caught.value).startswith(
        f"{path}: no usable row in 3 rows below the header (row 1): 1 quarantined, skipped: "
        f"1 blank row; 1 report footer or total row; first problem: {path}, row 3, column "
        "'activity_date'"
    )
    assert len(caught.value.problems) == 1


# --- row accounting on generated files ---------------------------------------------------------

_ROW = st.sampled_from(["good", "blank", "footer", "bad date", "bad amount", "no owner"])


@settings(max_examples=examples(40), deadline=None, derandomize=True)
@given(st.lists(_ROW, min_size=1, max_size=25))
def test_every_row_is_used_quarantined_or_skipped(kinds: list[str]) -> None:
    kinds = ["good", *kinds]
    cells = {
        "good": "I-{n},Acme,2026-10-01,2026-10-31,1000,Ann",
        "blank": ",,,,,",
        "footer": "Total,,,,{n}000,",
        "bad date": "I-{n},Acme,someday,2026-10-31,1000,Ann",
        "bad amount": "I-{n},Acme,2026-10-01,2026-10-31,lots,Ann",
        "no owner": "I-{n},Acme,2026-10-01,2026-10-31,1000,",
    }
    lines = [cells[k].format(n=n) for n, k in enumerate(kinds)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "inv.csv"
        header = "invoice_id,account,invoice_date,due_date,amount,owner\n"
        path.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
        export = read_companion(path)
    assert export.rows_read == len(kinds)
    assert export.rows_read == export.rows_used + export.rows_quarantined + export.rows_skipped
    assert export.rows_used == kinds.count("good") + kinds.count("no owner")  # owner optional
    assert export.rows_quarantined == kinds.count("bad date") + kinds.count("bad amount")
    assert export.rows_skipped == kinds.count("blank") + kinds.count("footer")
    rows = sorted([*export.frame["source_row"], *(p.row for p in export.problems)])
    assert len(set(rows)) == len(rows) == export.rows_used + export.rows_quarantined


# --- exports of other shapes: one type per file, a finance system's list, no payments ----


def test_an_export_of_one_activity_type_says_it_in_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "meetings.csv"
    path.write_text(
        "Record ID,Meeting name,Activity date,Activity assigned to,Associated Deal\n"
        "1,Kickoff,2026-11-16 10:00,Ann Lee,101\n2,Review,2026-11-17 10:00,Bo Chen,\n",
        encoding="utf-8",
    )
    export = read_companion(path)
    assert export.frame["activity_type"].tolist() == ["meeting", "meeting"]
    assert "activity_type" in export.missing  # no type column: the header told it


def test_a_finance_systems_invoice_list_reads_its_balance(tmp_path: Path) -> None:
    path = tmp_path / "invoices.csv"
    path.write_text(
        "Invoice Number,Customer,Invoice Date,Due Date,Total,Balance\n"
        "1001,Acme,2026-09-01,2026-10-01,1000.00,400.00\n"
        "1002,Bolt,2026-10-01,2026-10-31,500.00,0.00\n",
        encoding="utf-8",
    )
    frame = read_companion(path).frame
    assert frame["invoice_id"].tolist() == ["1001", "1002"]
    assert frame["paid_amount"].tolist() == [600.0, 500.0]  # total less what is still owed


def test_invoices_without_payments_are_never_read_as_unpaid(tmp_path: Path) -> None:
    from pipereview.diagnostics import CompanionFigures
    from pipereview.history import Companions

    path = tmp_path / "invoices.csv"
    path.write_text(
        "Invoice Number,Customer,Invoice Date,Due Date,Total\n"
        "1001,Acme,2026-09-01,2026-10-01,1000.00\n",
        encoding="utf-8",
    )
    export = read_companion(path)
    assert export.frame["paid_amount"].isna().all()  # not known, never 0
    invoices = export.frame.assign(team="North")
    figures = CompanionFigures(Companions(invoices=invoices), None, "2026-W47")
    assert not figures.payments_known
    assert figures.overdue is None and figures.collection_team is None and figures.dso is None
    assert figures.lifecycle is not None  # the revenue is known: the lifecycle still reads
