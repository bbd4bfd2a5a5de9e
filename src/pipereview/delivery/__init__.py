"""What people read: the team review, the weekly batch and its team runs, team notebooks,
spreadsheet exports, pack folders and the lint of every text.

>>> from pipereview.delivery import lint_text
>>> [problem.rule for problem in lint_text("Amount nan", "en")]
['missing_value']
"""

from __future__ import annotations

from pipereview.delivery._batch import (
    EXPECTED,
    BatchResult,
    TeamRun,
    default_notebook,
    pack_period,
    run_batch,
)
from pipereview.delivery._batchplan import inputs_line, safe_folder_name
from pipereview.delivery._notebooks import (
    BATCH_PARAMETERS,
    PERIOD_PARAMETERS,
    SHIPPED_NOTEBOOKS,
    check_team_notebook,
    new_team_notebook,
    shipped_notebook,
)
from pipereview.delivery._periodfigures import (
    PERIOD_SPANS,
    TARGET_RULES,
    lost_in_period,
    next_period,
    period_kind,
    period_of,
    period_spans,
    period_target,
    pushed_out_of,
    shift_period,
    span_results,
)
from pipereview.delivery._periodplan import (
    PLAN_TEXT,
    coverage_words,
    next_plan,
    next_verdict,
    plan_section,
)
from pipereview.delivery._periodreview import PeriodReview
from pipereview.delivery._periodsections import (
    PERIOD_TEXT,
    created_line,
    deviation_section,
    gap_words,
    loss_reasons,
    no_target_text,
    period_label,
    period_text,
    results_section,
    signed_amount,
    target_rule_text,
    title_section,
)
from pipereview.delivery._periodverdicts import hit_verdict, verdict_section, why_verdict
from pipereview.delivery._reportpage import MISSING_ALT, accessible_page, report_exporter
from pipereview.delivery._review import WeeklyReview
from pipereview.delivery._reviewsections import Section
from pipereview.delivery._teamrun import Task
from pipereview.delivery._textlint import (
    ALLOWED_TERMS,
    CURRENCY_CODES,
    LintContext,
    LintProblem,
    internal_keys,
    lint_text,
)
from pipereview.delivery._visibletext import (
    file_text,
    html_text,
    markdown_text,
    table_text,
    terminal_text,
    xlsx_text,
)

__all__ = [
    "ALLOWED_TERMS",
    "BATCH_PARAMETERS",
    "CURRENCY_CODES",
    "EXPECTED",
    "MISSING_ALT",
    "PERIOD_PARAMETERS",
    "PERIOD_SPANS",
    "PERIOD_TEXT",
    "PLAN_TEXT",
    "SHIPPED_NOTEBOOKS",
    "TARGET_RULES",
    "BatchResult",
    "LintContext",
    "LintProblem",
    "PeriodReview",
    "Section",
    "Task",
    "TeamRun",
    "WeeklyReview",
    "accessible_page",
    "check_team_notebook",
    "coverage_words",
    "created_line",
    "default_notebook",
    "deviation_section",
    "file_text",
    "gap_words",
    "hit_verdict",
    "html_text",
    "inputs_line",
    "internal_keys",
    "lint_text",
    "loss_reasons",
    "lost_in_period",
    "markdown_text",
    "new_team_notebook",
    "next_period",
    "next_plan",
    "next_verdict",
    "no_target_text",
    "pack_period",
    "period_kind",
    "period_label",
    "period_of",
    "period_spans",
    "period_target",
    "period_text",
    "plan_section",
    "pushed_out_of",
    "report_exporter",
    "results_section",
    "run_batch",
    "safe_folder_name",
    "shift_period",
    "shipped_notebook",
    "signed_amount",
    "span_results",
    "table_text",
    "target_rule_text",
    "terminal_text",
    "title_section",
    "verdict_section",
    "why_verdict",
    "xlsx_text",
]
