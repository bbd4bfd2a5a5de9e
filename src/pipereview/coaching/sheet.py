"""The per-rep coaching sheet and the per-team summary for the manager.

A sheet is a 1:1 script (docs/method.md §5, docs/coaching.md): it opens with real
strengths, then one ranked list of at most ``max_items`` points (default 5): one rule
firing on several of the rep's deals (``coaching_pattern_deals``, 3) merged into one "skill
coaching" item listing those deals, the rest of the issues on one deal merged into one
"opportunity coaching" item beside the deal's ID (linked to the CRM) and the rep's own
recorded next step, every rep-level pattern a skill item; each with a measurable target
by the follow-up day; ranked by money at stake and severity, skill items first when the
rep has several flagged deals. The rest sits in an appendix the manager can open. A closing line
and a follow-up date on a working day end it. It renders as a DataFrame, Markdown or HTML;
every text taken from the data is escaped in both.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

import pandas as pd
from markupsafe import Markup

from pipereview.coaching._sheetitems import item_records, next_steps, working_day
from pipereview.coaching.prompts import PromptTemplates
from pipereview.coaching.titles import rule_title
from pipereview.core._languages import check_language
from pipereview.core._weeks import Week
from pipereview.diagnostics._capabilities import currency_code

if TYPE_CHECKING:
    from pipereview.week import WeekDiagnostics

__all__ = [
    "CoachingSheet",
    "TeamSummary",
    "coaching_sheet",
    "follow_up_date",
    "team_sheets",
    "team_summary",
]


_THEME_COLUMNS = ["theme", "title", "reps", "findings", "amount_at_stake", "currency"]


def follow_up_date(
    as_of: Week, days: int, holidays: Collection[datetime.date] = ()
) -> datetime.date:
    """The as-of week's Friday + ``days``, moved to the next working day (no weekend, none
    of ``holidays``)."""
    return working_day(as_of.friday + datetime.timedelta(days=days), holidays)


@dataclass(frozen=True)
class CoachingSheet:
    """One rep's sheet: ``strengths`` are rendered strength findings
    (:func:`~pipereview.coaching.prompts.coaching_prompts` rows); ``items`` every risk of the
    rep as ranked items (:func:`pipereview.coaching._sheetitems.item_records`), the first
    ``max_items`` the sheet's list, the rest its appendix."""

    team: str
    owner: str
    as_of: str
    lang: str
    follow_up: datetime.date
    strengths: pd.DataFrame
    items: tuple[dict[str, Any], ...] = ()
    max_items: int = 5
    #: ``(chart name, inline SVG figure)`` pairs shown in the HTML sheet
    #: (:meth:`with_charts`).
    charts: tuple[tuple[str, str], ...] = ()
    #: what could not be checked for lack of a column, one line each
    #: (:func:`pipereview.diagnostics._capabilities.not_checked_notes`), shown where the findings are
    not_checked: tuple[str, ...] = ()
    #: the items of the rep's previous 1:1 from the coaching log, with what happened
    #: since (:func:`pipereview.coaching._since.since_items`), and that 1:1's week
    since: tuple[dict[str, Any], ...] = ()
    since_week: str = ""

    def __post_init__(self) -> None:
        check_language(self.lang)

    @property
    def ranked(self) -> tuple[dict[str, Any], ...]:
        """The items of the sheet's list (at most :attr:`max_items`), first point first."""
        return self.items[: self.max_items]

    @property
    def appendix(self) -> tuple[dict[str, Any], ...]:
        """The items beyond the list, in rank order."""
        return self.items[self.max_items :]

    @property
    def focus(self) -> pd.DataFrame:
        """The findings of the ranked list, one row each (see :meth:`to_frame`)."""
        frame = self.to_frame()
        return frame[frame["section"] == "focus"].reset_index(drop=True)

    def to_frame(self) -> pd.DataFrame:
        """The sheet's findings, long: ``section`` (strength / focus / appendix), ``rank``
        (the item's place; a strength's own), ``item_kind`` (opportunity / skill),
        ``next_step`` and the findings' columns."""
        rows: list[dict[Any, Any]] = [
            {"section": "strength", "rank": i, "item_kind": "", "next_step": "", **strength}
            for i, strength in enumerate(self.strengths.to_dict("records"), start=1)
        ]
        for rank, item in enumerate(self.items, start=1):
            section = "focus" if rank <= self.max_items else "appendix"
            rows += [
                {
                    "section": section,
                    "rank": rank,
                    "item_kind": item["kind"],
                    "next_step": item.get("next_step", ""),
                    **finding,
                }
                for finding in item["findings"]
            ]
        if not rows:
            return pd.DataFrame(columns=["section", "rank", "item_kind", "next_step"])
        return pd.DataFrame(rows)

    @cached_property
    def _values(self) -> dict[str, object]:
        """What the templates show, computed once for the Markdown and the HTML."""
        return {
            "lang": self.lang,
            "team": self.team,
            "owner": self.owner,
            "as_of": self.as_of,
            "follow_up": self.follow_up.isoformat(),
            "strengths": self.strengths.to_dict("records"),
            "items": list(self.ranked),
            "appendix": list(self.appendix),
            "appendix_start": len(self.ranked) + 1,
            "not_checked": list(self.not_checked),
            "since": list(self.since),
            "since_week": self.since_week,
            "charts": [{"name": name, "svg": Markup(svg)} for name, svg in self.charts],
        }

    def with_charts(self, context: WeekDiagnostics, names: Sequence[str]) -> CoachingSheet:
        """The sheet with the registered charts ``names`` drawn for this rep
        (:func:`pipereview.charts.draw_charts`), shown in its HTML form."""
        from pipereview.charts import draw_charts

        drawn = draw_charts(context, self.team, self.owner, names, lang=self.lang)
        return replace(self, charts=tuple(drawn))

    def to_markdown(self, templates: PromptTemplates | None = None) -> str:
        """The sheet as Markdown, in the sheet's language."""
        return _render(templates, f"{self.lang}/_sheet.md.j2", self._values)

    def to_html(self, templates: PromptTemplates | None = None) -> str:
        """The sheet as a standalone HTML fragment (``<section>``), every value escaped."""
        return _render(templates, f"{self.lang}/_sheet.html.j2", self._values)


@dataclass(frozen=True)
class TeamSummary:
    """A team's coaching overview: team-level findings, the three coaching themes with the
    most money at stake, the reps to see first and one line per rep."""

    team: str
    as_of: str
    lang: str
    team_findings: pd.DataFrame
    reps: pd.DataFrame
    #: what could not be checked for lack of a column, one line each
    not_checked: tuple[str, ...] = ()
    #: ``theme`` (rule), ``title``, ``reps``, ``findings``, ``amount_at_stake``,
    #: ``currency``: at most three, most money first
    themes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_THEME_COLUMNS))
    #: the reps to see first this week, most money at stake in flagged deals first
    see_first: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_language(self.lang)

    def _values(self) -> dict[str, object]:
        return {
            "lang": self.lang,
            "team": self.team,
            "as_of": self.as_of,
            "team_findings": self.team_findings.to_dict("records"),
            "themes": self.themes.to_dict("records"),
            "see_first": list(self.see_first),
            "reps": self.reps.to_dict("records"),
            "not_checked": list(self.not_checked),
        }

    def to_markdown(self, templates: PromptTemplates | None = None) -> str:
        """The summary as Markdown."""
        return _render(templates, f"{self.lang}/_team.md.j2", self._values())

    def to_html(self, templates: PromptTemplates | None = None) -> str:
        """The summary as an HTML fragment, every value escaped."""
        return _render(templates, f"{self.lang}/_team.html.j2", self._values())


def _render(templates: PromptTemplates | None, name: str, values: dict[str, object]) -> str:
    text = (templates or PromptTemplates()).template(name).render(**values)
    return text.strip() + "\n"


def coaching_sheet(
    prompts: pd.DataFrame,
    team: str,
    owner: str,
    *,
    as_of: Week | str,
    context: WeekDiagnostics | None = None,
    max_items: int | None = None,
    max_strengths: int = 2,
    follow_up_days: int | None = None,
    holidays: Collection[datetime.date] | None = None,
    crm_url: str | None = None,
    steps: Mapping[str, str] | None = None,
    not_checked: Sequence[str] = (),
    pattern_deals: int | None = None,
    templates: PromptTemplates | None = None,
) -> CoachingSheet:
    """``owner``'s sheet from rendered findings (one language).

    - **strengths**: the rep's strength findings, at most ``max_strengths``;
    - **items**: every risk of the rep (:func:`~pipereview.coaching._sheetitems.item_records`):
      one skill item per rule that fires on ``pattern_deals`` (3) or more of the rep's
      deals (the deals listed, their money summed, a target by the follow-up day, the
      texts from ``templates``), one item per deal for its other issues, one per rep-level
      finding, ranked; the first ``max_items`` make the list, the rest the appendix;
    - **follow_up**: the as-of week's Friday + ``follow_up_days``, on the next working
      day (no weekend, none of ``holidays``);
    - **not_checked**: lines saying what could not be checked for lack of a column
      (:func:`pipereview.diagnostics._capabilities.not_checked_notes` of the team's deals), shown
      with the items.

    With ``context``, the settings not given come from its configuration
    (``coaching_items``, ``coaching_pattern_deals``, ``follow_up_days``, ``holidays``,
    ``crm_url``) and each deal's
    recorded next step from its open deals; without, the package defaults (5 items, a
    pattern from 3 deals, 30 days, no holiday, no link, no next step).
    """
    config = context.config if context is not None else None
    if steps is None and context is not None:
        steps = next_steps(context.open_deals)
    week = Week.parse(as_of) if isinstance(as_of, str) else as_of
    mine = prompts[(prompts["team"] == team) & (prompts["owner"] == owner)]
    lang = str(prompts["lang"].iloc[0]) if len(prompts) else str(prompts.attrs.get("lang", "en"))
    follow_up = follow_up_date(
        week,
        follow_up_days or (config.follow_up_days if config else 30),
        holidays if holidays is not None else (config.holidays if config else ()),
    )
    items = item_records(
        mine[mine["kind"] == "risk"],
        lang,
        steps=steps,
        crm_url=crm_url if crm_url is not None or config is None else config.crm_url,
        pattern_deals=pattern_deals or (config.coaching_pattern_deals if config else 3),
        by=follow_up.isoformat(),
        weeks=(follow_up - week.monday).days // 7,
        templates=templates,
    )
    return CoachingSheet(
        team=team,
        owner=owner,
        as_of=str(week),
        lang=lang,
        follow_up=follow_up,
        strengths=mine[mine["kind"] == "strength"].head(max_strengths).reset_index(drop=True),
        items=tuple(items),
        max_items=max_items or (config.coaching_items if config else 5),
        not_checked=tuple(not_checked),
    )


def team_sheets(
    prompts: pd.DataFrame,
    team: str,
    owners: Collection[str],
    *,
    as_of: Week | str,
    context: WeekDiagnostics | None = None,
    not_checked: Sequence[str] = (),
    templates: PromptTemplates | None = None,
) -> dict[str, CoachingSheet]:
    """Each of ``owners``' sheet (:func:`coaching_sheet`, in name order), built once with
    the same settings: what the team's summary (``team_summary(..., sheets=)``) quotes
    as each rep's first point is then the first point of the rep's own sheet, whatever
    the configuration says of patterns, items or the follow-up.

    >>> from pipereview.coaching import FINDING_COLUMNS, coaching_prompts
    >>> none = coaching_prompts(pd.DataFrame(columns=list(FINDING_COLUMNS)), lang="en")
    >>> sheets = team_sheets(none, "North", {"Ann", "", "Bob"}, as_of="2026-W47")
    >>> list(sheets), [len(sheet.items) for sheet in sheets.values()]
    (['Ann', 'Bob'], [0, 0])
    """
    steps = next_steps(context.open_deals) if context is not None else None
    return {
        owner: coaching_sheet(
            prompts,
            team,
            owner,
            as_of=as_of,
            context=context,
            steps=steps,
            not_checked=not_checked,
            templates=templates,
        )
        for owner in sorted(set(owners) - {""})
    }


def _team_themes(risks: pd.DataFrame, lang: str, top: int = 3) -> pd.DataFrame:
    """The ``top`` coaching themes (rules) of a team's risk findings with the most money at
    stake: a deal counted once per theme, a rep-level finding with its own amount."""
    if risks.empty:
        return pd.DataFrame(columns=_THEME_COLUMNS)
    once = risks[risks["scope"] != "deal"]
    once = pd.concat([once, risks[risks["scope"] == "deal"].drop_duplicates(["rule", "deal_key"])])
    grouped = once.groupby("rule", sort=True).agg(
        reps=("owner", "nunique"),
        findings=("rule", "size"),
        amount_at_stake=("amount_at_stake", "sum"),
        currency=("currency", "first"),
    )
    grouped = grouped.sort_values("amount_at_stake", ascending=False, kind="stable").head(top)
    out = grouped.reset_index().rename(columns={"rule": "theme"})
    out.insert(1, "title", [rule_title(str(r), lang) for r in out["theme"]])
    out["currency"] = [currency_code(c) for c in out["currency"]]
    return out[_THEME_COLUMNS]


def team_summary(
    prompts: pd.DataFrame,
    team: str,
    *,
    as_of: Week | str,
    not_checked: Sequence[str] = (),
    sheets: Mapping[str, CoachingSheet] | None = None,
    see_first: int = 3,
) -> TeamSummary:
    """The manager's overview of ``team``: its team-level findings; the three coaching
    themes (rules) covering the most money at stake across the team's reps; the
    ``see_first`` reps with the most money at stake in flagged deals, to see first; and per
    rep, the count of high / medium / low risks, the open amount at stake in flagged deals,
    the strengths found and the rep's first point (from the rep's sheet in ``sheets`` when
    given, else from :func:`coaching_sheet` with its defaults); ``not_checked`` as in
    :func:`coaching_sheet`."""
    week = Week.parse(as_of) if isinstance(as_of, str) else as_of
    rows = prompts[prompts["team"] == team]
    lang = str(prompts["lang"].iloc[0]) if len(prompts) else str(prompts.attrs.get("lang", "en"))
    team_findings = rows[(rows["scope"] == "team")].reset_index(drop=True)
    reps = []
    for owner in sorted(o for o in rows["owner"].unique() if o):  # one row per rep
        mine = rows[rows["owner"] == owner]
        risks = mine[mine["kind"] == "risk"]
        flagged = risks[risks["scope"] == "deal"].drop_duplicates("deal_key")
        sheet = (sheets or {}).get(owner) or coaching_sheet(prompts, team, owner, as_of=week)
        first = ""
        if sheet.ranked:
            top = sheet.ranked[0]
            first = (top["pattern"] or top["findings"][0])["observation"]
        reps.append(
            {
                "owner": owner,
                "high": int((risks["severity"] == 3).sum()),
                "medium": int((risks["severity"] == 2).sum()),
                "low": int((risks["severity"] == 1).sum()),
                "flagged_deals": len(flagged),
                "amount_at_stake": float(flagged["amount_at_stake"].fillna(0).sum()),
                "currency": currency_code(flagged["currency"].iloc[0]) if len(flagged) else "",
                "strengths": int((mine["kind"] == "strength").sum()),
                "first_focus": first,
            }
        )
    table = pd.DataFrame(reps)
    chosen: tuple[str, ...] = ()
    if len(table):
        at_stake = table[table["amount_at_stake"] > 0]
        ranked = at_stake.sort_values(["amount_at_stake", "owner"], ascending=[False, True])
        chosen = tuple(ranked["owner"].head(see_first))
    mine_risks = rows[(rows["kind"] == "risk") & (rows["owner"] != "")]
    return TeamSummary(
        team=team,
        as_of=str(week),
        lang=lang,
        team_findings=team_findings,
        reps=table,
        not_checked=tuple(not_checked),
        themes=_team_themes(mine_risks, lang),
        see_first=chosen,
    )
