"""The forecast section's check of the stage probabilities against history
(:func:`~pipereview.diagnostics._calibration.stage_calibration`): each open stage with
enough ended deals, the probability the forecast uses, the win rate its deals show (a
range while some are still open) and a verdict in words; the stages with too few ended
deals named in one line.

>>> from pipereview.delivery import WeeklyReview
>>> rows = pd.DataFrame({"snapshot_week": "2026-W47", "team": "North", "deal_id": ["A", "B"],
...     "deal_name": "MES", "owner": "Ann", "stage": "negotiation",
...     "stage_model": "generic_4", "amount": [1000.0, 500.0], "currency": "EUR",
...     "close_date": pd.Timestamp("2026-12-18")})
>>> page = calibration_html(WeeklyReview(rows, team="North", week="2026-W47"))
>>> "Too few ended deals to judge (at least 10 needed): Negotiation" in page
True
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import pandas as pd

from pipereview.core._languages import phrase
from pipereview.delivery._dealtables import stage_text, text_table

if TYPE_CHECKING:
    from pipereview.delivery._review import WeeklyReview

#: nothing of the package's own: the review's forecast section uses it
__all__: list[str] = []

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("Are the stage probabilities right?", "阶段赢率是否符合实际？"),
    "intro": (
        "The forecast weights an open deal by the probability the CRM gives it or, without "
        "one, by its stage's probability in the stage model. Against the stage's "
        "probability, the share of the deals seen at the stage that were won, counting only "
        "deals that "
        "reached it at least as long ago as a deal there typically takes to close; while "
        "some of them are still open the share is a range, from all of them lost to all "
        "of them won.",
        "预测按CRM中商机的赢率为在跟商机加权，没有时按阶段模型中该阶段的概率。与阶段概率"
        "对照的是在该阶段出现过的商机中赢单的比例，"
        "只计到达该阶段的时间不短于该阶段典型成交周期的商机；其中仍有在跟商机时，"
        "该比例是一个范围：从全部输单到全部赢单。",
    ),
    "stage": ("Stage", "阶段"),
    "used": ("Stage probability", "阶段概率"),
    "seen": ("Win rate seen", "实际赢率"),
    "counted": ("Deals counted", "计入商机"),
    "verdict": ("Verdict", "结论"),
    "range": ("{low} to {high}", "{low}～{high}"),
    "counts": (
        "won {won}, lost {lost}, still open {open}",
        "赢单 {won}、输单 {lost}、在跟 {open}",
    ),
    "calibrated": (
        "matches history (within {tol} points)",
        "与历史相符（相差不超过 {tol} 个百分点）",
    ),
    "optimistic": (
        "set too high: even with every open deal won, the win rate stays more than {tol} "
        "points below the stage probability",
        "设得过高：即使在跟商机全部赢单，赢率仍比阶段概率低 {tol} 个百分点以上",
    ),
    "pessimistic": (
        "set too low: even with every open deal lost, the win rate stays more than {tol} "
        "points above the stage probability",
        "设得过低：即使在跟商机全部输单，赢率仍比阶段概率高 {tol} 个百分点以上",
    ),
    "too early": (
        "too early to tell: the deals still open can move the win rate to either side",
        "尚无定论：仍在跟的商机可能使赢率落在任一侧",
    ),
    "leans_high": (
        "The forecast leans high at {stages}: the stage probability is above the win rate "
        "history shows.",
        "预测在以下阶段偏高：{stages}，阶段概率高于历史赢率。",
    ),
    "too_few": (
        "Too few ended deals to judge (at least {least} needed): {stages}.",
        "已结束的商机太少，无法判断（至少需要 {least} 个）：{stages}。",
    ),
    "none": (
        "Not checked: stage probabilities, no deal of this team has been seen at an open stage.",
        "未检查：阶段赢率，本团队没有商机出现在进行中的阶段。",
    ),
}


def _t(key: str, lang: str, **values: object) -> str:
    return phrase(_TEXT, key, lang, **values)


def _pct(share: float) -> str:
    return f"{share * 100:.0f}%"


def _row(row: pd.Series, stage: str, lang: str, tol: str) -> list[str]:
    still_open = int(row["still_open"])
    seen = _pct(row["observed_low"])
    if still_open:
        seen = _t("range", lang, low=seen, high=_pct(row["observed_high"]))
    counts = _t("counts", lang, won=int(row["won"]), lost=int(row["lost"]), open=still_open)
    verdict = _t(str(row["verdict"]), lang, tol=tol)
    return [stage, _pct(row["configured"]), seen, counts, verdict]


def calibration_html(review: WeeklyReview) -> str:
    """``review``'s stage probabilities against what its history shows, as the forecast
    section shows them: a caption saying how the win rate is counted, a table of the
    stages with enough ended deals (probability used, win rate seen, deals counted,
    verdict), the stages where the forecast leans high named first, and the stages with
    too few ended deals named in one line."""
    lang, settings = review.lang, review.context.config.forecast
    table = review.context.calibration_team
    if len(table):
        table = table[table["team"].astype("str") == str(review.team)]
    parts = [f"<h3>{html.escape(_t('title', lang))}</h3>"]
    if not len(table):
        return parts[0] + f"<p class='not-checked'>{html.escape(_t('none', lang))}</p>"
    tol = f"{settings.calibration_tolerance * 100:.0f}"
    rows, few, high = [], [], []
    for _, row in table.iterrows():
        stage = stage_text(row["stage_model"], row["stage"], lang) or str(row["stage"])
        if row["verdict"] == "too few":
            few.append(stage)
            continue
        rows.append(_row(row, stage, lang, tol))
        if row["verdict"] == "optimistic":
            high.append(stage)
    sep = "、" if lang == "zh" else ", "
    if high:
        parts.append(f"<p>{html.escape(_t('leans_high', lang, stages=sep.join(high)))}</p>")
    if rows:
        parts.append(f"<p class='list-caption'>{html.escape(_t('intro', lang))}</p>")
        keys = ("stage", "used", "seen", "counted", "verdict")
        parts.append(text_table([_t(k, lang) for k in keys], rows, "calibration"))
    if few:
        least = settings.min_calibration_deals
        parts.append(
            f"<p>{html.escape(_t('too_few', lang, least=least, stages=sep.join(few)))}</p>"
        )
    return "".join(parts)
