"""The sections of the monthly and quarterly pack (:class:`~pipereview.delivery.PeriodReview`)
as HTML, in English and Chinese, every value from the data escaped: the title, results
against plan and the deviation analysis; the first block (did we hit the plan, why not,
what next) is :mod:`pipereview.delivery._periodverdicts`', the next period's plan
:mod:`pipereview.delivery._periodplan`'s.

A period still running is always labelled "to date, as of <week>", never as the whole
period; a comparison the history cannot give says why ("not available: the history starts
2026-W36"), never a zero.

>>> signed_amount(-1500.0, "USD"), signed_amount(0.0, "")
('−1,500 USD', '0')
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import pandas as pd

from pipereview.core._languages import phrase
from pipereview.delivery._dealtables import amount_text
from pipereview.delivery._reviewsections import Section, html_table
from pipereview.delivery._reviewtext import REPORT_CSS
from pipereview.diagnostics._periods import change_text, span_text

if TYPE_CHECKING:
    from pipereview.delivery._periodreview import PeriodReview

__all__ = [
    "PERIOD_TEXT",
    "created_line",
    "deviation_section",
    "gap_words",
    "loss_reasons",
    "no_target_text",
    "period_label",
    "period_text",
    "results_section",
    "signed_amount",
    "target_rule_text",
    "title_section",
]

#: The pack's fixed texts (English, Chinese).
PERIOD_TEXT: dict[str, tuple[str, str]] = {
    "title_month": ("{team} — monthly results, {label}", "{team} — 月度业绩分析 {label}"),
    "title_quarter": ("{team} — quarterly review, {label}", "{team} — 季度经营分析 {label}"),
    "to_date": ("{period} to date, as of {week}", "{period}（截至 {week}）"),
    "all_teams": ("All teams", "所有团队"),
    "verdicts": ("At a glance", "本期要点"),
    "hit": ("Did we hit the plan?", "是否完成计划？"),
    "why": ("Why not?", "原因是什么？"),
    "next": ("What next?", "下一步？"),
    "question": ("Question", "问题"),
    "answer": ("Answer", "结论"),
    "results": ("Results against plan", "业绩与计划对比"),
    "deviation": ("Deviation analysis", "偏差分析"),
    "plan": ("Next period's plan", "下期计划"),
    "figure": ("Figure", "指标"),
    "target": ("Target", "目标"),
    "target_rule": ("Target rule", "目标来源"),
    "won": ("Won", "赢单金额"),
    "won_deals": ("Deals won", "赢单数"),
    "attainment": ("Attainment", "完成率"),
    "gap": ("Against the target", "与目标相比"),
    "created": ("Pipeline created", "新建商机金额"),
    "created_deals": ("Deals created", "新建商机数"),
    "previous_month": ("Against the previous month (MoM)", "环比上月"),
    "previous_quarter": ("Against the previous quarter (QoQ)", "环比上季度"),
    "last_year": ("Against the same period last year (YoY)", "同比去年同期"),
    "history_starts": (
        "not available: the history starts {week}",
        "不可用：历史数据从 {week} 开始",
    ),
    "no_targets": ("not available: no targets", "不可用：没有目标数据"),
    "no_target": ("not available: no target for {period}", "不可用：没有 {period} 的目标"),
    "no_created": ("not checked: no created date", "未检查：没有创建日期"),
    "rule_given": ("from the targets file", "取自目标文件"),
    "rule_quarter": (
        "a third of the {source} target (equal months)",
        "{source} 目标的三分之一（按月平均分解）",
    ),
    "rule_year": ("from the {source} target, split evenly", "由 {source} 年度目标平均分解"),
    "short": ("{amount} below the target", "距目标还差 {amount}"),
    "above": ("{amount} above the target", "超出目标 {amount}"),
    "level": ("on the target", "与目标持平"),
    "rep": ("Rep", "销售代表"),
    "plan_to_date": ("Plan to date", "截至目前计划"),
    "deviation_col": ("Won against plan to date", "实际与计划偏差"),
    "plan_whole": ("Plan", "计划"),
    "deviation_whole": ("Won against plan", "实际与计划偏差"),
    "status": ("Status", "状态"),
    "behind": ("behind plan", "落后于计划"),
    "ahead": ("ahead of plan", "超前于计划"),
    "on plan": ("on plan", "符合计划"),
    "no_rep_targets": ("Reps: not available: no rep targets", "销售代表：不可用：没有个人目标"),
    "lost": ("Deals lost in {label}: {n}, {amount}", "{label}输单：{n} 个，{amount}"),
    "reasons": ("Top loss reasons: {reasons}", "主要输单原因：{reasons}"),
    "no_reason": ("Loss reasons: not checked: no loss reason", "输单原因：未检查：没有输单原因"),
    "pushed": (
        "Deals whose close date was pushed out of {period}: {n}, {amount}",
        "成交日期推迟出 {period} 的商机：{n} 个，{amount}",
    ),
    "created_line": (
        "Pipeline created in {label}: {amount}; against the previous period at the same "
        "point: {change}",
        "{label}新建商机：{amount}；与上期同期相比：{change}",
    ),
    "deal": ("Deal", "商机"),
    "amount": ("Amount", "金额"),
    "close_before": ("Close date in the period", "原成交日期"),
    "close_now": ("Close date now", "现成交日期"),
    "verdict_met": ("yes: {share} of the target won", "是：已完成目标的 {share}"),
    "verdict_missed": ("no: {share} of the target won, {gap}", "否：完成目标的 {share}，{gap}"),
    "verdict_running": (
        "to date, as of {week}: {share} of the target won, {status} ({detail})",
        "截至 {week}：已完成目标的 {share}，{status}（{detail}）",
    ),
    "why_met": ("the plan was met", "已完成计划"),
    "why_lost": (
        "what moved the result most: deals lost ({n}, {amount})",
        "影响最大的是输单（{n} 个，{amount}）",
    ),
    "why_pushed": (
        "what moved the result most: deals whose close date was pushed out of the period "
        "({n}, {amount})",
        "影响最大的是成交日期推迟出本期的商机（{n} 个，{amount}）",
    ),
    "why_created": (
        "less pipeline was created: {change}",
        "新建商机减少：{change}",
    ),
    "why_none": (
        "no deal was lost or pushed out: the pipeline due in the period was too small",
        "没有输单或推迟：本期到期的商机不足",
    ),
}


def period_text(review: PeriodReview, key: str, **values: object) -> str:
    """A fixed text of the pack in its language."""
    return phrase(PERIOD_TEXT, key, review.lang, **values)


def period_label(review: PeriodReview) -> str:
    """The period as every figure names it: ``2026-10``, or ``2026-11 to date, as of
    2026-W47`` while it runs."""
    if review.complete:
        return review.period
    return period_text(review, "to_date", period=review.period, week=str(review.as_of))


def signed_amount(value: float, currency: str) -> str:
    """An amount whose sign cannot be misread: ``+1,500 USD``, ``−1,500 USD``, ``0``."""
    if round(value) == 0:
        return amount_text(0.0, currency)
    sign = "+" if value > 0 else "−"
    return sign + amount_text(abs(value), currency)


def target_rule_text(rule: str, period: str, lang: str) -> str:
    """How a target of ``period`` was made (:data:`~pipereview.delivery._periodfigures.TARGET_RULES`),
    as printed; a rep's ``split:<rule>`` names the split rule."""
    year = period[:4]
    quarter = f"{year}-Q{(int(period[5:7]) - 1) // 3 + 1}" if "Q" not in period else period
    if rule.startswith("split:"):
        from pipereview.diagnostics._repsplit import rep_rule_text

        return rep_rule_text(rule.split(":", 1)[1], lang, period=period)
    if rule == "quarter":
        return phrase(PERIOD_TEXT, "rule_quarter", lang, source=quarter)
    if rule == "year":
        return phrase(PERIOD_TEXT, "rule_year", lang, source=year)
    return phrase(PERIOD_TEXT, "rule_given", lang)


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def gap_words(review: PeriodReview, gap: float) -> str:
    """Target - won worded by its sign."""
    if round(gap) == 0:
        return period_text(review, "level")
    amount = amount_text(abs(gap), review.currency)
    return period_text(review, "short" if gap > 0 else "above", amount=amount)


def title_section(review: PeriodReview, index: str = "") -> Section:
    """The pack's title, its stylesheet and its contents."""
    title = period_text(
        review, f"title_{review.kind}", team=review.team, label=period_label(review)
    )
    links = [
        (key, period_text(review, key)) for key in ("verdicts", "results", "deviation", "plan")
    ]
    items = "".join(f'<li><a href="#{key}">{_esc(text)}</a></li>' for key, text in links)
    back = (
        f'<p class="back"><a href="{html.escape(index, quote=True)}">'
        f"{_esc(period_text(review, 'all_teams'))}</a></p>"
        if index
        else ""
    )
    return Section(
        title, f'<style>{REPORT_CSS}</style>{back}<nav class="toc"><ol>{items}</ol></nav>', "top"
    )


def no_target_text(review: PeriodReview, period: str) -> str:
    if review.weekly.targets is None:
        return period_text(review, "no_targets")
    return period_text(review, "no_target", period=period)


def results_section(review: PeriodReview) -> Section:
    """Results against plan and the period against the previous one and last year."""
    target, rule = review.target()
    won = review.won_amount
    rows = [(period_text(review, "won"), amount_text(won, review.currency))]
    if target is None:
        rows.append((period_text(review, "target"), no_target_text(review, review.period)))
    else:
        rows.append((period_text(review, "target"), amount_text(target, review.currency)))
        rows.append(
            (period_text(review, "target_rule"), target_rule_text(rule, review.period, review.lang))
        )
        share = f"{won / target:.0%}" if target > 0 else "—"
        rows.append((period_text(review, "attainment"), share))
        rows.append((period_text(review, "gap"), gap_words(review, target - won)))
    top = pd.DataFrame(rows, columns=[period_text(review, "figure"), period_label(review)])
    return Section(period_text(review, "results"), html_table(top) + _compared(review), "results")


def _compared(review: PeriodReview) -> str:
    """The period's won and created figures against the previous period and last year."""
    r = review.results
    spans = {span: r.iloc[i] for i, span in enumerate(r["span"])}
    heads = [
        period_text(review, "figure"),
        period_label(review),
        period_text(review, f"previous_{review.kind}"),
        period_text(review, "last_year"),
    ]
    rows = []
    for figure, unit in (
        ("won_amount", review.currency),
        ("won_deals", ""),
        ("created_amount", review.currency),
        ("created_deals", ""),
    ):
        now = spans["current"][figure]
        label = period_text(
            review, {"won_amount": "won", "created_amount": "created"}.get(figure, figure)
        )
        if pd.isna(now):
            rows.append([label, period_text(review, "no_created"), "—", "—"])
            continue
        cells = [label, amount_text(float(now), unit)]
        for span in ("previous", "last_year"):
            other = spans[span]
            if not bool(other["covered"]):
                cells.append(period_text(review, "history_starts", week=other["history_start"]))
            else:
                when = span_text(other["first"], other["last"], review.lang)
                cells.append(
                    f"{change_text(float(now), float(other[figure]), unit, review.lang)} ({when})"
                )
        rows.append(cells)
    return html_table(pd.DataFrame(rows, columns=heads))


def deviation_section(review: PeriodReview) -> Section:
    """Per rep target, won, deviation, status; lost, pushed out and created pipeline."""
    parts = [_rep_table(review)]
    lost = review.lost
    parts.append(
        "<p>"
        + _esc(
            period_text(
                review,
                "lost",
                label=period_label(review),
                n=len(lost),
                amount=amount_text(float(lost["amount"].sum()), review.currency),
            )
        )
        + "</p>"
    )
    parts.append(f"<p>{_esc(loss_reasons(review))}</p>")
    pushed = review.pushed
    parts.append(
        "<p>"
        + _esc(
            period_text(
                review,
                "pushed",
                period=review.period,
                n=len(pushed),
                amount=amount_text(float(pushed["amount"].sum()), review.currency),
            )
        )
        + "</p>"
    )
    if len(pushed):
        shown = pd.DataFrame(
            {
                period_text(review, "deal"): pushed["deal_name"].astype(str).to_numpy(),
                period_text(review, "rep"): pushed["owner"].astype(str).to_numpy(),
                period_text(review, "amount"): [
                    amount_text(a, review.currency) for a in pushed["amount"]
                ],
                period_text(review, "close_before"): [
                    str(pd.Timestamp(d).date()) for d in pushed["close_before"]
                ],
                period_text(review, "close_now"): [
                    str(pd.Timestamp(d).date()) for d in pushed["close_date"]
                ],
            }
        )
        parts.append(html_table(shown.head(10)))
    parts.append(f"<p>{_esc(created_line(review))}</p>")
    return Section(period_text(review, "deviation"), "".join(parts), "deviation")


def _rep_table(review: PeriodReview) -> str:
    reps = review.progress
    if reps.empty:
        return f"<p>{_esc(period_text(review, 'no_rep_targets'))}</p>"
    cur = review.currency
    plan, deviation = (
        ("plan_whole", "deviation_whole") if review.complete else ("plan_to_date", "deviation_col")
    )
    table = pd.DataFrame(
        {
            period_text(review, "rep"): reps["owner"].astype(str),
            period_text(review, "target"): [amount_text(v, cur) for v in reps["target"]],
            period_text(review, "target_rule"): [
                target_rule_text(str(r), review.period, review.lang) for r in reps["rule"]
            ],
            period_text(review, "won"): [amount_text(v, cur) for v in reps["won_to_date"]],
            period_text(review, plan): [amount_text(v, cur) for v in reps["plan_to_date"]],
            period_text(review, deviation): [signed_amount(v, cur) for v in reps["deviation"]],
            period_text(review, "status"): [period_text(review, str(s)) for s in reps["status"]],
        }
    )
    return html_table(table)


def loss_reasons(review: PeriodReview) -> str:
    """The three most frequent loss reasons of the period's lost deals (count and
    amount), or "not checked: no loss reason" when the export has no such column."""
    lost = review.lost
    history = review.prepared.frame
    if "loss_reason" not in history or history["loss_reason"].isna().all():
        return period_text(review, "no_reason")
    reasons = lost["loss_reason"].astype("object").where(lost["loss_reason"].notna(), "—")
    grouped = (
        lost.assign(reason=reasons.astype(str).str.strip())
        .groupby("reason")["amount"]
        .agg(["size", "sum"])
        .sort_values(["size", "sum"], ascending=False, kind="stable")
        .head(3)
    )
    listed = "; ".join(
        f"{name} ({n}, {amount_text(float(total), review.currency)})"
        for name, n, total in zip(grouped.index, grouped["size"], grouped["sum"], strict=True)
    )
    return period_text(review, "reasons", reasons=listed or "—")


def created_line(review: PeriodReview) -> str:
    """Pipeline created in the period against the previous period (at the same point)."""
    r = review.results
    now, before = r.iloc[0], r.iloc[1]
    if pd.isna(now["created_amount"]):
        return f"{period_text(review, 'created')}: {period_text(review, 'no_created')}"
    if not bool(before["covered"]):
        change = period_text(review, "history_starts", week=before["history_start"])
    else:
        change = change_text(
            float(now["created_amount"]),
            float(before["created_amount"]),
            review.currency,
            review.lang,
        )
    return period_text(
        review,
        "created_line",
        label=period_label(review),
        amount=amount_text(float(now["created_amount"]), review.currency),
        change=change,
    )
