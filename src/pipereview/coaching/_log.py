"""The coaching log: what each 1:1 proposed and what became of it, kept in the store.

One JSON object a line in ``coaching-log.jsonl`` under the store's root, one per focus
item of a rep's sheet and 1:1 week (the fields: :data:`LOG_FIELDS`, in that order). An
item's id (:func:`item_id`) is stable from week to week: it is made of the team, the rep
and the deal (an opportunity item, ``O-`` and six hex digits) or the rule and its stage (a
skill item, ``S-``...). A sheet written records its focus items as ``proposed`` unless the
week already holds them (running a week twice changes nothing); the manager then marks
them ``agreed``, ``done`` or ``dropped`` (:mod:`pipereview.coaching._marks`).

Every write takes the store's lock (:meth:`pipereview.history._storefiles.StoreFiles.lock`),
reads the log afresh under it, and replaces the whole file through a temporary file
renamed when complete: no partial write is ever seen, and of two writers neither loses the
other's lines (the second starts from what the first wrote).

>>> import tempfile
>>> log = CoachingLog(tempfile.mkdtemp())
>>> entry = {"week": "2026-W46", "team": "North", "owner": "Ann", "kind": "skill",
...          "rule": "low_stage_conversion", "stage": "qualify"}
>>> entry["item"] = item_id(entry)
>>> entry["item"], log.record([entry]), log.record([entry])
('S-b22106', 1, 0)
>>> [(e["week"], e["item"], e["status"]) for e in log.entries()]
[('2026-W46', 'S-b22106', 'proposed')]
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipereview.coaching.titles import rule_title
from pipereview.core._errors import (
    FileSystemError,
    InputError,
    InvalidWeekError,
    PipereviewError,
)
from pipereview.core._files import atomic_write
from pipereview.core._stages import load_stage_model
from pipereview.core._weeks import Week
from pipereview.history._store import SnapshotStore
from pipereview.history._storefiles import StoreFiles

if TYPE_CHECKING:
    from pipereview.coaching.sheet import CoachingSheet

__all__ = [
    "LOG_FIELDS",
    "LOG_NAME",
    "PATTERN_METRIC",
    "STATUSES",
    "STATUS_LABELS",
    "CoachingLog",
    "StaleMarkError",
    "item_id",
    "sheet_entries",
]

#: The log's file under the store's root.
LOG_NAME = "coaching-log.jsonl"
#: The figure a pattern item (one rule on several of the rep's deals) records: how many
#: of the rep's deals the rule flagged.
PATTERN_METRIC = "deals_flagged"
#: What became of an item, in the order of a 1:1: proposed on the sheet, agreed in the
#: 1:1, then done or dropped.
STATUSES: tuple[str, ...] = ("proposed", "agreed", "done", "dropped")
#: Each status as the sheets and the listing name it.
STATUS_LABELS: dict[str, dict[str, str]] = {
    "proposed": {"en": "Proposed", "zh": "待商定"},
    "agreed": {"en": "Agreed", "zh": "已约定"},
    "done": {"en": "Done", "zh": "已完成"},
    "dropped": {"en": "Dropped", "zh": "已放弃"},
}
#: The fields of a log line, in order: the 1:1 week, team and rep; the item's id, kind
#: (opportunity / skill), place on the sheet (``rank``), first rule, subject (the deal's
#: name, or the rule's title and stage) and deal (``deal_key``, ``deal_id``); the stage and the
#: measured figure when proposed (``metric``, ``value``, ``reference``; a pattern item
#: records :data:`PATTERN_METRIC`, no stage); the target agreed (``target``, in the
#: sheet's ``lang``: the action and the measurable target) and its date (``due``);
#: ``status`` and ``note``.
LOG_FIELDS: tuple[str, ...] = (
    "week",
    "team",
    "owner",
    "item",
    "kind",
    "rank",
    "rule",
    "subject",
    "deal_key",
    "deal_id",
    "stage_model",
    "stage",
    "metric",
    "value",
    "reference",
    "target",
    "due",
    "lang",
    "status",
    "note",
)
_NUMBERS = ("value", "reference")


def item_id(entry: Mapping[str, Any]) -> str:
    """The stable id of an item: ``O-`` and six hex digits of its team, rep and deal for an
    opportunity item, ``S-`` and those of its team, rep, rule and stage for a skill item.

    >>> item_id({"team": "North", "owner": "Ann", "kind": "opportunity", "deal_key": "id:42"})
    'O-b40fec'
    """
    if entry.get("kind") == "opportunity":
        parts = ["deal", str(entry.get("deal_key", ""))]
    else:
        parts = ["skill", str(entry.get("rule", "")), str(entry.get("stage") or "")]
    text = "\x1f".join([str(entry.get("team", "")), str(entry.get("owner", "")), *parts])
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:6]
    return f"{'O' if parts[0] == 'deal' else 'S'}-{digest}"


def _skill_subject(finding: Mapping[str, Any], lang: str) -> str:
    """A skill item's subject: its rule's title, and the stage it is about when it has one
    ("Deals slow to move on at a stage: Needs confirmed")."""
    title = rule_title(str(finding.get("rule", "")), lang)
    stage = str(finding.get("stage") or "")
    if not stage:
        return title
    try:
        label = load_stage_model(str(finding.get("stage_model"))).stage(stage).label_in(lang)
    except PipereviewError:  # a model or stage no longer known: its key
        label = stage
    return f"{title}{'：' if lang == 'zh' else ': '}{label}"


def sheet_entries(sheet: CoachingSheet) -> list[dict[str, Any]]:
    """The log lines of a sheet's focus items (its ranked list, not the appendix), each
    ``proposed``: the target is the first finding's agreed action, due on its evidence's
    ``by`` date or the sheet's follow-up."""
    out = []
    for rank, item in enumerate(sheet.ranked, start=1):
        first = item["findings"][0]
        evidence = first.get("evidence") if isinstance(first.get("evidence"), dict) else {}
        texts = item.get("pattern") or first
        target = " ".join(str(texts.get(k) or "") for k in ("action", "target")).strip()
        entry = {
            "week": sheet.as_of,
            "team": sheet.team,
            "owner": sheet.owner,
            "kind": item["kind"],
            "rank": rank,
            "rule": first.get("rule", ""),
            "subject": item.get("deal_name")
            if item["kind"] == "opportunity"
            else _skill_subject(first, sheet.lang),
            "deal_key": item.get("deal_key", ""),
            "deal_id": item.get("deal_id", ""),
            "stage_model": first.get("stage_model", ""),
            "stage": first.get("stage", ""),
            "metric": first.get("metric", ""),
            "value": first.get("value"),
            "reference": first.get("reference"),
            "target": target,
            "due": (evidence or {}).get("by") or sheet.follow_up.isoformat(),
            "lang": sheet.lang,
            "status": "proposed",
        }
        if item.get("pattern"):  # one rule across several deals: the count of its deals
            entry |= dict.fromkeys(("stage", "stage_model"), "") | {
                "reference": None,
                "subject": rule_title(str(first.get("rule", "")), sheet.lang),
                "metric": PATTERN_METRIC,
                "value": len(item["deals"]),
                "due": sheet.follow_up.isoformat(),
            }
        out.append({**entry, "item": item_id(entry)})
    return out


def _clean(entry: Mapping[str, Any]) -> dict[str, Any]:
    """``entry`` with every field of :data:`LOG_FIELDS` in order (text, numbers or null)."""
    out: dict[str, Any] = {}
    for field in LOG_FIELDS:
        value = entry.get(field)
        if field in _NUMBERS or field == "rank":
            try:
                number = float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                number = math.nan
            value = None if math.isnan(number) else (int(number) if field == "rank" else number)
        else:
            value = "" if value is None or value != value else str(value)
        out[field] = value
    out["status"] = out["status"] or "proposed"
    return out


def _parsed(line: str) -> tuple[dict[str, Any], str]:
    """A log line as a mapping, and what is wrong with it ("" when nothing)."""
    try:
        entry = json.loads(line)
    except json.JSONDecodeError as exc:
        return {}, f"not JSON: {exc.msg}"
    if not isinstance(entry, dict):
        return {}, "not a JSON object"
    try:
        Week.parse(str(entry.get("week", "")))
    except InvalidWeekError:
        return {}, f"week {entry.get('week')!r} is not an ISO week"
    if entry.get("status") not in STATUSES:
        return {}, f"status {entry.get('status')!r} is not one of {', '.join(STATUSES)}"
    if not entry.get("item") or not entry.get("owner"):
        return {}, "no item id or no rep"
    return entry, ""


class StaleMarkError(InputError):
    """An item was marked by another writer (another page, a mark file) after the
    manager's page had read it; its ``item`` attribute names it."""

    def __init__(self, message: str, *, item: str, **details: Any) -> None:
        super().__init__(message, **details)
        self.item = item


def _check_unchanged(
    current: list[dict[str, Any]],
    shown: Mapping[tuple[str, str, str, str], Mapping[str, str]],
    path: Path,
) -> None:
    """Raise :class:`StaleMarkError` for the first item whose status or note in
    ``current`` is no longer what ``shown`` says the manager saw."""
    by_key = {_key(e): e for e in current}
    for key in sorted(shown):
        entry = by_key.get(key, {})
        if any(str(entry.get(f, "")) != str(v) for f, v in shown[key].items()):
            week, team, owner, item = key
            raise StaleMarkError(
                f"{path}: item {item} of {owner} ({team}) in week {week} was marked "
                f"{entry.get('status', 'removed')!r} after it was shown",
                item=item,
                hint="reload the items and mark them again",
            )


def _key(entry: Mapping[str, Any]) -> tuple[str, str, str, str]:
    return (str(entry["week"]), str(entry["team"]), str(entry["owner"]), str(entry["item"]))


class CoachingLog:
    """The coaching log of the store under ``store`` (a folder, or a store object whose
    lock it shares)."""

    def __init__(self, store: str | Path | StoreFiles | None = None) -> None:
        self.files = store if isinstance(store, StoreFiles) else SnapshotStore(store)
        self.path = self.files.root / LOG_NAME
        self._cache: tuple[tuple[int, int, int], list[dict[str, Any]]] | None = None

    def __repr__(self) -> str:
        return f"CoachingLog({str(self.path)!r})"

    def entries(
        self,
        *,
        team: str | None = None,
        owner: str | None = None,
        week: str | None = None,
    ) -> list[dict[str, Any]]:
        """The log's items, by week, team, rep and place on the sheet; only ``team``'s,
        ``owner``'s or ``week``'s when given."""
        return [
            e
            for e in self._read()
            if (team is None or e["team"] == team)
            and (owner is None or e["owner"] == owner)
            and (week is None or e["week"] == week)
        ]

    def weeks(self, *, team: str | None = None, owner: str | None = None) -> list[str]:
        """The 1:1 weeks the log holds (for ``team`` / ``owner``), oldest first."""
        return sorted({e["week"] for e in self.entries(team=team, owner=owner)})

    def previous(self, team: str, owner: str, week: str | Week) -> tuple[str, list[dict[str, Any]]]:
        """The rep's latest 1:1 week before ``week`` and its items (``("", [])`` when the
        log holds none)."""
        before = [w for w in self.weeks(team=team, owner=owner) if w < str(week)]
        if not before:
            return "", []
        return before[-1], self.entries(team=team, owner=owner, week=before[-1])

    def record(self, entries: Iterable[Mapping[str, Any]]) -> int:
        """Add ``entries`` (as ``proposed`` unless they say otherwise) that the log does
        not hold yet for their week, team and rep; returns how many were added."""
        fresh = [_clean(e) for e in entries]
        with self.lock():
            current = self._read()
            known = {_key(e) for e in current}
            added = []
            for entry in fresh:
                if _key(entry) not in known:
                    known.add(_key(entry))
                    added.append(entry)
            if added:
                self._write([*current, *added])
        return len(added)

    def update(
        self,
        changes: Mapping[tuple[str, str, str, str], Mapping[str, str]],
        *,
        shown: Mapping[tuple[str, str, str, str], Mapping[str, str]] | None = None,
    ) -> int:
        """Set the ``status`` and ``note`` of the items keyed ``(week, team, rep, item)``,
        under the lock; a key the log does not hold is an :class:`InputError`. With
        ``shown`` (the status and note each item had where the manager marked it), an item
        marked meanwhile by another writer is a :class:`StaleMarkError` and nothing is
        written. Returns how many lines changed."""
        with self.lock():
            current = self._read()
            _check_unchanged(current, shown or {}, self.path)
            missing = set(changes) - {_key(e) for e in current}
            if missing:
                week, team, owner, item = sorted(missing)[0]
                raise InputError(
                    f"{self.path} holds no item {item} of {owner} ({team}) in week {week}",
                    hint="list the items with `pipereview coaching-log` and use one of its ids",
                )
            changed = 0
            for entry in current:
                change = changes.get(_key(entry))
                if change is None:
                    continue
                new = {**entry, **{k: str(v) for k, v in change.items() if k in ("status", "note")}}
                changed += new != entry
                entry.update(new)
            if changed:
                self._write(current)
        return changed

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the store's lock; what is read under it is read afresh from the file."""
        with self.files.lock():
            self._cache = None
            yield

    def _read(self) -> list[dict[str, Any]]:
        """The log's lines, parsed once per version of the file (copies: a caller may
        change them)."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise FileSystemError.from_os_error(exc, action="read", path=self.path) from exc
        key = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, self._parse())
        return [dict(entry) for entry in self._cache[1]]

    def _parse(self) -> list[dict[str, Any]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise FileSystemError.from_os_error(exc, action="read", path=self.path) from exc
        out = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            entry, problem = _parsed(line)
            if problem:
                raise InputError(
                    f"{self.path}, line {number}: not a coaching log line ({problem})",
                    expected="a JSON object with the fields of docs/coaching.md, 'The coaching log'",
                    hint="restore the line (or remove it) with a text editor; the log is "
                    "only ever written whole, so a damaged line was edited by hand",
                )
            out.append(_clean(entry))
        return sorted(out, key=lambda e: (*_key(e)[:3], e["rank"] or 0, e["item"]))

    def _write(self, entries: list[dict[str, Any]]) -> None:
        ordered = sorted(entries, key=lambda e: (*_key(e)[:3], e["rank"] or 0, e["item"]))
        lines = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in ordered)
        try:
            with atomic_write(self.path, "w", encoding="utf-8", within=self.files.root) as handle:
                handle.write(lines)
        except PipereviewError:
            raise
        except OSError as exc:
            raise FileSystemError.from_os_error(exc, action="write", path=self.path) from exc
