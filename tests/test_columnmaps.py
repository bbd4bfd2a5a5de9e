"""Every shipped column map on a realistic export header, against hand-computed values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from pipereview.columnmaps import column_map_names, detect_column_map, load_column_map
from pipereview.errors import ColumnMapError
from pipereview.ingest import read_export
from pipereview.readers import peek_export
from pipereview.stages import EVIDENCE_TEXT_FIELDS

HEADERS = Path(__file__).parent / "data" / "headers"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((HEADERS / "expected.yaml").read_text("utf-8"))


def test_every_shipped_map_has_a_fixture() -> None:
    assert sorted(Path(name).stem for name in EXPECTED) == column_map_names()


@pytest.mark.parametrize("fixture", sorted(EXPECTED))
def test_map_is_detected_from_the_header(fixture: str) -> None:
    peek = peek_export(HEADERS / fixture)
    assert detect_column_map(peek.header).name == EXPECTED[fixture]["column_map"]


@pytest.mark.parametrize("fixture", sorted(EXPECTED))
def test_first_row_reads_as_computed_by_hand(fixture: str) -> None:
    expected = EXPECTED[fixture]
    result = read_export(HEADERS / fixture, week="2026-W47")
    assert result.ok, result.report.summary()
    assert result.report.stage_model == expected["stage_model"]
    assert len(result.snapshot) == expected["data_rows"]
    row = result.snapshot.iloc[0]
    for field, value in expected["first_row"].items():
        got = row[field]
        if field.endswith("_date"):
            assert got == pd.Timestamp(value), field
        elif isinstance(value, float):
            assert got == pytest.approx(value), field
        else:
            assert got == value, field
    for field, met in expected.get("evidence_met", {}).items():
        got = row[field]
        is_met = bool(got) if field not in EVIDENCE_TEXT_FIELDS else isinstance(got, str)
        assert is_met is met, field


def test_ambiguous_and_unknown_headers_say_what_to_do() -> None:
    with pytest.raises(ColumnMapError) as info:
        detect_column_map(["Name", "Value", "Owner"], file="x.csv")
    message = str(info.value)
    assert "x.csv" in message and "--map" in message and "Closest" in message


def test_user_map_extends_a_shipped_one(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "name: my_sf\nlabel: Our Salesforce\nextends: salesforce_report\n"
        "columns:\n  amount: [Deal Value]\nstage_aliases:\n  Negotiating: negotiation\n",
        encoding="utf-8",
    )
    cmap = load_column_map(path)
    assert cmap.columns["amount"] == ("Deal Value",)
    assert cmap.columns["deal_name"] == ("Opportunity Name",)
    assert cmap.stage_model == "salesforce" and cmap.date_format == "mdy"
    assert cmap.stage_aliases == {"Negotiating": "negotiation"}


def test_invalid_user_map_names_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: broken\nlabel: x\ncolumns:\n  deal_id: [ID]\n", encoding="utf-8")
    with pytest.raises(ColumnMapError, match=r"(?s)broken\.yaml.*required fields"):
        load_column_map(path)
    with pytest.raises(ColumnMapError, match="unknown column map 'nosuch'"):
        load_column_map("nosuch")
