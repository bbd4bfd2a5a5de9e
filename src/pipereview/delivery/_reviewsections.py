"""The weekly review's sections as HTML: each section of a
:class:`~pipereview.delivery._review.WeeklyReview` built from its diagnostics, and the small
pieces they share (tables, amounts, "not checked" notes, the forecast figures). Every value
taken from the data is HTML-escaped.

>>> "<td>Ann &amp; Bo</td>" in html_table(pd.DataFrame({"Rep": ["Ann & Bo"], "Deals": [3]}))
True
>>> amount_text(5482.0, "USD"), shape_name("bulge", "zh")
('5,482 USD', '中部鼓包（存在瓶颈）')
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipereview.core import SHAPE_NAMES
from pipereview.delivery._dealtables import amount_text
from pipereview.delivery._reviewcharts import funnel_stages, rep_forecast, waterfall_steps
from pipereview.diagnostics._figures import gap_text, outlook_text
from pipereview.ingest._schema import open_mask

if TYPE_CHECKING:
    from pipereview.delivery._review import WeeklyReview

__all__ = ["Section"]


@dataclass(frozen=True, repr=False)
class Section:
    """A review section: ``title``, an HTML ``body``, the ``anchor`` the report's
    contents link to and a ``css_class`` (``not-available``: a section that only says its
    export is absent, left off the printed report); notebooks display it as HTML. Its
    plain-text form is its title only: a notebook stores a display's HTML and its text
    side by side, and the HTML printed again as text doubled every team's notebook.

    >>> Section("This week at a glance", "<p>4 deals won</p>")
    Section: This week at a glance
    """

    title: str
    body: str
    anchor: str = ""
    css_class: str = ""

    def __repr__(self) -> str:
        return f"Section: {self.title}"

    def _repr_html_(self) -> str:
        where = f' id="{html.escape(self.anchor, quote=True)}"' if self.anchor else ""
        kind = f' class="{html.escape(self.css_class, quote=True)}"' if self.css_class else ""
        return f"<section{where}{kind}><h2>{html.escape(self.title)}</h2>\n{self.body}</section>"


def forecast_figures(row: pd.Series) -> dict[str, Any]:
    """The forecast figures of a :func:`~pipereview.diagnostics._forecast.period_forecast` row as the
    headline keeps them: ``target``, ``gap_to_target`` (signed: target - expected),
    ``coverage``, ``win_rate``, ``coverage_needed`` (None when unknown, and at a 0% win
    rate, where no coverage is enough) and ``outlook``
    (:func:`pipereview.diagnostics._figures.outlook`); None when unknown.

    >>> f = forecast_figures(pd.Series({"target": 100.0, "gap_to_target": -5.0,
    ...     "coverage": 2.0, "win_rate": 0.0, "coverage_needed": float("inf"),
    ...     "outlook": "at_risk"}))
    >>> f["win_rate"], f["coverage_needed"], f["outlook"]
    (0.0, None, 'at_risk')
    """
    out: dict[str, Any] = {}
    for name in ("target", "gap_to_target", "coverage", "win_rate", "coverage_needed"):
        value = row.get(name)
        out[name] = (
            None
            if value is None or pd.isna(value) or value == float("inf")
            else round(float(value), 4)
        )
    outlook = row.get("outlook")
    out["outlook"] = None if outlook is None or pd.isna(outlook) else str(outlook)
    return out


def _currency_of(row: pd.Series, fallback: str) -> str:
    """The row's currency code; ``fallback`` when the row has none (blank or missing)."""
    code = row.get("currency")
    return str(code) if isinstance(code, str) and code.strip() else fallback


def not_checked_html(frame: pd.DataFrame, lang: str, checks: tuple[str, ...]) -> str:
    """The "not checked: the export has no <column>" lines for ``checks`` that ``frame``
    lacks the columns for (:func:`pipereview.diagnostics._capabilities.not_checked_notes`), as HTML."""
    from pipereview.diagnostics._capabilities import not_checked_notes

    return "".join(
        f"<p class='not-checked'>{html.escape(n)}</p>"
        for n in not_checked_notes(frame, lang, checks)
    )


def html_table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, escape=True, border=0, classes="review-table", na_rep="—")


def refusal(review: WeeklyReview, key: str) -> Section | None:
    """The review's section ``key`` saying why its sums are left out, or None when the team's
    deals are in one currency."""
    message = review.mixed_currencies
    if message is None:
        return None
    return Section(review.t(key), f'<p class="refused">{html.escape(message)}</p>')


def headline_section(review: WeeklyReview) -> Section:
    """The headline figures as a small table."""
    figures = review.headline()
    note = (
        f'<p class="refused">{html.escape(figures["refused"])}</p>'
        if figures.get("refused")
        else ""
    )
    return Section(review.t("headline"), figures_table(review, figures) + note)


def figures_table(review: WeeklyReview, figures: dict[str, Any]) -> str:
    """Headline figures (as :meth:`WeeklyReview.headline` gives them) as an HTML table in the
    review's language; missing figures are left out."""
    rows = []
    for key in (
        "open_deals",
        "open_amount",
        "weighted_pipeline",
        "won_amount",
        "target",
        "gap_to_target",
        "coverage",
        "coverage_needed",
        "outlook",
        "new_deals",
    ):
        value = figures.get(key)
        if value is None and key == "new_deals" and key in figures and not figures.get("refused"):
            text = review.t("new_unknown")
        elif value is None and key == "coverage_needed" and figures.get("win_rate") == 0:
            text = review.t("no_coverage_enough")
        elif value is None:
            continue
        elif key == "gap_to_target":
            text = gap_text(value, review.currency, review.lang)
        elif key == "outlook":
            text = outlook_text(str(value), review.lang)
        elif key.startswith("coverage"):
            text = f"{value:.2f}x"
        else:
            text = f"{value:,}" if isinstance(value, int) else amount_text(value, review.currency)
        rows.append({review.t("figure"): review.t(key), review.t("value"): text})
    return html_table(pd.DataFrame(rows))


def funnel_section(review: WeeklyReview) -> Section:
    """The open funnel by stage, its shape label and each rep's bottleneck, then its
    stages against the method's standards."""
    from pipereview import charts
    from pipereview.core._stages import load_stage_model

    if refused := refusal(review, "funnel"):
        return refused

    table = funnel_stages(review)
    model = load_stage_model(str(table["stage_model"].iloc[0])) if len(table) else None
    chart = charts.funnel_chart(
        table.rename(columns={"count": "deals"}), stage_model=model, lang=review.lang
    )
    reps = review.context.shape_rep
    healthy = reps["label"].astype("str") == "healthy"  # named in one line, the rest listed
    others = reps[~healthy]
    shown = pd.DataFrame(
        {
            review.t("rep"): others["owner"],
            review.t("label"): [shape_name(x, review.lang) for x in others["label"]],
            review.t("bottleneck"): [
                model.stage(s).label_in(review.lang) if model and s else ""
                for s in map(bottleneck_stage, others["label"].astype(str), others["stage"])
            ],
        }
    )
    from pipereview.delivery._reviewbenchmarks import benchmarks_html

    body = charts.svg_html(chart) + (html_table(shown) if len(shown) else "")
    if healthy.any():
        names = ("、" if review.lang == "zh" else ", ").join(map(str, reps.loc[healthy, "owner"]))
        line = review.t("healthy_reps").format(label=shape_name("healthy", review.lang), reps=names)
        body += f"<p>{html.escape(line)}</p>"
    body += benchmarks_html(review)
    return Section(review.t("funnel"), body)


def chart_data(review: WeeklyReview) -> dict[str, pd.DataFrame]:
    """The data of every chart the review draws, by chart: ``changes`` (the waterfall's
    steps), ``funnel`` (stages), ``forecast`` (the team) and ``forecast_by_rep``; a chart
    the review does not draw (no previous week, no targets, a column the export lacks) is
    not listed."""
    out: dict[str, pd.DataFrame] = {}
    moved = None if refusal(review, "changes") else waterfall_steps(review)
    if moved is not None:
        out["changes"] = moved[1].copy(deep=False)  # the sections' own stays as it is
    if not refusal(review, "funnel"):
        out["funnel"] = funnel_stages(review)
    if not refusal(review, "forecast") and review.targets is not None:
        out["forecast"] = review.forecast
        reps = rep_forecast(review)
        if len(reps):
            out["forecast_by_rep"] = reps
    return out


def bottleneck_stage(label: str, stage: object) -> str:
    """The stage a "Bottleneck stage" cell names: a bulge's stage only. A funnel whose
    open deals all sit in one stage has no bottleneck to name: its label says so.

    >>> bottleneck_stage("bulge", "negotiation"), bottleneck_stage("one_stage", "negotiation")
    ('negotiation', '')
    """
    return str(stage) if label == "bulge" and isinstance(stage, str) else ""


def shape_name(label: str, lang: str) -> str:
    """A funnel shape label (:data:`pipereview.core.SHAPE_NAMES`) in ``lang``; an unknown
    label as it is."""
    en, zh = SHAPE_NAMES.get(label, (label, label))
    return zh if lang == "zh" else en


def forecast_section(review: WeeklyReview) -> Section:
    """Won and weighted open pipeline against the period's target, per rep, and the
    one answer to "will we hit target?" for the team and each rep (the outlook the
    headline and the coaching rules share), with the gap worded by its sign; then the
    weighted pipeline again at the stages the evidence supports, and the stage
    probabilities it uses against what history shows."""
    from pipereview import charts
    from pipereview.delivery._reviewcalibration import calibration_html
    from pipereview.delivery._reviewevidence import evidence_forecast_html

    if refused := refusal(review, "forecast"):
        return refused
    honest = evidence_forecast_html(review) + calibration_html(review)
    if review.targets is None:
        body = f"<p>{html.escape(review.t('no_targets'))}</p>"
        return Section(review.t("forecast"), body + honest)
    reps = rep_forecast(review)
    body = charts.svg_html(charts.forecast_chart(review.forecast, lang=review.lang))
    if len(reps):
        body += charts.svg_html(charts.forecast_chart(reps, by="rep", lang=review.lang))
    body += outlook_table(review, reps) + plan_rule_html(review)
    return Section(review.t("forecast"), body + honest)


def plan_rule_html(review: WeeklyReview) -> str:
    """The rule the team's plan to date follows, as one paragraph in the review's
    language (:meth:`~pipereview.week.WeekDiagnostics.plan_rule`): printed wherever the
    targets are, so no one reads a plan without knowing how it was spread."""
    rule = review.context.plan_rule(review.team, review.lang)
    text = f"{rule}。" if review.lang == "zh" else f"{rule[:1].upper()}{rule[1:]}."
    return f'<p class="plan-rule">{html.escape(text)}</p>'


def outlook_table(review: WeeklyReview, reps: pd.DataFrame) -> str:
    """The team's and each rep's outlook as a table: forecast against target (worded
    by its sign), coverage, coverage needed and "will we hit target?"."""
    rows = [] if review.forecast.empty else [(review.team, review.forecast.iloc[0])]
    rows += [(str(row["owner"]), row) for _, row in reps.iterrows()]
    if not rows:
        return ""
    lines = []
    for name, row in rows:
        figures = forecast_figures(row)
        need = figures["coverage_needed"]
        lines.append(
            {
                review.t("rep"): name,
                review.t("gap_to_target"): gap_text(
                    figures["gap_to_target"], _currency_of(row, review.currency), review.lang
                ),
                review.t("coverage"): (
                    "—" if figures["coverage"] is None else f"{figures['coverage']:.2f}x"
                ),
                review.t("coverage_needed"): (
                    f"{need:.2f}x"
                    if need is not None
                    else review.t("no_coverage_enough")
                    if figures["win_rate"] == 0
                    else "—"
                ),
                review.t("outlook"): outlook_text(str(figures["outlook"]), review.lang),
            }
        )
    return html_table(pd.DataFrame(lines))


def coaching_section(review: WeeklyReview) -> Section:
    """The team summary, the reps side by side (:mod:`~pipereview.delivery._reviewreps`)
    and every rep's coaching sheet."""
    from pipereview.coaching import team_sheets, team_summary
    from pipereview.delivery._reviewreps import reps_html

    if refused := refusal(review, "coaching"):
        return refused
    from pipereview.diagnostics._capabilities import COACHING_CHECKS, not_checked_notes

    prompts = review.coaching_prompts
    notes = not_checked_notes(review.latest[open_mask(review.latest)], review.lang, COACHING_CHECKS)
    sheets = team_sheets(
        prompts,
        review.team,
        set(review.latest["owner"]),
        as_of=review.week,
        context=review.context,
        not_checked=notes,
    )
    summary = team_summary(
        prompts, review.team, as_of=review.week, not_checked=notes, sheets=sheets
    )
    body = summary.to_html() + reps_html(review)
    body += "".join(sheet.to_html() for sheet in sheets.values())
    return Section(review.t("coaching"), body)
