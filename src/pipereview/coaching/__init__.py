"""Coaching: rules turn diagnostics into findings, templates turn findings into prompts,
and prompts make a coaching sheet per rep and a summary per team (docs/method.md §5).

>>> import pipereview.coaching as coaching
>>> "stalled_deal" in coaching.rule_names()
True

Typical use (``history`` from :meth:`pipereview.SnapshotStore.history`)::

    context = WeekDiagnostics(with_deal_keys(history), as_of="2026-W47", targets=targets)
    prompts = coaching_prompts(coaching_findings(context), lang="zh")
    print(coaching_sheet(prompts, "North", "Jordan Blake", as_of="2026-W47").to_markdown())
"""

from __future__ import annotations

from pipereview.coaching.findings import (
    FINDING_COLUMNS,
    KINDS,
    SCOPES,
    SEVERITY_NAMES,
    findings_frame,
    rank_findings,
)
from pipereview.coaching.pack import write_coaching_pack
from pipereview.coaching.prompts import (
    BLOCKS,
    LANGUAGES,
    PROMPT_COLUMNS,
    PromptTemplates,
    coaching_prompts,
    escape_markdown,
    template_folders,
)
from pipereview.coaching.registry import (
    Rule,
    coaching_findings,
    coaching_rules,
    get_rule,
    load_rule_settings,
    register_rule,
    rule_names,
    unregister_rule,
)
from pipereview.coaching.sheet import (
    CoachingSheet,
    TeamSummary,
    coaching_sheet,
    team_sheets,
    team_summary,
)
from pipereview.week import WeekDiagnostics

#: The name :class:`~pipereview.week.WeekDiagnostics` had while only coaching used it;
#: kept so that code written against it keeps working.
CoachingContext = WeekDiagnostics

__all__ = [
    "BLOCKS",
    "FINDING_COLUMNS",
    "KINDS",
    "LANGUAGES",
    "PROMPT_COLUMNS",
    "SCOPES",
    "SEVERITY_NAMES",
    "CoachingContext",
    "CoachingSheet",
    "PromptTemplates",
    "Rule",
    "TeamSummary",
    "WeekDiagnostics",
    "coaching_findings",
    "coaching_prompts",
    "coaching_rules",
    "coaching_sheet",
    "escape_markdown",
    "findings_frame",
    "get_rule",
    "load_rule_settings",
    "rank_findings",
    "register_rule",
    "rule_names",
    "team_sheets",
    "team_summary",
    "template_folders",
    "unregister_rule",
    "write_coaching_pack",
]
