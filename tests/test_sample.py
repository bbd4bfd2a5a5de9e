"""pipereview.sample: determinism, the committed sample set, its structure and patterns.

The structure and pattern tests read the committed ``data/samples`` back through the real
ingest (the session's sample store), and check that every export was stored without a
rejected or skipped row.
"""

from __future__ import annotations

import datetime
import itertools
import re
from pathlib import Path

import pandas as pd
import pytest

from pipereview.core._stages import EVIDENCE_TEXT_FIELDS, load_stage_model
from pipereview.core._weeks import Week
from pipereview.history._store import SnapshotStore
from pipereview.ingest._columnmaps import load_column_map
from pipereview.ingest._export import read_export
from pipereview.sample import TEAMS, generate_large_export, generate_samples

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
WEEKS = [f"2026-W{n}" for n in range(36, 48)]
TEAM_NAMES = ["North", "West", "华东", "DACH"]


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def history(sample_store: Path) -> pd.DataFrame:
    """Every committed export as the session's store holds it (ingested by
    ``ingest_folder``; ``test_every_export_ingests_without_rejected_rows`` checks its
    accounting)."""
    frame = SnapshotStore(sample_store).history()
    frame["open"] = ~frame["stage"].isin(["won", "lost"])
    return frame


# --- determinism -------------------------------------------------------------------------


@pytest.mark.slow
def test_same_seed_writes_identical_bytes(tmp_path: Path) -> None:
    generate_samples(tmp_path / "a", n_weeks=2)
    generate_samples(tmp_path / "b", n_weeks=2)
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert "exports/2026-W47/dach.xlsx" in first  # the XLSX is compared too
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []


@pytest.mark.slow
def test_other_seed_writes_other_exports(tmp_path: Path) -> None:
    generate_samples(tmp_path / "a", seed=2026, n_weeks=1)
    generate_samples(tmp_path / "b", seed=7, n_weeks=1)
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    exports = [name for name in first if name.startswith("exports/")]
    assert len(exports) == 4
    assert [name for name in exports if first[name] == second[name]] == []


@pytest.mark.slow
def test_committed_samples_equal_a_fresh_generation(tmp_path: Path) -> None:
    generate_samples(tmp_path)
    fresh, committed = _files(tmp_path), _files(SAMPLES)
    assert sorted(committed) == sorted(fresh), "files differ from a fresh generation"
    changed = [name for name in fresh if fresh[name] != committed[name]]
    assert changed == [], (
        f"{changed} differ from a fresh generation; do not edit data/samples by hand, "
        "regenerate it: pipereview sample --out data/samples --seed 2026"
    )


@pytest.mark.slow
def test_summary_names_what_was_written(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    summary = generate_samples(tmp_path, n_weeks=2, progress=lambda d, t: calls.append((d, t)))
    assert summary.teams == tuple(TEAM_NAMES)
    assert summary.weeks == ("2026-W46", "2026-W47")
    assert calls[-1] == (8, 8)
    assert len(calls) == 8
    assert sorted(p.relative_to(tmp_path).as_posix() for p in summary.paths) == sorted(
        _files(tmp_path)
    )
    assert summary.planted.migration_week == "2026-W43"
    assert summary.open_deals("North", "2026-W47") == next(
        c.open for c in summary.deal_counts if c.team == "North" and c.week == "2026-W47"
    )


# --- structure ---------------------------------------------------------------------------


def test_layout_and_sizes() -> None:
    weeks = sorted(p.name for p in (SAMPLES / "exports").iterdir())
    assert weeks == WEEKS
    for week in weeks:
        names = sorted(p.name for p in (SAMPLES / "exports" / week).iterdir())
        assert names == ["dach.xlsx", "huadong.csv", "north.csv", "west.csv"]
    sizes = [p.stat().st_size for p in SAMPLES.rglob("*") if p.is_file()]
    assert max(sizes) < 1_000_000
    assert sum(sizes) < 4_200_000
    assert (SAMPLES / "README.md").is_file()


def test_every_export_ingests_without_rejected_rows(sample_store: Path) -> None:
    store = SnapshotStore(sample_store)
    assert store.weeks() == WEEKS
    files = [(week, f) for week in WEEKS for f in store.info(week)["files"]]
    assert len(files) == 48 == len(list((SAMPLES / "exports").glob("*/*")))
    assert {(w, f["file"]): f["rows_read"] for w, f in files} == {
        (w, f["file"]): f["rows_kept"] for w, f in files
    }
    maps = {
        path.stem: read_export(path, week=WEEKS[-1]).report.column_map
        for path in sorted((SAMPLES / "exports" / WEEKS[-1]).iterdir())
    }
    assert maps == {
        "north": "salesforce_report",
        "west": "hubspot",
        "huadong": "chinese_crm",
        "dach": "dynamics",
    }


def test_open_deals_per_team_and_week_between_100_and_400(history: pd.DataFrame) -> None:
    counts = history[history["open"]].groupby(["team", "snapshot_week"]).size()
    assert len(counts) == 4 * 12
    assert sorted(counts.index.get_level_values("team").unique()) == sorted(TEAM_NAMES)
    assert counts.min() >= 100
    assert counts.max() <= 400
    # recently closed deals are in the exports too
    closed = history[~history["open"]].groupby(["team", "snapshot_week"]).size()
    assert closed.min() > 10


def test_teams_csv_lists_5_to_8_reps_who_own_the_deals(history: pd.DataFrame) -> None:
    teams = pd.read_csv(SAMPLES / "teams.csv", encoding="utf-8")
    assert list(teams.columns) == [
        "team",
        "slug",
        "manager",
        "rep",
        "column_map",
        "stage_model",
        "currency",
    ]
    reps = teams.groupby("team")["rep"].apply(set)
    assert all(5 <= len(r) <= 8 for r in reps)
    owners = history.groupby("team")["owner"].apply(set)
    assert {team: owners[team] for team in TEAM_NAMES} == {team: reps[team] for team in TEAM_NAMES}
    assert teams.set_index("slug")["currency"].to_dict() == {
        "north": "USD",
        "west": "USD",
        "huadong": "CNY",
        "dach": "EUR",
    }


def test_encodings() -> None:
    huadong = (SAMPLES / "exports" / "2026-W47" / "huadong.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        huadong.decode("utf-8")
    assert not huadong.startswith(b"\xef\xbb\xbf")
    text = huadong.decode("gb18030")
    assert text.startswith("商机编号,")
    assert "华东" in text
    assert "有限公司" in text
    north = (SAMPLES / "exports" / "2026-W47" / "north.csv").read_bytes()
    assert north.startswith(b"\xef\xbb\xbfOpportunity ID,")
    assert b"\r\n" not in north
    assert (SAMPLES / "exports" / "2026-W47" / "west.csv").read_bytes().startswith(b"Record ID,")


def test_crm_value_styles() -> None:
    north = (SAMPLES / "exports" / "2026-W47" / "north.csv").read_text(encoding="utf-8-sig")
    assert re.search(r',"\d{1,3}(,\d{3})+\.\d{2}",', north)  # amounts like "12,000.00"
    assert re.search(r",1?\d/[1-3]?\d/2026,", north)  # US dates like 11/20/2026
    west = (SAMPLES / "exports" / "2026-W47" / "west.csv").read_text(encoding="utf-8")
    assert re.search(r",2026-\d\d-\d\d \d\d:\d\d,", west)  # HubSpot date-times
    huadong = (SAMPLES / "exports" / "2026-W47" / "huadong.csv").read_text(encoding="gb18030")
    assert re.search(r',"¥\d{1,3}(,\d{3})+\.00",', huadong)  # ¥1,200,000.00
    assert re.search(r",\d+(\.\d+)?万,", huadong)
    assert re.search(r",\d+(\.\d+)?万元,", huadong)
    assert re.search(r",2026/\d\d/\d\d,", huadong)
    assert re.search(r",2026年\d+月\d+日,", huadong)
    assert ",是," in huadong
    assert ",否," in huadong


def test_deal_identity_is_stable_across_weeks(history: pd.DataFrame) -> None:
    identity = history.groupby(["team", "deal_id"])[
        ["deal_name", "account", "owner", "created_date"]
    ].nunique()
    assert identity.max().max() == 1


def test_targets_add_up_and_some_teams_are_behind_others_ahead(history: pd.DataFrame) -> None:
    targets = pd.read_csv(SAMPLES / "targets.csv", encoding="utf-8", keep_default_na=False)
    assert list(targets.columns) == ["team", "owner", "period", "amount", "currency"]
    assert sorted(targets["period"].unique()) == ["2026", "2026-Q3", "2026-Q4"]
    team_rows = targets[targets["owner"] == ""].set_index(["team", "period"])["amount"]
    rep_sums = targets[targets["owner"] != ""].groupby(["team", "period"])["amount"].sum()
    assert team_rows.sort_index().to_dict() == rep_sums.sort_index().to_dict()
    # Q3 is over: every deal won in Q3 is still in some export (closed deals stay 90 days)
    won = history[
        (history["stage"] == "won") & history["close_date"].between("2026-07-01", "2026-09-30")
    ]
    q3_won = won.drop_duplicates(["team", "deal_id"]).groupby("team")["amount"].sum()
    ratio = q3_won / team_rows.xs("2026-Q3", level="period")
    assert (ratio < 1).sum() >= 1
    assert (ratio > 1).sum() >= 1


# --- planted patterns --------------------------------------------------------------------


def _new_per_week(history: pd.DataFrame) -> pd.Series:
    """Mean number of deals created in the week of the export that shows them."""
    created_week = history["created_date"].map(lambda d: str(Week.of(d.date())))
    new = history[created_week == history["snapshot_week"]]
    counts = new.groupby(["team", "snapshot_week"])["deal_id"].nunique()
    return counts.unstack("team").reindex(WEEKS).fillna(0).mean()


def test_thin_funnel_top_in_west(history: pd.DataFrame) -> None:
    new = _new_per_week(history)
    others = new.drop("West")
    assert new["West"] < 0.5 * others.min()
    # West's first stage holds a smaller share of its open deals than anyone else's
    last = history[history["open"] & (history["snapshot_week"] == "2026-W47")]
    first_stage = {
        team: load_stage_model(load_column_map(spec.column_map).stage_model).open_stages[0].key
        for team, spec in zip(TEAM_NAMES, TEAMS, strict=True)
    }
    share = {team: (g["stage"] == first_stage[team]).mean() for team, g in last.groupby("team")}
    assert share["West"] < min(v for t, v in share.items() if t != "West")


def test_bottleneck_rep_in_north(history: pd.DataFrame) -> None:
    north = history[history["team"] == "North"]
    last = north[north["open"] & (north["snapshot_week"] == "2026-W47")]
    at_stage = (last["stage"] == "id_decision_makers").groupby(last["owner"]).mean()
    others = at_stage.drop("Jordan Blake")
    assert at_stage["Jordan Blake"] > 2 * others.mean()
    # and his deals at that stage rarely move on a week later, unlike his teammates'
    moved = []
    for before, after in itertools.pairwise(WEEKS):
        a = north[(north["snapshot_week"] == before) & (north["stage"] == "id_decision_makers")]
        b = north[north["snapshot_week"] == after].set_index("deal_id")["stage"]
        moved.append(
            pd.DataFrame(
                {
                    "owner": a["owner"].to_numpy(),
                    "on": b.reindex(a["deal_id"])
                    .isin(["perception_analysis", "proposal", "negotiation", "won"])
                    .to_numpy(),
                }
            )
        )
    rate = pd.concat(moved).groupby("owner")["on"].mean()
    assert rate["Jordan Blake"] < 0.5 * rate.drop("Jordan Blake").mean()


def test_crm_migration_in_huadong_from_w43(history: pd.DataFrame) -> None:
    hd = history[history["team"] == "华东"]
    new_format = hd[hd["deal_id"].str.fullmatch(r"\d{16}")]
    assert sorted(new_format["snapshot_week"].unique()) == WEEKS[7:]  # 2026-W43 onwards
    migrated = new_format[new_format["snapshot_week"] == "2026-W43"]
    assert 5 <= len(migrated) <= 15
    assert hd["deal_id"].str.fullmatch(r"SJ\d{4}-\d{6}|\d{16}").all()
    # the same deals were in W42 under their old ids, found by account and name
    w42 = hd[hd["snapshot_week"] == "2026-W42"].set_index(["account", "deal_name"])
    old = w42.reindex(pd.MultiIndex.from_frame(migrated[["account", "deal_name"]]))
    assert old["deal_id"].str.fullmatch(r"SJ\d{4}-\d{6}").all()
    w43_ids = set(hd.loc[hd["snapshot_week"] == "2026-W43", "deal_id"])
    assert not set(old["deal_id"]) & w43_ids


def test_deals_pushed_three_times_or_more(history: pd.DataFrame) -> None:
    opened = history[history["open"]].sort_values("snapshot_week")
    pushes = opened.groupby(["team", "deal_id"])["close_date"].agg(
        lambda s: int((s.diff().dt.days > 0).sum())
    )
    assert (pushes >= 3).sum() >= 5
    changed = opened.groupby(["team", "deal_id"])["amount"].agg(lambda s: set(s.diff().dropna()))
    steps = set().union(*changed)
    assert any(x > 0 for x in steps)
    assert any(x < 0 for x in steps)


def test_wins_losses_stalls_and_stale_close_dates(history: pd.DataFrame) -> None:
    last = history[history["snapshot_week"] == "2026-W47"]
    friday = pd.Timestamp(datetime.date(2026, 11, 20))
    for team, g in last.groupby("team"):
        assert set(g["stage"]) >= {"won", "lost"}, team
        opened = g[g["open"]]
        assert 1 <= (opened["close_date"] < friday).sum() <= 0.1 * len(opened), team
        if opened["last_activity_date"].notna().any():  # Dynamics exports have no activity
            stale = (friday - opened["last_activity_date"]).dt.days >= 21
            assert stale.sum() >= 5, team


def test_stage_inflation_in_10_to_20_percent_of_deals(history: pd.DataFrame) -> None:
    last = history[history["open"] & (history["snapshot_week"] == "2026-W47")]
    shares = []
    for team, spec in zip(TEAM_NAMES, TEAMS, strict=True):
        model = load_stage_model(spec.stage_model)
        g = last[last["team"] == team]
        position = g["stage"].map({s.key: i for i, s in enumerate(model.open_stages)})
        missing = pd.Series(False, index=g.index)
        for i, stage in enumerate(model.open_stages):
            for criterion in stage.exit_criteria:
                column = g.get(criterion.field, None)
                if column is None or column.isna().all():  # not a column of this CRM
                    continue
                met = column.notna() if criterion.field in EVIDENCE_TEXT_FIELDS else column.eq(True)
                missing |= (position > i) & ~met
        shares.append(missing[position > 0].mean())
    assert 0.07 <= sum(shares) / len(shares) <= 0.25
    assert min(shares) > 0


# --- the large export --------------------------------------------------------------------


@pytest.mark.parametrize(
    "column_map",
    ["salesforce_dataloader", "salesforce_report", "hubspot", "odoo", "dynamics", "chinese_crm"],
)
def test_large_export_has_the_rows_and_headers_asked_for(tmp_path: Path, column_map: str) -> None:
    path = generate_large_export(tmp_path / "big.csv", rows=1500, column_map=column_map)
    cmap = load_column_map(column_map)
    result = read_export(path, week="2026-W47", column_map=column_map)
    assert result.report.rows_read == 1500
    assert result.report.rows_rejected == 0
    encoding = "gb18030" if column_map == "chinese_crm" else "utf-8-sig"
    header = path.read_bytes().splitlines()[0].decode(encoding).split(",")
    assert header == [names[0] for names in cmap.columns.values()]
    assert result.snapshot["deal_id"].is_unique
    assert set(result.snapshot["stage"]) >= {"won", "lost"}


def test_large_export_is_deterministic(tmp_path: Path) -> None:
    a = generate_large_export(tmp_path / "a.csv", rows=2000).read_bytes()
    b = generate_large_export(tmp_path / "b.csv", rows=2000).read_bytes()
    c = generate_large_export(tmp_path / "c.csv", rows=2000, seed=1).read_bytes()
    assert a == b
    assert a != c
    assert a.count(b"\n") == 2001
