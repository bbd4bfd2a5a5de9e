"""Deterministic sample CRM exports: four teams, twelve weekly exports, from one seed.

The sample set under ``data/samples/`` is what the demo, the notebooks and the tests run
on. It is simulated, not hand-written: every team's pipeline evolves week by week (new
deals enter at the first stages, deals advance, stay, stall, are won or lost, close dates
are pushed, amounts change) and each week's Friday export is written the way that team's
CRM writes it (headers from the column map, its date, amount and flag conventions, its
text encoding). Patterns that the diagnostics must find are planted on purpose:

* ``north`` (Salesforce report CSV): rep **Jordan Blake** has a bottleneck at stage
  ``id_decision_makers``: his deals pile up there and rarely move on.
* ``west`` (HubSpot CSV): a thin funnel top: few new deals enter each week.
* ``huadong`` (华东, Chinese CRM CSV in GB18030): a CRM migration in the fifth-last week
  (2026-W43 by default) gives a few open deals new IDs; the deals themselves are unchanged.
* every team: stage inflation (passed stages without exit-criteria evidence), stalled
  deals, deals pushed three times or more, open deals with close dates in the past.

Same seed, same bytes (CSV and XLSX alike); another seed, other deals.

>>> import tempfile
>>> summary = generate_samples(Path(tempfile.mkdtemp()), n_weeks=2, scale=0.2)
>>> summary.teams, summary.weeks
(('North', 'West', '华东', 'DACH'), ('2026-W46', '2026-W47'))
>>> path = generate_large_export(Path(tempfile.mkdtemp()) / "big.csv", rows=1000)
>>> len(path.read_text(encoding="utf-8").splitlines())  # header + rows
1001
"""

from __future__ import annotations

import calendar
import csv
import datetime
import io
import itertools
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from pipereview._text import normalize_label
from pipereview.columnmaps import ColumnMap, load_column_map
from pipereview.parsing import TRUE_WORDS
from pipereview.stages import EVIDENCE_FIELDS, EVIDENCE_TEXT_FIELDS, StageModel, load_stage_model
from pipereview.weeks import Week

__all__ = [
    "TEAMS",
    "DealCount",
    "PlantedPatterns",
    "SampleSummary",
    "TeamSpec",
    "generate_large_export",
    "generate_samples",
]

_Date = datetime.date
_Columns = dict[str, Any]  # column name -> values (numpy array or list), one table
_DAY = datetime.timedelta(days=1)
_CLOSED_DAYS_KEPT = 90  # "open + recently closed" reports keep closed deals this long
_BURN_IN_WEEKS = 30  # simulated weeks before the first exported one
_MIGRATION_WEEKS_BEFORE_LAST = 4  # 2026-W43 when the last week is 2026-W47
_SLOPPY_DEALS = 0.15  # share of deals whose rep moves them on without the evidence
_SKIP_EVIDENCE = (0.02, 0.7)  # chance to leave a stage with one criterion unmet (tidy, sloppy)
_REGENERATE = "pipereview sample --out data/samples --seed 2026"


# --- the teams ---------------------------------------------------------------------------

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
        name="North", slug="north", manager="Karen Mitchell",
        reps=("Emily Carter", "Marcus Reed", "Jordan Blake", "Sarah Johnson", "David Kim",
              "Ashley Nguyen", "Chris Walker"),
        column_map="salesforce_report", stage_model="salesforce", currency="USD", locale="us",
        new_per_rep=1.25, early_new_per_rep=1.25, stock_per_rep=22, velocity=0.8,
        amount_median=42_000, target_factor=1.1,
        bottleneck_rep="Jordan Blake", bottleneck_stage="id_decision_makers",
    ),
    TeamSpec(
        name="West", slug="west", manager="Daniel Ortiz",
        reps=("Megan Brooks", "Tyler Hayes", "Olivia Ramirez", "Brandon Lee", "Rachel Foster"),
        column_map="hubspot", stage_model="hubspot", currency="USD", locale="us",
        new_per_rep=0.35, early_new_per_rep=3.0, stock_per_rep=50, velocity=0.4,
        top_velocity=1.0, amount_median=24_000, target_factor=1.3,
    ),
    TeamSpec(
        name="华东", slug="huadong", manager="周建华",
        reps=("张伟", "王芳", "李强", "刘洋", "陈静", "赵磊"),
        column_map="chinese_crm", stage_model="industrial_b2b", currency="CNY", locale="zh",
        new_per_rep=1.1, early_new_per_rep=1.1, stock_per_rep=24, velocity=0.8,
        amount_median=650_000, target_factor=0.85,
    ),
    TeamSpec(
        name="DACH", slug="dach", manager="Thomas Schneider",
        reps=("Lukas Müller", "Anna Schmidt", "Jonas Weber", "Lea Fischer",
              "Maximilian Wagner", "Sophie Becker", "Felix Hoffmann", "Julia Koch"),
        column_map="dynamics", stage_model="generic_4", currency="EUR", locale="de",
        new_per_rep=1.0, early_new_per_rep=1.0, stock_per_rep=19, velocity=0.7,
        amount_median=58_000, target_factor=0.95,
    ),
)
_THIN_TOP_TEAM = "West"
_MIGRATION_TEAM = "华东"
_THIN_TOP_WEEKS_BEFORE_FIRST = 8  # West's lead flow dried up this many weeks before W36


# --- summary -----------------------------------------------------------------------------

@dataclass(frozen=True)
class DealCount:
    """Deals in one team's export of one week."""

    team: str
    week: str
    open: int
    closed: int


@dataclass(frozen=True)
class PlantedPatterns:
    """Where the deliberate patterns sit, so tests and the README can name them."""

    bottleneck_team: str
    bottleneck_rep: str
    bottleneck_stage: str
    thin_top_team: str
    migration_team: str
    migration_week: str
    migrated_ids: tuple[tuple[str, str], ...]  # (old id, new id)
    pushed_3_times: tuple[tuple[str, str], ...]  # (team, deal id as of the last week)


@dataclass(frozen=True)
class SampleSummary:
    """What :func:`generate_samples` wrote."""

    out_dir: Path
    paths: tuple[Path, ...]
    teams: tuple[str, ...]
    weeks: tuple[str, ...]
    deal_counts: tuple[DealCount, ...]
    planted: PlantedPatterns

    def open_deals(self, team: str, week: str) -> int:
        """Open deals in ``team``'s export of ``week``."""
        return next(c.open for c in self.deal_counts if c.team == team and c.week == week)


# --- how each CRM writes its export ------------------------------------------------------

@dataclass(frozen=True)
class _Dialect:
    file: Literal["csv", "xlsx"]
    encoding: str
    date: str  # mdy | dmy | iso | iso_dt | ymd_slash | ymd_mixed | excel
    stamp: str  # created / last activity: same styles plus sfdc | odoo
    amount: str  # grouped | plain | whole | cny_mixed | number
    probability: str  # percent | fraction | percent_sign | number
    flags: tuple[str, str]
    currency: str
    id_style: str  # sfdc | hubspot | guid | cn_old | odoo
    lang: Literal["en", "zh"] = "en"
    stage_names: tuple[str, ...] = ()


_DIALECTS: dict[str, _Dialect] = {
    "salesforce_report": _Dialect("csv", "utf-8-sig", "mdy", "mdy", "grouped", "percent",
                                  ("1", "0"), "USD", "sfdc"),
    "salesforce_dataloader": _Dialect("csv", "utf-8", "iso", "sfdc", "plain", "percent",
                                      ("true", "false"), "USD", "sfdc"),
    "hubspot": _Dialect("csv", "utf-8", "iso_dt", "iso_dt", "whole", "fraction",
                        ("true", "false"), "USD", "hubspot"),
    "odoo": _Dialect("csv", "utf-8", "iso", "odoo", "plain", "percent", ("True", "False"),
                     "EUR", "odoo"),
    "dynamics": _Dialect("xlsx", "", "excel", "excel", "number", "number", ("Yes", "No"),
                         "EUR", "guid",
                         stage_names=("Qualify", "Develop", "Propose", "Close", "Won", "Lost")),
    "chinese_crm": _Dialect("csv", "gb18030", "ymd_mixed", "ymd_slash", "cny_mixed",
                            "percent_sign", ("是", "否"), "CNY", "cn_old", lang="zh",
                            stage_names=("赢单", "输单")),
}
_DEFAULT_FORECAST = {
    "en": {"commit": "Commit", "best_case": "Best Case", "pipeline": "Pipeline",
           "omitted": "Omitted", "closed": "Closed"},
    "zh": {"commit": "承诺", "best_case": "最佳情况", "pipeline": "渠道", "omitted": "忽略",
           "closed": "已关闭"},
}


def _dialect(cmap: ColumnMap) -> _Dialect:
    known = _DIALECTS.get(cmap.name) or _DIALECTS.get(cmap.extends or "")
    if known is not None:
        return known
    return _Dialect("csv", "utf-8", cmap.date_format, cmap.date_format, "plain", "percent",
                    ("Yes", "No"), "USD", "odoo")


# --- names -------------------------------------------------------------------------------

_POOLS: dict[str, dict[str, tuple[str, ...]]] = {
    "us": {
        "a": ("Summit", "Redwood", "Blue Ridge", "Lakeside", "Ironwood", "Granite", "Harbor",
              "Prairie", "Cascade", "Pioneer", "Keystone", "Silverline", "Northstar",
              "Evergreen", "Copper Creek", "Riverbend", "Hillcrest", "Bayview", "Crescent",
              "Frontier", "Tri-County", "Oakmont", "Sterling", "Westfield"),
        "b": ("Manufacturing", "Logistics", "Foods", "Energy", "Plastics", "Packaging",
              "Metals", "Robotics", "Components", "Industries", "Health", "Materials",
              "Tooling", "Aerospace"),
        "legal": ("Inc.", "LLC", "Corp.", "Co."),
        "product": ("Packaging Line Upgrade", "Plant Automation", "Fleet Telematics",
                    "Predictive Maintenance", "Warehouse Robotics", "ERP Integration",
                    "Conveyor Retrofit", "Quality Inspection System", "Energy Monitoring",
                    "Service Contract Renewal", "Cold Chain Sensors", "Line 2 Expansion",
                    "Safety Systems Refresh", "MES Rollout", "Spare Parts Agreement",
                    "Vision System Pilot"),
        "first": ("James", "Linda", "Robert", "Patricia", "Michael", "Jennifer", "William",
                  "Elizabeth", "Richard", "Susan", "Thomas", "Karen", "Daniel", "Nancy",
                  "Matthew", "Lisa", "Anthony", "Betty", "Mark", "Sandra"),
        "last": ("Smith", "Brown", "Davis", "Wilson", "Moore", "Taylor", "Anderson",
                 "Thomas", "Jackson", "White", "Harris", "Martin", "Thompson", "Garcia",
                 "Martinez", "Robinson", "Clark", "Lewis", "Young", "Allen"),
        "competitor": ("Apex Automation", "Vantage Systems", "Ironclad Industrial",
                       "Meridian Tech", "BlueLine Solutions", "Crestview Controls"),
        "next": ("Schedule discovery call", "Send proposal", "Follow up on budget",
                 "Book demo with ops team", "Confirm decision timeline",
                 "Review contract redlines", "Intro to procurement", "Plan site visit",
                 "Send customer references", "Get pricing approval"),
    },
    "zh": {
        "a": ("上海", "杭州", "苏州", "南京", "宁波", "无锡", "合肥", "常州", "嘉兴", "绍兴",
              "南通", "温州"),
        "brand": ("恒通", "华力", "宏达", "精工", "远东", "科瑞", "金诚", "天成", "东方",
                  "瑞丰", "永盛", "海天", "博远", "中联", "同创", "鼎盛", "万向", "新源"),
        "b": ("机械", "精密制造", "化工", "电子", "汽车零部件", "新材料", "包装", "食品",
              "智能装备", "环保科技", "电气", "纺织"),
        "legal": ("有限公司", "股份有限公司"),
        "product": ("二期产线自动化改造项目", "MES系统升级", "智能仓储项目", "设备预测性维护",
                    "新厂房配套设备采购", "能源管理系统", "质量检测系统升级", "年度备件框架协议",
                    "机器人焊接工作站", "环保设备改造", "数字化车间试点", "冷却系统更新"),
        "first": ("建国", "志强", "海燕", "秀英", "伟", "敏", "静", "丽", "军", "洋", "勇",
                  "艳", "杰", "涛", "明", "超", "华", "斌", "鹏", "玲"),
        "last": ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马",
                 "朱", "胡", "郭", "何", "高", "林", "罗"),
        "competitor": ("西门子", "ABB", "汇川技术", "埃斯顿", "新松机器人", "和利时", "中控技术"),
        "next": ("安排技术交流", "提交报价", "约见采购负责人", "安排样板点参观", "确认预算",
                 "拜访总经理", "准备投标文件", "合同条款评审", "确认回款计划", "跟进需求确认"),
    },
    "de": {
        "a": ("Brandt", "Keller", "Hofmann", "Vogel", "Krüger", "Lindner", "Berger",
              "Zimmermann", "Hartmann", "Seidel", "Roth", "Winkler", "Lorenz", "Baumann",
              "Franke", "Albrecht", "Schuster", "Kühn"),
        "b": ("Maschinenbau", "Logistik", "Antriebstechnik", "Kunststofftechnik", "Automotive",
              "Verpackung", "Medizintechnik", "Elektronik", "Stahlbau", "Lebensmittel",
              "Präzisionsteile", "Umwelttechnik"),
        "legal": ("GmbH", "AG", "GmbH & Co. KG", "SE"),
        "product": ("Retrofit Linie 3", "Wartungsvertrag 2027", "Neuanlage Werk Süd",
                    "Automatisierung Montage", "Ersatzteilrahmenvertrag",
                    "Digitalisierung Instandhaltung", "Energiemonitoring",
                    "Prüfstand Erweiterung", "Roboterzelle Schweißen", "Lagerautomatisierung",
                    "MES Software-Upgrade", "Kühlsystem Modernisierung"),
        "first": ("Andreas", "Birgit", "Christian", "Doris", "Frank", "Gabriele", "Heiko",
                  "Ines", "Jürgen", "Katrin", "Markus", "Nicole", "Oliver", "Petra", "Ralf",
                  "Sabine", "Stefan", "Ute", "Wolfgang", "Claudia"),
        "last": ("Meier", "Schulz", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
                 "Schwarz", "Braun", "Lange", "Werner", "Krause", "Lehmann", "Köhler", "Maier",
                 "Huber", "Kaiser", "Fuchs", "Vogt"),
        "competitor": ("Siemens", "Bosch Rexroth", "Festo", "Beckhoff", "KUKA",
                       "Schneider Electric"),
        "next": ("Termin Bedarfsanalyse", "Angebot versenden", "Entscheider treffen",
                 "Demo vereinbaren", "Budget klären", "Vertragsentwurf prüfen",
                 "Referenzbesuch planen", "Einkauf kontaktieren", "Technische Klärung",
                 "Preisfreigabe einholen"),
    },
}


def _all_accounts(locale: str) -> list[str]:
    """Every company name the pools can make, e.g. 上海恒通机械有限公司, Keller Logistik GmbH."""
    pool = _POOLS[locale]
    if locale == "zh":
        return [f"{city}{brand}{trade}{legal}" for city in pool["a"] for brand in pool["brand"]
                for trade in pool["b"] for legal in pool["legal"]]
    return [f"{a} {b} {legal}" for a in pool["a"] for b in pool["b"] for legal in pool["legal"]]


def _deal_name(locale: str, account: str, product: str) -> str:
    """The name reps give a deal: the company's short name and the project."""
    for legal in sorted(_POOLS[locale]["legal"], key=len, reverse=True):
        if account.endswith(legal):
            account = account.removesuffix(legal).strip()
            break
    if locale == "zh":  # 上海恒通机械 -> 恒通机械-MES系统升级
        return f"{account[2:]}-{product}"
    return f"{account} - {product}"


def _person(locale: str, pick: Callable[[tuple[str, ...]], str], boss: bool = False) -> str:
    pool = _POOLS[locale]
    if locale == "zh":
        return f"{pick(pool['last'])}总" if boss else f"{pick(pool['last'])}{pick(pool['first'])}"
    return f"{pick(pool['first'])} {pick(pool['last'])}"


# --- the process a team's deals follow ---------------------------------------------------

@dataclass(frozen=True)
class _Process:
    keys: tuple[str, ...]  # open stages, in order
    criteria: tuple[tuple[str, ...], ...]  # exit-criteria fields per open stage
    probability: tuple[float, ...]
    advance: tuple[float, ...]
    lose: tuple[float, ...]
    win: float
    cycle_days: int
    won: str
    lost: str

    @classmethod
    def of(cls, model: StageModel, velocity: float, top_velocity: float | None) -> _Process:
        stages = model.open_stages
        n = len(stages)
        speed = [top_velocity if top_velocity and i < 2 else velocity for i in range(n)]
        leave = [min(0.35, max(0.05, 0.6 * 7 / (s.typical_days or 21))) * v
                 for s, v in zip(stages, speed, strict=True)]
        survive = (0.22 / 0.6) ** (1 / max(n - 1, 1))  # about 22% of new deals are won
        lose_share = [(1 - survive) * (1.4 - 0.8 * i / max(n - 2, 1)) for i in range(n)]
        advance = [p * (1 - q) for p, q in zip(leave, lose_share, strict=True)]
        lose = [p * q for p, q in zip(leave, lose_share, strict=True)]
        advance[-1], lose[-1] = 0.0, leave[-1] * 0.4  # the last stage is won or lost
        return cls(
            keys=tuple(s.key for s in stages),
            criteria=tuple(tuple(c.field for c in s.exit_criteria) for s in stages),
            probability=tuple(s.probability for s in stages),
            advance=tuple(advance),
            lose=tuple(lose),
            win=leave[-1] * 0.6,
            cycle_days=sum(s.typical_days or 21 for s in stages),
            won=model.won_stage.key,
            lost=model.lost_stages[0].key,
        )

    @property
    def criteria_fields(self) -> frozenset[str]:
        return frozenset(f for fields in self.criteria for f in fields)


@dataclass
class _Deal:
    seq: int
    deal_id: str
    name: str
    account: str
    owner: str
    created: _Date
    minute: int  # time of day the deal was created, minutes after midnight
    stage: int  # index of the open stage (for closed deals: the last one reached)
    amount: float
    close_date: _Date
    last_activity: _Date
    next_step: str
    u: np.ndarray  # one uniform per evidence field (EVIDENCE_FIELDS order)
    texts: dict[str, str]
    pusher: bool
    stale_close: bool
    sloppy: bool
    amount_style: int
    date_style: int
    met: set[str] = field(default_factory=set)
    skipped: set[str] = field(default_factory=set)
    outcome: str | None = None
    closed_on: _Date | None = None
    stalled: bool = False
    push_weeks: list[str] = field(default_factory=list)


@dataclass
class _TeamRun:
    """One team's simulated history: a canonical frame per exported week, and facts."""

    spec: TeamSpec
    cmap: ColumnMap
    model: StageModel
    dialect: _Dialect
    process: _Process
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    new_per_week: dict[str, int] = field(default_factory=dict)
    migrated: list[tuple[str, str]] = field(default_factory=list)
    deals: list[_Deal] = field(default_factory=list)


class _Simulator:
    """Week-by-week evolution of one team's deals, driven by one random generator."""

    def __init__(self, spec: TeamSpec, rng: np.random.Generator, scale: float) -> None:
        self.spec, self.rng, self.scale = spec, rng, scale
        cmap = load_column_map(spec.column_map)
        model = load_stage_model(spec.stage_model)
        self.dialect = _dialect(cmap)
        self.p = _Process.of(model, spec.velocity, spec.top_velocity)
        self.run = _TeamRun(spec, cmap, model, self.dialect, self.p)
        self.names: set[str] = set()
        self.counter = int(rng.integers(50_000, 90_000))
        every = _all_accounts(spec.locale)  # a territory of 90 customers
        self.accounts = [every[int(i)] for i in rng.choice(len(every), 90, replace=False)]
        self.bottleneck = _bottleneck_index(self.p, spec)

    def _pick(self, options: tuple[str, ...]) -> str:
        return options[int(self.rng.integers(len(options)))]

    # -- deals
    def _new_deal(self, owner: str, created: _Date, stage: int) -> _Deal:
        rng, spec, p = self.rng, self.spec, self.p
        self.counter += int(rng.integers(1, 40))
        account = self.accounts[int(rng.integers(len(self.accounts)))]
        name = _deal_name(spec.locale, account, self._pick(_POOLS[spec.locale]["product"]))
        base, n = name, 2
        while name in self.names:
            name, n = f"{base} ({n})", n + 1
        self.names.add(name)
        pusher = bool(rng.random() < 0.2)
        cycle = p.cycle_days / self.spec.velocity * float(rng.lognormal(0.0, 0.3))
        close = _snap(created + _DAY * max(14, int(cycle * (0.4 if pusher else 1.0))),
                      rng.random() < 0.4)
        amount = _round_amount(spec.amount_median * float(rng.lognormal(0.0, 0.7)),
                               spec.currency)
        deal_id = _make_ids(self.dialect.id_style, rng, np.array([self.counter]), created.year)
        deal = _Deal(
            seq=self.counter, deal_id=str(deal_id[0]),
            name=name, account=account, owner=owner, created=created,
            minute=int(rng.integers(8 * 60, 18 * 60)), stage=0, amount=amount,
            close_date=close, last_activity=created,
            next_step=self._pick(_POOLS[spec.locale]["next"]),
            u=rng.random(len(EVIDENCE_FIELDS)),
            texts={"decision_maker": _person(spec.locale, self._pick, boss=rng.random() < 0.5),
                   "coach": _person(spec.locale, self._pick),
                   "competitor": self._pick(_POOLS[spec.locale]["competitor"])},
            pusher=pusher, stale_close=bool(rng.random() < 0.05),
            sloppy=bool(rng.random() < _SLOPPY_DEALS),
            amount_style=int(rng.choice(3, p=[0.55, 0.3, 0.15])),
            date_style=int(rng.random() < 0.4),
        )
        for f, u in zip(EVIDENCE_FIELDS, deal.u, strict=True):
            if f in p.criteria_fields and u < 0.08:  # known early, before the stage asks
                deal.met.add(f)
        for _ in range(stage):
            self._advance(deal)
        return deal

    def _advance(self, d: _Deal) -> None:
        self._pass_criteria(d)
        d.stage += 1
        d.next_step = self._pick(_POOLS[self.spec.locale]["next"])

    def _close(self, d: _Deal, outcome: str, monday: _Date) -> None:
        if outcome == "won":
            self._pass_criteria(d)
        d.outcome = outcome
        d.closed_on = monday + _DAY * int(self.rng.integers(0, 5))
        d.close_date = d.last_activity = d.closed_on
        d.next_step = ""

    def _pass_criteria(self, d: _Deal) -> None:
        """Leaving a stage: its criteria count as met, except that now and then one is
        skipped (stage inflation: the deal moves on without the evidence)."""
        todo = [f for f in self.p.criteria[d.stage] if f not in d.met and f not in d.skipped]
        chance = _SKIP_EVIDENCE[d.sloppy]
        skip = int(self.rng.integers(len(todo))) if todo and self.rng.random() < chance else -1
        for index, f in enumerate(todo):
            (d.skipped if index == skip else d.met).add(f)

    def _step(self, d: _Deal, week: Week) -> None:
        rng, p = self.rng, self.p
        monday, friday = week.monday, week.friday
        r = rng.random(8)
        d.stalled = (r[0] >= 0.06) if d.stalled else (r[0] < 0.015)
        i = d.stage
        adv, lose, win = p.advance[i], p.lose[i], (p.win if i == len(p.keys) - 1 else 0.0)
        if d.owner == self.spec.bottleneck_rep and i == self.bottleneck:
            adv, lose = adv * 0.04, lose * 0.3
        if d.stalled:
            adv, lose, win = adv * 0.1, lose * 0.3, win * 0.1
        if r[1] < win:
            self._close(d, "won", monday)
            return
        if r[1] < win + lose:
            self._close(d, "lost", monday)
            return
        if r[1] < win + lose + adv:
            self._advance(d)
            r[6] = 0.0  # a stage change is an activity
        else:
            rate = 0.03 if d.stalled else 0.3
            for f, u in zip(p.criteria[i], rng.random(len(p.criteria[i])), strict=True):
                if u < rate and f not in d.skipped:
                    d.met.add(f)
        overdue = d.close_date < friday
        if not d.stale_close and d.close_date < friday + 7 * _DAY and r[3] < (
            0.85 if d.pusher or overdue else 0.5
        ):
            days = int(14 + r[4] * (21 if d.pusher else 55))
            d.close_date = _snap(max(d.close_date, friday) + _DAY * days, r[4] < 0.4)
            d.push_weeks.append(str(week))
        elif r[3] > 0.996 and d.close_date > friday + 60 * _DAY:
            d.close_date -= 21 * _DAY  # pulled in
        if r[5] < 0.03:
            factor = float(np.exp(rng.normal(0.0, 0.22)))
            d.amount = _round_amount(d.amount * factor, self.spec.currency)
        if r[6] < (0.03 if d.stalled else 0.7):
            d.last_activity = monday + _DAY * int(r[7] * 5)

    # -- the weeks
    def simulate(self, weeks: list[Week], migration: Week | None) -> _TeamRun:
        rng, spec = self.rng, self.spec
        start = weeks[0] - _BURN_IN_WEEKS
        thin_from = weeks[0] - _THIN_TOP_WEEKS_BEFORE_FIRST
        opened: list[_Deal] = []
        for _ in range(round(spec.stock_per_rep * len(spec.reps) * self.scale)):
            owner = spec.reps[int(rng.integers(len(spec.reps)))]
            created = start.monday - _DAY * int(rng.integers(1, 200))
            stage = int(rng.choice(len(self.p.keys), p=_stock_weights(len(self.p.keys))))
            deal = self._new_deal(owner, created, stage)
            deal.last_activity = start.monday - _DAY * int(rng.integers(1, 30))
            if deal.close_date < start.monday:
                deal.close_date = _snap(start.monday + _DAY * int(rng.integers(7, 90)), False)
            opened.append(deal)
        exported = {str(w) for w in weeks}
        week = start
        # run on to the end of the last week's quarter: targets compare with what happens
        end = Week.of(_quarter(weeks[-1].friday)[1])
        while week <= max(end, weeks[-1]):
            if migration is not None and week == migration:
                self._migrate(opened, week)
            for deal in opened:
                if deal.outcome is None:
                    self._step(deal, week)
            rate = spec.new_per_rep if week >= thin_from else spec.early_new_per_rep
            new = 0
            for owner in spec.reps:
                for _ in range(int(rng.poisson(rate * self.scale))):
                    created = week.monday + _DAY * int(rng.integers(0, 5))
                    opened.append(self._new_deal(owner, created, int(rng.random() < 0.2)))
                    new += 1
            if str(week) in exported:
                self.run.new_per_week[str(week)] = new
                self.run.frames[str(week)] = self._frame(opened, week)
            week = week + 1
        self.run.deals = opened
        return self.run

    def _migrate(self, deals: list[_Deal], week: Week) -> None:
        candidates = [d for d in deals if d.outcome is None and d.created < week.monday]
        chosen = self.rng.choice(len(candidates), size=min(len(candidates),
                                 int(self.rng.integers(8, 13))), replace=False)
        for index in sorted(int(i) for i in chosen):
            deal = candidates[index]
            new_id = str(_make_ids("cn_new", self.rng, np.array([deal.seq]), week.year)[0])
            self.run.migrated.append((deal.deal_id, str(new_id)))
            deal.deal_id = new_id

    def _frame(self, deals: Iterable[_Deal], week: Week) -> pd.DataFrame:
        friday = week.friday
        keep_from = friday - _CLOSED_DAYS_KEPT * _DAY
        rows = [d for d in deals if d.created <= friday
                and (d.outcome is None or (d.closed_on is not None and d.closed_on >= keep_from))]
        p = self.p
        closed_key = {"won": p.won, "lost": p.lost}
        stage = [closed_key[d.outcome] if d.outcome else p.keys[d.stage] for d in rows]
        prob = [1.0 if d.outcome == "won" else 0.0 if d.outcome else p.probability[d.stage]
                for d in rows]
        frame = pd.DataFrame({
            "deal_id": [d.deal_id for d in rows],
            "deal_name": [d.name for d in rows],
            "account": [d.account for d in rows],
            "team": self.spec.name,
            "owner": [d.owner for d in rows],
            "stage": stage,
            "amount": np.array([d.amount for d in rows], dtype="float64"),
            "currency": self.spec.currency,
            "close_date": np.array([d.close_date for d in rows], dtype="M8[D]").astype("M8[m]"),
            "created_date": np.array(
                [np.datetime64(d.created, "m") + np.timedelta64(d.minute, "m") for d in rows],
                dtype="M8[m]"),
            "last_activity_date": np.array(
                [np.datetime64(d.last_activity, "m")
                 + np.timedelta64((d.minute * 7 + d.last_activity.toordinal()) % 600 + 480, "m")
                 for d in rows], dtype="M8[m]"),
            "next_step": [d.next_step for d in rows],
            "probability": np.array(prob, dtype="float64"),
            "_amount_style": np.array([d.amount_style for d in rows], dtype="int64"),
            "_date_style": np.array([d.date_style for d in rows], dtype="int64"),
            "_seq": np.array([d.seq for d in rows], dtype="int64"),
            "_open_stage": [p.keys[d.stage] for d in rows],
        })
        frame["forecast_category"] = _forecast(frame["stage"], frame["probability"], p)
        progress = np.array([1.0 if d.outcome == "won" else d.stage / max(len(p.keys) - 1, 1)
                             for d in rows])
        crit = p.criteria_fields
        for j, f in enumerate(EVIDENCE_FIELDS):
            if f in crit:
                met = np.array([f in d.met and f not in d.skipped for d in rows], dtype=bool)
            else:
                met = np.array([d.u[j] for d in rows]) < 0.15 + 0.7 * progress
            if f in EVIDENCE_TEXT_FIELDS:
                frame[f] = np.where(met, [d.texts[f] for d in rows], "")
            else:
                frame[f] = met
        return frame


def _bottleneck_index(process: _Process, spec: TeamSpec) -> int:
    keys = process.keys
    return keys.index(spec.bottleneck_stage) if spec.bottleneck_stage in keys else len(keys) // 2


def _stock_weights(n: int) -> np.ndarray:
    """How a standing pipeline spreads over ``n`` open stages: more in the early ones."""
    weights = np.array([1.0 / (i + 1.5) for i in range(n)])
    normalised: np.ndarray = weights / weights.sum()
    return normalised


def _snap(day: _Date, to_month_end: bool | np.bool_) -> _Date:
    """Reps like month ends: move ``day`` to the last day of its month when asked."""
    if not to_month_end:
        return day
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _round_amount(value: float, currency: str) -> float:
    step = 10_000.0 if currency == "CNY" else 500.0
    return max(step, round(value / step) * step)


def _forecast(stage: Any, probability: Any, p: _Process) -> np.ndarray:
    """Forecast category from the stage: closed, omitted (lost), then by probability."""
    stage, probability = np.asarray(stage, dtype=str), np.asarray(probability)
    category: np.ndarray = np.select(
        [stage == p.won, stage == p.lost, probability >= 0.75, probability >= 0.4],
        ["closed", "omitted", "commit", "best_case"], "pipeline")
    return category


# --- ids ---------------------------------------------------------------------------------

_B62 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", np.uint8)
_SFDC_SUFFIX = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", np.uint8)
_HEX = np.frombuffer(b"0123456789abcdef", np.uint8)


def _chars(codes: np.ndarray) -> np.ndarray:
    """An (n, k) uint8 array of ASCII codes -> n strings of length k."""
    codes = np.ascontiguousarray(codes, dtype=np.uint8)
    return codes.view(f"S{codes.shape[1]}").ravel().astype(str)


def _make_ids(style: str, rng: np.random.Generator, counters: np.ndarray,
              year: int) -> np.ndarray:
    """CRM-style record ids for sequence numbers ``counters`` (vectorised)."""
    counters = counters.astype(np.int64)
    n = len(counters)
    if n == 0:
        return np.array([], dtype=str)
    if style == "sfdc":  # 18-character Salesforce id: prefix 006, base-62 body, case suffix
        digits = (counters[:, None] // 62 ** np.arange(6, -1, -1, dtype=np.int64)) % 62
        body = np.concatenate([np.tile(np.frombuffer(b"0065g000", np.uint8), (n, 1)),
                               _B62[digits]], axis=1)
        upper = (body >= ord("A")) & (body <= ord("Z"))
        weights = 1 << np.arange(5)
        suffix = np.stack([_SFDC_SUFFIX[(upper[:, k * 5:(k + 1) * 5] * weights).sum(axis=1)]
                           for k in range(3)], axis=1)
        return _chars(np.concatenate([body, suffix], axis=1))
    if style == "hubspot":
        return (9_800_000_000 + counters * 37).astype(str)
    if style == "guid":
        raw = _HEX[rng.integers(0, 16, size=(n, 32))]
        dash = np.full((n, 1), ord("-"), np.uint8)
        return _chars(np.concatenate([raw[:, :8], dash, raw[:, 8:12], dash, raw[:, 12:16],
                                      dash, raw[:, 16:20], dash, raw[:, 20:]], axis=1))
    if style == "cn_old":
        return np.strings.add(f"SJ{year}-", np.strings.zfill(counters.astype(str), 6))
    if style == "cn_new":  # the new CRM's 16-digit numeric ids
        return (1_700_000_000_000_000 + rng.integers(0, 10**14, size=n)).astype(str)
    return counters.astype(str)


# --- formatting a canonical frame as a CRM writes it -------------------------------------

_PAD2 = np.array([f"{i:02d}" for i in range(100)])
_PAD3 = np.array([f"{i:03d}" for i in range(1000)])
_DAY_FORMATS: dict[str, Callable[[_Date], str]] = {
    "mdy": lambda d: f"{d.month}/{d.day}/{d.year}",
    "dmy": lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}",
    "ymd_slash": lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}",
    "ymd_cn": lambda d: f"{d.year}年{d.month}月{d.day}日",
}


def _format_dates(values: np.ndarray, style: str, mixed: np.ndarray | None = None) -> Any:
    """Dates (datetime64[m]) as text in ``style``; blank for NaT; ``excel`` keeps dates."""
    values = values.astype("M8[m]")
    missing = np.isnat(values)
    if style == "excel":  # real spreadsheet dates (small tables only: one object per cell)
        return [None if m else v.astype("M8[D]").item()
                for v, m in zip(values, missing, strict=True)]
    if style == "ymd_mixed":  # hand-typed: some 2026/11/23, some 2026年11月23日
        slash = _format_dates(values, "ymd_slash")
        return np.where(mixed == 1, _format_dates(values, "ymd_cn"), slash)
    if style == "iso":
        text = np.datetime_as_string(values, unit="D")
    elif style == "iso_dt":
        text = np.strings.replace(np.datetime_as_string(values, unit="m"), "T", " ")
    elif style == "odoo":
        text = np.strings.replace(np.datetime_as_string(values, unit="s"), "T", " ")
    elif style == "sfdc":
        text = np.strings.add(np.datetime_as_string(values, unit="s"), ".000Z")
    else:
        days = values.astype("M8[D]")
        unique, inverse = np.unique(days[~missing], return_inverse=True)
        fmt = _DAY_FORMATS[style]
        pool = np.array([fmt(d.item()) for d in unique] or [""])
        text = np.full(len(values), "", dtype=pool.dtype)
        text[~missing] = pool[inverse]
    return np.where(missing, "", text)


def _grouped(whole: np.ndarray) -> np.ndarray:
    """Integers with thousands separators: 1200000 -> '1,200,000'."""
    out = np.where(whole < 1000, whole.astype(str), _PAD3[whole % 1000])
    rest = whole // 1000
    while (rest > 0).any():
        head = np.where(rest < 1000, rest.astype(str), _PAD3[rest % 1000])
        out = np.where(rest > 0, np.strings.add(np.strings.add(head, ","), out), out)
        rest = rest // 1000
    return out


def _format_amounts(amount: np.ndarray, style: str, mixed: np.ndarray | None = None) -> Any:
    if style == "number":
        return amount
    cents = np.round(amount * 100).astype(np.int64)
    whole, frac = cents // 100, cents % 100
    plain = np.strings.add(np.strings.add(whole.astype(str), "."), _PAD2[frac])
    if style == "plain":
        return plain
    if style == "whole":
        return np.where(frac == 0, whole.astype(str), plain)
    grouped = np.strings.add(np.strings.add(_grouped(whole), "."), _PAD2[frac])
    if style == "grouped":
        return grouped
    # cny_mixed: ¥1,200,000.00 | 120万 | 1.5万元 (万 = 10,000), per deal
    hundreds = whole // 100
    wan, rem = hundreds // 100, hundreds % 100
    decimals = np.where(rem % 10 == 0, (rem // 10).astype(str), _PAD2[rem])
    wan_text = np.where(rem == 0, wan.astype(str),
                        np.strings.add(np.strings.add(wan.astype(str), "."), decimals))
    exact = (cents % 10_000 == 0) & (wan > 0)
    style_of = np.where(exact, mixed if mixed is not None else 0, 0)
    return np.select([style_of == 1, style_of == 2],
                     [np.strings.add(wan_text, "万"), np.strings.add(wan_text, "万元")],
                     np.strings.add("¥", grouped))


def _format_probability(prob: np.ndarray, style: str) -> Any:
    percent = np.round(prob * 100).astype(np.int64)
    if style == "number":
        return percent
    if style == "fraction":
        return np.where(percent % 10 == 0, np.strings.add("0.", (percent // 10).astype(str)),
                        np.strings.add("0.", _PAD2[percent % 100]))
    if style == "percent_sign":
        return np.strings.add(percent.astype(str), "%")
    return percent.astype(str)


def _stage_names(model: StageModel, cmap: ColumnMap, dialect: _Dialect) -> dict[str, str]:
    """The name the CRM prints for each stage key (one that reads back to that key)."""
    table = model.alias_table(cmap.stage_aliases)
    names = {}
    for stage in model.stages:
        candidates = [*dialect.stage_names, *cmap.stage_aliases]
        if dialect.lang == "zh":
            candidates.append(stage.label.get("zh", ""))
        candidates += [*stage.aliases, stage.label_in("en"), stage.key]
        names[stage.key] = next(c for c in candidates
                                if c and table.get(normalize_label(c)) == stage.key)
    return names


def _raw_values(cmap: ColumnMap, fieldname: str, defaults: dict[str, str]) -> dict[str, str]:
    """Canonical value -> what the CRM writes, from the map's ``values`` (first raw wins)."""
    out = dict(defaults)
    seen: set[str] = set()
    for raw, key in cmap.values.get(fieldname, {}).items():
        if key not in seen:
            out[key] = raw
            seen.add(key)
    return out


def _flag_words(cmap: ColumnMap, fieldname: str, dialect: _Dialect) -> tuple[list[str], list[str]]:
    """What the CRM prints for yes and for no in a flag column (several options each)."""
    table = cmap.values.get(fieldname)
    if not table:
        return [dialect.flags[0]], [dialect.flags[1]]
    yes = [raw for raw, value in table.items() if normalize_label(value) in TRUE_WORDS]
    no = [raw for raw, value in table.items() if normalize_label(value) not in TRUE_WORDS]
    return yes or [dialect.flags[0]], no or [dialect.flags[1]]


def _lookup(values: np.ndarray, table: dict[str, str]) -> np.ndarray:
    """Translate every value through ``table`` (unknown values stay), vectorised."""
    unique, inverse = np.unique(np.asarray(values, dtype=str), return_inverse=True)
    return np.array([table.get(u, u) for u in unique] or [""])[inverse]


def _to_export(frame: _Columns, cmap: ColumnMap, model: StageModel,
               dialect: _Dialect) -> _Columns:
    """Canonical columns as the CRM of ``cmap`` exports them: first header per field."""
    if len(frame["stage"]) == 0:  # numpy's string functions refuse empty arrays
        return {names[0]: np.array([], dtype=str) for names in cmap.columns.values()}
    seq = frame["_seq"]
    forecast = _raw_values(cmap, "forecast_category", _DEFAULT_FORECAST[dialect.lang])
    won, lost = model.won_stage.key, model.lost_stages[0].key
    stage = np.asarray(frame["stage"], dtype=str)
    outcome = np.select([stage == won, stage == lost], ["won", "lost"], "open")
    stamp_of_activity = dialect.date if dialect.stamp == "sfdc" else dialect.stamp
    out: _Columns = {}
    for fieldname, headers in cmap.columns.items():
        if fieldname == "status":  # closed deals keep their last stage; status tells the outcome
            status = _raw_values(cmap, "status", {"open": "Open", "won": "Won", "lost": "Lost"})
            out[headers[0]] = _lookup(outcome, status)
            continue
        if fieldname not in frame:
            continue
        values = frame[fieldname]
        if fieldname == "stage":
            if "status" in cmap.columns:
                values = np.where(outcome == "open", stage, frame["_open_stage"])
            column: Any = _lookup(values, _stage_names(model, cmap, dialect))
        elif fieldname == "amount":
            column = _format_amounts(values, dialect.amount, frame["_amount_style"])
        elif fieldname == "close_date":
            column = _format_dates(values, dialect.date, frame["_date_style"])
        elif fieldname == "created_date":
            column = _format_dates(values, dialect.stamp)
        elif fieldname == "last_activity_date":
            column = _format_dates(values, stamp_of_activity)
        elif fieldname == "probability":
            column = _format_probability(values, dialect.probability)
        elif fieldname == "forecast_category":
            column = _lookup(values, forecast)
        elif fieldname == "currency":
            column = _lookup(values, _raw_values(cmap, "currency", {}))
        elif values.dtype == bool:
            yes, no = (np.array(words) for words in _flag_words(cmap, fieldname, dialect))
            column = np.where(values, yes[seq % len(yes)], no[seq % len(no)])
        else:
            column = values
        out[headers[0]] = column
    return out


# --- writing files -----------------------------------------------------------------------

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_CSV_CHUNK = 50_000


def _write_csv(columns: _Columns, path: Path, encoding: str) -> Path:
    """CSV with minimal quoting and "\\n" line ends; the csv module loops in C."""
    arrays = [np.asarray(c) for c in columns.values()]
    rows = len(arrays[0]) if arrays else 0
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(list(columns))
        for start in range(0, rows, _CSV_CHUNK):  # chunks bound the memory of huge exports
            chunk = [a[start:start + _CSV_CHUNK].tolist() for a in arrays]
            writer.writerows(zip(*chunk, strict=True))
    return path


def _write_xlsx(columns: _Columns, path: Path, stamp: datetime.datetime) -> None:
    """An XLSX with fixed document times and zip entry dates: same table, same bytes."""
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    book = Workbook()
    sheet = book.active
    sheet.title = "Opportunities"
    sheet.append(list(columns))
    lists = [c.tolist() if isinstance(c, np.ndarray) else list(c) for c in columns.values()]
    for row in zip(*lists, strict=True):
        sheet.append([None if v == "" else v for v in row])
    for index, values in enumerate(lists, start=1):
        first = next((v for v in values if v not in (None, "")), None)
        fmt = ("DD.MM.YYYY" if isinstance(first, _Date)
               else "#,##0.00" if isinstance(first, float) else None)
        if fmt:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = fmt
    book.properties.creator = "Microsoft Dynamics 365"
    book.properties.created = book.properties.modified = stamp
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).save()  # not save_workbook(), which stamps the time
    _rezip(raw.getvalue(), path)


def _rezip(data: bytes, path: Path) -> None:
    """Rewrite a zip with fixed entry dates and attributes, entries in a stable order."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        names = src.namelist()
        ordered = [n for n in names if n == "[Content_Types].xml"] + sorted(
            n for n in names if n != "[Content_Types].xml")
        for name in ordered:
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            dst.writestr(info, src.read(name), compresslevel=6)
    path.write_bytes(out.getvalue())


# --- the sample set ----------------------------------------------------------------------

def generate_samples(
    out_dir: Path,
    *,
    seed: int = 2026,
    last_week: str = "2026-W47",
    n_weeks: int = 12,
    scale: float = 1.0,
    progress: Callable[[int, int], None] | None = None,
) -> SampleSummary:
    """Write the sample set (exports per week and team, targets, teams, README) to ``out_dir``.

    ``scale`` multiplies the number of deals (1.0 gives 100-400 open deals per team and
    week); ``progress(done, total)`` is called after each export file.

    >>> import tempfile
    >>> s = generate_samples(Path(tempfile.mkdtemp()), n_weeks=1, scale=0.1)
    >>> sorted(p.name for p in s.paths if p.parent.name == "2026-W47")
    ['dach.xlsx', 'huadong.csv', 'north.csv', 'west.csv']
    """
    if n_weeks < 1 or scale <= 0:
        raise ValueError(f"need n_weeks >= 1 and scale > 0, got {n_weeks} and {scale}")
    out_dir = Path(out_dir)
    last = Week.parse(last_week)
    weeks = [last - k for k in range(n_weeks - 1, -1, -1)]
    migration = last - _MIGRATION_WEEKS_BEFORE_LAST
    generators = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(TEAMS))]
    runs: list[_TeamRun] = []
    for spec, rng in zip(TEAMS, generators, strict=True):
        sim = _Simulator(spec, rng, scale)
        runs.append(sim.simulate(weeks, migration if spec.name == _MIGRATION_TEAM else None))

    paths: list[Path] = []
    counts: list[DealCount] = []
    total, done = len(weeks) * len(runs), 0
    for week in weeks:
        folder = out_dir / "exports" / str(week)
        folder.mkdir(parents=True, exist_ok=True)
        for run in runs:
            frame = run.frames[str(week)]
            paths.append(_write_export(frame, run, folder, week))
            is_open = ~frame["stage"].isin([run.process.won, run.process.lost])
            counts.append(DealCount(run.spec.name, str(week), int(is_open.sum()),
                                    int((~is_open).sum())))
            done += 1
            if progress is not None:
                progress(done, total)

    planted = _planted(runs, weeks, migration)
    paths.append(_write_table(_targets(runs, last), out_dir / "targets.csv"))
    paths.append(_write_table(_teams_table(), out_dir / "teams.csv"))
    readme = out_dir / "README.md"
    readme.write_bytes(_readme(runs, weeks, planted, seed, counts).encode("utf-8"))
    paths.append(readme)
    return SampleSummary(out_dir, tuple(paths), tuple(s.name for s in TEAMS),
                         tuple(str(w) for w in weeks), tuple(counts), planted)


def _write_export(frame: pd.DataFrame, run: _TeamRun, folder: Path, week: Week) -> Path:
    spec, dialect = run.spec, run.dialect
    columns = {name: frame[name].to_numpy() for name in frame.columns}
    table = _to_export(columns, run.cmap, run.model, dialect)
    if dialect.file == "xlsx":
        path = folder / f"{spec.slug}.xlsx"
        stamp = datetime.datetime.combine(week.friday, datetime.time(17, 0))
        _write_xlsx(table, path, stamp)
    else:
        path = folder / f"{spec.slug}.csv"
        _write_csv(table, path, dialect.encoding)
    return path


def _write_table(table: pd.DataFrame, path: Path) -> Path:
    return _write_csv({name: table[name].to_numpy() for name in table.columns}, path, "utf-8")


def _teams_table() -> pd.DataFrame:
    return pd.DataFrame(
        [(s.name, s.slug, s.manager, rep, s.column_map, s.stage_model, s.currency)
         for s in TEAMS for rep in s.reps],
        columns=["team", "slug", "manager", "rep", "column_map", "stage_model", "currency"])


def _quarter(day: _Date) -> tuple[_Date, _Date, str]:
    q = (day.month - 1) // 3
    start = _Date(day.year, 3 * q + 1, 1)
    end = _Date(day.year + (q == 3), (3 * q + 3) % 12 + 1, 1) - _DAY
    return start, end, f"{day.year}-Q{q + 1}"


_REP_TARGET_SHARE = (1.0, 1.25, 1.1, 0.8, 1.15, 0.9, 1.0, 0.85)  # fixed split of a team target


def _targets(runs: list[_TeamRun], last: Week) -> pd.DataFrame:
    """Quarter and year targets, set top-down as a manager would.

    A team's quarter target is what the simulated team actually wins in that quarter
    (the current quarter is simulated to its end) times its ``target_factor``: above 1
    the team ends the quarter behind, below 1 ahead. Reps get fixed shares of the team
    target, so reps who convert badly (the bottleneck rep) fall behind while others are
    ahead. The year adds a first half of 90% of the second. Rep targets add up to the team's.
    """
    cur_start, cur_end, cur_name = _quarter(last.friday)
    prev_start, _, prev_name = _quarter(cur_start - _DAY)
    rows = []
    for run in runs:
        spec = run.spec
        step = 100_000 if spec.currency == "CNY" else 5_000
        won = [(d.closed_on, d.amount) for d in run.deals
               if d.outcome == "won" and d.closed_on is not None]
        quarters = [sum(a for day, a in won if start <= day <= end) * spec.target_factor
                    for start, end in ((prev_start, cur_start - _DAY), (cur_start, cur_end))]
        shares = np.array([_REP_TARGET_SHARE[i % len(_REP_TARGET_SHARE)]
                           for i in range(len(spec.reps))])
        shares = shares / shares.sum()
        per_rep = []
        for share in shares:
            prev_t, cur_t = (max(step, round(q * share / step) * step) for q in quarters)
            year_t = prev_t + cur_t + round(0.9 * (prev_t + cur_t) / step) * step
            per_rep.append((prev_t, cur_t, year_t))
        periods = (prev_name, cur_name, str(last.friday.year))
        for k, period in enumerate(periods):
            rows.append((spec.name, "", period, sum(t[k] for t in per_rep), spec.currency))
        for rep_name, values in zip(spec.reps, per_rep, strict=True):
            for k, period in enumerate(periods):
                rows.append((spec.name, rep_name, period, values[k], spec.currency))
    return pd.DataFrame(rows, columns=["team", "owner", "period", "amount", "currency"])


def _planted(runs: list[_TeamRun], weeks: list[Week], migration: Week) -> PlantedPatterns:
    window = {str(w) for w in weeks[1:]}
    pushed = tuple(
        (run.spec.name, d.deal_id) for run in runs for d in run.deals
        if sum(w in window for w in d.push_weeks) >= 3
    )
    north = next(r for r in runs if r.spec.bottleneck_rep)
    migrated = next(r for r in runs if r.spec.name == _MIGRATION_TEAM)
    return PlantedPatterns(
        bottleneck_team=north.spec.name,
        bottleneck_rep=north.spec.bottleneck_rep or "",
        bottleneck_stage=north.process.keys[_bottleneck_index(north.process, north.spec)],
        thin_top_team=_THIN_TOP_TEAM,
        migration_team=_MIGRATION_TEAM,
        migration_week=str(migration),
        migrated_ids=tuple(migrated.migrated),
        pushed_3_times=pushed,
    )


def _missing_evidence(frame: pd.DataFrame, process: _Process) -> pd.Series:
    """Open deals past a stage whose exit criteria lack evidence (stage inflation)."""
    stage_index = frame["stage"].map({k: i for i, k in enumerate(process.keys)})
    missing = pd.Series(False, index=frame.index)
    for i, fields in enumerate(process.criteria):
        for f in fields:
            unmet = (frame[f] == "") if f in EVIDENCE_TEXT_FIELDS else ~frame[f].astype(bool)
            missing |= (stage_index > i) & unmet
    return missing


def _moved_on(run: _TeamRun, weeks: list[Week], stage: str, rep: str) -> tuple[float, float]:
    """Share of deals at ``stage`` that are at a later stage (or won) a week later:
    for ``rep``, and for the rest of the team."""
    later = {*run.process.keys[run.process.keys.index(stage) + 1:], run.process.won}
    moved = {True: [0, 0], False: [0, 0]}
    for before, after in itertools.pairwise(weeks):
        a, b = run.frames[str(before)], run.frames[str(after)]
        next_stage = dict(zip(b["_seq"], b["stage"], strict=True))
        for seq, owner in zip(a.loc[a["stage"] == stage, "_seq"],
                              a.loc[a["stage"] == stage, "owner"], strict=True):
            counts = moved[owner == rep]
            counts[0] += next_stage.get(seq) in later
            counts[1] += 1
    return moved[True][0] / max(moved[True][1], 1), moved[False][0] / max(moved[False][1], 1)


def _team_facts(run: _TeamRun, weeks: list[Week]) -> dict[str, str]:
    last = weeks[-1]
    frame = run.frames[str(last)]
    is_open = ~frame["stage"].isin([run.process.won, run.process.lost])
    opened = frame[is_open]
    friday = np.datetime64(last.friday, "m")
    stale = (friday - opened["last_activity_date"].to_numpy()) >= np.timedelta64(21 * 1440, "m")
    past = opened["close_date"].to_numpy() < np.datetime64(last.friday, "m")
    inflated = _missing_evidence(opened, run.process)
    passed = opened["stage"] != run.process.keys[0]
    new = [run.new_per_week[str(w)] for w in weeks]
    first = int((~passed).sum())
    return {
        "open": str(int(is_open.sum())),
        "new": f"{sum(new) / len(new):.1f}",
        "first": f"{first} ({first / max(len(opened), 1):.0%})",
        "inflated": f"{int((inflated & passed).sum())} of {int(passed.sum())}",
        "stalled": str(int(stale.sum())) if "last_activity_date" in run.cmap.columns
        else "(not exported)",
        "past": str(int(past.sum())),
    }


def _readme(runs: list[_TeamRun], weeks: list[Week], planted: PlantedPatterns, seed: int,
            counts: list[DealCount]) -> str:
    first, last = str(weeks[0]), str(weeks[-1])
    north = next(r for r in runs if r.spec.name == planted.bottleneck_team)
    frame = north.frames[last]
    at_stage = frame[frame["stage"] == planted.bottleneck_stage]
    open_frame = frame[~frame["stage"].isin([north.process.won, north.process.lost])]
    mine = (open_frame["owner"] == planted.bottleneck_rep)
    share_mine = (at_stage["owner"] == planted.bottleneck_rep).sum() / max(mine.sum(), 1)
    share_rest = (at_stage["owner"] != planted.bottleneck_rep).sum() / max((~mine).sum(), 1)
    moved_mine, moved_rest = _moved_on(north, weeks, planted.bottleneck_stage,
                                       planted.bottleneck_rep)
    stage_label = north.model.stage(planted.bottleneck_stage).label_in("en")
    lines = [
        "# Sample CRM exports",
        "",
        "Generated by `pipereview.sample.generate_samples` (seed "
        f"{seed}); do not edit by hand: `tests/test_sample.py` checks that every file here "
        "equals a fresh generation. Regenerate with:",
        "",
        "```",
        _REGENERATE if seed == 2026 else f"pipereview sample --out data/samples --seed {seed}",
        "```",
        "",
        "All names, companies and amounts are invented.",
        "",
        "## Contents",
        "",
        "| path | what |",
        "|---|---|",
        f"| `exports/<week>/<slug>.<ext>` | one export per team for each ISO week {first} .. "
        f"{last}, taken on the Friday of that week: open deals plus deals closed (won or "
        f"lost) in the last {_CLOSED_DAYS_KEPT} days |",
        "| `targets.csv` | team, owner (blank: the team's total), period, amount, currency; "
        "rep targets add up to the team's |",
        "| `teams.csv` | one row per rep: team, slug, manager, rep, column map, stage model, "
        "currency |",
        "",
        "## Teams",
        "",
        "| team | slug | file | column map | stage model | currency | encoding | reps |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        spec = run.spec
        dialect = run.dialect
        encoding = {"utf-8-sig": "UTF-8 with BOM", "utf-8": "UTF-8", "gb18030": "GB18030",
                    "": "XLSX"}[dialect.encoding]
        lines.append(f"| {spec.name} | `{spec.slug}` | `{spec.slug}.{dialect.file}` | "
                     f"`{spec.column_map}` | `{spec.stage_model}` | {spec.currency} | "
                     f"{encoding} | {len(spec.reps)} |")
    lines += [
        "",
        "## Planted patterns",
        "",
        f"- **Bottleneck** — team {planted.bottleneck_team}, rep **{planted.bottleneck_rep}**, "
        f"stage `{planted.bottleneck_stage}` ({stage_label}): their deals pile up there and "
        f"rarely move on. In {last}, {share_mine:.0%} of their open deals sit in that stage, "
        f"against {share_rest:.0%} of their teammates'; from one week to the next "
        f"{moved_mine:.0%} of their deals in that stage moved on, against {moved_rest:.0%} "
        "of their teammates'.",
        f"- **Thin funnel top** — team {planted.thin_top_team}: its lead flow dried up "
        f"{_THIN_TOP_WEEKS_BEFORE_FIRST} weeks before {first}; few deals enter each week and "
        "its early stages are sparse (see the table below).",
        f"- **CRM migration** — team {planted.migration_team}, from {planted.migration_week}: "
        f"{len(planted.migrated_ids)} open deals carry a new ID format (16 digits instead of "
        "`SJ<year>-<number>`); name, account, owner and created date are unchanged, so "
        "matching must find them by account and name:",
        "",
        "  | old id | new id |",
        "  |---|---|",
        *[f"  | `{old}` | `{new}` |" for old, new in planted.migrated_ids],
        "",
        f"- **Pushes** — {len(planted.pushed_3_times)} deals have their close date moved "
        f"later three times or more between {first} and {last}"
        + "".join(f"{', e.g. ' if i == 0 else ', '}{team} `{deal}`"
                  for i, (team, deal) in enumerate(planted.pushed_3_times[:4])) + ".",
        "- **Targets** — each team's quarter target is what it actually wins in that quarter "
        "(the simulation runs on to the quarter's end) times a fixed factor: "
        + ", ".join(f"{r.spec.name} ×{r.spec.target_factor:g} "
                    f"({'behind' if r.spec.target_factor > 1 else 'ahead'})" for r in runs)
        + ". Reps get fixed shares of their team's target, so within a team some reps are "
        "ahead and some behind.",
        "- **Everywhere** — stage-dependent weekly conversion (advance, stay, win, lose), "
        "new deals at the first stage(s) each week, amount changes up and down, stalled "
        "deals (no activity for weeks, stage unchanged), stage inflation (a passed stage's "
        "exit-criteria evidence missing) and a few open deals whose close date is in the "
        "past.",
        "",
        f"Per team in {last}:",
        "",
        "| team | open deals | new deals / week (avg) | open deals in the first stage | "
        "open deals missing evidence of a passed stage | stalled (no activity for 21+ days) "
        "| open, close date in the past |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        facts = _team_facts(run, weeks)
        lines.append(f"| {run.spec.name} | {facts['open']} | {facts['new']} | {facts['first']} "
                     f"| {facts['inflated']} | {facts['stalled']} | {facts['past']} |")
    lines += ["", "## Deals per export (open / closed)", "",
              "| week | " + " | ".join(r.spec.name for r in runs) + " |",
              "|---|" + "---|" * len(runs)]
    for week in weeks:
        cells = [f"{c.open} / {c.closed}" for c in counts if c.week == str(week)]
        lines.append(f"| {week} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# --- one large export for benchmarks -----------------------------------------------------

def generate_large_export(
    path: Path,
    *,
    rows: int,
    seed: int = 2026,
    column_map: str = "salesforce_dataloader",
    week: str = "2026-W47",
) -> Path:
    """Write one CSV export of ``rows`` deals (open and recently closed) for benchmarks.

    Headers are the column map's first name per field; values follow that CRM's
    conventions. Vectorised: a million rows (about 280 MB) take about 15 s on two cores.

    >>> import tempfile
    >>> p = generate_large_export(Path(tempfile.mkdtemp()) / "x.csv", rows=3, column_map="hubspot")
    >>> p.read_text(encoding="utf-8").splitlines()[0].split(",")[:2]
    ['Record ID', 'Deal Name']
    """
    if rows < 0:
        raise ValueError(f"rows must be >= 0, got {rows}")
    path = Path(path)
    cmap = load_column_map(column_map)
    model = load_stage_model(cmap.stage_model)
    dialect = _dialect(cmap)
    if dialect.file == "xlsx":
        style = cmap.date_format
        dialect = replace(dialect, file="csv", encoding="utf-8", date=style, stamp=style,
                          amount="plain", probability="percent")
    rng = np.random.default_rng(seed)
    frame = _large_frame(rows, rng, model, dialect, Week.parse(week).friday)
    _write_csv(_to_export(frame, cmap, model, dialect), path, dialect.encoding)
    return path


def _large_frame(n: int, rng: np.random.Generator, model: StageModel, dialect: _Dialect,
                 friday: _Date) -> _Columns:
    p = _Process.of(model, 1.0, None)
    k = len(p.keys)
    locale = "zh" if dialect.lang == "zh" else "de" if dialect.currency == "EUR" else "us"
    pool = _POOLS[locale]
    weights = np.concatenate([0.8 * _stock_weights(k), [0.08, 0.12]])
    state = rng.choice(k + 2, size=n, p=weights)  # open stage index, then won, lost
    closed = state >= k
    day = np.datetime64(friday, "D")
    close = np.where(closed, day - rng.integers(0, _CLOSED_DAYS_KEPT, n),
                     day + rng.integers(-20, 240, n))
    created = np.minimum(day - rng.gamma(2.0, 60.0, n).astype(np.int64) - 1, close - 7)
    activity = np.where(closed, close, np.maximum(created, day - rng.geometric(0.15, n) + 1))
    minutes = rng.integers(8 * 60, 18 * 60, n)
    people = np.array([f"{a} {b}" if locale != "zh" else f"{b}{a}"
                       for a in pool["first"] for b in pool["last"]])
    teams = np.array(["华东", "华南", "华北", "华中", "西南", "东北"] if locale == "zh"
                     else ["North", "South", "East", "West", "Central", "Enterprise"])
    accounts = np.array(_all_accounts(locale))  # deal names: a pool per (account, product)
    products = pool["product"]
    deal_names = np.array([_deal_name(locale, a, prod) for a in accounts for prod in products])
    which = rng.integers(len(accounts), size=n)
    product = rng.integers(len(products), size=n)
    counters = 100_000 + np.cumsum(rng.integers(1, 40, n))
    keys = np.array([*p.keys, p.won, p.lost])
    probability = np.array([*p.probability, 1.0, 0.0])[state]
    next_steps = np.array([*pool["next"], ""])
    step = np.where(closed | (rng.random(n) < 0.25), len(pool["next"]),
                    rng.integers(len(pool["next"]), size=n))
    # how far each deal got: its open stage; won deals past every stage; lost ones midway
    position = np.where(state == k + 1, k // 2, np.minimum(state, k))
    frame: _Columns = {
        "deal_id": _make_ids(dialect.id_style, rng, counters, friday.year),
        "deal_name": deal_names[which * len(products) + product],
        "account": accounts[which],
        "team": teams[rng.integers(len(teams), size=n)],
        "owner": people[rng.integers(len(people), size=n)],
        "stage": keys[state],
        "amount": np.maximum(100.0, np.round(_median(locale) * rng.lognormal(0, 0.8, n), -2)),
        "currency": np.full(n, dialect.currency),
        "close_date": close.astype("M8[m]"),
        "created_date": created.astype("M8[m]") + minutes.astype("m8[m]"),
        "last_activity_date": activity.astype("M8[m]") + minutes.astype("m8[m]"),
        "next_step": next_steps[step],
        "probability": probability,
        "_amount_style": rng.choice(3, size=n, p=[0.55, 0.3, 0.15]),
        "_date_style": (rng.random(n) < 0.4).astype(np.int64),
        "_seq": counters,
        "_open_stage": np.array(p.keys)[np.where(state == k, k - 1, position)],
    }
    frame["forecast_category"] = _forecast(frame["stage"], frame["probability"], p)
    first_needed: dict[str, int] = {}
    for i, fields in enumerate(p.criteria):
        for f in fields:
            first_needed.setdefault(f, i)
    progress = position / max(k - 1, 1)
    texts = {"decision_maker": people, "coach": people,
             "competitor": np.array(pool["competitor"])}
    for f in EVIDENCE_FIELDS:
        if f in first_needed:
            needed = first_needed[f]
            chance = np.select([position > needed, position == needed], [0.88, 0.4], 0.06)
        else:
            chance = 0.15 + 0.7 * np.minimum(progress, 1.0)
        met = rng.random(n) < chance
        if f in EVIDENCE_TEXT_FIELDS:
            names = texts[f]
            frame[f] = np.where(met, names[rng.integers(len(names), size=n)], "")
        else:
            frame[f] = met
    return frame


def _median(locale: str) -> float:
    return {"zh": 650_000.0, "de": 58_000.0}.get(locale, 40_000.0)
