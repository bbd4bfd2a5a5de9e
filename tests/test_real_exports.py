"""Exports shaped like real ones that used to be refused, through `pipereview ingest` with no
extra flag: what is stored, and what the ingest report says about each choice it made.

- a plain Salesforce report with a ``Team`` column and no evidence columns;
- HubSpot's default deals export, which has no company column, and its export with all
  properties, which writes ``Associated Company`` and ``Associated Company IDs`` once per
  associated company;
- a GB18030 Chinese export with a ``团队`` column whose stage names belong to the shipped
  four-stage model, not to the Chinese map's six-step one;
- a semicolon export with decimal commas (``55.000,50``), and one whose amounts leave the
  format open (refused, naming the column, the row and both readings).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipereview.cli import app
from pipereview.history._store import SnapshotStore

WEEK = "2026-W47"


def _ingest(path: Path, store: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app,
        ["ingest", str(path), "--week", WEEK, "--store", str(store), *extra],
        catch_exceptions=False,
    )
    return result.exit_code, " ".join(result.output.split())


def _stored(store: Path) -> pd.DataFrame:
    return SnapshotStore(store).read(WEEK).sort_values("deal_id").reset_index(drop=True)


def test_plain_salesforce_report_with_a_team_column(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_text(
        '"Opportunity Owner","Team","Account Name","Opportunity Name","Opportunity ID",'
        '"Stage","Amount","Close Date","Created Date"\n'
        '"Dana Whitfield","West","Northwind","Northwind - Line","006A","Prospecting",'
        '"12,000.00","11/23/2026","9/14/2026"\n'
        '"Priya Raman","East","Contoso","Contoso - Cold Chain","006B","Negotiation/Review",'
        '"48,500.50","12/18/2026","8/3/2026"\n',
        encoding="utf-8",
    )
    code, output = _ingest(path, tmp_path / "store")
    assert code == 0, output
    assert "map salesforce_report" in output and "no team column" not in output
    stored = _stored(tmp_path / "store")
    assert stored["team"].tolist() == ["West", "East"]
    assert stored["amount"].tolist() == [12000.0, 48500.5]
    assert stored["stage"].tolist() == ["prospecting", "negotiation"]


def test_hubspot_default_export_without_a_company(tmp_path: Path) -> None:
    path = tmp_path / "hubspot-crm-exports-all-deals.csv"
    path.write_text(
        "Record ID,Deal Name,Deal Stage,Close Date,Deal owner,Amount,Create Date,Pipeline\n"
        "182736,Website relaunch,Appointment Scheduled,2026-12-15 17:00,Jordan Ellis,5482,"
        "2026-10-02 09:41,Sales Pipeline\n"
        "182737,Data audit,Contract Sent,2027-01-29 17:00,Mei Tanaka,12000,"
        "2026-11-03 14:12,Sales Pipeline\n",
        encoding="utf-8",
    )
    code, output = _ingest(path, tmp_path / "store")
    assert code == 0, output
    assert "no account column: deals are matched across weeks by their ID" in output
    stored = _stored(tmp_path / "store")
    assert stored["account"].isna().all() and stored["account_missing"].all()
    assert stored["amount"].tolist() == [5482.0, 12000.0]
    assert stored["stage"].tolist() == ["appointment_scheduled", "contract_sent"]


def test_hubspot_export_with_every_property_repeats_its_associations(tmp_path: Path) -> None:
    path = tmp_path / "all-properties.csv"
    path.write_text(
        "Record ID,Deal Name,Deal Stage,Close Date,Deal owner,Amount,Create Date,"
        "Associated Company IDs,Associated Company,Associated Company IDs,Associated Company\n"
        "182736,Website relaunch,Appointment Scheduled,2026-12-15,Jordan Ellis,5482,2026-10-02,"
        "98761,Tailspin Toys,98762,Adatum Corporation\n"
        "182737,Data audit,Contract Sent,2027-01-29,Mei Tanaka,12000,2026-11-03,98763,"
        "Litware Inc.,,\n",
        encoding="utf-8",
    )
    code, output = _ingest(path, tmp_path / "store")
    assert code == 0, output
    assert (
        "the export writes 'Associated Company' once per associated record (2 columns): "
        "the first is read as the primary, the others are kept as "
        "'Associated Company (2)'"
    ) in output
    assert _stored(tmp_path / "store")["account"].tolist() == ["Tailspin Toys", "Litware Inc."]


@pytest.mark.parametrize("team_header", ["团队", "销售团队"])
def test_chinese_export_with_a_team_column_and_four_stage_names(
    tmp_path: Path, team_header: str
) -> None:
    path = tmp_path / "商机.csv"
    text = (
        f"商机编号,商机名称,客户名称,负责人,{team_header},销售阶段,商机金额,预计成交日期,"
        "创建时间\r\n"
        'SJ001,余热发电改造项目,江苏恒达钢铁有限公司,王磊,华东一组,初步接触,"¥1,200,000.00",'
        "2026/12/30,2026/09/03\r\n"
        "SJ002,循环水系统节能项目,广东华南化工集团有限公司,陈静,华南二组,方案报价,120万,"
        "2026/11/23,2026/10/15\r\n"
    )
    path.write_bytes(text.encode("gb18030"))
    code, output = _ingest(path, tmp_path / "store")
    assert code == 0, output
    assert "model generic_4" in output
    assert "stage model generic_4 chosen from the stage values" in output
    stored = _stored(tmp_path / "store")
    assert stored["team"].tolist() == ["华东一组", "华南二组"]
    assert stored["stage"].tolist() == ["initial_contact", "solution_quote"]
    assert set(stored["stage_model"]) == {"generic_4"}
    assert stored["amount"].tolist() == [1_200_000.0, 1_200_000.0]


def test_a_model_passed_by_name_is_kept_whatever_the_values(tmp_path: Path) -> None:
    path = tmp_path / "商机.csv"
    path.write_text(
        "商机编号,商机名称,客户名称,负责人,销售阶段,商机金额,预计成交日期,创建时间\n"
        "SJ001,项目,客户,王磊,初步接触,100,2026/12/30,2026/09/03\n",
        encoding="utf-8",
    )
    code, output = _ingest(path, tmp_path / "store", "--model", "industrial_b2b")
    assert code == 1
    assert "chosen from the stage values" not in output


def test_semicolon_export_with_decimal_commas(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "Opportunity Owner;Account Name;Opportunity Name;Opportunity ID;Stage;Amount;"
        "Close Date;Created Date\n"
        "Dana Whitfield;Northwind;Line;006A;Prospecting;55.000,50;11/23/2026;9/14/2026\n"
        "Priya Raman;Contoso;Chain;006B;Prospecting;12.500;12/18/2026;8/3/2026\n"
        "Priya Raman;Fabrikam;Renewal;006C;Prospecting;900;12/18/2026;8/3/2026\n",
        encoding="utf-8",
    )
    code, output = _ingest(path, tmp_path / "store")
    assert code == 0, output
    assert (
        "amounts read with a decimal comma, as column 'Amount' writes them "
        "(row 2: '55.000,50' = 55000.5)"
    ) in output
    assert _stored(tmp_path / "store")["amount"].tolist() == [55000.5, 12500.0, 900.0]


def test_amounts_that_read_both_ways_are_refused_with_both_readings(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "Opportunity Owner;Account Name;Opportunity Name;Opportunity ID;Stage;Amount;"
        "Close Date;Created Date\n"
        "Dana Whitfield;Northwind;Line;006A;Prospecting;900;11/23/2026;9/14/2026\n"
        "Priya Raman;Contoso;Chain;006B;Prospecting;12.500;12/18/2026;8/3/2026\n",
        encoding="utf-8",
    )
    code, output = _ingest(path, tmp_path / "store")
    assert code == 1
    assert (
        "column 'Amount', row 3: '12.500' reads as 12.5 with a decimal point or as 12500 "
        "with a decimal comma"
    ) in output
    assert not (tmp_path / "store" / "snapshots").exists() or not any(
        (tmp_path / "store" / "snapshots").iterdir()
    )


def test_weeks_without_an_account_column_are_matched_within_owner_and_team(tmp_path: Path) -> None:
    from pipereview.history._matching import match_deals
    from pipereview.ingest._export import read_export

    header = "Record ID,Deal Name,Deal Stage,Close Date,Deal owner,Amount,Create Date\n"
    before = tmp_path / "w46.csv"
    before.write_text(
        header + "1001,Website relaunch,Appointment Scheduled,2026-12-15,"
        "Jordan Ellis,5482,2026-10-02\n1002,Data audit,Contract Sent,"
        "2027-01-29,Mei Tanaka,12000,2026-11-03\n",
        encoding="utf-8",
    )
    after = tmp_path / "w47.csv"  # the IDs changed (a CRM migration); names and owners did not
    after.write_text(
        header + "2001,Website relaunch,Contract Sent,2026-12-15,Jordan Ellis,"
        "5482,2026-10-02\n2002,Data audit,Contract Sent,2027-01-29,Mei Tanaka,"
        "12000,2026-11-03\n",
        encoding="utf-8",
    )
    prev = read_export(before, week="2026-W46").snapshot
    curr = read_export(after, week="2026-W47").snapshot
    pairs = match_deals(prev, curr)
    matched = pairs[pairs["method"] == "fuzzy"]
    assert sorted(zip(matched["prev_row"], matched["curr_row"], strict=True)) == [(0, 0), (1, 1)]
