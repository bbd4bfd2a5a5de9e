"""The weekly review's "Results compared" section and the dashboard's results tab: the month
and quarter to date against the previous month / quarter and the same period last year
(won, pipeline created, open pipeline at the end of each span), won by rep, new against
existing customers, and product lines (:mod:`pipereview.diagnostics._periods` computes every
figure; docs/method.md §2, §4 and §7).

A comparison the data cannot give says why in its cell — "not available: the history starts
2026-W36", "not available: the export has no account column", "not available: the export
has no product line column" — never a zero; a change is worded by its sign ("up 25% from
80,000 USD", "比 80,000 USD 增加 25%").

The section is assembled from a list of blocks (:func:`results_blocks`), so another block
can be appended to it.

>>> from pipereview.delivery import WeeklyReview
>>> rows = pd.DataFrame({"snapshot_week": "2026-W46", "team": "North", "deal_id": ["D1"],
...     "deal_name": "MES", "account": "Acme", "owner": "Ann", "stage": "won",
...     "stage_model": "generic_4", "amount": [5000.0], "currency": "EUR",
...     "close_date": pd.Timestamp("2026-11-10"), "created_date": pd.Timestamp("2026-09-01")})
>>> page = results_section(WeeklyReview(rows, team="North", week="2026-W46")).body
>>> "≥ 5,000 EUR" in page, "not available: the history starts 2026-W46" in page
(True, True)
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING

import pandas as pd

from pipereview.core._languages import phrase
from pipereview.core._weeks import Week
from pipereview.delivery._dealtables import amount_text
from pipereview.delivery._reviewsections import Section, html_table, refusal
from pipereview.diagnostics._capabilities import recorded_columns
from pipereview.diagnostics._periods import (
    change_text,
    results_compared,
    rollup_results,
    span_text,
    with_customers,
)

if TYPE_CHECKING:
    from pipereview.delivery._review import WeeklyReview

#: nothing of the package's own: the review and the dashboard use these
__all__: list[str] = []

_TEXT: dict[str, tuple[str, str]] = {
    "figure": ("Figure", "指标"),
    "won_amount": ("Won", "赢单金额"),
    "won_deals": ("Deals won", "赢单数"),
    "created_amount": ("Pipeline created", "新建商机金额"),
    "created_deals": ("Deals created", "新建商机数"),
    "open_amount": ("Open pipeline at the end", "期末在跟金额"),
    "month_current": ("Month to date", "本月至今"),
    "month_previous": ("Against the previous month", "环比上月"),
    "month_last_year": ("Against the month last year", "同比去年同月"),
    "quarter_current": ("Quarter to date", "本季度至今"),
    "quarter_previous": ("Against the previous quarter", "环比上季度"),
    "quarter_last_year": ("Against the quarter last year", "同比去年同季度"),
    "spans": (
        "Month to date: {m0}, against {m1} and {m2}. Quarter to date: {q0}, against {q1} "
        "and {q2}. Each span is compared at the same number of days into its period.",
        "本月至今：{m0}，对比 {m1} 和 {m2}。本季度至今：{q0}，对比 {q1} 和 {q2}。"
        "各期均按相同天数对比。",
    ),
    "history_starts": (
        "not available: the history starts {week}",
        "不可用：历史数据从 {week} 开始",
    ),
    "no_week": (
        "not available: no export is stored for {day}",
        "不可用：没有存储 {day} 的导出数据",
    ),
    "rep": ("Rep", "销售代表"),
    "by_rep": ("Won by rep", "各销售赢单金额"),
    "customers": ("New and existing customers", "新老客户"),
    "customer": ("Customers", "客户类型"),
    "new": ("New customers", "新客户"),
    "existing": ("Existing customers", "老客户"),
    "no_account": ("No account given", "未填客户"),
    "won_qtd": ("Won, quarter to date", "本季度至今赢单金额"),
    "open_now": ("Open pipeline", "在跟金额"),
    "open_deals": ("Open deals", "在跟商机数"),
    "customer_rule": (
        "A deal is from an existing customer when its account had another deal won with "
        "a close date before this deal was created, else from a new one. Only the stored "
        "history (from {week}) is known: existing customers are a lower bound, a customer "
        "won before then counts as new.",
        "商机创建之前，其客户已有其他赢单（成交日期早于该商机的创建日期）即为老客户，否则为"
        "新客户。仅依据已存储的历史数据（从 {week} 起）：老客户为下限，此前赢单的客户会算作新客户。",
    ),
    "no_account_column": (
        "New and existing customers: not available: the export has no account column",
        "新老客户：不可用：导出文件中没有“客户”列",
    ),
    "products": ("Product lines", "产品线"),
    "product_line": ("Product line", "产品线"),
    "blank_product": ("No product line given", "未填产品线"),
    "won_mtd": ("Won, month to date", "本月至今赢单金额"),
    "a_month_ago": ("Open pipeline a month ago", "上月同期在跟金额"),
    "a_year_ago": ("Open pipeline a year ago", "去年同期在跟金额"),
    "no_product_column": (
        "Product lines: not available: the export has no product line column",
        "产品线：不可用：导出文件中没有“产品线”列",
    ),
    "more_products": (
        "The {shown} largest of {n} product lines are shown.",
        "显示金额最大的 {shown} 条产品线，共 {n} 条。",
    ),
}

#: The figures of the team's (or rep's) table, in order.
_FIGURES = ("won_amount", "won_deals", "created_amount", "created_deals", "open_amount")
#: Product lines a table lists, the largest first.
_PRODUCT_ROWS = 12
_FINEST = ("team", "owner", "customer", "product_line")


def _t(key: str, lang: str, **values: object) -> str:
    return phrase(_TEXT, key, lang, **values)


def results_data(review: WeeklyReview) -> pd.DataFrame:
    """:func:`~pipereview.diagnostics._periods.results_compared` of the review's team per
    rep, customer and product line, computed once per review (every table sums it up)."""
    kept = review.__dict__
    if "_results_compared" not in kept:
        prepared = with_customers(review.prepared, review.week)
        kept["_results_compared"] = results_compared(prepared, review.week, group_columns=_FINEST)
    frame: pd.DataFrame = kept["_results_compared"]
    return frame


def _rolled(review: WeeklyReview, columns: list[str], rep: str) -> pd.DataFrame:
    """The results summed up to ``columns`` (the rep's own with ``rep``)."""
    frame = results_data(review)
    if rep:
        frame = frame[frame["owner"] == rep]
        columns = ["owner", *columns]
    return rollup_results(frame, ["team", *columns])


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


class _Cells:
    """The cells of one group's spans (rows of :func:`results_data`, summed up), worded in
    the review's language."""

    def __init__(self, review: WeeklyReview, rows: pd.DataFrame) -> None:
        self.review, self.lang = review, review.lang
        self.rows = {(str(r["kind"]), str(r["span"])): r for _, r in rows.iterrows()}

    def _number(self, figure: str, value: float) -> str:
        if figure.endswith("_deals"):
            return f"{value:,.0f}"
        return amount_text(value, self.review.currency)

    def _unit(self, figure: str) -> str:
        return "" if figure.endswith("_deals") else self.review.currency

    def _gone(self, row: pd.Series, figure: str) -> str | None:
        """Why ``figure`` of the span ``row`` is not known, or None when it is."""
        if figure.startswith("open_"):
            if not _missing(row[figure]):
                return None
            start = Week.parse(str(row["history_start"]))
            if pd.Timestamp(row["last"]) < pd.Timestamp(start.sunday):
                return _t("history_starts", self.lang, week=start)
            return _t("no_week", self.lang, day=str(pd.Timestamp(row["last"]).date()))
        if _missing(row[figure]):
            return "—"
        if bool(row["covered"]):
            return None
        return _t("history_starts", self.lang, week=row["history_start"])

    def value(self, kind: str, figure: str) -> str:
        """The figure now (the span to date): a lower bound "≥ …" when the history starts
        within the span, why it is not known when it is nothing."""
        row = self.rows.get((kind, "current"))
        if row is None:
            return "—"
        gone = self._gone(row, figure)
        if gone is None:
            return self._number(figure, float(row[figure]))
        if not figure.startswith("open_") and not _missing(row[figure]) and row[figure] > 0:
            return f"≥ {self._number(figure, float(row[figure]))}"
        return gone

    def change(self, kind: str, span: str, figure: str) -> str:
        """The figure now against ``span``: the change worded by its sign, or why it cannot
        be compared."""
        now, then = self.rows.get((kind, "current")), self.rows.get((kind, span))
        if now is None or then is None:
            return "—"
        gone = self._gone(then, figure) or self._gone(now, figure)
        if gone is not None:
            return gone
        return change_text(float(now[figure]), float(then[figure]), self._unit(figure), self.lang)

    def line(self, figure: str) -> list[str]:
        """The month's and the quarter's cells of ``figure``: now, against the previous
        period, against last year."""
        return [
            cell
            for kind in ("month", "quarter")
            for cell in (
                self.value(kind, figure),
                self.change(kind, "previous", figure),
                self.change(kind, "last_year", figure),
            )
        ]


def _nothing(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` (a group's spans) with nothing in them: every figure 0, the open pipeline
    still unknown where its week is not stored."""
    flows = ["won_amount", "won_deals", "created_amount", "created_deals"]
    known = rows["open_amount"].notna()
    return rows.assign(
        **dict.fromkeys(flows, 0),
        open_amount=rows["open_amount"].where(~known, 0.0),
        open_deals=rows["open_deals"].where(~known, 0),
    )


def _headers(first: str, lang: str) -> list[str]:
    return [
        first,
        *(
            _t(f"{kind}_{span}", lang)
            for kind in ("month", "quarter")
            for span in ("current", "previous", "last_year")
        ),
    ]


def _spans_html(review: WeeklyReview, rows: pd.DataFrame) -> str:
    lang = review.lang
    days = {
        (str(r["kind"]), str(r["span"])): (pd.Timestamp(r["first"]), pd.Timestamp(r["last"]))
        for r in rows.to_dict("records")
    }
    text = {
        f"{kind[0]}{i}": span_text(*days[(kind, span)], lang)
        for kind in ("month", "quarter")
        for i, span in enumerate(("current", "previous", "last_year"))
    }
    return f"<p class='results-spans'>{html.escape(_t('spans', lang, **text))}</p>"


def _team_html(review: WeeklyReview, rep: str) -> str:
    """The team's (or the rep's) figures, month and quarter, against the comparison spans."""
    lang = review.lang
    rows = _rolled(review, [], rep)
    cells = _Cells(review, rows)
    table = pd.DataFrame(
        [[_t(figure, lang), *cells.line(figure)] for figure in _FIGURES],
        columns=_headers(_t("figure", lang), lang),
    )
    return _spans_html(review, rows) + html_table(table)


def _reps_html(review: WeeklyReview) -> str:
    """Each rep's won amount, month and quarter, against the comparison spans."""
    lang = review.lang
    per_rep = _rolled(review, ["owner"], "")
    owners = sorted(set(review.latest["owner"].dropna().astype(str)) - {""})
    lines = [
        [owner, *_Cells(review, per_rep[per_rep["owner"] == owner]).line("won_amount")]
        for owner in owners
    ]
    if not lines:
        return ""
    table = pd.DataFrame(lines, columns=_headers(_t("rep", lang), lang))
    return f"<h3>{html.escape(_t('by_rep', lang))}</h3>" + html_table(table)


def _customers_html(review: WeeklyReview, rep: str) -> str:
    """Won this quarter and open pipeline, new against existing customers."""
    lang = review.lang
    title = f"<h3>{html.escape(_t('customers', lang))}</h3>"
    if "account" not in recorded_columns(review.latest):
        return f"<p class='not-checked'>{html.escape(_t('no_account_column', lang))}</p>"
    rows = _rolled(review, ["customer"], rep)
    lines = []
    for kind in ("new", "existing", "no_account"):
        mine = rows[rows["customer"] == kind]
        if kind == "no_account" and not len(mine):
            continue
        cells = _Cells(review, mine if len(mine) else _nothing(_rolled(review, [], rep)))
        lines.append(
            [
                _t(kind, lang),
                cells.value("quarter", "won_amount"),
                cells.value("quarter", "won_deals"),
                cells.value("quarter", "open_amount"),
                cells.value("quarter", "open_deals"),
            ]
        )
    headers = [_t(k, lang) for k in ("customer", "won_qtd", "won_deals", "open_now", "open_deals")]
    start = str(review.prepared.weeks[0]) if review.prepared.weeks else str(review.week)
    rule = _t("customer_rule", lang, week=start)
    return title + html_table(pd.DataFrame(lines, columns=headers)) + f"<p>{html.escape(rule)}</p>"


def _products_html(review: WeeklyReview, rep: str) -> str:
    """Won this month and open pipeline by product line, each against a month and a year
    earlier."""
    lang = review.lang
    if "product_line" not in recorded_columns(review.latest):
        return f"<p class='not-checked'>{html.escape(_t('no_product_column', lang))}</p>"
    rows = _rolled(review, ["product_line"], rep)
    now = rows[(rows["kind"] == "quarter") & (rows["span"] == "current")]
    # the largest first: what was won in any span shown, and the open pipeline now
    won = rows[rows["kind"] == "month"].groupby("product_line")["won_amount"].sum()
    size = now["product_line"].map(won).fillna(0) + now["won_amount"] + now["open_amount"].fillna(0)
    ranked = now.assign(_size=size.to_numpy(), _blank=(now["product_line"] == "").to_numpy())
    ranked = ranked[ranked["_size"] > 0].sort_values(
        ["_blank", "_size", "product_line"], ascending=[True, False, True]
    )
    lines = []
    for line in ranked["product_line"].head(_PRODUCT_ROWS):
        cells = _Cells(review, rows[rows["product_line"] == line])
        lines.append(
            [
                line or _t("blank_product", lang),
                cells.value("month", "won_amount"),
                cells.change("month", "previous", "won_amount"),
                cells.change("month", "last_year", "won_amount"),
                cells.value("month", "open_amount"),
                cells.change("month", "previous", "open_amount"),
                cells.change("month", "last_year", "open_amount"),
            ]
        )
    headers = [
        _t(k, lang)
        for k in (
            "product_line",
            "won_mtd",
            "month_previous",
            "month_last_year",
            "open_now",
            "a_month_ago",
            "a_year_ago",
        )
    ]
    body = f"<h3>{html.escape(_t('products', lang))}</h3>"
    if len(ranked) > _PRODUCT_ROWS:
        note = _t("more_products", lang, shown=_PRODUCT_ROWS, n=len(ranked))
        body += f"<p class='list-caption'>{html.escape(note)}</p>"
    return body + html_table(pd.DataFrame(lines, columns=headers)) if lines else ""


def results_blocks(review: WeeklyReview, rep: str = "") -> list[str]:
    """The blocks of the results: the team's (or ``rep``'s) figures against the previous
    period and last year, won by rep (the team's only), new against existing customers,
    product lines, and the team's accounts by value and potential
    (:func:`~pipereview.delivery._reviewaccounts.accounts_html`, the team's only); each an
    HTML fragment, in order."""
    from pipereview.delivery._reviewaccounts import accounts_html

    blocks = [_team_html(review, rep)]
    if not rep:
        blocks.append(_reps_html(review))
    blocks += [_customers_html(review, rep), _products_html(review, rep)]
    if not rep:  # the team's accounts by value and potential, with their service levels
        blocks.append(accounts_html(review))
    return [block for block in blocks if block]


def results_section(review: WeeklyReview) -> Section:
    """The review's "Results compared" section: :func:`results_blocks` of the team, one
    after the other (a list: one more block can be appended)."""
    if refused := refusal(review, "results"):
        return refused
    blocks = results_blocks(review)
    return Section(review.t("results"), "".join(blocks))
