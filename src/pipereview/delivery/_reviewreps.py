"""The team's reps side by side, the figures the method compares reps on: open deals,
win rate, average won deal, median sales cycle, sales velocity
(:func:`~pipereview.diagnostics._conversion.sales_velocity`, with the forecast's settings
so the win rate is the forecast's) and the early-stage deals with all four BANT items
met (:func:`~pipereview.diagnostics._bant.bant_check`); the team's own row first.

Every cell says what it rests on: the closed deals behind a win rate ("20% (3 of 15)"),
``≥`` before a cycle counted from a deal's first stored week (its created date
missing), why a figure is missing ("— (2 closed; 5 needed)"), the early deals not
checked because the export does not record a BANT item; columns the export lacks are
named below the table.

>>> from pipereview.delivery import WeeklyReview
>>> rows = pd.DataFrame({"snapshot_week": "2026-W47", "team": "North",
...     "deal_id": ["A", "B", "C"], "deal_name": "MES", "owner": ["Ann", "Ann", "Bo"],
...     "stage": ["needs_confirmed", "won", "initial_contact"], "stage_model": "generic_4",
...     "amount": [1000.0, 800.0, 500.0], "currency": "EUR",
...     "created_date": pd.Timestamp("2026-10-01"),
...     "close_date": pd.to_datetime(["2026-12-18", "2026-11-17", "2027-01-29"])})
>>> page = reps_html(WeeklyReview(rows, team="North", week="2026-W47"))
>>> "— (1 closed; 5 needed)" in page, "800 EUR" in page, "47 days" in page
(True, True, True)
>>> "BANT qualification: not checked" in page  # the export records no BANT item
True
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING

import pandas as pd

from pipereview.core._languages import phrase
from pipereview.delivery._dealtables import amount_text
from pipereview.diagnostics._figures import days_text

if TYPE_CHECKING:
    from pipereview.delivery._review import WeeklyReview

#: nothing of the package's own: the review's coaching section uses it
__all__: list[str] = []

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("Reps side by side", "销售代表对比"),
    "rep": ("Rep", "销售代表"),
    "open": ("Open deals", "在跟商机"),
    "win_rate": ("Win rate, last {weeks} weeks", "赢单率（近 {weeks} 周）"),
    "avg_won": ("Average won deal", "平均赢单金额"),
    "cycle": ("Median sales cycle", "成交周期中位数"),
    "velocity": ("Sales velocity a week", "每周销售速度"),
    "bant": ("BANT all met", "BANT 四项齐全"),
    "rate": ("{pct} ({won} of {closed})", "{pct}（{closed} 单中赢 {won} 单）"),
    "few_closed": (
        "— ({closed} closed; {least} needed)",
        "—（成交 {closed} 单，至少需 {least} 单）",
    ),
    "none_won": ("— (none won)", "—（无赢单）"),
    "few_won": ("— ({won} won; {least} needed)", "—（赢单 {won} 单，至少需 {least} 单）"),
    "early": ("{met} of {early} early deals", "早期商机 {early} 个中 {met} 个"),
    "early_unchecked": (
        "{met} of {early} early deals; {unchecked} not checked",
        "早期商机 {early} 个中 {met} 个；{unchecked} 个未检查",
    ),
    "no_early": ("no early-stage deal", "无早期阶段商机"),
    "intro": (
        "Win rate, average won deal and cycle: the deals won or lost with a close date in the "
        "last {weeks} weeks; the cycle runs from the created date to the close date (≥: from "
        "the first stored week where the created date is missing). Sales velocity: open deals "
        "× win rate × average won deal ÷ cycle days, for seven days. BANT: the open deals of "
        "the first two stages with budget, decision maker, need and time window all met.",
        "赢单率、平均赢单金额与成交周期：近 {weeks} 周内预计成交日落在其中的赢单和输单；成交周期"
        "从创建日期算到成交日期（≥：缺少创建日期时从首次存储的那一周算起）。销售速度：在跟商机数 × "
        "赢单率 × 平均赢单金额 ÷ 成交周期天数，按七天计。BANT：前两个阶段的在跟商机中，预算、"
        "决策人、需求、时间窗口四项均已满足的商机。",
    ),
}


def _t(key: str, lang: str, **values: object) -> str:
    return phrase(_TEXT, key, lang, **values)


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _figures(row: pd.Series, lang: str, least_closed: int, least_won: int) -> list[str]:
    """The velocity columns of one row, as printed."""
    won, closed = int(row["won"]), int(row["won"]) + int(row["lost"])
    currency = str(row["currency"]) if not _missing(row["currency"]) else ""
    if _missing(row["win_rate"]):
        rate = _t("few_closed", lang, closed=closed, least=least_closed)
    else:
        rate = _t("rate", lang, pct=f"{row['win_rate'] * 100:.0f}%", won=won, closed=closed)
    if not won:
        return [rate, _t("none_won", lang), "—", _t("none_won", lang)]
    bound = row["cycle_basis"] != "created_date"
    velocity = (
        _t("few_won", lang, won=won, least=least_won)
        if _missing(row["velocity_per_week"])
        else amount_text(float(row["velocity_per_week"]), currency)
    )
    return [
        rate,
        amount_text(float(row["avg_won_amount"]), currency),
        days_text(row["median_cycle_days"], bound, lang),
        velocity,
    ]


def _bant_cell(deals: pd.DataFrame, lang: str) -> str:
    if deals.empty:
        return _t("no_early", lang)
    complete = deals["bant_complete"]
    met, unchecked = int((complete == True).sum()), int(complete.isna().sum())  # noqa: E712
    key = "early_unchecked" if unchecked else "early"
    return _t(key, lang, met=met, early=len(deals), unchecked=unchecked)


def reps_table(review: WeeklyReview) -> pd.DataFrame:
    """The table as printed: the team's row, then each rep of the week's open or
    recently closed deals, by name; headers in the review's language."""
    from pipereview.diagnostics._bant import bant_check
    from pipereview.diagnostics._conversion import VELOCITY_MIN_WON, sales_velocity

    context, lang = review.context, review.lang
    settings = context.config.forecast
    rows = []
    for by in ("team", "rep"):
        speed = (  # by rep: the context's own, computed once for every reader
            context.velocity_rep
            if by == "rep"
            else sales_velocity(context.prepared, as_of=context.week, by=by, settings=settings)
        )
        speed = speed[speed["team"] == review.team]
        rows.append(speed.assign(owner="" if by == "team" else speed["owner"]))
    table = pd.concat(rows, ignore_index=True)
    table = pd.concat([table.iloc[:1], table.iloc[1:].sort_values("owner")], ignore_index=True)
    open_deals = context.open_deals[context.open_deals["team"] == review.team]
    bant = bant_check(open_deals) if len(open_deals) else pd.DataFrame(columns=["owner"])
    out = []
    for _, row in table.iterrows():
        name = str(row["owner"]) or review.team
        mine = bant if not row["owner"] else bant[bant["owner"] == row["owner"]]
        out.append(
            [
                name,
                f"{int(row['open_deals']):,}",
                *_figures(row, lang, settings.min_closed_deals, VELOCITY_MIN_WON),
                _bant_cell(mine, lang),
            ]
        )
    headers = ["rep", "open", "win_rate", "avg_won", "cycle", "velocity", "bant"]
    return pd.DataFrame(out, columns=[_t(h, lang, weeks=settings.win_rate_weeks) for h in headers])


def reps_html(review: WeeklyReview) -> str:
    """The reps side by side as the review and the dashboard show them: a title, what the
    figures are, the table, and what the export does not let it check."""
    from pipereview.diagnostics._capabilities import not_checked_notes

    lang = review.lang
    team_open = review.context.open_deals
    team_open = team_open[team_open["team"] == review.team]
    table = reps_table(review)
    if table.empty:
        return ""
    weeks = review.context.config.forecast.win_rate_weeks
    notes = not_checked_notes(team_open, lang, ("bant", "currency")) if len(team_open) else ()
    return (
        f"<h3>{html.escape(_t('title', lang))}</h3>"
        f"<p class='reps-intro'>{html.escape(_t('intro', lang, weeks=weeks))}</p>"
        + table.to_html(index=False, escape=True, border=0, classes="review-table reps")
        + "".join(f"<p class='not-checked'>{html.escape(n)}</p>" for n in notes)
    )
