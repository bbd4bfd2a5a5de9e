"""The first screen of the weekly review: the four questions a manager brings to it, each
answered with a verdict and the figures behind it, and a link to the section that shows
the deals.

- **What changed?** The pipeline expected to close in the period, last week against this
  week, and its largest steps (the waterfall's own figures).
- **Where is the funnel stuck?** The team's funnel shape and its bottleneck stage.
- **Will we hit target?** The one outlook every section uses, the gap worded by its sign
  and the coverage.
- **What to coach?** The reps to start with: most high-priority points first, then the
  most money at stake in their flagged deals.

Each answer says what it could not check (no previous week, no targets, amounts in
several currencies) instead of guessing.

>>> from pipereview.delivery import WeeklyReview
>>> rows = pd.DataFrame({"snapshot_week": "2026-W47", "team": "North", "deal_id": ["D1"],
...     "deal_name": "MES", "account": "Acme", "owner": "Ann", "stage": "negotiation",
...     "stage_model": "generic_4", "amount": [5000.0], "currency": "EUR",
...     "close_date": pd.Timestamp("2026-12-18"), "probability": [0.8]})
>>> [(a.key, a.verdict) for a in answers(WeeklyReview(rows, team="North", week="2026-W47"))]
... # doctest: +NORMALIZE_WHITESPACE
[('changed', 'not checked: this is the first stored week'),
 ('stuck', 'not enough data'), ('target', 'not checked: no targets file'),
 ('coach', 'no rep has a high- or medium-priority point')]
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from pipereview.core._languages import phrase
from pipereview.core._vocabulary import WATERFALL_STEP_LABELS
from pipereview.delivery._dealtables import amount_text, stage_text
from pipereview.delivery._reviewchanges import change_text, pipeline_ends
from pipereview.delivery._reviewsections import Section, forecast_figures, shape_name
from pipereview.delivery._reviewtext import REPORT_CSS
from pipereview.diagnostics._figures import gap_text, outlook_text

if TYPE_CHECKING:
    from pipereview.delivery._review import WeeklyReview

#: nothing of the package's own: the review uses these
__all__: list[str] = []

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("At a glance", "本周要点"),
    "question": ("Question", "问题"),
    "answer": ("Answer", "结论"),
    "why": ("Behind it", "依据"),
    "changed": ("What changed?", "发生了什么变化？"),
    "stuck": ("Where is the funnel stuck?", "漏斗卡在哪里？"),
    "target": ("Will we hit target?", "能否完成目标？"),
    "coach": ("What to coach?", "辅导什么？"),
    "see": ("see", "见"),
    "no_previous": (
        "not checked: this is the first stored week",
        "未检查：这是第一周的数据",
    ),
    "no_targets": ("not checked: no targets file", "未检查：没有目标文件"),
    "refused": (
        "not checked: amounts in several currencies",
        "未检查：金额含多种货币",
    ),
    "no_open": ("not checked: no open deal", "未检查：没有在跟商机"),
    "nothing_to_coach": (
        "no rep has a high- or medium-priority point",
        "没有销售代表有高或中优先级的辅导点",
    ),
}

_SECTIONS = {"changed": "changes", "stuck": "funnel", "target": "forecast", "coach": "coaching"}


def _t(key: str, lang: str) -> str:
    return phrase(_TEXT, key, lang)


@dataclass(frozen=True)
class Answer:
    """One question of the first screen: its ``key`` (changed, stuck, target, coach), the
    ``verdict`` and what is ``behind`` it, in the review's language; ``checked`` is False
    when the data could not answer (the verdict then says why)."""

    key: str
    verdict: str
    behind: str
    checked: bool = True


def title_section(review: WeeklyReview, index: str = "") -> Section:
    """The report's title (team, week and period), its stylesheet and its contents;
    ``index``, when given, is the address of the batch's index page ("all teams")."""
    title = (
        f"{review.team} — 周度销售漏斗回顾 {review.week}（{review.period}）"
        if review.lang == "zh"
        else f"{review.team} — weekly pipeline review, {review.week} ({review.period})"
    )
    links = [
        (key, review.t(key) if key != "glance" else review.t("glance"))
        for key in (
            "glance",
            "headline",
            "changes",
            "reasons",
            "funnel",
            "forecast",
            "calls",
            "pacing",
            "forecast_check",
            "results",
            "risks",
            "activities",
            "collections",
            "coaching",
        )
    ]
    items = "".join(f'<li><a href="#{key}">{html.escape(text)}</a></li>' for key, text in links)
    back = (
        f'<p class="back"><a href="{html.escape(index, quote=True)}">'
        f"{html.escape(review.t('all_teams'))}</a></p>"
        if index
        else ""
    )
    body = (
        f"<style>{REPORT_CSS}</style>{back}"
        f'<nav class="toc" aria-label="{html.escape(review.t("contents"))}"><ol>{items}</ol></nav>'
    )
    return Section(title, body, anchor="top")


def answers(review: WeeklyReview) -> list[Answer]:
    """The four answers of ``review``'s first screen, in the order a manager asks them."""
    return [_changed(review), _stuck(review), _target(review), _coach(review)]


def glance_section(review: WeeklyReview) -> Section:
    """The four answers as a table: question, verdict, what is behind it, and a link to
    the section with the deals."""
    lang = review.lang
    rows = []
    for answer in answers(review):
        anchor = _SECTIONS[answer.key]
        css = "verdict" if answer.checked else "verdict not-checked"
        rows.append(
            "<tr>"
            f'<th scope="row">{html.escape(_t(answer.key, lang))}</th>'
            f'<td class="{css}">{html.escape(answer.verdict)}</td>'
            f"<td>{html.escape(answer.behind)} "
            f'<a href="#{anchor}">{html.escape(_t("see", lang))} {html.escape(review.t(anchor))}</a>'
            "</td></tr>"
        )
    head = "".join(f"<th>{html.escape(_t(k, lang))}</th>" for k in ("question", "answer", "why"))
    body = (
        f'<table class="review-table glance"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    return Section(_t("title", lang), body, anchor="glance")


def _changed(review: WeeklyReview) -> Answer:
    from pipereview.delivery._reviewcharts import waterfall_steps

    lang = review.lang
    if review.mixed_currencies is not None:
        return Answer("changed", _t("refused", lang), review.mixed_currencies, checked=False)
    moved = waterfall_steps(review)
    if moved is None:
        return Answer("changed", _t("no_previous", lang), "", checked=False)
    opening, closing = pipeline_ends(moved[1])
    steps = moved[1].set_index("step")
    cur = review.currency
    change = change_text(closing - opening, cur, lang)
    if lang == "zh":
        verdict = f"{review.period} 成交管道{change}（{amount_text(opening, cur)} → {amount_text(closing, cur)}）"
    else:
        delta = closing - opening
        direction = (
            "is unchanged"
            if round(delta) == 0
            else f"is {'up' if delta > 0 else 'down'} {amount_text(abs(delta), cur)}"
        )
        verdict = (
            f"The {review.period} pipeline {direction} "
            f"({amount_text(opening, cur)} → {amount_text(closing, cur)})"
        )
    flows = steps.drop(index=["opening", "closing"])
    flows = flows[flows["deals"] > 0]
    largest = flows.assign(size=flows["cents"].abs()).sort_values(
        ["size", "deals"], ascending=[False, False], kind="stable"
    )
    index = 1 if lang == "zh" else 0
    parts = [
        f"{WATERFALL_STEP_LABELS[str(step)][index]} {int(row['deals'])}"
        f"（{change_text(float(row['amount']), cur, lang)}）"
        if lang == "zh"
        else f"{WATERFALL_STEP_LABELS[str(step)][index]} {int(row['deals'])} "
        f"({change_text(float(row['amount']), cur, lang)})"
        for step, row in largest.head(3).iterrows()
    ]
    new = review.new_deals
    if lang == "zh":
        behind = ("最大的变动：" + "；".join(parts) + "。" if parts else "没有商机进出该管道。") + (
            f"本周新增商机 {new} 个（不论预计成交日）。" if new is not None else ""
        )
    else:
        behind = (
            "Largest steps: " + "; ".join(parts) + "." if parts else "No deal entered or left it."
        ) + (f" {new} new deal(s) this week, whatever their close date." if new is not None else "")
    return Answer("changed", verdict, behind)


def _stuck(review: WeeklyReview) -> Answer:
    lang = review.lang
    shape = review.context.shape_team
    mine = shape[shape["team"] == review.team] if len(shape) else shape
    if not len(mine):
        return Answer("stuck", _t("no_open", lang), "", checked=False)
    row = mine.iloc[0]
    label = str(row["label"])
    verdict = shape_name(label, lang)
    stage = row.get("stage")
    open_deals = int(row["open_deals"]) if pd.notna(row.get("open_deals")) else 0
    if isinstance(stage, str) and stage:
        stage_label = stage_text(str(review.latest["stage_model"].iloc[0]), stage, lang)
        if label == "one_stage":  # no bottleneck: every open deal is there
            behind = (
                f"在跟商机 {open_deals} 个，全部在{stage_label}阶段。"
                if lang == "zh"
                else f"All {open_deals} open deals are at {stage_label}."
            )
        else:
            behind = (
                f"瓶颈阶段：{stage_label}；在跟商机 {open_deals} 个。"
                if lang == "zh"
                else f"Bottleneck stage: {stage_label}; {open_deals} open deals."
            )
    else:
        behind = f"在跟商机 {open_deals} 个。" if lang == "zh" else f"{open_deals} open deals."
    return Answer("stuck", verdict, behind, checked=label != "not_enough_data")


def _target(review: WeeklyReview) -> Answer:
    lang = review.lang
    if review.mixed_currencies is not None:
        return Answer("target", _t("refused", lang), review.mixed_currencies, checked=False)
    if review.targets is None or review.forecast.empty:
        return Answer("target", _t("no_targets", lang), "", checked=False)
    figures = forecast_figures(review.forecast.iloc[0])
    if figures["outlook"] in (None, "no_target"):
        return Answer("target", _t("no_targets", lang), "", checked=False)
    verdict = outlook_text(str(figures["outlook"]), lang)
    gap = gap_text(figures["gap_to_target"], review.currency, lang)
    coverage, need = figures["coverage"], figures["coverage_needed"]
    if lang == "zh":
        cover = "" if coverage is None else f"；覆盖率 {coverage:.2f}x"
        cover += "" if need is None else f"（需要 {need:.2f}x）"
        behind = f"{gap}{cover}。"
    else:
        cover = "" if coverage is None else f"; coverage {coverage:.2f}x"
        cover += "" if need is None else f" (needed: {need:.2f}x)"
        behind = f"{gap[:1].upper()}{gap[1:]}{cover}."
    return Answer("target", verdict, behind)


def _coach(review: WeeklyReview) -> Answer:
    lang = review.lang
    if review.mixed_currencies is not None:
        return Answer("coach", _t("refused", lang), review.mixed_currencies, checked=False)
    prompts = review.coaching_prompts
    risks = prompts[(prompts["team"] == review.team) & (prompts["kind"] == "risk")]
    risks = risks[(risks["owner"].fillna("") != "") & (risks["severity"] >= 2)]
    if not len(risks):
        return Answer("coach", _t("nothing_to_coach", lang), "")
    deals = risks[risks["scope"] == "deal"].drop_duplicates(["owner", "deal_key"])
    at_stake = deals.groupby("owner")["amount_at_stake"].sum()
    reps = (
        risks.groupby("owner")
        .agg(high=("severity", lambda s: int((s == 3).sum())), points=("severity", "size"))
        .assign(at_stake=at_stake)
        .fillna({"at_stake": 0.0})
        .reset_index()
        .sort_values(["high", "at_stake", "owner"], ascending=[False, False, True], kind="stable")
    )
    first = list(
        zip(
            reps["owner"].head(3).tolist(),
            reps["high"].head(3).tolist(),
            reps["at_stake"].head(3).astype(float).tolist(),
            strict=True,
        )
    )
    cur = review.currency
    if lang == "zh":
        names = "、".join(name for name, _, _ in first)
        verdict = f"先辅导：{names}"
        listed = "；".join(
            f"{name}：高优先级 {high} 项，风险商机金额 {amount_text(stake, cur)}"
            for name, high, stake in first
        )
        behind = f"{len(reps)} 名销售代表有高或中优先级的辅导点。{listed}。"
    else:
        names = ", ".join(name for name, _, _ in first)
        verdict = f"Start with {names}"
        listed = "; ".join(
            f"{name}: {high} high-priority point(s), {amount_text(stake, cur)} in flagged deals"
            for name, high, stake in first
        )
        behind = f"{len(reps)} rep(s) have high- or medium-priority points. {listed}."
    return Answer("coach", verdict, behind)
