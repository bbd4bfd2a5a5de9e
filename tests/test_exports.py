"""Tables written for spreadsheets: no cell starts a formula however its text is spelled
(full-width signs, leading spaces or invisible characters), and no text, control
characters included, makes a writer fail (property tests)."""

from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from _budget import examples
from pipereview.core._exports import safe_cells, table_bytes

#: the starts of formulas, their full-width and small forms, blanks a spreadsheet trims,
#: invisible characters, controls an XLSX cannot hold, and plain text
_PIECES = [
    "=",
    "+",
    "-",
    "@",
    "＝",
    "＋",
    "－",
    "＠",
    "﹦",
    "﹢",
    "﹣",
    "﹫",
    " ",
    "\t",
    "\r",
    "\n",
    "\u3000",
    "\u00a0",
    "\u200b",
    "\ufeff",
    "\u2028",
    "\x00",
    "\x01",
    "\x1b",
    "\x7f",
    "\ufffe",
    "'",
    "1",
    "A",
    "华",
    "HYPERLINK(",
    ")",
    '"',
    ";",
    ",",
]
TEXTS = st.one_of(st.lists(st.sampled_from(_PIECES), max_size=6).map("".join), st.text(max_size=10))


def _blank(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def _live(cell: object) -> bool:
    """True when a spreadsheet would run ``cell``: it trims leading blanks and reads
    compatibility forms as ASCII; an apostrophe first makes the cell text."""
    if not isinstance(cell, str) or cell.startswith("'"):
        return False
    folded = unicodedata.normalize("NFKC", cell)
    start = 0
    while start < len(folded) and _blank(folded[start]):
        start += 1
    return folded[start:].startswith(("=", "+", "-", "@")) or cell.startswith(("\t", "\r"))


@settings(max_examples=examples(150), deadline=None)
@given(st.lists(TEXTS, min_size=1, max_size=5), TEXTS)
def test_no_exported_cell_starts_a_formula(texts: list[str], header: str) -> None:
    frame = pd.DataFrame({header or "h": texts, "amount": [-1.5] * len(texts)})
    rows = list(csv.reader(io.StringIO(table_bytes(frame, "csv").decode("utf-8-sig"), newline="")))
    assert len(rows) == len(texts) + 1  # no text starts a row of its own
    assert not any(_live(row[0]) for row in rows) and not _live(rows[0][1])  # texts only
    assert [row[1] for row in rows[1:]] == ["-1.5"] * len(texts)  # numbers stay numbers
    sheet = load_workbook(io.BytesIO(table_bytes(frame, "xlsx"))).active
    assert sheet is not None
    cells = [c for row in sheet.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)
    assert not any(_live(c.value) for c in cells if c.data_type == "s")
    assert [row[1].value for row in sheet.iter_rows(min_row=2)] == [-1.5] * len(texts)


@pytest.mark.parametrize(
    "text",
    [
        '＝HYPERLINK("http://x")',
        " =1+1",
        "\t=1",
        "  @SUM(A1)",
        "\u3000＋1",
        "\u200b-1",
        "\ufeff=1",
        "﹦1",
    ],
)
def test_spellings_of_a_formula_are_text(text: str) -> None:
    assert safe_cells(pd.DataFrame({"deal": [text]}))["deal"].tolist() == ["'" + text]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_control_characters_never_stop_an_export(fmt: str) -> None:
    frame = pd.DataFrame({"deal": ["MES\x00 rollout", "ERP\x1b", "ok\ttab"]})
    data = table_bytes(frame, fmt)
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(data)).active
        assert sheet is not None
        values = [row[0].value for row in sheet.iter_rows(min_row=2)]
    else:
        values = [row[0] for row in csv.reader(io.StringIO(data.decode("utf-8-sig")))][1:]
    assert values == ["MES\ufffd rollout", "ERP\ufffd", "ok\ttab"]


# --- what a reader sees: titles of rules, never their names in code ---------------------------
@pytest.fixture(scope="module")
def two_weeks(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """The keyed history of the sample's last two weeks."""
    from pipereview.history._intake import ingest_folder
    from pipereview.history._store import SnapshotStore
    from pipereview.history._trail import with_deal_keys

    exports = Path(__file__).resolve().parents[1] / "data" / "samples" / "exports"
    store = tmp_path_factory.mktemp("two-weeks") / "store"
    folder = tmp_path_factory.mktemp("exports")
    for week in ("2026-W46", "2026-W47"):
        (folder / week).symlink_to(exports / week)
    ingest_folder(folder, store=store)
    return with_deal_keys(SnapshotStore(store).history())


def test_every_rule_has_a_title_in_both_languages() -> None:
    from pipereview.coaching import rule_names
    from pipereview.coaching.titles import RULE_TITLES, rule_title

    assert set(rule_names()) <= set(RULE_TITLES)
    for rule in rule_names():
        en, zh = rule_title(rule, "en"), rule_title(rule, "zh")
        assert rule not in (en, zh) and "_" not in en + zh
        assert not any("a" <= c.lower() <= "z" for c in zh), (rule, zh)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_action_list_and_its_exports_show_no_rule_name(
    two_weeks: pd.DataFrame, lang: str, tmp_path: Path
) -> None:
    from pipereview.coaching import rule_names
    from pipereview.coaching.titles import rule_title
    from pipereview.dashboard import DashboardState

    board = DashboardState(two_weeks, team="华东" if lang == "zh" else "North", lang=lang)
    actions = board.action_list()
    issue = "规则" if lang == "zh" else "Rule"
    assert len(actions) > 0
    # each row names its rule as a reader would: "长期无跟进", not "stalled_deal"
    assert set(actions[issue]) <= {rule_title(r, lang) for r in rule_names()}
    if lang == "zh":  # every header in Chinese
        assert not [c for c in actions.columns if any("a" <= x.lower() <= "z" for x in c)]
    csv, xlsx = board.export_actions(tmp_path)
    texts = [csv.read_text(encoding="utf-8-sig")]
    book = load_workbook(xlsx, read_only=True)  # holds the file open until closed
    try:
        sheet = book.active
        assert sheet is not None
        texts += [str(cell) for row in sheet.iter_rows(values_only=True) for cell in row]
    finally:
        book.close()
    found = {rule for rule in rule_names() for text in texts if rule in text}
    assert found == set(), found
    assert rule_title("stalled_deal", lang) in set(actions[issue])  # the sample has them


def test_a_written_spreadsheet_opens_ready_to_filter() -> None:
    """Header frozen and filtered, each column as wide as its longest value (a CJK
    character counting two, at most MAX_COLUMN_WIDTH), dates stored as dates."""
    from pipereview.core import MAX_COLUMN_WIDTH

    frame = pd.DataFrame(
        {
            "Rep": ["Ann", "张伟伟伟伟"],
            "Amount": [29272.73, 5.0],
            "Follow-up": pd.to_datetime(["2026-12-18", "2026-12-21"]),
            "Note": ["x" * 200, ""],
        }
    )
    book = load_workbook(io.BytesIO(table_bytes(frame, "xlsx")))
    sheet = book["actions"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:D3"
    widths = {c: sheet.column_dimensions[c].width for c in "ABCD"}
    assert widths == {"A": 12, "B": 11, "C": 12, "D": MAX_COLUMN_WIDTH}
    date = sheet["C2"]
    assert date.is_date and date.value.date().isoformat() == "2026-12-18"
    assert date.number_format == "YYYY-MM-DD"
    assert sheet["B2"].value == 29272.73


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_action_list_names_deals_severities_and_dates_as_a_reader_does(
    two_weeks: pd.DataFrame, lang: str
) -> None:
    from pipereview.dashboard import DashboardState

    board = DashboardState(two_weeks, team="North", lang=lang)
    actions = board.action_list()
    first = actions.columns[0]
    assert first == ("商机编号" if lang == "zh" else "Deal ID")
    deals = actions[actions[first] != ""]
    assert len(deals) and deals[first].str.startswith("0065").all()  # the CRM's IDs
    severity = "严重度" if lang == "zh" else "Severity"
    words = {"高", "中", "低"} if lang == "zh" else {"high", "medium", "low"}
    assert set(actions[severity]) <= words and len(set(actions[severity])) > 1
    amount = actions["金额" if lang == "zh" else "Amount"]
    assert (amount.round(2) == amount).all()
    follow = actions.iloc[:, -1]
    assert pd.api.types.is_datetime64_any_dtype(follow)
    from pipereview.coaching.sheet import follow_up_date
    from pipereview.core import Week

    assert set(follow) == {pd.Timestamp(follow_up_date(Week.parse("2026-W47"), 30))}
