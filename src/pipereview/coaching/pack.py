"""Write a week's coaching pack: one sheet per rep and a summary per team, in Markdown and
HTML, and every finding as CSV — each file written whole or not at all.

Layout under ``out_dir``::

    <team>/team.<lang>.md|html     the manager's overview
    <team>/<rep>.<lang>.md|html    one coaching sheet per rep
    findings.<lang>.csv            every finding with its prompt (evidence as JSON)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from pipereview.coaching.context import CoachingContext
from pipereview.coaching.prompts import PromptTemplates, coaching_prompts
from pipereview.coaching.registry import coaching_findings
from pipereview.coaching.sheet import coaching_sheet, team_summary
from pipereview.errors import InputError
from pipereview.exports import write_table
from pipereview.store import atomic_write

__all__ = ["safe_file_name", "write_coaching_pack"]

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
#: Names Windows reserves for devices, whatever the extension (``CON.en.md`` is the console).
_DEVICES = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)),
                      *(f"LPT{i}" for i in range(10))})


def safe_file_name(name: str) -> str:
    """``name`` usable as a file name on every system (Chinese kept, separators replaced,
    no leading or trailing dot or space, Windows device names prefixed with ``_``).

    >>> safe_file_name("王芳"), safe_file_name("A/B: C"), safe_file_name(".."), safe_file_name("con")
    ('王芳', 'A_B_ C', '_', '_con')
    """
    cleaned = _UNSAFE.sub("_", name).strip().strip(". ").strip()
    if cleaned.split(".")[0].strip().upper() in _DEVICES:
        cleaned = "_" + cleaned
    return cleaned or "_"


def _write(path: Path, text: str) -> None:
    with atomic_write(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def write_coaching_pack(context: CoachingContext, out_dir: str | Path, *, lang: str = "en",
                        teams: Sequence[str] | None = None,
                        settings: Mapping[str, Mapping[str, Any]] | None = None,
                        templates: PromptTemplates | None = None,
                        charts: Sequence[str] | None = None,
                        progress: Callable[[str], None] | None = None) -> list[Path]:
    """Run every rule over ``context`` and write the pack for ``teams`` (default: all) in
    ``lang``; returns the files written, in order. ``settings`` (rule thresholds) and
    ``charts`` (registered charts drawn on each HTML sheet) default to the context's
    configuration. ``progress`` is called with each team name as it starts."""
    charts = tuple(context.config.charts if charts is None else charts)
    templates = templates or PromptTemplates()
    prompts = coaching_prompts(coaching_findings(context, settings=settings), lang=lang,
                               templates=templates)
    root = Path(out_dir)
    written: list[Path] = []
    chosen = sorted(teams) if teams is not None else sorted(context.open_deals["team"].unique())
    planted = [root / safe_file_name(t) for t in chosen if (root / safe_file_name(t)).is_symlink()]
    if planted:  # files are replaced, never written through; a linked folder would be
        raise InputError(f"{planted[0]} is a symbolic link: the coaching pack is written only "
                         "into folders of its own", file=planted[0],
                         hint="remove the link (or choose another --out) and run again")
    for team in chosen:  # a handful of teams
        if progress:
            progress(team)
        folder = root / safe_file_name(team)
        summary = team_summary(prompts, team, as_of=context.week)
        for suffix, text in ((".md", summary.to_markdown(templates)),
                             (".html", summary.to_html(templates))):
            written.append(folder / f"team.{lang}{suffix}")
            _write(written[-1], text)
        reps = context.open_deals.loc[context.open_deals["team"] == team, "owner"]
        used: set[str] = set()
        for owner in sorted(set(reps) | set(prompts.loc[prompts["team"] == team, "owner"]) - {""}):
            sheet = coaching_sheet(prompts, team, owner, as_of=context.week,
                                   follow_up_days=context.config.follow_up_days)
            if charts:
                sheet = sheet.with_charts(context, charts)
            stem = safe_file_name(owner)
            while stem in used:  # two reps whose names clean to the same file name
                stem += "_"
            used.add(stem)
            for suffix, text in ((".md", sheet.to_markdown(templates)),
                                 (".html", sheet.to_html(templates))):
                written.append(folder / f"{stem}.{lang}{suffix}")
                _write(written[-1], text)
    table = prompts[prompts["team"].isin(chosen)].copy()
    table["evidence"] = [json.dumps(e, ensure_ascii=False, sort_keys=True, default=str)
                         for e in table["evidence"]]
    written.append(root / f"findings.{lang}.csv")
    write_table(pd.DataFrame(table), written[-1])  # formula-safe for spreadsheets
    return written
