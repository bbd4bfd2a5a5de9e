"""The prepared per-team state a served page loads (pipereview.dashboard.prepared) and the
pool of preheated kernels (``serve --pool-size``)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipereview.cli import app as cli
from pipereview.dashboard import TABS, Dashboard, DashboardConfig
from pipereview.dashboard import tabs as board_tabs
from pipereview.dashboard.prepared import PreparedTeams
from pipereview.diagnostics._targets import load_targets
from pipereview.serve import ServeState, check_limits, prepare_dashboard, voila_command

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ROOT / "data" / "samples" / "targets.csv"
TEAMS = ["DACH", "North", "West", "华东"]
WEEKS = ["2026-W47", "2026-W46", "2026-W45"]


@pytest.fixture(scope="module")
def recent(sample_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample store's keyed history of its last three weeks (fewer views to draw)."""
    from pipereview.history._loader import load_history

    history = load_history(sample_store)
    path = tmp_path_factory.mktemp("recent") / "history.parquet"
    history[history["snapshot_week"].astype("str") >= WEEKS[-1]].to_parquet(path)
    return path


@pytest.fixture(scope="module")
def served(recent: Path, tmp_path_factory: pytest.TempPathFactory) -> ServeState:
    return prepare_dashboard(tmp_path_factory.mktemp("state"), history=recent, targets=TARGETS)


def test_a_page_reads_only_the_team_it_shows(served: ServeState) -> None:
    state = served
    config = DashboardConfig.read(state.config)
    folder = Path(str(config.prepared))
    index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    assert [entry["team"] for entry in index["teams"]] == TEAMS
    whole = pd.read_parquet(state.history)
    for entry in index["teams"]:
        rows = pd.read_parquet(folder / entry["history"])
        assert set(rows["team"]) == {entry["team"]}
        assert len(rows) == int((whole["team"] == entry["team"]).sum())
        assert entry["weeks"] == WEEKS
    board = Dashboard.from_config(replace(config, warm=False))
    prepared = board.data._prepared
    assert prepared is not None
    assert set(prepared._frames) == set()  # the first view is prepared: no rows read yet
    assert board.teams == TEAMS and board.weeks[0] == "2026-W47"
    board.select(team="West")
    assert set(prepared._frames) == set()
    assert set(board.review.history["team"]) == {"West"}  # read when a review needs them
    assert set(prepared._frames) == {"West"}


def test_prepared_views_are_what_the_page_would_draw(served: ServeState) -> None:
    state = served
    config = DashboardConfig.read(state.config)
    prepared = PreparedTeams(str(config.prepared))
    north = prepared.views("North")
    # every tab of the latest week, the overview of each stored week, zh overview/coaching
    tabs = {key[4] for key in north if key[1] == "2026-W47" and key[3] == "en"}
    assert tabs == set(TABS)
    assert {key[1] for key in north if key[4] == "overview"} == set(WEEKS)
    assert {key[4] for key in north if key[3] == "zh"} == {"overview", "coaching"}
    assert len({key[4] for key in north if key[1] == "2026-W46" and key[3] == "en"}) == len(TABS)
    reps = {key[2] for key in north if key[2]}
    assert len(reps) >= 2 and {key[4] for key in north if key[2]} == set(TABS)
    for week in WEEKS[:2]:  # each rep of the two latest weeks: every tab, the zh overview
        for rep in reps:
            shown = {key[4] for key in north if key[1:4] == (week, rep, "en")}
            assert shown in (set(TABS), set()), (week, rep)  # every tab, or no deals then
            assert bool(shown) == ((week, rep, "zh") in {k[1:4] for k in north}), (week, rep)
    assert not {key for key in north if key[2] and key[1] == WEEKS[2]}
    # drawn from the whole history, as a page without prepared state draws them
    whole = Dashboard(pd.read_parquet(state.history), targets=load_targets(TARGETS))
    for key, body in north.items():
        team, week, rep, lang, tab = key[:5]
        view = replace(whole.view, team=team, week=week, rep=rep, lang=lang)
        assert whole.render(tab, view) == body, key
    board = Dashboard.from_config(replace(config, warm=False))
    assert (
        board.data.html[("North", "2026-W47", "", "zh", "coaching", "", "", "")]
        == (north[("North", "2026-W47", "", "zh", "coaching", "", "", "")])
    )


def test_selecting_among_prepared_views_counts_nothing_again(
    served: ServeState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The buttons' counts of the prepared views are prepared with them: a page moving
    among those views (week, team, rep) computes no movement and draws nothing, and shows
    the buttons a page over the whole history shows."""
    config = DashboardConfig.read(served.config)
    whole = Dashboard(pd.read_parquet(served.history), targets=load_targets(TARGETS))
    board = Dashboard.from_config(replace(config, warm=False))
    _ = board.widget  # the selectors and their buttons, as a page builds them
    changes = ({"week": "2026-W46"}, {"team": "North"}, {"rep": ""})
    shown = []
    for change in changes:
        whole.select(**change)
        if "rep" in change:  # a rep of the team, as the second option of the selector
            whole.select(rep=whole.reps[1])
        shown.append([whole.view, *(whole.controls[n].options for n in ("category", "stage"))])
        shown[-1].append(whole.controls["body_overview"].value)
    for tab in TABS:  # a tab drawn in the page from here on would fail the test
        monkeypatch.setitem(board_tabs.TAB_HTML, tab, _not_prepared)
    for change, (view, category, stage, overview) in zip(changes, shown, strict=True):
        board.select(**(change if "rep" not in change else {"rep": view.rep}))
        assert board.view == view
        assert board.controls["category"].options == category
        assert board.controls["stage"].options == stage
        assert board.controls["body_overview"].value == overview
    assert board.data._moves == {}  # no week's movements computed in the page
    labels = [label for label, _value in board.controls["category"].options]
    assert labels[0].startswith("All changes · ") and len(labels) > 1


def test_a_prepared_selection_builds_no_review(
    served: ServeState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening a page and moving among prepared views (week, team, rep, tab, language)
    builds no review in the page: the reps and the period of each week are prepared
    too; the page shows what a page over the whole history shows."""
    from pipereview.dashboard import data as board_data

    config = DashboardConfig.read(served.config)
    whole = Dashboard(pd.read_parquet(served.history), targets=load_targets(TARGETS))
    _ = whole.widget
    changes: list[dict[str, str]] = [{"week": "2026-W46"}, {"team": "North"}]
    shown = []
    for change in [*changes, {"rep": "?"}, {"lang": "zh"}]:
        if change.get("rep") == "?":  # the second option of the rep selector
            change = {"rep": whole.reps[1]}
            changes.append(change)
        elif "lang" in change:
            changes.append(change)
        whole.select(**change)
        shown.append((whole.reps, *(whole.controls[n].value for n in ("title", "body_overview"))))
    monkeypatch.setattr(board_data, "WeeklyReview", _no_review)
    board = Dashboard.from_config(replace(config, warm=False))
    _ = board.widget
    assert board.data.reviews == {}
    for change, (reps, title, overview) in zip(changes, shown, strict=True):
        board.select(**change)
        assert board.reps == reps
        assert board.controls["title"].value == title
        assert board.controls["body_overview"].value == overview
    assert (board.team, board.week, board.lang) == ("North", "2026-W47", "zh")
    board.select(rep="")
    board.show_tab("coaching")  # every tab of the team's latest week is prepared
    assert board.controls["body_coaching"].value == board.data.html[board.view.key("coaching")]
    assert "2026-Q4" in board.controls["title"].value  # the period, without the review
    assert board.data.reviews == {} and set(board.data._prepared._frames) == set()
    # only the files of the weeks and reps shown were read, one small file each
    rep = changes[2]["rep"]
    assert board.data.html._loaded == {  # type: ignore[attr-defined]
        ("DACH", "2026-W47", ""),
        ("DACH", "2026-W46", ""),
        ("North", "2026-W47", ""),
        ("North", "2026-W47", rep),
    }


def _no_review(*args: object, **kwargs: object) -> None:
    raise AssertionError("a review built in the page for a prepared view")


def _not_prepared(context: object) -> str:
    raise AssertionError(f"drawn in the page, not prepared: {context}")


def test_a_locked_prepared_page_never_reads_another_team(recent: Path, tmp_path: Path) -> None:
    state = prepare_dashboard(
        tmp_path / "state", history=recent, team="North", targets=TARGETS, warm=False
    )
    config = DashboardConfig.read(state.config)
    assert config.prepared and not list(Path(config.prepared).glob("*.views*.json"))
    board = Dashboard.from_config(config)
    assert board.locked and board.teams == ["North"]
    assert set(board.history["team"]) == {"North"}
    with pytest.raises(PermissionError, match="locked to team 'North'"):
        board.select(team="West")
    assert board.data.html.get(("West", "2026-W47", "", "en", "overview", "", "", "")) is None


def test_a_broken_state_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"index\.json is not a prepared dashboard state") as info:
        PreparedTeams(tmp_path)
    assert "--prepare-only" in str(info.value.hint)  # type: ignore[attr-defined]


def test_the_pool_of_preheated_kernels() -> None:
    command = voila_command("d/dashboard.ipynb", port=1, pool_size=3)
    assert "--preheat_kernel=True" in command and "--pool_size=3" in command
    none = voila_command("d/dashboard.ipynb", port=1, pool_size=0)
    assert not [arg for arg in none if "preheat" in arg or "pool_size" in arg]
    assert not [a for a in voila_command("d.ipynb", port=1, preheat=False) if "pool" in a]
    with pytest.raises(ValueError, match="--pool-size -1 is out of range"):
        check_limits(4, 600, 20, -1)
    result = CliRunner().invoke(cli, ["serve", "--pool-size", "65"])
    assert result.exit_code == 1 and "--pool-size 65 is out of range" in result.output
