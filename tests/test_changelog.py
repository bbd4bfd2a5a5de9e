"""History exports -> the canonical change log: every format's exact changes, row
accounting, detection, error messages, Data Loader's upper-case headers, GB18030, XLSX,
report footers and Salesforce IDs kept as written."""

from __future__ import annotations

import datetime
import random
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
    CHANGE_COLUMNS,
    CHANGE_FIELDS,
    ChangeLog,
    detect_history_format,
    parse_timestamps,
    read_change_history,
)
from pipereview.ingest._changerows import as_written
from pipereview.ingest._dates import DateFormat
from pipereview.ingest._limits import ReadLimits

HISTORY = Path(__file__).parent / "data" / "history"
T = pd.Timestamp


def rows(log: ChangeLog) -> list[tuple[object, ...]]:
    """The changes as (deal, field, old, new, moment, row) tuples."""
    frame = log.changes
    return [
        (d, f, o, n, str(t), r)
        for d, f, o, n, t, r in zip(
            frame["deal_id"],
            frame["field"],
            frame["old_value"],
            frame["new_value"],
            frame["changed_at"],
            frame["source_row"],
            strict=True,
        )
    ]


def counts(log: ChangeLog) -> tuple[int, int, int, int]:
    return log.rows_read, log.rows_used, log.rows_quarantined, log.rows_skipped


def write(tmp_path: Path, text: str, name: str = "history.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# --- Salesforce OpportunityHistory ----------------------------------------------------------

OPPORTUNITY_HISTORY = [
    ("006Dn000004XyZa", "stage", None, "Qualification", "2026-03-03 14:00:00", 5),
    ("006Dn000004XyZa", "amount", None, "8000", "2026-03-03 14:00:00", 5),
    ("006Dn000004XyZa", "close_date", None, "2026-06-30", "2026-03-03 14:00:00", 5),
    ("006Dn000004XyZa", "probability", None, "20", "2026-03-03 14:00:00", 5),
    ("006Dn000004XyZa", "forecast_category", None, "Pipeline", "2026-03-03 14:00:00", 5),
    ("006Dn000004XyZaIAK", "stage", None, "Prospecting", "2026-03-02 09:15:00", 2),
    ("006Dn000004XyZaIAK", "amount", None, "12000", "2026-03-02 09:15:00", 2),
    ("006Dn000004XyZaIAK", "close_date", None, "2026-04-30", "2026-03-02 09:15:00", 2),
    ("006Dn000004XyZaIAK", "probability", None, "10", "2026-03-02 09:15:00", 2),
    ("006Dn000004XyZaIAK", "forecast_category", None, "Pipeline", "2026-03-02 09:15:00", 2),
    (
        "006Dn000004XyZaIAK",
        "stage",
        "Prospecting",
        "Proposal/Price Quote",
        "2026-03-09 10:00:00",
        3,
    ),
    ("006Dn000004XyZaIAK", "probability", "10", "75", "2026-03-09 10:00:00", 3),
    ("006Dn000004XyZaIAK", "forecast_category", "Pipeline", "BestCase", "2026-03-09 10:00:00", 3),
    ("006Dn000004XyZaIAK", "amount", "12000", "15000", "2026-03-16 08:30:00", 4),
    ("006Dn000004XyZaIAK", "close_date", "2026-04-30", "2026-05-29", "2026-03-16 08:30:00", 4),
]


@pytest.mark.parametrize("name", ["sf_opportunity_history.csv", "sf_opportunity_history_upper.csv"])
def test_opportunity_history_rows_become_the_fields_that_changed(name: str) -> None:
    """Each row is the state after a change; UTC times; IsDeleted rows and rows where only
    ExpectedRevenue moved are skipped; the 15- and 18-character IDs stay as written."""
    log = read_change_history(HISTORY / name)
    assert log.format == "salesforce_opportunity_history"
    assert log.date_format == "iso"
    assert rows(log) == OPPORTUNITY_HISTORY
    assert counts(log) == (6, 4, 0, 2)
    assert log.skipped == {"deleted in the CRM (IsDeleted)": 1, "no tracked field changed": 1}
    assert log.problems == ()
    assert list(log.changes.columns) == list(CHANGE_COLUMNS)
    assert set(log.changes["source_file"]) == {str(HISTORY / name)}


def test_opportunity_history_orders_rows_by_created_date_not_file_order(tmp_path: Path) -> None:
    text = (
        "OpportunityId,CreatedDate,StageName,Amount\n"
        "006A,2026-03-09T10:00:00.000Z,Proposal,5000\n"
        "006A,2026-03-02T09:00:00.000Z,Prospecting,5000\n"
    )
    log = read_change_history(write(tmp_path, text))
    assert rows(log) == [
        ("006A", "stage", None, "Prospecting", "2026-03-02 09:00:00", 3),
        ("006A", "amount", None, "5000", "2026-03-02 09:00:00", 3),
        ("006A", "stage", "Prospecting", "Proposal", "2026-03-09 10:00:00", 2),
    ]


def test_opportunity_history_report_in_us_locale_with_a_total_row() -> None:
    log = read_change_history(HISTORY / "sf_opportunity_history_report.csv")
    assert (log.format, log.date_format) == ("salesforce_opportunity_history", "mdy")
    deal = "006Dn000004AbCd"
    assert rows(log) == [
        (deal, "stage", None, "Prospecting", "2026-03-02 09:15:00", 2),
        (deal, "amount", None, "$20,000.00", "2026-03-02 09:15:00", 2),
        (deal, "close_date", None, "3/31/2026", "2026-03-02 09:15:00", 2),
        (deal, "probability", None, "10%", "2026-03-02 09:15:00", 2),
        (deal, "stage", "Prospecting", "Negotiation/Review", "2026-03-16 14:05:00", 3),
        (deal, "probability", "10%", "90%", "2026-03-16 14:05:00", 3),
        (deal, "amount", "$20,000.00", "$18,500.00", "2026-03-17 10:00:00", 4),
        (deal, "close_date", "3/31/2026", "4/30/2026", "2026-03-17 10:00:00", 4),
    ]
    assert counts(log) == (4, 3, 0, 1)
    assert log.skipped == {"report footer or total row": 1}


# --- Salesforce field history ---------------------------------------------------------------


def test_field_history_keeps_the_owner_name_and_skips_its_id_row() -> None:
    log = read_change_history(HISTORY / "sf_field_history.csv")
    assert (log.format, log.date_format) == ("salesforce_field_history", "iso")
    long_id = "006Dn000004XyZaIAK"
    assert rows(log) == [
        (
            "006Dn000004XyZa",
            "deal_name",
            "Globex pilot",
            "Globex rollout",
            "2026-03-13 12:00:00",
            10,
        ),
        (long_id, "stage", "Prospecting", "Proposal/Price Quote", "2026-03-09 10:00:00", 3),
        (long_id, "forecast_category", "Pipeline", "Best Case", "2026-03-09 10:00:00", 4),
        (long_id, "owner", "Ann Lee", "Bo Chen", "2026-03-11 16:45:00", 6),
        (long_id, "amount", "12000", "15000", "2026-03-16 08:30:00", 8),
        (long_id, "close_date", "2026-04-30", "2026-05-29", "2026-03-16 08:30:00", 9),
    ]
    assert counts(log) == (9, 6, 0, 3)
    assert log.skipped == {
        "created event": 1,
        "owner written as a user ID (the name row is kept)": 1,
        "field not tracked (Description)": 1,
    }


def test_field_history_report_with_day_first_dates_and_salesforce_footer() -> None:
    """The report's blank line, Grand Totals, copyright, confidentiality, 'Generated By' and
    company lines are footers; dates with a day over 12 make the file day-first."""
    log = read_change_history(HISTORY / "sf_field_history_report.csv")
    assert (log.format, log.date_format) == ("salesforce_field_history", "dmy")
    assert rows(log) == [
        ("006Dn000004AbCd", "stage", "Prospecting", "Negotiation/Review", "2026-03-16 14:05:00", 3),
        ("006Dn000004AbCd", "amount", "€20,000.00", "€18,500.00", "2026-03-16 14:05:00", 4),
        ("006Dn000004AbCd", "close_date", "31/03/2026", "30/04/2026", "2026-03-17 10:00:00", 5),
        ("006Dn000004EfGh", "owner", "Ann Lee", "Bo Chen", "2026-03-18 11:30:00", 6),
    ]
    assert counts(log) == (13, 4, 0, 9)
    assert log.skipped == {
        "report footer or total row": 5,
        "blank row": 2,
        "created event": 1,
        "field not tracked (Next Step)": 1,
    }


def test_owner_ids_without_a_datatype_column_are_told_by_their_shape(tmp_path: Path) -> None:
    text = (
        "OpportunityId,CreatedDate,Field,OldValue,NewValue\n"
        "006A,2026-03-11T16:45:00.000Z,Owner,005Dn000000QrStIAK,005Dn000000UvWx\n"
        "006A,2026-03-11T16:45:00.000Z,Owner,Ann Lee,Bo Chen\n"
    )
    log = read_change_history(write(tmp_path, text))
    assert rows(log) == [("006A", "owner", "Ann Lee", "Bo Chen", "2026-03-11 16:45:00", 3)]
    assert log.skipped == {"owner written as a user ID (the name row is kept)": 1}


# --- HubSpot ----------------------------------------------------------------------------------


def test_hubspot_date_entered_columns_become_stage_changes() -> None:
    log = read_change_history(HISTORY / "hubspot_date_entered.csv")
    assert (log.format, log.date_format) == ("hubspot_date_entered", "iso")
    assert rows(log) == [
        ("9871234501", "stage", None, "Appointment Scheduled", "2026-03-02 09:15:00", 2),
        ("9871234501", "stage", None, "Qualified To Buy", "2026-03-05 11:00:00", 2),
        ("9871234502", "stage", None, "Appointment Scheduled", "2026-02-20 08:00:00", 3),
        ("9871234502", "stage", None, "Qualified To Buy", "2026-03-01 10:00:00", 3),
        ("9871234502", "stage", None, "Closed Won", "2026-03-10 16:30:00", 3),
    ]
    assert counts(log) == (3, 2, 0, 1)
    assert log.skipped == {"no stage dates": 1}


def test_hubspot_date_entered_columns_in_a_day_first_locale(tmp_path: Path) -> None:
    # 20/02/2026 can only be day first: 02/03/2026 is then the 2nd of March, not 3 February
    text = (HISTORY / "hubspot_date_entered.csv").read_text(encoding="utf-8")
    text = text.replace("2026-03-02 09:15", "02/03/2026 09:15")
    text = text.replace("2026-02-20 08:00", "20/02/2026 08:00")
    log = read_change_history(write(tmp_path, text, "hubspot.csv"))
    assert (log.format, log.date_format) == ("hubspot_date_entered", "dmy")
    assert rows(log)[:3] == [
        ("9871234501", "stage", None, "Appointment Scheduled", "2026-03-02 09:15:00", 2),
        ("9871234501", "stage", None, "Qualified To Buy", "2026-03-05 11:00:00", 2),
        ("9871234502", "stage", None, "Appointment Scheduled", "2026-02-20 08:00:00", 3),
    ]


def test_hubspot_property_history_in_the_generic_layout() -> None:
    log = read_change_history(HISTORY / "hubspot_property_history.csv")
    assert log.format == "hubspot_property_history"
    assert rows(log) == [
        ("9871234501", "stage", "appointmentscheduled", "qualifiedtobuy", "2026-03-05 11:00:00", 2),
        ("9871234501", "amount", "4000", "5000", "2026-03-06 09:00:00", 3),
        ("9871234501", "owner", "31415926", "27182818", "2026-03-07 10:00:00", 4),
    ]
    assert log.skipped == {"field not tracked (hs_lastmodifieddate)": 1}


def test_hubspot_api_history_of_new_values_gets_old_values_from_the_change_before(
    tmp_path: Path,
) -> None:
    text = (
        "hs_object_id,property,value,timestamp\n"
        "77,dealstage,closedwon,1773137400000\n"
        "77,dealstage,appointmentscheduled,1772442900000\n"
        "77,dealstage,qualifiedtobuy,1772708400000\n"
    )
    log = read_change_history(write(tmp_path, text))
    assert log.format == "hubspot_property_history"
    assert rows(log) == [
        ("77", "stage", None, "appointmentscheduled", "2026-03-02 09:15:00", 3),
        ("77", "stage", "appointmentscheduled", "qualifiedtobuy", "2026-03-05 11:00:00", 4),
        ("77", "stage", "qualifiedtobuy", "closedwon", "2026-03-10 10:10:00", 2),
    ]


# --- Odoo -------------------------------------------------------------------------------------


def test_odoo_tracking_values_read_from_the_column_of_their_type() -> None:
    log = read_change_history(HISTORY / "odoo_tracking.csv")
    assert (log.format, log.date_format) == ("odoo_tracking", "iso")
    assert rows(log) == [
        ("42", "stage", "New", "Qualified", "2026-03-02 09:15:00", 2),
        ("42", "amount", "10000.0", "12500.0", "2026-03-04 10:00:00", 3),
        (
            "42",
            "close_date",
            "2026-03-31 00:00:00",
            "2026-04-15 00:00:00",
            "2026-03-05 11:30:00",
            4,
        ),
        ("42", "owner", "Mitchell Admin", "Marc Demo", "2026-03-06 08:00:00", 5),
        ("43", "stage", "New", "Won", "2026-03-07 12:00:00", 7),
    ]
    assert counts(log) == (7, 5, 0, 2)
    assert log.skipped == {
        "field not tracked (Tags)": 1,
        "another kind of record than a lead or opportunity": 1,
    }


def test_odoo_technical_field_names_and_labels_with_the_model(tmp_path: Path) -> None:
    text = (
        "field_id,old_value_char,new_value_char,old_value_float,new_value_float,"
        "mail_message_id/res_id,create_date\n"
        "stage_id,New,Qualified,0.0,0.0,9,2026-03-02 09:15:00\n"
        "Expected Revenue (crm.lead),,,0.0,800.0,9,2026-03-03 09:15:00\n"
    )
    log = read_change_history(write(tmp_path, text))
    assert log.format == "odoo_tracking"
    assert rows(log) == [
        ("9", "stage", "New", "Qualified", "2026-03-02 09:15:00", 2),
        ("9", "amount", "0.0", "800.0", "2026-03-03 09:15:00", 3),
    ]


# --- generic ----------------------------------------------------------------------------------


def test_generic_file_with_canonical_and_crm_field_names() -> None:
    log = read_change_history(HISTORY / "generic.csv")
    assert (log.format, log.date_format) == ("generic", "iso")
    assert rows(log) == [
        ("D-1", "stage", "Qualify", "Propose", "2026-03-02 09:15:00", 2),
        ("D-1", "amount", None, "12000", "2026-03-02 09:15:00", 3),
        ("D-1", "close_date", "2026-03-31", "2026-04-30", "2026-03-05 00:00:00", 6),
        ("D-2", "stage", "Propose", "Negotiate", "2026-03-04 08:00:00", 5),
    ]
    assert counts(log) == (5, 4, 0, 1)


def test_generic_file_with_a_column_map_deleted_and_merged(tmp_path: Path) -> None:
    text = (
        "Deal,What,Before,After,When\n"
        "D-9,deleted,,yes,2026-03-06 10:00\n"
        "D-8,merged_into,,D-1,2026-03-06 10:00\n"
    )
    mapping = {"deal_id": "Deal", "field": "What", "old_value": "Before"}
    mapping |= {"new_value": "After", "changed_at": "When"}
    log = read_change_history(write(tmp_path, text), format="generic", column_map=mapping)
    assert rows(log) == [
        ("D-8", "merged_into", None, "D-1", "2026-03-06 10:00:00", 3),
        ("D-9", "deleted", None, "true", "2026-03-06 10:00:00", 2),
    ]


def test_same_deal_field_and_moment_keep_their_file_order(tmp_path: Path) -> None:
    text = (
        "deal_id,field,old_value,new_value,changed_at\n"
        "D-1,stage,B,C,2026-03-02 09:00\n"
        "D-1,stage,A,B,2026-03-02 09:00\n"
        "D-0,amount,,1,2026-03-03 09:00\n"
    )
    log = read_change_history(write(tmp_path, text))
    assert [(d, o, n, r) for d, _, o, n, _, r in rows(log)] == [
        ("D-0", None, "1", 4),
        ("D-1", "B", "C", 2),
        ("D-1", "A", "B", 3),
    ]


def test_changes_frame_types() -> None:
    changes = read_change_history(HISTORY / "generic.csv").changes
    assert str(changes["changed_at"].dtype) == "datetime64[ns]"
    assert str(changes["source_row"].dtype) == "int64"
    assert changes["old_value"].dtype == object and changes["new_value"].dtype == object
    assert set(changes["field"]) <= set(CHANGE_FIELDS)


# --- encodings, XLSX, title rows --------------------------------------------------------------


def test_gb18030_csv(tmp_path: Path) -> None:
    text = (
        "deal_id,field,old_value,new_value,changed_at\n"
        "商机-7,stage,初步接洽,需求确认,2026年3月2日 9:15\n"
        "商机-7,owner,张伟,李娜,2026-03-04 下午 2:30\n"
    )
    log = read_change_history(write(tmp_path, text, encoding="gb18030"))
    assert rows(log) == [
        ("商机-7", "stage", "初步接洽", "需求确认", "2026-03-02 09:15:00", 2),
        ("商机-7", "owner", "张伟", "李娜", "2026-03-04 14:30:00", 3),
    ]


def test_xlsx_with_real_dates_and_numbers_and_a_title_row(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Opportunity Field History Report"])
    sheet.append(["Opportunity ID", "Field / Event", "Old Value", "New Value", "Edit Date"])
    sheet.append(["006A", "Amount", 12000, 15000.5, datetime.datetime(2026, 3, 16, 8, 30)])
    sheet.append(
        ["006A", "Close Date", "2026-04-30", datetime.datetime(2026, 5, 29), "3/17/2026 10:00 AM"]
    )
    path = tmp_path / "history.xlsx"
    book.save(path)
    log = read_change_history(path)
    assert log.format == "salesforce_field_history"
    assert rows(log) == [
        ("006A", "amount", "12000", "15000.5", "2026-03-16 08:30:00", 3),
        ("006A", "close_date", "2026-04-30", "2026-05-29", "2026-03-17 10:00:00", 4),
    ]
    assert counts(log) == (2, 2, 0, 0)


# --- bad rows and bad files -------------------------------------------------------------------


def test_bad_rows_are_quarantined_with_file_row_column_and_hint(tmp_path: Path) -> None:
    text = (
        "deal_id,field,old_value,new_value,changed_at\n"
        ",stage,A,B,2026-03-02\n"
        "D-1,stage,A,B,next tuesday\n"
        "D-1,,A,B,2026-03-02\n"
        "D-1,stage,A,B,2026-03-02\n"
    )
    path = write(tmp_path, text)
    log = read_change_history(path)
    assert counts(log) == (4, 1, 3, 0)
    assert [(p.row, p.column, p.expected, p.got) for p in log.problems] == [
        (2, "deal_id", "a deal ID", ""),
        (3, "changed_at", "the date and time of the change", "next tuesday"),
        (4, "field", "the name of the changed field", ""),
    ]
    assert str(log.problems[1]) == (
        f"{path}, row 3, column 'changed_at': expected the date and time of the change, got "
        "'next tuesday'. Hint: write the moment as the CRM exports it (2026-03-02T09:15:00Z, "
        "2026-03-02 09:15, 3/2/2026 9:15 AM); a report writes dates in the exporting "
        "user's locale"
    )
    assert "Opportunity ID" in log.problems[0].hint


def test_a_bad_stage_date_quarantines_the_hubspot_row(tmp_path: Path) -> None:
    text = (
        'Record ID,Date entered "Won (Sales)",Date entered "Lost (Sales)"\n1,2026-03-02,\n2,soon,\n'
    )
    log = read_change_history(write(tmp_path, text))
    assert rows(log) == [("1", "stage", None, "Won", "2026-03-02 00:00:00", 2)]
    assert [(p.row, p.column, p.got) for p in log.problems] == [
        (3, 'Date entered "Won (Sales)"', "soon")
    ]


def test_unknown_header_names_file_headers_and_formats(tmp_path: Path) -> None:
    path = write(tmp_path, "Deal,Note\n1,hello\n")
    with pytest.raises(InputError) as caught:
        read_change_history(path)
    message = str(caught.value)
    assert (
        f"{path}: the header (row 1) is no history export pipereview knows: found ['Deal', 'Note']"
        in message
    )
    assert "salesforce_opportunity_history, salesforce_field_history, odoo_tracking" in message
    assert caught.value.hint.startswith("name the format with --format")
    assert "--format generic --map deal_id=<header>" in caught.value.hint
    assert caught.value.file == str(path)
    assert caught.value.row == 1  # the header's row, where the user looks


def test_a_missing_column_of_the_named_format(tmp_path: Path) -> None:
    path = write(tmp_path, "deal_id,field,new_value\n1,stage,A\n")
    with pytest.raises(InputError) as caught:
        read_change_history(path, format="generic")
    assert "has no column for changed_at (one of ['changed_at', 'Changed At'" in str(caught.value)
    assert caught.value.row == 1
    assert (
        caught.value.hint
        == "add the column to the export, or name yours with --map changed_at=<header>"
    )


def test_a_map_to_a_column_the_file_lacks(tmp_path: Path) -> None:
    path = write(tmp_path, "deal_id,field,new_value,changed_at\n1,stage,A,2026-03-02\n")
    with pytest.raises(InputError) as caught:
        read_change_history(path, column_map={"changed_at": "When"})
    assert str(caught.value).startswith(
        f"{path}: --map changed_at=When: no column 'When' in the header (row 1): "
        "['deal_id', 'field', 'new_value', 'changed_at']"
    )
    assert (caught.value.row, caught.value.column, caught.value.expected) == (
        1,
        "When",
        "a column of the header",
    )
    assert (
        caught.value.hint == "write the header as the file has it (case and spaces do not matter)"
    )


def test_the_read_limits_bound_the_header_of_a_change_history(tmp_path: Path) -> None:
    # 5 columns in the header, a limit of 4 asked for: refused before any row is read
    path = write(tmp_path, "deal_id,field,old_value,new_value,changed_at\n1,stage,A,B,2026-03-02\n")
    with pytest.raises(InputError) as caught:
        read_change_history(path, limits=ReadLimits(max_columns=4))
    assert str(caught.value).startswith(
        f"{path}: line 1 holds 5 columns (44 bytes), more than the limit of 4 columns: "
        "expected a header of at most 4 columns"
    )
    assert (caught.value.row, caught.value.expected) == (1, "at most 4 columns")


def test_no_usable_row_is_refused_with_the_reasons(tmp_path: Path) -> None:
    text = (
        "deal_id,field,old_value,new_value,changed_at\n1,Description,a,b,2026-03-02\n,stage,A,B,x\n"
    )
    path = write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        read_change_history(path)
    message = str(caught.value)
    assert message.startswith(
        f"{path}: no usable change in 2 rows below the header (row 1): 1 quarantined, "
        "skipped: 1 field not tracked (Description); first problem: "
        f"{path}, row 3, column 'deal_id': expected a deal ID"
    )
    assert "check the report's filters and date range" in caught.value.hint
    assert (caught.value.row, caught.value.column) == (3, "deal_id")


def test_unknown_format_name(tmp_path: Path) -> None:
    path = write(tmp_path, "deal_id,field,new_value,changed_at\n1,stage,A,2026-03-02\n")
    with pytest.raises(InputError, match="unknown history format 'pipedrive'") as caught:
        read_change_history(path, format="pipedrive")
    assert (caught.value.file, caught.value.row) == (str(path), 1)


# --- detection and timestamps -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            ["Id", "OpportunityId", "CreatedDate", "StageName", "Amount", "IsDeleted"],
            "salesforce_opportunity_history",
        ),
        (["ID", "OPPORTUNITYID", "CREATEDDATE", "STAGENAME"], "salesforce_opportunity_history"),
        (
            ["Opportunity ID", "From Stage", "To Stage", "Last Modified"],
            "salesforce_opportunity_history",
        ),
        (
            ["OpportunityId", "CreatedDate", "Field", "OldValue", "NewValue"],
            "salesforce_field_history",
        ),
        (
            ["Opportunity ID", "Field / Event", "Old Value", "New Value", "Edit Date"],
            "salesforce_field_history",
        ),
        (
            [
                "Field",
                "Old Value Char",
                "New Value Char",
                "Message ID/Related Document ID",
                "Created on",
            ],
            "odoo_tracking",
        ),
        (["Record ID", "Deal Name", 'Date entered "Won (Sales Pipeline)"'], "hubspot_date_entered"),
        (["hs_object_id", "property", "value", "timestamp"], "hubspot_property_history"),
        (["Deal ID", "Field", "Old Value", "New Value", "Changed At"], "generic"),
        (["Record ID", "Deal Name", "Deal Stage"], None),
        (["Deal", "Note"], None),
    ],
)
def test_detect_history_format(headers: list[str], expected: str | None) -> None:
    assert detect_history_format(headers) == expected


def test_timestamps_in_every_layout() -> None:
    cells = pd.Series(
        [
            "2026-03-02T09:15:00.000Z",
            "2026-03-02T09:15:00.000+0100",
            "2026-03-02 09:15",
            "3/2/2026 12:05 AM",
            "3/2/2026 12:05 PM",
            "1772442900000",
            "46083.5",
            "2026-03-02",
            "",
            "2026-02-30 10:00",
            "25:00",
        ]
    )
    values, bad = parse_timestamps(cells, "mdy")
    assert [None if pd.isna(v) else str(v) for v in values] == [
        "2026-03-02 09:15:00",
        "2026-03-02 08:15:00",
        "2026-03-02 09:15:00",
        "2026-03-02 00:05:00",
        "2026-03-02 12:05:00",
        "2026-03-02 09:15:00",
        "2026-03-02 12:00:00",
        "2026-03-02 00:00:00",
        None,
        None,
        None,
    ]
    assert bad.tolist() == [False] * 9 + [True, True]


# --- row accounting ---------------------------------------------------------------------------

_GOOD = "D-{n},stage,A,B,2026-03-0{d} 10:00"
_JUNK = [
    "",  # blank
    ",,,,",  # blank cells
    "Total,,,,",  # footer word
    "D-{n},Description,a,b,2026-03-02",  # field not tracked
    "D-{n},created,,,2026-03-02",  # event
    ",stage,A,B,2026-03-02",  # no deal ID
    "D-{n},stage,A,B,someday",  # no moment
    "D-{n},,A,B,2026-03-02",  # no field
]


@settings(max_examples=examples(60), deadline=None, derandomize=True)
@given(
    st.lists(
        st.one_of(st.just(-1), st.integers(0, len(_JUNK) - 1)), min_size=1, max_size=25
    ).filter(lambda kinds: -1 in kinds)
)
def test_every_row_is_used_quarantined_or_skipped(kinds: list[int]) -> None:
    lines = [
        (_GOOD if kind == -1 else _JUNK[kind]).format(n=i, d=1 + i % 9)
        for i, kind in enumerate(kinds)
    ]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "history.csv"
        path.write_text("deal_id,field,old_value,new_value,changed_at\n" + "\n".join(lines) + "\n")
        log = read_change_history(path)
    assert log.rows_read == len(lines)  # blank lines too, at the end as well
    assert log.rows_read == log.rows_used + log.rows_quarantined + log.rows_skipped
    assert log.rows_used == kinds.count(-1)
    assert log.rows_quarantined == len(log.problems) == sum(k in (5, 6, 7) for k in kinds)
    assert sum(log.skipped.values()) == log.rows_skipped
    assert log.skipped.get("blank row", 0) == sum(k in (0, 1) for k in kinds)
    assert sorted(log.changes["source_row"].unique().tolist()) == [
        i + 2 for i, kind in enumerate(kinds) if kind == -1
    ]


def test_a_report_without_the_id_column_is_told_which_column_to_add(tmp_path: Path) -> None:
    text = '"Opportunity Name","From Stage","To Stage","Last Modified"\n"A","","Prospecting","3/2/2026"\n'
    path = write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        read_change_history(path)
    assert str(caught.value).startswith(
        f"{path}: the header (row 1) has no column for deal_id (one of ['OpportunityId', "
        "'Opportunity ID', 'Opportunity ID (18)']) in format 'salesforce_opportunity_history'"
    )
    assert caught.value.column == "OpportunityId"


def test_a_map_of_an_unknown_role(tmp_path: Path) -> None:
    path = write(tmp_path, "deal_id,field,new_value,changed_at\n1,stage,A,2026-03-02\n")
    with pytest.raises(InputError) as caught:
        read_change_history(path, column_map={"deal": "deal_id"})
    assert "--map deal=deal_id: 'deal' is no column of format 'generic'" in str(caught.value)
    assert caught.value.hint.startswith("map deal_id, field, old_value, new_value or changed_at")


def test_a_csv_row_longer_than_the_header_is_quarantined(tmp_path: Path) -> None:
    text = (
        "deal_id,field,old_value,new_value,changed_at\n"
        "D-1,amount,1,000,2,000,2026-03-02\n"
        "D-1,stage,A,B,2026-03-03\n"
    )
    log = read_change_history(write(tmp_path, text))
    assert rows(log) == [("D-1", "stage", "A", "B", "2026-03-03 00:00:00", 3)]
    assert counts(log) == (2, 1, 1, 0)
    assert log.problems[0].row == 2


def test_odoo_unassigned_salesperson_has_no_old_value(tmp_path: Path) -> None:
    text = (
        '"Field","Old Value Char","New Value Char","Old Value Integer","New Value Integer",'
        '"Message ID/Related Document ID","Created on"\n'
        '"Salesperson","","Marc Demo","0","7","42","2026-03-06 08:00:00"\n'
    )
    log = read_change_history(write(tmp_path, text))
    assert rows(log) == [("42", "owner", None, "Marc Demo", "2026-03-06 08:00:00", 2)]


_STATE = st.tuples(
    st.sampled_from(["006A", "006B", "006C"]),
    st.sampled_from(["Prospecting", "Proposal", "Closed Won"]),
    st.sampled_from(["", "5000", "7500"]),
    st.sampled_from(["2026-04-30", "2026-05-29"]),
)


@settings(max_examples=examples(60), deadline=None, derandomize=True)
@given(st.lists(_STATE, min_size=1, max_size=20), st.randoms(use_true_random=False))
def test_replaying_opportunity_history_changes_gives_every_record(
    states: list[tuple[str, str, str, str]], shuffle: random.Random
) -> None:
    """Applied in order, the changes reproduce each opportunity's records: each old value
    is the value before, and the last state is the last record's, whatever the file's order."""
    dated = [(day, *state) for day, state in enumerate(states, start=1)]
    in_file = list(dated)
    shuffle.shuffle(in_file)
    lines = [
        f"{deal},2026-01-{day:02d}T10:00:00.000Z,{stage},{amount},{close}"
        for day, deal, stage, amount, close in in_file
    ]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "OpportunityHistory.csv"
        path.write_text(
            "OPPORTUNITYID,CREATEDDATE,STAGENAME,AMOUNT,CLOSEDATE\n" + "\n".join(lines) + "\n"
        )
        log = read_change_history(path)
    state: dict[tuple[str, str], str | None] = {}
    for deal, field, old, new in log.changes[["deal_id", "field", "old_value", "new_value"]].values:
        assert old == state.get((deal, field))
        assert old != new
        state[(deal, field)] = new
    for deal in {s[0] for s in states}:
        _, _, stage, amount, close = max(d for d in dated if d[1] == deal)
        assert state[(deal, "stage")] == stage
        assert state.get((deal, "amount")) == (amount or None)
        assert state[(deal, "close_date")] == close
    assert log.rows_read == log.rows_used + log.rows_skipped == len(states)
    assert log.skipped in ({}, {"no tracked field changed": log.rows_skipped})


def test_rows_in_problems_and_changes_are_python_ints(tmp_path: Path) -> None:
    """Problems are written to JSON reports: their rows are ints, not numpy's."""
    text = "deal_id,field,new_value,changed_at\n,stage,A,2026-03-02\nD-1,stage,A,someday\nD-1,stage,B,2026-03-03\n"
    log = read_change_history(write(tmp_path, text))
    assert [(type(p.row), p.row) for p in log.problems] == [(int, 2), (int, 3)]
    assert log.changes["source_row"].tolist() == [4]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        # a locale's date with a zone: east of UTC is earlier in UTC, west later
        ("02/03/2026 09:15 +01:00", "2026-03-02 08:15:00"),
        ("02/03/2026 09:15 -0530", "2026-03-02 14:45:00"),
        ("02/03/2026 9:15 PM UTC", "2026-03-02 21:15:00"),
    ],
)
def test_day_first_moments_with_a_zone_are_read_in_utc(cell: str, expected: str) -> None:
    values, bad = parse_timestamps(pd.Series([cell], dtype="str"), "dmy")
    assert (str(values[0]), bool(bad[0])) == (expected, False)


@pytest.mark.parametrize(
    ("cells", "date_format", "expected"),
    [
        # a report's locale date with no time is the day at midnight, beside one with a time
        (["3/2/2026", "3/2/2026 9:15 PM"], "mdy", ["2026-03-02 00:00:00", "2026-03-02 21:15:00"]),
        (["02/03/2026", "02/03/2026 09:15"], "dmy", ["2026-03-02 00:00:00", "2026-03-02 09:15:00"]),
        (["2026年3月2日"], "iso", ["2026-03-02 00:00:00"]),
    ],
)
def test_a_locale_date_without_a_time_is_read_at_midnight(
    cells: list[str], date_format: DateFormat, expected: list[str]
) -> None:
    values, bad = parse_timestamps(pd.Series(cells, dtype="str"), date_format)
    assert ([str(v) for v in values], bad.tolist()) == (expected, [False] * len(cells))


def test_a_spreadsheets_yes_no_cells_are_written_as_the_history_shows_them() -> None:
    # an XLSX change history's TRUE / FALSE cells (an "is closed" flag before and after)
    cells = pd.Series([True, False, None, "Won"], dtype="object")
    assert as_written(cells).tolist() == ["true", "false", None, "Won"]


def test_a_locale_moments_seconds_are_read_and_a_61st_second_is_a_bad_cell() -> None:
    # seconds and their fraction count as seconds; 60 is a leap second (the next minute),
    # 61 no clock shows
    cells = ["02/03/2026 09:15:30", "02/03/2026 09:15:30.25", "02/03/2026 09:15:60"]
    values, bad = parse_timestamps(pd.Series([*cells, "02/03/2026 09:15:61"], dtype="str"), "dmy")
    assert [None if pd.isna(v) else str(v) for v in values] == [
        "2026-03-02 09:15:30",
        "2026-03-02 09:15:30.250000",
        "2026-03-02 09:16:00",
        None,
    ]
    assert bad.tolist() == [False, False, False, True]


def test_moments_outside_the_date_range_are_bad_cells_however_written() -> None:
    # milliseconds since 1970: 2026-03-02 09:15:00.123; 7,500,000,000,000 is in 2207, past
    # the range; 9,999,999,999,999 (2286) is past what a timestamp holds; date cells of a
    # spreadsheet: "never" as 9999-12-31, and 1500; ISO text before 1900
    cells = pd.Series(
        [
            "1772442900123",
            "7500000000000",
            "9999999999999",
            datetime.datetime(9999, 12, 31),
            datetime.datetime(1500, 1, 1),
            datetime.datetime(2200, 12, 31),
            "1850-01-01T00:00:00Z",
            "",
        ],
        dtype="object",
    )
    values, bad = parse_timestamps(cells)
    assert [None if pd.isna(v) else str(v) for v in values] == [
        "2026-03-02 09:15:00.123000",
        None,
        None,
        None,
        None,
        "2200-12-31 00:00:00",
        None,
        None,
    ]
    assert bad.tolist() == [False, True, True, True, True, False, True, False]
    # a column whose every date cell is out of the range
    values, bad = parse_timestamps(pd.Series([datetime.datetime(9999, 12, 31)], dtype="object"))
    assert (values.isna().tolist(), bad.tolist()) == ([True], [True])


def test_date_cells_with_a_zone_among_text_cells_are_read_in_utc() -> None:
    # a column of a frame handed in: date cells (one with a zone, one without) and text
    paris = datetime.timezone(datetime.timedelta(hours=1))
    cells = pd.Series(
        [
            datetime.datetime(2026, 3, 2, 10, 15, tzinfo=paris),
            datetime.datetime(2026, 3, 2, 10, 15),
            "2026-03-02 09:15",
            None,  # an empty cell: blank, not bad
            float("nan"),
        ],
        dtype="object",
    )
    values, bad = parse_timestamps(cells)
    assert [str(v) for v in values] == [
        "2026-03-02 09:15:00",
        "2026-03-02 10:15:00",
        "2026-03-02 09:15:00",
        "NaT",
        "NaT",
    ]
    assert bad.tolist() == [False, False, False, False, False]


@pytest.mark.parametrize(
    "values",
    [
        pd.Series(pd.to_datetime(["2026-03-02 09:15:00.123456", None])),
        pd.Series(pd.to_datetime(["2026-03-02 09:15:00.123456", None]).astype("datetime64[us]")),
        pd.Series(pd.to_datetime(["2026-03-02 10:15:00.123456", None]).tz_localize("Etc/GMT-1")),
    ],
    ids=["ns", "us", "zoned"],
)
def test_a_column_of_timestamps_is_read_in_utc_to_the_nanosecond_type(values: pd.Series) -> None:
    # a column read as timestamps already (Parquet, a spreadsheet's whole date column)
    out, bad = parse_timestamps(values)
    assert (str(out.dtype), [str(v) for v in out]) == (
        "datetime64[ns]",
        ["2026-03-02 09:15:00.123456", "NaT"],
    )
    assert bad.tolist() == [False, False]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2026-03-02T23:30:00-05:00", "2026-03-03 04:30:00"),
        ("2026-03-02T09:15:00.123456Z", "2026-03-02 09:15:00.123456"),
        ("2026-03-02 09:15:07", "2026-03-02 09:15:07"),
        ("1850-01-01T00:00:00Z", None),
        ("2026-13-01", None),
        ("2026", None),
    ],
)
def test_iso_moments_with_zones_and_out_of_range(cell: str, expected: str | None) -> None:
    values, bad = parse_timestamps(pd.Series([cell], dtype="str"))
    assert (None if pd.isna(values[0]) else str(values[0])) == expected
    assert bool(bad[0]) is (expected is None)
