"""The per-rep coaching sheet and the per-team summary for the manager.

A sheet follows the method (docs/method.md §5): it opens with real strengths, then 3-5 focus
items ranked by severity and amount at stake, then the largest at-risk deals with what to
find out or do next on each, and a follow-up date 30 days out. It renders as a DataFrame,
Markdown or HTML; every text taken from the data is escaped in both.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING

import pandas as pd
from markupsafe import Markup

from pipereview.coaching.prompts import PromptTemplates, deal_subject
from pipereview.core._languages import check_language
from pipereview.core._weeks import Week
from pipereview.diagnostics._capabilities import currency_code

if TYPE_CHECKING:
    from pipereview.week import WeekDiagnostics

__all__ = ["CoachingSheet", "TeamSummary", "coaching_sheet", "team_summary"]


def follow_up_date(as_of: Week, days: int) -> datetime.date:
    return as_of.friday + datetime.timedelta(days=days)


@dataclass(frozen=True)
class CoachingSheet:
    """One rep's sheet: ``strengths``, ``focus`` and ``deals`` are rendered findings
    (:func:`~pipereview.coaching.prompts.coaching_prompts` rows)."""

    team: str
    owner: str
    as_of: str
    lang: str
    follow_up: datetime.date
    strengths: pd.DataFrame
    focus: pd.DataFrame
    deals: pd.DataFrame
    #: ``(chart name, inline SVG figure)`` pairs shown in the HTML sheet
    #: (:meth:`with_charts`).
    charts: tuple[tuple[str, str], ...] = ()
    #: what could not be checked for lack of a column, one line each
    #: (:func:`pipereview.diagnostics._capabilities.not_checked_notes`), shown where the findings are
    not_checked: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_language(self.lang)

    def to_frame(self) -> pd.DataFrame:
        """The sheet's items, long: ``section`` (strength / focus / deal), ``rank`` and
        the findings' columns."""
        parts = [
            frame.assign(section=name, rank=range(1, len(frame) + 1))
            for name, frame in (
                ("strength", self.strengths),
                ("focus", self.focus),
                ("deal", self.deals),
            )
            if len(frame)
        ]
        if not parts:
            return pd.DataFrame(columns=["section", "rank"])
        out = pd.concat(parts, ignore_index=True)
        return out[["section", "rank", *[c for c in out.columns if c not in ("section", "rank")]]]

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
            "focus": self.focus.to_dict("records"),
            "deals": _deal_groups(self.deals, self.lang),
            "not_checked": list(self.not_checked),
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
    """A team's coaching overview: team-level findings and one line per rep."""

    team: str
    as_of: str
    lang: str
    team_findings: pd.DataFrame
    reps: pd.DataFrame
    #: what could not be checked for lack of a column, one line each
    not_checked: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_language(self.lang)

    def _values(self) -> dict[str, object]:
        return {
            "lang": self.lang,
            "team": self.team,
            "as_of": self.as_of,
            "team_findings": self.team_findings.to_dict("records"),
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


def _deal_groups(deals: pd.DataFrame, lang: str) -> list[dict[str, object]]:
    groups: list[dict[str, object]] = []
    for _, part in deals.groupby("deal_key", sort=False):  # a handful of deals per sheet
        first = part.iloc[0]
        account, ref = deal_subject({str(k): v for k, v in first.items()}, lang)
        groups.append(
            {
                "deal_name": first["deal_name"],
                "account": account,
                "ref": ref,
                "amount": first["amount_at_stake"],
                "currency": first["currency"],
                "stage": first["stage"],
                "stage_model": first["stage_model"],
                "items": part.to_dict("records"),
            }
        )
    return groups


def coaching_sheet(
    prompts: pd.DataFrame,
    team: str,
    owner: str,
    *,
    as_of: Week | str,
    max_focus: int = 5,
    min_focus: int = 3,
    max_deals: int = 3,
    max_strengths: int = 2,
    follow_up_days: int = 30,
    not_checked: Sequence[str] = (),
) -> CoachingSheet:
    """``owner``'s sheet from rendered findings (one language).

    - **strengths**: the rep's strength findings, at most ``max_strengths``;
    - **deals**: the ``max_deals`` largest deals with a risk finding, each with all its
      prompts (most severe first);
    - **focus**: the rep's rep- and team-level risks ranked by severity and amount at
      stake, at most ``max_focus``; when fewer than ``min_focus``, topped up with the
      most severe deal findings of other deals (one per deal);
    - **follow_up**: the as-of week's Friday + ``follow_up_days``;
    - **not_checked**: lines saying what could not be checked for lack of a column
      (:func:`pipereview.diagnostics._capabilities.not_checked_notes` of the team's deals), shown
      with the focus items.

    The focus list says "no risk" only when no deal below is listed either.
    """
    week = Week.parse(as_of) if isinstance(as_of, str) else as_of
    mine = prompts[(prompts["team"] == team) & (prompts["owner"] == owner)]
    lang = str(prompts["lang"].iloc[0]) if len(prompts) else str(prompts.attrs.get("lang", "en"))
    strengths = mine[mine["kind"] == "strength"].head(max_strengths)
    risks = mine[mine["kind"] == "risk"]
    deal_risks = risks[risks["scope"] == "deal"]
    sizes = deal_risks.groupby("deal_key", sort=False).agg(
        amount=("amount_at_stake", "max"), severity=("severity", "max")
    )
    sizes = sizes.sort_values(["amount", "severity"], ascending=False, kind="stable")
    chosen = list(sizes.index[:max_deals])
    order = {key: i for i, key in enumerate(chosen)}
    deals = deal_risks[deal_risks["deal_key"].isin(chosen)]
    deals = (
        deals.assign(_o=deals["deal_key"].map(order))
        .sort_values(["_o", "severity"], ascending=[True, False], kind="stable")
        .drop(columns="_o")
    )
    focus = risks[risks["scope"] != "deal"].head(max_focus)
    if len(focus) < min_focus:
        others = deal_risks[~deal_risks["deal_key"].isin(chosen)].drop_duplicates("deal_key")
        focus = pd.concat([focus, others.head(min_focus - len(focus))])
    return CoachingSheet(
        team=team,
        owner=owner,
        as_of=str(week),
        lang=lang,
        follow_up=follow_up_date(week, follow_up_days),
        strengths=strengths.reset_index(drop=True),
        focus=focus.reset_index(drop=True),
        deals=deals.reset_index(drop=True),
        not_checked=tuple(not_checked),
    )


def team_summary(
    prompts: pd.DataFrame,
    team: str,
    *,
    as_of: Week | str,
    not_checked: Sequence[str] = (),
    sheets: Mapping[str, CoachingSheet] | None = None,
) -> TeamSummary:
    """The manager's overview of ``team``: its team-level findings and, per rep, the
    count of high / medium / low risks, the open amount at stake in flagged deals, the
    strengths found and the rep's first focus item (from the rep's sheet in ``sheets``
    when given, else from :func:`coaching_sheet` with its defaults); ``not_checked`` as in
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
        reps.append(
            {
                "owner": owner,
                "high": int((risks["severity"] == 3).sum()),
                "medium": int((risks["severity"] == 2).sum()),
                "low": int((risks["severity"] == 1).sum()),
                "flagged_deals": len(flagged),
                "amount_at_stake": float(flagged["amount_at_stake"].sum()),
                "currency": currency_code(flagged["currency"].iloc[0]) if len(flagged) else "",
                "strengths": int((mine["kind"] == "strength").sum()),
                "first_focus": sheet.focus["observation"].iloc[0] if len(sheet.focus) else "",
            }
        )
    return TeamSummary(
        team=team,
        as_of=str(week),
        lang=lang,
        team_findings=team_findings,
        reps=pd.DataFrame(reps),
        not_checked=tuple(not_checked),
    )
