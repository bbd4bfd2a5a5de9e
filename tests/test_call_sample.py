"""The sample's forecast calls: a file per week (every week for two years, the last week for
one), the planted biases measured back from the calls, the stale rep, the README section,
and the demo storing them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipereview.core._weeks import Week
from pipereview.forecasting import call_freshness
from pipereview.history import SnapshotStore, read_forecast_calls_stored, store_forecast_calls
from pipereview.ingest import read_forecast_calls
from pipereview.sample import CALL_BIASES, write_forecast_calls
from pipereview.sample._callsample import _truth
from pipereview.sample._generate import _simulate
from pipereview.sample._history import history_teams

LAST = Week.parse("2026-W47")
WEEKS = [LAST - k for k in range(39, -1, -1)]  # three closed quarters and a running one


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:  # type: ignore[type-arg]
    folder = tmp_path_factory.mktemp("samples")
    (folder / "README.md").write_text("# Sample\n", encoding="utf-8")
    runs = _simulate(history_teams(), 2026, 0.1, WEEKS, 2)
    paths = write_forecast_calls(folder, runs, WEEKS, seed=2026, years=2)
    return folder, [paths, runs]


def test_a_file_per_week_read_back(written: tuple[Path, list]) -> None:  # type: ignore[type-arg]
    _, (paths, _) = written
    assert [p.name for p in paths] == [f"{w}.csv" for w in WEEKS]
    export = read_forecast_calls(paths[-1])
    assert export.rows_quarantined == 0 and export.rows_used == export.rows_read
    frame = export.frame
    assert set(frame["team"]) == {"North", "West", "华东", "DACH"}
    assert (frame.groupby("team")["level"].apply(lambda s: (s == "manager").sum()) == 1).all()
    assert frame["period"].unique().tolist() == ["2026-Q4"]


def test_planted_biases_measured_back(written: tuple[Path, list]) -> None:  # type: ignore[type-arg]
    _, (paths, runs) = written
    north = next(r for r in runs if r.spec.name == "North")
    truth = _truth(north, WEEKS)
    calls = pd.concat([read_forecast_calls(p).frame for p in paths], ignore_index=True)
    calls = calls[(calls["team"] == "North") & (calls["level"] == "rep")]
    ratio = calls["commit"] / [
        truth[(r, p)] for r, p in zip(calls["rep"], calls["period"], strict=True)
    ]
    by_rep = ratio.groupby(calls["rep"]).median()
    for index, bias in CALL_BIASES["North"].items():
        assert by_rep[north.spec.reps[index]] == pytest.approx(bias, abs=0.03)
    others = by_rep.drop([north.spec.reps[i] for i in CALL_BIASES["North"]])
    assert ((others - 1).abs() <= 0.08).all()


def test_the_stale_rep_and_the_readme(written: tuple[Path, list], tmp_path: Path) -> None:  # type: ignore[type-arg]
    folder, (paths, _) = written
    store = SnapshotStore(tmp_path / "store")
    for path in paths[-6:]:
        store_forecast_calls(store, path.stem, read_forecast_calls(path))
    calls = read_forecast_calls_stored(store, LAST)
    reps = pd.DataFrame({"team": "North", "rep": ["Sarah Johnson"]})
    fresh = call_freshness(calls, reps, LAST).set_index("rep")
    assert fresh.loc["Sarah Johnson", "last_week"] == "2026-W44"
    assert fresh.loc["Sarah Johnson", "status"] == "stale (3 weeks old)"
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "## Forecast calls" in readme
    assert "Marcus Reed calls about 0.75 of what they win (sandbagging)" in readme
    assert "Chris Walker calls about 1.35 of what they win (over-calling)" in readme
