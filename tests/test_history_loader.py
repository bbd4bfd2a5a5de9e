"""One loader of a history (``pipereview.history.load_history``): from a store, a history
file or a folder of exports, of one team, keyed, with the store's definitions and the
configuration's template folders in effect; and no second loading path in the package."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipereview.core import InputError
from pipereview.history import load_history, load_prepared

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "pipereview"

#: Calls that read or key a history by hand: outside ``history/`` they go through
#: ``load_history`` (or ``load_prepared``) instead.
LOADING_CALLS = {"read_parquet", "with_deal_keys", "read_history_file", "use_templates"}
#: Where such a call is legitimately something else (module: calls allowed there).
ALLOWED = {
    # a CRM export in Parquet, read by ingest's own reader (not a history)
    "ingest/_readers.py": {"read_parquet"},
    # the command line's --config/--templates options register the folders once for the
    # whole run (ingest's column maps and stage models need them, not only loads)
    "cli/_base.py": {"use_templates"},
    # a prepared team's rows (dashboard/prepared.py: PreparedTeams.history, itself read
    # with load_history), not a store's history
    "dashboard/data.py": {"SnapshotStore.history"},
    "dashboard/prepared.py": {"SnapshotStore.history"},
}


def _calls(path: Path) -> set[str]:
    """The names of the loading calls in ``path`` (``x.history(...)`` on a store too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in LOADING_CALLS:
            found.add(name)
        elif name == "history" and isinstance(func, ast.Attribute):
            found.add("SnapshotStore.history")
    return found


def test_no_second_loading_path_outside_history() -> None:
    offending = {}
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if relative.startswith(("history/", "config/")):
            continue
        calls = _calls(path) - ALLOWED.get(relative, set())
        if calls:
            offending[relative] = sorted(calls)
    assert offending == {}, (
        f"load histories with pipereview.history.load_history, not by hand: {offending}"
    )


def test_the_scan_sees_a_hand_written_load(tmp_path: Path) -> None:
    path = tmp_path / "module.py"
    path.write_text(
        "import pandas as pd\nfrom pipereview.history import SnapshotStore, "
        "with_deal_keys\nh = with_deal_keys(SnapshotStore('s').history())\n"
        "f = pd.read_parquet('h.parquet')\n",
        encoding="utf-8",
    )
    assert _calls(path) == {"with_deal_keys", "SnapshotStore.history", "read_parquet"}


# --- the loader itself -------------------------------------------------------------------

OWN_MODEL = """\
name: acme_flow
label: {en: Acme flow, zh: 阿克米流程}
stages:
  - {key: lead, label: {en: Lead, zh: 线索}, probability: 0.1, typical_days: 10, aliases: [Lead]}
  - {key: pitch, label: {en: Pitch, zh: 方案演示}, probability: 0.4, typical_days: 20,
     aliases: [Pitch]}
  - {key: won, label: {en: Won, zh: 赢单}, probability: 1.0, outcome: won, aliases: [Won]}
  - {key: lost, label: {en: Lost, zh: 输单}, probability: 0.0, outcome: lost, aliases: [Lost]}
"""
HEADER = (
    "ID,Opportunity,Customer,Salesperson,Sales Team,Stage,Expected Revenue,Currency,"
    "Expected Closing,Created on\n"
)
WEEKS = {
    "2026-W46": [
        "A1,Desks,Brightline,Lucas,Europe,Lead,24000,EUR,2026-12-20,2026-10-05",
        "A2,Panels,Harbor,Mia,Europe,Pitch,8600,EUR,2026-12-20,2026-10-06",
    ],
    "2026-W47": [
        "A1,Desks,Brightline,Lucas,Europe,Pitch,24000,EUR,2027-01-20,2026-10-05",
        "A2,Panels,Harbor,Mia,Europe,Won,8600,EUR,2026-12-20,2026-10-06",
    ],
}


@pytest.fixture
def own_exports(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A folder of weekly exports whose stages only the templates folder's model knows, and
    that folder; the model is forgotten again after the test."""
    from pipereview.core._stages import bind_stage_models, stage_models
    from pipereview.history import _definitions

    templates = tmp_path / "ours"
    (templates / "stage_models").mkdir(parents=True)
    (templates / "stage_models" / "acme_flow.yaml").write_text(OWN_MODEL, encoding="utf-8")
    exports = tmp_path / "exports"
    for week, rows in WEEKS.items():
        (exports / week).mkdir(parents=True)
        (exports / week / "europe.csv").write_text(HEADER + "\n".join(rows) + "\n", "utf-8")
    assert "acme_flow" not in stage_models
    yield exports, templates
    if "acme_flow" in stage_models:
        stage_models.unregister("acme_flow")
    bind_stage_models([])
    _definitions._ADOPTED[0] = ""


def test_a_store_is_loaded_for_one_team_up_to_a_week(sample_store: Path) -> None:
    north = load_history(sample_store, team="North", last="2026-W46")
    assert set(north["team"]) == {"North"}
    assert north["snapshot_week"].max() == "2026-W46"
    assert north["deal_key"].notna().all() and north.attrs  # keyed, carrying definitions
    prepared = load_prepared(sample_store, team="North", last="2026-W46")
    assert prepared.weeks[-1] == "2026-W46" and len(prepared) == len(north)
    assert prepared.deal_key.tolist() == north["deal_key"].tolist()
    assert "deal_key" not in load_history(sample_store, team="North", keyed=False)


def test_an_unknown_team_is_refused_naming_the_known_ones(
    sample_store: Path, tmp_path: Path
) -> None:
    with pytest.raises(InputError, match="team 'Sout' has no stored snapshot") as store_err:
        load_history(sample_store, team="Sout")
    assert store_err.value.expected == "one of: DACH, North, West, 华东"
    path = tmp_path / "history.parquet"
    load_history(sample_store, team="West", last="2026-W44").to_parquet(path, index=False)
    with pytest.raises(InputError, match="team 'North' has no stored snapshot") as file_err:
        load_history(file=path, team="North")
    assert file_err.value.expected == "one of: West"


def test_a_history_file_is_read_as_written_for_one_team(sample_store: Path, tmp_path: Path) -> None:
    keyed = load_history(sample_store, last="2026-W47")
    path = tmp_path / "history.parquet"
    keyed.to_parquet(path, index=False)
    west = load_history(file=path, team="West")
    expected = keyed[keyed["team"] == "West"].reset_index(drop=True)
    assert west["deal_key"].tolist() == expected["deal_key"].tolist()
    assert west["snapshot_week"].tolist() == expected["snapshot_week"].tolist()
    upto = load_history(file=path, team="West", last="2026-W45")
    assert upto["snapshot_week"].max() == "2026-W45"
    assert len(upto) == (expected["snapshot_week"] <= "2026-W45").sum()
    # an unkeyed file is keyed on reading, unless asked for as written
    keyed.drop(columns="deal_key").to_parquet(path, index=False)
    assert "deal_key" not in load_history(file=path, keyed=False)
    again = load_history(file=path, team="West")
    assert (
        again["deal_key"].tolist() == load_history(sample_store, team="West")["deal_key"].tolist()
    )
    with pytest.raises(InputError, match="reads one source, but got more than one") as refused:
        load_history(sample_store, file=path)
    assert refused.value.hint == "give only one of them"


def test_a_bad_week_is_refused_even_for_an_empty_history_file(
    sample_store: Path, tmp_path: Path
) -> None:
    """The ``last`` week is checked before the file is read: an empty history file does
    not turn a typo into an empty review."""
    path = tmp_path / "history.parquet"
    load_history(sample_store, last="2026-W47").iloc[:0].to_parquet(path, index=False)
    assert load_history(file=path, last="2026-W47", keyed=False).empty
    with pytest.raises(InputError, match="'soon' is not an ISO week") as refused:
        load_history(file=path, last="soon")
    assert "2026-W47" in str(refused.value.hint)


def test_an_exports_folder_is_loaded_with_the_configured_templates(
    own_exports: tuple[Path, Path],
) -> None:
    exports, templates = own_exports
    history = load_history(exports=exports, team="Europe", templates=[templates])
    assert history["snapshot_week"].tolist() == ["2026-W46", "2026-W46", "2026-W47", "2026-W47"]
    assert history["deal_key"].tolist() == ["A1", "A2", "A1", "A2"]
    assert set(history["stage_model"]) == {"acme_flow"}
    assert history["stage"].tolist() == ["lead", "pitch", "pitch", "won"]
    assert not list(exports.parent.glob("**/snapshots"))  # the temporary store is gone


@pytest.mark.slow
def test_a_stored_own_model_resolves_in_a_fresh_process_without_templates(
    own_exports: tuple[Path, Path], tmp_path: Path
) -> None:
    from pipereview.core import use_folder
    from pipereview.history import ingest_folder

    exports, templates = own_exports
    use_folder(templates)
    ingest_folder(exports, store=tmp_path / "store")
    shutil.rmtree(templates)  # from now on only the store knows acme_flow
    code = (
        "from pipereview.core._stages import stage_models\n"
        "from pipereview.delivery import WeeklyReview\n"
        "from pipereview.history import load_prepared\n"
        "assert 'acme_flow' not in stage_models\n"
        f"store = {str(tmp_path / 'store')!r}\n"
        "prepared = load_prepared(store, team='Europe')\n"
        "print(prepared.is_won.tolist(), prepared.model_probability.tolist())\n"
        "review = WeeklyReview.from_files(team='Europe', week='2026-W47', store=store)\n"
        "body = review.funnel_section().body\n"
        "print('Pitch' in body, 'Lead' in body, review.headline()['open_amount'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "[False, False, False, True] [0.1, 0.4, 0.4, 1.0]",
        "True True 24000.0",
    ]


def test_a_review_reads_its_team_through_the_loader(sample_store: Path) -> None:
    from pipereview.delivery import WeeklyReview

    review = WeeklyReview.from_files(team="North", week="2026-W47", store=str(sample_store))
    assert (
        review.history["deal_key"].tolist()
        == load_history(sample_store, team="North")["deal_key"].tolist()
    )
    with pytest.raises(InputError, match="team 'Sout' has no stored snapshot"):
        WeeklyReview.from_files(team="Sout", week="2026-W47", store=str(sample_store))
    with pytest.raises(ValueError, match="give history_path, store or exports"):
        WeeklyReview.from_files(team="North", week="2026-W47")
