"""Write a week's coaching pack: one sheet per rep and a summary per team, in Markdown and
HTML, and every finding as CSV — the whole pack written at once or not at all.

Layout under ``out_dir`` (the pack's own folder, ``coaching/<week>`` from the CLI)::

    <team>/team.<lang>.md|html     the manager's overview
    <team>/<rep>.<lang>.md|html    one coaching sheet per rep
    findings.<lang>.csv            every finding with its prompt (evidence as JSON)

No two names share a file: a team's folder is its name, checked by the rule of
:func:`pipereview.core._names.check_folder_name` (two teams whose names differ only in width,
case or spacing are refused too: one folder on Windows or macOS;
:func:`pipereview.core._staging.team_folders`); the rep file names of a
team come from :func:`file_stems`, which never gives ``team`` (the summary's name) and
never gives two reps one file name, even on a file system that ignores case. The pack is
built in a staging folder beside ``out_dir`` and renamed into place
(:func:`pipereview.core._staging.staged_folder`): a full disk or a name the file system refuses
leaves the previous pack as it was; the other language's files and the other teams'
folders of the previous pack are kept.
"""

from __future__ import annotations

import json
import re
import shutil
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from pipereview.coaching._log import CoachingLog, sheet_entries
from pipereview.coaching._since import since_items
from pipereview.coaching.prompts import LANGUAGES, PromptTemplates, coaching_prompts
from pipereview.coaching.registry import coaching_findings
from pipereview.coaching.rules_companions import companion_notes
from pipereview.coaching.sheet import CoachingSheet, team_sheets, team_summary
from pipereview.core._errors import InputError, PipereviewError
from pipereview.core._exports import table_bytes
from pipereview.core._files import check_output_folder
from pipereview.core._languages import check_language
from pipereview.core._staging import staged_folder, team_folders
from pipereview.diagnostics._capabilities import COACHING_CHECKS, not_checked_notes
from pipereview.week import WeekDiagnostics

__all__ = ["SUMMARY_STEM", "file_stems", "safe_file_name", "write_coaching_pack"]

#: The file name (before ``.<lang>.md``) of a team's summary; no rep sheet is given it.
SUMMARY_STEM = "team"
#: The longest file name stem in UTF-8 bytes: room is left for ``~NNNN`` and ``.zh.html``
#: within the 255 bytes a file name may have.
_STEM_BYTES = 180
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f-\x9f\u2028\u2029]+')
#: Names Windows reserves for devices, whatever the extension (``CON.en.md`` is the console).
_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}
)


def _fit(text: str, budget: int) -> str:
    """``text`` cut to at most ``budget`` UTF-8 bytes, on a character boundary."""
    return text.encode("utf-8")[:budget].decode("utf-8", errors="ignore")


def safe_file_name(name: str) -> str:
    """``name`` usable as a file name on every system (Chinese kept, separators and control
    characters replaced, no leading or trailing dot or space, at most 180 bytes, Windows
    device names prefixed with ``_``).

    >>> safe_file_name("王芳"), safe_file_name("A/B: C"), safe_file_name(".."), safe_file_name("con")
    ('王芳', 'A_B_ C', '_', '_con')
    >>> len(safe_file_name("华" * 100).encode("utf-8"))
    180
    """
    cleaned = _fit(_UNSAFE.sub("_", name).strip().strip(". ").strip(), _STEM_BYTES)
    cleaned = cleaned.rstrip(". ")
    if cleaned.split(".")[0].strip().upper() in _DEVICES:
        cleaned = "_" + cleaned
    return cleaned or "_"


def _folded(stem: str) -> str:
    """The form under which a file system may take two names for one (case, width)."""
    return unicodedata.normalize("NFKC", stem).casefold()


def file_stems(
    names: Iterable[str], *, reserved: Iterable[str] = (SUMMARY_STEM,)
) -> dict[str, str]:
    """A file name stem per name (:func:`safe_file_name`), distinct even where the file
    system ignores case or Unicode width, and none of them a ``reserved`` stem: a later
    name whose stem is taken gets ``~2``, ``~3``, ... (names are taken in the order given).

    >>> file_stems(["team", "A/B", "A:B", "a_b"])
    {'team': 'team~2', 'A/B': 'A_B', 'A:B': 'A_B~2', 'a_b': 'a_b~3'}
    """
    used = {_folded(r) for r in reserved}
    stems: dict[str, str] = {}
    for name in names:
        if name in stems:
            continue
        base = safe_file_name(name)
        stem, number = base, 1
        while _folded(stem) in used:
            number += 1
            stem = f"{base}~{number}"
        used.add(_folded(stem))
        stems[name] = stem
    return stems


def _ours(name: str, lang: str) -> bool:
    """True for a file this run writes (in its language) in a team folder it writes."""
    return name.endswith((f".{lang}.md", f".{lang}.html"))


def _carry_over(previous: Path, staging: Path, rewritten: set[str], lang: str) -> None:
    """Copy into ``staging`` what the previous pack holds and this run does not write: the
    other language's files and the folders of teams not coached now. Links, temporary
    files and a previous pack that is itself a link are left behind."""
    if previous.is_symlink() or not previous.is_dir():
        return

    def skipped(folder: str, names: list[str]) -> set[str]:
        return {n for n in names if (Path(folder) / n).is_symlink() or n.endswith(".tmp")}

    for entry in previous.iterdir():
        if entry.is_symlink() or entry.name.endswith(".tmp"):
            continue
        if entry.is_dir() and entry.name in rewritten:
            (staging / entry.name).mkdir()
            for item in entry.iterdir():
                if (
                    item.is_file()
                    and not item.is_symlink()
                    and not _ours(item.name, lang)
                    and not item.name.endswith(".tmp")
                ):
                    shutil.copy2(item, staging / entry.name / item.name)
        elif entry.is_dir():
            shutil.copytree(entry, staging / entry.name, ignore=skipped)
        elif entry.is_file() and entry.name != f"findings.{lang}.csv":
            shutil.copy2(entry, staging / entry.name)


def _team_files(
    context: WeekDiagnostics,
    prompts: pd.DataFrame,
    team: str,
    lang: str,
    templates: PromptTemplates,
    charts: Sequence[str],
    log: CoachingLog | None = None,
    recorded: list[dict[str, Any]] | None = None,
) -> list[tuple[str, str]]:
    """``(file name, text)`` of one team's summary and rep sheets; with ``log``, each sheet
    opens with the items of the rep's previous 1:1 in it. The coaching log lines of the
    sheets' focus items are added to ``recorded``."""
    deals = context.open_deals[context.open_deals["team"] == team]
    notes = not_checked_notes(deals, lang, COACHING_CHECKS)
    if context.companions.available():  # the week has companion exports: name those missing
        notes += companion_notes(context, lang)
    reps = context.open_deals.loc[context.open_deals["team"] == team, "owner"]
    owners = sorted(set(reps) | set(prompts.loc[prompts["team"] == team, "owner"]) - {""})
    sheets = team_sheets(
        prompts,
        team,
        owners,
        as_of=context.week,
        context=context,
        not_checked=notes,
        templates=templates,
    )
    if log is not None:
        sheets = {
            owner: _with_since(sheet, log, context, prompts) for owner, sheet in sheets.items()
        }
    summary = team_summary(prompts, team, as_of=context.week, not_checked=notes, sheets=sheets)
    files = [
        (f"{SUMMARY_STEM}.{lang}.md", summary.to_markdown(templates)),
        (f"{SUMMARY_STEM}.{lang}.html", summary.to_html(templates)),
    ]
    for owner, stem in file_stems(owners).items():
        sheet = sheets[owner].with_charts(context, charts) if charts else sheets[owner]
        files += [
            (f"{stem}.{lang}.md", sheet.to_markdown(templates)),
            (f"{stem}.{lang}.html", sheet.to_html(templates)),
        ]
    if recorded is not None:
        recorded += [entry for owner in owners for entry in sheet_entries(sheets[owner])]
    return files


def _with_since(
    sheet: CoachingSheet, log: CoachingLog, context: WeekDiagnostics, prompts: pd.DataFrame
) -> CoachingSheet:
    """``sheet`` opening with the items of the rep's previous 1:1 in ``log``."""
    week, entries = log.previous(sheet.team, sheet.owner, sheet.as_of)
    if not entries:
        return sheet
    mine = prompts[(prompts["team"] == sheet.team) & (prompts["owner"] == sheet.owner)]
    since = since_items(entries, context, sheet.lang, current=mine[mine["kind"] == "risk"])
    return replace(sheet, since=since, since_week=week)


def _findings_table(prompts: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The findings as the pack's CSV holds them: evidence as JSON, the rule's title in
    ``lang`` beside its id (the id is for analysts; readers get its title)."""
    table = prompts.copy()
    table["evidence"] = [
        json.dumps(e, ensure_ascii=False, sort_keys=True, default=str) for e in table["evidence"]
    ]
    if "rule" in table.columns:
        from pipereview.coaching.titles import rule_title

        table.insert(
            list(table.columns).index("rule") + 1,
            "rule_title",
            [rule_title(str(rule), lang) for rule in table["rule"]],
        )
    return table


def write_coaching_pack(
    context: WeekDiagnostics,
    out_dir: str | Path,
    *,
    lang: str = "en",
    teams: Sequence[str] | None = None,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
    templates: PromptTemplates | None = None,
    charts: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
    log: CoachingLog | None = None,
) -> list[Path]:
    """Run every rule over ``context`` and write the pack for ``teams`` (default: all) in
    ``lang`` into ``out_dir``, a folder of the pack's own; returns the files written, in
    order. ``settings`` (rule thresholds) and ``charts`` (registered charts drawn on each
    HTML sheet) default to the context's configuration. ``progress`` is called with each
    team name as it starts. With ``log`` (the store's
    :class:`~pipereview.coaching._log.CoachingLog`), each sheet opens with the items of
    the rep's previous 1:1 and what happened since, and once the pack is written its
    focus items are recorded in the log as proposed (a week recorded already is kept).

    A team name that cannot be a folder is refused before anything is written
    (:class:`InputError`); a pack that cannot be written (a full disk) raises a
    :class:`PipereviewError` and leaves ``out_dir`` as it was."""
    check_language(lang)
    check_output_folder(out_dir, "the coaching pack")  # before any work
    charts = tuple(context.config.charts if charts is None else charts)
    templates = templates or PromptTemplates()
    prompts = coaching_prompts(
        coaching_findings(context, settings=settings), lang=lang, templates=templates
    )
    root = Path(out_dir)
    chosen = sorted(teams) if teams is not None else sorted(context.open_deals["team"].unique())
    folders = team_folders(chosen, reserved=[f"findings.{code}.csv" for code in LANGUAGES])
    planted = [root / f for f in folders.values() if (root / f).is_symlink()]
    if planted:  # files are replaced, never written through; a linked folder would be
        raise InputError(
            f"{planted[0]} is a symbolic link: the coaching pack is written only "
            "into folders of its own",
            file=planted[0],
            hint="remove the link (or choose another --out) and run again",
        )
    table = _findings_table(prompts[prompts["team"].isin(chosen)], lang)
    written: list[Path] = []
    recorded: list[dict[str, Any]] = []
    try:
        with staged_folder(root) as staging:
            _carry_over(root, staging, set(folders.values()), lang)
            for team in chosen:  # a handful of teams
                if progress:
                    progress(team)
                folder = staging / folders[team]
                folder.mkdir(exist_ok=True)
                files = _team_files(context, prompts, team, lang, templates, charts, log, recorded)
                for name, text in files:
                    (folder / name).write_text(text, encoding="utf-8")
                    written.append(root / folders[team] / name)
            findings = f"findings.{lang}.csv"  # formula-safe for spreadsheets
            (staging / findings).write_bytes(table_bytes(pd.DataFrame(table), "csv"))
            written.append(root / findings)
    except OSError as exc:
        raise PipereviewError(
            f"the coaching pack was not written ({exc.strerror or exc}: "
            f"{exc.filename or root}); {root} is as it was",
            hint=f"free space under {root.parent} (or choose another --out) and run again",
        ) from exc
    if log is not None:
        log.record(recorded)
    return written
