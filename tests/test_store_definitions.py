"""A store describes itself: each week records the stage model and column map it was
ingested with, and every command reads them from the store (no --model, no --templates,
no registered model), in a fresh process too."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from pipereview.cli import app
from pipereview.core._errors import StoreError
from pipereview.core._stages import bind_stage_models, load_stage_model, stage_models
from pipereview.history import _definitions as definitions
from pipereview.history._definitions import DefinitionsConflictError, definition_version
from pipereview.history._historyfile import read_history_file
from pipereview.history._loader import load_history
from pipereview.history._store import SnapshotStore
from pipereview.history._verify import record_definitions, verify_store
from pipereview.history._weekfiles import META_KEY

# a process of its own: stages Lead, Pitch, Deal that no shipped model knows
OWN_MODEL = """\
name: acme_flow
label: {en: Acme flow, zh: 阿克米流程}
stages:
  - key: lead
    label: {en: Lead, zh: 线索}
    probability: 0.1
    typical_days: 10
    exit_criteria:
      - field: budget_confirmed
        label: {en: Budget confirmed, zh: 预算已确认}
    aliases: [Lead]
  - key: pitch
    label: {en: Pitch, zh: 方案演示}
    probability: 0.4
    typical_days: 20
    aliases: [Pitch]
  - key: deal
    label: {en: Deal, zh: 商务谈判}
    probability: 0.7
    typical_days: 15
    aliases: [Deal]
  - key: won
    label: {en: Won, zh: 赢单}
    probability: 1.0
    outcome: won
    aliases: [Won]
  - key: lost
    label: {en: Lost, zh: 输单}
    probability: 0.0
    outcome: lost
    aliases: [Lost]
"""
HEADER = [
    "ID",
    "Opportunity",
    "Customer",
    "Salesperson",
    "Sales Team",
    "Stage",
    "Expected Revenue",
    "Currency",
    "Expected Closing",
    "Created on",
    "Budget Confirmed",
]
W46 = [
    [
        "A1",
        "Desks",
        "Brightline",
        "Lucas",
        "Europe",
        "Lead",
        "24000",
        "EUR",
        "2026-12-20",
        "2026-10-05",
        "True",
    ],
    [
        "A2",
        "Panels",
        "Harbor",
        "Lucas",
        "Europe",
        "Pitch",
        "8600",
        "EUR",
        "2026-12-20",
        "2026-10-06",
        "False",
    ],
    [
        "A3",
        "Chairs",
        "Nordic",
        "Mia",
        "Europe",
        "Deal",
        "12000",
        "EUR",
        "2026-12-10",
        "2026-10-07",
        "True",
    ],
]
# A1 moves on to Pitch, A2 is lost, A3 won, A4 is new
W47 = [
    [
        "A1",
        "Desks",
        "Brightline",
        "Lucas",
        "Europe",
        "Pitch",
        "24000",
        "EUR",
        "2027-01-20",
        "2026-10-05",
        "True",
    ],
    [
        "A2",
        "Panels",
        "Harbor",
        "Lucas",
        "Europe",
        "Lost",
        "8600",
        "EUR",
        "2026-12-20",
        "2026-10-06",
        "False",
    ],
    [
        "A3",
        "Chairs",
        "Nordic",
        "Mia",
        "Europe",
        "Won",
        "12000",
        "EUR",
        "2026-12-10",
        "2026-10-07",
        "True",
    ],
    [
        "A4",
        "Lamps",
        "Zenit",
        "Mia",
        "Europe",
        "Lead",
        "5000",
        "EUR",
        "2027-02-10",
        "2026-11-17",
        "False",
    ],
]


@pytest.fixture(autouse=True)
def _nothing_bound() -> Iterator[None]:
    """Each test starts as a fresh process does: no store's definitions adopted."""
    bind_stage_models([])
    definitions._ADOPTED[0] = ""
    yield
    bind_stage_models([])
    definitions._ADOPTED[0] = ""


def _exports(folder: Path) -> tuple[Path, Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "own.yaml").write_text(OWN_MODEL, encoding="utf-8")
    for name, rows in (("w46.csv", W46), ("w47.csv", W47)):
        with (folder / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            writer.writerows(rows)
    return folder / "own.yaml", folder / "w46.csv", folder / "w47.csv"


def _ingest(store: Path, *args: str) -> None:
    result = CliRunner().invoke(app, ["ingest", *args, "--store", str(store)])
    assert result.exit_code == 0, result.output


@pytest.fixture
def own_store(tmp_path: Path) -> Path:
    """Two weeks ingested with ``--model own.yaml``; afterwards nothing knows acme_flow
    but the store."""
    model, w46, w47 = _exports(tmp_path / "exports")
    store = tmp_path / "store"
    _ingest(store, str(w46), "--week", "2026-W46", "--model", str(model))
    _ingest(store, str(w47), "--week", "2026-W47", "--model", str(model))
    bind_stage_models([])
    definitions._ADOPTED[0] = ""
    assert "acme_flow" not in stage_models
    return store


def _fresh(store: Path, *args: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    """``pipereview ARGS`` (or a Python snippet) in a new process: no registry state of
    this one reaches it."""
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "pipereview", *args]
    env = {**os.environ, "PIPEREVIEW_STORE": str(store), "COLUMNS": "200"}
    return subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=300, check=False
    )


def test_a_week_records_the_model_and_map_it_was_ingested_with(own_store: Path) -> None:
    store = SnapshotStore(own_store)
    record = store.info("2026-W47")["definitions"]
    own = load_stage_model(own_store.parent / "exports" / "own.yaml")
    assert sorted(record["stage_models"]) == ["acme_flow"]
    assert record["stage_models"]["acme_flow"]["version"] == definition_version(own)
    assert record["stage_models"]["acme_flow"]["definition"]["stages"][1]["probability"] == 0.4
    assert sorted(record["column_maps"]) == ["odoo"]
    found = store.definitions()
    assert found.stage_models["acme_flow"] == own and found.unrecorded == ()
    assert found.weeks["acme_flow"] == ["2026-W46", "2026-W47"]
    # the record is inside the week's file: the checksum covers it
    assert verify_store(store).ok


def _weeks_rows(output: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in output.splitlines()
        if "2026-W" in line and "│" in line
    ]


def _changes_row(output: str) -> dict[str, str]:
    lines = output.splitlines()
    header = [c.strip() for c in next(x for x in lines if "open amount" in x).split("┃")[1:-1]]
    row = [c.strip() for c in next(x for x in lines if "Europe" in x).split("│")[1:-1]]
    return dict(zip(header, row, strict=True))


WEEKS = [
    ["2026-W46", "Europe", "3", "3", "44,600", "export"],
    ["2026-W47", "Europe", "4", "2", "29,000", "export"],
]


def test_every_command_reads_an_own_model_store_with_no_flags(
    own_store: Path, tmp_path: Path
) -> None:
    runner = CliRunner(env={"COLUMNS": "200"})
    weeks = runner.invoke(app, ["weeks", "--store", str(own_store)])
    assert weeks.exit_code == 0, weeks.output
    assert _weeks_rows(weeks.output) == WEEKS
    changes = runner.invoke(app, ["changes", "--store", str(own_store)])
    assert changes.exit_code == 0, changes.output
    shown = _changes_row(changes.output)
    # the stages are acme_flow's: A2 lost and A3 won are closed, A1 and A4 open
    assert (shown["open"], shown["open amount"], shown["won amount"]) == ("2", "29,000", "12,000")
    coach = runner.invoke(
        app, ["coach", "--store", str(own_store), "--out", str(tmp_path / "coaching")]
    )
    assert coach.exit_code == 0, coach.output
    assert "2 rep sheets and 1 team summaries" in " ".join(coach.output.split())
    sheet = (tmp_path / "coaching" / "2026-W47" / "Europe" / "Lucas.en.md").read_text("utf-8")
    assert sheet.startswith("# Coaching sheet — Lucas (Europe), week 2026-W47")
    assert runner.invoke(app, ["verify", "--store", str(own_store)]).exit_code == 0


@pytest.mark.slow
def test_a_fresh_process_reads_an_own_model_store_with_no_flags(
    own_store: Path, tmp_path: Path
) -> None:
    weeks = _fresh(own_store, "weeks")
    assert weeks.returncode == 0, weeks.stderr
    assert _weeks_rows(weeks.stdout) == WEEKS
    # the other commands in one more fresh process (one start-up for both)
    code = (
        "from pipereview.cli import app\n"
        f"for args in (['changes'], ['coach', '--out', {str(tmp_path / 'coaching')!r}]):\n"
        "    print('=====', args[0], flush=True)\n"
        "    try:\n        app(args, standalone_mode=False)\n"
        "    except SystemExit as stop:\n        print('exit', stop.code)\n"
    )
    both = _fresh(own_store, code=code)
    assert both.returncode == 0, both.stderr
    changes_out, coach_out = both.stdout.split("===== coach")
    assert "exit" not in changes_out and "exit" not in coach_out, both.stdout
    assert _changes_row(changes_out)["open amount"] == "29,000"
    assert "2 rep sheets and 1 team summaries" in " ".join(coach_out.split())


def test_the_batch_history_file_carries_the_definitions(own_store: Path, tmp_path: Path) -> None:
    # what `run` hands its kernels: the keyed history written to Parquet
    path = tmp_path / "history.parquet"
    history = load_history(own_store, last="2026-W47")
    assert history["deal_key"].tolist() == ["A1", "A2", "A3", "A1", "A2", "A3", "A4"]
    history.to_parquet(path, index=False)
    bind_stage_models([])
    definitions._ADOPTED[0] = ""
    # a kernel reading it as the review notebook does
    from pipereview.delivery._review import WeeklyReview

    review = WeeklyReview.from_files(team="Europe", week="2026-W47", history_path=str(path))
    body = review.funnel_section().body
    assert "Pitch" in body and "Lead" in body
    assert read_history_file(path, team="Europe")["deal_key"].nunique() == 4


@pytest.mark.slow
def test_run_and_serve_kernels_read_the_definitions_in_a_fresh_process(
    own_store: Path, tmp_path: Path
) -> None:
    path = tmp_path / "history.parquet"
    load_history(own_store).to_parquet(path, index=False)
    code = (
        "from pipereview.delivery._review import WeeklyReview\n"
        "from pipereview.core._stages import stage_models\n"
        "assert 'acme_flow' not in stage_models\n"
        f"review = WeeklyReview.from_files(team='Europe', week='2026-W47', "
        f"history_path={str(path)!r})\n"
        "body = review.funnel_section().body\n"
        "print('Pitch' in body, 'Lead' in body)\n"
    )
    # serve's state folder: its history file, read by a fresh dashboard kernel
    state = tmp_path / "state"
    served = CliRunner().invoke(
        app, ["serve", "--prepare-only", "--state-dir", str(state), "--store", str(own_store)]
    )
    assert served.exit_code == 0, served.output
    code += (
        "from pipereview.dashboard import Dashboard, DashboardConfig\n"
        f"board = Dashboard.from_config(DashboardConfig.read({str(state)!r} + "
        "'/dashboard.json'))\n"
        "print(board.team, 'Pitch' in board.review.funnel_section().body)\n"
    )
    kernel = _fresh(own_store, code=code)
    assert kernel.returncode == 0, kernel.stderr
    assert kernel.stdout.split() == ["True", "True", "Europe", "True"]


def test_two_versions_of_one_model_are_never_mixed(own_store: Path, tmp_path: Path) -> None:
    _, _, w47 = _exports(tmp_path / "exports")
    changed = tmp_path / "own_v2.yaml"
    changed.write_text(OWN_MODEL.replace("probability: 0.4", "probability: 0.5"), "utf-8")
    # a new week with the changed model: refused, naming both versions and what differs
    result = CliRunner().invoke(
        app,
        [
            "ingest",
            str(w47),
            "--week",
            "2026-W48",
            "--model",
            str(changed),
            "--store",
            str(own_store),
        ],
    )
    assert result.exit_code != 0
    text = " ".join(result.output.split())
    assert "two versions of stage model 'acme_flow'" in text
    assert "weeks 2026-W46, 2026-W47 with version" in text
    assert "week 2026-W48 with version" in text
    assert "stage pitch: probability 0.4 → 0.5" in text
    assert "this week was not stored" in text
    assert SnapshotStore(own_store).weeks() == ["2026-W46", "2026-W47"]
    # storing a week again with the changed model is allowed (how a store moves to it) ...
    _ingest(own_store, str(w47), "--week", "2026-W47", "--model", str(changed), "--replace")
    # ... and until every week is stored with one version, reading says so
    with pytest.raises(
        DefinitionsConflictError,
        match=r"week 2026-W46 with version .*week "
        r"2026-W47 with version .*so nothing is read",
    ):
        SnapshotStore(own_store).history()
    for args in (["weeks"], ["changes"]):
        bind_stage_models([])
        refused = CliRunner().invoke(app, [*args, "--store", str(own_store)])
        assert refused.exit_code != 0
        assert "two versions of stage model 'acme_flow'" in " ".join(refused.output.split())
    check = verify_store(own_store)
    assert not check.ok and "two versions" in check.problems[0].what
    _ingest(
        own_store,
        str(tmp_path / "exports" / "w46.csv"),
        "--week",
        "2026-W46",
        "--model",
        str(changed),
        "--replace",
    )
    history = load_history(own_store)
    assert load_stage_model("acme_flow").stage("pitch").probability == 0.5
    assert len(history) == 7 and verify_store(own_store).ok


def _the_old_way(store: SnapshotStore, week: str) -> None:
    """The week as an earlier pipereview wrote it: no definitions in its metadata."""
    path = store.path(week)
    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[META_KEY])
    del meta["definitions"]
    pq.write_table(
        table.replace_schema_metadata(
            {**table.schema.metadata, META_KEY: json.dumps(meta).encode()}
        ),
        path,
        compression="zstd",
    )
    data = path.read_bytes()
    store.checksum_path(week).write_text(
        json.dumps(
            {
                "week": week,
                "sha256": hashlib.sha256(data).hexdigest(),
                "bytes": len(data),
                "replaces": None,
                "replaces_bytes": None,
            }
        ),
        encoding="utf-8",
    )


def test_a_store_of_shipped_models_written_the_old_way_reads_and_migrates(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    store_dir = tmp_path / "store"
    export = root / "tests/data/headers/odoo.csv"
    _ingest(store_dir, str(export), "--week", "2026-W47")
    store = SnapshotStore(store_dir)
    _the_old_way(store, "2026-W47")
    store = SnapshotStore(store_dir)
    assert "definitions" not in store.info("2026-W47")
    # read with the shipped model of the name its rows carry
    assert store.definitions().unrecorded == ("2026-W47",)
    assert store.definitions().stage_models["generic_4"] == load_stage_model("generic_4")
    weeks = CliRunner().invoke(app, ["weeks", "--store", str(store_dir)])
    assert weeks.exit_code == 0 and "2026-W47" in weeks.output
    check = CliRunner().invoke(app, ["verify", "--store", str(store_dir)])
    assert check.exit_code == 0
    assert "no stage models recorded with the week" in " ".join(check.output.split())
    repaired = CliRunner().invoke(app, ["verify", "--repair", "--store", str(store_dir)])
    assert repaired.exit_code == 0, repaired.output
    assert "recorded the stage models of 2026-W47 in the week" in repaired.output
    store = SnapshotStore(store_dir)
    assert sorted(store.info("2026-W47")["definitions"]["stage_models"]) == ["generic_4"]
    assert store.definitions().unrecorded == () and verify_store(store).ok
    assert record_definitions(store) == []  # nothing left to record


def test_an_own_model_store_written_the_old_way_migrates_once(
    own_store: Path, tmp_path: Path
) -> None:
    store = SnapshotStore(own_store)
    before = store.read("2026-W47", adopt=False)
    for week in ("2026-W46", "2026-W47"):
        _the_old_way(store, week)
    bind_stage_models([])
    definitions._ADOPTED[0] = ""
    # what an earlier pipereview left: only a --templates folder could read it
    with pytest.raises(StoreError, match="did not record its stage model 'acme_flow'") as err:
        SnapshotStore(own_store).history()
    assert "--templates FOLDER verify --repair" in err.value.hint
    refused = CliRunner().invoke(app, ["weeks", "--store", str(own_store)])
    assert refused.exit_code != 0
    assert "did not record its stage model 'acme_flow'" in " ".join(refused.output.split())
    folder = tmp_path / "ours" / "stage_models"
    folder.mkdir(parents=True)
    (folder / "acme_flow.yaml").write_text(OWN_MODEL, encoding="utf-8")
    repaired = CliRunner().invoke(
        app, ["--templates", str(folder.parent), "verify", "--repair", "--store", str(own_store)]
    )
    assert repaired.exit_code == 0, repaired.output
    assert repaired.output.count("recorded the stage models of") == 2
    # from now on, with no flags: the folder and what it registered are gone
    stage_models.unregister("acme_flow")
    bind_stage_models([])
    definitions._ADOPTED[0] = ""
    weeks = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["weeks", "--store", str(own_store)])
    assert weeks.exit_code == 0, weeks.output
    assert _weeks_rows(weeks.output) == WEEKS
    after = SnapshotStore(own_store)
    assert after.read("2026-W47", adopt=False).equals(before)  # the rows never changed
    assert after.definitions().stage_models["acme_flow"] == load_stage_model(
        folder / "acme_flow.yaml"
    )


def test_a_store_model_never_shadows_the_registry_of_the_same_version(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    _ingest(tmp_path / "store", str(root / "tests/data/headers/odoo.csv"), "--week", "2026-W47")
    history = load_history(tmp_path / "store")
    assert history.attrs[definitions.ATTRS_KEY]
    # the shipped model as stored: a user's folder overriding it later still wins for
    # names the store does not define otherwise (nothing is bound)
    assert load_stage_model("generic_4") is stage_models.get("generic_4")


def test_a_record_missing_a_model_its_rows_name_is_never_written(own_store: Path) -> None:
    store = SnapshotStore(own_store)
    frame = store.read("2026-W47", adopt=False)
    with pytest.raises(StoreError, match=r"names stage model\(s\) acme_flow its record"):
        store.add(
            frame, "2026-W47", replace=True, info={"definitions": definitions.week_record([], [])}
        )
    assert store.info("2026-W47")["definitions"]["stage_models"]["acme_flow"]


def test_one_week_never_holds_two_versions_of_a_model(own_store: Path, tmp_path: Path) -> None:
    _, _, w47 = _exports(tmp_path / "exports")
    changed = tmp_path / "own_v2.yaml"
    changed.write_text(OWN_MODEL.replace("typical_days: 20", "typical_days: 30"), "utf-8")
    result = CliRunner().invoke(
        app,
        [
            "ingest",
            str(w47),
            "--week",
            "2026-W47",
            "--add",
            "--replace",
            "--team",
            "Europe",
            "--model",
            str(changed),
            "--store",
            str(own_store),
        ],
    )
    assert result.exit_code != 0
    text = " ".join(result.output.split())
    assert "week 2026-W47 as stored with version" in text
    assert "week 2026-W47 in these exports with version" in text
    assert "stage pitch: typical_days 20 → 30" in text and "was not stored" in text
    assert (
        SnapshotStore(own_store).info("2026-W47")["definitions"]["stage_models"]["acme_flow"][
            "definition"
        ]["stages"][1]["typical_days"]
        == 20
    )
