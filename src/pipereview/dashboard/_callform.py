"""The forecast tab's form: a forecast call entered for the selected team and week (a
rep's, or the manager's call for the team: commit, best case, optional pipeline),
read by the calls file's rules (:func:`~pipereview.ingest._callentry.entered_call`) and
stored through the store's own entry
(:func:`~pipereview.history._callstore.enter_forecast_call`), replacing only that
caller's call of the week. A refused entry is said in the form with its fix.

>>> import tempfile
>>> entry = CallEntry(tempfile.mkdtemp(), locked_team="North")
>>> entry.unavailable("North", "en"), entry.replaces("North", "2026-W47", "Ann", "en")
('', '')
>>> entry.unavailable("West", "en")
'This dashboard is locked to North: it takes calls for North only.'
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipereview.core._errors import AccessError, InputError, PipereviewError
from pipereview.core._languages import check_language
from pipereview.dashboard.view import View

if TYPE_CHECKING:
    from pipereview.dashboard.data import DashboardData

__all__ = ["CallEntry", "CallsPanel"]

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("Enter a forecast call for {team}, {week}", "为 {team} 录入 {week} 的预测"),
    "who": ("Rep", "销售"),
    "team_line": ("{team} (manager's adjustment)", "{team}（经理调整）"),
    "commit": ("Commit", "承诺"),
    "best_case": ("Best case", "最佳情况"),
    "pipeline": ("Pipeline (optional)", "管道（可选）"),
    "submit": ("Submit", "提交"),
    "off": (
        "Entering calls needs the store: start the dashboard with pipereview serve --store DIR.",
        "录入预测需要数据存储：请用 pipereview serve --store 目录 启动看板。",
    ),
    "read_only": (
        "The store {store} cannot be written by this server: enter calls where it can be, "
        "or store a calls file with pipereview calls.",
        "本服务器无法写入数据存储 {store}：请在可写处录入，或用 pipereview calls 存储预测文件。",
    ),
    "locked": (
        "This dashboard is locked to {team}: it takes calls for {team} only.",
        "本看板仅限 {team}：只能录入 {team} 的预测。",
    ),
    "new": ("No call of {who} is stored for {week} yet.", "{who} 尚无 {week} 的预测。"),
    "replaces_entered": (
        "Submitting replaces the call entered on {when} (commit {commit}).",
        "提交将替换 {when} 录入的预测（承诺 {commit}）。",
    ),
    "replaces_file": (
        "Submitting replaces the call stored from {file} (commit {commit}).",
        "提交将替换来自 {file} 的预测（承诺 {commit}）。",
    ),
    "stored": (
        "Stored: the call of {who} for {week}, commit {commit}.",
        "已存储：{who} 的 {week} 预测，承诺 {commit}。",
    ),
    "refused": ("Not stored: {reason}", "未存储：{reason}"),
    "fix": ("Fix: {hint}", "修改：{hint}"),
}


def _t(key: str, lang: str, **values: object) -> str:
    return _TEXT[key][lang == "zh"].format(**values)


class CallEntry:
    """Entering forecast calls into the store ``store`` (None: the page was started
    without one and takes none); ``locked_team``: the only team a locked dashboard
    takes calls for."""

    def __init__(self, store: str | Path | None, *, locked_team: str | None = None) -> None:
        self.store = Path(store) if store is not None else None
        self.locked_team = locked_team

    def unavailable(self, team: str, lang: str) -> str:
        """Why the form takes no call for ``team`` (``""``: it does), in ``lang``."""
        check_language(lang)
        if self.store is None:
            return _t("off", lang)
        if self.locked_team is not None and team != self.locked_team:
            return _t("locked", lang, team=self.locked_team)
        writable = self.store if self.store.exists() else self.store.parent
        if not os.access(writable, os.W_OK):
            return _t("read_only", lang, store=self.store)
        return ""

    def replaces(self, team: str, week: str, rep: str, lang: str) -> str:
        """What submitting a call of ``rep`` (``""``: the manager's) for ``week`` replaces
        (``""``: nothing is stored for them yet, or no store), in ``lang``."""
        check_language(lang)
        from pipereview.history._callstore import stored_call
        from pipereview.ingest._callentry import ENTERED

        if self.store is None or not self.store.exists():
            return ""
        call = stored_call(self.store, week, team, rep)
        if call is None:
            return ""
        commit = f"{call['commit']:,.0f}"
        if call["source_file"] == ENTERED and pd.notna(call["submitted"]):
            when = pd.Timestamp(call["submitted"]).strftime("%Y-%m-%d %H:%M")
            return _t("replaces_entered", lang, when=when, commit=commit)
        return _t("replaces_file", lang, file=Path(str(call["source_file"])).name, commit=commit)

    def enter(
        self,
        team: str,
        week: str,
        rep: str,
        amounts: tuple[str, str, str],
        *,
        reps: Sequence[str],
        currency: str | None = None,
        entered: datetime | str | None = None,
    ) -> pd.DataFrame:
        """Store the call of ``rep`` (``""``: the manager's call for ``team``) for ``week``
        (``amounts``: commit, best case, pipeline as written); return the stored row.
        Refused (:class:`InputError`, :class:`AccessError`) when the form is unavailable,
        the rep is not one of ``reps`` or an amount breaks the calls file's rules."""
        from pipereview.history._callstore import enter_forecast_call
        from pipereview.ingest._callentry import entered_call

        why = self.unavailable(team, "en")
        if why:
            error = AccessError if self.store is not None else InputError
            raise error(why, hint="open the dashboard of a writable store for that team")
        assert self.store is not None
        export = entered_call(
            team, rep, *amounts, week=week, reps=reps, currency=currency, entered=entered
        )
        enter_forecast_call(self.store, export)
        return export.frame


class CallsPanel:
    """The form in ``box`` (an ipywidgets VBox) over ``entry``: the caller, commit, best
    case and pipeline, a submit button and what happened. ``guard`` wraps every handler
    and widget message; once a call is stored, the team's views are forgotten
    (:meth:`DashboardData.forget`) and ``redraw()`` is called."""

    def __init__(
        self, box: Any, entry: CallEntry, guard: Callable[[Any], Any], redraw: Callable[[], None]
    ) -> None:
        self.box, self.entry, self.guard, self.redraw = box, entry, guard, redraw
        self.shown: View | None = None
        self.data: DashboardData | None = None
        self.reps: list[str] = []
        self.currency: str | None = None
        self.fields: dict[str, Any] = {}

    def draw(self, data: DashboardData, view: View) -> None:
        """Show the form for ``view``'s team and week (rebuilt only when they or the
        language changed; the team's reps and currency from ``data``), the caller set to
        the view's rep."""
        import ipywidgets as w

        key = View(view.team, view.week, lang=view.lang)
        if key == self.shown:
            return
        for widget in self.box.children:
            widget.close()
        currencies = data.review(view).latest["currency"].dropna().unique()
        self.currency = str(currencies[0]) if len(currencies) == 1 else None
        self.shown, self.data, self.reps, lang = key, data, data.reps(view), view.lang
        title = _t("title", lang, team=view.team, week=view.week)
        lines = [self._tagged(w.HTML(f"<h4>{html.escape(title)}</h4>"), "calls-head")]
        why = self.entry.unavailable(view.team, lang)
        if why:
            lines.append(self._said(why, "calls-off"))
            self.fields, self.box.children = {}, lines
            return
        team_line = (_t("team_line", lang, team=view.team), "")
        who = w.Dropdown(
            options=[*((r, r) for r in self.reps), team_line],
            value=view.rep if view.rep in self.reps else "",
            description=_t("who", lang),
        )
        amounts = {
            k: w.Text(description=_t(k, lang), continuous_update=False)
            for k in ("commit", "best_case", "pipeline")
        }
        submit = w.Button(description=_t("submit", lang))
        self.fields = {"who": who, **amounts, "submit": submit, "note": w.HTML()}
        self.fields["said"] = w.HTML()
        for name, widget in self.fields.items():
            self._tagged(widget, f"calls-{name.replace('_', '-')}")
        who.observe(self.guard(lambda _change: self._note()), "value")
        submit.on_click(self.guard(lambda _button: self.submit()))
        self._note()
        self.box.children = [*lines, *self.fields.values()]

    def submit(self, *, entered: datetime | str | None = None) -> bool:
        """Store the call the form holds; say what happened in the form (the reason and
        the fix when refused). True when stored."""
        view, fields = self.shown, self.fields
        if view is None or not fields:
            return False
        rep = str(fields["who"].value or "")
        amounts = (fields["commit"].value, fields["best_case"].value, fields["pipeline"].value)
        try:
            frame = self.entry.enter(
                view.team,
                view.week,
                rep,
                amounts,
                reps=self.reps,
                currency=self.currency,
                entered=entered,
            )
        except (PipereviewError, OSError) as error:  # an AccessError is an OSError too
            reason = _t("refused", view.lang, reason=getattr(error, "message", str(error)))
            fix = getattr(error, "hint", "")
            hint = _t("fix", view.lang, hint=fix) if fix else ""
            fields["said"].value = self._html(reason, hint, css="pr-calls-refused")
            return False
        who = rep or _t("team_line", view.lang, team=view.team)
        commit = f"{frame['commit'].iloc[0]:,.0f}"
        said = _t("stored", view.lang, who=who, week=view.week, commit=commit)
        fields["said"].value = self._html(said, css="pr-calls-stored")
        self._note()
        if self.data is not None:
            self.data.forget(view.team)
        self.redraw()
        return True

    def _note(self) -> None:
        """Say what a submit would replace for the chosen caller."""
        view = self.shown
        if view is None or not self.fields:
            return
        rep = str(self.fields["who"].value or "")
        note = self.entry.replaces(view.team, view.week, rep, view.lang)
        who = rep or _t("team_line", view.lang, team=view.team)
        note = note or _t("new", view.lang, who=who, week=view.week)
        self.fields["note"].value = self._html(note, css="pr-calls-replaces")

    @staticmethod
    def _html(*lines: str, css: str) -> str:
        return "".join(f"<p class='{css}'>{html.escape(line)}</p>" for line in lines if line)

    def _said(self, line: str, name: str) -> Any:
        import ipywidgets as w

        return self._tagged(w.HTML(self._html(line, css=f"pr-{name}")), name)

    def _tagged(self, widget: Any, name: str) -> Any:
        """``widget`` with the CSS class ``pr-<name>``, refusing a crafted message."""
        from pipereview.dashboard.widgets import guarded

        return guarded(widget, name, self.guard)
