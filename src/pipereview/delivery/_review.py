"""The weekly review of one team, section by section, for the review notebook.

Each section is computed in the package (:mod:`pipereview.delivery._reviewsections` builds
them from the review's diagnostics) and returned as a :class:`Section` (a heading
and an HTML body with offline SVG charts) that a notebook cell simply displays; all text
is in the review's language and every value taken from the data is HTML-escaped.

>>> h = pd.DataFrame({"snapshot_week": "2026-W47", "team": "North", "deal_id": ["D1"],
...     "deal_name": "MES", "account": "Acme", "owner": "Ann", "stage": "needs_confirmed",
...     "stage_model": "generic_4", "amount": [1000.0], "currency": "EUR",
...     "close_date": pd.Timestamp("2026-12-18"), "probability": [0.25]})
>>> review = WeeklyReview(h, team="North", week="2026-W47", lang="en")
>>> review.headline()["open_amount"], review.headline()["weighted_pipeline"]
(1000.0, 250.0)
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from pipereview.config import Config, as_config
from pipereview.core._errors import InputError
from pipereview.core._languages import phrase
from pipereview.core._weeks import Week
from pipereview.delivery import _reviewchanges, _reviewcompanions, _reviewrisks
from pipereview.delivery import _reviewsections as sections
from pipereview.delivery._reviewcurrencies import CurrencyMix, currency_mix
from pipereview.delivery._reviewforecasting import ForecastingSections
from pipereview.delivery._reviewsections import Section, forecast_figures
from pipereview.delivery._reviewtext import REVIEW_TEXT
from pipereview.history._companions import Companions
from pipereview.history._prepared import PreparedHistory, prepare_history
from pipereview.history._teamrows import team_deals, team_rows
from pipereview.history._trail import deal_key
from pipereview.ingest._schema import open_mask
from pipereview.week import WeekDiagnostics

__all__ = ["WeeklyReview"]


#: The review's remembered values that hold words: written again in another language.
_WORDED = ("coaching_prompts", "forecasting_sections")


class WeeklyReview(ForecastingSections):
    """One team's review as of ``week`` from a keyed history (see
    :func:`~pipereview.history._trail.with_deal_keys`), in ``lang`` (en / zh), with optional
    ``targets`` for ``period`` (default: the quarter of ``week``). ``stage_model`` (a
    shipped name or a YAML file) judges the deals' process evidence against that model
    instead of each deal's own (e.g. a team trying a stricter process). ``config``
    (:class:`~pipereview.config.Config`) carries the thresholds and coaching settings;
    ``lang`` and ``stage_model``, when given, take precedence over its own.
    ``companions`` holds the team's activities, leads and invoices when they are stored
    (:class:`~pipereview.history._companions.Companions`); the findings that need one say
    "not available" without it."""

    def __init__(
        self,
        history: pd.DataFrame,
        *,
        team: str,
        week: str | Week,
        lang: str | None = None,
        targets: pd.DataFrame | None = None,
        period: str | None = None,
        stage_model: str | None = None,
        config: Config | str | Path | None = None,
        companions: Companions | None = None,
        forecast_calls: pd.DataFrame | None = None,
    ) -> None:
        from pipereview.diagnostics._trend_weeks import quarter_of

        config = as_config(config)  # a language other than en or zh is refused by it
        self.config = config.replace(
            lang=lang or config.lang, stage_model=stage_model or config.stage_model
        )
        self.week = Week.parse(week) if isinstance(week, str) else week
        upto = history[history["snapshot_week"].astype("str") <= str(self.week)]
        rows = team_rows(upto, team)  # the team's figures count its own rows only
        if not (rows["snapshot_week"] == str(self.week)).any():
            teams = sorted(history.loc[history["snapshot_week"] == str(self.week), "team"].unique())
            raise InputError(
                f"team {team!r} has no snapshot in {self.week}; teams that week: "
                f"{', '.join(teams) or 'none'}",
                hint="check the team and the week (pipereview weeks lists both)",
            )
        self.history = rows.assign(deal_key=deal_key(rows))
        deals = team_deals(upto, team)  # with the other team's rows of a deal that moved
        self.team_deals = deals.assign(deal_key=deal_key(deals))
        self.team = team
        self.targets = None if targets is None else targets[targets["team"] == team]
        self.period = period or quarter_of(self.week)
        self.companions = (companions or Companions()).for_team(team)
        calls = None if forecast_calls is None else forecast_calls[forecast_calls["team"] == team]
        self.forecast_calls = calls if calls is not None and len(calls) else None

    @classmethod
    def from_files(
        cls,
        *,
        team: str,
        week: str,
        lang: str | None = None,
        history_path: str | None = None,
        store: str | None = None,
        exports: str | None = None,
        targets: str | None = None,
        stage_model: str | None = None,
        config: Config | str | Path | None = None,
    ) -> WeeklyReview:
        """A review from the batch's shared keyed history (``history_path``, Parquet), else
        from a snapshot ``store``, else from a folder of weekly ``exports`` (ingested into a
        temporary store), the team's deals, loaded by
        :func:`~pipereview.history._loader.load_history` (its own rows and, of a deal that
        changed team, its handover rows in the other team: the review reads a reorganisation as
        one; the team's figures count its own rows only). ``config`` is a :class:`~pipereview.config.Config` or a configuration file
        (a notebook parameter: ``""`` for none); the loader makes its template folders
        effective."""
        from pipereview.diagnostics._targets import load_targets
        from pipereview.history._callstore import review_calls
        from pipereview.history._companions import read_companion_folder, read_shared_companions
        from pipereview.history._companionstore import read_companions
        from pipereview.history._loader import load_history

        settings = as_config(config or None)
        if not (history_path or store or exports):
            raise InputError(
                "no history to review: give history_path, store or exports",
                hint="e.g. WeeklyReview.from_files(store='pipereview-data', team='North')",
            )
        history = load_history(
            None if history_path else store or None,
            team=team,
            file=history_path or None,
            exports=None if history_path or store else exports,
            templates=settings.templates,
            limits=settings.limits,
        )
        goals = load_targets(targets) if targets else None
        calls = review_calls(week, team, history_path=history_path, store=store, exports=exports)
        if history_path:
            companions = read_shared_companions(Path(history_path).parent / "companions")
        elif store:
            companions = read_companions(store, week, team=team)
        elif exports:
            companions = read_companion_folder(Path(exports).parent / "companions", week, history)
        else:
            companions = None
        return cls(
            history,
            team=team,
            week=week,
            lang=lang,
            targets=goals,
            stage_model=stage_model,
            config=settings,
            companions=companions,
            forecast_calls=calls,
        )

    def in_language(self, lang: str) -> WeeklyReview:
        """The same review in another language, sharing its history and diagnostics (what
        holds words, the coaching prompts and the forecast sections, is written again)."""
        other = copy.copy(self)
        for worded in _WORDED:  # what was written in this review's language
            other.__dict__.pop(worded, None)
        other.config = self.config.replace(lang=lang)  # refuses a language other than en, zh
        return other

    @property
    def lang(self) -> str:
        """The review's language (its configuration's)."""
        return self.config.lang

    @property
    def stage_model(self) -> str | None:
        """The stage model process evidence is judged against; None: each deal's own."""
        return self.config.stage_model or None

    def title(self, index: str = "") -> Section:
        """The report's title (team, week and period), its stylesheet (a CJK-capable font
        stack, tables that wrap, A4 print) and its contents; ``index``, when given, is the
        address of the batch's index page, linked as "all teams"."""
        from pipereview.delivery._reviewglance import title_section

        return title_section(self, index)

    def glance_section(self) -> Section:
        """The first screen: what changed, where the funnel is stuck, whether the team
        will hit target and whom to coach first, each with a verdict and the figures
        behind it (:mod:`pipereview.delivery._reviewglance`)."""
        from pipereview.delivery._reviewglance import glance_section

        return glance_section(self)

    def t(self, key: str) -> str:
        """A fixed text of the review in its language."""
        return phrase(REVIEW_TEXT, key, self.lang)

    @cached_property
    def latest(self) -> pd.DataFrame:
        return self.history[self.history["snapshot_week"] == str(self.week)]

    @cached_property
    def currency(self) -> str:
        return ", ".join(sorted(set(self.latest["currency"].fillna("").astype(str)) - {""}))

    @property
    def mixed_currencies(self) -> str | None:
        """Why the team's amounts are not added, in the review's language, or None: its
        deals of the last 13 stored weeks (the weeks the sections sum) are in more than one
        currency (:mod:`pipereview.delivery._reviewcurrencies`)."""
        mix = self.currency_mix
        return None if mix is None else mix.text(self.lang)

    @cached_property
    def currency_mix(self) -> CurrencyMix | None:
        """The team's currencies when there are several (the words aside)."""
        return currency_mix(self.history, self.team)

    @cached_property
    def prepared(self) -> PreparedHistory:
        """The team's history, prepared once (:func:`~pipereview.history._prepared.prepare_history`)
        for the sections and the coaching rules."""
        return prepare_history(self.history)

    @cached_property
    def context(self) -> WeekDiagnostics:
        """The diagnostics of the team as of the week, each computed once and shared by the
        sections and the coaching rules."""
        return WeekDiagnostics(
            self.prepared,
            self.week,
            targets=self.targets,
            forecast_period=self.period,
            config=self.config,
            companions=self.companions,
            forecast_calls=self.forecast_calls,
        )

    @cached_property
    def forecast(self) -> pd.DataFrame:
        forecast: pd.DataFrame = self.context.forecast_team
        return forecast

    @cached_property
    def coaching_findings(self) -> pd.DataFrame:
        """Every coaching rule's findings for the team (language-independent)."""
        from pipereview.coaching import coaching_findings

        findings: pd.DataFrame = coaching_findings(self.context)
        return findings

    @cached_property
    def coaching_prompts(self) -> pd.DataFrame:
        from pipereview.coaching import coaching_prompts

        return coaching_prompts(self.coaching_findings, lang=self.lang)

    def headline(self) -> dict[str, Any]:
        """The team's headline figures (what the batch index shows): open deals and
        amount, weighted pipeline, won this period, target, gap, coverage, new deals."""
        from pipereview.diagnostics._forecast import weighted_pipeline, won_deals

        open_now = self.latest[open_mask(self.latest)]
        if self.mixed_currencies is not None:  # counts only: amounts are never added
            return {
                "team": self.team,
                "week": str(self.week),
                "period": self.period,
                "currency": self.currency,
                "open_deals": len(open_now),
                "open_amount": None,
                "weighted_pipeline": None,
                "won_amount": None,
                "refused": self.mixed_currencies,
            }
        weighted = weighted_pipeline(open_now)["weighted"].sum() if len(open_now) else 0.0
        won = won_deals(self.prepared, self.period, self.week)
        out: dict[str, Any] = {
            "team": self.team,
            "week": str(self.week),
            "period": self.period,
            "currency": self.currency,
            "open_deals": len(open_now),
            "open_amount": float(open_now["amount"].sum()),
            "weighted_pipeline": round(float(weighted), 2),
            "won_amount": float(won["amount"].sum()),
            "new_deals": self.new_deals,
        }
        if len(self.forecast):
            out.update(forecast_figures(self.forecast.iloc[0]))
        return out

    @cached_property
    def new_deals(self) -> int | None:
        """The team's new deals this week (:func:`pipereview.diagnostics._figures.new_deals`): deals
        first stored in this week's export, not moved from another team; None at first."""
        from pipereview.delivery._reviewteam import review_new_deals

        return review_new_deals(self)

    def write_headline(self, path: str | Path) -> Path:
        """Write :meth:`headline` as JSON (atomically) for the batch index."""
        from pipereview.history._store import atomic_write

        target = Path(path)
        with atomic_write(target, "w", encoding="utf-8") as handle:
            json.dump(self.headline(), handle, ensure_ascii=False, indent=2, sort_keys=True)
        return target

    # --- the sections, built in pipereview.delivery._reviewsections ----------------------

    def headline_section(self) -> Section:
        """The headline figures as a small table."""
        return replace(sections.headline_section(self), anchor="headline")

    def figures_table(self, figures: dict[str, Any]) -> str:
        """Headline figures (as :meth:`headline` gives them) as an HTML table in the
        review's language; missing figures are left out."""
        return sections.figures_table(self, figures)

    def changes_section(self) -> Section:
        """This week's waterfall of the open pipeline and the deals behind each step."""
        return replace(_reviewchanges.changes_section(self), anchor="changes")

    def funnel_section(self) -> Section:
        """The open funnel by stage, its shape label and each rep's bottleneck."""
        return replace(sections.funnel_section(self), anchor="funnel")

    def chart_data(self) -> dict[str, pd.DataFrame]:
        """The data of every chart the sections draw, by chart (``changes``, ``funnel``,
        ``forecast``, ``forecast_by_rep``): what a chart shows, whatever its style."""
        return sections.chart_data(self)

    def forecast_section(self) -> Section:
        """Won and weighted open pipeline against the period's target, per rep, and the
        one answer to "will we hit target?" for the team and each rep (the outlook the
        headline and the coaching rules share), with the gap worded by its sign."""
        return replace(sections.forecast_section(self), anchor="forecast")

    def outlook_table(self, reps: pd.DataFrame) -> str:
        """The team's and each rep's outlook as a table: forecast against target (worded
        by its sign), coverage, coverage needed and "will we hit target?"."""
        return sections.outlook_table(self, reps)

    def results_section(self) -> Section:
        """Results compared: the month and quarter to date against the previous month /
        quarter and the same period last year, won by rep, new against existing customers
        and product lines (:mod:`pipereview.delivery._reviewresults`)."""
        from pipereview.delivery._reviewresults import results_section

        return replace(results_section(self), anchor="results")

    def activities_section(self) -> Section:
        """Activity per rep against the team's norm, activities per stage advance and lead
        conversion (:mod:`pipereview.delivery._reviewcompanions`)."""
        return replace(_reviewcompanions.activities_section(self), anchor="activities")

    def collections_section(self) -> Section:
        """Collection rate, days sales outstanding, invoices overdue and the customer
        lifecycle (:mod:`pipereview.delivery._reviewcompanions`)."""
        return replace(_reviewcompanions.collections_section(self), anchor="collections")

    def risks_section(self, limit: int = 10) -> Section:
        """Every flagged open deal and every deal whose stage lacks the evidence, largest
        first: the first ``limit`` of each shown, the rest one click away."""
        return replace(_reviewrisks.risks_section(self, limit), anchor="risks")

    def activity_note(self, risks: pd.DataFrame) -> str:
        """A note naming the open deals whose last activity is dated after the week's end
        (a data problem: counted as 0 days since activity), or ``""`` when none is."""
        return _reviewrisks.activity_note(self, risks)

    def gaps_table(self, gaps: pd.DataFrame, limit: int = 10) -> str:
        """Deals whose recorded stage runs ahead of the evidence (rows of
        :func:`~pipereview.diagnostics._labels.with_labels`), as an HTML table; empty without rows."""
        return _reviewrisks.gaps_table(self, gaps, limit)

    def coaching_section(self) -> Section:
        """The team summary and every rep's coaching sheet."""
        return replace(sections.coaching_section(self), anchor="coaching")
