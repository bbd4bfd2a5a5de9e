"""What a reader calls each coaching rule: the title an action list, its CSV/XLSX export
and any other table of findings shows instead of the rule's name in code.

>>> rule_title("stalled_deal", "zh")
'长期无跟进'
>>> rule_title("stalled_deal", "en")
'No recent activity'

A rule of your own (a plug-in or a ``register_rule`` in your code) gets its title by
adding it to :data:`RULE_TITLES`; without one it is called by its name with spaces in
English and "其他提示" (another finding) in Chinese, never by its name in code:

>>> rule_title("big_deal", "en"), rule_title("big_deal", "zh")
('Big deal', '其他提示')
>>> RULE_TITLES["big_deal"] = ("Big deal to review", "需要复核的大单")
>>> rule_title("big_deal", "zh")
'需要复核的大单'
>>> del RULE_TITLES["big_deal"]
"""

from __future__ import annotations

from pipereview.core._languages import check_language

__all__ = ["RULE_TITLES", "rule_title"]

#: Each rule's title in English and Chinese (the words a sales manager uses).
RULE_TITLES: dict[str, tuple[str, str]] = {
    "stage_inflation": ("Stage ahead of the evidence", "阶段与证据不符"),
    "missing_exit_criteria": ("Exit criteria still open", "阶段推进标准未达成"),
    "no_decision_maker": ("No decision maker", "未找到决策人"),
    "no_coach": ("No internal coach", "缺少内线"),
    "stalled_deal": ("No recent activity", "长期无跟进"),
    "repeated_pushes": ("Close date pushed repeatedly", "成交日期多次推迟"),
    "close_date_past": ("Close date passed", "预计成交日已过"),
    "low_stage_conversion": ("Deals slow to move on at a stage", "阶段周推进率偏低"),
    "coverage_below_need": ("Pipeline coverage too low", "商机覆盖率不足"),
    "forecast_deviation": ("Behind plan", "业绩落后于计划"),
    "team_forecast_deviation": ("Team behind plan", "团队业绩落后于计划"),
    "thin_funnel_top": ("Too few new deals", "新商机不足"),
    "deal_concentration": ("Pipeline rests on one deal", "商机过于集中"),
    "best_conversion": ("Deals move on fastest at a stage", "阶段周推进率领先"),
    "biggest_progress": ("Most deals moved forward", "推进商机最多"),
    "most_complete_evidence": ("Most complete evidence", "证据最完整"),
    "improvement_since_last_month": ("Faster than last month", "推进比上月加快"),
    "target_attainment": ("Target reached / ahead of plan", "目标达成 / 领先计划"),
    "win_rate_above_peers": ("Win rate above the team's", "赢单率高于团队"),
    "big_win": ("A big win", "赢下大单"),
    "zero_win_rate": ("No deal won lately", "近期零赢单"),
    "no_open_pipeline": ("No open pipeline", "手上没有在跟商机"),
    "below_stage_standard": ("Stage conversion below the standard", "阶段转化率低于标准"),
    "busy_without_advance": ("Busy, but deals do not move", "活动量高但阶段推进少"),
    "activity_below_norm": ("Activity below the team's norm", "活动量低于团队常模"),
    "lead_conversion_low": ("Leads convert too rarely", "线索转化率偏低"),
    "lead_source_low": ("Lead source converts poorly", "线索来源转化率偏低"),
    "invoice_overdue": ("Invoice overdue", "逾期回款待催收"),
    "call_stale": ("Forecast call not submitted", "预测未按时提交"),
    "call_bias": ("Forecast calls off what you win", "预测偏差（保守或过度乐观）"),
}


def rule_title(rule: str, lang: str = "en") -> str:
    """The reader's name of coaching rule ``rule`` in ``lang`` (``en`` or ``zh``)."""
    check_language(lang)
    titles = RULE_TITLES.get(rule)
    if titles is not None:
        return titles[1] if lang == "zh" else titles[0]
    return "其他提示" if lang == "zh" else rule.replace("_", " ").strip().capitalize()
