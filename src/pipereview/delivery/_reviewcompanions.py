"""The review's sections on the companion exports: "Activities and leads" (activity per rep
against the team's norm, activities per stage advance, lead conversion by source and by
rep) and "Collections and customers" (collection rate, days sales outstanding, invoices
overdue, the customer lifecycle). A block whose export is absent says "not available: no
<kind> export"; every value taken from the data is HTML-escaped.

>>> from pipereview.delivery._review import WeeklyReview
>>> h = pd.DataFrame({"snapshot_week": "2026-W47", "team": "North", "deal_id": ["D1"],
...     "deal_name": "MES", "account": "Acme", "owner": "Ann", "stage": "needs_confirmed",
...     "stage_model": "generic_4", "amount": [1000.0], "currency": "EUR",
...     "close_date": pd.Timestamp("2026-12-18"), "probability": [0.25]})
>>> review = WeeklyReview(h, team="North", week="2026-W47")
>>> "not available: no activities export" in activities_section(review).body
True
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipereview.delivery._dealtables import amount_text, date_text
from pipereview.delivery._reviewsections import Section
from pipereview.diagnostics._activity import activity_text
from pipereview.diagnostics._collectiontexts import (
    collection_text,
    lifecycle_text,
    no_invoices_text,
)
from pipereview.diagnostics._figures import as_of_day
from pipereview.diagnostics._leads import lead_note, lead_text
from pipereview.diagnostics._lifecycle import WINDOW_QUARTERS

if TYPE_CHECKING:
    from pipereview.delivery._review import WeeklyReview

__all__: list[str] = []  # reached through WeeklyReview.activities_section and collections_section

#: The lifecycle stages told from the revenue (the others say why none can be told).
_JUDGED = ("introduction", "growth", "maturity", "decline")
#: Quarters of revenue a stage is judged on: the last four against the four before.
_NEEDED = 2 * WINDOW_QUARTERS
#: The class of a section whose exports are all absent: shown on screen, left off paper.
_ABSENT = "not-available"
#: How many overdue invoices and accounts are listed before the rest go behind a click.
_SHOWN = 10
_TABLE = "review-table"
_TEXT: dict[str, tuple[str, str]] = {
    "activity_title": ("Activity per rep, last {weeks} weeks", "近 {weeks} 周的销售活动"),
    "activity_intro": (
        "Logged activities of each rep in the {weeks} weeks to {week}, against the team's "
        "norm (the median rep), and the stage advances of the rep's deals in those weeks.",
        "截至 {week} 的 {weeks} 周内每位销售记录的活动，与团队常模（中位数）对比，"
        "以及同期其商机的阶段推进。",
    ),
    "rep": ("Rep", "销售"),
    "visit": ("Visits", "拜访"),
    "meeting": ("Meetings", "会议"),
    "call": ("Calls", "电话"),
    "email": ("Emails", "邮件"),
    "task": ("Tasks", "任务"),
    "other": ("Other", "其他"),
    "activities": ("Total", "合计"),
    "per_week": ("Each week (oldest first)", "每周（由远及近）"),
    "norm": ("Team norm", "团队常模"),
    "peers_median": ("Peers (median)", "同事中位数"),
    "label": ("Against the norm", "与常模相比"),
    "advances": ("Stage advances", "阶段推进"),
    "per_advance": ("Activities per advance", "每次推进的活动数"),
    "lead_title": (
        "Lead conversion, leads created in the last {weeks} weeks",
        "线索转化（近 {weeks} 周创建的线索）",
    ),
    "lead_rule": (
        "Conversion = leads converted to a deal / leads decided (converted, disqualified, "
        "or open longer than {days} days); below {rate} the lead screening needs tightening.",
        "转化率 = 已转为商机的线索 / 已有结论的线索（已转化、已判无效或超过 {days} 天仍未跟进出结果）；"
        "低于 {rate} 说明需要收紧线索筛选。",
    ),
    "lead_source": ("Source", "线索来源"),
    "leads": ("Leads", "线索数"),
    "converted": ("Converted", "已转化"),
    "disqualified": ("Disqualified", "已判无效"),
    "pending": ("Open, too young to judge", "未满观察期"),
    "decided": ("Decided", "已有结论"),
    "rate": ("Conversion", "转化率"),
    "verdict": ("Verdict", "结论"),
    "collection_title": ("Collection", "回款"),
    "collection_line": (
        "Of {due} due by {day}: {collected} collected, {outstanding} outstanding — "
        "collection rate {rate} ({status}).",
        "截至 {day} 到期应收 {due}：已回款 {collected}，未回款 {outstanding}，"
        "回款率 {rate}（{status}）。",
    ),
    "nothing_due": ("Nothing is due yet by {day}.", "截至 {day} 尚无到期应收。"),
    "dso_line": (
        "Days sales outstanding: {dso} days ({receivables} owed against {invoiced} "
        "invoiced in the last {days} days).",
        "应收账款周转天数：{dso} 天（未回款 {receivables}，近 {days} 天开票 {invoiced}）。",
    ),
    "overdue_title": (
        "Invoices more than {days} days overdue: {n}, {amount} owed",
        "逾期超过 {days} 天的发票：{n} 张，欠款 {amount}",
    ),
    "no_overdue": (
        "No invoice is more than {days} days overdue.",
        "没有逾期超过 {days} 天的发票。",
    ),
    "more_invoices": ("{n} more overdue invoices", "另有 {n} 张逾期发票"),
    "invoice_id": ("Invoice", "发票"),
    "account": ("Account", "客户"),
    "deal_id": ("Deal", "商机"),
    "owner": ("Rep", "销售"),
    "due_date": ("Due", "到期日"),
    "days_overdue": ("Days overdue", "逾期天数"),
    "owed": ("Owed", "欠款"),
    "lifecycle_title": ("Customer lifecycle", "客户生命周期"),
    "lifecycle_rule": (
        "Each account's stage from its {source} of the last four quarters against the four "
        "before (growth above +{growth}, decline below −{decline}); an account first billed "
        "in the last {new} quarters is in introduction.",
        "按客户近四个季度与前四个季度的{source}对比判断阶段（增长超过 {growth} 为成长期，"
        "下降超过 {decline} 为衰退期）；近 {new} 个季度首次产生收入的客户为引入期。",
    ),
    "stage": ("Stage", "阶段"),
    "accounts_n": ("Accounts", "客户数"),
    "revenue_last_4q": ("Last four quarters", "近四个季度"),
    "revenue_prior_4q": ("Four quarters before", "前四个季度"),
    "more_accounts": ("{n} more accounts", "另有 {n} 个客户"),
    "no_revenue": ("No account has revenue yet.", "尚无客户产生收入。"),
    "too_short": (
        "Customer lifecycle: not judged yet — the {source} reach back {n} quarters at most, "
        "a stage needs {need} (an invoices export of the last two years gives them).",
        "客户生命周期：暂无法判断——{source}最多只覆盖 {n} 个季度，判断阶段需要 {need} 个季度"
        "（导入近两年的开票回款数据即可）。",
    ),
    "short_history": (
        "not enough history (fewer than {need} quarters stored)",
        "历史数据不足（少于 {need} 个季度）",
    ),
}


def _t(key: str, lang: str, **values: object) -> str:
    en, zh = _TEXT[key]
    return (zh if lang == "zh" else en).format(**values)


def _pct(value: Any) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value):.0%}"


def _number(value: Any, spec: str) -> str | None:
    """``value`` formatted with ``spec``; None when missing."""
    return None if value is None or pd.isna(value) else format(float(value), spec)


def _table(frame: pd.DataFrame, lang: str) -> str:
    shown = frame.rename(columns={c: _t(c, lang) for c in frame.columns if c in _TEXT})
    shown = shown.astype(object).where(shown.notna(), "—")  # a blank cell, never "None"
    return shown.to_html(index=False, escape=True, border=0, classes=_TABLE, na_rep="—")


class _Row:
    """One row of a figures frame, its cells as attributes (of any type)."""

    def __init__(self, cells: dict[Any, Any]) -> None:
        self.__dict__.update({str(k): v for k, v in cells.items()})

    def __getattr__(self, name: str) -> Any:  # the cells set above; this only types them
        raise AttributeError(name)


def _records(frame: pd.DataFrame) -> list[_Row]:
    return [_Row(r) for r in frame.to_dict("records")]


def _unavailable(text: str) -> str:
    return f"<p class='not-available'>{html.escape(text)}</p>"


def _listed(frame: pd.DataFrame, lang: str, more: str) -> str:
    """The first rows of ``frame``, the rest one click away."""
    first, rest = frame.iloc[:_SHOWN], frame.iloc[_SHOWN:]
    out = _table(first, lang)
    if len(rest):
        summary = html.escape(_t(more, lang, n=len(rest)))
        out += f"<details class='more-deals'><summary>{summary}</summary>{_table(rest, lang)}</details>"
    return out


def activities_section(review: WeeklyReview) -> Section:
    """The "Activities and leads" section: the activity table and lead conversion."""
    absent = review.companions.activities is None and review.companions.leads is None
    body = _activity_html(review) + _lead_html(review)
    return Section(review.t("activities"), body, css_class=_ABSENT if absent else "")


def _activity_html(review: WeeklyReview) -> str:
    lang, figures = review.lang, review.context.companion_figures
    settings = figures.activity_settings
    title = f"<h3>{html.escape(_t('activity_title', lang, weeks=settings.window_weeks))}</h3>"
    counts = figures.activity_rep
    if counts is None:  # one line: a team without the export reads no empty heading
        return _unavailable(activity_text("not_available", lang))
    counts = counts[counts["team"] == review.team]
    advances = figures.activity_advances
    table = counts.merge(
        advances[advances["team"] == review.team][["owner", "advances", "per_advance"]]
        if advances is not None
        else pd.DataFrame(columns=["owner", "advances", "per_advance"]),
        on="owner",
        how="left",
    )
    shown = table[["owner", "visit", "meeting", "call", "email", "task", "other", "activities"]]
    shown = shown.rename(columns={"owner": "rep"}).assign(
        per_week=[" · ".join(str(n) for n in w) for w in table["per_week"]],
        norm=pd.Series([_number(n, "g") for n in table["norm"]], index=table.index, dtype=object),
        peers_median=pd.Series(
            [_number(n, "g") for n in table["peers_median"]], index=table.index, dtype=object
        ),
        label=[activity_text(str(x), lang, settings) for x in table["label"]],
        advances=table["advances"].fillna(0).astype("int64"),
        per_advance=[
            activity_text("no_advance", lang) if p is None or pd.isna(p) else f"{float(p):.1f}"
            for p in table["per_advance"]
        ],
    )
    intro = _t("activity_intro", lang, weeks=settings.window_weeks, week=review.week)
    return f"{title}<p>{html.escape(intro)}</p>{_table(shown, lang)}"


def _lead_html(review: WeeklyReview) -> str:
    lang, figures = review.lang, review.context.companion_figures
    settings = figures.lead_settings
    title = f"<h3>{html.escape(_t('lead_title', lang, weeks=settings.window_weeks))}</h3>"
    leads = review.companions.leads
    if leads is None:
        return _unavailable(lead_text("not_available", lang))
    rule = _t("lead_rule", lang, days=settings.decision_days, rate=_pct(settings.min_conversion))
    parts = [title, f"<p>{html.escape(rule)}</p>"]
    for frame, column in ((figures.lead_sources, "lead_source"), (figures.lead_reps, "owner")):
        note = lead_note(leads, ("team", column), lang)
        if note or frame is None:
            parts.append(f"<p class='not-checked'>{html.escape(note)}</p>")
            continue
        rows = frame[frame["team"] == review.team]
        shown = rows[[column, "leads", "converted", "disqualified", "pending", "decided"]].assign(
            rate=[_pct(r) for r in rows["rate"]],
            verdict=[lead_text(str(v), lang, settings) for v in rows["verdict"]],
        )
        parts.append(_table(shown.rename(columns={"owner": "rep"}), lang))
    return "".join(parts)


def collections_section(review: WeeklyReview) -> Section:
    """The "Collections and customers" section: collection, DSO, overdue invoices and the
    customer lifecycle."""
    absent = review.companions.invoices is None
    body = _collection_html(review) + _lifecycle_html(review)
    return Section(review.t("collections"), body, css_class=_ABSENT if absent else "")


def _collection_html(review: WeeklyReview) -> str:
    lang, figures = review.lang, review.context.companion_figures
    days = figures.collection_settings.overdue_days
    title = f"<h3>{html.escape(_t('collection_title', lang))}</h3>"
    if review.companions.invoices is not None and not figures.payments_known:
        return _unavailable(collection_text("no_payments", lang))
    if figures.collection_team is None or figures.overdue is None or figures.dso is None:
        return _unavailable(no_invoices_text(lang))
    team = figures.collection_team[figures.collection_team["team"] == review.team]
    parts = [title]
    day = date_text(as_of_day(review.week))
    for row in _records(team):
        currency = row.currency or review.currency
        if row.status == "mixed_currencies":
            parts.append(_unavailable(collection_text("mixed_currencies", lang)))
            continue
        line = (
            _t("nothing_due", lang, day=day)
            if row.status == "nothing_due"
            else _t(
                "collection_line",
                lang,
                due=amount_text(row.due_amount, currency),
                day=day,
                collected=amount_text(row.collected, currency),
                outstanding=amount_text(row.outstanding, currency),
                rate=_pct(row.collection_rate),
                status=collection_text(str(row.status), lang),
            )
        )
        parts.append(f"<p>{html.escape(line)}</p>")
    for row in _records(figures.dso[figures.dso["team"] == review.team]):
        if row.dso is None:
            parts.append(f"<p>{html.escape(collection_text(str(row.reason), lang))}</p>")
            continue
        line = _t(
            "dso_line",
            lang,
            dso=f"{float(row.dso):.0f}",
            receivables=amount_text(row.receivables, row.currency or review.currency),
            invoiced=amount_text(row.invoiced_in_window, row.currency or review.currency),
            days=row.window_days,
        )
        parts.append(f"<p>{html.escape(line)}</p>")
    parts.append(_overdue_html(review, figures.overdue, days))
    return "".join(parts)


def _overdue_html(review: WeeklyReview, overdue: pd.DataFrame, days: int) -> str:
    lang = review.lang
    rows = overdue[overdue["team"] == review.team]
    if rows.empty:
        return f"<p>{html.escape(_t('no_overdue', lang, days=days))}</p>"
    currency = next((c for c in rows["currency"] if isinstance(c, str) and c), review.currency)
    heading = _t(
        "overdue_title",
        lang,
        days=days,
        n=len(rows),
        amount=amount_text(rows["owed"].sum(), currency),
    )
    shown = rows[["invoice_id", "account", "deal_id", "owner"]].assign(
        due_date=pd.Series(
            [date_text(d) for d in rows["due_date"]], index=rows.index, dtype=object
        ),
        days_overdue=rows["days_overdue"],
        owed=[
            amount_text(o, c if isinstance(c, str) and c else review.currency)
            for o, c in zip(rows["owed"], rows["currency"], strict=True)
        ],
    )
    return f"<h4>{html.escape(heading)}</h4>" + _listed(shown, lang, "more_invoices")


def _lifecycle_html(review: WeeklyReview) -> str:
    lang, figures = review.lang, review.context.companion_figures
    title = f"<h3>{html.escape(_t('lifecycle_title', lang))}</h3>"
    stages = figures.lifecycle
    if stages is None:
        return _unavailable(no_invoices_text(lang))
    rows = stages[stages["team"] == review.team]
    if rows.empty:
        return f"<p>{html.escape(_t('no_revenue', lang))}</p>"
    settings = figures.lifecycle_settings
    source = collection_text(str(rows["source"].iloc[0]), lang)
    if not rows["stage"].isin(_JUDGED).any():  # one line, not a table of "not enough"
        line = _t(
            "too_short", lang, source=source, n=int(rows["quarters_stored"].max()), need=_NEEDED
        )
        return f"<p class='not-available'>{html.escape(line)}</p>"
    rule = _t(
        "lifecycle_rule",
        lang,
        source=source,
        growth=_pct(settings.growth),
        decline=_pct(settings.decline),
        new=settings.new_quarters,
    )
    text = [
        lifecycle_text(str(s), lang, quarters=q)
        for s, q in zip(rows["stage"], rows["quarters_stored"], strict=True)
    ]
    grouped = [
        t if s in _JUDGED else _t("short_history", lang, need=_NEEDED)
        for s, t in zip(rows["stage"], text, strict=True)
    ]
    counts = pd.Series(grouped).value_counts(sort=False)
    summary = pd.DataFrame({"stage": counts.index, "accounts_n": counts.to_numpy()})
    ordered = rows.assign(_text=text).sort_values(
        ["revenue_last_4q", "account"], ascending=[False, True], kind="stable"
    )
    accounts = pd.DataFrame(
        {
            "account": ordered["account"].to_numpy(),
            "stage": ordered["_text"].to_numpy(),
            "revenue_last_4q": [
                amount_text(v, c if isinstance(c, str) and c else review.currency)
                for v, c in zip(ordered["revenue_last_4q"], ordered["currency"], strict=True)
            ],
            "revenue_prior_4q": [
                amount_text(v, c if isinstance(c, str) and c else review.currency)
                for v, c in zip(ordered["revenue_prior_4q"], ordered["currency"], strict=True)
            ],
        }
    )
    return f"{title}<p>{html.escape(rule)}</p>{_table(summary, lang)}" + _listed(
        accounts, lang, "more_accounts"
    )
