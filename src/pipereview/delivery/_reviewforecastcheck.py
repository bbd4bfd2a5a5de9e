"""The review's sections on pacing and on which forecast to trust: "Pacing" (this quarter
at week N against the quarters before at their week N, and the open pipeline left to
cover the remaining target) and "Which forecast to trust" (each forecast method's figure
for this quarter beside its error measured by the backtest, the recommended one marked).
Every value taken from the data is HTML-escaped.

>>> from pipereview.delivery._review import WeeklyReview
>>> h = pd.DataFrame({"snapshot_week": "2026-W45", "team": "North", "deal_id": ["D1", "D2"],
...     "deal_name": "MES", "account": "Acme", "owner": "Ann", "stage": ["won", "negotiation"],
...     "stage_model": "generic_4", "amount": [50.0, 100.0], "currency": "EUR",
...     "close_date": pd.to_datetime(["2026-10-20", "2026-12-01"]), "probability": None})
>>> t = pd.DataFrame({"team": ["North"], "owner": [""], "period": ["2026-Q4"],
...     "amount": [200.0], "currency": ["EUR"]})
>>> review = WeeklyReview(h, team="North", week="2026-W45", targets=t)
>>> "At week 6 of 2026-Q4: 25% of target won (50 EUR of 200 EUR)" in pacing_section(review).body
True
"""

from __future__ import annotations

import html
import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipereview.core._vocabulary import FORECAST_METHOD_LABELS
from pipereview.delivery._dealtables import amount_text
from pipereview.delivery._reviewsections import Section
from pipereview.diagnostics._trend_weeks import quarter_of
from pipereview.diagnostics._waterfall import period_bounds
from pipereview.forecasting._backtest import recommended_method, why_not_recommended
from pipereview.forecasting._backtestcache import cached_backtest_summary
from pipereview.forecasting._forecastlearning import closed_quarters, learn_quarter, record_starts
from pipereview.forecasting._forecastmethods import BASELINES, forecast_methods
from pipereview.forecasting._pacing import coverage_of_remaining, pacing
from pipereview.forecasting._quarterweeks import week_of_quarter

if TYPE_CHECKING:
    from pipereview.delivery._review import WeeklyReview

__all__: list[str] = []  # reached through WeeklyReview.pacing_section and forecast_check_section

_TABLE = "review-table"
_TEXT: dict[str, tuple[str, str]] = {
    "pacing_title": ("Pacing: week {n} of the quarter", "进度：本季度第 {n} 周"),
    "pace_target": (
        "At week {n} of {quarter}: {share} of target won ({won} of {target}).",
        "{quarter} 第 {n} 周：已赢单 {won}，占目标 {target} 的 {share}。",
    ),
    "pace_no_target": (
        "At week {n} of {quarter}: {won} won; no target for the quarter.",
        "{quarter} 第 {n} 周：已赢单 {won}；本季度没有目标。",
    ),
    "pace_before": (
        "In the {k} quarters before, {share} of the quarter's final won on average at week {n}.",
        "此前 {k} 个季度在第 {n} 周平均已赢得季度最终赢单额的 {share}。",
    ),
    "pace_none": (
        "No quarter before this one to compare with at week {n}.",
        "没有此前的季度可在第 {n} 周对比。",
    ),
    "quarter": ("Quarter", "季度"),
    "relation": ("Which", "对比"),
    "this_quarter": ("this quarter", "本季度"),
    "previous": ("a quarter before", "此前季度"),
    "same_quarter_last_year": ("same quarter last year", "去年同季度"),
    "week": ("Week", "周"),
    "won_to_date": ("Won by that week", "截至该周赢单"),
    "commit": ("Commit then", "当时承诺"),
    "no_commit": (
        "Commit then: not available: the export has no forecast category",
        "当时承诺：不可用：导出中没有预测类别",
    ),
    "final_won": ("Won in the quarter", "季度最终赢单"),
    "share_of_final": ("Share of the quarter's won", "占季度赢单比例"),
    "share_of_target": ("Share of target", "占目标比例"),
    "note": ("Note", "说明"),
    "coverage_line": (
        "Remaining target {remaining} against {pipeline} of open pipeline that can still "
        "close by {last}: coverage {coverage} (open deals counted: {deals}).",
        "剩余目标 {remaining}，{last} 前仍可成交的在跟管道 {pipeline}：覆盖率 {coverage}"
        "（计入的在跟商机：{deals} 个）。",
    ),
    "coverage_no_target": (
        "{pipeline} of open pipeline can still close by {last} (open deals counted: "
        "{deals}); no target to cover.",
        "{last} 前仍可成交的在跟管道 {pipeline}（计入的在跟商机：{deals} 个）；没有需要覆盖的目标。",
    ),
    "overdue_line": (
        "Not counted: overdue deals (their close date has passed): {deals}, {amount}.",
        "未计入：已过预计成交日期的商机 {deals} 个，{amount}。",
    ),
    "check_title": ("Which forecast to trust", "哪种预测更可信"),
    "record_start": (
        "Learned and judged from {start} on: no deal of the team was won or lost before "
        "{start} (the history starts in {first}).",
        "从 {start} 起学习和回测：{start} 之前该团队没有赢单或输单（历史从 {first} 开始）。",
    ),
    "check_intro": (
        "Each method's forecast of {quarter}'s final won as of week {n}, beside its error "
        "measured on the closed quarters of the history at weeks {low} to {high} of the "
        "quarter (mean absolute error in % of the actual; bias: the mean signed error).",
        "各方法截至第 {n} 周对 {quarter} 最终赢单额的预测，以及在历史已结束季度第 {low}–{high} 周"
        "回测得出的误差（平均绝对误差占实际的百分比；偏差：平均带符号误差）。",
    ),
    "method": ("Method", "方法"),
    "forecast": ("Forecast", "预测"),
    "error": ("Error", "误差"),
    "bias": ("Bias", "偏差"),
    "quarters": ("Quarters measured", "回测季度数"),
    "recommended": ("Recommended", "推荐"),
    "over": ("{pct} over", "高估 {pct}"),
    "under": ("{pct} under", "低估 {pct}"),
    "on_target": ("none", "无"),
    "verdict": (
        "Recommended: {method}, {error} error at this week of the quarter, against "
        "{base_a} and {base_b} for the two baselines.",
        "推荐：{method}，本季度此周的误差 {error}；两个基准分别为 {base_a} 和 {base_b}。",
    ),
    "verdict_baseline": (
        "No method beats the baselines here; the one to trust is the baseline \u201c{method}\u201d "
        "({error} error).",
        "此处没有方法胜过基准；以基准\u201c{method}\u201d为准（误差 {error}）。",
    ),
    "mark": ("recommended", "推荐"),
}
#: The reasons a figure is missing, worded in Chinese too.
_REASONS: tuple[tuple[str, str], ...] = (
    (r"not available: the history starts (\S+)", "无法计算：历史数据从 {0} 开始"),
    (r"not available: no forecast calls stored", "无法计算：没有存储销售预测提报"),
    (
        r"not available: the export has no evidence columns \(the exit criteria of the "
        r"stage model\)",
        "无法计算：导出中没有证据列（阶段模型的阶段推进标准）",
    ),
    (
        r"not available: no closed quarter before this one in the history",
        "无法计算：历史中本季度之前没有已结束的季度",
    ),
    (
        r"not available: no closed quarter with calls to measure the reps' bias",
        "无法计算：没有含预测提报的已结束季度来衡量销售的偏差",
    ),
    (
        r"not available: no deal was due in the (\d+) closed quarters before this one "
        r"\(close dates blank or outside them\)",
        "无法计算：此前 {0} 个已结束的季度中没有预计在该季度成交的商机（预计成交日期为空或不在季度内）",
    ),
    (
        r"not available: no closed quarter before this one has a week stored at or before "
        r"week (\d+) of the quarter",
        "无法计算：此前已结束的季度在季度第 {0} 周及之前都没有存储的数据",
    ),
    (
        r"not available: the closed quarters before this one won nothing to learn the inflow "
        r"from",
        "无法计算：此前已结束的季度没有赢单，无法得出新增管道的比例",
    ),
    (
        r"not enough history: (\d+) closed quarters, needs at least (\d+)",
        "历史不足：只有 {0} 个已结束的季度，至少需要 {1} 个",
    ),
    (
        r"not enough quarters with a deal won: (\d+) of the (\d+) closed quarters judged, "
        r"needs at least (\d+)",
        "有赢单的季度不足：回测的 {1} 个已结束季度中只有 {0} 个有赢单，至少需要 {2} 个",
    ),
    (
        r"not measured at weeks (\d+) to (\d+) of the quarter: no week stored there in the "
        r"closed quarters judged",
        "第 {0}–{1} 周无法回测：回测的已结束季度在这几周没有存储的数据",
    ),
    (
        r"not available: no deal of the team was won or lost in the (\d+) closed quarters "
        r"before this one",
        "无法计算：此前 {0} 个已结束的季度中该团队没有赢单或输单",
    ),
    (
        r"not measured: no deal was won or lost in the (\d+) closed quarters",
        "无法回测：{0} 个已结束的季度中没有赢单或输单",
    ),
    (
        r"not measured: no deal was due in the (\d+) closed quarters \(close dates blank or "
        r"outside them\)",
        "无法回测：{0} 个已结束的季度中没有预计在该季度成交的商机（预计成交日期为空或不在季度内）",
    ),
)


def _t(key: str, lang: str, **values: object) -> str:
    en, zh = _TEXT[key]
    return (zh if lang == "zh" else en).format(**values)


def _reason(text: str, lang: str) -> str:
    """A missing figure's reason in ``lang``."""
    if lang != "zh" or not text:
        return text
    for pattern, zh in _REASONS:
        if (match := re.fullmatch(pattern, text)) is not None:
            return zh.format(*match.groups())
    return text


def _pct(value: Any) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value):.0%}"


def _money(value: Any, currency: str) -> str:
    return "—" if value is None or pd.isna(value) else amount_text(float(value), currency)


def _bias(value: Any, lang: str) -> str:
    """A signed error in words, so its sign cannot be misread."""
    if value is None or pd.isna(value):
        return "—"
    if round(float(value), 2) == 0:
        return _t("on_target", lang)
    return _t("over" if value > 0 else "under", lang, pct=f"{abs(float(value)):.0%}")


def _table(frame: pd.DataFrame, lang: str) -> str:
    shown = frame.rename(columns={c: _t(c, lang) for c in frame.columns if c in _TEXT})
    shown = shown.astype(object).where(shown.notna(), "—")
    return shown.to_html(index=False, escape=True, border=0, classes=_TABLE, na_rep="—")


def _p(text: str) -> str:
    return f"<p>{html.escape(text)}</p>\n"


def pacing_section(review: WeeklyReview) -> Section:
    """The "Pacing" section: the pace sentence, the quarters' table and the coverage of
    the remaining target."""
    lang, currency, n = review.lang, review.currency, week_of_quarter(review.week)
    paced = pacing(review.prepared, review.targets, review.week)
    this = paced.iloc[0]
    body = _p(_pace_sentence(this, n, lang, currency))
    before = paced.iloc[1:]
    shares = before["share_of_final"].dropna()
    body += _p(
        _t("pace_before", lang, k=len(shares), share=_pct(shares.mean()), n=n)
        if len(shares)
        else _t("pace_none", lang, n=n)
    )
    table = pd.DataFrame(
        {
            "quarter": paced["quarter"],
            "relation": [_t(r, lang) for r in paced["relation"]],
            "week": paced["week"],
            "won_to_date": [_money(v, currency) for v in paced["won_to_date"]],
            "commit": [_money(v, currency) for v in paced["commit"]],
            "final_won": [_money(v, currency) for v in paced["final_won"]],
            "share_of_final": [_pct(v) for v in paced["share_of_final"]],
            "share_of_target": [_pct(v) for v in paced["share_of_target"]],
            "note": [_reason(v, lang) for v in paced["note"]],
        }
    )
    if paced["commit"].isna().all():  # no forecast category recorded: not a commit of 0
        table = table.drop(columns="commit")
        body += _table(table, lang) + _p(_t("no_commit", lang))
    else:
        body += _table(table, lang)
    body += _coverage_html(review)
    return Section(_t("pacing_title", lang, n=n), body)


def _pace_sentence(this: pd.Series, n: int, lang: str, currency: str) -> str:
    won = _money(this["won_to_date"], currency)
    if pd.isna(this["target"]):
        return _t("pace_no_target", lang, n=n, quarter=this["quarter"], won=won)
    return _t(
        "pace_target",
        lang,
        n=n,
        quarter=this["quarter"],
        share=_pct(this["share_of_target"]),
        won=won,
        target=_money(this["target"], currency),
    )


def _coverage_html(review: WeeklyReview) -> str:
    lang, currency = review.lang, review.currency
    cover = coverage_of_remaining(review.prepared, review.targets, review.week)
    if not len(cover.summary):
        return ""
    row = cover.summary.iloc[0]
    values = {
        "pipeline": _money(row["open_pipeline"], currency),
        "last": str(period_bounds(str(row["period"]))[1].date()),
        "deals": int(row["open_deals"]),
    }
    if pd.isna(row["remaining_target"]):
        out = _p(_t("coverage_no_target", lang, **values))
    else:
        coverage = "—" if pd.isna(row["coverage"]) else f"{float(row['coverage']):.2f}"
        remaining = _money(row["remaining_target"], currency)
        out = _p(_t("coverage_line", lang, remaining=remaining, coverage=coverage, **values))
    if int(row["overdue_deals"]):
        amount = _money(row["overdue_amount"], currency)
        out += _p(_t("overdue_line", lang, deals=int(row["overdue_deals"]), amount=amount))
    return out


def forecast_check_section(review: WeeklyReview, calls: pd.DataFrame | None = None) -> Section:
    """The "Which forecast to trust" section: every method's forecast for this quarter,
    its error measured at this week of the quarter (± the window), the recommended one
    marked, or why none is."""
    lang, currency, n = review.lang, review.currency, week_of_quarter(review.week)
    settings = replace(review.config.backtest, recommend_week=n)
    low, high = max(1, n - settings.week_window), n + settings.week_window
    # the quarters closed by the review's week only, whatever later weeks the history holds
    known = review.prepared.upto(review.week)
    learning = learn_quarter(known, quarter_of(review.week), calls=calls)
    said = forecast_methods(
        known, review.week, calls=calls, learning=learning, min_cell_deals=settings.min_cell_deals
    ).set_index("method")
    # the same for every language and view of this history: computed once, reused
    summary = cached_backtest_summary(known, calls=calls, settings=settings)
    weekly = summary[summary["week_of_quarter"].between(low, high)]
    scores = weekly.groupby("method").agg(mape=("mape", "mean"), bias=("bias", "mean"))
    counted = summary[summary["week_of_quarter"].isna()].set_index("method")["quarters"]
    chosen = recommended_method(summary, settings)
    best = chosen.iloc[0] if len(chosen) else None
    rows = []
    for method in said.index:
        note = _reason(str(said.loc[method, "note"]), lang)
        rows.append(
            {
                "method": FORECAST_METHOD_LABELS[method][lang == "zh"],
                "forecast": note or _money(said.loc[method, "forecast"], currency),
                "error": _pct(scores["mape"].get(method)),
                "bias": _bias(scores["bias"].get(method), lang),
                "quarters": int(counted.get(method, 0)),
                "recommended": _t("mark", lang)
                if best is not None and best["method"] == method
                else "",
            }
        )
    quarter = str(said["quarter"].iloc[0]) if len(said) else review.period
    body = _p(_t("check_intro", lang, quarter=quarter, n=n, low=low, high=high))
    start, first = record_starts(known).get(review.team, ""), quarter_of(known.weeks[0])
    this, closed = quarter_of(review.week), closed_quarters(known)
    if first < start < this:
        body += _p(_t("record_start", lang, start=start, first=first))
    if best is None and review.team in learning.unrecorded:  # deals due, none ever ended
        verdict = _p(_reason(_UNRECORDED.format(n=len([q for q in closed if q < this])), lang))
    else:
        # judged: the closed quarters after the history's first and after the record start
        judgeable = len([q for q in closed[1:] if q > start])
        verdict = _verdict(best, lang, settings.min_quarters, judgeable)
    return Section(_t("check_title", lang), body + _table(pd.DataFrame(rows), lang) + verdict)


#: Why nothing is measured for a team none of whose deals was won or lost before.
_UNRECORDED = "not measured: no deal was won or lost in the {n} closed quarters"


def _verdict(best: pd.Series | None, lang: str, least: int, judgeable: int) -> str:
    """The recommendation in words, or why there is none (``judgeable``: the closed
    quarters of the history after its first)."""
    if best is None and judgeable < least:  # no closed quarter judged at all
        return _p(_reason(why_not_recommended(0, judgeable, least), lang))
    if best is None:  # closed quarters, none with a deal due in it to learn from or judge
        why = (
            f"not measured: no deal was due in the {judgeable} closed quarters (close dates "
            "blank or outside them)"
        )
        return _p(_reason(why, lang))
    if not best["method"]:
        return _p(_reason(str(best["note"]), lang))
    label = FORECAST_METHOD_LABELS[str(best["method"])][lang == "zh"]
    if not best["beats_baselines"]:
        plain = re.sub(r"^(baseline: |基准：)", "", label)
        return _p(_t("verdict_baseline", lang, method=plain, error=_pct(best["mape"])))
    base = [_pct(best[f"{b}_mape"]) for b in BASELINES]
    return _p(
        _t("verdict", lang, method=label, error=_pct(best["mape"]), base_a=base[0], base_b=base[1])
    )
