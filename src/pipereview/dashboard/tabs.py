"""The dashboard's six tabs as HTML: overview, changes, funnel, results compared, deals at
risk, coaching.

Each tab is a function of the loaded data and a :class:`~pipereview.dashboard.view.View`
(:func:`render`, looked up in :data:`TAB_HTML`): drawing one view never changes another
view, nor the selection of the dashboard drawing it. The views worth drawing ahead
(:func:`warm_views`, :func:`likely_views`) are :mod:`pipereview.dashboard._likely`'s."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipereview.core._errors import InputError
from pipereview.dashboard._drill import changes_table_html, ordered_changes, stage_deals_html
from pipereview.dashboard._forecasttab import forecast_tab_html
from pipereview.dashboard._likely import likely_views, warm_views
from pipereview.dashboard._text import ROW_LIMIT, TABS, text
from pipereview.dashboard._trend import trend_html
from pipereview.dashboard.data import DashboardData
from pipereview.dashboard.view import Selection, View
from pipereview.delivery._dealtables import amount_text
from pipereview.delivery._review import WeeklyReview
from pipereview.delivery._reviewsections import (
    bottleneck_stage,
    html_table,
    not_checked_html,
    plan_rule_html,
    shape_name,
)
from pipereview.diagnostics._figures import days_text

__all__ = [
    "SEARCHED",
    "TAB_HTML",
    "TabContext",
    "likely_views",
    "matching",
    "render",
    "warm_views",
]

#: The tabs whose deal tables the search box filters.
SEARCHED: tuple[str, ...] = ("changes", "risks")
#: The columns a search looks in.
_SEARCHED_COLUMNS: tuple[str, ...] = ("deal_name", "account", "owner", "deal_id")


def matching(deals: pd.DataFrame, search: str) -> pd.DataFrame:
    """The rows of ``deals`` whose deal, account, rep or deal ID contains ``search``
    (ignoring case and surrounding spaces); every row for an empty search.

    >>> deals = pd.DataFrame({"deal_name": ["MES", "ERP"], "account": ["Acme", "Beta"],
    ...     "owner": ["Ann", "Bo"], "deal_id": ["D1", None]})
    >>> matching(deals, " acme ")["deal_name"].tolist(), len(matching(deals, ""))
    (['MES'], 2)
    """
    text = search.strip().casefold()
    if not text:
        return deals
    hit = pd.Series(False, index=deals.index)
    for column in _SEARCHED_COLUMNS:
        if column in deals.columns:
            values = deals[column].astype("object").where(deals[column].notna(), "")
            hit |= values.astype(str).str.casefold().str.contains(text, regex=False)
    return deals[hit]


@dataclass(frozen=True)
class TabContext(Selection):
    """One view of the loaded data, as a tab draws it: the ``view``'s selection and
    language over ``data`` (each tab of :data:`TAB_HTML` is a function of it)."""

    data: DashboardData
    view: View

    @property
    def targets(self) -> pd.DataFrame | None:
        return self.data.targets

    @property
    def review(self) -> WeeklyReview:
        """The view's :class:`~pipereview.delivery._review.WeeklyReview`."""
        return self.data.review(self.view)

    def t(self, key: str, **values: object) -> str:
        """A fixed text of the dashboard in the view's language."""
        return text(key, self.view.lang, **values)

    def figures(self) -> dict[str, Any]:
        """The view's headline figures."""
        return self.data.figures(self.view)

    def movements(self) -> pd.DataFrame:
        """The view's deal movements against the team's previous stored week."""
        return self.data.movements(self.view)

    def _stage_names(self, keys: pd.Series) -> list[str]:
        return self.data.stage_names(self.view, keys)

    def _model(self) -> Any:
        return self.data.model(self.view)

    def _no_open(self) -> str | None:
        if len(self.review.context.open_deals) == 0:
            return (
                f"<p class='pr-empty'>"
                f"{html.escape(self.t('no_open', team=self.team, week=self.week))}</p>"
            )
        return None

    def _overview_html(self) -> str:
        from pipereview import charts

        review = self.review
        figures = self.figures()
        body = (
            f"<div class='pr-figures' data-open-amount='{figures['open_amount']:.2f}'>"
            f"{review.figures_table(figures)}</div>"
        )
        body += trend_html(review, self.rep, self.lang)
        body += self._no_open() or ""
        if self.targets is None:
            return body + f"<p>{html.escape(review.t('no_targets'))}</p>"
        if self.rep:
            reps = review.context.forecast_rep
            mine = reps[(reps["owner"] == self.rep) & reps["target"].notna()] if len(reps) else reps
            if not len(mine):
                return (
                    body + f"<p>{html.escape(self.t('no_rep_targets', period=review.period))}</p>"
                )
            chart = charts.svg_html(charts.forecast_chart(mine, by="rep", lang=self.lang))
            return body + chart + plan_rule_html(review)
        body += charts.svg_html(charts.forecast_chart(review.forecast, lang=self.lang))
        reps = review.context.forecast_rep
        reps = reps[reps["target"].notna()] if len(reps) else reps
        if len(reps):
            body += charts.svg_html(charts.forecast_chart(reps, by="rep", lang=self.lang))
        return body + plan_rule_html(review)

    def _changes_html(self) -> str:
        from pipereview import charts
        from pipereview.delivery._reviewteam import team_waterfall
        from pipereview.diagnostics import rebuilt_note

        review = self.review
        if len(review.history["snapshot_week"].unique()) < 2:
            return f"<p class='pr-empty'>{html.escape(review.t('no_previous'))}</p>"
        moves = self.movements()
        note = rebuilt_note(review.history, self.lang)  # weeks rebuilt by a backfill
        body = (f"<p class='pr-note'>{html.escape(note)}</p>" if note else "") + charts.svg_html(
            charts.waterfall_chart(
                team_waterfall(review, moves), lang=self.lang, period=review.period
            )
        )
        shown = moves[moves["category"] != "unchanged"]
        if self.category:
            shown = shown[shown["category"] == self.category]
        if self.search and len(shown):
            shown = matching(shown, self.search)
            if not len(shown):
                return body + f"<p>{html.escape(self.t('no_match', text=self.search))}</p>"
        if not len(shown):
            return body + f"<p>{html.escape(self.t('no_changes'))}</p>"
        return body + changes_table_html(self.data, self.view, ordered_changes(shown, self.order))

    def _funnel_html(self) -> str:
        from pipereview import charts
        from pipereview.diagnostics._funnel import stage_table

        review = self.review
        empty = self._no_open()
        if empty:
            return empty
        model = self._model()
        context = review.context
        if self.rep:
            table = context.stage_table_rep
            table = table[(table["owner"] == self.rep)]
            shape = context.shape_rep[context.shape_rep["owner"] == self.rep]
        else:
            table = stage_table(review.prepared, as_of=review.week)
            shape = context.shape_team
        body = charts.svg_html(
            charts.funnel_chart(
                table.rename(columns={"count": "deals"}), stage_model=model, lang=self.lang
            )
        )
        body += stage_deals_html(self.data, self.view) if self.stage else ""
        rows = []
        for _, row in shape.iterrows():
            evidence = ""
            if row["stage"] and pd.notna(row["stage"]):
                evidence = self.t(
                    "stuck",
                    n=int(row["stuck_count"]),
                    amount=amount_text(float(row["stuck_amount"]), review.currency),
                    age=days_text(row["stuck_median_age_days"], False, self.lang, unit=False),
                )
            named = bottleneck_stage(str(row["label"]), row["stage"])
            stage = (
                model.stage(named).label_in(self.lang)
                if model is not None and named in model.keys
                else ""
            )
            rows.append(
                {
                    review.t("rep"): row["owner"] or self.team,
                    review.t("label"): shape_name(str(row["label"]), self.lang),
                    review.t("bottleneck"): stage,
                    self.t("evidence"): evidence,
                }
            )
        body += f"<div class='pr-shape'>{html_table(pd.DataFrame(rows))}</div>"
        rates = self._move_on(model)
        if len(rates):
            body += charts.svg_html(
                charts.conversion_chart(rates, lang=self.lang), label=self.t("title_moveon")
            )
        if not self.rep:  # the team's stages against the method's standards and history
            from pipereview.delivery._reviewbenchmarks import benchmarks_html
            from pipereview.delivery._reviewcalibration import calibration_html

            body += f"<div class='pr-benchmarks'>{benchmarks_html(review)}</div>"
            body += f"<div class='pr-calibration'>{calibration_html(review)}</div>"
        return body

    def _move_on(self, model: Any) -> pd.DataFrame:
        context = self.review.context
        team = context.move_on_team
        if model is None or not len(team):
            return pd.DataFrame()
        team_rate = team.set_index("stage")["move_on_rate"]
        if self.rep:
            mine = context.move_on_rep[context.move_on_rep["owner"] == self.rep]
            rate, reference = mine.set_index("stage")["move_on_rate"], team_rate
        else:
            rate, reference = team_rate, pd.Series(dtype=float)
        keys = list(model.keys)
        rows = []
        for stage in model.open_stages:
            if stage.key not in rate.index:
                continue
            nxt = keys[keys.index(stage.key) + 1] if keys.index(stage.key) + 1 < len(keys) else ""
            rows.append(
                {
                    "from_stage": stage.label_in(self.lang),
                    "to_stage": model.stage(nxt).label_in(self.lang) if nxt else "",
                    "conversion": float(rate[stage.key]),
                    "reference": float(reference.get(stage.key, float("nan"))),
                }
            )
        return pd.DataFrame(rows)

    def _results_html(self) -> str:
        """The review's results compared (:mod:`pipereview.delivery._reviewresults`) for
        the view's team, or its rep's own figures."""
        from pipereview.delivery._reviewresults import results_blocks

        review = self.review
        if review.mixed_currencies is not None:  # amounts in several currencies: none added
            return f"<p class='refused'>{html.escape(review.mixed_currencies)}</p>"
        return f"<div class='pr-results'>{''.join(results_blocks(review, self.rep))}</div>"

    def _risks_html(self) -> str:
        from pipereview.core import RISK_LABELS
        from pipereview.diagnostics._labels import with_labels

        review = self.review
        empty = self._no_open()
        if empty:
            return empty
        risks = matching(review.context.risks, self.search)
        if self.rep:
            risks = risks[risks["owner"] == self.rep]
        if self.search and not len(risks[risks["risk_count"] > 0]):
            return f"<p>{html.escape(self.t('no_match', text=self.search))}</p>"
        flagged = risks[risks["risk_count"] > 0].sort_values(
            [self.sort, "amount", "deal_key"],
            ascending=[False, False, True],
            kind="stable",
            na_position="last",
        )
        labels = {k: (zh if self.lang == "zh" else en) for k, (en, zh) in RISK_LABELS.items()}
        sep = "、" if self.lang == "zh" else ", "
        total = len(flagged)
        flagged = flagged.head(ROW_LIMIT)
        if total:
            body = html_table(
                pd.DataFrame(
                    {
                        review.t("rep"): flagged["owner"],
                        review.t("deal"): flagged["deal_name"],
                        review.t("account"): flagged["account"],
                        review.t("stage"): self._stage_names(flagged["stage"]),
                        review.t("amount"): [
                            amount_text(a, c)
                            for a, c in zip(flagged["amount"], flagged["currency"], strict=True)
                        ],
                        # whole days; "≥" where the stay began before the first stored week
                        self.t("days_in_stage"): [
                            days_text(d, b, self.lang, unit=False)
                            for d, b in zip(
                                flagged["days_in_stage"],
                                flagged.get(
                                    "days_in_stage_lower_bound",
                                    pd.Series(False, index=flagged.index),
                                ),
                                strict=True,
                            )
                        ],
                        self.t("push_count"): flagged["push_count"],
                        self.t("days_since_activity"): [
                            days_text(d, False, self.lang, unit=False)
                            for d in flagged["days_since_activity"]
                        ],
                        review.t("risks_col"): [
                            sep.join(labels[r] for r in rs) for rs in flagged["risks"]
                        ],
                    }
                )
            )
            if total > ROW_LIMIT:
                body = f"<p>{html.escape(self.t('shown', shown=ROW_LIMIT, total=total))}</p>" + body
        else:
            body = f"<p>{html.escape(review.t('no_risk'))}</p>"
        gaps = with_labels(review.context.gaps, self.lang)
        gaps = matching(gaps[gaps["inflated"] & (gaps["team"] == self.team)], self.search)
        if self.rep:
            gaps = gaps[gaps["owner"] == self.rep]
        gaps = gaps.sort_values(["amount", "deal_id"], ascending=[False, True]).head(ROW_LIMIT)
        notes = not_checked_html(
            self._team_open_deals(), self.lang, ("stage_inflation", "stalled_deal")
        )
        return f"<div class='pr-risks'>{body}{review.gaps_table(gaps)}{notes}</div>"

    def _team_open_deals(self) -> pd.DataFrame:
        """The team's open deals in the as-of week (what the not-checked notes read)."""
        deals: pd.DataFrame = self.review.context.open_deals
        return deals[deals["team"] == self.team]

    def _coaching_html(self) -> str:
        from pipereview.coaching import team_sheets, team_summary
        from pipereview.delivery._reviewreps import reps_html
        from pipereview.diagnostics._capabilities import COACHING_CHECKS, not_checked_notes

        review = self.review
        prompts = review.coaching_prompts
        notes = not_checked_notes(self._team_open_deals(), self.lang, COACHING_CHECKS)
        team = set(prompts.loc[prompts["team"] == self.team, "owner"])
        sheets = team_sheets(  # the summary quotes each rep's first point of the rep's sheet
            prompts,
            self.team,
            {self.rep} if self.rep else team,
            as_of=review.week,
            context=review.context,
            not_checked=notes,
        )
        if self.rep:
            return sheets[self.rep].to_html()
        summary = team_summary(
            prompts, self.team, as_of=review.week, not_checked=notes, sheets=sheets
        )
        return summary.to_html() + reps_html(review)


#: Each tab by name (in the page's order), drawn by a function of a :class:`TabContext`.
TAB_HTML: dict[str, Callable[[TabContext], str]] = {
    "overview": TabContext._overview_html,
    "changes": TabContext._changes_html,
    "funnel": TabContext._funnel_html,
    "results": TabContext._results_html,
    "forecast": forecast_tab_html,
    "risks": TabContext._risks_html,
    "coaching": TabContext._coaching_html,
}


def render(data: DashboardData, tab: str, view: View) -> str:
    """The HTML body of ``tab`` (one of :data:`~pipereview.dashboard.TABS`) for ``view``
    of ``data``: a function of the three alone (each tab is drawn once per view and kept
    in ``data.html`` under :meth:`View.key`), so drawing another view first changes
    nothing here."""
    if tab not in TAB_HTML:
        raise InputError(
            f"unknown tab {tab!r}; tabs: {', '.join(TABS)}", hint="name one of the dashboard's tabs"
        )
    if not view.week:
        return f"<p class='pr-empty'>{html.escape(text('no_data', view.lang))}</p>"
    key = view.key(tab)
    if key not in data.html:
        data.html[key] = TAB_HTML[tab](TabContext(data, view))
    return data.html[key]
