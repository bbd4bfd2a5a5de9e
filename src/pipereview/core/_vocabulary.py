"""The product's words a reader sees in both languages: how a deal moved week over week,
the risk flags of an open deal and the shapes of a funnel, each as ``(en, zh)``. The
review, the dashboard and the ``changes`` command print these, so they say the same thing
everywhere.

>>> CATEGORY_LABELS["regressed"]
('moved back a stage', '阶段倒退')
>>> REASON_LABELS["pushed_out"]
('pushed out of the period (slipped)', '推迟出本期（滑单）')
>>> RISK_LABELS["stalled"][1], SHAPE_NAMES["bulge"][0]
('近期无跟进', 'bulge (a bottleneck)')
"""

from __future__ import annotations

__all__ = [
    "CALL_BIAS_LABELS",
    "CALL_STATUS_LABELS",
    "CATEGORY_LABELS",
    "FORECAST_CATEGORY_LABELS",
    "FORECAST_METHOD_LABELS",
    "MATRIX_LABELS",
    "REASON_LABELS",
    "RISK_LABELS",
    "SHAPE_NAMES",
    "WATERFALL_STEP_LABELS",
]

#: Each movement category of a deal week over week (``history``'s ``deal_movements``, and
#: ``moved_in`` / ``moved_out`` a team's review gives a deal that changed team: ``history``'s
#: ``team_movements``), in the order the review lists them.
CATEGORY_LABELS: dict[str, tuple[str, str]] = {
    "reopened": ("reopened", "重新打开"),
    "won": ("won", "赢单"),
    "lost": ("lost", "输单"),
    "dropped": ("dropped from the export", "从导出中消失"),
    "removed": ("deleted or merged in the CRM", "已在 CRM 中删除或合并"),
    "moved_out": ("moved to another team", "调往其他团队"),
    "new": ("new in the export, open", "导出中新出现（在跟）"),
    "moved_in": ("moved from another team", "从其他团队调入"),
    "advanced": ("advanced a stage", "阶段推进"),
    "regressed": ("moved back a stage", "阶段倒退"),
    "pushed": ("close date pushed out", "预计成交日推迟"),
    "pulled_in": ("close date pulled in", "预计成交日提前"),
    "amount_up": ("amount raised", "金额上调"),
    "amount_down": ("amount lowered", "金额下调"),
    "unchanged": ("unchanged", "无变化"),
}
#: Each risk flag of an open deal (``diagnostics``' ``RISK_FLAGS``).
RISK_LABELS: dict[str, tuple[str, str]] = {
    "past_typical": ("past typical time in stage", "超出阶段常规时长"),
    "stalled": ("no recent activity", "近期无跟进"),
    "pushed_often": ("pushed repeatedly", "多次推迟"),
    "close_date_past": ("close date passed", "预计成交日已过"),
}
#: Each funnel shape (``diagnostics``' ``SHAPE_LABELS``) as the review and the dashboard
#: name it.
SHAPE_NAMES: dict[str, tuple[str, str]] = {
    "healthy": ("healthy", "健康"),
    "thin_top": ("thin top (too few new deals)", "顶部过窄（新商机太少）"),
    "top_heavy": ("top-heavy (deals pile up early)", "头重脚轻（商机堆积在早期阶段）"),
    "bulge": ("bulge (a bottleneck)", "中部鼓包（存在瓶颈）"),
    "thin_bottom": ("thin bottom (little near closing)", "底部过窄（临近成交的商机太少）"),
    "not_enough_data": ("not enough data", "数据不足"),
    "one_stage": (
        "every open deal in one stage (no shape to read)",
        "所有在跟商机都在同一阶段（看不出漏斗形态）",
    ),
}
#: Each forecast category a deal can carry (the snapshot's ``forecast_category``), as the
#: CRMs' own screens name them.
FORECAST_CATEGORY_LABELS: dict[str, tuple[str, str]] = {
    "commit": ("commit", "承诺"),
    "best_case": ("best case", "最佳情况"),
    "pipeline": ("pipeline", "管道中"),
    "omitted": ("omitted", "不计入预测"),
    "closed": ("closed", "已关闭"),
}
#: Each way of forecasting a period's final won (``diagnostics``' ``FORECAST_METHODS``),
#: the two baselines last.
FORECAST_METHOD_LABELS: dict[str, tuple[str, str]] = {
    "stage_weighted": ("weighted pipeline (the review's expected)", "加权管道（本报告的预期）"),
    "evidence_weighted": ("weighted by the evidence", "按证据加权"),
    "historical_conversion": ("historical conversion", "历史转化率"),
    "conversion_with_inflow": (
        "historical conversion + pipeline still to come",
        "历史转化率 + 尚未进入管道的新增",
    ),
    "conversion_and_pace": (
        "historical conversion and pace, averaged",
        "历史转化率与赢单速度的平均",
    ),
    "conversion_and_stages": (
        "historical conversion and the stages' probabilities, averaged",
        "历史转化率与阶段概率的平均",
    ),
    "calls_corrected": ("reps' calls corrected for their bias", "按偏差校正的销售预测提报"),
    "weighted_pipeline": (
        "baseline: pipeline at the stages' probabilities",
        "基准：按阶段概率加权的管道",
    ),
    "naive_pace": ("baseline: won to date at the same pace", "基准：按当前赢单速度外推"),
}
#: Each step of the period's pipeline waterfall (``diagnostics``' ``STEPS``): how a deal
#: entered or left the pipeline expected to close in the period.
WATERFALL_STEP_LABELS: dict[str, tuple[str, str]] = {
    "opening": ("last week's pipeline", "上周管道"),
    "new": ("new", "新增"),
    "reopened": ("reopened", "重新打开"),
    "moved_in": ("moved from another team", "从其他团队调入"),
    "increased": ("amount raised", "金额上调"),
    "decreased": ("amount lowered", "金额下调"),
    "pulled_in": ("pulled into the period", "提前到本期"),
    "pushed_in": ("pushed into the period (was overdue)", "推迟到本期（原已逾期）"),
    "pushed_out": ("pushed out of the period", "推迟出本期"),
    "pulled_out": ("moved before the period", "提前到本期之前"),
    "won": ("won", "赢单"),
    "lost": ("lost", "输单"),
    "dropped": ("dropped from the export", "从导出中消失"),
    "removed": ("deleted or merged in the CRM", "已在 CRM 中删除或合并"),
    "moved_out": ("moved to another team", "调往其他团队"),
    "closing": ("this week's pipeline", "本周管道"),
}
#: Each reason a deal changed between two weeks (``diagnostics``' ``REASONS``), in the
#: order the review lists them.
REASON_LABELS: dict[str, tuple[str, str]] = {
    "new": ("new", "新增"),
    "reopened": ("reopened", "重新打开"),
    "moved_in": ("moved from another team", "从其他团队调入"),
    "won": ("won", "赢单"),
    "lost": ("lost", "输单"),
    "removed": ("deleted or merged in the CRM", "已在 CRM 中删除或合并"),
    "dropped": ("dropped from the export", "从导出中消失"),
    "moved_out": ("moved to another team", "调往其他团队"),
    "pulled_in": ("pulled into the period", "提前到本期"),
    "pushed_in": ("pushed into the period (was overdue)", "推迟到本期（原已逾期）"),
    "pushed_out": ("pushed out of the period (slipped)", "推迟出本期（滑单）"),
    "pulled_out": ("moved before the period", "提前到本期之前"),
    "close_earlier": ("close date moved earlier", "预计成交日提前"),
    "close_later": ("close date moved later", "预计成交日推迟"),
    "amount_up": ("amount raised", "金额上调"),
    "amount_down": ("amount lowered", "金额下调"),
    "owner_changed": ("owner changed", "负责人变更"),
    "into_commit": ("into commit", "转入承诺"),
    "out_of_commit": ("out of commit", "移出承诺"),
    "into_best_case": ("into best case", "转入最佳情况"),
    "out_of_best_case": ("out of best case", "移出最佳情况"),
    "into_pipeline": ("into pipeline", "转入管道"),
    "out_of_pipeline": ("out of pipeline", "移出管道"),
    "into_omitted": ("into omitted", "转入不计入预测"),
    "out_of_omitted": ("out of omitted", "移出不计入预测"),
}
#: Each row and column of the forecast-category matrix (``diagnostics``' ``MATRIX_ROWS``
#: and ``MATRIX_COLUMNS``): a forecast category, or where else the deal is.
MATRIX_LABELS: dict[str, tuple[str, str]] = {
    **{k: v for k, v in FORECAST_CATEGORY_LABELS.items() if k != "closed"},
    "won": ("won", "赢单"),
    "lost": ("lost", "输单"),
    "gone": ("gone (deleted, merged or dropped)", "已消失（删除、合并或从导出中消失）"),
    "no_category": ("no forecast category", "无预测类别"),
    "not_in_pipeline": ("not in the pipeline", "不在管道中"),
}
#: How fresh a rep's or manager's forecast call is (``diagnostics``' ``call_freshness``);
#: ``{weeks}``: the weeks since the call.
CALL_STATUS_LABELS: dict[str, tuple[str, str]] = {
    "this_week": ("this week", "本周已提交"),
    "current": ("{weeks} week(s) old, still current", "{weeks} 周前提交，仍有效"),
    "stale": ("stale ({weeks} weeks old)", "已过期（{weeks} 周前提交）"),
    "never": ("never submitted", "从未提交"),
}
#: A rep's bias in their forecast calls against what they won (``call_bias``'s verdict).
CALL_BIAS_LABELS: dict[str, tuple[str, str]] = {
    "sandbagging": ("sandbagging (calls below what they win)", "保守（压单）"),
    "over-calling": ("over-calling (calls above what they win)", "过度乐观"),
    "on target": ("on target", "预测准确"),
    "not enough history": ("not enough history", "历史数据不足"),
}
