"""From a count to its deals: the counts the dashboard offers as buttons (each kind of
change of the week, each stage of the funnel, :func:`drill_options`), the deals behind a
stage (:func:`stage_deals`) and the orders the changes tab's deals can be sorted in
(:data:`ORDERS`, :func:`ordered_changes`).

>>> moves = pd.DataFrame({"category": ["new", "won", "new", "unchanged"],
...     "deal_name": ["B", "C", "A", "D"], "owner": ["Ann"] * 4,
...     "amount_from": [None, 500.0, None, 10.0], "amount_to": [200.0, 900.0, 300.0, 10.0],
...     "close_date_to": pd.to_datetime(["2026-12-01", None, "2026-11-30", None])})
>>> change_counts(moves)
{'won': 1, 'new': 2}
>>> ordered_changes(moves[moves["category"] != "unchanged"], "amount_change")["deal_name"].tolist()
['C', 'A', 'B']
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipereview.core._errors import InputError
from pipereview.core._vocabulary import CATEGORY_LABELS
from pipereview.dashboard._text import ROW_LIMIT, text
from pipereview.dashboard.view import View

if TYPE_CHECKING:
    from pipereview.dashboard.data import DashboardData

__all__: list[str] = []  # the dashboard's own, not the package's API

#: The orders the changes tab's deals can be sorted in, each with its columns and
#: directions (largest amounts and changes first, earliest close date first, names A-Z).
ORDERS: dict[str, tuple[list[str], list[bool]]] = {
    "category": (["category_rank", "amount_to", "deal_name"], [True, False, True]),
    "amount_to": (["amount_to", "deal_name"], [False, True]),
    "amount_change": (["change_size", "deal_name"], [False, True]),
    "close_date_to": (["close_date_to", "amount_to", "deal_name"], [True, False, True]),
    "owner": (["owner", "amount_to", "deal_name"], [True, False, True]),
    "deal_name": (["deal_name", "amount_to"], [True, False]),
}


def change_counts(moves: pd.DataFrame) -> dict[str, int]:
    """How many deals changed each way (every kind but ``unchanged`` that occurs), in the
    order the review lists the kinds of change."""
    if not len(moves):
        return {}
    counts = moves["category"].value_counts()
    return {
        key: int(counts[key])
        for key in CATEGORY_LABELS
        if key != "unchanged" and counts.get(key, 0) > 0
    }


def ordered_changes(moves: pd.DataFrame, order: str) -> pd.DataFrame:
    """``moves`` sorted in ``order`` (one of :data:`ORDERS`); ties keep a stable order and
    missing values go last. The size of a change is the amount's move either way (a new
    deal's whole amount, a lost one's whole amount)."""
    if order not in ORDERS:
        raise InputError(
            f"unknown order {order!r} for the changes; orders: {', '.join(ORDERS)}",
            hint="sort the changes by one of those",
        )
    columns, ascending = ORDERS[order]
    rank = {key: i for i, key in enumerate(CATEGORY_LABELS)}
    keyed = moves.assign(
        category_rank=moves["category"].map(rank),
        change_size=(moves["amount_to"].fillna(0) - moves["amount_from"].fillna(0)).abs(),
    )
    keyed = keyed.sort_values(columns, ascending=ascending, kind="stable", na_position="last")
    return moves.loc[keyed.index]


def stage_counts(data: DashboardData, view: View) -> dict[str, int]:
    """The open deals in each stage of the view's funnel chart (the team's, or the rep's
    when the view names one), keyed by stage, in the stage model's order."""
    from pipereview.diagnostics._funnel import stage_table

    review = data.review(view)
    if not len(review.context.open_deals):
        return {}
    if view.rep:
        table = review.context.stage_table_rep
        table = table[table["owner"] == view.rep]
    else:
        table = stage_table(review.prepared, as_of=review.week)
    return {str(s): int(n) for s, n in zip(table["stage"], table["count"], strict=True) if n}


def stage_deals(data: DashboardData, view: View) -> pd.DataFrame:
    """The open deals of the view's team (and rep) in ``view.stage``, largest first: the
    deals behind the stage's count in :func:`stage_counts`."""
    risks = data.review(view).context.risks
    deals = risks[(risks["team"] == view.team) & (risks["stage"] == view.stage)]
    if view.rep:
        deals = deals[deals["owner"] == view.rep]
    return deals.sort_values(
        ["amount", "deal_name"], ascending=[False, True], kind="stable", na_position="last"
    )


def drill_counts(data: DashboardData, view: View) -> dict[str, Any]:
    """The counts behind the buttons of the view's team, week, rep and language: how many
    deals changed each way (``changes``, in the review's order), how many open deals each
    stage holds (``stages``: ``[key, name, count]`` in the stage model's order). Counted
    once a view and kept in ``data.drill`` (``pipereview serve`` counts those of the views
    it prepares, so that a selection among them counts nothing)."""
    key = View(view.team, view.week, view.rep, view.lang).key("drill")
    if key in data.drill:
        kept: dict[str, Any] = json.loads(data.drill[key])
        return kept
    moves = data.movements(view) if view.week else pd.DataFrame()
    stages = stage_counts(data, view) if view.week else {}
    names = data.stage_names(view, pd.Series(list(stages), dtype="object")) if stages else []
    counted = {
        "changes": [[k, n] for k, n in change_counts(moves).items()],
        "stages": [[k, name, n] for name, (k, n) in zip(names, stages.items(), strict=True)],
    }
    data.drill[key] = json.dumps(counted, ensure_ascii=False)
    return counted


def drill_options(data: DashboardData, view: View) -> dict[str, list[tuple[str, str]]]:
    """The buttons over the changes and funnel tabs for ``view``, as (label, value): each
    kind of change with its count (and all changes), each stage with its open deals (and
    none listed), from :func:`drill_counts`. The view's own choice is always among them,
    with its count (0 when the view's week or rep has no such deal)."""
    lang = 1 if view.lang == "zh" else 0
    counted = drill_counts(data, view)
    counts = {str(k): int(n) for k, n in counted["changes"]}
    total = sum(counts.values())
    if view.category and view.category not in counts:
        counts[view.category] = 0
    changes = [(f"{text('all_changes', view.lang)} · {total}", "")]
    changes += [(f"{CATEGORY_LABELS[k][lang]} · {n}", k) for k, n in counts.items()]
    stages = [(str(k), str(name), int(n)) for k, name, n in counted["stages"]]
    if view.stage and view.stage not in {k for k, _, _ in stages}:
        name = data.stage_names(view, pd.Series([view.stage], dtype="object"))[0]
        stages.append((view.stage, name, 0))
    listed = [(text("no_stage", view.lang), "")]
    listed += [(f"{name} · {n}", k) for k, name, n in stages]
    return {"category": changes, "stage": listed}


def stage_deals_html(data: DashboardData, view: View) -> str:
    """The table of :func:`stage_deals` (deal ID, rep, deal, account, amount, close date,
    days in stage), at most :data:`ROW_LIMIT` rows and saying so, or one line when the
    stage holds none of the view's deals."""
    import html

    from pipereview.delivery._dealtables import amount_text
    from pipereview.delivery._reviewsections import html_table
    from pipereview.diagnostics._figures import days_text

    deals = stage_deals(data, view)
    review = data.review(view)
    stage = data.stage_names(view, pd.Series([view.stage], dtype="object"))[0]
    heading = f"<h4>{html.escape(text('stage_deals', view.lang, stage=stage, n=len(deals)))}</h4>"
    if not len(deals):
        return f"<div class='pr-stage-deals'>{heading}</div>"
    total, deals = len(deals), deals.head(ROW_LIMIT)
    bounds = deals.get("days_in_stage_lower_bound", pd.Series(False, index=deals.index))
    table = pd.DataFrame(
        {
            text("deal_id", view.lang): deals["deal_id"],
            review.t("rep"): deals["owner"],
            review.t("deal"): deals["deal_name"],
            review.t("account"): deals["account"],
            review.t("amount"): [
                amount_text(a, c) for a, c in zip(deals["amount"], deals["currency"], strict=True)
            ],
            text("close", view.lang): [
                "—" if pd.isna(d) else pd.Timestamp(d).date().isoformat()
                for d in deals["close_date"]
            ],
            text("days_in_stage", view.lang): [
                days_text(d, b, view.lang, unit=False)
                for d, b in zip(deals["days_in_stage"], bounds, strict=True)
            ],
        }
    )
    shown = (
        f"<p>{html.escape(text('shown', view.lang, shown=ROW_LIMIT, total=total))}</p>"
        if total > ROW_LIMIT
        else ""
    )
    return f"<div class='pr-stage-deals'>{heading}{shown}{html_table(table)}</div>"


def changes_table_html(data: DashboardData, view: View, shown: pd.DataFrame) -> str:
    """The changes tab's table of ``shown`` (movements, in the order to show): deal ID,
    rep, deal, account, kind of change, the lost deals' reason when the team's export
    records one, stage, amount and close date before and after; at most
    :data:`ROW_LIMIT` rows, saying so."""
    import html

    from pipereview.delivery._dealtables import amount_text, header
    from pipereview.delivery._reviewchanges import shows_loss_reason
    from pipereview.delivery._reviewsections import html_table

    review, lang = data.review(view), view.lang
    total, shown = len(shown), shown.head(ROW_LIMIT)
    currency = shown["currency"].fillna("")

    def money(values: pd.Series) -> list[str]:
        return [
            "—" if pd.isna(a) else amount_text(float(a), c)
            for a, c in zip(values, currency, strict=True)
        ]

    def day(values: pd.Series) -> list[str]:
        return ["—" if pd.isna(d) else pd.Timestamp(d).date().isoformat() for d in values]

    def stages(values: pd.Series) -> list[str]:
        return data.stage_names(view, values)

    columns = {
        text("deal_id", lang): shown["deal_id"],
        review.t("rep"): shown["owner"],
        review.t("deal"): shown["deal_name"],
        review.t("account"): shown["account"],
        review.t("category"): [CATEGORY_LABELS[c][lang == "zh"] for c in shown["category"]],
    }
    lost = shown["category"] == "lost"
    if lost.any() and "loss_reason" in shown.columns and shows_loss_reason(review):
        reasons = shown["loss_reason"].astype("object").where(shown["loss_reason"].notna(), "—")
        columns[header("loss_reason", lang)] = reasons.where(lost, "")
    columns.update(
        {
            f"{review.t('stage')} ({text('before', lang)})": stages(shown["stage_from"]),
            f"{review.t('stage')} ({text('after', lang)})": stages(shown["stage_to"]),
            f"{text('amount', lang)} ({text('before', lang)})": money(shown["amount_from"]),
            f"{text('amount', lang)} ({text('after', lang)})": money(shown["amount_to"]),
            f"{text('close', lang)} ({text('after', lang)})": day(shown["close_date_to"]),
        }
    )
    note = (
        f"<p>{html.escape(text('shown', lang, shown=ROW_LIMIT, total=total))}</p>"
        if total > ROW_LIMIT
        else ""
    )
    return f"{note}<div class='pr-changes'>{html_table(pd.DataFrame(columns))}</div>"
