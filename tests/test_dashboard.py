"""The dashboard's logic without a browser: figures, selection, locking, empty states,
the action list export (formula-safe), the served notebook and ``pipereview serve``'s
preparation. tests/test_dashboard_browser.py drives the same app in Chromium."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from _dashboard_rows import deal_row, two_teams
from pipereview.cli import app as cli
from pipereview.core._errors import ConfigError
from pipereview.dashboard import TABS, Dashboard, DashboardConfig, dashboard_notebook
from pipereview.delivery._review import WeeklyReview
from pipereview.serve import check_address, prepare_dashboard, voila_command

ROOT = Path(__file__).resolve().parents[1]


_row = deal_row


@pytest.fixture
def small() -> pd.DataFrame:
    """Two weeks of North (Ann, Bob) and one of West (Cy)."""
    return two_teams()


@pytest.fixture
def targets() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "team": ["North", "North"],
            "owner": ["", "Ann"],
            "period": ["2026-Q4", "2026-Q4"],
            "amount": [10_000.0, 4_000.0],
            "currency": "EUR",
        }
    )


def test_figures_of_the_team_and_of_a_rep(small: pd.DataFrame, targets: pd.DataFrame) -> None:
    board = Dashboard(small, targets=targets, team="North")
    assert (board.team, board.week, board.weeks, board.reps) == (
        "North",
        "2026-W47",
        ["2026-W47", "2026-W46"],
        ["Ann", "Bob"],
    )
    team = board.figures()
    # open: 1000 + 400 + 200 = 1600; weighted with the model's probabilities:
    # 1000 x 0.25 + 400 x 0.25 + 200 x 0.10 = 370
    assert (team["open_deals"], team["open_amount"], team["weighted_pipeline"]) == (
        3,
        1600.0,
        370.0,
    )
    assert team == WeeklyReview(small, team="North", week="2026-W47", targets=targets).headline()
    ann = board.select(rep="Ann").figures()
    # Ann: N1 1000 (0.25) + N3 200 (0.10) = 1200 open, 270 weighted; her own target 4,000,
    # nothing won, both due in Q4: gap = 4,000 - 0 won - 270 expected = 3,730;
    # coverage = 1,200 open due in the period / 4,000 remaining = 0.3
    assert (ann["open_deals"], ann["open_amount"], ann["weighted_pipeline"]) == (2, 1200.0, 270.0)
    assert (ann["target"], ann["gap_to_target"], ann["coverage"]) == (4000.0, 3730.0, 0.3)
    assert "target" not in board.select(rep="Bob").figures()  # Bob has no target
    assert "Bob has no target" not in board.tab_html("overview")
    assert "No target for this rep in 2026-Q4." in board.tab_html("overview")


def test_the_overview_states_the_rule_the_plan_follows(
    small: pd.DataFrame, targets: pd.DataFrame
) -> None:
    # two stored weeks of 2026: last year's months are not covered, so the plan is flat
    # and says why, for the team and for a rep with a target, in each language
    board = Dashboard(small, targets=targets, team="North")
    rule = (
        "Plan to date is a straight line in working days (the stored history does not "
        "reach back to 2025-10 to 2025-12)."
    )
    assert rule in board.tab_html("overview")
    assert rule in board.select(rep="Ann").tab_html("overview")
    zh = Dashboard(small, targets=targets, team="North", lang="zh")
    assert "计划进度按工作日平均分摊（已存历史未覆盖去年同期 2025-10 至 2025-12" in zh.tab_html(
        "overview"
    )
    assert "Plan to date" not in Dashboard(small, team="North").tab_html("overview")


def test_selection_is_checked_and_redraws(small: pd.DataFrame) -> None:
    board = Dashboard(small, team="North")
    with pytest.raises(ValueError, match="unknown team 'South'; teams: North, West"):
        board.select(team="South")
    with pytest.raises(
        ValueError, match="no snapshot in 2026-W40; stored weeks: 2026-W46, 2026-W47"
    ):
        board.select(week="2026-W40")
    with pytest.raises(ValueError, match="'Cy' has no deals in North 2026-W47; reps: Ann, Bob"):
        board.select(rep="Cy")
    board.select(rep="Ann")
    board.select(team="West")  # the rep is kept only where they have deals
    assert (board.team, board.week, board.rep, board.reps) == ("West", "2026-W47", "", ["Cy"])
    with pytest.raises(ConfigError, match="unknown language 'fr'; choose one of en, zh"):
        board.select(lang="fr")


def test_widgets_drive_the_selection(small: pd.DataFrame) -> None:
    board = Dashboard(small, team="North")
    widgets = board.controls
    stamp = widgets["stamp"]
    assert "North|2026-W47||en|overview" in stamp.value
    widgets["rep"].value = "Bob"
    assert "North|2026-W47|Bob|en|overview" in stamp.value
    assert (
        "400 EUR" in widgets["body_overview"].value
        and "1,200" not in widgets["body_overview"].value
    )
    widgets["lang"].value = "zh"
    assert widgets["tabs"].get_title(TABS.index("coaching")) == "辅导"
    assert widgets["rep"].options[0] == ("全部销售", "")
    assert "销售漏斗看板" in widgets["title"].value
    widgets["tabs"].selected_index = 2  # funnel: drawn when shown
    assert "|funnel|" in stamp.value and "<svg" in widgets["body_funnel"].value
    widgets["team"].value = "West"
    assert board.rep == "" and "West" in widgets["title"].value
    assert widgets["week"].options == ("2026-W47",)


def test_a_locked_dashboard_holds_and_shows_one_team(small: pd.DataFrame) -> None:
    board = Dashboard(small, team="North", locked=True)
    assert board.teams == ["North"] and set(board.history["team"]) == {"North"}
    with pytest.raises(PermissionError, match="locked to team 'North'"):
        board.select(team="West")
    selectors = board.widget.children[2].children
    assert board.controls["team"] not in selectors  # no team selector at all
    assert "This dashboard shows North only." in board.controls["title"].value
    with pytest.raises(ValueError, match="needs the team"):
        Dashboard(small, locked=True)


def test_clear_states_no_data_first_week_no_open_deals(small: pd.DataFrame) -> None:
    empty = Dashboard(small.iloc[0:0])
    assert empty.teams == [] and empty.week == ""
    for tab in TABS:
        assert "No snapshots are stored yet" in empty.tab_html(tab)
    assert "No snapshots are stored yet" in empty.widget.children[1].value

    first = Dashboard(small, team="North", week="2026-W46")
    assert "First stored week: nothing to compare with yet." in first.tab_html("changes")

    closed = small.assign(stage=lambda f: f["stage"].where(f["team"] != "West", "won"))
    west = Dashboard(closed, team="West")
    for tab in ("funnel", "risks"):
        assert "West has no open deals in 2026-W47." in west.tab_html(tab)
    assert west.figures()["open_deals"] == 0


def test_changes_table_filters_by_category_and_rep(small: pd.DataFrame) -> None:
    board = Dashboard(small, team="North")
    moves = board.movements()
    assert dict(zip(moves["deal_id"], moves["category"], strict=True)) == {
        "N1": "advanced",
        "N2": "unchanged",
        "N3": "new",
    }
    board.category = "new"
    body = board.tab_html("changes")
    assert "Deal N3" in body and "Deal N1" not in body.split("<table")[-1]
    board.select(rep="Bob")
    assert "No deal changed this way." in board.tab_html("changes")


def test_action_list_export_is_formula_safe(small: pd.DataFrame, tmp_path: Path) -> None:
    hostile = small.copy()
    hostile.loc[hostile["deal_id"] == "N1", "deal_name"] = '=HYPERLINK("http://x","y")'
    hostile.loc[hostile["deal_id"] == "N1", "account"] = "@SUM(A1)"
    # a close date already past: a finding that needs no optional column (without the
    # evidence columns, stage evidence is not checked and gives no finding)
    hostile.loc[hostile["deal_id"] == "N1", "close_date"] = pd.Timestamp("2026-11-02")
    board = Dashboard(hostile, team="North")
    actions = board.action_list()
    assert len(actions) > 0
    assert list(actions.columns)[:5] == ["Deal ID", "Rep", "Deal", "Account", "Stage"]
    rank = actions["Severity"].map({"high": 3, "medium": 2, "low": 1})
    assert rank.notna().all() and (rank.diff().dropna() <= 0).all()  # most severe first
    csv, xlsx = board.export_actions(tmp_path)
    assert (csv.name, xlsx.name) == ("actions_North_2026-W47.csv", "actions_North_2026-W47.xlsx")
    back = pd.read_csv(csv, encoding="utf-8-sig")
    assert len(back) == len(actions)
    assert '\'=HYPERLINK("http://x","y")' in set(back["Deal"])
    assert "'@SUM(A1)" in set(back["Account"])
    sheet = pd.read_excel(xlsx)
    assert '\'=HYPERLINK("http://x","y")' in set(sheet["Deal"])
    assert sheet["Amount"].tolist() == actions["Amount"].tolist()  # numbers stay numbers
    assert not list(tmp_path.glob("*.tmp*"))  # written atomically, nothing left over


def test_export_button_offers_both_files(small: pd.DataFrame, tmp_path: Path) -> None:
    board = Dashboard(small, team="North", export_dir=tmp_path, lang="zh")
    board.controls["rep"].value = "Ann"
    board.controls["export"].click()
    links = board.controls["downloads"].value
    assert "download='actions_North_2026-W47_Ann.csv'" in links
    assert "data:text/csv;base64," in links and "pr-download-xlsx" in links
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "actions_North_2026-W47_Ann.csv",
        "actions_North_2026-W47_Ann.xlsx",
    ]


def test_names_are_escaped_in_every_tab(small: pd.DataFrame) -> None:
    hostile = small.copy()
    hostile.loc[hostile["deal_id"] == "N1", "deal_name"] = "<script>alert(1)</script>"
    hostile.loc[hostile["owner"] == "Bob", "owner"] = "<img src=x onerror=alert(1)>"
    board = Dashboard(hostile, team="North")
    for rep in ["", "<img src=x onerror=alert(1)>"]:
        board.select(rep=rep)
        for tab in TABS:
            body = board.tab_html(tab)
            assert "<script>" not in body and "<img src=x" not in body, tab
    assert "&lt;script&gt;" in Dashboard(hostile, team="North").tab_html("changes")


def test_the_repository_notebook_is_the_served_one() -> None:
    stored = json.loads((ROOT / "notebooks" / "dashboard.ipynb").read_text(encoding="utf-8"))
    served = dashboard_notebook()
    assert [c["source"] for c in stored["cells"]] == [c["source"] for c in served["cells"]]
    assert all(not c["outputs"] for c in stored["cells"])  # the notebook only builds the app


@pytest.mark.slow
def test_prepare_locked_dashboard_keeps_only_its_team(sample_store: Path, tmp_path: Path) -> None:
    state = prepare_dashboard(
        tmp_path / "state",
        store=sample_store,
        team="North",
        targets=ROOT / "data" / "samples" / "targets.csv",
    )
    history = pd.read_parquet(state.history)
    assert set(history["team"]) == {"North"} and history["deal_key"].notna().all()
    config = DashboardConfig.read(state.config)
    assert (config.team, config.warm, config.lang) == ("North", True, "en")
    board = Dashboard.from_config(config)
    assert board.locked and board.teams == ["North"] and board.week == "2026-W47"
    assert state.environment == {"PIPEREVIEW_DASHBOARD": str(state.config)}
    with pytest.raises(ValueError, match="team 'Sout' has no stored snapshot") as info:
        prepare_dashboard(tmp_path / "other", store=sample_store, team="Sout")
    assert "DACH, North, West, 华东" in str(info.value.expected)  # type: ignore[attr-defined]
    assert not (tmp_path / "other").exists()  # refused before anything is written


@pytest.mark.slow
def test_served_dashboard_uses_the_configuration(sample_store: Path, tmp_path: Path) -> None:
    folder = tmp_path / "ours" / "stage_models"
    folder.mkdir(parents=True)
    (folder / "mine.yaml").write_text(
        (ROOT / "src/pipereview/templates/stage_models/generic_4.yaml")
        .read_text("utf-8")
        .replace("name: generic_4", "name: mine"),
        "utf-8",
    )
    (tmp_path / "team.yaml").write_text(
        "lang: zh\ntemplates: [ours]\nrisk: {stalled_days: 9}\n", "utf-8"
    )
    state_dir = tmp_path / "north"
    result = CliRunner().invoke(
        cli,
        [
            "--config",
            str(tmp_path / "team.yaml"),
            "serve",
            "--store",
            str(sample_store),
            "--team",
            "North",
            "--prepare-only",
            "--state-dir",
            str(state_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    config = DashboardConfig.read(state_dir / "dashboard.json")
    assert config.lang == "zh" and config.settings == str(state_dir / "settings.yaml")
    assert "ours" in (state_dir / "settings.yaml").read_text("utf-8")
    from pipereview.core._stages import stage_models

    stage_models.unregister("mine")
    board = Dashboard.from_config(config)
    assert "mine" in stage_models  # the served page registers the templates folder
    assert board.config.risk.stalled_days == 9 and board.lang == "zh"
    assert board.review.context.config.risk.stalled_days == 9


def test_serve_listens_on_loopback_only_unless_asked(sample_store: Path) -> None:
    check_address("127.0.0.1")
    check_address("0.0.0.0", allow_remote=True)
    with pytest.raises(ValueError, match=r"refusing to listen on 0\.0\.0\.0"):
        check_address("0.0.0.0")
    command = voila_command("x/dashboard.ipynb", port=9999)
    assert "--Voila.ip=127.0.0.1" in command and "--strip_sources=True" in command
    assert "--show_tracebacks=False" in command and "--preheat_kernel=True" in command
    result = CliRunner().invoke(cli, ["serve", "--store", str(sample_store), "--ip", "0.0.0.0"])
    assert result.exit_code == 1
    assert "refusing to listen on 0.0.0.0" in result.output and "reverse proxy" in result.output


def test_serve_prepare_only_writes_a_locked_dashboard(sample_store: Path, tmp_path: Path) -> None:
    state_dir = tmp_path / "north"
    result = CliRunner().invoke(
        cli,
        [
            "serve",
            "--store",
            str(sample_store),
            "--team",
            "North",
            "--prepare-only",
            "--state-dir",
            str(state_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"PIPEREVIEW_DASHBOARD={state_dir / 'dashboard.json'}" in result.output.replace("\n", "")
    assert sorted(p.name for p in state_dir.iterdir()) == [
        "dashboard.ipynb",
        "dashboard.json",
        "history.parquet",
        "teams",  # the per-team state a page loads (test_dashboard_prepared.py)
    ]
    assert DashboardConfig.read(state_dir / "dashboard.json").team == "North"
    missing = CliRunner().invoke(cli, ["serve", "--store", str(sample_store), "--prepare-only"])
    assert missing.exit_code == 1 and "--prepare-only needs --state-dir" in missing.output


def test_base_url_for_a_reverse_proxy() -> None:
    assert "--Voila.base_url=/pipeline/north/" in voila_command(
        "d.ipynb", port=1, base_url="/pipeline/north/"
    )
    with pytest.raises(ValueError, match="must start and end with '/'"):
        voila_command("d.ipynb", port=1, base_url="pipeline")


@pytest.mark.slow
def test_likely_next_views_are_computed_while_idle(small: pd.DataFrame) -> None:
    import asyncio

    async def page_open_then_idle() -> Dashboard:
        board = Dashboard(small, team="North")
        assert board.controls["stamp"] is not None  # drawn: the overview of North 2026-W47
        await asyncio.sleep(0.1)
        board.select(team="West")  # an interaction replans the work ahead
        for _ in range(300):  # until everything likely is computed (at most 30 s)
            await asyncio.sleep(0.1)
            if board._idle is None:
                break
        return board

    board = asyncio.run(page_open_then_idle())
    order = [key[:5] for key in board._html]
    assert len(order) == len(set(order))  # each view computed once
    west = [order.index(("West", "2026-W47", "", "en", tab)) for tab in TABS]
    north = [order.index(("North", "2026-W47", "", "en", tab)) for tab in TABS[1:]]
    assert max(west) < order.index(("West", "2026-W47", "", "zh", "coaching")) < min(north)
    assert (board.team, board.week, board.rep, board.lang) == ("West", "2026-W47", "", "en")
    assert "West|2026-W47||en|overview" in board.controls["stamp"].value

    plain = Dashboard(small, team="North")
    assert plain.controls["stamp"] is not None  # no event loop running: nothing ahead
    assert {key[4] for key in plain._html} == {"overview"}


# --- crafted widget messages: a short line on the page, never a traceback ---------------------
def _update(widget: object, state: object, buffer_paths: list[object] | None = None) -> None:
    """Deliver a widget message as the page's websocket would (through the widget's comm)."""
    widget.comm.handle_msg(
        {
            "content": {
                "comm_id": "c",
                "data": {  # type: ignore[attr-defined]
                    "method": "update",
                    "state": state,
                    "buffer_paths": buffer_paths or [],
                },
            },
            "buffers": [],
        }
    )


CRAFTED = [
    ("week", {"index": 99}),
    ("week", {"index": -1}),
    ("week", {"index": "2026-W01"}),
    ("rep", {"index": 10_000}),
    ("rep", {"index": None}),
    ("lang", {"index": 5}),
    ("team", {"index": 1}),
    ("category", {"index": 3.5}),
    ("sort", {"index": [1]}),
    ("tabs", {"selected_index": 42}),
    ("tabs", {"selected_index": "overview"}),
    ("export", {"description": None}),
    ("export", {"layout": "IPY_MODEL_nope"}),
    ("week", "not a state"),
    ("week", ["index", 1]),
    ("rep", {"index": 0}, ["index"]),
    ("stamp", {"value": {}}),
    ("title", {"value": ["x"]}),
    ("category", {"index": {}}),
    ("notice", {"value": None}),
    ("tabs", {"titles": 7}),
]


def _page_copies(
    board: Dashboard, monkeypatch: pytest.MonkeyPatch
) -> Callable[[], dict[str, dict[str, object]]]:
    """What the page holds of each control: its state when drawn, updated by every state
    message the kernel sends it (``update`` and ``echo_update`` alike)."""
    copies = {name: dict(w.get_state()) for name, w in board.controls.items()}
    for name, widget in board.controls.items():

        def send(
            data: object = None, metadata: object = None, buffers: object = None, name: str = name
        ) -> None:
            if isinstance(data, dict) and data.get("method") in ("update", "echo_update"):
                copies[name].update(data["state"])

        monkeypatch.setattr(widget.comm, "send", send)
    return lambda: copies


@pytest.mark.parametrize("message", CRAFTED, ids=[str(m) for m in CRAFTED])
def test_crafted_widget_messages_get_a_short_line_and_change_nothing(
    small: pd.DataFrame,
    message: tuple[object, ...],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    board = Dashboard(small, team="North", locked=True)
    controls = board.controls
    page = _page_copies(board, monkeypatch)
    before = (
        board.team,
        board.week,
        board.rep,
        board.lang,
        controls["week"].value,
        controls["rep"].value,
        controls["tabs"].selected_index,
    )
    name, state, *paths = message
    _update(controls[str(name)], state, *paths)
    after = (
        board.team,
        board.week,
        board.rep,
        board.lang,
        controls["week"].value,
        controls["rep"].value,
        controls["tabs"].selected_index,
    )
    assert after == before
    shown = " ".join(
        str(w.value) for w in controls.values() if isinstance(getattr(w, "value", None), str)
    )
    assert "Traceback" not in shown and 'File "' not in shown and ".py" not in shown
    assert "That request could not be handled" in controls["notice"].value
    printed = capsys.readouterr()
    assert "Traceback" not in printed.out  # the kernel's stdout reaches the page
    # the page shows what the kernel holds, whatever was echoed to it before the refusal
    for control, copy in page().items():
        held = controls[control].get_state()
        assert {k: copy[k] for k in held} == held, control


def test_a_valid_selection_after_a_refused_one_clears_the_line(small: pd.DataFrame) -> None:
    board = Dashboard(small, team="North")
    controls = board.controls
    _update(controls["week"], {"index": 99})
    assert "could not be handled" in controls["notice"].value
    _update(controls["week"], {"index": controls["week"].options.index("2026-W46")})
    assert board.week == "2026-W46" and controls["notice"].value == ""
    board.select(lang="zh")
    _update(controls["rep"], {"index": 99})
    assert "无法处理该请求" in controls["notice"].value


def test_a_failing_export_gets_the_short_line(
    small: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    board = Dashboard(small, team="North")

    def broken(*_: object) -> None:
        raise OSError("[Errno 28] No space left on device: '/srv/pipereview/exports/x.csv'")

    monkeypatch.setattr(board.state, "_export_files", broken)
    controls = board.controls
    controls["export"].comm.handle_msg(
        {
            "content": {
                "comm_id": "c",
                "data": {"method": "custom", "content": {"event": "click"}},
            },
            "buffers": [],
        }
    )
    assert "could not be handled" in controls["notice"].value
    assert "/srv" not in controls["notice"].value and controls["downloads"].value == ""
