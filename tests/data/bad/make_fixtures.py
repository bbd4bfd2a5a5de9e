"""Write the XLSX exports of this folder whose layout uses merged cells.

    python tests/data/bad/make_fixtures.py

Each workbook is laid out as a sales-operations user leaves a CRM export after making it
look right in Excel: a merged report title, merged group labels over the header, a
header cell merged over two columns, one team or owner cell merged over its deals. The
files are committed; run this only to change them.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent
CREATED = dt.datetime(2026, 11, 23, 9, 0)

SF_HEADER = [
    "Opportunity Owner",
    "Owner Role",
    "Account Name",
    "Opportunity Name",
    "Opportunity ID",
    "Stage",
    "Amount",
    "Close Date",
    "Created Date",
]
SF_DEALS = [
    [
        "Dana Whitfield",
        "West Enterprise",
        "Northwind Traders",
        "Northwind - Packaging Line Upgrade",
        "0065g00000Mg1aA",
        "Needs Analysis",
        12000,
        dt.datetime(2026, 12, 18),
        dt.datetime(2026, 9, 14),
    ],
    [
        "Priya Raman",
        "East Mid-Market",
        "Contoso Pharmaceuticals",
        "Contoso - Cold Chain Monitoring",
        "0065g00000Mg2bB",
        "Proposal/Price Quote",
        48500,
        dt.datetime(2026, 12, 30),
        dt.datetime(2026, 8, 3),
    ],
    [
        "Dana Whitfield",
        "West Enterprise",
        "Fabrikam Inc.",
        "Fabrikam - Service Renewal 2027",
        "0065g00000Mg3cC",
        "Negotiation/Review",
        7250,
        dt.datetime(2027, 1, 15),
        dt.datetime(2026, 7, 21),
    ],
]


def _book() -> tuple[Workbook, object]:
    book = Workbook()
    book.properties.created = book.properties.modified = CREATED
    sheet = book.active
    sheet.title = "Report"
    return book, sheet


def _with_spacer(row: list[object], at: int) -> list[object]:
    """``row`` with an empty cell after column ``at`` (1-based)."""
    return [*row[:at], None, *row[at:]]


def merged_title_and_group_header(path: Path) -> None:
    """Merged title over the report, merged group labels over the header, and 'Amount'
    merged over its column and an empty spacer column; a total row below."""
    book, sheet = _book()
    sheet.append(["Opportunity Pipeline - Q4 2026 (all regions)"])
    sheet.append(["Owner", None, "Opportunity", None, None, None, "Value and dates"])
    sheet.append(_with_spacer(SF_HEADER, 7))
    for deal in SF_DEALS:
        sheet.append(_with_spacer(deal, 7))
    sheet.append(["Total", None, None, None, None, None, sum(d[6] for d in SF_DEALS)])
    for ref in ("A1:J1", "A2:B2", "C2:F2", "G2:J2", "G3:H3"):
        sheet.merge_cells(ref)
    book.save(path)


def merged_team_cells(path: Path) -> None:
    """A Chinese CRM list regrouped by hand: each 所属部门 (team) and a repeated 负责人
    (owner) merged over the deals they cover."""
    book, sheet = _book()
    sheet.append(
        [
            "商机编号",
            "商机名称",
            "客户名称",
            "负责人",
            "所属部门",
            "销售阶段",
            "商机金额",
            "预计成交日期",
            "创建时间",
        ]
    )
    deals = [
        [
            "SJ20261102011",
            "宏昇化纤空压站节能改造",
            "浙江宏昇化纤有限公司",
            "王磊",
            "华东大区",
            "3-制定策略和致胜对手",
            860000,
            "2026/12/18",
            "2026/11/02 10:21",
        ],
        [
            "SJ20261020004",
            "金堃制药洁净空调维保",
            "江苏金堃制药股份有限公司",
            None,
            None,
            "你来我往",
            1250000,
            "2026/12/05",
            "2026/10/20 09:40",
        ],
        [
            "SJ20260911002",
            "华南化工循环水系统节能项目",
            "广东华南化工集团有限公司",
            "陈静",
            "华南大区",
            "赢单",
            1200000,
            "2026/11/12",
            "2026/09/11 14:33",
        ],
        [
            "SJ20261105009",
            "珠海港冷库改造",
            "珠海港冷链物流有限公司",
            "刘洋",
            None,
            "收集信息与商机评估",
            450000,
            "2027/01/20",
            "2026/11/05 16:02",
        ],
        [
            "SJ20261111015",
            "佛山陶瓷窑炉余热回收",
            "佛山陶瓷集团有限公司",
            "刘洋",
            None,
            "客户关系与需求深挖",
            2300000,
            "2027/02/28",
            "2026/11/11 08:47",
        ],
    ]
    for deal in deals:
        sheet.append(deal)
    for ref in ("D2:D3", "E2:E3", "E4:E6"):
        sheet.merge_cells(ref)
    book.save(path)


def merged_two_row_header(path: Path) -> None:
    """A header over two rows: 'Amount' merged over 'Value' and 'Currency' on the row
    below, every other name merged down over both rows."""
    book, sheet = _book()
    header = [
        "Opportunity Owner",
        "Account Name",
        "Opportunity Name",
        "Opportunity ID",
        "Stage",
        "Amount",
        None,
        "Close Date",
        "Created Date",
    ]
    sheet.append(header)
    sheet.append([None] * 5 + ["Value", "Currency", None, None])
    for d in SF_DEALS:
        sheet.append([d[0], d[2], d[3], d[4], d[5], d[6], "USD", d[7], d[8]])
    for col in "ABCDEHI":
        sheet.merge_cells(f"{col}1:{col}2")
    sheet.merge_cells("F1:G1")
    book.save(path)


def merged_header_over_values(path: Path) -> None:
    """'Amount' merged over two columns; the second holds each deal's currency."""
    book, sheet = _book()
    sheet.append(
        [
            "Opportunity Owner",
            "Account Name",
            "Opportunity Name",
            "Opportunity ID",
            "Stage",
            "Amount",
            None,
            "Close Date",
            "Created Date",
        ]
    )
    for d in SF_DEALS:
        sheet.append([d[0], d[2], d[3], d[4], d[5], d[6], "USD", d[7], d[8]])
    sheet.merge_cells("F1:G1")
    book.save(path)


# --- XLSX written by programs other than Excel, hostile workbooks, odd Parquet -----------


def _rewrite_sheet(path: Path, change: object) -> None:
    """Rewrite the first sheet's XML of the workbook at ``path`` with ``change`` (a
    function of the XML text), as another program would have written it."""
    parts = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            parts[info.filename] = archive.read(info)
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = change(parts[sheet].decode("utf-8")).encode("utf-8")  # type: ignore[operator]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(
                zipfile.ZipInfo(name, (2026, 11, 23, 9, 0, 0)), data, zipfile.ZIP_DEFLATED
            )


def _sf_deals(count: int) -> list[list[object]]:
    return [
        [
            f"Rep {n % 3}",
            "West",
            f"Account {n}",
            f"Deal {n}",
            f"0065g00000X{n:04d}",
            "Needs Analysis",
            1000 * n,
            dt.datetime(2026, 12, 1) + dt.timedelta(days=n),
            dt.datetime(2026, 9, 1),
        ]
        for n in range(1, count + 1)
    ]


def xlsx_dimension_smaller(path: Path) -> None:
    """Ten deals under a <dimension> tag that declares four rows and four columns (A1:D5),
    as some reporting tools write it."""
    book, sheet = _book()
    sheet.append(SF_HEADER)
    for deal in _sf_deals(10):
        sheet.append(deal)
    book.save(path)
    _rewrite_sheet(
        path, lambda xml: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:D5"', xml)
    )


def xlsx_formula_without_value(path: Path) -> None:
    """A workbook written by a program that does not compute formulas: the amount of the
    second deal (G3) is a formula with no saved value."""
    book, sheet = _book()
    sheet.append(SF_HEADER)
    for deal in SF_DEALS:
        sheet.append(deal)
    sheet["G3"] = "=G2*4"
    book.save(path)


def xlsx_zip_bomb(path: Path) -> None:
    """Three deals whose sheet XML is padded with 8 MB of spaces: a few KB on disk that
    unpack about a thousand times their size."""
    book, sheet = _book()
    sheet.append(SF_HEADER)
    for deal in SF_DEALS:
        sheet.append(deal)
    book.save(path)
    _rewrite_sheet(path, lambda xml: xml.replace("<sheetData>", "<sheetData>" + " " * (8 << 20)))


def parquet_list_column(path: Path) -> None:
    """A Parquet export whose Amount column holds lists of numbers (line items)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "Opportunity ID": [d[4] for d in SF_DEALS],
            "Opportunity Name": [d[3] for d in SF_DEALS],
            "Account Name": [d[2] for d in SF_DEALS],
            "Opportunity Owner": [d[0] for d in SF_DEALS],
            "Stage": [d[5] for d in SF_DEALS],
            "Amount": [[d[6]] for d in SF_DEALS],
            "Close Date": [d[7] for d in SF_DEALS],
            "Created Date": [d[8] for d in SF_DEALS],
        }
    )
    pq.write_table(table, path)


def parquet_year_9999(path: Path) -> None:
    """A Parquet export with dates outside pandas' nanosecond range: a close date of
    9999-12-31 (a "no date" placeholder) and a created date in 1600."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    close = [dt.date(2026, 12, 18), dt.date(9999, 12, 31), dt.date(2027, 1, 15)]
    created = [dt.date(2026, 9, 14), dt.date(2026, 8, 3), dt.date(1600, 1, 1)]
    table = pa.table(
        {
            "Opportunity ID": [d[4] for d in SF_DEALS],
            "Opportunity Name": [d[3] for d in SF_DEALS],
            "Account Name": [d[2] for d in SF_DEALS],
            "Opportunity Owner": [d[0] for d in SF_DEALS],
            "Stage": [d[5] for d in SF_DEALS],
            "Amount": [float(d[6]) for d in SF_DEALS],
            "Close Date": pa.array(close, pa.date32()),
            "Created Date": pa.array(created, pa.date32()),
        }
    )
    pq.write_table(table, path)


FIXTURES = {
    "merged_title_and_group_header.xlsx": merged_title_and_group_header,
    "merged_team_cells.xlsx": merged_team_cells,
    "merged_two_row_header.xlsx": merged_two_row_header,
    "merged_header_over_values.xlsx": merged_header_over_values,
    "xlsx_dimension_smaller.xlsx": xlsx_dimension_smaller,
    "xlsx_formula_without_value.xlsx": xlsx_formula_without_value,
    "xlsx_zip_bomb.xlsx": xlsx_zip_bomb,
    "parquet_list_column.parquet": parquet_list_column,
    "parquet_year_9999.parquet": parquet_year_9999,
}

if __name__ == "__main__":
    for name, write in FIXTURES.items():
        write(HERE / name)
        print(f"wrote {HERE / name}")
