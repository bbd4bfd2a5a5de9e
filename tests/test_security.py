"""Security guarantees in one place, one test (or table) per attack.

- path traversal through team names, week strings, template and map names, output paths;
- HTML/JS injection through deal, account, rep and team names in every HTML output;
- formula injection in the CSV/XLSX files people open in spreadsheets;
- a dashboard locked to one team, probed for another;
- Voilà never listening beyond loopback unless asked.

Guarantees tested elsewhere are referenced where they live (``see:``) and not repeated.
A test marked ``xfail(strict=True)`` records a flaw not fixed yet: its reason says what
the fix is, and it fails loudly once the fix lands so the mark is removed.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from pipereview.cli import app
from pipereview.core._errors import InputError, InvalidWeekError
from pipereview.delivery import _batch as batch
from pipereview.delivery._batch import run_batch
from pipereview.delivery._batchplan import index_html, safe_folder_name
from pipereview.history._store import SnapshotStore

# jupyter_client leaves kernel sockets for the garbage collector to close (as in test_batch)
pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

ROOT = Path(__file__).resolve().parents[1]
TINY = Path(__file__).resolve().parent / "data" / "notebooks" / "tiny_team.ipynb"
TARGETS = ROOT / "data" / "samples" / "targets.csv"
W46, W47 = "2026-W46", "2026-W47"

# --- hostile data ----------------------------------------------------------------------
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS_LINK = "javascript:alert(1)"
JINJA = "{{7*7}}"
FORMULAS = ('=HYPERLINK("http://x","y")', "+1", "-1+1", "@SUM(A1)")
#: a team name the batch accepts as a folder (no separator) yet hostile in HTML
#: (without braces: test_team_names_never_template_the_notebook_path)
HTML_TEAM = f"{IMG} Team"
#: a team name refused as a folder, for the outputs that do not make folders of it
SCRIPT_TEAM = f"{SCRIPT} West"
#: team names the folder rule accepts (no quote, '<' or '>') yet hostile in HTML: they
#: replace HTML_TEAM and SCRIPT_TEAM for the outputs that make folders of team names
FOLDER_TEAMS = {
    HTML_TEAM: "' onmouseover='alert(1)' &amp; Team",
    SCRIPT_TEAM: "&lt;script&gt;alert(1)&lt;&#47;script&gt; West",
}
NAME_PAYLOADS = (SCRIPT, IMG, JS_LINK, f"Deal {JINJA}", *FORMULAS)
REP_PAYLOADS = (f"{SCRIPT} Ann", f"{IMG} Bob", f"Rep {JINJA}", FORMULAS[0], FORMULAS[3])


def _hostile(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (sample rows) with hostile team, deal, account and rep names, the same
    deal keeping the same name every week."""
    out = frame.copy()
    out["team"] = out["team"].replace({"North": HTML_TEAM, "West": SCRIPT_TEAM})
    ids = sorted(out["deal_id"].dropna().unique())
    names = dict(zip(ids, itertools.cycle(NAME_PAYLOADS), strict=False))
    out["deal_name"] = [
        f"{names[d]} {d}" if d in names else n
        for d, n in zip(out["deal_id"], out["deal_name"], strict=True)
    ]
    accounts = sorted(out["account"].dropna().unique())
    renamed = dict(zip(accounts, itertools.cycle(reversed(NAME_PAYLOADS)), strict=False))
    out["account"] = [
        f"{renamed[a]} {i % 7}" if a in renamed else a for i, a in enumerate(out["account"])
    ]
    owners = sorted(out["owner"].unique())
    out["owner"] = out["owner"].map(dict(zip(owners, itertools.cycle(REP_PAYLOADS), strict=False)))
    # one rep per payload and team: a name that repeats gets the team's initial
    out["owner"] = [
        f"{o} {t[:1]}{owners.index(orig) // len(REP_PAYLOADS)}"
        if owners.index(orig) >= len(REP_PAYLOADS)
        else o
        for o, t, orig in zip(out["owner"], out["team"], frame["owner"], strict=True)
    ]
    return out


@pytest.fixture(scope="module")
def hostile_store(sample_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Weeks 2026-W44..W47 of North (renamed :data:`HTML_TEAM`) and West
    (:data:`SCRIPT_TEAM`), every name hostile."""
    source = SnapshotStore(sample_store)
    root = tmp_path_factory.mktemp("hostile") / "store"
    for week in ("2026-W44", "2026-W45", W46, W47):
        rows = source.read(week, teams=["North", "West"])
        plant(root, _hostile(rows.reset_index(drop=True)), week)
    return root


@pytest.fixture(scope="module")
def hostile_targets(hostile_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Quarter targets for both hostile teams and each of their reps."""
    rows = SnapshotStore(hostile_store).read(W47)
    lines = [
        {"team": t, "owner": "", "period": "2026-Q4", "amount": 5_000_000.0, "currency": c}
        for t, c in rows.groupby("team")["currency"].first().items()
    ]
    lines += [
        {"team": t, "owner": o, "period": "2026-Q4", "amount": 900_000.0, "currency": c}
        for (t, o), c in rows.groupby(["team", "owner"])["currency"].first().items()
    ]
    path = tmp_path_factory.mktemp("hostile-targets") / "targets.csv"
    pd.DataFrame(lines).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def folder_hostile(
    hostile_store: Path, hostile_targets: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    """The hostile store and targets with :data:`FOLDER_TEAMS` as team names."""
    root = tmp_path_factory.mktemp("folder-hostile")
    source = SnapshotStore(hostile_store)
    for week in source.weeks():
        rows = source.read(week)
        rows["team"] = rows["team"].astype(str).replace(FOLDER_TEAMS)
        plant(root / "store", rows, week)
    targets = pd.read_csv(hostile_targets)
    targets["team"] = targets["team"].replace(FOLDER_TEAMS)
    targets.to_csv(root / "targets.csv", index=False)
    return root / "store", root / "targets.csv"


class _Scan(HTMLParser):
    """What in a page would run: on* attributes, script bodies, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._script = tag == "script"
        for name, value in attrs:
            text = (value or "").strip().lower()
            if name.startswith("on") and "alert(1)" in text:
                self.found.append(f"<{tag} {name}={value!r}>")
            if name in (
                "href",
                "src",
                "action",
                "formaction",
                "xlink:href",
                "data",
            ) and text.startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag: str) -> None:
        self._script = False

    def handle_data(self, data: str) -> None:
        if self._script and "alert(1)" in data:
            self.found.append(f"<script>{data[:80]}")


def assert_inert(page: str, where: str) -> None:
    """No script, event handler or javascript: link from the data in ``page``, and no
    template expression from the data evaluated; the data is there, escaped."""
    scan = _Scan()
    scan.feed(page)
    scan.close()
    assert scan.found == [], f"{where}: executable data {scan.found[:3]}"
    lowered = page.lower()
    assert "<script>alert(1)" not in lowered, where
    assert "<img src=x onerror" not in lowered, where
    for evaluated in ("Deal 49", "Rep 49"):
        assert evaluated not in page, f"{where}: {JINJA} rendered as {evaluated!r}"


def _listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def plant(root: Path, rows: pd.DataFrame, week: str, *, replace: bool = False) -> None:
    """Write ``rows`` as week ``week`` of the store at ``root`` the way an earlier release
    wrote it: no checksum record, no validation of names. Stores written before names were
    checked at ingest (and files planted by hand) may hold any name, so every output must
    still defend itself against them; :meth:`SnapshotStore.add` now refuses them."""
    path = SnapshotStore(root).path(week)
    assert replace or not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = rows.reset_index(drop=True)
    dates = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
    frame = frame.astype(dict.fromkeys(dates, "datetime64[ns]"))
    meta = {
        "week": week,
        "rows": len(frame),
        "teams": sorted(frame["team"].unique().tolist()),
        "sources": [],
    }
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), b"pipereview": json.dumps(meta).encode()}
    )
    pq.write_table(table, path, compression="zstd")


@pytest.fixture
def confined(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Work in ``tmp_path/work``; afterwards nothing new may exist beside it (in
    ``tmp_path``) or in the parent of ``tmp_path``."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    parent = set(os.listdir(tmp_path.parent))
    yield work
    assert set(os.listdir(tmp_path)) == {"work"}, "written beside the working folder"
    assert set(os.listdir(tmp_path.parent)) <= parent, "written outside tmp_path"


# === path traversal: team names ========================================================
TRAVERSING_TEAMS = [
    "../evil",
    "..",
    "/tmp/pipereview-evil",
    "..\\x",
    "a/../../b",
    "x\x00y",
    ".hidden",
    "",
]


@pytest.mark.parametrize("name", TRAVERSING_TEAMS)
def test_team_names_that_traverse_are_refused_as_folders(name: str) -> None:
    # see also: tests/test_batch.py::test_hostile_team_names_are_refused
    with pytest.raises(InputError, match="cannot be used as a folder name"):
        safe_folder_name(name)


@pytest.fixture(scope="module")
def traversing_store(sample_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One week whose teams are named ``../evil`` and ``/tmp/pipereview-evil``."""
    root = tmp_path_factory.mktemp("traversing") / "store"
    rows = SnapshotStore(sample_store).read(W47, teams=["North", "West"])
    rows["team"] = rows["team"].replace({"North": "../evil", "West": "/tmp/pipereview-evil"})
    plant(root, rows, W47)
    return root


@pytest.mark.parametrize("team", ["../evil", "/tmp/pipereview-evil"])
def test_batch_refuses_a_stored_team_that_traverses(
    traversing_store: Path, confined: Path, team: str
) -> None:
    with pytest.raises(InputError, match="cannot be used as a folder name"):
        run_batch(
            W47, store=traversing_store, out_dir=confined / "reports", teams=[team], notebook=TINY
        )
    result = CliRunner().invoke(
        app,
        [
            "run",
            "--week",
            W47,
            "--store",
            str(traversing_store),
            "--out",
            "reports",
            "--teams",
            team,
            "--notebook",
            str(TINY),
        ],
    )
    assert result.exit_code == 1 and "cannot be used as a folder name" in result.output
    assert not list(confined.rglob("*review*")) and not Path("/tmp/pipereview-evil").exists()


def test_coaching_pack_keeps_traversing_team_names_inside(
    traversing_store: Path, confined: Path
) -> None:
    # the batch's rule: a team name that cannot be a folder is refused, nothing written
    result = CliRunner().invoke(
        app,
        [
            "coach",
            "--store",
            str(traversing_store),
            "--out",
            "out",
            "--team",
            "../evil",
            "--team",
            "/tmp/pipereview-evil",
        ],
    )
    assert result.exit_code == 1 and "cannot be used as a folder name" in result.output
    assert not (confined / "out" / W47).exists()
    assert not Path("/tmp/pipereview-evil").exists()
    unknown = CliRunner().invoke(
        app, ["coach", "--store", str(traversing_store), "--out", "x", "--team", "../../other"]
    )
    assert unknown.exit_code == 1 and "no team ../../other" in unknown.output
    assert not (confined / "x").exists()


def test_serve_prepare_only_writes_only_into_the_state_dir(
    traversing_store: Path, confined: Path
) -> None:
    unknown = CliRunner().invoke(
        app,
        [
            "serve",
            "--store",
            str(traversing_store),
            "--team",
            "../../North",
            "--prepare-only",
            "--state-dir",
            "state",
        ],
    )
    assert unknown.exit_code == 1 and "has no stored snapshot" in unknown.output
    assert not (confined / "state").exists()
    result = CliRunner().invoke(
        app,
        [
            "serve",
            "--store",
            str(traversing_store),
            "--team",
            "../evil",
            "--prepare-only",
            "--state-dir",
            "state",
        ],
    )
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(confined / "state")) == [
        "dashboard.ipynb",
        "dashboard.json",
        "history.parquet",
        "teams",
    ]
    # the team's prepared files are named by number, never by the team's name
    prepared = [
        p.relative_to(confined / "state").as_posix()
        for p in (confined / "state" / "teams").rglob("*")
    ]
    assert prepared and not any("evil" in name or ".." in name for name in prepared), prepared


WINDOWS_UNSAFE = ["CON", "nul", "COM1", "lpt1.txt", "C:evil", "evil.", "evil "]


@pytest.mark.parametrize("name", WINDOWS_UNSAFE)
def test_team_names_unsafe_on_windows_are_refused_as_folders(name: str) -> None:
    with pytest.raises(InputError, match="cannot be used as a folder name"):
        safe_folder_name(name)


@pytest.mark.parametrize("name", [*WINDOWS_UNSAFE, "../evil", "a/b", "..", "x\x00y"])
def test_coaching_file_names_are_safe_everywhere(name: str) -> None:
    from pipereview.coaching.pack import safe_file_name

    cleaned = safe_file_name(name)
    assert cleaned and not re.search(r'[\\/:*?"<>|\x00-\x1f]', cleaned)
    assert cleaned.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT1"}
    assert not cleaned.startswith(".") and not cleaned.endswith((".", " "))


# === path traversal: week strings ======================================================
BAD_WEEKS = [
    "2026-W47/../../x",
    "../2026-W47",
    "2026-W47/",
    "/etc/passwd",
    "2026-W47\x00",
    "2026-W47\n../x",
    "..",
    "",
]


@pytest.mark.parametrize("week", BAD_WEEKS)
def test_week_strings_never_reach_the_store_folder(week: str, tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path / "store")
    frame = SnapshotStore  # only the week is checked: the frame is never looked at
    for call in (
        lambda: store.path(week),
        lambda: store.quarantine_dir(week),
        lambda: store.read(week),
        lambda: store.check_writable(week),
        lambda: store.add(frame, week),  # type: ignore[arg-type]
        lambda: store.history(weeks=[week]),
        lambda: store.history(last=week),
        lambda: week in store,
    ):
        with pytest.raises(InvalidWeekError):
            call()
    assert not (tmp_path / "store").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["ingest", "export.csv"],
        ["changes"],
        ["coach"],
        ["run"],
        ["serve", "--prepare-only", "--state-dir", "state"],
    ],
)
@pytest.mark.parametrize("week", ["2026-W47/../../x", "../2026-W47"])
def test_every_command_refuses_a_traversing_week(
    command: list[str], week: str, sample_store: Path, confined: Path
) -> None:
    (confined / "export.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    result = CliRunner().invoke(app, [*command, "--week", week, "--store", str(sample_store)])
    assert result.exit_code == 1, result.output
    assert "is not an ISO week" in result.output
    assert sorted(os.listdir(confined)) == ["export.csv"]


# === path traversal: template, rule, column map and stage model names ==================
@pytest.mark.parametrize(
    "name", ["../../../etc/passwd", "en/../../x", "/etc/passwd", "../_sheet.html.j2"]
)
def test_prompt_template_names_cannot_leave_the_template_folders(name: str, tmp_path: Path) -> None:
    from pipereview.coaching import PromptTemplates
    from pipereview.core._errors import ConfigError

    (tmp_path / "mine" / "en").mkdir(parents=True)
    (tmp_path / "secret.j2").write_text(
        "{% block observation %}secret{% endblock %}", encoding="utf-8"
    )
    templates = PromptTemplates([tmp_path / "mine"])
    with pytest.raises(ConfigError, match="no prompt template"):
        templates.template(name)
    assert not templates.has("../../secret", "en")
    with pytest.raises(ConfigError, match="no prompt template"):
        templates.render("../../secret", "en", {})
    with pytest.raises(ConfigError, match="unknown language"):
        templates.render("stalled_deal", "../en", {})


def test_a_rule_named_like_a_path_finds_no_template(tmp_path: Path) -> None:
    from pipereview.coaching import coaching_prompts, register_rule, unregister_rule
    from pipereview.core._errors import ConfigError

    name = "../../../secret"
    (tmp_path / "secret.j2").write_text(
        "{% block observation %}secret{% endblock %}", encoding="utf-8"
    )
    register_rule(name, kind="risk", coaching="opportunity", scope="deal")(
        lambda context, params: pd.DataFrame()
    )
    try:
        finding = pd.DataFrame([{"rule": name, "evidence": {}}])
        with pytest.raises(ConfigError, match=r"no prompt template en/\.\./\.\./\.\./secret"):
            coaching_prompts(finding)
    finally:
        unregister_rule(name)


def test_crm_names_that_are_no_shipped_map_are_refused(confined: Path) -> None:
    (confined / "export.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    for name in ("../x", "../../etc/passwd_missing", "hubspot/../../x"):
        result = CliRunner().invoke(
            app, ["ingest", "export.csv", "--week", W47, "--store", "store", "--crm", name]
        )
        assert result.exit_code == 1 and "unknown column map" in result.output, name
    assert sorted(os.listdir(confined)) == ["export.csv"]


@pytest.mark.parametrize("existing", ["mine.yaml", "/etc/passwd"])
def test_crm_never_reads_a_path(existing: str, confined: Path) -> None:
    from pipereview.ingest._columnmaps import load_column_map

    (confined / "export.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (confined / "mine.yaml").write_text(
        load_column_map("hubspot").model_dump_json(exclude={"extends"}), encoding="utf-8"
    )
    result = CliRunner().invoke(
        app, ["ingest", "export.csv", "--week", W47, "--store", "store", "--crm", existing]
    )
    assert result.exit_code == 1 and "unknown column map" in result.output


@pytest.mark.parametrize(
    ("loader", "what"),
    [("ingest.load_column_map", "column map"), ("core.load_stage_model", "stage model")],
)
@pytest.mark.parametrize("name", ["../../etc/passwd_missing", "../x", "hubspot/../x"])
def test_names_that_are_not_shipped_are_only_paths_when_they_exist(
    loader: str, what: str, name: str
) -> None:
    import importlib

    from pipereview.core._errors import PipereviewError

    module, function = loader.split(".")
    load = getattr(importlib.import_module(f"pipereview.{module}"), function)
    with pytest.raises(PipereviewError, match=f"unknown {what}"):
        load(name)


def test_a_stage_model_path_that_is_no_model_is_refused_without_its_content() -> None:
    result = CliRunner().invoke(app, ["models", "--show", "/etc/passwd"])
    assert result.exit_code == 1 and "a stage model is a YAML mapping" in result.output
    assert "root:" not in result.output  # the file's lines are never echoed


# === path traversal: output paths ======================================================
def test_out_pointing_at_a_file_leaves_the_file_alone(sample_store: Path, confined: Path) -> None:
    victim = confined / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    for command in (["run", "--notebook", str(TINY), "--teams", "North"], ["coach"]):
        result = CliRunner().invoke(
            app, [*command, "--week", W47, "--store", str(sample_store), "--out", str(victim)]
        )
        assert result.exit_code == 1, result.output
        # refused before any work, naming the file and the fix
        assert f"{victim} is a file (expected a folder)" in " ".join(result.output.split())
        assert "choose a folder for --out" in result.output
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert sorted(os.listdir(confined)) == ["victim.txt"]


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.mark.slow
def test_out_inside_the_store_never_touches_its_weeks(sample_store: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    SnapshotStore(store).add(SnapshotStore(sample_store).read(W47), W47)
    before = _tree(store)
    for out in (store, store / "snapshots"):
        batch = run_batch(W47, store=store, out_dir=out, teams=["North"], notebook=TINY)
        assert batch.ok
        result = CliRunner().invoke(
            app, ["coach", "--store", str(store), "--out", str(out), "--team", "North"]
        )
        assert result.exit_code == 0, result.output
    after = _tree(store)
    assert {k: v for k, v in after.items() if k in before} == before  # weeks untouched
    assert SnapshotStore(store).weeks() == [W47]


@pytest.mark.slow
def test_batch_never_writes_through_planted_symlinks(sample_store: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "index.html").write_text("outside", encoding="utf-8")
    (outside / "North").mkdir()
    (outside / "North" / "review.html").write_text("outside", encoding="utf-8")
    reports = tmp_path / "reports"
    (reports / W47).mkdir(parents=True)
    (reports / W47 / "North").symlink_to(outside / "North", target_is_directory=True)
    (reports / W47 / "index.html").symlink_to(outside / "index.html")
    (reports / W47 / "manifest.json").symlink_to(outside / "manifest.json")  # dangling
    before = _tree(outside)
    result = run_batch(W47, store=sample_store, out_dir=reports, teams=["North"], notebook=TINY)
    assert result.ok and _tree(outside) == before and not (outside / "manifest.json").exists()
    assert not (reports / W47 / "North").is_symlink()
    assert "North" in (reports / W47 / "North" / "review.html").read_text(encoding="utf-8")
    # the week folder itself a symlink to outside: swapped, never written through
    os.rename(reports / W47, tmp_path / "previous")
    (reports / W47).symlink_to(outside, target_is_directory=True)
    result = run_batch(W47, store=sample_store, out_dir=reports, teams=["North"], notebook=TINY)
    assert result.ok and _tree(outside) == before and not (reports / W47).is_symlink()


@pytest.mark.slow
def test_resume_never_follows_a_tampered_manifest(sample_store: Path, tmp_path: Path) -> None:
    """A manifest naming a folder other than the team's own is not resumed from."""
    import json
    import shutil

    reports = tmp_path / "reports"
    first = run_batch(W47, store=sample_store, out_dir=reports, teams=["North"], notebook=TINY)
    manifest = json.loads(first.manifest.read_text(encoding="utf-8"))
    manifest["teams"][0]["folder"] = "../../src"
    deep = tmp_path / "d1" / "d2" / "d3"  # last week's folder, linked three levels down
    deep.mkdir(parents=True)
    (deep / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (tmp_path / "d1" / "src").mkdir()  # what previous/../../src names
    (tmp_path / "d1" / "src" / "planted.txt").write_text("x", encoding="utf-8")
    shutil.rmtree(reports / W47)
    (reports / W47).symlink_to(deep, target_is_directory=True)
    before = set(os.listdir(tmp_path))
    run_batch(W47, store=sample_store, out_dir=reports, teams=["North"], notebook=TINY, resume=True)
    assert set(os.listdir(tmp_path)) == before  # staging/../../src is tmp_path/src


@pytest.mark.slow
def test_coaching_pack_never_writes_through_planted_symlinks(
    sample_store: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "team.en.html").write_text("outside", encoding="utf-8")
    pack = tmp_path / "coaching" / W47
    (pack / "North").mkdir(parents=True)
    (pack / "North" / "team.en.html").symlink_to(outside / "team.en.html")
    (pack / "findings.en.csv").symlink_to(outside / "findings.en.csv")  # dangling
    (pack / "West").symlink_to(outside, target_is_directory=True)
    result = CliRunner().invoke(
        app,
        [
            "coach",
            "--store",
            str(sample_store),
            "--out",
            str(tmp_path / "coaching"),
            "--team",
            "North",
            "--team",
            "West",
        ],
    )
    assert _listing(outside) == {"team.en.html"}, result.output
    assert (outside / "team.en.html").read_text(encoding="utf-8") == "outside"
    assert result.exit_code == 1 and "symbolic link" in result.output
    # without the planted folder the pack is written, replacing the planted file links
    (pack / "West").unlink()
    result = CliRunner().invoke(
        app,
        [
            "coach",
            "--store",
            str(sample_store),
            "--out",
            str(tmp_path / "coaching"),
            "--team",
            "North",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (outside / "team.en.html").read_text(encoding="utf-8") == "outside"
    assert not (pack / "North" / "team.en.html").is_symlink()
    assert not (pack / "findings.en.csv").is_symlink()


# === HTML / JS injection ===============================================================
def test_the_store_refuses_names_no_folder_can_carry(hostile_store: Path, tmp_path: Path) -> None:
    """The first defence: a write through the store checks every team and rep name."""
    from pipereview.core._errors import SchemaError

    rows = SnapshotStore(hostile_store).read(W47)
    with pytest.raises(SchemaError, match="usable as a folder or file name"):
        SnapshotStore(tmp_path / "store").add(rows, W47)
    assert SnapshotStore(tmp_path / "store").weeks() == []


def test_hostile_names_reach_the_store(hostile_store: Path) -> None:
    rows = SnapshotStore(hostile_store).read(W47)
    assert set(rows["team"]) == {HTML_TEAM, SCRIPT_TEAM}
    assert rows["deal_name"].str.startswith(SCRIPT).any()
    assert (
        rows["owner"].str.startswith(SCRIPT).any() and rows["account"].str.contains("onerror").any()
    )


@pytest.mark.slow
def test_batch_report_and_index_hold_no_executable_data(
    folder_hostile: tuple[Path, Path], tmp_path: Path
) -> None:
    # the real weekly review notebook, for a team whose name is hostile HTML
    team = FOLDER_TEAMS[HTML_TEAM]
    result = run_batch(
        W47,
        store=folder_hostile[0],
        out_dir=tmp_path,
        teams=[team],
        targets=folder_hostile[1],
        workers=1,
    )
    assert result.ok, [t.error for t in result.teams]
    report = (result.folder / safe_folder_name(team) / "review.html").read_text(encoding="utf-8")
    assert_inert(report, "review.html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report  # the names are there, escaped
    assert "Deal {{7*7}}" in report or "Rep {{7*7}}" in report
    index = result.index.read_text(encoding="utf-8")
    assert_inert(index, "index.html")
    assert "&#x27; onmouseover=&#x27;alert(1)&#x27; &amp;amp; Team" in index


def test_team_names_never_template_the_notebook_path(sample_store: Path, tmp_path: Path) -> None:
    (tmp_path / "escaped").mkdir()
    store = tmp_path / "store"
    team = "{team:.0}..{history_path[0]}..{history_path[0]}escaped"  # no '/' and no leading '.'
    rows = SnapshotStore(sample_store).read(W47, teams=["North"])
    rows["team"] = team
    plant(store, rows, W47)
    try:
        result = run_batch(W47, store=store, out_dir=tmp_path / "reports", notebook=TINY)
    except InputError:
        result = None  # refused as a folder name: fine
    assert os.listdir(tmp_path / "escaped") == []  # nothing written outside reports/
    assert result is None or (result.ok and "html" in result.teams[0].outputs)


def test_index_links_never_run_script(sample_store: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    rows = SnapshotStore(sample_store).read(W47, teams=["North"])
    rows["team"] = JS_LINK
    plant(store, rows, W47)
    with pytest.raises(InputError, match="cannot be used as a folder name"):  # ':' refused
        run_batch(W47, store=store, out_dir=tmp_path / "reports", notebook=TINY)
    # and a link is relative and percent-encoded whatever its folder is called
    run = batch.TeamRun(
        team=JS_LINK,
        folder=JS_LINK,
        status="ok",
        duration_s=1.0,
        attempts=1,
        outputs={"html": f"{JS_LINK}/review.html"},
    )
    page = index_html(W47, [run])
    assert 'href="./javascript%3Aalert%281%29/review.html"' in page
    assert_inert(page, "index.html")


def test_team_name_never_becomes_notebook_code(sample_store: Path, confined: Path) -> None:
    """papermill writes the team into the parameters cell as a string literal: a name that
    could close the literal (a quote or a backslash) is refused as a folder name before any
    notebook runs, so it never reaches the cell."""
    store = confined / "store"
    team = 'N"; import os; os.mkdir("pwned"); x = "\\'
    rows = SnapshotStore(sample_store).read(W47, teams=["North"])
    for name in (team, team.rstrip("\\")):
        rows["team"] = name
        plant(store, rows, W47, replace=True)
        with pytest.raises(InputError, match="cannot be used as a folder name"):
            run_batch(W47, store=store, out_dir=confined / "reports", notebook=TINY)
    assert not (confined / "pwned").exists() and not (ROOT / "pwned").exists()
    assert not (confined / "reports" / W47).exists()


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_weekly_review_html_holds_no_executable_data(
    hostile_store: Path, hostile_targets: Path, lang: str
) -> None:
    from pipereview.delivery._review import WeeklyReview

    review = WeeklyReview.from_files(
        team=SCRIPT_TEAM,
        week=W47,
        lang=lang,
        store=str(hostile_store),
        targets=str(hostile_targets),
    )
    page = "".join(
        section._repr_html_()
        for section in (
            review.title(),
            review.headline_section(),
            review.changes_section(),
            review.funnel_section(),
            review.forecast_section(),
            review.results_section(),
            review.risks_section(),
            review.coaching_section(),
        )
    )
    assert_inert(page, f"weekly review ({lang})")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; West" in page
    assert "<svg" in page  # the charts are in it


@pytest.mark.slow
def test_coaching_sheets_hold_no_executable_data(
    folder_hostile: tuple[Path, Path], tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        app,
        [
            "coach",
            "--store",
            str(folder_hostile[0]),
            "--out",
            str(tmp_path),
            "--targets",
            str(folder_hostile[1]),
        ],
    )
    assert result.exit_code == 0, result.output
    pages = sorted((tmp_path / W47).rglob("*.html"))
    assert len(pages) >= 6
    for page in pages:
        assert_inert(page.read_text(encoding="utf-8"), str(page.relative_to(tmp_path)))
    for sheet in (tmp_path / W47).rglob("*.md"):  # Markdown viewers pass HTML through
        text = sheet.read_text(encoding="utf-8")  # "\\<" is an escaped "<", never a tag
        assert not re.search(r"(?<!\\)<(script|img)", text, re.IGNORECASE), sheet.name
    text = "".join(p.read_text(encoding="utf-8") for p in pages)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and JINJA in text


@pytest.mark.slow
def test_dashboard_tabs_hold_no_executable_data(hostile_store: Path, hostile_targets: Path) -> None:
    from pipereview.dashboard import TABS, Dashboard
    from pipereview.diagnostics._targets import load_targets
    from pipereview.history._trail import with_deal_keys

    history = with_deal_keys(SnapshotStore(hostile_store).history())
    board = Dashboard(history, targets=load_targets(hostile_targets), team=SCRIPT_TEAM)
    seen = ""
    for team in (SCRIPT_TEAM, HTML_TEAM):
        board.select(team=team, rep="")
        for rep in ["", *board.reps[:3]]:
            for lang in ("en", "zh"):
                board.select(rep=rep, lang=lang)
                for tab in TABS:
                    body = board.tab_html(tab)
                    assert_inert(body, f"{team} {rep} {lang} {tab}")
                    seen += body
                for name in ("title", "downloads", "stamp"):
                    assert_inert(str(board.controls[name].value), name)
    board.controls["export"].click()
    assert_inert(str(board.controls["downloads"].value), "downloads")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in seen and JINJA in seen


def test_chart_svgs_hold_no_executable_labels() -> None:
    # see also: tests/test_charts.py::test_svg_html_escapes_user_strings_and_holds_no_script
    from pipereview import charts

    names = [*NAME_PAYLOADS[:4], SCRIPT_TEAM]
    built = [
        charts.funnel_chart(
            pd.DataFrame(
                {"stage": names, "deals": [5, 4, 3, 2, 1], "amount": [5.0, 4.0, 3.0, 2.0, 1.0]}
            ),
            lang="en",
        ),
        charts.conversion_chart(
            pd.DataFrame(
                {
                    "from_stage": names[:2],
                    "to_stage": names[2:4],
                    "conversion": [0.5, 0.25],
                    "reference": [0.4, None],
                }
            ),
            lang="en",
        ),
        charts.trend_chart(
            pd.DataFrame(
                {"team": [SCRIPT_TEAM, HTML_TEAM], "week": [W47, W47], "value": [1.0, 2.0]}
            ),
            lang="en",
        ),
        charts.rep_comparison_chart(
            pd.DataFrame(
                {
                    "team": HTML_TEAM,
                    "owner": list(REP_PAYLOADS),
                    "value": [1.0, 2.0, 3.0, 4.0, 5.0],
                    "team_median": 3.0,
                }
            ),
            lang="en",
        ),
        charts.forecast_chart(
            pd.DataFrame(
                {
                    "owner": list(REP_PAYLOADS),
                    "won_to_date": 1.0,
                    "weighted_in_period": 2.0,
                    "target": 9.0,
                }
            ),
            by="rep",
            lang="en",
        ),
    ]
    for chart in built:
        page = charts.svg_html(chart, label=SCRIPT)
        assert_inert(page, "chart")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize(
    ("markup", "found"),
    [
        ("<svg><script>alert(1)</script></svg>", "<script>"),
        ('<svg><g onload="alert(1)"/></svg>', "onload="),
        (
            '<svg xmlns:x="http://www.w3.org/1999/xlink"><a x:href=" java\tscript:alert(1)"/></svg>',
            "href=",
        ),
        ("<svg><foreignObject><div/></foreignObject></svg>", "<foreignobject>"),
        ("<svg><text>onerror=alert(1) javascript:alert(1)</text></svg>", None),
        ('<svg><g aria-label="&lt;img src=x onerror=alert(1)&gt;"/></svg>', None),
    ],
)
def test_svg_guard_refuses_active_markup_and_shows_data(markup: str, found: str | None) -> None:
    from pipereview.charts._render import _active

    assert (_active(markup) or "").startswith(found or "") and bool(_active(markup)) == bool(found)


# === formula injection =================================================================
HOSTILE_CELLS = [*FORMULAS, "\tTAB", "\rCR"]


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "deal": HOSTILE_CELLS,
            "amount": [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0],
            "count": [-1, 0, 1, 2, 3, 4],
        }
    )


def _check_cells(table: pd.DataFrame, column: str = "deal") -> None:
    assert table[column].tolist() == ["'" + c for c in HOSTILE_CELLS]


def test_table_bytes_quote_formulas_and_keep_numbers() -> None:
    from openpyxl import load_workbook

    from pipereview.core._exports import table_bytes

    text = table_bytes(_frame(), "csv").decode("utf-8-sig")
    header, *rows = csv.reader(io.StringIO(text, newline=""), quoting=csv.QUOTE_NONNUMERIC)
    back = pd.DataFrame(rows, columns=header)
    _check_cells(back)  # the texts, exactly, behind an apostrophe
    assert back["amount"].tolist() == [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0]  # read as numbers
    assert back["count"].tolist() == [-1, 0, 1, 2, 3, 4]
    sheet = load_workbook(io.BytesIO(table_bytes(_frame(), "xlsx"))).active
    cells = list(sheet.iter_rows(min_row=2, values_only=False))
    # XML keeps a carriage return as a line feed
    assert [c[0].value for c in cells] == ["'" + c.replace("\r", "\n") for c in HOSTILE_CELLS]
    assert all(c[0].data_type == "s" for c in cells)  # text, never a formula
    assert [c[1].value for c in cells] == [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0]
    assert all(c[1].data_type == "n" and c[2].data_type == "n" for c in cells)


SPLITTING = [
    "Acme\r=1+2",
    "Acme\n=1+2",
    "Acme\r\n@SUM(A1)",
    "Acme;=1+2",
    "Acme,+1",
    "Acme\t-1+1",
    'Acme";=1+2',
]


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_csv_cells_never_split_into_a_formula(separator: str) -> None:
    """Excel splits a CSV on the locale's list separator (``;`` in German or French
    Excel) and on a bare carriage return: no piece may start a formula."""
    from pipereview.core._exports import FORMULA_STARTS, table_bytes

    frame = pd.DataFrame({"deal": SPLITTING, "amount": -1.5})
    text = table_bytes(frame, "csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    assert len(rows) == len(SPLITTING) + 1  # no cell started a row of its own
    for cell in itertools.chain.from_iterable(rows):
        if not re.fullmatch(r"-?[\d.]+", cell):
            assert not cell.startswith(FORMULA_STARTS), cell
    back = pd.read_csv(io.StringIO(text), keep_default_na=False)
    assert back["deal"].tolist() == SPLITTING and back["amount"].tolist() == [-1.5] * 7


def test_formula_column_names_are_quoted_too() -> None:
    from pipereview.core._exports import safe_cells

    assert list(safe_cells(pd.DataFrame({"=cmd": [1]})).columns) == ["'=cmd"]


def test_dashboard_action_list_export_is_formula_safe(hostile_store: Path, tmp_path: Path) -> None:
    # see also: tests/test_dashboard.py::test_action_list_export_is_formula_safe
    from openpyxl import load_workbook

    from pipereview.dashboard import Dashboard
    from pipereview.history._trail import with_deal_keys

    board = Dashboard(with_deal_keys(SnapshotStore(hostile_store).history()), team=HTML_TEAM)
    csv, xlsx = board.export_actions(tmp_path)
    table = pd.read_csv(csv, encoding="utf-8-sig", keep_default_na=False)
    for column in ("Rep", "Deal", "Account"):
        texts = table[column].astype(str)
        assert not texts.str.match(r"[=+\-@\t\r]").any(), column
    assert texts.str.startswith("'=HYPERLINK").any() or table["Deal"].str.startswith("'").any()
    assert pd.api.types.is_numeric_dtype(table["Amount"])
    sheet = load_workbook(xlsx).active
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)


@pytest.mark.slow
def test_coaching_findings_csv_is_formula_safe(
    folder_hostile: tuple[Path, Path], tmp_path: Path
) -> None:
    # see also: tests/test_coaching_sample.py::test_pack_findings_csv_is_formula_safe
    result = CliRunner().invoke(
        app, ["coach", "--store", str(folder_hostile[0]), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / W47 / "findings.en.csv", encoding="utf-8-sig")
    for column in ("team", "owner", "deal_name", "account", "observation", "prompt"):
        texts = table[column].dropna().astype(str)
        assert not texts.str.match(r"[=+\-@\t\r]").any(), column
    assert table["deal_name"].str.startswith("'").any()
    assert pd.api.types.is_numeric_dtype(table["amount_at_stake"])


def test_every_table_writer_goes_through_exports() -> None:
    """CSV/XLSX written for people: only pipereview.core._exports calls to_csv / to_excel; the
    one other writer is the quarantine file, which keeps the rejected rows as they were."""
    writers = {}
    for path in sorted((ROOT / "src" / "pipereview").rglob("*.py")):
        if "sample" in path.parts:  # writes the synthetic sample exports (CRM stand-ins)
            continue
        text = path.read_text(encoding="utf-8")
        found = re.findall(r"\.(to_csv|to_excel|ExcelWriter)\(", text)
        if found:
            writers[path.name] = sorted(set(found))
    assert writers == {
        "_exports.py": ["ExcelWriter", "to_csv", "to_excel"],
        "_intake.py": ["to_csv"],
    }


def test_quarantine_keeps_raw_values(tmp_path: Path) -> None:
    """The quarantine file is for fixing the export and re-ingesting: a rejected row is
    kept exactly as the CRM wrote it, formulas included (open it as text, not in Excel)."""
    from pipereview.history._intake import ingest_week

    export = tmp_path / "north.csv"
    export.write_text(
        "Opportunity ID,Opportunity Name,Account Name,Opportunity Owner,Stage,Amount,"
        "Close Date,Created Date\n"
        'D1,"=HYPERLINK(""http://x"",""y"")",@SUM(A1),Ann,Prospecting,not a number,'
        "2026-12-18,2026-10-01\n"
        "D2,Fine,Acme,Ann,Prospecting,1000,2026-12-18,2026-10-01\n",
        encoding="utf-8",
    )
    outcome = ingest_week(
        [export], week=W47, store=tmp_path / "store", team="North", keep_going=True
    )
    (quarantine,) = outcome.quarantine_files
    raw = quarantine.read_text(encoding="utf-8-sig")
    assert '"=HYPERLINK(""http://x"",""y"")"' in raw and ",@SUM(A1)," in raw


# === a dashboard locked to one team ====================================================
# see also: tests/test_dashboard.py::test_a_locked_dashboard_holds_and_shows_one_team,
#   ::test_prepare_locked_dashboard_keeps_only_its_team,
#   ::test_serve_prepare_only_writes_a_locked_dashboard;
#   tests/test_dashboard_browser.py::test_locked_dashboard_refuses_another_team (a served
#   locked dashboard probed for another team through the page's widgets and its kernel)
def test_locked_dashboard_refuses_and_holds_no_other_team(hostile_store: Path) -> None:
    from pipereview.dashboard import TABS, Dashboard
    from pipereview.history._trail import with_deal_keys

    history = with_deal_keys(SnapshotStore(hostile_store).history())
    board = Dashboard(history, team=HTML_TEAM, locked=True)
    assert board.teams == [HTML_TEAM] and set(board.history["team"]) == {HTML_TEAM}
    for probe in (SCRIPT_TEAM, "West", "", f"{HTML_TEAM} "):
        with pytest.raises(PermissionError, match="locked to team"):
            board.select(team=probe)
        with pytest.raises(PermissionError):
            board.state._set_team(probe, None)
        with pytest.raises(PermissionError):  # nor its coaching log's items
            board.state.marks.items(probe, "Ann", "2026-W47")
    assert board.team == HTML_TEAM
    west_deals = set(history.loc[history["team"] == SCRIPT_TEAM, "deal_name"])
    west_reps = set(history.loc[history["team"] == SCRIPT_TEAM, "owner"]) - set(board.reps)
    pages = "".join(board.tab_html(tab) for tab in TABS)
    assert not any(deal in pages for deal in west_deals if len(deal) > 12)
    assert not any(f">{rep}<" in pages for rep in west_reps)
    assert set(board.action_list()["Rep"]) <= set(board.reps)


# === Voilà listens on loopback only ====================================================
# see also: tests/test_dashboard.py::test_serve_listens_on_loopback_only_unless_asked
@pytest.mark.parametrize(
    "ip",
    [
        "0.0.0.0",
        "::",
        "",
        "192.168.1.10",
        "10.0.0.1",
        "127.1",
        "[::1]",
        "localhost.example.com",
        "*",
    ],
)
def test_serve_refuses_every_non_loopback_address(
    ip: str, sample_store: Path, tmp_path: Path
) -> None:
    from pipereview.serve import check_address, is_loopback

    assert not is_loopback(ip)
    with pytest.raises(InputError, match="refusing to listen"):
        check_address(ip)
    result = CliRunner().invoke(
        app,
        ["serve", "--store", str(sample_store), "--ip", ip, "--state-dir", str(tmp_path / "state")],
    )
    assert result.exit_code == 1 and "refusing to listen" in result.output
    assert not (tmp_path / "state").exists()  # refused before any work


@pytest.mark.parametrize("ip", ["127.0.0.1", "::1", "localhost", "127.0.0.2"])
def test_loopback_addresses_are_accepted(ip: str) -> None:
    from pipereview.serve import check_address, is_loopback, voila_command

    assert is_loopback(ip)
    check_address(ip)
    assert (
        voila_command("d.ipynb", port=1)[
            voila_command("d.ipynb", port=1).index("--Voila.ip=127.0.0.1")
        ]
        == "--Voila.ip=127.0.0.1"
    )  # the default binds loopback


def test_serve_function_checks_the_address_itself() -> None:
    from pipereview.serve import ServeState, serve

    state = ServeState(
        notebook=Path("missing.ipynb"),
        config=Path("missing.json"),
        history=Path("missing.parquet"),
        teams=(),
    )
    with pytest.raises(InputError, match=r"refusing to listen on 0\.0\.0\.0"):
        serve(state, ip="0.0.0.0")


# === console output ====================================================================
def test_team_names_are_printed_as_text(sample_store: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    rows = SnapshotStore(sample_store).read(W47, teams=["North", "West"])
    rows["team"] = rows["team"].replace({"North": "[/]", "West": "[link=https://x.example]W"})
    plant(store, rows, W47)
    result = CliRunner().invoke(app, ["weeks", "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert "[/]" in result.output and "[link=https://x.example]W" in result.output
