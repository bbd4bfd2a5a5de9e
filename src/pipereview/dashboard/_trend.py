"""The overview's week over week: each headline figure this week, last stored week, the
change worded by its sign with an arrow, and a small line of the stored weeks (at most 13)
drawn in text, so it costs nothing to draw and needs no chart.

The figures come from the review's own history (the team's weeks up to the view's), the
same definitions as the headline: open deals and open pipeline (open deals this week),
weighted pipeline, won this period (up to each week).

>>> spark([1.0, 2.0, 4.0, 8.0])
'▁▂▄█'
>>> change_words(-5.0, "USD", "en"), change_words(0.0, "", "zh"), change_words(3, "", "en")
('▼ down 5 USD', '＝ 持平', '▲ up 3')
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipereview.dashboard._text import text
from pipereview.ingest._schema import open_mask

if TYPE_CHECKING:
    from pipereview.delivery import WeeklyReview

__all__: list[str] = []

#: The figures compared week over week, in the headline's order.
FIGURES: tuple[str, ...] = ("open_deals", "open_amount", "weighted_pipeline", "won_amount")
_BARS = "▁▂▃▄▅▆▇█"
#: Stored weeks the small line shows (a quarter).
WEEKS = 13


def spark(values: list[float]) -> str:
    """``values`` as a line of block characters, lowest ▁ to highest █ (all one height
    when they are equal)."""
    if not values:
        return ""
    low, high = min(values), max(values)
    if high == low:
        return _BARS[3] * len(values)
    return "".join(_BARS[round((v - low) / (high - low) * (len(_BARS) - 1))] for v in values)


def change_words(change: float, currency: str, lang: str) -> str:
    """A change worded by its sign, with an arrow: "▲ up 3", "▼ down 5 USD", "＝ unchanged"."""
    amount = f"{abs(change):,.0f} {currency}".strip()
    if round(change) == 0:
        return "＝ 持平" if lang == "zh" else "＝ unchanged"
    if lang == "zh":
        return f"▲ 增加 {amount}" if change > 0 else f"▼ 减少 {amount}"
    return f"▲ up {amount}" if change > 0 else f"▼ down {amount}"


def weekly_figures(review: WeeklyReview, rep: str = "") -> pd.DataFrame:
    """One row per stored week of the team (the last :data:`WEEKS` up to the review's),
    with the :data:`FIGURES` as of that week, for the team or its rep ``rep``."""
    from pipereview.diagnostics._forecast import weighted_pipeline, won_deals
    from pipereview.history._prepared import prepare_history

    kept: dict[str, pd.DataFrame] = review.__dict__.setdefault("_weekly_figures", {})
    if rep in kept:  # once per review and rep: the review of a view never changes
        return kept[rep]
    history = review.history if not rep else review.history[review.history["owner"] == rep]
    weeks = sorted(review.history["snapshot_week"].astype(str).unique())[-WEEKS:]
    # the team's prepared history, or the rep's rows as the rep's headline reads them,
    # prepared once: each week's figures read the rows up to that week
    prepared = review.prepared if not rep else prepare_history(history)
    open_rows = history[open_mask(history)]
    open_weeks = open_rows["snapshot_week"].astype(str)
    rows: list[dict[str, Any]] = []
    for week in weeks:
        open_now = open_rows[open_weeks == week]
        weighted = weighted_pipeline(open_now)["weighted"].sum() if len(open_now) else 0.0
        won = won_deals(prepared, review.period, week)
        rows.append(
            {
                "week": week,
                "open_deals": float(len(open_now)),
                "open_amount": float(open_now["amount"].sum()),
                "weighted_pipeline": round(float(weighted), 2),
                "won_amount": float(won["amount"].sum()),
            }
        )
    kept[rep] = pd.DataFrame(rows, columns=["week", *FIGURES])
    return kept[rep]


def trend_html(review: WeeklyReview, rep: str, lang: str) -> str:
    """The week-over-week table of the overview; a line saying there is nothing to compare
    in the team's first stored week; nothing when amounts are refused (several currencies)."""
    if review.mixed_currencies is not None:
        return ""
    weeks = weekly_figures(review, rep)
    if len(weeks) < 2:
        return f"<p class='pr-trend'>{html.escape(review.t('no_previous'))}</p>"
    now, before = weeks.iloc[-1], weeks.iloc[-2]
    rows = []
    for figure in FIGURES:
        currency = "" if figure == "open_deals" else review.currency
        change = float(now[figure]) - float(before[figure])
        line = spark([float(v) for v in weeks[figure]])
        title = ", ".join(
            f"{w}: {v:,.0f}" for w, v in zip(weeks["week"], weeks[figure], strict=True)
        )
        rows.append(
            f"<tr><td>{html.escape(review.t(figure))}</td>"
            f"<td>{float(now[figure]):,.0f}</td><td>{float(before[figure]):,.0f}</td>"
            f"<td class='{'up' if change > 0 else 'down' if change < 0 else 'same'}'>"
            f"{html.escape(change_words(change, currency, lang))}</td>"
            f"<td class='pr-spark' title='{html.escape(title, quote=True)}'>{line}</td></tr>"
        )
    heads = "".join(
        f"<th>{html.escape(h)}</th>"
        for h in (
            text("figure", lang),
            str(now["week"]),
            str(before["week"]),
            text("change", lang),
            text("weeks_trend", lang, n=len(weeks)),
        )
    )
    return (
        f"<table class='review-table pr-trend'><thead><tr>{heads}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
