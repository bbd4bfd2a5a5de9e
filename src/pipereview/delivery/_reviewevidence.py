"""The forecast section's evidence-weighted pipeline: the headline's weighted pipeline
beside the same deals weighted at the stages their evidence supports
(:func:`~pipereview.diagnostics._evidenceforecast.evidence_weighted`), the difference
explained deal by deal (largest first, the rest one click away), and what could not be
checked said as such.

>>> from pipereview.delivery import WeeklyReview
>>> rows = pd.DataFrame({"snapshot_week": "2026-W47", "team": "North", "deal_id": ["006A"],
...     "deal_name": "MES", "account": "Acme", "owner": "Ann", "stage": "negotiation",
...     "stage_model": "generic_4", "amount": [1000.0], "currency": "EUR",
...     "close_date": pd.Timestamp("2026-12-18"), "probability": [None],
...     "budget_confirmed": True, "decision_maker": "Wang", "need_confirmed": True,
...     "timeline_confirmed": False, "solution_presented": False, "quote_sent": False,
...     "competitor": None, "contract_risk_reviewed": False, "verbal_commitment": False})
>>> review = WeeklyReview(rows, team="North", week="2026-W47")
>>> page = evidence_forecast_html(review)
>>> "750 EUR" in page, "250 EUR" in page, "500 EUR lower" in page
(True, True, True)
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import pandas as pd

from pipereview.core._languages import phrase
from pipereview.core._links import record_url
from pipereview.delivery._dealtables import (
    amount_cell,
    amount_cells,
    amount_text,
    header,
    stage_cells,
)

if TYPE_CHECKING:
    from pipereview.delivery._review import WeeklyReview

#: nothing of the package's own: the review's forecast section uses it
__all__: list[str] = []

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("Weighted by the evidence", "按证据加权"),
    "lower": (
        "Weighted pipeline at the stages the CRM records: {claimed}. Weighted at the stages "
        "the evidence supports: {evidence}, that is {change} lower. Deals whose stage runs "
        "ahead of their evidence: {n}; each is weighted at most at its evidence stage's "
        "probability.",
        "按CRM记录的阶段加权：{claimed}；按证据支持的阶段加权：{evidence}，低 {change}。"
        "阶段超前于证据的商机：{n} 个，每个最多按其证据阶段的概率加权。",
    ),
    "same": (
        "Weighted pipeline at the stages the CRM records: {claimed}. No checked deal's stage "
        "runs ahead of its evidence: the evidence supports the same figure.",
        "按CRM记录的阶段加权：{claimed}。已检查的商机中没有阶段超前于证据的，按证据加权结果相同。",
    ),
    "unchecked": (
        "Not checked: deals whose stage could not be checked in full (no {columns} in the "
        "export): {n}. They keep their recorded stage, so with complete evidence the figure "
        "would be {evidence} or lower.",
        "未检查：有 {n} 个商机的阶段无法完整核对（导出中没有{columns}），仍按记录的阶段计算；"
        "证据完整时，按证据加权的结果将不高于 {evidence}。",
    ),
    "probability": ("Probability: used → at the evidence", "概率：所用 → 按证据"),
    "change": ("Weighted lower by", "加权金额减少"),
    "evidence_stage": ("Evidence supports", "证据支持到"),
}


def _t(key: str, lang: str, **values: object) -> str:
    return phrase(_TEXT, key, lang, **values)


def evidence_forecast_html(review: WeeklyReview) -> str:
    """The evidence-weighted pipeline of ``review``'s open deals as the forecast section
    shows it: the two figures and their difference in words, the deals weighted lower
    (largest change first), and a "not checked" line when evidence columns are missing."""
    from pipereview.delivery._dealtables import deal_list_html
    from pipereview.diagnostics._capabilities import column_label
    from pipereview.diagnostics._evidenceforecast import evidence_totals

    deals = review.context.evidence_forecast
    if not len(deals):
        return ""
    lang, currency = review.lang, review.currency
    totals = evidence_totals(deals)
    claimed = amount_text(totals["weighted"], currency)
    evidence = amount_text(totals["weighted_evidence"], currency)
    title = f"<h3>{html.escape(_t('title', lang))}</h3>"
    if totals["lowered"]:
        change = amount_text(-totals["change"], currency)
        words = _t(
            "lower", lang, claimed=claimed, evidence=evidence, change=change, n=totals["lowered"]
        )
    else:
        words = _t("same", lang, claimed=claimed)
    body = title + f"<p>{html.escape(words)}</p>"
    if totals["unchecked"]:
        names = [column_label(c, lang) for c in totals["missing_columns"]]
        separator = "、" if lang == "zh" else ", "
        note = _t(
            "unchecked",
            lang,
            n=totals["unchecked"],
            columns=separator.join(names),
            evidence=evidence,
        )
        body += f'<p class="not-checked">{html.escape(note)}</p>'
    lowered = deals[deals["change"] < 0].sort_values(
        ["change", "deal_id"], ascending=[True, True], kind="stable"
    )
    if len(lowered):
        frame, links = _lowered_deals(review, lowered)
        body += deal_list_html(frame, lang=lang, links=links, shown=3)
    return body


def _lowered_deals(
    review: WeeklyReview, lowered: pd.DataFrame
) -> tuple[pd.DataFrame, list[str | None]]:
    """The deals weighted lower, as display columns (deal ID first) and their CRM links."""
    lang = review.lang
    frame = pd.DataFrame(
        {
            header("deal_id", lang): lowered["deal_id"].astype("str").to_numpy(),
            header("deal", lang): lowered["deal_name"].to_numpy(),
            header("rep", lang): lowered["owner"].to_numpy(),
            header("stage", lang): stage_cells(lowered, "stage", lang),
            _t("evidence_stage", lang): stage_cells(lowered, "evidence_stage", lang),
            header("amount", lang): amount_cells(lowered),
            _t("probability", lang): [
                f"{a:.0%} → {b:.0%}"
                for a, b in zip(
                    lowered["probability_used"], lowered["probability_evidence"], strict=True
                )
            ],
            _t("change", lang): [
                amount_cell(-c, cur)
                for c, cur in zip(lowered["change"], lowered["currency"], strict=True)
            ],
        }
    )
    links = [record_url(review.config.crm_url, deal) for deal in lowered["deal_id"]]
    return frame, links
