"""Tables written for spreadsheets: no cell starts a formula however its text is spelled
(full-width signs, leading spaces or invisible characters), and no text, control
characters included, makes a writer fail (property tests)."""

from __future__ import annotations

import csv
import io
import unicodedata

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from pipereview.exports import safe_cells, table_bytes

#: the starts of formulas, their full-width and small forms, blanks a spreadsheet trims,
#: invisible characters, controls an XLSX cannot hold, and plain text
_PIECES = ["=", "+", "-", "@", "＝", "＋", "－", "＠", "﹦", "﹢", "﹣", "﹫", " ", "\t", "\r",
           "\n", "\u3000", "\u00a0", "\u200b", "\ufeff", "\u2028", "\x00", "\x01", "\x1b",
           "\x7f", "\ufffe", "'", "1", "A", "华", "HYPERLINK(", ")", '"', ";", ","]
TEXTS = st.one_of(st.lists(st.sampled_from(_PIECES), max_size=6).map("".join),
                  st.text(max_size=10))


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


@settings(max_examples=150, deadline=None)
@given(st.lists(TEXTS, min_size=1, max_size=5), TEXTS)
def test_no_exported_cell_starts_a_formula(texts: list[str], header: str) -> None:
    frame = pd.DataFrame({header or "h": texts, "amount": [-1.5] * len(texts)})
    rows = list(csv.reader(io.StringIO(table_bytes(frame, "csv").decode("utf-8-sig"),
                                       newline="")))
    assert len(rows) == len(texts) + 1  # no text starts a row of its own
    assert not any(_live(row[0]) for row in rows) and not _live(rows[0][1])  # texts only
    assert [row[1] for row in rows[1:]] == ["-1.5"] * len(texts)  # numbers stay numbers
    sheet = load_workbook(io.BytesIO(table_bytes(frame, "xlsx"))).active
    assert sheet is not None
    cells = [c for row in sheet.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)
    assert not any(_live(c.value) for c in cells if c.data_type == "s")
    assert [row[1].value for row in sheet.iter_rows(min_row=2)] == [-1.5] * len(texts)


@pytest.mark.parametrize("text", ["＝HYPERLINK(\"http://x\")", " =1+1", "\t=1", "  @SUM(A1)",
                                  "\u3000＋1", "\u200b-1", "\ufeff=1", "﹦1"])
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
