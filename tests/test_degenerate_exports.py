"""Every text a reader sees, on the exports real users have: the degenerate-export matrix.

Each case is a CRM format of the sample generator with one optional column removed, or a
degenerate shape (all open deals in one stage, no closed deals, one rep, one stored week,
no accounts, no currency). It runs through the whole weekly flow through the package's
API — ingest into a temporary store, the week's change summary and ``pipereview changes``,
every section of :class:`~pipereview.delivery._review.WeeklyReview`, the coaching pack, the
dashboard's figures, tabs, action list and its CSV/XLSX export, in English and Chinese —
and every text passes :func:`pipereview.delivery._textlint.lint_text`. The review must also agree
with itself: one figure, one value, in the headline, the change summary and the dashboard.

A case listed in :data:`KNOWN_FAILURES` still breaks (a producer not fixed yet): it is
expected to fail, strictly, so the fix shows up as XPASS and its entry must go.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipereview.coaching._names import short_name
from pipereview.core import CATEGORY_LABELS  # the change categories as the section labels them
from pipereview.core._stages import EVIDENCE_FIELDS, load_stage_model
from pipereview.delivery._reviewaccounts import accounts_html
from pipereview.delivery._textlint import LintContext, lint_text
from pipereview.delivery._visibletext import (
    file_text,
    html_text,
    table_text,
    terminal_text,
    xlsx_text,
)
from pipereview.ingest._columnmaps import REQUIRED_FIELDS, load_column_map

WEEKS = ("2026-W45", "2026-W46", "2026-W47")
LANGS = ("en", "zh")


@dataclass(frozen=True)
class Format:
    """A sample team's export: its file, encoding and column map."""

    slug: str
    column_map: str
    suffix: str
    encoding: str


FORMATS = {
    "salesforce_report": Format("north", "salesforce_report", "csv", "utf-8-sig"),
    "hubspot": Format("west", "hubspot", "csv", "utf-8"),
    "chinese_crm": Format("huadong", "chinese_crm", "csv", "gb18030"),
    "dynamics": Format("dach", "dynamics", "xlsx", ""),
}
#: The shipped maps no sample team uses: one stored week of a generated export each.
ONE_WEEK_FORMATS = ("salesforce_dataloader", "odoo")
#: Columns a review cannot do without; ``account`` is not among them (matching falls back
#: to owner and team), so the matrix removes it like any optional column.
CORE = tuple(f for f in REQUIRED_FIELDS if f != "account")
#: Degenerate shapes, each run on two formats (a Chinese and an English one at least once).
SHAPES: dict[str, tuple[str, str]] = {
    "one_stage": ("dynamics", "chinese_crm"),  # every open deal in one stage
    "no_closed": ("salesforce_report", "hubspot"),
    "one_rep": ("dynamics", "hubspot"),
    "one_week": ("chinese_crm", "salesforce_report"),  # one stored week
    "no_account_values": ("chinese_crm", "hubspot"),  # the column there, every cell empty
    "no_currency_values": ("salesforce_report", "dynamics"),
}


def _optional(fmt: Format) -> list[str]:
    """The optional fields the sample export of ``fmt`` has (evidence fields as one)."""
    cmap = load_column_map(fmt.column_map)
    fields = [f for f in cmap.columns if f not in CORE and f not in EVIDENCE_FIELDS]
    return [*fields, "evidence"]


def _cases() -> list[str]:
    cases = []
    for name, fmt in FORMATS.items():
        cases.append(f"{name}-full")
        cases += [f"{name}-no_{field}" for field in _optional(fmt)]
    for shape, names in SHAPES.items():
        cases += [f"{name}-{shape}" for name in names]
    return cases + [f"{name}-one_week" for name in ONE_WEEK_FORMATS]


#: Matrix cases still failing, each with one problem it shows (the rarest kind of its
#: problems), as the lint prints it (``‹›`` stands where a name was). A fixed producer
#: turns its cases into XPASS: remove their entries.
KNOWN_FAILURES: dict[str, str] = {}


#: The case of the fast loop: one stored week of a Chinese export (each case runs the whole
#: weekly flow in both languages, ~10 s); the rest of the matrix is marked slow (``make
#: test`` runs it all).
FAST = frozenset({"chinese_crm-one_week"})


def _param(case: str) -> object:
    marks = [] if case in FAST else [pytest.mark.slow]
    if case in KNOWN_FAILURES:
        marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[case]))
    return pytest.param(case, id=case, marks=marks)


# --- exports as tables, changed and written back -----------------------------------------

Table = tuple[list[str], list[list[object]]]


def _read(path: Path, fmt: Format) -> Table:
    if fmt.suffix == "xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path)
        rows = [list(r) for r in book.active.iter_rows(values_only=True)]
        return [str(h) for h in rows[0]], rows[1:]
    with path.open(encoding=fmt.encoding, newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], [list(r) for r in rows[1:]]


def _write(table: Table, path: Path, fmt: Format) -> None:
    header, rows = table
    if fmt.suffix == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        book.active.append(header)
        for row in rows:
            book.active.append(row)
        book.save(path)
        return
    with path.open("w", encoding=fmt.encoding, newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, *rows])


def _columns(header: list[str], fmt: Format, fields: list[str]) -> list[int]:
    """Positions of the headers mapped to ``fields`` (``evidence``: every evidence field)."""
    wanted = set(EVIDENCE_FIELDS) if fields == ["evidence"] else set(fields)
    found = load_column_map(fmt.column_map).resolve(header)
    return [header.index(h) for f, h in found.items() if f in wanted]


def _drop(table: Table, positions: list[int]) -> Table:
    header, rows = table
    keep = [i for i in range(len(header)) if i not in positions]
    return [header[i] for i in keep], [[r[i] for i in keep] for r in rows]


def _blank(table: Table, positions: list[int]) -> Table:
    header, rows = table
    return header, [
        [
            None
            if i in positions and isinstance(v, (int, float, datetime.date))
            else ""
            if i in positions
            else v
            for i, v in enumerate(r)
        ]
        for r in rows
    ]


def _shape(
    case: str, tables: dict[str, Table], fmt: Format, outcome: Callable[[str, str], str]
) -> dict[str, Table]:
    """The weekly tables of ``fmt`` in the degenerate shape ``case``; ``outcome(week,
    deal_id)`` is the deal's state in that week as ingested (open, won, lost)."""
    shape = case.split("-", 1)[1]
    out: dict[str, Table] = {}
    for week, (header, rows) in tables.items():
        pos = {
            f: header.index(h) for f, h in load_column_map(fmt.column_map).resolve(header).items()
        }
        ident = pos["deal_id"]
        if shape == "one_week" and week != WEEKS[-1]:
            continue
        if shape == "no_closed":
            rows = [r for r in rows if outcome(week, str(r[ident])) == "open"]
        elif shape == "one_stage":  # every open deal in the stage most of them are in
            opened = [r for r in rows if outcome(week, str(r[ident])) == "open"]
            stages = pd.Series([r[pos["stage"]] for r in opened]).value_counts()
            rows = [
                [*r[: pos["stage"]], stages.index[0], *r[pos["stage"] + 1 :]]
                if outcome(week, str(r[ident])) == "open"
                else r
                for r in rows
            ]
        elif shape == "one_rep":
            owners = pd.Series([r[pos["owner"]] for r in tables[WEEKS[-1]][1]]).value_counts()
            rows = [r for r in rows if r[pos["owner"]] == owners.index[0]]
        elif shape == "no_account_values":
            header, rows = _blank((header, rows), [pos["account"]])
        elif shape == "no_currency_values":
            header, rows = _blank((header, rows), [pos["currency"]])
        out[week] = (header, rows)
    return out


# --- the weekly flow ---------------------------------------------------------------------


@dataclass
class Flow:
    """What one case's weekly flow showed: every text with where it came from, and the
    self-consistency checks that failed."""

    texts: list[tuple[str, str, str, LintContext]]  # (where, lang, text, context)
    names: list[str]
    disagreements: list[str]

    def problems(self) -> list[str]:
        found = []
        for where, lang, text, context in self.texts:
            for problem in lint_text(text, lang, names=self.names, context=context):
                found.append(f"{where} [{lang}] {problem}")
        return found + self.disagreements


def _names(history: pd.DataFrame) -> list[str]:
    """Proper names of the data: teams, reps, accounts (and their short names), deals and
    their ids, and the texts quoted as the rep typed them (next steps, loss reasons)."""
    names: set[str] = set()
    for column in (
        "team",
        "owner",
        "account",
        "deal_name",
        "deal_id",
        "next_step",
        "loss_reason",
        "product_line",
        "lead_source",
        "invoice_id",
        "disqualified_reason",
    ):
        if column in history:
            names |= {str(v) for v in history[column].dropna().unique() if str(v).strip()}
    if "account" in history:  # the coaching texts' short form after the first mention
        names |= {short_name(str(v)) for v in history["account"].dropna().unique()}
    return sorted(n for n in names if n.strip())


def _sheets(markup: str) -> list[str]:
    """``markup`` cut before each inner ``<section``: a coaching section holds the team
    summary and every rep's sheet, each a text of its own (its "no risk" is its own)."""
    head, *parts = re.split(r"(?=<section)", markup.removeprefix("<section>"))
    return [head, *parts] if head.strip() else parts


def run_flow(exports: Path, targets: Path | None, work: Path) -> Flow:
    """Ingest ``exports`` (``<week>/<file>``) into a store under ``work`` and gather every
    text of the week's flow in both languages."""
    from pipereview.cli import app
    from pipereview.coaching import write_coaching_pack
    from pipereview.dashboard import Dashboard
    from pipereview.dashboard._text import TABS
    from pipereview.delivery._review import WeeklyReview
    from pipereview.diagnostics._changes import week_change_summary
    from pipereview.diagnostics._targets import load_targets
    from pipereview.history._intake import ingest_folder
    from pipereview.history._store import SnapshotStore
    from pipereview.history._trail import with_deal_keys

    root = work / "store"
    ingest_folder(exports, store=root)
    store = SnapshotStore(root)
    history = with_deal_keys(store.history())
    week = store.weeks()[-1]
    teams = sorted(history.loc[history["snapshot_week"] == week, "team"].unique())
    team = str(history.loc[history["snapshot_week"] == week, "team"].value_counts().index[0])
    goals = load_targets(targets) if targets else None
    texts: list[tuple[str, str, str, LintContext]] = []
    plain, one = LintContext(), LintContext(one_subject=True)
    disagreements: list[str] = []

    summary = week_change_summary(store, week)
    texts.append(
        (
            "change summary",
            "en",
            table_text(
                summary.drop(
                    columns=[c for c in summary.columns if c != "team" and c != "currency"]
                )
            ),
            plain,
        )
    )
    shown = CliRunner().invoke(app, ["changes", "--store", str(root)])
    texts.append(("pipereview changes", "en", terminal_text(shown.output), plain))
    if shown.exit_code != 0:
        disagreements.append(f"pipereview changes exited {shown.exit_code}: {shown.output}")

    review = WeeklyReview(history, team=team, week=week, lang="en", targets=goals)
    headline = review.headline()
    for lang in LANGS:
        current = review if lang == "en" else review.in_language(lang)
        for name in (
            "title",
            "glance_section",
            "headline_section",
            "changes_section",
            "funnel_section",
            "forecast_section",
            "results_section",
            "risks_section",
            "coaching_section",
        ):
            section = getattr(current, name)()
            context = one if name == "headline_section" else plain  # the rest: team and reps
            for part in _sheets(section._repr_html_()):
                texts.append((f"review.{name}", lang, html_text(part), context))
            if name == "changes_section" and lang == "en":
                counts = dict(
                    line.split("\t")[:2]
                    for line in html_text(section.body).splitlines()
                    if line.count("\t") == 1
                )
                shown_new = int(counts.get(CATEGORY_LABELS["new"][0], "0").replace(",", ""))
                if counts and shown_new != headline.get("new_deals"):
                    disagreements.append(
                        f"new deals: headline {headline.get('new_deals')!r} "
                        f"but the changes section {shown_new} ({team}, {week})"
                    )
        # the accounts block (ABC by value and potential), for the review and the dashboard
        texts.append(("review.accounts", lang, html_text(accounts_html(current)), plain))
        pack = work / f"coaching-{lang}"
        for path in write_coaching_pack(review.context, pack, lang=lang, teams=[team]):
            if path.suffix == ".csv":  # a data file: its prose columns are read
                prose = pd.read_csv(path, dtype=str, keep_default_na=False)
                text = table_text(prose[["observation", "question", "action"]])
                text = text.split("\n", 1)[1] if "\n" in text else ""  # cells, not headers
            else:
                text = file_text(path)
            texts.append(
                (
                    f"coaching pack {path.relative_to(pack)}",
                    lang,
                    text,
                    one if path.stem.split(".")[0] != "team" and path.suffix != ".csv" else plain,
                )
            )

        board = Dashboard(history, targets=goals, team=team, lang=lang)
        board.data.reviews[(team, week, lang)] = current  # one review per team, week, language
        figures = board.figures()
        for key in (
            "open_deals",
            "open_amount",
            "weighted_pipeline",
            "new_deals",
            "gap_to_target",
            "coverage",
        ):
            if figures.get(key) != headline.get(key):
                disagreements.append(
                    f"dashboard [{lang}] {key} {figures.get(key)!r} but the "
                    f"review's headline {headline.get(key)!r}"
                )
        for tab in TABS:
            for part in _sheets(board.tab_html(tab)):
                texts.append((f"dashboard tab {tab}", lang, html_text(part), plain))
        _, files = board.state._export_files()
        for name, data in files.items():
            text = (
                xlsx_text(data)
                if name.endswith(".xlsx")
                else table_text(
                    pd.read_csv(
                        io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig"
                    )
                )
            )
            texts.append((f"action list {name.rsplit('.', 1)[1]}", lang, text, plain))

    row = summary[summary["team"] == team]
    if len(teams) == 1 and len(row) == 1:
        for key, mine in (
            ("open_deals", "open_deals"),
            ("open_amount", "open_amount"),
            ("new", "new_deals"),
        ):
            theirs = row[key].iloc[0]
            value = headline.get(mine)
            if len(store.weeks()) > 1 and value is not None and float(theirs) != float(value):
                disagreements.append(
                    f"{mine}: headline {value!r} but the change summary {theirs!r} ({team}, {week})"
                )
    open_now = history[(history["snapshot_week"] == week) & (history["team"] == team)]
    from pipereview.ingest._schema import open_mask

    if headline["open_deals"] != int(open_mask(open_now).sum()):
        disagreements.append(
            f"open_deals: headline {headline['open_deals']} but "
            f"{int(open_mask(open_now).sum())} open deals stored"
        )
    names = _names(history)
    if goals is not None:  # a rep with a target has a sheet, deals or not
        names += [str(v) for c in ("team", "owner") for v in goals[c].dropna().unique()]
    return Flow(texts, names, disagreements)


# --- the matrix --------------------------------------------------------------------------


def _outcomes(small_sample: Path, fmt: Format, work: Path) -> Callable[[str, str], str]:
    """The state (open, won, lost) of each deal of ``fmt`` in each week, as ingested."""
    from pipereview.ingest._export import read_export

    states: dict[tuple[str, str], str] = {}
    for week in WEEKS:
        path = small_sample / "exports" / week / f"{fmt.slug}.{fmt.suffix}"
        snap = read_export(path, week=week, column_map=fmt.column_map).snapshot
        model = load_stage_model(str(snap["stage_model"].iloc[0]))
        closed = {model.won_stage.key: "won", **{s.key: "lost" for s in model.lost_stages}}
        for deal, stage in zip(snap["deal_id"], snap["stage"], strict=True):
            states[(week, str(deal))] = closed.get(str(stage), "open")
    return lambda week, deal: states.get((week, deal), "open")


def _case_exports(case: str, small_sample: Path, work: Path) -> Path:
    name, variant = case.split("-", 1)
    out = work / "exports"
    if name in ONE_WEEK_FORMATS:
        from pipereview.sample import generate_large_export

        (out / WEEKS[-1]).mkdir(parents=True)
        generate_large_export(out / WEEKS[-1] / f"{name}.csv", rows=120, column_map=name)
        return out
    fmt = FORMATS[name]
    tables = {
        week: _read(small_sample / "exports" / week / f"{fmt.slug}.{fmt.suffix}", fmt)
        for week in WEEKS
    }
    if variant not in SHAPES and variant != "full":
        field = variant.removeprefix("no_")
        tables = {w: _drop(t, _columns(t[0], fmt, [field])) for w, t in tables.items()}
    elif variant in SHAPES:
        tables = _shape(case, tables, fmt, _outcomes(small_sample, fmt, work))
    for week, table in tables.items():
        (out / week).mkdir(parents=True)
        _write(table, out / week / f"{fmt.slug}.{fmt.suffix}", fmt)
    return out


@pytest.fixture
def flow_work(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    shutil.rmtree(tmp_path, ignore_errors=True)


@pytest.mark.parametrize("case", [_param(c) for c in _cases()])
def test_every_text_of_the_weekly_flow_passes_the_lint(
    case: str, small_sample: Path, flow_work: Path
) -> None:
    exports = _case_exports(case, small_sample, flow_work)
    flow = run_flow(exports, small_sample / "targets.csv", flow_work)
    problems = flow.problems()
    assert problems == [], f"{case}: {len(problems)} problem(s):\n" + "\n".join(problems[:40])


def test_the_matrix_covers_every_shipped_format_and_shape() -> None:
    from pipereview.ingest._columnmaps import column_map_names

    shipped = set(column_map_names())
    assert shipped <= set(FORMATS) | set(ONE_WEEK_FORMATS)
    cases = _cases()
    assert len(cases) == len(set(cases))
    for shape in SHAPES:
        assert sum(c.endswith(f"-{shape}") for c in cases) >= 2, shape
    for name, fmt in FORMATS.items():
        assert f"{name}-no_account" in cases and f"{name}-no_currency" in cases
        assert f"{name}-no_evidence" in cases
        assert len(_optional(fmt)) >= 6
    run = {*cases, *(f"notebook-{lang}" for lang in LANGS)}
    assert set(KNOWN_FAILURES) <= run, "a known failure of a case no longer run"
    assert set(cases) >= FAST


def test_a_flow_problem_is_reported_with_where_it_was_seen() -> None:
    flow = Flow(
        [("coaching pack North/team.en.md", "en", "Amount 5,482 nan", LintContext())],
        [],
        ["open_deals: headline 3 but the change summary 2 (North, 2026-W47)"],
    )
    assert flow.problems() == [
        "coaching pack North/team.en.md [en] missing_value: 'nan' in 'Amount 5,482 nan'",
        "open_deals: headline 3 but the change summary 2 (North, 2026-W47)",
    ]


# --- one end-to-end run of the review notebook per language -------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("lang", [_param(f"notebook-{lang}") for lang in LANGS])
def test_review_notebook_end_to_end_passes_the_lint(
    lang: str, small_sample: Path, tmp_path: Path
) -> None:
    lang = lang.removeprefix("notebook-")
    import nbformat
    import papermill

    root = Path(__file__).resolve().parents[1]
    executed = tmp_path / "review.ipynb"
    papermill.execute_notebook(
        str(root / "notebooks" / "weekly_review.ipynb"),
        str(executed),
        parameters={
            "team": "华东" if lang == "zh" else "West",
            "week": WEEKS[-1],
            "lang": lang,
            "exports": str(small_sample / "exports"),
            "targets": str(small_sample / "targets.csv"),
            "out_dir": str(tmp_path),
        },
        kernel_name="python3",
        progress_bar=False,
        log_output=False,
        cwd=str(tmp_path),
    )
    notebook = nbformat.read(executed, as_version=4)
    history_names = run_names(small_sample)
    problems = []
    shown = 0
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            markup = output.get("data", {}).get("text/html")
            if markup:
                shown += 1
                text = html_text("".join(markup))
                problems += [str(p) for p in lint_text(text, lang, names=history_names)]
    assert shown >= 6  # title and the six sections
    assert problems == [], f"{len(problems)} problem(s):\n" + "\n".join(problems[:40])


def run_names(small_sample: Path) -> list[str]:
    """The proper names of the small sample (every team's latest export and its
    activities, leads and invoices)."""
    from pipereview.ingest._companions import read_companion
    from pipereview.ingest._export import read_export

    names: set[str] = set()
    for path in sorted((small_sample / "exports" / WEEKS[-1]).iterdir()):
        snapshot = read_export(path, week=WEEKS[-1]).snapshot
        names |= set(_names(snapshot))
    companions = small_sample / "companions" / WEEKS[-1]
    for path in sorted(companions.iterdir()) if companions.is_dir() else []:
        names |= set(_names(read_companion(path).frame))  # lead sources, accounts, invoices
    return sorted(names)
