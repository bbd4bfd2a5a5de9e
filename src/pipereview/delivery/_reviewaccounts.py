"""The team's accounts by value and potential (ABC) with the service level the method
gives each class (docs/method.md §4), for the review and the dashboard: the rule, one row
per class (accounts, won revenue and its share, open pipeline, service level, accounts
below it), the A and B accounts each with why it is in its class, the accounts below their
service level with their open deals, and what the export does not let it judge.

The figures are the week's (:attr:`~pipereview.week.WeekDiagnostics.accounts` and
:attr:`~pipereview.week.WeekDiagnostics.account_service`); every value from the data is
HTML-escaped.

>>> from pipereview.delivery import WeeklyReview
>>> rows = pd.DataFrame({"snapshot_week": "2026-W47", "team": "North",
...     "deal_id": ["A", "B", "C"], "deal_name": ["MES", "WMS", "ERP"],
...     "account": ["Acme", "Beta", "Core"], "owner": "Ann",
...     "stage": ["won", "won", "needs_confirmed"], "stage_model": "generic_4",
...     "amount": [900.0, 100.0, 400.0], "currency": "EUR",
...     "created_date": pd.Timestamp("2026-09-01"),
...     "close_date": pd.to_datetime(["2026-10-01", "2026-10-02", "2026-12-18"])})
>>> page = accounts_html(WeeklyReview(rows, team="North", week="2026-W47"))
>>> "B by growth in open pipeline" in page, "900 EUR" in page
(True, True)
>>> "not checked: no last activity date" in page  # the export has no activity dates
True
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING

import pandas as pd

from pipereview.core._languages import phrase
from pipereview.delivery._dealtables import amount_text
from pipereview.diagnostics._accounts import ABCSettings
from pipereview.diagnostics._capabilities import column_label, missing_for

if TYPE_CHECKING:
    from pipereview.delivery._review import WeeklyReview

#: nothing of the package's own: the review's accounts section uses it
__all__: list[str] = []

#: The A and B accounts listed before the rest are put one click away.
_SHOWN = 3
_TABLE = "review-table accounts"

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("Accounts by value and potential (ABC)", "客户分级（ABC：价值与潜力）"),
    "intro": (
        "A (value): the accounts bringing the first {a} of the won revenue of the last "
        "{weeks} weeks, at most {n} of the accounts with revenue (equal revenue is never "
        "split). B (potential): of the other accounts whose growth room is at least {g} of "
        "their own won revenue, those with the largest room, at most {m} of the accounts "
        "(equal room is never split). C: the rest.",
        "A 类（价值）：近 {weeks} 周赢单收入从高到低累计占前 {a} 的客户，最多占有收入客户数的 "
        "{n}（收入相同的客户不拆开分类）。B 类（潜力）：其余客户中增长空间不低于自身赢单收入 "
        "{g} 的，按增长空间从大到小选取，最多占客户数的 {m}（增长空间相同的客户不拆开分类）。"
        "C 类：其余客户。",
    ),
    "rule_potential": (
        "Growth room: the account potential (the export's column) less the won revenue; "
        "for an account without a potential, its open pipeline (unweighted).",
        "增长空间：客户潜力（导出文件中的列）减去已赢单收入；未填写潜力的客户按其在跟商机金额"
        "（未加权）计算。",
    ),
    "rule_pipeline": (
        "not available: no account potential; B by growth in open pipeline (the account's "
        "open deals, unweighted, are its growth room).",
        "不可用：没有客户潜力列；B 类按在跟商机的增长判断（以客户在跟商机金额，未加权，作为增长空间）。",
    ),
    "rule_revenue": (
        "not available: no account potential and no open pipeline; B by revenue only "
        "(the next {b} of won revenue after the A line).",
        "不可用：没有客户潜力列，也没有在跟商机；B 类仅按收入判断（A 线之后的 {b} 赢单收入）。",
    ),
    "no_account": (
        "not available: no {column} column (add it to the export or to the column map)",
        "不可用：导出文件中没有“{column}”列（请在导出文件或列映射中补上）",
    ),
    "no_accounts": ("No account has won or open deals.", "没有客户有赢单或在跟商机。"),
    "class": ("Class", "类别"),
    "accounts": ("Accounts", "客户数"),
    "won": ("Won revenue, {weeks} weeks", "赢单收入（近 {weeks} 周）"),
    "share": ("Share of revenue", "收入占比"),
    "open": ("Open pipeline", "在跟商机金额"),
    "service": ("Service level", "服务标准"),
    "below": ("Below service level", "未达服务标准"),
    "account": ("Account", "客户"),
    "potential": ("Potential", "客户潜力"),
    "why": ("Why", "分类依据"),
    "A": ("A (value)", "A 类（价值）"),
    "B": ("B (potential)", "B 类（潜力）"),
    "C": ("C (standard)", "C 类（标准）"),
    "contact": (
        "{service}; contact at least every {days} days",
        "{service}；至少每 {days} 天联系一次",
    ),
    "below_of": (
        "{below} of {checked} with open deals",
        "有在跟商机的 {checked} 个客户中 {below} 个",
    ),
    "no_open": ("no account with open deals", "没有客户有在跟商机"),
    "not_checked": ("not checked: no {column}", "未检查：没有{column}"),
    "why_value": (
        "value: rank {rank}, {share} of the revenue (A: the accounts up to the first {a})",
        "价值：排名第 {rank}，占收入 {share}（A 类：累计收入前 {a} 的客户）",
    ),
    "why_potential": (
        "potential {potential} less won {won}: growth room {room}",
        "潜力 {potential} 减去赢单 {won}：增长空间 {room}",
    ),
    "why_pipeline": (
        "open pipeline {room} against won {won}",
        "在跟商机 {room}，已赢单 {won}",
    ),
    "why_revenue": (
        "revenue only: rank {rank}, {share} of the revenue (B: up to the first {ab})",
        "仅按收入：排名第 {rank}，占收入 {share}（B 类：累计收入前 {ab} 之内）",
    ),
    "more_accounts": ("{n} more A and B accounts", "另外 {n} 个 A 类和 B 类客户"),
    "c_rest": (
        "C: {n} other account(s), standard service (not listed).",
        "C 类：其余 {n} 个客户，标准服务（不逐一列出）。",
    ),
    "line_not_a": (
        "Within the first {a} of the revenue but not A: {names} ({why}).",
        "收入在前 {a} 之内但未列为 A 类：{names}（{why}）。",
    ),
    "cap": (
        "the A class holds at most {n} of the accounts with revenue",
        "A 类最多占有收入客户数的 {n}",
    ),
    "tie": (
        "their revenue equals that of accounts left out, and equal revenue is not split",
        "其收入与未入选客户相同，收入相同的客户不拆开分类",
    ),
    "below_title": ("Accounts below their service level", "未达服务标准的客户"),
    "below_item": (
        "{account} ({abc}): {days} days without activity on its open deals (at most {limit}): "
        "{deals}; owner {owners}",
        "{account}（{abc} 类）：在跟商机已 {days} 天无跟进（最多 {limit} 天）：{deals}；负责人 {owners}",
    ),
    "unassigned": (
        "{n} deal(s) won in the last {weeks} weeks or open have no account and are not classed.",
        "近 {weeks} 周赢单及在跟商机中有 {n} 个没有客户，未参与分级。",
    ),
}


def _t(key: str, lang: str, **values: object) -> str:
    return phrase(_TEXT, key, lang, **values)


def _pct(value: float) -> str:
    return "—" if value is None or math.isnan(value) else f"{value * 100:.0f}%"


def _service_cell(settings: ABCSettings, abc: str, lang: str) -> str:
    return _t("contact", lang, service=settings.service(abc, lang), days=settings.contact_days(abc))


def _below_cell(service: pd.DataFrame, abc: str, lang: str, activity: bool) -> str:
    if not activity:
        return _t("not_checked", lang, column=column_label("last_activity_date", lang))
    mine = service[service["abc"] == abc]
    checked = mine["below_service"].notna()
    if not checked.any():
        return _t("no_open", lang)
    below = int(mine["below_service"].fillna(False).astype(bool).sum())
    return _t("below_of", lang, below=below, checked=int(checked.sum()))


def _class_table(
    classes: pd.DataFrame, service: pd.DataFrame, review: WeeklyReview, activity: bool
) -> pd.DataFrame:
    settings, lang = review.config.accounts, review.lang
    total = float(classes["won_amount"].sum())
    rows = []
    for abc in "ABC":
        mine = classes[classes["abc"] == abc]
        won = float(mine["won_amount"].sum())
        rows.append(
            [
                _t(abc, lang),
                f"{len(mine):,}",
                amount_text(won, review.currency),
                _pct(won / total) if total else "—",
                amount_text(float(mine["open_amount"].sum()), review.currency),
                _service_cell(settings, abc, lang),
                _below_cell(service, abc, lang, activity),
            ]
        )
    heads = ["class", "accounts", "won", "share", "open", "service", "below"]
    return pd.DataFrame(rows, columns=[_t(h, lang, weeks=settings.revenue_weeks) for h in heads])


def _why(row: pd.Series, review: WeeklyReview) -> str:
    settings, lang, cur = review.config.accounts, review.lang, review.currency
    reason = str(row["abc_reason"])
    if reason == "value":
        a = _pct(settings.a_share)
        return _t("why_value", lang, rank=row["rank"], share=_pct(row["share"]), a=a)
    if reason == "revenue":
        ab = _pct(settings.a_share + settings.b_share)
        return _t("why_revenue", lang, rank=row["rank"], share=_pct(row["share"]), ab=ab)
    won = amount_text(float(row["won_amount"]), cur)
    room = amount_text(float(row["growth_room"]), cur)
    if reason == "potential":
        potential = amount_text(float(row["potential"]), cur)
        return _t("why_potential", lang, potential=potential, won=won, room=room)
    return _t("why_pipeline", lang, room=room, won=won)


def _account_table(classes: pd.DataFrame, review: WeeklyReview) -> pd.DataFrame:
    lang, cur = review.lang, review.currency
    shown = classes[classes["abc"].isin(["A", "B"])].sort_values(["abc", "rank"], kind="stable")
    rows = [
        [
            str(row["account"]),
            _t(str(row["abc"]), lang),
            amount_text(float(row["won_amount"]), cur),
            _pct(float(row["share"])),
            amount_text(float(row["open_amount"]), cur),
            "—" if pd.isna(row["potential"]) else amount_text(float(row["potential"]), cur),
            _why(row, review),
        ]
        for _, row in shown.iterrows()
    ]
    heads = ["account", "class", "won", "share", "open", "potential", "why"]
    weeks = review.config.accounts.revenue_weeks
    table = pd.DataFrame(rows, columns=[_t(h, lang, weeks=weeks) for h in heads])
    if "potential" not in set(classes["b_rule"]):
        table = table.drop(columns=[_t("potential", lang)])
    return table


def _notes(classes: pd.DataFrame, review: WeeklyReview) -> list[str]:
    """The C count, the accounts of the value line left out of A, the unassigned deals."""
    settings, lang = review.config.accounts, review.lang
    notes = []
    c_count = int((classes["abc"] == "C").sum())
    if c_count:
        notes.append(_t("c_rest", lang, n=c_count))
    sep = "、" if lang == "zh" else ", "
    for note in ("cap", "tie"):
        names = classes.loc[classes["a_note"] == note, "account"].astype(str).tolist()
        if names:
            why = _t(note, lang, n=_pct(settings.a_accounts))
            listed = sep.join(names[:8]) + ("…" if len(names) > 8 else "")
            notes.append(_t("line_not_a", lang, a=_pct(settings.a_share), names=listed, why=why))
    unassigned = int(classes["unassigned_deals"].iloc[0]) if len(classes) else 0
    if unassigned:
        notes.append(_t("unassigned", lang, n=unassigned, weeks=settings.revenue_weeks))
    return notes


def _below_items(service: pd.DataFrame, review: WeeklyReview) -> list[str]:
    lang = review.lang
    below = service[service["below_service"].fillna(False).astype(bool)]
    sep = "、" if lang == "zh" else ", "
    items = []
    for _, row in below.iterrows():
        deals = sep.join(
            f"{i} {n}".strip() for i, n in zip(row["deal_ids"], row["deal_names"], strict=True)
        )
        items.append(
            _t(
                "below_item",
                lang,
                account=row["account"],
                abc=row["abc"],
                days=int(row["days_since_contact"]),
                limit=int(row["contact_days"]),
                deals=deals,
                owners=sep.join(map(str, row["owners"])),
            )
        )
    return items


def _rule_line(classes: pd.DataFrame, review: WeeklyReview) -> str:
    rule = str(classes["b_rule"].iloc[0])
    b = _pct(review.config.accounts.b_share)
    return _t(f"rule_{rule}", review.lang, b=b)


def accounts_html(review: WeeklyReview) -> str:
    """The team's accounts by value and potential as the review and the dashboard show
    them: a title, the rule, the table by class, the A and B accounts with why, the
    accounts below their service level, and what the export does not let it judge."""
    lang, settings = review.lang, review.config.accounts
    title = f"<h3>{html.escape(_t('title', lang))}</h3>"
    if missing_for("account_classes", review.latest):
        line = _t("no_account", lang, column=column_label("account", lang))
        return f"{title}<p class='not-available'>{html.escape(line)}</p>"
    if review.mixed_currencies:
        return f"{title}<p class='not-available'>{html.escape(review.mixed_currencies)}</p>"
    context = review.context
    classes = context.accounts[context.accounts["team"] == review.team]
    if classes.empty:
        return f"{title}<p>{html.escape(_t('no_accounts', lang))}</p>"
    service = context.account_service[context.account_service["team"] == review.team]
    activity = not missing_for("account_service", review.latest)
    intro = _t(
        "intro",
        lang,
        a=_pct(settings.a_share),
        n=_pct(settings.a_accounts),
        g=_pct(settings.b_growth),
        m=_pct(settings.b_accounts),
        weeks=settings.revenue_weeks,
    )
    parts = [
        title,
        f"<p class='accounts-intro'>{html.escape(intro)}</p>",
        f"<p class='accounts-rule'>{html.escape(_rule_line(classes, review))}</p>",
        _class_table(classes, service, review, activity).to_html(
            index=False, escape=True, border=0, classes="review-table accounts"
        ),
    ]
    accounts = _account_table(classes, review)
    if len(accounts):  # the first rows shown, the rest one click away
        first, rest = accounts.iloc[:_SHOWN], accounts.iloc[_SHOWN:]
        parts.append(first.to_html(index=False, escape=True, border=0, classes=_TABLE))
        if len(rest):
            summary = html.escape(_t("more_accounts", lang, n=len(rest)))
            table = rest.to_html(index=False, escape=True, border=0, classes=_TABLE)
            parts.append(
                f"<details class='more-deals'><summary>{summary}</summary>{table}</details>"
            )
    parts += [f"<p class='accounts-note'>{html.escape(n)}</p>" for n in _notes(classes, review)]
    items = _below_items(service, review) if activity else []
    if items:
        parts.append(f"<h4>{html.escape(_t('below_title', lang))}</h4>")
        parts.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>")
    return "".join(parts)
