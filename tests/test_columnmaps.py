"""Every shipped column map on a realistic export header, against hand-computed values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from pipereview.core._errors import ColumnMapError
from pipereview.core._stages import EVIDENCE_TEXT_FIELDS, load_stage_model
from pipereview.core._text import normalize_label
from pipereview.ingest._columnmaps import (
    COMMON_HEADERS,
    REQUIRED_FIELDS,
    ColumnMap,
    column_map_names,
    detect_column_map,
    load_column_map,
)
from pipereview.ingest._export import read_export
from pipereview.ingest._readers import peek_export
from pipereview.ingest._schema import EXPORT_OPTIONAL_FIELDS

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


# --- the matrix: every shipped map × optional columns, team headers, repeated columns -----

# one deal, each field as a CRM writes it; the stage is filled in per map (its model's
# first open stage), the status only where the map has a status column
_CELLS = {
    "deal_id": "D-1",
    "deal_name": "Packaging line",
    "account": "Acme Ltd",
    "owner": "Ann Lee",
    "amount": "12000",
    "close_date": "2026-12-15",
    "created_date": "2026-10-01",
    "team": "North",
    "probability": "40",
    "forecast_category": "pipeline",
    "last_activity_date": "2026-11-20",
    "next_step": "Call the CFO",
    "loss_reason": "Went with Apex",
    "product_line": "Packaging",
    "account_potential": "250,000",
    "currency": "EUR",
    "status": "Open",
}
# what is stored for the deal with each optional field present / absent
_STORED = {
    "account": "Acme Ltd",
    "team": "North",
    "probability": 0.4,
    "forecast_category": "pipeline",
    "last_activity_date": pd.Timestamp("2026-11-20"),
    "next_step": "Call the CFO",
    "loss_reason": "Went with Apex",
    "product_line": "Packaging",
    "account_potential": 250000.0,
    "currency": "EUR",
}
_ABSENT = {
    "account": None,
    "team": "All",
    "probability": None,
    "forecast_category": None,
    "last_activity_date": None,
    "next_step": None,
    "loss_reason": None,  # no column at all (test_loss_reason.py)
    "product_line": None,  # no column at all (test_periods.py)
    "account_potential": None,  # no column at all (test_accounts_potential.py)
    "currency": None,
}
MAPS = column_map_names()


def _write(path: Path, header: list[str], row: list[str]) -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerow(row)
    return path


def _export(
    tmp_path: Path, name: str, fields: list[str], headers: dict[str, str] | None = None
) -> tuple[Path, Any]:
    cmap = load_column_map(name)
    model = load_stage_model(cmap.stage_model)
    cells = {**_CELLS, "stage": model.known_names()[0]}
    chosen = {f: (headers or {}).get(f, cmap.columns[f][0]) for f in fields}
    return _write(
        tmp_path / f"{name}.csv", list(chosen.values()), [cells[f] for f in fields]
    ), model


def _optional(name: str) -> list[str]:
    cmap = load_column_map(name)
    return [f for f in EXPORT_OPTIONAL_FIELDS if f in cmap.columns]


def _stored(value: object) -> object:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


@pytest.mark.parametrize("name", MAPS)
def test_required_fields_are_what_a_review_cannot_do_without(name: str) -> None:
    assert "account" not in REQUIRED_FIELDS
    assert (
        load_column_map(name).missing_required(
            [load_column_map(name).columns[f][0] for f in REQUIRED_FIELDS]
        )
        == []
    )


@pytest.mark.parametrize("name", MAPS)
@pytest.mark.parametrize("dropped", [None, *EXPORT_OPTIONAL_FIELDS])
def test_every_map_with_and_without_each_optional_column(
    tmp_path: Path, name: str, dropped: str | None
) -> None:
    optional = _optional(name)
    if dropped is not None and dropped not in optional:
        pytest.skip(f"{name} has no {dropped} column")
    fields = [*REQUIRED_FIELDS, *(f for f in optional if f != dropped)]
    path, model = _export(tmp_path, name, fields)
    result = read_export(path, week="2026-W47", column_map=name)
    assert result.ok, result.report.summary()
    row = result.snapshot.iloc[0]
    assert (row["deal_id"], row["deal_name"], row["owner"]) == ("D-1", "Packaging line", "Ann Lee")
    assert row["stage"] == model.open_stages[0].key
    assert row["amount"] == 12000.0
    assert (row["close_date"], row["created_date"]) == (
        pd.Timestamp("2026-12-15"),
        pd.Timestamp("2026-10-01"),
    )
    for field in _STORED:
        if field not in load_column_map(name).columns:
            continue
        want = _ABSENT[field] if field == dropped else _STORED[field]
        assert _stored(row.get(field)) == want, field
    assert bool(row["account_missing"]) is (dropped == "account")
    if dropped == "account":
        assert any("no account column" in n for n in result.report.notes)


def test_a_status_other_than_open_won_or_lost_is_a_problem_naming_the_map_fix(
    tmp_path: Path,
) -> None:
    path, _ = _export(tmp_path, "dynamics", [*REQUIRED_FIELDS, "status"])
    path.write_text(path.read_text(encoding="utf-8").replace("Open", "Suspended"), encoding="utf-8")
    problems = read_export(path, week="2026-W47", column_map="dynamics").report.problems
    assert [str(p) for p in problems] == [
        f"{path}, row 2, column 'Status': expected a status of open, won or lost, got "
        "'Suspended'. Hint: add the CRM's status names under 'values: status:' in your column map"
    ]


_TEAM_HEADERS = ["Team", "Sales Team", "team", "团队", "销售团队", "所属团队"]


@pytest.mark.parametrize("name", MAPS)
@pytest.mark.parametrize("team_header", _TEAM_HEADERS)
def test_every_map_reads_the_common_team_headers(
    tmp_path: Path, name: str, team_header: str
) -> None:
    path, _ = _export(tmp_path, name, [*REQUIRED_FIELDS, "team"], {"team": team_header})
    result = read_export(path, week="2026-W47", column_map=name)
    assert result.ok, result.report.summary()
    assert result.snapshot["team"].tolist() == ["North"]
    assert not any("no team column" in r for r in result.report.repairs)


def test_team_headers_are_listed_once_for_every_map() -> None:
    for name in MAPS:
        known = {normalize_label(h) for h in load_column_map(name).columns["team"]}
        assert {normalize_label(h) for h in COMMON_HEADERS["team"]} <= known, name
    # a user map without the field gets them too
    cmap = ColumnMap(name="mine", label="x", columns={f: (f"My {f}",) for f in REQUIRED_FIELDS})
    assert cmap.resolve(["团队"]) == {"team": "团队"}


def test_a_map_header_for_another_field_is_not_taken_for_the_team() -> None:
    cmap = ColumnMap(
        name="mine",
        label="x",
        columns={**{f: (f"My {f}",) for f in REQUIRED_FIELDS}, "next_step": ("Team",)},
    )
    assert cmap.resolve(["Team"]) == {"next_step": "Team"}


def test_the_map_s_own_team_header_wins_over_a_common_one(tmp_path: Path) -> None:
    header = [load_column_map("hubspot").columns[f][0] for f in REQUIRED_FIELDS]
    assert (
        load_column_map("hubspot").resolve([*header, "Team", "HubSpot Team"])["team"]
        == "HubSpot Team"
    )


@pytest.mark.parametrize("name", MAPS)
def test_repeated_columns_read_as_the_vendor_means_them(tmp_path: Path, name: str) -> None:
    cmap = load_column_map(name)
    fields = [*REQUIRED_FIELDS, "account"]
    cells = {**_CELLS, "stage": load_stage_model(cmap.stage_model).known_names()[0]}
    header = [cmap.columns[f][0] for f in fields]
    row = [cells[f] for f in fields]
    repeat = cmap.columns["account"][0]
    path = _write(tmp_path / "x.csv", [*header, repeat, repeat], [*row, "Second Co", "Third Co"])
    if normalize_label(repeat) not in {normalize_label(h) for h in cmap.repeated}:
        with pytest.raises(ColumnMapError, match=r"appear more than once in the header"):
            read_export(path, week="2026-W47", column_map=name)
        return
    result = read_export(path, week="2026-W47", column_map=name)
    assert result.ok, result.report.summary()
    assert result.snapshot["account"].tolist() == ["Acme Ltd"]  # the first: the primary
    assert f"{repeat} (2)" in result.report.ignored_columns
    assert f"{repeat} (3)" in result.report.ignored_columns
    assert (
        f"the export writes {repeat!r} once per associated record (3 columns): the first "
        f"is read as the primary, the others are kept as '{repeat} (2)', '{repeat} (3)'"
    ) in result.report.notes


def test_hubspot_repeats_companies_and_their_ids() -> None:
    header = [
        "Record ID",
        "Associated Company IDs",
        "Associated Company",
        "Associated Company IDs",
        "Associated Company",
    ]
    numbered, notes = load_column_map("hubspot").number_repeats(header)
    assert numbered == (
        "Record ID",
        "Associated Company IDs",
        "Associated Company",
        "Associated Company IDs (2)",
        "Associated Company (2)",
    )
    assert len(notes) == 2


def test_a_user_map_extending_a_shipped_one_leaves_the_decimal_open(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("name: mine\nlabel: x\nextends: salesforce_report\n", encoding="utf-8")
    assert not load_column_map(path).decimal_stated
    path.write_text(
        "name: mine2\nlabel: x\nextends: salesforce_report\ndecimal: ','\n", encoding="utf-8"
    )
    assert load_column_map(path).decimal_stated and load_column_map(path).decimal == ","


# a header that two shipped maps both fit: HubSpot's required columns beside a Salesforce
# report's (Amount and Close Date are in both)
_BOTH_FIT = [
    "Record ID",
    "Deal Name",
    "Deal owner",
    "Deal Stage",
    "Amount",
    "Close Date",
    "Create Date",
    "Opportunity ID",
    "Opportunity Name",
    "Opportunity Owner",
    "Stage",
    "Created Date",
]


def test_of_two_maps_that_fit_the_one_recognising_more_headers_is_used() -> None:
    # Salesforce report: its 7 required fields + Account Name and Owner Role = 9 fields;
    # HubSpot: its 7 required fields
    header = [*_BOTH_FIT, "Account Name", "Owner Role"]
    assert detect_column_map(header).name == "salesforce_report"
    # HubSpot: 7 + Associated Company, HubSpot Team and Deal probability = 10; Salesforce: 9
    more = [*header, "Associated Company", "HubSpot Team", "Deal probability"]
    assert detect_column_map(more).name == "hubspot"


def test_two_maps_fitting_equally_well_are_named_with_the_option_to_choose() -> None:
    with pytest.raises(ColumnMapError) as info:
        detect_column_map(_BOTH_FIT, file="deals.csv")
    assert info.value.message == (
        "deals.csv: several column maps fit this header equally well: hubspot, salesforce_report"
    )
    assert info.value.hint == "say which one with --crm (one of: hubspot, salesforce_report)"
