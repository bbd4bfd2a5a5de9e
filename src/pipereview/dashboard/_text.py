"""The dashboard's fixed texts in both languages, its sort keys and small helpers."""

from __future__ import annotations

import re

from pipereview.core._languages import phrase

__all__ = ["TABS"]

#: The dashboard's tabs, in order.
TABS: tuple[str, ...] = (
    "overview",
    "changes",
    "funnel",
    "results",
    "forecast",
    "risks",
    "coaching",
)
SORTS: tuple[str, ...] = (
    "amount",
    "days_in_stage",
    "push_count",
    "days_since_activity",
    "risk_count",
)
ROW_LIMIT = 200

TEXT: dict[str, tuple[str, str]] = {  # key: (en, zh)
    "overview": ("Overview", "概览"),
    "changes": ("Changes", "变化"),
    "funnel": ("Funnel", "漏斗"),
    "results": ("Results compared", "业绩对比"),
    "forecast": ("Forecast", "预测"),
    "risks": ("Deals at risk", "风险商机"),
    "coaching": ("Coaching", "辅导"),
    "team_sel": ("Team", "团队"),
    "week_sel": ("Week", "周"),
    "rep_sel": ("Rep", "销售"),
    "all_reps": ("All reps", "全部销售"),
    "all_changes": ("All changes", "全部变化"),
    "sort_by": ("Sort by", "排序"),
    "export": ("Export actions", "导出行动清单"),
    "title": (
        "{team} — pipeline dashboard, {week} ({period})",
        "{team} — 销售漏斗看板 {week}（{period}）",
    ),
    "locked": ("This dashboard shows {team} only.", "此看板仅显示 {team} 的数据。"),
    "no_data": (
        "No snapshots are stored yet. Ingest a week of CRM exports "
        "(pipereview ingest EXPORT --week 2026-W47), then reload this page.",
        "尚未存储任何快照。请先导入一周的 CRM 导出（pipereview ingest 文件 --week 2026-W47），"
        "然后刷新本页。",
    ),
    "no_open": ("{team} has no open deals in {week}.", "{team} 在 {week} 没有在跟商机。"),
    "no_rep_targets": ("No target for this rep in {period}.", "该销售在 {period} 没有目标。"),
    "sheet_for": ("Coaching sheet", "辅导单"),
    "shown": (
        "Showing {shown} of {total} rows; the export holds them all.",
        "显示 {total} 行中的 {shown} 行；导出文件包含全部。",
    ),
    "no_changes": ("No deal changed this way.", "没有此类变化的商机。"),
    "exported": ("Action list ({rows} rows):", "行动清单（{rows} 行）："),
    "days_in_stage": ("Days in stage", "阶段停留天数"),
    "push_count": ("Pushes", "推迟次数"),
    "days_since_activity": ("Days since activity", "距上次跟进天数"),
    "risk_count": ("Number of risks", "风险数"),
    "amount": ("Amount", "金额"),
    "before": ("Before", "之前"),
    "after": ("After", "之后"),
    "close": ("Close date", "预计成交日"),
    "evidence": ("Evidence", "依据"),
    "stuck": ("{n} deals, {amount}, median {age} days", "{n} 单，{amount}，中位停留 {age} 天"),
    "move_on": ("Moved on in a week", "周推进率"),
    "title_moveon": ("Move-on rate by stage", "各阶段周推进率"),
    "severity": ("Severity", "严重度"),
    "severity_1": ("low", "低"),
    "severity_2": ("medium", "中"),
    "severity_3": ("high", "高"),
    "deal_id": ("Deal ID", "商机编号"),
    "share": ("Link to this view", "本视图链接"),
    "figure": ("Figure", "指标"),
    "change": ("Against last week", "与上周相比"),
    "weeks_trend": ("Last {n} stored weeks", "最近 {n} 个存储周"),
    "search": ("Search deals, accounts, reps", "搜索商机、客户、销售代表"),
    "no_match": ("No deal matches “{text}”.", "没有与“{text}”匹配的商机。"),
    "issue": ("Rule", "规则"),
    "observation": ("Observation", "观察"),
    "question": ("Question", "提问"),
    "action": ("Next action", "下一步行动"),
    "follow_up": ("Follow up on", "跟进日期"),
    "no_stage": ("chart only", "仅看图"),
    "show_changes": ("Deals that changed:", "变化的商机："),
    "show_stage": ("Deals in stage:", "查看阶段商机："),
    "stage_deals": ("Open deals in {stage}: {n}", "{stage} 阶段的在跟商机：{n} 单"),
    "order_category": ("kind of change", "变化类型"),
    "order_amount_to": ("amount after", "变化后金额"),
    "order_amount_change": ("size of the change in amount", "金额变化幅度"),
    "order_close_date_to": ("close date", "预计成交日"),
    "order_owner": ("rep", "销售"),
    "order_deal_name": ("deal", "商机"),
    "log_title": ("Coaching log — 1:1 of {week}", "辅导记录 — {week} 的一对一"),
    "log_pick_rep": (
        "Choose a rep to mark the items of their last 1:1.",
        "选择一位销售，标记其上次一对一的事项。",
    ),
    "log_off": (
        "Marking the coaching log needs the store: start the dashboard with "
        "pipereview serve --store DIR.",
        "标记辅导记录需要数据存储：请用 pipereview serve --store 目录 启动看板。",
    ),
    "log_none": (
        "The coaching log holds no items for {rep} up to {week}: pipereview coach records "
        "the focus items of each sheet.",
        "截至 {week}，辅导记录中没有 {rep} 的事项：pipereview coach 会记录每张辅导单的重点事项。",
    ),
    "log_status": ("Status", "状态"),
    "log_note": ("Note (optional)", "备注（可选）"),
    "log_due": ("by {due}", "{due} 前"),
    "log_save": ("Save marks", "保存标记"),
    "log_saved": (
        "Saved to the coaching log: {n} changed.",
        "已保存到辅导记录：{n} 项有改动。",
    ),
    "log_long": (
        "Not saved: the note on {item} is longer than {n} characters; shorten it.",
        "未保存：{item} 的备注超过 {n} 个字符，请缩短。",
    ),
    "log_unchanged": ("Nothing to save: no mark was changed.", "没有需要保存的内容：标记未改动。"),
    "log_stale": (
        "Not saved: {item} was marked meanwhile (on another page or from a mark file). The "
        "list now shows the log as it is; mark again.",
        "未保存：{item} 在此期间已被标记（在另一页面或通过标记文件）。列表已显示最新记录，请重新标记。",
    ),
    "refused": (
        "That request could not be handled; the page shows the last valid selection.",
        "无法处理该请求；页面显示上一次有效的选择。",
    ),
}


def text(key: str, lang: str, **values: object) -> str:
    """A fixed text of the dashboard in ``lang`` (a checked language: a view's)."""
    return phrase(TEXT, key, lang, **values)


def slug(text: str) -> str:
    """A file-name-safe version of ``text`` (letters, digits, CJK, ``-`` and ``_`` kept)."""
    return re.sub(r"[^\w-]+", "_", text).strip("_") or "all"
