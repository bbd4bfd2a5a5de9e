"""``pipereview run --period``: the monthly or quarterly pack of every team, run by the
weekly batch into a folder of its own with the same index page and manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipereview.cli import app

pytestmark = [pytest.mark.slow, pytest.mark.serial]


@pytest.fixture(scope="module")
def small_store(small_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pipereview.history._intake import ingest_folder

    root = tmp_path_factory.mktemp("period-store") / "store"
    ingest_folder(small_sample / "exports", store=root)
    return root


def test_run_period_month_writes_the_month_pack(
    small_sample: Path, small_store: Path, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        app,
        [
            "run",
            "--period",
            "month",
            "--week",
            "2026-W47",
            "--store",
            str(small_store),
            "--targets",
            str(small_sample / "targets.csv"),
            "--teams",
            "North",
            "--workers",
            "1",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Pack 2026-11, as of 2026-W47" in result.output
    pack = tmp_path / "2026-11"  # the month holding W47's Sunday, 22 November
    assert not (tmp_path / "2026-W47").exists()
    manifest = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["period"] == "2026-11"
    assert manifest["notebook"]["path"].endswith("period_review.ipynb")
    team = manifest["teams"][0]
    assert team["status"] == "ok", team["error"]
    assert team["headline"]["period"] == "2026-11" and team["headline"]["complete"] is False
    report = (pack / "North" / "review.html").read_text(encoding="utf-8")
    assert "North — monthly results, 2026-11 to date, as of 2026-W47" in report
    assert "Results against plan" in report and "s plan: 2026-12</h2>" in report
    index = (pack / "index.html").read_text(encoding="utf-8")
    assert "Pipeline review 2026-11, 2026-W47" in index


def test_run_refuses_a_period_that_is_not_one(small_store: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["run", "--period", "weekly", "--store", str(small_store), "--out", str(tmp_path)],
    )
    assert result.exit_code != 0
    assert "'weekly' is not a month or a quarter" in result.output
    assert not any(tmp_path.iterdir())
