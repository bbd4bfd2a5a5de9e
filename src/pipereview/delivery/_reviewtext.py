"""The weekly review's fixed words in both languages (``REVIEW_TEXT``: key -> (en, zh)) and
its stylesheet, carried by its title (``REPORT_CSS``): a CJK-capable font stack (the
charts' own), tables that wrap their cells instead of running off the page, deal lists
behind a click, charts that shrink with the window, and A4 print without cut columns.
Nothing is fetched: the report opens offline.

>>> REVIEW_TEXT["glance"], "@page{size:A4" in REPORT_CSS, "url(" in REPORT_CSS
(('At a glance', '本周要点'), True, False)
"""

from __future__ import annotations

__all__: list[str] = []

#: The stylesheet (minified: it is repeated in every report).
REPORT_CSS = (
    'body,.review-table,.glance{font-family:"Noto Sans CJK SC","Microsoft YaHei",'
    '"PingFang SC","Hiragino Sans GB",system-ui,sans-serif}'
    "table.review-table{border-collapse:collapse;font-size:13px;margin:6px 0;max-width:100%}"
    "table.review-table th,table.review-table td{padding:3px 8px;text-align:left!important;"
    "vertical-align:top;border-bottom:1px solid #ddd;overflow-wrap:anywhere}"
    "table.glance td.verdict{font-weight:600;min-width:14em}table.glance td.not-checked"
    "{color:#8a5a00}table.glance th[scope=row]{white-space:nowrap}"
    ".not-checked,.data-note{color:#8a5a00}.refused{color:#b00020}"
    "details>summary{cursor:pointer;margin:4px 0}p.list-caption{margin:6px 0 2px;color:#555}"
    ".pipereview-chart svg{max-width:100%;height:auto}"
    "nav.toc ol{display:flex;flex-wrap:wrap;gap:4px 22px;padding-left:0;"
    "list-style-position:inside}"
    "@page{size:A4;margin:12mm}"
    "@media print{body{font-size:9pt}nav.toc,p.back,section.not-available,div.reason-deals"
    "{display:none}"
    "table.review-table{font-size:7.5pt;width:100%}"
    "table.review-table th,table.review-table td{padding:1px 3px}"
    "h2,h3{break-after:avoid}tr{break-inside:avoid}"
    # the coaching sheets, one per rep, set tight: a sheet's points, not its white space
    ".coaching-sheet{font-size:8.5pt}.coaching-sheet p{margin:1px 0}.coaching-sheet li{margin:1px 0}"
    ".coaching-sheet ul,.coaching-sheet ol{margin:2px 0}"
    ".coaching-sheet h2{font-size:11pt;margin:8px 0 2px}"
    ".coaching-sheet h3{font-size:10pt;margin:5px 0 2px}"
    # a pattern's deals one line each: the rep's next step after a dot, not on a line
    ".coaching-sheet ul.pattern-deals{font-size:8pt}.coaching-sheet ul.pattern-deals br"
    "{display:none}.coaching-sheet ul.pattern-deals .next-step::before{content:' · '}"
    # a list behind a click cannot open on paper: its one-line summary set small
    "details>summary{margin:0;font-size:8pt}"
    ".sheet-chart{margin:2px 0}.sheet-chart svg{max-height:55mm;width:auto}"
    ".jp-OutputArea-output,.jp-RenderedHTMLCommon,.jp-Cell,.jp-OutputArea{overflow:visible!important;"
    "max-width:100%!important}.jp-OutputPrompt,.jp-InputPrompt{display:none!important}}"
)

#: Every fixed text of the review: key -> (en, zh).
REVIEW_TEXT: dict[str, tuple[str, str]] = {  # key: (en, zh)
    "healthy_reps": ("Funnel shape {label}: {reps}.", "漏斗形态{label}：{reps}。"),
    "headline": ("Headline figures", "核心数据"),
    "changes": ("What changed since last week", "与上周相比的变化"),
    "reasons": ("Why the pipeline changed", "管道变化的原因"),
    "funnel": ("Funnel shape and bottleneck", "漏斗形态与瓶颈"),
    "forecast": ("Forecast against target", "预测与目标对比"),
    "calls": ("Forecast calls", "预测提交"),
    "pacing": ("Pacing against past quarters", "与往季同期的进度对比"),
    "forecast_check": ("Which forecast to trust", "哪种预测更可信"),
    "results": ("Results compared", "业绩对比"),
    "risks": ("Deals at risk and process gaps", "风险商机与流程缺口"),
    "activities": ("Activities and leads", "活动与线索"),
    "collections": ("Collections and customers", "回款与客户"),
    "coaching": ("Coaching sheets", "辅导单"),
    "open_deals": ("Open deals", "在跟商机数"),
    "open_amount": ("Open pipeline", "在跟金额"),
    "weighted_pipeline": ("Weighted pipeline", "加权金额"),
    "won_amount": ("Won this period", "本期赢单金额"),
    "target": ("Target", "目标"),
    "gap_to_target": ("Forecast against target", "预测与目标"),
    "outlook": ("Will we hit target?", "能否完成目标"),
    "new_unknown": ("not known in the first stored week", "第一周的数据，无法统计"),
    "no_coverage_enough": (
        "none is enough: no deal won of those closed",
        "已结束的商机一个未赢，覆盖率多高都不够",
    ),
    "coverage": ("Coverage", "覆盖率"),
    "coverage_needed": ("Coverage needed", "所需覆盖率"),
    "win_rate": ("Win rate", "赢单率"),
    "new_deals": ("New deals this week", "本周新增商机"),
    "shape": ("Funnel shape", "漏斗形态"),
    "no_previous": (
        "First stored week: nothing to compare with yet.",
        "这是第一周的数据，暂无可比较的上周数据。",
    ),
    "no_targets": (
        "No targets given: pass a targets file to see the forecast against target.",
        "未提供目标文件，无法与目标对比。",
    ),
    "no_risk": ("No open deal is flagged.", "没有需要关注的在跟商机。"),
    "rep": ("Rep", "销售代表"),
    "deal": ("Deal", "商机"),
    "account": ("Account", "客户"),
    "stage": ("Stage", "阶段"),
    "amount": ("Amount", "金额"),
    "risks_col": ("Risks", "风险"),
    "evidence_stage": ("Evidence supports", "证据支持到"),
    "missing": ("Missing", "缺少"),
    "label": ("Shape", "形态"),
    "glance": ("At a glance", "本周要点"),
    "all_teams": ("← All teams", "← 全部团队"),
    "contents": ("Contents", "目录"),
    "bottleneck": ("Bottleneck stage", "瓶颈阶段"),
    "category": ("Change", "变化"),
    "step": ("Step", "变动"),
    "flagged": ("Open deals with a risk flag", "有风险标记的在跟商机"),
    "gaps": ("Stage ahead of the evidence", "阶段超出证据支持"),
    "effect": ("Effect on the pipeline", "对管道的影响"),
    "deals": ("Deals", "商机数"),
    "period": ("Period", "周期"),
    "figure": ("Figure", "指标"),
    "value": ("Value", "数值"),
}
