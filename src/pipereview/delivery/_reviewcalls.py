"""The review's "Forecast calls" section: whose call for the quarter is in, stale or
missing, this quarter's calls beside the same calls corrected by each caller's measured
bias, and each rep's bias against what they won in the closed quarters (sandbagging or
over-calling). Every value taken from the data is HTML-escaped.

>>> from pipereview.delivery._review import WeeklyReview
>>> h = pd.DataFrame({"snapshot_week": "2026-W45", "team": "North", "deal_id": ["D1"],
...     "deal_name": "MES", "account": "Acme", "owner": "Ann", "stage": ["negotiation"],
...     "stage_model": "generic_4", "amount": [100.0], "currency": "EUR",
...     "close_date": pd.to_datetime(["2026-12-01"]), "probability": None})
>>> review = WeeklyReview(h, team="North", week="2026-W45")
>>> "not available: no forecast calls stored" in calls_section(review).body
True
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING

import pandas as pd

from pipereview.delivery._dealtables import amount_text
from pipereview.delivery._reviewsections import Section
from pipereview.forecasting._callbias import bias_label, call_bias, call_freshness, corrected_call

if TYPE_CHECKING:
    from pipereview.delivery._review import WeeklyReview

__all__: list[str] = []  # reached through WeeklyReview.calls_section

#: The section's words in the review's language, escaped: ``t("title")``.
_Words = Callable[..., str]

_TABLE = "review-table"
_TEXT: dict[str, tuple[str, str]] = {
    "title": ("Forecast calls", "预测提交"),
    "none": ("not available: no forecast calls stored", "不可用：没有存储预测提交"),
    "freshness": ("Who has called this week", "本周提交情况"),
    "calls": (
        "This quarter's calls, corrected by each caller's bias",
        "本季度预测，按各人偏差校正",
    ),
    "bias": ("Calls against what was won in the closed quarters", "已结束季度的预测与实际赢单"),
    "no_calls_now": ("No call for this quarter yet.", "本季度尚无预测提交。"),
    "no_bias": (
        "not available: no closed quarter with a call and its result yet",
        "不可用：尚无既有预测又有结果的已结束季度",
    ),
    "manager": ("{team} (manager's call)", "{team}（经理预测）"),
    "who": ("Rep", "销售"),
    "last_week": ("Last call", "最近提交"),
    "status": ("Status", "状态"),
    "commit": ("Commit called", "承诺预测"),
    "ratio": ("Calls / won (median)", "预测 / 实际赢单（中位数）"),
    "corrected": ("Corrected call", "校正后预测"),
    "quarters": ("Quarters", "季度数"),
    "verdict": ("Verdict", "结论"),
    "uncorrected": ("not corrected: not enough history", "未校正：历史不足"),
    "ratio_text": (
        "{ratio:.2f}: calls {share} {side} what was won",
        "{ratio:.2f}：预测{side}实际赢单 {share}",
    ),
    "below": ("below", "低于"),
    "above": ("above", "高于"),
}


def calls_section(review: WeeklyReview) -> Section:
    """Freshness, this quarter's calls corrected by bias, and each caller's bias."""
    t = _words(review.lang)
    calls = review.forecast_calls
    if calls is None or not len(calls):
        return Section(
            t("title"), f"<p class='not-checked'>{t('none')}</p>", css_class="not-available"
        )
    reps = pd.DataFrame(
        {"team": review.team, "rep": sorted(review.latest["owner"].dropna().unique())}
    )
    fresh = call_freshness(calls, reps, review.week, review.config.forecast_calls, lang=review.lang)
    bias = review.context.call_bias  # shared with the coaching rule call_bias
    if bias is None:  # the week's diagnostics hold no calls
        bias = call_bias(calls, review.prepared, review.week, review.config.forecast_calls)
    now = corrected_call(calls, bias, review.week)
    parts = [f"<h3>{t('freshness')}</h3>", _freshness_table(fresh, t)]
    parts += [f"<h3>{t('calls')}</h3>", _calls_table(now, review, t)]
    parts += [f"<h3>{t('bias')}</h3>", _bias_table(bias.overall, review.lang, t)]
    return Section(t("title"), "".join(parts))


def _words(lang: str) -> _Words:
    index = 1 if lang == "zh" else 0

    def t(key: str, **values: object) -> str:
        return html.escape(_TEXT[key][index].format(**values))

    return t


def _who(row: pd.Series, t: _Words) -> str:
    if row["level"] == "manager" or row["rep"] is None:
        return t("manager", team=row["team"])
    return html.escape(str(row["rep"]))


def _table(head: list[str], rows: list[list[str]]) -> str:
    header = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table class='{_TABLE}'><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


def _freshness_table(fresh: pd.DataFrame, t: _Words) -> str:
    rows = [
        [_who(row, t), html.escape(str(row["last_week"] or "—")), html.escape(str(row["status"]))]
        for _, row in fresh.iterrows()
    ]
    return _table([t("who"), t("last_week"), t("status")], rows)


def _calls_table(now: pd.DataFrame, review: WeeklyReview, t: _Words) -> str:
    if not len(now):
        return f"<p>{t('no_calls_now')}</p>"
    currency = review.currency
    rows = []
    for _, row in now.iterrows():
        corrected = (
            amount_text(row["corrected"], currency) if pd.notna(row["ratio"]) else t("uncorrected")
        )
        rows.append(
            [
                _who(row, t),
                html.escape(str(row["week"])),
                html.escape(amount_text(row["commit"], currency)),
                html.escape(corrected) if pd.notna(row["ratio"]) else corrected,
            ]
        )
    return _table([t("who"), t("last_week"), t("commit"), t("corrected")], rows)


def _bias_table(overall: pd.DataFrame, lang: str, t: _Words) -> str:
    if not len(overall):
        return f"<p class='not-checked'>{t('no_bias')}</p>"
    rows = []
    for _, row in overall.iterrows():
        ratio = row["ratio"]
        if pd.isna(ratio):
            text = t("no_bias")
        else:
            side = t("below") if ratio < 1 else t("above")
            text = t("ratio_text", ratio=ratio, share=f"{abs(ratio - 1):.0%}", side=side)
        rows.append(
            [
                _who(row, t),
                text,
                str(int(row["quarters"])),
                html.escape(bias_label(row["verdict"], lang)),
            ]
        )
    return _table([t("who"), t("ratio"), t("quarters"), t("verdict")], rows)
