"""Marking the coaching log from a file the manager edits: one line per item, its 1:1
week, the rep, the item's id (as ``pipereview coaching-log`` lists it), the new status and
an optional note.

The file is a CSV (UTF-8, with or without BOM, or GB18030 as Excel saves it in China) with
the columns ``week``, ``rep``, ``item``, ``status`` and ``note`` (optional); the Chinese
headers 周 / 销售 / 事项编号 / 状态 / 备注 and the Chinese statuses (待商定, 已约定,
已完成, 已放弃) are read too; other columns (such as the ``subject`` of an exported
listing) are ignored. Every problem is reported at once, each naming the file, the row as
a spreadsheet shows it, the column, what was expected and how to fix it; nothing is
marked unless every line is right.

>>> import tempfile
>>> from pipereview.coaching._log import item_id
>>> folder = Path(tempfile.mkdtemp())
>>> log = CoachingLog(folder / "store")
>>> entry = {"week": "2026-W46", "team": "North", "owner": "Ann", "kind": "skill",
...          "rule": "low_stage_conversion", "stage": "qualify"}
>>> log.record([{**entry, "item": item_id(entry)}])
1
>>> _ = (folder / "marks.csv").write_text(
...     "week,rep,item,status,note\\n2026-W46,Ann,S-b22106,已约定,from 1% to 10%\\n")
>>> mark_log(log, folder / "marks.csv")
1
>>> [(e["status"], e["note"]) for e in log.entries()]
[('agreed', 'from 1% to 10%')]
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from pipereview.coaching._log import STATUS_LABELS, STATUSES, CoachingLog
from pipereview.core._errors import FileSystemError, InputError, InvalidWeekError, Problem
from pipereview.core._weeks import Week
from pipereview.ingest._encoding import detect_encoding

__all__ = ["MARK_COLUMNS", "mark_log", "read_marks"]

#: The columns of a mark file (``note`` may be left out).
MARK_COLUMNS: tuple[str, ...] = ("week", "rep", "item", "status", "note")
_HEADERS = {"周": "week", "销售": "rep", "事项编号": "item", "状态": "status", "备注": "note"}
_STATUS_NAMES = {
    **{s: s for s in STATUSES},
    **{labels[lang].casefold(): s for s, labels in STATUS_LABELS.items() for lang in labels},
}
_HOW = "`pipereview coaching-log` lists the weeks, reps and item ids the log holds"


def read_marks(path: str | Path) -> list[dict[str, object]]:
    """The lines of a mark file as ``week``, ``rep``, ``item``, ``status``, ``note`` and
    ``row`` (the row as a spreadsheet shows it, the header being row 1); every line
    checked on its own (a week such as 2026-W47, a known status, an id and a rep given).
    Raises :class:`InputError` listing every problem."""
    marks, problems = _read(Path(path))
    if problems:
        raise _refused(Path(path), problems)
    return [{k: v for k, v in mark.items() if k != "ok"} for mark in marks]


def _read(path: Path) -> tuple[list[dict[str, object]], list[Problem]]:
    """The lines of a mark file (``ok``: the line is right on its own) and the problems
    of its lines; an :class:`InputError` for a file without a line or a column."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileSystemError.from_os_error(exc, action="read", path=path) from exc
    text = data.decode(detect_encoding(data, path))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = {
        name: _HEADERS.get(name.strip(), name.strip().casefold())
        for name in reader.fieldnames or []
    }
    missing = [c for c in MARK_COLUMNS[:4] if c not in columns.values()]
    if missing:
        raise InputError(
            f"{path}: no column {', '.join(map(repr, missing))} (columns found: "
            f"{', '.join(map(repr, columns)) or 'none'})",
            file=path,
            expected="a header row with the columns week, rep, item, status and note (optional)",
            hint="start the file with the line `week,rep,item,status,note`; "
            "`pipereview coaching-log --export FILE` writes one to edit",
        )
    marks, problems = [], []
    for raw in reader:
        row = reader.line_num  # the record's (last) line, as a spreadsheet numbers it
        line = {columns[k]: (v or "").strip() for k, v in raw.items() if k in columns}
        if not any(line.values()):
            continue
        found = _line_problems(path, row, line)
        problems += found
        status = _STATUS_NAMES.get(line.get("status", "").casefold(), "")
        marks.append(
            {**line, "status": status, "note": line.get("note"), "row": row, "ok": not found}
        )
    if not marks:
        raise InputError(
            f"{path} marks no item: it has a header and no line",
            file=path,
            expected="one line per item: week, rep, item id, status, note",
            hint=_HOW,
        )
    return marks, problems


def _line_problems(path: Path, row: int, line: dict[str, str]) -> list[Problem]:
    problems = []
    try:
        Week.parse(line.get("week", ""))
    except InvalidWeekError:
        problems.append(
            Problem(
                str(path),
                row,
                "week",
                "an ISO week such as 2026-W47",
                line.get("week", ""),
                "write the week of the 1:1 the item was proposed in",
            )
        )
    for column, what in (("rep", "the rep's name"), ("item", "the item's id")):
        if not line.get(column):
            problems.append(Problem(str(path), row, column, what, "", _HOW))
    if line.get("status", "").casefold() not in _STATUS_NAMES:
        problems.append(
            Problem(
                str(path),
                row,
                "status",
                "one of " + ", ".join(STATUSES) + " (or 待商定, 已约定, 已完成, 已放弃)",
                line.get("status", ""),
                "write agreed once the item is agreed in the 1:1, done or dropped after",
            )
        )
    return problems


def _refused(path: Path, problems: Sequence[Problem]) -> InputError:
    lines = "\n".join(f"  {p}" for p in problems)
    count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
    return InputError(
        f"{path}: nothing was marked, {count}:\n{lines}",
        file=path,
        row=problems[0].row,
        column=problems[0].column,
        hint="correct these lines and run again",
        problems=tuple(problems),
    )


def mark_log(log: CoachingLog, path: str | Path, *, team: str | None = None) -> int:
    """Mark ``log``'s items from the file ``path`` (:func:`read_marks`): each line's week
    must be in the log for its rep, its id one of that rep's items that week, and with
    ``team`` the item one of that team's (a file run for one team marks only its items).
    All lines are checked against the log under the store's lock before any is written;
    returns how many items changed."""
    path = Path(path)
    marks, problems = _read(path)
    with log.lock():
        entries = log.entries()
        by_key = {(e["week"], e["owner"], e["item"]): e for e in entries}
        weeks = {(e["owner"], e["week"]) for e in entries}
        changes: dict[tuple[str, str, str, str], dict[str, str]] = {}
        seen: dict[tuple[str, str, str], int] = {}
        for mark in (m for m in marks if m["ok"]):
            week, rep, item, row = (str(mark[k]) for k in ("week", "rep", "item", "row"))
            week = str(Week.parse(week))
            found = by_key.get((week, rep, item))
            if (rep, week) not in weeks:
                held = sorted(w for r, w in weeks if r == rep)
                problems.append(
                    Problem(
                        str(path),
                        int(row),
                        "week",
                        f"a 1:1 week the coaching log holds for {rep}: "
                        + (", ".join(held) if held else f"none ({rep} has no sheet in the log)"),
                        week,
                        f"write the sheets of {week} with `pipereview coach --week {week}` "
                        "first, or correct the week or the rep",
                    )
                )
            elif found is None:
                ids = sorted(e["item"] for e in entries if e["owner"] == rep and e["week"] == week)
                problems.append(
                    Problem(
                        str(path),
                        int(row),
                        "item",
                        f"one of the ids of {rep}'s items in {week}: {', '.join(ids)}",
                        item,
                        f'`pipereview coaching-log --week {week} --rep "{rep}"` lists them',
                    )
                )
            elif team is not None and found["team"] != team:
                problems.append(
                    Problem(
                        str(path),
                        int(row),
                        "item",
                        f"an item of team {team} (this run is for --team {team})",
                        f"{item} of team {found['team']}",
                        f"mark it in a run for --team {found['team']}, or remove the line",
                    )
                )
            elif (week, rep, item) in seen:
                problems.append(
                    Problem(
                        str(path),
                        int(row),
                        "item",
                        "each item marked once",
                        f"{item} marked again (row {seen[(week, rep, item)]})",
                        "keep one line per item",
                    )
                )
            else:
                seen[(week, rep, item)] = int(row)
                key = (week, str(found["team"]), rep, item)
                changes[key] = {"status": str(mark["status"])}
                if mark["note"] is not None:  # no note column: the notes are kept
                    changes[key]["note"] = str(mark["note"])
        if problems:
            raise _refused(path, sorted(problems, key=lambda p: p.row or 0))
        return log.update(changes)
