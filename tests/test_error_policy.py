"""The error policy (CONTRIBUTING.md, "Errors"): every error a user can cause is a
:class:`~pipereview.core.PipereviewError` whose message names what was wrong and whose
``hint`` says how to fix it, and every ``lang=`` goes through the one language check."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import pytest

import pipereview
import pipereview.core
from pipereview import charts
from pipereview.coaching.findings import findings_frame
from pipereview.coaching.prompts import money_text
from pipereview.config import Config
from pipereview.core import (
    ConfigError,
    ExtensionError,
    InputError,
    PipereviewError,
    SettingTypeError,
    UnknownStageError,
    check_language,
    checked,
    load_stage_model,
    phrase,
    table_bytes,
)
from pipereview.diagnostics import (
    ABCSettings,
    ForecastSettings,
    PlanSettings,
    RiskSettings,
    abc_accounts,
    bant_check,
    missed_criteria,
    risk_summary,
    sales_velocity,
)
from pipereview.ingest import ReadLimits
from pipereview.sample import generate_large_export, generate_samples, organisation_weeks

SRC = Path(pipereview.__file__).parent
BUILT_IN = {"ValueError", "RuntimeError", "PermissionError", "TypeError", "KeyError"}

#: Built-in errors kept on purpose: internal invariants and protocols a user never meets
#: as such, by (module, function): how many raises, and why each may stay.
KEPT: dict[tuple[str, str], tuple[int, str]] = {
    # pydantic collects a validator's ValueError into a ValidationError, which
    # load_stage_model turns into a StageModelError naming the file and each broken rule
    ("core/_stages.py", "StageModel._check_rules"): (7, "pydantic validator"),
    # the mapping protocol: a view neither drawn nor prepared is a KeyError to the dict
    ("dashboard/prepared.py", "PreparedViews.__missing__"): (1, "dict protocol"),
    # the chart server's wire format: a broken message is a ValueError svg_from_server
    # catches (the kernel then draws the chart itself); it never reaches a user
    ("charts/_chartserver.py", "_receive"): (1, "caught: the chart drawn in the kernel"),
    ("charts/_chartserver.py", "_exactly"): (1, "caught: the chart drawn in the kernel"),
    # jupyter_client's own errors, word for word: nbclient raises them to the team's run,
    # which retries a kernel that failed to start by these words and names the rest
    ("delivery/_kernelclient.py", "BatchKernelClient.wait_for_ready"): (2, "jupyter_client's"),
    # the same for column maps: load_column_map raises a ColumnMapError
    ("ingest/_columnmaps.py", "ColumnMap._check"): (2, "pydantic validator"),
    # caught in _scan right away and raised as the workbook's InputError
    ("ingest/_sheetxml.py", "_sheet_part"): (1, "private, converted by its caller"),
    # bands are declared by the shipped rules' modules: a wrong one fails at import, in
    # the tests, never with a user's data
    ("coaching/_rulekit.py", "SeverityBands.__post_init__"): (2, "a shipped rule's own bands"),
}


def _built_in_raises(root: Path = SRC) -> Iterator[tuple[str, str, int]]:
    """``(module path, enclosing function, line)`` of each ``raise`` of a built-in error."""
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))

        def visit(node: ast.AST, scope: str) -> Iterator[tuple[str, int]]:
            for child in ast.iter_child_nodes(node):
                name = scope
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    name = f"{scope}.{child.name}" if scope else child.name
                if isinstance(child, ast.Raise) and child.exc is not None:
                    target = child.exc.func if isinstance(child.exc, ast.Call) else child.exc
                    if isinstance(target, ast.Name) and target.id in BUILT_IN:
                        yield scope, child.lineno
                yield from visit(child, name)

        for scope, line in visit(tree, ""):
            yield path.relative_to(root).as_posix(), scope, line


def test_no_user_path_raises_a_built_in_error() -> None:
    found: dict[tuple[str, str], list[int]] = {}
    for module, scope, line in _built_in_raises():
        found.setdefault((module, scope), []).append(line)
    allowed = {key: count for key, (count, _) in KEPT.items()}
    unexpected = {
        f"{m}:{lines[0]} in {s}": len(lines)
        for (m, s), lines in found.items()
        if len(lines) != allowed.get((m, s))
    }
    assert not unexpected, (
        "raise a PipereviewError subclass with a hint (CONTRIBUTING.md, "
        f"'Errors'), or document why not in KEPT: {unexpected}"
    )
    assert set(allowed) <= set(found), f"stale entries: {set(allowed) - set(found)}"


#: Modules whose PipereviewErrors do not all carry a hint, and how many lack one: none.
HINTS_MISSING: dict[str, int] = {}


def test_every_pipereview_error_raised_carries_a_hint() -> None:
    # SettingTypeError builds its hint from the setting it is given
    ours = {n for n in dir(pipereview.core) if n.endswith("Error")} - {"SettingTypeError"}
    missing: dict[str, list[int]] = {}
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Raise)
                and isinstance(node.exc, ast.Call)
                and getattr(node.exc.func, "id", "") in ours
                and not any(k.arg in ("hint", None) for k in node.exc.keywords)
            ):
                missing.setdefault(path.relative_to(SRC).as_posix(), []).append(node.lineno)
    assert {m: len(lines) for m, lines in missing.items()} == HINTS_MISSING, missing


def test_the_lint_finds_built_in_raises_by_function(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        "class C:\n    def f(self, x):\n        if x:\n            raise ValueError('no')\n"
        "        raise KeyError\n\n"
        "def g():\n    raise InputError('fine', hint='h')\n",
        encoding="utf-8",
    )
    assert list(_built_in_raises(tmp_path)) == [("m.py", "C.f", 4), ("m.py", "C.f", 5)]


# --- one user mistake per converted path -------------------------------------------------


def _failing_rule_context() -> Any:
    from pipereview.coaching import register_rule, unregister_rule
    from pipereview.week import WeekDiagnostics

    @register_rule("test_policy_boom", kind="risk", coaching="skill", scope="rep")
    def boom(context: Any, params: Any) -> pd.DataFrame:
        raise ZeroDivisionError("division by zero")

    history = pd.DataFrame(
        {
            "snapshot_week": ["2026-W47"],
            "team": ["T"],
            "owner": ["A"],
            "deal_id": ["1"],
            "stage": ["initial_contact"],
            "stage_model": ["generic_4"],
            "amount": [1.0],
        }
    )
    try:
        from pipereview.coaching import coaching_findings

        coaching_findings(WeekDiagnostics(history, as_of="2026-W47"), rules=["test_policy_boom"])
    finally:
        unregister_rule("test_policy_boom")


MISTAKES: list[tuple[str, Callable[[], Any], type[PipereviewError], str]] = [
    (
        "table format",
        lambda: table_bytes(pd.DataFrame({"a": [1]}), "pdf"),
        InputError,
        "format must be 'csv' or 'xlsx', got 'pdf'",
    ),
    (
        "unknown stage",
        lambda: load_stage_model("generic_4").stage("tender"),
        UnknownStageError,
        "'tender' is not a stage of 'generic_4'; known: ['initial_contact'",
    ),
    (
        "setting type",
        lambda: checked("no", bool, "risk.use_team_p75"),
        SettingTypeError,
        "risk.use_team_p75 must be true or false, got 'no' (a text)",
    ),
    (
        "abc shares",
        lambda: ABCSettings(a_share=0.9, b_share=0.2),
        ConfigError,
        "need 0 < a_share, 0 <= b_share, a_share + b_share <= 1; got 0.9, 0.2",
    ),
    (
        "abc by",
        lambda: abc_accounts(pd.DataFrame({"account": []}), group_columns=()),
        InputError,
        "group_columns must name at least one column",
    ),
    (
        "risk setting",
        lambda: RiskSettings(push_limit=0),
        ConfigError,
        "push_limit must be at least 1, got 0",
    ),
    (
        "risk by",
        lambda: risk_summary(pd.DataFrame(), by="owner"),  # type: ignore[arg-type]
        InputError,
        "by must be 'team' or 'rep', got 'owner'",
    ),
    (
        "bant stages",
        lambda: bant_check(pd.DataFrame(), early_stages=0),
        InputError,
        "early_stages must be at least 1, got 0",
    ),
    (
        "bant by",
        lambda: missed_criteria(pd.DataFrame(), by="region"),  # type: ignore[arg-type]
        InputError,
        "by must be 'team' or 'rep', got 'region'",
    ),
    (
        "velocity by",
        lambda: sales_velocity(pd.DataFrame(), as_of="2026-W47", by="owner"),  # type: ignore[arg-type]
        InputError,
        "by must be 'team' or 'rep', got 'owner'",
    ),
    (
        "forecast weeks",
        lambda: ForecastSettings(win_rate_weeks=0),
        ConfigError,
        "win_rate_weeks, min_closed_deals and min_calibration_deals must be at least 1, got 0",
    ),
    (
        "forecast tolerance",
        lambda: ForecastSettings(calibration_tolerance=1.5),
        ConfigError,
        "calibration_tolerance 1.5 must be in [0, 1)",
    ),
    (
        "plan rule",
        lambda: PlanSettings(week_rule="fortnights"),  # type: ignore[arg-type]
        ConfigError,
        "week_rule 'fortnights': use 'working_days', 'days' or 'four_week_month'",
    ),
    (
        "plan threshold",
        lambda: PlanSettings(alert_threshold=-0.1),
        ConfigError,
        "alert_threshold -0.1 must be >= 0",
    ),
    (
        "read limits",
        lambda: ReadLimits(max_rows=0),
        ConfigError,
        "ReadLimits.max_rows must be a whole number >= 1, not 0",
    ),
    (
        "settings in a file",
        lambda: Config.from_mapping({"risk": {"push_limit": 0}}),
        ConfigError,
        "risk: push_limit must be at least 1, got 0",
    ),
    (
        "finding kind",
        lambda: findings_frame(
            pd.DataFrame(),
            rule="r",
            kind="bad",  # type: ignore[arg-type]
            coaching="skill",
            scope="rep",
        ),
        ConfigError,
        "rule 'r': kind must be one of",
    ),
    (
        "finding team",
        lambda: findings_frame(
            pd.DataFrame({"owner": ["A"]}), rule="r", kind="risk", coaching="skill", scope="rep"
        ),
        ConfigError,
        "rule 'r' returned findings without a 'team' column",
    ),
    (
        "finding severity",
        lambda: findings_frame(
            pd.DataFrame({"team": ["T"], "severity": [4]}),
            rule="r",
            kind="risk",
            coaching="skill",
            scope="rep",
        ),
        ConfigError,
        "rule 'r': severity must be 1 (low), 2 or 3 (high), got 4 to 4",
    ),
    (
        "failing rule",
        _failing_rule_context,
        ExtensionError,
        "coaching rule 'test_policy_boom' failed: division by zero",
    ),
    ("money", lambda: money_text("lots"), InputError, "expected a number, got 'lots'"),
    (
        "chart url",
        lambda: charts.svg_html(alt.Chart("https://example.com/d.csv").mark_point()),
        ConfigError,
        "the chart loads data from a URL; charts must carry inline data",
    ),
    (
        "sample weeks",
        lambda: generate_samples(Path("unused"), n_weeks=0),
        InputError,
        "need n_weeks >= 1 and scale > 0, got 0 and 1.0",
    ),
    (
        "large rows",
        lambda: generate_large_export(Path("unused.csv"), rows=-1),
        InputError,
        "rows must be >= 0, got -1",
    ),
    (
        "organisation",
        lambda: next(organisation_weeks(teams=0)),
        InputError,
        "need teams >= 1, deals >= teams, weeks >= 1, reps_per_team >= 1; got teams=0",
    ),
]


@pytest.mark.parametrize(
    ("call", "kind", "message"), [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES]
)
def test_a_user_mistake_is_a_pipereview_error_with_a_hint(
    call: Callable[[], Any], kind: type[PipereviewError], message: str
) -> None:
    with pytest.raises(kind) as caught:
        call()
    error = caught.value
    assert isinstance(error, PipereviewError)
    assert error.message.startswith(message) or message in error.message, error.message
    assert error.hint, f"no hint: {error.message}"
    assert str(error) == f"{error.message}\nHint: {error.hint}"


def test_the_old_types_are_still_caught() -> None:
    # code written against the built-in errors keeps working
    with pytest.raises(KeyError):
        load_stage_model("generic_4").stage("tender")
    with pytest.raises(RuntimeError):
        _failing_rule_context()
    for call, message in (
        (lambda: RiskSettings(push_limit=0), "push_limit"),
        (lambda: money_text("lots"), "expected a number"),
        (lambda: checked("no", bool, "x"), "x must be true or false"),
        (lambda: check_language("fr"), FR),
    ):
        with pytest.raises(ValueError, match=re.escape(message)):
            call()


# --- the language check -------------------------------------------------------------------

FR = "unknown language 'fr'; choose one of en, zh"
STAGE = load_stage_model("generic_4").stages[0]


def _public_callables_with_lang() -> set[str]:
    names = set()
    for info in pkgutil.walk_packages(pipereview.__path__, "pipereview."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            members = [(name, obj)]
            if inspect.isclass(obj):
                members += [
                    (f"{name}.{k}", v)
                    for k, v in vars(obj).items()
                    if not k.startswith("_") and callable(v)
                ]
            for qualname, member in members:
                try:
                    parameters = inspect.signature(member).parameters
                except (TypeError, ValueError):
                    continue
                if "lang" in parameters:
                    names.add(f"{member.__module__}.{qualname}")
    return names


def _sheet(kind: str) -> Any:
    from pipereview.coaching.sheet import CoachingSheet, TeamSummary

    empty = pd.DataFrame()
    if kind == "team":
        return TeamSummary("T", "2026-W47", "fr", empty, empty)
    import datetime

    return CoachingSheet(
        "T", "A", "2026-W47", "fr", datetime.date(2026, 12, 1), empty, empty, empty
    )


def _review() -> Any:
    from pipereview.delivery import WeeklyReview

    return WeeklyReview(pd.DataFrame(), team="T", week="2026-W47", lang="fr")


def _dashboard() -> Any:
    from pipereview.dashboard.state import DashboardState

    return DashboardState(pd.DataFrame({"team": []}), lang="fr")


_EMPTY = pd.DataFrame()

#: One call per public callable taking ``lang=``, with ``lang="fr"``.
LANG_CALLS: dict[str, Callable[[], Any]] = {
    "pipereview.coaching.rules_companions.companion_notes": lambda: _call(
        "pipereview.coaching.rules_companions",
        "companion_notes",
        _call("pipereview.week", "WeekDiagnostics", pd.DataFrame(), "2026-W47"),
        "fr",
    ),
    "pipereview.forecasting._callbias.bias_label": lambda: _call(
        "pipereview.forecasting._callbias", "bias_label", "sandbagging", "fr"
    ),
    "pipereview.forecasting._callbias.call_freshness": lambda: _call(
        "pipereview.forecasting._callbias",
        "call_freshness",
        pd.DataFrame(columns=["week", "team", "level", "rep"]),
        pd.DataFrame(columns=["team", "rep"]),
        "2026-W47",
        lang="fr",
    ),
    "pipereview.diagnostics._rebuilt.rebuilt_note": lambda: _call(
        "pipereview.diagnostics._rebuilt", "rebuilt_note", pd.DataFrame(), "fr"
    ),
    "pipereview.diagnostics._activity.activity_text": lambda: _call(
        "pipereview.diagnostics._activity", "activity_text", "high", "fr"
    ),
    "pipereview.diagnostics._leads.lead_text": lambda: _call(
        "pipereview.diagnostics._leads", "lead_text", "below", "fr"
    ),
    "pipereview.diagnostics._leads.lead_note": lambda: _call(
        "pipereview.diagnostics._leads", "lead_note", None, ("team",), "fr"
    ),
    "pipereview.sample._history_out.history_headers": lambda: _call(
        "pipereview.sample._history_out", "history_headers", "fr"
    ),
    "pipereview.coaching._since.since_items": lambda: _call(
        "pipereview.coaching._since", "since_items", [], None, "fr"
    ),
    "pipereview.coaching._since.since_line": lambda: _call(
        "pipereview.coaching._since", "since_line", {}, None, "fr"
    ),
    "pipereview.charts._base.label": lambda: _call(
        "pipereview.charts._base", "label", "title_funnel", "fr"
    ),
    "pipereview.charts._builders.conversion_chart": lambda: charts.conversion_chart(
        _EMPTY, lang="fr"
    ),
    "pipereview.charts._forecastchart.forecast_chart": lambda: charts.forecast_chart(
        _EMPTY, lang="fr"
    ),
    "pipereview.charts._builders.funnel_chart": lambda: charts.funnel_chart(_EMPTY, lang="fr"),
    "pipereview.charts._builders.rep_comparison_chart": lambda: charts.rep_comparison_chart(
        _EMPTY, lang="fr"
    ),
    "pipereview.charts._builders.trend_chart": lambda: charts.trend_chart(_EMPTY, lang="fr"),
    "pipereview.charts._registry.draw_charts": lambda: charts.draw_charts(
        None, "T", None, [], lang="fr"
    ),  # type: ignore[arg-type]
    "pipereview.charts._waterfall.waterfall_bars": lambda: charts.waterfall_bars(_EMPTY, lang="fr"),
    "pipereview.charts._waterfall.waterfall_chart": lambda: charts.waterfall_chart(
        _EMPTY, lang="fr"
    ),
    "pipereview.coaching.pack.write_coaching_pack": lambda: _call(
        "pipereview.coaching.pack", "write_coaching_pack", None, Path("unused"), lang="fr"
    ),
    "pipereview.coaching.prompts.PromptTemplates.has": lambda: _call(
        "pipereview.coaching.prompts", "PromptTemplates"
    )().has("stalled_deal", "fr"),
    "pipereview.coaching.prompts.PromptTemplates.render": lambda: _call(
        "pipereview.coaching.prompts", "PromptTemplates"
    )().render("stalled_deal", "fr", {}),
    "pipereview.coaching.prompts.coaching_prompts": lambda: _call(
        "pipereview.coaching.prompts", "coaching_prompts", _EMPTY, lang="fr"
    ),
    "pipereview.coaching._sheetitems.item_records": lambda: _call(
        "pipereview.coaching._sheetitems", "item_records", pd.DataFrame(), "fr"
    ),
    "pipereview.coaching.prompts.deal_subject": lambda: _call(
        "pipereview.coaching.prompts", "deal_subject", {}, "fr"
    ),
    "pipereview.coaching.prompts.money_text": lambda: money_text(1.0, "USD", "fr"),
    "pipereview.coaching.sheet.CoachingSheet": lambda: _sheet("rep"),
    "pipereview.coaching.sheet.TeamSummary": lambda: _sheet("team"),
    "pipereview.coaching.titles.rule_title": lambda: _call(
        "pipereview.coaching.titles", "rule_title", "stalled_deal", "fr"
    ),
    "pipereview.core._languages.check_language": lambda: check_language("fr"),
    "pipereview.core._languages.phrase": lambda: phrase({"k": ("a", "b")}, "k", "fr"),
    "pipereview.config._model.Config": lambda: Config(lang="fr"),  # type: ignore[arg-type]
    "pipereview.core._stages.Stage.label_in": lambda: STAGE.label_in("fr"),
    "pipereview.dashboard.app.Dashboard": lambda: _call(
        "pipereview.dashboard", "Dashboard", pd.DataFrame({"team": []}), lang="fr"
    ),
    "pipereview.dashboard.app.Dashboard.select": lambda: _call(
        "pipereview.dashboard", "Dashboard", pd.DataFrame({"team": []})
    ).select(lang="fr"),
    "pipereview.dashboard.state.DashboardState": _dashboard,
    "pipereview.dashboard.view.View": lambda: _call(
        "pipereview.dashboard", "View", "T", "2026-W47", lang="fr"
    ),
    "pipereview.delivery._batch.run_batch": lambda: _call(
        "pipereview.delivery",
        "run_batch",
        "2026-W47",
        store=Path("unused"),
        out_dir=Path("unused"),
        lang="fr",
    ),
    "pipereview.delivery._review.WeeklyReview": _review,
    "pipereview.delivery._textlint.lint_text": lambda: _call(
        "pipereview.delivery", "lint_text", "text", "fr"
    ),
    "pipereview.diagnostics._accounts.ABCSettings.service": lambda: ABCSettings().service(
        "A", "fr"
    ),
    "pipereview.diagnostics._capabilities.column_label": lambda: _call(
        "pipereview.diagnostics", "column_label", "coach", "fr"
    ),
    "pipereview.diagnostics._capabilities.not_checked": lambda: _call(
        "pipereview.diagnostics", "not_checked", ("coach",), "fr"
    ),
    "pipereview.diagnostics._capabilities.not_checked_notes": lambda: _call(
        "pipereview.diagnostics", "not_checked_notes", _EMPTY, "fr"
    ),
    "pipereview.diagnostics._figures.days_text": lambda: _call(
        "pipereview.diagnostics", "days_text", None, False, "fr"
    ),
    "pipereview.diagnostics._periods.change_text": lambda: _call(
        "pipereview.diagnostics", "change_text", 1.0, 0.0, "USD", "fr"
    ),
    "pipereview.diagnostics._periods.span_text": lambda: _call(
        "pipereview.diagnostics",
        "span_text",
        pd.Timestamp("2026-11-01"),
        pd.Timestamp("2026-11-15"),
        "fr",
    ),
    "pipereview.diagnostics._figures.gap_text": lambda: _call(
        "pipereview.diagnostics", "gap_text", None, "USD", "fr"
    ),
    "pipereview.diagnostics._figures.outlook_text": lambda: _call(
        "pipereview.diagnostics", "outlook_text", "met", "fr"
    ),
    "pipereview.diagnostics._figures.plan_deviation_text": lambda: _call(
        "pipereview.diagnostics", "plan_deviation_text", -0.3, 0.5, "fr"
    ),
    "pipereview.diagnostics._evidence.MissingColumn.describe": lambda: _call(
        "pipereview.diagnostics", "MissingColumn"
    )("T", "generic_4", "coach", "snapshot", 1).describe("fr"),
    "pipereview.diagnostics._seasons.plan_rule_text": lambda: _call(
        "pipereview.diagnostics",
        "plan_rule_text",
        _call("pipereview.diagnostics", "SeasonShape")("flat", "2026-Q4"),
        "fr",
    ),
    "pipereview.diagnostics._repsplit.rep_rule_text": lambda: _call(
        "pipereview.diagnostics", "rep_rule_text", "equal", "fr"
    ),
    "pipereview.week.WeekDiagnostics.plan_rule": lambda: _call(
        "pipereview.week", "WeekDiagnostics"
    )(_EMPTY, "2026-W47").plan_rule("T", "fr"),
    "pipereview.week.CoachingContext.plan_rule": lambda: _call(
        "pipereview.coaching", "CoachingContext"
    )(_EMPTY, "2026-W47").plan_rule("T", "fr"),
    "pipereview.diagnostics._collectiontexts.collection_text": lambda: _call(
        "pipereview.diagnostics", "collection_text", "dso", "fr"
    ),
    "pipereview.diagnostics._collectiontexts.lifecycle_text": lambda: _call(
        "pipereview.diagnostics", "lifecycle_text", "growth", "fr"
    ),
    "pipereview.diagnostics._collectiontexts.no_invoices_text": lambda: _call(
        "pipereview.diagnostics", "no_invoices_text", "fr"
    ),
    "pipereview.diagnostics._labels.criterion_label": lambda: _call(
        "pipereview.diagnostics", "criterion_label", "coach", "fr"
    ),
    "pipereview.diagnostics._labels.with_labels": lambda: _call(
        "pipereview.diagnostics", "with_labels", _EMPTY, "fr"
    ),
    "pipereview.sample._formats.Dialect": lambda: _call(
        "pipereview.sample._formats",
        "Dialect",
        "csv",
        "utf-8",
        "iso",
        "iso",
        "plain",
        "percent",
        ("1", "0"),
        "USD",
        "sfdc",
        lang="fr",
    ),
    "pipereview.dashboard.prepare.write_prepared": lambda: _call(
        "pipereview.dashboard.prepare", "write_prepared", Path("unused"), _EMPTY, lang="fr"
    ),
    "pipereview.delivery._periodreview.PeriodReview": lambda: _call(
        "pipereview.delivery", "PeriodReview", _EMPTY, team="T", period="2026-11", lang="fr"
    ),
    "pipereview.delivery._periodsections.target_rule_text": lambda: _call(
        "pipereview.delivery", "target_rule_text", "given", "2026-11", "fr"
    ),
    "pipereview.delivery._periodplan.coverage_words": lambda: _call(
        "pipereview.delivery", "coverage_words", 1.0, 1.0, "fr"
    ),
    "pipereview.serve.prepare_dashboard": lambda: _call(
        "pipereview.serve", "prepare_dashboard", Path("unused"), lang="fr"
    ),
    "pipereview.dashboard._callform.CallEntry.unavailable": lambda: _call(
        "pipereview.dashboard._callform", "CallEntry", None
    ).unavailable("North", "fr"),
    "pipereview.dashboard._callform.CallEntry.replaces": lambda: _call(
        "pipereview.dashboard._callform", "CallEntry", None
    ).replaces("North", "2026-W47", "Ann", "fr"),
}

#: Callables taking ``lang=`` that do not check it themselves, and why.
LANG_UNCHECKED: dict[str, str] = {
    # a record of what `pipereview serve` wrote: serve checks the language before writing
    # it, and the dashboard built from it checks it again
    "pipereview.dashboard.config.DashboardConfig": "checked by prepare_dashboard",
    "pipereview.dashboard.state.DashboardState.select": "checked (see test_dashboard)",
    # serve's step after prepare_dashboard checked the language; write_prepared checks it
    "pipereview.dashboard._servedstate.prepare_teams": "checked by prepare_dashboard",
    "pipereview.delivery._review.WeeklyReview.in_language": "checked by Config.replace",
    # the batch summary's line: its language is run_batch's, checked there
    "pipereview.delivery._batchplan.inputs_line": "checked by run_batch",
}


def _call(module: str, name: str, *args: Any, **kwargs: Any) -> Any:
    target = getattr(importlib.import_module(module), name)
    return target(*args, **kwargs) if args or kwargs else target


def test_every_public_lang_parameter_is_in_the_table() -> None:
    found = _public_callables_with_lang()
    assert found == set(LANG_CALLS) | set(LANG_UNCHECKED), (
        f"add to LANG_CALLS: {found - set(LANG_CALLS) - set(LANG_UNCHECKED)}; "
        f"gone: {(set(LANG_CALLS) | set(LANG_UNCHECKED)) - found}"
    )


@pytest.mark.parametrize("name", sorted(LANG_CALLS))
def test_every_lang_parameter_refuses_an_unknown_language(name: str) -> None:
    with pytest.raises(ConfigError) as caught:
        LANG_CALLS[name]()
    assert type(caught.value) is ConfigError
    assert caught.value.message == FR
    assert caught.value.hint == (
        "pass lang='en' or lang='zh' (--lang en|zh on the command "
        "line, lang: en|zh in a configuration file)"
    )


def test_a_configuration_file_names_itself_with_the_language(tmp_path: Path) -> None:
    from pipereview.config import load_config

    file = tmp_path / "team.yaml"
    file.write_text("lang: fr\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(file)
    assert caught.value.message == f"{file}: {FR}"
    assert caught.value.file == str(file) and caught.value.hint


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_languages_pass(lang: str) -> None:
    assert check_language(lang) == lang


def test_what_was_expected_is_in_the_message_every_reader_sees() -> None:
    refused = InputError("--max-kernels 0 leaves no page", expected="at least 1", hint="h")
    assert str(refused) == "--max-kernels 0 leaves no page (expected at least 1)\nHint: h"
    said = InputError("line 3: expected a closing quote", expected="a closing quote")
    assert str(said) == "line 3: expected a closing quote"  # never said twice


def test_a_locked_dashboard_refuses_another_team_with_an_access_error() -> None:
    from pipereview.core import AccessError
    from pipereview.dashboard import Dashboard

    rows = pd.DataFrame({"team": ["North", "West"], "snapshot_week": ["2026-W47"] * 2})
    with pytest.raises(InputError, match="needs the team it is locked to") as refused:
        Dashboard(rows, locked=True)
    assert refused.value.hint
    with pytest.raises(InputError, match="team 'South' has no stored snapshot; teams: North, West"):
        Dashboard(rows, team="South")
    assert issubclass(AccessError, PermissionError) and issubclass(AccessError, PipereviewError)
