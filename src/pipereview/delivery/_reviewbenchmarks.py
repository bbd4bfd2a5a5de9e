"""The funnel section's stages against the method's standards
(:func:`~pipereview.diagnostics._benchmarks.stage_benchmarks`): each stage with a
standard, its figure, the standard and a verdict in words; what has no standard said
as not checked; a stage model with more steps than the method advises named.

A conversion is worded with what is not known yet: the deals still at the stage have
no outcome, so a share below the standard says how many of them must still move on.

>>> from pipereview.delivery import WeeklyReview
>>> rows = pd.DataFrame({"snapshot_week": "2026-W47", "team": "North", "deal_id": ["A", "B"],
...     "deal_name": "MES", "owner": "Ann", "stage": "needs_confirmed",
...     "stage_model": "generic_4", "amount": [1000.0, 500.0], "currency": "EUR",
...     "close_date": pd.Timestamp("2026-12-18")})
>>> page = benchmarks_html(WeeklyReview(rows, team="North", week="2026-W47"))
>>> "at most 21 days" in page, "too few deals to judge: 0 entered" in page
(True, True)
>>> "as far as the stored weeks show" in page  # one stored week: days are lower bounds
True
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING

import pandas as pd

from pipereview.core._languages import phrase
from pipereview.delivery._dealtables import stage_text, text_table
from pipereview.diagnostics._figures import days_text

if TYPE_CHECKING:
    from pipereview.delivery._review import WeeklyReview

#: nothing of the package's own: the review's funnel section uses it
__all__: list[str] = []

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("Against the method's standards", "对照方法标准"),
    "stage": ("Stage", "阶段"),
    "measure": ("Measure", "指标"),
    "standard": ("Standard", "标准"),
    "team": ("This team", "本团队"),
    "verdict": ("Verdict", "结论"),
    "intro": (
        "Conversion: of the deals that entered the stage in the last {weeks} weeks, the share "
        "that moved on to a later stage. Days: how long the stage's open deals have been "
        "there so far, the median.",
        "转化率：近 {weeks} 周进入该阶段的商机中推进到后续阶段的比例。停留天数：该阶段在跟商机"
        "已停留天数的中位数。",
    ),
    "conversion": ("Conversion", "转化率"),
    "days": ("Days at the stage", "停留天数"),
    "met": ("Meeting its standard: {stages}.", "达到标准：{stages}。"),
    "met_item": ("{stage} ({measure})", "{stage}（{measure}）"),
    "at_least": ("at least {pct}", "不低于 {pct}"),
    "at_most": ("at most {days} days", "不超过 {days} 天"),
    "rate": (
        "{pct}: {reached} of {entered} moved on; {pending} still at the stage",
        "{pct}：{entered} 个中 {reached} 个已推进；{pending} 个仍在该阶段",
    ),
    "median": (
        "{days} days; {beyond} of its {deals} open deals beyond the standard",
        "{days} 天；{deals} 个在跟商机中 {beyond} 个超出标准",
    ),
    "median_bound": (
        "{days} days; at least {beyond} of its {deals} open deals beyond the standard",
        "{days} 天；{deals} 个在跟商机中至少 {beyond} 个超出标准",
    ),
    "meets": ("meets the standard", "达到标准"),
    "meets_days": ("within the standard", "符合标准"),
    "meets_days_bound": (
        "within the standard as far as the stored weeks show",
        "就已存储的周而言符合标准",
    ),
    "misses": (
        "below the standard, even if every deal still at the stage moves on",
        "低于标准：即使仍在该阶段的商机全部推进也达不到",
    ),
    "misses_days": ("longer than the standard", "超出标准"),
    "below_so_far": (
        "below the standard so far: {needed} of the {pending} deals still at the stage "
        "must move on to meet it",
        "目前低于标准：仍在该阶段的 {pending} 个商机中需有 {needed} 个推进才能达标",
    ),
    "too_few": (
        "too few deals to judge: {entered} entered, {least} needed",
        "商机太少，无法判断：进入 {entered} 个，至少需要 {least} 个",
    ),
    "no_conversion": (
        "Not checked: conversion, no standard is set for the stages of {model}.",
        "未检查：转化率，{model} 的各阶段没有设定标准。",
    ),
    "no_days": (
        "Not checked: days at a stage, no open deal is at a stage with a standard.",
        "未检查：阶段停留天数，没有在跟商机处于设有标准的阶段。",
    ),
    "steps": (
        "The stage model {model} has {n} open stages; the method advises at most {most}: a "
        "longer process is hard to follow and to coach.",
        "阶段模型 {model} 有 {n} 个进行中阶段；方法建议不超过 {most} 个：步骤过多的流程难以执行和辅导。",
    ),
}


def _t(key: str, lang: str, **values: object) -> str:
    return phrase(_TEXT, key, lang, **values)


def _pct(share: float) -> str:
    return f"{share * 100:.0f}%"


def _conversion_row(row: pd.Series, lang: str, least: int) -> list[str]:
    entered, reached, pending = int(row["deals"]), int(row["beyond"]), int(row["pending"])
    status = str(row["status"])
    figure = "—"
    if entered:
        figure = _t(
            "rate",
            lang,
            pct=_pct(row["observed"]),
            reached=reached,
            entered=entered,
            pending=pending,
        )
    if status == "too_few":
        verdict = _t("too_few", lang, entered=entered, least=least)
    else:
        needed = max(math.ceil(float(row["standard"]) * entered - 1e-9) - reached, 0)
        verdict = _t(status, lang, needed=needed, pending=pending)
    return [
        _t("conversion", lang),
        _t("at_least", lang, pct=_pct(row["standard"])),
        figure,
        verdict,
    ]


def _days_row(row: pd.Series, lang: str) -> list[str]:
    standard = _t("at_most", lang, days=f"{row['standard']:,.0f}")
    bound = bool(row["lower_bound"])
    figure = _t(
        "median_bound" if row["beyond_lower_bound"] else "median",
        lang,
        days=days_text(row["observed"], bound, lang, unit=False),
        beyond=int(row["beyond"]),
        deals=int(row["deals"]),
    )
    verdict = f"{row['status']}_days" + ("_bound" if bound and row["status"] == "meets" else "")
    return [_t("days", lang), standard, figure, _t(verdict, lang)]


def benchmarks_html(review: WeeklyReview) -> str:
    """``review``'s stages against the method's standards, as the funnel section shows
    them: a table (stage, measure, standard, this team's figure, verdict) of what does
    not meet its standard, the rest named in one line, "not checked"
    lines for the measures with no standard, and the stage model's steps when there are
    more than the method advises."""
    from pipereview.core._errors import PipereviewError
    from pipereview.core._stages import load_stage_model
    from pipereview.diagnostics._benchmarks import steps_beyond_standard

    lang, settings = review.lang, review.context.config.benchmarks
    table = review.context.benchmarks_team
    if len(table) and "team" in table:
        table = table[table["team"].astype("str") == str(review.team)]
    models = sorted({str(m) for m in review.latest["stage_model"].dropna()})
    rows, met = [], []
    for _, row in table.iterrows():
        stage = stage_text(row["stage_model"], row["stage"], lang) or str(row["stage"])
        if row["status"] == "meets" and not row["lower_bound"]:  # named in one line below
            met.append(_t("met_item", lang, stage=stage, measure=_t(str(row["measure"]), lang)))
        elif row["measure"] == "conversion":
            rows.append([stage, *_conversion_row(row, lang, settings.min_entries)])
        else:
            rows.append([stage, *_days_row(row, lang)])
    keys = ("stage", "measure", "standard", "team", "verdict")
    parts = [f"<h3>{html.escape(_t('title', lang))}</h3>"]
    if rows or met:
        intro = _t("intro", lang, weeks=review.context.cohort_weeks)
        parts.append(f"<p class='list-caption'>{html.escape(intro)}</p>")
    if rows:
        parts.append(text_table([_t(k, lang) for k in keys], rows, "benchmarks"))
    if met:
        sep = "、" if lang == "zh" else ", "
        parts.append(f"<p>{html.escape(_t('met', lang, stages=sep.join(met)))}</p>")
    labels = []
    for name in models:
        try:
            labels.append(load_stage_model(name).label.get(lang) or name)
        except PipereviewError:  # a model no longer known: its name
            labels.append(name)
    measures = set(table["measure"]) if len(table) else set()
    notes = []
    if "conversion" not in measures:
        notes.append(_t("no_conversion", lang, model=", ".join(labels) or "—"))
    if "days" not in measures:
        notes.append(_t("no_days", lang))
    for model, steps in steps_beyond_standard(models, settings.max_steps).items():
        notes.append(_t("steps", lang, model=model, n=steps, most=settings.max_steps))
    parts += [f"<p class='not-checked'>{html.escape(n)}</p>" for n in notes]
    return "".join(parts)
