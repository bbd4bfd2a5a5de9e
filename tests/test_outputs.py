"""Outputs never collide, never half-exist, never leak, never break on a name: the coaching
pack's file names (property tests), the pack written whole or not at all, leftovers of a
killed write cleaned, and the batch publishing only each team's own deals."""

from __future__ import annotations

import errno
import json
import re
import unicodedata
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _budget import examples
from pipereview import SnapshotStore, with_deal_keys
from pipereview.coaching import pack as pack_module
from pipereview.coaching.pack import SUMMARY_STEM, file_stems, safe_file_name, write_coaching_pack
from pipereview.core._errors import InputError, PipereviewError
from pipereview.core._staging import clean_leftovers, staged_folder, team_folders
from pipereview.delivery._batch import run_batch
from pipereview.delivery._batchplan import index_html
from pipereview.week import WeekDiagnostics

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

W47 = "2026-W47"
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f-\x9f\u2028\u2029]')
_DEVICES = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
# the characters that make names collide or break: separators, dots, case, width, controls
_NAME_CHARS = st.sampled_from(
    [*'aAbB _.-/\\:|*?"<>~', "\x00", "\t", "\u2028", "Ａ", "ａ", "华", "ß", "ẞ", "ﬁ"]
)
NAMES = st.lists(
    st.one_of(
        st.text(_NAME_CHARS, max_size=8),
        st.sampled_from(["team", "TEAM", "Team", "ｔｅａｍ", "CON", "nul.x", "华" * 100, "..", ""]),
        st.text(max_size=12),
    ),
    max_size=12,
)


def _folded(name: str) -> str:
    return unicodedata.normalize("NFKC", name).casefold()


@settings(max_examples=examples(200), deadline=None)
@given(NAMES)
def test_rep_file_names_are_one_per_rep_and_never_the_summarys(names: list[str]) -> None:
    stems = file_stems(sorted(set(names)))
    assert set(stems) == set(names)  # one per rep
    folded = [_folded(s) for s in stems.values()]
    assert len(set(folded)) == len(folded)  # distinct even ignoring case and width
    assert _folded(SUMMARY_STEM) not in folded  # no rep takes the summary's name
    for stem in stems.values():  # a file name on every system, with room for .zh.html
        assert stem and not _UNSAFE.search(stem) and not _DEVICES.match(stem)
        assert not stem.startswith(".") and not stem.endswith((".", " "))
        assert len(f"{stem}.zh.html".encode()) <= 255


@pytest.mark.parametrize(
    ("teams", "message"),
    [
        (["A/B"], "holds '/'"),
        (["A:B"], "holds ':'"),
        (["华" * 100], "300 bytes long"),
        (["A_B", "a_b"], "differ only in case, width or spacing"),
        (["North", "Ｎｏｒｔｈ"], "differ only in case, width or spacing"),
        (["index.html"], "the pack's own 'index.html'"),
    ],
)
def test_team_folders_never_collide(teams: list[str], message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        team_folders(teams, reserved=("index.html",))
    assert team_folders(["A_B", "North", "华东"]) == {
        "A_B": "A_B",
        "North": "North",
        "华东": "华东",
    }


def test_safe_file_name_fits_and_keeps_chinese() -> None:
    assert safe_file_name("王芳") == "王芳" and safe_file_name("a\u2028b") == "a_b"
    long = safe_file_name("华" * 100 + ".")  # 300 bytes: cut on a character boundary
    assert long == "华" * 60 and len(long.encode()) == 180


# === the coaching pack ==================================================================
@pytest.fixture(scope="module")
def north(sample_store: Path) -> pd.DataFrame:
    """North's and West's keyed history of the last three weeks."""
    weeks = ["2026-W45", "2026-W46", W47]
    return with_deal_keys(SnapshotStore(sample_store).history(teams=["North", "West"], weeks=weeks))


def _renamed(history: pd.DataFrame) -> pd.DataFrame:
    north = history["team"] == "North"
    owners = sorted(history.loc[north, "owner"].unique())
    hostile = ["team", "Team", "A/B", "A:B", "A_B", "王" * 100, "con"]
    mapping = dict(zip(owners, hostile, strict=False))
    out = history.copy()
    out.loc[north, "owner"] = out.loc[north, "owner"].map(lambda o: mapping.get(o, o))
    return out


@pytest.mark.slow
def test_pack_gives_every_rep_a_file_and_keeps_the_summary(
    north: pd.DataFrame, tmp_path: Path
) -> None:
    history = _renamed(north)
    context = WeekDiagnostics(history, as_of=W47)
    written = write_coaching_pack(context, tmp_path / W47, teams=["North"], charts=())
    reps = set(context.open_deals.loc[context.open_deals["team"] == "North", "owner"]) - {""}
    sheets = [p for p in written if p.suffix == ".md" and p.name != "team.en.md"]
    assert len(sheets) == len(set(sheets)) == len(reps)  # one file per rep, none shared
    assert len({_folded(p.name) for p in sheets}) == len(sheets)
    summary = (tmp_path / W47 / "North" / "team.en.md").read_text(encoding="utf-8")
    assert summary.startswith("# ") and "Coaching sheet" not in summary.splitlines()[0]
    for path in sheets:  # each rep's sheet names its rep
        assert path.read_text(encoding="utf-8").startswith("# Coaching sheet")
    on_disk = sorted(p.name for p in (tmp_path / W47 / "North").iterdir())
    assert len(on_disk) == 2 * len(reps) + 2
    assert {"Team~2.en.md", "team~3.en.md", "A_B.en.md", "A_B~2.en.md"} <= set(on_disk)


@pytest.mark.slow
def test_pack_is_whole_or_as_it_was(
    north: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    context = WeekDiagnostics(north, as_of=W47)
    root = tmp_path / W47
    write_coaching_pack(context, root, teams=["North"], charts=())
    before = {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    def disk_full(*args: object, **kwargs: object) -> bytes:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pack_module, "table_bytes", disk_full)  # after every sheet is staged
    with pytest.raises(PipereviewError, match=r"No space left on device.*is as it was"):
        write_coaching_pack(context, root, teams=["North", "West"], charts=())
    after = {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert after == before and sorted(p.name for p in tmp_path.iterdir()) == [W47]


@pytest.mark.slow
def test_pack_keeps_the_other_language_and_teams_and_cleans_leftovers(
    north: pd.DataFrame, tmp_path: Path
) -> None:
    context = WeekDiagnostics(north, as_of=W47)
    root = tmp_path / W47
    write_coaching_pack(context, root, teams=["North"], lang="en", charts=())
    write_coaching_pack(context, root, teams=["West"], lang="en", charts=())
    # a killed run's staging folder and a stale file of a rep gone since
    dead = tmp_path / f".{W47}.staging-deadbeef"
    (dead / "North").mkdir(parents=True)
    (dead / "North" / "half.en.md").write_text("half", encoding="utf-8")
    (root / "North" / "Gone Rep.zh.md").write_text("old", encoding="utf-8")
    (tmp_path / f".{W47}.lock").write_text("", encoding="utf-8")  # left by a killed run
    write_coaching_pack(context, root, teams=["North"], lang="zh", charts=())
    names = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
    assert {
        "North/team.en.md",
        "North/team.zh.md",
        "West/team.en.md",
        "findings.en.csv",
        "findings.zh.csv",
    } <= names
    assert "North/Gone Rep.zh.md" not in names  # this run's language of this team: replaced
    assert sorted(p.name for p in tmp_path.iterdir()) == [W47]  # leftovers and lock gone


def test_a_pack_folder_that_is_a_link_is_replaced_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("keep", encoding="utf-8")
    (tmp_path / "packs").mkdir()
    (tmp_path / "packs" / W47).symlink_to(outside, target_is_directory=True)
    with staged_folder(tmp_path / "packs" / W47) as staging:
        (staging / "index.html").write_text("new", encoding="utf-8")
    assert not (tmp_path / "packs" / W47).is_symlink()
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert clean_leftovers(tmp_path / "packs" / W47) == []


# === the batch: published output holds only each team's deals =========================
def _team_notebook(folder: Path) -> Path:
    """A review notebook that shows its team's deal ids (what a real report shows)."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    parameters = nbformat.v4.new_code_cell(
        'team = "North"\nweek = "2026-W47"\nlang = "en"\nstore = ""\nexports = ""\n'
        'history_path = ""\ntargets = ""\nout_dir = ""\nstage_model = ""\nconfig = ""'
    )
    parameters.metadata["tags"] = ["parameters"]
    body = nbformat.v4.new_code_cell(
        "import json\nfrom pathlib import Path\nimport pandas as pd\n"
        "deals = pd.read_parquet(history_path, filters=[('team', '==', team)])\n"
        "Path(out_dir, 'headline.json').write_text(json.dumps({'open_deals': len(deals)}))\n"
        "print(' '.join(sorted(deals['deal_id'].astype(str).unique())))"
    )
    notebook.cells = [parameters, body]
    path = folder / "team_deals.ipynb"
    nbformat.write(notebook, path)
    return path


@pytest.mark.slow
def test_published_pack_holds_only_each_teams_own_deals(sample_store: Path, tmp_path: Path) -> None:
    teams = ["North", "West"]
    ids = {
        team: set(SnapshotStore(sample_store).history(teams=[team])["deal_id"].astype(str))
        for team in teams
    }
    out = tmp_path / "reports"
    dead = out / f".{W47}.work-deadbeef"  # a killed batch's private history
    dead.mkdir(parents=True)
    (dead / "history.parquet").write_bytes(b"PAR1")
    notebook = _team_notebook(tmp_path)
    result = run_batch(
        W47, store=sample_store, out_dir=out, teams=teams, notebook=notebook, workers=2
    )
    assert result.ok, [t.error for t in result.teams]
    week = out / W47
    assert not list(week.rglob("*.parquet")) and sorted(p.name for p in out.iterdir()) == [W47]
    token = re.compile(r"[0-9A-Za-z-]{8,}")
    for path in (p for p in week.rglob("*") if p.is_file()):
        found = set(token.findall(path.read_text(encoding="utf-8", errors="replace")))
        owner = path.relative_to(week).parts[0]
        for team in teams:
            if team != owner:
                assert not found & ids[team], f"{path} holds {team}'s deals"
    for team in teams:  # each report does show its own deals: the check above has teeth
        page = (week / team / "review.html").read_text(encoding="utf-8")
        assert len(set(token.findall(page)) & ids[team]) > 100
    again = run_batch(
        W47, store=sample_store, out_dir=out, teams=teams, notebook=notebook, resume=True
    )
    assert again.ok and all(t.resumed for t in again.teams)
    assert not list(out.rglob("*.parquet")) and sorted(p.name for p in out.iterdir()) == [W47]
    manifest = json.loads((week / "manifest.json").read_text(encoding="utf-8"))
    assert [t["team"] for t in manifest["teams"]] == teams


# === mixed currencies in stored data: never added, never a crash =======================
@pytest.mark.slow
def test_a_team_in_two_currencies_is_reported_without_adding_them(north: pd.DataFrame) -> None:
    from pipereview.delivery._review import WeeklyReview
    from pipereview.diagnostics._changes import change_summary
    from pipereview.ingest._schema import open_mask

    history = north[north["team"] == "North"].copy()
    deal = history.loc[history["snapshot_week"] == W47, "deal_id"].iloc[0]
    history.loc[history["deal_id"] == deal, "currency"] = "EUR"  # one EUR deal, every week
    name = history.loc[history["deal_id"] == deal, "deal_name"].iloc[-1]
    review = WeeklyReview(history, team="North", week=W47, lang="en")
    headline = review.headline()
    assert headline["open_amount"] is None and headline["won_amount"] is None
    message = headline["refused"]
    assert "North" in message and "EUR, USD" in message and f"{name} ({deal}, EUR)" in message
    for section in (
        review.headline_section(),
        review.changes_section(),
        review.funnel_section(),
        review.forecast_section(),
        review.results_section(),
        review.risks_section(),
        review.coaching_section(),
    ):
        assert section.body  # every section renders; the summing ones say why they don't
    assert "never added" in review.funnel_section().body
    # `pipereview changes`: a row per currency, each summing its own deals
    prev, curr = (history[history["snapshot_week"] == w] for w in ("2026-W46", W47))
    summary = change_summary(prev, curr).set_index("currency")
    assert list(summary.index) == ["EUR", "USD"]
    for code in ("EUR", "USD"):
        mine = curr[(curr["currency"] == code) & open_mask(curr)]
        assert summary.loc[code, "open_deals"] == len(mine)
        assert summary.loc[code, "open_amount"] == pytest.approx(mine["amount"].sum())


# === what a reader sees: no escaping or words meant for someone else =====================
@pytest.fixture(scope="module")
def two_weeks(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """The keyed history of the sample's last two weeks."""
    from pipereview.history._intake import ingest_folder

    exports = Path(__file__).resolve().parents[1] / "data" / "samples" / "exports"
    store = tmp_path_factory.mktemp("two-weeks") / "store"
    folder = tmp_path_factory.mktemp("exports")
    for week in ("2026-W46", W47):
        (folder / week).symlink_to(exports / week)
    ingest_folder(folder, store=store)
    return with_deal_keys(SnapshotStore(store).history())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_markdown_sheets_show_an_ampersand_as_typed(
    two_weeks: pd.DataFrame, lang: str, tmp_path: Path
) -> None:
    history = two_weeks.copy()
    north = history["team"] == "North"
    history.loc[north, "account"] = history.loc[north, "account"] + " & Sons"
    history.loc[north, "deal_name"] = "R&D <b>" + history.loc[north, "deal_name"]
    context = WeekDiagnostics(history, as_of=W47)
    written = write_coaching_pack(context, tmp_path, teams=["North"], lang=lang, charts=())
    markdown = "".join(p.read_text(encoding="utf-8") for p in written if p.suffix == ".md")
    page = "".join(p.read_text(encoding="utf-8") for p in written if p.suffix == ".html")
    assert " & Sons" in markdown and "R&D \\<b\\>" in markdown  # as typed; no tag
    assert "&amp;" not in markdown and "&lt;" not in markdown
    assert "&amp; Sons" in page and "R&amp;D &lt;b&gt;" in page  # HTML escapes as HTML


def test_the_chinese_index_page_is_all_chinese() -> None:
    from pipereview.delivery import _batch as batch

    runs = [
        batch.TeamRun(
            team="华东",
            folder="华东",
            status="ok",
            duration_s=12.5,
            attempts=1,
            outputs={"html": "华东/review.html"},
            headline={
                "open_deals": 175,
                "open_amount": 143_250_000.0,
                "currency": "CNY",
                "weighted_pipeline": 51_000_000.0,
                "won_amount": 350_000.0,
                "gap_to_target": -26_500_000.0,
                "outlook": "on_track",
            },
        ),
        batch.TeamRun(
            team="华南",
            folder="华南",
            status="failed",
            duration_s=3.0,
            attempts=1,
            error="单元格 4 出错",
        ),
    ]
    inputs = {"rows": 421, "sources": [{}, {}], "rows_rejected": 2, "rows_skipped": 0}
    page = index_html(W47, runs, inputs, "zh")
    text = re.sub(r"<style>.*?</style>|<[^>]+>", " ", page)
    words = set(re.findall(r"[A-Za-z]+", text.replace(W47, "").replace("CNY", "")))
    assert words == set(), words
    for said in (
        "销售管道周报 2026-W47",
        "2 个团队中 1 个正常，1 个失败",
        "12.5 秒",
        "421 个商机，来自 2 个文件；2 行被拒收，0 行被跳过（见隔离文件）",
        "失败：单元格 4 出错",
        "<th>团队</th>",
        '<html lang="zh">',
        "<td>预测高于目标 26,500,000 CNY</td>",
        "<th>能否完成目标</th>",
    ):
        assert said in page, said
    english = index_html(W47, runs, inputs)
    assert "1 of 2 teams ok, 1 failed" in english and "<th>Team</th>" in english
    # the gap is worded by its sign, never a bare negative number
    assert "<td>forecast above target by 26,500,000 CNY</td>" in english
    assert "-26,500,000" not in english and "on track" in english
