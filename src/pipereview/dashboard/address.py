"""Links to a view of the dashboard: the page's address carries the team, week, rep, tab
and language (``?team=North&week=2026-W47&rep=Ann&tab=risks&lang=zh``), so a manager can
send a colleague the view being discussed. A dashboard locked to one team ignores every
parameter (the lock decides what it shows); a parameter naming nothing the dashboard holds
(a week not stored, a rep not in the team, an unknown tab) is left out and the rest is
applied, so an old link still opens.

>>> share_query(View("North", "2026-W47", rep="Ann", lang="zh"), "risks")
'?team=North&week=2026-W47&rep=Ann&tab=risks&lang=zh'
>>> wanted("team=North&tab=risks&tab=funnel&colour=red")
{'team': 'North', 'tab': 'risks'}
"""

from __future__ import annotations

import html
import logging
import os
import threading
import urllib.parse
from typing import TYPE_CHECKING

from pipereview.core._errors import PipereviewError
from pipereview.dashboard._text import TABS, text
from pipereview.dashboard.view import View

if TYPE_CHECKING:
    from pipereview.dashboard.app import Dashboard

__all__ = [
    "PARAMETERS",
    "apply_query",
    "follow_request",
    "share_link_html",
    "share_query",
    "wanted",
]

#: The parameters a dashboard address may carry, in the order they are applied.
PARAMETERS: tuple[str, ...] = ("lang", "team", "week", "rep", "tab")
#: The longest value read from an address (a name longer than this is no name we hold).
_LONGEST = 200

_log = logging.getLogger("pipereview.dashboard")


def wanted(query: str) -> dict[str, str]:
    """The known parameters of an address's query string, each its first value; unknown
    parameters and overlong values are left out."""
    parsed = urllib.parse.parse_qs(query.lstrip("?"), keep_blank_values=False)
    return {
        name: parsed[name][0]
        for name in PARAMETERS
        if name in parsed and 0 < len(parsed[name][0]) <= _LONGEST
    }


def share_query(view: View, tab: str) -> str:
    """The query string that opens ``view`` on ``tab`` (the rep only when one is chosen)."""
    pairs = [("team", view.team), ("week", view.week)]
    pairs += [("rep", view.rep)] if view.rep else []
    pairs += [("tab", tab), ("lang", view.lang)]
    return "?" + urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote)


def share_link_html(view: View, tab: str, *, locked: bool) -> str:
    """A link to this view (relative: the page's own address with the view's query); none
    on a locked dashboard, whose address shows one team whatever it carries."""
    if locked or not view.week:
        return ""
    href = html.escape(share_query(view, tab), quote=True)
    label = html.escape(text("share", view.lang))
    return f"<p class='pr-share'><a href=\"{href}\">{label}</a></p>"


def apply_query(board: Dashboard, query: str) -> list[str]:
    """Show the view ``query`` asks for on ``board`` (unlocked only), parameter by
    parameter; return the parameters left out (naming nothing the dashboard holds)."""
    asked = wanted(query)
    if board.locked or not asked:
        return sorted(asked) if board.locked else []
    skipped: list[str] = []
    for name in ("lang", "team", "week", "rep"):
        if name in asked:
            try:
                board.select(**{name: asked[name]})
            except (PipereviewError, ValueError, KeyError):
                skipped.append(name)
    if "tab" in asked:
        if asked["tab"] in TABS:
            board.show_tab(asked["tab"])
        else:
            skipped.append("tab")
    return skipped


def follow_request(board: Dashboard) -> None:
    """Apply the address of the page the dashboard is drawn for: at once in a page's own
    kernel (Voilà puts the query in ``QUERY_STRING``); in a kernel started ahead of any
    page, when the page that takes it arrives (Voilà's ``wait_for_request``, in a thread,
    so the page is drawn first and then switched to the view asked for)."""
    if board.locked:
        return
    if os.environ.get("VOILA_PREHEAT") != "True":
        apply_query(board, os.environ.get("QUERY_STRING", ""))
        return

    def later() -> None:
        try:
            from voila.utils import wait_for_request  # type: ignore[import-untyped]

            wait_for_request()
            apply_query(board, os.environ.get("QUERY_STRING", ""))
        except Exception:  # a page that never came, or closed: nothing to switch
            _log.warning("dashboard: the page's address could not be read", exc_info=True)

    threading.Thread(target=later, name="pipereview-address", daemon=True).start()
