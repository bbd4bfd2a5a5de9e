"""What people read: the team review, the weekly batch and its team runs, team notebooks,
spreadsheet exports, pack folders and the lint of every text.

>>> from pipereview.delivery import lint_text
>>> [problem.rule for problem in lint_text("Amount nan", "en")]
['missing_value']
"""

from __future__ import annotations

from pipereview.delivery._batch import EXPECTED, BatchResult, TeamRun, default_notebook, run_batch
from pipereview.delivery._batchplan import inputs_line, safe_folder_name
from pipereview.delivery._notebooks import (
    BATCH_PARAMETERS,
    SHIPPED_NOTEBOOKS,
    check_team_notebook,
    new_team_notebook,
    shipped_notebook,
)
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
    "SHIPPED_NOTEBOOKS",
    "BatchResult",
    "LintContext",
    "LintProblem",
    "Section",
    "Task",
    "TeamRun",
    "WeeklyReview",
    "check_team_notebook",
    "default_notebook",
    "file_text",
    "html_text",
    "inputs_line",
    "internal_keys",
    "lint_text",
    "markdown_text",
    "new_team_notebook",
    "run_batch",
    "safe_folder_name",
    "shipped_notebook",
    "table_text",
    "terminal_text",
    "xlsx_text",
]
