"""The next period's plan of the monthly and quarterly pack: the next period's target (by
the rules of :func:`~pipereview.delivery._periodfigures.period_target`), the open pipeline
of the as-of week with a close date in it (amount and weighted), its coverage of the
target against the coverage needed at the team's win rate
(:func:`~pipereview.diagnostics._figures.coverage_needed`), and the gap to cover (target
- weighted, worded by its sign with :func:`~pipereview.diagnostics._figures.gap_text`),
for the team and each rep.

>>> coverage_words(2.0, 4.0, "en"), coverage_words(float("nan"), 4.0, "zh")
('2.0×', '—')
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, cast

import pandas as pd

from pipereview.core._languages import phrase
from pipereview.delivery._dealtables import amount_text
from pipereview.delivery._periodsections import PERIOD_TEXT, target_rule_text
from pipereview.delivery._reviewsections import Section, html_table
from pipereview.diagnostics._figures import coverage_needed, gap_text

if TYPE_CHECKING:
    from pipereview.delivery._periodreview import PeriodReview

__all__ = ["PLAN_TEXT", "coverage_words", "next_plan", "next_verdict", "plan_section"]

#: The plan's fixed texts (English, Chinese).
PLAN_TEXT: dict[str, tuple[str, str]] = {
    "heading": ("Next period's plan: {period}", "下期计划：{period}"),
    "team": ("Team", "团队"),
    "open": ("Open pipeline due", "本期到期在跟金额"),
    "weighted": ("Weighted", "加权金额"),
    "coverage": ("Coverage of the target", "覆盖倍数"),
    "needed": ("Coverage needed", "所需覆盖倍数"),
    "gap": ("Gap to cover", "缺口"),
    "more": ("More pipeline to find", "还需新增商机"),
    "rate": (
        "Coverage needed = 1 / the team's win rate ({rate}, closed deals of the last "
        "{weeks} weeks); pipeline as of {week}.",
        "所需覆盖倍数 = 1 / 团队赢率（{rate}，近 {weeks} 周已关闭商机）；商机数据截至 {week}。",
    ),
    "no_rate": ("no win rate: too few closed deals", "无赢率：已关闭商机太少"),
    "covered": (
        "{period}: covered: the open pipeline due is {cov} the target, {need} needed",
        "{period}：覆盖充足：到期在跟商机为目标的 {cov}，需要 {need}",
    ),
    "find": (
        "{period}: find {more} more pipeline: the open pipeline due is {cov} the target, {need} needed",
        "{period}：还需新增 {more} 商机：到期在跟商机为目标的 {cov}，需要 {need}",
    ),
    "unknown": (
        "{period}: the open pipeline due is {cov} the target; coverage needed: no win rate (too few closed deals)",
        "{period}：到期在跟商机为目标的 {cov}；所需覆盖倍数未知（已关闭商机太少）",
    ),
    "no_target": ("{period}: not available: no target", "{period}：不可用：没有目标"),
    "no_targets": ("{period}: not available: no targets", "{period}：不可用：没有目标数据"),
}


def _t(review: PeriodReview, key: str, **values: object) -> str:
    return phrase(PLAN_TEXT, key, review.lang, **values)


def coverage_words(value: float, needed: float, lang: str) -> str:
    """A coverage as printed (``2.0×``), ``—`` when unknown, ``∞`` when nothing is
    enough (a 0% win rate)."""
    phrase(PERIOD_TEXT, "figure", lang)  # refuses a language pipereview does not write
    if value is None or math.isnan(value):
        return "—"
    return "∞" if math.isinf(value) else f"{value:.1f}×"


def next_plan(review: PeriodReview) -> pd.DataFrame:
    """The next period's plan per owner (``""``: the team): ``target``, ``rule``,
    ``open_amount``, ``weighted``, ``coverage`` (open / target), ``coverage_needed``
    (at the team's win rate), ``gap`` (target - weighted), ``more`` (target x coverage
    needed - open, at least 0; NaN without a rate)."""
    frame, rules = review.plan_targets(review.next)
    pipe = review.next_pipeline
    owners = ["", *review.reps]
    goals = frame.set_index("owner")["amount"] if len(frame) else pd.Series(dtype=float)
    need = cast(float, coverage_needed(review.win_rate))  # a float's is a float
    rows = []
    for owner in owners:
        mine = pipe if owner == "" else pipe[pipe["owner"].astype(str) == owner]
        target = float(goals[owner]) if owner in goals.index else math.nan
        open_amount = float(mine["amount"].sum())
        weighted = float(mine["weighted"].sum())
        needed = target * need if not math.isnan(target) else math.nan
        rows.append(
            {
                "owner": owner,
                "target": target,
                "rule": rules.get(owner, "none"),
                "open_amount": open_amount,
                "weighted": weighted,
                "coverage": open_amount / target if target > 0 else math.nan,
                "coverage_needed": need,
                "gap": target - weighted,
                "more": max(needed - open_amount, 0.0) if not math.isnan(needed) else math.nan,
            }
        )
    return pd.DataFrame(rows)


def plan_section(review: PeriodReview) -> Section:
    """The next period's plan as a table, team first, then each rep."""
    plan = next_plan(review)
    cur, lang = review.currency, review.lang

    def money(value: float) -> str:
        return "—" if math.isnan(value) else amount_text(value, cur)

    table = pd.DataFrame(
        {
            _t(review, "team"): [o or review.team for o in plan["owner"]],
            phrase(PERIOD_TEXT, "target", lang): [money(v) for v in plan["target"]],
            phrase(PERIOD_TEXT, "target_rule", lang): [
                target_rule_text(r, review.next, lang) if r != "none" else "—" for r in plan["rule"]
            ],
            _t(review, "open"): [money(v) for v in plan["open_amount"]],
            _t(review, "weighted"): [money(v) for v in plan["weighted"]],
            _t(review, "coverage"): [coverage_words(v, 0, lang) for v in plan["coverage"]],
            _t(review, "needed"): [coverage_words(v, 0, lang) for v in plan["coverage_needed"]],
            _t(review, "gap"): [
                "—" if math.isnan(g) else gap_text(g, cur, lang) for g in plan["gap"]
            ],
            _t(review, "more"): [money(v) for v in plan["more"]],
        }
    )
    rate = review.win_rate
    note = _t(
        review,
        "rate",
        rate="—" if math.isnan(rate) else f"{rate:.0%}",
        weeks=review.config.forecast.win_rate_weeks,
        week=str(review.as_of),
    )
    heading = _t(review, "heading", period=review.next)
    return Section(heading, html_table(table) + f"<p>{html.escape(note, quote=False)}</p>", "plan")


def next_verdict(review: PeriodReview) -> str:
    """What next: whether the open pipeline due in the next period covers its target at
    the team's win rate, and how much more to find when it does not."""
    team = next_plan(review).iloc[0]
    if math.isnan(team["target"]):
        key = "no_targets" if review.weekly.targets is None else "no_target"
        return _t(review, key, period=review.next)
    cov = coverage_words(team["coverage"], 0, review.lang)
    need = team["coverage_needed"]
    if math.isnan(need):
        return _t(review, "unknown", period=review.next, cov=cov)
    shown = coverage_words(need, 0, review.lang)
    if team["more"] <= 0:
        return _t(review, "covered", period=review.next, cov=cov, need=shown)
    more = amount_text(team["more"], review.currency)
    return _t(review, "find", period=review.next, cov=cov, need=shown, more=more)
