"""The command line as a user meets it: help, listing, the demo, errors without tracebacks."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipereview.cli import app
from pipereview.history._store import SnapshotStore

ROOT = Path(__file__).resolve().parents[1]
HEADERS = Path(__file__).parent / "data" / "headers"


def test_help_lists_every_command(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("ingest", "weeks", "changes", "sample", "demo", "maps", "models"):
        assert command in result.output


def test_maps_and_models_list_what_ships(runner: CliRunner) -> None:
    maps = runner.invoke(app, ["maps"])
    assert maps.exit_code == 0
    for name in (
        "salesforce_report",
        "salesforce_dataloader",
        "hubspot",
        "odoo",
        "dynamics",
        "chinese_crm",
    ):
        assert name in maps.output
    models = runner.invoke(app, ["models", "--show", "industrial_b2b"], env={"COLUMNS": "200"})
    assert models.exit_code == 0
    assert "收集信息与商机评估" in models.output and "budget_confirmed" in models.output


def test_ingest_then_weeks(runner: CliRunner, tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = runner.invoke(
        app, ["ingest", str(HEADERS / "odoo.csv"), "--week", "2026-W47", "--store", str(store)]
    )
    assert result.exit_code == 0, result.output
    assert "3 rows read, 3 kept" in result.output and "stored 2026-W47" in result.output
    listing = runner.invoke(app, ["weeks", "--store", str(store)])
    assert listing.exit_code == 0
    assert "2026-W47" in listing.output and "Europe" in listing.output
    again = runner.invoke(
        app, ["ingest", str(HEADERS / "odoo.csv"), "--week", "2026-W47", "--store", str(store)]
    )
    assert again.exit_code == 1
    assert "already stored" in again.output and "--replace" in again.output


def test_errors_have_no_traceback_unless_debug(runner: CliRunner, tmp_path: Path) -> None:
    args = [
        "ingest",
        str(tmp_path / "missing.csv"),
        "--week",
        "2026-W47",
        "--store",
        str(tmp_path / "s"),
    ]
    plain = runner.invoke(app, args)
    assert plain.exit_code == 1
    assert "missing.csv" in plain.output and "Traceback" not in plain.output
    debug = runner.invoke(app, ["--debug", *args])
    assert debug.exit_code != 0
    assert debug.exception is not None  # re-raised for the traceback


def test_bad_week_is_a_clear_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["ingest", str(HEADERS / "odoo.csv"), "--week", "../x", "--store", str(tmp_path / "s")]
    )
    assert result.exit_code == 1
    assert "not an ISO week" in result.output and "2026-W47" in result.output
    assert not (tmp_path / "s").exists()


@pytest.mark.slow
def test_demo_ingests_every_sample_week(runner: CliRunner, tmp_path: Path) -> None:
    samples = tmp_path / "samples"
    shutil.copytree(ROOT / "data" / "samples", samples)
    out = tmp_path / "demo"
    result = runner.invoke(app, ["demo", "--samples", str(samples), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Changes in 2026-W47" in result.output
    assert "Results:" in result.output and str(out.resolve() / "store") in result.output.replace(
        "\n", ""
    )
    store = SnapshotStore(out / "store")
    assert len(store.weeks()) == 12 and store.weeks()[-1] == "2026-W47"
    last = store.read("2026-W47")
    assert sorted(last["team"].unique()) == ["DACH", "North", "West", "华东"]
    assert not last["deal_id"].isna().any()
    # the weekly batch ran the review notebook for every team
    assert "Review pack for 2026-W47: 4 of 4 teams ok" in result.output
    index = (out / "reports" / "2026-W47" / "index.html").read_text(encoding="utf-8")
    assert all(
        f'href="./{quote(team)}/review.html"' in index for team in ("DACH", "North", "West", "华东")
    )
    # idempotent: running the demo again gives the same snapshots
    before = store.read("2026-W40")
    assert runner.invoke(app, ["demo", "--samples", str(samples), "--out", str(out)]).exit_code == 0
    pd.testing.assert_frame_equal(store.read("2026-W40"), before)
