"""What the dashboard shows: a :class:`View`, one immutable value per selection."""

from __future__ import annotations

from dataclasses import dataclass

from pipereview.core._languages import check_language

__all__ = ["View"]


@dataclass(frozen=True)
class View:
    """One selection of the dashboard: the ``team`` and its ``week`` (``""``: no stored
    week), the ``rep`` (``""``: all reps), the language, the kind of change the Changes
    tab shows (``category``, ``""``: all) and the column the Deals at risk tab is sorted by
    (``sort``). A view is never changed: a new selection is a new view
    (:func:`dataclasses.replace`), and each tab's HTML is a function of the loaded data
    and a view (:func:`~pipereview.dashboard.tabs.render`).

    >>> from dataclasses import replace
    >>> first = View("North", "2026-W47")
    >>> replace(first, rep="Ann", lang="zh")
    View(team='North', week='2026-W47', rep='Ann', lang='zh', category='', sort='amount')
    >>> first.rep == ""
    True
    >>> replace(first, lang="fr")
    Traceback (most recent call last):
    ...
    pipereview.core._errors.ConfigError: unknown language 'fr'; choose one of en, zh
    Hint: pass lang='en' or lang='zh' (--lang en|zh on the command line, lang: en|zh in a configuration file)
    """

    team: str
    week: str
    rep: str = ""
    lang: str = "en"
    category: str = ""
    sort: str = "amount"

    def __post_init__(self) -> None:
        check_language(self.lang)

    def key(self, tab: str) -> tuple[str, ...]:
        """What a tab's HTML depends on: the team, week, rep, language and ``tab``, and the
        filter of the changes tab or the sort of the deals at risk tab (the key under
        which a drawn tab is kept).

        >>> View("North", "2026-W47", category="new").key("changes")
        ('North', '2026-W47', '', 'en', 'changes', 'new', '')
        >>> View("North", "2026-W47", category="new").key("overview")
        ('North', '2026-W47', '', 'en', 'overview', '', '')
        """
        return (self.team, self.week, self.rep, self.lang, tab,
                self.category if tab == "changes" else "", self.sort if tab == "risks" else "")
