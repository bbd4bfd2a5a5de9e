"""The four sample teams (who sells, which CRM, how deals flow) and the names they use.

The planted patterns are set here too: which rep has the bottleneck, which team's funnel
top is thin, which team's CRM migrates and when.

>>> [team.slug for team in TEAMS]
['north', 'west', 'huadong', 'dach']
>>> deal_name("zh", "上海恒通机械有限公司", "MES系统升级")
'恒通机械-MES系统升级'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = [
    "LOSS_REASONS",
    "MIGRATION_TEAM",
    "MIGRATION_WEEKS_BEFORE_LAST",
    "POOLS",
    "TEAMS",
    "THIN_TOP_TEAM",
    "THIN_TOP_WEEKS_BEFORE_FIRST",
    "TeamSpec",
    "all_accounts",
    "deal_name",
    "loss_reasons",
    "person",
]


@dataclass(frozen=True)
class TeamSpec:
    """One sample team: who sells, which CRM exports its pipeline, how deals flow.

    ``new_per_rep`` is the mean number of deals a rep creates per week during the exported
    weeks (``early_new_per_rep`` before them); ``velocity`` scales how fast deals leave a
    stage (``top_velocity``, when given, the first two stages); ``target_factor`` > 1 sets
    targets above what the team will reach (behind), < 1 below (ahead).
    """

    name: str
    slug: str
    manager: str
    reps: tuple[str, ...]
    column_map: str
    stage_model: str
    currency: str
    locale: Literal["us", "zh", "de"]
    new_per_rep: float
    early_new_per_rep: float
    stock_per_rep: int
    velocity: float
    amount_median: float
    target_factor: float
    top_velocity: float | None = None
    bottleneck_rep: str | None = None
    bottleneck_stage: str | None = None


#: The four sample teams, in the order their files and rows are written.
TEAMS: tuple[TeamSpec, ...] = (
    TeamSpec(
        name="North",
        slug="north",
        manager="Karen Mitchell",
        reps=(
            "Emily Carter",
            "Marcus Reed",
            "Jordan Blake",
            "Sarah Johnson",
            "David Kim",
            "Ashley Nguyen",
            "Chris Walker",
        ),
        column_map="salesforce_report",
        stage_model="salesforce",
        currency="USD",
        locale="us",
        new_per_rep=1.25,
        early_new_per_rep=1.25,
        stock_per_rep=22,
        velocity=0.8,
        amount_median=42_000,
        target_factor=1.1,
        bottleneck_rep="Jordan Blake",
        bottleneck_stage="id_decision_makers",
    ),
    TeamSpec(
        name="West",
        slug="west",
        manager="Daniel Ortiz",
        reps=("Megan Brooks", "Tyler Hayes", "Olivia Ramirez", "Brandon Lee", "Rachel Foster"),
        column_map="hubspot",
        stage_model="hubspot",
        currency="USD",
        locale="us",
        new_per_rep=0.35,
        early_new_per_rep=3.0,
        stock_per_rep=50,
        velocity=0.4,
        top_velocity=1.0,
        amount_median=24_000,
        target_factor=1.3,
    ),
    TeamSpec(
        name="华东",
        slug="huadong",
        manager="周建华",
        reps=("张伟", "王芳", "李强", "刘洋", "陈静", "赵磊"),
        column_map="chinese_crm",
        stage_model="industrial_b2b",
        currency="CNY",
        locale="zh",
        new_per_rep=1.1,
        early_new_per_rep=1.1,
        stock_per_rep=24,
        velocity=0.8,
        amount_median=650_000,
        target_factor=0.85,
    ),
    TeamSpec(
        name="DACH",
        slug="dach",
        manager="Thomas Schneider",
        reps=(
            "Lukas Müller",
            "Anna Schmidt",
            "Jonas Weber",
            "Lea Fischer",
            "Maximilian Wagner",
            "Sophie Becker",
            "Felix Hoffmann",
            "Julia Koch",
        ),
        column_map="dynamics",
        stage_model="generic_4",
        currency="EUR",
        locale="de",
        new_per_rep=1.0,
        early_new_per_rep=1.0,
        stock_per_rep=19,
        velocity=0.7,
        amount_median=58_000,
        target_factor=0.95,
    ),
)
# where the planted patterns sit (the bottleneck: TeamSpec.bottleneck_rep and _stage)
THIN_TOP_TEAM = "West"
THIN_TOP_WEEKS_BEFORE_FIRST = 8  # West's lead flow dried up this many weeks before W36
MIGRATION_TEAM = "华东"
MIGRATION_WEEKS_BEFORE_LAST = 4  # 2026-W43 when the last week is 2026-W47


# --- names -------------------------------------------------------------------------------


def _listed(text: str) -> tuple[str, ...]:
    """The items of ``text``, separated by ", " (an item may hold spaces)."""
    return tuple(text.split(", "))


#: Each locale's names: company names (``a`` + ``b`` + ``legal``; ``zh``: city ``a`` +
#: ``brand`` + ``b`` + ``legal``), projects, people, competitors and next steps.
POOLS: dict[str, dict[str, tuple[str, ...]]] = {
    "us": {
        "a": _listed(
            "Summit, Redwood, Blue Ridge, Lakeside, Ironwood, Granite, Harbor, Prairie, Cascade, "
            "Pioneer, Keystone, Silverline, Northstar, Evergreen, Copper Creek, Riverbend, "
            "Hillcrest, Bayview, Crescent, Frontier, Tri-County, Oakmont, Sterling, Westfield"
        ),
        "b": _listed(
            "Manufacturing, Logistics, Foods, Energy, Plastics, Packaging, Metals, "
            "Robotics, Components, Industries, Health, Materials, Tooling, Aerospace"
        ),
        "legal": _listed("Inc., LLC, Corp., Co."),
        "product": _listed(
            "Packaging Line Upgrade, Plant Automation, Fleet Telematics, Predictive Maintenance, "
            "Warehouse Robotics, ERP Integration, Conveyor Retrofit, Quality Inspection System, "
            "Energy Monitoring, Service Contract Renewal, Cold Chain Sensors, Line 2 Expansion, "
            "Safety Systems Refresh, MES Rollout, Spare Parts Agreement, Vision System Pilot"
        ),
        "first": _listed(
            "James, Linda, Robert, Patricia, Michael, Jennifer, William, Elizabeth, Richard, "
            "Susan, Thomas, Karen, Daniel, Nancy, Matthew, Lisa, Anthony, Betty, Mark, Sandra"
        ),
        "last": _listed(
            "Smith, Brown, Davis, Wilson, Moore, Taylor, Anderson, Thomas, Jackson, White, "
            "Harris, Martin, Thompson, Garcia, Martinez, Robinson, Clark, Lewis, Young, Allen"
        ),
        "competitor": _listed(
            "Apex Automation, Vantage Systems, Ironclad Industrial, "
            "Meridian Tech, BlueLine Solutions, Crestview Controls"
        ),
        "next": _listed(
            "Schedule discovery call, Send proposal, Follow up on budget, Book demo with ops team, "
            "Confirm decision timeline, Review contract redlines, Intro to procurement, "
            "Plan site visit, Send customer references, Get pricing approval"
        ),
    },
    "zh": {
        "a": _listed("上海, 杭州, 苏州, 南京, 宁波, 无锡, 合肥, 常州, 嘉兴, 绍兴, 南通, 温州"),
        "brand": _listed(
            "恒通, 华力, 宏达, 精工, 远东, 科瑞, 金诚, 天成, 东方, "
            "瑞丰, 永盛, 海天, 博远, 中联, 同创, 鼎盛, 万向, 新源"
        ),
        "b": _listed(
            "机械, 精密制造, 化工, 电子, 汽车零部件, 新材料, "
            "包装, 食品, 智能装备, 环保科技, 电气, 纺织"
        ),
        "legal": _listed("有限公司, 股份有限公司"),
        "product": _listed(
            "二期产线自动化改造项目, MES系统升级, 智能仓储项目, 设备预测性维护, "
            "新厂房配套设备采购, 能源管理系统, 质量检测系统升级, 年度备件框架协议, "
            "机器人焊接工作站, 环保设备改造, 数字化车间试点, 冷却系统更新"
        ),
        "first": _listed(
            "建国, 志强, 海燕, 秀英, 伟, 敏, 静, 丽, 军, 洋, 勇, 艳, 杰, 涛, 明, 超, 华, 斌, 鹏, 玲"
        ),
        "last": _listed(
            "王, 李, 张, 刘, 陈, 杨, 黄, 赵, 吴, 周, 徐, 孙, 马, 朱, 胡, 郭, 何, 高, 林, 罗"
        ),
        "competitor": _listed("西门子, ABB, 汇川技术, 埃斯顿, 新松机器人, 和利时, 中控技术"),
        "next": _listed(
            "安排技术交流, 提交报价, 约见采购负责人, 安排样板点参观, 确认预算, "
            "拜访总经理, 准备投标文件, 合同条款评审, 确认回款计划, 跟进需求确认"
        ),
    },
    "de": {
        "a": _listed(
            "Brandt, Keller, Hofmann, Vogel, Krüger, Lindner, Berger, Zimmermann, Hartmann, "
            "Seidel, Roth, Winkler, Lorenz, Baumann, Franke, Albrecht, Schuster, Kühn"
        ),
        "b": _listed(
            "Maschinenbau, Logistik, Antriebstechnik, Kunststofftechnik, Automotive, Verpackung, "
            "Medizintechnik, Elektronik, Stahlbau, Lebensmittel, Präzisionsteile, Umwelttechnik"
        ),
        "legal": _listed("GmbH, AG, GmbH & Co. KG, SE"),
        "product": _listed(
            "Retrofit Linie 3, Wartungsvertrag 2027, Neuanlage Werk Süd, "
            "Automatisierung Montage, Ersatzteilrahmenvertrag, Digitalisierung Instandhaltung, "
            "Energiemonitoring, Prüfstand Erweiterung, Roboterzelle Schweißen, "
            "Lagerautomatisierung, MES Software-Upgrade, Kühlsystem Modernisierung"
        ),
        "first": _listed(
            "Andreas, Birgit, Christian, Doris, Frank, Gabriele, Heiko, Ines, Jürgen, Katrin, "
            "Markus, Nicole, Oliver, Petra, Ralf, Sabine, Stefan, Ute, Wolfgang, Claudia"
        ),
        "last": _listed(
            "Meier, Schulz, Koch, Richter, Klein, Wolf, Schröder, Neumann, Schwarz, Braun, "
            "Lange, Werner, Krause, Lehmann, Köhler, Maier, Huber, Kaiser, Fuchs, Vogt"
        ),
        "competitor": _listed("Siemens, Bosch Rexroth, Festo, Beckhoff, KUKA, Schneider Electric"),
        "next": _listed(
            "Termin Bedarfsanalyse, Angebot versenden, Entscheider treffen, "
            "Demo vereinbaren, Budget klären, Vertragsentwurf prüfen, Referenzbesuch planen, "
            "Einkauf kontaktieren, Technische Klärung, Preisfreigabe einholen"
        ),
    },
}


def all_accounts(locale: str) -> list[str]:
    """Every company name the pools can make, e.g. 上海恒通机械有限公司, Keller Logistik GmbH."""
    pool = POOLS[locale]
    if locale == "zh":
        return [
            f"{city}{brand}{trade}{legal}"
            for city in pool["a"]
            for brand in pool["brand"]
            for trade in pool["b"]
            for legal in pool["legal"]
        ]
    return [f"{a} {b} {legal}" for a in pool["a"] for b in pool["b"] for legal in pool["legal"]]


def deal_name(locale: str, account: str, product: str) -> str:
    """The name reps give a deal: the company's short name and the project."""
    for legal in sorted(POOLS[locale]["legal"], key=len, reverse=True):
        if account.endswith(legal):
            account = account.removesuffix(legal).strip()
            break
    if locale == "zh":  # 上海恒通机械 -> 恒通机械-MES系统升级
        return f"{account[2:]}-{product}"
    return f"{account} - {product}"


def person(locale: str, pick: Callable[[tuple[str, ...]], str], boss: bool = False) -> str:
    pool = POOLS[locale]
    if locale == "zh":
        return f"{pick(pool['last'])}总" if boss else f"{pick(pool['last'])}{pick(pool['first'])}"
    return f"{pick(pool['first'])} {pick(pool['last'])}"


#: What each locale's reps type as a lost deal's reason, each as often as it is listed (a
#: blank: none given): price, a competitor (``{}``: the deal's main competitor), no
#: budget, no decision, timing.
LOSS_REASONS: dict[str, tuple[str, ...]] = {
    "us": (
        *["Price too high"] * 6,
        *["Went with {}"] * 5,
        *["No budget this year"] * 3,
        *["No decision, stayed with current process"] * 3,
        "Project postponed to next year",
        *[""] * 2,
    ),
    "zh": (
        *["价格偏高"] * 6,
        *["客户选择了{}"] * 5,
        *["预算未批"] * 3,
        *["客户迟迟不决策"] * 3,
        "项目推迟到明年",
        *[""] * 2,
    ),
    "de": (
        *["Preis zu hoch"] * 6,
        *["Entscheidung für {}"] * 5,
        *["Kein Budget"] * 3,
        *["Keine Entscheidung getroffen"] * 3,
        "Projekt verschoben",
        *[""] * 2,
    ),
}


def loss_reasons(locale: str, seq: np.ndarray, competitor: np.ndarray) -> np.ndarray:
    """The reason a rep gives for each lost deal of counter ``seq`` with main competitor
    ``competitor``: one of :data:`LOSS_REASONS`, picked by a hash of the counter (no draw
    from the simulation's random generator, so the rest of the sample stays as it was).

    >>> loss_reasons("us", np.array([1, 2, 3]), np.array(["Apex Automation"] * 3)).tolist()
    ['Went with Apex Automation', 'Price too high', 'No budget this year']
    """
    reasons = LOSS_REASONS[locale]
    hashed = (seq.astype(np.uint64) * np.uint64(2654435761)) % np.uint64(1 << 32)
    picked = np.array(reasons, dtype=object)[(hashed >> np.uint64(8)) % np.uint64(len(reasons))]
    return np.array([r.format(c) for r, c in zip(picked, competitor, strict=True)], dtype=object)
