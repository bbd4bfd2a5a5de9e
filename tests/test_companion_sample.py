"""pipereview.sample.write_companion_exports: the sample's activities, leads and invoices.

The written files are read back with pandas (not with the package's companion readers),
the deals with the deals reader; each planted problem is checked from the files.
"""

from __future__ import annotations

import datetime
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipereview.core._stages import load_stage_model
from pipereview.core._weeks import Week
from pipereview.ingest import read_export
from pipereview.sample import COMPANION_FOLDER, TEAMS, generate_samples, write_companion_exports

LAST = "2026-W47"
AS_OF = Week.parse(LAST).friday  # the last export's Friday: 2026-11-20
SUNDAY = AS_OF + datetime.timedelta(days=2)  # the review's as-of day: invoices are judged then
WINDOW = [str(Week.parse(LAST) - k) for k in (3, 2, 1, 0)]  # 2026-W44 .. 2026-W47
REPS = {t.slug: set(t.reps) for t in TEAMS}
EXT = {"north": "csv", "west": "csv", "huadong": "csv", "dach": "xlsx"}
ENCODING = {"north": "utf-8-sig", "west": "utf-8", "huadong": "gb18030"}
HEADERS = {
    ("north", "activities"): "Activity ID,Subject,Task Subtype,Date,Assigned,Opportunity ID,"
    "Account Name",
    ("north", "leads"): "Lead ID,Create Date,Lead Source,Lead Owner,Lead Status,Converted,"
    "Converted Date,Converted Opportunity ID",
    ("north", "invoices"): "Number,Partner,Invoice/Bill Date,Due Date,Total,Amount Due,"
    "Payment Status,Salesperson,Source Document",
    ("west", "activities"): "Activity ID,Activity date,Activity type,Activity assigned to,"
    "Associated Deal IDs,Associated Company",
    ("west", "leads"): "Record ID,Create Date,Original Source,Contact owner,Lifecycle Stage,"
    "Lead Status,Associated Deal IDs",
    ("west", "invoices"): "Invoice number,Invoice date,Due date,Amount billed,Balance due,"
    "Payment date,Associated Company,Associated Deal IDs,Invoice owner",
    ("huadong", "activities"): "跟进记录编号,跟进方式,跟进时间,跟进人,关联商机,客户名称",
    ("huadong", "leads"): "线索编号,创建时间,线索来源,负责人,线索状态,是否转化,转化时间,关联商机,"
    "无效原因",
    ("huadong", "invoices"): "发票编号,客户名称,关联商机,开票日期,到期日,开票金额,已回款金额,"
    "回款日期,负责人",
    ("dach", "activities"): "Activity Type,Subject,Owner,Regarding,Actual End,Account",
    ("dach", "leads"): "Lead ID,Created On,Lead Source,Owner,Status Reason,"
    "Qualifying Opportunity,Topic",
    ("dach", "invoices"): "Invoice ID,Customer,Opportunity,Invoice Date,Due Date,Total Amount,"
    "Amount Paid,Date Paid,Owner",
}
#: per team: the columns of (owner, deal ID, date) in activities, and the date format
ACTIVITY_COLUMNS = {
    "north": ("Assigned", "Opportunity ID", "Date", "%m/%d/%Y"),
    "west": ("Activity assigned to", "Associated Deal IDs", "Activity date", "%Y-%m-%d %H:%M"),
    "huadong": ("跟进人", "关联商机", "跟进时间", "%Y/%m/%d"),
    "dach": ("Owner", "Regarding", "Actual End", None),
}


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The full sample set (twelve weeks, as ``data/samples``) and its companion files."""
    folder = tmp_path_factory.mktemp("companions")
    generate_samples(folder)
    write_companion_exports(folder)
    return folder


@pytest.fixture(scope="module")
def deals(samples: Path) -> dict[str, dict[str, pd.DataFrame]]:
    """Every team's deals per week, read by the deals reader, indexed by deal ID."""
    out: dict[str, dict[str, pd.DataFrame]] = {}
    for team in TEAMS:
        out[team.slug] = {}
        for week in sorted(p.name for p in (samples / "exports").iterdir()):
            path = samples / "exports" / week / f"{team.slug}.{EXT[team.slug]}"
            out[team.slug][week] = read_export(path, week=week).snapshot.set_index("deal_id")
    return out


def _read(samples: Path, slug: str, kind: str) -> pd.DataFrame:
    path = samples / COMPANION_FOLDER / LAST / f"{slug}-{kind}.{EXT[slug]}"
    if EXT[slug] == "xlsx":
        return pd.read_excel(path, dtype=object)
    return pd.read_csv(path, encoding=ENCODING[slug], dtype=str, keep_default_na=False)


def _dates(values: pd.Series, fmt: str | None) -> pd.Series:
    if fmt is None:  # spreadsheet dates
        return pd.to_datetime(values)
    return pd.to_datetime(values.replace("", None), format=fmt)


def _cny(text: str) -> float:
    """¥1,200,000.00 | 120万 | 1.5万元 -> a number."""
    if "万" in text:
        return float(re.sub("万元?$", "", text)) * 10_000
    return float(text.lstrip("¥").replace(",", ""))


def _advanced(weeks: dict[str, pd.DataFrame], week: str) -> set[str]:
    """The deals whose stage position rose from the week before, or that were won."""
    names = list(weeks)
    before, now = weeks[names[names.index(week) - 1]], weeks[week]
    model = load_stage_model(str(now["stage_model"].iloc[0]))
    position = {key: i for i, key in enumerate(model.keys)}
    won, lost = model.won_stage.key, [s.key for s in model.lost_stages]
    out = set()
    for deal in now.index.intersection(before.index):
        old, new = before.at[deal, "stage"], now.at[deal, "stage"]
        if (new == won and old != won) or (
            old not in (won, *lost) and new not in lost and position[new] > position[old]
        ):
            out.add(deal)
    return out


# --- files, headers, determinism ---------------------------------------------------------


def test_each_team_gets_three_files_with_its_crm_headers(samples: Path) -> None:
    folder = samples / COMPANION_FOLDER / LAST
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{slug}-{kind}.{EXT[slug]}" for slug, kind in HEADERS
    )
    for (slug, kind), header in HEADERS.items():
        assert ",".join(_read(samples, slug, kind).columns) == header, (slug, kind)
    raw = (folder / "huadong-leads.csv").read_bytes()
    assert raw.decode("gb18030").startswith("线索编号,")  # GB18030, like the deals export
    assert (folder / "north-leads.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # BOM


def test_same_sample_same_bytes_and_one_readme_section(samples: Path, tmp_path: Path) -> None:
    folder = samples / COMPANION_FOLDER / LAST
    first = {p.name: p.read_bytes() for p in folder.iterdir()}
    copy = tmp_path / "again"
    shutil.copytree(samples / "exports", copy / "exports")
    shutil.copy(samples / "README.md", copy / "README.md")
    written = write_companion_exports(copy)
    assert [p.name for p in written] == sorted(first)
    changed = [p.name for p in written if p.read_bytes() != first[p.name]]
    assert changed == [], f"{changed} differ between two runs on the same sample"
    readme = (copy / "README.md").read_text(encoding="utf-8")
    assert readme == (samples / "README.md").read_text(encoding="utf-8")
    assert readme.count("## Companion exports") == 1
    write_companion_exports(copy)  # a second run replaces its section
    assert (copy / "README.md").read_text(encoding="utf-8") == readme


# --- activities: owners, deals, every week -----------------------------------------------


@pytest.mark.parametrize("slug", ["north", "west", "huadong", "dach"])
def test_activities_are_the_team_reps_on_the_team_deals_every_week(
    samples: Path, deals: dict[str, dict[str, pd.DataFrame]], slug: str
) -> None:
    owner, deal, date, fmt = ACTIVITY_COLUMNS[slug]
    acts = _read(samples, slug, "activities")
    assert set(acts[owner]) == REPS[slug]
    known = set().union(*(set(frame.index) for frame in deals[slug].values()))
    ids = {str(d) for d in acts[deal] if isinstance(d, str) and d}
    assert ids - known == set(), "activity on a deal not in the team's exports"
    on_deal = acts[deal].map(lambda d: isinstance(d, str) and d != "").mean()
    assert 0.6 < on_deal < 0.95, "mostly on deals, some on accounts only"
    weeks = _dates(acts[date], fmt).map(lambda d: str(Week.of(d.date())))
    per_rep_week = acts.groupby([acts[owner], weeks]).size()
    assert len(per_rep_week) == len(REPS[slug]) * 12, "a rep without activities in a week"
    assert weeks.max() == LAST


@pytest.mark.parametrize(
    ("slug", "kind", "column"),
    [
        ("north", "leads", "Converted Opportunity ID"),
        ("north", "invoices", "Source Document"),
        ("west", "leads", "Associated Deal IDs"),
        ("west", "invoices", "Associated Deal IDs"),
        ("huadong", "leads", "关联商机"),
        ("huadong", "invoices", "关联商机"),
        ("dach", "leads", "Qualifying Opportunity"),
        ("dach", "invoices", "Opportunity"),
    ],
)
def test_leads_and_invoices_name_only_the_team_deals(
    samples: Path, deals: dict[str, dict[str, pd.DataFrame]], slug: str, kind: str, column: str
) -> None:
    known = set().union(*(set(frame.index) for frame in deals[slug].values()))
    named = {str(d) for d in _read(samples, slug, kind)[column] if isinstance(d, str) and d}
    assert named, f"{slug} {kind} name no deal"
    assert named - known == set()


# --- the planted problems ------------------------------------------------------------------


def test_north_busiest_rep_logs_nothing_on_an_advancing_deal(
    samples: Path, deals: dict[str, dict[str, pd.DataFrame]]
) -> None:
    acts = _read(samples, "north", "activities")
    weeks = pd.to_datetime(acts["Date"], format="%m/%d/%Y").map(lambda d: str(Week.of(d.date())))
    recent = acts[weeks.isin(WINDOW)]
    counts = recent["Assigned"].value_counts()
    busiest, most = counts.index[0], int(counts.iloc[0])
    team_median = float(counts.median())
    assert most >= 1.5 * team_median, f"{busiest}: {most} activities, median {team_median}"
    assert most >= 1.5 * float(counts.drop(busiest).median())  # against the peers too
    advanced = set().union(*(_advanced(deals["north"], w) for w in WINDOW))
    touched = set(recent.loc[recent["Assigned"] == busiest, "Opportunity ID"]) - {""}
    assert len(touched) >= 5  # the activities are on the rep's own deals ...
    assert touched & advanced == set()  # ... none of which advanced in the four weeks
    owners = deals["north"][LAST]["owner"]
    assert set(owners.reindex(sorted(touched)).dropna()) <= {busiest}


def test_west_trade_show_converts_at_12_percent_the_other_sources_at_30_or_more(
    samples: Path,
) -> None:
    leads = _read(samples, "west", "leads")
    created = pd.to_datetime(leads["Create Date"]).dt.date
    start = (Week.parse(LAST) - 12).monday  # the 13 weeks ending with the last week
    recent = leads[created >= start]
    age = recent.index.map(lambda i: (AS_OF - created[i]).days)
    converted = recent["Lifecycle Stage"].isin(["Opportunity", "Customer"]) & (
        recent["Associated Deal IDs"] != ""
    )
    disqualified = recent["Lead Status"] == "Unqualified"
    decided = converted | disqualified | (age > 30)
    table = pd.DataFrame({"source": recent["Original Source"], "c": converted, "d": decided})
    by_source = table[table["d"]].groupby("source")[["c", "d"]].sum()
    assert by_source.loc["Trade Show"].tolist() == [3, 25]  # 12%
    others = by_source.drop("Trade Show")
    rates = others["c"] / others["d"]
    assert (rates >= 0.30).all(), rates.to_dict()
    assert (others["d"] >= 10).all(), others["d"].to_dict()  # enough to judge
    assert (~decided).sum() > 0  # some leads still open


def test_huadong_one_invoice_45_days_overdue_with_money_owed(samples: Path) -> None:
    inv = _read(samples, "huadong", "invoices")
    due = pd.to_datetime(inv["到期日"], format="%Y/%m/%d").dt.date
    owed = inv["开票金额"].map(_cny) - inv["已回款金额"].map(_cny)
    overdue = due.map(lambda d: (SUNDAY - d).days)
    planted = inv[(owed > 0) & (overdue == 45)]
    assert len(planted) == 1
    assert owed[planted.index[0]] > 0
    assert planted["关联商机"].iloc[0] != ""  # on a won deal of the sample


@pytest.mark.parametrize("slug", ["north", "west", "huadong", "dach"])
def test_every_other_invoice_is_paid_or_less_than_30_days_overdue(samples: Path, slug: str) -> None:
    inv = _read(samples, slug, "invoices")
    if slug == "north":
        due, owed = (
            pd.to_datetime(inv["Due Date"], format="%m/%d/%Y"),
            inv["Amount Due"].map(lambda t: float(t.replace(",", ""))),
        )
    elif slug == "west":
        due, owed = pd.to_datetime(inv["Due date"]), inv["Balance due"].astype(float)
    elif slug == "huadong":
        due = pd.to_datetime(inv["到期日"], format="%Y/%m/%d")
        owed = inv["开票金额"].map(_cny) - inv["已回款金额"].map(_cny)
    else:
        due = pd.to_datetime(inv["Due Date"])
        owed = inv["Total Amount"].astype(float) - inv["Amount Paid"].astype(float)
    overdue = due.dt.date.map(lambda d: (SUNDAY - d).days)
    late = inv[(owed > 0.005) & (overdue >= 30)]
    assert len(late) == (1 if slug == "huadong" else 0), late.to_string()
    assert owed.min() >= 0
    first = due.min().date()
    assert (AS_OF - first).days > 600, "invoices go back two years"


def test_leads_convert_at_30_to_50_percent_outside_the_planted_source(samples: Path) -> None:
    leads = _read(samples, "north", "leads")
    closed = leads[leads["Lead Status"].str.startswith("Closed")]
    rate = (closed["Converted"] == "1").mean()
    assert 0.30 <= rate <= 0.50, rate
    assert set(leads["Lead Status"]) == {
        "Qualified",
        "Working - Contacted",
        "Closed - Converted",
        "Closed - Not Converted",
    }
    assert (
        pd.to_datetime(leads["Create Date"], format="%m/%d/%Y").dt.date
        >= AS_OF - datetime.timedelta(days=190)
    ).all()


def test_invoices_show_growing_declining_and_new_customers(samples: Path) -> None:
    inv = _read(samples, "north", "invoices")
    day = pd.to_datetime(inv["Invoice/Bill Date"], format="%m/%d/%Y").dt.date
    total = inv["Total"].map(lambda t: float(t.replace(",", "")))
    year_ago = AS_OF - datetime.timedelta(days=365)
    first = total[day < year_ago].groupby(inv["Partner"]).sum()
    second = total[day >= year_ago].groupby(inv["Partner"]).sum()
    both = pd.DataFrame({"first": first, "second": second}).fillna(0.0)
    assert (both["second"] >= 1.5 * both["first"]).where(both["first"] > 0).sum() >= 3  # growing
    assert (both["second"] <= 0.5 * both["first"]).sum() >= 3  # declining
    assert (both["first"] == 0).sum() >= 3  # new: invoiced only in the last year
    won = inv[inv["Source Document"] != ""]
    assert len(won) >= 10 and (won["Payment Status"] == "Paid").mean() > 0.5
    assert {"Paid", "Partially Paid", "Not Paid"} <= set(inv["Payment Status"])
