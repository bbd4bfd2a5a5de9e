"""The weekly review's risks section: every flagged open deal and every deal whose stage
runs ahead of its evidence, largest first, the first few shown and the rest one click away,
with what a manager asks about each (stage, close date, days in stage, pushes, forecast
category, the rep's next step) and a link to its CRM record.

>>> from pipereview.config import Config
>>> from pipereview.delivery import WeeklyReview
>>> rows = pd.DataFrame({"snapshot_week": "2026-W47", "team": "North", "deal_id": ["006A"],
...     "deal_name": "MES", "account": "Acme", "owner": "Ann", "stage": "negotiation",
...     "stage_model": "generic_4", "amount": [5000.0], "currency": "EUR",
...     "close_date": pd.Timestamp("2026-11-02"), "probability": [0.8]})
>>> review = WeeklyReview(rows, team="North", week="2026-W47",
...     config=Config(crm_url="https://crm.example/deal/{deal_id}"))
>>> page = risks_section(review).body
>>> "close date passed" in page, '<a href="https://crm.example/deal/006A"' in page
(True, True)
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import pandas as pd

from pipereview.core import RISK_LABELS
from pipereview.core._links import record_url
from pipereview.core._weeks import Week
from pipereview.delivery._reviewsections import Section, not_checked_html
from pipereview.ingest._schema import open_mask

if TYPE_CHECKING:
    from pipereview.delivery._review import WeeklyReview

#: nothing of the package's own: the review uses these
__all__: list[str] = []


def risks_section(review: WeeklyReview, limit: int = 10) -> Section:
    """Every flagged open deal, largest first (the first ``limit`` shown, the rest one
    click away), with its stage, close date, days in stage, pushes, forecast category and
    next step; then every deal whose stage runs ahead of its evidence, the same way."""
    from pipereview.delivery._dealtables import deal_list_html
    from pipereview.diagnostics._labels import with_labels
    from pipereview.diagnostics._process import process_gaps

    risks = review.context.risks
    flagged = risks[risks["risk_count"] > 0].sort_values(
        ["amount", "deal_key"], ascending=[False, True], kind="stable"
    )
    if len(flagged):
        frame, links = risk_deals(review, flagged)
        body = f"<h3>{html.escape(review.t('flagged'))}</h3>" + deal_list_html(
            frame, lang=review.lang, shown=limit, links=links
        )
    else:
        body = f"<p>{html.escape(review.t('no_risk'))}</p>"
    gaps = with_labels(
        process_gaps(review.latest[open_mask(review.latest)], review.stage_model),
        review.lang,
        review.stage_model,
    )
    gaps = gaps[gaps["inflated"]].sort_values(["amount", "deal_id"], ascending=[False, True])
    notes = not_checked_html(
        review.latest[open_mask(review.latest)], review.lang, ("stage_inflation", "stalled_deal")
    )
    return Section(
        review.t("risks"),
        body + gaps_table(review, gaps, limit) + notes + activity_note(review, risks),
    )


def _this_week(review: WeeklyReview, keys: pd.Series, column: str) -> list[object]:
    """This week's ``column`` of the deals ``keys`` (``deal_key``), None where unknown."""
    if column not in review.latest.columns:
        return [None] * len(keys)
    values = review.latest.drop_duplicates("deal_key").set_index("deal_key")[column]
    return [values.get(k) for k in keys]


def risk_deals(
    review: WeeklyReview, flagged: pd.DataFrame
) -> tuple[pd.DataFrame, list[str | None]]:
    """Flagged deals (rows of :func:`~pipereview.diagnostics.deal_risks`) as a deal list,
    in their order, with each deal's CRM link."""
    from pipereview.delivery._dealtables import (
        amount_cells,
        category_text,
        date_text,
        header,
        stage_cells,
        text_or_none,
    )

    lang = review.lang
    labels = {k: (zh if lang == "zh" else en) for k, (en, zh) in RISK_LABELS.items()}
    sep = "、" if lang == "zh" else ", "
    frame = pd.DataFrame(
        {
            header("deal_id", lang): [text_or_none(v) for v in flagged["deal_id"]],
            header("deal", lang): [text_or_none(v) for v in flagged["deal_name"]],
            header("account", lang): [text_or_none(v) for v in flagged["account"]],
            header("rep", lang): [text_or_none(v) for v in flagged["owner"]],
            header("stage", lang): stage_cells(flagged, "stage", lang),
            header("amount", lang): amount_cells(flagged),
            header("close_date", lang): [date_text(v) for v in flagged["close_date"]],
            header("days_in_stage", lang): [
                None if pd.isna(v) else f"{int(v)}" for v in flagged["days_in_stage"]
            ],
            header("pushes", lang): [
                None if pd.isna(v) else f"{int(v)}" for v in flagged["push_count"]
            ],
            header("forecast_category", lang): [
                category_text(v, lang)
                for v in _this_week(review, flagged["deal_key"], "forecast_category")
            ],
            header("next_step", lang): [
                text_or_none(v) for v in _this_week(review, flagged["deal_key"], "next_step")
            ],
            header("risks", lang): [sep.join(labels[r] for r in rs) for rs in flagged["risks"]],
        }
    )
    return frame, [record_url(review.config.crm_url, d) for d in flagged["deal_id"]]


def activity_note(review: WeeklyReview, risks: pd.DataFrame) -> str:
    """A note naming the open deals whose last activity is dated after the week's end
    (a data problem: counted as 0 days since activity), or ``""`` when none is."""
    late = (
        risks[risks["activity_after_as_of"].fillna(False).astype(bool)]
        if "activity_after_as_of" in risks
        else risks.iloc[:0]
    )
    if not len(late):
        return ""
    names = "、".join if review.lang == "zh" else ", ".join
    shown = names(str(n) for n in late["deal_name"].head(5))
    more = len(late) - min(len(late), 5)
    end = Week.parse(str(review.week)).sunday.isoformat()
    if review.lang == "zh":
        text = (
            f"{len(late)} 个在跟商机的最近跟进日期晚于本周结束日（{end}），属于数据问题，"
            f"按 0 天计算：{shown}" + (f" 等 {more} 个" if more else "") + "。"
        )
    else:
        text = (
            f"{len(late)} open deal(s) have a last activity dated after the end of the week "
            f"({end}), a data problem counted as 0 days since activity: {shown}"
            + (f" and {more} more" if more else "")
            + "."
        )
    return f'<p class="data-note">{html.escape(text)}</p>'


def gaps_table(review: WeeklyReview, gaps: pd.DataFrame, limit: int = 10) -> str:
    """Deals whose recorded stage runs ahead of the evidence (rows of
    :func:`~pipereview.diagnostics._labels.with_labels`), in their order, as a deal list
    (the first ``limit`` shown, the rest one click away); empty without rows."""
    from pipereview.delivery._dealtables import amount_cells, deal_list_html, header, text_or_none

    if not len(gaps):
        return ""
    lang = review.lang
    sep = "、" if lang == "zh" else ", "
    frame = pd.DataFrame(
        {
            header("deal_id", lang): [text_or_none(v) for v in gaps["deal_id"]],
            header("deal", lang): [text_or_none(v) for v in gaps["deal_name"]],
            header("rep", lang): [text_or_none(v) for v in gaps["owner"]],
            header("amount", lang): amount_cells(gaps),
            review.t("stage"): gaps["claimed_stage_label"].to_numpy(),
            review.t("evidence_stage"): gaps["evidence_stage_label"].to_numpy(),
            review.t("missing"): [sep.join(m) for m in gaps["missing_labels"]],
        }
    )
    links = [record_url(review.config.crm_url, d) for d in gaps["deal_id"]]
    return f"<h3>{html.escape(review.t('gaps'))}</h3>" + deal_list_html(
        frame, lang=lang, shown=limit, links=links
    )
