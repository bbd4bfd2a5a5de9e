"""The two-year sample (``generate_samples(years=2)``): 104 weeks, seasons, year over
year, product lines, account potentials and the planted cases its README lists.

The default sample is unchanged by it: ``tests/test_sample.py::
test_committed_samples_equal_a_fresh_generation`` checks ``data/samples`` byte for byte.
The tests of the full sample share one generation (about a minute: marked slow); the
headers are checked on a few weeks of it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from pipereview.core._errors import InputError
from pipereview.diagnostics._benchmarks import stage_benchmarks
from pipereview.diagnostics._conversion import cohort_conversion
from pipereview.history._intake import ingest_folder
from pipereview.history._store import SnapshotStore
from pipereview.sample import SampleSummary, generate_samples
from pipereview.sample._history import RAMP_REP, RAMP_TEAM, WEAK_STAGE, WEAK_STAGE_TEAM

#: How the header of each team's export is read, and its product line and potential headers.
HEADERS = {
    "north.csv": ("utf-8-sig", ("Product Line", "Account Potential")),
    "west.csv": ("utf-8", ("Product Line", "Account Potential")),
    "huadong.csv": ("gb18030", ("产品线", "客户潜力")),
    "dach.xlsx": ("", ("Product Line", "Account Potential")),
}


def _header(path: Path, encoding: str) -> list[str]:
    if not encoding:
        book = openpyxl.load_workbook(path, read_only=True)
        try:
            sheet = book.active
            assert sheet is not None
            row = next(sheet.iter_rows(max_row=1, values_only=True))
        finally:
            book.close()
        return [str(v) for v in row]
    return path.read_text(encoding=encoding).splitlines()[0].split(",")


@pytest.fixture(scope="module")
def two_years(tmp_path_factory: pytest.TempPathFactory) -> SampleSummary:
    return generate_samples(tmp_path_factory.mktemp("two-years"), years=2)


def test_a_few_weeks_of_the_two_year_sample_carry_the_new_columns(tmp_path: Path) -> None:
    summary = generate_samples(tmp_path, years=2, n_weeks=2, scale=0.2)
    assert summary.weeks == ("2026-W46", "2026-W47")
    for name, (encoding, headers) in HEADERS.items():
        header = _header(tmp_path / "exports" / "2026-W47" / name, encoding)
        assert header[-2:] == list(headers), name
    # and the default sample has neither
    default = generate_samples(tmp_path / "default", n_weeks=1, scale=0.2)
    for name, (encoding, headers) in HEADERS.items():
        header = _header(default.out_dir / "exports" / "2026-W47" / name, encoding)
        assert not set(headers) & set(header), name


def test_years_other_than_one_or_two_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="years 1 or 2"):
        generate_samples(tmp_path, years=3)


@pytest.mark.slow
def test_104_weeks_from_2024_w48(two_years: SampleSummary) -> None:
    assert len(two_years.weeks) == 104
    assert (two_years.weeks[0], two_years.weeks[-1]) == ("2024-W48", "2026-W47")
    assert len(list((two_years.out_dir / "exports").glob("*/*"))) == 4 * 104


@pytest.mark.slow
def test_last_years_december_wins_at_least_twice_its_august(two_years: SampleSummary) -> None:
    assert two_years.history is not None
    won = {(t, m): v for t, m, v in two_years.history.won_last_year_by_month}
    for team in two_years.teams:
        assert won[team, "2025-12"] > 2 * won[team, "2025-08"], team


@pytest.mark.slow
def test_teams_grow_year_over_year_but_west(two_years: SampleSummary) -> None:
    assert two_years.history is not None
    to_date = {t: (now, before) for t, now, before in two_years.history.year_to_date}
    quarter = {t: (now, before) for t, now, before in two_years.history.quarter_to_date}
    for team in ("North", "华东", "DACH"):
        assert to_date[team][0] > to_date[team][1], team
    assert to_date["West"][0] < 0.8 * to_date["West"][1]
    assert quarter["West"][0] < 0.8 * quarter["West"][1]  # this quarter below last year's


@pytest.mark.slow
def test_one_line_per_team_shrinks(two_years: SampleSummary) -> None:
    assert two_years.history is not None
    for team, line, now, before in two_years.history.shrinking_lines:
        assert now < 0.9 * before, (team, line)


@pytest.mark.slow
def test_the_weak_stage_converts_well_below_the_standard(two_years: SampleSummary) -> None:
    assert two_years.history is not None
    team, stage, left, moved = two_years.history.weak_stage
    assert (team, stage) == (WEAK_STAGE_TEAM, WEAK_STAGE)
    assert left >= 300
    assert 0.25 <= moved <= 0.45  # against the 60% standard


@pytest.mark.slow
def test_north_has_the_lowest_new_customer_share(two_years: SampleSummary) -> None:
    assert two_years.history is not None
    share = {t: s for t, s, _ in two_years.history.new_customer_share}
    assert share["North"] < 0.25
    assert share["North"] < min(v for t, v in share.items() if t != "North")


@pytest.mark.slow
def test_planted_b_accounts_are_small_customers_of_top_potential(
    two_years: SampleSummary,
) -> None:
    assert two_years.history is not None
    export = two_years.out_dir / "exports" / "2026-W47" / "west.csv"
    frame = pd.read_csv(export, encoding="utf-8")
    potential = frame.groupby("Associated Company")["Account Potential"].first()
    planted = [a for t, a in two_years.history.b_accounts if t == "West"]
    assert len(planted) == 3
    in_export = [a for a in planted if a in potential.index]
    assert in_export, "no planted account in the last export"
    assert (potential[in_export] >= potential.quantile(0.9)).all()


@pytest.mark.slow
def test_targets_of_both_years_and_the_ramp_team_without_rep_targets(
    two_years: SampleSummary,
) -> None:
    targets = pd.read_csv(
        two_years.out_dir / "targets.csv", encoding="utf-8", keep_default_na=False
    )
    periods = set(targets["period"])
    assert {"2025", "2026", "2025-Q1", "2026-Q4"} <= periods
    ramp = targets[targets["team"] == RAMP_TEAM]
    assert set(ramp["owner"]) == {""}
    others = targets[targets["team"] != RAMP_TEAM]
    team_rows = others[others["owner"] == ""].set_index(["team", "period"])["amount"]
    rep_sums = others[others["owner"] != ""].groupby(["team", "period"])["amount"].sum()
    assert team_rows.sort_index().to_dict() == rep_sums.sort_index().to_dict()
    teams = pd.read_csv(two_years.out_dir / "teams.csv", encoding="utf-8")
    capacity = teams.set_index("rep")["capacity"]
    assert capacity[RAMP_REP] == 0.5
    assert (capacity.drop(RAMP_REP) == 1.0).all()


@pytest.mark.slow
def test_the_readme_lists_the_planted_cases(two_years: SampleSummary) -> None:
    text = (two_years.out_dir / "README.md").read_text(encoding="utf-8")
    for words in (
        "Seasons (淡旺季)",
        "Year over year",
        "A product line shrinking",
        "A long-standing weak stage",
        "A rep in ramp-up",
        "Account classes (ABC)",
        "New and existing customers",
        "pipereview sample --years 2",
    ):
        assert words in text, words


@pytest.mark.slow
def test_the_review_finds_the_weak_stage_below_its_standard(
    two_years: SampleSummary, tmp_path: Path
) -> None:
    """Through the real ingest and the review's benchmarks: DACH's last 26 weeks stored,
    the needs stage's cohort of the last 20 weeks is below the 60% standard."""
    for week in two_years.weeks[-26:]:
        folder = tmp_path / "exports" / week
        folder.mkdir(parents=True)
        shutil.copy(two_years.out_dir / "exports" / week / "dach.xlsx", folder)
    ingest_folder(tmp_path / "exports", store=tmp_path / "store")
    history = SnapshotStore(tmp_path / "store").history()
    conversion = cohort_conversion(history, as_of="2026-W47", window_weeks=20)
    no_risks = pd.DataFrame(columns=["team", "stage_model", "stage", "days_in_stage"])
    table = stage_benchmarks(conversion, no_risks)
    row = table[(table["stage"] == WEAK_STAGE) & (table["measure"] == "conversion")].iloc[0]
    assert row["deals"] >= 100
    assert row["observed"] <= 0.3
    assert row["status"] in {"misses", "below_so_far"}
