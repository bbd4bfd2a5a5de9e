"""Marking the coaching log from the dashboard: on the coaching tab, with a rep chosen,
the items of the rep's last 1:1 (the latest week the log holds up to the week shown),
each with its status (proposed, agreed, done, dropped) and a note, saved together.

What a page may mark is decided here, never by the page: the items are read from the log
for the selection the kernel holds, a locked dashboard marks only its own team's items
(:class:`LogMarks` refuses any other team with an
:class:`~pipereview.core.AccessError`), and a save writes only the items whose mark the
manager changed, through the store's lock, refusing the whole save when one of them was
marked meanwhile by another page or a mark file
(:class:`~pipereview.coaching._log.StaleMarkError`): of two managers marking the same item,
neither overwrites the other unseen.

>>> import tempfile
>>> from pipereview.coaching._log import CoachingLog, item_id
>>> store = tempfile.mkdtemp()
>>> entry = {"week": "2026-W46", "team": "North", "owner": "Ann", "kind": "skill",
...          "rule": "low_stage_conversion", "stage": "qualify"}
>>> CoachingLog(store).record([{**entry, "item": item_id(entry)}])
1
>>> marks = LogMarks(store, locked_team="North")
>>> week, items = marks.items("North", "Ann", "2026-W47")
>>> week, [(i["item"], i["status"]) for i in items]
('2026-W46', [('S-b22106', 'proposed')])
>>> marks.mark("North", "Ann", week, {"S-b22106": ("agreed", " from 1% to  10% ")}, items)
1
>>> [(e["status"], e["note"]) for e in CoachingLog(store).entries()]
[('agreed', 'from 1% to 10%')]
>>> marks.mark("South", "Bo", week, {"S-b22106": ("done", "")}, items)
Traceback (most recent call last):
...
pipereview.core._errors.AccessError: this dashboard is locked to North: it marks no item of South
Hint: open the dashboard of that team
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pipereview.coaching._log import STATUS_LABELS, STATUSES, CoachingLog, StaleMarkError
from pipereview.core._errors import AccessError, InputError
from pipereview.dashboard._text import text
from pipereview.dashboard.view import View

__all__ = ["NOTE_LIMIT", "LogMarks", "MarksPanel"]

#: The longest note a page may save on an item, in characters.
NOTE_LIMIT = 200


class LogMarks:
    """The coaching log of the store ``store`` as a dashboard marks it (None: the page
    was started without a store and marks nothing); ``locked_team``: the only team a
    locked dashboard may mark."""

    def __init__(self, store: str | Path | None, *, locked_team: str | None = None) -> None:
        self.log = CoachingLog(store) if store is not None else None
        self.locked_team = locked_team

    def _check_team(self, team: str) -> None:
        if self.locked_team is not None and team != self.locked_team:
            raise AccessError(
                f"this dashboard is locked to {self.locked_team}: it marks no item of {team}",
                hint="open the dashboard of that team",
            )

    def items(self, team: str, rep: str, week: str) -> tuple[str, list[dict[str, Any]]]:
        """The rep's last 1:1 week up to ``week`` the log holds, and its items (``("",
        [])`` when it holds none, or without a log or a rep)."""
        self._check_team(team)
        if self.log is None or not rep:
            return "", []
        weeks = [w for w in self.log.weeks(team=team, owner=rep) if w <= week]
        if not weeks:
            return "", []
        return weeks[-1], self.log.entries(team=team, owner=rep, week=weeks[-1])

    def mark(
        self,
        team: str,
        rep: str,
        week: str,
        marks: Mapping[str, tuple[str, str]],
        shown: Sequence[Mapping[str, Any]],
    ) -> int:
        """Save ``marks`` (item id: status, note) on the rep's items of the 1:1 ``week``
        whose mark differs from ``shown`` (the items as the page showed them); notes are
        kept on one line. Returns how many items changed; an unknown item or status, a
        note over :data:`NOTE_LIMIT` characters, another team on a locked dashboard or an
        item marked meanwhile (:class:`~pipereview.coaching._log.StaleMarkError`) is
        refused and nothing is written."""
        self._check_team(team)
        if self.log is None:
            raise InputError(
                "this dashboard was started without a store: it has no coaching log to mark",
                hint="start it with pipereview serve --store DIR",
            )
        before = {str(i["item"]): (str(i["status"]), str(i["note"])) for i in shown}
        changes: dict[tuple[str, str, str, str], dict[str, str]] = {}
        seen: dict[tuple[str, str, str, str], dict[str, str]] = {}
        for item, (status, note) in marks.items():
            if item not in before:
                raise InputError(
                    f"no item {item} of {rep} was shown for week {week}",
                    hint="mark the items the page lists",
                )
            if status not in STATUSES:
                raise InputError(
                    f"unknown status {status!r} for item {item}",
                    expected=", ".join(STATUSES),
                    hint="choose a status the selector offers",
                )
            note = " ".join(str(note).split())
            if len(note) > NOTE_LIMIT:
                raise InputError(
                    f"the note on item {item} has {len(note)} characters",
                    expected=f"at most {NOTE_LIMIT}",
                    hint="shorten the note",
                )
            if (status, note) != before[item]:
                key = (week, team, rep, item)
                changes[key] = {"status": status, "note": note}
                seen[key] = {"status": before[item][0], "note": before[item][1]}
        return self.log.update(changes, shown=seen) if changes else 0


class MarksPanel:
    """The coaching tab's marking panel in ``box`` (an ipywidgets VBox) over ``marks``:
    a row per item (its place, subject and target; a status selector; a note) and a save
    button. ``guard`` wraps every handler and widget message (the dashboard's refusal of
    a crafted message)."""

    def __init__(self, box: Any, marks: LogMarks, guard: Callable[[Any], Any]) -> None:
        self.box = box
        self.marks = marks
        self.guard = guard
        self.shown: tuple[View | None, str, list[dict[str, Any]]] = (None, "", [])
        self.rows: dict[str, tuple[Any, Any]] = {}

    def draw(self, view: View, *, message: str = "", force: bool = False) -> None:
        """Show the items of ``view``'s rep (rebuilt only when the selection changed,
        or with ``force``), with ``message`` under the save button."""
        import ipywidgets as w

        key = View(view.team, view.week, rep=view.rep, lang=view.lang)
        if key == self.shown[0] and not force:
            return
        for widget in self.box.children:
            widget.close()
        week, items = self.marks.items(view.team, view.rep, view.week)
        self.shown, self.rows = (key, week, items), {}
        lines = [self._html(self._heading(view, week))]
        if items:
            lines.extend(self._row(item, view.lang) for item in items)
            save = self._tagged(w.Button(description=text("log_save", view.lang)), "log-save")
            save.on_click(self.guard(lambda _button: self.save()))
            lines += [save, self._html(message, "log-message")]
        self.box.children = lines

    def _heading(self, view: View, week: str) -> str:
        if not view.rep:
            return f"<p class='pr-log-hint'>{html.escape(text('log_pick_rep', view.lang))}</p>"
        if self.marks.log is None:
            return f"<p class='pr-log-hint'>{html.escape(text('log_off', view.lang))}</p>"
        if not week:
            none = text("log_none", view.lang, rep=view.rep, week=view.week)
            return f"<p class='pr-log-hint'>{html.escape(none)}</p>"
        return f"<h4>{html.escape(text('log_title', view.lang, week=week))}</h4>"

    def _row(self, item: Mapping[str, Any], lang: str) -> Any:
        import ipywidgets as w

        due = item["due"] and item["due"] not in item["target"]  # said once, as on the sheet
        due = f" ({text('log_due', lang, due=item['due'])})" if due else ""
        plan = f" — {item['target']}" if item["target"] else ""
        label = f"{item['rank'] or ''}. {item['subject']}{plan}{due}".lstrip(". ")
        options = [(STATUS_LABELS[s][lang], s) for s in STATUSES]
        status = w.Dropdown(options=options, value=item["status"], layout=w.Layout(width="120px"))
        note = w.Text(
            value=item["note"],
            placeholder=text("log_note", lang),
            continuous_update=False,
            layout=w.Layout(width="260px"),
        )
        self.rows[str(item["item"])] = (status, note)
        cell = w.HTML(html.escape(label), layout=w.Layout(width="55%"))
        return self._tagged(w.HBox([cell, status, note]), "log-item")

    def _html(self, value: str, name: str = "log-head") -> Any:
        import ipywidgets as w

        return self._tagged(w.HTML(value), name)

    def _tagged(self, widget: Any, name: str) -> Any:
        """``widget`` with the CSS class ``pr-<name>``, refusing a crafted message."""
        from pipereview.dashboard.widgets import guarded

        return guarded(widget, name, self.guard)

    def save(self) -> int:
        """Save the marks the page shows; redraw from the log with what happened."""
        view, week, items = self.shown
        if view is None or not items:
            return 0
        marks = {item: (status.value, note.value) for item, (status, note) in self.rows.items()}
        long = [
            item for item, (_, note) in marks.items() if len(" ".join(note.split())) > NOTE_LIMIT
        ]
        if long:
            said = self._message("log_long", view.lang, item=long[0], n=NOTE_LIMIT)
            self.draw(view, message=said, force=True)
            return 0
        try:
            saved = self.marks.mark(view.team, view.rep, week, marks, items)
        except StaleMarkError as exc:
            self.draw(
                view, message=self._message("log_stale", view.lang, item=exc.item), force=True
            )
            return 0
        key = "log_saved" if saved else "log_unchanged"
        self.draw(view, message=self._message(key, view.lang, n=saved), force=True)
        return saved

    @staticmethod
    def _message(key: str, lang: str, **values: object) -> str:
        return f"<p class='pr-log-said'>{html.escape(text(key, lang, **values))}</p>"
