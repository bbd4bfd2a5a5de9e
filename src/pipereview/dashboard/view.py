"""What the dashboard shows: a :class:`View`, one immutable value per selection."""

from __future__ import annotations

from dataclasses import dataclass, replace

from pipereview.core._languages import check_language

__all__ = ["Selection", "View"]


@dataclass(frozen=True)
class View:
    """One selection of the dashboard: the ``team`` and its ``week`` (``""``: no stored
    week), the ``rep`` (``""``: all reps), the language, the kind of change the Changes
    tab shows (``category``, ``""``: all) and the column its deals are sorted by
    (``order``), the column the Deals at risk tab is sorted by (``sort``), the text the
    changes and deals at risk tables are searched for (``search``: a deal, account, rep or
    deal ID containing it) and the stage whose open deals the Funnel tab lists (``stage``,
    ``""``: none). A view is never changed: a new selection is a new view
    (:func:`dataclasses.replace`), and each tab's HTML is a function of the loaded data
    and a view (:func:`~pipereview.dashboard.tabs.render`).

    >>> from dataclasses import replace
    >>> first = View("North", "2026-W47")
    >>> replace(first, rep="Ann", lang="zh")
    View(team='North', week='2026-W47', rep='Ann', lang='zh', category='', sort='amount', search='', order='category', stage='')
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
    search: str = ""
    order: str = "category"
    stage: str = ""

    def __post_init__(self) -> None:
        check_language(self.lang)

    def key(self, tab: str) -> tuple[str, ...]:
        """What a tab's HTML depends on: the team, week, rep, language and ``tab``, and the
        filter and order of the changes tab, the search of the changes and deals at risk
        tabs, the sort of the deals at risk tab or the stage the funnel tab lists (the key
        under which a drawn tab is kept).

        >>> View("North", "2026-W47", category="new", search="acme").key("changes")
        ('North', '2026-W47', '', 'en', 'changes', 'new', 'acme', 'category')
        >>> View("North", "2026-W47", category="new", stage="proposal").key("funnel")
        ('North', '2026-W47', '', 'en', 'funnel', '', '', 'proposal')
        >>> View("North", "2026-W47", category="new").key("overview")
        ('North', '2026-W47', '', 'en', 'overview', '', '', '')
        """
        return (
            self.team,
            self.week,
            self.rep,
            self.lang,
            tab,
            self.category if tab == "changes" else "",
            self.search if tab in ("changes", "risks") else "",
            {"risks": self.sort, "changes": self.order, "funnel": self.stage}.get(tab, ""),
        )


class Selection:
    """The parts of the selection, read from the ``view`` of a class that holds one (the
    dashboard, its state, a tab's context); setting ``category`` or ``sort`` replaces the
    view (a frozen holder refuses).

    >>> class Page(Selection):
    ...     def __init__(self) -> None:
    ...         self.view = View("North", "2026-W47")
    >>> page = Page()
    >>> page.sort = "close_date"
    >>> page.team, page.sort, page.view.sort
    ('North', 'close_date', 'close_date')
    """

    view: View

    @property
    def team(self) -> str:
        """The selected team."""
        return self.view.team

    @property
    def week(self) -> str:
        """The selected week (``""``: no stored week)."""
        return self.view.week

    @property
    def rep(self) -> str:
        """The selected rep (``""``: all reps)."""
        return self.view.rep

    @property
    def lang(self) -> str:
        """The selected language."""
        return self.view.lang

    @property
    def category(self) -> str:
        """The kind of change the changes tab shows (``""``: all)."""
        return self.view.category

    @category.setter
    def category(self, value: str) -> None:
        self.view = replace(self.view, category=value)

    @property
    def search(self) -> str:
        """The text the deal tables are searched for (``""``: every deal)."""
        return self.view.search

    @property
    def sort(self) -> str:
        """The column the deals at risk are sorted by."""
        return self.view.sort

    @sort.setter
    def sort(self, value: str) -> None:
        self.view = replace(self.view, sort=value)

    @property
    def order(self) -> str:
        """The column the changes tab's deals are sorted by."""
        return self.view.order

    @property
    def stage(self) -> str:
        """The stage whose open deals the funnel tab lists (``""``: none)."""
        return self.view.stage
