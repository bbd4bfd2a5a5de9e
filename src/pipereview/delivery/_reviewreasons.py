"""The review's section "Why the pipeline changed": the reasons for every change since the
stored week before, by reason (deals and the effect on the period's pipeline, worded by its
sign), each reason's deals (the largest by money first, the rest one click away), and the
forecast-category from→to matrix. The reasons are :func:`pipereview.forecasting.change_reasons`'
and the matrix :func:`pipereview.forecasting.category_matrix`'s; every value taken from the
data is HTML-escaped and each deal ID links to its CRM record when the configuration gives
``crm_url``.

A review reads the rows of its team's deals (``WeeklyReview.team_deals``: of a deal that
changed team, its handover rows in the other team too), so a reorganisation reads as one: a deal
that joined the team is ``moved_in`` ("moved from <team>"), one that left it ``moved_out``
("moved to <team>"), never new, lost or dropped. Only the rows :func:`change_reasons`
gives the team are listed; the scope and the matrix are the team's own pipelines.

>>> from pipereview.delivery._review import WeeklyReview
>>> day = pd.Timestamp("2026-11-30")
>>> w1 = pd.DataFrame({"snapshot_week": "2026-W47", "team": "North", "deal_id": ["D1"],
...     "deal_name": "MES", "account": "Acme", "owner": "Ann", "stage": "negotiation",
...     "stage_model": "generic_4", "amount": [1000.0], "currency": "EUR",
...     "close_date": day})
>>> h = pd.concat([w1, w1.assign(snapshot_week="2026-W48", amount=800.0)])
>>> body = reasons_section(WeeklyReview(h, team="North", week="2026-W48", lang="en")).body
>>> "removes 200 EUR" in body, "not available: the export has no forecast category" in body
(True, True)
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipereview.core._links import record_url
from pipereview.core._vocabulary import MATRIX_LABELS, REASON_LABELS
from pipereview.delivery._dealtables import (
    amount_cell,
    amount_text,
    category_text,
    colon,
    deal_list_html,
    from_to,
    header,
    stage_text,
    text_or_none,
)
from pipereview.delivery._reviewchanges import change_text
from pipereview.delivery._reviewsections import Section, html_table, refusal
from pipereview.diagnostics._waterfall import waterfall
from pipereview.forecasting._categorymatrix import CategoryMatrix, category_matrix
from pipereview.forecasting._reasons import change_reasons, reasons_summary, week_movements

if TYPE_CHECKING:
    from pipereview.delivery._review import WeeklyReview

__all__: list[str] = []  # reached through WeeklyReview.reasons_section

_SHOWN = 5  # each reason's deals shown before the click
_TEXT: dict[str, tuple[str, str]] = {
    "summary": ("The changes by reason", "按原因汇总的变化"),
    "scope": (
        "Since {before}: the open deals expected to close in {period} came to {opening} "
        "in {before} and {closing} in {after} ({moved}). Each deal's change is counted once, "
        "under the reason that moved it into or out of the pipeline, or changed its amount "
        "there; a deal's other reasons say no change. Category moves say what entered or "
        "left that forecast category and are not part of the sum.",
        "自 {before} 以来：预计在 {period} 成交的在跟商机在 {before} 为 {opening}，"
        "在 {after} 为 {closing}（{moved}）。每个商机的变化只计一次，计入使其进出管道或"
        "改变其在管道中金额的原因；该商机的其他原因显示无变化。预测类别的转入转出表示进出该"
        "类别的金额，不计入合计。",
    ),
    "up": ("up {amount}", "增加 {amount}"),
    "down": ("down {amount}", "减少 {amount}"),
    "flat": ("no change", "持平"),
    "reason": ("Reason", "原因"),
    "detail": ("What changed", "变化内容"),
    "effect": ("Effect on the {period} pipeline", "对 {period} 管道的影响"),
    "into": ("moves {amount} into {category}", "{amount} 转入{category}"),  # zh: the reason's
    "out_of": ("moves {amount} out of {category}", "{amount} 移出{category}"),  # words first
    "lists": ("The deals behind each reason", "每个原因背后的商机"),
    "matrix": (
        "Forecast categories: {before} (rows) → {after} (columns)",
        "预测类别：{before}（行）→ {after}（列）",
    ),
    "matrix_note": (
        "Deals in either week's {period} pipeline; each cell: deals · amount ({after}'s, "
        "{before}'s for deals gone).",
        "两周中任一周在 {period} 管道中的商机；每格：商机数 · 金额（{after} 的金额，"
        "已消失的商机为 {before} 的金额）。",
    ),
    "not_available": (
        "not available: the export has no forecast category",
        "不可用：导出中没有预测类别",
    ),
    "nothing": ("No deal changed since {before}.", "自 {before} 以来没有商机发生变化。"),
    "moved_to": ("moved to {team}", "调往 {team}"),
    "moved_from": ("moved from {team}", "从 {team} 调入"),
    "amount_up": ("up {change} ({pct}) from {before}", "比 {before} 增加 {change}（{pct}）"),
    "amount_down": ("down {change} ({pct}) from {before}", "比 {before} 减少 {change}（{pct}）"),
    "merged": ("merged into {deal}", "合并到 {deal}"),
    "deleted": ("deleted", "已删除"),
}


def _t(key: str, lang: str, **values: object) -> str:
    en, zh = _TEXT[key]
    return (zh if lang == "zh" else en).format(**values)


def _word(labels: dict[str, tuple[str, str]], key: str, lang: str) -> str:
    en, zh = labels.get(key, (key, key))
    return zh if lang == "zh" else en


def reasons_section(review: WeeklyReview) -> Section:
    """The "Why the pipeline changed" section of the review's week against the stored week
    before it: the summary by reason, the deals behind each reason and the category
    matrix."""
    title = review.t("reasons")
    weeks = sorted(review.history["snapshot_week"].astype("str").unique())
    if len(weeks) < 2:
        return Section(title, f"<p>{html.escape(review.t('no_previous'))}</p>")
    if refused := refusal(review, "reasons"):  # amounts in two currencies are never added
        return refused
    before, after = weeks[-2], str(review.week)
    deals, team = review.team_deals, review.team  # with the other team's rows of a move
    moves = week_movements(deals, before, after)  # read by the reasons, matrix and scope
    found = change_reasons(deals, before, after, period=review.period, movements=moves)
    reasons = found[(found["team"] == team).to_numpy(dtype=bool)]  # the team's rows only
    reasons.attrs = dict(found.attrs)
    matrix = category_matrix(deals, before, after, team=team, period=review.period, movements=moves)
    lang = review.lang
    if reasons.empty:
        body = f"<p>{html.escape(_t('nothing', lang, before=before))}</p>"
    else:
        body = (
            f'<p class="scope">{html.escape(_scope(review, moves, before, after))}</p>'
            + _summary_html(review, reasons)
            + _lists_html(review, reasons)
        )
    return Section(title, body + _matrix_html(review, matrix, before, after))


def _scope(review: WeeklyReview, moves: pd.DataFrame, before: str, after: str) -> str:
    """The period's pipeline in the two weeks (``moves``: the team's deals' movements
    between them) and its change, in words."""
    steps = waterfall(moves, review.period, team=review.team).set_index("step")["amount"]
    opening, closing = float(steps["opening"]), float(steps["closing"])
    cur, lang, change = review.currency, review.lang, closing - opening
    if round(change) == 0:
        moved = _t("flat", lang)
    else:
        moved = _t("up" if change > 0 else "down", lang, amount=amount_text(abs(change), cur))
    return _t(
        "scope",
        lang,
        before=before,
        after=after,
        period=review.period,
        opening=amount_text(opening, cur),
        closing=amount_text(closing, cur),
        moved=moved,
    )


def _effect(reason: str, amount: float, currency: str, lang: str) -> str:
    """A reason's amount worded by its sign; a category move says which category."""
    for way in ("into", "out_of"):
        if reason.startswith(f"{way}_") and round(amount) != 0:
            category = category_text(reason.removeprefix(f"{way}_"), lang)
            money = amount_text(abs(amount), currency)
            if lang == "zh":  # 转入承诺 1,550,000 CNY: the reason's own words
                return f"{_word(REASON_LABELS, reason, lang)} {money}"
            return _t(way, lang, amount=money, category=category)
    return change_text(amount, currency, lang)


def _summary_html(review: WeeklyReview, reasons: pd.DataFrame) -> str:
    lang, cur = review.lang, review.currency
    summary = reasons_summary(reasons)
    table = pd.DataFrame(
        {
            _t("reason", lang): [_word(REASON_LABELS, r, lang) for r in summary["reason"]],
            review.t("deals"): summary["deals"].to_numpy(),
            _t("effect", lang, period=review.period): [
                _effect(r, a, cur, lang)
                for r, a in zip(summary["reason"], summary["amount"], strict=True)
            ],
        }
    )
    return f"<h3>{html.escape(_t('summary', lang))}</h3>" + html_table(table)


def _lists_html(review: WeeklyReview, reasons: pd.DataFrame) -> str:
    """Each reason's deals, the largest by money first (its effect, then its amount)."""
    lang, cur = review.lang, review.currency
    size = reasons[["amount_before", "amount_after"]].astype(float).max(axis=1).fillna(0.0)
    ordered = reasons.assign(_effect=reasons["change"].abs(), _size=size).sort_values(
        ["_effect", "_size", "deal_key"], ascending=[False, False, True], kind="stable"
    )
    latest = review.latest
    model = str(latest["stage_model"].iloc[0]) if len(latest) else ""
    parts = [f"<h3>{html.escape(_t('lists', lang))}</h3>"]
    for reason in dict.fromkeys(reasons["reason"]):
        rows = ordered[ordered["reason"] == reason]
        label = _word(REASON_LABELS, str(reason), lang)
        total = _effect(str(reason), float(rows["change"].sum()), cur, lang)
        frame = pd.DataFrame(
            {
                header("deal_id", lang): [text_or_none(v) for v in rows["deal_id"]],
                header("deal", lang): [text_or_none(v) for v in rows["deal_name"]],
                header("rep", lang): [text_or_none(v) for v in rows["owner"]],
                _t("detail", lang): [_detail(r, lang, model) for r in rows.itertuples()],
                header("amount", lang): [
                    from_to(amount_cell(a, c), amount_cell(b, c))
                    for a, b, c in zip(
                        rows["amount_before"], rows["amount_after"], rows["currency"], strict=True
                    )
                ],
                _t("effect", lang, period=review.period): [
                    _effect(str(reason), float(c), cur, lang) for c in rows["change"]
                ],
            }
        )
        links = [record_url(review.config.crm_url, d) for d in rows["deal_id"]]
        parts.append(
            f'<h4 class="reason">{html.escape(f"{label}{colon(lang)}{len(rows)} · {total}")}</h4>'
            + deal_list_html(frame, lang=lang, shown=_SHOWN, links=links)
        )
    # on paper the deals behind each reason are left to the changes section's lists
    return f'<div class="reason-deals">{"".join(parts)}</div>' if parts else ""


def _detail(row: Any, lang: str, model: str) -> str | None:
    """What changed for one reason row, in ``lang``."""
    reason, a, b = (str(getattr(row, name)) for name in ("reason", "value_from", "value_to"))
    if reason == "moved_in":
        return _t("moved_from", lang, team=a)
    if reason == "moved_out":
        return _t("moved_to", lang, team=b)
    if reason == "removed":
        return _t("merged", lang, deal=b) if a == "merged" and b else _t("deleted", lang)
    if reason.startswith(("into_", "out_of_")):
        return from_to(category_text(a, lang), category_text(b, lang))
    if reason == "reopened":
        return from_to(stage_text(model, a, lang), stage_text(model, b, lang))
    if reason == "lost":
        return text_or_none(b)
    if reason in ("amount_up", "amount_down"):
        return _amount_change(reason, row, lang)
    text = str(row.detail)
    return text or None


def _amount_change(reason: str, row: Any, lang: str) -> str:
    """An amount's change worded by its sign, with its share of the amount before."""
    before, after = float(row.amount_before), float(row.amount_after)
    cur = str(row.currency or "")
    pct = f"{abs(after - before) / before:.0%}" if before > 0 else "—"
    return _t(
        reason,
        lang,
        change=amount_text(abs(after - before), cur),
        pct=pct,
        before=amount_text(before, cur),
    )


def _matrix_html(review: WeeklyReview, matrix: CategoryMatrix, before: str, after: str) -> str:
    lang = review.lang
    title = f"<h3>{html.escape(_t('matrix', lang, before=before, after=after))}</h3>"
    if matrix.not_available:
        return title + f"<p class='not-available'>{html.escape(_t('not_available', lang))}</p>"
    cur = matrix.currency
    cells = {
        (
            r,
            c,
        ): f"{int(matrix.deals.loc[r, c])} · {amount_text(float(matrix.amounts.loc[r, c]), cur)}"
        if int(matrix.deals.loc[r, c])
        else "—"
        for r in matrix.deals.index
        for c in matrix.deals.columns
    }
    corner = f"{before} → {after}"
    table = pd.DataFrame(
        {
            corner: [_word(MATRIX_LABELS, str(r), lang) for r in matrix.deals.index],
            **{
                _word(MATRIX_LABELS, str(c), lang): [cells[(r, c)] for r in matrix.deals.index]
                for c in matrix.deals.columns
            },
        }
    )
    note = _t("matrix_note", lang, period=review.period, before=before, after=after)
    return title + f'<p class="list-caption">{html.escape(note)}</p>' + html_table(table)
