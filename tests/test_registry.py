"""Registries and the configuration: analysts add column maps, stage models, rules, charts
and prompt templates without touching pipereview's files, from code, from a templates
folder or from an installed plug-in package."""

from __future__ import annotations

import base64
import csv
import dataclasses
import hashlib
import io
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipereview.charts import chart_names, draw_charts, register_chart
from pipereview.cli import app
from pipereview.coaching import coaching_sheet, get_rule, rule_names
from pipereview.config import Config, load_config
from pipereview.core._errors import ColumnMapError, ConfigError, StageModelError
from pipereview.core._registry import Registry, use_folder
from pipereview.core._stages import load_stage_model, stage_models
from pipereview.history._store import SnapshotStore
from pipereview.ingest._columnmaps import column_maps, detect_column_map, load_column_map
from pipereview.ingest._schema import open_mask
from pipereview.week import WeekDiagnostics

ROOT = Path(__file__).resolve().parents[1]
NORTH_W47 = ROOT / "data" / "samples" / "exports" / "2026-W47" / "north.csv"

ACME_MAP = """\
name: acme_crm
label: Acme CRM
extends: salesforce_report
columns:
  deal_name: [Deal Title]
  owner: [Account Executive]
"""

STRICT_MODEL = """\
name: strict_process
label: {en: Strict process, zh: 严格流程}
stages:
  - {key: qualify, label: {en: Qualify, zh: 资格}, probability: 0.1, typical_days: 10,
     aliases: [Qualify],
     exit_criteria: [{field: budget_confirmed, label: {en: Budget, zh: 预算}}]}
  - {key: propose, label: {en: Propose, zh: 方案}, probability: 0.5, typical_days: 20,
     aliases: [Propose]}
  - {key: won, label: {en: Won, zh: 赢单}, probability: 1.0, outcome: won, aliases: [Won]}
  - {key: lost, label: {en: Lost, zh: 输单}, probability: 0.0, outcome: lost, aliases: [Lost]}
"""


def _acme_export(path: Path) -> Path:
    """The sample's North export of 2026-W47 with two headers renamed, as Acme CRM
    prints them."""
    text = NORTH_W47.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    rename = {"Opportunity Name": "Deal Title", "Opportunity Owner": "Account Executive"}
    rows[0] = [rename.get(h, h) for h in rows[0]]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


# -- the registry itself ------------------------------------------------------------------


def test_a_registry_registers_looks_up_and_refuses_clearly() -> None:
    reg: Registry[int] = Registry("widget", group="pipereview.test_widgets")
    reg.register("one", 1)
    assert reg.get("one") == 1 and "one" in reg and reg.names() == ["one"]
    assert reg.source("one") == "code"
    with pytest.raises(
        ConfigError, match="a widget named 'one' is already registered; pass replace=True"
    ):
        reg.register("one", 2)
    reg.register("one", 2, replace=True)
    assert reg.get("one") == 2
    with pytest.raises(ConfigError, match="unknown widget 'two'; known: one"):
        reg.get("two")
    reg.unregister("one")
    assert "one" not in reg and reg.names() == []


def test_a_user_folder_adds_and_overrides_maps_and_models(tmp_path: Path) -> None:
    folder = tmp_path / "ours"
    (folder / "column_maps").mkdir(parents=True)
    (folder / "stage_models").mkdir()
    (folder / "column_maps" / "acme_crm.yaml").write_text(ACME_MAP, encoding="utf-8")
    (folder / "stage_models" / "strict_process.yaml").write_text(STRICT_MODEL, encoding="utf-8")
    shipped = load_stage_model("generic_4")
    slower = (
        (ROOT / "src/pipereview/templates/stage_models/generic_4.yaml")
        .read_text(encoding="utf-8")
        .replace("typical_days: ", "typical_days: 1")
    )
    (folder / "stage_models" / "generic_4.yaml").write_text(slower, encoding="utf-8")

    done = use_folder(folder)
    assert done == {
        "column_maps": ["acme_crm"],
        "stage_models": ["generic_4", "strict_process"],
        "templates": [],
    }
    assert load_column_map("acme_crm").columns["deal_name"] == ("Deal Title",)
    assert load_column_map("acme_crm").columns["account"] == ("Account Name",)  # extended
    assert load_stage_model("strict_process").keys == ("qualify", "propose", "won", "lost")
    ours = load_stage_model("generic_4")
    assert [s.typical_days for s in ours.open_stages] != [
        s.typical_days for s in shipped.open_stages
    ]
    assert stage_models.source("generic_4") == f"folder {folder}"
    # the renamed headers are detected as the user's map, among the shipped ones
    header = next(
        csv.reader(io.StringIO(_acme_export(tmp_path / "a.csv").read_text(encoding="utf-8")))
    )
    assert detect_column_map(header).name == "acme_crm"


def test_a_folder_entry_must_carry_its_own_name(tmp_path: Path) -> None:
    (tmp_path / "stage_models").mkdir()
    (tmp_path / "stage_models" / "other.yaml").write_text(STRICT_MODEL, encoding="utf-8")
    with pytest.raises(StageModelError, match="'other' says 'name: strict_process' inside"):
        use_folder(tmp_path)


def test_a_folder_with_nothing_to_read_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="holds nothing pipereview reads"):
        use_folder(tmp_path)
    with pytest.raises(ConfigError, match="does not exist"):
        use_folder(tmp_path / "missing")


def test_unknown_names_list_what_is_registered(tmp_path: Path) -> None:
    column_maps.register("acme_crm", load_column_map(_write(tmp_path / "m.yaml", ACME_MAP)))
    with pytest.raises(
        ColumnMapError,
        match=r"unknown column map 'acme'; known: acme_crm, "
        r"chinese_crm",
    ):
        load_column_map("acme")


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# -- charts -------------------------------------------------------------------------------


def _history() -> pd.DataFrame:
    rows = []
    for week, stage in (("2026-W46", "initial_contact"), ("2026-W47", "needs_confirmed")):
        for i, owner in enumerate(["Ann", "Ann", "Bo"]):
            rows.append(
                {
                    "snapshot_week": week,
                    "team": "T",
                    "deal_id": f"d{i}",
                    "deal_name": f"Deal {i}",
                    "account": f"Acct {i}",
                    "owner": owner,
                    "stage": stage,
                    "stage_model": "generic_4",
                    "amount": 100.0 * (i + 1),
                    "currency": "EUR",
                    "close_date": pd.Timestamp("2026-12-31"),
                    "probability": 0.2,
                    "created_date": pd.Timestamp("2026-10-01"),
                }
            )
    return pd.DataFrame(rows)


def test_a_registered_chart_is_drawn_on_a_reps_sheet() -> None:
    import altair as alt

    @register_chart("deal_sizes")
    def deal_sizes(context: WeekDiagnostics, team: str, owner: str | None, lang: str) -> alt.Chart:
        deals = context.open_deals[context.open_deals["owner"] == owner]
        return (
            alt.Chart(deals)
            .mark_bar()
            .encode(x="amount:Q", y="deal_name:N")
            .properties(title=f"Deal sizes of {owner}")
        )

    assert {"deal_sizes", "funnel", "forecast"} <= set(chart_names())
    context = WeekDiagnostics(_history(), as_of="2026-W47")
    drawn = draw_charts(context, "T", "Ann", ["funnel", "deal_sizes", "forecast"])
    assert [name for name, _ in drawn] == ["funnel", "deal_sizes"]  # no targets: no forecast
    assert all(svg.count("<svg") == 1 for _, svg in drawn)
    prompts = pd.DataFrame(
        columns=[
            "team",
            "owner",
            "kind",
            "scope",
            "deal_key",
            "lang",
            "amount_at_stake",
            "severity",
        ]
    )
    sheet = coaching_sheet(prompts, "T", "Ann", as_of="2026-W47").with_charts(
        context, ["deal_sizes"]
    )
    page = sheet.to_html()
    assert '<figure class="sheet-chart" data-chart="deal_sizes">' in page
    assert "Deal sizes of Ann" in page and "Deal 0" in page and "Deal 2" not in page


def test_a_chart_must_be_a_function() -> None:
    with pytest.raises(ConfigError, match="expected a function"):
        register_chart("nope")(42)  # type: ignore[arg-type]


# -- the configuration --------------------------------------------------------------------


def test_the_configuration_is_typed_frozen_and_checked(tmp_path: Path) -> None:
    file = _write(
        tmp_path / "team.yaml",
        (
            "lang: zh\nstage_model: generic_4\ntemplates: [ours]\ncharts: funnel\n"
            "follow_up_days: 14\nrisk: {stalled_days: 21, push_limit: 3}\n"
            "trends: {forecast: {win_rate_weeks: 26}}\nplan: {holidays: [2026-12-25]}\n"
            "rules: {repeated_pushes: {push_limit: 4}}\ndisabled: [no_coach]\n"
        ),
    )
    config = load_config(file)
    assert (config.lang, config.stage_model, config.follow_up_days) == ("zh", "generic_4", 14)
    assert config.templates == (tmp_path / "ours",) and config.charts == ("funnel",)
    assert (config.risk.stalled_days, config.risk.push_limit) == (21, 3)
    assert config.trends.forecast.win_rate_weeks == 26
    assert str(sorted(config.plan.holidays)[0]) == "2026-12-25"
    assert config.rule_settings() == {
        "repeated_pushes": {"push_limit": 4},
        "no_coach": {"enabled": False},
    }
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.lang = "en"  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.rules["x"] = {}  # type: ignore[index]
    assert config.replace(lang="en").lang == "en" and config.lang == "zh"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "colour: red\n",
            "unknown key(s) colour; known keys: accounts, activities, backtest, benchmarks, charts",
        ),
        ("risk: {stalled: 3}\n", "risk has no setting 'stalled'; its settings: min_durations"),
        ("risk: {stalled_days: 0}\n", "risk: stalled_days must be at least 1, got 0"),
        ("lang: fr\n", "unknown language 'fr'; choose one of en, zh"),
        ("window_weeks: 0\n", "window_weeks must be a whole number of at least 1"),
        ("rules: {stalled_deal: {days: 3}}\n", "rule 'stalled_deal' has no threshold(s) days"),
        ("disabled: [nope]\n", "unknown coaching rule 'nope'"),
    ],
)
def test_a_wrong_configuration_names_file_and_setting(
    tmp_path: Path, text: str, message: str
) -> None:
    file = _write(tmp_path / "bad.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_config(file)
    assert str(file) in caught.value.message and message in caught.value.message


def test_the_configuration_reaches_the_diagnostics() -> None:
    history = _history().assign(last_activity_date=pd.Timestamp("2026-10-25"))
    default = WeekDiagnostics(history, as_of="2026-W47")
    eager = WeekDiagnostics(
        history, "2026-W47", config=Config(risk=dataclasses.replace(Config().risk, stalled_days=20))
    )
    # 2026-W47 runs from 16 to 22 November: 22 to 28 days after the last activity
    assert default.config.risk.stalled_days == 30 and not default.risks["stalled"].any()
    assert eager.risks["stalled"].all() and len(eager.risks) == 3


def test_the_cli_reads_config_and_templates(
    tmp_path: Path, sample_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    runner = CliRunner()
    folder = tmp_path / "ours"
    (folder / "column_maps").mkdir(parents=True)
    _write(folder / "column_maps" / "acme_crm.yaml", ACME_MAP)
    os.chdir(tmp_path)  # a short relative path fits the table
    result = runner.invoke(app, ["--templates", "ours", "maps"])
    assert result.exit_code == 0, result.output
    assert "acme_crm" in result.output and "folder ours" in result.output
    config = _write(tmp_path / "c.yaml", "lang: zh\nrules: {stalled_deal: {days: 1}}\n")
    result = runner.invoke(
        app,
        [
            "--config",
            str(config),
            "coach",
            "--store",
            str(sample_store),
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 1
    assert f"{config}: rule 'stalled_deal' has no threshold(s) days" in result.output


# -- a plug-in package, built and installed in a temporary folder -------------------------

PLUGIN_RULE = '''\
"""Acme's coaching rule: open deals above a size get a second look."""
import pandas as pd
from pipereview.coaching import register_rule


@register_rule("acme_big_deal", kind="risk", coaching="opportunity", scope="deal",
               defaults={"min_amount": 250000})
def acme_big_deal(context, params):
    """Open deals of at least min_amount."""
    deals = context.open_deals
    big = deals[deals["amount"] >= params["min_amount"]]
    return big.assign(metric="amount", value=big["amount"], reference=params["min_amount"],
                      severity=1)
'''

PLUGIN_INIT = """\
from importlib import resources


def column_map():
    return resources.files("acme_pipereview") / "acme_crm.yaml"


def templates():
    return resources.files("acme_pipereview") / "prompts"
"""

PLUGIN_TEMPLATE = {
    "en": "{% block observation %}ACME-CHECK {{ deal_name }} is {{ value|money(currency) }}."
    "{% endblock %}{% block question %}Who signs?{% endblock %}"
    "{% block action %}Book the sign-off meeting.{% endblock %}",
    "zh": "{% block observation %}ACME-CHECK {{ deal_name }} 金额 {{ value|money(currency) }}。"
    "{% endblock %}{% block question %}谁签字？{% endblock %}"
    "{% block action %}约签字会议。{% endblock %}",
}


def _wheel(folder: Path) -> Path:
    """acme_pipereview 1.0 as a wheel: a rule, a column map and prompt templates, declared
    through pipereview's entry-point groups."""
    files = {
        "acme_pipereview/__init__.py": PLUGIN_INIT,
        "acme_pipereview/rules.py": PLUGIN_RULE,
        "acme_pipereview/acme_crm.yaml": ACME_MAP,
        "acme_pipereview/prompts/en/acme_big_deal.j2": PLUGIN_TEMPLATE["en"],
        "acme_pipereview/prompts/zh/acme_big_deal.j2": PLUGIN_TEMPLATE["zh"],
        "acme_pipereview-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: acme-pipereview\nVersion: 1.0\n",
        "acme_pipereview-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        "acme_pipereview-1.0.dist-info/entry_points.txt": "[pipereview.rules]\nacme = acme_pipereview.rules\n\n"
        "[pipereview.column_maps]\nacme_crm = acme_pipereview:column_map\n\n"
        "[pipereview.templates]\nacme = acme_pipereview:templates\n",
    }
    record = []
    wheel = folder / "acme_pipereview-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            data = text.encode("utf-8")
            archive.writestr(name, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            record.append(f"{name},sha256={digest.decode()},{len(data)}")
        record.append("acme_pipereview-1.0.dist-info/RECORD,,")
        archive.writestr("acme_pipereview-1.0.dist-info/RECORD", "\n".join(record) + "\n")
    return wheel


@pytest.mark.slow
def test_an_installed_plug_in_adds_a_rule_a_map_and_templates_the_cli_uses(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--target",
            str(site),
            str(_wheel(tmp_path)),
        ],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr
    package_files = {
        p: p.read_bytes()
        for p in sorted((ROOT / "src" / "pipereview").rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT / "src")])}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pipereview", *args],
            env=env,
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=300,
        )

    listed = cli("registry")
    assert listed.returncode == 0, listed.stderr
    for line in ("acme_crm", "acme_big_deal", "plug-in acme-pipereview"):
        assert line in listed.stdout
    store = tmp_path / "store"
    ingested = cli(
        "ingest",
        str(_acme_export(tmp_path / "acme.csv")),
        "--week",
        "2026-W47",
        "--store",
        str(store),
    )
    assert ingested.returncode == 0, ingested.stderr
    assert "acme_crm" in ingested.stdout + ingested.stderr  # the plug-in's map was detected
    coached = cli("coach", "--store", str(store), "--out", str(tmp_path / "pack"))
    assert coached.returncode == 0, coached.stderr
    findings = pd.read_csv(tmp_path / "pack" / "2026-W47" / "findings.en.csv")
    mine = findings[findings["rule"] == "acme_big_deal"]
    stored = SnapshotStore(store).read("2026-W47")
    expected = stored[(stored["amount"] >= 250_000) & open_mask(stored)]
    assert len(mine) == len(expected) > 0
    assert mine["observation"].str.startswith("ACME-CHECK ").all()
    # nothing of pipereview's own files changed, and this process never saw the plug-in
    assert {
        p: p.read_bytes()
        for p in sorted((ROOT / "src" / "pipereview").rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    } == package_files, "installing or running the plug-in changed pipereview's own files"
    assert "acme_big_deal" not in rule_names()
    with pytest.raises(ConfigError):
        get_rule("acme_big_deal")


def test_a_plug_in_that_fails_to_load_stops_with_its_name(
    installed_plugin: Callable[[str, str, str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = installed_plugin(
        "broken_maps",
        "raise ImportError('needs acme-sdk')\n",
        "[pipereview.column_maps]\nbroken = broken_maps:column_map\n",
    )
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setattr(column_maps, "_plugins_loaded", False)
    with pytest.raises(
        ConfigError,
        match=r"column map plug-in 'broken' "
        r"\(broken_maps:column_map\) failed to load: ImportError: needs acme-sdk",
    ):
        column_maps.names()


@pytest.mark.slow
def test_importing_pipereview_loads_no_plug_in(
    installed_plugin: Callable[[str, str, str], Path],
) -> None:
    folder = installed_plugin(
        "loud_plugin",
        "from pathlib import Path\nPath(__file__).with_name('loaded').touch()\n"
        "raise RuntimeError('loaded at import')\n",
        "".join(
            f"[{group}]\nloud = loud_plugin\n\n"
            for group in (
                "pipereview.rules",
                "pipereview.column_maps",
                "pipereview.stage_models",
                "pipereview.templates",
                "pipereview.charts",
            )
        ),
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT / "src")])}
    code = (
        "import pipereview, pipereview.coaching, pipereview.charts, pipereview.config, "
        "pipereview.dashboard, pipereview.delivery._batch, pipereview.cli"
    )
    imported = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert imported.returncode == 0, imported.stderr
    assert not (folder / "loaded").exists()  # nothing ran at import
    used = subprocess.run(
        [sys.executable, "-m", "pipereview", "maps"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert used.returncode == 1 and "plug-in 'loud' (loud_plugin) failed to load" in used.stderr
    assert (folder / "loaded").exists()  # ... and it loads, loudly, on first use
