"""The weekly review's "what changed" section: the waterfall of the pipeline expected to
close in the review's period, labelled with that period and set beside the whole open
pipeline, the deals behind each of its steps, and every deal that moved whatever its close
date, by how it moved: each count followed by its deals, largest first.

>>> change_text(-420000.0, "USD", "en"), change_text(0.4, "USD", "zh")
('removes 420,000 USD', '无变化')
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import pandas as pd

from pipereview.core import CATEGORY_LABELS
from pipereview.core._links import record_url
from pipereview.delivery._dealtables import amount_text, blank_text, colon, stage_text
from pipereview.delivery._reviewcharts import waterfall_steps
from pipereview.delivery._reviewsections import Section, html_table, refusal
from pipereview.delivery._reviewteam import week_rows
from pipereview.diagnostics import rebuilt_note
from pipereview.ingest._schema import open_mask

if TYPE_CHECKING:
    from pipereview.delivery._review import WeeklyReview

#: nothing of the package's own: the review uses these
__all__: list[str] = []


def changes_section(review: WeeklyReview) -> Section:
    """This week's waterfall of the pipeline expected to close in the review's period,
    labelled with that period and set beside the whole open pipeline; the deals behind
    each step of the waterfall, and then every deal that moved whatever its close date,
    by how it moved: each count followed by its deals, largest first."""
    from pipereview import charts

    if review.history["snapshot_week"].nunique() < 2:
        return Section(review.t("changes"), f"<p>{html.escape(review.t('no_previous'))}</p>")
    if refused := refusal(review, "changes"):  # e.g. amounts in two currencies
        return refused
    moved = waterfall_steps(review)
    assert moved is not None  # two weeks stored
    moves, steps = moved
    chart = charts.svg_html(charts.waterfall_chart(steps, lang=review.lang, period=review.period))
    note = rebuilt_note(review.history, review.lang)
    body = (
        f'<p class="scope">{html.escape(waterfall_scope(review, steps))}</p>'
        + (f'<p class="note">{html.escape(note)}</p>' if note else "")
        + chart
        + step_lists(review, moves)
        + category_lists(review, moves)
    )
    return Section(review.t("changes"), body)


def waterfall_scope(review: WeeklyReview, steps: pd.DataFrame) -> str:
    """What the waterfall covers, in words: the pipeline expected to close in the period
    last week and this week, and the whole open pipeline beside it (which it is part of).

    The figures are the waterfall's own opening and closing and the headline's open
    pipeline, so the three agree with what the report shows elsewhere."""
    opening, closing = pipeline_ends(steps)
    open_now = review.latest[open_mask(review.latest)]
    whole = float(open_now["amount"].sum())
    outside = whole - closing
    cur = review.currency
    change = closing - opening
    if review.lang == "zh":
        moved = (
            "持平"
            if round(change) == 0
            else f"{'增加' if change > 0 else '减少'} {amount_text(abs(change), cur)}"
        )
        return (
            f"图中为预计在 {review.period} 成交的在跟商机：上周 {amount_text(opening, cur)}，"
            f"本周 {amount_text(closing, cur)}（{moved}）。全部在跟商机 {len(open_now)} 个，"
            f"共 {amount_text(whole, cur)}，其中 {amount_text(outside, cur)} 预计在 "
            f"{review.period} 之外成交，不在图中。"
        )
    moved = (
        "no change"
        if round(change) == 0
        else f"{'up' if change > 0 else 'down'} {amount_text(abs(change), cur)}"
    )
    return (
        f"The chart covers the open deals expected to close in {review.period}: "
        f"{amount_text(opening, cur)} last week, {amount_text(closing, cur)} this week "
        f"({moved}). All {len(open_now)} open deals come to {amount_text(whole, cur)}; "
        f"{amount_text(outside, cur)} of it is expected to close outside {review.period} "
        "and is not in the chart."
    )


def pipeline_ends(steps: pd.DataFrame) -> tuple[float, float]:
    """The opening and closing amounts of a waterfall (:func:`~pipereview.diagnostics.waterfall`)."""
    amounts = steps.set_index("step")["amount"].astype(float)
    return float(amounts.loc[["opening"]].sum()), float(amounts.loc[["closing"]].sum())


def change_text(amount: float, currency: str, lang: str) -> str:
    """A step's change to the pipeline, worded so its sign cannot be misread.

    >>> change_text(-420000.0, "USD", "en"), change_text(1500.0, "CNY", "zh")
    ('removes 420,000 USD', '增加 1,500 CNY')
    """
    if round(amount) == 0:
        return "无变化" if lang == "zh" else "no change"
    if lang == "zh":
        return f"{'增加' if amount > 0 else '减少'} {amount_text(abs(amount), currency)}"
    return f"{'adds' if amount > 0 else 'removes'} {amount_text(abs(amount), currency)}"


def moved_deals(
    review: WeeklyReview, moves: pd.DataFrame, *, lost: bool = False
) -> tuple[pd.DataFrame, list[str | None]]:
    """Movements rows (:func:`~pipereview.history.deal_movements`) as a deal list, largest
    first (the larger of last week's and this week's amount), with each deal's CRM link:
    deal ID, deal, account, rep, stage, amount and close date (last week's → this week's),
    days moved, and this week's forecast category and next step. A list of ``lost`` deals
    has their loss reason after the stage when the team's export has that column
    (:func:`shows_loss_reason`)."""
    from pipereview.delivery._dealtables import (
        amount_cell,
        category_text,
        date_text,
        from_to,
        header,
        text_or_none,
    )

    lang = review.lang
    size = moves[["amount_from", "amount_to"]].astype(float).max(axis=1).fillna(0.0)
    rows = moves.assign(_size=size).sort_values(
        ["_size", "deal_id", "deal_name"], ascending=[False, True, True], kind="stable"
    )
    latest = week_rows(review)  # the frame the movements' curr_row points into
    now = [
        latest.iloc[int(r)] if pd.notna(r) and int(r) < len(latest) else None
        for r in rows["curr_row"]
    ]
    team_model = str(latest["stage_model"].iloc[0]) if len(latest) else ""
    model = [
        team_model if n is None or blank_text(n.get("stage_model")) else str(n["stage_model"])
        for n in now
    ]

    def field(name: str) -> list[object]:
        return [None if n is None or name not in n.index else n[name] for n in now]

    frame = pd.DataFrame(
        {
            header("deal_id", lang): [text_or_none(v) for v in rows["deal_id"]],
            header("deal", lang): [text_or_none(v) for v in rows["deal_name"]],
            header("account", lang): [text_or_none(v) for v in rows["account"]],
            header("rep", lang): [text_or_none(v) for v in rows["owner"]],
            header("stage", lang): [
                from_to(stage_text(m, a, lang), stage_text(m, b, lang))
                for m, a, b in zip(model, rows["stage_from"], rows["stage_to"], strict=True)
            ],
            **(
                {header("loss_reason", lang): [text_or_none(v) for v in rows["loss_reason"]]}
                if lost and shows_loss_reason(review)
                else {}
            ),
            header("amount", lang): [
                from_to(amount_cell(a, c), amount_cell(b, c))
                for a, b, c in zip(
                    rows["amount_from"], rows["amount_to"], rows["currency"], strict=True
                )
            ],
            header("close_date", lang): [
                from_to(date_text(a), date_text(b))
                for a, b in zip(rows["close_date_from"], rows["close_date_to"], strict=True)
            ],
            header("days_moved", lang): [
                None if pd.isna(d) or int(d) == 0 else f"{int(d):+d}" for d in rows["days_moved"]
            ],
            header("forecast_category", lang): [
                category_text(v, lang) for v in field("forecast_category")
            ],
            header("next_step", lang): [text_or_none(v) for v in field("next_step")],
        }
    )
    return frame, [record_url(review.config.crm_url, d) for d in rows["deal_id"]]


def shows_loss_reason(review: WeeklyReview) -> bool:
    """True when this week's export of the team records why deals were lost (a
    ``loss_reason`` column, not blank in every row): only then do lists of lost deals show
    the reason; without one they say nothing about it."""
    from pipereview.diagnostics._capabilities import recorded_columns

    latest = review.latest
    return "loss_reason" in latest.columns and "loss_reason" in recorded_columns(
        latest[["loss_reason"]]
    )


def step_lists(review: WeeklyReview, moves: pd.DataFrame) -> str:
    """The waterfall's steps as a table (deals, change to the pipeline, worded by its sign)
    and, under it, each step's deals behind a click, largest first."""
    from pipereview.core._vocabulary import WATERFALL_STEP_LABELS
    from pipereview.delivery._dealtables import deal_list_html
    from pipereview.diagnostics._waterfall import TEAM_STEPS, waterfall_deals

    lang = review.lang
    deals = waterfall_deals(moves, review.period, team=review.team)
    cur = review.currency
    index = 1 if lang == "zh" else 0
    heading = (
        f"{review.period} 成交管道的每一步及其商机"
        if lang == "zh"
        else f"Each step of the {review.period} pipeline and its deals"
    )
    rows, lists = [], []
    for step in TEAM_STEPS:
        label = WATERFALL_STEP_LABELS[step][index]
        if step in ("opening", "closing"):
            mine = deals[deals["in_opening" if step == "opening" else "in_closing"]]
            cents = int(mine["opening_cents" if step == "opening" else "closing_cents"].sum())
            text = amount_text(cents / 100, cur)
        else:
            mine = deals[deals["step"] == step]
            cents = int(mine["change_cents"].sum())
            text = change_text(cents / 100, cur, lang)
        if not len(mine) and step not in ("opening", "closing"):
            continue
        rows.append(
            {review.t("step"): label, review.t("deals"): len(mine), review.t("effect"): text}
        )
        if step not in ("opening", "closing"):
            frame, links = moved_deals(review, mine, lost=step == "lost")
            summary = f"{label}{colon(lang)}{len(mine)} · {text}"
            lists.append(
                f'<details class="step-deals"><summary>{html.escape(summary)}</summary>'
                + deal_list_html(frame, lang=lang, links=links)
                + "</details>"
            )
    return f"<h3>{html.escape(heading)}</h3>" + html_table(pd.DataFrame(rows)) + "".join(lists)


def category_lists(review: WeeklyReview, moves: pd.DataFrame) -> str:
    """Every deal of the team that moved this week, whatever its close date, counted by
    how it moved (:data:`pipereview.core.CATEGORY_LABELS`), each count followed by its
    deals behind a click; unchanged deals are counted only."""
    from pipereview.delivery._dealtables import deal_list_html

    lang = review.lang
    index = 1 if lang == "zh" else 0
    counts = moves.groupby("category").size()
    order = [c for c in CATEGORY_LABELS if c in counts.index]
    heading = (
        "全部商机的变化（不论预计成交日）"
        if lang == "zh"
        else "Every deal that changed, whatever its close date"
    )
    table = pd.DataFrame(
        {
            review.t("category"): [CATEGORY_LABELS[c][index] for c in order],
            review.t("deals"): counts[order].to_numpy(),
        }
    )
    lists = []
    for category in order:
        if category == "unchanged":
            continue
        mine = moves[moves["category"] == category]
        frame, links = moved_deals(review, mine, lost=category == "lost")
        summary = f"{CATEGORY_LABELS[category][index]}{colon(lang)}{len(mine)}"
        lists.append(
            f'<details class="category-deals"><summary>{html.escape(summary)}</summary>'
            + deal_list_html(frame, lang=lang, links=links)
            + "</details>"
        )
    return f"<h3>{html.escape(heading)}</h3>" + html_table(table) + "".join(lists)
